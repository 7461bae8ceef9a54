/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-library-store.h"
#include "kios-paths.h"

#include <gio/gio.h>

/* The library file of the running test case (its isolated data directory),
 * opened and closed the way the library-removal tests share. */

static inline KiosLibraryStore *
kios_test_remove_open_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = kios_paths_library_db ();
  KiosLibraryStore  *store = kios_library_store_new (path, &error);

  g_assert_no_error (error);
  return store;
}

/* Lets idles and the store's replies on the default context run out. */
static inline void
kios_test_remove_drain (void)
{
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

/* Waits for every queued write, then checks nothing else holds the store. */
static inline void
kios_test_remove_close_store (KiosLibraryStore *store)
{
  g_assert_true (kios_library_store_flush (store, 10000));
  kios_test_remove_drain ();
  g_assert_finalize_object (store);
}
