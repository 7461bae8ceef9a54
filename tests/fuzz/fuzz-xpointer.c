/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: the KOReader xpointer parser and resolver. The input's first
 * line is the xpointer; the rest, when there is any, is the chapter XHTML it
 * is resolved in (else a fixed chapter). Every index found must give back an
 * xpointer that resolves again.
 */

#include "kios-chapter-text.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

static const char fixed_chapter[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title></head><body>"
    "<h1 id=\"top\">Chapter One</h1><div><p>It is a truth <i>universally</i> acknowledged,"
    " that a single man</p><p>in possession of a good fortune&#160;must be in want</p>"
    "<ul><li>of a</li><li id=\"w\">wife.</li></ul></div><p>However little known</p></body></html>";

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  const char                 *nl = memchr (data, '\n', size);
  gsize                       xp_len = nl != NULL ? (gsize) ((const guint8 *) nl - data) : size;
  g_autofree char            *xpointer = g_strndup ((const char *) data, xp_len);
  g_autoptr (KiosChapterText) text = NULL;
  gsize                       index = 0;
  int                         fragment = 0;

  if (nl != NULL && size - xp_len - 1 > 0)
    text = kios_chapter_text_new (nl + 1, size - xp_len - 1, NULL);
  else
    text = kios_chapter_text_new (fixed_chapter, sizeof fixed_chapter - 1, NULL);

  (void) kios_xpointer_get_doc_fragment (xpointer, &fragment);
  if (text == NULL)
    return 0;

  if (kios_chapter_text_get_length (text) > 0 && kios_chapter_text_resolve (text, xpointer, &index, NULL))
    {
      g_autofree char *again = kios_chapter_text_get_xpointer (text, 1, index);
      const char      *tail = again != NULL ? strstr (again, "]/") : NULL;
      gsize            index2 = 0;

      if (tail != NULL && !kios_chapter_text_resolve (text, tail + 1, &index2, NULL))
        __builtin_trap ();
    }
  (void) kios_chapter_text_find_id (text, xpointer, &index);
  return 0;
}
