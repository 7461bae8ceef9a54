/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-preferences"

#include "config.h"

#include "kios-application.h"
#include "kios-fake-kosync.h"
#include "kios-fake-opds.h"
#include "kios-library-sync-page.h"
#include "kios-preferences-window.h"
#include "kios-secrets.h"
#include "kios-source-dialog.h"
#include "kios-source-manager.h"
#include "kios-sync-preferences-page.h"
#include "kios-ui-test-utils.h"

#include <string.h>

#define WAIT_MS 20000

/* The preferences row of a type with this title. */
static GtkWidget *
find_row (GtkWidget  *root,
          GType       type,
          const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
        return child;

      found = find_row (child, type, title);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkSpinButton *
find_spin (GtkWidget  *root,
           const char *title)
{
  GtkWidget *row = find_row (root, ADW_TYPE_ACTION_ROW, title);

  return row != NULL ? GTK_SPIN_BUTTON (kios_test_find_widget (row, GTK_TYPE_SPIN_BUTTON, NULL)) : NULL;
}

static void
test_preferences_reading (void)
{
  g_autoptr (GSettings)  settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autofree char       *shot = NULL;
  g_autofree char       *theme = NULL;
  g_autofree char       *fit = NULL;
  KiosPreferencesWindow *window;
  GtkSpinButton         *font_size;
  GtkSpinButton         *margin;
  GtkSpinButton         *line_spacing;
  AdwComboRow           *theme_row;
  AdwComboRow           *fit_row;

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "theme");

  window = kios_preferences_window_new_with_manager (NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));

  font_size = find_spin (GTK_WIDGET (window), "_Font Size");
  margin = find_spin (GTK_WIDGET (window), "_Margins");
  line_spacing = find_spin (GTK_WIDGET (window), "_Line Spacing");
  theme_row = ADW_COMBO_ROW (find_row (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "_Theme"));
  fit_row = ADW_COMBO_ROW (find_row (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "_PDF Pages"));
  g_assert_nonnull (font_size);
  g_assert_nonnull (margin);
  g_assert_nonnull (line_spacing);
  g_assert_nonnull (theme_row);
  g_assert_nonnull (fit_row);

  /* The widgets start from the settings. */
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (font_size), 18.0, 1e-9);
  g_assert_cmpuint (adw_combo_row_get_selected (theme_row), ==, 0);

  /* Changing a widget writes GSettings. */
  gtk_spin_button_set_value (font_size, 24.0);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 24.0, 1e-9);
  gtk_spin_button_set_value (line_spacing, 1.8);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "line-spacing"), 1.8, 1e-9);
  adw_combo_row_set_selected (theme_row, 2);
  theme = g_settings_get_string (settings, "theme");
  g_assert_cmpstr (theme, ==, "sepia");
  adw_combo_row_set_selected (fit_row, 0);
  fit = g_settings_get_string (settings, "pdf-fit");
  g_assert_cmpstr (fit, ==, "width");

  /* Out-of-range values are clamped by the widget, never stored. */
  gtk_spin_button_set_value (font_size, 500.0);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 48.0, 1e-9);

  /* And a settings change shows in the widgets. */
  g_settings_set_double (settings, "margin", 64.0);
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (margin), 64.0, 1e-9);
  g_settings_set_string (settings, "theme", "dark");
  g_assert_cmpuint (adw_combo_row_get_selected (theme_row), ==, 3);

  g_settings_set_double (settings, "font-size", 18.0);
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "preferences-reading");
  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  GtkWidget *found = kios_test_find_widget (root, GTK_TYPE_WIDGET, name);

  g_assert_nonnull (found);
  return found;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* Settings with the sync pages over a real library and keyring file. */
typedef struct
{
  KiosLibraryStore        *store;
  KiosSourceManager       *manager;
  KiosPreferencesWindow   *window;
  KiosSyncPreferencesPage *page;
} Prefs;

static gboolean
page_loaded (gpointer data)
{
  Prefs *prefs = data;

  /* The account's URL is in the field once the worker has read it. */
  return *gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (prefs->page), "url-row"))) != '\0';
}

static void
prefs_open (Prefs   *prefs,
            gboolean with_account,
            int      height)
{
  prefs->store = kios_test_new_store ();
  prefs->manager = kios_source_manager_new (prefs->store);
  if (with_account)
    {
      g_autoptr (KiosSourceSpec)   spec = kios_source_spec_new ("KOReader sync", "kosync",
                                                                "https://books.example.org:8083/kosync", "alice",
                                                                "s3cret-pass");
      g_autoptr (KiosSourceRecord) record = NULL;
      g_autoptr (GError)           error = NULL;

      record = kios_source_manager_add (prefs->manager, spec, NULL, &error);
      g_assert_no_error (error);
    }
  prefs->window = kios_preferences_window_new_with_manager (NULL, prefs->manager);
  prefs->page = KIOS_SYNC_PREFERENCES_PAGE (kios_test_find_widget (GTK_WIDGET (prefs->window),
                                                                   KIOS_TYPE_SYNC_PREFERENCES_PAGE, NULL));
  g_assert_nonnull (prefs->page);
  gtk_window_set_default_size (GTK_WINDOW (prefs->window), 640, height);
  gtk_window_present (GTK_WINDOW (prefs->window));
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (prefs->window), ADW_PREFERENCES_PAGE (prefs->page));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, prefs->window, 5000));
  if (with_account)
    g_assert_true (kios_test_wait_until (page_loaded, prefs, WAIT_MS));
}

static void
prefs_close (Prefs *prefs)
{
  gtk_window_destroy (GTK_WINDOW (prefs->window));
  g_clear_object (&prefs->manager);
  g_clear_object (&prefs->store);
}

static KiosSourceRecord *
stored_account (Prefs *prefs)
{
  kios_library_store_flush (prefs->store, 2000);
  return kios_library_store_get_source (prefs->store, "KOReader sync", NULL);
}

static gboolean
account_disabled (gpointer data)
{
  g_autoptr (KiosSourceRecord) record = stored_account (data);

  return record != NULL && !kios_source_record_get_enabled (record);
}

static gboolean
account_enabled (gpointer data)
{
  g_autoptr (KiosSourceRecord) record = stored_account (data);

  return record != NULL && kios_source_record_get_enabled (record);
}

static gboolean
account_gone (gpointer data)
{
  g_autoptr (KiosSourceRecord) record = stored_account (data);

  return record == NULL;
}

static gboolean
page_idle (gpointer data)
{
  return !kios_sync_preferences_page_is_busy (data);
}

/* The switch turns KOReader sync off and on; the account stays. Remove
 * Account… forgets it after asking. */
static void
test_sync_switch (void)
{
  Prefs            prefs = { 0 };
  GtkSwitch       *toggle;
  g_autofree char *shot = NULL;
  g_autofree char *password = NULL;

  prefs_open (&prefs, TRUE, 980);
  toggle = GTK_SWITCH (find_named (GTK_WIDGET (prefs.page), "enable-switch"));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (toggle)));
  g_assert_true (gtk_switch_get_active (toggle));
  shot = kios_test_save_screenshot (GTK_WIDGET (prefs.window), "settings-progress-sync");
  g_clear_pointer (&shot, g_free);

  gtk_switch_set_active (toggle, FALSE);
  g_assert_true (kios_test_wait_until (account_disabled, &prefs, WAIT_MS));
  /* Off is not gone: the fields and the keyring keep the account. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (prefs.page), "url-row"))), ==,
                   "https://books.example.org:8083/kosync");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (prefs.page), "password-row"))), ==,
                   "s3cret-pass");
  password = kios_secrets_lookup_sync ("KOReader sync", KIOS_SECRET_KIND_PASSWORD, NULL, NULL);
  g_assert_cmpstr (password, ==, "s3cret-pass");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (find_named (GTK_WIDGET (prefs.page),
                                                                                     "enable-row"))),
                            "kept"));
  shot = kios_test_save_screenshot (GTK_WIDGET (prefs.window), "settings-progress-sync-off");
  g_clear_pointer (&shot, g_free);

  /* Settings opened again show it off. */
  {
    KiosPreferencesWindow   *again = kios_preferences_window_new_with_manager (NULL, prefs.manager);
    KiosSyncPreferencesPage *page = KIOS_SYNC_PREFERENCES_PAGE (kios_test_find_widget (GTK_WIDGET (again),
                                                                                       KIOS_TYPE_SYNC_PREFERENCES_PAGE,
                                                                                       NULL));
    Prefs                    view = { prefs.store, prefs.manager, again, page };

    gtk_window_present (GTK_WINDOW (again));
    g_assert_true (kios_test_wait_until (page_loaded, &view, WAIT_MS));
    g_assert_false (gtk_switch_get_active (GTK_SWITCH (find_named (GTK_WIDGET (page), "enable-switch"))));
    gtk_window_destroy (GTK_WINDOW (again));
  }

  gtk_switch_set_active (toggle, TRUE);
  g_assert_true (kios_test_wait_until (account_enabled, &prefs, WAIT_MS));

  /* Remove asks first. */
  g_signal_emit_by_name (find_named (GTK_WIDGET (prefs.page), "remove-button"), "clicked");
  {
    AdwMessageDialog *confirm = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

    g_assert_nonnull (confirm);
    adw_message_dialog_response (confirm, "remove");
    gtk_window_destroy (GTK_WINDOW (confirm));
  }
  g_assert_true (kios_test_wait_until (account_gone, &prefs, WAIT_MS));
  g_assert_true (kios_test_wait_until (page_idle, prefs.page, WAIT_MS));
  g_clear_pointer (&password, g_free);
  password = kios_secrets_lookup_sync ("KOReader sync", KIOS_SECRET_KIND_PASSWORD, NULL, NULL);
  g_assert_null (password);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (prefs.page), "url-row"))), ==, "");
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (toggle)));
  prefs_close (&prefs);
}

static void
type_account (KiosSyncPreferencesPage *page,
              const char              *url)
{
  gtk_editable_set_text (GTK_EDITABLE (find_named (GTK_WIDGET (page), "url-row")), url);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (GTK_WIDGET (page), "auth-row")), 1);
  gtk_editable_set_text (GTK_EDITABLE (find_named (GTK_WIDGET (page), "username-row")), "alice");
  gtk_editable_set_text (GTK_EDITABLE (find_named (GTK_WIDGET (page), "password-row")), "s3cret-pass");
}

/* A server that accepts and never answers: Cancel shows, and stops at once. */
static void
test_hanging_server (void)
{
  g_autoptr (KiosFakeKosync) fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_CWA);
  g_autofree char           *url = kios_fake_kosync_get_base_url (fake);
  g_autofree char           *shot = NULL;
  Prefs                      prefs = { 0 };
  GtkWidget                 *cancel;
  GtkWidget                 *test;
  gint64                     clicked;

  kios_fake_kosync_set_delay (fake, 0, TRUE);
  prefs_open (&prefs, FALSE, 980);
  type_account (prefs.page, url);
  cancel = find_named (GTK_WIDGET (prefs.page), "cancel-button");
  test = find_named (GTK_WIDGET (prefs.page), "test-button");
  g_assert_false (gtk_widget_get_visible (cancel));

  g_signal_emit_by_name (test, "clicked");
  g_assert_true (kios_sync_preferences_page_is_busy (prefs.page));
  g_assert_true (gtk_widget_get_visible (cancel));
  g_assert_false (gtk_widget_get_sensitive (test));
  /* Still waiting a second later. */
  for (int i = 0; i < 100; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  g_assert_true (kios_sync_preferences_page_is_busy (prefs.page));
  shot = kios_test_save_screenshot (GTK_WIDGET (prefs.window), "settings-progress-sync-testing");

  clicked = g_get_monotonic_time ();
  g_signal_emit_by_name (cancel, "clicked");
  /* Idle at once, without waiting for the server or the worker. */
  g_assert_false (kios_sync_preferences_page_is_busy (prefs.page));
  g_assert_cmpint (g_get_monotonic_time () - clicked, <, 100 * 1000);
  g_assert_false (gtk_widget_get_visible (cancel));
  g_assert_true (gtk_widget_get_sensitive (test));
  g_assert_false (gtk_widget_get_visible (find_named (GTK_WIDGET (prefs.page), "result-label")));
  /* The worker's late answer changes nothing. */
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  g_assert_false (gtk_widget_get_visible (find_named (GTK_WIDGET (prefs.page), "result-label")));
  prefs_close (&prefs);
}

/* A port where nothing listens. */
static char *
dead_url (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  guint16                     port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);

  g_socket_listener_close (listener);
  return g_strdup_printf ("http://127.0.0.1:%u/kosync", port);
}

/* A dead server: the test and the save say so in words, never "Connected". */
static void
test_dead_server (void)
{
  g_autofree char *url = dead_url ();
  g_autofree char *shot = NULL;
  Prefs            prefs = { 0 };
  GtkWidget       *result;
  const char      *text;

  prefs_open (&prefs, FALSE, 980);
  type_account (prefs.page, url);
  result = find_named (GTK_WIDGET (prefs.page), "result-label");

  g_signal_emit_by_name (find_named (GTK_WIDGET (prefs.page), "test-button"), "clicked");
  g_assert_true (kios_test_wait_until (page_idle, prefs.page, WAIT_MS));
  text = gtk_label_get_text (GTK_LABEL (result));
  g_test_message ("test: %s", text);
  g_assert_true (gtk_widget_get_visible (result));
  g_assert_true (gtk_widget_has_css_class (result, "error"));
  g_assert_nonnull (strstr (text, "could not reach"));
  g_assert_null (strstr (text, "Connected"));
  /* Neither libcurl's nor the core's English. */
  g_assert_null (strstr (text, "Failed to connect"));
  g_assert_null (strstr (text, "GET "));

  g_signal_emit_by_name (find_named (GTK_WIDGET (prefs.page), "save-button"), "clicked");
  g_assert_true (kios_test_wait_until (page_idle, prefs.page, WAIT_MS));
  text = gtk_label_get_text (GTK_LABEL (result));
  g_test_message ("save: %s", text);
  g_assert_true (g_str_has_prefix (text, "Saved, but"));
  g_assert_nonnull (strstr (text, "could not reach"));
  g_assert_true (gtk_widget_has_css_class (result, "error"));
  g_assert_null (strstr (text, "Connected"));
  g_assert_null (strstr (text, "synced"));
  g_assert_true (kios_test_wait_until (account_enabled, &prefs, WAIT_MS));
  shot = kios_test_save_screenshot (GTK_WIDGET (prefs.window), "settings-progress-sync-dead");

  /* Clearing the URL no longer is how sync goes off: Save explains. */
  gtk_editable_set_text (GTK_EDITABLE (find_named (GTK_WIDGET (prefs.page), "url-row")), "");
  g_signal_emit_by_name (find_named (GTK_WIDGET (prefs.page), "save-button"), "clicked");
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (result)), "switch off"));
  g_assert_true (kios_test_wait_until (account_enabled, &prefs, WAIT_MS));
  prefs_close (&prefs);
}

static gboolean
library_page_idle (gpointer data)
{
  return !kios_library_sync_page_is_loading (data);
}

static gboolean
catalog_disabled (gpointer data)
{
  Prefs                       *prefs = data;
  g_autoptr (KiosSourceRecord) record = NULL;

  kios_library_store_flush (prefs->store, 2000);
  record = kios_library_store_get_source (prefs->store, "Calibre-Web", NULL);
  return record != NULL && !kios_source_record_get_enabled (record);
}

/* Each library source has its own switch; off keeps the source. */
static void
test_library_sync_page (void)
{
  static const struct
  {
    const char *name;
    const char *kind;
    const char *url;
    const char *user;
    const char *password;
  } sources[] = {
    { "Calibre-Web", "opds", "https://books.example.org:8083/opds", "alice", "pw-1" },
    { "Komga", "opds", "https://comics.example.org:25600/opds/v2/catalog", "alice@example.org", "pw-2" },
    { "Kavita", "opds", "https://kavita.example.org:5000/api/opds/0123456789abcdef", NULL, NULL },
    { "Kobo shelf", "kobo", "https://books.example.org:8083/kobo/0123456789abcdef", NULL, NULL },
  };
  Prefs                prefs = { 0 };
  KiosLibrarySyncPage *page;
  GtkWidget           *toggle;
  g_autofree char     *shot = NULL;

  prefs.store = kios_test_new_store ();
  prefs.manager = kios_source_manager_new (prefs.store);
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autoptr (KiosSourceSpec)   spec = kios_source_spec_new (sources[i].name, sources[i].kind, sources[i].url,
                                                                sources[i].user, sources[i].password);
      g_autoptr (KiosSourceRecord) record = NULL;
      g_autoptr (GError)           error = NULL;

      record = kios_source_manager_add (prefs.manager, spec, NULL, &error);
      g_assert_no_error (error);
    }
  g_assert_true (kios_source_manager_set_enabled (prefs.manager, "Komga", FALSE, NULL));

  prefs.window = kios_preferences_window_new_with_manager (NULL, prefs.manager);
  page = KIOS_LIBRARY_SYNC_PAGE (kios_test_find_widget (GTK_WIDGET (prefs.window), KIOS_TYPE_LIBRARY_SYNC_PAGE, NULL));
  g_assert_true (kios_test_wait_until (library_page_idle, page, WAIT_MS));
  g_assert_cmpuint (kios_library_sync_page_get_n_sources (page), ==, 4);
  gtk_window_set_default_size (GTK_WINDOW (prefs.window), 640, 560);
  gtk_window_present (GTK_WINDOW (prefs.window));
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (prefs.window), ADW_PREFERENCES_PAGE (page));
  kios_test_wait_for_paint (GTK_WIDGET (prefs.window));

  g_assert_false (gtk_switch_get_active (GTK_SWITCH (find_named (GTK_WIDGET (page), "enable-Komga"))));
  toggle = find_named (GTK_WIDGET (page), "enable-Calibre-Web");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));
  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);
  g_assert_true (kios_test_wait_until (catalog_disabled, &prefs, WAIT_MS));
  /* The list follows the manager's "changed": still four, now two off. */
  g_assert_true (kios_test_wait_until (library_page_idle, page, WAIT_MS));
  g_assert_cmpuint (kios_library_sync_page_get_n_sources (page), ==, 4);
  g_assert_true (kios_source_manager_set_enabled (prefs.manager, "Calibre-Web", TRUE, NULL));
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  g_assert_true (kios_test_wait_until (library_page_idle, page, WAIT_MS));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (find_named (GTK_WIDGET (page), "enable-Calibre-Web"))));
  shot = kios_test_save_screenshot (GTK_WIDGET (prefs.window), "settings-library-sync");
  prefs_close (&prefs);
}

static gboolean
dialog_idle (gpointer data)
{
  return !kios_source_dialog_is_busy (data);
}

/* The source dialog: a login page at the typed address gets a suggestion
 * in words, never "Connected"; a server that hangs can be stopped. */
static void
test_source_dialog (void)
{
  g_autoptr (KiosLibraryStore)  store = kios_test_new_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosFakeOpds)      fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (KiosFakeKosync)    hanging = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char              *root = g_strconcat (kios_fake_opds_get_url (fake), "/", NULL);
  g_autofree char              *expected = g_strdup_printf ("Did you mean %s/opds?", kios_fake_opds_get_url (fake));
  g_autofree char              *hang_url = g_strconcat (kios_fake_kosync_get_host_url (hanging), "/opds", NULL);
  g_autofree char              *shot = NULL;
  KiosSourceDialog             *dialog;
  GtkWidget                    *stop;
  const char                   *message;
  gint64                        clicked;

  kios_fake_opds_add (fake, "/", 200, "text/html", "<!DOCTYPE html><html><body><form>Sign in</form></body></html>");
  kios_fake_opds_add_fixture (fake, "/opds", "application/atom+xml;profile=opds-catalog", "calibre-web-root.xml");
  kios_fake_kosync_set_delay (hanging, 0, TRUE);

  dialog = kios_source_dialog_new_for_manager (NULL, manager, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  kios_test_wait_for_paint (GTK_WIDGET (dialog));
  kios_source_dialog_set_fields (dialog, "Calibre-Web", root, NULL, NULL);
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  message = kios_source_dialog_get_message (dialog);
  g_test_message ("dialog: %s", message);
  g_assert_nonnull (strstr (message, expected));
  g_assert_null (strstr (message, "Connected"));
  g_assert_null (strstr (message, "login page answered"));
  shot = kios_test_save_screenshot (GTK_WIDGET (dialog), "source-dialog-did-you-mean");
  /* Offered, not applied: one click uses it. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (dialog), "url-row"))), ==, root);
  g_signal_emit_by_name (find_named (GTK_WIDGET (dialog), "suggest-button"), "clicked");
  g_assert_true (g_str_has_suffix (gtk_editable_get_text (GTK_EDITABLE (find_named (GTK_WIDGET (dialog), "url-row"))),
                                   "/opds"));
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  g_assert_true (g_str_has_prefix (kios_source_dialog_get_message (dialog), "Connected"));

  stop = find_named (GTK_WIDGET (dialog), "stop-button");
  g_assert_false (gtk_widget_get_visible (stop));
  kios_source_dialog_set_fields (dialog, "Hangs", hang_url, NULL, NULL);
  kios_source_dialog_test (dialog);
  g_assert_true (kios_source_dialog_is_busy (dialog));
  g_assert_true (gtk_widget_get_visible (stop));
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  g_assert_true (kios_source_dialog_is_busy (dialog));
  clicked = g_get_monotonic_time ();
  g_signal_emit_by_name (stop, "clicked");
  g_assert_false (kios_source_dialog_is_busy (dialog));
  g_assert_cmpint (g_get_monotonic_time () - clicked, <, 100 * 1000);
  g_assert_false (gtk_widget_get_visible (stop));
  g_assert_null (kios_source_dialog_get_message (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
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
  keyring_dir = g_dir_make_tmp ("kios-test-preferences-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-preferences", TRUE);

  g_test_add_func ("/kios/preferences/reading", test_preferences_reading);
  g_test_add_func ("/kios/preferences/sync-switch", test_sync_switch);
  g_test_add_func ("/kios/preferences/hanging-server", test_hanging_server);
  g_test_add_func ("/kios/preferences/dead-server", test_dead_server);
  g_test_add_func ("/kios/preferences/library-sync-page", test_library_sync_page);
  g_test_add_func ("/kios/preferences/source-dialog", test_source_dialog);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
