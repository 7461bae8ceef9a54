/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-sync-page"

#include "config.h"

#include "kios-library-sync-page.h"

#include "kios-kobo-library.h"
#include "kios-redact.h"
#include "kios-source-dialog.h"
#include "kios-sync-source.h"

#include <glib/gi18n.h>

struct _KiosLibrarySyncPage
{
  AdwPreferencesPage parent_instance;

  KiosLibraryStore *store;
  GCancellable     *cancellable;
  GPtrArray        *sources; /* KiosSourceRecord* */
  gboolean          loading;

  AdwPreferencesGroup *group;
  GPtrArray           *rows; /* the rows now in the group */
  GtkWidget           *empty_row;
};

G_DEFINE_FINAL_TYPE (KiosLibrarySyncPage, kios_library_sync_page, ADW_TYPE_PREFERENCES_PAGE)

static GtkWindow *
parent_window (KiosLibrarySyncPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
saved_cb (KiosLibrarySyncPage *self)
{
  kios_library_sync_page_reload (self);
}

static void
open_dialog (KiosLibrarySyncPage    *self,
             const KiosSourceRecord *source)
{
  KiosSourceDialog *dialog;

  if (self->store == NULL)
    return;
  dialog = kios_source_dialog_new (parent_window (self), self->store, source);
  g_signal_connect_object (dialog, "saved", G_CALLBACK (saved_cb), self, G_CONNECT_SWAPPED);
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

typedef struct
{
  KiosLibraryStore *store;
  char             *name;
} Removal;

static void
removal_free (Removal *removal)
{
  g_clear_object (&removal->store);
  g_free (removal->name);
  g_free (removal);
}

static void
remove_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Removal    *removal = task_data;
  const char *name = removal->name;
  GError     *error = NULL;

  /* The store row goes first: a source without secrets is harmless, secrets
   * without a source would be forgotten in the keyring. A Kobo shelf's
   * catalog is found through the source, so it goes before the source. */
  kios_kobo_catalog_clear (removal->store, name);
  if (!kios_library_store_remove_source (removal->store, name, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!kios_sync_source_clear_secrets (name, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
remove_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError)   error = NULL;
  KiosLibrarySyncPage *self;

  if (!g_task_propagate_boolean (G_TASK (result), &error) && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_LIBRARY_SYNC_PAGE (source_object);
  if (error != NULL)
    {
      g_autofree char *shown = kios_redact_text (error->message);
      GtkWidget       *dialog = adw_message_dialog_new (parent_window (self), _ ("Could Not Remove the Source"), shown);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  kios_library_sync_page_reload (self);
}

static void
remove_response_cb (AdwMessageDialog    *dialog,
                    const char          *response,
                    KiosLibrarySyncPage *self)
{
  g_autoptr (GTask) task = NULL;
  Removal          *removal;

  if (g_strcmp0 (response, "remove") != 0 || self->store == NULL)
    return;

  removal = g_new0 (Removal, 1);
  removal->store = g_object_ref (self->store);
  removal->name = g_strdup (g_object_get_data (G_OBJECT (dialog), "name"));
  task = g_task_new (self, self->cancellable, remove_cb, NULL);
  g_task_set_source_tag (task, remove_response_cb);
  g_task_set_task_data (task, removal, (GDestroyNotify) removal_free);
  g_task_run_in_thread (task, remove_worker);
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
list_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KiosLibraryStore *store = task_data;
  GError           *error = NULL;
  GPtrArray        *all = kios_library_store_list_sources (store, &error);
  GPtrArray        *shown;

  if (all == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  shown = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_source_record_free);
  for (guint i = 0; i < all->len; i++)
    {
      KiosSourceRecord *record = g_ptr_array_index (all, i);

      if (g_strcmp0 (record->kind, "opds") == 0 || g_strcmp0 (record->kind, "kobo") == 0)
        g_ptr_array_add (shown, kios_source_record_copy (record));
    }
  g_ptr_array_unref (all);
  g_task_return_pointer (task, shown, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) sources = NULL;
  KiosLibrarySyncPage  *self;

  sources = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_LIBRARY_SYNC_PAGE (source_object);
  self->loading = FALSE;
  if (sources == NULL)
    {
      g_warning ("Could not read the library sources: %s", error->message);
      return;
    }
  g_ptr_array_unref (self->sources);
  self->sources = g_steal_pointer (&sources);
  rebuild (self);
}

static void
kios_library_sync_page_dispose (GObject *object)
{
  KiosLibrarySyncPage *self = KIOS_LIBRARY_SYNC_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
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

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Library Sync"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "folder-remote-symbolic");
  gtk_widget_set_name (GTK_WIDGET (self), "library-sync");

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _ ("Sources"));
  adw_preferences_group_set_description (self->group, _ ("OPDS catalogs and Kobo sync servers to browse and "
                                                         "download books from. Passwords are kept in the keyring."));
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
  KiosLibrarySyncPage *self = g_object_new (KIOS_TYPE_LIBRARY_SYNC_PAGE, NULL);

  g_return_val_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store), self);

  if (store != NULL)
    {
      self->store = g_object_ref (store);
      kios_library_sync_page_reload (self);
    }
  return self;
}

void
kios_library_sync_page_reload (KiosLibrarySyncPage *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_SYNC_PAGE (self));

  if (self->store == NULL)
    return;
  self->loading = TRUE;
  task = g_task_new (self, self->cancellable, list_cb, NULL);
  g_task_set_source_tag (task, kios_library_sync_page_reload);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, list_worker);
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
