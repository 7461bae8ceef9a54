/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-progress-bar"

#include "config.h"

#include "kios-progress-bar.h"

#include <glib/gi18n.h>
#include <math.h>

#define BAR_HEIGHT 4
/* Notches closer than this (in px) to the previous drawn one are skipped. */
#define MIN_MARK_GAP 8.0

struct _KiosProgressBar
{
  GtkWidget parent_instance;

  GArray *marks; /* double, sorted */
  GdkRGBA ink;
  double  fraction;
};

G_DEFINE_FINAL_TYPE (KiosProgressBar, kios_progress_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
lookup_accent (KiosProgressBar *self,
               GdkRGBA         *accent)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));

  /* libadwaita 1.2 exposes the accent as a named colour; fall back to its default blue. */
  if (!gtk_style_context_lookup_color (context, "accent_bg_color", accent))
    gdk_rgba_parse (accent, "#3584e4");
}

static void
kios_progress_bar_measure (GtkWidget     *widget,
                           GtkOrientation orientation,
                           int            for_size,
                           int           *minimum,
                           int           *natural,
                           int           *minimum_baseline,
                           int           *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_VERTICAL)
    *minimum = *natural = BAR_HEIGHT;
  else
    *minimum = *natural = 0;
}

static void
kios_progress_bar_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (widget);
  double           width = gtk_widget_get_width (widget);
  double           height = gtk_widget_get_height (widget);
  double           filled = round (width * self->fraction);
  double           last_x = -G_MAXDOUBLE;
  GdkRGBA          accent;
  GdkRGBA          track = self->ink;
  GdkRGBA          notch = self->ink;

  if (width <= 0 || height <= 0)
    return;

  lookup_accent (self, &accent);
  track.alpha *= 0.10;
  notch.alpha *= 0.30;

  gtk_snapshot_append_color (snapshot, &track, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (filled > 0)
    gtk_snapshot_append_color (snapshot, &accent, &GRAPHENE_RECT_INIT (0, 0, filled, height));

  for (guint i = 0; self->marks != NULL && i < self->marks->len; i++)
    {
      double x = floor (g_array_index (self->marks, double, i) * width);

      /* The book's start is not a notch, and crowded notches are skipped. */
      if (x < 1 || x >= width - 1 || x - last_x < MIN_MARK_GAP)
        continue;
      gtk_snapshot_append_color (snapshot, &notch, &GRAPHENE_RECT_INIT (x, 0, 1, height));
      last_x = x;
    }
}

static void
kios_progress_bar_finalize (GObject *object)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (object);

  g_clear_pointer (&self->marks, g_array_unref);

  G_OBJECT_CLASS (kios_progress_bar_parent_class)->finalize (object);
}

static void
kios_progress_bar_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (object);

  switch (prop_id)
    {
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_progress_bar_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (object);

  switch (prop_id)
    {
    case PROP_FRACTION:
      kios_progress_bar_set_fraction (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_progress_bar_class_init (KiosProgressBarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = kios_progress_bar_finalize;
  object_class->get_property = kios_progress_bar_get_property;
  object_class->set_property = kios_progress_bar_set_property;

  widget_class->measure = kios_progress_bar_measure;
  widget_class->snapshot = kios_progress_bar_snapshot;

  properties[PROP_FRACTION] =
      g_param_spec_double ("fraction", NULL, NULL,
                           0.0, 1.0, 0.0,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "kiosprogressbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PROGRESS_BAR);
}

static void
kios_progress_bar_init (KiosProgressBar *self)
{
  gdk_rgba_parse (&self->ink, "#1e1e1e");
  gtk_widget_set_can_target (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), _ ("0% read"));
}

GtkWidget *
kios_progress_bar_new (void)
{
  return g_object_new (KIOS_TYPE_PROGRESS_BAR, NULL);
}

double
kios_progress_bar_get_fraction (KiosProgressBar *self)
{
  g_return_val_if_fail (KIOS_IS_PROGRESS_BAR (self), 0.0);

  return self->fraction;
}

void
kios_progress_bar_set_fraction (KiosProgressBar *self,
                                double           fraction)
{
  g_autofree char *tooltip = NULL;

  g_return_if_fail (KIOS_IS_PROGRESS_BAR (self));

  if (isnan (fraction))
    fraction = 0.0;
  fraction = CLAMP (fraction, 0.0, 1.0);
  if (fraction == self->fraction)
    return;

  self->fraction = fraction;
  /* Translators: the tooltip of the reader's progress bar. */
  tooltip = g_strdup_printf (_ ("%d%% read"), (int) floor (fraction * 100.0));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 1.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, fraction,
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

void
kios_progress_bar_set_marks (KiosProgressBar *self,
                             const double    *marks,
                             guint            n_marks)
{
  g_return_if_fail (KIOS_IS_PROGRESS_BAR (self));

  g_clear_pointer (&self->marks, g_array_unref);
  if (marks != NULL && n_marks > 0)
    {
      self->marks = g_array_sized_new (FALSE, FALSE, sizeof (double), n_marks);
      for (guint i = 0; i < n_marks; i++)
        {
          double mark = marks[i];

          /* Hostile or unfinished counts must not draw outside the bar. */
          if (!isnan (mark) && mark >= 0.0 && mark <= 1.0)
            g_array_append_val (self->marks, mark);
        }
      g_array_sort (self->marks, compare_doubles);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
kios_progress_bar_get_n_marks (KiosProgressBar *self)
{
  g_return_val_if_fail (KIOS_IS_PROGRESS_BAR (self), 0);

  return self->marks != NULL ? self->marks->len : 0;
}

void
kios_progress_bar_set_ink (KiosProgressBar *self,
                           const GdkRGBA   *ink)
{
  g_return_if_fail (KIOS_IS_PROGRESS_BAR (self));
  g_return_if_fail (ink != NULL);

  if (gdk_rgba_equal (&self->ink, ink))
    return;
  self->ink = *ink;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
