/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-library"

#include "config.h"

#include "kios-kobo-library-private.h"
#include "kios-kobo-library.h"

#include "kios-json.h"
#include "kios-kobo-backend.h"
#include "kios-limits.h"
#include "kios-redact.h"
#include "kios-sync-source.h"

#include <glib/gstdio.h>
#include <string.h>

/* The catalog, in book meta of its pseudo-hash: CATALOG_BUCKETS objects
 * (entitlement id → entry), each id in the bucket its hash names, so that a
 * sync or a listing holds one bucket at a time, whatever the library's
 * size. CATALOG_KEY is the whole catalog as it was stored before, split on
 * first use. */
#define CATALOG_KEY "kobo.catalog"
#define CATALOG_BUCKETS 64
#define BUCKET_KEY "kobo.catalog.%02u"
#define TOKEN_KEY "kobo.sync_token"
/* A sync's changes wait in chunks (bucket, chunk number) until the sync
 * completes, so that a failed sync stores nothing in the catalog;
 * STAGED_KEY counts the chunks written (left by a failed sync until the
 * next one clears them). STAGE_BATCH changes are held in memory at most. */
#define CHUNK_KEY "kobo.staged.%02u.%u"
#define STAGED_KEY "kobo.staged"
#define STAGE_BATCH 500

/* ------------------------------------------------------------------------ */
/* Settings.                                                                */

static JsonObject *
parse_object (const char *json)
{
  g_autoptr (JsonNode) root = NULL;

  if (json == NULL || *json == '\0')
    return NULL;
  /* Stored settings and catalogs: the same depth guard as any JSON. */
  root = kios_json_parse_bounded (json, -1, G_MAXSSIZE, KIOS_JSON_DEFAULT_MAX_DEPTH, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

const char *
kios_kobo_json_get_string (JsonObject *o,
                           const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

JsonObject *
kios_kobo_json_get_object (JsonObject *o,
                           const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

JsonArray *
kios_kobo_json_get_array (JsonObject *o,
                          const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gboolean
get_bool (JsonObject *o,
          const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_TYPE (n) == JSON_NODE_VALUE && json_node_get_value_type (n) == G_TYPE_BOOLEAN && json_node_get_boolean (n);
}

static char *
object_to_string (JsonObject *o)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, o);
  return json_to_string (node, FALSE);
}

KiosKoboSettings *
kios_kobo_settings_parse (const char *settings_json)
{
  g_autoptr (JsonObject) o = parse_object (settings_json);
  KiosKoboSettings      *self = g_new0 (KiosKoboSettings, 1);
  const char            *tmpl = kios_kobo_json_get_string (o, "image_template");

  self->family = kios_kobo_family_from_string (kios_kobo_json_get_string (o, "family"));
  /* Only a relative template: nothing here may point elsewhere. */
  if (tmpl != NULL && tmpl[0] == '/' && strstr (tmpl, "://") == NULL)
    self->image_template = g_strdup (tmpl);
  self->library_sync = get_bool (o, "library_sync");
  if (kios_kobo_json_get_string (o, "catalog_key") != NULL && strlen (kios_kobo_json_get_string (o, "catalog_key")) <= KIOS_LIMIT_KOBO_CATALOG_KEY_BYTES)
    self->catalog_key = g_strdup (kios_kobo_json_get_string (o, "catalog_key"));
  return self;
}

char *
kios_kobo_settings_merge (const char             *settings_json,
                          const KiosKoboSettings *settings)
{
  g_autoptr (JsonObject) o = parse_object (settings_json);

  if (o == NULL)
    o = json_object_new ();
  if (settings->family != KIOS_KOBO_FAMILY_UNKNOWN)
    json_object_set_string_member (o, "family", kios_kobo_family_to_string (settings->family));
  if (settings->image_template != NULL)
    json_object_set_string_member (o, "image_template", settings->image_template);
  json_object_set_boolean_member (o, "library_sync", settings->library_sync);
  if (settings->catalog_key != NULL)
    json_object_set_string_member (o, "catalog_key", settings->catalog_key);
  return object_to_string (o);
}

void
kios_kobo_settings_free (KiosKoboSettings *self)
{
  if (self == NULL)
    return;
  g_free (self->image_template);
  g_free (self->catalog_key);
  g_free (self);
}

KiosKoboClient *
kios_kobo_source_open (const KiosSourceRecord *record,
                       GCancellable           *cancellable,
                       GError                **error)
{
  g_autofree char             *url = NULL;
  g_autoptr (KiosKoboSettings) settings = NULL;
  KiosKoboClient              *client;

  if (g_strcmp0 (record->kind, "kobo") != 0)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED, "“%s” is not a Kobo sync source",
                   record->name);
      return NULL;
    }
  if (!kios_sync_source_load (record, &url, NULL, NULL, cancellable, error))
    return NULL;
  client = kios_kobo_client_new (url, error);
  if (client == NULL)
    return NULL;
  settings = kios_kobo_settings_parse (record->settings_json);
  if (settings->family != KIOS_KOBO_FAMILY_UNKNOWN)
    kios_kobo_client_set_family (client, settings->family);
  if (settings->image_template != NULL)
    kios_kobo_client_set_image_template (client, settings->image_template);
  return client;
}

gboolean
kios_kobo_source_connect (KiosKoboClient   *client,
                          KiosLibraryStore *store,
                          KiosSourceRecord *record,
                          GCancellable     *cancellable,
                          GError          **error)
{
  g_autoptr (KiosKoboSettings) settings = NULL;
  g_autofree char             *merged = NULL;

  g_autoptr (KiosSourceRecord) stored = NULL;

  if (!kios_kobo_client_initialize (client, cancellable, error))
    return FALSE;

  /* The caller's copy may predate the catalog key drawn at an earlier
   * connect: a fresh key would orphan the stored catalog (and on servers
   * that deliver each book once, the books would not come again). */
  if (record->name != NULL)
    stored = kios_library_store_get_source (store, record->name, NULL);
  if (stored != NULL && stored->settings_json != NULL)
    {
      g_free (record->settings_json);
      record->settings_json = g_strdup (stored->settings_json);
    }

  settings = kios_kobo_settings_parse (record->settings_json);
  settings->family = kios_kobo_client_get_family (client);
  g_free (settings->image_template);
  settings->image_template = g_strdup (kios_kobo_client_get_image_template (client));
  if (settings->catalog_key == NULL)
    settings->catalog_key = g_uuid_string_random ();
  merged = kios_kobo_settings_merge (record->settings_json, settings);
  g_free (record->settings_json);
  record->settings_json = g_steal_pointer (&merged);
  return kios_library_store_update_source (store, record, error);
}

gboolean
kios_kobo_library_check_consent (KiosKoboFamily family,
                                 gboolean       consent,
                                 GError       **error)
{
  if (consent || !kios_kobo_family_needs_consent (family))
    return TRUE;
  if (family == KIOS_KOBO_FAMILY_GRIMMORY)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                 "This is a Grimmory or BookLore server: listing its library marks reading positions as "
                 "delivered for the whole account, so a Kobo on the same account would miss them. "
                 "Kios lists it only with your consent (best with a separate server user for Kios)");
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                 "This is %s server: it hands each book to one device per account, so if Kios listed "
                 "the library a Kobo on the same account would never receive those books. "
                 "Kios lists it only with your consent (best with a separate server user for Kios)",
                 family == KIOS_KOBO_FAMILY_CALIBRE_WEB ? "a Calibre-Web or Calibre-Web-Automated"
                                                        : "an unrecognised Kobo sync");
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* The catalog.                                                             */

/* Where the source's catalog lives in book meta. A key drawn when the
 * source first connects keeps a removed and re-added source (same name,
 * maybe another server) from inheriting the old catalog and sync token. */
char *
kios_kobo_catalog_key (KiosLibraryStore *store,
                       const char       *source_name)
{
  g_autoptr (KiosSourceRecord) record = kios_library_store_get_source (store, source_name, NULL);
  g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (record != NULL ? record->settings_json : NULL);

  if (settings->catalog_key != NULL)
    return g_strconcat ("kobo-catalog:", settings->catalog_key, NULL);
  return g_strconcat ("kobo-source:", source_name, NULL);
}

/* The bucket of an entitlement id: FNV-1a, stable across runs and builds. */
static guint
bucket_of (const char *id)
{
  guint32 h = 2166136261u;

  for (const guchar *p = (const guchar *) id; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h % CATALOG_BUCKETS;
}

/* The object stored under name, or a new empty one. */
static JsonObject *
meta_object (KiosLibraryStore *store,
             const char       *key,
             const char       *name)
{
  g_autofree char *json = kios_library_store_get_book_meta (store, key, name);
  JsonObject      *o = parse_object (json);

  return o != NULL ? o : json_object_new ();
}

/* Stores o under name; an empty one removes the row. */
static void
meta_set_object (KiosLibraryStore *store,
                 const char       *key,
                 const char       *name,
                 JsonObject       *o)
{
  g_autofree char *json = json_object_get_size (o) > 0 ? object_to_string (o) : NULL;

  kios_library_store_set_book_meta (store, key, name, json);
}

static JsonObject *
bucket_load (KiosLibraryStore *store,
             const char       *key,
             guint             bucket)
{
  g_autofree char *name = g_strdup_printf (BUCKET_KEY, bucket);

  return meta_object (store, key, name);
}

static void
bucket_save (KiosLibraryStore *store,
             const char       *key,
             guint             bucket,
             JsonObject       *o)
{
  g_autofree char *name = g_strdup_printf (BUCKET_KEY, bucket);

  meta_set_object (store, key, name, o);
}

/* A catalog stored whole, before buckets, is split into them once. */
static void
catalog_split (KiosLibraryStore *store,
               const char       *key)
{
  g_autofree char       *json = kios_library_store_get_book_meta (store, key, CATALOG_KEY);
  g_autoptr (JsonObject) whole = NULL;
  g_autoptr (GList)      members = NULL;
  JsonObject            *buckets[CATALOG_BUCKETS];

  if (json == NULL)
    return;
  whole = parse_object (json);
  g_clear_pointer (&json, g_free);
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    buckets[b] = bucket_load (store, key, b);
  members = whole != NULL ? json_object_get_members (whole) : NULL;
  for (GList *it = members; it != NULL; it = it->next)
    json_object_set_member (buckets[bucket_of (it->data)], it->data,
                            json_node_copy (json_object_get_member (whole, it->data)));
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    {
      bucket_save (store, key, b, buckets[b]);
      json_object_unref (buckets[b]);
    }
  kios_library_store_set_book_meta (store, key, CATALOG_KEY, NULL);
  kios_library_store_flush (store, 10000);
}

/* The bucket that holds (or would hold) entitlement_id. */
JsonObject *
kios_kobo_catalog_bucket (KiosLibraryStore *store,
                          const char       *key,
                          const char       *entitlement_id)
{
  catalog_split (store, key);
  return bucket_load (store, key, bucket_of (entitlement_id));
}

void
kios_kobo_catalog_save_bucket (KiosLibraryStore *store,
                               const char       *key,
                               const char       *entitlement_id,
                               JsonObject       *bucket)
{
  bucket_save (store, key, bucket_of (entitlement_id), bucket);
}

/* Removes the chunks a failed sync left (all of them: which were written
 * is not known). */
static void
staged_clear (KiosLibraryStore *store,
              const char       *key)
{
  g_autofree char *count = kios_library_store_get_book_meta (store, key, STAGED_KEY);
  guint64          n = count != NULL ? g_ascii_strtoull (count, NULL, 10) : 0;

  for (guint64 k = 0; k < MIN (n, (guint64) KIOS_KOBO_MAX_CATALOG); k++)
    for (guint b = 0; b < CATALOG_BUCKETS; b++)
      {
        g_autofree char *name = g_strdup_printf (CHUNK_KEY, b, (guint) k);

        kios_library_store_set_book_meta (store, key, name, NULL);
      }
  if (count != NULL)
    kios_library_store_set_book_meta (store, key, STAGED_KEY, NULL);
}

char *
kios_kobo_catalog_get_sync_token (KiosLibraryStore *store,
                                  const char       *source_name)
{
  g_autofree char *key = kios_kobo_catalog_key (store, source_name);

  return kios_library_store_get_book_meta (store, key, TOKEN_KEY);
}

void
kios_kobo_catalog_clear (KiosLibraryStore *store,
                         const char       *source_name)
{
  g_autofree char *key = kios_kobo_catalog_key (store, source_name);

  kios_library_store_set_book_meta (store, key, CATALOG_KEY, NULL);
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    {
      g_autofree char *name = g_strdup_printf (BUCKET_KEY, b);

      kios_library_store_set_book_meta (store, key, name, NULL);
    }
  staged_clear (store, key);
  kios_library_store_set_book_meta (store, key, TOKEN_KEY, NULL);
}

void
kios_kobo_entry_free (KiosKoboEntry *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->revision_id);
  g_free (self->title);
  g_clear_pointer (&self->authors, g_ptr_array_unref);
  g_free (self->series);
  g_free (self->cover_image_id);
  g_clear_pointer (&self->formats, g_ptr_array_unref);
  g_free (self->hash);
  g_free (self);
}

static KiosKoboEntry *
entry_from_json (const char *id,
                 JsonObject *o)
{
  KiosKoboEntry *e = g_new0 (KiosKoboEntry, 1);
  JsonArray     *authors = kios_kobo_json_get_array (o, "authors");
  JsonArray     *downloads = kios_kobo_json_get_array (o, "downloads");

  e->id = g_strdup (id);
  e->revision_id = g_strdup (kios_kobo_json_get_string (o, "revision_id"));
  e->title = g_strdup (kios_kobo_json_get_string (o, "title") != NULL ? kios_kobo_json_get_string (o, "title") : id);
  e->series = g_strdup (kios_kobo_json_get_string (o, "series"));
  e->cover_image_id = g_strdup (kios_kobo_json_get_string (o, "cover_image_id"));
  e->hash = g_strdup (kios_kobo_json_get_string (o, "hash"));
  e->authors = g_ptr_array_new_with_free_func (g_free);
  e->formats = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; authors != NULL && i < json_array_get_length (authors); i++)
    {
      JsonNode *n = json_array_get_element (authors, i);

      if (JSON_NODE_TYPE (n) == JSON_NODE_VALUE && json_node_get_value_type (n) == G_TYPE_STRING)
        g_ptr_array_add (e->authors, g_strdup (json_node_get_string (n)));
    }
  for (guint i = 0; downloads != NULL && i < json_array_get_length (downloads); i++)
    {
      JsonNode   *n = json_array_get_element (downloads, i);
      const char *format = JSON_NODE_HOLDS_OBJECT (n) ? kios_kobo_json_get_string (json_node_get_object (n), "format") : NULL;

      if (format != NULL)
        g_ptr_array_add (e->formats, g_strdup (format));
    }
  return e;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const KiosKoboEntry *ea = *(KiosKoboEntry *const *) a;
  const KiosKoboEntry *eb = *(KiosKoboEntry *const *) b;
  int                  c = g_utf8_collate (ea->title, eb->title);

  return c != 0 ? c : g_strcmp0 (ea->id, eb->id);
}

GPtrArray *
kios_kobo_catalog_list (KiosLibraryStore *store,
                        const char       *source_name)
{
  g_autofree char *key = kios_kobo_catalog_key (store, source_name);
  GPtrArray       *out = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_kobo_entry_free);

  catalog_split (store, key);
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    {
      g_autoptr (JsonObject) bucket = bucket_load (store, key, b);
      g_autoptr (GList)      members = json_object_get_members (bucket);

      for (GList *it = members; it != NULL; it = it->next)
        {
          JsonObject *o = kios_kobo_json_get_object (bucket, it->data);

          if (o != NULL)
            g_ptr_array_add (out, entry_from_json (it->data, o));
        }
    }
  g_ptr_array_sort (out, compare_entries);
  return out;
}

KiosKoboEntry *
kios_kobo_catalog_get (KiosLibraryStore *store,
                       const char       *source_name,
                       const char       *entitlement_id)
{
  g_autofree char       *key = kios_kobo_catalog_key (store, source_name);
  g_autoptr (JsonObject) bucket = kios_kobo_catalog_bucket (store, key, entitlement_id);
  JsonObject            *o = kios_kobo_json_get_object (bucket, entitlement_id);

  return o != NULL ? entry_from_json (entitlement_id, o) : NULL;
}

/* A catalog entry from a BookMetadata object; keeps what Kios added (hash). */
static JsonObject *
entry_from_metadata (JsonObject *metadata,
                     const char *id,
                     JsonObject *previous)
{
  JsonObject *e = json_object_new ();
  JsonArray  *contributors = kios_kobo_json_get_array (metadata, "Contributors");
  JsonArray  *downloads = kios_kobo_json_get_array (metadata, "DownloadUrls");
  JsonObject *series = kios_kobo_json_get_object (metadata, "Series");
  JsonArray  *authors = json_array_new ();
  JsonArray  *links = json_array_new ();
  const char *title = kios_kobo_json_get_string (metadata, "Title");
  const char *revision = kios_kobo_json_get_string (metadata, "RevisionId");

  json_object_set_string_member (e, "title", title != NULL && *title != '\0' ? title : id);
  if (revision != NULL)
    json_object_set_string_member (e, "revision_id", revision);
  for (guint i = 0; contributors != NULL && i < json_array_get_length (contributors) && i < KIOS_LIMIT_KOBO_CONTRIBUTORS; i++)
    {
      JsonNode *n = json_array_get_element (contributors, i);

      if (JSON_NODE_TYPE (n) == JSON_NODE_VALUE && json_node_get_value_type (n) == G_TYPE_STRING && *json_node_get_string (n) != '\0')
        json_array_add_string_element (authors, json_node_get_string (n));
    }
  json_object_set_array_member (e, "authors", authors);
  /* Grimmory always sends a Series, with empty strings when there is none. */
  if (kios_kobo_json_get_string (series, "Name") != NULL && *kios_kobo_json_get_string (series, "Name") != '\0')
    json_object_set_string_member (e, "series", kios_kobo_json_get_string (series, "Name"));
  if (kios_kobo_json_get_string (metadata, "CoverImageId") != NULL && *kios_kobo_json_get_string (metadata, "CoverImageId") != '\0')
    json_object_set_string_member (e, "cover_image_id", kios_kobo_json_get_string (metadata, "CoverImageId"));
  for (guint i = 0; downloads != NULL && i < json_array_get_length (downloads) && i < KIOS_LIMIT_KOBO_DOWNLOAD_URLS; i++)
    {
      JsonNode   *n = json_array_get_element (downloads, i);
      JsonObject *d = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      JsonObject *link;

      if (kios_kobo_json_get_string (d, "Format") == NULL || kios_kobo_json_get_string (d, "Url") == NULL)
        continue;
      link = json_object_new ();
      json_object_set_string_member (link, "format", kios_kobo_json_get_string (d, "Format"));
      json_object_set_string_member (link, "url", kios_kobo_json_get_string (d, "Url"));
      json_array_add_object_element (links, link);
    }
  json_object_set_array_member (e, "downloads", links);
  if (previous != NULL && kios_kobo_json_get_string (previous, "hash") != NULL)
    json_object_set_string_member (e, "hash", kios_kobo_json_get_string (previous, "hash"));
  return e;
}

static const char *
entitlement_id (JsonObject *entitlement,
                JsonObject *metadata)
{
  const char *id = kios_kobo_json_get_string (entitlement, "Id");

  if (id == NULL)
    id = kios_kobo_json_get_string (metadata, "EntitlementId");
  if (id == NULL || *id == '\0' || strlen (id) > KIOS_LIMIT_KOBO_ID_BYTES)
    return NULL;
  return id;
}

/* What one entitlement item does to the catalog. */
typedef enum {
  CHANGE_NONE, /* a removal of a book the catalog does not have */
  CHANGE_SKIP, /* no usable id or metadata, or the catalog is full */
  CHANGE_REMOVE,
  CHANGE_ADD,
  CHANGE_UPDATE,
} Change;

/* An entitlement item (new, changed, metadata changed): its id (NULL when
 * unusable), metadata and removal flag; FALSE for any other item. */
static gboolean
entitlement_item (JsonObject  *item,
                  const char **id,
                  JsonObject **metadata,
                  gboolean    *removed)
{
  JsonObject *wrapper;
  JsonObject *entitlement;

  if ((wrapper = kios_kobo_json_get_object (item, "NewEntitlement")) == NULL && (wrapper = kios_kobo_json_get_object (item, "ChangedEntitlement")) == NULL && (wrapper = kios_kobo_json_get_object (item, "ChangedProductMetadata")) == NULL)
    return FALSE;
  entitlement = kios_kobo_json_get_object (wrapper, "BookEntitlement");
  /* Komga's ChangedProductMetadata is the BookMetadata itself. */
  *metadata = json_object_has_member (wrapper, "BookMetadata") ? kios_kobo_json_get_object (wrapper, "BookMetadata") : wrapper;
  *id = entitlement_id (entitlement, *metadata);
  *removed = get_bool (entitlement, "IsRemoved");
  return TRUE;
}

/* known: the catalog has id; size: how many books it has. */
static Change
decide (const char        *id,
        JsonObject        *metadata,
        gboolean           removed,
        gboolean           known,
        guint              size,
        KiosKoboSyncStats *stats)
{
  if (id == NULL || metadata == NULL)
    {
      stats->skipped++;
      return CHANGE_SKIP;
    }
  if (removed)
    {
      if (!known)
        return CHANGE_NONE;
      stats->removed++;
      return CHANGE_REMOVE;
    }
  if (!known && size >= KIOS_KOBO_MAX_CATALOG)
    {
      stats->skipped++;
      return CHANGE_SKIP;
    }
  if (known)
    stats->changed++;
  else
    stats->added++;
  return known ? CHANGE_UPDATE : CHANGE_ADD;
}

/* A ChangedReadingState: a candidate remote position for a downloaded
 * book (the book's own GET on open still decides). FALSE for any other. */
static gboolean
state_item (JsonObject        *item,
            GPtrArray         *states,
            KiosKoboSyncStats *stats)
{
  JsonObject *wrapper = kios_kobo_json_get_object (item, "ChangedReadingState");
  JsonObject *state = kios_kobo_json_get_object (wrapper, "ReadingState");

  if (wrapper == NULL)
    return FALSE;
  if (state != NULL)
    {
      KiosKoboReadingState *parsed = kios_kobo_reading_state_from_json (state);

      stats->reading_states++;
      if (parsed->entitlement_id != NULL && states->len < KIOS_KOBO_MAX_CATALOG)
        g_ptr_array_add (states, parsed);
      else
        kios_kobo_reading_state_free (parsed);
    }
  return TRUE;
}

static gboolean
tag_item (JsonObject *item)
{
  return kios_kobo_json_get_object (item, "NewTag") != NULL || kios_kobo_json_get_object (item, "ChangedTag") != NULL || kios_kobo_json_get_object (item, "DeletedTag") != NULL;
}

static void
apply_item (JsonObject        *catalog,
            JsonObject        *item,
            GPtrArray         *states,
            KiosKoboSyncStats *stats)
{
  const char *id = NULL;
  JsonObject *metadata = NULL;
  gboolean    removed = FALSE;

  if (entitlement_item (item, &id, &metadata, &removed))
    {
      JsonObject *previous = id != NULL ? kios_kobo_json_get_object (catalog, id) : NULL;

      switch (decide (id, metadata, removed, previous != NULL, json_object_get_size (catalog), stats))
        {
        case CHANGE_REMOVE:
          json_object_remove_member (catalog, id);
          break;
        case CHANGE_ADD:
        case CHANGE_UPDATE:
          json_object_set_object_member (catalog, id, entry_from_metadata (metadata, id, previous));
          break;
        default:
          break;
        }
      return;
    }
  if (!state_item (item, states, stats) && !tag_item (item))
    stats->skipped++;
}

/* One library sync: the ids the catalog has (with this sync's changes) and
 * the changes not yet staged, per bucket (id → entry, or null: removed). */
typedef struct
{
  KiosLibraryStore *store;
  const char       *key;
  GHashTable       *ids;
  JsonObject       *batch[CATALOG_BUCKETS];
  guint             n_batch;
  GArray           *chunks; /* guint64 per chunk: the buckets it has */
} Sync;

static void
sync_clear (Sync *sync)
{
  g_clear_pointer (&sync->ids, g_hash_table_unref);
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    g_clear_pointer (&sync->batch[b], json_object_unref);
  g_clear_pointer (&sync->chunks, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sync, sync_clear)

/* The changes held so far go to the store as one chunk. */
static void
sync_stage (Sync *sync)
{
  guint64          mask = 0;
  guint            k = sync->chunks->len;
  g_autofree char *count = g_strdup_printf ("%u", k + 1);

  if (sync->n_batch == 0)
    return;
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    {
      g_autofree char *name = NULL;

      if (json_object_get_size (sync->batch[b]) == 0)
        continue;
      name = g_strdup_printf (CHUNK_KEY, b, k);
      meta_set_object (sync->store, sync->key, name, sync->batch[b]);
      json_object_unref (sync->batch[b]);
      sync->batch[b] = json_object_new ();
      mask |= G_GUINT64_CONSTANT (1) << b;
    }
  g_array_append_val (sync->chunks, mask);
  kios_library_store_set_book_meta (sync->store, sync->key, STAGED_KEY, count);
  sync->n_batch = 0;
  /* What waits for the disk stays one batch. */
  kios_library_store_flush (sync->store, 10000);
}

static void
sync_item (Sync              *sync,
           JsonObject        *item,
           GPtrArray         *states,
           KiosKoboSyncStats *stats)
{
  const char *id = NULL;
  JsonObject *metadata = NULL;
  gboolean    removed = FALSE;
  JsonObject *batch;

  if (!entitlement_item (item, &id, &metadata, &removed))
    {
      if (!state_item (item, states, stats) && !tag_item (item))
        stats->skipped++;
      return;
    }
  switch (decide (id, metadata, removed, id != NULL && g_hash_table_contains (sync->ids, id),
                  g_hash_table_size (sync->ids), stats))
    {
    case CHANGE_REMOVE:
      g_hash_table_remove (sync->ids, id);
      batch = sync->batch[bucket_of (id)];
      json_object_set_null_member (batch, id);
      break;
    case CHANGE_ADD:
      g_hash_table_add (sync->ids, g_strdup (id));
      G_GNUC_FALLTHROUGH;
    case CHANGE_UPDATE:
      /* Kios's own additions (the hash) are kept when it is applied. */
      batch = sync->batch[bucket_of (id)];
      json_object_set_object_member (batch, id, entry_from_metadata (metadata, id, NULL));
      break;
    default:
      return;
    }
  if (++sync->n_batch >= STAGE_BATCH)
    sync_stage (sync);
}

/* The staged changes into the catalog, bucket by bucket, and the reading
 * states of the books Kios downloaded as their last remote positions. */
static void
sync_commit (Sync                   *sync,
             const KiosSourceRecord *record,
             GPtrArray              *states)
{
  sync_stage (sync);
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    {
      g_autoptr (JsonObject) bucket = bucket_load (sync->store, sync->key, b);
      gboolean               changed = FALSE;

      for (guint k = 0; k < sync->chunks->len; k++)
        {
          g_autofree char       *name = NULL;
          g_autoptr (JsonObject) chunk = NULL;
          g_autoptr (GList)      members = NULL;

          if ((g_array_index (sync->chunks, guint64, k) & (G_GUINT64_CONSTANT (1) << b)) == 0)
            continue;
          changed = TRUE;
          name = g_strdup_printf (CHUNK_KEY, b, k);
          chunk = meta_object (sync->store, sync->key, name);
          members = json_object_get_members (chunk);
          for (GList *it = members; it != NULL; it = it->next)
            {
              JsonObject *entry = kios_kobo_json_get_object (chunk, it->data);
              JsonObject *previous = kios_kobo_json_get_object (bucket, it->data);

              if (entry == NULL)
                {
                  json_object_remove_member (bucket, it->data);
                  continue;
                }
              if (previous != NULL && kios_kobo_json_get_string (previous, "hash") != NULL)
                json_object_set_string_member (entry, "hash", kios_kobo_json_get_string (previous, "hash"));
              json_object_set_object_member (bucket, it->data, json_object_ref (entry));
            }
          kios_library_store_set_book_meta (sync->store, sync->key, name, NULL);
        }
      for (guint i = 0; i < states->len; i++)
        {
          KiosKoboReadingState *state = states->pdata[i];
          const char           *hash;

          if (bucket_of (state->entitlement_id) != b)
            continue;
          hash = kios_kobo_json_get_string (kios_kobo_json_get_object (bucket, state->entitlement_id), "hash");
          if (hash != NULL && (state->source != NULL || state->progress_percent >= 0))
            {
              g_autoptr (KiosPosition) position = kios_kobo_state_to_position (state);
              g_autoptr (JsonNode)     node = kios_position_to_json (position);
              g_autofree char         *remote = json_to_string (node, FALSE);

              kios_library_store_set_last_remote (sync->store, hash, record->name, remote);
            }
        }
      if (changed)
        bucket_save (sync->store, sync->key, b, bucket);
    }
  kios_library_store_set_book_meta (sync->store, sync->key, STAGED_KEY, NULL);
}

gboolean
kios_kobo_library_sync (KiosKoboClient         *client,
                        KiosLibraryStore       *store,
                        const KiosSourceRecord *record,
                        KiosKoboSyncStats      *stats,
                        GCancellable           *cancellable,
                        GError                **error)
{
  g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (record->settings_json);
  g_autofree char             *token = NULL;
  g_autofree char             *key = kios_kobo_catalog_key (store, record->name);
  g_autoptr (GPtrArray)        states = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_kobo_reading_state_free);
  g_auto (Sync)                sync = { 0 };
  KiosKoboSyncStats            local = { 0 };
  gboolean                     complete = FALSE;

  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);
  if (!kios_kobo_library_check_consent (kios_kobo_client_get_family (client), settings->library_sync, error))
    return FALSE;

  sync.store = store;
  sync.key = key;
  sync.ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sync.chunks = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    sync.batch[b] = json_object_new ();
  catalog_split (store, key);
  staged_clear (store, key);
  kios_library_store_flush (store, 10000);
  for (guint b = 0; b < CATALOG_BUCKETS; b++)
    {
      g_autoptr (JsonObject) bucket = bucket_load (store, key, b);
      g_autoptr (GList)      members = json_object_get_members (bucket);

      for (GList *it = members; it != NULL; it = it->next)
        g_hash_table_add (sync.ids, g_strdup (it->data));
    }

  token = kios_kobo_catalog_get_sync_token (store, record->name);
  for (guint page_no = 0; page_no < KIOS_KOBO_MAX_SYNC_PAGES; page_no++)
    {
      g_autoptr (KiosKoboSyncPage) page = kios_kobo_client_sync_page (client, token, cancellable, error);

      if (page == NULL)
        return FALSE; /* the stored token stays: the next loop starts over from it */
      stats->pages++;
      for (guint i = 0; i < json_array_get_length (page->items); i++)
        sync_item (&sync, json_array_get_object_element (page->items, i), states, stats);
      if (page->token != NULL)
        {
          g_free (token);
          token = g_strdup (page->token);
        }
      if (!page->more)
        {
          complete = TRUE;
          break;
        }
    }
  if (!complete)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server still had more changes after %d pages; the library sync stopped there",
                   KIOS_KOBO_MAX_SYNC_PAGES);
      return FALSE;
    }

  /* Catalog first, token second: a crash in between re-delivers (idempotent
   * upserts), the other order could lose a page. */
  sync_commit (&sync, record, states);
  if (token != NULL)
    kios_library_store_set_book_meta (store, key, TOKEN_KEY, token);
  if (!kios_library_store_flush (store, 10000))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER, "The library did not save the catalog in time");
      return FALSE;
    }
  {
    g_autofree char *detail = g_strdup_printf ("%u pages, %u new, %u changed, %u removed", stats->pages,
                                               stats->added, stats->changed, stats->removed);

    kios_library_store_log_sync (store, NULL, record->name, "kobo-library-sync", detail);
  }
  return TRUE;
}

/* ---- kios-kobo-library-private.h --------------------------------------- */

void
kios_kobo_library_apply_item (JsonObject        *catalog,
                              JsonObject        *item,
                              GPtrArray         *states,
                              KiosKoboSyncStats *stats)
{
  apply_item (catalog, item, states, stats);
}

KiosKoboEntry *
kios_kobo_library_entry_from_json (const char *id,
                                   JsonObject *object)
{
  return entry_from_json (id, object);
}
