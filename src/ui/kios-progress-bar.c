/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-progress-bar"

#include "config.h"

#include "kios-progress-bar.h"

#include <glib/gi18n.h>
#include <math.h>

#define BAR_HEIGHT 4
/* The bar is drawn along the bottom of a taller strip that takes the pointer. */
#define HIT_HEIGHT 14
/* Notches closer than this (in px) to the previous drawn one are skipped. */
#define MIN_MARK_GAP 8.0

struct _KiosProgressBar
{
  GtkWidget parent_instance;

  GArray    *marks;          /* double, sorted */
  GArray    *chapter_starts; /* double, in reading order */
  GPtrArray *chapter_titles; /* char *, parallel to chapter_starts */
  GdkRGBA    ink;
  double     fraction;
  double     preview; /* where a drag would land, or -1 */
  double     drag_x;
  double     hover_x; /* -1 when the pointer is elsewhere */
};

G_DEFINE_FINAL_TYPE (KiosProgressBar, kios_progress_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_FRACTION,
  PROP_PREVIEW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_SEEK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
    *minimum = *natural = HIT_HEIGHT;
  else
    *minimum = *natural = 0;
}

static void
kios_progress_bar_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (widget);
  double           width = gtk_widget_get_width (widget);
  double           full_height = gtk_widget_get_height (widget);
  gboolean         active = self->preview >= 0 || self->hover_x >= 0 || gtk_widget_has_focus (widget);
  double           height = MIN (full_height, active ? BAR_HEIGHT * 2 : BAR_HEIGHT);
  double           top = full_height - height;
  double           filled = round (width * self->fraction);
  double           last_x = -G_MAXDOUBLE;
  GdkRGBA          accent;
  GdkRGBA          track = self->ink;
  GdkRGBA          notch = self->ink;

  if (width <= 0 || full_height <= 0)
    return;

  lookup_accent (self, &accent);
  track.alpha *= active ? 0.18 : 0.10;
  notch.alpha *= 0.30;

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, top));
  gtk_snapshot_append_color (snapshot, &track, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (filled > 0)
    gtk_snapshot_append_color (snapshot, &accent, &GRAPHENE_RECT_INIT (0, 0, filled, height));
  if (self->preview >= 0)
    {
      GdkRGBA target = self->ink;

      /* Where the drag lands: a marker the full height of the strip. */
      target.alpha *= 0.75;
      gtk_snapshot_append_color (snapshot, &target,
                                 &GRAPHENE_RECT_INIT (CLAMP (round (self->preview * width) - 1, 0, width - 2),
                                                      height - full_height, 2, full_height));
    }

  for (guint i = 0; self->marks != NULL && i < self->marks->len; i++)
    {
      double x = floor (g_array_index (self->marks, double, i) * width);

      /* The book's start is not a notch, and crowded notches are skipped. */
      if (x < 1 || x >= width - 1 || x - last_x < MIN_MARK_GAP)
        continue;
      gtk_snapshot_append_color (snapshot, &notch, &GRAPHENE_RECT_INIT (x, 0, 1, height));
      last_x = x;
    }
  gtk_snapshot_restore (snapshot);
}

static double
fraction_at (KiosProgressBar *self,
             double           x)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));

  if (width <= 0)
    return 0.0;
  return CLAMP (x / width, 0.0, 1.0);
}

static void
set_preview (KiosProgressBar *self,
             double           preview)
{
  if (preview == self->preview)
    return;
  self->preview = preview;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREVIEW]);
}

static void
drag_begin_cb (GtkGestureDrag  *gesture,
               double           x,
               double           y,
               KiosProgressBar *self)
{
  self->drag_x = x;
  set_preview (self, fraction_at (self, x));
}

static void
drag_update_cb (GtkGestureDrag  *gesture,
                double           offset_x,
                double           offset_y,
                KiosProgressBar *self)
{
  set_preview (self, fraction_at (self, self->drag_x + offset_x));
  gtk_widget_trigger_tooltip_query (GTK_WIDGET (self));
}

static void
drag_end_cb (GtkGestureDrag  *gesture,
             double           offset_x,
             double           offset_y,
             KiosProgressBar *self)
{
  double target = fraction_at (self, self->drag_x + offset_x);

  set_preview (self, -1.0);
  g_signal_emit (self, signals[SIGNAL_SEEK], 0, target);
}

static void
motion_cb (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           KiosProgressBar          *self)
{
  if (self->hover_x < 0)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  self->hover_x = x;
}

static void
leave_cb (GtkEventControllerMotion *controller,
          KiosProgressBar          *self)
{
  self->hover_x = -1.0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (widget);
  g_autofree char *text = NULL;

  /* From the keyboard the bar names where the reader is; under the pointer,
   * where a click would go (while dragging, where the drag lands). */
  if (keyboard)
    text = kios_progress_bar_describe (self, self->fraction);
  else if (self->preview >= 0)
    text = kios_progress_bar_describe (self, self->preview);
  else
    text = kios_progress_bar_get_tooltip_at (self, x);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
kios_progress_bar_finalize (GObject *object)
{
  KiosProgressBar *self = KIOS_PROGRESS_BAR (object);

  g_clear_pointer (&self->marks, g_array_unref);
  g_clear_pointer (&self->chapter_starts, g_array_unref);
  g_clear_pointer (&self->chapter_titles, g_ptr_array_unref);

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

    case PROP_PREVIEW:
      g_value_set_double (value, self->preview);
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

  properties[PROP_PREVIEW] =
      g_param_spec_double ("preview", NULL, NULL,
                           -1.0, 1.0, -1.0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosProgressBar::seek:
   * @self: the bar
   * @fraction: where in the book (0..1) the reader clicked or let go
   */
  signals[SIGNAL_SEEK] =
      g_signal_new ("seek",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_DOUBLE);

  gtk_widget_class_set_css_name (widget_class, "kiosprogressbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_SLIDER);
}

static void
kios_progress_bar_init (KiosProgressBar *self)
{
  GtkWidget          *widget = GTK_WIDGET (self);
  GtkGesture         *drag;
  GtkEventController *motion;

  gdk_rgba_parse (&self->ink, "#1e1e1e");
  self->preview = -1.0;
  self->hover_x = -1.0;
  gtk_widget_set_can_target (widget, TRUE);
  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_cursor_from_name (widget, "pointer");
  gtk_widget_set_has_tooltip (widget, TRUE);
  g_signal_connect (widget, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Position in book"),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 100.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, _ ("0% read"),
                                  -1);

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (drag));

  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (widget, motion);
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
  /* Translators: what a screen reader says the reader's progress bar is at. */
  tooltip = g_strdup_printf (_ ("%d%% read"), (int) floor (fraction * 100.0));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, floor (fraction * 100.0),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, tooltip,
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

void
kios_progress_bar_set_chapters (KiosProgressBar   *self,
                                const double      *starts,
                                const char *const *titles,
                                guint              n_chapters)
{
  g_return_if_fail (KIOS_IS_PROGRESS_BAR (self));

  g_clear_pointer (&self->chapter_starts, g_array_unref);
  g_clear_pointer (&self->chapter_titles, g_ptr_array_unref);
  if (starts == NULL || titles == NULL || n_chapters == 0)
    return;
  self->chapter_starts = g_array_sized_new (FALSE, FALSE, sizeof (double), n_chapters);
  self->chapter_titles = g_ptr_array_new_full (n_chapters, g_free);
  for (guint i = 0; i < n_chapters; i++)
    {
      double start = starts[i];

      if (isnan (start) || start < 0.0 || start > 1.0 || titles[i] == NULL || *titles[i] == '\0')
        continue;
      g_array_append_val (self->chapter_starts, start);
      g_ptr_array_add (self->chapter_titles, g_strdup (titles[i]));
    }
}

char *
kios_progress_bar_describe (KiosProgressBar *self,
                            double           fraction)
{
  const char *title = NULL;
  double      best = -1.0;
  int         percent;

  g_return_val_if_fail (KIOS_IS_PROGRESS_BAR (self), NULL);

  fraction = isnan (fraction) ? 0.0 : CLAMP (fraction, 0.0, 1.0);
  percent = (int) floor (fraction * 100.0);
  /* The chapter starting last at or before the fraction; of several starting
   * at the same place (sections of one file), the first: the enclosing one. */
  for (guint i = 0; self->chapter_starts != NULL && i < self->chapter_starts->len; i++)
    {
      double start = g_array_index (self->chapter_starts, double, i);

      if (start <= fraction && start > best)
        {
          best = start;
          title = g_ptr_array_index (self->chapter_titles, i);
        }
    }
  if (title == NULL)
    /* Translators: the progress bar's tooltip where no chapter is known. */
    return g_strdup_printf (_ ("%d%%"), percent);
  /* Translators: the progress bar's tooltip: the chapter under the pointer and where it is in the book. */
  return g_strdup_printf (_ ("%s · %d%%"), title, percent);
}

char *
kios_progress_bar_get_tooltip_at (KiosProgressBar *self,
                                  double           x)
{
  g_return_val_if_fail (KIOS_IS_PROGRESS_BAR (self), NULL);

  if (gtk_widget_get_width (GTK_WIDGET (self)) <= 0)
    return NULL;
  return kios_progress_bar_describe (self, fraction_at (self, x));
}

double
kios_progress_bar_get_preview (KiosProgressBar *self)
{
  g_return_val_if_fail (KIOS_IS_PROGRESS_BAR (self), -1.0);

  return self->preview;
}
