/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosLibrarySyncPage: Settings → Library sync. The library sources (OPDS
 * catalogs), each with Edit and Remove, and Add Source…. Removing a source
 * also clears its secrets from the keyring; downloaded books stay.
 */

#define KIOS_TYPE_LIBRARY_SYNC_PAGE (kios_library_sync_page_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibrarySyncPage, kios_library_sync_page, KIOS, LIBRARY_SYNC_PAGE, AdwPreferencesPage)

/* clang-format off */
/* store may be NULL (no library: the page says so). */
KiosLibrarySyncPage *kios_library_sync_page_new       (KiosLibraryStore    *store);
void                 kios_library_sync_page_reload    (KiosLibrarySyncPage *self);
gboolean             kios_library_sync_page_is_loading (KiosLibrarySyncPage *self);
guint                kios_library_sync_page_get_n_sources (KiosLibrarySyncPage *self);
/* clang-format on */

G_END_DECLS
