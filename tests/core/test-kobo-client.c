/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-kobo-client"

#include "config.h"

#include "kios-fake-kobo.h"
#include "kios-http.h"
#include "kios-kobo-client.h"
#include "kios-redact.h"
#include "kios-test-util.h"

#include <string.h>

static const KiosFakeKoboFamily all_families[] = {
  KIOS_FAKE_KOBO_CALIBRE_WEB,
  KIOS_FAKE_KOBO_CWA,
  KIOS_FAKE_KOBO_GRIMMORY,
  KIOS_FAKE_KOBO_KOMGA,
};

static const char *
book_id (KiosFakeKoboFamily family)
{
  switch (family)
    {
    case KIOS_FAKE_KOBO_GRIMMORY:
      return "42";
    case KIOS_FAKE_KOBO_KOMGA:
      return "0F2W6T1Q";
    case KIOS_FAKE_KOBO_CALIBRE_WEB:
    case KIOS_FAKE_KOBO_CWA:
    default:
      return "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44";
    }
}

static KiosKoboFamily
expected_family (KiosFakeKoboFamily family)
{
  switch (family)
    {
    case KIOS_FAKE_KOBO_GRIMMORY:
      return KIOS_KOBO_FAMILY_GRIMMORY;
    case KIOS_FAKE_KOBO_KOMGA:
      return KIOS_KOBO_FAMILY_KOMGA;
    case KIOS_FAKE_KOBO_CALIBRE_WEB:
    case KIOS_FAKE_KOBO_CWA:
    default:
      return KIOS_KOBO_FAMILY_CALIBRE_WEB;
    }
}

static KiosFakeKobo *
fake_with_book (KiosFakeKoboFamily family)
{
  KiosFakeKobo    *fake = kios_fake_kobo_new (family);
  g_autofree char *epub = kios_test_book ("persuasion.epub");

  kios_fake_kobo_add_book (fake, book_id (family), "Persuasion", "Jane Austen", "EPUB3", epub);
  return fake;
}

static KiosKoboClient *
connect_client (KiosFakeKobo *fake)
{
  g_autofree char   *base = kios_fake_kobo_get_base_url (fake);
  g_autoptr (GError) error = NULL;
  KiosKoboClient    *client = kios_kobo_client_new (base, &error);

  g_assert_no_error (error);
  g_assert_true (kios_kobo_client_initialize (client, NULL, &error));
  g_assert_no_error (error);
  return client;
}

static void
assert_no_secret (KiosFakeKobo *fake,
                  const char   *text)
{
  g_assert_nonnull (text);
  g_assert_null (strstr (text, kios_fake_kobo_get_token (fake)));
}

/* ------------------------------------------------------------------------ */

static void
test_family_rules (void)
{
  g_assert_cmpint (kios_kobo_family_recognise ("https://h:6062/api/kobo/abc", NULL), ==, KIOS_KOBO_FAMILY_GRIMMORY);
  g_assert_cmpint (kios_kobo_family_recognise ("https://h:25600/kobo/abc",
                                               "https://h:25600/kobo/abc/v1/books/{ImageId}/thumbnail/{Width}/{Height}/false/image.jpg"),
                   ==, KIOS_KOBO_FAMILY_KOMGA);
  g_assert_cmpint (kios_kobo_family_recognise ("https://h:8083/kobo/abc",
                                               "https://h:8083/kobo/abc/{ImageId}/{width}/{height}/false/image.jpg"),
                   ==, KIOS_KOBO_FAMILY_CALIBRE_WEB);
  g_assert_true (kios_kobo_family_needs_consent (KIOS_KOBO_FAMILY_CALIBRE_WEB));
  g_assert_true (kios_kobo_family_needs_consent (KIOS_KOBO_FAMILY_GRIMMORY));
  g_assert_true (kios_kobo_family_needs_consent (KIOS_KOBO_FAMILY_UNKNOWN));
  g_assert_false (kios_kobo_family_needs_consent (KIOS_KOBO_FAMILY_KOMGA));
  for (int f = KIOS_KOBO_FAMILY_UNKNOWN; f <= KIOS_KOBO_FAMILY_KOMGA; f++)
    g_assert_cmpint (kios_kobo_family_from_string (kios_kobo_family_to_string (f)), ==, f);
}

static void
test_time (void)
{
  g_autofree char *formatted = kios_kobo_format_time (1772485451123);

  g_assert_cmpstr (formatted, ==, "2026-03-02T21:04:11.123Z");
  g_assert_cmpint (kios_kobo_parse_time ("2026-03-02T21:04:11Z"), ==, 1772485451000);
  g_assert_cmpint (kios_kobo_parse_time ("2026-03-02T21:04:11.1230000Z"), ==, 1772485451123);
  g_assert_cmpint (kios_kobo_parse_time ("2026-03-02T22:04:11.123+01:00"), ==, 1772485451123);
  g_assert_cmpint (kios_kobo_parse_time ("2026-03-02 21:04:11"), ==, 1772485451000);
  g_assert_cmpint (kios_kobo_parse_time ("yesterday"), ==, 0);
  g_assert_cmpint (kios_kobo_parse_time (NULL), ==, 0);
}

static void
test_url_rules (void)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosKoboClient) client = kios_kobo_client_new ("https://lib.example:8083/kobo/0123456789abcdef0123456789abcdef/", &error);
  g_autoptr (KiosKoboClient) bad = NULL;
  g_autofree char           *rewritten = NULL;
  g_autofree char           *label = NULL;
  g_autofree char           *text = NULL;

  g_assert_no_error (error);
  /* The trailing slash goes: routes are BASE + "/v1/…". */
  g_assert_cmpstr (kios_kobo_client_get_base_url (client), ==, "https://lib.example:8083/kobo/0123456789abcdef0123456789abcdef");
  rewritten = kios_kobo_client_rewrite_url (client, "http://10.0.0.5:80/kobo/0123456789abcdef0123456789abcdef/download/7/epub");
  g_assert_cmpstr (rewritten, ==, "https://lib.example:8083/kobo/0123456789abcdef0123456789abcdef/download/7/epub");
  g_assert_null (kios_kobo_client_rewrite_url (client, "https://cdn.kobo.com/book/7.epub"));
  g_assert_null (kios_kobo_client_rewrite_url (client, "https://x/kobo/0123456789abcdef0123456789abcdefXX/download"));
  g_assert_null (kios_kobo_client_rewrite_url (client, "file:///kobo/0123456789abcdef0123456789abcdef/x"));

  /* The token never shows. */
  label = kios_kobo_client_get_label (client);
  g_assert_null (strstr (label, "0123456789abcdef0123456789abcdef"));
  text = kios_redact_text ("failed at https://lib.example:8083/kobo/0123456789abcdef0123456789abcdef/v1/library/sync "
                           "and 0123456789abcdef0123456789abcdef");
  g_assert_null (strstr (text, "0123456789abcdef0123456789abcdef"));

  bad = kios_kobo_client_new ("ftp://lib.example/kobo/x", &error);
  g_assert_null (bad);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
  g_clear_error (&error);
  bad = kios_kobo_client_new ("https://lib.example/", &error);
  g_assert_null (bad);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
}

static void
test_initialization (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_families); i++)
    {
      g_autoptr (KiosFakeKobo)   fake = fake_with_book (all_families[i]);
      g_autoptr (KiosKoboClient) client = connect_client (fake);
      g_autofree char           *cover = NULL;
      g_autofree char           *base = kios_fake_kobo_get_base_url (fake);
      g_autofree char           *forbidden = NULL;
      g_autoptr (GBytes)         jpeg = NULL;
      g_autoptr (GError)         error = NULL;
      const char                *cover_id;

      g_assert_cmpint (kios_kobo_client_get_family (client), ==, expected_family (all_families[i]));
      /* The template is kept relative: no token, no server-side host. */
      g_assert_nonnull (kios_kobo_client_get_image_template (client));
      g_assert_true (g_str_has_prefix (kios_kobo_client_get_image_template (client), "/"));
      assert_no_secret (fake, kios_kobo_client_get_image_template (client));

      cover_id = all_families[i] == KIOS_FAKE_KOBO_GRIMMORY ? "BL-COVER00001" : book_id (all_families[i]);
      if (all_families[i] == KIOS_FAKE_KOBO_CWA)
        cover_id = "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44-1700000000";
      cover = kios_kobo_client_cover_url (client, cover_id, 300, 450);
      g_assert_true (g_str_has_prefix (cover, base));
      g_assert_nonnull (strstr (cover, "/300/450/false/image.jpg"));
      g_test_message ("cover %s", cover);
      jpeg = kios_kobo_client_fetch (client, cover, 0, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (jpeg), >, 2);
      g_assert_cmpuint (((const guchar *) g_bytes_get_data (jpeg, NULL))[0], ==, 0xff);

      forbidden = kios_fake_kobo_find_forbidden_header (fake);
      g_assert_cmpstr (forbidden, ==, NULL);
      g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/library/sync"), ==, 0);
    }
}

static void
assert_init_fails (const char   *base,
                   KiosFakeKobo *fake,
                   GQuark        domain,
                   int           code,
                   const char   *words)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosKoboClient) client = kios_kobo_client_new (base, &error);

  g_assert_no_error (error);
  g_assert_false (kios_kobo_client_initialize (client, NULL, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, words));
  assert_no_secret (fake, error->message);
}

static void
test_connection_messages (void)
{
  g_autoptr (KiosFakeKobo) cw = fake_with_book (KIOS_FAKE_KOBO_CWA);
  g_autoptr (KiosFakeKobo) gr = fake_with_book (KIOS_FAKE_KOBO_GRIMMORY);
  g_autoptr (KiosFakeKobo) kg = fake_with_book (KIOS_FAKE_KOBO_KOMGA);
  const char              *cw_host = kios_fake_server_get_url (kios_fake_kobo_get_server (cw));
  g_autofree char         *cw_bad = g_strdup_printf ("%s/kobo/ffffffffffffffffffffffffffffffff", cw_host);
  g_autofree char         *gr_bad = g_strdup_printf ("%s/api/kobo/not-the-token", kios_fake_server_get_url (kios_fake_kobo_get_server (gr)));
  g_autofree char         *kg_bad = g_strdup_printf ("%s/kobo/notTheKey", kios_fake_server_get_url (kios_fake_kobo_get_server (kg)));
  g_autofree char         *gr_no_api = g_strdup_printf ("%s/kobo/%s", kios_fake_server_get_url (kios_fake_kobo_get_server (gr)),
                                                        kios_fake_kobo_get_token (gr));
  g_autofree char         *kg_typo = g_strdup_printf ("%s/kobos/%s", kios_fake_server_get_url (kios_fake_kobo_get_server (kg)),
                                                      kios_fake_kobo_get_token (kg));
  g_autofree char         *cw_base = kios_fake_kobo_get_base_url (cw);
  g_autofree char         *gr_base = kios_fake_kobo_get_base_url (gr);
  g_autofree char         *kg_base = kios_fake_kobo_get_base_url (kg);

  /* Bad token: 401 everywhere, then CW's rate limit. */
  assert_init_fails (gr_bad, gr, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "Token not accepted");
  assert_init_fails (kg_bad, kg, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "Token not accepted");
  for (int i = 0; i < 3; i++)
    assert_init_fails (cw_bad, cw, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "Token not accepted");
  assert_init_fails (cw_bad, cw, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "Wait a minute");

  /* A right token clears CW's counter; Kobo sync switched off: 404 everywhere. */
  {
    g_autoptr (KiosKoboClient) ok = connect_client (cw);
  }
  kios_fake_kobo_set_mode (cw, KIOS_FAKE_KOBO_SYNC_DISABLED);
  assert_init_fails (cw_base, cw, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED, "Enable Kobo sync on the server");
  kios_fake_kobo_set_mode (cw, KIOS_FAKE_KOBO_NORMAL);

  /* Missing permission. */
  kios_fake_kobo_set_mode (gr, KIOS_FAKE_KOBO_NO_PERMISSION);
  assert_init_fails (gr_base, gr, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "allow Kobo sync");
  kios_fake_kobo_set_mode (gr, KIOS_FAKE_KOBO_NORMAL);
  kios_fake_kobo_set_mode (kg, KIOS_FAKE_KOBO_NO_PERMISSION);
  assert_init_fails (kg_base, kg, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "allow Kobo sync");
  kios_fake_kobo_set_mode (kg, KIOS_FAKE_KOBO_NORMAL);

  /* A 200 from a catch-all route ({} on Komga, empty on Grimmory) is no success. */
  assert_init_fails (kg_typo, kg, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "catch-all");
  assert_init_fails (gr_no_api, gr, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "catch-all");

  /* CW without the download role: init works, sync says what is missing. */
  kios_fake_kobo_set_mode (cw, KIOS_FAKE_KOBO_NO_PERMISSION);
  {
    g_autoptr (KiosKoboClient)   client = connect_client (cw);
    g_autoptr (GError)           error = NULL;
    g_autoptr (KiosKoboSyncPage) page = kios_kobo_client_sync_page (client, NULL, NULL, &error);

    g_assert_null (page);
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
    g_assert_nonnull (strstr (error->message, "Download permission needed"));
  }
  kios_fake_kobo_set_mode (cw, KIOS_FAKE_KOBO_NORMAL);

  /* Grimmory with the user's Kobo switch off: init works, sync is 500. */
  kios_fake_kobo_set_mode (gr, KIOS_FAKE_KOBO_KOBO_SWITCH_OFF);
  {
    g_autoptr (KiosKoboClient)   client = connect_client (gr);
    g_autoptr (GError)           error = NULL;
    g_autoptr (KiosKoboSyncPage) page = kios_kobo_client_sync_page (client, NULL, NULL, &error);

    g_assert_null (page);
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED);
    g_assert_nonnull (strstr (error->message, "Enable Kobo sync in your settings"));
  }

  {
    g_autofree char *forbidden = kios_fake_kobo_find_forbidden_header (cw);

    g_assert_cmpstr (forbidden, ==, NULL);
  }
}

static KiosKoboReadingState *
make_state (const char *id,
            const char *source,
            double      content,
            double      total,
            gint64      when_ms)
{
  KiosKoboReadingState *s = kios_kobo_reading_state_new ();

  s->entitlement_id = g_strdup (id);
  s->source = g_strdup (source);
  s->content_percent = content;
  s->progress_percent = total;
  s->bookmark_modified = when_ms;
  s->status = g_strdup ("Reading");
  return s;
}

static void
test_put_verified (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_families); i++)
    {
      KiosFakeKoboFamily               f = all_families[i];
      g_autoptr (KiosFakeKobo)         fake = fake_with_book (f);
      g_autoptr (KiosKoboClient)       client = connect_client (fake);
      gint64                           now_ms = (g_get_real_time () / 1000000) * 1000;
      g_autoptr (KiosKoboReadingState) sent = make_state (book_id (f), "EPUB/text/ch005.xhtml", 25.0, 21.5, now_ms);
      g_autoptr (KiosKoboReadingState) stored = NULL;
      g_autoptr (KiosKoboReadingState) server = NULL;
      g_autoptr (KiosKoboReadingState) got = NULL;
      g_autoptr (GError)               error = NULL;
      g_autofree char                 *body = NULL;
      g_autofree char                 *forbidden = NULL;

      g_test_message ("family %d", f);
      g_assert_true (kios_kobo_client_put_state (client, sent, &stored, NULL, &error));
      g_assert_no_error (error);
      g_assert_nonnull (stored);
      g_assert_cmpstr (stored->source, ==, "EPUB/text/ch005.xhtml");

      /* What the server keeps. */
      server = kios_fake_kobo_get_state (fake, book_id (f));
      g_assert_nonnull (server);
      g_assert_cmpstr (server->source, ==, "EPUB/text/ch005.xhtml");
      if (f == KIOS_FAKE_KOBO_KOMGA)
        {
          /* Snapped down to its grid (19389 bytes: 19 positions). */
          g_assert_cmpfloat (server->content_percent, <=, 25.0);
          g_assert_cmpfloat (server->content_percent, >, 20.0);
          g_assert_null (server->value);
        }
      else
        {
          g_assert_cmpfloat_with_epsilon (server->content_percent, 25.0, 0.001);
          g_assert_cmpstr (server->value, ==, "kobo.1.1");
        }

      /* The body satisfies the family's rules (checked by the fake) and keeps
       * the Kobo's statistics on the servers that would overwrite them. */
      body = kios_fake_kobo_get_last_put_body (fake);
      g_assert_nonnull (strstr (body, "\"EntitlementId\":\""));
      if (f == KIOS_FAKE_KOBO_KOMGA)
        g_assert_nonnull (strstr (body, "\"Statistics\":{\"LastModified\""));
      else
        g_assert_nonnull (strstr (body, "\"Statistics\":null"));

      /* GET on open gives it back. */
      got = kios_kobo_client_get_state (client, book_id (f), NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (got);
      g_assert_cmpstr (got->source, ==, "EPUB/text/ch005.xhtml");
      g_assert_cmpint (got->bookmark_modified, >, 0);

      forbidden = kios_fake_kobo_find_forbidden_header (fake);
      g_assert_cmpstr (forbidden, ==, NULL);
    }
}

static void
test_put_stored_nothing (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_families); i++)
    {
      KiosFakeKoboFamily               f = all_families[i];
      g_autoptr (KiosFakeKobo)         fake = fake_with_book (f);
      g_autoptr (KiosKoboClient)       client = connect_client (fake);
      gint64                           now_ms = (g_get_real_time () / 1000000) * 1000;
      g_autoptr (KiosKoboReadingState) sent = make_state (book_id (f), "EPUB/text/ch003.xhtml", 10.0, 9.0, now_ms);
      g_autoptr (KiosKoboReadingState) stored = NULL;
      g_autoptr (GError)               error = NULL;

      kios_fake_kobo_set_mode (fake, KIOS_FAKE_KOBO_PUT_IGNORED);
      g_assert_false (kios_kobo_client_put_state (client, sent, &stored, NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT);
      g_assert_nonnull (strstr (error->message, "did not store"));
      assert_no_secret (fake, error->message);
    }
}

static void
test_put_older_than_server (void)
{
  KiosFakeKoboFamily families[] = { KIOS_FAKE_KOBO_GRIMMORY, KIOS_FAKE_KOBO_KOMGA };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      KiosFakeKoboFamily               f = families[i];
      g_autoptr (KiosFakeKobo)         fake = fake_with_book (f);
      g_autoptr (KiosKoboClient)       client = connect_client (fake);
      gint64                           now_ms = (g_get_real_time () / 1000000) * 1000;
      g_autoptr (KiosKoboReadingState) sent = make_state (book_id (f), "EPUB/text/ch003.xhtml", 10.0, 9.0, now_ms - 60000);
      g_autoptr (KiosKoboReadingState) stored = NULL;
      g_autoptr (GError)               error = NULL;

      /* The Kobo read further, a minute later than Kios's page turn. */
      kios_fake_kobo_set_state (fake, book_id (f), "EPUB/text/ch007.xhtml", "kobo.12.3", 50.0, 30.0, now_ms);
      g_assert_false (kios_kobo_client_put_state (client, sent, &stored, NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, f == KIOS_FAKE_KOBO_KOMGA ? "Failure" : "Success"));
      g_assert_nonnull (stored);
      g_assert_cmpstr (stored->source, ==, "EPUB/text/ch007.xhtml");
      g_assert_cmpstr (stored->value, ==, "kobo.12.3");
    }
}

static void
test_komga_grid (void)
{
  g_autoptr (KiosFakeKobo)         fake = fake_with_book (KIOS_FAKE_KOBO_KOMGA);
  g_autoptr (KiosKoboClient)       client = connect_client (fake);
  gint64                           now_ms = (g_get_real_time () / 1000000) * 1000;
  g_autoptr (KiosKoboReadingState) late = make_state ("0F2W6T1Q", "EPUB/text/ch005.xhtml", 99.0, 22.0, now_ms - 2000);
  g_autoptr (KiosKoboReadingState) unknown = make_state ("0F2W6T1Q", "EPUB/text/nope.xhtml", 0, 0, now_ms - 1000);
  g_autoptr (GError)               error = NULL;

  /* 99 % of a 19-position file has no position above it: Failure. */
  g_assert_false (kios_kobo_client_put_state (client, late, NULL, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (kios_kobo_client_put_state (client, unknown, NULL, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT);
  g_clear_error (&error);

  /* Snapped, it goes in. */
  g_assert_cmpfloat (kios_kobo_snap_progress (0.99, 19389), <, 18.0 / 19.0);
  g_assert_cmpfloat (kios_kobo_snap_progress (0.5, 900), ==, 0.0);
  g_assert_cmpfloat (kios_kobo_snap_progress (0.3, 19389), ==, 0.3);
  late->content_percent = kios_kobo_snap_progress (0.99, 19389) * 100;
  g_assert_true (kios_kobo_client_put_state (client, late, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_validation_table (void)
{
  /* Bodies that break one rule each are refused the way the servers do. */
  g_autoptr (KiosFakeKobo) cwa = fake_with_book (KIOS_FAKE_KOBO_CWA);
  g_autoptr (KiosFakeKobo) kg = fake_with_book (KIOS_FAKE_KOBO_KOMGA);
  g_autoptr (KiosFakeKobo) gr = fake_with_book (KIOS_FAKE_KOBO_GRIMMORY);
  struct
  {
    KiosFakeKobo *fake;
    const char   *id;
    const char   *body;
    guint         status;
  } cases[] = {
    { cwa, "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44", "{\"ReadingStates\":[{\"CurrentBookmark\":null,\"Statistics\":null,\"StatusInfo\":null}]}", 500 },
    { cwa, "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44", "{\"ReadingStates\":[{\"CurrentBookmark\":{\"ProgressPercent\":1},\"Statistics\":null,\"StatusInfo\":null}]}", 400 },
    { cwa, "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44", "{\"ReadingStates\":[{\"CurrentBookmark\":{\"ProgressPercent\":1,\"ContentSourceProgressPercent\":1},\"StatusInfo\":null}]}", 400 },
    { cwa, "unknown-book", "{\"ReadingStates\":[{\"CurrentBookmark\":{\"ProgressPercent\":1,\"ContentSourceProgressPercent\":1},\"Statistics\":null,\"StatusInfo\":null}]}", 200 },
    { kg, "0F2W6T1Q", "{\"ReadingStates\":[{\"EntitlementId\":\"0F2W6T1Q\",\"LastModified\":\"2026-01-01T00:00:00Z\",\"Statistics\":null,\"StatusInfo\":{\"LastModified\":\"2026-01-01T00:00:00Z\",\"Status\":\"Reading\"},\"CurrentBookmark\":{\"LastModified\":\"2026-01-01T00:00:00Z\",\"ContentSourceProgressPercent\":0,\"Location\":{\"Source\":\"EPUB/text/ch005.xhtml\"}}}]}", 400 },
    { gr, "42", "{\"ReadingStates\":[{\"CurrentBookmark\":{\"LastModified\":\"2026-01-01T00:00:00Z\"}}]}", 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char             *base = kios_fake_kobo_get_base_url (cases[i].fake);
      g_autofree char             *url = g_strdup_printf ("%s/v1/library/%s/state", base, cases[i].id);
      g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("PUT", url);
      g_autoptr (GBytes)           body = g_bytes_new_static (cases[i].body, strlen (cases[i].body));
      g_autoptr (KiosHttpResponse) response = NULL;
      g_autoptr (GError)           error = NULL;

      kios_http_request_set_body (request, "application/json", body);
      response = kios_http_send_sync (request, NULL, &error);
      g_assert_no_error (error);
      g_test_message ("case %u → %u", i, response->status);
      g_assert_cmpuint (response->status, ==, cases[i].status);
    }
}

static void
test_state_shapes (void)
{
  g_autoptr (KiosFakeKobo)         gr = fake_with_book (KIOS_FAKE_KOBO_GRIMMORY);
  g_autoptr (KiosFakeKobo)         kg = fake_with_book (KIOS_FAKE_KOBO_KOMGA);
  g_autoptr (KiosFakeKobo)         cw = fake_with_book (KIOS_FAKE_KOBO_CALIBRE_WEB);
  g_autoptr (KiosKoboClient)       grc = connect_client (gr);
  g_autoptr (KiosKoboClient)       kgc = connect_client (kg);
  g_autoptr (KiosKoboClient)       cwc = connect_client (cw);
  g_autoptr (KiosKoboReadingState) s = NULL;
  g_autoptr (GError)               error = NULL;

  /* Nothing stored: an empty array, a synthesized ReadyToRead, CW's empty record. */
  s = kios_kobo_client_get_state (grc, "42", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (s);
  s = kios_kobo_client_get_state (kgc, "0F2W6T1Q", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (s);
  s = kios_kobo_client_get_state (cwc, "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (s);

  /* Unknown book: CW's {} and Komga's 404 are "not found", never a position. */
  s = kios_kobo_client_get_state (cwc, "no-such-book", NULL, &error);
  g_assert_null (s);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND);
  g_clear_error (&error);
  s = kios_kobo_client_get_state (kgc, "NOPE", NULL, &error);
  g_assert_null (s);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A Kobo's position, with Grimmory's 7-digit stamps and integer percent. */
  kios_fake_kobo_set_state (gr, "42", "EPUB/text/ch007.xhtml", "kobo.55.3", 63.0, 41.0, 1772485451517);
  s = kios_kobo_client_get_state (grc, "42", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_assert_cmpstr (s->source, ==, "EPUB/text/ch007.xhtml");
  g_assert_cmpstr (s->value, ==, "kobo.55.3");
  g_assert_cmpfloat (s->content_percent, ==, 63.0);
  g_assert_cmpfloat (s->progress_percent, ==, 41.0);
  g_assert_cmpint (s->bookmark_modified, ==, 1772485451517);
}

static void
test_hostile_state (void)
{
  const char *inputs[] = {
    "{\"CurrentBookmark\":{\"ProgressPercent\":\"lots\",\"ContentSourceProgressPercent\":1e308,\"Location\":{\"Source\":7}}}",
    "{\"CurrentBookmark\":[1,2,3],\"StatusInfo\":\"x\"}",
    "{\"CurrentBookmark\":{\"ProgressPercent\":-5,\"Location\":{\"Source\":\"/OEBPS/a%20b.xhtml#frag\"}}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (JsonParser)           parser = json_parser_new ();
      g_autoptr (KiosKoboReadingState) s = NULL;

      g_assert_true (json_parser_load_from_data (parser, inputs[i], -1, NULL));
      s = kios_kobo_reading_state_from_json (json_node_get_object (json_parser_get_root (parser)));
      g_assert_nonnull (s);
      g_assert_cmpfloat (s->progress_percent, <=, 100.0);
      g_assert_cmpfloat (s->content_percent, <=, 100.0);
      if (i == 2)
        {
          g_assert_cmpstr (s->source, ==, "OEBPS/a b.xhtml");
          g_assert_cmpfloat (s->progress_percent, ==, 0.0);
        }
    }
}

/* A hostile server: whatever body and headers the test sets. */
typedef struct
{
  const char *body;
  const char *more;
  guint       hits;
} Hostile;

static void
hostile_handler (KiosFakeServer        *server,
                 const KiosFakeRequest *request,
                 KiosFakeResponse      *response,
                 gpointer               user_data)
{
  Hostile *h = user_data;

  g_atomic_int_inc (&h->hits);
  kios_fake_response_set_text (response, 200, "application/json", h->body);
  kios_fake_response_add_header (response, "x-kobo-synctoken", "T");
  if (h->more != NULL)
    kios_fake_response_add_header (response, "x-kobo-sync", h->more);
}

static void
test_hostile_sync (void)
{
  Hostile                      h = { 0 };
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (hostile_handler, &h);
  g_autofree char             *base = g_strdup_printf ("%s/kobo/hostile-token-123", kios_fake_server_get_url (server));
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosKoboClient)   client = kios_kobo_client_new (base, &error);
  g_autoptr (KiosKoboSyncPage) page = NULL;

  /* A catch-all's {} is not a list of changes. */
  h.body = "{}";
  page = kios_kobo_client_sync_page (client, NULL, NULL, &error);
  g_assert_null (page);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Junk elements are dropped; "Continue " counts, case and spaces aside. */
  h.body = "[1, \"x\", null, [], {\"NewEntitlement\": 5}, {\"Unknown\": {}}]";
  h.more = " Continue ";
  page = kios_kobo_client_sync_page (client, "prev", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (page->items), ==, 2);
  g_assert_true (page->more);
  g_assert_cmpstr (page->token, ==, "T");
  g_clear_pointer (&page, kios_kobo_sync_page_free);

  /* Grimmory's empty header means done. */
  h.more = "";
  page = kios_kobo_client_sync_page (client, "prev", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (page->more);
  g_clear_pointer (&page, kios_kobo_sync_page_free);

  /* Not JSON at all (a login page). */
  h.body = "<html>login</html>";
  page = kios_kobo_client_sync_page (client, NULL, NULL, &error);
  g_assert_null (page);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Initialization that is not an object with Resources. */
  h.body = "[{\"Resources\": 1}]";
  g_assert_false (kios_kobo_client_initialize (client, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_clear_error (&error);
  h.body = "{\"Resources\": {\"image_url_template\": \"https://evil.example/x/{ImageId}\"}}";
  g_assert_true (kios_kobo_client_initialize (client, NULL, &error));
  /* A template that does not carry our token is not used (no cover from elsewhere). */
  g_assert_null (kios_kobo_client_get_image_template (client));
  g_assert_null (kios_kobo_client_cover_url (client, "x", 1, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/kobo-client/family-rules", test_family_rules);
  g_test_add_func ("/kios/kobo-client/time", test_time);
  g_test_add_func ("/kios/kobo-client/url-rules", test_url_rules);
  g_test_add_func ("/kios/kobo-client/initialization", test_initialization);
  g_test_add_func ("/kios/kobo-client/connection-messages", test_connection_messages);
  g_test_add_func ("/kios/kobo-client/put-verified", test_put_verified);
  g_test_add_func ("/kios/kobo-client/put-stored-nothing", test_put_stored_nothing);
  g_test_add_func ("/kios/kobo-client/put-older-than-server", test_put_older_than_server);
  g_test_add_func ("/kios/kobo-client/komga-grid", test_komga_grid);
  g_test_add_func ("/kios/kobo-client/validation-table", test_validation_table);
  g_test_add_func ("/kios/kobo-client/state-shapes", test_state_shapes);
  g_test_add_func ("/kios/kobo-client/hostile-state", test_hostile_state);
  g_test_add_func ("/kios/kobo-client/hostile-sync", test_hostile_sync);
  return g_test_run ();
}
