/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-go-to-popover"

#include "config.h"

#include "kios-go-to-popover.h"

#include "kios-epub.h"
#include "kios-reader-view-private.h"

#include <glib/gi18n.h>

#define MAX_SUGGESTIONS 8

struct _KiosGoToPopover
{
  GtkPopover parent_instance;

  KiosReaderView *view; /* weak: the view owns the popover */
  GtkWidget      *entry;
  GtkWidget      *message;
  GtkWidget      *scroller;
  GtkWidget      *list;
  GtkStringList  *titles;
  GArray         *indices; /* int: TOC index per row */
};

G_DEFINE_FINAL_TYPE (KiosGoToPopover, kios_go_to_popover, GTK_TYPE_POPOVER)

static void
set_message (KiosGoToPopover *self,
             const char      *message)
{
  gtk_label_set_text (GTK_LABEL (self->message), message != NULL ? message : "");
  gtk_widget_set_visible (self->message, message != NULL);
  if (message != NULL)
    {
      gtk_widget_add_css_class (self->entry, "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
    }
  else
    {
      gtk_widget_remove_css_class (self->entry, "error");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

static void
update_suggestions (KiosGoToPopover *self)
{
  const char           *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  const char           *first = text;
  GPtrArray            *toc = NULL;
  g_autoptr (GArray)    matches = NULL;
  g_autoptr (GPtrArray) strings = g_ptr_array_new ();
  KiosDocument         *document = self->view != NULL ? kios_reader_view_get_document (self->view) : NULL;

  g_array_set_size (self->indices, 0);
  while (first != NULL && g_ascii_isspace (*first))
    first++;
  /* Numbers are pages or percentages, not names. */
  if (document != NULL && first != NULL && *first != '\0' && !g_ascii_isdigit (*first))
    {
      toc = kios_document_get_toc (document);
      matches = kios_reader_view_match_chapters (self->view, text, MAX_SUGGESTIONS);
      for (guint i = 0; i < matches->len; i++)
        {
          int                 index = g_array_index (matches, int, i);
          const KiosTocEntry *entry = g_ptr_array_index (toc, index);

          g_array_append_val (self->indices, index);
          g_ptr_array_add (strings, entry->title);
        }
    }
  g_ptr_array_add (strings, NULL);
  gtk_string_list_splice (self->titles, 0, g_list_model_get_n_items (G_LIST_MODEL (self->titles)),
                          (const char *const *) strings->pdata);
  gtk_widget_set_visible (self->scroller, self->indices->len > 0);
}

static void
changed_cb (KiosGoToPopover *self)
{
  set_message (self, NULL);
  update_suggestions (self);
}

static void
activate_cb (KiosGoToPopover *self)
{
  g_autofree char *message = NULL;

  if (self->view == NULL)
    return;
  if (kios_reader_view_go_to_text (self->view, gtk_editable_get_text (GTK_EDITABLE (self->entry)), &message))
    gtk_popover_popdown (GTK_POPOVER (self));
  else
    {
      set_message (self, message);
      gtk_widget_grab_focus (self->entry);
    }
}

void
kios_go_to_popover_pick (KiosGoToPopover *self,
                         guint            n)
{
  g_return_if_fail (KIOS_IS_GO_TO_POPOVER (self));

  if (self->view == NULL || n >= self->indices->len)
    return;
  kios_reader_view_go_to_toc (self->view, g_array_index (self->indices, int, n));
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
list_activate_cb (GtkListView     *list,
                  guint            position,
                  KiosGoToPopover *self)
{
  kios_go_to_popover_pick (self, position);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  gtk_widget_set_margin_top (label, 4);
  gtk_widget_set_margin_bottom (label, 4);
  gtk_list_item_set_child (item, label);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), gtk_string_object_get_string (string));
}

static gboolean
entry_key_cb (GtkEventControllerKey *controller,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        state,
              KiosGoToPopover       *self)
{
  /* Down from the entry walks into the list of chapters. */
  if ((keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down) && gtk_widget_get_visible (self->scroller))
    return gtk_widget_child_focus (self->list, GTK_DIR_TAB_FORWARD);
  return FALSE;
}

static void
kios_go_to_popover_dispose (GObject *object)
{
  KiosGoToPopover *self = KIOS_GO_TO_POPOVER (object);

  g_clear_weak_pointer (&self->view);
  G_OBJECT_CLASS (kios_go_to_popover_parent_class)->dispose (object);
}

static void
kios_go_to_popover_finalize (GObject *object)
{
  KiosGoToPopover *self = KIOS_GO_TO_POPOVER (object);

  g_clear_pointer (&self->indices, g_array_unref);
  g_clear_object (&self->titles);
  G_OBJECT_CLASS (kios_go_to_popover_parent_class)->finalize (object);
}

static void
kios_go_to_popover_class_init (KiosGoToPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_go_to_popover_dispose;
  object_class->finalize = kios_go_to_popover_finalize;
}

static void
kios_go_to_popover_init (KiosGoToPopover *self)
{
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget          *title = gtk_label_new (_ ("Go To"));
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  self->indices = g_array_new (FALSE, FALSE, sizeof (int));
  self->titles = gtk_string_list_new (NULL);

  gtk_popover_set_position (GTK_POPOVER (self), GTK_POS_BOTTOM);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_box_append (GTK_BOX (box), title);

  self->entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->entry), _ ("Page, percentage or chapter"));
  gtk_widget_set_size_request (self->entry, 300, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Go to page, percentage or chapter"), -1);
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (entry_key_cb), self);
  gtk_widget_add_controller (self->entry, keys);
  gtk_box_append (GTK_BOX (box), self->entry);

  self->message = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->message, "error");
  gtk_widget_add_css_class (self->message, "caption");
  gtk_label_set_xalign (GTK_LABEL (self->message), 0.0);
  gtk_label_set_wrap (GTK_LABEL (self->message), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (self->message), 36);
  gtk_widget_set_visible (self->message, FALSE);
  gtk_box_append (GTK_BOX (box), self->message);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  self->list = GTK_WIDGET (gtk_list_view_new (GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->titles)))),
                                              factory));
  gtk_list_view_set_single_click_activate (GTK_LIST_VIEW (self->list), TRUE);
  gtk_widget_add_css_class (self->list, "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Chapters"), -1);
  g_signal_connect (self->list, "activate", G_CALLBACK (list_activate_cb), self);
  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (self->scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (self->scroller), 240);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->list);
  gtk_widget_set_visible (self->scroller, FALSE);
  gtk_box_append (GTK_BOX (box), self->scroller);

  gtk_popover_set_child (GTK_POPOVER (self), box);
  gtk_popover_set_default_widget (GTK_POPOVER (self), NULL);
}

GtkWidget *
kios_go_to_popover_new (KiosReaderView *view)
{
  KiosGoToPopover *self = g_object_new (KIOS_TYPE_GO_TO_POPOVER, NULL);

  g_set_weak_pointer (&self->view, view);
  return GTK_WIDGET (self);
}

void
kios_go_to_popover_reset (KiosGoToPopover *self)
{
  g_return_if_fail (KIOS_IS_GO_TO_POPOVER (self));

  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  set_message (self, NULL);
  update_suggestions (self);
}

GtkWidget *
kios_go_to_popover_get_entry (KiosGoToPopover *self)
{
  g_return_val_if_fail (KIOS_IS_GO_TO_POPOVER (self), NULL);

  return self->entry;
}

const char *
kios_go_to_popover_get_message (KiosGoToPopover *self)
{
  g_return_val_if_fail (KIOS_IS_GO_TO_POPOVER (self), NULL);

  return gtk_widget_get_visible (self->message) ? gtk_label_get_text (GTK_LABEL (self->message)) : NULL;
}

GArray *
kios_go_to_popover_get_suggestions (KiosGoToPopover *self)
{
  g_return_val_if_fail (KIOS_IS_GO_TO_POPOVER (self), NULL);

  return self->indices;
}
