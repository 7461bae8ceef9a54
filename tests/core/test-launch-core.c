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

#include "kios-archive-limits.h"
#include "kios-document.h"
#include "kios-paths.h"
#include "kios-test-epub.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

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

/* ---- the first page made ahead ---- */

typedef struct
{
  KiosPosition *position;
  char         *hash;
  GThread      *thread;
  int           calls;
  gboolean      freed;
} StartLookup;

/* Stands in for the library's saved position. */
static KiosPosition *
start_lookup (const char *hash,
              gpointer    user_data)
{
  StartLookup *lookup = user_data;

  lookup->calls++;
  lookup->hash = g_strdup (hash);
  lookup->thread = g_thread_self ();
  return kios_position_copy (lookup->position);
}

static void
start_lookup_done (gpointer user_data)
{
  ((StartLookup *) user_data)->freed = TRUE;
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static KiosDocument *
open_at (const char            *path,
         const KiosPageRequest *request,
         const KiosLayout      *layout,
         StartLookup           *lookup)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError)       error = NULL;
  KiosDocument            *doc;

  kios_document_open_at_async (path, request, layout, start_lookup, lookup, start_lookup_done, NULL,
                               opened_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  doc = kios_document_open_finish (result, &error);
  g_assert_no_error (error);
  return doc;
}

/* Where a resume deep in the KJV opens, and that page rendered the usual way. */
static KiosPage *
usual_page (const char            *path,
            const KiosPageRequest *base,
            const KiosLayout      *layout,
            KiosPosition         **position)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = kios_document_open_sync (path, &error);
  g_autoptr (KiosPage)     located = NULL;
  KiosPageRequest          request = *base;
  KiosPage                *page;

  g_assert_no_error (error);
  kios_document_set_layout (doc, layout);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ kios_document_get_n_chapters (doc) * 95 / 100, 2 };
  request.position_only = TRUE;
  located = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  *position = kios_position_copy (located->position);

  request = *base;
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  request.position = *position;
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_false (page->made_ahead);
  return page;
}

static void
n_pages_cb (GObject    *object,
            GParamSpec *pspec,
            gpointer    user_data)
{
  if (kios_document_get_n_pages (KIOS_DOCUMENT (object)) > 0)
    *(gboolean *) user_data = TRUE;
}

static void
test_first_page_made_ahead (void)
{
  g_autofree char         *path = kios_test_book ("kjv-bible.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     usual = NULL;
  g_autoptr (KiosPage)     page = NULL;
  g_autoptr (KiosPage)     next = NULL;
  g_autoptr (KiosPosition) position = NULL;
  KiosLayout               layout = { 560, 700, 18, 1.4 };
  KiosPageRequest          request;
  KiosPageRequest          first;
  KiosLayout               first_layout;
  gboolean                 has_layout = FALSE;
  gboolean                 counted = FALSE;
  StartLookup              lookup = { 0 };

  kios_page_request_init (&request);
  request.box_width = 560;
  request.box_height = 700;
  request.foreground = 0x1e1e1e;
  request.background = 0xffffff;
  usual = usual_page (path, &request, &layout, &position);

  /* Opened knowing how its first page will be asked for: the page at the
   * saved position is made on the document's thread, before anyone asks. */
  lookup.position = position;
  doc = open_at (path, &request, &layout, &lookup);
  g_assert_false (kios_document_get_first_request (doc, &first, &first_layout, &has_layout));
  kios_document_set_layout (doc, &layout);
  g_signal_connect (doc, "notify::n-pages", G_CALLBACK (n_pages_cb), &counted);
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  request.position = position;
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);

  /* Asked once, off the main thread, with the book's identity. */
  g_assert_cmpint (lookup.calls, ==, 1);
  g_assert_cmpstr (lookup.hash, ==, kios_document_get_hash (doc));
  g_assert_true (lookup.thread != g_thread_self ());
  g_assert_true (lookup.freed);

  /* The page made ahead is the page, pixel for pixel, at the layout now in force. */
  g_assert_true (page->made_ahead);
  g_assert_cmpint (page->layout_serial, ==, kios_document_get_layout_serial (doc));
  g_assert_true (kios_position_equal (page->position, usual->position));
  g_assert_cmpint (page->location.chapter, ==, usual->location.chapter);
  g_assert_cmpint (page->location.page, ==, usual->location.page);
  g_assert_true (g_bytes_equal (page->pixels, usual->pixels));

  /* The request is remembered for the next start. */
  g_assert_true (kios_document_get_first_request (doc, &first, &first_layout, &has_layout));
  g_assert_true (has_layout);
  g_assert_cmpfloat (first.box_width, ==, 560);
  g_assert_cmpfloat (first_layout.line_spacing, ==, 1.4);

  /* Taken once: the pages after it are rendered as usual, and the page count
   * still arrives under the layout the owner set. */
  request.kind = KIOS_PAGE_REQUEST_NEXT;
  request.location = page->location;
  next = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_false (next->made_ahead);
  kios_test_wait_for (&counted, 120000);
  g_free (lookup.hash);
}

static void
test_first_page_made_ahead_other_size (void)
{
  g_autofree char         *path = kios_test_book ("kjv-bible.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     usual = NULL;
  g_autoptr (KiosPage)     page = NULL;
  g_autoptr (KiosPosition) position = NULL;
  KiosLayout               layout = { 560, 700, 18, 1.4 };
  KiosLayout               guessed = { 600, 700, 18, 1.4 };
  KiosPageRequest          request;
  StartLookup              lookup = { 0 };

  kios_page_request_init (&request);
  request.box_width = 560;
  request.box_height = 700;
  usual = usual_page (path, &request, &layout, &position);

  /* Made ahead for a window of another size: the page asked for is rendered
   * at the size asked for. */
  lookup.position = position;
  doc = open_at (path, &(KiosPageRequest){ .box_width = 600, .box_height = 700, .scale = 1, .zoom = 1 },
                 &guessed, &lookup);
  kios_document_set_layout (doc, &layout);
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  request.position = position;
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_false (page->made_ahead);
  g_assert_cmpint (page->width, ==, usual->width);
  g_assert_true (kios_position_equal (page->position, usual->position));
  g_assert_true (g_bytes_equal (page->pixels, usual->pixels));
  g_free (lookup.hash);
}

static void
test_background_held (void)
{
  g_autofree char         *dir = g_dir_make_tmp ("kios-test-hold-XXXXXX", NULL);
  g_autofree char         *path = g_build_filename (dir, "book.epub", NULL);
  const char              *chapters[] = { "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>One</p></body></html>",
                                          "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>Two</p></body></html>" };
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     page = NULL;
  KiosLayout               layout = { 600, 800, 18, 0 };
  KiosPageRequest          request;
  gboolean                 counted = FALSE;
  gint64                   until;

  kios_test_epub_write (path, chapters, G_N_ELEMENTS (chapters), NULL);
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  g_signal_connect (doc, "notify::n-pages", G_CALLBACK (n_pages_cb), &counted);

  /* Held from before the first render: the page comes, the count does not,
   * however long the first frame takes. */
  kios_document_hold_background (doc, TRUE);
  kios_document_set_layout (doc, &layout);
  kios_page_request_init (&request);
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  until = g_get_monotonic_time () + 1500 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (counted);
  g_assert_cmpint (kios_document_get_n_pages (doc), ==, -1);

  /* Let go once the page is painted: the two chapters are counted. */
  kios_document_hold_background (doc, FALSE);
  kios_test_wait_for (&counted, 30000);
  g_assert_cmpint (kios_document_get_n_pages (doc), >=, 2);

  g_clear_object (&doc);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- the archive scan's verdict, kept per file ---- */

static KiosArchiveScan *
scan_book (const char *path)
{
  g_autoptr (GError) error = NULL;
  KiosEpub          *epub = kios_epub_open (path, &error);
  KiosArchiveScan   *scan;

  g_assert_no_error (error);
  scan = kios_archive_scan_new (epub, NULL, &error);
  g_assert_no_error (error);
  kios_epub_unref (epub);
  return scan;
}

static void
test_scan_verdict (void)
{
  g_autofree char            *dir = g_dir_make_tmp ("kios-test-scan-XXXXXX", NULL);
  g_autofree char            *path = g_build_filename (dir, "book.epub", NULL);
  g_autofree char            *cache_dir = kios_paths_cache_subdir ("archive-scans");
  g_autofree char            *canonical = g_canonicalize_filename (path, NULL);
  g_autofree char            *name = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  g_autofree char            *cache = g_build_filename (cache_dir, name, NULL);
  g_autofree char            *verdict = NULL;
  g_autofree char            *big_css = g_strnfill (KIOS_LIMIT_CSS_BYTES + 1, 'a');
  const char                 *chapters[] = { "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>One</p></body></html>",
                                             "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>Two</p></body></html>" };
  const char                 *hostile[] = { "OEBPS/big.css", big_css, NULL };
  g_autoptr (KiosArchiveScan) first = NULL;
  g_autoptr (KiosArchiveScan) second = NULL;
  g_autoptr (KiosArchiveScan) changed = NULL;
  g_autoptr (KiosArchiveScan) forged = NULL;
  g_autoptr (KiosArchiveScan) garbage = NULL;
  g_auto (GStrv)              lines = NULL;
  GStatBuf                    st;

  /* A file that has just changed is "racily clean": its times could stay
   * the same through another write, so its verdict is not kept. */
  kios_test_epub_write (path, chapters, G_N_ELEMENTS (chapters), NULL);
  first = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (first));
  g_clear_pointer (&first, kios_archive_scan_free);
  first = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (first));
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));

  /* Once settled, a clean book is scanned once; the unchanged file is not
   * inflated again. */
  g_usleep ((KIOS_ARCHIVE_SCAN_SETTLE_SECONDS + 1) * G_USEC_PER_SEC);
  g_clear_pointer (&first, kios_archive_scan_free);
  first = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (first));
  second = scan_book (path);
  g_assert_true (kios_archive_scan_is_from_cache (second));
  g_assert_cmpint (kios_archive_scan_get_inflated (second), ==, kios_archive_scan_get_inflated (first));
  g_assert_cmpuint (kios_archive_scan_get_n_members (second), ==, kios_archive_scan_get_n_members (first));
  /* Private to the reader. */
  g_assert_cmpint (g_stat (cache, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* The same path, another file, over a limit: scanned, and refused. */
  kios_test_epub_write (path, chapters, G_N_ELEMENTS (chapters), hostile);
  changed = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (changed));
  g_assert_nonnull (kios_archive_scan_get_refusal (changed, "OEBPS/big.css"));
  g_clear_pointer (&changed, kios_archive_scan_free);
  /* And it stays scanned at every open. */
  changed = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (changed));
  g_assert_nonnull (kios_archive_scan_get_refusal (changed, "OEBPS/big.css"));

  /* A verdict is hostile until checked: one past the whole-book limits, or
   * not a verdict at all, is scanned again. */
  kios_test_epub_write (path, chapters, G_N_ELEMENTS (chapters), NULL);
  g_usleep ((KIOS_ARCHIVE_SCAN_SETTLE_SECONDS + 1) * G_USEC_PER_SEC);
  g_clear_pointer (&first, kios_archive_scan_free);
  first = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (first));
  g_assert_true (g_file_get_contents (cache, &verdict, NULL, NULL));
  lines = g_strsplit (verdict, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);
  g_free (lines[3]);
  lines[3] = g_strdup_printf ("%" G_GINT64_FORMAT, KIOS_LIMIT_BOOK_INFLATED + 1);
  g_free (verdict);
  verdict = g_strjoinv ("\n", lines);
  g_assert_true (g_file_set_contents (cache, verdict, -1, NULL));
  forged = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (forged));
  g_assert_true (g_file_set_contents (cache, "\x01\xff not a verdict", -1, NULL));
  garbage = scan_book (path);
  g_assert_false (kios_archive_scan_is_from_cache (garbage));

  g_unlink (cache);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  kios_test_add_func ("/kios/launch-core/first-page-before-index", test_first_page_before_index);
  kios_test_add_func ("/kios/launch-core/count-memory", test_count_memory);
  kios_test_add_func ("/kios/launch-core/first-page-made-ahead", test_first_page_made_ahead);
  kios_test_add_func ("/kios/launch-core/first-page-made-ahead-other-size", test_first_page_made_ahead_other_size);
  kios_test_add_func ("/kios/launch-core/scan-verdict", test_scan_verdict);
  kios_test_add_func ("/kios/launch-core/background-held", test_background_held);

  return g_test_run ();
}
