/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-engine"

#include "config.h"

#include "kios-sync-engine-private.h"

#include "kios-kobo-backend.h"
#include "kios-kosync-backend.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-bridge.h"
#include "kios-sync-error.h"
#include "kios-sync-pipeline.h"
#include "kios-sync-source.h"

static void
load_result_free (LoadResult *result)
{
  g_clear_object (&result->book_backend);
  g_free (result->off_source);
  kios_sync_status_free (result->status);
  kios_position_free (result->last_pushed);
  kios_position_free (result->pending);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadResult, load_result_free)

/* ---- pulling ------------------------------------------------------------- */

/* The open book's pull has answered (or failed): pushes for it may go. */
static void
pull_finished (KiosSyncEngine *self)
{
  self->pulling = FALSE;
  /* Only a push that was held back for the pull goes now; the rest wait
   * for their trigger (activate, deactivate, close). */
  if (self->push_deferred)
    {
      self->push_deferred = FALSE;
      kios_sync_engine_kick (self);
    }
}

/* The pipeline has answered for the open book: act on its decision. */
static void
pull_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KiosSyncEngine)  self = user_data;
  g_autoptr (KiosSyncOutcome) outcome = NULL;
  g_autoptr (GError)          error = NULL;
  KiosSyncDecision            decision;

  self->n_loading--;
  outcome = kios_sync_pipeline_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      KIOS_SYNC_BACKEND (source) != kios_sync_engine_current_backend (self) || self->document == NULL)
    {
      kios_sync_engine_update_state (self);
      return;
    }
  if (outcome == NULL)
    {
      kios_sync_engine_handle_failure (self, self->hash, "pull-failed", error);
      pull_finished (self);
      return;
    }

  /* A pull that worked means the server is reachable and the account good. */
  self->offline = FALSE;
  if (!g_hash_table_contains (self->refused, self->hash))
    g_clear_pointer (&self->failing_reason, g_free);

  if (outcome->remote == NULL)
    {
      kios_sync_engine_set_result (self, self->hash, "pull", "The server has no position for this book yet");
      kios_sync_engine_update_state (self);
      pull_finished (self);
      return;
    }
  {
    g_autoptr (JsonNode) node = kios_position_to_json (outcome->remote);
    g_autofree char     *json = json_to_string (node, FALSE);

    kios_library_store_set_last_remote (self->store, self->hash, outcome->source, json);
    kios_sync_engine_note_remote (self, json);
  }

  /* Going there makes it this device's position, as of now. */
  if (outcome->target != NULL)
    outcome->target->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  decision = outcome->decision;
  if (outcome->target != NULL && decision != KIOS_SYNC_DECISION_NONE &&
      (decision != KIOS_SYNC_DECISION_IGNORE_BEHIND || !kios_sync_engine_same_place (outcome->target, self->position)))
    {
      kios_sync_engine_set_remote (self, outcome->target, outcome->title);
      /* Which protocol a bridged book's remote came over, for the banner. */
      self->remote_protocol = outcome->remotes != NULL && outcome->remotes->len > 1 ? (int) outcome->protocol : -1;
    }

  /* The reader moved on before the answer came: no banner, no jump. */
  if (self->page_turned &&
      (decision == KIOS_SYNC_DECISION_PROMPT || decision == KIOS_SYNC_DECISION_APPLY_SILENTLY))
    {
      g_free (outcome->reason);
      outcome->reason = g_strdup ("a page was turned before the answer arrived; the remote "
                                  "position stays reachable from the sync menu");
      decision = KIOS_SYNC_DECISION_NONE;
    }

  g_debug ("decision %s: %s", kios_sync_decision_to_string (decision), outcome->reason);
  kios_sync_engine_set_result (self, self->hash, "pull", outcome->reason);
  kios_sync_engine_update_state (self);
  kios_sync_engine_emit_decided (self, decision, outcome->reason);

  if (decision == KIOS_SYNC_DECISION_PROMPT)
    {
      Pending *queued = g_hash_table_lookup (self->pending, self->hash);

      /* Whatever was queued for this book before the answer is the position
       * the reader has not chosen yet: it must not overwrite the newer one. */
      if (queued != NULL)
        {
          kios_library_store_clear_pending_push (self->store, self->hash,
                                                 kios_sync_backend_get_source_name (queued->backend),
                                                 queued->position->updated_at);
          g_hash_table_remove (self->pending, self->hash);
        }
      self->prompting = TRUE;
      self->pulling = FALSE;
      kios_sync_engine_update_state (self);
      kios_sync_engine_emit_prompt (self, outcome->title);
    }
  else if (decision == KIOS_SYNC_DECISION_APPLY_SILENTLY)
    {
      g_autoptr (KiosPosition) target = kios_position_copy (outcome->target);

      kios_sync_engine_set_remote (self, NULL, NULL);
      kios_sync_engine_set_position (self, target, FALSE);
      kios_sync_engine_emit_jump (self, target);
    }
  if (decision != KIOS_SYNC_DECISION_PROMPT)
    pull_finished (self);
}

/* Pull → normalise → resolve → decide for the open book, at the reader's
 * layout, in a worker (kios-sync-pipeline.h). */
void
kios_sync_engine_start_pull (KiosSyncEngine *self)
{
  KiosSyncPipelineOptions opts;

  if (kios_sync_engine_current_backend (self) == NULL || self->document == NULL || self->halted ||
      self->book_off != NULL || kios_sync_engine_source_is_off (self, kios_sync_engine_source_name (self)))
    return;

  kios_sync_pipeline_options_init (&opts);
  self->n_loading++;
  self->pulling = TRUE;
  kios_sync_pipeline_run_async (kios_sync_engine_current_backend (self), self->document, self->hash,
                                self->position, &opts, self->book_cancellable, pull_cb, g_object_ref (self));
  kios_sync_engine_update_state (self);
}

/* ---- loading the book's sync state --------------------------------------- */

typedef struct
{
  KiosLibraryStore       *store;
  char                   *hash;
  char                   *global_source; /* the KOReader sync account's name, or NULL */
  KiosSyncBookBackendFunc book_backend_func;
  gpointer                book_backend_data;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->store);
  g_free (data->hash);
  g_free (data->global_source);
  g_free (data);
}

/* own (transfer full), or a bridge over it when bridging applies to the book. */
static KiosSyncBackend *
bridged (KiosLibraryStore *store,
         const char       *hash,
         KiosSyncBackend  *own,
         GCancellable     *cancellable)
{
  g_autoptr (KiosSyncBackend) owned = own;
  g_autoptr (KiosBookRecord)  book = kios_library_store_get_book (store, hash, NULL);

  KiosSyncBackend *backend;

  backend = kios_sync_bridge_wrap_for_book (store, hash, book != NULL ? book->path : NULL, own, cancellable);
  if (KIOS_IS_SYNC_BRIDGE (backend))
    kios_sync_bridge_set_record_pulls (KIOS_SYNC_BRIDGE (backend), TRUE);
  return backend;
}

/* The book's own protocol, when it has one (blocking: store and keyring):
 * a book downloaded from a Kobo sync source syncs over Kobo, one from an
 * OPDS catalog with a progression link over Readium; NULL = the global
 * KOReader sync account. A source whose secrets cannot be read falls back
 * to the global account (said in the debug log). */
KiosSyncBackend *
kios_sync_engine_backend_for_book (KiosLibraryStore *store,
                                   const char       *hash,
                                   GCancellable     *cancellable,
                                   gpointer          user_data)
{
  g_autoptr (GError)  error = NULL;
  KiosKoboBackend    *kobo;
  KiosReadiumBackend *readium;

  kobo = kios_kobo_backend_open_for_book (store, hash, cancellable, &error);
  if (kobo != NULL)
    return bridged (store, hash, KIOS_SYNC_BACKEND (kobo), cancellable);
  if (error != NULL)
    {
      g_autofree char *safe = kios_redact_text (error->message);

      g_debug ("no Kobo backend for this book: %s", safe);
      g_clear_error (&error);
    }

  readium = kios_readium_backend_new_for_book (store, hash, cancellable, &error);
  if (error != NULL)
    {
      g_autofree char *safe = kios_redact_text (error->message);

      g_debug ("no progression backend for this book: %s", safe);
    }
  return readium != NULL ? bridged (store, hash, KIOS_SYNC_BACKEND (readium), cancellable) : NULL;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData   *data = task_data;
  LoadResult *result = g_new0 (LoadResult, 1);
  const char *source;

  result->book_backend = data->book_backend_func (data->store, data->hash, cancellable,
                                                  data->book_backend_data);
  if (result->book_backend != NULL)
    {
      const char                  *own = kios_sync_backend_get_source_name (result->book_backend);
      g_autoptr (KiosSourceRecord) record = kios_library_store_get_source (data->store, own, NULL);

      /* The book's own source is switched off: no traffic for the book. */
      if (record != NULL && !kios_source_record_get_enabled (record))
        {
          result->off_source = g_strdup (own);
          result->status = kios_sync_status_new (kios_sync_engine_protocol_of (result->book_backend),
                                                 own, data->hash);
          result->status->state = KIOS_SYNC_STATUS_OFF;
          g_clear_object (&result->book_backend);
          g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
          return;
        }
    }
  source = result->book_backend != NULL ? kios_sync_backend_get_source_name (result->book_backend)
                                        : data->global_source;
  if (source != NULL)
    {
      result->status = kios_library_store_get_sync_status (data->store, source, data->hash, NULL);
      result->last_pushed = kios_library_store_get_last_pushed (data->store, data->hash, source, NULL);
      result->pending = kios_library_store_get_pending_push (data->store, data->hash, source, NULL);
    }
  g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
}

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KiosSyncEngine        *self = KIOS_SYNC_ENGINE (source);
  g_autoptr (LoadResult) loaded = NULL;
  guint                  serial = GPOINTER_TO_UINT (user_data);

  self->n_loading--;
  loaded = g_task_propagate_pointer (G_TASK (result), NULL);
  if (loaded == NULL || serial != self->book_serial)
    {
      kios_sync_engine_update_state (self);
      return;
    }

  self->loaded = TRUE;
  g_set_object (&self->book_backend, loaded->book_backend);
  g_free (self->book_off);
  self->book_off = g_steal_pointer (&loaded->off_source);
  kios_sync_status_free (self->book_status);
  self->book_status = g_steal_pointer (&loaded->status);
  kios_sync_engine_update_server (self);
  g_clear_pointer (&self->last_pushed, kios_position_free);
  self->last_pushed = g_steal_pointer (&loaded->last_pushed);
  /* A push left over from an earlier session (or a quit that timed out). */
  if (loaded->pending != NULL && kios_sync_engine_current_backend (self) != NULL &&
      !g_hash_table_contains (self->pending, self->hash) &&
      !(self->in_flight != NULL && g_strcmp0 (self->in_flight_hash, self->hash) == 0))
    g_hash_table_insert (self->pending, g_strdup (self->hash),
                         kios_sync_engine_pending_new (loaded->pending, kios_sync_engine_current_backend (self)));

  /* Now that it is known which account serves the book: ask it. */
  kios_sync_engine_start_pull (self);

  if (self->push_requested)
    {
      self->push_requested = FALSE;
      kios_sync_engine_push_current (self);
      kios_sync_engine_kick (self);
    }
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_start_book_work (KiosSyncEngine *self)
{
  g_autoptr (GTask) task = NULL;
  LoadData         *data;

  if (self->document == NULL)
    return;

  data = g_new0 (LoadData, 1);
  data->store = g_object_ref (self->store);
  data->hash = g_strdup (self->hash);
  data->global_source = self->backend != NULL ? g_strdup (kios_sync_backend_get_source_name (self->backend))
                                              : NULL;
  data->book_backend_func = self->book_backend_func;
  data->book_backend_data = self->book_backend_data;

  self->loaded = FALSE;
  self->n_loading++;
  task = g_task_new (self, self->book_cancellable, load_cb, GUINT_TO_POINTER (self->book_serial));
  g_task_set_source_tag (task, kios_sync_engine_start_book_work);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_thread);
}
