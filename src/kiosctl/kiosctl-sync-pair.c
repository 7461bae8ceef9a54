/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-sync"

#include "config.h"

#include "kiosctl-sync-private.h"

#include "kios-book-hash.h"
#include "kios-error.h"
#include "kios-sync-pairing.h"

#include <stdio.h>
#include <string.h>

/* `kiosctl sync pair FILE SOURCE BOOK-ID` · `kiosctl sync unpair FILE SOURCE`:
 * a local book named by hand with a server's entry (kios-sync-pairing.h). */

static int
pair (int      argc,
      char   **argv,
      gboolean on)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) source = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *path = NULL;
  g_autofree char             *hash = NULL;
  const char                  *file = argv[1];
  const char                  *name = argv[2];

  if (on ? argc != 4 : argc != 3)
    return kiosctl_usage (on ? "sync pair needs FILE SOURCE BOOK-ID" : "sync unpair needs FILE SOURCE");
  path = g_canonicalize_filename (file, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return kiosctl_fail ("“%s” is not a file", file);
  hash = kios_book_hash_file (path, &error);
  if (hash == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot read “%s”", file);
  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");
  source = kios_library_store_get_source (store, name, NULL);
  if (source == NULL)
    return kiosctl_fail ("no source named “%s”", name);

  if (!on)
    {
      kios_sync_pairing_clear (store, hash, source);
      if (!kios_library_store_flush_checked (store, 5000, &error))
        return kiosctl_fail_error_in (error, NULL, "cannot save the library");
      printf ("“%s” is no longer paired with “%s”\n", file, name);
      return KIOSCTL_EXIT_OK;
    }
  if (!kios_sync_pairing_set (store, hash, source, argv[3], &error))
    return kiosctl_fail ("cannot pair “%s” with “%s”: %s", file, name, error->message);
  if (!kios_library_store_flush_checked (store, 5000, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot save the library");
  printf ("Paired “%s” with %s on “%s”: its position syncs under that entry now\n", file, argv[3], name);
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_sync_pair_dispatch (int    argc,
                            char **argv)
{
  if (argc < 2)
    return -1;
  if (strcmp (argv[1], "pair") == 0)
    return pair (argc - 1, argv + 1, TRUE);
  if (strcmp (argv[1], "unpair") == 0)
    return pair (argc - 1, argv + 1, FALSE);
  return -1;
}
