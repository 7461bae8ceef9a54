/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include "kios-source-dialog.h"

/* The library: its sidebar, the catalogs and a book's details. */

static void
library_selected_cb (KiosWindow *self,
                     const char *id)
{
  const KiosSourceRecord *source = kios_library_sidebar_get_source (self->library_sidebar, id);

  /* Leaving a catalog stops its requests and any download in progress. */
  kios_book_detail_clear (self->book_detail);
  if (source != NULL)
    {
      kios_catalog_view_set_source (self->catalog_view, source);
      gtk_stack_set_visible_child_name (self->library_stack, "catalog");
    }
  else
    {
      kios_catalog_view_set_source (self->catalog_view, NULL);
      if (g_strcmp0 (id, "local") == 0)
        {
          kios_local_books_reload (self->local_books);
          gtk_stack_set_visible_child_name (self->library_stack, "local");
        }
      else
        {
          kios_start_view_reload (self->start_view);
          gtk_stack_set_visible_child_name (self->library_stack, "recent");
        }
    }

  /* A folded sidebar gets out of the way once something is chosen. */
  if (adw_flap_get_folded (self->library_flap))
    adw_flap_set_reveal_flap (self->library_flap, FALSE);
}

static void
source_saved_cb (KiosWindow *self,
                 const char *name)
{
  g_autofree char *id = g_strconcat ("source:", name, NULL);

  kios_library_sidebar_reload_and_select (self->library_sidebar, id);
}

static void
add_source_cb (KiosWindow *self)
{
  KiosSourceDialog *dialog;

  if (self->store == NULL)
    return;
  {
    GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

    /* The application's manager, so every window and the sync service see
     * the new source; a window without one (tests) makes its own. */
    if (KIOS_IS_APPLICATION (app) && kios_application_get_source_manager (KIOS_APPLICATION (app)) != NULL)
      dialog = kios_source_dialog_new_for_manager (GTK_WINDOW (self),
                                                   kios_application_get_source_manager (KIOS_APPLICATION (app)),
                                                   NULL);
    else
      dialog = kios_source_dialog_new (GTK_WINDOW (self), self->store, NULL);
  }
  g_signal_connect_object (dialog, "saved", G_CALLBACK (source_saved_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
catalog_book_activated_cb (KiosWindow          *self,
                           const KiosOpdsEntry *entry,
                           GdkTexture          *cover)
{
  if (kios_catalog_view_get_source_name (self->catalog_view) == NULL)
    return;
  kios_book_detail_show (self->book_detail, self->catalog_view, entry, cover);
  gtk_stack_set_visible_child_name (self->library_stack, "detail");
}

static void
detail_back_cb (KiosWindow *self)
{
  gtk_stack_set_visible_child_name (self->library_stack, "catalog");
}

static void
detail_read_cb (KiosWindow *self,
                const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);

  kios_window_open_file (self, file);
}

void
kios_window_library_active_cb (KiosWindow *self)
{
  /* Sources may have changed in Settings meanwhile. */
  if (gtk_window_is_active (GTK_WINDOW (self)) && self->store != NULL && self->library_sidebar != NULL &&
      (self->started || !self->deferring))
    kios_library_sidebar_reload (self->library_sidebar);
}

static GtkWidget *
add_library_page (GtkStack   *stack,
                  GtkWidget  *child,
                  const char *name)
{
  gtk_stack_add_named (stack, child, name);
  return child;
}

/**
 * kios_window_library_ensure:
 * @self: the window
 *
 * Makes the library's widgets (its sidebar, and the start view, local
 * books, a catalog and a book's detail) the first time they are needed: a
 * window started on a book makes them only when the library is shown.
 */
void
kios_window_library_ensure (KiosWindow *self)
{
  GtkWidget *sidebar;

  if (self->library_flap != NULL)
    return;

  self->library_flap = ADW_FLAP (adw_flap_new ());
  adw_flap_set_swipe_to_open (self->library_flap, TRUE);
  adw_flap_set_swipe_to_close (self->library_flap, TRUE);
  sidebar = g_object_new (KIOS_TYPE_LIBRARY_SIDEBAR, NULL);
  gtk_widget_add_css_class (sidebar, "background");
  self->library_sidebar = KIOS_LIBRARY_SIDEBAR (sidebar);
  adw_flap_set_flap (self->library_flap, sidebar);
  adw_flap_set_separator (self->library_flap, gtk_separator_new (GTK_ORIENTATION_VERTICAL));

  self->library_stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->library_stack), TRUE);
  gtk_stack_set_hhomogeneous (self->library_stack, FALSE);
  gtk_stack_set_vhomogeneous (self->library_stack, FALSE);
  gtk_stack_set_transition_type (self->library_stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  self->start_view =
      KIOS_START_VIEW (add_library_page (self->library_stack, g_object_new (KIOS_TYPE_START_VIEW, NULL), "recent"));
  self->local_books =
      KIOS_LOCAL_BOOKS (add_library_page (self->library_stack, g_object_new (KIOS_TYPE_LOCAL_BOOKS, NULL), "local"));
  self->catalog_view =
      KIOS_CATALOG_VIEW (add_library_page (self->library_stack, g_object_new (KIOS_TYPE_CATALOG_VIEW, NULL), "catalog"));
  self->book_detail =
      KIOS_BOOK_DETAIL (add_library_page (self->library_stack, g_object_new (KIOS_TYPE_BOOK_DETAIL, NULL), "detail"));
  adw_flap_set_content (self->library_flap, GTK_WIDGET (self->library_stack));
  /* Hidden until the window shows it (not while a book is read). */
  gtk_widget_set_visible (GTK_WIDGET (self->library_flap), FALSE);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->library_flap), "library");

  g_object_bind_property (self->library_flap, "reveal-flap", self->library_sidebar_button, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->start_view, "book-activated", G_CALLBACK (kios_window_book_activated_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library_sidebar, "selected", G_CALLBACK (library_selected_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library_sidebar, "add-source", G_CALLBACK (add_source_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->local_books, "book-activated", G_CALLBACK (kios_window_book_activated_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->catalog_view, "book-activated", G_CALLBACK (catalog_book_activated_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->book_detail, "back", G_CALLBACK (detail_back_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->book_detail, "read", G_CALLBACK (detail_read_cb), self, G_CONNECT_SWAPPED);

  /* Made after the deferred start: they list what the store has now. */
  if (self->store != NULL && (self->started || !self->deferring))
    kios_window_library_set_widgets_store (self);
}

/* The library's views and the sidebar list their books and sources. */
void
kios_window_library_set_widgets_store (KiosWindow *self)
{
  GApplication *app = g_application_get_default ();

  if (self->library_flap == NULL)
    return;
  kios_start_view_set_store (self->start_view, self->store);
  if (KIOS_IS_APPLICATION (app) && kios_application_get_library (KIOS_APPLICATION (app)) != NULL &&
      kios_application_get_store (KIOS_APPLICATION (app)) == self->store)
    kios_start_view_set_library (self->start_view, kios_application_get_library (KIOS_APPLICATION (app)));
  kios_library_sidebar_set_store (self->library_sidebar, self->store);
  kios_local_books_set_store (self->local_books, self->store);
  /* Books imported or removed while "On This Computer" is shown go in. */
  kios_local_books_set_library (self->local_books, kios_start_view_get_library (self->start_view));
  kios_catalog_view_set_store (self->catalog_view, self->store);
  kios_book_detail_set_store (self->book_detail, self->store);
}

/* The library's widgets (once made) get the store; the application's
 * library rescans the folders once the first window has shown its page. */
void
kios_window_library_set_store (KiosWindow *self)
{
  GApplication *app = g_application_get_default ();

  kios_window_library_set_widgets_store (self);
  if (KIOS_IS_APPLICATION (app) && kios_application_get_library (KIOS_APPLICATION (app)) != NULL &&
      kios_application_get_store (KIOS_APPLICATION (app)) == self->store)
    kios_application_start_library (KIOS_APPLICATION (app));
}
