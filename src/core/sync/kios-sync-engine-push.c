/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-engine"

#include "config.h"

#include "kios-sync-engine-private.h"

#include "kios-kobo-backend.h"
#include "kios-kosync-backend.h"
#include "kios-paths.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

void
kios_sync_engine_pending_free (Pending *pending)
{
  kios_position_free (pending->position);
  g_clear_object (&pending->backend);
  g_free (pending);
}

Pending *
kios_sync_engine_pending_new (const KiosPosition *position,
                              KiosSyncBackend    *backend)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->position = kios_position_copy (position);
  pending->backend = g_object_ref (backend);
  return pending;
}

/* Pushes are serialized per account across the engines of one service (one
 * per window); an engine of its own only has itself to wait for. */
static gboolean
account_taken_by_other (KiosSyncEngine *self,
                        const char     *source)
{
  return self->service != NULL && kios_sync_service_account_taken (self->service, self, source);
}

static void
take_account (KiosSyncEngine *self,
              const char     *source)
{
  if (self->service != NULL)
    kios_sync_service_take_account (self->service, self, source);
}

/* The account is free again: the service wakes the other engines. */
static void
release_account (KiosSyncEngine *self,
                 const char     *source)
{
  if (self->service != NULL)
    kios_sync_service_release_account (self->service, self, source);
}

/* ---- pushing ------------------------------------------------------------- */

/* Queues position as the book's newest unsent position: in the store first,
 * so it survives a crash or a quit, then in memory. */
static void
queue_push (KiosSyncEngine     *self,
            const char         *hash,
            const KiosPosition *position)
{
  Pending         *queued = g_hash_table_lookup (self->pending, hash);
  KiosSyncBackend *backend = kios_sync_engine_current_backend (self);

  if (queued != NULL && queued->backend == backend && kios_sync_engine_same_place (queued->position, position))
    return;
  if (queued == NULL && self->in_flight != NULL && g_strcmp0 (self->in_flight_hash, hash) == 0 &&
      kios_sync_engine_same_place (self->in_flight, position))
    return;

  kios_library_store_set_pending_push (self->store, hash, kios_sync_engine_source_name (self), position);
  g_hash_table_replace (self->pending, g_strdup (hash), kios_sync_engine_pending_new (position, backend));
  kios_sync_engine_update_state (self);
}

/* Pushes the open book's position when it moved since the last successful push. */
void
kios_sync_engine_push_current (KiosSyncEngine *self)
{
  if (self->hash == NULL || self->position == NULL)
    return;
  if (!self->loaded)
    {
      self->push_requested = TRUE;
      return;
    }
  /* The reader has not chosen between this position and a further remote
   * one yet: a stale position must not overwrite the newer one. */
  if (self->prompting && !self->page_turned)
    return;
  /* No backend, or the book's own source is switched off (its position
   * must not go to the account instead). */
  if (kios_sync_engine_current_backend (self) == NULL || self->book_off != NULL)
    return;
  /* Unchanged since the last successful push and nothing queued: nothing to say. */
  if (kios_sync_engine_same_place (self->position, self->last_pushed) &&
      !g_hash_table_contains (self->pending, self->hash))
    return;
  queue_push (self, self->hash, self->position);
}

static void
push_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KiosSyncEngine)  self = user_data;
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosPosition)    pushed = NULL;
  g_autofree char            *hash = NULL;
  g_autoptr (KiosSyncBackend) backend = NULL;
  const char                 *source_label;
  Pending                    *newer;

  kios_sync_backend_push_finish (KIOS_SYNC_BACKEND (source), result, &error);

  hash = g_steal_pointer (&self->in_flight_hash);
  pushed = g_steal_pointer (&self->in_flight);
  backend = g_steal_pointer (&self->in_flight_backend);
  /* The sync state belongs to the account the push went to. */
  source_label = kios_sync_backend_get_source_name (backend);
  release_account (self, source_label);

  if (error != NULL)
    {
      /* The push stays pending in the store; in memory too, unless a newer
       * position replaced it meanwhile. */
      if (!g_hash_table_contains (self->pending, hash))
        g_hash_table_insert (self->pending, g_strdup (hash), kios_sync_engine_pending_new (pushed, backend));
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          kios_sync_engine_update_state (self);
          return;
        }
      kios_sync_engine_record (self, backend, hash, pushed->format, "push", error, NULL);
      kios_sync_engine_handle_failure (self, hash, "push-failed", error);
      return;
    }

  kios_library_store_clear_pending_push (self->store, hash, source_label, pushed->updated_at);
  kios_library_store_set_last_pushed (self->store, hash, source_label, pushed);
  newer = g_hash_table_lookup (self->pending, hash);
  if (newer != NULL && newer->backend == backend)
    {
      /* clear_pending_push compares whole seconds: a newer position queued
       * within the same second may just have been cleared, so write it again
       * (the store applies writes in order). */
      kios_library_store_set_pending_push (self->store, hash, source_label, newer->position);
    }
  if (g_strcmp0 (hash, self->hash) == 0 && backend == kios_sync_engine_current_backend (self))
    {
      kios_position_free (self->last_pushed);
      self->last_pushed = kios_position_copy (pushed);
    }

  g_hash_table_remove (self->refused, hash);
  self->offline = FALSE;
  g_clear_pointer (&self->failing_reason, g_free);
  kios_sync_engine_record (self, backend, hash, pushed->format, "push", NULL, "Position sent");
  kios_sync_engine_set_result (self, hash, "push", "Position sent");
  kios_sync_engine_update_state (self);
  kios_sync_engine_kick (self);
}

/* Sends the next pending position, one request at a time. */
void
kios_sync_engine_kick (KiosSyncEngine *self)
{
  GHashTableIter iter;
  gpointer       key, value;

  if (self->in_flight != NULL || self->halted || self->offline)
    return;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Pending *pending = value;

      if (g_hash_table_contains (self->refused, key))
        continue;
      /* Switched off: it stays pending in the store until it is back on. */
      if (kios_sync_engine_source_is_off (self, kios_sync_backend_get_source_name (pending->backend)))
        continue;
      /* One request at a time per account, across every window. */
      if (account_taken_by_other (self, kios_sync_backend_get_source_name (pending->backend)))
        continue;
      /* Pull before the first push: the server may hold a newer position. */
      if ((self->pulling || (self->prompting && !self->page_turned)) &&
          g_strcmp0 (key, self->hash) == 0)
        {
          self->push_deferred = TRUE;
          continue;
        }
      self->in_flight_hash = g_strdup (key);
      self->in_flight = kios_position_copy (pending->position);
      self->in_flight_backend = g_object_ref (pending->backend);
      g_hash_table_iter_remove (&iter);
      break;
    }
  if (self->in_flight == NULL)
    return;

  g_debug ("pushing chapter %d offset %" G_GINT64_FORMAT, self->in_flight->chapter,
           self->in_flight->offset);
  if (self->push_cancellable == NULL)
    self->push_cancellable = g_cancellable_new ();
  take_account (self, kios_sync_backend_get_source_name (self->in_flight_backend));
  kios_sync_backend_push_async (self->in_flight_backend, self->in_flight_hash, self->in_flight,
                                self->push_cancellable, push_cb, g_object_ref (self));
  kios_sync_engine_update_state (self);
}

/* The engine goes (or stops): the account it held is free for the others. */
void
kios_sync_engine_release_accounts (KiosSyncEngine *self)
{
  if (self->in_flight_backend != NULL)
    release_account (self, kios_sync_backend_get_source_name (self->in_flight_backend));
}
