/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-folders-page"

#include "config.h"

#include "kios-library-folders-page.h"

#include "kios-application.h"
#include "kios-error-messages.h"

#include <glib/gi18n.h>

struct _KiosLibraryFoldersPage
{
  AdwPreferencesPage parent_instance;

  KiosLibrary  *library;
  GCancellable *cancellable;
  GStrv         folders;
  GPtrArray    *rows; /* the folder rows in the group */

  AdwPreferencesGroup *group;
  AdwPreferencesGroup *koreader_group;
  GPtrArray           *share_rows;      /* one switch row per folder */
  AdwActionRow        *docsettings_row; /* KOReader's central folder */
  GtkWidget           *docsettings_clear;
  GSettings           *settings;
  AdwActionRow        *progress_row;
  GtkProgressBar      *progress_bar;
  GtkLabel            *error_label;

  guint busy;
};

G_DEFINE_FINAL_TYPE (KiosLibraryFoldersPage, kios_library_folders_page, ADW_TYPE_PREFERENCES_PAGE)

typedef enum {
  FOLDER_LIST,
  FOLDER_ADD,
  FOLDER_REMOVE,
} FolderOp;

typedef struct
{
  KiosLibrary *library;
  FolderOp     op;
  char        *dir;
} FolderTask;

static void
folder_task_free (FolderTask *task)
{
  g_clear_object (&task->library);
  g_free (task->dir);
  g_free (task);
}

static void
folder_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FolderTask *data = task_data;
  GError     *error = NULL;
  gboolean    ok = TRUE;

  if (data->op == FOLDER_ADD)
    ok = kios_library_add_folder (data->library, data->dir, &error);
  else if (data->op == FOLDER_REMOVE)
    ok = kios_library_remove_folder (data->library, data->dir, &error);

  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, kios_library_list_folders (data->library), (GDestroyNotify) g_strfreev);
}

static void run_folder_op (KiosLibraryFoldersPage *self,
                           FolderOp                op,
                           const char             *dir);

static void
remove_clicked_cb (GtkButton *button,
                   gpointer   user_data)
{
  KiosLibraryFoldersPage *self = KIOS_LIBRARY_FOLDERS_PAGE (user_data);

  kios_library_folders_page_remove_folder (self, g_object_get_data (G_OBJECT (button), "dir"));
}

/* ---- sharing with KOReader ---- */

static gboolean
folder_is_shared (KiosLibraryFoldersPage *self,
                  const char             *dir)
{
  g_auto (GStrv) shared = g_settings_get_strv (self->settings, "koreader-sidecar-folders");

  return g_strv_contains ((const char *const *) shared, dir);
}

static void
share_switch_cb (GtkSwitch              *toggle,
                 GParamSpec             *pspec,
                 KiosLibraryFoldersPage *self)
{
  const char              *dir = g_object_get_data (G_OBJECT (toggle), "dir");
  g_auto (GStrv)           shared = g_settings_get_strv (self->settings, "koreader-sidecar-folders");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv)           folders = NULL;
  gboolean                 on = gtk_switch_get_active (toggle);

  if (on == g_strv_contains ((const char *const *) shared, dir))
    return;
  for (guint i = 0; shared[i] != NULL; i++)
    if (g_strcmp0 (shared[i], dir) != 0)
      g_strv_builder_add (builder, shared[i]);
  if (on)
    g_strv_builder_add (builder, dir);
  folders = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "koreader-sidecar-folders", (const char *const *) folders);
}

static void
rebuild_share_rows (KiosLibraryFoldersPage *self)
{
  for (guint i = 0; i < self->share_rows->len; i++)
    adw_preferences_group_remove (self->koreader_group, g_ptr_array_index (self->share_rows, i));
  g_ptr_array_set_size (self->share_rows, 0);

  for (guint i = 0; self->folders != NULL && self->folders[i] != NULL; i++)
    {
      g_autofree char *name = g_path_get_basename (self->folders[i]);
      g_autofree char *subtitle = NULL;
      GtkWidget       *row = adw_action_row_new ();
      GtkWidget       *toggle = gtk_switch_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Share Highlights with KOReader"));
      /* Translators: %s is a books folder's name. */
      subtitle = g_strdup_printf (_ ("Kios reads and writes KOReader’s .sdr files next to the books in “%s”"), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_name (row, "share-koreader-row");
      gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
      gtk_widget_set_name (toggle, "share-koreader");
      gtk_switch_set_active (GTK_SWITCH (toggle), folder_is_shared (self, self->folders[i]));
      g_object_set_data_full (G_OBJECT (toggle), "dir", g_strdup (self->folders[i]), g_free);
      g_signal_connect_object (toggle, "notify::active", G_CALLBACK (share_switch_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
      adw_preferences_group_add (self->koreader_group, row);
      g_ptr_array_add (self->share_rows, row);
    }

  /* The central folder stays last, under the switches. */
  g_object_ref (self->docsettings_row);
  adw_preferences_group_remove (self->koreader_group, GTK_WIDGET (self->docsettings_row));
  adw_preferences_group_add (self->koreader_group, GTK_WIDGET (self->docsettings_row));
  g_object_unref (self->docsettings_row);
}

static void
update_docsettings_row (KiosLibraryFoldersPage *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "koreader-docsettings-folder");
  g_autofree char *display = NULL;

  if (*folder == '\0')
    {
      adw_action_row_set_subtitle (self->docsettings_row,
                                   _ ("None: KOReader keeps its files next to the books"));
      gtk_widget_set_sensitive (self->docsettings_clear, FALSE);
      return;
    }
  display = g_filename_display_name (folder);
  adw_action_row_set_subtitle (self->docsettings_row, display);
  gtk_widget_set_sensitive (self->docsettings_clear, TRUE);
}

static void
docsettings_response_cb (GtkNativeDialog        *chooser,
                         int                     response,
                         KiosLibraryFoldersPage *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char  *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    g_settings_set_string (self->settings, "koreader-docsettings-folder", path);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
docsettings_choose_cb (KiosLibraryFoldersPage *self)
{
  GtkRoot              *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_ ("Choose KOReader’s Settings Folder"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Choose"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (docsettings_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
docsettings_clear_cb (KiosLibraryFoldersPage *self)
{
  g_settings_set_string (self->settings, "koreader-docsettings-folder", "");
}

static void
add_koreader_group (KiosLibraryFoldersPage *self)
{
  GtkWidget *choose;
  GtkWidget *box;

  self->koreader_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->koreader_group, _ ("Highlights and KOReader"));
  adw_preferences_group_set_description (
      self->koreader_group,
      _ ("Kios can share highlights, notes and bookmarks with KOReader through the files KOReader keeps on disk. "
         "Only files on this computer are read and written: nothing goes to a server."));

  self->docsettings_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->docsettings_row), _ ("KOReader’s Settings Folder"));
  gtk_widget_set_name (GTK_WIDGET (self->docsettings_row), "koreader-docsettings-row");
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  choose = gtk_button_new_with_mnemonic (_ ("C_hoose…"));
  gtk_widget_set_name (choose, "koreader-docsettings-choose");
  g_signal_connect_swapped (choose, "clicked", G_CALLBACK (docsettings_choose_cb), self);
  self->docsettings_clear = gtk_button_new_with_mnemonic (_ ("C_lear"));
  gtk_widget_set_name (self->docsettings_clear, "koreader-docsettings-clear");
  g_signal_connect_swapped (self->docsettings_clear, "clicked", G_CALLBACK (docsettings_clear_cb), self);
  gtk_box_append (GTK_BOX (box), choose);
  gtk_box_append (GTK_BOX (box), self->docsettings_clear);
  adw_action_row_add_suffix (self->docsettings_row, box);
  adw_preferences_group_add (self->koreader_group, GTK_WIDGET (self->docsettings_row));

  g_signal_connect_object (self->settings, "changed::koreader-docsettings-folder",
                           G_CALLBACK (update_docsettings_row), self, G_CONNECT_SWAPPED);
  update_docsettings_row (self);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->koreader_group);
}

/* ---- the folders ---- */

static void
rebuild_rows (KiosLibraryFoldersPage *self)
{
  rebuild_share_rows (self);

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  if (self->folders == NULL || self->folders[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("No books folder"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _ ("Books you open stay where they are"));
      gtk_widget_add_css_class (row, "dim-label");
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
      return;
    }

  for (guint i = 0; self->folders[i] != NULL; i++)
    {
      g_autofree char *name = g_path_get_basename (self->folders[i]);
      g_autofree char *display = g_filename_display_name (self->folders[i]);
      g_autofree char *label = NULL;
      GtkWidget       *row = adw_action_row_new ();
      GtkWidget       *button = gtk_button_new_from_icon_name ("user-trash-symbolic");
      GtkWidget       *icon = gtk_image_new_from_icon_name ("folder-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), display);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_widget_set_name (row, "folder-row");

      gtk_widget_set_name (button, "remove-folder");
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, _ ("Remove Folder"));
      /* Translators: for screen readers; %s is a folder's name. */
      label = g_strdup_printf (_ ("Remove %s"), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      g_object_set_data_full (G_OBJECT (button), "dir", g_strdup (self->folders[i]), g_free);
      g_signal_connect_object (button, "clicked", G_CALLBACK (remove_clicked_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
}

static void
rescan_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* Progress and its end arrive as "import-progress". */
  if (!kios_library_rescan_finish (KIOS_LIBRARY (source_object), result, NULL, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not import the books folders: %s", error->message);
}

static void
folder_op_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  KiosLibraryFoldersPage *self = KIOS_LIBRARY_FOLDERS_PAGE (source_object);
  FolderTask             *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError)      error = NULL;
  GStrv                   folders;

  self->busy--;
  folders = g_task_propagate_pointer (G_TASK (result), &error);
  if (folders == NULL)
    {
      g_autofree char *sentence = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      sentence = kios_error_describe (error, NULL, NULL, NULL);
      gtk_label_set_label (self->error_label, sentence);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  g_strfreev (self->folders);
  self->folders = folders;
  rebuild_rows (self);

  /* A new folder is imported at once, in the background, and on after the
   * window closes. */
  if (data->op == FOLDER_ADD)
    kios_library_rescan_async (self->library, NULL, rescan_cb, NULL);
}

static void
run_folder_op (KiosLibraryFoldersPage *self,
               FolderOp                op,
               const char             *dir)
{
  g_autoptr (GTask) task = NULL;
  FolderTask       *data = g_new0 (FolderTask, 1);

  data->library = g_object_ref (self->library);
  data->op = op;
  data->dir = g_strdup (dir);
  self->busy++;
  task = g_task_new (self, self->cancellable, folder_op_cb, NULL);
  g_task_set_source_tag (task, run_folder_op);
  g_task_set_task_data (task, data, (GDestroyNotify) folder_task_free);
  g_task_run_in_thread (task, folder_worker);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  KiosLibraryFoldersPage *self = KIOS_LIBRARY_FOLDERS_PAGE (user_data);
  g_autoptr (GFile)       file = NULL;
  g_autofree char        *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    kios_library_folders_page_add_folder (self, path);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
add_clicked_cb (KiosLibraryFoldersPage *self)
{
  GtkRoot              *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_ ("Add Books Folder"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Add"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
import_progress_cb (KiosLibraryFoldersPage *self,
                    guint                   done,
                    guint                   total)
{
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), done < total);
  if (done >= total)
    return;

  /* Translators: the books folders' import, e.g. "120 of 10,000 books". */
  text = g_strdup_printf (_ ("%u of %u books"), done, total);
  adw_action_row_set_subtitle (self->progress_row, text);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) done / total : 0.0);
}

static void
kios_library_folders_page_dispose (GObject *object)
{
  KiosLibraryFoldersPage *self = KIOS_LIBRARY_FOLDERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kios_library_folders_page_parent_class)->dispose (object);
}

static void
kios_library_folders_page_finalize (GObject *object)
{
  KiosLibraryFoldersPage *self = KIOS_LIBRARY_FOLDERS_PAGE (object);

  g_clear_pointer (&self->folders, g_strfreev);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->share_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (kios_library_folders_page_parent_class)->finalize (object);
}

static void
kios_library_folders_page_class_init (KiosLibraryFoldersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_library_folders_page_dispose;
  object_class->finalize = kios_library_folders_page_finalize;
}

static void
kios_library_folders_page_init (KiosLibraryFoldersPage *self)
{
  GtkWidget *add_button;
  GtkWidget *content;

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  self->share_rows = g_ptr_array_new ();
  self->settings = g_settings_new (KIOS_SETTINGS_SCHEMA);

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _ ("Library"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "folder-symbolic");
  gtk_widget_set_name (GTK_WIDGET (self), "library-folders-page");

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _ ("Books Folders"));
  adw_preferences_group_set_description (self->group,
                                         _ ("Kios adds every EPUB and PDF below these folders, and notices books added, moved or removed there."));

  add_button = gtk_button_new ();
  content = adw_button_content_new ();
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _ ("_Add Folder…"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (add_button), content);
  gtk_widget_add_css_class (add_button, "flat");
  gtk_widget_set_name (add_button, "add-folder");
  g_signal_connect_swapped (add_button, "clicked", G_CALLBACK (add_clicked_cb), self);
  adw_preferences_group_set_header_suffix (self->group, add_button);

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->error_label), 12);
  adw_preferences_group_add (self->group, GTK_WIDGET (self->error_label));

  self->progress_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), _ ("Adding Books…"));
  self->progress_bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->progress_bar), GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (GTK_WIDGET (self->progress_bar), 120, -1);
  adw_action_row_add_suffix (self->progress_row, GTK_WIDGET (self->progress_bar));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), FALSE);
  gtk_widget_set_name (GTK_WIDGET (self->progress_row), "import-progress");
  adw_preferences_group_add (self->group, GTK_WIDGET (self->progress_row));

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
  add_koreader_group (self);
}

KiosLibraryFoldersPage *
kios_library_folders_page_new (KiosLibrary *library)
{
  KiosLibraryFoldersPage *self;

  g_return_val_if_fail (KIOS_IS_LIBRARY (library), NULL);

  self = g_object_new (KIOS_TYPE_LIBRARY_FOLDERS_PAGE, NULL);
  self->library = g_object_ref (library);
  g_signal_connect_object (library, "import-progress", G_CALLBACK (import_progress_cb), self, G_CONNECT_SWAPPED);
  run_folder_op (self, FOLDER_LIST, NULL);
  return self;
}

void
kios_library_folders_page_add_folder (KiosLibraryFoldersPage *self,
                                      const char             *dir)
{
  g_return_if_fail (KIOS_IS_LIBRARY_FOLDERS_PAGE (self));
  g_return_if_fail (dir != NULL);

  run_folder_op (self, FOLDER_ADD, dir);
}

void
kios_library_folders_page_remove_folder (KiosLibraryFoldersPage *self,
                                         const char             *dir)
{
  g_return_if_fail (KIOS_IS_LIBRARY_FOLDERS_PAGE (self));
  g_return_if_fail (dir != NULL);

  run_folder_op (self, FOLDER_REMOVE, dir);
}

gboolean
kios_library_folders_page_is_busy (KiosLibraryFoldersPage *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_FOLDERS_PAGE (self), FALSE);

  return self->busy > 0;
}

const char *const *
kios_library_folders_page_get_folders (KiosLibraryFoldersPage *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (KIOS_IS_LIBRARY_FOLDERS_PAGE (self), NULL);

  return self->folders != NULL ? (const char *const *) self->folders : none;
}
