/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-document.h"

G_BEGIN_DECLS

/*
 * KiosSearchResult: one find-in-book hit, as a list item.
 */
#define KIOS_TYPE_SEARCH_RESULT (kios_search_result_get_type ())
G_DECLARE_FINAL_TYPE (KiosSearchResult, kios_search_result, KIOS, SEARCH_RESULT, GObject)

/*
 * KiosBookSearch: find in book, streaming. A GListModel of KiosSearchResult
 * that fills in reading order while the document's worker searches the book
 * a batch of chapters at a time (each batch a separate job, so page turns
 * are never held up by more than one batch). Property "complete" turns TRUE
 * when the whole book has been searched; cancelling (or dropping the last
 * reference) stops it. A new query is a new object.
 */
#define KIOS_TYPE_BOOK_SEARCH (kios_book_search_get_type ())
G_DECLARE_FINAL_TYPE (KiosBookSearch, kios_book_search, KIOS, BOOK_SEARCH, GObject)

/* clang-format off */
const KiosSearchHit *kios_search_result_get_hit   (KiosSearchResult *self);
/* The position of the hit's first character (EPUB: its xpointer; PDF: its page). */
KiosPosition        *kios_search_result_to_position (KiosSearchResult *self,
                                                     KiosBookFormat    format) G_GNUC_WARN_UNUSED_RESULT;

/* NULL when the query holds nothing to look for. */
KiosBookSearch      *kios_book_search_new         (KiosDocument     *document,
                                                   const char       *query) G_GNUC_WARN_UNUSED_RESULT;
void                 kios_book_search_start       (KiosBookSearch   *self);
void                 kios_book_search_cancel      (KiosBookSearch   *self);
gboolean             kios_book_search_is_complete (KiosBookSearch   *self);
KiosDocument        *kios_book_search_get_document (KiosBookSearch  *self);
KiosSearchMatcher   *kios_book_search_get_matcher (KiosBookSearch   *self);
const KiosSearchHit *kios_book_search_get_hit     (KiosBookSearch   *self,
                                                   guint             index);
/* Runs the whole search on the caller's thread-default context (kiosctl, tests). */
gboolean             kios_book_search_run_sync    (KiosBookSearch   *self,
                                                   GError          **error);
/* clang-format on */

G_END_DECLS
