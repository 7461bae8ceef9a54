/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <json-glib/json-glib.h>

#include "kios-kobo-library.h"

G_BEGIN_DECLS

/*
 * The steps of the Kobo library sync parser, for the fuzz harness
 * (tests/fuzz/fuzz-kobo-library.c): applying one item of a GET
 * v1/library/sync page to the catalog, and reading a catalog entry back.
 */

/* clang-format off */
void            kios_kobo_library_apply_item      (JsonObject        *catalog,
                                                   JsonObject        *item,
                                                   GPtrArray         *states,
                                                   KiosKoboSyncStats *stats);
KiosKoboEntry  *kios_kobo_library_entry_from_json (const char        *id,
                                                   JsonObject        *object);
/* clang-format on */

G_END_DECLS
