/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-bridge"

#include "config.h"

#include "kios-sync-bridge.h"

#include "kios-kobo-backend.h"
#include "kios-kosync-backend.h"
#include "kios-origin.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-settings.h"
#include "kios-sync-source.h"
#include "kios-sync-status.h"

/* A partner's server is "ahead" past this much of the book (a rounding
 * margin: the servers keep percentages to 4 decimals or whole percents). */
#define AHEAD_MARGIN 0.0005

struct _KiosSyncBridge
{
  GObject parent_instance;

  KiosLibraryStore *store;
  GPtrArray        *members;      /* primary first */
  gboolean          record_pulls; /* the engine's: partners' pulls go to the log */
  GMutex            lock;         /* chosen: the engine sets it, push workers read it */
  GHashTable       *chosen;       /* book hashes whose local position the person chose */
};

static void kios_sync_bridge_iface_init (KiosSyncBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosSyncBridge, kios_sync_bridge, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (KIOS_TYPE_SYNC_BACKEND, kios_sync_bridge_iface_init))

KiosSyncBackend *
kios_sync_bridge_get_primary (KiosSyncBridge *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BRIDGE (self), NULL);

  return self->members->pdata[0];
}

GPtrArray *
kios_sync_bridge_get_members (KiosSyncBridge *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BRIDGE (self), NULL);

  return self->members;
}

/* ---- the backend: the primary's name, every member's traffic ------------ */

static const char *
bridge_get_source_name (KiosSyncBackend *backend)
{
  return kios_sync_backend_get_source_name (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)));
}

static char *
bridge_get_server_label (KiosSyncBackend *backend)
{
  return kios_sync_backend_get_server_label (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)));
}

static KiosSyncProtocol
bridge_get_protocol (KiosSyncBackend *backend)
{
  return kios_sync_backend_get_protocol (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)));
}

static KiosSyncPrecision
bridge_get_precision (KiosSyncBackend *backend,
                      KiosBookFormat   format)
{
  return kios_sync_backend_get_precision (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)), format);
}

static KiosSyncRemote *
bridge_pull_remote (KiosSyncBackend *backend,
                    const char      *book_hash,
                    KiosBookFormat   format,
                    GCancellable    *cancellable,
                    GError         **error)
{
  return kios_sync_backend_pull_remote (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)), book_hash, format,
                                        cancellable, error);
}

/* A partner's exchange, in the book's sync log and status as the engine
 * records the primary's. position: what was pushed (a push), remote_json:
 * what the server said (a pull), both nullable. */
static void
record_partner (KiosSyncBridge     *self,
                KiosSyncBackend    *partner,
                const char         *book_hash,
                KiosBookFormat      format,
                const char         *direction,
                const KiosPosition *position,
                const char         *remote_json,
                const GError       *error,
                const char         *detail)
{
  const char                  *source = kios_sync_backend_get_source_name (partner);
  g_autoptr (KiosSyncLogEntry) entry = NULL;
  g_autoptr (KiosSyncStatus)   status = NULL;
  g_autofree char             *server = kios_sync_backend_get_server_label (partner);

  if (self->store == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  entry = kios_sync_log_entry_new (kios_sync_protocol_to_string (kios_sync_backend_get_protocol (partner)), source,
                                   book_hash, direction,
                                   kios_sync_status_state_to_string (error != NULL ? kios_sync_status_state_for_error (error)
                                                                                   : KIOS_SYNC_STATUS_SYNCED),
                                   detail != NULL ? detail : error != NULL ? error->message
                                                                           : NULL);
  entry->precision = g_strdup (kios_sync_precision_to_string (kios_sync_backend_get_precision (partner, format)));
  entry->remote = g_strdup (remote_json);
  kios_library_store_add_sync_log (self->store, entry);

  status = kios_library_store_get_sync_status (self->store, source, book_hash, NULL);
  if (status == NULL)
    status = kios_sync_status_new (entry->protocol, source, book_hash);
  kios_sync_status_apply (status, error, server);
  kios_library_store_set_sync_status (self->store, status);
  if (error == NULL && position != NULL)
    kios_library_store_set_last_pushed (self->store, book_hash, source, position);
  if (error == NULL && remote_json != NULL)
    kios_library_store_set_last_remote (self->store, book_hash, source, remote_json);
}

void
kios_sync_bridge_set_record_pulls (KiosSyncBridge *self,
                                   gboolean        record)
{
  g_return_if_fail (KIOS_IS_SYNC_BRIDGE (self));

  self->record_pulls = record;
}

static gboolean
bridge_push_blocking (KiosSyncBackend    *backend,
                      const char         *book_hash,
                      const KiosPosition *position,
                      GCancellable       *cancellable,
                      GError            **error)
{
  KiosSyncBridge *self = KIOS_SYNC_BRIDGE (backend);
  gboolean        chosen;

  /* The primary's outcome is the push's (the engine records it). */
  if (!kios_sync_bridge_push_member (kios_sync_bridge_get_primary (self), book_hash, position, NULL, cancellable,
                                     error))
    return FALSE;
  /* "Stay here" was the person's choice: this push may go over positions
   * further on, once. */
  g_mutex_lock (&self->lock);
  chosen = g_hash_table_remove (self->chosen, book_hash);
  g_mutex_unlock (&self->lock);
  for (guint i = 1; i < self->members->len; i++)
    {
      KiosSyncBackend   *partner = self->members->pdata[i];
      g_autoptr (GError) partner_error = NULL;
      g_autofree char   *detail = NULL;

      if (!chosen && !kios_sync_bridge_may_push (partner, book_hash, position, &detail, cancellable, &partner_error))
        {
          /* Kept (the server is ahead), or could not ask: the push would
           * be blind, so it waits. */
          record_partner (self, partner, book_hash, position->format, "push", NULL, NULL, partner_error,
                          partner_error == NULL ? detail : NULL);
          continue;
        }
      if (!kios_sync_bridge_push_member (partner, book_hash, position, &detail, cancellable, &partner_error))
        record_partner (self, partner, book_hash, position->format, "push", NULL, NULL, partner_error, NULL);
      else
        record_partner (self, partner, book_hash, position->format, "push", position, NULL, NULL,
                        detail != NULL ? detail : "bridged");
    }
  return TRUE;
}

static void
bridge_pull_async (KiosSyncBackend    *backend,
                   const char         *book_hash,
                   KiosBookFormat      format,
                   GCancellable       *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer            user_data)
{
  kios_sync_backend_pull_async (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)), book_hash, format,
                                cancellable, callback, user_data);
}

static KiosPosition *
bridge_pull_finish (KiosSyncBackend *backend,
                    GAsyncResult    *result,
                    GError         **error)
{
  return kios_sync_backend_pull_finish (kios_sync_bridge_get_primary (KIOS_SYNC_BRIDGE (backend)), result, error);
}

static void
kios_sync_bridge_iface_init (KiosSyncBackendInterface *iface)
{
  iface->get_source_name = bridge_get_source_name;
  iface->get_server_label = bridge_get_server_label;
  iface->get_protocol = bridge_get_protocol;
  iface->get_precision = bridge_get_precision;
  iface->pull_remote = bridge_pull_remote;
  iface->push_sync = bridge_push_blocking;
  iface->pull_async = bridge_pull_async;
  iface->pull_finish = bridge_pull_finish;
}

static void
kios_sync_bridge_finalize (GObject *object)
{
  KiosSyncBridge *self = KIOS_SYNC_BRIDGE (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->members, g_ptr_array_unref);
  g_clear_pointer (&self->chosen, g_hash_table_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (kios_sync_bridge_parent_class)->finalize (object);
}

static void
kios_sync_bridge_class_init (KiosSyncBridgeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_sync_bridge_finalize;
}

static void
kios_sync_bridge_init (KiosSyncBridge *self)
{
  self->members = g_ptr_array_new_with_free_func (g_object_unref);
  self->chosen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->lock);
}

void
kios_sync_bridge_keep_local (KiosSyncBridge *self,
                             const char     *book_hash)
{
  g_return_if_fail (KIOS_IS_SYNC_BRIDGE (self));
  g_return_if_fail (book_hash != NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_add (self->chosen, g_strdup (book_hash));
  g_mutex_unlock (&self->lock);
}

KiosSyncBridge *
kios_sync_bridge_new (KiosLibraryStore *store,
                      KiosSyncBackend  *primary)
{
  KiosSyncBridge *self;

  g_return_val_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (primary) && !KIOS_IS_SYNC_BRIDGE (primary), NULL);

  self = g_object_new (KIOS_TYPE_SYNC_BRIDGE, NULL);
  self->store = store != NULL ? g_object_ref (store) : NULL;
  g_ptr_array_add (self->members, g_object_ref (primary));
  return self;
}

void
kios_sync_bridge_add_partner (KiosSyncBridge  *self,
                              KiosSyncBackend *partner)
{
  g_return_if_fail (KIOS_IS_SYNC_BRIDGE (self));
  g_return_if_fail (KIOS_IS_SYNC_BACKEND (partner) && !KIOS_IS_SYNC_BRIDGE (partner));

  g_ptr_array_add (self->members, g_object_ref (partner));
}

/* ---- which books are bridged --------------------------------------------- */

gboolean
kios_sync_bridge_applies (const KiosSourceRecord *own,
                          const char             *own_url,
                          const KiosSourceRecord *kosync,
                          const char             *kosync_url)
{
  if (own == NULL || kosync == NULL || g_strcmp0 (kosync->kind, "kosync") != 0 ||
      g_strcmp0 (own->kind, "kosync") == 0)
    return FALSE;
  if (!kios_source_record_get_enabled (kosync))
    return FALSE;
  if (kios_source_record_get_bridge (kosync))
    return TRUE;
  return kios_source_record_get_bridge (own) && kios_origin_same (own_url, kosync_url);
}

static char *
full_url (const KiosSourceRecord *record,
          GCancellable           *cancellable)
{
  g_autoptr (GError) error = NULL;
  char              *url = NULL;

  if (record->url != NULL)
    return g_strdup (record->url);
  if (!kios_sync_source_load (record, &url, NULL, NULL, cancellable, &error))
    g_debug ("the URL of “%s” is out of reach: %s", record->name, error->message);
  return url;
}

KiosSyncBackend *
kios_sync_bridge_wrap_for_book (KiosLibraryStore *store,
                                const char       *book_hash,
                                const char       *book_path,
                                KiosSyncBackend  *own,
                                GCancellable     *cancellable)
{
  g_autoptr (KiosSourceRecord)  own_record = NULL;
  g_autoptr (KiosSourceRecord)  kosync = NULL;
  g_autoptr (KiosKosyncBackend) partner = NULL;
  g_autoptr (GError)            error = NULL;
  g_autofree char              *own_url = NULL;
  g_autofree char              *kosync_url = NULL;
  KiosSyncBridge               *bridge;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);

  if (own == NULL)
    return NULL;
  own_record = kios_library_store_get_source (store, kios_sync_backend_get_source_name (own), NULL);
  kosync = kios_sync_source_find_kosync (store, NULL);
  if (own_record == NULL || kosync == NULL)
    return g_object_ref (own);
  /* The origins decide only when the book's source asks for bridging. */
  if (!kios_source_record_get_bridge (kosync) && kios_source_record_get_bridge (own_record))
    {
      own_url = full_url (own_record, cancellable);
      kosync_url = full_url (kosync, cancellable);
    }
  if (!kios_sync_bridge_applies (own_record, own_url, kosync, kosync_url))
    return g_object_ref (own);

  partner = kios_kosync_backend_open (kosync, store, cancellable, &error);
  if (partner == NULL)
    {
      g_autofree char *safe = kios_redact_text (error->message);

      g_debug ("bridging left out “%s”: %s", kosync->name, safe);
      return g_object_ref (own);
    }
  if (book_path != NULL)
    kios_kosync_backend_set_book_path (partner, book_hash, book_path);
  bridge = kios_sync_bridge_new (store, own);
  kios_sync_bridge_add_partner (bridge, KIOS_SYNC_BACKEND (partner));
  return KIOS_SYNC_BACKEND (bridge);
}

/* ---- one member's push, in its own form ---------------------------------- */

gboolean
kios_sync_bridge_push_member (KiosSyncBackend    *backend,
                              const char         *book_hash,
                              const KiosPosition *position,
                              char              **detail,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (backend), FALSE);
  g_return_val_if_fail (book_hash != NULL && position != NULL, FALSE);

  if (KIOS_IS_KOBO_BACKEND (backend))
    return kios_kobo_backend_push_sync (KIOS_KOBO_BACKEND (backend), book_hash, position, NULL, cancellable, error);
  if (KIOS_IS_READIUM_BACKEND (backend))
    {
      KiosReadiumPutResult result = KIOS_READIUM_PUT_STORED;

      if (!kios_readium_backend_push_sync (KIOS_READIUM_BACKEND (backend), position, &result, cancellable, error))
        return FALSE;
      if (detail != NULL && result != KIOS_READIUM_PUT_STORED)
        *detail = g_strdup (result == KIOS_READIUM_PUT_NOT_NEWER ? "409: the server keeps a position at least as new"
                                                                 : "the server's progression is read-only");
      return TRUE;
    }
  if (KIOS_IS_KOSYNC_BACKEND (backend))
    return kios_kosync_backend_push_sync (KIOS_KOSYNC_BACKEND (backend), book_hash, position, cancellable, error);
  g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED, "This sync protocol cannot be bridged");
  return FALSE;
}

gboolean
kios_sync_bridge_may_push (KiosSyncBackend    *backend,
                           const char         *book_hash,
                           const KiosPosition *position,
                           char              **why,
                           GCancellable       *cancellable,
                           GError            **error)
{
  g_autoptr (KiosSyncRemote) raw = NULL;
  g_autoptr (KiosPosition)   remote = NULL;
  GError                    *local_error = NULL;

  raw = kios_sync_backend_pull_remote (backend, book_hash, position->format, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (raw == NULL)
    return TRUE;
  remote = kios_sync_normalize_remote (raw, position->format);
  if (remote->total_progress > position->total_progress + AHEAD_MARGIN &&
      remote->updated_at > position->updated_at)
    {
      if (why != NULL)
        *why = g_strdup_printf ("kept: the server holds a newer position further on (%.2f %% against %.2f %%)",
                                remote->total_progress * 100, position->total_progress * 100);
      return FALSE;
    }
  return TRUE;
}

/* ---- pull: every member, the furthest ahead wins ------------------------- */

static gboolean
is_ahead (const KiosSyncOutcome *outcome)
{
  return outcome->target != NULL &&
         (outcome->decision == KIOS_SYNC_DECISION_PROMPT || outcome->decision == KIOS_SYNC_DECISION_APPLY_SILENTLY);
}

static gboolean
further (const KiosPosition *a,
         const KiosPosition *b)
{
  if (a->chapter != b->chapter && a->chapter >= 0 && b->chapter >= 0)
    return a->chapter > b->chapter;
  if (a->total_progress != b->total_progress)
    return a->total_progress > b->total_progress;
  return a->offset > b->offset;
}

guint
kios_sync_bridge_choose (GPtrArray *outcomes)
{
  int best = -1;

  g_return_val_if_fail (outcomes != NULL && outcomes->len > 0, 0);

  for (guint i = 0; i < outcomes->len; i++)
    {
      KiosSyncOutcome *o = outcomes->pdata[i];

      if (is_ahead (o) && (best < 0 || further (o->target, ((KiosSyncOutcome *) outcomes->pdata[best])->target)))
        best = (int) i;
    }
  if (best >= 0)
    return (guint) best;
  /* Nothing ahead: the primary speaks (behind, none), unless it has
   * nothing and a partner has something to show. */
  if (((KiosSyncOutcome *) outcomes->pdata[0])->raw != NULL)
    return 0;
  for (guint i = 1; i < outcomes->len; i++)
    if (((KiosSyncOutcome *) outcomes->pdata[i])->raw != NULL)
      return i;
  return 0;
}

KiosSyncOutcome *
kios_sync_bridge_run (KiosSyncBridge                *self,
                      KiosDocument                  *document,
                      const char                    *book_hash,
                      const KiosPosition            *local,
                      const KiosSyncPipelineOptions *opts,
                      GCancellable                  *cancellable,
                      GError                       **error)
{
  g_autoptr (GPtrArray) outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_sync_outcome_free);
  g_autoptr (GError)    first_error = NULL;
  KiosSyncOutcome      *result;
  guint                 n_failed = 0;
  guint                 chosen;

  g_return_val_if_fail (KIOS_IS_SYNC_BRIDGE (self), NULL);

  for (guint i = 0; i < self->members->len; i++)
    {
      KiosSyncBackend   *member = self->members->pdata[i];
      g_autoptr (GError) member_error = NULL;
      KiosSyncOutcome   *outcome;

      outcome = kios_sync_pipeline_run (member, document, book_hash, local, opts, cancellable, &member_error);
      if (g_error_matches (member_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&member_error));
          return NULL;
        }
      if (outcome == NULL)
        {
          /* A member that failed is listed, with why; it decides nothing. */
          g_autofree char *safe = kios_redact_text (member_error->message);

          outcome = g_new0 (KiosSyncOutcome, 1);
          outcome->protocol = kios_sync_backend_get_protocol (member);
          outcome->source = g_strdup (kios_sync_backend_get_source_name (member));
          outcome->precision = kios_sync_backend_get_precision (member, kios_document_get_format (document));
          outcome->decision = KIOS_SYNC_DECISION_NONE;
          outcome->reason = g_strdup_printf ("the pull failed: %s", safe);
          n_failed++;
          if (first_error == NULL)
            first_error = g_error_copy (member_error);
        }
      /* The engine records the primary's pull; the partners' are here. */
      if (i > 0 && self->record_pulls)
        {
          g_autofree char *json = NULL;

          if (outcome->remote != NULL)
            {
              g_autoptr (JsonNode) node = kios_position_to_json (outcome->remote);

              json = json_to_string (node, FALSE);
            }
          record_partner (self, member, book_hash, kios_document_get_format (document), "pull", NULL, json,
                          member_error, outcome->raw == NULL && member_error == NULL ? "The server has no position for this book yet" : outcome->reason);
        }
      g_ptr_array_add (outcomes, outcome);
    }
  if (n_failed == outcomes->len)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return NULL;
    }

  chosen = kios_sync_bridge_choose (outcomes);
  result = kios_sync_outcome_copy (outcomes->pdata[chosen]);
  if (outcomes->len > 1)
    {
      g_autofree char *reason = result->reason;

      result->reason = g_strdup_printf ("%s (%s of %u protocols: %s “%s”)", reason,
                                        is_ahead (result) ? "the furthest ahead" : "chosen",
                                        outcomes->len, kios_sync_protocol_to_string (result->protocol),
                                        result->source);
    }
  result->remotes = g_steal_pointer (&outcomes);
  return result;
}
