/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-book-format"

#include "config.h"

#include "kios-book-format.h"

#include "kios-error.h"

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* A per-test directory: G_TEST_OPTION_ISOLATE_DIRS gives each test case its
 * own cache dir and removes it afterwards, so nothing leaks into /tmp. */
static const char *
scratch_dir (void)
{
  const char *dir = g_get_user_cache_dir ();

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}

static const char *
books_dir (void)
{
  const char *dir = g_getenv ("KIOS_SAMPLE_BOOKS");

  return dir != NULL ? dir : TEST_SRCDIR "/books";
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (scratch_dir (), name, NULL);
}

static void
write_file (const char *path,
            const void *data,
            gsize       len)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

static void
copy_book (const char *book,
           const char *dest)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *src = g_build_filename (books_dir (), book, NULL);
  g_autofree char   *contents = NULL;
  gsize              len;

  g_file_get_contents (src, &contents, &len, &error);
  g_assert_no_error (error);
  write_file (dest, contents, len);
}

/* Members are name/content pairs, NULL-terminated; `deflate` compresses all
 * of them (so no OCF signature at the start). */
static void
write_zip (const char        *path,
           gboolean           deflate,
           const char *const *members)
{
  struct archive *w = archive_write_new ();

  archive_write_set_format_zip (w);
  archive_write_set_format_option (w, "zip", "compression", deflate ? "deflate" : "store");
  g_assert_cmpint (archive_write_open_filename (w, path), ==, ARCHIVE_OK);
  for (int i = 0; members[i] != NULL; i += 2)
    {
      struct archive_entry *e = archive_entry_new ();
      gsize                 len = strlen (members[i + 1]);

      archive_entry_set_pathname (e, members[i]);
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0644);
      archive_entry_set_size (e, (la_int64_t) len);
      g_assert_cmpint (archive_write_header (w, e), ==, ARCHIVE_OK);
      g_assert_cmpint (archive_write_data (w, members[i + 1], len), ==, (la_ssize_t) len);
      archive_entry_free (e);
    }
  g_assert_cmpint (archive_write_close (w), ==, ARCHIVE_OK);
  archive_write_free (w);
}

typedef enum {
  MAKE_COPY,      /* arg: a sample book */
  MAKE_TRUNCATED, /* arg: a sample book, first 1000 bytes */
  MAKE_BYTES,     /* arg: literal content */
  MAKE_RANDOM,
  MAKE_EMPTY,
  MAKE_ZIP_PLAIN,
  MAKE_ZIP_CONTAINER_ONLY,
  MAKE_ZIP_DEFLATED_MIMETYPE,
  MAKE_ZIP_WRONG_MIMETYPE,
  MAKE_ZIP_PDF_MEMBER,
  MAKE_PDF_LATE_HEADER,
  MAKE_PDF_JUNK_PREFIX,
  MAKE_NOTHING,
  MAKE_DIRECTORY,
} Make;

typedef struct
{
  const char    *name; /* file name in the temp dir: the extension lies on purpose */
  Make           make;
  const char    *arg;
  KiosBookFormat expected;
  GQuark (*error_domain) (void);
  int error_code;
} Case;

static GQuark
io_error (void)
{
  return G_IO_ERROR;
}

static const Case cases[] = {
  { "emma.epub", MAKE_COPY, "emma.epub", KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  { "epub-renamed.pdf", MAKE_COPY, "kjv-bible.epub", KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  { "pdf-renamed.epub", MAKE_COPY, "persuasion.pdf", KIOS_BOOK_FORMAT_PDF, NULL, 0 },
  { "epub-no-extension", MAKE_COPY, "persuasion.epub", KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  { "pdf-no-extension", MAKE_COPY, "northanger-abbey.pdf", KIOS_BOOK_FORMAT_PDF, NULL, 0 },
  /* The OCF signature survives truncation; opening it reports it damaged. */
  { "truncated.epub", MAKE_TRUNCATED, "emma.epub", KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  { "random.epub", MAKE_RANDOM, NULL, KIOS_BOOK_FORMAT_UNKNOWN,
    kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK },
  { "empty.pdf", MAKE_EMPTY, NULL, KIOS_BOOK_FORMAT_UNKNOWN,
    kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK },
  { "text.epub", MAKE_BYTES, "Just some text, not a book.\n", KIOS_BOOK_FORMAT_UNKNOWN,
    kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK },
  { "plain.zip.epub", MAKE_ZIP_PLAIN, NULL, KIOS_BOOK_FORMAT_UNKNOWN,
    kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK },
  { "wrong-mimetype.epub", MAKE_ZIP_WRONG_MIMETYPE, NULL, KIOS_BOOK_FORMAT_UNKNOWN,
    kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK },
  { "container-only.zip", MAKE_ZIP_CONTAINER_ONLY, NULL, KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  /* A stored PDF inside an EPUB puts "%PDF-" in the first KiB. */
  { "pdf-inside.epub", MAKE_ZIP_PDF_MEMBER, NULL, KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  { "deflated-mimetype", MAKE_ZIP_DEFLATED_MIMETYPE, NULL, KIOS_BOOK_FORMAT_EPUB, NULL, 0 },
  { "junk-prefix.bin", MAKE_PDF_JUNK_PREFIX, NULL, KIOS_BOOK_FORMAT_PDF, NULL, 0 },
  { "late-header.pdf", MAKE_PDF_LATE_HEADER, NULL, KIOS_BOOK_FORMAT_UNKNOWN,
    kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK },
  { "missing.epub", MAKE_NOTHING, NULL, KIOS_BOOK_FORMAT_UNKNOWN, io_error, G_IO_ERROR_NOT_FOUND },
  { "a-directory.epub", MAKE_DIRECTORY, NULL, KIOS_BOOK_FORMAT_UNKNOWN, io_error, G_IO_ERROR_IS_DIRECTORY },
};

static void
make_case (const Case *c,
           const char *path)
{
  switch (c->make)
    {
    case MAKE_COPY:
      copy_book (c->arg, path);
      break;
    case MAKE_TRUNCATED:
      {
        g_autoptr (GError) error = NULL;
        g_autofree char   *src = g_build_filename (books_dir (), c->arg, NULL);
        g_autofree char   *contents = NULL;
        gsize              len;

        g_file_get_contents (src, &contents, &len, &error);
        g_assert_no_error (error);
        write_file (path, contents, MIN (len, 1000));
      }
      break;
    case MAKE_BYTES:
      write_file (path, c->arg, strlen (c->arg));
      break;
    case MAKE_RANDOM:
      {
        g_autoptr (GRand) rand = g_rand_new_with_seed (20261127);
        guint8            data[8192];

        for (gsize i = 0; i < sizeof data; i++)
          data[i] = (guint8) g_rand_int_range (rand, 0, 256);
        /* Make sure chance did not write a header. */
        data[0] = 0;
        write_file (path, data, sizeof data);
      }
      break;
    case MAKE_EMPTY:
      write_file (path, "", 0);
      break;
    case MAKE_ZIP_PLAIN:
      {
        const char *const m[] = { "hello.txt", "hello", "docs/readme.md", "# readme", NULL };
        write_zip (path, TRUE, m);
      }
      break;
    case MAKE_ZIP_WRONG_MIMETYPE:
      {
        const char *const m[] = { "mimetype", "application/vnd.oasis.opendocument.text",
                                  "content.xml", "<x/>", NULL };
        write_zip (path, FALSE, m);
      }
      break;
    case MAKE_ZIP_CONTAINER_ONLY:
      {
        const char *const m[] = { "META-INF/container.xml", "<container/>", NULL };
        write_zip (path, TRUE, m);
      }
      break;
    case MAKE_ZIP_PDF_MEMBER:
      {
        const char *const m[] = { "attachment.pdf", "%PDF-1.4\n%%EOF\n",
                                  "META-INF/container.xml", "<container/>", NULL };
        write_zip (path, FALSE, m);
      }
      break;
    case MAKE_ZIP_DEFLATED_MIMETYPE:
      {
        const char *const m[] = { "mimetype", "application/epub+zip\n", "x.xhtml", "<x/>", NULL };
        write_zip (path, TRUE, m);
      }
      break;
    case MAKE_PDF_JUNK_PREFIX:
    case MAKE_PDF_LATE_HEADER:
      {
        gsize at = c->make == MAKE_PDF_JUNK_PREFIX ? 1000 : 1100;
        gsize len = at + 64;
        char *data = g_malloc (len);

        memset (data, 'x', at);
        memcpy (data + at, "%PDF-1.7\n", 9);
        memset (data + at + 9, '\n', len - at - 9);
        write_file (path, data, len);
        g_free (data);
      }
      break;
    case MAKE_NOTHING:
      break;
    case MAKE_DIRECTORY:
      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Local, so this test does not depend on kios-position.c. */
static const char *
format_name (KiosBookFormat format)
{
  switch (format)
    {
    case KIOS_BOOK_FORMAT_EPUB:
      return "epub";
    case KIOS_BOOK_FORMAT_PDF:
      return "pdf";
    case KIOS_BOOK_FORMAT_UNKNOWN:
    default:
      return "unknown";
    }
}

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case        *c = &cases[i];
      g_autoptr (GError) error = NULL;
      g_autofree char   *path = tmp_path (c->name);
      KiosBookFormat     format;

      make_case (c, path);
      format = kios_book_format_detect (path, &error);
      g_test_message ("%s → %s%s%s", c->name, format_name (format),
                      error != NULL ? ": " : "", error != NULL ? error->message : "");
      g_assert_cmpint (format, ==, c->expected);
      if (c->error_domain != NULL)
        g_assert_error (error, c->error_domain (), c->error_code);
      else
        g_assert_no_error (error);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/book-format/detect", test_table);

  return g_test_run ();
}
