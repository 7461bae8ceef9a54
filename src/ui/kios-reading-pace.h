/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * KiosReadingPace: how fast this reader reads, measured over their recent
 * page turns. A sample is one forward turn to the next page: the share of
 * the book's text that page held (positions count text by characters; for a
 * PDF, by pages) over the time it was on screen. Times longer than
 * KIOS_READING_PACE_IDLE (the reader left) and shorter than
 * KIOS_READING_PACE_SKIM (skimming) are not counted. The pace is known once
 * enough was measured (KIOS_READING_PACE_MIN_SAMPLES turns covering at least
 * KIOS_READING_PACE_MIN_TIME); it is the mean over the last
 * KIOS_READING_PACE_WINDOW samples. Plain data: no GObject, no GTK.
 */

#define KIOS_READING_PACE_IDLE (5 * G_TIME_SPAN_MINUTE)
#define KIOS_READING_PACE_SKIM (4 * G_TIME_SPAN_SECOND)
#define KIOS_READING_PACE_MIN_SAMPLES 5
#define KIOS_READING_PACE_MIN_TIME (2 * G_TIME_SPAN_MINUTE)
#define KIOS_READING_PACE_WINDOW 30

typedef struct _KiosReadingPace KiosReadingPace;

/* clang-format off */
KiosReadingPace *kios_reading_pace_new          (void);
void             kios_reading_pace_free         (KiosReadingPace *self);
/* A page came on screen at now (monotonic µs) showing progress (0..1);
 * turned: it is the page right after the one before (a sample), not a jump. */
void             kios_reading_pace_page_shown   (KiosReadingPace *self,
                                                 gint64           now,
                                                 double           progress,
                                                 gboolean         turned);
/* Book share per minute, or 0 until the pace is known. */
double           kios_reading_pace_get_rate     (KiosReadingPace *self);
guint            kios_reading_pace_get_n_samples (KiosReadingPace *self);
/* "12 min", "6 h 40 min", "less than a minute" (translated; free it). */
char            *kios_reading_pace_format_minutes (double         minutes);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosReadingPace, kios_reading_pace_free)

G_END_DECLS
