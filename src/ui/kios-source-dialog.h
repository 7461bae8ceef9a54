/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosSourceDialog: add or edit a library source. The kind (OPDS catalog,
 * the only one that works so far), a display name, the catalog URL and an
 * optional user name and password (both or neither). Test fetches the
 * catalog's first page; Save keeps the secrets in the keyring only (a URL
 * that carries a key, like Kavita's /api/opds/<key>, goes there whole) and
 * the rest in the library. Every step runs in a worker.
 *
 * Signals: "saved" (const char *name), after the source is stored.
 */

#define KIOS_TYPE_SOURCE_DIALOG (kios_source_dialog_get_type ())
G_DECLARE_FINAL_TYPE (KiosSourceDialog, kios_source_dialog, KIOS, SOURCE_DIALOG, AdwWindow)

/* clang-format off */
/* source NULL adds a new one. */
KiosSourceDialog *kios_source_dialog_new        (GtkWindow              *parent,
                                                 KiosLibraryStore       *store,
                                                 const KiosSourceRecord *source);
void              kios_source_dialog_set_fields (KiosSourceDialog       *self,
                                                 const char             *name,
                                                 const char             *url,
                                                 const char             *username,
                                                 const char             *password);
void              kios_source_dialog_test       (KiosSourceDialog       *self);
void              kios_source_dialog_save       (KiosSourceDialog       *self);
gboolean          kios_source_dialog_is_busy    (KiosSourceDialog       *self);
/* What the dialog says under the fields or after a test, or NULL. */
const char       *kios_source_dialog_get_message (KiosSourceDialog      *self);
/* clang-format on */

G_END_DECLS
