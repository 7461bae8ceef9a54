/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-catalog-item.h"
#include "kios-catalog-view.h"
#include "kios-kobo-library.h"
#include "kios-library-store.h"
#include "kios-opds-client.h"

G_BEGIN_DECLS

/*
 * KiosBookDetail: one book of an OPDS catalog or a Kobo shelf: cover, title,
 * authors, series, summary, language and formats, with a Download button (a progress bar and Cancel
 * while it runs) that becomes "Read" once the book is in the library. A book
 * downloaded before shows "Read" at once. The download runs in a worker and
 * is cancelled when the view shows another book or goes away. The book's
 * card (its KiosCatalogItem) follows: downloading, downloaded, failed.
 *
 * Signals: "read" (const char *path): open this file in the reader;
 * "back": the reader wants the catalog again.
 */

#define KIOS_TYPE_BOOK_DETAIL (kios_book_detail_get_type ())
G_DECLARE_FINAL_TYPE (KiosBookDetail, kios_book_detail, KIOS, BOOK_DETAIL, AdwBin)

/* clang-format off */
KiosBookDetail *kios_book_detail_new          (void);
void            kios_book_detail_set_store    (KiosBookDetail      *self,
                                               KiosLibraryStore    *store);
/* A book of the catalog's source; cover (the grid's, nullable) shows until
 * the full cover arrives. */
void            kios_book_detail_show         (KiosBookDetail      *self,
                                               KiosCatalogView     *catalog,
                                               const KiosOpdsEntry *entry,
                                               GdkTexture          *cover);
/* A book of a Kobo shelf: Download fetches it through the Kobo sync
 * service (downloaded: it was before, Read finds it); item (nullable) is its
 * card, whose cover the detail shows too. */
void            kios_book_detail_show_kobo    (KiosBookDetail      *self,
                                               const KiosSourceRecord *source,
                                               const KiosKoboEntry *entry,
                                               gboolean             downloaded,
                                               KiosCatalogItem     *item,
                                               GdkTexture          *cover);
/* Stops a download in progress and forgets the book. */
void            kios_book_detail_clear        (KiosBookDetail      *self);
void            kios_book_detail_download     (KiosBookDetail      *self);
/* What the format menu does, when a book comes as EPUB and PDF: downloads
 * that format and remembers it as the source's default. */
void            kios_book_detail_download_format (KiosBookDetail   *self,
                                               const char          *format);
/* The format Download fetches ("epub", "pdf"), or NULL for the first Kios opens. */
const char     *kios_book_detail_get_format   (KiosBookDetail      *self);
/* TRUE when Download offers a choice of formats. */
gboolean        kios_book_detail_offers_formats (KiosBookDetail    *self);
void            kios_book_detail_cancel       (KiosBookDetail      *self);
/* As the Read button: emits "read" once the book is downloaded (a Kobo
 * book downloaded before is fetched from the library first). */
void            kios_book_detail_read         (KiosBookDetail      *self);
/* "checking", "download", "downloading", "read". */
const char     *kios_book_detail_get_state    (KiosBookDetail      *self);
/* The downloaded file, or NULL. */
const char     *kios_book_detail_get_path     (KiosBookDetail      *self);
const char     *kios_book_detail_get_error    (KiosBookDetail      *self);
double          kios_book_detail_get_fraction (KiosBookDetail      *self);
/* TRUE once a cover image shows (not the placeholder). */
gboolean        kios_book_detail_has_cover    (KiosBookDetail      *self);
/* clang-format on */

G_END_DECLS
