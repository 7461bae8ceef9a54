/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-koreader-sidecar"

#include "config.h"

#include "kios-annotation-text.h"
#include "kios-error.h"
#include "kios-koreader-sidecar.h"
#include "kios-library-store.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define HASH "4014313b115a79ab802bd66bcb90849c"
#define SIR0 "/body/DocFragment[3]/body/section/p[1]/text().0"
#define SIR1 "/body/DocFragment[3]/body/section/p[1]/text().35"

/* A folder with persuasion.epub and, when fixture is set, KOReader's
 * sidecar from tests/fixtures/koreader next to it. Returns the book's path. */
static char *
make_library (const char *fixture)
{
  g_autofree char   *src = kios_test_book ("persuasion.epub");
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "books", NULL);
  g_autofree char   *book = g_build_filename (dir, "persuasion.epub", NULL);
  g_autofree char   *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize              len = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_get_contents (src, &data, &len, &error));
  g_assert_true (g_file_set_contents (book, data, (gssize) len, &error));
  g_assert_no_error (error);
  if (fixture != NULL)
    {
      g_autofree char *fixture_path = g_build_filename (TEST_SRCDIR, "fixtures", "koreader", fixture, NULL);
      g_autofree char *sidecar = kios_koreader_sidecar_path_for_book (book);
      g_autofree char *sdr = g_path_get_dirname (sidecar);

      g_clear_pointer (&data, g_free);
      g_assert_true (g_file_get_contents (fixture_path, &data, &len, &error));
      g_assert_cmpint (g_mkdir_with_parents (sdr, 0755), ==, 0);
      g_assert_true (g_file_set_contents (sidecar, data, (gssize) len, &error));
      g_assert_no_error (error);
    }
  return g_steal_pointer (&book);
}

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char              *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, NULL, &error));
  g_assert_no_error (error);
  return data;
}

static KiosAnnotationText *
open_text (const char *book)
{
  g_autoptr (GError)  error = NULL;
  KiosAnnotationText *text = kios_annotation_text_new (book, &error);

  g_assert_no_error (error);
  return text;
}

static gint64
local_time (int y,
            int mo,
            int d,
            int h,
            int mi,
            int s)
{
  g_autoptr (GDateTime) t = g_date_time_new_local (y, mo, d, h, mi, s);

  return g_date_time_to_unix (t);
}

static void
test_path_for_book (void)
{
  static const char *const cases[][2] = {
    { "/books/pride.epub", "/books/pride.sdr/metadata.epub.lua" },
    { "/books/Some Book.v2.pdf", "/books/Some Book.v2.sdr/metadata.pdf.lua" },
    { "/books/noext", "/books/noext.sdr/metadata._.lua" },
  };
  g_autofree char *dir = NULL;
  g_autofree char *hashed = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = kios_koreader_sidecar_path_for_book (cases[i][0]);

      g_assert_cmpstr (got, ==, cases[i][1]);
    }
  dir = kios_koreader_sidecar_path_in_folder ("/koreader/docsettings", "/mnt/books/pride.epub", NULL);
  g_assert_cmpstr (dir, ==, "/koreader/docsettings/mnt/books/pride.sdr/metadata.epub.lua");
  hashed = kios_koreader_sidecar_path_in_folder ("/koreader/hashdocsettings", "/mnt/books/pride.epub",
                                                 "b3fb8f4f8448160365087d6ca05c7fa2");
  g_assert_cmpstr (hashed, ==,
                   "/koreader/hashdocsettings/b3/b3fb8f4f8448160365087d6ca05c7fa2.sdr/metadata.epub.lua");
}

/* KOReader's entries as Kios annotations, on the right words. */
static void
test_read_annotations (void)
{
  g_autofree char                *book = make_library ("metadata.epub.lua");
  g_autofree char                *path = kios_koreader_sidecar_path_for_book (book);
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (path, &error);
  g_autoptr (KiosAnnotationText)  text = open_text (book);
  g_autoptr (GPtrArray)           list = NULL;
  KiosAnnotation                 *a;

  g_assert_no_error (error);
  list = kios_koreader_sidecar_get_annotations (sidecar, HASH, text);
  g_assert_cmpuint (list->len, ==, 3);

  a = g_ptr_array_index (list, 0);
  g_assert_cmpint (a->kind, ==, KIOS_ANNOTATION_HIGHLIGHT);
  g_assert_cmpstr (a->origin, ==, "koreader");
  g_assert_cmpstr (a->hash, ==, HASH);
  g_assert_cmpstr (a->text, ==, "Sir Walter Elliot, of Kellynch Hall");
  g_assert_cmpstr (a->note, ==, "Vanity, from the \"first\" line.\nSee chapter 2.");
  g_assert_cmpstr (a->color, ==, "yellow");
  g_assert_cmpstr (a->chapter_title, ==, "Chapter 1");
  g_assert_cmpint (a->start->chapter, ==, 2);
  g_assert_cmpint (a->start->offset, ==, 8);
  g_assert_cmpstr (a->start->xpointer, ==, SIR0);
  g_assert_cmpstr (a->end->xpointer, ==, SIR1);
  g_assert_cmpint (a->created_at, ==, local_time (2025, 3, 14, 21, 7, 45));
  {
    /* KOReader's pos0/pos1 hold exactly the words of its "text". */
    g_autofree char *words = kios_annotation_text_get_range (text, a->start, a->end, &error);

    g_assert_cmpstr (words, ==, a->text);
  }

  a = g_ptr_array_index (list, 1);
  g_assert_cmpstr (a->text, ==, "Mr Shepherd, a civil, cautious lawyer, who, whatever might");
  g_assert_null (a->note);
  g_assert_cmpstr (a->color, ==, "blue"); /* KOReader's cyan */
  g_assert_cmpint (a->updated_at, ==, local_time (2025, 3, 16, 10, 0, 0));
  {
    g_autofree char *words = kios_annotation_text_get_range (text, a->start, a->end, &error);

    g_assert_cmpstr (words, ==, a->text);
  }

  a = g_ptr_array_index (list, 2);
  g_assert_cmpint (a->kind, ==, KIOS_ANNOTATION_BOOKMARK);
  g_assert_null (a->end);
  g_assert_null (a->color);
  g_assert_cmpint (a->start->chapter, ==, 10);
  g_assert_cmpstr (a->chapter_title, ==, "Chapter 9");
}

static void
test_read_old_format (void)
{
  g_autofree char                *book = make_library ("metadata-old.epub.lua");
  g_autofree char                *path = kios_koreader_sidecar_path_for_book (book);
  g_autofree char                *before = read_file (path);
  g_autofree char                *after = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (path, &error);
  g_autoptr (KiosAnnotationText)  text = open_text (book);
  g_autoptr (GPtrArray)           list = NULL;
  g_autoptr (GPtrArray)           mine = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  KiosAnnotation                 *a;

  g_assert_no_error (error);
  list = kios_koreader_sidecar_get_annotations (sidecar, HASH, text);
  /* The lawyer is both a bookmark and a highlight: once. */
  g_assert_cmpuint (list->len, ==, 3);
  a = g_ptr_array_index (list, 0);
  g_assert_cmpstr (a->text, ==, "Sir Walter Elliot, of Kellynch Hall");
  a = g_ptr_array_index (list, 1);
  g_assert_cmpstr (a->text, ==, "Mr Shepherd, a civil, cautious lawyer, who, whatever might");
  g_assert_cmpstr (a->note, ==, "A lawyer");
  a = g_ptr_array_index (list, 2);
  g_assert_cmpint (a->kind, ==, KIOS_ANNOTATION_BOOKMARK);

  /* Writing would hide these from KOReader: refused. */
  a = kios_annotation_copy (g_ptr_array_index (list, 0));
  g_free (a->origin);
  a->origin = g_strdup ("kios");
  g_ptr_array_add (mine, a);
  g_assert_cmpint (kios_koreader_sidecar_merge (sidecar, mine, &error), ==, -1);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
  after = read_file (path);
  g_assert_cmpstr (after, ==, before);
}

static KiosAnnotation *
kios_highlight (KiosAnnotationText *text,
                int                 chapter,
                gint64              start,
                gint64              end,
                const char         *note)
{
  g_autoptr (GError) error = NULL;
  KiosAnnotation    *a = kios_annotation_new ();

  a->hash = g_strdup (HASH);
  a->kind = KIOS_ANNOTATION_HIGHLIGHT;
  a->origin = g_strdup ("kios");
  a->color = g_strdup ("green");
  a->note = g_strdup (note);
  a->chapter_title = g_strdup ("Chapter 3");
  a->created_at = local_time (2026, 12, 6, 12, 0, 0);
  a->updated_at = a->created_at;
  a->start = kios_position_new ();
  a->start->format = KIOS_BOOK_FORMAT_EPUB;
  a->start->chapter = chapter;
  a->start->offset = start;
  a->end = kios_position_copy (a->start);
  a->end->offset = end;
  g_assert_true (kios_annotation_text_fill (text, a, &error));
  g_assert_no_error (error);
  return a;
}

static KiosLuaValue *
parse_file (const char *path)
{
  g_autofree char   *data = read_file (path);
  g_autoptr (GError) error = NULL;
  KiosLuaValue      *root = kios_lua_parse (data, -1, &error);

  g_assert_no_error (error);
  return root;
}

/* Read → add a Kios highlight → write → read back: KOReader's entries and
 * keys keep their meaning, Kios's entry is there with its xpointers, the
 * previous file is the backup, and both are private. */
static void
test_round_trip (void)
{
  g_autofree char                *book = make_library ("metadata.epub.lua");
  g_autofree char                *path = kios_koreader_sidecar_path_for_book (book);
  g_autofree char                *old_path = g_strconcat (path, ".old", NULL);
  g_autofree char                *original = read_file (path);
  g_autofree char                *backup = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (path, &error);
  g_autoptr (KiosKoreaderSidecar) again = NULL;
  g_autoptr (KiosAnnotationText)  text = open_text (book);
  g_autoptr (GPtrArray)           mine = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  g_autoptr (GPtrArray)           list = NULL;
  g_autoptr (KiosLuaValue)        before = parse_file (path);
  g_autoptr (KiosLuaValue)        after = NULL;
  KiosAnnotation                 *h;
  KiosAnnotation                 *got = NULL;
  KiosLuaValue                   *annotations;
  KiosLuaValue                   *entry;
  GStatBuf                        st;

  g_assert_no_error (error);
  h = kios_highlight (text, 4, 10, 70, "From Kios");
  g_ptr_array_add (mine, h);
  g_assert_cmpint (kios_koreader_sidecar_merge (sidecar, mine, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_true (kios_koreader_sidecar_save (sidecar, &error));
  g_assert_no_error (error);

  backup = read_file (old_path);
  g_assert_cmpstr (backup, ==, original);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (old_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  after = parse_file (path);
  /* Every key of the root but the annotations is as it was. */
  for (guint i = 0; i < kios_lua_table_get_n_entries (before); i++)
    {
      const KiosLuaValue *key, *value;
      const char         *name;

      kios_lua_table_get_entry (before, i, &key, &value);
      name = kios_lua_value_get_string (key, NULL);
      if (g_strcmp0 (name, "annotations") == 0)
        continue;
      g_assert_true (kios_lua_value_equal (value, kios_lua_table_get (after, name)));
    }
  g_assert_true (kios_lua_value_get_boolean (kios_lua_table_get (after, "annotations_externally_modified")));
  /* KOReader's three entries are the same; Kios's is the fourth. */
  annotations = kios_lua_table_get (after, "annotations");
  g_assert_cmpint (kios_lua_table_get_length (annotations), ==, 4);
  for (gint64 i = 1; i <= 3; i++)
    g_assert_true (kios_lua_value_equal (kios_lua_table_get_index (kios_lua_table_get (before, "annotations"), i),
                                         kios_lua_table_get_index (annotations, i)));
  entry = kios_lua_table_get_index (annotations, 4);
  g_assert_cmpstr (kios_lua_table_get_string (entry, "pos0"), ==, h->start->xpointer);
  g_assert_cmpstr (kios_lua_table_get_string (entry, "pos1"), ==, h->end->xpointer);
  g_assert_cmpstr (kios_lua_table_get_string (entry, "page"), ==, h->start->xpointer);
  g_assert_cmpstr (kios_lua_table_get_string (entry, "text"), ==, h->text);
  g_assert_cmpstr (kios_lua_table_get_string (entry, "note"), ==, "From Kios");
  g_assert_cmpstr (kios_lua_table_get_string (entry, "color"), ==, "green");
  g_assert_cmpstr (kios_lua_table_get_string (entry, "drawer"), ==, "lighten");
  g_assert_cmpstr (kios_lua_table_get_string (entry, "datetime"), ==, "2026-12-06 12:00:00");
  g_assert_true (g_str_has_prefix (h->start->xpointer, "/body/DocFragment[5]/"));

  /* Read back as annotations: Kios's highlight on the same words. */
  again = kios_koreader_sidecar_load (path, &error);
  g_assert_no_error (error);
  list = kios_koreader_sidecar_get_annotations (again, HASH, text);
  g_assert_cmpuint (list->len, ==, 4);
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (((KiosAnnotation *) g_ptr_array_index (list, i))->note, "From Kios") == 0)
      got = g_ptr_array_index (list, i);
  g_assert_nonnull (got);
  g_assert_cmpint (got->start->chapter, ==, 4);
  g_assert_cmpint (got->start->offset, ==, 10);
  g_assert_cmpint (got->end->offset, ==, 70);
  g_assert_cmpstr (got->text, ==, h->text);

  /* Merging again updates Kios's entry instead of adding one. */
  g_free (h->note);
  h->note = g_strdup ("Changed");
  h->updated_at = h->created_at + 60;
  g_assert_cmpint (kios_koreader_sidecar_merge (again, mine, &error), ==, 1);
  g_assert_true (kios_koreader_sidecar_save (again, &error));
  g_assert_no_error (error);
  g_clear_pointer (&after, kios_lua_value_free);
  after = parse_file (path);
  annotations = kios_lua_table_get (after, "annotations");
  g_assert_cmpint (kios_lua_table_get_length (annotations), ==, 4);
  entry = kios_lua_table_get_index (annotations, 4);
  g_assert_cmpstr (kios_lua_table_get_string (entry, "note"), ==, "Changed");
  g_assert_cmpstr (kios_lua_table_get_string (entry, "datetime_updated"), ==, "2026-12-06 12:01:00");
}

/* A file that changed on disk after it was read is not overwritten. */
static void
test_changed_on_disk (void)
{
  g_autofree char                *book = make_library ("metadata.epub.lua");
  g_autofree char                *path = kios_koreader_sidecar_path_for_book (book);
  g_autofree char                *old_path = g_strconcat (path, ".old", NULL);
  g_autofree char                *now = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (path, &error);
  g_autoptr (KiosAnnotationText)  text = open_text (book);
  g_autoptr (GPtrArray)           mine = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  const char                      synced[] = "-- synced\nreturn {}\n";

  g_ptr_array_add (mine, kios_highlight (text, 4, 0, 20, NULL));
  g_assert_cmpint (kios_koreader_sidecar_merge (sidecar, mine, &error), ==, 1);
  g_assert_true (g_file_set_contents (path, synced, -1, &error));
  g_assert_false (kios_koreader_sidecar_save (sidecar, &error));
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
  now = read_file (path);
  g_assert_cmpstr (now, ==, synced);
  g_assert_false (g_file_test (old_path, G_FILE_TEST_EXISTS));
}

/* No sidecar yet: one is made, private. */
static void
test_new_sidecar (void)
{
  g_autofree char                *book = make_library (NULL);
  g_autofree char                *path = kios_koreader_sidecar_path_for_book (book);
  g_autofree char                *dir = g_path_get_dirname (path);
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (path, &error);
  g_autoptr (KiosAnnotationText)  text = open_text (book);
  g_autoptr (GPtrArray)           mine = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  g_autoptr (GPtrArray)           list = NULL;
  GStatBuf                        st;

  g_assert_null (sidecar);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  sidecar = kios_koreader_sidecar_new (path);
  g_ptr_array_add (mine, kios_highlight (text, 2, 8, 38, NULL));
  g_assert_cmpint (kios_koreader_sidecar_merge (sidecar, mine, &error), ==, 1);
  g_assert_true (kios_koreader_sidecar_save (sidecar, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_clear_pointer (&sidecar, kios_koreader_sidecar_free);
  sidecar = kios_koreader_sidecar_load (path, &error);
  g_assert_no_error (error);
  list = kios_koreader_sidecar_get_annotations (sidecar, HASH, text);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((KiosAnnotation *) g_ptr_array_index (list, 0))->text, ==, "Sir Walter Elliot, of Kellynch Hall");
}

/* Write-back removes what was deleted in Kios (its own and KOReader's it
 * had seen), never an entry Kios never saw, and keeps everything else. */
static void
test_write_back_removes (void)
{
  g_autofree char                *book = make_library ("metadata.epub.lua");
  g_autofree char                *path = kios_koreader_sidecar_path_for_book (book);
  g_autofree char                *old_path = g_strconcat (path, ".old", NULL);
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (path, &error);
  g_autoptr (KiosAnnotationText)  text = open_text (book);
  g_autoptr (GPtrArray)           store = NULL;
  g_autoptr (GHashTable)          seen = kios_koreader_sidecar_places_from_string (NULL);
  g_autoptr (GHashTable)          again = NULL;
  g_autofree char                *seen_text = NULL;
  g_autofree char                *mine_place = NULL;
  g_autofree char                *first_place = NULL;
  g_autofree char                *theirs_place = NULL;
  KiosLuaValue                   *annotations;
  KiosLuaValue                   *unseen;
  int                             removed = -1;

  g_assert_no_error (error);
  /* What the store holds after an import: KOReader's three, and Kios's. */
  store = kios_koreader_sidecar_get_annotations (sidecar, HASH, text);
  g_assert_cmpuint (store->len, ==, 3);
  for (guint i = 0; i < store->len; i++)
    g_hash_table_add (seen, kios_koreader_sidecar_place_of (g_ptr_array_index (store, i)));
  g_assert_cmpuint (g_hash_table_size (seen), ==, 3);
  g_ptr_array_add (store, kios_highlight (text, 4, 0, 20, "mine"));
  mine_place = kios_koreader_sidecar_place_of (g_ptr_array_index (store, 3));
  g_assert_cmpint (kios_koreader_sidecar_write_back (sidecar, store, seen, NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 4);
  g_assert_true (g_hash_table_contains (seen, mine_place));
  g_assert_true (kios_koreader_sidecar_save (sidecar, &error));
  g_assert_no_error (error);

  /* Kept as book meta: one a line, read back the same. */
  seen_text = kios_koreader_sidecar_places_to_string (seen);
  again = kios_koreader_sidecar_places_from_string (seen_text);
  g_assert_cmpuint (g_hash_table_size (again), ==, 4);
  g_assert_true (g_hash_table_contains (again, mine_place));

  /* KOReader adds an entry Kios has not seen; the person deletes Kios's
   * highlight and KOReader's first one in Kios. */
  g_clear_pointer (&sidecar, kios_koreader_sidecar_free);
  sidecar = kios_koreader_sidecar_load (path, &error);
  g_assert_no_error (error);
  annotations = kios_lua_table_get (kios_koreader_sidecar_get_root (sidecar), "annotations");
  unseen = kios_lua_value_copy (kios_lua_table_get_index (annotations, 1));
  kios_lua_table_set (unseen, "pos1", kios_lua_value_new_string ("/body/DocFragment[3]/body/section/p[1]/text().10"));
  kios_lua_table_set (unseen, "text", kios_lua_value_new_string ("Sir Walter"));
  kios_lua_table_set_index (annotations, kios_lua_table_get_length (annotations) + 1, unseen);
  theirs_place = g_strdup ("h:/body/DocFragment[3]/body/section/p[1]/text().0\t"
                           "/body/DocFragment[3]/body/section/p[1]/text().10");
  first_place = kios_koreader_sidecar_place_of (g_ptr_array_index (store, 0));
  g_ptr_array_remove_index (store, 3);
  g_ptr_array_remove_index (store, 0);

  g_assert_cmpint (kios_koreader_sidecar_write_back (sidecar, store, seen, &removed, &error), ==, 2);
  g_assert_cmpint (removed, ==, 2);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 2);
  g_assert_false (g_hash_table_contains (seen, mine_place));
  g_assert_false (g_hash_table_contains (seen, first_place));
  g_assert_false (g_hash_table_contains (seen, theirs_place));
  g_assert_cmpint (kios_lua_table_get_length (annotations), ==, 3);
  g_assert_null (kios_lua_table_get_index (annotations, 4));
  g_assert_true (kios_lua_value_get_boolean (
      kios_lua_table_get (kios_koreader_sidecar_get_root (sidecar), "annotations_externally_modified")));
  g_assert_true (kios_koreader_sidecar_save (sidecar, &error));
  g_assert_no_error (error);

  /* On disk: KOReader's second, its bookmark and the unseen one, in that
   * order; the other keys as they were; the previous file as .old. */
  {
    g_autoptr (KiosKoreaderSidecar) after = kios_koreader_sidecar_load (path, &error);
    g_autofree char                *old = read_file (old_path);
    KiosLuaValue                   *root;
    KiosLuaValue                   *list;

    g_assert_no_error (error);
    g_assert_nonnull (strstr (old, "\"mine\""));
    root = kios_koreader_sidecar_get_root (after);
    list = kios_lua_table_get (root, "annotations");
    g_assert_cmpint (kios_lua_table_get_length (list), ==, 3);
    g_assert_cmpstr (kios_lua_table_get_string (kios_lua_table_get_index (list, 1), "text"), ==,
                     "Mr Shepherd, a civil, cautious lawyer, who, whatever might");
    g_assert_cmpstr (kios_lua_table_get_string (kios_lua_table_get_index (list, 2), "text"), ==, "in Chapter 9");
    g_assert_cmpstr (kios_lua_table_get_string (kios_lua_table_get_index (list, 3), "text"), ==, "Sir Walter");
    g_assert_cmpstr (kios_lua_table_get_string (kios_lua_table_get (root, "doc_props"), "title"), ==, "Persuasion");
    g_assert_cmpint (kios_lua_table_get_number (root, "doc_pages", 0), ==, 312);
  }

  /* Nothing seen: nothing removed. */
  g_hash_table_remove_all (seen);
  g_ptr_array_set_size (store, 0);
  g_assert_cmpint (kios_koreader_sidecar_write_back (sidecar, store, seen, &removed, &error), ==, 0);
  g_assert_cmpint (removed, ==, 0);
  g_assert_cmpint (kios_lua_table_get_length (annotations), ==, 3);
}

static char *
deep_table (guint depth)
{
  GString *s = g_string_new ("return ");

  for (guint i = 0; i < depth; i++)
    g_string_append (s, "{");
  for (guint i = 0; i < depth; i++)
    g_string_append (s, "}");
  return g_string_free (s, FALSE);
}

/* Hostile sidecars are refused with a message and never changed, by the
 * core and by kiosctl; the book's own annotations still list. */
static void
test_hostile (void)
{
  g_autofree char    *book = make_library (NULL);
  g_autofree char    *path = kios_koreader_sidecar_path_for_book (book);
  g_autofree char    *dir = g_path_get_dirname (path);
  g_autofree char    *old_path = g_strconcat (path, ".old", NULL);
  g_autofree char    *deep = deep_table (KIOS_LIMIT_LUA_DEPTH + 1);
  g_autofree char    *huge = NULL;
  gsize               huge_len = KIOS_LIMIT_LUA_BYTES + 1;
  g_auto (KiosctlRun) run = { 0 };
  struct
  {
    const char *content;
    gssize      len;
    int         code;
  } cases[] = {
    { "return { annotations = { [1] = { pos0 = \"/body\", ", -1, KIOS_DOCUMENT_ERROR_DAMAGED },
    { "return os.execute(\"touch /tmp/kios-sidecar-pwned\")", -1, KIOS_DOCUMENT_ERROR_DAMAGED },
    { "return { annotations = { [1] = { text = io.popen(\"id\"):read(\"*a\") } } }", -1,
      KIOS_DOCUMENT_ERROR_DAMAGED },
    { "os.execute(\"touch /tmp/kios-sidecar-pwned\")\nreturn {}", -1, KIOS_DOCUMENT_ERROR_DAMAGED },
    { "return (function () os.exit(1) end)()", -1, KIOS_DOCUMENT_ERROR_DAMAGED },
    { "\x00\x01\x02 binary", 9, KIOS_DOCUMENT_ERROR_DAMAGED },
    { NULL, 0, KIOS_DOCUMENT_ERROR_TOO_COMPLEX }, /* deep */
    { NULL, 0, KIOS_DOCUMENT_ERROR_TOO_COMPLEX }, /* huge */
  };

  huge = g_malloc (huge_len);
  memcpy (huge, "return \"", 8);
  memset (huge + 8, 'a', huge_len - 9);
  huge[huge_len - 1] = '"';
  cases[6].content = deep;
  cases[6].len = -1;
  cases[7].content = huge;
  cases[7].len = (gssize) huge_len;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  kios_test_kiosctl (&run, NULL, "annotate", book, "--highlight", SIR0, SIR1, NULL);
  g_assert_cmpint (run.status, ==, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError)              error = NULL;
      g_autoptr (KiosKoreaderSidecar) sidecar = NULL;
      g_autofree char                *content = NULL;
      gsize                           len = 0;
      GStatBuf                        before, after;

      g_assert_true (g_file_set_contents (path, cases[i].content, cases[i].len, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_stat (path, &before), ==, 0);

      sidecar = kios_koreader_sidecar_load (path, &error);
      g_assert_null (sidecar);
      g_assert_error (error, KIOS_DOCUMENT_ERROR, cases[i].code);

      /* kiosctl lists the book's own and says why it skipped KOReader's. */
      kios_test_kiosctl (&run, NULL, "annotations", "--json", book, NULL);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_nonnull (strstr (run.out, "Sir Walter Elliot, of Kellynch Hall"));
      g_assert_null (strstr (run.out, "\"koreader\""));
      g_assert_nonnull (strstr (run.err, "leaving KOReader's notes"));
      /* And does not write into it. */
      kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_nonnull (strstr (run.err, "leaving KOReader's notes"));

      g_assert_true (g_file_get_contents (path, &content, &len, &error));
      g_assert_cmpuint (len, ==, cases[i].len < 0 ? strlen (cases[i].content) : (gsize) cases[i].len);
      g_assert_cmpmem (content, len, cases[i].content, len);
      g_assert_cmpint (g_stat (path, &after), ==, 0);
      g_assert_cmpint (after.st_mtime, ==, before.st_mtime);
      g_assert_false (g_file_test (old_path, G_FILE_TEST_EXISTS));
    }
  g_assert_false (g_file_test ("/tmp/kios-sidecar-pwned", G_FILE_TEST_EXISTS));
  g_free (g_steal_pointer (&huge));
}

/* kiosctl lists KOReader's entries with the book's own, and writes the
 * book's into the sidecar. */
static void
test_kiosctl (void)
{
  g_autofree char     *book = make_library ("metadata.epub.lua");
  g_autofree char     *path = kios_koreader_sidecar_path_for_book (book);
  g_auto (KiosctlRun)  run = { 0 };
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError)   error = NULL;
  JsonArray           *list;
  guint                koreader = 0, kios = 0;

  kios_test_kiosctl (&run, NULL, "annotate", book, "--highlight", "/body/DocFragment[5]/body/section/p[2]/text().0",
                     "/body/DocFragment[5]/body/section/p[2]/text().40", "--note", "mine", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "annotations", "--json", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (root), "annotations");
  g_assert_cmpuint (json_array_get_length (list), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *a = json_array_get_object_element (list, i);
      const char *origin = json_object_get_string_member (a, "origin");

      if (g_strcmp0 (origin, "koreader") == 0)
        koreader++;
      else if (g_strcmp0 (origin, "kios") == 0)
        kios++;
    }
  g_assert_cmpuint (koreader, ==, 3);
  g_assert_cmpuint (kios, ==, 1);
  /* Reading order: Kios's (chapter 3) between KOReader's chapter 2 and 9. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 2), "origin"), ==, "kios");

  kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Wrote 1 annotation to"));
  {
    g_autofree char *data = read_file (path);

    g_assert_nonnull (strstr (data, "[\"note\"] = \"mine\","));
  }
  /* Listed once, not twice, now that it is in both places. */
  kios_test_kiosctl (&run, NULL, "annotations", "--json", book, NULL);
  g_clear_pointer (&root, json_node_unref);
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (root), "annotations");
  g_assert_cmpuint (json_array_get_length (list), ==, 4);

  /* Deleted in Kios: the next export removes it from the sidecar, and it
   * is not listed again as KOReader's. */
  {
    g_autofree char *id = g_strdup_printf (
        "%" G_GINT64_FORMAT,
        json_object_get_int_member (json_array_get_object_element (list, 2), "id"));
    g_autofree char *data = NULL;

    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 2), "origin"), ==, "kios");
    kios_test_kiosctl (&run, NULL, "annotate", book, "--delete", id, NULL);
    g_assert_cmpint (run.status, ==, 0);
    kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Wrote 0 annotations to"));
    g_assert_nonnull (strstr (run.out, "Removed 1 annotation deleted in Kios from"));
    data = read_file (path);
    g_assert_null (strstr (data, "\"mine\""));
    g_assert_nonnull (strstr (data, "Sir Walter Elliot, of Kellynch Hall"));
    g_assert_nonnull (strstr (data, "in Chapter 9"));
  }
  kios_test_kiosctl (&run, NULL, "annotations", "--json", book, NULL);
  g_clear_pointer (&root, json_node_unref);
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (root), "annotations");
  g_assert_cmpuint (json_array_get_length (list), ==, 3);
}

/* Removes by hand, as KOReader does, the last entry of the sidecar at
 * path, the one holding needle (the last: nothing to renumber). */
static void
remove_last_entry (const char *path,
                   const char *needle)
{
  g_autofree char    *lua = read_file (path);
  g_autoptr (GString) edited = g_string_new (lua);
  g_autoptr (GError)  error = NULL;
  char               *hit = strstr (edited->str, needle);
  char               *start;
  char               *end;

  g_assert_nonnull (hit);
  start = g_strrstr_len (edited->str, hit - edited->str, "\n        [");
  end = strstr (hit, "\n        },\n");
  g_assert_nonnull (start);
  g_assert_nonnull (end);
  g_assert_true (g_str_has_prefix (end + strlen ("\n        },"), "\n    },"));
  g_string_erase (edited, start - edited->str, end + strlen ("\n        },") - start);
  g_assert_null (strstr (edited->str, needle));
  g_assert_true (g_file_set_contents (path, edited->str, -1, &error));
  g_assert_no_error (error);
}

static JsonArray *
kiosctl_list (KiosctlRun *run,
              const char *book,
              JsonNode  **root)
{
  g_autoptr (GError) error = NULL;

  kios_test_kiosctl (run, NULL, "annotations", "--json", book, NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_clear_pointer (root, json_node_unref);
  *root = json_from_string (run->out, &error);
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object (*root), "annotations");
}

static gboolean
has_note (JsonArray  *list,
          const char *note)
{
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *a = json_array_get_object_element (list, i);

      if (json_object_has_member (a, "note") && !json_object_get_null_member (a, "note") &&
          g_strcmp0 (json_object_get_string_member (a, "note"), note) == 0)
        return TRUE;
    }
  return FALSE;
}

/* kiosctl: a Kios highlight KOReader deleted from the sidecar is deleted
 * from the library by export --koreader and by annotations, not written
 * back; one never written there is written. */
static void
test_kiosctl_deleted_in_koreader (void)
{
  g_autofree char     *book = make_library ("metadata.epub.lua");
  g_autofree char     *path = kios_koreader_sidecar_path_for_book (book);
  g_auto (KiosctlRun)  run = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonArray           *list;

#define ANNOTATE(p, from, to, note)                                                                                                                                                                   \
  kios_test_kiosctl (&run, NULL, "annotate", book, "--highlight", "/body/DocFragment[5]/body/section/p[" p "]/text()." from, "/body/DocFragment[5]/body/section/p[" p "]/text()." to, "--note", note, \
                     NULL);                                                                                                                                                                           \
  g_assert_cmpint (run.status, ==, 0)

  ANNOTATE ("2", "0", "40", "mine");
  kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Wrote 1 annotation to"));

  /* export --koreader: deleted there, and one new in Kios. */
  remove_last_entry (path, "\"mine\"");
  ANNOTATE ("3", "0", "20", "later");
  kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Wrote 1 annotation to"));
  g_assert_nonnull (strstr (run.out, "Deleted 1 annotation deleted in KOReader from the library"));
  {
    g_autofree char *data = read_file (path);

    g_assert_null (strstr (data, "\"mine\""));
    g_assert_nonnull (strstr (data, "\"later\""));
  }
  list = kiosctl_list (&run, book, &root);
  g_assert_cmpuint (json_array_get_length (list), ==, 4);
  g_assert_false (has_note (list, "mine"));
  g_assert_true (has_note (list, "later"));

  /* annotations: deleted there, gone from the library, and the next
   * export does not bring it back. */
  ANNOTATE ("4", "0", "20", "third");
  kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  remove_last_entry (path, "\"third\"");
  list = kiosctl_list (&run, book, &root);
  g_assert_cmpuint (json_array_get_length (list), ==, 4);
  g_assert_false (has_note (list, "third"));
  g_assert_true (has_note (list, "later"));
  kios_test_kiosctl (&run, NULL, "export", "--koreader", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, "Deleted"));
  {
    g_autofree char *data = read_file (path);

    g_assert_null (strstr (data, "\"third\""));
    g_assert_nonnull (strstr (data, "\"later\""));
  }
  list = kiosctl_list (&run, book, &root);
  g_assert_cmpuint (json_array_get_length (list), ==, 4);
#undef ANNOTATE
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/koreader-sidecar/path-for-book", test_path_for_book);
  g_test_add_func ("/kios/koreader-sidecar/read-annotations", test_read_annotations);
  g_test_add_func ("/kios/koreader-sidecar/read-old-format", test_read_old_format);
  g_test_add_func ("/kios/koreader-sidecar/round-trip", test_round_trip);
  g_test_add_func ("/kios/koreader-sidecar/changed-on-disk", test_changed_on_disk);
  g_test_add_func ("/kios/koreader-sidecar/write-back-removes", test_write_back_removes);
  g_test_add_func ("/kios/koreader-sidecar/new-sidecar", test_new_sidecar);
  g_test_add_func ("/kios/koreader-sidecar/hostile", test_hostile);
  g_test_add_func ("/kios/koreader-sidecar/kiosctl", test_kiosctl);
  g_test_add_func ("/kios/koreader-sidecar/kiosctl-deleted-in-koreader", test_kiosctl_deleted_in_koreader);

  return g_test_run ();
}
