/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-preferences-window"

#include "config.h"

#include "kios-preferences-window.h"

#include "kios-application.h"
#include "kios-library-folders-page.h"
#include "kios-library-sync-page.h"
#include "kios-sync-preferences-page.h"

struct _KiosPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;

  /* Template children. */
  GtkAdjustment *font_size_adjustment;
  GtkAdjustment *line_spacing_adjustment;
  GtkAdjustment *margin_adjustment;
  AdwComboRow   *theme_row;
  AdwComboRow   *pdf_fit_row;
  AdwComboRow   *page_layout_row;
};

G_DEFINE_FINAL_TYPE (KiosPreferencesWindow, kios_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo rows list these in order; GSettings stores the strings. */
static const char *const theme_values[] = { "auto", "light", "sepia", "dark", NULL };
static const char *const pdf_fit_values[] = { "width", "page", NULL };
static const char *const page_layout_values[] = { "auto", "single", "spread", "scrolled", NULL };

static gboolean
string_to_index (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  const char *const *values = user_data;
  const char        *str = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i] != NULL; i++)
    {
      if (g_str_equal (values[i], str))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  return FALSE;
}

static GVariant *
index_to_string (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  const char *const *values = user_data;
  guint              index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) values))
    return NULL;

  return g_variant_new_string (values[index]);
}

static void
kios_preferences_window_dispose (GObject *object)
{
  KiosPreferencesWindow *self = KIOS_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), KIOS_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (kios_preferences_window_parent_class)->dispose (object);
}

static void
kios_preferences_window_class_init (KiosPreferencesWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosPreferencesWindow, font_size_adjustment);
  gtk_widget_class_bind_template_child (widget_class, KiosPreferencesWindow, line_spacing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, KiosPreferencesWindow, margin_adjustment);
  gtk_widget_class_bind_template_child (widget_class, KiosPreferencesWindow, theme_row);
  gtk_widget_class_bind_template_child (widget_class, KiosPreferencesWindow, pdf_fit_row);
  gtk_widget_class_bind_template_child (widget_class, KiosPreferencesWindow, page_layout_row);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
kios_preferences_window_init (KiosPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_settings_bind (self->settings, "font-size", self->font_size_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "line-spacing", self->line_spacing_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "margin", self->margin_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "theme", self->theme_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, string_to_index, index_to_string,
                                (gpointer) theme_values, NULL);
  g_settings_bind_with_mapping (self->settings, "pdf-fit", self->pdf_fit_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, string_to_index, index_to_string,
                                (gpointer) pdf_fit_values, NULL);
  g_settings_bind_with_mapping (self->settings, "page-layout", self->page_layout_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, string_to_index, index_to_string,
                                (gpointer) page_layout_values, NULL);
}

KiosPreferencesWindow *
kios_preferences_window_new_with_manager (GtkWindow         *parent,
                                          KiosSourceManager *manager)
{
  KiosPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (manager == NULL || KIOS_IS_SOURCE_MANAGER (manager), NULL);

  self = g_object_new (KIOS_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  /* Settings → Progress sync: the KOReader sync account; Library sync: the
   * catalogs and Kobo servers. Both change sources through the manager. */
  if (manager != NULL)
    adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                                ADW_PREFERENCES_PAGE (kios_sync_preferences_page_new_for_manager (manager)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (kios_library_sync_page_new_for_manager (manager)));
  return self;
}

void
kios_preferences_window_set_library (KiosPreferencesWindow *self,
                                     KiosLibrary           *library)
{
  g_return_if_fail (KIOS_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (KIOS_IS_LIBRARY (library));

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (kios_library_folders_page_new (library)));
}
