/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-readium-client"

#include "config.h"

#include "kios-readium-client.h"

#include "kios-http.h"
#include "kios-json.h"
#include "kios-limits.h"
#include "kios-opds-feed.h"
#include "kios-origin.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS KIOS_LIMIT_READIUM_TIMEOUT_MS
#define MAX_JSON_DEPTH KIOS_LIMIT_READIUM_JSON_DEPTH
#define MAX_TEXT KIOS_LIMIT_READIUM_TEXT_CHARS

struct _KiosReadiumClient
{
  char              *url;
  char              *origin;   /* scheme://host:port of the catalog: the credentials' scope */
  char              *username; /* nullable */
  char              *password;
  char              *ca_file; /* nullable */
  char              *realm;   /* of the last challenge, nullable */
  KiosReadiumFlavour flavour;
  KiosHttpAuth       auth; /* what libcurl answers with; NONE until a challenge (or https) */
  guint              timeout_ms;
  guint              n_requests;
};

/* ------------------------------------------------------------------ */
/* the document */

KiosReadiumProgression *
kios_readium_progression_new (void)
{
  KiosReadiumProgression *self = g_new0 (KiosReadiumProgression, 1);

  self->progression = -1;
  self->total_progression = -1;
  return self;
}

KiosReadiumProgression *
kios_readium_progression_copy (const KiosReadiumProgression *self)
{
  KiosReadiumProgression *copy;

  if (self == NULL)
    return NULL;
  copy = g_memdup2 (self, sizeof *self);
  copy->href = g_strdup (self->href);
  copy->type = g_strdup (self->type);
  copy->title = g_strdup (self->title);
  copy->device_id = g_strdup (self->device_id);
  copy->device_name = g_strdup (self->device_name);
  return copy;
}

void
kios_readium_progression_free (KiosReadiumProgression *self)
{
  if (self == NULL)
    return;
  g_free (self->href);
  g_free (self->type);
  g_free (self->title);
  g_free (self->device_id);
  g_free (self->device_name);
  g_free (self);
}

gboolean
kios_readium_progression_is_usable (const KiosReadiumProgression *self)
{
  return self != NULL && ((self->href != NULL && *self->href != '\0') || self->position > 0 || self->total_progression >= 0);
}

/* A string member, valid UTF-8 and bounded, or NULL. */
static char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode   *node;
  const char *value;
  char       *valid;
  char       *end;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  value = json_node_get_string (node);
  if (value == NULL || *value == '\0')
    return NULL;
  /* MAX_TEXT characters, cut between two of them (the document itself is
   * bounded by KIOS_READIUM_MAX_DOCUMENT). */
  valid = g_utf8_make_valid (value, -1);
  end = valid;
  for (guint i = 0; i < MAX_TEXT && *end != '\0'; i++)
    end = g_utf8_next_char (end);
  *end = '\0';
  return valid;
}

/* A number member (int or double) in 0..1, or -1. */
static double
fraction_member (JsonObject *object,
                 const char *name)
{
  JsonNode *node;
  double    value;

  if (object == NULL || !json_object_has_member (object, name))
    return -1;
  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    value = json_node_get_double (node);
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = (double) json_node_get_int (node);
  else
    return -1;
  if (!isfinite (value) || value < 0 || value > 1)
    return -1;
  return value;
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gint64
parse_modified (const char *text)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) dt = NULL;

  if (text == NULL || *text == '\0')
    return 0;
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    return 0;
  return g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
}

/* "OEBPS/Text/ch05.xhtml#p3", "…/resource/OEBPS/…", "OEBPS/Text/ch%2005.xhtml"
 * → the decoded zip path without fragment, or NULL. */
static char *
clean_href (const char *href)
{
  g_autofree char *path = NULL;
  const char      *hash;
  const char      *resource;
  char            *decoded;

  if (href == NULL || *href == '\0' || *href == '#')
    return NULL;
  hash = strchr (href, '#');
  path = hash != NULL ? g_strndup (href, (gsize) (hash - href)) : g_strdup (href);
  /* Komga's web reader and Readium manifests address resources under
   * …/resource/<zip path>; the zip path is what the book knows. */
  resource = strstr (path, "/resource/");
  if (resource != NULL)
    {
      char *tail = g_strdup (resource + strlen ("/resource/"));

      g_free (path);
      path = tail;
    }
  while (path[0] == '/')
    memmove (path, path + 1, strlen (path));
  if (*path == '\0')
    return NULL;
  decoded = g_uri_unescape_string (path, NULL);
  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    {
      g_free (decoded);
      return g_strdup (path);
    }
  return decoded;
}

static void
read_device (KiosReadiumProgression *p,
             JsonObject             *root)
{
  JsonObject      *device = object_member (root, "device");
  g_autofree char *modified = string_member (root, "modified");

  p->device_id = string_member (device, "id");
  p->device_name = string_member (device, "name");
  p->modified_ms = parse_modified (modified);
}

static KiosReadiumProgression *
parse_locator (JsonObject *root)
{
  g_autoptr (KiosReadiumProgression) p = kios_readium_progression_new ();
  JsonObject                        *locator = object_member (root, "locator");
  JsonObject                        *locations;
  JsonNode                          *node;
  g_autofree char                   *href = NULL;

  if (locator == NULL)
    return NULL;
  node = json_object_has_member (locator, "locations") ? json_object_get_member (locator, "locations") : NULL;
  /* Stump's read-only document: `locations` is an array, the href (if any)
   * is a page image URL and `modified` is the time of the GET. */
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  locations = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  href = string_member (locator, "href");
  p->href = clean_href (href);
  p->type = string_member (locator, "type");
  p->title = string_member (locator, "title");
  p->progression = fraction_member (locations, "progression");
  p->total_progression = fraction_member (locations, "totalProgression");
  if (locations != NULL && json_object_has_member (locations, "position"))
    {
      JsonNode *pos = json_object_get_member (locations, "position");

      if (JSON_NODE_HOLDS_VALUE (pos) && json_node_get_value_type (pos) == G_TYPE_INT64 && json_node_get_int (pos) >= 1 && json_node_get_int (pos) <= G_MAXINT)
        p->position = (int) json_node_get_int (pos);
    }
  /* `locator: {}`: the last writer stored only a page (web reader "mark
   * page", PSE): there is no place to go to. */
  if (!kios_readium_progression_is_usable (p))
    return NULL;
  read_device (p, root);
  return g_steal_pointer (&p);
}

static KiosReadiumProgression *
parse_opds (JsonObject *root)
{
  g_autoptr (KiosReadiumProgression) p = kios_readium_progression_new ();
  JsonNode                          *node = NULL;
  JsonArray                         *refs = NULL;

  p->total_progression = fraction_member (root, "progression");
  p->title = string_member (root, "title");
  /* The draft's prose says `references`, its schema `refs`. */
  if (json_object_has_member (root, "references"))
    node = json_object_get_member (root, "references");
  else if (json_object_has_member (root, "refs"))
    node = json_object_get_member (root, "refs");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    refs = json_node_get_array (node);
  for (guint i = 0; refs != NULL && i < json_array_get_length (refs) && i < 32; i++)
    {
      JsonNode   *item = json_array_get_element (refs, i);
      const char *ref;

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        continue;
      ref = json_node_get_string (item);
      if (g_str_has_prefix (ref, "#page="))
        {
          gint64 page = g_ascii_strtoll (ref + 6, NULL, 10);

          if (page >= 1 && page <= G_MAXINT && p->position == 0)
            p->position = (int) page;
        }
      else if (p->href == NULL)
        p->href = clean_href (ref);
    }
  if (!kios_readium_progression_is_usable (p))
    return NULL;
  read_device (p, root);
  return g_steal_pointer (&p);
}

KiosReadiumProgression *
kios_readium_progression_parse (const char         *data,
                                gsize               len,
                                KiosReadiumFlavour *flavour,
                                GError            **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError)   local_error = NULL;
  JsonObject          *object;

  if (data == NULL || len == 0)
    return NULL;
  /* Whitespace only is as empty as no body (the draft's "nothing stored"). */
  {
    gsize i = 0;

    while (i < len && g_ascii_isspace (data[i]))
      i++;
    if (i == len)
      return NULL;
  }
  root = kios_json_parse_bounded (data, (gssize) len, KIOS_READIUM_MAX_DOCUMENT, MAX_JSON_DEPTH, &local_error);
  if (root == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server did not answer with a progression document (%s)", local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server did not answer with a progression document");
      return NULL;
    }
  object = json_node_get_object (root);
  if (json_object_has_member (object, "locator"))
    {
      if (flavour != NULL)
        *flavour = KIOS_READIUM_FLAVOUR_READIUM;
      return parse_locator (object);
    }
  if (json_object_has_member (object, "progression"))
    {
      if (flavour != NULL)
        *flavour = KIOS_READIUM_FLAVOUR_OPDS;
      return parse_opds (object);
    }
  if (json_object_has_member (object, "modified") || json_object_has_member (object, "device"))
    return NULL;
  g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
               "The server answered JSON that is not a progression document");
  return NULL;
}

static char *
format_modified (gint64 modified_ms)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char      *seconds = NULL;

  if (modified_ms <= 0)
    modified_ms = g_get_real_time () / 1000;
  dt = g_date_time_new_from_unix_utc (modified_ms / 1000);
  if (dt == NULL)
    return NULL;
  seconds = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds, (int) (modified_ms % 1000));
}

char *
kios_readium_progression_to_json (const KiosReadiumProgression *self,
                                  KiosReadiumFlavour            flavour)
{
  g_autoptr (JsonBuilder)   b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode)      root = NULL;
  g_autofree char          *modified = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  modified = format_modified (self->modified_ms);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "modified");
  json_builder_add_string_value (b, modified);
  /* Both members are required by Komga (non-null Kotlin fields). */
  json_builder_set_member_name (b, "device");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, self->device_id != NULL ? self->device_id : "");
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, self->device_name != NULL ? self->device_name : "Kios");
  json_builder_end_object (b);

  if (flavour == KIOS_READIUM_FLAVOUR_OPDS)
    {
      double total = self->total_progression >= 0 ? self->total_progression : MAX (self->progression, 0);

      json_builder_set_member_name (b, "progression");
      json_builder_add_double_value (b, CLAMP (total, 0.0, 1.0));
      if (self->title != NULL)
        {
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, self->title);
        }
      json_builder_set_member_name (b, "references");
      json_builder_begin_array (b);
      if (self->href != NULL)
        json_builder_add_string_value (b, self->href);
      if (self->position > 0)
        {
          g_autofree char *page = g_strdup_printf ("#page=%d", self->position);

          json_builder_add_string_value (b, page);
        }
      json_builder_end_array (b);
    }
  else
    {
      json_builder_set_member_name (b, "locator");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "href");
      json_builder_add_string_value (b, self->href != NULL ? self->href : "");
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, self->type != NULL ? self->type : "application/xhtml+xml");
      if (self->title != NULL)
        {
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, self->title);
        }
      json_builder_set_member_name (b, "locations");
      json_builder_begin_object (b);
      if (self->position > 0)
        {
          g_autofree char *fragment = g_strdup_printf ("page=%d", self->position);

          json_builder_set_member_name (b, "fragments");
          json_builder_begin_array (b);
          json_builder_add_string_value (b, fragment);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "position");
          json_builder_add_int_value (b, self->position);
        }
      if (self->progression >= 0)
        {
          json_builder_set_member_name (b, "progression");
          json_builder_add_double_value (b, self->progression);
        }
      if (self->total_progression >= 0)
        {
          json_builder_set_member_name (b, "totalProgression");
          json_builder_add_double_value (b, self->total_progression);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

double
kios_readium_snap_progression (double progression,
                               gsize  resource_size)
{
  gsize n = MAX ((gsize) 1, (resource_size + KIOS_READIUM_KOMGA_CHUNK - 1) / KIOS_READIUM_KOMGA_CHUNK);
  gsize k;

  if (!isfinite (progression) || progression <= 0)
    return 0;
  /* The epsilon keeps an exact k/n from falling to (k−1)/n through rounding. */
  k = (gsize) floor (MIN (progression, 1.0) * (double) n + 1e-9);
  k = MIN (k, n - 1);
  /* Komga matches its Float positions exactly: send the float's value,
   * which any JSON reader rounds back to the same float. */
  return (double) ((float) k / (float) n);
}

KiosReadiumProgression *
kios_readium_progression_from_position (const KiosPosition *position,
                                        gsize               resource_size,
                                        int                 page_count,
                                        const char         *pdf_href)
{
  KiosReadiumProgression *p;

  g_return_val_if_fail (position != NULL, NULL);

  p = kios_readium_progression_new ();
  p->modified_ms = position->updated_at > 0 ? position->updated_at * 1000 : g_get_real_time () / 1000;
  p->title = g_strdup (position->chapter_title);
  if (position->format == KIOS_BOOK_FORMAT_PDF)
    {
      int page = MAX (kios_position_get_page (position), 1);

      p->position = page;
      p->type = g_strdup ("application/pdf");
      /* Komga does not check a PDF locator's href, but requires one. */
      p->href = g_strdup (pdf_href != NULL && *pdf_href != '\0' ? pdf_href : "publication.pdf");
      if (page_count > 0)
        p->progression = p->total_progression = CLAMP ((double) page / page_count, 0.0, 1.0);
      else
        p->progression = p->total_progression = CLAMP (position->total_progress, 0.0, 1.0);
      return p;
    }
  p->href = g_strdup (position->chapter_href);
  p->type = g_strdup ("application/xhtml+xml");
  p->progression = CLAMP (position->chapter_progress, 0.0, 1.0);
  if (resource_size > 0)
    p->progression = kios_readium_snap_progression (p->progression, resource_size);
  p->total_progression = CLAMP (position->total_progress, 0.0, 1.0);
  return p;
}

/* Kios' own device id is 32 hex digits; sent as is, it comes back as is.
 * A urn:uuid: form of the same id is folded back so "this device" is seen. */
static char *
fold_device_id (const char *id)
{
  g_autoptr (GString) hex = NULL;

  if (id == NULL)
    return NULL;
  if (!g_str_has_prefix (id, "urn:uuid:"))
    return g_strdup (id);
  hex = g_string_new (NULL);
  for (const char *c = id + 9; *c != '\0'; c++)
    if (*c != '-')
      g_string_append_c (hex, g_ascii_toupper (*c));
  return g_string_free (g_steal_pointer (&hex), FALSE);
}

KiosPosition *
kios_readium_progression_to_position (const KiosReadiumProgression *self,
                                      KiosBookFormat                format)
{
  KiosPosition *position;

  g_return_val_if_fail (self != NULL, NULL);

  position = kios_position_new ();
  position->format = format;
  position->chapter = -1;
  position->updated_at = self->modified_ms / 1000;
  position->device = g_strdup (self->device_name);
  position->device_id = fold_device_id (self->device_id);
  position->total_progress = self->total_progression >= 0 ? self->total_progression : 0;
  if (format == KIOS_BOOK_FORMAT_PDF)
    {
      if (self->position > 0)
        position->chapter = self->position - 1;
      return position;
    }
  position->chapter_href = g_strdup (self->href);
  position->chapter_progress = self->progression >= 0 ? self->progression : 0;
  position->chapter_title = g_strdup (self->title);
  return position;
}

/* ------------------------------------------------------------------ */
/* the client */

static gboolean
same_origin (KiosReadiumClient *self,
             const char        *url)
{
  return kios_origin_matches (self->origin, url);
}

KiosReadiumClient *
kios_readium_client_new (const char *progression_url,
                         const char *catalog_url,
                         const char *username,
                         const char *password)
{
  KiosReadiumClient *self;

  g_return_val_if_fail (progression_url != NULL, NULL);

  self = g_new0 (KiosReadiumClient, 1);
  self->url = g_strdup (progression_url);
  self->origin = kios_origin_from_url (catalog_url != NULL ? catalog_url : progression_url);
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  if (username != NULL && *username != '\0')
    {
      self->username = g_strdup (username);
      self->password = g_strdup (password != NULL ? password : "");
      kios_redact_register_secret (password);
      /* Over TLS Basic costs nothing and saves a round trip; over plain
       * http the server's challenge comes first (OPDS client's rule). */
      self->auth = self->origin != NULL && g_str_has_prefix (self->origin, "https://") ? KIOS_HTTP_AUTH_BASIC
                                                                                       : KIOS_HTTP_AUTH_NONE;
    }
  return self;
}

void
kios_readium_client_free (KiosReadiumClient *self)
{
  if (self == NULL)
    return;
  g_free (self->url);
  g_free (self->origin);
  g_free (self->username);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->ca_file);
  g_free (self->realm);
  g_free (self);
}

const char *
kios_readium_client_get_url (KiosReadiumClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->url;
}

KiosReadiumFlavour
kios_readium_client_get_flavour (KiosReadiumClient *self)
{
  g_return_val_if_fail (self != NULL, KIOS_READIUM_FLAVOUR_READIUM);
  return self->flavour;
}

guint
kios_readium_client_get_n_requests (KiosReadiumClient *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_requests;
}

void
kios_readium_client_set_flavour (KiosReadiumClient *self,
                                 KiosReadiumFlavour flavour)
{
  g_return_if_fail (self != NULL);
  self->flavour = flavour;
}

void
kios_readium_client_set_timeout (KiosReadiumClient *self,
                                 guint              timeout_ms)
{
  g_return_if_fail (self != NULL);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

void
kios_readium_client_set_ca_file (KiosReadiumClient *self,
                                 const char        *ca_file)
{
  g_return_if_fail (self != NULL);
  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
}

/* What a 401 asks for: Basic (a Basic challenge, a bare 401, an
 * authentication document), Digest, or NONE for a scheme Kios does not
 * speak. Remembers the realm for the error message. */
static KiosHttpAuth
challenge_auth (KiosReadiumClient *self,
                KiosHttpResponse  *response)
{
  gboolean any = FALSE;
  gboolean basic = FALSE;
  gboolean digest = FALSE;

  for (guint i = 0; i < response->headers->len; i++)
    {
      const char *line = response->headers->pdata[i];
      const char *value;
      const char *realm;

      if (g_ascii_strncasecmp (line, "WWW-Authenticate:", 17) != 0)
        continue;
      value = line + 17;
      while (*value == ' ' || *value == '\t')
        value++;
      any = TRUE;
      if (g_ascii_strncasecmp (value, "Basic", 5) == 0)
        basic = TRUE;
      else if (g_ascii_strncasecmp (value, "Digest", 6) == 0)
        digest = TRUE;
      realm = strstr (value, "realm=\"");
      if (realm != NULL)
        {
          const char *end = strchr (realm + 7, '"');

          if (end != NULL && end - (realm + 7) < 200)
            {
              g_free (self->realm);
              self->realm = g_utf8_make_valid (realm + 7, end - (realm + 7));
            }
        }
    }
  if (digest)
    return KIOS_HTTP_AUTH_DIGEST;
  if (basic || !any)
    return KIOS_HTTP_AUTH_BASIC;
  return KIOS_HTTP_AUTH_NONE;
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void
set_http_error (GError  *http_error,
                GError **error)
{
  if (g_error_matches (http_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (http_error));
  else if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE))
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "The progression document is larger than Kios accepts: %s", http_error->message);
  else if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL))
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, "%s", http_error->message);
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK, "%s", http_error->message);
}

/*
 * One request with the catalog's credentials, redirects followed here so
 * that every hop decides afresh whether it may carry them (same origin as
 * the catalog only). A 401 is answered once, by libcurl, with the Basic or
 * Digest the challenge asks for; a final 401 is a
 * KIOS_SYNC_ERROR_AUTH error. Every other status is the caller's.
 */
static KiosHttpResponse *
exchange (KiosReadiumClient *self,
          const char        *method,
          const char        *body,
          GCancellable      *cancellable,
          GError           **error)
{
  g_autofree char             *url = g_strdup (self->url);
  g_autoptr (KiosHttpResponse) response = NULL;
  gboolean                     answered = FALSE;
  const char                  *type = self->flavour == KIOS_READIUM_FLAVOUR_OPDS ? KIOS_READIUM_TYPE_OPDS
                                                                                 : KIOS_READIUM_TYPE_READIUM;
  g_autofree char             *accept = g_strdup_printf ("%s, application/json;q=0.9, */*;q=0.1", type);

  for (guint hop = 0; hop <= KIOS_HTTP_DEFAULT_MAX_REDIRECTS;)
    {
      g_autoptr (KiosHttpRequest) request = kios_http_request_new (method, url);
      g_autoptr (GError)          local_error = NULL;
      gboolean                    with_auth = self->username != NULL && self->auth != KIOS_HTTP_AUTH_NONE && same_origin (self, url);
      const char                 *location;

      request->timeout_ms = self->timeout_ms;
      request->max_response_size = KIOS_READIUM_MAX_DOCUMENT;
      request->max_redirects = 0;
      request->ca_file = g_strdup (self->ca_file);
      kios_http_request_add_header (request, "Accept", accept);
      if (body != NULL)
        {
          g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

          kios_http_request_set_body (request, type, bytes);
        }
      if (with_auth)
        kios_http_request_set_auth (request, self->auth, self->username, self->password);
      self->n_requests++;
      g_clear_pointer (&response, kios_http_response_free);
      response = kios_http_send_sync (request, cancellable, &local_error);
      if (response == NULL)
        {
          set_http_error (local_error, error);
          return NULL;
        }

      if (response->status == 401 && !with_auth && !answered && self->username != NULL && same_origin (self, url))
        {
          answered = TRUE;
          self->auth = challenge_auth (self, response);
          if (self->auth == KIOS_HTTP_AUTH_NONE)
            {
              g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                           "The catalog asks for a sign-in method the progression sync does not support");
              return NULL;
            }
          continue;
        }
      if (!is_redirect (response->status))
        break;
      location = kios_http_response_get_header (response, "Location");
      if (location == NULL)
        break;
      {
        g_autofree char *next = kios_opds_resolve_href (url, location);

        if (next == NULL)
          {
            g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                         "The server redirected the progression to a link that is not http(s)");
            return NULL;
          }
        g_free (url);
        url = g_steal_pointer (&next);
      }
      hop++;
      if (hop > KIOS_HTTP_DEFAULT_MAX_REDIRECTS)
        {
          g_autofree char *shown = kios_redact_url (self->url);

          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                       "%s redirects more than %d times", shown, KIOS_HTTP_DEFAULT_MAX_REDIRECTS);
          return NULL;
        }
    }

  if (response->status == 401)
    {
      g_autofree char *shown = kios_redact_url (url);

      if (self->username == NULL || !same_origin (self, url))
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                     "%s needs a user name and password%s%s%s", shown,
                     self->realm != NULL ? " (realm “" : "", self->realm != NULL ? self->realm : "",
                     self->realm != NULL ? "”)" : "");
      else
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                     "%s refused the user name or password%s%s%s", shown,
                     self->realm != NULL ? " (realm “" : "", self->realm != NULL ? self->realm : "",
                     self->realm != NULL ? "”)" : "");
      return NULL;
    }
  return g_steal_pointer (&response);
}

/* The server's own words for a 4xx, short and redacted. */
static char *
server_message (KiosHttpResponse *response)
{
  gsize            len;
  const char      *data = g_bytes_get_data (response->body, &len);
  g_autofree char *text = NULL;

  if (data == NULL || len == 0)
    return g_strdup ("");
  text = g_utf8_make_valid (data, (gssize) MIN (len, 200));
  g_strdelimit (text, "\r\n\t", ' ');
  return kios_redact_text (text);
}

static void
status_error (KiosHttpResponse *response,
              const char       *url,
              const char       *what,
              GError          **error)
{
  g_autofree char *shown = kios_redact_url (response->effective_url != NULL ? response->effective_url : url);
  g_autofree char *message = server_message (response);

  if (response->status == 403)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                 "%s refused access to the reading position (HTTP 403): the account lacks the permission",
                 shown);
  else if (response->status == 404 || response->status == 410)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                 "The catalog no longer knows this book (%s: HTTP %u)", shown, response->status);
  else if (response->status >= 500)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER,
                 "The server failed to %s the reading position (HTTP %u)", what, response->status);
  else if (response->status == 400 || response->status == 422)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT,
                 "The server refused the reading position (HTTP %u: %s)", response->status, message);
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "%s answered HTTP %u to a reading position %s", shown, response->status, what);
}

KiosReadiumProgression *
kios_readium_client_get (KiosReadiumClient *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr (KiosHttpResponse) response = NULL;
  const char                  *type;
  const char                  *data;
  gsize                        len;
  KiosReadiumFlavour           flavour = self->flavour;
  KiosReadiumProgression      *progression;
  GError                      *local_error = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  response = exchange (self, "GET", NULL, cancellable, error);
  if (response == NULL)
    return NULL;
  /* 204: the user has no read progress for this book (Komga). */
  if (response->status == 204)
    return NULL;
  if (response->status < 200 || response->status >= 300)
    {
      status_error (response, self->url, "read", error);
      return NULL;
    }
  type = kios_http_response_get_header (response, "Content-Type");
  data = g_bytes_get_data (response->body, &len);
  if (type != NULL && strstr (type, "opds-progression") != NULL)
    self->flavour = KIOS_READIUM_FLAVOUR_OPDS;
  if (type != NULL && len > 0 && (strstr (type, "html") != NULL || strstr (type, "xml") != NULL))
    {
      g_autofree char *shown = kios_redact_url (response->effective_url != NULL ? response->effective_url : self->url);

      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "%s answered a web page instead of a reading position: is the catalog behind a web login?",
                   shown);
      return NULL;
    }
  progression = kios_readium_progression_parse (data, len, &flavour, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (len > 0)
    self->flavour = flavour;
  return progression;
}

gboolean
kios_readium_client_put (KiosReadiumClient            *self,
                         const KiosReadiumProgression *progression,
                         KiosReadiumPutResult         *result,
                         GCancellable                 *cancellable,
                         GError                      **error)
{
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autofree char             *body = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (progression != NULL, FALSE);

  if (result != NULL)
    *result = KIOS_READIUM_PUT_STORED;
  body = kios_readium_progression_to_json (progression, self->flavour);
  response = exchange (self, "PUT", body, cancellable, error);
  if (response == NULL)
    return FALSE;
  if (response->status >= 200 && response->status < 300)
    return TRUE;
  if (response->status == 409)
    {
      /* Komga: "Progression is older than existing" (also on equal
       * timestamps); the draft: progression-date. Not an error: the
       * server keeps what it has, which is at least as new. */
      if (result != NULL)
        *result = KIOS_READIUM_PUT_NOT_NEWER;
      return TRUE;
    }
  if (response->status == 405 || response->status == 501)
    {
      /* Stump routes only GET: its progression is read-only. */
      if (result != NULL)
        *result = KIOS_READIUM_PUT_READ_ONLY;
      return TRUE;
    }
  status_error (response, self->url, "store", error);
  return FALSE;
}
