/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-store-writer"

#include "config.h"

#include "kios-library-store.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * Helper for test-library-store's kill -9 test: saves positions for one book
 * in a tight loop, and after each flush prints the acknowledged number (the
 * position's offset) on its own line. The test kills it with SIGKILL at a
 * random moment and checks the database afterwards.
 *
 *   store-writer DB_PATH HASH FIRST
 *
 * Bounded: it stops by itself after MAX_SECONDS, so a lost test never
 * leaves it running.
 */

#define MAX_SECONDS 60

int
main (int    argc,
      char **argv)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GError)           error = NULL;
  KiosBookRecord               book = { 0 };
  gint64                       first;
  gint64                       deadline;

  if (argc != 4)
    {
      fprintf (stderr, "usage: store-writer DB_PATH HASH FIRST\n");
      return 2;
    }

  first = g_ascii_strtoll (argv[3], NULL, 10);
  store = kios_library_store_new (argv[1], &error);
  if (store == NULL)
    {
      fprintf (stderr, "store-writer: %s\n", error->message);
      return 1;
    }

  book.hash = argv[2];
  book.path = (char *) "/books/kill-test.epub";
  book.format = (char *) "epub";
  book.title = (char *) "Kill test";
  kios_library_store_upsert_book (store, &book);

  deadline = g_get_monotonic_time () + MAX_SECONDS * G_USEC_PER_SEC;
  for (gint64 i = first; g_get_monotonic_time () < deadline; i++)
    {
      g_autoptr (KiosPosition) pos = kios_position_new ();

      pos->format = KIOS_BOOK_FORMAT_EPUB;
      pos->chapter = (int) (i % 1000);
      pos->offset = i;
      pos->chapter_href = g_strdup_printf ("OEBPS/ch%03d.xhtml", pos->chapter);
      pos->chapter_title = g_strdup_printf ("Chapitre n° %" G_GINT64_FORMAT, i);
      pos->xpointer = g_strdup_printf ("/body/DocFragment[%d]/body/p[%" G_GINT64_FORMAT "]/text().0",
                                       pos->chapter + 1, i);
      pos->total_progress = (double) (i % 1000) / 1000.0;
      pos->updated_at = 1700000000 + i;
      pos->device = g_strdup ("store-writer");
      pos->device_id = g_strdup ("0123456789ABCDEF0123456789ABCDEF");

      kios_library_store_save_position (store, argv[2], pos);
      /* Every few saves, also a log row, so WAL checkpoints and trims happen
       * while the process may be killed. */
      if (i % 7 == 0)
        kios_library_store_log_sync (store, argv[2], "kill-test", "save", pos->chapter_title);

      if (!kios_library_store_flush (store, 10000))
        {
          fprintf (stderr, "store-writer: flush timed out\n");
          return 1;
        }
      printf ("%" G_GINT64_FORMAT "\n", i);
      fflush (stdout);
    }

  return 0;
}
