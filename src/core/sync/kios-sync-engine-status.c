/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-engine"

#include "config.h"

#include "kios-sync-engine-private.h"

/*
 * The engine's status (kios-sync-engine-private.h): what the "status"
 * property shows, computed from the stored records of the serving source
 * and the open book and what waits in the push queue; the outcome of every
 * exchange (the sync log and the stored records); sources switched off.
 */

const char *
kios_sync_engine_protocol_of (KiosSyncBackend *backend)
{
  if (backend == NULL)
    return NULL;
  return kios_sync_protocol_to_string (kios_sync_backend_get_protocol (backend));
}

gboolean
kios_sync_engine_source_is_off (KiosSyncEngine *self,
                                const char     *source)
{
  return source != NULL && (g_strcmp0 (source, self->account_off) == 0 || g_strcmp0 (source, self->book_off) == 0);
}

/* Each reason in words, for kiosctl and the sync log (the ui has its own). */
static const char *const pending_words[] = {
  [KIOS_SYNC_PENDING_NONE] = NULL,
  [KIOS_SYNC_PENDING_SENDING] = "being sent now",
  [KIOS_SYNC_PENDING_BACKGROUND] = "waiting for the window to go to the background",
  [KIOS_SYNC_PENDING_PULL_FIRST] = "waiting for the server's position first",
  [KIOS_SYNC_PENDING_CHOICE] = "held until you choose Continue or Stay here",
  [KIOS_SYNC_PENDING_OTHER_WINDOW] = "waiting for another window's push to the same account",
  [KIOS_SYNC_PENDING_QUEUED] = "waiting to be sent",
  [KIOS_SYNC_PENDING_RETRY] = "to be sent again when the window is active",
  [KIOS_SYNC_PENDING_HELD] = "held until you choose Sync now or change the account",
};

/* Why the open book's position (or, without a book, any position) has not
 * gone out yet; NONE when nothing waits. */
static KiosSyncPendingReason
pending_reason (KiosSyncEngine *self,
                gint64         *since)
{
  Pending *pending = NULL;

  *since = 0;
  if (self->in_flight != NULL && (self->hash == NULL || g_strcmp0 (self->in_flight_hash, self->hash) == 0))
    {
      *since = self->in_flight->updated_at;
      return KIOS_SYNC_PENDING_SENDING;
    }
  if (self->hash != NULL)
    pending = g_hash_table_lookup (self->pending, self->hash);
  else if (g_hash_table_size (self->pending) > 0)
    {
      GHashTableIter iter;

      g_hash_table_iter_init (&iter, self->pending);
      g_hash_table_iter_next (&iter, NULL, (gpointer *) &pending);
    }
  if (pending != NULL)
    {
      *since = pending->position->updated_at;
      if (self->halted || (self->hash != NULL && g_hash_table_contains (self->refused, self->hash)))
        return KIOS_SYNC_PENDING_HELD;
      if (self->offline)
        return KIOS_SYNC_PENDING_RETRY;
      if (self->prompting && !self->page_turned)
        return KIOS_SYNC_PENDING_CHOICE;
      if (self->pulling)
        return KIOS_SYNC_PENDING_PULL_FIRST;
      if (self->service != NULL &&
          kios_sync_service_account_taken (self->service, self,
                                           kios_sync_backend_get_source_name (pending->backend)))
        return KIOS_SYNC_PENDING_OTHER_WINDOW;
      return KIOS_SYNC_PENDING_QUEUED;
    }
  if (self->hash != NULL && self->loaded && self->position != NULL &&
      !kios_sync_engine_same_place (self->position, self->last_pushed))
    {
      if (self->prompting && !self->page_turned)
        return KIOS_SYNC_PENDING_CHOICE;
      return KIOS_SYNC_PENDING_BACKGROUND;
    }
  return KIOS_SYNC_PENDING_NONE;
}

static KiosSyncStatus *
compute_status (KiosSyncEngine *self)
{
  KiosSyncBackend      *backend = kios_sync_engine_current_backend (self);
  const KiosSyncStatus *base;
  KiosSyncStatus       *status;
  const char           *source;
  KiosSyncPendingReason reason;
  gint64                since;

  if ((self->document != NULL && self->book_off != NULL) ||
      (backend != NULL && kios_sync_engine_source_is_off (self, kios_sync_backend_get_source_name (backend))))
    {
      gboolean    own = self->document != NULL && self->book_off != NULL;
      const char *off = own ? self->book_off : kios_sync_backend_get_source_name (backend);
      const char *protocol = own ? (self->book_status != NULL ? self->book_status->protocol : NULL)
                                 : kios_sync_engine_protocol_of (backend);

      status = kios_sync_status_new (protocol, off, self->document != NULL ? self->hash : NULL);
      status->state = KIOS_SYNC_STATUS_OFF;
      status->detail = g_strdup ("sync through this source is switched off");
      return status;
    }
  if (backend == NULL)
    {
      if (self->account_status != NULL && (self->account_off != NULL ||
                                           kios_sync_status_state_is_failure (self->account_status->state)))
        {
          status = kios_sync_status_copy (self->account_status);
          if (self->account_off != NULL)
            {
              status->state = KIOS_SYNC_STATUS_OFF;
              g_free (status->detail);
              status->detail = g_strdup ("sync through this source is switched off");
            }
          return status;
        }
      status = kios_sync_status_new (NULL, NULL, NULL);
      status->state = KIOS_SYNC_STATUS_OFF;
      return status;
    }

  source = kios_sync_backend_get_source_name (backend);
  base = self->document != NULL ? self->book_status : self->account_status;
  if (base != NULL && g_strcmp0 (base->source, source) == 0 &&
      g_strcmp0 (base->book_hash, self->document != NULL ? self->hash : NULL) == 0)
    status = kios_sync_status_copy (base);
  else
    status = kios_sync_status_new (kios_sync_engine_protocol_of (backend), source,
                                   self->document != NULL ? self->hash : NULL);
  g_free (status->protocol);
  status->protocol = g_strdup (kios_sync_engine_protocol_of (backend));
  g_free (status->server);
  status->server = g_strdup (self->server);

  reason = pending_reason (self, &since);
  status->pending_reason = reason;
  status->pending_since = reason != KIOS_SYNC_PENDING_NONE ? since : 0;
  /* A failure stays the state (with what waits); else a waiting position
   * makes it pending, with the reason in words for kiosctl and the log. */
  if (reason != KIOS_SYNC_PENDING_NONE && !kios_sync_status_state_is_failure (status->state))
    {
      status->state = KIOS_SYNC_STATUS_PENDING;
      g_free (status->detail);
      status->detail = g_strdup (pending_words[reason]);
    }
  return status;
}

void
kios_sync_engine_update_status (KiosSyncEngine *self)
{
  g_autoptr (KiosSyncStatus) status = compute_status (self);

  if (kios_sync_status_equal (status, self->status))
    return;
  kios_sync_status_free (self->status);
  self->status = g_steal_pointer (&status);
  g_object_notify (G_OBJECT (self), "status");
}

static void
store_status (KiosSyncEngine       *self,
              const KiosSyncStatus *status)
{
  kios_library_store_set_sync_status (self->store, status);
  if (self->service != NULL)
    kios_sync_service_status_recorded (self->service, self, status);
}

void
kios_sync_engine_note_remote (KiosSyncEngine *self,
                              const char     *remote_json)
{
  kios_sync_engine_set_string (&self->pulled_remote, remote_json);
}

void
kios_sync_engine_record (KiosSyncEngine  *self,
                         KiosSyncBackend *backend,
                         const char      *hash,
                         KiosBookFormat   format,
                         const char      *direction,
                         const GError    *error,
                         const char      *detail)
{
  g_autoptr (KiosSyncLogEntry) entry = NULL;
  g_autoptr (KiosSyncStatus)   book = NULL;
  g_autofree char             *server = NULL;
  const char                  *source;
  const char                  *protocol;
  KiosSyncStatusState          result;

  if (backend == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  source = kios_sync_backend_get_source_name (backend);
  protocol = kios_sync_engine_protocol_of (backend);
  server = kios_sync_backend_get_server_label (backend);
  result = error != NULL ? kios_sync_status_state_for_error (error) : KIOS_SYNC_STATUS_SYNCED;

  entry = kios_sync_log_entry_new (protocol, source, hash, direction,
                                   kios_sync_status_state_to_string (result),
                                   error != NULL ? error->message : detail);
  /* What the server keeps of this book's position, said with every entry. */
  if (hash != NULL)
    entry->precision = g_strdup (kios_sync_precision_to_string (
        kios_sync_backend_get_precision (backend, format)));
  if (g_strcmp0 (direction, "pull") == 0 && error == NULL)
    entry->remote = g_steal_pointer (&self->pulled_remote);
  g_clear_pointer (&self->pulled_remote, g_free);
  kios_library_store_add_sync_log (self->store, entry);

  /* The book's own record. */
  if (hash != NULL)
    {
      if (self->book_status != NULL && g_strcmp0 (hash, self->hash) == 0 &&
          g_strcmp0 (self->book_status->source, source) == 0)
        book = kios_sync_status_copy (self->book_status);
      else
        book = kios_sync_status_new (protocol, source, hash);
      g_free (book->protocol);
      book->protocol = g_strdup (protocol);
      kios_sync_status_apply (book, error, server);
      {
        Pending *waiting = g_hash_table_lookup (self->pending, hash);

        book->pending_since = waiting != NULL ? waiting->position->updated_at : 0;
      }
      store_status (self, book);
      if (g_strcmp0 (hash, self->hash) == 0 && backend == kios_sync_engine_current_backend (self))
        {
          kios_sync_status_free (self->book_status);
          self->book_status = g_steal_pointer (&book);
        }
    }

  /* The source as a whole: what the server said about the account. */
  if (error == NULL || kios_sync_status_error_is_source_wide (error))
    {
      g_autoptr (KiosSyncStatus) account = NULL;

      if (self->account_status != NULL && g_strcmp0 (self->account_status->source, source) == 0)
        account = kios_sync_status_copy (self->account_status);
      else
        account = kios_sync_status_new (protocol, source, NULL);
      g_free (account->protocol);
      account->protocol = g_strdup (protocol);
      kios_sync_status_apply (account, error, server);
      store_status (self, account);
      if (backend == self->backend)
        {
          kios_sync_status_free (self->account_status);
          self->account_status = g_steal_pointer (&account);
        }
    }
  kios_sync_engine_update_status (self);
}

void
kios_sync_engine_take_status (KiosSyncEngine       *self,
                              const KiosSyncStatus *status)
{
  KiosSyncStatus **slot = NULL;

  if (status->book_hash == NULL)
    {
      if (self->account_status != NULL && g_strcmp0 (self->account_status->source, status->source) == 0)
        slot = &self->account_status;
      else if (self->backend != NULL &&
               g_strcmp0 (kios_sync_backend_get_source_name (self->backend), status->source) == 0)
        slot = &self->account_status;
    }
  else if (g_strcmp0 (status->book_hash, self->hash) == 0 &&
           g_strcmp0 (kios_sync_engine_source_name (self), status->source) == 0)
    slot = &self->book_status;
  if (slot == NULL)
    return;
  kios_sync_status_free (*slot);
  *slot = kios_sync_status_copy (status);
  kios_sync_engine_update_status (self);
}

void
kios_sync_engine_set_source_enabled (KiosSyncEngine *self,
                                     const char     *source,
                                     gboolean        enabled)
{
  const char *account = self->backend != NULL ? kios_sync_backend_get_source_name (self->backend)
                                              : self->account_off;
  const char *book = self->book_backend != NULL ? kios_sync_backend_get_source_name (self->book_backend)
                                                : self->book_off;

  if (g_strcmp0 (source, account) == 0)
    kios_sync_engine_set_string (&self->account_off, enabled ? NULL : source);
  if (enabled && self->document != NULL && self->book_backend == NULL && g_strcmp0 (source, self->book_off) == 0)
    {
      /* The book opened while its own source was off: load it again so
       * that it syncs through that source, not the account. */
      g_clear_pointer (&self->book_off, g_free);
      g_cancellable_cancel (self->book_cancellable);
      g_clear_object (&self->book_cancellable);
      self->book_cancellable = g_cancellable_new ();
      self->book_serial++;
      self->pulling = FALSE;
      kios_sync_engine_start_book_work (self);
    }
  else if (g_strcmp0 (source, book) == 0)
    kios_sync_engine_set_string (&self->book_off, enabled ? NULL : source);
  if (!enabled && self->in_flight_backend != NULL &&
      g_strcmp0 (kios_sync_backend_get_source_name (self->in_flight_backend), source) == 0)
    {
      /* Traffic stops at once; the position stays pending in the store. */
      g_cancellable_cancel (self->push_cancellable);
      g_clear_object (&self->push_cancellable);
    }
  if (!enabled && g_strcmp0 (source, kios_sync_engine_source_name (self)) == 0 &&
      self->book_cancellable != NULL && self->pulling)
    {
      g_cancellable_cancel (self->book_cancellable);
      g_clear_object (&self->book_cancellable);
      self->book_cancellable = g_cancellable_new ();
      self->book_serial++;
      self->pulling = FALSE;
    }
  if (enabled)
    kios_sync_engine_kick (self);
  kios_sync_engine_update_state (self);
}
