/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-preferences"

#include "config.h"

#include "kios-application.h"
#include "kios-preferences-window.h"
#include "kios-ui-test-utils.h"

/* The preferences row of a type with this title. */
static GtkWidget *
find_row (GtkWidget  *root,
          GType       type,
          const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
        return child;

      found = find_row (child, type, title);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkSpinButton *
find_spin (GtkWidget  *root,
           const char *title)
{
  GtkWidget *row = find_row (root, ADW_TYPE_ACTION_ROW, title);

  return row != NULL ? GTK_SPIN_BUTTON (kios_test_find_widget (row, GTK_TYPE_SPIN_BUTTON, NULL)) : NULL;
}

static void
test_preferences_reading (void)
{
  g_autoptr (GSettings)  settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autofree char       *shot = NULL;
  g_autofree char       *theme = NULL;
  g_autofree char       *fit = NULL;
  KiosPreferencesWindow *window;
  GtkSpinButton         *font_size;
  GtkSpinButton         *margin;
  GtkSpinButton         *line_spacing;
  AdwComboRow           *theme_row;
  AdwComboRow           *fit_row;

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "theme");

  window = kios_preferences_window_new (NULL);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));

  font_size = find_spin (GTK_WIDGET (window), "_Font Size");
  margin = find_spin (GTK_WIDGET (window), "_Margins");
  line_spacing = find_spin (GTK_WIDGET (window), "_Line Spacing");
  theme_row = ADW_COMBO_ROW (find_row (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "_Theme"));
  fit_row = ADW_COMBO_ROW (find_row (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "_PDF Pages"));
  g_assert_nonnull (font_size);
  g_assert_nonnull (margin);
  g_assert_nonnull (line_spacing);
  g_assert_nonnull (theme_row);
  g_assert_nonnull (fit_row);

  /* The widgets start from the settings. */
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (font_size), 18.0, 1e-9);
  g_assert_cmpuint (adw_combo_row_get_selected (theme_row), ==, 0);

  /* Changing a widget writes GSettings. */
  gtk_spin_button_set_value (font_size, 24.0);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 24.0, 1e-9);
  gtk_spin_button_set_value (line_spacing, 1.8);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "line-spacing"), 1.8, 1e-9);
  adw_combo_row_set_selected (theme_row, 2);
  theme = g_settings_get_string (settings, "theme");
  g_assert_cmpstr (theme, ==, "sepia");
  adw_combo_row_set_selected (fit_row, 0);
  fit = g_settings_get_string (settings, "pdf-fit");
  g_assert_cmpstr (fit, ==, "width");

  /* Out-of-range values are clamped by the widget, never stored. */
  gtk_spin_button_set_value (font_size, 500.0);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), 48.0, 1e-9);

  /* And a settings change shows in the widgets. */
  g_settings_set_double (settings, "margin", 64.0);
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (margin), 64.0, 1e-9);
  g_settings_set_string (settings, "theme", "dark");
  g_assert_cmpuint (adw_combo_row_get_selected (theme_row), ==, 3);

  g_settings_set_double (settings, "font-size", 18.0);
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "preferences-reading");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/preferences/reading", test_preferences_reading);

  return g_test_run ();
}
