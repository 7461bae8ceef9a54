/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * The application's side of a start: the sync service, the library and the
 * source manager are made only after the first window's first frame (and
 * still come up), anything asking for them earlier gets them at once, and a
 * launch hint is found by the book's content, not its name; with no hint
 * yet, the first page is still made while GTK starts; what find needs is
 * not built for it; a first start makes the new library beside GTK's
 * start-up, not before it.
 */

#define G_LOG_DOMAIN "test-launch-app"

#include "config.h"

#include "kios-application.h"
#include "kios-launch-hint.h"
#include "kios-paths.h"
#include "kios-preferences-window.h"
#include "kios-reader-view-private.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"
#include "kios-window-private.h"

#include <glib/gstdio.h>

/* One application per process: each case runs in its own and registers
 * an application there (TRUE in that process). */
static gboolean
app_in_own_process (KiosApplication **app)
{
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return FALSE;
    }
  /* A test subprocess cannot read the SVG icons (Kios can): warnings about
   * them are not what these tests are about. Criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  *app = kios_application_new ();
  /* The case before may still own the name on the bus. */
  g_application_set_flags (G_APPLICATION (*app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (*app), NULL, &error));
  g_assert_no_error (error);
  return TRUE;
}

typedef struct
{
  KiosApplication *app;
  KiosWindow      *window;
  gboolean         services_before_start; /* made before the window started */
  gboolean         painted_before_start;  /* a frame was painted first */
} ServicesWatch;

/* Called on every main loop turn until the window has started. */
static gboolean
window_started (gpointer data)
{
  ServicesWatch *watch = data;

  if (watch->window == NULL)
    watch->window = KIOS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (watch->app)));
  if (watch->window == NULL || !kios_window_is_started (watch->window))
    {
      watch->services_before_start |= kios_application_has_services (watch->app);
      return FALSE;
    }
  watch->painted_before_start = kios_window_get_first_frame_page (watch->window) != NULL;
  return TRUE;
}

/* Kios started without a book: the library window paints first, then the
 * services come up and the library lists through the application's. */
static void
test_services_after_first_frame (void)
{
  g_autoptr (KiosApplication) app = NULL;
  ServicesWatch               watch = { NULL, NULL, FALSE, FALSE };

  if (!app_in_own_process (&app))
    return;
  watch.app = app;
  /* Startup opened the store, and only the store. */
  g_assert_nonnull (kios_application_get_store (app));
  g_assert_false (kios_application_has_services (app));

  g_application_activate (G_APPLICATION (app));
  g_assert_true (kios_test_wait_until (window_started, &watch, 30000));
  g_assert_false (watch.services_before_start);
  g_assert_true (watch.painted_before_start);

  /* And they are up: one library, the start view's. */
  g_assert_true (kios_application_has_services (app));
  g_assert_nonnull (kios_application_get_sync_service (app));
  g_assert_nonnull (kios_application_get_source_manager (app));
  g_assert_true (kios_start_view_get_library (kios_window_get_start_view (watch.window)) ==
                 kios_application_get_library (app));

  g_application_quit (G_APPLICATION (app));
}

/* Settings opened before any window started gets the source manager (and
 * the services with it) at once. */
static void
test_services_on_demand (void)
{
  g_autoptr (KiosApplication) app = NULL;
  g_autoptr (GList)           toplevels = NULL;
  gboolean                    shown = FALSE;

  if (!app_in_own_process (&app))
    return;
  g_assert_false (kios_application_has_services (app));

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_assert_true (kios_application_has_services (app));
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    shown |= KIOS_IS_PREFERENCES_WINDOW (l->data);
  g_assert_true (shown);

  /* Once only: the getters hand out the same objects. */
  {
    KiosSyncService *service = kios_application_get_sync_service (app);

    kios_application_start_services (app);
    g_assert_true (kios_application_get_sync_service (app) == service);
  }

  g_application_quit (G_APPLICATION (app));
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

/* A PDF named without ".pdf": its hint is saved as a PDF's and found
 * again by its content. */
static void
test_hint_by_content (void)
{
  g_autoptr (KiosApplication) app = NULL;
  g_autofree char            *sample = kios_test_sample_book ("persuasion.pdf");
  g_autofree char            *dir = NULL;
  g_autofree char            *path = NULL;
  g_autofree char            *contents = NULL;
  gsize                       length = 0;
  g_autoptr (GFile)           file = NULL;
  GtkWindow                  *window;
  HintWait                    wait = { NULL, 0, 0 };
  KiosLaunchHint              hint;

  if (!app_in_own_process (&app))
    return;
  dir = g_dir_make_tmp ("kios-launch-app-XXXXXX", NULL);
  path = g_build_filename (dir, "persuasion", NULL);
  file = g_file_new_for_path (path);
  wait.book = path;
  g_assert_true (g_file_get_contents (sample, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (path, contents, (gssize) length, NULL));
  kios_application_preopen (app, path);
  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (KIOS_IS_WINDOW (window));

  gtk_window_get_default_size (window, &wait.width, &wait.height);
  g_assert_true (kios_test_wait_until (hint_saved, &wait, 20000));
  g_assert_true (kios_launch_hint_load (path, wait.width, wait.height, &hint));
  /* A PDF's hint: no EPUB layout. */
  g_assert_false (hint.has_layout);
  /* A first start, yet its page was made while GTK started: as a window
   * of the default size asks for a PDF's page. */
  g_assert_true (KIOS_WINDOW (window)->reader_view->current->page->made_ahead);
  /* The find bar is made when find is first used, not for the first page. */
  g_assert_null (KIOS_WINDOW (window)->reader_view->find_bar);
  g_assert_nonnull (kios_reader_view_get_find_bar (KIOS_WINDOW (window)->reader_view));

  g_application_quit (G_APPLICATION (app));
  g_unlink (path);
  g_rmdir (dir);
}

/* Whether the window shows a page of its book. */
static gboolean
page_shown (gpointer data)
{
  KiosWindow *window = data;

  return window->reader_view->current != NULL;
}

/* Starts app on sample as main () does (named before the start, so that
 * start-up starts opening it), checks that GTK's start-up did not wait for
 * the library and that the window took it as it was made, and waits for
 * the page. */
static KiosWindow *
open_beside_gtk (KiosApplication *app,
                 const char      *sample)
{
  g_autoptr (GFile)  file = g_file_new_for_path (sample);
  g_autoptr (GError) error = NULL;
  KiosWindow        *window;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  kios_application_preopen (app, sample);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  /* GTK's start-up is over and the library is not waited for yet. */
  g_assert_false (kios_application_has_store (app));

  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = KIOS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (KIOS_IS_WINDOW (window));
  g_assert_true (kios_application_has_store (app));
  g_assert_nonnull (window->store);
  g_assert_true (window->store == kios_application_get_store (app));
  g_assert_true (kios_test_wait_until (page_shown, window, 20000));
  return window;
}

/* A first start on a book: the new library is made on its own thread while
 * GTK starts, and the window still reads and keeps its place in it. */
static void
test_new_library_beside_gtk (void)
{
  g_autoptr (KiosApplication) app = NULL;
  g_autofree char            *sample = kios_test_sample_book ("kjv-bible.epub");
  g_autofree char            *db_path = kios_paths_library_db ();

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_assert_false (g_file_test (db_path, G_FILE_TEST_EXISTS));
  app = kios_application_new ();
  open_beside_gtk (app, sample);
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));

  g_application_quit (G_APPLICATION (app));
}

/* A start on a book with a library opens the library on its own thread,
 * beside GTK's start-up; the page made meanwhile is still the one where an
 * earlier session left the book. */
static void
test_library_beside_gtk (void)
{
  g_autoptr (KiosApplication) app = NULL;
  g_autofree char            *sample = kios_test_sample_book ("pride-and-prejudice.epub");
  g_autofree char            *db_path = kios_paths_library_db ();
  g_autoptr (GError)          error = NULL;
  KiosWindow                 *window;
  const KiosPosition         *shown;
  int                         saved_chapter;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  /* Where an earlier session left the book. */
  {
    g_autoptr (KiosLibraryStore) store = kios_library_store_new (db_path, &error);
    g_autoptr (KiosDocument)     document = NULL;
    g_autoptr (KiosPage)         page = NULL;
    KiosPageRequest              request;

    g_assert_no_error (error);
    document = kios_document_open_sync (sample, &error);
    g_assert_no_error (error);
    kios_page_request_init (&request);
    request.kind = KIOS_PAGE_REQUEST_LOCATION;
    request.location.chapter = 9;
    request.location.page = 1;
    request.position_only = TRUE;
    page = kios_document_render_sync (document, &request, &error);
    g_assert_no_error (error);
    saved_chapter = page->position->chapter;
    kios_library_store_save_position (store, kios_document_get_hash (document), page->position);
    g_assert_true (kios_library_store_flush (store, 5000));
  }

  app = kios_application_new ();
  window = open_beside_gtk (app, sample);
  /* The page made while GTK started, at the saved position. */
  shown = kios_reader_view_get_position (kios_window_get_reader_view (window));
  g_assert_nonnull (shown);
  g_assert_cmpint (shown->chapter, ==, saved_chapter);
  g_assert_true (window->reader_view->current->page->made_ahead);

  g_application_quit (G_APPLICATION (app));
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/launch-app/services-after-first-frame", test_services_after_first_frame);
  g_test_add_func ("/kios/launch-app/services-on-demand", test_services_on_demand);
  g_test_add_func ("/kios/launch-app/hint-by-content", test_hint_by_content);
  g_test_add_func ("/kios/launch-app/new-library-beside-gtk", test_new_library_beside_gtk);
  g_test_add_func ("/kios/launch-app/library-beside-gtk", test_library_beside_gtk);

  return g_test_run ();
}
