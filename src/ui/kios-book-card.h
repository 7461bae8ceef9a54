/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-catalog-item.h"
#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosBookCard: one book in a grid: its cover (loaded in the background, the
 * title on a placeholder until then), title, author and a badge for its
 * state: how far it was read, finished, new, or missing (then the whole card
 * is dimmed); for a catalog's or a Kobo shelf's book (a KiosCatalogItem),
 * downloadable, downloading (with a progress bar), downloaded or failed.
 * One template for every grid of books (the start view, catalogs, the Kobo
 * shelf); a list item factory binds and unbinds records or items as the grid
 * scrolls, so only visible cards exist and covers load as cards appear: a
 * catalog's thumbnail first, then its full cover, each load cancelled when
 * the card is unbound.
 */

#define KIOS_TYPE_BOOK_CARD (kios_book_card_get_type ())
G_DECLARE_FINAL_TYPE (KiosBookCard, kios_book_card, KIOS, BOOK_CARD, AdwBin)

/* clang-format off */
GtkWidget            *kios_book_card_new       (void);
/* Shows book (copied). NULL (unbinding) forgets the book and stops its
 * cover load; what is shown stays until the next book. */
void                  kios_book_card_set_book  (KiosBookCard         *self,
                                                const KiosBookRecord *book);
/* As set_book, but the cover is loaded only by load_cover: a grid keeping
 * many cards off screen loads the covers of those shown. */
void                  kios_book_card_set_book_lazily (KiosBookCard         *self,
                                                      const KiosBookRecord *book);
/* Loads the book's cover unless it is loaded or loading. */
void                  kios_book_card_load_cover      (KiosBookCard         *self);
const KiosBookRecord *kios_book_card_get_book  (KiosBookCard         *self);
/* Shows a catalog's book and follows its state; NULL (unbinding) lets go
 * of it and stops its cover load. */
void                  kios_book_card_set_item  (KiosBookCard         *self,
                                                KiosCatalogItem      *item);
KiosCatalogItem      *kios_book_card_get_item  (KiosBookCard         *self);
/* As set_item, but the item's text (title, author, caption, state and the
 * accessible label) waits for show_text: a grid binding cards far from
 * what it shows binds them at no cost and shows the text of those that
 * come near. Until then the card keeps the text it had, undrawn as a rule,
 * and asks for the height of the last card measured with its own text. */
void                  kios_book_card_set_item_deferred (KiosBookCard    *self,
                                                        KiosCatalogItem *item);
/* Shows the item's text if it waits; TRUE if it did. */
gboolean              kios_book_card_show_text         (KiosBookCard    *self);
/* TRUE while the item's text waits for show_text. */
gboolean              kios_book_card_get_text_pending  (KiosBookCard    *self);
/* lazy: an item's cover loads only while the card is on screen (as its grid
 * says through set_on_screen), not as soon as it is bound. */
void                  kios_book_card_set_lazy_cover (KiosBookCard    *self,
                                                     gboolean         lazy);
/* For a lazy card: on screen starts its cover (the thumbnail; the full
 * cover once at_rest, the grid no longer scrolling); off screen stops a
 * cover still loading. Binding the card sets it off screen. */
void                  kios_book_card_set_on_screen  (KiosBookCard    *self,
                                                     gboolean         on_screen,
                                                     gboolean         at_rest);
gboolean              kios_book_card_get_on_screen  (KiosBookCard    *self);
/* A book on this computer: the library's reading state. */
KiosBookState         kios_book_card_get_state (KiosBookCard         *self);
/* LOCAL or MISSING for a book on this computer, else the item's state. */
KiosCardState         kios_book_card_get_card_state (KiosBookCard    *self);
/* The badge as shown ("42%", "Finished", "New", "Missing", "Downloaded"…). */
const char           *kios_book_card_get_badge (KiosBookCard         *self);
/* TRUE once a cover picture shows (not the placeholder); full: the
 * catalog's full cover, not its thumbnail. */
gboolean              kios_book_card_has_cover (KiosBookCard         *self,
                                                gboolean              full);
/* The cover shown, or NULL. */
GdkTexture           *kios_book_card_get_cover (KiosBookCard         *self);
/* clang-format on */

G_END_DECLS
