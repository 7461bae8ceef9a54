/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include "kios-book-detail.h"
#include "kios-book-format.h"
#include "kios-catalog-view.h"
#include "kios-document.h"
#include "kios-error-messages.h"
#include "kios-error.h"
#include "kios-library-sidebar.h"
#include "kios-reader-view-private.h"
#include "kios-sync-details-dialog.h"

#include <glib/gi18n.h>

/* An open that has no page to show by then shows the book's name. */
#define OPENING_PLACEHOLDER_DELAY_MS 300
/* The deferred start happens by then even without a painted page. */
#define START_FALLBACK_MS 3000

G_DEFINE_FINAL_TYPE (KiosWindow, kios_window, ADW_TYPE_APPLICATION_WINDOW)

/* One open, from the file to the page on screen. */
typedef struct
{
  KiosWindow     *self;        /* owned */
  GCancellable   *cancellable; /* owned */
  char           *path;
  char           *display_name;
  KiosDocument   *document;
  char           *hash;       /* copied for the worker: documents stay on the main thread */
  KiosBookRecord *record;     /* the stored record, if any (set by the worker) */
  KiosPosition   *position;   /* the saved position, if any (set by the worker) */
  gboolean        need_cover; /* set by the worker */
} OpenRequest;

static void
open_request_free (OpenRequest *request)
{
  g_clear_object (&request->self);
  g_clear_object (&request->cancellable);
  g_clear_pointer (&request->path, g_free);
  g_clear_pointer (&request->display_name, g_free);
  g_clear_object (&request->document);
  g_clear_pointer (&request->hash, g_free);
  g_clear_pointer (&request->record, kios_book_record_free);
  g_clear_pointer (&request->position, kios_position_free);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenRequest, open_request_free)

/*
 * The subtitle names the chapter (unless it only repeats the book's title)
 * and the page: "Chapter 2 · Page 8 of 581".
 */
static void
update_subtitle (KiosWindow *self)
{
  const char      *chapter = NULL;
  const char      *page = NULL;
  g_autofree char *subtitle = NULL;

  if (self->document != NULL)
    {
      chapter = kios_reader_view_get_chapter_title (self->reader_view);
      page = kios_reader_view_get_page_label (self->reader_view);
    }
  if (g_strcmp0 (chapter, adw_window_title_get_title (self->window_title)) == 0 ||
      (chapter != NULL && *chapter == '\0'))
    chapter = NULL;
  if (page != NULL && *page == '\0')
    page = NULL;

  if (chapter != NULL && page != NULL)
    /* Translators: the header bar's subtitle, a chapter title and "Page 8 of 581". */
    subtitle = g_strdup_printf (_ ("%s · %s"), chapter, page);
  else
    subtitle = g_strdup (chapter != NULL ? chapter : page);

  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
set_action_enabled (KiosWindow *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* build_library: FALSE while the window is made, before it knows whether
 * it opens a book. */
static void
update_mode_full (KiosWindow *self,
                  gboolean    build_library)
{
  /* A book being opened already has the reader's page: the library is
   * never what shows while a book is on its way. */
  gboolean reading = self->document != NULL || self->open_cancellable != NULL;
  gboolean library = !reading && (build_library || self->library_flap != NULL);

  /* The library is made the first time it is shown, and hidden while
   * reading: its widgets are not styled, so a window started on a book
   * loads none of their icons (nor the SVG renderer most of them need). */
  if (library)
    {
      kios_window_library_ensure (self);
      gtk_widget_set_visible (GTK_WIDGET (self->library_flap), TRUE);
    }
  gtk_stack_set_visible_child_name (self->stack, library ? "library" : "reader");
  if (reading && self->library_flap != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->library_flap), FALSE);
  gtk_widget_set_visible (self->library_button, reading);
  gtk_widget_set_visible (self->contents_button, reading);
  gtk_widget_set_visible (self->text_menu_button, reading);
  gtk_widget_set_visible (self->bookmark_button, reading);
  gtk_widget_set_visible (self->open_button, !reading);
  gtk_widget_set_visible (self->library_sidebar_button, !reading);
  set_action_enabled (self, "show-library", reading);
  set_action_enabled (self, "toggle-contents", reading);
  set_action_enabled (self, "toggle-bookmark", reading);
  set_action_enabled (self, "show-annotations", reading);
  kios_window_popover_update (self);
  kios_window_sync_update_mode (self);

  if (!reading)
    {
      /* A window that was opening a book shows the library after all. */
      if (self->store != NULL && self->start_view != NULL)
        kios_start_view_set_store (self->start_view, self->store);
      adw_window_title_set_title (self->window_title, _ ("Kios"));
      adw_window_title_set_subtitle (self->window_title, NULL);
      gtk_window_set_title (GTK_WINDOW (self), _ ("Kios"));
    }
}

static void
update_mode (KiosWindow *self)
{
  update_mode_full (self, TRUE);
}

static void
show_open_error_response_cb (AdwMessageDialog *dialog,
                             const char       *response,
                             gpointer          user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  if (g_strcmp0 (response, "open") == 0)
    g_action_group_activate_action (G_ACTION_GROUP (self), "open", NULL);
}

static void
show_open_error (KiosWindow   *self,
                 const char   *display_name,
                 const GError *error)
{
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget       *dialog;

  /* The untranslated detail goes to the log, the user gets a sentence. */
  g_message ("Could not open %s: %s", display_name, error->message);

  /* Translators: the dialog heading when a book fails to open; %s is the file name. */
  heading = g_strdup_printf (_ ("Could Not Open “%s”"), display_name);
  body = kios_error_message_for_open (error);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "close", _ ("_Close"),
                                    "open", _ ("_Open Another Book…"),
                                    NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_signal_connect_object (dialog, "response", G_CALLBACK (show_open_error_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static char *
join_authors (KiosDocument *document)
{
  const char *const *authors = kios_document_get_authors (document);

  if (authors == NULL || authors[0] == NULL)
    return NULL;

  return g_strjoinv (", ", (char **) authors);
}

static void
present_document (KiosWindow  *self,
                  OpenRequest *request)
{
  KiosDocument    *document = request->document;
  const char      *title = kios_document_get_title (document);
  g_autofree char *authors = join_authors (document);
  gint64           now = g_get_real_time () / G_USEC_PER_SEC;
  KiosBookRecord   record = { 0 };

  g_clear_object (&self->open_cancellable);
  g_set_object (&self->document, document);
  if (self->start_view != NULL)
    kios_start_view_set_opening (self->start_view, NULL);
  g_clear_handle_id (&self->placeholder_id, g_source_remove);
  gtk_widget_set_visible (self->opening_placeholder, FALSE);

  if (title == NULL || *title == '\0')
    title = request->display_name;

  /* The library learns about the book (or its new path) before the first page turn. */
  record.hash = request->hash;
  record.path = request->path;
  record.size = kios_document_get_size (document);
  record.format = (char *) kios_book_format_to_string (kios_document_get_format (document));
  record.title = (char *) title;
  record.authors = authors;
  record.cover_path = request->need_cover || request->record == NULL ? NULL : request->record->cover_path;
  record.added_at = request->record != NULL ? request->record->added_at : now;
  record.last_opened_at = now;
  record.progress = request->record != NULL ? request->record->progress : 0.0;
  if (self->store != NULL)
    {
      kios_library_store_upsert_book (self->store, &record);
      kios_library_store_touch_book (self->store, request->hash, now);
    }

  kios_window_share_open_book (self);

  adw_window_title_set_title (self->window_title, title);
  gtk_window_set_title (GTK_WINDOW (self), title);
  /* A window not yet painted: the book's index, page count and next
   * chapter, and the pages either side, wait for its first frame. */
  if (self->deferring && !self->started)
    {
      kios_document_hold_background (document, TRUE);
      kios_reader_view_hold_neighbours (self->reader_view, TRUE);
    }
  /* Every book opens fitted to the window, not at the last one's zoom. */
  g_object_set (self->reader_view, "pdf-zoom", 1.0, NULL);
  kios_reader_view_open (self->reader_view, document, request->position);
  update_mode (self);
  update_subtitle (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->reader_view));

  if (request->need_cover && self->store != NULL)
    {
      /* The cover waits until the first page is painted. */
      if (self->deferring && !self->started)
        {
          g_clear_pointer (&self->deferred_cover, kios_book_record_free);
          self->deferred_cover = kios_book_record_copy (&record);
        }
      else
        kios_window_make_cover (self, document, &record);
    }
}

static void
lookup_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  OpenRequest       *request = task_data;
  KiosLibraryStore  *store = source_object;
  g_autoptr (GError) error = NULL;

  /* Only the request's own fields are written here; the window waits for the result. */
  request->record = kios_library_store_get_book (store, request->hash, &error);
  if (request->record == NULL && !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    g_warning ("Could not read the library record of %s: %s", request->path, error->message);
  g_clear_error (&error);

  request->position = kios_library_store_get_position (store, request->hash, &error);
  if (request->position == NULL && error != NULL && !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    g_warning ("Could not read the saved position of %s: %s", request->path, error->message);

  request->need_cover = request->record == NULL || request->record->cover_path == NULL || !g_file_test (request->record->cover_path, G_FILE_TEST_IS_REGULAR);

  g_task_return_boolean (task, TRUE);
}

static void
lookup_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  OpenRequest *request = g_task_get_task_data (G_TASK (result));

  if (g_cancellable_is_cancelled (request->cancellable))
    return;

  present_document (request->self, request);
}

static void
open_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (OpenRequest) request = user_data;
  g_autoptr (GError)      error = NULL;
  KiosWindow             *self;

  request->document = kios_document_open_finish (result, &error);
  if (request->document == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_cancellable_is_cancelled (request->cancellable))
    return;

  self = request->self;
  if (request->document == NULL)
    {
      g_clear_object (&self->open_cancellable);
      g_clear_handle_id (&self->placeholder_id, g_source_remove);
      gtk_widget_set_visible (self->opening_placeholder, FALSE);
      if (self->start_view != NULL)
        {
          kios_start_view_set_opening (self->start_view, NULL);
          kios_start_view_reload (self->start_view);
        }
      update_mode (self);
      show_open_error (self, request->display_name, error);
      return;
    }

  request->hash = g_strdup (kios_document_get_hash (request->document));
  if (self->store == NULL || request->hash == NULL)
    {
      request->need_cover = FALSE;
      present_document (self, request);
      return;
    }

  /* The store's getters block on SQLite: look the book up in a worker. */
  {
    g_autoptr (GTask) task = NULL;
    GCancellable     *cancellable = request->cancellable;

    task = g_task_new (self->store, cancellable, lookup_cb, NULL);
    g_task_set_source_tag (task, open_cb);
    g_task_set_task_data (task, g_steal_pointer (&request), (GDestroyNotify) open_request_free);
    g_task_run_in_thread (task, lookup_worker);
  }
}

static void
close_book (KiosWindow *self)
{
  if (self->open_cancellable != NULL)
    {
      g_cancellable_cancel (self->open_cancellable);
      g_clear_object (&self->open_cancellable);
    }

  if (self->document != NULL)
    {
      GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

      if (KIOS_IS_APPLICATION (app) && kios_application_get_sidecar_sync (KIOS_APPLICATION (app)) != NULL &&
          kios_document_get_hash (self->document) != NULL)
        kios_sidecar_sync_book_closed (kios_application_get_sidecar_sync (KIOS_APPLICATION (app)),
                                       kios_document_get_hash (self->document));
      kios_reader_view_close (self->reader_view);
      g_clear_object (&self->document);
    }

  if (self->start_view != NULL)
    kios_start_view_set_opening (self->start_view, NULL);
  g_clear_handle_id (&self->placeholder_id, g_source_remove);
  gtk_widget_set_visible (self->opening_placeholder, FALSE);
}

/* ---- the deferred start ---- */

static void
disconnect_after_paint (KiosWindow *self)
{
  if (self->after_paint_id != 0)
    g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
}

static void
start_deferred (KiosWindow *self)
{
  g_autoptr (KiosSyncService) service = g_steal_pointer (&self->deferred_service);
  g_autoptr (KiosBookRecord)  cover = g_steal_pointer (&self->deferred_cover);
  GtkApplication             *app = gtk_window_get_application (GTK_WINDOW (self));

  if (self->started)
    return;
  self->started = TRUE;
  g_clear_handle_id (&self->start_idle_id, g_source_remove);
  g_clear_handle_id (&self->start_fallback_id, g_source_remove);
  if (self->first_frame_page != NULL)
    disconnect_after_paint (self);
  g_debug ("The first page is painted: starting the library and sync");

  if (self->document != NULL)
    kios_document_hold_background (self->document, FALSE);
  kios_reader_view_hold_neighbours (self->reader_view, FALSE);
  /* The application's sync service, library and sources come up with its
   * first window's start. */
  if (self->service_from_app && KIOS_IS_APPLICATION (app))
    {
      kios_application_start_services (KIOS_APPLICATION (app));
      if (service == NULL && kios_application_get_store (KIOS_APPLICATION (app)) == self->store &&
          kios_application_get_sync_service (KIOS_APPLICATION (app)) != NULL)
        service = g_object_ref (kios_application_get_sync_service (KIOS_APPLICATION (app)));
    }
  if (self->store != NULL)
    kios_window_library_set_store (self);
  if (service != NULL)
    kios_window_sync_attach (self, service);
  if (cover != NULL && self->document != NULL && self->store != NULL &&
      g_strcmp0 (cover->hash, kios_document_get_hash (self->document)) == 0)
    kios_window_make_cover (self, self->document, cover);
  kios_window_chrome_set_tooltips (self);
}

static gboolean
start_idle_cb (gpointer user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  self->start_idle_id = 0;
  start_deferred (self);
  return G_SOURCE_REMOVE;
}

static gboolean
start_fallback_cb (gpointer user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  self->start_fallback_id = 0;
  g_debug ("No page painted in %d ms: starting the library and sync anyway", START_FALLBACK_MS);
  start_deferred (self);
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                KiosWindow    *self)
{
  if (self->first_frame_page == NULL)
    self->first_frame_page = g_strdup (gtk_stack_get_visible_child_name (self->stack));

  if (self->started || !self->deferring)
    {
      disconnect_after_paint (self);
      return;
    }
  if (self->start_idle_id != 0)
    return;
  /* A book on its way: its page is the frame to wait for. */
  if (kios_window_is_reading (self) && !self->page_shown_once)
    return;

  /* Whatever else the main loop has (input, the next frame) goes first. */
  self->start_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, start_idle_cb, self, NULL);
}

static void
reader_page_shown_cb (KiosWindow *self)
{
  self->page_shown_once = TRUE;
}

static gboolean
placeholder_cb (gpointer user_data)
{
  KiosWindow *self = KIOS_WINDOW (user_data);

  self->placeholder_id = 0;
  if (self->open_cancellable != NULL && self->document == NULL)
    gtk_widget_set_visible (self->opening_placeholder, TRUE);
  return G_SOURCE_REMOVE;
}

static void
kios_window_realize (GtkWidget *widget)
{
  KiosWindow *self = KIOS_WINDOW (widget);

  GTK_WIDGET_CLASS (kios_window_parent_class)->realize (widget);

  if (self->library_flap == NULL && !kios_window_is_reading (self))
    update_mode (self);
  disconnect_after_paint (self);
  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->after_paint_id = g_signal_connect (self->frame_clock, "after-paint", G_CALLBACK (after_paint_cb), self);
}

static void
kios_window_unrealize (GtkWidget *widget)
{
  disconnect_after_paint (KIOS_WINDOW (widget));

  GTK_WIDGET_CLASS (kios_window_parent_class)->unrealize (widget);
}

static gboolean
kios_window_close_request (GtkWindow *window)
{
  KiosWindow *self = KIOS_WINDOW (window);
  int         width;
  int         height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  if (!gtk_window_is_maximized (window) && !gtk_window_is_fullscreen (window))
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 360));
      g_settings_set_int (self->settings, "window-height", MAX (height, 294));
    }
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  /* The reader view saves the position when the book closes. */
  close_book (self);

  return GTK_WINDOW_CLASS (kios_window_parent_class)->close_request (window);
}

static void
kios_window_constructed (GObject *object)
{
  KiosWindow *self = KIOS_WINDOW (object);

  G_OBJECT_CLASS (kios_window_parent_class)->constructed (object);

  if (g_strcmp0 (PROFILE, "devel") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

static void
kios_window_dispose (GObject *object)
{
  KiosWindow *self = KIOS_WINDOW (object);

  /* The settings action outlives nothing: detach it from this window's group
   * so a later settings change cannot reach a disposed window. */
  g_action_map_remove_action (G_ACTION_MAP (self), "theme");
  g_action_map_remove_action (G_ACTION_MAP (self), "page-layout");

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->start_idle_id, g_source_remove);
  g_clear_handle_id (&self->start_fallback_id, g_source_remove);
  g_clear_handle_id (&self->placeholder_id, g_source_remove);
  disconnect_after_paint (self);
  g_clear_pointer (&self->deferred_cover, kios_book_record_free);
  kios_window_sync_dispose (self);
  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  g_clear_object (&self->document);
  g_clear_object (&self->store);

  /* A window kept alive after this (a cover being saved) must not hear
   * from the settings or the pointer: its children are gone. */
  g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->chrome_motion != NULL)
    g_signal_handlers_disconnect_by_data (self->chrome_motion, self);

  /* The reader view closes its book while the template goes away and
   * notifies its chapter and page: the header bar is gone by then. */
  if (self->reader_view != NULL)
    g_signal_handlers_disconnect_by_data (self->reader_view, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), KIOS_TYPE_WINDOW);

  G_OBJECT_CLASS (kios_window_parent_class)->dispose (object);
}

static void
kios_window_finalize (GObject *object)
{
  KiosWindow *self = KIOS_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_free (self->first_frame_page);

  G_OBJECT_CLASS (kios_window_parent_class)->finalize (object);
}

static void
kios_window_class_init (KiosWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = kios_window_constructed;
  object_class->dispose = kios_window_dispose;
  object_class->finalize = kios_window_finalize;
  window_class->close_request = kios_window_close_request;
  widget_class->realize = kios_window_realize;
  widget_class->unrealize = kios_window_unrealize;

  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, chrome_overlay);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, header_revealer);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, main_menu_button);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, main_menu);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, library_button);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, contents_button);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, bookmark_button);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, open_button);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, text_menu_button);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, sync_banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, opening_placeholder);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, opening_title);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, reader_view);
  gtk_widget_class_bind_template_child (widget_class, KiosWindow, library_sidebar_button);

  g_type_ensure (KIOS_TYPE_READER_VIEW);
}

static void
kios_window_init (KiosWindow *self)
{
  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (KIOS_SETTINGS_SCHEMA);

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  kios_window_actions_init (self);
  kios_window_popover_init (self);
  kios_window_chrome_init (self);

  g_signal_connect_object (self->reader_view, "notify::chapter-title", G_CALLBACK (update_subtitle), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reader_view, "notify::page-label", G_CALLBACK (update_subtitle), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reader_view, "page-shown", G_CALLBACK (reader_page_shown_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (kios_window_library_active_cb), self,
                           G_CONNECT_SWAPPED);

  kios_window_sync_init (self);
  /* The library is made once the window shows it: not for a window that
   * opens a book. */
  update_mode_full (self, FALSE);
}

KiosWindow *
kios_window_new (KiosApplication *application)
{
  KiosWindow *self;

  g_return_val_if_fail (application == NULL || KIOS_IS_APPLICATION (application), NULL);

  self = g_object_new (KIOS_TYPE_WINDOW,
                       "application", application,
                       NULL);
  update_mode (self);
  kios_window_chrome_set_tooltips (self);
  /* GtkWindow:application is not a construct property: set the store here. */
  if (application != NULL)
    {
      kios_window_set_store (self, kios_application_get_store (application));
      kios_window_set_sync_service (self, kios_application_get_sync_service (application));
    }

  return self;
}

KiosWindow *
kios_window_new_deferred (KiosApplication *application,
                          GFile           *file)
{
  KiosWindow *self;

  g_return_val_if_fail (application == NULL || KIOS_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (file == NULL || G_IS_FILE (file), NULL);

  self = g_object_new (KIOS_TYPE_WINDOW,
                       "application", application,
                       NULL);
  self->deferring = TRUE;
  /* Opening first: the store then goes to the reader only. */
  if (file != NULL)
    kios_window_open_file (self, file);
  else
    update_mode (self);
  /* The application's sync service is made at the start. */
  if (application != NULL)
    {
      kios_window_set_store (self, kios_application_get_store (application));
      self->service_from_app = TRUE;
    }
  self->start_fallback_id = g_timeout_add (START_FALLBACK_MS, start_fallback_cb, self);

  return self;
}

gboolean
kios_window_is_started (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), FALSE);

  return self->started || !self->deferring;
}

const char *
kios_window_get_first_frame_page (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return self->first_frame_page;
}

KiosLibraryStore *
kios_window_get_store (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return self->store;
}

void
kios_window_set_store (KiosWindow       *self,
                       KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_WINDOW (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  kios_reader_view_set_store (self->reader_view, store);
  if (self->deferring && !self->started)
    {
      /* Only a window showing the library lists its books at once; the
       * rest waits for the first frame. */
      if (!kios_window_is_reading (self) && self->start_view != NULL)
        kios_start_view_set_store (self->start_view, store);
      return;
    }
  kios_window_library_set_store (self);
}

KiosStartView *
kios_window_get_start_view (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  kios_window_library_ensure (self);
  return self->start_view;
}

KiosReaderView *
kios_window_get_reader_view (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return self->reader_view;
}

GtkRevealer *
kios_window_get_sync_banner (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return self->sync_banner_revealer;
}

gboolean
kios_window_is_reading (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), FALSE);

  return self->document != NULL || self->open_cancellable != NULL;
}

const char *
kios_window_get_visible_page (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

void
kios_window_open_file (KiosWindow *self,
                       GFile      *file)
{
  OpenRequest     *request;
  g_autofree char *path = NULL;
  GtkApplication  *app;

  g_return_if_fail (KIOS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  close_book (self);
  self->page_shown_once = FALSE;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *name = g_file_get_basename (file);

      update_mode (self);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not a local file: %s", name);
      show_open_error (self, name != NULL ? name : _ ("Unknown file"), error);
      return;
    }

  self->open_cancellable = g_cancellable_new ();

  request = g_new0 (OpenRequest, 1);
  request->self = g_object_ref (self);
  request->cancellable = g_object_ref (self->open_cancellable);
  request->display_name = g_path_get_basename (path);
  request->path = g_steal_pointer (&path);

  /* The reader's page from the first frame on, named by the file until the
   * book says its title; a slow open shows the name in the page too. */
  update_mode (self);
  adw_window_title_set_title (self->window_title, request->display_name);
  adw_window_title_set_subtitle (self->window_title, NULL);
  gtk_window_set_title (GTK_WINDOW (self), request->display_name);
  gtk_label_set_text (self->opening_title, request->display_name);
  self->placeholder_id = g_timeout_add (OPENING_PLACEHOLDER_DELAY_MS, placeholder_cb, self);
  if (self->start_view != NULL)
    kios_start_view_set_opening (self->start_view, request->display_name);
  /* A book named on the command line may be opening already. */
  app = gtk_window_get_application (GTK_WINDOW (self));
  if (!KIOS_IS_APPLICATION (app) ||
      !kios_application_take_preopened (KIOS_APPLICATION (app), request->path, request->cancellable, open_cb, request))
    kios_document_open_async (request->path, request->cancellable, open_cb, request);
}

void
kios_window_show_library (KiosWindow *self)
{
  g_return_if_fail (KIOS_IS_WINDOW (self));

  close_book (self);
  if (self->start_view != NULL)
    kios_start_view_reload (self->start_view);
  update_mode (self);
}

void
kios_window_share_open_book (KiosWindow *self)
{
  GtkApplication  *app = gtk_window_get_application (GTK_WINDOW (self));
  KiosSidecarSync *sync;

  g_return_if_fail (KIOS_IS_WINDOW (self));

  if (!KIOS_IS_APPLICATION (app) || self->document == NULL)
    return;
  sync = kios_application_get_sidecar_sync (KIOS_APPLICATION (app));
  if (sync != NULL && kios_document_get_path (self->document) != NULL && kios_document_get_hash (self->document) != NULL)
    kios_sidecar_sync_book_opened (sync, kios_document_get_path (self->document),
                                   kios_document_get_hash (self->document));
}

void
kios_window_add_toast (KiosWindow *self,
                       AdwToast   *toast)
{
  g_return_if_fail (KIOS_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
