/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-client"

#include "config.h"

#include "kios-opds-client.h"

#include "kios-book-importer.h"
#include "kios-http.h"
#include "kios-limits.h"
#include "kios-origin.h"
#include "kios-paths.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ACCEPT_FEEDS \
  "application/atom+xml;profile=opds-catalog, application/opds+json, application/xml;q=0.9, */*;q=0.5"
#define MAX_SMALL_DOCUMENT KIOS_LIMIT_OPDS_SMALL_DOCUMENT
#define DEFAULT_TIMEOUT_MS KIOS_LIMIT_OPDS_TIMEOUT_MS
#define DOWNLOAD_STALL_MS 30000
#define MAX_RESUMES 3

typedef enum {
  AUTH_NONE = 0,
  AUTH_BASIC,
  AUTH_DIGEST,
} AuthScheme;

struct _KiosOpdsClient
{
  gatomicrefcount ref_count;
  GRecMutex       lock; /* one exchange at a time: the auth state below is shared */
  char           *catalog_url;
  char           *origin; /* scheme://host:port of the catalog */
  char           *username;
  char           *password;
  AuthScheme      scheme;             /* learned from a challenge (or https) */
  char           *realm;              /* of the last challenge (or auth document title) */
  gboolean        authenticated_once; /* a request with credentials succeeded */
  gsize           max_feed_size;
  gsize           max_book_size;
  guint           timeout_ms;
  guint           n_requests;
  KiosOpdsFeed   *root; /* cached for search */
};

/* ------------------------------------------------------------------ */

/* The one origin helper decides where the credentials may go. */
static gboolean
same_origin (KiosOpdsClient *self,
             const char     *url)
{
  return kios_origin_matches (self->origin, url);
}

KiosOpdsClient *
kios_opds_client_new (const char *catalog_url,
                      const char *username,
                      const char *password)
{
  KiosOpdsClient *self;

  g_return_val_if_fail (catalog_url != NULL, NULL);

  self = g_new0 (KiosOpdsClient, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_rec_mutex_init (&self->lock);
  self->catalog_url = g_strdup (catalog_url);
  self->origin = kios_origin_from_url (catalog_url);
  if (username != NULL && *username != '\0')
    {
      self->username = g_strdup (username);
      self->password = g_strdup (password != NULL ? password : "");
      kios_redact_register_secret (password);
      /* Over TLS Basic costs nothing extra and avoids a round trip. */
      if (g_str_has_prefix (self->origin != NULL ? self->origin : "", "https://"))
        self->scheme = AUTH_BASIC;
    }
  self->max_feed_size = KIOS_OPDS_MAX_FEED_SIZE;
  self->max_book_size = KIOS_OPDS_DEFAULT_MAX_BOOK_SIZE;
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  return self;
}

KiosOpdsClient *
kios_opds_client_ref (KiosOpdsClient *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
kios_opds_client_free (KiosOpdsClient *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_rec_mutex_clear (&self->lock);
  g_free (self->catalog_url);
  g_free (self->origin);
  g_free (self->username);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->realm);
  kios_opds_feed_free (self->root);
  g_free (self);
}

const char *
kios_opds_client_get_catalog_url (KiosOpdsClient *self)
{
  return self->catalog_url;
}

const char *
kios_opds_client_get_realm (KiosOpdsClient *self)
{
  return self->realm;
}

const char *
kios_opds_client_get_username (KiosOpdsClient *self)
{
  return self->username;
}

char *
kios_opds_client_dup_realm (KiosOpdsClient *self)
{
  g_autoptr (GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  return g_strdup (self->realm);
}

guint
kios_opds_client_get_n_requests (KiosOpdsClient *self)
{
  return self->n_requests;
}

void
kios_opds_client_set_max_feed_size (KiosOpdsClient *self,
                                    gsize           max_size)
{
  self->max_feed_size = max_size;
}

void
kios_opds_client_set_max_book_size (KiosOpdsClient *self,
                                    gsize           max_size)
{
  self->max_book_size = max_size;
}

void
kios_opds_client_set_timeout (KiosOpdsClient *self,
                              guint           timeout_ms)
{
  self->timeout_ms = timeout_ms;
}

/* ------------------------------------------------------------------ */
/* challenges */

typedef struct
{
  AuthScheme  scheme;
  GHashTable *params; /* lower-case name → value */
} Challenge;

static void
challenge_clear (Challenge *c)
{
  g_clear_pointer (&c->params, g_hash_table_unref);
}

/* `Digest realm="calibre", nonce="…", qop="auth"`: one challenge per header. */
static gboolean
parse_challenge (const char *value,
                 Challenge  *out)
{
  const char *p = value;
  gsize       n;

  while (*p == ' ')
    p++;
  n = strcspn (p, " ");
  if (n == 6 && g_ascii_strncasecmp (p, "Digest", 6) == 0)
    out->scheme = AUTH_DIGEST;
  else if (n == 5 && g_ascii_strncasecmp (p, "Basic", 5) == 0)
    out->scheme = AUTH_BASIC;
  else
    return FALSE;
  out->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p += n;
  for (guint guard = 0; *p != '\0' && guard < 64; guard++)
    {
      g_autofree char *name = NULL;
      GString         *val = g_string_new (NULL);
      gsize            k;

      while (*p == ' ' || *p == ',')
        p++;
      k = strcspn (p, "=, ");
      if (k == 0)
        {
          g_string_free (val, TRUE);
          break;
        }
      name = g_ascii_strdown (p, k);
      p += k;
      while (*p == ' ')
        p++;
      if (*p == '=')
        {
          p++;
          while (*p == ' ')
            p++;
          if (*p == '"')
            {
              p++;
              while (*p != '\0' && *p != '"' && val->len < 1024)
                {
                  if (*p == '\\' && p[1] != '\0')
                    p++;
                  g_string_append_c (val, *p++);
                }
              if (*p == '"')
                p++;
            }
          else
            {
              k = strcspn (p, ", ");
              g_string_append_len (val, p, MIN (k, 1024));
              p += k;
            }
        }
      g_hash_table_replace (out->params, g_steal_pointer (&name), g_string_free (val, FALSE));
    }
  return TRUE;
}

static void
set_realm (KiosOpdsClient *self,
           const char     *realm)
{
  if (realm == NULL)
    return;
  g_free (self->realm);
  self->realm = g_utf8_make_valid (realm, MIN (strlen (realm), 200));
}

/* ------------------------------------------------------------------ */
/* requests */

static void
set_http_error (KiosOpdsClient *self,
                GError         *http_error,
                const char     *what,
                GError        **error)
{
  if (http_error->domain != KIOS_HTTP_ERROR)
    /* Cancelled, or the sink's own refusal (not a book, disk full): as is. */
    g_propagate_error (error, g_error_copy (http_error));
  else if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE) && g_str_equal (what, "book"))
    g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE,
                 "The book is too large: Kios accepts books up to %" G_GSIZE_FORMAT " MB", self->max_book_size >> 20);
  else if (g_error_matches (http_error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE))
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "The %s is larger than Kios accepts (the server may be sending without end): %s",
                 what, http_error->message);
  else if (http_error->domain == KIOS_HTTP_ERROR && http_error->code == KIOS_HTTP_ERROR_INVALID_URL)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, "%s", http_error->message);
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK, "%s", http_error->message);
}

/* An OPDS Authentication Document, from the 401's body or its Link header. */
static gboolean
read_auth_document (KiosOpdsClient   *self,
                    KiosHttpResponse *response,
                    gboolean         *supports_basic)
{
  const char                      *type = kios_http_response_get_header (response, "Content-Type");
  gsize                            len;
  const char                      *data = g_bytes_get_data (response->body, &len);
  g_autoptr (KiosOpdsAuthDocument) doc = NULL;

  if (type == NULL || strstr (type, "opds-authentication") == NULL || len == 0)
    return FALSE;
  doc = kios_opds_auth_document_parse (data, len, NULL);
  if (doc == NULL)
    return FALSE;
  set_realm (self, doc->title);
  *supports_basic = doc->supports_basic;
  return TRUE;
}

typedef struct
{
  const char *method;
  const char *url;
  const char *range; /* nullable */
  gsize       max_size;
  guint       timeout_ms;
  const char *accept;
  /* downloads: the body streams here, with progress */
  GOutputStream       *sink;
  KiosHttpProgressFunc progress;
  gpointer             progress_data;
} Exchange;

static KiosHttpResponse *
send_once (KiosOpdsClient *self,
           const Exchange *x,
           const char     *url,
           KiosHttpAuth    auth,
           GCancellable   *cancellable,
           GError        **error)
{
  g_autoptr (KiosHttpRequest) request = kios_http_request_new (x->method, url);

  request->max_response_size = x->max_size;
  request->timeout_ms = x->timeout_ms;
  request->max_redirects = KIOS_HTTP_DEFAULT_MAX_REDIRECTS;
  kios_http_request_add_header (request, "Accept", x->accept);
  if (x->range != NULL)
    kios_http_request_add_header (request, "Range", x->range);
  /* libcurl answers Basic and Digest, and only on the catalog's origin. */
  if (auth != KIOS_HTTP_AUTH_NONE)
    kios_http_request_set_auth (request, auth, self->username, self->password);
  if (x->sink != NULL)
    {
      kios_http_request_set_sink (request, x->sink);
      request->progress = x->progress;
      request->progress_data = x->progress_data;
      /* A big book may take long: only a stalled transfer fails. */
      request->stall_timeout_ms = DOWNLOAD_STALL_MS;
    }
  self->n_requests++;
  return kios_http_send_sync (request, cancellable, error);
}

static KiosHttpAuth
http_auth (AuthScheme scheme)
{
  return scheme == AUTH_BASIC ? KIOS_HTTP_AUTH_BASIC : scheme == AUTH_DIGEST ? KIOS_HTTP_AUTH_DIGEST
                                                                             : KIOS_HTTP_AUTH_NONE;
}

static AuthScheme
scheme_for (KiosOpdsClient *self,
            const char     *url)
{
  if (self->username == NULL || !same_origin (self, url))
    return AUTH_NONE;
  return self->scheme;
}

/*
 * One exchange with the catalog's credentials: sent with them when the
 * scheme is known, answered once when a 401 asks for them. A final 401
 * becomes KIOS_SYNC_ERROR_AUTH; every other status is the caller's.
 */
static KiosHttpResponse *
exchange (KiosOpdsClient *self,
          const Exchange *x,
          const char     *what,
          GCancellable   *cancellable,
          GError        **error)
{
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           local_error = NULL;
  AuthScheme                   sent = scheme_for (self, x->url);
  g_autofree char             *shown = NULL;

  response = send_once (self, x, x->url, http_auth (sent), cancellable, &local_error);
  for (guint attempt = 0; response != NULL && response->status == 401 && attempt < 2; attempt++)
    {
      Challenge   chosen = { 0 };
      gboolean    doc_basic = FALSE;
      const char *target = response->effective_url != NULL ? response->effective_url : x->url;

      for (guint i = 0; i < response->headers->len; i++)
        {
          const char *line = response->headers->pdata[i];
          Challenge   c = { 0 };

          if (g_ascii_strncasecmp (line, "WWW-Authenticate:", 17) != 0 || !parse_challenge (line + 17, &c))
            continue;
          /* Digest is preferred: it keeps the password off the wire. */
          if (chosen.scheme == AUTH_NONE || (c.scheme == AUTH_DIGEST && chosen.scheme == AUTH_BASIC))
            {
              challenge_clear (&chosen);
              chosen = c;
            }
          else
            challenge_clear (&c);
        }
      if (chosen.scheme != AUTH_NONE)
        set_realm (self, g_hash_table_lookup (chosen.params, "realm"));
      else if (read_auth_document (self, response, &doc_basic))
        {
          if (!doc_basic)
            {
              g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                           "The catalog asks for a sign-in method Kios does not support%s%s%s",
                           self->realm != NULL ? " (“" : "", self->realm != NULL ? self->realm : "",
                           self->realm != NULL ? "”)" : "");
              return NULL;
            }
          chosen.scheme = AUTH_BASIC;
        }
      else if (self->username != NULL)
        /* A bare 401 (Stump's refusal, some proxies): Basic is all that is left. */
        chosen.scheme = AUTH_BASIC;

      if (self->username == NULL || !same_origin (self, target))
        {
          challenge_clear (&chosen);
          shown = kios_redact_url (target);
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                       "%s needs a user name and password%s%s%s", shown,
                       self->realm != NULL ? " (realm “" : "", self->realm != NULL ? self->realm : "",
                       self->realm != NULL ? "”)" : "");
          return NULL;
        }
      /* Asked once: the same scheme refused again means wrong credentials. */
      if (sent == chosen.scheme)
        {
          challenge_clear (&chosen);
          break;
        }
      self->scheme = chosen.scheme;
      challenge_clear (&chosen);

      sent = self->scheme;
      {
        /* The request the 401 answered (after any redirect), now with the
         * scheme it asked for: libcurl computes Digest from its own challenge. */
        g_autofree char *retry_url = g_strdup (target);

        g_clear_pointer (&response, kios_http_response_free);
        response = send_once (self, x, retry_url, http_auth (sent), cancellable, &local_error);
      }
      if (response != NULL && response->status != 401)
        break;
    }

  if (response == NULL)
    {
      set_http_error (self, local_error, what, error);
      return NULL;
    }
  if (response->status == 401)
    {
      shown = kios_redact_url (response->effective_url != NULL ? response->effective_url : x->url);
      if (self->authenticated_once && g_str_equal (x->method, "GET") && x->sink != NULL)
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                     "The server refused the download although it accepted the account for the catalog: "
                     "the account probably lacks the permission to download (%s)",
                     shown);
      else
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                     "%s refused the user name or password%s%s%s", shown,
                     self->realm != NULL ? " (realm “" : "", self->realm != NULL ? self->realm : "",
                     self->realm != NULL ? "”)" : "");
      return NULL;
    }
  if (sent != AUTH_NONE && response->status < 400)
    self->authenticated_once = TRUE;
  return g_steal_pointer (&response);
}

static gboolean
check_status (KiosHttpResponse *response,
              const char       *url,
              GError          **error)
{
  g_autofree char *shown = NULL;

  if (response->status >= 200 && response->status < 300)
    return TRUE;
  shown = kios_redact_url (response->effective_url != NULL ? response->effective_url : url);
  if (response->status == 403)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                 "%s refused access (HTTP 403): the account lacks the permission, or the server blocks it",
                 shown);
  else if (response->status == 404 || response->status == 410)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                 "%s does not exist on the server (HTTP %u): check the catalog URL", shown, response->status);
  else if (response->status >= 500)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER,
                 "The server failed at %s (HTTP %u)", shown, response->status);
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                 "%s answered HTTP %u instead of a catalog page", shown, response->status);
  return FALSE;
}

static char *
absolute_href (KiosOpdsClient *self,
               const char     *href,
               GError        **error)
{
  char *url;

  if (href == NULL)
    return g_strdup (self->catalog_url);
  url = kios_opds_resolve_href (self->catalog_url, href);
  if (url == NULL)
    g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                         "Not an http:// or https:// link");
  return url;
}

static KiosOpdsFeed *
fetch_feed (KiosOpdsClient *self,
            const char     *url,
            gboolean        not_found_is_empty,
            GCancellable   *cancellable,
            GError        **error)
{
  Exchange                     x = { "GET", url, NULL, self->max_feed_size, self->timeout_ms, ACCEPT_FEEDS };
  g_autoptr (KiosHttpResponse) response = exchange (self, &x, "catalog page", cancellable, error);
  gsize                        len;
  const char                  *data;

  if (response == NULL)
    return NULL;
  if (not_found_is_empty && response->status == 404)
    {
      /* An empty result (calibre answers a search without match with 404). */
      return kios_opds_feed_new_empty (response->effective_url != NULL ? response->effective_url : url);
    }
  if (!check_status (response, url, error))
    return NULL;
  data = g_bytes_get_data (response->body, &len);
  return kios_opds_feed_parse (data, len, kios_http_response_get_header (response, "Content-Type"),
                               response->effective_url != NULL ? response->effective_url : url, error);
}

KiosOpdsFeed *
kios_opds_client_fetch (KiosOpdsClient *self,
                        const char     *href,
                        GCancellable   *cancellable,
                        GError        **error)
{
  g_autoptr (GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_autofree char            *url = absolute_href (self, href, error);
  KiosOpdsFeed               *feed;

  if (url == NULL)
    return NULL;
  feed = fetch_feed (self, url, FALSE, cancellable, error);
  if (feed != NULL && href == NULL)
    {
      kios_opds_feed_free (self->root);
      self->root = NULL;
      /* Keep a light copy of the root's search links for later searches. */
      self->root = kios_opds_feed_new_empty (feed->base_url);
      self->root->opensearch_href = g_strdup (feed->opensearch_href);
      self->root->search_template = g_strdup (feed->search_template);
    }
  return feed;
}

static char *
search_template_of (KiosOpdsClient     *self,
                    const KiosOpdsFeed *feed,
                    GCancellable       *cancellable,
                    GError            **error)
{
  Exchange                     x = { "GET", NULL, NULL, MAX_SMALL_DOCUMENT, self->timeout_ms,
                                     "application/opensearchdescription+xml, application/xml;q=0.9, */*;q=0.5" };
  g_autoptr (KiosHttpResponse) response = NULL;
  const char                  *data;
  gsize                        len;

  if (feed->search_template != NULL)
    return g_strdup (feed->search_template);
  if (feed->opensearch_href == NULL)
    return NULL;
  x.url = feed->opensearch_href;
  response = exchange (self, &x, "search description", cancellable, error);
  if (response == NULL || !check_status (response, x.url, error))
    return NULL;
  data = g_bytes_get_data (response->body, &len);
  return kios_opds_parse_opensearch (data, len, response->effective_url != NULL ? response->effective_url : x.url,
                                     error);
}

KiosOpdsFeed *
kios_opds_client_search (KiosOpdsClient     *self,
                         const KiosOpdsFeed *from,
                         const char         *query,
                         GCancellable       *cancellable,
                         GError            **error)
{
  g_autoptr (GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_autofree char            *template_url = NULL;
  g_autofree char            *url = NULL;
  g_autofree char            *terms = g_strstrip (g_strdup (query != NULL ? query : ""));
  GError                     *local_error = NULL;

  if (from != NULL)
    {
      template_url = search_template_of (self, from, cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
    }
  if (template_url == NULL)
    {
      if (self->root == NULL)
        {
          KiosOpdsFeed *root = kios_opds_client_fetch (self, NULL, cancellable, error);

          if (root == NULL)
            return NULL;
          kios_opds_feed_free (root);
        }
      template_url = search_template_of (self, self->root, cancellable, error);
      if (template_url == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                                 "This catalog offers no search");
          return NULL;
        }
    }
  if (*terms == '\0' || !g_utf8_validate (terms, -1, NULL))
    return kios_opds_feed_new_empty (template_url);
  url = kios_opds_expand_search (template_url, terms);
  return fetch_feed (self, url, TRUE, cancellable, error);
}

/* ------------------------------------------------------------------ */
/* downloads */

static gboolean
parse_content_range (const char *value,
                     guint64    *start,
                     guint64    *total)
{
  guint64 end;

  /* "bytes 0-1048575/4095020" */
  if (value == NULL || sscanf (value, "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                               start, &end, total) != 3)
    return FALSE;
  return end >= *start && end < *total;
}

typedef struct
{
  KiosOpdsProgressFunc func;
  gpointer             data;
  guint64              offset; /* where this response's body starts in the file */
  gboolean             ranged; /* a 206 may come: total counts from offset */
  guint64              last;
} Progress;

static void
progress_shim (goffset  received,
               goffset  total,
               gpointer user_data)
{
  Progress *p = user_data;
  guint64   now = p->offset + (guint64) MAX (received, 0);

  /* Only forward, never the same count twice. */
  if (p->func == NULL || now <= p->last)
    return;
  p->last = now;
  p->func (now, total > 0 ? (guint64) total + (p->ranged ? p->offset : 0) : 0, p->data);
}

static gboolean
resumable (const GError *error)
{
  return error->domain == KIOS_SYNC_ERROR && error->code == KIOS_SYNC_ERROR_NETWORK;
}

gboolean
kios_opds_client_download (KiosOpdsClient      *self,
                           const char          *href,
                           KiosBookImport      *import,
                           KiosOpdsProgressFunc progress,
                           gpointer             user_data,
                           GCancellable        *cancellable,
                           GError             **error)
{
  g_autoptr (GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_autofree char            *url = absolute_href (self, href, error);
  Progress                    shim = { progress, user_data, 0, FALSE, 0 };

  if (url == NULL)
    return FALSE;

  /* One streamed GET; after a broken transfer, resumed with Range from
   * what arrived (a server that ignores it sends the whole book again). */
  for (guint attempt = 0;; attempt++)
    {
      guint64                      offset = kios_book_import_get_received (import);
      g_autofree char             *range = offset > 0 ? g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", offset) : NULL;
      Exchange                     x = { "GET", url, range, self->max_book_size, 0,
                                         "application/epub+zip, application/pdf, */*;q=0.5",
                                         kios_book_import_get_sink (import), progress_shim, &shim };
      g_autoptr (KiosHttpResponse) response = NULL;
      g_autoptr (GError)           local = NULL;

      shim.offset = offset;
      shim.ranged = offset > 0;
      response = exchange (self, &x, "book", cancellable, &local);
      if (response == NULL)
        {
          if (resumable (local) && attempt < MAX_RESUMES && kios_book_import_get_received (import) > offset)
            continue;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (response->status == 200)
        {
          /* The whole book: after a resume, the server ignored the Range. */
          if (offset > 0 && !kios_book_import_drop_head (import, offset, error))
            return FALSE;
        }
      else if (response->status == 206)
        {
          guint64 start;
          guint64 total;

          /* What arrived must continue the file exactly, inside the limit. */
          if (!parse_content_range (kios_http_response_get_header (response, "Content-Range"), &start, &total) || start != offset || total > self->max_book_size || kios_book_import_get_received (import) > total)
            {
              g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                                   "The server sent the book in pieces that do not fit together");
              return FALSE;
            }
        }
      else if (response->status != 416 || offset == 0)
        {
          if (!check_status (response, url, error))
            return FALSE;
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "The server answered HTTP %u to a download",
                       response->status);
          return FALSE;
        }
      break;
    }
  if (kios_book_import_get_received (import) == 0)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "The server sent an empty file");
      return FALSE;
    }
  if (progress != NULL && shim.last < kios_book_import_get_received (import))
    progress (kios_book_import_get_received (import), kios_book_import_get_received (import), user_data);
  return TRUE;
}

static void
remember_entry (KiosBookImport      *import,
                const char          *source_name,
                const KiosOpdsEntry *entry,
                const KiosOpdsLink  *link)
{
  kios_book_import_add_meta (import, "opds.source", source_name);
  kios_book_import_add_meta (import, "opds.entry_id", entry->id);
  kios_book_import_add_meta (import, "opds.acquisition", link->href);
  kios_book_import_add_meta (import, "opds.progression", entry->progression_href);
}

/* The name derives from the source and the entry id: downloading the same
 * entry again finds the same file. */
static char *
file_name_for (const char          *source_name,
               const KiosOpdsEntry *entry,
               const char          *fmt)
{
  g_autofree char *key_source = g_strdup_printf ("%s\n%s\n%s", source_name, entry->id, fmt);
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA1, key_source, -1);
  g_autofree char *stem = kios_book_import_file_stem (entry->title);

  key[12] = '\0';
  return g_strdup_printf ("%s-%s.%s", stem, key, fmt);
}

char *
kios_opds_client_download_book (KiosOpdsClient      *self,
                                KiosLibraryStore    *store,
                                const char          *source_name,
                                const KiosOpdsEntry *entry,
                                const char          *format,
                                KiosOpdsProgressFunc progress,
                                gpointer             user_data,
                                gboolean            *existing,
                                GCancellable        *cancellable,
                                GError             **error)
{
  const KiosOpdsLink        *link = kios_opds_entry_pick_acquisition (entry, format);
  g_autofree char           *name = NULL;
  g_autofree char           *found = NULL;
  g_autofree char           *hash = NULL;
  g_autoptr (KiosBookImport) import = NULL;
  g_autoptr (GString)        authors = g_string_new (NULL);
  g_autofree char           *cover = NULL;

  if (existing != NULL)
    *existing = FALSE;
  if (link == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "“%s” has no %s download Kios can open", entry->title,
                   format != NULL ? format : "EPUB or PDF");
      return NULL;
    }
  name = file_name_for (source_name, entry, kios_opds_format_from_type (link->type));

  found = kios_book_import_find (store, name);
  if (found != NULL)
    {
      g_autoptr (KiosBookRecord) known = kios_library_store_get_book_by_path (store, found, NULL);

      kios_library_store_set_book_meta (store, known->hash, "opds.source", source_name);
      kios_library_store_set_book_meta (store, known->hash, "opds.entry_id", entry->id);
      kios_library_store_set_book_meta (store, known->hash, "opds.acquisition", link->href);
      if (entry->progression_href != NULL)
        kios_library_store_set_book_meta (store, known->hash, "opds.progression", entry->progression_href);
      kios_library_store_flush (store, 5000);
      if (existing != NULL)
        *existing = TRUE;
      return g_steal_pointer (&found);
    }

  import = kios_book_import_new (store, name, self->max_book_size, error);
  if (import == NULL)
    return NULL;
  for (guint i = 0; i < entry->authors->len; i++)
    g_string_append_printf (authors, "%s%s", i > 0 ? ", " : "", (const char *) entry->authors->pdata[i]);
  /* The cover the catalog showed, when it is in the cache already. */
  for (guint i = 0; i < 2 && cover == NULL; i++)
    {
      const char *href = i == 0 ? entry->cover_href : entry->thumbnail_href;

      if (href != NULL)
        {
          cover = kios_opds_cover_cache_path (href);
          if (!g_file_test (cover, G_FILE_TEST_IS_REGULAR))
            g_clear_pointer (&cover, g_free);
        }
    }
  kios_book_import_set_details (import, entry->title, authors->str, cover);
  remember_entry (import, source_name, entry, link);
  if (!kios_opds_client_download (self, link->href, import, progress, user_data, cancellable, error))
    return NULL;
  return kios_book_import_commit (import, NULL, existing, cancellable, error);
}

GBytes *
kios_opds_client_fetch_image (KiosOpdsClient *self,
                              const char     *href,
                              gsize           max_size,
                              GCancellable   *cancellable,
                              GError        **error)
{
  g_autoptr (GRecMutexLocker)  locker = g_rec_mutex_locker_new (&self->lock);
  g_autofree char             *url = absolute_href (self, href, error);
  g_autoptr (KiosHttpResponse) response = NULL;

  if (url == NULL)
    return NULL;

  {
    Exchange x = { "GET", url, NULL, max_size, self->timeout_ms, "image/*" };

    response = exchange (self, &x, "image", cancellable, error);
  }
  if (response == NULL || !check_status (response, url, error))
    return NULL;
  return g_bytes_ref (response->body);
}

char *
kios_opds_client_find_downloaded (KiosLibraryStore    *store,
                                  const char          *source_name,
                                  const KiosOpdsEntry *entry,
                                  const char          *format)
{
  const KiosOpdsLink *link = kios_opds_entry_pick_acquisition (entry, format);
  g_autofree char    *name = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (source_name != NULL && entry != NULL, NULL);

  if (link == NULL)
    return NULL;
  /* The same name download_book gives the file. */
  name = file_name_for (source_name, entry, kios_opds_format_from_type (link->type));
  return kios_book_import_find (store, name);
}
