/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * KiosLibrarySyncPage: Settings → Library sync. The library sources (OPDS
 * catalogs, Kobo sync servers), each with a switch that turns its position
 * sync off and on (the source stays), Edit and Remove, and Add Source….
 * Every change goes through the KiosSourceManager, whose "changed" signal
 * reloads the list; removing a source also clears its secrets from the
 * keyring; downloaded books stay. Widget names: "enable-NAME", "remove-NAME".
 */

#define KIOS_TYPE_LIBRARY_SYNC_PAGE (kios_library_sync_page_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibrarySyncPage, kios_library_sync_page, KIOS, LIBRARY_SYNC_PAGE, AdwPreferencesPage)

/* clang-format off */
/* store may be NULL (no library: the page says so). _new makes a manager of
 * its own; _for_manager shares the app's (NULL: no library). */
KiosLibrarySyncPage *kios_library_sync_page_new       (KiosLibraryStore    *store);
KiosLibrarySyncPage *kios_library_sync_page_new_for_manager (KiosSourceManager *manager);
void                 kios_library_sync_page_reload    (KiosLibrarySyncPage *self);
gboolean             kios_library_sync_page_is_loading (KiosLibrarySyncPage *self);
guint                kios_library_sync_page_get_n_sources (KiosLibrarySyncPage *self);
/* clang-format on */

G_END_DECLS
