/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-application.h"
#include "kios-library-store.h"
#include "kios-reader-view.h"
#include "kios-start-view.h"

G_BEGIN_DECLS

/*
 * KiosWindow: one main window. It shows the library (a KiosLibrarySidebar
 * beside the start view, the local books, a source's KiosCatalogView or a
 * KiosBookDetail) or one open book in a KiosReaderView, with the header bar,
 * menus and toasts.
 *
 * Actions: win.open, win.close, win.show-library, win.toggle-contents
 * (boolean state), win.fullscreen, win.font-larger, win.font-smaller,
 * win.font-reset, win.theme (string state, the GSettings key).
 */

#define KIOS_TYPE_WINDOW (kios_window_get_type ())
G_DECLARE_FINAL_TYPE (KiosWindow, kios_window, KIOS, WINDOW, AdwApplicationWindow)

/* clang-format off */
/* application may be NULL (tests); the window then has no store until one is set. */
KiosWindow       *kios_window_new                 (KiosApplication  *application);
KiosLibraryStore *kios_window_get_store           (KiosWindow       *self);
void              kios_window_set_store           (KiosWindow       *self,
                                                   KiosLibraryStore *store);
KiosStartView    *kios_window_get_start_view      (KiosWindow       *self);
KiosReaderView   *kios_window_get_reader_view     (KiosWindow       *self);
/* The empty, hidden slot under the header bar for the sync prompt. */
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
/* clang-format on */

G_END_DECLS
