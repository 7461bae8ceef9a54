/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * A small HTTP client over libcurl (loaded by the first request, see
 * kios-curl.h). Each request runs on its own easy handle
 * in a GTask worker, driven through a multi handle so that cancelling the
 * GCancellable wakes the transfer at once (curl_multi_wakeup). TLS is always
 * verified; redirects are followed by hand (at most max_redirects) so that
 * credentials (Authorization, Cookie, x-auth-*, x-kobo-*) are dropped as
 * soon as a redirect leaves the original scheme, host and port.
 *
 * Bodies are kept in memory, or, when the request has a sink, written to it
 * as they arrive (memory stays flat whatever the size). Either way
 * max_response_size is enforced while the body arrives, whatever the
 * server claims in Content-Length or Content-Range.
 *
 * HTTP authentication (Basic, Digest) is libcurl's: set auth, username and
 * password; they are used only while the request stays on the origin of its
 * first URL (kios_origin_*), never after a redirect to another one.
 *
 * Errors are KIOS_HTTP_ERROR_* (or G_IO_ERROR_CANCELLED, or the sink's own
 * G_IO_ERROR when writing to it fails); an HTTP error
 * status is not an error here, it is in the response. Messages carry URLs
 * only after kios_redact_url (). Setting KIOS_HTTP_DEBUG in the environment
 * logs the exchange at debug level, through the redactor.
 */

#define KIOS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS KIOS_LIMIT_HTTP_CONNECT_TIMEOUT_MS
#define KIOS_HTTP_DEFAULT_TIMEOUT_MS KIOS_LIMIT_HTTP_TIMEOUT_MS
#define KIOS_HTTP_DEFAULT_MAX_RESPONSE_SIZE KIOS_LIMIT_HTTP_RESPONSE_BYTES
#define KIOS_HTTP_DEFAULT_MAX_REDIRECTS KIOS_LIMIT_HTTP_REDIRECTS

typedef enum {
  KIOS_HTTP_AUTH_NONE = 0,
  KIOS_HTTP_AUTH_BASIC,  /* sent with the first request */
  KIOS_HTTP_AUTH_DIGEST, /* answers the server's Digest challenge */
  KIOS_HTTP_AUTH_ANY,    /* Basic or Digest, whichever the server's challenge asks (Digest first) */
} KiosHttpAuth;

/* Called on the worker thread as the body arrives (at most every ~100 ms,
 * and once at the end); total is -1 when the server did not say. */
typedef void (*KiosHttpProgressFunc) (goffset  received,
                                      goffset  total,
                                      gpointer user_data);

typedef struct
{
  char      *method; /* "GET", "PUT", "POST", … */
  char      *url;
  GPtrArray *headers; /* "Name: value" strings */
  GBytes    *body;    /* nullable */
  guint      connect_timeout_ms;
  guint      timeout_ms;       /* the whole exchange, redirects included; 0 = no limit */
  guint      stall_timeout_ms; /* fail when no byte arrives for this long (1 s granularity); 0 = none */
  gsize      max_response_size;
  guint      max_redirects; /* 0 = do not follow */
  char      *ca_file;       /* nullable: a PEM bundle trusted instead of the system's */

  /* Nullable. A 2xx body is written here as it arrives instead of into
   * response->body (which is then empty); any other status's body (an
   * error page, a login form) still lands in response->body, its first
   * 64 KiB only. The request owns a reference; the stream is not
   * closed. */
  GOutputStream       *sink;
  KiosHttpProgressFunc progress; /* nullable, see above */
  gpointer             progress_data;

  KiosHttpAuth auth;     /* with username and password */
  char        *username; /* nullable; never logged */
  char        *password; /* nullable; never logged */
} KiosHttpRequest;

typedef struct
{
  guint      status;
  char      *effective_url; /* the URL that produced this response */
  GPtrArray *headers;       /* "Name: value" strings of the final response */
  GBytes    *body;          /* never NULL; empty when streamed to the sink */
  goffset    received;      /* bytes of the final body (also when streamed) */
  guint      n_redirects;
} KiosHttpResponse;

/* clang-format off */
KiosHttpRequest  *kios_http_request_new         (const char             *method,
                                                 const char             *url);
KiosHttpRequest  *kios_http_request_copy        (const KiosHttpRequest  *self);
void              kios_http_request_free        (KiosHttpRequest        *self);
void              kios_http_request_add_header  (KiosHttpRequest        *self,
                                                 const char             *name,
                                                 const char             *value);
void              kios_http_request_set_body    (KiosHttpRequest        *self,
                                                 const char             *content_type,
                                                 GBytes                 *body);
/* Sets auth, username and password (copied; the password is registered
 * with kios_redact_register_secret ()). */
void              kios_http_request_set_auth    (KiosHttpRequest        *self,
                                                 KiosHttpAuth            auth,
                                                 const char             *username,
                                                 const char             *password);
/* Streams the body into sink (a new reference is kept). */
void              kios_http_request_set_sink    (KiosHttpRequest        *self,
                                                 GOutputStream          *sink);

const char       *kios_http_response_get_header (const KiosHttpResponse *self,
                                                 const char             *name);
void              kios_http_response_free       (KiosHttpResponse       *self);

/* Blocking: call it from a worker thread or a command-line tool. */
KiosHttpResponse *kios_http_send_sync           (const KiosHttpRequest  *request,
                                                 GCancellable           *cancellable,
                                                 GError                **error);
void              kios_http_send_async          (const KiosHttpRequest  *request,
                                                 GCancellable           *cancellable,
                                                 GAsyncReadyCallback     callback,
                                                 gpointer                user_data);
KiosHttpResponse *kios_http_send_finish         (GAsyncResult           *result,
                                                 GError                **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosHttpRequest, kios_http_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosHttpResponse, kios_http_response_free)

G_END_DECLS
