/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: the EPUB package documents themselves. The input is up to six
 * NUL-separated parts, zipped under fixed names before kios_epub_open reads
 * them: META-INF/container.xml, OEBPS/content.opf, OEBPS/toc.ncx,
 * OEBPS/nav.xhtml, OEBPS/c0.xhtml and META-INF/encryption.xml (left out when
 * empty). Mutations then reach the XML parsers instead of breaking the zip,
 * which fuzz-epub covers.
 */

#include "kios-archive-limits.h"
#include "kios-epub.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

static const char *const names[] = {
  "META-INF/container.xml",
  "OEBPS/content.opf",
  "OEBPS/toc.ncx",
  "OEBPS/nav.xhtml",
  "OEBPS/c0.xhtml",
  "META-INF/encryption.xml",
};

static void
add (struct archive *a,
     const char     *name,
     const void     *bytes,
     gsize           len)
{
  struct archive_entry *entry = archive_entry_new ();

  archive_entry_set_pathname (entry, name);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t) len);
  if (archive_write_header (a, entry) == ARCHIVE_OK && len > 0)
    archive_write_data (a, bytes, len);
  archive_entry_free (entry);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static char                *path;
  struct archive             *a = archive_write_new ();
  g_autoptr (KiosEpub)        epub = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  gsize                       start = 0;

  if (path == NULL)
    path = g_strdup_printf ("%s/kios-fuzz-package-%d.epub", g_get_tmp_dir (), (int) getpid ());

  archive_write_set_format_zip (a);
  archive_write_set_format_option (a, "zip", "compression", "store");
  if (archive_write_open_filename (a, path) != ARCHIVE_OK)
    {
      archive_write_free (a);
      return 0;
    }
  add (a, "mimetype", "application/epub+zip", 20);
  for (guint part = 0; part < G_N_ELEMENTS (names) && start <= size; part++)
    {
      const guint8 *end = memchr (data + start, '\0', size - start);
      gsize         len = end != NULL ? (gsize) (end - (data + start)) : size - start;

      if (len > 0 || part < 5)
        add (a, names[part], data + start, len);
      start += len + 1;
    }
  archive_write_close (a);
  archive_write_free (a);

  epub = kios_epub_open (path, NULL);
  if (epub == NULL)
    return 0;
  (void) kios_epub_get_toc (epub);
  (void) kios_epub_get_title (epub);
  (void) kios_epub_get_cover_href (epub);
  for (guint i = 0; i < kios_epub_get_n_spine_items (epub) && i < 64; i++)
    (void) kios_epub_find_spine_index (epub, kios_epub_get_spine_item (epub, i)->href);
  scan = kios_archive_scan_new (epub, NULL, NULL);
  return 0;
}
