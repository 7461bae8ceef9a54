/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-preferences-page"

#include "config.h"

#include "kios-sync-preferences-page.h"

#include "kios-kosync-client.h"
#include "kios-redact.h"
#include "kios-source-messages.h"
#include "kios-sync-settings.h"

#include <glib/gi18n.h>
#include <string.h>

struct _KiosSyncPreferencesPage
{
  AdwPreferencesPage parent_instance;

  KiosSourceManager *manager;
  GCancellable      *cancellable;    /* the page's lifetime */
  GCancellable      *op_cancellable; /* the test or save under way, or NULL */
  char              *account_name;   /* the stored account's name, NULL when none */
  char              *suggested_url;
  char              *settings_json; /* the stored account's settings, kept on save */
  gboolean           account_enabled;

  AdwActionRow *enable_row;
  GtkSwitch    *enable_switch;
  AdwEntryRow  *url_row;
  AdwComboRow  *auth_row;
  AdwComboRow  *match_row;
  AdwActionRow *bridge_row;
  GtkSwitch    *bridge_switch;
  AdwEntryRow  *username_row;
  AdwEntryRow  *password_row;
  GtkLabel     *hint_label;
  GtkLabel     *result_label;
  AdwActionRow *suggest_row;
  GtkWidget    *test_button;
  GtkWidget    *cancel_button;
  GtkWidget    *save_button;
  GtkWidget    *remove_button;
  GtkWidget    *suggest_button;
  GtkWidget    *spinner;
  guint         setting_switch : 1; /* the switch moved by the page, not the person */
  guint         saved : 1;          /* the running save has stored the account */
};

G_DEFINE_FINAL_TYPE (KiosSyncPreferencesPage, kios_sync_preferences_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
show_suggestion (KiosSyncPreferencesPage *self,
                 const char              *url)
{
  g_clear_pointer (&self->suggested_url, g_free);
  if (url != NULL)
    {
      g_autofree char *shown = kios_redact_url (url);

      self->suggested_url = g_strdup (url);
      adw_action_row_set_subtitle (self->suggest_row, shown);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->suggest_row), url != NULL);
  gtk_widget_set_visible (self->suggest_button, url != NULL);
}

/* For the host a sentence names. */
static const char *
typed_url (KiosSyncPreferencesPage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->url_row));
}

static gboolean
is_busy (KiosSyncPreferencesPage *self)
{
  return self->op_cancellable != NULL;
}

static void
update_enable_row (KiosSyncPreferencesPage *self)
{
  gboolean has_account = self->account_name != NULL;

  self->setting_switch = TRUE;
  gtk_switch_set_active (self->enable_switch, has_account && self->account_enabled);
  self->setting_switch = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->enable_row), has_account && !is_busy (self));
  /* Nothing to forget without an account. */
  gtk_widget_set_visible (self->remove_button, has_account);
  gtk_widget_set_sensitive (self->remove_button, !is_busy (self));
  if (!has_account)
    adw_action_row_set_subtitle (self->enable_row, _ ("Set up an account below to turn this on"));
  else if (self->account_enabled)
    adw_action_row_set_subtitle (self->enable_row,
                                 _ ("Your position is sent when you close a book or leave Kios"));
  else
    adw_action_row_set_subtitle (self->enable_row, _ ("Off. The account below is kept for when you turn it back on"));
}

/* Busy: a test or a save runs and can be cancelled. */
static void
set_busy (KiosSyncPreferencesPage *self,
          GCancellable            *op_cancellable)
{
  g_set_object (&self->op_cancellable, op_cancellable);
  gtk_widget_set_sensitive (self->test_button, op_cancellable == NULL);
  gtk_widget_set_sensitive (self->save_button, op_cancellable == NULL);
  gtk_widget_set_visible (self->cancel_button, op_cancellable != NULL);
  gtk_widget_set_visible (self->spinner, op_cancellable != NULL);
  g_object_set (self->spinner, "spinning", op_cancellable != NULL, NULL);
  update_enable_row (self);
}

static GCancellable *
start_operation (KiosSyncPreferencesPage *self)
{
  g_autoptr (GCancellable) op_cancellable = g_cancellable_new ();

  /* dispose cancels it with the page. */
  set_busy (self, op_cancellable);
  return op_cancellable;
}

/* TRUE when result belongs to an operation that was cancelled or replaced. */
static gboolean
is_stale (KiosSyncPreferencesPage *self,
          GCancellable            *op_cancellable)
{
  return op_cancellable != self->op_cancellable || g_cancellable_is_cancelled (op_cancellable);
}

static void
on_url_changed (KiosSyncPreferencesPage *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *hint = kios_sync_preferences_page_hint_for (url);

  gtk_label_set_text (self->hint_label, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);
  show_suggestion (self, NULL);
}

static KiosSourceSpec *
spec_from_fields (KiosSyncPreferencesPage *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  g_autofree char *username = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->username_row))));
  KiosSourceSpec  *spec;

  spec = kios_source_spec_new (self->account_name != NULL ? self->account_name : KIOS_SYNC_ACCOUNT_NAME, "kosync",
                               url, username, gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
  spec->auth = g_strdup (kios_kosync_auth_to_string (adw_combo_row_get_selected (self->auth_row) == 1
                                                         ? KIOS_KOSYNC_AUTH_BASIC
                                                         : KIOS_KOSYNC_AUTH_HEADERS));
  {
    KiosSourceRecord settings = { 0 };

    /* Every other stored setting (the on/off switch, …) is kept. */
    settings.settings_json = g_strdup (self->settings_json);
    kios_source_record_set_match (&settings, adw_combo_row_get_selected (self->match_row) == 1
                                                 ? KIOS_KOSYNC_MATCH_FILENAME
                                                 : KIOS_KOSYNC_MATCH_BINARY);
    kios_source_record_set_bridge (&settings, gtk_switch_get_active (self->bridge_switch));
    spec->settings_json = settings.settings_json;
  }
  /* A secret typed here must never reach a log line. */
  kios_redact_register_secret (spec->password);
  if (kios_kosync_url_has_key (spec->url))
    kios_redact_register_secret (spec->url);
  return spec;
}

/* ---- Test connection ----------------------------------------------------- */

typedef struct
{
  KiosSyncPreferencesPage *self; /* a strong reference */
  GCancellable            *op_cancellable;
  gboolean                 adding; /* save: a new account, not an edit */
} Call;

static Call *
call_new (KiosSyncPreferencesPage *self,
          GCancellable            *op_cancellable)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->op_cancellable = g_object_ref (op_cancellable);
  return call;
}

static void
call_free (Call *call)
{
  g_object_unref (call->self);
  g_object_unref (call->op_cancellable);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
show_test_result (KiosSyncPreferencesPage    *self,
                  const KiosSourceTestResult *result,
                  gboolean                    after_save)
{
  g_autofree char *described = kios_source_test_describe ("kosync", typed_url (self), result);
  g_autofree char *sentence = NULL;
  g_autofree char *text = NULL;

  /* Which matching method the account uses, and what it means. */
  if (result->ok)
    /* Translators: %s says that the server accepted the account. */
    sentence = g_strdup_printf (adw_combo_row_get_selected (self->match_row) == 1
                                    ? _ ("%s Books are matched by file name.")
                                    : _ ("%s Books are matched by their contents."),
                                described);
  else
    sentence = g_steal_pointer (&described);
  if (!after_save)
    text = g_steal_pointer (&sentence);
  else if (result->ok)
    /* Translators: %s says that the server accepted the account. */
    text = g_strdup_printf (_ ("Saved. %s"), sentence);
  else
    /* Translators: %s says what is wrong with the server or the account. */
    text = g_strdup_printf (_ ("Saved, but the connection does not work yet. %s"), sentence);
  set_result (self, text, !result->ok);
  /* Offer, never switch silently. */
  show_suggestion (self, result->ok ? NULL : result->suggested_url);
}

static void
test_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Call)                 call = user_data;
  g_autoptr (KiosSourceTestResult) outcome = NULL;
  g_autoptr (GError)               error = NULL;
  KiosSyncPreferencesPage         *self = call->self;

  outcome = kios_source_manager_test_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  if (is_stale (self, call->op_cancellable))
    return;
  set_busy (self, NULL);
  if (outcome == NULL)
    {
      g_autofree char *sentence = kios_source_error_describe ("kosync", typed_url (self), error);

      set_result (self, sentence, TRUE);
      return;
    }
  show_test_result (self, outcome, FALSE);
}

static void
on_test (KiosSyncPreferencesPage *self)
{
  g_autoptr (KiosSourceSpec) spec = spec_from_fields (self);
  GCancellable              *op_cancellable;

  if (is_busy (self))
    return;
  if (*spec->url == '\0')
    {
      set_result (self, _ ("Enter the server URL first."), TRUE);
      return;
    }
  show_suggestion (self, NULL);
  set_result (self, NULL, FALSE);
  op_cancellable = start_operation (self);
  kios_source_manager_test_async (self->manager, spec, op_cancellable, test_cb, call_new (self, op_cancellable));
}

static void
on_cancel (KiosSyncPreferencesPage *self)
{
  gboolean saved = self->saved;

  if (!is_busy (self))
    return;
  /* Back to idle at once; the worker's late answer is dropped. */
  g_cancellable_cancel (self->op_cancellable);
  set_busy (self, NULL);
  set_result (self, saved ? _ ("Saved. The connection was not tested.") : NULL, FALSE);
}

static void
on_use_suggestion (KiosSyncPreferencesPage *self)
{
  g_autofree char *url = g_strdup (self->suggested_url);

  if (url == NULL)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  set_result (self, _ ("URL replaced. Test the connection again, then save."), FALSE);
}

/* ---- Save ---------------------------------------------------------------- */

static void
saved_test_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (Call)                 call = user_data;
  g_autoptr (KiosSourceTestResult) outcome = NULL;
  g_autoptr (GError)               error = NULL;
  KiosSyncPreferencesPage         *self = call->self;

  outcome = kios_source_manager_test_source_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  if (is_stale (self, call->op_cancellable))
    return;
  set_busy (self, NULL);
  self->saved = FALSE;
  if (outcome == NULL)
    {
      g_autofree char *sentence = kios_source_error_describe ("kosync", typed_url (self), error);
      g_autofree char *text = g_strdup_printf (_ ("Saved, but the connection does not work yet. %s"), sentence);

      set_result (self, text, TRUE);
      return;
    }
  show_test_result (self, outcome, TRUE);
}

static void
save_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Call)             call = user_data;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           error = NULL;
  KiosSyncPreferencesPage     *self = call->self;

  if (call->adding)
    record = kios_source_manager_add_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  else
    record = kios_source_manager_update_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  if (record != NULL)
    {
      g_free (self->account_name);
      self->account_name = g_strdup (record->name);
      self->account_enabled = kios_source_record_get_enabled (record);
    }
  if (is_stale (self, call->op_cancellable))
    return;
  if (record == NULL)
    {
      g_autofree char *sentence = kios_source_error_describe ("kosync", typed_url (self), error);

      set_busy (self, NULL);
      set_result (self, sentence, TRUE);
      return;
    }
  /* Saved is not synced: say whether the server takes the account. */
  self->saved = TRUE;
  update_enable_row (self);
  set_result (self, _ ("Saved. Checking the connection…"), FALSE);
  kios_source_manager_test_source_async (self->manager, record->name, call->op_cancellable, saved_test_cb,
                                         call_new (self, call->op_cancellable));
}

static void
on_save (KiosSyncPreferencesPage *self)
{
  g_autoptr (KiosSourceSpec) spec = spec_from_fields (self);
  GCancellable              *op_cancellable;

  if (is_busy (self))
    return;
  if (*spec->url == '\0')
    {
      set_result (self, _ ("Enter the server URL to save the account. To stop syncing, switch off Sync Reading "
                           "Progress; to forget the account, remove it."),
                  TRUE);
      return;
    }
  show_suggestion (self, NULL);
  set_result (self, NULL, FALSE);
  self->saved = FALSE;
  op_cancellable = start_operation (self);
  if (self->account_name == NULL)
    {
      Call *call = call_new (self, op_cancellable);

      call->adding = TRUE;
      kios_source_manager_add_async (self->manager, spec, op_cancellable, save_cb, call);
    }
  else
    kios_source_manager_update_async (self->manager, self->account_name, spec, op_cancellable, save_cb,
                                      call_new (self, op_cancellable));
}

/* ---- Sync on/off --------------------------------------------------------- */

static void
enabled_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (KiosSyncPreferencesPage) self = user_data;
  g_autoptr (GError)                  error = NULL;

  if (kios_source_manager_set_enabled_finish (KIOS_SOURCE_MANAGER (source), result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  {
    g_autofree char *sentence = kios_source_error_describe ("kosync", typed_url (self), error);

    /* The switch shows what is stored. */
    self->account_enabled = !self->account_enabled;
    update_enable_row (self);
    set_result (self, sentence, TRUE);
  }
}

static void
on_switch_active (KiosSyncPreferencesPage *self)
{
  if (self->setting_switch || self->account_name == NULL)
    return;
  self->account_enabled = gtk_switch_get_active (self->enable_switch);
  update_enable_row (self);
  kios_source_manager_set_enabled_async (self->manager, self->account_name, self->account_enabled,
                                         self->cancellable, enabled_cb, g_object_ref (self));
}

/* ---- Remove -------------------------------------------------------------- */

static void
fill_fields (KiosSyncPreferencesPage *self,
             const KiosSourceSpec    *spec)
{
  KiosKosyncAuth auth = KIOS_KOSYNC_AUTH_HEADERS;

  if (spec != NULL && spec->auth != NULL && !kios_kosync_auth_from_string (spec->auth, &auth))
    auth = KIOS_KOSYNC_AUTH_HEADERS;
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), spec != NULL && spec->url != NULL ? spec->url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->username_row),
                         spec != NULL && spec->username != NULL ? spec->username : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row),
                         spec != NULL && spec->password != NULL ? spec->password : "");
  adw_combo_row_set_selected (self->auth_row, auth == KIOS_KOSYNC_AUTH_BASIC ? 1 : 0);
  g_free (self->settings_json);
  self->settings_json = spec != NULL ? g_strdup (spec->settings_json) : NULL;
  {
    KiosSourceRecord settings = { 0 };

    settings.settings_json = self->settings_json;
    adw_combo_row_set_selected (self->match_row,
                                kios_source_record_get_match (&settings) == KIOS_KOSYNC_MATCH_FILENAME ? 1 : 0);
    gtk_switch_set_active (self->bridge_switch, kios_source_record_get_bridge (&settings));
  }
}

/* The subtitle says what the chosen method means. */
static void
on_match_changed (KiosSyncPreferencesPage *self)
{
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->match_row),
                               adw_combo_row_get_selected (self->match_row) == 1
                                   ? _ ("As KOReader’s “Filename”: a book keeps its place with every copy that has "
                                        "the same file name. Only the official sync server keeps positions this way.")
                                   : _ ("As KOReader’s “Binary”: a book keeps its place with byte-identical copies, "
                                        "such as the file the server’s catalog delivers. Library servers match this "
                                        "way."));
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (Call)         call = user_data;
  g_autoptr (GError)       error = NULL;
  KiosSyncPreferencesPage *self = call->self;
  gboolean                 ok;

  ok = kios_source_manager_remove_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  if (ok)
    g_clear_pointer (&self->account_name, g_free);
  if (is_stale (self, call->op_cancellable))
    return;
  set_busy (self, NULL);
  if (!ok)
    {
      g_autofree char *sentence = kios_source_error_describe ("kosync", typed_url (self), error);

      set_result (self, sentence, TRUE);
      return;
    }
  fill_fields (self, NULL);
  show_suggestion (self, NULL);
  update_enable_row (self);
  set_result (self, _ ("The account was removed. Your reading positions stay in the library."), FALSE);
}

static void
remove_response_cb (AdwMessageDialog        *dialog,
                    const char              *response,
                    KiosSyncPreferencesPage *self)
{
  GCancellable *op_cancellable;

  if (g_strcmp0 (response, "remove") != 0 || self->account_name == NULL || is_busy (self))
    return;
  set_result (self, NULL, FALSE);
  op_cancellable = start_operation (self);
  kios_source_manager_remove_async (self->manager, self->account_name, op_cancellable, removed_cb,
                                    call_new (self, op_cancellable));
}

static void
on_remove (KiosSyncPreferencesPage *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  if (self->account_name == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _ ("Remove the KOReader Sync Account?"),
                                   _ ("Kios forgets the server URL, the user name and the password. Reading "
                                      "positions stay on this computer and on the server."));
  gtk_widget_set_name (dialog, "remove-account-dialog");
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "remove", _ ("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Load ---------------------------------------------------------------- */

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KiosSourceSpec) spec = NULL;
  g_autoptr (GError)         error = NULL;
  KiosSyncPreferencesPage   *self;

  spec = kios_source_manager_load_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_PREFERENCES_PAGE (user_data);
  if (error != NULL)
    {
      g_autofree char *sentence = kios_source_error_describe ("kosync", typed_url (self), error);

      set_result (self, sentence, TRUE);
      return;
    }
  if (spec == NULL)
    return;
  g_free (self->account_name);
  self->account_name = g_strdup (spec->name);
  self->account_enabled = !spec->disabled;
  fill_fields (self, spec);
  update_enable_row (self);
}

/* ---- GObject ------------------------------------------------------------- */

static void
kios_sync_preferences_page_constructed (GObject *object)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  G_OBJECT_CLASS (kios_sync_preferences_page_parent_class)->constructed (object);

  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self->manager));
  /* The store and the keyring block: the manager reads the account in a worker. */
  kios_source_manager_load_async (self->manager, NULL, self->cancellable, load_cb, self);
}

static void
kios_sync_preferences_page_dispose (GObject *object)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->op_cancellable != NULL)
    g_cancellable_cancel (self->op_cancellable);
  g_clear_object (&self->op_cancellable);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (kios_sync_preferences_page_parent_class)->dispose (object);
}

static void
kios_sync_preferences_page_finalize (GObject *object)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  g_clear_object (&self->cancellable);
  g_free (self->account_name);
  g_free (self->suggested_url);
  g_free (self->settings_json);

  G_OBJECT_CLASS (kios_sync_preferences_page_parent_class)->finalize (object);
}

static void
kios_sync_preferences_page_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_sync_preferences_page_set_property (GObject      *object,
                                         guint         prop_id,
                                         const GValue *value,
                                         GParamSpec   *pspec)
{
  KiosSyncPreferencesPage *self = KIOS_SYNC_PREFERENCES_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_sync_preferences_page_class_init (KiosSyncPreferencesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = kios_sync_preferences_page_constructed;
  object_class->dispose = kios_sync_preferences_page_dispose;
  object_class->finalize = kios_sync_preferences_page_finalize;
  object_class->get_property = kios_sync_preferences_page_get_property;
  object_class->set_property = kios_sync_preferences_page_set_property;

  properties[PROP_MANAGER] = g_param_spec_object ("manager", NULL, NULL, KIOS_TYPE_SOURCE_MANAGER,
                                                  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                      G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
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

static GtkWidget *
row_button (const char *mnemonic,
            const char *name)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (mnemonic);

  gtk_widget_set_name (button, name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  return button;
}

static void
kios_sync_preferences_page_init (KiosSyncPreferencesPage *self)
{
  AdwPreferencesGroup *group;
  AdwActionRow        *test_row;
  GtkWidget           *box;
  GtkStringList       *methods;

  self->cancellable = g_cancellable_new ();

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Progress sync"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "emblem-synchronizing-symbolic");
  adw_preferences_page_set_name (ADW_PREFERENCES_PAGE (self), "progress-sync");

  /* On or off, without forgetting the account. */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _ ("KOReader Sync"));
  adw_preferences_group_set_description (group, _ ("Keeps your reading position in step with KOReader and the "
                                                   "library servers that speak its sync protocol."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);
  self->enable_row = ADW_ACTION_ROW (adw_action_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->enable_row), "enable-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->enable_row), _ ("Sync Reading Progress"));
  self->enable_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_name (GTK_WIDGET (self->enable_switch), "enable-switch");
  gtk_widget_set_valign (GTK_WIDGET (self->enable_switch), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->enable_switch, "notify::active", G_CALLBACK (on_switch_active), self);
  adw_action_row_add_suffix (self->enable_row, GTK_WIDGET (self->enable_switch));
  adw_action_row_set_activatable_widget (self->enable_row, GTK_WIDGET (self->enable_switch));
  adw_preferences_group_add (group, GTK_WIDGET (self->enable_row));

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _ ("Account"));
  adw_preferences_group_set_description (group,
                                         _ ("Enter the full sync URL, including the server’s sub-path (for example "
                                            "https://your-server:8083/kosync). Kios appends only /users/auth and "
                                            "/syncs/progress; it never guesses a prefix. Passwords, API keys and "
                                            "URLs that carry a key are kept only in your keyring."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  self->url_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->url_row), "url-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->url_row), _ ("Server URL"));
  g_signal_connect_swapped (self->url_row, "changed", G_CALLBACK (on_url_changed), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->url_row));

  methods = gtk_string_list_new ((const char *[]){ _ ("KOReader headers"), _ ("HTTP Basic"), NULL });
  self->auth_row = ADW_COMBO_ROW (adw_combo_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->auth_row), "auth-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->auth_row), _ ("Authentication"));
  adw_combo_row_set_model (self->auth_row, G_LIST_MODEL (methods));
  g_object_unref (methods);
  adw_preferences_group_add (group, GTK_WIDGET (self->auth_row));

  methods = gtk_string_list_new ((const char *[]){ _ ("Contents (Binary)"), _ ("File Name"), NULL });
  self->match_row = ADW_COMBO_ROW (adw_combo_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->match_row), "match-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->match_row), _ ("Match Books By"));
  adw_combo_row_set_model (self->match_row, G_LIST_MODEL (methods));
  g_object_unref (methods);
  g_signal_connect_swapped (self->match_row, "notify::selected", G_CALLBACK (on_match_changed), self);
  on_match_changed (self);
  adw_preferences_group_add (group, GTK_WIDGET (self->match_row));

  self->bridge_row = ADW_ACTION_ROW (adw_action_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->bridge_row), "bridge-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->bridge_row), _ ("Bridge With Kobo Sync and Catalogs"));
  adw_action_row_set_subtitle (self->bridge_row,
                               _ ("Books from a Kobo sync source or a catalog with reading progress also keep their "
                                  "place here, so a KOReader device sees where the Kobo or the web reader is. When a "
                                  "book opens, the furthest place ahead is offered; one behind is never applied."));
  self->bridge_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->bridge_switch), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->bridge_row, GTK_WIDGET (self->bridge_switch));
  adw_action_row_set_activatable_widget (self->bridge_row, GTK_WIDGET (self->bridge_switch));
  adw_preferences_group_add (group, GTK_WIDGET (self->bridge_row));

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

  /* Test, with Cancel while it runs, and what it found. */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);
  test_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (test_row), _ ("Test Connection"));
  adw_action_row_set_subtitle (test_row, _ ("Signs in with the details above without saving them"));
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  adw_action_row_add_suffix (test_row, self->spinner);
  self->cancel_button = row_button (_ ("_Cancel"), "cancel-button");
  gtk_widget_set_visible (self->cancel_button, FALSE);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel), self);
  adw_action_row_add_suffix (test_row, self->cancel_button);
  self->test_button = row_button (_ ("_Test"), "test-button");
  g_signal_connect_swapped (self->test_button, "clicked", G_CALLBACK (on_test), self);
  adw_action_row_add_suffix (test_row, self->test_button);
  adw_preferences_group_add (group, GTK_WIDGET (test_row));

  self->suggest_row = ADW_ACTION_ROW (adw_action_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->suggest_row), "suggest-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->suggest_row), _ ("Did you mean this URL?"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->suggest_row), FALSE);
  self->suggest_button = row_button (_ ("_Use"), "suggest-button");
  gtk_widget_add_css_class (self->suggest_button, "suggested-action");
  g_signal_connect_swapped (self->suggest_button, "clicked", G_CALLBACK (on_use_suggestion), self);
  adw_action_row_add_suffix (self->suggest_row, self->suggest_button);
  adw_preferences_group_add (group, GTK_WIDGET (self->suggest_row));
  show_suggestion (self, NULL);

  self->result_label = note_label ("result-label");
  adw_preferences_group_add (group, GTK_WIDGET (self->result_label));

  /* Save, or forget the account (after a confirmation). */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  self->remove_button = gtk_button_new_with_mnemonic (_ ("_Remove Account…"));
  gtk_widget_set_name (self->remove_button, "remove-button");
  gtk_widget_add_css_class (self->remove_button, "destructive-action");
  gtk_widget_set_hexpand (self->remove_button, TRUE);
  gtk_widget_set_halign (self->remove_button, GTK_ALIGN_START);
  g_signal_connect_swapped (self->remove_button, "clicked", G_CALLBACK (on_remove), self);
  gtk_box_append (GTK_BOX (box), self->remove_button);
  self->save_button = gtk_button_new_with_mnemonic (_ ("_Save"));
  gtk_widget_set_name (self->save_button, "save-button");
  gtk_widget_add_css_class (self->save_button, "suggested-action");
  gtk_widget_set_hexpand (self->save_button, TRUE);
  gtk_widget_set_halign (self->save_button, GTK_ALIGN_END);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save), self);
  gtk_box_append (GTK_BOX (box), self->save_button);
  adw_preferences_group_add (group, box);

  update_enable_row (self);
}

GtkWidget *
kios_sync_preferences_page_new (KiosLibraryStore *store)
{
  g_autoptr (KiosSourceManager) manager = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  manager = kios_source_manager_new (store);
  return kios_sync_preferences_page_new_for_manager (manager);
}

GtkWidget *
kios_sync_preferences_page_new_for_manager (KiosSourceManager *manager)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (manager), NULL);

  return g_object_new (KIOS_TYPE_SYNC_PREFERENCES_PAGE, "manager", manager, NULL);
}

const char *
kios_sync_preferences_page_get_result (KiosSyncPreferencesPage *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_PREFERENCES_PAGE (self), NULL);
  return gtk_label_get_text (self->result_label);
}

gboolean
kios_sync_preferences_page_is_busy (KiosSyncPreferencesPage *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_PREFERENCES_PAGE (self), FALSE);
  return is_busy (self);
}
