/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * What a book opened at start costs before and after its first page. The
 * first page of a book opened for the first time does not wait for the
 * whole book's index. The page count lays out every chapter of the KJV, and
 * the chapters laid out only to be counted are not kept, so the reader's
 * memory stays near what the open page needs while it runs, and comes back
 * to it when it is done.
 */

#include "config.h"

#include "kios-document.h"
#include "kios-test-util.h"

#include <stdio.h>
#include <string.h>

#define MIB 1024

/* A field of /proc/self/status, in KiB; -1 when it cannot be read. */
static long
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  if (line == NULL)
    return -1;
  return strtol (line + strlen (field) + 1, NULL, 10);
}

/* Resets the peak RSS to the current RSS (Linux 4.0 and later). */
static gboolean
reset_peak (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");
  int   ok;

  if (f == NULL)
    return FALSE;
  ok = fputs ("5", f) >= 0;
  return fclose (f) == 0 && ok;
}

static void
counted_cb (GObject    *object,
            GParamSpec *pspec,
            gpointer    user_data)
{
  if (kios_document_get_n_pages (KIOS_DOCUMENT (object)) > 0)
    *(gboolean *) user_data = TRUE;
}

static void
test_count_memory (void)
{
  g_autofree char         *path = kios_test_book ("kjv-bible.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     page = NULL;
  KiosLayout               layout = { 600, 800, 18, 0 };
  KiosPageRequest          request;
  gboolean                 counted = FALSE;
  long                     before;
  long                     peak;
  long                     after;
  gint64                   start;

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_document_set_layout (doc, &layout);
  g_signal_connect (doc, "notify::n-pages", G_CALLBACK (counted_cb), &counted);

  /* The page a resume shows, deep in the book. */
  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ kios_document_get_n_chapters (doc) * 95 / 100, 0 };
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);

  if (!reset_peak ())
    {
      g_test_skip ("The peak RSS cannot be reset here");
      return;
    }
  before = status_kib ("VmRSS:");
  start = g_get_monotonic_time ();
  kios_test_wait_for (&counted, 120000);
  peak = status_kib ("VmHWM:");
  after = status_kib ("VmRSS:");
  g_test_message ("RSS %ld MiB before the count, peak %ld MiB, %ld MiB after (%.1f s)",
                  before / MIB, peak / MIB, after / MIB, (g_get_monotonic_time () - start) / 1e6);

  /* Laying out 69 chapters one after another keeps about one of them. */
  g_assert_cmpint (peak - before, <, 20 * MIB);
  /* And when the count is done, the memory is back where it was. */
  g_assert_cmpint (after - before, <, 8 * MIB);
}

static void
marks_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_first_page_before_index (void)
{
  g_autofree char         *path = kios_test_book ("kjv-bible.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     first = NULL;
  g_autoptr (KiosPage)     second = NULL;
  KiosLayout               layout = { 600, 800, 18, 0 };
  KiosPageRequest          request;
  gboolean                 indexed = FALSE;

  /* Never opened: no index on disk. */
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_document_set_layout (doc, &layout);
  g_signal_connect (doc, "notify::chapter-marks", G_CALLBACK (marks_cb), &indexed);

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ 0, 0 };
  first = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first->position);
  g_assert_cmpfloat (first->position->total_progress, ==, 0.0);

  /* The page came before the index of its 69 chapters was built: what the
   * index tells the owner has not been sent yet. */
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (indexed);
  g_assert_null (kios_document_get_chapter_marks (doc));

  /* Any other page has its exact share of the book. */
  request.location = (KiosLocation){ 10, 0 };
  second = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (second->position->total_progress, >, 0.0);
  g_assert_cmpfloat (second->position->total_progress, <, 1.0);
  kios_test_wait_for (&indexed, 30000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/launch-core/first-page-before-index", test_first_page_before_index);
  g_test_add_func ("/kios/launch-core/count-memory", test_count_memory);

  return g_test_run ();
}
