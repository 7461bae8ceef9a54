/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-fake-progression"

#include "config.h"

#include "kios-fake-progression.h"

#include "kios-epub.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define KOMGA_PATH "/opds/v2/books/1/progression"
#define STUMP_PATH "/opds/v2.0/books/1/progression"
#define STUMP_DEFAULT "{\"modified\":\"\",\"device\":{\"id\":\"\",\"name\":\"\"},\"locator\":{}}"

typedef struct
{
  char *href;
  guint n_positions; /* Komga: max (1, ceil (size / 1024)) */
  guint first;       /* index of its first position in the whole book */
} Resource;

struct _KiosFakeProgression
{
  KiosFakeServer         *server;
  KiosFakeProgressionKind kind;
  char                   *user;
  char                   *password;
  char                   *url;
  GBytes                 *book;        /* the EPUB's bytes, served as the acquisition */
  GPtrArray              *resources;   /* Resource, reading order */
  guint                   n_positions; /* in the whole book */
  GMutex                  lock;        /* guards what follows */
  char                   *stored;
  gint64                  stored_modified_us;
  GHashTable             *redirects; /* target → location */
  guint                   last_put_status;
  char                   *last_put_reason;
};

static void
resource_free (gpointer data)
{
  Resource *r = data;

  g_free (r->href);
  g_free (r);
}

static gboolean
authorized (KiosFakeProgression   *self,
            const KiosFakeRequest *request)
{
  const char      *header = kios_fake_request_get_header (request, "Authorization");
  g_autofree char *pair = NULL;
  g_autofree char *expected = NULL;

  if (self->user == NULL)
    return TRUE;
  if (header == NULL || g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    return FALSE;
  pair = g_strdup_printf ("%s:%s", self->user, self->password);
  expected = g_base64_encode ((const guchar *) pair, strlen (pair));
  return g_str_equal (header + 6, expected);
}

static gint64
parse_time_us (const char *text)
{
  g_autoptr (GDateTime) dt = NULL;

  if (text == NULL)
    return -1;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    return -1;
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

static void
put_answer (KiosFakeProgression *self,
            KiosFakeResponse    *response,
            guint                status,
            const char          *reason)
{
  self->last_put_status = status;
  g_free (self->last_put_reason);
  self->last_put_reason = g_strdup (reason);
  if (status == 204)
    response->status = 204;
  else
    kios_fake_response_set_text (response, status, "application/json", reason);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The draft's PUT (OPDS.md §4.3). Under lock. */
static void
draft_put (KiosFakeProgression   *self,
           const KiosFakeRequest *request,
           KiosFakeResponse      *response)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize                  len;
  const char            *data = g_bytes_get_data (request->body, &len);
  JsonObject            *root;
  JsonObject            *device;
  JsonNode              *progression;
  gint64                 modified;
  gboolean               first = self->stored == NULL;

  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      put_answer (self, response, 400, "{\"type\":\"https://registry.opds.io/error#progression-invalid-payload\"}");
      return;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  device = member_object (root, "device");
  modified = parse_time_us (member_string (root, "modified"));
  progression = json_object_has_member (root, "progression") ? json_object_get_member (root, "progression") : NULL;
  if (json_object_has_member (root, "locator") || device == NULL || member_string (device, "id") == NULL || modified < 0 || progression == NULL || !JSON_NODE_HOLDS_VALUE (progression) || (json_node_get_value_type (progression) != G_TYPE_DOUBLE && json_node_get_value_type (progression) != G_TYPE_INT64) || json_node_get_double (progression) < 0 || json_node_get_double (progression) > 1)
    {
      put_answer (self, response, 400, "{\"type\":\"https://registry.opds.io/error#progression-invalid-payload\"}");
      return;
    }
  if (!first && modified <= self->stored_modified_us)
    {
      put_answer (self, response, 409, "{\"type\":\"https://registry.opds.io/error#progression-date\"}");
      return;
    }
  g_free (self->stored);
  self->stored = g_strndup (data, len);
  self->stored_modified_us = modified;
  self->last_put_status = first ? 201 : 200;
  g_free (self->last_put_reason);
  self->last_put_reason = g_strdup ("stored");
  kios_fake_response_set_text (response, first ? 201 : 200, "application/opds-progression+json", self->stored);
}

/* Komga's BookLifecycle.markProgression, as OPDS.md §4.1 reads it. Under lock. */
static void
komga_put (KiosFakeProgression   *self,
           const KiosFakeRequest *request,
           KiosFakeResponse      *response)
{
  g_autoptr (JsonParser)    parser = json_parser_new ();
  gsize                     len;
  const char               *data = g_bytes_get_data (request->body, &len);
  JsonObject               *root;
  JsonObject               *device;
  JsonObject               *locator;
  JsonObject               *locations;
  JsonNode                 *prog_node;
  const char               *href;
  gint64                    modified;
  g_autofree char          *path = NULL;
  Resource                 *resource = NULL;
  float                     value;
  int                       matched = -1;
  float                     total;
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      put_answer (self, response, 400, "{\"message\":\"unreadable body\"}");
      return;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  device = member_object (root, "device");
  locator = member_object (root, "locator");
  modified = parse_time_us (member_string (root, "modified"));
  if (device == NULL || member_string (device, "id") == NULL || member_string (device, "name") == NULL || locator == NULL || member_string (locator, "href") == NULL || member_string (locator, "type") == NULL || modified < 0)
    {
      put_answer (self, response, 400, "{\"message\":\"missing field\"}");
      return;
    }
  if (self->stored != NULL && modified <= self->stored_modified_us)
    {
      put_answer (self, response, 409, "{\"message\":\"Progression is older than existing\"}");
      return;
    }

  href = member_string (locator, "href");
  {
    const char      *hash = strchr (href, '#');
    g_autofree char *cut = hash != NULL ? g_strndup (href, (gsize) (hash - href)) : g_strdup (href);

    path = g_uri_unescape_string (cut, NULL);
  }
  for (guint i = 0; path != NULL && i < self->resources->len; i++)
    if (g_str_equal (((Resource *) self->resources->pdata[i])->href, path))
      resource = self->resources->pdata[i];
  if (resource == NULL)
    {
      put_answer (self, response, 400, "{\"message\":\"Resource does not exist in book\"}");
      return;
    }
  locations = member_object (locator, "locations");
  prog_node = locations != NULL && json_object_has_member (locations, "progression")
                  ? json_object_get_member (locations, "progression")
                  : NULL;
  if (prog_node == NULL || !JSON_NODE_HOLDS_VALUE (prog_node) || (json_node_get_value_type (prog_node) != G_TYPE_DOUBLE && json_node_get_value_type (prog_node) != G_TYPE_INT64))
    {
      put_answer (self, response, 400, "{\"message\":\"progression is required\"}");
      return;
    }
  /* Jackson reads the number into a Kotlin Float. */
  value = (float) json_node_get_double (prog_node);
  for (guint k = 0; k < resource->n_positions; k++)
    {
      float p = (float) k / (float) resource->n_positions;

      if (p == value)
        {
          matched = (int) k;
          break;
        }
      if (p < value && k + 1 < resource->n_positions)
        matched = (int) k;
    }
  /* The last position below counts only when a position above exists. */
  if (matched >= 0 && (float) matched / (float) resource->n_positions != value && ((guint) matched + 1 >= resource->n_positions || (float) (matched + 1) / (float) resource->n_positions <= value))
    matched = -1;
  if (matched < 0)
    {
      put_answer (self, response, 400, "{\"message\":\"Invalid progression\"}");
      return;
    }

  total = (float) (resource->first + (guint) matched) / (float) MAX (self->n_positions, 1u);
  json_object_set_string_member (locator, "type", "application/xhtml+xml");
  json_object_set_double_member (locations, "totalProgression", total);
  json_object_set_string_member (locator, "koboSpan", "kobo.1.1");
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_free (self->stored);
  self->stored = json_generator_to_data (gen, NULL);
  self->stored_modified_us = modified;
  put_answer (self, response, 204, NULL);
}

static void
handler (KiosFakeServer        *server,
         const KiosFakeRequest *request,
         KiosFakeResponse      *response,
         gpointer               user_data)
{
  KiosFakeProgression     *self = user_data;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  const char              *path = self->kind == KIOS_FAKE_PROGRESSION_KOMGA ? KOMGA_PATH : STUMP_PATH;
  const char              *location = g_hash_table_lookup (self->redirects, request->path);

  if (!authorized (self, request))
    {
      kios_fake_response_set_text (response, 401, "text/plain", "Unauthorized");
      kios_fake_response_add_header (response, "WWW-Authenticate",
                                     self->kind == KIOS_FAKE_PROGRESSION_KOMGA ? "Basic realm=\"Realm\""
                                                                               : "Basic realm=\"stump OPDS v2.0\"");
      return;
    }
  if (location != NULL)
    {
      kios_fake_response_set_text (response, 302, "text/plain", "");
      kios_fake_response_add_header (response, "Location", location);
      return;
    }
  if (self->kind == KIOS_FAKE_PROGRESSION_KOMGA && g_str_equal (request->method, "GET") && g_str_equal (request->path, "/opds/v2/catalog"))
    {
      /* Komga's publication: absolute links, acquisition and progression. */
      const char      *base = kios_fake_server_get_url (server);
      g_autofree char *feed = g_strdup_printf (
          "{\"metadata\":{\"title\":\"Latest Books\"},\"links\":[{\"rel\":\"self\",\"href\":\"%s/opds/v2/catalog\"}],"
          "\"publications\":[{\"metadata\":{\"title\":\"Pride and Prejudice\",\"identifier\":\"urn:komga:book:1\","
          "\"author\":[\"Jane Austen\"]},\"links\":["
          "{\"rel\":\"self\",\"href\":\"%s/opds/v2/books/1/manifest\",\"type\":\"application/webpub+json\"},"
          "{\"rel\":\"http://opds-spec.org/acquisition\",\"href\":\"%s/opds/v2/books/1/file\",\"type\":\"application/epub+zip\"},"
          "{\"rel\":\"http://www.cantook.com/api/progression\",\"href\":\"%s%s\","
          "\"type\":\"application/vnd.readium.progression+json\"}]}]}",
          base, base, base, base, KOMGA_PATH);

      kios_fake_response_set_text (response, 200, "application/opds+json", feed);
      return;
    }
  if (self->book != NULL && g_str_equal (request->method, "GET") && g_str_equal (request->path, "/opds/v2/books/1/file"))
    {
      response->status = 200;
      response->body = g_bytes_ref (self->book);
      kios_fake_response_add_header (response, "Content-Type", "application/epub+zip");
      return;
    }
  if (!g_str_equal (request->path, path))
    {
      kios_fake_response_set_text (response, 404, "text/plain", "Not Found");
      return;
    }
  if (g_str_equal (request->method, "GET"))
    {
      if (self->kind == KIOS_FAKE_PROGRESSION_DRAFT)
        kios_fake_response_set_text (response, 200, "application/opds-progression+json",
                                     self->stored != NULL ? self->stored : "");
      else if (self->kind == KIOS_FAKE_PROGRESSION_STUMP)
        kios_fake_response_set_text (response, 200, "application/json",
                                     self->stored != NULL ? self->stored : STUMP_DEFAULT);
      else if (self->stored == NULL)
        response->status = 204;
      else
        kios_fake_response_set_text (response, 200, "application/vnd.readium.progression+json", self->stored);
      return;
    }
  if (g_str_equal (request->method, "PUT"))
    {
      if (self->kind == KIOS_FAKE_PROGRESSION_STUMP)
        put_answer (self, response, 405, "");
      else if (self->kind == KIOS_FAKE_PROGRESSION_DRAFT)
        draft_put (self, request, response);
      else
        komga_put (self, request, response);
      return;
    }
  kios_fake_response_set_text (response, 405, "text/plain", "Method Not Allowed");
}

KiosFakeProgression *
kios_fake_progression_new (KiosFakeProgressionKind kind,
                           const char             *user,
                           const char             *password,
                           const char             *epub_path)
{
  KiosFakeProgression *self = g_new0 (KiosFakeProgression, 1);

  self->kind = kind;
  self->user = g_strdup (user);
  self->password = g_strdup (password != NULL ? password : "");
  self->resources = g_ptr_array_new_with_free_func (resource_free);
  self->redirects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&self->lock);
  if (epub_path != NULL)
    {
      g_autoptr (GError)   error = NULL;
      g_autoptr (KiosEpub) epub = kios_epub_open (epub_path, &error);

      g_assert_no_error (error);
      {
        char *contents = NULL;
        gsize len = 0;

        if (g_file_get_contents (epub_path, &contents, &len, NULL))
          self->book = g_bytes_new_take (contents, len);
      }
      for (guint i = 0; i < kios_epub_get_n_spine_items (epub); i++)
        {
          const KiosSpineItem *item = kios_epub_get_spine_item (epub, i);
          g_autoptr (GBytes)   bytes = kios_epub_read_member (epub, item->href, 64 * 1024 * 1024, NULL);
          Resource            *r = g_new0 (Resource, 1);
          gsize                size = bytes != NULL ? g_bytes_get_size (bytes) : 0;

          r->href = g_strdup (item->href);
          r->n_positions = (guint) MAX ((gsize) 1, (size + 1023) / 1024);
          r->first = self->n_positions;
          self->n_positions += r->n_positions;
          g_ptr_array_add (self->resources, r);
        }
    }
  self->server = kios_fake_server_new (handler, self);
  self->url = g_strconcat (kios_fake_server_get_url (self->server),
                           kind == KIOS_FAKE_PROGRESSION_KOMGA ? KOMGA_PATH : STUMP_PATH, NULL);
  return self;
}

void
kios_fake_progression_free (KiosFakeProgression *self)
{
  if (self == NULL)
    return;
  /* The server first: its workers may still be in the handler. */
  kios_fake_server_free (self->server);
  g_free (self->user);
  g_free (self->password);
  g_free (self->url);
  g_clear_pointer (&self->book, g_bytes_unref);
  g_ptr_array_unref (self->resources);
  g_hash_table_unref (self->redirects);
  g_free (self->stored);
  g_free (self->last_put_reason);
  g_mutex_clear (&self->lock);
  g_free (self);
}

KiosFakeServer *
kios_fake_progression_get_server (KiosFakeProgression *self)
{
  return self->server;
}

const char *
kios_fake_progression_get_base (KiosFakeProgression *self)
{
  return kios_fake_server_get_url (self->server);
}

const char *
kios_fake_progression_get_url (KiosFakeProgression *self)
{
  return self->url;
}

void
kios_fake_progression_set_stored (KiosFakeProgression *self,
                                  const char          *json)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_free (self->stored);
  self->stored = g_strdup (json);
  self->stored_modified_us = -1;
  if (json != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, json, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        self->stored_modified_us = parse_time_us (member_string (json_node_get_object (json_parser_get_root (parser)),
                                                                 "modified"));
    }
}

char *
kios_fake_progression_dup_stored (KiosFakeProgression *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return g_strdup (self->stored);
}

void
kios_fake_progression_add_redirect (KiosFakeProgression *self,
                                    const char          *target,
                                    const char          *location)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_hash_table_replace (self->redirects, g_strdup (target), g_strdup (location));
}

guint
kios_fake_progression_count (KiosFakeProgression *self,
                             const char          *method)
{
  guint n = kios_fake_server_get_n_requests (self->server);
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) request = kios_fake_server_get_request (self->server, i);

      if (request != NULL && (method == NULL || g_str_equal (request->method, method)))
        count++;
    }
  return count;
}

guint
kios_fake_progression_count_authorized (KiosFakeProgression *self)
{
  guint n = kios_fake_server_get_n_requests (self->server);
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) request = kios_fake_server_get_request (self->server, i);

      if (request != NULL && kios_fake_request_get_header (request, "Authorization") != NULL)
        count++;
    }
  return count;
}

guint
kios_fake_progression_get_last_put_status (KiosFakeProgression *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->last_put_status;
}

char *
kios_fake_progression_dup_last_put_reason (KiosFakeProgression *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return g_strdup (self->last_put_reason);
}
