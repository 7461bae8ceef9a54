/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-session"

#include "config.h"

#include "kios-kobo-session.h"

#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

void
kios_kobo_refresh_free (KiosKoboRefresh *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->record, kios_source_record_free);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_free (self->warning);
  g_clear_error (&self->failure);
  g_free (self);
}

/* The store's record, not the caller's copy: an older copy lacks the catalog
 * key the first connect drew, and would draw another one (an empty catalog,
 * and on CW/CWA books already delivered would never list again). */
static KiosSourceRecord *
current_record (KiosLibraryStore       *store,
                const KiosSourceRecord *record)
{
  KiosSourceRecord *stored = kios_library_store_get_source (store, record->name, NULL);

  return stored != NULL ? stored : kios_source_record_copy (record);
}

KiosKoboRefresh *
kios_kobo_source_refresh (KiosLibraryStore       *store,
                          const KiosSourceRecord *record,
                          GCancellable           *cancellable,
                          GError                **error)
{
  g_autoptr (KiosKoboRefresh)  result = g_new0 (KiosKoboRefresh, 1);
  g_autoptr (KiosKoboClient)   client = NULL;
  g_autoptr (KiosKoboSettings) settings = NULL;
  g_autoptr (GError)           failure = NULL;

  result->record = current_record (store, record);
  client = kios_kobo_source_open (result->record, cancellable, error);
  if (client == NULL)
    return NULL;

  result->connected = kios_kobo_source_connect (client, store, result->record, cancellable, &failure);
  if (g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return NULL;
    }

  settings = kios_kobo_settings_parse (result->record->settings_json);
  result->family = result->connected ? settings->family : KIOS_KOBO_FAMILY_UNKNOWN;
  /* The consent rule: without it, never a v1/library/sync. A server that
   * was never recognised counts as one that needs it. */
  if (!kios_kobo_library_check_consent (settings->family, settings->library_sync, NULL))
    {
      if (!result->connected && settings->family == KIOS_KOBO_FAMILY_UNKNOWN)
        {
          g_propagate_error (error, g_steal_pointer (&failure));
          return NULL;
        }
      result->family = settings->family;
      result->needs_consent = TRUE;
      return g_steal_pointer (&result);
    }

  if (failure == NULL && !kios_kobo_library_sync (client, store, result->record, &result->stats, cancellable, &failure) && g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return NULL;
    }

  result->entries = kios_kobo_catalog_list (store, result->record->name);
  if (failure != NULL)
    {
      /* Nothing stored to fall back on: the failure is the answer. */
      if (result->entries == NULL || result->entries->len == 0)
        {
          g_propagate_error (error, g_steal_pointer (&failure));
          return NULL;
        }
      result->warning = kios_redact_text (failure->message);
      result->failure = g_steal_pointer (&failure);
    }
  return g_steal_pointer (&result);
}

gboolean
kios_kobo_source_set_consent (KiosLibraryStore *store,
                              const char       *source_name,
                              gboolean          consent,
                              GError          **error)
{
  g_autoptr (KiosSourceRecord) record = kios_library_store_get_source (store, source_name, error);
  g_autoptr (KiosKoboSettings) settings = NULL;
  g_autofree char             *merged = NULL;

  if (record == NULL)
    return FALSE;
  settings = kios_kobo_settings_parse (record->settings_json);
  settings->library_sync = consent;
  merged = kios_kobo_settings_merge (record->settings_json, settings);
  g_free (record->settings_json);
  record->settings_json = g_steal_pointer (&merged);
  return kios_library_store_update_source (store, record, error);
}

char *
kios_kobo_source_download (KiosLibraryStore       *store,
                           const KiosSourceRecord *record,
                           const char             *entitlement_id,
                           char                  **hash,
                           gboolean               *existing,
                           GCancellable           *cancellable,
                           GError                **error)
{
  g_autoptr (KiosSourceRecord) current = current_record (store, record);
  g_autoptr (KiosKoboClient)   client = kios_kobo_source_open (current, cancellable, error);
  char                        *path;

  if (client == NULL)
    return NULL;
  path = kios_kobo_library_download (client, store, current->name, entitlement_id, existing, cancellable, error);
  if (path != NULL && hash != NULL)
    {
      g_autoptr (KiosBookRecord) book = kios_library_store_get_book_by_path (store, path, NULL);

      *hash = book != NULL ? g_strdup (book->hash) : NULL;
    }
  return path;
}

/* ------------------------------------------------------------------------ */
/* Async.                                                                   */

typedef struct
{
  KiosLibraryStore *store;
  KiosSourceRecord *record;
  char             *entitlement_id;
  char             *hash;
  gboolean          existing;
  GPtrArray        *cover_ids;
  KiosKoboCoverFunc each_cb;
  gpointer          each_data;
  GMainContext     *context;
  GCancellable     *cancellable;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->store);
  g_clear_pointer (&job->record, kios_source_record_free);
  g_free (job->entitlement_id);
  g_free (job->hash);
  g_clear_pointer (&job->cover_ids, g_ptr_array_unref);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_clear_object (&job->cancellable);
  g_free (job);
}

static GTask *
job_task (KiosLibraryStore       *store,
          const KiosSourceRecord *record,
          gpointer                source_tag,
          GCancellable           *cancellable,
          GAsyncReadyCallback     callback,
          gpointer                user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Job   *job = g_new0 (Job, 1);

  job->store = store != NULL ? g_object_ref (store) : NULL;
  job->record = kios_source_record_copy (record);
  job->context = g_main_context_ref_thread_default ();
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  return task;
}

static void
refresh_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job             *job = task_data;
  GError          *error = NULL;
  KiosKoboRefresh *result = kios_kobo_source_refresh (job->store, job->record, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) kios_kobo_refresh_free);
}

void
kios_kobo_source_refresh_async (KiosLibraryStore       *store,
                                const KiosSourceRecord *record,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_autoptr (GTask) task = job_task (store, record, kios_kobo_source_refresh_async, cancellable, callback, user_data);

  g_task_run_in_thread (task, refresh_worker);
}

KiosKoboRefresh *
kios_kobo_source_refresh_finish (GAsyncResult *result,
                                 GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
connect_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job                         *job = task_data;
  GError                      *error = NULL;
  g_autoptr (KiosSourceRecord) record = current_record (job->store, job->record);
  g_autoptr (KiosKoboClient)   client = kios_kobo_source_open (record, cancellable, &error);

  if (client == NULL || !kios_kobo_source_connect (client, job->store, record, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&record), (GDestroyNotify) kios_source_record_free);
}

void
kios_kobo_source_connect_async (KiosLibraryStore       *store,
                                const KiosSourceRecord *record,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_autoptr (GTask) task = job_task (store, record, kios_kobo_source_connect_async, cancellable, callback, user_data);

  g_task_run_in_thread (task, connect_worker);
}

KiosSourceRecord *
kios_kobo_source_connect_finish (GAsyncResult *result,
                                 GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
download_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;
  char   *path = kios_kobo_source_download (job->store, job->record, job->entitlement_id, &job->hash,
                                            &job->existing, cancellable, &error);

  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

void
kios_kobo_source_download_async (KiosLibraryStore       *store,
                                 const KiosSourceRecord *record,
                                 const char             *entitlement_id,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  g_autoptr (GTask) task = job_task (store, record, kios_kobo_source_download_async, cancellable, callback,
                                     user_data);
  Job              *job = g_task_get_task_data (task);

  job->entitlement_id = g_strdup (entitlement_id);
  g_task_run_in_thread (task, download_worker);
}

char *
kios_kobo_source_download_finish (GAsyncResult *result,
                                  char        **hash,
                                  gboolean     *existing,
                                  GError      **error)
{
  Job  *job;
  char *path;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  job = g_task_get_task_data (G_TASK (result));
  path = g_task_propagate_pointer (G_TASK (result), error);
  if (hash != NULL)
    *hash = path != NULL ? g_strdup (job->hash) : NULL;
  if (existing != NULL)
    *existing = path != NULL && job->existing;
  return path;
}

static void
consent_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;

  if (!kios_kobo_source_set_consent (job->store, job->record->name, job->existing, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
kios_kobo_source_set_consent_async (KiosLibraryStore       *store,
                                    const KiosSourceRecord *record,
                                    gboolean                consent,
                                    GCancellable           *cancellable,
                                    GAsyncReadyCallback     callback,
                                    gpointer                user_data)
{
  g_autoptr (GTask) task = job_task (store, record, kios_kobo_source_set_consent_async, cancellable, callback,
                                     user_data);
  Job              *job = g_task_get_task_data (task);

  /* The answer travels in the job's spare flag. */
  job->existing = consent;
  g_task_run_in_thread (task, consent_worker);
}

gboolean
kios_kobo_source_set_consent_finish (GAsyncResult *result,
                                     GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Covers.                                                                  */

typedef struct
{
  GTask *task; /* keeps the job (and its callback data) alive */
  guint  index;
  char  *cover_id;
  char  *path;
} CoverDone;

static void
cover_done_free (CoverDone *done)
{
  g_object_unref (done->task);
  g_free (done->cover_id);
  g_free (done->path);
  g_free (done);
}

static gboolean
cover_done_idle (gpointer data)
{
  CoverDone *done = data;
  Job       *job = g_task_get_task_data (done->task);

  if (!g_cancellable_is_cancelled (job->cancellable))
    job->each_cb (done->index, done->cover_id, done->path, job->each_data);
  return G_SOURCE_REMOVE;
}

static void
covers_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job                       *job = task_data;
  GError                    *error = NULL;
  g_autoptr (KiosKoboClient) client = kios_kobo_source_open (job->record, cancellable, &error);

  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* One by one, each reported as it arrives: a big shelf fills in gradually. */
  for (guint i = 0; i < job->cover_ids->len; i++)
    {
      KiosKoboEntry    entry = { 0 };
      g_autofree char *path = NULL;
      CoverDone       *done;
      GSource         *source;

      if (g_task_return_error_if_cancelled (task))
        return;
      if (g_ptr_array_index (job->cover_ids, i) == NULL)
        continue;
      entry.cover_image_id = g_ptr_array_index (job->cover_ids, i);
      path = kios_kobo_library_fetch_cover (client, &entry, cancellable, NULL);
      if (path == NULL)
        continue;
      done = g_new0 (CoverDone, 1);
      done->task = g_object_ref (task);
      done->index = i;
      done->cover_id = g_strdup (entry.cover_image_id);
      done->path = g_steal_pointer (&path);
      source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, cover_done_idle, done, (GDestroyNotify) cover_done_free);
      g_source_attach (source, job->context);
      g_source_unref (source);
    }
  g_task_return_boolean (task, TRUE);
}

void
kios_kobo_source_fetch_covers_async (const KiosSourceRecord *record,
                                     GPtrArray              *cover_image_ids,
                                     KiosKoboCoverFunc       each_cb,
                                     gpointer                each_data,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  g_autoptr (GTask) task = job_task (NULL, record, kios_kobo_source_fetch_covers_async, cancellable, callback,
                                     user_data);
  Job              *job = g_task_get_task_data (task);

  job->cover_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < cover_image_ids->len; i++)
    g_ptr_array_add (job->cover_ids, g_strdup (g_ptr_array_index (cover_image_ids, i)));
  job->each_cb = each_cb;
  job->each_data = each_data;
  g_task_run_in_thread (task, covers_worker);
}

gboolean
kios_kobo_source_fetch_covers_finish (GAsyncResult *result,
                                      GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
