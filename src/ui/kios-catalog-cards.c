/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-view-private.h"

#include <glib/gi18n.h>
#include <string.h>

/* ---- what one entry shows --------------------------------------------------- */

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

/* An entry as its card shows it: a catalog's book in the grid's model. */
KiosCatalogItem *
kios_catalog_item_new_for_entry (const KiosOpdsEntry *entry,
                                 guint                index,
                                 KiosOpdsClient      *client)
{
  g_autofree char *authors = join_authors (entry);
  g_autofree char *series = series_text (entry);
  KiosCatalogItem *item = kios_catalog_item_new (index, entry->title, authors, series);

  kios_catalog_item_set_remote_cover (item, client, kios_catalog_entry_cover_href (entry, TRUE),
                                      kios_catalog_entry_cover_href (entry, FALSE));
  return item;
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
