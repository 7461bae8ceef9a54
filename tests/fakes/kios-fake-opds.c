/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-fake-opds"

#include "config.h"

#include "kios-fake-opds.h"

#include <stdio.h>
#include <string.h>

#define REALM "kios-fake"
#define ENDLESS_MAX ((guint64) 512 * 1024 * 1024)
#define ENDLESS_MAX_SECS 60

typedef struct
{
  guint    status;
  char    *content_type;
  GBytes  *body;
  char    *location;
  gboolean ranged;
  gboolean forbidden;
} Route;

struct _KiosFakeOpds
{
  KiosFakeServer  *server;
  KiosFakeOpdsAuth auth;
  char            *user;
  char            *password;
  char            *nonce;
  GMutex           lock;
  GHashTable      *routes; /* target → Route, under lock */
};

static void
route_free (gpointer data)
{
  Route *route = data;

  g_free (route->content_type);
  g_clear_pointer (&route->body, g_bytes_unref);
  g_free (route->location);
  g_free (route);
}

/* Parses `Digest a="b", c=d` into a table; NULL when not Digest. */
static GHashTable *
parse_digest (const char *value)
{
  GHashTable *params;
  const char *p;

  if (value == NULL || g_ascii_strncasecmp (value, "Digest ", 7) != 0)
    return NULL;
  params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p = value + 7;
  for (guint guard = 0; *p != '\0' && guard < 32; guard++)
    {
      gsize    k;
      char    *name;
      GString *val = g_string_new (NULL);

      while (*p == ' ' || *p == ',')
        p++;
      k = strcspn (p, "=");
      if (k == 0 || p[k] != '=')
        {
          g_string_free (val, TRUE);
          break;
        }
      name = g_strndup (p, k);
      p += k + 1;
      if (*p == '"')
        {
          p++;
          while (*p != '\0' && *p != '"')
            g_string_append_c (val, *p++);
          if (*p == '"')
            p++;
        }
      else
        {
          k = strcspn (p, ",");
          g_string_append_len (val, p, k);
          p += k;
        }
      g_hash_table_replace (params, name, g_string_free (val, FALSE));
    }
  return params;
}

static char *
md5 (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

static gboolean
authorized (KiosFakeOpds          *self,
            const KiosFakeRequest *request)
{
  const char *header = kios_fake_request_get_header (request, "Authorization");

  if (self->auth == KIOS_FAKE_OPDS_AUTH_NONE)
    return TRUE;
  if (header == NULL)
    return FALSE;
  if (self->auth == KIOS_FAKE_OPDS_AUTH_BASIC)
    {
      g_autofree char *pair = g_strdup_printf ("%s:%s", self->user, self->password);
      g_autofree char *expected = g_base64_encode ((const guchar *) pair, strlen (pair));

      return g_ascii_strncasecmp (header, "Basic ", 6) == 0 && g_str_equal (header + 6, expected);
    }
  else
    {
      g_autoptr (GHashTable) params = parse_digest (header);
      g_autofree char       *ha1 = NULL;
      g_autofree char       *ha2 = NULL;
      g_autofree char       *a1 = NULL;
      g_autofree char       *a2 = NULL;
      g_autofree char       *r = NULL;
      g_autofree char       *expected = NULL;
      const char            *uri;

      if (params == NULL)
        return FALSE;
      uri = g_hash_table_lookup (params, "uri");
      /* The digest covers the request target: a reused header fails. */
      if (g_strcmp0 (uri, request->path) != 0 || g_strcmp0 (g_hash_table_lookup (params, "nonce"), self->nonce) != 0 || g_strcmp0 (g_hash_table_lookup (params, "username"), self->user) != 0 || g_strcmp0 (g_hash_table_lookup (params, "realm"), REALM) != 0 || g_strcmp0 (g_hash_table_lookup (params, "qop"), "auth") != 0 || g_hash_table_lookup (params, "nc") == NULL || g_hash_table_lookup (params, "cnonce") == NULL)
        return FALSE;
      a1 = g_strdup_printf ("%s:%s:%s", self->user, REALM, self->password);
      ha1 = md5 (a1);
      a2 = g_strdup_printf ("%s:%s", request->method, uri);
      ha2 = md5 (a2);
      r = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, self->nonce, (char *) g_hash_table_lookup (params, "nc"),
                           (char *) g_hash_table_lookup (params, "cnonce"), ha2);
      expected = md5 (r);
      return g_strcmp0 (g_hash_table_lookup (params, "response"), expected) == 0;
    }
}

static void
challenge (KiosFakeOpds     *self,
           KiosFakeResponse *response)
{
  response->status = 401;
  if (self->auth == KIOS_FAKE_OPDS_AUTH_BASIC)
    kios_fake_response_add_header (response, "WWW-Authenticate", "Basic realm=\"" REALM "\"");
  else
    {
      g_autofree char *value = g_strdup_printf ("Digest realm=\"%s\", nonce=\"%s\", algorithm=\"MD5\", qop=\"auth\"",
                                                REALM, self->nonce);
      kios_fake_response_add_header (response, "WWW-Authenticate", value);
    }
  kios_fake_response_add_header (response, "Content-Type", "text/plain; charset=UTF-8");
}

static void
handle (KiosFakeServer        *server,
        const KiosFakeRequest *request,
        KiosFakeResponse      *response,
        gpointer               user_data)
{
  KiosFakeOpds *self = user_data;
  Route        *route;
  Route         copy = { 0 };

  if (!authorized (self, request))
    {
      challenge (self, response);
      return;
    }
  g_mutex_lock (&self->lock);
  route = g_hash_table_lookup (self->routes, request->path);
  if (route != NULL)
    {
      copy = *route;
      copy.body = route->body != NULL ? g_bytes_ref (route->body) : NULL;
      copy.content_type = g_strdup (route->content_type);
      copy.location = g_strdup (route->location);
    }
  g_mutex_unlock (&self->lock);

  if (route == NULL)
    {
      kios_fake_response_set_text (response, 404, "text/plain", "not found");
      return;
    }
  if (copy.forbidden)
    {
      /* Calibre-Web: a 401 for a user without the download role. */
      challenge (self, response);
    }
  else if (copy.location != NULL)
    {
      response->status = 302;
      kios_fake_response_add_header (response, "Location", copy.location);
    }
  else
    {
      const char *range = kios_fake_request_get_header (request, "Range");
      guint64     start, end;
      gsize       len = copy.body != NULL ? g_bytes_get_size (copy.body) : 0;

      response->status = copy.status;
      if (copy.content_type != NULL)
        kios_fake_response_add_header (response, "Content-Type", copy.content_type);
      if (copy.ranged && range != NULL && sscanf (range, "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, &start, &end) == 2 && start < len)
        {
          g_autofree char *content_range = NULL;

          end = MIN (end, len - 1);
          response->status = 206;
          response->body = g_bytes_new_from_bytes (copy.body, start, end - start + 1);
          content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%zu", start, end, len);
          kios_fake_response_add_header (response, "Content-Range", content_range);
        }
      else if (copy.body != NULL)
        response->body = g_bytes_ref (copy.body);
    }
  g_clear_pointer (&copy.body, g_bytes_unref);
  g_free (copy.content_type);
  g_free (copy.location);
}

KiosFakeOpds *
kios_fake_opds_new (KiosFakeOpdsAuth auth,
                    const char      *user,
                    const char      *password)
{
  KiosFakeOpds *self = g_new0 (KiosFakeOpds, 1);

  self->auth = auth;
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  self->nonce = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
  g_mutex_init (&self->lock);
  self->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, route_free);
  self->server = kios_fake_server_new (handle, self);
  return self;
}

void
kios_fake_opds_free (KiosFakeOpds *self)
{
  if (self == NULL)
    return;
  kios_fake_server_free (self->server);
  g_hash_table_unref (self->routes);
  g_mutex_clear (&self->lock);
  g_free (self->user);
  g_free (self->password);
  g_free (self->nonce);
  g_free (self);
}

const char *
kios_fake_opds_get_url (KiosFakeOpds *self)
{
  return kios_fake_server_get_url (self->server);
}

KiosFakeServer *
kios_fake_opds_get_server (KiosFakeOpds *self)
{
  return self->server;
}

static void
add_route (KiosFakeOpds *self,
           const char   *target,
           Route        *route)
{
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->routes, g_strdup (target), route);
  g_mutex_unlock (&self->lock);
}

static GBytes *
with_base (KiosFakeOpds *self,
           const char   *text,
           gsize         len)
{
  g_autoptr (GString) s = g_string_new_len (text, len);

  g_string_replace (s, "@BASE@", kios_fake_opds_get_url (self), 0);
  return g_bytes_new (s->str, s->len);
}

void
kios_fake_opds_add (KiosFakeOpds *self,
                    const char   *target,
                    guint         status,
                    const char   *content_type,
                    const char   *body)
{
  Route *route = g_new0 (Route, 1);

  route->status = status;
  route->content_type = g_strdup (content_type);
  route->body = body != NULL ? with_base (self, body, strlen (body)) : NULL;
  add_route (self, target, route);
}

void
kios_fake_opds_add_bytes (KiosFakeOpds *self,
                          const char   *target,
                          const char   *content_type,
                          GBytes       *body,
                          gboolean      ranged)
{
  Route *route = g_new0 (Route, 1);

  route->status = 200;
  route->content_type = g_strdup (content_type);
  route->body = g_bytes_ref (body);
  route->ranged = ranged;
  add_route (self, target, route);
}

void
kios_fake_opds_add_fixture (KiosFakeOpds *self,
                            const char   *target,
                            const char   *content_type,
                            const char   *fixture)
{
  const char      *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *path = g_build_filename (srcdir != NULL ? srcdir : ".", "fixtures", "opds", fixture, NULL);
  g_autofree char *contents = NULL;
  gsize            len = 0;
  Route           *route;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    g_error ("missing fixture %s", path);
  route = g_new0 (Route, 1);
  route->status = 200;
  route->content_type = g_strdup (content_type);
  route->body = with_base (self, contents, len);
  add_route (self, target, route);
}

void
kios_fake_opds_add_redirect (KiosFakeOpds *self,
                             const char   *target,
                             const char   *location)
{
  Route *route = g_new0 (Route, 1);

  route->status = 302;
  route->location = g_strdup (location);
  add_route (self, target, route);
}

void
kios_fake_opds_add_forbidden (KiosFakeOpds *self,
                              const char   *target)
{
  Route *route = g_new0 (Route, 1);

  route->status = 401;
  route->forbidden = TRUE;
  add_route (self, target, route);
}

guint
kios_fake_opds_count (KiosFakeOpds *self,
                      const char   *prefix)
{
  guint n = kios_fake_server_get_n_requests (self->server);
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) request = kios_fake_server_get_request (self->server, i);

      if (request != NULL && g_str_has_prefix (request->path, prefix))
        count++;
    }
  return count;
}

guint
kios_fake_opds_count_authorized (KiosFakeOpds *self)
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

/* ------------------------------------------------------------------ */

struct _KiosFakeEndless
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  GThread         *thread;
  char            *url;
  char            *head;
  char            *repeat;
  gsize            repeat_len;
  gsize            head_len;
  guint64          sent; /* atomic-ish: read after join */
};

static gpointer
endless_thread (gpointer data)
{
  KiosFakeEndless *self = data;

  /* One client at a time is enough for the tests. */
  for (guint n = 0; n < 16 && !g_cancellable_is_cancelled (self->cancellable); n++)
    {
      g_autoptr (GSocketConnection) connection = NULL;
      GOutputStream                *out;
      gint64                        end = g_get_monotonic_time () + (gint64) ENDLESS_MAX_SECS * G_USEC_PER_SEC;
      char                          buf[4096];
      gsize                         rlen = self->repeat_len;

      connection = g_socket_listener_accept (self->listener, NULL, self->cancellable, NULL);
      if (connection == NULL)
        break;
      g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
      /* Read (and ignore) the request head. */
      g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buf, sizeof buf, NULL, NULL);
      out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
      if (!g_output_stream_write_all (out, self->head, self->head_len, NULL, self->cancellable, NULL))
        continue;
      /* Until the client hangs up, or the bounds (nothing here runs forever). */
      while (self->sent < ENDLESS_MAX && g_get_monotonic_time () < end)
        {
          if (!g_output_stream_write_all (out, self->repeat, rlen, NULL, self->cancellable, NULL))
            break;
          self->sent += rlen;
        }
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  return NULL;
}

KiosFakeEndless *
kios_fake_endless_new (const char *content_type,
                       const char *prefix,
                       const char *repeat)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n%s",
                                           content_type, prefix);

  /* No Content-Length: the body ends only when the connection does. */
  return kios_fake_endless_new_raw (head, strlen (head), repeat, strlen (repeat));
}

KiosFakeEndless *
kios_fake_endless_new_raw (const char *head,
                           gsize       head_len,
                           const char *repeat,
                           gsize       repeat_len)
{
  KiosFakeEndless           *self = g_new0 (KiosFakeEndless, 1);
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError)         error = NULL;
  guint16                    port;

  self->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &error))
    g_error ("endless server: %s", error->message);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->url = g_strdup_printf ("http://127.0.0.1:%u", port);
  self->head = g_memdup2 (head, head_len);
  self->head_len = head_len;
  self->repeat = g_memdup2 (repeat, repeat_len);
  self->repeat_len = repeat_len;
  self->cancellable = g_cancellable_new ();
  self->thread = g_thread_new ("fake-endless", endless_thread, self);
  return self;
}

const char *
kios_fake_endless_get_url (KiosFakeEndless *self)
{
  return self->url;
}

guint64
kios_fake_endless_get_sent (KiosFakeEndless *self)
{
  return self->sent;
}

void
kios_fake_endless_free (KiosFakeEndless *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_socket_listener_close (self->listener);
  g_thread_join (self->thread);
  g_object_unref (self->listener);
  g_object_unref (self->cancellable);
  g_free (self->url);
  g_free (self->head);
  g_free (self->repeat);
  g_free (self);
}

/* ------------------------------------------------------------------ */

struct _KiosFakeDrip
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  GThread         *thread;
  char            *url;
  char            *content_type;
  GBytes          *body;
  gsize            chunk;
  guint            interval_ms;
  guint            n_requests;
  gsize            break_after;  /* the first answer stops after this many body bytes; 0 = never */
  gboolean         ignore_range; /* answer 200 with the whole body even to a Range */
  guint            n_ranged;
};

static gpointer
drip_thread (gpointer data)
{
  KiosFakeDrip *self = data;

  for (guint n = 0; n < 64 && !g_cancellable_is_cancelled (self->cancellable); n++)
    {
      g_autoptr (GSocketConnection) connection = NULL;
      g_autofree char              *head = NULL;
      g_autofree char              *request = NULL;
      GOutputStream                *out;
      char                          buf[4096];
      gssize                        len;
      gsize                         size = g_bytes_get_size (self->body);
      const guint8                 *bytes = g_bytes_get_data (self->body, NULL);
      guint64                       first = 0;
      const char                   *range;

      connection = g_socket_listener_accept (self->listener, NULL, self->cancellable, NULL);
      if (connection == NULL)
        break;
      g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
      len = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buf, sizeof buf - 1, NULL,
                                 NULL);
      if (len <= 0)
        continue;
      buf[len] = '\0';
      g_atomic_int_inc (&self->n_requests);
      request = g_ascii_strdown (buf, -1);
      range = strstr (request, "\nrange: bytes=");
      if (range != NULL)
        g_atomic_int_inc (&self->n_ranged);
      if (range != NULL && self->ignore_range)
        range = NULL;
      if (range != NULL)
        first = MIN (g_ascii_strtoull (range + strlen ("\nrange: bytes="), NULL, 10), size);
      if (range != NULL)
        head = g_strdup_printf ("HTTP/1.1 206 Partial Content\r\nContent-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT
                                "\r\nContent-Range: bytes %" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT
                                "\r\nConnection: close\r\n\r\n",
                                self->content_type, size - (gsize) first, first, size - 1, size);
      else
        head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT
                                "\r\nConnection: close\r\n\r\n",
                                self->content_type, size);
      out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
      if (!g_output_stream_write_all (out, head, strlen (head), NULL, self->cancellable, NULL))
        continue;
      for (gsize at = (gsize) first; at < size; at += self->chunk)
        {
          gsize piece = MIN (self->chunk, size - at);

          /* A transfer broken part-way (once): fewer bytes than announced. */
          if (n == 0 && self->break_after > 0 && at + piece > self->break_after)
            {
              g_output_stream_write_all (out, bytes + at, self->break_after - MIN (at, self->break_after), NULL,
                                         self->cancellable, NULL);
              break;
            }
          if (!g_output_stream_write_all (out, bytes + at, piece, NULL, self->cancellable, NULL))
            break;
          g_usleep ((gulong) self->interval_ms * 1000);
        }
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  return NULL;
}

KiosFakeDrip *
kios_fake_drip_new (const char *content_type,
                    GBytes     *body,
                    gsize       chunk,
                    guint       interval_ms)
{
  KiosFakeDrip              *self = g_new0 (KiosFakeDrip, 1);
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError)         error = NULL;

  self->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &error))
    g_error ("drip server: %s", error->message);
  self->url = g_strdup_printf ("http://127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  self->content_type = g_strdup (content_type);
  self->body = g_bytes_ref (body);
  self->chunk = MAX (chunk, 1);
  self->interval_ms = interval_ms;
  self->cancellable = g_cancellable_new ();
  self->thread = g_thread_new ("fake-drip", drip_thread, self);
  return self;
}

const char *
kios_fake_drip_get_url (KiosFakeDrip *self)
{
  return self->url;
}

void
kios_fake_drip_set_break (KiosFakeDrip *self,
                          gsize         break_after,
                          gboolean      ignore_range)
{
  self->break_after = break_after;
  self->ignore_range = ignore_range;
}

guint
kios_fake_drip_get_n_ranged (KiosFakeDrip *self)
{
  return (guint) g_atomic_int_get (&self->n_ranged);
}

guint
kios_fake_drip_get_n_requests (KiosFakeDrip *self)
{
  return (guint) g_atomic_int_get (&self->n_requests);
}

void
kios_fake_drip_free (KiosFakeDrip *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_socket_listener_close (self->listener);
  g_thread_join (self->thread);
  g_object_unref (self->listener);
  g_object_unref (self->cancellable);
  g_bytes_unref (self->body);
  g_free (self->url);
  g_free (self->content_type);
  g_free (self);
}
