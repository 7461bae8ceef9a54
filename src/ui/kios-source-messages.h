/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * The words the settings pages and the source dialog show for a source: a
 * connection test's outcome and the failure of a change. The sentence is
 * kios-error-messages' for the error's domain and code, naming the server
 * by the host of url (nullable), with "Did you mean …?" when the test found
 * a URL that answers; a few errors read differently for a source of this
 * kind ("kosync", "opds", "kobo"): a Kobo token, a taken source name.
 */

/* clang-format off */
char     *kios_source_test_describe  (const char                 *kind,
                                      const char                 *url,
                                      const KiosSourceTestResult *result) G_GNUC_WARN_UNUSED_RESULT;
char     *kios_source_error_describe (const char                 *kind,
                                      const char                 *url,
                                      const GError               *error) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
