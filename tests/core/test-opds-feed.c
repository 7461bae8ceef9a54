/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-opds-feed"

#include "config.h"

#include "kios-opds-feed.h"
#include "kios-sync-error.h"

#include <string.h>

#define CALIBRE "http://127.0.0.1:8180"

static char *
fixture (const char *name,
         gsize      *len)
{
  g_autofree char   *path = g_build_filename (TEST_SRCDIR, "fixtures", "opds", name, NULL);
  char              *contents = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);
  return contents;
}

static KiosOpdsFeed *
parse_fixture (const char *name,
               const char *content_type,
               const char *base)
{
  gsize              len = 0;
  g_autofree char   *data = fixture (name, &len);
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed = kios_opds_feed_parse (data, len, content_type, base, &error);

  g_assert_no_error (error);
  g_assert_nonnull (feed);
  return feed;
}

static const KiosOpdsEntry *
entry_at (KiosOpdsFeed *feed,
          guint         i)
{
  g_assert_cmpuint (i, <, feed->entries->len);
  return feed->entries->pdata[i];
}

/* Every string anywhere in the model, for "no leak" checks. */
static GString *
dump_feed (const KiosOpdsFeed *feed)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s|%s|%s|%s\n", feed->title, feed->id, feed->next_href, feed->search_template);
  for (guint i = 0; i < feed->entries->len; i++)
    {
      const KiosOpdsEntry *e = feed->entries->pdata[i];

      g_string_append_printf (s, "%s|%s|%s|%s|%s\n", e->id, e->title, e->summary, e->series, e->navigation_href);
      for (guint j = 0; j < e->authors->len; j++)
        g_string_append_printf (s, "%s\n", (char *) e->authors->pdata[j]);
    }
  return s;
}

static void
test_calibre_root (void)
{
  g_autoptr (KiosOpdsFeed) feed = parse_fixture ("calibre/root.xml", "application/atom+xml; charset=UTF-8",
                                                 CALIBRE "/opds");
  const KiosOpdsEntry     *e;

  g_assert_cmpint (feed->version, ==, 1);
  g_assert_cmpstr (feed->title, ==, "calibre Library");
  g_assert_cmpuint (feed->entries->len, ==, 8);
  /* calibre's navigation links have no rel: still navigation, decided per entry. */
  for (guint i = 0; i < feed->entries->len; i++)
    g_assert_cmpint (entry_at (feed, i)->kind, ==, KIOS_OPDS_ENTRY_NAVIGATION);
  e = entry_at (feed, 1);
  g_assert_cmpstr (e->title, ==, "By Title");
  g_assert_cmpstr (e->navigation_href, ==, CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library");
  g_assert_cmpstr (feed->search_template, ==, CALIBRE "/opds/search/{searchTerms}?library_id=Calibre_Library");
  g_assert_null (feed->opensearch_href);
  g_assert_cmpstr (feed->start_href, ==, CALIBRE "/opds?library_id=Calibre_Library");
  g_assert_null (feed->next_href);
}

static void
test_calibre_books (void)
{
  g_autoptr (KiosOpdsFeed) feed = parse_fixture ("calibre/acq-by-title.xml", "application/atom+xml; charset=UTF-8",
                                                 CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library");
  const KiosOpdsEntry     *persuasion = NULL;
  g_autoptr (GPtrArray)    formats = NULL;
  const KiosOpdsLink      *pdf;

  g_assert_cmpuint (feed->entries->len, ==, 6);
  for (guint i = 0; i < feed->entries->len; i++)
    {
      const KiosOpdsEntry *e = entry_at (feed, i);

      g_assert_cmpint (e->kind, ==, KIOS_OPDS_ENTRY_BOOK);
      if (g_strcmp0 (e->title, "Persuasion") == 0)
        persuasion = e;
    }
  g_assert_nonnull (persuasion);
  g_assert_cmpstr (persuasion->id, ==, "urn:uuid:c0ffee00-0000-4000-8000-000000000002");
  g_assert_cmpuint (persuasion->authors->len, ==, 1);
  g_assert_cmpstr (persuasion->authors->pdata[0], ==, "Jane Austen");
  g_assert_cmpstr (persuasion->series, ==, "Austen Novels");
  g_assert_cmpfloat (persuasion->series_index, ==, 6);
  g_assert_nonnull (strstr (persuasion->summary, "TAGS:"));
  g_assert_cmpstr (persuasion->cover_href, ==, CALIBRE "/get/cover/2/Calibre_Library");
  g_assert_cmpstr (persuasion->thumbnail_href, ==, CALIBRE "/get/thumb/2/Calibre_Library");
  formats = kios_opds_entry_get_formats (persuasion);
  g_assert_cmpuint (formats->len, ==, 2);
  pdf = kios_opds_entry_pick_acquisition (persuasion, "pdf");
  g_assert_nonnull (pdf);
  g_assert_cmpstr (pdf->href, ==, CALIBRE "/get/pdf/2/Calibre_Library");
  g_assert_cmpint (pdf->length, >, 0);
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (persuasion, NULL)->href, ==, CALIBRE "/get/epub/2/Calibre_Library");
  g_assert_null (kios_opds_entry_pick_acquisition (persuasion, "cbz"));
  g_assert_nonnull (kios_opds_feed_find_entry (feed, "urn:uuid:c0ffee00-0000-4000-8000-000000000006"));
}

static void
test_calibre_paged (void)
{
  g_autoptr (KiosOpdsFeed) first = parse_fixture ("calibre/paged-by-title.xml", NULL,
                                                  CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library");
  g_autoptr (KiosOpdsFeed) second = parse_fixture ("calibre/paged-by-title-offset2.xml", NULL,
                                                   CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library&offset=2");

  g_assert_cmpuint (first->entries->len, ==, 2);
  g_assert_cmpstr (first->next_href, ==, CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library&offset=2");
  g_assert_null (first->previous_href);
  g_assert_cmpstr (second->next_href, ==, CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library&offset=4");
  g_assert_cmpstr (second->previous_href, ==, CALIBRE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library&offset=0");
}

static void
test_calibre_web (void)
{
  g_autoptr (KiosOpdsFeed) root = parse_fixture ("calibre-web-root.xml", "application/atom+xml", "https://cw.example/opds");
  g_autoptr (KiosOpdsFeed) books = parse_fixture ("calibre-web-books.xml", "application/atom+xml",
                                                  "https://cw.example/opds/books/letter/00");
  const KiosOpdsEntry     *e;
  g_autoptr (GPtrArray)    formats = NULL;

  g_assert_cmpuint (root->entries->len, ==, 2);
  g_assert_cmpint (entry_at (root, 0)->kind, ==, KIOS_OPDS_ENTRY_NAVIGATION);
  g_assert_cmpstr (entry_at (root, 0)->navigation_href, ==, "https://cw.example/opds/books");
  /* Both search forms: the OSD and a direct template. */
  g_assert_cmpstr (root->opensearch_href, ==, "https://cw.example/opds/osd");
  g_assert_cmpstr (root->search_template, ==, "https://cw.example/opds/search/{searchTerms}");

  /* A book list labelled kind=navigation: books all the same. */
  g_assert_cmpuint (books->entries->len, ==, 1);
  e = entry_at (books, 0);
  g_assert_cmpint (e->kind, ==, KIOS_OPDS_ENTRY_BOOK);
  g_assert_cmpuint (e->authors->len, ==, 2);
  g_assert_cmpstr (e->authors->pdata[0], ==, "Terry Pratchett");
  g_assert_cmpstr (e->authors->pdata[1], ==, "Neil Gaiman");
  g_assert_cmpstr (e->language, ==, "eng");
  g_assert_cmpstr (e->series, ==, "Discworld Extras");
  g_assert_cmpfloat (e->series_index, ==, 2.5);
  g_assert_nonnull (strstr (e->summary, "An angel & a demon."));
  formats = kios_opds_entry_get_formats (e);
  g_assert_cmpuint (formats->len, ==, 2);
  g_assert_cmpstr (formats->pdata[0], ==, "epub");
  g_assert_cmpstr (formats->pdata[1], ==, "mobi");
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (e, NULL)->href, ==, "https://cw.example/opds/download/7/epub/");
  g_assert_cmpstr (books->next_href, ==, "https://cw.example/opds/books/letter/00?offset=60");
}

static void
test_opensearch (void)
{
  gsize              len = 0;
  g_autofree char   *data = fixture ("calibre-web-osd.xml", &len);
  g_autoptr (GError) error = NULL;
  g_autofree char   *template_url = kios_opds_parse_opensearch (data, len, "https://cw.example/opds/osd", &error);
  g_autofree char   *url = NULL;

  g_assert_no_error (error);
  /* The text/html Url is skipped. */
  g_assert_cmpstr (template_url, ==, "https://cw.example/opds/search?query={searchTerms}&page={startPage?}");
  url = kios_opds_expand_search (template_url, "pride & prejudice/1+1");
  g_assert_cmpstr (url, ==, "https://cw.example/opds/search?query=pride%20%26%20prejudice%2F1%2B1&page=");
}

static void
test_templates (void)
{
  g_autofree char *a = kios_opds_expand_search ("http://h/opds/search/{searchTerms}?library_id=X", "jane austen");
  g_autofree char *b = kios_opds_expand_search ("https://k/opds/v2/search{?query}", "dune");
  g_autofree char *c = kios_opds_expand_search ("https://k/s{?query,title,author}", "é");
  g_autofree char *d = kios_opds_expand_search ("https://k/s?x=1{&query}", "a b");

  g_assert_cmpstr (a, ==, "http://h/opds/search/jane%20austen?library_id=X");
  g_assert_cmpstr (b, ==, "https://k/opds/v2/search?query=dune");
  g_assert_cmpstr (c, ==, "https://k/s?query=%C3%A9");
  g_assert_cmpstr (d, ==, "https://k/s?x=1&query=a%20b");
}

static void
test_kavita (void)
{
  g_autoptr (KiosOpdsFeed) feed = parse_fixture ("kavita-series.xml", "application/xml",
                                                 "https://kavita.example/api/opds/KEY/series?query=dune&pageNumber=2");
  const KiosOpdsEntry     *nav;
  const KiosOpdsEntry     *book;

  g_assert_cmpuint (feed->entries->len, ==, 2);
  /* Double-escaped "&amp;" repaired. */
  g_assert_cmpstr (feed->next_href, ==, "https://kavita.example/api/opds/KEY/series?query=dune&pageNumber=3");
  g_assert_cmpstr (feed->previous_href, ==, "https://kavita.example/api/opds/KEY/series?query=dune&pageNumber=1");
  g_assert_cmpstr (feed->opensearch_href, ==, "https://kavita.example/api/opds/KEY/search");
  g_assert_cmpint (feed->total_results, ==, 41);
  g_assert_cmpint (feed->items_per_page, ==, 20);
  nav = entry_at (feed, 0);
  g_assert_cmpint (nav->kind, ==, KIOS_OPDS_ENTRY_NAVIGATION);
  g_assert_cmpstr (nav->navigation_href, ==, "https://kavita.example/api/opds/KEY/series/12");
  g_assert_cmpstr (nav->thumbnail_href, ==, "https://kavita.example/api/image/series-cover?seriesId=12&apiKey=KEY");
  book = entry_at (feed, 1);
  g_assert_cmpint (book->kind, ==, KIOS_OPDS_ENTRY_BOOK);
  g_assert_cmpstr (book->authors->pdata[0], ==, "Frank Herbert");
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (book, "epub")->href, ==,
                   "https://kavita.example/api/opds/KEY/series/13/volume/20/chapter/88/download/Dune%20Messiah.epub");
}

static void
test_cops (void)
{
  g_autoptr (KiosOpdsFeed) feed = parse_fixture ("cops-feed.xml", "application/atom+xml",
                                                 "http://nas.local/cops/feed.php?page=10");
  const KiosOpdsEntry     *e;
  const KiosOpdsLink      *facet;

  /* Document-relative: the last segment of the base is dropped, not appended to. */
  g_assert_cmpstr (feed->next_href, ==, "http://nas.local/cops/feed.php?page=10&n=2");
  g_assert_cmpstr (feed->start_href, ==, "http://nas.local/cops/feed.php");
  g_assert_cmpstr (feed->opensearch_href, ==, "http://nas.local/cops/feed.php?page=search");
  g_assert_cmpuint (feed->entries->len, ==, 1);
  e = entry_at (feed, 0);
  g_assert_cmpint (e->kind, ==, KIOS_OPDS_ENTRY_BOOK);
  g_assert_cmpstr (e->cover_href, ==, "http://nas.local/cops/fetch.php?id=1");
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (e, "epub")->href, ==,
                   "http://nas.local/cops/fetch.php?id=1&type=epub&data=1");
  g_assert_cmpstr (e->summary, ==, "A traveller goes far.");
  g_assert_cmpstr (e->language, ==, "en");
  g_assert_cmpuint (feed->facets->len, ==, 2);
  facet = feed->facets->pdata[0];
  g_assert_cmpstr (facet->facet_group, ==, "Letters");
  g_assert_true (facet->active);
  g_assert_cmpint (facet->count, ==, 3);
  g_assert_false (((KiosOpdsLink *) feed->facets->pdata[1])->active);
}

static void
test_grimmory (void)
{
  g_autoptr (KiosOpdsFeed) feed = parse_fixture ("grimmory-catalog.xml", "application/atom+xml",
                                                 "https://grimmory.example/api/v1/opds/catalog?page=2&size=2");
  const KiosOpdsEntry     *first, *second;
  g_autoptr (GPtrArray)    formats = NULL;

  /* ?page= paging: next is followed, resolved against the server's root. */
  g_assert_cmpstr (feed->next_href, ==, "https://grimmory.example/api/v1/opds/catalog?page=3&size=2");
  g_assert_cmpstr (feed->opensearch_href, ==, "https://grimmory.example/api/v1/opds/search.opds");
  g_assert_cmpuint (feed->entries->len, ==, 2);

  first = entry_at (feed, 0);
  g_assert_cmpint (first->kind, ==, KIOS_OPDS_ENTRY_BOOK);
  g_assert_cmpstr (first->title, ==, "The Fellowship of the Ring");
  g_assert_cmpstr (first->authors->pdata[0], ==, "J. R. R. Tolkien");
  g_assert_cmpstr (first->series, ==, "The Lord of the Rings");
  g_assert_cmpfloat (first->series_index, ==, 1.0);
  g_assert_cmpstr (first->language, ==, "en");
  g_assert_cmpstr (first->cover_href, ==, "https://grimmory.example/api/v1/opds/42/cover?1719734400");
  formats = kios_opds_entry_get_formats (first);
  g_assert_cmpuint (formats->len, ==, 2);
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (first, "epub")->href, ==,
                   "https://grimmory.example/api/v1/opds/42/download?fileId=7");
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (first, "pdf")->href, ==,
                   "https://grimmory.example/api/v1/opds/42/download?fileId=8");

  second = entry_at (feed, 1);
  g_assert_cmpfloat (second->series_index, ==, 2.0);
  g_assert_null (kios_opds_entry_pick_acquisition (second, "pdf"));
}

static void
test_komga_groups (void)
{
  g_autoptr (KiosOpdsFeed) feed = NULL;
  gsize                    len = 0;
  g_autofree char         *raw = fixture ("komga-search.json", &len);
  g_autoptr (GString)      data = g_string_new (raw);
  g_autoptr (GError)       error = NULL;
  const KiosOpdsEntry     *book;

  g_string_replace (data, "@BASE@", "https://komga.example", 0);
  feed = kios_opds_feed_parse (data->str, data->len, "application/opds+json", "https://komga.example/opds/v2/search?query=dune", &error);
  g_assert_no_error (error);
  g_assert_cmpint (feed->version, ==, 2);
  /* Results only in groups: flattened, each remembering its group. */
  g_assert_cmpuint (feed->entries->len, ==, 2);
  g_assert_cmpint (entry_at (feed, 0)->kind, ==, KIOS_OPDS_ENTRY_NAVIGATION);
  g_assert_cmpstr (entry_at (feed, 0)->group, ==, "Series");
  book = entry_at (feed, 1);
  g_assert_cmpint (book->kind, ==, KIOS_OPDS_ENTRY_BOOK);
  g_assert_cmpstr (book->group, ==, "Books");
  g_assert_cmpstr (book->id, ==, "urn:isbn:9780441013593");
  g_assert_cmpstr (book->authors->pdata[0], ==, "Frank Herbert");
  g_assert_cmpstr (book->series, ==, "Dune");
  g_assert_cmpfloat (book->series_index, ==, 1.0);
  g_assert_cmpstr (book->summary, ==, "Spice & sand.");
  g_assert_cmpstr (book->progression_href, ==, "https://komga.example/opds/v2/books/0A1/progression");
  g_assert_cmpstr (book->thumbnail_href, ==, "https://komga.example/opds/v2/books/0A1/thumbnail");
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (book, "epub")->href, ==, "https://komga.example/opds/v2/books/0A1/file");
  g_assert_cmpstr (feed->search_template, ==, "https://komga.example/opds/v2/search{?query}");
}

static void
test_stump (void)
{
  g_autoptr (KiosOpdsFeed) feed = parse_fixture ("stump-books.json", "application/opds+json",
                                                 "https://stump.example/opds/v2.0/books/latest");
  const KiosOpdsEntry     *hobbit;
  g_autoptr (GPtrArray)    formats = NULL;

  /* No next link: one page, no invented paging. */
  g_assert_null (feed->next_href);
  g_assert_cmpuint (feed->entries->len, ==, 2);
  hobbit = entry_at (feed, 0);
  g_assert_cmpstr (hobbit->title, ==, "The Hobbit");
  g_assert_cmpstr (hobbit->authors->pdata[0], ==, "J. R. R. Tolkien");
  g_assert_cmpstr (hobbit->series, ==, "Middle-earth");
  /* The newer rel is the one taken. */
  g_assert_cmpstr (hobbit->progression_href, ==, "https://stump.example/opds/v2.0/books/stump-book-1/progression");
  g_assert_cmpstr (kios_opds_entry_pick_acquisition (hobbit, NULL)->href, ==,
                   "https://stump.example/opds/v2.0/books/stump-book-1/file");
  /* Streamable only: listed, with nothing to download. */
  formats = kios_opds_entry_get_formats (entry_at (feed, 1));
  g_assert_cmpuint (formats->len, ==, 0);
  g_assert_null (kios_opds_entry_pick_acquisition (entry_at (feed, 1), NULL));
}

static void
assert_refused (const char *data,
                gsize       len,
                const char *content_type,
                const char *expect_in_message)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosOpdsFeed) feed = kios_opds_feed_parse (data, len, content_type, "http://h/opds", &error);

  g_assert_null (feed);
  /* A web page instead of the catalog has a code of its own. */
  if (expect_in_message != NULL && strstr (expect_in_message, "login page") != NULL)
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG);
  else
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  /* Said once, not twice. */
  if (expect_in_message != NULL && strstr (expect_in_message, "login page") != NULL && strstr (error->message, expect_in_message) != NULL)
    g_assert_null (strstr (strstr (error->message, expect_in_message) + 1, expect_in_message));
  if (expect_in_message != NULL && strstr (error->message, expect_in_message) == NULL)
    g_error ("message “%s” does not say “%s”", error->message, expect_in_message);
  /* Nothing of a local file may reach the message. */
  g_assert_null (strstr (error->message, "root:"));
}

static void
test_entity_bomb (void)
{
  gsize            len = 0;
  g_autofree char *data = fixture ("hostile/entity-bomb.xml", &len);

  assert_refused (data, len, "application/atom+xml", "entit");
}

static void
test_external_entity (void)
{
  gsize                    len = 0;
  g_autofree char         *data = fixture ("hostile/xxe.xml", &len);
  g_autofree char         *passwd = NULL;
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosOpdsFeed) feed = NULL;

  assert_refused (data, len, "application/atom+xml", "entities");

  /* Even without the DOCTYPE check, nothing of /etc/passwd is ever expanded:
   * strip the check's trigger by parsing the entry alone as an undeclared
   * reference, which must fail rather than read the file. */
  g_file_get_contents ("/etc/passwd", &passwd, NULL, NULL);
  {
    const char *undeclared = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>&secret;</title></feed>";

    feed = kios_opds_feed_parse (undeclared, strlen (undeclared), NULL, "http://h/", &error);
    if (feed != NULL)
      {
        g_autoptr (GString) dump = dump_feed (feed);
        g_assert_null (strstr (dump->str, "root:"));
      }
    else
      g_assert_null (strstr (error->message, "root:"));
  }
}

static void
test_invalid_utf8 (void)
{
  const char               bad[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"
                                   "<title>caf\xE9</title></feed>";
  const char               bad_json[] = "{\"metadata\":{\"title\":\"caf\xE9\"},\"navigation\":[]}";
  const char               surrogate[] = "{\"metadata\":{\"title\":\"x\"},\"publications\":[{\"metadata\":{\"title\":\"\\ud800\"},"
                                         "\"links\":[{\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"/b\",\"type\":\"application/pdf\"}]}]}";
  g_autoptr (KiosOpdsFeed) feed = NULL;
  g_autoptr (GError)       error = NULL;

  assert_refused (bad, sizeof bad - 1, "application/atom+xml", "UTF-8");
  assert_refused (bad_json, sizeof bad_json - 1, "application/opds+json", "UTF-8");

  /* A lone surrogate escape never reaches the model as invalid UTF-8. */
  feed = kios_opds_feed_parse (surrogate, sizeof surrogate - 1, "application/opds+json", "http://h/", &error);
  if (feed == NULL)
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  else
    {
      g_assert_cmpuint (feed->entries->len, ==, 1);
      g_assert_true (g_utf8_validate (entry_at (feed, 0)->title, -1, NULL));
    }
}

static void
test_truncated (void)
{
  gsize            len = 0;
  g_autofree char *data = fixture ("hostile/truncated.xml", &len);
  const char       json[] = "{\"metadata\":{\"title\":\"x\"},\"publications\":[{\"metadata\":";

  assert_refused (data, len, "application/atom+xml", NULL);
  assert_refused (json, sizeof json - 1, "application/opds+json", "JSON");
  assert_refused ("", 0, "application/atom+xml", "empty");
}

static void
test_deep_json (void)
{
  /* 200,000 levels: json-glib 1.6 would recurse itself to death. */
  const gsize         depth = 200000;
  g_autoptr (GString) data = g_string_sized_new (depth * 2 + 64);
  g_autoptr (GString) strings = g_string_new ("{\"metadata\":{\"title\":\"");

  g_string_append (data, "{\"metadata\":{\"title\":\"x\"},\"navigation\":");
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (data, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (data, ']');
  g_string_append_c (data, '}');
  assert_refused (data->str, data->len, "application/opds+json", "nested");

  /* Brackets inside strings do not count. */
  for (gsize i = 0; i < 1000; i++)
    g_string_append (strings, "[{");
  g_string_append (strings, "\"},\"navigation\":[]}");
  {
    g_autoptr (GError)       error = NULL;
    g_autoptr (KiosOpdsFeed) feed = kios_opds_feed_parse (strings->str, strings->len, "application/opds+json",
                                                          "http://h/", &error);
    g_assert_no_error (error);
    g_assert_nonnull (feed);
  }
}

static void
test_not_a_catalog (void)
{
  const char html[] = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form></form></body></html>";
  const char xhtml[] = "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body>Login</body></html>";
  const char rss[] = "<rss version=\"2.0\"><channel/></rss>";
  const char json[] = "{\"error\":\"bad key\"}";

  assert_refused (html, sizeof html - 1, "text/html; charset=utf-8", "a login page answered instead of the catalog");
  assert_refused (html, sizeof html - 1, NULL, "a login page answered instead of the catalog");
  assert_refused (xhtml, sizeof xhtml - 1, "application/xml", "a login page answered instead of the catalog");
  assert_refused (rss, sizeof rss - 1, "application/xml", "not an OPDS catalog");
  assert_refused (json, sizeof json - 1, "application/json", "not an OPDS 2 catalog");
}

static void
test_resolve (void)
{
  g_autofree char *a = kios_opds_resolve_href ("http://h/cops/feed.php?page=1", "feed.php?page=2");
  g_autofree char *b = kios_opds_resolve_href ("http://h/opds", "file:///etc/passwd");
  g_autofree char *c = kios_opds_resolve_href ("http://h/opds", "javascript:alert(1)");
  g_autofree char *d = kios_opds_resolve_href ("http://h/a/b/", "../c");

  g_assert_cmpstr (a, ==, "http://h/cops/feed.php?page=2");
  g_assert_null (b);
  g_assert_null (c);
  g_assert_cmpstr (d, ==, "http://h/a/c");
}

static void
test_xml_base (void)
{
  const char               doc[] = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://other.example/root/\">"
                                   "<link rel=\"next\" href=\"page2\"/>"
                                   "<entry xml:base=\"file:///etc/\"><title>t</title><id>i</id>"
                                   "<link rel=\"subsection\" type=\"application/atom+xml\" href=\"passwd\"/></entry></feed>";
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosOpdsFeed) feed = kios_opds_feed_parse (doc, sizeof doc - 1, NULL, "http://h/opds", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (feed->next_href, ==, "http://other.example/root/page2");
  /* A file: base is ignored, never followed. */
  if (feed->entries->len > 0)
    g_assert_false (g_str_has_prefix (entry_at (feed, 0)->navigation_href, "file:"));
}

static void
test_auth_document (void)
{
  const char                       doc[] = "{\"id\":\"https://k/opds/v2/auth\",\"title\":\"Komga\",\"authentication\":"
                                           "[{\"type\":\"http://opds-spec.org/auth/basic\",\"labels\":{\"login\":\"Email\"}}]}";
  const char                       oauth[] = "{\"title\":\"Storyteller\",\"authentication\":[{\"type\":\"http://opds-spec.org/auth/oauth/implicit\"}]}";
  g_autoptr (GError)               error = NULL;
  g_autoptr (KiosOpdsAuthDocument) a = kios_opds_auth_document_parse (doc, sizeof doc - 1, &error);
  g_autoptr (KiosOpdsAuthDocument) b = kios_opds_auth_document_parse (oauth, sizeof oauth - 1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (a->title, ==, "Komga");
  g_assert_true (a->supports_basic);
  g_assert_false (b->supports_basic);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/opds-feed/calibre-root", test_calibre_root);
  g_test_add_func ("/kios/opds-feed/calibre-books", test_calibre_books);
  g_test_add_func ("/kios/opds-feed/calibre-paged", test_calibre_paged);
  g_test_add_func ("/kios/opds-feed/calibre-web", test_calibre_web);
  g_test_add_func ("/kios/opds-feed/opensearch", test_opensearch);
  g_test_add_func ("/kios/opds-feed/templates", test_templates);
  g_test_add_func ("/kios/opds-feed/kavita", test_kavita);
  g_test_add_func ("/kios/opds-feed/cops", test_cops);
  g_test_add_func ("/kios/opds-feed/grimmory", test_grimmory);
  g_test_add_func ("/kios/opds-feed/komga-groups", test_komga_groups);
  g_test_add_func ("/kios/opds-feed/stump", test_stump);
  g_test_add_func ("/kios/opds-feed/entity-bomb", test_entity_bomb);
  g_test_add_func ("/kios/opds-feed/external-entity", test_external_entity);
  g_test_add_func ("/kios/opds-feed/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/kios/opds-feed/truncated", test_truncated);
  g_test_add_func ("/kios/opds-feed/deep-json", test_deep_json);
  g_test_add_func ("/kios/opds-feed/not-a-catalog", test_not_a_catalog);
  g_test_add_func ("/kios/opds-feed/resolve", test_resolve);
  g_test_add_func ("/kios/opds-feed/xml-base", test_xml_base);
  g_test_add_func ("/kios/opds-feed/auth-document", test_auth_document);
  return g_test_run ();
}
