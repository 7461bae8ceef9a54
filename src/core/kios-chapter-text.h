/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * KiosChapterText: the DOM text of one XHTML chapter (the "D stream"), as
 * crengine would see it, keeping for every kept character its text node and
 * its offset in crengine's collapsed text. It converts between a character
 * index in that stream and a KOReader xpointer:
 *
 *   /body/DocFragment[N]/body/div/p[3]/text().17      (classic form)
 *   /body/DocFragment[N]/body[1]/div[1]/p[3]/text()[1].17   (newer [1] form)
 *
 * The stream skips every character for which kios_text_anchor_is_skipped()
 * is TRUE. Script and style content is skipped. Parsing uses kios_xml_parse();
 * a chapter nested deeper than KIOS_XML_MAX_DEPTH, or with a run of more than
 * KIOS_CHAPTER_TEXT_MAX_WORD characters without a break, fails with
 * KIOS_DOCUMENT_ERROR_TOO_COMPLEX: MuPDF 1.21 would crash or take minutes on it.
 *
 * Immutable after creation; safe to share between threads.
 */

#define KIOS_CHAPTER_TEXT_MAX_WORD KIOS_LIMIT_WORD_CHARS

typedef struct _KiosChapterText KiosChapterText;

/* clang-format off */
KiosChapterText *kios_chapter_text_new            (const char      *xhtml,
                                                   gsize            len,
                                                   GError         **error);
void             kios_chapter_text_free           (KiosChapterText *self);
gsize            kios_chapter_text_get_length     (KiosChapterText *self);
const gunichar  *kios_chapter_text_get_chars      (KiosChapterText *self);
/* Whether a word boundary (dropped whitespace, a block edge) precedes index. */
gboolean         kios_chapter_text_breaks_before  (KiosChapterText *self,
                                                   gsize            index);
/* What a reader sees from start to end (exclusive), with the dropped
 * spaces and hyphens back and a line feed between blocks. */
char            *kios_chapter_text_get_text       (KiosChapterText *self,
                                                   gsize            start,
                                                   gsize            end);
/* The xpointer of the character at index (clamped), in the classic form. */
char            *kios_chapter_text_get_xpointer   (KiosChapterText *self,
                                                   int              doc_fragment,
                                                   gsize            index);
/* Resolves the path after /body/DocFragment[N] (either form) to an index. */
gboolean         kios_chapter_text_resolve        (KiosChapterText *self,
                                                   const char      *xpointer,
                                                   gsize           *index,
                                                   GError         **error);

/* The index of the first character at or after the element with this id. */
gboolean         kios_chapter_text_find_id        (KiosChapterText *self,
                                                   const char      *id,
                                                   gsize           *index);

/* Extracts N (1-based) from "/body/DocFragment[N]…"; FALSE if it has none. */
gboolean         kios_xpointer_get_doc_fragment   (const char      *xpointer,
                                                   int             *doc_fragment);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosChapterText, kios_chapter_text_free)

G_END_DECLS
