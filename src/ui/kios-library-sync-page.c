/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-sync-page"

#include "config.h"

#include "kios-library-sync-page.h"

#include "kios-redact.h"
#include "kios-source-dialog.h"
#include "kios-source-messages.h"

#include <glib/gi18n.h>

struct _KiosLibrarySyncPage
{
  AdwPreferencesPage parent_instance;

  KiosSourceManager *manager; /* NULL without a library */
  GCancellable      *cancellable;
  GPtrArray         *sources; /* KiosSourceRecord* */
  gboolean           loading;

  AdwPreferencesGroup *group;
  GPtrArray           *rows; /* the rows now in the group */
  GtkWidget           *empty_row;
};

G_DEFINE_FINAL_TYPE (KiosLibrarySyncPage, kios_library_sync_page, ADW_TYPE_PREFERENCES_PAGE)

static void show_error (KiosLibrarySyncPage *self,
                        const char          *heading,
                        const char          *kind,
                        const GError        *error);

static GtkWindow *
parent_window (KiosLibrarySyncPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
open_dialog (KiosLibrarySyncPage    *self,
             const KiosSourceRecord *source)
{
  KiosSourceDialog *dialog;

  if (self->manager == NULL)
    return;
  /* The manager says "changed" once it saved: the list follows. */
  dialog = kios_source_dialog_new_for_manager (parent_window (self), self->manager, source);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_clicked_cb (KiosLibrarySyncPage *self)
{
  open_dialog (self, NULL);
}

static void
edit_clicked_cb (GtkButton           *button,
                 KiosLibrarySyncPage *self)
{
  open_dialog (self, g_object_get_data (G_OBJECT (button), "source"));
}

static void
remove_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError)   error = NULL;
  KiosLibrarySyncPage *self;

  if (kios_source_manager_remove_finish (KIOS_SOURCE_MANAGER (source_object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_LIBRARY_SYNC_PAGE (user_data);
  show_error (self, _ ("Could Not Remove the Source"), NULL, error);
  kios_library_sync_page_reload (self);
}

static void
remove_response_cb (AdwMessageDialog    *dialog,
                    const char          *response,
                    KiosLibrarySyncPage *self)
{
  if (g_strcmp0 (response, "remove") != 0 || self->manager == NULL)
    return;
  kios_source_manager_remove_async (self->manager, g_object_get_data (G_OBJECT (dialog), "name"), self->cancellable,
                                    remove_cb, self);
}

static void
remove_clicked_cb (GtkButton           *button,
                   KiosLibrarySyncPage *self)
{
  const KiosSourceRecord *source = g_object_get_data (G_OBJECT (button), "source");
  g_autofree char        *heading = NULL;
  GtkWidget              *dialog;

  /* Translators: %s is a library source's name. */
  heading = g_strdup_printf (_ ("Remove “%s”?"), source->name);
  dialog = adw_message_dialog_new (parent_window (self), heading,
                                   _ ("Its password leaves the keyring. Books already downloaded stay in the "
                                      "library."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _ ("_Cancel"),
                                    "remove", _ ("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "name", g_strdup (source->name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_error (KiosLibrarySyncPage *self,
            const char          *heading,
            const char          *kind,
            const GError        *error)
{
  g_autofree char *sentence = kios_source_error_describe (kind, NULL, error);
  GtkWidget       *dialog = adw_message_dialog_new (parent_window (self), heading, sentence);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
enabled_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GError)   error = NULL;
  KiosLibrarySyncPage *self;

  if (kios_source_manager_set_enabled_finish (KIOS_SOURCE_MANAGER (source_object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_LIBRARY_SYNC_PAGE (user_data);
  show_error (self, _ ("Could Not Change the Source"), NULL, error);
  /* Back to what is stored. */
  kios_library_sync_page_reload (self);
}

static gboolean
switch_state_set_cb (GtkSwitch           *toggle,
                     gboolean             state,
                     KiosLibrarySyncPage *self)
{
  const KiosSourceRecord *source = g_object_get_data (G_OBJECT (toggle), "source");

  if (self->manager == NULL || source == NULL)
    return TRUE;
  kios_source_manager_set_enabled_async (self->manager, source->name, state, self->cancellable, enabled_cb, self);
  return FALSE;
}

static GtkWidget *
icon_button (const char *icon,
             const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static void
rebuild (KiosLibrarySyncPage *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  for (guint i = 0; i < self->sources->len; i++)
    {
      KiosSourceRecord *source = g_ptr_array_index (self->sources, i);
      GtkWidget        *row = adw_action_row_new ();
      GtkWidget        *edit = icon_button ("document-edit-symbolic", _ ("Edit"));
      GtkWidget        *remove = icon_button ("user-trash-symbolic", _ ("Remove"));
      g_autofree char  *shown = NULL;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), source->name);
      /* The URL, redacted; a key-in-URL catalog shows only that it is in the keyring. */
      if (g_strcmp0 (source->kind, "kobo") == 0)
        shown = g_strdup (_ ("Kobo sync · URL kept in the keyring"));
      else
        shown = source->url != NULL ? kios_redact_url (source->url) : g_strdup (_ ("URL kept in the keyring"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), shown);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("network-server-symbolic"));
      g_autofree char *remove_name = g_strconcat ("remove-", source->name, NULL);
      g_autofree char *switch_name = g_strconcat ("enable-", source->name, NULL);
      GtkWidget       *toggle = gtk_switch_new ();

      /* Sync on or off; browsing and the account stay either way. */
      gtk_switch_set_active (GTK_SWITCH (toggle), kios_source_record_get_enabled (source));
      gtk_widget_set_name (toggle, switch_name);
      gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (toggle, _ ("Sync reading positions through this source"));
      g_object_set_data (G_OBJECT (toggle), "source", source);
      g_signal_connect_object (toggle, "state-set", G_CALLBACK (switch_state_set_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
      gtk_widget_set_name (remove, remove_name);
      g_object_set_data (G_OBJECT (edit), "source", source);
      g_object_set_data (G_OBJECT (remove), "source", source);
      g_signal_connect_object (edit, "clicked", G_CALLBACK (edit_clicked_cb), self, 0);
      g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_clicked_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), edit);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }

  gtk_widget_set_visible (self->empty_row, self->sources->len == 0);
}

static void
list_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  KiosLibrarySyncPage  *self;

  all = kios_source_manager_list_finish (KIOS_SOURCE_MANAGER (source_object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_LIBRARY_SYNC_PAGE (user_data);
  self->loading = FALSE;
  if (all == NULL)
    {
      g_warning ("Could not read the library sources: %s", error->message);
      return;
    }
  /* The KOReader sync account has its own page. */
  g_ptr_array_set_size (self->sources, 0);
  for (guint i = 0; i < all->len; i++)
    {
      KiosSourceRecord *record = g_ptr_array_index (all, i);

      if (g_strcmp0 (record->kind, "opds") == 0 || g_strcmp0 (record->kind, "kobo") == 0)
        g_ptr_array_add (self->sources, kios_source_record_copy (record));
    }
  rebuild (self);
}

static void
kios_library_sync_page_dispose (GObject *object)
{
  KiosLibrarySyncPage *self = KIOS_LIBRARY_SYNC_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->sources, g_ptr_array_unref);

  G_OBJECT_CLASS (kios_library_sync_page_parent_class)->dispose (object);
}

static void
kios_library_sync_page_class_init (KiosLibrarySyncPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kios_library_sync_page_dispose;
}

static void
kios_library_sync_page_init (KiosLibrarySyncPage *self)
{
  GtkWidget *add = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  self->cancellable = g_cancellable_new ();
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_source_record_free);
  self->rows = g_ptr_array_new ();

  /* The seed documentation's menu name. */
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Library sync"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "folder-remote-symbolic");
  gtk_widget_set_name (GTK_WIDGET (self), "library-sync");

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _ ("Sources"));
  adw_preferences_group_set_description (self->group, _ ("OPDS catalogs and Kobo sync servers to browse and "
                                                         "download books from. Switch one off to stop syncing "
                                                         "reading positions through it. Passwords are kept in the "
                                                         "keyring."));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _ ("_Add Source…"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (add), content);
  gtk_widget_add_css_class (add, "flat");
  gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (add_clicked_cb), self);
  adw_preferences_group_set_header_suffix (self->group, add);

  self->empty_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->empty_row), _ ("No sources yet"));
  gtk_widget_add_css_class (self->empty_row, "dim-label");
  adw_preferences_group_add (self->group, self->empty_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
}

KiosLibrarySyncPage *
kios_library_sync_page_new (KiosLibraryStore *store)
{
  g_autoptr (KiosSourceManager) manager = NULL;

  g_return_val_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store), NULL);

  if (store != NULL)
    manager = kios_source_manager_new (store);
  return kios_library_sync_page_new_for_manager (manager);
}

KiosLibrarySyncPage *
kios_library_sync_page_new_for_manager (KiosSourceManager *manager)
{
  KiosLibrarySyncPage *self;

  g_return_val_if_fail (manager == NULL || KIOS_IS_SOURCE_MANAGER (manager), NULL);

  self = g_object_new (KIOS_TYPE_LIBRARY_SYNC_PAGE, NULL);
  if (manager != NULL)
    {
      self->manager = g_object_ref (manager);
      g_signal_connect_swapped (manager, "changed", G_CALLBACK (kios_library_sync_page_reload), self);
      kios_library_sync_page_reload (self);
    }
  return self;
}

void
kios_library_sync_page_reload (KiosLibrarySyncPage *self)
{
  g_return_if_fail (KIOS_IS_LIBRARY_SYNC_PAGE (self));

  if (self->manager == NULL)
    return;
  self->loading = TRUE;
  kios_source_manager_list_async (self->manager, self->cancellable, list_cb, self);
}

gboolean
kios_library_sync_page_is_loading (KiosLibrarySyncPage *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_SYNC_PAGE (self), FALSE);

  return self->loading;
}

guint
kios_library_sync_page_get_n_sources (KiosLibrarySyncPage *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_SYNC_PAGE (self), 0);

  return self->sources->len;
}
