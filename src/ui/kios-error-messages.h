/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Maps a core error (domain + code) to one translated sentence for the user.
 * Core messages are untranslated detail and are never shown as they are.
 */
/* clang-format off */
char *kios_error_message_for_open  (const GError *error) G_GNUC_WARN_UNUSED_RESULT;
char *kios_error_message_for_store (const GError *error) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
