/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-backend"

#include "config.h"

#include "kios-kobo-backend.h"

#include "kios-epub.h"
#include "kios-kobo-library.h"
#include "kios-limits.h"
#include "kios-redact.h"

#include <math.h>

struct _KiosKoboBackend
{
  GObject parent_instance;

  char             *source_name;
  KiosKoboClient   *client;
  KiosLibraryStore *store;
};

static void kios_kobo_backend_iface_init (KiosSyncBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosKoboBackend, kios_kobo_backend, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (KIOS_TYPE_SYNC_BACKEND, kios_kobo_backend_iface_init))

/* ------------------------------------------------------------------------ */
/* Conversions.                                                             */

KiosKoboReadingState *
kios_kobo_state_from_position (KiosKoboFamily      family,
                               const char         *entitlement_id,
                               const KiosPosition *position,
                               gboolean            kepub,
                               gsize               chapter_size)
{
  KiosKoboReadingState *state = kios_kobo_reading_state_new ();
  double                chapter = CLAMP (position->chapter_progress, 0.0, 1.0);
  gint64                when = position->updated_at > 0 ? position->updated_at : g_get_real_time () / G_USEC_PER_SEC;

  state->entitlement_id = g_strdup (entitlement_id);
  state->source = g_strdup (position->chapter_href);
  if (family == KIOS_KOBO_FAMILY_KOMGA && chapter_size > 0)
    chapter = kios_kobo_snap_progress (chapter, chapter_size);
  state->content_percent = chapter * 100.0;
  state->progress_percent = CLAMP (position->total_progress, 0.0, 1.0) * 100.0;
  /* The time of the page turn, not of the upload. */
  state->bookmark_modified = when * 1000;
  state->status = g_strdup (position->total_progress >= 0.9999 ? "Finished" : "Reading");
  /* Plain EPUBs have no spans: a Kobo itself reports the chapter start.
   * Komga, given null for a KEPUB, stores the span of the matched position. */
  if (!(family == KIOS_KOBO_FAMILY_KOMGA && kepub))
    state->value = g_strdup ("kobo.1.1");
  return state;
}

KiosPosition *
kios_kobo_state_to_position (const KiosKoboReadingState *state)
{
  KiosPosition *position = kios_position_new ();

  position->format = KIOS_BOOK_FORMAT_EPUB;
  position->chapter = -1;
  position->chapter_href = g_strdup (state->source);
  position->chapter_progress = state->content_percent >= 0 ? state->content_percent / 100.0 : 0.0;
  position->total_progress = state->progress_percent >= 0 ? state->progress_percent / 100.0 : 0.0;
  position->updated_at = state->bookmark_modified / 1000;
  position->device = g_strdup ("Kobo sync");
  return position;
}

char *
kios_kobo_explain_percentages (const KiosPosition *local,
                               const KiosPosition *remote)
{
  double a, b;

  if (local == NULL || remote == NULL || local->chapter < 0 || remote->chapter < 0 || local->chapter != remote->chapter)
    return NULL;
  a = local->total_progress * 100.0;
  b = remote->total_progress * 100.0;
  if (fabs (a - b) < 1.0)
    return NULL;
  return g_strdup_printf ("Kios and the Kobo are in the same chapter (%s); Kios shows %.0f %% and the Kobo side %.0f %% "
                          "because Kobo firmware counts whole-book progress differently. The position is the same: "
                          "nothing is lost.",
                          local->chapter_title != NULL ? local->chapter_title : remote->chapter_title != NULL ? remote->chapter_title
                                                                                                              : "the same chapter",
                          a, b);
}

/* ------------------------------------------------------------------------ */
/* Blocking work.                                                           */

static char *
entitlement_for (KiosKoboBackend *self,
                 const char      *book_hash,
                 GError         **error)
{
  g_autofree char *source = kios_library_store_get_book_meta (self->store, book_hash, KIOS_KOBO_META_SOURCE);
  g_autofree char *id = kios_library_store_get_book_meta (self->store, book_hash, KIOS_KOBO_META_ENTITLEMENT_ID);

  if (id == NULL || g_strcmp0 (source, self->source_name) != 0)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                   "This book did not come from the Kobo sync source “%s”", self->source_name);
      return NULL;
    }
  return g_steal_pointer (&id);
}

/* The chapter file's size in the downloaded book, 0 when unknown (a
 * chapter past KIOS_LIMIT_CHAPTER_BYTES is not read to learn it: it is
 * refused for reading anyway). */
static gsize
chapter_size (KiosKoboBackend *self,
              const char      *book_hash,
              const char      *href)
{
  g_autoptr (KiosBookRecord) book = NULL;
  g_autoptr (KiosEpub)       epub = NULL;
  g_autoptr (GBytes)         member = NULL;

  if (href == NULL)
    return 0;
  book = kios_library_store_get_book (self->store, book_hash, NULL);
  if (book == NULL || book->path == NULL)
    return 0;
  epub = kios_epub_open (book->path, NULL);
  if (epub == NULL)
    return 0;
  member = kios_epub_read_member (epub, href, KIOS_LIMIT_CHAPTER_BYTES, NULL);
  return member != NULL ? g_bytes_get_size (member) : 0;
}

gboolean
kios_kobo_backend_push_sync (KiosKoboBackend       *self,
                             const char            *book_hash,
                             const KiosPosition    *position,
                             KiosKoboReadingState **stored,
                             GCancellable          *cancellable,
                             GError               **error)
{
  g_autofree char                 *id = NULL;
  g_autofree char                 *format = NULL;
  g_autoptr (KiosKoboReadingState) state = NULL;
  KiosKoboFamily                   family = kios_kobo_client_get_family (self->client);

  g_return_val_if_fail (KIOS_IS_KOBO_BACKEND (self), FALSE);

  if (stored != NULL)
    *stored = NULL;
  if (position->format != KIOS_BOOK_FORMAT_EPUB || position->chapter_href == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "Kobo sync carries EPUB positions with a chapter only");
      return FALSE;
    }
  id = entitlement_for (self, book_hash, error);
  if (id == NULL)
    return FALSE;
  /* KOBO.md §4.4: Komga fills in the span itself when it lists the book as KEPUB. */
  format = kios_library_store_get_book_meta (self->store, book_hash, KIOS_KOBO_META_LISTED_FORMAT);
  state = kios_kobo_state_from_position (family, id, position, g_strcmp0 (format, "KEPUB") == 0,
                                         family == KIOS_KOBO_FAMILY_KOMGA
                                             ? chapter_size (self, book_hash, position->chapter_href)
                                             : 0);

  /* KOBO.md §6.2: a newer position from another device wins. CW ignores our
   * timestamps (its own clock stamps every PUT), so only this read keeps an
   * older Kios position from overwriting what a Kobo stored since. */
  {
    g_autoptr (GError)               get_error = NULL;
    g_autoptr (KiosKoboReadingState) remote = kios_kobo_client_get_state (self->client, id, cancellable, &get_error);

    if (get_error != NULL)
      {
        g_propagate_error (error, g_steal_pointer (&get_error));
        return FALSE;
      }
    if (remote != NULL && remote->bookmark_modified / 1000 > position->updated_at && !kios_kobo_state_matches (family, state, remote))
      {
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT,
                     "The server holds a newer position from another device (%s at %.0f %%): "
                     "Kios did not overwrite it",
                     remote->source != NULL ? remote->source : "no chapter", MAX (remote->progress_percent, 0));
        if (stored != NULL)
          *stored = g_steal_pointer (&remote);
        return FALSE;
      }
  }
  return kios_kobo_client_put_state (self->client, state, stored, cancellable, error);
}

KiosPosition *
kios_kobo_backend_pull_sync (KiosKoboBackend       *self,
                             const char            *book_hash,
                             KiosKoboReadingState **raw,
                             GCancellable          *cancellable,
                             GError               **error)
{
  g_autofree char                 *id = NULL;
  g_autoptr (KiosKoboReadingState) state = NULL;
  KiosPosition                    *position;

  g_return_val_if_fail (KIOS_IS_KOBO_BACKEND (self), NULL);

  if (raw != NULL)
    *raw = NULL;
  id = entitlement_for (self, book_hash, error);
  if (id == NULL)
    return NULL;
  state = kios_kobo_client_get_state (self->client, id, cancellable, error);
  if (state == NULL)
    return NULL;
  position = kios_kobo_state_to_position (state);
  if (raw != NULL)
    *raw = g_steal_pointer (&state);
  return position;
}

/* ------------------------------------------------------------------------ */
/* KiosSyncBackend.                                                         */

static const char *
backend_get_source_name (KiosSyncBackend *backend)
{
  return KIOS_KOBO_BACKEND (backend)->source_name;
}

static char *
backend_get_server_label (KiosSyncBackend *backend)
{
  return kios_kobo_client_get_label (KIOS_KOBO_BACKEND (backend)->client);
}

static KiosSyncPrecision
backend_get_precision (KiosSyncBackend *backend,
                       KiosBookFormat   format)
{
  /* The chapter file and the percentage in it (KOBO.md §4). */
  return KIOS_SYNC_PRECISION_CHAPTER;
}

static KiosSyncProtocol
backend_get_protocol (KiosSyncBackend *backend)
{
  return KIOS_SYNC_PROTOCOL_KOBO;
}

static KiosSyncRemote *
backend_pull_remote (KiosSyncBackend *backend,
                     const char      *book_hash,
                     KiosBookFormat   format,
                     GCancellable    *cancellable,
                     GError         **error)
{
  g_autoptr (KiosPosition) position = NULL;
  KiosKoboReadingState    *raw = NULL;

  /* Kobo sync serves EPUBs only. */
  if (format == KIOS_BOOK_FORMAT_PDF)
    return NULL;
  position = kios_kobo_backend_pull_sync (KIOS_KOBO_BACKEND (backend), book_hash, &raw, cancellable, error);
  return raw != NULL ? kios_sync_remote_new_kobo (raw) : NULL;
}

static gboolean
push_blocking (KiosSyncBackend    *backend,
               const char         *book_hash,
               const KiosPosition *position,
               GCancellable       *cancellable,
               GError            **error)
{
  return kios_kobo_backend_push_sync (KIOS_KOBO_BACKEND (backend), book_hash, position, NULL, cancellable, error);
}

static KiosPosition *
pull_blocking (KiosSyncBackend *backend,
               const char      *book_hash,
               KiosBookFormat   format,
               GCancellable    *cancellable,
               GError         **error)
{
  /* Kobo sync serves EPUBs only. */
  if (format == KIOS_BOOK_FORMAT_PDF)
    return NULL;
  return kios_kobo_backend_pull_sync (KIOS_KOBO_BACKEND (backend), book_hash, NULL, cancellable, error);
}

static void
kios_kobo_backend_iface_init (KiosSyncBackendInterface *iface)
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
kios_kobo_backend_finalize (GObject *object)
{
  KiosKoboBackend *self = KIOS_KOBO_BACKEND (object);

  g_clear_pointer (&self->client, kios_kobo_client_free);
  g_clear_object (&self->store);
  g_clear_pointer (&self->source_name, g_free);

  G_OBJECT_CLASS (kios_kobo_backend_parent_class)->finalize (object);
}

static void
kios_kobo_backend_class_init (KiosKoboBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_kobo_backend_finalize;
}

static void
kios_kobo_backend_init (KiosKoboBackend *self)
{
}

KiosKoboBackend *
kios_kobo_backend_new (const char       *source_name,
                       KiosKoboClient   *client,
                       KiosLibraryStore *store)
{
  KiosKoboBackend *self;

  g_return_val_if_fail (source_name != NULL, NULL);
  g_return_val_if_fail (client != NULL, NULL);
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  self = g_object_new (KIOS_TYPE_KOBO_BACKEND, NULL);
  self->source_name = g_strdup (source_name);
  self->client = client;
  self->store = g_object_ref (store);
  return self;
}

KiosKoboBackend *
kios_kobo_backend_open_for_book (KiosLibraryStore *store,
                                 const char       *book_hash,
                                 GCancellable     *cancellable,
                                 GError          **error)
{
  g_autofree char             *source = kios_library_store_get_book_meta (store, book_hash, KIOS_KOBO_META_SOURCE);
  g_autoptr (KiosSourceRecord) record = NULL;
  KiosKoboClient              *client;

  if (source == NULL)
    return NULL;
  record = kios_library_store_get_source (store, source, NULL);
  if (record == NULL || g_strcmp0 (record->kind, "kobo") != 0)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                   "This book came from the Kobo sync source “%s”, which is no longer set up", source);
      return NULL;
    }
  client = kios_kobo_source_open (record, cancellable, error);
  if (client == NULL)
    return NULL;
  if (kios_kobo_client_get_family (client) == KIOS_KOBO_FAMILY_UNKNOWN && !kios_kobo_client_initialize (client, cancellable, error))
    {
      kios_kobo_client_free (client);
      return NULL;
    }
  return kios_kobo_backend_new (record->name, client, store);
}

KiosKoboClient *
kios_kobo_backend_get_client (KiosKoboBackend *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_BACKEND (self), NULL);

  return self->client;
}
