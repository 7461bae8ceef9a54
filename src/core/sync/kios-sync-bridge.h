/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library-store.h"
#include "kios-sync-backend.h"
#include "kios-sync-pipeline.h"

G_BEGIN_DECLS

/*
 * KiosSyncBridge: one book's position on every protocol that knows it
 * (opt-in per source, "bridge" in its settings). A book downloaded from a
 * Kobo sync source or from a catalog with Readium progression is served by
 * that protocol (the primary); with bridging, the KOReader sync account is
 * a partner too:
 * - when the book's own source has bridging on and the account is on the
 *   same server (kios-origin: scheme, host and port of the two URLs), or
 * - when the KOReader sync account itself has bridging on (any server).
 * The bridge is a KiosSyncBackend that names the primary (source, protocol,
 * precision: the book's sync state stays the primary's) and:
 * - pushes to the primary, then to each partner in its own form and
 *   precision, each recorded in the book's sync log and status; a partner
 *   whose server holds a position further on and newer than the one pushed
 *   is left alone (said in the log): a position behind is never written
 *   over one ahead without the person's choice (keep_local records it);
 * - pulls through kios_sync_pipeline_run, which resolves every member's
 *   remote in the book and decides for each: the furthest one ahead is the
 *   outcome (its remotes list holds each member's), one behind never is.
 * Blocking calls are for workers and kiosctl.
 */

#define KIOS_TYPE_SYNC_BRIDGE (kios_sync_bridge_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncBridge, kios_sync_bridge, KIOS, SYNC_BRIDGE, GObject)

/* clang-format off */
/* store: for the partners' log and status entries. */
KiosSyncBridge  *kios_sync_bridge_new              (KiosLibraryStore        *store,
                                                    KiosSyncBackend         *primary) G_GNUC_WARN_UNUSED_RESULT;
void             kios_sync_bridge_add_partner      (KiosSyncBridge          *self,
                                                    KiosSyncBackend         *partner);
KiosSyncBackend *kios_sync_bridge_get_primary      (KiosSyncBridge          *self);
/* The engine's bridges log the partners' pulls too (kiosctl's pull changes nothing). */
void             kios_sync_bridge_set_record_pulls (KiosSyncBridge          *self,
                                                    gboolean                 record);
/* The person chose this device's position over the remotes ("Stay here"):
 * the book's next push goes to every partner, also over one further on. */
void             kios_sync_bridge_keep_local       (KiosSyncBridge          *self,
                                                    const char              *book_hash);
/* Primary first, then the partners; element-type KiosSyncBackend. */
GPtrArray       *kios_sync_bridge_get_members      (KiosSyncBridge          *self);

/* Whether the book's own source and the KOReader sync account are bridged
 * (see above); the URLs are the full ones (from the keyring if need be). */
gboolean         kios_sync_bridge_applies          (const KiosSourceRecord  *own,
                                                    const char              *own_url,
                                                    const KiosSourceRecord  *kosync,
                                                    const char              *kosync_url);
/* own: the backend that serves the book (Kobo, Readium), or NULL. A new
 * reference to a bridge when bridging applies to the book, else to own
 * (NULL for NULL). book_path (nullable): the file, for filename matching.
 * Blocking (store, keyring); a partner that cannot be opened is left out
 * (debug log). */
KiosSyncBackend *kios_sync_bridge_wrap_for_book    (KiosLibraryStore        *store,
                                                    const char              *book_hash,
                                                    const char              *book_path,
                                                    KiosSyncBackend         *own,
                                                    GCancellable            *cancellable);

/* One member, blocking: the position in the protocol's own form. detail
 * (nullable out): what the server did, for the log. */
gboolean         kios_sync_bridge_push_member      (KiosSyncBackend         *backend,
                                                    const char              *book_hash,
                                                    const KiosPosition      *position,
                                                    char                   **detail,
                                                    GCancellable            *cancellable,
                                                    GError                 **error);
/* FALSE (why set) when the member's server holds a position further on and
 * newer than position; TRUE when it may be pushed. Blocking: one pull. */
gboolean         kios_sync_bridge_may_push         (KiosSyncBackend         *backend,
                                                    const char              *book_hash,
                                                    const KiosPosition      *position,
                                                    char                   **why,
                                                    GCancellable            *cancellable,
                                                    GError                 **error);
/* Pull → resolve → decide through every member (kios_sync_pipeline_run
 * calls this for a bridge). NULL with error only when every member failed. */
KiosSyncOutcome *kios_sync_bridge_run              (KiosSyncBridge          *self,
                                                    KiosDocument            *document,
                                                    const char              *book_hash,
                                                    const KiosPosition      *local,
                                                    const KiosSyncPipelineOptions *opts,
                                                    GCancellable            *cancellable,
                                                    GError                 **error);
/* Which of outcomes (element-type KiosSyncOutcome, primary first) wins:
 * the furthest one ahead (prompt or apply-silently), else the primary. */
guint            kios_sync_bridge_choose           (GPtrArray               *outcomes);
/* clang-format on */

G_END_DECLS
