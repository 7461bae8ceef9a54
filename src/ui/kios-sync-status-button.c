/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-status-button"

#include "config.h"

#include "kios-sync-status-button.h"

#include "kios-banner.h"
#include "kios-kobo-backend.h"
#include "kios-window.h"

#include <glib/gi18n.h>

struct _KiosSyncStatusButton
{
  GtkWidget parent_instance;

  KiosSyncEngine *engine;
  GtkWidget      *menu_button;
  GtkLabel       *status_label;
  GtkLabel       *detail_label;
  GtkWidget      *sync_now_button;
  GtkWidget      *remote_button;
  KiosReaderView *reader_view; /* weak: for the local side of a comparison */
  const char     *icon_name;
};

G_DEFINE_FINAL_TYPE (KiosSyncStatusButton, kios_sync_status_button, GTK_TYPE_WIDGET)

/* Every engine made by attach_window, for quit and account changes. */
static GPtrArray *all_engines;

static const char *
state_icon (KiosSyncState state)
{
  switch (state)
    {
    case KIOS_SYNC_STATE_SYNCED:
      return "emblem-ok-symbolic";
    case KIOS_SYNC_STATE_PENDING:
      return "emblem-synchronizing-symbolic";
    case KIOS_SYNC_STATE_OFFLINE:
      return "network-offline-symbolic";
    case KIOS_SYNC_STATE_FAILING:
      return "dialog-warning-symbolic";
    case KIOS_SYNC_STATE_OFF:
    default:
      return "emblem-synchronizing-symbolic";
    }
}

static char *
state_text (KiosSyncEngine *engine)
{
  const char *reason = kios_sync_engine_get_reason (engine);

  switch (kios_sync_engine_get_state (engine))
    {
    case KIOS_SYNC_STATE_SYNCED:
      return g_strdup (_ ("Progress synced"));
    case KIOS_SYNC_STATE_PENDING:
      return g_strdup (_ ("Progress waiting to be sent"));
    case KIOS_SYNC_STATE_OFFLINE:
      return g_strdup (_ ("Offline — will retry when you come back to Kios"));
    case KIOS_SYNC_STATE_FAILING:
      return g_strdup_printf (_ ("Sync is failing: %s"), reason != NULL ? reason : _ ("unknown reason"));
    case KIOS_SYNC_STATE_OFF:
    default:
      return g_strdup (_ ("Progress sync is off"));
    }
}

/*
 * The seed's "Kios and my Kobo show different percentages": when the Kobo's
 * position is in the chapter Kios shows but the whole-book percentages
 * differ, say why, so it does not look like lost data.
 */
static void
append_kobo_percentages (KiosSyncStatusButton *self,
                         GString              *detail)
{
  const KiosPosition *remote = kios_sync_engine_get_remote (self->engine);
  const KiosPosition *local = self->reader_view != NULL
                                  ? kios_reader_view_get_position (self->reader_view)
                                  : NULL;
  g_autofree char    *why = NULL;

  /* The Kobo backend names the other side "Kobo sync"; core decides
   * whether the difference needs explaining (same chapter, ≥ 1 point). */
  if (remote == NULL || local == NULL || g_strcmp0 (remote->device, "Kobo sync") != 0)
    return;
  why = kios_kobo_explain_percentages (local, remote);
  if (why == NULL)
    return;

  if (detail->len > 0)
    g_string_append (detail, "\n");
  g_string_append_printf (detail,
                          _ ("Kios shows %.0f %% and your Kobo %.0f %%: Kobo firmware counts "
                             "whole-book progress differently. Both are in the same chapter, "
                             "so your position is correct."),
                          local->total_progress * 100.0, remote->total_progress * 100.0);
}

static void
update (KiosSyncStatusButton *self)
{
  KiosSyncState       state = kios_sync_engine_get_state (self->engine);
  g_autofree char    *text = state_text (self->engine);
  g_autoptr (GString) detail = g_string_new (NULL);
  const char         *result = kios_sync_engine_get_last_result (self->engine);
  const char         *server = kios_sync_engine_get_server (self->engine);
  gint64              when = kios_sync_engine_get_last_time (self->engine);

  self->icon_name = state_icon (state);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), self->icon_name);
  gtk_widget_set_tooltip_text (self->menu_button, text);
  gtk_label_set_text (self->status_label, text);

  /* The failing reason is already the heading: say it once. */
  if (result != NULL && g_strcmp0 (result, kios_sync_engine_get_reason (self->engine)) != 0)
    g_string_append_printf (detail, _ ("Last result: %s"), result);
  if (when > 0)
    {
      g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (when);
      g_autofree char      *clock = g_date_time_format (time, "%H:%M");

      if (detail->len > 0)
        g_string_append (detail, "\n");
      g_string_append_printf (detail, _ ("At %s"), clock);
    }
  if (server != NULL)
    {
      if (detail->len > 0)
        g_string_append (detail, "\n");
      g_string_append_printf (detail, _ ("Server: %s"), server);
    }
  append_kobo_percentages (self, detail);
  gtk_label_set_text (self->detail_label, detail->str);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail->len > 0);

  gtk_widget_set_visible (self->remote_button, kios_sync_engine_get_has_remote (self->engine));
  gtk_widget_set_visible (GTK_WIDGET (self), state != KIOS_SYNC_STATE_OFF);
}

static void
on_sync_now (KiosSyncStatusButton *self)
{
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->menu_button));
  kios_sync_engine_sync_now (self->engine);
}

static void
on_go_to_remote (KiosSyncStatusButton *self)
{
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->menu_button));
  kios_sync_engine_go_to_remote (self->engine);
}

static void
kios_sync_status_button_dispose (GObject *object)
{
  KiosSyncStatusButton *self = KIOS_SYNC_STATUS_BUTTON (object);

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  g_clear_weak_pointer (&self->reader_view);
  g_clear_pointer (&self->menu_button, gtk_widget_unparent);

  G_OBJECT_CLASS (kios_sync_status_button_parent_class)->dispose (object);
}

static void
kios_sync_status_button_class_init (KiosSyncStatusButtonClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_sync_status_button_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
kios_sync_status_button_init (KiosSyncStatusButton *self)
{
  GtkWidget *popover;
  GtkWidget *box;

  self->menu_button = gtk_menu_button_new ();
  gtk_widget_set_parent (self->menu_button, GTK_WIDGET (self));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), "emblem-synchronizing-symbolic");
  gtk_widget_set_name (self->menu_button, "sync-status-menu-button");

  popover = gtk_popover_new ();
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_popover_set_child (GTK_POPOVER (popover), box);

  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->status_label), "status-label");
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_label_set_max_width_chars (self->status_label, 40);
  gtk_label_set_xalign (self->status_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "heading");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status_label));

  self->detail_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->detail_label), "detail-label");
  gtk_label_set_wrap (self->detail_label, TRUE);
  gtk_label_set_max_width_chars (self->detail_label, 40);
  gtk_label_set_xalign (self->detail_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_label), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->detail_label));

  self->remote_button = gtk_button_new_with_mnemonic (_ ("_Go to the other device’s position"));
  gtk_widget_set_name (self->remote_button, "go-to-remote-button");
  gtk_widget_add_css_class (self->remote_button, "flat");
  g_signal_connect_swapped (self->remote_button, "clicked", G_CALLBACK (on_go_to_remote), self);
  gtk_box_append (GTK_BOX (box), self->remote_button);

  self->sync_now_button = gtk_button_new_with_mnemonic (_ ("_Sync Now"));
  gtk_widget_set_name (self->sync_now_button, "sync-now-button");
  g_signal_connect_swapped (self->sync_now_button, "clicked", G_CALLBACK (on_sync_now), self);
  gtk_box_append (GTK_BOX (box), self->sync_now_button);

  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->menu_button), popover);
}

GtkWidget *
kios_sync_status_button_new (KiosSyncEngine *engine)
{
  KiosSyncStatusButton *self;

  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (engine), NULL);

  self = g_object_new (KIOS_TYPE_SYNC_STATUS_BUTTON, NULL);
  self->engine = g_object_ref (engine);
  g_signal_connect_swapped (engine, "notify", G_CALLBACK (update), self);
  update (self);
  return GTK_WIDGET (self);
}

KiosSyncEngine *
kios_sync_status_button_get_engine (KiosSyncStatusButton *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_STATUS_BUTTON (self), NULL);
  return self->engine;
}

const char *
kios_sync_status_button_get_icon_name (KiosSyncStatusButton *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_STATUS_BUTTON (self), NULL);
  return self->icon_name;
}

/* ---- window wiring ------------------------------------------------------- */

typedef struct
{
  GtkWindow      *window;      /* borrowed: owns this struct */
  KiosReaderView *reader_view; /* weak: a child of the window */
  KiosSyncEngine *engine;
  KiosBanner     *banner;         /* borrowed: in the slot */
  char           *toasted_reason; /* the failure last shown as a toast */
  gboolean        opening;        /* a book was opened; its first page is on its way */
} Wiring;

static void
wiring_free (Wiring *wiring)
{
  g_signal_handlers_disconnect_by_data (wiring->engine, wiring);
  /* The window's template children may already be gone. */
  if (wiring->reader_view != NULL)
    g_signal_handlers_disconnect_by_data (wiring->reader_view, wiring);
  g_clear_weak_pointer (&wiring->reader_view);
  /* A window destroyed with a book open closes the book: push it. */
  kios_sync_engine_close_book (wiring->engine);
  /* The engine outlives the window while a push is in flight (its task
   * holds a reference); quit waits for it through all_engines. */
  g_object_unref (wiring->engine);
  g_free (wiring->toasted_reason);
  g_free (wiring);
}

static void
on_is_active (GtkWindow  *window,
              GParamSpec *pspec,
              Wiring     *wiring)
{
  if (gtk_window_is_active (window))
    kios_sync_engine_activate (wiring->engine);
  else
    kios_sync_engine_deactivate (wiring->engine);
}

static void
on_document (KiosReaderView *view,
             GParamSpec     *pspec,
             Wiring         *wiring)
{
  kios_banner_set_revealed (wiring->banner, FALSE);
  if (kios_reader_view_get_document (view) == NULL)
    {
      wiring->opening = FALSE;
      kios_sync_engine_close_book (wiring->engine);
    }
  else
    {
      /* Another book replaces this one: push the old one now. */
      kios_sync_engine_close_book (wiring->engine);
      wiring->opening = TRUE;
    }
}

static void
on_page_shown (KiosReaderView *view,
               Wiring         *wiring)
{
  const KiosPosition *position = kios_reader_view_get_position (view);
  KiosDocument       *document = kios_reader_view_get_document (view);

  if (document == NULL || position == NULL)
    return;
  if (wiring->opening)
    {
      /* The page is on screen from the local position; now ask the server. */
      wiring->opening = FALSE;
      kios_sync_engine_open_book (wiring->engine, document, position);
    }
  else
    kios_sync_engine_set_position (wiring->engine, position, FALSE);
}

static void
on_user_turned_page (KiosReaderView *view,
                     Wiring         *wiring)
{
  const KiosPosition *position = kios_reader_view_get_position (view);

  if (position != NULL)
    kios_sync_engine_set_position (wiring->engine, position, TRUE);
  /* Reading on answers the question: the remote stays in the status menu. */
  if (kios_banner_get_revealed (wiring->banner))
    {
      kios_banner_set_revealed (wiring->banner, FALSE);
      kios_sync_engine_dismiss_remote (wiring->engine);
    }
}

static void
on_prompt (KiosSyncEngine *engine,
           const char     *chapter_title,
           Wiring         *wiring)
{
  kios_banner_show_prompt (wiring->banner, chapter_title);
}

static void
on_jump (KiosSyncEngine     *engine,
         const KiosPosition *position,
         Wiring             *wiring)
{
  kios_banner_set_revealed (wiring->banner, FALSE);
  if (kios_reader_view_get_document (wiring->reader_view) != NULL)
    kios_reader_view_go_to_position (wiring->reader_view, position);
}

static void
on_continue (KiosBanner *banner,
             Wiring     *wiring)
{
  kios_sync_engine_accept_remote (wiring->engine);
}

static void
on_stay (KiosBanner *banner,
         Wiring     *wiring)
{
  kios_sync_engine_dismiss_remote (wiring->engine);
}

/* A failure reaches the user once, as a toast, besides the status icon. */
static void
on_state (KiosSyncEngine *engine,
          GParamSpec     *pspec,
          Wiring         *wiring)
{
  const char      *reason = kios_sync_engine_get_reason (engine);
  g_autofree char *text = NULL;

  if (kios_sync_engine_get_state (engine) != KIOS_SYNC_STATE_FAILING || reason == NULL)
    {
      g_clear_pointer (&wiring->toasted_reason, g_free);
      return;
    }
  if (g_strcmp0 (wiring->toasted_reason, reason) == 0 || !KIOS_IS_WINDOW (wiring->window))
    return;
  g_free (wiring->toasted_reason);
  wiring->toasted_reason = g_strdup (reason);
  text = g_strdup_printf (_ ("Progress sync: %s"), reason);
  kios_window_add_toast (KIOS_WINDOW (wiring->window), adw_toast_new (text));
}

/* The header bar above the banner slot: a sibling of the slot or of one of
 * its ancestors, the nearest first. */
static GtkWidget *
find_header_bar (GtkWidget *slot)
{
  for (GtkWidget *level = slot; level != NULL; level = gtk_widget_get_parent (level))
    {
      GtkWidget *parent = gtk_widget_get_parent (level);

      if (parent == NULL)
        break;
      for (GtkWidget *child = gtk_widget_get_first_child (parent); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        {
          if (ADW_IS_HEADER_BAR (child))
            return child;
        }
    }
  return NULL;
}

KiosSyncEngine *
kios_sync_status_button_attach_window (GtkWindow        *window,
                                       KiosReaderView   *reader_view,
                                       GtkRevealer      *slot,
                                       KiosLibraryStore *store)
{
  Wiring    *wiring;
  GtkWidget *header_bar;
  GtkWidget *button;

  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (KIOS_IS_READER_VIEW (reader_view), NULL);
  g_return_val_if_fail (GTK_IS_REVEALER (slot), NULL);
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  wiring = g_object_get_data (G_OBJECT (window), "kios-sync-engine");
  if (wiring != NULL)
    return wiring->engine;

  wiring = g_new0 (Wiring, 1);
  wiring->window = window;
  g_set_weak_pointer (&wiring->reader_view, reader_view);
  wiring->engine = kios_sync_engine_new (store);
  if (all_engines == NULL)
    all_engines = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (all_engines, g_object_ref (wiring->engine));
  kios_sync_engine_load_account (wiring->engine);

  wiring->banner = KIOS_BANNER (kios_banner_new ());
  gtk_revealer_set_child (slot, GTK_WIDGET (wiring->banner));
  /* The slot shows exactly while the banner does. */
  g_object_bind_property (wiring->banner, "revealed", slot, "reveal-child", G_BINDING_SYNC_CREATE);

  button = kios_sync_status_button_new (wiring->engine);
  g_set_weak_pointer (&KIOS_SYNC_STATUS_BUTTON (button)->reader_view, reader_view);
  g_signal_connect_object (reader_view, "page-shown", G_CALLBACK (update), button, G_CONNECT_SWAPPED);
  header_bar = find_header_bar (GTK_WIDGET (slot));
  if (header_bar != NULL)
    adw_header_bar_pack_end (ADW_HEADER_BAR (header_bar), button);
  else
    g_object_ref_sink (button), g_object_unref (button);

  g_signal_connect (window, "notify::is-active", G_CALLBACK (on_is_active), wiring);
  g_signal_connect (reader_view, "notify::document", G_CALLBACK (on_document), wiring);
  g_signal_connect (reader_view, "page-shown", G_CALLBACK (on_page_shown), wiring);
  g_signal_connect (reader_view, "user-turned-page", G_CALLBACK (on_user_turned_page), wiring);
  g_signal_connect (wiring->engine, "prompt", G_CALLBACK (on_prompt), wiring);
  g_signal_connect (wiring->engine, "jump", G_CALLBACK (on_jump), wiring);
  g_signal_connect (wiring->engine, "notify::reason", G_CALLBACK (on_state), wiring);
  g_signal_connect (wiring->banner, "continue", G_CALLBACK (on_continue), wiring);
  g_signal_connect (wiring->banner, "stay", G_CALLBACK (on_stay), wiring);

  g_object_set_data_full (G_OBJECT (window), "kios-sync-engine", wiring, (GDestroyNotify) wiring_free);
  return wiring->engine;
}

void
kios_sync_status_button_shutdown_all (guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (all_engines == NULL)
    return;
  for (guint i = 0; i < all_engines->len; i++)
    {
      gint64 left = (end - g_get_monotonic_time ()) / 1000;

      kios_sync_engine_shutdown (all_engines->pdata[i], (guint) MAX (left, 0));
    }
  g_clear_pointer (&all_engines, g_ptr_array_unref);
}

void
kios_sync_status_button_reload_all (void)
{
  if (all_engines == NULL)
    return;
  for (guint i = 0; i < all_engines->len; i++)
    kios_sync_engine_load_account (all_engines->pdata[i]);
}
