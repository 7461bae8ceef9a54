/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <string.h>

#include "kios-application.h"
#include "kios-error.h"
#include "kios-library-store.h"
#include "kios-preferences-window.h"
#include "kios-reader-view.h"
#include "kios-source-manager.h"
#include "kios-start-view.h"
#include "kios-sync-service.h"
#include "kios-sync-status-button.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

#include <glib/gi18n.h>

static gboolean
start_view_loaded (gpointer data)
{
  KiosStartView *view = kios_window_get_start_view (KIOS_WINDOW (data));

  return !kios_start_view_is_loading (view);
}

static KiosWindow *
show_window (KiosLibraryStore *store)
{
  KiosWindow *window = kios_window_new (NULL);

  kios_window_set_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  g_assert_true (kios_test_wait_until (start_view_loaded, window, 10000));
  return window;
}

static void
test_window_empty_library (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *shot = NULL;
  KiosWindow                  *window = show_window (store);

  g_assert_cmpstr (kios_window_get_visible_page (window), ==, "library");
  g_assert_cmpstr (kios_start_view_get_visible_page (kios_window_get_start_view (window)), ==, "empty");
  g_assert_false (kios_window_is_reading (window));
  /* Nothing to go back to or to show contents of. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-library"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "toggle-contents"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open"));
  /* The sync slot exists and stays hidden until the sync code uses it. */
  g_assert_false (gtk_revealer_get_reveal_child (kios_window_get_sync_banner (window)));

  shot = kios_test_save_screenshot (GTK_WIDGET (window), "window-empty-library");
  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWindow *
find_toplevel (GType type)
{
  GList     *toplevels = gtk_window_list_toplevels ();
  GtkWindow *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
        found = l->data;
    }
  g_list_free (toplevels);

  return found;
}

static gboolean
find_message_dialog_cb (gpointer data)
{
  AdwMessageDialog **dialog = data;

  *dialog = (AdwMessageDialog *) find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  return *dialog != NULL;
}

static void
test_window_open_bad_file (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *path = g_build_filename (g_get_user_data_dir (), "shopping-list.epub", NULL);
  g_autoptr (GFile)            file = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *shot = NULL;
  AdwMessageDialog            *dialog = NULL;
  KiosWindow                  *window = show_window (store);
  const char                  *body;

  /* Named like a book, but plain text inside. */
  g_file_set_contents (path, "milk\neggs\nbread\n", -1, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);

  kios_window_open_file (window, file);
  g_assert_true (kios_test_wait_until (find_message_dialog_cb, &dialog, 20000));

  /* The dialog names the file and says why, in words. */
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "shopping-list.epub"));
  body = adw_message_dialog_get_body (dialog);
  g_assert_true (g_str_equal (body, _ ("This file is not an e-book. Kios opens EPUB and PDF books.")) || g_str_equal (body, _ ("The book is damaged and cannot be read.")));
  g_assert_true (adw_message_dialog_has_response (dialog, "close"));

  shot = kios_test_save_screenshot (GTK_WIDGET (dialog), "window-open-error");

  /* The window stays, back on the library, usable. */
  adw_message_dialog_response (dialog, "close");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpstr (kios_window_get_visible_page (window), ==, "library");
  g_assert_false (kios_window_is_reading (window));
  g_assert_cmpstr (kios_start_view_get_visible_page (kios_window_get_start_view (window)), !=, "opening");
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
test_window_drop_file (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *path = g_build_filename (g_get_user_data_dir (), "dropped.pdf", NULL);
  g_autoptr (GFile)            file = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (GListModel)       controllers = NULL;
  g_auto (GValue)              value = G_VALUE_INIT;
  GtkDropTarget               *target = NULL;
  AdwMessageDialog            *dialog = NULL;
  KiosWindow                  *window = show_window (store);
  gboolean                     accepted = FALSE;
  GSList                      *list;

  /* A truncated PDF: the drop reaches the open path and its error dialog. */
  g_file_set_contents (path, "%PDF-1.4\n1 0 obj\n<<", -1, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);

  controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);

  list = g_slist_prepend (NULL, file);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
  g_slist_free (list);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_assert_true (accepted);

  g_assert_true (kios_test_wait_until (find_message_dialog_cb, &dialog, 20000));
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "dropped.pdf"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpstr (kios_window_get_visible_page (window), ==, "library");

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
page_shown (gpointer data)
{
  KiosWindow *window = data;

  return g_strcmp0 (kios_window_get_visible_page (window), "reader") == 0 && kios_reader_view_get_page (kios_window_get_reader_view (window)) != NULL;
}

typedef struct
{
  KiosLibraryStore *store;
  const char       *path;
} CoverWait;

static gboolean
cover_saved (gpointer data)
{
  CoverWait                 *wait = data;
  g_autoptr (KiosBookRecord) book = NULL;

  kios_library_store_flush (wait->store, 1000);
  book = kios_library_store_get_book_by_path (wait->store, wait->path, NULL);
  return book != NULL && book->cover_path != NULL && g_file_test (book->cover_path, G_FILE_TEST_IS_REGULAR);
}

static void
test_window_open_good_book (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *sample = kios_test_sample_book ("persuasion.epub");
  g_autoptr (GFile)            file = g_file_new_for_path (sample);
  g_autofree char             *path = g_file_get_path (file);
  g_autoptr (KiosBookRecord)   book = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *shot = NULL;
  g_autofree char             *library_shot = NULL;
  KiosWindow                  *window = show_window (store);
  KiosStartView               *start_view = kios_window_get_start_view (window);
  CoverWait                    wait = { store, path };
  gint64                       started;

  started = g_get_monotonic_time ();
  kios_window_open_file (window, file);
  g_assert_true (kios_window_is_reading (window));
  g_assert_true (kios_test_wait_until (page_shown, window, 30000));
  g_test_message ("persuasion.epub: first page on screen after %.1f ms",
                  (g_get_monotonic_time () - started) / 1000.0);

  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-library"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Persuasion");
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "window-reader-epub");

  /* The header bar names the page too, "Page X of Y" once counted. */
  {
    AdwWindowTitle *title = ADW_WINDOW_TITLE (kios_test_find_widget (GTK_WIDGET (window), ADW_TYPE_WINDOW_TITLE, NULL));

    g_assert_nonnull (title);
    g_assert_nonnull (strstr (adw_window_title_get_subtitle (title), "Page "));
  }

  /* The text-and-theme menu. */
  {
    GtkMenuButton   *text_menu = GTK_MENU_BUTTON (kios_test_find_widget (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON, "text-menu-button"));
    g_autofree char *popover_shot = NULL;

    g_assert_nonnull (text_menu);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (text_menu)));
    gtk_menu_button_popup (text_menu);
    popover_shot = kios_test_save_screenshot (GTK_WIDGET (gtk_menu_button_get_popover (text_menu)), "window-text-popover");
    gtk_menu_button_popdown (text_menu);
  }

  /* F9's action shows the contents, and follows the view when it hides them. */
  {
    g_autoptr (GVariant) state = NULL;
    g_autofree char     *contents_shot = NULL;
    gboolean             visible = FALSE;

    g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "toggle-contents"));
    g_action_group_activate_action (G_ACTION_GROUP (window), "toggle-contents", NULL);
    g_object_get (kios_window_get_reader_view (window), "contents-visible", &visible, NULL);
    g_assert_true (visible);
    contents_shot = kios_test_save_screenshot (GTK_WIDGET (window), "window-reader-contents");
    g_object_set (kios_window_get_reader_view (window), "contents-visible", FALSE, NULL);
    state = g_action_group_get_action_state (G_ACTION_GROUP (window), "toggle-contents");
    g_assert_false (g_variant_get_boolean (state));
  }

  /* The library now knows the book, and a cover was rendered for it. */
  g_assert_true (kios_library_store_flush (store, 5000));
  book = kios_library_store_get_book_by_path (store, path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (book);
  g_assert_cmpstr (book->title, ==, "Persuasion");
  g_assert_cmpstr (book->format, ==, "epub");
  g_assert_cmpint (book->last_opened_at, >, 0);
  g_assert_true (kios_test_wait_until (cover_saved, &wait, 20000));

  /* Back to the library: the book is listed. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-library", NULL);
  g_assert_cmpstr (kios_window_get_visible_page (window), ==, "library");
  g_assert_false (kios_window_is_reading (window));
  g_assert_true (kios_test_wait_until (start_view_loaded, window, 10000));
  g_assert_cmpuint (kios_start_view_get_n_books (start_view), ==, 1);
  g_assert_cmpstr (kios_start_view_get_book (start_view, 0)->title, ==, "Persuasion");
  /* Its new cover replaces the title placeholder. */
  g_assert_true (kios_test_wait_until (kios_test_cover_shown, kios_test_find_widget (GTK_WIDGET (start_view), GTK_TYPE_OVERLAY, NULL), 5000));
  library_shot = kios_test_save_screenshot (GTK_WIDGET (window), "window-library-one-book");

  /* Nothing keeps the window alive once it is gone. */
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (pointer_cleared, &window, 5000));
}

static void
test_window_text_actions (void)
{
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autofree char      *theme = NULL;
  KiosWindow           *window = kios_window_new (NULL);

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "theme");

  g_action_group_activate_action (G_ACTION_GROUP (window), "font-larger", NULL);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 20.0, 1e-9);
  g_action_group_activate_action (G_ACTION_GROUP (window), "font-smaller", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (window), "font-smaller", NULL);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 16.0, 1e-9);
  g_action_group_activate_action (G_ACTION_GROUP (window), "font-reset", NULL);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 18.0, 1e-9);

  /* Never beyond the schema's range. */
  for (int i = 0; i < 40; i++)
    g_action_group_activate_action (G_ACTION_GROUP (window), "font-larger", NULL);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 48.0, 1e-9);
  g_settings_reset (settings, "font-size");

  g_action_group_activate_action (G_ACTION_GROUP (window), "theme", g_variant_new_string ("sepia"));
  theme = g_settings_get_string (settings, "theme");
  g_assert_cmpstr (theme, ==, "sepia");

  /* The reader view follows the settings. */
  {
    g_autofree char *view_theme = NULL;
    double           view_font_size = 0;

    g_settings_set_double (settings, "font-size", 22.0);
    g_object_get (kios_window_get_reader_view (window), "theme", &view_theme, "font-size", &view_font_size, NULL);
    g_assert_cmpstr (view_theme, ==, "sepia");
    g_assert_cmpfloat_with_epsilon (view_font_size, 22.0, 1e-9);
  }

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "theme");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_size_persisted (void)
{
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  KiosWindow           *window;
  int                   width;
  int                   height;

  g_settings_set_int (settings, "window-width", 820);
  g_settings_set_int (settings, "window-height", 610);
  window = kios_window_new (NULL);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 820);
  g_assert_cmpint (height, ==, 610);

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 500);
  gtk_window_close (GTK_WINDOW (window));

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 700);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 500);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
}

static gboolean
app_window_reading (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (data));

  return KIOS_IS_WINDOW (window) && g_strcmp0 (kios_window_get_visible_page (KIOS_WINDOW (window)), "reader") == 0;
}

static gboolean
app_window_started (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (data));

  return KIOS_IS_WINDOW (window) && kios_window_is_started (KIOS_WINDOW (window));
}

typedef struct
{
  const char *text;
  guint       found;
} ToastSearch;

/* Counts the labels under root whose text starts with search->text. */
static void
count_labels (GtkWidget   *root,
              ToastSearch *search)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (child)), search->text))
        search->found++;
      count_labels (child, search);
    }
}

static void
test_window_application (void)
{
  g_autoptr (KiosApplication) app = kios_application_new ();
  g_autofree char            *sample = kios_test_sample_book ("persuasion.pdf");
  g_autoptr (GFile)           file = g_file_new_for_path (sample);
  g_autofree char            *path = g_file_get_path (file);
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosBookRecord)  book = NULL;
  g_auto (GStrv)              accels = NULL;
  g_autofree char            *shortcuts_shot = NULL;
  GtkWindow                  *window;
  KiosLibraryStore           *store;
  KiosSyncService            *service;
  KiosSyncEngine             *first_engine;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  /* Startup opened the library in the (isolated) data directory. */
  store = kios_application_get_store (app);
  g_assert_nonnull (store);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_cmpstr (accels[0], ==, "<Control>q");
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "preferences"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "shortcuts"));

  /* "kios FILE": a window opens the book, with the application's store. */
  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (KIOS_IS_WINDOW (window));
  g_assert_true (kios_window_get_store (KIOS_WINDOW (window)) == store);
  g_assert_true (kios_test_wait_until (app_window_reading, app, 30000));
  /* Sync and the library come up once the first page is painted. */
  g_assert_true (kios_test_wait_until (app_window_started, app, 30000));

  /* The start view lists through the application's library, which was
   * started (folders rescanned and watched) only after the first page. */
  g_assert_true (KIOS_IS_LIBRARY (kios_application_get_library (app)));
  g_assert_true (kios_library_get_store (kios_application_get_library (app)) == store);
  g_assert_true (kios_start_view_get_library (kios_window_get_start_view (KIOS_WINDOW (window))) ==
                 kios_application_get_library (app));

  /* One sync service, the application's; each window holds only the engine
   * the service made for it, and lets go of it when it closes. */
  service = kios_application_get_sync_service (app);
  g_assert_true (KIOS_IS_SYNC_SERVICE (service));
  g_assert_true (kios_sync_service_get_store (service) == store);
  g_assert_true (kios_window_get_sync_service (KIOS_WINDOW (window)) == service);
  first_engine = kios_window_get_sync_engine (KIOS_WINDOW (window));
  g_assert_true (KIOS_IS_SYNC_ENGINE (first_engine));
  g_object_add_weak_pointer (G_OBJECT (first_engine), (gpointer *) &first_engine);
  /* The book's menu has Sync Details… while a book is open. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "sync-details"));

  g_assert_true (kios_library_store_flush (store, 5000));
  book = kios_library_store_get_book_by_path (store, path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (book->format, ==, "pdf");

  /* A second open while reading gets its own window. */
  {
    g_autofree char  *other = kios_test_sample_book ("emma.epub");
    g_autoptr (GFile) other_file = g_file_new_for_path (other);

    g_application_open (G_APPLICATION (app), &other_file, 1, "");
    g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 2);
    g_assert_true (kios_test_wait_until (app_window_started, app, 30000));
    g_assert_true (kios_window_get_sync_engine (KIOS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)))) != first_engine);
  }

  /* No account yet: no sync button. An account added through the
   * application's source manager (as Settings does) reaches the open
   * windows: their status button appears, saying it has not synced yet. */
  {
    GtkWindow                   *active = gtk_application_get_active_window (GTK_APPLICATION (app));
    GtkWidget                   *button = kios_test_find_widget (GTK_WIDGET (active), KIOS_TYPE_SYNC_STATUS_BUTTON, NULL);
    g_autoptr (KiosSourceSpec)   spec = kios_source_spec_new ("KOReader sync", "kosync", "http://127.0.0.1:1/kosync",
                                                              "alice", "s3cret-passw0rd");
    g_autoptr (KiosSourceRecord) added = NULL;

    g_assert_nonnull (button);
    g_assert_false (gtk_widget_get_visible (button));
    g_assert_true (KIOS_IS_SOURCE_MANAGER (kios_application_get_source_manager (app)));
    added = kios_source_manager_add (kios_application_get_source_manager (app), spec, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (kios_test_wait_until ((KiosTestCondition) gtk_widget_get_visible, button, 10000));
  }

  /* A library write that failed: one toast in the active window, in words. */
  {
    g_autoptr (GError) write_error = g_error_new_literal (KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                                                          "disk I/O error (SQLITE_FULL)");
    GtkWindow         *active = gtk_application_get_active_window (GTK_APPLICATION (app));
    ToastSearch        search = { "Kios could not save to your library", 0 };

    g_signal_emit_by_name (service, "store-error", write_error);
    count_labels (GTK_WIDGET (active), &search);
    g_assert_cmpuint (search.found, ==, 1);
    search.text = "SQLITE_FULL";
    search.found = 0;
    count_labels (GTK_WIDGET (active), &search);
    g_assert_cmpuint (search.found, ==, 0);
  }

  /* Closing the first window disposes its engine (no account: nothing in
   * flight keeps it). */
  gtk_window_destroy (window);
  g_assert_true (kios_test_wait_until (pointer_cleared, &first_engine, 5000));

  /* The shortcuts, about and preferences windows open over the active window. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "shortcuts", NULL);
  g_assert_nonnull (find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW));
  shortcuts_shot = kios_test_save_screenshot (GTK_WIDGET (find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW)), "shortcuts-window");
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_nonnull (find_toplevel (ADW_TYPE_ABOUT_WINDOW));
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (find_toplevel (ADW_TYPE_ABOUT_WINDOW))), ==, PACKAGE_VERSION);
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_assert_nonnull (find_toplevel (KIOS_TYPE_PREFERENCES_WINDOW));
  gtk_window_destroy (find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW));
  gtk_window_destroy (find_toplevel (ADW_TYPE_ABOUT_WINDOW));
  gtk_window_destroy (find_toplevel (KIOS_TYPE_PREFERENCES_WINDOW));

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              ret;

  kios_ui_test_init (&argc, &argv);

  /* The file backend of libsecret: a real keyring file, no D-Bus. */
  keyring_dir = g_dir_make_tmp ("kios-test-window-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-window", TRUE);

  g_test_add_func ("/kios/window/empty-library", test_window_empty_library);
  g_test_add_func ("/kios/window/open-bad-file", test_window_open_bad_file);
  g_test_add_func ("/kios/window/drop-file", test_window_drop_file);
  g_test_add_func ("/kios/window/open-good-book", test_window_open_good_book);
  g_test_add_func ("/kios/window/text-actions", test_window_text_actions);
  g_test_add_func ("/kios/window/size-persisted", test_window_size_persisted);
  g_test_add_func ("/kios/window/application", test_window_application);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
