/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-readium"

#include "config.h"

#include "kios-test-kiosctl.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-epub.h"
#include "kios-error.h"
#include "kios-fake-progression.h"
#include "kios-library-store.h"
#include "kios-opds-client.h"
#include "kios-opds-feed.h"
#include "kios-paths.h"
#include "kios-readium-backend.h"
#include "kios-readium-client.h"
#include "kios-sync-engine.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define BOOK "pride-and-prejudice.epub"
#define CHAPTER 5
#define FUTURE "2099-01-01T00:00:00Z"

/* ------------------------------------------------------------------ */
/* helpers */

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError)     error = NULL;

  g_assert_nonnull (text);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The spine path and uncompressed size of the sample's chapter. */
static char *
chapter_href (const char *book,
              int         chapter,
              gsize      *size)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosEpub) epub = kios_epub_open (book, &error);
  g_autoptr (GBytes)   bytes = NULL;
  const KiosSpineItem *item;

  g_assert_no_error (error);
  g_assert_cmpuint (kios_epub_get_n_spine_items (epub), >, (guint) chapter);
  item = kios_epub_get_spine_item (epub, (guint) chapter);
  bytes = kios_epub_read_member (epub, item->href, 64 * 1024 * 1024, &error);
  g_assert_no_error (error);
  if (size != NULL)
    *size = g_bytes_get_size (bytes);
  return g_strdup (item->href);
}

/* A Komga document for the chapter at a snapped progression, by another device. */
static char *
komga_document (const char *href,
                double      progression,
                const char *modified)
{
  return g_strdup_printf ("{\"modified\":\"%s\",\"device\":{\"id\":\"unused\",\"name\":\"Komga-webui\"},"
                          "\"locator\":{\"href\":\"%s\",\"type\":\"application/xhtml+xml\","
                          "\"locations\":{\"progression\":%.9g,\"totalProgression\":0.2}}}",
                          modified, href, progression);
}

typedef struct
{
  char             *book;
  char             *hash;
  KiosLibraryStore *store;
} Library;

static void
library_clear (Library *lib)
{
  g_free (lib->book);
  g_free (lib->hash);
  g_clear_object (&lib->store);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Library, library_clear)

/* The sample book in a fresh store, as a download from "komga" would leave it. */
static void
library_init (Library    *lib,
              const char *progression_url)
{
  g_autofree char   *db = kios_paths_library_db ();
  g_autofree char   *data_dir = kios_paths_data_dir ();
  g_autoptr (GError) error = NULL;
  KiosBookRecord     record = { 0 };

  g_mkdir_with_parents (data_dir, 0700);
  lib->book = kios_test_book (BOOK);
  lib->hash = kios_book_hash_file (lib->book, &error);
  g_assert_no_error (error);
  lib->store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  record.hash = lib->hash;
  record.path = lib->book;
  record.format = (char *) "epub";
  record.title = (char *) "Pride and Prejudice";
  kios_library_store_upsert_book (lib->store, &record);
  if (progression_url != NULL)
    kios_library_store_set_book_meta (lib->store, lib->hash, "opds.progression", progression_url);
  g_assert_true (kios_library_store_flush (lib->store, 5000));
}

/* A local position in the sample, as a page turn would save it. */
static KiosPosition *
local_position (const char *book,
                const char *pos)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (book, &error);
  KiosPosition            *position;

  g_assert_no_error (error);
  position = kios_document_parse_position (document, pos, &error);
  g_assert_no_error (error);
  g_assert_nonnull (position);
  position->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  return position;
}

/* ------------------------------------------------------------------ */
/* detection, parsing, snapping */

static void
test_detect_link (void)
{
  static const char opds2[] =
      "{\"metadata\":{\"title\":\"Books\"},\"publications\":["
      " {\"metadata\":{\"title\":\"Cantook only\"},\"links\":["
      "  {\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"/opds/v2/books/1/file\",\"type\":\"application/epub+zip\"},"
      "  {\"rel\":\"http://www.cantook.com/api/progression\",\"href\":\"/opds/v2/books/1/progression\","
      "   \"type\":\"application/vnd.readium.progression+json\"}]},"
      " {\"metadata\":{\"title\":\"Both\"},\"links\":["
      "  {\"rel\":\"http://www.cantook.com/api/progression\",\"href\":\"/old/2\",\"type\":\"application/vnd.readium.progression+json\"},"
      "  {\"rel\":[\"http://opds-spec.org/progression\"],\"href\":\"/new/2\",\"type\":\"application/opds-progression+json\"},"
      "  {\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"/opds/v2/books/2/file\",\"type\":\"application/epub+zip\"}]},"
      " {\"metadata\":{\"title\":\"None\"},\"links\":["
      "  {\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"/opds/v2/books/3/file\",\"type\":\"application/epub+zip\"}]}]}";
  static const char atom[] =
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>"
      "<entry><id>b4</id><title>Draft</title><updated>2026-01-01T00:00:00Z</updated>"
      "<link rel=\"http://opds-spec.org/acquisition\" href=\"/file/4\" type=\"application/epub+zip\"/>"
      "<link rel=\"http://opds-spec.org/progression\" href=\"/progression/4\" type=\"application/opds-progression+json\"/>"
      "</entry></feed>";
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosOpdsFeed) feed = NULL;
  g_autoptr (KiosOpdsFeed) feed1 = NULL;
  KiosOpdsEntry           *e;

  feed = kios_opds_feed_parse (opds2, sizeof opds2 - 1, "application/opds+json", "https://komga.example/opds/v2/catalog",
                               &error);
  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 3);
  e = feed->entries->pdata[0];
  g_assert_cmpint (e->kind, ==, KIOS_OPDS_ENTRY_BOOK);
  g_assert_cmpstr (e->progression_href, ==, "https://komga.example/opds/v2/books/1/progression");
  g_assert_cmpstr (e->progression_type, ==, KIOS_READIUM_TYPE_READIUM);
  /* Both rels: the OPDS Progression rel wins. */
  e = feed->entries->pdata[1];
  g_assert_cmpstr (e->progression_href, ==, "https://komga.example/new/2");
  g_assert_cmpstr (e->progression_type, ==, KIOS_READIUM_TYPE_OPDS);
  e = feed->entries->pdata[2];
  g_assert_null (e->progression_href);

  feed1 = kios_opds_feed_parse (atom, sizeof atom - 1, "application/atom+xml", "http://cat.example/opds", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (feed1->entries->len, ==, 1);
  e = feed1->entries->pdata[0];
  g_assert_cmpstr (e->progression_href, ==, "http://cat.example/progression/4");
}

static void
test_parse (void)
{
  static const char page_only[] = "{\"modified\":\"2026-03-15T20:01:07Z\",\"device\":{\"id\":\"\",\"name\":\"\"},\"locator\":{}}";
  static const char stump_default[] = "{\"modified\":\"\",\"device\":{\"id\":\"\",\"name\":\"\"},\"locator\":{}}";
  static const char stump_cfi[] =
      "{\"modified\":\"2026-03-15T20:01:07Z\",\"device\":{\"id\":\"\",\"name\":\"\"},\"locator\":{\"title\":\"Ebook Progress\","
      "\"type\":\"application/xhtml+xml\",\"locations\":[{\"fragments\":[\"epubcfi(/6/4!/4/2)\"],\"totalProgression\":0.4}]}}";
  static const char komga[] =
      "{\"modified\":\"2026-03-14T09:26:53.120Z\",\"device\":{\"id\":\"urn:uuid:5b0b6c1e-2f0a-4d7e-9a55-1d3c2a7e4f10\","
      "\"name\":\"Kios on atlas\"},\"locator\":{\"href\":\"OEBPS/Text/chapter%2005.xhtml#p3\",\"type\":\"application/xhtml+xml\","
      "\"title\":\"Chapter 5\",\"locations\":{\"progression\":0.42857143,\"totalProgression\":0.37},\"koboSpan\":\"kobo.3.1\"}}";
  static const char draft[] =
      "{\"modified\":\"2026-03-14T09:26:53Z\",\"device\":{\"id\":\"urn:x\",\"name\":\"n\"},\"progression\":0.3712,"
      "\"references\":[\"OEBPS/Text/chapter05.xhtml#par36\"]}";
  static const char                  html[] = "<!DOCTYPE html><html><body>Sign in</body></html>";
  g_autoptr (GError)                 error = NULL;
  g_autoptr (KiosReadiumProgression) p = NULL;
  g_autoptr (KiosReadiumProgression) d = NULL;
  g_autoptr (KiosPosition)           pos = NULL;
  g_autoptr (GString)                deep = g_string_new ("{\"locator\":");
  KiosReadiumFlavour                 flavour = KIOS_READIUM_FLAVOUR_OPDS;

  /* `locator: {}` (page-only writer), Stump's default and its CFI form: no position, no error. */
  g_assert_null (kios_readium_progression_parse (page_only, sizeof page_only - 1, &flavour, &error));
  g_assert_no_error (error);
  g_assert_cmpint (flavour, ==, KIOS_READIUM_FLAVOUR_READIUM);
  g_assert_null (kios_readium_progression_parse (stump_default, sizeof stump_default - 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (kios_readium_progression_parse (stump_cfi, sizeof stump_cfi - 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (kios_readium_progression_parse ("", 0, NULL, &error));
  g_assert_no_error (error);

  p = kios_readium_progression_parse (komga, sizeof komga - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  g_assert_cmpstr (p->href, ==, "OEBPS/Text/chapter 05.xhtml");
  g_assert_cmpfloat_with_epsilon (p->progression, 0.42857143, 1e-9);
  g_assert_cmpfloat_with_epsilon (p->total_progression, 0.37, 1e-9);
  g_assert_cmpint (p->modified_ms, ==, G_GINT64_CONSTANT (1773480413120));
  g_assert_cmpstr (p->device_name, ==, "Kios on atlas");
  pos = kios_readium_progression_to_position (p, KIOS_BOOK_FORMAT_EPUB);
  g_assert_cmpint (pos->chapter, ==, -1);
  g_assert_cmpstr (pos->chapter_href, ==, "OEBPS/Text/chapter 05.xhtml");
  g_assert_cmpfloat_with_epsilon (pos->chapter_progress, 0.42857143, 1e-9);
  g_assert_cmpfloat_with_epsilon (pos->total_progress, 0.37, 1e-9);
  /* A urn:uuid device id folds to Kios' 32-hex form, so "this device" is recognised. */
  g_assert_cmpstr (pos->device_id, ==, "5B0B6C1E2F0A4D7E9A551D3C2A7E4F10");

  d = kios_readium_progression_parse (draft, sizeof draft - 1, &flavour, &error);
  g_assert_no_error (error);
  g_assert_cmpint (flavour, ==, KIOS_READIUM_FLAVOUR_OPDS);
  g_assert_cmpstr (d->href, ==, "OEBPS/Text/chapter05.xhtml");
  g_assert_cmpfloat_with_epsilon (d->total_progression, 0.3712, 1e-9);

  g_assert_null (kios_readium_progression_parse (html, sizeof html - 1, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Nested 200,000 deep: refused before json-glib sees it. */
  for (int i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  g_assert_null (kios_readium_progression_parse (deep->str, deep->len, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
}

static void
test_snap (void)
{
  /* 5000 bytes → 5 positions: 0, .2, .4, .6, .8; never the last fifth. */
  g_assert_true (kios_readium_snap_progression (0.42, 5000) == (double) ((float) 2 / 5.0f));
  g_assert_true (kios_readium_snap_progression (0.6, 5000) == (double) ((float) 3 / 5.0f));
  g_assert_true (kios_readium_snap_progression (0.99, 5000) == (double) ((float) 4 / 5.0f));
  g_assert_true (kios_readium_snap_progression (1.0, 5000) == (double) ((float) 4 / 5.0f));
  /* Under 1 KiB: one position, so only 0 is accepted. */
  g_assert_true (kios_readium_snap_progression (0.7, 900) == 0.0);
  g_assert_true (kios_readium_snap_progression (-1, 5000) == 0.0);
  /* 3/7 stays 3/7, not 2/7, through rounding. */
  g_assert_true (kios_readium_snap_progression (3.0 / 7.0, 7 * 1024) == (double) (3.0f / 7.0f));
}

/* ------------------------------------------------------------------ */
/* against the fake Komga */

static void
test_komga_get_open (void)
{
  g_autofree char                   *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression)    fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                       "kios-pass", book);
  g_autoptr (KiosReadiumClient)      client = kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                                       kios_fake_progression_get_base (fake),
                                                                       "kios@example.org", "kios-pass");
  g_autoptr (GError)                 error = NULL;
  g_autoptr (KiosReadiumProgression) none = NULL;
  g_autoptr (KiosReadiumProgression) got = NULL;
  g_autoptr (KiosPosition)           remote = NULL;
  g_autoptr (KiosPosition)           resolved = NULL;
  g_autoptr (KiosDocument)           document = NULL;
  gsize                              size = 0;
  g_autofree char                   *href = chapter_href (book, CHAPTER, &size);
  g_autofree char                   *doc = komga_document (href, kios_readium_snap_progression (0.5, size), "2026-03-14T09:26:53Z");

  /* 204: nothing read yet. */
  none = kios_readium_client_get (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  /* Over http the credentials go only after the challenge: 401, then 204. */
  g_assert_cmpuint (kios_fake_progression_count (fake, "GET"), ==, 2);
  g_assert_cmpuint (kios_fake_progression_count_authorized (fake), ==, 1);

  kios_fake_progression_set_stored (fake, doc);
  got = kios_readium_client_get (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpstr (got->href, ==, href);
  /* The scheme is known now: one request, with credentials. */
  g_assert_cmpuint (kios_fake_progression_count (fake, "GET"), ==, 3);

  remote = kios_readium_progression_to_position (got, KIOS_BOOK_FORMAT_EPUB);
  document = kios_document_open_sync (book, &error);
  g_assert_no_error (error);
  resolved = kios_document_normalize_position (document, remote, &error);
  g_assert_no_error (error);
  g_assert_nonnull (resolved);
  g_assert_cmpint (resolved->chapter, ==, CHAPTER);
  g_assert_cmpstr (resolved->chapter_href, ==, href);
  /* The page holding the middle of the chapter. */
  g_assert_cmpfloat (resolved->chapter_progress, >, 0.1);
  g_assert_cmpfloat (resolved->chapter_progress, <=, remote->chapter_progress);
  g_assert_cmpfloat (resolved->chapter_progress, <=, 0.5);
  g_assert_cmpfloat (resolved->total_progress, >, 0.0);
}

static void
test_komga_put (void)
{
  g_autofree char                   *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression)    fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                       "kios-pass", book);
  g_auto (Library)                   lib = { NULL };
  g_autoptr (KiosReadiumBackend)     backend = NULL;
  g_autoptr (KiosPosition)           local = NULL;
  g_autoptr (KiosReadiumProgression) raw = NULL;
  g_autoptr (JsonObject)             stored = NULL;
  g_autoptr (GError)                 error = NULL;
  g_autofree char                   *stored_text = NULL;
  g_autofree char                   *reason = NULL;
  g_autofree char                   *href = NULL;
  g_autofree char                   *own_id = kios_paths_device_id ();
  JsonObject                        *locator;
  JsonObject                        *locations;
  KiosReadiumPutResult               result = KIOS_READIUM_PUT_NOT_NEWER;
  gsize                              size = 0;
  KiosReadiumClient                 *client;

  library_init (&lib, kios_fake_progression_get_url (fake));
  href = chapter_href (book, CHAPTER, &size);
  g_assert_cmpuint (size, >, 3 * 1024);
  backend = kios_readium_backend_new (lib.store, "komga", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake),
                                                               "kios@example.org", "kios-pass"));
  client = kios_readium_backend_get_client (backend);

  /* Komga refuses a progression off its grid (here the last KiB of the chapter). */
  raw = kios_readium_progression_new ();
  raw->href = g_strdup (href);
  raw->progression = 0.9999;
  raw->total_progression = 0.3;
  raw->modified_ms = g_get_real_time () / 1000;
  raw->device_id = g_strdup ("x");
  g_assert_false (kios_readium_client_put (client, raw, &result, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT);
  g_clear_error (&error);
  reason = kios_fake_progression_dup_last_put_reason (fake);
  g_assert_nonnull (strstr (reason, "Invalid progression"));

  /* The backend's PUT: href inside the zip, progression on the grid, totalProgression. */
  local = local_position (book, "chapter:5:0.999");
  g_assert_cmpint (local->chapter, ==, CHAPTER);
  g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_STORED);
  g_assert_cmpuint (kios_fake_progression_get_last_put_status (fake), ==, 204);

  stored_text = kios_fake_progression_dup_stored (fake);
  stored = parse_object (stored_text);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (stored, "device"), "id"), ==, own_id);
  locator = json_object_get_object_member (stored, "locator");
  g_assert_cmpstr (json_object_get_string_member (locator, "href"), ==, href);
  locations = json_object_get_object_member (locator, "locations");
  {
    gsize  n = (size + 1023) / 1024;
    double sent = json_object_get_double_member (locations, "progression");

    /* Snapped onto the grid, never past the last position Komga accepts. */
    g_assert_true (sent == kios_readium_snap_progression (local->chapter_progress, size));
    g_assert_true ((float) sent <= (float) (n - 1) / (float) n);
    g_assert_cmpfloat (sent, <=, local->chapter_progress);
    g_assert_cmpfloat (sent, >, 0.5);
  }
  g_assert_true (json_object_has_member (locations, "totalProgression"));
  g_assert_cmpstr (json_object_get_string_member (stored, "modified"), !=, NULL);
}

static void
test_komga_conflict (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, NULL, NULL, book);
  g_auto (Library)                lib = { NULL };
  g_autoptr (KiosReadiumBackend)  backend = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autoptr (GError)              error = NULL;
  g_autofree char                *href = NULL;
  g_autofree char                *newer = NULL;
  g_autofree char                *after = NULL;
  g_autofree char                *last_remote = NULL;
  KiosReadiumPutResult            result = KIOS_READIUM_PUT_STORED;
  gsize                           size = 0;

  library_init (&lib, kios_fake_progression_get_url (fake));
  href = chapter_href (book, 8, &size);
  backend = kios_readium_backend_new (lib.store, "komga", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake), NULL, NULL));
  local = local_position (book, "chapter:3:0.5");

  /* The same position twice: Komga rejects equal timestamps with 409; no retry. */
  g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_STORED);
  g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_NOT_NEWER);
  /* One GET to learn the document flavour before the first PUT, one after the 409. */
  g_assert_cmpuint (kios_fake_progression_count (fake, "PUT"), ==, 2);
  g_assert_cmpuint (kios_fake_progression_count (fake, "GET"), ==, 2);

  /* A newer remote from another device: kept, read once, never overwritten. */
  newer = komga_document (href, 0, FUTURE);
  kios_fake_progression_set_stored (fake, newer);
  g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_NOT_NEWER);
  g_assert_cmpuint (kios_fake_progression_count (fake, "PUT"), ==, 3);
  g_assert_cmpuint (kios_fake_progression_count (fake, "GET"), ==, 3);
  after = kios_fake_progression_dup_stored (fake);
  g_assert_cmpstr (after, ==, newer);
  last_remote = kios_library_store_get_last_remote (lib.store, lib.hash, "komga", &error);
  g_assert_no_error (error);
  g_assert_nonnull (last_remote);
  g_assert_nonnull (strstr (last_remote, href));
}

static void
test_komga_empty_and_page_only (void)
{
  g_autofree char                   *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression)    fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, NULL, NULL, book);
  g_auto (Library)                   lib = { NULL };
  g_autoptr (KiosReadiumBackend)     backend = NULL;
  g_autoptr (KiosPosition)           none = NULL;
  g_autoptr (KiosPosition)           page_only = NULL;
  g_autoptr (KiosReadiumProgression) doc = NULL;
  g_autoptr (GError)                 error = NULL;

  library_init (&lib, kios_fake_progression_get_url (fake));
  backend = kios_readium_backend_new (lib.store, "komga", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake), NULL, NULL));
  /* 204 → none. */
  none = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, &doc, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  g_assert_null (doc);

  /* Another client stored only a page: `locator: {}` → none, not an error. */
  kios_fake_progression_set_stored (fake, "{\"modified\":\"2026-03-15T20:01:07Z\",\"device\":{\"id\":\"\",\"name\":\"\"},"
                                          "\"locator\":{}}");
  page_only = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, &doc, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (page_only);
  g_assert_cmpuint (kios_fake_progression_count (fake, "GET"), ==, 2);
}

/* ------------------------------------------------------------------ */
/* Stump: read-only, never a failure */

static void
test_stump_read_only (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_STUMP, "kios", "kios-pass",
                                                                    NULL);
  g_auto (Library)                lib = { NULL };
  g_autoptr (KiosReadiumBackend)  backend = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autoptr (KiosPosition)        remote = NULL;
  g_autoptr (GError)              error = NULL;
  g_autofree char                *read_only = NULL;
  KiosReadiumPutResult            result = KIOS_READIUM_PUT_STORED;

  library_init (&lib, kios_fake_progression_get_url (fake));
  backend = kios_readium_backend_new (lib.store, "stump", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake), "kios",
                                                               "kios-pass"));
  /* The default document: no position. */
  remote = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (remote);
  /* Its CFI form: a hint without href or reading time, never "newer". */
  kios_fake_progression_set_stored (fake, "{\"modified\":\"2026-11-27T10:00:00Z\",\"device\":{\"id\":\"\",\"name\":\"\"},"
                                          "\"locator\":{\"title\":\"Ebook Progress\",\"type\":\"application/xhtml+xml\","
                                          "\"locations\":[{\"fragments\":[\"epubcfi(/6/10!/4/2)\"],\"totalProgression\":0.8}]}}");
  remote = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (remote);

  /* PUT → 405: settled as read-only, remembered, no request the next time. */
  local = local_position (book, "chapter:4:0.2");
  g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_READ_ONLY);
  g_assert_cmpuint (kios_fake_progression_get_last_put_status (fake), ==, 405);
  g_assert_cmpuint (kios_fake_progression_count (fake, "PUT"), >=, 1);
  read_only = kios_library_store_get_book_meta (lib.store, lib.hash, "readium.read_only");
  g_assert_cmpstr (read_only, ==, "1");
  {
    guint before = kios_fake_progression_count (fake, NULL);

    local->updated_at++;
    g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (result, ==, KIOS_READIUM_PUT_READ_ONLY);
    g_assert_cmpuint (kios_fake_progression_count (fake, NULL), ==, before);
  }
}

/* Through the KiosSyncBackend interface, as the engine drives it. */
typedef struct
{
  gboolean      done;
  gboolean      ok;
  KiosPosition *position;
  GError       *error;
} Async;

static void
push_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Async *a = user_data;

  a->ok = kios_sync_backend_push_finish (KIOS_SYNC_BACKEND (source), result, &a->error);
  a->done = TRUE;
}

static void
pull_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Async *a = user_data;

  a->position = kios_sync_backend_pull_finish (KIOS_SYNC_BACKEND (source), result, &a->error);
  a->done = TRUE;
}

static void
test_backend_interface (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, NULL, NULL, book);
  g_auto (Library)                lib = { NULL };
  g_autoptr (KiosReadiumBackend)  backend = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autofree char                *label = NULL;
  Async                           push = { 0 };
  Async                           pull = { 0 };

  library_init (&lib, kios_fake_progression_get_url (fake));
  backend = kios_readium_backend_new (lib.store, "komga", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake), NULL, NULL));
  g_assert_cmpstr (kios_sync_backend_get_source_name (KIOS_SYNC_BACKEND (backend)), ==, "komga");
  label = kios_sync_backend_get_server_label (KIOS_SYNC_BACKEND (backend));
  g_assert_nonnull (strstr (label, "127.0.0.1"));

  local = local_position (book, "chapter:6:0.4");
  kios_sync_backend_push_async (KIOS_SYNC_BACKEND (backend), lib.hash, local, NULL, push_done_cb, &push);
  kios_test_wait_for (&push.done, 20000);
  g_assert_no_error (push.error);
  g_assert_true (push.ok);

  kios_sync_backend_pull_async (KIOS_SYNC_BACKEND (backend), lib.hash, KIOS_BOOK_FORMAT_EPUB, NULL, pull_done_cb, &pull);
  kios_test_wait_for (&pull.done, 20000);
  g_assert_no_error (pull.error);
  g_assert_nonnull (pull.position);
  g_assert_cmpint (pull.position->chapter, ==, -1);
  g_assert_cmpstr (pull.position->chapter_href, ==, local->chapter_href);
  g_assert_cmpfloat (pull.position->chapter_progress, <=, local->chapter_progress);
  g_assert_cmpfloat (pull.position->chapter_progress, >, local->chapter_progress - 0.3);
  g_assert_cmpint (pull.position->updated_at, ==, local->updated_at);
  kios_position_free (pull.position);
}

/* ------------------------------------------------------------------ */
/* credentials */

static void
test_redirect_auth (void)
{
  g_autoptr (KiosFakeProgression)    komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                        "kios-pass", NULL);
  g_autoptr (KiosFakeProgression)    other = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_STUMP, NULL, NULL, NULL);
  g_autofree char                   *moved = g_strconcat (kios_fake_progression_get_base (komga), "/moved", NULL);
  g_autofree char                   *bad_url = g_strconcat (kios_fake_progression_get_base (komga), "/opds/v2/books/1/progression", NULL);
  g_autoptr (KiosReadiumClient)      client = NULL;
  g_autoptr (KiosReadiumClient)      wrong = NULL;
  g_autoptr (KiosReadiumClient)      https = NULL;
  g_autoptr (KiosReadiumProgression) got = NULL;
  g_autoptr (GError)                 error = NULL;

  kios_fake_progression_add_redirect (komga, "/moved", kios_fake_progression_get_url (other));
  client = kios_readium_client_new (moved, kios_fake_progression_get_base (komga), "kios@example.org", "kios-pass");
  got = kios_readium_client_get (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (got);
  /* The catalog's host got the credentials (after its challenge); the other host never. */
  g_assert_cmpuint (kios_fake_progression_count_authorized (komga), ==, 1);
  g_assert_cmpuint (kios_fake_progression_count (other, NULL), ==, 1);
  g_assert_cmpuint (kios_fake_progression_count_authorized (other), ==, 0);

  /* A progression link on another origin than the catalog never gets them either. */
  https = kios_readium_client_new (kios_fake_progression_get_url (other), "https://catalog.invalid/opds",
                                   "kios@example.org", "kios-pass");
  g_assert_null (kios_readium_client_get (https, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kios_fake_progression_count_authorized (other), ==, 0);

  /* A wrong password is an AUTH error, asked once, with the realm. */
  wrong = kios_readium_client_new (bad_url, kios_fake_progression_get_base (komga), "kios@example.org", "nope");
  g_assert_null (kios_readium_client_get (wrong, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Realm"));
  g_assert_null (strstr (error->message, "nope"));
  g_assert_cmpuint (kios_readium_client_get_n_requests (wrong), ==, 2);
}

static void
test_cancel (void)
{
  guint16                       port = 0;
  g_autoptr (GSocketListener)   hole = kios_fake_black_hole_new (&port);
  g_autofree char              *url = g_strdup_printf ("http://127.0.0.1:%u/opds/v2/books/1/progression", port);
  g_autoptr (KiosReadiumClient) client = kios_readium_client_new (url, url, NULL, NULL);
  g_autoptr (GError)            error = NULL;
  gint64                        start = g_get_monotonic_time ();

  /* A server that never answers: the timeout ends it, as a network error. */
  kios_readium_client_set_timeout (client, 700);
  g_assert_null (kios_readium_client_get (client, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------ */
/* kiosctl sync pull for a book from such a catalog */

static void
test_kiosctl (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                    "kios-pass", book);
  g_autofree char                *catalog = g_strconcat (kios_fake_progression_get_base (fake), "/opds/v2/catalog", NULL);
  g_autofree char                *href = NULL;
  g_autofree char                *doc = NULL;
  g_autofree char                *stored_after = NULL;
  g_autofree char                *position_before = NULL;
  g_autoptr (JsonObject)          pull = NULL;
  g_autoptr (JsonObject)          push = NULL;
  JsonObject                     *remote;
  gsize                           size = 0;

  {
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&run, "kios-pass\n", "source", "add", "--kind", "opds", "--name", "komga", "--url", catalog,
                       "--user", "kios@example.org", "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&run, NULL, "position", book, "--set", "chapter:2:0.1", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    /* What kios_opds_client_download_book records for a Komga book. */
    g_auto (Library) lib = { NULL };

    library_init (&lib, kios_fake_progression_get_url (fake));
    kios_library_store_set_book_meta (lib.store, lib.hash, "opds.source", "komga");
    g_assert_true (kios_library_store_flush (lib.store, 5000));
  }
  href = chapter_href (book, CHAPTER, &size);
  doc = komga_document (href, kios_readium_snap_progression (0.5, size), "2026-03-14T09:26:53Z");
  kios_fake_progression_set_stored (fake, doc);
  {
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&run, NULL, "position", book, "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    position_before = g_strdup (run.out);
  }

  {
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    pull = parse_object (run.out);
  }
  g_assert_cmpstr (json_object_get_string_member (pull, "protocol"), ==, "readium");
  g_assert_cmpstr (json_object_get_string_member (pull, "source"), ==, "komga");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (pull, "local")));
  remote = json_object_get_object_member (pull, "remote");
  g_assert_nonnull (remote);
  g_assert_cmpint (json_object_get_int_member (remote, "chapter"), ==, CHAPTER);
  g_assert_cmpstr (json_object_get_string_member (remote, "href"), ==, href);
  g_assert_cmpstr (json_object_get_string_member (remote, "device"), ==, "Komga-webui");
  g_assert_cmpstr (json_object_get_string_member (remote, "device_id"), ==, "unused");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (remote, "updated_at"), "2026-03-14T09:26:53"));
  /* Chapter 6 of the remote vs chapter 3 here: ask. */
  g_assert_cmpstr (json_object_get_string_member (pull, "decision"), ==, "prompt");
  g_assert_nonnull (json_object_get_string_member (pull, "reason"));

  /* Pull changed nothing: no PUT, the server's and the local position as they were. */
  g_assert_cmpuint (kios_fake_progression_count (fake, "PUT"), ==, 0);
  stored_after = kios_fake_progression_dup_stored (fake);
  g_assert_cmpstr (stored_after, ==, doc);
  {
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&run, NULL, "position", book, "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpstr (run.out, ==, position_before);
  }

  /* Push: the local position (chapter 3) is not newer than... it is newer in
   * time, so Komga takes it; the stored href is chapter 3's. */
  {
    g_auto (KiosctlRun) run = { 0 };
    g_autofree char    *href2 = chapter_href (book, 2, NULL);
    g_autofree char    *stored = NULL;

    kios_test_kiosctl (&run, NULL, "sync", "push", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    push = parse_object (run.out);
    g_assert_cmpstr (json_object_get_string_member (push, "protocol"), ==, "readium");
    g_assert_true (json_object_get_boolean_member (push, "pushed"));
    stored = kios_fake_progression_dup_stored (fake);
    g_assert_nonnull (strstr (stored, href2));
  }
  /* kiosctl logs the exchange once, as the app's service does. */
  {
    g_auto (KiosctlRun)  run = { 0 };
    g_autoptr (JsonNode) root = NULL;
    JsonArray           *entries;
    JsonObject          *entry;

    kios_test_kiosctl (&run, NULL, "sync", "log", "--json", book, NULL);
    g_assert_cmpint (run.status, ==, 0);
    root = json_from_string (run.out, NULL);
    entries = json_node_get_array (root);
    g_assert_cmpuint (json_array_get_length (entries), ==, 1);
    entry = json_array_get_object_element (entries, 0);
    g_assert_cmpstr (json_object_get_string_member (entry, "protocol"), ==, "readium");
    g_assert_cmpstr (json_object_get_string_member (entry, "direction"), ==, "push");
    g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, "synced");
    g_assert_cmpstr (json_object_get_string_member (entry, "detail"), ==, "stored");
  }

  /* A book without a progression link still uses KOReader sync. */
  {
    g_auto (KiosctlRun) run = { 0 };
    g_autofree char    *other = kios_test_book ("emma.epub");

    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", other, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "KOReader"));
  }
}

/* ------------------------------------------------------------------ */
/* from the catalog's download to the backend, on one origin */

static void
test_download_then_sync (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                    "kios-pass", book);
  g_autofree char                *catalog = g_strconcat (kios_fake_progression_get_base (fake), "/opds/v2/catalog", NULL);
  g_autoptr (KiosOpdsClient)      opds = kios_opds_client_new (catalog, "kios@example.org", "kios-pass");
  g_autofree char                *db = kios_paths_library_db ();
  g_autofree char                *data_dir = kios_paths_data_dir ();
  g_autoptr (KiosLibraryStore)    store = NULL;
  g_autoptr (KiosOpdsFeed)        feed = NULL;
  g_autoptr (KiosReadiumBackend)  backend = NULL;
  g_autoptr (KiosReadiumBackend)  none = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autoptr (KiosPosition)        remote = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosSourceRecord)    source = g_new0 (KiosSourceRecord, 1);
  g_autofree char                *path = NULL;
  g_autofree char                *hash = NULL;
  g_autofree char                *other_hash = NULL;
  g_autofree char                *other = kios_test_book ("emma.epub");
  g_autofree char                *stored = NULL;
  KiosReadiumPutResult            result = KIOS_READIUM_PUT_NOT_NEWER;
  gboolean                        existing = TRUE;
  guint                           authorized_before;

  g_mkdir_with_parents (data_dir, 0700);
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  source->name = g_strdup ("My Komga");
  source->kind = g_strdup ("opds");
  source->auth = g_strdup ("basic");
  kios_sync_source_save_secrets (source, catalog, "kios@example.org", "kios-pass", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, source, &error));
  g_assert_no_error (error);

  feed = kios_opds_client_fetch (opds, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (feed->entries->len, ==, 1);
  path = kios_opds_client_download_book (opds, store, "My Komga", feed->entries->pdata[0], "epub", NULL, NULL,
                                         &existing, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (existing);
  hash = kios_book_hash_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (kios_library_store_flush (store, 5000));

  /* The one call the engine makes per book: a backend for this book. */
  backend = kios_readium_backend_new_for_book (store, hash, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (backend);
  g_assert_cmpstr (kios_sync_backend_get_source_name (KIOS_SYNC_BACKEND (backend)), ==, "My Komga");
  g_assert_cmpstr (kios_readium_client_get_url (kios_readium_backend_get_client (backend)), ==,
                   kios_fake_progression_get_url (fake));

  authorized_before = kios_fake_progression_count_authorized (fake);
  local = local_position (path, "chapter:7:0.3");
  g_assert_true (kios_readium_backend_push_sync (backend, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_STORED);
  /* The catalog's credentials went along (the stored password, from the keyring). */
  g_assert_cmpuint (kios_fake_progression_count_authorized (fake), >, authorized_before);
  stored = kios_fake_progression_dup_stored (fake);
  g_assert_nonnull (strstr (stored, local->chapter_href));

  remote = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (remote);
  g_assert_cmpstr (remote->chapter_href, ==, local->chapter_href);

  /* A book that did not come from such a catalog: no backend, no error. */
  other_hash = kios_book_hash_file (other, &error);
  g_assert_no_error (error);
  none = kios_readium_backend_new_for_book (store, other_hash, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  /* Its catalog removed: back to the global account. */
  g_assert_true (kios_library_store_remove_source (store, "My Komga", &error));
  g_assert_no_error (error);
  none = kios_readium_backend_new_for_book (store, hash, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (none);
}

static void
test_pdf_and_draft_bodies (void)
{
  g_autoptr (KiosPosition)           pdf = kios_position_new ();
  g_autoptr (KiosReadiumProgression) p = NULL;
  g_autoptr (KiosReadiumProgression) back = NULL;
  g_autoptr (KiosPosition)           again = NULL;
  g_autoptr (KiosPosition)           epub = kios_position_new ();
  g_autoptr (KiosReadiumProgression) e = NULL;
  g_autoptr (JsonObject)             komga = NULL;
  g_autoptr (JsonObject)             draft = NULL;
  g_autoptr (GError)                 error = NULL;
  g_autofree char                   *komga_json = NULL;
  g_autofree char                   *draft_json = NULL;
  JsonObject                        *locations;
  JsonArray                         *refs;

  /* PDF: position = 1-based page, fragments page=N, progression = page / count. */
  pdf->format = KIOS_BOOK_FORMAT_PDF;
  pdf->chapter = 41;
  pdf->total_progress = 0.42;
  pdf->updated_at = 1773480413;
  p = kios_readium_progression_from_position (pdf, 0, 100, "https://komga.example/opds/v2/books/9/file");
  komga_json = kios_readium_progression_to_json (p, KIOS_READIUM_FLAVOUR_READIUM);
  komga = parse_object (komga_json);
  g_assert_cmpstr (json_object_get_string_member (komga, "modified"), ==, "2026-03-14T09:26:53.000Z");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (komga, "locator"), "type"), ==,
                   "application/pdf");
  locations = json_object_get_object_member (json_object_get_object_member (komga, "locator"), "locations");
  g_assert_cmpint (json_object_get_int_member (locations, "position"), ==, 42);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (locations, "fragments"), 0), ==, "page=42");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (locations, "totalProgression"), 0.42, 1e-9);
  back = kios_readium_progression_parse (komga_json, strlen (komga_json), NULL, &error);
  g_assert_no_error (error);
  again = kios_readium_progression_to_position (back, KIOS_BOOK_FORMAT_PDF);
  g_assert_cmpint (again->chapter, ==, 41);

  /* The OPDS Progression draft: progression of the whole book + references. */
  epub->format = KIOS_BOOK_FORMAT_EPUB;
  epub->chapter = 4;
  epub->chapter_href = g_strdup ("OEBPS/Text/chapter05.xhtml");
  epub->chapter_progress = 0.5;
  epub->total_progress = 0.3712;
  epub->updated_at = 1773480413;
  e = kios_readium_progression_from_position (epub, 5000, 0, NULL);
  g_assert_true (e->progression == (double) (2.0f / 5.0f));
  draft_json = kios_readium_progression_to_json (e, KIOS_READIUM_FLAVOUR_OPDS);
  draft = parse_object (draft_json);
  g_assert_false (json_object_has_member (draft, "locator"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (draft, "progression"), 0.3712, 1e-9);
  refs = json_object_get_array_member (draft, "references");
  g_assert_cmpstr (json_array_get_string_element (refs, 0), ==, "OEBPS/Text/chapter05.xhtml");
}

static void
test_draft_flavour (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_DRAFT, NULL, NULL, NULL);
  g_auto (Library)                lib = { NULL };
  g_autoptr (KiosReadiumBackend)  backend = NULL;
  g_autoptr (KiosReadiumBackend)  reopened = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autoptr (KiosPosition)        remote = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (JsonObject)          stored = NULL;
  g_autofree char                *stored_text = NULL;
  g_autofree char                *flavour = NULL;
  KiosReadiumPutResult            result = KIOS_READIUM_PUT_NOT_NEWER;

  library_init (&lib, kios_fake_progression_get_url (fake));
  backend = kios_readium_backend_new (lib.store, "stump", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake), NULL, NULL));
  /* Empty body: nothing stored. */
  remote = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (remote);
  g_assert_cmpint (kios_readium_client_get_flavour (kios_readium_backend_get_client (backend)), ==,
                   KIOS_READIUM_FLAVOUR_OPDS);

  /* A fresh backend (kiosctl push) learns the flavour before its first PUT. */
  reopened = kios_readium_backend_new (lib.store, "stump", lib.hash,
                                       kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                                kios_fake_progression_get_base (fake), NULL, NULL));
  local = local_position (book, "chapter:9:0.25");
  g_assert_true (kios_readium_backend_push_sync (reopened, local, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, KIOS_READIUM_PUT_STORED);
  g_assert_cmpuint (kios_fake_progression_get_last_put_status (fake), ==, 201);
  stored_text = kios_fake_progression_dup_stored (fake);
  stored = parse_object (stored_text);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (stored, "progression"), local->total_progress, 1e-9);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (stored, "references"), 0), ==,
                   local->chapter_href);
  g_assert_true (kios_library_store_flush (lib.store, 5000));
  flavour = kios_library_store_get_book_meta (lib.store, lib.hash, "readium.flavour");
  g_assert_cmpstr (flavour, ==, "opds");

  /* And reads it back as a position in that chapter. */
  g_clear_pointer (&remote, kios_position_free);
  remote = kios_readium_backend_pull_sync (backend, KIOS_BOOK_FORMAT_EPUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (remote);
  g_assert_cmpstr (remote->chapter_href, ==, local->chapter_href);
  g_assert_cmpfloat_with_epsilon (remote->total_progress, local->total_progress, 1e-9);
}

/* ------------------------------------------------------------------ */
/* the engine drives the backend like any other */

typedef struct
{
  gboolean decided;
  int      decision;
  int      n_prompts;
} Seen;

static void
on_decided (KiosSyncEngine *engine,
            int             decision,
            const char     *reason,
            Seen           *seen)
{
  g_test_message ("decided %d: %s", decision, reason);
  seen->decision = decision;
  seen->decided = TRUE;
}

static void
on_prompt (KiosSyncEngine *engine,
           const char     *title,
           Seen           *seen)
{
  seen->n_prompts++;
}

/* The push entries of the book's sync log, each checked to be one whole
 * entry (protocol, direction, result), never a bare event word. */
static guint
count_pushes (KiosLibraryStore *store,
              const char       *hash)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) log = NULL;
  guint                 n = 0;

  g_assert_true (kios_library_store_flush (store, 5000));
  log = kios_library_store_list_sync_log (store, hash, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < log->len; i++)
    {
      const KiosSyncLogEntry *entry = log->pdata[i];

      g_test_message ("log: %s %s %s %s", entry->protocol, entry->direction, entry->result,
                      entry->detail != NULL ? entry->detail : "");
      if (g_strcmp0 (entry->direction, "push") != 0)
        continue;
      g_assert_cmpstr (entry->protocol, ==, "readium");
      g_assert_nonnull (entry->result);
      n++;
    }
  return n;
}

static void
test_engine (void)
{
  g_autofree char                *book = kios_test_book (BOOK);
  g_autoptr (KiosFakeProgression) fake = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, NULL, NULL, book);
  g_auto (Library)                lib = { NULL };
  g_autoptr (KiosReadiumBackend)  backend = NULL;
  g_autoptr (KiosSyncEngine)      engine = NULL;
  g_autoptr (KiosDocument)        document = NULL;
  g_autoptr (KiosPosition)        local = NULL;
  g_autoptr (GError)              error = NULL;
  g_autofree char                *href = NULL;
  g_autofree char                *doc = NULL;
  g_autofree char                *stored = NULL;
  Seen                            seen = { 0 };
  gsize                           size = 0;

  library_init (&lib, kios_fake_progression_get_url (fake));
  href = chapter_href (book, 9, &size);
  doc = komga_document (href, kios_readium_snap_progression (0.3, size), "2026-03-14T09:26:53Z");
  kios_fake_progression_set_stored (fake, doc);
  backend = kios_readium_backend_new (lib.store, "komga", lib.hash,
                                      kios_readium_client_new (kios_fake_progression_get_url (fake),
                                                               kios_fake_progression_get_base (fake), NULL, NULL));
  document = kios_document_open_sync (book, &error);
  g_assert_no_error (error);
  local = local_position (book, "chapter:2:0.1");

  engine = kios_sync_engine_new (lib.store);
  kios_sync_engine_set_backend (engine, KIOS_SYNC_BACKEND (backend));
  g_signal_connect (engine, "decided", G_CALLBACK (on_decided), &seen);
  g_signal_connect (engine, "prompt", G_CALLBACK (on_prompt), &seen);
  kios_sync_engine_open_book (engine, document, local);
  kios_test_wait_for (&seen.decided, 20000);
  /* The remote is in chapter 10, the reader in chapter 3: ask. */
  g_assert_cmpint (seen.decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_cmpint (seen.n_prompts, ==, 1);
  g_assert_nonnull (kios_sync_engine_get_remote (engine));
  g_assert_cmpint (kios_sync_engine_get_remote (engine)->chapter, ==, 9);

  /* The reader moves on and closes the book: the push goes out over Readium. */
  {
    g_autoptr (KiosPosition) moved = local_position (book, "chapter:11:0.5");

    kios_sync_engine_set_position (engine, moved, TRUE);
  }
  g_assert_true (kios_sync_engine_shutdown (engine, 10000));
  stored = kios_fake_progression_dup_stored (fake);
  {
    g_autofree char *href11 = chapter_href (book, 11, NULL);

    g_assert_nonnull (strstr (stored, href11));
  }
  /* One log entry per exchange: the service's, no second line from the
   * backend. */
  g_assert_cmpuint (count_pushes (lib.store, lib.hash), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              rc;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* libsecret's file backend for the in-process keyring (no D-Bus). */
  keyring_dir = g_dir_make_tmp ("kios-readium-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "test.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-readium-keyring", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);

  kios_test_add_func ("/kios/readium/detect-link", test_detect_link);
  kios_test_add_func ("/kios/readium/parse", test_parse);
  kios_test_add_func ("/kios/readium/snap", test_snap);
  kios_test_add_func ("/kios/readium/komga-get-open", test_komga_get_open);
  kios_test_add_func ("/kios/readium/komga-put", test_komga_put);
  kios_test_add_func ("/kios/readium/komga-conflict", test_komga_conflict);
  kios_test_add_func ("/kios/readium/komga-empty-page-only", test_komga_empty_and_page_only);
  kios_test_add_func ("/kios/readium/stump-read-only", test_stump_read_only);
  kios_test_add_func ("/kios/readium/backend-interface", test_backend_interface);
  kios_test_add_func ("/kios/readium/redirect-auth", test_redirect_auth);
  kios_test_add_func ("/kios/readium/timeout", test_cancel);
  kios_test_add_func ("/kios/readium/kiosctl", test_kiosctl);
  kios_test_add_func ("/kios/readium/download-then-sync", test_download_then_sync);
  kios_test_add_func ("/kios/readium/pdf-and-draft-bodies", test_pdf_and_draft_bodies);
  kios_test_add_func ("/kios/readium/draft-flavour", test_draft_flavour);
  kios_test_add_func ("/kios/readium/engine", test_engine);
  rc = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return rc;
}
