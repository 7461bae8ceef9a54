/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * kios-bench-local-books DB: the "On This Computer" page opened on a library
 * (bench/local-books.sh runs it under Xvfb, "-" for an empty library): the
 * page shown in a window → its books listed and painted (ms), the widgets
 * it holds then, and the process's RSS before and after (MB) and at peak.
 */

#include "config.h"

#include "kios-local-books.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static gboolean painted;

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  painted = TRUE;
}

static double
rss_mb (void)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtod (line + strlen ("VmRSS:"), NULL) / 1024.0 : 0;
}

static guint
count_widgets (GtkWidget *widget)
{
  guint n = 1;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_widgets (child);
  return n;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autofree char             *tmp = NULL;
  g_autofree char             *path = NULL;
  KiosLocalBooks              *page;
  GtkWidget                   *window;
  struct rusage                usage;
  double                       rss_before, rss_after, start, listed, shown;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DB|-\n", argv[0]);
      return 2;
    }
  gtk_init ();
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  if (g_str_equal (argv[1], "-"))
    {
      tmp = g_dir_make_tmp ("kios-bench-local-XXXXXX", NULL);
      path = g_build_filename (tmp, "library.db", NULL);
    }
  else
    path = g_strdup (argv[1]);
  store = kios_library_store_new (path, &error);
  if (store == NULL)
    g_error ("Cannot open the library %s: %s", path, error->message);

  /* The window first, without the page: what the page adds is measured. */
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (window))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  rss_before = rss_mb ();

  page = g_object_new (KIOS_TYPE_LOCAL_BOOKS, NULL);
  kios_local_books_set_store (page, store);
  start = g_get_monotonic_time () / 1000.0;
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  while (!gtk_widget_get_mapped (GTK_WIDGET (page)) || kios_local_books_is_loading (page))
    g_main_context_iteration (NULL, TRUE);
  listed = g_get_monotonic_time () / 1000.0 - start;
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb), NULL);
  painted = FALSE;
  gtk_widget_queue_draw (window);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  shown = g_get_monotonic_time () / 1000.0 - start;
  rss_after = rss_mb ();
  getrusage (RUSAGE_SELF, &usage);

  printf ("books %5u  listed %7.1f ms  painted %7.1f ms  widgets %6u  RSS %6.1f → %6.1f MB (+%.1f)  peak %6.1f MB\n",
          kios_local_books_get_n_books (page), listed, shown, count_widgets (GTK_WIDGET (page)), rss_before, rss_after,
          rss_after - rss_before, usage.ru_maxrss / 1024.0);
  fflush (stdout);

  gtk_window_destroy (GTK_WINDOW (window));
  if (tmp != NULL)
    {
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);

      g_clear_object (&store);
      g_unlink (wal);
      g_unlink (shm);
      g_unlink (path);
      g_rmdir (tmp);
    }
  return 0;
}
