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

static void
update_visible_page (KiosStartView *self)
{
  const char *name;
  gboolean    show_spinner = self->opening && self->opening_timeout_id == 0;
  guint       n_books = g_list_model_get_n_items (G_LIST_MODEL (self->model));

  if (show_spinner)
    name = "opening";
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
  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_stack_set_visible_child_name (self->results_stack, n_books > 0 ? "grid" : "no-results");
}

static void
opening_timeout_cb (gpointer user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);

  self->opening_timeout_id = 0;
  update_visible_page (self);
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

/* Without a library the search is done here, on the few recent books. */
static gboolean
matches_search (const KiosBookRecord *book,
                const char           *folded)
{
  const char *fields[] = { book->title, book->authors, book->series };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *field = fields[i] != NULL ? g_utf8_casefold (fields[i], -1) : NULL;

      if (field != NULL && strstr (field, folded) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
show_books (KiosStartView *self,
            GPtrArray     *books,
            gboolean       searched_here)
{
  g_autoptr (GPtrArray) shown = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
  g_autofree char      *folded = NULL;
  gboolean              searching = self->search != NULL && *self->search != '\0';

  self->loading = FALSE;
  if (!searching)
    self->library_empty = books->len == 0;
  if (searching && searched_here)
    folded = g_utf8_casefold (self->search, -1);

  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);

      if (on_shelf (self->shelf, book) && (folded == NULL || matches_search (book, folded)))
        g_ptr_array_add (shown, g_steal_pointer (&books->pdata[i]));
    }

  kios_library_model_set_books (self->model, shown);
  update_visible_page (self);
}

static void
list_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KiosStartView) self = user_data;
  g_autoptr (GPtrArray)     books = NULL;
  g_autoptr (GError)        error = NULL;

  if (KIOS_IS_LIBRARY (source_object))
    books = kios_library_list_finish (KIOS_LIBRARY (source_object), result, &error);
  else
    books = kios_library_store_list_recent_finish (KIOS_LIBRARY_STORE (source_object), result, &error);
  if (books == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (books == NULL)
    {
      /* The empty state still lets the reader open a book; the store logs details. */
      g_warning ("Could not list the books: %s", error->message);
      books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
    }

  show_books (self, books, !KIOS_IS_LIBRARY (source_object));
}

static void
factory_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data);

static void
card_pressed_cb (GtkGestureClick *gesture,
                 int              n_press,
                 double           x,
                 double           y,
                 gpointer         user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  GtkWidget     *card = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));

  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  kios_start_view_popup_menu (self, KIOS_BOOK_CARD (card), x, y);
}

static void
card_long_pressed_cb (GtkGestureLongPress *gesture,
                      double               x,
                      double               y,
                      gpointer             user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  GtkWidget     *card = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));

  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  kios_start_view_popup_menu (self, KIOS_BOOK_CARD (card), x, y);
}

static void
factory_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  GtkWidget     *card = kios_book_card_new ();
  GtkGesture    *gesture;

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (card_pressed_cb), self, 0);
  gtk_widget_add_controller (card, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (card_long_pressed_cb), self, 0);
  gtk_widget_add_controller (card, GTK_EVENT_CONTROLLER (gesture));

  gtk_list_item_set_child (item, card);
}

static void
factory_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  KiosBookItem *book = gtk_list_item_get_item (item);

  kios_book_card_set_book (KIOS_BOOK_CARD (gtk_list_item_get_child (item)), kios_book_item_get_record (book));
}

static void
factory_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   gpointer                  user_data)
{
  kios_book_card_set_book (KIOS_BOOK_CARD (gtk_list_item_get_child (item)), NULL);
}

static void
grid_activate_cb (KiosStartView *self,
                  guint          position)
{
  const KiosBookRecord *book = kios_library_model_get_book (self->model, position);

  if (book == NULL)
    return;

  if (kios_book_record_get_state (book) == KIOS_BOOK_STATE_MISSING && self->library != NULL)
    kios_start_view_offer_missing (self, book);
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
  g_cancellable_cancel (self->ops_cancellable);
  g_clear_object (&self->ops_cancellable);
  g_clear_pointer (&self->context_menu, gtk_widget_unparent);
  g_clear_signal_handler (&self->changed_id, self->library);
  g_clear_object (&self->library);
  g_clear_object (&self->store);
  g_clear_object (&self->actions);
  g_clear_handle_id (&self->opening_timeout_id, g_source_remove);
  self->last_toast = NULL;

  /* AdwBin unparents its child (the template's overlay) itself. */
  G_OBJECT_CLASS (kios_start_view_parent_class)->dispose (object);
}

static void
kios_start_view_finalize (GObject *object)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  g_clear_object (&self->model);
  g_clear_pointer (&self->search, g_free);

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
  self->cancellable = g_cancellable_new ();
  self->ops_cancellable = g_cancellable_new ();
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
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->model))));
  gtk_grid_view_set_model (self->grid_view, selection);
  g_object_unref (selection);

  kios_start_view_install_actions (self);
  update_visible_page (self);
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
      self->loading = TRUE;
      kios_library_list_async (self->library, self->sort, self->search, self->cancellable,
                               list_cb, g_object_ref (self));
    }
  else if (self->store != NULL)
    {
      self->loading = TRUE;
      kios_library_store_list_recent_async (self->store, RECENT_LIMIT, self->cancellable,
                                            list_cb, g_object_ref (self));
    }
  else
    {
      g_autoptr (GPtrArray) none = g_ptr_array_new ();

      show_books (self, none, TRUE);
    }
}

gboolean
kios_start_view_is_loading (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), FALSE);

  return self->loading;
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
  update_visible_page (self);
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

  return g_list_model_get_n_items (G_LIST_MODEL (self->model));
}

const KiosBookRecord *
kios_start_view_get_book (KiosStartView *self,
                          guint          index)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return kios_library_model_get_book (self->model, index);
}

GListModel *
kios_start_view_get_model (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return G_LIST_MODEL (self->model);
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
  kios_start_view_reload (self);
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
        kios_start_view_reload (self);
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

  return self->last_toast;
}
