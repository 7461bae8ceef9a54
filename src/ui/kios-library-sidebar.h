/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosLibrarySidebar: the library's navigation. "Continue Reading" (id
 * "recent", the start view), "On This Computer" ("local"), one row per
 * library source ("source:<name>"), and an "Add Source…" button. Sources are
 * read from the store in a worker.
 *
 * Signals: "selected" (const char *id): a row was chosen (by the reader or
 * by kios_library_sidebar_select); "add-source": the button was clicked.
 */

#define KIOS_TYPE_LIBRARY_SIDEBAR (kios_library_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibrarySidebar, kios_library_sidebar, KIOS, LIBRARY_SIDEBAR, AdwBin)

/* clang-format off */
KiosLibrarySidebar     *kios_library_sidebar_new          (void);
void                    kios_library_sidebar_set_store    (KiosLibrarySidebar *self,
                                                           KiosLibraryStore   *store);
/* Reads the sources again; the selection stays when its row does. */
void                    kios_library_sidebar_reload       (KiosLibrarySidebar *self);
/* Reloads, then selects id (e.g. a source just added). */
void                    kios_library_sidebar_reload_and_select (KiosLibrarySidebar *self,
                                                           const char         *id);
gboolean                kios_library_sidebar_is_loading   (KiosLibrarySidebar *self);
const char             *kios_library_sidebar_get_selected (KiosLibrarySidebar *self);
/* FALSE when there is no such row. */
gboolean                kios_library_sidebar_select       (KiosLibrarySidebar *self,
                                                           const char         *id);
guint                   kios_library_sidebar_get_n_sources (KiosLibrarySidebar *self);
/* The source of a "source:<name>" id, or NULL. */
const KiosSourceRecord *kios_library_sidebar_get_source   (KiosLibrarySidebar *self,
                                                           const char         *id);
/* clang-format on */

G_END_DECLS
