/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-view-private.h"

#include "kios-cover.h"

#include <glib/gi18n.h>
#include <string.h>

/* ---- the widgets of one entry --------------------------------------------- */

static char *
join_authors (const KiosOpdsEntry *entry)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < entry->authors->len && i < 3; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", (const char *) entry->authors->pdata[i]);
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

static char *
series_text (const KiosOpdsEntry *entry)
{
  if (entry->series == NULL)
    return NULL;
  if (entry->series_index >= 0)
    /* Translators: a book's series and its number in it, e.g. "Discworld · 3". */
    return g_strdup_printf (_ ("%s · %g"), entry->series, entry->series_index);
  return g_strdup (entry->series);
}

static GtkWidget *
create_placeholder (const char *title)
{
  GtkWidget *placeholder = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *icon;
  GtkWidget *label;

  gtk_widget_set_overflow (placeholder, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (placeholder, "book-cover");
  gtk_widget_add_css_class (placeholder, "book-cover-placeholder");
  icon = gtk_image_new_from_icon_name ("app.kios.Kios-symbolic");
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
  gtk_widget_set_opacity (icon, 0.7);
  gtk_widget_set_margin_top (icon, 24);
  gtk_box_append (GTK_BOX (placeholder), icon);
  label = gtk_label_new (title);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 4);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 8);
  gtk_box_append (GTK_BOX (placeholder), label);
  return placeholder;
}

GtkWidget *
kios_catalog_create_book_card (const KiosOpdsEntry *entry,
                               guint                index)
{
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget       *overlay = gtk_overlay_new ();
  GtkWidget       *cover = kios_cover_new (COVER_WIDTH, COVER_HEIGHT);
  GtkWidget       *placeholder = create_placeholder (entry->title);
  GtkWidget       *title;
  GtkWidget       *label;
  g_autofree char *authors = join_authors (entry);
  g_autofree char *series = series_text (entry);
  const char      *cover_href = kios_catalog_entry_cover_href (entry, TRUE);

  gtk_widget_set_halign (box, GTK_ALIGN_START);
  gtk_widget_set_valign (box, GTK_ALIGN_START);
  gtk_widget_set_size_request (box, COVER_WIDTH, -1);

  gtk_widget_set_halign (overlay, GTK_ALIGN_START);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), cover);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), placeholder);
  gtk_widget_set_margin_bottom (overlay, 6);
  gtk_box_append (GTK_BOX (box), overlay);

  title = gtk_label_new (entry->title);
  gtk_widget_set_name (title, "title");
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (title), 2);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 12);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);

  label = gtk_label_new (authors != NULL ? authors : _ ("Unknown author"));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 12);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), label);

  if (series != NULL)
    {
      label = gtk_label_new (series);
      gtk_label_set_xalign (GTK_LABEL (label), 0.0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 12);
      gtk_widget_add_css_class (label, "caption");
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, entry->title, -1);
  gtk_widget_set_tooltip_text (box, entry->title);
  g_object_set_data (G_OBJECT (box), "entry-index", GUINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (box), "cover", cover);
  g_object_set_data (G_OBJECT (box), "placeholder", placeholder);
  if (cover_href != NULL)
    g_object_set_data_full (G_OBJECT (box), "cover-href", g_strdup (cover_href), g_free);
  return box;
}

GtkWidget *
kios_catalog_create_navigation_row (const KiosOpdsEntry *entry,
                                    guint                index)
{
  GtkWidget *row = adw_action_row_new ();

  /* Titles come from the server: never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), entry->title);
  if (entry->summary != NULL && *entry->summary != '\0')
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), entry->summary);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data (G_OBJECT (row), "entry-index", GUINT_TO_POINTER (index));
  return row;
}
