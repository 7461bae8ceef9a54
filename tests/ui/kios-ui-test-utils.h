/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * Helpers shared by the GTK tests (header-only: each test is one binary).
 * TESTING-HEADLESS.md §2-3: no display means a TAP skip, animations are off,
 * and screenshots wait for a painted frame.
 */

#pragma once

#include <adwaita.h>
#include <glib/gstdio.h>

#include "kios-library-store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef gboolean (*KiosTestCondition) (gpointer data);

static inline void
kios_ui_test_init (int    *argc,
                   char ***argv)
{
  GtkCssProvider *provider;
  GdkDisplay     *display;
  GtkIconTheme   *icon_theme;
  char          **data_dirs;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("1..0 # SKIP no display (run with meson test --setup headless)\n");
      exit (0);
    }

  /* gtk_test_init() drops its varargs, so G_TEST_OPTION_ISOLATE_DIRS has to
   * go to g_test_init() directly: every case gets its own XDG directories and
   * never touches the real library. */
  /* Isolated cases get an empty XDG_DATA_DIRS, without the MIME database that
   * image loading sniffs with: load it once now, from the real directories. */
  g_free (g_content_type_guess ("icon.svg", (const guchar *) "<svg", 4, NULL));
  /* The same for the icon themes (Adwaita) under the real data directories. */
  data_dirs = g_strdupv ((char **) g_get_system_data_dirs ());
  gtk_disable_setlocale ();
  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  gtk_init ();
  adw_init ();

  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  /* What AdwApplication does for the app: our icons and style sheet. */
  display = gdk_display_get_default ();
  icon_theme = gtk_icon_theme_get_for_display (display);
  for (guint i = 0; data_dirs[i] != NULL; i++)
    {
      g_autofree char *icons = g_build_filename (data_dirs[i], "icons", NULL);

      gtk_icon_theme_add_search_path (icon_theme, icons);
    }
  g_strfreev (data_dirs);
  gtk_icon_theme_add_resource_path (icon_theme, "/app/kios/Kios/icons");
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/app/kios/Kios/style.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref (provider);
}

/* Iterates the main context until cond is true; FALSE after exactly
 * timeout_ms, for a condition that may never come (one a window manager
 * grants, say). */
static inline gboolean
kios_test_poll_until (KiosTestCondition cond,
                      gpointer          data,
                      guint             timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }

  return TRUE;
}

/* A wait's bound only says how soon a failure shows, never how fast the
 * thing must be: on a loaded 2-core CI machine, under Xvfb, mapping a
 * window or a first frame can take seconds. No wait gives up sooner. */
#define KIOS_TEST_MIN_WAIT_MS 30000

/* Iterates the main context until cond is true; FALSE after timeout_ms
 * (at least KIOS_TEST_MIN_WAIT_MS). */
static inline gboolean
kios_test_wait_until (KiosTestCondition cond,
                      gpointer          data,
                      guint             timeout_ms)
{
  return kios_test_poll_until (cond, data, MAX (timeout_ms, KIOS_TEST_MIN_WAIT_MS));
}

static inline gboolean
kios_test_widget_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static inline void
kios_test_painted_cb (GdkFrameClock *clock,
                      gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
}

static inline gboolean
kios_test_flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* Waits until the widget's surface has painted a frame after this call. */
static inline void
kios_test_wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock;
  gboolean       painted = FALSE;
  gulong         id;

  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, widget, 5000));
  clock = gtk_widget_get_frame_clock (widget);
  g_assert_nonnull (clock);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (kios_test_painted_cb), &painted);
  gtk_widget_queue_draw (widget);
  g_assert_true (kios_test_wait_until (kios_test_flag_set, &painted, 5000));
  g_signal_handler_disconnect (clock, id);
}

/* Saves the widget as it looks now to $KIOS_SCREENSHOT_DIR (or the test build
 * dir's screenshots/) as name.png, and returns the path. */
static inline char *
kios_test_save_screenshot (GtkWidget  *widget,
                           const char *name)
{
  g_autoptr (GdkPaintable)  paintable = NULL;
  g_autoptr (GtkSnapshot)   snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture)    texture = NULL;
  g_autofree char          *dir = NULL;
  g_autofree char          *file_name = NULL;
  char                     *path;
  GskRenderer              *renderer;
  int                       width;
  int                       height;

  paintable = gtk_widget_paintable_new (widget);

  /* A widget between a resize and its next frame has nothing to draw yet:
   * wait for frames until it does (bounded). */
  for (int attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      kios_test_wait_for_paint (widget);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (g_getenv ("KIOS_SCREENSHOT_DIR") != NULL)
    dir = g_strdup (g_getenv ("KIOS_SCREENSHOT_DIR"));
  else
    dir = g_build_filename (g_test_get_dir (G_TEST_BUILT), "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);

  return path;
}

/* The widget as it paints now, as native-endian premultiplied ARGB
 * (B, G, R, A bytes on little-endian machines), width * 4 bytes a row. */
static inline guchar *
kios_test_render_pixels (GtkWidget *widget,
                         int       *width,
                         int       *height)
{
  g_autoptr (GdkPaintable)  paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot)   snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture)    texture = NULL;
  guchar                   *pixels;

  *width = gtk_widget_get_width (widget);
  *height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), *width, *height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, *width, *height));
  pixels = g_malloc ((gsize) *width * *height * 4);
  gdk_texture_download (texture, pixels, (gsize) *width * 4);
  return pixels;
}

/* Depth-first search for a descendant of a type (and name, if given). */
static inline GtkWidget *
kios_test_find_widget (GtkWidget  *root,
                       GType       type,
                       const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && (name == NULL || g_strcmp0 (gtk_widget_get_name (child), name) == 0))
        return child;

      found = kios_test_find_widget (child, type, name);
      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The sample books directory (KIOS_SAMPLE_BOOKS, else the source tree's). */
static inline char *
kios_test_sample_book (const char *name)
{
  const char *dir = g_getenv ("KIOS_SAMPLE_BOOKS");

  if (dir != NULL)
    return g_build_filename (dir, name, NULL);

  return g_build_filename (TEST_SRCDIR, "books", name, NULL);
}

/* A new library in this case's own (isolated) data directory. */
static inline KiosLibraryStore *
kios_test_new_store (void)
{
  g_autofree char   *path = g_build_filename (g_get_user_data_dir (), "library.db", NULL);
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  store = kios_library_store_new (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

/* For a start view card's cover overlay: the title placeholder on top is
 * no longer drawn once the cover image is in (it stays laid out, not
 * child-visible). */
static inline gboolean
kios_test_cover_shown (gpointer overlay)
{
  GtkWidget *placeholder = gtk_widget_get_last_child (GTK_WIDGET (overlay));

  return placeholder != NULL && (!gtk_widget_get_visible (placeholder) || !gtk_widget_get_child_visible (placeholder));
}

/* ------------------------------------------------------------------------ */
/* A reader view in a window, with a book open (the selection, annotation
 * and accessibility tests share it).                                       */

#include "../kios-test-threads.h"
#include "kios-reader-view.h"

typedef struct
{
  GtkWidget        *window;
  KiosReaderView   *view;
  KiosLibraryStore *store;
  KiosDocument     *document;
  guint             shown;
} KiosReaderFixture;

static inline void
kios_test_reader_shown_cb (KiosReaderView    *view,
                           KiosReaderFixture *f)
{
  f->shown++;
}

/* titlebar: NULL, or a header bar for the window (screenshots). */
static inline void
kios_test_reader_setup_full (KiosReaderFixture *f,
                             const char        *book,
                             int                width,
                             int                height,
                             GtkWidget         *titlebar)
{
  g_autofree char   *path = kios_test_sample_book (book);
  g_autoptr (GError) error = NULL;

  memset (f, 0, sizeof *f);
  f->store = kios_test_new_store ();
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, height);
  if (titlebar != NULL)
    gtk_window_set_titlebar (GTK_WINDOW (f->window), titlebar);
  f->view = kios_reader_view_new ();
  kios_reader_view_set_store (f->view, f->store);
  g_signal_connect (f->view, "page-shown", G_CALLBACK (kios_test_reader_shown_cb), f);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, f->window, 5000));

  f->document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_reader_view_open (f->view, f->document, NULL);
}

static inline void
kios_test_reader_setup (KiosReaderFixture *f,
                        const char        *book,
                        int                width,
                        int                height)
{
  kios_test_reader_setup_full (f, book, width, height, NULL);
}

static inline void
kios_test_reader_teardown (KiosReaderFixture *f)
{
  kios_reader_view_close (f->view);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->document);
  /* The worker ends its current step on its own: the next test's
   * directories must not be swapped under it. */
  kios_test_wait_workers_ended (30000);
  g_assert_true (kios_library_store_flush (f->store, 5000));
  g_clear_object (&f->store);
}

typedef struct
{
  KiosReaderFixture *f;
  guint              target;
} KiosReaderShownWait;

static inline gboolean
kios_test_reader_shown_reached (gpointer data)
{
  KiosReaderShownWait *wait = data;

  return wait->f->shown >= wait->target;
}

/* Waits for the page shown after `before` pages were. */
static inline void
kios_test_reader_wait_shown (KiosReaderFixture *f,
                             guint              before)
{
  KiosReaderShownWait wait = { f, before + 1 };

  g_assert_true (kios_test_wait_until (kios_test_reader_shown_reached, &wait, 10000));
}

/* The AdwMessageDialog shown, or NULL. */
static inline GtkWindow *
kios_test_find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* Activates what a key press would, through the widget's own shortcut
 * controllers (GTK 4 has no way to synthesize a key event). */
static inline gboolean
kios_test_press_key (GtkWidget      *widget,
                     guint           keyval,
                     GdkModifierType modifiers)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger     *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == modifiers)
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                 GTK_SHORTCUT_ACTION_EXCLUSIVE,
                                                 widget,
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }
  return FALSE;
}
