/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kosync-backend"

#include "config.h"

#include "kios-kosync-backend.h"

#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

struct _KiosKosyncBackend
{
  GObject parent_instance;

  KiosKosyncClient *client;
  char             *source_name;
  KiosKosyncMatch   match;
  KiosLibraryStore *store; /* nullable: book paths and pairings */
  GMutex            lock;  /* paths: workers read it */
  GHashTable       *paths; /* book hash → file path, told by the caller */
};

static void kios_kosync_backend_iface_init (KiosSyncBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosKosyncBackend, kios_kosync_backend, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (KIOS_TYPE_SYNC_BACKEND, kios_kosync_backend_iface_init))

static const char *
backend_get_source_name (KiosSyncBackend *backend)
{
  return KIOS_KOSYNC_BACKEND (backend)->source_name;
}

static char *
backend_get_server_label (KiosSyncBackend *backend)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (backend);

  /* Kavita and Stump carry the key in the path: never show it. */
  return kios_redact_url (kios_kosync_client_get_base_url (self->client));
}

static KiosSyncPrecision
backend_get_precision (KiosSyncBackend *backend,
                       KiosBookFormat   format)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (backend);
  const char        *family;

  if (format == KIOS_BOOK_FORMAT_PDF)
    return KIOS_SYNC_PRECISION_PAGE;
  /* KOSYNC.md §4.3: Komga keeps the chapter (its start, and the book's
   * percentage); Kavita the chapter and an element without the offset.
   * The others store the xpointer verbatim. */
  family = kios_kosync_guess_server (kios_kosync_client_get_base_url (self->client), NULL);
  if (g_strcmp0 (family, "Komga") == 0 || g_strcmp0 (family, "Kavita") == 0)
    return KIOS_SYNC_PRECISION_CHAPTER;
  return KIOS_SYNC_PRECISION_EXACT;
}

/* The document id first (store, file name), then the exchange: blocking. */
gboolean
kios_kosync_backend_push_sync (KiosKosyncBackend  *self,
                               const char         *book_hash,
                               const KiosPosition *position,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autofree char *progress = NULL;
  g_autofree char *document = NULL;

  g_return_val_if_fail (KIOS_IS_KOSYNC_BACKEND (self), FALSE);
  g_return_val_if_fail (book_hash != NULL && position != NULL, FALSE);

  if (position->format == KIOS_BOOK_FORMAT_PDF)
    progress = g_strdup_printf ("%d", position->chapter + 1);
  else
    progress = g_strdup (position->xpointer);
  if (progress == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "This position has no KOReader form to send");
      return FALSE;
    }
  document = kios_kosync_backend_document_id (self, book_hash, cancellable, error);
  if (document == NULL)
    return FALSE;
  return kios_kosync_client_push_sync (self->client, document, progress, position->total_progress, cancellable,
                                       error);
}

static gboolean
push_blocking (KiosSyncBackend    *backend,
               const char         *book_hash,
               const KiosPosition *position,
               GCancellable       *cancellable,
               GError            **error)
{
  return kios_kosync_backend_push_sync (KIOS_KOSYNC_BACKEND (backend), book_hash, position, cancellable, error);
}

KiosPosition *
kios_kosync_remote_to_position (const KiosRemotePosition *remote,
                                KiosBookFormat            format)
{
  KiosSyncRemote wrapper = { KIOS_SYNC_PROTOCOL_KOSYNC, (KiosRemotePosition *) remote, NULL, NULL };

  g_return_val_if_fail (remote != NULL, NULL);

  return kios_sync_normalize_remote (&wrapper, format);
}

static KiosSyncRemote *
backend_pull_remote (KiosSyncBackend *backend,
                     const char      *book_hash,
                     KiosBookFormat   format,
                     GCancellable    *cancellable,
                     GError         **error)
{
  KiosKosyncBackend  *self = KIOS_KOSYNC_BACKEND (backend);
  g_autofree char    *document = kios_kosync_backend_document_id (self, book_hash, cancellable, error);
  KiosRemotePosition *remote;

  if (document == NULL)
    return NULL;
  remote = kios_kosync_client_pull_sync (self->client, document, cancellable, error);
  return remote != NULL ? kios_sync_remote_new_kosync (remote) : NULL;
}

static KiosPosition *
pull_blocking (KiosSyncBackend *backend,
               const char      *book_hash,
               KiosBookFormat   format,
               GCancellable    *cancellable,
               GError         **error)
{
  g_autoptr (KiosSyncRemote) remote = backend_pull_remote (backend, book_hash, format, cancellable, error);

  return remote != NULL ? kios_sync_normalize_remote (remote, format) : NULL;
}

static void
kios_kosync_backend_iface_init (KiosSyncBackendInterface *iface)
{
  iface->get_source_name = backend_get_source_name;
  iface->get_server_label = backend_get_server_label;
  iface->get_precision = backend_get_precision;
  iface->pull_remote = backend_pull_remote;
  iface->push_sync = push_blocking;
  iface->pull_sync = pull_blocking;
}

static void
kios_kosync_backend_finalize (GObject *object)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->source_name, g_free);
  g_clear_object (&self->store);
  g_clear_pointer (&self->paths, g_hash_table_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (kios_kosync_backend_parent_class)->finalize (object);
}

static void
kios_kosync_backend_class_init (KiosKosyncBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_kosync_backend_finalize;
}

static void
kios_kosync_backend_init (KiosKosyncBackend *self)
{
  g_mutex_init (&self->lock);
  self->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

KiosKosyncBackend *
kios_kosync_backend_new (const char       *source_name,
                         KiosKosyncClient *client)
{
  KiosKosyncBackend *self;

  g_return_val_if_fail (source_name != NULL, NULL);
  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (client), NULL);

  self = g_object_new (KIOS_TYPE_KOSYNC_BACKEND, NULL);
  self->source_name = g_strdup (source_name);
  self->client = g_object_ref (client);
  return self;
}

KiosKosyncClient *
kios_kosync_backend_get_client (KiosKosyncBackend *self)
{
  g_return_val_if_fail (KIOS_IS_KOSYNC_BACKEND (self), NULL);

  return self->client;
}

void
kios_kosync_backend_set_match (KiosKosyncBackend *self,
                               KiosKosyncMatch    match,
                               KiosLibraryStore  *store)
{
  g_return_if_fail (KIOS_IS_KOSYNC_BACKEND (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  self->match = match;
  g_set_object (&self->store, store);
}

KiosKosyncMatch
kios_kosync_backend_get_match (KiosKosyncBackend *self)
{
  g_return_val_if_fail (KIOS_IS_KOSYNC_BACKEND (self), KIOS_KOSYNC_MATCH_BINARY);

  return self->match;
}

void
kios_kosync_backend_set_book_path (KiosKosyncBackend *self,
                                   const char        *book_hash,
                                   const char        *path)
{
  g_return_if_fail (KIOS_IS_KOSYNC_BACKEND (self));
  g_return_if_fail (book_hash != NULL && path != NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->paths, g_strdup (book_hash), g_strdup (path));
  g_mutex_unlock (&self->lock);
}

char *
kios_kosync_backend_document_id (KiosKosyncBackend *self,
                                 const char        *book_hash,
                                 GCancellable      *cancellable,
                                 GError           **error)
{
  g_autofree char *path = NULL;
  char            *digest;

  g_return_val_if_fail (KIOS_IS_KOSYNC_BACKEND (self), NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);

  /* A pairing made by hand with this account names the book for good. */
  if (self->store != NULL)
    {
      g_autofree char *paired_source = kios_library_store_get_book_meta (self->store, book_hash,
                                                                         KIOS_KOSYNC_META_SOURCE);

      if (g_strcmp0 (paired_source, self->source_name) == 0)
        {
          char *paired = kios_library_store_get_book_meta (self->store, book_hash, KIOS_KOSYNC_META_DOCUMENT);

          if (kios_kosync_document_id_is_valid (paired))
            return paired;
          g_free (paired);
        }
    }
  if (self->match == KIOS_KOSYNC_MATCH_BINARY)
    return g_strdup (book_hash);

  g_mutex_lock (&self->lock);
  path = g_strdup (g_hash_table_lookup (self->paths, book_hash));
  g_mutex_unlock (&self->lock);
  if (path == NULL && self->store != NULL)
    {
      g_autoptr (KiosBookRecord) book = kios_library_store_get_book (self->store, book_hash, NULL);

      if (book != NULL)
        path = g_strdup (book->path);
    }
  digest = path != NULL ? kios_kosync_filename_digest (path) : NULL;
  if (digest == NULL)
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                 "The book's file name is not known, so it cannot be matched by file name");
  return digest;
}

KiosKosyncBackend *
kios_kosync_backend_open (const KiosSourceRecord *record,
                          KiosLibraryStore       *store,
                          GCancellable           *cancellable,
                          GError                **error)
{
  g_autoptr (KiosKosyncClient) client = NULL;
  KiosKosyncBackend           *self;

  g_return_val_if_fail (record != NULL, NULL);

  client = kios_sync_source_open_kosync (record, cancellable, error);
  if (client == NULL)
    return NULL;
  self = kios_kosync_backend_new (record->name, client);
  kios_kosync_backend_set_match (self, kios_source_record_get_match (record), store);
  return self;
}
