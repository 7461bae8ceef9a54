/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-koreader-sharing"

#include "config.h"

#include "kios-application.h"
#include "kios-koreader-sidecar.h"
#include "kios-library-folders-page.h"
#include "kios-library.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

static gboolean
page_not_busy (gpointer data)
{
  return !kios_library_folders_page_is_busy (KIOS_LIBRARY_FOLDERS_PAGE (data));
}

/* The folders page's switch and central-folder row drive the settings the
 * sidecar sync follows. */
static void
test_koreader_sharing_page (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  g_autoptr (GSettings)        settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autofree char             *dir = g_build_filename (g_get_user_data_dir (), "Books", NULL);
  g_autofree char             *shot = NULL;
  g_auto (GStrv)               shared = NULL;
  g_autofree char             *central = NULL;
  KiosLibraryFoldersPage      *page;
  GtkWindow                   *window = GTK_WINDOW (adw_preferences_window_new ());
  GtkWidget                   *toggle;
  GtkWidget                   *row;
  GtkWidget                   *clear;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  page = kios_library_folders_page_new (library);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (window, 720, 720);
  gtk_window_present (window);
  g_assert_true (kios_test_wait_until (page_not_busy, page, 10000));
  g_assert_null (kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_SWITCH, "share-koreader"));

  kios_library_folders_page_add_folder (page, dir);
  g_assert_true (kios_test_wait_until (page_not_busy, page, 10000));
  toggle = kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_SWITCH, "share-koreader");
  g_assert_nonnull (toggle);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));

  /* On: the folder is shared; off again: it is not. */
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  shared = g_settings_get_strv (settings, "koreader-sidecar-folders");
  g_assert_cmpuint (g_strv_length (shared), ==, 1);
  g_assert_cmpstr (shared[0], ==, dir);
  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);
  g_clear_pointer (&shared, g_strfreev);
  shared = g_settings_get_strv (settings, "koreader-sidecar-folders");
  g_assert_cmpuint (g_strv_length (shared), ==, 0);

  /* The central folder: shown when set, and cleared with Clear. */
  row = kios_test_find_widget (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "koreader-docsettings-row");
  clear = kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_BUTTON, "koreader-docsettings-clear");
  g_assert_nonnull (row);
  g_assert_false (gtk_widget_get_sensitive (clear));
  g_settings_set_string (settings, "koreader-docsettings-folder", "/home/reader/koreader/docsettings");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "/home/reader/koreader/docsettings");
  g_assert_true (gtk_widget_get_sensitive (clear));
  g_signal_emit_by_name (clear, "clicked");
  central = g_settings_get_string (settings, "koreader-docsettings-folder");
  g_assert_cmpstr (central, ==, "");
  g_assert_false (gtk_widget_get_sensitive (clear));

  /* A page made later shows the setting. */
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  gtk_window_destroy (window);
  window = GTK_WINDOW (adw_preferences_window_new ());
  page = kios_library_folders_page_new (library);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (window, 720, 720);
  gtk_window_present (window);
  g_assert_true (kios_test_wait_until (page_not_busy, page, 10000));
  toggle = kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_SWITCH, "share-koreader");
  g_assert_nonnull (toggle);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));

  shot = kios_test_save_screenshot (GTK_WIDGET (window), "koreader-sharing");
  g_test_message ("screenshot: %s", shot);
  gtk_window_destroy (window);
}

#define HASH "4014313b115a79ab802bd66bcb90849c"

static gboolean
imported (gpointer data)
{
  return kios_library_store_count_annotations (data, HASH) == 3;
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *dir = g_path_get_dirname (to);
  g_autofree char   *contents = NULL;
  gsize              length = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (from, &contents, &length, &error));
  g_assert_true (g_file_set_contents (to, contents, (gssize) length, &error));
  g_assert_no_error (error);
}

/* The application: a book opened in a shared folder brings KOReader's
 * highlights into the store once the app has started. */
static void
test_koreader_sharing_app (void)
{
  g_autoptr (KiosApplication) app = kios_application_new ();
  g_autoptr (GSettings)       settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autofree char            *dir = g_build_filename (g_get_user_data_dir (), "Books", NULL);
  g_autofree char            *book = g_build_filename (dir, "persuasion.epub", NULL);
  g_autofree char            *sample = kios_test_sample_book ("persuasion.epub");
  g_autofree char            *sidecar = kios_koreader_sidecar_path_for_book (book);
  g_autofree char            *fixture = g_build_filename (TEST_SRCDIR, "fixtures", "koreader", "metadata.epub.lua", NULL);
  g_autoptr (GFile)           file = NULL;
  g_autoptr (GError)          error = NULL;
  const char                 *folders[2] = { dir, NULL };
  GtkWindow                  *window;

  copy_file (sample, book);
  copy_file (fixture, sidecar);
  g_settings_set_strv (settings, "koreader-sidecar-folders", folders);

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  file = g_file_new_for_path (book);
  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (KIOS_IS_WINDOW (window));
  g_assert_true (kios_test_wait_until (imported, kios_application_get_store (app), 30000));
  g_assert_nonnull (kios_application_get_sidecar_sync (app));

  gtk_window_close (window);
  g_application_quit (G_APPLICATION (app));
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/koreader-sharing/page", test_koreader_sharing_page);
  g_test_add_func ("/kios/koreader-sharing/app", test_koreader_sharing_app);

  return g_test_run ();
}
