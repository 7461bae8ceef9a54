/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-chapter-text.h"

G_BEGIN_DECLS

/*
 * Find in book, the text side: a query folded for case- and
 * accent-insensitive matching (casefold after compatibility decomposition,
 * combining marks dropped, curly quotes as straight ones, every run of
 * whitespace or hyphens as one space), and the scans that find it in a
 * chapter's DOM text (KiosChapterText, so an EPUB hit has an exact stream
 * offset and xpointer) or in MuPDF's structured text of a page (for PDF hits
 * and for the rectangles to highlight on a page).
 *
 * A matcher is immutable and reference counted: the main thread and the
 * document's worker share it.
 */

typedef struct _KiosSearchMatcher KiosSearchMatcher;

typedef struct
{
  int    chapter;       /* spine index (EPUB) or page index (PDF) */
  gint64 offset;        /* EPUB: stream index of the first character;
                           PDF: the hit's rank on its page */
  gint64 length;        /* EPUB: stream characters the hit spans */
  char  *chapter_title; /* nearest contents entry at or before, or NULL */
  char  *xpointer;      /* EPUB: at the hit's first character */
  char  *excerpt;       /* a line of context around the hit */
  int    excerpt_start; /* byte range of the hit in excerpt */
  int    excerpt_end;
  double total_progress; /* 0..1 */
} KiosSearchHit;

/* A highlight on a page, as fractions of the page's width and height. */
typedef struct
{
  float x0, y0, x1, y1;
  int   hit; /* rank of the hit on the page (0-based) */
} KiosSearchRect;

/* clang-format off */
/* NULL when the query holds nothing to look for (empty or only spaces). */
KiosSearchMatcher *kios_search_matcher_new       (const char              *query);
KiosSearchMatcher *kios_search_matcher_ref       (KiosSearchMatcher       *self);
void               kios_search_matcher_unref     (KiosSearchMatcher       *self);
const char        *kios_search_matcher_get_query (const KiosSearchMatcher *self);
/* The folded form of text (what matching compares), for tests. */
char              *kios_search_fold              (const char              *text);

/* Appends a KiosSearchHit for every match in a chapter's text (no title or
 * progress: the caller knows the book). */
void               kios_search_scan_chapter_text (const KiosSearchMatcher *self,
                                                  KiosChapterText         *text,
                                                  int                      chapter,
                                                  GPtrArray               *hits);

KiosSearchHit     *kios_search_hit_copy          (const KiosSearchHit     *hit);
void               kios_search_hit_free          (KiosSearchHit           *hit);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSearchMatcher, kios_search_matcher_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSearchHit, kios_search_hit_free)

G_END_DECLS
