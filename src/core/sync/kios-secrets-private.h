/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* libsecret is loaded by the first call (kios-dlopen.h), never linked. */
#define KIOS_SECRETS_SONAME "libsecret-1.so.0"

/* clang-format off */
/* Private, for tests: the first call in the process decides which soname
 * is loaded (a missing one tests the failure path); later calls return
 * the same answer. FALSE with KIOS_SYNC_ERROR_SECRETS. */
gboolean kios_secrets_load_from (const char *soname,
                                 GError    **error);
/* clang-format on */

G_END_DECLS
