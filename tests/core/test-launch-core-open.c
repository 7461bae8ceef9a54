/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * What a book's first open leaves behind once its index and page count are
 * done: only the chapter on screen, as a resume of the book would have it.
 * Both read every chapter, so without care the last chapters of the book
 * stay: their texts, and the last one laid out, which MuPDF keeps as its
 * most recent chapter whatever its store holds.
 */

#include "config.h"

#include "kios-document.h"
#include "kios-test-epub.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define MIB 1024

/* VmRSS of this process, in KiB; -1 when it cannot be read. */
static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + strlen ("VmRSS:"), NULL, 10) : -1;
}

static void
counted_cb (GObject    *object,
            GParamSpec *pspec,
            gpointer    user_data)
{
  if (kios_document_get_n_pages (KIOS_DOCUMENT (object)) > 0)
    *(gboolean *) user_data = TRUE;
}

/* A short chapter of `n` paragraphs. */
static char *
chapter_of (guint n)
{
  g_autoptr (GString) body = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (body, "<p>Paragraph %u: and the evening and the morning were the day, and it was "
                                  "good, and there was light upon the face of the waters.</p>",
                            i);
  return kios_test_xhtml (body->str);
}

static void
test_last_chapters_let_go (void)
{
  g_autofree char         *dir = g_dir_make_tmp ("kios-test-let-go-XXXXXX", NULL);
  g_autofree char         *path = g_build_filename (dir, "long-end.epub", NULL);
  g_autofree char         *small = chapter_of (20);
  g_autofree char         *large = chapter_of (12000);
  const char              *chapters[] = { small, small, small, small, large };
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     page = NULL;
  KiosLayout               layout = { 600, 800, 18, 0 };
  KiosPageRequest          request;
  gboolean                 counted = FALSE;
  long                     before;
  long                     after;

  /* About 1.5 MB of text in the last chapter: laid out, tens of megabytes. */
  kios_test_epub_write (path, chapters, G_N_ELEMENTS (chapters), NULL);
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_document_set_layout (doc, &layout);
  g_signal_connect (doc, "notify::n-pages", G_CALLBACK (counted_cb), &counted);

  /* The reader is in the first chapter. */
  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ 0, 0 };
  request.box_width = 600;
  request.box_height = 800;
  request.scale = 1.0;
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  before = rss_kib ();
  if (before < 0)
    {
      g_test_skip ("The RSS cannot be read here");
      return;
    }

  kios_test_wait_for (&counted, 120000);
  after = rss_kib ();
  g_test_message ("RSS %ld MiB at the first page, %ld MiB once counted", before / MIB, after / MIB);
  g_assert_cmpint (kios_document_get_n_pages (doc), >, 100);
  /* The last chapter, laid out and its text read, is not kept. */
  g_assert_cmpint (after - before, <, 12 * MIB);

  /* The chapter on screen still reads and turns as before. */
  g_clear_pointer (&page, kios_page_free);
  request.kind = KIOS_PAGE_REQUEST_NEXT;
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (page->location.chapter, ==, 0);
  g_assert_nonnull (page->position);

  g_clear_object (&doc);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  kios_test_add_func ("/kios/launch-core-open/last-chapters-let-go", test_last_chapters_let_go);

  return g_test_run ();
}
