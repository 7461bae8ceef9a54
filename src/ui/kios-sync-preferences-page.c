/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-preferences-page"

#include "config.h"

#include "kios-sync-preferences-page.h"

#include "kios-kosync-client.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"
#include "kios-sync-status-button.h"

#include <glib/gi18n.h>
#include <string.h>

struct _KiosSyncPreferencesPage
{
  AdwPreferencesPage parent_instance;

  KiosLibraryStore *store;
  GCancellable     *cancellable;
  AdwEntryRow      *url_row;
  AdwComboRow      *auth_row;
  AdwEntryRow      *username_row;
  AdwEntryRow      *password_row;
  GtkLabel         *hint_label;
  GtkLabel         *result_label;
  GtkWidget        *test_button;
  GtkWidget        *save_button;
  GtkWidget        *suggest_button;
  GtkWidget        *spinner;
  char             *suggested_url;
  gint64            source_id; /* the stored account's id, 0 when none */
};

G_DEFINE_FINAL_TYPE (KiosSyncPreferencesPage, kios_sync_preferences_page, ADW_TYPE_PREFERENCES_PAGE)

/* The request a worker gets: copied at call time, never the widgets. */
typedef struct
{
  KiosLibraryStore *store;
  char             *url;
  char             *username;
  char             *password;
  KiosKosyncAuth    auth;
  gint64            source_id;
} Account;

static void
account_free (Account *account)
{
  g_clear_object (&account->store);
  g_free (account->url);
  g_free (account->username);
  if (account->password != NULL)
    memset (account->password, 0, strlen (account->password));
  g_free (account->password);
  g_free (account);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Account, account_free)

/* The path of url after host[:port], without a trailing slash. */
static char *
url_path (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *path = NULL;
  gsize            len;

  if (uri == NULL)
    return NULL;
  path = g_strdup (g_uri_get_path (uri));
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    path[--len] = '\0';
  return g_steal_pointer (&path);
}

const char *
kios_sync_preferences_page_hint_for (const char *url)
{
  g_autofree char *path = NULL;
  g_auto (GStrv)   parts = NULL;
  guint            n;

  if (url == NULL || *url == '\0')
    return NULL;
  path = url_path (url);
  if (path == NULL)
    return _ ("This is not a web address. Enter the full sync URL, e.g. https://your-server:8083/kosync.");
  if (*path == '\0')
    return _ ("The official koreader-sync-server lives at the root. Any other server needs its sub-path: "
              "/kosync on Calibre-Web-Automated, /api/koreader on Grimmory and BookLore, /koreader on Komga.");

  parts = g_strsplit (path + 1, "/", -1);
  n = g_strv_length (parts);
  if (n >= 1 && g_strcmp0 (parts[n - 1], "kosync") == 0)
    return _ ("Calibre-Web-Automated: choose HTTP Basic and use your normal CWA username and password.");
  if (n >= 2 && g_strcmp0 (parts[n - 2], "api") == 0 && g_strcmp0 (parts[n - 1], "koreader") == 0)
    return _ ("Grimmory / BookLore: choose KOReader headers and use the dedicated KOReader sync user from the "
              "server’s settings — it is separate from your main login.");
  if (n >= 1 && g_strcmp0 (parts[n - 1], "koreader") == 0)
    return _ ("Komga: the username is a Komga API key (generate one in your account settings); the password "
              "is ignored — type anything.");
  if (n >= 3 && g_strcmp0 (parts[n - 3], "api") == 0 && g_strcmp0 (parts[n - 2], "koreader") == 0)
    return _ ("Kavita: the API key rides in the URL, so Kios keeps the whole URL in the keyring. Needs Kavita "
              "v0.8.7 or newer.");
  if (n >= 2 && g_strcmp0 (parts[n - 2], "koreader") == 0)
    return _ ("Stump: the API key rides in the URL, so Kios keeps the whole URL in the keyring. KOReader sync "
              "is off by default: the server needs ENABLE_KOREADER_SYNC=true.");
  return NULL;
}

static void
set_result (KiosSyncPreferencesPage *self,
            const char              *text,
            gboolean                 error)
{
  gtk_label_set_text (self->result_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), text != NULL && *text != '\0');
  if (error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), "success");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "success");
      gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), "error");
    }
}

static void
set_busy (KiosSyncPreferencesPage *self,
          gboolean                 busy)
{
  gtk_widget_set_sensitive (self->test_button, !busy);
  gtk_widget_set_sensitive (self->save_button, !busy);
  gtk_widget_set_visible (self->spinner, busy);
  g_object_set (self->spinner, "spinning", busy, NULL);
}

static void
on_url_changed (KiosSyncPreferencesPage *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *hint = kios_sync_preferences_page_hint_for (url);

  gtk_label_set_text (self->hint_label, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);
  gtk_widget_set_visible (self->suggest_button, FALSE);
}

static Account *
account_from_fields (KiosSyncPreferencesPage *self)
{
  Account         *account = g_new0 (Account, 1);
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  g_autofree char *username = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->username_row))));

  account->store = g_object_ref (self->store);
  account->url = g_steal_pointer (&url);
  account->username = g_steal_pointer (&username);
  account->password = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
  account->auth = adw_combo_row_get_selected (self->auth_row) == 1 ? KIOS_KOSYNC_AUTH_BASIC
                                                                   : KIOS_KOSYNC_AUTH_HEADERS;
  account->source_id = self->source_id;
  /* A secret typed here must never reach a log line. */
  kios_redact_register_secret (account->password);
  if (kios_kosync_url_has_key (account->url))
    kios_redact_register_secret (account->url);
  return account;
}

/* ---- Test connection ----------------------------------------------------- */

static void
test_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KiosSyncPreferencesPage *self;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *suggested = NULL;
  gboolean                 ok;

  ok = kios_kosync_client_test_finish (KIOS_KOSYNC_CLIENT (source), result, &suggested, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_PREFERENCES_PAGE (user_data);
  set_busy (self, FALSE);

  if (ok)
    {
      set_result (self, _ ("Connected: the server accepted this account."), FALSE);
      return;
    }

  {
    g_autofree char *message = kios_redact_text (error->message);

    set_result (self, message, TRUE);
  }
  g_clear_pointer (&self->suggested_url, g_free);
  if (suggested != NULL)
    {
      /* Offer, never switch silently. */
      self->suggested_url = g_steal_pointer (&suggested);
      gtk_widget_set_visible (self->suggest_button, TRUE);
    }
}

static void
on_test (KiosSyncPreferencesPage *self)
{
  g_autoptr (Account)          account = account_from_fields (self);
  g_autoptr (KiosKosyncClient) client = NULL;

  if (account->url[0] == '\0')
    {
      set_result (self, _ ("Enter the server URL first."), TRUE);
      return;
    }
  client = kios_kosync_client_new (account->url, account->auth, account->username, account->password);
  gtk_widget_set_visible (self->suggest_button, FALSE);
  set_result (self, NULL, FALSE);
  set_busy (self, TRUE);
  kios_kosync_client_test_async (client, self->cancellable, test_cb, self);
}

static void
on_use_suggestion (KiosSyncPreferencesPage *self)
{
  if (self->suggested_url == NULL)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), self->suggested_url);
  set_result (self, _ ("URL replaced. Test the connection again, then save."), FALSE);
}

/* ---- Save ---------------------------------------------------------------- */

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Account                     *account = task_data;
  g_autoptr (KiosSourceRecord) existing = NULL;
  KiosSourceRecord             record = { 0 };
  g_autofree char             *auth = g_strdup (kios_kosync_auth_to_string (account->auth));
  GError                      *error = NULL;
  gboolean                     ok;

  record.id = account->source_id;
  record.name = (char *) KIOS_SYNC_ACCOUNT_NAME;
  record.kind = (char *) "kosync";
  record.auth = auth;

  /* Secrets first: without a Secret Service nothing is stored at all. */
  if (!kios_sync_source_save_secrets (&record, account->url, account->username, account->password,
                                      cancellable, &error))
    {
      g_free (record.url);
      g_free (record.username);
      g_task_return_error (task, error);
      return;
    }

  existing = kios_sync_source_find_kosync (account->store, NULL);
  if (existing != NULL)
    {
      record.id = existing->id;
      ok = kios_library_store_update_source (account->store, &record, &error);
    }
  else
    ok = kios_library_store_add_source (account->store, &record, &error);
  g_free (record.url);
  g_free (record.username);
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KiosSyncPreferencesPage *self;
  g_autoptr (GError)       error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_PREFERENCES_PAGE (user_data);
  set_busy (self, FALSE);
  if (error != NULL)
    {
      g_autofree char *message = kios_redact_text (error->message);

      set_result (self, message, TRUE);
      return;
    }
  set_result (self, _ ("Saved. Your position syncs when you close a book or leave Kios."), FALSE);
  kios_sync_status_button_reload_all ();
}

static void
on_save (KiosSyncPreferencesPage *self)
{
  g_autoptr (GTask) task = NULL;
  Account          *account = account_from_fields (self);

  if (account->url[0] == '\0')
    {
      account_free (account);
      set_result (self, _ ("Enter the server URL first."), TRUE);
      return;
    }
  set_busy (self, TRUE);
  task = g_task_new (NULL, self->cancellable, save_cb, self);
  g_task_set_source_tag (task, on_save);
  g_task_set_task_data (task, account, (GDestroyNotify) account_free);
  g_task_run_in_thread (task, save_thread);
}

/* ---- Load ---------------------------------------------------------------- */

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KiosLibraryStore            *store = task_data;
  g_autoptr (KiosSourceRecord) record = kios_sync_source_find_kosync (store, NULL);
  Account                     *account;
  GError                      *error = NULL;

  if (record == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  account = g_new0 (Account, 1);
  account->source_id = record->id;
  if (record->auth == NULL || !kios_kosync_auth_from_string (record->auth, &account->auth))
    account->auth = KIOS_KOSYNC_AUTH_HEADERS;
  if (!kios_sync_source_load (record, &account->url, &account->username, &account->password,
                              cancellable, &error))
    {
      account_free (account);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, account, (GDestroyNotify) account_free);
}

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  KiosSyncPreferencesPage *self;
  g_autoptr (Account)      account = NULL;
  g_autoptr (GError)       error = NULL;

  account = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_PREFERENCES_PAGE (user_data);
  if (error != NULL)
    {
      g_autofree char *message = kios_redact_text (error->message);

      set_result (self, message, TRUE);
      return;
    }
  if (account == NULL)
    return;
  self->source_id = account->source_id;
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), account->url != NULL ? account->url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), account->username != NULL ? account->username : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), account->password != NULL ? account->password : "");
  adw_combo_row_set_selected (self->auth_row, account->auth == KIOS_KOSYNC_AUTH_BASIC ? 1 : 0);
}

/* ---- GObject ------------------------------------------------------------- */

static void
kios_sync_preferences_page_dispose (GObject *object)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kios_sync_preferences_page_parent_class)->dispose (object);
}

static void
kios_sync_preferences_page_finalize (GObject *object)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  g_free (self->suggested_url);

  G_OBJECT_CLASS (kios_sync_preferences_page_parent_class)->finalize (object);
}

static void
kios_sync_preferences_page_class_init (KiosSyncPreferencesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_sync_preferences_page_dispose;
  object_class->finalize = kios_sync_preferences_page_finalize;
}

static GtkLabel *
note_label (const char *name)
{
  GtkLabel *label = GTK_LABEL (gtk_label_new (NULL));

  gtk_widget_set_name (GTK_WIDGET (label), name);
  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_xalign (label, 0);
  gtk_label_set_selectable (label, TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (label), 12);
  gtk_widget_set_visible (GTK_WIDGET (label), FALSE);
  return label;
}

static void
kios_sync_preferences_page_init (KiosSyncPreferencesPage *self)
{
  AdwPreferencesGroup *group;
  GtkWidget           *box;
  GtkStringList       *methods;

  self->cancellable = g_cancellable_new ();

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Progress sync"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "emblem-synchronizing-symbolic");
  adw_preferences_page_set_name (ADW_PREFERENCES_PAGE (self), "progress-sync");

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _ ("KOReader Sync"));
  adw_preferences_group_set_description (group,
                                         _ ("Enter the full sync URL, including the server’s sub-path (for example "
                                            "https://your-server:8083/kosync). Kios appends only /users/auth and /syncs/progress; "
                                            "it never guesses a prefix."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  self->url_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->url_row), "url-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->url_row), _ ("Server URL"));
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), "");
  g_signal_connect_swapped (self->url_row, "changed", G_CALLBACK (on_url_changed), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->url_row));

  methods = gtk_string_list_new ((const char *[]){ _ ("KOReader headers"), _ ("HTTP Basic"), NULL });
  self->auth_row = ADW_COMBO_ROW (adw_combo_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->auth_row), "auth-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->auth_row), _ ("Authentication"));
  adw_combo_row_set_model (self->auth_row, G_LIST_MODEL (methods));
  g_object_unref (methods);
  adw_preferences_group_add (group, GTK_WIDGET (self->auth_row));

  self->username_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->username_row), "username-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->username_row), _ ("Username"));
  adw_preferences_group_add (group, GTK_WIDGET (self->username_row));

  self->password_row = ADW_ENTRY_ROW (adw_password_entry_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->password_row), "password-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row), _ ("Password"));
  adw_preferences_group_add (group, GTK_WIDGET (self->password_row));

  self->hint_label = note_label ("hint-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->hint_label), "dim-label");
  adw_preferences_group_add (group, GTK_WIDGET (self->hint_label));

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_description (group,
                                         _ ("Passwords, API keys and URLs that carry a key are kept only in your keyring (Secret Service)."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_END);
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_box_append (GTK_BOX (box), self->spinner);

  self->suggest_button = gtk_button_new_with_mnemonic (_ ("_Use Suggested URL"));
  gtk_widget_set_name (self->suggest_button, "suggest-button");
  gtk_widget_set_visible (self->suggest_button, FALSE);
  g_signal_connect_swapped (self->suggest_button, "clicked", G_CALLBACK (on_use_suggestion), self);
  gtk_box_append (GTK_BOX (box), self->suggest_button);

  self->test_button = gtk_button_new_with_mnemonic (_ ("_Test Connection"));
  gtk_widget_set_name (self->test_button, "test-button");
  g_signal_connect_swapped (self->test_button, "clicked", G_CALLBACK (on_test), self);
  gtk_box_append (GTK_BOX (box), self->test_button);

  self->save_button = gtk_button_new_with_mnemonic (_ ("_Save"));
  gtk_widget_set_name (self->save_button, "save-button");
  gtk_widget_add_css_class (self->save_button, "suggested-action");
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save), self);
  gtk_box_append (GTK_BOX (box), self->save_button);
  adw_preferences_group_add (group, box);

  self->result_label = note_label ("result-label");
  adw_preferences_group_add (group, GTK_WIDGET (self->result_label));
}

GtkWidget *
kios_sync_preferences_page_new (KiosLibraryStore *store)
{
  KiosSyncPreferencesPage *self;
  g_autoptr (GTask)        task = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  self = g_object_new (KIOS_TYPE_SYNC_PREFERENCES_PAGE, NULL);
  self->store = g_object_ref (store);

  /* The store and the keyring block: read the account in a worker. */
  task = g_task_new (NULL, self->cancellable, load_cb, self);
  g_task_set_source_tag (task, kios_sync_preferences_page_new);
  g_task_set_task_data (task, g_object_ref (store), g_object_unref);
  g_task_run_in_thread (task, load_thread);
  return GTK_WIDGET (self);
}

const char *
kios_sync_preferences_page_get_result (KiosSyncPreferencesPage *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_PREFERENCES_PAGE (self), NULL);
  return gtk_label_get_text (self->result_label);
}
