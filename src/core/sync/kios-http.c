/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-http"

#include "config.h"

#include "kios-http.h"

#include "kios-curl.h"
#include "kios-limits.h"
#include "kios-origin.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <string.h>

#define MAX_HEADER_LINES KIOS_LIMIT_HTTP_HEADER_LINES
#define USER_AGENT "Kios/" PACKAGE_VERSION
/* Extra time the poll loop allows past libcurl's own timeout before it gives
 * up by itself: libcurl should always report first, this only bounds the loop. */
#define LOOP_GRACE_US (2 * G_USEC_PER_SEC)
#define SIDE_BODY_CAP KIOS_LIMIT_HTTP_SIDE_BODY_BYTES
#define PROGRESS_INTERVAL_US (100 * 1000)

typedef struct
{
  const KiosCurl      *curl;
  CURL                *easy;
  GByteArray          *body; /* the body in memory (with a stream: a non-2xx one) */
  gsize                cap;  /* max_response_size */
  goffset              received;
  goffset              total; /* -1: unknown */
  gboolean             too_large;
  GPtrArray           *headers;
  GOutputStream       *stream; /* nullable */
  GCancellable        *cancellable;
  GError              *stream_error;
  gboolean             decided; /* to_stream, status and total are known */
  gboolean             to_stream;
  long                 status;
  KiosHttpProgressFunc progress;
  gpointer             progress_data;
  gint64               last_progress_us;
} Sink;

static gboolean is_redirect (guint status);

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
  copy->stall_timeout_ms = self->stall_timeout_ms;
  copy->ca_file = g_strdup (self->ca_file);
  copy->sink = self->sink != NULL ? g_object_ref (self->sink) : NULL;
  copy->progress = self->progress;
  copy->progress_data = self->progress_data;
  copy->auth = self->auth;
  copy->username = g_strdup (self->username);
  copy->password = g_strdup (self->password);
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
  g_clear_object (&self->sink);
  g_free (self->username);
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_free (self->password);
    }
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

void
kios_http_request_set_auth (KiosHttpRequest *self,
                            KiosHttpAuth     auth,
                            const char      *username,
                            const char      *password)
{
  g_return_if_fail (self != NULL);

  self->auth = auth;
  g_free (self->username);
  self->username = g_strdup (username);
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_free (self->password);
    }
  self->password = g_strdup (password);
  kios_redact_register_secret (password);
}

void
kios_http_request_set_sink (KiosHttpRequest *self,
                            GOutputStream   *sink)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (sink == NULL || G_IS_OUTPUT_STREAM (sink));

  g_set_object (&self->sink, sink);
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

static void
report_progress (Sink    *sink,
                 gboolean final)
{
  gint64 now;

  if (sink->progress == NULL || !sink->decided || is_redirect ((guint) sink->status))
    return;
  now = g_get_monotonic_time ();
  if (!final && now - sink->last_progress_us < PROGRESS_INTERVAL_US)
    return;
  sink->last_progress_us = now;
  sink->progress (sink->received, sink->total >= 0 ? MAX (sink->total, sink->received) : -1,
                  sink->progress_data);
}

static size_t
write_cb (char  *ptr,
          size_t size,
          size_t nmemb,
          void  *data)
{
  Sink           *sink = data;
  const KiosCurl *curl = sink->curl;
  gsize           n = size * nmemb;

  if (!sink->decided)
    {
      curl_off_t length = -1;

      /* The headers of this response are complete: where does its body go? */
      curl->easy_getinfo (sink->easy, CURLINFO_RESPONSE_CODE, &sink->status);
      curl->easy_getinfo (sink->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
      sink->total = length >= 0 ? (goffset) length : -1;
      sink->to_stream = sink->stream != NULL && sink->status >= 200 && sink->status < 300;
      sink->decided = TRUE;
    }

  /* Counted as it arrives: neither Content-Length nor Content-Range is
   * trusted. Returning less than n aborts with CURLE_WRITE_ERROR. */
  if (n > sink->cap || (gsize) sink->received > sink->cap - n)
    {
      sink->too_large = TRUE;
      return 0;
    }
  sink->received += n;

  if (sink->to_stream)
    {
      if (!g_output_stream_write_all (sink->stream, ptr, n, NULL, sink->cancellable, &sink->stream_error))
        return 0;
    }
  else if (sink->stream == NULL)
    g_byte_array_append (sink->body, (const guint8 *) ptr, n);
  else if (sink->body->len < SIDE_BODY_CAP)
    g_byte_array_append (sink->body, (const guint8 *) ptr, MIN (n, SIDE_BODY_CAP - sink->body->len));

  report_progress (sink, FALSE);
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
  /* Every status line starts a new response (100 Continue, an auth
   * challenge answered by libcurl, …): only the last one is kept. */
  if (g_str_has_prefix (line, "HTTP/"))
    {
      g_ptr_array_set_size (sink->headers, 0);
      if (!sink->to_stream || sink->received == 0)
        {
          g_byte_array_set_size (sink->body, 0);
          sink->received = 0;
          sink->decided = FALSE;
          sink->to_stream = FALSE;
        }
    }
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
             gboolean    headers,
             const char *username)
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
        {
          /* libcurl names the user it authenticates as. */
          GString *text_line = g_string_new (lines[i]);

          if (username != NULL && *username != '\0')
            g_string_replace (text_line, username, KIOS_REDACTED, 0);
          redacted = kios_redact_text (text_line->str);
          g_string_free (text_line, TRUE);
        }
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
  const char *username = user_data;

  switch (type)
    {
    case CURLINFO_TEXT:
      debug_lines ('*', data, size, FALSE, username);
      break;
    case CURLINFO_HEADER_IN:
      debug_lines ('<', data, size, TRUE, username);
      break;
    case CURLINFO_HEADER_OUT:
      debug_lines ('>', data, size, TRUE, username);
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
  /* Loaded already: the transfer being woken up runs on it. */
  kios_curl_get (NULL)->multi_wakeup (data);
}

/* Runs one transfer through a private multi handle so that the cancellable
 * can interrupt curl_multi_poll () at once. */
static CURLcode
perform (const KiosCurl *curl,
         CURL           *easy,
         GCancellable   *cancellable,
         gint64          deadline_us,
         gboolean       *cancelled)
{
  CURLM   *multi = curl->multi_init ();
  CURLcode result = CURLE_OK;
  gulong   handler = 0;
  gboolean done = FALSE;

  *cancelled = FALSE;
  curl->multi_add_handle (multi, easy);
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
      mc = curl->multi_perform (multi, &running);
      if (mc != CURLM_OK)
        {
          result = CURLE_FAILED_INIT;
          break;
        }
      while ((msg = curl->multi_info_read (multi, &queued)) != NULL)
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
      curl->multi_poll (multi, NULL, 0, 1000, NULL);
    }

  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
  curl->multi_remove_handle (multi, easy);
  curl->multi_cleanup (multi);
  return result;
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

/* What went wrong, in Kios's words: libcurl's own text goes to the debug
 * log only, never into a message a person may see. */
static const char *
describe_curl_code (CURLcode code)
{
  switch (code)
    {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "the host name could not be resolved";
    case CURLE_COULDNT_CONNECT:
      return "the connection was refused or could not be made";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return "the connection broke off";
    case CURLE_GOT_NOTHING:
      return "the server closed the connection without answering";
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return "the server's answer is not valid HTTP";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
      return "the secure (TLS) connection could not be set up";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return "the server's certificate could not be verified";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "the URL cannot be used";
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      return "authentication failed";
    default:
      return "the transfer failed";
    }
}

static void
set_curl_error (const KiosCurl *curl,
                GError        **error,
                CURLcode        code,
                const char     *errbuf,
                gboolean        too_large,
                const char     *method,
                const char     *url,
                guint           timeout_ms)
{
  g_autofree char *redacted_url = kios_redact_url (url);
  g_autofree char *detail = kios_redact_text (errbuf[0] != '\0' ? errbuf : curl->easy_strerror (code));
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

  g_debug ("%s %s: libcurl error %d: %s", method, redacted_url, (int) code, detail);
  if (kind == KIOS_HTTP_ERROR_TOO_LARGE)
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: the response is larger than the limit",
                 method, redacted_url);
  else if (kind == KIOS_HTTP_ERROR_TIMEOUT && timeout_ms > 0)
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: no answer within %u ms (code %d)",
                 method, redacted_url, timeout_ms, (int) code);
  else if (kind == KIOS_HTTP_ERROR_TIMEOUT)
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: the server stopped sending (code %d)",
                 method, redacted_url, (int) code);
  else
    g_set_error (error, KIOS_HTTP_ERROR, kind, "%s %s: %s (code %d)", method, redacted_url,
                 describe_curl_code (code), (int) code);
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
  const KiosCurl       *curl;
  GError               *load_error = NULL;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The first request loads libcurl (on its worker thread). */
  curl = kios_curl_get (&load_error);
  if (curl == NULL)
    {
      g_debug ("%s", load_error->message);
      g_propagate_error (error, load_error);
      return NULL;
    }

  url = g_strdup (request->url);
  method = g_ascii_strup (request->method, -1);
  origin = kios_origin_from_url (url);
  headers = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < request->headers->len; i++)
    g_ptr_array_add (headers, g_strdup (request->headers->pdata[i]));
  body = request->body != NULL ? g_bytes_ref (request->body) : NULL;
  start_us = g_get_monotonic_time ();
  /* No overall limit: far enough that the loop's own bound never fires. */
  deadline_us = request->timeout_ms > 0 ? start_us + (gint64) request->timeout_ms * 1000 : G_MAXINT64 / 2;

  for (guint hop = 0;; hop++)
    {
      CURL                  *easy;
      struct curl_slist     *list = NULL;
      char                   errbuf[CURL_ERROR_SIZE] = "";
      g_autoptr (GByteArray) data = g_byte_array_new ();
      g_autoptr (GPtrArray)  response_headers = g_ptr_array_new_with_free_func (g_free);
      Sink                   sink = { 0 };
      gboolean               with_auth;
      gint64                 remaining_ms;
      gboolean               cancelled = FALSE;
      CURLcode               code;
      long                   status = 0;
      g_autofree char       *redacted = NULL;
      const char            *location = NULL;
      g_autofree char       *next_url = NULL;
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

      easy = curl->easy_init ();
      if (easy == NULL)
        {
          g_set_error_literal (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED,
                               "Cannot create an HTTP handle");
          return NULL;
        }

      sink.curl = curl;
      sink.easy = easy;
      sink.body = data;
      sink.cap = request->max_response_size;
      sink.total = -1;
      sink.headers = response_headers;
      sink.stream = request->sink;
      sink.cancellable = cancellable;
      sink.progress = request->progress;
      sink.progress_data = request->progress_data;

      for (guint i = 0; i < headers->len; i++)
        list = curl->slist_append (list, headers->pdata[i]);
      /* No "Expect: 100-continue" round trip for our small bodies. */
      list = curl->slist_append (list, "Expect:");

      curl->easy_setopt (easy, CURLOPT_URL, url);
      curl->easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
      curl->easy_setopt (easy, CURLOPT_ERRORBUFFER, errbuf);
      curl->easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
      curl->easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
      curl->easy_setopt (easy, CURLOPT_UNRESTRICTED_AUTH, 0L);
      curl->easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 1L);
      curl->easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 2L);
      if (request->ca_file != NULL)
        curl->easy_setopt (easy, CURLOPT_CAINFO, request->ca_file);
      curl->easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS,
                         (long) MIN ((gint64) request->connect_timeout_ms, remaining_ms));
      if (request->timeout_ms > 0)
        curl->easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) remaining_ms);
      if (request->stall_timeout_ms > 0)
        {
          /* Less than one byte a second for that long: the server stalled. */
          curl->easy_setopt (easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
          curl->easy_setopt (easy, CURLOPT_LOW_SPEED_TIME, (long) MAX (1u, request->stall_timeout_ms / 1000));
        }
      /* A first refusal from the declared length; write_cb counts the rest. */
      curl->easy_setopt (easy, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t) MIN (request->max_response_size, (gsize) G_MAXINT64));
      curl->easy_setopt (easy, CURLOPT_USERAGENT, USER_AGENT);
      /* Streamed bodies are files (already compressed): no decoding, and the
       * byte count is the one on the wire. */
      if (request->sink == NULL)
        curl->easy_setopt (easy, CURLOPT_ACCEPT_ENCODING, "");

      /* HTTP authentication only on the first URL's origin: a redirect that
       * left it once never gets the credentials back. */
      with_auth = request->auth != KIOS_HTTP_AUTH_NONE && request->username != NULL && kios_origin_matches (origin, url);
      if (with_auth)
        {
          long mask = request->auth == KIOS_HTTP_AUTH_BASIC    ? CURLAUTH_BASIC
                      : request->auth == KIOS_HTTP_AUTH_DIGEST ? CURLAUTH_DIGEST
                                                               : (CURLAUTH_BASIC | CURLAUTH_DIGEST);

          curl->easy_setopt (easy, CURLOPT_HTTPAUTH, mask);
          curl->easy_setopt (easy, CURLOPT_USERNAME, request->username);
          curl->easy_setopt (easy, CURLOPT_PASSWORD, request->password != NULL ? request->password : "");
        }
      curl->easy_setopt (easy, CURLOPT_HTTPHEADER, list);
      curl->easy_setopt (easy, CURLOPT_WRITEFUNCTION, write_cb);
      curl->easy_setopt (easy, CURLOPT_WRITEDATA, &sink);
      curl->easy_setopt (easy, CURLOPT_HEADERFUNCTION, header_cb);
      curl->easy_setopt (easy, CURLOPT_HEADERDATA, &sink);
      if (g_str_equal (method, "GET") && body == NULL)
        curl->easy_setopt (easy, CURLOPT_HTTPGET, 1L);
      else if (g_str_equal (method, "HEAD"))
        curl->easy_setopt (easy, CURLOPT_NOBODY, 1L);
      else
        {
          gsize         len = 0;
          gconstpointer bytes = body != NULL ? g_bytes_get_data (body, &len) : "";

          curl->easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
          curl->easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
          curl->easy_setopt (easy, CURLOPT_POSTFIELDS, bytes);
        }
      if (debug)
        {
          curl->easy_setopt (easy, CURLOPT_DEBUGFUNCTION, debug_cb);
          curl->easy_setopt (easy, CURLOPT_DEBUGDATA, request->username);
          curl->easy_setopt (easy, CURLOPT_VERBOSE, 1L);
        }

      code = perform (curl, easy, cancellable, deadline_us, &cancelled);
      curl->easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
      curl->easy_cleanup (easy);
      curl->slist_free_all (list);

      redacted = kios_redact_url (url);
      if (sink.stream_error != NULL && g_error_matches (sink.stream_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        cancelled = TRUE;
      if (cancelled)
        {
          g_clear_error (&sink.stream_error);
          g_debug ("%s %s: cancelled", method, redacted);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s %s: cancelled", method, redacted);
          return NULL;
        }
      if (sink.stream_error != NULL)
        {
          g_debug ("%s %s: writing the body failed: %s", method, redacted, sink.stream_error->message);
          g_propagate_error (error, g_steal_pointer (&sink.stream_error));
          return NULL;
        }
      if (code != CURLE_OK)
        {
          set_curl_error (curl, error, code, errbuf, sink.too_large, method, url, request->timeout_ms);
          g_debug ("%s", (*error)->message);
          return NULL;
        }

      g_debug ("%s %s → %ld (%" G_GINT64_FORMAT " ms, %" G_GOFFSET_FORMAT " bytes%s)", method,
               redacted, status, (g_get_monotonic_time () - start_us) / 1000, sink.received,
               sink.to_stream ? ", streamed" : "");

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
          response->received = sink.received;
          response->n_redirects = hop;
          if (!sink.decided)
            {
              /* No body at all: still one final report. */
              sink.decided = TRUE;
              sink.status = status;
              sink.total = 0;
            }
          report_progress (&sink, TRUE);
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
      if (!kios_origin_matches (origin, next_url))
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
