/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reading-pace"

#include "config.h"

#include "kios-reading-pace.h"

#include <glib/gi18n.h>
#include <math.h>

typedef struct
{
  double share;   /* of the book */
  double minutes; /* on the page */
} Sample;

struct _KiosReadingPace
{
  GArray  *samples; /* Sample, oldest first, at most KIOS_READING_PACE_WINDOW */
  gint64   last_time;
  double   last_progress;
  gboolean have_last;
};

KiosReadingPace *
kios_reading_pace_new (void)
{
  KiosReadingPace *self = g_new0 (KiosReadingPace, 1);

  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  return self;
}

void
kios_reading_pace_free (KiosReadingPace *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->samples);
  g_free (self);
}

void
kios_reading_pace_page_shown (KiosReadingPace *self,
                              gint64           now,
                              double           progress,
                              gboolean         turned)
{
  g_return_if_fail (self != NULL);

  if (turned && self->have_last && progress > self->last_progress)
    {
      gint64 spent = now - self->last_time;

      if (spent >= KIOS_READING_PACE_SKIM && spent <= KIOS_READING_PACE_IDLE)
        {
          Sample sample = { progress - self->last_progress, (double) spent / G_TIME_SPAN_MINUTE };

          g_array_append_val (self->samples, sample);
          if (self->samples->len > KIOS_READING_PACE_WINDOW)
            g_array_remove_index (self->samples, 0);
        }
    }
  self->last_time = now;
  self->last_progress = progress;
  self->have_last = TRUE;
}

double
kios_reading_pace_get_rate (KiosReadingPace *self)
{
  double share = 0;
  double minutes = 0;

  g_return_val_if_fail (self != NULL, 0.0);

  if (self->samples->len < KIOS_READING_PACE_MIN_SAMPLES)
    return 0.0;
  for (guint i = 0; i < self->samples->len; i++)
    {
      const Sample *sample = &g_array_index (self->samples, Sample, i);

      share += sample->share;
      minutes += sample->minutes;
    }
  if (minutes * G_TIME_SPAN_MINUTE < KIOS_READING_PACE_MIN_TIME || share <= 0)
    return 0.0;
  return share / minutes;
}

guint
kios_reading_pace_get_n_samples (KiosReadingPace *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->samples->len;
}

char *
kios_reading_pace_format_minutes (double minutes)
{
  int total;

  if (isnan (minutes) || minutes < 1.0)
    return g_strdup (_ ("less than a minute"));
  total = (int) MIN (round (minutes), 100000.0 * 60);
  if (total < 60)
    /* Translators: a reading time, abbreviated: "12 min". */
    return g_strdup_printf (_ ("%d min"), total);
  if (total % 60 == 0 || total >= 10 * 60)
    /* Translators: a reading time, abbreviated: "6 h". */
    return g_strdup_printf (_ ("%d h"), (int) round (total / 60.0));
  /* Translators: a reading time, abbreviated: "6 h 40 min". */
  return g_strdup_printf (_ ("%d h %d min"), total / 60, total % 60);
}
