/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * Pairing a local book with a server's entry by hand, for when the server
 * rewrote the file (metadata written into it, a conversion) so that the
 * local copy's hash no longer names it. Kept as book meta, where the
 * protocol's own identity lives:
 * - a KOReader sync account: the document id the server knows the book by
 *   (kosync.source / kosync.document; used for push and pull instead of
 *   the matching method's id);
 * - a Kobo sync source: the entitlement (book) id (kobo.source /
 *   kobo.entitlement_id): the book then syncs over Kobo like a download;
 * OPDS catalogs are paired by downloading the book: their progression link
 * comes with the entry. Blocking calls are for workers and kiosctl.
 */

typedef struct
{
  char *source; /* the source's name */
  char *kind;   /* "kosync" | "kobo" */
  char *id;     /* the server's identity of the book */
} KiosSyncPairing;

/* clang-format off */
/* Pairs the book with id on source. Fails with KIOS_SYNC_ERROR_UNSUPPORTED
 * for a source kind that cannot be paired by hand, or an id the protocol
 * cannot carry. Queued: flush the store to wait for it. */
gboolean         kios_sync_pairing_set         (KiosLibraryStore        *store,
                                                const char              *book_hash,
                                                const KiosSourceRecord  *source,
                                                const char              *id,
                                                GError                 **error);
/* Removes a pairing with source (none: nothing happens). */
void             kios_sync_pairing_clear       (KiosLibraryStore        *store,
                                                const char              *book_hash,
                                                const KiosSourceRecord  *source);
/* The book's pairings (element-type KiosSyncPairing), possibly empty. */
GPtrArray       *kios_sync_pairing_list        (KiosLibraryStore        *store,
                                                const char              *book_hash);
void             kios_sync_pairing_list_async  (KiosLibraryStore        *store,
                                                const char              *book_hash,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data);
GPtrArray       *kios_sync_pairing_list_finish (GAsyncResult            *result,
                                                GError                 **error);
void             kios_sync_pairing_free        (KiosSyncPairing         *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSyncPairing, kios_sync_pairing_free)

G_END_DECLS
