/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Error domains of the sync layer (kept out of kios-error.h so the sync layer
 * owns them). Messages are untranslated detail and never carry a secret: URLs
 * in them went through kios_redact_url ().
 */
#define KIOS_HTTP_ERROR (kios_http_error_quark ())
#define KIOS_SYNC_ERROR (kios_sync_error_quark ())

typedef enum {
  KIOS_HTTP_ERROR_NETWORK = 1,   /* resolve, connect, reset, … */
  KIOS_HTTP_ERROR_TIMEOUT = 2,   /* connect or total timeout */
  KIOS_HTTP_ERROR_TOO_LARGE = 3, /* the response passed the size cap */
  KIOS_HTTP_ERROR_TLS = 4,       /* certificate or handshake failure */
  KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS = 5,
  KIOS_HTTP_ERROR_INVALID_URL = 6, /* unparsable URL or not http(s) */
  KIOS_HTTP_ERROR_FAILED = 7,      /* anything else libcurl reports */
} KiosHttpError;

typedef enum {
  KIOS_SYNC_ERROR_NETWORK = 1,   /* unreachable, timeout: transient, keep pending */
  KIOS_SYNC_ERROR_AUTH = 2,      /* credentials refused (401/403, CWA 400 2001) */
  KIOS_SYNC_ERROR_NOT_FOUND = 3, /* the server does not know this book */
  KIOS_SYNC_ERROR_CONFLICT = 4,  /* several books with this hash (Komga 409) */
  KIOS_SYNC_ERROR_SERVER = 5,    /* 5xx */
  KIOS_SYNC_ERROR_PROTOCOL = 6,  /* a reply of the wrong shape (HTML, garbage) */
  KIOS_SYNC_ERROR_UNSUPPORTED = 7,
  KIOS_SYNC_ERROR_DISABLED = 8,     /* sync switched off on the server */
  KIOS_SYNC_ERROR_WRONG_URL = 9,    /* not a KOReader sync base URL */
  KIOS_SYNC_ERROR_AUTH_METHOD = 10, /* the server wants the other auth method */
  KIOS_SYNC_ERROR_SECRETS = 11,     /* no usable Secret Service */
  KIOS_SYNC_ERROR_CLIENT = 12,      /* the server rejected our request (a Kios bug) */
  KIOS_SYNC_ERROR_NOT_CATALOG = 13, /* a web page (a login form, a site) answered instead of a catalog */
  KIOS_SYNC_ERROR_TIMEOUT = 14,     /* the server took the request and did not answer in time: transient */
} KiosSyncError;

GQuark kios_http_error_quark (void);
GQuark kios_sync_error_quark (void);

G_END_DECLS
