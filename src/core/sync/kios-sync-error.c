/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-error"

#include "config.h"

#include "kios-sync-error.h"

G_DEFINE_QUARK (kios_http_error, kios_http_error)
G_DEFINE_QUARK (kios_sync_error, kios_sync_error)
