/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-limits-library"

#include "config.h"

#include "kios-book-importer.h"
#include "kios-library-private.h"
#include "kios-library.h"
#include "kios-limits.h"
#include "kios-sync-error.h"
#include "kios-test-epub.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>

/*
 * The limits of the library scan and of the book importer (kios-limits.h),
 * each crossed with a book made here: at the limit the book is read, one
 * byte (or one level) past it, it is not.
 */

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static const char *const container_head =
    "<?xml version=\"1.0\"?><container version=\"1.0\" "
    "xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles>"
    "<rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>"
    "</rootfiles></container>";

static const char *const opf_head =
    "<?xml version=\"1.0\"?><package xmlns=\"http://www.idpf.org/2007/opf\" version=\"2.0\" "
    "unique-identifier=\"id\"><metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
    "<dc:title>Within Bounds</dc:title><dc:creator>Kios Tests</dc:creator>"
    "<dc:identifier id=\"id\">urn:uuid:0b3f8e8a-6c6f-4b1e-9b7a-4b696f730002</dc:identifier>"
    "</metadata><manifest><item id=\"c0\" href=\"c0.xhtml\" media-type=\"application/xhtml+xml\"/>"
    "</manifest><spine><itemref idref=\"c0\"/></spine></package>";

/* head followed by an XML comment, the whole exactly size bytes. */
static char *
padded (const char *head,
        gsize       size)
{
  gsize    len = strlen (head);
  GString *text = g_string_sized_new (size);

  g_assert_cmpuint (size, >=, len + 7);
  g_string_append (text, head);
  g_string_append (text, "<!--");
  while (text->len < size - 3)
    g_string_append_c (text, 'x');
  g_string_append (text, "-->");
  g_assert_cmpuint (text->len, ==, size);
  return g_string_free (text, FALSE);
}

/* An EPUB with this container.xml and package document, deflated. */
static void
write_epub (const char *path,
            const char *container,
            const char *opf,
            const char *chapter)
{
  struct archive *a = archive_write_new ();

  archive_write_set_format_zip (a);
  archive_write_set_format_option (a, "zip", "compression", "deflate");
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  kios_test_epub_add (a, "mimetype", "application/epub+zip", 20);
  kios_test_epub_add (a, "META-INF/container.xml", container, strlen (container));
  kios_test_epub_add (a, "OEBPS/content.opf", opf, strlen (opf));
  kios_test_epub_add (a, "OEBPS/c0.xhtml", chapter, strlen (chapter));
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}

static gboolean
read_title (const char *path,
            char      **title)
{
  g_autofree char   *format = NULL;
  g_autofree char   *authors = NULL;
  g_autofree char   *series = NULL;
  g_autoptr (GError) error = NULL;
  gboolean           ok;

  ok = kios_library_read_metadata (path, &format, title, &authors, &series, &error);
  g_assert_true (ok == (error == NULL));
  return ok;
}

static void
test_library_container_bytes (void)
{
  g_autofree char *chapter = kios_test_xhtml ("<p>One.</p>");
  g_autofree char *at = padded (container_head, KIOS_LIMIT_LIBRARY_CONTAINER_BYTES);
  g_autofree char *past = padded (container_head, KIOS_LIMIT_LIBRARY_CONTAINER_BYTES + 1);
  g_autofree char *at_path = tmp_path ("container-at.epub");
  g_autofree char *past_path = tmp_path ("container-past.epub");
  g_autofree char *title = NULL;
  g_autofree char *none = NULL;

  write_epub (at_path, at, opf_head, chapter);
  write_epub (past_path, past, opf_head, chapter);

  g_assert_true (read_title (at_path, &title));
  g_assert_cmpstr (title, ==, "Within Bounds");
  /* Past it, the container is not read, so no package document is found. */
  g_assert_false (read_title (past_path, &none));
}

static void
test_library_opf_bytes (void)
{
  g_autofree char *chapter = kios_test_xhtml ("<p>One.</p>");
  g_autofree char *at = padded (opf_head, KIOS_LIMIT_LIBRARY_OPF_BYTES);
  g_autofree char *past = padded (opf_head, KIOS_LIMIT_LIBRARY_OPF_BYTES + 1);
  g_autofree char *at_path = tmp_path ("opf-at.epub");
  g_autofree char *past_path = tmp_path ("opf-past.epub");
  g_autofree char *title = NULL;
  g_autofree char *none = NULL;

  write_epub (at_path, container_head, at, chapter);
  write_epub (past_path, container_head, past, chapter);

  g_assert_true (read_title (at_path, &title));
  g_assert_cmpstr (title, ==, "Within Bounds");
  g_assert_false (read_title (past_path, &none));
}

/* Package documents listed before the container share the budget: two of
 * them at half the limit each leave nothing for the book's own. */
static void
test_library_opf_bytes_together (void)
{
  g_autofree char *chapter = kios_test_xhtml ("<p>One.</p>");
  g_autofree char *half = padded (opf_head, KIOS_LIMIT_LIBRARY_OPF_BYTES / 2);
  g_autofree char *path = tmp_path ("opf-many.epub");
  g_autofree char *none = NULL;
  struct archive  *a = archive_write_new ();

  archive_write_set_format_zip (a);
  archive_write_set_format_option (a, "zip", "compression", "deflate");
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  kios_test_epub_add (a, "mimetype", "application/epub+zip", 20);
  kios_test_epub_add (a, "decoy-1.opf", half, strlen (half));
  kios_test_epub_add (a, "decoy-2.opf", half, strlen (half));
  kios_test_epub_add (a, "OEBPS/content.opf", opf_head, strlen (opf_head));
  kios_test_epub_add (a, "META-INF/container.xml", container_head, strlen (container_head));
  kios_test_epub_add (a, "OEBPS/c0.xhtml", chapter, strlen (chapter));
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);

  g_assert_false (read_title (path, &none));
}

static KiosLibraryStore *
open_store (void)
{
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "kios", NULL);
  g_autofree char   *path = g_build_filename (dir, "library.db", NULL);
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  store = kios_library_store_new (path, &error);
  g_assert_no_error (error);
  return store;
}

/* A book levels folders below root, its text its own (so its own hash). */
static void
nested_book (const char *root,
             guint       levels,
             const char *text)
{
  g_autoptr (GString) dir = g_string_new (root);
  g_autofree char    *chapter = g_strdup_printf ("<p>%s</p>", text);
  g_autofree char    *xhtml = kios_test_xhtml (chapter);
  g_autofree char    *path = NULL;

  for (guint i = 0; i < levels; i++)
    g_string_append (dir, "/d");
  g_assert_cmpint (g_mkdir_with_parents (dir->str, 0700), ==, 0);
  path = g_build_filename (dir->str, "book.epub", NULL);
  write_epub (path, container_head, opf_head, xhtml);
}

static void
test_library_folder_depth (void)
{
  g_autoptr (KiosLibraryStore) store = open_store ();
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  g_autoptr (GError)           error = NULL;
  g_autofree char             *root = tmp_path ("deep");
  g_autofree char             *other = tmp_path ("deeper");
  guint                        added = 0;

  /* At the limit: a book that many folders down is found. */
  nested_book (root, KIOS_LIMIT_LIBRARY_FOLDER_DEPTH, "At the limit.");
  g_assert_true (kios_library_add_folder (library, root, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_rescan (library, &added, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 1);

  /* One level more, and the walk stops above it. */
  nested_book (other, KIOS_LIMIT_LIBRARY_FOLDER_DEPTH + 1, "Past the limit.");
  g_assert_true (kios_library_add_folder (library, other, &error));
  g_assert_true (kios_library_rescan (library, &added, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 0);

  g_assert_true (kios_library_store_flush (store, 10000));
}

/* The default size limit of a download: the write that would cross it is
 * refused before a byte of it is read or written. The buffer is reserved,
 * never touched, so the test costs no memory. */
static void
test_import_book_bytes (void)
{
  g_autoptr (KiosLibraryStore) store = open_store ();
  g_autoptr (KiosBookImport)   import = NULL;
  g_autoptr (GError)           error = NULL;
  gsize                        size = (gsize) KIOS_LIMIT_IMPORT_BOOK_BYTES + 1;
  GOutputStream               *sink;
  void                        *buffer;

  g_assert_cmpuint (KIOS_BOOK_IMPORT_MAX_SIZE, ==, KIOS_LIMIT_IMPORT_BOOK_BYTES);
  import = kios_book_import_new (store, "big.epub", 0, &error);
  g_assert_no_error (error);
  sink = kios_book_import_get_sink (import);

  /* A zip's first bytes, then one byte past the limit in all. */
  g_assert_true (g_output_stream_write_all (sink, "PK\003\004", 4, NULL, NULL, &error));
  g_assert_no_error (error);
  buffer = mmap (NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  g_assert_true (buffer != MAP_FAILED);
  g_assert_cmpint (g_output_stream_write (sink, buffer, size - 4, NULL, &error), ==, -1);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpuint (kios_book_import_get_received (import), ==, 4);

  /* The refusal leaves the download as it was: writes within the limit
   * go on. */
  g_assert_cmpint (g_output_stream_write (sink, buffer, 4096, NULL, &error), ==, 4096);
  g_assert_no_error (error);
  munmap (buffer, size);
}

/* An EPUB whose first chapter inflates to size bytes. */
static void
write_chapter_epub (const char *path,
                    gsize       size)
{
  static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">"
                             "<head><title>t</title></head><body><p>";
  static const char tail[] = "</p></body></html>";
  g_autofree char  *chapter = g_malloc (size + 1);

  g_assert_cmpuint (size, >, sizeof head + sizeof tail);
  memcpy (chapter, head, sizeof head - 1);
  memset (chapter + sizeof head - 1, 'a', size - (sizeof head - 1) - (sizeof tail - 1));
  memcpy (chapter + size - (sizeof tail - 1), tail, sizeof tail - 1);
  chapter[size] = '\0';
  write_epub (path, container_head, opf_head, chapter);
}

static void
test_import_first_chapter_bytes (void)
{
  g_autofree char   *at = tmp_path ("chapter-at.epub");
  g_autofree char   *past = tmp_path ("chapter-past.epub");
  g_autoptr (GError) error = NULL;
  const char        *format = NULL;

  write_chapter_epub (at, KIOS_LIMIT_IMPORT_FIRST_CHAPTER_BYTES);
  g_assert_true (kios_book_import_validate (at, &format, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (format, ==, "epub");

  write_chapter_epub (past, KIOS_LIMIT_IMPORT_FIRST_CHAPTER_BYTES + 1);
  g_assert_false (kios_book_import_validate (past, &format, &error));
  g_assert_error (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DAMAGED);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char      *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  tmp_dir = g_dir_make_tmp ("kios-limits-library-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/limits-library/container-bytes", test_library_container_bytes);
  g_test_add_func ("/limits-library/opf-bytes", test_library_opf_bytes);
  g_test_add_func ("/limits-library/opf-bytes-together", test_library_opf_bytes_together);
  g_test_add_func ("/limits-library/folder-depth", test_library_folder_depth);
  g_test_add_func ("/limits-library/import-book-bytes", test_import_book_bytes);
  g_test_add_func ("/limits-library/import-first-chapter-bytes", test_import_first_chapter_bytes);

  ret = g_test_run ();
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
