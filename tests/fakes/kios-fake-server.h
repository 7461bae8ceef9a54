/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * An in-process HTTP/1.1 server for tests: 127.0.0.1, port 0, its own
 * thread and main context, one worker thread per connection
 * (GThreadedSocketService), "Connection: close" after every reply. The
 * handler runs on those worker threads, so it must lock what it shares.
 * Every request is recorded (method, target, headers, body) for assertions.
 */

typedef struct
{
  char      *method;
  char      *path;    /* the request target: path and query */
  GPtrArray *headers; /* "Name: value" as received */
  GBytes    *body;    /* never NULL */
} KiosFakeRequest;

typedef struct
{
  guint      status;
  GPtrArray *headers;  /* "Name: value"; Content-Length is added */
  GBytes    *body;     /* NULL = empty */
  guint      delay_ms; /* wait before answering (bounded by the server's stop) */
  gboolean   hang;     /* never answer until the server stops */
} KiosFakeResponse;

typedef struct _KiosFakeServer KiosFakeServer;

typedef void (*KiosFakeHandler) (KiosFakeServer        *server,
                                 const KiosFakeRequest *request,
                                 KiosFakeResponse      *response,
                                 gpointer               user_data);

/* clang-format off */
KiosFakeServer  *kios_fake_server_new            (KiosFakeHandler        handler,
                                                  gpointer               user_data);
/* The same over TLS with this certificate (and its private key). */
KiosFakeServer  *kios_fake_server_new_tls        (KiosFakeHandler        handler,
                                                  gpointer               user_data,
                                                  GTlsCertificate       *certificate);
void             kios_fake_server_free           (KiosFakeServer        *self);
guint16          kios_fake_server_get_port       (KiosFakeServer        *self);
/* "http://127.0.0.1:<port>" (https:// with TLS) without a trailing slash. */
const char      *kios_fake_server_get_url        (KiosFakeServer        *self);
guint            kios_fake_server_get_n_requests (KiosFakeServer        *self);
/* A copy of the n-th recorded request (0-based), or NULL. */
KiosFakeRequest *kios_fake_server_get_request    (KiosFakeServer        *self,
                                                  guint                  n);
void             kios_fake_server_clear_log      (KiosFakeServer        *self);

const char      *kios_fake_request_get_header    (const KiosFakeRequest *request,
                                                  const char            *name);
KiosFakeRequest *kios_fake_request_copy          (const KiosFakeRequest *request);
void             kios_fake_request_free          (KiosFakeRequest       *request);

void             kios_fake_response_set_text     (KiosFakeResponse      *response,
                                                  guint                  status,
                                                  const char            *content_type,
                                                  const char            *body);
void             kios_fake_response_add_header   (KiosFakeResponse      *response,
                                                  const char            *name,
                                                  const char            *value);

/* A TCP listener on 127.0.0.1 that never accepts: connects succeed, nothing answers. */
GSocketListener *kios_fake_black_hole_new        (guint16               *port);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeServer, kios_fake_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeRequest, kios_fake_request_free)

G_END_DECLS
