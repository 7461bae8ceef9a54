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
  g_return_if_fail (KIOS_IS_SYNC_BACKEND (self));
  g_return_if_fail (book_hash != NULL && position != NULL);

  KIOS_SYNC_BACKEND_GET_IFACE (self)->push_async (self, book_hash, position, cancellable,
                                                  callback, user_data);
}

gboolean
kios_sync_backend_push_finish (KiosSyncBackend *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), FALSE);

  return KIOS_SYNC_BACKEND_GET_IFACE (self)->push_finish (self, result, error);
}

void
kios_sync_backend_pull_async (KiosSyncBackend    *self,
                              const char         *book_hash,
                              KiosBookFormat      format,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_return_if_fail (KIOS_IS_SYNC_BACKEND (self));
  g_return_if_fail (book_hash != NULL);

  KIOS_SYNC_BACKEND_GET_IFACE (self)->pull_async (self, book_hash, format, cancellable,
                                                  callback, user_data);
}

KiosPosition *
kios_sync_backend_pull_finish (KiosSyncBackend *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (self), NULL);

  return KIOS_SYNC_BACKEND_GET_IFACE (self)->pull_finish (self, result, error);
}
