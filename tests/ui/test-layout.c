/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-layout"

#include "config.h"

#include <string.h>

#include "kios-library-store.h"
#include "kios-preferences-window.h"
#include "kios-reader-view.h"
#include "kios-ui-test-utils.h"
#include "kios-window-private.h"
#include "kios-window.h"

static void
iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
page_shown (gpointer data)
{
  KiosWindow *window = data;

  return g_strcmp0 (kios_window_get_visible_page (window), "reader") == 0 && kios_reader_view_get_page (kios_window_get_reader_view (window)) != NULL;
}

/* A window of width x height with a sample book on screen. */
static KiosWindow *
open_window (const char *book,
             int         width,
             int         height)
{
  g_autofree char  *path = kios_test_sample_book (book);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  KiosWindow       *window = kios_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  kios_window_open_file (window, file);
  g_assert_true (kios_test_wait_until (page_shown, window, 30000));
  kios_test_wait_for_paint (GTK_WIDGET (window));
  return window;
}

/* Opens another sample book in the window and waits for its page. */
static void
open_in (KiosWindow *window,
         const char *name)
{
  g_autofree char  *path = kios_test_sample_book (name);
  g_autoptr (GFile) file = g_file_new_for_path (path);

  kios_window_open_file (window, file);
  g_assert_true (kios_test_wait_until (page_shown, window, 30000));
}

static gboolean
pages_counted (gpointer data)
{
  KiosDocument *document = kios_reader_view_get_document (kios_window_get_reader_view (KIOS_WINDOW (data)));

  return document == NULL || kios_document_get_n_pages (document) >= 0;
}

/* Destroys the window once its book's worker is done with the caches: they
 * live in this case's own directories, gone when it ends. */
static void
close_window (KiosWindow *window)
{
  g_assert_true (kios_test_wait_until (pages_counted, window, 60000));
  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 50; i++)
    {
      iterate ();
      g_usleep (1000);
    }
}

static GtkWidget *
find_named (KiosWindow *window,
            const char *name)
{
  GtkWidget *widget = kios_test_find_widget (GTK_WIDGET (window), GTK_TYPE_WIDGET, name);

  g_assert_nonnull (widget);
  return widget;
}

/* The Text and Theme popover is made the first time its button opens: opens
 * it once and closes it again, leaving its widgets in the window. */
static GtkMenuButton *
open_text_menu (KiosWindow *window)
{
  GtkMenuButton *menu = GTK_MENU_BUTTON (find_named (window, "text-menu-button"));

  gtk_menu_button_popup (menu);
  g_assert_nonnull (gtk_menu_button_get_popover (menu));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, gtk_menu_button_get_popover (menu), 5000));
  gtk_menu_button_popdown (menu);
  return menu;
}

static gboolean
action_enabled (KiosWindow *window,
                const char *name)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (window), name);
}

static double
view_zoom (KiosWindow *window)
{
  double zoom = 0;

  g_object_get (kios_window_get_reader_view (window), "pdf-zoom", &zoom, NULL);
  return zoom;
}

static void turn (KiosWindow *window,
                  int         direction);

/* ---- the dark window ---- */

static gboolean
style_is_dark (gpointer data)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ()) == GPOINTER_TO_INT (data);
}

static void
test_layout_dark_window (void)
{
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  AdwStyleManager      *manager = adw_style_manager_get_default ();
  KiosWindow           *window = kios_window_new (NULL);

  /* No portal here: the "system" is light. */
  g_settings_set_string (settings, "theme", "auto");
  g_assert_cmpint (adw_style_manager_get_color_scheme (manager), ==, ADW_COLOR_SCHEME_DEFAULT);
  g_assert_true (kios_test_wait_until (style_is_dark, GINT_TO_POINTER (FALSE), 2000));

  /* The whole window goes dark with the page, header bar and popovers included. */
  g_settings_set_string (settings, "theme", "dark");
  g_assert_true (kios_test_wait_until (style_is_dark, GINT_TO_POINTER (TRUE), 2000));
  g_assert_cmpint (adw_style_manager_get_color_scheme (manager), ==, ADW_COLOR_SCHEME_FORCE_DARK);

  /* A light or sepia page is a light window even on a dark system. */
  g_settings_set_string (settings, "theme", "sepia");
  g_assert_true (kios_test_wait_until (style_is_dark, GINT_TO_POINTER (FALSE), 2000));
  g_assert_cmpint (adw_style_manager_get_color_scheme (manager), ==, ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_settings_set_string (settings, "theme", "dark");
  g_assert_true (kios_test_wait_until (style_is_dark, GINT_TO_POINTER (TRUE), 2000));
  g_settings_set_string (settings, "theme", "light");
  g_assert_true (kios_test_wait_until (style_is_dark, GINT_TO_POINTER (FALSE), 2000));

  /* What it looks like: a book with its contents beside it. */
  g_settings_set_string (settings, "theme", "dark");
  {
    KiosWindow *reading = open_window ("pride-and-prejudice.epub", 1200, 760);

    g_assert_true (kios_test_wait_until (style_is_dark, GINT_TO_POINTER (TRUE), 2000));
    turn (reading, 1);
    turn (reading, 1);
    g_object_set (kios_window_get_reader_view (reading), "contents-visible", TRUE, NULL);
    g_free (kios_test_save_screenshot (GTK_WIDGET (reading), "layout-dark"));
    close_window (reading);
  }

  /* Back to following the system. */
  g_settings_reset (settings, "theme");
  g_assert_cmpint (adw_style_manager_get_color_scheme (manager), ==, ADW_COLOR_SCHEME_DEFAULT);
  close_window (window);
}

/* ---- the popover per format ---- */

static void
test_layout_popover_pdf (void)
{
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  KiosWindow           *window;
  KiosReaderView       *view;
  double                font_size;

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "pdf-fit");
  font_size = g_settings_get_double (settings, "font-size");
  window = open_window ("persuasion.pdf", 900, 700);
  view = kios_window_get_reader_view (window);

  /* Zoom and fit, not text size, margins or line spacing. */
  open_text_menu (window);
  g_assert_false (gtk_widget_get_visible (find_named (window, "font-controls")));
  g_assert_false (gtk_widget_get_visible (find_named (window, "layout-controls")));
  g_assert_true (gtk_widget_get_visible (find_named (window, "pdf-controls")));
  g_assert_false (action_enabled (window, "font-larger"));
  g_assert_true (action_enabled (window, "zoom-in"));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (find_named (window, "zoom-level-button"))), ==, "100%");

  /* "+" zooms the page and leaves the text size of reflowed books alone. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "zoom-in", NULL);
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.25, 1e-9);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (find_named (window, "zoom-level-button"))), ==, "125%");
  g_action_group_activate_action (G_ACTION_GROUP (window), "font-larger", NULL);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), font_size, 1e-9);
  /* Ctrl+plus on the page, and from the window's header. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "reader.font-larger", NULL));
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.5625, 1e-9);
  g_assert_true (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_minus, GDK_CONTROL_MASK));
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.25, 1e-9);
  g_assert_true (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_plus, GDK_CONTROL_MASK));
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.5625, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), font_size, 1e-9);

  /* A fit shows the page that way, unzoomed. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pdf-fit", g_variant_new_string ("width"));
  {
    g_autofree char *fit = g_settings_get_string (settings, "pdf-fit");

    g_assert_cmpstr (fit, ==, "width");
  }
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.0, 1e-9);
  g_assert_true (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_plus, GDK_CONTROL_MASK));
  g_assert_true (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_0, GDK_CONTROL_MASK));
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.0, 1e-9);

  {
    GtkMenuButton   *menu = GTK_MENU_BUTTON (find_named (window, "text-menu-button"));
    g_autofree char *shot = NULL;

    gtk_menu_button_popup (menu);
    shot = kios_test_save_screenshot (GTK_WIDGET (gtk_menu_button_get_popover (menu)), "layout-popover-pdf");
    gtk_menu_button_popdown (menu);
  }

  /* An EPUB in the same window: the text controls again, and Ctrl+plus is text size. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "zoom-in", NULL);
  open_in (window, "persuasion.epub");
  g_assert_true (gtk_widget_get_visible (find_named (window, "font-controls")));
  g_assert_true (gtk_widget_get_visible (find_named (window, "layout-controls")));
  g_assert_false (gtk_widget_get_visible (find_named (window, "pdf-controls")));
  g_assert_true (action_enabled (window, "font-larger"));
  g_assert_false (action_enabled (window, "zoom-in"));
  g_assert_true (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_plus, GDK_CONTROL_MASK));
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "font-size"), font_size + 2, 1e-9);

  /* A PDF opened next shows its pages fitted, not at the zoom of the one before. */
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.0, 1e-9);
  open_in (window, "northanger-abbey.pdf");
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.0, 1e-9);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (find_named (window, "zoom-level-button"))), ==, "100%");

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "pdf-fit");
  close_window (window);
}

/* A window started on a book makes none of the popover's widgets until its
 * button first opens; what changed meanwhile shows when it does. */
static void
test_layout_popover_lazy (void)
{
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  KiosWindow           *window;
  GtkMenuButton        *menu;
  GtkWidget            *zoom_label;

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "margin");
  window = open_window ("persuasion.pdf", 900, 700);
  menu = GTK_MENU_BUTTON (find_named (window, "text-menu-button"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (menu)));
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (menu)));
  g_assert_null (gtk_menu_button_get_popover (menu));
  g_assert_null (window->font_controls);
  g_assert_null (kios_test_find_widget (GTK_WIDGET (window), GTK_TYPE_WIDGET, "pdf-controls"));
  g_assert_null (kios_test_find_widget (GTK_WIDGET (window), GTK_TYPE_WIDGET, "zoom-level-button"));

  /* The actions and keys work without it. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "zoom-in", NULL);
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.25, 1e-9);

  /* Opened: the PDF's controls, showing the zoom set before. */
  open_text_menu (window);
  g_assert_true (gtk_widget_get_visible (find_named (window, "pdf-controls")));
  g_assert_false (gtk_widget_get_visible (find_named (window, "font-controls")));
  g_assert_false (gtk_widget_get_visible (find_named (window, "scrolled-toggle")));
  zoom_label = find_named (window, "zoom-level-button");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (zoom_label)), ==, "125%");
  /* Its buttons act: the label resets the zoom. */
  g_signal_emit_by_name (zoom_label, "clicked");
  g_assert_cmpfloat_with_epsilon (view_zoom (window), 1.0, 1e-9);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (zoom_label)), ==, "100%");

  /* An EPUB: the text controls, bound to the settings both ways. */
  open_in (window, "persuasion.epub");
  g_assert_true (gtk_widget_get_visible (find_named (window, "font-controls")));
  g_assert_false (gtk_widget_get_visible (find_named (window, "pdf-controls")));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (window->font_size_button)), ==, "100%");
  g_signal_emit_by_name (gtk_widget_get_last_child (window->font_controls), "clicked");
  {
    g_autoptr (GVariant) default_size = g_settings_get_default_value (settings, "font-size");

    g_assert_cmpfloat (g_settings_get_double (settings, "font-size"), >, g_variant_get_double (default_size));
  }
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (window->font_size_button)), !=, "100%");
  gtk_adjustment_set_value (window->margin_adjustment, 64.0);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "margin"), 64.0, 1e-9);
  g_settings_set_double (settings, "margin", 32.0);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (window->margin_adjustment), 32.0, 1e-9);

  g_settings_reset (settings, "font-size");
  g_settings_reset (settings, "margin");
  close_window (window);
}

static gboolean
widget_hidden (gpointer data)
{
  return !gtk_widget_get_visible (GTK_WIDGET (data));
}

/* Escape closing the popover gives the keys back to the page. */
static void
test_layout_popover_escape (void)
{
  KiosWindow     *window = open_window ("persuasion.epub", 900, 700);
  KiosReaderView *view = kios_window_get_reader_view (window);
  GtkMenuButton  *menu = GTK_MENU_BUTTON (find_named (window, "text-menu-button"));
  GtkWidget      *popover;
  GtkWidget      *focus;
  KiosLocation    before;

  gtk_widget_grab_focus (GTK_WIDGET (view));
  gtk_menu_button_popup (menu);
  popover = GTK_WIDGET (gtk_menu_button_get_popover (menu));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, popover, 5000));
  /* The focus in the popover, on "Smaller Text". */
  gtk_widget_grab_focus (gtk_widget_get_first_child (find_named (window, "font-controls")));
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_true (focus != NULL && gtk_widget_is_ancestor (focus, popover));

  /* What Escape does in a popover. */
  g_assert_true (gtk_widget_activate_action (popover, "popover.close", NULL) ||
                 (gtk_popover_popdown (GTK_POPOVER (popover)), TRUE));
  g_assert_true (kios_test_wait_until (widget_hidden, popover, 5000));
  iterate ();

  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == GTK_WIDGET (view));
  /* The arrows turn pages again. */
  before = kios_reader_view_get_page (view)->location;
  g_assert_true (kios_test_press_key (GTK_WIDGET (view), GDK_KEY_Right, 0));
  for (int i = 0; i < 5000 && memcmp (&kios_reader_view_get_page (view)->location, &before, sizeof before) == 0; i++)
    {
      iterate ();
      g_usleep (1000);
    }
  g_assert_false (memcmp (&kios_reader_view_get_page (view)->location, &before, sizeof before) == 0);

  close_window (window);
}

/* ---- fullscreen ---- */

static gboolean
revealer_settled (gpointer data)
{
  GtkRevealer *revealer = data;

  return gtk_revealer_get_child_revealed (revealer) == gtk_revealer_get_reveal_child (revealer);
}

static void
move_pointer (KiosWindow *window,
              double      y)
{
  g_signal_emit_by_name (window->chrome_motion, "motion", 300.0, y);
}

static gboolean
is_fullscreen (gpointer data)
{
  return gtk_window_is_fullscreen (GTK_WINDOW (data));
}

static void
test_layout_fullscreen (void)
{
  KiosWindow      *window = open_window ("persuasion.epub", 900, 700);
  GtkRevealer     *revealer = GTK_REVEALER (find_named (window, "header-revealer"));
  GtkMenuButton   *menu = open_text_menu (window);
  GtkWidget       *popover = GTK_WIDGET (gtk_menu_button_get_popover (menu));
  int              page_height = gtk_widget_get_height (GTK_WIDGET (kios_window_get_reader_view (window)));
  g_autofree char *shot = NULL;

  g_assert_true (kios_window_get_header_revealed (window));

  /* F11's state: the header bar goes over the page, hidden; the page takes
   * the whole height. */
  kios_window_set_immersive (window, TRUE);
  g_assert_false (kios_window_get_header_revealed (window));
  g_assert_true (gtk_widget_get_parent (GTK_WIDGET (revealer)) == GTK_WIDGET (window->chrome_overlay));
  g_assert_true (kios_test_wait_until (revealer_settled, revealer, 5000));
  kios_test_wait_for_paint (GTK_WIDGET (window));
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (kios_window_get_reader_view (window))), >, page_height);
  page_height = gtk_widget_get_height (GTK_WIDGET (kios_window_get_reader_view (window)));

  /* The pointer in the page does nothing; at the top edge it shows the bar. */
  move_pointer (window, 300.0);
  g_assert_false (kios_window_get_header_revealed (window));
  move_pointer (window, 1.0);
  g_assert_true (kios_window_get_header_revealed (window));
  g_assert_true (kios_test_wait_until (revealer_settled, revealer, 5000));
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "layout-fullscreen-header");
  /* Over the page: the page keeps its size. */
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (kios_window_get_reader_view (window))), ==, page_height);
  /* On the bar it stays; away from it it hides. */
  move_pointer (window, 20.0);
  g_assert_true (kios_window_get_header_revealed (window));
  move_pointer (window, 400.0);
  g_assert_false (kios_window_get_header_revealed (window));

  /* An open menu keeps it until the menu closes. */
  move_pointer (window, 1.0);
  gtk_menu_button_popup (menu);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, popover, 5000));
  move_pointer (window, 400.0);
  g_assert_true (kios_window_get_header_revealed (window));
  gtk_menu_button_popdown (menu);
  g_assert_true (kios_test_wait_until (widget_hidden, popover, 5000));
  g_assert_false (kios_window_get_header_revealed (window));

  /* The pointer leaving the window hides it too. */
  move_pointer (window, 1.0);
  g_assert_true (kios_window_get_header_revealed (window));
  g_signal_emit_by_name (window->chrome_motion, "leave");
  g_assert_false (kios_window_get_header_revealed (window));

  /* Leaving fullscreen puts it back above the page. */
  kios_window_set_immersive (window, FALSE);
  g_assert_true (kios_window_get_header_revealed (window));
  g_assert_true (gtk_widget_get_parent (GTK_WIDGET (revealer)) == GTK_WIDGET (window->content_box));
  g_assert_true (gtk_widget_get_first_child (GTK_WIDGET (window->content_box)) == GTK_WIDGET (revealer));
  move_pointer (window, 400.0);
  g_assert_true (kios_window_get_header_revealed (window));

  /* Escape is not taken outside fullscreen. */
  g_assert_false (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_Escape, 0));

  /* The real thing, where a window manager grants it (Xvfb has none). */
  g_action_group_activate_action (G_ACTION_GROUP (window), "fullscreen", NULL);
  if (kios_test_poll_until (is_fullscreen, window, 1000))
    {
      g_assert_false (kios_window_get_header_revealed (window));
      g_assert_true (kios_test_press_key (GTK_WIDGET (window), GDK_KEY_Escape, 0));
      g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 1000));
    }
  else
    g_test_message ("No window manager: fullscreen itself not granted, its layout tested above");

  close_window (window);
}

/* ---- two-page spreads ---- */

static gboolean
right_page_shown (gpointer data)
{
  return kios_reader_view_get_right_page (KIOS_READER_VIEW (data)) != NULL;
}

/* The location of the page after location, as the document lays it out now. */
static KiosLocation
location_after (KiosReaderView *view,
                KiosLocation    location)
{
  KiosPageRequest      request;
  g_autoptr (KiosPage) page = NULL;
  g_autoptr (GError)   error = NULL;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_NEXT;
  request.location = location;
  request.box_width = 400;
  request.box_height = 600;
  request.scale = 1;
  request.zoom = 1;
  request.position_only = TRUE;
  page = kios_document_render_sync (kios_reader_view_get_document (view), &request, &error);
  g_assert_no_error (error);
  return page->location;
}

static gboolean
same_location (KiosLocation a,
               KiosLocation b)
{
  return a.chapter == b.chapter && a.page == b.page;
}

typedef struct
{
  KiosReaderView *view;
  KiosLocation    left;
} TurnWait;

static gboolean
turned_from (gpointer data)
{
  TurnWait       *wait = data;
  const KiosPage *page = kios_reader_view_get_page (wait->view);

  return page != NULL && !same_location (page->location, wait->left) &&
         (right_page_shown (wait->view) || !kios_reader_view_get_spread (wait->view));
}

/* Turns forwards (direction 1) or back, waiting for both pages. */
static void
turn (KiosWindow *window,
      int         direction)
{
  TurnWait wait = { kios_window_get_reader_view (window), kios_reader_view_get_page (kios_window_get_reader_view (window))->location };

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (wait.view), direction > 0 ? "reader.next-page" : "reader.previous-page", NULL));
  g_assert_true (kios_test_wait_until (turned_from, &wait, 20000));
}

static void
check_spread (KiosWindow       *window,
              KiosLibraryStore *store,
              const char       *name)
{
  KiosReaderView *view = kios_window_get_reader_view (window);
  KiosLocation    left;
  KiosLocation    right;

  g_assert_true (kios_test_wait_until (right_page_shown, view, 20000));
  g_assert_true (kios_reader_view_get_spread (view));

  /* The right page is the page after the left one. */
  left = kios_reader_view_get_page (view)->location;
  right = kios_reader_view_get_right_page (view)->location;
  g_assert_true (same_location (right, location_after (view, left)));

  /* A turn moves by two: the new left page comes after the old right one. */
  for (int i = 0; i < 3; i++)
    {
      KiosLocation old_right = kios_reader_view_get_right_page (view)->location;

      turn (window, 1);
      g_assert_true (same_location (kios_reader_view_get_page (view)->location, location_after (view, old_right)));
      g_assert_true (same_location (kios_reader_view_get_right_page (view)->location,
                                    location_after (view, kios_reader_view_get_page (view)->location)));
    }

  g_free (kios_test_save_screenshot (GTK_WIDGET (window), name));

  /* The position, shown and saved, is the left page's. */
  g_assert_true (kios_position_equal (kios_reader_view_get_position (view), kios_reader_view_get_page (view)->position));
  {
    g_autoptr (KiosPosition) saved = NULL;

    g_assert_true (kios_library_store_flush (store, 5000));
    saved = kios_library_store_get_position (store, kios_document_get_hash (kios_reader_view_get_document (view)), NULL);
    g_assert_nonnull (saved);
    g_assert_cmpint (saved->chapter, ==, kios_reader_view_get_page (view)->position->chapter);
    g_assert_cmpint (saved->offset, ==, kios_reader_view_get_page (view)->position->offset);
    g_assert_cmpstr (saved->xpointer, ==, kios_reader_view_get_page (view)->position->xpointer);
  }

  /* And back by two. */
  {
    KiosLocation here = kios_reader_view_get_page (view)->location;
    KiosLocation after;

    turn (window, -1);
    after = location_after (view, kios_reader_view_get_page (view)->location);
    g_assert_true (same_location (location_after (view, after), here));
  }
}

static void
test_layout_spread (void)
{
  g_autoptr (GSettings)        settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  const char                  *books[] = { "persuasion.epub", "northanger-abbey.pdf" };

  g_settings_set_string (settings, "page-layout", "spread");
  for (guint i = 0; i < G_N_ELEMENTS (books); i++)
    {
      g_autofree char  *name = g_strdup_printf ("layout-spread-%u", i);
      KiosWindow       *window = kios_window_new (NULL);
      g_autofree char  *path = kios_test_sample_book (books[i]);
      g_autoptr (GFile) file = g_file_new_for_path (path);

      kios_window_set_store (window, store);
      gtk_window_set_default_size (GTK_WINDOW (window), 1400, 800);
      gtk_window_present (GTK_WINDOW (window));
      g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
      kios_window_open_file (window, file);
      g_assert_true (kios_test_wait_until (page_shown, window, 30000));
      check_spread (window, store, name);

      /* One page again at once, from the popover's setting. */
      g_action_group_change_action_state (G_ACTION_GROUP (window), "page-layout", g_variant_new_string ("single"));
      g_assert_false (kios_reader_view_get_spread (kios_window_get_reader_view (window)));
      g_assert_null (kios_reader_view_get_right_page (kios_window_get_reader_view (window)));
      /* Automatic: a wide window shows two. */
      g_settings_set_string (settings, "page-layout", "auto");
      g_assert_true (kios_test_wait_until (right_page_shown, kios_window_get_reader_view (window), 20000));
      g_settings_set_string (settings, "page-layout", "spread");
      close_window (window);
    }

  /* Automatic in a window of the default size: one page. */
  g_settings_set_string (settings, "page-layout", "auto");
  {
    KiosWindow *window = open_window ("persuasion.epub", 1000, 720);

    g_assert_false (kios_reader_view_get_spread (kios_window_get_reader_view (window)));
    g_assert_null (kios_reader_view_get_right_page (kios_window_get_reader_view (window)));
    close_window (window);
  }
  /* Preferences has the setting too. */
  {
    KiosPreferencesWindow *prefs = kios_preferences_window_new_with_manager (NULL, NULL);
    AdwComboRow           *row = ADW_COMBO_ROW (kios_test_find_widget (GTK_WIDGET (prefs), ADW_TYPE_COMBO_ROW, "page-layout-row"));
    g_autofree char       *value = NULL;

    g_assert_nonnull (row);
    g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);
    adw_combo_row_set_selected (row, 2);
    value = g_settings_get_string (settings, "page-layout");
    g_assert_cmpstr (value, ==, "spread");
    adw_combo_row_set_selected (row, 1);
    g_free (value);
    value = g_settings_get_string (settings, "page-layout");
    g_assert_cmpstr (value, ==, "single");
    gtk_window_destroy (GTK_WINDOW (prefs));
  }
  g_settings_reset (settings, "page-layout");
}

/* ---- scrolled ---- */

typedef struct
{
  KiosReaderView *view;
  KiosLocation    top;
  double          fraction;
} ScrollWait;

/* Scrolls by fraction of the view until the top page is another one. */
static gboolean
scrolled_past (gpointer data)
{
  ScrollWait *wait = data;

  if (!same_location (kios_reader_view_get_page (wait->view)->location, wait->top))
    return TRUE;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (wait->view), "reader.scroll", "d", wait->fraction));
  return FALSE;
}

static void
test_layout_scrolled (void)
{
  g_autoptr (GSettings)        settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *path = kios_test_sample_book ("pride-and-prejudice.epub");
  g_autoptr (GFile)            file = g_file_new_for_path (path);
  KiosWindow                  *window = kios_window_new (NULL);
  KiosReaderView              *view = kios_window_get_reader_view (window);
  ScrollWait                   wait = { view };
  KiosLocation                 first;

  g_settings_set_string (settings, "page-layout", "scrolled");
  kios_window_set_store (window, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  kios_window_open_file (window, file);
  g_assert_true (kios_test_wait_until (page_shown, window, 30000));
  g_assert_true (kios_reader_view_get_scrolled (view));
  g_assert_false (kios_reader_view_get_spread (view));
  open_text_menu (window);
  g_assert_true (gtk_widget_get_visible (find_named (window, "scrolled-toggle")));

  /* Down a little: the same page on top, moved up. */
  first = kios_reader_view_get_page (view)->location;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "reader.scroll", "d", 0.15));
  g_assert_true (same_location (kios_reader_view_get_page (view)->location, first));
  g_assert_cmpfloat (kios_reader_view_get_scroll_offset (view), >, 0.0);

  /* Further on, past a page boundary: the next page is on top, its
   * position the view's and the one saved. */
  for (int i = 0; i < 3; i++)
    {
      KiosLocation top = kios_reader_view_get_page (view)->location;

      wait.top = top;
      wait.fraction = 0.15;
      g_assert_true (kios_test_wait_until (scrolled_past, &wait, 20000));
      g_assert_true (same_location (kios_reader_view_get_page (view)->location, location_after (view, top)));
    }
  /* Halfway down a page: its end above, the next page's start below. */
  {
    KiosLocation top = kios_reader_view_get_page (view)->location;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "reader.scroll", "d", 0.5));
    g_assert_true (same_location (kios_reader_view_get_page (view)->location, top));
    g_assert_cmpfloat (kios_reader_view_get_scroll_offset (view), >, 0.0);
  }
  g_free (kios_test_save_screenshot (GTK_WIDGET (window), "layout-scrolled"));
  g_assert_true (kios_position_equal (kios_reader_view_get_position (view), kios_reader_view_get_page (view)->position));
  {
    g_autoptr (KiosPosition) saved = NULL;

    g_assert_true (kios_library_store_flush (store, 5000));
    saved = kios_library_store_get_position (store, kios_document_get_hash (kios_reader_view_get_document (view)), NULL);
    g_assert_nonnull (saved);
    g_assert_cmpstr (saved->xpointer, ==, kios_reader_view_get_page (view)->position->xpointer);
  }

  /* Back up over the boundary: the page before on top again, scrolled. */
  {
    KiosLocation top = kios_reader_view_get_page (view)->location;

    wait.top = top;
    wait.fraction = -0.15;
    g_assert_true (kios_test_wait_until (scrolled_past, &wait, 20000));
    g_assert_true (same_location (location_after (view, kios_reader_view_get_page (view)->location), top));
    g_assert_cmpfloat (kios_reader_view_get_scroll_offset (view), >, 0.0);
  }

  /* A PDF keeps its pages: one at a time. */
  {
    g_autofree char  *pdf = kios_test_sample_book ("persuasion.pdf");
    g_autoptr (GFile) pdf_file = g_file_new_for_path (pdf);

    kios_window_open_file (window, pdf_file);
    g_assert_true (kios_test_wait_until (page_shown, window, 30000));
    g_assert_false (kios_reader_view_get_scrolled (view));
    g_assert_false (gtk_widget_get_visible (find_named (window, "scrolled-toggle")));
  }

  /* Back to pages: the view turns again. */
  g_settings_set_string (settings, "page-layout", "single");
  g_assert_false (kios_reader_view_get_scrolled (view));
  close_window (window);
  g_settings_reset (settings, "page-layout");
}

static gint64
test_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

/* The reader's pace is measured in spreads too (a turn there is two pages). */
static void
test_layout_spread_pace (void)
{
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  gint64                now = 1000 * G_TIME_SPAN_SECOND;
  KiosWindow           *window;
  KiosReaderView       *view;

  g_settings_set_string (settings, "page-layout", "spread");
  window = open_window ("pride-and-prejudice.epub", 1400, 800);
  view = kios_window_get_reader_view (window);
  kios_reader_view_set_clock (view, test_clock, &now);
  g_assert_true (kios_test_wait_until (right_page_shown, view, 20000));
  turn (window, 1);
  g_assert_null (kios_reader_view_get_time_left (view));
  for (int i = 0; i < 6; i++)
    {
      now += 60 * G_TIME_SPAN_SECOND;
      turn (window, 1);
    }
  g_test_message ("time left: %s", kios_reader_view_get_time_left (view));
  g_assert_nonnull (kios_reader_view_get_time_left (view));

  kios_reader_view_set_clock (view, NULL, NULL);
  close_window (window);
  g_settings_reset (settings, "page-layout");
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/layout/dark-window", test_layout_dark_window);
  g_test_add_func ("/kios/layout/popover-pdf", test_layout_popover_pdf);
  g_test_add_func ("/kios/layout/popover-lazy", test_layout_popover_lazy);
  g_test_add_func ("/kios/layout/popover-escape", test_layout_popover_escape);
  g_test_add_func ("/kios/layout/fullscreen", test_layout_fullscreen);
  g_test_add_func ("/kios/layout/spread", test_layout_spread);
  g_test_add_func ("/kios/layout/spread-pace", test_layout_spread_pace);
  g_test_add_func ("/kios/layout/scrolled", test_layout_scrolled);

  return g_test_run ();
}
