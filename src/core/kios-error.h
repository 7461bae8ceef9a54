/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One error domain per core area. Codes name what the UI can act on; messages
 * are untranslated detail (the UI maps domain + code to a translated sentence).
 */

#define KIOS_DOCUMENT_ERROR (kios_document_error_quark ())
#define KIOS_STORE_ERROR (kios_store_error_quark ())

typedef enum {
  KIOS_DOCUMENT_ERROR_NOT_EBOOK = 1,   /* neither an EPUB nor a PDF by content */
  KIOS_DOCUMENT_ERROR_DAMAGED = 2,     /* looks like an e-book but cannot be read */
  KIOS_DOCUMENT_ERROR_DRM = 3,         /* protected by DRM (not just font obfuscation) */
  KIOS_DOCUMENT_ERROR_TOO_COMPLEX = 4, /* a chapter is beyond our safe layout limits */
  KIOS_DOCUMENT_ERROR_NOT_FOUND = 5,   /* a file, chapter or position that is not there */
  KIOS_DOCUMENT_ERROR_INVALID = 6,     /* a malformed argument, e.g. an unparsable xpointer */
} KiosDocumentError;

typedef enum {
  KIOS_STORE_ERROR_OPEN = 1,      /* the database cannot be opened or created */
  KIOS_STORE_ERROR_CORRUPT = 2,   /* the database is damaged */
  KIOS_STORE_ERROR_NOT_FOUND = 3, /* no such book, source or row */
  KIOS_STORE_ERROR_FAILED = 4,    /* any other SQLite failure */
} KiosStoreError;

GQuark kios_document_error_quark (void);
GQuark kios_store_error_quark (void);

G_END_DECLS
