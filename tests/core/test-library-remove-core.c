/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-remove-core"

#include "config.h"

#include "kios-annotation.h"
#include "kios-book-hash.h"
#include "kios-fake-kosync.h"
#include "kios-library.h"
#include "kios-paths.h"
#include "kios-sync-source.h"
#include "kios-test-kiosctl.h"
#include "kios-test-library-remove.h"
#include "kios-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* Removing a book keeps its annotations (keyed by hash) unless the person
 * chose to remove them too; then they go when the undo window ends. */

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SOURCE "Home server"
#define USER "alice"
#define PASSWORD "correct-horse-battery"
#define XPOINTER "/body/DocFragment[3]/body/p[7]/text().12"

static void
add_book (KiosLibraryStore *store,
          const char       *hash,
          const char       *path,
          const char       *title)
{
  KiosBookRecord book = { 0 };

  book.hash = (char *) hash;
  book.path = (char *) path;
  book.format = (char *) "epub";
  book.title = (char *) title;
  book.added_at = 1700000000;
  kios_library_store_upsert_book (store, &book);
}

static void
add_annotation (KiosLibraryStore  *store,
                const char        *hash,
                KiosAnnotationKind kind,
                int                chapter,
                const char        *note)
{
  g_autoptr (KiosAnnotation) a = kios_annotation_new ();
  g_autoptr (GError)         error = NULL;

  a->hash = g_strdup (hash);
  a->kind = kind;
  a->start = kios_position_new ();
  a->start->format = KIOS_BOOK_FORMAT_EPUB;
  a->start->chapter = chapter;
  a->start->chapter_href = g_strdup_printf ("OEBPS/ch%d.xhtml", chapter);
  a->start->offset = 10;
  if (kind == KIOS_ANNOTATION_HIGHLIGHT)
    {
      a->end = kios_position_copy (a->start);
      a->end->offset = 20;
      a->color = g_strdup ("yellow");
    }
  a->text = g_strdup ("words");
  a->note = g_strdup (note);
  g_assert_true (kios_library_store_add_annotation (store, a, &error));
  g_assert_no_error (error);
}

static void
fill (KiosLibraryStore *store)
{
  add_book (store, HASH_A, "/nonexistent/a.epub", "Germinal");
  add_annotation (store, HASH_A, KIOS_ANNOTATION_HIGHLIGHT, 1, NULL);
  add_annotation (store, HASH_A, KIOS_ANNOTATION_HIGHLIGHT, 2, "a note");
  add_annotation (store, HASH_A, KIOS_ANNOTATION_BOOKMARK, 3, NULL);
}

static void
test_count_by_kind (void)
{
  KiosLibraryStore  *store = kios_test_remove_open_store ();
  KiosLibrary       *library = kios_library_new (store);
  g_autoptr (GError) error = NULL;
  guint              highlights = 99, notes = 99, bookmarks = 99;

  fill (store);
  g_assert_true (kios_library_count_annotations (library, HASH_A, &highlights, &notes, &bookmarks, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (highlights, ==, 1);
  g_assert_cmpuint (notes, ==, 1);
  g_assert_cmpuint (bookmarks, ==, 1);
  g_assert_true (kios_library_count_annotations (library, "0123456789abcdef0123456789abcdef", &highlights,
                                                 &notes, &bookmarks, &error));
  g_assert_cmpuint (highlights + notes + bookmarks, ==, 0);

  kios_test_remove_drain ();
  g_assert_finalize_object (library);
  kios_test_remove_close_store (store);
}

static void
test_keep_annotations (void)
{
  KiosLibraryStore   *store = kios_test_remove_open_store ();
  KiosLibrary        *library = kios_library_new (store);
  g_autoptr (GError)  error = NULL;
  KiosLibraryRemoval *removal;

  fill (store);
  removal = kios_library_remove (library, HASH_A, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kios_library_removal_get_n_annotations (removal), ==, 3);
  kios_library_removal_free (removal);
  /* The book is gone, its annotations stay under its hash... */
  g_assert_null (kios_library_store_get_book (store, HASH_A, &error));
  g_clear_error (&error);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 3);
  /* ... and the book added again has them back. */
  add_book (store, HASH_A, "/nonexistent/a.epub", "Germinal");
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 3);

  kios_test_remove_drain ();
  g_assert_finalize_object (library);
  kios_test_remove_close_store (store);
}

static void
test_drop_annotations (void)
{
  KiosLibraryStore   *store = kios_test_remove_open_store ();
  KiosLibrary        *library = kios_library_new (store);
  g_autoptr (GError)  error = NULL;
  KiosLibraryRemoval *removal;

  fill (store);

  /* Chosen to go, then undone: everything comes back, annotations too. */
  removal = kios_library_remove (library, HASH_A, FALSE, NULL, &error);
  g_assert_no_error (error);
  kios_library_removal_set_drop_annotations (removal, TRUE);
  g_assert_true (kios_library_undo_remove (library, removal, &error));
  g_assert_no_error (error);
  kios_library_removal_free (removal);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 3);

  /* Chosen to go: they wait out the undo window, then go. */
  removal = kios_library_remove (library, HASH_A, FALSE, NULL, &error);
  g_assert_no_error (error);
  kios_library_removal_set_drop_annotations (removal, TRUE);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 3);
  kios_library_removal_free (removal);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 0);

  kios_test_remove_drain ();
  g_assert_finalize_object (library);
  kios_test_remove_close_store (store);
}

static void
test_kiosctl (void)
{
  g_auto (KiosctlRun) run = { 0 };
  g_autofree char    *dir = g_build_filename (g_get_home_dir (), "Books", NULL);
  g_autofree char    *emma = g_build_filename (dir, "emma.epub", NULL);
  g_autofree char    *sample = g_build_filename (g_getenv ("KIOS_SAMPLE_BOOKS"), "emma.epub", NULL);
  g_autofree char    *contents = NULL;
  g_autofree char    *hash = NULL;
  gsize               length;
  KiosLibraryStore   *store;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (sample, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (emma, contents, length, NULL));
  hash = kios_book_hash_file (emma, NULL);
  g_assert_nonnull (hash);

  store = kios_test_remove_open_store ();
  add_book (store, hash, emma, "Emma");
  add_annotation (store, hash, KIOS_ANNOTATION_HIGHLIGHT, 1, NULL);
  add_annotation (store, hash, KIOS_ANNOTATION_BOOKMARK, 2, NULL);
  kios_test_remove_close_store (store);

  /* By default the annotations stay, and kiosctl says so. */
  kios_test_kiosctl (&run, NULL, "library", "remove", emma, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Kept its 2 annotations"));
  store = kios_test_remove_open_store ();
  g_assert_cmpint (kios_library_store_count_annotations (store, hash), ==, 2);
  add_book (store, hash, emma, "Emma");
  kios_test_remove_close_store (store);

  /* --annotations removes them with the book. */
  kios_test_kiosctl (&run, NULL, "library", "remove", "--annotations", hash, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Removed its 2 annotations"));
  store = kios_test_remove_open_store ();
  g_assert_cmpint (kios_library_store_count_annotations (store, hash), ==, 0);
  kios_test_remove_close_store (store);
  g_assert_true (g_file_test (emma, G_FILE_TEST_EXISTS));
}

/* ---- a pending push is sent before the book goes ------------------------ */

static void
add_account (KiosLibraryStore *store,
             const char       *url)
{
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (GError)           error = NULL;

  record->name = g_strdup (SOURCE);
  record->kind = g_strdup ("kosync");
  record->auth = g_strdup ("headers");
  g_assert_true (kios_sync_source_save_secrets (record, url, USER, PASSWORD, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);
}

static void
add_pending (KiosLibraryStore *store)
{
  g_autoptr (KiosPosition) pos = kios_position_new ();

  add_book (store, HASH_A, "/nonexistent/a.epub", "Germinal");
  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->chapter = 3;
  pos->xpointer = g_strdup (XPOINTER);
  pos->total_progress = 0.4;
  pos->chapter_progress = 0.5;
  pos->updated_at = 1700000100;
  kios_library_store_save_position (store, HASH_A, pos);
  kios_library_store_set_pending_push (store, HASH_A, SOURCE, pos);
}

/* Removes HASH_A with a sync service; returns the notice. */
static char *
remove_with_service (KiosLibraryStore *store,
                     gint64           *elapsed_ms)
{
  KiosLibrary                   *library = kios_library_new (store);
  KiosSyncService               *service = kios_sync_service_new (store);
  g_autoptr (KiosLibraryRemoval) removal = NULL;
  g_autoptr (GError)             error = NULL;
  char                          *notice = NULL;
  gint64                         start = g_get_monotonic_time ();

  kios_library_set_sync_service (library, service);
  removal = kios_library_remove (library, HASH_A, FALSE, &notice, &error);
  *elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_no_error (error);
  g_assert_nonnull (removal);
  g_assert_null (kios_library_store_get_book (store, HASH_A, NULL));
  if (notice != NULL)
    {
      g_assert_nonnull (kios_library_removal_get_unsent_sources (removal));
      g_assert_cmpstr (kios_library_removal_get_unsent_sources (removal)[0], ==, SOURCE);
    }
  else
    g_assert_null (kios_library_removal_get_unsent_sources (removal));
  g_clear_pointer (&removal, kios_library_removal_free);
  kios_test_remove_drain ();
  g_assert_finalize_object (library);
  g_object_unref (service);
  return notice;
}

static void
test_pending_push_sent (void)
{
  g_autoptr (KiosFakeKosync) fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char           *url = NULL;
  g_autofree char           *notice = NULL;
  g_autofree char           *stored = NULL;
  KiosLibraryStore          *store = kios_test_remove_open_store ();
  gint64                     elapsed;

  kios_fake_kosync_add_user (fake, USER, PASSWORD);
  url = kios_fake_kosync_get_base_url (fake);
  add_account (store, url);
  add_pending (store);

  notice = remove_with_service (store, &elapsed);
  g_test_message ("removal with a push sent: %" G_GINT64_FORMAT " ms", elapsed);
  /* The position reached the server before the book went; nothing to say. */
  g_assert_null (notice);
  stored = kios_fake_kosync_get_stored_progress (fake, HASH_A);
  g_assert_cmpstr (stored, ==, XPOINTER);
  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, "PUT", "/syncs/progress"), ==, 1);
  kios_test_remove_close_store (store);
}

static void
test_pending_push_server_down (void)
{
  KiosFakeKosync   *fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char  *url = kios_fake_kosync_get_base_url (fake);
  g_autofree char  *notice = NULL;
  KiosLibraryStore *store = kios_test_remove_open_store ();
  gint64            elapsed;

  kios_fake_kosync_add_user (fake, USER, PASSWORD);
  add_account (store, url);
  add_pending (store);
  /* The server goes away: its port refuses connections. */
  kios_fake_kosync_free (fake);

  notice = remove_with_service (store, &elapsed);
  g_test_message ("removal with the server down: %" G_GINT64_FORMAT " ms", elapsed);
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, SOURCE));
  g_assert_nonnull (strstr (notice, "dropped"));
  kios_test_remove_close_store (store);
}

static void
test_pending_push_server_hangs (void)
{
  g_autoptr (KiosFakeKosync) fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char           *url = NULL;
  g_autofree char           *notice = NULL;
  KiosLibraryStore          *store = kios_test_remove_open_store ();
  gint64                     elapsed;

  kios_fake_kosync_add_user (fake, USER, PASSWORD);
  url = kios_fake_kosync_get_base_url (fake);
  add_account (store, url);
  add_pending (store);
  kios_fake_kosync_set_delay (fake, 0, TRUE);

  /* A server that never answers holds the removal only for the timeout. */
  notice = remove_with_service (store, &elapsed);
  g_test_message ("removal with the server hanging: %" G_GINT64_FORMAT " ms", elapsed);
  g_assert_cmpint (elapsed, <, 8000);
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, SOURCE));
  kios_test_remove_close_store (store);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *keyring = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* One file keyring for the whole process (libsecret keeps its backend). */
  dir = g_dir_make_tmp ("kios-library-remove-XXXXXX", NULL);
  keyring = g_build_filename (dir, "test.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-keyring", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);

  g_test_add_func ("/kios/library-remove-core/count-by-kind", test_count_by_kind);
  g_test_add_func ("/kios/library-remove-core/keep-annotations", test_keep_annotations);
  g_test_add_func ("/kios/library-remove-core/drop-annotations", test_drop_annotations);
  g_test_add_func ("/kios/library-remove-core/kiosctl", test_kiosctl);
  g_test_add_func ("/kios/library-remove-core/pending-push-sent", test_pending_push_sent);
  g_test_add_func ("/kios/library-remove-core/pending-push-server-down", test_pending_push_server_down);
  g_test_add_func ("/kios/library-remove-core/pending-push-server-hangs", test_pending_push_server_hangs);

  return g_test_run ();
}
