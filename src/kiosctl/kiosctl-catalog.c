/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-catalog"

#include "config.h"

#include "kiosctl.h"

#include "kios-opds-client.h"
#include "kios-paths.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Shown instead of the catalog URL when that URL is a secret (Kavita's key
 * in the path): hrefs print as "{catalog}/rest" and are read back the same. */
#define CATALOG_MARKER "{catalog}"
/* Feeds visited when looking for a book that was not seen by browse/search. */
#define MAX_CRAWL_FEEDS 40
#define MAX_CACHE_IDS 20000

typedef struct
{
  KiosSourceRecord *record;
  KiosOpdsClient   *client;
  char             *url;
  gboolean          url_secret;
} Catalog;

static void
catalog_clear (Catalog *c)
{
  g_clear_pointer (&c->record, kios_source_record_free);
  g_clear_pointer (&c->client, kios_opds_client_free);
  g_free (c->url);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Catalog, catalog_clear)

/* The error table's sentence, as the app shows it; for a web page instead
 * of the catalog, with "Did you mean …?" when …/opds is one. */
static int
fail_with (const Catalog *c,
           const char    *what,
           GError        *error)
{
  g_autofree char *suggestion = NULL;

  if (c != NULL && c->client != NULL && g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG))
    suggestion = kios_opds_client_suggest_catalog (c->client, NULL, NULL);
  if (what != NULL)
    return kiosctl_fail_error_in (error, c != NULL ? c->url : NULL, "%s", what);
  return kiosctl_fail_error (error, c != NULL ? c->url : NULL, suggestion);
}

/* A Kobo sync source, served by kiosctl-kobo.c; NULL for anything else. */
static KiosSourceRecord *
kobo_source (KiosLibraryStore *store,
             const char       *name)
{
  KiosSourceRecord *record = kios_library_store_get_source (store, name, NULL);

  if (record != NULL && g_strcmp0 (record->kind, "kobo") != 0)
    g_clear_pointer (&record, kios_source_record_free);
  return record;
}

static gboolean
open_catalog (KiosLibraryStore *store,
              const char       *name,
              Catalog          *c,
              GError          **error)
{
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;

  c->record = kios_library_store_get_source (store, name, NULL);
  if (c->record == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                   "no source named “%s” (add it with: kiosctl source add --kind opds …)", name);
      return FALSE;
    }
  if (g_strcmp0 (c->record->kind, "opds") != 0)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED, "“%s” is a %s source, not an OPDS catalog",
                   name, c->record->kind);
      return FALSE;
    }
  if (!kios_sync_source_load (c->record, &c->url, &username, &password, NULL, error))
    return FALSE;
  c->url_secret = c->record->url == NULL;
  c->client = kios_opds_client_new (c->url, username, password);
  if (password != NULL)
    memset (password, 0, strlen (password));
  return TRUE;
}

/* An href as the user may see it: no secret-bearing catalog URL in it. */
static char *
display_href (Catalog    *c,
              const char *href)
{
  if (href == NULL)
    return NULL;
  if (c->url_secret && g_str_has_prefix (href, c->url))
    return g_strconcat (CATALOG_MARKER, href + strlen (c->url), NULL);
  if (c->url_secret)
    return kios_redact_url (href);
  return g_strdup (href);
}

static char *
input_href (Catalog    *c,
            const char *href)
{
  if (href == NULL)
    return NULL;
  if (g_str_has_prefix (href, CATALOG_MARKER))
    return g_strconcat (c->url, href + strlen (CATALOG_MARKER), NULL);
  return g_strdup (href);
}

/* ------------------------------------------------------------------ */
/* where each book id was last seen, so that `download NAME ID` finds it */

static char *
cache_path (const char *name)
{
  g_autofree char *dir = kios_paths_cache_subdir ("opds");
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA1, name, -1);

  key[16] = '\0';
  return g_strdup_printf ("%s/%s.json", dir, key);
}

static JsonObject *
cache_load (const char *name)
{
  g_autofree char       *path = cache_path (name);
  g_autofree char       *data = NULL;
  gsize                  len = 0;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode              *root;

  if (!g_file_get_contents (path, &data, &len, NULL) || len > 16 * 1024 * 1024 || !kios_opds_json_check_depth (data, len, 8, NULL) || !json_parser_load_from_data (parser, data, len, NULL))
    return json_object_new ();
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return json_object_new ();
  return json_object_ref (json_node_get_object (root));
}

static void
cache_remember (Catalog            *c,
                const KiosOpdsFeed *feed)
{
  g_autoptr (JsonObject)    cache = cache_load (c->record->name);
  g_autoptr (JsonNode)      root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char          *path = cache_path (c->record->name);
  g_autofree char          *text = NULL;
  g_autofree char          *where = NULL;

  /* Never a secret on disk: only the part after a secret catalog URL. */
  if (g_str_has_prefix (feed->base_url, c->url))
    where = g_strconcat (CATALOG_MARKER, feed->base_url + strlen (c->url), NULL);
  else
    {
      g_autofree char *redacted = kios_redact_url (feed->base_url);

      if (!g_str_equal (redacted, feed->base_url))
        return;
      where = g_strdup (feed->base_url);
    }
  for (guint i = 0; i < feed->entries->len; i++)
    {
      const KiosOpdsEntry *e = feed->entries->pdata[i];

      if (e->kind == KIOS_OPDS_ENTRY_BOOK && json_object_get_size (cache) < MAX_CACHE_IDS)
        json_object_set_string_member (cache, e->id, where);
    }
  json_node_set_object (root, cache);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL))
    g_debug ("cannot write the catalog cache");
}

/* ------------------------------------------------------------------ */
/* output */

static void
print_feed (Catalog            *c,
            const KiosOpdsFeed *feed,
            gboolean            json,
            gboolean            is_search)
{
  g_autofree char *next = display_href (c, feed->next_href);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "entries");
      json_builder_begin_array (b);
      for (guint i = 0; i < feed->entries->len; i++)
        {
          const KiosOpdsEntry  *e = feed->entries->pdata[i];
          g_autoptr (GPtrArray) formats = kios_opds_entry_get_formats (e);
          const KiosOpdsLink   *link = e->kind == KIOS_OPDS_ENTRY_BOOK ? kios_opds_entry_pick_acquisition (e, NULL) : NULL;
          g_autofree char      *href = display_href (c, e->kind == KIOS_OPDS_ENTRY_BOOK
                                                            ? (link != NULL ? link->href : NULL)
                                                            : e->navigation_href);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, e->kind == KIOS_OPDS_ENTRY_BOOK ? "book" : "navigation");
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, e->id);
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, e->title);
          json_builder_set_member_name (b, "authors");
          json_builder_begin_array (b);
          for (guint j = 0; j < e->authors->len; j++)
            json_builder_add_string_value (b, e->authors->pdata[j]);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "href");
          if (href != NULL)
            json_builder_add_string_value (b, href);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "formats");
          json_builder_begin_array (b);
          for (guint j = 0; j < formats->len; j++)
            json_builder_add_string_value (b, formats->pdata[j]);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "next");
      if (next != NULL)
        json_builder_add_string_value (b, next);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
      return;
    }

  if (feed->entries->len == 0)
    printf ("%s\n", is_search ? "No books found" : "This catalog page is empty");
  for (guint i = 0; i < feed->entries->len; i++)
    {
      const KiosOpdsEntry *e = feed->entries->pdata[i];

      if (e->kind == KIOS_OPDS_ENTRY_NAVIGATION)
        {
          g_autofree char *href = display_href (c, e->navigation_href);

          printf ("navigation\t%s\t%s\n", e->title, href);
        }
      else
        {
          g_autoptr (GPtrArray) formats = kios_opds_entry_get_formats (e);
          g_autofree char      *authors = NULL;
          g_autofree char      *fmts = NULL;

          g_ptr_array_add (e->authors, NULL);
          authors = g_strjoinv (", ", (char **) e->authors->pdata);
          g_ptr_array_remove_index (e->authors, e->authors->len - 1);
          g_ptr_array_add (formats, NULL);
          fmts = g_strjoinv (",", (char **) formats->pdata);
          printf ("book\t%s\t%s\t%s\t%s\n", e->id, e->title, authors, *fmts != '\0' ? fmts : "-");
        }
    }
  if (next != NULL)
    printf ("next\t%s\n", next);
  if (feed->truncated)
    fprintf (stderr, "kiosctl: the page has more than %d entries; only those are shown\n", KIOS_OPDS_MAX_ENTRIES);
}

/* ------------------------------------------------------------------ */
/* commands */

int
kiosctl_cmd_browse (int    argc,
                    char **argv)
{
  const char                  *name = NULL;
  const char                  *href = NULL;
  gboolean                     json = FALSE;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_auto (Catalog)             c = { 0 };
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosOpdsFeed)     feed = NULL;
  g_autofree char             *target = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] == '-')
        return kiosctl_usage ("browse: unexpected option “%s”", argv[i]);
      else if (name == NULL)
        name = argv[i];
      else if (href == NULL)
        href = argv[i];
      else
        return kiosctl_usage ("browse NAME [HREF] [--json]");
    }
  if (name == NULL)
    return kiosctl_usage ("browse NAME [HREF] [--json]");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return fail_with (NULL, "cannot open the library", error);
  {
    g_autoptr (KiosSourceRecord) kobo = kobo_source (store, name);

    if (kobo != NULL)
      return kiosctl_kobo_browse (kobo, href, NULL, json);
  }
  if (!open_catalog (store, name, &c, &error))
    return fail_with (&c, NULL, error);
  target = input_href (&c, href);
  feed = kios_opds_client_fetch (c.client, target, NULL, &error);
  if (feed == NULL)
    return fail_with (&c, NULL, error);
  cache_remember (&c, feed);
  print_feed (&c, feed, json, FALSE);
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_cmd_search (int    argc,
                    char **argv)
{
  const char                  *name = NULL;
  const char                  *query = NULL;
  gboolean                     json = FALSE;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_auto (Catalog)             c = { 0 };
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosOpdsFeed)     feed = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] == '-')
        return kiosctl_usage ("search: unexpected option “%s”", argv[i]);
      else if (name == NULL)
        name = argv[i];
      else if (query == NULL)
        query = argv[i];
      else
        return kiosctl_usage ("search NAME QUERY [--json]");
    }
  if (name == NULL || query == NULL)
    return kiosctl_usage ("search NAME QUERY [--json]");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return fail_with (NULL, "cannot open the library", error);
  {
    g_autoptr (KiosSourceRecord) kobo = kobo_source (store, name);

    if (kobo != NULL)
      return kiosctl_kobo_browse (kobo, NULL, query, json);
  }
  if (!open_catalog (store, name, &c, &error))
    return fail_with (&c, NULL, error);
  feed = kios_opds_client_search (c.client, NULL, query, NULL, &error);
  if (feed == NULL)
    return fail_with (&c, NULL, error);
  cache_remember (&c, feed);
  print_feed (&c, feed, json, TRUE);
  return KIOSCTL_EXIT_OK;
}

/* The entry with this id: where browse or search last saw it, else a
 * bounded walk through the catalog. */
static KiosOpdsEntry *
find_entry (Catalog    *c,
            const char *id,
            GError    **error)
{
  g_autoptr (JsonObject) cache = cache_load (c->record->name);
  g_autoptr (GQueue)     queue = g_queue_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char            *where = json_object_has_member (cache, id) ? json_object_get_string_member_with_default (cache, id, NULL)
                                                                    : NULL;
  KiosOpdsEntry         *found = NULL;
  guint                  visited = 0;

  if (where != NULL)
    {
      g_autofree char         *url = input_href (c, where);
      g_autoptr (KiosOpdsFeed) feed = kios_opds_client_fetch (c->client, url, NULL, NULL);
      const KiosOpdsEntry     *e = feed != NULL ? kios_opds_feed_find_entry (feed, id) : NULL;

      if (e != NULL)
        return kios_opds_entry_copy (e);
    }

  g_queue_push_tail (queue, NULL); /* the root */
  while (!g_queue_is_empty (queue) && visited < MAX_CRAWL_FEEDS && found == NULL)
    {
      g_autofree char         *url = g_queue_pop_head (queue);
      g_autoptr (KiosOpdsFeed) feed = NULL;
      g_autoptr (GError)       local_error = NULL;
      const KiosOpdsEntry     *e;

      visited++;
      feed = kios_opds_client_fetch (c->client, url, NULL, &local_error);
      if (feed == NULL)
        {
          /* The root must work; a broken branch elsewhere is skipped. */
          if (url == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              g_queue_free_full (g_steal_pointer (&queue), g_free);
              return NULL;
            }
          continue;
        }
      cache_remember (c, feed);
      e = kios_opds_feed_find_entry (feed, id);
      if (e != NULL && e->kind == KIOS_OPDS_ENTRY_BOOK)
        {
          found = kios_opds_entry_copy (e);
          break;
        }
      if (feed->next_href != NULL && g_hash_table_add (seen, g_strdup (feed->next_href)))
        g_queue_push_tail (queue, g_strdup (feed->next_href));
      for (guint i = 0; i < feed->entries->len; i++)
        {
          const KiosOpdsEntry *n = feed->entries->pdata[i];

          if (n->kind == KIOS_OPDS_ENTRY_NAVIGATION && g_hash_table_add (seen, g_strdup (n->navigation_href)))
            g_queue_push_tail (queue, g_strdup (n->navigation_href));
        }
    }
  g_queue_free_full (g_steal_pointer (&queue), g_free);
  if (found == NULL)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                 "no book with the id “%s” in the catalog “%s” (browse or search for it first)", id, c->record->name);
  return found;
}

static void
print_progress (guint64  received,
                guint64  total,
                gpointer user_data)
{
  if (total > 0)
    fprintf (stderr, "\rDownloading… %3u%%", (guint) (received * 100 / total));
  else
    fprintf (stderr, "\rDownloading… %" G_GUINT64_FORMAT " bytes", received);
  fflush (stderr);
}

int
kiosctl_cmd_download (int    argc,
                      char **argv)
{
  const char                  *name = NULL;
  const char                  *id = NULL;
  const char                  *format = NULL;
  gboolean                     json = FALSE;
  gboolean                     existing = FALSE;
  gboolean                     tty = isatty (STDERR_FILENO);
  g_autoptr (KiosLibraryStore) store = NULL;
  g_auto (Catalog)             c = { 0 };
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosOpdsEntry)    entry = NULL;
  g_autoptr (KiosBookRecord)   book = NULL;
  g_autofree char             *path = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (strcmp (argv[i], "--format") == 0 && i + 1 < argc)
        format = argv[++i];
      else if (g_str_has_prefix (argv[i], "--format="))
        format = argv[i] + strlen ("--format=");
      else if (argv[i][0] == '-' && argv[i][1] == '-')
        return kiosctl_usage ("download: unexpected option “%s”", argv[i]);
      else if (name == NULL)
        name = argv[i];
      else if (id == NULL)
        id = argv[i];
      else
        return kiosctl_usage ("download NAME ID [--format epub|pdf] [--json]");
    }
  if (name == NULL || id == NULL)
    return kiosctl_usage ("download NAME ID [--format epub|pdf] [--json]");
  if (format != NULL && !g_str_equal (format, "epub") && !g_str_equal (format, "pdf"))
    return kiosctl_usage ("download: --format must be epub or pdf");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return fail_with (NULL, "cannot open the library", error);
  {
    g_autoptr (KiosSourceRecord) kobo = kobo_source (store, name);

    if (kobo != NULL)
      return kiosctl_kobo_download (kobo, id, format, json);
  }
  if (!open_catalog (store, name, &c, &error))
    return fail_with (&c, NULL, error);
  entry = find_entry (&c, id, &error);
  /* Not in what the catalog lists: kiosctl's own words, with the id. */
  if (entry == NULL && g_str_has_prefix (error->message, "no book with the id"))
    return kiosctl_fail ("%s", error->message);
  if (entry == NULL)
    return fail_with (&c, NULL, error);
  path = kios_opds_client_download_book (c.client, store, c.record->name, entry, format,
                                         tty && !json ? print_progress : NULL, NULL, &existing, NULL, &error);
  if (tty && !json)
    fprintf (stderr, "\n");
  if (path == NULL)
    return fail_with (&c, "cannot download the book", error);
  book = kios_library_store_get_book_by_path (store, path, NULL);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, path);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, entry->id);
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, entry->title);
      json_builder_set_member_name (b, "format");
      json_builder_add_string_value (b, book != NULL ? book->format : format);
      json_builder_set_member_name (b, "hash");
      if (book != NULL)
        json_builder_add_string_value (b, book->hash);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "existing");
      json_builder_add_boolean_value (b, existing);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
    }
  else
    printf ("%s\n", path);
  return KIOSCTL_EXIT_OK;
}

/* `kiosctl source test NAME` for an OPDS source (called from kiosctl-source.c). */
int
kiosctl_source_test_opds (const KiosSourceRecord *record)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_auto (Catalog)             c = { 0 };
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosOpdsFeed)     feed = NULL;
  g_autofree char             *shown = NULL;

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return fail_with (NULL, "cannot open the library", error);
  if (!open_catalog (store, record->name, &c, &error))
    return fail_with (&c, NULL, error);
  feed = kios_opds_client_fetch (c.client, NULL, NULL, &error);
  if (feed == NULL)
    return fail_with (&c, NULL, error);
  shown = kios_redact_url (c.url);
  printf ("OK: %s answers as an OPDS %s catalog (%u entries)%s\n", shown, feed->version == 2 ? "2.0" : "1.x",
          feed->entries->len, kios_opds_client_get_realm (c.client) != NULL ? " and accepts the credentials" : "");
  return KIOSCTL_EXIT_OK;
}
