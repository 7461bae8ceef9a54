/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-client"

#include "config.h"

#include "kios-opds-client.h"

#include "kios-paths.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

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
  guint64              delivered; /* main context only */
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
  /* After a cancel the caller may be gone: say nothing more. Forward only. */
  if (!g_cancellable_is_cancelled (job->cancellable) && received > job->delivered)
    {
      job->delivered = received;
      job->progress (received, total, job->progress_data);
    }
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

/* ------------------------------------------------------------------ */
/* covers */

static gboolean
looks_like_image (GBytes *bytes)
{
  gsize         len;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  return (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) || (len >= 8 && memcmp (d, "\211PNG\r\n\032\n", 8) == 0) || (len >= 6 && (memcmp (d, "GIF87a", 6) == 0 || memcmp (d, "GIF89a", 6) == 0)) || (len >= 12 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0);
}

char *
kios_opds_cover_cache_path (const char *href)
{
  g_autofree char *dir = kios_paths_cache_subdir ("covers");
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, href, -1);
  g_autofree char *name = g_strconcat ("opds-", digest, ".img", NULL);

  return g_build_filename (dir, name, NULL);
}

char *
kios_opds_client_fetch_cover (KiosOpdsClient *self,
                              const char     *href,
                              gsize           max_size,
                              GCancellable   *cancellable,
                              GError        **error)
{
  g_autofree char   *path = kios_opds_cover_cache_path (href);
  g_autofree char   *dir = g_path_get_dirname (path);
  g_autoptr (GBytes) bytes = NULL;
  GStatBuf           st;

  /* The disk cache first: a catalog seen before shows its covers offline. */
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    return g_steal_pointer (&path);
  bytes = kios_opds_client_fetch_image (self, href, max_size, cancellable, error);
  if (bytes == NULL)
    return NULL;
  if (!looks_like_image (bytes))
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The server sent something that is not an image for a cover");
      return NULL;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0 || !g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create the cover cache");
      return NULL;
    }
  return g_steal_pointer (&path);
}

static void
cover_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;
  char   *path;

  (void) source_object;
  path = kios_opds_client_fetch_cover (job->client, job->href, job->max_size, cancellable, &error);
  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

void
kios_opds_client_fetch_cover_async (KiosOpdsClient     *self,
                                    const char         *href,
                                    gsize               max_size,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  Job              *job = job_new (self, cancellable);
  g_autoptr (GTask) task = job_task (self, job, kios_opds_client_fetch_cover_async, cancellable, callback,
                                     user_data);

  job->href = g_strdup (href);
  job->max_size = max_size;
  g_task_run_in_thread (task, cover_worker);
}

char *
kios_opds_client_fetch_cover_finish (KiosOpdsClient *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  (void) self;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* opening a source */

typedef struct
{
  KiosSourceRecord *record;
  KiosOpdsClient   *client;
  KiosOpdsFeed     *root;
  char             *realm;
  GError           *error;
} OpenJob;

static void
open_job_free (OpenJob *job)
{
  g_clear_pointer (&job->record, kios_source_record_free);
  g_clear_pointer (&job->client, kios_opds_client_free);
  g_clear_pointer (&job->root, kios_opds_feed_free);
  g_free (job->realm);
  g_clear_error (&job->error);
  g_free (job);
}

static void
open_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenJob         *job = task_data;
  g_autofree char *url = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;

  (void) source_object;
  if (!kios_sync_source_load (job->record, &url, &username, &password, cancellable, &job->error))
    {
      g_task_return_error (task, g_steal_pointer (&job->error));
      return;
    }
  job->client = kios_opds_client_new (url, username, password);
  if (password != NULL)
    memset (password, 0, strlen (password));
  job->root = kios_opds_client_fetch (job->client, NULL, cancellable, &job->error);
  job->realm = kios_opds_client_dup_realm (job->client);
  if (g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&job->error));
  else
    g_task_return_boolean (task, TRUE);
}

void
kios_opds_source_open_async (const KiosSourceRecord *record,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  OpenJob          *job = g_new0 (OpenJob, 1);

  job->record = kios_source_record_copy (record);
  g_task_set_source_tag (task, kios_opds_source_open_async);
  g_task_set_task_data (task, job, (GDestroyNotify) open_job_free);
  g_task_run_in_thread (task, open_worker);
}

KiosOpdsClient *
kios_opds_source_open_finish (GAsyncResult  *result,
                              KiosOpdsFeed **root,
                              char         **realm,
                              GError       **error)
{
  OpenJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  if (root != NULL)
    *root = NULL;
  if (realm != NULL)
    *realm = NULL;
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  job = g_task_get_task_data (G_TASK (result));
  if (realm != NULL)
    *realm = g_strdup (job->realm);
  if (job->root == NULL)
    {
      /* The source opened, its root did not: the client still knows the
       * catalog's URL and auth scheme (a sign-in may follow). */
      g_propagate_error (error, g_steal_pointer (&job->error));
    }
  else if (root != NULL)
    *root = g_steal_pointer (&job->root);
  return g_steal_pointer (&job->client);
}

/* ------------------------------------------------------------------ */
/* a catalog under the address given */

/* Calibre-Web/CWA, calibre and Storyteller; Komga and Stump v1.2; Komga v2;
 * Stump v2; Grimmory/BookLore; COPS; Ubooquity (OPDS.md, per-server table). */
static const char *const catalog_paths[] = {
  "/opds",
  "/opds/v1.2/catalog",
  "/opds/v2/catalog",
  "/opds/v2.0/catalog",
  "/api/v1/opds",
  "/feed",
  "/opds-books",
  NULL,
};

static void
add_candidate (GPtrArray  *candidates,
               const char *typed,
               char       *candidate)
{
  if (g_str_equal (candidate, typed))
    {
      g_free (candidate);
      return;
    }
  for (guint i = 0; i < candidates->len; i++)
    if (g_str_equal (candidates->pdata[i], candidate))
      {
        g_free (candidate);
        return;
      }
  g_ptr_array_add (candidates, candidate);
}

GPtrArray *
kios_opds_catalog_candidates (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  GPtrArray       *candidates = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *origin = NULL;
  g_autofree char *prefix = NULL;
  gsize            len;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return candidates;
  if (g_uri_get_port (uri) > 0)
    origin = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), g_uri_get_host (uri), g_uri_get_port (uri));
  else
    origin = g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), g_uri_get_host (uri));

  /* A reverse proxy may mount the whole server under a prefix
   * (https://host/calibre/): try the paths under what was typed first. */
  prefix = g_strdup (g_uri_get_path (uri));
  len = strlen (prefix);
  while (len > 0 && prefix[len - 1] == '/')
    prefix[--len] = '\0';
  if (*prefix != '\0')
    for (guint i = 0; catalog_paths[i] != NULL; i++)
      add_candidate (candidates, url, g_strconcat (origin, prefix, catalog_paths[i], NULL));
  for (guint i = 0; catalog_paths[i] != NULL; i++)
    add_candidate (candidates, url, g_strconcat (origin, catalog_paths[i], NULL));
  return candidates;
}

char *
kios_opds_client_suggest_catalog (KiosOpdsClient *self,
                                  GCancellable   *cancellable,
                                  GError        **error)
{
  g_autoptr (GPtrArray) candidates = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  candidates = kios_opds_catalog_candidates (kios_opds_client_get_catalog_url (self));
  for (guint i = 0; i < candidates->len; i++)
    {
      const char              *url = candidates->pdata[i];
      g_autoptr (GError)       local = NULL;
      g_autoptr (KiosOpdsFeed) feed = kios_opds_client_fetch (self, url, cancellable, &local);

      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      /* A feed, or a sign-in asked the way catalogs ask for it. */
      if (feed != NULL || g_error_matches (local, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH))
        return g_strdup (url);
    }
  return NULL;
}

static void
suggest_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job    *job = task_data;
  GError *error = NULL;
  char   *url;

  (void) source_object;
  url = kios_opds_client_suggest_catalog (job->client, cancellable, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, url, g_free);
}

void
kios_opds_client_suggest_catalog_async (KiosOpdsClient     *self,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data)
{
  Job              *job = job_new (self, cancellable);
  g_autoptr (GTask) task = job_task (self, job, kios_opds_client_suggest_catalog_async, cancellable, callback,
                                     user_data);

  g_task_run_in_thread (task, suggest_worker);
}

char *
kios_opds_client_suggest_catalog_finish (KiosOpdsClient *self,
                                         GAsyncResult   *result,
                                         GError        **error)
{
  (void) self;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
