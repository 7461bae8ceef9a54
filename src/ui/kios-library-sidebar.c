/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-sidebar"

#include "config.h"

#include "kios-library-sidebar.h"

#include <glib/gi18n.h>
#include <string.h>

struct _KiosLibrarySidebar
{
  AdwBin parent_instance;

  KiosLibraryStore *store;
  GCancellable     *cancellable; /* the sources being read */
  GPtrArray        *sources;     /* KiosSourceRecord*, shown ones */
  char             *selected;
  char             *pending_select; /* chosen once the reload shows it */
  gboolean          quiet;          /* selecting from code without a signal */

  GtkListBox *list;
  GtkWidget  *sources_header;
};

G_DEFINE_FINAL_TYPE (KiosLibrarySidebar, kios_library_sidebar, ADW_TYPE_BIN)

enum {
  SIGNAL_SELECTED,
  SIGNAL_ADD_SOURCE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GtkWidget *
create_row (const char *id,
            const char *icon_name,
            const char *title)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name (icon_name);
  GtkWidget *label = gtk_label_new (title);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_tooltip_text (row, title);
  g_object_set_data_full (G_OBJECT (row), "row-id", g_strdup (id), g_free);
  return row;
}

static GtkListBoxRow *
find_row (KiosLibrarySidebar *self,
          const char         *id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_BOX_ROW (child) && g_strcmp0 (g_object_get_data (G_OBJECT (child), "row-id"), id) == 0)
        return GTK_LIST_BOX_ROW (child);
    }
  return NULL;
}

static void
row_selected_cb (KiosLibrarySidebar *self,
                 GtkListBoxRow      *row)
{
  const char *id;

  if (row == NULL)
    return;
  id = g_object_get_data (G_OBJECT (row), "row-id");
  if (id == NULL || g_strcmp0 (id, self->selected) == 0)
    return;

  g_free (self->selected);
  self->selected = g_strdup (id);
  if (!self->quiet)
    g_signal_emit (self, signals[SIGNAL_SELECTED], 0, id);
}

static void
rebuild_sources (KiosLibrarySidebar *self)
{
  GtkWidget       *child;
  g_autofree char *previous = g_strdup (self->selected);

  /* The fixed rows stay; the sources come after the header. */
  while ((child = gtk_widget_get_next_sibling (self->sources_header)) != NULL)
    gtk_list_box_remove (self->list, child);

  for (guint i = 0; i < self->sources->len; i++)
    {
      const KiosSourceRecord *source = g_ptr_array_index (self->sources, i);
      g_autofree char        *id = g_strconcat ("source:", source->name, NULL);

      /* Kobo sync shelves look different from OPDS catalogs. */
      gtk_list_box_append (self->list, create_row (id,
                                                   g_strcmp0 (source->kind, "kobo") == 0 ? "folder-remote-symbolic"
                                                                                         : "network-server-symbolic",
                                                   source->name));
    }
  gtk_widget_set_visible (self->sources_header, self->sources->len > 0);

  if (self->pending_select != NULL && find_row (self, self->pending_select) != NULL)
    {
      g_autofree char *id = g_steal_pointer (&self->pending_select);

      gtk_list_box_select_row (self->list, find_row (self, id));
      return;
    }

  /* The selected source may be gone (removed in Settings): back to the start. */
  if (previous != NULL && find_row (self, previous) != NULL)
    {
      self->quiet = TRUE;
      gtk_list_box_select_row (self->list, find_row (self, previous));
      self->quiet = FALSE;
    }
  else
    {
      g_clear_pointer (&self->selected, g_free);
      gtk_list_box_select_row (self->list, find_row (self, "recent"));
    }
}

static void
list_sources_worker (GTask        *task,
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

  /* Library sources only: the KOReader sync account lives in Settings. */
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
list_sources_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) sources = NULL;
  KiosLibrarySidebar   *self;

  sources = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_LIBRARY_SIDEBAR (source_object);
  g_clear_object (&self->cancellable);
  if (sources == NULL)
    {
      g_warning ("Could not read the library sources: %s", error->message);
      return;
    }

  g_ptr_array_unref (self->sources);
  self->sources = g_steal_pointer (&sources);
  rebuild_sources (self);
}

static void
add_clicked_cb (KiosLibrarySidebar *self)
{
  g_signal_emit (self, signals[SIGNAL_ADD_SOURCE], 0);
}

static void
kios_library_sidebar_dispose (GObject *object)
{
  KiosLibrarySidebar *self = KIOS_LIBRARY_SIDEBAR (object);

  /* Rows going away must not announce a new selection. */
  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->sources, g_ptr_array_unref);
  g_clear_pointer (&self->selected, g_free);
  g_clear_pointer (&self->pending_select, g_free);

  G_OBJECT_CLASS (kios_library_sidebar_parent_class)->dispose (object);
}

static void
kios_library_sidebar_class_init (KiosLibrarySidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_library_sidebar_dispose;

  signals[SIGNAL_SELECTED] = g_signal_new ("selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                           NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ADD_SOURCE] = g_signal_new ("add-source", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                             NULL, NULL, G_TYPE_NONE, 0);
}

static void
kios_library_sidebar_init (KiosLibrarySidebar *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *add;
  GtkWidget *add_content;
  GtkWidget *label;

  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_source_record_free);

  gtk_widget_add_css_class (GTK_WIDGET (self), "library-sidebar");
  gtk_widget_set_size_request (GTK_WIDGET (self), 220, -1);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "navigation-sidebar");
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_BROWSE);
  gtk_list_box_append (self->list, create_row ("recent", "document-open-recent-symbolic", _ ("Continue Reading")));
  gtk_list_box_append (self->list, create_row ("local", "computer-symbolic", _ ("On This Computer")));

  /* "Libraries": a heading, not a destination. */
  self->sources_header = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self->sources_header), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (self->sources_header), FALSE);
  gtk_widget_set_can_focus (self->sources_header, FALSE);
  label = gtk_label_new (_ ("Libraries"));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self->sources_header), label);
  gtk_widget_set_visible (self->sources_header, FALSE);
  gtk_list_box_append (self->list, self->sources_header);

  g_signal_connect_swapped (self->list, "row-selected", G_CALLBACK (row_selected_cb), self);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->list));
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (box), scrolled);

  add = gtk_button_new ();
  add_content = adw_button_content_new ();
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (add_content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (add_content), _ ("_Add Source…"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (add_content), TRUE);
  gtk_widget_set_halign (add_content, GTK_ALIGN_CENTER);
  gtk_button_set_child (GTK_BUTTON (add), add_content);
  gtk_widget_set_tooltip_text (add, _ ("Add an OPDS catalog"));
  gtk_widget_add_css_class (add, "flat");
  gtk_widget_set_margin_top (add, 6);
  gtk_widget_set_margin_bottom (add, 6);
  gtk_widget_set_margin_start (add, 6);
  gtk_widget_set_margin_end (add, 6);
  gtk_widget_set_name (add, "add-source");
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (add_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
  gtk_box_append (GTK_BOX (box), add);

  adw_bin_set_child (ADW_BIN (self), box);

  /* The start view is the default destination. */
  self->quiet = TRUE;
  gtk_list_box_select_row (self->list, find_row (self, "recent"));
  self->quiet = FALSE;
}

KiosLibrarySidebar *
kios_library_sidebar_new (void)
{
  return g_object_new (KIOS_TYPE_LIBRARY_SIDEBAR, NULL);
}

void
kios_library_sidebar_set_store (KiosLibrarySidebar *self,
                                KiosLibraryStore   *store)
{
  g_return_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (g_set_object (&self->store, store))
    kios_library_sidebar_reload (self);
}

void
kios_library_sidebar_reload (KiosLibrarySidebar *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->store == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, list_sources_cb, NULL);
  g_task_set_source_tag (task, kios_library_sidebar_reload);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, list_sources_worker);
}

void
kios_library_sidebar_reload_and_select (KiosLibrarySidebar *self,
                                        const char         *id)
{
  g_return_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self));

  g_free (self->pending_select);
  self->pending_select = g_strdup (id);
  kios_library_sidebar_reload (self);
}

gboolean
kios_library_sidebar_is_loading (KiosLibrarySidebar *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self), FALSE);

  return self->cancellable != NULL;
}

const char *
kios_library_sidebar_get_selected (KiosLibrarySidebar *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self), NULL);

  return self->selected != NULL ? self->selected : "recent";
}

gboolean
kios_library_sidebar_select (KiosLibrarySidebar *self,
                             const char         *id)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  row = find_row (self, id);
  if (row == NULL)
    return FALSE;

  gtk_list_box_select_row (self->list, row);
  return TRUE;
}

guint
kios_library_sidebar_get_n_sources (KiosLibrarySidebar *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self), 0);

  return self->sources->len;
}

const KiosSourceRecord *
kios_library_sidebar_get_source (KiosLibrarySidebar *self,
                                 const char         *id)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_SIDEBAR (self), NULL);

  if (id == NULL || !g_str_has_prefix (id, "source:"))
    return NULL;
  for (guint i = 0; i < self->sources->len; i++)
    {
      const KiosSourceRecord *source = g_ptr_array_index (self->sources, i);

      if (g_str_equal (source->name, id + strlen ("source:")))
        return source;
    }
  return NULL;
}
