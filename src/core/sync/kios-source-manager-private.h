/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-source-manager.h"

G_BEGIN_DECLS

/* The usual OPDS catalog paths of the server families in OPDS.md, tried
 * after the typed URL answered something that is not a catalog. */
extern const char *const kios_source_opds_probe_paths[];

/* clang-format off */
/* kios-source-probe.c: a connection test of what was typed (blocking). NULL
 * only when cancelled. */
KiosSourceTestResult *kios_source_probe_run          (const KiosSourceSpec *spec,
                                                      GCancellable         *cancellable,
                                                      GError              **error);
/* The candidate catalog URLs for url, most likely first (for tests too). */
GPtrArray            *kios_source_probe_opds_candidates (const char        *url);
/* clang-format on */

G_END_DECLS
