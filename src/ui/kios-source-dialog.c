/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-source-dialog"

#include "config.h"

#include "kios-source-dialog.h"

#include "kios-kobo-library.h"
#include "kios-redact.h"
#include "kios-source-messages.h"
#include "kios-sync-settings.h"

#include <glib/gi18n.h>

struct _KiosSourceDialog
{
  AdwWindow parent_instance;

  KiosSourceManager *manager;
  KiosSourceRecord  *source;         /* the one being edited, or NULL */
  GCancellable      *cancellable;    /* the dialog's lifetime */
  GCancellable      *op_cancellable; /* the test or save under way, or NULL */
  gboolean           busy;
  char              *message;

  GtkWidget    *save_button;
  AdwComboRow  *kind_row;
  GtkEditable  *name_row;
  GtkEditable  *url_row;
  GtkEditable  *username_row;
  GtkEditable  *password_row;
  AdwActionRow *test_row;
  GtkWidget    *test_button;
  GtkWidget    *stop_button;
  GtkWidget    *spinner;
  GtkLabel     *message_label;
  AdwActionRow *suggest_row;
  char         *suggested_url; /* a URL the last test found answering */

  /* Kobo sync: the sign-in group hides, the consent question may show. */
  AdwPreferencesGroup *signin_group;
  AdwPreferencesGroup *consent_group;
  GtkCheckButton      *consent_check;
  GtkSwitch           *bridge_switch; /* bridging through this source (off by default) */
  KiosKoboFamily       family;        /* as the last Test or Save recognised it */
  gboolean             consent_shown; /* the question was on screen */
  gboolean             filling;       /* fields set by the dialog, not typed */
};

G_DEFINE_FINAL_TYPE (KiosSourceDialog, kios_source_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define KIND_OPDS 0
#define KIND_KOBO 1

/* Fields as typed, trimmed. */
typedef struct
{
  gboolean kobo;
  gboolean consent;
  gboolean consent_shown;
  char    *name;
  char    *url;
  char    *username;
  char    *password;
} Fields;

static void
fields_clear (Fields *fields)
{
  g_free (fields->name);
  g_free (fields->url);
  g_free (fields->username);
  g_free (fields->password);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fields, fields_clear)

static char *
field_text (GtkEditable *editable,
            gboolean     trim)
{
  char *text = g_strdup (gtk_editable_get_text (editable));

  return trim ? g_strstrip (text) : text;
}

static void
get_fields (KiosSourceDialog *self,
            Fields           *fields)
{
  fields->kobo = adw_combo_row_get_selected (self->kind_row) == KIND_KOBO;
  fields->consent = gtk_check_button_get_active (self->consent_check);
  fields->consent_shown = self->consent_shown;
  fields->name = field_text (self->name_row, TRUE);
  fields->url = field_text (self->url_row, TRUE);
  /* A Kobo sync URL is the only credential: the sign-in fields are hidden. */
  fields->username = fields->kobo ? g_strdup ("") : field_text (self->username_row, TRUE);
  /* A password may begin or end with a space. */
  fields->password = fields->kobo ? g_strdup ("") : field_text (self->password_row, FALSE);
}

static void
set_message (KiosSourceDialog *self,
             const char       *message,
             gboolean          is_error)
{
  g_free (self->message);
  self->message = g_strdup (message);
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (is_error)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "success");
    }
}

static gboolean
is_web_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' && (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 || g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0);
}

/* NULL when the fields can be saved, else what to fix. */
static const char *
validate (KiosSourceDialog *self,
          const Fields     *fields,
          gboolean          for_save)
{
  if (for_save && *fields->name == '\0')
    return _ ("Give the source a name.");
  if (fields->kobo && (*fields->url == '\0' || !is_web_url (fields->url)))
    return _ ("The Kobo sync URL must start with http:// or https://.");
  if (*fields->url == '\0' || !is_web_url (fields->url))
    return _ ("The catalog URL must start with http:// or https://.");
  if ((*fields->username == '\0') != (*fields->password == '\0'))
    return _ ("Fill in both the user name and the password, or neither.");
  return NULL;
}

static void
update_buttons (KiosSourceDialog *self)
{
  g_auto (Fields) fields = { 0 };

  get_fields (self, &fields);
  gtk_widget_set_sensitive (self->save_button, !self->busy && *fields.name != '\0' && *fields.url != '\0');
  gtk_widget_set_sensitive (self->test_button, !self->busy && *fields.url != '\0');
  /* Only a test or a save can be stopped; reading the keyring is quick. */
  gtk_widget_set_visible (self->stop_button, self->busy && self->op_cancellable != NULL);
  gtk_widget_set_visible (self->spinner, self->busy);
  if (self->busy)
    gtk_spinner_start (GTK_SPINNER (self->spinner));
  else
    gtk_spinner_stop (GTK_SPINNER (self->spinner));
}

static void
fields_changed_cb (KiosSourceDialog *self)
{
  if (!self->busy)
    set_message (self, NULL, FALSE);
  update_buttons (self);
}

/* The Kobo library-sync consent question, in plain words, for a family that hands
 * out each book (or reading position) once per account. */
static void
show_consent (KiosSourceDialog *self,
              KiosKoboFamily    family,
              gboolean          allowed)
{
  self->family = family;
  if (!kios_kobo_family_needs_consent (family))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->consent_group), FALSE);
      self->consent_shown = FALSE;
      return;
    }

  if (family == KIOS_KOBO_FAMILY_GRIMMORY)
    adw_preferences_group_set_description (
        self->consent_group,
        _ ("This is a Grimmory or BookLore server. It hands reading positions to only one device per "
           "account: positions Kios picks up while listing the library will not reach a Kobo e-reader "
           "that uses the same account.\n\nTo keep your Kobo’s deliveries, create a separate user on "
           "the server for Kios and paste that user’s Kobo sync URL here."));
  else
    adw_preferences_group_set_description (
        self->consent_group,
        _ ("This is a Calibre-Web or Calibre-Web-Automated server. It hands each book to only one "
           "device per account: books Kios lists will never reach a Kobo e-reader that uses the same "
           "account.\n\nTo keep your Kobo’s deliveries, create a separate user on the server for Kios "
           "and paste that user’s Kobo sync URL here."));
  gtk_check_button_set_active (self->consent_check, allowed);
  gtk_widget_set_visible (GTK_WIDGET (self->consent_group), TRUE);
  self->consent_shown = TRUE;
}

static void
hide_consent (KiosSourceDialog *self)
{
  self->family = KIOS_KOBO_FAMILY_UNKNOWN;
  self->consent_shown = FALSE;
  gtk_check_button_set_active (self->consent_check, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->consent_group), FALSE);
}

/* Offered after a test, never applied without the person's click. */
static void
show_suggestion (KiosSourceDialog *self,
                 const char       *url)
{
  g_clear_pointer (&self->suggested_url, g_free);
  if (url != NULL)
    {
      g_autofree char *shown = kios_redact_url (url);

      self->suggested_url = g_strdup (url);
      adw_action_row_set_subtitle (self->suggest_row, shown);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->suggest_row), url != NULL);
}

static void
use_suggestion_cb (KiosSourceDialog *self)
{
  g_autofree char *url = g_strdup (self->suggested_url);

  if (url == NULL)
    return;
  gtk_editable_set_text (self->url_row, url);
  set_message (self, _ ("URL replaced. Test the connection again, then save."), FALSE);
}

static void
url_changed_cb (KiosSourceDialog *self)
{
  show_suggestion (self, NULL);
  /* Another URL may be another server: ask again after its Test. */
  if (!self->filling)
    hide_consent (self);
}

static void
kind_changed_cb (KiosSourceDialog *self)
{
  gboolean kobo = adw_combo_row_get_selected (self->kind_row) == KIND_KOBO;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->url_row), kobo ? _ ("Kobo Sync URL") : _ ("Catalog URL"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->url_row),
                               kobo ? _ ("The personal URL the server shows for Kobo sync, token included. "
                                         "It is kept in the keyring.")
                                    : _ ("For example https://books.example.org/opds"));
  adw_action_row_set_subtitle (self->test_row, kobo ? _ ("Checks the URL and recognises the server")
                                                    : _ ("Loads the catalog’s first page"));
  gtk_widget_set_visible (GTK_WIDGET (self->signin_group), !kobo);
  if (!self->filling)
    hide_consent (self);
  fields_changed_cb (self);
}

/* ---- work, through the source manager ----------------------------------- */

static KiosSourceSpec *
spec_from_fields (const Fields *fields)
{
  KiosSourceSpec *spec = kios_source_spec_new (fields->name, fields->kobo ? "kobo" : "opds", fields->url,
                                               *fields->username != '\0' ? fields->username : NULL,
                                               *fields->password != '\0' ? fields->password : NULL);

  kios_redact_register_secret (spec->password);
  return spec;
}

/* One test or save: the dialog (a strong reference), what was typed, and
 * the cancellable that Stop and closing fire. */
typedef struct
{
  KiosSourceDialog *self;
  GCancellable     *op_cancellable;
  Fields            fields;
  gboolean          saving; /* a Kobo save tests first */
} Call;

static void
call_free (Call *call)
{
  g_object_unref (call->self);
  g_object_unref (call->op_cancellable);
  fields_clear (&call->fields);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static Call *
start_call (KiosSourceDialog *self,
            gboolean          saving)
{
  Call *call = g_new0 (Call, 1);

  g_clear_object (&self->op_cancellable);
  self->op_cancellable = g_cancellable_new ();
  call->self = g_object_ref (self);
  call->op_cancellable = g_object_ref (self->op_cancellable);
  call->saving = saving;
  get_fields (self, &call->fields);
  self->busy = TRUE;
  set_message (self, NULL, FALSE);
  show_suggestion (self, NULL);
  update_buttons (self);
  return call;
}

/* FALSE when the call was stopped or replaced: its answer is dropped. */
static gboolean
call_is_current (Call *call)
{
  return call->op_cancellable == call->self->op_cancellable && !g_cancellable_is_cancelled (call->op_cancellable);
}

static void
end_call (KiosSourceDialog *self)
{
  g_clear_object (&self->op_cancellable);
  self->busy = FALSE;
  update_buttons (self);
}

static void
show_error (KiosSourceDialog *self,
            const char       *kind,
            const GError     *error)
{
  g_autofree char *sentence = kios_source_error_describe (kind, gtk_editable_get_text (self->url_row), error);

  set_message (self, sentence, TRUE);
}

static void save_store (Call *call, const KiosSourceTestResult *kobo);

static void
test_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Call)                 call = user_data;
  g_autoptr (KiosSourceTestResult) outcome = NULL;
  g_autoptr (GError)               error = NULL;
  KiosSourceDialog                *self = call->self;
  const char                      *kind = call->fields.kobo ? "kobo" : "opds";

  outcome = kios_source_manager_test_finish (KIOS_SOURCE_MANAGER (source_object), result, &error);
  if (!call_is_current (call))
    return;
  if (outcome == NULL || !outcome->ok)
    {
      g_autofree char *sentence = outcome != NULL ? kios_source_test_describe (kind, call->fields.url, outcome)
                                                  : kios_source_error_describe (kind, call->fields.url, error);

      end_call (self);
      set_message (self, sentence, TRUE);
      show_suggestion (self, outcome != NULL ? outcome->suggested_url : NULL);
      return;
    }

  if (call->fields.kobo && call->saving)
    {
      if (kios_kobo_family_needs_consent (outcome->kobo_family) && !call->fields.consent_shown)
        {
          /* Nothing saved yet: the dialog asks first. */
          end_call (self);
          show_consent (self, outcome->kobo_family, FALSE);
          set_message (self, _ ("Read the note about library sync below, choose, then save again."), FALSE);
          return;
        }
      save_store (g_steal_pointer (&call), outcome);
      return;
    }

  end_call (self);
  {
    g_autofree char *sentence = kios_source_test_describe (kind, call->fields.url, outcome);

    set_message (self, sentence, FALSE);
  }
  if (call->fields.kobo)
    show_consent (self, outcome->kobo_family, gtk_check_button_get_active (self->consent_check));
}

static void
saved_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (Call)             call = user_data;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           error = NULL;
  KiosSourceDialog            *self = call->self;

  if (self->source == NULL)
    record = kios_source_manager_add_finish (KIOS_SOURCE_MANAGER (source_object), result, &error);
  else
    record = kios_source_manager_update_finish (KIOS_SOURCE_MANAGER (source_object), result, &error);
  if (!call_is_current (call))
    return;
  end_call (self);
  if (record == NULL)
    {
      show_error (self, call->fields.kobo ? "kobo" : "opds", error);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, record->name);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* The keyring and the store, in the manager's one transaction. kobo: what
 * the Kobo server turned out to be (its settings go with the source). */
static void
save_store (Call                       *call,
            const KiosSourceTestResult *kobo)
{
  KiosSourceDialog          *self = call->self;
  g_autoptr (KiosSourceSpec) spec = spec_from_fields (&call->fields);

  if (kobo != NULL)
    {
      g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (self->source != NULL ? self->source->settings_json
                                                                                             : NULL);

      /* The consent is recorded only where the family needs it. */
      settings->family = kobo->kobo_family;
      g_free (settings->image_template);
      settings->image_template = g_strdup (kobo->kobo_image_template);
      settings->library_sync = kios_kobo_family_needs_consent (kobo->kobo_family) && call->fields.consent;
      spec->settings_json = kios_kobo_settings_merge (self->source != NULL ? self->source->settings_json : NULL,
                                                      settings);
    }
  {
    KiosSourceRecord settings = { 0 };

    /* Bridging goes with the other settings, which are kept. */
    settings.settings_json = spec->settings_json != NULL ? spec->settings_json
                             : self->source != NULL      ? g_strdup (self->source->settings_json)
                                                         : NULL;
    kios_source_record_set_bridge (&settings, gtk_switch_get_active (self->bridge_switch));
    spec->settings_json = settings.settings_json;
  }
  if (self->source == NULL)
    kios_source_manager_add_async (self->manager, spec, call->op_cancellable, saved_cb, call);
  else
    kios_source_manager_update_async (self->manager, self->source->name, spec, call->op_cancellable, saved_cb, call);
}

static void
loaded_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (KiosSourceSpec) spec = NULL;
  g_autoptr (GError)         error = NULL;
  KiosSourceDialog          *self;

  spec = kios_source_manager_load_finish (KIOS_SOURCE_MANAGER (source_object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_SOURCE_DIALOG (user_data);
  self->busy = FALSE;
  if (spec == NULL)
    {
      show_error (self, self->source != NULL ? self->source->kind : NULL, error);
      update_buttons (self);
      return;
    }

  self->filling = TRUE;
  gtk_editable_set_text (self->url_row, spec->url != NULL ? spec->url : "");
  gtk_editable_set_text (self->username_row, spec->username != NULL ? spec->username : "");
  gtk_editable_set_text (self->password_row, spec->password != NULL ? spec->password : "");
  self->filling = FALSE;
  update_buttons (self);
}

static void
stop_clicked_cb (KiosSourceDialog *self)
{
  if (self->op_cancellable == NULL)
    return;
  /* Back to idle at once; the worker's late answer is dropped. */
  g_cancellable_cancel (self->op_cancellable);
  end_call (self);
  set_message (self, NULL, FALSE);
}

/* ---- GObject -------------------------------------------------------------- */

static void
cancel_clicked_cb (KiosSourceDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
save_clicked_cb (KiosSourceDialog *self)
{
  kios_source_dialog_save (self);
}

static void
test_clicked_cb (KiosSourceDialog *self)
{
  kios_source_dialog_test (self);
}

static void
kios_source_dialog_dispose (GObject *object)
{
  KiosSourceDialog *self = KIOS_SOURCE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  if (self->op_cancellable != NULL)
    g_cancellable_cancel (self->op_cancellable);
  g_clear_object (&self->op_cancellable);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->source, kios_source_record_free);

  G_OBJECT_CLASS (kios_source_dialog_parent_class)->dispose (object);
}

static void
kios_source_dialog_finalize (GObject *object)
{
  KiosSourceDialog *self = KIOS_SOURCE_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->message);
  g_free (self->suggested_url);

  G_OBJECT_CLASS (kios_source_dialog_parent_class)->finalize (object);
}

static void
kios_source_dialog_class_init (KiosSourceDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_source_dialog_dispose;
  object_class->finalize = kios_source_dialog_finalize;

  signals[SIGNAL_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static GtkEditable *
entry_row (AdwPreferencesGroup *group,
           const char          *title,
           gboolean             password)
{
  GtkWidget *row = password ? adw_password_entry_row_new () : adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_group_add (group, row);
  return GTK_EDITABLE (row);
}

static void
kios_source_dialog_init (KiosSourceDialog *self)
{
  GtkWidget                *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget                *header = adw_header_bar_new ();
  GtkWidget                *cancel;
  GtkWidget                *page = adw_preferences_page_new ();
  AdwPreferencesGroup      *group;
  const char               *kinds[] = { N_ ("OPDS Catalog"), N_ ("Kobo Sync"), NULL };
  GtkWidget                *consent_row;
  g_autoptr (GtkStringList) kind_model = gtk_string_list_new (NULL);

  self->cancellable = g_cancellable_new ();

  gtk_window_set_default_size (GTK_WINDOW (self), 480, 600);
  gtk_window_set_title (GTK_WINDOW (self), _ ("Add Source"));

  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (cancel_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->save_button = gtk_button_new_with_mnemonic (_ ("_Save"));
  gtk_widget_add_css_class (self->save_button, "suggested-action");
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (save_clicked_cb), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->save_button);
  gtk_box_append (GTK_BOX (box), header);

  /* What the source is: an OPDS catalog or a Kobo sync server. */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  for (guint i = 0; kinds[i] != NULL; i++)
    gtk_string_list_append (kind_model, _ (kinds[i]));
  self->kind_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->kind_row), _ ("Kind"));
  adw_combo_row_set_model (self->kind_row, G_LIST_MODEL (kind_model));
  adw_preferences_group_add (group, GTK_WIDGET (self->kind_row));
  self->name_row = entry_row (group, _ ("Name"), FALSE);
  self->url_row = entry_row (group, _ ("Catalog URL"), FALSE);
  gtk_widget_set_name (GTK_WIDGET (self->url_row), "url-row");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->url_row),
                               _ ("For example https://books.example.org/opds"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  self->signin_group = group;
  adw_preferences_group_set_title (group, _ ("Sign In"));
  adw_preferences_group_set_description (group, _ ("Optional. Fill in both the user name and the password, or "
                                                   "neither. They are kept in the keyring."));
  self->username_row = entry_row (group, _ ("User Name"), FALSE);
  self->password_row = entry_row (group, _ ("Password"), TRUE);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  self->test_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->test_row), _ ("Test Connection"));
  adw_action_row_set_subtitle (self->test_row, _ ("Loads the catalog’s first page"));
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  adw_action_row_add_suffix (self->test_row, self->spinner);
  self->stop_button = gtk_button_new_with_mnemonic (_ ("_Stop"));
  gtk_widget_set_name (self->stop_button, "stop-button");
  gtk_widget_set_valign (self->stop_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->stop_button, FALSE);
  g_signal_connect_swapped (self->stop_button, "clicked", G_CALLBACK (stop_clicked_cb), self);
  adw_action_row_add_suffix (self->test_row, self->stop_button);
  self->test_button = gtk_button_new_with_mnemonic (_ ("_Test"));
  gtk_widget_set_valign (self->test_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->test_button, "clicked", G_CALLBACK (test_clicked_cb), self);
  adw_action_row_add_suffix (self->test_row, self->test_button);
  adw_preferences_group_add (group, GTK_WIDGET (self->test_row));
  self->suggest_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->suggest_row), _ ("Did you mean this URL?"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->suggest_row), FALSE);
  {
    GtkWidget *use = gtk_button_new_with_mnemonic (_ ("_Use"));

    gtk_widget_set_name (use, "suggest-button");
    gtk_widget_set_valign (use, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class (use, "suggested-action");
    g_signal_connect_swapped (use, "clicked", G_CALLBACK (use_suggestion_cb), self);
    adw_action_row_add_suffix (self->suggest_row, use);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->suggest_row), FALSE);
  adw_preferences_group_add (group, GTK_WIDGET (self->suggest_row));
  self->message_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message_label, TRUE);
  gtk_label_set_wrap_mode (self->message_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (self->message_label, 0.0);
  gtk_widget_set_margin_top (GTK_WIDGET (self->message_label), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), FALSE);
  adw_preferences_group_add (group, GTK_WIDGET (self->message_label));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);

  /* Bridging: opt-in, said in full. */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _ ("Bridging"));
  {
    AdwActionRow *bridge_row = ADW_ACTION_ROW (adw_action_row_new ());

    gtk_widget_set_name (GTK_WIDGET (bridge_row), "bridge-row");
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (bridge_row), _ ("Also Sync Over KOReader Sync"));
    adw_action_row_set_subtitle (bridge_row,
                                 _ ("Books from this source also keep their place on the KOReader sync account of the "
                                    "same server, each in its own form, so a KOReader device sees where you are. When "
                                    "a book opens, the furthest place ahead is offered; one behind is never applied."));
    self->bridge_switch = GTK_SWITCH (gtk_switch_new ());
    gtk_widget_set_valign (GTK_WIDGET (self->bridge_switch), GTK_ALIGN_CENTER);
    adw_action_row_add_suffix (bridge_row, GTK_WIDGET (self->bridge_switch));
    adw_action_row_set_activatable_widget (bridge_row, GTK_WIDGET (self->bridge_switch));
    adw_preferences_group_add (group, GTK_WIDGET (bridge_row));
  }
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);

  /* Asked before the first library sync on servers that deliver once per account. */
  self->consent_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->consent_group, _ ("Before Kios Lists This Library"));
  consent_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (consent_row), _ ("Let Kios List This Library"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (consent_row),
                               _ ("Without this, Kios never asks the server for its books"));
  self->consent_check = GTK_CHECK_BUTTON (gtk_check_button_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->consent_check), GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (consent_row), GTK_WIDGET (self->consent_check));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (consent_row), GTK_WIDGET (self->consent_check));
  adw_preferences_group_add (self->consent_group, consent_row);
  gtk_widget_set_visible (GTK_WIDGET (self->consent_group), FALSE);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->consent_group);

  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (self), box);

  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (fields_changed_cb), self);
  g_signal_connect_swapped (self->url_row, "changed", G_CALLBACK (fields_changed_cb), self);
  g_signal_connect_swapped (self->url_row, "changed", G_CALLBACK (url_changed_cb), self);
  g_signal_connect_swapped (self->kind_row, "notify::selected", G_CALLBACK (kind_changed_cb), self);
  g_signal_connect_swapped (self->username_row, "changed", G_CALLBACK (fields_changed_cb), self);
  g_signal_connect_swapped (self->password_row, "changed", G_CALLBACK (fields_changed_cb), self);
  update_buttons (self);
}

KiosSourceDialog *
kios_source_dialog_new (GtkWindow              *parent,
                        KiosLibraryStore       *store,
                        const KiosSourceRecord *source)
{
  g_autoptr (KiosSourceManager) manager = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  manager = kios_source_manager_new (store);
  return kios_source_dialog_new_for_manager (parent, manager, source);
}

KiosSourceDialog *
kios_source_dialog_new_for_manager (GtkWindow              *parent,
                                    KiosSourceManager      *manager,
                                    const KiosSourceRecord *source)
{
  KiosSourceDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (manager), NULL);

  self = g_object_new (KIOS_TYPE_SOURCE_DIALOG,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->manager = g_object_ref (manager);

  if (source != NULL)
    {
      self->source = kios_source_record_copy (source);
      gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Source"));
      gtk_editable_set_text (self->name_row, source->name);
      /* A source keeps its kind; a Kobo one shows the consent it recorded. */
      self->filling = TRUE;
      adw_combo_row_set_selected (self->kind_row, g_strcmp0 (source->kind, "kobo") == 0 ? KIND_KOBO : KIND_OPDS);
      self->filling = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->kind_row), FALSE);
      gtk_switch_set_active (self->bridge_switch, kios_source_record_get_bridge (source));
      if (g_strcmp0 (source->kind, "kobo") == 0)
        {
          g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (source->settings_json);

          if (settings->family != KIOS_KOBO_FAMILY_UNKNOWN)
            show_consent (self, settings->family, settings->library_sync);
        }
      /* The URL and secrets may sit in the keyring: the manager reads them in a worker. */
      self->busy = TRUE;
      update_buttons (self);
      kios_source_manager_load_async (manager, source->name, self->cancellable, loaded_cb, self);
    }

  return self;
}

void
kios_source_dialog_set_fields (KiosSourceDialog *self,
                               const char       *name,
                               const char       *url,
                               const char       *username,
                               const char       *password)
{
  g_return_if_fail (KIOS_IS_SOURCE_DIALOG (self));

  gtk_editable_set_text (self->name_row, name != NULL ? name : "");
  gtk_editable_set_text (self->url_row, url != NULL ? url : "");
  gtk_editable_set_text (self->username_row, username != NULL ? username : "");
  gtk_editable_set_text (self->password_row, password != NULL ? password : "");
}

void
kios_source_dialog_set_kind (KiosSourceDialog *self,
                             const char       *kind)
{
  g_return_if_fail (KIOS_IS_SOURCE_DIALOG (self));

  adw_combo_row_set_selected (self->kind_row, g_strcmp0 (kind, "kobo") == 0 ? KIND_KOBO : KIND_OPDS);
}

void
kios_source_dialog_set_library_sync (KiosSourceDialog *self,
                                     gboolean          allow)
{
  g_return_if_fail (KIOS_IS_SOURCE_DIALOG (self));

  gtk_check_button_set_active (self->consent_check, allow);
}

const char *
kios_source_dialog_get_consent_text (KiosSourceDialog *self)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_DIALOG (self), NULL);

  if (!self->consent_shown)
    return NULL;
  return adw_preferences_group_get_description (self->consent_group);
}

void
kios_source_dialog_test (KiosSourceDialog *self)
{
  g_auto (Fields)            fields = { 0 };
  g_autoptr (KiosSourceSpec) spec = NULL;
  const char                *problem;
  Call                      *call;

  g_return_if_fail (KIOS_IS_SOURCE_DIALOG (self));

  if (self->busy)
    return;
  get_fields (self, &fields);
  problem = validate (self, &fields, FALSE);
  if (problem != NULL)
    {
      set_message (self, problem, TRUE);
      return;
    }

  call = start_call (self, FALSE);
  spec = spec_from_fields (&call->fields);
  kios_source_manager_test_async (self->manager, spec, call->op_cancellable, test_cb, call);
}

void
kios_source_dialog_save (KiosSourceDialog *self)
{
  g_auto (Fields) fields = { 0 };
  const char     *problem;
  Call           *call;

  g_return_if_fail (KIOS_IS_SOURCE_DIALOG (self));

  if (self->busy)
    return;
  get_fields (self, &fields);
  problem = validate (self, &fields, TRUE);
  if (problem != NULL)
    {
      set_message (self, problem, TRUE);
      return;
    }

  call = start_call (self, TRUE);
  if (call->fields.kobo)
    {
      g_autoptr (KiosSourceSpec) spec = spec_from_fields (&call->fields);

      /* Recognise the server first: the consent question depends on it. */
      kios_source_manager_test_async (self->manager, spec, call->op_cancellable, test_cb, call);
      return;
    }
  save_store (call, NULL);
}

gboolean
kios_source_dialog_is_busy (KiosSourceDialog *self)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_DIALOG (self), FALSE);

  return self->busy;
}

const char *
kios_source_dialog_get_message (KiosSourceDialog *self)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_DIALOG (self), NULL);

  return self->message;
}
