/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-error.h"

/* Underscores only: clang-format would space out hyphens and change the quark. */
G_DEFINE_QUARK (kios_document_error, kios_document_error)
G_DEFINE_QUARK (kios_store_error, kios_store_error)
