/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-position"

#include "config.h"

#include "kios-position.h"

/* Work in progress: implemented by its owner. */
