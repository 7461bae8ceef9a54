/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-reader-view.h"

G_BEGIN_DECLS

/*
 * Selecting the text of the page on screen (kios-reader-selection.c): a
 * drag, or Shift with the arrow keys from the first word, selects across
 * the page's lines and paragraphs; Ctrl+C copies; a right-click or a long
 * press opens a menu (Copy, Highlight, Add Note, Find, Look Up). Character
 * indices are those of the page's text (KiosPageText).
 */

/* clang-format off */
/* The text of the page on screen, or NULL while it is being read. */
const KiosPageText *kios_reader_view_get_page_text     (KiosReaderView *self);
/* Selects characters first..last (inclusive) of the page's text. */
gboolean            kios_reader_view_select            (KiosReaderView *self,
                                                        int             first,
                                                        int             last);
void                kios_reader_view_clear_selection   (KiosReaderView *self);
/* FALSE when nothing is selected; else the range, in order. */
gboolean            kios_reader_view_get_selection     (KiosReaderView *self,
                                                        int            *first,
                                                        int            *last);
/* The selected words as Ctrl+C copies them, or NULL. */
char               *kios_reader_view_get_selected_text (KiosReaderView *self);
/* Opens the selection menu at (x, y) in the view, as a right-click does. */
void                kios_reader_view_popup_selection_menu (KiosReaderView *self,
                                                        double          x,
                                                        double          y);
/* A right-click at (x, y): selects the word there unless it is in the
 * selection, and opens the menu. */
void                kios_reader_view_context_menu_at   (KiosReaderView *self,
                                                        double          x,
                                                        double          y);
GtkWidget          *kios_reader_view_get_selection_menu (KiosReaderView *self);
/* Where the page was last drawn in the view (CSS px); FALSE before. */
gboolean            kios_reader_view_get_page_rect     (KiosReaderView *self,
                                                        graphene_rect_t *rect);
/* The web search URI Look Up opens for word. */
char               *kios_reader_view_look_up_uri       (const char     *word);
/* clang-format on */

G_END_DECLS
