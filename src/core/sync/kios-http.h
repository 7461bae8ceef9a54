/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A small HTTP client over libcurl. Each request runs on its own easy handle
 * in a GTask worker, driven through a multi handle so that cancelling the
 * GCancellable wakes the transfer at once (curl_multi_wakeup). TLS is always
 * verified; redirects are followed by hand (at most max_redirects) so that
 * credentials (Authorization, Cookie, x-auth-*, x-kobo-*) are dropped as
 * soon as a redirect leaves the original scheme, host and port.
 *
 * Errors are KIOS_HTTP_ERROR_* (or G_IO_ERROR_CANCELLED); an HTTP error
 * status is not an error here, it is in the response. Messages carry URLs
 * only after kios_redact_url (). Setting KIOS_HTTP_DEBUG in the environment
 * logs the exchange at debug level, through the redactor.
 */

#define KIOS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define KIOS_HTTP_DEFAULT_TIMEOUT_MS 15000
#define KIOS_HTTP_DEFAULT_MAX_RESPONSE_SIZE (8 * 1024 * 1024)
#define KIOS_HTTP_DEFAULT_MAX_REDIRECTS 5

typedef struct
{
  char      *method; /* "GET", "PUT", "POST", … */
  char      *url;
  GPtrArray *headers; /* "Name: value" strings */
  GBytes    *body;    /* nullable */
  guint      connect_timeout_ms;
  guint      timeout_ms; /* the whole exchange, redirects included */
  gsize      max_response_size;
  guint      max_redirects; /* 0 = do not follow */
  char      *ca_file;       /* nullable: a PEM bundle trusted instead of the system's */
} KiosHttpRequest;

typedef struct
{
  guint      status;
  char      *effective_url; /* the URL that produced this response */
  GPtrArray *headers;       /* "Name: value" strings of the final response */
  GBytes    *body;          /* never NULL */
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
