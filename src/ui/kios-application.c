/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-application"

#include "config.h"

#include "kios-application.h"

#include "kios-document.h"

#include "kios-error-messages.h"
#include "kios-launch-hint.h"
#include "kios-library.h"
#include "kios-paths.h"
#include "kios-preferences-window.h"
#include "kios-source-manager.h"
#include "kios-sync-service.h"
#include "kios-sync-status-text.h"
#include "kios-window.h"

#include <glib/gi18n.h>

/* How long quitting may wait for queued position writes to reach the disk. */
#define STORE_FLUSH_TIMEOUT_MS 3000
/* A window started on a book shows when its first page is ready, or by
 * then anyway (with the book's name while it opens). */
#define FIRST_PAGE_WAIT_MS 300

struct _KiosApplication
{
  AdwApplication parent_instance;

  KiosLibraryStore  *store;
  KiosSyncService   *sync_service;     /* over store; NULL without a library */
  KiosSourceManager *source_manager;   /* over store; NULL without a library */
  KiosLibrary       *library;          /* over store; NULL without a library */
  gboolean           services_started; /* the three above, after the first frame */
  GError            *store_error;      /* why the store could not be opened, shown once */
  GThread           *store_thread;     /* opening or making the library while GTK starts */
  gboolean           library_started;  /* folders rescanned and watched this run */
  GPtrArray         *preopens;         /* of Preopen: books named to main() */
  gboolean           primary;          /* startup ran: this process opens the books */
  KiosSidecarSync   *sidecar_sync;     /* over store, from start_library on */
  KiosLaunchHint     launch_hint;      /* how the first page was asked for last time */
  gboolean           have_launch_hint;
};

/* A book named on the command line, opening while GTK starts up; the
 * window that opens it takes it over. */
typedef struct
{
  char         *path;
  KiosDocument *document;
  GError       *error;
  gboolean      started; /* opening: only ever in the primary instance */
  gboolean      done;
  gboolean      orphaned; /* the application went away first */
  GTask        *waiting;  /* the window's open, once it asked */
} Preopen;

static void
preopen_free (Preopen *preopen)
{
  g_free (preopen->path);
  g_clear_object (&preopen->document);
  g_clear_error (&preopen->error);
  g_clear_object (&preopen->waiting);
  g_free (preopen);
}

static void
preopen_deliver (Preopen *preopen)
{
  GTask *task = g_steal_pointer (&preopen->waiting);

  if (preopen->document != NULL)
    g_task_return_pointer (task, g_steal_pointer (&preopen->document), g_object_unref);
  else
    g_task_return_error (task, g_steal_pointer (&preopen->error));
  g_object_unref (task);
  preopen_free (preopen);
}

static void
preopen_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Preopen *preopen = user_data;

  preopen->document = kios_document_open_finish (result, &preopen->error);
  preopen->done = TRUE;
  if (preopen->waiting != NULL)
    preopen_deliver (preopen);
  else if (preopen->orphaned)
    preopen_free (preopen);
}

G_DEFINE_FINAL_TYPE (KiosApplication, kios_application, ADW_TYPE_APPLICATION)

/* A window for file (or the library): what the first frame does not need
 * comes up after it. */
static KiosWindow *
new_window (KiosApplication *self,
            GFile           *file)
{
  KiosWindow *window = kios_window_new_deferred (self, file);

  if (self->store_error != NULL)
    {
      g_autofree char *message = kios_error_message_for_store (self->store_error);

      kios_window_add_toast (window, adw_toast_new (message));
      g_clear_error (&self->store_error);
    }

  return window;
}

/* A library write failed (a full disk, a read-only file): the reader hears
 * it once, in the window they are looking at. */
static void
store_error_cb (KiosSyncService *service,
                gpointer         error_pointer,
                KiosApplication *self)
{
  const GError    *error = error_pointer;
  GtkWindow       *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *message = NULL;
  AdwToast        *toast;

  /* The store has logged the detail once already. */
  if (error == NULL || !KIOS_IS_WINDOW (window))
    return;
  message = kios_sync_error_sentence (error);
  toast = adw_toast_new (message);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 0);
  kios_window_add_toast (KIOS_WINDOW (window), toast);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GApplication *app = G_APPLICATION (user_data);
  GList        *windows;

  /* Closing (not destroying) each window runs its close-request handler, so
   * it saves its size and closes its book cleanly. */
  windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (app)), (GCopyFunc) g_object_ref, NULL);
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free_full (windows, g_object_unref);

  g_application_quit (app);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkApplication        *app = GTK_APPLICATION (user_data);
  KiosPreferencesWindow *window;

  window = kios_preferences_window_new_with_manager (gtk_application_get_active_window (app),
                                                     kios_application_get_source_manager (KIOS_APPLICATION (app)));
  if (kios_application_get_library (KIOS_APPLICATION (app)) != NULL)
    kios_preferences_window_set_library (window, KIOS_APPLICATION (app)->library);
  gtk_window_present (GTK_WINDOW (window));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkApplication  *app = GTK_APPLICATION (user_data);
  g_autofree char *debug_info = NULL;
  GtkWidget       *about;

  debug_info = g_strdup_printf ("Kios %s (%s)\nGLib %u.%u.%u\nGTK %u.%u.%u\nlibadwaita %u.%u.%u\nMuPDF %s\n",
                                PACKAGE_VERSION, PROFILE,
                                glib_major_version, glib_minor_version, glib_micro_version,
                                gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
                                adw_get_major_version (), adw_get_minor_version (), adw_get_micro_version (),
                                MUPDF_VERSION);

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _ ("Kios"),
                        "application-icon", "app.kios.Kios",
                        "version", PACKAGE_VERSION,
                        "developer-name", _ ("The Kios authors"),
                        "copyright", "© 2026 The Kios authors",
                        "license-type", GTK_LICENSE_AGPL_3_0,
                        "comments", _ ("Read EPUB and PDF books and keep your place on every device"),
                        "debug-info", debug_info,
                        /* Translators: replace with your names, one per line. */
                        "translator-credits", _ ("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
shortcuts_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  GtkApplication        *app = GTK_APPLICATION (user_data);
  g_autoptr (GtkBuilder) builder = NULL;
  GtkWindow             *window;

  builder = gtk_builder_new_from_resource ("/app/kios/Kios/ui/kios-shortcuts-window.ui");
  window = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
  gtk_window_set_transient_for (window, gtk_application_get_active_window (app));
  gtk_window_present (window);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "shortcuts", shortcuts_activated },
};

/* The library opened (or made) on its own thread while GTK starts up;
 * shared with the document's thread, which waits for it to read where the
 * book was left. */
typedef struct
{
  char             *db_path;
  GMutex            lock;
  GCond             cond;
  gboolean          done; /* store or error is set */
  KiosLibraryStore *store;
  GError           *error;
} StoreMaking;

static void
store_making_clear (StoreMaking *making)
{
  g_free (making->db_path);
  g_mutex_clear (&making->lock);
  g_cond_clear (&making->cond);
  g_clear_object (&making->store);
  g_clear_error (&making->error);
}

static void
store_making_unref (StoreMaking *making)
{
  g_atomic_rc_box_release_full (making, (GDestroyNotify) store_making_clear);
}

static void
store_made (KiosApplication  *self,
            const char       *db_path,
            KiosLibraryStore *store,
            GError           *error)
{
  self->store = store;
  if (self->store == NULL)
    {
      g_warning ("Could not open the library %s: %s", db_path, error->message);
      self->store_error = error;
    }
}

/* On its own thread: the library's database (for a new one, its file and
 * tables). Returns its reference to the joiner. */
static gpointer
make_store_thread (gpointer data)
{
  StoreMaking      *making = data;
  GError           *error = NULL;
  KiosLibraryStore *store = kios_library_store_new (making->db_path, &error);

  g_mutex_lock (&making->lock);
  making->store = store;
  making->error = error;
  making->done = TRUE;
  g_cond_broadcast (&making->cond);
  g_mutex_unlock (&making->lock);
  return making;
}

/* Waits for the library being opened on its thread, if it is. */
static void
join_store (KiosApplication *self)
{
  StoreMaking *making;

  if (self->store_thread == NULL)
    return;
  making = g_thread_join (g_steal_pointer (&self->store_thread));
  /* The document's thread may still hold the making: take copies. */
  store_made (self, making->db_path, making->store != NULL ? g_object_ref (making->store) : NULL,
              making->error != NULL ? g_error_copy (making->error) : NULL);
  store_making_unref (making);
}

/* On the document's thread: where the book was left, once the library
 * opening beside GTK's start-up is open. */
static KiosPosition *
start_position_when_open (const char *hash,
                          gpointer    user_data)
{
  StoreMaking                 *making = user_data;
  g_autoptr (KiosLibraryStore) store = NULL;

  g_mutex_lock (&making->lock);
  while (!making->done)
    g_cond_wait (&making->cond, &making->lock);
  if (making->store != NULL)
    store = g_object_ref (making->store);
  g_mutex_unlock (&making->lock);
  return store != NULL ? kios_library_store_get_position (store, hash, NULL) : NULL;
}

/* The store opens its database once per process, at startup or earlier for
 * a book named on the command line; a failure leaves the app usable for
 * reading and is shown in the first window. */
static void
open_store (KiosApplication *self)
{
  g_autofree char  *db_path = NULL;
  GError           *error = NULL;
  KiosLibraryStore *store;

  join_store (self);
  if (self->store != NULL || self->store_error != NULL)
    return;
  db_path = kios_paths_library_db ();
  store = kios_library_store_new (db_path, &error);
  store_made (self, db_path, store, error);
}

/* A start on a book opens the library (SQLite's schema and journal, a
 * couple of milliseconds; for a first start its file and tables, tens of
 * milliseconds of disk writes) on its own thread while GTK starts up; it is
 * joined where it is first needed, which is after GTK's start-up.
 *
 * Returns: (nullable): the making, to wait for on another thread; NULL
 *   when the library is open already or was opened here. */
static StoreMaking *
open_store_beside_gtk (KiosApplication *self,
                       const char      *thread_name)
{
  StoreMaking *making;

  if (self->store != NULL || self->store_error != NULL || self->store_thread != NULL)
    return NULL;
  making = g_atomic_rc_box_new0 (StoreMaking);
  making->db_path = kios_paths_library_db ();
  g_mutex_init (&making->lock);
  g_cond_init (&making->cond);
  self->store_thread = g_thread_try_new (thread_name, make_store_thread, g_atomic_rc_box_acquire (making), NULL);
  if (self->store_thread == NULL)
    {
      /* The thread's reference and ours. */
      store_making_unref (making);
      store_making_unref (making);
      open_store (self);
      return NULL;
    }
  return making;
}

static void start_preopens (KiosApplication *self);

/* On its own thread: the icon theme scans its folders when first asked,
 * and again after a change made during GTK's start-up (the application's
 * own icons). Asked here, the first window's icons find it ready rather
 * than scanning on the main thread on the way to the first frame. */
static gint icon_theme_scans; /* done on the thread, in this process */

static gpointer
icon_theme_scan_thread (gpointer data)
{
  g_autoptr (GtkIconTheme) theme = data;

  gtk_icon_theme_has_icon (theme, "open-menu-symbolic");
  g_atomic_int_inc (&icon_theme_scans);
  return NULL;
}

static void
scan_icon_theme_beside (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  GThread    *thread;

  if (display == NULL)
    return;
  thread = g_thread_try_new ("kios-icon-theme", icon_theme_scan_thread,
                             g_object_ref (gtk_icon_theme_get_for_display (display)), NULL);
  if (thread != NULL)
    g_thread_unref (thread);
}

static void
kios_application_startup (GApplication *application)
{
  KiosApplication *self = KIOS_APPLICATION (application);

  /* Only the primary instance gets here: a second "kios BOOK" hands the
   * book over and exits without opening anything. Before GTK's own
   * start-up, so that the book opens beside it. */
  self->primary = TRUE;
  start_preopens (self);

  G_APPLICATION_CLASS (kios_application_parent_class)->startup (application);

  scan_icon_theme_beside ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", (const char *[]){ "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", (const char *[]){ "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.shortcuts", (const char *[]){ "<Control>question", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.open", (const char *[]){ "<Control>o", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.close", (const char *[]){ "<Control>w", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.toggle-contents", (const char *[]){ "F9", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.fullscreen", (const char *[]){ "F11", NULL });
  /* Ctrl+plus/minus/0 are the reader view's own keys (font size for EPUB,
   * zoom for PDF): application accelerators would take them first. */

  /* Only the store: the sync service, the library and the source manager
   * come after the first window's first frame (kios_application_start_services).
   * A new library still being made is waited for only where it is needed. */
  if (self->store_thread == NULL)
    open_store (self);
}

static void
kios_application_shutdown (GApplication *application)
{
  KiosApplication *self = KIOS_APPLICATION (application);

  /* Quit waits at most 2 s for the pushes of closed books; what is left
   * stays pending in the store for the next run. */
  join_store (self);
  if (self->sync_service != NULL && !kios_sync_service_shutdown (self->sync_service, 2000))
    g_message ("Some reading positions stay pending until the next start");

  if (self->store != NULL && !kios_library_store_flush (self->store, STORE_FLUSH_TIMEOUT_MS))
    g_warning ("The library did not finish writing within %d ms", STORE_FLUSH_TIMEOUT_MS);

  G_APPLICATION_CLASS (kios_application_parent_class)->shutdown (application);
}

static void
kios_application_activate (GApplication *application)
{
  KiosApplication *self = KIOS_APPLICATION (application);
  GtkWindow       *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (new_window (self, NULL));

  gtk_window_present (window);
}

/* ---- the first frame is the page ---- */

/* A window started on a book, not shown until its first page is ready;
 * kept on the window, which it does not own. */
typedef struct
{
  GtkWindow *window;
  gulong     page_handler;
  guint      timeout_id;
} PendingPresent;

/* Also runs when the window goes away first. */
static void
pending_present_free (PendingPresent *pending)
{
  g_clear_handle_id (&pending->timeout_id, g_source_remove);
  g_free (pending);
}

static void
present_pending (GtkWindow *window)
{
  PendingPresent *pending = g_object_steal_data (G_OBJECT (window), "kios-pending-present");

  if (pending == NULL)
    return;
  g_clear_signal_handler (&pending->page_handler, kios_window_get_reader_view (KIOS_WINDOW (window)));
  pending_present_free (pending);
  gtk_window_present (window);
}

static void
first_page_shown_cb (GtkWindow *window)
{
  KiosApplication *self = KIOS_APPLICATION (gtk_window_get_application (window));
  KiosDocument    *document = kios_reader_view_get_document (kios_window_get_reader_view (KIOS_WINDOW (window)));
  int              width;
  int              height;

  g_debug ("The first page is ready: showing the window");
  /* The next start in a window of this size makes this page ahead. */
  gtk_window_get_default_size (window, &width, &height);
  if (document != NULL && self != NULL && !gtk_window_is_maximized (window))
    kios_launch_hint_save_async (document, width, height, self->have_launch_hint ? &self->launch_hint : NULL);
  present_pending (window);
}

/* A window closed before it was shown takes its wait with it. */
static void
pending_window_destroy_cb (GtkWindow *window)
{
  g_object_set_data (G_OBJECT (window), "kios-pending-present", NULL);
}

static gboolean
first_page_timeout_cb (gpointer user_data)
{
  PendingPresent *pending = user_data;

  pending->timeout_id = 0;
  g_debug ("No page in %d ms: showing the window with the book's name", FIRST_PAGE_WAIT_MS);
  present_pending (pending->window);
  return G_SOURCE_REMOVE;
}

/* Lays the window out, unmapped, at the size it will be shown at (its
 * default size, borders included), so the reader view knows its page size
 * and renders the first page before the window maps. */
static gboolean
lay_out_unmapped (GtkWindow *window)
{
  GtkWidget            *widget = GTK_WIDGET (window);
  g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
  int                   width;
  int                   height;
  int                   minimum;

  /* A maximized window's size is the screen's: shown as it opens. */
  if (g_settings_get_boolean (settings, "window-maximized"))
    return FALSE;

  gtk_window_get_default_size (window, &width, &height);
  if (width <= 0 || height <= 0)
    return FALSE;
  gtk_widget_realize (widget);
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  width = MAX (width, minimum);
  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, width, &minimum, NULL, NULL, NULL);
  height = MAX (height, minimum);
  gtk_widget_allocate (widget, width, height, -1, NULL);
  return TRUE;
}

/* Shows window once its reader view has the first page, or after
 * FIRST_PAGE_WAIT_MS: the first frame is the book at its page. */
static void
present_at_first_page (GtkWindow *window)
{
  PendingPresent *pending;

  if (gtk_widget_get_visible (GTK_WIDGET (window)) || !lay_out_unmapped (window))
    {
      gtk_window_present (window);
      return;
    }

  pending = g_new0 (PendingPresent, 1);
  pending->window = window;
  pending->page_handler = g_signal_connect_object (kios_window_get_reader_view (KIOS_WINDOW (window)), "page-shown",
                                                   G_CALLBACK (first_page_shown_cb), window, G_CONNECT_SWAPPED);
  pending->timeout_id = g_timeout_add (FIRST_PAGE_WAIT_MS, first_page_timeout_cb, pending);
  g_object_set_data_full (G_OBJECT (window), "kios-pending-present", pending,
                          (GDestroyNotify) pending_present_free);
  g_signal_connect (window, "destroy", G_CALLBACK (pending_window_destroy_cb), NULL);
}

static void
kios_application_open (GApplication *application,
                       GFile       **files,
                       int           n_files,
                       const char   *hint)
{
  KiosApplication *self = KIOS_APPLICATION (application);

  for (int i = 0; i < n_files; i++)
    {
      GtkWindow  *active = gtk_application_get_active_window (GTK_APPLICATION (self));
      KiosWindow *window;

      /* One window per book; a window still showing the library is reused. */
      if (KIOS_IS_WINDOW (active) && !kios_window_is_reading (KIOS_WINDOW (active)))
        {
          window = KIOS_WINDOW (active);
          kios_window_open_file (window, files[i]);
        }
      else
        {
          window = new_window (self, files[i]);
          present_at_first_page (GTK_WINDOW (window));
          continue;
        }

      gtk_window_present (GTK_WINDOW (window));
    }
}

/* A KOReader sidecar that Kios refused: said once, where the reader looks. */
static void
sidecar_message_cb (KiosSidecarSync *sync,
                    const char      *book_path,
                    KiosApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (KIOS_IS_WINDOW (window))
    kios_window_add_toast (KIOS_WINDOW (window),
                           adw_toast_new (_ ("KOReader’s highlights for this book could not be read, so Kios left "
                                             "that file as it is")));
}

static void
kios_application_dispose (GObject *object)
{
  KiosApplication *self = KIOS_APPLICATION (object);

  join_store (self);
  g_clear_object (&self->sidecar_sync);
  g_clear_object (&self->source_manager);
  g_clear_object (&self->library);
  g_clear_object (&self->sync_service);
  g_clear_object (&self->store);
  g_clear_error (&self->store_error);
  if (self->preopens != NULL)
    {
      /* One still opening frees itself when it is done. */
      for (guint i = 0; i < self->preopens->len; i++)
        {
          Preopen *preopen = self->preopens->pdata[i];

          if (preopen->done || !preopen->started)
            preopen_free (preopen);
          else
            preopen->orphaned = TRUE;
        }
      g_clear_pointer (&self->preopens, g_ptr_array_unref);
    }

  G_OBJECT_CLASS (kios_application_parent_class)->dispose (object);
}

static void
kios_application_class_init (KiosApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = kios_application_dispose;

  app_class->startup = kios_application_startup;
  app_class->shutdown = kios_application_shutdown;
  app_class->activate = kios_application_activate;
  app_class->open = kios_application_open;
}

static void
kios_application_init (KiosApplication *self)
{
  self->preopens = g_ptr_array_new ();
}

KiosApplication *
kios_application_new (void)
{
  /* The resource path is fixed so a .Devel build finds the same resources. */
  return g_object_new (KIOS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", "/app/kios/Kios",
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}

KiosLibraryStore *
kios_application_get_store (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), NULL);

  join_store (self);
  return self->store;
}

gboolean
kios_application_has_store (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), FALSE);

  return self->store != NULL;
}

/**
 * kios_application_start_services:
 * @self: the application
 *
 * Makes the sync service, the library and the source manager over the
 * store, once (nothing without a store, nor before startup opened it).
 * Windows call it once their first frame is painted; the getters call it
 * too, so that anything asking earlier gets them at once.
 */
void
kios_application_start_services (KiosApplication *self)
{
  g_return_if_fail (KIOS_IS_APPLICATION (self));

  join_store (self);
  if (self->services_started || self->store == NULL)
    return;
  self->services_started = TRUE;
  g_debug ("Starting the sync service, the library and the sources");

  /* Sync is one service for the whole app: every window asks it for its
   * engine, and quitting waits for it. */
  self->sync_service = kios_sync_service_new (self->store);
  g_signal_connect_object (self->sync_service, "store-error", G_CALLBACK (store_error_cb), self, 0);
  self->library = kios_library_new (self->store);
  kios_library_set_sync_service (self->library, self->sync_service);
  /* Sources change only through the manager; every engine follows. */
  self->source_manager = kios_source_manager_new (self->store);
  g_signal_connect_object (self->source_manager, "changed", G_CALLBACK (kios_sync_service_reload),
                           self->sync_service, G_CONNECT_SWAPPED);
}

gboolean
kios_application_icon_theme_scanned (void)
{
  return g_atomic_int_get (&icon_theme_scans) > 0;
}

gboolean
kios_application_has_services (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), FALSE);

  return self->services_started;
}

KiosSyncService *
kios_application_get_sync_service (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), NULL);

  kios_application_start_services (self);
  return self->sync_service;
}

KiosLibrary *
kios_application_get_library (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), NULL);

  kios_application_start_services (self);
  return self->library;
}

/* The books folders are rescanned and watched once per run, after the first
 * window has painted what it opened: never before the first page. */
void
kios_application_start_library (KiosApplication *self)
{
  g_return_if_fail (KIOS_IS_APPLICATION (self));

  kios_application_start_services (self);
  if (self->library == NULL || self->library_started)
    return;
  self->library_started = TRUE;
  kios_library_start_monitoring (self->library);
  kios_library_rescan_async (self->library, NULL, NULL, NULL);

  {
    g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);

    self->sidecar_sync = kios_sidecar_sync_new (self->store, settings);
    g_signal_connect_object (self->sidecar_sync, "message", G_CALLBACK (sidecar_message_cb), self, 0);
    for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
      if (KIOS_IS_WINDOW (l->data))
        kios_window_share_open_book (l->data);
  }
}

KiosSidecarSync *
kios_application_get_sidecar_sync (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), NULL);

  return self->sidecar_sync;
}

KiosSourceManager *
kios_application_get_source_manager (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), NULL);

  kios_application_start_services (self);
  return self->source_manager;
}

/* On the document's thread: where the book was left. */
static KiosPosition *
start_position (const char *hash,
                gpointer    user_data)
{
  return kios_library_store_get_position (KIOS_LIBRARY_STORE (user_data), hash, NULL);
}

static void
start_preopen (KiosApplication *self,
               Preopen         *preopen,
               gboolean         first)
{
  KiosLaunchHint guess;
  gboolean       have_guess = FALSE;

  preopen->started = TRUE;

  /* The first book, in a window the size it was last time: its page is
   * made as the first window would ask for it, while GTK starts. Without a
   * hint for that size (a first start), as a window of that size most
   * likely will. */
  if (first)
    {
      g_autoptr (GSettings) settings = g_settings_new (KIOS_SETTINGS_SCHEMA);
      int                   width = g_settings_get_int (settings, "window-width");
      int                   height = g_settings_get_int (settings, "window-height");

      if (!g_settings_get_boolean (settings, "window-maximized"))
        {
          self->have_launch_hint = kios_launch_hint_load (preopen->path, width, height, &self->launch_hint);
          have_guess = !self->have_launch_hint &&
                       kios_launch_hint_guess (preopen->path, width, height, settings, &guess);
        }
    }
  if (first && (self->have_launch_hint || have_guess))
    {
      const KiosLaunchHint *hint = self->have_launch_hint ? &self->launch_hint : &guess;
      g_autofree char      *db_path = kios_paths_library_db ();
      /* A library not made yet has no position: the book starts opening
       * while the library is made. */
      gboolean     new_library = !g_file_test (db_path, G_FILE_TEST_EXISTS);
      StoreMaking *making = NULL;

      /* An existing one opens beside GTK too: the document's thread waits
       * for it only to read the saved position. */
      if (!new_library)
        making = open_store_beside_gtk (self, "kios-library");
      if (making != NULL)
        kios_document_open_at_async (preopen->path, &hint->request, hint->has_layout ? &hint->layout : NULL,
                                     start_position_when_open, g_atomic_rc_box_acquire (making),
                                     (GDestroyNotify) store_making_unref, NULL, preopen_cb, preopen);
      else
        kios_document_open_at_async (preopen->path, &hint->request, hint->has_layout ? &hint->layout : NULL,
                                     self->store != NULL ? start_position : NULL,
                                     self->store != NULL ? g_object_ref (self->store) : NULL,
                                     self->store != NULL ? g_object_unref : NULL,
                                     NULL, preopen_cb, preopen);
      if (new_library)
        making = open_store_beside_gtk (self, "kios-new-library");
      g_clear_pointer (&making, store_making_unref);
    }
  else
    kios_document_open_async (preopen->path, NULL, preopen_cb, preopen);
}

static void
start_preopens (KiosApplication *self)
{
  for (guint i = 0; i < self->preopens->len; i++)
    {
      Preopen *preopen = self->preopens->pdata[i];

      if (!preopen->started)
        start_preopen (self, preopen, i == 0);
    }
}

/**
 * kios_application_preopen:
 * @self: the application
 * @arg: a command-line argument naming a book
 *
 * Starts opening the book before the window asks for it, so that reading
 * the file and MuPDF's parse overlap GTK's start-up: at once in the primary
 * instance, else at its startup (which a second instance, handing its books
 * to the first, never reaches). Anything but a regular file is left to the
 * normal open.
 */
void
kios_application_preopen (KiosApplication *self,
                          const char      *arg)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char  *path = NULL;
  Preopen          *preopen;

  g_return_if_fail (KIOS_IS_APPLICATION (self));
  g_return_if_fail (arg != NULL);

  file = g_file_new_for_commandline_arg (arg);
  path = g_file_get_path (file);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return;

  preopen = g_new0 (Preopen, 1);
  preopen->path = g_steal_pointer (&path);
  g_ptr_array_add (self->preopens, preopen);
  if (self->primary)
    start_preopen (self, preopen, self->preopens->len == 1);
}

/**
 * kios_application_is_preopening:
 * @self: the application
 *
 * Returns: whether a book named to kios_application_preopen() started
 *   opening in this process.
 */
gboolean
kios_application_is_preopening (KiosApplication *self)
{
  g_return_val_if_fail (KIOS_IS_APPLICATION (self), FALSE);

  for (guint i = 0; i < self->preopens->len; i++)
    if (((Preopen *) self->preopens->pdata[i])->started)
      return TRUE;
  return FALSE;
}

/**
 * kios_application_take_preopened:
 * @self: the application
 * @path: the book's path
 * @cancellable: (nullable): cancels the wait
 * @callback: called as kios_document_open_async() would call it
 * @user_data: for @callback
 *
 * Takes over the book kios_application_preopen() started opening at @path:
 * @callback gets it (finish with kios_document_open_finish()).
 *
 * Returns: FALSE when nothing was opening there (open it normally).
 */
gboolean
kios_application_take_preopened (KiosApplication    *self,
                                 const char         *path,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  Preopen *preopen = NULL;

  g_return_val_if_fail (KIOS_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 0; i < self->preopens->len && preopen == NULL; i++)
    if (((Preopen *) self->preopens->pdata[i])->started &&
        g_strcmp0 (((Preopen *) self->preopens->pdata[i])->path, path) == 0)
      preopen = g_ptr_array_steal_index (self->preopens, i);
  if (preopen == NULL)
    return FALSE;

  preopen->waiting = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (preopen->waiting, kios_application_take_preopened);
  if (preopen->done)
    preopen_deliver (preopen);
  return TRUE;
}
