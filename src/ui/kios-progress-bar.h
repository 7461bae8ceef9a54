/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * KiosProgressBar: the slim (4 px) bar at the bottom of the reader. It shows
 * how far into the book the reader is in the accent colour, over a faint
 * track, with a small notch at the start of every chapter. Notches closer
 * than a few pixels to the previous one are skipped, so a book with
 * hundreds of chapters does not turn into a solid stripe.
 *
 * KiosReaderView creates one itself and keeps it up to date; there is no
 * need to add another. CSS name: "kiosprogressbar".
 *
 * It seeks: a click, or a drag and its release, emits "seek" with the
 * fraction of the book under the pointer; while dragging, "preview" holds
 * where the drag would land (-1 otherwise) and a marker shows it. The
 * tooltip names the chapter under the pointer and its percentage. The bar
 * is focusable (accessible role slider, "Position in book"); the strip that
 * takes the pointer is taller than the 4 px drawn along its bottom.
 *
 * Properties: fraction (double 0..1), preview (double, read-only).
 * Signals: "seek" (double fraction).
 */

#define KIOS_TYPE_PROGRESS_BAR (kios_progress_bar_get_type ())
G_DECLARE_FINAL_TYPE (KiosProgressBar, kios_progress_bar, KIOS, PROGRESS_BAR, GtkWidget)

/* clang-format off */
GtkWidget *kios_progress_bar_new             (void);
double     kios_progress_bar_get_fraction    (KiosProgressBar *self);
void       kios_progress_bar_set_fraction    (KiosProgressBar *self,
                                              double           fraction);
/* Chapter starts as fractions 0..1 (copied); NULL or n_marks 0 clears them. */
void       kios_progress_bar_set_marks       (KiosProgressBar *self,
                                              const double    *marks,
                                              guint            n_marks);
guint      kios_progress_bar_get_n_marks     (KiosProgressBar *self);
/* The colour the track and the notches are derived from (the page's text colour). */
void       kios_progress_bar_set_ink         (KiosProgressBar *self,
                                              const GdkRGBA   *ink);
/* Named chapter starts (0..1, copied) for the tooltip. */
void       kios_progress_bar_set_chapters    (KiosProgressBar   *self,
                                              const double      *starts,
                                              const char *const *titles,
                                              guint              n_chapters);
/* "Chapter 5 · 23%": the chapter at fraction and its percentage (free it). */
char      *kios_progress_bar_describe        (KiosProgressBar *self,
                                              double           fraction);
/* The tooltip for the pointer at x (widget coordinates); NULL before allocation. */
char      *kios_progress_bar_get_tooltip_at  (KiosProgressBar *self,
                                              double           x);
double     kios_progress_bar_get_preview     (KiosProgressBar *self);
/* clang-format on */

G_END_DECLS
