/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-paths"

#include "config.h"

#include "kios-paths.h"

/* Work in progress: implemented by its owner. */
