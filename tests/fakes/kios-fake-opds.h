/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-fake-server.h"

G_BEGIN_DECLS

/*
 * A fake OPDS catalog over kios-fake-server: a table of exact request
 * targets (path and query) answered with fixed bodies, "@BASE@" in a body
 * replaced by the server's URL; optional Basic or Digest (MD5, qop=auth)
 * on every route, checked like a real server does; ranged answers (206) on
 * routes marked so; routes that refuse even good credentials (Calibre-Web's
 * missing download role). Plus an endless server that streams a feed that
 * never ends, on its own socket, for the size-cap tests.
 */

typedef enum {
  KIOS_FAKE_OPDS_AUTH_NONE = 0,
  KIOS_FAKE_OPDS_AUTH_BASIC,
  KIOS_FAKE_OPDS_AUTH_DIGEST,
} KiosFakeOpdsAuth;

typedef struct _KiosFakeOpds    KiosFakeOpds;
typedef struct _KiosFakeEndless KiosFakeEndless;
typedef struct _KiosFakeDrip    KiosFakeDrip;

/* clang-format off */
KiosFakeOpds    *kios_fake_opds_new             (KiosFakeOpdsAuth  auth,
                                                 const char       *user,
                                                 const char       *password);
void             kios_fake_opds_free            (KiosFakeOpds     *self);
const char      *kios_fake_opds_get_url         (KiosFakeOpds     *self);
KiosFakeServer  *kios_fake_opds_get_server      (KiosFakeOpds     *self);
void             kios_fake_opds_add             (KiosFakeOpds     *self,
                                                 const char       *target,
                                                 guint             status,
                                                 const char       *content_type,
                                                 const char       *body);
void             kios_fake_opds_add_bytes       (KiosFakeOpds     *self,
                                                 const char       *target,
                                                 const char       *content_type,
                                                 GBytes           *body,
                                                 gboolean          ranged);
/* Serves a file of $G_TEST_SRCDIR/fixtures/opds with @BASE@ replaced. */
void             kios_fake_opds_add_fixture     (KiosFakeOpds     *self,
                                                 const char       *target,
                                                 const char       *content_type,
                                                 const char       *fixture);
void             kios_fake_opds_add_redirect    (KiosFakeOpds     *self,
                                                 const char       *target,
                                                 const char       *location);
/* A route that answers 401 even to good credentials. */
void             kios_fake_opds_add_forbidden   (KiosFakeOpds     *self,
                                                 const char       *target);
/* Requests whose target starts with prefix. */
guint            kios_fake_opds_count           (KiosFakeOpds     *self,
                                                 const char       *prefix);
/* Requests that carried an Authorization header. */
guint            kios_fake_opds_count_authorized (KiosFakeOpds    *self);

KiosFakeEndless *kios_fake_endless_new          (const char       *content_type,
                                                 const char       *prefix,
                                                 const char       *repeat);
/* head: the status line, headers and blank line (and any first bytes),
 * sent as is; then repeat, binary, until the client hangs up. */
KiosFakeEndless *kios_fake_endless_new_raw      (const char       *head,
                                                 gsize             head_len,
                                                 const char       *repeat,
                                                 gsize             repeat_len);
const char      *kios_fake_endless_get_url      (KiosFakeEndless  *self);
guint64          kios_fake_endless_get_sent     (KiosFakeEndless  *self);
void             kios_fake_endless_free         (KiosFakeEndless  *self);

/* Serves body (any path) slowly: chunk bytes every interval_ms, with a
 * Content-Length; "Range: bytes=N-" gets a 206 from N. One client at a time. */
KiosFakeDrip    *kios_fake_drip_new             (const char       *content_type,
                                                 GBytes           *body,
                                                 gsize             chunk,
                                                 guint             interval_ms);
const char      *kios_fake_drip_get_url         (KiosFakeDrip     *self);
guint            kios_fake_drip_get_n_requests  (KiosFakeDrip     *self);
/* Requests that carried a Range header. */
guint            kios_fake_drip_get_n_ranged    (KiosFakeDrip     *self);
/* Call before the first request: its answer stops after break_after body
 * bytes (the connection closes); ignore_range answers 200 to a Range. */
void             kios_fake_drip_set_break       (KiosFakeDrip     *self,
                                                 gsize             break_after,
                                                 gboolean          ignore_range);
void             kios_fake_drip_free            (KiosFakeDrip     *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeOpds, kios_fake_opds_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeEndless, kios_fake_endless_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeDrip, kios_fake_drip_free)

G_END_DECLS
