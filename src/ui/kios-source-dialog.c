/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-source-dialog"

#include "config.h"

#include "kios-source-dialog.h"

#include "kios-kobo-library.h"
#include "kios-opds-client.h"
#include "kios-redact.h"
#include "kios-sync-source.h"

#include <glib/gi18n.h>

struct _KiosSourceDialog
{
  AdwWindow parent_instance;

  KiosLibraryStore *store;
  KiosSourceRecord *source;      /* the one being edited, or NULL */
  GCancellable     *cancellable; /* the dialog's lifetime */
  gboolean          busy;
  char             *message;

  GtkWidget    *save_button;
  AdwComboRow  *kind_row;
  GtkEditable  *name_row;
  GtkEditable  *url_row;
  GtkEditable  *username_row;
  GtkEditable  *password_row;
  AdwActionRow *test_row;
  GtkWidget    *test_button;
  GtkWidget    *spinner;
  GtkLabel     *message_label;

  /* Kobo sync: the sign-in group hides, the consent question may show. */
  AdwPreferencesGroup *signin_group;
  AdwPreferencesGroup *consent_group;
  GtkCheckButton      *consent_check;
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

static void
url_changed_cb (KiosSourceDialog *self)
{
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

/* ---- work in workers ------------------------------------------------------ */

typedef struct
{
  KiosLibraryStore *store;
  KiosSourceRecord *old; /* edit: as stored */
  KiosSourceRecord *record;
  Fields            fields;
  char             *result;
  KiosKoboFamily    family; /* Kobo: what the server turned out to be */
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->store);
  g_clear_pointer (&job->old, kios_source_record_free);
  g_clear_pointer (&job->record, kios_source_record_free);
  fields_clear (&job->fields);
  g_free (job->result);
  g_free (job);
}

static Job *
job_new (KiosSourceDialog *self)
{
  Job *job = g_new0 (Job, 1);

  if (self->store != NULL)
    job->store = g_object_ref (self->store);
  if (self->source != NULL)
    job->old = kios_source_record_copy (self->source);
  get_fields (self, &job->fields);
  return job;
}

static void
test_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Job                       *job = task_data;
  const char                *user = *job->fields.username != '\0' ? job->fields.username : NULL;
  const char                *password = *job->fields.password != '\0' ? job->fields.password : NULL;
  g_autoptr (KiosOpdsClient) client = NULL;
  g_autoptr (KiosOpdsFeed)   feed = NULL;
  GError                    *error = NULL;

  if (job->fields.kobo)
    {
      g_autoptr (KiosKoboClient) kobo = kios_kobo_client_new (job->fields.url, &error);

      /* v1/initialization only: it has no side effect on any server. */
      if (kobo == NULL || !kios_kobo_client_initialize (kobo, cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      job->family = kios_kobo_client_get_family (kobo);
      g_task_return_pointer (task,
                             g_strdup_printf (_ ("Connected: %s, Kobo sync works"),
                                              kios_kobo_family_describe (job->family)),
                             g_free);
      return;
    }

  client = kios_opds_client_new (job->fields.url, user, password);
  feed = kios_opds_client_fetch (client, NULL, cancellable, &error);
  if (feed == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task,
                         g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Connected: “%s”, %u entry",
                                                       "Connected: “%s”, %u entries", feed->entries->len),
                                          feed->title != NULL ? feed->title : job->fields.url, feed->entries->len),
                         g_free);
}

static void
test_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *text = NULL;
  KiosSourceDialog  *self;

  text = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_SOURCE_DIALOG (source_object);
  self->busy = FALSE;
  if (text == NULL)
    {
      g_autofree char *shown = kios_redact_text (error->message);

      set_message (self, shown, TRUE);
    }
  else
    {
      Job *job = g_task_get_task_data (G_TASK (result));

      set_message (self, text, FALSE);
      if (job->fields.kobo)
        show_consent (self, job->family, gtk_check_button_get_active (self->consent_check));
    }
  update_buttons (self);
}

static void
save_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Job                         *job = task_data;
  const char                  *user = *job->fields.username != '\0' ? job->fields.username : NULL;
  const char                  *password = *job->fields.password != '\0' ? job->fields.password : NULL;
  gboolean                     renamed = job->old != NULL && g_strcmp0 (job->old->name, job->fields.name) != 0;
  g_autoptr (KiosSourceRecord) taken = NULL;
  g_autoptr (KiosKoboClient)   kobo = NULL;
  GError                      *error = NULL;

  if (job->fields.kobo)
    {
      /* Recognise the server first: the consent question depends on it. */
      kobo = kios_kobo_client_new (job->fields.url, &error);
      if (kobo == NULL || !kios_kobo_client_initialize (kobo, cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      job->family = kios_kobo_client_get_family (kobo);
      if (kios_kobo_family_needs_consent (job->family) && !job->fields.consent_shown)
        {
          /* Nothing saved yet: the dialog asks first. */
          g_task_return_int (task, 1);
          return;
        }
    }

  if (job->old == NULL || renamed)
    {
      taken = kios_library_store_get_source (job->store, job->fields.name, NULL);
      if (taken != NULL)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                                   _ ("A source named “%s” already exists."), job->fields.name);
          return;
        }
    }

  job->record = job->old != NULL ? kios_source_record_copy (job->old) : g_new0 (KiosSourceRecord, 1);
  g_free (job->record->name);
  job->record->name = g_strdup (job->fields.name);
  g_free (job->record->kind);
  job->record->kind = g_strdup (job->fields.kobo ? "kobo" : "opds");
  g_free (job->record->auth);
  job->record->auth = g_strdup (user != NULL ? "basic" : "none");
  if (job->fields.kobo)
    {
      g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (job->record->settings_json);
      char                        *merged;

      /* The consent is recorded only where the family needs it. */
      settings->family = job->family;
      g_free (settings->image_template);
      settings->image_template = g_strdup (kios_kobo_client_get_image_template (kobo));
      settings->library_sync = kios_kobo_family_needs_consent (job->family) && job->fields.consent;
      merged = kios_kobo_settings_merge (job->record->settings_json, settings);
      g_free (job->record->settings_json);
      job->record->settings_json = merged;
    }

  /* The keyring first: a source never exists in the store without its secrets. */
  if (!kios_sync_source_save_secrets (job->record, job->fields.url, user, password, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (job->old == NULL ? !kios_library_store_add_source (job->store, job->record, &error)
                       : !kios_library_store_update_source (job->store, job->record, &error))
    {
      if (job->old == NULL || renamed)
        kios_sync_source_clear_secrets (job->fields.name, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  /* Secrets are filed by name: a renamed source leaves none behind. */
  if (renamed)
    kios_sync_source_clear_secrets (job->old->name, NULL, NULL);
  kios_library_store_flush (job->store, 5000);
  g_task_return_int (task, 0);
}

static void
save_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  KiosSourceDialog  *self;
  Job               *job = g_task_get_task_data (G_TASK (result));
  gssize             outcome;

  outcome = g_task_propagate_int (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_SOURCE_DIALOG (source_object);
  self->busy = FALSE;
  if (error != NULL)
    {
      g_autofree char *shown = kios_redact_text (error->message);

      set_message (self, shown, TRUE);
      update_buttons (self);
      return;
    }
  if (outcome == 1)
    {
      show_consent (self, job->family, FALSE);
      set_message (self, _ ("Read the note about library sync below, choose, then save again."), FALSE);
      update_buttons (self);
      return;
    }

  g_signal_emit (self, signals[SIGNAL_SAVED], 0, job->record->name);
  gtk_window_destroy (GTK_WINDOW (self));
}

typedef struct
{
  char *url;
  char *username;
  char *password;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_free (loaded->url);
  g_free (loaded->username);
  g_free (loaded->password);
  g_free (loaded);
}

static void
load_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const KiosSourceRecord *record = task_data;
  Loaded                 *loaded = g_new0 (Loaded, 1);
  GError                 *error = NULL;

  if (!kios_sync_source_load (record, &loaded->url, &loaded->username, &loaded->password, cancellable, &error))
    {
      loaded_free (loaded);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, loaded, (GDestroyNotify) loaded_free);
}

static void
load_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  Loaded            *loaded;
  KiosSourceDialog  *self;

  loaded = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_SOURCE_DIALOG (source_object);
  self->busy = FALSE;
  if (loaded == NULL)
    {
      g_autofree char *shown = kios_redact_text (error->message);

      set_message (self, shown, TRUE);
      update_buttons (self);
      return;
    }

  self->filling = TRUE;
  gtk_editable_set_text (self->url_row, loaded->url != NULL ? loaded->url : "");
  gtk_editable_set_text (self->username_row, loaded->username != NULL ? loaded->username : "");
  gtk_editable_set_text (self->password_row, loaded->password != NULL ? loaded->password : "");
  self->filling = FALSE;
  loaded_free (loaded);
  update_buttons (self);
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
  g_clear_object (&self->store);
  g_clear_pointer (&self->source, kios_source_record_free);

  G_OBJECT_CLASS (kios_source_dialog_parent_class)->dispose (object);
}

static void
kios_source_dialog_finalize (GObject *object)
{
  KiosSourceDialog *self = KIOS_SOURCE_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->message);

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
  self->test_button = gtk_button_new_with_mnemonic (_ ("_Test"));
  gtk_widget_set_valign (self->test_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->test_button, "clicked", G_CALLBACK (test_clicked_cb), self);
  adw_action_row_add_suffix (self->test_row, self->test_button);
  adw_preferences_group_add (group, GTK_WIDGET (self->test_row));
  self->message_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message_label, TRUE);
  gtk_label_set_wrap_mode (self->message_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (self->message_label, 0.0);
  gtk_widget_set_margin_top (GTK_WIDGET (self->message_label), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), FALSE);
  adw_preferences_group_add (group, GTK_WIDGET (self->message_label));
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
  KiosSourceDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  self = g_object_new (KIOS_TYPE_SOURCE_DIALOG,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->store = g_object_ref (store);

  if (source != NULL)
    {
      g_autoptr (GTask) task = NULL;

      self->source = kios_source_record_copy (source);
      gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Source"));
      gtk_editable_set_text (self->name_row, source->name);
      /* A source keeps its kind; a Kobo one shows the consent it recorded. */
      self->filling = TRUE;
      adw_combo_row_set_selected (self->kind_row, g_strcmp0 (source->kind, "kobo") == 0 ? KIND_KOBO : KIND_OPDS);
      self->filling = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->kind_row), FALSE);
      if (g_strcmp0 (source->kind, "kobo") == 0)
        {
          g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (source->settings_json);

          if (settings->family != KIOS_KOBO_FAMILY_UNKNOWN)
            show_consent (self, settings->family, settings->library_sync);
        }
      /* The URL and secrets may sit in the keyring: read them in a worker. */
      self->busy = TRUE;
      update_buttons (self);
      task = g_task_new (self, self->cancellable, load_cb, NULL);
      g_task_set_source_tag (task, kios_source_dialog_new);
      g_task_set_task_data (task, kios_source_record_copy (source), (GDestroyNotify) kios_source_record_free);
      g_task_run_in_thread (task, load_worker);
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
  g_autoptr (GTask) task = NULL;
  g_auto (Fields)   fields = { 0 };
  const char       *problem;

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

  self->busy = TRUE;
  set_message (self, NULL, FALSE);
  update_buttons (self);
  task = g_task_new (self, self->cancellable, test_cb, NULL);
  g_task_set_source_tag (task, kios_source_dialog_test);
  g_task_set_task_data (task, job_new (self), (GDestroyNotify) job_free);
  g_task_run_in_thread (task, test_worker);
}

void
kios_source_dialog_save (KiosSourceDialog *self)
{
  g_autoptr (GTask) task = NULL;
  g_auto (Fields)   fields = { 0 };
  const char       *problem;

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

  self->busy = TRUE;
  set_message (self, NULL, FALSE);
  update_buttons (self);
  task = g_task_new (self, self->cancellable, save_cb, NULL);
  g_task_set_source_tag (task, kios_source_dialog_save);
  g_task_set_task_data (task, job_new (self), (GDestroyNotify) job_free);
  g_task_run_in_thread (task, save_worker);
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
