/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosLocalBooks: "On This Computer", every book in the library as a boxed
 * list (title, authors, format, how far read), most recently read first,
 * read from the store in a worker when the page is shown. A GtkListView:
 * only the rows on screen exist, however many books there are. A book
 * whose file is gone is dimmed and says so.
 *
 * With a library, each row has the book menu (right-click, long-press,
 * Shift+F10 or Menu; Delete removes the focused book, with Undo in a
 * toast), activating a missing book offers Locate… and Remove, and the
 * library's "changed" lists the books again (at once when shown, else when
 * next shown).
 *
 * Signals: "book-activated" (const char *path): a row whose file is there
 * was activated.
 */
#define KIOS_TYPE_LOCAL_BOOKS (kios_local_books_get_type ())
G_DECLARE_FINAL_TYPE (KiosLocalBooks, kios_local_books, KIOS, LOCAL_BOOKS, AdwBin)

/* clang-format off */
void      kios_local_books_set_store     (KiosLocalBooks   *self,
                                          KiosLibraryStore *store);
/* Nullable: the library over the store, whose "changed" lists again. */
void      kios_local_books_set_library   (KiosLocalBooks   *self,
                                          KiosLibrary      *library);
void      kios_local_books_reload        (KiosLocalBooks   *self);
gboolean  kios_local_books_is_loading    (KiosLocalBooks   *self);
guint     kios_local_books_get_n_books   (KiosLocalBooks   *self);
/* The newest toast shown, or NULL (for tests). */
AdwToast *kios_local_books_get_last_toast (KiosLocalBooks  *self);
/* clang-format on */

G_END_DECLS
