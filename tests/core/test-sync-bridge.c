/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-bridge"

#include "config.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-fake-kobo.h"
#include "kios-fake-kosync.h"
#include "kios-fake-progression.h"
#include "kios-kosync-backend.h"
#include "kios-library-store.h"
#include "kios-paths.h"
#include "kios-sync-bridge.h"
#include "kios-sync-pairing.h"
#include "kios-sync-service.h"
#include "kios-sync-settings.h"
#include "kios-sync-source.h"
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

/* ---- bridging ---------------------------------------------------------------- */

/* One origin that mounts Kobo sync under /kobo/<token> and KOReader sync
 * under /kosync, as Calibre-Web-Automated does. */
typedef struct
{
  KiosFakeKobo   *kobo;
  KiosFakeKosync *kosync;
  KiosFakeServer *server;
} Cwa;

static void
cwa_handle (KiosFakeServer        *server,
            const KiosFakeRequest *request,
            KiosFakeResponse      *response,
            gpointer               user_data)
{
  Cwa *cwa = user_data;

  if (g_str_has_prefix (request->path, "/kosync"))
    kios_fake_kosync_serve (cwa->kosync, request, response);
  else
    kios_fake_kobo_serve (cwa->kobo, request, response);
}

static void
cwa_free (Cwa *cwa)
{
  kios_fake_server_free (cwa->server);
  kios_fake_kobo_free (cwa->kobo);
  kios_fake_kosync_free (cwa->kosync);
  g_free (cwa);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cwa, cwa_free)

#define KOBO_ID "5d1c6f3e-0b7a-4c1e-9a57-2b8e1f0d9c44"

static JsonObject *
kiosctl_json (const char *first,
              ...)
{
  g_auto (KiosctlRun)   run = { 0 };
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char           *arg;
  va_list               ap;

  /* kios_test_kiosctl takes varargs: rebuild the common shapes here. */
  g_ptr_array_add (args, (char *) first);
  va_start (ap, first);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_assert_cmpuint (args->len, ==, 4);
  kios_test_kiosctl (&run, NULL, args->pdata[0], args->pdata[1], args->pdata[2], args->pdata[3], NULL);
  g_test_message ("%s", run.err);
  g_assert_cmpint (run.status, ==, 0);
  return parse_object (run.out);
}

/* The chapter_href of spine item index, as kiosctl position reports it. */
static char *
chapter_href (const char *file,
              int         index)
{
  g_autofree char       *pos = g_strdup_printf ("chapter:%d:0", index);
  g_auto (KiosctlRun)    run = { 0 };
  g_autoptr (JsonObject) o = NULL;

  kios_test_kiosctl (&run, NULL, "position", file, "--set", pos, NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "position", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  o = parse_object (run.out);
  return g_strdup (json_object_get_string_member (o, "chapter_href"));
}

static JsonObject *
remote_of (JsonObject *pulled,
           const char *protocol)
{
  JsonArray *remotes = json_object_get_array_member (pulled, "remotes");

  g_assert_nonnull (remotes);
  for (guint i = 0; i < json_array_get_length (remotes); i++)
    {
      JsonObject *r = json_array_get_object_element (remotes, i);

      if (g_str_equal (json_object_get_string_member (r, "protocol"), protocol))
        return r;
    }
  g_assert_not_reached ();
  return NULL;
}

static int
remote_chapter (JsonObject *pulled,
                const char *protocol)
{
  JsonObject *r = remote_of (pulled, protocol);

  g_assert_false (json_object_get_null_member (r, "position"));
  return (int) json_object_get_int_member (json_object_get_object_member (r, "position"), "chapter");
}

/* Kobo sync and KOReader sync on one Calibre-Web-Automated origin: the
 * book's source asks for bridging, the account is on the same server. */
static void
test_bridge_kobo_kosync (void)
{
  g_autoptr (Cwa)                  cwa = g_new0 (Cwa, 1);
  g_autofree char                 *sample = kios_test_book ("pride-and-prejudice.epub");
  g_autofree char                 *kobo_url = NULL;
  g_autofree char                 *kosync_url = NULL;
  g_autofree char                 *hash = NULL;
  g_autofree char                 *href5 = NULL;
  g_autofree char                 *href6 = NULL;
  g_autofree char                 *href1 = NULL;
  g_autofree char                 *stored = NULL;
  g_autofree char                 *file = NULL;
  g_autoptr (JsonObject)           got = NULL;
  g_autoptr (JsonObject)           pushed = NULL;
  g_autoptr (JsonObject)           pulled = NULL;
  g_autoptr (KiosKoboReadingState) state = NULL;
  g_autoptr (GError)               error = NULL;
  g_auto (KiosctlRun)              run = { 0 };
  JsonArray                       *pushes;
  gint64                           now = g_get_real_time () / G_USEC_PER_SEC;

  cwa->kobo = kios_fake_kobo_new (KIOS_FAKE_KOBO_CWA);
  cwa->kosync = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_CWA);
  kios_fake_kosync_add_user (cwa->kosync, USER, PASSWORD);
  kios_fake_kobo_add_book (cwa->kobo, KOBO_ID, "Pride and Prejudice", "Jane Austen", "EPUB3", sample);
  cwa->server = kios_fake_server_new (cwa_handle, cwa);
  kobo_url = g_strdup_printf ("%s/kobo/%s", kios_fake_server_get_url (cwa->server), kios_fake_kobo_get_token (cwa->kobo));
  kosync_url = g_strdup_printf ("%s/kosync", kios_fake_server_get_url (cwa->server));

  kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kobo", "--name", "cwa", "--url", kobo_url,
                     "--library-sync", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, PASSWORD "\n", "source", "add", "--kind", "kosync", "--name", KOSYNC, "--url", kosync_url,
                     "--auth", "basic", "--user", USER, "--password-stdin", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "browse", "cwa", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "download", "cwa", KOBO_ID, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  got = parse_object (run.out);
  file = g_strdup (json_object_get_string_member (got, "path"));
  hash = kios_book_hash_file (file, &error);
  g_assert_no_error (error);
  kios_fake_kosync_add_book (cwa->kosync, hash, 63);
  href5 = chapter_href (file, 5);
  href6 = chapter_href (file, 6);
  href1 = chapter_href (file, 1);

  /* Off by default: one protocol, as before. */
  kios_test_kiosctl (&run, NULL, "position", file, "--set", "chapter:5:0.3", NULL);
  g_assert_cmpint (run.status, ==, 0);
  pushed = kiosctl_json ("sync", "push", "--json", file, NULL);
  g_assert_cmpstr (json_object_get_string_member (pushed, "protocol"), ==, "kobo");
  g_assert_false (json_object_has_member (pushed, "pushes"));
  g_assert_null (kios_fake_kosync_get_stored_progress (cwa->kosync, hash));
  g_clear_pointer (&pushed, json_object_unref);

  kios_test_kiosctl (&run, NULL, "source", "bridge", "cwa", "on", NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* The KOReader server knows nothing of the book yet: the catalog's own
   * identity (the Kobo entitlement) still answers, and is offered. */
  kios_fake_kobo_set_state (cwa->kobo, KOBO_ID, href6, "kobo.1.1", 20, 9, (now - 7200) * 1000);
  pulled = kiosctl_json ("sync", "pull", "--json", file, NULL);
  g_assert_true (json_object_get_null_member (remote_of (pulled, "kosync"), "position"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (pulled, "chosen"), "protocol"), ==,
                   "kobo");
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
  g_assert_cmpint (remote_chapter (pulled, "kobo"), ==, 6);
  g_clear_pointer (&pulled, json_object_unref);

  kios_test_kiosctl (&run, NULL, "position", file, "--set", "chapter:5:0.4", NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* One push: both servers hold the position, each in its own form. */
  kios_test_kiosctl (&run, NULL, "sync", "push", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_auto (GStrv) lines = g_strsplit (g_strstrip (run.out), "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 2);
  }
  state = kios_fake_kobo_get_state (cwa->kobo, KOBO_ID);
  g_assert_nonnull (state);
  g_assert_true (g_str_has_suffix (href5, state->source) || g_str_has_suffix (state->source, href5));
  stored = kios_fake_kosync_get_stored_progress (cwa->kosync, hash);
  g_assert_nonnull (stored);
  g_assert_true (g_str_has_prefix (stored, "/body/DocFragment[6]/"));

  /* Each lands in the same chapter when read back. */
  pulled = kiosctl_json ("sync", "pull", "--json", file, NULL);
  g_assert_cmpint (remote_chapter (pulled, "kobo"), ==, 5);
  g_assert_cmpint (remote_chapter (pulled, "kosync"), ==, 5);
  g_clear_pointer (&pulled, json_object_unref);

  /* Every push is in the book's sync log, one per protocol. */
  kios_test_kiosctl (&run, NULL, "sync", "log", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "\"kosync\""));
  g_assert_nonnull (strstr (run.out, "\"kobo\""));

  /* A KOReader device read on to chapter 9, the Kobo to chapter 6: the
   * furthest one ahead wins, and the banner's protocol is KOReader's. */
  kios_fake_kosync_set_progress (cwa->kosync, hash, "/body/DocFragment[10]/body/p[3]/text().0", 0.62, "Kindle",
                                 "other-device", now + 60);
  kios_fake_kobo_set_state (cwa->kobo, KOBO_ID, href6, "kobo.1.1", 20, 9, (now - 3600) * 1000);
  pulled = kiosctl_json ("sync", "pull", "--json", file, NULL);
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (pulled, "chosen"), "protocol"), ==,
                   "kosync");
  g_assert_cmpstr (json_object_get_string_member (pulled, "protocol"), ==, "kosync");
  g_assert_cmpint (remote_chapter (pulled, "kosync"), ==, 9);
  g_assert_cmpint (remote_chapter (pulled, "kobo"), ==, 6);
  g_assert_true (json_object_get_boolean_member (remote_of (pulled, "kosync"), "chosen"));
  g_assert_false (json_object_get_boolean_member (remote_of (pulled, "kobo"), "chosen"));
  g_clear_pointer (&pulled, json_object_unref);

  /* A push now would write chapter 5 over chapter 9 on the KOReader
   * server: that server is kept, the Kobo one gets it. */
  kios_test_kiosctl (&run, NULL, "sync", "push", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  pushed = parse_object (run.out);
  pushes = json_object_get_array_member (pushed, "pushes");
  g_assert_cmpuint (json_array_get_length (pushes), ==, 2);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (pushes, 0), "pushed"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (pushes, 1), "result"), ==, "kept");
  g_clear_pointer (&stored, g_free);
  stored = kios_fake_kosync_get_stored_progress (cwa->kosync, hash);
  g_assert_true (g_str_has_prefix (stored, "/body/DocFragment[10]/"));

  /* The KOReader device is behind (chapter 2), the Kobo ahead (chapter 6):
   * the one behind is never the answer. */
  kios_fake_kosync_set_progress (cwa->kosync, hash, "/body/DocFragment[3]/body/p[1]/text().0", 0.03, "Kindle",
                                 "other-device", now + 120);
  kios_fake_kobo_set_state (cwa->kobo, KOBO_ID, href6, "kobo.1.1", 20, 9, (now - 3500) * 1000);
  pulled = kiosctl_json ("sync", "pull", "--json", file, NULL);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (pulled, "chosen"), "protocol"), ==,
                   "kobo");
  g_assert_cmpstr (json_object_get_string_member (remote_of (pulled, "kosync"), "decision"), ==, "ignore-behind");
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
  g_clear_pointer (&pulled, json_object_unref);

  /* Both behind: nothing is offered. */
  kios_fake_kobo_set_state (cwa->kobo, KOBO_ID, href1, "kobo.1.1", 10, 1, (now - 3400) * 1000);
  kios_test_kiosctl (&run, NULL, "position", file, "--set", "chapter:5:0.4", NULL);
  pulled = kiosctl_json ("sync", "pull", "--json", file, NULL);
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "ignore-behind");
  g_assert_cmpstr (json_object_get_string_member (remote_of (pulled, "kobo"), "decision"), ==, "ignore-behind");
}

/* Readium progression from a Komga catalog, and a KOReader sync account on
 * another server that asks for bridging itself. */
static void
test_bridge_readium_kosync (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (KiosFakeProgression) komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                     "kios-pass", f->book);
  g_autofree char                *catalog = g_strconcat (kios_fake_progression_get_base (komga), "/opds/v2/catalog", NULL);
  g_autofree char                *hash = NULL;
  g_autofree char                *stored = NULL;
  g_autofree char                *doc = NULL;
  g_autofree char                *href9 = NULL;
  g_autoptr (JsonObject)          pushed = NULL;
  g_autoptr (JsonObject)          pulled = NULL;
  g_autoptr (GError)              error = NULL;
  g_auto (KiosctlRun)             run = { 0 };
  JsonArray                      *pushes;

  add_kosync (f, KIOS_FAKE_KOSYNC_OFFICIAL, NULL);
  kios_test_kiosctl (&run, "kios-pass\n", "source", "add", "--kind", "opds", "--name", "komga", "--url", catalog,
                     "--user", "kios@example.org", "--password-stdin", NULL);
  g_assert_cmpint (run.status, ==, 0);
  hash = kios_book_hash_file (f->book, &error);
  g_assert_no_error (error);
  href9 = chapter_href (f->book, 9);
  kios_test_kiosctl (&run, NULL, "position", f->book, "--set", "chapter:7:0.5", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    /* What kios_opds_client_download_book records for a Komga book. */
    g_autofree char             *db = kios_paths_library_db ();
    g_autoptr (KiosLibraryStore) store = kios_library_store_new (db, &error);

    g_assert_no_error (error);
    kios_library_store_set_book_meta (store, hash, "opds.progression", kios_fake_progression_get_url (komga));
    kios_library_store_set_book_meta (store, hash, "opds.source", "komga");
    g_assert_true (kios_library_store_flush (store, 5000));
  }

  /* The catalog's source leaves bridging off, the account switches it on:
   * the origins differ, the account's word is enough. */
  kios_test_kiosctl (&run, NULL, "source", "bridge", "kosync", "on", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "sync", "push", "--json", f->book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  pushed = parse_object (run.out);
  pushes = json_object_get_array_member (pushed, "pushes");
  g_assert_cmpuint (json_array_get_length (pushes), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (pushes, 0), "protocol"), ==, "readium");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (pushes, 1), "protocol"), ==, "kosync");
  stored = kios_fake_progression_dup_stored (komga);
  g_assert_nonnull (stored);
  g_clear_pointer (&stored, g_free);
  stored = kios_fake_kosync_get_stored_progress (f->kosync, hash);
  g_assert_true (g_str_has_prefix (stored, "/body/DocFragment[8]/"));

  /* Both land in the chapter that was pushed. */
  pulled = kiosctl_json ("sync", "pull", "--json", f->book, NULL);
  g_assert_cmpint (remote_chapter (pulled, "readium"), ==, 7);
  g_assert_cmpint (remote_chapter (pulled, "kosync"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), !=, "prompt");
  g_clear_pointer (&pulled, json_object_unref);

  /* The web reader went on to chapter 9: offered, over Readium. */
  doc = g_strdup_printf ("{\"modified\":\"2030-01-01T00:00:00Z\",\"device\":{\"id\":\"w\",\"name\":\"Komga-webui\"},"
                         "\"locator\":{\"href\":\"%s\",\"type\":\"application/xhtml+xml\","
                         "\"locations\":{\"progression\":0,\"totalProgression\":0.2}}}",
                         href9);
  kios_fake_progression_set_stored (komga, doc);
  pulled = kiosctl_json ("sync", "pull", "--json", f->book, NULL);
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (pulled, "chosen"), "protocol"), ==,
                   "readium");
  g_assert_cmpint (remote_chapter (pulled, "readium"), ==, 9);

  /* Off again: one protocol. */
  kios_test_kiosctl (&run, NULL, "source", "bridge", "kosync", "off", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&pulled, json_object_unref);
  pulled = kiosctl_json ("sync", "pull", "--json", f->book, NULL);
  g_assert_false (json_object_has_member (pulled, "remotes"));
}

/* Which pairs are bridged: the book's source needs the same server; the
 * account's own switch bridges any. */
static void
test_bridge_applies (void)
{
  KiosSourceRecord kobo = { .name = (char *) "cwa", .kind = (char *) "kobo" };
  KiosSourceRecord kosync = { .name = (char *) KOSYNC, .kind = (char *) "kosync" };

  kobo.settings_json = g_strdup ("{\"bridge\":true}");
  g_assert_true (kios_sync_bridge_applies (&kobo, "https://books.example:8083/kobo/t", &kosync,
                                           "https://BOOKS.example:8083/kosync"));
  g_assert_false (kios_sync_bridge_applies (&kobo, "https://books.example:8083/kobo/t", &kosync,
                                            "https://books.example:8084/kosync"));
  g_assert_false (kios_sync_bridge_applies (&kobo, "https://books.example/kobo/t", &kosync, "http://books.example/kosync"));
  g_assert_false (kios_sync_bridge_applies (&kobo, NULL, &kosync, "https://books.example/kosync"));
  g_free (kobo.settings_json);
  kobo.settings_json = NULL;
  /* Off by default. */
  g_assert_false (kios_sync_bridge_applies (&kobo, "https://books.example:8083/kobo/t", &kosync,
                                            "https://books.example:8083/kosync"));
  kosync.settings_json = g_strdup ("{\"bridge\":true}");
  g_assert_true (kios_sync_bridge_applies (&kobo, "https://a.example/kobo/t", &kosync, "https://b.example/kosync"));
  /* A switched-off account bridges nothing. */
  g_free (kosync.settings_json);
  kosync.settings_json = g_strdup ("{\"bridge\":true,\"enabled\":false}");
  g_assert_false (kios_sync_bridge_applies (&kobo, "https://a.example/kobo/t", &kosync, "https://a.example/kosync"));
  g_free (kosync.settings_json);
}

/* ---- the app's engine on a bridged book ------------------------------------- */

static gboolean
wait_idle (KiosSyncEngine *engine,
           guint           timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (kios_sync_engine_is_busy (engine))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  return TRUE;
}

static KiosPosition *
position_at (KiosDocument *document,
             int           chapter)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosPage) page = NULL;
  KiosPageRequest      request;
  KiosPosition        *position;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = chapter;
  request.position_only = TRUE;
  request.box_width = 600;
  request.box_height = 800;
  page = kios_document_render_sync (document, &request, &error);
  g_assert_no_error (error);
  position = kios_position_copy (page->position);
  position->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  return position;
}

static void
add_source (KiosLibraryStore *store,
            const char       *name,
            const char       *kind,
            const char       *url,
            const char       *user,
            const char       *password,
            const char       *settings_json)
{
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (GError)           error = NULL;

  record->name = g_strdup (name);
  record->kind = g_strdup (kind);
  record->auth = g_strdup (g_str_equal (kind, "kosync") ? "headers" : "basic");
  record->settings_json = g_strdup (settings_json);
  g_assert_true (kios_sync_source_save_secrets (record, url, user, password, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);
}

static void
on_decided (KiosSyncEngine *engine,
            int             decision,
            const char     *reason,
            int            *out)
{
  *out = decision;
}

/* The engine pulls from both, offers the furthest ahead with its protocol,
 * and its push reaches both servers, each logged. */
static void
test_bridge_engine (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (KiosFakeProgression) komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                     "kios-pass", f->book);
  g_autofree char                *catalog = g_strconcat (kios_fake_progression_get_base (komga), "/opds/v2/catalog", NULL);
  g_autofree char                *db = kios_paths_library_db ();
  g_autofree char                *url = NULL;
  g_autofree char                *stored = NULL;
  g_autoptr (KiosLibraryStore)    store = NULL;
  g_autoptr (KiosSyncService)     service = NULL;
  g_autoptr (KiosSyncEngine)      engine = NULL;
  g_autoptr (KiosDocument)        document = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autoptr (KiosPosition)        ahead = NULL;
  g_autoptr (KiosPosition)        moved = NULL;
  g_autoptr (GPtrArray)           log = NULL;
  g_autoptr (GError)              error = NULL;
  KiosBookRecord                  record = { 0 };
  KiosSyncProtocol                protocol = KIOS_SYNC_PROTOCOL_READIUM;
  int                             decision = -1;
  const char                     *hash;
  guint                           n_kosync = 0;
  guint                           n_readium = 0;
  gboolean                        stay = data != NULL;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  document = kios_document_open_sync (f->book, &error);
  g_assert_no_error (error);
  hash = kios_document_get_hash (document);
  f->kosync = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  kios_fake_kosync_add_user (f->kosync, USER, PASSWORD);
  url = kios_fake_kosync_get_base_url (f->kosync);

  {
    g_autofree char *dir = g_path_get_dirname (db);

    g_mkdir_with_parents (dir, 0700);
  }
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  add_source (store, KOSYNC, "kosync", url, USER, PASSWORD, "{\"bridge\":true}");
  add_source (store, "komga", "opds", catalog, "kios@example.org", "kios-pass", NULL);
  record.hash = (char *) hash;
  record.path = f->book;
  record.format = (char *) "epub";
  record.title = (char *) "Pride and Prejudice";
  kios_library_store_upsert_book (store, &record);
  kios_library_store_set_book_meta (store, hash, "opds.progression", kios_fake_progression_get_url (komga));
  kios_library_store_set_book_meta (store, hash, "opds.source", "komga");
  g_assert_true (kios_library_store_flush (store, 5000));

  /* A KOReader device is in chapter 9; the catalog has nothing yet. */
  local = position_at (document, 3);
  ahead = position_at (document, 9);
  /* "stay": newer than anything here, so only the person's choice may go over it. */
  kios_fake_kosync_set_progress (f->kosync, hash, ahead->xpointer, ahead->total_progress, "KOReader", "OTHERDEVICE",
                                 stay ? g_get_real_time () / G_USEC_PER_SEC + 3600 : 0);

  service = kios_sync_service_new (store);
  engine = kios_sync_service_create_engine (service);
  g_signal_connect (engine, "decided", G_CALLBACK (on_decided), &decision);
  g_assert_true (wait_idle (engine, 10000));
  kios_sync_engine_open_book (engine, document, local);
  g_assert_true (wait_idle (engine, 20000));
  g_assert_cmpint (decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_true (kios_sync_engine_get_has_remote (engine));
  g_assert_true (kios_sync_engine_get_remote_protocol (engine, &protocol));
  g_assert_cmpint (protocol, ==, KIOS_SYNC_PROTOCOL_KOSYNC);
  g_assert_cmpstr (kios_sync_engine_get_remote (engine)->device, ==, "KOReader");
  g_assert_cmpint (kios_sync_engine_get_remote (engine)->chapter, ==, 9);

  /* Continue (or Stay here), read on, go to the background: both servers
   * take it, also over the KOReader device's newer place when the person
   * chose to stay. */
  if (stay)
    kios_sync_engine_dismiss_remote (engine);
  else
    kios_sync_engine_accept_remote (engine);
  g_assert_true (wait_idle (engine, 10000));
  moved = position_at (document, stay ? 4 : 10);
  kios_sync_engine_set_position (engine, moved, TRUE);
  kios_sync_engine_deactivate (engine);
  g_assert_true (wait_idle (engine, 20000));
  stored = kios_fake_kosync_get_stored_progress (f->kosync, hash);
  g_assert_cmpstr (stored, ==, moved->xpointer);
  g_clear_pointer (&stored, g_free);
  stored = kios_fake_progression_dup_stored (komga);
  g_assert_nonnull (stored);

  g_assert_true (kios_library_store_flush (store, 5000));
  log = kios_library_store_list_sync_log (store, hash, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < log->len; i++)
    {
      const KiosSyncLogEntry *entry = log->pdata[i];

      if (g_strcmp0 (entry->direction, "push") != 0 || g_strcmp0 (entry->result, "synced") != 0)
        continue;
      if (g_strcmp0 (entry->protocol, "kosync") == 0)
        n_kosync++;
      else if (g_strcmp0 (entry->protocol, "readium") == 0)
        n_readium++;
    }
  g_assert_cmpuint (n_kosync, ==, 1);
  g_assert_cmpuint (n_readium, ==, 1);

  /* Each protocol has its own record of the book (the sync details show
   * one group per record), the partner's pull with what it said. */
  {
    g_autoptr (GPtrArray) statuses = kios_library_store_list_sync_status (store, hash, &error);
    gboolean              seen_kosync = FALSE;
    gboolean              seen_readium = FALSE;
    gboolean              pulled_kosync = FALSE;

    g_assert_no_error (error);
    for (guint i = 0; i < statuses->len; i++)
      {
        const KiosSyncStatus *status = statuses->pdata[i];

        seen_kosync |= g_strcmp0 (status->protocol, "kosync") == 0 && status->state == KIOS_SYNC_STATUS_SYNCED;
        seen_readium |= g_strcmp0 (status->protocol, "readium") == 0 && status->state == KIOS_SYNC_STATUS_SYNCED;
      }
    for (guint i = 0; i < log->len; i++)
      {
        const KiosSyncLogEntry *entry = log->pdata[i];

        pulled_kosync |= g_strcmp0 (entry->protocol, "kosync") == 0 && g_strcmp0 (entry->direction, "pull") == 0 &&
                         entry->remote != NULL && strstr (entry->remote, "KOReader") != NULL;
      }
    g_assert_true (seen_kosync);
    g_assert_true (seen_readium);
    g_assert_true (pulled_kosync);
  }

  kios_sync_service_shutdown (service, 2000);
  wait_idle (engine, 20000);
}

/* ---- pairing by hand ------------------------------------------------------------ */

#define SERVER_HASH "0badc0ffee0badc0ffee0badc0ffee00"

/* The server rewrote its copy (Grimmory writes metadata into it): its hash
 * names the book there, the local one does not, until paired. */
static void
test_pair_kosync (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char             *hash = NULL;
  g_autofree char             *stored = NULL;
  g_autoptr (JsonObject)       pulled = NULL;
  g_autoptr (JsonObject)       pushed = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GPtrArray)        pairings = NULL;
  g_autofree char             *db = kios_paths_library_db ();
  g_auto (KiosctlRun)          run = { 0 };

  add_kosync (f, KIOS_FAKE_KOSYNC_GRIMMORY, NULL);
  hash = kios_book_hash_file (f->book, &error);
  g_assert_no_error (error);
  kios_fake_kosync_add_book (f->kosync, SERVER_HASH, 63);
  kios_fake_kosync_set_progress (f->kosync, SERVER_HASH, "/body/DocFragment[9]/body/section/p[2]/text().0", 0.1,
                                 "KOReader", "other-device", 0);
  kios_test_kiosctl (&run, NULL, "position", f->book, "--set", "chapter:3:0.1", NULL);
  g_assert_cmpint (run.status, ==, 0);

  /* Unknown under the local hash. */
  kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", f->book, NULL);
  g_assert_cmpint (run.status, !=, 0);

  /* Ids the protocol cannot carry, and catalogs, are refused. */
  kios_test_kiosctl (&run, NULL, "sync", "pair", f->book, KOSYNC, "../../etc", NULL);
  g_assert_cmpint (run.status, ==, 1);
  kios_test_kiosctl (&run, NULL, "sync", "pair", f->book, "No such source", SERVER_HASH, NULL);
  g_assert_cmpint (run.status, ==, 1);
  kios_test_kiosctl (&run, NULL, "sync", "pair", f->book, KOSYNC, NULL);
  g_assert_cmpint (run.status, ==, 2);

  kios_test_kiosctl (&run, NULL, "sync", "pair", f->book, KOSYNC, SERVER_HASH, NULL);
  g_assert_cmpint (run.status, ==, 0);
  pulled = kiosctl_json ("sync", "pull", "--json", f->book, NULL);
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (pulled, "remote"), "chapter"), ==, 8);
  pushed = kiosctl_json ("sync", "push", "--json", f->book, NULL);
  g_assert_cmpstr (json_object_get_string_member (pushed, "document"), ==, SERVER_HASH);
  stored = kios_fake_kosync_get_stored_progress (f->kosync, SERVER_HASH);
  g_assert_true (g_str_has_prefix (stored, "/body/DocFragment[4]/"));

  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  pairings = kios_sync_pairing_list (store, hash);
  g_assert_cmpuint (pairings->len, ==, 1);
  g_assert_cmpstr (((KiosSyncPairing *) pairings->pdata[0])->source, ==, KOSYNC);
  g_assert_cmpstr (((KiosSyncPairing *) pairings->pdata[0])->id, ==, SERVER_HASH);
  g_clear_pointer (&pairings, g_ptr_array_unref);
  g_clear_object (&store);

  kios_test_kiosctl (&run, NULL, "sync", "unpair", f->book, KOSYNC, NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", f->book, NULL);
  g_assert_cmpint (run.status, !=, 0);
}

/* A local copy paired with a Kobo entry syncs over Kobo, keyed by the
 * catalog's own id. */
static void
test_pair_kobo (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (KiosFakeKobo) kobo = kios_fake_kobo_new (KIOS_FAKE_KOBO_CWA);
  g_autofree char         *base = kios_fake_kobo_get_base_url (kobo);
  g_autofree char         *href = NULL;
  g_autoptr (JsonObject)   pulled = NULL;
  g_auto (KiosctlRun)      run = { 0 };

  kios_fake_kobo_add_book (kobo, KOBO_ID, "Pride and Prejudice", "Jane Austen", "EPUB3", f->book);
  kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kobo", "--name", "cwa", "--url", base, "--library-sync",
                     NULL);
  g_assert_cmpint (run.status, ==, 0);
  add_kosync (f, KIOS_FAKE_KOSYNC_OFFICIAL, NULL);
  href = chapter_href (f->book, 6);
  kios_test_kiosctl (&run, NULL, "position", f->book, "--set", "chapter:2:0.1", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_fake_kobo_set_state (kobo, KOBO_ID, href, "kobo.1.1", 30, 12, 0);

  /* Before: the KOReader account serves it and knows nothing. */
  pulled = kiosctl_json ("sync", "pull", "--json", f->book, NULL);
  g_assert_cmpstr (json_object_get_string_member (pulled, "protocol"), ==, "kosync");
  g_assert_true (json_object_get_null_member (pulled, "remote"));
  g_clear_pointer (&pulled, json_object_unref);

  kios_test_kiosctl (&run, NULL, "sync", "pair", f->book, "cwa", KOBO_ID, NULL);
  g_assert_cmpint (run.status, ==, 0);
  pulled = kiosctl_json ("sync", "pull", "--json", f->book, NULL);
  g_assert_cmpstr (json_object_get_string_member (pulled, "protocol"), ==, "kobo");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (pulled, "remote"), "chapter"), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
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

  kios_test_add_func ("/kios/sync-bridge/filename-digest", test_filename_digest);
#define ADD(name, func, data) \
  g_test_add ("/kios/sync-bridge/" name, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("match-binary", test_match_kiosctl, "binary");
  ADD ("match-filename", test_match_kiosctl, "filename");
  ADD ("match-backend", test_match_backend, NULL);
#undef ADD
  kios_test_add_func ("/kios/sync-bridge/kobo-kosync", test_bridge_kobo_kosync);
  kios_test_add_func ("/kios/sync-bridge/applies", test_bridge_applies);
  g_test_add ("/kios/sync-bridge/readium-kosync", Fixture, NULL, fixture_set_up, test_bridge_readium_kosync,
              fixture_tear_down);
  g_test_add ("/kios/sync-bridge/engine", Fixture, NULL, fixture_set_up, test_bridge_engine, fixture_tear_down);
  g_test_add ("/kios/sync-bridge/engine-stay-here", Fixture, "stay", fixture_set_up, test_bridge_engine,
              fixture_tear_down);
  g_test_add ("/kios/sync-bridge/pair-kosync", Fixture, NULL, fixture_set_up, test_pair_kosync, fixture_tear_down);
  g_test_add ("/kios/sync-bridge/pair-kobo", Fixture, NULL, fixture_set_up, test_pair_kobo, fixture_tear_down);

  status = g_test_run ();
  g_unlink (keyring);
  g_rmdir (dir);
  return status;
}
