/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-http"

#include "config.h"

#include "kios-fake-server.h"
#include "kios-http.h"
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
  g_test_add_func ("/kios/http/redirect-same-host", test_redirect_same_host);
  g_test_add_func ("/kios/http/redirect-other-host", test_redirect_other_host);
  g_test_add_func ("/kios/http/redirect-loop", test_redirect_loop);
  g_test_add_func ("/kios/http/errors", test_errors);
  g_test_add_func ("/kios/http/debug-redacted", test_debug_redacted);
  g_test_add_func ("/kios/http/tls-verified", test_tls_verified);

  return g_test_run ();
}
