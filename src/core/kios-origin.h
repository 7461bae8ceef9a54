/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The one place that says whether two URLs share an origin: the same
 * scheme, host and port (RFC 6454), compared case-insensitively with the
 * default port filled in (80 for http, 443 for https). Credentials belong to
 * an origin; every place that decides whether they may go somewhere asks
 * here.
 */

/* clang-format off */
/* "scheme://host:port" in lower case, or NULL when url is not an absolute
 * http:// or https:// URL with a host. IPv6 hosts keep their brackets. */
char     *kios_origin_from_url     (const char *url) G_GNUC_WARN_UNUSED_RESULT;
/* TRUE when url's origin is origin (as kios_origin_from_url () gives it).
 * FALSE when either is NULL or unusable. */
gboolean  kios_origin_matches      (const char *origin,
                                    const char *url);
/* TRUE when both URLs have an origin and it is the same one. */
gboolean  kios_origin_same         (const char *url_a,
                                    const char *url_b);
/* clang-format on */

G_END_DECLS
