/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-limits-opds"

#include "config.h"

#include "kios-limits.h"
#include "kios-opds-feed.h"
#include "kios-sync-error.h"

#include <string.h>

/*
 * The counts the OPDS parsers read of one document (kios-limits.h), each
 * crossed with the real parsers: at the limit the item that matters is the
 * last one read and counts; one past it, it is the first one ignored.
 */

#define BASE "http://127.0.0.1/opds"
#define JSON_TYPE "application/opds+json"
#define ATOM_TYPE "application/atom+xml;profile=opds-catalog"
#define ACQUISITION "http://opds-spec.org/acquisition"

static KiosOpdsFeed *
parse (const GString *text,
       const char    *content_type)
{
  g_autoptr (GError) error = NULL;
  KiosOpdsFeed      *feed = kios_opds_feed_parse (text->str, text->len, content_type, BASE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (feed);
  return feed;
}

static KiosOpdsEntry *
only_entry (KiosOpdsFeed *feed)
{
  g_assert_cmpuint (feed->entries->len, ==, 1);
  return feed->entries->pdata[0];
}

/* ---- Links per entry ---------------------------------------------------- */

/* One entry with n links: n - 1 plain ones, then the acquisition. */
static GString *
json_entry_links (guint n)
{
  GString *text = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"publications\":[{\"metadata\":{\"title\":\"B\",\"identifier\":\"urn:b\"},"
                                "\"links\":[");

  for (guint i = 0; i + 1 < n; i++)
    g_string_append_printf (text, "{\"rel\":\"alternate\",\"href\":\"/x/%u\"},", i);
  g_string_append (text, "{\"rel\":\"" ACQUISITION "\",\"href\":\"/b/1.epub\",\"type\":\"application/epub+zip\"}]}]}");
  return text;
}

static GString *
atom_entry_links (guint n)
{
  GString *text = g_string_new ("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:f</id>"
                                "<title>F</title><entry><title>B</title><id>urn:b</id>");

  /* The first link makes the entry a navigation one, kept without a book. */
  g_string_append (text, "<link rel=\"subsection\" href=\"/n\" type=\"application/atom+xml;profile=opds-catalog\"/>");
  for (guint i = 0; i + 2 < n; i++)
    g_string_append_printf (text, "<link rel=\"alternate\" href=\"/x/%u\"/>", i);
  g_string_append (text, "<link rel=\"" ACQUISITION "\" href=\"/b/1.epub\" type=\"application/epub+zip\"/>"
                         "</entry></feed>");
  return text;
}

static void
test_entry_links (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint               n = KIOS_LIMIT_OPDS_LINKS + past;
      g_autoptr (GString) json = json_entry_links (n);
      g_autoptr (GString) atom = atom_entry_links (n);
      KiosOpdsFeed       *feed;

      feed = parse (json, JSON_TYPE);
      g_assert_cmpuint (only_entry (feed)->acquisitions->len, ==, past ? 0 : 1);
      kios_opds_feed_free (feed);

      feed = parse (atom, ATOM_TYPE);
      g_assert_cmpuint (only_entry (feed)->acquisitions->len, ==, past ? 0 : 1);
      kios_opds_feed_free (feed);
    }
}

/* ---- Rels per link ------------------------------------------------------ */

static void
test_link_rels (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint               n = KIOS_LIMIT_OPDS_LINK_RELS + past;
      g_autoptr (GString) text = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"publications\":[{\"metadata\":"
                                               "{\"title\":\"B\",\"identifier\":\"urn:b\"},\"links\":[{\"href\":\"/b/1.epub\",\"rel\":[");
      KiosOpdsFeed       *feed;

      for (guint i = 0; i + 1 < n; i++)
        g_string_append_printf (text, "\"x-%u\",", i);
      g_string_append (text, "\"" ACQUISITION "\"]}]}]}");

      feed = parse (text, JSON_TYPE);
      g_assert_cmpuint (only_entry (feed)->acquisitions->len, ==, past ? 0 : 1);
      kios_opds_feed_free (feed);
    }
}

/* ---- Links per feed ----------------------------------------------------- */

static void
test_feed_links (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint               n = KIOS_LIMIT_OPDS_LINKS + past;
      g_autoptr (GString) text = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"links\":[");
      KiosOpdsFeed       *feed;

      for (guint i = 0; i + 1 < n; i++)
        g_string_append_printf (text, "{\"rel\":\"related\",\"href\":\"/r/%u\"},", i);
      g_string_append (text, "{\"rel\":\"next\",\"href\":\"/page/2\"}],\"publications\":[]}");

      feed = parse (text, JSON_TYPE);
      if (past)
        g_assert_null (feed->next_href);
      else
        g_assert_cmpstr (feed->next_href, ==, "http://127.0.0.1/page/2");
      kios_opds_feed_free (feed);
    }
}

/* ---- Pictures per entry ------------------------------------------------- */

static void
test_images (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint               n = KIOS_LIMIT_OPDS_IMAGES + past;
      g_autoptr (GString) text = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"publications\":[{\"metadata\":"
                                               "{\"title\":\"B\",\"identifier\":\"urn:b\"},\"links\":[],\"images\":[");
      g_autofree char    *last = g_strdup_printf ("http://127.0.0.1/c/%u.jpg", KIOS_LIMIT_OPDS_IMAGES - 1);
      KiosOpdsFeed       *feed;

      for (guint i = 0; i < n; i++)
        g_string_append_printf (text, "%s{\"href\":\"/c/%u.jpg\",\"type\":\"image/jpeg\"}", i > 0 ? "," : "", i);
      g_string_append (text, "]}]}");

      /* The last picture read is the cover: the one at the limit either way. */
      feed = parse (text, JSON_TYPE);
      g_assert_cmpstr (only_entry (feed)->cover_href, ==, last);
      g_assert_cmpstr (only_entry (feed)->thumbnail_href, ==, "http://127.0.0.1/c/0.jpg");
      kios_opds_feed_free (feed);
    }
}

/* ---- Groups and facet groups per feed ----------------------------------- */

static void
test_groups (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint               n = KIOS_LIMIT_OPDS_GROUPS + past;
      g_autoptr (GString) text = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"groups\":[");
      KiosOpdsFeed       *feed;

      for (guint i = 0; i < n; i++)
        g_string_append_printf (text,
                                "%s{\"metadata\":{\"title\":\"G%u\"},\"publications\":[{\"metadata\":"
                                "{\"title\":\"B%u\"},\"links\":[{\"rel\":\"" ACQUISITION "\",\"href\":\"/b/%u.epub\"}]}]}",
                                i > 0 ? "," : "", i, i, i);
      g_string_append (text, "]}");

      feed = parse (text, JSON_TYPE);
      g_assert_cmpuint (feed->entries->len, ==, KIOS_LIMIT_OPDS_GROUPS);
      kios_opds_feed_free (feed);
    }
}

static void
test_facet_groups (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint               n = KIOS_LIMIT_OPDS_FACET_GROUPS + past;
      g_autoptr (GString) text = g_string_new ("{\"metadata\":{\"title\":\"F\"},\"publications\":[],\"facets\":[");
      g_autofree char    *last = g_strdup_printf ("Group %u", KIOS_LIMIT_OPDS_FACET_GROUPS - 1);
      KiosOpdsFeed       *feed;

      for (guint i = 0; i < n; i++)
        g_string_append_printf (text, "%s{\"metadata\":{\"title\":\"Group %u\"},\"links\":[{\"href\":\"/f/%u\","
                                      "\"title\":\"Facet %u\"}]}",
                                i > 0 ? "," : "", i, i, i);
      g_string_append (text, "]}");

      feed = parse (text, JSON_TYPE);
      g_assert_cmpuint (feed->facets->len, ==, KIOS_LIMIT_OPDS_FACET_GROUPS);
      g_assert_cmpstr (((KiosOpdsLink *) feed->facets->pdata[feed->facets->len - 1])->facet_group, ==, last);
      kios_opds_feed_free (feed);
    }
}

/* ---- Sign-in methods ---------------------------------------------------- */

static void
test_auth_methods (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      guint                 n = KIOS_LIMIT_OPDS_AUTH_METHODS + past;
      g_autoptr (GString)   text = g_string_new ("{\"title\":\"Library\",\"authentication\":[");
      g_autoptr (GError)    error = NULL;
      KiosOpdsAuthDocument *doc;

      for (guint i = 0; i + 1 < n; i++)
        g_string_append_printf (text, "{\"type\":\"http://example.org/auth/%u\"},", i);
      g_string_append (text, "{\"type\":\"http://opds-spec.org/auth/basic\"}]}");

      doc = kios_opds_auth_document_parse (text->str, text->len, &error);
      g_assert_no_error (error);
      g_assert_cmpint (doc->supports_basic, ==, !past);
      kios_opds_auth_document_free (doc);
    }
}

/* ---- Language tags ------------------------------------------------------ */

static void
test_language (void)
{
  for (guint past = 0; past <= 1; past++)
    {
      gsize               n = KIOS_LIMIT_OPDS_LANGUAGE_BYTES + past;
      g_autofree char    *tag = g_strnfill (n, 'x');
      g_autofree char    *kept = g_strnfill (KIOS_LIMIT_OPDS_LANGUAGE_BYTES, 'x');
      g_autoptr (GString) json = g_string_new (NULL);
      g_autoptr (GString) atom = g_string_new (NULL);
      KiosOpdsFeed       *feed;

      g_string_printf (json, "{\"metadata\":{\"title\":\"F\"},\"publications\":[{\"metadata\":{\"title\":\"B\","
                             "\"identifier\":\"urn:b\",\"language\":\"%s\"},\"links\":[]}]}",
                       tag);
      g_string_printf (atom, "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""
                             " xmlns:dc=\"http://purl.org/dc/terms/\"><id>urn:f</id><title>F</title><entry>"
                             "<title>B</title><id>urn:b</id><dc:language>%s</dc:language><link rel=\"" ACQUISITION "\" href=\"/b/1.epub\"/>"
                             "</entry></feed>",
                       tag);

      feed = parse (json, JSON_TYPE);
      g_assert_cmpstr (only_entry (feed)->language, ==, kept);
      kios_opds_feed_free (feed);
      feed = parse (atom, ATOM_TYPE);
      g_assert_cmpstr (only_entry (feed)->language, ==, kept);
      kios_opds_feed_free (feed);
    }
}

/* ---- The parser's words in an error ------------------------------------- */

static char *
mismatched_tag_error (gsize name_len)
{
  g_autofree char    *name = g_strnfill (name_len, 'a');
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError)  error = NULL;
  KiosOpdsFeed       *feed;

  g_string_printf (text, "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><%s></b></feed>", name);
  feed = kios_opds_feed_parse (text->str, text->len, ATOM_TYPE, BASE, &error);
  g_assert_null (feed);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  return g_strdup (error->message);
}

static void
test_error_detail (void)
{
  g_autofree char *short_message = mismatched_tag_error (20);
  g_autofree char *long_message = mismatched_tag_error (4 * KIOS_LIMIT_OPDS_ERROR_DETAIL_BYTES);
  g_autofree char *short_name = g_strnfill (20, 'a');
  g_autofree char *long_run = g_strnfill (KIOS_LIMIT_OPDS_ERROR_DETAIL_BYTES, 'a');
  const char      *fixed = "The catalog page is not well-formed XML: ";

  /* A short name is quoted whole; a long one is cut with the rest of the
   * parser's words to the limit, and the message stays one short line. */
  g_assert_nonnull (strstr (short_message, short_name));
  g_assert_nonnull (strstr (long_message, fixed));
  g_assert_null (strstr (long_message, long_run));
  g_assert_nonnull (strstr (long_message, short_name));
  g_assert_cmpuint (strlen (long_message), <=, strlen (fixed) + KIOS_LIMIT_OPDS_ERROR_DETAIL_BYTES + strlen (" (line 99)"));
}

/* ---- Telling a web page ------------------------------------------------- */

/* A login page whose "<html" starts at byte `at`, after white space. */
static GError *
login_page_error (gsize at)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GError             *error = NULL;

  while (text->len < at)
    g_string_append_c (text, ' ');
  g_string_append (text, "<html><body><form>Sign in<br></form>");
  g_assert_null (kios_opds_feed_parse (text->str, text->len, "text/html; charset=utf-8", BASE, &error));
  g_assert_nonnull (error);
  return error;
}

static void
test_sniff (void)
{
  gsize              at = KIOS_LIMIT_OPDS_SNIFF_BYTES - strlen ("<html");
  g_autoptr (GError) within = login_page_error (at);
  g_autoptr (GError) past = login_page_error (at + 1);

  g_assert_error (within, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG);
  /* Past the bytes looked at, it is only XML that is not well-formed. */
  g_assert_error (past, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/limits-opds/entry-links", test_entry_links);
  g_test_add_func ("/limits-opds/link-rels", test_link_rels);
  g_test_add_func ("/limits-opds/feed-links", test_feed_links);
  g_test_add_func ("/limits-opds/images", test_images);
  g_test_add_func ("/limits-opds/groups", test_groups);
  g_test_add_func ("/limits-opds/facet-groups", test_facet_groups);
  g_test_add_func ("/limits-opds/auth-methods", test_auth_methods);
  g_test_add_func ("/limits-opds/language", test_language);
  g_test_add_func ("/limits-opds/error-detail", test_error_detail);
  g_test_add_func ("/limits-opds/sniff", test_sniff);

  return g_test_run ();
}
