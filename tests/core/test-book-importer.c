/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-book-importer"

#include "config.h"

#include "kios-book-importer.h"
#include "kios-fake-opds.h"
#include "kios-library-store.h"
#include "kios-opds-client.h"
#include "kios-paths.h"
#include "kios-sync-error.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/* Every download through the one importer: streamed to a temporary file,
 * bounded while it arrives, checked as a book before it enters the library,
 * deduplicated by hash; the OPDS client's _async calls on top of it. */

static KiosLibraryStore *
new_store (void)
{
  g_autofree char   *data_dir = kios_paths_data_dir ();
  g_autofree char   *db = kios_paths_library_db ();
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;

  g_mkdir_with_parents (data_dir, 0700);
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  return store;
}

static guint
count_files (void)
{
  g_autofree char *dir = kios_paths_books_dir ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint            n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
remove_books (void)
{
  g_autofree char *dir = kios_paths_books_dir ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char      *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
}

static guint
count_books (KiosLibraryStore *store)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) books = kios_library_store_list_recent (store, 0, &error);

  g_assert_no_error (error);
  return books->len;
}

/* Peak resident memory (VmHWM) in kB; reset_peak starts a new peak. */
static gint64
peak_rss_kb (gboolean reset_peak)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (reset_peak)
    {
      FILE *f = fopen ("/proc/self/clear_refs", "w");

      if (f != NULL)
        {
          fputs ("5", f);
          fclose (f);
        }
    }
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (line = strstr (status, "VmHWM:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static KiosOpdsFeed *
book_feed (const char *base_url,
           const char *id,
           const char *href)
{
  g_autofree char *xml = g_strdup_printf (
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title>Persuasion</title><id>%s</id>"
      "<author><name>Jane Austen</name></author>"
      "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" href=\"%s\"/>"
      "</entry></feed>",
      id, href);
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed = kios_opds_feed_parse (xml, strlen (xml), NULL, base_url, &error);

  g_assert_no_error (error);
  return feed;
}

typedef struct
{
  gboolean      done;
  char         *path;
  gboolean      existing;
  GError       *error;
  guint         progress_calls;
  guint64       last;
  GCancellable *cancel_at_progress;
} Wait;

static void
wait_clear (Wait *w)
{
  g_clear_pointer (&w->path, g_free);
  g_clear_error (&w->error);
  w->done = FALSE;
  w->existing = FALSE;
  w->last = 0;
  w->progress_calls = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Wait, wait_clear)

static void
progress_cb (guint64  received,
             guint64  total,
             gpointer user_data)
{
  Wait *w = user_data;

  g_assert_cmpuint (received, >, w->last);
  w->last = received;
  w->progress_calls++;
  if (w->cancel_at_progress != NULL)
    g_cancellable_cancel (w->cancel_at_progress);
}

static void
download_done (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Wait *w = user_data;

  w->path = kios_opds_client_download_book_finish (NULL, result, &w->existing, &w->error);
  w->done = TRUE;
}

static void
download (KiosOpdsClient   *client,
          KiosLibraryStore *store,
          const char       *base_url,
          const char       *id,
          const char       *href,
          GCancellable     *cancellable,
          Wait             *w)
{
  g_autoptr (KiosOpdsFeed) feed = book_feed (base_url, id, href);

  wait_clear (w);
  kios_opds_client_download_book_async (client, store, "Shelf", feed->entries->pdata[0], NULL, progress_cb, w,
                                        cancellable, download_done, w);
  kios_test_wait_for (&w->done, 120000);
}

/* ---- a good book, then the same bytes again ---------------------------- */

static void
test_async_download_dedupe (void)
{
  g_autoptr (KiosFakeOpds)     fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (kios_fake_opds_get_url (fake), NULL, NULL);
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autofree char             *book = kios_test_book ("persuasion.epub");
  g_autofree char             *contents = NULL;
  g_autofree char             *first = NULL;
  gsize                        len = 0;
  g_autoptr (GBytes)           bytes = NULL;
  g_auto (Wait)                w = { 0 };

  remove_books ();
  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  kios_fake_opds_add_bytes (fake, "/a.epub", "application/epub+zip", bytes, FALSE);
  kios_fake_opds_add_bytes (fake, "/b.epub", "application/epub+zip", bytes, FALSE);

  download (client, store, kios_fake_opds_get_url (fake), "urn:a", "/a.epub", NULL, &w);
  g_assert_no_error (w.error);
  g_assert_false (w.existing);
  g_assert_true (g_file_test (w.path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (w.last, ==, len);
  {
    g_autoptr (KiosBookRecord) record = kios_library_store_get_book_by_path (store, w.path, NULL);
    g_autofree char           *entry_id = NULL;

    g_assert_nonnull (record);
    g_assert_cmpstr (record->title, ==, "Persuasion");
    g_assert_cmpstr (record->authors, ==, "Jane Austen");
    g_assert_cmpstr (record->format, ==, "epub");
    entry_id = kios_library_store_get_book_meta (store, record->hash, "opds.entry_id");
    g_assert_cmpstr (entry_id, ==, "urn:a");
  }
  first = g_strdup (w.path);

  /* Another entry, the same bytes: the book already in the library. */
  download (client, store, kios_fake_opds_get_url (fake), "urn:b", "/b.epub", NULL, &w);
  g_assert_no_error (w.error);
  g_assert_true (w.existing);
  g_assert_cmpstr (w.path, ==, first);
  g_assert_cmpuint (count_files (), ==, 1);
  g_assert_cmpuint (count_books (store), ==, 1);
}

/* ---- cancel while the book arrives --------------------------------------- */

static void
test_async_cancel (void)
{
  g_autofree char             *book = kios_test_book ("kjv-bible.epub");
  g_autofree char             *contents = NULL;
  gsize                        len = 0;
  g_autoptr (GBytes)           bytes = NULL;
  g_autoptr (KiosFakeDrip)     drip = NULL;
  g_autoptr (KiosOpdsClient)   client = NULL;
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autoptr (GCancellable)     cancellable = g_cancellable_new ();
  g_auto (Wait)                w = { 0 };

  remove_books ();
  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  drip = kios_fake_drip_new ("application/epub+zip", bytes, 64 * 1024, 20);
  client = kios_opds_client_new (kios_fake_drip_get_url (drip), NULL, NULL);

  w.cancel_at_progress = cancellable;
  download (client, store, kios_fake_drip_get_url (drip), "urn:bible", "/bible.epub", cancellable, &w);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (w.path);
  g_assert_cmpuint (w.progress_calls, ==, 1);
  g_assert_cmpuint (w.last, <, len);
  /* The worker has finished (the task completed): nothing stays behind. */
  g_assert_cmpuint (count_files (), ==, 0);
  g_assert_cmpuint (count_books (store), ==, 0);
}

/* ---- what is not a book -------------------------------------------------- */

static void
check_refused (KiosFakeOpds     *fake,
               KiosOpdsClient   *client,
               KiosLibraryStore *store,
               const char       *target,
               int               code,
               const char       *says)
{
  g_auto (Wait) w = { 0 };

  download (client, store, kios_fake_opds_get_url (fake), target, target, NULL, &w);
  g_assert_null (w.path);
  g_assert_error (w.error, KIOS_IMPORT_ERROR, code);
  g_test_message ("%s: %s", target, w.error->message);
  g_assert_nonnull (strstr (w.error->message, says));
  g_assert_cmpuint (count_files (), ==, 0);
  g_assert_cmpuint (count_books (store), ==, 0);
}

static void
test_not_a_book (void)
{
  g_autoptr (KiosFakeOpds)     fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (kios_fake_opds_get_url (fake), NULL, NULL);
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autoptr (GByteArray)       junk = g_byte_array_new ();
  g_autoptr (GBytes)           junk_bytes = NULL;
  g_autofree char             *contents = NULL;
  g_autoptr (GBytes)           cut = NULL;

  remove_books ();
  kios_fake_opds_add (fake, "/login.epub", 200, "application/epub+zip",
                      "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>");
  kios_fake_opds_add (fake, "/json.epub", 200, "application/epub+zip", "{\"error\":\"no such book\"}");
  /* "PK\3\4" and 2 MB of zeros: the magic bytes of a zip, nothing else. */
  g_byte_array_append (junk, (const guint8 *) "PK\003\004", 4);
  g_byte_array_set_size (junk, 2 * 1024 * 1024);
  memset (junk->data + 4, 0, junk->len - 4);
  junk_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&junk));
  kios_fake_opds_add_bytes (fake, "/zeros.epub", "application/epub+zip", junk_bytes, TRUE);
  /* A PDF header and nothing MuPDF can repair into a page (a PDF cut in
   * half still opens: MuPDF rebuilds its table, and that book is readable). */
  contents = g_strdup ("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n");
  cut = g_bytes_new (contents, strlen (contents));
  kios_fake_opds_add_bytes (fake, "/cut.pdf", "application/pdf", cut, FALSE);

  check_refused (fake, client, store, "/login.epub", KIOS_IMPORT_ERROR_WEB_PAGE, "an HTML page, not a book");
  check_refused (fake, client, store, "/json.epub", KIOS_IMPORT_ERROR_NOT_A_BOOK, "a JSON message, not a book");
  check_refused (fake, client, store, "/zeros.epub", KIOS_IMPORT_ERROR_NOT_A_BOOK, "a zip archive that is not an EPUB");
  check_refused (fake, client, store, "/cut.pdf", KIOS_IMPORT_ERROR_DAMAGED, "damaged PDF");
}

/* ---- bounded while it arrives -------------------------------------------- */

typedef struct
{
  KiosOpdsClient   *client;
  KiosLibraryStore *store;
  const char       *base;
  guint64           limit;
  const char       *what;
} Endless;

static void
check_endless (Endless *e,
               int      expected_code)
{
  g_auto (Wait) w = { 0 };
  gint64        before;
  gint64        after;
  gint64        start = g_get_monotonic_time ();
  double        secs;

  kios_opds_client_set_max_book_size (e->client, e->limit);
  before = peak_rss_kb (TRUE);
  download (e->client, e->store, e->base, e->what, "/forever.epub", NULL, &w);
  after = peak_rss_kb (FALSE);
  secs = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_test_message ("%s: refused after %.1f s at a %" G_GUINT64_FORMAT " MB limit, peak RSS %" G_GINT64_FORMAT
                  " kB before, %" G_GINT64_FORMAT " kB after: %s",
                  e->what, secs, e->limit >> 20, before, after, w.error != NULL ? w.error->message : "(no error)");
  g_assert_null (w.path);
  g_assert_nonnull (w.error);
  g_assert_error (w.error, KIOS_HTTP_ERROR, expected_code);
  g_assert_nonnull (strstr (w.error->message, "too large"));
  /* Memory stays flat: far less than what passed through. */
  if (before > 0 && after > 0)
    g_assert_cmpint (after - before, <, 24 * 1024);
  g_assert_cmpuint (count_files (), ==, 0);
  g_assert_cmpuint (count_books (e->store), ==, 0);
}

static void
test_endless_200 (void)
{
  g_autofree char             *zeros = g_malloc0 (64 * 1024);
  g_autoptr (KiosFakeEndless)  endless = NULL;
  g_autoptr (KiosOpdsClient)   client = NULL;
  g_autoptr (KiosLibraryStore) store = new_store ();
  const char                  *head = "HTTP/1.1 200 OK\r\nContent-Type: application/epub+zip\r\n"
                                      "Connection: close\r\n\r\nPK\003\004";
  Endless                      e = { 0 };

  remove_books ();
  endless = kios_fake_endless_new_raw (head, strlen (head), zeros, 64 * 1024);
  client = kios_opds_client_new (kios_fake_endless_get_url (endless), NULL, NULL);
  e.client = client;
  e.store = store;
  e.base = kios_fake_endless_get_url (endless);
  e.limit = 200 * 1024 * 1024;
  e.what = "endless 200";
  check_endless (&e, KIOS_HTTP_ERROR_TOO_LARGE);
  g_assert_cmpuint (kios_fake_endless_get_sent (endless), >=, e.limit - 4 * 1024 * 1024);
}

static void
test_lying_206 (void)
{
  g_autofree char             *zeros = g_malloc0 (64 * 1024);
  g_autoptr (KiosFakeEndless)  endless = NULL;
  g_autoptr (KiosOpdsClient)   client = NULL;
  g_autoptr (KiosLibraryStore) store = new_store ();
  /* A range nobody asked for, with a total of 900 MB, and junk that starts like a zip. */
  const char *head = "HTTP/1.1 206 Partial Content\r\nContent-Type: application/epub+zip\r\n"
                     "Content-Range: bytes 0-943718399/943718400\r\n"
                     "Connection: close\r\n\r\nPK\003\004";
  Endless     e = { 0 };

  remove_books ();
  endless = kios_fake_endless_new_raw (head, strlen (head), zeros, 64 * 1024);
  client = kios_opds_client_new (kios_fake_endless_get_url (endless), NULL, NULL);
  e.client = client;
  e.store = store;
  e.base = kios_fake_endless_get_url (endless);
  e.limit = 32 * 1024 * 1024;
  e.what = "lying 206";
  check_endless (&e, KIOS_HTTP_ERROR_TOO_LARGE);
}

/* ---- a transfer broken part-way ----------------------------------------- */

static void
check_resume (gboolean ignore_range)
{
  g_autofree char             *book = kios_test_book ("kjv-bible.epub");
  g_autofree char             *contents = NULL;
  g_autofree char             *stored = NULL;
  gsize                        len = 0;
  gsize                        stored_len = 0;
  g_autoptr (GBytes)           bytes = NULL;
  g_autoptr (KiosFakeDrip)     drip = NULL;
  g_autoptr (KiosOpdsClient)   client = NULL;
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_auto (Wait)                w = { 0 };

  remove_books ();
  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  drip = kios_fake_drip_new ("application/epub+zip", bytes, 256 * 1024, 1);
  kios_fake_drip_set_break (drip, len / 2, ignore_range);
  client = kios_opds_client_new (kios_fake_drip_get_url (drip), NULL, NULL);

  download (client, store, kios_fake_drip_get_url (drip), ignore_range ? "urn:whole" : "urn:ranged", "/bible.epub",
            NULL, &w);
  g_assert_no_error (w.error);
  /* Resumed with a Range from what had arrived; whole either way. */
  g_assert_cmpuint (kios_fake_drip_get_n_requests (drip), ==, 2);
  g_assert_cmpuint (kios_fake_drip_get_n_ranged (drip), ==, 1);
  g_assert_true (g_file_get_contents (w.path, &stored, &stored_len, NULL));
  g_assert_cmpuint (stored_len, ==, len);
  g_assert_true (memcmp (stored, contents, len) == 0);
  g_assert_cmpuint (count_files (), ==, 1);
}

static void
test_resume_ranged (void)
{
  check_resume (FALSE);
}

static void
test_resume_ignored_range (void)
{
  check_resume (TRUE);
}

/* ---- the importer alone -------------------------------------------------- */

static void
test_import_restart_and_drop_head (void)
{
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autofree char             *book = kios_test_book ("emma.epub");
  g_autofree char             *contents = NULL;
  gsize                        len = 0;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosBookImport)   import = NULL;
  g_autofree char             *path = NULL;
  g_autofree char             *hash = NULL;
  g_autofree char             *stored = NULL;
  gsize                        stored_len = 0;
  gboolean                     existing = TRUE;

  remove_books ();
  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  import = kios_book_import_new (store, "Emma-test.epub", 0, &error);
  g_assert_no_error (error);
  /* A first part, then a server that ignored the resume's Range and sent
   * the whole book after it: the head goes, the book stays whole. */
  g_assert_true (g_output_stream_write_all (kios_book_import_get_sink (import), contents, 1000, NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (kios_book_import_get_sink (import), contents, len, NULL, NULL, &error));
  g_assert_true (kios_book_import_drop_head (import, 1000, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kios_book_import_get_received (import), ==, len);
  kios_book_import_set_details (import, "Emma", "Jane Austen", NULL);
  kios_book_import_add_meta (import, "test.key", "value");
  path = kios_book_import_commit (import, &hash, &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (existing);
  g_assert_true (g_file_get_contents (path, &stored, &stored_len, NULL));
  g_assert_cmpuint (stored_len, ==, len);
  g_assert_true (memcmp (stored, contents, len) == 0);
  {
    g_autofree char *meta = kios_library_store_get_book_meta (store, hash, "test.key");
    GStatBuf         st;

    g_assert_cmpstr (meta, ==, "value");
    /* The book is private to the user. */
    g_assert_cmpint (g_stat (path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }
}

static void
test_import_limit (void)
{
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosBookImport)   import = NULL;
  g_autofree char             *tmp = NULL;
  char                         block[4096] = "PK\003\004";

  remove_books ();
  import = kios_book_import_new (store, "limit.epub", 10000, &error);
  g_assert_no_error (error);
  tmp = g_strdup (kios_book_import_get_path (import));
  g_assert_true (g_output_stream_write_all (kios_book_import_get_sink (import), block, sizeof block, NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (kios_book_import_get_sink (import), block, sizeof block, NULL, NULL, &error));
  g_assert_false (g_output_stream_write_all (kios_book_import_get_sink (import), block, sizeof block, NULL, NULL, &error));
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_clear_pointer (&import, kios_book_import_free);
  /* Dropped without a commit: the temporary file goes. */
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_files (), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/book-importer/async-download-dedupe", test_async_download_dedupe);
  g_test_add_func ("/kios/book-importer/async-cancel", test_async_cancel);
  g_test_add_func ("/kios/book-importer/not-a-book", test_not_a_book);
  g_test_add_func ("/kios/book-importer/endless-200", test_endless_200);
  g_test_add_func ("/kios/book-importer/lying-206", test_lying_206);
  g_test_add_func ("/kios/book-importer/resume-ranged", test_resume_ranged);
  g_test_add_func ("/kios/book-importer/resume-ignored-range", test_resume_ignored_range);
  g_test_add_func ("/kios/book-importer/restart-and-drop-head", test_import_restart_and_drop_head);
  g_test_add_func ("/kios/book-importer/limit", test_import_limit);
  return g_test_run ();
}
