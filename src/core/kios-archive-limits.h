/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>
#include <mupdf/fitz.h>

#include "kios-epub.h"

G_BEGIN_DECLS

/*
 * KiosArchiveScan: what MuPDF may read of an EPUB, decided before it reads
 * anything. Every member is inflated once, streaming, and stopped at its
 * limit (kios-limits.h) whatever its zip header claims; pictures are measured
 * from their headers; chapters whose paragraphs are too long for MuPDF's
 * pagination are cut into bounded flows (kios_flow_split).
 *
 * A member over its limit is refused: the scan remembers why (for the error
 * page of its chapter, shown once per open document) and gives MuPDF a small
 * stand-in instead (a notice page, a placeholder picture, an empty file).
 * A book over the whole-book limits (inflated bytes, members) is refused.
 *
 * Immutable after kios_archive_scan_new(); safe to share between threads.
 */

/* A clean verdict is kept only for a file unchanged for this long: file
 * times tick coarsely, so a younger file could change without its times
 * changing. */
#define KIOS_ARCHIVE_SCAN_SETTLE_SECONDS 2

typedef struct _KiosArchiveScan KiosArchiveScan;

typedef enum {
  KIOS_IMAGE_SIZE_NOT_IMAGE = 0, /* not a picture format MuPDF decodes */
  KIOS_IMAGE_SIZE_UNKNOWN,       /* a picture whose size is not in the bytes given */
  KIOS_IMAGE_SIZE_KNOWN,
} KiosImageSize;

/* clang-format off */
/* ctx renders the placeholder pictures (NULL: a context of its own). */
KiosArchiveScan *kios_archive_scan_new             (KiosEpub        *epub,
                                                    fz_context      *ctx,
                                                    GError         **error);
void             kios_archive_scan_free            (KiosArchiveScan *self);
/* Why the member (a full zip path) is not given to MuPDF, or NULL. */
const char      *kios_archive_scan_get_refusal     (KiosArchiveScan *self,
                                                    const char      *name);
/* Every refusal's message, sorted. */
GStrv            kios_archive_scan_get_refusals    (KiosArchiveScan *self);
/* name -> GBytes: what MuPDF reads instead of the member; empty when the book
 * can be handed to MuPDF as it is. */
GHashTable      *kios_archive_scan_get_replacements (KiosArchiveScan *self);
gint64           kios_archive_scan_get_inflated    (KiosArchiveScan *self);
guint            kios_archive_scan_get_n_members   (KiosArchiveScan *self);
/* The unchanged file was found within every limit before (a verdict kept
 * in the cache directory): nothing was inflated this time. */
gboolean         kios_archive_scan_is_from_cache   (KiosArchiveScan *self);

/* Reads a picture's pixel size from its first bytes (PNG, JPEG, GIF, BMP,
 * TIFF, PSD, PNM, JPEG 2000). */
KiosImageSize    kios_image_get_size               (const guint8    *data,
                                                    gsize            len,
                                                    gint64          *width,
                                                    gint64          *height);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosArchiveScan, kios_archive_scan_free)

G_END_DECLS
