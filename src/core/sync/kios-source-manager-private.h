/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-source-manager.h"

G_BEGIN_DECLS

/* clang-format off */
/* kios-source-probe.c: a connection test of what was typed (blocking). NULL
 * only when cancelled. */
KiosSourceTestResult *kios_source_probe_run          (const KiosSourceSpec *spec,
                                                      GCancellable         *cancellable,
                                                      GError              **error);
/* clang-format on */

G_END_DECLS
