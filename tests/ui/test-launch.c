/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * Starting Kios on a book: the first frame is the reader, and what the first
 * page does not need (the sync engine and its account, the library sidebar,
 * the local books and catalogs) comes up only after that page is painted —
 * and still comes up: a push left pending by an earlier session goes out.
 */

#define G_LOG_DOMAIN "test-launch"

#include "config.h"

#include "kios-application.h"
#include "kios-document.h"
#include "kios-fake-kosync.h"
#include "kios-launch-hint.h"
#include "kios-library-store.h"
#include "kios-paths.h"
#include "kios-reader-view-private.h"
#include "kios-sync-source.h"
#include "kios-ui-test-utils.h"
#include "kios-window-private.h"

#include <glib/gstdio.h>
#include <string.h>

#define BOOK "pride-and-prejudice.epub"
#define USER "alice"
#define PASSWORD "s3cret-passw0rd"
#define SYNC_SOURCE "KOReader sync"
#define CATALOG "Home catalog"

typedef struct
{
  KiosWindow *window;
  gboolean    seen_started;
  gboolean    page_before_start; /* the reader had its page when the start came */
  gboolean    engine_before_start;
  gboolean    library_before_start;   /* the library's widgets were made */
  gboolean    neighbour_before_start; /* the page after was asked for */
  gboolean    mapped;
  gboolean    page_at_map;             /* the reader had its page when the window mapped */
  gboolean    tooltip_before_start;    /* a header bar button had its tooltip */
  gboolean    menu_before_start;       /* the main menu's popover was made */
  gboolean    error_page_before_start; /* the reader's error page was made */
} StartWatch;

/* The window maps (and so can paint) only with its page ready. */
static void
window_mapped_cb (GtkWidget  *widget,
                  StartWatch *watch)
{
  watch->mapped = TRUE;
  watch->page_at_map = kios_reader_view_get_position (kios_window_get_reader_view (watch->window)) != NULL;
}

/* Called on every main loop turn: catches the moment of the start. */
static gboolean
window_started (gpointer data)
{
  StartWatch *watch = data;

  if (!kios_window_is_started (watch->window))
    {
      watch->engine_before_start |= kios_window_get_sync_engine (watch->window) != NULL;
      watch->library_before_start |= watch->window->library_flap != NULL;
      watch->neighbour_before_start |= watch->window->reader_view->next != NULL ||
                                       watch->window->reader_view->slot_cancellable[SLOT_NEXT] != NULL;
      /* Each tooltip set asks the X server where the pointer is. */
      watch->tooltip_before_start |= gtk_widget_get_tooltip_text (watch->window->main_menu_button) != NULL ||
                                     gtk_widget_get_tooltip_text (watch->window->bookmark_button) != NULL;
      watch->menu_before_start |= gtk_menu_button_get_popover (GTK_MENU_BUTTON (watch->window->main_menu_button)) != NULL;
      watch->error_page_before_start |= watch->window->reader_view->status_page != NULL;
      return FALSE;
    }
  if (!watch->seen_started)
    {
      watch->seen_started = TRUE;
      watch->page_before_start = kios_reader_view_get_position (kios_window_get_reader_view (watch->window)) != NULL;
    }
  return TRUE;
}

static gboolean
first_frame_painted (gpointer data)
{
  StartWatch *watch = data;

  window_started (watch);
  return kios_window_get_first_frame_page (watch->window) != NULL;
}

static gboolean
next_page_ready (gpointer data)
{
  return KIOS_READER_VIEW (data)->next != NULL;
}

static gboolean
has_engine (gpointer data)
{
  return kios_window_get_sync_engine (KIOS_WINDOW (data)) != NULL;
}

static gboolean
sidebar_listed (gpointer data)
{
  KiosLibrarySidebar *sidebar = KIOS_WINDOW (data)->library_sidebar;

  return !kios_library_sidebar_is_loading (sidebar) && kios_library_sidebar_get_n_sources (sidebar) > 0;
}

static gboolean
local_books_listed (gpointer data)
{
  KiosLocalBooks *books = KIOS_WINDOW (data)->local_books;

  return !kios_local_books_is_loading (books) && kios_local_books_get_n_books (books) > 0;
}

static gboolean
engine_idle (gpointer data)
{
  return !kios_sync_engine_is_busy (KIOS_SYNC_ENGINE (data));
}

typedef struct
{
  KiosLibraryStore *store;
  const char       *hash;
} PendingWait;

static gboolean
pending_cleared (gpointer data)
{
  PendingWait             *wait = data;
  g_autoptr (KiosPosition) pending = NULL;

  kios_library_store_flush (wait->store, 1000);
  pending = kios_library_store_get_pending_push (wait->store, wait->hash, SYNC_SOURCE, NULL);
  return pending == NULL;
}

static gboolean
pushed (gpointer data)
{
  return kios_fake_kosync_count_requests (data, "PUT", "/syncs/progress") > 0;
}

/* The account and a catalog as Settings saves them; the position the
 * earlier session read to, saved and still pending for the server. */
static char *
prepare_library (KiosLibraryStore *store,
                 const char       *base_url,
                 const char       *book_path)
{
  KiosSourceRecord         account = { 0 };
  KiosSourceRecord         catalog = { 0 };
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (book_path, &error);
  g_autoptr (KiosPage)     page = NULL;
  KiosPageRequest          request;

  g_assert_no_error (error);

  account.name = SYNC_SOURCE;
  account.kind = "kosync";
  account.auth = "headers";
  g_assert_true (kios_sync_source_save_secrets (&account, base_url, USER, PASSWORD, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, &account, &error));
  g_assert_no_error (error);
  g_free (account.url);
  g_free (account.username);

  catalog.name = CATALOG;
  catalog.kind = "opds";
  catalog.url = "http://127.0.0.1:1/opds";
  catalog.auth = "none";
  g_assert_true (kios_library_store_add_source (store, &catalog, &error));
  g_assert_no_error (error);

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = 9;
  request.location.page = 1;
  request.position_only = TRUE;
  page = kios_document_render_sync (document, &request, &error);
  g_assert_no_error (error);
  kios_library_store_save_position (store, kios_document_get_hash (document), page->position);
  kios_library_store_set_pending_push (store, kios_document_get_hash (document), SYNC_SOURCE, page->position);
  g_assert_true (kios_library_store_flush (store, 5000));

  return g_strdup (kios_document_get_hash (document));
}

/* The contents list's entries as the list view has them. */
static guint
listed_entries (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (widget))));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      guint n = listed_entries (child);

      if (n > 0)
        return n;
    }
  return 0;
}

/* Whether the process has the SVG renderer mapped. */
static gboolean
svg_renderer_loaded (void)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, "librsvg") != NULL;
}

typedef struct
{
  const char *book;
  int         width;
  int         height;
} HintWait;

static gboolean
hint_saved (gpointer data)
{
  HintWait      *wait = data;
  KiosLaunchHint hint;

  return kios_launch_hint_load (wait->book, wait->width, wait->height, &hint);
}

static gboolean
icon_theme_scanned (gpointer data)
{
  return kios_application_icon_theme_scanned ();
}

static void
test_launch_book (void)
{
  g_autoptr (KiosApplication) app = kios_application_new ();
  g_autoptr (KiosFakeKosync)  fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char            *base_url = NULL;
  g_autofree char            *sample = kios_test_sample_book (BOOK);
  g_autoptr (GFile)           file = g_file_new_for_path (sample);
  g_autofree char            *hash = NULL;
  g_autofree char            *stored = NULL;
  g_autoptr (GError)          error = NULL;
  KiosLibraryStore           *store;
  StartWatch                  watch = { 0 };

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  store = kios_application_get_store (app);
  g_assert_nonnull (store);
  /* The icon theme is scanned beside the start, not by the first window. */
  g_assert_true (kios_test_wait_until (icon_theme_scanned, NULL, 10000));

  kios_fake_kosync_add_user (fake, USER, PASSWORD);
  base_url = kios_fake_kosync_get_base_url (fake);
  hash = prepare_library (store, base_url, sample);

  /* "kios BOOK", as the file manager starts it: main() starts opening the
   * book, and the window takes that open over. */
  kios_application_preopen (app, sample);
  g_application_open (G_APPLICATION (app), &file, 1, "");
  watch.window = KIOS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (KIOS_IS_WINDOW (watch.window));
  g_assert_false (kios_application_take_preopened (app, sample, NULL, NULL, NULL));
  g_signal_connect (watch.window, "map", G_CALLBACK (window_mapped_cb), &watch);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (watch.window)));

  /* Before any frame: the reader's page is the one shown, named by the
   * file; nothing else has started. */
  g_assert_cmpstr (kios_window_get_visible_page (watch.window), ==, "reader");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (watch.window)), ==, BOOK);
  g_assert_false (kios_window_is_started (watch.window));
  g_assert_null (kios_window_get_sync_engine (watch.window));
  g_assert_false (kios_application_has_services (app));
  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, NULL, NULL), ==, 0);

  /* The first frame painted is the reader, never the library. */
  g_assert_true (kios_test_wait_until (first_frame_painted, &watch, 20000));
  g_assert_cmpstr (kios_window_get_first_frame_page (watch.window), ==, "reader");
  g_assert_true (watch.mapped);
  g_assert_true (watch.page_at_map);

  /* How the page was asked for is kept for the next start in a window of
   * this size, which then makes the page while GTK starts. */
  {
    HintWait       wait = { sample, 0, 0 };
    KiosLaunchHint hint;
    KiosPage      *shown;

    gtk_window_get_default_size (GTK_WINDOW (watch.window), &wait.width, &wait.height);
    g_assert_true (kios_test_wait_until (hint_saved, &wait, 10000));
    g_assert_true (kios_launch_hint_load (sample, wait.width, wait.height, &hint));
    g_assert_true (hint.has_layout);
    shown = watch.window->reader_view->current->page;
    /* No hint yet: the page was made while GTK started all the same, as a
     * window of the default size asks for it. */
    g_assert_true (shown->made_ahead);
    g_assert_cmpint ((int) (hint.request.box_width * hint.request.scale), ==, shown->width);
    g_assert_false (kios_launch_hint_load (sample, wait.width + 1, wait.height, &hint));
  }

  /* The rest comes up only once the page is there. */
  g_assert_true (kios_test_wait_until (window_started, &watch, 30000));
  g_assert_true (watch.page_before_start);
  g_assert_false (watch.engine_before_start);
  g_assert_false (watch.library_before_start);
  /* The page after is made only once the first one is painted. */
  g_assert_false (watch.neighbour_before_start);
  g_assert_true (kios_test_wait_until (next_page_ready, watch.window->reader_view, 10000));

  /* The header bar's tooltips, its main menu and the reader's error page
   * are not made for the first frame; the tooltips come with the start,
   * the menu when it first opens, and the error page with an error. */
  g_assert_false (watch.tooltip_before_start);
  g_assert_false (watch.menu_before_start);
  g_assert_false (watch.error_page_before_start);
  g_assert_null (watch.window->reader_view->status_page);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (watch.window->main_menu_button), ==, "Main Menu");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (watch.window->library_button), ==, "Library");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (watch.window->bookmark_button), ==, "Bookmark This Page (Ctrl+D)");
  {
    GtkMenuButton *menu_button = GTK_MENU_BUTTON (watch.window->main_menu_button);
    GtkPopover    *menu;

    g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (menu_button)));
    gtk_menu_button_popup (menu_button);
    menu = gtk_menu_button_get_popover (menu_button);
    g_assert_true (GTK_IS_POPOVER_MENU (menu));
    g_assert_true (gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (menu)) == watch.window->main_menu);
    gtk_menu_button_popdown (menu_button);
    /* Opened again, the same popover. */
    gtk_menu_button_popup (menu_button);
    g_assert_true (gtk_menu_button_get_popover (menu_button) == menu);
    gtk_menu_button_popdown (menu_button);
  }

  /* The hidden contents sidebar and its list are made when they are shown,
   * not before the first page. */
  {
    KiosReaderView *view = kios_window_get_reader_view (watch.window);
    GtkWidget      *contents;

    g_assert_null (view->sidebar);
    kios_reader_view_set_contents_visible (view, TRUE);
    contents = kios_reader_view_get_contents_sidebar (view);
    g_assert_true (view->sidebar == contents && gtk_widget_get_visible (contents));
    g_assert_cmpuint (listed_entries (contents), >, 0);
    g_assert_cmpuint (listed_entries (contents), ==, kios_document_get_toc (kios_reader_view_get_document (view))->len);
    kios_reader_view_set_contents_visible (view, FALSE);
  }

  /* The library's widgets are made only when the library is needed, and
   * are not styled while the book is read: none of their icons, nor the
   * SVG renderer they need, is loaded. */
  g_assert_null (watch.window->library_flap);
  g_assert_null (watch.window->library_sidebar);
  g_assert_false (svg_renderer_loaded ());
  g_assert_nonnull (kios_window_get_start_view (watch.window));
  g_assert_nonnull (watch.window->library_sidebar);
  g_assert_true (kios_test_wait_until (sidebar_listed, watch.window, 10000));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (watch.window->library_flap)));
  g_assert_cmpstr (kios_window_get_visible_page (watch.window), ==, "reader");
  g_assert_false (svg_renderer_loaded ());

  /* The sidebar lists the catalog, and choosing it opens the catalog. */
  g_assert_true (kios_test_wait_until (sidebar_listed, watch.window, 10000));
  g_assert_true (kios_library_sidebar_select (watch.window->library_sidebar, "source:" CATALOG));
  g_assert_cmpstr (kios_catalog_view_get_source_name (watch.window->catalog_view), ==, CATALOG);
  /* The local books know the book just opened. */
  g_assert_true (kios_library_sidebar_select (watch.window->library_sidebar, "local"));
  g_assert_true (kios_test_wait_until (local_books_listed, watch.window, 10000));

  /* And sync comes up: the engine loads the account, asks the server about
   * the book, and takes over the push left pending by the earlier session;
   * closing the book (the next trigger) sends it. */
  g_assert_true (kios_test_wait_until (has_engine, watch.window, 5000));
  g_assert_true (kios_window_get_sync_service (watch.window) == kios_application_get_sync_service (app));
  g_assert_true (kios_test_wait_until (engine_idle, kios_window_get_sync_engine (watch.window), 10000));
  g_assert_cmpuint (kios_fake_kosync_count_requests (fake, "GET", NULL), >, 0);
  gtk_window_close (GTK_WINDOW (watch.window));
  g_assert_true (kios_test_wait_until (pushed, fake, 10000));
  stored = kios_fake_kosync_get_stored_progress (fake, hash);
  g_assert_nonnull (stored);
  g_assert_true (kios_test_wait_until (pending_cleared, &(PendingWait){ store, hash }, 10000));

  g_application_quit (G_APPLICATION (app));
}

/* The hint file is read back as hostile: a value out of its range, or a
 * file too large to be one, is no hint. */
static void
test_launch_hint_hostile (void)
{
  g_autofree char *dir = kios_paths_cache_dir ();
  g_autofree char *path = g_build_filename (dir, "launch-hint.ini", NULL);
  const char      *good = "[epub]\nwindow-width=1000\nwindow-height=720\nbox-width=720\nbox-height=529\n"
                          "scale=1\nzoom=1\nfit=1\nforeground=1973790\nbackground=16777215\n"
                          "layout-width=720\nlayout-height=529\nfont-size=18\nline-spacing=1.4\n";
  const char      *bad[] = {
         "box-width=1e9\n",
         "box-width=nan\n",
         "scale=0\n",
         "foreground=16777216\n",
         "font-size=-3\n",
         "zoom=\n",
  };
  KiosLaunchHint   hint;
  g_autofree char *big = NULL;
  g_autofree char *epub = kios_test_sample_book (BOOK);
  g_autofree char *pdf = kios_test_sample_book ("persuasion.pdf");

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, good, -1, NULL));
  g_assert_true (kios_launch_hint_load (epub, 1000, 720, &hint));
  g_assert_cmpfloat (hint.request.box_width, ==, 720);
  g_assert_cmphex (hint.request.foreground, ==, 0x1e1e1e);
  g_assert_cmpfloat (hint.layout.line_spacing, ==, 1.4);
  /* Another window size, or a PDF (its own group): no hint. */
  g_assert_false (kios_launch_hint_load (epub, 1000, 721, &hint));
  g_assert_false (kios_launch_hint_load (pdf, 1000, 720, &hint));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strconcat (good, bad[i], NULL);

      /* A key given twice: the last one counts. */
      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      g_assert_false (kios_launch_hint_load (epub, 1000, 720, &hint));
    }

  big = g_strnfill (8192, '#');
  big = g_strconcat (good, big, NULL);
  g_assert_true (g_file_set_contents (path, big, -1, NULL));
  g_assert_false (kios_launch_hint_load (epub, 1000, 720, &hint));
  g_unlink (path);
}

static void
test_launch_broken (void)
{
  g_autoptr (KiosApplication) app = NULL;
  g_autoptr (GError)          error = NULL;
  g_autofree char            *dir = NULL;
  g_autofree char            *path = NULL;
  g_autoptr (GFile)           file = NULL;
  GtkWindow                  *window;
  gint64                      start;

  /* One application per process: this one runs in its own. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  /* In a test subprocess GTK cannot read the SVG icons the error dialog
   * shows (Kios can): those warnings are not what this test is about.
   * Criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  app = kios_application_new ();
  dir = g_dir_make_tmp ("kios-test-launch-XXXXXX", NULL);
  path = g_build_filename (dir, "broken.epub", NULL);
  file = g_file_new_for_path (path);
  g_assert_true (g_file_set_contents (path, "not a book", -1, NULL));
  /* The other test's process may still own the name on the bus. */
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  /* A book that has no page to show still gets its window, soon. */
  start = g_get_monotonic_time ();
  kios_application_preopen (app, path);
  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (KIOS_IS_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 10000));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_false (kios_window_is_reading (KIOS_WINDOW (window)));

  g_application_quit (G_APPLICATION (app));
  g_unlink (path);
  g_rmdir (dir);
}

static const char *test_program;

/* A name of their own on the bus: the other tests' applications keep
 * theirs. */
static KiosApplication *
second_instance_app_new (void)
{
  return g_object_new (KIOS_TYPE_APPLICATION,
                       "application-id", "app.kios.KiosSecondInstanceTest",
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}

static void
subprocess_waited_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

/* The second "kios BOOK", in a process of its own on the same bus. */
static void
run_second_instance (const char *sample)
{
  /* Registered until the process exits, as a GApplication not run is. */
  KiosApplication   *second = second_instance_app_new ();
  g_autoptr (GError) error = NULL;

  kios_application_preopen (second, sample);
  g_assert_false (kios_application_is_preopening (second));
  g_assert_true (g_application_register (G_APPLICATION (second), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_application_get_is_remote (G_APPLICATION (second)));
  g_assert_false (kios_application_is_preopening (second));
  g_assert_null (kios_application_get_store (second));
}

/* "kios BOOK" while Kios runs: the second process hands the book to the
 * first and exits, without opening it or the library itself. The first
 * opens a book named before it registered as soon as it is the primary. */
static void
test_launch_second_instance (void)
{
  g_autofree char   *sample = kios_test_sample_book (BOOK);
  g_autoptr (GError) error = NULL;
  /* Registered until the process exits. */
  KiosApplication                *first = second_instance_app_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GSubprocess)         second = NULL;
  gboolean                        exited = FALSE;

  if (g_getenv ("KIOS_TEST_SECOND_INSTANCE") != NULL)
    {
      run_second_instance (sample);
      return;
    }

  kios_application_preopen (first, sample);
  g_assert_false (kios_application_is_preopening (first));
  g_assert_true (g_application_register (G_APPLICATION (first), NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (first)));
  g_assert_true (kios_application_is_preopening (first));

  /* The second asks the first for its actions: the first answers while it
   * waits. */
  g_subprocess_launcher_setenv (launcher, "KIOS_TEST_SECOND_INSTANCE", "1", TRUE);
  second = g_subprocess_launcher_spawn (launcher, &error, test_program, "-p", "/kios/launch/second-instance", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (second, NULL, subprocess_waited_cb, &exited);
  g_assert_true (kios_test_wait_until (kios_test_flag_set, &exited, 20000));
  g_assert_true (g_subprocess_get_successful (second));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              ret;

  test_program = argv[0];
  kios_ui_test_init (&argc, &argv);

  /* The file backend of libsecret: a real keyring file, no D-Bus. */
  keyring_dir = g_dir_make_tmp ("kios-test-launch-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-launch", TRUE);

  g_test_add_func ("/kios/launch/book", test_launch_book);
  g_test_add_func ("/kios/launch/broken", test_launch_broken);
  g_test_add_func ("/kios/launch/hint-hostile", test_launch_hint_hostile);
  g_test_add_func ("/kios/launch/second-instance", test_launch_second_instance);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
