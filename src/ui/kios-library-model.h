/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosBookItem: one book record as a GObject, for list models, with its
 * search key (title, authors and series, folded once when the item is made).
 * KiosLibraryModel: a GListModel of KiosBookItem in display order, the
 * stable base the start view filters (search, shelf) with a
 * GtkFilterListModel, so a keystroke re-tests folded keys and never
 * rebuilds items or cards. Replacing its contents diffs old against new and
 * reports only the range that changed, so a GtkGridView keeps the cards of
 * unchanged books.
 */

#define KIOS_TYPE_BOOK_ITEM (kios_book_item_get_type ())
G_DECLARE_FINAL_TYPE (KiosBookItem, kios_book_item, KIOS, BOOK_ITEM, GObject)

#define KIOS_TYPE_LIBRARY_MODEL (kios_library_model_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibraryModel, kios_library_model, KIOS, LIBRARY_MODEL, GObject)

/*
 * KiosSlotModel: n places, each the same object for as long as the model
 * holds it, whatever it shows. A GtkGridView keeps the widget made for an
 * item only while that very item stays in its model: given the books, a
 * search replacing most of them has it destroy and make again every card
 * it keeps (hundreds). Given slots, it keeps its cards; the view shows the
 * book at each slot's position in them. Changing the count adds or removes
 * slots at the end only.
 */
#define KIOS_TYPE_SLOT_MODEL (kios_slot_model_get_type ())
G_DECLARE_FINAL_TYPE (KiosSlotModel, kios_slot_model, KIOS, SLOT_MODEL, GObject)

/* clang-format off */
/* Items for books (element-type KiosBookRecord; the records are taken, the
 * array is left empty); element-type KiosBookItem. Folds the keys: call it
 * on a worker for a large list (any thread will do). */
GPtrArray            *kios_book_items_new            (GPtrArray        *books);
const KiosBookRecord *kios_book_item_get_record      (KiosBookItem     *self);
const char           *kios_book_item_get_key         (KiosBookItem     *self);
/* Whether every word (folded, as kios_library_store_fold gives; empty
 * words ignored) is in the item's key. words: nullable (matches). */
gboolean              kios_book_item_matches         (KiosBookItem     *self,
                                                      const char *const *words);

KiosLibraryModel     *kios_library_model_new         (void);
/* Replaces the contents with books (element-type KiosBookRecord; the
 * records are taken from the array, which is left empty). Folds on the
 * calling thread: for many books, make the items on a worker and use
 * set_items. */
void                  kios_library_model_set_books   (KiosLibraryModel *self,
                                                      GPtrArray        *books);
/* Replaces the contents with items (element-type KiosBookItem, from
 * kios_book_items_new): an item equal to the one at its place is kept, and
 * items-changed covers only the span from the first to the last difference. */
void                  kios_library_model_set_items   (KiosLibraryModel *self,
                                                      GPtrArray        *items);
/* As set_items, but of the span that changed only as many items as it
 * replaces, or max_added if more, go in now (one items-changed), the rest
 * by steps: a grid makes and binds a card for each item inserted near what
 * it shows, in the same call, so a large list goes in over several
 * main-loop iterations instead of one long one. Until the last step, the
 * model holds the unchanged ends and the start of the new span; set_items
 * or stage_items drops what is still pending. Returns whether items are
 * pending. */
gboolean              kios_library_model_stage_items (KiosLibraryModel *self,
                                                      GPtrArray        *items,
                                                      guint             max_added);
/* Inserts up to max_added pending items after those already in; returns
 * whether more are pending. */
gboolean              kios_library_model_step        (KiosLibraryModel *self,
                                                      guint             max_added);
/* How many items are still to go in. */
guint                 kios_library_model_get_pending (KiosLibraryModel *self);
/* The record at position, or NULL. */
const KiosBookRecord *kios_library_model_get_book    (KiosLibraryModel *self,
                                                      guint             position);
/* The position of the book with hash; FALSE when absent. */
gboolean              kios_library_model_find        (KiosLibraryModel *self,
                                                      const char       *hash,
                                                      guint            *position);

KiosSlotModel        *kios_slot_model_new            (void);
/* Adds or removes slots at the end (one items-changed) to hold n_items. */
void                  kios_slot_model_set_n_items    (KiosSlotModel    *self,
                                                      guint             n_items);
/* clang-format on */

G_END_DECLS
