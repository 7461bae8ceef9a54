/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-library.h"
#include "kios-sidecar-sync.h"
#include "kios-source-manager.h"
#include "kios-sync-service.h"

G_BEGIN_DECLS

/* One schema for every profile: a devel build shares the reader's settings. */
#define KIOS_SETTINGS_SCHEMA "app.kios.Kios"

#define KIOS_TYPE_APPLICATION (kios_application_get_type ())
G_DECLARE_FINAL_TYPE (KiosApplication, kios_application, KIOS, APPLICATION, AdwApplication)

/* clang-format off */
KiosApplication   *kios_application_new                (void);
/* The library store, opened at startup (a new one made beside GTK's
 * start-up is waited for here); NULL when it could not be opened.
 * has_store: whether it is there already, without waiting. */
KiosLibraryStore  *kios_application_get_store          (KiosApplication *self);
gboolean           kios_application_has_store          (KiosApplication *self);
/* Makes the sync service, the library and the source manager over the
 * store, once: windows call it after their first frame, the getters below
 * on their first call. has_services: whether that happened. */
void               kios_application_start_services     (KiosApplication *self);
gboolean           kios_application_has_services       (KiosApplication *self);
/* Whether the icon theme was scanned on its own thread since startup (the
 * first window then finds it ready). */
gboolean           kios_application_icon_theme_scanned (void);
/* The sync service over that store (NULL without a library). Windows get
 * their engines from it; it reloads the accounts whenever the source
 * manager changed a source. */
KiosSyncService   *kios_application_get_sync_service   (KiosApplication *self);
/* The one source manager over that store (NULL without a library): the
 * settings and the window's Add Source change sources through it, and the
 * sync service reloads whenever it says they changed. */
KiosSourceManager *kios_application_get_source_manager (KiosApplication *self);
/* The library (books, shelves, books folders) over that store; NULL without
 * a store. start_library rescans and watches the books folders, once per
 * run: windows call it after their first frame. */
KiosLibrary       *kios_application_get_library        (KiosApplication *self);
void               kios_application_start_library      (KiosApplication *self);
/* Shares open books' highlights with KOReader's files (created by
 * start_library; NULL until then or without a store). */
KiosSidecarSync   *kios_application_get_sidecar_sync   (KiosApplication *self);
/* Opens a book named on the command line while GTK starts (call before
 * running); a window opening the same path takes it over. Only the primary
 * instance opens it: a second one hands it over without opening it. */
void               kios_application_preopen            (KiosApplication    *self,
                                                        const char         *arg);
gboolean           kios_application_is_preopening      (KiosApplication    *self);
gboolean           kios_application_take_preopened     (KiosApplication    *self,
                                                        const char         *path,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
/* clang-format on */

G_END_DECLS
