/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-background"

#include "config.h"

#include "kios-library.h"
#include "kios-test-epub.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/*
 * A rescan in the background gives way to the window: its threads run at a
 * lower priority while it lasts, and the pool thread it ran on gets its
 * priority back after.
 */

#define N_BOOKS 300

typedef struct
{
  gint done;     /* atomic */
  gint max_nice; /* seen on any thread of the process meanwhile */
} Sampler;

/* The nice value of every thread of this process, the largest. */
static int
max_thread_nice (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char      *name;
  int              max = G_MININT;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "stat", NULL);
      g_autofree char *text = NULL;
      const char      *end;
      int              nice = 0;

      if (!g_file_get_contents (path, &text, NULL, NULL) || (end = strrchr (text, ')')) == NULL)
        continue;
      /* After "pid (comm)": state is field 3, nice field 19. */
      if (sscanf (end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d", &nice) == 1)
        max = MAX (max, nice);
    }
  return max;
}

static gpointer
sample_thread (gpointer data)
{
  Sampler *sampler = data;

  while (!g_atomic_int_get (&sampler->done))
    {
      int nice = max_thread_nice ();

      if (nice > g_atomic_int_get (&sampler->max_nice))
        g_atomic_int_set (&sampler->max_nice, nice);
      g_usleep (500);
    }
  return NULL;
}

static void
rescan_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  guint             *added = user_data;

  g_assert_true (kios_library_rescan_finish (KIOS_LIBRARY (source_object), result, added, NULL, &error));
  g_assert_no_error (error);
}

static void
test_library_background_priority (void)
{
  g_autofree char             *dir = g_build_filename (g_get_user_data_dir (), "Books", NULL);
  g_autofree char             *db = g_build_filename (g_get_user_data_dir (), "library.db", NULL);
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosLibrary)      library = NULL;
  Sampler                      sampler = { 0, G_MININT };
  GThread                     *thread;
  guint                        added = G_MAXUINT;
  int                          base = max_thread_nice ();

  if (base == G_MININT || base >= 10)
    {
      g_test_skip ("no /proc/self/task, or already at a low priority");
      return;
    }

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  for (guint i = 0; i < N_BOOKS; i++)
    {
      g_autofree char *name = g_strdup_printf ("book-%03u.epub", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *body = g_strdup_printf ("<p>Book %u of the background rescan.</p>", i);
      g_autofree char *xhtml = kios_test_xhtml (body);
      const char      *chapters[] = { xhtml };

      kios_test_epub_write (path, chapters, 1, NULL);
    }
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  library = kios_library_new (store);
  g_assert_true (kios_library_add_folder (library, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpint (max_thread_nice (), ==, base);

  thread = g_thread_new ("sampler", sample_thread, &sampler);
  kios_library_rescan_async (library, NULL, rescan_cb, &added);
  while (added == G_MAXUINT)
    g_main_context_iteration (NULL, TRUE);
  g_atomic_int_set (&sampler.done, TRUE);
  g_thread_join (thread);

  g_assert_cmpuint (added, ==, N_BOOKS);
  /* Lower while it ran; every thread back to where it was after. */
  g_assert_cmpint (sampler.max_nice, >, base);
  g_assert_cmpint (max_thread_nice (), ==, base);
  g_assert_true (kios_library_store_flush (store, 10000));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/library-background/priority", test_library_background_priority);

  return g_test_run ();
}
