/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-fake-kobo.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * A fake Kobo sync server (the tests' own, tests/fakes/kios-fake-kobo.c)
 * with a library of N generated books, for bench/kobo-sync.sh: prints the
 * sync URL on one line, serves until its standard input closes, then
 * prints how many sync pages it answered.
 *
 *   kios-bench-kobo-server N EPUB [cwa|komga]
 */

int
main (int    argc,
      char **argv)
{
  g_autoptr (KiosFakeKobo) kobo = NULL;
  g_autofree char         *url = NULL;
  KiosFakeKoboFamily       family = KIOS_FAKE_KOBO_CWA;
  char                     buffer[64];

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s N EPUB [cwa|komga]\n", argv[0]);
      return 2;
    }
  if (argc > 3 && g_str_equal (argv[3], "komga"))
    family = KIOS_FAKE_KOBO_KOMGA;
  kobo = kios_fake_kobo_new (family);
  kios_fake_kobo_add_generated (kobo, (guint) strtoul (argv[1], NULL, 10), argv[2]);
  url = kios_fake_kobo_get_base_url (kobo);
  printf ("%s\n", url);
  fflush (stdout);
  while (fgets (buffer, sizeof buffer, stdin) != NULL)
    ;
  printf ("sync-pages %u\n", kios_fake_kobo_count_requests (kobo, "GET", "/v1/library/sync"));
  return 0;
}
