/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-status-button"

#include "config.h"

#include "kios-sync-status-button.h"

#include "kios-application.h"
#include "kios-kobo-backend.h"
#include "kios-sync-status-text.h"

#include <glib/gi18n.h>

/* "Synced 2 minutes ago" ages: re-read the status this often. */
#define REFRESH_SECONDS 30

struct _KiosSyncStatusButton
{
  GtkWidget parent_instance;

  KiosSyncEngine *engine;
  KiosPosition   *local; /* the reader's position, nullable */
  GtkWidget      *menu_button;
  GtkImage       *state_image;
  GtkLabel       *status_label;
  GtkLabel       *server_label;
  GtkLabel       *detail_label;
  GtkLabel       *kobo_label;
  GtkWidget      *remote_button;
  GtkWidget      *preferences_button;
  GtkWidget      *sync_now_button;
  GtkWidget      *busy_box;
  GtkSpinner     *spinner;
  GtkWidget      *cancel_button;
  const char     *icon_name;
  guint           refresh_id;
};

G_DEFINE_FINAL_TYPE (KiosSyncStatusButton, kios_sync_status_button, GTK_TYPE_WIDGET)

/*
 * The seed's "Kios and my Kobo show different percentages": when the Kobo's
 * position is in the chapter Kios shows but the whole-book percentages
 * differ, say why, so it does not look like lost data.
 */
static char *
kobo_percentages (KiosSyncStatusButton *self)
{
  const KiosPosition *remote = kios_sync_engine_get_remote (self->engine);
  g_autofree char    *why = NULL;

  /* The Kobo backend names the other side "Kobo sync"; core decides
   * whether the difference needs explaining (same chapter, ≥ 1 point). */
  if (remote == NULL || self->local == NULL || g_strcmp0 (remote->device, "Kobo sync") != 0)
    return NULL;
  why = kios_kobo_explain_percentages (self->local, remote);
  if (why == NULL)
    return NULL;
  return g_strdup_printf (_ ("Kios shows %.0f %% and your Kobo %.0f %%: Kobo firmware counts "
                             "whole-book progress differently. Both are in the same chapter, "
                             "so your position is correct."),
                          self->local->total_progress * 100.0, remote->total_progress * 100.0);
}

static void
set_label (GtkLabel   *label,
           const char *text)
{
  gtk_label_set_text (label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

void
kios_sync_status_button_update (KiosSyncStatusButton *self)
{
  const KiosSyncStatus *status;
  KiosSyncStatusState   state;
  gint64                now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char      *title = NULL;
  g_autofree char      *description = NULL;
  g_autofree char      *kobo = NULL;
  g_autofree char      *server = NULL;
  const char           *remote_title;
  gboolean              busy;

  g_return_if_fail (KIOS_IS_SYNC_STATUS_BUTTON (self));

  status = kios_sync_engine_get_status (self->engine);
  state = status != NULL ? status->state : KIOS_SYNC_STATUS_OFF;
  busy = kios_sync_engine_is_busy (self->engine);

  /* Sync switched off (or never set up) is not news in a reading window:
   * the button goes away; Settings is where it is turned on. */
  gtk_widget_set_visible (GTK_WIDGET (self), state != KIOS_SYNC_STATUS_OFF);
  if (status == NULL)
    return;

  title = kios_sync_status_title (status, now);
  description = kios_sync_status_description (status);
  kobo = kobo_percentages (self);
  if (status->server != NULL)
    /* Translators: the protocol and the server, "KOReader Sync · books.example.org". */
    server = g_strdup_printf (_ ("%s · %s"), kios_sync_protocol_label (status->protocol), status->server);
  else
    server = g_strdup (kios_sync_protocol_label (status->protocol));

  self->icon_name = kios_sync_status_icon_name (state);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), self->icon_name);
  gtk_image_set_from_icon_name (self->state_image, self->icon_name);
  if (kios_sync_status_needs_attention (state))
    {
      gtk_widget_add_css_class (self->menu_button, "sync-attention");
      gtk_widget_add_css_class (GTK_WIDGET (self->state_image), "warning");
    }
  else
    {
      gtk_widget_remove_css_class (self->menu_button, "sync-attention");
      gtk_widget_remove_css_class (GTK_WIDGET (self->state_image), "warning");
    }
  if (state == KIOS_SYNC_STATUS_SYNCED)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_image), "success");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->state_image), "success");
  gtk_widget_set_tooltip_text (self->menu_button, title);

  gtk_label_set_text (self->status_label, title);
  set_label (self->server_label, server);
  /* While it runs, the spinner row says what is happening. */
  set_label (self->detail_label, busy ? NULL : description);
  set_label (self->kobo_label, kobo);

  remote_title = kios_sync_engine_get_remote_title (self->engine);
  if (remote_title != NULL && *remote_title != '\0')
    {
      /* Translators: %s is a chapter title. */
      g_autofree char *label = g_strdup_printf (_ ("_Go to ‘%s’ from the Other Device"), remote_title);

      gtk_button_set_label (GTK_BUTTON (self->remote_button), label);
    }
  else
    gtk_button_set_label (GTK_BUTTON (self->remote_button), _ ("_Go to the Other Device’s Position"));
  gtk_widget_set_visible (self->remote_button, kios_sync_engine_get_has_remote (self->engine));
  gtk_widget_set_visible (self->preferences_button,
                          state == KIOS_SYNC_STATUS_REFUSED || state == KIOS_SYNC_STATUS_WRONG_URL);

  /* A wait always has a way out. */
  gtk_widget_set_visible (self->sync_now_button, !busy);
  gtk_widget_set_visible (self->busy_box, busy);
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
}

static void
on_sync_now (KiosSyncStatusButton *self)
{
  kios_sync_engine_sync_now (self->engine);
  kios_sync_status_button_update (self);
}

static void
on_cancel (KiosSyncStatusButton *self)
{
  kios_sync_engine_cancel (self->engine);
  kios_sync_status_button_update (self);
}

static void
on_go_to_remote (KiosSyncStatusButton *self)
{
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->menu_button));
  kios_sync_engine_go_to_remote (self->engine);
}

static void
popdown (KiosSyncStatusButton *self)
{
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->menu_button));
}

static gboolean
refresh_cb (gpointer user_data)
{
  kios_sync_status_button_update (KIOS_SYNC_STATUS_BUTTON (user_data));
  return G_SOURCE_CONTINUE;
}

static void
kios_sync_status_button_dispose (GObject *object)
{
  KiosSyncStatusButton *self = KIOS_SYNC_STATUS_BUTTON (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->menu_button, gtk_widget_unparent);

  G_OBJECT_CLASS (kios_sync_status_button_parent_class)->dispose (object);
}

static void
kios_sync_status_button_finalize (GObject *object)
{
  KiosSyncStatusButton *self = KIOS_SYNC_STATUS_BUTTON (object);

  g_clear_pointer (&self->local, kios_position_free);

  G_OBJECT_CLASS (kios_sync_status_button_parent_class)->finalize (object);
}

static void
kios_sync_status_button_class_init (KiosSyncStatusButtonClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_sync_status_button_dispose;
  object_class->finalize = kios_sync_status_button_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static GtkLabel *
popover_label (const char *name,
               const char *css_class)
{
  GtkLabel *label = GTK_LABEL (gtk_label_new (NULL));

  gtk_widget_set_name (GTK_WIDGET (label), name);
  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_max_width_chars (label, 36);
  gtk_label_set_width_chars (label, 28);
  gtk_label_set_xalign (label, 0);
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (label), css_class);
  return label;
}

static GtkWidget *
menu_item (const char *label,
           const char *name)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);
  GtkWidget *child = gtk_button_get_child (GTK_BUTTON (button));

  gtk_widget_set_name (button, name);
  gtk_widget_add_css_class (button, "flat");
  if (GTK_IS_LABEL (child))
    {
      gtk_label_set_xalign (GTK_LABEL (child), 0);
      gtk_label_set_wrap (GTK_LABEL (child), TRUE);
    }
  return button;
}

static void
kios_sync_status_button_init (KiosSyncStatusButton *self)
{
  GtkWidget *popover;
  GtkWidget *box;
  GtkWidget *header;
  GtkWidget *titles;
  GtkWidget *actions;
  GtkWidget *details_button;
  GtkWidget *busy_label;

  self->menu_button = gtk_menu_button_new ();
  gtk_widget_set_parent (self->menu_button, GTK_WIDGET (self));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), "emblem-synchronizing-symbolic");
  gtk_widget_set_name (self->menu_button, "sync-status-menu-button");

  popover = gtk_popover_new ();
  gtk_widget_add_css_class (popover, "sync-status-popover");
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_popover_set_child (GTK_POPOVER (popover), box);

  /* The state: its icon, the title in words, the protocol and server. */
  header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  self->state_image = GTK_IMAGE (gtk_image_new ());
  gtk_image_set_pixel_size (self->state_image, 24);
  gtk_widget_set_valign (GTK_WIDGET (self->state_image), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->state_image));
  titles = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  self->status_label = popover_label ("status-label", "heading");
  self->server_label = popover_label ("server-label", "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->server_label), "dim-label");
  gtk_label_set_ellipsize (self->server_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_wrap (self->server_label, FALSE);
  gtk_box_append (GTK_BOX (titles), GTK_WIDGET (self->status_label));
  gtk_box_append (GTK_BOX (titles), GTK_WIDGET (self->server_label));
  gtk_box_append (GTK_BOX (header), titles);
  gtk_box_append (GTK_BOX (box), header);

  self->detail_label = popover_label ("detail-label", NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->detail_label));
  self->kobo_label = popover_label ("kobo-label", "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->kobo_label));

  /* Sync Now, or while it runs a spinner and Cancel. */
  self->sync_now_button = gtk_button_new_with_mnemonic (_ ("_Sync Now"));
  gtk_widget_set_name (self->sync_now_button, "sync-now-button");
  g_signal_connect_swapped (self->sync_now_button, "clicked", G_CALLBACK (on_sync_now), self);
  gtk_box_append (GTK_BOX (box), self->sync_now_button);

  self->busy_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  busy_label = gtk_label_new (_ ("Syncing…"));
  gtk_widget_set_hexpand (busy_label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (busy_label), 0);
  self->cancel_button = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  gtk_widget_set_name (self->cancel_button, "cancel-button");
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel), self);
  gtk_box_append (GTK_BOX (self->busy_box), GTK_WIDGET (self->spinner));
  gtk_box_append (GTK_BOX (self->busy_box), busy_label);
  gtk_box_append (GTK_BOX (self->busy_box), self->cancel_button);
  gtk_widget_set_visible (self->busy_box, FALSE);
  gtk_box_append (GTK_BOX (box), self->busy_box);

  /* Menu-like actions under a separator. */
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
  actions = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  self->remote_button = menu_item (_ ("_Go to the Other Device’s Position"), "go-to-remote-button");
  g_signal_connect_swapped (self->remote_button, "clicked", G_CALLBACK (on_go_to_remote), self);
  gtk_box_append (GTK_BOX (actions), self->remote_button);

  self->preferences_button = menu_item (_ ("Open Sync _Preferences"), "preferences-button");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->preferences_button), "app.preferences");
  g_signal_connect_swapped (self->preferences_button, "clicked", G_CALLBACK (popdown), self);
  gtk_box_append (GTK_BOX (actions), self->preferences_button);

  details_button = menu_item (_ ("Sync _Details…"), "details-button");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (details_button), "win.sync-details");
  g_signal_connect_swapped (details_button, "clicked", G_CALLBACK (popdown), self);
  gtk_box_append (GTK_BOX (actions), details_button);
  gtk_box_append (GTK_BOX (box), actions);

  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->menu_button), popover);
}

GtkWidget *
kios_sync_status_button_new (KiosSyncEngine *engine)
{
  KiosSyncStatusButton *self;

  g_return_val_if_fail (KIOS_IS_SYNC_ENGINE (engine), NULL);

  self = g_object_new (KIOS_TYPE_SYNC_STATUS_BUTTON, NULL);
  self->engine = g_object_ref (engine);
  /* Every property (status, busy, the remote) can change what is shown. */
  g_signal_connect_swapped (engine, "notify", G_CALLBACK (kios_sync_status_button_update), self);
  self->refresh_id = g_timeout_add_seconds (REFRESH_SECONDS, refresh_cb, self);
  kios_sync_status_button_update (self);
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

void
kios_sync_status_button_set_local (KiosSyncStatusButton *self,
                                   const KiosPosition   *local)
{
  g_return_if_fail (KIOS_IS_SYNC_STATUS_BUTTON (self));

  g_clear_pointer (&self->local, kios_position_free);
  self->local = kios_position_copy (local);
  kios_sync_status_button_update (self);
}
