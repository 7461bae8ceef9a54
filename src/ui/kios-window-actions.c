/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include "kios-reader-annotations.h"

#include <glib/gi18n.h>

#define FONT_SIZE_STEP 2.0

/* The window's actions (open, close, the library, contents, fullscreen, text
 * size), opening dropped files, and the reader view following the settings. */

static void
open_files (KiosWindow *self,
            GFile     **files,
            guint       n_files)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (n_files == 0)
    return;

  kios_window_open_file (self, files[0]);

  /* One window per book: the others open beside this one. */
  for (guint i = 1; i < n_files && KIOS_IS_APPLICATION (app); i++)
    {
      KiosWindow *window = kios_window_new (KIOS_APPLICATION (app));

      kios_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
file_chooser_response_cb (GtkNativeDialog *native,
                          int              response,
                          gpointer         user_data)
{
  g_autoptr (KiosWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) list = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
      g_autoptr (GPtrArray)  files = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        g_ptr_array_add (files, g_list_model_get_item (list, i));

      open_files (self, (GFile **) files->pdata, files->len);
    }

  g_object_unref (native);
}

static void
open_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  KiosWindow               *self = KIOS_WINDOW (user_data);
  GtkFileChooserNative     *native;
  g_autoptr (GtkFileFilter) books = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) epub = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) pdf = gtk_file_filter_new ();

  gtk_file_filter_set_name (books, _ ("E-books"));
  gtk_file_filter_add_mime_type (books, "application/epub+zip");
  gtk_file_filter_add_mime_type (books, "application/pdf");
  gtk_file_filter_add_suffix (books, "epub");
  gtk_file_filter_add_suffix (books, "pdf");
  gtk_file_filter_set_name (epub, _ ("EPUB books"));
  gtk_file_filter_add_mime_type (epub, "application/epub+zip");
  gtk_file_filter_add_suffix (epub, "epub");
  gtk_file_filter_set_name (pdf, _ ("PDF documents"));
  gtk_file_filter_add_mime_type (pdf, "application/pdf");
  gtk_file_filter_add_suffix (pdf, "pdf");

  native = gtk_file_chooser_native_new (_ ("Open a Book"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _ ("_Open"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), books);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), epub);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), pdf);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (native), books);

  g_signal_connect (native, "response", G_CALLBACK (file_chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
close_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
}

static void
show_library_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  kios_window_show_library (KIOS_WINDOW (user_data));
}

static void
bookmark_changed_cb (KiosWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "toggle-bookmark");
  gboolean bookmarked = kios_reader_view_get_page_bookmarked (self->reader_view);

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (bookmarked));
  /* "Add a bookmark" while there is none; the bookmark itself once there is. */
  gtk_button_set_icon_name (GTK_BUTTON (self->bookmark_button),
                            bookmarked ? "user-bookmarks-symbolic" : "bookmark-new-symbolic");
  kios_window_bookmark_tooltip_update (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->bookmark_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  bookmarked ? _ ("Remove Bookmark") : _ ("Bookmark This Page"),
                                  -1);
}

void
kios_window_bookmark_tooltip_update (KiosWindow *self)
{
  if (!self->tooltips_set)
    return;
  gtk_widget_set_tooltip_text (self->bookmark_button,
                               kios_reader_view_get_page_bookmarked (self->reader_view)
                                   ? _ ("Remove Bookmark (Ctrl+D)")
                                   : _ ("Bookmark This Page (Ctrl+D)"));
}

static void
toggle_contents_change_state (GSimpleAction *action,
                              GVariant      *state,
                              gpointer       user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  /* The reader view owns the sidebar; the action state follows it back. */
  g_object_set (self->reader_view, "contents-visible", g_variant_get_boolean (state), NULL);
}

static void
contents_visible_changed_cb (KiosWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "toggle-contents");
  gboolean visible = FALSE;

  g_object_get (self->reader_view, "contents-visible", &visible, NULL);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (visible));
}

static void
toggle_bookmark_change_state (GSimpleAction *action,
                              GVariant      *state,
                              gpointer       user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  /* The state follows the view's "bookmark-changed" once it is stored. */
  kios_reader_view_toggle_bookmark (self->reader_view);
  bookmark_changed_cb (self);
}

static void
show_annotations_activated (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  gtk_widget_activate_action (GTK_WIDGET (self->reader_view), "reader.show-annotations", NULL);
}

static void
fullscreen_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  GtkWindow *window = GTK_WINDOW (user_data);

  if (gtk_window_is_fullscreen (window))
    gtk_window_unfullscreen (window);
  else
    gtk_window_fullscreen (window);
}

static void
change_font_size (KiosWindow *self,
                  double      delta)
{
  double size = g_settings_get_double (self->settings, "font-size") + delta;

  /* The schema's range; GSettings refuses values outside it. */
  g_settings_set_double (self->settings, "font-size", CLAMP (size, 8.0, 48.0));
}

static void
font_larger_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  change_font_size (KIOS_WINDOW (user_data), FONT_SIZE_STEP);
}

static void
font_smaller_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  change_font_size (KIOS_WINDOW (user_data), -FONT_SIZE_STEP);
}

static void
font_reset_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  g_settings_reset (KIOS_WINDOW (user_data)->settings, "font-size");
}

static const GActionEntry win_actions[] = {
  { "open", open_activated },
  { "close", close_activated },
  { "show-library", show_library_activated },
  { "toggle-contents", NULL, NULL, "false", toggle_contents_change_state },
  { "toggle-bookmark", NULL, NULL, "false", toggle_bookmark_change_state },
  { "show-annotations", show_annotations_activated },
  { "fullscreen", fullscreen_activated },
  { "font-larger", font_larger_activated },
  { "font-smaller", font_smaller_activated },
  { "font-reset", font_reset_activated },
};

void
kios_window_book_activated_cb (KiosWindow *self,
                               const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);

  kios_window_open_file (self, file);
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  KiosWindow           *self = KIOS_WINDOW (user_data);
  GSList               *list;
  g_autoptr (GPtrArray) files = g_ptr_array_new ();

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  list = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  g_slist_free (list);

  open_files (self, (GFile **) files->pdata, files->len);
  return files->len > 0;
}

static void
bind_reader_setting (KiosWindow *self,
                     const char *key)
{
  /* The reader view follows the settings; a missing property is a contract
   * break worth one warning, not a crash. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->reader_view), key) == NULL)
    {
      g_warning ("KiosReaderView has no “%s” property", key);
      return;
    }

  g_settings_bind (self->settings, key, self->reader_view, key, G_SETTINGS_BIND_DEFAULT);
}

void
kios_window_actions_init (KiosWindow *self)
{
  g_autoptr (GAction) theme_action = NULL;
  GtkDropTarget      *drop_target;

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  theme_action = g_settings_create_action (self->settings, "theme");
  g_action_map_add_action (G_ACTION_MAP (self), theme_action);

  bind_reader_setting (self, "font-size");
  bind_reader_setting (self, "theme");
  bind_reader_setting (self, "margin");
  bind_reader_setting (self, "line-spacing");
  bind_reader_setting (self, "pdf-fit");

  g_signal_connect_object (self->reader_view, "notify::contents-visible", G_CALLBACK (contents_visible_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reader_view, "bookmark-changed", G_CALLBACK (bookmark_changed_cb), self, G_CONNECT_SWAPPED);

  drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop_target, "drop", G_CALLBACK (drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop_target));
}
