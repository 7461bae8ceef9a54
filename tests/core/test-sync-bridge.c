/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-bridge"

#include "config.h"

#include "kios-book-hash.h"
#include "kios-fake-kosync.h"
#include "kios-kosync-backend.h"
#include "kios-library-store.h"
#include "kios-paths.h"
#include "kios-sync-settings.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/*
 * KOReader's document-matching methods, bridging between the protocols a
 * server speaks, and pairing a local book with a server entry by hand: the
 * real kiosctl on a real library file and file keyring, against the fake
 * servers over loopback HTTP.
 */

#define KOSYNC "KOReader sync"
#define USER "alice"
#define PASSWORD "correct-horse-battery"

typedef struct
{
  KiosFakeKosync *kosync;
  char           *dir;  /* a folder of this test case's own */
  char           *book; /* a copy of a sample book in dir */
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autofree char   *sample = kios_test_book ("pride-and-prejudice.epub");
  g_autofree char   *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize              length;

  f->dir = g_build_filename (g_get_user_data_dir (), "books-here", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  /* The name KOReader's filename method hashes. */
  f->book = g_build_filename (f->dir, "pride.epub", NULL);
  g_assert_true (g_file_get_contents (sample, &contents, &length, &error));
  g_assert_true (g_file_set_contents (f->book, contents, length, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_clear_pointer (&f->kosync, kios_fake_kosync_free);
  g_free (f->book);
  g_free (f->dir);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* A fake official server with the user, and the account added by kiosctl
 * (match: NULL for the default). */
static void
add_kosync (Fixture             *f,
            KiosFakeKosyncFamily family,
            const char          *match)
{
  g_autofree char    *url = NULL;
  g_auto (KiosctlRun) run = { 0 };

  f->kosync = kios_fake_kosync_new (family);
  kios_fake_kosync_add_user (f->kosync, USER, PASSWORD);
  url = kios_fake_kosync_get_base_url (f->kosync);
  if (match != NULL)
    kios_test_kiosctl (&run, PASSWORD "\n", "source", "add", "--kind", "kosync", "--name", KOSYNC, "--url", url,
                       "--user", USER, "--password-stdin", "--match", match, NULL);
  else
    kios_test_kiosctl (&run, PASSWORD "\n", "source", "add", "--kind", "kosync", "--name", KOSYNC, "--url", url,
                       "--user", USER, "--password-stdin", NULL);
  g_assert_cmpint (run.status, ==, 0);
}

/* ---- matching methods ------------------------------------------------------ */

static void
test_filename_digest (void)
{
  g_autofree char *a = kios_kosync_filename_digest ("/home/me/Books/book.epub");
  g_autofree char *b = kios_kosync_filename_digest ("Moby Dick.epub");
  g_autofree char *c = kios_kosync_filename_digest ("/srv/dir/");
  KiosKosyncMatch  match = KIOS_KOSYNC_MATCH_BINARY;
  KiosSourceRecord record = { 0 };

  /* docs/protocols/KOSYNC.md §3.2 */
  g_assert_cmpstr (a, ==, "03053ffc045564439ff7f2cabb3b58c5");
  g_assert_cmpstr (b, ==, "cdd5016cf10439fc76ab08284361d586");
  g_assert_null (c);

  g_assert_true (kios_kosync_match_from_string ("filename", &match));
  g_assert_cmpint (match, ==, KIOS_KOSYNC_MATCH_FILENAME);
  g_assert_false (kios_kosync_match_from_string ("title", &match));

  /* Defaults, and every other setting kept. */
  g_assert_cmpint (kios_source_record_get_match (&record), ==, KIOS_KOSYNC_MATCH_BINARY);
  g_assert_false (kios_source_record_get_bridge (&record));
  record.settings_json = g_strdup ("{\"enabled\":false,\"other\":[1]}");
  kios_source_record_set_match (&record, KIOS_KOSYNC_MATCH_FILENAME);
  kios_source_record_set_bridge (&record, TRUE);
  g_assert_cmpint (kios_source_record_get_match (&record), ==, KIOS_KOSYNC_MATCH_FILENAME);
  g_assert_true (kios_source_record_get_bridge (&record));
  g_assert_false (kios_source_record_get_enabled (&record));
  g_assert_nonnull (strstr (record.settings_json, "\"other\":[1]"));
  g_free (record.settings_json);

  g_assert_true (kios_kosync_document_id_is_valid ("03053ffc045564439ff7f2cabb3b58c5"));
  g_assert_false (kios_kosync_document_id_is_valid ("../etc"));
  g_assert_false (kios_kosync_document_id_is_valid (""));
}

/* kiosctl: push by the account's method, then the server holds the
 * position under the id that method gives (GET /syncs/progress/<id>). */
static void
test_match_kiosctl (Fixture      *f,
                    gconstpointer data)
{
  const char                    *method = data;
  gboolean                       by_name = g_str_equal (method, "filename");
  g_autofree char               *hash = NULL;
  g_autofree char               *name_id = NULL;
  g_autofree char               *stored = NULL;
  g_autofree char               *other = NULL;
  g_autofree char               *suffix = NULL;
  g_auto (KiosctlRun)            run = { 0 };
  g_autoptr (JsonObject)         pushed = NULL;
  g_autoptr (JsonObject)         pulled = NULL;
  g_autoptr (KiosKosyncClient)   client = NULL;
  g_autoptr (KiosRemotePosition) remote = NULL;
  g_autoptr (GError)             error = NULL;
  g_autofree char               *url = NULL;
  const char                    *expected;

  add_kosync (f, KIOS_FAKE_KOSYNC_OFFICIAL, method);
  hash = kios_book_hash_file (f->book, &error);
  g_assert_no_error (error);
  name_id = kios_kosync_filename_digest (f->book);
  g_assert_cmpstr (name_id, ==, g_compute_checksum_for_string (G_CHECKSUM_MD5, "pride.epub", -1));
  expected = by_name ? name_id : hash;

  kios_test_kiosctl (&run, NULL, "source", "list", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autoptr (JsonObject) listed = parse_object (run.out);
    JsonObject            *account = json_array_get_object_element (json_object_get_array_member (listed, "sources"), 0);

    g_assert_cmpstr (json_object_get_string_member (account, "match"), ==, method);
    g_assert_false (json_object_get_boolean_member (account, "bridge"));
  }
  kios_test_kiosctl (&run, NULL, "source", "test", KOSYNC, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, by_name ? "matched by file name" : "matched by their contents"));

  kios_test_kiosctl (&run, NULL, "position", f->book, "--set", "percent:40", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "sync", "push", "--json", f->book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  pushed = parse_object (run.out);
  g_assert_cmpstr (json_object_get_string_member (pushed, "document"), ==, expected);

  /* What the server holds, asked as another KOReader device would. */
  stored = kios_fake_kosync_get_stored_progress (f->kosync, expected);
  g_assert_nonnull (stored);
  g_assert_true (g_str_has_prefix (stored, "/body/DocFragment["));
  other = kios_fake_kosync_get_stored_progress (f->kosync, by_name ? hash : name_id);
  g_assert_null (other);
  url = kios_fake_kosync_get_base_url (f->kosync);
  client = kios_kosync_client_new (url, KIOS_KOSYNC_AUTH_HEADERS, USER, PASSWORD);
  kios_kosync_client_set_device (client, "KOReader", "another-device");
  remote = kios_kosync_client_pull_sync (client, expected, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (remote);
  g_assert_cmpstr (remote->progress, ==, stored);
  suffix = g_strdup_printf ("/syncs/progress/%s", expected);
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->kosync, "GET", suffix), ==, 1);

  /* The pull asks for the same id and finds the position. */
  kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", f->book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  pulled = parse_object (run.out);
  g_assert_false (json_object_get_null_member (pulled, "remote"));
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->kosync, "GET", suffix), ==, 2);
}

/* The engine's path: the backend's async push and pull (in a worker, the
 * file name from set_book_path). */
typedef struct
{
  gboolean      done;
  gboolean      ok;
  KiosPosition *pulled;
  GError       *error;
} Wait;

static void
pushed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = kios_sync_backend_push_finish (KIOS_SYNC_BACKEND (source), result, &w->error);
  w->done = TRUE;
}

static void
pulled_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *w = user_data;

  w->pulled = kios_sync_backend_pull_finish (KIOS_SYNC_BACKEND (source), result, &w->error);
  w->done = TRUE;
}

static void
test_match_backend (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (KiosKosyncClient)  client = NULL;
  g_autoptr (KiosKosyncBackend) backend = NULL;
  g_autoptr (KiosPosition)      position = kios_position_new ();
  g_autofree char              *url = NULL;
  g_autofree char              *name_id = kios_kosync_filename_digest (f->book);
  g_autofree char              *stored = NULL;
  Wait                          w = { 0 };

  f->kosync = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  kios_fake_kosync_add_user (f->kosync, USER, PASSWORD);
  url = kios_fake_kosync_get_base_url (f->kosync);
  client = kios_kosync_client_new (url, KIOS_KOSYNC_AUTH_HEADERS, USER, PASSWORD);
  kios_kosync_client_set_device (client, "Kios", "kios-test");
  backend = kios_kosync_backend_new (KOSYNC, client);
  kios_kosync_backend_set_match (backend, KIOS_KOSYNC_MATCH_FILENAME, NULL);

  position->format = KIOS_BOOK_FORMAT_EPUB;
  position->xpointer = g_strdup ("/body/DocFragment[3]/body/p[2]/text().0");
  position->total_progress = 0.125;

  /* Without the file name it cannot name the book: it says so. */
  kios_sync_backend_push_async (KIOS_SYNC_BACKEND (backend), "0123456789abcdef0123456789abcdef", position, NULL,
                                pushed_cb, &w);
  kios_test_wait_for (&w.done, 10000);
  g_assert_false (w.ok);
  g_assert_nonnull (w.error);
  g_clear_error (&w.error);

  kios_kosync_backend_set_book_path (backend, "0123456789abcdef0123456789abcdef", f->book);
  w.done = FALSE;
  kios_sync_backend_push_async (KIOS_SYNC_BACKEND (backend), "0123456789abcdef0123456789abcdef", position, NULL,
                                pushed_cb, &w);
  kios_test_wait_for (&w.done, 10000);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  stored = kios_fake_kosync_get_stored_progress (f->kosync, name_id);
  g_assert_cmpstr (stored, ==, position->xpointer);

  w.done = FALSE;
  kios_sync_backend_pull_async (KIOS_SYNC_BACKEND (backend), "0123456789abcdef0123456789abcdef",
                                KIOS_BOOK_FORMAT_EPUB, NULL, pulled_cb, &w);
  kios_test_wait_for (&w.done, 10000);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.pulled);
  g_assert_cmpfloat_with_epsilon (w.pulled->total_progress, 0.125, 1e-9);
  kios_position_free (w.pulled);
}

int
main (int argc, char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *keyring = NULL;
  int              status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  dir = g_dir_make_tmp ("kios-sync-bridge-XXXXXX", NULL);
  keyring = g_build_filename (dir, "test.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-keyring", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);

  g_test_add_func ("/kios/sync-bridge/filename-digest", test_filename_digest);
#define ADD(name, func, data) \
  g_test_add ("/kios/sync-bridge/" name, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("match-binary", test_match_kiosctl, "binary");
  ADD ("match-filename", test_match_kiosctl, "filename");
  ADD ("match-backend", test_match_backend, NULL);
#undef ADD

  status = g_test_run ();
  g_unlink (keyring);
  g_rmdir (dir);
  return status;
}
