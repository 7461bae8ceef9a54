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
 * Properties: fraction (double 0..1).
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
/* clang-format on */

G_END_DECLS
