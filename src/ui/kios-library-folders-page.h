/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosLibraryFoldersPage: Preferences → Library. The books folders, each
 * with Remove (its books stay), "Add Folder…" (a folder chooser; the folder
 * is imported in the background at once), and the import's progress. Every
 * library call runs off the main thread.
 */

#define KIOS_TYPE_LIBRARY_FOLDERS_PAGE (kios_library_folders_page_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibraryFoldersPage, kios_library_folders_page, KIOS, LIBRARY_FOLDERS_PAGE, AdwPreferencesPage)

/* clang-format off */
KiosLibraryFoldersPage *kios_library_folders_page_new          (KiosLibrary            *library);
/* What "Add Folder…" does with the chosen folder, and Remove with a row's. */
void                    kios_library_folders_page_add_folder   (KiosLibraryFoldersPage *self,
                                                                const char             *dir);
void                    kios_library_folders_page_remove_folder (KiosLibraryFoldersPage *self,
                                                                const char             *dir);
gboolean                kios_library_folders_page_is_busy      (KiosLibraryFoldersPage *self);
/* The folders listed, in order (transfer none; NULL-terminated). */
const char *const      *kios_library_folders_page_get_folders  (KiosLibraryFoldersPage *self);
/* clang-format on */

G_END_DECLS
