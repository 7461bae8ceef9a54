/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: an EPUB's container and package (container.xml, OPF, NCX or
 * nav, encryption.xml) as kios_epub_open reads them, then the archive scan
 * that decides what MuPDF may read (member limits, picture headers, the
 * cutting of long paragraphs) and the chapter text of the first chapter.
 */

#include "kios-archive-limits.h"
#include "kios-chapter-text.h"
#include "kios-epub.h"

#include <glib/gstdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static char                *path;
  g_autoptr (KiosEpub)        epub = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;

  if (path == NULL)
    path = g_strdup_printf ("%s/kios-fuzz-epub-%d.epub", g_get_tmp_dir (), (int) getpid ());
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    return 0;

  epub = kios_epub_open (path, NULL);
  if (epub == NULL)
    return 0;

  (void) kios_epub_get_toc (epub);
  (void) kios_epub_get_encryption (epub);
  scan = kios_archive_scan_new (epub, NULL, NULL);

  if (kios_epub_get_n_spine_items (epub) > 0)
    {
      const KiosSpineItem *item = kios_epub_get_spine_item (epub, 0);
      g_autoptr (GBytes)   bytes = kios_epub_read_member (epub, item->href, 1 << 20, NULL);

      if (bytes != NULL)
        {
          gsize                       len = 0;
          const char                 *xhtml = g_bytes_get_data (bytes, &len);
          g_autoptr (KiosChapterText) text = kios_chapter_text_new (xhtml, len, NULL);

          if (text != NULL && kios_chapter_text_get_length (text) > 0)
            g_free (kios_chapter_text_get_xpointer (text, 1, kios_chapter_text_get_length (text) / 2));
        }
    }
  return 0;
}
