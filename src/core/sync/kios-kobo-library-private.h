/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <json-glib/json-glib.h>

#include "kios-kobo-library.h"

G_BEGIN_DECLS

/*
 * The Kobo library is one unit in two files: kios-kobo-library.c (settings,
 * the catalog and its sync) and kios-kobo-library-download.c (downloads and
 * covers), which uses the catalog's storage and JSON readers below.
 *
 * The steps of the Kobo library sync parser are here too, for the fuzz
 * harness (tests/fuzz/fuzz-kobo-library.c): applying one item of a GET
 * v1/library/sync page to the catalog, and reading a catalog entry back.
 */

/* clang-format off */
/* A member of o (nullable) of that type, or NULL. */
const char     *kios_kobo_json_get_string         (JsonObject        *o,
                                                   const char        *name);
JsonObject     *kios_kobo_json_get_object         (JsonObject        *o,
                                                   const char        *name);
JsonArray      *kios_kobo_json_get_array          (JsonObject        *o,
                                                   const char        *name);
/* The pseudo-hash whose book meta holds the source's catalog. */
char           *kios_kobo_catalog_key             (KiosLibraryStore  *store,
                                                   const char        *source_name);
/* The catalog bucket that holds (or would hold) entitlement_id, and
 * storing it back. */
JsonObject     *kios_kobo_catalog_bucket          (KiosLibraryStore  *store,
                                                   const char        *key,
                                                   const char        *entitlement_id);
void            kios_kobo_catalog_save_bucket     (KiosLibraryStore  *store,
                                                   const char        *key,
                                                   const char        *entitlement_id,
                                                   JsonObject        *bucket);

void            kios_kobo_library_apply_item      (JsonObject        *catalog,
                                                   JsonObject        *item,
                                                   GPtrArray         *states,
                                                   KiosKoboSyncStats *stats);
KiosKoboEntry  *kios_kobo_library_entry_from_json (const char        *id,
                                                   JsonObject        *object);
/* clang-format on */

G_END_DECLS
