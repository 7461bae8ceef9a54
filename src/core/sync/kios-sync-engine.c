/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-engine"

#include "config.h"

#include "kios-sync-engine-private.h"

#include "kios-kobo-backend.h"
#include "kios-kosync-backend.h"
#include "kios-kosync-client.h"
#include "kios-paths.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-bridge.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

G_DEFINE_FINAL_TYPE (KiosSyncEngine, kios_sync_engine, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (KiosSyncState, kios_sync_state, G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATE_OFF, "off"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATE_SYNCED, "synced"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATE_PENDING, "pending"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATE_OFFLINE, "offline"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATE_FAILING, "failing"))

enum {
  PROP_0,
  PROP_STATE,
  PROP_REASON,
  PROP_LAST_RESULT,
  PROP_LAST_TIME,
  PROP_SERVER,
  PROP_HAS_REMOTE,
  PROP_REMOTE_TITLE,
  PROP_BUSY,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PROMPT,
  SIGNAL_JUMP,
  SIGNAL_DECIDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- helpers ------------------------------------------------------------- */

/* Same place in the book, whatever the time stamps and devices say. */
gboolean
kios_sync_engine_same_place (const KiosPosition *a,
                             const KiosPosition *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->format != b->format || a->chapter != b->chapter)
    return FALSE;
  if (a->format == KIOS_BOOK_FORMAT_PDF)
    return TRUE;
  if (a->xpointer != NULL && b->xpointer != NULL && g_strcmp0 (a->xpointer, b->xpointer) != 0)
    return FALSE;
  return a->offset == b->offset;
}

/* Which backend serves the open book (PRODUCT.md "Which protocol serves a
 * book"): its own (Readium progression, Kobo) when it has one, else the
 * global KOReader sync account. */
KiosSyncBackend *
kios_sync_engine_current_backend (KiosSyncEngine *self)
{
  return self->book_backend != NULL ? self->book_backend : self->backend;
}

const char *
kios_sync_engine_source_name (KiosSyncEngine *self)
{
  KiosSyncBackend *backend = kios_sync_engine_current_backend (self);

  return backend != NULL ? kios_sync_backend_get_source_name (backend) : NULL;
}

gboolean
kios_sync_engine_set_string (char      **field,
                             const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

void
kios_sync_engine_update_state (KiosSyncEngine *self)
{
  KiosSyncState state;
  const char   *reason = NULL;

  if (kios_sync_engine_current_backend (self) == NULL && self->in_flight == NULL &&
      g_hash_table_size (self->pending) == 0 && self->failing_reason == NULL)
    state = KIOS_SYNC_STATE_OFF;
  else if (self->failing_reason != NULL)
    {
      state = KIOS_SYNC_STATE_FAILING;
      reason = self->failing_reason;
    }
  else if (self->offline)
    {
      state = KIOS_SYNC_STATE_OFFLINE;
      reason = self->last_result;
    }
  else if (self->in_flight != NULL || g_hash_table_size (self->pending) > 0)
    state = KIOS_SYNC_STATE_PENDING;
  else
    state = KIOS_SYNC_STATE_SYNCED;

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (kios_sync_engine_set_string (&self->reason, reason))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  kios_sync_engine_update_status (self);
}

/* Records the outcome of one exchange for the status menu and the sync log.
 * detail never carries a secret: it is redacted once more on the way. */
void
kios_sync_engine_set_result (KiosSyncEngine *self,
                             const char     *hash,
                             const char     *event,
                             const char     *detail)
{
  g_autofree char *safe = kios_redact_text (detail);

  g_debug ("%s: %s", event, safe);
  if (kios_sync_engine_set_string (&self->last_result, safe))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_RESULT]);
  self->last_time = g_get_real_time () / G_USEC_PER_SEC;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_TIME]);
  /* Pushes and pulls go to the sync log through kios_sync_engine_record ();
   * anything else (the account) is a diagnostic line. */
  if (g_strcmp0 (event, "pull") == 0)
    kios_sync_engine_record (self, kios_sync_engine_current_backend (self), hash, self->format, "pull", NULL, safe);
  else if (!g_str_has_prefix (event, "push") && !g_str_has_prefix (event, "pull") &&
           kios_sync_engine_current_backend (self) != NULL)
    kios_library_store_log_sync (self->store, hash, kios_sync_engine_source_name (self), event, safe);
}

static gboolean
error_is_transient (const GError *error)
{
  return error->domain == KIOS_HTTP_ERROR ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT) ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER);
}

/* Errors about the account rather than one book. */
static gboolean
error_is_account (const GError *error)
{
  if (error->domain != KIOS_SYNC_ERROR)
    return FALSE;
  switch (error->code)
    {
    case KIOS_SYNC_ERROR_AUTH:
    case KIOS_SYNC_ERROR_AUTH_METHOD:
    case KIOS_SYNC_ERROR_WRONG_URL:
    case KIOS_SYNC_ERROR_DISABLED:
    case KIOS_SYNC_ERROR_SECRETS:
    case KIOS_SYNC_ERROR_PROTOCOL:
      return TRUE;
    default:
      return FALSE;
    }
}

/* A failed exchange: transient ones wait for the next activation, the rest
 * turn the state to failing and stop automatic traffic (no retry loop). */
void
kios_sync_engine_handle_failure (KiosSyncEngine *self,
                                 const char     *hash,
                                 const char     *event,
                                 const GError   *error)
{
  g_autofree char *safe = kios_redact_text (error->message);

  if (g_strcmp0 (event, "pull-failed") == 0)
    kios_sync_engine_record (self, kios_sync_engine_current_backend (self), hash, self->format, "pull", error, NULL);
  kios_sync_engine_set_result (self, hash, event, error->message);
  if (error_is_transient (error))
    self->offline = TRUE;
  else
    {
      if (error_is_account (error))
        self->halted = TRUE;
      else if (hash != NULL)
        g_hash_table_add (self->refused, g_strdup (hash));
      g_free (self->failing_reason);
      self->failing_reason = g_steal_pointer (&safe);
    }
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_set_remote (KiosSyncEngine     *self,
                             const KiosPosition *remote,
                             const char         *title)
{
  gboolean had = self->remote != NULL;

  g_clear_pointer (&self->remote, kios_position_free);
  self->remote = kios_position_copy (remote);
  if (remote == NULL)
    self->remote_protocol = -1;
  if (kios_sync_engine_set_string (&self->remote_title, remote != NULL ? title : NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_TITLE]);
  if (had != (self->remote != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_REMOTE]);
}

void
kios_sync_engine_update_server (KiosSyncEngine *self)
{
  KiosSyncBackend *backend = kios_sync_engine_current_backend (self);
  g_autofree char *server = backend != NULL ? kios_sync_backend_get_server_label (backend) : NULL;

  if (kios_sync_engine_set_string (&self->server, server))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
}
/* ---- the account --------------------------------------------------------- */

typedef struct
{
  KiosSyncBackend *backend; /* NULL: none, switched off, or unusable */
  char            *name;    /* the account's source name, or NULL */
  gboolean         enabled;
  KiosSyncStatus  *status; /* as stored, or NULL */
  GError          *error;  /* configured but unusable (keyring) */
} AccountResult;

static void
account_result_free (AccountResult *result)
{
  g_clear_object (&result->backend);
  g_free (result->name);
  kios_sync_status_free (result->status);
  g_clear_error (&result->error);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AccountResult, account_result_free)

static void
account_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  KiosLibraryStore            *store = task_data;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (AccountResult)    result = g_new0 (AccountResult, 1);
  GError                      *error = NULL;

  record = kios_sync_source_find_kosync (store, &error);
  if (record == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) account_result_free);
      return;
    }
  result->name = g_strdup (record->name);
  result->enabled = kios_source_record_get_enabled (record);
  /* The state the last session left, so that a relaunch tells the truth
   * before any traffic: never, synced, offline, refused, … */
  result->status = kios_library_store_get_sync_status (store, record->name, NULL, NULL);
  if (result->enabled)
    {
      KiosKosyncBackend *kosync = kios_kosync_backend_open (record, store, cancellable, &error);

      if (kosync == NULL)
        {
          /* Configured but unusable (a locked or missing keyring). */
          if (result->status == NULL)
            result->status = kios_sync_status_new ("kosync", record->name, NULL);
          kios_sync_status_set_error (result->status, error);
          result->error = error;
        }
      else
        result->backend = KIOS_SYNC_BACKEND (kosync);
    }
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) account_result_free);
}

static void
account_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (AccountResult) loaded = NULL;
  g_autoptr (GError)        error = NULL;
  KiosSyncEngine           *self;
  const GError             *unusable;

  loaded = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_SYNC_ENGINE (source);
  self->n_loading--;
  g_clear_object (&self->account_cancellable);
  unusable = error != NULL ? error : loaded->error;
  kios_sync_engine_set_backend (self, loaded != NULL ? loaded->backend : NULL);
  kios_sync_engine_set_string (&self->account_off, loaded != NULL && loaded->name != NULL && !loaded->enabled
                                                       ? loaded->name
                                                       : NULL);
  kios_sync_status_free (self->account_status);
  self->account_status = loaded != NULL ? g_steal_pointer (&loaded->status) : NULL;
  if (unusable != NULL)
    {
      /* Configured but unusable (a locked or missing keyring): the status
       * button says so instead of hiding as if sync were off. */
      kios_sync_engine_set_result (self, NULL, "account", unusable->message);
      g_free (self->failing_reason);
      self->failing_reason = g_strdup (self->last_result);
    }
  kios_sync_engine_update_state (self);
}

/* ---- signals, for the push and pull parts ------------------------------- */

void
kios_sync_engine_emit_prompt (KiosSyncEngine *self,
                              const char     *chapter_title)
{
  g_signal_emit (self, signals[SIGNAL_PROMPT], 0, chapter_title);
}

void
kios_sync_engine_emit_jump (KiosSyncEngine     *self,
                            const KiosPosition *target)
{
  g_signal_emit (self, signals[SIGNAL_JUMP], 0, target);
}

void
kios_sync_engine_emit_decided (KiosSyncEngine  *self,
                               KiosSyncDecision decision,
                               const char      *reason)
{
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, (int) decision, reason);
}

/* ---- GObject ------------------------------------------------------------- */

static void
kios_sync_engine_dispose (GObject *object)
{
  KiosSyncEngine *self = KIOS_SYNC_ENGINE (object);

  /* A window that closes takes its work with it: its pull and its account
   * load stop; a push in flight holds a reference and finishes (or is
   * cancelled by shutdown), so it stays serialized until it returns. */
  g_cancellable_cancel (self->account_cancellable);
  g_cancellable_cancel (self->book_cancellable);
  kios_sync_engine_release_accounts (self);
  if (self->service != NULL)
    {
      kios_sync_service_detach (self->service, self);
      g_object_remove_weak_pointer (G_OBJECT (self->service), (gpointer *) &self->service);
      self->service = NULL;
    }
  g_clear_object (&self->account_cancellable);
  g_clear_object (&self->book_cancellable);
  g_clear_object (&self->push_cancellable);
  g_clear_object (&self->document);
  g_clear_object (&self->backend);
  g_clear_object (&self->book_backend);
  g_clear_object (&self->in_flight_backend);

  G_OBJECT_CLASS (kios_sync_engine_parent_class)->dispose (object);
}

static void
kios_sync_engine_finalize (GObject *object)
{
  KiosSyncEngine *self = KIOS_SYNC_ENGINE (object);

  /* Queued store writes (pending pushes) go out on the store's own writer
   * thread; shutdown () is where waiting for them belongs, not here. */
  g_clear_object (&self->store);
  g_free (self->hash);
  kios_position_free (self->position);
  kios_position_free (self->last_pushed);
  kios_position_free (self->remote);
  g_free (self->remote_title);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->refused);
  g_free (self->in_flight_hash);
  kios_position_free (self->in_flight);
  g_free (self->reason);
  g_free (self->failing_reason);
  g_free (self->last_result);
  g_free (self->server);
  kios_sync_status_free (self->status);
  kios_sync_status_free (self->account_status);
  kios_sync_status_free (self->book_status);
  g_free (self->account_off);
  g_free (self->book_off);
  g_free (self->pulled_remote);

  G_OBJECT_CLASS (kios_sync_engine_parent_class)->finalize (object);
}

static void
kios_sync_engine_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KiosSyncEngine *self = KIOS_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->reason);
      break;
    case PROP_LAST_RESULT:
      g_value_set_string (value, self->last_result);
      break;
    case PROP_LAST_TIME:
      g_value_set_int64 (value, self->last_time);
      break;
    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;
    case PROP_HAS_REMOTE:
      g_value_set_boolean (value, self->remote != NULL);
      break;
    case PROP_REMOTE_TITLE:
      g_value_set_string (value, self->remote_title);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, kios_sync_engine_is_busy (self));
      break;
    case PROP_STATUS:
      g_value_set_pointer (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_sync_engine_class_init (KiosSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_sync_engine_dispose;
  object_class->finalize = kios_sync_engine_finalize;
  object_class->get_property = kios_sync_engine_get_property;

  properties[PROP_STATE] =
      g_param_spec_enum ("state", NULL, NULL, KIOS_TYPE_SYNC_STATE, KIOS_SYNC_STATE_OFF,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REASON] =
      g_param_spec_string ("reason", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_RESULT] =
      g_param_spec_string ("last-result", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_TIME] =
      g_param_spec_int64 ("last-time", NULL, NULL, 0, G_MAXINT64, 0,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER] =
      g_param_spec_string ("server", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_REMOTE] =
      g_param_spec_boolean ("has-remote", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_TITLE] =
      g_param_spec_string ("remote-title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
      g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * KiosSyncEngine:status: (type gpointer)
   *
   * The const KiosSyncStatus shown for this window: the open book's through
   * the source serving it, or the KOReader sync account's without a book.
   */
  properties[PROP_STATUS] =
      g_param_spec_pointer ("status", NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosSyncEngine::prompt:
   * @self: the engine
   * @chapter_title: the title of the chapter the other device is in
   *
   * The other device is meaningfully further on: ask whether to switch.
   */
  signals[SIGNAL_PROMPT] =
      g_signal_new ("prompt", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * KiosSyncEngine::jump:
   * @self: the engine
   * @position: (type gpointer): the const KiosPosition to show now
   *
   * The reader should go to @position (slightly ahead, Continue, or the
   * status menu's "Go to the other device's position").
   */
  signals[SIGNAL_JUMP] =
      g_signal_new ("jump", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_POINTER);
  /**
   * KiosSyncEngine::decided:
   * @self: the engine
   * @decision: the KiosSyncDecision applied
   * @reason: why, in words
   *
   * A pull produced an answer and it was decided upon.
   */
  signals[SIGNAL_DECIDED] =
      g_signal_new ("decided", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
}

static void
kios_sync_engine_init (KiosSyncEngine *self)
{
  self->remote_protocol = -1;
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) kios_sync_engine_pending_free);
  self->refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->status = kios_sync_status_new (NULL, NULL, NULL);
  self->status->state = KIOS_SYNC_STATUS_OFF;
  self->book_backend_func = kios_sync_engine_backend_for_book;
}

/* ---- public API ---------------------------------------------------------- */

/**
 * kios_sync_engine_new:
 * @store: the library store (the engine keeps a reference)
 *
 * Returns: (transfer full): a new engine with sync off until a backend is set.
 */
KiosSyncEngine *
kios_sync_engine_new (KiosLibraryStore *store)
{
  KiosSyncEngine *self;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  self = g_object_new (KIOS_TYPE_SYNC_ENGINE, NULL);
  self->store = g_object_ref (store);
  return self;
}

KiosLibraryStore *
kios_sync_engine_get_store (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->store;
}

KiosSyncBackend *
kios_sync_engine_get_backend (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->backend;
}

/**
 * kios_sync_engine_get_status:
 * @self: the engine
 *
 * Returns: (transfer none): what the status button shows; never NULL. It
 * changes with notify::status.
 */
const KiosSyncStatus *
kios_sync_engine_get_status (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->status;
}

KiosSyncState
kios_sync_engine_get_state (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), KIOS_SYNC_STATE_OFF);
  return self->state;
}

const char *
kios_sync_engine_get_reason (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->reason;
}

const char *
kios_sync_engine_get_last_result (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->last_result;
}

gint64
kios_sync_engine_get_last_time (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), 0);
  return self->last_time;
}

const char *
kios_sync_engine_get_server (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->server;
}

gboolean
kios_sync_engine_get_has_remote (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), FALSE);
  return self->remote != NULL;
}

const char *
kios_sync_engine_get_remote_title (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->remote_title;
}

gboolean
kios_sync_engine_get_remote_protocol (KiosSyncEngine   *self,
                                      KiosSyncProtocol *protocol)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), FALSE);

  if (self->remote == NULL || self->remote_protocol < 0)
    return FALSE;
  if (protocol != NULL)
    *protocol = (KiosSyncProtocol) self->remote_protocol;
  return TRUE;
}

const KiosPosition *
kios_sync_engine_get_remote (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), NULL);
  return self->remote;
}

gboolean
kios_sync_engine_is_busy (KiosSyncEngine *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), FALSE);
  return self->n_loading > 0 || self->in_flight != NULL;
}

/**
 * kios_sync_engine_set_backend:
 * @self: the engine
 * @backend: (nullable): the global account's backend
 *
 * A new account starts clean: no failure, nothing halted; the open book is
 * pulled from it.
 */
void
kios_sync_engine_set_backend (KiosSyncEngine  *self,
                              KiosSyncBackend *backend)
{
  GHashTableIter iter;
  gpointer       value;

  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));
  g_return_if_fail (backend == NULL || KIOS_IS_SYNC_BACKEND (backend));

  if (self->backend == backend)
    return;

  /* What was queued for the old account stays pending in the store under
   * its name; this engine only sends to the new one. */
  if (self->backend != NULL)
    {
      g_hash_table_iter_init (&iter, self->pending);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          if (((Pending *) value)->backend == self->backend)
            g_hash_table_iter_remove (&iter);
        }
    }
  g_set_object (&self->backend, backend);
  /* Filename matching needs the open book's file name. */
  if (KIOS_IS_KOSYNC_BACKEND (backend) && self->document != NULL)
    kios_kosync_backend_set_book_path (KIOS_KOSYNC_BACKEND (backend), self->hash,
                                       kios_document_get_path (self->document));
  if (self->account_status != NULL &&
      (backend == NULL || g_strcmp0 (self->account_status->source, kios_sync_backend_get_source_name (backend)) != 0))
    g_clear_pointer (&self->account_status, kios_sync_status_free);
  if (backend != NULL)
    g_clear_pointer (&self->account_off, g_free);
  g_hash_table_remove_all (self->refused);
  self->halted = FALSE;
  self->offline = FALSE;
  g_clear_pointer (&self->failing_reason, g_free);

  kios_sync_engine_update_server (self);
  kios_sync_engine_update_state (self);
  /* A book on its own protocol keeps it; one on the global account starts over. */
  if (self->document != NULL && self->book_backend == NULL)
    {
      g_cancellable_cancel (self->book_cancellable);
      g_clear_object (&self->book_cancellable);
      self->book_cancellable = g_cancellable_new ();
      self->book_serial++;
      self->pulling = FALSE;
      kios_sync_engine_start_book_work (self);
    }
}

void
kios_sync_engine_set_book_backend_func (KiosSyncEngine         *self,
                                        KiosSyncBookBackendFunc func,
                                        gpointer                user_data)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  self->book_backend_func = func != NULL ? func : kios_sync_engine_backend_for_book;
  self->book_backend_data = func != NULL ? user_data : NULL;
}

void
kios_sync_engine_load_account (KiosSyncEngine *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  if (self->account_cancellable != NULL)
    {
      g_cancellable_cancel (self->account_cancellable);
      g_clear_object (&self->account_cancellable);
      self->n_loading--;
    }
  self->account_cancellable = g_cancellable_new ();
  self->n_loading++;
  task = g_task_new (self, self->account_cancellable, account_cb, NULL);
  g_task_set_source_tag (task, kios_sync_engine_load_account);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, account_thread);
}

/**
 * kios_sync_engine_open_book:
 * @self: the engine
 * @document: the open book
 * @local: (nullable): the local position the page shows
 *
 * Closes the previous book (pushing it) and pulls this one in the background.
 */
void
kios_sync_engine_open_book (KiosSyncEngine     *self,
                            KiosDocument       *document,
                            const KiosPosition *local)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));
  g_return_if_fail (KIOS_IS_DOCUMENT (document));

  if (self->document != NULL)
    kios_sync_engine_close_book (self);

  self->document = g_object_ref (document);
  self->hash = g_strdup (kios_document_get_hash (document));
  self->format = kios_document_get_format (document);
  self->position = kios_position_copy (local);
  if (KIOS_IS_KOSYNC_BACKEND (self->backend))
    kios_kosync_backend_set_book_path (KIOS_KOSYNC_BACKEND (self->backend), self->hash,
                                       kios_document_get_path (document));
  self->page_turned = FALSE;
  self->prompting = FALSE;
  self->book_cancellable = g_cancellable_new ();
  self->book_serial++;
  kios_sync_engine_set_remote (self, NULL, NULL);

  kios_sync_engine_start_book_work (self);
}

void
kios_sync_engine_set_position (KiosSyncEngine     *self,
                               const KiosPosition *position,
                               gboolean            user_turned)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));
  g_return_if_fail (position != NULL);

  if (self->document == NULL)
    return;
  /* Only memory: a page turn never touches the network or the disk here.
   * The status (in memory too) says the new position waits. */
  kios_position_free (self->position);
  self->position = kios_position_copy (position);
  if (user_turned)
    self->page_turned = TRUE;
  kios_sync_engine_update_status (self);
}

void
kios_sync_engine_close_book (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  if (self->document == NULL)
    return;

  kios_sync_engine_push_current (self);
  /* Closing ends the wait for the pull; an unanswered prompt keeps its
   * position unsent (the reader never chose it over the remote). */
  self->pulling = FALSE;
  if (self->prompting && !self->page_turned)
    g_hash_table_remove (self->pending, self->hash);
  kios_sync_engine_kick (self);

  /* The pull and the resolve belong to the book; the push does not. */
  g_cancellable_cancel (self->book_cancellable);
  g_clear_object (&self->book_cancellable);
  g_clear_object (&self->document);
  g_clear_pointer (&self->hash, g_free);
  g_clear_pointer (&self->position, kios_position_free);
  g_clear_pointer (&self->last_pushed, kios_position_free);
  g_clear_object (&self->book_backend);
  g_clear_pointer (&self->book_status, kios_sync_status_free);
  g_clear_pointer (&self->book_off, g_free);
  kios_sync_engine_update_server (self);
  self->book_serial++;
  self->loaded = FALSE;
  self->push_requested = FALSE;
  self->prompting = FALSE;
  kios_sync_engine_set_remote (self, NULL, NULL);
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_activate (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  /* Back in the foreground: a transient failure gets its retry now. */
  self->offline = FALSE;
  if (g_hash_table_size (self->pending) > 0)
    {
      kios_sync_engine_push_current (self);
      kios_sync_engine_kick (self);
    }
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_deactivate (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  kios_sync_engine_push_current (self);
  kios_sync_engine_kick (self);
}

void
kios_sync_engine_sync_now (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  /* The user asked: lift every automatic restraint for this one run. */
  self->halted = FALSE;
  self->offline = FALSE;
  g_hash_table_remove_all (self->refused);
  g_clear_pointer (&self->failing_reason, g_free);
  kios_sync_engine_push_current (self);
  kios_sync_engine_kick (self);
  /* Before the book's state is loaded, the load itself starts the pull. */
  if (self->document != NULL && self->loaded && kios_sync_engine_current_backend (self) != NULL)
    {
      self->page_turned = FALSE;
      self->book_serial++;
      kios_sync_engine_start_pull (self);
    }
  kios_sync_engine_update_state (self);
}

/* The reader's Cancel: what is in flight stops now (a push stays pending
 * in the store, a pull is dropped); nothing starts again until the next
 * trigger (the window active again, Sync Now, a book opened or closed). */
void
kios_sync_engine_cancel (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  if (self->push_cancellable != NULL)
    {
      g_cancellable_cancel (self->push_cancellable);
      g_clear_object (&self->push_cancellable);
    }
  if (self->pulling && self->book_cancellable != NULL)
    {
      g_cancellable_cancel (self->book_cancellable);
      g_clear_object (&self->book_cancellable);
      self->book_cancellable = g_cancellable_new ();
      self->book_serial++;
      self->pulling = FALSE;
    }
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_accept_remote (KiosSyncEngine *self)
{
  g_autoptr (KiosPosition) target = NULL;

  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  self->prompting = FALSE;
  if (self->remote == NULL)
    return;
  target = kios_position_copy (self->remote);
  kios_sync_engine_set_remote (self, NULL, NULL);
  kios_sync_engine_set_position (self, target, FALSE);
  g_signal_emit (self, signals[SIGNAL_JUMP], 0, target);
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_dismiss_remote (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  /* The remote stays reachable from the status menu; the local position is
   * pushed as usual at the next background or close, to a bridged book's
   * every protocol: the person chose it. */
  if (self->prompting && KIOS_IS_SYNC_BRIDGE (self->book_backend) && self->hash != NULL)
    kios_sync_bridge_keep_local (KIOS_SYNC_BRIDGE (self->book_backend), self->hash);
  self->prompting = FALSE;
  if (self->push_deferred)
    {
      self->push_deferred = FALSE;
      kios_sync_engine_kick (self);
    }
  kios_sync_engine_update_state (self);
}

void
kios_sync_engine_go_to_remote (KiosSyncEngine *self)
{
  kios_sync_engine_accept_remote (self);
}

/* Closes the book (its push goes) and waits for the book's state when it is
 * still loading, since its push waits for it. */
void
kios_sync_engine_begin_shutdown (KiosSyncEngine *self,
                                 gint64          end)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  while (self->document != NULL && !self->loaded && self->n_loading > 0 &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (context, FALSE), g_usleep (1000);
  kios_sync_engine_close_book (self);
}

/* After the wait: what is still in flight is dropped (the store keeps it
 * pending). TRUE when nothing was left. */
gboolean
kios_sync_engine_end_shutdown (KiosSyncEngine *self)
{
  gboolean done = self->in_flight == NULL && g_hash_table_size (self->pending) == 0;

  if (!done)
    g_debug ("quit: a push is still pending; it stays in the store");
  g_cancellable_cancel (self->push_cancellable);
  g_clear_object (&self->push_cancellable);
  return done;
}

gboolean
kios_sync_engine_shutdown (KiosSyncEngine *self,
                           guint           timeout_ms)
{
  g_autoptr (GMainContext) context = NULL;
  gint64                   end;
  gboolean                 done;

  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (self), FALSE);

  g_object_ref (self);
  context = g_main_context_ref_thread_default ();
  end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  kios_sync_engine_begin_shutdown (self, end);
  while (self->in_flight != NULL && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (context, FALSE);
      if (self->in_flight != NULL)
        g_usleep (1000);
    }
  done = kios_sync_engine_end_shutdown (self);
  /* The pending rows must be on disk before the process goes; a healthy
   * store takes milliseconds, and the quit budget bounds the rest. */
  if (!kios_library_store_flush (self->store,
                                 (guint) CLAMP ((end - g_get_monotonic_time ()) / 1000, 50, 500)))
    done = FALSE;
  g_object_unref (self);
  return done;
}
