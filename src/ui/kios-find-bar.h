/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gtk/gtk.h>

#include "kios-book-search.h"

G_BEGIN_DECLS

/*
 * KiosFindBar: find in book. A search entry whose results (KiosBookSearch)
 * stream into a list of chapter + excerpt rows while the book is searched;
 * "3 of 120" counts them. Enter and Shift+Enter (or the arrows) walk the
 * matches, starting from the reading position; a list row jumps to its
 * match. Escape closes it and asks to go back to where the search began.
 *
 * Signals:
 * - "go-to-match" (KiosSearchResult *result): show this match.
 * - "closed" (gboolean restore): hide the bar; restore is TRUE for Escape
 *   (go back), FALSE for the close button (stay on the match).
 * - "query-changed": the matcher (kios_find_bar_get_matcher) changed.
 */

#define KIOS_TYPE_FIND_BAR (kios_find_bar_get_type ())
G_DECLARE_FINAL_TYPE (KiosFindBar, kios_find_bar, KIOS, FIND_BAR, GtkWidget)

/* clang-format off */
GtkWidget         *kios_find_bar_new          (void);
/* Starts a find session in document from position (NULL: its start). */
void               kios_find_bar_begin        (KiosFindBar        *self,
                                               KiosDocument       *document,
                                               const KiosPosition *from);
void               kios_find_bar_end          (KiosFindBar        *self);
void               kios_find_bar_reset        (KiosFindBar        *self);
KiosBookSearch    *kios_find_bar_get_search   (KiosFindBar        *self);
/* The matcher of the current query, or NULL. */
KiosSearchMatcher *kios_find_bar_get_matcher  (KiosFindBar        *self);
/* Index of the match last gone to, or -1. */
int                kios_find_bar_get_current  (KiosFindBar        *self);
void               kios_find_bar_next         (KiosFindBar        *self,
                                               int                 direction);
GtkWidget         *kios_find_bar_get_entry    (KiosFindBar        *self);
const char        *kios_find_bar_get_count_label (KiosFindBar     *self);
/* clang-format on */

G_END_DECLS
