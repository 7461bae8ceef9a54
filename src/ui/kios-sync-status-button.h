/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-position.h"
#include "kios-sync-engine.h"

G_BEGIN_DECLS

/*
 * KiosSyncStatusButton: the header bar's sync status, drawn only from the
 * engine's stored status (kios_sync_engine_get_status): never synced,
 * synced (with the time and server), pending (with why), offline, refused,
 * wrong URL, server error. Hidden while sync is off. It never creates or
 * owns an engine's life: the window gives it the engine the sync service
 * made for it.
 *
 * Its popover: the state in words, "Sync Now" (with a spinner and Cancel
 * while it runs), "Go to the Other Device’s Position" while one is known,
 * "Open Preferences" when the account needs fixing (app.preferences) and
 * "Sync Details…" (win.sync-details).
 *
 * Inner widgets are named "sync-status-menu-button", "status-label",
 * "detail-label", "sync-now-button", "cancel-button",
 * "go-to-remote-button", "preferences-button", "details-button" (tests).
 */

#define KIOS_TYPE_SYNC_STATUS_BUTTON (kios_sync_status_button_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncStatusButton, kios_sync_status_button, KIOS, SYNC_STATUS_BUTTON, GtkWidget)

/* clang-format off */
GtkWidget      *kios_sync_status_button_new           (KiosSyncEngine       *engine);
KiosSyncEngine *kios_sync_status_button_get_engine    (KiosSyncStatusButton *self);
/* The icon name currently shown (tests). */
const char     *kios_sync_status_button_get_icon_name (KiosSyncStatusButton *self);
/* The reader's position, to explain a Kobo's different percentage; nullable. */
void            kios_sync_status_button_set_local     (KiosSyncStatusButton *self,
                                                       const KiosPosition   *local);
/* Re-reads the engine's status (also once a minute, for "2 minutes ago"). */
void            kios_sync_status_button_update        (KiosSyncStatusButton *self);
/* clang-format on */

G_END_DECLS
