/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* The start view's list going into its grid a piece per frame, and the
 * grid's columns fitted to what shows (kios-start-view.c owns the rest). */

#define G_LOG_DOMAIN "kios-start-view"

#include "config.h"

#include "kios-start-view-private.h"

#include <math.h>
#include <time.h>

/* A list goes into the grid a piece per frame, each piece sized so that
 * the frame (the cards it makes, binds, lays out and paints) stays near
 * STEP_FRAME_US of the main thread's time: under a third of a 60 Hz
 * frame, so that on a busy machine (the import of a folder running beside
 * it) the frame still ends within one. */
#define STEP_FIRST 4
/* The first list a window shows replaces a blank page: its first piece is
 * a screenful, so the first frame a person sees is the library, not a row
 * growing card by card. One card goes in first; once it is laid out, its
 * size tells how many show, and those go in before the frame is painted
 * (the frame clock lays out again). Without a size, three rows of the
 * widest grid; never more than STEP_FIRST_SCREEN_MAX. */
#define STEP_FIRST_SCREEN 24
#define STEP_FIRST_SCREEN_MAX 64
#define STEP_MIN 1
#define STEP_FRAME_US 5000
/* After the first screenful, the next pieces wait for its covers (they
 * come from the cover loader's threads a frame or two later), so the frame
 * that shows them is not held back by cards made off screen; a book without
 * a cover waits no longer than this. */
#define COVERS_WAIT_US (250 * 1000)
/* The most columns of cards, however wide the window. */
#define GRID_MAX_COLUMNS 8

/* The main thread's own time, which the machine's load does not stretch:
 * a busy machine must not shrink the pieces into many more frames. */
static gint64
thread_cpu_us (void)
{
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) != 0)
    return g_get_monotonic_time ();
  return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

/* Inserts the next piece of a list going in, in the frame about to be
 * laid out (so the cards it makes are measured and painted in that frame,
 * not piled up for a later one). */
static gboolean
step_tick_cb (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       user_data)
{
  KiosStartView *self = KIOS_START_VIEW (widget);

  /* The frame that shows the grid in place of the empty page paints the
   * whole view: it gets no cards to make on top. */
  if (self->step_skip)
    {
      self->step_skip = FALSE;
      return G_SOURCE_CONTINUE;
    }
  kios_start_view_fit_columns (self);
  /* The frame that paints the covers gets no piece either. */
  if (self->covers_wait_until != 0)
    {
      if (g_get_monotonic_time () < self->covers_wait_until && kios_start_view_shown_covers_pending (self))
        return G_SOURCE_CONTINUE;
      self->covers_wait_until = 0;
      return G_SOURCE_CONTINUE;
    }
  /* The first screenful's covers start loading as its cards are bound, while
   * this frame lays them out and paints them, not after. */
  if (self->covers_eager)
    self->covers_wait_until = g_get_monotonic_time () + COVERS_WAIT_US;
  self->step_started = thread_cpu_us ();
  if (kios_library_model_step (self->model, self->fit_first ? 1 : self->step_size))
    return G_SOURCE_CONTINUE;
  self->fit_first = FALSE;
  self->step_id = 0;
  kios_start_view_update_visible_page (self);
  return G_SOURCE_REMOVE;
}

/* The frame with a piece is painted: the next piece grows while frames are
 * under budget (past the few hundred cards the grid keeps, an insert makes
 * none) and shrinks when one was over, so frames stay near STEP_FRAME_US of
 * the main thread's time. */
static void
step_painted_cb (GdkFrameClock *clock,
                 KiosStartView *self)
{
  if (self->step_started != 0)
    {
      gint64 spent = thread_cpu_us () - self->step_started;

      self->step_started = 0;
      self->covers_eager = FALSE;
      /* In proportion to how far the frame was from the budget, at most
       * halved or doubled: a frame costs a few milliseconds of its own
       * (layout and paint), so pieces grown only well under the budget
       * would stay at one card. */
      guint64 size = (guint64) self->step_size * STEP_FRAME_US / MAX (spent, 1);

      size = CLAMP (size, self->step_size / 2, (guint64) self->step_size * 2);
      self->step_size = (guint) CLAMP (size, STEP_MIN, G_MAXUINT / 2);
    }
  if (self->step_id == 0)
    g_clear_signal_handler (&self->step_painted_id, clock);
}

/* The rest of a list going in, at once: a view not shown makes no frames. */
void
kios_start_view_finish_steps (KiosStartView *self)
{
  if (self->step_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->step_id);
  self->step_id = 0;
  self->covers_eager = FALSE;
  self->fit_first = FALSE;
  self->covers_wait_until = 0;
  kios_library_model_step (self->model, G_MAXUINT);
  kios_start_view_update_visible_page (self);
}

void
kios_start_view_show_items (KiosStartView *self,
                            GPtrArray     *items)
{
  const char *before = gtk_stack_get_visible_child_name (self->stack);
  /* Over the empty page the grid fades in; from the blank page (the first
   * list) or over itself it shows at once, cards and all. */
  gboolean fades_in = g_strcmp0 (before, "books") != 0 && g_strcmp0 (before, "loading") != 0;

  /* The first card a view makes costs the most (its styles and fonts are
   * looked up then): after the empty page, it goes in alone. */
  if (!self->listed)
    self->step_size = STEP_FIRST_SCREEN;
  else if (gtk_widget_get_first_child (GTK_WIDGET (self->grid_view)) == NULL)
    self->step_size = 1;
  else
    self->step_size = STEP_FIRST;
  self->covers_eager = !self->listed && items->len > 0;
  self->fit_first = self->covers_eager;
  self->loading = FALSE;
  self->listed = TRUE;
  self->library_empty = items->len == 0;
  /* A new list is filtered as it goes in, each piece whole: shown, the
   * model takes it a piece a frame (step_tick_cb), a screenful first. */
  if (!kios_library_model_stage_items (self->model, items, 0))
    {
      if (self->step_id != 0)
        gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->step_id);
      self->step_id = 0;
    }
  else if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    kios_start_view_finish_steps (self);
  else if (self->step_id == 0)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

      self->step_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), step_tick_cb, NULL, NULL);
      self->step_started = 0;
      if (self->step_painted_id == 0)
        self->step_painted_id = g_signal_connect_object (clock, "after-paint", G_CALLBACK (step_painted_cb), self, 0);
    }
  kios_start_view_update_visible_page (self);
  self->step_skip = self->step_id != 0 && fades_in &&
                    g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "books") == 0;
}

/* The grid keeps cards for 30 rows of max-columns each, whatever it shows:
 * with room for 5 columns and max-columns at 8, 240 cards made, bound and
 * given covers for the 10 on screen. Once a card tells the width of a
 * column, max-columns follows the columns that fit (as many as the grid
 * shows anyway), so the cards kept follow what is shown. Called as the
 * view is allocated (a new width) and as a list goes in (the first cards). */
void
kios_start_view_fit_columns (KiosStartView *self)
{
  GtkWidget *grid = GTK_WIDGET (self->grid_view);
  GtkWidget *cell = gtk_widget_get_first_child (grid);
  int        cell_width = 0;
  guint      fit;

  if (cell == NULL || gtk_widget_get_width (grid) <= 0)
    return;
  gtk_widget_measure (cell, GTK_ORIENTATION_HORIZONTAL, -1, &cell_width, NULL, NULL, NULL);
  if (cell_width <= 0)
    return;
  fit = CLAMP ((guint) (gtk_widget_get_width (grid) / cell_width), gtk_grid_view_get_min_columns (self->grid_view),
               GRID_MAX_COLUMNS);
  if (fit != gtk_grid_view_get_max_columns (self->grid_view))
    gtk_grid_view_set_max_columns (self->grid_view, fit);
}

/* How many cards fill the grid's height from where the first one's
 * content starts (a row cut at the bottom counts), measured on it; 0
 * before it is laid out. */
static guint
first_screen_size (KiosStartView *self)
{
  GtkWidget      *grid = GTK_WIDGET (self->grid_view);
  GtkWidget      *cell = gtk_widget_get_first_child (grid);
  int             cell_width = 0;
  int             cell_height = 0;
  graphene_rect_t bounds;
  float           room;
  guint           rows;

  if (cell == NULL || gtk_widget_get_first_child (cell) == NULL || gtk_widget_get_width (grid) <= 0 ||
      !gtk_widget_compute_bounds (gtk_widget_get_first_child (cell), grid, &bounds))
    return 0;
  room = gtk_widget_get_height (grid) - MAX (bounds.origin.y, 0);
  kios_start_view_fit_columns (self);
  gtk_widget_measure (cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &cell_width, NULL, NULL);
  gtk_widget_measure (cell, GTK_ORIENTATION_VERTICAL, cell_width, NULL, &cell_height, NULL, NULL);
  if (cell_height <= 0 || room <= 0)
    return 0;
  rows = (guint) ceilf (room / cell_height);
  return MIN (rows * gtk_grid_view_get_max_columns (self->grid_view), STEP_FIRST_SCREEN_MAX);
}

/* The frame is laid out. The first screenful's first card tells how many
 * show: the rest of the screenful goes in now. Cards bound while off screen
 * that came near it show their books. Either lays the frame out again (the
 * frame clock does, before painting it). */
void
kios_start_view_layout_cb (GdkFrameClock *clock,
                           KiosStartView *self)
{
  guint n_shown;
  guint n_in;

  kios_start_view_show_near_cards (self);
  if (!self->fit_first || self->step_started == 0)
    return;
  self->fit_first = FALSE;
  n_shown = first_screen_size (self);
  if (n_shown == 0)
    n_shown = STEP_FIRST_SCREEN;
  n_in = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  if (n_shown > n_in && !kios_library_model_step (self->model, n_shown - n_in) && self->step_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->step_id);
      self->step_id = 0;
      kios_start_view_update_visible_page (self);
    }
}
