/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-document.h"
#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosReaderView: the page of an open book, with its navigation. It lays the
 * book out to its own size, renders through KiosDocument's worker (never on
 * the main thread), keeps the neighbouring pages pre-rendered, and saves the
 * position to the store on every page turn.
 *
 * Actions (installed on the widget class): reader.next-page,
 * reader.previous-page, reader.first-page, reader.last-page,
 * reader.font-larger, reader.font-smaller, reader.font-reset,
 * reader.go-to-toc (int32: index into the document's TOC).
 *
 * Properties: document (KiosDocument, read-only; set with _open), store,
 * position (KiosPosition boxed, read-only), chapter-title (string),
 * page-label ("Page 3 of 120", string), progress (double 0..1),
 * toc-index (int, -1), font-size (double, CSS px), theme (string:
 * "auto" | "light" | "sepia" | "dark"), margin (double, CSS px),
 * line-spacing (double), pdf-fit ("width" | "page"), pdf-zoom (double).
 *
 * Signals: "page-shown" (emitted after a new page is on screen),
 * "user-turned-page" (the reader moved by their own action).
 */

#define KIOS_TYPE_READER_VIEW (kios_reader_view_get_type ())
G_DECLARE_FINAL_TYPE (KiosReaderView, kios_reader_view, KIOS, READER_VIEW, GtkWidget)

/* clang-format off */
KiosReaderView     *kios_reader_view_new            (void);
void                kios_reader_view_set_store      (KiosReaderView     *self,
                                                     KiosLibraryStore   *store);
/* Shows the document at start (or its first page when NULL). */
void                kios_reader_view_open           (KiosReaderView     *self,
                                                     KiosDocument       *document,
                                                     const KiosPosition *start);
void                kios_reader_view_close          (KiosReaderView     *self);
KiosDocument       *kios_reader_view_get_document   (KiosReaderView     *self);
const KiosPosition *kios_reader_view_get_position   (KiosReaderView     *self);
/* Jumps to a position (e.g. from sync); counts as a page turn for saving. */
void                kios_reader_view_go_to_position (KiosReaderView     *self,
                                                     const KiosPosition *position);
const char         *kios_reader_view_get_page_label (KiosReaderView     *self);
const char         *kios_reader_view_get_chapter_title (KiosReaderView  *self);
/* The page currently on screen, or NULL (for tests and screenshots). */
const KiosPage     *kios_reader_view_get_page       (KiosReaderView     *self);
/* clang-format on */

G_END_DECLS
