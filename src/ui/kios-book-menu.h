/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-model.h"
#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosBookMenu: a book's menu and what it does, for every view that lists
 * books (the start view's cards, the rows of "On This Computer"): Remove
 * from Library (with Undo in a toast; a book with annotations asks first
 * what becomes of them), Delete File… (books Kios downloaded, after a
 * confirmation), Mark as Finished / Unread, and for a missing file,
 * Locate… (the moved file, matched by hash).
 *
 * The actions ("library.remove", "library.delete-file",
 * "library.mark-finished", "library.mark-unread", "library.locate", each
 * taking a book's hash) are inserted on the host widget; the book is looked
 * up in the host's model. Nothing works without a library (set_library):
 * with a store only, no menu opens.
 *
 * The menu opens on a right-click or a long-press on a card or row
 * (add_gestures), and on Shift+F10 or the Menu key on the focused one;
 * Delete removes the focused one (add_keys).
 *
 * Signals:
 * - "busy" (): an operation started whose result a new list shows.
 * - "changed" (): an operation ended (done or failed): list again.
 */

#define KIOS_TYPE_BOOK_MENU (kios_book_menu_get_type ())
G_DECLARE_FINAL_TYPE (KiosBookMenu, kios_book_menu, KIOS, BOOK_MENU, GObject)

/* The book a card or row shows, or NULL. */
typedef const KiosBookRecord *(*KiosBookMenuLookup) (GtkWidget *widget);

/* clang-format off */
/* host and toasts are borrowed: the host owns the menu. */
KiosBookMenu *kios_book_menu_new              (GtkWidget            *host,
                                               KiosLibraryModel     *model,
                                               AdwToastOverlay      *toasts,
                                               KiosBookMenuLookup    lookup) G_GNUC_WARN_UNUSED_RESULT;
KiosLibrary  *kios_book_menu_get_library      (KiosBookMenu         *self);
void          kios_book_menu_set_library      (KiosBookMenu         *self,
                                               KiosLibrary          *library);
/* The "library" group (transfer none): views may add their own actions. */
GActionMap   *kios_book_menu_get_actions      (KiosBookMenu         *self);
/* The newest toast shown, or NULL (for tests). */
AdwToast     *kios_book_menu_get_last_toast   (KiosBookMenu         *self);

/* Right-click and long-press on widget (a card or row) open its menu. */
void          kios_book_menu_add_gestures     (KiosBookMenu         *self,
                                               GtkWidget            *widget);
/* On list (a GtkListView or GtkGridView), keys act on the focused item. */
void          kios_book_menu_add_keys         (KiosBookMenu         *self,
                                               GtkWidget            *list);
/* Opens the menu of the book widget shows, pointing at x, y in it. */
gboolean      kios_book_menu_popup            (KiosBookMenu         *self,
                                               GtkWidget            *widget,
                                               double                x,
                                               double                y);
/* Removes the book (asking first about its annotations, if any). */
void          kios_book_menu_remove           (KiosBookMenu         *self,
                                               const KiosBookRecord *book);
/* A missing book was activated: offers Locate… and Remove. */
void          kios_book_menu_offer_missing    (KiosBookMenu         *self,
                                               const KiosBookRecord *book);
/* Tries path as the moved file of the book with hash; a toast says how
 * it went. */
void          kios_book_menu_locate           (KiosBookMenu         *self,
                                               const char           *hash,
                                               const char           *path);
void          kios_book_menu_show_toast       (KiosBookMenu         *self,
                                               AdwToast             *toast);
/* The host is going: closes the menu, stops what is under way. */
void          kios_book_menu_shutdown         (KiosBookMenu         *self);
/* clang-format on */

G_END_DECLS
