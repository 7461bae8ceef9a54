/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kosync-backend"

#include "config.h"

#include "kios-kosync-backend.h"

#include "kios-redact.h"
#include "kios-sync-error.h"

struct _KiosKosyncBackend
{
  GObject parent_instance;

  KiosKosyncClient *client;
  char             *source_name;
};

static void kios_kosync_backend_iface_init (KiosSyncBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosKosyncBackend, kios_kosync_backend, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (KIOS_TYPE_SYNC_BACKEND, kios_kosync_backend_iface_init))

static const char *
backend_get_source_name (KiosSyncBackend *backend)
{
  return KIOS_KOSYNC_BACKEND (backend)->source_name;
}

static char *
backend_get_server_label (KiosSyncBackend *backend)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (backend);

  /* Kavita and Stump carry the key in the path: never show it. */
  return kios_redact_url (kios_kosync_client_get_base_url (self->client));
}

static KiosSyncPrecision
backend_get_precision (KiosSyncBackend *backend,
                       KiosBookFormat   format)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (backend);
  const char        *family;

  if (format == KIOS_BOOK_FORMAT_PDF)
    return KIOS_SYNC_PRECISION_PAGE;
  /* KOSYNC.md §4.3: Komga keeps the chapter (its start, and the book's
   * percentage); Kavita the chapter and an element without the offset.
   * The others store the xpointer verbatim. */
  family = kios_kosync_guess_server (kios_kosync_client_get_base_url (self->client), NULL);
  if (g_strcmp0 (family, "Komga") == 0 || g_strcmp0 (family, "Kavita") == 0)
    return KIOS_SYNC_PRECISION_CHAPTER;
  return KIOS_SYNC_PRECISION_EXACT;
}

static void
push_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError           *error = NULL;

  if (!kios_kosync_client_push_finish (KIOS_KOSYNC_CLIENT (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
backend_push_async (KiosSyncBackend    *backend,
                    const char         *book_hash,
                    const KiosPosition *position,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (backend);
  g_autoptr (GTask)  task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char   *progress = NULL;

  g_task_set_source_tag (task, backend_push_async);

  if (position->format == KIOS_BOOK_FORMAT_PDF)
    progress = g_strdup_printf ("%d", position->chapter + 1);
  else
    progress = g_strdup (position->xpointer);

  if (progress == NULL)
    {
      g_task_return_new_error (task, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                               "This position has no KOReader form to send");
      return;
    }

  kios_kosync_client_push_async (self->client, book_hash, progress, position->total_progress,
                                 cancellable, push_cb, g_steal_pointer (&task));
}

static gboolean
backend_push_finish (KiosSyncBackend *backend,
                     GAsyncResult    *result,
                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

KiosPosition *
kios_kosync_remote_to_position (const KiosRemotePosition *remote,
                                KiosBookFormat            format)
{
  KiosSyncRemote wrapper = { KIOS_SYNC_PROTOCOL_KOSYNC, (KiosRemotePosition *) remote, NULL, NULL };

  g_return_val_if_fail (remote != NULL, NULL);

  return kios_sync_normalize_remote (&wrapper, format);
}

static KiosSyncRemote *
backend_pull_remote (KiosSyncBackend *backend,
                     const char      *book_hash,
                     KiosBookFormat   format,
                     GCancellable    *cancellable,
                     GError         **error)
{
  KiosKosyncBackend  *self = KIOS_KOSYNC_BACKEND (backend);
  KiosRemotePosition *remote = kios_kosync_client_pull_sync (self->client, book_hash, cancellable, error);

  return remote != NULL ? kios_sync_remote_new_kosync (remote) : NULL;
}

static void
pull_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask)              task = user_data;
  g_autoptr (KiosRemotePosition) remote = NULL;
  GError                        *error = NULL;

  remote = kios_kosync_client_pull_finish (KIOS_KOSYNC_CLIENT (source), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (remote == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_return_pointer (task,
                         kios_kosync_remote_to_position (remote,
                                                         GPOINTER_TO_INT (g_task_get_task_data (task))),
                         (GDestroyNotify) kios_position_free);
}

static void
backend_pull_async (KiosSyncBackend    *backend,
                    const char         *book_hash,
                    KiosBookFormat      format,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (backend);
  GTask             *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, backend_pull_async);
  g_task_set_task_data (task, GINT_TO_POINTER (format), NULL);
  kios_kosync_client_pull_async (self->client, book_hash, cancellable, pull_cb, task);
}

static KiosPosition *
backend_pull_finish (KiosSyncBackend *backend,
                     GAsyncResult    *result,
                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
kios_kosync_backend_iface_init (KiosSyncBackendInterface *iface)
{
  iface->get_source_name = backend_get_source_name;
  iface->get_server_label = backend_get_server_label;
  iface->get_precision = backend_get_precision;
  iface->pull_remote = backend_pull_remote;
  iface->push_async = backend_push_async;
  iface->push_finish = backend_push_finish;
  iface->pull_async = backend_pull_async;
  iface->pull_finish = backend_pull_finish;
}

static void
kios_kosync_backend_finalize (GObject *object)
{
  KiosKosyncBackend *self = KIOS_KOSYNC_BACKEND (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->source_name, g_free);

  G_OBJECT_CLASS (kios_kosync_backend_parent_class)->finalize (object);
}

static void
kios_kosync_backend_class_init (KiosKosyncBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_kosync_backend_finalize;
}

static void
kios_kosync_backend_init (KiosKosyncBackend *self)
{
}

KiosKosyncBackend *
kios_kosync_backend_new (const char       *source_name,
                         KiosKosyncClient *client)
{
  KiosKosyncBackend *self;

  g_return_val_if_fail (source_name != NULL, NULL);
  g_return_val_if_fail (KIOS_IS_KOSYNC_CLIENT (client), NULL);

  self = g_object_new (KIOS_TYPE_KOSYNC_BACKEND, NULL);
  self->source_name = g_strdup (source_name);
  self->client = g_object_ref (client);
  return self;
}

KiosKosyncClient *
kios_kosync_backend_get_client (KiosKosyncBackend *self)
{
  g_return_val_if_fail (KIOS_IS_KOSYNC_BACKEND (self), NULL);

  return self->client;
}
