/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-ui"

#include "config.h"

#include "kios-banner.h"
#include "kios-document.h"
#include "kios-fake-kosync.h"
#include "kios-sync-details-dialog.h"
#include "kios-sync-preferences-page.h"
#include "kios-sync-service.h"
#include "kios-sync-source.h"
#include "kios-sync-status-button.h"
#include "kios-sync-status-text.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The sync banner, the status button and the window wiring under Xvfb, the
 * way the app runs them: the KOReader sync account saved in a real library
 * file (its password in a file keyring), one KiosSyncService over it, and
 * the window's engine made by that service. The servers are fakes over
 * loopback: one that holds a position further on than the local one, a
 * slow one, a dead address, one that never answers, one whose PUT fails.
 */

#define BOOK "pride-and-prejudice.epub"
#define USER "alice"
#define PASSWORD "s3cret-passw0rd"

typedef enum {
  MODE_NORMAL = 0,
  MODE_SLOW,           /* the pull answers after 1.5 s */
  MODE_WRONG_PASSWORD, /* the account's password is not the server's */
  MODE_DEAD,           /* nothing listens at the address */
  MODE_HANG,           /* the server accepts and never answers */
  MODE_PUT_FAILS,      /* pulls work, every push gets a 500 */
} Mode;

typedef struct
{
  Mode              mode;
  KiosLibraryStore *store;
  KiosSyncService  *service;
  KiosWindow       *window;
  KiosSyncEngine   *engine;
  KiosFakeKosync   *fake; /* the server, or NULL with `slow` */
  KiosFakeServer   *slow; /* a server that answers a pull late */
  char             *hash;
  char             *base_url;
  KiosPosition     *remote; /* what the other device pushed */
  int               n_decided;
  int               decision;
  gboolean          ever_synced_icon; /* the button showed ✓ at some point */
} Fixture;

/* The other device is in chapter 9; the book opens at its start here. */
static void
prepare_remote (Fixture *f)
{
  g_autofree char         *path = kios_test_sample_book (BOOK);
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (path, &error);
  g_autoptr (KiosPage)     page = NULL;
  KiosPageRequest          request;

  g_assert_no_error (error);
  f->hash = g_strdup (kios_document_get_hash (document));
  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = 9;
  request.location.page = 1;
  request.position_only = TRUE;
  page = kios_document_render_sync (document, &request, &error);
  g_assert_no_error (error);
  f->remote = kios_position_copy (page->position);
}

/* A kosync server (official shape) whose GET waits 1.5 s: the reader turns
 * a page before the answer arrives. */
static void
slow_handler (KiosFakeServer        *server,
              const KiosFakeRequest *request,
              KiosFakeResponse      *response,
              gpointer               user_data)
{
  Fixture *f = user_data;

  if (g_str_has_prefix (request->path, "/syncs/progress/") && g_strcmp0 (request->method, "GET") == 0)
    {
      g_autofree char *body = g_strdup_printf ("{\"document\":\"%s\",\"progress\":\"%s\",\"percentage\":%.4f,"
                                               "\"device\":\"KOReader\",\"device_id\":\"OTHER\","
                                               "\"timestamp\":1700000000}",
                                               f->hash, f->remote->xpointer, f->remote->total_progress);

      response->delay_ms = 1500;
      kios_fake_response_set_text (response, 200, "application/json", body);
    }
  else if (g_strcmp0 (request->path, "/syncs/progress") == 0)
    {
      g_autofree char *body = g_strdup_printf ("{\"document\":\"%s\",\"timestamp\":1700000001}", f->hash);

      kios_fake_response_set_text (response, 200, "application/json", body);
    }
  else
    kios_fake_response_set_text (response, 200, "application/json", "{\"authorized\":\"OK\"}");
}

static void
on_decided (KiosSyncEngine *engine,
            int             decision,
            const char     *reason,
            Fixture        *f)
{
  g_test_message ("decided %d: %s", decision, reason);
  f->n_decided++;
  f->decision = decision;
}

static gboolean
engine_idle (gpointer data)
{
  return !kios_sync_engine_is_busy (KIOS_SYNC_ENGINE (data));
}

/* The KOReader sync account as Settings saves it: the password in the
 * keyring, the rest in the library. */
static void
save_account (KiosLibraryStore *store,
              const char       *url,
              const char       *password)
{
  KiosSourceRecord   record = { 0 };
  g_autoptr (GError) error = NULL;

  record.name = "KOReader sync";
  record.kind = "kosync";
  record.auth = "headers";
  g_assert_true (kios_sync_source_save_secrets (&record, url, USER, password, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, &record, &error));
  g_assert_no_error (error);
  g_free (record.url);
  g_free (record.username);
}

static void
icon_cb (KiosSyncEngine *engine,
         GParamSpec     *pspec,
         Fixture        *f)
{
  const KiosSyncStatus *status = kios_sync_engine_get_status (engine);

  if (status != NULL && status->state == KIOS_SYNC_STATUS_SYNCED)
    f->ever_synced_icon = TRUE;
}

/* The window as the app makes it: its engine from the service. */
static void
open_window (Fixture *f)
{
  f->window = kios_window_new (NULL);
  kios_window_set_store (f->window, f->store);
  kios_window_set_sync_service (f->window, f->service);
  f->engine = g_object_ref (kios_window_get_sync_engine (f->window));
  g_assert_nonnull (f->engine);
  g_signal_connect (f->engine, "decided", G_CALLBACK (on_decided), f);
  g_signal_connect (f->engine, "notify::status", G_CALLBACK (icon_cb), f);
  /* The account loads from the store and the keyring in a worker. */
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 5000));

  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, f->window, 5000));
}

static void
close_window (Fixture *f)
{
  if (f->engine != NULL)
    g_signal_handlers_disconnect_by_data (f->engine, f);
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  g_clear_object (&f->engine);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  f->mode = GPOINTER_TO_INT (data);
  prepare_remote (f);
  if (f->mode == MODE_SLOW)
    {
      f->slow = kios_fake_server_new (slow_handler, f);
      f->base_url = g_strdup (kios_fake_server_get_url (f->slow));
    }
  else if (f->mode == MODE_DEAD)
    f->base_url = g_strdup ("http://127.0.0.1:1/kosync");
  else
    {
      f->fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
      kios_fake_kosync_add_user (f->fake, USER, PASSWORD);
      kios_fake_kosync_set_progress (f->fake, f->hash, f->remote->xpointer, f->remote->total_progress,
                                     "KOReader", "OTHERDEVICE", 0);
      if (f->mode == MODE_HANG)
        kios_fake_kosync_set_delay (f->fake, 0, TRUE);
      f->base_url = kios_fake_kosync_get_base_url (f->fake);
    }

  f->store = kios_test_new_store ();
  save_account (f->store, f->base_url, f->mode == MODE_WRONG_PASSWORD ? "not-the-password" : PASSWORD);
  f->service = kios_sync_service_new (f->store);
  open_window (f);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  close_window (f);
  /* A hanging server is freed first: its pending request fails at once. */
  if (f->mode == MODE_HANG)
    g_clear_pointer (&f->fake, kios_fake_kosync_free);
  kios_sync_service_shutdown (f->service, 2000);
  g_clear_object (&f->service);
  kios_library_store_flush (f->store, 2000);
  g_clear_object (&f->store);
  g_clear_pointer (&f->fake, kios_fake_kosync_free);
  g_clear_pointer (&f->slow, kios_fake_server_free);
  g_clear_pointer (&f->remote, kios_position_free);
  g_free (f->base_url);
  g_free (f->hash);
}

static KiosBanner *
banner_of (Fixture *f)
{
  GtkWidget *child = gtk_revealer_get_child (kios_window_get_sync_banner (f->window));

  g_assert_true (KIOS_IS_BANNER (child));
  return KIOS_BANNER (child);
}

static gboolean
banner_shown (gpointer data)
{
  Fixture *f = data;

  return kios_banner_get_revealed (banner_of (f)) &&
         gtk_revealer_get_child_revealed (kios_window_get_sync_banner (f->window));
}

static gboolean
decided (gpointer data)
{
  return ((Fixture *) data)->n_decided > 0;
}

static gboolean
at_remote_chapter (gpointer data)
{
  Fixture            *f = data;
  const KiosPosition *position = kios_reader_view_get_position (kios_window_get_reader_view (f->window));

  return position != NULL && position->chapter == f->remote->chapter;
}

static gboolean
page_shown (gpointer data)
{
  Fixture *f = data;

  return kios_reader_view_get_page (kios_window_get_reader_view (f->window)) != NULL;
}

static void
open_book (Fixture *f)
{
  g_autofree char  *path = kios_test_sample_book (BOOK);
  g_autoptr (GFile) file = g_file_new_for_path (path);

  kios_window_open_file (f->window, file);
  g_assert_true (kios_test_wait_until (page_shown, f, 15000));
}

static guint
n_puts (Fixture *f)
{
  KiosFakeServer *server = f->fake != NULL ? kios_fake_kosync_get_server (f->fake) : f->slow;
  guint           count = 0;

  for (guint i = 0; i < kios_fake_server_get_n_requests (server); i++)
    {
      g_autoptr (KiosFakeRequest) request = kios_fake_server_get_request (server, i);

      if (g_strcmp0 (request->method, "PUT") == 0)
        count++;
    }
  return count;
}

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  GtkWidget *found = kios_test_find_widget (root, GTK_TYPE_WIDGET, name);

  g_assert_nonnull (found);
  return found;
}

static KiosSyncStatusButton *
status_button (Fixture *f)
{
  GtkWidget *button = kios_test_find_widget (GTK_WIDGET (f->window), KIOS_TYPE_SYNC_STATUS_BUTTON, NULL);

  g_assert_nonnull (button);
  return KIOS_SYNC_STATUS_BUTTON (button);
}

static KiosSyncStatusState
state_of (Fixture *f)
{
  return kios_sync_engine_get_status (f->engine)->state;
}

static gboolean
status_is_synced (gpointer data)
{
  return state_of (data) == KIOS_SYNC_STATUS_SYNCED;
}

static gboolean
status_is_refused (gpointer data)
{
  return state_of (data) == KIOS_SYNC_STATUS_REFUSED;
}

static gboolean
status_is_offline (gpointer data)
{
  return state_of (data) == KIOS_SYNC_STATUS_OFFLINE;
}

static gboolean
engine_busy (gpointer data)
{
  return kios_sync_engine_is_busy (KIOS_SYNC_ENGINE (data));
}

static GtkPopover *
open_popover (Fixture *f)
{
  GtkWidget  *menu_button = find_named (GTK_WIDGET (f->window), "sync-status-menu-button");
  GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button));

  gtk_menu_button_popup (GTK_MENU_BUTTON (menu_button));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, popover, 5000));
  return popover;
}

/* No libcurl or core English in anything the popover says. */
static void
assert_words_only (GtkPopover *popover)
{
  const char *names[] = { "status-label", "server-label", "detail-label" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *text = gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (popover), names[i])));

      g_test_message ("%s: %s", names[i], text);
      g_assert_null (strstr (text, "Couldn't"));
      g_assert_null (strstr (text, "Failed to connect"));
      g_assert_null (strstr (text, "GET "));
      g_assert_null (strstr (text, "HTTP "));
      g_assert_null (strstr (text, PASSWORD));
    }
}

static void
test_banner_continue (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char         *shot = NULL;
  g_autoptr (KiosPosition) saved = NULL;
  KiosSyncStatusButton    *button;
  const char              *title;

  open_book (f);
  g_assert_true (kios_test_wait_until (banner_shown, f, 10000));
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  title = kios_banner_get_title (banner_of (f));
  g_test_message ("banner: %s", title);
  g_assert_true (g_str_has_prefix (title, "Another device is in ‘"));
  g_assert_true (g_str_has_suffix (title, "’ — switch?"));
  g_assert_cmpint (kios_reader_view_get_position (kios_window_get_reader_view (f->window))->chapter, <,
                   f->remote->chapter);

  /* The status button sits in the header bar and offers the remote. */
  button = KIOS_SYNC_STATUS_BUTTON (kios_test_find_widget (GTK_WIDGET (f->window),
                                                           KIOS_TYPE_SYNC_STATUS_BUTTON, NULL));
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));
  g_assert_nonnull (gtk_widget_get_ancestor (GTK_WIDGET (button), ADW_TYPE_HEADER_BAR));
  /* Nothing went out yet: whatever it says, it is not a failure. */
  g_assert_false (kios_sync_status_needs_attention (kios_sync_engine_get_status (f->engine)->state));

  shot = kios_test_save_screenshot (GTK_WIDGET (f->window), "sync-banner");
  g_clear_pointer (&shot, g_free);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  shot = kios_test_save_screenshot (GTK_WIDGET (f->window), "sync-banner-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  g_signal_emit_by_name (find_named (GTK_WIDGET (banner_of (f)), "continue-button"), "clicked");
  g_assert_true (kios_test_wait_until (at_remote_chapter, f, 10000));
  g_assert_false (kios_banner_get_revealed (banner_of (f)));

  /* The jump is saved like a page turn. */
  kios_library_store_flush (f->store, 2000);
  saved = kios_library_store_get_position (f->store, f->hash, NULL);
  g_assert_nonnull (saved);
  g_assert_cmpint (saved->chapter, ==, f->remote->chapter);
  g_clear_pointer (&shot, g_free);
  shot = kios_test_save_screenshot (GTK_WIDGET (f->window), "sync-after-continue");
}

static gboolean
window_inactive (gpointer data)
{
  return !gtk_window_is_active (GTK_WINDOW (data));
}

static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (data));
}

static gboolean
find_details_dialog (gpointer data)
{
  GList *toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (KIOS_IS_SYNC_DETAILS_DIALOG (l->data))
      *(KiosSyncDetailsDialog **) data = l->data;
  g_list_free (toplevels);
  return *(KiosSyncDetailsDialog **) data != NULL;
}

static gboolean
details_loaded (gpointer data)
{
  return !kios_sync_details_dialog_is_loading (KIOS_SYNC_DETAILS_DIALOG (data));
}

static void
test_banner_stay_then_focus_out (Fixture      *f,
                                 gconstpointer data)
{
  g_autoptr (KiosPosition) local = NULL;
  g_autofree char         *stored = NULL;
  GtkWidget               *other;

  open_book (f);
  g_assert_true (kios_test_wait_until (window_active, f->window, 5000));
  g_assert_true (kios_test_wait_until (banner_shown, f, 10000));
  local = kios_position_copy (kios_reader_view_get_position (kios_window_get_reader_view (f->window)));

  g_signal_emit_by_name (find_named (GTK_WIDGET (banner_of (f)), "stay-button"), "clicked");
  g_assert_false (kios_banner_get_revealed (banner_of (f)));
  g_assert_cmpint (kios_reader_view_get_position (kios_window_get_reader_view (f->window))->chapter, ==,
                   local->chapter);
  g_assert_cmpuint (n_puts (f), ==, 0);

  /* The remote stays reachable from the status menu. */
  g_assert_true (kios_sync_engine_get_has_remote (f->engine));
  g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (f->window), "go-to-remote-button")));

  /* Focus out by presenting a second window: the local position is pushed, once. */
  other = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (other));
  g_assert_true (kios_test_wait_until (window_inactive, f->window, 5000));
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 10000));
  g_assert_cmpuint (n_puts (f), ==, 1);
  stored = kios_fake_kosync_get_stored_progress (f->fake, f->hash);
  g_assert_cmpstr (stored, ==, local->xpointer);
  /* The server took it: now, and only now, ✓ with the time. */
  g_assert_true (kios_test_wait_until (status_is_synced, f, 5000));
  g_assert_cmpstr (kios_sync_status_button_get_icon_name (status_button (f)), ==, "emblem-ok-symbolic");
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (f->window), "status-label"))),
                                   "Synced "));

  /* Sync Details… from the status button: the real log, newest first (the
   * push, then the pull), and a report without the password. */
  {
    GtkPopover            *popover = open_popover (f);
    KiosSyncDetailsDialog *dialog = NULL;
    GtkListBox            *history;
    GtkWidget             *row;

    g_signal_emit_by_name (find_named (GTK_WIDGET (popover), "details-button"), "clicked");
    g_assert_true (kios_test_wait_until (find_details_dialog, &dialog, 5000));
    g_assert_true (kios_test_wait_until (details_loaded, dialog, 10000));
    history = GTK_LIST_BOX (find_named (GTK_WIDGET (dialog), "history-list"));
    row = GTK_WIDGET (gtk_list_box_get_row_at_index (history, 0));
    g_assert_nonnull (row);
    g_test_message ("newest: %s", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
    g_assert_true (g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "Sent"));
    g_assert_nonnull (gtk_list_box_get_row_at_index (history, 1));
    g_assert_null (strstr (kios_sync_details_dialog_get_report (dialog), PASSWORD));
    g_assert_nonnull (strstr (kios_sync_details_dialog_get_report (dialog), f->hash));
    gtk_window_destroy (GTK_WINDOW (dialog));
  }

  /* Back and away again without reading: nothing new to send. */
  gtk_window_destroy (GTK_WINDOW (other));
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (kios_test_wait_until (window_active, f->window, 5000));
  other = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (other));
  g_assert_true (kios_test_wait_until (window_inactive, f->window, 5000));
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 10000));
  g_assert_cmpuint (n_puts (f), ==, 1);
  gtk_window_destroy (GTK_WINDOW (other));
}

static void
test_no_banner_after_page_turn (Fixture      *f,
                                gconstpointer data)
{
  g_autofree char *shot = NULL;
  KiosReaderView  *view = kios_window_get_reader_view (f->window);
  int              chapter;

  open_book (f);
  chapter = kios_reader_view_get_position (view)->chapter;
  /* The answer takes 1.5 s; the reader turns a page meanwhile. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "reader.next-page", NULL));
  g_assert_true (kios_test_wait_until (decided, f, 10000));
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_NONE);
  g_assert_false (kios_banner_get_revealed (banner_of (f)));
  g_assert_cmpint (kios_reader_view_get_position (view)->chapter, <=, chapter + 1);
  g_assert_cmpint (kios_reader_view_get_position (view)->chapter, !=, f->remote->chapter);
  g_assert_true (kios_sync_engine_get_has_remote (f->engine));

  shot = kios_test_save_screenshot (GTK_WIDGET (f->window), "sync-no-banner-after-turn");

  /* The status menu: the state in words, the server, Sync Now, Sync
   * Details… and the other device's position. */
  {
    GtkPopover *popover = open_popover (f);
    const char *server = gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (popover), "server-label")));

    g_test_message ("status server: %s", server);
    g_assert_nonnull (strstr (server, "127.0.0.1:"));
    assert_words_only (popover);
    g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "sync-now-button")));
    g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "details-button")));
    g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "go-to-remote-button")));
    g_clear_pointer (&shot, g_free);
    shot = kios_test_save_screenshot (GTK_WIDGET (popover), "sync-status-menu");
    gtk_popover_popdown (popover);
  }

  /* "Go to the other device's position" from the status menu still works. */
  g_signal_emit_by_name (find_named (GTK_WIDGET (f->window), "go-to-remote-button"), "clicked");
  g_assert_true (kios_test_wait_until (at_remote_chapter, f, 10000));
}

static void
test_preferences_page (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  GtkWidget                   *window = adw_preferences_window_new ();
  GtkWidget                   *page = kios_sync_preferences_page_new (store);
  g_autofree char             *shot = NULL;
  GtkWidget                   *hint;

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 700);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));

  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "url-row")), "https://your-server:25600/koreader");
  hint = find_named (page, "hint-label");
  g_assert_true (gtk_widget_get_visible (hint));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (hint)), "password is ignored"));
  shot = kios_test_save_screenshot (window, "sync-preferences-komga");

  g_assert_nonnull (strstr (kios_sync_preferences_page_hint_for ("https://h:5000/api/koreader/KEY"),
                            "whole URL"));
  g_assert_nonnull (strstr (kios_sync_preferences_page_hint_for ("https://h:8083/kosync"), "HTTP Basic"));
  g_assert_nonnull (strstr (kios_sync_preferences_page_hint_for ("https://h:6062/api/koreader"),
                            "KOReader headers"));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
label_has_text (gpointer data)
{
  const char *text = gtk_label_get_text (GTK_LABEL (data));

  return gtk_widget_get_visible (GTK_WIDGET (data)) && text != NULL && *text != '\0';
}

static gboolean
button_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (GTK_WIDGET (data));
}

/* Test connection on a bare host name: a failure with "Did you mean …?",
 * offered and not applied; Save keeps the secret out of the store. */
static void
test_preferences_test_and_save (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosFakeKosync)   fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_CWA);
  g_autofree char             *typed = NULL;
  g_autofree char             *right = kios_fake_kosync_get_base_url (fake);
  g_autofree char             *shot = NULL;
  g_autoptr (GPtrArray)        sources = NULL;
  GtkWidget                   *window = adw_preferences_window_new ();
  GtkWidget                   *page = kios_sync_preferences_page_new (store);
  GtkWidget                   *result;
  GtkWidget                   *test_button;
  const char                  *text;

  kios_fake_kosync_add_user (fake, USER, PASSWORD);
  typed = g_strdup (kios_fake_kosync_get_host_url (fake));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));

  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "url-row")), typed);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (page, "auth-row")), 1);
  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "username-row")), USER);
  gtk_editable_set_text (GTK_EDITABLE (find_named (page, "password-row")), PASSWORD);

  result = find_named (page, "result-label");
  test_button = find_named (page, "test-button");
  g_signal_emit_by_name (test_button, "clicked");
  g_assert_true (kios_test_wait_until (button_sensitive, test_button, 30000));
  g_assert_true (label_has_text (result));
  text = gtk_label_get_text (GTK_LABEL (result));
  g_test_message ("test connection: %s", text);
  g_assert_nonnull (strstr (text, "Did you mean"));
  g_assert_null (strstr (text, PASSWORD));
  /* Offered, never switched to silently. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (page, "url-row"))), ==, typed);
  g_assert_true (gtk_widget_get_visible (find_named (page, "suggest-button")));
  shot = kios_test_save_screenshot (window, "sync-preferences-did-you-mean");

  g_signal_emit_by_name (find_named (page, "suggest-button"), "clicked");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (page, "url-row"))), ==, right);
  g_signal_emit_by_name (test_button, "clicked");
  g_assert_true (kios_test_wait_until (button_sensitive, test_button, 30000));
  g_test_message ("test connection: %s", gtk_label_get_text (GTK_LABEL (result)));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (result)), "Connected"));

  /* Save: through the keyring, or a clear refusal; never plaintext. */
  g_signal_emit_by_name (find_named (page, "save-button"), "clicked");
  g_assert_true (kios_test_wait_until (button_sensitive, test_button, 30000));
  text = gtk_label_get_text (GTK_LABEL (result));
  g_test_message ("save: %s", text);
  kios_library_store_flush (store, 2000);
  sources = kios_library_store_list_sources (store, NULL);
  g_assert_nonnull (sources);
  if (strstr (text, "Saved") != NULL)
    {
      KiosSourceRecord *record;

      g_assert_cmpuint (sources->len, ==, 1);
      record = sources->pdata[0];
      g_assert_cmpstr (record->kind, ==, "kosync");
      g_assert_cmpstr (record->auth, ==, "basic");
      g_assert_cmpstr (record->url, ==, right);
    }
  else
    {
      g_assert_nonnull (strstr (text, "Secret Service"));
      g_assert_cmpuint (sources->len, ==, 0);
    }
  /* The password is nowhere in the library file. */
  {
    g_autofree char *contents = NULL;
    gsize            length = 0;

    g_assert_true (g_file_get_contents (kios_library_store_get_path (store), &contents, &length, NULL));
    g_assert_null (g_strstr_len (contents, length, PASSWORD));
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A refused login: the status button turns to a warning with the reason,
 * and no banner appears. */
/* Quit and start again: everything let go of, the library reopened from
 * its file, a new service and window over it. */
static void
relaunch (Fixture *f)
{
  close_window (f);
  g_assert_true (kios_library_store_flush (f->store, 5000));
  kios_sync_service_shutdown (f->service, 2000);
  g_clear_object (&f->service);
  g_clear_object (&f->store);
  f->store = kios_test_new_store ();
  f->service = kios_sync_service_new (f->store);
  open_window (f);
}

static void
count_activation (int *count)
{
  (*count)++;
}

static void
test_status_failing (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GSimpleActionGroup) app_actions = NULL;
  g_autoptr (GSimpleAction)      preferences = NULL;
  int                            n_preferences = 0;
  g_autofree char               *shot = NULL;
  KiosSyncStatusButton          *button;
  GtkWidget                     *menu_button;
  GtkPopover                    *popover;
  const char                    *status;

  open_book (f);
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 10000));
  g_assert_true (kios_test_wait_until (status_is_refused, f, 10000));
  button = status_button (f);
  g_assert_cmpstr (kios_sync_status_button_get_icon_name (button), ==, "dialog-password-symbolic");
  g_assert_false (kios_banner_get_revealed (banner_of (f)));

  /* The application's preferences action, as the app has it. */
  app_actions = g_simple_action_group_new ();
  preferences = g_simple_action_new ("preferences", NULL);
  g_signal_connect_swapped (preferences, "activate", G_CALLBACK (count_activation), &n_preferences);
  g_action_map_add_action (G_ACTION_MAP (app_actions), G_ACTION (preferences));
  gtk_widget_insert_action_group (GTK_WIDGET (f->window), "app", G_ACTION_GROUP (app_actions));

  menu_button = find_named (GTK_WIDGET (f->window), "sync-status-menu-button");
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button));
  gtk_menu_button_popup (GTK_MENU_BUTTON (menu_button));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, popover, 5000));
  status = gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (popover), "status-label")));
  g_test_message ("status: %s", status);
  g_assert_cmpstr (status, ==, "The server refused the password");
  g_assert_null (strstr (status, PASSWORD));
  /* The way out: the account's settings. */
  g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "preferences-button")));
  g_assert_false (f->ever_synced_icon);
  shot = kios_test_save_screenshot (GTK_WIDGET (popover), "sync-status-failing");
  g_signal_emit_by_name (find_named (GTK_WIDGET (popover), "preferences-button"), "clicked");
  g_assert_cmpint (n_preferences, ==, 1);
  gtk_popover_popdown (popover);

  /* After a relaunch, before any book: still refused, from the store. */
  relaunch (f);
  g_assert_true (kios_test_wait_until (status_is_refused, f, 5000));
  g_assert_cmpstr (kios_sync_status_button_get_icon_name (status_button (f)), ==, "dialog-password-symbolic");
  g_assert_false (f->ever_synced_icon);
}

static gboolean
moved_on (gpointer data)
{
  Fixture            *f = data;
  const KiosPosition *position = kios_reader_view_get_position (kios_window_get_reader_view (f->window));

  return position != NULL && (position->chapter > 0 || position->offset > 0);
}

/* Closing the window pushes the book; app quit waits for that push (at most
 * 2 s). */
static void
test_close_and_quit (Fixture      *f,
                     gconstpointer data)
{
  KiosReaderView          *view = kios_window_get_reader_view (f->window);
  g_autoptr (KiosPosition) here = NULL;
  g_autofree char         *stored = NULL;
  gint64                   start, elapsed;

  open_book (f);
  g_assert_true (kios_test_wait_until (banner_shown, f, 10000));
  g_signal_emit_by_name (find_named (GTK_WIDGET (banner_of (f)), "stay-button"), "clicked");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "reader.next-page", NULL));
  g_assert_true (kios_test_wait_until (moved_on, f, 10000));
  here = kios_position_copy (kios_reader_view_get_position (view));
  g_assert_cmpuint (n_puts (f), ==, 0);

  close_window (f);
  start = g_get_monotonic_time ();
  g_assert_true (kios_sync_service_shutdown (f->service, 2000));
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("quit took %" G_GINT64_FORMAT " ms", elapsed / 1000);
  g_assert_cmpint (elapsed, <=, 2100 * 1000);
  g_assert_cmpuint (n_puts (f), ==, 1);
  stored = kios_fake_kosync_get_stored_progress (f->fake, f->hash);
  g_assert_cmpstr (stored, ==, here->xpointer);
}

/* A dead server configured in Settings is Offline, never ✓: after a pull,
 * after Sync Now, and after a relaunch (a new service over the same
 * library file) before any book is opened. */
static void
test_dead_server (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *shot = NULL;
  GtkPopover      *popover;

  open_book (f);
  g_assert_true (kios_test_wait_until (status_is_offline, f, 15000));
  g_assert_cmpstr (kios_sync_status_button_get_icon_name (status_button (f)), ==, "network-offline-symbolic");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (status_button (f))));

  popover = open_popover (f);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (popover), "status-label"))), ==, "Offline");
  assert_words_only (popover);
  g_signal_emit_by_name (find_named (GTK_WIDGET (popover), "sync-now-button"), "clicked");
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 15000));
  g_assert_cmpint (state_of (f), ==, KIOS_SYNC_STATUS_OFFLINE);
  shot = kios_test_save_screenshot (GTK_WIDGET (popover), "sync-status-offline");
  gtk_popover_popdown (popover);

  relaunch (f);
  g_assert_true (kios_test_wait_until (status_is_offline, f, 5000));
  g_assert_cmpstr (kios_sync_status_button_get_icon_name (status_button (f)), ==, "network-offline-symbolic");
  g_assert_false (f->ever_synced_icon);
}

/* A server that accepts and never answers: the wait shows a spinner with
 * Cancel, and Cancel ends it at once; nothing turns ✓. */
static void
test_hanging_server_cancel (Fixture      *f,
                            gconstpointer data)
{
  g_autofree char *shot = NULL;
  GtkPopover      *popover;
  gint64           start;

  open_book (f);
  g_assert_true (kios_test_wait_until (engine_busy, f->engine, 5000));
  popover = open_popover (f);
  g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "cancel-button")));
  g_assert_false (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "sync-now-button")));
  shot = kios_test_save_screenshot (GTK_WIDGET (popover), "sync-status-busy");

  start = g_get_monotonic_time ();
  g_signal_emit_by_name (find_named (GTK_WIDGET (popover), "cancel-button"), "clicked");
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 3000));
  g_test_message ("cancel took %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - start) / 1000);
  g_assert_true (gtk_widget_get_visible (find_named (GTK_WIDGET (popover), "sync-now-button")));
  g_assert_cmpint (state_of (f), !=, KIOS_SYNC_STATUS_SYNCED);
  g_assert_false (f->ever_synced_icon);
}

/* The pull works but the server fails every push: the push is never shown
 * as ✓. */
static void
test_failed_push_not_synced (Fixture      *f,
                             gconstpointer data)
{
  GtkWidget *other;

  open_book (f);
  g_assert_true (kios_test_wait_until (window_active, f->window, 5000));
  g_assert_true (kios_test_wait_until (banner_shown, f, 10000));
  g_signal_emit_by_name (find_named (GTK_WIDGET (banner_of (f)), "stay-button"), "clicked");
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 10000));
  kios_fake_kosync_set_forced_status (f->fake, 500);

  other = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (other));
  g_assert_true (kios_test_wait_until (window_inactive, f->window, 5000));
  g_assert_true (kios_test_wait_until (engine_idle, f->engine, 10000));
  g_assert_cmpuint (n_puts (f), ==, 1);
  g_test_message ("after a failed push: %s", kios_sync_status_state_to_string (state_of (f)));
  g_assert_cmpint (state_of (f), !=, KIOS_SYNC_STATUS_SYNCED);
  g_assert_cmpstr (kios_sync_status_button_get_icon_name (status_button (f)), !=, "emblem-ok-symbolic");
  gtk_window_destroy (GTK_WINDOW (other));
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* The window holds the engine the service made for it, gives it to its
 * status button, and on close pushes the book and lets go of it: the
 * engine is finalized once its last push is done. */
static void
test_window_engine_lifetime (Fixture      *f,
                             gconstpointer data)
{
  KiosSyncEngine *engine = f->engine;

  g_assert_true (kios_sync_status_button_get_engine (status_button (f)) == engine);
  g_assert_true (kios_window_get_sync_service (f->window) == f->service);
  open_book (f);
  g_assert_true (kios_test_wait_until (banner_shown, f, 10000));
  g_signal_emit_by_name (find_named (GTK_WIDGET (banner_of (f)), "stay-button"), "clicked");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kios_window_get_reader_view (f->window)),
                                             "reader.next-page", NULL));
  g_assert_true (kios_test_wait_until (moved_on, f, 10000));

  g_object_add_weak_pointer (G_OBJECT (engine), (gpointer *) &engine);
  close_window (f);
  g_assert_true (kios_test_wait_until (pointer_cleared, &engine, 10000));
  /* The close pushed the book before the engine went. */
  g_assert_cmpuint (n_puts (f), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              ret;

  kios_ui_test_init (&argc, &argv);

  /* The file backend of libsecret: a real keyring file, no D-Bus. */
  keyring_dir = g_dir_make_tmp ("kios-test-sync-ui-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-sync-ui", TRUE);

  g_test_add ("/kios/sync-ui/banner-continue", Fixture, GINT_TO_POINTER (MODE_NORMAL),
              fixture_set_up, test_banner_continue, fixture_tear_down);
  g_test_add ("/kios/sync-ui/banner-stay-focus-out", Fixture, GINT_TO_POINTER (MODE_NORMAL),
              fixture_set_up, test_banner_stay_then_focus_out, fixture_tear_down);
  g_test_add ("/kios/sync-ui/no-banner-after-page-turn", Fixture, GINT_TO_POINTER (MODE_SLOW),
              fixture_set_up, test_no_banner_after_page_turn, fixture_tear_down);
  g_test_add ("/kios/sync-ui/close-and-quit", Fixture, GINT_TO_POINTER (MODE_NORMAL),
              fixture_set_up, test_close_and_quit, fixture_tear_down);
  g_test_add ("/kios/sync-ui/status-refused", Fixture, GINT_TO_POINTER (MODE_WRONG_PASSWORD),
              fixture_set_up, test_status_failing, fixture_tear_down);
  g_test_add ("/kios/sync-ui/dead-server", Fixture, GINT_TO_POINTER (MODE_DEAD),
              fixture_set_up, test_dead_server, fixture_tear_down);
  g_test_add ("/kios/sync-ui/hanging-server-cancel", Fixture, GINT_TO_POINTER (MODE_HANG),
              fixture_set_up, test_hanging_server_cancel, fixture_tear_down);
  g_test_add ("/kios/sync-ui/failed-push-not-synced", Fixture, GINT_TO_POINTER (MODE_PUT_FAILS),
              fixture_set_up, test_failed_push_not_synced, fixture_tear_down);
  g_test_add ("/kios/sync-ui/window-engine-lifetime", Fixture, GINT_TO_POINTER (MODE_NORMAL),
              fixture_set_up, test_window_engine_lifetime, fixture_tear_down);
  g_test_add_func ("/kios/sync-ui/preferences-page", test_preferences_page);
  g_test_add_func ("/kios/sync-ui/preferences-test-and-save", test_preferences_test_and_save);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
