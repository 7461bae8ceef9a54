/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * KiosSourceDialog: add or edit a library source. The kind (OPDS catalog or
 * Kobo sync), a display name, the catalog URL and an optional user name and
 * password (both or neither). Test fetches the catalog's first page (and
 * suggests the catalog path when a web page answered), with Stop while it
 * runs; Save keeps the secrets in the keyring only (a URL that carries a
 * key, like Kavita's /api/opds/<key>, goes there whole) and the rest in the
 * library. Both go through the KiosSourceManager, in its workers, and say
 * what happened in words, never in the core's or libcurl's.
 *
 * Kobo sync has one field beyond the name: the personal sync URL (always a
 * keyring secret). Test and Save call v1/initialization only; when the
 * server hands each book or position to one device per account (Calibre-Web
 * /CWA, Grimmory/BookLore) the dialog explains that and asks before Kios may
 * list the library (a Save before the question was seen shows it instead of
 * saving). The answer goes to the settings as "library_sync".
 *
 * Signals: "saved" (const char *name), after the source is stored.
 */

#define KIOS_TYPE_SOURCE_DIALOG (kios_source_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KiosSourceDialog, kios_source_dialog, KIOS, SOURCE_DIALOG, AdwWindow)

/* clang-format off */
/* source NULL adds a new one. _new makes a manager of its own over store;
 * _for_manager shares the app's. */
KiosSourceDialog *kios_source_dialog_new        (GtkWindow              *parent,
                                                 KiosLibraryStore       *store,
                                                 const KiosSourceRecord *source);
KiosSourceDialog *kios_source_dialog_new_for_manager (GtkWindow         *parent,
                                                 KiosSourceManager      *manager,
                                                 const KiosSourceRecord *source);
void              kios_source_dialog_set_fields (KiosSourceDialog       *self,
                                                 const char             *name,
                                                 const char             *url,
                                                 const char             *username,
                                                 const char             *password);
/* "opds" or "kobo". */
void              kios_source_dialog_set_kind   (KiosSourceDialog       *self,
                                                 const char             *kind);
/* The consent checkbox, as the reader would tick it. */
void              kios_source_dialog_set_library_sync (KiosSourceDialog *self,
                                                 gboolean                allow);
/* The consent explanation while it shows, else NULL. */
const char       *kios_source_dialog_get_consent_text (KiosSourceDialog *self);
void              kios_source_dialog_test       (KiosSourceDialog       *self);
void              kios_source_dialog_save       (KiosSourceDialog       *self);
gboolean          kios_source_dialog_is_busy    (KiosSourceDialog       *self);
/* What the dialog says under the fields or after a test, or NULL. */
const char       *kios_source_dialog_get_message (KiosSourceDialog      *self);
/* clang-format on */

G_END_DECLS
