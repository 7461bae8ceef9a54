/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * kios-bench-ui: the reading targets of PRODUCT.md measured in the real
 * reader view, from the request to the frame that shows the result:
 *
 *   - resume: open call → the saved page painted;
 *   - page turn: the reader.next-page action (what the arrow keys, Page
 *     Down and the page's right third call) → the next page painted, with
 *     the reader pausing on each page as people do;
 *   - font-size change → the same words painted at the new size;
 *   - page turn in a two-page spread: the action → both pages of the next
 *     spread painted;
 *   - page turns from the middle of the book without highlights, then
 *     the same turns with highlights on every page (the book reopened
 *     there with its highlights loaded), each with the longest the main
 *     loop was held up within a turn;
 *   - a selection drag: one drag update → the overlay painted, the
 *     updates as far apart as a pointer's motion events;
 *   - the longest main-loop stall while the book's pages are counted;
 *   - peak RSS, and the resident set after each phase.
 *
 * Run it under a display (scripts/bench.sh uses Xvfb).
 */

#include "config.h"

#include "kios-book-hash.h"
#include "kios-reader-annotations.h"
#include "kios-reader-selection.h"
#include "kios-reader-view.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#define N_TURNS 200
#define READ_MS 120
#define N_HIGHLIGHT_TURNS 100
#define N_DRAG_UPDATES 60

static gboolean        shown;
static gboolean        painted;
static KiosReaderView *spread_view; /* set: a frame counts once it has the right page too */
static gint64          last_tick;
static gint64          worst_gap;

/* The resident set now, or its peak (VmHWM), in MB from /proc/self/status. */
static double
status_mb (const char *field)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (line = strstr (status, field)) == NULL)
    return 0;
  return g_ascii_strtod (line + strlen (field), NULL) / 1024.0;
}

/* The resident set after each phase, for the report. */
#define MAX_PHASES 16
static const char *phase_names[MAX_PHASES];
static double      phase_rss[MAX_PHASES];
static guint       n_phases;

static void
mark_phase (const char *name)
{
  if (n_phases < MAX_PHASES)
    {
      phase_names[n_phases] = name;
      phase_rss[n_phases++] = status_mb ("VmRSS:");
    }
}

static double
now_ms (void)
{
  return (double) g_get_monotonic_time () / 1000.0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  g_array_sort (values, compare_doubles);
  if (values->len == 0)
    return 0;
  return g_array_index (values, double, MIN ((guint) (p * values->len), values->len - 1));
}

/* A 1 ms heartbeat on the main loop: the longest gap is the worst stall. */
static gboolean
heartbeat_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick > 0)
    worst_gap = MAX (worst_gap, now - last_tick);
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
page_shown_cb (KiosReaderView *view,
               gpointer        data)
{
  shown = TRUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  if (shown && (spread_view == NULL || kios_reader_view_get_right_page (spread_view) != NULL))
    painted = TRUE;
}

/* Iterates until a frame was painted after reset_wait () (no page needed). */
static void
wait_for_frame (void)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  shown = TRUE;
  while (!painted)
    {
      if (g_get_monotonic_time () > end)
        g_error ("No frame was painted within 10 s");
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Highlights (60 characters every 300) from a position on, through its
 * chapter and the next two, stored as the reader would: ranges of positions. */
static guint
add_highlights (KiosLibraryStore   *store,
                const char         *hash,
                const KiosPosition *from)
{
  const char    *colors[] = { "yellow", "green", "blue", "red" };
  KiosBookFormat format = from->format;
  guint          n = 0;

  for (int chapter = from->chapter; chapter < from->chapter + 3; chapter++)
    for (gint64 offset = chapter == from->chapter ? from->offset : 0; offset < 250000; offset += 300)
      {
        g_autoptr (KiosAnnotation) annotation = kios_annotation_new ();
        g_autoptr (GError)         error = NULL;

        annotation->hash = g_strdup (hash);
        annotation->kind = KIOS_ANNOTATION_HIGHLIGHT;
        annotation->color = g_strdup (colors[n % 4]);
        annotation->start = kios_position_new ();
        annotation->start->format = format;
        annotation->start->chapter = chapter;
        annotation->start->offset = offset;
        annotation->end = kios_position_copy (annotation->start);
        annotation->end->offset = offset + 60;
        annotation->text = g_strdup ("bench");
        if (!kios_library_store_add_annotation (store, annotation, &error))
          g_error ("Cannot add a highlight: %s", error->message);
        n++;
      }
  return n;
}

static GtkGesture *
drag_gesture (GtkWidget *widget)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_DRAG (controller))
        return GTK_GESTURE (controller);
    }
  return NULL;
}

/* Iterates until the view showed a page and a frame with it was painted. */
static void
wait_for_painted_page (void)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!(shown && painted))
    {
      if (g_get_monotonic_time () > end)
        g_error ("No page was painted within 30 s");
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
reset_wait (void)
{
  shown = FALSE;
  painted = FALSE;
}

static void
pause_ms (int ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (500);
}

/* n page turns, reading each page for a moment: the time from the action
 * to the next page painted into times, the longest the main loop was held
 * up within each into stalls (or NULL; the rest is waiting for the
 * worker's page), and how many pages had highlights into with_runs. */
static void
timed_turns (KiosReaderView *view,
             int             n,
             GArray         *times,
             GArray         *stalls,
             int            *with_runs)
{
  for (int i = 0; i < n; i++)
    {
      double t0, dt;

      pause_ms (READ_MS);
      if (with_runs != NULL && kios_reader_view_get_highlight_runs (view)->len > 0)
        (*with_runs)++;
      reset_wait ();
      worst_gap = 0;
      last_tick = g_get_monotonic_time ();
      t0 = now_ms ();
      gtk_widget_activate_action (GTK_WIDGET (view), "reader.next-page", NULL);
      wait_for_painted_page ();
      dt = now_ms () - t0;
      g_array_append_val (times, dt);
      dt = worst_gap / 1000.0;
      if (stalls != NULL)
        g_array_append_val (stalls, dt);
    }
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  KiosDocument     **doc = data;
  g_autoptr (GError) error = NULL;

  *doc = kios_document_open_finish (result, &error);
  if (*doc == NULL)
    g_error ("Cannot open the book: %s", error->message);
}

static KiosDocument *
open_book (const char *book)
{
  KiosDocument *doc = NULL;

  kios_document_open_async (book, NULL, opened_cb, &doc);
  while (doc == NULL)
    g_main_context_iteration (NULL, TRUE);
  return doc;
}

int
main (int   argc,
      char *argv[])
{
  gboolean                     prepare = argc > 2 && g_strcmp0 (argv[1], "--prepare") == 0;
  const char                  *book = prepare ? argv[2] : argc > 1 ? argv[1]
                                                                   : "tests/books/kjv-bible.epub";
  g_autofree char             *tmp = prepare ? g_strdup (argv[3]) : g_dir_make_tmp ("kios-bench-ui-XXXXXX", NULL);
  g_autofree char             *db = g_build_filename (tmp, "library.db", NULL);
  g_autoptr (GArray)           turns = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           spread_turns = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           cold_spread_turns = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosPosition)     saved = NULL;
  g_autoptr (GError)           error = NULL;
  GtkWidget                   *window;
  KiosReaderView              *view;
  double                       resume_ms, font_ms, sidebar_ms, start;
  g_autoptr (GArray)           marked_turns = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           marked_stalls = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           plain_turns = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           plain_stalls = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           drags = g_array_new (FALSE, FALSE, sizeof (double));
  guint                        n_highlights = 0;
  int                          pages_with_highlights = 0;
  gint64                       count_stall = 0;
  struct rusage                usage;

  g_setenv ("XDG_DATA_HOME", tmp, TRUE);
  g_setenv ("XDG_CACHE_HOME", tmp, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  store = kios_library_store_new (db, &error);
  if (store == NULL)
    g_error ("Cannot create the library: %s", error->message);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 1000);
  view = kios_reader_view_new ();
  kios_reader_view_set_store (view, store);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  g_signal_connect (view, "page-shown", G_CALLBACK (page_shown_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (GTK_WIDGET (view)))
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (view)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
  g_timeout_add (1, heartbeat_cb, NULL);

  /* A first reading session, in a process of its own (yesterday's), leaves
   * a position 95 % into the book and the book's caches behind. */
  if (!prepare)
    {
      g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
      const char      *child_argv[] = { self_exe, "--prepare", book, tmp, NULL };
      g_autofree char *out = NULL;
      g_autofree char *hash = NULL;
      int              status = 0;

      if (!g_spawn_sync (NULL, (char **) child_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                         &out, NULL, &status, &error) ||
          !g_spawn_check_wait_status (status, &error))
        g_error ("The first session failed: %s", error->message);
      count_stall = g_ascii_strtoll (out, NULL, 10);
      hash = kios_book_hash_file (book, &error);
      saved = hash != NULL ? kios_library_store_get_position (store, hash, &error) : NULL;
      if (saved == NULL)
        g_error ("The first session saved no position: %s", error->message);
    }
  else
    {
      g_autoptr (KiosDocument) doc = open_book (book);
      g_autoptr (KiosPosition) target = kios_position_new ();
      gint64                   end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

      target->format = kios_document_get_format (doc);
      target->chapter = -1;
      target->total_progress = 0.95;
      reset_wait ();
      kios_reader_view_open (view, doc, NULL);
      wait_for_painted_page ();
      reset_wait ();
      kios_reader_view_go_to_position (view, target);
      wait_for_painted_page ();
      saved = kios_position_copy (kios_reader_view_get_position (view));

      /* Let the page count finish, measuring the main loop meanwhile. */
      worst_gap = 0;
      last_tick = 0;
      while (kios_document_get_n_pages (doc) < 0 && g_get_monotonic_time () < end)
        g_main_context_iteration (NULL, TRUE);
      count_stall = worst_gap;
      kios_reader_view_close (view);
      kios_library_store_flush (store, 10000);
      printf ("%" G_GINT64_FORMAT "\n", count_stall);
      return 0;
    }

  /* Resume: open the book and paint the saved page. */
  {
    g_autoptr (KiosDocument) doc = NULL;

    start = now_ms ();
    doc = open_book (book);
    reset_wait ();
    kios_reader_view_open (view, doc, saved);
    wait_for_painted_page ();
    resume_ms = now_ms () - start;
    mark_phase ("after resume");

    /* Page turns, reading each page for a moment. */
    timed_turns (view, N_TURNS, turns, NULL, NULL);
    mark_phase ("after 200 page turns");

    pause_ms (READ_MS);
    reset_wait ();
    start = now_ms ();
    g_object_set (view, "font-size", 24.0, NULL);
    wait_for_painted_page ();
    font_ms = now_ms () - start;
    mark_phase ("after the font-size change");

    /* The same turns with highlights on every page: the book reopened
     * where it is, with its highlights loaded. */
    {
      g_autoptr (KiosPosition) middle = kios_position_new ();
      g_autoptr (KiosPosition) here = NULL;

      /* From the middle of the book: the first turns may have reached its end. */
      middle->format = kios_document_get_format (doc);
      middle->chapter = -1;
      middle->total_progress = 0.5;
      reset_wait ();
      kios_reader_view_go_to_position (view, middle);
      wait_for_painted_page ();
      here = kios_position_copy (kios_reader_view_get_position (view));
      mark_phase ("after going to the middle");

      /* The baseline: the same turns from there without highlights (the
       * highlighted pass after it finds the book's chapters laid out). */
      timed_turns (view, N_HIGHLIGHT_TURNS, plain_turns, plain_stalls, NULL);
      mark_phase ("after 100 turns without highlights");

      n_highlights = add_highlights (store, kios_document_get_hash (doc), here);
      reset_wait ();
      kios_reader_view_open (view, doc, here);
      wait_for_painted_page ();
      pause_ms (500);
      mark_phase ("after reopening with highlights");
    }
    timed_turns (view, N_HIGHLIGHT_TURNS, marked_turns, marked_stalls, &pages_with_highlights);
    mark_phase ("after 100 turns with highlights");

    /* A drag over the page: each update selects further, and only the
     * overlay is painted again. */
    pause_ms (300);
    {
      GtkGesture         *drag = drag_gesture (GTK_WIDGET (view));
      const KiosPageText *text = kios_reader_view_get_page_text (view);
      graphene_rect_t     rect;

      if (drag == NULL || text == NULL || text->chars->len < 200 || !kios_reader_view_get_page_rect (view, &rect))
        g_error ("No page text to select on");
      g_signal_emit_by_name (drag, "drag-begin", rect.origin.x + 2.0, rect.origin.y + 4.0);
      for (int i = 0; i < N_DRAG_UPDATES; i++)
        {
          double t0, dt;

          /* A pointer reports motion at about 50 Hz: each update finds
           * the frame clock idle, so what is timed is the repaint, not
           * the wait for the next frame slot. */
          pause_ms (20);
          reset_wait ();
          t0 = now_ms ();
          g_signal_emit_by_name (drag, "drag-update", rect.size.width * ((i % 10) + 1) / 11.0,
                                 rect.size.height * (i + 1) / (N_DRAG_UPDATES + 2.0));
          wait_for_frame ();
          dt = now_ms () - t0;
          g_array_append_val (drags, dt);
        }
      g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
      if (!kios_reader_view_get_selection (view, NULL, NULL))
        g_error ("The drag selected nothing");
      mark_phase ("after the selection drag");
    }

    /* Two pages side by side, from the middle of the book: a turn shows
     * the next two. The first pass lays the pages out at the spread's new
     * width while the book's pages are counted again (cold); the second
     * reads the same pages again, as the single-page turns above do after
     * yesterday's session (warm). */
    {
      g_autoptr (KiosPosition) middle = kios_position_new ();

      middle->format = kios_document_get_format (doc);
      middle->chapter = -1;
      middle->total_progress = 0.5;
      spread_view = view;
      kios_reader_view_set_page_layout (view, KIOS_PAGE_LAYOUT_SPREAD);
      for (int pass = 0; pass < 2; pass++)
        {
          reset_wait ();
          kios_reader_view_go_to_position (view, middle);
          wait_for_painted_page ();
          timed_turns (view, N_TURNS / 2, pass == 0 ? cold_spread_turns : spread_turns, NULL, NULL);
        }
      spread_view = NULL;
      mark_phase ("after 200 spread turns");
    }

    /* The annotations sidebar opened on all those highlights. */
    reset_wait ();
    start = now_ms ();
    gtk_widget_activate_action (GTK_WIDGET (view), "reader.show-annotations", NULL);
    wait_for_painted_page ();
    sidebar_ms = now_ms () - start;
    mark_phase ("after opening the annotations sidebar");
  }

  getrusage (RUSAGE_SELF, &usage);

  printf ("Kios reader view benchmark: %s, window 900x1000, %d turns, %d ms on each page\n\n",
          book, N_TURNS, READ_MS);
  printf ("%-52s %9.1f ms   (target <= 50 ms)\n", "resume at 95 %: open call to page painted", resume_ms);
  printf ("%-52s %9.2f ms\n", "page turn: action to next page painted, p50", percentile (turns, 0.5));
  printf ("%-52s %9.2f ms   (target <= 16 ms)\n", "page turn: action to next page painted, p95",
          percentile (turns, 0.95));
  printf ("%-52s %9.2f ms\n", "page turn: worst", percentile (turns, 1.0));
  printf ("%-52s %9.1f ms   (target <= 100 ms)\n", "font-size change: same words painted", font_ms);
  printf ("%-52s %9.2f ms\n", "spread turn, new width: both pages painted, p50", percentile (cold_spread_turns, 0.5));
  printf ("%-52s %9.2f ms\n", "spread turn, new width: both pages painted, p95", percentile (cold_spread_turns, 0.95));
  printf ("%-52s %9.2f ms\n", "spread turn: action to both pages painted, p50", percentile (spread_turns, 0.5));
  printf ("%-52s %9.2f ms   (target <= 16 ms)\n", "spread turn: action to both pages painted, p95",
          percentile (spread_turns, 0.95));
  printf ("%-52s %9.2f ms\n", "spread turn: worst", percentile (spread_turns, 1.0));
  printf ("%-52s %9.2f ms\n", "page turn from the middle, no highlights, p50", percentile (plain_turns, 0.5));
  printf ("%-52s %9.2f ms\n", "page turn from the middle, no highlights, p95", percentile (plain_turns, 0.95));
  printf ("%-52s %9.2f ms\n", "  longest main-loop stall within such a turn, p95", percentile (plain_stalls, 0.95));
  printf ("%-52s %9.2f ms\n", "page turn with highlights, p50", percentile (marked_turns, 0.5));
  printf ("%-52s %9.2f ms   (target <= 16 ms)\n", "page turn with highlights, p95", percentile (marked_turns, 0.95));
  printf ("%-52s %9.2f ms\n", "  longest main-loop stall within such a turn, p95", percentile (marked_stalls, 0.95));
  printf ("%-52s %9d of %d (%u highlights stored)\n", "  pages that had highlights painted", pages_with_highlights,
          N_HIGHLIGHT_TURNS, n_highlights);
  printf ("%-52s %9.2f ms\n", "selection drag: update to overlay painted, p50", percentile (drags, 0.5));
  printf ("%-52s %9.2f ms   (target <= 16 ms)\n", "selection drag: update to overlay painted, p95",
          percentile (drags, 0.95));
  printf ("%-52s %9.1f ms\n", "annotations sidebar: action to page painted beside it", sidebar_ms);
  printf ("%-52s %9.1f ms   (target <= 16 ms)\n", "longest main-loop stall while counting pages",
          count_stall / 1000.0);
  printf ("%-52s %9.1f MB   (target <= 150 MB)\n", "peak RSS of the session (GTK, the book, 200 pages)",
          usage.ru_maxrss / 1024.0);
  for (guint i = 0; i < n_phases; i++)
    printf ("  RSS %-47s %9.1f MB\n", phase_names[i], phase_rss[i]);

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
