/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosBookItem: one book record as a GObject, for list models.
 * KiosLibraryModel: a GListModel of KiosBookItem in display order; the start
 * view fills it from the library's (sorted, searched) list, so a GtkGridView
 * creates cards only for the books on screen.
 */

#define KIOS_TYPE_BOOK_ITEM (kios_book_item_get_type ())
G_DECLARE_FINAL_TYPE (KiosBookItem, kios_book_item, KIOS, BOOK_ITEM, GObject)

#define KIOS_TYPE_LIBRARY_MODEL (kios_library_model_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibraryModel, kios_library_model, KIOS, LIBRARY_MODEL, GObject)

/* clang-format off */
const KiosBookRecord *kios_book_item_get_record      (KiosBookItem     *self);

KiosLibraryModel     *kios_library_model_new         (void);
/* Replaces the contents with books (element-type KiosBookRecord; the
 * records are taken from the array, which is left empty). */
void                  kios_library_model_set_books   (KiosLibraryModel *self,
                                                      GPtrArray        *books);
/* The record at position, or NULL. */
const KiosBookRecord *kios_library_model_get_book    (KiosLibraryModel *self,
                                                      guint             position);
/* The position of the book with hash; FALSE when absent. */
gboolean              kios_library_model_find        (KiosLibraryModel *self,
                                                      const char       *hash,
                                                      guint            *position);
/* clang-format on */

G_END_DECLS
