/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-backend"

#include "config.h"

#include "kios-sync-backend.h"

G_DEFINE_INTERFACE (KiosSyncBackend, kios_sync_backend, G_TYPE_OBJECT)

static void
kios_sync_backend_default_init (KiosSyncBackendInterface *iface)
{
}

/* ---- the one runner: a backend's blocking push or pull in a GTask worker --- */

typedef struct
{
  KiosSyncBackendPushFunc push;
  KiosSyncBackendPullFunc pull;
  char                   *hash;
  KiosPosition           *position; /* a push's */
  KiosBookFormat          format;   /* a pull's */
} RunJob;

static void
run_job_free (RunJob *job)
{
  g_free (job->hash);
  g_clear_pointer (&job->position, kios_position_free);
  g_free (job);
}

static GTask *
run_task_new (KiosSyncBackend    *self,
              gpointer            source_tag,
              RunJob             *job,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) run_job_free);
  return task;
}

static void
run_push_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  RunJob *job = task_data;
  GError *error = NULL;

  if (job->push (source_object, job->hash, job->position, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_push (KiosSyncBackend        *self,
          KiosSyncBackendPushFunc func,
          const char             *book_hash,
          const KiosPosition     *position,
          GCancellable           *cancellable,
          GAsyncReadyCallback     callback,
          gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  RunJob           *job;

  g_return_if_fail (KIOS_IS_SYNC_BACKEND (self));
  g_return_if_fail (func != NULL && position != NULL);

  job = g_new0 (RunJob, 1);
  job->push = func;
  job->hash = g_strdup (book_hash);
  job->position = kios_position_copy (position);
  task = run_task_new (self, run_push, job, cancellable, callback, user_data);
  g_task_run_in_thread (task, run_push_thread);
}

static gboolean
run_push_finish (KiosSyncBackend *self,
                 GAsyncResult    *result,
                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == run_push, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
run_pull_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  RunJob       *job = task_data;
  GError       *error = NULL;
  KiosPosition *position = job->pull (source_object, job->hash, job->format, cancellable, &error);

  if (error != NULL)
    {
      g_clear_pointer (&position, kios_position_free);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, position, (GDestroyNotify) kios_position_free);
}

static void
run_pull (KiosSyncBackend        *self,
          KiosSyncBackendPullFunc func,
          const char             *book_hash,
          KiosBookFormat          format,
          GCancellable           *cancellable,
          GAsyncReadyCallback     callback,
          gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  RunJob           *job;

  g_return_if_fail (KIOS_IS_SYNC_BACKEND (self));
  g_return_if_fail (func != NULL);

  job = g_new0 (RunJob, 1);
  job->pull = func;
  job->hash = g_strdup (book_hash);
  job->format = format;
  task = run_task_new (self, run_pull, job, cancellable, callback, user_data);
  g_task_run_in_thread (task, run_pull_thread);
}

static KiosPosition *
run_pull_finish (KiosSyncBackend *self,
                 GAsyncResult    *result,
                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == run_pull, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
kios_sync_precision_to_string (KiosSyncPrecision precision)
{
  switch (precision)
    {
    case KIOS_SYNC_PRECISION_EXACT:
      return "exact";
    case KIOS_SYNC_PRECISION_PAGE:
      return "page";
    case KIOS_SYNC_PRECISION_CHAPTER:
      return "chapter";
    case KIOS_SYNC_PRECISION_PERCENT:
    default:
      return "percent";
    }
}

KiosSyncProtocol
kios_sync_backend_get_protocol (KiosSyncBackend *self)
{
  KiosSyncBackendInterface *iface;

  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), KIOS_SYNC_PROTOCOL_KOSYNC);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  return iface->get_protocol != NULL ? iface->get_protocol (self) : KIOS_SYNC_PROTOCOL_KOSYNC;
}

KiosSyncRemote *
kios_sync_backend_pull_remote (KiosSyncBackend *self,
                               const char      *book_hash,
                               KiosBookFormat   format,
                               GCancellable    *cancellable,
                               GError         **error)
{
  KiosSyncBackendInterface *iface;

  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  if (iface->pull_remote == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "This sync protocol cannot be asked for a position");
      return NULL;
    }
  return iface->pull_remote (self, book_hash, format, cancellable, error);
}

KiosSyncPrecision
kios_sync_backend_get_precision (KiosSyncBackend *self,
                                 KiosBookFormat   format)
{
  KiosSyncBackendInterface *iface;

  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), KIOS_SYNC_PRECISION_PERCENT);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  if (iface->get_precision == NULL)
    return KIOS_SYNC_PRECISION_PERCENT;
  return iface->get_precision (self, format);
}

const char *
kios_sync_backend_get_source_name (KiosSyncBackend *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), NULL);

  return KIOS_SYNC_BACKEND_GET_IFACE (self)->get_source_name (self);
}

char *
kios_sync_backend_get_server_label (KiosSyncBackend *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), NULL);

  return KIOS_SYNC_BACKEND_GET_IFACE (self)->get_server_label (self);
}

void
kios_sync_backend_push_async (KiosSyncBackend    *self,
                              const char         *book_hash,
                              const KiosPosition *position,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  KiosSyncBackendInterface *iface;

  g_return_if_fail (KIOS_IS_SYNC_BACKEND (self));
  g_return_if_fail (book_hash != NULL && position != NULL);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  if (iface->push_async == NULL)
    run_push (self, iface->push_sync, book_hash, position, cancellable, callback, user_data);
  else
    iface->push_async (self, book_hash, position, cancellable, callback, user_data);
}

gboolean
kios_sync_backend_push_finish (KiosSyncBackend *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  KiosSyncBackendInterface *iface;

  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), FALSE);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  if (iface->push_finish == NULL)
    return run_push_finish (self, result, error);
  return iface->push_finish (self, result, error);
}

void
kios_sync_backend_pull_async (KiosSyncBackend    *self,
                              const char         *book_hash,
                              KiosBookFormat      format,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  KiosSyncBackendInterface *iface;

  g_return_if_fail (KIOS_IS_SYNC_BACKEND (self));
  g_return_if_fail (book_hash != NULL);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  if (iface->pull_async == NULL)
    run_pull (self, iface->pull_sync, book_hash, format, cancellable, callback, user_data);
  else
    iface->pull_async (self, book_hash, format, cancellable, callback, user_data);
}

KiosPosition *
kios_sync_backend_pull_finish (KiosSyncBackend *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  KiosSyncBackendInterface *iface;

  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), NULL);

  iface = KIOS_SYNC_BACKEND_GET_IFACE (self);
  if (iface->pull_finish == NULL)
    return run_pull_finish (self, result, error);
  return iface->pull_finish (self, result, error);
}
