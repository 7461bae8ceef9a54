/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include <glib/gi18n.h>

/* The pointer this close to the top edge shows the header bar in fullscreen. */
#define REVEAL_EDGE 4.0
/* ... and this far below the header bar hides it again. */
#define HIDE_SLACK 24.0

/* ---- the window's style follows the page ---- */

/*
 * A dark page in a light window (or the reverse) glares: the header bar,
 * the sidebars and the popovers take the page's style. "auto" follows the
 * system; sepia is a light page.
 */
static void
theme_changed_cb (KiosWindow *self)
{
  g_autofree char *theme = g_settings_get_string (self->settings, "theme");
  AdwColorScheme   scheme = ADW_COLOR_SCHEME_DEFAULT;

  if (g_strcmp0 (theme, "dark") == 0)
    scheme = ADW_COLOR_SCHEME_FORCE_DARK;
  else if (g_strcmp0 (theme, "light") == 0 || g_strcmp0 (theme, "sepia") == 0)
    scheme = ADW_COLOR_SCHEME_FORCE_LIGHT;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), scheme);
}

/* ---- fullscreen: the header bar over the page, shown on demand ---- */

static gboolean
menus_open (KiosWindow *self)
{
  GtkWidget *buttons[] = { self->text_menu_button, self->main_menu_button };

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (buttons[i]));

      if (popover != NULL && gtk_widget_get_visible (GTK_WIDGET (popover)))
        return TRUE;
    }
  return FALSE;
}

static void
reveal_header (KiosWindow *self,
               gboolean    reveal)
{
  gtk_revealer_set_reveal_child (self->header_revealer, reveal);
}

/* Hides the header bar unless the pointer is on it or a menu of it is open. */
static void
maybe_hide_header (KiosWindow *self)
{
  if (!self->immersive || menus_open (self))
    return;
  if (self->pointer_inside && self->pointer_y <= gtk_widget_get_height (GTK_WIDGET (self->header_bar)) + HIDE_SLACK)
    return;
  reveal_header (self, FALSE);
}

static void
motion_cb (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           KiosWindow               *self)
{
  self->pointer_inside = TRUE;
  self->pointer_y = y;
  if (!self->immersive)
    return;
  if (y <= REVEAL_EDGE)
    reveal_header (self, TRUE);
  else if (gtk_revealer_get_reveal_child (self->header_revealer))
    maybe_hide_header (self);
}

static void
leave_cb (GtkEventControllerMotion *motion,
          KiosWindow               *self)
{
  self->pointer_inside = FALSE;
  maybe_hide_header (self);
}

static void
popover_closed_cb (KiosWindow *self)
{
  maybe_hide_header (self);
}

static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  /* Not handled outside fullscreen: Escape goes on to whoever wants it. */
  if (!gtk_window_is_fullscreen (GTK_WINDOW (widget)))
    return FALSE;
  gtk_window_unfullscreen (GTK_WINDOW (widget));
  return TRUE;
}

static void
fullscreened_cb (KiosWindow *self)
{
  kios_window_set_immersive (self, gtk_window_is_fullscreen (GTK_WINDOW (self)));
}

void
kios_window_set_immersive (KiosWindow *self,
                           gboolean    immersive)
{
  GtkWidget *revealer = GTK_WIDGET (self->header_revealer);

  immersive = !!immersive;
  if (self->immersive == immersive)
    return;
  self->immersive = immersive;

  /* The page keeps its size when the header bar comes and goes: over it in
   * fullscreen, above it otherwise. */
  g_object_ref (revealer);
  if (immersive)
    {
      gtk_box_remove (self->content_box, revealer);
      gtk_widget_set_valign (revealer, GTK_ALIGN_START);
      gtk_revealer_set_reveal_child (self->header_revealer, FALSE);
      gtk_overlay_add_overlay (self->chrome_overlay, revealer);
    }
  else
    {
      gtk_overlay_remove_overlay (self->chrome_overlay, revealer);
      gtk_widget_set_valign (revealer, GTK_ALIGN_FILL);
      gtk_revealer_set_reveal_child (self->header_revealer, TRUE);
      gtk_box_prepend (self->content_box, revealer);
    }
  g_object_unref (revealer);

  /* A pointer already at the top shows it at once. */
  if (immersive && self->pointer_inside && self->pointer_y <= REVEAL_EDGE)
    reveal_header (self, TRUE);
}

gboolean
kios_window_get_header_revealed (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), FALSE);

  return gtk_revealer_get_reveal_child (self->header_revealer);
}

void
kios_window_chrome_watch_popover (KiosWindow *self,
                                  GtkPopover *popover)
{
  g_signal_connect_object (popover, "closed", G_CALLBACK (popover_closed_cb), self, G_CONNECT_SWAPPED);
}

void
kios_window_chrome_set_tooltips (KiosWindow *self)
{
  g_return_if_fail (KIOS_IS_WINDOW (self));

  if (self->tooltips_set)
    return;
  self->tooltips_set = TRUE;
  gtk_widget_set_tooltip_text (self->library_button, _ ("Library"));
  gtk_widget_set_tooltip_text (self->contents_button, _ ("Contents"));
  gtk_widget_set_tooltip_text (self->library_sidebar_button, _ ("Library Sidebar"));
  gtk_widget_set_tooltip_text (self->open_button, _ ("Open a book"));
  gtk_widget_set_tooltip_text (self->main_menu_button, _ ("Main Menu"));
  gtk_widget_set_tooltip_text (self->text_menu_button, _ ("Text and Theme"));
  kios_window_bookmark_tooltip_update (self);
}

/* The main menu's popover, made the first time it opens. */
static void
main_menu_popup_cb (GtkMenuButton *button,
                    gpointer       user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  if (gtk_menu_button_get_menu_model (button) != NULL)
    return;
  gtk_menu_button_set_menu_model (button, self->main_menu);
  kios_window_chrome_watch_popover (self, gtk_menu_button_get_popover (button));
}

void
kios_window_chrome_init (KiosWindow *self)
{
  GtkEventController *shortcuts;
  GtkWidget          *buttons[] = { self->text_menu_button, self->main_menu_button };

  g_signal_connect_object (self->settings, "changed::theme", G_CALLBACK (theme_changed_cb), self, G_CONNECT_SWAPPED);
  theme_changed_cb (self);

  g_signal_connect (self, "notify::fullscreened", G_CALLBACK (fullscreened_cb), NULL);

  /* Capture: the pointer is seen over every child, the page included. */
  self->chrome_motion = gtk_event_controller_motion_new ();
  gtk_event_controller_set_propagation_phase (self->chrome_motion, GTK_PHASE_CAPTURE);
  g_signal_connect (self->chrome_motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (self->chrome_motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), self->chrome_motion);

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (buttons[i]));

      if (popover != NULL)
        kios_window_chrome_watch_popover (self, popover);
    }
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (self->main_menu_button), main_menu_popup_cb, self, NULL);

  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_callback_action_new (escape_cb, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
}
