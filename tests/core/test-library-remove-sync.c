/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-remove-sync"

#include "config.h"

#include "kios-book-hash.h"
#include "kios-fake-kobo.h"
#include "kios-fake-kosync.h"
#include "kios-fake-progression.h"
#include "kios-library.h"
#include "kios-paths.h"
#include "kios-sync-source.h"
#include "kios-test-kiosctl.h"
#include "kios-test-library-remove.h"
#include "kios-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/*
 * Removing a book sends its pending push first, whatever the protocol the
 * book syncs over (Kobo sync, OPDS progression, and the KOReader sync
 * account bridged to them), through the sync service, within a bound; a
 * push that cannot go is dropped with the message. Either way the flush is
 * in the book's sync log. Real kiosctl, library file and file keyring; the
 * fake servers over loopback HTTP.
 */

#define KOBO_ID "b8e3f5a2-1c4d-4e6f-9a0b-123456789abc"
#define KOBO_SOURCE "cwa"
#define OPDS_SOURCE "komga"
#define KOSYNC "KOReader sync"
#define USER "alice"
#define PASSWORD "correct-horse-battery"

/* How long a removal may take when the server hangs: the 3 s bound and
 * room for a loaded machine. */
#define HANG_BOUND_MS 8000

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* The href of the book's spine item index, as kiosctl reports it. */
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

/* The position kiosctl sets at the start of chapter index (with its
 * xpointer), queued for source as an engine queues it. */
static void
queue_pending (const char *hash,
               const char *file,
               const char *source,
               int         index)
{
  g_autofree char         *href = chapter_href (file, index);
  g_autoptr (KiosPosition) pos = NULL;
  KiosLibraryStore        *store = kios_test_remove_open_store ();

  pos = kios_library_store_get_position (store, hash, NULL);
  g_assert_nonnull (pos);
  g_assert_cmpstr (pos->chapter_href, ==, href);
  g_assert_nonnull (pos->xpointer);
  pos->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  kios_library_store_set_pending_push (store, hash, source, pos);
  kios_test_remove_close_store (store);
}

/* kiosctl keeps its secrets in a keyring of its own: the same secrets in
 * this process's keyring, for the sync service here. */
static void
mirror_secrets (const char *name,
                const char *url,
                const char *user,
                const char *password)
{
  KiosLibraryStore            *store = kios_test_remove_open_store ();
  g_autoptr (KiosSourceRecord) record = kios_library_store_get_source (store, name, NULL);
  g_autoptr (GError)           error = NULL;

  g_assert_nonnull (record);
  g_assert_true (kios_sync_source_save_secrets (record, url, user, password, NULL, &error));
  g_assert_no_error (error);
  kios_test_remove_close_store (store);
}

static void
add_kosync (KiosFakeKosync *fake)
{
  g_autofree char    *url = kios_fake_kosync_get_base_url (fake);
  g_auto (KiosctlRun) run = { 0 };

  kios_fake_kosync_add_user (fake, USER, PASSWORD);
  kios_test_kiosctl (&run, PASSWORD "\n", "source", "add", "--kind", "kosync", "--name", KOSYNC, "--url", url,
                     "--user", USER, "--password-stdin", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "source", "bridge", KOSYNC, "on", NULL);
  g_assert_cmpint (run.status, ==, 0);
  mirror_secrets (KOSYNC, url, USER, PASSWORD);
}

typedef struct
{
  gint64              elapsed_ms;
  char               *notice;
  KiosLibraryRemoval *removal;
  GStrv               unsent; /* the removal's unsent sources */
  GPtrArray          *log;    /* the book's sync log once the removal is undone */
} Removed;

static void
removed_clear (Removed *r)
{
  g_clear_pointer (&r->notice, g_free);
  g_clear_pointer (&r->removal, kios_library_removal_free);
  g_clear_pointer (&r->unsent, g_strfreev);
  g_clear_pointer (&r->log, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Removed, removed_clear)

static void
remove_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Removed           *r = user_data;
  g_autoptr (GError) error = NULL;

  r->removal = kios_library_remove_finish (KIOS_LIBRARY (source), result, &r->notice, &error);
  g_assert_no_error (error);
}

/* Removes the book with a sync service (async: as the app does), checks it
 * is gone, then undoes the removal to read the book's sync log. */
static void
remove_book (const char *hash,
             gboolean    async,
             Removed    *r)
{
  KiosLibraryStore  *store = kios_test_remove_open_store ();
  KiosLibrary       *library = kios_library_new (store);
  KiosSyncService   *service = kios_sync_service_new (store);
  g_autoptr (GError) error = NULL;
  gint64             start = g_get_monotonic_time ();

  kios_library_set_sync_service (library, service);
  if (async)
    {
      kios_library_remove_async (library, hash, FALSE, NULL, remove_done_cb, r);
      while (r->removal == NULL)
        g_main_context_iteration (NULL, TRUE);
    }
  else
    r->removal = kios_library_remove (library, hash, FALSE, &r->notice, &error);
  r->elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_no_error (error);
  g_assert_nonnull (r->removal);
  g_assert_null (kios_library_store_get_book (store, hash, NULL));

  g_assert_true (kios_library_undo_remove (library, r->removal, &error));
  g_assert_no_error (error);
  r->unsent = g_strdupv ((GStrv) kios_library_removal_get_unsent_sources (r->removal));
  g_clear_pointer (&r->removal, kios_library_removal_free);
  r->log = kios_library_store_list_sync_log (store, hash, 0, &error);
  g_assert_no_error (error);
  kios_test_remove_drain ();
  g_assert_finalize_object (library);
  g_object_unref (service);
  kios_test_remove_close_store (store);
}

/* The log entry of the flush to source, or NULL. */
static KiosSyncLogEntry *
flush_entry (GPtrArray  *log,
             const char *source)
{
  for (guint i = 0; i < log->len; i++)
    {
      KiosSyncLogEntry *e = log->pdata[i];

      if (g_strcmp0 (e->source, source) == 0 && g_strcmp0 (e->direction, "push") == 0)
        return e;
    }
  return NULL;
}

/* ---- Kobo sync ------------------------------------------------------------ */

typedef struct
{
  KiosFakeKobo *kobo;
  char         *file;
  char         *hash;
} KoboBook;

static void
kobo_book_clear (KoboBook *k)
{
  g_clear_pointer (&k->kobo, kios_fake_kobo_free);
  g_clear_pointer (&k->file, g_free);
  g_clear_pointer (&k->hash, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KoboBook, kobo_book_clear)

/* A book downloaded through a Kobo sync source, as kiosctl downloads it. */
static void
kobo_book_set_up (KoboBook *k)
{
  g_autofree char       *sample = kios_test_book ("pride-and-prejudice.epub");
  g_autofree char       *url = NULL;
  g_autoptr (JsonObject) got = NULL;
  g_autoptr (GError)     error = NULL;
  g_auto (KiosctlRun)    run = { 0 };

  k->kobo = kios_fake_kobo_new (KIOS_FAKE_KOBO_CWA);
  kios_fake_kobo_add_book (k->kobo, KOBO_ID, "Pride and Prejudice", "Jane Austen", "EPUB3", sample);
  url = kios_fake_kobo_get_base_url (k->kobo);
  kios_test_kiosctl (&run, NULL, "source", "add", "--kind", "kobo", "--name", KOBO_SOURCE, "--url", url,
                     "--library-sync", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "browse", KOBO_SOURCE, NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "download", KOBO_SOURCE, KOBO_ID, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  got = parse_object (run.out);
  k->file = g_strdup (json_object_get_string_member (got, "path"));
  k->hash = kios_book_hash_file (k->file, &error);
  g_assert_no_error (error);
  mirror_secrets (KOBO_SOURCE, url, NULL, NULL);
}

static void
test_kobo_sent (void)
{
  g_auto (KoboBook)                k = { 0 };
  g_auto (Removed)                 r = { 0 };
  g_autoptr (KiosFakeKosync)       kosync = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autoptr (KiosKoboReadingState) state = NULL;
  g_autofree char                 *href = NULL;
  g_autofree char                 *bridged = NULL;
  KiosSyncLogEntry                *entry;

  kobo_book_set_up (&k);
  /* The KOReader sync account bridged: its copy goes too. */
  add_kosync (kosync);
  queue_pending (k.hash, k.file, KOBO_SOURCE, 5);
  href = chapter_href (k.file, 5);
  g_assert_null (kios_fake_kobo_get_state (k.kobo, KOBO_ID));

  remove_book (k.hash, FALSE, &r);
  g_test_message ("removal with a Kobo push sent: %" G_GINT64_FORMAT " ms", r.elapsed_ms);
  /* Sent before the book went: nothing dropped, nothing to say. */
  g_assert_null (r.notice);
  g_assert_null (r.unsent);
  state = kios_fake_kobo_get_state (k.kobo, KOBO_ID);
  g_assert_nonnull (state);
  g_assert_cmpstr (state->source, ==, href);
  bridged = kios_fake_kosync_get_stored_progress (kosync, k.hash);
  g_assert_nonnull (bridged);
  g_assert_true (g_str_has_prefix (bridged, "/body/DocFragment[6]/"));

  /* The book's sync log says so, for the source and the bridged partner. */
  entry = flush_entry (r.log, KOBO_SOURCE);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->protocol, ==, "kobo");
  g_assert_cmpstr (entry->result, ==, "synced");
  g_assert_nonnull (strstr (entry->detail, "removed"));
  entry = flush_entry (r.log, KOSYNC);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->result, ==, "synced");

  /* Not pending any more. */
  {
    KiosLibraryStore *store = kios_test_remove_open_store ();
    g_auto (GStrv)    pending = kios_library_store_list_pending_sources (store, k.hash, NULL);

    g_assert_true (pending == NULL || pending[0] == NULL);
    kios_test_remove_close_store (store);
  }
}

static void
test_kobo_hangs (void)
{
  g_auto (KoboBook) k = { 0 };
  g_auto (Removed)  r = { 0 };
  KiosSyncLogEntry *entry;

  kobo_book_set_up (&k);
  queue_pending (k.hash, k.file, KOBO_SOURCE, 5);
  kios_fake_kobo_set_hang (k.kobo, TRUE);

  remove_book (k.hash, TRUE, &r);
  g_test_message ("removal with the Kobo server hanging: %" G_GINT64_FORMAT " ms", r.elapsed_ms);
  /* Held for the bound only, then dropped with the message. */
  g_assert_cmpint (r.elapsed_ms, >=, 2500);
  g_assert_cmpint (r.elapsed_ms, <, HANG_BOUND_MS);
  g_assert_nonnull (r.notice);
  g_assert_nonnull (strstr (r.notice, KOBO_SOURCE));
  g_assert_nonnull (strstr (r.notice, "dropped"));
  g_assert_nonnull (r.unsent);
  g_assert_cmpstr (r.unsent[0], ==, KOBO_SOURCE);
  entry = flush_entry (r.log, KOBO_SOURCE);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->result, ==, "offline");
  g_assert_nonnull (strstr (entry->detail, "Dropped"));
}

/* ---- OPDS progression (Readium) ------------------------------------------- */

/* A book from an OPDS catalog with a progression link (link NULL: the
 * fake's own), as kios_opds_client_download_book records it. */
static char *
readium_book_set_up (KiosFakeProgression *fake,
                     const char          *file,
                     const char          *link)
{
  g_autofree char    *catalog = g_strconcat (kios_fake_progression_get_base (fake), "/opds/v2/catalog", NULL);
  g_autofree char    *href = NULL;
  g_autoptr (GError)  error = NULL;
  g_auto (KiosctlRun) run = { 0 };
  KiosLibraryStore   *store;
  char               *hash;

  kios_test_kiosctl (&run, "kios-pass\n", "source", "add", "--kind", "opds", "--name", OPDS_SOURCE, "--url", catalog,
                     "--user", "kios@example.org", "--password-stdin", NULL);
  g_assert_cmpint (run.status, ==, 0);
  mirror_secrets (OPDS_SOURCE, catalog, "kios@example.org", "kios-pass");
  /* Into the library. */
  href = chapter_href (file, 1);
  hash = kios_book_hash_file (file, &error);
  g_assert_no_error (error);
  store = kios_test_remove_open_store ();
  kios_library_store_set_book_meta (store, hash, "opds.progression",
                                    link != NULL ? link : kios_fake_progression_get_url (fake));
  kios_library_store_set_book_meta (store, hash, "opds.source", OPDS_SOURCE);
  kios_test_remove_close_store (store);
  return hash;
}

static char *
copy_sample (void)
{
  g_autofree char   *sample = kios_test_book ("pride-and-prejudice.epub");
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "books-here", NULL);
  g_autofree char   *contents = NULL;
  g_autoptr (GError) error = NULL;
  char              *file = g_build_filename (dir, "pride.epub", NULL);
  gsize              length;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (sample, &contents, &length, &error));
  g_assert_true (g_file_set_contents (file, contents, length, &error));
  g_assert_no_error (error);
  return file;
}

static void
test_readium_sent (void)
{
  g_autofree char                *file = copy_sample ();
  g_autoptr (KiosFakeProgression) komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                     "kios-pass", file);
  g_autofree char                *hash = readium_book_set_up (komga, file, NULL);
  g_autofree char                *stored = NULL;
  g_autofree char                *href = chapter_href (file, 7);
  g_auto (Removed)                r = { 0 };
  KiosSyncLogEntry               *entry;

  queue_pending (hash, file, OPDS_SOURCE, 7);
  g_assert_null (kios_fake_progression_dup_stored (komga));

  remove_book (hash, TRUE, &r);
  g_test_message ("removal with a progression push sent: %" G_GINT64_FORMAT " ms", r.elapsed_ms);
  g_assert_null (r.notice);
  stored = kios_fake_progression_dup_stored (komga);
  g_assert_nonnull (stored);
  g_assert_nonnull (strstr (stored, href));
  g_assert_cmpuint (kios_fake_progression_get_last_put_status (komga), <, 300);
  entry = flush_entry (r.log, OPDS_SOURCE);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->protocol, ==, "readium");
  g_assert_cmpstr (entry->result, ==, "synced");
}

static void
test_readium_hangs (void)
{
  g_autofree char                *file = copy_sample ();
  g_autoptr (KiosFakeProgression) komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                     "kios-pass", file);
  g_autoptr (GSocketListener)     hole = NULL;
  g_autofree char                *link = NULL;
  g_autofree char                *hash = NULL;
  g_auto (Removed)                r = { 0 };
  KiosSyncLogEntry               *entry;
  guint16                         port = 0;

  /* The progression link leads to a server that takes the connection and
   * never answers. */
  hole = kios_fake_black_hole_new (&port);
  link = g_strdup_printf ("http://127.0.0.1:%u/opds/v2/books/1/progression", port);
  hash = readium_book_set_up (komga, file, link);
  queue_pending (hash, file, OPDS_SOURCE, 7);

  remove_book (hash, FALSE, &r);
  g_test_message ("removal with the progression server hanging: %" G_GINT64_FORMAT " ms", r.elapsed_ms);
  g_assert_cmpint (r.elapsed_ms, >=, 2500);
  g_assert_cmpint (r.elapsed_ms, <, HANG_BOUND_MS);
  g_assert_nonnull (r.notice);
  g_assert_nonnull (strstr (r.notice, OPDS_SOURCE));
  g_assert_nonnull (strstr (r.notice, "dropped"));
  entry = flush_entry (r.log, OPDS_SOURCE);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->protocol, ==, "readium");
  g_assert_cmpstr (entry->result, !=, "synced");
  g_socket_listener_close (hole);
}

/* ---- a refused removal ---------------------------------------------------- */

typedef struct
{
  GError  *error;
  gboolean done;
} Refused;

static void
refused_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Refused         *refused = user_data;
  g_autofree char *notice = NULL;

  g_assert_null (kios_library_remove_finish (KIOS_LIBRARY (source), result, &notice, &refused->error));
  g_assert_null (notice);
  refused->done = TRUE;
}

/* "Delete File" for a book Kios did not download is refused before
 * anything else: its pending push is not sent (nor logged as sent before a
 * removal), it stays pending, and the book stays. Both forms. */
static void
test_refused_delete_sends_nothing (void)
{
  g_autofree char           *file = copy_sample ();
  g_autoptr (KiosFakeKosync) kosync = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autoptr (GError)         error = NULL;
  g_autofree char           *hash = kios_book_hash_file (file, &error);

  g_assert_no_error (error);
  add_kosync (kosync);
  queue_pending (hash, file, KOSYNC, 3);

  for (guint async = 0; async < 2; async++)
    {
      KiosLibraryStore          *store = kios_test_remove_open_store ();
      KiosLibrary               *library = kios_library_new (store);
      KiosSyncService           *service = kios_sync_service_new (store);
      g_autoptr (KiosBookRecord) book = NULL;
      g_autoptr (GPtrArray)      log = NULL;
      g_auto (GStrv)             pending = NULL;
      g_autofree char           *notice = NULL;

      kios_library_set_sync_service (library, service);
      if (async)
        {
          Refused refused = { 0 };

          kios_library_remove_async (library, hash, TRUE, NULL, refused_done_cb, &refused);
          while (!refused.done)
            g_main_context_iteration (NULL, TRUE);
          error = refused.error;
        }
      else
        g_assert_null (kios_library_remove (library, hash, TRUE, &notice, &error));
      g_assert_error (error, KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_NOT_DOWNLOADED);
      g_clear_error (&error);
      g_assert_null (notice);

      g_assert_cmpuint (kios_fake_kosync_count_requests (kosync, "PUT", NULL), ==, 0);
      g_assert_null (kios_fake_kosync_get_stored_progress (kosync, hash));
      book = kios_library_store_get_book (store, hash, &error);
      g_assert_no_error (error);
      g_assert_nonnull (book);
      pending = kios_library_store_list_pending_sources (store, hash, NULL);
      g_assert_nonnull (pending);
      g_assert_true (g_strv_contains ((const char *const *) pending, KOSYNC));
      log = kios_library_store_list_sync_log (store, hash, 0, &error);
      g_assert_no_error (error);
      g_assert_null (flush_entry (log, KOSYNC));

      kios_test_remove_drain ();
      g_assert_finalize_object (library);
      g_object_unref (service);
      kios_test_remove_close_store (store);
    }

  /* The same book removed without its file: the push goes first. */
  {
    g_auto (Removed) r = { 0 };

    remove_book (hash, TRUE, &r);
    g_assert_null (r.notice);
    g_assert_nonnull (flush_entry (r.log, KOSYNC));
    g_assert_cmpuint (kios_fake_kosync_count_requests (kosync, "PUT", NULL), >, 0);
  }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *keyring = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* One file keyring for the whole process (libsecret keeps its backend). */
  dir = g_dir_make_tmp ("kios-library-remove-sync-XXXXXX", NULL);
  keyring = g_build_filename (dir, "test.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-keyring", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);

  g_test_add_func ("/kios/library-remove-sync/kobo-sent", test_kobo_sent);
  g_test_add_func ("/kios/library-remove-sync/kobo-hangs", test_kobo_hangs);
  g_test_add_func ("/kios/library-remove-sync/readium-sent", test_readium_sent);
  g_test_add_func ("/kios/library-remove-sync/readium-hangs", test_readium_hangs);
  g_test_add_func ("/kios/library-remove-sync/refused-delete-sends-nothing", test_refused_delete_sends_nothing);

  return g_test_run ();
}
