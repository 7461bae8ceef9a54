/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kosync-client"

#include "config.h"

#include "kios-kosync-client-private.h"
#include "kios-kosync-client.h"

#include "kios-http.h"
#include "kios-json.h"
#include "kios-limits.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <math.h>
#include <string.h>

/* Probes are a diagnosis, not sync: keep them short. */
#define PROBE_TIMEOUT_MS KIOS_LIMIT_KOSYNC_PROBE_MS
#define MAX_JSON_SIZE KIOS_LIMIT_KOSYNC_JSON_BYTES
#define MAX_JSON_DEPTH KIOS_LIMIT_KOSYNC_JSON_DEPTH

#define MSG_WRONG_URL                                                                \
  "The KOReader sync URL must be the full base including the server's sub-path — " \
  "/kosync on Calibre-Web-Automated, /api/koreader on Grimmory and BookLore. "       \
  "A bare host name can look connected and then fail on every sync."
#define MSG_BOOK_NOT_FOUND                                                                    \
  "The server says “book not found”. KOReader sync matches by file hash, so the copy in " \
  "Kios must be byte-identical to the server's. Download it through the server's catalog "    \
  "rather than importing a different copy."
#define MSG_AUTH \
  "The server refused the username or password. Check them in Settings → Progress sync."

struct _KiosKosyncClient
{
  GObject parent_instance;

  char          *base_url; /* trailing slashes stripped */
  KiosKosyncAuth auth;
  char          *username;
  char          *password;
  char          *device;
  char          *device_id;
  guint          timeout_ms; /* 0: KIOS_HTTP_DEFAULT_TIMEOUT_MS */
};

G_DEFINE_FINAL_TYPE (KiosKosyncClient, kios_kosync_client, G_TYPE_OBJECT)

typedef KiosKosyncRoute Route;
#define ROUTE_AUTH KIOS_KOSYNC_ROUTE_AUTH
#define ROUTE_PUSH KIOS_KOSYNC_ROUTE_PUSH
#define ROUTE_PULL KIOS_KOSYNC_ROUTE_PULL

static void
kios_kosync_client_finalize (GObject *object)
{
  KiosKosyncClient *self = KIOS_KOSYNC_CLIENT (object);

  g_free (self->base_url);
  g_free (self->username);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->device);
  g_free (self->device_id);

  G_OBJECT_CLASS (kios_kosync_client_parent_class)->finalize (object);
}

static void
kios_kosync_client_class_init (KiosKosyncClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_kosync_client_finalize;
}

static void
kios_kosync_client_init (KiosKosyncClient *self)
{
  self->device = g_strdup ("Kios");
}

const char *
kios_kosync_auth_to_string (KiosKosyncAuth auth)
{
  return auth == KIOS_KOSYNC_AUTH_BASIC ? "basic" : "headers";
}

gboolean
kios_kosync_auth_from_string (const char     *str,
                              KiosKosyncAuth *auth)
{
  if (g_strcmp0 (str, "headers") == 0)
    *auth = KIOS_KOSYNC_AUTH_HEADERS;
  else if (g_strcmp0 (str, "basic") == 0)
    *auth = KIOS_KOSYNC_AUTH_BASIC;
  else
    return FALSE;
  return TRUE;
}

double
kios_kosync_floor_percentage (double percentage)
{
  if (!isfinite (percentage) || percentage <= 0)
    return 0;
  if (percentage >= 1)
    return 1;
  return floor (percentage * 10000) / 10000;
}

gint64
kios_kosync_parse_timestamp (JsonNode *node)
{
  double value = 0;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      value = (double) json_node_get_int (node);
      break;
    case G_TYPE_DOUBLE:
      value = json_node_get_double (node);
      break;
    case G_TYPE_STRING:
      {
        const char           *text = json_node_get_string (node);
        g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
        g_autoptr (GDateTime) dt = NULL;
        char                 *end = NULL;

        if (text == NULL || *text == '\0')
          return 0;
        value = g_ascii_strtod (text, &end);
        if (end != NULL && *end == '\0' && end != text)
          break;
        /* Kavita's DateTime: ISO 8601, UTC when it names no zone. */
        dt = g_date_time_new_from_iso8601 (text, utc);
        return dt != NULL ? MAX (g_date_time_to_unix (dt), 0) : 0;
      }
    default:
      return 0;
    }

  if (!isfinite (value) || value <= 0)
    return 0;
  /* Stump sends milliseconds: no plausible seconds value is above 10^11. */
  if (value > 1e11)
    value /= 1000;
  if (value > 1e11)
    return 0;
  return (gint64) value;
}

static gboolean
is_route_word (const char *segment)
{
  return g_str_equal (segment, "users") || g_str_equal (segment, "syncs") || g_str_equal (segment, "healthcheck") || *segment == '\0';
}

gboolean
kios_kosync_url_has_key (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  g_auto (GStrv)   segments = NULL;

  if (url == NULL)
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  if (g_uri_get_userinfo (uri) != NULL)
    return TRUE;
  segments = g_strsplit (g_uri_get_path (uri), "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    if (g_ascii_strcasecmp (segments[i], "koreader") == 0 && segments[i + 1] != NULL && !is_route_word (segments[i + 1]))
      return TRUE;
  return FALSE;
}

const char *
kios_kosync_guess_server (const char     *url,
                          KiosKosyncAuth *auth)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  g_auto (GStrv)   segments = NULL;
  GPtrArray       *parts;
  const char      *name = NULL;
  KiosKosyncAuth   method = KIOS_KOSYNC_AUTH_HEADERS;
  guint            n;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;

  /* The path's non-empty segments. */
  segments = g_strsplit (g_uri_get_path (uri), "/", -1);
  parts = g_ptr_array_new ();
  for (guint i = 0; segments[i] != NULL; i++)
    if (*segments[i] != '\0')
      g_ptr_array_add (parts, segments[i]);
  n = parts->len;

  if (n == 0)
    name = "koreader-sync-server";
  else if (g_ascii_strcasecmp (parts->pdata[n - 1], "kosync") == 0)
    {
      name = "Calibre-Web-Automated";
      method = KIOS_KOSYNC_AUTH_BASIC;
    }
  else if (n >= 2 && g_ascii_strcasecmp (parts->pdata[n - 1], "koreader") == 0 && g_ascii_strcasecmp (parts->pdata[n - 2], "api") == 0)
    name = "Grimmory / BookLore";
  else if (g_ascii_strcasecmp (parts->pdata[n - 1], "koreader") == 0)
    name = "Komga";
  else if (n >= 3 && g_ascii_strcasecmp (parts->pdata[n - 2], "koreader") == 0 && g_ascii_strcasecmp (parts->pdata[n - 3], "api") == 0)
    name = "Kavita";
  else if (n >= 2 && g_ascii_strcasecmp (parts->pdata[n - 2], "koreader") == 0)
    name = "Stump";

  g_ptr_array_unref (parts);
  if (name != NULL && auth != NULL)
    *auth = method;
  return name;
}

KiosRemotePosition *
kios_remote_position_copy (const KiosRemotePosition *self)
{
  KiosRemotePosition *copy;

  if (self == NULL)
    return NULL;
  copy = g_new0 (KiosRemotePosition, 1);
  copy->document = g_strdup (self->document);
  copy->progress = g_strdup (self->progress);
  copy->percentage = self->percentage;
  copy->device = g_strdup (self->device);
  copy->device_id = g_strdup (self->device_id);
  copy->timestamp = self->timestamp;
  return copy;
}

void
kios_remote_position_free (KiosRemotePosition *self)
{
  if (self == NULL)
    return;
  g_free (self->document);
  g_free (self->progress);
  g_free (self->device);
  g_free (self->device_id);
  g_free (self);
}

static char *
strip_base (const char *url)
{
  char *base = g_strstrip (g_strdup (url));
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return base;
}

static void
register_secrets (KiosKosyncClient *self)
{
  if (self->password != NULL && *self->password != '\0')
    {
      g_autofree char *md5 = g_compute_checksum_for_string (G_CHECKSUM_MD5, self->password, -1);
      g_autofree char *pair = g_strdup_printf ("%s:%s", self->username != NULL ? self->username : "",
                                               self->password);
      g_autofree char *basic = g_base64_encode ((const guchar *) pair, strlen (pair));

      kios_redact_register_secret (self->password);
      kios_redact_register_secret (md5);
      kios_redact_register_secret (basic);
    }
  /* Komga's "username" is an API key: anything key-sized is treated as one. */
  if (self->username != NULL && strlen (self->username) >= 16)
    kios_redact_register_secret (self->username);
  if (kios_kosync_url_has_key (self->base_url))
    {
      g_autoptr (GUri) uri = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
      const char      *path = uri != NULL ? g_uri_get_path (uri) : NULL;
      const char      *last = path != NULL ? strrchr (path, '/') : NULL;

      if (last != NULL && strlen (last + 1) >= 3)
        kios_redact_register_secret (last + 1);
    }
}

KiosKosyncClient *
kios_kosync_client_new (const char    *base_url,
                        KiosKosyncAuth auth,
                        const char    *username,
                        const char    *password)
{
  KiosKosyncClient *self;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (KIOS_TYPE_KOSYNC_CLIENT, NULL);
  self->base_url = strip_base (base_url);
  self->auth = auth;
  self->username = g_strdup (username);
  self->password = g_strdup (password);
  register_secrets (self);
  return self;
}

void
kios_kosync_client_set_device (KiosKosyncClient *self,
                               const char       *device,
                               const char       *device_id)
{
  g_return_if_fail (KIOS_IS_KOSYNC_CLIENT (self));

  g_free (self->device);
  self->device = g_strdup (device != NULL && *device != '\0' ? device : "Kios");
  /* CWA rejects device names and ids over 100 characters. */
  if (g_utf8_strlen (self->device, -1) > 100)
    {
      char *cut = g_utf8_substring (self->device, 0, 100);
      g_free (self->device);
      self->device = cut;
    }
  g_free (self->device_id);
  self->device_id = device_id != NULL ? g_strndup (device_id, 100) : NULL;
}

void
kios_kosync_client_set_timeout (KiosKosyncClient *self,
                                guint             timeout_ms)
{
  g_return_if_fail (KIOS_IS_KOSYNC_CLIENT (self));

  self->timeout_ms = timeout_ms;
}

const char *
kios_kosync_client_get_base_url (KiosKosyncClient *self)
{
  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (self), NULL);
  return self->base_url;
}

KiosKosyncAuth
kios_kosync_client_get_auth (KiosKosyncClient *self)
{
  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (self), KIOS_KOSYNC_AUTH_HEADERS);
  return self->auth;
}

static KiosHttpRequest *
build_request (KiosKosyncClient *self,
               const char       *base_url,
               KiosKosyncAuth    auth,
               const char       *method,
               const char       *route)
{
  g_autofree char *url = g_strconcat (base_url, route, NULL);
  KiosHttpRequest *request = kios_http_request_new (method, url);

  if (self->timeout_ms > 0)
    request->timeout_ms = self->timeout_ms;
  /* Exactly this value: the official server rejects anything else with 412. */
  kios_http_request_add_header (request, "Accept", KIOS_KOSYNC_ACCEPT);

  if (auth == KIOS_KOSYNC_AUTH_BASIC)
    {
      /* libcurl builds the header, and only for the server's own origin. */
      kios_http_request_set_auth (request, KIOS_HTTP_AUTH_BASIC, self->username != NULL ? self->username : "",
                                  self->password != NULL ? self->password : "");
    }
  else if (self->username != NULL && *self->username != '\0')
    {
      /* KOReader sends md5 (password) and the servers compare that string. */
      g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_MD5,
                                                            self->password != NULL ? self->password : "", -1);
      kios_http_request_add_header (request, "x-auth-user", self->username);
      kios_http_request_add_header (request, "x-auth-key", key);
    }
  return request;
}

/* The body as a JSON object, or NULL (not JSON, too large or deep, not an
 * object). *root_out keeps the tree alive. */
static JsonObject *
parse_object (GBytes    *body,
              JsonNode **root_out)
{
  JsonNode *root = kios_json_parse_bytes (body, MAX_JSON_SIZE, MAX_JSON_DEPTH, NULL);

  *root_out = NULL;
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_clear_pointer (&root, json_node_unref);
      return NULL;
    }
  *root_out = root;
  return json_node_get_object (root);
}

static const char *
object_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
object_number (JsonObject *object,
               const char *name,
               double     *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  GType     type;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
    {
      *out = json_node_get_double (node);
      return isfinite (*out);
    }
  return FALSE;
}

static gint64
object_int (JsonObject *object,
            const char *name,
            gint64      fallback)
{
  double value;

  return object_number (object, name, &value) ? kios_json_number_to_int (value, G_MININT64, G_MAXINT64, fallback) : fallback;
}

static gboolean
body_contains (GBytes     *body,
               const char *needle)
{
  gsize            len = 0;
  const char      *data = g_bytes_get_data (body, &len);
  g_autofree char *text = NULL;
  g_autofree char *lower = NULL;
  g_autofree char *lower_needle = g_ascii_strdown (needle, -1);

  if (data == NULL || len == 0)
    return FALSE;
  text = g_strndup (data, MIN (len, 4096));
  lower = g_ascii_strdown (text, -1);
  return strstr (lower, lower_needle) != NULL;
}

static gboolean
looks_like_html (const KiosHttpResponse *response)
{
  const char *type = kios_http_response_get_header (response, "Content-Type");

  return (type != NULL && g_ascii_strncasecmp (type, "text/html", 9) == 0) || body_contains (response->body, "<html") || body_contains (response->body, "<!doctype");
}

static void
set_network_error (GError **error,
                   GError  *http_error)
{
  KiosSyncError code = KIOS_SYNC_ERROR_NETWORK;

  if (g_error_matches (http_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, http_error);
      return;
    }
  /* A reply too big or redirecting forever is not "offline": it is not a
   * KOReader sync server (retrying will not help). */
  if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE) || g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS))
    code = KIOS_SYNC_ERROR_PROTOCOL;
  else if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL))
    code = KIOS_SYNC_ERROR_WRONG_URL;
  /* A server that hangs is not a dead one: say which. */
  else if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT))
    code = KIOS_SYNC_ERROR_TIMEOUT;

  if (code == KIOS_SYNC_ERROR_NETWORK)
    g_set_error (error, KIOS_SYNC_ERROR, code, "Cannot reach the sync server: %s", http_error->message);
  else if (code == KIOS_SYNC_ERROR_TIMEOUT)
    g_set_error (error, KIOS_SYNC_ERROR, code, "The sync server did not answer in time: %s", http_error->message);
  else
    g_set_error (error, KIOS_SYNC_ERROR, code, "The sync server's reply is unusable: %s", http_error->message);
  g_error_free (http_error);
}

/* Maps a non-success response to the error the UI can act on. */
static void
classify_failure (const KiosHttpResponse *response,
                  Route                   route,
                  GError                **error)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject          *object = parse_object (response->body, &root);
  guint                status = response->status;
  gint64               code = object_int (object, "code", object_int (object, "error", 0));
  const char          *message = object_string (object, "message");

  if (status == 401 && message != NULL && strstr (message, "disabled") != NULL)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED,
                 "Sync is disabled for this KOReader user on the server. "
                 "Enable it in the server's KOReader settings.");
  else if (status == 401 || status == 403 || (status == 400 && code == 2001))
    {
      if (status == 403 && (code == 2003 || code == 2004))
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT,
                     "The server rejected the request fields (HTTP 403, code %" G_GINT64_FORMAT ")", code);
      else
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "%s (HTTP %u)", MSG_AUTH, status);
    }
  else if (status == 503 && code == 1000)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED,
                 "KOReader sync is disabled on the server. Enable it in the server's settings "
                 "(Calibre-Web-Automated: the KOReader sync setting).");
  else if (status >= 500)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER,
                 "The sync server had an internal error (HTTP %u); Kios will try again later.", status);
  else if (status == 412)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT,
                 "The server rejected the request's Accept header (HTTP 412)");
  else if (status == 409)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT,
                 "The server has more than one book with this file hash (HTTP 409).");
  else if (route != ROUTE_AUTH && (status == 404 || status == 400) && !looks_like_html (response) && (status == 400 ? (object == NULL || body_contains (response->body, "not found")) : (object != NULL || body_contains (response->body, "not found"))))
    /* Grimmory/Komga/Stump 404 JSON, Kavita's 400 with a bare message. */
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND, "%s", MSG_BOOK_NOT_FOUND);
  else if (status == 400)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT,
                 "The server rejected the request (HTTP 400%s%s)", message != NULL ? ": " : "",
                 message != NULL ? message : "");
  else if (status == 404 || (status >= 300 && status < 400) || looks_like_html (response))
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                 "No KOReader sync server answers at this URL (HTTP %u). %s", status, MSG_WRONG_URL);
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "The server's reply is not KOReader sync (HTTP %u). %s", status, MSG_WRONG_URL);
}

static KiosHttpResponse *
send (KiosHttpRequest *request,
      GCancellable    *cancellable,
      GError         **error)
{
  GError           *http_error = NULL;
  KiosHttpResponse *response = kios_http_send_sync (request, cancellable, &http_error);

  if (response == NULL)
    set_network_error (error, http_error);
  return response;
}

static gboolean
check_auth_at (KiosKosyncClient *self,
               const char       *base_url,
               KiosKosyncAuth    auth,
               guint             timeout_ms,
               GCancellable     *cancellable,
               GError          **error)
{
  g_autoptr (KiosHttpRequest)  request = build_request (self, base_url, auth, "GET", "/users/auth");
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (JsonNode)         root = NULL;
  JsonObject                  *object;
  const char                  *authorized;

  request->timeout_ms = self->timeout_ms > 0 ? MIN (timeout_ms, self->timeout_ms) : timeout_ms;
  response = send (request, cancellable, error);
  if (response == NULL)
    return FALSE;

  if (response->status != 200)
    {
      classify_failure (response, ROUTE_AUTH, error);
      return FALSE;
    }

  /* 200 alone proves nothing: a login page or an SPA index answers 200 too. */
  object = parse_object (response->body, &root);
  authorized = object_string (object, "authorized");
  if ((authorized != NULL && g_ascii_strcasecmp (authorized, "OK") == 0) || object_string (object, "username") != NULL)
    return TRUE;

  if (looks_like_html (response) || object == NULL)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                 "The server answered with a web page, not KOReader sync. %s", MSG_WRONG_URL);
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "The server's reply to the login check is not KOReader sync. %s", MSG_WRONG_URL);
  return FALSE;
}

gboolean
kios_kosync_client_check_auth_sync (KiosKosyncClient *self,
                                    GCancellable     *cancellable,
                                    GError          **error)
{
  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (self), FALSE);

  return check_auth_at (self, self->base_url, self->auth, KIOS_HTTP_DEFAULT_TIMEOUT_MS,
                        cancellable, error);
}

/* The usual mounts on the same host, most specific first. */
static GPtrArray *
probe_candidates (const char *base_url)
{
  g_autoptr (GUri)         uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  GPtrArray               *candidates = g_ptr_array_new_with_free_func (g_free);
  g_autofree char         *host = NULL;
  g_autofree char         *key = NULL;
  static const char *const mounts[] = { "/kosync", "/api/koreader", "/koreader", "" };

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return candidates;

  if (g_uri_get_port (uri) > 0)
    host = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), g_uri_get_host (uri), g_uri_get_port (uri));
  else
    host = g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), g_uri_get_host (uri));

  /* A last path segment that is no mount name may be an API key typed with
   * the wrong prefix (Kavita /api/koreader/KEY, Stump /koreader/KEY). */
  {
    const char *path = g_uri_get_path (uri);
    const char *last = strrchr (path, '/');

    if (last != NULL && strlen (last + 1) >= 8 && !g_str_equal (last + 1, "kosync") && !g_str_equal (last + 1, "koreader"))
      key = g_strdup (last + 1);
  }

  for (guint i = 0; i < G_N_ELEMENTS (mounts); i++)
    {
      if (key != NULL && (g_str_equal (mounts[i], "/api/koreader") || g_str_equal (mounts[i], "/koreader")))
        {
          char *with_key = g_strdup_printf ("%s%s/%s", host, mounts[i], key);
          if (!g_str_equal (with_key, base_url))
            g_ptr_array_add (candidates, with_key);
          else
            g_free (with_key);
        }
      {
        char *candidate = g_strconcat (host, mounts[i], NULL);
        if (!g_str_equal (candidate, base_url))
          g_ptr_array_add (candidates, candidate);
        else
          g_free (candidate);
      }
    }
  return candidates;
}

static char *
probe (KiosKosyncClient *self,
       GCancellable     *cancellable)
{
  g_autoptr (GPtrArray) candidates = probe_candidates (self->base_url);

  for (guint i = 0; i < candidates->len; i++)
    {
      const char        *candidate = candidates->pdata[i];
      g_autoptr (GError) probe_error = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        return NULL;
      /* A right-shaped answer, or a KOReader-shaped refusal of these
       * credentials, both prove that KOReader sync lives there. */
      if (check_auth_at (self, candidate, self->auth, PROBE_TIMEOUT_MS, cancellable, &probe_error) || g_error_matches (probe_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH) || g_error_matches (probe_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED))
        return g_strdup (candidate);
    }
  return NULL;
}

gboolean
kios_kosync_client_test_sync (KiosKosyncClient *self,
                              char            **suggested_url,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autoptr (GError) first = NULL;

  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (self), FALSE);

  if (suggested_url != NULL)
    *suggested_url = NULL;

  if (kios_kosync_client_check_auth_sync (self, cancellable, &first))
    {
      g_autoptr (KiosRemotePosition) remote = NULL;
      g_autoptr (GError)             progress_error = NULL;

      /* Some servers accept the login route but refuse progress (Grimmory's
       * per-user sync switch): ask for a book nobody has, where "none" or
       * "book not found" both mean the route works. */
      remote = kios_kosync_client_pull_sync (self, "00000000000000000000000000000000", cancellable,
                                             &progress_error);
      if (progress_error != NULL && (g_error_matches (progress_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || g_error_matches (progress_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH) || g_error_matches (progress_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED) || g_error_matches (progress_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL)))
        {
          g_propagate_error (error, g_steal_pointer (&progress_error));
          return FALSE;
        }
      return TRUE;
    }

  if (first->domain != KIOS_SYNC_ERROR || first->code == KIOS_SYNC_ERROR_NETWORK || first->code == KIOS_SYNC_ERROR_TIMEOUT || first->code == KIOS_SYNC_ERROR_DISABLED)
    {
      g_propagate_error (error, g_steal_pointer (&first));
      return FALSE;
    }

  if (first->code == KIOS_SYNC_ERROR_AUTH)
    {
      /* Same URL, same credentials, the other method: if that is accepted,
       * the method is what is wrong, not the password. */
      KiosKosyncAuth other = self->auth == KIOS_KOSYNC_AUTH_BASIC ? KIOS_KOSYNC_AUTH_HEADERS
                                                                  : KIOS_KOSYNC_AUTH_BASIC;

      if (self->username != NULL && *self->username != '\0' && check_auth_at (self, self->base_url, other, PROBE_TIMEOUT_MS, cancellable, NULL))
        {
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH_METHOD,
                       "Wrong auth method: this server accepts these credentials with %s, "
                       "not with %s. Change the auth method in Settings → Progress sync.",
                       other == KIOS_KOSYNC_AUTH_BASIC ? "HTTP Basic" : "KOReader headers",
                       self->auth == KIOS_KOSYNC_AUTH_BASIC ? "HTTP Basic" : "KOReader headers");
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&first));
      return FALSE;
    }

  {
    g_autofree char *found = probe (self, cancellable);

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    if (found != NULL)
      {
        g_autofree char *shown = kios_redact_url (found);

        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, "%s Did you mean %s?",
                     first->message, shown);
        if (suggested_url != NULL)
          *suggested_url = g_steal_pointer (&found);
        return FALSE;
      }
  }

  if (first->code == KIOS_SYNC_ERROR_WRONG_URL && kios_kosync_url_has_key (self->base_url) && strstr (self->base_url, "/api/koreader/") == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, first->code,
                   "%s On Stump, KOReader sync is off by default: the server needs "
                   "ENABLE_KOREADER_SYNC=true and matching user permissions.",
                   first->message);
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&first));
  return FALSE;
}

gboolean
kios_kosync_client_push_sync (KiosKosyncClient *self,
                              const char       *document,
                              const char       *progress,
                              double            percentage,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autoptr (KiosHttpRequest)  request = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (JsonBuilder)      builder = json_builder_new ();
  g_autoptr (JsonGenerator)    generator = json_generator_new ();
  g_autoptr (JsonNode)         root = NULL;
  g_autofree char             *json = NULL;
  g_autoptr (GBytes)           body = NULL;
  gsize                        json_len = 0;

  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (self), FALSE);
  g_return_val_if_fail (document != NULL && progress != NULL, FALSE);
  g_return_val_if_fail (self->device_id != NULL, FALSE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "document");
  json_builder_add_string_value (builder, document);
  json_builder_set_member_name (builder, "progress");
  json_builder_add_string_value (builder, progress);
  json_builder_set_member_name (builder, "percentage");
  json_builder_add_double_value (builder, kios_kosync_floor_percentage (percentage));
  json_builder_set_member_name (builder, "device");
  json_builder_add_string_value (builder, self->device);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, self->device_id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &json_len);

  body = g_bytes_new_take (g_steal_pointer (&json), json_len);
  request = build_request (self, self->base_url, self->auth, "PUT", "/syncs/progress");
  kios_http_request_set_body (request, "application/json", body);

  response = send (request, cancellable, error);
  if (response == NULL)
    return FALSE;
  if (response->status != 200)
    {
      classify_failure (response, ROUTE_PUSH, error);
      return FALSE;
    }
  if (looks_like_html (response))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                   "The server answered the push with a web page, not KOReader sync. %s", MSG_WRONG_URL);
      return FALSE;
    }
  g_debug ("pushed %s at %.4f", document, kios_kosync_floor_percentage (percentage));
  return TRUE;
}

KiosRemotePosition *
kios_kosync_client_pull_sync (KiosKosyncClient *self,
                              const char       *document,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autoptr (KiosHttpRequest)  request = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (JsonNode)         root = NULL;
  g_autofree char             *route = NULL;
  g_autofree char             *escaped = NULL;
  JsonObject                  *object;
  KiosRemotePosition          *remote;
  const char                  *progress;
  g_autofree char             *page_text = NULL;
  double                       percentage = 0;

  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (self), NULL);
  g_return_val_if_fail (document != NULL, NULL);

  escaped = g_uri_escape_string (document, NULL, FALSE);
  route = g_strconcat ("/syncs/progress/", escaped, NULL);
  request = build_request (self, self->base_url, self->auth, "GET", route);
  response = send (request, cancellable, error);
  if (response == NULL)
    return NULL;

  object = parse_object (response->body, &root);

  if (response->status == 404 && object != NULL && body_contains (response->body, "no progress"))
    return NULL; /* Grimmory: the book is known, nothing stored yet */

  if (response->status != 200)
    {
      classify_failure (response, ROUTE_PULL, error);
      return NULL;
    }

  if (object == NULL)
    {
      if (looks_like_html (response))
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                     "The server answered with a web page, not KOReader sync. %s", MSG_WRONG_URL);
      else
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                     "The server's progress reply is not a JSON object");
      return NULL;
    }

  /* 200 {} (official, CWA), {"document"} (Stump), Komga's status-200 error
   * body: no percentage means no progress. */
  if (!object_number (object, "percentage", &percentage))
    return NULL;

  progress = object_string (object, "progress");
  {
    /* A page sent as a JSON number instead of a string. */
    JsonNode *node = json_object_get_member (object, "progress");
    if (progress == NULL && node != NULL && JSON_NODE_TYPE (node) == JSON_NODE_VALUE && json_node_get_value_type (node) == G_TYPE_INT64 && json_node_get_int (node) > 0 && json_node_get_int (node) < G_MAXINT)
      progress = page_text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  }
  if (progress != NULL && *progress == '\0')
    progress = NULL;

  /* Kavita's "never read": progress "0", timestamp 0. */
  if (json_object_has_member (object, "timestamp") && kios_kosync_parse_timestamp (json_object_get_member (object, "timestamp")) == 0 && g_strcmp0 (progress, "0") == 0)
    return NULL;

  /* Stump drops progress only when finished; anything else without it is nothing. */
  if (progress == NULL && percentage < 1.0)
    return NULL;

  remote = g_new0 (KiosRemotePosition, 1);
  remote->document = g_strdup (object_string (object, "document") != NULL
                                   ? object_string (object, "document")
                                   : document);
  remote->progress = g_strdup (progress);
  remote->percentage = CLAMP (percentage, 0.0, 1.0);
  remote->device = g_strdup (object_string (object, "device"));
  remote->device_id = g_strdup (object_string (object, "device_id"));
  remote->timestamp = kios_kosync_parse_timestamp (json_object_get_member (object, "timestamp"));
  return remote;
}

/* Async wrappers: each runs its _sync method in a GTask worker. */

typedef enum {
  OP_TEST,
  OP_PUSH,
  OP_PULL,
} Op;

typedef struct
{
  Op     op;
  char  *document;
  char  *progress;
  double percentage;
  char  *suggested_url; /* result of OP_TEST */
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *op = data;

  g_free (op->document);
  g_free (op->progress);
  g_free (op->suggested_url);
  g_free (op);
}

static void
op_worker (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  KiosKosyncClient *self = source_object;
  OpData           *op = task_data;
  GError           *error = NULL;

  switch (op->op)
    {
    case OP_TEST:
      if (kios_kosync_client_test_sync (self, &op->suggested_url, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_PUSH:
      if (kios_kosync_client_push_sync (self, op->document, op->progress, op->percentage, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_PULL:
      {
        KiosRemotePosition *remote = kios_kosync_client_pull_sync (self, op->document, cancellable, &error);
        if (error != NULL)
          g_task_return_error (task, error);
        else
          g_task_return_pointer (task, remote, (GDestroyNotify) kios_remote_position_free);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
run_op (KiosKosyncClient   *self,
        OpData             *op,
        gpointer            source_tag,
        GCancellable       *cancellable,
        GAsyncReadyCallback callback,
        gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, op_data_free);
  g_task_run_in_thread (task, op_worker);
}

void
kios_kosync_client_test_async (KiosKosyncClient   *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  OpData *op = g_new0 (OpData, 1);

  g_return_if_fail (KIOS_IS_KOSYNC_CLIENT (self));
  op->op = OP_TEST;
  run_op (self, op, kios_kosync_client_test_async, cancellable, callback, user_data);
}

gboolean
kios_kosync_client_test_finish (KiosKosyncClient *self,
                                GAsyncResult     *result,
                                char            **suggested_url,
                                GError          **error)
{
  OpData *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  op = g_task_get_task_data (G_TASK (result));
  if (suggested_url != NULL)
    *suggested_url = g_steal_pointer (&op->suggested_url);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kios_kosync_client_push_async (KiosKosyncClient   *self,
                               const char         *document,
                               const char         *progress,
                               double              percentage,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  OpData *op = g_new0 (OpData, 1);

  g_return_if_fail (KIOS_IS_KOSYNC_CLIENT (self));
  op->op = OP_PUSH;
  op->document = g_strdup (document);
  op->progress = g_strdup (progress);
  op->percentage = percentage;
  run_op (self, op, kios_kosync_client_push_async, cancellable, callback, user_data);
}

gboolean
kios_kosync_client_push_finish (KiosKosyncClient *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kios_kosync_client_pull_async (KiosKosyncClient   *self,
                               const char         *document,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  OpData *op = g_new0 (OpData, 1);

  g_return_if_fail (KIOS_IS_KOSYNC_CLIENT (self));
  op->op = OP_PULL;
  op->document = g_strdup (document);
  run_op (self, op, kios_kosync_client_pull_async, cancellable, callback, user_data);
}

KiosRemotePosition *
kios_kosync_client_pull_finish (KiosKosyncClient *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- kios-kosync-client-private.h -------------------------------------- */

JsonObject *
kios_kosync_parse_object (GBytes    *body,
                          JsonNode **root_out)
{
  return parse_object (body, root_out);
}

const char *
kios_kosync_object_string (JsonObject *object,
                           const char *name)
{
  return object_string (object, name);
}

gboolean
kios_kosync_object_number (JsonObject *object,
                           const char *name,
                           double     *out)
{
  return object_number (object, name, out);
}

gint64
kios_kosync_object_int (JsonObject *object,
                        const char *name,
                        gint64      fallback)
{
  return object_int (object, name, fallback);
}

void
kios_kosync_classify_failure (const KiosHttpResponse *response,
                              KiosKosyncRoute         route,
                              GError                **error)
{
  classify_failure (response, route, error);
}
