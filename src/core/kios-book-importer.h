/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library-store.h"
#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * KiosBookImport: the one way a downloaded book enters the library (OPDS,
 * Kobo; the app and kiosctl alike).
 *
 * new () creates a private temporary file in the library's books folder;
 * the download is streamed into get_sink (), which refuses to grow past
 * max_size while it is written (KIOS_HTTP_ERROR_TOO_LARGE), so memory stays
 * flat whatever the server sends, and that refuses at once a body whose
 * first bytes are a web page, JSON or XML instead of a zip or a PDF. commit () then checks that the file is a
 * book Kios can open (content sniffed, never the name; an EPUB's container,
 * package document and first chapter read; a PDF opened and its first page
 * loaded) and only then hashes it (KOReader partial MD5), reuses a book of
 * the library with the same hash, or moves the file to its final name and
 * registers it with its details, meta keys and cover. A file that is not a
 * book is removed and the error (KIOS_IMPORT_ERROR) says what the server
 * sent: an HTML page, a damaged EPUB, an empty file, …; one past the size
 * limit is KIOS_HTTP_ERROR_TOO_LARGE.
 *
 * free () without a successful commit removes the temporary file, so a
 * cancelled or failed download leaves nothing behind. Everything blocks:
 * call it from a worker thread or kiosctl.
 */

/* The largest book Kios downloads (kios-limits.h says why). */
#define KIOS_BOOK_IMPORT_MAX_SIZE KIOS_LIMIT_IMPORT_BOOK_BYTES

#define KIOS_IMPORT_ERROR (kios_import_error_quark ())

typedef enum {
  KIOS_IMPORT_ERROR_WEB_PAGE = 1, /* an HTML or XML page (a login form, an error page) */
  KIOS_IMPORT_ERROR_NOT_A_BOOK,   /* anything else that is neither an EPUB nor a PDF */
  KIOS_IMPORT_ERROR_DAMAGED,      /* an EPUB or PDF Kios cannot open */
  KIOS_IMPORT_ERROR_DRM,          /* an EPUB protected by DRM */
} KiosImportError;

typedef struct _KiosBookImport KiosBookImport;

/* clang-format off */
GQuark          kios_import_error_quark       (void);
/* file_name: the final name in the books folder ("Title-1a2b3c.epub"). */
KiosBookImport *kios_book_import_new          (KiosLibraryStore *store,
                                               const char       *file_name,
                                               guint64           max_size,
                                               GError          **error);
void            kios_book_import_free         (KiosBookImport   *self);
/* The stream the download is written to (owned by self). */
GOutputStream  *kios_book_import_get_sink     (KiosBookImport   *self);
/* Bytes written to the sink so far. */
guint64         kios_book_import_get_received (KiosBookImport   *self);
/* Starts over (a server that ignored a Range request sends the whole book). */
gboolean        kios_book_import_restart      (KiosBookImport   *self,
                                               GError          **error);
/* Forgets the first offset bytes written (a server that ignored a resume's
 * Range sent the whole book after them), moving the rest to the start. */
gboolean        kios_book_import_drop_head    (KiosBookImport   *self,
                                               guint64           offset,
                                               GError          **error);
const char     *kios_book_import_get_path     (KiosBookImport   *self);
/* What the library row says when the book is new (all nullable). */
void            kios_book_import_set_details  (KiosBookImport   *self,
                                               const char       *title,
                                               const char       *authors,
                                               const char       *cover_path);
/* A book meta key recorded on commit (new or existing book); NULL value skips. */
void            kios_book_import_add_meta     (KiosBookImport   *self,
                                               const char       *key,
                                               const char       *value);
/* Validates and registers; returns the book's path in the library and its
 * hash. existing: the same bytes were already there (that path is returned). */
char           *kios_book_import_commit       (KiosBookImport   *self,
                                               char            **hash,
                                               gboolean         *existing,
                                               GCancellable     *cancellable,
                                               GError          **error);

/* The path of file_name in the books folder when it exists and is a book of
 * the library, else NULL (no network; blocks on the store). */
char           *kios_book_import_find         (KiosLibraryStore *store,
                                               const char       *file_name);
/* A file name stem from a title: letters and digits joined by '-', never empty. */
char           *kios_book_import_file_stem    (const char       *title);
/* Checks that path holds a book Kios can open, saying what it is otherwise.
 * format_out (nullable): "epub" or "pdf". */
gboolean        kios_book_import_validate     (const char       *path,
                                               const char      **format_out,
                                               GError          **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosBookImport, kios_book_import_free)

G_END_DECLS
