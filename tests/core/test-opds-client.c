/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-opds-client"

#include "config.h"

#include "kios-test-kiosctl.h"

#include "kios-book-format.h"
#include "kios-fake-opds.h"
#include "kios-library-store.h"
#include "kios-opds-client.h"
#include "kios-paths.h"
#include "kios-sync-error.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define ROOT "/opds"
#define BY_TITLE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library"
#define ATOM "application/atom+xml; charset=UTF-8"

static KiosFakeOpds *
calibre_fake (KiosFakeOpdsAuth auth)
{
  KiosFakeOpds *fake = kios_fake_opds_new (auth, "kios", "kios-pass");

  kios_fake_opds_add_fixture (fake, ROOT, ATOM, "calibre/root.xml");
  kios_fake_opds_add_fixture (fake, BY_TITLE, ATOM, "calibre/acq-by-title.xml");
  kios_fake_opds_add_fixture (fake, "/opds/search/austen?library_id=Calibre_Library", ATOM, "calibre/search-austen.xml");
  kios_fake_opds_add (fake, "/opds/search/zzzqqq?library_id=Calibre_Library", 404, "text/plain; charset=UTF-8",
                      "No books found");
  return fake;
}

static char *
url_of (KiosFakeOpds *fake,
        const char   *target)
{
  return g_strconcat (kios_fake_opds_get_url (fake), target, NULL);
}

static void
test_basic_auth (void)
{
  g_autoptr (KiosFakeOpds)   fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autofree char           *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_autoptr (KiosOpdsFeed)   books = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 8);
  /* Plain http: probed first, then answered once. */
  g_assert_cmpuint (kios_opds_client_get_n_requests (client), ==, 2);
  g_assert_cmpstr (kios_opds_client_get_realm (client), ==, "kios-fake");

  /* Basic is now known: sent at once. */
  books = kios_opds_client_fetch (client, ((KiosOpdsEntry *) feed->entries->pdata[1])->navigation_href, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (books->entries->len, ==, 6);
  g_assert_cmpuint (kios_opds_client_get_n_requests (client), ==, 3);
  g_assert_cmpuint (kios_fake_opds_count_authorized (fake), ==, 2);
}

static void
test_digest_auth (void)
{
  g_autoptr (KiosFakeOpds)    fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_DIGEST);
  g_autofree char            *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient)  client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosOpdsFeed)    feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_autoptr (KiosOpdsFeed)    books = NULL;
  g_autoptr (KiosFakeRequest) last = NULL;
  guint                       n;

  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 8);
  g_assert_cmpuint (kios_opds_client_get_n_requests (client), ==, 2);

  /* The next request goes with Digest at once: libcurl fetches its own
   * challenge and answers it (the client sends one request). */
  books = kios_opds_client_fetch (client, BY_TITLE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (books->entries->len, ==, 6);
  g_assert_cmpuint (kios_opds_client_get_n_requests (client), ==, 3);
  n = kios_fake_server_get_n_requests (kios_fake_opds_get_server (fake));
  last = kios_fake_server_get_request (kios_fake_opds_get_server (fake), n - 1);
  g_assert_true (g_str_has_prefix (kios_fake_request_get_header (last, "Authorization"), "Digest "));
  g_assert_nonnull (strstr (kios_fake_request_get_header (last, "Authorization"), "realm=\"kios-fake\""));
  /* The password itself never crossed the wire. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) r = kios_fake_server_get_request (kios_fake_opds_get_server (fake), i);
      const char                 *auth = kios_fake_request_get_header (r, "Authorization");

      g_assert_true (auth == NULL || strstr (auth, "kios-pass") == NULL);
      g_assert_true (auth == NULL || g_str_has_prefix (auth, "Digest "));
    }
}

static void
check_wrong_password (KiosFakeOpdsAuth auth)
{
  g_autoptr (KiosFakeOpds)   fake = calibre_fake (auth);
  g_autofree char           *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, "kios", "wrong");
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = kios_opds_client_fetch (client, NULL, NULL, &error);

  g_assert_null (feed);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "kios-fake"));
  g_assert_nonnull (strstr (error->message, "refused"));
  g_assert_null (strstr (error->message, "wrong"));
  /* Asked once: the probe and one answer, no loop (for Digest libcurl
   * fetches its own challenge first: one request more). */
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_opds_get_server (fake)), ==,
                    auth == KIOS_FAKE_OPDS_AUTH_DIGEST ? 3 : 2);
  g_assert_cmpuint (kios_opds_client_get_n_requests (client), ==, 2);
}

static void
test_wrong_password (void)
{
  check_wrong_password (KIOS_FAKE_OPDS_AUTH_BASIC);
  check_wrong_password (KIOS_FAKE_OPDS_AUTH_DIGEST);
}

static void
test_no_credentials (void)
{
  g_autoptr (KiosFakeOpds)   fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_DIGEST);
  g_autofree char           *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, NULL, NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = kios_opds_client_fetch (client, NULL, NULL, &error);

  g_assert_null (feed);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "needs a user name and password"));
  g_assert_nonnull (strstr (error->message, "kios-fake"));
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_opds_get_server (fake)), ==, 1);
}

static void
test_redirect_other_host (void)
{
  g_autoptr (KiosFakeOpds)   home = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autoptr (KiosFakeOpds)   open_other = calibre_fake (KIOS_FAKE_OPDS_AUTH_NONE);
  g_autoptr (KiosFakeOpds)   closed_other = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autofree char           *root = url_of (home, ROOT);
  g_autofree char           *open_target = url_of (open_other, BY_TITLE);
  g_autofree char           *closed_target = url_of (closed_other, BY_TITLE);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = NULL;
  g_autoptr (KiosOpdsFeed)   moved = NULL;
  g_autoptr (KiosOpdsFeed)   refused = NULL;

  kios_fake_opds_add_redirect (home, "/opds/moved", open_target);
  kios_fake_opds_add_redirect (home, "/opds/moved-closed", closed_target);

  feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Basic is sent to the catalog's host, the redirect leaves it: not there. */
  moved = kios_opds_client_fetch (client, "/opds/moved", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (moved->entries->len, ==, 6);
  /* Links resolve against the URL after the redirect. */
  g_assert_true (g_str_has_prefix (((KiosOpdsEntry *) moved->entries->pdata[0])->cover_href,
                                   kios_fake_opds_get_url (open_other)));
  g_assert_cmpuint (kios_fake_opds_count (open_other, BY_TITLE), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count_authorized (open_other), ==, 0);

  /* The other host asks for credentials: refused without sending them. */
  refused = kios_opds_client_fetch (client, "/opds/moved-closed", NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_cmpuint (kios_fake_opds_count_authorized (closed_other), ==, 0);
}

static void
test_pagination (void)
{
  g_autoptr (KiosFakeOpds)   fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char           *first = url_of (fake, BY_TITLE);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (first, NULL, NULL);
  g_autoptr (GHashTable)     ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable)     seen_pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char           *next = NULL;
  guint                      pages = 0;

  kios_fake_opds_add_fixture (fake, BY_TITLE, ATOM, "calibre/paged-by-title.xml");
  kios_fake_opds_add_fixture (fake, BY_TITLE "&offset=2", ATOM, "calibre/paged-by-title-offset2.xml");
  kios_fake_opds_add_fixture (fake, BY_TITLE "&offset=4", ATOM, "calibre-paged-last.xml");

  do
    {
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosOpdsFeed) feed = kios_opds_client_fetch (client, next, NULL, &error);

      g_assert_no_error (error);
      pages++;
      for (guint i = 0; i < feed->entries->len; i++)
        g_hash_table_add (ids, g_strdup (((KiosOpdsEntry *) feed->entries->pdata[i])->id));
      g_free (next);
      next = g_strdup (feed->next_href);
      /* A loop guard as the UI has one. */
      if (next != NULL)
        g_assert_true (g_hash_table_add (seen_pages, g_strdup (next)));
    }
  while (next != NULL && pages < 10);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (ids), ==, 6);
}

static void
test_search_template (void)
{
  g_autoptr (KiosFakeOpds)   fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_DIGEST);
  g_autofree char           *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   hits = NULL;
  g_autoptr (KiosOpdsFeed)   none = NULL;
  g_autoptr (KiosOpdsFeed)   empty = NULL;
  guint                      before;

  hits = kios_opds_client_search (client, NULL, "austen", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->entries->len, ==, 5);

  /* calibre answers a search without match with 404: an empty result. */
  none = kios_opds_client_search (client, hits, "zzzqqq", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->entries->len, ==, 0);

  before = kios_fake_server_get_n_requests (kios_fake_opds_get_server (fake));
  empty = kios_opds_client_search (client, NULL, "   ", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->entries->len, ==, 0);
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_opds_get_server (fake)), ==, before);
}

static void
test_search_opensearch (void)
{
  g_autoptr (KiosFakeOpds)   fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char           *start = url_of (fake, "/api/opds/KEY/series?query=dune&pageNumber=2");
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (start, NULL, NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = NULL;
  g_autoptr (KiosOpdsFeed)   hits = NULL;

  kios_fake_opds_add_fixture (fake, "/api/opds/KEY/series?query=dune&pageNumber=2", "application/xml",
                              "kavita-series.xml");
  kios_fake_opds_add (fake, "/api/opds/KEY/search", 200, "application/opensearchdescription+xml",
                      "<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">"
                      "<Url type=\"application/atom+xml;profile=opds-catalog\" template=\"/api/opds/KEY/series?query={searchTerms}\"/>"
                      "</OpenSearchDescription>");
  kios_fake_opds_add_fixture (fake, "/api/opds/KEY/series?query=dune%20messiah", "application/xml", "kavita-series.xml");

  feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_assert_no_error (error);
  hits = kios_opds_client_search (client, feed, "dune messiah", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->entries->len, ==, 2);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/api/opds/KEY/search"), ==, 1);
}

static void
test_search_opds2_groups (void)
{
  g_autoptr (KiosFakeOpds)   fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char           *root = url_of (fake, "/opds/v2/catalog");
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, NULL, NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   hits = NULL;
  const KiosOpdsEntry       *book;

  kios_fake_opds_add (fake, "/opds/v2/catalog", 200, "application/opds+json",
                      "{\"metadata\":{\"title\":\"Komga\"},\"links\":[{\"rel\":\"search\",\"templated\":true,"
                      "\"type\":\"application/opds+json\",\"href\":\"@BASE@/opds/v2/search{?query}\"}],"
                      "\"navigation\":[{\"href\":\"@BASE@/opds/v2/libraries\",\"title\":\"Libraries\"}]}");
  kios_fake_opds_add_fixture (fake, "/opds/v2/search?query=dune", "application/opds+json", "komga-search.json");

  hits = kios_opds_client_search (client, NULL, "dune", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->entries->len, ==, 2);
  book = kios_opds_feed_find_entry (hits, "urn:isbn:9780441013593");
  g_assert_nonnull (book);
  g_assert_nonnull (book->progression_href);
}

static void
test_login_page (void)
{
  g_autoptr (KiosFakeOpds)   fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char           *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, NULL, NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = NULL;

  kios_fake_opds_add (fake, ROOT, 200, "text/html; charset=utf-8",
                      "<!DOCTYPE html><html><head><title>Authelia</title></head><body>Sign in</body></html>");
  feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_assert_null (feed);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG);
  g_assert_nonnull (strstr (error->message, "a login page answered instead of the catalog"));
}

static void
test_endless_feed (void)
{
  g_autoptr (KiosFakeEndless) endless = kios_fake_endless_new (
      "application/atom+xml", "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>forever</title>",
      "<entry><title>again and again and again</title><id>x</id>"
      "<link rel=\"subsection\" type=\"application/atom+xml\" href=\"/x\"/></entry>\n");
  g_autofree char           *root = g_strconcat (kios_fake_endless_get_url (endless), "/opds", NULL);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, NULL, NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = NULL;
  gint64                     start = g_get_monotonic_time ();

  kios_opds_client_set_max_feed_size (client, 2 * 1024 * 1024);
  feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_assert_null (feed);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "larger than"));
  /* Stopped at the cap, not at the server's own bounds. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
}

typedef struct
{
  guint         calls;
  guint64       last;
  guint64       total;
  GCancellable *cancel_after_first;
} Progress;

static void
progress_cb (guint64  received,
             guint64  total,
             gpointer user_data)
{
  Progress *p = user_data;

  g_assert_cmpuint (received, >, p->last);
  p->calls++;
  p->last = received;
  p->total = total;
  if (p->cancel_after_first != NULL)
    g_cancellable_cancel (p->cancel_after_first);
}

static KiosOpdsFeed *
book_feed (KiosFakeOpds *fake,
           const char   *id,
           const char   *target)
{
  g_autofree char *xml = g_strdup_printf (
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title>The Holy Bible</title><id>%s</id>"
      "<author><name>Anonymous</name></author>"
      "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" href=\"%s\"/>"
      "<link rel=\"http://www.cantook.com/api/progression\" type=\"application/vnd.readium.progression+json\" href=\"/p/%s\"/>"
      "</entry></feed>",
      id, target, id);
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed = kios_opds_feed_parse (xml, strlen (xml), NULL, kios_fake_opds_get_url (fake), &error);

  g_assert_no_error (error);
  return feed;
}

static guint
count_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint            n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_download_dedupe (void)
{
  g_autoptr (KiosFakeOpds)     fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_DIGEST);
  g_autofree char             *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autofree char             *book_path = kios_test_book ("kjv-bible.epub");
  g_autofree char             *contents = NULL;
  gsize                        len = 0;
  g_autoptr (GBytes)           bytes = NULL;
  g_autofree char             *db = kios_paths_library_db ();
  g_autofree char             *books_dir = kios_paths_books_dir ();
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosOpdsFeed)     feed = NULL;
  g_autoptr (KiosOpdsFeed)     other = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *path = NULL;
  g_autofree char             *again = NULL;
  g_autofree char             *third = NULL;
  g_autofree char             *meta = NULL;
  g_autofree char             *progression = NULL;
  g_autofree char             *hash = NULL;
  g_autofree char             *downloaded = NULL;
  gsize                        downloaded_len = 0;
  gboolean                     existing = TRUE;
  Progress                     progress = { 0 };
  guint                        file_requests;

  g_assert_true (g_file_get_contents (book_path, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  kios_fake_opds_add_bytes (fake, "/get/epub/6/Calibre_Library", "application/epub+zip", bytes, TRUE);
  {
    g_autofree char *data_dir = kios_paths_data_dir ();
    g_mkdir_with_parents (data_dir, 0700);
  }
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);

  feed = book_feed (fake, "urn:uuid:c0ffee00-0000-4000-8000-000000000006", "/get/epub/6/Calibre_Library");
  path = kios_opds_client_download_book (client, store, "calibre", feed->entries->pdata[0], "epub", progress_cb,
                                         &progress, &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (existing);
  g_assert_true (g_str_has_prefix (path, books_dir));
  g_assert_true (g_file_get_contents (path, &downloaded, &downloaded_len, NULL));
  g_assert_cmpuint (downloaded_len, ==, len);
  g_assert_true (memcmp (downloaded, contents, len) == 0);
  /* Streamed in one request: progress along the way (at most every
   * ~100 ms, and at the end), forward only. */
  g_assert_cmpuint (progress.calls, >=, 1);
  g_assert_cmpuint (progress.last, ==, len);
  g_assert_cmpuint (progress.total, ==, len);

  {
    g_autoptr (KiosBookRecord) record = kios_library_store_get_book_by_path (store, path, &error);

    g_assert_no_error (error);
    g_assert_nonnull (record);
    hash = g_strdup (record->hash);
    g_assert_cmpstr (record->title, ==, "The Holy Bible");
    g_assert_cmpstr (record->format, ==, "epub");
  }
  meta = kios_library_store_get_book_meta (store, hash, "opds.entry_id");
  g_assert_cmpstr (meta, ==, "urn:uuid:c0ffee00-0000-4000-8000-000000000006");
  progression = kios_library_store_get_book_meta (store, hash, "opds.progression");
  g_assert_true (g_str_has_suffix (progression, "/p/urn:uuid:c0ffee00-0000-4000-8000-000000000006"));

  /* The same entry again: no download, the same file. */
  file_requests = kios_fake_opds_count (fake, "/get/");
  again = kios_opds_client_download_book (client, store, "calibre", feed->entries->pdata[0], "epub", NULL, NULL,
                                          &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (existing);
  g_assert_cmpstr (again, ==, path);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/get/"), ==, file_requests);

  /* Another entry with the same bytes: one copy, found by hash. */
  kios_fake_opds_add_bytes (fake, "/get/epub/60/Calibre_Library", "application/epub+zip", bytes, TRUE);
  other = book_feed (fake, "urn:uuid:another", "/get/epub/60/Calibre_Library");
  third = kios_opds_client_download_book (client, store, "calibre", other->entries->pdata[0], NULL, NULL, NULL,
                                          &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (existing);
  g_assert_cmpstr (third, ==, path);
  g_assert_cmpuint (count_files (books_dir), ==, 1);
}

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

static void
test_download_cancel (void)
{
  g_autoptr (KiosFakeOpds)     fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (kios_fake_opds_get_url (fake), NULL, NULL);
  g_autofree char             *book_path = kios_test_book ("kjv-bible.epub");
  g_autofree char             *contents = NULL;
  gsize                        len = 0;
  g_autoptr (GBytes)           bytes = NULL;
  g_autoptr (GCancellable)     cancellable = g_cancellable_new ();
  g_autofree char             *dir = kios_paths_books_dir ();
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autoptr (GError)           error = NULL;
  Progress                     progress = { 0 };

  g_assert_true (g_file_get_contents (book_path, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  kios_fake_opds_add_bytes (fake, "/book", "application/epub+zip", bytes, TRUE);
  progress.cancel_after_first = cancellable;
  {
    g_autoptr (KiosBookImport) import = kios_book_import_new (store, "bible.epub", 0, &error);

    g_assert_no_error (error);
    g_assert_false (kios_opds_client_download (client, "/book", import, progress_cb, &progress, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpuint (progress.calls, ==, 1);
  }
  /* Neither the book nor a temporary file stays behind. */
  g_assert_cmpuint (count_files (dir), ==, 0);
}

static void
test_download_not_a_book (void)
{
  g_autoptr (KiosFakeOpds)     fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (kios_fake_opds_get_url (fake), NULL, NULL);
  g_autofree char             *dir = kios_paths_books_dir ();
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autoptr (GError)           error = NULL;

  kios_fake_opds_add (fake, "/book", 200, "application/epub+zip", "<html><body>Please sign in</body></html>");
  {
    g_autoptr (KiosBookImport) import = kios_book_import_new (store, "x.epub", 0, &error);

    g_assert_no_error (error);
    g_assert_false (kios_opds_client_download (client, "/book", import, NULL, NULL, NULL, &error));
    /* Refused from its first bytes, before the rest arrives. */
    g_assert_error (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_WEB_PAGE);
  }
  g_assert_cmpuint (count_files (dir), ==, 0);
}

static void
test_download_permission (void)
{
  g_autoptr (KiosFakeOpds)     fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autofree char             *root = url_of (fake, ROOT);
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autoptr (KiosLibraryStore) store = new_store ();
  g_autoptr (KiosBookImport)   import = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosOpdsFeed)     feed = NULL;

  kios_fake_opds_add_forbidden (fake, "/opds/download/7/epub/");
  feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_assert_no_error (error);
  import = kios_book_import_new (store, "x.epub", 0, &error);
  g_assert_no_error (error);
  g_assert_false (kios_opds_client_download (client, "/opds/download/7/epub/", import, NULL, NULL, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  /* Calibre-Web: a 401 on download is a missing permission, not a wrong password. */
  g_assert_nonnull (strstr (error->message, "permission"));
}

/* A Komga/Stump-style 401: no challenge header, an auth document body. */
static void
auth_document_handler (KiosFakeServer        *server,
                       const KiosFakeRequest *request,
                       KiosFakeResponse      *response,
                       gpointer               user_data)
{
  const char      *auth = kios_fake_request_get_header (request, "Authorization");
  g_autofree char *pair = g_base64_encode ((const guchar *) "me@example.com:pw", 17);
  g_autofree char *expected = g_strdup_printf ("Basic %s", pair);

  if (g_strcmp0 (auth, expected) != 0)
    {
      kios_fake_response_set_text (response, 401, "application/opds-authentication+json",
                                   "{\"title\":\"Komga\",\"id\":\"x\",\"authentication\":"
                                   "[{\"type\":\"http://opds-spec.org/auth/basic\"}]}");
      return;
    }
  kios_fake_response_set_text (response, 200, "application/opds+json",
                               "{\"metadata\":{\"title\":\"Komga\"},\"navigation\":"
                               "[{\"href\":\"/opds/v2/libraries\",\"title\":\"Libraries\"}]}");
}

static void
test_auth_document (void)
{
  g_autoptr (KiosFakeServer) server = kios_fake_server_new (auth_document_handler, NULL);
  g_autofree char           *root = g_strconcat (kios_fake_server_get_url (server), "/opds/v2/catalog", NULL);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, "me@example.com", "pw");
  g_autoptr (KiosOpdsClient) anonymous = kios_opds_client_new (root, NULL, NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosOpdsFeed)   feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_autoptr (KiosOpdsFeed)   none = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 1);
  g_assert_cmpstr (kios_opds_client_get_realm (client), ==, "Komga");

  none = kios_opds_client_fetch (anonymous, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Komga"));
}

/* ------------------------------------------------------------------ */
/* kiosctl browse / search / download, as a user runs them */

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError)     error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* A cover lands in the cache private to the user, in a private folder. */
static void
test_cover_cache_private (void)
{
  g_autoptr (KiosFakeOpds)   fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char           *root = url_of (fake, ROOT);
  g_autofree char           *href = url_of (fake, "/cover.png");
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root, NULL, NULL);
  g_autoptr (GBytes)         png = g_bytes_new_static ("\211PNG\r\n\032\n0000000000000000", 24);
  g_autoptr (GError)         error = NULL;
  g_autofree char           *cover = NULL;
  g_autofree char           *dir = NULL;
  g_autofree char           *expected = kios_opds_cover_cache_path (href);
  GStatBuf                   st;

  kios_fake_opds_add_bytes (fake, "/cover.png", "image/png", png, FALSE);
  cover = kios_opds_client_fetch_cover (client, href, 1024 * 1024, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cover, ==, expected);
  g_assert_cmpint (g_stat (cover, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  dir = g_path_get_dirname (cover);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

/* The catalog's own search for another address uses the one list of
 * catalog paths: a Komga-style /opds/v1.2/catalog under a site's root page
 * is found as well as calibre's /opds, what was typed is never offered
 * back, and a site with no catalog gets no suggestion. */
static void
test_suggest_catalog (void)
{
  g_autoptr (KiosFakeOpds)   fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char           *site = url_of (fake, "/");
  g_autofree char           *catalog = url_of (fake, "/opds/v1.2/catalog");
  g_autoptr (KiosOpdsClient) client = NULL;
  g_autoptr (KiosOpdsClient) at_catalog = NULL;
  g_autoptr (GError)         error = NULL;
  g_autofree char           *found = NULL;
  g_autofree char           *again = NULL;

  kios_fake_opds_add (fake, "/", 200, "text/html; charset=utf-8",
                      "<!DOCTYPE html><html><head><title>Komga</title></head><body>Sign in</body></html>");
  client = kios_opds_client_new (site, NULL, NULL);
  g_assert_null (kios_opds_client_suggest_catalog (client, NULL, &error));
  g_assert_no_error (error);

  kios_fake_opds_add_fixture (fake, "/opds/v1.2/catalog", ATOM, "calibre/root.xml");
  found = kios_opds_client_suggest_catalog (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, catalog);

  at_catalog = kios_opds_client_new (catalog, NULL, NULL);
  again = kios_opds_client_suggest_catalog (at_catalog, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (again);
}

/* kiosctl at a site's root page: the table's sentence, said once, and the
 * catalog it found under /opds. */
static void
test_kiosctl_not_a_catalog (void)
{
  g_autoptr (KiosFakeOpds) fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_NONE);
  g_autofree char         *site = url_of (fake, "/");
  g_autofree char         *suggested = url_of (fake, ROOT);
  g_auto (KiosctlRun)      add = { 0 };
  g_auto (KiosctlRun)      run = { 0 };

  kios_fake_opds_add (fake, "/", 200, "text/html; charset=utf-8",
                      "<!DOCTYPE html><html><head><title>Calibre-Web</title></head><body>Sign in</body></html>");
  kios_test_kiosctl (&add, NULL, "source", "add", "--kind", "opds", "--name", "site", "--url", site, NULL);
  g_assert_cmpint (add.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "browse", "site", NULL);
  g_test_message ("kiosctl says: %s", run.err);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "web page"));
  g_assert_null (strstr (strstr (run.err, "web page") + 1, "web page"));
  g_assert_nonnull (strstr (run.err, suggested));
}

static void
test_kiosctl (void)
{
  g_autoptr (KiosFakeOpds) fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_DIGEST);
  g_autofree char         *root = url_of (fake, ROOT);
  g_autofree char         *book_path = kios_test_book ("kjv-bible.epub");
  g_autofree char         *contents = NULL;
  gsize                    len = 0;
  g_autoptr (GBytes)       bytes = NULL;
  g_autoptr (JsonObject)   page = NULL;
  g_autoptr (JsonObject)   books = NULL;
  g_autoptr (JsonObject)   hits = NULL;
  g_autoptr (JsonObject)   none = NULL;
  g_autoptr (JsonObject)   got = NULL;
  g_autoptr (JsonObject)   again = NULL;
  JsonArray               *entries;
  JsonObject              *first;
  const char              *by_title = NULL;

  g_assert_true (g_file_get_contents (book_path, &contents, &len, NULL));
  bytes = g_bytes_new (contents, len);
  kios_fake_opds_add_bytes (fake, "/get/epub/6/Calibre_Library", "application/epub+zip", bytes, TRUE);

  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, "kios-pass\n", "source", "add", "--kind", "opds", "--name", "cal", "--url", root, "--user", "kios",
                       "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "test", "cal", NULL);
    g_assert_cmpstr (run.err, ==, "");
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "browse", "cal", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    page = parse_object (run.out);
  }
  /* Exactly the documented shape. */
  g_assert_cmpuint (json_object_get_size (page), ==, 2);
  g_assert_true (json_object_get_null_member (page, "next"));
  entries = json_object_get_array_member (page, "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 8);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);

      g_assert_cmpuint (json_object_get_size (e), ==, 6);
      g_assert_cmpstr (json_object_get_string_member (e, "kind"), ==, "navigation");
      g_assert_nonnull (json_object_get_array_member (e, "authors"));
      g_assert_nonnull (json_object_get_array_member (e, "formats"));
      if (g_strcmp0 (json_object_get_string_member (e, "title"), "By Title") == 0)
        by_title = json_object_get_string_member (e, "href");
    }
  g_assert_nonnull (by_title);
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "browse", "cal", by_title, "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    books = parse_object (run.out);
  }
  entries = json_object_get_array_member (books, "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 6);
  first = json_array_get_object_element (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "book");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (first, "formats"), 0), ==, "epub");

  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "search", "cal", "austen", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    hits = parse_object (run.out);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (hits, "entries")), ==, 5);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "search", "cal", "zzzqqq", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    none = parse_object (run.out);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (none, "entries")), ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "download", "cal", "urn:uuid:c0ffee00-0000-4000-8000-000000000006", "--json", NULL);
    g_assert_cmpstr (run.err, ==, "");
    g_assert_cmpint (run.status, ==, 0);
    got = parse_object (run.out);
    g_assert_false (json_object_get_boolean_member (got, "existing"));
    g_assert_true (g_file_test (json_object_get_string_member (got, "path"), G_FILE_TEST_IS_REGULAR));
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "download", "cal", "urn:uuid:c0ffee00-0000-4000-8000-000000000006", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    again = parse_object (run.out);
    g_assert_true (json_object_get_boolean_member (again, "existing"));
    g_assert_cmpstr (json_object_get_string_member (again, "path"), ==, json_object_get_string_member (got, "path"));
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "download", "cal", "urn:uuid:nowhere", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "no book with the id"));
  }
  /* A wrong password: exit 1, the error table's sentence (the app's),
   * naming the server, never the password nor the core's English. */
  {
    g_auto (KiosctlRun) add = { 0 };
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&add, "not-the-pass\n", "source", "add", "--kind", "opds", "--name", "bad", "--url", root, "--user",
                       "kios", "--password-stdin", NULL);
    g_assert_cmpint (add.status, ==, 0);
    kios_test_kiosctl (&run, NULL, "browse", "bad", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "refused the user name or password"));
    g_assert_nonnull (strstr (run.err, "127.0.0.1"));
    g_assert_null (strstr (run.err, "realm"));
    g_assert_null (strstr (run.err, "not-the-pass"));
    g_assert_cmpstr (run.out, ==, "");
  }
}

/* ------------------------------------------------------------------ */
/* the real calibre content server (Debian's calibre), when installed */

static char *
calibre_peer_dir (void)
{
  const char *dir = g_getenv ("KIOS_CALIBRE_PEER_DIR");

  if (dir != NULL)
    return g_strdup (dir);
  return g_build_filename (TEST_SRCDIR, "..", "..", "shared", "peers", "calibre-server", NULL);
}

/* TRUE when it ran; *busy when calibre refused because another calibre
 * program runs on this machine (it allows one at a time). */
static gboolean
run_script (const char *script,
            const char *port,
            const char *mode,
            const char *state,
            gboolean   *busy)
{
  g_autofree char   *dir = calibre_peer_dir ();
  g_autofree char   *path = g_build_filename (dir, script, NULL);
  const char        *argv[] = { path, port, mode, NULL };
  g_auto (GStrv)     envp = g_get_environ ();
  g_autofree char   *out = NULL;
  g_autofree char   *err = NULL;
  int                status = -1;
  g_autoptr (GError) error = NULL;

  envp = g_environ_setenv (envp, "CALIBRE_PEER_STATE", state, TRUE);
  envp = g_environ_setenv (envp, "CALIBRE_OPDS_ITEMS", "2", TRUE);
  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error))
    {
      g_test_message ("%s: %s", script, error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      if (busy != NULL)
        *busy = err != NULL && strstr (err, "Another calibre program") != NULL;
      g_test_message ("%s failed: %s %s", script, out, err);
      return FALSE;
    }
  return TRUE;
}

static void
check_calibre_mode (const char *mode)
{
  const char                  *port = g_getenv ("KIOS_TEST_CALIBRE_PORT") != NULL ? g_getenv ("KIOS_TEST_CALIBRE_PORT") : "8187";
  g_autofree char             *state = g_build_filename (g_get_tmp_dir (), "kios-test-calibre", NULL);
  g_autofree char             *root = g_strdup_printf ("http://127.0.0.1:%s/opds", port);
  g_autofree char             *db = kios_paths_library_db ();
  g_autoptr (KiosOpdsClient)   client = kios_opds_client_new (root, "kios", "kios-pass");
  g_autoptr (KiosOpdsClient)   wrong = kios_opds_client_new (root, "kios", "wrong-pass");
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GHashTable)       ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (KiosOpdsFeed)     root_feed = NULL;
  g_autoptr (KiosOpdsFeed)     hits = NULL;
  g_autoptr (KiosOpdsFeed)     none = NULL;
  g_autoptr (KiosOpdsFeed)     refused = NULL;
  g_autoptr (KiosOpdsEntry)    bible = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *next = NULL;
  g_autofree char             *path = NULL;
  g_autofree char             *again = NULL;
  gboolean                     existing = TRUE;
  guint                        pages = 0;
  gboolean                     busy = FALSE;
  gboolean                     started = run_script ("start.sh", port, mode, state, &busy);

  if (!started && busy)
    {
      g_test_skip ("another calibre program runs on this machine; calibre allows only one");
      return;
    }
  g_assert_true (started);

  root_feed = kios_opds_client_fetch (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (root_feed->entries->len, >=, 7);
  next = g_strdup (((KiosOpdsEntry *) root_feed->entries->pdata[1])->navigation_href); /* By Title */
  while (next != NULL && pages < 10)
    {
      g_autoptr (KiosOpdsFeed) page = kios_opds_client_fetch (client, next, NULL, &error);

      g_assert_no_error (error);
      pages++;
      for (guint i = 0; i < page->entries->len; i++)
        {
          const KiosOpdsEntry *e = page->entries->pdata[i];

          g_hash_table_add (ids, g_strdup (e->id));
          if (g_str_has_suffix (e->id, "000000000006") && bible == NULL)
            bible = kios_opds_entry_copy (e);
        }
      g_free (next);
      next = g_strdup (page->next_href);
    }
  /* 6 books at 2 per page (calibre may end with an empty page). */
  g_assert_cmpuint (g_hash_table_size (ids), ==, 6);
  g_assert_cmpuint (pages, >=, 3);
  g_assert_nonnull (bible);

  hits = kios_opds_client_search (client, NULL, "austen", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->entries->len, >=, 2);
  none = kios_opds_client_search (client, NULL, "zzzqqq", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->entries->len, ==, 0);

  {
    g_autofree char *data_dir = kios_paths_data_dir ();
    g_mkdir_with_parents (data_dir, 0700);
  }
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  path = kios_opds_client_download_book (client, store, mode, bible, "epub", NULL, NULL, &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (existing);
  /* It opens as a book. */
  g_assert_cmpint (kios_book_format_detect (path, &error), ==, KIOS_BOOK_FORMAT_EPUB);
  g_assert_no_error (error);
  again = kios_opds_client_download_book (client, store, mode, bible, "epub", NULL, NULL, &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (existing);
  g_assert_cmpstr (again, ==, path);

  refused = kios_opds_client_fetch (wrong, NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "calibre"));

  run_script ("stop.sh", port, mode, state, NULL);
}

static gboolean
calibre_available (void)
{
  g_autofree char *exe = g_find_program_in_path ("calibre-server");
  g_autofree char *dir = calibre_peer_dir ();
  g_autofree char *start = g_build_filename (dir, "start.sh", NULL);

  if (exe == NULL)
    {
      g_test_skip ("calibre-server is not installed (apt-get install calibre)");
      return FALSE;
    }
  if (!g_file_test (start, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("the calibre peer scripts are not there (set KIOS_CALIBRE_PEER_DIR)");
      return FALSE;
    }
  return TRUE;
}

static void
test_calibre_basic (void)
{
  if (calibre_available ())
    check_calibre_mode ("basic");
}

static void
test_calibre_digest (void)
{
  if (calibre_available ())
    check_calibre_mode ("digest");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/opds-client/basic-auth", test_basic_auth);
  g_test_add_func ("/kios/opds-client/digest-auth", test_digest_auth);
  g_test_add_func ("/kios/opds-client/wrong-password", test_wrong_password);
  g_test_add_func ("/kios/opds-client/no-credentials", test_no_credentials);
  g_test_add_func ("/kios/opds-client/redirect-other-host", test_redirect_other_host);
  g_test_add_func ("/kios/opds-client/pagination", test_pagination);
  g_test_add_func ("/kios/opds-client/search-template", test_search_template);
  g_test_add_func ("/kios/opds-client/search-opensearch", test_search_opensearch);
  g_test_add_func ("/kios/opds-client/search-opds2-groups", test_search_opds2_groups);
  g_test_add_func ("/kios/opds-client/login-page", test_login_page);
  g_test_add_func ("/kios/opds-client/endless-feed", test_endless_feed);
  g_test_add_func ("/kios/opds-client/download-dedupe", test_download_dedupe);
  g_test_add_func ("/kios/opds-client/download-cancel", test_download_cancel);
  g_test_add_func ("/kios/opds-client/download-not-a-book", test_download_not_a_book);
  g_test_add_func ("/kios/opds-client/download-permission", test_download_permission);
  g_test_add_func ("/kios/opds-client/auth-document", test_auth_document);
  g_test_add_func ("/kios/opds-client/kiosctl", test_kiosctl);
  g_test_add_func ("/kios/opds-client/suggest-catalog", test_suggest_catalog);
  g_test_add_func ("/kios/opds-client/cover-cache-private", test_cover_cache_private);
  g_test_add_func ("/kios/opds-client/kiosctl-not-a-catalog", test_kiosctl_not_a_catalog);
  g_test_add_func ("/kios/opds-client/calibre-server-basic", test_calibre_basic);
  g_test_add_func ("/kios/opds-client/calibre-server-digest", test_calibre_digest);
  return g_test_run ();
}
