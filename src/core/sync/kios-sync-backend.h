/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-kosync-client.h"
#include "kios-position.h"
#include "kios-sync-error.h"
#include "kios-sync-remote.h"

G_BEGIN_DECLS

/*
 * KiosSyncBackend: one progress-sync protocol for one source (KOReader sync
 * today through KiosKosyncBackend; Kobo and Readium progression plug in
 * here). Methods are called on the thread that owns the backend; the
 * _async ones run their network work in GTask workers and call back on the
 * caller's thread-default main context. Errors are KIOS_SYNC_ERROR_*
 * (G_IO_ERROR_CANCELLED when cancelled).
 */

/* How much of a position a server keeps (what comes back on a pull). */
typedef enum {
  KIOS_SYNC_PRECISION_EXACT,   /* the exact xpointer */
  KIOS_SYNC_PRECISION_PAGE,    /* the PDF page */
  KIOS_SYNC_PRECISION_CHAPTER, /* the chapter and the percentage in it (or its start) */
  KIOS_SYNC_PRECISION_PERCENT, /* the percentage of the book only */
} KiosSyncPrecision;

/* The blocking halves of a push and a pull (see push_sync and pull_sync
 * below): called in a worker with the backend as self. A pull returns NULL
 * without error when the server has no position. */
typedef struct _KiosSyncBackend KiosSyncBackend;
typedef gboolean (*KiosSyncBackendPushFunc) (KiosSyncBackend    *self,
                                             const char         *book_hash,
                                             const KiosPosition *position,
                                             GCancellable       *cancellable,
                                             GError            **error);
typedef KiosPosition *(*KiosSyncBackendPullFunc) (KiosSyncBackend *self,
                                                  const char      *book_hash,
                                                  KiosBookFormat   format,
                                                  GCancellable    *cancellable,
                                                  GError         **error);

#define KIOS_TYPE_SYNC_BACKEND (kios_sync_backend_get_type ())
G_DECLARE_INTERFACE (KiosSyncBackend, kios_sync_backend, KIOS, SYNC_BACKEND, GObject)

struct _KiosSyncBackendInterface
{
  GTypeInterface parent_iface;

  /* The library store's name of the source (sync state is keyed by it). */
  const char *(*get_source_name) (KiosSyncBackend *self);
  /* The server for the status menu, never with a secret in it. */
  char *(*get_server_label) (KiosSyncBackend *self);

  /* Which protocol it speaks; NULL: KOReader sync. */
  KiosSyncProtocol (*get_protocol) (KiosSyncBackend *self);
  /* What the server keeps of a position of this format; NULL: percent. */
  KiosSyncPrecision (*get_precision) (KiosSyncBackend *self,
                                      KiosBookFormat   format);

  void (*push_async) (KiosSyncBackend    *self,
                      const char         *book_hash,
                      const KiosPosition *position,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data);
  gboolean (*push_finish) (KiosSyncBackend *self,
                           GAsyncResult    *result,
                           GError         **error);
  /* The remote position as far as the protocol says it: xpointer (EPUB) or
   * chapter = page index (PDF, else -1), total_progress, updated_at,
   * device, device_id; not yet resolved in the book. */
  void (*pull_async) (KiosSyncBackend    *self,
                      const char         *book_hash,
                      KiosBookFormat      format,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data);
  /* NULL without error: the server has no position for the book. */
  KiosPosition *(*pull_finish) (KiosSyncBackend *self,
                                GAsyncResult    *result,
                                GError         **error);
  /* Blocking (workers, kiosctl): what the server says, as it says it, for
   * kios-sync-pipeline.h; NULL without error when it has nothing. */
  KiosSyncRemote *(*pull_remote) (KiosSyncBackend *self,
                                  const char      *book_hash,
                                  KiosBookFormat   format,
                                  GCancellable    *cancellable,
                                  GError         **error);

  /* A backend that gives its blocking push and pull here may leave
   * push_async, push_finish, pull_async and pull_finish NULL: the interface
   * runs these in a GTask worker (the one runner of every backend). */
  KiosSyncBackendPushFunc push_sync;
  KiosSyncBackendPullFunc pull_sync;
};

/* clang-format off */
/* "exact", "page", "chapter" or "percent". */
const char        *kios_sync_precision_to_string      (KiosSyncPrecision    precision);

const char        *kios_sync_backend_get_source_name  (KiosSyncBackend     *self);
char              *kios_sync_backend_get_server_label (KiosSyncBackend     *self);
KiosSyncProtocol   kios_sync_backend_get_protocol     (KiosSyncBackend     *self);
KiosSyncPrecision  kios_sync_backend_get_precision    (KiosSyncBackend     *self,
                                                       KiosBookFormat       format);
KiosSyncRemote    *kios_sync_backend_pull_remote      (KiosSyncBackend     *self,
                                                       const char          *book_hash,
                                                       KiosBookFormat       format,
                                                       GCancellable        *cancellable,
                                                       GError             **error);
void               kios_sync_backend_push_async       (KiosSyncBackend     *self,
                                                       const char          *book_hash,
                                                       const KiosPosition  *position,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean           kios_sync_backend_push_finish      (KiosSyncBackend     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void               kios_sync_backend_pull_async       (KiosSyncBackend     *self,
                                                       const char          *book_hash,
                                                       KiosBookFormat       format,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
KiosPosition      *kios_sync_backend_pull_finish      (KiosSyncBackend     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* clang-format on */

G_END_DECLS
