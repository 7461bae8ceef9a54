/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/*
 * Writes a small EPUB 2 for tests: `chapters` holds the XHTML of each spine
 * item (NULL = listed in the manifest but missing from the zip). Extra
 * members come as name/content pairs in `extra` (NULL-terminated).
 */
static inline void
kios_test_epub_add (struct archive *a,
                    const char     *name,
                    const char     *data,
                    gsize           len)
{
  struct archive_entry *entry = archive_entry_new ();

  archive_entry_set_pathname (entry, name);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t) len);
  if (archive_write_header (a, entry) != ARCHIVE_OK)
    g_error ("Cannot add %s to the test EPUB: %s", name, archive_error_string (a));
  g_assert_cmpint (archive_write_data (a, data, len), ==, (la_ssize_t) len);
  archive_entry_free (entry);
}

static inline void
kios_test_epub_write (const char  *path,
                      const char **chapters,
                      guint        n_chapters,
                      const char **extra)
{
  struct archive *a = archive_write_new ();
  GString        *opf = g_string_new (NULL);
  GString        *ncx = g_string_new (NULL);
  const char     *container =
      "<?xml version=\"1.0\"?><container version=\"1.0\" "
      "xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles>"
      "<rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>"
      "</rootfiles></container>";

  g_string_append (opf, "<?xml version=\"1.0\"?><package xmlns=\"http://www.idpf.org/2007/opf\" "
                        "version=\"2.0\" unique-identifier=\"id\"><metadata "
                        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Test Book</dc:title>"
                        "<dc:creator>Kios Tests</dc:creator><dc:identifier id=\"id\">urn:uuid:"
                        "0b3f8e8a-6c6f-4b1e-9b7a-4b696f730001</dc:identifier></metadata><manifest>"
                        "<item id=\"ncx\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\"/>");
  for (guint i = 0; i < n_chapters; i++)
    g_string_append_printf (opf, "<item id=\"c%u\" href=\"c%u.xhtml\" "
                                 "media-type=\"application/xhtml+xml\"/>",
                            i, i);
  g_string_append (opf, "</manifest><spine toc=\"ncx\">");
  for (guint i = 0; i < n_chapters; i++)
    g_string_append_printf (opf, "<itemref idref=\"c%u\"/>", i);
  g_string_append (opf, "</spine></package>");

  g_string_append (ncx, "<?xml version=\"1.0\"?><ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" "
                        "version=\"2005-1\"><head/><docTitle><text>Test Book</text></docTitle><navMap>");
  for (guint i = 0; i < n_chapters; i++)
    g_string_append_printf (ncx, "<navPoint id=\"n%u\" playOrder=\"%u\"><navLabel><text>Part %u"
                                 "</text></navLabel><content src=\"c%u.xhtml\"/></navPoint>",
                            i, i + 1, i + 1, i);
  g_string_append (ncx, "</navMap></ncx>");

  archive_write_set_format_zip (a);
  /* Options can only be set before opening: store everything, as `mimetype` must be. */
  archive_write_set_format_option (a, "zip", "compression", "store");
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  kios_test_epub_add (a, "mimetype", "application/epub+zip", 20);
  kios_test_epub_add (a, "META-INF/container.xml", container, strlen (container));
  kios_test_epub_add (a, "OEBPS/content.opf", opf->str, opf->len);
  kios_test_epub_add (a, "OEBPS/toc.ncx", ncx->str, ncx->len);
  for (guint i = 0; i < n_chapters; i++)
    if (chapters[i] != NULL)
      {
        g_autofree char *name = g_strdup_printf ("OEBPS/c%u.xhtml", i);

        kios_test_epub_add (a, name, chapters[i], strlen (chapters[i]));
      }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i += 2)
    kios_test_epub_add (a, extra[i], extra[i + 1], strlen (extra[i + 1]));

  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
  g_string_free (opf, TRUE);
  g_string_free (ncx, TRUE);
}

static inline char *
kios_test_xhtml (const char *body)
{
  return g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title></head>"
                          "<body>%s</body></html>",
                          body);
}

G_END_DECLS
