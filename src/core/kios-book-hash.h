/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The KOReader partial MD5 of a file (32 lowercase hex digits): MD5 over
 * 1024-byte samples at offsets 1024 << (2 * i) for i = -1..10, where i = -1
 * means offset 0 (never a negative shift), stopping at the end of the file.
 * Blocking: call it from a worker. Returns NULL and sets error on I/O failure.
 */
char *kios_book_hash_file (const char *path,
                           GError    **error);
char *kios_book_hash_bytes (const guint8 *data,
                            gsize         len);

G_END_DECLS
