/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-limits-sync"

#include "config.h"

#include "kios-fake-kobo.h"
#include "kios-fake-server.h"
#include "kios-http.h"
#include "kios-kobo-library.h"
#include "kios-library-store.h"
#include "kios-limits.h"
#include "kios-opds-client.h"
#include "kios-opds-feed.h"
#include "kios-readium-client.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>

#include <string.h>

/*
 * The limits of the sync side (kios-limits.h), each crossed: the value at
 * the limit is taken whole, one past it is refused or cut as documented.
 * Real parts only: HTTP over loopback with the fake server, the real OPDS
 * and Readium parsers, the real redaction registry.
 */

/* ---- HTTP header lines -------------------------------------------------- */

/* Answers /headers/N with N "X-Line-i" headers; the fake server adds
 * Content-Length and Connection, so the reply has N + 2 header lines. */
static void
header_lines_handler (KiosFakeServer        *server,
                      const KiosFakeRequest *request,
                      KiosFakeResponse      *response,
                      gpointer               user_data)
{
  guint n;

  if (g_str_has_prefix (request->path, "/hop/"))
    {
      guint hops = (guint) g_ascii_strtoull (request->path + strlen ("/hop/"), NULL, 10);

      if (hops == 0)
        kios_fake_response_set_text (response, 200, "text/plain", "arrived");
      else
        {
          g_autofree char *next = g_strdup_printf ("/hop/%u", hops - 1);

          response->status = 302;
          kios_fake_response_add_header (response, "Location", next);
        }
      return;
    }
  if (g_str_has_prefix (request->path, "/bytes/"))
    {
      gsize len = g_ascii_strtoull (request->path + strlen ("/bytes/"), NULL, 10);

      response->status = 200;
      response->body = g_bytes_new_take (g_malloc0 (len), len);
      return;
    }
  if (!g_str_has_prefix (request->path, "/headers/") && !g_str_has_prefix (request->path, "/error-page/"))
    {
      kios_fake_response_set_text (response, 404, "text/plain", "no");
      return;
    }
  if (g_str_has_prefix (request->path, "/error-page/"))
    {
      gsize len = g_ascii_strtoull (request->path + strlen ("/error-page/"), NULL, 10);
      char *page = g_malloc (len);

      for (gsize i = 0; i < len; i++)
        page[i] = 'a' + i % 26;
      response->status = 403;
      response->body = g_bytes_new_take (page, len);
      return;
    }
  n = (guint) g_ascii_strtoull (request->path + strlen ("/headers/"), NULL, 10);
  response->status = 200;
  response->body = g_bytes_new_static ("ok", 2);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("X-Line-%u", i);

      kios_fake_response_add_header (response, name, "v");
    }
}

static KiosHttpResponse *
get_header_lines (KiosFakeServer *server,
                  guint           n_lines)
{
  g_autofree char            *url = g_strdup_printf ("%s/headers/%u", kios_fake_server_get_url (server), n_lines - 2);
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);
  g_autoptr (GError)          error = NULL;
  KiosHttpResponse           *response;

  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body), "ok", 2);
  return response;
}

static void
test_http_header_lines (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (header_lines_handler, NULL);
  g_autoptr (KiosHttpResponse) at = NULL;
  g_autoptr (KiosHttpResponse) past = NULL;

  /* At the limit: every line is kept, the last one too. */
  at = get_header_lines (server, KIOS_LIMIT_HTTP_HEADER_LINES);
  g_assert_cmpuint (at->headers->len, ==, KIOS_LIMIT_HTTP_HEADER_LINES);
  g_assert_cmpstr (kios_http_response_get_header (at, "X-Line-0"), ==, "v");
  g_assert_cmpstr (kios_http_response_get_header (at, "Connection"), ==, "close");

  /* One past: the reply still succeeds, the lines past the limit are
   * dropped as they arrive (the first ones are kept). */
  past = get_header_lines (server, KIOS_LIMIT_HTTP_HEADER_LINES + 1);
  g_assert_cmpuint (past->headers->len, ==, KIOS_LIMIT_HTTP_HEADER_LINES);
  g_assert_cmpstr (kios_http_response_get_header (past, "X-Line-0"), ==, "v");
  g_assert_nonnull (kios_http_response_get_header (past, "Content-Length"));
  g_assert_null (kios_http_response_get_header (past, "Connection"));
}

/* A download (a sink) answered by an error page of len bytes: the page
 * kept in the response, the sink untouched. */
static GBytes *
error_page (KiosFakeServer *server,
            gsize           len)
{
  g_autofree char             *url = g_strdup_printf ("%s/error-page/%zu", kios_fake_server_get_url (server), len);
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (GOutputStream)    sink = g_memory_output_stream_new_resizable ();
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;

  kios_http_request_set_sink (request, sink);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 403);
  g_assert_cmpuint (response->received, ==, len);
  g_assert_cmpuint (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (sink)), ==, 0);
  return g_bytes_ref (response->body);
}

static void
test_http_side_body (void)
{
  g_autoptr (KiosFakeServer) server = kios_fake_server_new (header_lines_handler, NULL);
  g_autoptr (GBytes)         at = error_page (server, KIOS_LIMIT_HTTP_SIDE_BODY_BYTES);
  g_autoptr (GBytes)         past = error_page (server, KIOS_LIMIT_HTTP_SIDE_BODY_BYTES + 1);
  const char                *data;

  /* At the limit the page is kept whole; one byte past, its first bytes. */
  g_assert_cmpuint (g_bytes_get_size (at), ==, KIOS_LIMIT_HTTP_SIDE_BODY_BYTES);
  g_assert_cmpuint (g_bytes_get_size (past), ==, KIOS_LIMIT_HTTP_SIDE_BODY_BYTES);
  data = g_bytes_get_data (past, NULL);
  g_assert_cmpint (data[0], ==, 'a');
  g_assert_cmpint (data[KIOS_LIMIT_HTTP_SIDE_BODY_BYTES - 1], ==, 'a' + (KIOS_LIMIT_HTTP_SIDE_BODY_BYTES - 1) % 26);
}

static KiosHttpResponse *
get_path (KiosFakeServer *server,
          const char     *path,
          GError        **error)
{
  g_autofree char            *url = g_strconcat (kios_fake_server_get_url (server), path, NULL);
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);

  return kios_http_send_sync (request, NULL, error);
}

static void
test_http_redirects (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (header_lines_handler, NULL);
  g_autofree char             *at = g_strdup_printf ("/hop/%u", KIOS_LIMIT_HTTP_REDIRECTS);
  g_autofree char             *past = g_strdup_printf ("/hop/%u", KIOS_LIMIT_HTTP_REDIRECTS + 1);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosHttpResponse) refused = NULL;
  g_autoptr (GError)           error = NULL;

  /* A request follows as many redirects as the limit by default. */
  response = get_path (server, at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (response->n_redirects, ==, KIOS_LIMIT_HTTP_REDIRECTS);

  refused = get_path (server, past, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS);
  g_assert_null (refused);
}

static void
test_http_response_bytes (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (header_lines_handler, NULL);
  g_autofree char             *at = g_strdup_printf ("/bytes/%d", KIOS_LIMIT_HTTP_RESPONSE_BYTES);
  g_autofree char             *past = g_strdup_printf ("/bytes/%d", KIOS_LIMIT_HTTP_RESPONSE_BYTES + 1);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosHttpResponse) refused = NULL;
  g_autoptr (GError)           error = NULL;

  /* The default cap of a request: at it the body is whole, one byte past
   * it the request fails while reading. */
  response = get_path (server, at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, KIOS_LIMIT_HTTP_RESPONSE_BYTES);

  refused = get_path (server, past, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
  g_assert_null (refused);
}

/* ---- Redaction's secrets ------------------------------------------------ */

static char *
nth_secret (guint n)
{
  /* Lengths differ, so sorting longest first cannot hide which one is the
   * oldest: the oldest is the shortest but not the first registered long one. */
  return g_strdup_printf ("sekret%0*u", (int) (4 + n % 7), n);
}

static gboolean
is_redacted (guint n)
{
  g_autofree char *secret = nth_secret (n);
  g_autofree char *text = g_strdup_printf ("token %s here", secret);
  g_autofree char *out = kios_redact_text (text);

  return g_str_equal (out, "token " KIOS_REDACTED " here");
}

static void
test_redact_secrets (void)
{
  /* Plain ASCII secrets: each one's URI-escaped form is itself, so each
   * takes one of the remembered strings. This process registered none yet. */
  for (guint i = 0; i < KIOS_LIMIT_REDACT_SECRETS; i++)
    {
      g_autofree char *secret = nth_secret (i);

      kios_redact_register_secret (secret);
    }
  /* At the limit: every one is still redacted. */
  for (guint i = 0; i < KIOS_LIMIT_REDACT_SECRETS; i++)
    g_assert_true (is_redacted (i));

  /* One past: the oldest is forgotten, every newer one (the longest too)
   * is still redacted. */
  {
    g_autofree char *secret = nth_secret (KIOS_LIMIT_REDACT_SECRETS);

    kios_redact_register_secret (secret);
  }
  g_assert_false (is_redacted (0));
  for (guint i = 1; i <= KIOS_LIMIT_REDACT_SECRETS; i++)
    g_assert_true (is_redacted (i));
}

/* ---- OPDS entries per feed ---------------------------------------------- */

static GString *
atom_feed (guint n_entries)
{
  GString *feed = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                                "<id>urn:kios:limits</id><title>Many</title>\n");

  for (guint i = 0; i < n_entries; i++)
    g_string_append_printf (feed,
                            "<entry><title>Book %u</title><id>urn:kios:book:%u</id>"
                            "<link rel=\"http://opds-spec.org/acquisition\" href=\"/b/%u.epub\""
                            " type=\"application/epub+zip\"/></entry>\n",
                            i, i, i);
  g_string_append (feed, "</feed>\n");
  return feed;
}

static GString *
json_feed (guint n_entries)
{
  GString *feed = g_string_new ("{\"metadata\":{\"title\":\"Many\"},\"links\":[],\"publications\":[");

  for (guint i = 0; i < n_entries; i++)
    g_string_append_printf (feed,
                            "%s{\"metadata\":{\"title\":\"Book %u\",\"identifier\":\"urn:kios:book:%u\"},"
                            "\"links\":[{\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"/b/%u.epub\","
                            "\"type\":\"application/epub+zip\"}]}",
                            i > 0 ? "," : "", i, i, i);
  g_string_append (feed, "]}");
  return feed;
}

static void
check_feed (GString    *text,
            const char *content_type,
            guint       expected,
            gboolean    truncated)
{
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed;
  KiosOpdsEntry     *last;
  g_autofree char   *title = NULL;

  feed = kios_opds_feed_parse (text->str, text->len, content_type, "http://127.0.0.1/opds", &error);
  g_assert_no_error (error);
  g_assert_nonnull (feed);
  g_assert_cmpuint (feed->entries->len, ==, expected);
  g_assert_cmpint (feed->truncated, ==, truncated);
  /* The first entries are the ones kept, in order. */
  last = feed->entries->pdata[feed->entries->len - 1];
  title = g_strdup_printf ("Book %u", expected - 1);
  g_assert_cmpstr (last->title, ==, title);
  kios_opds_feed_free (feed);
}

static void
test_opds_entries (void)
{
  g_autoptr (GString) atom_at = atom_feed (KIOS_LIMIT_OPDS_ENTRIES);
  g_autoptr (GString) atom_past = atom_feed (KIOS_LIMIT_OPDS_ENTRIES + 1);
  g_autoptr (GString) json_at = json_feed (KIOS_LIMIT_OPDS_ENTRIES);
  g_autoptr (GString) json_past = json_feed (KIOS_LIMIT_OPDS_ENTRIES + 1);

  /* Atom (OPDS 1) and JSON (OPDS 2) alike: at the limit whole, one past
   * it cut to the limit and marked truncated. */
  check_feed (atom_at, "application/atom+xml;profile=opds-catalog", KIOS_LIMIT_OPDS_ENTRIES, FALSE);
  check_feed (atom_past, "application/atom+xml;profile=opds-catalog", KIOS_LIMIT_OPDS_ENTRIES, TRUE);
  check_feed (json_at, "application/opds+json", KIOS_LIMIT_OPDS_ENTRIES, FALSE);
  check_feed (json_past, "application/opds+json", KIOS_LIMIT_OPDS_ENTRIES, TRUE);
}

/* A one-entry Atom feed whose entry names n_authors authors, as separate
 * <author> elements or joined with "|" as Calibre-Web does, and n_facets
 * facet links. */
static GString *
atom_authors_facets (guint    n_authors,
                     guint    n_facets,
                     gboolean joined)
{
  GString *feed = g_string_new ("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""
                                " xmlns:opds=\"http://opds-spec.org/2010/catalog\"><id>urn:f</id><title>F</title>\n");

  for (guint i = 0; i < n_facets; i++)
    g_string_append_printf (feed, "<link rel=\"http://opds-spec.org/facet\" href=\"/f/%u\" title=\"Facet %u\""
                                  " opds:facetGroup=\"G\"/>\n",
                            i, i);
  g_string_append (feed, "<entry><title>Anthology</title><id>urn:a</id>");
  if (joined)
    {
      g_string_append (feed, "<author><name>");
      for (guint i = 0; i < n_authors; i++)
        g_string_append_printf (feed, "%sAuthor %u", i > 0 ? "|" : "", i);
      g_string_append (feed, "</name></author>");
    }
  else
    for (guint i = 0; i < n_authors; i++)
      g_string_append_printf (feed, "<author><name>Author %u</name></author>", i);
  g_string_append (feed, "<link rel=\"http://opds-spec.org/acquisition\" href=\"/b/a.epub\""
                         " type=\"application/epub+zip\"/></entry></feed>\n");
  return feed;
}

static GString *
json_authors_facets (guint n_authors,
                     guint n_facets)
{
  GString *feed = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"links\":[],"
                                "\"facets\":[{\"metadata\":{\"title\":\"G\"},\"links\":[");

  for (guint i = 0; i < n_facets; i++)
    g_string_append_printf (feed, "%s{\"href\":\"/f/%u\",\"title\":\"Facet %u\",\"type\":\"application/opds+json\"}",
                            i > 0 ? "," : "", i, i);
  g_string_append (feed, "]}],\"publications\":[{\"metadata\":{\"title\":\"Anthology\",\"author\":[");
  for (guint i = 0; i < n_authors; i++)
    g_string_append_printf (feed, "%s{\"name\":\"Author %u\"}", i > 0 ? "," : "", i);
  g_string_append (feed, "]},\"links\":[{\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"/b/a.epub\","
                         "\"type\":\"application/epub+zip\"}]}]}");
  return feed;
}

/* The feed keeps the first KIOS_LIMIT_OPDS_AUTHORS authors and the first
 * KIOS_LIMIT_OPDS_FACETS facets, each whole. */
static void
check_authors_facets (GString    *text,
                      const char *content_type)
{
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed = kios_opds_feed_parse (text->str, text->len, content_type, "http://127.0.0.1/opds", &error);
  KiosOpdsEntry     *entry;
  g_autofree char   *last_author = g_strdup_printf ("Author %u", KIOS_LIMIT_OPDS_AUTHORS - 1);
  g_autofree char   *last_facet = g_strdup_printf ("Facet %u", KIOS_LIMIT_OPDS_FACETS - 1);

  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 1);
  entry = feed->entries->pdata[0];
  g_assert_cmpuint (entry->authors->len, ==, KIOS_LIMIT_OPDS_AUTHORS);
  g_assert_cmpstr (entry->authors->pdata[0], ==, "Author 0");
  g_assert_cmpstr (entry->authors->pdata[KIOS_LIMIT_OPDS_AUTHORS - 1], ==, last_author);
  g_assert_cmpuint (feed->facets->len, ==, KIOS_LIMIT_OPDS_FACETS);
  g_assert_cmpstr (((KiosOpdsLink *) feed->facets->pdata[KIOS_LIMIT_OPDS_FACETS - 1])->title, ==, last_facet);
  kios_opds_feed_free (feed);
}

static void
test_opds_authors_facets (void)
{
  /* At the limit all are kept; one past it, the first ones (a joined
   * author list is never cut inside a name). */
  for (guint past = 0; past <= 1; past++)
    {
      guint               n_authors = KIOS_LIMIT_OPDS_AUTHORS + past;
      guint               n_facets = KIOS_LIMIT_OPDS_FACETS + past;
      g_autoptr (GString) separate = atom_authors_facets (n_authors, n_facets, FALSE);
      g_autoptr (GString) joined = atom_authors_facets (n_authors, n_facets, TRUE);
      g_autoptr (GString) json = json_authors_facets (n_authors, n_facets);

      check_authors_facets (separate, "application/atom+xml;profile=opds-catalog");
      check_authors_facets (joined, "application/atom+xml;profile=opds-catalog");
      check_authors_facets (json, "application/opds+json");
    }
}

/* An Atom feed of one entry whose acquisition href is href, padded with
 * white space to exactly len bytes (0: no padding). */
static GString *
atom_one_entry (const char *href,
                gsize       len)
{
  GString *feed = g_string_new ("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:f</id>"
                                "<title>F</title><entry><title>Only</title><id>urn:only</id>"
                                "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" href=\"");

  g_string_append (feed, href);
  g_string_append (feed, "\"/></entry>");
  while (feed->len + strlen ("</feed>\n") < len)
    g_string_append_c (feed, ' ');
  g_string_append (feed, "</feed>\n");
  g_assert_true (len == 0 || feed->len == len);
  return feed;
}

static void
test_opds_feed_bytes (void)
{
  g_autoptr (GString) at = atom_one_entry ("http://127.0.0.1/b/1.epub", KIOS_LIMIT_OPDS_FEED_BYTES);
  g_autoptr (GString) past = atom_one_entry ("http://127.0.0.1/b/1.epub", KIOS_LIMIT_OPDS_FEED_BYTES + 1);
  g_autoptr (GError)  error = NULL;
  KiosOpdsFeed       *feed;

  feed = kios_opds_feed_parse (at->str, at->len, "application/atom+xml", "http://127.0.0.1/opds", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 1);
  kios_opds_feed_free (feed);

  feed = kios_opds_feed_parse (past->str, past->len, "application/atom+xml", "http://127.0.0.1/opds", &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_null (feed);
}

/* The acquisition hrefs the feed kept for its one entry. */
static guint
n_acquisitions (GString *text)
{
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed = kios_opds_feed_parse (text->str, text->len, "application/atom+xml", "http://127.0.0.1/opds", &error);
  guint              n = 0;

  g_assert_no_error (error);
  if (feed->entries->len > 0)
    n = ((KiosOpdsEntry *) feed->entries->pdata[0])->acquisitions->len;
  kios_opds_feed_free (feed);
  return n;
}

static void
test_opds_href_bytes (void)
{
  g_autoptr (GString) href = g_string_new ("http://127.0.0.1/b/");
  g_autoptr (GString) at = NULL;
  g_autoptr (GString) past = NULL;

  while (href->len < KIOS_LIMIT_OPDS_HREF_BYTES - strlen (".epub"))
    g_string_append_c (href, 'x');
  g_string_append (href, ".epub");
  g_assert_cmpuint (href->len, ==, KIOS_LIMIT_OPDS_HREF_BYTES);
  at = atom_one_entry (href->str, 0);
  g_string_insert_c (href, strlen ("http://127.0.0.1/b/"), 'y');
  past = atom_one_entry (href->str, 0);

  /* At the limit the link is kept; one byte past it is not a link. */
  g_assert_cmpuint (n_acquisitions (at), ==, 1);
  g_assert_cmpuint (n_acquisitions (past), ==, 0);
}

/* The title and summary the feed kept for an entry with these. */
static void
parse_texts (const char *title,
             const char *summary,
             char      **title_out,
             char      **summary_out)
{
  g_autoptr (GString) text = g_string_new ("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                                           "<id>urn:f</id><title>F</title><entry><title>");
  g_autoptr (GError)  error = NULL;
  KiosOpdsFeed       *feed;
  KiosOpdsEntry      *entry;

  g_string_append_printf (text, "%s</title><id>urn:t</id><summary>%s</summary>"
                                "<link rel=\"http://opds-spec.org/acquisition\" href=\"/b/t.epub\""
                                " type=\"application/epub+zip\"/></entry></feed>\n",
                          title, summary);
  feed = kios_opds_feed_parse (text->str, text->len, "application/atom+xml", "http://127.0.0.1/opds", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 1);
  entry = feed->entries->pdata[0];
  *title_out = g_strdup (entry->title);
  *summary_out = g_strdup (entry->summary);
  kios_opds_feed_free (feed);
}

static GString *
letters (gsize       n,
         const char *tail)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_c (s, 'a' + i % 26);
  g_string_append (s, tail);
  return s;
}

static void
test_opds_text_bytes (void)
{
  g_autoptr (GString) title_at = letters (KIOS_LIMIT_OPDS_SHORT_TEXT, "");
  g_autoptr (GString) title_past = letters (KIOS_LIMIT_OPDS_SHORT_TEXT + 1, "");
  g_autoptr (GString) title_wide = letters (KIOS_LIMIT_OPDS_SHORT_TEXT - 1, "é");
  g_autoptr (GString) summary_at = letters (KIOS_LIMIT_OPDS_SUMMARY_TEXT, "");
  g_autoptr (GString) summary_past = letters (KIOS_LIMIT_OPDS_SUMMARY_TEXT + 1, "");
  g_autoptr (GString) summary_wide = letters (KIOS_LIMIT_OPDS_SUMMARY_TEXT - 1, "é");
  g_autofree char    *title = NULL;
  g_autofree char    *summary = NULL;

  /* At the limit (bytes) whole. */
  parse_texts (title_at->str, summary_at->str, &title, &summary);
  g_assert_true (g_str_equal (title, title_at->str));
  g_assert_true (g_str_equal (summary, summary_at->str));
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&summary, g_free);

  /* One byte past: cut to the limit. */
  parse_texts (title_past->str, summary_past->str, &title, &summary);
  g_assert_true (g_str_equal (title, title_at->str));
  g_assert_true (g_str_equal (summary, summary_at->str));
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&summary, g_free);

  /* A two-byte character across the limit is left out whole. */
  parse_texts (title_wide->str, summary_wide->str, &title, &summary);
  g_assert_cmpuint (strlen (title), ==, KIOS_LIMIT_OPDS_SHORT_TEXT - 1);
  g_assert_cmpuint (strlen (summary), ==, KIOS_LIMIT_OPDS_SUMMARY_TEXT - 1);
  g_assert_true (g_utf8_validate (title, -1, NULL));
  g_assert_true (g_utf8_validate (summary, -1, NULL));
}

/* Serves /osd/N, an OpenSearch description padded to N bytes, and
 * /search, an Atom feed of one entry. */
static void
opensearch_handler (KiosFakeServer        *server,
                    const KiosFakeRequest *request,
                    KiosFakeResponse      *response,
                    gpointer               user_data)
{
  if (g_str_has_prefix (request->path, "/osd/"))
    {
      gsize       len = g_ascii_strtoull (request->path + strlen ("/osd/"), NULL, 10);
      GString    *doc = g_string_new ("<?xml version=\"1.0\"?>\n<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">"
                                         "<Url type=\"application/atom+xml\" template=\"/search?q={searchTerms}\"/>");
      const char *end = "</OpenSearchDescription>\n";

      while (doc->len + strlen (end) < len)
        g_string_append_c (doc, ' ');
      g_string_append (doc, end);
      response->status = 200;
      kios_fake_response_add_header (response, "Content-Type", "application/opensearchdescription+xml");
      response->body = g_string_free_to_bytes (doc);
    }
  else if (g_str_has_prefix (request->path, "/search"))
    {
      g_autoptr (GString) feed = atom_one_entry ("/b/found.epub", 0);

      kios_fake_response_set_text (response, 200, "application/atom+xml;profile=opds-catalog", feed->str);
    }
  else
    kios_fake_response_set_text (response, 404, "text/plain", "no");
}

/* Searches through a feed whose search link is an OpenSearch description
 * of len bytes. */
static KiosOpdsFeed *
search_through_description (KiosFakeServer *server,
                            gsize           len,
                            GError        **error)
{
  const char                *base = kios_fake_server_get_url (server);
  g_autofree char           *root_url = g_strdup_printf ("%s/opds", base);
  g_autofree char           *feed_text = g_strdup_printf ("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                                                                    "<id>urn:f</id><title>F</title><link rel=\"search\""
                                                                    " type=\"application/opensearchdescription+xml\" href=\"%s/osd/%zu\"/>"
                                                                    "</feed>\n",
                                                          base, len);
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (root_url, NULL, NULL);
  KiosOpdsFeed              *from = kios_opds_feed_parse (feed_text, strlen (feed_text), "application/atom+xml", root_url, NULL);
  KiosOpdsFeed              *found;

  g_assert_nonnull (from);
  g_assert_nonnull (from->opensearch_href);
  found = kios_opds_client_search (client, from, "austen", NULL, error);
  kios_opds_feed_free (from);
  return found;
}

static void
test_opds_small_document (void)
{
  g_autoptr (KiosFakeServer)  server = kios_fake_server_new (opensearch_handler, NULL);
  g_autoptr (GError)          error = NULL;
  KiosOpdsFeed               *found;
  g_autoptr (KiosFakeRequest) last = NULL;

  /* At the limit the description is read and the search made. */
  found = search_through_description (server, KIOS_LIMIT_OPDS_SMALL_DOCUMENT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpuint (found->entries->len, ==, 1);
  kios_opds_feed_free (found);
  last = kios_fake_server_get_request (server, kios_fake_server_get_n_requests (server) - 1);
  g_assert_true (g_str_has_prefix (last->path, "/search?q=austen"));

  /* One byte past: refused while it arrives, no search is made. */
  kios_fake_server_clear_log (server);
  found = search_through_description (server, KIOS_LIMIT_OPDS_SMALL_DOCUMENT + 1, &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_null (found);
  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 1);
}

/* ---- Readium text ------------------------------------------------------- */

static KiosReadiumProgression *
progression_titled (const char *title)
{
  g_autoptr (GError)      error = NULL;
  g_autofree char        *doc = NULL;
  KiosReadiumProgression *p;

  doc = g_strdup_printf ("{\"modified\":\"2026-03-14T09:26:53Z\",\"device\":{\"id\":\"urn:x\",\"name\":\"n\"},"
                         "\"locator\":{\"href\":\"OEBPS/ch1.xhtml\",\"type\":\"application/xhtml+xml\","
                         "\"title\":\"%s\",\"locations\":{\"progression\":0.5,\"totalProgression\":0.25}}}",
                         title);
  p = kios_readium_progression_parse (doc, strlen (doc), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

static void
test_readium_text_chars (void)
{
  g_autoptr (GString)                at = g_string_new (NULL);
  g_autoptr (GString)                past = NULL;
  g_autoptr (KiosReadiumProgression) p_at = NULL;
  g_autoptr (KiosReadiumProgression) p_past = NULL;

  /* Two-byte characters: the limit counts characters, and a cut must not
   * split one (no U+FFFD at the end). */
  for (guint i = 0; i < KIOS_LIMIT_READIUM_TEXT_CHARS; i++)
    g_string_append (at, "é");
  past = g_string_new (at->str);
  g_string_append (past, "ü");

  p_at = progression_titled (at->str);
  g_assert_cmpuint (strlen (p_at->title), ==, at->len);
  g_assert_true (g_str_equal (p_at->title, at->str));

  p_past = progression_titled (past->str);
  g_assert_cmpuint (g_utf8_strlen (p_past->title, -1), ==, KIOS_LIMIT_READIUM_TEXT_CHARS);
  g_assert_true (g_str_equal (p_past->title, at->str));
}

/* A Readium progression document padded with white space to len bytes. */
static GString *
readium_document (gsize len)
{
  GString *doc = g_string_new ("{\"modified\":\"2026-03-14T09:26:53Z\",\"device\":{\"id\":\"urn:x\",\"name\":\"n\"},"
                               "\"locator\":{\"href\":\"OEBPS/ch1.xhtml\",\"type\":\"application/xhtml+xml\","
                               "\"locations\":{\"progression\":0.5,\"totalProgression\":0.25}}");

  while (doc->len + 1 < len)
    g_string_append_c (doc, ' ');
  g_string_append_c (doc, '}');
  g_assert_cmpuint (doc->len, ==, len);
  return doc;
}

static void
test_readium_document_bytes (void)
{
  g_autoptr (GString)                at = readium_document (KIOS_LIMIT_READIUM_DOCUMENT_BYTES);
  g_autoptr (GString)                past = readium_document (KIOS_LIMIT_READIUM_DOCUMENT_BYTES + 1);
  g_autoptr (KiosReadiumProgression) p_at = NULL;
  g_autoptr (KiosReadiumProgression) p_past = NULL;
  g_autoptr (GError)                 error = NULL;

  p_at = kios_readium_progression_parse (at->str, at->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p_at);
  g_assert_cmpstr (p_at->href, ==, "OEBPS/ch1.xhtml");

  p_past = kios_readium_progression_parse (past->str, past->len, NULL, &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_null (p_past);
}

/* ---- JSON nesting ------------------------------------------------------- */

/* head, then a member "x" nested depth levels deep in all (the root object
 * is the first level), then tail. */
static GString *
nested_json (const char *head,
             guint       depth,
             const char *tail)
{
  GString *doc = g_string_new (head);

  g_string_append (doc, ",\"x\":");
  for (guint i = 1; i < depth; i++)
    g_string_append_c (doc, '[');
  g_string_append_c (doc, '1');
  for (guint i = 1; i < depth; i++)
    g_string_append_c (doc, ']');
  g_string_append (doc, tail);
  return doc;
}

static void
test_json_depth (void)
{
  const char             *opds_head = "{\"metadata\":{\"title\":\"F\"},\"links\":[],\"publications\":[]";
  const char             *readium_head = "{\"modified\":\"2026-03-14T09:26:53Z\",\"locator\":{\"href\":\"OEBPS/ch1.xhtml\","
                                         "\"locations\":{\"progression\":0.5}}";
  g_autoptr (GString)     opds_at = nested_json (opds_head, KIOS_LIMIT_OPDS_JSON_DEPTH, "}");
  g_autoptr (GString)     opds_past = nested_json (opds_head, KIOS_LIMIT_OPDS_JSON_DEPTH + 1, "}");
  g_autoptr (GString)     readium_at = nested_json (readium_head, KIOS_LIMIT_READIUM_JSON_DEPTH, "}");
  g_autoptr (GString)     readium_past = nested_json (readium_head, KIOS_LIMIT_READIUM_JSON_DEPTH + 1, "}");
  g_autoptr (GError)      error = NULL;
  KiosOpdsFeed           *feed;
  KiosReadiumProgression *p;

  /* OPDS 2 feeds: at the limit parsed, one level deeper refused. */
  feed = kios_opds_feed_parse (opds_at->str, opds_at->len, "application/opds+json", "http://127.0.0.1/opds", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (feed->title, ==, "F");
  kios_opds_feed_free (feed);
  feed = kios_opds_feed_parse (opds_past->str, opds_past->len, "application/opds+json", "http://127.0.0.1/opds", &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_null (feed);
  g_clear_error (&error);

  /* Readium progressions alike. */
  p = kios_readium_progression_parse (readium_at->str, readium_at->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  g_assert_cmpstr (p->href, ==, "OEBPS/ch1.xhtml");
  kios_readium_progression_free (p);
  p = kios_readium_progression_parse (readium_past->str, readium_past->len, NULL, &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_null (p);
}

/* ---- Kobo library sync -------------------------------------------------- */

static KiosLibraryStore *
open_store (void)
{
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "kios", NULL);
  g_autofree char   *path = g_build_filename (dir, "library.db", NULL);
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;

  g_mkdir_with_parents (dir, 0700);
  store = kios_library_store_new (path, &error);
  g_assert_no_error (error);
  return store;
}

/* A Komga fake (no consent needed) with n_books books, page_size a page. */
static KiosFakeKobo *
kobo_with_books (guint n_books,
                 guint page_size)
{
  g_autofree char *book = kios_test_book ("persuasion.epub");
  KiosFakeKobo    *fake = kios_fake_kobo_new (KIOS_FAKE_KOBO_KOMGA);

  kios_fake_kobo_set_page_size (fake, page_size);
  for (guint i = 0; i < n_books; i++)
    {
      g_autofree char *id = g_strdup_printf ("0KOMGA%06u", i);
      g_autofree char *title = g_strdup_printf ("Book %u", i);

      kios_fake_kobo_add_book (fake, id, title, "Author", "EPUB3", book);
    }
  return fake;
}

static gboolean
kobo_sync (KiosFakeKobo      *fake,
           KiosLibraryStore  *store,
           const char        *source,
           KiosKoboSyncStats *stats,
           GError           **error)
{
  g_autofree char           *base = kios_fake_kobo_get_base_url (fake);
  g_autoptr (GError)         local = NULL;
  g_autoptr (KiosKoboClient) client = kios_kobo_client_new (base, &local);
  KiosSourceRecord           record = { 0 };

  g_assert_no_error (local);
  kios_kobo_client_set_family (client, KIOS_KOBO_FAMILY_KOMGA);
  record.name = (char *) source;
  record.kind = (char *) "kobo";
  return kios_kobo_library_sync (client, store, &record, stats, NULL, error);
}

static void
test_kobo_sync_pages (void)
{
  g_autoptr (KiosLibraryStore) store = open_store ();
  KiosFakeKobo                *at = kobo_with_books (KIOS_LIMIT_KOBO_SYNC_PAGES, 1);
  KiosFakeKobo                *past = kobo_with_books (KIOS_LIMIT_KOBO_SYNC_PAGES + 1, 1);
  g_autoptr (GError)           error = NULL;
  g_autoptr (GPtrArray)        entries = NULL;
  g_autofree char             *token_at = NULL;
  g_autofree char             *token_past = NULL;
  KiosKoboSyncStats            stats = { 0 };

  /* At the limit: the loop ends on the server's last page, and the
   * catalog and the sync token are stored. */
  g_assert_true (kobo_sync (at, store, "At", &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.pages, ==, KIOS_LIMIT_KOBO_SYNC_PAGES);
  g_assert_cmpuint (stats.added, ==, KIOS_LIMIT_KOBO_SYNC_PAGES);
  g_assert_true (kios_library_store_flush (store, 10000));
  entries = kios_kobo_catalog_list (store, "At");
  g_assert_cmpuint (entries->len, ==, KIOS_LIMIT_KOBO_SYNC_PAGES);
  token_at = kios_kobo_catalog_get_sync_token (store, "At");
  g_assert_nonnull (token_at);

  /* One page more: refused after the limit, nothing stored (the next
   * sync starts over). */
  memset (&stats, 0, sizeof stats);
  g_assert_false (kobo_sync (past, store, "Past", &stats, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_cmpuint (stats.pages, ==, KIOS_LIMIT_KOBO_SYNC_PAGES);
  g_assert_true (kios_library_store_flush (store, 10000));
  token_past = kios_kobo_catalog_get_sync_token (store, "Past");
  g_assert_null (token_past);

  kios_fake_kobo_free (at);
  kios_fake_kobo_free (past);
}

static void
test_kobo_catalog (void)
{
  g_autoptr (KiosLibraryStore) store = open_store ();
  KiosFakeKobo                *fake = kobo_with_books (2, 100);
  g_autoptr (GError)           error = NULL;
  g_autoptr (GString)          seed = g_string_new ("{");
  g_autoptr (KiosKoboEntry)    first = NULL;
  g_autoptr (KiosKoboEntry)    second = NULL;
  KiosKoboSyncStats            stats = { 0 };

  /* A catalog one short of the limit, stored as a past sync left it. */
  for (guint i = 0; i < KIOS_LIMIT_KOBO_CATALOG - 1; i++)
    g_string_append_printf (seed, "%s\"SEED%06u\":{\"title\":\"Seed\"}", i > 0 ? "," : "", i);
  g_string_append_c (seed, '}');
  kios_library_store_set_book_meta (store, "kobo-source:Full", "kobo.catalog", seed->str);
  g_assert_true (kios_library_store_flush (store, 10000));

  /* The first new book reaches the limit and is kept; the second would
   * pass it and is skipped. */
  g_assert_true (kobo_sync (fake, store, "Full", &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.added, ==, 1);
  g_assert_cmpuint (stats.skipped, ==, 1);
  g_assert_true (kios_library_store_flush (store, 10000));
  first = kios_kobo_catalog_get (store, "Full", "0KOMGA000000");
  second = kios_kobo_catalog_get (store, "Full", "0KOMGA000001");
  g_assert_nonnull (first);
  g_assert_cmpstr (first->title, ==, "Book 0");
  g_assert_null (second);

  kios_fake_kobo_free (fake);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/limits-sync/http-header-lines", test_http_header_lines);
  g_test_add_func ("/kios/limits-sync/http-side-body", test_http_side_body);
  g_test_add_func ("/kios/limits-sync/http-redirects", test_http_redirects);
  g_test_add_func ("/kios/limits-sync/http-response-bytes", test_http_response_bytes);
  g_test_add_func ("/kios/limits-sync/redact-secrets", test_redact_secrets);
  g_test_add_func ("/kios/limits-sync/opds-entries", test_opds_entries);
  g_test_add_func ("/kios/limits-sync/opds-authors-facets", test_opds_authors_facets);
  g_test_add_func ("/kios/limits-sync/opds-feed-bytes", test_opds_feed_bytes);
  g_test_add_func ("/kios/limits-sync/opds-href-bytes", test_opds_href_bytes);
  g_test_add_func ("/kios/limits-sync/opds-text-bytes", test_opds_text_bytes);
  g_test_add_func ("/kios/limits-sync/opds-small-document", test_opds_small_document);
  g_test_add_func ("/kios/limits-sync/readium-text-chars", test_readium_text_chars);
  g_test_add_func ("/kios/limits-sync/readium-document-bytes", test_readium_document_bytes);
  g_test_add_func ("/kios/limits-sync/json-depth", test_json_depth);
  g_test_add_func ("/kios/limits-sync/kobo-sync-pages", test_kobo_sync_pages);
  g_test_add_func ("/kios/limits-sync/kobo-catalog", test_kobo_catalog);

  return g_test_run ();
}
