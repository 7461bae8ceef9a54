/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kios-test-threads.h"

G_BEGIN_DECLS

/* The bundled sample books (tests/books), found through KIOS_SAMPLE_BOOKS. */
static inline char *
kios_test_book (const char *name)
{
  const char *dir = g_getenv ("KIOS_SAMPLE_BOOKS");

  if (dir == NULL)
    return g_build_filename (TEST_SRCDIR, "books", name, NULL);
  return g_build_filename (dir, name, NULL);
}

/* Iterates the default main context until *flag is set, failing after timeout_ms. */
static inline void
kios_test_wait_for (gboolean *flag,
                    guint     timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!*flag)
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out after %u ms", timeout_ms);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
}

/* CPU time of the calling thread, in microseconds: a bound on it holds on a
 * loaded machine, where a wall-clock one fails whenever the scheduler
 * looks away. */
static inline gint64
kios_test_thread_cpu_us (void)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts), ==, 0);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static inline void
kios_test_run_then_wait_workers (gconstpointer data)
{
  const GTestFunc *func = data;

  (*func) ();
  kios_test_wait_workers_ended (60000);
}

/* g_test_add_func for a test that opens documents: it ends only once their
 * workers have, so none outlives its test's directories. */
static inline void
kios_test_add_func (const char *path,
                    GTestFunc   func)
{
  GTestFunc *data = g_new (GTestFunc, 1);

  *data = func;
  g_test_add_data_func_full (path, data, kios_test_run_then_wait_workers, g_free);
}

/* Whether this process has a shared library whose path holds name mapped
 * (one loaded on first use must not be there before it). */
static inline gboolean
kios_test_library_mapped (const char *name)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, name) != NULL;
}

G_END_DECLS
