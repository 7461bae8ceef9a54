/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-bridge-ui"

#include "config.h"

#include "kios-banner.h"
#include "kios-document.h"
#include "kios-fake-kosync.h"
#include "kios-fake-progression.h"
#include "kios-source-dialog.h"
#include "kios-source-manager.h"
#include "kios-sync-details-dialog.h"
#include "kios-sync-pairing.h"
#include "kios-sync-preferences-page.h"
#include "kios-sync-service.h"
#include "kios-sync-settings.h"
#include "kios-sync-source.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The matching method and the bridging switches as a person sets them: the
 * KOReader sync page and the source dialog, saved into a real library file
 * and a file keyring, with a fake KOReader sync server answering the test.
 */

#define WAIT_MS 20000

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  GtkWidget *found = kios_test_find_widget (root, GTK_TYPE_WIDGET, name);

  g_assert_nonnull (found);
  return found;
}

static gboolean
page_idle (gpointer data)
{
  return !kios_sync_preferences_page_is_busy (data);
}

static gboolean
page_has_account (gpointer data)
{
  GtkWidget *page = data;

  return *gtk_editable_get_text (GTK_EDITABLE (find_named (page, "url-row"))) != '\0';
}

static GtkWidget *
open_page (KiosSourceManager *manager,
           GtkWidget        **window)
{
  GtkWidget *page = kios_sync_preferences_page_new_for_manager (manager);

  *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (*window), 640, 900);
  gtk_window_set_child (GTK_WINDOW (*window), page);
  gtk_window_present (GTK_WINDOW (*window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, *window, 5000));
  return page;
}

static void
test_match_and_bridge_page (void)
{
  g_autoptr (KiosLibraryStore)  store = kios_test_new_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosFakeKosync)    fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char              *url = kios_fake_kosync_get_base_url (fake);
  g_autoptr (KiosSourceRecord)  record = NULL;
  GtkWidget                    *window;
  GtkWidget                    *page;
  AdwComboRow                  *match;
  const char                   *subtitle;

  kios_fake_kosync_add_user (fake, "alice", "s3cret-pass");
  page = open_page (manager, &window);
  match = ADW_COMBO_ROW (find_named (page, "match-row"));
  g_assert_cmpuint (adw_combo_row_get_selected (match), ==, 0);
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (match));
  g_assert_nonnull (strstr (subtitle, "Binary"));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (kios_test_find_widget (find_named (page, "bridge-row"),
                                                                            GTK_TYPE_SWITCH, NULL))));

  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "url-row")), url);
  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "username-row")), "alice");
  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "password-row")), "s3cret-pass");
  adw_combo_row_set_selected (match, 1);
  /* The subtitle says what the choice means. */
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (match));
  g_assert_nonnull (strstr (subtitle, "Filename"));
  gtk_switch_set_active (GTK_SWITCH (kios_test_find_widget (find_named (page, "bridge-row"), GTK_TYPE_SWITCH, NULL)),
                         TRUE);

  /* The connection test names the method. */
  g_signal_emit_by_name (find_named (page, "test-button"), "clicked");
  g_assert_true (kios_test_wait_until (page_idle, page, WAIT_MS));
  g_test_message ("test: %s", kios_sync_preferences_page_get_result (KIOS_SYNC_PREFERENCES_PAGE (page)));
  g_assert_nonnull (strstr (kios_sync_preferences_page_get_result (KIOS_SYNC_PREFERENCES_PAGE (page)),
                            "matched by file name"));

  g_signal_emit_by_name (find_named (page, "save-button"), "clicked");
  g_assert_true (kios_test_wait_until (page_idle, page, WAIT_MS));
  kios_library_store_flush (store, 2000);
  record = kios_library_store_get_source (store, "KOReader sync", NULL);
  g_assert_nonnull (record);
  g_assert_cmpint (kios_source_record_get_match (record), ==, KIOS_KOSYNC_MATCH_FILENAME);
  g_assert_true (kios_source_record_get_bridge (record));
  g_assert_true (kios_source_record_get_enabled (record));
  gtk_window_destroy (GTK_WINDOW (window));

  /* Shown again as stored. */
  page = open_page (manager, &window);
  g_assert_true (kios_test_wait_until (page_has_account, page, WAIT_MS));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (find_named (page, "match-row"))), ==, 1);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (kios_test_find_widget (find_named (page, "bridge-row"),
                                                                           GTK_TYPE_SWITCH, NULL))));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_saved (KiosSourceDialog *dialog,
          const char       *name,
          gboolean         *saved)
{
  *saved = TRUE;
}

static void
test_source_dialog_bridge (void)
{
  g_autoptr (KiosLibraryStore)  store = kios_test_new_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosSourceRecord)  record = NULL;
  KiosSourceDialog             *dialog;
  GtkSwitch                    *toggle;
  gboolean                      saved = FALSE;

  dialog = kios_source_dialog_new_for_manager (NULL, manager, NULL);
  g_signal_connect (dialog, "saved", G_CALLBACK (on_saved), &saved);
  gtk_window_present (GTK_WINDOW (dialog));
  kios_test_wait_for_paint (GTK_WIDGET (dialog));
  toggle = GTK_SWITCH (kios_test_find_widget (find_named (GTK_WIDGET (dialog), "bridge-row"), GTK_TYPE_SWITCH, NULL));
  /* Opt-in: off until the person turns it on. */
  g_assert_false (gtk_switch_get_active (toggle));
  gtk_switch_set_active (toggle, TRUE);
  kios_source_dialog_set_fields (dialog, "Home CWA", "https://books.example.org:8083/opds", NULL, NULL);
  kios_source_dialog_save (dialog);
  g_assert_true (kios_test_wait_until (kios_test_flag_set, &saved, WAIT_MS));

  kios_library_store_flush (store, 2000);
  record = kios_library_store_get_source (store, "Home CWA", NULL);
  g_assert_nonnull (record);
  g_assert_true (kios_source_record_get_bridge (record));
}

static gboolean
details_loaded (gpointer data)
{
  return !kios_sync_details_dialog_is_loading (data);
}

/* A book paired by hand shows the entry in its sync details, and a person
 * pairs it, changes the entry or forgets it there. */
static void
test_details_pairing (void)
{
  g_autoptr (KiosLibraryStore)  store = kios_test_new_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosSourceSpec)    spec = kios_source_spec_new ("KOReader sync", "kosync",
                                                             "https://books.example.org:6062/api/koreader", "alice",
                                                             "s3cret-pass");
  g_autoptr (KiosSourceRecord)  record = NULL;
  g_autoptr (KiosSyncService)   service = kios_sync_service_new (store);
  g_autoptr (GError)            error = NULL;
  g_autoptr (GPtrArray)         pairings = NULL;
  KiosSyncDetailsDialog        *dialog;
  GtkWidget                    *row;
  const char                   *hash = "00112233445566778899aabbccddeeff";

  record = kios_source_manager_add (manager, spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kios_sync_pairing_set (store, hash, record, "0badc0ffee0badc0ffee0badc0ffee00", &error));
  g_assert_no_error (error);

  dialog = kios_sync_details_dialog_new (NULL, service, hash, "Pride and Prejudice");
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (kios_test_wait_until (details_loaded, dialog, WAIT_MS));
  row = find_named (GTK_WIDGET (dialog), "pairing-row");
  g_assert_true (ADW_IS_ENTRY_ROW (row));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "KOReader sync");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "0badc0ffee0badc0ffee0badc0ffee00");

  /* Another entry, typed and applied, replaces the pairing. */
  gtk_editable_set_text (GTK_EDITABLE (row), " 5d1c6f3e5d1c6f3e5d1c6f3e5d1c6f3e ");
  g_signal_emit_by_name (row, "apply");
  kios_library_store_flush (store, 2000);
  pairings = kios_sync_pairing_list (store, hash);
  g_assert_cmpuint (pairings->len, ==, 1);
  g_assert_cmpstr (((KiosSyncPairing *) pairings->pdata[0])->id, ==, "5d1c6f3e5d1c6f3e5d1c6f3e5d1c6f3e");
  g_clear_pointer (&pairings, g_ptr_array_unref);

  /* An empty entry forgets it. */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
  g_signal_emit_by_name (row, "apply");
  kios_library_store_flush (store, 2000);
  pairings = kios_sync_pairing_list (store, hash);
  g_assert_cmpuint (pairings->len, ==, 0);
  g_clear_pointer (&pairings, g_ptr_array_unref);
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Unpaired: the row is there, empty, for the person to pair. */
  dialog = kios_sync_details_dialog_new (NULL, service, hash, "Pride and Prejudice");
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (kios_test_wait_until (details_loaded, dialog, WAIT_MS));
  row = find_named (GTK_WIDGET (dialog), "pairing-row");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* ---- the banner of a bridged book ------------------------------------------------ */

static KiosBanner *
banner_of (KiosWindow *window)
{
  GtkWidget *child = gtk_revealer_get_child (kios_window_get_sync_banner (window));

  g_assert_true (KIOS_IS_BANNER (child));
  return KIOS_BANNER (child);
}

static gboolean
banner_shown (gpointer data)
{
  KiosWindow *window = data;

  return kios_banner_get_revealed (banner_of (window)) &&
         gtk_revealer_get_child_revealed (kios_window_get_sync_banner (window));
}

static void
add_source (KiosLibraryStore *store,
            const char       *name,
            const char       *kind,
            const char       *url,
            const char       *user,
            const char       *password,
            const char       *settings_json)
{
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (GError)           error = NULL;

  record->name = g_strdup (name);
  record->kind = g_strdup (kind);
  record->auth = g_strdup (g_str_equal (kind, "kosync") ? "headers" : "basic");
  record->settings_json = g_strdup (settings_json);
  g_assert_true (kios_sync_source_save_secrets (record, url, user, password, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);
}

/* A book from a Komga catalog, bridged to a KOReader account where a
 * KOReader device is further on: the banner names the device and the
 * protocol. */
static void
test_bridged_banner (void)
{
  g_autofree char                *path = kios_test_sample_book ("pride-and-prejudice.epub");
  g_autoptr (KiosFakeProgression) komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org",
                                                                     "kios-pass", path);
  g_autofree char                *catalog = g_strconcat (kios_fake_progression_get_base (komga), "/opds/v2/catalog", NULL);
  g_autoptr (KiosFakeKosync)      kosync = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char                *url = kios_fake_kosync_get_base_url (kosync);
  g_autoptr (KiosLibraryStore)    store = kios_test_new_store ();
  g_autoptr (KiosSyncService)     service = kios_sync_service_new (store);
  g_autoptr (KiosDocument)        document = NULL;
  g_autoptr (KiosPage)            page = NULL;
  g_autoptr (GFile)               file = g_file_new_for_path (path);
  g_autoptr (GError)              error = NULL;
  KiosPageRequest                 request;
  KiosWindow                     *window;
  const char                     *title;

  document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = 9;
  request.position_only = TRUE;
  page = kios_document_render_sync (document, &request, &error);
  g_assert_no_error (error);
  kios_fake_kosync_add_user (kosync, "alice", "s3cret-pass");
  kios_fake_kosync_set_progress (kosync, kios_document_get_hash (document), page->position->xpointer,
                                 page->position->total_progress, "Kobo Libra", "OTHER", 0);
  add_source (store, "KOReader sync", "kosync", url, "alice", "s3cret-pass", "{\"bridge\":true}");
  add_source (store, "komga", "opds", catalog, "kios@example.org", "kios-pass", NULL);
  kios_library_store_set_book_meta (store, kios_document_get_hash (document), "opds.progression",
                                    kios_fake_progression_get_url (komga));
  kios_library_store_set_book_meta (store, kios_document_get_hash (document), "opds.source", "komga");
  g_assert_true (kios_library_store_flush (store, 5000));

  window = kios_window_new (NULL);
  kios_window_set_store (window, store);
  kios_window_set_sync_service (window, service);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  kios_window_open_file (window, file);
  g_assert_true (kios_test_wait_until (banner_shown, window, WAIT_MS));
  title = kios_banner_get_title (banner_of (window));
  g_test_message ("banner: %s", title);
  g_assert_nonnull (strstr (title, "Kobo Libra"));
  g_assert_nonnull (strstr (title, "KOReader sync"));
  gtk_window_destroy (GTK_WINDOW (window));
  kios_sync_service_shutdown (service, 2000);
  kios_library_store_flush (store, 2000);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              ret;

  kios_ui_test_init (&argc, &argv);
  keyring_dir = g_dir_make_tmp ("kios-test-sync-bridge-ui-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-sync-bridge-ui", TRUE);

  g_test_add_func ("/kios/sync-bridge-ui/match-and-bridge-page", test_match_and_bridge_page);
  g_test_add_func ("/kios/sync-bridge-ui/source-dialog-bridge", test_source_dialog_bridge);
  g_test_add_func ("/kios/sync-bridge-ui/details-pairing", test_details_pairing);
  g_test_add_func ("/kios/sync-bridge-ui/bridged-banner", test_bridged_banner);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
