/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-client"

#include "config.h"

#include "kios-kobo-client.h"

#include "kios-http.h"
#include "kios-json.h"
#include "kios-redact.h"

#include <math.h>
#include <string.h>

struct _KiosKoboClient
{
  char          *base_url; /* no trailing slash */
  char          *token;    /* the last path segment of base_url */
  KiosKoboFamily family;
  char          *image_template; /* relative to base_url, or NULL */
};

/* ------------------------------------------------------------------------ */
/* Families.                                                                */

const char *
kios_kobo_family_to_string (KiosKoboFamily family)
{
  switch (family)
    {
    case KIOS_KOBO_FAMILY_CALIBRE_WEB:
      return "calibre-web";
    case KIOS_KOBO_FAMILY_GRIMMORY:
      return "grimmory";
    case KIOS_KOBO_FAMILY_KOMGA:
      return "komga";
    case KIOS_KOBO_FAMILY_UNKNOWN:
    default:
      return "unknown";
    }
}

KiosKoboFamily
kios_kobo_family_from_string (const char *str)
{
  if (g_strcmp0 (str, "calibre-web") == 0)
    return KIOS_KOBO_FAMILY_CALIBRE_WEB;
  if (g_strcmp0 (str, "grimmory") == 0)
    return KIOS_KOBO_FAMILY_GRIMMORY;
  if (g_strcmp0 (str, "komga") == 0)
    return KIOS_KOBO_FAMILY_KOMGA;
  return KIOS_KOBO_FAMILY_UNKNOWN;
}

const char *
kios_kobo_family_describe (KiosKoboFamily family)
{
  switch (family)
    {
    case KIOS_KOBO_FAMILY_CALIBRE_WEB:
      return "Calibre-Web or Calibre-Web-Automated";
    case KIOS_KOBO_FAMILY_GRIMMORY:
      return "Grimmory or BookLore";
    case KIOS_KOBO_FAMILY_KOMGA:
      return "Komga";
    case KIOS_KOBO_FAMILY_UNKNOWN:
    default:
      return "an unrecognised Kobo sync server";
    }
}

gboolean
kios_kobo_family_needs_consent (KiosKoboFamily family)
{
  /* Komga keeps all sync state per token; the others per account, and an
   * unknown server is treated as the cautious case. */
  return family != KIOS_KOBO_FAMILY_KOMGA;
}

KiosKoboFamily
kios_kobo_family_guess_from_url (const char *base_url)
{
  if (base_url != NULL && strstr (base_url, "/api/kobo/") != NULL)
    return KIOS_KOBO_FAMILY_GRIMMORY;
  return KIOS_KOBO_FAMILY_UNKNOWN;
}

KiosKoboFamily
kios_kobo_family_recognise (const char *base_url,
                            const char *image_url_template)
{
  if (kios_kobo_family_guess_from_url (base_url) == KIOS_KOBO_FAMILY_GRIMMORY)
    return KIOS_KOBO_FAMILY_GRIMMORY;
  if (image_url_template != NULL && strstr (image_url_template, "/v1/books/{ImageId}/thumbnail/") != NULL)
    return KIOS_KOBO_FAMILY_KOMGA;
  return KIOS_KOBO_FAMILY_CALIBRE_WEB;
}

/* ------------------------------------------------------------------------ */
/* Time.                                                                    */

gint64
kios_kobo_parse_time (const char *text)
{
  g_autoptr (GTimeZone) utc = NULL;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char      *copy = NULL;
  gsize                 len;

  if (text == NULL || *text == '\0' || strlen (text) > 64)
    return 0;
  copy = g_strdup (text);
  len = strlen (copy);
  /* Grimmory also accepts "YYYY-MM-DD HH:MM:SS[.f]" as UTC. */
  if (len > 10 && copy[10] == ' ')
    copy[10] = 'T';
  utc = g_time_zone_new_utc ();
  dt = g_date_time_new_from_iso8601 (copy, utc);
  if (dt == NULL)
    return 0;
  return g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
}

char *
kios_kobo_format_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (unix_ms / 1000);
  g_autofree char      *base = NULL;

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (int) (unix_ms % 1000));
}

/* ------------------------------------------------------------------------ */
/* Records.                                                                 */

KiosKoboReadingState *
kios_kobo_reading_state_new (void)
{
  KiosKoboReadingState *self = g_new0 (KiosKoboReadingState, 1);

  self->progress_percent = -1;
  self->content_percent = -1;
  return self;
}

KiosKoboReadingState *
kios_kobo_reading_state_copy (const KiosKoboReadingState *self)
{
  KiosKoboReadingState *copy;

  if (self == NULL)
    return NULL;
  copy = g_memdup2 (self, sizeof *self);
  copy->entitlement_id = g_strdup (self->entitlement_id);
  copy->status = g_strdup (self->status);
  copy->source = g_strdup (self->source);
  copy->value = g_strdup (self->value);
  return copy;
}

void
kios_kobo_reading_state_free (KiosKoboReadingState *self)
{
  if (self == NULL)
    return;
  g_free (self->entitlement_id);
  g_free (self->status);
  g_free (self->source);
  g_free (self->value);
  g_free (self);
}

void
kios_kobo_sync_page_free (KiosKoboSyncPage *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->items, json_array_unref);
  g_free (self->token);
  g_free (self);
}

static const char *
object_string (JsonObject *o,
               const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonObject *
object_object (JsonObject *o,
               const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  return json_node_get_object (n);
}

static double
object_number (JsonObject *o,
               const char *name,
               double      fallback)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  GType     t;
  double    v;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return fallback;
  t = json_node_get_value_type (n);
  if (t == G_TYPE_DOUBLE)
    v = json_node_get_double (n);
  else if (t == G_TYPE_INT64)
    v = (double) json_node_get_int (n);
  else
    return fallback;
  if (!isfinite (v))
    return fallback;
  return CLAMP (v, 0.0, 100.0);
}

KiosKoboReadingState *
kios_kobo_reading_state_from_json (JsonObject *object)
{
  KiosKoboReadingState *self;
  JsonObject           *bookmark;
  JsonObject           *location;
  JsonObject           *status;

  if (object == NULL)
    return NULL;
  self = kios_kobo_reading_state_new ();
  self->entitlement_id = g_strdup (object_string (object, "EntitlementId"));
  status = object_object (object, "StatusInfo");
  self->status = g_strdup (object_string (status, "Status"));
  bookmark = object_object (object, "CurrentBookmark");
  if (bookmark != NULL)
    {
      self->bookmark_modified = kios_kobo_parse_time (object_string (bookmark, "LastModified"));
      self->progress_percent = object_number (bookmark, "ProgressPercent", -1);
      self->content_percent = object_number (bookmark, "ContentSourceProgressPercent", -1);
      location = object_object (bookmark, "Location");
      if (location != NULL)
        {
          const char *source = object_string (location, "Source");

          /* Sources are zip paths: drop a fragment and a leading slash. */
          if (source != NULL && *source != '\0')
            {
              g_autofree char *plain = g_strndup (source, strcspn (source, "#"));
              g_autofree char *decoded = g_uri_unescape_string (plain, NULL);
              const char      *s = decoded != NULL ? decoded : plain;

              while (*s == '/')
                s++;
              if (*s != '\0')
                self->source = g_strdup (s);
            }
          self->value = g_strdup (object_string (location, "Value"));
        }
    }
  return self;
}

/* ------------------------------------------------------------------------ */
/* The client.                                                              */

KiosKoboClient *
kios_kobo_client_new (const char *base_url,
                      GError    **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *base = NULL;
  KiosKoboClient  *self;
  const char      *scheme;
  const char      *slash;
  gsize            len;

  if (base_url == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, "No Kobo sync URL");
      return NULL;
    }
  base = g_strstrip (g_strdup (base_url));
  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  /* Registered before anything can print it. */
  kios_redact_register_secret (base);

  uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || scheme == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0) || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' || g_uri_get_query (uri) != NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                   "This is not a Kobo sync URL: paste the whole URL the server shows "
                   "(it looks like https://host/kobo/TOKEN)");
      return NULL;
    }
  slash = strrchr (g_uri_get_path (uri), '/');
  if (slash == NULL || strlen (slash + 1) < 3)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                   "The Kobo sync URL has no token at its end: copy the whole URL the server shows "
                   "(it looks like https://host/kobo/TOKEN)");
      return NULL;
    }

  self = g_new0 (KiosKoboClient, 1);
  self->base_url = g_steal_pointer (&base);
  self->token = g_strdup (slash + 1);
  kios_redact_register_secret (self->token);
  self->family = kios_kobo_family_guess_from_url (self->base_url);
  return self;
}

void
kios_kobo_client_free (KiosKoboClient *self)
{
  if (self == NULL)
    return;
  g_free (self->base_url);
  g_free (self->token);
  g_free (self->image_template);
  g_free (self);
}

const char *
kios_kobo_client_get_base_url (KiosKoboClient *self)
{
  return self->base_url;
}

char *
kios_kobo_client_get_label (KiosKoboClient *self)
{
  /* The URL with its token (the last segment) replaced: the whole URL is a
   * registered secret, so the redactor would hide all of it. The rest still
   * goes through it (userinfo). */
  g_autofree char *prefix = g_strndup (self->base_url, strlen (self->base_url) - strlen (self->token));
  g_autofree char *shown = g_strconcat (prefix, KIOS_REDACTED, NULL);

  return kios_redact_url (shown);
}

KiosKoboFamily
kios_kobo_client_get_family (KiosKoboClient *self)
{
  return self->family;
}

void
kios_kobo_client_set_family (KiosKoboClient *self,
                             KiosKoboFamily  family)
{
  self->family = family;
}

const char *
kios_kobo_client_get_image_template (KiosKoboClient *self)
{
  return self->image_template;
}

void
kios_kobo_client_set_image_template (KiosKoboClient *self,
                                     const char     *relative_template)
{
  g_free (self->image_template);
  self->image_template = g_strdup (relative_template);
}

/* The part of url after "/<token>", or NULL when the token is not a whole
 * path segment of it. */
static const char *
after_token (KiosKoboClient *self,
             const char     *url)
{
  gsize       tlen = strlen (self->token);
  const char *p = url;

  if (url == NULL || (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://")))
    return NULL;
  for (int guard = 0; guard < 64 && (p = strstr (p, self->token)) != NULL; guard++)
    {
      char next = p[tlen];

      if (p > url && p[-1] == '/' && (next == '/' || next == '?' || next == '\0'))
        return p + tlen;
      p++;
    }
  return NULL;
}

char *
kios_kobo_client_rewrite_url (KiosKoboClient *self,
                              const char     *url)
{
  const char *rest = after_token (self, url);

  if (rest == NULL)
    return NULL;
  return g_strconcat (self->base_url, rest, NULL);
}

/* Replaces {name} case-insensitively. */
static void
substitute (GString    *s,
            const char *name,
            const char *value)
{
  g_autofree char *needle = g_strdup_printf ("{%s}", name);
  gsize            nlen = strlen (needle);

  for (gsize i = 0; i + nlen <= s->len;)
    {
      if (g_ascii_strncasecmp (s->str + i, needle, nlen) == 0)
        {
          g_string_erase (s, i, nlen);
          g_string_insert (s, i, value);
          i += strlen (value);
        }
      else
        i++;
    }
}

char *
kios_kobo_client_cover_url (KiosKoboClient *self,
                            const char     *image_id,
                            int             width,
                            int             height)
{
  g_autoptr (GString) s = NULL;
  g_autofree char    *escaped = NULL;
  g_autofree char    *w = NULL;
  g_autofree char    *h = NULL;

  if (self->image_template == NULL || image_id == NULL || *image_id == '\0')
    return NULL;
  s = g_string_new (self->base_url);
  g_string_append (s, self->image_template);
  escaped = g_uri_escape_string (image_id, NULL, FALSE);
  w = g_strdup_printf ("%d", width);
  h = g_strdup_printf ("%d", height);
  substitute (s, "ImageId", escaped);
  substitute (s, "Width", w);
  substitute (s, "Height", h);
  substitute (s, "IsGreyscale", "false");
  substitute (s, "Quality", "100");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static KiosHttpRequest *
new_request (KiosKoboClient *self,
             const char     *method,
             const char     *url)
{
  KiosHttpRequest *request = kios_http_request_new (method, url);

  kios_http_request_add_header (request, "Accept", "application/json");
  request->timeout_ms = KIOS_KOBO_TIMEOUT_MS;
  /* A 307 points at storeapi.kobo.com: never follow it. */
  request->max_redirects = 0;
  return request;
}

static KiosHttpResponse *
send (KiosHttpRequest *request,
      GCancellable    *cancellable,
      GError         **error)
{
  g_autoptr (GError) local = NULL;
  KiosHttpResponse  *response = kios_http_send_sync (request, cancellable, &local);

  if (response != NULL)
    return response;
  if (local->domain != KIOS_HTTP_ERROR)
    {
      /* Cancelled, or the sink's own refusal (not a book, too large, disk full). */
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (g_error_matches (local, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE))
    {
      /* The server answered: too much, not unreachable. */
      g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE,
                   "The download is too large: Kios accepts up to %" G_GSIZE_FORMAT " MB",
                   request->max_response_size / (1024 * 1024));
      return NULL;
    }
  {
    g_autofree char *message = kios_redact_text (local->message);

    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK, "The Kobo sync server cannot be reached: %s",
                 message);
  }
  return NULL;
}

typedef enum {
  ROUTE_INIT,
  ROUTE_SYNC,
  ROUTE_STATE,
  ROUTE_DOWNLOAD,
} Route;

/* Maps a non-2xx status to the messages of KOBO.md §6.3. */
static gboolean
check_status (KiosKoboClient   *self,
              KiosHttpResponse *response,
              Route             route,
              GError          **error)
{
  guint status = response->status;

  if (status >= 200 && status < 300)
    return TRUE;
  if (status == 401)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                 "Token not accepted; copy the Kobo sync URL again (HTTP 401)");
  else if (status == 429)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                 "Wait a minute, then check the URL: the server refused too many attempts with a wrong token (HTTP 429)");
  else if (status == 403 && route != ROUTE_INIT && self->family == KIOS_KOBO_FAMILY_CALIBRE_WEB)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                 "Download permission needed: ask the admin to give your user the download role (HTTP 403)");
  else if (status == 403)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                 "Ask the admin to allow Kobo sync for your user (HTTP 403)");
  else if (status == 404 && route == ROUTE_INIT)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED,
                 "Enable Kobo sync on the server and restart it, or copy the URL again: nothing answers "
                 "Kobo sync at this URL (HTTP 404)");
  else if (status == 404)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                 "The server does not know this book (HTTP 404)");
  else if (status >= 300 && status < 400)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                 "The server does not have this and would send Kios to the Kobo store instead (HTTP %u)",
                 status);
  else if (status == 500 && route == ROUTE_SYNC && self->family == KIOS_KOBO_FAMILY_GRIMMORY)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED,
                 "Enable Kobo sync in your settings on the server: it refused the library sync (HTTP 500)");
  else if (status >= 500)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER, "The Kobo sync server failed (HTTP %u)",
                 status);
  else if (status == 400)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT,
                 "The server rejected what Kios sent (HTTP 400)");
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "Unexpected answer from the Kobo sync server (HTTP %u)", status);
  return FALSE;
}

static JsonNode *
parse_json (GBytes  *body,
            GError **error)
{
  g_autoptr (GError) local = NULL;
  JsonNode          *root = NULL;

  /* The one size and depth guard before json-glib (the body is already
   * bounded by the request's size limit). */
  if (g_bytes_get_size (body) > 0)
    root = kios_json_parse_bytes (body, G_MAXSSIZE, KIOS_JSON_DEFAULT_MAX_DEPTH, &local);
  if (root == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server did not answer with Kobo sync data: the URL probably points at a "
                   "catch-all route; copy the Kobo sync URL again");
      return NULL;
    }
  return root;
}

static char *
route_url (KiosKoboClient *self,
           const char     *path)
{
  return g_strconcat (self->base_url, path, NULL);
}

gboolean
kios_kobo_client_initialize (KiosKoboClient *self,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_autofree char             *url = route_url (self, "/v1/initialization");
  g_autoptr (KiosHttpRequest)  request = new_request (self, "GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (JsonNode)         root = NULL;
  JsonObject                  *resources;
  const char                  *image_template;
  const char                  *rest;

  response = send (request, cancellable, error);
  if (response == NULL || !check_status (self, response, ROUTE_INIT, error))
    return FALSE;
  root = parse_json (response->body, error);
  if (root == NULL)
    return FALSE;
  resources = JSON_NODE_HOLDS_OBJECT (root) ? object_object (json_node_get_object (root), "Resources") : NULL;
  if (resources == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server answered 200 without Kobo sync data (a catch-all route): this is not "
                   "the Kobo sync URL; copy it again from the server");
      return FALSE;
    }
  image_template = object_string (resources, "image_url_template");
  rest = after_token (self, image_template);
  g_clear_pointer (&self->image_template, g_free);
  if (rest != NULL && strlen (rest) < 512)
    self->image_template = g_strdup (rest);
  self->family = kios_kobo_family_recognise (self->base_url, image_template);
  return TRUE;
}

KiosKoboSyncPage *
kios_kobo_client_sync_page (KiosKoboClient *self,
                            const char     *sync_token,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_autofree char             *url = route_url (self, "/v1/library/sync");
  g_autoptr (KiosHttpRequest)  request = new_request (self, "GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (JsonNode)         root = NULL;
  g_autoptr (KiosKoboSyncPage) page = NULL;
  const char                  *token;
  const char                  *more;
  JsonArray                   *array;

  if (sync_token != NULL && *sync_token != '\0')
    kios_http_request_add_header (request, "x-kobo-synctoken", sync_token);
  response = send (request, cancellable, error);
  if (response == NULL || !check_status (self, response, ROUTE_SYNC, error))
    return NULL;
  root = parse_json (response->body, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The library sync answered something that is not a list of changes "
                   "(a catch-all route?): copy the Kobo sync URL again");
      return NULL;
    }

  page = g_new0 (KiosKoboSyncPage, 1);
  page->items = json_array_new ();
  array = json_node_get_array (root);
  /* A failed Kobo-store reply can inject junk: keep objects only. */
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (element))
        json_array_add_element (page->items, json_node_copy (element));
    }
  token = kios_http_response_get_header (response, "x-kobo-synctoken");
  if (token != NULL && *token != '\0' && strlen (token) < KIOS_LIMIT_KOBO_SYNC_TOKEN_BYTES)
    page->token = g_strdup (token);
  more = kios_http_response_get_header (response, "x-kobo-sync");
  if (more != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (more));

      /* Grimmory always sends the header, empty when done. */
      page->more = g_ascii_strcasecmp (trimmed, "continue") == 0;
    }
  return g_steal_pointer (&page);
}

GBytes *
kios_kobo_client_fetch (KiosKoboClient *self,
                        const char     *url,
                        gsize           max_size,
                        GCancellable   *cancellable,
                        GError        **error)
{
  g_autofree char             *target = kios_kobo_client_rewrite_url (self, url);
  g_autoptr (KiosHttpRequest)  request = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;

  if (target == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server offered a download link that is not on this Kobo sync URL");
      return NULL;
    }
  request = new_request (self, "GET", target);
  g_ptr_array_set_size (request->headers, 0);
  request->max_response_size = max_size > 0 ? max_size : KIOS_KOBO_MAX_BOOK_SIZE;
  request->timeout_ms = KIOS_LIMIT_KOBO_DOWNLOAD_MS;
  response = send (request, cancellable, error);
  if (response == NULL || !check_status (self, response, ROUTE_DOWNLOAD, error))
    return NULL;
  return g_bytes_ref (response->body);
}

gboolean
kios_kobo_client_download (KiosKoboClient *self,
                           const char     *url,
                           GOutputStream  *sink,
                           guint64         max_size,
                           GCancellable   *cancellable,
                           GError        **error)
{
  g_autofree char             *target = kios_kobo_client_rewrite_url (self, url);
  g_autoptr (KiosHttpRequest)  request = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;

  if (target == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server offered a download link that is not on this Kobo sync URL");
      return FALSE;
    }
  request = new_request (self, "GET", target);
  g_ptr_array_set_size (request->headers, 0);
  request->max_response_size = max_size > 0 ? (gsize) max_size : KIOS_KOBO_MAX_BOOK_SIZE;
  /* Streamed: a big book may take long, only a stalled transfer fails. */
  request->timeout_ms = 0;
  request->stall_timeout_ms = KIOS_LIMIT_KOBO_DOWNLOAD_STALL_MS;
  kios_http_request_set_sink (request, sink);
  response = send (request, cancellable, error);
  return response != NULL && check_status (self, response, ROUTE_DOWNLOAD, error);
}

/* ------------------------------------------------------------------------ */
/* Reading state.                                                           */

static gboolean
state_has_bookmark (const KiosKoboReadingState *state)
{
  return state->source != NULL || state->progress_percent >= 0 || state->content_percent >= 0;
}

KiosKoboReadingState *
kios_kobo_client_get_state (KiosKoboClient *self,
                            const char     *entitlement_id,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_autofree char                 *escaped = g_uri_escape_string (entitlement_id, NULL, FALSE);
  g_autofree char                 *path = g_strdup_printf ("/v1/library/%s/state", escaped);
  g_autofree char                 *url = route_url (self, path);
  g_autoptr (KiosHttpRequest)      request = new_request (self, "GET", url);
  g_autoptr (KiosHttpResponse)     response = NULL;
  g_autoptr (JsonNode)             root = NULL;
  g_autoptr (KiosKoboReadingState) state = NULL;
  JsonObject                      *object = NULL;

  response = send (request, cancellable, error);
  if (response == NULL || !check_status (self, response, ROUTE_STATE, error))
    return NULL;
  /* Old BookLore answers an empty body when there is nothing. */
  if (g_bytes_get_size (response->body) == 0 && self->family == KIOS_KOBO_FAMILY_GRIMMORY)
    return NULL;
  root = parse_json (response->body, error);
  if (root == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      if (json_array_get_length (array) == 0)
        return NULL;
      if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, 0)))
        object = json_array_get_object_element (array, 0);
    }
  else if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *wrapper = json_node_get_object (root);
      JsonNode   *states = json_object_get_member (wrapper, "ReadingStates");

      if (states != NULL && JSON_NODE_HOLDS_ARRAY (states))
        {
          JsonArray *array = json_node_get_array (states);

          if (json_array_get_length (array) == 0)
            return NULL;
          if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, 0)))
            object = json_array_get_object_element (array, 0);
        }
      else if (json_object_get_size (wrapper) == 0)
        {
          /* CW's answer for a book it does not know or hides, and any catch-all's. */
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                       "The server does not know this book (it answered {})");
          return NULL;
        }
    }
  if (object == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server answered the reading state with something else");
      return NULL;
    }
  state = kios_kobo_reading_state_from_json (object);
  if (!state_has_bookmark (state))
    return NULL;
  if (state->entitlement_id == NULL)
    state->entitlement_id = g_strdup (entitlement_id);
  return g_steal_pointer (&state);
}

char *
kios_kobo_build_state_body (KiosKoboFamily              family,
                            const KiosKoboReadingState *state)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode)    root = NULL;
  g_autofree char        *t = kios_kobo_format_time (state->bookmark_modified);
  const char             *status = state->status != NULL ? state->status : "Reading";

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ReadingStates");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  /* Grimmory keys the state by this id; Komga wants it non-null. */
  json_builder_set_member_name (b, "EntitlementId");
  json_builder_add_string_value (b, state->entitlement_id);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, t);
  json_builder_set_member_name (b, "PriorityTimestamp");
  json_builder_add_string_value (b, t);
  json_builder_set_member_name (b, "StatusInfo");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, t);
  json_builder_set_member_name (b, "Status");
  json_builder_add_string_value (b, status);
  json_builder_end_object (b);
  /* null keeps the Kobo's own reading statistics; Komga requires an object. */
  json_builder_set_member_name (b, "Statistics");
  if (family == KIOS_KOBO_FAMILY_KOMGA)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "LastModified");
      json_builder_add_string_value (b, t);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  /* CW wants every key present, CWA a non-null bookmark, Komga a Location
   * with Source and the chapter percentage. */
  json_builder_set_member_name (b, "CurrentBookmark");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, t);
  json_builder_set_member_name (b, "ProgressPercent");
  json_builder_add_double_value (b, CLAMP (state->progress_percent, 0.0, 100.0));
  json_builder_set_member_name (b, "ContentSourceProgressPercent");
  json_builder_add_double_value (b, CLAMP (state->content_percent, 0.0, 100.0));
  json_builder_set_member_name (b, "Location");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Value");
  if (state->value != NULL && *state->value != '\0')
    json_builder_add_string_value (b, state->value);
  else if (family == KIOS_KOBO_FAMILY_KOMGA)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, "kobo.1.1"); /* empty makes CW drop the Location */
  json_builder_set_member_name (b, "Type");
  json_builder_add_string_value (b, "KoboSpan");
  json_builder_set_member_name (b, "Source");
  json_builder_add_string_value (b, state->source != NULL ? state->source : "");
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

double
kios_kobo_snap_progress (double progress,
                         gsize  file_size)
{
  double n = MAX (1.0, ceil ((double) file_size / 1024.0));
  double max;

  if (!isfinite (progress) || progress <= 0 || n <= 1)
    return 0;
  max = (n - 1.5) / n;
  if (max <= 0)
    return 0;
  return MIN (progress, max);
}

gboolean
kios_kobo_state_matches (KiosKoboFamily              family,
                         const KiosKoboReadingState *sent,
                         const KiosKoboReadingState *stored)
{
  if (stored == NULL || g_strcmp0 (sent->source, stored->source) != 0)
    return FALSE;
  switch (family)
    {
    case KIOS_KOBO_FAMILY_KOMGA:
      /* Komga honours our timestamp, snaps the chapter progression down to
       * its grid and recomputes the whole-book percentage itself. */
      return stored->bookmark_modified / 1000 >= sent->bookmark_modified / 1000 && stored->content_percent >= 0 && stored->content_percent <= sent->content_percent + 0.01;
    case KIOS_KOBO_FAMILY_GRIMMORY:
      /* Timestamps decide; percentages are stored as integers. */
      return stored->bookmark_modified / 1000 >= sent->bookmark_modified / 1000 && fabs (stored->progress_percent - sent->progress_percent) < 1.0;
    case KIOS_KOBO_FAMILY_CALIBRE_WEB:
    case KIOS_KOBO_FAMILY_UNKNOWN:
    default:
      /* The server stamps its own time: compare what it stored verbatim. */
      return fabs (stored->progress_percent - sent->progress_percent) < 0.01 && fabs (stored->content_percent - sent->content_percent) < 0.01 && g_strcmp0 (stored->value, sent->value != NULL ? sent->value : "kobo.1.1") == 0;
    }
}

static const char *
find_result (JsonObject *object)
{
  g_autoptr (GList) members = json_object_get_members (object);

  /* Grimmory most likely answers in lowerCamelCase. */
  for (GList *it = members; it != NULL; it = it->next)
    if (g_ascii_strcasecmp (it->data, "RequestResult") == 0)
      return object_string (object, it->data);
  return NULL;
}

gboolean
kios_kobo_client_put_state (KiosKoboClient             *self,
                            const KiosKoboReadingState *state,
                            KiosKoboReadingState      **stored,
                            GCancellable               *cancellable,
                            GError                    **error)
{
  g_autofree char                 *escaped = g_uri_escape_string (state->entitlement_id, NULL, FALSE);
  g_autofree char                 *path = g_strdup_printf ("/v1/library/%s/state", escaped);
  g_autofree char                 *url = route_url (self, path);
  g_autofree char                 *body = kios_kobo_build_state_body (self->family, state);
  g_autoptr (KiosHttpRequest)      request = new_request (self, "PUT", url);
  g_autoptr (KiosHttpResponse)     response = NULL;
  g_autoptr (KiosKoboReadingState) back = NULL;
  g_autoptr (GBytes)               bytes = g_bytes_new_take (g_strdup (body), strlen (body));
  g_autoptr (GError)               get_error = NULL;
  gboolean                         failure = FALSE;

  if (stored != NULL)
    *stored = NULL;
  kios_http_request_set_body (request, "application/json", bytes);
  response = send (request, cancellable, error);
  if (response == NULL || !check_status (self, response, ROUTE_STATE, error))
    return FALSE;
  if (g_bytes_get_size (response->body) > 0)
    {
      g_autoptr (JsonNode) root = parse_json (response->body, NULL);

      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        {
          JsonObject *object = json_node_get_object (root);
          const char *result = find_result (object);

          if (json_object_get_size (object) == 0)
            {
              g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                           "The server does not know this book (it answered {} to the new position)");
              return FALSE;
            }
          failure = result != NULL && g_ascii_strcasecmp (result, "Success") != 0;
        }
    }

  /* Trust nothing but a read-back: Grimmory answers Success for a part it
   * dropped as older, Komga answers Failure with 200. */
  back = kios_kobo_client_get_state (self, state->entitlement_id, cancellable, &get_error);
  if (get_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&get_error),
                                  "The server took the position but cannot show it back: ");
      return FALSE;
    }
  if (!kios_kobo_state_matches (self->family, state, back))
    {
      g_autofree char *theirs = NULL;

      if (back != NULL && back->source != NULL)
        theirs = g_strdup_printf ("it keeps “%s” at %.0f %%", back->source, MAX (back->progress_percent, 0));
      else if (back != NULL)
        theirs = g_strdup_printf ("it keeps %.0f %%", MAX (back->progress_percent, 0));
      else
        theirs = g_strdup ("it keeps no position");
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT,
                   "The server answered “%s” but did not store this position (%s); "
                   "it probably holds a newer one from another device",
                   failure ? "Failure" : "Success", theirs);
      if (stored != NULL)
        *stored = g_steal_pointer (&back);
      return FALSE;
    }
  if (stored != NULL)
    *stored = g_steal_pointer (&back);
  return TRUE;
}
