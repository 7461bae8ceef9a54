/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <mupdf/fitz.h>

#include "kios-text-search.h"

G_BEGIN_DECLS

/*
 * The MuPDF side of the scan, for the document's worker only. Appends a
 * KiosSearchHit per match to hits (when not NULL) and the rectangles of every
 * match, as fractions of bounds, to rects (KiosSearchRect, when not NULL).
 */
/* clang-format off */
void kios_search_scan_stext (const KiosSearchMatcher *self,
                             fz_stext_page           *stext,
                             fz_rect                  bounds,
                             int                      chapter,
                             GPtrArray               *hits,
                             GArray                  *rects);
/* clang-format on */

G_END_DECLS
