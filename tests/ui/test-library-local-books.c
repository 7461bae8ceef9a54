/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-local-books"

#include "config.h"

#include "kios-book-hash.h"
#include "kios-library-sidebar.h"
#include "kios-local-books.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

/*
 * "On This Computer" on a real library file: rows only for what is on
 * screen however many books there are, a row shows its book and activating
 * it (click or Enter) names that book's file, and books the library gains
 * or loses appear or go while the page is shown.
 */

#define N_BOOKS 3000

static KiosBookRecord *
record_new (guint n)
{
  KiosBookRecord *book = g_new0 (KiosBookRecord, 1);

  book->hash = g_strdup_printf ("%032x", n);
  book->title = g_strdup_printf ("Book %05u", n);
  book->authors = g_strdup ("Émile Zola");
  book->format = g_strdup ("epub");
  book->path = g_strdup_printf ("/nonexistent/book-%u.epub", n);
  book->added_at = 1700000000 + n;
  /* Read in order: the most recently read (the last) is listed first. */
  book->last_opened_at = 1700000000 + n;
  return book;
}

static void
add_books (KiosLibraryStore *store,
           guint             n)
{
  g_autoptr (GPtrArray) books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (books, record_new (i));
  kios_library_store_upsert_books (store, books);
  g_assert_true (kios_library_store_flush (store, 10000));
}

static gboolean
listed (gpointer data)
{
  return !kios_local_books_is_loading (data) && kios_local_books_get_n_books (data) > 0;
}

typedef struct
{
  KiosLibraryStore *store;
  KiosLocalBooks   *page;
  GtkWidget        *window;
  GtkWidget        *list;
  char             *activated;
} Fixture;

static void
activated_cb (KiosLocalBooks *page,
              const char     *path,
              Fixture        *f)
{
  g_free (f->activated);
  f->activated = g_strdup (path);
}

static void
fixture_show (Fixture *f)
{
  f->page = g_object_new (KIOS_TYPE_LOCAL_BOOKS, NULL);
  f->window = gtk_window_new ();
  g_signal_connect (f->page, "book-activated", G_CALLBACK (activated_cb), f);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->page));
  gtk_window_present (GTK_WINDOW (f->window));
  f->list = kios_test_find_widget (GTK_WIDGET (f->page), GTK_TYPE_LIST_VIEW, NULL);
  g_assert_nonnull (f->list);
}

static void
fixture_free (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->store);
  g_free (f->activated);
}

/* Shows the page on the fixture's store and library, listed and painted. */
static void
show_listed (Fixture     *f,
             KiosLibrary *library)
{
  fixture_show (f);
  kios_local_books_set_store (f->page, f->store);
  kios_local_books_set_library (f->page, library);
  g_assert_true (kios_test_wait_until (listed, f->page, 10000));
  kios_test_wait_for_paint (f->list);
}

/* The rows the list holds (its row widgets with a bound book), and the row
 * showing title, or NULL. */
static guint
count_rows (Fixture    *f,
            const char *title,
            GtkWidget **found)
{
  guint n = 0;

  if (found != NULL)
    *found = NULL;
  for (GtkWidget *cell = gtk_widget_get_first_child (f->list); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget *row = gtk_widget_get_first_child (cell);
      GtkLabel  *label = row != NULL ? g_object_get_data (G_OBJECT (row), "title") : NULL;

      if (label == NULL || !gtk_widget_get_visible (cell))
        continue;
      n++;
      if (found != NULL && title != NULL && g_strcmp0 (gtk_label_get_label (label), title) == 0)
        *found = cell;
    }
  return n;
}

static const char *
row_text (GtkWidget  *cell,
          const char *part)
{
  return gtk_label_get_label (g_object_get_data (G_OBJECT (gtk_widget_get_first_child (cell)), part));
}

static void
scroll_to_end (Fixture *f)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (f->list));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  for (guint i = 0; i < 5; i++)
    kios_test_wait_for_paint (f->list);
}

/* 3,000 books: a few hundred rows at most, at the top and at the end, each
 * showing its book and labelled for screen readers. */
static void
test_local_books_bounded (void)
{
  Fixture     f = { .store = kios_test_new_store () };
  GtkWidget  *cell;
  guint       rows;
  const char *description = "Émile Zola, EPUB, 0%";

  add_books (f.store, N_BOOKS);
  fixture_show (&f);
  kios_local_books_set_store (f.page, f.store);
  g_assert_true (kios_test_wait_until (listed, f.page, 20000));
  g_assert_cmpuint (kios_local_books_get_n_books (f.page), ==, N_BOOKS);
  kios_test_wait_for_paint (f.list);

  rows = count_rows (&f, "Book 02999", &cell);
  g_assert_cmpuint (rows, >, 5);
  g_assert_true (gtk_widget_has_css_class (cell, "first"));
  g_assert_false (gtk_widget_has_css_class (cell, "last"));
  g_assert_cmpuint (rows, <=, 250);
  g_assert_nonnull (cell);
  g_assert_cmpstr (row_text (cell, "subtitle"), ==, "Émile Zola");
  g_assert_cmpstr (row_text (cell, "format"), ==, "EPUB");
  g_assert_cmpstr (row_text (cell, "percent"), ==, "0%");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (gtk_widget_get_first_child (cell)), ==,
                   "/nonexistent/book-2999.epub");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (gtk_widget_get_first_child (cell)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Book 02999");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (gtk_widget_get_first_child (cell)),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description);
  /* The row widget that takes the focus too. */
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, "Book 02999");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description);

  scroll_to_end (&f);
  rows = count_rows (&f, "Book 00000", &cell);
  g_assert_cmpuint (rows, <=, 250);
  g_assert_nonnull (cell);
  /* The card ends with the last book: its row alone is rounded below. */
  g_assert_true (gtk_widget_has_css_class (cell, "last"));
  g_assert_false (gtk_widget_has_css_class (cell, "first"));
  /* Its margin below came with the class: to the end again for the picture. */
  scroll_to_end (&f);
  g_free (kios_test_save_screenshot (f.window, "local-books-end"));

  fixture_free (&f);
}

/* Activating a row (a click, or Enter on the focused row) names the file of
 * the book it shows. */
static void
test_local_books_activate (void)
{
  Fixture    f = { .store = kios_test_new_store () };
  GtkWidget *cell;

  add_books (f.store, 200);
  fixture_show (&f);
  kios_local_books_set_store (f.page, f.store);
  g_assert_true (kios_test_wait_until (listed, f.page, 10000));
  kios_test_wait_for_paint (f.list);

  /* Position 3 is the fourth most recently read: book 196. */
  g_assert_true (gtk_widget_activate_action (f.list, "list.activate-item", "u", 3));
  g_assert_cmpstr (f.activated, ==, "/nonexistent/book-196.epub");

  count_rows (&f, "Book 00190", &cell);
  g_assert_nonnull (cell);
  g_assert_true (gtk_widget_grab_focus (cell));
  g_assert_true (gtk_widget_activate (cell));
  g_assert_cmpstr (f.activated, ==, "/nonexistent/book-190.epub");

  fixture_free (&f);
}

static gboolean
has_n_books (gpointer data)
{
  Fixture *f = data;

  return !kios_local_books_is_loading (f->page) &&
         kios_local_books_get_n_books (f->page) == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->page), "want"));
}

static gboolean
wait_n_books (Fixture *f,
              guint    n)
{
  g_object_set_data (G_OBJECT (f->page), "want", GUINT_TO_POINTER (n));
  return kios_test_wait_until (has_n_books, f, 10000);
}

/* Shown with the library: a book imported from a books folder appears, a
 * removed one goes. */
static void
test_local_books_changes (void)
{
  Fixture                 f = { .store = kios_test_new_store () };
  g_autoptr (KiosLibrary) library = kios_library_new (f.store);
  g_autoptr (GError)      error = NULL;
  g_autofree char        *folder = g_build_filename (g_get_user_data_dir (), "books", NULL);
  g_autofree char        *sample = kios_test_sample_book ("persuasion.epub");
  g_autofree char        *copy = g_build_filename (folder, "persuasion.epub", NULL);
  g_autofree char        *contents = NULL;
  gsize                   length;
  GtkWidget              *cell;
  GtkWidget              *added;
  KiosLibraryRemoval     *removal;
  guint                   n_added = 0;

  add_books (f.store, 50);
  fixture_show (&f);
  kios_local_books_set_store (f.page, f.store);
  kios_local_books_set_library (f.page, library);
  g_assert_true (kios_test_wait_until (listed, f.page, 10000));
  g_assert_cmpuint (kios_local_books_get_n_books (f.page), ==, 50);
  kios_test_wait_for_paint (f.list);
  count_rows (&f, "Book 00049", &cell);
  g_assert_nonnull (cell);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_get_contents (sample, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, length, NULL));
  g_assert_true (kios_library_add_folder (library, folder, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_rescan (library, &n_added, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_added, ==, 1);
  g_assert_true (kios_library_store_flush (f.store, 10000));

  /* No reload asked for: the library's "changed" does it. */
  g_assert_true (wait_n_books (&f, 51));
  kios_test_wait_for_paint (f.list);
  added = NULL;
  for (cell = gtk_widget_get_first_child (f.list); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    if (gtk_widget_get_first_child (cell) != NULL &&
        g_strcmp0 (gtk_widget_get_tooltip_text (gtk_widget_get_first_child (cell)), copy) == 0)
      added = cell;
  g_assert_nonnull (added);
  g_assert_cmpstr (row_text (added, "title"), ==, "Persuasion");
  count_rows (&f, "Book 00049", &cell);
  g_assert_nonnull (cell);

  /* The book removed (49, hash 0x31) goes from the list. */
  removal = kios_library_remove (library, "00000000000000000000000000000031", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (removal);
  g_assert_true (wait_n_books (&f, 50));
  kios_test_wait_for_paint (f.list);
  count_rows (&f, "Book 00049", &cell);
  g_assert_null (cell);
  count_rows (&f, "Book 00048", &cell);
  g_assert_nonnull (cell);

  kios_library_removal_free (removal);
  fixture_free (&f);
}

/* Hidden, a change is listed when the page is next shown, not before. */
static void
test_local_books_hidden_change (void)
{
  Fixture                 f = { .store = kios_test_new_store () };
  g_autoptr (KiosLibrary) library = kios_library_new (f.store);
  g_autoptr (GError)      error = NULL;
  KiosLibraryRemoval     *removal;

  add_books (f.store, 20);
  fixture_show (&f);
  kios_local_books_set_store (f.page, f.store);
  kios_local_books_set_library (f.page, library);
  g_assert_true (kios_test_wait_until (listed, f.page, 10000));
  gtk_widget_set_visible (GTK_WIDGET (f.page), FALSE);

  removal = kios_library_remove (library, "00000000000000000000000000000003", FALSE, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 50; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_false (kios_local_books_is_loading (f.page));
  g_assert_cmpuint (kios_local_books_get_n_books (f.page), ==, 20);

  gtk_widget_set_visible (GTK_WIDGET (f.page), TRUE);
  g_assert_true (wait_n_books (&f, 19));

  kios_library_removal_free (removal);
  fixture_free (&f);
}

/* The row's right-click gesture, as a click would run it. */
static void
right_click (GtkWidget *row)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (row);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller) &&
          gtk_gesture_single_get_button (GTK_GESTURE_SINGLE (controller)) == GDK_BUTTON_SECONDARY)
        {
          g_signal_emit_by_name (controller, "pressed", 1, 40.0, 20.0);
          return;
        }
    }
  g_assert_not_reached ();
}

/* The open book menu parented to row, or NULL. */
static GtkPopover *
row_menu (GtkWidget *row)
{
  for (GtkWidget *child = gtk_widget_get_first_child (row); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER_MENU (child) && gtk_widget_get_visible (child))
      return GTK_POPOVER (child);
  return NULL;
}

/* The target of the menu's item for action ("library.remove"…), or NULL
 * when the menu has no such item. */
static GVariant *
menu_target (GtkPopover *popover,
             const char *action)
{
  GMenuModel *menu = gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (popover));

  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      for (int j = 0; section != NULL && j < g_menu_model_get_n_items (section); j++)
        {
          g_autofree char *name = NULL;

          if (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
              g_str_equal (name, action))
            return g_menu_model_get_item_attribute_value (section, j, G_MENU_ATTRIBUTE_TARGET, NULL);
        }
    }
  return NULL;
}

/* What choosing the item for action does: the action, from the menu. */
static void
choose (GtkPopover *popover,
        const char *action)
{
  g_autoptr (GVariant) target = menu_target (popover, action);

  g_assert_nonnull (target);
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (popover), action, target));
  gtk_popover_popdown (popover);
}

/* The whole screen (the window and its menus) as PNG, when screenshots
 * are asked for: a menu is a surface of its own, outside the window's
 * widget snapshot. */
static void
save_screen (const char *name)
{
  const char        *dir = g_getenv ("KIOS_SCREENSHOT_DIR");
  g_autofree char   *file_name = g_strconcat (name, ".png", NULL);
  g_autofree char   *path = NULL;
  g_autoptr (GError) error = NULL;
  int                status = 0;
  const char        *argv[] = { "import", "-window", "root", "-crop", "800x600+0+0", NULL, NULL };

  if (dir == NULL || g_find_program_in_path ("import") == NULL)
    return;
  path = g_build_filename (dir, file_name, NULL);
  argv[5] = path;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                               &error));
  g_assert_no_error (error);
  g_test_message ("Screen saved to %s", path);
}

static AdwToast *
last_toast (gpointer data)
{
  return kios_local_books_get_last_toast (data);
}

/* Removes a book by the menu or by Delete: gone, a toast with Undo, which
 * brings it back. */
static void
check_removed_and_undo (Fixture    *f,
                        const char *title)
{
  GtkWidget *cell;
  AdwToast  *toast;

  g_assert_true (wait_n_books (f, 19));
  kios_test_wait_for_paint (f->list);
  count_rows (f, title, &cell);
  g_assert_null (cell);
  toast = kios_local_books_get_last_toast (f->page);
  g_assert_nonnull (toast);
  g_assert_nonnull (strstr (adw_toast_get_title (toast), title));
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");

  g_signal_emit_by_name (toast, "button-clicked");
  g_assert_true (wait_n_books (f, 20));
  kios_test_wait_for_paint (f->list);
  count_rows (f, title, &cell);
  g_assert_nonnull (cell);
  adw_toast_dismiss (toast);
}

/* The book menu on a row: right-click, Shift+F10 or Menu opens it; its
 * Remove from Library and the Delete key remove the book, Undo brings it
 * back. */
static void
test_local_books_menu_remove_undo (void)
{
  Fixture                 f = { .store = kios_test_new_store () };
  g_autoptr (KiosLibrary) library = kios_library_new (f.store);
  g_autoptr (GVariant)    target = NULL;
  GtkWidget              *cell;
  GtkWidget              *row;
  GtkPopover             *menu;

  add_books (f.store, 20);
  show_listed (&f, library);

  /* Right-click: the menu of that book, for a book that is there. */
  count_rows (&f, "Book 00019", &cell);
  g_assert_nonnull (cell);
  row = gtk_widget_get_first_child (cell);
  right_click (row);
  menu = row_menu (row);
  g_assert_nonnull (menu);
  target = menu_target (menu, "library.remove");
  g_assert_nonnull (target);
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, "00000000000000000000000000000013");
  g_assert_null (menu_target (menu, "library.locate"));
  g_assert_null (menu_target (menu, "library.delete-file")); /* not downloaded */
  g_clear_pointer (&target, g_variant_unref);
  target = menu_target (menu, "library.mark-finished");
  g_assert_nonnull (target);
  kios_test_wait_for_paint (GTK_WIDGET (menu));
  save_screen ("local-books-menu");
  choose (menu, "library.remove");
  check_removed_and_undo (&f, "Book 00019");

  /* Delete on the focused row. */
  count_rows (&f, "Book 00018", &cell);
  g_assert_nonnull (cell);
  g_assert_true (gtk_widget_grab_focus (cell));
  /* The last toast was dismissed: any toast now is the Delete key's. */
  g_assert_null (kios_local_books_get_last_toast (f.page));
  g_assert_true (kios_test_press_key (f.list, GDK_KEY_Delete, 0));
  check_removed_and_undo (&f, "Book 00018");

  /* Shift+F10 and Menu open the focused row's menu. */
  count_rows (&f, "Book 00017", &cell);
  g_assert_true (gtk_widget_grab_focus (cell));
  g_assert_true (kios_test_press_key (f.list, GDK_KEY_F10, GDK_SHIFT_MASK));
  menu = row_menu (gtk_widget_get_first_child (cell));
  g_assert_nonnull (menu);
  gtk_popover_popdown (menu);
  g_assert_true (kios_test_press_key (f.list, GDK_KEY_Menu, 0));
  g_assert_nonnull (row_menu (gtk_widget_get_first_child (cell)));

  /* Without a library there is no menu, and Delete does nothing. */
  kios_local_books_set_library (f.page, NULL);
  count_rows (&f, "Book 00016", &cell);
  g_assert_true (gtk_widget_grab_focus (cell));
  g_assert_false (kios_test_press_key (f.list, GDK_KEY_Delete, 0));
  right_click (gtk_widget_get_first_child (cell));
  g_assert_null (row_menu (gtk_widget_get_first_child (cell)));
  g_assert_cmpuint (kios_local_books_get_n_books (f.page), ==, 20);

  fixture_free (&f);
}

/* A book whose file is gone: dimmed, "File missing", its menu offers
 * Locate… and Remove, and activating it asks the same instead of opening
 * nothing. */
static void
test_local_books_missing (void)
{
  Fixture                 f = { .store = kios_test_new_store () };
  g_autoptr (KiosLibrary) library = kios_library_new (f.store);
  const char             *titles[] = { "Persuasion", "Emma", "Northanger Abbey", "Sense and Sensibility" };
  g_autofree char        *shot = NULL;
  GtkWidget              *cell;
  GtkWidget              *row;
  GtkPopover             *menu;
  AdwMessageDialog       *dialog;

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr (KiosBookRecord) book = record_new (i);

      g_free (book->title);
      book->title = g_strdup (titles[i]);
      g_free (book->authors);
      book->authors = g_strdup ("Jane Austen");
      book->progress = 0.25 * i;
      kios_library_store_upsert_book (f.store, book);
    }
  /* Northanger Abbey's file went away. */
  kios_library_store_set_book_missing (f.store, "00000000000000000000000000000002", TRUE);
  g_assert_true (kios_library_store_flush (f.store, 10000));
  show_listed (&f, library);

  count_rows (&f, "Northanger Abbey", &cell);
  g_assert_nonnull (cell);
  row = gtk_widget_get_first_child (cell);
  g_assert_cmpstr (row_text (cell, "subtitle"), ==, "File missing");
  g_assert_true (gtk_widget_has_css_class (row, "book-missing"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Jane Austen, file missing");
  count_rows (&f, "Emma", &cell);
  g_assert_cmpstr (row_text (cell, "subtitle"), ==, "Jane Austen");
  g_assert_false (gtk_widget_has_css_class (gtk_widget_get_first_child (cell), "book-missing"));
  shot = kios_test_save_screenshot (f.window, "local-books-missing");
  save_screen ("local-books-missing-screen");

  /* Its menu: Locate… and Remove, nothing about reading it. */
  right_click (row);
  menu = row_menu (row);
  g_assert_nonnull (menu);
  g_assert_nonnull (menu_target (menu, "library.locate"));
  g_assert_nonnull (menu_target (menu, "library.remove"));
  g_assert_null (menu_target (menu, "library.mark-finished"));
  kios_test_wait_for_paint (GTK_WIDGET (menu));
  save_screen ("local-books-missing-menu");
  gtk_popover_popdown (menu);

  /* Activated: not opened, but asked about. */
  count_rows (&f, "Northanger Abbey", &cell);
  g_assert_true (gtk_widget_activate (cell));
  g_assert_null (f.activated);
  dialog = ADW_MESSAGE_DIALOG (kios_test_find_message_dialog ());
  g_assert_nonnull (dialog);
  g_assert_true (adw_message_dialog_has_response (dialog, "locate"));
  g_assert_true (adw_message_dialog_has_response (dialog, "remove"));
  adw_message_dialog_response (dialog, "remove");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (wait_n_books (&f, 3));
  g_assert_true (kios_test_wait_until ((KiosTestCondition) last_toast, f.page, 10000));
  count_rows (&f, "Northanger Abbey", &cell);
  g_assert_null (cell);

  fixture_free (&f);
}

static gboolean
reading (gpointer data)
{
  KiosDocument *document = kios_reader_view_get_document (kios_window_get_reader_view (data));

  return g_strcmp0 (kios_window_get_visible_page (data), "reader") == 0 && document != NULL;
}

static gboolean
local_idle (gpointer data)
{
  return !kios_local_books_is_loading (data) && kios_local_books_get_n_books (data) > 0;
}

/* In the window: the row of a book opens that book in the reader. */
static void
test_local_books_window_opens (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  const char                  *names[] = { "persuasion.epub", "emma.epub" };
  g_autofree char             *persuasion = NULL;
  KiosWindow                  *window;
  KiosLocalBooks              *page;
  GtkWidget                   *list;
  GtkWidget                   *cell = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char   *path = kios_test_sample_book (names[i]);
      g_autoptr (GError) error = NULL;
      KiosBookRecord     book = { 0 };

      book.hash = kios_book_hash_file (path, &error);
      g_assert_no_error (error);
      book.path = path;
      book.format = (char *) "epub";
      book.title = (char *) (i == 0 ? "Persuasion" : "Emma");
      book.authors = (char *) "Jane Austen";
      book.last_opened_at = 1700000000 + i;
      kios_library_store_upsert_book (store, &book);
      g_free (book.hash);
      if (i == 0)
        persuasion = g_steal_pointer (&path);
    }
  g_assert_true (kios_library_store_flush (store, 10000));

  window = kios_window_new (NULL);
  kios_window_set_store (window, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_library_sidebar_select (
      KIOS_LIBRARY_SIDEBAR (kios_test_find_widget (GTK_WIDGET (window), KIOS_TYPE_LIBRARY_SIDEBAR, NULL)), "local"));
  page = KIOS_LOCAL_BOOKS (kios_test_find_widget (GTK_WIDGET (window), KIOS_TYPE_LOCAL_BOOKS, NULL));
  g_assert_true (kios_test_wait_until (local_idle, page, 10000));
  g_assert_cmpuint (kios_local_books_get_n_books (page), ==, 2);
  list = kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_LIST_VIEW, NULL);
  kios_test_wait_for_paint (list);
  g_free (kios_test_save_screenshot (GTK_WIDGET (window), "local-books-window"));

  /* Emma, read last, is the first row; Persuasion, the second, is opened. */
  for (GtkWidget *c = gtk_widget_get_first_child (list); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (gtk_widget_get_first_child (c) != NULL &&
        g_strcmp0 (gtk_widget_get_tooltip_text (gtk_widget_get_first_child (c)), persuasion) == 0)
      cell = c;
  g_assert_nonnull (cell);
  g_assert_true (gtk_widget_activate (cell));
  g_assert_true (kios_test_wait_until (reading, window, 20000));
  g_assert_cmpstr (kios_document_get_path (kios_reader_view_get_document (kios_window_get_reader_view (window))), ==,
                   persuasion);

  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 60; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  kios_library_store_flush (store, 5000);
}

int
main (int   argc,
      char *argv[])
{
  /* The accessible labels are checked: the test AT context, not none. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/local-books/bounded", test_local_books_bounded);
  g_test_add_func ("/local-books/activate", test_local_books_activate);
  g_test_add_func ("/local-books/changes", test_local_books_changes);
  g_test_add_func ("/local-books/hidden-change", test_local_books_hidden_change);
  g_test_add_func ("/local-books/window-opens", test_local_books_window_opens);
  g_test_add_func ("/local-books/menu-remove-undo", test_local_books_menu_remove_undo);
  g_test_add_func ("/local-books/missing", test_local_books_missing);

  return g_test_run ();
}
