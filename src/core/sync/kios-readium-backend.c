/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-readium-backend"

#include "config.h"

#include "kios-readium-backend.h"

#include "kios-epub.h"
#include "kios-limits.h"
#include "kios-opds-feed.h"
#include "kios-paths.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <string.h>

#define META_PROGRESSION "opds.progression"
#define META_SOURCE "opds.source"
#define META_ACQUISITION "opds.acquisition"
#define META_READ_ONLY "readium.read_only"
#define META_FLAVOUR "readium.flavour"
/* A chapter larger than this is not read just to learn its size: it is
 * refused for reading anyway. */
#define MAX_CHAPTER_SIZE KIOS_LIMIT_CHAPTER_BYTES

struct _KiosReadiumBackend
{
  GObject            parent_instance;
  KiosLibraryStore  *store;
  KiosReadiumClient *client;
  char              *source_name;
  char              *book_hash;
  GMutex             lock; /* one request at a time on the client */
};

static void kios_readium_backend_iface_init (KiosSyncBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosReadiumBackend, kios_readium_backend, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (KIOS_TYPE_SYNC_BACKEND, kios_readium_backend_iface_init))

/* ------------------------------------------------------------------ */

/* The uncompressed size of the chapter's resource in the zip, which fixes
 * Komga's grid; 0 when it cannot be read (then nothing is snapped). */
static gsize
chapter_size (KiosReadiumBackend *self,
              KiosPosition       *position)
{
  g_autoptr (KiosBookRecord) book = kios_library_store_get_book (self->store, self->book_hash, NULL);
  g_autoptr (KiosEpub)       epub = NULL;
  g_autoptr (GBytes)         member = NULL;
  g_autoptr (GError)         error = NULL;
  int                        index;

  if (book == NULL || book->path == NULL)
    return 0;
  epub = kios_epub_open (book->path, &error);
  if (epub == NULL)
    {
      g_debug ("cannot open the book to size its chapter: %s", error->message);
      return 0;
    }
  index = position->chapter_href != NULL ? kios_epub_find_spine_index (epub, position->chapter_href) : -1;
  if (index < 0 && position->chapter >= 0 && (guint) position->chapter < kios_epub_get_n_spine_items (epub))
    index = position->chapter;
  if (index < 0)
    return 0;
  /* The spine's own path is the one Komga knows (decoded, zip-rooted). */
  g_free (position->chapter_href);
  position->chapter_href = g_strdup (kios_epub_get_spine_item (epub, (guint) index)->href);
  member = kios_epub_read_member (epub, position->chapter_href, MAX_CHAPTER_SIZE, &error);
  if (member == NULL)
    {
      g_debug ("cannot read the chapter to size it: %s", error->message);
      return 0;
    }
  return g_bytes_get_size (member);
}

static void
remember_flavour (KiosReadiumBackend *self)
{
  const char      *flavour = kios_readium_client_get_flavour (self->client) == KIOS_READIUM_FLAVOUR_OPDS ? "opds" : "readium";
  g_autofree char *known = kios_library_store_get_book_meta (self->store, self->book_hash, META_FLAVOUR);

  if (g_strcmp0 (known, flavour) != 0)
    kios_library_store_set_book_meta (self->store, self->book_hash, META_FLAVOUR, flavour);
}

/* The link's flavour decides the PUT body. The store does not keep the
 * link's type, so a book that never talked to its server asks once (a GET
 * answer says which document the server speaks) before its first PUT. */
static gboolean
learn_flavour (KiosReadiumBackend *self,
               GCancellable       *cancellable,
               GError            **error)
{
  g_autofree char                   *known = kios_library_store_get_book_meta (self->store, self->book_hash, META_FLAVOUR);
  g_autoptr (KiosReadiumProgression) ignored = NULL;
  GError                            *local_error = NULL;

  if (known != NULL || kios_readium_client_get_n_requests (self->client) > 0)
    return TRUE;
  ignored = kios_readium_client_get (self->client, cancellable, &local_error);
  if (local_error == NULL)
    return TRUE;
  /* A server that cannot answer now cannot take the PUT either. */
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || g_error_matches (local_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) || g_error_matches (local_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH) || g_error_matches (local_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  g_debug ("cannot learn the progression flavour: %s", local_error->message);
  g_error_free (local_error);
  return TRUE;
}

gboolean
kios_readium_backend_push_sync (KiosReadiumBackend   *self,
                                const KiosPosition   *position,
                                KiosReadiumPutResult *result,
                                GCancellable         *cancellable,
                                GError              **error)
{
  g_autoptr (KiosPosition)           local = NULL;
  g_autoptr (KiosReadiumProgression) progression = NULL;
  g_autoptr (GMutexLocker)           locker = NULL;
  g_autofree char                   *read_only = NULL;
  g_autofree char                   *acquisition = NULL;
  KiosReadiumPutResult               outcome = KIOS_READIUM_PUT_STORED;
  gsize                              size = 0;

  g_return_val_if_fail (KIOS_IS_READIUM_BACKEND (self), FALSE);
  g_return_val_if_fail (position != NULL, FALSE);

  if (result != NULL)
    *result = KIOS_READIUM_PUT_STORED;
  read_only = kios_library_store_get_book_meta (self->store, self->book_hash, META_READ_ONLY);
  if (g_strcmp0 (read_only, "1") == 0)
    {
      /* Known read-only (Stump): nothing to send, nothing pending. */
      if (result != NULL)
        *result = KIOS_READIUM_PUT_READ_ONLY;
      return TRUE;
    }

  local = kios_position_copy (position);
  if (local->format != KIOS_BOOK_FORMAT_PDF)
    {
      size = chapter_size (self, local);
      if (local->chapter_href == NULL)
        {
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                       "This position names no chapter of the book to send");
          return FALSE;
        }
    }
  acquisition = kios_library_store_get_book_meta (self->store, self->book_hash, META_ACQUISITION);
  progression = kios_readium_progression_from_position (local, size, 0, acquisition);
  g_free (progression->device_id);
  progression->device_id = kios_paths_device_id ();
  g_free (progression->device_name);
  progression->device_name = kios_paths_device_name ();

  locker = g_mutex_locker_new (&self->lock);
  /* The sync log is the caller's (the service's entry, kiosctl's): one
   * entry per exchange, never a second line from here. */
  if (!learn_flavour (self, cancellable, error) || !kios_readium_client_put (self->client, progression, &outcome, cancellable, error))
    return FALSE;

  switch (outcome)
    {
    case KIOS_READIUM_PUT_STORED:
      break;

    case KIOS_READIUM_PUT_NOT_NEWER:
      {
        /* The server holds something at least as new: read it once so the
         * reader can still go there, and let the push settle. Sending again
         * with a later time would overwrite a newer position: never. */
        g_autoptr (GError)                 get_error = NULL;
        g_autoptr (KiosReadiumProgression) remote = kios_readium_client_get (self->client, cancellable, &get_error);

        if (remote != NULL)
          {
            g_autofree char *json = kios_readium_progression_to_json (remote, kios_readium_client_get_flavour (self->client));

            kios_library_store_set_last_remote (self->store, self->book_hash, self->source_name, json);
          }
        else
          g_debug ("cannot read the newer position: %s", get_error->message);
      }
      break;

    case KIOS_READIUM_PUT_READ_ONLY:
    default:
      kios_library_store_set_book_meta (self->store, self->book_hash, META_READ_ONLY, "1");
      break;
    }
  remember_flavour (self);
  if (result != NULL)
    *result = outcome;
  return TRUE;
}

KiosPosition *
kios_readium_backend_pull_sync (KiosReadiumBackend      *self,
                                KiosBookFormat           format,
                                KiosReadiumProgression **remote,
                                GCancellable            *cancellable,
                                GError                 **error)
{
  g_autoptr (KiosReadiumProgression) progression = NULL;
  g_autoptr (GMutexLocker)           locker = NULL;
  GError                            *local_error = NULL;

  g_return_val_if_fail (KIOS_IS_READIUM_BACKEND (self), NULL);

  if (remote != NULL)
    *remote = NULL;
  locker = g_mutex_locker_new (&self->lock);
  progression = kios_readium_client_get (self->client, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (progression == NULL)
    return NULL;
  if (remote != NULL)
    *remote = kios_readium_progression_copy (progression);
  return kios_readium_progression_to_position (progression, format);
}

/* ------------------------------------------------------------------ */
/* KiosSyncBackend */

static const char *
backend_get_source_name (KiosSyncBackend *backend)
{
  return KIOS_READIUM_BACKEND (backend)->source_name;
}

static char *
backend_get_server_label (KiosSyncBackend *backend)
{
  KiosReadiumBackend *self = KIOS_READIUM_BACKEND (backend);
  g_autoptr (GUri)    uri = g_uri_parse (kios_readium_client_get_url (self->client), G_URI_FLAGS_NONE, NULL);

  /* The host is what the status menu needs; the path may carry a key. */
  if (uri != NULL && g_uri_get_host (uri) != NULL)
    {
      if (g_uri_get_port (uri) > 0)
        return g_strdup_printf ("%s (%s:%d)", self->source_name, g_uri_get_host (uri), g_uri_get_port (uri));
      return g_strdup_printf ("%s (%s)", self->source_name, g_uri_get_host (uri));
    }
  return g_strdup (self->source_name);
}

static KiosSyncPrecision
backend_get_precision (KiosSyncBackend *backend,
                       KiosBookFormat   format)
{
  /* A locator: the resource and the progression in it, or the page. */
  return format == KIOS_BOOK_FORMAT_PDF ? KIOS_SYNC_PRECISION_PAGE : KIOS_SYNC_PRECISION_CHAPTER;
}

static KiosSyncProtocol
backend_get_protocol (KiosSyncBackend *backend)
{
  return KIOS_SYNC_PROTOCOL_READIUM;
}

/* The catalog's progression link is the book's own: no other book's. */
static gboolean
check_book (KiosReadiumBackend *self,
            const char         *book_hash,
            GError            **error)
{
  if (book_hash != NULL && g_ascii_strcasecmp (book_hash, self->book_hash) != 0)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "This catalog's progression link belongs to another book");
      return FALSE;
    }
  return TRUE;
}

static KiosSyncRemote *
backend_pull_remote (KiosSyncBackend *backend,
                     const char      *book_hash,
                     KiosBookFormat   format,
                     GCancellable    *cancellable,
                     GError         **error)
{
  KiosReadiumBackend      *self = KIOS_READIUM_BACKEND (backend);
  g_autoptr (KiosPosition) position = NULL;
  KiosReadiumProgression  *raw = NULL;

  if (!check_book (self, book_hash, error))
    return NULL;
  position = kios_readium_backend_pull_sync (self, format, &raw, cancellable, error);
  return raw != NULL ? kios_sync_remote_new_readium (raw) : NULL;
}

static gboolean
push_blocking (KiosSyncBackend    *backend,
               const char         *book_hash,
               const KiosPosition *position,
               GCancellable       *cancellable,
               GError            **error)
{
  KiosReadiumBackend *self = KIOS_READIUM_BACKEND (backend);

  return check_book (self, book_hash, error) &&
         kios_readium_backend_push_sync (self, position, NULL, cancellable, error);
}

static KiosPosition *
pull_blocking (KiosSyncBackend *backend,
               const char      *book_hash,
               KiosBookFormat   format,
               GCancellable    *cancellable,
               GError         **error)
{
  KiosReadiumBackend *self = KIOS_READIUM_BACKEND (backend);

  if (!check_book (self, book_hash, error))
    return NULL;
  return kios_readium_backend_pull_sync (self, format, NULL, cancellable, error);
}

static void
kios_readium_backend_iface_init (KiosSyncBackendInterface *iface)
{
  iface->get_source_name = backend_get_source_name;
  iface->get_server_label = backend_get_server_label;
  iface->get_precision = backend_get_precision;
  iface->get_protocol = backend_get_protocol;
  iface->pull_remote = backend_pull_remote;
  iface->push_sync = push_blocking;
  iface->pull_sync = pull_blocking;
}

static void
kios_readium_backend_finalize (GObject *object)
{
  KiosReadiumBackend *self = KIOS_READIUM_BACKEND (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->client, kios_readium_client_free);
  g_clear_pointer (&self->source_name, g_free);
  g_clear_pointer (&self->book_hash, g_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (kios_readium_backend_parent_class)->finalize (object);
}

static void
kios_readium_backend_class_init (KiosReadiumBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_readium_backend_finalize;
}

static void
kios_readium_backend_init (KiosReadiumBackend *self)
{
  g_mutex_init (&self->lock);
}

/* ------------------------------------------------------------------ */

KiosReadiumBackend *
kios_readium_backend_new (KiosLibraryStore  *store,
                          const char        *source_name,
                          const char        *book_hash,
                          KiosReadiumClient *client)
{
  KiosReadiumBackend *self;
  g_autofree char    *flavour = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (source_name != NULL, NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);
  g_return_val_if_fail (client != NULL, NULL);

  self = g_object_new (KIOS_TYPE_READIUM_BACKEND, NULL);
  self->store = g_object_ref (store);
  self->source_name = g_strdup (source_name);
  self->book_hash = g_strdup (book_hash);
  self->client = client;
  flavour = kios_library_store_get_book_meta (store, book_hash, META_FLAVOUR);
  if (g_strcmp0 (flavour, "opds") == 0)
    kios_readium_client_set_flavour (client, KIOS_READIUM_FLAVOUR_OPDS);
  return self;
}

KiosReadiumBackend *
kios_readium_backend_new_for_book (KiosLibraryStore *store,
                                   const char       *book_hash,
                                   GCancellable     *cancellable,
                                   GError          **error)
{
  g_autofree char             *link = NULL;
  g_autofree char             *source_name = NULL;
  g_autofree char             *catalog_url = NULL;
  g_autofree char             *username = NULL;
  g_autofree char             *password = NULL;
  g_autofree char             *url = NULL;
  g_autoptr (KiosSourceRecord) source = NULL;
  g_autoptr (GError)           local_error = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);

  link = kios_library_store_get_book_meta (store, book_hash, META_PROGRESSION);
  if (link == NULL || *link == '\0')
    return NULL;
  source_name = kios_library_store_get_book_meta (store, book_hash, META_SOURCE);
  if (source_name == NULL)
    return NULL;
  source = kios_library_store_get_source (store, source_name, &local_error);
  if (source == NULL || g_strcmp0 (source->kind, "opds") != 0)
    {
      /* The catalog was removed: the book is an ordinary book now. */
      g_debug ("the book's catalog “%s” is gone: %s", source_name,
               local_error != NULL ? local_error->message : "not an OPDS source");
      return NULL;
    }
  if (!kios_sync_source_load (source, &catalog_url, &username, &password, cancellable, error))
    return NULL;
  /* download_book stores resolved links; a relative one is resolved here. */
  url = catalog_url != NULL ? kios_opds_resolve_href (catalog_url, link) : NULL;
  if (url == NULL)
    url = g_strdup (link);
  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL,
                   "The book's progression link is not an http(s) link");
      return NULL;
    }
  return kios_readium_backend_new (store, source_name, book_hash,
                                   kios_readium_client_new (url, catalog_url, username, password));
}

KiosReadiumClient *
kios_readium_backend_get_client (KiosReadiumBackend *self)
{
  g_return_val_if_fail (KIOS_IS_READIUM_BACKEND (self), NULL);
  return self->client;
}

const char *
kios_readium_backend_get_book_hash (KiosReadiumBackend *self)
{
  g_return_val_if_fail (KIOS_IS_READIUM_BACKEND (self), NULL);
  return self->book_hash;
}
