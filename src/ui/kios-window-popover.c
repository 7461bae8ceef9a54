/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include <glib/gi18n.h>

/* The reader view's zoom range and step for PDF pages. */
#define MIN_ZOOM 0.25
#define MAX_ZOOM 4.0
#define ZOOM_STEP 1.25

/*
 * The Text and Theme popover offers what applies to the open book: text
 * size, margins and line spacing for a reflowed book; zoom and fit for a
 * PDF, whose pages keep their own layout; and for both, one page or two
 * side by side. The keys (Ctrl+plus, minus, 0) do the same from anywhere in
 * the window.
 */

static gboolean
is_pdf (KiosWindow *self)
{
  return self->document != NULL && !kios_document_is_reflowable (self->document);
}

static double
get_zoom (KiosWindow *self)
{
  double zoom = 1.0;

  g_object_get (self->reader_view, "pdf-zoom", &zoom, NULL);
  return zoom;
}

static void
set_zoom (KiosWindow *self,
          double      zoom)
{
  g_object_set (self->reader_view, "pdf-zoom", CLAMP (zoom, MIN_ZOOM, MAX_ZOOM), NULL);
}

static void
zoom_in_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  set_zoom (KIOS_WINDOW (user_data), get_zoom (KIOS_WINDOW (user_data)) * ZOOM_STEP);
}

static void
zoom_out_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  set_zoom (KIOS_WINDOW (user_data), get_zoom (KIOS_WINDOW (user_data)) / ZOOM_STEP);
}

static void
zoom_reset_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  set_zoom (KIOS_WINDOW (user_data), 1.0);
}

/* Picking a fit shows the page that way: any zoom is undone. */
static void
pdf_fit_change_state (GSimpleAction *action,
                      GVariant      *state,
                      gpointer       user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  g_settings_set_string (self->settings, "pdf-fit", g_variant_get_string (state, NULL));
  set_zoom (self, 1.0);
}

static const GActionEntry popover_actions[] = {
  { "zoom-in", zoom_in_activated },
  { "zoom-out", zoom_out_activated },
  { "zoom-reset", zoom_reset_activated },
  { "pdf-fit", NULL, "s", "'page'", pdf_fit_change_state },
};

static void
pdf_fit_changed_cb (KiosWindow *self)
{
  g_autofree char *fit = g_settings_get_string (self->settings, "pdf-fit");
  GAction         *action = g_action_map_lookup_action (G_ACTION_MAP (self), "pdf-fit");

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (fit));
}

static void
zoom_changed_cb (KiosWindow *self)
{
  g_autofree char *label = NULL;

  if (self->zoom_level_button == NULL)
    return;

  /* Translators: the zoom of a PDF page, e.g. "125%". */
  label = g_strdup_printf (_ ("%d%%"), (int) (get_zoom (self) * 100.0 + 0.5));
  gtk_button_set_label (GTK_BUTTON (self->zoom_level_button), label);
}

static void
set_enabled (KiosWindow *self,
             const char *name,
             gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
page_layout_changed_cb (KiosWindow *self)
{
  g_autofree char *value = g_settings_get_string (self->settings, "page-layout");
  KiosPageLayout   layout = KIOS_PAGE_LAYOUT_AUTO;

  if (g_strcmp0 (value, "single") == 0)
    layout = KIOS_PAGE_LAYOUT_SINGLE;
  else if (g_strcmp0 (value, "spread") == 0)
    layout = KIOS_PAGE_LAYOUT_SPREAD;
  else if (g_strcmp0 (value, "scrolled") == 0)
    layout = KIOS_PAGE_LAYOUT_SCROLLED;
  kios_reader_view_set_page_layout (self->reader_view, layout);
}

/* Ctrl+plus, minus and 0 outside the page (the page has its own keys). */
static gboolean
size_shortcut_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  KiosWindow *self = KIOS_WINDOW (widget);
  const char *what = user_data;
  const char *name;

  if (self->document == NULL)
    return FALSE;
  if (g_str_equal (what, "larger"))
    name = is_pdf (self) ? "zoom-in" : "font-larger";
  else if (g_str_equal (what, "smaller"))
    name = is_pdf (self) ? "zoom-out" : "font-smaller";
  else
    name = is_pdf (self) ? "zoom-reset" : "font-reset";
  g_action_group_activate_action (G_ACTION_GROUP (self), name, NULL);
  return TRUE;
}

static void
add_size_shortcut (GtkShortcutController *controller,
                   guint                  keyval,
                   const char            *what)
{
  gtk_shortcut_controller_add_shortcut (controller,
                                        gtk_shortcut_new (gtk_keyval_trigger_new (keyval, GDK_CONTROL_MASK),
                                                          gtk_callback_action_new (size_shortcut_cb, (gpointer) what, NULL)));
}

static void
font_size_changed_cb (KiosWindow *self)
{
  g_autoptr (GVariant) default_value = g_settings_get_default_value (self->settings, "font-size");
  double               size = g_settings_get_double (self->settings, "font-size");
  double               reference = g_variant_get_double (default_value);
  g_autofree char     *label = NULL;

  /* Translators: the text size relative to the default, e.g. "120%". */
  label = g_strdup_printf (_ ("%d%%"), (int) (size / reference * 100.0 + 0.5));
  gtk_button_set_label (GTK_BUTTON (self->font_size_button), label);
}

void
kios_window_popover_update (KiosWindow *self)
{
  gboolean pdf = is_pdf (self);

  /* The popover's widgets follow once they exist (built on first open). */
  if (self->font_controls != NULL)
    {
      gtk_widget_set_visible (self->font_controls, !pdf);
      gtk_widget_set_visible (self->layout_controls, !pdf);
      gtk_widget_set_visible (self->pdf_controls, pdf);
      /* A PDF keeps its pages apart: the scrolled mode is for reflowed books. */
      gtk_widget_set_visible (self->scrolled_toggle, !pdf);
    }
  /* A PDF's "+" zooms its page, never the text size of reflowed books. */
  set_enabled (self, "font-larger", !pdf);
  set_enabled (self, "font-smaller", !pdf);
  set_enabled (self, "font-reset", !pdf);
  set_enabled (self, "zoom-in", pdf);
  set_enabled (self, "zoom-out", pdf);
  set_enabled (self, "zoom-reset", pdf);
  set_enabled (self, "pdf-fit", pdf);
}

/*
 * The popover's widgets cost a good part of the window's template, and a
 * window started on a book paints its first page before anyone reaches for
 * them: they are made the first time the button opens. The actions, the
 * keys and the settings they stand for exist from the start.
 */
void
kios_window_popover_ensure (KiosWindow *self)
{
  g_autoptr (GtkBuilder) builder = NULL;
  GtkPopover            *popover;

  if (self->font_controls != NULL)
    return;

  builder = gtk_builder_new_from_resource ("/app/kios/Kios/ui/kios-window-popover.ui");
  self->font_controls = GTK_WIDGET (gtk_builder_get_object (builder, "font_controls"));
  self->font_size_button = GTK_WIDGET (gtk_builder_get_object (builder, "font_size_button"));
  self->pdf_controls = GTK_WIDGET (gtk_builder_get_object (builder, "pdf_controls"));
  self->zoom_level_button = GTK_WIDGET (gtk_builder_get_object (builder, "zoom_level_button"));
  self->layout_controls = GTK_WIDGET (gtk_builder_get_object (builder, "layout_controls"));
  self->scrolled_toggle = GTK_WIDGET (gtk_builder_get_object (builder, "scrolled_toggle"));
  self->margin_adjustment = GTK_ADJUSTMENT (gtk_builder_get_object (builder, "margin_adjustment"));
  self->line_spacing_adjustment = GTK_ADJUSTMENT (gtk_builder_get_object (builder, "line_spacing_adjustment"));
  /* The button owns the popover, and with it every part above. */
  popover = GTK_POPOVER (gtk_builder_get_object (builder, "text_popover"));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->text_menu_button), GTK_WIDGET (popover));
  kios_window_chrome_watch_popover (self, popover);

  g_settings_bind (self->settings, "margin", self->margin_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "line-spacing", self->line_spacing_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::font-size", G_CALLBACK (font_size_changed_cb), self, G_CONNECT_SWAPPED);
  font_size_changed_cb (self);
  zoom_changed_cb (self);
  kios_window_popover_update (self);
}

static void
create_popup_cb (GtkMenuButton *button,
                 gpointer       user_data)
{
  kios_window_popover_ensure (KIOS_WINDOW (user_data));
}

void
kios_window_popover_init (KiosWindow *self)
{
  g_autoptr (GAction)    layout_action = NULL;
  GtkShortcutController *shortcuts;

  g_action_map_add_action_entries (G_ACTION_MAP (self), popover_actions, G_N_ELEMENTS (popover_actions), self);
  layout_action = g_settings_create_action (self->settings, "page-layout");
  g_action_map_add_action (G_ACTION_MAP (self), layout_action);

  g_signal_connect_object (self->settings, "changed::page-layout", G_CALLBACK (page_layout_changed_cb), self, G_CONNECT_SWAPPED);
  page_layout_changed_cb (self);
  g_signal_connect_object (self->settings, "changed::pdf-fit", G_CALLBACK (pdf_fit_changed_cb), self, G_CONNECT_SWAPPED);
  pdf_fit_changed_cb (self);
  g_signal_connect_object (self->reader_view, "notify::pdf-zoom", G_CALLBACK (zoom_changed_cb), self, G_CONNECT_SWAPPED);
  zoom_changed_cb (self);

  shortcuts = GTK_SHORTCUT_CONTROLLER (gtk_shortcut_controller_new ());
  add_size_shortcut (shortcuts, GDK_KEY_plus, "larger");
  add_size_shortcut (shortcuts, GDK_KEY_equal, "larger");
  add_size_shortcut (shortcuts, GDK_KEY_KP_Add, "larger");
  add_size_shortcut (shortcuts, GDK_KEY_minus, "smaller");
  add_size_shortcut (shortcuts, GDK_KEY_KP_Subtract, "smaller");
  add_size_shortcut (shortcuts, GDK_KEY_0, "reset");
  add_size_shortcut (shortcuts, GDK_KEY_KP_0, "reset");
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (shortcuts));

  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (self->text_menu_button), create_popup_cb, self, NULL);
  kios_window_popover_update (self);
}
