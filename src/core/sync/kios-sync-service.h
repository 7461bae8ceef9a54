/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library-store.h"
#include "kios-sync-engine.h"
#include "kios-sync-status.h"

G_BEGIN_DECLS

/*
 * KiosSyncService: sync as one thing for the whole process, owned by the
 * application (and created by kiosctl for its sync commands). GTK-free.
 *
 * - It creates the engines (one per window) and serializes their pushes per
 *   account: one request at a time per source across every engine.
 * - Status is stored (KiosSyncStatus per source and per book in the library)
 *   and never assumed: list_status reads what was stored and lays over it
 *   what the engines know now (a sync switched off is OFF; a configured
 *   account with no exchange the server confirmed is NEVER).
 * - Sync through a source can be switched off and on without forgetting the
 *   account (set_enabled); engines stop or resume traffic for it at once.
 * - Every push and pull is in the sync log (list_log, newest first).
 *
 * Methods are for the main thread, except the blocking list_status,
 * list_log and set_enabled, which are for workers and kiosctl.
 *
 * Signals:
 * - "status-changed" (const char *source, const char *book_hash nullable):
 *   a stored status changed; re-read it (list_status_async).
 * - "store-error" (gpointer: const GError *): a library write failed; the
 *   ui says so (a toast). Once per run of failures.
 */

#define KIOS_TYPE_SYNC_SERVICE (kios_sync_service_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncService, kios_sync_service, KIOS, SYNC_SERVICE, GObject)

/* clang-format off */
KiosSyncService  *kios_sync_service_new                (KiosLibraryStore    *store) G_GNUC_WARN_UNUSED_RESULT;
KiosLibraryStore *kios_sync_service_get_store          (KiosSyncService     *self);
/* One engine per window (transfer full); the engines of one service share
 * the per-account push serialization. The engine loads the KOReader sync
 * account itself. */
KiosSyncEngine   *kios_sync_service_create_engine      (KiosSyncService     *self) G_GNUC_WARN_UNUSED_RESULT;
/* Sources changed (added, removed, enabled, disabled): every engine reloads
 * its account; "status-changed" is emitted with source NULL. */
void              kios_sync_service_reload             (KiosSyncService     *self);
/* Push what is pending or changed on every engine, then pull again. */
void              kios_sync_service_sync_now           (KiosSyncService     *self);
/* Per source (book_hash NULL) or for one book (its rows, and the source
 * that serves it when nothing was stored yet): element-type KiosSyncStatus,
 * protocol and source order. Blocking. */
GPtrArray        *kios_sync_service_list_status        (KiosSyncService     *self,
                                                        const char          *book_hash,
                                                        GError             **error);
void              kios_sync_service_list_status_async  (KiosSyncService     *self,
                                                        const char          *book_hash,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray        *kios_sync_service_list_status_finish (KiosSyncService     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
/* The book's sync log (book_hash NULL: every entry), newest first; limit 0
 * = all that is kept; element-type KiosSyncLogEntry. Blocking. */
GPtrArray        *kios_sync_service_list_log           (KiosSyncService     *self,
                                                        const char          *book_hash,
                                                        guint                limit,
                                                        GError             **error);
void              kios_sync_service_list_log_async     (KiosSyncService     *self,
                                                        const char          *book_hash,
                                                        guint                limit,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray        *kios_sync_service_list_log_finish    (KiosSyncService     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
/* source: "kosync" (the KOReader sync account) or a source's name. Keeps the
 * account and its secrets; engines stop (or resume) traffic for it at once.
 * KIOS_STORE_ERROR_NOT_FOUND when there is no such source. Blocking (one
 * store write). */
gboolean          kios_sync_service_set_enabled        (KiosSyncService     *self,
                                                        const char          *source,
                                                        gboolean             enabled,
                                                        GError             **error);
/* An exchange made outside an engine (kiosctl sync push|pull): the log
 * entry (entry->result is set from error) and the stored statuses of the
 * book and, for a success or a source-wide failure, of the source, as an
 * engine records them. error NULL: the server confirmed it. Blocking. */
void              kios_sync_service_record             (KiosSyncService     *self,
                                                        const KiosSyncLogEntry *entry,
                                                        const GError        *error,
                                                        const char          *server);
/* A connection test of a source (Test connection, kiosctl source test): a
 * failure sets the source's stored status (offline, refused, wrong-url, …);
 * a success lifts a stored failure back to SYNCED when the server confirmed
 * an exchange before, else NEVER (a test is not a sync). Engines adopt it.
 * Blocking (one store read). */
void              kios_sync_service_record_test        (KiosSyncService     *self,
                                                        const char          *protocol,
                                                        const char          *source,
                                                        const GError        *error,
                                                        const char          *server);
/* App quit: every engine closes its book and pushes what it has, within
 * timeout_ms overall; what is left stays pending in the store. TRUE when
 * everything went out and the store wrote it all. */
gboolean          kios_sync_service_shutdown           (KiosSyncService     *self,
                                                        guint                timeout_ms);
/* A book leaves the library: its pending pushes (every source with one in
 * the store) are sent now, through the backend an engine would open for
 * the book (KOReader sync, Kobo, OPDS progression, and a bridge's
 * partners), within timeout_ms overall. Each is written to the book's sync
 * log (sent, or dropped and why). Returns the names of the sources whose
 * push could not be sent (offline, an error, out of time), NULL when none
 * is left; what was sent is no longer pending. The blocking form is for
 * workers and kiosctl; both touch the store only (no engine, no signal),
 * so a worker may call them. */
GStrv             kios_sync_service_flush_book         (KiosSyncService     *self,
                                                        const char          *hash,
                                                        guint                timeout_ms,
                                                        GCancellable        *cancellable);
void              kios_sync_service_flush_book_async   (KiosSyncService     *self,
                                                        const char          *hash,
                                                        guint                timeout_ms,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GStrv             kios_sync_service_flush_book_finish  (KiosSyncService     *self,
                                                        GAsyncResult        *result);
/* clang-format on */

G_END_DECLS
