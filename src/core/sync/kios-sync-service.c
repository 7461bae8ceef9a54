/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-service"

#include "config.h"

#include "kios-sync-service.h"

#include "kios-error.h"
#include "kios-kobo-library.h"
#include "kios-kosync-backend.h"
#include "kios-redact.h"
#include "kios-sync-engine-private.h"
#include "kios-sync-source.h"

struct _KiosSyncService
{
  GObject parent_instance;

  KiosLibraryStore *store;
  GPtrArray        *engines; /* weak: an engine detaches when it goes */
  GHashTable       *busy;    /* source name → the engine with a push in flight */
  gulong            write_failed_id;
};

G_DEFINE_FINAL_TYPE (KiosSyncService, kios_sync_service, G_TYPE_OBJECT)

enum {
  SIGNAL_STATUS_CHANGED,
  SIGNAL_STORE_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- for the engines ------------------------------------------------------ */

void
kios_sync_service_attach (KiosSyncService *self,
                          KiosSyncEngine  *engine)
{
  g_ptr_array_add (self->engines, engine);
}

void
kios_sync_service_detach (KiosSyncService *self,
                          KiosSyncEngine  *engine)
{
  GHashTableIter iter;
  gpointer       value;
  gboolean       freed = FALSE;

  g_ptr_array_remove (self->engines, engine);
  g_hash_table_iter_init (&iter, self->busy);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (value == engine)
        {
          g_hash_table_iter_remove (&iter);
          freed = TRUE;
        }
    }
  for (guint i = 0; freed && i < self->engines->len; i++)
    kios_sync_engine_kick (self->engines->pdata[i]);
}

gboolean
kios_sync_service_account_taken (KiosSyncService *self,
                                 KiosSyncEngine  *engine,
                                 const char      *source)
{
  KiosSyncEngine *owner = g_hash_table_lookup (self->busy, source);

  return owner != NULL && owner != engine;
}

void
kios_sync_service_take_account (KiosSyncService *self,
                                KiosSyncEngine  *engine,
                                const char      *source)
{
  g_hash_table_replace (self->busy, g_strdup (source), engine);
}

/* The account is free again: the other engines waiting on it go on. */
void
kios_sync_service_release_account (KiosSyncService *self,
                                   KiosSyncEngine  *engine,
                                   const char      *source)
{
  g_autoptr (GPtrArray) others = NULL;

  if (g_hash_table_lookup (self->busy, source) != engine)
    return;
  g_hash_table_remove (self->busy, source);
  /* A kick may end in another engine's dispose: work on a copy. */
  others = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->engines->len; i++)
    if (self->engines->pdata[i] != engine)
      g_ptr_array_add (others, g_object_ref (self->engines->pdata[i]));
  for (guint i = 0; i < others->len; i++)
    {
      kios_sync_engine_kick (others->pdata[i]);
      kios_sync_engine_update_state (others->pdata[i]);
    }
}

/* An engine stored a status: its siblings show the same truth. */
void
kios_sync_service_status_recorded (KiosSyncService      *self,
                                   KiosSyncEngine       *engine,
                                   const KiosSyncStatus *status)
{
  for (guint i = 0; i < self->engines->len; i++)
    if (self->engines->pdata[i] != engine)
      kios_sync_engine_take_status (self->engines->pdata[i], status);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, status->source, status->book_hash);
}

static void
on_write_failed (KiosLibraryStore *store,
                 const GError     *error,
                 KiosSyncService  *self)
{
  g_signal_emit (self, signals[SIGNAL_STORE_ERROR], 0, error);
}

/* ---- GObject ---------------------------------------------------------------- */

static void
kios_sync_service_dispose (GObject *object)
{
  KiosSyncService *self = KIOS_SYNC_SERVICE (object);

  /* Engines outliving the service become engines of their own. */
  while (self->engines->len > 0)
    {
      KiosSyncEngine *engine = g_ptr_array_steal_index (self->engines, self->engines->len - 1);

      g_object_remove_weak_pointer (object, (gpointer *) &engine->service);
      engine->service = NULL;
    }
  g_hash_table_remove_all (self->busy);
  if (self->store != NULL && self->write_failed_id != 0)
    g_clear_signal_handler (&self->write_failed_id, self->store);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kios_sync_service_parent_class)->dispose (object);
}

static void
kios_sync_service_finalize (GObject *object)
{
  KiosSyncService *self = KIOS_SYNC_SERVICE (object);

  g_ptr_array_unref (self->engines);
  g_hash_table_unref (self->busy);

  G_OBJECT_CLASS (kios_sync_service_parent_class)->finalize (object);
}

static void
kios_sync_service_class_init (KiosSyncServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_sync_service_dispose;
  object_class->finalize = kios_sync_service_finalize;

  /**
   * KiosSyncService::status-changed:
   * @self: the service
   * @source: (nullable): the source whose status changed; NULL: any
   * @book_hash: (nullable): the book, or NULL for the source as a whole
   */
  signals[SIGNAL_STATUS_CHANGED] =
      g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * KiosSyncService::store-error:
   * @self: the service
   * @error: (type gpointer): the const GError of a library write that failed
   */
  signals[SIGNAL_STORE_ERROR] =
      g_signal_new ("store-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
kios_sync_service_init (KiosSyncService *self)
{
  self->engines = g_ptr_array_new ();
  self->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ---- public API ------------------------------------------------------------- */

/**
 * kios_sync_service_new:
 * @store: the library store (the service keeps a reference)
 *
 * Returns: (transfer full): the service; no engine yet.
 */
KiosSyncService *
kios_sync_service_new (KiosLibraryStore *store)
{
  KiosSyncService *self;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  self = g_object_new (KIOS_TYPE_SYNC_SERVICE, NULL);
  self->store = g_object_ref (store);
  self->write_failed_id = g_signal_connect (store, "write-failed", G_CALLBACK (on_write_failed), self);
  return self;
}

KiosLibraryStore *
kios_sync_service_get_store (KiosSyncService *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), NULL);
  return self->store;
}

KiosSyncEngine *
kios_sync_service_create_engine (KiosSyncService *self)
{
  KiosSyncEngine *engine;

  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), NULL);

  engine = kios_sync_engine_new (self->store);
  engine->service = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &engine->service);
  kios_sync_service_attach (self, engine);
  kios_sync_engine_load_account (engine);
  return engine;
}

void
kios_sync_service_reload (KiosSyncService *self)
{
  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));

  for (guint i = 0; i < self->engines->len; i++)
    kios_sync_engine_load_account (self->engines->pdata[i]);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, NULL, NULL);
}

void
kios_sync_service_sync_now (KiosSyncService *self)
{
  g_autoptr (GPtrArray) engines = NULL;

  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));

  engines = g_ptr_array_copy (self->engines, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  g_ptr_array_set_free_func (engines, g_object_unref);
  for (guint i = 0; i < engines->len; i++)
    kios_sync_engine_sync_now (engines->pdata[i]);
}

/* ---- status ----------------------------------------------------------------- */

static const char *
protocol_of_kind (const char *kind)
{
  if (g_strcmp0 (kind, "kosync") == 0)
    return "kosync";
  if (g_strcmp0 (kind, "kobo") == 0)
    return "kobo";
  if (g_strcmp0 (kind, "opds") == 0)
    return "readium";
  return kind;
}

static KiosSourceRecord *
find_record (GPtrArray  *records,
             const char *name)
{
  for (guint i = 0; i < records->len; i++)
    {
      KiosSourceRecord *record = records->pdata[i];

      if (g_strcmp0 (record->name, name) == 0)
        return record;
    }
  return NULL;
}

static KiosSyncStatus *
find_status (GPtrArray  *statuses,
             const char *source)
{
  for (guint i = 0; i < statuses->len; i++)
    {
      KiosSyncStatus *status = statuses->pdata[i];

      if (g_strcmp0 (status->source, source) == 0)
        return status;
    }
  return NULL;
}

/* A switched-off source is OFF whatever was stored; the rest is as stored. */
static void
apply_enabled (KiosSyncStatus         *status,
               const KiosSourceRecord *record)
{
  /* Nothing stored yet: the server is the one configured (redacted; a URL
   * that is itself a secret is not in the store at all). */
  if (record != NULL && status->server == NULL && record->url != NULL)
    status->server = kios_redact_url (record->url);
  if (record == NULL || kios_source_record_get_enabled (record))
    return;
  status->state = KIOS_SYNC_STATUS_OFF;
  g_free (status->detail);
  status->detail = g_strdup ("sync through this source is switched off");
}

/* The book's own source from what its download stored (book meta), or the
 * KOReader sync account. Blocking. */
static KiosSourceRecord *
serving_source (KiosLibraryStore *store,
                GPtrArray        *records,
                const char       *book_hash)
{
  g_autofree char  *kobo = kios_library_store_get_book_meta (store, book_hash, KIOS_KOBO_META_SOURCE);
  g_autofree char  *link = kios_library_store_get_book_meta (store, book_hash, "opds.progression");
  g_autofree char  *opds = kios_library_store_get_book_meta (store, book_hash, "opds.source");
  KiosSourceRecord *record;

  if (kobo != NULL && (record = find_record (records, kobo)) != NULL && g_strcmp0 (record->kind, "kobo") == 0)
    return kios_source_record_copy (record);
  if (link != NULL && *link != '\0' && opds != NULL && (record = find_record (records, opds)) != NULL &&
      g_strcmp0 (record->kind, "opds") == 0)
    return kios_source_record_copy (record);
  return kios_sync_source_find_kosync (store, NULL);
}

static GPtrArray *
list_status (KiosLibraryStore *store,
             const char       *book_hash,
             GError          **error)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GPtrArray) stored = NULL;
  g_autoptr (GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_sync_status_free);

  records = kios_library_store_list_sources (store, error);
  if (records == NULL)
    return NULL;
  stored = kios_library_store_list_sync_status (store, book_hash, error);
  if (stored == NULL)
    return NULL;

  if (book_hash == NULL)
    {
      /* Every source that syncs positions: the KOReader sync account and
       * Kobo sources always, OPDS catalogs once a book synced through one. */
      for (guint i = 0; i < records->len; i++)
        {
          KiosSourceRecord *record = records->pdata[i];
          KiosSyncStatus   *row = find_status (stored, record->name);
          KiosSyncStatus   *status;

          if (row == NULL && g_strcmp0 (record->kind, "opds") == 0)
            continue;
          status = row != NULL ? kios_sync_status_copy (row)
                               : kios_sync_status_new (protocol_of_kind (record->kind), record->name, NULL);
          if (status->protocol == NULL)
            status->protocol = g_strdup (protocol_of_kind (record->kind));
          apply_enabled (status, record);
          g_ptr_array_add (result, status);
        }
      return g_steal_pointer (&result);
    }

  /* One book: what was stored for it, through sources that still exist. */
  for (guint i = 0; i < stored->len; i++)
    {
      KiosSyncStatus   *row = stored->pdata[i];
      KiosSourceRecord *record = find_record (records, row->source);
      KiosSyncStatus   *status;

      if (record == NULL)
        continue;
      status = kios_sync_status_copy (row);
      apply_enabled (status, record);
      g_ptr_array_add (result, status);
    }
  /* Nothing stored yet: NEVER (or OFF) for the source that serves it (PRODUCT.md
   * "Which protocol serves a book"): the Kobo source it came from, the OPDS
   * catalog whose progression link it has, else the KOReader sync account. */
  if (result->len == 0)
    {
      g_autoptr (KiosSourceRecord) serving = serving_source (store, records, book_hash);

      if (serving != NULL)
        {
          KiosSyncStatus *status = kios_sync_status_new (protocol_of_kind (serving->kind), serving->name,
                                                         book_hash);

          apply_enabled (status, serving);
          g_ptr_array_add (result, status);
        }
    }
  return g_steal_pointer (&result);
}

/* What the engines know now and did not store: a book whose position waits
 * (PENDING with its reason) or a source switched off a moment ago. */
static void
lay_engines_over (KiosSyncService *self,
                  GPtrArray       *statuses,
                  const char      *book_hash)
{
  for (guint i = 0; i < self->engines->len; i++)
    {
      const KiosSyncStatus *live = kios_sync_engine_get_status (self->engines->pdata[i]);

      if (live == NULL || live->source == NULL || g_strcmp0 (live->book_hash, book_hash) != 0)
        continue;
      for (guint j = 0; j < statuses->len; j++)
        {
          KiosSyncStatus *status = statuses->pdata[j];

          if (g_strcmp0 (status->source, live->source) != 0 || status->state == KIOS_SYNC_STATUS_OFF)
            continue;
          if (live->state == KIOS_SYNC_STATUS_PENDING || live->state == KIOS_SYNC_STATUS_OFF)
            {
              kios_sync_status_free (status);
              statuses->pdata[j] = kios_sync_status_copy (live);
            }
        }
    }
}

GPtrArray *
kios_sync_service_list_status (KiosSyncService *self,
                               const char      *book_hash,
                               GError         **error)
{
  GPtrArray *statuses;

  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), NULL);

  statuses = list_status (self->store, book_hash, error);
  if (statuses != NULL && g_main_context_is_owner (g_main_context_default ()))
    lay_engines_over (self, statuses, book_hash);
  return statuses;
}

static void
list_status_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  KiosSyncService *self = source_object;
  GError          *error = NULL;
  GPtrArray       *statuses;

  statuses = list_status (self->store, task_data, &error);
  if (statuses == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, statuses, (GDestroyNotify) g_ptr_array_unref);
}

void
kios_sync_service_list_status_async (KiosSyncService    *self,
                                     const char         *book_hash,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_sync_service_list_status_async);
  g_task_set_task_data (task, g_strdup (book_hash), g_free);
  g_task_run_in_thread (task, list_status_thread);
}

GPtrArray *
kios_sync_service_list_status_finish (KiosSyncService *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  GPtrArray *statuses;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  statuses = g_task_propagate_pointer (G_TASK (result), error);
  /* Back on the main thread: the engines' live view goes on top. */
  if (statuses != NULL)
    lay_engines_over (self, statuses, g_task_get_task_data (G_TASK (result)));
  return statuses;
}

/* ---- the log ---------------------------------------------------------------- */

GPtrArray *
kios_sync_service_list_log (KiosSyncService *self,
                            const char      *book_hash,
                            guint            limit,
                            GError         **error)
{
  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), NULL);

  return kios_library_store_list_sync_log (self->store, book_hash, limit, error);
}

typedef struct
{
  char *book_hash;
  guint limit;
} LogQuery;

static void
log_query_free (LogQuery *query)
{
  g_free (query->book_hash);
  g_free (query);
}

static void
list_log_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  KiosSyncService *self = source_object;
  LogQuery        *query = task_data;
  GError          *error = NULL;
  GPtrArray       *entries;

  entries = kios_library_store_list_sync_log (self->store, query->book_hash, query->limit, &error);
  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

void
kios_sync_service_list_log_async (KiosSyncService    *self,
                                  const char         *book_hash,
                                  guint               limit,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  LogQuery         *query;

  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));

  query = g_new0 (LogQuery, 1);
  query->book_hash = g_strdup (book_hash);
  query->limit = limit;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_sync_service_list_log_async);
  g_task_set_task_data (task, query, (GDestroyNotify) log_query_free);
  g_task_run_in_thread (task, list_log_thread);
}

GPtrArray *
kios_sync_service_list_log_finish (KiosSyncService *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- on and off ------------------------------------------------------------- */

gboolean
kios_sync_service_set_enabled (KiosSyncService *self,
                               const char      *source,
                               gboolean         enabled,
                               GError         **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           local_error = NULL;

  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), FALSE);
  g_return_val_if_fail (source != NULL, FALSE);

  if (g_strcmp0 (source, "kosync") == 0)
    {
      record = kios_sync_source_find_kosync (self->store, &local_error);
      if (record == NULL && local_error == NULL)
        g_set_error_literal (&local_error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                             "No KOReader sync account is set up");
    }
  else
    record = kios_library_store_get_source (self->store, source, &local_error);
  if (record == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (kios_source_record_get_enabled (record) != enabled)
    {
      kios_source_record_set_enabled (record, enabled);
      if (!kios_library_store_update_source (self->store, record, error))
        return FALSE;
    }

  for (guint i = 0; i < self->engines->len; i++)
    kios_sync_engine_set_source_enabled (self->engines->pdata[i], record->name, enabled);
  kios_sync_service_reload (self);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, record->name, NULL);
  return TRUE;
}

/* The stored status of the book (book_hash) or the source (NULL) after an
 * exchange; touches the store only (any thread). */
static void
store_status (KiosLibraryStore *store,
              const char       *protocol,
              const char       *source,
              const char       *book_hash,
              const GError     *error,
              const char       *server)
{
  g_autoptr (KiosSyncStatus) status = NULL;

  status = kios_library_store_get_sync_status (store, source, book_hash, NULL);
  if (status == NULL)
    status = kios_sync_status_new (protocol, source, book_hash);
  if (status->protocol == NULL)
    status->protocol = g_strdup (protocol);
  kios_sync_status_apply (status, error, server);
  kios_library_store_set_sync_status (store, status);
}

/* An exchange in the sync log and the statuses it changes (see
 * kios_sync_service_record); touches the store only (any thread). Returns
 * whether the source's own status was written too. */
static gboolean
store_record (KiosLibraryStore       *store,
              const KiosSyncLogEntry *entry,
              const GError           *error,
              const char             *server)
{
  g_autoptr (KiosSyncLogEntry) copy = kios_sync_log_entry_copy (entry);
  gboolean                     source_wide = error == NULL || kios_sync_status_error_is_source_wide (error);

  g_free (copy->result);
  copy->result = g_strdup (kios_sync_status_state_to_string (
      error != NULL ? kios_sync_status_state_for_error (error) : KIOS_SYNC_STATUS_SYNCED));
  if (error != NULL && copy->detail == NULL)
    copy->detail = g_strdup (error->message);
  kios_library_store_add_sync_log (store, copy);

  if (entry->book_hash != NULL)
    store_status (store, entry->protocol, entry->source, entry->book_hash, error, server);
  if (source_wide)
    store_status (store, entry->protocol, entry->source, NULL, error, server);
  return source_wide;
}

void
kios_sync_service_record (KiosSyncService        *self,
                          const KiosSyncLogEntry *entry,
                          const GError           *error,
                          const char             *server)
{
  gboolean source_wide;

  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));
  g_return_if_fail (entry != NULL && entry->source != NULL && entry->direction != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  source_wide = store_record (self->store, entry, error, server);
  if (entry->book_hash != NULL)
    g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, entry->source, entry->book_hash);
  if (source_wide)
    g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, entry->source, NULL);
}

void
kios_sync_service_record_test (KiosSyncService *self,
                               const char      *protocol,
                               const char      *source,
                               const GError    *error,
                               const char      *server)
{
  g_autoptr (KiosSyncStatus) status = NULL;

  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));
  g_return_if_fail (source != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  status = kios_library_store_get_sync_status (self->store, source, NULL, NULL);
  if (status == NULL)
    status = kios_sync_status_new (protocol, source, NULL);
  if (error != NULL)
    kios_sync_status_apply (status, error, server);
  else
    {
      if (!kios_sync_status_state_is_failure (status->state) && status->state != KIOS_SYNC_STATUS_NEVER)
        return; /* nothing to lift */
      status->state = status->synced_at > 0 ? KIOS_SYNC_STATUS_SYNCED : KIOS_SYNC_STATUS_NEVER;
      status->time = g_get_real_time () / G_USEC_PER_SEC;
      status->error_domain = 0;
      status->error_code = 0;
      g_clear_pointer (&status->detail, g_free);
      if (server != NULL)
        {
          g_free (status->server);
          status->server = g_strdup (server);
        }
    }
  kios_library_store_set_sync_status (self->store, status);
  for (guint i = 0; i < self->engines->len; i++)
    kios_sync_engine_take_status (self->engines->pdata[i], status);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, source, NULL);
}

gboolean
kios_sync_service_shutdown (KiosSyncService *self,
                            guint            timeout_ms)
{
  g_autoptr (GPtrArray)    engines = NULL;
  g_autoptr (GMainContext) context = NULL;
  gint64                   end;
  gboolean                 done = TRUE;
  gboolean                 busy = TRUE;

  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), FALSE);

  end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  context = g_main_context_ref_thread_default ();
  engines = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->engines->len; i++)
    g_ptr_array_add (engines, g_object_ref (self->engines->pdata[i]));

  /* Every engine closes its book at once; their pushes run side by side
   * (one per account), within one budget. */
  for (guint i = 0; i < engines->len; i++)
    kios_sync_engine_begin_shutdown (engines->pdata[i], end);
  while (busy && g_get_monotonic_time () < end)
    {
      busy = FALSE;
      for (guint i = 0; i < engines->len; i++)
        {
          KiosSyncEngine *engine = engines->pdata[i];

          /* A push that returns kicks the next one at once (this engine's,
           * or another's on the same account), so in flight is enough;
           * what cannot go (off, refused, offline) does not hold the quit. */
          if (engine->in_flight != NULL)
            busy = TRUE;
        }
      if (busy)
        {
          g_main_context_iteration (context, FALSE);
          g_usleep (1000);
        }
    }
  for (guint i = 0; i < engines->len; i++)
    if (!kios_sync_engine_end_shutdown (engines->pdata[i]))
      done = FALSE;

  if (!kios_library_store_flush (self->store,
                                 (guint) CLAMP ((end - g_get_monotonic_time ()) / 1000, 50, 500)))
    done = FALSE;
  return done;
}

/* ---- sending one book's pending push (a removal) ------------------------- */

typedef struct
{
  KiosLibraryStore *store;
  char             *hash;
  guint             timeout_ms;
} FlushRequest;

static void
flush_request_free (FlushRequest *request)
{
  g_clear_object (&request->store);
  g_free (request->hash);
  g_free (request);
}

/* Cancels a flush at its deadline from a thread of its own: its blocking
 * steps (opening a backend reads the keyring, a Kobo source may ask its
 * server) run no main loop a timer could fire on. */
typedef struct
{
  GMutex        lock;
  GCond         cond;
  gboolean      done;
  gboolean      fired;
  gint64        deadline; /* monotonic */
  GCancellable *cancellable;
  GThread      *thread;
} Deadline;

static gpointer
deadline_thread (gpointer user_data)
{
  Deadline *d = user_data;

  g_mutex_lock (&d->lock);
  while (!d->done && g_cond_wait_until (&d->cond, &d->lock, d->deadline))
    ;
  if (!d->done)
    {
      d->fired = TRUE;
      g_cancellable_cancel (d->cancellable);
    }
  g_mutex_unlock (&d->lock);
  return NULL;
}

static void
deadline_start (Deadline *d,
                guint     timeout_ms)
{
  g_mutex_init (&d->lock);
  g_cond_init (&d->cond);
  d->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  d->cancellable = g_cancellable_new ();
  d->thread = g_thread_new ("kios-flush-deadline", deadline_thread, d);
}

static void
deadline_stop (Deadline *d)
{
  g_mutex_lock (&d->lock);
  d->done = TRUE;
  g_cond_signal (&d->cond);
  g_mutex_unlock (&d->lock);
  g_thread_join (d->thread);
  g_clear_object (&d->cancellable);
  g_cond_clear (&d->cond);
  g_mutex_clear (&d->lock);
}

static void
flush_cancel_cb (GCancellable *cancellable,
                 gpointer      other)
{
  g_cancellable_cancel (other);
}

static void
flush_push_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **outcome = user_data;
  GError  *local = NULL;

  kios_sync_backend_push_finish (KIOS_SYNC_BACKEND (source), result, &local);
  /* outcome now points somewhere else than the sentinel: done. */
  *outcome = local;
}

/* One push through the backend's own push_async (a bridge sends to its
 * partners too), its callback on a context of this thread's own. */
static gboolean
flush_push (KiosSyncBackend    *backend,
            const char         *hash,
            const KiosPosition *position,
            GCancellable       *cancellable,
            GError            **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  GError                   sentinel = { 0 };
  GError                  *outcome = &sentinel;

  g_main_context_push_thread_default (context);
  kios_sync_backend_push_async (backend, hash, position, cancellable, flush_push_cb, &outcome);
  while (outcome == &sentinel)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  if (outcome != NULL)
    {
      g_propagate_error (error, outcome);
      return FALSE;
    }
  return TRUE;
}

/* The backend that takes the book's pushes for source, as an engine would
 * open it for the book (its Kobo or OPDS progression source, bridged to
 * the KOReader sync account when bridging applies; or that account). */
static KiosSyncBackend *
flush_open_backend (KiosLibraryStore *store,
                    const char       *hash,
                    const char       *source,
                    GCancellable     *cancellable,
                    GError          **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosSyncBackend)  own = NULL;
  g_autoptr (GError)           local_error = NULL;

  own = kios_sync_engine_backend_for_book (store, hash, cancellable, NULL);
  if (own != NULL && g_strcmp0 (kios_sync_backend_get_source_name (own), source) == 0)
    return g_steal_pointer (&own);

  record = kios_sync_source_find_kosync (store, &local_error);
  if (record != NULL && g_strcmp0 (record->name, source) == 0)
    {
      g_autoptr (KiosBookRecord) book = NULL;
      KiosKosyncBackend         *kosync = kios_kosync_backend_open (record, store, cancellable, error);

      if (kosync == NULL)
        return NULL;
      book = kios_library_store_get_book (store, hash, NULL);
      if (book != NULL && book->path != NULL)
        kios_kosync_backend_set_book_path (kosync, hash, book->path);
      return KIOS_SYNC_BACKEND (kosync);
    }
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                 "The book no longer syncs through “%s”", source);
  return NULL;
}

/* The flush in the book's sync log, as an engine records a push. */
static void
flush_record (KiosLibraryStore *store,
              KiosSyncBackend  *backend,
              const char       *source,
              const char       *hash,
              KiosBookFormat    format,
              const GError     *error)
{
  g_autoptr (KiosSyncLogEntry) entry = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autofree char             *server = NULL;
  g_autofree char             *detail = NULL;
  const char                  *protocol;

  if (backend != NULL)
    {
      protocol = kios_sync_protocol_to_string (kios_sync_backend_get_protocol (backend));
      server = kios_sync_backend_get_server_label (backend);
    }
  else
    {
      record = kios_library_store_get_source (store, source, NULL);
      protocol = protocol_of_kind (record != NULL ? record->kind : "kosync");
    }
  if (error != NULL)
    {
      g_autofree char *safe = kios_redact_text (error->message);

      detail = g_strdup_printf ("Dropped with the book: %s", safe);
    }
  entry = kios_sync_log_entry_new (protocol, source, hash, "push", NULL,
                                   error != NULL ? detail : "Position sent before the book was removed");
  if (backend != NULL)
    entry->precision = g_strdup (kios_sync_precision_to_string (kios_sync_backend_get_precision (backend, format)));
  store_record (store, entry, error, server);
}

static GStrv
flush_book (KiosLibraryStore *store,
            const char       *hash,
            guint             timeout_ms,
            GCancellable     *cancellable)
{
  g_auto (GStrv)           sources = NULL;
  g_autoptr (GStrvBuilder) unsent = g_strv_builder_new ();
  Deadline                 deadline = { 0 };
  gulong                   link = 0;
  gboolean                 any = FALSE;

  sources = kios_library_store_list_pending_sources (store, hash, NULL);
  if (sources == NULL || sources[0] == NULL)
    return NULL;
  deadline_start (&deadline, timeout_ms);
  if (cancellable != NULL)
    link = g_cancellable_connect (cancellable, G_CALLBACK (flush_cancel_cb), g_object_ref (deadline.cancellable),
                                  g_object_unref);
  for (guint i = 0; sources[i] != NULL; i++)
    {
      g_autoptr (KiosPosition)    position = NULL;
      g_autoptr (KiosSyncBackend) backend = NULL;
      g_autoptr (GError)          error = NULL;

      position = kios_library_store_get_pending_push (store, hash, sources[i], NULL);
      if (position == NULL)
        continue;
      if (!g_cancellable_set_error_if_cancelled (deadline.cancellable, &error))
        backend = flush_open_backend (store, hash, sources[i], deadline.cancellable, &error);
      if (backend != NULL && flush_push (backend, hash, position, deadline.cancellable, &error))
        {
          kios_library_store_clear_pending_push (store, hash, sources[i], position->updated_at);
          kios_library_store_set_last_pushed (store, hash, sources[i], position);
          flush_record (store, backend, sources[i], hash, position->format, NULL);
          continue;
        }
      if (deadline.fired && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          g_set_error (&error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT,
                       "The server did not take the position within %u ms", timeout_ms);
        }
      g_debug ("The pending position for %s was not sent: %s", sources[i], error->message);
      flush_record (store, backend, sources[i], hash, position->format, error);
      g_strv_builder_add (unsent, sources[i]);
      any = TRUE;
    }
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, link);
  deadline_stop (&deadline);
  return any ? g_strv_builder_end (unsent) : NULL;
}

GStrv
kios_sync_service_flush_book (KiosSyncService *self,
                              const char      *hash,
                              guint            timeout_ms,
                              GCancellable    *cancellable)
{
  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  return flush_book (self->store, hash, timeout_ms, cancellable);
}

static void
flush_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FlushRequest *request = task_data;

  g_task_return_pointer (task,
                         flush_book (request->store, request->hash, request->timeout_ms,
                                     cancellable),
                         (GDestroyNotify) g_strfreev);
}

void
kios_sync_service_flush_book_async (KiosSyncService    *self,
                                    const char         *hash,
                                    guint               timeout_ms,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  FlushRequest     *request;

  g_return_if_fail (KIOS_IS_SYNC_SERVICE (self));
  g_return_if_fail (hash != NULL);

  request = g_new0 (FlushRequest, 1);
  request->store = g_object_ref (self->store);
  request->hash = g_strdup (hash);
  request->timeout_ms = timeout_ms;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_sync_service_flush_book_async);
  g_task_set_task_data (task, request, (GDestroyNotify) flush_request_free);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, flush_worker);
}

GStrv
kios_sync_service_flush_book_finish (KiosSyncService *self,
                                     GAsyncResult    *result)
{
  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_sync_service_flush_book_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), NULL);
}
