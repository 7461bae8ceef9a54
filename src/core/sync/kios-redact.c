/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-redact"

#include "config.h"

#include "kios-redact.h"

#include "kios-limits.h"

#include <string.h>

#define MIN_SECRET_LEN 3
#define MAX_SECRETS KIOS_LIMIT_REDACT_SECRETS

static GMutex     secrets_lock;
static GPtrArray *secrets; /* the strings of `order`, longest first */
static GPtrArray *order;   /* owned strings, oldest first */

/* Path segments after which the next segment is a credential. */
static const char *const token_markers[] = { "kobo", "koreader", NULL };
/* Segments that follow a marker but are protocol routes, not keys. */
static const char *const route_words[] = {
  "users", "syncs", "healthcheck", "v1", "v2", NULL
};
static const char *const secret_query_keys[] = {
  "apikey", "api_key", "api-key", "token", "key", "access_token", "auth",
  "auth_token", "password", "passwd", "pass", "secret", "sig", "signature",
  "session", "sessionid", "x-auth-key", "x-auth-user", NULL
};
static const char *const secret_headers[] = {
  "authorization", "proxy-authorization", "cookie", "set-cookie",
  "x-auth-user", "x-auth-key", NULL
};

static gboolean
in_list (const char *const *list,
         const char        *word,
         gsize              len)
{
  for (gsize i = 0; list[i] != NULL; i++)
    if (strlen (list[i]) == len && g_ascii_strncasecmp (list[i], word, len) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_longest_first (gconstpointer a,
                       gconstpointer b)
{
  gsize la = strlen (*(const char *const *) a);
  gsize lb = strlen (*(const char *const *) b);

  return la < lb ? 1 : la > lb ? -1
                               : 0;
}

static void
add_secret_locked (const char *secret)
{
  char *copy;

  if (secret == NULL || strlen (secret) < MIN_SECRET_LEN)
    return;
  for (guint i = 0; i < secrets->len; i++)
    if (g_str_equal (secrets->pdata[i], secret))
      return;
  /* A bounded registry: drop the oldest entries rather than grow forever
   * (`secrets` is sorted by length, so the oldest is found in `order`). */
  if (order->len >= MAX_SECRETS)
    {
      g_ptr_array_remove_fast (secrets, order->pdata[0]);
      g_ptr_array_remove_index (order, 0);
    }
  copy = g_strdup (secret);
  g_ptr_array_add (order, copy);
  g_ptr_array_add (secrets, copy);
}

void
kios_redact_register_secret (const char *secret)
{
  g_autofree char *escaped = NULL;

  if (secret == NULL || strlen (secret) < MIN_SECRET_LEN)
    return;

  escaped = g_uri_escape_string (secret, NULL, FALSE);

  g_mutex_lock (&secrets_lock);
  if (secrets == NULL)
    {
      secrets = g_ptr_array_new ();
      order = g_ptr_array_new_with_free_func (g_free);
    }
  add_secret_locked (secret);
  add_secret_locked (escaped);
  g_ptr_array_sort (secrets, compare_longest_first);
  g_mutex_unlock (&secrets_lock);
}

static char *
scrub_secrets (const char *text)
{
  GString *out = g_string_new (text);

  g_mutex_lock (&secrets_lock);
  if (secrets != NULL)
    for (guint i = 0; i < secrets->len; i++)
      g_string_replace (out, secrets->pdata[i], KIOS_REDACTED, 0);
  g_mutex_unlock (&secrets_lock);

  return g_string_free (out, FALSE);
}

/* Redacts the path segment after a token marker. `path` has no query. */
static void
append_redacted_path (GString    *out,
                      const char *path,
                      gsize       len)
{
  gsize    pos = 0;
  gboolean redact_next = FALSE;
  gboolean prev_was_api = FALSE;

  while (pos < len)
    {
      const char *seg;
      gsize       seg_len = 0;

      if (path[pos] == '/')
        {
          g_string_append_c (out, '/');
          pos++;
          continue;
        }
      seg = path + pos;
      while (pos + seg_len < len && seg[seg_len] != '/')
        seg_len++;

      if (redact_next && !in_list (route_words, seg, seg_len))
        g_string_append (out, KIOS_REDACTED);
      else
        g_string_append_len (out, seg, seg_len);

      redact_next = in_list (token_markers, seg, seg_len) || (prev_was_api && seg_len == 4 && g_ascii_strncasecmp (seg, "opds", 4) == 0);
      prev_was_api = seg_len == 3 && g_ascii_strncasecmp (seg, "api", 3) == 0;
      pos += seg_len;
    }
}

static void
append_redacted_query (GString    *out,
                       const char *query,
                       gsize       len)
{
  gsize pos = 0;

  while (pos <= len)
    {
      gsize       end = pos;
      const char *eq;
      gsize       key_len;

      while (end < len && query[end] != '&' && query[end] != ';')
        end++;
      eq = memchr (query + pos, '=', end - pos);
      key_len = eq != NULL ? (gsize) (eq - (query + pos)) : end - pos;

      if (eq != NULL && in_list (secret_query_keys, query + pos, key_len))
        {
          g_string_append_len (out, query + pos, key_len + 1);
          g_string_append (out, KIOS_REDACTED);
        }
      else
        g_string_append_len (out, query + pos, end - pos);

      if (end >= len)
        break;
      g_string_append_c (out, query[end]);
      pos = end + 1;
    }
}

static void
append_redacted_url (GString    *out,
                     const char *url,
                     gsize       len)
{
  const char *scheme_end = g_strstr_len (url, len, "://");
  const char *p = url;
  const char *end = url + len;
  const char *path_start;
  const char *query_start;
  const char *frag_start;

  if (scheme_end != NULL)
    {
      const char *auth = scheme_end + 3;
      const char *auth_end = auth;
      const char *at = NULL;

      while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        {
          if (*auth_end == '@')
            at = auth_end;
          auth_end++;
        }
      g_string_append_len (out, url, auth - url);
      if (at != NULL)
        {
          g_string_append (out, KIOS_REDACTED);
          g_string_append_len (out, at, auth_end - at);
        }
      else
        g_string_append_len (out, auth, auth_end - auth);
      p = auth_end;
    }

  path_start = p;
  frag_start = memchr (p, '#', end - p);
  if (frag_start == NULL)
    frag_start = end;
  query_start = memchr (p, '?', frag_start - p);
  if (query_start == NULL)
    query_start = frag_start;

  append_redacted_path (out, path_start, query_start - path_start);
  if (query_start < frag_start)
    {
      g_string_append_c (out, '?');
      append_redacted_query (out, query_start + 1, frag_start - query_start - 1);
    }
  g_string_append_len (out, frag_start, end - frag_start);
}

char *
kios_redact_url (const char *url)
{
  g_autofree char *scrubbed = NULL;
  GString         *out;

  if (url == NULL)
    return NULL;

  scrubbed = scrub_secrets (url);
  out = g_string_new (NULL);
  append_redacted_url (out, scrubbed, strlen (scrubbed));
  return g_string_free (out, FALSE);
}

gboolean
kios_redact_header_is_secret (const char *name)
{
  if (name == NULL)
    return FALSE;
  if (g_ascii_strncasecmp (name, "x-kobo-", 7) == 0)
    return TRUE;
  return in_list (secret_headers, name, strlen (name));
}

char *
kios_redact_header (const char *header_line)
{
  const char      *colon;
  g_autofree char *name = NULL;

  if (header_line == NULL)
    return NULL;

  colon = strchr (header_line, ':');
  if (colon == NULL)
    return kios_redact_text (header_line);

  name = g_strstrip (g_strndup (header_line, colon - header_line));
  if (kios_redact_header_is_secret (name))
    return g_strdup_printf ("%s: " KIOS_REDACTED, name);

  /* Location and Referer carry URLs; any other value may echo a secret. */
  return kios_redact_text (header_line);
}

static gboolean
is_url_char (char c)
{
  return c > ' ' && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`' && (guchar) c < 0x7f;
}

char *
kios_redact_text (const char *text)
{
  g_autofree char *scrubbed = NULL;
  GString         *out;
  const char      *p;

  if (text == NULL)
    return NULL;

  scrubbed = scrub_secrets (text);
  out = g_string_new (NULL);
  p = scrubbed;
  while (*p != '\0')
    {
      const char *http = strstr (p, "http");
      const char *url_end;

      if (http == NULL)
        break;
      if (!(g_str_has_prefix (http, "http://") || g_str_has_prefix (http, "https://")))
        {
          g_string_append_len (out, p, http - p + 4);
          p = http + 4;
          continue;
        }
      g_string_append_len (out, p, http - p);
      url_end = http;
      while (is_url_char (*url_end))
        url_end++;
      append_redacted_url (out, http, url_end - http);
      p = url_end;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}
