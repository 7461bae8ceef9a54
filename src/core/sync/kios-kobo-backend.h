/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-kobo-client.h"
#include "kios-library-store.h"
#include "kios-sync-backend.h"

G_BEGIN_DECLS

/*
 * KiosKoboBackend: KiosSyncBackend over the Kobo reading-state routes for
 * the books downloaded from one Kobo sync source (book meta "kobo.source"
 * and "kobo.entitlement_id", see kios-kobo-library.h).
 *
 * Push: Location.Source = chapter_href (the chapter's path in the zip),
 * ContentSourceProgressPercent = chapter_progress × 100, ProgressPercent =
 * total_progress × 100, timestamps = the position's updated_at; Value
 * "kobo.1.1" (null on Komga when it lists the book as KEPUB, so Komga fills
 * in the real span),
 * and the chapter progress snapped to Komga's grid from the chapter's size
 * in the downloaded file. Every PUT is read back (kios_kobo_client_put_state):
 * a "Success" that stored nothing fails with KIOS_SYNC_ERROR_CONFLICT and
 * is never reported as synced.
 * Pull: GET state → a position with chapter = -1, chapter_href = Source,
 * chapter_progress and total_progress from the percentages, updated_at
 * from CurrentBookmark.LastModified; the engine resolves it in the book
 * (kios_document_normalize_position).
 */

#define KIOS_TYPE_KOBO_BACKEND (kios_kobo_backend_get_type ())
G_DECLARE_FINAL_TYPE (KiosKoboBackend, kios_kobo_backend, KIOS, KOBO_BACKEND, GObject)

/* clang-format off */
/* Takes ownership of client (configured: family known, see kios_kobo_source_open). */
KiosKoboBackend      *kios_kobo_backend_new              (const char                 *source_name,
                                                          KiosKoboClient             *client,
                                                          KiosLibraryStore           *store) G_GNUC_WARN_UNUSED_RESULT;
/* The backend that serves this book, when it came from a Kobo source; NULL
 * without error otherwise (blocking: reads the store and the keyring). */
KiosKoboBackend      *kios_kobo_backend_open_for_book    (KiosLibraryStore           *store,
                                                          const char                 *book_hash,
                                                          GCancellable               *cancellable,
                                                          GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
KiosKoboClient       *kios_kobo_backend_get_client       (KiosKoboBackend            *self);

/* Blocking forms of push and pull (workers, kiosctl). */
gboolean              kios_kobo_backend_push_sync        (KiosKoboBackend            *self,
                                                          const char                 *book_hash,
                                                          const KiosPosition         *position,
                                                          KiosKoboReadingState      **stored,
                                                          GCancellable               *cancellable,
                                                          GError                    **error);
/* NULL without error: the server has no position for the book. raw (nullable out): the state as read. */
KiosPosition         *kios_kobo_backend_pull_sync        (KiosKoboBackend            *self,
                                                          const char                 *book_hash,
                                                          KiosKoboReadingState      **raw,
                                                          GCancellable               *cancellable,
                                                          GError                    **error);

/* The state Kios sends for a position. chapter_size: the chapter file's
 * size in bytes (0 = unknown: no Komga snapping). */
KiosKoboReadingState *kios_kobo_state_from_position      (KiosKoboFamily              family,
                                                          const char                 *entitlement_id,
                                                          const KiosPosition         *position,
                                                          gboolean                    kepub,
                                                          gsize                       chapter_size);
/* A remote state as an unresolved position (see above). */
KiosPosition         *kios_kobo_state_to_position        (const KiosKoboReadingState *state);
/* The seed's "Kios and my Kobo show different percentages", for the book's
 * sync details: NULL when there is nothing to explain. */
char                 *kios_kobo_explain_percentages      (const KiosPosition         *local,
                                                          const KiosPosition         *remote);
/* clang-format on */

G_END_DECLS
