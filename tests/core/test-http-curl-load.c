/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libcurl is loaded by the first request, on the thread that makes it: for
 * the app a worker, never the main thread (which paints the first page). */

#define G_LOG_DOMAIN "test-http-curl-load"

#include "config.h"

#include "kios-curl.h"
#include "kios-fake-server.h"
#include "kios-http.h"
#include "kios-test-util.h"

#include <string.h>

static GMutex   log_lock;
static GThread *loaded_on;
static guint    n_loads;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 && g_str_has_prefix (fields[i].value, "loaded " KIOS_CURL_SONAME))
      {
        g_mutex_lock (&log_lock);
        loaded_on = g_thread_self ();
        n_loads++;
        g_mutex_unlock (&log_lock);
      }
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
hello_handler (KiosFakeServer        *server,
               const KiosFakeRequest *request,
               KiosFakeResponse      *response,
               gpointer               user_data)
{
  kios_fake_response_set_text (response, 200, "text/plain", "hello");
}

static void
send_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_loaded_on_worker (void)
{
  KiosFakeServer             *server = kios_fake_server_new (hello_handler, NULL);
  g_autofree char            *url = g_strdup_printf ("%s/hello", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest) request = kios_http_request_new ("GET", url);
  g_autoptr (GError)          error = NULL;

  /* Nothing of it before the first request, though the binary uses it. */
  g_assert_false (kios_test_library_mapped ("libcurl"));

  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GAsyncResult)     result = NULL;
      g_autoptr (KiosHttpResponse) response = NULL;

      kios_http_send_async (request, NULL, send_done, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      response = kios_http_send_finish (result, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body), "hello", 5);
    }

  g_assert_true (kios_test_library_mapped ("libcurl"));
  /* Once, on the request's worker. */
  g_mutex_lock (&log_lock);
  g_assert_cmpuint (n_loads, ==, 1);
  g_assert_nonnull (loaded_on);
  g_assert_true (loaded_on != g_thread_self ());
  g_mutex_unlock (&log_lock);
  g_assert_nonnull (kios_curl_get (NULL));
  kios_fake_server_free (server);
}

/* Requests racing to be the first all get the one loaded library. */
static gpointer
get_in_thread (gpointer data)
{
  return (gpointer) kios_curl_get (NULL);
}

static void
test_concurrent_get (void)
{
  GThread        *threads[8];
  const KiosCurl *first = kios_curl_get (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("get", get_in_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_true (g_thread_join (threads[i]) == first);
  g_assert_cmpuint (n_loads, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/kios/http/curl-load/on-worker", test_loaded_on_worker);
  g_test_add_func ("/kios/http/curl-load/concurrent", test_concurrent_get);
  return g_test_run ();
}
