/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-origin"

#include "config.h"

#include "kios-origin.h"

#include <string.h>

char *
kios_origin_from_url (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  const char      *raw_host;
  int              port;

  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_scheme (uri) == NULL)
    return NULL;
  raw_host = g_uri_get_host (uri);
  if (raw_host == NULL || *raw_host == '\0')
    return NULL;

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (!g_str_equal (scheme, "http") && !g_str_equal (scheme, "https"))
    return NULL;
  host = g_ascii_strdown (raw_host, -1);
  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_str_equal (scheme, "https") ? 443 : 80;
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%d", scheme, host, port);
  return g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

gboolean
kios_origin_matches (const char *origin,
                     const char *url)
{
  g_autofree char *other = NULL;

  if (origin == NULL || url == NULL)
    return FALSE;
  other = kios_origin_from_url (url);
  return other != NULL && g_str_equal (origin, other);
}

gboolean
kios_origin_same (const char *url_a,
                  const char *url_b)
{
  g_autofree char *a = kios_origin_from_url (url_a);

  return kios_origin_matches (a, url_b);
}
