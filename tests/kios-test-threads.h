/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>
#include <string.h>

#include "kios-document.h"

G_BEGIN_DECLS

/* The document worker threads still running in this process: each carries
 * KIOS_DOCUMENT_THREAD_NAME. */
static inline guint
kios_test_count_document_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char      *tid;
  guint            n = 0;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *name = NULL;

      /* A thread that ends between the listing and the read is gone. */
      if (g_file_get_contents (path, &name, NULL, NULL) &&
          strcmp (g_strchomp (name), KIOS_DOCUMENT_THREAD_NAME) == 0)
        n++;
    }
  return n;
}

/* A released document's worker finishes its current step on its own thread
 * (caches under the user cache directory) after the test has let go of it.
 * Still running when the next test starts, it races
 * G_TEST_OPTION_ISOLATE_DIRS, which frees and swaps those directories
 * (g_set_user_dirs is not thread-safe): a garbage path, a fatal warning.
 * Waits for every such thread to end, failing after timeout_ms. */
static inline void
kios_test_wait_workers_ended (guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint  n;

  while ((n = kios_test_count_document_threads ()) > 0)
    {
      if (g_get_monotonic_time () > end)
        g_error ("%u document worker threads still running after %u ms", n, timeout_ms);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

G_END_DECLS
