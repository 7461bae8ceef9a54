/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library"

#include "config.h"

#include "kios-book-hash.h"
#include "kios-book-importer.h"
#include "kios-error.h"
#include "kios-library-private.h"
#include "kios-paths.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HASH_C "cccccccccccccccccccccccccccccccc"
#define HASH_D "dddddddddddddddddddddddddddddddd"

/* ---- helpers ------------------------------------------------------------ */

static KiosLibraryStore *
open_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = kios_paths_library_db ();
  KiosLibraryStore  *store = kios_library_store_new (path, &error);

  g_assert_no_error (error);
  return store;
}

static void
drain (void)
{
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

static void
close_all (KiosLibrary      *library,
           KiosLibraryStore *store)
{
  g_assert_true (kios_library_store_flush (store, 10000));
  drain ();
  g_assert_finalize_object (library);
  g_assert_finalize_object (store);
}

static void
add_book (KiosLibraryStore *store,
          const char       *hash,
          const char       *path,
          const char       *title,
          const char       *authors,
          const char       *series,
          gint64            added_at,
          gint64            last_opened_at)
{
  KiosBookRecord book = { 0 };

  book.hash = (char *) hash;
  book.path = (char *) path;
  book.format = (char *) "epub";
  book.title = (char *) title;
  book.authors = (char *) authors;
  book.series = (char *) series;
  book.added_at = added_at;
  book.last_opened_at = last_opened_at;
  kios_library_store_upsert_book (store, &book);
}

static void
save_progress (KiosLibraryStore *store,
               const char       *hash,
               double            progress)
{
  g_autoptr (KiosPosition) pos = kios_position_new ();

  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->total_progress = progress;
  pos->chapter_progress = progress;
  pos->updated_at = 1700000000;
  kios_library_store_save_position (store, hash, pos);
}

static GPtrArray *
list (KiosLibrary    *library,
      KiosLibrarySort sort,
      const char     *search)
{
  g_autoptr (GError) error = NULL;
  GPtrArray         *books = kios_library_list (library, sort, search, &error);

  g_assert_no_error (error);
  g_assert_nonnull (books);
  return books;
}

static char *
titles (GPtrArray *books)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);

      if (i > 0)
        g_string_append (out, "|");
      g_string_append (out, book->title);
    }
  return g_string_free (out, FALSE);
}

static char *
list_titles (KiosLibrary    *library,
             KiosLibrarySort sort,
             const char     *search)
{
  g_autoptr (GPtrArray) books = list (library, sort, search);

  return titles (books);
}

static KiosBookRecord *
find (GPtrArray  *books,
      const char *hash)
{
  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);

      if (g_str_equal (book->hash, hash))
        return book;
    }
  return NULL;
}

static char *
copy_sample (const char *name,
             const char *dir,
             const char *as)
{
  g_autofree char   *from = kios_test_book (name);
  g_autofree char   *to = g_build_filename (dir, as != NULL ? as : name, NULL);
  g_autofree char   *contents = NULL;
  gsize              len = 0;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_get_contents (from, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, (gssize) len, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&to);
}

static char *
hash_of (const char *path)
{
  g_autoptr (GError) error = NULL;
  char              *hash = kios_book_hash_file (path, &error);

  g_assert_no_error (error);
  return hash;
}

static char *
books_folder (void)
{
  return g_build_filename (g_get_home_dir (), "Books", NULL);
}

static void
rescan (KiosLibrary *library,
        guint        expect_added,
        guint        expect_missing)
{
  g_autoptr (GError) error = NULL;
  guint              added = 99999;
  guint              missing = 99999;

  g_assert_true (kios_library_rescan (library, &added, &missing, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, expect_added);
  g_assert_cmpuint (missing, ==, expect_missing);
}

/* ---- states ------------------------------------------------------------- */

static void
test_states (void)
{
  static const struct
  {
    double        progress;
    gint64        finished_at;
    gboolean      missing;
    KiosBookState state;
  } cases[] = {
    { 0.0, 0, FALSE, KIOS_BOOK_STATE_NEW },
    { 0.005, 0, FALSE, KIOS_BOOK_STATE_NEW }, /* the first pages */
    { 0.01, 0, FALSE, KIOS_BOOK_STATE_NEW },
    { 0.011, 0, FALSE, KIOS_BOOK_STATE_READING },
    { 0.5, 0, FALSE, KIOS_BOOK_STATE_READING },
    { 0.994, 0, FALSE, KIOS_BOOK_STATE_READING },
    { 0.995, 0, FALSE, KIOS_BOOK_STATE_FINISHED }, /* at the end */
    { 1.0, 0, FALSE, KIOS_BOOK_STATE_FINISHED },
    { 0.2, 1700000000, FALSE, KIOS_BOOK_STATE_FINISHED }, /* marked */
    { 1.0, -1, FALSE, KIOS_BOOK_STATE_READING },          /* marked unread */
    { 0.0, -1, FALSE, KIOS_BOOK_STATE_NEW },
    { 0.5, 1700000000, TRUE, KIOS_BOOK_STATE_MISSING },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      KiosBookRecord book = { 0 };

      book.progress = cases[i].progress;
      book.finished_at = cases[i].finished_at;
      book.missing = cases[i].missing;
      g_test_message ("case %u", i);
      g_assert_cmpint (kios_book_record_get_state (&book), ==, cases[i].state);
    }
  g_assert_cmpstr (kios_book_state_to_string (KIOS_BOOK_STATE_READING), ==, "reading");
  g_assert_cmpstr (kios_book_state_to_string (KIOS_BOOK_STATE_MISSING), ==, "missing");
}

/* ---- list, sort, search --------------------------------------------------- */

static void
fill_collection (KiosLibraryStore *store)
{
  /* Paths that exist, so listing does not mark them missing. */
  g_autofree char *a = kios_test_book ("emma.epub");
  g_autofree char *b = kios_test_book ("persuasion.epub");
  g_autofree char *c = kios_test_book ("pride-and-prejudice.epub");
  g_autofree char *d = kios_test_book ("sense-and-sensibility.epub");

  add_book (store, HASH_A, a, "Émile et les Détectives", "Erich Kästner", NULL, 100, 0);
  add_book (store, HASH_B, b, "zola's Germinal", "Émile Zola", "Les Rougon-Macquart", 200, 500);
  add_book (store, HASH_C, c, "Anna Karenina", "Leo Tolstoy", NULL, 300, 900);
  add_book (store, HASH_D, d, "Brave New World", "aldous Huxley", "Éclats", 400, 0);
  save_progress (store, HASH_A, 0.30);
  save_progress (store, HASH_B, 0.80);
  save_progress (store, HASH_C, 0.05);
}

static void
test_list_sort_search (void)
{
  KiosLibraryStore *store = open_store ();
  KiosLibrary      *library = kios_library_new (store);
  struct
  {
    KiosLibrarySort sort;
    const char     *search;
    const char     *expect;
  } cases[] = {
    { KIOS_LIBRARY_SORT_TITLE, NULL,
      "Anna Karenina|Brave New World|Émile et les Détectives|zola's Germinal" },
    /* By the authors as written (aldous, emile, erich, leo), case and accents folded. */
    { KIOS_LIBRARY_SORT_AUTHOR, NULL,
      "Brave New World|zola's Germinal|Émile et les Détectives|Anna Karenina" },
    { KIOS_LIBRARY_SORT_RECENT, NULL,
      "Anna Karenina|zola's Germinal|Brave New World|Émile et les Détectives" },
    { KIOS_LIBRARY_SORT_ADDED, NULL,
      "Brave New World|Anna Karenina|zola's Germinal|Émile et les Détectives" },
    { KIOS_LIBRARY_SORT_PROGRESS, NULL,
      "zola's Germinal|Émile et les Détectives|Anna Karenina|Brave New World" },
    /* Title, author and series; case and accents folded both ways. */
    { KIOS_LIBRARY_SORT_TITLE, "EMILE", "Émile et les Détectives|zola's Germinal" },
    { KIOS_LIBRARY_SORT_TITLE, "émile zola", "zola's Germinal" },
    { KIOS_LIBRARY_SORT_TITLE, "kastner", "Émile et les Détectives" },
    { KIOS_LIBRARY_SORT_TITLE, "ECLATS", "Brave New World" },
    { KIOS_LIBRARY_SORT_TITLE, "rougon", "zola's Germinal" },
    { KIOS_LIBRARY_SORT_TITLE, "  tolstoy  ", "Anna Karenina" },
    { KIOS_LIBRARY_SORT_TITLE, "nothing like this", "" },
    { KIOS_LIBRARY_SORT_TITLE, "",
      "Anna Karenina|Brave New World|Émile et les Détectives|zola's Germinal" },
  };

  fill_collection (store);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = list_titles (library, cases[i].sort, cases[i].search);

      g_test_message ("case %u: %s", i, cases[i].search != NULL ? cases[i].search : "(all)");
      g_assert_cmpstr (got, ==, cases[i].expect);
    }

  {
    g_autoptr (GPtrArray) books = list (library, KIOS_LIBRARY_SORT_TITLE, NULL);
    KiosBookRecord       *book = find (books, HASH_B);

    g_assert_cmpstr (book->series, ==, "Les Rougon-Macquart");
    g_assert_cmpint (kios_book_record_get_state (book), ==, KIOS_BOOK_STATE_READING);
    g_assert_cmpint (kios_book_record_get_state (find (books, HASH_D)), ==, KIOS_BOOK_STATE_NEW);
  }
  close_all (library, store);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GPtrArray **out = user_data;
  GError     *error = NULL;

  *out = kios_library_list_finish (KIOS_LIBRARY (source), result, &error);
  g_assert_no_error (error);
}

static void
test_list_async (void)
{
  KiosLibraryStore     *store = open_store ();
  KiosLibrary          *library = kios_library_new (store);
  g_autoptr (GPtrArray) books = NULL;
  g_autofree char      *got = NULL;

  fill_collection (store);
  kios_library_list_async (library, KIOS_LIBRARY_SORT_TITLE, "zola", NULL, list_cb, &books);
  while (books == NULL)
    g_main_context_iteration (NULL, TRUE);
  got = titles (books);
  g_assert_cmpstr (got, ==, "zola's Germinal");
  close_all (library, store);
}

/* ---- remove and undo -------------------------------------------------------- */

static void
test_remove_undo (void)
{
  KiosLibraryStore              *store = open_store ();
  KiosLibrary                   *library = kios_library_new (store);
  g_autoptr (KiosLibraryRemoval) removal = NULL;
  g_autoptr (KiosBookRecord)     book = NULL;
  g_autoptr (KiosPosition)       pos = NULL;
  g_autoptr (KiosPosition)       pending = NULL;
  g_autoptr (GError)             error = NULL;
  g_autofree char               *notice = NULL;
  g_autofree char               *meta = NULL;
  g_autofree char               *got = NULL;

  fill_collection (store);
  kios_library_store_set_book_meta (store, HASH_B, "opds.id", "urn:zola");
  pos = kios_position_new ();
  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->total_progress = 0.8;
  pos->updated_at = 1700000100;
  kios_library_store_set_pending_push (store, HASH_B, "Home", pos);

  removal = kios_library_remove (library, HASH_B, FALSE, &notice, &error);
  g_assert_no_error (error);
  g_assert_nonnull (removal);
  g_assert_cmpstr (kios_library_removal_get_hash (removal), ==, HASH_B);
  g_assert_cmpstr (kios_library_removal_get_title (removal), ==, "zola's Germinal");
  /* The pending push went with the book, and the person is told. */
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, "Home"));
  g_assert_nonnull (kios_library_removal_get_unsent_sources (removal));
  g_assert_cmpstr (kios_library_removal_get_unsent_sources (removal)[0], ==, "Home");
  g_assert_null (kios_library_removal_get_unsent_sources (removal)[1]);

  book = kios_library_store_get_book (store, HASH_B, &error);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (kios_library_store_get_position (store, HASH_B, &error));
  g_clear_error (&error);
  g_assert_null (kios_library_store_get_book_meta (store, HASH_B, "opds.id"));
  g_assert_null (kios_library_store_get_pending_push (store, HASH_B, "Home", &error));
  g_clear_error (&error);
  got = list_titles (library, KIOS_LIBRARY_SORT_TITLE, NULL);
  g_assert_cmpstr (got, ==, "Anna Karenina|Brave New World|Émile et les Détectives");

  /* Removing what is not there. */
  g_assert_null (kios_library_remove (library, "0123456789abcdef0123456789abcdef", FALSE, NULL, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (kios_library_undo_remove (library, removal, &error));
  g_assert_no_error (error);
  book = kios_library_store_get_book (store, HASH_B, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (book->title, ==, "zola's Germinal");
  g_assert_cmpstr (book->series, ==, "Les Rougon-Macquart");
  g_assert_cmpfloat (book->progress, ==, 0.8);
  g_clear_pointer (&pos, kios_position_free);
  pos = kios_library_store_get_position (store, HASH_B, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (pos->total_progress, ==, 0.8);
  meta = kios_library_store_get_book_meta (store, HASH_B, "opds.id");
  g_assert_cmpstr (meta, ==, "urn:zola");
  pending = kios_library_store_get_pending_push (store, HASH_B, "Home", &error);
  g_assert_no_error (error);
  g_assert_cmpint (pending->updated_at, ==, 1700000100);
  /* Search keys came back too. */
  g_free (got);
  got = list_titles (library, KIOS_LIBRARY_SORT_TITLE, "rougon");
  g_assert_cmpstr (got, ==, "zola's Germinal");

  g_clear_pointer (&removal, kios_library_removal_free);
  close_all (library, store);
}

static void
remove_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KiosLibraryRemoval **out = user_data;
  GError              *error = NULL;

  *out = kios_library_remove_finish (KIOS_LIBRARY (source), result, NULL, &error);
  g_assert_no_error (error);
}

static void
undo_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GError *error = NULL;

  g_assert_true (kios_library_undo_remove_finish (KIOS_LIBRARY (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* delete_file only for downloaded books; the file waits until the undo
 * window ends, comes back on undo, and goes when the removal is freed. */
static void
test_delete_file (void)
{
  KiosLibraryStore   *store = open_store ();
  KiosLibrary        *library = kios_library_new (store);
  g_autofree char    *folder = books_folder ();
  g_autofree char    *mine = copy_sample ("emma.epub", folder, NULL);
  g_autofree char    *books_dir = kios_paths_books_dir ();
  g_autofree char    *downloaded = copy_sample ("persuasion.epub", books_dir, NULL);
  g_autofree char    *mine_hash = hash_of (mine);
  g_autofree char    *dl_hash = hash_of (downloaded);
  KiosLibraryRemoval *removal = NULL;
  KiosBookRecord      record = { 0 };
  g_autoptr (GError)  error = NULL;

  add_book (store, mine_hash, mine, "Emma", "Jane Austen", NULL, 1, 0);
  record.hash = dl_hash;
  record.path = downloaded;
  record.title = (char *) "Persuasion";
  record.downloaded = TRUE;
  kios_library_store_upsert_book (store, &record);

  /* Not Kios's file: refused, nothing changes. */
  g_assert_null (kios_library_remove (library, mine_hash, TRUE, NULL, &error));
  g_assert_error (error, KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_NOT_DOWNLOADED);
  g_clear_error (&error);
  g_assert_true (g_file_test (mine, G_FILE_TEST_EXISTS));
  {
    g_autoptr (KiosBookRecord) still = kios_library_store_get_book (store, mine_hash, &error);

    g_assert_no_error (error);
  }

  /* A download: moved aside, then back on undo. */
  removal = kios_library_remove (library, dl_hash, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (downloaded, G_FILE_TEST_EXISTS));
  {
    gboolean done = FALSE;

    kios_library_undo_remove_async (library, removal, NULL, undo_cb, &done);
    kios_test_wait_for (&done, 10000);
  }
  g_assert_true (g_file_test (downloaded, G_FILE_TEST_EXISTS));
  kios_library_removal_free (removal);
  g_assert_true (g_file_test (downloaded, G_FILE_TEST_EXISTS));

  /* Removed for good: the file goes when the undo window ends. */
  removal = NULL;
  kios_library_remove_async (library, dl_hash, TRUE, NULL, remove_cb, &removal);
  while (removal == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (g_file_test (downloaded, G_FILE_TEST_EXISTS));
  kios_library_removal_free (removal);
  {
    g_autofree char *data_dir = kios_paths_data_dir ();
    g_autofree char *trash = g_build_filename (data_dir, "removed", NULL);
    g_autoptr (GDir) dir = g_dir_open (trash, 0, NULL);

    g_assert_nonnull (dir);
    g_assert_null (g_dir_read_name (dir));
  }
  g_assert_true (g_file_test (mine, G_FILE_TEST_EXISTS));
  close_all (library, store);
}

/* A book that came through the download importer is Kios's to delete. */
static void
test_download_is_downloaded (void)
{
  KiosLibraryStore          *store = open_store ();
  KiosLibrary               *library = kios_library_new (store);
  g_autoptr (KiosBookImport) import = NULL;
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (GError)         error = NULL;
  g_autofree char           *sample = kios_test_book ("persuasion.epub");
  g_autofree char           *contents = NULL;
  g_autofree char           *hash = NULL;
  g_autofree char           *path = NULL;
  KiosLibraryRemoval        *removal;
  gsize                      len = 0;

  g_assert_true (g_file_get_contents (sample, &contents, &len, NULL));
  import = kios_book_import_new (store, "Persuasion.epub", 0, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (kios_book_import_get_sink (import), contents, len, NULL, NULL,
                                            &error));
  path = kios_book_import_commit (import, &hash, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&import, kios_book_import_free);
  book = kios_library_store_get_book (store, hash, &error);
  g_assert_no_error (error);
  g_assert_true (book->downloaded);

  removal = kios_library_remove (library, hash, TRUE, NULL, &error);
  g_assert_no_error (error);
  kios_library_removal_free (removal);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  close_all (library, store);
}

/* ---- finished and locate ---------------------------------------------------- */

static KiosBookState
state_of (KiosLibrary *library,
          const char  *hash)
{
  g_autoptr (GPtrArray) books = list (library, KIOS_LIBRARY_SORT_RECENT, NULL);

  return kios_book_record_get_state (find (books, hash));
}

static void
test_set_finished (void)
{
  KiosLibraryStore  *store = open_store ();
  KiosLibrary       *library = kios_library_new (store);
  g_autoptr (GError) error = NULL;

  fill_collection (store);
  g_assert_cmpint (state_of (library, HASH_A), ==, KIOS_BOOK_STATE_READING);
  g_assert_true (kios_library_set_finished (library, HASH_A, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (library, HASH_A), ==, KIOS_BOOK_STATE_FINISHED);

  /* Read to the end, then marked unread: not finished; reading it again
   * to the end finishes it. */
  save_progress (store, HASH_C, 1.0);
  g_assert_cmpint (state_of (library, HASH_C), ==, KIOS_BOOK_STATE_FINISHED);
  g_assert_true (kios_library_set_finished (library, HASH_C, FALSE, &error));
  g_assert_cmpint (state_of (library, HASH_C), ==, KIOS_BOOK_STATE_READING);
  save_progress (store, HASH_C, 1.0);
  g_assert_cmpint (state_of (library, HASH_C), ==, KIOS_BOOK_STATE_READING);
  save_progress (store, HASH_C, 0.4);
  g_assert_true (kios_library_store_flush (store, 5000)); /* two page turns, not one batch */
  save_progress (store, HASH_C, 0.999);
  g_assert_cmpint (state_of (library, HASH_C), ==, KIOS_BOOK_STATE_FINISHED);

  g_assert_false (kios_library_set_finished (library, "0123456789abcdef0123456789abcdef", TRUE, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  close_all (library, store);
}

static void
test_locate (void)
{
  KiosLibraryStore          *store = open_store ();
  KiosLibrary               *library = kios_library_new (store);
  g_autofree char           *folder = books_folder ();
  g_autofree char           *gone = g_build_filename (folder, "gone.epub", NULL);
  g_autofree char           *elsewhere = NULL;
  g_autofree char           *other = NULL;
  g_autofree char           *hash = NULL;
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (GError)         error = NULL;

  elsewhere = copy_sample ("emma.epub", folder, "Emma (moved).epub");
  other = copy_sample ("persuasion.epub", folder, NULL);
  hash = hash_of (elsewhere);
  add_book (store, hash, gone, "Emma", "Jane Austen", NULL, 1, 0);
  save_progress (store, hash, 0.42);
  g_assert_cmpint (state_of (library, hash), ==, KIOS_BOOK_STATE_MISSING);

  g_assert_false (kios_library_locate (library, hash, other, &error));
  g_assert_error (error, KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_OTHER_BOOK);
  g_clear_error (&error);
  g_assert_cmpint (state_of (library, hash), ==, KIOS_BOOK_STATE_MISSING);

  g_assert_true (kios_library_locate (library, hash, elsewhere, &error));
  g_assert_no_error (error);
  book = kios_library_store_get_book (store, hash, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (book->path, ==, elsewhere);
  g_assert_false (book->missing);
  g_assert_cmpfloat (book->progress, ==, 0.42);
  g_assert_cmpint (state_of (library, hash), ==, KIOS_BOOK_STATE_READING);
  close_all (library, store);
}

/* ---- folders ------------------------------------------------------------------ */

typedef struct
{
  guint done;
  guint total;
  guint n_progress;
  guint n_changed;
} Signals;

static void
progress_cb (KiosLibrary *library,
             guint        done,
             guint        total,
             gpointer     user_data)
{
  Signals *signals = user_data;

  (void) library;
  g_assert_cmpuint (done, <=, total);
  signals->done = done;
  signals->total = total;
  signals->n_progress++;
}

static void
changed_cb (KiosLibrary *library,
            gpointer     user_data)
{
  Signals *signals = user_data;

  (void) library;
  signals->n_changed++;
}

/* A folder tree with four books, one of them nested, and things that are
 * not books. */
static char *
make_folder (void)
{
  g_autofree char *folder = books_folder ();
  g_autofree char *nested = g_build_filename (folder, "Austen", "Novels", NULL);
  g_autofree char *hidden = g_build_filename (folder, ".hidden", NULL);
  g_autofree char *junk = g_build_filename (folder, "notes.epub", NULL);
  g_autofree char *text = g_build_filename (folder, "readme.txt", NULL);

  g_free (copy_sample ("emma.epub", nested, NULL));
  g_free (copy_sample ("persuasion.epub", folder, NULL));
  g_free (copy_sample ("northanger-abbey.pdf", folder, NULL));
  g_free (copy_sample ("pride-and-prejudice.epub", folder, "P&P.EPUB"));
  g_free (copy_sample ("sense-and-sensibility.epub", hidden, NULL));
  g_assert_true (g_file_set_contents (junk, "not a zip", -1, NULL));
  g_assert_true (g_file_set_contents (text, "hello", -1, NULL));
  return g_steal_pointer (&folder);
}

static void
test_folder_import (void)
{
  KiosLibraryStore     *store = open_store ();
  KiosLibrary          *library = kios_library_new (store);
  g_autofree char      *folder = make_folder ();
  g_autofree char      *pp = g_build_filename (folder, "P&P.EPUB", NULL);
  g_autofree char      *pp_hash = hash_of (pp);
  g_autofree char      *canonical = NULL;
  g_autoptr (GPtrArray) books = NULL;
  g_autoptr (GError)    error = NULL;
  g_auto (GStrv)        folders = NULL;
  Signals               signals = { 0 };
  KiosBookRecord       *book;

  g_signal_connect (library, "import-progress", G_CALLBACK (progress_cb), &signals);
  g_signal_connect (library, "changed", G_CALLBACK (changed_cb), &signals);

  g_assert_false (kios_library_add_folder (library, pp, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  g_clear_error (&error);
  g_assert_true (kios_library_add_folder (library, folder, &error));
  g_assert_no_error (error);
  /* Twice is once. */
  g_assert_true (kios_library_add_folder (library, folder, &error));
  folders = kios_library_list_folders (library);
  canonical = kios_library_canonical_dir (folder);
  g_assert_cmpuint (g_strv_length (folders), ==, 1);
  g_assert_cmpstr (folders[0], ==, canonical);

  rescan (library, 4, 0);
  drain ();
  g_assert_cmpuint (signals.n_changed, >=, 1);
  g_assert_cmpuint (signals.n_progress, >=, 1);
  g_assert_cmpuint (signals.done, ==, signals.total);
  g_assert_cmpuint (signals.total, ==, 5); /* four books and notes.epub */

  books = list (library, KIOS_LIBRARY_SORT_TITLE, NULL);
  g_assert_cmpuint (books->len, ==, 4);
  book = find (books, pp_hash);
  g_assert_nonnull (book);
  g_assert_cmpstr (book->title, ==, "Pride and Prejudice");
  g_assert_cmpstr (book->authors, ==, "Jane Austen");
  g_assert_cmpstr (book->format, ==, "epub");
  g_assert_false (book->downloaded);
  g_assert_cmpint (kios_book_record_get_state (book), ==, KIOS_BOOK_STATE_NEW);
  {
    g_autofree char *titles_got = titles (books);

    g_assert_cmpstr (titles_got, ==, "Emma|Northanger Abbey|Persuasion|Pride and Prejudice");
  }

  /* Nothing new: nothing read again. */
  rescan (library, 0, 0);

  /* A forgotten folder keeps its books. */
  g_assert_true (kios_library_remove_folder (library, folder, &error));
  g_assert_no_error (error);
  g_clear_pointer (&folders, g_strfreev);
  folders = kios_library_list_folders (library);
  g_assert_cmpuint (g_strv_length (folders), ==, 0);
  g_clear_pointer (&books, g_ptr_array_unref);
  books = list (library, KIOS_LIBRARY_SORT_TITLE, NULL);
  g_assert_cmpuint (books->len, ==, 4);
  close_all (library, store);
}

static void
test_moved_and_deleted (void)
{
  KiosLibraryStore          *store = open_store ();
  KiosLibrary               *library = kios_library_new (store);
  g_autofree char           *folder = make_folder ();
  g_autofree char           *emma = g_build_filename (folder, "Austen", "Novels", "emma.epub", NULL);
  g_autofree char           *moved_dir = g_build_filename (folder, "Read", NULL);
  g_autofree char           *moved = g_build_filename (moved_dir, "Emma - Austen.epub", NULL);
  g_autofree char           *persuasion = g_build_filename (folder, "persuasion.epub", NULL);
  g_autofree char           *pdf = g_build_filename (folder, "northanger-abbey.pdf", NULL);
  g_autofree char           *emma_hash = hash_of (emma);
  g_autofree char           *persuasion_hash = hash_of (persuasion);
  g_autofree char           *pdf_hash = hash_of (pdf);
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (KiosPosition)   pos = NULL;
  g_autoptr (GPtrArray)      books = NULL;
  g_autoptr (GError)         error = NULL;

  g_assert_true (kios_library_add_folder (library, folder, &error));
  rescan (library, 4, 0);
  save_progress (store, emma_hash, 0.37);

  /* Moved: the same book (same position), at its new path. */
  g_assert_cmpint (g_mkdir_with_parents (moved_dir, 0700), ==, 0);
  g_assert_cmpint (g_rename (emma, moved), ==, 0);
  rescan (library, 0, 0);
  book = kios_library_store_get_book (store, emma_hash, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (book->path, ==, moved);
  g_assert_false (book->missing);
  pos = kios_library_store_get_position (store, emma_hash, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (pos->total_progress, ==, 0.37);
  g_clear_pointer (&books, g_ptr_array_unref);
  books = list (library, KIOS_LIBRARY_SORT_TITLE, NULL);
  g_assert_cmpuint (books->len, ==, 4);

  /* Deleted: missing after a rescan … */
  g_assert_cmpint (g_unlink (persuasion), ==, 0);
  rescan (library, 0, 1);
  g_clear_pointer (&book, kios_book_record_free);
  book = kios_library_store_get_book (store, persuasion_hash, &error);
  g_assert_true (book->missing);
  /* … and at once in a listing, without one. */
  g_assert_cmpint (g_unlink (pdf), ==, 0);
  g_clear_pointer (&books, g_ptr_array_unref);
  books = list (library, KIOS_LIBRARY_SORT_TITLE, NULL);
  g_assert_cmpint (kios_book_record_get_state (find (books, pdf_hash)), ==, KIOS_BOOK_STATE_MISSING);
  g_assert_cmpint (kios_book_record_get_state (find (books, persuasion_hash)), ==,
                   KIOS_BOOK_STATE_MISSING);

  /* Back again: present again, not a new book. */
  g_free (copy_sample ("persuasion.epub", folder, "Persuasion again.epub"));
  rescan (library, 0, 1);
  g_clear_pointer (&book, kios_book_record_free);
  book = kios_library_store_get_book (store, persuasion_hash, &error);
  g_assert_false (book->missing);
  close_all (library, store);
}

/* A book removed while its file stays in the folder does not come back with
 * the next rescan; opening it again (an upsert) brings it back. */
static void
test_removed_stays_removed (void)
{
  KiosLibraryStore   *store = open_store ();
  KiosLibrary        *library = kios_library_new (store);
  g_autofree char    *folder = make_folder ();
  g_autofree char    *emma = g_build_filename (folder, "Austen", "Novels", "emma.epub", NULL);
  g_autofree char    *emma_hash = hash_of (emma);
  KiosLibraryRemoval *removal;
  g_autoptr (GError)  error = NULL;

  g_assert_true (kios_library_add_folder (library, folder, &error));
  rescan (library, 4, 0);
  removal = kios_library_remove (library, emma_hash, FALSE, NULL, &error);
  g_assert_no_error (error);
  kios_library_removal_free (removal);
  g_assert_true (g_file_test (emma, G_FILE_TEST_EXISTS));
  rescan (library, 0, 0);
  g_assert_null (kios_library_store_get_book (store, emma_hash, NULL));

  add_book (store, emma_hash, emma, "Emma", "Jane Austen", NULL, 0, 1700000000);
  g_assert_true (kios_library_store_flush (store, 5000));
  removal = kios_library_remove (library, emma_hash, FALSE, NULL, &error);
  g_assert_no_error (error);
  /* Undo: back, and rescans may see it again. */
  g_assert_true (kios_library_undo_remove (library, removal, &error));
  kios_library_removal_free (removal);
  {
    g_auto (GStrv) excluded = kios_library_store_list_excluded (store, NULL);

    g_assert_cmpuint (g_strv_length (excluded), ==, 0);
  }
  close_all (library, store);
}

static void
rescan_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  guint  *added = user_data;
  GError *error = NULL;

  g_assert_true (kios_library_rescan_finish (KIOS_LIBRARY (source), result, added, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
has_title (KiosLibrary *library,
           const char  *title)
{
  g_autoptr (GPtrArray) books = list (library, KIOS_LIBRARY_SORT_TITLE, NULL);

  for (guint i = 0; i < books->len; i++)
    if (g_strcmp0 (((KiosBookRecord *) g_ptr_array_index (books, i))->title, title) == 0)
      return TRUE;
  return FALSE;
}

/* While monitoring, a book copied into the folder (or a new subfolder)
 * appears without anyone asking for a rescan. */
static void
test_monitor (void)
{
  KiosLibraryStore  *store = open_store ();
  KiosLibrary       *library = kios_library_new (store);
  g_autofree char   *folder = make_folder ();
  g_autofree char   *sub = g_build_filename (folder, "New", NULL);
  g_autoptr (GError) error = NULL;
  Signals            signals = { 0 };
  guint              added = 999;
  gint64             deadline;

  g_assert_true (kios_library_add_folder (library, folder, &error));
  kios_library_rescan_async (library, NULL, rescan_cb, &added);
  while (added == 999)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (added, ==, 4);
  g_assert_false (has_title (library, "Sense and Sensibility"));

  g_signal_connect (library, "changed", G_CALLBACK (changed_cb), &signals);
  kios_library_start_monitoring (library);
  /* The watches are set up from a worker's walk of the folders. */
  for (int i = 0; i < 100; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }

  g_free (copy_sample ("sense-and-sensibility.epub", sub, NULL));
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!has_title (library, "Sense and Sensibility") && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  g_assert_true (has_title (library, "Sense and Sensibility"));
  drain ();
  g_assert_cmpuint (signals.n_changed, >=, 1);

  kios_library_stop_monitoring (library);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (G_OBJECT (library)->ref_count > 1 && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  close_all (library, store);
}

/* ---- migration ------------------------------------------------------------- */

/* A library of the first schema, with one downloaded and one opened book. */
static const char schema_v1[] =
    "CREATE TABLE books (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, path TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0, format TEXT, title TEXT, authors TEXT, cover_path TEXT,"
    "  added_at INTEGER NOT NULL DEFAULT 0, last_opened_at INTEGER NOT NULL DEFAULT 0,"
    "  progress REAL NOT NULL DEFAULT 0);"
    "CREATE TABLE book_meta (hash TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
    "  PRIMARY KEY (hash, key));"
    "CREATE TABLE positions (hash TEXT PRIMARY KEY, format TEXT NOT NULL, chapter INTEGER NOT NULL,"
    "  chapter_href TEXT, chapter_title TEXT, char_offset INTEGER NOT NULL,"
    "  chapter_progress REAL NOT NULL, total_progress REAL NOT NULL, xpointer TEXT,"
    "  updated_at INTEGER NOT NULL, device TEXT, device_id TEXT);"
    "CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    "  url TEXT, auth TEXT, username TEXT, settings_json TEXT);"
    "CREATE TABLE sync_state (hash TEXT NOT NULL, source TEXT NOT NULL, pending_json TEXT,"
    "  pending_updated_at INTEGER, pending_since INTEGER, last_pushed_json TEXT,"
    "  last_pushed_at INTEGER, last_remote_json TEXT, last_remote_at INTEGER,"
    "  PRIMARY KEY (hash, source));"
    "CREATE TABLE sync_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, hash TEXT, source TEXT,"
    "  event TEXT NOT NULL, detail TEXT);"
    "PRAGMA user_version = 1;";

static void
migrate_from (gboolean through_v2)
{
  g_autofree char           *path = kios_paths_library_db ();
  g_autofree char           *dir = g_path_get_dirname (path);
  g_autofree char           *books_dir = kios_paths_books_dir ();
  g_autofree char           *downloaded = g_build_filename (books_dir, "Zola-1a2b.epub", NULL);
  g_autofree char           *opened = kios_test_book ("emma.epub");
  g_autofree char           *sql = NULL;
  g_autofree char           *got = NULL;
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store;
  KiosLibrary               *library;
  sqlite3                   *db = NULL;
  sqlite3_stmt              *stmt = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (downloaded, "x", -1, NULL));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v1, NULL, NULL, NULL), ==, SQLITE_OK);
  sql = g_strdup_printf ("INSERT INTO books (hash, path, format, title, authors, added_at, last_opened_at,"
                         " progress) VALUES ('" HASH_A "', '%s', 'epub', 'Germinal', 'Émile Zola', 10, 20, 0.5),"
                         " ('" HASH_B "', '%s', 'epub', 'Emma', 'Jane Austen', 30, 0, 0)",
                         downloaded, opened);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  if (through_v2)
    {
      /* A v2 file: the v1 file plus what schema 2 added. */
      g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (db,
                                     "CREATE TABLE sync_status (source TEXT NOT NULL, hash TEXT NOT NULL DEFAULT '',"
                                     " protocol TEXT, state TEXT NOT NULL, time INTEGER NOT NULL DEFAULT 0,"
                                     " synced_at INTEGER NOT NULL DEFAULT 0, server TEXT, detail TEXT,"
                                     " error_domain TEXT, error_code INTEGER NOT NULL DEFAULT 0,"
                                     " pending_since INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, hash));"
                                     "ALTER TABLE sync_log ADD COLUMN protocol TEXT;"
                                     "ALTER TABLE sync_log ADD COLUMN direction TEXT;"
                                     "ALTER TABLE sync_log ADD COLUMN result TEXT;"
                                     "ALTER TABLE sync_log ADD COLUMN precision TEXT;"
                                     "ALTER TABLE sync_log ADD COLUMN remote TEXT;"
                                     "PRAGMA user_version = 2;",
                                     NULL, NULL, NULL),
                       ==, SQLITE_OK);
      sqlite3_close (db);
    }

  store = open_store ();
  library = kios_library_new (store);
  book = kios_library_store_get_book (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (book->title, ==, "Germinal");
  g_assert_true (book->downloaded); /* in Kios's books folder */
  g_assert_null (book->series);
  g_assert_cmpint (book->finished_at, ==, 0);
  g_clear_pointer (&book, kios_book_record_free);
  book = kios_library_store_get_book (store, HASH_B, &error);
  g_assert_false (book->downloaded);
  /* The search keys were made for the old rows. */
  got = list_titles (library, KIOS_LIBRARY_SORT_TITLE, "EMILE");
  g_assert_cmpstr (got, ==, "Germinal");
  g_free (got);
  got = list_titles (library, KIOS_LIBRARY_SORT_TITLE, NULL);
  g_assert_cmpstr (got, ==, "Emma|Germinal");
  close_all (library, store);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_migrate_v1 (void)
{
  migrate_from (FALSE);
}

static void
test_migrate_v2 (void)
{
  migrate_from (TRUE);
}

/* ---- kiosctl ---------------------------------------------------------------- */

static JsonArray *
parse_books (const char *out,
             JsonNode  **root)
{
  g_autoptr (GError) error = NULL;

  *root = json_from_string (out, &error);
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object (*root), "books");
}

static void
test_kiosctl (void)
{
  g_auto (KiosctlRun)  run = { 0 };
  g_autofree char     *folder = make_folder ();
  g_autofree char     *emma = g_build_filename (folder, "Austen", "Novels", "emma.epub", NULL);
  g_autofree char     *emma_hash = hash_of (emma);
  g_autofree char     *pdf = g_build_filename (folder, "northanger-abbey.pdf", NULL);
  g_autoptr (JsonNode) root = NULL;
  JsonArray           *books;
  JsonObject          *first;

  kios_test_kiosctl (&run, NULL, "library", "add-folder", folder, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "4 new books"));

  kios_test_kiosctl (&run, NULL, "library", "list", "--json", "--sort", "title", NULL);
  g_assert_cmpint (run.status, ==, 0);
  books = parse_books (run.out, &root);
  g_assert_cmpuint (json_array_get_length (books), ==, 4);
  first = json_array_get_object_element (books, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "title"), ==, "Emma");
  g_assert_cmpstr (json_object_get_string_member (first, "hash"), ==, emma_hash);
  g_assert_cmpstr (json_object_get_string_member (first, "path"), ==, emma);
  g_assert_cmpstr (json_object_get_string_member (first, "authors"), ==, "Jane Austen");
  g_assert_cmpstr (json_object_get_string_member (first, "state"), ==, "new");
  g_assert_false (json_object_get_boolean_member (first, "missing"));
  g_assert_cmpfloat (json_object_get_double_member (first, "progress"), ==, 0.0);
  g_clear_pointer (&root, json_node_unref);

  kios_test_kiosctl (&run, NULL, "library", "list", "--json", "--search", "NORTHANGER", NULL);
  g_assert_cmpint (run.status, ==, 0);
  books = parse_books (run.out, &root);
  g_assert_cmpuint (json_array_get_length (books), ==, 1);
  g_clear_pointer (&root, json_node_unref);

  /* Remove by file, then by hash (already gone: an error). */
  kios_test_kiosctl (&run, NULL, "library", "remove", emma, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_file_test (emma, G_FILE_TEST_EXISTS));
  kios_test_kiosctl (&run, NULL, "library", "remove", emma_hash, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not in the library"));
  /* Not a download: its file is not Kios's to delete. */
  kios_test_kiosctl (&run, NULL, "library", "remove", "--delete-file", pdf, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not downloaded"));
  g_assert_true (g_file_test (pdf, G_FILE_TEST_EXISTS));

  g_assert_cmpint (g_unlink (pdf), ==, 0);
  kios_test_kiosctl (&run, NULL, "library", "rescan", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "0 new books, 1 missing"));
  kios_test_kiosctl (&run, NULL, "library", "list", "--json", "--sort", "title", NULL);
  books = parse_books (run.out, &root);
  g_assert_cmpuint (json_array_get_length (books), ==, 3);
  first = json_array_get_object_element (books, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "title"), ==, "Northanger Abbey");
  g_assert_true (json_object_get_boolean_member (first, "missing"));
  g_assert_cmpstr (json_object_get_string_member (first, "state"), ==, "missing");
  g_clear_pointer (&root, json_node_unref);

  /* Usage errors are 2, a bad folder 1. */
  kios_test_kiosctl (&run, NULL, "library", "list", "--sort", "colour", NULL);
  g_assert_cmpint (run.status, ==, 2);
  kios_test_kiosctl (&run, NULL, "library", "remove", NULL);
  g_assert_cmpint (run.status, ==, 2);
  kios_test_kiosctl (&run, NULL, "library", "frobnicate", NULL);
  g_assert_cmpint (run.status, ==, 2);
  kios_test_kiosctl (&run, NULL, "library", "add-folder", "/nonexistent/kios/books", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "does not exist"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/library/states", test_states);
  g_test_add_func ("/kios/library/list-sort-search", test_list_sort_search);
  g_test_add_func ("/kios/library/list-async", test_list_async);
  g_test_add_func ("/kios/library/remove-undo", test_remove_undo);
  g_test_add_func ("/kios/library/delete-file", test_delete_file);
  g_test_add_func ("/kios/library/download-is-downloaded", test_download_is_downloaded);
  g_test_add_func ("/kios/library/set-finished", test_set_finished);
  g_test_add_func ("/kios/library/locate", test_locate);
  g_test_add_func ("/kios/library/folder-import", test_folder_import);
  g_test_add_func ("/kios/library/moved-and-deleted", test_moved_and_deleted);
  g_test_add_func ("/kios/library/removed-stays-removed", test_removed_stays_removed);
  g_test_add_func ("/kios/library/monitor", test_monitor);
  g_test_add_func ("/kios/library/migrate-v1", test_migrate_v1);
  g_test_add_func ("/kios/library/migrate-v2", test_migrate_v2);
  g_test_add_func ("/kios/library/kiosctl", test_kiosctl);

  return g_test_run ();
}
