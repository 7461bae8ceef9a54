/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-limits-kobo"

#include "config.h"

#include "kios-fake-server.h"
#include "kios-kobo-client.h"
#include "kios-kobo-library-private.h"
#include "kios-limits.h"
#include "kios-sync-remote.h"

#include <string.h>

/*
 * The limits of the Kobo parsers and of sync normalization
 * (kios-limits.h), each crossed: the value at the limit is taken whole,
 * one past it is refused or cut as documented. The real library sync
 * parser and Kobo client, HTTP over loopback with the fake server.
 */

/* ---- one BookMetadata ---------------------------------------------------- */

/* A NewEntitlement item for id with n contributors and n download links. */
static JsonObject *
new_item (const char *id,
          guint       n)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "NewEntitlement");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "BookEntitlement");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Id");
  json_builder_add_string_value (b, id);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "BookMetadata");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Title");
  json_builder_add_string_value (b, "An Anthology");
  json_builder_set_member_name (b, "Contributors");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("Author %u", i);

      json_builder_add_string_value (b, name);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "DownloadUrls");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *format = g_strdup_printf ("FORMAT%u", i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "Format");
      json_builder_add_string_value (b, format);
      json_builder_set_member_name (b, "Url");
      json_builder_add_string_value (b, "https://kobo.example.invalid/download");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_object_ref (json_node_get_object (root));
}

/* Applies the item for id to a new catalog; the entry read back, or NULL. */
static KiosKoboEntry *
apply (const char        *id,
       guint              n,
       KiosKoboSyncStats *stats)
{
  g_autoptr (JsonObject) catalog = json_object_new ();
  g_autoptr (JsonObject) item = new_item (id, n);
  g_autoptr (GPtrArray)  states = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_kobo_reading_state_free);
  JsonObject            *entry;

  memset (stats, 0, sizeof *stats);
  kios_kobo_library_apply_item (catalog, item, states, stats);
  entry = json_object_has_member (catalog, id) ? json_object_get_object_member (catalog, id) : NULL;
  return entry != NULL ? kios_kobo_library_entry_from_json (id, entry) : NULL;
}

static void
test_contributors_and_downloads (void)
{
  g_autoptr (KiosKoboEntry) whole = NULL;
  g_autoptr (KiosKoboEntry) cut = NULL;
  g_autofree char          *last = g_strdup_printf ("Author %u", KIOS_LIMIT_KOBO_CONTRIBUTORS - 1);
  g_autofree char          *last_format = g_strdup_printf ("FORMAT%u", KIOS_LIMIT_KOBO_DOWNLOAD_URLS - 1);
  KiosKoboSyncStats         stats;

  /* At the limit: every contributor and every link. */
  whole = apply ("anthology", KIOS_LIMIT_KOBO_DOWNLOAD_URLS, &stats);
  g_assert_nonnull (whole);
  g_assert_cmpuint (whole->authors->len, ==, KIOS_LIMIT_KOBO_DOWNLOAD_URLS);
  g_assert_cmpuint (whole->formats->len, ==, KIOS_LIMIT_KOBO_DOWNLOAD_URLS);
  g_assert_cmpstr (whole->formats->pdata[KIOS_LIMIT_KOBO_DOWNLOAD_URLS - 1], ==, last_format);
  g_clear_pointer (&whole, kios_kobo_entry_free);
  whole = apply ("anthology", KIOS_LIMIT_KOBO_CONTRIBUTORS, &stats);
  g_assert_cmpuint (whole->authors->len, ==, KIOS_LIMIT_KOBO_CONTRIBUTORS);
  g_assert_cmpstr (whole->authors->pdata[KIOS_LIMIT_KOBO_CONTRIBUTORS - 1], ==, last);

  /* Past it: the first ones are kept, the ones past the limit dropped. */
  cut = apply ("anthology", KIOS_LIMIT_KOBO_CONTRIBUTORS + 1, &stats);
  g_assert_nonnull (cut);
  g_assert_cmpuint (stats.added, ==, 1);
  g_assert_cmpuint (cut->authors->len, ==, KIOS_LIMIT_KOBO_CONTRIBUTORS);
  g_assert_cmpstr (cut->authors->pdata[KIOS_LIMIT_KOBO_CONTRIBUTORS - 1], ==, last);
  g_assert_cmpuint (cut->formats->len, ==, KIOS_LIMIT_KOBO_DOWNLOAD_URLS);
  g_assert_cmpstr (cut->formats->pdata[KIOS_LIMIT_KOBO_DOWNLOAD_URLS - 1], ==, last_format);
}

static void
test_entitlement_id (void)
{
  g_autofree char          *at = g_strnfill (KIOS_LIMIT_KOBO_ID_BYTES, 'a');
  g_autofree char          *past = g_strnfill (KIOS_LIMIT_KOBO_ID_BYTES + 1, 'a');
  g_autoptr (KiosKoboEntry) kept = NULL;
  g_autoptr (KiosKoboEntry) skipped = NULL;
  KiosKoboSyncStats         stats;

  kept = apply (at, 1, &stats);
  g_assert_nonnull (kept);
  g_assert_cmpuint (stats.added, ==, 1);
  skipped = apply (past, 1, &stats);
  g_assert_null (skipped);
  g_assert_cmpuint (stats.added, ==, 0);
  g_assert_cmpuint (stats.skipped, ==, 1);
}

/* ---- the Kobo client ----------------------------------------------------- */

/* Answers the library sync with an empty page and a token of the length
 * the test sets. */
static void
token_handler (KiosFakeServer        *server,
               const KiosFakeRequest *request,
               KiosFakeResponse      *response,
               gpointer               user_data)
{
  gsize           *length = user_data;
  g_autofree char *token = g_strnfill (*length, 'T');

  kios_fake_response_set_text (response, 200, "application/json", "[]");
  kios_fake_response_add_header (response, "x-kobo-synctoken", token);
}

static void
test_sync_token_bytes (void)
{
  gsize                        length = KIOS_LIMIT_KOBO_SYNC_TOKEN_BYTES - 1;
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (token_handler, &length);
  g_autofree char             *base = g_strconcat (kios_fake_server_get_url (server), "/kobo/0f1e2d3c4b5a69788796a5b4c3d2e1f0", NULL);
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosKoboClient)   client = kios_kobo_client_new (base, &error);
  g_autoptr (KiosKoboSyncPage) kept = NULL;
  g_autoptr (KiosKoboSyncPage) dropped = NULL;

  g_assert_no_error (error);
  /* The longest token under the limit is kept whole... */
  kept = kios_kobo_client_sync_page (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);
  g_assert_nonnull (kept->token);
  g_assert_cmpuint (strlen (kept->token), ==, KIOS_LIMIT_KOBO_SYNC_TOKEN_BYTES - 1);
  /* ... one at the limit is not kept (the page still is). */
  length = KIOS_LIMIT_KOBO_SYNC_TOKEN_BYTES;
  dropped = kios_kobo_client_sync_page (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (dropped);
  g_assert_null (dropped->token);
}

/* ---- normalizing what a server says ------------------------------------- */

static void
test_progress_bytes (void)
{
  const char      *head = "/body/DocFragment[3]/body/p[7]/text().";
  g_autofree char *zeros = g_strnfill (KIOS_LIMIT_SYNC_PROGRESS_BYTES - strlen (head) - 1, '0');
  g_autofree char *at = g_strconcat (head, zeros, "5", NULL);
  g_autofree char *past = g_strconcat (head, "0", zeros, "5", NULL);
  g_autofree char *kept = NULL;
  g_autofree char *refused = NULL;

  g_assert_cmpuint (strlen (at), ==, KIOS_LIMIT_SYNC_PROGRESS_BYTES);
  kept = kios_sync_normalize_xpointer (at);
  g_assert_nonnull (kept);
  g_assert_true (g_str_has_prefix (kept, "/body/DocFragment[3]/"));
  refused = kios_sync_normalize_xpointer (past);
  g_assert_null (refused);
}

static void
test_fragments (void)
{
  g_autofree char *last_id = g_strdup_printf ("#_doc_fragment_%u_start", KIOS_LIMIT_SYNC_FRAGMENTS - 1);
  g_autofree char *past_id = g_strdup_printf ("#_doc_fragment_%u_start", KIOS_LIMIT_SYNC_FRAGMENTS);
  g_autofree char *last_path = g_strdup_printf ("/body/DocFragment[%u].0", KIOS_LIMIT_SYNC_FRAGMENTS);
  g_autofree char *past_path = g_strdup_printf ("/body/DocFragment[%u].0", KIOS_LIMIT_SYNC_FRAGMENTS + 1);
  g_autofree char *a = kios_sync_normalize_xpointer (last_id);
  g_autofree char *b = kios_sync_normalize_xpointer (past_id);
  g_autofree char *c = kios_sync_normalize_xpointer (last_path);
  g_autofree char *d = kios_sync_normalize_xpointer (past_path);

  /* The last spine item a book may have, by fragment id and by path. */
  g_assert_cmpstr (a, ==, last_path);
  g_assert_null (b);
  g_assert_cmpstr (c, ==, last_path);
  g_assert_null (d);
}

static void
test_page_digits (void)
{
  g_autofree char *zeros = g_strnfill (KIOS_LIMIT_SYNC_PAGE_DIGITS - 1, '0');
  g_autofree char *at = g_strconcat (zeros, "7", NULL);
  g_autofree char *past = g_strconcat ("0", zeros, "7", NULL);

  g_assert_cmpuint (strlen (at), ==, KIOS_LIMIT_SYNC_PAGE_DIGITS);
  g_assert_cmpint (kios_sync_normalize_page (at), ==, 6);
  g_assert_cmpint (kios_sync_normalize_page (past), ==, -1);
}

/* ---- covers and the stored settings -------------------------------------- */

/* Answers every request with a body of the size the test sets. */
static void
sized_body_handler (KiosFakeServer        *server,
                    const KiosFakeRequest *request,
                    KiosFakeResponse      *response,
                    gpointer               user_data)
{
  gsize *size = user_data;

  response->status = 200;
  response->body = g_bytes_new_take (g_malloc0 (*size), *size);
  kios_fake_response_add_header (response, "Content-Type", "image/jpeg");
}

/* The cover of a book whose cover id is image_id, or NULL with error set. */
static char *
fetch_cover (KiosKoboClient *client,
             const char     *image_id,
             GError        **error)
{
  KiosKoboEntry entry = { 0 };

  entry.id = (char *) image_id;
  entry.cover_image_id = (char *) image_id;
  return kios_kobo_library_fetch_cover (client, &entry, NULL, error);
}

static void
test_cover_bytes (void)
{
  gsize                      size = KIOS_LIMIT_KOBO_COVER_BYTES;
  g_autoptr (KiosFakeServer) server = kios_fake_server_new (sized_body_handler, &size);
  g_autofree char           *base = g_strconcat (kios_fake_server_get_url (server), "/kobo/0f1e2d3c4b5a69788796a5b4c3d2e1f0", NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosKoboClient) client = kios_kobo_client_new (base, &error);
  g_autofree char           *kept = NULL;
  g_autofree char           *refused = NULL;
  g_autofree char           *contents = NULL;
  gsize                      length = 0;

  g_assert_no_error (error);
  kios_kobo_client_set_image_template (client, "/{ImageId}/{Width}/{Height}/false/image.jpg");
  /* A cover at the limit lands in the cache whole... */
  kept = fetch_cover (client, "at-the-limit", &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (kept, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, KIOS_LIMIT_KOBO_COVER_BYTES);
  /* ... one byte more is refused, and nothing is cached for it. */
  size = KIOS_LIMIT_KOBO_COVER_BYTES + 1;
  refused = fetch_cover (client, "past-the-limit", &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_pointer (&refused, g_free);
  refused = fetch_cover (client, "past-the-limit", &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
}

static void
test_catalog_key_bytes (void)
{
  g_autofree char             *at = g_strnfill (KIOS_LIMIT_KOBO_CATALOG_KEY_BYTES, 'k');
  g_autofree char             *past = g_strnfill (KIOS_LIMIT_KOBO_CATALOG_KEY_BYTES + 1, 'k');
  g_autofree char             *json_at = g_strdup_printf ("{\"catalog_key\":\"%s\"}", at);
  g_autofree char             *json_past = g_strdup_printf ("{\"catalog_key\":\"%s\"}", past);
  g_autoptr (KiosKoboSettings) kept = kios_kobo_settings_parse (json_at);
  g_autoptr (KiosKoboSettings) dropped = kios_kobo_settings_parse (json_past);

  g_assert_cmpstr (kept->catalog_key, ==, at);
  g_assert_null (dropped->catalog_key);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/limits-kobo/contributors-downloads", test_contributors_and_downloads);
  g_test_add_func ("/kios/limits-kobo/entitlement-id", test_entitlement_id);
  g_test_add_func ("/kios/limits-kobo/sync-token-bytes", test_sync_token_bytes);
  g_test_add_func ("/kios/limits-kobo/progress-bytes", test_progress_bytes);
  g_test_add_func ("/kios/limits-kobo/fragments", test_fragments);
  g_test_add_func ("/kios/limits-kobo/page-digits", test_page_digits);
  g_test_add_func ("/kios/limits-kobo/cover-bytes", test_cover_bytes);
  g_test_add_func ("/kios/limits-kobo/catalog-key-bytes", test_catalog_key_bytes);

  return g_test_run ();
}
