/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-application.h"
#include "kios-library-store.h"
#include "kios-reader-view.h"
#include "kios-start-view.h"
#include "kios-sync-service.h"

G_BEGIN_DECLS

/*
 * KiosWindow: one main window. It shows the library (a KiosLibrarySidebar
 * beside the start view, the local books, a source's KiosCatalogView or a
 * KiosBookDetail) or one open book in a KiosReaderView, with the header bar,
 * menus and toasts.
 *
 * Actions: win.open, win.close, win.show-library, win.toggle-contents
 * (boolean state), win.fullscreen, win.font-larger, win.font-smaller,
 * win.font-reset, win.theme (string state, the GSettings key),
 * win.sync-details (the open book's Sync Details; enabled while a book is
 * open and the window has a sync service).
 *
 * Sync: the window gets the application's KiosSyncService and asks it for
 * its own engine; closing the window closes its book (a push), cancels the
 * rest of the engine's work and lets go of it.
 */

#define KIOS_TYPE_WINDOW (kios_window_get_type ())
G_DECLARE_FINAL_TYPE (KiosWindow, kios_window, KIOS, WINDOW, AdwApplicationWindow)

/* clang-format off */
/* application may be NULL (tests); the window then has no store until one is set. */
KiosWindow       *kios_window_new                 (KiosApplication  *application);
/* A window that opens file at once and brings up the library and sync only
 * after its first page is painted (or, without a file, after its first
 * frame): how the application makes its windows. */
KiosWindow       *kios_window_new_deferred        (KiosApplication  *application,
                                                   GFile            *file);
/* TRUE once the library's views and sync are up. */
gboolean          kios_window_is_started          (KiosWindow       *self);
/* The stack page ("library" or "reader") of the first frame painted. */
const char       *kios_window_get_first_frame_page (KiosWindow       *self);
KiosLibraryStore *kios_window_get_store           (KiosWindow       *self);
void              kios_window_set_store           (KiosWindow       *self,
                                                   KiosLibraryStore *store);
/* service NULL: no sync (the status button and banner stay away). */
void              kios_window_set_sync_service    (KiosWindow       *self,
                                                   KiosSyncService  *service);
KiosSyncService  *kios_window_get_sync_service    (KiosWindow       *self);
/* The engine the service made for this window, or NULL (tests). */
KiosSyncEngine   *kios_window_get_sync_engine     (KiosWindow       *self);
KiosStartView    *kios_window_get_start_view      (KiosWindow       *self);
KiosReaderView   *kios_window_get_reader_view     (KiosWindow       *self);
/* The slot under the header bar holding the sync prompt (a KiosBanner). */
GtkRevealer      *kios_window_get_sync_banner     (KiosWindow       *self);
/* TRUE while a book is open or being opened. */
gboolean          kios_window_is_reading          (KiosWindow       *self);
/* "library" or "reader". */
const char       *kios_window_get_visible_page    (KiosWindow       *self);

void              kios_window_open_file           (KiosWindow       *self,
                                                   GFile            *file);
void              kios_window_show_library        (KiosWindow       *self);
void              kios_window_add_toast           (KiosWindow       *self,
                                                   AdwToast         *toast);
/* Tells the application's KiosSidecarSync about the open book, if any. */
void              kios_window_share_open_book     (KiosWindow       *self);
/* clang-format on */

G_END_DECLS
