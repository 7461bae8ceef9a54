/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-engine"

#include "config.h"

#include "kios-sync-engine.h"

#include "kios-kobo-backend.h"
#include "kios-kosync-backend.h"
#include "kios-paths.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

/* (Owned by the engine engineer of issue 3: extend, do not replace.) */

/* The state of the open book, read from the store in a worker. */
typedef struct
{
  KiosSyncBackend *book_backend; /* the book's own protocol, or NULL */
  KiosPosition    *last_pushed;
  KiosPosition    *pending;
} LoadResult;

/* A position waiting to be sent, with the backend (account) it goes to. */
typedef struct
{
  KiosPosition    *position;
  KiosSyncBackend *backend;
} Pending;

static void
pending_free (Pending *pending)
{
  kios_position_free (pending->position);
  g_clear_object (&pending->backend);
  g_free (pending);
}

static Pending *
pending_new (const KiosPosition *position,
             KiosSyncBackend    *backend)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->position = kios_position_copy (position);
  pending->backend = g_object_ref (backend);
  return pending;
}

/* The remote position resolved in the open book. */
typedef struct
{
  KiosDocument *document;
  KiosPosition *local;  /* nullable */
  KiosPosition *remote; /* the backend's partial position */
} ResolveData;

typedef struct
{
  KiosPosition    *target; /* where Continue goes: the remote page here, or NULL */
  KiosSyncDecision decision;
  char            *reason;
  char            *title;
} ResolveResult;

struct _KiosSyncEngine
{
  GObject parent_instance;

  KiosLibraryStore       *store;
  KiosSyncBackend        *backend;      /* the global account (KOReader sync), nullable */
  KiosSyncBackend        *book_backend; /* the open book's own protocol (Readium, Kobo), nullable */
  KiosSyncBookBackendFunc book_backend_func;
  gpointer                book_backend_data;
  GCancellable           *account_cancellable;
  GCancellable           *push_cancellable;

  /* The open book. */
  KiosDocument  *document;
  char          *hash;
  KiosBookFormat format;
  KiosPosition  *position;    /* the reader's current position */
  KiosPosition  *last_pushed; /* the last position the server took */
  KiosPosition  *remote;      /* resolved remote, while one is known */
  char          *remote_title;
  GCancellable  *book_cancellable;
  guint          book_serial;

  /* Pushes: hash → Pending, the newest unsent position per book. */
  GHashTable      *pending;
  char            *in_flight_hash;
  KiosPosition    *in_flight;
  KiosSyncBackend *in_flight_backend;
  GHashTable      *refused; /* hashes the server refused (not found, …) */

  /* Status. */
  KiosSyncState state;
  char         *reason;
  char         *failing_reason;
  char         *last_result;
  gint64        last_time;
  char         *server;

  guint n_loading;          /* store reads and pulls in flight */
  guint loaded : 1;         /* last_pushed / pending of the open book are known */
  guint push_requested : 1; /* a push trigger came before loaded */
  guint page_turned : 1;
  guint prompting : 1;     /* the banner asks and was not answered */
  guint pulling : 1;       /* the open book's first pull has not answered */
  guint push_deferred : 1; /* a push waited for the pull or the prompt */
  guint offline : 1;       /* a transient failure: wait for the next activate */
  guint halted : 1;        /* refused account: no automatic traffic */
};

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

static void kick (KiosSyncEngine *self);

/* Pushes are serialized per account across every engine of the process (one
 * per window): the account's source name → the engine with a request in
 * flight. Main thread only, like the engines. */
static GHashTable *busy_accounts;
static GList      *live_engines;

static gboolean
account_taken_by_other (KiosSyncEngine *self,
                        const char     *source)
{
  KiosSyncEngine *owner;

  if (busy_accounts == NULL)
    return FALSE;
  owner = g_hash_table_lookup (busy_accounts, source);
  return owner != NULL && owner != self;
}

static void
take_account (KiosSyncEngine *self,
              const char     *source)
{
  if (busy_accounts == NULL)
    busy_accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_replace (busy_accounts, g_strdup (source), self);
}

/* The account is free again: the other engines waiting on it go on. */
static void
release_account (KiosSyncEngine *self,
                 const char     *source)
{
  if (busy_accounts == NULL || g_hash_table_lookup (busy_accounts, source) != self)
    return;
  g_hash_table_remove (busy_accounts, source);
  for (GList *l = live_engines; l != NULL; l = l->next)
    {
      if (l->data != self)
        kick (l->data);
    }
}
static void start_book_work (KiosSyncEngine *self);

/* ---- helpers ------------------------------------------------------------- */

static void
load_result_free (LoadResult *result)
{
  g_clear_object (&result->book_backend);
  kios_position_free (result->last_pushed);
  kios_position_free (result->pending);
  g_free (result);
}

static void
resolve_data_free (ResolveData *data)
{
  g_clear_object (&data->document);
  kios_position_free (data->local);
  kios_position_free (data->remote);
  g_free (data);
}

static void
resolve_result_free (ResolveResult *result)
{
  kios_position_free (result->target);
  g_free (result->reason);
  g_free (result->title);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadResult, load_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ResolveResult, resolve_result_free)

/* Same place in the book, whatever the time stamps and devices say. */
static gboolean
same_place (const KiosPosition *a,
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
static KiosSyncBackend *
current_backend (KiosSyncEngine *self)
{
  return self->book_backend != NULL ? self->book_backend : self->backend;
}

static const char *
source_name (KiosSyncEngine *self)
{
  KiosSyncBackend *backend = current_backend (self);

  return backend != NULL ? kios_sync_backend_get_source_name (backend) : NULL;
}

static gboolean
set_string (char      **field,
            const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
update_state (KiosSyncEngine *self)
{
  KiosSyncState state;
  const char   *reason = NULL;

  if (current_backend (self) == NULL && self->in_flight == NULL &&
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
  if (set_string (&self->reason, reason))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Records the outcome of one exchange for the status menu and the sync log.
 * detail never carries a secret: it is redacted once more on the way. */
static void
set_result (KiosSyncEngine *self,
            const char     *hash,
            const char     *event,
            const char     *detail)
{
  g_autofree char *safe = kios_redact_text (detail);

  g_debug ("%s: %s", event, safe);
  if (set_string (&self->last_result, safe))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_RESULT]);
  self->last_time = g_get_real_time () / G_USEC_PER_SEC;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_TIME]);
  if (current_backend (self) != NULL)
    kios_library_store_log_sync (self->store, hash, source_name (self), event, safe);
}

static gboolean
error_is_transient (const GError *error)
{
  return error->domain == KIOS_HTTP_ERROR ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) ||
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
static void
handle_failure (KiosSyncEngine *self,
                const char     *hash,
                const char     *event,
                const GError   *error)
{
  g_autofree char *safe = kios_redact_text (error->message);

  set_result (self, hash, event, error->message);
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
  update_state (self);
}

static void
set_remote (KiosSyncEngine     *self,
            const KiosPosition *remote,
            const char         *title)
{
  gboolean had = self->remote != NULL;

  g_clear_pointer (&self->remote, kios_position_free);
  self->remote = kios_position_copy (remote);
  if (set_string (&self->remote_title, remote != NULL ? title : NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_TITLE]);
  if (had != (self->remote != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_REMOTE]);
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
  KiosSyncBackend *backend = current_backend (self);

  if (queued != NULL && queued->backend == backend && same_place (queued->position, position))
    return;
  if (queued == NULL && self->in_flight != NULL && g_strcmp0 (self->in_flight_hash, hash) == 0 &&
      same_place (self->in_flight, position))
    return;

  kios_library_store_set_pending_push (self->store, hash, source_name (self), position);
  g_hash_table_replace (self->pending, g_strdup (hash), pending_new (position, backend));
  update_state (self);
}

/* Pushes the open book's position when it moved since the last successful push. */
static void
push_current (KiosSyncEngine *self)
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
  if (current_backend (self) == NULL)
    return;
  /* Unchanged since the last successful push and nothing queued: nothing to say. */
  if (same_place (self->position, self->last_pushed) &&
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
        g_hash_table_insert (self->pending, g_strdup (hash), pending_new (pushed, backend));
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          update_state (self);
          return;
        }
      handle_failure (self, hash, "push-failed", error);
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
  if (g_strcmp0 (hash, self->hash) == 0 && backend == current_backend (self))
    {
      kios_position_free (self->last_pushed);
      self->last_pushed = kios_position_copy (pushed);
    }

  g_hash_table_remove (self->refused, hash);
  self->offline = FALSE;
  g_clear_pointer (&self->failing_reason, g_free);
  set_result (self, hash, "push", "Position sent");
  update_state (self);
  kick (self);
}

/* Sends the next pending position, one request at a time. */
static void
kick (KiosSyncEngine *self)
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
  update_state (self);
}

/* ---- pulling ------------------------------------------------------------- */

static KiosPage *
resolve_page (KiosDocument       *document,
              const KiosPosition *position,
              GError            **error)
{
  KiosPageRequest request;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  request.position = position;
  request.position_only = TRUE;
  request.box_width = 600;
  request.box_height = 800;
  return kios_document_render_sync (document, &request, error);
}

static void
resolve_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ResolveData              *data = task_data;
  g_autoptr (ResolveResult) result = g_new0 (ResolveResult, 1);
  g_autoptr (KiosPage)      remote_page = NULL;
  g_autoptr (KiosPage)      local_page = NULL;
  g_autoptr (GError)        error = NULL;
  g_autofree char          *own_id = kios_paths_device_id ();
  KiosSyncDecisionInput     input = { 0 };

  /* The remote xpointer (or page) is resolved in this book at the current
   * layout; one that does not resolve falls back to its percentage inside
   * the document layer. */
  remote_page = resolve_page (data->document, data->remote, &error);
  if (remote_page == NULL || remote_page->position == NULL)
    {
      g_task_return_new_error (task, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                               "The other device's position does not fit this book: %s",
                               error != NULL ? error->message : "no page");
      return;
    }
  if (data->local != NULL)
    local_page = resolve_page (data->document, data->local, NULL);

  input.local = local_page != NULL ? local_page->position : NULL;
  input.remote = remote_page->position;
  input.local_page = local_page != NULL && local_page->location.chapter == remote_page->location.chapter
                         ? local_page->location.page
                         : -1;
  input.remote_page = input.local_page >= 0 ? remote_page->location.page : -1;
  input.screen_page_chars = 0;
  input.page_turned = FALSE;
  input.own_device_id = own_id;
  input.remote_device_id = data->remote->device_id;

  result->decision = kios_sync_decide (&input, &result->reason);
  result->target = kios_position_copy (remote_page->position);
  result->target->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  if (remote_page->position->chapter_title != NULL)
    result->title = g_strdup (remote_page->position->chapter_title);
  else if (remote_page->position->format == KIOS_BOOK_FORMAT_PDF)
    result->title = g_strdup_printf ("Page %d", remote_page->position->chapter + 1);
  else
    result->title = g_strdup_printf ("Chapter %d", remote_page->position->chapter + 1);

  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) resolve_result_free);
}

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
      kick (self);
    }
}

static void
resolve_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  KiosSyncEngine           *self = KIOS_SYNC_ENGINE (source);
  g_autoptr (ResolveResult) resolved = NULL;
  g_autoptr (GError)        error = NULL;
  guint                     serial = GPOINTER_TO_UINT (user_data);
  KiosSyncDecision          decision;

  self->n_loading--;
  resolved = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || serial != self->book_serial)
    {
      update_state (self);
      return;
    }
  if (resolved == NULL)
    {
      set_result (self, self->hash, "pull", error->message);
      update_state (self);
      pull_finished (self);
      return;
    }

  decision = resolved->decision;
  if (decision != KIOS_SYNC_DECISION_NONE && decision != KIOS_SYNC_DECISION_IGNORE_BEHIND)
    set_remote (self, resolved->target, resolved->title);
  else if (decision == KIOS_SYNC_DECISION_IGNORE_BEHIND && !same_place (resolved->target, self->position))
    set_remote (self, resolved->target, resolved->title);

  /* The reader moved on before the answer came: no banner, no jump. */
  if (self->page_turned &&
      (decision == KIOS_SYNC_DECISION_PROMPT || decision == KIOS_SYNC_DECISION_APPLY_SILENTLY))
    {
      g_free (resolved->reason);
      resolved->reason = g_strdup ("a page was turned before the answer arrived; the remote "
                                   "position stays reachable from the sync menu");
      decision = KIOS_SYNC_DECISION_NONE;
    }

  g_debug ("decision %s: %s", kios_sync_decision_to_string (decision), resolved->reason);
  set_result (self, self->hash, "pull", resolved->reason);
  update_state (self);
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, (int) decision, resolved->reason);

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
      update_state (self);
      g_signal_emit (self, signals[SIGNAL_PROMPT], 0, resolved->title);
    }
  else if (decision == KIOS_SYNC_DECISION_APPLY_SILENTLY)
    {
      g_autoptr (KiosPosition) target = kios_position_copy (resolved->target);

      set_remote (self, NULL, NULL);
      kios_sync_engine_set_position (self, target, FALSE);
      g_signal_emit (self, signals[SIGNAL_JUMP], 0, target);
    }
  if (decision != KIOS_SYNC_DECISION_PROMPT)
    pull_finished (self);
}

static void
pull_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KiosSyncEngine          *self = user_data;
  g_autoptr (KiosPosition) remote = NULL;
  g_autoptr (GError)       error = NULL;
  g_autoptr (GTask)        task = NULL;
  guint                    serial;
  ResolveData             *data;

  remote = kios_sync_backend_pull_finish (KIOS_SYNC_BACKEND (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->n_loading--;
      update_state (self);
      g_object_unref (self);
      return;
    }
  self->n_loading--;
  if (KIOS_SYNC_BACKEND (source) != current_backend (self) || self->document == NULL)
    {
      update_state (self);
      g_object_unref (self);
      return;
    }

  if (error != NULL)
    {
      handle_failure (self, self->hash, "pull-failed", error);
      pull_finished (self);
      g_object_unref (self);
      return;
    }
  if (remote == NULL)
    {
      set_result (self, self->hash, "pull", "The server has no position for this book yet");
      update_state (self);
      pull_finished (self);
      g_object_unref (self);
      return;
    }

  /* A pull that worked means the server is reachable and the account good. */
  self->offline = FALSE;
  if (!g_hash_table_contains (self->refused, self->hash))
    g_clear_pointer (&self->failing_reason, g_free);

  {
    g_autoptr (JsonNode) node = kios_position_to_json (remote);
    g_autofree char     *json = json_to_string (node, FALSE);

    kios_library_store_set_last_remote (self->store, self->hash, source_name (self), json);
  }

  data = g_new0 (ResolveData, 1);
  data->document = g_object_ref (self->document);
  data->local = kios_position_copy (self->position);
  data->remote = g_steal_pointer (&remote);

  serial = self->book_serial;
  self->n_loading++;
  task = g_task_new (self, self->book_cancellable, resolve_cb, GUINT_TO_POINTER (serial));
  g_task_set_source_tag (task, pull_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) resolve_data_free);
  g_task_run_in_thread (task, resolve_thread);
  g_object_unref (self);
}

static void
start_pull (KiosSyncEngine *self)
{
  if (current_backend (self) == NULL || self->document == NULL || self->halted)
    return;

  self->n_loading++;
  self->pulling = TRUE;
  kios_sync_backend_pull_async (current_backend (self), self->hash, self->format, self->book_cancellable,
                                pull_cb, g_object_ref (self));
  update_state (self);
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

/* The book's own protocol, when it has one (blocking: store and keyring):
 * a book downloaded from a Kobo sync source syncs over Kobo, one from an
 * OPDS catalog with a progression link over Readium; NULL = the global
 * KOReader sync account. A source whose secrets cannot be read falls back
 * to the global account (said in the debug log). */
static KiosSyncBackend *
backend_for_book (KiosLibraryStore *store,
                  const char       *hash,
                  GCancellable     *cancellable,
                  gpointer          user_data)
{
  g_autoptr (GError)  error = NULL;
  KiosKoboBackend    *kobo;
  KiosReadiumBackend *readium;

  kobo = kios_kobo_backend_open_for_book (store, hash, cancellable, &error);
  if (kobo != NULL)
    return KIOS_SYNC_BACKEND (kobo);
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
  return readium != NULL ? KIOS_SYNC_BACKEND (readium) : NULL;
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
  source = result->book_backend != NULL ? kios_sync_backend_get_source_name (result->book_backend)
                                        : data->global_source;
  if (source != NULL)
    {
      result->last_pushed = kios_library_store_get_last_pushed (data->store, data->hash, source, NULL);
      result->pending = kios_library_store_get_pending_push (data->store, data->hash, source, NULL);
    }
  g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
}

static void
update_server (KiosSyncEngine *self)
{
  KiosSyncBackend *backend = current_backend (self);
  g_autofree char *server = backend != NULL ? kios_sync_backend_get_server_label (backend) : NULL;

  if (set_string (&self->server, server))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
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
      update_state (self);
      return;
    }

  self->loaded = TRUE;
  g_set_object (&self->book_backend, loaded->book_backend);
  update_server (self);
  g_clear_pointer (&self->last_pushed, kios_position_free);
  self->last_pushed = g_steal_pointer (&loaded->last_pushed);
  /* A push left over from an earlier session (or a quit that timed out). */
  if (loaded->pending != NULL && current_backend (self) != NULL &&
      !g_hash_table_contains (self->pending, self->hash) &&
      !(self->in_flight != NULL && g_strcmp0 (self->in_flight_hash, self->hash) == 0))
    g_hash_table_insert (self->pending, g_strdup (self->hash),
                         pending_new (loaded->pending, current_backend (self)));

  /* Now that it is known which account serves the book: ask it. */
  start_pull (self);

  if (self->push_requested)
    {
      self->push_requested = FALSE;
      push_current (self);
      kick (self);
    }
  update_state (self);
}

static void
start_book_work (KiosSyncEngine *self)
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
  g_task_set_source_tag (task, start_book_work);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_thread);
}

/* ---- the account --------------------------------------------------------- */

static void
account_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  KiosLibraryStore            *store = task_data;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosKosyncClient) client = NULL;
  GError                      *error = NULL;

  record = kios_sync_source_find_kosync (store, &error);
  if (record == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, NULL, NULL);
      return;
    }
  client = kios_sync_source_open_kosync (record, cancellable, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, kios_kosync_backend_new (record->name, client), g_object_unref);
}

static void
account_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (KiosSyncBackend) backend = NULL;
  g_autoptr (GError)          error = NULL;
  KiosSyncEngine             *self;

  backend = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_SYNC_ENGINE (source);
  self->n_loading--;
  g_clear_object (&self->account_cancellable);
  kios_sync_engine_set_backend (self, backend);
  if (error != NULL)
    {
      /* Configured but unusable (a locked or missing keyring): the status
       * button says so instead of hiding as if sync were off. */
      set_result (self, NULL, "account", error->message);
      g_free (self->failing_reason);
      self->failing_reason = g_strdup (self->last_result);
      update_state (self);
    }
}

/* ---- GObject ------------------------------------------------------------- */

static void
kios_sync_engine_dispose (GObject *object)
{
  KiosSyncEngine *self = KIOS_SYNC_ENGINE (object);

  g_cancellable_cancel (self->account_cancellable);
  g_cancellable_cancel (self->book_cancellable);
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

  live_engines = g_list_remove (live_engines, self);
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
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) pending_free);
  self->refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  live_engines = g_list_prepend (live_engines, self);
  self->book_backend_func = backend_for_book;
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
  g_hash_table_remove_all (self->refused);
  self->halted = FALSE;
  self->offline = FALSE;
  g_clear_pointer (&self->failing_reason, g_free);

  update_server (self);
  update_state (self);
  /* A book on its own protocol keeps it; one on the global account starts over. */
  if (self->document != NULL && self->book_backend == NULL)
    {
      g_cancellable_cancel (self->book_cancellable);
      g_clear_object (&self->book_cancellable);
      self->book_cancellable = g_cancellable_new ();
      self->book_serial++;
      self->pulling = FALSE;
      start_book_work (self);
    }
}

void
kios_sync_engine_set_book_backend_func (KiosSyncEngine         *self,
                                        KiosSyncBookBackendFunc func,
                                        gpointer                user_data)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  self->book_backend_func = func != NULL ? func : backend_for_book;
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
  self->page_turned = FALSE;
  self->prompting = FALSE;
  self->book_cancellable = g_cancellable_new ();
  self->book_serial++;
  set_remote (self, NULL, NULL);

  start_book_work (self);
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
  /* Only memory: a page turn never touches the network or the disk here. */
  kios_position_free (self->position);
  self->position = kios_position_copy (position);
  if (user_turned)
    self->page_turned = TRUE;
}

void
kios_sync_engine_close_book (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  if (self->document == NULL)
    return;

  push_current (self);
  /* Closing ends the wait for the pull; an unanswered prompt keeps its
   * position unsent (the reader never chose it over the remote). */
  self->pulling = FALSE;
  if (self->prompting && !self->page_turned)
    g_hash_table_remove (self->pending, self->hash);
  kick (self);

  /* The pull and the resolve belong to the book; the push does not. */
  g_cancellable_cancel (self->book_cancellable);
  g_clear_object (&self->book_cancellable);
  g_clear_object (&self->document);
  g_clear_pointer (&self->hash, g_free);
  g_clear_pointer (&self->position, kios_position_free);
  g_clear_pointer (&self->last_pushed, kios_position_free);
  g_clear_object (&self->book_backend);
  update_server (self);
  self->book_serial++;
  self->loaded = FALSE;
  self->push_requested = FALSE;
  self->prompting = FALSE;
  set_remote (self, NULL, NULL);
  update_state (self);
}

void
kios_sync_engine_activate (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  /* Back in the foreground: a transient failure gets its retry now. */
  self->offline = FALSE;
  if (g_hash_table_size (self->pending) > 0)
    {
      push_current (self);
      kick (self);
    }
  update_state (self);
}

void
kios_sync_engine_deactivate (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  push_current (self);
  kick (self);
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
  push_current (self);
  kick (self);
  /* Before the book's state is loaded, the load itself starts the pull. */
  if (self->document != NULL && self->loaded && current_backend (self) != NULL)
    {
      self->page_turned = FALSE;
      self->book_serial++;
      start_pull (self);
    }
  update_state (self);
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
  set_remote (self, NULL, NULL);
  kios_sync_engine_set_position (self, target, FALSE);
  g_signal_emit (self, signals[SIGNAL_JUMP], 0, target);
}

void
kios_sync_engine_dismiss_remote (KiosSyncEngine *self)
{
  g_return_if_fail (KIOS_IS_SYNC_ENGINE (self));

  /* The remote stays reachable from the status menu; the local position is
   * pushed as usual at the next background or close. */
  self->prompting = FALSE;
  if (self->push_deferred)
    {
      self->push_deferred = FALSE;
      kick (self);
    }
}

void
kios_sync_engine_go_to_remote (KiosSyncEngine *self)
{
  kios_sync_engine_accept_remote (self);
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

  /* The book's state may still be loading: its push waits for it. */
  while (self->document != NULL && !self->loaded && self->n_loading > 0 &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (context, FALSE), g_usleep (1000);
  kios_sync_engine_close_book (self);

  while (self->in_flight != NULL && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (context, FALSE);
      if (self->in_flight != NULL)
        g_usleep (1000);
    }

  done = self->in_flight == NULL && g_hash_table_size (self->pending) == 0;
  if (!done)
    g_debug ("quit: a push is still pending; it stays in the store");
  /* What is still in flight is dropped; the store keeps it pending. */
  g_cancellable_cancel (self->push_cancellable);
  g_clear_object (&self->push_cancellable);
  /* The pending rows must be on disk before the process goes; a healthy
   * store takes milliseconds, and the quit budget bounds the rest. */
  kios_library_store_flush (self->store,
                            (guint) CLAMP ((end - g_get_monotonic_time ()) / 1000, 50, 500));
  g_object_unref (self);
  return done;
}
