/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gtk/gtk.h>

#include "kios-book-card.h"

G_BEGIN_DECLS

/*
 * The grid of a catalog's or a Kobo shelf's books: a GtkGridView of
 * KiosBookCards over a GListModel of KiosCatalogItems, the same grid as the
 * start view's (single-click activation, arrow keys, 2 to 8 columns). Only
 * the cards near the view exist; each loads its cover once it is on screen.
 */

/* clang-format off */
/* A grid view over model (KiosCatalogItem; the view keeps a reference). Put
 * it straight into a GtkScrolledWindow, so it scrolls by itself. */
GtkWidget    *kios_catalog_grid_new          (GListModel  *model);
/* The cards bound now that show a cover (full: the full cover). */
guint         kios_catalog_grid_count_covers (GtkGridView *grid,
                                              gboolean     full);
/* The bound cards the grid saw on screen: the ones that load covers. */
guint         kios_catalog_grid_count_on_screen (GtkGridView *grid);
/* The bound card of the item at position, or NULL when it is not in view. */
KiosBookCard *kios_catalog_grid_get_card     (GtkGridView *grid,
                                              guint        position);
/* clang-format on */

G_END_DECLS
