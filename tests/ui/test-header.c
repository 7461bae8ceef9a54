/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-header"

#include "config.h"

#include "kios-contents-sidebar.h"
#include "kios-library-store.h"
#include "kios-reader-annotations.h"
#include "kios-reader-selection.h"
#include "kios-reader-view.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

static gboolean
start_view_loaded (gpointer data)
{
  return !kios_start_view_is_loading (kios_window_get_start_view (KIOS_WINDOW (data)));
}

static gboolean
page_shown (gpointer data)
{
  KiosWindow *window = data;

  return g_strcmp0 (kios_window_get_visible_page (window), "reader") == 0 &&
         kios_reader_view_get_page (kios_window_get_reader_view (window)) != NULL;
}

static gboolean
button_active (gpointer data)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (data));
}

static gboolean
button_inactive (gpointer data)
{
  return !gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (data));
}

static gboolean
annotations_loaded (gpointer data)
{
  return kios_reader_view_get_annotations (KIOS_READER_VIEW (data)) != NULL;
}

static gboolean
page_text_read (gpointer data)
{
  return kios_reader_view_get_page_text (KIOS_READER_VIEW (data)) != NULL;
}

static GtkWidget *
find_contents_sidebar (GtkWidget *root)
{
  return kios_test_find_widget (root, KIOS_TYPE_CONTENTS_SIDEBAR, NULL);
}

/* The bookmark button shows and toggles the page's bookmark; the main menu
 * opens the annotations; neither shows without a book. */
static void
test_header_bookmark_button (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *sample = kios_test_sample_book ("persuasion.epub");
  g_autoptr (GFile)            file = g_file_new_for_path (sample);
  g_autofree char             *shot = NULL;
  KiosWindow                  *window = kios_window_new (NULL);
  KiosReaderView              *view = kios_window_get_reader_view (window);
  GtkWidget                   *button;
  GtkWidget                   *sidebar;
  GtkWidget                   *header;

  kios_window_set_store (window, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 720);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  g_assert_true (kios_test_wait_until (start_view_loaded, window, 10000));

  button = kios_test_find_widget (GTK_WIDGET (window), GTK_TYPE_TOGGLE_BUTTON, "bookmark-button");
  g_assert_nonnull (button);
  /* The start view: nothing to bookmark or list. */
  g_assert_false (gtk_widget_get_visible (button));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "toggle-bookmark"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-annotations"));

  kios_window_open_file (window, file);
  g_assert_true (kios_test_wait_until (page_shown, window, 30000));
  g_assert_true (kios_test_wait_until (annotations_loaded, view, 10000));
  /* The first page is the cover, without words: its bookmark is at its
   * first position, and stays shown once the (empty) text is read. */
  g_assert_true (kios_test_wait_until (page_text_read, view, 10000));
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_widget_get_sensitive (button));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (button)));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Bookmark This Page (Ctrl+D)");

  header = kios_test_find_widget (GTK_WIDGET (window), ADW_TYPE_HEADER_BAR, NULL);
  g_assert_nonnull (header);
  shot = kios_test_save_screenshot (header, "header-bookmark");

  /* A click bookmarks the page; the button follows the stored bookmark. */
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (kios_test_wait_until (button_active, button, 10000));
  g_assert_true (kios_reader_view_get_page_bookmarked (view));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Remove Bookmark (Ctrl+D)");
  g_clear_pointer (&shot, g_free);
  shot = kios_test_save_screenshot (header, "header-bookmarked");

  /* Ctrl+D in the page removes it: the button follows the page, not clicks. */
  gtk_widget_activate_action (GTK_WIDGET (view), "reader.toggle-bookmark", NULL);
  g_assert_true (kios_test_wait_until (button_inactive, button, 10000));
  g_assert_false (kios_reader_view_get_page_bookmarked (view));

  /* The main menu's Annotations opens the annotations sidebar, and closes it. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-annotations"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-annotations", NULL);
  sidebar = find_contents_sidebar (GTK_WIDGET (window));
  g_assert_nonnull (sidebar);
  g_assert_true (kios_reader_view_get_contents_visible (view));
  g_assert_true (kios_contents_sidebar_get_annotations_visible (KIOS_CONTENTS_SIDEBAR (sidebar)));
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-annotations", NULL);
  g_assert_false (kios_reader_view_get_contents_visible (view));

  /* Back in the library the button goes away with the book. */
  kios_window_show_library (window);
  g_assert_false (gtk_widget_get_visible (button));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "toggle-bookmark"));

  gtk_window_destroy (GTK_WINDOW (window));
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
  keyring_dir = g_dir_make_tmp ("kios-test-header-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-header", TRUE);

  g_test_add_func ("/kios/header/bookmark-button", test_header_bookmark_button);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
