/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-http"

#include "config.h"

#include "kios-fake-server.h"
#include "kios-http.h"
#include "kios-origin.h"
#include "kios-readium-client.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <glib/gstdio.h>
#include <string.h>

static GMutex   log_lock;
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      g_string_append_printf (captured_log, "%s\n", (const char *) fields[i].value);
  g_mutex_unlock (&log_lock);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
echo_handler (KiosFakeServer        *server,
              const KiosFakeRequest *request,
              KiosFakeResponse      *response,
              gpointer               user_data)
{
  if (g_str_equal (request->path, "/hello"))
    {
      kios_fake_response_set_text (response, 200, "text/plain", "hello");
      kios_fake_response_add_header (response, "X-Test", "yes");
    }
  else if (g_str_equal (request->path, "/put") && g_str_equal (request->method, "PUT"))
    {
      response->status = 200;
      response->body = g_bytes_ref (request->body);
    }
  else if (g_str_equal (request->path, "/slow"))
    {
      kios_fake_response_set_text (response, 200, "text/plain", "late");
      response->delay_ms = 3000;
    }
  else if (g_str_equal (request->path, "/big"))
    {
      char *big = g_malloc (100 * 1024);
      memset (big, 'x', 100 * 1024);
      response->status = 200;
      response->body = g_bytes_new_take (big, 100 * 1024);
    }
  else if (g_str_equal (request->path, "/redirect-here"))
    {
      response->status = 302;
      kios_fake_response_add_header (response, "Location", "/hello");
    }
  else if (g_str_equal (request->path, "/loop"))
    {
      response->status = 307;
      kios_fake_response_add_header (response, "Location", "/loop");
    }
  else if (g_str_has_prefix (request->path, "/away?to="))
    {
      g_autofree char *to = g_uri_unescape_string (request->path + strlen ("/away?to="), NULL);
      response->status = 307;
      kios_fake_response_add_header (response, "Location", to);
    }
  else
    kios_fake_response_set_text (response, 404, "text/plain", "nope");
}

static KiosHttpResponse *
get (const char *url,
     GError    **error)
{
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);
  return kios_http_send_sync (request, NULL, error);
}

static void
test_get (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/hello", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosFakeRequest)  seen = NULL;
  g_autoptr (GError)           error = NULL;

  kios_http_request_add_header (request, "Accept", "application/vnd.koreader.v1+json");
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body), "hello", 5);
  g_assert_cmpstr (kios_http_response_get_header (response, "x-test"), ==, "yes");
  g_assert_cmpstr (response->effective_url, ==, url);

  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 1);
  seen = kios_fake_server_get_request (server, 0);
  g_assert_cmpstr (seen->method, ==, "GET");
  g_assert_cmpstr (seen->path, ==, "/hello");
  /* Exactly the value we set, not curl's default added to it. */
  g_assert_cmpstr (kios_fake_request_get_header (seen, "Accept"), ==, "application/vnd.koreader.v1+json");

  /* A 404 is a response, not an error. */
  {
    g_autofree char             *missing = g_strdup_printf ("%s/missing", kios_fake_server_get_url (server));
    g_autoptr (KiosHttpResponse) r = get (missing, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (r->status, ==, 404);
  }
}

static void
test_put (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/put", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("PUT", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosFakeRequest)  seen = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (GBytes)           body = g_bytes_new_static ("{\"a\":1}", 7);

  kios_http_request_set_body (request, "application/json", body);
  kios_http_request_add_header (request, "x-auth-user", "bob");
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_true (g_bytes_equal (response->body, body));

  seen = kios_fake_server_get_request (server, 0);
  g_assert_cmpstr (seen->method, ==, "PUT");
  g_assert_cmpstr (kios_fake_request_get_header (seen, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (kios_fake_request_get_header (seen, "x-auth-user"), ==, "bob");
  g_assert_null (kios_fake_request_get_header (seen, "Expect"));
  g_assert_true (g_bytes_equal (seen->body, body));
}

typedef struct
{
  GMainLoop        *loop;
  KiosHttpResponse *response;
  GError           *error;
  GThread          *thread;
  gint64            done_us;
} AsyncData;

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AsyncData *data = user_data;

  data->response = kios_http_send_finish (result, &data->error);
  data->thread = g_thread_self ();
  data->done_us = g_get_monotonic_time ();
  g_main_loop_quit (data->loop);
}

static gboolean
fail_timeout_cb (gpointer user_data)
{
  g_error ("test timed out");
  return G_SOURCE_REMOVE;
}

static void
test_async (void)
{
  g_autoptr (KiosFakeServer)  server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char            *url = g_strdup_printf ("%s/hello", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);
  AsyncData                   data = { g_main_loop_new (NULL, FALSE) };
  guint                       guard = g_timeout_add_seconds (10, fail_timeout_cb, NULL);

  kios_http_send_async (request, NULL, send_cb, &data);
  g_main_loop_run (data.loop);
  g_source_remove (guard);

  g_assert_no_error (data.error);
  g_assert_cmpuint (data.response->status, ==, 200);
  g_assert_true (data.thread == g_thread_self ());
  kios_http_response_free (data.response);
  g_main_loop_unref (data.loop);
}

static void
test_timeout (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/slow", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  gint64                       start = g_get_monotonic_time ();
  gint64                       elapsed_ms;

  g_assert_cmpuint (request->connect_timeout_ms, ==, 5000);
  g_assert_cmpuint (request->timeout_ms, ==, 15000);
  request->timeout_ms = 300;
  response = kios_http_send_sync (request, NULL, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT);
  g_assert_null (response);
  g_assert_cmpint (elapsed_ms, >=, 250);
  g_assert_cmpint (elapsed_ms, <, 1500);
}

static gboolean
cancel_cb (gpointer user_data)
{
  gint64 *cancelled_at = g_object_get_data (user_data, "cancelled-at");

  *cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_black_hole_cancel (void)
{
  guint16                     port = 0;
  g_autoptr (GSocketListener) hole = kios_fake_black_hole_new (&port);
  g_autofree char            *url = g_strdup_printf ("http://127.0.0.1:%u/users/auth", port);
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);
  g_autoptr (GCancellable)    cancellable = g_cancellable_new ();
  AsyncData                   data = { g_main_loop_new (NULL, FALSE) };
  gint64                      cancelled_at = 0;
  gint64                      start = g_get_monotonic_time ();
  guint                       guard = g_timeout_add_seconds (10, fail_timeout_cb, NULL);

  g_object_set_data (G_OBJECT (cancellable), "cancelled-at", &cancelled_at);
  kios_http_send_async (request, cancellable, send_cb, &data);
  /* Cancel in the middle of the stalled transfer (after libcurl's first
   * progress callback, where an xferinfo-based cancel would lag by ~1 s). */
  g_timeout_add (450, cancel_cb, cancellable);
  g_main_loop_run (data.loop);
  g_source_remove (guard);

  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (data.response);
  g_assert_cmpint (cancelled_at, >, start);
  g_test_message ("black hole: cancel -> callback in %" G_GINT64_FORMAT " us",
                  data.done_us - cancelled_at);
  g_assert_cmpint (data.done_us - cancelled_at, <, 200 * 1000);

  g_clear_error (&data.error);
  g_main_loop_unref (data.loop);
  g_socket_listener_close (hole);
}

static void
test_black_hole_timeout (void)
{
  guint16                      port = 0;
  g_autoptr (GSocketListener)  hole = kios_fake_black_hole_new (&port);
  g_autofree char             *url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  gint64                       start = g_get_monotonic_time ();

  request->timeout_ms = 400;
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 1500);
  g_socket_listener_close (hole);
}

static void
test_size_cap (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/big", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;

  request->max_response_size = 10 * 1024;
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
  g_assert_null (response);

  g_clear_error (&error);
  request->max_response_size = 100 * 1024;
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, 100 * 1024);
}

/* ------------------------------------------------------------------ */
/* A raw server for streamed bodies: it answers every connection with
 * `head` and then body_size zero bytes (or until the client hangs up),
 * from one static buffer, so the test process's memory is the client's. */

typedef struct
{
  GSocket *listener;
  GThread *thread;
  guint16  port;
  char    *head; /* status line and headers, without the blank line */
  goffset  body_size;
  int      stop; /* atomic */
  int      n_served;
} StreamServer;

static gpointer
stream_server_thread (gpointer data)
{
  StreamServer       *self = data;
  static const guint8 zeros[64 * 1024];

  while (!g_atomic_int_get (&self->stop))
    {
      g_autoptr (GSocket) conn = g_socket_accept (self->listener, NULL, NULL);
      g_autoptr (GString) request = g_string_new (NULL);
      g_autofree char    *head = NULL;
      goffset             sent = 0;
      char                buf[4096];

      if (conn == NULL || g_atomic_int_get (&self->stop))
        continue; /* the listener's 1 s timeout or the wake-up: look at stop again */
      g_socket_set_blocking (conn, TRUE);
      g_socket_set_timeout (conn, 10);
      while (strstr (request->str, "\r\n\r\n") == NULL && request->len < 65536)
        {
          gssize n = g_socket_receive (conn, buf, sizeof buf, NULL, NULL);
          if (n <= 0)
            break;
          g_string_append_len (request, buf, n);
        }
      head = g_strdup_printf ("%s\r\nConnection: close\r\n\r\n", self->head);
      if (g_socket_send (conn, head, strlen (head), NULL, NULL) > 0)
        while (sent < self->body_size)
          {
            gssize n = g_socket_send (conn, (const char *) zeros, (gsize) MIN ((goffset) sizeof zeros, self->body_size - sent), NULL, NULL);
            if (n <= 0)
              break; /* the client gave up */
            sent += n;
          }
      g_socket_close (conn, NULL);
      g_atomic_int_inc (&self->n_served);
    }
  return NULL;
}

static StreamServer *
stream_server_new (const char *head,
                   goffset     body_size)
{
  StreamServer              *self = g_new0 (StreamServer, 1);
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError)         error = NULL;

  self->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (self->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (self->listener, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (self->listener, 1);
  bound = g_socket_get_local_address (self->listener, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->head = g_strdup (head);
  self->body_size = body_size;
  self->thread = g_thread_new ("stream-server", stream_server_thread, self);
  return self;
}

static void
stream_server_free (StreamServer *self)
{
  g_autoptr (GSocket)        wake = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);

  /* Wake the accept () at once instead of waiting for its timeout. */
  g_atomic_int_set (&self->stop, 1);
  g_socket_connect (wake, address, NULL, NULL);
  g_thread_join (self->thread);
  g_socket_close (self->listener, NULL);
  g_object_unref (self->listener);
  g_free (self->head);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StreamServer, stream_server_free)

static goffset
proc_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

typedef struct
{
  guint    n_calls;
  goffset  last_received;
  goffset  last_total;
  gboolean monotonic;
  GThread *thread;
} ProgressLog;

static void
progress_cb (goffset  received,
             goffset  total,
             gpointer user_data)
{
  ProgressLog *log = user_data;

  if (received < log->last_received)
    log->monotonic = FALSE;
  log->n_calls++;
  log->last_received = received;
  log->last_total = total;
  log->thread = g_thread_self ();
}

static GOutputStream *
temp_sink (char **path_out)
{
  g_autoptr (GFileIOStream) io = NULL;
  g_autoptr (GFile)         file = g_file_new_tmp ("kios-http-XXXXXX", &io, NULL);

  g_assert_nonnull (file);
  *path_out = g_file_get_path (file);
  g_io_stream_close (G_IO_STREAM (io), NULL, NULL);
  return G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, NULL));
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

static void
test_stream_flat_memory (void)
{
  const goffset                size = (goffset) 200 * 1024 * 1024;
  g_autofree char             *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/epub+zip\r\nContent-Length: %" G_GOFFSET_FORMAT, size);
  g_autoptr (StreamServer)     server = stream_server_new (head, size);
  g_autofree char             *url = g_strdup_printf ("http://127.0.0.1:%u/book.epub", server->port);
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *path = NULL;
  g_autoptr (GOutputStream)    sink = temp_sink (&path);
  ProgressLog                  log = { 0, 0, 0, TRUE, NULL };
  goffset                      hwm_before, rss_before, hwm_after, rss_after;
  gint64                       start = g_get_monotonic_time ();

  /* Start the peak afresh where the kernel allows it (Linux ≥ 4.0). */
  g_file_set_contents ("/proc/self/clear_refs", "5", 1, NULL);
  hwm_before = proc_status_kb ("VmHWM:");
  rss_before = proc_status_kb ("VmRSS:");

  request->max_response_size = (gsize) size + 1024;
  request->timeout_ms = 0;
  request->stall_timeout_ms = 10000;
  request->progress = progress_cb;
  request->progress_data = &log;
  kios_http_request_set_sink (request, sink);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (sink, NULL, NULL));

  hwm_after = proc_status_kb ("VmHWM:");
  rss_after = proc_status_kb ("VmRSS:");
  g_test_message ("200 MiB streamed in %" G_GINT64_FORMAT " ms; VmHWM %" G_GOFFSET_FORMAT " -> %" G_GOFFSET_FORMAT " kB, VmRSS %" G_GOFFSET_FORMAT " -> %" G_GOFFSET_FORMAT " kB, %u progress calls",
                  (g_get_monotonic_time () - start) / 1000, hwm_before, hwm_after, rss_before, rss_after, log.n_calls);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, 0);
  g_assert_cmpint (response->received, ==, size);
  g_assert_cmpint (file_size (path), ==, size);
  /* Flat: the body never sat in memory. */
  g_assert_cmpint (hwm_before, >, 0);
  g_assert_cmpint (hwm_after - hwm_before, <, 30 * 1024);
  g_assert_cmpint (rss_after - rss_before, <, 30 * 1024);
  /* Progress: on the worker (here the caller's thread), growing, and a final report of all of it. */
  g_assert_cmpuint (log.n_calls, >=, 2);
  g_assert_true (log.monotonic);
  g_assert_true (log.thread == g_thread_self ());
  g_assert_cmpint (log.last_received, ==, size);
  g_assert_cmpint (log.last_total, ==, size);
  g_remove (path);
}

/* A server that ignores Range, or lies about the size, is stopped at the
 * limit while the body arrives; the sink holds no more than the limit. */
static void
test_stream_limit (void)
{
  const struct
  {
    const char *head;
    goffset     body;
    goffset     max_written;
  } cases[] = {
    /* No length at all: an endless 200 body until the connection closes. */
    { "HTTP/1.1 200 OK\r\nContent-Type: application/epub+zip", (goffset) 1024 * 1024 * 1024, 5 * 1024 * 1024 },
    /* A 206 whose Content-Range claims a small file, with an endless body. */
    { "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-99/100", (goffset) 1024 * 1024 * 1024, 5 * 1024 * 1024 },
    /* A 206 with a huge Content-Range and no Content-Length. */
    { "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9999999999/10000000000", (goffset) 1024 * 1024 * 1024, 5 * 1024 * 1024 },
    /* A declared length over the limit: refused before any byte is written. */
    { "HTTP/1.1 200 OK\r\nContent-Length: 10000000000", (goffset) 64 * 1024 * 1024, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (StreamServer)     server = stream_server_new (cases[i].head, cases[i].body);
      g_autofree char             *url = g_strdup_printf ("http://127.0.0.1:%u/book.epub", server->port);
      g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
      g_autoptr (KiosHttpResponse) response = NULL;
      g_autoptr (GError)           error = NULL;
      g_autofree char             *path = NULL;
      g_autoptr (GOutputStream)    sink = temp_sink (&path);

      g_test_message ("case %u: %s", i, cases[i].head);
      request->max_response_size = 5 * 1024 * 1024;
      kios_http_request_set_sink (request, sink);
      response = kios_http_send_sync (request, NULL, &error);
      g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
      g_assert_null (response);
      g_output_stream_close (sink, NULL, NULL);
      g_assert_cmpint (file_size (path), <=, cases[i].max_written);
      g_remove (path);
    }

  /* The same limit holds for a body kept in memory. */
  {
    g_autoptr (StreamServer)     server = stream_server_new (cases[0].head, cases[0].body);
    g_autofree char             *url = g_strdup_printf ("http://127.0.0.1:%u/feed", server->port);
    g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
    g_autoptr (KiosHttpResponse) response = NULL;
    g_autoptr (GError)           error = NULL;

    request->max_response_size = 1024 * 1024;
    response = kios_http_send_sync (request, NULL, &error);
    g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
  }
}

/* Only a 2xx body goes to the sink: a redirect's body is dropped and an
 * error page stays in memory, where the caller can tell what it was. */
static void
test_stream_statuses (void)
{
  g_autoptr (KiosFakeServer) server = kios_fake_server_new (echo_handler, NULL);

  {
    g_autofree char             *url = g_strdup_printf ("%s/redirect-here", kios_fake_server_get_url (server));
    g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
    g_autoptr (KiosHttpResponse) response = NULL;
    g_autoptr (GError)           error = NULL;
    g_autofree char             *path = NULL;
    g_autoptr (GOutputStream)    sink = temp_sink (&path);
    g_autofree char             *contents = NULL;
    ProgressLog                  log = { 0, 0, 0, TRUE, NULL };

    kios_http_request_set_sink (request, sink);
    request->progress = progress_cb;
    request->progress_data = &log;
    response = kios_http_send_sync (request, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (response->status, ==, 200);
    g_assert_cmpuint (response->n_redirects, ==, 1);
    g_assert_cmpuint (g_bytes_get_size (response->body), ==, 0);
    g_output_stream_close (sink, NULL, NULL);
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "hello");
    g_assert_cmpint (log.last_received, ==, 5);
    g_assert_cmpint (log.last_total, ==, 5);
    g_remove (path);
  }
  {
    g_autofree char             *url = g_strdup_printf ("%s/missing", kios_fake_server_get_url (server));
    g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
    g_autoptr (KiosHttpResponse) response = NULL;
    g_autoptr (GError)           error = NULL;
    g_autofree char             *path = NULL;
    g_autoptr (GOutputStream)    sink = temp_sink (&path);

    kios_http_request_set_sink (request, sink);
    response = kios_http_send_sync (request, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (response->status, ==, 404);
    g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body), "nope", 4);
    g_output_stream_close (sink, NULL, NULL);
    g_assert_cmpint (file_size (path), ==, 0);
    g_remove (path);
  }
  /* In memory, progress is reported too, and a copied request keeps all of it. */
  {
    g_autofree char             *url = g_strdup_printf ("%s/big", kios_fake_server_get_url (server));
    g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
    g_autoptr (KiosHttpRequest)  copy = NULL;
    g_autoptr (KiosHttpResponse) response = NULL;
    g_autoptr (GError)           error = NULL;
    ProgressLog                  log = { 0, 0, 0, TRUE, NULL };

    request->progress = progress_cb;
    request->progress_data = &log;
    request->stall_timeout_ms = 5000;
    kios_http_request_set_auth (request, KIOS_HTTP_AUTH_DIGEST, "bob", "hunter2");
    copy = kios_http_request_copy (request);
    g_assert_true (copy->progress == progress_cb);
    g_assert_true (copy->progress_data == &log);
    g_assert_cmpuint (copy->stall_timeout_ms, ==, 5000);
    g_assert_cmpint (copy->auth, ==, KIOS_HTTP_AUTH_DIGEST);
    g_assert_cmpstr (copy->username, ==, "bob");
    g_assert_cmpstr (copy->password, ==, "hunter2");
    response = kios_http_send_sync (copy, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (response->body), ==, 100 * 1024);
    g_assert_cmpint (log.last_received, ==, 100 * 1024);
    g_assert_cmpint (log.last_total, ==, 100 * 1024);
  }
}

/* Cancelling while the body streams stops it at once. */
static gboolean
cancel_now_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_stream_cancel (void)
{
  g_autoptr (StreamServer)    server = stream_server_new ("HTTP/1.1 200 OK", (goffset) 1024 * 1024 * 1024 * 4);
  g_autofree char            *url = g_strdup_printf ("http://127.0.0.1:%u/book.epub", server->port);
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);
  g_autoptr (GCancellable)    cancellable = g_cancellable_new ();
  g_autofree char            *path = NULL;
  g_autoptr (GOutputStream)   sink = temp_sink (&path);
  AsyncData                   data = { g_main_loop_new (NULL, FALSE) };
  guint                       guard = g_timeout_add_seconds (20, fail_timeout_cb, NULL);

  request->max_response_size = G_MAXSIZE;
  request->timeout_ms = 0;
  kios_http_request_set_sink (request, sink);
  kios_http_send_async (request, cancellable, send_cb, &data);
  g_timeout_add (300, cancel_now_cb, cancellable);
  g_main_loop_run (data.loop);
  g_source_remove (guard);
  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&data.error);
  g_main_loop_unref (data.loop);
  g_output_stream_close (sink, NULL, NULL);
  g_remove (path);
}

static void
add_credentials (KiosHttpRequest *request)
{
  kios_http_request_add_header (request, "Accept", "application/vnd.koreader.v1+json");
  kios_http_request_add_header (request, "Authorization", "Basic Ym9iOmh1bnRlcjI=");
  kios_http_request_add_header (request, "x-auth-user", "bob");
  kios_http_request_add_header (request, "x-auth-key", "5f4dcc3b5aa765d61d8327deb882cf99");
  kios_http_request_add_header (request, "Cookie", "session=abc");
  kios_http_request_add_header (request, "X-Kobo-UserKey", "kobo");
}

static void
test_redirect_same_host (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/redirect-here", kios_fake_server_get_url (server));
  g_autofree char             *final = g_strdup_printf ("%s/hello", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosFakeRequest)  second = NULL;
  g_autoptr (GError)           error = NULL;

  add_credentials (request);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (response->n_redirects, ==, 1);
  g_assert_cmpstr (response->effective_url, ==, final);
  second = kios_fake_server_get_request (server, 1);
  g_assert_cmpstr (second->path, ==, "/hello");
  g_assert_cmpstr (kios_fake_request_get_header (second, "x-auth-user"), ==, "bob");
}

static void
test_redirect_other_host (void)
{
  g_autoptr (KiosFakeServer)   a = kios_fake_server_new (echo_handler, NULL);
  g_autoptr (KiosFakeServer)   b = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *target = g_strdup_printf ("%s/hello", kios_fake_server_get_url (b));
  g_autofree char             *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char             *url = g_strdup_printf ("%s/away?to=%s", kios_fake_server_get_url (a), escaped);
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosFakeRequest)  first = NULL;
  g_autoptr (KiosFakeRequest)  seen = NULL;
  g_autoptr (GError)           error = NULL;

  add_credentials (request);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (response->effective_url, ==, target);

  first = kios_fake_server_get_request (a, 0);
  g_assert_cmpstr (kios_fake_request_get_header (first, "x-auth-key"), ==, "5f4dcc3b5aa765d61d8327deb882cf99");

  g_assert_cmpuint (kios_fake_server_get_n_requests (b), ==, 1);
  seen = kios_fake_server_get_request (b, 0);
  g_assert_cmpstr (kios_fake_request_get_header (seen, "Accept"), ==, "application/vnd.koreader.v1+json");
  g_assert_null (kios_fake_request_get_header (seen, "Authorization"));
  g_assert_null (kios_fake_request_get_header (seen, "x-auth-user"));
  g_assert_null (kios_fake_request_get_header (seen, "x-auth-key"));
  g_assert_null (kios_fake_request_get_header (seen, "Cookie"));
  g_assert_null (kios_fake_request_get_header (seen, "X-Kobo-UserKey"));
}

static void
test_redirect_loop (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/loop", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;

  response = get (url, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS);
  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 6);
}

static void
test_errors (void)
{
  guint16                      port = 0;
  g_autofree char             *url = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;

  /* A port that was just free: connection refused. */
  {
    g_autoptr (GSocketListener) l = kios_fake_black_hole_new (&port);
    g_socket_listener_close (l);
  }
  url = g_strdup_printf ("http://127.0.0.1:%u/api/koreader/SECRETKEY/users/auth", port);
  response = get (url, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_NETWORK);
  /* The message names the server but never the key in the URL. */
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_null (strstr (error->message, "SECRETKEY"));
  g_clear_error (&error);

  response = get ("ftp://127.0.0.1/x", &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL);
  g_clear_error (&error);
  response = get ("https://bob:pw12345@/x", &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL);
  g_assert_null (strstr (error->message, "pw12345"));
  g_clear_error (&error);
  response = get ("not a url", &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL);
}

static void
test_debug_redacted (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (echo_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/api/koreader/SECRETKEY42/users/auth?token=TOK3N",
                                                      kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *log = NULL;

  g_setenv ("KIOS_HTTP_DEBUG", "1", TRUE);
  add_credentials (request);
  g_mutex_lock (&log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&log_lock);

  response = kios_http_send_sync (request, NULL, &error);
  g_unsetenv ("KIOS_HTTP_DEBUG");
  g_assert_no_error (error);

  g_mutex_lock (&log_lock);
  log = g_strdup (captured_log->str);
  g_mutex_unlock (&log_lock);
  /* The exchange was logged ... */
  g_assert_nonnull (strstr (log, "> GET /api/koreader/REDACTED/users/auth?token=REDACTED"));
  g_assert_nonnull (strstr (log, "x-auth-key: REDACTED"));
  g_assert_nonnull (strstr (log, "< HTTP/1.1 404"));
  /* ... and nothing secret is in it. */
  g_assert_null (strstr (log, "SECRETKEY42"));
  g_assert_null (strstr (log, "TOK3N"));
  g_assert_null (strstr (log, "Ym9iOmh1bnRlcjI="));
  g_assert_null (strstr (log, "5f4dcc3b5aa765d61d8327deb882cf99"));
  g_assert_null (strstr (log, "session=abc"));
  g_assert_null (strstr (log, ": bob"));
}

static void
test_tls_verified (void)
{
  g_autofree char             *dir = g_dir_make_tmp ("kios-tls-XXXXXX", NULL);
  g_autofree char             *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char             *key_path = g_build_filename (dir, "key.pem", NULL);
  const char                  *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key_path,
                                          "-out", cert_path, "-days", "2", "-subj", "/CN=127.0.0.1",
                                          "-addext", "subjectAltName=IP:127.0.0.1", NULL };
  g_autoptr (GTlsCertificate)  cert = NULL;
  g_autoptr (KiosFakeServer)   server = NULL;
  g_autoptr (KiosHttpRequest)  request = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *url = NULL;
  int                          status = -1;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no GIO TLS backend (glib-networking)");
      return;
    }
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) || status != 0)
    {
      g_test_skip ("openssl cannot make a test certificate");
      return;
    }
  cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);

  /* A self-signed certificate is refused: TLS is verified, and the
   * credentials never reach the server. */
  server = kios_fake_server_new_tls (echo_handler, NULL, cert);
  g_assert_true (g_str_has_prefix (kios_fake_server_get_url (server), "https://"));
  url = g_strdup_printf ("%s/hello", kios_fake_server_get_url (server));
  request = kios_http_request_new ("GET", url);
  add_credentials (request);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TLS);
  g_test_message ("%s", error->message);
  g_assert_null (response);
  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 0);

  /* Trusted, the same server answers: the failure above was the verification. */
  g_clear_error (&error);
  request->ca_file = g_strdup (cert_path);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 1);

  g_remove (cert_path);
  g_remove (key_path);
  g_rmdir (dir);
}

/* ------------------------------------------------------------------ */
/* HTTP authentication done by libcurl, checked by a server that knows
 * Basic and Digest (RFC 7616, MD5, qop=auth) for bob / hunter2. */

#define AUTH_USER "bob"
#define AUTH_PASSWORD "hunter2"
#define AUTH_REALM "kios-test"
#define AUTH_NONCE "0123456789abcdef"

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* The value of name="…" or name=… in a Digest header, or NULL. */
static char *
digest_param (const char *header,
              const char *name)
{
  const char *p = header;
  gsize       len = strlen (name);

  while ((p = strstr (p, name)) != NULL)
    {
      gboolean starts = p == header || p[-1] == ' ' || p[-1] == ',';

      p += len;
      if (!starts || *p != '=')
        continue;
      p++;
      if (*p == '"')
        {
          const char *end = strchr (p + 1, '"');
          return end != NULL ? g_strndup (p + 1, end - p - 1) : NULL;
        }
      return g_strndup (p, strcspn (p, ", "));
    }
  return NULL;
}

static gboolean
digest_ok (const KiosFakeRequest *request,
           const char            *header)
{
  g_autofree char *user = digest_param (header, "username");
  g_autofree char *realm = digest_param (header, "realm");
  g_autofree char *nonce = digest_param (header, "nonce");
  g_autofree char *uri = digest_param (header, "uri");
  g_autofree char *response = digest_param (header, "response");
  g_autofree char *qop = digest_param (header, "qop");
  g_autofree char *nc = digest_param (header, "nc");
  g_autofree char *cnonce = digest_param (header, "cnonce");
  g_autofree char *a1 = NULL;
  g_autofree char *a2 = NULL;
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2 = NULL;
  g_autofree char *all = NULL;
  g_autofree char *expected = NULL;

  if (user == NULL || realm == NULL || nonce == NULL || uri == NULL || response == NULL || qop == NULL || nc == NULL || cnonce == NULL)
    return FALSE;
  if (!g_str_equal (user, AUTH_USER) || !g_str_equal (realm, AUTH_REALM) || !g_str_equal (nonce, AUTH_NONCE) || !g_str_equal (uri, request->path))
    return FALSE;
  a1 = g_strdup_printf ("%s:%s:%s", AUTH_USER, AUTH_REALM, AUTH_PASSWORD);
  a2 = g_strdup_printf ("%s:%s", request->method, uri);
  ha1 = md5_hex (a1);
  ha2 = md5_hex (a2);
  all = g_strdup_printf ("%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
  expected = md5_hex (all);
  return g_str_equal (expected, response);
}

static void
auth_handler (KiosFakeServer        *server,
              const KiosFakeRequest *request,
              KiosFakeResponse      *response,
              gpointer               user_data)
{
  const char *authorization = kios_fake_request_get_header (request, "Authorization");

  if (g_str_has_prefix (request->path, "/basic"))
    {
      g_autofree char *pair = g_base64_encode ((const guchar *) AUTH_USER ":" AUTH_PASSWORD, strlen (AUTH_USER ":" AUTH_PASSWORD));
      g_autofree char *expected = g_strconcat ("Basic ", pair, NULL);

      if (authorization != NULL && g_str_equal (authorization, expected))
        kios_fake_response_set_text (response, 200, "text/plain", "welcome");
      else
        {
          kios_fake_response_set_text (response, 401, "text/html", "<html>sign in</html>");
          kios_fake_response_add_header (response, "WWW-Authenticate", "Basic realm=\"" AUTH_REALM "\"");
        }
    }
  else if (g_str_has_prefix (request->path, "/digest"))
    {
      if (authorization != NULL && g_str_has_prefix (authorization, "Digest ") && digest_ok (request, authorization))
        {
          if (g_str_equal (request->path, "/digest/progression"))
            kios_fake_response_set_text (response, 200, "application/json",
                                         "{\"progression\":0.25,\"modified\":\"2026-01-02T03:04:05Z\"}");
          else
            kios_fake_response_set_text (response, 200, "text/plain", "welcome");
        }
      else
        {
          kios_fake_response_set_text (response, 401, "text/html", "<html>sign in</html>");
          kios_fake_response_add_header (response, "WWW-Authenticate",
                                         "Digest realm=\"" AUTH_REALM "\", qop=\"auth\", nonce=\"" AUTH_NONCE "\", algorithm=MD5");
        }
    }
  else
    echo_handler (server, request, response, user_data);
}

static KiosHttpResponse *
auth_get (const char  *url,
          KiosHttpAuth auth,
          const char  *password,
          GError     **error)
{
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);

  kios_http_request_set_auth (request, auth, AUTH_USER, password);
  return kios_http_send_sync (request, NULL, error);
}

static guint
count_authorized (KiosFakeServer *server)
{
  guint n = 0;

  for (guint i = 0; i < kios_fake_server_get_n_requests (server); i++)
    {
      g_autoptr (KiosFakeRequest) seen = kios_fake_server_get_request (server, i);

      if (kios_fake_request_get_header (seen, "Authorization") != NULL)
        n++;
    }
  return n;
}

static void
test_auth_basic_digest (void)
{
  g_autoptr (KiosFakeServer) server = kios_fake_server_new (auth_handler, NULL);
  const struct
  {
    const char  *path;
    KiosHttpAuth auth;
    const char  *password;
    guint        status;
    guint        n_requests; /* on the wire */
  } cases[] = {
    /* Basic goes with the first request. */
    { "/basic", KIOS_HTTP_AUTH_BASIC, AUTH_PASSWORD, 200, 1 },
    { "/basic", KIOS_HTTP_AUTH_BASIC, "wrong", 401, 1 },
    /* Digest answers the challenge. */
    { "/digest", KIOS_HTTP_AUTH_DIGEST, AUTH_PASSWORD, 200, 2 },
    { "/digest?q=1", KIOS_HTTP_AUTH_DIGEST, AUTH_PASSWORD, 200, 2 },
    { "/digest", KIOS_HTTP_AUTH_DIGEST, "wrong", 401, 2 },
    /* Any: whichever the challenge names. */
    { "/digest", KIOS_HTTP_AUTH_ANY, AUTH_PASSWORD, 200, 2 },
    { "/basic", KIOS_HTTP_AUTH_ANY, AUTH_PASSWORD, 200, 2 },
    /* None: nothing is sent, the 401 is the answer. */
    { "/basic", KIOS_HTTP_AUTH_NONE, AUTH_PASSWORD, 401, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char             *url = g_strdup_printf ("%s%s", kios_fake_server_get_url (server), cases[i].path);
      g_autoptr (KiosHttpResponse) response = NULL;
      g_autoptr (GError)           error = NULL;

      g_test_message ("case %u: %s", i, cases[i].path);
      kios_fake_server_clear_log (server);
      response = auth_get (url, cases[i].auth, cases[i].password, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (response->status, ==, cases[i].status);
      g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, cases[i].n_requests);
      if (cases[i].status == 200)
        g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body), "welcome", 7);
      if (cases[i].auth == KIOS_HTTP_AUTH_NONE)
        g_assert_cmpuint (count_authorized (server), ==, 0);
    }
}

/* A body streamed to a sink after a Digest challenge holds only the final
 * answer, not the challenge's page. */
static void
test_auth_digest_sink (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (auth_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/digest", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *path = NULL;
  g_autoptr (GOutputStream)    sink = temp_sink (&path);
  g_autofree char             *contents = NULL;

  kios_http_request_set_auth (request, KIOS_HTTP_AUTH_DIGEST, AUTH_USER, AUTH_PASSWORD);
  kios_http_request_set_sink (request, sink);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, 0);
  g_output_stream_close (sink, NULL, NULL);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "welcome");
  g_remove (path);
}

/* The Readium progression client signs in to a catalog that asks for Digest. */
static void
test_auth_readium_digest (void)
{
  g_autoptr (KiosFakeServer)         server = kios_fake_server_new (auth_handler, NULL);
  g_autofree char                   *url = g_strdup_printf ("%s/digest/progression", kios_fake_server_get_url (server));
  g_autoptr (KiosReadiumClient)      client = kios_readium_client_new (url, kios_fake_server_get_url (server), AUTH_USER, AUTH_PASSWORD);
  g_autoptr (KiosReadiumClient)      wrong = kios_readium_client_new (url, kios_fake_server_get_url (server), AUTH_USER, "nope");
  g_autoptr (KiosReadiumProgression) got = NULL;
  g_autoptr (GError)                 error = NULL;

  got = kios_readium_client_get (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpfloat_with_epsilon (got->total_progression, 0.25, 1e-9);

  g_assert_null (kios_readium_client_get (wrong, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, AUTH_REALM));
  g_assert_null (strstr (error->message, "nope"));
}

/* A same-origin redirect keeps the credentials; one to another origin drops
 * them for good, also when a later redirect comes back. */
static void
test_auth_redirects (void)
{
  g_autoptr (KiosFakeServer) a = kios_fake_server_new (auth_handler, NULL);
  g_autoptr (KiosFakeServer) b = kios_fake_server_new (auth_handler, NULL);

  {
    g_autofree char             *target = g_strdup_printf ("%s/digest", kios_fake_server_get_url (a));
    g_autofree char             *escaped = g_uri_escape_string (target, NULL, FALSE);
    g_autofree char             *url = g_strdup_printf ("%s/away?to=%s", kios_fake_server_get_url (a), escaped);
    g_autoptr (KiosHttpResponse) response = NULL;
    g_autoptr (GError)           error = NULL;

    response = auth_get (url, KIOS_HTTP_AUTH_ANY, AUTH_PASSWORD, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (response->status, ==, 200);
  }

  for (guint digest = 0; digest < 2; digest++)
    {
      g_autofree char             *target = g_strdup_printf ("%s/%s", kios_fake_server_get_url (b), digest ? "digest" : "basic");
      g_autofree char             *escaped = g_uri_escape_string (target, NULL, FALSE);
      g_autofree char             *url = g_strdup_printf ("%s/away?to=%s", kios_fake_server_get_url (a), escaped);
      g_autoptr (KiosHttpResponse) response = NULL;
      g_autoptr (GError)           error = NULL;

      kios_fake_server_clear_log (a);
      kios_fake_server_clear_log (b);
      response = auth_get (url, digest ? KIOS_HTTP_AUTH_DIGEST : KIOS_HTTP_AUTH_BASIC, AUTH_PASSWORD, &error);
      g_assert_no_error (error);
      /* b asked, and got nothing: its 401 is the answer. */
      g_assert_cmpuint (response->status, ==, 401);
      g_assert_cmpuint (kios_fake_server_get_n_requests (b), ==, 1);
      g_assert_cmpuint (count_authorized (b), ==, 0);
      if (!digest)
        g_assert_cmpuint (count_authorized (a), ==, 1); /* Basic went to a, preemptively */
    }

  /* a → b → back to a: once left, the origin never gets them again. */
  {
    g_autofree char             *final = g_strdup_printf ("%s/basic", kios_fake_server_get_url (a));
    g_autofree char             *final_escaped = g_uri_escape_string (final, NULL, FALSE);
    g_autofree char             *via = g_strdup_printf ("%s/away?to=%s", kios_fake_server_get_url (b), final_escaped);
    g_autofree char             *via_escaped = g_uri_escape_string (via, NULL, FALSE);
    g_autofree char             *url = g_strdup_printf ("%s/away?to=%s", kios_fake_server_get_url (a), via_escaped);
    g_autoptr (KiosHttpResponse) response = NULL;
    g_autoptr (GError)           error = NULL;
    g_autoptr (KiosFakeRequest)  last = NULL;

    kios_fake_server_clear_log (a);
    kios_fake_server_clear_log (b);
    response = auth_get (url, KIOS_HTTP_AUTH_BASIC, AUTH_PASSWORD, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (response->status, ==, 401);
    g_assert_cmpuint (response->n_redirects, ==, 2);
    g_assert_cmpuint (kios_fake_server_get_n_requests (a), ==, 2);
    last = kios_fake_server_get_request (a, 1);
    g_assert_cmpstr (last->path, ==, "/basic");
    g_assert_null (kios_fake_request_get_header (last, "Authorization"));
    g_assert_cmpuint (count_authorized (b), ==, 0);
  }
}

/* With debugging on, neither the password nor the user name reach the log. */
static void
test_auth_not_logged (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (auth_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/digest", kios_fake_server_get_url (server));
  g_autofree char             *basic_url = g_strdup_printf ("%s/basic", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (KiosHttpResponse) basic = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *log = NULL;
  g_autofree char             *encoded = g_base64_encode ((const guchar *) AUTH_USER ":" AUTH_PASSWORD, strlen (AUTH_USER ":" AUTH_PASSWORD));

  g_setenv ("KIOS_HTTP_DEBUG", "1", TRUE);
  g_mutex_lock (&log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&log_lock);
  response = auth_get (url, KIOS_HTTP_AUTH_ANY, AUTH_PASSWORD, &error);
  g_assert_no_error (error);
  basic = auth_get (basic_url, KIOS_HTTP_AUTH_BASIC, AUTH_PASSWORD, &error);
  g_assert_no_error (error);
  g_unsetenv ("KIOS_HTTP_DEBUG");
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (basic->status, ==, 200);

  g_mutex_lock (&log_lock);
  log = g_strdup (captured_log->str);
  g_mutex_unlock (&log_lock);
  g_assert_nonnull (strstr (log, "Authorization: REDACTED"));
  g_assert_null (strstr (log, AUTH_PASSWORD));
  g_assert_null (strstr (log, encoded));
  g_assert_null (strstr (log, "'" AUTH_USER "'"));
  g_assert_null (strstr (log, "\"" AUTH_USER "\""));
}

static void
test_origin (void)
{
  const struct
  {
    const char *url;
    const char *origin;
  } cases[] = {
    { "http://Example.ORG/opds", "http://example.org:80" },
    { "http://example.org:80/x", "http://example.org:80" },
    { "HTTPS://example.org/x?y#z", "https://example.org:443" },
    { "https://bob:pw@example.org:8443/", "https://example.org:8443" },
    { "http://[::1]:8080/", "http://[::1]:8080" },
    { "http://127.0.0.1:1/kosync", "http://127.0.0.1:1" },
    { "ftp://example.org/", NULL },
    { "file:///etc/passwd", NULL },
    { "/relative/path", NULL },
    { "not a url", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *origin = kios_origin_from_url (cases[i].url);

      g_assert_cmpstr (origin, ==, cases[i].origin);
      if (origin != NULL)
        g_assert_true (kios_origin_matches (origin, cases[i].url));
    }
  g_assert_null (kios_origin_from_url (NULL));
  g_assert_true (kios_origin_same ("http://a.example/x", "HTTP://A.example:80/y"));
  g_assert_false (kios_origin_same ("http://a.example/", "https://a.example/"));
  g_assert_false (kios_origin_same ("http://a.example/", "http://a.example:8080/"));
  g_assert_false (kios_origin_same ("http://a.example/", "http://b.example/"));
  g_assert_false (kios_origin_same ("http://a.example.evil/", "http://a.example/"));
  g_assert_false (kios_origin_same (NULL, NULL));
  g_assert_false (kios_origin_matches (NULL, "http://a.example/"));
}

int
main (int argc, char **argv)
{
  /* Every debug line is produced and captured: none may carry a secret. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/kios/http/get", test_get);
  g_test_add_func ("/kios/http/put", test_put);
  g_test_add_func ("/kios/http/async", test_async);
  g_test_add_func ("/kios/http/timeout", test_timeout);
  g_test_add_func ("/kios/http/black-hole-cancel", test_black_hole_cancel);
  g_test_add_func ("/kios/http/black-hole-timeout", test_black_hole_timeout);
  g_test_add_func ("/kios/http/size-cap", test_size_cap);
  g_test_add_func ("/kios/http/stream-flat-memory", test_stream_flat_memory);
  g_test_add_func ("/kios/http/stream-limit", test_stream_limit);
  g_test_add_func ("/kios/http/stream-statuses", test_stream_statuses);
  g_test_add_func ("/kios/http/stream-cancel", test_stream_cancel);
  g_test_add_func ("/kios/http/redirect-same-host", test_redirect_same_host);
  g_test_add_func ("/kios/http/redirect-other-host", test_redirect_other_host);
  g_test_add_func ("/kios/http/redirect-loop", test_redirect_loop);
  g_test_add_func ("/kios/http/errors", test_errors);
  g_test_add_func ("/kios/http/debug-redacted", test_debug_redacted);
  g_test_add_func ("/kios/http/tls-verified", test_tls_verified);
  g_test_add_func ("/kios/http/auth-basic-digest", test_auth_basic_digest);
  g_test_add_func ("/kios/http/auth-redirects", test_auth_redirects);
  g_test_add_func ("/kios/http/auth-digest-sink", test_auth_digest_sink);
  g_test_add_func ("/kios/http/auth-readium-digest", test_auth_readium_digest);
  g_test_add_func ("/kios/http/auth-not-logged", test_auth_not_logged);
  g_test_add_func ("/kios/http/origin", test_origin);

  return g_test_run ();
}
