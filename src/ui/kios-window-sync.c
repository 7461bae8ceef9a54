/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include "kios-sync-details-dialog.h"
#include "kios-sync-status-text.h"

#include <glib/gi18n.h>

/*
 * The window's part of sync: it feeds its engine the events (window focus,
 * a book opened or closed, page turns), shows the engine's questions in the
 * banner and its status in the header bar. The engine comes from the
 * application's sync service; the window only holds it while it lives.
 */

static void
is_active_cb (KiosWindow *self)
{
  if (self->sync_engine == NULL)
    return;
  if (gtk_window_is_active (GTK_WINDOW (self)))
    kios_sync_engine_activate (self->sync_engine);
  else
    kios_sync_engine_deactivate (self->sync_engine);
}

static void
document_cb (KiosWindow *self)
{
  kios_banner_set_revealed (self->sync_banner, FALSE);
  if (self->sync_engine == NULL)
    return;
  /* Closed, or another book replaces this one: push the old one now. */
  kios_sync_engine_close_book (self->sync_engine);
  self->sync_opening = kios_reader_view_get_document (self->reader_view) != NULL;
}

static void
page_shown_cb (KiosWindow *self)
{
  const KiosPosition *position = kios_reader_view_get_position (self->reader_view);
  KiosDocument       *document = kios_reader_view_get_document (self->reader_view);

  if (self->sync_engine == NULL || document == NULL || position == NULL)
    return;
  if (self->sync_opening)
    {
      /* The page is on screen from the local position; now ask the server. */
      self->sync_opening = FALSE;
      kios_sync_engine_open_book (self->sync_engine, document, position);
    }
  else
    kios_sync_engine_set_position (self->sync_engine, position, FALSE);
  kios_sync_status_button_set_local (self->sync_button, position);
}

static void
user_turned_page_cb (KiosWindow *self)
{
  const KiosPosition *position = kios_reader_view_get_position (self->reader_view);

  if (self->sync_engine == NULL)
    return;
  if (position != NULL)
    kios_sync_engine_set_position (self->sync_engine, position, TRUE);
  /* Reading on answers the question: the remote stays in the status menu. */
  if (kios_banner_get_revealed (self->sync_banner))
    {
      kios_banner_set_revealed (self->sync_banner, FALSE);
      kios_sync_engine_dismiss_remote (self->sync_engine);
    }
}

static void
prompt_cb (KiosWindow *self,
           const char *chapter_title)
{
  KiosSyncProtocol    protocol;
  const KiosPosition *remote;

  kios_banner_show_prompt (self->sync_banner, chapter_title);
  /* A bridged book: say which device and which protocol the place is from. */
  remote = kios_sync_engine_get_remote (self->sync_engine);
  if (kios_sync_engine_get_remote_protocol (self->sync_engine, &protocol) && remote != NULL)
    {
      const char      *over = protocol == KIOS_SYNC_PROTOCOL_KOBO      ? _ ("Kobo sync")
                              : protocol == KIOS_SYNC_PROTOCOL_READIUM ? _ ("the catalog’s reading progress")
                                                                       : _ ("KOReader sync");
      g_autofree char *title = NULL;

      /* Translators: a device name, a sync protocol, a chapter title. */
      title = g_strdup_printf (_ ("%s, over %s, is in ‘%s’ — switch?"),
                               remote->device != NULL && *remote->device != '\0' ? remote->device
                                                                                 : _ ("Another device"),
                               over, chapter_title != NULL ? chapter_title : _ ("another chapter"));
      kios_banner_set_title (self->sync_banner, title);
    }
}

static void
jump_cb (KiosWindow         *self,
         const KiosPosition *position)
{
  kios_banner_set_revealed (self->sync_banner, FALSE);
  if (kios_reader_view_get_document (self->reader_view) != NULL)
    kios_reader_view_jump_to (self->reader_view, position, KIOS_JUMP_RECORD_BACK);
}

static void
continue_cb (KiosWindow *self)
{
  if (self->sync_engine != NULL)
    kios_sync_engine_accept_remote (self->sync_engine);
}

static void
stay_cb (KiosWindow *self)
{
  if (self->sync_engine != NULL)
    kios_sync_engine_dismiss_remote (self->sync_engine);
}

/* A failure that needs the reader reaches them once as a toast with the way
 * to fix it, besides the status button; offline and pending stay quiet in
 * the button (Kios retries by itself). */
static void
status_cb (KiosWindow *self)
{
  const KiosSyncStatus *status = kios_sync_engine_get_status (self->sync_engine);
  g_autofree char      *key = NULL;
  g_autofree char      *title = NULL;
  g_autofree char      *text = NULL;
  AdwToast             *toast;

  if (status == NULL || !kios_sync_status_needs_attention (status->state))
    {
      g_clear_pointer (&self->sync_toasted, g_free);
      return;
    }
  key = g_strdup_printf ("%s/%s/%u/%d", status->source, kios_sync_status_state_to_string (status->state),
                         status->error_domain, status->error_code);
  if (g_strcmp0 (key, self->sync_toasted) == 0)
    return;
  g_free (self->sync_toasted);
  self->sync_toasted = g_steal_pointer (&key);

  title = kios_sync_status_title (status, g_get_real_time () / G_USEC_PER_SEC);
  /* Translators: a toast, %s says what went wrong ("The server refused the password"). */
  text = g_strdup_printf (_ ("Progress sync: %s"), title);
  toast = adw_toast_new (text);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  if (status->state == KIOS_SYNC_STATUS_SERVER_ERROR)
    {
      adw_toast_set_button_label (toast, _ ("_Details"));
      adw_toast_set_action_name (toast, "win.sync-details");
    }
  else
    {
      adw_toast_set_button_label (toast, _ ("_Preferences"));
      adw_toast_set_action_name (toast, "app.preferences");
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
sync_details_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  KiosWindow            *self = KIOS_WINDOW (user_data);
  KiosSyncDetailsDialog *dialog;
  const char            *hash;

  if (self->sync_service == NULL || self->document == NULL)
    return;
  hash = kios_document_get_hash (self->document);
  if (hash == NULL)
    return;
  dialog = kios_sync_details_dialog_new (GTK_WINDOW (self), self->sync_service, hash,
                                         adw_window_title_get_title (self->window_title));
  if (self->sync_engine != NULL)
    kios_sync_details_dialog_set_remote (dialog, kios_sync_engine_get_remote (self->sync_engine));
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry sync_actions[] = {
  { "sync-details", sync_details_activated },
};

/* Lets go of the engine: the open book is pushed (a window that closes
 * closes its book) and the pull is cancelled; the service keeps what is in
 * flight until it went out or quit gave up on it. */
static void
drop_engine (KiosWindow *self)
{
  if (self->sync_engine == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->sync_engine, self);
  kios_sync_engine_close_book (self->sync_engine);
  if (self->sync_button != NULL)
    {
      adw_header_bar_remove (self->header_bar, GTK_WIDGET (self->sync_button));
      self->sync_button = NULL;
    }
  kios_banner_set_revealed (self->sync_banner, FALSE);
  g_clear_object (&self->sync_engine);
  g_clear_pointer (&self->sync_toasted, g_free);
  self->sync_opening = FALSE;
}

void
kios_window_sync_init (KiosWindow *self)
{
  self->sync_banner = KIOS_BANNER (kios_banner_new ());
  gtk_revealer_set_child (self->sync_banner_revealer, GTK_WIDGET (self->sync_banner));
  /* The slot shows exactly while the banner does. */
  g_object_bind_property (self->sync_banner, "revealed", self->sync_banner_revealer, "reveal-child",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->sync_banner, "continue", G_CALLBACK (continue_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync_banner, "stay", G_CALLBACK (stay_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (is_active_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reader_view, "notify::document", G_CALLBACK (document_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reader_view, "page-shown", G_CALLBACK (page_shown_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reader_view, "user-turned-page", G_CALLBACK (user_turned_page_cb), self,
                           G_CONNECT_SWAPPED);

  g_action_map_add_action_entries (G_ACTION_MAP (self), sync_actions, G_N_ELEMENTS (sync_actions), self);
}

void
kios_window_sync_dispose (KiosWindow *self)
{
  drop_engine (self);
  g_clear_object (&self->sync_service);
  g_clear_object (&self->deferred_service);
}

void
kios_window_sync_update_mode (KiosWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "sync-details");

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), self->document != NULL && self->sync_service != NULL);
}

void
kios_window_set_sync_service (KiosWindow      *self,
                              KiosSyncService *service)
{
  g_return_if_fail (KIOS_IS_WINDOW (self));
  g_return_if_fail (service == NULL || KIOS_IS_SYNC_SERVICE (service));

  /* Loading the account (the keyring) waits for the first page. */
  if (self->deferring && !self->started)
    {
      g_set_object (&self->deferred_service, service);
      return;
    }
  kios_window_sync_attach (self, service);
}

void
kios_window_sync_attach (KiosWindow      *self,
                         KiosSyncService *service)
{
  GtkWidget *button;

  if (service == self->sync_service)
    return;

  drop_engine (self);
  g_set_object (&self->sync_service, service);
  kios_window_sync_update_mode (self);
  if (service == NULL)
    return;

  self->sync_engine = kios_sync_service_create_engine (service);
  g_signal_connect_swapped (self->sync_engine, "prompt", G_CALLBACK (prompt_cb), self);
  g_signal_connect_swapped (self->sync_engine, "jump", G_CALLBACK (jump_cb), self);
  g_signal_connect_swapped (self->sync_engine, "notify::status", G_CALLBACK (status_cb), self);

  button = kios_sync_status_button_new (self->sync_engine);
  self->sync_button = KIOS_SYNC_STATUS_BUTTON (button);
  adw_header_bar_pack_end (self->header_bar, button);

  /* A book already open (a service that came late) syncs from now on. */
  if (kios_reader_view_get_document (self->reader_view) != NULL)
    {
      self->sync_opening = TRUE;
      page_shown_cb (self);
    }
  /* A window already in front (the engine came after the first page) pulls
   * as focusing it would have. */
  if (gtk_window_is_active (GTK_WINDOW (self)))
    is_active_cb (self);
  status_cb (self);
}

KiosSyncService *
kios_window_get_sync_service (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return self->sync_service;
}

KiosSyncEngine *
kios_window_get_sync_engine (KiosWindow *self)
{
  g_return_val_if_fail (KIOS_IS_WINDOW (self), NULL);

  return self->sync_engine;
}
