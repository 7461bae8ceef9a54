/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-annotations"

#include "config.h"

#include "kios-annotation.h"
#include "kios-error.h"
#include "kios-library-store.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* ---- helpers ------------------------------------------------------------ */

static char *
db_path (void)
{
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
  while (g_atomic_int_get (&G_OBJECT (store)->ref_count) > 1 &&
         g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_finalize_object (store);
}

static KiosPosition *
epub_position (int         chapter,
               gint64      offset,
               const char *xpointer)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->chapter = chapter;
  pos->chapter_href = g_strdup_printf ("OEBPS/ch%d.xhtml", chapter);
  pos->offset = offset;
  pos->chapter_progress = 0.25;
  pos->total_progress = 0.1 + chapter * 0.01;
  pos->xpointer = g_strdup (xpointer);
  return pos;
}

static KiosAnnotation *
make_highlight (const char *hash,
                int         chapter,
                gint64      start,
                gint64      end,
                const char *text)
{
  KiosAnnotation  *a = kios_annotation_new ();
  g_autofree char *x0 = g_strdup_printf ("/body/DocFragment[%d]/body/p[1]/text().%" G_GINT64_FORMAT,
                                         chapter + 1, start);
  g_autofree char *x1 = g_strdup_printf ("/body/DocFragment[%d]/body/p[1]/text().%" G_GINT64_FORMAT,
                                         chapter + 1, end);

  a->hash = g_strdup (hash);
  a->kind = KIOS_ANNOTATION_HIGHLIGHT;
  a->start = epub_position (chapter, start, x0);
  a->end = epub_position (chapter, end, x1);
  a->text = g_strdup (text);
  a->color = g_strdup ("yellow");
  a->chapter_title = g_strdup_printf ("Chapter %d", chapter + 1);
  return a;
}

static KiosAnnotation *
make_bookmark (const char *hash,
               int         chapter,
               gint64      offset)
{
  KiosAnnotation *a = kios_annotation_new ();

  a->hash = g_strdup (hash);
  a->kind = KIOS_ANNOTATION_BOOKMARK;
  a->start = epub_position (chapter, offset, "/body/DocFragment[2]/body/p[4]/text().0");
  a->text = g_strdup ("The first words");
  return a;
}

static void
assert_same_annotation (const KiosAnnotation *got,
                        const KiosAnnotation *want)
{
  g_assert_cmpint (got->id, ==, want->id);
  g_assert_cmpstr (got->hash, ==, want->hash);
  g_assert_cmpint (got->kind, ==, want->kind);
  g_assert_true (kios_position_equal (got->start, want->start));
  g_assert_cmpstr (got->start->xpointer, ==, want->start->xpointer);
  if (want->end == NULL)
    g_assert_null (got->end);
  else
    {
      g_assert_true (kios_position_equal (got->end, want->end));
      g_assert_cmpstr (got->end->xpointer, ==, want->end->xpointer);
    }
  g_assert_cmpstr (got->text, ==, want->text);
  g_assert_cmpstr (got->note, ==, want->note);
  g_assert_cmpstr (got->color, ==, want->color);
  g_assert_cmpstr (got->chapter_title, ==, want->chapter_title);
  g_assert_cmpint (got->created_at, ==, want->created_at);
  g_assert_cmpint (got->updated_at, ==, want->updated_at);
  g_assert_cmpstr (got->origin, ==, want->origin);
}

/* ---- the type ------------------------------------------------------------ */

static void
test_json_round_trip (void)
{
  g_autoptr (KiosAnnotation) a = make_highlight (HASH_A, 3, 10, 42, "quoted “words”");
  g_autoptr (KiosAnnotation) b = NULL;
  g_autoptr (KiosAnnotation) c = NULL;
  g_autoptr (JsonNode)       node = NULL;
  g_autoptr (GError)         error = NULL;

  a->id = 7;
  a->note = g_strdup ("A note");
  a->created_at = 1700000000;
  a->updated_at = 1700000100;
  a->origin = g_strdup ("kios");
  node = kios_annotation_to_json (a);
  b = kios_annotation_from_json (node, &error);
  g_assert_no_error (error);
  assert_same_annotation (b, a);

  c = kios_annotation_copy (a);
  assert_same_annotation (c, a);

  /* A highlight without an end is refused. */
  json_object_remove_member (json_node_get_object (node), "end");
  g_clear_pointer (&b, kios_annotation_free);
  b = kios_annotation_from_json (node, &error);
  g_assert_null (b);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
}

/* ---- the store ----------------------------------------------------------- */

static void
test_store_add_list_order (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosAnnotation) h1 = make_highlight (HASH_A, 5, 100, 120, "later");
  g_autoptr (KiosAnnotation) h2 = make_highlight (HASH_A, 2, 300, 340, "middle");
  g_autoptr (KiosAnnotation) bm = make_bookmark (HASH_A, 2, 10);
  g_autoptr (KiosAnnotation) other = make_highlight (HASH_B, 0, 0, 5, "other book");
  g_autoptr (GPtrArray)      list = NULL;
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store = open_store (path);

  g_assert_true (kios_library_store_add_annotation (store, h1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (h1->id, >, 0);
  g_assert_cmpint (h1->created_at, >, 0);
  g_assert_cmpint (h1->updated_at, ==, h1->created_at);
  g_assert_cmpstr (h1->origin, ==, "kios");
  g_assert_true (kios_library_store_add_annotation (store, h2, &error));
  g_assert_true (kios_library_store_add_annotation (store, bm, &error));
  g_assert_true (kios_library_store_add_annotation (store, other, &error));
  g_assert_no_error (error);
  g_assert_cmpint (h2->id, !=, h1->id);

  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 3);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_B), ==, 1);
  g_assert_cmpint (kios_library_store_count_annotations (store, "nothing"), ==, 0);

  list = kios_library_store_list_annotations (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  /* Reading order, not insertion order. */
  assert_same_annotation (g_ptr_array_index (list, 0), bm);
  assert_same_annotation (g_ptr_array_index (list, 1), h2);
  assert_same_annotation (g_ptr_array_index (list, 2), h1);
  close_store (store);

  /* And after a reopen. */
  store = open_store (path);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = kios_library_store_list_annotations (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  assert_same_annotation (g_ptr_array_index (list, 1), h2);
  close_store (store);
}

static void
test_store_update_delete (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosAnnotation) h = make_highlight (HASH_A, 1, 0, 9, "words");
  g_autoptr (KiosAnnotation) h2 = make_highlight (HASH_A, 1, 20, 29, "more words");
  g_autoptr (KiosAnnotation) edit = NULL;
  g_autoptr (GPtrArray)      list = NULL;
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store = open_store (path);
  KiosAnnotation            *got;

  h->created_at = 1000;
  g_assert_true (kios_library_store_add_annotation (store, h, &error));
  g_assert_true (kios_library_store_add_annotation (store, h2, &error));
  g_assert_no_error (error);

  edit = kios_annotation_copy (h);
  g_free (edit->note);
  edit->note = g_strdup ("Now a note");
  g_free (edit->color);
  edit->color = g_strdup ("blue");
  edit->updated_at = 2000;
  /* Only the note and the colour change; the text stays. */
  g_free (edit->text);
  edit->text = g_strdup ("not stored");
  g_assert_true (kios_library_store_update_annotation (store, edit, &error));
  g_assert_no_error (error);

  list = kios_library_store_list_annotations (store, HASH_A, &error);
  g_assert_cmpuint (list->len, ==, 2);
  got = g_ptr_array_index (list, 0);
  g_assert_cmpint (got->id, ==, h->id);
  g_assert_cmpstr (got->note, ==, "Now a note");
  g_assert_cmpstr (got->color, ==, "blue");
  g_assert_cmpstr (got->text, ==, "words");
  g_assert_cmpint (got->created_at, ==, 1000);
  g_assert_cmpint (got->updated_at, ==, 2000);

  /* A bad colour and an unknown id are refused. */
  g_free (edit->color);
  edit->color = g_strdup ("purple");
  g_assert_false (kios_library_store_update_annotation (store, edit, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_free (edit->color);
  edit->color = g_strdup ("red");
  edit->id = 999999;
  g_assert_false (kios_library_store_update_annotation (store, edit, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (kios_library_store_delete_annotation (store, h->id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 1);
  g_assert_false (kios_library_store_delete_annotation (store, h->id, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (kios_library_store_delete_book_annotations (store, HASH_A, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 0);
  close_store (store);
}

static void
test_store_refuses_bad (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosAnnotation) backwards = make_highlight (HASH_A, 1, 50, 10, "x");
  g_autoptr (KiosAnnotation) no_end = make_highlight (HASH_A, 1, 0, 10, "x");
  g_autoptr (KiosAnnotation) colour = make_highlight (HASH_A, 1, 0, 10, "x");
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store = open_store (path);

  g_clear_pointer (&no_end->end, kios_position_free);
  g_free (colour->color);
  colour->color = g_strdup ("orange");
  g_assert_false (kios_library_store_add_annotation (store, backwards, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (kios_library_store_add_annotation (store, no_end, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (kios_library_store_add_annotation (store, colour, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpint (backwards->id, ==, 0);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 0);
  close_store (store);
}

static void
list_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GPtrArray **out = user_data;
  GError     *error = NULL;

  *out = kios_library_store_list_annotations_finish (KIOS_LIBRARY_STORE (source), result, &error);
  g_assert_no_error (error);
}

static void
test_store_list_async (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosAnnotation) h = make_highlight (HASH_A, 1, 0, 9, "words");
  g_autoptr (GError)         error = NULL;
  GPtrArray                 *list = NULL;
  KiosLibraryStore          *store = open_store (path);
  gint64                     deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (kios_library_store_add_annotation (store, h, &error));
  kios_library_store_list_annotations_async (store, HASH_A, NULL, list_done, &list);
  while (list == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, 1);
  assert_same_annotation (g_ptr_array_index (list, 0), h);
  g_ptr_array_unref (list);
  close_store (store);
}

/* A library written by the previous Kios (schema 3) is upgraded in place:
 * its books and positions stay, and annotations can be added. */
static void
test_store_upgrade_from_v3 (void)
{
  g_autofree char           *path = db_path ();
  g_autoptr (KiosBookRecord) book = g_new0 (KiosBookRecord, 1);
  g_autoptr (KiosPosition)   pos = epub_position (4, 77, "/body/DocFragment[5]/body/p[2]/text().3");
  g_autoptr (KiosPosition)   got_pos = NULL;
  g_autoptr (KiosBookRecord) got_book = NULL;
  g_autofree char           *meta = NULL;
  g_autoptr (KiosAnnotation) h = make_highlight (HASH_A, 1, 0, 9, "words");
  g_autoptr (GError)         error = NULL;
  KiosLibraryStore          *store = open_store (path);
  sqlite3_stmt              *stmt = NULL;
  sqlite3                   *db = NULL;
  GStatBuf                   st;

  book->hash = g_strdup (HASH_A);
  book->path = g_strdup ("/books/persuasion.epub");
  book->format = g_strdup ("epub");
  book->title = g_strdup ("Persuasion");
  pos->updated_at = 1700000000;
  kios_library_store_upsert_book (store, book);
  kios_library_store_save_position (store, HASH_A, pos);
  kios_library_store_set_book_meta (store, HASH_A, "note", "kept");
  close_store (store);

  /* Make it exactly what schema 3 left: no annotations table, version 3. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "DROP TABLE annotations; PRAGMA user_version = 3", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);

  store = open_store (path);
  got_book = kios_library_store_get_book (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got_book->title, ==, "Persuasion");
  got_pos = kios_library_store_get_position (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_true (kios_position_equal (got_pos, pos));
  g_assert_cmpstr (got_pos->xpointer, ==, pos->xpointer);
  meta = kios_library_store_get_book_meta (store, HASH_A, "note");
  g_assert_cmpstr (meta, ==, "kept");
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 0);
  g_assert_true (kios_library_store_add_annotation (store, h, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_A), ==, 1);
  close_store (store);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* Still private. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/annotations/json-round-trip", test_json_round_trip);
  g_test_add_func ("/kios/annotations/store-add-list-order", test_store_add_list_order);
  g_test_add_func ("/kios/annotations/store-update-delete", test_store_update_delete);
  g_test_add_func ("/kios/annotations/store-refuses-bad", test_store_refuses_bad);
  g_test_add_func ("/kios/annotations/store-list-async", test_store_list_async);
  g_test_add_func ("/kios/annotations/store-upgrade-from-v3", test_store_upgrade_from_v3);

  return g_test_run ();
}
