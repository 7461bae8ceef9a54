/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gtk/gtk.h>

#include "kios-opds-client.h"

G_BEGIN_DECLS

/*
 * What a book card shows of a book, as one type: a book on this computer
 * (its reading state is the library's), or a book of a catalog or a Kobo
 * shelf, which is downloadable, downloading (with its progress), downloaded,
 * or failed to download.
 */
typedef enum {
  KIOS_CARD_STATE_LOCAL,
  KIOS_CARD_STATE_DOWNLOADABLE,
  KIOS_CARD_STATE_DOWNLOADING,
  KIOS_CARD_STATE_DOWNLOADED,
  KIOS_CARD_STATE_MISSING,
  KIOS_CARD_STATE_ERROR,
} KiosCardState;

/*
 * KiosCatalogItem: one book of an OPDS feed or a Kobo shelf in a grid's
 * GListStore. It holds what its card shows (title, authors, a caption such
 * as the series, the state and a download's progress) and where its cover
 * comes from: the catalog's thumbnail and full cover (fetched through the
 * catalog's client into the disk cache), or a file already in the cache (a
 * Kobo shelf's). Covers are decoded through the one cover loader, only when
 * a card asks (as it is bound), and never kept here.
 *
 * "state", "progress" and "cover-path" notify, so a bound card follows a
 * download or a cover that lands later.
 */

#define KIOS_TYPE_CATALOG_ITEM (kios_catalog_item_get_type ())
G_DECLARE_FINAL_TYPE (KiosCatalogItem, kios_catalog_item, KIOS, CATALOG_ITEM, GObject)

/* clang-format off */
KiosCatalogItem *kios_catalog_item_new              (guint            index,
                                                     const char      *title,
                                                     const char      *authors,
                                                     const char      *caption);
guint            kios_catalog_item_get_index        (KiosCatalogItem *self);
const char      *kios_catalog_item_get_title        (KiosCatalogItem *self);
/* Nullable. */
const char      *kios_catalog_item_get_authors      (KiosCatalogItem *self);
const char      *kios_catalog_item_get_caption      (KiosCatalogItem *self);
KiosCardState    kios_catalog_item_get_state        (KiosCatalogItem *self);
double           kios_catalog_item_get_progress     (KiosCatalogItem *self);
/* progress (0..1, or < 0 when unknown) counts only while downloading. */
void             kios_catalog_item_set_state        (KiosCatalogItem *self,
                                                     KiosCardState    state,
                                                     double           progress);
/* A catalog's cover: thumbnail and full cover (either nullable, the same
 * when the catalog gives one), fetched through client. */
void             kios_catalog_item_set_remote_cover (KiosCatalogItem *self,
                                                     KiosOpdsClient  *client,
                                                     const char      *thumbnail_href,
                                                     const char      *cover_href);
/* A cover already on disk (nullable until it lands). */
void             kios_catalog_item_set_cover_path   (KiosCatalogItem *self,
                                                     const char      *path);
const char      *kios_catalog_item_get_cover_path   (KiosCatalogItem *self);
/* TRUE when the item has (or may get) a cover to load. */
gboolean         kios_catalog_item_has_cover        (KiosCatalogItem *self);
/* TRUE when a thumbnail shows first while the full cover loads. */
gboolean         kios_catalog_item_has_thumbnail    (KiosCatalogItem *self);
/* The cover decoded to fill width × height pixels. full FALSE: the
 * thumbnail; full TRUE with cached_only: the full cover only if it is in
 * the disk cache already (else G_IO_ERROR_NOT_FOUND, no request). Fetches
 * run a few at a time; a load cancelled while it waits costs nothing. */
void             kios_catalog_item_load_cover_async (KiosCatalogItem *self,
                                                     gboolean         full,
                                                     gboolean         cached_only,
                                                     int              width,
                                                     int              height,
                                                     GCancellable    *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer         user_data);
GdkTexture      *kios_catalog_item_load_cover_finish (GAsyncResult   *result,
                                                     GError         **error);
/* The same path for any catalog cover by href: fetched through client into
 * the disk cache, decoded by the cover loader (the detail's full cover). */
void             kios_catalog_cover_load_async      (KiosOpdsClient  *client,
                                                     const char      *href,
                                                     int              width,
                                                     int              height,
                                                     GCancellable    *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer         user_data);
GdkTexture      *kios_catalog_cover_load_finish     (GAsyncResult    *result,
                                                     GError         **error);
/* clang-format on */

G_END_DECLS
