/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-store"

#include "config.h"

#include "kios-error.h"
#include "kios-library-store.h"
#include "kios-paths.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HASH_C "cccccccccccccccccccccccccccccccc"

/* ---- helpers ------------------------------------------------------------ */

static char *
db_path (void)
{
  /* G_TEST_OPTION_ISOLATE_DIRS gives every test case its own data dir. */
  return g_build_filename (g_get_user_data_dir (), "kios", "library.db", NULL);
}

static KiosLibraryStore *
open_store (const char *path)
{
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store = kios_library_store_new (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
close_store (KiosLibraryStore *store)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (kios_library_store_flush (store, 10000));
  /* A finished GTask may drop its reference from its worker a moment after
   * the callback ran. */
  while (g_atomic_int_get (&G_OBJECT (store)->ref_count) > 1 &&
         g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_finalize_object (store);
}

/* A direct SQLite connection, independent of the store's own read path. */
static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
raw_int (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static char *
raw_text (sqlite3    *db,
          const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char         *value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static KiosPosition *
make_position (gint64 n)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->chapter = (int) (n % 50);
  pos->chapter_href = g_strdup_printf ("OEBPS/Text/ch%02d.xhtml", pos->chapter);
  pos->chapter_title = g_strdup_printf ("Chapter %d", pos->chapter);
  pos->offset = n;
  pos->chapter_progress = 0.25;
  pos->total_progress = (double) (n % 1000) / 1000.0;
  pos->xpointer = g_strdup_printf ("/body/DocFragment[%d]/body/p[%" G_GINT64_FORMAT "]/text().0",
                                   pos->chapter + 1, n);
  pos->updated_at = 1760000000 + n;
  pos->device = g_strdup ("Kios on test");
  pos->device_id = g_strdup ("00112233445566778899AABBCCDDEEFF");
  return pos;
}

static void
assert_positions_identical (const KiosPosition *a,
                            const KiosPosition *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpint (a->format, ==, b->format);
  g_assert_cmpint (a->chapter, ==, b->chapter);
  g_assert_cmpstr (a->chapter_href, ==, b->chapter_href);
  g_assert_cmpstr (a->chapter_title, ==, b->chapter_title);
  g_assert_cmpint (a->offset, ==, b->offset);
  g_assert_cmpfloat (a->chapter_progress, ==, b->chapter_progress);
  g_assert_cmpfloat (a->total_progress, ==, b->total_progress);
  g_assert_cmpstr (a->xpointer, ==, b->xpointer);
  g_assert_cmpint (a->updated_at, ==, b->updated_at);
  g_assert_cmpstr (a->device, ==, b->device);
  g_assert_cmpstr (a->device_id, ==, b->device_id);
}

static void
add_book (KiosLibraryStore *store,
          const char       *hash,
          const char       *title,
          gint64            last_opened_at)
{
  KiosBookRecord   book = { 0 };
  g_autofree char *path = g_strdup_printf ("/books/%s.epub", title);

  book.hash = (char *) hash;
  book.path = path;
  book.size = 12345;
  book.format = (char *) "epub";
  book.title = (char *) title;
  book.authors = (char *) "Jane Austen";
  book.added_at = 1700000000;
  book.last_opened_at = last_opened_at;
  kios_library_store_upsert_book (store, &book);
}

/* ---- schema ------------------------------------------------------------- */

/* The library and its WAL files are private to the person, even with a
 * permissive umask, and a library made by an older Kios is narrowed. */
static void
test_file_private (void)
{
  g_autofree char  *path = db_path ();
  g_autofree char  *wal = NULL;
  KiosLibraryStore *store;
  GStatBuf          st;
  mode_t            old_umask = umask (022);

  store = open_store (path);
  add_book (store, HASH_A, "Persuasion", 10);
  g_assert_true (kios_library_store_flush (store, 5000));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  wal = g_strconcat (path, "-wal", NULL);
  if (g_stat (wal, &st) == 0)
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  close_store (store);

  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  store = open_store (path);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  close_store (store);
  umask (old_umask);
}

static void
test_schema_create_reopen (void)
{
  g_autofree char           *path = db_path ();
  g_autofree char           *mode = NULL;
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store;
  sqlite3                   *db;

  store = open_store (path);
  g_assert_cmpstr (kios_library_store_get_path (store), ==, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  add_book (store, HASH_A, "Persuasion", 10);
  close_store (store);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 4);
  mode = raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                                " ('books','book_meta','positions','sources','sync_state','sync_log')"),
                   ==, 6);
  sqlite3_close (db);

  /* Reopening runs the migration again as a no-op and keeps the data. */
  store = open_store (path);
  book = kios_library_store_get_book (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (book->title, ==, "Persuasion");
  close_store (store);
}

static void
test_schema_newer_refused (void)
{
  g_autofree char   *path = db_path ();
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;
  sqlite3           *db;

  store = open_store (path);
  close_store (store);

  db = raw_open (path);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = kios_library_store_new (path, &error);
  g_assert_null (store);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "newer"));
}

typedef struct
{
  const char       *path;
  KiosLibraryStore *store;
  GError           *error;
} OpenData;

static gpointer
open_thread (gpointer user_data)
{
  OpenData *data = user_data;

  data->store = kios_library_store_new (data->path, &data->error);
  return NULL;
}

/* The app and kiosctl share one file: both may create it at the same moment,
 * and each sees what the other flushed. */
static void
test_two_stores (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (KiosPosition) pos = make_position (99);
  g_autoptr (KiosPosition) got = NULL;
  g_autoptr (GError)       error = NULL;
  KiosLibraryStore        *stores[4];
  GThread                 *threads[4];
  OpenData                 data[4];
  sqlite3                 *db;

  for (int i = 0; i < 4; i++)
    {
      data[i] = (OpenData){ path, NULL, NULL };
      threads[i] = g_thread_new ("open", open_thread, &data[i]);
    }
  for (int i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (data[i].error);
      stores[i] = data[i].store;
      g_assert_nonnull (stores[i]);
    }

  kios_library_store_save_position (stores[0], HASH_A, pos);
  g_assert_true (kios_library_store_flush (stores[0], 10000));
  got = kios_library_store_get_position (stores[3], HASH_A, &error);
  g_assert_no_error (error);
  assert_positions_identical (got, pos);

  for (int i = 0; i < 4; i++)
    close_store (stores[i]);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 4);
  sqlite3_close (db);
}

/* ---- books -------------------------------------------------------------- */

static void
test_upsert_twice (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (KiosBookRecord) by_path = NULL;
  g_autoptr (GError)         error = NULL;
  KiosBookRecord             record = { 0 };
  KiosLibraryStore          *store;
  sqlite3                   *db;

  store = open_store (path);
  record.hash = (char *) HASH_A;
  record.path = (char *) "/books/old.epub";
  record.size = 10;
  record.format = (char *) "epub";
  record.title = (char *) "Old title";
  record.added_at = 1000;
  record.last_opened_at = 5000;
  kios_library_store_upsert_book (store, &record);

  record.path = (char *) "/books/new.epub";
  record.size = 20;
  record.title = (char *) "Émma — nouvelle édition";
  record.authors = (char *) "Jane Austen, 简·奥斯汀";
  record.cover_path = (char *) "/cache/covers/a.png";
  record.added_at = 2000;
  record.last_opened_at = 4000; /* older than the stored one: kept */
  kios_library_store_upsert_book (store, &record);

  book = kios_library_store_get_book (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (book->id, >, 0);
  g_assert_cmpstr (book->hash, ==, HASH_A);
  g_assert_cmpstr (book->path, ==, "/books/new.epub");
  g_assert_cmpint (book->size, ==, 20);
  g_assert_cmpstr (book->format, ==, "epub");
  g_assert_cmpstr (book->title, ==, "Émma — nouvelle édition");
  g_assert_cmpstr (book->authors, ==, "Jane Austen, 简·奥斯汀");
  g_assert_cmpstr (book->cover_path, ==, "/cache/covers/a.png");
  g_assert_cmpint (book->added_at, ==, 1000);
  g_assert_cmpint (book->last_opened_at, ==, 5000);

  by_path = kios_library_store_get_book_by_path (store, "/books/new.epub", &error);
  g_assert_no_error (error);
  g_assert_cmpint (by_path->id, ==, book->id);
  g_assert_null (kios_library_store_get_book_by_path (store, "/books/old.epub", &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (kios_library_store_get_book (store, HASH_B, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  close_store (store);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM books"), ==, 1);
  sqlite3_close (db);
}

static void
test_book_copy_free (void)
{
  KiosBookRecord               record = { 7, (char *) HASH_A, (char *) "/p", 1, (char *) "pdf", NULL,
                                          (char *) "A", NULL, 2, 3, 0.5 };
  g_autoptr (KiosBookRecord)   copy = kios_book_record_copy (&record);
  KiosSourceRecord             source = { 3, (char *) "n", (char *) "opds", NULL, (char *) "none", NULL,
                                          (char *) "{}" };
  g_autoptr (KiosSourceRecord) source_copy = kios_source_record_copy (&source);

  g_assert_true (copy->hash != record.hash);
  g_assert_cmpstr (copy->hash, ==, HASH_A);
  g_assert_null (copy->title);
  g_assert_cmpfloat (copy->progress, ==, 0.5);
  g_assert_cmpint (source_copy->id, ==, 3);
  g_assert_cmpstr (source_copy->settings_json, ==, "{}");
  g_assert_null (kios_book_record_copy (NULL));
  kios_book_record_free (NULL);
  kios_source_record_free (NULL);
}

static void
test_book_meta (void)
{
  g_autofree char  *path = db_path ();
  KiosLibraryStore *store = open_store (path);
  char             *value;

  g_assert_null (kios_library_store_get_book_meta (store, HASH_A, "font-size"));
  kios_library_store_set_book_meta (store, HASH_A, "font-size", "12");
  kios_library_store_set_book_meta (store, HASH_A, "font-size", "14");
  kios_library_store_set_book_meta (store, HASH_B, "font-size", "9");
  kios_library_store_set_book_meta (store, HASH_A, "note", "« ünïcødé »");

  value = kios_library_store_get_book_meta (store, HASH_A, "font-size");
  g_assert_cmpstr (value, ==, "14");
  g_free (value);
  value = kios_library_store_get_book_meta (store, HASH_A, "note");
  g_assert_cmpstr (value, ==, "« ünïcødé »");
  g_free (value);

  /* NULL removes the key. */
  kios_library_store_set_book_meta (store, HASH_A, "font-size", NULL);
  g_assert_null (kios_library_store_get_book_meta (store, HASH_A, "font-size"));
  value = kios_library_store_get_book_meta (store, HASH_B, "font-size");
  g_assert_cmpstr (value, ==, "9");
  g_free (value);
  close_store (store);
}

/* ---- positions ---------------------------------------------------------- */

static void
test_position_roundtrip (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosPosition)   full = kios_position_new ();
  g_autoptr (KiosPosition)   sparse = kios_position_new ();
  g_autoptr (KiosPosition)   got = NULL;
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store;

  full->format = KIOS_BOOK_FORMAT_EPUB;
  full->chapter = 42;
  full->chapter_href = g_strdup ("OEBPS/Text/chapitre-été.xhtml");
  full->chapter_title = g_strdup ("Глава 5 — 第五章 « l’été » 📖");
  full->offset = G_GINT64_CONSTANT (123456789012);
  full->chapter_progress = 0.123456789012345;
  full->total_progress = 0.987654321098765;
  full->xpointer = g_strdup ("/body/DocFragment[43]/body/div[2]/p[7]/text().15");
  full->updated_at = 1764200000;
  full->device = g_strdup ("Kios on höst");
  full->device_id = g_strdup ("0123456789ABCDEF0123456789ABCDEF");

  /* A PDF position: every optional string NULL. */
  sparse->format = KIOS_BOOK_FORMAT_PDF;
  sparse->chapter = 3;

  store = open_store (path);
  got = kios_library_store_get_position (store, HASH_A, &error);
  g_assert_null (got);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  add_book (store, HASH_A, "Emma", 1);
  kios_library_store_save_position (store, HASH_A, full);
  kios_library_store_save_position (store, HASH_B, sparse);

  got = kios_library_store_get_position (store, HASH_A, &error);
  g_assert_no_error (error);
  assert_positions_identical (got, full);
  g_clear_pointer (&got, kios_position_free);

  got = kios_library_store_get_position (store, HASH_B, &error);
  g_assert_no_error (error);
  assert_positions_identical (got, sparse);
  g_assert_null (got->chapter_href);
  g_assert_null (got->xpointer);
  g_assert_null (got->device_id);
  g_clear_pointer (&got, kios_position_free);

  /* The book's progress follows the saved position. */
  book = kios_library_store_get_book (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (book->progress, ==, full->total_progress);
  close_store (store);

  /* And everything survives a reopen. */
  store = open_store (path);
  got = kios_library_store_get_position (store, HASH_A, &error);
  g_assert_no_error (error);
  assert_positions_identical (got, full);
  close_store (store);
}

/* Every load right after a save returns that save, even though the save only
 * queued the write, and even when saves for one book get coalesced. */
static void
test_save_then_load (void)
{
  g_autofree char  *path = db_path ();
  KiosLibraryStore *store = open_store (path);

  for (int i = 1; i <= 300; i++)
    {
      g_autoptr (KiosPosition) pos = make_position (i);
      g_autoptr (KiosPosition) got = NULL;
      g_autoptr (GError)       error = NULL;

      kios_library_store_save_position (store, HASH_A, pos);
      /* A burst for another book so batches hold several saves. */
      for (int j = 0; j < i % 5; j++)
        {
          g_autoptr (KiosPosition) other = make_position (i * 10 + j);

          kios_library_store_save_position (store, HASH_B, other);
        }
      got = kios_library_store_get_position (store, HASH_A, &error);
      g_assert_no_error (error);
      assert_positions_identical (got, pos);
    }
  close_store (store);
}

/* ---- recent list -------------------------------------------------------- */

static void
list_recent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GPtrArray        **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = kios_library_store_list_recent_finish (KIOS_LIBRARY_STORE (object), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out);
}

static void
test_list_recent (void)
{
  g_autofree char      *path = db_path ();
  g_autoptr (GPtrArray) recent = NULL;
  g_autoptr (GPtrArray) async_recent = NULL;
  g_autoptr (GError)    error = NULL;
  KiosLibraryStore     *store;
  KiosBookRecord       *book;
  gint64                deadline;

  store = open_store (path);
  add_book (store, HASH_A, "Emma", 100);
  add_book (store, HASH_B, "Persuasion", 300);
  add_book (store, HASH_C, "Sense and Sensibility", 200);

  recent = kios_library_store_list_recent (store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recent->len, ==, 3);
  g_assert_cmpstr (((KiosBookRecord *) recent->pdata[0])->hash, ==, HASH_B);
  g_assert_cmpstr (((KiosBookRecord *) recent->pdata[1])->hash, ==, HASH_C);
  g_assert_cmpstr (((KiosBookRecord *) recent->pdata[2])->hash, ==, HASH_A);
  g_clear_pointer (&recent, g_ptr_array_unref);

  /* Opening Emma moves it to the front; the limit is honoured. */
  kios_library_store_touch_book (store, HASH_A, 400);
  recent = kios_library_store_list_recent (store, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recent->len, ==, 2);
  book = recent->pdata[0];
  g_assert_cmpstr (book->hash, ==, HASH_A);
  g_assert_cmpint (book->last_opened_at, ==, 400);
  g_assert_cmpstr (book->title, ==, "Emma");
  g_assert_cmpstr (((KiosBookRecord *) recent->pdata[1])->hash, ==, HASH_B);

  /* The async variant runs in a worker and sees the same. */
  kios_library_store_list_recent_async (store, 0, NULL, list_recent_cb, &async_recent);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (async_recent == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (async_recent);
  g_assert_cmpuint (async_recent->len, ==, 3);
  g_assert_cmpstr (((KiosBookRecord *) async_recent->pdata[0])->hash, ==, HASH_A);
  g_assert_cmpstr (((KiosBookRecord *) async_recent->pdata[2])->hash, ==, HASH_C);
  close_store (store);
}

static void
list_recent_cancelled_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  gboolean             *done = user_data;
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) rows = NULL;

  rows = kios_library_store_list_recent_finish (KIOS_LIBRARY_STORE (object), result, &error);
  g_assert_null (rows);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *done = TRUE;
}

static void
test_list_recent_cancelled (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  KiosLibraryStore        *store = open_store (path);
  gboolean                 done = FALSE;
  gint64                   deadline;

  g_cancellable_cancel (cancellable);
  kios_library_store_list_recent_async (store, 0, cancellable, list_recent_cancelled_cb, &done);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (done);
  close_store (store);
}

/* ---- sources ------------------------------------------------------------ */

static void
test_source_enabled (void)
{
  KiosSourceRecord record = { 0 };

  /* No settings, or settings without the key: on. */
  g_assert_true (kios_source_record_get_enabled (&record));
  record.settings_json = g_strdup ("{\"library_sync\":true}");
  g_assert_true (kios_source_record_get_enabled (&record));

  /* Off, then on again, keeping every other key. */
  kios_source_record_set_enabled (&record, FALSE);
  g_assert_false (kios_source_record_get_enabled (&record));
  g_assert_nonnull (strstr (record.settings_json, "\"library_sync\":true"));
  kios_source_record_set_enabled (&record, TRUE);
  g_assert_true (kios_source_record_get_enabled (&record));
  g_assert_nonnull (strstr (record.settings_json, "\"library_sync\":true"));

  /* Garbage is not "off": a damaged setting must not silently stop sync. */
  g_free (record.settings_json);
  record.settings_json = g_strdup ("not json");
  g_assert_true (kios_source_record_get_enabled (&record));
  kios_source_record_set_enabled (&record, FALSE);
  g_assert_false (kios_source_record_get_enabled (&record));
  g_free (record.settings_json);
}

/* A rename reaches everything that names the source, in one transaction:
 * the books' "*.source" meta, the sync state and the sync status; other
 * sources' rows and meta that merely hold the same text stay. */
static void
test_rename_source_refs (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosPosition)   pos = make_position (3);
  g_autoptr (KiosPosition)   pending = NULL;
  g_autoptr (KiosSyncStatus) status = kios_sync_status_new ("readium", "Calibre", HASH_A);
  g_autoptr (KiosSyncStatus) whole = kios_sync_status_new ("readium", "Calibre", NULL);
  g_autoptr (KiosSyncStatus) got = NULL;
  KiosSourceRecord           a = { 0 };
  KiosSourceRecord           b = { 0 };
  KiosLibraryStore          *store;
  const struct
  {
    const char *hash;
    const char *key;
    const char *before;
    const char *after;
  } meta[] = {
    { HASH_A, "opds.source", "Calibre", "Attic" },
    { HASH_B, "kobo.source", "Calibre", "Attic" },
    { HASH_C, "future.source", "Calibre", "Attic" },
    { HASH_A, "opds.id", "Calibre", "Calibre" },         /* not a source key */
    { HASH_C, "opds.source", "Calibre 2", "Calibre 2" }, /* another source */
  };

  store = open_store (path);
  a.name = (char *) "Calibre";
  a.kind = (char *) "opds";
  a.url = (char *) "https://books.example.org/opds";
  g_assert_true (kios_library_store_add_source (store, &a, &error));
  g_assert_no_error (error);
  b.name = (char *) "Calibre 2";
  b.kind = (char *) "opds";
  g_assert_true (kios_library_store_add_source (store, &b, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (meta); i++)
    kios_library_store_set_book_meta (store, meta[i].hash, meta[i].key, meta[i].before);
  kios_library_store_set_pending_push (store, HASH_A, "Calibre", pos);
  kios_library_store_set_pending_push (store, HASH_A, "Calibre 2", pos);
  kios_sync_status_set_synced (status);
  kios_library_store_set_sync_status (store, status);
  kios_library_store_set_sync_status (store, whole);
  g_assert_true (kios_library_store_flush (store, 5000));

  a.name = (char *) "Attic";
  g_assert_true (kios_library_store_update_source (store, &a, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (meta); i++)
    {
      g_autofree char *value = kios_library_store_get_book_meta (store, meta[i].hash, meta[i].key);

      g_assert_cmpstr (value, ==, meta[i].after);
    }
  pending = kios_library_store_get_pending_push (store, HASH_A, "Attic", &error);
  g_assert_no_error (error);
  assert_positions_identical (pending, pos);
  g_clear_pointer (&pending, kios_position_free);
  pending = kios_library_store_get_pending_push (store, HASH_A, "Calibre", NULL);
  g_assert_null (pending);
  pending = kios_library_store_get_pending_push (store, HASH_A, "Calibre 2", &error);
  g_assert_no_error (error);
  g_assert_nonnull (pending);

  got = kios_library_store_get_sync_status (store, "Attic", HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->state, ==, KIOS_SYNC_STATUS_SYNCED);
  g_clear_pointer (&got, kios_sync_status_free);
  got = kios_library_store_get_sync_status (store, "Attic", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&got, kios_sync_status_free);
  got = kios_library_store_get_sync_status (store, "Calibre", HASH_A, &error);
  g_assert_null (got);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_object_unref (store);
}

static void
test_sources (void)
{
  g_autofree char             *path = db_path ();
  g_autoptr (GError)           error = NULL;
  g_autoptr (GPtrArray)        list = NULL;
  g_autoptr (KiosSourceRecord) got = NULL;
  g_autoptr (KiosPosition)     pos = make_position (5);
  g_autoptr (KiosPosition)     pending = NULL;
  KiosSourceRecord             a = { 0 };
  KiosSourceRecord             b = { 0 };
  KiosSourceRecord             dup = { 0 };
  KiosLibraryStore            *store;

  store = open_store (path);
  a.name = (char *) "Calibre-Web at home";
  a.kind = (char *) "opds";
  a.url = (char *) "https://books.example.org/opds";
  a.auth = (char *) "basic";
  a.username = (char *) "reader";
  a.settings_json = (char *) "{\"progression\":true}";
  g_assert_true (kios_library_store_add_source (store, &a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a.id, >, 0);

  b.name = (char *) "KOReader sync";
  b.kind = (char *) "kosync";
  b.url = NULL; /* kept in the keyring */
  b.auth = (char *) "headers";
  g_assert_true (kios_library_store_add_source (store, &b, &error));
  g_assert_no_error (error);
  g_assert_cmpint (b.id, !=, a.id);

  dup.name = (char *) "Calibre-Web at home";
  dup.kind = (char *) "kobo";
  g_assert_false (kios_library_store_add_source (store, &dup, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "already exists"));
  g_clear_error (&error);

  got = kios_library_store_get_source (store, "Calibre-Web at home", &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->id, ==, a.id);
  g_assert_cmpstr (got->kind, ==, "opds");
  g_assert_cmpstr (got->url, ==, "https://books.example.org/opds");
  g_assert_cmpstr (got->auth, ==, "basic");
  g_assert_cmpstr (got->username, ==, "reader");
  g_assert_cmpstr (got->settings_json, ==, "{\"progression\":true}");
  g_clear_pointer (&got, kios_source_record_free);

  /* Update by name (id 0): new URL, username now a secret. */
  a.id = 0;
  a.url = (char *) "https://books.example.org/opds/v1.2";
  a.username = NULL;
  g_assert_true (kios_library_store_update_source (store, &a, &error));
  g_assert_no_error (error);
  got = kios_library_store_get_source (store, "Calibre-Web at home", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->url, ==, "https://books.example.org/opds/v1.2");
  g_assert_null (got->username);

  /* Rename by id carries the source's sync state along. */
  kios_library_store_set_pending_push (store, HASH_A, "Calibre-Web at home", pos);
  a.id = got->id;
  a.name = (char *) "Home library";
  g_assert_true (kios_library_store_update_source (store, &a, &error));
  g_assert_no_error (error);
  g_clear_pointer (&got, kios_source_record_free);
  got = kios_library_store_get_source (store, "Calibre-Web at home", &error);
  g_assert_null (got);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  pending = kios_library_store_get_pending_push (store, HASH_A, "Home library", &error);
  g_assert_no_error (error);
  assert_positions_identical (pending, pos);

  /* A rename onto an existing name fails and changes nothing. */
  a.name = (char *) "KOReader sync";
  g_assert_false (kios_library_store_update_source (store, &a, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_clear_error (&error);

  dup.id = 0;
  dup.name = (char *) "Nobody";
  g_assert_false (kios_library_store_update_source (store, &dup, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = kios_library_store_list_sources (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((KiosSourceRecord *) list->pdata[0])->name, ==, "Home library");
  g_assert_cmpstr (((KiosSourceRecord *) list->pdata[1])->name, ==, "KOReader sync");
  g_assert_null (((KiosSourceRecord *) list->pdata[1])->url);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Removing drops its sync state too. */
  g_assert_true (kios_library_store_remove_source (store, "Home library", &error));
  g_assert_no_error (error);
  g_assert_false (kios_library_store_remove_source (store, "Home library", &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&pending, kios_position_free);
  pending = kios_library_store_get_pending_push (store, HASH_A, "Home library", &error);
  g_assert_null (pending);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = kios_library_store_list_sources (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((KiosSourceRecord *) list->pdata[0])->name, ==, "KOReader sync");
  close_store (store);
}

/* ---- sync state --------------------------------------------------------- */

static void
test_pending_push (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (KiosPosition) first = make_position (10);
  g_autoptr (KiosPosition) newer = make_position (20);
  g_autoptr (KiosPosition) got = NULL;
  g_autoptr (GError)       error = NULL;
  KiosLibraryStore        *store;

  g_assert_cmpint (first->updated_at, <, newer->updated_at);

  store = open_store (path);
  got = kios_library_store_get_pending_push (store, HASH_A, "kosync", &error);
  g_assert_null (got);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  kios_library_store_set_pending_push (store, HASH_A, "kosync", first);
  got = kios_library_store_get_pending_push (store, HASH_A, "kosync", &error);
  g_assert_no_error (error);
  assert_positions_identical (got, first);
  g_clear_pointer (&got, kios_position_free);

  /* Per source: another source has nothing pending. */
  got = kios_library_store_get_pending_push (store, HASH_A, "Home library", &error);
  g_assert_null (got);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The push of `first` is in flight when a newer page turn becomes
   * pending; the push's completion must not clear the newer one. */
  kios_library_store_set_pending_push (store, HASH_A, "kosync", newer);
  kios_library_store_clear_pending_push (store, HASH_A, "kosync", first->updated_at);
  got = kios_library_store_get_pending_push (store, HASH_A, "kosync", &error);
  g_assert_no_error (error);
  assert_positions_identical (got, newer);
  g_clear_pointer (&got, kios_position_free);

  kios_library_store_clear_pending_push (store, HASH_A, "kosync", newer->updated_at);
  got = kios_library_store_get_pending_push (store, HASH_A, "kosync", &error);
  g_assert_null (got);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A pending push survives a restart. */
  kios_library_store_set_pending_push (store, HASH_B, "kosync", first);
  close_store (store);
  store = open_store (path);
  got = kios_library_store_get_pending_push (store, HASH_B, "kosync", &error);
  g_assert_no_error (error);
  assert_positions_identical (got, first);
  close_store (store);
}

static void
test_last_pushed_remote (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (KiosPosition) pushed = make_position (33);
  g_autoptr (KiosPosition) pending = make_position (34);
  g_autoptr (KiosPosition) got = NULL;
  g_autoptr (GError)       error = NULL;
  const char              *remote = "{\"progress\":\"/body/DocFragment[3]/body/p[1]/text().0\","
                                    "\"percentage\":0.5,\"device\":\"Kobo Libra ✓\"}";
  char                    *json;
  KiosLibraryStore        *store;

  /* Stored as JSON: full double precision and any text must survive. */
  pushed->chapter_progress = 0.123456789012345678;
  pushed->total_progress = 1.0 / 3.0;
  g_free (pushed->chapter_title);
  pushed->chapter_title = g_strdup ("Глава \"5\" — 第五章 \\ 📖");
  g_clear_pointer (&pushed->device, g_free);

  store = open_store (path);
  g_assert_null (kios_library_store_get_last_pushed (store, HASH_A, "kosync", &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (kios_library_store_get_last_remote (store, HASH_A, "kosync", &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The three columns of one row are independent. */
  kios_library_store_set_pending_push (store, HASH_A, "kosync", pending);
  kios_library_store_set_last_pushed (store, HASH_A, "kosync", pushed);
  kios_library_store_set_last_remote (store, HASH_A, "kosync", remote);

  got = kios_library_store_get_last_pushed (store, HASH_A, "kosync", &error);
  g_assert_no_error (error);
  assert_positions_identical (got, pushed);
  g_clear_pointer (&got, kios_position_free);
  json = kios_library_store_get_last_remote (store, HASH_A, "kosync", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json, ==, remote);
  g_free (json);
  got = kios_library_store_get_pending_push (store, HASH_A, "kosync", &error);
  g_assert_no_error (error);
  assert_positions_identical (got, pending);
  g_clear_pointer (&got, kios_position_free);

  /* Last remote is per source. */
  g_assert_null (kios_library_store_get_last_remote (store, HASH_A, "opds", &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  close_store (store);

  store = open_store (path);
  json = kios_library_store_get_last_remote (store, HASH_A, "kosync", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json, ==, remote);
  g_free (json);
  close_store (store);
}

static void
test_sync_log_bounded (void)
{
  g_autofree char  *path = db_path ();
  g_autofree char  *oldest = NULL;
  g_autofree char  *newest = NULL;
  g_autofree char  *long_detail = NULL;
  KiosLibraryStore *store;
  sqlite3          *db;
  GString          *big;

  store = open_store (path);
  for (int i = 0; i < 1100; i++)
    {
      g_autofree char *detail = g_strdup_printf ("push %d ok", i);

      kios_library_store_log_sync (store, i % 2 ? HASH_A : NULL, "kosync", "push", detail);
    }
  /* A huge detail is cut at a character boundary. */
  big = g_string_new (NULL);
  for (int i = 0; i < 5000; i++)
    g_string_append (big, "é");
  kios_library_store_log_sync (store, HASH_B, NULL, "pull", big->str);
  g_string_free (big, TRUE);
  g_assert_true (kios_library_store_flush (store, 10000));

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sync_log"), ==, 1000);
  oldest = raw_text (db, "SELECT detail FROM sync_log ORDER BY id LIMIT 1");
  g_assert_cmpstr (oldest, ==, "push 101 ok");
  newest = raw_text (db, "SELECT event FROM sync_log ORDER BY id DESC LIMIT 1");
  g_assert_cmpstr (newest, ==, "pull");
  long_detail = raw_text (db, "SELECT detail FROM sync_log ORDER BY id DESC LIMIT 1");
  g_assert_cmpuint (strlen (long_detail), <=, 4096);
  g_assert_cmpuint (strlen (long_detail), >=, 4094);
  g_assert_true (g_utf8_validate (long_detail, -1, NULL));
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sync_log WHERE hash IS NULL"), ==, 499);
  sqlite3_close (db);
  close_store (store);
}

/* ---- flush -------------------------------------------------------------- */

static void
test_flush (void)
{
  g_autofree char  *path = db_path ();
  KiosLibraryStore *store = open_store (path);
  sqlite3          *db;

  /* Distinct books, so nothing is coalesced and all 500 must be written. */
  for (int i = 0; i < 500; i++)
    {
      g_autofree char         *hash = g_strdup_printf ("%032x", i);
      g_autoptr (KiosPosition) pos = make_position (i);

      kios_library_store_save_position (store, hash, pos);
    }
  g_assert_true (kios_library_store_flush (store, 10000));

  /* Another connection sees every write once flush returned. */
  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM positions"), ==, 500);
  g_assert_cmpint (raw_int (db, "SELECT char_offset FROM positions WHERE hash = "
                                "'000000000000000000000000000001f3'"),
                   ==, 499);
  sqlite3_close (db);

  /* An empty queue flushes at once, even with a zero timeout. */
  g_assert_true (kios_library_store_flush (store, 0));
  g_assert_finalize_object (store);
}

/* Dispose writes what is still queued. */
static void
test_dispose_drains (void)
{
  g_autofree char  *path = db_path ();
  KiosLibraryStore *store = open_store (path);
  sqlite3          *db;

  for (int i = 0; i < 200; i++)
    {
      g_autoptr (KiosPosition) pos = make_position (i);
      g_autofree char         *hash = g_strdup_printf ("%032x", i % 20);

      kios_library_store_save_position (store, hash, pos);
      kios_library_store_log_sync (store, hash, "kosync", "save", NULL);
    }
  g_assert_finalize_object (store);

  db = raw_open (path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM positions"), ==, 20);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sync_log"), ==, 200);
  g_assert_cmpint (raw_int (db, "SELECT char_offset FROM positions WHERE hash = "
                                "'00000000000000000000000000000013'"),
                   ==, 199);
  sqlite3_close (db);
}

/* ---- damaged files ------------------------------------------------------ */

static void
assert_open_fails (const char *path,
                   gboolean    corrupt_only)
{
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store = kios_library_store_new (path, &error);

  g_assert_null (store);
  g_assert_nonnull (error);
  g_assert_true (error->domain == KIOS_STORE_ERROR);
  if (corrupt_only)
    g_assert_cmpint (error->code, ==, KIOS_STORE_ERROR_CORRUPT);
  else
    g_assert_true (error->code == KIOS_STORE_ERROR_CORRUPT ||
                   error->code == KIOS_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s → %s", path, error->message);
}

static void
test_corrupt_file (void)
{
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "kios", NULL);
  g_autofree char   *garbage = g_build_filename (dir, "garbage.db", NULL);
  g_autofree char   *damaged = g_build_filename (dir, "damaged.db", NULL);
  g_autofree char   *a_dir = g_build_filename (dir, "a-directory.db", NULL);
  g_autofree char   *contents = NULL;
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;
  GString           *noise;
  gsize              len;

  g_assert_cmpint (g_mkdir_with_parents (a_dir, 0700), ==, 0);

  /* Not SQLite at all. */
  noise = g_string_new ("This is not a database, it is a shopping list.\n");
  for (int i = 0; i < 8192; i++)
    g_string_append_c (noise, (char) g_test_rand_int_range (0, 256));
  g_assert_true (g_file_set_contents (garbage, noise->str, noise->len, NULL));
  g_string_free (noise, TRUE);
  assert_open_fails (garbage, TRUE);

  /* A real library whose schema pages were overwritten. */
  store = open_store (damaged);
  add_book (store, HASH_A, "Emma", 1);
  close_store (store);
  g_assert_true (g_file_get_contents (damaged, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 4096);
  for (gsize i = 100; i < len; i++)
    contents[i] = (char) (0x5a ^ (i & 0xff));
  g_assert_true (g_file_set_contents (damaged, contents, len, NULL));
  assert_open_fails (damaged, FALSE);

  /* A directory where the file should be. */
  assert_open_fails (a_dir, FALSE);
}

/* ---- failed writes ------------------------------------------------------ */

/* While set, the store's warnings are counted instead of aborting the test. */
static gint expect_store_warnings;
static gint store_warnings;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (g_atomic_int_get (&expect_store_warnings) && (log_level & G_LOG_LEVEL_WARNING))
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0 &&
          g_strcmp0 (fields[i].value, "kios-library-store") == 0)
        {
          g_atomic_int_inc (&store_warnings);
          return G_LOG_WRITER_HANDLED;
        }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
test_write_failure (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (KiosPosition) pos = make_position (77);
  g_autoptr (KiosPosition) got = NULL;
  g_autoptr (GError)       error = NULL;
  KiosLibraryStore        *store;
  sqlite3                 *db;
  const char              *fail = "CREATE TRIGGER fail BEFORE INSERT ON sync_log"
                                  " BEGIN SELECT RAISE (ABORT, 'disk says no'); END";

  store = open_store (path);
  db = raw_open (path);
  g_assert_cmpint (sqlite3_exec (db, fail, NULL, NULL, NULL), ==, SQLITE_OK);

  g_atomic_int_set (&store_warnings, 0);
  g_atomic_int_set (&expect_store_warnings, 1);
  for (int i = 0; i < 5; i++)
    kios_library_store_log_sync (store, HASH_A, "kosync", "push", "failed");
  kios_library_store_save_position (store, HASH_A, pos);
  /* The flush says a write failed, and why; once. */
  g_assert_false (kios_library_store_flush_checked (store, 10000, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "disk says no"));
  g_clear_error (&error);
  g_assert_true (kios_library_store_flush (store, 10000));
  /* A run of identical failures warns once, and the writer goes on. */
  g_assert_cmpint (g_atomic_int_get (&store_warnings), ==, 1);
  got = kios_library_store_get_position (store, HASH_A, &error);
  g_assert_no_error (error);
  assert_positions_identical (got, pos);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sync_log"), ==, 0);

  /* After a success, the next failure warns again. */
  g_assert_cmpint (sqlite3_exec (db, "DROP TRIGGER fail", NULL, NULL, NULL), ==, SQLITE_OK);
  kios_library_store_log_sync (store, HASH_A, "kosync", "push", "ok");
  g_assert_true (kios_library_store_flush (store, 10000));
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sync_log"), ==, 1);
  g_assert_cmpint (sqlite3_exec (db, fail, NULL, NULL, NULL), ==, SQLITE_OK);
  kios_library_store_log_sync (store, HASH_A, "kosync", "push", "failed");
  g_assert_false (kios_library_store_flush (store, 10000));
  g_assert_cmpint (g_atomic_int_get (&store_warnings), ==, 2);
  g_atomic_int_set (&expect_store_warnings, 0);

  sqlite3_close (db);
  close_store (store);
}

static void
on_write_failed (KiosLibraryStore *store,
                 const GError     *error,
                 GError          **out)
{
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_clear_error (out);
  *out = g_error_copy (error);
}

/* The disk is full (a file size limit on this process: SQLite keeps
 * writing to a library file that was removed or made read-only under it,
 * through the descriptors it holds, so neither makes a write fail). The
 * writes that fail are reported on the main context and by the flush. */
static void
test_write_failure_disk_full (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (KiosPosition) pos = make_position (5);
  g_autoptr (GError)       error = NULL;
  g_autoptr (GError)       signalled = NULL;
  KiosLibraryStore        *store;
  gint64                   end;
  struct rlimit            saved, full;
  gboolean                 ok;

  store = open_store (path);
  g_signal_connect (store, "write-failed", G_CALLBACK (on_write_failed), &signalled);
  kios_library_store_save_position (store, HASH_A, pos);
  g_assert_true (kios_library_store_flush_checked (store, 10000, &error));
  g_assert_no_error (error);

  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    GStatBuf         st;

    g_assert_cmpint (g_stat (wal, &st), ==, 0);
    g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
    full = saved;
    full.rlim_cur = (rlim_t) st.st_size;
    signal (SIGXFSZ, SIG_IGN);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &full), ==, 0);
  }
  g_atomic_int_set (&store_warnings, 0);
  g_atomic_int_set (&expect_store_warnings, 1);
  for (int i = 0; i < 50; i++)
    kios_library_store_set_book_meta (store, HASH_B, "note", "a page of notes that does not fit");
  ok = kios_library_store_flush_checked (store, 10000, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  g_assert_false (ok);
  g_assert_nonnull (error);
  g_test_message ("flush: %s", error->message);
  g_assert_cmpint (g_atomic_int_get (&store_warnings), ==, 1);

  /* The signal comes on the main context, not on the writer thread. */
  g_assert_null (signalled);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (signalled == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_nonnull (signalled);
  g_assert_cmpstr (signalled->message, ==, error->message);
  g_atomic_int_set (&expect_store_warnings, 0);

  /* Room again: writes go through and the next flush is clean. */
  g_clear_error (&error);
  kios_library_store_save_position (store, HASH_B, pos);
  g_assert_true (kios_library_store_flush_checked (store, 10000, &error));
  g_signal_handlers_disconnect_by_func (store, on_write_failed, &signalled);
  close_store (store);
}

/* ---- concurrency -------------------------------------------------------- */

#define N_READERS 4
#define N_POSITIONS 2000

typedef struct
{
  KiosLibraryStore *store;
  gint             *stop;
  guint             reads;
  gint64            last_seen;
  gboolean          ok;
} ReaderData;

static gpointer
reader_thread (gpointer user_data)
{
  ReaderData *data = user_data;
  gint64      previous = -1;

  data->ok = TRUE;
  /* Bounded: the writer sets `stop`, and the loop gives up after 60 s anyway. */
  for (gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
       !g_atomic_int_get (data->stop) && g_get_monotonic_time () < deadline;)
    {
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosPosition) pos = NULL;
      g_autoptr (GPtrArray)    recent = NULL;

      pos = kios_library_store_get_position (data->store, HASH_A, &error);
      if (pos == NULL)
        {
          /* Only before the first save. */
          if (!g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND) ||
              previous >= 0)
            data->ok = FALSE;
        }
      else
        {
          g_autofree char *expected_xp = NULL;

          /* A whole row, never a mix of two writes, and never going back. */
          expected_xp = g_strdup_printf ("/body/DocFragment[%d]/body/p[%" G_GINT64_FORMAT "]/text().0",
                                         (int) (pos->offset % 50) + 1, pos->offset);
          if (g_strcmp0 (pos->xpointer, expected_xp) != 0 || pos->offset < previous ||
              pos->updated_at != 1760000000 + pos->offset)
            data->ok = FALSE;
          previous = pos->offset;
        }

      recent = kios_library_store_list_recent (data->store, 5, &error);
      if (recent == NULL || recent->len != 1)
        data->ok = FALSE;
      data->reads++;
    }
  data->last_seen = previous;
  return NULL;
}

static void
test_concurrent_readers (void)
{
  g_autofree char         *path = db_path ();
  g_autoptr (KiosPosition) final = NULL;
  g_autoptr (GError)       error = NULL;
  ReaderData               data[N_READERS];
  GThread                 *threads[N_READERS];
  KiosLibraryStore        *store;
  gint                     stop = 0;
  gint64                   start, enqueued, flushed;
  guint                    total_reads = 0;

  store = open_store (path);
  add_book (store, HASH_A, "Emma", 1);
  g_assert_true (kios_library_store_flush (store, 10000));

  for (int i = 0; i < N_READERS; i++)
    {
      data[i] = (ReaderData){ store, &stop, 0, -1, FALSE };
      threads[i] = g_thread_new ("reader", reader_thread, &data[i]);
    }

  start = g_get_monotonic_time ();
  for (int i = 1; i <= N_POSITIONS; i++)
    {
      g_autoptr (KiosPosition) pos = make_position (i);

      kios_library_store_save_position (store, HASH_A, pos);
      /* Pace the writes a little so readers interleave with them. */
      if (i % 100 == 0)
        g_usleep (1000);
    }
  enqueued = g_get_monotonic_time ();
  g_assert_true (kios_library_store_flush (store, 30000));
  flushed = g_get_monotonic_time ();

  g_atomic_int_set (&stop, 1);
  for (int i = 0; i < N_READERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (data[i].ok);
      g_assert_cmpuint (data[i].reads, >, 0);
      total_reads += data[i].reads;
    }

  final = kios_library_store_get_position (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (final->offset, ==, N_POSITIONS);
  g_test_message ("%d saves (same book, with 20 pauses of 1 ms) enqueued in %.1f ms, "
                  "all on disk %.1f ms later; %u reads by %d threads meanwhile",
                  N_POSITIONS, (enqueued - start) / 1000.0, (flushed - enqueued) / 1000.0,
                  total_reads, N_READERS);
  close_store (store);
}

/*
 * Numbers for the report, not pass/fail criteria (timing never fails a test):
 * the cost of save_position on the calling thread, the writer's throughput
 * when every op is its own transaction, and what a per-call read connection
 * would cost against the pooled one.
 */
static void
test_measure (void)
{
  g_autofree char  *path = db_path ();
  KiosLibraryStore *store;
  gint64            t0, t1, t2, worst = 0;
  const int         n = 5000;
  sqlite3          *db;

  store = open_store (path);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    {
      g_autoptr (KiosPosition) pos = make_position (i);
      g_autofree char         *hash = g_strdup_printf ("%032x", i);
      gint64                   before = g_get_monotonic_time (), spent;

      kios_library_store_save_position (store, hash, pos);
      spent = g_get_monotonic_time () - before;
      worst = MAX (worst, spent);
    }
  t1 = g_get_monotonic_time ();
  g_assert_true (kios_library_store_flush (store, 60000));
  t2 = g_get_monotonic_time ();
  g_test_message ("save_position on the caller: %.2f us mean, %" G_GINT64_FORMAT " us worst "
                  "(%d calls, position copy included)",
                  (double) (t1 - t0) / n, worst, n);
  g_test_message ("writer: %d distinct-book saves (one transaction each) in %.1f ms = %.0f/s",
                  n, (t2 - t0) / 1000.0, n / ((t2 - t0) / 1e6));

  /* Same book: later saves are coalesced. */
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    {
      g_autoptr (KiosPosition) pos = make_position (i);

      kios_library_store_save_position (store, HASH_A, pos);
    }
  g_assert_true (kios_library_store_flush (store, 60000));
  t1 = g_get_monotonic_time ();
  g_test_message ("writer: %d same-book saves (coalesced) in %.1f ms", n, (t1 - t0) / 1000.0);

  /* Pooled read vs. opening a read-only connection per call. */
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < 1000; i++)
    {
      g_autoptr (KiosPosition) pos = kios_library_store_get_position (store, HASH_A, NULL);

      g_assert_nonnull (pos);
      g_assert_cmpint (pos->offset, ==, n - 1);
    }
  t1 = g_get_monotonic_time ();
  for (int i = 0; i < 1000; i++)
    {
      db = NULL;
      g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
      g_assert_cmpint (raw_int (db, "SELECT char_offset FROM positions WHERE hash = '" HASH_A "'"),
                       ==, n - 1);
      sqlite3_close (db);
    }
  t2 = g_get_monotonic_time ();
  g_test_message ("get_position via the pool: %.1f us; open + query + close per call: %.1f us",
                  (t1 - t0) / 1000.0, (t2 - t1) / 1000.0);
  close_store (store);
}

/* ---- durability: kill -9 ------------------------------------------------ */

typedef struct
{
  GMutex        lock;
  GCond         cond;
  gboolean      finished;
  GCancellable *cancellable;
  GSubprocess  *process;
} Watchdog;

static gpointer
watchdog_thread (gpointer user_data)
{
  Watchdog *dog = user_data;
  gint64    deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_mutex_lock (&dog->lock);
  while (!dog->finished)
    if (!g_cond_wait_until (&dog->cond, &dog->lock, deadline))
      break;
  if (!dog->finished)
    {
      g_cancellable_cancel (dog->cancellable);
      g_subprocess_force_exit (dog->process);
    }
  g_mutex_unlock (&dog->lock);
  return NULL;
}

static void
test_kill_durability (void)
{
  g_autofree char *path = db_path ();
  g_autofree char *writer = g_test_build_filename (G_TEST_BUILT, "store-writer", NULL);
  gint64           next_first = 1;

  g_assert_true (g_file_test (writer, G_FILE_TEST_IS_EXECUTABLE));

  for (int round = 0; round < 10; round++)
    {
      g_autoptr (GSubprocess)      proc = NULL;
      g_autoptr (GDataInputStream) lines = NULL;
      g_autoptr (GCancellable)     cancellable = g_cancellable_new ();
      g_autoptr (GError)           error = NULL;
      g_autoptr (KiosPosition)     stored = NULL;
      g_autofree char             *first = g_strdup_printf ("%" G_GINT64_FORMAT, next_first);
      g_autofree char             *check = NULL;
      g_autofree char             *xp_tail = NULL;
      KiosLibraryStore            *store;
      Watchdog                     dog = { 0 };
      GThread                     *dog_thread;
      int                          target = g_test_rand_int_range (1, 600);
      int                          acks = 0;
      gint64                       last_ack = -1;
      sqlite3                     *db;
      char                        *line;

      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, writer, path, HASH_A,
                               first, NULL);
      g_assert_no_error (error);

      g_mutex_init (&dog.lock);
      g_cond_init (&dog.cond);
      dog.cancellable = cancellable;
      dog.process = proc;
      dog_thread = g_thread_new ("watchdog", watchdog_thread, &dog);

      lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      /* Read acknowledgements until a random count, then kill at a random
       * moment shortly after, while the writer is still saving. */
      while ((line = g_data_input_stream_read_line (lines, NULL, cancellable, &error)) != NULL)
        {
          last_ack = g_ascii_strtoll (line, NULL, 10);
          g_free (line);
          if (++acks == target)
            {
              g_usleep (g_test_rand_int_range (0, 5000));
              g_subprocess_send_signal (proc, SIGKILL);
            }
        }
      g_assert_no_error (error);
      g_assert_true (g_subprocess_wait (proc, cancellable, &error));
      g_assert_no_error (error);

      g_mutex_lock (&dog.lock);
      dog.finished = TRUE;
      g_cond_signal (&dog.cond);
      g_mutex_unlock (&dog.lock);
      g_thread_join (dog_thread);
      g_mutex_clear (&dog.lock);
      g_cond_clear (&dog.cond);

      g_assert_true (g_subprocess_get_if_signaled (proc));
      g_assert_cmpint (g_subprocess_get_term_sig (proc), ==, SIGKILL);
      g_assert_cmpint (acks, >=, target);
      g_assert_cmpint (last_ack, >=, next_first);

      /* The file is intact… */
      db = raw_open (path);
      check = raw_text (db, "PRAGMA integrity_check");
      g_assert_cmpstr (check, ==, "ok");
      sqlite3_close (db);

      /* …and holds the last acknowledged save or the one in flight. */
      store = open_store (path);
      stored = kios_library_store_get_position (store, HASH_A, &error);
      g_assert_no_error (error);
      g_assert_cmpint (stored->offset, >=, last_ack);
      g_assert_cmpint (stored->offset, <=, last_ack + 1);
      g_assert_cmpint (stored->updated_at, ==, 1700000000 + stored->offset);
      xp_tail = g_strdup_printf ("/p[%" G_GINT64_FORMAT "]/text().0", stored->offset);
      g_assert_true (g_str_has_suffix (stored->xpointer, xp_tail));
      g_test_message ("round %d: killed after %d acks (last %" G_GINT64_FORMAT "), stored %" G_GINT64_FORMAT,
                      round, acks, last_ack, stored->offset);
      close_store (store);

      next_first = stored->offset + 2;
    }
}

/* ---- paths -------------------------------------------------------------- */

static void
test_paths_dirs (void)
{
  g_autofree char *data = kios_paths_data_dir ();
  g_autofree char *db = kios_paths_library_db ();
  g_autofree char *books = kios_paths_books_dir ();
  g_autofree char *cache = kios_paths_cache_dir ();
  g_autofree char *covers = kios_paths_cache_subdir ("covers");
  g_autofree char *expected_data = g_build_filename (g_get_user_data_dir (), "kios", NULL);
  g_autofree char *expected_cache = g_build_filename (g_get_user_cache_dir (), "kios", NULL);
  g_autofree char *expected_db = g_build_filename (expected_data, "library.db", NULL);
  g_autofree char *expected_covers = g_build_filename (expected_cache, "covers", NULL);
  const char      *dirs[] = { data, books, cache, covers };
  g_autofree char *name = kios_paths_device_name ();

  g_assert_cmpstr (data, ==, expected_data);
  g_assert_cmpstr (cache, ==, expected_cache);
  g_assert_cmpstr (db, ==, expected_db);
  g_assert_cmpstr (covers, ==, expected_covers);
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      GStatBuf st;

      g_assert_cmpint (g_stat (dirs[i], &st), ==, 0);
      g_assert_true (S_ISDIR (st.st_mode));
      g_assert_cmpint (st.st_mode & 0777, ==, 0700);
    }

  g_assert_true (g_str_has_prefix (name, "Kios on "));
  g_assert_cmpstr (name + strlen ("Kios on "), ==, g_get_host_name ());
}

static void
assert_device_id (const char *id)
{
  g_assert_nonnull (id);
  g_assert_cmpuint (strlen (id), ==, 32);
  for (const char *p = id; *p; p++)
    g_assert_true (g_ascii_isdigit (*p) || (*p >= 'A' && *p <= 'F'));
}

static void
test_paths_device_id (void)
{
  g_autofree char *id = kios_paths_device_id ();
  g_autofree char *again = kios_paths_device_id ();
  g_autofree char *dir = kios_paths_data_dir ();
  g_autofree char *file = g_build_filename (dir, "device-id", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *replaced = NULL;
  g_autoptr (GDir) listing = NULL;
  const char      *entry;
  GStatBuf         st;

  assert_device_id (id);
  g_assert_cmpstr (id, ==, again);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_cmpstr (g_strstrip (contents), ==, id);
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* No temporary file is left behind. */
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((entry = g_dir_read_name (listing)) != NULL)
    g_assert_false (g_str_has_prefix (entry, ".device-id"));

  /* A damaged id file gets a fresh, valid id. */
  g_assert_true (g_file_set_contents (file, "not-an-id\n", -1, NULL));
  replaced = kios_paths_device_id ();
  assert_device_id (replaced);
  g_assert_cmpstr (replaced, !=, id);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_cmpstr (g_strstrip (contents), ==, replaced);
}

int
main (int    argc,
      char **argv)
{
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/library-store/schema-create-reopen", test_schema_create_reopen);
  g_test_add_func ("/kios/library-store/file-private", test_file_private);
  g_test_add_func ("/kios/library-store/schema-newer-refused", test_schema_newer_refused);
  g_test_add_func ("/kios/library-store/two-stores", test_two_stores);
  g_test_add_func ("/kios/library-store/upsert-twice", test_upsert_twice);
  g_test_add_func ("/kios/library-store/record-copy-free", test_book_copy_free);
  g_test_add_func ("/kios/library-store/book-meta", test_book_meta);
  g_test_add_func ("/kios/library-store/position-roundtrip", test_position_roundtrip);
  g_test_add_func ("/kios/library-store/save-then-load", test_save_then_load);
  g_test_add_func ("/kios/library-store/list-recent", test_list_recent);
  g_test_add_func ("/kios/library-store/list-recent-cancelled", test_list_recent_cancelled);
  g_test_add_func ("/kios/library-store/sources", test_sources);
  g_test_add_func ("/kios/library-store/rename-source-refs", test_rename_source_refs);
  g_test_add_func ("/kios/library-store/source-enabled", test_source_enabled);
  g_test_add_func ("/kios/library-store/pending-push", test_pending_push);
  g_test_add_func ("/kios/library-store/last-pushed-remote", test_last_pushed_remote);
  g_test_add_func ("/kios/library-store/sync-log-bounded", test_sync_log_bounded);
  g_test_add_func ("/kios/library-store/flush", test_flush);
  g_test_add_func ("/kios/library-store/dispose-drains", test_dispose_drains);
  g_test_add_func ("/kios/library-store/corrupt-file", test_corrupt_file);
  g_test_add_func ("/kios/library-store/write-failure", test_write_failure);
  g_test_add_func ("/kios/library-store/write-failure-disk-full", test_write_failure_disk_full);
  g_test_add_func ("/kios/library-store/concurrent-readers", test_concurrent_readers);
  g_test_add_func ("/kios/library-store/measure", test_measure);
  g_test_add_func ("/kios/library-store/kill-durability", test_kill_durability);
  g_test_add_func ("/kios/paths/dirs", test_paths_dirs);
  g_test_add_func ("/kios/paths/device-id", test_paths_device_id);

  return g_test_run ();
}
