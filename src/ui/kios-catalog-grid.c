/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-grid"

#include "config.h"

#include "kios-catalog-grid.h"

/* The grid keeps far more cards bound than it shows (GTK binds whole rows
 * above and below the view): a card asks for its cover only once it is seen,
 * so scrolling past thousands of books neither fetches nor decodes theirs. */
#define ON_SCREEN_IDLE_KEY "kios-catalog-grid-on-screen-idle"
/* The full covers wait until the grid has not scrolled for this long: while
 * it moves, cards show the catalog's thumbnails only. */
#define SETTLE_KEY "kios-catalog-grid-settle"
#define SETTLE_MS 250

static KiosBookCard *card_of (GtkWidget *child);

static gboolean
card_in_view (GtkWidget *grid,
              GtkWidget *child)
{
  graphene_rect_t bounds;
  int             height = gtk_widget_get_height (grid);

  if (!gtk_widget_get_mapped (child) || !gtk_widget_compute_bounds (child, grid, &bounds))
    return FALSE;
  return bounds.origin.y + bounds.size.height > 0.0 && bounds.origin.y < height;
}

/* Cards this close to the view (a fraction of its height) show their text,
 * so a card scrolling in has it before it shows. */
#define TEXT_MARGIN_FRACTION 0.5
#define LAYOUT_HANDLER_KEY "kios-catalog-grid-layout-handler"
/* The positions of the first and last cards in view after the last layout,
 * plus one (0: none yet). */
#define FIRST_SHOWN_KEY "kios-catalog-grid-first-shown"
#define LAST_SHOWN_KEY "kios-catalog-grid-last-shown"
/* A card's position in the grid, as it was bound. */
#define POSITION_KEY "kios-catalog-grid-position"

static gboolean
card_near_view (GtkWidget *grid,
                GtkWidget *child)
{
  graphene_rect_t bounds;
  int             height = gtk_widget_get_height (grid);
  double          margin = height * TEXT_MARGIN_FRACTION;

  if (!gtk_widget_get_mapped (child) || !gtk_widget_compute_bounds (child, grid, &bounds))
    return FALSE;
  return bounds.origin.y + bounds.size.height > -margin && bounds.origin.y < height + margin;
}

static gboolean
update_on_screen_cb (gpointer user_data)
{
  GtkWidget *grid = user_data;
  gboolean   at_rest = g_object_get_data (G_OBJECT (grid), SETTLE_KEY) == NULL;

  g_object_steal_data (G_OBJECT (grid), ON_SCREEN_IDLE_KEY);
  for (GtkWidget *child = gtk_widget_get_first_child (grid); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard *card = card_of (child);

      if (card == NULL)
        continue;
      if (kios_book_card_get_text_pending (card) && card_near_view (grid, child))
        kios_book_card_show_text (card);
      kios_book_card_set_on_screen (card, card_in_view (grid, child), at_rest);
    }
  return G_SOURCE_REMOVE;
}

/* After the layout that follows a scroll or a bind, when the cards are where
 * they show: the idle runs once the frame is drawn. */
static void
schedule_on_screen (GtkWidget *grid)
{
  guint id;

  if (g_object_get_data (G_OBJECT (grid), ON_SCREEN_IDLE_KEY) != NULL)
    return;
  id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, update_on_screen_cb, grid, NULL);
  g_object_set_data_full (G_OBJECT (grid), ON_SCREEN_IDLE_KEY, GUINT_TO_POINTER (id),
                          (GDestroyNotify) g_source_remove);
}

static gboolean
settled_cb (gpointer user_data)
{
  GtkWidget *grid = user_data;

  g_object_steal_data (G_OBJECT (grid), SETTLE_KEY);
  schedule_on_screen (grid);
  return G_SOURCE_REMOVE;
}

static void
scrolled_cb (GtkWidget *grid)
{
  guint id = g_timeout_add (SETTLE_MS, settled_cb, grid);

  g_object_set_data_full (G_OBJECT (grid), SETTLE_KEY, GUINT_TO_POINTER (id), (GDestroyNotify) g_source_remove);
  schedule_on_screen (grid);
}

static void
vadjustment_cb (GtkWidget *grid)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));

  if (adjustment == NULL)
    return;
  /* Connected once: the grid's adjustment is the scrolled window's. */
  g_signal_handlers_disconnect_by_func (adjustment, schedule_on_screen, grid);
  g_signal_handlers_disconnect_by_func (adjustment, scrolled_cb, grid);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (scrolled_cb), grid, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "changed", G_CALLBACK (schedule_on_screen), grid, G_CONNECT_SWAPPED);
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  GtkWidget *card = kios_book_card_new ();

  kios_book_card_set_lazy_cover (KIOS_BOOK_CARD (card), TRUE);
  gtk_list_item_set_child (list_item, card);
}

/* After the grid's layout in each frame, before it is drawn: the cards
 * bound near the view show their text. Their new text lays them out again
 * in the same frame (the frame clock repeats its layout phase), so no card
 * shows another book's text. */
static void
after_layout_cb (GdkFrameClock *clock,
                 gpointer       user_data)
{
  GtkWidget *grid = user_data;
  guint      first = G_MAXUINT;
  guint      last = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (grid); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard *card = card_of (child);
      guint         position;

      if (card == NULL || !card_in_view (grid, child))
        {
          if (card != NULL && kios_book_card_get_text_pending (card) && card_near_view (grid, child))
            kios_book_card_show_text (card);
          continue;
        }
      kios_book_card_show_text (card);
      position = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (card), POSITION_KEY));
      first = MIN (first, position);
      last = MAX (last, position);
    }
  if (first <= last)
    {
      g_object_set_data (G_OBJECT (grid), FIRST_SHOWN_KEY, GUINT_TO_POINTER (first + 1));
      g_object_set_data (G_OBJECT (grid), LAST_SHOWN_KEY, GUINT_TO_POINTER (last + 1));
    }
}

/* Whether a book bound at position is within a screen of those the grid
 * showed last: scrolling brings it into view before long. */
static gboolean
position_near_view (GtkWidget *grid,
                    guint      position)
{
  guint first = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (grid), FIRST_SHOWN_KEY));
  guint last = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (grid), LAST_SHOWN_KEY));
  guint span;

  /* Nothing shown yet: the first cards are the ones to show. */
  if (first == 0 || last == 0)
    return TRUE;
  first--;
  last--;
  span = last - first + 1;
  return position + span >= first && position <= last + span;
}

static void
grid_map_cb (GtkWidget *grid)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (grid);

  schedule_on_screen (grid);
  if (clock == NULL || g_object_get_data (G_OBJECT (grid), LAYOUT_HANDLER_KEY) != NULL)
    return;
  /* After GTK's own layout handler, whenever that was connected. */
  g_signal_connect_object (clock, "layout", G_CALLBACK (after_layout_cb), grid, G_CONNECT_AFTER);
  g_object_set_data_full (G_OBJECT (grid), LAYOUT_HANDLER_KEY, g_object_ref (clock), g_object_unref);
}

static void
grid_unmap_cb (GtkWidget *grid)
{
  GdkFrameClock *clock = g_object_get_data (G_OBJECT (grid), LAYOUT_HANDLER_KEY);

  if (clock == NULL)
    return;
  g_signal_handlers_disconnect_by_func (clock, after_layout_cb, grid);
  g_object_set_data (G_OBJECT (grid), LAYOUT_HANDLER_KEY, NULL);
}

/* GTK binds far more cards than the grid shows, and binds them again to
 * other books many times a second while it scrolls (whole ranges of rows
 * away from the view): a book within a screen of those shown gets its text
 * at once (a card about to scroll in), any other only its book, the text
 * following once the card comes near (after a layout, or in the on-screen
 * pass); a card bound to its own book again costs nothing. Binding a card
 * to another book stops the old book's cover load; a card dropped stops it
 * as it goes, one scrolled out of view by set_on_screen. */
static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item,
         gpointer                  user_data)
{
  KiosBookCard    *card = KIOS_BOOK_CARD (gtk_list_item_get_child (list_item));
  KiosCatalogItem *item = gtk_list_item_get_item (list_item);
  guint            position = gtk_list_item_get_position (list_item);

  g_object_set_data (G_OBJECT (card), POSITION_KEY, GUINT_TO_POINTER (position));
  if (kios_book_card_get_item (card) == item)
    ;
  else if (position_near_view (user_data, position))
    kios_book_card_set_item (card, item);
  else
    kios_book_card_set_item_deferred (card, item);
  schedule_on_screen (user_data);
}

GtkWidget *
kios_catalog_grid_new (GListModel *model)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkSelectionModel             *selection;
  GtkWidget                     *grid;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (model)));
  grid = gtk_grid_view_new (selection, g_object_ref (factory));
  /* The factory lives as long as the grid, which owns it. */
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), grid);
  g_signal_connect (grid, "notify::vadjustment", G_CALLBACK (vadjustment_cb), NULL);
  g_signal_connect (grid, "map", G_CALLBACK (grid_map_cb), NULL);
  g_signal_connect (grid, "unmap", G_CALLBACK (grid_unmap_cb), NULL);
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

guint
kios_catalog_grid_count_on_screen (GtkGridView *grid)
{
  guint n = 0;

  g_return_val_if_fail (GTK_IS_GRID_VIEW (grid), 0);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (grid));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard *card = card_of (child);

      if (card != NULL && kios_book_card_get_item (card) != NULL && kios_book_card_get_on_screen (card))
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
