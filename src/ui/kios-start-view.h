/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosStartView: the library. A grid of every book (only the visible cards
 * exist), with shelves for "Continue Reading" (books in progress) and
 * "Finished", a search over title, author and series (Ctrl+F), a sort menu,
 * and a menu per book (right-click, long-press; Delete removes the focused
 * book) to remove it, delete its file, mark it finished or unread, or locate
 * its moved file. Without books it shows an empty state with "Open a Book…";
 * while a book is being opened, a spinner.
 *
 * With a KiosLibrary (set_library) everything above works; with only a store
 * it lists the recent books and offers no menu. The view creates neither.
 *
 * Signals: "book-activated" (const char *path): the reader clicked a book.
 */

typedef enum {
  KIOS_START_SHELF_ALL,
  KIOS_START_SHELF_READING,
  KIOS_START_SHELF_FINISHED,
} KiosStartShelf;

#define KIOS_TYPE_START_VIEW (kios_start_view_get_type ())
G_DECLARE_FINAL_TYPE (KiosStartView, kios_start_view, KIOS, START_VIEW, AdwBin)

/* clang-format off */
KiosStartView    *kios_start_view_new              (void);
KiosLibraryStore *kios_start_view_get_store        (KiosStartView    *self);
void              kios_start_view_set_store        (KiosStartView    *self,
                                                    KiosLibraryStore *store);
KiosLibrary      *kios_start_view_get_library      (KiosStartView    *self);
/* Lists through library from now on (and again on its "changed"). */
void              kios_start_view_set_library      (KiosStartView    *self,
                                                    KiosLibrary      *library);
/* Reads the books again (in the background). */
void              kios_start_view_reload           (KiosStartView    *self);
/* TRUE while the books are read, a book operation's result is awaited, or
 * a search or shelf is still filtering (top first, the rest in idles). */
gboolean          kios_start_view_is_loading       (KiosStartView    *self);
/* Shows "Opening…" and file_name with a spinner once opening takes longer
 * than a moment; NULL returns to the books. */
void              kios_start_view_set_opening      (KiosStartView    *self,
                                                    const char       *file_name);
/* "empty", "opening" or "books". */
const char       *kios_start_view_get_visible_page (KiosStartView    *self);
/* Within "books": "grid" or "no-results". */
const char       *kios_start_view_get_results_page (KiosStartView    *self);
guint             kios_start_view_get_n_books      (KiosStartView    *self);
/* The record shown at index, in display order, or NULL. */
const KiosBookRecord *kios_start_view_get_book     (KiosStartView    *self,
                                                    guint             index);
/* The books shown, element-type KiosBookItem (transfer none). */
GListModel       *kios_start_view_get_model        (KiosStartView    *self);
void              kios_start_view_set_search       (KiosStartView    *self,
                                                    const char       *text);
void              kios_start_view_set_sort         (KiosStartView    *self,
                                                    KiosLibrarySort   sort);
void              kios_start_view_set_shelf        (KiosStartView    *self,
                                                    KiosStartShelf    shelf);
/* Tries path as the moved file of the book with hash (what "Locate…" does
 * with the chosen file); a toast says how it went. */
void              kios_start_view_locate           (KiosStartView    *self,
                                                    const char       *hash,
                                                    const char       *path);
/* The newest toast shown, or NULL (for tests). */
AdwToast         *kios_start_view_get_last_toast   (KiosStartView    *self);
/* clang-format on */

G_END_DECLS
