/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosStartView: the library's first page. It shows the recently read books
 * (cover, title, author, progress), most recent first, or an empty state with
 * an "Open a Book…" button, or a spinner while a book is being opened.
 *
 * Signals: "book-activated" (const char *path): the reader clicked a book.
 */

#define KIOS_TYPE_START_VIEW (kios_start_view_get_type ())
G_DECLARE_FINAL_TYPE (KiosStartView, kios_start_view, KIOS, START_VIEW, AdwBin)

/* clang-format off */
KiosStartView    *kios_start_view_new              (void);
KiosLibraryStore *kios_start_view_get_store        (KiosStartView    *self);
void              kios_start_view_set_store        (KiosStartView    *self,
                                                    KiosLibraryStore *store);
/* Reads the recent books from the store again (in the background). */
void              kios_start_view_reload           (KiosStartView    *self);
gboolean          kios_start_view_is_loading       (KiosStartView    *self);
/* Shows "Opening…" and file_name with a spinner once opening takes longer
 * than a moment; NULL returns to the books. */
void              kios_start_view_set_opening      (KiosStartView    *self,
                                                    const char       *file_name);
/* "empty", "opening" or "books". */
const char       *kios_start_view_get_visible_page (KiosStartView    *self);
guint             kios_start_view_get_n_books      (KiosStartView    *self);
/* The record shown at index, in display order, or NULL. */
const KiosBookRecord *kios_start_view_get_book     (KiosStartView    *self,
                                                    guint             index);
/* clang-format on */

G_END_DECLS
