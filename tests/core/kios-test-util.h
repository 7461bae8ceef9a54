/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>
#include <string.h>

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
