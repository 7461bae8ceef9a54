/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-client"

#include "config.h"

#include "kios-opds-client.h"

/*
 * The _async/_finish side of KiosOpdsClient: each call runs its blocking
 * twin in a GTask worker holding a reference on the client (the client
 * serialises its exchanges itself). Results and download progress arrive
 * in the thread-default main context of the caller.
 */

typedef struct
{
  KiosOpdsClient   *client;
  char             *href;
  char             *query;
  KiosOpdsFeed     *from; /* search links only */
  KiosLibraryStore *store;
  char             *source_name;
  KiosOpdsEntry    *entry;
  char             *format;
  gsize             max_size;
  gboolean          existing;
  /* progress, reported in the caller's context */
  KiosOpdsProgressFunc progress;
  gpointer             progress_data;
  GMainContext        *context;
  GMutex               progress_lock;
  guint64              received;
  guint64              total;
  gboolean             progress_pending;
  GCancellable        *cancellable;
  gatomicrefcount      ref_count;
} Job;

static Job *
job_new (KiosOpdsClient *client,
         GCancellable   *cancellable)
{
  Job *job = g_new0 (Job, 1);

  g_atomic_ref_count_init (&job->ref_count);
  g_mutex_init (&job->progress_lock);
  job->client = kios_opds_client_ref (client);
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  job->context = g_main_context_ref_thread_default ();
  return job;
}

static Job *
job_ref (Job *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_unref (Job *job)
{
  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;
  kios_opds_client_free (job->client);
  g_free (job->href);
  g_free (job->query);
  kios_opds_feed_free (job->from);
  g_clear_object (&job->store);
  g_free (job->source_name);
  kios_opds_entry_free (job->entry);
  g_free (job->format);
  g_clear_object (&job->cancellable);
  g_main_context_unref (job->context);
  g_mutex_clear (&job->progress_lock);
  g_free (job);
}

static GTask *
job_task (KiosOpdsClient     *client,
          Job                *job,
          gpointer            source_tag,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data)
{
  /* The client is not a GObject: the task has no source object. */
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  (void) client;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_unref);
  return task;
}

/* ------------------------------------------------------------------ */

static void
fetch_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Job          *job = task_data;
  GError       *error = NULL;
  KiosOpdsFeed *feed;

  (void) source_object;
  if (job->query != NULL || job->from != NULL)
    feed = kios_opds_client_search (job->client, job->from, job->query, cancellable, &error);
  else
    feed = kios_opds_client_fetch (job->client, job->href, cancellable, &error);
  if (feed == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, feed, (GDestroyNotify) kios_opds_feed_free);
}

void
kios_opds_client_fetch_async (KiosOpdsClient     *self,
                              const char         *href,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  Job              *job = job_new (self, cancellable);
  g_autoptr (GTask) task = job_task (self, job, kios_opds_client_fetch_async, cancellable, callback, user_data);

  job->href = g_strdup (href);
  g_task_run_in_thread (task, fetch_worker);
}

KiosOpdsFeed *
kios_opds_client_fetch_finish (KiosOpdsClient *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  (void) self;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kios_opds_client_search_async (KiosOpdsClient     *self,
                               const KiosOpdsFeed *from,
                               const char         *query,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  Job              *job = job_new (self, cancellable);
  g_autoptr (GTask) task = job_task (self, job, kios_opds_client_search_async, cancellable, callback, user_data);

  job->query = g_strdup (query != NULL ? query : "");
  if (from != NULL)
    {
      /* Only what a search reads: the search links. */
      job->from = kios_opds_feed_new_empty (from->base_url);
      job->from->opensearch_href = g_strdup (from->opensearch_href);
      job->from->search_template = g_strdup (from->search_template);
    }
  g_task_run_in_thread (task, fetch_worker);
}

KiosOpdsFeed *
kios_opds_client_search_finish (KiosOpdsClient *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  (void) self;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */

static gboolean
progress_idle (gpointer data)
{
  Job    *job = data;
  guint64 received;
  guint64 total;

  g_mutex_lock (&job->progress_lock);
  received = job->received;
  total = job->total;
  job->progress_pending = FALSE;
  g_mutex_unlock (&job->progress_lock);
  /* After a cancel the caller may be gone: say nothing more. */
  if (!g_cancellable_is_cancelled (job->cancellable))
    job->progress (received, total, job->progress_data);
  return G_SOURCE_REMOVE;
}

static void
worker_progress (guint64  received,
                 guint64  total,
                 gpointer user_data)
{
  Job     *job = user_data;
  gboolean schedule;

  g_mutex_lock (&job->progress_lock);
  job->received = received;
  job->total = total;
  schedule = !job->progress_pending;
  job->progress_pending = TRUE;
  g_mutex_unlock (&job->progress_lock);
  if (schedule)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, progress_idle, job_ref (job), (GDestroyNotify) job_unref);
      g_source_attach (source, job->context);
      g_source_unref (source);
    }
}

static void
download_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;
  char   *path;

  (void) source_object;
  path = kios_opds_client_download_book (job->client, job->store, job->source_name, job->entry, job->format,
                                         job->progress != NULL ? worker_progress : NULL, job, &job->existing,
                                         cancellable, &error);
  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

void
kios_opds_client_download_book_async (KiosOpdsClient      *self,
                                      KiosLibraryStore    *store,
                                      const char          *source_name,
                                      const KiosOpdsEntry *entry,
                                      const char          *format,
                                      KiosOpdsProgressFunc progress,
                                      gpointer             progress_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  Job              *job = job_new (self, cancellable);
  g_autoptr (GTask) task = job_task (self, job, kios_opds_client_download_book_async, cancellable, callback,
                                     user_data);

  job->store = g_object_ref (store);
  job->source_name = g_strdup (source_name);
  job->entry = kios_opds_entry_copy (entry);
  job->format = g_strdup (format);
  job->progress = progress;
  job->progress_data = progress_data;
  g_task_run_in_thread (task, download_worker);
}

char *
kios_opds_client_download_book_finish (KiosOpdsClient *self,
                                       GAsyncResult   *result,
                                       gboolean       *existing,
                                       GError        **error)
{
  Job  *job;
  char *path;

  (void) self;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  job = g_task_get_task_data (G_TASK (result));
  path = g_task_propagate_pointer (G_TASK (result), error);
  if (existing != NULL)
    *existing = path != NULL && job->existing;
  return path;
}

/* ------------------------------------------------------------------ */

static void
image_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;
  GBytes *bytes;

  (void) source_object;
  bytes = kios_opds_client_fetch_image (job->client, job->href, job->max_size, cancellable, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

void
kios_opds_client_fetch_image_async (KiosOpdsClient     *self,
                                    const char         *href,
                                    gsize               max_size,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  Job              *job = job_new (self, cancellable);
  g_autoptr (GTask) task = job_task (self, job, kios_opds_client_fetch_image_async, cancellable, callback,
                                     user_data);

  job->href = g_strdup (href);
  job->max_size = max_size;
  g_task_run_in_thread (task, image_worker);
}

GBytes *
kios_opds_client_fetch_image_finish (KiosOpdsClient *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  (void) self;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
