/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library.h"
#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * KiosPreferencesWindow: the Settings window. Its "Reading" page is bound to
 * GSettings; the sync pages are added with adw_preferences_window_add() and
 * change sources through the application's KiosSourceManager, given to
 * _new_with_manager (whose "changed" the application's sync service follows).
 */

#define KIOS_TYPE_PREFERENCES_WINDOW (kios_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (KiosPreferencesWindow, kios_preferences_window, KIOS, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* clang-format off */
/* manager NULL: no library, no sync pages to fill. */
KiosPreferencesWindow *kios_preferences_window_new_with_manager (GtkWindow         *parent,
                                                                 KiosSourceManager *manager);
/* Adds the Library page (the books folders and their import) for library;
 * once per window. */
void                   kios_preferences_window_set_library      (KiosPreferencesWindow *self,
                                                                 KiosLibrary       *library);
/* clang-format on */

G_END_DECLS
