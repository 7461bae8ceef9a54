/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-view-private.h"

#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <glib/gi18n.h>

/* ---- credentials ---------------------------------------------------------- */

typedef struct
{
  KiosLibraryStore *store;
  KiosSourceRecord *source;
  char             *url;
  char             *username;
  char             *password;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_clear_object (&job->store);
  g_clear_pointer (&job->source, kios_source_record_free);
  g_free (job->url);
  g_free (job->username);
  g_free (job->password);
  g_free (job);
}

static void
save_credentials_worker (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  SaveJob *job = task_data;
  GError  *error = NULL;

  g_free (job->source->auth);
  job->source->auth = g_strdup ("basic");
  if (!kios_sync_source_save_secrets (job->source, job->url, job->username, job->password, cancellable, &error) || !kios_library_store_update_source (job->store, job->source, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
save_credentials_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  KiosCatalogView   *self;
  SaveJob           *job = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), &error) && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_CATALOG_VIEW (source_object);
  if (error != NULL)
    {
      kios_catalog_view_show_error (self, error);
      return;
    }

  kios_source_record_free (self->source);
  self->source = kios_source_record_copy (job->source);
  kios_catalog_view_start_op (self, OP_OPEN, NULL, NULL);
}

static void
credentials_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  KiosCatalogView  *self = KIOS_CATALOG_VIEW (user_data);
  GtkEditable      *user_row = g_object_get_data (G_OBJECT (dialog), "username");
  GtkEditable      *password_row = g_object_get_data (G_OBJECT (dialog), "password");
  g_autoptr (GTask) task = NULL;
  SaveJob          *job;

  if (g_strcmp0 (response, "sign-in") != 0 || self->source == NULL || self->client == NULL)
    return;

  job = g_new0 (SaveJob, 1);
  job->store = g_object_ref (self->store);
  job->source = kios_source_record_copy (self->source);
  job->url = g_strdup (kios_opds_client_get_catalog_url (self->client));
  job->username = g_strdup (gtk_editable_get_text (user_row));
  job->password = g_strdup (gtk_editable_get_text (password_row));

  gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (self, self->source_cancellable, save_credentials_cb, NULL);
  g_task_set_source_tag (task, credentials_response_cb);
  g_task_set_task_data (task, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (task, save_credentials_worker);
}

static void
credentials_changed_cb (AdwMessageDialog *dialog)
{
  GtkEditable *user_row = g_object_get_data (G_OBJECT (dialog), "username");
  GtkEditable *password_row = g_object_get_data (G_OBJECT (dialog), "password");

  adw_message_dialog_set_response_enabled (dialog, "sign-in",
                                           *gtk_editable_get_text (user_row) != '\0' && *gtk_editable_get_text (password_row) != '\0');
}

void
kios_catalog_view_ask_credentials (KiosCatalogView *self,
                                   const char      *realm)
{
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget       *dialog;
  GtkWidget       *list;
  GtkWidget       *user_row;
  GtkWidget       *password_row;
  g_autofree char *body = NULL;

  if (realm != NULL && *realm != '\0')
    /* Translators: %s is the realm the server names when it asks for a password. */
    body = g_strdup_printf (_ ("The server asks for a user name and password for “%s”."), realm);
  else
    body = g_strdup (_ ("The server asks for a user name and password."));

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Sign In"), body);
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  user_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (user_row), _ ("User Name"));
  gtk_editable_set_text (GTK_EDITABLE (user_row), self->client != NULL && kios_opds_client_get_username (self->client) != NULL
                                                      ? kios_opds_client_get_username (self->client)
                                                      : "");
  gtk_list_box_append (GTK_LIST_BOX (list), user_row);
  password_row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (password_row), _ ("Password"));
  gtk_list_box_append (GTK_LIST_BOX (list), password_row);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  g_object_set_data (G_OBJECT (dialog), "username", user_row);
  g_object_set_data (G_OBJECT (dialog), "password", password_row);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _ ("_Cancel"),
                                    "sign-in", _ ("_Sign In"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-in", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "sign-in");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_swapped (user_row, "changed", G_CALLBACK (credentials_changed_cb), dialog);
  g_signal_connect_swapped (password_row, "changed", G_CALLBACK (credentials_changed_cb), dialog);
  credentials_changed_cb (ADW_MESSAGE_DIALOG (dialog));
  g_signal_connect_object (dialog, "response", G_CALLBACK (credentials_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
