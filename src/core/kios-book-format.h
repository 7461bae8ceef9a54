/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-position.h"

G_BEGIN_DECLS

/*
 * Detects the format of a file by its content, never by its name: a PDF by its
 * "%PDF-" header within the first 1024 bytes, an EPUB by a zip whose
 * `mimetype` member says application/epub+zip or which has
 * META-INF/container.xml. Anything else fails with
 * KIOS_DOCUMENT_ERROR_NOT_EBOOK; an unreadable file with G_IO_ERROR.
 * Blocking: call it from a worker.
 */
KiosBookFormat kios_book_format_detect (const char *path,
                                        GError    **error);

G_END_DECLS
