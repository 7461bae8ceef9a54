/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-grid"

#include "config.h"

#include "kios-catalog-grid.h"

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, kios_book_card_new ());
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item,
         gpointer                  user_data)
{
  kios_book_card_set_item (KIOS_BOOK_CARD (gtk_list_item_get_child (list_item)), gtk_list_item_get_item (list_item));
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  /* Stops the cover load of a card that scrolled away. */
  kios_book_card_set_item (KIOS_BOOK_CARD (gtk_list_item_get_child (list_item)), NULL);
}

GtkWidget *
kios_catalog_grid_new (GListModel *model)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkSelectionModel             *selection;
  GtkWidget                     *grid;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), NULL);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (model)));
  grid = gtk_grid_view_new (selection, g_object_ref (factory));
  gtk_grid_view_set_min_columns (GTK_GRID_VIEW (grid), 2);
  gtk_grid_view_set_max_columns (GTK_GRID_VIEW (grid), 8);
  gtk_grid_view_set_single_click_activate (GTK_GRID_VIEW (grid), TRUE);
  gtk_widget_add_css_class (grid, "book-grid");
  return grid;
}

/* The grid view's children are its list items' widgets; each holds a card. */
static KiosBookCard *
card_of (GtkWidget *child)
{
  GtkWidget *card = gtk_widget_get_first_child (child);

  return card != NULL && KIOS_IS_BOOK_CARD (card) ? KIOS_BOOK_CARD (card) : NULL;
}

guint
kios_catalog_grid_count_covers (GtkGridView *grid,
                                gboolean     full)
{
  guint n = 0;

  g_return_val_if_fail (GTK_IS_GRID_VIEW (grid), 0);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (grid));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard *card = card_of (child);

      if (card != NULL && kios_book_card_get_item (card) != NULL && kios_book_card_has_cover (card, full))
        n++;
    }
  return n;
}

KiosBookCard *
kios_catalog_grid_get_card (GtkGridView *grid,
                            guint        position)
{
  g_autoptr (GObject) item = NULL;
  GListModel         *model;

  g_return_val_if_fail (GTK_IS_GRID_VIEW (grid), NULL);

  model = G_LIST_MODEL (gtk_grid_view_get_model (grid));
  item = g_list_model_get_item (model, position);
  if (item == NULL)
    return NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (grid));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard *card = card_of (child);

      if (card != NULL && (GObject *) kios_book_card_get_item (card) == item)
        return card;
    }
  return NULL;
}
