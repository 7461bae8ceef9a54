/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-details-dialog"

#include "config.h"

#include "kios-sync-details-dialog.h"

#include "kios-error-messages.h"
#include "kios-sync-pairing.h"
#include "kios-sync-status-text.h"

#include <glib/gi18n.h>

/* The history shows the newest exchanges; the report carries the same. */
#define LOG_LIMIT 50

/* ---- one log entry as a list item ---------------------------------------- */

#define KIOS_TYPE_SYNC_LOG_ITEM (kios_sync_log_item_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncLogItem, kios_sync_log_item, KIOS, SYNC_LOG_ITEM, GObject)

struct _KiosSyncLogItem
{
  GObject           parent_instance;
  KiosSyncLogEntry *entry;
};

G_DEFINE_FINAL_TYPE (KiosSyncLogItem, kios_sync_log_item, G_TYPE_OBJECT)

static void
kios_sync_log_item_finalize (GObject *object)
{
  g_clear_pointer (&KIOS_SYNC_LOG_ITEM (object)->entry, kios_sync_log_entry_free);
  G_OBJECT_CLASS (kios_sync_log_item_parent_class)->finalize (object);
}

static void
kios_sync_log_item_class_init (KiosSyncLogItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_sync_log_item_finalize;
}

static void
kios_sync_log_item_init (KiosSyncLogItem *self)
{
}

static KiosSyncLogItem *
log_item_new (const KiosSyncLogEntry *entry)
{
  KiosSyncLogItem *item = g_object_new (KIOS_TYPE_SYNC_LOG_ITEM, NULL);

  item->entry = kios_sync_log_entry_copy (entry);
  return item;
}

/* ---- the dialog ----------------------------------------------------------- */

struct _KiosSyncDetailsDialog
{
  AdwWindow parent_instance;

  KiosSyncService *service;
  char            *book_hash;
  char            *book_title;
  KiosPosition    *remote;        /* the open book's resolved remote, nullable */
  GCancellable    *cancellable;   /* the reads in flight */
  GPtrArray       *statuses;      /* KiosSyncStatus, the last read */
  GPtrArray       *log;           /* KiosSyncLogEntry, newest first */
  GPtrArray       *pairings;      /* KiosSyncPairing: the book paired by hand */
  GListStore      *history;       /* KiosSyncLogItem */
  GPtrArray       *source_groups; /* borrowed: AdwPreferencesGroup in page */
  char            *report;
  guint            n_loading;

  /* Template children. */
  AdwToastOverlay     *toast_overlay;
  AdwWindowTitle      *window_title;
  GtkWidget           *copy_button;
  GtkStack            *stack;
  GtkSpinner          *spinner;
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *history_group;
  GtkListBox          *history_list;
};

G_DEFINE_FINAL_TYPE (KiosSyncDetailsDialog, kios_sync_details_dialog, ADW_TYPE_WINDOW)

static GtkWidget *
info_row (const char *title,
          const char *value,
          const char *name)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (name != NULL)
    gtk_widget_set_name (row, name);
  return row;
}

/* The newest entry of the log for source in direction (NULL: any). */
static const KiosSyncLogEntry *
newest_entry (KiosSyncDetailsDialog *self,
              const char            *source,
              const char            *direction)
{
  for (guint i = 0; self->log != NULL && i < self->log->len; i++)
    {
      const KiosSyncLogEntry *entry = self->log->pdata[i];

      if (g_strcmp0 (entry->source, source) != 0)
        continue;
      if (direction != NULL && g_strcmp0 (entry->direction, direction) != 0)
        continue;
      return entry;
    }
  return NULL;
}

static const KiosSyncLogEntry *
newest_with (KiosSyncDetailsDialog *self,
             const char            *source,
             gboolean               want_remote)
{
  for (guint i = 0; self->log != NULL && i < self->log->len; i++)
    {
      const KiosSyncLogEntry *entry = self->log->pdata[i];

      if (g_strcmp0 (entry->source, source) != 0)
        continue;
      if (want_remote ? entry->remote != NULL : entry->precision != NULL)
        return entry;
    }
  return NULL;
}

static char *
exchange_text (const KiosSyncLogEntry *entry,
               gint64                  now)
{
  g_autofree char *when = NULL;

  if (entry == NULL)
    return g_strdup (_ ("Not yet"));
  when = kios_sync_relative_time (entry->time, now);
  /* Translators: "2 minutes ago — accepted". */
  return g_strdup_printf (_ ("%s — %s"), when, kios_sync_result_label (entry->result));
}

static GtkWidget *
status_group (KiosSyncDetailsDialog *self,
              const KiosSyncStatus  *status,
              gint64                 now)
{
  GtkWidget              *group = adw_preferences_group_new ();
  GtkWidget              *row;
  GtkWidget              *icon;
  g_autofree char        *title = kios_sync_status_title (status, now);
  g_autofree char        *description = kios_sync_status_description (status);
  g_autofree char        *pushed = exchange_text (newest_entry (self, status->source, "push"), now);
  g_autofree char        *pulled = exchange_text (newest_entry (self, status->source, "pull"), now);
  const KiosSyncLogEntry *kept = newest_with (self, status->source, FALSE);
  const KiosSyncLogEntry *seen = newest_with (self, status->source, TRUE);
  const char             *precision = kept != NULL ? kios_sync_precision_label (kept->precision) : NULL;
  g_autofree char        *remote = NULL;
  g_autofree char        *group_title = NULL;

  /* "KOReader Sync" alone, or with the source's own name when it has one. */
  if (status->source != NULL && g_strcmp0 (status->source, kios_sync_protocol_label (status->protocol)) != 0 &&
      g_strcmp0 (status->protocol, "kosync") != 0)
    /* Translators: a sync protocol and the source's name, "Kobo Sync — Home CWA". */
    group_title = g_strdup_printf (_ ("%s — %s"), kios_sync_protocol_label (status->protocol), status->source);
  else
    group_title = g_strdup (kios_sync_protocol_label (status->protocol));
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), group_title);
  if (status->server != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), status->server);

  row = info_row (title, description, "state-row");
  icon = gtk_image_new_from_icon_name (kios_sync_status_icon_name (status->state));
  if (kios_sync_status_needs_attention (status->state))
    gtk_widget_add_css_class (icon, "warning");
  else if (status->state == KIOS_SYNC_STATUS_SYNCED)
    gtk_widget_add_css_class (icon, "success");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);

  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), info_row (_ ("Last Sent"), pushed, "push-row"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), info_row (_ ("Last Received"), pulled, "pull-row"));

  {
    g_autofree char *kept_text = NULL;

    if (precision != NULL)
      /* Translators: %s is "exact position", "page", "chapter and percent" or "percent only". */
      kept_text = g_strdup_printf (_ ("The server keeps the %s"), precision);
    else
      kept_text = g_strdup (_ ("Not known until the server has answered"));
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                               info_row (_ ("Precision"), kept_text, "precision-row"));
  }

  if (self->remote != NULL && g_strcmp0 (status->protocol, seen != NULL ? seen->protocol : status->protocol) == 0)
    remote = kios_sync_remote_label (self->remote);
  if (remote == NULL && seen != NULL)
    remote = kios_sync_remote_label_from_json (seen->remote);
  if (remote != NULL)
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                               info_row (_ ("Other Device’s Position"), remote, "remote-row"));

  return group;
}

static GtkWidget *
history_row_cb (gpointer item,
                gpointer user_data)
{
  const KiosSyncLogEntry *entry = KIOS_SYNC_LOG_ITEM (item)->entry;
  gint64                  now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char        *title = NULL;
  g_autoptr (GString)     subtitle = g_string_new (NULL);
  g_autofree char        *when = kios_sync_relative_time (entry->time, now);
  g_autofree char        *remote = kios_sync_remote_label_from_json (entry->remote);
  const char             *precision = kios_sync_precision_label (entry->precision);
  KiosSyncStatusState     state = KIOS_SYNC_STATUS_SERVER_ERROR;
  GtkWidget              *row = adw_action_row_new ();
  GtkWidget              *icon;

  /* Translators: a history row, "Sent — accepted", "Received — server unreachable". */
  title = g_strdup_printf (_ ("%s — %s"), kios_sync_direction_label (entry->direction),
                           kios_sync_result_label (entry->result));
  g_string_append (subtitle, when);
  g_string_append_printf (subtitle, " · %s", kios_sync_protocol_label (entry->protocol));
  if (remote != NULL)
    g_string_append_printf (subtitle, " · %s", remote);
  if (precision != NULL)
    g_string_append_printf (subtitle, " · %s", precision);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  icon = gtk_image_new_from_icon_name (g_strcmp0 (entry->direction, "pull") == 0 ? "folder-download-symbolic"
                                                                                 : "document-send-symbolic");
  kios_sync_status_state_from_string (entry->result, &state);
  if (kios_sync_status_state_is_failure (state))
    gtk_widget_add_css_class (icon, "warning");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  return row;
}

/* The id the book is paired with on source, or NULL. */
static const char *
paired_id (KiosSyncDetailsDialog *self,
           const char            *source)
{
  for (guint i = 0; self->pairings != NULL && i < self->pairings->len; i++)
    {
      const KiosSyncPairing *pairing = self->pairings->pdata[i];

      if (g_strcmp0 (pairing->source, source) == 0)
        return pairing->id;
    }
  return NULL;
}

/* Apply in a source's row: the typed id pairs the book with that entry,
 * an empty one forgets the pairing. A refused id says why in a toast. */
static void
pairing_apply_cb (AdwEntryRow           *row,
                  KiosSyncDetailsDialog *self)
{
  KiosLibraryStore            *store = kios_sync_service_get_store (self->service);
  const char                  *name = g_object_get_data (G_OBJECT (row), "kios-source");
  g_autofree char             *id = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr (KiosSourceRecord) source = kios_library_store_get_source (store, name, NULL);
  g_autoptr (GError)           error = NULL;

  if (source == NULL)
    return;
  if (*id == '\0')
    kios_sync_pairing_clear (store, self->book_hash, source);
  else if (!kios_sync_pairing_set (store, self->book_hash, source, id, &error))
    {
      g_autofree char *message = kios_error_describe (error, NULL, NULL, NULL);

      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
      return;
    }
  /* The row already shows the id; a write that fails later reaches the
   * person through the store's write-failed toast. */
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (*id == '\0' ? _ ("Pairing removed") : _ ("Book paired")));
}

/* One row per source of the book that can be paired by hand (KOReader
 * sync by document id, Kobo by entitlement id), or NULL when none can. */
static GtkWidget *
pairing_group (KiosSyncDetailsDialog *self)
{
  GtkWidget *group = NULL;

  for (guint i = 0; self->statuses != NULL && i < self->statuses->len; i++)
    {
      const KiosSyncStatus *status = self->statuses->pdata[i];
      GtkWidget            *row;
      const char           *id;

      /* The status says the protocol: no store read on the main thread. */
      if (g_strcmp0 (status->protocol, "kosync") != 0 && g_strcmp0 (status->protocol, "kobo") != 0)
        continue;
      if (group == NULL)
        {
          group = adw_preferences_group_new ();
          adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _ ("Paired by Hand"));
          adw_preferences_group_set_description (
              ADW_PREFERENCES_GROUP (group),
              _ ("When the server rewrote the file, it knows this book by another identity: type the "
                 "server’s id of the book and its position syncs under that entry. Leave it empty to "
                 "sync by the file."));
        }
      row = adw_entry_row_new ();
      gtk_widget_set_name (row, "pairing-row");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), status->source);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
      id = paired_id (self, status->source);
      if (id != NULL)
        gtk_editable_set_text (GTK_EDITABLE (row), id);
      g_object_set_data_full (G_OBJECT (row), "kios-source", g_strdup (status->source), g_free);
      g_signal_connect (row, "apply", G_CALLBACK (pairing_apply_cb), self);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  return group;
}

static void
rebuild (KiosSyncDetailsDialog *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < self->source_groups->len; i++)
    adw_preferences_page_remove (self->page, self->source_groups->pdata[i]);
  g_ptr_array_set_size (self->source_groups, 0);

  /* The sources first, the history last: take it out and put it back. */
  g_object_ref (self->history_group);
  adw_preferences_page_remove (self->page, self->history_group);
  if (self->statuses == NULL || self->statuses->len == 0)
    {
      GtkWidget *group = adw_preferences_group_new ();

      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                                 info_row (_ ("No Sync for This Book"),
                                           _ ("Set up KOReader sync in Preferences, or open the book from a "
                                              "library source that syncs."),
                                           "state-row"));
      adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
      g_ptr_array_add (self->source_groups, group);
    }
  for (guint i = 0; self->statuses != NULL && i < self->statuses->len; i++)
    {
      GtkWidget *group = status_group (self, self->statuses->pdata[i], now);

      adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
      g_ptr_array_add (self->source_groups, group);
    }
  /* Pairing by hand, for the book's KOReader-sync and Kobo sources. */
  if (self->book_hash != NULL)
    {
      GtkWidget *group = pairing_group (self);

      if (group != NULL)
        {
          adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
          g_ptr_array_add (self->source_groups, group);
        }
    }
  adw_preferences_page_add (self->page, self->history_group);
  g_object_unref (self->history_group);

  g_list_store_remove_all (self->history);
  for (guint i = 0; self->log != NULL && i < self->log->len; i++)
    {
      g_autoptr (KiosSyncLogItem) item = log_item_new (self->log->pdata[i]);

      g_list_store_append (self->history, item);
    }

  g_clear_pointer (&self->report, g_free);
  self->report = kios_sync_report_build (self->book_title, self->book_hash, self->statuses, self->log, now);
  gtk_widget_set_sensitive (self->copy_button, TRUE);
}

static void
loaded (KiosSyncDetailsDialog *self)
{
  g_assert (self->n_loading > 0);
  if (--self->n_loading > 0)
    return;
  rebuild (self);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "details");
}

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  statuses = NULL;
  KiosSyncDetailsDialog *self;

  statuses = kios_sync_service_list_status_finish (KIOS_SYNC_SERVICE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_DETAILS_DIALOG (user_data);
  if (error != NULL)
    g_warning ("Could not read the sync status of %s: %s", self->book_hash, error->message);
  g_clear_pointer (&self->statuses, g_ptr_array_unref);
  self->statuses = g_steal_pointer (&statuses);
  loaded (self);
}

static void
log_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  log = NULL;
  KiosSyncDetailsDialog *self;

  log = kios_sync_service_list_log_finish (KIOS_SYNC_SERVICE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_DETAILS_DIALOG (user_data);
  if (error != NULL)
    g_warning ("Could not read the sync log of %s: %s", self->book_hash, error->message);
  g_clear_pointer (&self->log, g_ptr_array_unref);
  self->log = g_steal_pointer (&log);
  loaded (self);
}

static void
pairings_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GPtrArray)  pairings = NULL;
  KiosSyncDetailsDialog *self;

  pairings = kios_sync_pairing_list_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_SYNC_DETAILS_DIALOG (user_data);
  g_clear_pointer (&self->pairings, g_ptr_array_unref);
  self->pairings = g_steal_pointer (&pairings);
  loaded (self);
}

static void
reload (KiosSyncDetailsDialog *self)
{
  if (self->service == NULL)
    return;
  /* A newer read replaces the one in flight. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->n_loading = 3;
  if (self->report == NULL)
    gtk_spinner_start (self->spinner);
  kios_sync_service_list_status_async (self->service, self->book_hash, self->cancellable, status_cb, self);
  kios_sync_service_list_log_async (self->service, self->book_hash, LOG_LIMIT, self->cancellable, log_cb, self);
  kios_sync_pairing_list_async (kios_sync_service_get_store (self->service), self->book_hash, self->cancellable,
                                pairings_cb, self);
}

static void
status_changed_cb (KiosSyncService       *service,
                   const char            *source,
                   const char            *book_hash,
                   KiosSyncDetailsDialog *self)
{
  if (book_hash == NULL || g_strcmp0 (book_hash, self->book_hash) == 0)
    reload (self);
}

static void
copy_clicked_cb (KiosSyncDetailsDialog *self)
{
  if (self->report == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->report);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_ ("Report copied")));
}

static void
kios_sync_details_dialog_dispose (GObject *object)
{
  KiosSyncDetailsDialog *self = KIOS_SYNC_DETAILS_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->service != NULL)
    g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);

  gtk_widget_dispose_template (GTK_WIDGET (self), KIOS_TYPE_SYNC_DETAILS_DIALOG);

  G_OBJECT_CLASS (kios_sync_details_dialog_parent_class)->dispose (object);
}

static void
kios_sync_details_dialog_finalize (GObject *object)
{
  KiosSyncDetailsDialog *self = KIOS_SYNC_DETAILS_DIALOG (object);

  g_free (self->book_hash);
  g_free (self->book_title);
  g_free (self->report);
  g_clear_pointer (&self->remote, kios_position_free);
  g_clear_pointer (&self->statuses, g_ptr_array_unref);
  g_clear_pointer (&self->log, g_ptr_array_unref);
  g_clear_pointer (&self->pairings, g_ptr_array_unref);
  g_clear_pointer (&self->source_groups, g_ptr_array_unref);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (kios_sync_details_dialog_parent_class)->finalize (object);
}

static void
kios_sync_details_dialog_class_init (KiosSyncDetailsDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_sync_details_dialog_dispose;
  object_class->finalize = kios_sync_details_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-sync-details-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, copy_button);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, page);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, history_group);
  gtk_widget_class_bind_template_child (widget_class, KiosSyncDetailsDialog, history_list);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
kios_sync_details_dialog_init (KiosSyncDetailsDialog *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->source_groups = g_ptr_array_new ();
  self->history = g_list_store_new (KIOS_TYPE_SYNC_LOG_ITEM);
  gtk_list_box_bind_model (self->history_list, G_LIST_MODEL (self->history), history_row_cb, NULL, NULL);
  placeholder = gtk_label_new (_ ("Nothing has been sent or received for this book yet."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_list_box_set_placeholder (self->history_list, placeholder);

  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (copy_clicked_cb), self);
}

KiosSyncDetailsDialog *
kios_sync_details_dialog_new (GtkWindow       *parent,
                              KiosSyncService *service,
                              const char      *book_hash,
                              const char      *book_title)
{
  KiosSyncDetailsDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (KIOS_IS_SYNC_SERVICE (service), NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);

  self = g_object_new (KIOS_TYPE_SYNC_DETAILS_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->service = g_object_ref (service);
  self->book_hash = g_strdup (book_hash);
  self->book_title = g_strdup (book_title);
  adw_window_title_set_subtitle (self->window_title, book_title);
  g_signal_connect (service, "status-changed", G_CALLBACK (status_changed_cb), self);
  reload (self);
  return self;
}

void
kios_sync_details_dialog_set_remote (KiosSyncDetailsDialog *self,
                                     const KiosPosition    *remote)
{
  g_return_if_fail (KIOS_IS_SYNC_DETAILS_DIALOG (self));

  g_clear_pointer (&self->remote, kios_position_free);
  self->remote = kios_position_copy (remote);
  if (self->n_loading == 0 && self->report != NULL)
    rebuild (self);
}

gboolean
kios_sync_details_dialog_is_loading (KiosSyncDetailsDialog *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_DETAILS_DIALOG (self), FALSE);

  return self->n_loading > 0;
}

const char *
kios_sync_details_dialog_get_report (KiosSyncDetailsDialog *self)
{
  g_return_val_if_fail (KIOS_IS_SYNC_DETAILS_DIALOG (self), NULL);

  return self->n_loading > 0 ? NULL : self->report;
}
