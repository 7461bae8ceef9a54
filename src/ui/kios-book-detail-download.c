/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-detail"

#include "config.h"

#include "kios-book-detail-private.h"
#include "kios-error-messages.h"
#include "kios-kobo-session.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

/* The source's settings_json key for the format chosen last. */
#define FORMAT_SETTING "download-format"

/* ---- already downloaded? -------------------------------------------------- */

typedef struct
{
  KiosLibraryStore *store;
  char             *source_name;
  KiosOpdsEntry    *entry;  /* lookup only */
  char             *format; /* save only */
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_clear_object (&lookup->store);
  g_free (lookup->source_name);
  g_clear_pointer (&lookup->entry, kios_opds_entry_free);
  g_free (lookup->format);
  g_free (lookup);
}

typedef struct
{
  char *path;   /* the book downloaded earlier, or NULL */
  char *format; /* the format chosen last for this source, or NULL */
} Found;

static void
found_free (Found *found)
{
  g_free (found->path);
  g_free (found->format);
  g_free (found);
}

/* The source's settings_json as an object (a new one when unset). */
static JsonObject *
source_settings (const KiosSourceRecord *source)
{
  g_autoptr (JsonNode) node = NULL;

  if (source->settings_json != NULL)
    node = json_from_string (source->settings_json, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return json_object_ref (json_node_get_object (node));
  return json_object_new ();
}

static void
lookup_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Lookup                      *lookup = task_data;
  Found                       *found = g_new0 (Found, 1);
  g_autoptr (KiosSourceRecord) source = NULL;

  found->path = kios_opds_client_find_downloaded (lookup->store, lookup->source_name, lookup->entry, NULL);
  source = kios_library_store_get_source (lookup->store, lookup->source_name, NULL);
  if (source != NULL)
    {
      g_autoptr (JsonObject) settings = source_settings (source);
      const char            *format = json_object_get_string_member_with_default (settings, FORMAT_SETTING, NULL);

      found->format = g_strdup (format);
    }
  g_task_return_pointer (task, found, (GDestroyNotify) found_free);
}

/* Remembers the format chosen for the source's next downloads. */
static void
save_format_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Lookup                      *lookup = task_data;
  g_autoptr (KiosSourceRecord) source = NULL;
  g_autoptr (JsonObject)       settings = NULL;
  g_autoptr (JsonNode)         root = NULL;
  g_autoptr (GError)           error = NULL;

  source = kios_library_store_get_source (lookup->store, lookup->source_name, &error);
  if (source == NULL)
    {
      g_debug ("Cannot remember the format: %s", error->message);
      return;
    }
  settings = source_settings (source);
  /* Every other setting is kept as it is. */
  json_object_set_string_member (settings, FORMAT_SETTING, lookup->format);
  root = json_node_init_object (json_node_alloc (), settings);
  g_free (source->settings_json);
  source->settings_json = json_to_string (root, FALSE);
  if (!kios_library_store_update_source (lookup->store, source, &error))
    g_debug ("Cannot remember the format: %s", error->message);
}

/* Whether the entry offers both formats Kios opens: then Download offers the choice. */
static gboolean
offers_choice (const KiosOpdsEntry *entry)
{
  return kios_opds_entry_pick_acquisition (entry, "epub") != NULL &&
         kios_opds_entry_pick_acquisition (entry, "pdf") != NULL;
}

void
kios_book_detail_update_download_button (KiosBookDetail *self)
{
  gboolean choice = self->entry != NULL && offers_choice (self->entry);

  gtk_widget_set_visible (self->format_button, choice);
  if (!choice)
    gtk_button_set_label (GTK_BUTTON (self->download_button), _ ("_Download"));
  else if (g_strcmp0 (self->format, "pdf") == 0)
    /* Translators: the download button when a book comes as EPUB and PDF. */
    gtk_button_set_label (GTK_BUTTON (self->download_button), _ ("_Download PDF"));
  else
    /* Translators: the download button when a book comes as EPUB and PDF. */
    gtk_button_set_label (GTK_BUTTON (self->download_button), _ ("_Download EPUB"));
}

static void
lookup_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  Found             *found;
  KiosBookDetail    *self;

  found = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_BOOK_DETAIL (source_object);
  g_clear_object (&self->cancellable);
  g_free (self->path);
  self->path = g_steal_pointer (&found->path);
  /* The format chosen last for this source, when this book has it. */
  if (found->format != NULL && kios_opds_entry_pick_acquisition (self->entry, found->format) != NULL)
    {
      g_free (self->format);
      self->format = g_steal_pointer (&found->format);
    }
  found_free (found);
  kios_book_detail_update_download_button (self);
  kios_book_detail_set_state (self, self->path != NULL ? "read" : "download");
}

/* ---- download ------------------------------------------------------------- */

static void
progress_cb (guint64  received,
             guint64  total,
             gpointer user_data)
{
  KiosBookDetail *self = user_data; /* never called once the download is cancelled */

  self->received = received;
  self->total = total;
}

static gboolean
progress_timeout_cb (gpointer user_data)
{
  KiosBookDetail  *self = user_data;
  guint64          received = self->received;
  guint64          total = self->total;
  g_autofree char *size = NULL;

  if (!self->downloading)
    {
      self->progress_id = 0;
      return G_SOURCE_REMOVE;
    }

  size = g_format_size (received);
  if (total > 0)
    {
      g_autofree char *total_size = g_format_size (total);
      g_autofree char *text = NULL;

      self->fraction = MIN ((double) received / (double) total, 1.0);
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), self->fraction);
      if (self->item != NULL)
        kios_catalog_item_set_state (self->item, KIOS_CARD_STATE_DOWNLOADING, self->fraction);
      /* Translators: download progress, e.g. "1.2 MB of 3.4 MB". */
      text = g_strdup_printf (_ ("%s of %s"), size, total_size);
      gtk_label_set_label (self->progress_label, text);
    }
  else
    {
      gtk_progress_bar_pulse (GTK_PROGRESS_BAR (self->progress_bar));
      gtk_label_set_label (self->progress_label, size);
    }
  return G_SOURCE_CONTINUE;
}

static void
download_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = kios_opds_client_download_book_finish (NULL, result, NULL, &error);
  KiosBookDetail    *self;

  /* Cancelled (another book, Cancel, or the view going away): touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_BOOK_DETAIL (user_data);
  kios_book_detail_stop (self);

  if (path == NULL)
    {
      g_autofree char *host = kios_error_host_from_url (kios_opds_client_get_catalog_url (self->client));
      g_autofree char *text = kios_error_describe (error, host, NULL, NULL);

      g_debug ("Download of %s failed: %s", self->title, error->message);
      /* The one table's sentence (what the server sent, too large, …). */
      kios_book_detail_show_error (self, text);
      gtk_button_set_label (GTK_BUTTON (self->download_button), _ ("_Try Again"));
      kios_book_detail_set_state (self, "download");
      return;
    }

  self->fraction = 1.0;
  g_free (self->path);
  self->path = g_steal_pointer (&path);
  kios_book_detail_set_state (self, "read");
}

void
kios_book_detail_download_clicked_cb (KiosBookDetail *self)
{
  kios_book_detail_download (self);
}

void
kios_book_detail_cancel_clicked_cb (KiosBookDetail *self)
{
  kios_book_detail_cancel (self);
}

static void
kobo_download_cb (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = kios_kobo_source_download_finish (result, NULL, NULL, &error);
  KiosBookDetail    *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_BOOK_DETAIL (user_data);
  kios_book_detail_stop (self);
  if (path == NULL)
    {
      g_autofree char *text = kios_error_describe (error, self->kobo_source->url, NULL, NULL);

      g_debug ("Download of %s failed: %s", self->title, error->message);
      kios_book_detail_show_error (self, text);
      gtk_button_set_label (GTK_BUTTON (self->download_button), _ ("_Try Again"));
      self->read_after_download = FALSE;
      kios_book_detail_set_state (self, "download");
      return;
    }

  self->fraction = 1.0;
  g_free (self->path);
  self->path = g_steal_pointer (&path);
  kios_book_detail_set_state (self, "read");
  if (self->read_after_download)
    {
      self->read_after_download = FALSE;
      g_signal_emit (self, kios_book_detail_signals[SIGNAL_READ], 0, self->path);
    }
}

void
kios_book_detail_read_clicked_cb (KiosBookDetail *self)
{
  if (self->path != NULL)
    g_signal_emit (self, kios_book_detail_signals[SIGNAL_READ], 0, self->path);
  else if (self->kobo_source != NULL)
    {
      /* Downloaded before: the download finds the file, then it opens. */
      self->read_after_download = TRUE;
      kios_book_detail_download (self);
    }
}

/* Whether the entry shown was downloaded before, and the source's format. */
void
kios_book_detail_start_lookup (KiosBookDetail *self)
{
  g_autoptr (GTask) task = NULL;
  Lookup           *lookup;

  kios_book_detail_set_state (self, "checking");
  self->cancellable = g_cancellable_new ();
  lookup = g_new0 (Lookup, 1);
  lookup->store = g_object_ref (self->store);
  lookup->source_name = g_strdup (self->source_name);
  lookup->entry = kios_opds_entry_copy (self->entry);
  task = g_task_new (self, self->cancellable, lookup_cb, NULL);
  g_task_set_source_tag (task, kios_book_detail_start_lookup);
  g_task_set_task_data (task, lookup, (GDestroyNotify) lookup_free);
  g_task_run_in_thread (task, lookup_worker);
}

/* ---- public: download, format, cancel, read ----------------------------- */

void
kios_book_detail_download (KiosBookDetail *self)
{
  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));

  if (self->kobo_source != NULL && self->store != NULL && !self->downloading)
    {
      /* The Kobo sync service knows no size ahead: the bar pulses. */
      kios_book_detail_stop (self);
      kios_book_detail_show_error (self, NULL);
      self->downloading = TRUE;
      self->received = 0;
      self->total = 0;
      self->fraction = 0.0;
      self->cancellable = g_cancellable_new ();
      gtk_label_set_label (self->progress_label, _ ("Starting…"));
      kios_book_detail_set_state (self, "downloading");
      self->progress_id = g_timeout_add (PROGRESS_INTERVAL_MS, progress_timeout_cb, self);
      kios_kobo_source_download_async (self->store, self->kobo_source, self->kobo_id, self->cancellable,
                                       kobo_download_cb, self);
      return;
    }
  if (self->entry == NULL || self->client == NULL || self->store == NULL || self->downloading)
    return;

  kios_book_detail_stop (self);
  kios_book_detail_show_error (self, NULL);
  self->downloading = TRUE;
  self->received = 0;
  self->total = 0;
  self->cancellable = g_cancellable_new ();
  self->fraction = 0.0;
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), 0.0);
  gtk_label_set_label (self->progress_label, _ ("Starting…"));
  kios_book_detail_set_state (self, "downloading");
  self->progress_id = g_timeout_add (PROGRESS_INTERVAL_MS, progress_timeout_cb, self);
  kios_opds_client_download_book_async (self->client, self->store, self->source_name, self->entry, self->format,
                                        progress_cb,
                                        self, self->cancellable, download_cb, self);
}

void
kios_book_detail_download_format (KiosBookDetail *self,
                                  const char     *format)
{
  g_autoptr (GTask) task = NULL;
  Lookup           *save;

  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));
  g_return_if_fail (format != NULL);

  if (self->entry == NULL || self->downloading || kios_opds_entry_pick_acquisition (self->entry, format) == NULL)
    return;

  g_free (self->format);
  self->format = g_strdup (format);
  kios_book_detail_update_download_button (self);
  if (self->store != NULL && self->source_name != NULL)
    {
      save = g_new0 (Lookup, 1);
      save->store = g_object_ref (self->store);
      save->source_name = g_strdup (self->source_name);
      save->format = g_strdup (format);
      task = g_task_new (NULL, NULL, NULL, NULL);
      g_task_set_source_tag (task, kios_book_detail_download_format);
      g_task_set_task_data (task, save, (GDestroyNotify) lookup_free);
      g_task_run_in_thread (task, save_format_worker);
    }
  kios_book_detail_download (self);
}

const char *
kios_book_detail_get_format (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), NULL);

  return self->format;
}

gboolean
kios_book_detail_offers_formats (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), FALSE);

  return gtk_widget_get_visible (self->format_button);
}

void
kios_book_detail_cancel (KiosBookDetail *self)
{
  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));

  if (!self->downloading)
    return;

  /* The worker stops at its next chunk and removes its temporary file. */
  kios_book_detail_stop (self);
  self->read_after_download = FALSE;
  kios_book_detail_set_state (self, "download");
}

void
kios_book_detail_read (KiosBookDetail *self)
{
  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));

  kios_book_detail_read_clicked_cb (self);
}

void
kios_book_detail_download_format_action (GtkWidget  *widget,
                                         const char *action_name,
                                         GVariant   *parameter)
{
  kios_book_detail_download_format (KIOS_BOOK_DETAIL (widget), g_variant_get_string (parameter, NULL));
}
