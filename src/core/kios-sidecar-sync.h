/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosSidecarSync: keeps the highlights and bookmarks of the open books
 * shared with KOReader's sidecar files (kios-koreader-sidecar.h), for books
 * under a library folder the person opted in (the sidecar next to the book)
 * or, when the person named one, in KOReader's central "docsettings"
 * folder. Local files only: nothing goes to a server.
 *
 * When a book opens, its sidecar is read off the main thread and
 * KOReader's entries are put into the store as origin "koreader": one at
 * the same place (kind, pos0, pos1) is updated, a new one added, and a
 * "koreader" one no longer in the sidecar deleted. While the book is open
 * the sidecar is watched and read again when it changes (debounced), and
 * when the store says the book's annotations changed, Kios's own are
 * merged into the sidecar off the main thread (debounced; the changes the
 * import makes are not written back). What the person deleted in Kios —
 * Kios's own or KOReader's — is removed from the sidecar then: the
 * places Kios last saw there or wrote there are kept per book in the
 * store (book meta KIOS_KOREADER_SIDECAR_SEEN_KEY), and those no longer
 * in the store are removed, also after a restart (the import leaves them
 * out and asks for a write). An entry Kios never saw is never removed.
 * The other way round, Kios's own that Kios wrote there (or saw there) and
 * that are no longer in the sidecar were deleted in KOReader: the import
 * deletes them from the store, and they are not written back (a sidecar
 * that is gone altogether deletes nothing of Kios's). Kios's own never
 * written there yet are written after the import. A
 * sidecar the reader refuses
 * (malformed, over the limits, code) is left alone: never written, and
 * reported once per opening with KiosSidecarSync::message.
 *
 * Main thread only, like the store it is given.
 */
#define KIOS_TYPE_SIDECAR_SYNC (kios_sidecar_sync_get_type ())
G_DECLARE_FINAL_TYPE (KiosSidecarSync, kios_sidecar_sync, KIOS, SIDECAR_SYNC, GObject)

/* clang-format off */
/* settings: the app's (keys "koreader-sidecar-folders" and
 * "koreader-docsettings-folder"), followed as they change; NULL to use the
 * setters only. */
KiosSidecarSync *kios_sidecar_sync_new                 (KiosLibraryStore   *store,
                                                        GSettings          *settings);
/* Library folders whose books share their sidecars (NULL: none). */
void             kios_sidecar_sync_set_folders         (KiosSidecarSync    *self,
                                                        const char *const  *folders);
/* KOReader's central docsettings folder, NULL or "" for none. */
void             kios_sidecar_sync_set_docsettings_folder (KiosSidecarSync *self,
                                                        const char         *folder);
/* Debounce of re-reading and writing, in milliseconds (500 by default). */
void             kios_sidecar_sync_set_delay           (KiosSidecarSync    *self,
                                                        guint               delay_ms);
/* Whether the book at path shares its sidecar under the current settings. */
gboolean         kios_sidecar_sync_is_shared           (KiosSidecarSync    *self,
                                                        const char         *path);
void             kios_sidecar_sync_book_opened         (KiosSidecarSync    *self,
                                                        const char         *path,
                                                        const char         *hash);
void             kios_sidecar_sync_book_closed         (KiosSidecarSync    *self,
                                                        const char         *hash);
/* Whether nothing is pending or running (for tests). */
gboolean         kios_sidecar_sync_is_idle             (KiosSidecarSync    *self);
/* clang-format on */

G_END_DECLS
