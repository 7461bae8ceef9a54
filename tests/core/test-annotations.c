/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-annotations"

#include "config.h"

#include "kios-annotation-export.h"
#include "kios-annotation-text.h"
#include "kios-annotation.h"
#include "kios-chapter-text.h"
#include "kios-document.h"
#include "kios-epub.h"
#include "kios-error.h"
#include "kios-library-store.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

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

/* ---- ranges and text ----------------------------------------------------- */

#define CH1 2 /* Persuasion's spine: cover, title page, then Chapter 1 */

static KiosAnnotationText *
open_text (const char *name)
{
  g_autofree char    *path = kios_test_book (name);
  g_autoptr (GError)  error = NULL;
  KiosAnnotationText *text = kios_annotation_text_new (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* The stream index where `words` (written without spaces) starts. */
static gint64
find_in_chapter (const char *book,
                 int         chapter,
                 const char *words)
{
  g_autofree char            *path = kios_test_book (book);
  g_autoptr (KiosEpub)        epub = kios_epub_open (path, NULL);
  g_autoptr (GBytes)          bytes = NULL;
  g_autoptr (KiosChapterText) text = NULL;
  g_autofree gunichar        *needle = g_utf8_to_ucs4_fast (words, -1, NULL);
  glong                       n = g_utf8_strlen (words, -1);
  const gunichar             *chars;
  gsize                       len;

  g_assert_nonnull (epub);
  bytes = kios_epub_read_member (epub, kios_epub_get_spine_item (epub, chapter)->href, 1 << 24, NULL);
  g_assert_nonnull (bytes);
  text = kios_chapter_text_new (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  g_assert_nonnull (text);
  chars = kios_chapter_text_get_chars (text);
  len = kios_chapter_text_get_length (text);
  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (chars + i, needle, n * sizeof (gunichar)) == 0)
      return (gint64) i;
  g_error ("“%s” is not in chapter %d of %s", words, chapter, book);
  return -1;
}

static KiosPosition *
at (int    chapter,
    gint64 offset)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->chapter = chapter;
  pos->offset = offset;
  return pos;
}

static char *
range_text (KiosAnnotationText *text,
            int                 chapter0,
            gint64              offset0,
            int                 chapter1,
            gint64              offset1)
{
  g_autoptr (KiosPosition) a = at (chapter0, offset0);
  g_autoptr (KiosPosition) b = at (chapter1, offset1);
  g_autoptr (GError)       error = NULL;
  char                    *got = kios_annotation_text_get_range (text, a, b, &error);

  g_assert_no_error (error);
  g_assert_nonnull (got);
  return got;
}

/* The words between two positions, exactly: spaces and hyphens the stream
 * drops come back, blocks are lines. */
static void
test_range_text_exact (void)
{
  g_autoptr (KiosAnnotationText) text = open_text ("persuasion.epub");
  gint64                         sir = find_in_chapter ("persuasion.epub", CH1, "SirWalterElliot");
  gint64                         still = find_in_chapter ("persuasion.epub", CH1, "astillbornson");
  g_autofree char               *a = NULL;
  g_autofree char               *b = NULL;
  g_autofree char               *c = NULL;
  g_autofree char               *d = NULL;
  g_autoptr (GError)             error = NULL;
  g_autoptr (KiosPosition)       p0 = at (CH1, 20);
  g_autoptr (KiosPosition)       p1 = at (CH1, 10);

  g_assert_cmpint (sir, ==, 8); /* after "Chapter1" */
  a = range_text (text, CH1, sir, CH1, sir + (gint64) strlen ("SirWalterElliot,ofKellynchHall"));
  g_assert_cmpstr (a, ==, "Sir Walter Elliot, of Kellynch Hall");
  b = range_text (text, CH1, 0, CH1, sir + 3);
  g_assert_cmpstr (b, ==, "Chapter 1\nSir");
  c = range_text (text, CH1, still, CH1, still + (gint64) strlen ("astillbornson"));
  g_assert_cmpstr (c, ==, "a still-born son");
  d = range_text (text, CH1, sir, CH1, sir);
  g_assert_cmpstr (d, ==, "");

  g_assert_null (kios_annotation_text_get_range (text, p0, p1, &error));
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
}

/* A range across a chapter boundary is the end of one and the start of the
 * next, on their own lines. */
static void
test_range_across_chapters (void)
{
  g_autoptr (KiosAnnotationText) text = open_text ("persuasion.epub");
  g_autoptr (GError)             error = NULL;
  gint64                         len = kios_annotation_text_get_length (text, CH1, &error);
  g_autofree char               *tail = NULL;
  g_autofree char               *head = NULL;
  g_autofree char               *both = NULL;
  g_autofree char               *want = NULL;
  g_autoptr (KiosAnnotation)     a = kios_annotation_new ();

  g_assert_no_error (error);
  g_assert_cmpint (len, >, 1000);
  tail = range_text (text, CH1, len - 30, CH1, len);
  head = range_text (text, CH1 + 1, 0, CH1 + 1, 20);
  both = range_text (text, CH1, len - 30, CH1 + 1, 20);
  want = g_strconcat (tail, "\n", head, NULL);
  g_assert_cmpstr (both, ==, want);
  g_assert_true (g_str_has_prefix (head, "Chapter 2\n"));

  /* A range that stops where the next chapter starts ends in this one. */
  a->hash = g_strdup (HASH_A);
  a->kind = KIOS_ANNOTATION_HIGHLIGHT;
  a->start = at (CH1, len - 30);
  a->end = at (CH1 + 1, 0);
  g_assert_true (kios_annotation_text_fill (text, a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a->end->chapter, ==, CH1);
  g_assert_cmpint (a->end->offset, ==, len);
  g_assert_cmpstr (a->text, ==, tail);
  g_assert_true (g_str_has_prefix (a->end->xpointer, "/body/DocFragment[3]/"));
}

/* Every point of a chapter: its xpointer, as pos0 and as pos1, resolves
 * back to the same offset. */
static void
test_xpointer_round_trip (void)
{
  g_autoptr (KiosAnnotationText) text = open_text ("persuasion.epub");
  g_autoptr (GError)             error = NULL;

  for (int chapter = CH1; chapter < CH1 + 3; chapter++)
    {
      gint64 len = kios_annotation_text_get_length (text, chapter, &error);

      g_assert_no_error (error);
      for (gint64 offset = 0; offset <= len; offset++)
        {
          g_autofree char *x0 = kios_annotation_text_get_xpointer (text, chapter, offset, FALSE, &error);
          g_autofree char *x1 = kios_annotation_text_get_xpointer (text, chapter, offset, TRUE, &error);
          int              c = -1;
          gint64           o = -1;

          g_assert_no_error (error);
          if (offset < len)
            {
              g_assert_true (kios_annotation_text_resolve (text, x0, &c, &o, &error));
              g_assert_no_error (error);
              g_assert_cmpint (c, ==, chapter);
              g_assert_cmpint (o, ==, offset);
            }
          if (offset > 0)
            {
              g_assert_true (kios_annotation_text_resolve (text, x1, &c, &o, &error));
              g_assert_no_error (error);
              g_assert_cmpint (c, ==, chapter);
              if (o != offset)
                g_error ("pos1 %s of %d:%" G_GINT64_FORMAT " resolves to %" G_GINT64_FORMAT, x1, chapter,
                         offset, o);
            }
        }
    }

  {
    int    c;
    gint64 o;

    g_assert_false (kios_annotation_text_resolve (text, "/body/DocFragment[999]/body/p[1]/text().0", &c, &o,
                                                  &error));
    g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND);
  }
}

static KiosPage *
render_location (KiosDocument *doc,
                 int           chapter,
                 int           page)
{
  g_autoptr (GError) error = NULL;
  KiosPageRequest    request;
  KiosPage          *got;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ chapter, page };
  request.position_only = TRUE;
  got = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  return got;
}

static void
set_font (KiosDocument *doc,
          double        font_size)
{
  KiosLayout layout = { 500, 700, font_size, 0 };

  kios_document_set_layout (doc, &layout);
}

/* A highlight made on a page at one font size lands on the same words, at
 * the same offsets, after the font size changes; and its ends agree with
 * the document's own positions. */
static void
test_highlight_survives_font_change (void)
{
  g_autofree char               *book = kios_test_book ("emma.epub");
  g_autofree char               *path = db_path ();
  g_autoptr (GError)             error = NULL;
  g_autoptr (KiosDocument)       doc = kios_document_open_sync (book, &error);
  g_autoptr (KiosAnnotationText) text = open_text ("emma.epub");
  g_autoptr (KiosPage)           page = NULL;
  g_autoptr (KiosPage)           next = NULL;
  g_autoptr (KiosAnnotation)     h = kios_annotation_new ();
  g_autoptr (GPtrArray)          list = NULL;
  KiosAnnotation                *stored;
  KiosLibraryStore              *store;
  g_autofree char               *page_xpointer = NULL;

  g_assert_no_error (error);
  set_font (doc, 16);
  page = render_location (doc, 3, 17);
  next = render_location (doc, 3, 18);
  g_assert_cmpint (next->position->offset, >, page->position->offset + 100);

  /* The document's page start and this module's xpointer agree. */
  page_xpointer = kios_annotation_text_get_xpointer (text, 3, page->position->offset, FALSE, &error);
  g_assert_cmpstr (page_xpointer, ==, page->position->xpointer);

  /* From the 10th character of the page to 40 before the next page. */
  h->hash = g_strdup (kios_document_get_hash (doc));
  h->kind = KIOS_ANNOTATION_HIGHLIGHT;
  h->color = g_strdup ("green");
  h->start = kios_position_copy (page->position);
  h->start->offset += 10;
  h->end = kios_position_copy (next->position);
  h->end->offset -= 40;
  g_assert_true (kios_annotation_text_fill (text, h, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (h->text), >, 60);

  store = open_store (path);
  g_assert_true (kios_library_store_add_annotation (store, h, &error));
  g_assert_no_error (error);

  set_font (doc, 26);
  list = kios_library_store_list_annotations (store, h->hash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  stored = g_ptr_array_index (list, 0);

  /* The stored xpointers resolve to the same offsets and words. */
  {
    g_autoptr (KiosPosition) s = NULL;
    g_autoptr (KiosPosition) e = NULL;
    g_autoptr (KiosPage)     shown = NULL;
    g_autofree char         *words = NULL;
    KiosPageRequest          request;
    int                      c;
    gint64                   o;

    g_assert_true (kios_annotation_text_resolve (text, stored->start->xpointer, &c, &o, &error));
    g_assert_cmpint (c, ==, h->start->chapter);
    g_assert_cmpint (o, ==, h->start->offset);
    s = at (c, o);
    g_assert_true (kios_annotation_text_resolve (text, stored->end->xpointer, &c, &o, &error));
    g_assert_cmpint (c, ==, h->end->chapter);
    g_assert_cmpint (o, ==, h->end->offset);
    e = at (c, o);
    words = kios_annotation_text_get_range (text, s, e, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (words, ==, h->text);

    /* At the new layout the document shows the start on a page that begins
     * at or before it (a bigger font: an earlier page number). */
    kios_page_request_init (&request);
    request.kind = KIOS_PAGE_REQUEST_POSITION;
    request.position = stored->start;
    request.position_only = TRUE;
    shown = kios_document_render_sync (doc, &request, &error);
    g_assert_no_error (error);
    g_assert_cmpint (shown->location.chapter, ==, 3);
    g_assert_cmpint (shown->location.page, >, 17);
    g_assert_cmpint (shown->position->offset, <=, h->start->offset);
  }
  close_store (store);
}

/* The text of a range puts back what the stream drops: spaces (collapsed),
 * hyphens, soft hyphens; non-ASCII stays as it is; blocks and <br> are
 * line feeds; script is not text. */
static void
test_chapter_get_text (void)
{
  static const char xhtml[] =
      "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title></head><body>"
      "<h1>Caf\xc3\xa9  d\xc3\xa9j\xc3\xa0\n  vu</h1>"
      "<p>well-known <i>ital</i>ic <b> bold </b>end<script>var x = 1;</script></p>"
      "<p>line<br/>break and soft\xc2\xadhyphen</p></body></html>";
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosChapterText) text = kios_chapter_text_new (xhtml, sizeof xhtml - 1, &error);
  gsize                       len;
  g_autofree char            *all = NULL;
  g_autofree char            *part = NULL;

  g_assert_no_error (error);
  len = kios_chapter_text_get_length (text);
  all = kios_chapter_text_get_text (text, 0, len);
  g_assert_cmpstr (all, ==,
                   "Caf\xc3\xa9 d\xc3\xa9j\xc3\xa0 vu\n"
                   "well-known italic bold end\n"
                   "line\nbreak and soft\xc2\xadhyphen");
  /* From inside a word to inside another: exactly those characters. */
  part = kios_chapter_text_get_text (text, 1, 8);
  g_assert_cmpstr (part, ==, "af\xc3\xa9 d\xc3\xa9j\xc3\xa0");
}

/* ---- Markdown ------------------------------------------------------------ */

static void
test_export_markdown (void)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  g_autofree char      *md = NULL;
  g_autofree char      *empty = NULL;
  KiosAnnotation       *a;

  /* Added out of order: the export sorts. */
  a = make_highlight (HASH_A, 5, 10, 30, "He said, \"No.\"\nShe *laughed*.");
  g_free (a->chapter_title);
  a->chapter_title = g_strdup ("Chapter 5");
  a->note = g_strdup ("Two lines\nof note");
  g_ptr_array_add (list, a);
  a = make_highlight (HASH_A, 2, 100, 120, "Sir Walter Elliot, of Kellynch Hall");
  g_free (a->chapter_title);
  a->chapter_title = g_strdup ("Chapter 1");
  g_ptr_array_add (list, a);
  a = make_bookmark (HASH_A, 2, 10);
  a->chapter_title = g_strdup ("Chapter 1");
  g_free (a->text);
  a->text = g_strdup ("Chapter 1\nSir  Walter");
  g_ptr_array_add (list, a);
  a = make_highlight (HASH_A, 5, 40, 50, "# not a heading");
  g_free (a->chapter_title);
  a->chapter_title = g_strdup ("Chapter 5");
  a->color = g_strdup ("red");
  g_ptr_array_add (list, a);

  md = kios_annotation_export_markdown ("Persuasion", list);
  g_assert_cmpstr (md, ==,
                   "# Persuasion\n"
                   "\n"
                   "## Chapter 1\n"
                   "\n"
                   "- Bookmark: Chapter 1 Sir Walter\n"
                   "\n"
                   "> Sir Walter Elliot, of Kellynch Hall\n"
                   "\n"
                   "## Chapter 5\n"
                   "\n"
                   "> He said, \"No.\"\n"
                   ">\n"
                   "> She *laughed*.\n"
                   "\n"
                   "Two lines\n"
                   "of note\n"
                   "\n"
                   "> # not a heading\n");
  /* The array itself keeps its order. */
  g_assert_cmpint (((KiosAnnotation *) g_ptr_array_index (list, 0))->start->chapter, ==, 5);

  empty = kios_annotation_export_markdown (NULL, NULL);
  g_assert_cmpstr (empty, ==, "# Untitled\n");
}

/* ---- kiosctl ------------------------------------------------------------- */

#define SIR_FROM "/body/DocFragment[3]/body/section/p[1]/text().0"
#define SIR_TO "/body/DocFragment[3]/body/section/p[1]/text().35"

static JsonArray *
annotations_json (const char *book,
                  JsonNode  **root)
{
  g_auto (KiosctlRun) run = { 0 };
  g_autoptr (GError)  error = NULL;

  kios_test_kiosctl (&run, NULL, "annotations", "--json", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  *root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object (*root), "annotations");
}

static void
test_kiosctl_annotate (void)
{
  g_autofree char     *book = kios_test_book ("persuasion.epub");
  g_auto (KiosctlRun)  run = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonArray           *list;
  JsonObject          *h;
  JsonObject          *start, *end;
  g_autofree char     *id = NULL;

  kios_test_kiosctl (&run, NULL, "annotations", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "No annotations"));

  kios_test_kiosctl (&run, NULL, "annotate", book, "--highlight", SIR_FROM, SIR_TO, "--color", "green",
                     "--note", "Vain man", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "annotate", book, "--bookmark", "percent:10", NULL);
  g_assert_cmpint (run.status, ==, 0);

  list = annotations_json (book, &root);
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  h = json_array_get_object_element (list, 0);
  /* A highlight with a note is a note. */
  g_assert_cmpstr (json_object_get_string_member (h, "kind"), ==, "note");
  g_assert_cmpstr (json_object_get_string_member (h, "pos0"), ==, SIR_FROM);
  g_assert_cmpstr (json_object_get_string_member (h, "pos1"), ==, SIR_TO);
  g_assert_nonnull (json_object_get_string_member (h, "created"));
  g_assert_cmpstr (json_object_get_string_member (h, "created"), ==, json_object_get_string_member (h, "created_at"));
  g_assert_nonnull (json_object_get_string_member (h, "updated"));
  g_assert_cmpstr (json_object_get_string_member (h, "text"), ==, "Sir Walter Elliot, of Kellynch Hall");
  g_assert_cmpstr (json_object_get_string_member (h, "note"), ==, "Vain man");
  g_assert_cmpstr (json_object_get_string_member (h, "color"), ==, "green");
  g_assert_cmpstr (json_object_get_string_member (h, "chapter_title"), ==, "Chapter 1");
  g_assert_cmpstr (json_object_get_string_member (h, "origin"), ==, "kios");
  g_assert_nonnull (json_object_get_string_member (h, "created_at"));
  start = json_object_get_object_member (h, "start");
  end = json_object_get_object_member (h, "end");
  g_assert_cmpstr (json_object_get_string_member (start, "xpointer"), ==, SIR_FROM);
  g_assert_cmpstr (json_object_get_string_member (end, "xpointer"), ==, SIR_TO);
  g_assert_cmpint (json_object_get_int_member (start, "chapter"), ==, CH1);
  g_assert_cmpint (json_object_get_int_member (start, "offset"), ==, 8);
  g_assert_cmpint (json_object_get_int_member (end, "offset"), ==, 8 + strlen ("SirWalterElliot,ofKellynchHall"));
  h = json_array_get_object_element (list, 1);
  g_assert_cmpstr (json_object_get_string_member (h, "kind"), ==, "bookmark");
  g_assert_true (json_object_get_null_member (h, "end"));
  g_assert_true (json_object_get_null_member (h, "pos1"));
  g_assert_true (json_object_get_null_member (h, "color"));
  g_assert_cmpstr (json_object_get_string_member (h, "text"), ==, "have given him up. The belief of being prudent, and");

  kios_test_kiosctl (&run, NULL, "export", "--markdown", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==,
                   "# Persuasion\n"
                   "\n"
                   "## Chapter 1\n"
                   "\n"
                   "> Sir Walter Elliot, of Kellynch Hall\n"
                   "\n"
                   "Vain man\n"
                   "\n"
                   "## Chapter 4\n"
                   "\n"
                   "- Bookmark: have given him up. The belief of being prudent, and\n");

  id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (json_array_get_object_element (list, 0), "id"));
  kios_test_kiosctl (&run, NULL, "annotate", book, "--delete", id, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&root, json_node_unref);
  list = annotations_json (book, &root);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  /* Gone: deleting it again is an error. */
  kios_test_kiosctl (&run, NULL, "annotate", book, "--delete", id, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "has no annotation"));
}

static void
test_kiosctl_bad_input (void)
{
  g_autofree char    *book = kios_test_book ("persuasion.epub");
  g_autofree char    *pdf = kios_test_book ("persuasion.pdf");
  g_auto (KiosctlRun) run = { 0 };
  static const struct
  {
    int         status;
    const char *args[8];
    const char *says;
  } cases[] = {
    { 2, { "annotate", NULL }, "usage" },
    { 2, { "annotate", "BOOK", NULL }, "usage" },
    { 2, { "annotate", "BOOK", "--highlight", "percent:10", NULL }, "FROM and TO" },
    { 2, { "annotate", "BOOK", "--highlight", "percent:10", "percent:20", "--color", "pink", NULL }, "pink" },
    { 2, { "annotate", "BOOK", "--bookmark", "percent:10", "--note", "x", NULL }, "--highlight" },
    { 2, { "annotate", "BOOK", "--bookmark", "percent:10", "--delete", "3", NULL }, "usage" },
    { 2, { "annotate", "BOOK", "--delete", "three", NULL }, "annotation id" },
    { 1, { "annotate", "BOOK", "--highlight", "percent:20", "percent:10", NULL }, "end after it starts" },
    { 1, { "annotate", "BOOK", "--highlight", "percent:20", "percent:20", NULL }, "end after it starts" },
    { 1, { "annotate", "BOOK", "--bookmark", "nowhere", NULL }, "position" },
    { 1, { "annotate", "BOOK", "--bookmark", "/body/DocFragment[99]/body/p[1]/text().0", NULL }, "position" },
    { 1, { "annotate", "PDF", "--highlight", "page:1", "page:2", NULL }, "EPUB" },
    { 1, { "annotate", "/nonexistent.epub", "--bookmark", "percent:1", NULL }, "" },
    { 2, { "export", "BOOK", NULL }, "--markdown" },
    { 2, { "annotations", NULL }, "usage" },
    { 1, { "annotations", "/nonexistent.epub", NULL }, "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *argv[9] = { NULL };

      for (gsize j = 0; cases[i].args[j] != NULL; j++)
        argv[j] = strcmp (cases[i].args[j], "BOOK") == 0  ? book
                  : strcmp (cases[i].args[j], "PDF") == 0 ? pdf
                                                          : cases[i].args[j];
      kios_test_kiosctl (&run, NULL, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
                         NULL);
      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, run.err);
      g_assert_cmpint (run.status, ==, cases[i].status);
      g_assert_nonnull (strstr (run.err, cases[i].says));
      g_assert_true (g_str_has_prefix (run.err, "kiosctl: "));
    }

  /* A bookmark in a PDF is a page. */
  kios_test_kiosctl (&run, NULL, "annotate", pdf, "--bookmark", "page:3", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "\"page\" : 3"));
  g_assert_nonnull (strstr (run.out, "\"pos0\" : 3"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  kios_test_add_func ("/kios/annotations/json-round-trip", test_json_round_trip);
  kios_test_add_func ("/kios/annotations/store-add-list-order", test_store_add_list_order);
  kios_test_add_func ("/kios/annotations/store-update-delete", test_store_update_delete);
  kios_test_add_func ("/kios/annotations/store-refuses-bad", test_store_refuses_bad);
  kios_test_add_func ("/kios/annotations/store-list-async", test_store_list_async);
  kios_test_add_func ("/kios/annotations/store-upgrade-from-v3", test_store_upgrade_from_v3);
  kios_test_add_func ("/kios/annotations/chapter-get-text", test_chapter_get_text);
  kios_test_add_func ("/kios/annotations/export-markdown", test_export_markdown);
  kios_test_add_func ("/kios/annotations/kiosctl-annotate", test_kiosctl_annotate);
  kios_test_add_func ("/kios/annotations/kiosctl-bad-input", test_kiosctl_bad_input);
  kios_test_add_func ("/kios/annotations/range-text-exact", test_range_text_exact);
  kios_test_add_func ("/kios/annotations/range-across-chapters", test_range_across_chapters);
  kios_test_add_func ("/kios/annotations/xpointer-round-trip", test_xpointer_round_trip);
  kios_test_add_func ("/kios/annotations/highlight-survives-font-change", test_highlight_survives_font_change);

  return g_test_run ();
}
