/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-document.h"
#include "kios-library-store.h"
#include "kios-sync-backend.h"
#include "kios-sync-decision.h"
#include "kios-sync-status.h"

G_BEGIN_DECLS

/*
 * KiosSyncEngine: when to push and pull the reading position of the open
 * book, and what a remote position means (PRODUCT.md "Sync behaviour").
 * GTK-free; the window feeds it events and binds its status properties.
 *
 * - Which backend serves a book: its own when it has one (a book from a
 *   Kobo sync source: Kobo; from an OPDS catalog with a progression link:
 *   Readium; looked up in a worker when it opens, see
 *   set_book_backend_func), else the global KOReader sync account set with
 *   kios_sync_engine_set_backend () or load_account (). Sync state is kept
 *   per (book, source) under the serving backend's source name.
 * - Push on deactivate (window inactive), close_book (window close, another
 *   book, app quit via shutdown) and activate while a push is pending; never
 *   on set_position (a page turn). Only a position that differs from the last
 *   successful push goes out. Every push is written to the store as pending
 *   first and cleared only once the server took it, so it survives a
 *   restart. One request at a time per engine (one account); a newer local
 *   position replaces a queued one.
 * - Pull on open_book, in the background; the decision (prompt,
 *   apply-silently, ignore-behind, none) is made after resolving the remote
 *   xpointer or page in this book at the current layout; once the reader
 *   turned a page there is no prompt and no jump, and the remote stays
 *   reachable (go_to_remote).
 * - A refused login (401/403) or another non-transient failure turns the
 *   state to FAILING with the reason and stops automatic traffic (no retry
 *   loop) until the account changes or sync_now; network errors and 5xx
 *   keep the push pending (OFFLINE) and retry on the next activate.
 * - "status" (KiosSyncStatus) is the truth the status button shows, stored
 *   and never assumed: the record of the source and the open book as the
 *   last exchange left it (read from the store when the account or the book
 *   loads, so it survives a relaunch): NEVER until the server confirmed an
 *   exchange, SYNCED after one, OFFLINE / REFUSED / WRONG_URL / SERVER_ERROR
 *   after a failure, PENDING (with pending_reason) while a position waits,
 *   OFF when sync through the source is switched off (no traffic then).
 *   Every push and pull is written to the sync log. "state" and "reason"
 *   are the older, coarser view of the same.
 * - Engines made by a KiosSyncService (one per window) share its per-account
 *   push serialization and each other's stored statuses; a push in flight
 *   holds a reference, so an engine whose window closed lives until its
 *   push returned (the service's shutdown waits for it).
 *
 * All methods are for the thread that owns the engine (the main thread);
 * nothing blocks it except shutdown, which waits at most its timeout.
 *
 * Signals:
 * - "prompt" (const char *chapter_title): ask "Another device is in ‘…’ —
 *   switch?"; answer with accept_remote () or dismiss_remote ().
 * - "jump" (gpointer: const KiosPosition *): go to this position now
 *   (apply-silently, accept_remote, go_to_remote).
 * - "decided" (int KiosSyncDecision, const char *reason): after every pull
 *   that produced an answer (diagnostics, tests).
 */

typedef enum {
  KIOS_SYNC_STATE_OFF = 0, /* no account configured */
  KIOS_SYNC_STATE_SYNCED,  /* nothing waiting; the last exchange worked */
  KIOS_SYNC_STATE_PENDING, /* a push is waiting or in flight */
  KIOS_SYNC_STATE_OFFLINE, /* the server could not be reached; will retry */
  KIOS_SYNC_STATE_FAILING, /* refused or broken: see the reason */
} KiosSyncState;

#define KIOS_TYPE_SYNC_STATE (kios_sync_state_get_type ())
GType kios_sync_state_get_type (void) G_GNUC_CONST;

/* Which backend serves a book other than the global account: called in a
 * worker (blocking is fine: store, keyring) when a book opens; returns a new
 * reference or NULL for "use the global account". The default tries the
 * book's Kobo source, then its OPDS progression link. */
typedef KiosSyncBackend *(*KiosSyncBookBackendFunc) (KiosLibraryStore *store,
                                                     const char       *book_hash,
                                                     GCancellable     *cancellable,
                                                     gpointer          user_data);

#define KIOS_TYPE_SYNC_ENGINE (kios_sync_engine_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncEngine, kios_sync_engine, KIOS, SYNC_ENGINE, GObject)

/* clang-format off */
KiosSyncEngine     *kios_sync_engine_new                (KiosLibraryStore   *store) G_GNUC_WARN_UNUSED_RESULT;

KiosLibraryStore   *kios_sync_engine_get_store          (KiosSyncEngine     *self);
KiosSyncBackend    *kios_sync_engine_get_backend        (KiosSyncEngine     *self);
/* Properties "state", "reason" (nullable), "last-result" (nullable),
 * "last-time" (unix seconds, 0 = never), "server" (redacted, nullable),
 * "has-remote", "remote-title" (nullable), "busy". */
/* The KiosSyncStatus shown for this window ("status", notify::status): the
 * open book's through the source that serves it, else the KOReader sync
 * account's. Never NULL; owned by the engine and replaced (freed) on every
 * notify::status: copy it to keep it. */
const KiosSyncStatus *kios_sync_engine_get_status       (KiosSyncEngine     *self);
KiosSyncState       kios_sync_engine_get_state          (KiosSyncEngine     *self);
const char         *kios_sync_engine_get_reason         (KiosSyncEngine     *self);
const char         *kios_sync_engine_get_last_result    (KiosSyncEngine     *self);
gint64              kios_sync_engine_get_last_time      (KiosSyncEngine     *self);
const char         *kios_sync_engine_get_server         (KiosSyncEngine     *self);
gboolean            kios_sync_engine_get_has_remote     (KiosSyncEngine     *self);
const char         *kios_sync_engine_get_remote_title   (KiosSyncEngine     *self);
/* A bridged book's remote (kios-sync-bridge.h): the protocol it came over,
 * for the banner to name it with the device (get_remote ()->device). FALSE
 * when there is no remote or the book is not bridged. */
gboolean            kios_sync_engine_get_remote_protocol (KiosSyncEngine   *self,
                                                         KiosSyncProtocol *protocol);
/* The other device's position resolved in the open book, or NULL. */
const KiosPosition *kios_sync_engine_get_remote         (KiosSyncEngine     *self);
/* TRUE while a request, a pull or a store read is in flight. */
gboolean            kios_sync_engine_is_busy            (KiosSyncEngine     *self);

/* The global account; NULL switches sync off. A new account starts clean. */
void                kios_sync_engine_set_backend        (KiosSyncEngine     *self,
                                                         KiosSyncBackend    *backend);
/* Replaces the per-book backend lookup (func NULL: the default). user_data
 * must stay valid and be usable from a worker thread. */
void                kios_sync_engine_set_book_backend_func (KiosSyncEngine          *self,
                                                            KiosSyncBookBackendFunc  func,
                                                            gpointer                 user_data);
/* Reads the KOReader sync account from the store and the keyring in a worker
 * and sets it as the backend (NULL when none is configured). */
void                kios_sync_engine_load_account       (KiosSyncEngine     *self);

/* A book was opened at local (nullable: never read here): pull. */
void                kios_sync_engine_open_book          (KiosSyncEngine     *self,
                                                         KiosDocument       *document,
                                                         const KiosPosition *local);
/* The reader is now at position (every page turn; no network, no disk).
 * user_turned: the reader moved by their own action (not a sync jump). */
void                kios_sync_engine_set_position       (KiosSyncEngine     *self,
                                                         const KiosPosition *position,
                                                         gboolean            user_turned);
/* The book was closed (another book, window close): push, cancel the pull. */
void                kios_sync_engine_close_book         (KiosSyncEngine     *self);
void                kios_sync_engine_activate           (KiosSyncEngine     *self);
void                kios_sync_engine_deactivate         (KiosSyncEngine     *self);
/* "Sync now": push what is pending or changed, then pull again; also after a failure. */
void                kios_sync_engine_sync_now           (KiosSyncEngine     *self);
/* Cancel what is in flight (the reader's Cancel): a push stays pending. */
void                kios_sync_engine_cancel             (KiosSyncEngine     *self);
/* Continue: emits "jump" with the remote position. */
void                kios_sync_engine_accept_remote      (KiosSyncEngine     *self);
/* Stay here: the local position wins at the next push. */
void                kios_sync_engine_dismiss_remote     (KiosSyncEngine     *self);
/* "Go to the other device's position" from the status menu. */
void                kios_sync_engine_go_to_remote       (KiosSyncEngine     *self);
/* App quit: closes the book (push) and iterates the thread-default main
 * context until nothing is in flight or timeout_ms passed; then cancels what
 * is left, which stays pending in the store. TRUE when everything went out. */
gboolean            kios_sync_engine_shutdown           (KiosSyncEngine     *self,
                                                         guint               timeout_ms);
/* clang-format on */

G_END_DECLS
