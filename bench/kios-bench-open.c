/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * kios-bench-open: what a first open of a book costs inside the process,
 * stage by stage, next to a resume of the same book in the same run.
 *
 *   kios-bench-open [EPUB] [--rounds N]    (the KJV sample by default)
 *
 * Each round times, with a cache directory of its own:
 *   - the stages a first open runs on the document thread (format, hash,
 *     container and package, archive scan), each alone;
 *   - open + the first page rendered, three ways: nothing seen before
 *     (first), only the archive scan's verdict kept (verdict), everything
 *     kept (resume).
 * It prints the medians. It uses a private XDG tree (nothing of the user's
 * library is touched).
 */

#include "config.h"

#include "kios-archive-limits.h"
#include "kios-book-format.h"
#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-epub.h"
#include "kios-mupdf.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WIDTH 600
#define HEIGHT 800
#define FONT 18

static double
now_ms (void)
{
  return (double) g_get_monotonic_time () / 1000.0;
}

/* CPU time of the whole process (the document thread works while this one
 * waits): steadier than the clock on a loaded machine. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  if (values->len == 0)
    return -1;
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char      *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

/* Leaves only the named subdirectory of the cache (NULL: nothing). */
static void
keep_only (const char *cache,
           const char *keep)
{
  g_autoptr (GDir) dir = g_dir_open (cache, 0, NULL);
  const char      *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      if (keep == NULL || strcmp (name, keep) != 0)
        {
          g_autofree char *child = g_build_filename (cache, name, NULL);

          remove_tree (child);
        }
}

/* Open, then the book's first page at the layout a reader uses. */
static void
open_and_render (const char *book,
                 double     *wall,
                 double     *cpu)
{
  g_autoptr (GError)       error = NULL;
  double                   start = now_ms ();
  double                   start_cpu = cpu_ms ();
  g_autoptr (KiosDocument) doc = kios_document_open_sync (book, &error);
  KiosLayout               layout = { WIDTH, HEIGHT, FONT, 0 };
  KiosPageRequest          request;
  g_autoptr (KiosPage)     page = NULL;

  if (doc == NULL)
    g_error ("Cannot open %s: %s", book, error->message);
  kios_document_set_layout (doc, &layout);
  /* The background work that follows the first page would bleed into the next round. */
  kios_document_hold_background (doc, TRUE);
  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ 0, 0 };
  request.box_width = WIDTH;
  request.box_height = HEIGHT;
  request.scale = 1.0;
  page = kios_document_render_sync (doc, &request, &error);
  if (page == NULL)
    g_error ("Cannot render %s: %s", book, error->message);
  *wall = now_ms () - start;
  *cpu = cpu_ms () - start_cpu;
}

int
main (int   argc,
      char *argv[])
{
  const char      *book = argc > 1 && argv[1][0] != '-' ? argv[1] : "tests/books/kjv-bible.epub";
  int              rounds = 5;
  g_autofree char *tmp = g_dir_make_tmp ("kios-bench-open-XXXXXX", NULL);
  g_autofree char *data_home = g_build_filename (tmp, "data", NULL);
  g_autofree char *cache_home = g_build_filename (tmp, "cache", NULL);
  g_autofree char *kios_cache = g_build_filename (cache_home, "kios", NULL);
  const char      *names[] = { "format", "hash", "package", "scan", "first", "verdict", "resume" };
  GArray          *times[G_N_ELEMENTS (names)], *cpus[G_N_ELEMENTS (names)];
  fz_context      *ctx;

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--rounds") == 0 && i + 1 < argc)
      {
        rounds = atoi (argv[++i]);
        rounds = MAX (rounds, 1);
      }

  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      times[i] = g_array_new (FALSE, FALSE, sizeof (double));
      cpus[i] = g_array_new (FALSE, FALSE, sizeof (double));
    }
  ctx = kios_mupdf_new_context ();

  for (int r = 0; r < rounds; r++)
    {
      g_autoptr (GError)          error = NULL;
      g_autoptr (KiosEpub)        epub = NULL;
      g_autoptr (KiosArchiveScan) scan = NULL;
      g_autofree char            *hash = NULL;
      double                      t[G_N_ELEMENTS (names)], c[G_N_ELEMENTS (names)];
      double                      start, start_cpu;

      keep_only (kios_cache, NULL);
#define STAGE(n, call)      \
  start = now_ms ();        \
  start_cpu = cpu_ms ();    \
  call;                     \
  t[n] = now_ms () - start; \
  c[n] = cpu_ms () - start_cpu
      STAGE (0, if (kios_book_format_detect (book, &error) == KIOS_BOOK_FORMAT_UNKNOWN)
                    g_error ("%s: %s", book, error->message));
      STAGE (1, hash = kios_book_hash_file (book, &error));
      STAGE (2, epub = kios_epub_open (book, &error));
      if (epub == NULL)
        g_error ("%s: %s", book, error->message);
      STAGE (3, scan = kios_archive_scan_new (epub, ctx, &error));
      if (scan == NULL)
        g_error ("%s: %s", book, error->message);
#undef STAGE

      keep_only (kios_cache, NULL);
      open_and_render (book, &t[4], &c[4]);
      keep_only (kios_cache, "archive-scans");
      open_and_render (book, &t[5], &c[5]);
      open_and_render (book, &t[6], &c[6]);
      open_and_render (book, &t[6], &c[6]);

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_array_append_val (times[i], t[i]);
          g_array_append_val (cpus[i], c[i]);
        }
    }

  printf ("First open of %s, stages on the document thread and open + first page (%d rounds)\n", book,
          rounds);
  printf ("%-8s %11s %11s\n", "", "wall", "CPU");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      printf ("%-8s %8.1f ms %8.1f ms\n", names[i], median (times[i]), median (cpus[i]));
      g_array_unref (times[i]);
      g_array_unref (cpus[i]);
    }
  fz_drop_context (ctx);
  remove_tree (tmp);
  return 0;
}
