/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view-private.h"

#include <math.h>

/* PDF pages taller than the view scroll; this is how far they can. */
static double
scroll_range (KiosReaderView *self)
{
  const KiosPage *page;

  if (self->current == NULL || kios_reader_view_is_reflowable (self))
    return 0.0;
  page = self->current->page;
  return MAX (0.0, page->height / MAX (page->scale, 1.0) - self->render_box.size.height);
}

/* Scrolls by pixels; returns FALSE when already at that edge. */
static gboolean
scroll_by (KiosReaderView *self,
           double          pixels)
{
  double range = scroll_range (self);
  double y;

  if (self->scrolled)
    return kios_reader_view_flow_scroll (self, pixels);
  if (range <= 0.0)
    return FALSE;
  self->scroll_y = CLAMP (self->scroll_y, 0.0, range);
  y = CLAMP (self->scroll_y + pixels, 0.0, range);
  if (y == self->scroll_y)
    return FALSE;
  self->scroll_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

static void
turn_scrolling (KiosReaderView *self,
                int             direction)
{
  /* Reaching the previous page by scrolling up shows its bottom end. */
  self->show_bottom = direction < 0 && !kios_reader_view_is_reflowable (self);
  kios_reader_view_turn (self, direction);
}

static void
set_font_size_clamped (KiosReaderView *self,
                       double          size)
{
  g_object_set (self, "font-size", CLAMP (size, MIN_FONT_SIZE, MAX_FONT_SIZE), NULL);
}

static void
set_zoom_clamped (KiosReaderView *self,
                  double          zoom)
{
  g_object_set (self, "pdf-zoom", CLAMP (zoom, MIN_ZOOM, MAX_ZOOM), NULL);
}

static void
action_cb (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);

  if (g_str_equal (action_name, "reader.next-page"))
    kios_reader_view_turn (self, 1);
  else if (g_str_equal (action_name, "reader.previous-page"))
    kios_reader_view_turn (self, -1);
  else if (g_str_equal (action_name, "reader.first-page"))
    {
      KiosLocation location = { 0, 0 };

      if (self->document != NULL)
        kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_USER, NULL);
    }
  else if (g_str_equal (action_name, "reader.last-page"))
    {
      KiosLocation location = { 0, G_MAXINT / 2 };

      /* The worker clamps the location, so this lands on the very last page. */
      if (self->document != NULL)
        {
          location.chapter = MAX (kios_document_get_n_chapters (self->document) - 1, 0);
          kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_USER, NULL);
        }
    }
  else if (g_str_equal (action_name, "reader.find"))
    kios_reader_view_set_find_visible (self, TRUE, FALSE);
  else if (g_str_equal (action_name, "reader.go-to-toc"))
    kios_reader_view_go_to_toc (self, g_variant_get_int32 (parameter));
  else if (g_str_equal (action_name, "reader.scroll"))
    {
      double fraction = g_variant_get_double (parameter);

      if (!scroll_by (self, fraction * self->render_box.size.height))
        turn_scrolling (self, fraction >= 0 ? 1 : -1);
    }
  else if (g_str_equal (action_name, "reader.font-larger"))
    {
      if (kios_reader_view_is_reflowable (self))
        set_font_size_clamped (self, self->font_size + FONT_STEP);
      else
        set_zoom_clamped (self, self->pdf_zoom * ZOOM_STEP);
    }
  else if (g_str_equal (action_name, "reader.font-smaller"))
    {
      if (kios_reader_view_is_reflowable (self))
        set_font_size_clamped (self, self->font_size - FONT_STEP);
      else
        set_zoom_clamped (self, self->pdf_zoom / ZOOM_STEP);
    }
  else if (g_str_equal (action_name, "reader.font-reset"))
    {
      if (kios_reader_view_is_reflowable (self))
        set_font_size_clamped (self, DEFAULT_FONT_SIZE);
      else
        set_zoom_clamped (self, 1.0);
    }
}

static void
click_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  KiosReaderView  *self)
{
  guint      button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self), x, y, GTK_PICK_DEFAULT);

  /* A click that began on a child (a contents row, the find bar) is that
   * child's: when the row closes the sidebar before the button comes up,
   * the release must not turn the page the reader just jumped to. */
  self->press_on_page = picked == NULL || picked == GTK_WIDGET (self);
  if (!self->press_on_page)
    return;

  /* The mouse's back and forward buttons turn, as they go back and forth in a browser. */
  if (button == 8)
    kios_reader_view_turn (self, -1);
  else if (button == 9)
    kios_reader_view_turn (self, 1);
  else if (button == GDK_BUTTON_PRIMARY)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self));
      /* A new press starts over: a click drops the selection. */
      self->drag_selected = FALSE;
      kios_reader_view_clear_selection (self);
    }
  else if (button == GDK_BUTTON_SECONDARY)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self));
      kios_reader_selection_context (self, x, y);
    }
}

static void
click_released_cb (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   KiosReaderView  *self)
{
  guint  button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  double area_x;
  double width;

  /* Button 0: the signal was emitted without an event (the tests do that). */
  if (button != GDK_BUTTON_PRIMARY && button != 0)
    return;
  if (!self->press_on_page)
    {
      self->press_on_page = TRUE;
      return;
    }
  /* The press became a selection (a drag, a long press): no turn. */
  if (self->drag_selected)
    {
      self->drag_selected = FALSE;
      return;
    }

  if (self->contents_visible)
    {
      if (x < kios_reader_view_sidebar_width (self))
        return;
      /* Over the page, a click closes a sidebar that covers it. */
      if (!kios_reader_view_sidebar_docked (self))
        {
          kios_reader_view_set_contents_visible (self, FALSE);
          return;
        }
    }

  kios_reader_view_page_area (self, &area_x, &width);
  x -= area_x;
  /* The outer thirds turn; the middle is left alone (no accidental turns). */
  if (x < width / 3)
    kios_reader_view_turn (self, -1);
  else if (x > width * 2 / 3)
    kios_reader_view_turn (self, 1);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           KiosReaderView           *self)
{
  GdkScrollUnit unit = gtk_event_controller_scroll_get_unit (controller);
  GdkEvent     *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  GdkDevice    *device = event != NULL ? gdk_event_get_device (event) : NULL;
  gint64        now = g_get_monotonic_time ();
  gboolean      touchpad;
  double        delta;
  double        step;

  if (self->document == NULL)
    return FALSE;

  touchpad = unit == GDK_SCROLL_UNIT_SURFACE ||
             (device != NULL && gdk_device_get_source (device) == GDK_SOURCE_TOUCHPAD);

  /* A pause ends a touchpad gesture: the next one may turn again. */
  if (now - self->last_scroll_time > SCROLL_GESTURE_GAP)
    {
      self->scroll_accum = 0.0;
      self->scroll_latched = FALSE;
    }
  self->last_scroll_time = now;

  if (fabs (dy) >= fabs (dx) &&
      scroll_by (self, unit == GDK_SCROLL_UNIT_WHEEL ? dy * WHEEL_PIXELS : dy))
    {
      self->scroll_accum = 0.0;
      return TRUE;
    }

  delta = fabs (dx) > fabs (dy) ? dx : dy;
  step = unit == GDK_SCROLL_UNIT_WHEEL ? delta : delta / SWIPE_PIXELS;

  /* A wheel notch (or the notches of a high-resolution wheel adding up to
   * one) is one deliberate page turn. */
  if (!touchpad)
    {
      self->scroll_accum += step;
      if (fabs (self->scroll_accum) >= 1.0)
        {
          int direction = self->scroll_accum > 0 ? 1 : -1;

          self->scroll_accum = 0.0;
          turn_scrolling (self, direction);
        }
      return TRUE;
    }

  /* Touchpad deltas: one page per gesture, once enough has been scrolled. */
  if (self->scroll_latched)
    return TRUE;
  self->scroll_accum += step;
  if (fabs (self->scroll_accum) >= 1.0)
    {
      int direction = self->scroll_accum > 0 ? 1 : -1;

      self->scroll_accum = 0.0;
      self->scroll_latched = TRUE;
      turn_scrolling (self, direction);
    }
  return TRUE;
}

static void
scroll_end_cb (GtkEventControllerScroll *controller,
               KiosReaderView           *self)
{
  self->scroll_accum = 0.0;
  self->scroll_latched = FALSE;
}

static void
swipe_cb (GtkGestureSwipe *gesture,
          double           velocity_x,
          double           velocity_y,
          KiosReaderView  *self)
{
  if (fabs (velocity_x) < SWIPE_MIN_VELOCITY || fabs (velocity_x) < fabs (velocity_y))
    return;
  /* Swiping to the left pulls the next page in. */
  kios_reader_view_turn (self, velocity_x < 0 ? 1 : -1);
}

static gboolean
find_shortcut_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);

  if (self->document == NULL || !gtk_widget_is_drawable (widget))
    return FALSE;
  kios_reader_view_set_find_visible (self, TRUE, FALSE);
  return TRUE;
}

void
kios_reader_view_class_init_actions (GtkWidgetClass *widget_class)
{
  const char *scroll_action = "reader.scroll";

  gtk_widget_class_install_action (widget_class, "reader.next-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.previous-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.first-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.last-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.font-larger", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.font-smaller", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.font-reset", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.go-to-toc", "i", action_cb);
  gtk_widget_class_install_action (widget_class, "reader.find", NULL, action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "reader.find", NULL);
  gtk_widget_class_install_action (widget_class, scroll_action, "d", action_cb);
  gtk_widget_class_install_property_action (widget_class, "reader.contents", "contents-visible");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "reader.next-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Right, 0, "reader.next-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "reader.previous-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Left, 0, "reader.previous-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "reader.first-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Home, 0, "reader.first-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "reader.last-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_End, 0, "reader.last-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, scroll_action, "d", 0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Down, 0, scroll_action, "d", 0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, scroll_action, "d", -0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Up, 0, scroll_action, "d", -0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, scroll_action, "d", 0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Page_Down, 0, scroll_action, "d", 0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, scroll_action, "d", 0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, scroll_action, "d", -0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Page_Up, 0, scroll_action, "d", -0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, GDK_SHIFT_MASK, scroll_action, "d", -0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "reader.font-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "reader.font-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "reader.font-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "reader.font-smaller", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "reader.font-smaller", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "reader.font-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, GDK_CONTROL_MASK, "reader.font-reset", NULL);
}

void
kios_reader_view_init_controllers (KiosReaderView *self)
{
  GtkWidget          *widget = GTK_WIDGET (self);
  GtkGesture         *click;
  GtkGesture         *swipe;
  GtkEventController *scroll;
  GtkEventController *shortcuts;

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect (click, "pressed", G_CALLBACK (click_pressed_cb), self);
  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));

  swipe = gtk_gesture_swipe_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (swipe), TRUE);
  g_signal_connect (swipe, "swipe", G_CALLBACK (swipe_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (swipe));

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  g_signal_connect (scroll, "scroll-end", G_CALLBACK (scroll_end_cb), self);
  gtk_widget_add_controller (widget, scroll);

  /* Ctrl+F finds in the book wherever the focus is in the window (the
   * header's buttons too), while a book is on screen. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_f, GDK_CONTROL_MASK),
                                                          gtk_callback_action_new (find_shortcut_cb, NULL, NULL)));
  gtk_widget_add_controller (widget, shortcuts);
}
