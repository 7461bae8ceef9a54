/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-start-view"

#include "config.h"

#include "kios-start-view-private.h"

#include <glib/gi18n.h>

/* Without a library, the store's recent books: enough to fill a screen. */
#define RECENT_LIMIT 48
/* Most books open faster than this: only slower ones show the spinner, so a
 * quick open does not flash it. */
#define OPENING_DELAY_MS 250
G_DEFINE_FINAL_TYPE (KiosStartView, kios_start_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_STORE,
  PROP_LIBRARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_BOOK_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
kios_start_view_update_visible_page (KiosStartView *self)
{
  const char *name;
  gboolean    show_spinner = self->opening && self->opening_timeout_id == 0;
  guint       n_books = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (show_spinner)
    name = "opening";
  else if (!self->listed)
    name = "loading";
  else if (n_books > 0 || !self->library_empty)
    name = "books";
  else
    name = "empty";

  if (n_books == 0 && self->search != NULL && *self->search != '\0')
    {
      adw_status_page_set_title (self->no_results_page, _ ("No Results Found"));
      adw_status_page_set_description (self->no_results_page, _ ("Try a different search"));
    }
  else if (n_books == 0 && self->shelf == KIOS_START_SHELF_READING)
    {
      adw_status_page_set_title (self->no_results_page, _ ("Nothing in Progress"));
      adw_status_page_set_description (self->no_results_page, _ ("Books you have started and not finished appear here"));
    }
  else if (n_books == 0 && self->shelf == KIOS_START_SHELF_FINISHED)
    {
      adw_status_page_set_title (self->no_results_page, _ ("No Finished Books"));
      adw_status_page_set_description (self->no_results_page, _ ("Books you finish, or mark as finished, appear here"));
    }

  gtk_spinner_set_spinning (self->spinner, show_spinner);
  /* The first list replaces the blank page at once: a fade would hold the
   * window's first real frame back by the animation's length. */
  gtk_stack_set_visible_child_full (self->stack, name,
                                    g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "loading") == 0
                                        ? GTK_STACK_TRANSITION_TYPE_NONE
                                        : GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  /* While a search is still filtering, the grid stays: no "No Results" flash. */
  gtk_stack_set_visible_child_name (self->results_stack, n_books > 0 ||
                                                                 gtk_filter_list_model_get_pending (self->filtered) > 0 ||
                                                                 kios_library_model_get_pending (self->model) > 0
                                                             ? "grid"
                                                             : "no-results");
}

static void
opening_timeout_cb (gpointer user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);

  self->opening_timeout_id = 0;
  kios_start_view_update_visible_page (self);
}

static gboolean
on_shelf (KiosStartShelf        shelf,
          const KiosBookRecord *book)
{
  switch (shelf)
    {
    case KIOS_START_SHELF_READING:
      return kios_book_record_get_state (book) == KIOS_BOOK_STATE_READING;
    case KIOS_START_SHELF_FINISHED:
      return kios_book_record_get_state (book) == KIOS_BOOK_STATE_FINISHED;
    case KIOS_START_SHELF_ALL:
    default:
      return TRUE;
    }
}

/* Every book of the shelf whose folded title, authors and series hold every
 * word of the search: a keystroke re-tests precomputed keys, nothing else. */
static gboolean
filter_cb (gpointer item,
           gpointer user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);

  return on_shelf (self->shelf, kios_book_item_get_record (item)) &&
         kios_book_item_matches (item, (const char *const *) self->search_words);
}

static void
kios_start_view_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  GTK_WIDGET_CLASS (kios_start_view_parent_class)->size_allocate (widget, width, height, baseline);
  kios_start_view_fit_columns (KIOS_START_VIEW (widget));
  KIOS_START_VIEW (widget)->covers_dirty = TRUE;
}

static void covers_painted_cb (GdkFrameClock *clock,
                               KiosStartView *self);

static void
kios_start_view_map (GtkWidget *widget)
{
  KiosStartView *self = KIOS_START_VIEW (widget);

  GTK_WIDGET_CLASS (kios_start_view_parent_class)->map (widget);
  self->covers_painted_id = g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                                                     G_CALLBACK (covers_painted_cb), self, 0);
  /* After the window's own layout handler, connected as it was realized. */
  self->layout_id = g_signal_connect_object (gtk_widget_get_frame_clock (widget), "layout", G_CALLBACK (kios_start_view_layout_cb),
                                             self, 0);
  self->covers_dirty = TRUE;
}

static void
kios_start_view_unmap (GtkWidget *widget)
{
  KiosStartView *self = KIOS_START_VIEW (widget);

  g_clear_signal_handler (&self->covers_painted_id, gtk_widget_get_frame_clock (widget));
  g_clear_signal_handler (&self->layout_id, gtk_widget_get_frame_clock (widget));

  if (self->step_painted_id != 0)
    g_clear_signal_handler (&self->step_painted_id, gtk_widget_get_frame_clock (widget));
  GTK_WIDGET_CLASS (kios_start_view_parent_class)->unmap (widget);
  if (kios_library_model_get_pending (self->model) > 0)
    kios_start_view_finish_steps (self);
}

typedef struct
{
  KiosLibrary    *library;
  KiosLibrarySort sort;
} ListRequest;

static void
list_request_free (ListRequest *request)
{
  g_clear_object (&request->library);
  g_free (request);
}

/* Listing and folding the keys of 10,000 books is tens of milliseconds:
 * both happen here, off the main thread. */
static void
list_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ListRequest          *request = task_data;
  g_autoptr (GPtrArray) books = NULL;
  GError               *error = NULL;

  books = kios_library_list (request->library, request->sort, NULL, &error);
  if (books == NULL)
    g_task_return_error (task, error);
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, kios_book_items_new (books), (GDestroyNotify) g_ptr_array_unref);
}

static void
list_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  KiosStartView        *self = KIOS_START_VIEW (source_object);
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError)    error = NULL;

  items = g_task_propagate_pointer (G_TASK (result), &error);
  if (items == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (items == NULL)
    {
      /* The empty state still lets the reader open a book; the store logs details. */
      g_warning ("Could not list the books: %s", error->message);
      items = g_ptr_array_new ();
    }

  kios_start_view_show_items (self, items);
}

static void
list_recent_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (KiosStartView) self = user_data;
  g_autoptr (GPtrArray)     books = NULL;
  g_autoptr (GPtrArray)     items = NULL;
  g_autoptr (GError)        error = NULL;

  books = kios_library_store_list_recent_finish (KIOS_LIBRARY_STORE (source_object), result, &error);
  if (books == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (books == NULL)
    {
      g_warning ("Could not list the books: %s", error->message);
      books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
    }

  /* A screenful of recent books: folded here. */
  items = kios_book_items_new (books);
  kios_start_view_show_items (self, items);
}

static void
factory_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  GtkWidget     *card = kios_book_card_new ();

  kios_book_menu_add_gestures (self->menu, card);
  gtk_list_item_set_child (item, card);
}

typedef enum {
  CARD_UNPLACED, /* bound, not laid out yet */
  CARD_HIDDEN,
  CARD_NEAR, /* within a row of the screen */
  CARD_SHOWN,
} CardPlace;

static CardPlace
card_place (KiosStartView *self,
            GtkWidget     *card)
{
  GtkWidget      *grid = GTK_WIDGET (self->grid_view);
  int             height = gtk_widget_get_height (grid);
  graphene_rect_t bounds;

  if (gtk_widget_get_width (card) <= 0 || !gtk_widget_compute_bounds (card, grid, &bounds))
    return CARD_UNPLACED;
  if (bounds.origin.y + bounds.size.height > 0 && bounds.origin.y < height)
    return CARD_SHOWN;
  if (bounds.origin.y + 2 * bounds.size.height >= 0 && bounds.origin.y - bounds.size.height < height)
    return CARD_NEAR;
  return CARD_HIDDEN;
}

/* The grid keeps cards for many rows off screen: only those on screen (and
 * a row past it) load their covers, after the frame that placed them, so
 * a launch decodes the covers it shows and no more. Those on screen are
 * asked for first: the loader takes them in turn. */
static void
load_shown_covers (KiosStartView *self)
{
  g_autoptr (GPtrArray) near = g_ptr_array_new ();
  GHashTableIter        iter;
  gpointer              card;

  self->covers_dirty = FALSE;
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &card, NULL))
    switch (g_hash_table_contains (self->stale, card) ? CARD_HIDDEN : card_place (self, card))
      {
      case CARD_UNPLACED:
        /* The next frame places it. */
        self->covers_dirty = TRUE;
        break;
      case CARD_SHOWN:
        kios_book_card_load_cover (card);
        break;
      case CARD_NEAR:
        g_ptr_array_add (near, card);
        break;
      case CARD_HIDDEN:
      default:
        break;
      }
  for (guint i = 0; i < near->len; i++)
    kios_book_card_load_cover (near->pdata[i]);
}

/* A card on screen still without its cover (loading, or the book has none). */
gboolean
kios_start_view_shown_covers_pending (KiosStartView *self)
{
  GHashTableIter iter;
  gpointer       card;

  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &card, NULL))
    if (card_place (self, card) == CARD_SHOWN && !kios_book_card_has_cover (card, FALSE))
      return TRUE;
  return FALSE;
}

/* The book the card's slot stands for now. */
static KiosBookItem *
slot_book (KiosStartView *self,
           GtkListItem   *slot)
{
  guint                    position = gtk_list_item_get_position (slot);
  g_autoptr (KiosBookItem) book = NULL;

  if (position == GTK_INVALID_LIST_POSITION)
    return NULL;
  /* The filter model holds its own reference. */
  book = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);
  return book;
}

/* The card shows its slot's book (unless it does already). */
static void
show_card (KiosStartView *self,
           GtkWidget     *card,
           GtkListItem   *slot)
{
  KiosBookItem *book = slot_book (self, slot);

  g_hash_table_remove (self->stale, card);
  if (book == NULL || g_hash_table_lookup (self->shown, card) == book)
    return;
  g_hash_table_insert (self->shown, card, g_object_ref (book));
  if (self->covers_eager)
    kios_book_card_set_book (KIOS_BOOK_CARD (card), kios_book_item_get_record (book));
  else
    kios_book_card_set_book_lazily (KIOS_BOOK_CARD (card), kios_book_item_get_record (book));
  self->covers_dirty = TRUE;
}

/* A card bound, or whose slot's book changed: shown at once on screen or
 * near it (or where cards were near it, as last laid out: the grid is
 * about to place it), else once it comes near (kios_start_view_show_near_cards). */
static void
update_card (KiosStartView *self,
             GtkWidget     *card,
             GtkListItem   *slot)
{
  CardPlace place = card_place (self, card);
  guint     position = gtk_list_item_get_position (slot);
  guint     columns = gtk_grid_view_get_max_columns (self->grid_view);

  if (self->covers_eager || place == CARD_SHOWN || place == CARD_NEAR ||
      (position != GTK_INVALID_LIST_POSITION && position + columns >= self->near_first &&
       position <= self->near_last + columns))
    show_card (self, card, slot);
  else if (g_hash_table_lookup (self->shown, card) != slot_book (self, slot))
    g_hash_table_add (self->stale, card);
  else
    g_hash_table_remove (self->stale, card);
}

/* The grid keeps cards for 30 rows; those off screen take their book (its
 * labels, a new size) only once they come within a row of the screen, as
 * the frame they come near in is laid out. */
void
kios_start_view_show_near_cards (KiosStartView *self)
{
  GHashTableIter iter;
  gpointer       card, slot;

  self->near_first = G_MAXUINT;
  self->near_last = 0;
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &card, &slot))
    {
      CardPlace place = card_place (self, card);
      guint     position = gtk_list_item_get_position (slot);

      if (place != CARD_SHOWN && place != CARD_NEAR)
        continue;
      if (position != GTK_INVALID_LIST_POSITION)
        {
          self->near_first = MIN (self->near_first, position);
          self->near_last = MAX (self->near_last, position);
        }
      if (g_hash_table_contains (self->stale, card))
        show_card (self, card, slot);
    }
}

/* Books filtered in or out from position on: slots are added or removed at
 * the end, and the cards of the slots from position show their new books. */
static void
filtered_changed_cb (KiosStartView *self,
                     guint          position,
                     guint          removed,
                     guint          added)
{
  GHashTableIter iter;
  gpointer       card, slot;

  kios_slot_model_set_n_items (self->slots, g_list_model_get_n_items (G_LIST_MODEL (self->filtered)));
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &card, &slot))
    if (gtk_list_item_get_position (slot) >= position)
      update_card (self, card, slot);
}

static void
covers_painted_cb (GdkFrameClock *clock,
                   KiosStartView *self)
{
  if (self->covers_dirty)
    load_shown_covers (self);
}

static void
covers_dirty_cb (KiosStartView *self)
{
  self->covers_dirty = TRUE;
}

static void
factory_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *slot,
                 gpointer                  user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  GtkWidget     *card = gtk_list_item_get_child (slot);

  g_hash_table_insert (self->bound, card, slot);
  update_card (self, card, slot);
}

static void
factory_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *slot,
                   gpointer                  user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  GtkWidget     *card = gtk_list_item_get_child (slot);

  kios_book_card_set_book (KIOS_BOOK_CARD (card), NULL);
  g_hash_table_remove (self->bound, card);
  g_hash_table_remove (self->shown, card);
  g_hash_table_remove (self->stale, card);
}

static void
grid_activate_cb (KiosStartView *self,
                  guint          position)
{
  g_autoptr (KiosBookItem) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);
  const KiosBookRecord    *book;

  if (item == NULL)
    return;
  book = kios_book_item_get_record (item);

  if (kios_book_record_get_state (book) == KIOS_BOOK_STATE_MISSING && self->library != NULL)
    kios_book_menu_offer_missing (self->menu, book);
  else if (book->path != NULL)
    g_signal_emit (self, signals[SIGNAL_BOOK_ACTIVATED], 0, book->path);
}

static void
search_changed_cb (KiosStartView *self)
{
  /* set_search's own edit: the entry passes through "" on the way, which
   * it reports at once, and that must not list every book. */
  if (self->setting_search)
    return;

  kios_start_view_set_search (self, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
stop_search_cb (KiosStartView *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->grid_view));
}

static gboolean
focus_search_cb (GtkWidget *widget,
                 GVariant  *args,
                 gpointer   user_data)
{
  KiosStartView *self = KIOS_START_VIEW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "books") != 0)
    return FALSE;

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  return TRUE;
}

static void
library_changed_cb (KiosStartView *self)
{
  kios_start_view_reload (self);
}

static void
kios_start_view_dispose (GObject *object)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->menu != NULL)
    kios_book_menu_shutdown (self->menu);
  g_clear_object (&self->menu);
  g_clear_signal_handler (&self->changed_id, self->library);
  g_clear_object (&self->library);
  g_clear_object (&self->store);
  g_clear_object (&self->actions);
  g_clear_handle_id (&self->opening_timeout_id, g_source_remove);

  /* AdwBin unparents its child (the template's overlay) itself. */
  G_OBJECT_CLASS (kios_start_view_parent_class)->dispose (object);
}

static void
kios_start_view_finalize (GObject *object)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->model);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->search_folded, g_free);
  g_clear_pointer (&self->search_words, g_strfreev);
  g_clear_pointer (&self->bound, g_hash_table_unref);
  g_clear_pointer (&self->stale, g_hash_table_unref);
  g_clear_pointer (&self->shown, g_hash_table_unref);
  g_clear_object (&self->slots);

  G_OBJECT_CLASS (kios_start_view_parent_class)->finalize (object);
}

static void
kios_start_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_LIBRARY:
      g_value_set_object (value, self->library);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_start_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      kios_start_view_set_store (self, g_value_get_object (value));
      break;
    case PROP_LIBRARY:
      kios_start_view_set_library (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_start_view_class_init (KiosStartViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_start_view_dispose;
  object_class->finalize = kios_start_view_finalize;
  object_class->get_property = kios_start_view_get_property;
  object_class->set_property = kios_start_view_set_property;
  widget_class->map = kios_start_view_map;
  widget_class->unmap = kios_start_view_unmap;
  widget_class->size_allocate = kios_start_view_size_allocate;

  properties[PROP_STORE] =
      g_param_spec_object ("store", NULL, NULL,
                           KIOS_TYPE_LIBRARY_STORE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIBRARY] =
      g_param_spec_object ("library", NULL, NULL,
                           KIOS_TYPE_LIBRARY,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosStartView::book-activated:
   * @self: the start view
   * @path: the book's file path
   *
   * Emitted when the reader picks a book to read.
   */
  signals[SIGNAL_BOOK_ACTIVATED] =
      g_signal_new ("book-activated",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-start-view.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, stack);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, results_stack);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, grid_view);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, opening_page);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, no_results_page);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, spinner);
  gtk_widget_class_bind_template_callback (widget_class, grid_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, focus_search_cb, NULL);
}

static void
kios_start_view_init (KiosStartView *self)
{
  GtkListItemFactory *factory;
  GtkSelectionModel  *selection;

  self->model = kios_library_model_new ();
  self->filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->model)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  /* A search or shelf change filters every book at once (a few
   * milliseconds over precomputed keys, one items-changed): the grid keeps
   * its cards (it shows slots) and only those near the screen show their
   * new books, so there is nothing to spread over frames. Filtering in
   * pieces would have the filter model drop every book first and the grid
   * its cards with them. */
  g_signal_connect_object (self->filtered, "notify::pending", G_CALLBACK (kios_start_view_update_visible_page), self,
                           G_CONNECT_SWAPPED);
  self->cancellable = g_cancellable_new ();
  self->sort = KIOS_LIBRARY_SORT_RECENT;
  self->shelf = KIOS_START_SHELF_ALL;
  self->library_empty = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (factory_setup_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (factory_bind_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (factory_unbind_cb), self, 0);
  gtk_grid_view_set_factory (self->grid_view, factory);
  g_object_unref (factory);
  self->bound = g_hash_table_new (NULL, NULL);
  self->stale = g_hash_table_new (NULL, NULL);
  self->shown = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  g_signal_connect_object (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->grid_view)), "value-changed",
                           G_CALLBACK (covers_dirty_cb), self, G_CONNECT_SWAPPED);
  /* The grid shows slots: it keeps its cards whatever books they show. */
  self->slots = kios_slot_model_new ();
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (filtered_changed_cb), self,
                           G_CONNECT_SWAPPED);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->slots))));
  gtk_grid_view_set_model (self->grid_view, selection);
  g_object_unref (selection);

  kios_start_view_install_actions (self);
  kios_start_view_update_visible_page (self);
}

KiosStartView *
kios_start_view_new (void)
{
  return g_object_new (KIOS_TYPE_START_VIEW, NULL);
}

KiosLibraryStore *
kios_start_view_get_store (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return self->store;
}

void
kios_start_view_set_store (KiosStartView    *self,
                           KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  kios_start_view_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

KiosLibrary *
kios_start_view_get_library (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return self->library;
}

void
kios_start_view_set_library (KiosStartView *self,
                             KiosLibrary   *library)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail (library == NULL || KIOS_IS_LIBRARY (library));

  if (self->library == library)
    return;

  g_clear_signal_handler (&self->changed_id, self->library);
  g_set_object (&self->library, library);
  kios_book_menu_set_library (self->menu, library);
  if (library != NULL)
    self->changed_id = g_signal_connect_object (library, "changed", G_CALLBACK (library_changed_cb),
                                                self, G_CONNECT_SWAPPED);

  kios_start_view_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIBRARY]);
}

void
kios_start_view_reload (KiosStartView *self)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));

  /* A newer list replaces an older one still running. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->library != NULL)
    {
      g_autoptr (GTask) task = g_task_new (self, self->cancellable, list_cb, NULL);
      ListRequest      *request = g_new0 (ListRequest, 1);

      request->library = g_object_ref (self->library);
      request->sort = self->sort;
      self->loading = TRUE;
      g_task_set_source_tag (task, kios_start_view_reload);
      g_task_set_task_data (task, request, (GDestroyNotify) list_request_free);
      g_task_run_in_thread (task, list_worker);
    }
  else if (self->store != NULL)
    {
      self->loading = TRUE;
      kios_library_store_list_recent_async (self->store, RECENT_LIMIT, self->cancellable,
                                            list_recent_cb, g_object_ref (self));
    }
  else
    {
      g_autoptr (GPtrArray) none = g_ptr_array_new ();

      kios_start_view_show_items (self, none);
    }
}

gboolean
kios_start_view_is_loading (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), FALSE);

  return self->loading || kios_library_model_get_pending (self->model) > 0 ||
         gtk_filter_list_model_get_pending (self->filtered) > 0;
}

void
kios_start_view_set_opening (KiosStartView *self,
                             const char    *file_name)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));

  g_clear_handle_id (&self->opening_timeout_id, g_source_remove);
  self->opening = file_name != NULL;
  if (self->opening)
    {
      adw_status_page_set_description (self->opening_page, file_name);
      self->opening_timeout_id = g_timeout_add_once (OPENING_DELAY_MS, opening_timeout_cb, self);
    }
  kios_start_view_update_visible_page (self);
}

const char *
kios_start_view_get_visible_page (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
kios_start_view_get_results_page (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return gtk_stack_get_visible_child_name (self->results_stack);
}

guint
kios_start_view_get_n_books (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
}

const KiosBookRecord *
kios_start_view_get_book (KiosStartView *self,
                          guint          index)
{
  g_autoptr (KiosBookItem) item = NULL;

  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  /* The base model holds its own reference: the record outlives this one. */
  item = g_list_model_get_item (G_LIST_MODEL (self->filtered), index);
  return item != NULL ? kios_book_item_get_record (item) : NULL;
}

GListModel *
kios_start_view_get_model (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

static guint
count_matches (KiosStartView *self)
{
  GListModel *model = G_LIST_MODEL (self->model);
  guint       n = g_list_model_get_n_items (model);
  guint       count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosBookItem) item = g_list_model_get_item (model, i);

      count += filter_cb (item, self) ? 1 : 0;
    }
  return count;
}

/* A query that only grew (a keystroke) can only drop books, one that only
 * shrank only bring some back: the filter model then re-tests just those. */
static void
refilter_search (KiosStartView *self)
{
  g_autofree char *old = g_steal_pointer (&self->search_folded);
  GtkFilterChange  change;

  g_clear_pointer (&self->search_words, g_strfreev);
  if (self->search != NULL)
    {
      self->search_folded = kios_library_store_fold (self->search);
      self->search_words = g_strsplit (self->search_folded, " ", -1);
    }
  if (g_strcmp0 (old, self->search_folded) == 0)
    return;

  if (old == NULL || (self->search_folded != NULL && g_str_has_prefix (self->search_folded, old)))
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (self->search_folded == NULL || g_str_has_prefix (old, self->search_folded))
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else
    change = GTK_FILTER_CHANGE_DIFFERENT;
  /* A query that only grew or shrank and still matches as many books
   * matches the same books: nothing to tell the grid (a refilter, even of
   * unchanged results, would have it bind its cards again). Counting is a
   * pass over precomputed keys. */
  if (change != GTK_FILTER_CHANGE_DIFFERENT && gtk_filter_list_model_get_pending (self->filtered) == 0 &&
      count_matches (self) == g_list_model_get_n_items (G_LIST_MODEL (self->filtered)))
    return;

  gtk_filter_changed (GTK_FILTER (self->filter), change);
  kios_start_view_update_visible_page (self);
}

void
kios_start_view_set_search (KiosStartView *self,
                            const char    *text)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));

  if (text != NULL && *text == '\0')
    text = NULL;
  if (g_strcmp0 (self->search, text) == 0)
    return;

  g_free (self->search);
  self->search = g_strdup (text);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), text != NULL ? text : "") != 0)
    {
      self->setting_search = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
      self->setting_search = FALSE;
    }
  refilter_search (self);
}

static const char *const sort_names[] = {
  [KIOS_LIBRARY_SORT_RECENT] = "recent",
  [KIOS_LIBRARY_SORT_TITLE] = "title",
  [KIOS_LIBRARY_SORT_AUTHOR] = "author",
  [KIOS_LIBRARY_SORT_ADDED] = "added",
  [KIOS_LIBRARY_SORT_PROGRESS] = "progress",
};

static const char *const shelf_names[] = {
  [KIOS_START_SHELF_ALL] = "all",
  [KIOS_START_SHELF_READING] = "reading",
  [KIOS_START_SHELF_FINISHED] = "finished",
};

void
kios_start_view_set_sort (KiosStartView  *self,
                          KiosLibrarySort sort)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail ((guint) sort < G_N_ELEMENTS (sort_names));

  g_action_group_change_action_state (G_ACTION_GROUP (self->actions), "sort", g_variant_new_string (sort_names[sort]));
}

void
kios_start_view_set_shelf (KiosStartView *self,
                           KiosStartShelf shelf)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail ((guint) shelf < G_N_ELEMENTS (shelf_names));

  g_action_group_change_action_state (G_ACTION_GROUP (self->actions), "shelf", g_variant_new_string (shelf_names[shelf]));
}

static void
sort_change_state_cb (GSimpleAction *action,
                      GVariant      *value,
                      gpointer       user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  const char    *name = g_variant_get_string (value, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (sort_names); i++)
    if (g_str_equal (name, sort_names[i]))
      {
        g_simple_action_set_state (action, value);
        self->sort = i;
        kios_start_view_reload (self);
        return;
      }
}

static void
shelf_change_state_cb (GSimpleAction *action,
                       GVariant      *value,
                       gpointer       user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  const char    *name = g_variant_get_string (value, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (shelf_names); i++)
    if (g_str_equal (name, shelf_names[i]))
      {
        g_simple_action_set_state (action, value);
        self->shelf = i;
        gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
        kios_start_view_update_visible_page (self);
        return;
      }
}

/* The sort and shelf actions; the book actions are in the actions file. */
void
kios_start_view_add_view_actions (KiosStartView *self)
{
  const GActionEntry entries[] = {
    { .name = "sort", .parameter_type = "s", .state = "'recent'", .change_state = sort_change_state_cb },
    { .name = "shelf", .parameter_type = "s", .state = "'all'", .change_state = shelf_change_state_cb },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries), self);
}

AdwToast *
kios_start_view_get_last_toast (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return kios_book_menu_get_last_toast (self->menu);
}
