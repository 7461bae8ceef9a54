/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-catalog-item.h"
#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosKoboShelf: the books of one Kobo sync source. Opening the source
 * connects (v1/initialization), runs the library sync only where the consent
 * rule allows it (kios-kobo-library.h), and shows the catalog as a grid of
 * covers: a GtkGridView of book cards over a GListStore (covers fetched one
 * by one off the main thread into the disk cache, decoded only for the
 * cards in view). A book opens a detail page with Download, then Read. Without
 * consent on a Calibre-Web/CWA or Grimmory/BookLore server the shelf says why
 * and never asks for the library. Every request runs in a worker and is
 * cancelled when the shelf shows another source.
 *
 * Signals: "read" (const char *path): a downloaded book should open. When
 * the shelf sits in a KiosWindow it opens the book there itself as well.
 */

#define KIOS_TYPE_KOBO_SHELF (kios_kobo_shelf_get_type ())
G_DECLARE_FINAL_TYPE (KiosKoboShelf, kios_kobo_shelf, KIOS, KOBO_SHELF, AdwBin)

/* clang-format off */
KiosKoboShelf *kios_kobo_shelf_new               (void);
void           kios_kobo_shelf_set_store         (KiosKoboShelf          *self,
                                                  KiosLibraryStore       *store);
/* Opens a "kobo" source; NULL stops everything and clears the shelf. */
void           kios_kobo_shelf_set_source        (KiosKoboShelf          *self,
                                                  const KiosSourceRecord *source);
const char    *kios_kobo_shelf_get_source_name   (KiosKoboShelf          *self);
void           kios_kobo_shelf_reload            (KiosKoboShelf          *self);
/* The consent question answered yes: recorded in the source, then listed. */
void           kios_kobo_shelf_allow_library     (KiosKoboShelf          *self);
/* Stops the shelf's load, or the detail page's download (its Cancel buttons). */
void           kios_kobo_shelf_cancel            (KiosKoboShelf          *self);
/* "none", "loading", "books", "empty", "consent", "error", "detail". */
const char    *kios_kobo_shelf_get_visible_page  (KiosKoboShelf          *self);
gboolean       kios_kobo_shelf_is_busy           (KiosKoboShelf          *self);
guint          kios_kobo_shelf_get_n_books       (KiosKoboShelf          *self);
/* Covers the server delivered (cached on disk) / that decoded and show. */
guint          kios_kobo_shelf_get_n_covers_fetched (KiosKoboShelf       *self);
guint          kios_kobo_shelf_get_n_covers_shown (KiosKoboShelf         *self);
/* TRUE while the cover worker still runs. */
gboolean       kios_kobo_shelf_covers_loading    (KiosKoboShelf          *self);
const char    *kios_kobo_shelf_get_message       (KiosKoboShelf          *self);
/* Opens the detail page of the index-th book, as a click does. */
void           kios_kobo_shelf_activate_book     (KiosKoboShelf          *self,
                                                  guint                   index);
void           kios_kobo_shelf_download          (KiosKoboShelf          *self);
/* As the Read button: emits "read" once the book is downloaded. */
void           kios_kobo_shelf_read              (KiosKoboShelf          *self);
/* "download", "downloading", "read" on the detail page. */
const char    *kios_kobo_shelf_get_detail_state  (KiosKoboShelf          *self);
const char    *kios_kobo_shelf_get_book_path     (KiosKoboShelf          *self);
/* The state the index-th book's card shows. */
KiosCardState  kios_kobo_shelf_get_card_state    (KiosKoboShelf          *self,
                                                  guint                   index);
/* clang-format on */

G_END_DECLS
