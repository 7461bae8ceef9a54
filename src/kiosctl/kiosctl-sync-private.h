/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kiosctl.h"

#include "kios-sync-backend.h"

G_BEGIN_DECLS

/* One book and the protocol that serves it, for `kiosctl sync push|pull`
 * (kiosctl-sync.c opens it, kiosctl-sync-push.c pushes). */
typedef struct
{
  char             *path;
  char             *hash;
  KiosLibraryStore *store;
  KiosSyncBackend  *backend;
  KiosPosition     *local;     /* nullable: never read here */
  JsonArray        *collected; /* a bridged push: each protocol's JSON object, printed together */
} KiosctlSyncBook;

/* clang-format off */
void kiosctl_sync_book_clear    (KiosctlSyncBook  *book);
int  kiosctl_sync_fail          (KiosctlSyncBook  *book,
                                 const char       *prefix,
                                 const GError     *error);
/* kiosctl-sync-pair.c: sync pair|unpair; -1 for another command. */
int  kiosctl_sync_pair_dispatch (int               argc,
                                 char            **argv);
int  kiosctl_sync_push          (KiosctlSyncBook  *book,
                                 const char       *file,
                                 gboolean          json);
/* clang-format on */

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KiosctlSyncBook, kiosctl_sync_book_clear)

G_END_DECLS
