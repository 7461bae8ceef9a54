/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-limits-pdf"

#include "config.h"

#include "kios-document.h"
#include "kios-epub.h"
#include "kios-limits.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The limits on what Kios reads of a PDF's own description
 * (kios-limits.h), each crossed with a real PDF opened by MuPDF.
 */

static char *tmp_dir;

/* A one-page PDF whose outline nests `depth` levels and whose title is
 * `title` (a PDF string's bytes, PDFDocEncoding). No cross-reference
 * table: MuPDF rebuilds it, as it does for any damaged file. */
static char *
write_pdf (guint       depth,
           const char *title)
{
  g_autofree char    *path = g_build_filename (tmp_dir, "limits.pdf", NULL);
  g_autoptr (GString) pdf = g_string_new ("%PDF-1.4\n");
  g_autoptr (GError)  error = NULL;

  g_string_append (pdf, "1 0 obj << /Type /Catalog /Pages 2 0 R /Outlines 4 0 R >> endobj\n"
                        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
                        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
                        "4 0 obj << /Type /Outlines /First 10 0 R /Last 10 0 R >> endobj\n");
  for (guint i = 0; i < depth; i++)
    {
      g_string_append_printf (pdf, "%u 0 obj << /Title (Level %u) /Parent %u 0 R /Dest [3 0 R /Fit]", 10 + i, i,
                              i == 0 ? 4 : 10 + i - 1);
      if (i + 1 < depth)
        g_string_append_printf (pdf, " /First %u 0 R /Last %u 0 R /Count 1", 11 + i, 11 + i);
      g_string_append (pdf, " >> endobj\n");
    }
  g_string_append_printf (pdf, "5 0 obj << /Title (%s) >> endobj\n"
                               "trailer << /Root 1 0 R /Info 5 0 R >>\n%%%%EOF\n",
                          title);
  g_file_set_contents (path, pdf->str, (gssize) pdf->len, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static KiosDocument *
open_pdf (guint       depth,
          const char *title)
{
  g_autofree char   *path = write_pdf (depth, title);
  g_autoptr (GError) error = NULL;
  KiosDocument      *doc = kios_document_open_sync (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (kios_document_get_format (doc), ==, KIOS_BOOK_FORMAT_PDF);
  return doc;
}

/* KIOS_LIMIT_PDF_OUTLINE_DEPTH: levels 0 to the limit are read, deeper
 * ones left out. */
static void
test_outline_depth (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint                    depth = KIOS_LIMIT_PDF_OUTLINE_DEPTH + 1 + past;
      g_autoptr (KiosDocument) doc = open_pdf (depth, "T");
      GPtrArray               *toc = kios_document_get_toc (doc);
      KiosTocEntry            *last;

      g_assert_cmpuint (toc->len, ==, KIOS_LIMIT_PDF_OUTLINE_DEPTH + 1);
      last = toc->pdata[toc->len - 1];
      g_assert_cmpint (last->level, ==, KIOS_LIMIT_PDF_OUTLINE_DEPTH);
      g_assert_cmpint (last->chapter, ==, 0);
    }
}

/* KIOS_LIMIT_PDF_METADATA_BYTES: a title that fits is read whole; a longer
 * one is cut before the character the limit falls in, not dropped. */
static void
test_metadata_bytes (void)
{
  g_autofree char         *fits = g_strnfill (KIOS_LIMIT_PDF_METADATA_BYTES - 1, 't');
  g_autofree char         *long_title = g_strnfill (KIOS_LIMIT_PDF_METADATA_BYTES, '\xe9');
  g_autoptr (GString)      kept = g_string_new (NULL);
  g_autoptr (KiosDocument) at = open_pdf (1, fits);
  g_autoptr (KiosDocument) past = open_pdf (1, long_title);

  /* PDFDocEncoding 0xE9 is é, two bytes of UTF-8: the limit (with the
   * NUL) falls inside one. */
  for (guint i = 0; i < (KIOS_LIMIT_PDF_METADATA_BYTES - 1) / 2; i++)
    g_string_append (kept, "é");
  g_assert_cmpstr (kios_document_get_title (at), ==, fits);
  g_assert_cmpstr (kios_document_get_title (past), ==, kept->str);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  tmp_dir = g_dir_make_tmp ("kios-limits-pdf-XXXXXX", NULL);

  kios_test_add_func ("/kios/limits-pdf/outline-depth", test_outline_depth);
  kios_test_add_func ("/kios/limits-pdf/metadata-bytes", test_metadata_bytes);

  status = g_test_run ();

  {
    g_autofree char *path = g_build_filename (tmp_dir, "limits.pdf", NULL);

    g_unlink (path);
    g_rmdir (tmp_dir);
  }
  return status;
}
