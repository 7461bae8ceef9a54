/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-view-private.h"

#include "kios-application.h"
#include "kios-sync-error.h"

#include <glib/gi18n.h>

/* ---- credentials ---------------------------------------------------------- */

/* The manager that saves a sign-in: the one injected, else the running
 * application's, else (a window without an application, as in tests) one
 * over the view's store. */
static KiosSourceManager *
source_manager (KiosCatalogView *self)
{
  GApplication *app = g_application_get_default ();

  if (self->manager != NULL)
    return self->manager;
  if (KIOS_IS_APPLICATION (app) && kios_application_get_source_manager (KIOS_APPLICATION (app)) != NULL)
    return kios_application_get_source_manager (KIOS_APPLICATION (app));
  if (self->store == NULL)
    return NULL;
  self->manager = kios_source_manager_new (self->store);
  return self->manager;
}

static void
save_credentials_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (KiosCatalogView)  self = user_data;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;

  record = kios_source_manager_update_finish (KIOS_SOURCE_MANAGER (source_object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->source == NULL)
    return;
  if (record == NULL)
    {
      kios_catalog_view_show_error (self, error);
      return;
    }

  kios_source_record_free (self->source);
  self->source = g_steal_pointer (&record);
  kios_catalog_view_start_op (self, OP_OPEN, NULL, NULL);
}

static void
credentials_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  KiosCatalogView           *self = KIOS_CATALOG_VIEW (user_data);
  GtkEditable               *user_row = g_object_get_data (G_OBJECT (dialog), "username");
  GtkEditable               *password_row = g_object_get_data (G_OBJECT (dialog), "password");
  g_autoptr (KiosSourceSpec) spec = NULL;
  KiosSourceManager         *manager;

  if (g_strcmp0 (response, "sign-in") != 0 || self->source == NULL || self->client == NULL)
    return;
  manager = source_manager (self);
  if (manager == NULL)
    return;

  /* The source keeps its name and kind; the secrets and the auth change
   * together, through the one place that changes sources. */
  spec = kios_source_spec_new (self->source->name, self->source->kind, kios_opds_client_get_catalog_url (self->client),
                               gtk_editable_get_text (user_row), gtk_editable_get_text (password_row));
  spec->auth = g_strdup ("basic");
  gtk_stack_set_visible_child_name (self->stack, "loading");
  kios_source_manager_update_async (manager, self->source->name, spec, self->source_cancellable, save_credentials_cb,
                                    g_object_ref (self));
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
