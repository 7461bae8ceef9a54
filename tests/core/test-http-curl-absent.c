/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libcurl is loaded by the first request, not linked: a process that has
 * made none has none of it, and one where it cannot be loaded gets an
 * error the UI words, on every request, without a crash. The tests share
 * the process's one load and run in order. */

#define G_LOG_DOMAIN "test-http-curl-absent"

#include "config.h"

#include "kios-curl.h"
#include "kios-error-messages.h"
#include "kios-fake-server.h"
#include "kios-http.h"
#include "kios-sync-error.h"
#include "kios-test-util.h"

#include <string.h>

#define ABSENT_SONAME "libkios-absent-curl.so.4"

static void
hello_handler (KiosFakeServer        *server,
               const KiosFakeRequest *request,
               KiosFakeResponse      *response,
               gpointer               user_data)
{
  kios_fake_response_set_text (response, 200, "text/plain", "hello");
}

static void
test_not_linked (void)
{
  /* This binary links kios-core, as kios and kiosctl do. */
  g_assert_false (kios_test_library_mapped ("libcurl"));
}

static void
test_load_fails (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (kios_curl_load_from (ABSENT_SONAME, &error));
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED);
  g_test_message ("core: %s", error->message);
  g_assert_nonnull (strstr (error->message, ABSENT_SONAME));
  g_clear_error (&error);

  /* Decided once for the process: the default name now fails the same way. */
  g_assert_null (kios_curl_get (&error));
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED);
  g_assert_false (kios_test_library_mapped ("libcurl"));
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
test_requests_fail (void)
{
  KiosFakeServer              *server = kios_fake_server_new (hello_handler, NULL);
  g_autofree char             *url = g_strdup_printf ("%s/hello", kios_fake_server_get_url (server));
  g_autoptr (KiosHttpRequest)  request = kios_http_request_new ("GET", url);
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (GAsyncResult)     result = NULL;
  g_autofree char             *host = NULL;
  g_autofree char             *sentence = NULL;
  KiosErrorAction              action = KIOS_ERROR_ACTION_NONE;

  response = kios_http_send_sync (request, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED);

  /* The person reads the app's sentence, not the loader's English. */
  host = kios_error_host_from_url (url);
  sentence = kios_error_describe (error, host, NULL, &action);
  g_test_message ("shown: %s", sentence);
  g_assert_null (strstr (sentence, "curl"));
  g_assert_null (strstr (sentence, ABSENT_SONAME));
  g_assert_nonnull (strstr (sentence, host));
  g_assert_cmpint (action, ==, KIOS_ERROR_ACTION_RETRY);
  g_clear_error (&error);

  /* Through a worker too, and again: every request, not only the first. */
  for (int i = 0; i < 2; i++)
    {
      kios_http_send_async (request, NULL, send_done, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_null (kios_http_send_finish (result, &error));
      g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED);
      g_clear_error (&error);
      g_clear_object (&result);
    }

  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, 0);
  g_assert_false (kios_test_library_mapped ("libcurl"));
  kios_fake_server_free (server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/kios/http/curl-absent/not-linked", test_not_linked);
  g_test_add_func ("/kios/http/curl-absent/load-fails", test_load_fails);
  g_test_add_func ("/kios/http/curl-absent/requests-fail", test_requests_fail);
  return g_test_run ();
}
