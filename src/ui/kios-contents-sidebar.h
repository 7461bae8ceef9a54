/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-reader-view.h"

G_BEGIN_DECLS

/*
 * KiosContentsSidebar: the book's table of contents as a navigation list,
 * indented by level. It follows a KiosReaderView: it reloads when the view
 * opens another book, highlights (selects) the entry of the chapter on
 * screen and scrolls it into view, and a click or Enter on an entry jumps
 * there with kios_reader_view_go_to_toc().
 *
 * KiosReaderView already shows one of these itself (property
 * "contents-visible", toggled by the window's F9). Create another with
 * kios_contents_sidebar_new() only to place it elsewhere, e.g. in an
 * AdwFlap; it holds only a weak reference to the view.
 *
 * A switcher above the list shows the book's annotations instead
 * (KiosAnnotationsSidebar).
 *
 * Signals: "entry-activated" (int index) after the reader picked an entry.
 */

#define KIOS_TYPE_CONTENTS_SIDEBAR (kios_contents_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (KiosContentsSidebar, kios_contents_sidebar, KIOS, CONTENTS_SIDEBAR, GtkWidget)

/* clang-format off */
GtkWidget      *kios_contents_sidebar_new          (KiosReaderView      *view);
KiosReaderView *kios_contents_sidebar_get_view     (KiosContentsSidebar *self);
/* Number of entries listed (0 when the book has no contents). */
guint           kios_contents_sidebar_get_n_entries (KiosContentsSidebar *self);
/* The highlighted entry, or -1. */
int             kios_contents_sidebar_get_selected (KiosContentsSidebar *self);
/* Jumps to entry index, as a click on its row does. */
void            kios_contents_sidebar_activate     (KiosContentsSidebar *self,
                                                    int                  index);
/* The annotations beside the contents (a KiosAnnotationsSidebar), and
 * which of the two is shown. */
GtkWidget      *kios_contents_sidebar_get_annotations_sidebar (KiosContentsSidebar *self);
gboolean        kios_contents_sidebar_get_annotations_visible (KiosContentsSidebar *self);
void            kios_contents_sidebar_set_annotations_visible (KiosContentsSidebar *self,
                                                               gboolean             visible);
/* clang-format on */

G_END_DECLS
