/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-http"

#include "config.h"

#include "kios-http.h"

#include "kios-redact.h"
#include "kios-sync-error.h"

#include <curl/curl.h>
#include <string.h>

#define MAX_HEADER_LINES 256
#define USER_AGENT "Kios/" PACKAGE_VERSION
/* Extra time the poll loop allows past libcurl's own timeout before it gives
 * up by itself: libcurl should always report first, this only bounds the loop. */
#define LOOP_GRACE_US (2 * G_USEC_PER_SEC)

typedef struct
{
  GByteArray *body;
  gsize       cap;
  gboolean    too_large;
  GPtrArray  *headers;
} Sink;

static gsize
curl_init_once (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&initialized, 1);
    }
  return initialized;
}

KiosHttpRequest *
kios_http_request_new (const char *method,
                       const char *url)
{
  KiosHttpRequest *self = g_new0 (KiosHttpRequest, 1);

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  self->method = g_strdup (method);
  self->url = g_strdup (url);
  self->headers = g_ptr_array_new_with_free_func (g_free);
  self->connect_timeout_ms = KIOS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
  self->timeout_ms = KIOS_HTTP_DEFAULT_TIMEOUT_MS;
  self->max_response_size = KIOS_HTTP_DEFAULT_MAX_RESPONSE_SIZE;
  self->max_redirects = KIOS_HTTP_DEFAULT_MAX_REDIRECTS;
  return self;
}

KiosHttpRequest *
kios_http_request_copy (const KiosHttpRequest *self)
{
  KiosHttpRequest *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = kios_http_request_new (self->method, self->url);
  for (guint i = 0; i < self->headers->len; i++)
    g_ptr_array_add (copy->headers, g_strdup (self->headers->pdata[i]));
  copy->body = self->body != NULL ? g_bytes_ref (self->body) : NULL;
  copy->connect_timeout_ms = self->connect_timeout_ms;
  copy->timeout_ms = self->timeout_ms;
  copy->max_response_size = self->max_response_size;
  copy->max_redirects = self->max_redirects;
  copy->ca_file = g_strdup (self->ca_file);
  return copy;
}

void
kios_http_request_free (KiosHttpRequest *self)
{
  if (self == NULL)
    return;
  g_free (self->method);
  g_free (self->url);
  g_free (self->ca_file);
  g_ptr_array_unref (self->headers);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self);
}

void
kios_http_request_add_header (KiosHttpRequest *self,
                              const char      *name,
                              const char      *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL && value != NULL);
  /* A CR or LF in a value would let it smuggle extra headers. */
  g_return_if_fail (strpbrk (value, "\r\n") == NULL);

  g_ptr_array_add (self->headers, g_strdup_printf ("%s: %s", name, value));
}

void
kios_http_request_set_body (KiosHttpRequest *self,
                            const char      *content_type,
                            GBytes          *body)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->body, g_bytes_unref);
  self->body = body != NULL ? g_bytes_ref (body) : NULL;
  if (content_type != NULL)
    kios_http_request_add_header (self, "Content-Type", content_type);
}

static const char *
header_value (const char *line,
              const char *name)
{
  gsize len = strlen (name);

  if (g_ascii_strncasecmp (line, name, len) != 0 || line[len] != ':')
    return NULL;
  line += len + 1;
  while (*line == ' ' || *line == '\t')
    line++;
  return line;
}

const char *
kios_http_response_get_header (const KiosHttpResponse *self,
                               const char             *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->headers->len; i++)
    {
      const char *value = header_value (self->headers->pdata[i], name);
      if (value != NULL)
        return value;
    }
  return NULL;
}

void
kios_http_response_free (KiosHttpResponse *self)
{
  if (self == NULL)
    return;
  g_free (self->effective_url);
  g_ptr_array_unref (self->headers);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self);
}

static size_t
write_cb (char  *ptr,
          size_t size,
          size_t nmemb,
          void  *data)
{
  Sink *sink = data;
  gsize n = size * nmemb;

  if (n > sink->cap || sink->body->len > sink->cap - n)
    {
      sink->too_large = TRUE;
      return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
  g_byte_array_append (sink->body, (const guint8 *) ptr, n);
  return n;
}

static size_t
header_cb (char  *buffer,
           size_t size,
           size_t nitems,
           void  *data)
{
  Sink *sink = data;
  gsize n = size * nitems;
  char *line;

  line = g_strndup (buffer, n);
  g_strchomp (line);
  /* Every status line starts a new header block (100 Continue, …). */
  if (g_str_has_prefix (line, "HTTP/"))
    g_ptr_array_set_size (sink->headers, 0);
  if (*line != '\0' && !g_str_has_prefix (line, "HTTP/") && sink->headers->len < MAX_HEADER_LINES)
    g_ptr_array_add (sink->headers, g_steal_pointer (&line));
  g_free (line);
  return n;
}

static gboolean
is_request_line (const char *line)
{
  const char *space = strchr (line, ' ');

  if (space == NULL || space == line || space[1] != '/')
    return FALSE;
  for (const char *p = line; p < space; p++)
    if (!g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static void
debug_lines (char        prefix,
             const char *data,
             size_t      size,
             gboolean    headers)
{
  g_autofree char *text = g_strndup (data, size);
  g_auto (GStrv)   lines = g_strsplit (text, "\n", 64);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *redacted = NULL;

      g_strchomp (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      if (headers && is_request_line (lines[i]))
        {
          char            *target = strchr (lines[i], ' ') + 1;
          char            *version = strchr (target, ' ');
          g_autofree char *url = NULL;

          if (version != NULL)
            *version++ = '\0';
          url = kios_redact_url (target);
          redacted = g_strdup_printf ("%.*s %s %s", (int) (target - lines[i] - 1), lines[i],
                                      url, version != NULL ? version : "");
        }
      else if (headers)
        redacted = kios_redact_header (lines[i]);
      else
        redacted = kios_redact_text (lines[i]);
      g_debug ("%c %s", prefix, redacted);
    }
}

static int
debug_cb (CURL         *handle,
          curl_infotype type,
          char         *data,
          size_t        size,
          void         *user_data)
{
  switch (type)
    {
    case CURLINFO_TEXT:
      debug_lines ('*', data, size, FALSE);
      break;
    case CURLINFO_HEADER_IN:
      debug_lines ('<', data, size, TRUE);
      break;
    case CURLINFO_HEADER_OUT:
      debug_lines ('>', data, size, TRUE);
      break;
    case CURLINFO_DATA_IN:
    case CURLINFO_DATA_OUT:
      /* Bodies are never logged, only their size. */
      g_debug ("%c [%zu bytes of body]", type == CURLINFO_DATA_IN ? '<' : '>', size);
      break;
    case CURLINFO_SSL_DATA_IN:
    case CURLINFO_SSL_DATA_OUT:
    case CURLINFO_END:
    default:
      break;
    }
  return 0;
}

static void
wakeup_cb (GCancellable *cancellable,
           gpointer      data)
{
  curl_multi_wakeup (data);
}

/* Runs one transfer through a private multi handle so that the cancellable
 * can interrupt curl_multi_poll () at once. */
static CURLcode
perform (CURL         *easy,
         GCancellable *cancellable,
         gint64        deadline_us,
         gboolean     *cancelled)
{
  CURLM   *multi = curl_multi_init ();
  CURLcode result = CURLE_OK;
  gulong   handler = 0;
  gboolean done = FALSE;

  *cancelled = FALSE;
  curl_multi_add_handle (multi, easy);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wakeup_cb), multi, NULL);

  while (!done)
    {
      int       running = 0;
      int       queued = 0;
      CURLMsg  *msg;
      CURLMcode mc;

      if (g_cancellable_is_cancelled (cancellable))
        {
          *cancelled = TRUE;
          break;
        }
      if (g_get_monotonic_time () > deadline_us + LOOP_GRACE_US)
        {
          result = CURLE_OPERATION_TIMEDOUT;
          break;
        }
      mc = curl_multi_perform (multi, &running);
      if (mc != CURLM_OK)
        {
          result = CURLE_FAILED_INIT;
          break;
        }
      while ((msg = curl_multi_info_read (multi, &queued)) != NULL)
        if (msg->msg == CURLMSG_DONE)
          {
            result = msg->data.result;
            done = TRUE;
          }
      if (done)
        break;
      if (running == 0)
        {
          /* Finished without a DONE message: should not happen. */
          result = CURLE_FAILED_INIT;
          break;
        }
      curl_multi_poll (multi, NULL, 0, 1000, NULL);
    }

  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  curl_multi_remove_handle (multi, easy);
  curl_multi_cleanup (multi);
  return result;
}

static char *
origin_of (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  int              port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_str_equal (scheme, "https") ? 443 : 80;
  return g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

static gboolean
check_url (const char *method,
           const char *url,
           GError    **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char      *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || scheme == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_autofree char *redacted = kios_redact_url (url);
      g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL,
                   "%s %s: not an http:// or https:// URL", method, redacted);
      return FALSE;
    }
  return TRUE;
}

static void
set_curl_error (GError    **error,
                CURLcode    code,
                const char *errbuf,
                gboolean    too_large,
                const char *method,
                const char *url,
                guint       timeout_ms)
{
  g_autofree char *redacted_url = kios_redact_url (url);
  g_autofree char *detail = kios_redact_text (errbuf[0] != '\0' ? errbuf : curl_easy_strerror (code));
  KiosHttpError    kind;

  switch (code)
    {
    case CURLE_OPERATION_TIMEDOUT:
      kind = KIOS_HTTP_ERROR_TIMEOUT;
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      kind = KIOS_HTTP_ERROR_NETWORK;
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      kind = KIOS_HTTP_ERROR_TLS;
      break;
    case CURLE_FILESIZE_EXCEEDED:
      kind = KIOS_HTTP_ERROR_TOO_LARGE;
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      kind = KIOS_HTTP_ERROR_INVALID_URL;
      break;
    case CURLE_WRITE_ERROR:
      kind = too_large ? KIOS_HTTP_ERROR_TOO_LARGE : KIOS_HTTP_ERROR_FAILED;
      break;
    default:
      kind = KIOS_HTTP_ERROR_FAILED;
      break;
    }

  if (kind == KIOS_HTTP_ERROR_TOO_LARGE)
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: the response is larger than the limit",
                 method, redacted_url);
  else if (kind == KIOS_HTTP_ERROR_TIMEOUT)
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: no answer within %u ms (%s)",
                 method, redacted_url, timeout_ms, detail);
  else
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: %s", method, redacted_url, detail);
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void
strip_headers (GPtrArray *headers,
               gboolean   credentials,
               gboolean   content)
{
  for (guint i = headers->len; i > 0; i--)
    {
      const char      *line = headers->pdata[i - 1];
      const char      *colon = strchr (line, ':');
      g_autofree char *name = g_strndup (line, colon != NULL ? (gsize) (colon - line) : strlen (line));

      if ((credentials && kios_redact_header_is_secret (name)) || (content && (g_ascii_strcasecmp (name, "Content-Type") == 0 || g_ascii_strcasecmp (name, "Content-Length") == 0)))
        g_ptr_array_remove_index (headers, i - 1);
    }
}

KiosHttpResponse *
kios_http_send_sync (const KiosHttpRequest *request,
                     GCancellable          *cancellable,
                     GError               **error)
{
  g_autofree char      *url = NULL;
  g_autofree char      *method = NULL;
  g_autofree char      *origin = NULL;
  g_autoptr (GPtrArray) headers = NULL;
  g_autoptr (GBytes)    body = NULL;
  gint64                start_us;
  gint64                deadline_us;
  gboolean              debug = g_getenv ("KIOS_HTTP_DEBUG") != NULL;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  curl_init_once ();

  url = g_strdup (request->url);
  method = g_ascii_strup (request->method, -1);
  origin = origin_of (url);
  headers = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < request->headers->len; i++)
    g_ptr_array_add (headers, g_strdup (request->headers->pdata[i]));
  body = request->body != NULL ? g_bytes_ref (request->body) : NULL;
  start_us = g_get_monotonic_time ();
  deadline_us = start_us + (gint64) request->timeout_ms * 1000;

  for (guint hop = 0;; hop++)
    {
      CURL                  *easy;
      struct curl_slist     *list = NULL;
      char                   errbuf[CURL_ERROR_SIZE] = "";
      g_autoptr (GByteArray) data = g_byte_array_new ();
      g_autoptr (GPtrArray)  response_headers = g_ptr_array_new_with_free_func (g_free);
      Sink                   sink = { data, request->max_response_size, FALSE, response_headers };
      gint64                 remaining_ms;
      gboolean               cancelled = FALSE;
      CURLcode               code;
      long                   status = 0;
      g_autofree char       *redacted = NULL;
      const char            *location = NULL;
      g_autofree char       *next_url = NULL;
      g_autofree char       *next_origin = NULL;
      KiosHttpResponse      *response;

      if (!check_url (method, url, error))
        return NULL;

      remaining_ms = (deadline_us - g_get_monotonic_time ()) / 1000;
      if (remaining_ms <= 0)
        {
          g_autofree char *r = kios_redact_url (url);
          g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT,
                       "%s %s: no answer within %u ms", method, r, request->timeout_ms);
          return NULL;
        }

      easy = curl_easy_init ();
      if (easy == NULL)
        {
          g_set_error_literal (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED,
                               "Cannot create an HTTP handle");
          return NULL;
        }

      for (guint i = 0; i < headers->len; i++)
        list = curl_slist_append (list, headers->pdata[i]);
      /* No "Expect: 100-continue" round trip for our small bodies. */
      list = curl_slist_append (list, "Expect:");

      curl_easy_setopt (easy, CURLOPT_URL, url);
      curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, errbuf);
      curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt (easy, CURLOPT_UNRESTRICTED_AUTH, 0L);
      curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 2L);
      if (request->ca_file != NULL)
        curl_easy_setopt (easy, CURLOPT_CAINFO, request->ca_file);
      curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS,
                        (long) MIN ((gint64) request->connect_timeout_ms, remaining_ms));
      curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) remaining_ms);
      curl_easy_setopt (easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) request->max_response_size);
      curl_easy_setopt (easy, CURLOPT_USERAGENT, USER_AGENT);
      curl_easy_setopt (easy, CURLOPT_ACCEPT_ENCODING, "");
      curl_easy_setopt (easy, CURLOPT_HTTPHEADER, list);
      curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, write_cb);
      curl_easy_setopt (easy, CURLOPT_WRITEDATA, &sink);
      curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, header_cb);
      curl_easy_setopt (easy, CURLOPT_HEADERDATA, &sink);
      if (g_str_equal (method, "GET") && body == NULL)
        curl_easy_setopt (easy, CURLOPT_HTTPGET, 1L);
      else if (g_str_equal (method, "HEAD"))
        curl_easy_setopt (easy, CURLOPT_NOBODY, 1L);
      else
        {
          gsize         len = 0;
          gconstpointer bytes = body != NULL ? g_bytes_get_data (body, &len) : "";

          curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
          curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
          curl_easy_setopt (easy, CURLOPT_POSTFIELDS, bytes);
        }
      if (debug)
        {
          curl_easy_setopt (easy, CURLOPT_DEBUGFUNCTION, debug_cb);
          curl_easy_setopt (easy, CURLOPT_VERBOSE, 1L);
        }

      code = perform (easy, cancellable, deadline_us, &cancelled);
      curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_cleanup (easy);
      curl_slist_free_all (list);

      redacted = kios_redact_url (url);
      if (cancelled)
        {
          g_debug ("%s %s: cancelled", method, redacted);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s %s: cancelled", method, redacted);
          return NULL;
        }
      if (code != CURLE_OK)
        {
          set_curl_error (error, code, errbuf, sink.too_large, method, url, request->timeout_ms);
          g_debug ("%s", (*error)->message);
          return NULL;
        }

      g_debug ("%s %s → %ld (%" G_GINT64_FORMAT " ms, %u bytes)", method, redacted, status,
               (g_get_monotonic_time () - start_us) / 1000, data->len);

      if (is_redirect ((guint) status) && request->max_redirects > 0)
        {
          for (guint i = 0; i < response_headers->len && location == NULL; i++)
            location = header_value (response_headers->pdata[i], "Location");
        }

      if (location == NULL)
        {
          response = g_new0 (KiosHttpResponse, 1);
          response->status = (guint) status;
          response->effective_url = g_steal_pointer (&url);
          response->headers = g_steal_pointer (&response_headers);
          response->body = g_byte_array_free_to_bytes (g_steal_pointer (&data));
          response->n_redirects = hop;
          return response;
        }

      if (hop >= request->max_redirects)
        {
          g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS,
                       "%s %s: more than %u redirects", method, redacted, request->max_redirects);
          return NULL;
        }

      next_url = g_uri_resolve_relative (url, location, G_URI_FLAGS_NONE, NULL);
      if (next_url == NULL || !check_url (method, next_url, NULL))
        {
          g_autofree char *r = kios_redact_url (location);
          g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL,
                       "%s %s: redirected to an invalid URL %s", method, redacted, r);
          return NULL;
        }

      /* Credentials belong to the origin the user configured: once a redirect
       * leaves it (another host, port or scheme), they are never sent again. */
      next_origin = origin_of (next_url);
      if (origin == NULL || next_origin == NULL || !g_str_equal (origin, next_origin))
        {
          g_autofree char *r = kios_redact_url (next_url);
          g_debug ("redirect to another origin %s: dropping credentials", r);
          strip_headers (headers, TRUE, FALSE);
          g_clear_pointer (&origin, g_free);
        }

      /* What browsers and libcurl do: 303 always, and 301/302 after a POST,
       * become a GET without a body. */
      if (status == 303 || ((status == 301 || status == 302) && g_str_equal (method, "POST")))
        {
          if (!g_str_equal (method, "HEAD"))
            {
              g_free (method);
              method = g_strdup ("GET");
            }
          g_clear_pointer (&body, g_bytes_unref);
          strip_headers (headers, FALSE, TRUE);
        }

      g_free (url);
      url = g_steal_pointer (&next_url);
    }
}

static void
send_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError           *error = NULL;
  KiosHttpResponse *response = kios_http_send_sync (task_data, cancellable, &error);

  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify) kios_http_response_free);
}

void
kios_http_send_async (const KiosHttpRequest *request,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (request != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_http_send_async);
  g_task_set_task_data (task, kios_http_request_copy (request), (GDestroyNotify) kios_http_request_free);
  g_task_run_in_thread (task, send_worker);
}

KiosHttpResponse *
kios_http_send_finish (GAsyncResult *result,
                       GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_http_send_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
