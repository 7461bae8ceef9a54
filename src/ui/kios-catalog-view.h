/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-catalog-item.h"
#include "kios-cover.h"

#include "kios-library-store.h"
#include "kios-opds-client.h"
#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * KiosCatalogView: one OPDS source's catalog. Navigation entries show as a
 * boxed list, books as a GtkGridView of book cards over a GListStore that
 * each next page is appended to (only the cards in view exist; each loads
 * its cover as it is bound, off the main thread, cached in
 * kios_paths_cache_subdir ("covers") by URL hash); the next page loads when
 * the reader scrolls near the end; a search entry uses the feed's
 * search. Every request runs in a worker through the OPDS client and is
 * cancelled when the view moves elsewhere.
 *
 * Signals: "book-activated" (gpointer const KiosOpdsEntry *, GdkTexture *
 * cover or NULL): the reader clicked a book; both are valid for the emission.
 */

#define KIOS_TYPE_CATALOG_VIEW (kios_catalog_view_get_type ())
G_DECLARE_FINAL_TYPE (KiosCatalogView, kios_catalog_view, KIOS, CATALOG_VIEW, AdwBin)

/* clang-format off */
/* The entry's thumbnail (or cover, if thumbnail is FALSE), falling back to
 * the other; never a page-streaming template. Nullable. */
const char       *kios_catalog_entry_cover_href       (const KiosOpdsEntry *entry,
                                                       gboolean          thumbnail);

KiosCatalogView  *kios_catalog_view_new               (void);
void              kios_catalog_view_set_store         (KiosCatalogView  *self,
                                                       KiosLibraryStore *store);
/* The application's source manager: a sign-in is saved through it (the
 * secrets and the source in one step). Sets its store too. Without one the
 * view uses the running KiosApplication's, else one over its store. */
void              kios_catalog_view_set_source_manager (KiosCatalogView *self,
                                                       KiosSourceManager *manager);
/* Shows the source's root catalog (loading its secrets first); NULL stops
 * everything and clears the view. */
void              kios_catalog_view_set_source        (KiosCatalogView  *self,
                                                       const KiosSourceRecord *source);
const char       *kios_catalog_view_get_source_name   (KiosCatalogView  *self);
/* A new client with the source's URL and credentials, or NULL before the
 * source is open. For downloads, which run beside the browsing. */
KiosOpdsClient   *kios_catalog_view_new_client        (KiosCatalogView  *self);
/* Back to the previous page; FALSE at the root. */
gboolean          kios_catalog_view_go_back           (KiosCatalogView  *self);
void              kios_catalog_view_search            (KiosCatalogView  *self,
                                                       const char       *query);
void              kios_catalog_view_retry             (KiosCatalogView  *self);
/* "none", "loading", "entries", "empty", "error". */
const char       *kios_catalog_view_get_visible_page  (KiosCatalogView  *self);
gboolean          kios_catalog_view_is_busy           (KiosCatalogView  *self);
/* The page on screen (every loaded page of it), or NULL. */
const KiosOpdsFeed *kios_catalog_view_get_feed        (KiosCatalogView  *self);
/* Opens a navigation entry or a book of the page on screen, as a click does. */
void              kios_catalog_view_activate_entry    (KiosCatalogView  *self,
                                                       guint             index);
/* Cards of the page on screen that show their cover (full: the full
 * cover, not the thumbnail); the cards that exist (the grid makes only
 * those in view). */
guint             kios_catalog_view_get_n_covers_shown (KiosCatalogView *self);
guint             kios_catalog_view_get_n_full_covers_shown (KiosCatalogView *self);
guint             kios_catalog_view_get_n_cards       (KiosCatalogView  *self);
/* The books of the page on screen (KiosCatalogItem), in the grid's order,
 * and the scrolled window of their grid. */
GListModel       *kios_catalog_view_get_books         (KiosCatalogView  *self);
GtkScrolledWindow *kios_catalog_view_get_books_scrolled (KiosCatalogView *self);
/* The card model of entry (one of the page on screen's), or NULL. */
KiosCatalogItem  *kios_catalog_view_find_item         (KiosCatalogView  *self,
                                                       const KiosOpdsEntry *entry);
/* A cover through the source's client and the disk cache, decoded at most
 * height pixels high. */
void              kios_catalog_view_load_cover_async  (KiosCatalogView  *self,
                                                       const char       *href,
                                                       int               height,
                                                       GCancellable     *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer          user_data);
GdkTexture       *kios_catalog_view_load_cover_finish (KiosCatalogView  *self,
                                                       GAsyncResult     *result,
                                                       GError          **error);
const char       *kios_catalog_view_get_error_message (KiosCatalogView  *self);
/* The sentence on the error page (from the one error table). */
const char       *kios_catalog_view_get_error_text    (KiosCatalogView  *self);
/* Stops the page loading (the loading page's Cancel). */
void              kios_catalog_view_cancel            (KiosCatalogView  *self);
/* clang-format on */

G_END_DECLS
