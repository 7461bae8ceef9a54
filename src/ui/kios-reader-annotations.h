/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-annotation.h"
#include "kios-reader-view.h"

G_BEGIN_DECLS

/*
 * The open book's bookmarks and highlights in the reader
 * (kios-reader-annotations.c). They are kept in the library store as ranges
 * of canonical positions; the view paints the highlights of the page on
 * screen from their offsets, so they cover the same words at any layout.
 * Ctrl+D toggles a bookmark on the page (a ribbon in its corner shows it).
 *
 * Signal "annotations-changed" (on the view): the list was loaded, or one
 * was added, changed or deleted.
 */

/* One highlight's run of characters on the page on screen. */
typedef struct
{
  int    first; /* characters of the page's text (KiosPageText), inclusive */
  int    last;
  gint64 id;
  char   color[8];
} KiosHighlightRun;

/* clang-format off */
/* element-type KiosAnnotation, in reading order; NULL without a book. */
GPtrArray      *kios_reader_view_get_annotations     (KiosReaderView *self);
/* The highlights painted on the page on screen (element-type KiosHighlightRun). */
GArray         *kios_reader_view_get_highlight_runs  (KiosReaderView *self);
/* Highlights the selection in colour (with note, or NULL); asynchronous:
 * "annotations-changed" follows once it is stored. FALSE without a selection. */
gboolean        kios_reader_view_highlight_selection (KiosReaderView *self,
                                                      const char     *color,
                                                      const char     *note);
gboolean        kios_reader_view_toggle_bookmark     (KiosReaderView *self);
gboolean        kios_reader_view_get_page_bookmarked (KiosReaderView *self);
/* Changes the note and the colour of a stored annotation. */
gboolean        kios_reader_view_update_annotation   (KiosReaderView *self,
                                                      const KiosAnnotation *annotation);
gboolean        kios_reader_view_delete_annotation   (KiosReaderView *self,
                                                      gint64          id);
/* Jumps to an annotation's start; Back returns. */
void            kios_reader_view_go_to_annotation    (KiosReaderView *self,
                                                      const KiosAnnotation *annotation);
/* A dialog to write a note: for the selection (a new yellow highlight) when
 * annotation is NULL, else that annotation's note. */
void            kios_reader_view_edit_note           (KiosReaderView *self,
                                                      const KiosAnnotation *annotation);
/* clang-format on */

G_END_DECLS
