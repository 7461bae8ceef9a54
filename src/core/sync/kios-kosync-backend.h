/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-kosync-client.h"
#include "kios-library-store.h"
#include "kios-sync-backend.h"
#include "kios-sync-settings.h"

G_BEGIN_DECLS

/*
 * KiosKosyncBackend: KiosSyncBackend over KiosKosyncClient (KOReader sync,
 * the global account). EPUB progress is the xpointer, PDF progress the
 * 1-based page number string, percentage the total progress.
 *
 * The document id sent for a book is, in this order: the id of a pairing
 * made by hand with this account (book meta kosync.source / .document),
 * else by the account's matching method the book hash (binary) or the MD5
 * of the file's base name (filename: the path set with set_book_path, else
 * the library's). With a store or the filename method, push and pull run
 * their lookup and exchange in a worker.
 */

#define KIOS_TYPE_KOSYNC_BACKEND (kios_kosync_backend_get_type ())
G_DECLARE_FINAL_TYPE (KiosKosyncBackend, kios_kosync_backend, KIOS, KOSYNC_BACKEND, GObject)

/* clang-format off */
/* source_name: the store's name of the account; client: configured, with its device set. */
KiosKosyncBackend *kios_kosync_backend_new           (const char               *source_name,
                                                      KiosKosyncClient         *client) G_GNUC_WARN_UNUSED_RESULT;
KiosKosyncClient  *kios_kosync_backend_get_client    (KiosKosyncBackend        *self);
/* A backend for a "kosync" source: its client, its matching method and the
 * store (nullable) for pairings and paths. Blocking (keyring). */
KiosKosyncBackend *kios_kosync_backend_open          (const KiosSourceRecord   *record,
                                                      KiosLibraryStore         *store,
                                                      GCancellable             *cancellable,
                                                      GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void               kios_kosync_backend_set_match     (KiosKosyncBackend        *self,
                                                      KiosKosyncMatch           match,
                                                      KiosLibraryStore         *store);
KiosKosyncMatch    kios_kosync_backend_get_match     (KiosKosyncBackend        *self);
/* Where the book's file is (for filename matching); any thread. */
void               kios_kosync_backend_set_book_path (KiosKosyncBackend        *self,
                                                      const char               *book_hash,
                                                      const char               *path);
/* The id the server knows the book by (see above). Blocking. */
char              *kios_kosync_backend_document_id   (KiosKosyncBackend        *self,
                                                      const char               *book_hash,
                                                      GCancellable             *cancellable,
                                                      GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* Sends position as KOReader sync has it (the xpointer, or the PDF page
 * counted from 1) under the book's document id. Blocking. */
gboolean           kios_kosync_backend_push_sync     (KiosKosyncBackend        *self,
                                                      const char               *book_hash,
                                                      const KiosPosition       *position,
                                                      GCancellable             *cancellable,
                                                      GError                  **error);
/* The remote position as the engine wants it (see KiosSyncBackend.pull_async). */
KiosPosition      *kios_kosync_remote_to_position    (const KiosRemotePosition *remote,
                                                      KiosBookFormat            format) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
