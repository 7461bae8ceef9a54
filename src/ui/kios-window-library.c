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

static void
window_active_cb (KiosWindow *self)
{
  /* Sources may have changed in Settings meanwhile. */
  if (gtk_window_is_active (GTK_WINDOW (self)) && self->store != NULL && (self->started || !self->deferring))
    kios_library_sidebar_reload (self->library_sidebar);
}

void
kios_window_library_init (KiosWindow *self)
{
  g_object_bind_property (self->library_flap, "reveal-flap", self->library_sidebar_button, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->library_sidebar, "selected", G_CALLBACK (library_selected_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library_sidebar, "add-source", G_CALLBACK (add_source_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->local_books, "book-activated", G_CALLBACK (kios_window_book_activated_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->catalog_view, "book-activated", G_CALLBACK (catalog_book_activated_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->book_detail, "back", G_CALLBACK (detail_back_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->book_detail, "read", G_CALLBACK (detail_read_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (window_active_cb), self, G_CONNECT_SWAPPED);
}

/* The library's views (but the start view) and the sidebar list their books
 * and sources when they get the store. */
void
kios_window_library_set_store (KiosWindow *self)
{
  GApplication *app = g_application_get_default ();

  kios_start_view_set_store (self->start_view, self->store);
  /* The application's library lists, searches and tidies the books; the
   * folders are rescanned once the first window has shown its page. */
  if (KIOS_IS_APPLICATION (app) && kios_application_get_library (KIOS_APPLICATION (app)) != NULL &&
      kios_application_get_store (KIOS_APPLICATION (app)) == self->store)
    {
      kios_start_view_set_library (self->start_view, kios_application_get_library (KIOS_APPLICATION (app)));
      kios_application_start_library (KIOS_APPLICATION (app));
    }
  kios_library_sidebar_set_store (self->library_sidebar, self->store);
  kios_local_books_set_store (self->local_books, self->store);
  kios_catalog_view_set_store (self->catalog_view, self->store);
  kios_book_detail_set_store (self->book_detail, self->store);
}
