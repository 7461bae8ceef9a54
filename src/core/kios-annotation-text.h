/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-annotation.h"
#include "kios-position.h"

G_BEGIN_DECLS

/*
 * KiosAnnotationText: the words of an EPUB's ranges, for annotations. It
 * reads the book's chapters itself (KiosEpub, so it needs no document and
 * no layout) into KiosChapterText, the same DOM text the canonical
 * positions count in, and keeps the last few. A position's `offset` is a
 * stream index (kios-position.h); a range runs from its start's character
 * up to the one before its end's (exclusive), across chapters too.
 *
 * Blocking (it inflates chapters): call it from a worker or kiosctl. One
 * instance may be used from several threads (a lock guards its cache).
 * Errors: KIOS_DOCUMENT_ERROR (_NOT_FOUND for a chapter or an xpointer
 * that is not in the book, _INVALID for a PDF or a reversed range, and what
 * opening the book or a chapter reports).
 */
typedef struct _KiosAnnotationText KiosAnnotationText;

/* clang-format off */
KiosAnnotationText *kios_annotation_text_new           (const char         *epub_path,
                                                        GError            **error);
void                kios_annotation_text_free          (KiosAnnotationText *self);
int                 kios_annotation_text_get_n_chapters (KiosAnnotationText *self);
/* The chapter's stream length, -1 with error. */
gint64              kios_annotation_text_get_length    (KiosAnnotationText *self,
                                                        int                 chapter,
                                                        GError            **error);
/* The exact text between two positions (chapter, offset): paragraphs on
 * their own lines, as kios_chapter_text_get_text() gives them. */
char               *kios_annotation_text_get_range     (KiosAnnotationText *self,
                                                        const KiosPosition *start,
                                                        const KiosPosition *end,
                                                        GError            **error);
/* At most n_words words from the position on, on one line (a bookmark's
 * text). */
char               *kios_annotation_text_get_words     (KiosAnnotationText *self,
                                                        const KiosPosition *position,
                                                        guint               n_words,
                                                        GError            **error);
/* The xpointer of a point in the text: end FALSE, the character at offset
 * (pos0); end TRUE, the point just after the character before offset (pos1:
 * crengine's range end, in the text node of the range's last character). */
char               *kios_annotation_text_get_xpointer  (KiosAnnotationText *self,
                                                        int                 chapter,
                                                        gint64              offset,
                                                        gboolean            end,
                                                        GError            **error);
/* An xpointer (either form, pos0 or pos1) to its chapter and offset. */
gboolean            kios_annotation_text_resolve       (KiosAnnotationText *self,
                                                        const char         *xpointer,
                                                        int                *chapter,
                                                        gint64             *offset,
                                                        GError            **error);
/* Makes a highlight's or bookmark's range exact: an end at the very start
 * of a later chapter moves to the end of the chapter before; both ends get
 * their xpointers, chapter_progress and chapter_href; text (the range's
 * words, or a bookmark's first words) is set. The offsets are kept. */
gboolean            kios_annotation_text_fill          (KiosAnnotationText *self,
                                                        KiosAnnotation     *annotation,
                                                        GError            **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosAnnotationText, kios_annotation_text_free)

G_END_DECLS
