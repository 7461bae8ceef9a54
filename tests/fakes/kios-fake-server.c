/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-fake-server"

#include "config.h"

#include "kios-fake-server.h"

#include <string.h>

#define MAX_HEAD_SIZE (64 * 1024)
#define MAX_BODY_SIZE (8 * 1024 * 1024)
#define MAX_HANG_MS 60000
#define STOP_WAIT_MS 5000

struct _KiosFakeServer
{
  GThread         *thread;
  GMainContext    *context;
  GMainLoop       *loop;
  GSocketService  *service;
  KiosFakeHandler  handler;
  GTlsCertificate *certificate; /* nullable: plain HTTP */
  gpointer         user_data;
  guint16          port;
  char            *url;
  GMutex           lock;
  GCond            cond;
  gboolean         ready;
  GPtrArray       *log;      /* KiosFakeRequest, under lock */
  int              active;   /* connections being served, under lock */
  int              stopping; /* atomic */
};

const char *
kios_fake_request_get_header (const KiosFakeRequest *request,
                              const char            *name)
{
  gsize len = strlen (name);

  for (guint i = 0; i < request->headers->len; i++)
    {
      const char *line = request->headers->pdata[i];

      if (g_ascii_strncasecmp (line, name, len) == 0 && line[len] == ':')
        {
          line += len + 1;
          while (*line == ' ' || *line == '\t')
            line++;
          return line;
        }
    }
  return NULL;
}

KiosFakeRequest *
kios_fake_request_copy (const KiosFakeRequest *request)
{
  KiosFakeRequest *copy = g_new0 (KiosFakeRequest, 1);

  copy->method = g_strdup (request->method);
  copy->path = g_strdup (request->path);
  copy->headers = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < request->headers->len; i++)
    g_ptr_array_add (copy->headers, g_strdup (request->headers->pdata[i]));
  copy->body = g_bytes_ref (request->body);
  return copy;
}

void
kios_fake_request_free (KiosFakeRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->method);
  g_free (request->path);
  g_clear_pointer (&request->headers, g_ptr_array_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

void
kios_fake_response_set_text (KiosFakeResponse *response,
                             guint             status,
                             const char       *content_type,
                             const char       *body)
{
  response->status = status;
  g_clear_pointer (&response->body, g_bytes_unref);
  if (body != NULL)
    response->body = g_bytes_new (body, strlen (body));
  if (content_type != NULL)
    kios_fake_response_add_header (response, "Content-Type", content_type);
}

void
kios_fake_response_add_header (KiosFakeResponse *response,
                               const char       *name,
                               const char       *value)
{
  g_ptr_array_add (response->headers, g_strdup_printf ("%s: %s", name, value));
}

static const char *
reason_phrase (guint status)
{
  switch (status)
    {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
    }
}

/* Sleeps up to ms, waking early when the server stops. */
static void
bounded_wait (KiosFakeServer *self,
              guint           ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!g_atomic_int_get (&self->stopping) && g_get_monotonic_time () < end)
    g_usleep (5000);
}

static gssize
find_head_end (const GByteArray *buf)
{
  for (guint i = 3; i < buf->len; i++)
    if (buf->data[i - 3] == '\r' && buf->data[i - 2] == '\n' && buf->data[i - 1] == '\r' && buf->data[i] == '\n')
      return i + 1;
  return -1;
}

static KiosFakeRequest *
read_request (GIOStream *connection)
{
  GInputStream          *in = g_io_stream_get_input_stream (connection);
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  g_autofree char       *head = NULL;
  g_auto (GStrv)         lines = NULL;
  g_auto (GStrv)         first = NULL;
  KiosFakeRequest       *request;
  gssize                 head_end = -1;
  gint64                 content_length = 0;
  guint8                 chunk[4096];

  while ((head_end = find_head_end (buf)) < 0)
    {
      gssize n;

      if (buf->len > MAX_HEAD_SIZE)
        return NULL;
      n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
      if (n <= 0)
        return NULL;
      g_byte_array_append (buf, chunk, n);
    }

  head = g_strndup ((const char *) buf->data, head_end);
  lines = g_strsplit (head, "\r\n", 512);
  first = g_strsplit (lines[0], " ", 3);
  if (g_strv_length (first) != 3)
    return NULL;

  request = g_new0 (KiosFakeRequest, 1);
  request->method = g_strdup (first[0]);
  request->path = g_strdup (first[1]);
  request->headers = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      g_ptr_array_add (request->headers, g_strdup (lines[i]));
    }

  {
    const char *cl = kios_fake_request_get_header (request, "Content-Length");
    if (cl != NULL)
      content_length = g_ascii_strtoll (cl, NULL, 10);
  }
  if (content_length < 0 || content_length > MAX_BODY_SIZE)
    {
      kios_fake_request_free (request);
      return NULL;
    }

  while ((gint64) buf->len - head_end < content_length)
    {
      gssize n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
      if (n <= 0)
        break;
      g_byte_array_append (buf, chunk, n);
    }
  request->body = g_bytes_new (buf->data + head_end,
                               MIN ((gint64) buf->len - head_end, content_length));
  return request;
}

static void
write_response (GIOStream              *connection,
                const KiosFakeResponse *response)
{
  GOutputStream      *out = g_io_stream_get_output_stream (connection);
  g_autoptr (GString) head = g_string_new (NULL);
  gsize               body_len = 0;
  gconstpointer       body = response->body != NULL ? g_bytes_get_data (response->body, &body_len) : NULL;

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", response->status, reason_phrase (response->status));
  for (guint i = 0; i < response->headers->len; i++)
    g_string_append_printf (head, "%s\r\n", (const char *) response->headers->pdata[i]);
  g_string_append_printf (head, "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);

  if (!g_output_stream_write_all (out, head->str, head->len, NULL, NULL, NULL))
    return;
  if (body_len > 0)
    g_output_stream_write_all (out, body, body_len, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
}

static gboolean
run_cb (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source_object,
        gpointer                user_data)
{
  KiosFakeServer             *self = user_data;
  g_autoptr (KiosFakeRequest) request = NULL;
  KiosFakeResponse            response = { 404, NULL, NULL, 0, FALSE };
  g_autoptr (GIOStream)       stream = NULL;

  g_mutex_lock (&self->lock);
  self->active++;
  g_mutex_unlock (&self->lock);

  /* Bounded reads: a client that sends half a request cannot pin the thread. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 10);

  if (self->certificate != NULL)
    {
      g_autoptr (GError) tls_error = NULL;
      GIOStream         *tls = g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate,
                                                            &tls_error);

      /* A client that refuses our certificate ends the handshake: fine. */
      if (tls != NULL && g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &tls_error))
        stream = tls;
      else
        g_clear_object (&tls);
    }
  else
    stream = g_object_ref (G_IO_STREAM (connection));

  request = stream != NULL ? read_request (stream) : NULL;
  if (request != NULL)
    {
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->log, kios_fake_request_copy (request));
      g_mutex_unlock (&self->lock);

      response.headers = g_ptr_array_new_with_free_func (g_free);
      if (self->handler != NULL)
        self->handler (self, request, &response, self->user_data);

      if (response.hang)
        bounded_wait (self, MAX_HANG_MS);
      else if (response.delay_ms > 0)
        bounded_wait (self, response.delay_ms);

      if (!g_atomic_int_get (&self->stopping))
        write_response (stream, &response);

      g_ptr_array_unref (response.headers);
      g_clear_pointer (&response.body, g_bytes_unref);
    }

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_mutex_lock (&self->lock);
  self->active--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  KiosFakeServer            *self = data;
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError)         error = NULL;

  g_main_context_push_thread_default (self->context);

  self->service = g_threaded_socket_service_new (32);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &error))
    g_error ("fake server: cannot listen on 127.0.0.1: %s", error->message);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (self->service, "run", G_CALLBACK (run_cb), self);
  g_socket_service_start (self->service);

  g_mutex_lock (&self->lock);
  self->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static KiosFakeServer *
server_new (KiosFakeHandler  handler,
            gpointer         user_data,
            GTlsCertificate *certificate)
{
  KiosFakeServer *self = g_new0 (KiosFakeServer, 1);
  gint64          end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->handler = handler;
  self->user_data = user_data;
  self->certificate = certificate != NULL ? g_object_ref (certificate) : NULL;
  self->log = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_fake_request_free);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("kios-fake-server", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      g_error ("fake server did not start within 10 s");
  g_mutex_unlock (&self->lock);

  self->url = g_strdup_printf ("%s://127.0.0.1:%u", certificate != NULL ? "https" : "http", self->port);
  return self;
}

KiosFakeServer *
kios_fake_server_new (KiosFakeHandler handler,
                      gpointer        user_data)
{
  return server_new (handler, user_data, NULL);
}

KiosFakeServer *
kios_fake_server_new_tls (KiosFakeHandler  handler,
                          gpointer         user_data,
                          GTlsCertificate *certificate)
{
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  return server_new (handler, user_data, certificate);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
kios_fake_server_free (KiosFakeServer *self)
{
  gint64 end;

  if (self == NULL)
    return;

  g_atomic_int_set (&self->stopping, 1);
  /* From inside the loop: a quit before g_main_loop_run () started is lost. */
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);

  /* Connection threads hold `self`: wait (bounded) until they are done. */
  end = g_get_monotonic_time () + (gint64) STOP_WAIT_MS * 1000;
  g_mutex_lock (&self->lock);
  while (self->active > 0)
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  g_mutex_unlock (&self->lock);

  g_clear_object (&self->service);
  g_clear_object (&self->certificate);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->log);
  g_free (self->url);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

guint16
kios_fake_server_get_port (KiosFakeServer *self)
{
  return self->port;
}

const char *
kios_fake_server_get_url (KiosFakeServer *self)
{
  return self->url;
}

guint
kios_fake_server_get_n_requests (KiosFakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->log->len;
  g_mutex_unlock (&self->lock);
  return n;
}

KiosFakeRequest *
kios_fake_server_get_request (KiosFakeServer *self,
                              guint           n)
{
  KiosFakeRequest *copy = NULL;

  g_mutex_lock (&self->lock);
  if (n < self->log->len)
    copy = kios_fake_request_copy (self->log->pdata[n]);
  g_mutex_unlock (&self->lock);
  return copy;
}

void
kios_fake_server_clear_log (KiosFakeServer *self)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->log, 0);
  g_mutex_unlock (&self->lock);
}

GSocketListener *
kios_fake_black_hole_new (guint16 *port)
{
  GSocketListener           *listener = g_socket_listener_new ();
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError)         error = NULL;

  if (!g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error))
    g_error ("black hole: cannot listen on 127.0.0.1: %s", error->message);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return listener;
}
