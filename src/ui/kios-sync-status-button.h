/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-reader-view.h"
#include "kios-sync-engine.h"

G_BEGIN_DECLS

/*
 * KiosSyncStatusButton: the header bar's sync status (synced / pending /
 * offline / failing with the reason), bound to a KiosSyncEngine. Its popover
 * offers "Sync now", the last result with its time and server, and "Go to
 * the other device's position" while one is known. Hidden while sync is off.
 * Inner widgets are named "sync-now-button", "go-to-remote-button",
 * "status-label", "detail-label" (tests).
 */

#define KIOS_TYPE_SYNC_STATUS_BUTTON (kios_sync_status_button_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncStatusButton, kios_sync_status_button, KIOS, SYNC_STATUS_BUTTON, GtkWidget)

/* clang-format off */
GtkWidget      *kios_sync_status_button_new          (KiosSyncEngine       *engine);
KiosSyncEngine *kios_sync_status_button_get_engine   (KiosSyncStatusButton *self);
/* The icon name currently shown (tests). */
const char     *kios_sync_status_button_get_icon_name (KiosSyncStatusButton *self);

/*
 * Window wiring, in one call from the window once it has a store: creates
 * the window's engine (loading the KOReader sync account), puts a KiosBanner
 * into slot, packs the status button at the end of the header bar above
 * slot, and connects GtkWindow:is-active (deactivate / activate), the reader
 * view's document (open → pull, close → push) and page turns. The engine
 * lives as long as the window (data key "kios-sync-engine").
 */
KiosSyncEngine *kios_sync_status_button_attach_window (GtkWindow            *window,
                                                       KiosReaderView       *reader_view,
                                                       GtkRevealer          *slot,
                                                       KiosLibraryStore     *store);
/* App quit: every window's engine pushes what it has, all within timeout_ms. */
void            kios_sync_status_button_shutdown_all  (guint                 timeout_ms);
/* The account changed (Settings → Progress sync): every engine reloads it. */
void            kios_sync_status_button_reload_all    (void);
/* clang-format on */

G_END_DECLS
