/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-position.h"
#include "kios-sync-status.h"

G_BEGIN_DECLS

/*
 * The words and icons for a KiosSyncStatus, shared by the status button and
 * the sync details dialog, and the plain-text "Copy Report" (GTK-free: glib
 * and gettext only, so it is tested without a display).
 *
 * Nothing here shows core English: a failure is described from the status's
 * error domain and code through the error table; status->detail (core
 * detail) only reaches the report, redacted.
 */

/* clang-format off */
/* The sentence for a core error (domain and code, never its message). */
char         *kios_sync_error_sentence           (const GError           *error) G_GNUC_WARN_UNUSED_RESULT;
/* A symbolic icon name for the state. */
const char   *kios_sync_status_icon_name         (KiosSyncStatusState     state);
/* TRUE for the states that need the person to do something (refused,
 * wrong URL, server error): the icon is drawn as a warning. */
gboolean      kios_sync_status_needs_attention   (KiosSyncStatusState     state);
/* "Synced 2 minutes ago", "Not synced yet", "Offline", "The server refused
 * the password", …; now is unix seconds. */
char         *kios_sync_status_title             (const KiosSyncStatus   *status,
                                                  gint64                  now) G_GNUC_WARN_UNUSED_RESULT;
/* One or two sentences: what happened and what to do; NULL when the title
 * says everything. */
char         *kios_sync_status_description      (const KiosSyncStatus   *status) G_GNUC_WARN_UNUSED_RESULT;
/* "just now", "2 minutes ago", "yesterday at 14:02", "3 Dec at 09:15". */
char         *kios_sync_relative_time            (gint64                  then,
                                                  gint64                  now) G_GNUC_WARN_UNUSED_RESULT;
/* "KOReader Sync", "Kobo Sync", "Readium Progression" (or the word itself). */
const char   *kios_sync_protocol_label           (const char             *protocol);
/* What the server keeps, in words: "exact position", "page", "chapter and
 * percent", "percent only"; NULL for an unknown word. */
const char   *kios_sync_precision_label          (const char             *precision);
/* "Sent", "Received" for "push", "pull". */
const char   *kios_sync_direction_label          (const char             *direction);
/* A log or status result word ("synced", "offline", …) in words. */
const char   *kios_sync_result_label             (const char             *result);
/* "‘Chapter 9’ · 42 %" (or "42 %" without a title) for a position given as
 * the log's JSON; NULL when it cannot be read. */
char         *kios_sync_remote_label_from_json   (const char             *json) G_GNUC_WARN_UNUSED_RESULT;
char         *kios_sync_remote_label             (const KiosPosition     *position) G_GNUC_WARN_UNUSED_RESULT;

/* The redacted plain-text report for one book: title and hash, the Kios
 * version, each source's status (element-type KiosSyncStatus) and the log
 * (element-type KiosSyncLogEntry, newest first). Every string from the store
 * goes through kios_redact_text (), URLs through kios_redact_url (). */
char         *kios_sync_report_build             (const char             *book_title,
                                                  const char             *book_hash,
                                                  GPtrArray              *statuses,
                                                  GPtrArray              *log,
                                                  gint64                  now) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
