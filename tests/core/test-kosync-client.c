/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-kosync-client"

#include "config.h"

#include "kios-test-kiosctl.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-fake-kosync.h"
#include "kios-http.h"
#include "kios-kosync-client.h"
#include "kios-library-store.h"
#include "kios-paths.h"
#include "kios-sync-decision.h"
#include "kios-sync-error.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define HASH "0123456789abcdef0123456789abcdef"
#define OTHER_HASH "ffffffffffffffffffffffffffffffff"
#define DEVICE_ID "0123456789ABCDEF0123456789ABCDEF"
#define XPOINTER "/body/DocFragment[3]/body/div/p[7]/text().153"

typedef struct
{
  KiosFakeKosyncFamily family;
  const char          *user; /* or API key */
  const char          *password;
  KiosKosyncAuth       auth;
} Family;

static const Family families[] = {
  { KIOS_FAKE_KOSYNC_OFFICIAL, "bob", "passwd123", KIOS_KOSYNC_AUTH_HEADERS },
  { KIOS_FAKE_KOSYNC_CWA, "Reader", "cwa plain pw", KIOS_KOSYNC_AUTH_BASIC },
  { KIOS_FAKE_KOSYNC_GRIMMORY, "kosync-user", "grimmory-pw", KIOS_KOSYNC_AUTH_HEADERS },
  { KIOS_FAKE_KOSYNC_BOOKLORE, "kosync-user", "booklore-pw", KIOS_KOSYNC_AUTH_HEADERS },
  { KIOS_FAKE_KOSYNC_KOMGA, "komgaapikey0123456789abcdef", "ignored", KIOS_KOSYNC_AUTH_HEADERS },
  { KIOS_FAKE_KOSYNC_KAVITA, "kavitaApiKey0123456789", NULL, KIOS_KOSYNC_AUTH_HEADERS },
  { KIOS_FAKE_KOSYNC_STUMP, "stump_apikey_0123456789", NULL, KIOS_KOSYNC_AUTH_HEADERS },
};

static GMutex   log_lock;
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      g_string_append_printf (captured_log, "%s\n", (const char *) fields[i].value);
  g_mutex_unlock (&log_lock);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static KiosFakeKosync *
fake_new (const Family *f)
{
  KiosFakeKosync *fake = kios_fake_kosync_new (f->family);

  kios_fake_kosync_add_user (fake, f->user, f->password);
  kios_fake_kosync_add_book (fake, HASH, 10);
  return fake;
}

static KiosKosyncClient *
client_for (KiosFakeKosync *fake,
            const Family   *f,
            const char     *base_url,
            KiosKosyncAuth  auth,
            const char     *password)
{
  g_autofree char  *url = base_url != NULL ? g_strdup (base_url) : kios_fake_kosync_get_base_url (fake);
  KiosKosyncClient *client;
  const char       *user = f->user;

  /* Kavita and Stump ignore the user fields: the key rides in the URL. */
  if (f->family == KIOS_FAKE_KOSYNC_KAVITA || f->family == KIOS_FAKE_KOSYNC_STUMP)
    user = NULL;
  client = kios_kosync_client_new (url, auth, user, password);
  kios_kosync_client_set_device (client, "Kios test", DEVICE_ID);
  return client;
}

static KiosKosyncClient *
good_client (KiosFakeKosync *fake,
             const Family   *f)
{
  return client_for (fake, f, NULL, f->auth, f->password);
}

static void
test_auth_ok (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const Family                *f = &families[i];
      g_autoptr (KiosFakeKosync)   fake = fake_new (f);
      g_autoptr (KiosKosyncClient) client = good_client (fake, f);
      g_autoptr (KiosFakeRequest)  seen = NULL;
      g_autoptr (GError)           error = NULL;
      g_autofree char             *suggested = NULL;

      g_test_message ("family %s", kios_fake_kosync_get_family_name (fake));
      g_assert_true (kios_kosync_client_check_auth_sync (client, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (kios_kosync_client_test_sync (client, &suggested, NULL, &error));
      g_assert_no_error (error);
      g_assert_null (suggested);

      seen = kios_fake_server_get_request (kios_fake_kosync_get_server (fake), 0);
      g_assert_cmpstr (kios_fake_request_get_header (seen, "Accept"), ==, "application/vnd.koreader.v1+json");
      g_assert_true (g_str_has_suffix (seen->path, "/users/auth"));
      if (f->auth == KIOS_KOSYNC_AUTH_BASIC)
        {
          g_assert_null (kios_fake_request_get_header (seen, "x-auth-key"));
          g_assert_true (g_str_has_prefix (kios_fake_request_get_header (seen, "Authorization"), "Basic "));
        }
      else
        g_assert_null (kios_fake_request_get_header (seen, "Authorization"));
      if (f->family == KIOS_FAKE_KOSYNC_OFFICIAL)
        {
          /* KOSYNC.md §1.1's vector: md5 ("passwd123"). */
          g_assert_cmpstr (kios_fake_request_get_header (seen, "x-auth-key"), ==, "1164f9e5b8cef768396dcd5374e4b6eb");
          g_assert_cmpstr (kios_fake_request_get_header (seen, "x-auth-user"), ==, "bob");
        }
    }
}

static void
test_wrong_password (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const Family                *f = &families[i];
      g_autoptr (KiosFakeKosync)   fake = fake_new (f);
      g_autoptr (KiosKosyncClient) client = NULL;
      g_autoptr (GError)           error = NULL;
      g_autofree char             *suggested = NULL;

      g_test_message ("family %s", kios_fake_kosync_get_family_name (fake));
      if (f->family == KIOS_FAKE_KOSYNC_KAVITA || f->family == KIOS_FAKE_KOSYNC_STUMP)
        {
          g_autofree char *base = kios_fake_kosync_get_base_url (fake);
          g_autofree char *wrong = g_strconcat (base, "WRONG", NULL);
          client = client_for (fake, f, wrong, f->auth, NULL);
        }
      else if (f->family == KIOS_FAKE_KOSYNC_KOMGA)
        {
          g_autofree char *url = kios_fake_kosync_get_base_url (fake);
          client = kios_kosync_client_new (url, f->auth, "notakomgakey0000000000", "x");
        }
      else
        client = client_for (fake, f, NULL, f->auth, "wrong password");

      g_assert_false (kios_kosync_client_test_sync (client, &suggested, NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
      g_assert_nonnull (strstr (error->message, "refused the username or password"));
      g_assert_null (suggested);
    }
}

static void
test_wrong_auth_method (void)
{
  static const KiosFakeKosyncFamily cases[] = {
    KIOS_FAKE_KOSYNC_CWA, KIOS_FAKE_KOSYNC_OFFICIAL, KIOS_FAKE_KOSYNC_GRIMMORY
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Family                *f = NULL;
      g_autoptr (KiosFakeKosync)   fake = NULL;
      g_autoptr (KiosKosyncClient) client = NULL;
      g_autoptr (GError)           error = NULL;
      KiosKosyncAuth               wrong;

      for (gsize j = 0; j < G_N_ELEMENTS (families); j++)
        if (families[j].family == cases[i])
          f = &families[j];
      fake = fake_new (f);
      wrong = f->auth == KIOS_KOSYNC_AUTH_BASIC ? KIOS_KOSYNC_AUTH_HEADERS : KIOS_KOSYNC_AUTH_BASIC;
      client = client_for (fake, f, NULL, wrong, f->password);

      g_assert_false (kios_kosync_client_test_sync (client, NULL, NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH_METHOD);
      g_assert_nonnull (strstr (error->message, "Wrong auth method"));
      g_assert_nonnull (strstr (error->message, f->auth == KIOS_KOSYNC_AUTH_BASIC ? "with HTTP Basic"
                                                                                  : "with KOReader headers"));
    }
}

typedef struct
{
  KiosFakeKosyncFamily family;
  const char          *typed_path;    /* what the user typed after the host; KEY = the key */
  const char          *expected_path; /* the suggestion; KEY = the key */
} BareCase;

static char *
expand_key (const char *pattern,
            const char *key)
{
  g_autoptr (GString) s = g_string_new (pattern);
  g_string_replace (s, "KEY", key, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_bare_host (void)
{
  static const BareCase cases[] = {
    { KIOS_FAKE_KOSYNC_CWA, "", "/kosync" },
    { KIOS_FAKE_KOSYNC_GRIMMORY, "", "/api/koreader" },
    { KIOS_FAKE_KOSYNC_BOOKLORE, "/", "/api/koreader" },
    { KIOS_FAKE_KOSYNC_KOMGA, "", "/koreader" },
    { KIOS_FAKE_KOSYNC_OFFICIAL, "/kosync", "" },
    { KIOS_FAKE_KOSYNC_KAVITA, "/koreader/KEY", "/api/koreader/KEY" },
    { KIOS_FAKE_KOSYNC_STUMP, "/api/koreader/KEY", "/koreader/KEY" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Family                *f = NULL;
      g_autoptr (KiosFakeKosync)   fake = NULL;
      g_autoptr (KiosKosyncClient) client = NULL;
      g_autoptr (GError)           error = NULL;
      g_autofree char             *typed = NULL;
      g_autofree char             *typed_path = NULL;
      g_autofree char             *expected = NULL;
      g_autofree char             *expected_path = NULL;
      g_autofree char             *suggested = NULL;

      for (gsize j = 0; j < G_N_ELEMENTS (families); j++)
        if (families[j].family == cases[i].family)
          f = &families[j];
      fake = fake_new (f);
      typed_path = expand_key (cases[i].typed_path, f->user);
      expected_path = expand_key (cases[i].expected_path, f->user);
      typed = g_strconcat (kios_fake_kosync_get_host_url (fake), typed_path, NULL);
      expected = g_strconcat (kios_fake_kosync_get_host_url (fake), expected_path, NULL);
      g_test_message ("family %s typed %s", kios_fake_kosync_get_family_name (fake), typed_path);

      client = client_for (fake, f, typed, f->auth, f->password);
      g_assert_false (kios_kosync_client_test_sync (client, &suggested, NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
      g_assert_cmpstr (suggested, ==, expected);
      g_assert_nonnull (strstr (error->message, "Did you mean "));
      g_assert_nonnull (strstr (error->message, "full base including the server's sub-path"));
      /* The key is in the suggestion the UI gets, never in the message. */
      if (f->family == KIOS_FAKE_KOSYNC_KAVITA || f->family == KIOS_FAKE_KOSYNC_STUMP)
        g_assert_null (strstr (error->message, f->user));
      /* Never switched silently: the client still uses what was typed. */
      g_assert_true (g_str_has_prefix (kios_kosync_client_get_base_url (client), kios_fake_kosync_get_host_url (fake)));
      g_assert_cmpstr (kios_kosync_client_get_base_url (client), !=, expected);
    }
}

static void
test_disabled (void)
{
  const Family *cwa = &families[1];
  const Family *grim = &families[2];
  const Family *stump = &families[6];

  {
    g_autoptr (KiosFakeKosync)   fake = fake_new (cwa);
    g_autoptr (KiosKosyncClient) client = good_client (fake, cwa);
    g_autoptr (GError)           error = NULL;

    kios_fake_kosync_set_enabled (fake, FALSE);
    g_assert_false (kios_kosync_client_test_sync (client, NULL, NULL, &error));
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED);
    g_assert_nonnull (strstr (error->message, "disabled on the server"));
  }
  {
    g_autoptr (KiosFakeKosync)     fake = fake_new (grim);
    g_autoptr (KiosKosyncClient)   client = good_client (fake, grim);
    g_autoptr (GError)             error = NULL;
    g_autoptr (KiosRemotePosition) remote = NULL;

    kios_fake_kosync_set_enabled (fake, FALSE);
    /* Grimmory still answers the auth route; progress routes say 401
     * "disabled", and the connection test finds out. */
    g_assert_true (kios_kosync_client_check_auth_sync (client, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (kios_kosync_client_test_sync (client, NULL, NULL, &error));
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED);
    g_clear_error (&error);
    remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED);
  }
  {
    g_autoptr (KiosFakeKosync)   fake = fake_new (stump);
    g_autoptr (KiosKosyncClient) client = good_client (fake, stump);
    g_autoptr (GError)           error = NULL;

    kios_fake_kosync_set_enabled (fake, FALSE);
    g_assert_false (kios_kosync_client_test_sync (client, NULL, NULL, &error));
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
    g_assert_nonnull (strstr (error->message, "ENABLE_KOREADER_SYNC=true"));
  }
}

static void
test_push_pull (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const Family                  *f = &families[i];
      g_autoptr (KiosFakeKosync)     fake = fake_new (f);
      g_autoptr (KiosKosyncClient)   client = good_client (fake, f);
      g_autoptr (KiosRemotePosition) remote = NULL;
      g_autoptr (KiosFakeRequest)    put = NULL;
      g_autoptr (JsonParser)         parser = json_parser_new ();
      g_autoptr (GError)             error = NULL;
      JsonObject                    *body;
      gint64                         now = g_get_real_time () / G_USEC_PER_SEC;

      g_test_message ("family %s", kios_fake_kosync_get_family_name (fake));
      g_assert_true (kios_kosync_client_push_sync (client, HASH, XPOINTER, 0.29999, NULL, &error));
      g_assert_no_error (error);

      put = kios_fake_server_get_request (kios_fake_kosync_get_server (fake), 0);
      g_assert_cmpstr (put->method, ==, "PUT");
      g_assert_true (g_str_has_suffix (put->path, "/syncs/progress"));
      g_assert_cmpstr (kios_fake_request_get_header (put, "Content-Type"), ==, "application/json");
      g_assert_cmpstr (kios_fake_request_get_header (put, "Accept"), ==, "application/vnd.koreader.v1+json");
      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (put->body, NULL),
                                                 g_bytes_get_size (put->body), NULL));
      body = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpstr (json_object_get_string_member (body, "document"), ==, HASH);
      g_assert_cmpstr (json_object_get_string_member (body, "progress"), ==, XPOINTER);
      g_assert_cmpfloat (json_object_get_double_member (body, "percentage"), ==, 0.2999);
      g_assert_cmpstr (json_object_get_string_member (body, "device"), ==, "Kios test");
      g_assert_cmpstr (json_object_get_string_member (body, "device_id"), ==, DEVICE_ID);
      g_assert_false (json_object_has_member (body, "metadata"));

      remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (remote);
      g_assert_cmpstr (remote->document, ==, HASH);

      switch (f->family)
        {
        case KIOS_FAKE_KOSYNC_KOMGA:
          /* Komga keeps only the chapter start, and no timestamp. */
          g_assert_cmpstr (remote->progress, ==, "/body/DocFragment[3].0");
          g_assert_cmpint (remote->timestamp, ==, 0);
          g_assert_cmpfloat_with_epsilon (remote->percentage, 0.2999, 1e-9);
          break;
        case KIOS_FAKE_KOSYNC_KAVITA:
          /* Kavita keeps page + element path without offset; percentage per chapter. */
          g_assert_cmpstr (remote->progress, ==, "/body/DocFragment[3]/body/div/p[7]");
          g_assert_cmpfloat_with_epsilon (remote->percentage, 0.2, 1e-9);
          g_assert_cmpint (ABS (remote->timestamp - now), <=, 5);
          g_assert_cmpstr (remote->device, ==, "Kavita");
          break;
        case KIOS_FAKE_KOSYNC_BOOKLORE:
          g_assert_cmpstr (remote->progress, ==, XPOINTER);
          g_assert_cmpint (remote->timestamp, ==, 0);
          g_assert_cmpstr (remote->device_id, ==, "BookLore");
          break;
        case KIOS_FAKE_KOSYNC_GRIMMORY:
          g_assert_cmpstr (remote->progress, ==, XPOINTER);
          g_assert_cmpint (ABS (remote->timestamp - now), <=, 5);
          g_assert_cmpstr (remote->device_id, ==, "BookLore");
          break;
        case KIOS_FAKE_KOSYNC_STUMP:
          /* Milliseconds on the wire, seconds here. */
          g_assert_cmpstr (remote->progress, ==, XPOINTER);
          g_assert_cmpint (ABS (remote->timestamp - now), <=, 5);
          g_assert_cmpstr (remote->device_id, ==, DEVICE_ID);
          break;
        case KIOS_FAKE_KOSYNC_OFFICIAL:
        case KIOS_FAKE_KOSYNC_CWA:
        default:
          g_assert_cmpstr (remote->progress, ==, XPOINTER);
          g_assert_cmpfloat_with_epsilon (remote->percentage, 0.2999, 1e-9);
          g_assert_cmpint (ABS (remote->timestamp - now), <=, 5);
          g_assert_cmpstr (remote->device, ==, "Kios test");
          g_assert_cmpstr (remote->device_id, ==, DEVICE_ID);
          break;
        }
    }
}

static void
test_pull_no_progress (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const Family                  *f = &families[i];
      g_autoptr (KiosFakeKosync)     fake = fake_new (f);
      g_autoptr (KiosKosyncClient)   client = good_client (fake, f);
      g_autoptr (KiosRemotePosition) remote = NULL;
      g_autoptr (GError)             error = NULL;

      g_test_message ("family %s", kios_fake_kosync_get_family_name (fake));
      /* The book is known (where that matters) but nobody read it yet:
       * 200 {}, 404 "No progress", Komga's 200 error body, Kavita's "0",
       * Stump's {"document"}. All of them are "none", none an error. */
      remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
      g_assert_no_error (error);
      g_assert_null (remote);
    }
}

static void
test_unknown_book (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const Family                  *f = &families[i];
      g_autoptr (KiosFakeKosync)     fake = fake_new (f);
      g_autoptr (KiosKosyncClient)   client = good_client (fake, f);
      g_autoptr (KiosRemotePosition) remote = NULL;
      g_autoptr (GError)             pull_error = NULL;
      g_autoptr (GError)             push_error = NULL;
      gboolean                       pushed;
      gboolean                       stores_anything = f->family == KIOS_FAKE_KOSYNC_OFFICIAL || f->family == KIOS_FAKE_KOSYNC_CWA;

      g_test_message ("family %s", kios_fake_kosync_get_family_name (fake));
      remote = kios_kosync_client_pull_sync (client, OTHER_HASH, NULL, &pull_error);
      g_assert_null (remote);
      if (stores_anything || f->family == KIOS_FAKE_KOSYNC_STUMP)
        g_assert_no_error (pull_error); /* 200 {} / {"document"}: just nothing */
      else
        g_assert_error (pull_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND);

      pushed = kios_kosync_client_push_sync (client, OTHER_HASH, "12", 0.5, NULL, &push_error);
      if (stores_anything)
        {
          g_assert_no_error (push_error);
          g_assert_true (pushed);
        }
      else
        {
          g_assert_false (pushed);
          g_assert_error (push_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND);
          g_assert_nonnull (strstr (push_error->message, "book not found"));
          g_assert_nonnull (strstr (push_error->message, "byte-identical"));
          g_assert_nonnull (strstr (push_error->message, "through the server's catalog"));
        }
    }
}

static void
test_komga_conflict (void)
{
  const Family                  *f = &families[4];
  g_autoptr (KiosFakeKosync)     fake = fake_new (f);
  g_autoptr (KiosKosyncClient)   client = good_client (fake, f);
  g_autoptr (KiosRemotePosition) remote = NULL;
  g_autoptr (GError)             error = NULL;

  kios_fake_kosync_add_book (fake, HASH, 10);
  remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
  g_assert_null (remote);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT);
}

static void
test_stump_finished (void)
{
  const Family                  *f = &families[6];
  g_autoptr (KiosFakeKosync)     fake = fake_new (f);
  g_autoptr (KiosKosyncClient)   client = good_client (fake, f);
  g_autoptr (KiosRemotePosition) remote = NULL;
  g_autoptr (GError)             error = NULL;

  kios_fake_kosync_set_progress (fake, HASH, XPOINTER, 1.0, "KOReader", "AB", 1700000000);
  remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (remote);
  g_assert_null (remote->progress);
  g_assert_cmpfloat (remote->percentage, ==, 1.0);
  g_assert_cmpint (remote->timestamp, ==, 1700000000);
}

static void
test_remote_other_device (void)
{
  /* Another device's progress, preloaded: a page string on the official
   * server (PDF), an xpointer in the [1]-indexed form on CWA. */
  const Family *official = &families[0];
  const Family *cwa = &families[1];

  {
    g_autoptr (KiosFakeKosync)     fake = fake_new (official);
    g_autoptr (KiosKosyncClient)   client = good_client (fake, official);
    g_autoptr (KiosRemotePosition) remote = NULL;
    g_autoptr (GError)             error = NULL;

    kios_fake_kosync_set_progress (fake, HASH, "56", 0.5612, "Kobo", "KOBOID", 1700000123);
    remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (remote->progress, ==, "56");
    g_assert_cmpfloat (remote->percentage, ==, 0.5612);
    g_assert_cmpstr (remote->device, ==, "Kobo");
    g_assert_cmpint (remote->timestamp, ==, 1700000123);
  }
  {
    g_autoptr (KiosFakeKosync)     fake = fake_new (cwa);
    g_autoptr (KiosKosyncClient)   client = good_client (fake, cwa);
    g_autoptr (KiosRemotePosition) remote = NULL;
    g_autoptr (GError)             error = NULL;
    const char                    *xp = "/body[1]/DocFragment[12]/body[1]/div[1]/p[7]/text()[1].3";

    kios_fake_kosync_set_progress (fake, HASH, xp, 0.75, "KOReader", "K", 0);
    remote = kios_kosync_client_pull_sync (client, HASH, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (remote->progress, ==, xp);
    g_assert_cmpfloat_with_epsilon (remote->percentage, 0.75, 1e-9);
  }
}

static void
test_no_retry_on_auth (void)
{
  const Family                *f = &families[1];
  g_autoptr (KiosFakeKosync)   fake = fake_new (f);
  g_autoptr (KiosKosyncClient) client = client_for (fake, f, NULL, f->auth, "wrong");
  g_autoptr (GError)           error = NULL;

  /* CWA answers a bad login on progress routes with 400 error 2001. */
  g_assert_false (kios_kosync_client_push_sync (client, HASH, XPOINTER, 0.5, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_kosync_get_server (fake)), ==, 1);
  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, "PUT", "/syncs/progress"), ==, 1);
}

static void
test_official_accept (void)
{
  /* The fake enforces the official server's Accept rule (412), so every
   * other official test passing proves the client's header is exact. */
  const Family              *f = &families[0];
  g_autoptr (KiosFakeKosync) fake = fake_new (f);
  static const struct
  {
    const char *accept;
    guint       status;
  } cases[] = {
    { NULL, 412 },
    { "*/*", 412 },
    { "application/vnd.koreader.v1+json; charset=utf-8", 412 },
    { "application/vnd.koreader.v1+json, application/json", 412 },
    { "application/json, application/vnd.koreader.v1+json", 412 },
    { "application/vnd.koreader.v2+json", 412 },
    { "application/vnd.koreader.v1+json", 401 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char             *url = g_strdup_printf ("%s/users/auth", kios_fake_kosync_get_host_url (fake));
      g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
      g_autoptr (KiosHttpResponse) response = NULL;
      g_autoptr (GError)           error = NULL;

      kios_http_request_add_header (request, "Accept", cases[i].accept != NULL ? cases[i].accept : "");
      response = kios_http_send_sync (request, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (response->status, ==, cases[i].status);
    }
}

static void
test_timestamps (void)
{
  static const struct
  {
    const char *json;
    gint64      expected;
  } cases[] = {
    { "1700000000", 1700000000 },
    { "1700000000123", 1700000000 },
    { "1700000000.5", 1700000000 },
    { "\"2023-11-14T22:13:20Z\"", 1700000000 },
    { "\"2023-11-14T22:13:20.1234567\"", 1700000000 },
    { "\"2023-11-14T23:13:20+01:00\"", 1700000000 },
    { "\"1700000000\"", 1700000000 },
    { "0", 0 },
    { "-5", 0 },
    { "null", 0 },
    { "\"yesterday\"", 0 },
    { "true", 0 },
    { "1e300", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) node = json_from_string (cases[i].json, NULL);
      g_assert_cmpint (kios_kosync_parse_timestamp (node), ==, cases[i].expected);
    }
  g_assert_cmpint (kios_kosync_parse_timestamp (NULL), ==, 0);
}

static void
test_percentage (void)
{
  static const struct
  {
    double in;
    double out;
  } cases[] = {
    { 0.123456, 0.1234 },
    { 0.99999, 0.9999 },
    { 1.0, 1.0 },
    { 1.5, 1.0 },
    { 0.0, 0.0 },
    { -0.2, 0.0 },
    { 0.5, 0.5 },
    { 0.00009, 0.0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpfloat (kios_kosync_floor_percentage (cases[i].in), ==, cases[i].out);
  g_assert_cmpfloat (kios_kosync_floor_percentage (NAN), ==, 0.0);
}

static void
test_url_has_key (void)
{
  static const struct
  {
    const char *url;
    gboolean    key;
  } cases[] = {
    { "https://h:5000/api/koreader/abcdef", TRUE },
    { "https://h:10801/koreader/stump_key", TRUE },
    { "https://h:6062/api/koreader", FALSE },
    { "https://h:6062/api/koreader/", FALSE },
    { "https://h:25600/koreader", FALSE },
    { "https://h:8083/kosync", FALSE },
    { "https://h", FALSE },
    { "https://u:p@h/kosync", TRUE },
    { "garbage", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (kios_kosync_url_has_key (cases[i].url), ==, cases[i].key);
}

typedef struct
{
  GMainLoop          *loop;
  KiosRemotePosition *remote;
  GError             *error;
  gboolean            ok;
  char               *suggested;
} AsyncData;

static void
pull_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AsyncData *data = user_data;

  data->remote = kios_kosync_client_pull_finish (KIOS_KOSYNC_CLIENT (source), result, &data->error);
  g_main_loop_quit (data->loop);
}

static void
test_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AsyncData *data = user_data;

  data->ok = kios_kosync_client_test_finish (KIOS_KOSYNC_CLIENT (source), result, &data->suggested, &data->error);
  g_main_loop_quit (data->loop);
}

static gboolean
fail_timeout_cb (gpointer user_data)
{
  g_error ("test timed out");
  return G_SOURCE_REMOVE;
}

static void
test_async (void)
{
  const Family                *f = &families[2];
  g_autoptr (KiosFakeKosync)   fake = fake_new (f);
  g_autoptr (KiosKosyncClient) client = good_client (fake, f);
  AsyncData                    data = { g_main_loop_new (NULL, FALSE) };
  guint                        guard = g_timeout_add_seconds (20, fail_timeout_cb, NULL);

  kios_fake_kosync_set_progress (fake, HASH, XPOINTER, 0.4, "KOReader", "K", 0);
  kios_kosync_client_pull_async (client, HASH, NULL, pull_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_cmpstr (data.remote->progress, ==, XPOINTER);
  kios_remote_position_free (data.remote);

  {
    g_autofree char             *bare = g_strdup (kios_fake_kosync_get_host_url (fake));
    g_autoptr (KiosKosyncClient) wrong = client_for (fake, f, bare, f->auth, f->password);

    kios_kosync_client_test_async (wrong, NULL, test_cb, &data);
    g_main_loop_run (data.loop);
    g_assert_false (data.ok);
    g_assert_error (data.error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
    g_assert_true (g_str_has_suffix (data.suggested, "/api/koreader"));
    g_clear_error (&data.error);
    g_free (data.suggested);
  }
  g_source_remove (guard);
  g_main_loop_unref (data.loop);
}

static gboolean
cancel_soon_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* A server that takes the request and never answers is told apart from
 * one that is not there: the first times out, the second cannot be reached. */
static void
test_hanging_vs_dead (void)
{
  const Family                *f = &families[0];
  g_autoptr (KiosFakeKosync)   fake = fake_new (f);
  g_autoptr (KiosKosyncClient) hanging = good_client (fake, f);
  g_autoptr (KiosKosyncClient) dead = kios_kosync_client_new ("http://127.0.0.1:1", KIOS_KOSYNC_AUTH_HEADERS, "kios",
                                                              "pass");
  g_autoptr (GError)           error = NULL;
  KiosRemotePosition          *remote;
  gint64                       start;

  kios_kosync_client_set_device (dead, "Kios", "D");
  kios_fake_kosync_set_delay (fake, 0, TRUE);
  kios_kosync_client_set_timeout (hanging, 700);
  start = g_get_monotonic_time ();
  g_assert_false (kios_kosync_client_push_sync (hanging, HASH, XPOINTER, 0.5, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 600);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 5000);
  g_clear_error (&error);
  remote = kios_kosync_client_pull_sync (hanging, HASH, NULL, &error);
  g_assert_null (remote);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_assert_false (kios_kosync_client_check_auth_sync (hanging, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT);
  g_clear_error (&error);

  g_assert_false (kios_kosync_client_push_sync (dead, HASH, XPOINTER, 0.5, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK);
}

static void
test_slow_and_failing (void)
{
  const Family                *f = &families[0];
  g_autoptr (KiosFakeKosync)   fake = fake_new (f);
  g_autoptr (KiosKosyncClient) client = good_client (fake, f);
  g_autoptr (GError)           error = NULL;
  g_autoptr (GCancellable)     cancellable = g_cancellable_new ();
  AsyncData                    data = { g_main_loop_new (NULL, FALSE) };
  guint                        guard = g_timeout_add_seconds (10, fail_timeout_cb, NULL);
  gint64                       start;

  /* 5xx: a server error, transient. */
  kios_fake_kosync_set_forced_status (fake, 502);
  g_assert_false (kios_kosync_client_push_sync (client, HASH, XPOINTER, 0.5, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER);
  g_clear_error (&error);
  kios_fake_kosync_set_forced_status (fake, 0);

  /* Slow but within the timeout: fine. */
  kios_fake_kosync_set_delay (fake, 300, FALSE);
  g_assert_true (kios_kosync_client_push_sync (client, HASH, XPOINTER, 0.5, NULL, &error));
  g_assert_no_error (error);

  /* A server that never answers: cancelling returns at once. */
  kios_fake_kosync_set_delay (fake, 0, TRUE);
  start = g_get_monotonic_time ();
  kios_kosync_client_pull_async (client, HASH, cancellable, pull_cb, &data);
  g_timeout_add (100, cancel_soon_cb, cancellable);
  g_main_loop_run (data.loop);
  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (data.remote);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 400);
  g_clear_error (&data.error);

  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, "PUT", "/syncs/progress"), ==, 2);
  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, "GET", "/syncs/progress/" HASH), ==, 1);
  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, NULL, NULL), ==, 3);

  g_source_remove (guard);
  g_main_loop_unref (data.loop);
}

static void
test_redaction (void)
{
  g_autoptr (GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString)   messages = g_string_new (NULL);
  g_autofree char      *log = NULL;

  g_setenv ("KIOS_HTTP_DEBUG", "1", TRUE);
  g_mutex_lock (&log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&log_lock);

  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const Family *f = &families[i];

      for (int wrong = 0; wrong < 2; wrong++)
        {
          g_autoptr (KiosFakeKosync)     fake = fake_new (f);
          g_autoptr (KiosKosyncClient)   client = NULL;
          g_autoptr (KiosRemotePosition) remote = NULL;
          g_autoptr (GError)             e1 = NULL;
          g_autoptr (GError)             e2 = NULL;
          g_autoptr (GError)             e3 = NULL;
          g_autofree char               *base = kios_fake_kosync_get_base_url (fake);
          const char                    *password = wrong ? "Wr0ng-Passw0rd" : f->password;

          if (f->password != NULL && strlen (f->password) >= 3)
            {
              g_autofree char *pair = g_strdup_printf ("%s:%s", f->user, f->password);
              g_ptr_array_add (secrets, g_strdup (f->password));
              g_ptr_array_add (secrets, g_compute_checksum_for_string (G_CHECKSUM_MD5, f->password, -1));
              g_ptr_array_add (secrets, g_base64_encode ((const guchar *) pair, strlen (pair)));
            }
          if (f->family == KIOS_FAKE_KOSYNC_KOMGA || f->family == KIOS_FAKE_KOSYNC_KAVITA || f->family == KIOS_FAKE_KOSYNC_STUMP)
            g_ptr_array_add (secrets, g_strdup (f->user));

          /* Wrong: the bare host (probing with the credentials) plus a wrong password. */
          if (wrong)
            {
              g_autofree char *typed = g_strconcat (kios_fake_kosync_get_host_url (fake),
                                                    f->family == KIOS_FAKE_KOSYNC_KAVITA ? "/koreader/" : "/x/",
                                                    f->user, NULL);
              client = client_for (fake, f, typed, f->auth, password);
            }
          else
            client = client_for (fake, f, base, f->auth, password);

          kios_kosync_client_test_sync (client, NULL, NULL, &e1);
          kios_kosync_client_push_sync (client, HASH, XPOINTER, 0.5, NULL, &e2);
          remote = kios_kosync_client_pull_sync (client, HASH, NULL, &e3);
          {
            GError *errors[] = { e1, e2, e3 };
            for (gsize k = 0; k < G_N_ELEMENTS (errors); k++)
              if (errors[k] != NULL)
                g_string_append_printf (messages, "%s\n", errors[k]->message);
          }
        }
    }
  g_ptr_array_add (secrets, g_strdup ("Wr0ng-Passw0rd"));
  g_unsetenv ("KIOS_HTTP_DEBUG");

  g_mutex_lock (&log_lock);
  log = g_strdup (captured_log->str);
  g_mutex_unlock (&log_lock);

  /* Debug logging really ran, and errors really happened ... */
  g_assert_nonnull (strstr (log, "> GET "));
  g_assert_nonnull (strstr (log, "x-auth-key: REDACTED"));
  g_assert_nonnull (strstr (log, "Authorization: REDACTED"));
  g_assert_cmpuint (messages->len, >, 0);
  /* ... and no secret is in any of it. */
  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = secrets->pdata[i];
      if (strstr (log, secret) != NULL || strstr (messages->str, secret) != NULL)
        g_error ("secret %u leaked", i);
    }
}

/* ---- the decision (PRODUCT.md "Decide") --------------------------------- */

typedef struct
{
  const char      *name;
  KiosBookFormat   format;
  int              local_chapter; /* -1: no local position */
  gint64           local_offset;
  int              remote_chapter; /* -1: no remote */
  gint64           remote_offset;
  int              local_page;
  int              remote_page;
  gint64           page_chars;
  gboolean         page_turned;
  const char      *remote_device_id;
  KiosSyncDecision expected;
} DecisionCase;

static void
test_decide (void)
{
  static const DecisionCase cases[] = {
    { "no remote", KIOS_BOOK_FORMAT_EPUB, 3, 100, -1, 0, -1, -1, 0, FALSE, NULL, KIOS_SYNC_DECISION_NONE },
    { "own echo", KIOS_BOOK_FORMAT_EPUB, 3, 100, 9, 0, -1, -1, 0, FALSE, "own-device", KIOS_SYNC_DECISION_NONE },
    { "own echo, case", KIOS_BOOK_FORMAT_EPUB, 3, 100, 9, 0, -1, -1, 0, FALSE, "OWN-DEVICE", KIOS_SYNC_DECISION_NONE },
    { "page turned", KIOS_BOOK_FORMAT_EPUB, 3, 100, 9, 0, -1, -1, 0, TRUE, "kobo", KIOS_SYNC_DECISION_NONE },
    { "later chapter", KIOS_BOOK_FORMAT_EPUB, 3, 100, 4, 0, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_PROMPT },
    { "earlier chapter", KIOS_BOOK_FORMAT_EPUB, 3, 100, 2, 90000, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_IGNORE_BEHIND },
    { "far in chapter", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 3100, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_PROMPT },
    { "slightly ahead", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 600, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_APPLY_SILENTLY },
    { "exactly a page", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 1600, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_APPLY_SILENTLY },
    { "same place", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 100, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_NONE },
    { "a bit behind", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 90, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_IGNORE_BEHIND },
    { "small pages", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 250, -1, -1, 100, FALSE, "kobo", KIOS_SYNC_DECISION_PROMPT },
    { "2 pages on", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 200, 4, 6, 0, FALSE, "kobo", KIOS_SYNC_DECISION_PROMPT },
    { "next page", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 90000, 4, 5, 0, FALSE, "kobo", KIOS_SYNC_DECISION_APPLY_SILENTLY },
    { "same page", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 150, 4, 4, 0, FALSE, "kobo", KIOS_SYNC_DECISION_NONE },
    { "same page, behind", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 50, 4, 4, 0, FALSE, "kobo", KIOS_SYNC_DECISION_IGNORE_BEHIND },
    { "page back", KIOS_BOOK_FORMAT_EPUB, 3, 100, 3, 900, 4, 3, 0, FALSE, "kobo", KIOS_SYNC_DECISION_IGNORE_BEHIND },
    { "never read, far", KIOS_BOOK_FORMAT_EPUB, -1, 0, 3, 0, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_PROMPT },
    { "never read, near", KIOS_BOOK_FORMAT_EPUB, -1, 0, 0, 200, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_APPLY_SILENTLY },
    { "pdf far", KIOS_BOOK_FORMAT_PDF, 10, 0, 15, 0, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_PROMPT },
    { "pdf next", KIOS_BOOK_FORMAT_PDF, 10, 0, 11, 0, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_APPLY_SILENTLY },
    { "pdf same", KIOS_BOOK_FORMAT_PDF, 10, 0, 10, 0, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_NONE },
    { "pdf behind", KIOS_BOOK_FORMAT_PDF, 10, 0, 8, 0, -1, -1, 0, FALSE, "kobo", KIOS_SYNC_DECISION_IGNORE_BEHIND },
    { "pdf page turned", KIOS_BOOK_FORMAT_PDF, 10, 0, 80, 0, -1, -1, 0, TRUE, "kobo", KIOS_SYNC_DECISION_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DecisionCase   *c = &cases[i];
      KiosPosition          local = { 0 };
      KiosPosition          remote = { 0 };
      KiosSyncDecisionInput input = { 0 };
      g_autofree char      *reason = NULL;
      KiosSyncDecision      decision;

      local.format = remote.format = c->format;
      local.chapter = c->local_chapter;
      local.offset = c->local_offset;
      remote.chapter = c->remote_chapter;
      remote.offset = c->remote_offset;
      input.local = c->local_chapter >= 0 ? &local : NULL;
      input.remote = c->remote_chapter >= 0 ? &remote : NULL;
      input.local_page = c->local_page;
      input.remote_page = c->remote_page;
      input.screen_page_chars = c->page_chars;
      input.page_turned = c->page_turned;
      input.own_device_id = "own-device";
      input.remote_device_id = c->remote_device_id;

      decision = kios_sync_decide (&input, &reason);
      g_test_message ("%s: %s (%s)", c->name, kios_sync_decision_to_string (decision), reason);
      g_assert_cmpstr (kios_sync_decision_to_string (decision), ==, kios_sync_decision_to_string (c->expected));
      g_assert_nonnull (reason);
    }
  g_assert_cmpstr (kios_sync_decision_to_string (KIOS_SYNC_DECISION_APPLY_SILENTLY), ==, "apply-silently");
  g_assert_cmpstr (kios_sync_decision_to_string (KIOS_SYNC_DECISION_IGNORE_BEHIND), ==, "ignore-behind");
}

static void
test_normalize_xpointer (void)
{
  static const struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "/body/DocFragment[12]/body/div/p[7]/text().153", "/body/DocFragment[12]/body/div/p[7]/text().153" },
    { "/body[1]/DocFragment[12]/body[1]/div[1]/p[7]/text()[1].153",
      "/body/DocFragment[12]/body/div[1]/p[7]/text()[1].153" },
    { "/body/DocFragment/body/p[2]/text().3", "/body/DocFragment[1]/body/p[2]/text().3" },
    { "/body/DocFragment.0", "/body/DocFragment[1].0" },
    { "/body/DocFragment[3].0", "/body/DocFragment[3].0" },
    { "#_doc_fragment_4_ch3", "/body/DocFragment[5].0" },
    { "#_doc_fragment12", "/body/DocFragment[13].0" },
    { "#_doc_fragment_x", NULL },
    { "56", NULL },
    { "", NULL },
    { "epubcfi(/6/4!/4/2)", NULL },
    { "/html/body/p", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = kios_sync_normalize_xpointer (cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
  g_assert_null (kios_sync_normalize_xpointer (NULL));
}

static KiosPosition *
resolve (KiosDocument *document,
         const char   *progress,
         double        percentage)
{
  KiosRemotePosition remote = { (char *) HASH, (char *) progress, percentage, (char *) "KOReader",
                                (char *) "K0", 1700000000 };
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_sync_resolve_remote (document, &remote, &error);

  g_assert_no_error (error);
  g_assert_nonnull (position);
  g_assert_cmpint (position->updated_at, ==, 1700000000);
  g_assert_cmpstr (position->device_id, ==, "K0");
  return position;
}

static void
test_resolve_epub (void)
{
  g_autofree char         *path = kios_test_book ("persuasion.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (path, &error);
  g_autoptr (KiosPosition) mid = NULL;
  g_autoptr (KiosPosition) exact = NULL;
  g_autoptr (KiosPosition) indexed = NULL;
  g_autoptr (KiosPosition) komga = NULL;
  g_autoptr (KiosPosition) komga_far = NULL;
  g_autoptr (KiosPosition) kavita = NULL;
  g_autoptr (KiosPosition) garbage = NULL;
  g_autoptr (KiosPosition) fragment_id = NULL;
  g_autoptr (GString)      with_index = NULL;
  g_autofree char         *chapter_start = NULL;
  g_autofree char         *kavita_xp = NULL;

  g_assert_no_error (error);
  mid = kios_document_parse_position (document, "chapter:6:0.5", &error);
  g_assert_no_error (error);
  g_assert_nonnull (mid->xpointer);
  g_assert_cmpint (mid->chapter, ==, 6);

  /* The classic form lands exactly where it was taken. */
  exact = resolve (document, mid->xpointer, 0.01);
  g_assert_cmpint (exact->chapter, ==, 6);
  g_assert_cmpint (exact->offset, ==, mid->offset);

  /* The [1]-indexed prefix of DOM 20260812 lands in the same chapter. */
  with_index = g_string_new (mid->xpointer);
  g_string_replace (with_index, "/body/DocFragment[", "/body[1]/DocFragment[", 1);
  g_string_replace (with_index, "]/body/", "]/body[1]/", 1);
  indexed = resolve (document, with_index->str, 0.01);
  g_assert_cmpint (indexed->chapter, ==, 6);

  /* Komga keeps the chapter start; the percentage refines it inside it. */
  chapter_start = g_strdup_printf ("/body/DocFragment[%d].0", 7);
  komga = resolve (document, chapter_start, mid->total_progress);
  g_assert_cmpint (komga->chapter, ==, 6);
  g_assert_cmpint (komga->offset, >, 0);
  g_assert_cmpfloat_with_epsilon (komga->total_progress, mid->total_progress, 0.01);
  /* ... unless the percentage points elsewhere: then the chapter start. */
  komga_far = resolve (document, chapter_start, 0.99);
  g_assert_cmpint (komga_far->chapter, ==, 6);
  g_assert_cmpint (komga_far->offset, ==, 0);

  /* Kavita drops offsets and rebuilds the path: still the right chapter. */
  kavita_xp = g_strdup_printf ("/body/DocFragment[%d]/body/p[1]", 7);
  kavita = resolve (document, kavita_xp, 0.0);
  g_assert_cmpint (kavita->chapter, ==, 6);

  /* crengine's id form. */
  fragment_id = resolve (document, "#_doc_fragment_6_chapter", 0.0);
  g_assert_cmpint (fragment_id->chapter, ==, 6);

  /* Not an xpointer at all (another rendition, a CFI): the percentage. */
  garbage = resolve (document, "epubcfi(/6/14!/4/2)", 0.5);
  g_assert_cmpfloat_with_epsilon (garbage->total_progress, 0.5, 0.05);
}

static void
test_resolve_pdf (void)
{
  g_autofree char         *path = kios_test_book ("persuasion.pdf");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (path, &error);
  g_autoptr (KiosPosition) page = NULL;
  g_autoptr (KiosPosition) beyond = NULL;
  int                      n;

  g_assert_no_error (error);
  n = kios_document_get_n_chapters (document);
  g_assert_cmpint (n, >, 20);

  page = resolve (document, "12", 0.0);
  g_assert_cmpint (page->format, ==, KIOS_BOOK_FORMAT_PDF);
  g_assert_cmpint (page->chapter, ==, 11);

  /* A page this PDF does not have: the percentage decides. */
  beyond = resolve (document, "999999", 0.5);
  g_assert_cmpint (ABS (beyond->chapter - n / 2), <=, 2);
}

/* ---- kiosctl source / sync, end to end over loopback --------------------- */

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode          *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_no_secret (const KiosctlRun *run,
                  const char       *secret)
{
  if (strstr (run->out, secret) != NULL || strstr (run->err, secret) != NULL)
    g_error ("kiosctl printed a secret");
}

static void
test_kiosctl_cwa (void)
{
  const Family              *f = &families[1];
  g_autofree char           *book = kios_test_book ("persuasion.epub");
  g_autofree char           *hash = kios_book_hash_file (book, NULL);
  g_autoptr (KiosFakeKosync) fake = kios_fake_kosync_new (f->family);
  g_autofree char           *base = kios_fake_kosync_get_base_url (fake);
  const char                *host = kios_fake_kosync_get_host_url (fake);
  g_autofree char           *password_line = g_strconcat (f->password, "\n", NULL);
  g_autofree char           *expected_hint = g_strdup_printf ("Did you mean %s/kosync?", host);
  KiosFakeServer            *server = kios_fake_kosync_get_server (fake);

  kios_fake_kosync_add_user (fake, f->user, f->password);

  /* The bare host first: added fine, but the test says what to type. */
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, password_line, "source", "add", "--kind", "kosync", "--name", "cwa", "--url", host,
                       "--auth", "basic", "--user", f->user, "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "test", "cwa", NULL);
    g_assert_cmpint (run.status, ==, 1);
    /* The table's sentence: the URL that answered, and whose mount it is. */
    g_assert_nonnull (strstr (run.err, expected_hint));
    g_assert_nonnull (strstr (run.err, "That is where Calibre-Web-Automated serves KOReader sync."));
    g_assert_nonnull (strstr (run.err, "kiosctl: The address of "));
    g_assert_nonnull (strstr (run.err, "is not the one Kios needs for this kind of server"));
    /* The core's English only in the debug log, before the sentence. */
    g_assert_null (strstr (strstr (run.err, "kiosctl: "), "A bare host name"));
    assert_no_secret (&run, f->password);
  }
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;
    JsonObject          *source;

    kios_test_kiosctl (&run, NULL, "source", "list", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = parse_json (run.out);
    source = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "sources"), 0);
    g_assert_cmpstr (json_object_get_string_member (source, "name"), ==, "cwa");
    g_assert_cmpstr (json_object_get_string_member (source, "url"), ==, host);
    g_assert_cmpstr (json_object_get_string_member (source, "auth"), ==, "basic");
    assert_no_secret (&run, f->password);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "remove", "cwa", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "remove", "cwa", NULL);
    g_assert_cmpint (run.status, ==, 1);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    /* No --auth: /kosync means HTTP Basic (Calibre-Web-Automated). */
    kios_test_kiosctl (&run, password_line, "source", "add", "--kind", "kosync", "--name", "cwa", "--url", base,
                       "--user", f->user, "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "test", "cwa", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_secret (&run, f->password);
  }

  /* Pull with nothing on the server: remote null, decision none, nothing changed. */
  kios_fake_server_clear_log (server);
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;
    JsonObject          *o;

    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = parse_json (run.out);
    o = json_node_get_object (root);
    g_assert_cmpstr (json_object_get_string_member (o, "protocol"), ==, "kosync");
    g_assert_cmpstr (json_object_get_string_member (o, "source"), ==, "cwa");
    g_assert_true (json_object_get_null_member (o, "remote"));
    g_assert_cmpstr (json_object_get_string_member (o, "decision"), ==, "none");
    g_assert_true (json_object_has_member (o, "reason"));
  }

  /* Another device is in chapter 12: prompt, and still nothing changes here. */
  kios_fake_kosync_set_progress (fake, hash, "/body/DocFragment[12].0", 0.4, "Kobo Libra", "KOBO1", 1700000000);
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;
    JsonObject          *o, *remote;

    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = parse_json (run.out);
    o = json_node_get_object (root);
    remote = json_object_get_object_member (o, "remote");
    g_assert_cmpint (json_object_get_int_member (remote, "chapter"), ==, 11);
    g_assert_cmpstr (json_object_get_string_member (remote, "device"), ==, "Kobo Libra");
    g_assert_cmpstr (json_object_get_string_member (remote, "updated_at"), ==, "2023-11-14T22:13:20Z");
    g_assert_cmpstr (json_object_get_string_member (remote, "progress"), ==, "/body/DocFragment[12].0");
    g_assert_cmpstr (json_object_get_string_member (o, "decision"), ==, "prompt");
  }
  for (guint i = 0; i < kios_fake_server_get_n_requests (server); i++)
    {
      g_autoptr (KiosFakeRequest) r = kios_fake_server_get_request (server, i);
      g_assert_cmpstr (r->method, ==, "GET");
    }

  /* Push needs a local position: none yet. */
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "sync", "push", book, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "no saved position"));
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "position", book, "--set", "chapter:4:0.25", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  kios_fake_server_clear_log (server);
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;
    g_autofree char     *stored = NULL;
    JsonObject          *o;

    kios_test_kiosctl (&run, NULL, "sync", "push", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = parse_json (run.out);
    o = json_node_get_object (root);
    g_assert_true (json_object_get_boolean_member (o, "pushed"));
    g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 1);
    stored = kios_fake_kosync_get_stored_progress (fake, hash);
    g_assert_cmpstr (stored, ==, json_object_get_string_member (o, "progress"));
    g_assert_true (g_str_has_prefix (stored, "/body/DocFragment[5]/"));
    assert_no_secret (&run, f->password);
  }

  /* Now the local position is in chapter 5 and the remote in 5 too: not a prompt. */
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;

    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = parse_json (run.out);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "decision"), ==, "none");
  }
  /* A failing server: the table's sentence naming it, never the core's
   * English (that stays in the debug log, before the sentence). */
  kios_fake_kosync_set_forced_status (fake, 502);
  {
    g_autofree char *host_port = g_strdup (strstr (host, "://") + 3);
    g_autofree char *expected = g_strdup_printf ("kiosctl: %s ran into a problem of its own. Try again later.",
                                                 host_port);
    const char      *verbs[] = { "pull", "push" };

    for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
      {
        g_auto (KiosctlRun) run = { 0 };

        kios_test_kiosctl (&run, NULL, "sync", verbs[i], book, NULL);
        g_test_message ("sync %s: %s", verbs[i], run.err);
        g_assert_cmpint (run.status, ==, 1);
        g_assert_nonnull (strstr (run.err, expected));
        g_assert_null (strstr (strstr (run.err, "kiosctl: "), "HTTP"));
      }
  }
  kios_fake_kosync_set_forced_status (fake, 0);
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "remove", "cwa", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
}

static void
test_kiosctl_key_in_url (void)
{
  const Family              *f = &families[5]; /* Kavita */
  g_autoptr (KiosFakeKosync) fake = fake_new (f);
  g_autofree char           *base = kios_fake_kosync_get_base_url (fake);
  g_autofree char           *wrong = g_strconcat (kios_fake_kosync_get_host_url (fake), "/api/koreader/WRONGKEY123", NULL);

  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kosync", "--name", "kavita", "--url", base, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_secret (&run, f->user);
  }
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;
    JsonObject          *source;

    kios_test_kiosctl (&run, NULL, "source", "list", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = parse_json (run.out);
    source = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "sources"), 0);
    /* The whole URL is a secret: in the keyring, never in the store or output. */
    g_assert_true (json_object_get_null_member (source, "url"));
    g_assert_true (json_object_get_boolean_member (source, "url_in_keyring"));
    assert_no_secret (&run, f->user);
  }
  {
    g_autofree char *db = kios_paths_library_db ();
    g_autofree char *contents = NULL;
    gsize            len = 0;

    g_assert_true (g_file_get_contents (db, &contents, &len, NULL));
    g_assert_null (g_strstr_len (contents, len, f->user));
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "test", "kavita", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_no_secret (&run, f->user);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "remove", "kavita", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kosync", "--name", "kavita", "--url", wrong, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "test", "kavita", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "refused"));
    assert_no_secret (&run, "WRONGKEY123");
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "remove", "kavita", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
}

static void
test_kiosctl_usage (void)
{
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "webdav", "--name", "x", "--url", "https://h", NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kosync", "--name", "x", "--url", "https://h",
                       "--password", "hunter22", NULL);
    g_assert_cmpint (run.status, ==, 2);
    assert_no_secret (&run, "hunter22");
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kosync", "--name", "x", "--url", "ftp://h", NULL);
    g_assert_cmpint (run.status, ==, 1);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "sync", "pull", NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    g_autofree char    *book = kios_test_book ("persuasion.epub");
    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "no KOReader sync account"));
  }
}

/* ---- hostile replies ------------------------------------------------------ */

typedef struct
{
  guint       status;
  const char *content_type;
  const char *body;
} Canned;

static void
canned_handler (KiosFakeServer        *server,
                const KiosFakeRequest *request,
                KiosFakeResponse      *response,
                gpointer               user_data)
{
  const Canned *c = user_data;

  kios_fake_response_set_text (response, c->status, c->content_type, c->body);
}

static void
test_hostile_replies (void)
{
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GString) huge = g_string_new ("{\"percentage\":0.5,\"progress\":\"");

  for (int i = 0; i < 5000; i++)
    g_string_append (deep, "[");
  for (int i = 0; i < 5000; i++)
    g_string_append (deep, "]");
  for (int i = 0; i < 300 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\"}");

  {
    const struct
    {
      Canned   reply;
      gboolean auth_ok;
      int      pull_code; /* 0: none, -1: a position */
    } cases[] = {
      { { 200, "application/json", "{\"authorized\":\"OK\"}" }, TRUE, 0 },
      { { 200, "application/json", "{" }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
      { { 200, "application/json", "null" }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
      { { 200, "application/json", "[]" }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
      { { 200, "application/json", deep->str }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
      { { 200, "application/json", huge->str }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
      { { 200, "text/plain", "" }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
      { { 200, "text/html", "<html><body>Login</body></html>" }, FALSE, KIOS_SYNC_ERROR_WRONG_URL },
      { { 200, "application/json", "{\"authorized\":\"NO\"}" }, FALSE, 0 },
      { { 200, "application/json", "{\"percentage\":\"abc\",\"progress\":\"/body/DocFragment[2].0\"}" }, FALSE, 0 },
      { { 200, "application/json", "{\"percentage\":0.5,\"progress\":17}" }, FALSE, -1 },
      { { 200, "application/json", "{\"percentage\":1e300,\"progress\":\"5\",\"timestamp\":\"zzz\"}" }, FALSE, -1 },
      { { 500, "text/html", "<h1>oops</h1>" }, FALSE, KIOS_SYNC_ERROR_SERVER },
      { { 302, "text/html", "" }, FALSE, KIOS_SYNC_ERROR_WRONG_URL },
      { { 418, "application/json", "{}" }, FALSE, KIOS_SYNC_ERROR_PROTOCOL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr (KiosFakeServer)     server = kios_fake_server_new (canned_handler, (gpointer) &cases[i].reply);
        g_autoptr (KiosKosyncClient)   client = kios_kosync_client_new (kios_fake_server_get_url (server),
                                                                        KIOS_KOSYNC_AUTH_HEADERS, "u", "p4ss");
        g_autoptr (KiosRemotePosition) remote = NULL;
        g_autoptr (GError)             auth_error = NULL;
        g_autoptr (GError)             pull_error = NULL;

        g_test_message ("case %zu", i);
        g_assert_cmpint (kios_kosync_client_check_auth_sync (client, NULL, &auth_error), ==, cases[i].auth_ok);
        if (!cases[i].auth_ok)
          g_assert_nonnull (auth_error);

        remote = kios_kosync_client_pull_sync (client, HASH, NULL, &pull_error);
        if (cases[i].pull_code == 0)
          {
            g_assert_no_error (pull_error);
            g_assert_null (remote);
          }
        else if (cases[i].pull_code == -1)
          {
            g_assert_no_error (pull_error);
            g_assert_nonnull (remote);
            g_assert_cmpfloat (remote->percentage, >=, 0.0);
            g_assert_cmpfloat (remote->percentage, <=, 1.0);
            g_assert_nonnull (remote->progress);
          }
        else
          {
            g_assert_null (remote);
            g_assert_error (pull_error, KIOS_SYNC_ERROR, cases[i].pull_code);
          }
      }
  }
}

static void
test_guess_server (void)
{
  static const struct
  {
    const char    *url;
    const char    *name;
    KiosKosyncAuth auth;
  } cases[] = {
    { "https://your-server:8083/kosync", "Calibre-Web-Automated", KIOS_KOSYNC_AUTH_BASIC },
    { "https://your-server:8083/prefix/kosync/", "Calibre-Web-Automated", KIOS_KOSYNC_AUTH_BASIC },
    { "https://your-server:6062/api/koreader", "Grimmory / BookLore", KIOS_KOSYNC_AUTH_HEADERS },
    { "https://your-server:25600/koreader", "Komga", KIOS_KOSYNC_AUTH_HEADERS },
    { "https://your-server:5000/api/koreader/your-api-key", "Kavita", KIOS_KOSYNC_AUTH_HEADERS },
    { "https://your-server:10801/koreader/your-api-key", "Stump", KIOS_KOSYNC_AUTH_HEADERS },
    { "https://your-server", "koreader-sync-server", KIOS_KOSYNC_AUTH_HEADERS },
    { "https://sync.koreader.rocks:443/", "koreader-sync-server", KIOS_KOSYNC_AUTH_HEADERS },
    { "https://your-server/opds", NULL, KIOS_KOSYNC_AUTH_HEADERS },
    { "not a url", NULL, KIOS_KOSYNC_AUTH_HEADERS },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      KiosKosyncAuth auth = KIOS_KOSYNC_AUTH_HEADERS;
      g_assert_cmpstr (kios_kosync_guess_server (cases[i].url, &auth), ==, cases[i].name);
      g_assert_cmpint (auth, ==, cases[i].auth);
    }
  g_assert_null (kios_kosync_guess_server (NULL, NULL));
}

int
main (int argc, char **argv)
{
  /* Every debug line is produced and captured: none may carry a secret. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  kios_test_add_func ("/kios/kosync-client/auth-ok", test_auth_ok);
  kios_test_add_func ("/kios/kosync-client/wrong-password", test_wrong_password);
  kios_test_add_func ("/kios/kosync-client/wrong-auth-method", test_wrong_auth_method);
  kios_test_add_func ("/kios/kosync-client/bare-host", test_bare_host);
  kios_test_add_func ("/kios/kosync-client/disabled", test_disabled);
  kios_test_add_func ("/kios/kosync-client/push-pull", test_push_pull);
  kios_test_add_func ("/kios/kosync-client/pull-no-progress", test_pull_no_progress);
  kios_test_add_func ("/kios/kosync-client/unknown-book", test_unknown_book);
  kios_test_add_func ("/kios/kosync-client/komga-conflict", test_komga_conflict);
  kios_test_add_func ("/kios/kosync-client/stump-finished", test_stump_finished);
  kios_test_add_func ("/kios/kosync-client/remote-other-device", test_remote_other_device);
  kios_test_add_func ("/kios/kosync-client/no-retry-on-auth", test_no_retry_on_auth);
  kios_test_add_func ("/kios/kosync-client/official-accept", test_official_accept);
  kios_test_add_func ("/kios/kosync-client/timestamps", test_timestamps);
  kios_test_add_func ("/kios/kosync-client/percentage", test_percentage);
  kios_test_add_func ("/kios/kosync-client/url-has-key", test_url_has_key);
  kios_test_add_func ("/kios/kosync-client/guess-server", test_guess_server);
  kios_test_add_func ("/kios/kosync-client/async", test_async);
  kios_test_add_func ("/kios/kosync-client/slow-and-failing", test_slow_and_failing);
  kios_test_add_func ("/kios/kosync-client/hanging-vs-dead", test_hanging_vs_dead);
  kios_test_add_func ("/kios/kosync-client/redaction", test_redaction);
  kios_test_add_func ("/kios/kosync-client/hostile-replies", test_hostile_replies);
  kios_test_add_func ("/kios/sync-decision/decide", test_decide);
  kios_test_add_func ("/kios/sync-decision/normalize-xpointer", test_normalize_xpointer);
  kios_test_add_func ("/kios/sync-decision/resolve-epub", test_resolve_epub);
  kios_test_add_func ("/kios/sync-decision/resolve-pdf", test_resolve_pdf);
  kios_test_add_func ("/kios/kosync-client/kiosctl-cwa", test_kiosctl_cwa);
  kios_test_add_func ("/kios/kosync-client/kiosctl-key-in-url", test_kiosctl_key_in_url);
  kios_test_add_func ("/kios/kosync-client/kiosctl-usage", test_kiosctl_usage);

  return g_test_run ();
}
