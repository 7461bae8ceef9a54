/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-position.h"
#include "kios-sync-service.h"

G_BEGIN_DECLS

/*
 * KiosSyncDetailsDialog: "Sync Details" for one book. Per source that serves
 * it: the state in words, the server, the last push and the last pull with
 * their time and result, what the server keeps of a position (exact
 * position, page, chapter and percent, percent only) and the other device's
 * position; below, the book's recent history, newest first. "Copy Report"
 * puts a redacted plain-text report on the clipboard.
 *
 * Reads through the sync service (list_status_async, list_log_async) and
 * reloads when the service says this book's status changed; closing it
 * cancels what it still reads.
 * Named widgets (tests): "copy-report-button", "history-list".
 */

#define KIOS_TYPE_SYNC_DETAILS_DIALOG (kios_sync_details_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncDetailsDialog, kios_sync_details_dialog, KIOS, SYNC_DETAILS_DIALOG, AdwWindow)

/* clang-format off */
KiosSyncDetailsDialog *kios_sync_details_dialog_new        (GtkWindow             *parent,
                                                            KiosSyncService       *service,
                                                            const char            *book_hash,
                                                            const char            *book_title);
/* The other device's position as the open book resolved it (with its
 * chapter title), shown instead of the log's raw remote; nullable. */
void                   kios_sync_details_dialog_set_remote (KiosSyncDetailsDialog *self,
                                                            const KiosPosition    *remote);
/* TRUE while the status or the log is being read. */
gboolean               kios_sync_details_dialog_is_loading (KiosSyncDetailsDialog *self);
/* The report "Copy Report" puts on the clipboard (tests), NULL while loading. */
const char            *kios_sync_details_dialog_get_report (KiosSyncDetailsDialog *self);
/* clang-format on */

G_END_DECLS
