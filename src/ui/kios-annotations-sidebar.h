/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-reader-view.h"

G_BEGIN_DECLS

/*
 * KiosAnnotationsSidebar: the open book's bookmarks, highlights and notes,
 * by chapter, each with its quoted words, its note and its colour. A click
 * or Enter jumps there (Back returns); a row's menu edits the note, changes
 * the colour or deletes it; "Export as Markdown…" saves them all. It
 * follows a KiosReaderView (its "annotations-changed" signal) and holds
 * only a weak reference to it. The contents sidebar shows one beside the
 * contents, behind a switcher.
 */

#define KIOS_TYPE_ANNOTATIONS_SIDEBAR (kios_annotations_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (KiosAnnotationsSidebar, kios_annotations_sidebar, KIOS, ANNOTATIONS_SIDEBAR, GtkWidget)

/* clang-format off */
GtkWidget *kios_annotations_sidebar_new          (KiosReaderView         *view);
/* Rows listed (annotations, not chapter headings). */
guint      kios_annotations_sidebar_get_n_rows   (KiosAnnotationsSidebar *self);
/* The row of annotation index (reading order), for tests; NULL while it
 * is not in sight (rows are made only for those). */
GtkWidget *kios_annotations_sidebar_get_row      (KiosAnnotationsSidebar *self,
                                                  guint                   index);
/* Activates row index, as a click on it does. */
void       kios_annotations_sidebar_activate     (KiosAnnotationsSidebar *self,
                                                  guint                   index);
/* Writes the Markdown export to file (asynchronously). */
void       kios_annotations_sidebar_export_to    (KiosAnnotationsSidebar *self,
                                                  GFile                  *file);
/* clang-format on */

G_END_DECLS
