/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-grid.h"
#include "kios-catalog-view-private.h"

#include <glib/gi18n.h>
#include <string.h>

/* How far before the end of the grid the next page starts loading. */
#define PRELOAD_DISTANCE 600.0
/* The navigation list's height above a grid of books on the same page. */
#define NAV_MAX_HEIGHT 240

/* ---- the next page -------------------------------------------------------- */

static gboolean
more_idle_cb (gpointer user_data)
{
  KiosCatalogView *self = user_data;
  GtkAdjustment   *adjustment;
  Page            *page = kios_catalog_view_current_page (self);

  self->more_idle_id = 0;
  if (self->scrolled == NULL || page == NULL || page->feed->next_href == NULL || self->busy ||
      page->feed->entries->len >= KIOS_OPDS_MAX_ENTRIES ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "entries") != 0)
    return G_SOURCE_REMOVE;

  /* Near the end (or a first page too short to scroll): the next page. */
  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  if (gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
      gtk_adjustment_get_upper (adjustment) - PRELOAD_DISTANCE)
    kios_catalog_view_start_op (self, OP_MORE, page->feed->next_href, NULL);
  return G_SOURCE_REMOVE;
}

/* Scrolling and resizing land here a moment later, outside size allocation
 * (the adjustments change during it, and widgets must not change then). */
static void
schedule_more (KiosCatalogView *self)
{
  if (self->more_idle_id == 0 && self->scrolled != NULL)
    self->more_idle_id = g_timeout_add (50, more_idle_cb, self);
}

static void
drop_pending (KiosCatalogView *self)
{
  if (self->pending_clock != NULL)
    g_clear_signal_handler (&self->pending_id, self->pending_clock);
  g_clear_object (&self->pending_clock);
  g_clear_pointer (&self->pending_items, g_ptr_array_unref);
}

void
kios_catalog_view_stop_entries (KiosCatalogView *self)
{
  g_clear_handle_id (&self->more_idle_id, g_source_remove);
  drop_pending (self);
}

/* ---- showing a page ------------------------------------------------------- */

static void
clear_nav_list (KiosCatalogView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->nav_list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->nav_list), child);
}

/* Navigation above, books below; whichever is alone fills the page. */
static void
update_layout (KiosCatalogView *self)
{
  gboolean any_nav = gtk_widget_get_first_child (self->nav_list) != NULL;
  gboolean any_book = g_list_model_get_n_items (G_LIST_MODEL (self->books)) > 0;

  gtk_widget_set_visible (GTK_WIDGET (self->nav_scrolled), any_nav);
  gtk_widget_set_vexpand (GTK_WIDGET (self->nav_scrolled), !any_book);
  gtk_scrolled_window_set_max_content_height (self->nav_scrolled, any_book ? NAV_MAX_HEIGHT : -1);
  gtk_scrolled_window_set_propagate_natural_height (self->nav_scrolled, any_book);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->scrolled)), any_book);
  gtk_widget_set_visible (self->books_label, any_nav && any_book);
}

/* One change for n items: the grid lays out once. */
static void
splice_items (KiosCatalogView *self,
              GPtrArray       *items,
              guint            n)
{
  g_list_store_splice (self->books, g_list_model_get_n_items (G_LIST_MODEL (self->books)), 0, items->pdata, n);
  update_layout (self);
  schedule_more (self);
}

/* A next page goes in a few books a frame: GTK makes and binds the cards of
 * the books appended near the view in the same call, and a whole page of
 * them in one frame took the frame over its budget. */
#define APPEND_PER_FRAME 10

static void
pending_update_cb (GdkFrameClock   *clock,
                   KiosCatalogView *self)
{
  g_autoptr (GPtrArray) items = self->pending_items != NULL ? g_ptr_array_ref (self->pending_items) : NULL;
  guint                 n;

  if (items == NULL || items->len <= APPEND_PER_FRAME)
    drop_pending (self);
  else
    /* The rest in the next frames. */
    gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_UPDATE);
  if (items == NULL)
    return;
  n = MIN (items->len, APPEND_PER_FRAME);
  splice_items (self, items, n);
  if (items == self->pending_items)
    g_ptr_array_remove_range (items, 0, n);
}

void
kios_catalog_view_append_entries (KiosCatalogView *self,
                                  guint            first)
{
  Page                 *page = kios_catalog_view_current_page (self);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GdkFrameClock        *clock;

  for (guint i = first; i < page->feed->entries->len; i++)
    {
      const KiosOpdsEntry *entry = g_ptr_array_index (page->feed->entries, i);

      /* Navigation or book is decided per entry, not by the feed's kind. */
      if (entry->kind == KIOS_OPDS_ENTRY_NAVIGATION)
        gtk_list_box_append (GTK_LIST_BOX (self->nav_list), kios_catalog_create_navigation_row (entry, i));
      else
        g_ptr_array_add (items, kios_catalog_item_new_for_entry (entry, i, self->client));
    }
  /* A next page below books in view waits for the end of a frame's update
   * phase, where the grid's layout follows at once. Appended in between,
   * a scroll before that layout (a wheel, kinetic scrolling) would place
   * the grid's anchor by rows not laid out yet, and the books in view
   * would jump by a row or more. */
  clock = first > 0 && gtk_widget_get_mapped (GTK_WIDGET (self->grid)) ? gtk_widget_get_frame_clock (GTK_WIDGET (self->grid))
                                                                       : NULL;
  if (clock == NULL && self->pending_items == NULL)
    {
      splice_items (self, items, items->len);
      return;
    }
  if (self->pending_items == NULL)
    self->pending_items = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_extend_and_steal (self->pending_items, g_steal_pointer (&items));
  if (self->pending_clock == NULL)
    {
      self->pending_clock = g_object_ref (clock);
      self->pending_id = g_signal_connect_after (clock, "update", G_CALLBACK (pending_update_cb), self);
    }
  gdk_frame_clock_request_phase (self->pending_clock, GDK_FRAME_CLOCK_PHASE_UPDATE);
}

void
kios_catalog_view_show_page (KiosCatalogView *self)
{
  Page               *page = kios_catalog_view_current_page (self);
  const KiosOpdsFeed *root;

  clear_nav_list (self);
  drop_pending (self);
  g_list_store_remove_all (self->books);
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_widget_set_visible (self->back_button, self->pages->len > 1);

  if (page == NULL)
    {
      gtk_label_set_label (self->title_label, self->source != NULL ? self->source->name : "");
      return;
    }

  gtk_label_set_label (self->title_label, page->title);
  /* Search where the page or the catalog's root offers it. */
  root = ((Page *) g_ptr_array_index (self->pages, 0))->feed;
  gtk_widget_set_visible (GTK_WIDGET (self->search_entry),
                          page->feed->search_template != NULL || page->feed->opensearch_href != NULL ||
                              root->search_template != NULL || root->opensearch_href != NULL);
  if (page->feed->entries->len == 0)
    {
      adw_status_page_set_description (self->empty_page, page->is_search
                                                             ? _ ("Try other words, or browse the catalog")
                                                             : _ ("This part of the catalog is empty"));
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  kios_catalog_view_append_entries (self, 0);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scrolled), 0.0);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->nav_scrolled), 0.0);
  gtk_stack_set_visible_child_name (self->stack, "entries");
}

/* ---- activation ----------------------------------------------------------- */

/* The position in the grid of the book at index of the page's entries. */
static gboolean
find_position (KiosCatalogView *self,
               guint            index,
               guint           *position)
{
  GListModel *model = G_LIST_MODEL (self->books);
  guint       lo = 0;
  guint       hi = g_list_model_get_n_items (model);

  /* The items are in entry order: a binary search. */
  while (lo < hi)
    {
      guint                       mid = lo + (hi - lo) / 2;
      g_autoptr (KiosCatalogItem) item = g_list_model_get_item (model, mid);
      guint                       at = kios_catalog_item_get_index (item);

      if (at == index)
        {
          *position = mid;
          return TRUE;
        }
      if (at < index)
        lo = mid + 1;
      else
        hi = mid;
    }
  return FALSE;
}

void
kios_catalog_view_activate_index (KiosCatalogView *self,
                                  guint            index)
{
  Page                *page = kios_catalog_view_current_page (self);
  const KiosOpdsEntry *entry;
  GdkTexture          *texture = NULL;
  KiosBookCard        *card = NULL;
  guint                position;

  if (page == NULL || index >= page->feed->entries->len)
    return;

  entry = g_ptr_array_index (page->feed->entries, index);
  if (entry->kind == KIOS_OPDS_ENTRY_NAVIGATION)
    {
      if (entry->navigation_href != NULL)
        {
          /* The page is called what the reader clicked ("By Title"), not the
           * server's feed title ("calibre Library :: By Title"). */
          g_free (self->next_title);
          self->next_title = g_strdup (entry->title);
          kios_catalog_view_start_op (self, OP_FETCH, entry->navigation_href, NULL);
        }
      return;
    }

  /* The detail shows the card's cover until its own arrives. */
  if (find_position (self, index, &position))
    card = kios_catalog_grid_get_card (self->grid, position);
  if (card != NULL)
    texture = kios_book_card_get_cover (card);
  g_signal_emit_by_name (self, "book-activated", entry, texture);
}

static void
row_activated_cb (KiosCatalogView *self,
                  GtkListBoxRow   *row)
{
  kios_catalog_view_activate_index (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "entry-index")));
}

static void
grid_activate_cb (KiosCatalogView *self,
                  guint            position)
{
  g_autoptr (KiosCatalogItem) item = g_list_model_get_item (G_LIST_MODEL (self->books), position);

  if (item != NULL)
    kios_catalog_view_activate_index (self, kios_catalog_item_get_index (item));
}

/* ---- the widgets ---------------------------------------------------------- */

GtkWidget *
kios_catalog_view_build_entries (KiosCatalogView *self)
{
  GtkWidget     *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget     *clamp = adw_clamp_new ();
  GtkWidget     *nav_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget     *grid;
  GtkWidget     *overlay;
  GtkAdjustment *adjustment;

  /* Navigation as a boxed list. */
  self->nav_scrolled = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (self->nav_scrolled, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_margin_top (nav_box, 12);
  gtk_widget_set_margin_bottom (nav_box, 12);
  gtk_widget_set_margin_start (nav_box, 18);
  gtk_widget_set_margin_end (nav_box, 18);
  self->nav_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->nav_list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->nav_list, "boxed-list");
  g_signal_connect_swapped (self->nav_list, "row-activated", G_CALLBACK (row_activated_cb), self);
  gtk_box_append (GTK_BOX (nav_box), self->nav_list);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1040);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 600);
  adw_clamp_set_child (ADW_CLAMP (clamp), nav_box);
  gtk_scrolled_window_set_child (self->nav_scrolled, clamp);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->nav_scrolled));

  self->books_label = gtk_label_new (_ ("Books"));
  gtk_label_set_xalign (GTK_LABEL (self->books_label), 0.0);
  gtk_widget_set_margin_start (self->books_label, 24);
  gtk_widget_add_css_class (self->books_label, "heading");
  gtk_box_append (GTK_BOX (box), self->books_label);

  /* Books as a grid straight in its scrolled window: only the cards in
   * view exist, however long the feed grows. */
  self->books = g_list_store_new (KIOS_TYPE_CATALOG_ITEM);
  grid = kios_catalog_grid_new (G_LIST_MODEL (self->books));
  self->grid = GTK_GRID_VIEW (grid);
  g_signal_connect_swapped (grid, "activate", G_CALLBACK (grid_activate_cb), self);
  self->scrolled = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (self->scrolled, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (self->scrolled, grid);
  overlay = gtk_overlay_new ();
  gtk_widget_set_vexpand (overlay, TRUE);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), GTK_WIDGET (self->scrolled));
  gtk_box_append (GTK_BOX (box), overlay);

  /* The next page's spinner floats over the grid's foot: below it, showing
   * and hiding it would resize the view, and GTK, which keeps the books at
   * the same fraction of the view, would move them under the reader. */
  self->more_spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (self->more_spinner));
  gtk_widget_set_size_request (self->more_spinner, 24, 24);
  gtk_widget_set_halign (self->more_spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->more_spinner, GTK_ALIGN_END);
  gtk_widget_set_margin_bottom (self->more_spinner, 12);
  gtk_widget_set_can_target (self->more_spinner, FALSE);
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->more_spinner);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (schedule_more), self);
  g_signal_connect_swapped (adjustment, "changed", G_CALLBACK (schedule_more), self);
  g_signal_connect_swapped (self->scrolled, "map", G_CALLBACK (schedule_more), self);
  update_layout (self);
  return box;
}

/* ---- public: the entries and their covers -------------------------------- */

const char *
kios_catalog_entry_cover_href (const KiosOpdsEntry *entry,
                               gboolean             thumbnail)
{
  const char *first = thumbnail ? entry->thumbnail_href : entry->cover_href;
  const char *second = thumbnail ? entry->cover_href : entry->thumbnail_href;
  const char *href = first != NULL ? first : second;

  /* A page-streaming (PSE) link is a template for a comic's pages: never a cover. */
  if (href != NULL && strstr (href, "{pageNumber}") != NULL)
    return NULL;
  return href;
}

void
kios_catalog_view_activate_entry (KiosCatalogView *self,
                                  guint            index)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));

  kios_catalog_view_activate_index (self, index);
}

guint
kios_catalog_view_get_n_covers_shown (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), 0);

  return kios_catalog_grid_count_covers (self->grid, FALSE);
}

guint
kios_catalog_view_get_n_full_covers_shown (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), 0);

  return kios_catalog_grid_count_covers (self->grid, TRUE);
}

guint
kios_catalog_view_get_n_cards (KiosCatalogView *self)
{
  guint n = 0;

  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), 0);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->grid));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

GListModel *
kios_catalog_view_get_books (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return G_LIST_MODEL (self->books);
}

GtkScrolledWindow *
kios_catalog_view_get_books_scrolled (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return self->scrolled;
}

static void
cover_loaded_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError           *error = NULL;
  GdkTexture       *texture = kios_catalog_cover_load_finish (result, &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

void
kios_catalog_view_load_cover_async (KiosCatalogView    *self,
                                    const char         *href,
                                    int                 height,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));
  g_return_if_fail (href != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_catalog_view_load_cover_async);
  if (self->client == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "No catalog is open");
      return;
    }
  /* The cards' path: the disk cache, then the one cover loader (a 2:3 slot). */
  height = MAX (height, 1);
  kios_catalog_cover_load_async (self->client, href, MAX (height * 2 / 3, 1), height, cancellable, cover_loaded_cb,
                                 g_steal_pointer (&task));
}

GdkTexture *
kios_catalog_view_load_cover_finish (KiosCatalogView *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_catalog_view_load_cover_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

KiosCatalogItem *
kios_catalog_view_find_item (KiosCatalogView     *self,
                             const KiosOpdsEntry *entry)
{
  Page *page;
  guint position;

  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  page = kios_catalog_view_current_page (self);
  if (page == NULL || entry == NULL)
    return NULL;
  for (guint i = 0; i < page->feed->entries->len; i++)
    if (g_ptr_array_index (page->feed->entries, i) == entry)
      return find_position (self, i, &position) ? g_list_model_get_item (G_LIST_MODEL (self->books), position) : NULL;
  return NULL;
}
