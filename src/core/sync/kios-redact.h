/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Secret redaction for everything that may reach a log line, an error
 * message or a diagnostic report (STYLE.md §9). All functions are
 * thread-safe and return newly allocated strings; NULL in gives NULL out.
 */

#define KIOS_REDACTED "REDACTED"

/* clang-format off */
/* Userinfo, the token segment after /kobo/, /api/koreader/, /koreader/ and
 * /api/opds/, and token-like query parameters (apiKey, token, key, …). */
char     *kios_redact_url               (const char *url);
/* "Name: value" → "Name: REDACTED" for Authorization, Cookie, Set-Cookie,
 * Proxy-Authorization, x-auth-user, x-auth-key and x-kobo-*. */
char     *kios_redact_header            (const char *header_line);
gboolean  kios_redact_header_is_secret  (const char *name);
/* Free text: every URL in it is redacted and every registered secret
 * (and its URI-escaped form) is replaced by REDACTED. */
char     *kios_redact_text              (const char *text);
/* Remembers a secret for kios_redact_text () for the life of the process.
 * Strings shorter than 3 bytes are ignored (they would shred every message). */
void      kios_redact_register_secret   (const char *secret);
/* clang-format on */

G_END_DECLS
