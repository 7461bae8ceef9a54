/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * kios-bench-library: the library's start view at scale, in the real widget
 * under a display (bench/library-ui.sh runs it under Xvfb):
 *
 *   kios-bench-library search DB…   for each library (an empty one is made
 *       for "-"): the list painted after the view is given the library, then
 *       keystroke → results painted while typing queries into the search
 *       field and erasing them again (median, 90th percentile, worst).
 *   kios-bench-library import DIR   an empty library shown, DIR added as a
 *       books folder and imported in the background: books/s and the longest
 *       main-loop stall meanwhile (a 1 ms heartbeat), the view re-listing as
 *       the library changes, as in the app.
 *   kios-bench-library screenshot DB OUT.png   the view of that library once
 *       its covers are in.
 *
 * A keystroke is the text going into the search field (what a key press
 * commits); painted is the frame clock's after-paint of the first frame after
 * the view handled the search, so it includes the field's search delay.
 */

#define _GNU_SOURCE 1 /* RUSAGE_THREAD */

#include "config.h"

#include "kios-library.h"
#include "kios-start-view.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/resource.h>

#define PAUSE_MS 150 /* between keystrokes, a quick typist */

static const char *const queries[] = { "zola", "harbour lights", "émile", "the 9", "brontë" };

static gboolean searched;
static double   cpu_ms;  /* main-thread CPU time of the last keystroke */
static double   full_ms; /* the last keystroke → every result filtered and painted */
static gboolean painted;
static gint64   painted_at;
static gint64   last_tick;
static gint64   worst_gap;
static double   last_tick_cpu;
static double   worst_gap_cpu;

static double
thread_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0 + usage.ru_stime.tv_sec * 1000.0 +
         usage.ru_stime.tv_usec / 1000.0;
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

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  if (searched && !painted)
    {
      painted = TRUE;
      painted_at = g_get_monotonic_time ();
    }
}

static void
search_changed_cb (GtkSearchEntry *entry,
                   gpointer        data)
{
  searched = TRUE;
  /* A search that leaves the results as they were paints nothing new: a
   * frame is asked for all the same, and it is the one measured. */
  gtk_widget_queue_draw (GTK_WIDGET (entry));
}

static gboolean
heartbeat_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  double cpu = thread_cpu_ms ();

  /* The main thread's own CPU between two beats: a stall the machine's
   * load cannot lengthen (a thread waiting for a core uses none). */
  if (last_tick > 0)
    worst_gap_cpu = MAX (worst_gap_cpu, cpu - last_tick_cpu);
  last_tick_cpu = cpu;
  if (last_tick > 0)
    worst_gap = MAX (worst_gap, now - last_tick);

  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (500);
    }
}

static GtkWidget *
find_search_entry (GtkWidget *widget)
{
  if (GTK_IS_SEARCH_ENTRY (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_search_entry (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Waits for the view's list, then for a frame showing it; the time taken. */
static double
wait_listed (KiosStartView *view)
{
  double start = now_ms ();

  while (kios_start_view_is_loading (view))
    g_main_context_iteration (NULL, TRUE);
  searched = TRUE;
  painted = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (view));
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  searched = FALSE;
  return (double) painted_at / 1000.0 - start;
}

/* One keystroke: the edit, then the first frame after the view searched. */
static double
keystroke (KiosStartView *view,
           GtkEditable   *entry,
           const char    *insert)
{
  double first;
  gint64 start;
  double cpu_start;
  int    position = -1;
  int    end;

  searched = FALSE;
  painted = FALSE;
  cpu_start = thread_cpu_ms ();
  start = g_get_monotonic_time ();
  if (insert != NULL)
    {
      end = gtk_editable_get_position (entry);
      position = end;
      gtk_editable_insert_text (entry, insert, -1, &position);
      gtk_editable_set_position (entry, position);
    }
  else
    {
      end = g_utf8_strlen (gtk_editable_get_text (entry), -1);
      gtk_editable_delete_text (entry, end - 1, end);
    }
  while (!painted && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  first = painted ? (double) (painted_at - start) / 1000.0 : -1;
  /* The filter runs top first, the rest in idles: until the last frame. */
  if (kios_start_view_is_loading (view))
    {
      while (kios_start_view_is_loading (view))
        g_main_context_iteration (NULL, TRUE);
      painted = FALSE;
      gtk_widget_queue_draw (GTK_WIDGET (view));
      while (!painted)
        g_main_context_iteration (NULL, TRUE);
    }
  full_ms = (double) (painted_at - start) / 1000.0;
  cpu_ms = thread_cpu_ms () - cpu_start;
  if (g_getenv ("KIOS_BENCH_VERBOSE") != NULL)
    printf ("  “%s”: %.1f ms, all %.1f ms, main-thread CPU %.1f ms\n", gtk_editable_get_text (entry), first, full_ms,
            cpu_ms);
  return first;
}

static GtkWidget *
new_window (KiosStartView *view)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (GTK_WIDGET (view)))
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (view)), "after-paint", G_CALLBACK (after_paint_cb),
                    NULL);
  return window;
}

static KiosLibraryStore *
open_store (const char *db,
            char      **tmp)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = NULL;
  KiosLibraryStore  *store;

  if (g_strcmp0 (db, "-") == 0)
    {
      *tmp = g_dir_make_tmp ("kios-bench-library-XXXXXX", NULL);
      path = g_build_filename (*tmp, "library.db", NULL);
    }
  else
    path = g_strdup (db);
  store = kios_library_store_new (path, &error);
  if (store == NULL)
    g_error ("Cannot open the library %s: %s", path, error->message);
  return store;
}

static void
bench_search (const char *db)
{
  g_autofree char             *tmp = NULL;
  g_autoptr (KiosLibraryStore) store = open_store (db, &tmp);
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  g_autoptr (GArray)           typing = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           erasing = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray)           full = g_array_new (FALSE, FALSE, sizeof (double));
  KiosStartView               *view = kios_start_view_new ();
  GtkWidget                   *window = new_window (view);
  GtkEditable                 *entry;
  double                       listed;
  guint                        n_books;
  g_autofree char             *label = NULL;

  kios_start_view_set_library (view, library);
  listed = wait_listed (view);
  n_books = kios_start_view_get_n_books (view);
  label = g_strdup_printf ("library of %u books", n_books);
  if (n_books == 0)
    {
      /* No search field without books: the list figure only. */
      printf ("%-24s list painted after setting the library: %7.1f ms\n", label, listed);
      gtk_window_destroy (GTK_WINDOW (window));
      spin_for (50);
      return;
    }
  entry = GTK_EDITABLE (find_search_entry (GTK_WIDGET (view)));
  g_signal_connect (entry, "search-changed", G_CALLBACK (search_changed_cb), NULL);
  gtk_widget_grab_focus (GTK_WIDGET (entry));
  spin_for (300);

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      for (const char *p = queries[q]; *p != '\0'; p = g_utf8_next_char (p))
        {
          char   one[8] = { 0 };
          double ms;

          memcpy (one, p, g_utf8_next_char (p) - p);
          ms = keystroke (view, entry, one);
          if (ms >= 0)
            g_array_append_val (typing, ms);
          g_array_append_val (full, full_ms);
          g_array_append_val (cpu, cpu_ms);
          spin_for (PAUSE_MS);
        }
      while (*gtk_editable_get_text (entry) != '\0')
        {
          double ms = keystroke (view, entry, NULL);

          if (ms >= 0)
            g_array_append_val (erasing, ms);
          g_array_append_val (full, full_ms);
          g_array_append_val (cpu, cpu_ms);
          spin_for (PAUSE_MS);
        }
    }

  printf ("%-24s list painted after setting the library: %7.1f ms\n", label, listed);
  printf ("%-24s keystroke → painted, typing  (%3u keys): median %5.1f ms, p90 %5.1f ms, worst %5.1f ms\n",
          label, typing->len, percentile (typing, 0.5), percentile (typing, 0.9), percentile (typing, 1.0));
  printf ("%-24s keystroke → painted, erasing (%3u keys): median %5.1f ms, p90 %5.1f ms, worst %5.1f ms\n",
          label, erasing->len, percentile (erasing, 0.5), percentile (erasing, 0.9), percentile (erasing, 1.0));
  printf ("%-24s keystroke → every result painted      : median %5.1f ms, p90 %5.1f ms, worst %5.1f ms\n", label,
          percentile (full, 0.5), percentile (full, 0.9), percentile (full, 1.0));
  /* What the machine's load cannot inflate: the main thread's own work. */
  printf ("%-24s main-thread CPU per keystroke (search, layout, paint): median %5.1f ms, p90 %5.1f ms, worst %5.1f ms\n",
          label, percentile (cpu, 0.5), percentile (cpu, 0.9), percentile (cpu, 1.0));
  fflush (stdout);

  gtk_window_destroy (GTK_WINDOW (window));
  spin_for (50);
}

static void
import_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  guint              n_added = 0;
  guint             *done = user_data;

  if (!kios_library_rescan_finish (KIOS_LIBRARY (source_object), result, &n_added, NULL, &error))
    g_error ("The import failed: %s", error->message);
  done[0] = TRUE;
  done[1] = n_added;
}

static void
bench_import (const char *dir)
{
  g_autofree char             *tmp = NULL;
  g_autoptr (KiosLibraryStore) store = open_store ("-", &tmp);
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  g_autoptr (GError)           error = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWidget                   *window = new_window (view);
  guint                        done[2] = { FALSE, 0 };
  double                       start, seconds, cpu_start;
  guint                        heartbeat;

  kios_start_view_set_library (view, library);
  wait_listed (view);
  if (!kios_library_add_folder (library, dir, &error))
    g_error ("Cannot add %s: %s", dir, error->message);

  heartbeat = g_timeout_add (1, heartbeat_cb, NULL);
  last_tick = 0;
  worst_gap = 0;
  worst_gap_cpu = 0;
  start = now_ms ();
  cpu_start = thread_cpu_ms ();
  kios_library_rescan_async (library, NULL, import_done_cb, done);
  while (!done[0])
    g_main_context_iteration (NULL, TRUE);
  seconds = (now_ms () - start) / 1000.0;
  /* The last re-list after the import, still measured. */
  spin_for (200);
  while (kios_start_view_is_loading (view))
    g_main_context_iteration (NULL, TRUE);
  spin_for (200);
  g_source_remove (heartbeat);

  printf ("import of %u books into the shown library: %.1f s = %.0f books/s\n", done[1], seconds,
          done[1] / seconds);
  printf ("%-52s %7.1f ms   (target <= 16 ms)\n", "longest main-loop stall while importing",
          worst_gap / 1000.0);
  printf ("%-52s %7.1f ms\n", "  the longest stall in main-thread CPU (no load)", worst_gap_cpu);
  printf ("%-52s %7.1f ms\n", "main-thread CPU during the import and the re-list", thread_cpu_ms () - cpu_start);
  printf ("%-52s %7u\n", "books listed in the view afterwards", kios_start_view_get_n_books (view));
  fflush (stdout);

  gtk_window_destroy (GTK_WINDOW (window));
  spin_for (50);
}

/* The view of a library as it looks once its covers are in, as a PNG. */
static void
screenshot (const char *db,
            const char *out)
{
  g_autofree char             *tmp = NULL;
  g_autoptr (KiosLibraryStore) store = open_store (db, &tmp);
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  g_autoptr (GdkPaintable)     paintable = NULL;
  g_autoptr (GskRenderNode)    node = NULL;
  g_autoptr (GdkTexture)       texture = NULL;
  GtkSnapshot                 *snapshot;
  KiosStartView               *view = kios_start_view_new ();
  GtkWidget                   *window = new_window (view);
  int                          width, height;

  kios_start_view_set_library (view, library);
  wait_listed (view);
  spin_for (4000);
  paintable = gtk_widget_paintable_new (window);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, out))
    g_error ("Cannot write %s", out);
  printf ("%u books: %s\n", kios_start_view_get_n_books (view), out);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  GtkCssProvider *provider;

  if (argc < 3 || (g_strcmp0 (argv[1], "search") != 0 && g_strcmp0 (argv[1], "import") != 0 &&
                   (g_strcmp0 (argv[1], "screenshot") != 0 || argc < 4)))
    {
      fprintf (stderr, "usage: %s search DB|- …\n       %s import DIR\n       %s screenshot DB OUT.png\n",
               argv[0], argv[0], argv[0]);
      return 2;
    }

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/app/kios/Kios/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref (provider);

  if (g_str_equal (argv[1], "search"))
    for (int i = 2; i < argc; i++)
      bench_search (argv[i]);
  else if (g_str_equal (argv[1], "import"))
    bench_import (argv[2]);
  else
    screenshot (argv[2], argv[3]);

  return 0;
}
