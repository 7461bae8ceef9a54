/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-local-books"

#include "config.h"

#include "kios-local-books.h"

#include "kios-book-menu.h"
#include "kios-library-model.h"

#include <glib/gi18n.h>

/*
 * A GtkListView over a KiosLibraryModel: rows exist for the books on screen
 * (and a few past it) however many the library holds, and a list read again
 * replaces only the books that changed, so the rows of the others stay.
 *
 * The list looks like a boxed list: the rows are the card and the list
 * itself is transparent, so the card ends with the last book however short
 * the list is. Only the first and last books' rows are rounded: each row
 * knows where it is from its list item's position (rows are reused, and
 * keep their item while books are inserted before them).
 */

struct _KiosLocalBooks
{
  AdwBin parent_instance;

  KiosLibraryStore *store;
  KiosLibrary      *library; /* nullable: its "changed" lists again */
  gulong            changed_id;
  GCancellable     *cancellable;
  KiosLibraryModel *model;
  KiosBookMenu     *menu;

  AdwToastOverlay *toasts;
  GtkStack        *stack;
  GtkListView     *list;
  gboolean         stale; /* the store changed while hidden: list when shown */
  gboolean         busy;  /* a book's operation is under way */
};

G_DEFINE_FINAL_TYPE (KiosLocalBooks, kios_local_books, ADW_TYPE_BIN)

enum {
  SIGNAL_BOOK_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GtkWidget *
row_label_new (GtkWidget  *row,
               const char *part)
{
  GtkWidget *label = gtk_label_new (NULL);

  g_object_set_data (G_OBJECT (row), part, label);
  return label;
}

/* The book a row shows (its list item's), or NULL. */
static const KiosBookRecord *
row_book (GtkWidget *row)
{
  GtkListItem *item = g_object_get_data (G_OBJECT (row), "list-item");
  gpointer     book = item != NULL ? gtk_list_item_get_item (item) : NULL;

  return book != NULL ? kios_book_item_get_record (book) : NULL;
}

/* The row of the first book gets the card's top corners, that of the last
 * its bottom ones. */
static void
update_edges (GtkListItem *item,
              GParamSpec  *pspec,
              GListModel  *model)
{
  GtkWidget *row = gtk_list_item_get_child (item);
  GtkWidget *cell = row != NULL ? gtk_widget_get_parent (row) : NULL;
  guint      position = gtk_list_item_get_position (item);
  gboolean   bound = gtk_list_item_get_item (item) != NULL;

  if (cell == NULL)
    return;
  if (bound && position == 0)
    gtk_widget_add_css_class (cell, "first");
  else
    gtk_widget_remove_css_class (cell, "first");
  if (bound && position + 1 == g_list_model_get_n_items (model))
    gtk_widget_add_css_class (cell, "last");
  else
    gtk_widget_remove_css_class (cell, "last");
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          KiosLocalBooks           *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = row_label_new (row, "title");
  GtkWidget *subtitle = row_label_new (row, "subtitle");
  GtkWidget *format = row_label_new (row, "format");
  GtkWidget *percent = row_label_new (row, "percent");
  GtkWidget *icon = gtk_image_new_from_icon_name ("x-office-document-symbolic");

  /* The labels say it all to a screen reader: the row's label and
   * description are set when it is bound. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_box_append (GTK_BOX (texts), title);
  gtk_box_append (GTK_BOX (texts), subtitle);
  gtk_widget_add_css_class (format, "caption");
  gtk_widget_add_css_class (format, "dim-label");
  gtk_widget_set_margin_end (format, 6);
  gtk_widget_add_css_class (percent, "dim-label");
  gtk_widget_add_css_class (percent, "numeric");
  /* "100%" wide and to the end: the formats stay in one column. */
  gtk_label_set_width_chars (GTK_LABEL (percent), 4);
  gtk_label_set_xalign (GTK_LABEL (percent), 1.0);
  gtk_box_append (GTK_BOX (row), icon);
  gtk_box_append (GTK_BOX (row), texts);
  gtk_box_append (GTK_BOX (row), format);
  gtk_box_append (GTK_BOX (row), percent);
  gtk_list_item_set_child (item, row);

  g_object_set_data (G_OBJECT (row), "list-item", item);
  kios_book_menu_add_gestures (self->menu, row);
  g_signal_connect_object (item, "notify::position", G_CALLBACK (update_edges), self->model, 0);
}

static void
set_row_label (GtkWidget  *row,
               const char *part,
               const char *text)
{
  gtk_label_set_label (GTK_LABEL (g_object_get_data (G_OBJECT (row), part)), text);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         KiosLocalBooks           *self)
{
  const KiosBookRecord *book = kios_book_item_get_record (gtk_list_item_get_item (item));
  GtkWidget            *row = gtk_list_item_get_child (item);
  g_autofree char      *format = g_ascii_strup (book->format != NULL ? book->format : "", -1);
  g_autofree char      *percent = NULL;
  g_autofree char      *description = NULL;
  const char           *title = book->title != NULL && *book->title != '\0' ? book->title : _ ("Untitled");
  const char           *authors = book->authors != NULL && *book->authors != '\0' ? book->authors : _ ("Unknown author");
  gboolean              missing = kios_book_record_get_state (book) == KIOS_BOOK_STATE_MISSING;

  /* Translators: how much of a book has been read, e.g. "42%". */
  percent = g_strdup_printf (_ ("%d%%"), (int) (CLAMP (book->progress, 0.0, 1.0) * 100.0 + 0.5));
  set_row_label (row, "title", title);
  /* Translators: in place of a book's authors, when its file is gone. */
  set_row_label (row, "subtitle", missing ? _ ("File missing") : authors);
  set_row_label (row, "format", format);
  set_row_label (row, "percent", percent);
  if (missing)
    gtk_widget_add_css_class (row, "book-missing");
  else
    gtk_widget_remove_css_class (row, "book-missing");
  gtk_widget_set_tooltip_text (row, book->path);
  if (missing)
    /* Translators: a book whose file is gone, for screen readers: its
     * authors, then that it is missing, e.g. "Jane Austen, file missing". */
    description = g_strdup_printf (_ ("%s, file missing"), authors);
  else if (*format != '\0')
    /* Translators: a book in a list, for screen readers: its authors, its
     * format and how much has been read, e.g. "Jane Austen, EPUB, 42%". */
    description = g_strdup_printf (_ ("%s, %s, %s"), authors, format, percent);
  else
    description = g_strdup_printf (_ ("%s, %s"), authors, percent);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  /* The list's own row widget takes the focus: it says the same. */
  if (gtk_widget_get_parent (row) != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_parent (row)), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    title, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  update_edges (item, NULL, G_LIST_MODEL (self->model));
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           KiosLocalBooks           *self)
{
  update_edges (item, NULL, G_LIST_MODEL (self->model));
}

/* Books came or went: the rows at the ends may no longer be. Only the rows
 * that exist (a screenful) are looked at. */
static void
model_changed_cb (KiosLocalBooks *self)
{
  for (GtkWidget *cell = gtk_widget_get_first_child (GTK_WIDGET (self->list)); cell != NULL;
       cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget   *row = gtk_widget_get_first_child (cell);
      GtkListItem *item = row != NULL ? g_object_get_data (G_OBJECT (row), "list-item") : NULL;

      if (item != NULL)
        update_edges (item, NULL, G_LIST_MODEL (self->model));
    }
}

static void
activate_cb (KiosLocalBooks *self,
             guint           position)
{
  const KiosBookRecord *book = kios_library_model_get_book (self->model, position);

  if (book == NULL)
    return;
  if (kios_book_record_get_state (book) == KIOS_BOOK_STATE_MISSING && self->library != NULL)
    kios_book_menu_offer_missing (self->menu, book);
  else if (book->path != NULL)
    g_signal_emit (self, signals[SIGNAL_BOOK_ACTIVATED], 0, book->path);
}

/* Reading 10,000 books and folding their keys is tens of milliseconds:
 * both happen here, off the main thread. */
static void
list_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError               *error = NULL;
  g_autoptr (GPtrArray) books = NULL;

  /* 0: every book, most recently read first. */
  books = kios_library_store_list_recent (KIOS_LIBRARY_STORE (task_data), 0, &error);
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
  KiosLocalBooks       *self = KIOS_LOCAL_BOOKS (source_object);
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) items = NULL;

  items = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  if (items == NULL)
    {
      g_warning ("Could not read the library: %s", error->message);
      return;
    }

  /* Unchanged books keep their items, and their rows. */
  kios_library_model_set_items (self->model, items);
  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0 ? "books" : "empty");
}

static void
library_changed_cb (KiosLocalBooks *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    kios_local_books_reload (self);
  else
    self->stale = TRUE;
}

static void
menu_busy_cb (KiosLocalBooks *self)
{
  self->busy = TRUE;
}

static void
menu_changed_cb (KiosLocalBooks *self)
{
  self->busy = FALSE;
  kios_local_books_reload (self);
}

static void
kios_local_books_dispose (GObject *object)
{
  KiosLocalBooks *self = KIOS_LOCAL_BOOKS (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->menu != NULL)
    kios_book_menu_shutdown (self->menu);
  g_clear_object (&self->menu);
  g_clear_signal_handler (&self->changed_id, self->library);
  g_clear_object (&self->library);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kios_local_books_parent_class)->dispose (object);
}

static void
kios_local_books_finalize (GObject *object)
{
  KiosLocalBooks *self = KIOS_LOCAL_BOOKS (object);

  g_clear_object (&self->model);

  G_OBJECT_CLASS (kios_local_books_parent_class)->finalize (object);
}

/* Listed when first shown, not when the window gets its store: a launch
 * onto a large library must not read every book for a page nobody looks
 * at. */
static void
kios_local_books_map (GtkWidget *widget)
{
  KiosLocalBooks *self = KIOS_LOCAL_BOOKS (widget);

  GTK_WIDGET_CLASS (kios_local_books_parent_class)->map (widget);
  if (self->stale)
    kios_local_books_reload (self);
}

static void
kios_local_books_class_init (KiosLocalBooksClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kios_local_books_dispose;
  G_OBJECT_CLASS (klass)->finalize = kios_local_books_finalize;
  GTK_WIDGET_CLASS (klass)->map = kios_local_books_map;

  /**
   * KiosLocalBooks::book-activated:
   * @path: the book's file
   *
   * A row whose file is there was activated.
   */
  signals[SIGNAL_BOOK_ACTIVATED] = g_signal_new ("book-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
kios_local_books_init (KiosLocalBooks *self)
{
  GtkWidget          *scrolled = gtk_scrolled_window_new ();
  GtkWidget          *clamp = adw_clamp_scrollable_new ();
  GtkWidget          *title_clamp = adw_clamp_new ();
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget          *title = gtk_label_new (_ ("On This Computer"));
  GtkWidget          *empty = adw_status_page_new ();
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  self->model = kios_library_model_new ();
  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  self->menu = kios_book_menu_new (GTK_WIDGET (self), self->model, self->toasts, row_book);
  g_signal_connect_object (self->menu, "busy", G_CALLBACK (menu_busy_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->menu, "changed", G_CALLBACK (menu_changed_cb), self, G_CONNECT_SWAPPED);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "computer-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _ ("No Books on This Computer"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _ ("Open a book, or download one from a library source"));
  gtk_stack_add_named (self->stack, empty, "empty");
  /* Blank while the first read runs: "no books" only once it is true. */
  gtk_stack_add_named (self->stack, adw_bin_new (), "loading");

  /* The heading stays; the list scrolls below it. */
  gtk_widget_set_margin_top (title, 30);
  /* In line with the card's edge. */
  gtk_widget_set_margin_start (title, 12);
  gtk_widget_set_margin_end (title, 12);
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_widget_add_css_class (title, "title-2");
  adw_clamp_set_maximum_size (ADW_CLAMP (title_clamp), 800);
  adw_clamp_set_child (ADW_CLAMP (title_clamp), title);
  gtk_box_append (GTK_BOX (box), title_clamp);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), self);
  self->list = GTK_LIST_VIEW (gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (
                                                     G_LIST_MODEL (g_object_ref (self->model)))),
                                                 factory));
  gtk_list_view_set_single_click_activate (self->list, TRUE);
  gtk_list_view_set_show_separators (self->list, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "rich-list");
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "local-books");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Books on this computer"), -1);
  g_signal_connect_swapped (self->list, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (model_changed_cb), self, G_CONNECT_SWAPPED);
  kios_book_menu_add_keys (self->menu, GTK_WIDGET (self->list));
  adw_clamp_scrollable_set_maximum_size (ADW_CLAMP_SCROLLABLE (clamp), 800);
  adw_clamp_scrollable_set_child (ADW_CLAMP_SCROLLABLE (clamp), GTK_WIDGET (self->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_stack_add_named (self->stack, box, "books");
  gtk_stack_set_visible_child_name (self->stack, "loading");

  adw_toast_overlay_set_child (self->toasts, GTK_WIDGET (self->stack));
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->toasts));
}

void
kios_local_books_set_store (KiosLocalBooks   *self,
                            KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_LOCAL_BOOKS (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (!g_set_object (&self->store, store))
    return;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    kios_local_books_reload (self);
  else
    self->stale = TRUE;
}

void
kios_local_books_set_library (KiosLocalBooks *self,
                              KiosLibrary    *library)
{
  g_return_if_fail (KIOS_IS_LOCAL_BOOKS (self));
  g_return_if_fail (library == NULL || KIOS_IS_LIBRARY (library));

  if (library == self->library)
    return;
  g_clear_signal_handler (&self->changed_id, self->library);
  g_set_object (&self->library, library);
  kios_book_menu_set_library (self->menu, library);
  if (library != NULL)
    self->changed_id = g_signal_connect_object (library, "changed", G_CALLBACK (library_changed_cb), self,
                                                G_CONNECT_SWAPPED);
}

void
kios_local_books_reload (KiosLocalBooks *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LOCAL_BOOKS (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->stale = FALSE;
  if (self->store == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, list_cb, NULL);
  g_task_set_source_tag (task, kios_local_books_reload);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, list_worker);
}

gboolean
kios_local_books_is_loading (KiosLocalBooks *self)
{
  g_return_val_if_fail (KIOS_IS_LOCAL_BOOKS (self), FALSE);

  return self->cancellable != NULL || self->busy;
}

guint
kios_local_books_get_n_books (KiosLocalBooks *self)
{
  g_return_val_if_fail (KIOS_IS_LOCAL_BOOKS (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->model));
}

AdwToast *
kios_local_books_get_last_toast (KiosLocalBooks *self)
{
  g_return_val_if_fail (KIOS_IS_LOCAL_BOOKS (self), NULL);

  return kios_book_menu_get_last_toast (self->menu);
}
