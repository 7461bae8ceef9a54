/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-shelf"

#include "config.h"

#include "kios-kobo-shelf.h"

#include "kios-catalog-view.h"
#include "kios-error-messages.h"
#include "kios-kobo-session.h"
#include "kios-redact.h"
#include "kios-window.h"

#include <glib/gi18n.h>

#define COVER_WIDTH 120
#define COVER_HEIGHT 180
#define DETAIL_COVER_WIDTH 200
#define DETAIL_COVER_HEIGHT 300
#define COVER_DECODE_HEIGHT 450

struct _KiosKoboShelf
{
  AdwBin parent_instance;

  KiosLibraryStore *store;
  KiosSourceRecord *source;
  GCancellable     *cancellable;          /* this source's work */
  GCancellable     *download_cancellable; /* the detail page's download */
  gboolean          busy;
  gboolean          covers_running;
  gboolean          covers_fetching;
  guint             covers_decoding;
  char             *downloading_id;
  guint             n_covers_fetched;
  guint             n_covers_shown;
  char             *message;
  GPtrArray        *entries;  /* KiosKoboEntry */
  GPtrArray        *cards;    /* GtkWidget (the flow box's boxes), unowned */
  GHashTable       *textures; /* cover image id → GdkTexture, for every source */

  int         detail_index; /* -1: no book shown */
  const char *detail_state;
  char       *book_path;
  gboolean    read_after_download;

  GtkLabel      *title_label;
  GtkLabel      *subtitle_label;
  GtkWidget     *reload_button;
  GtkStack      *stack;
  GtkWidget     *flow_box;
  GtkLabel      *warning_label;
  AdwStatusPage *consent_page;
  AdwStatusPage *error_page;
  AdwStatusPage *empty_page;

  GtkWidget *detail_cover;
  GtkWidget *detail_placeholder;
  GtkLabel  *detail_title;
  GtkLabel  *detail_authors;
  GtkLabel  *detail_series;
  GtkLabel  *detail_formats;
  GtkWidget *detail_button;
  GtkWidget *detail_spinner;
  GtkLabel  *detail_error;
};

G_DEFINE_FINAL_TYPE (KiosKoboShelf, kios_kobo_shelf, ADW_TYPE_BIN)

enum {
  SIGNAL_READ,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void show_detail_state (KiosKoboShelf *self,
                               const char    *state);

static char *
join_authors (const KiosKoboEntry *entry)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; entry->authors != NULL && i < entry->authors->len; i++)
    {
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, g_ptr_array_index (entry->authors, i));
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static char *
consent_text (KiosKoboFamily family)
{
  return g_strdup (family == KIOS_KOBO_FAMILY_GRIMMORY
                       ? _ ("Grimmory and BookLore mark reading positions as delivered for the whole account. "
                            "If Kios lists this library, a Kobo e-reader signed in with the same account can "
                            "miss positions. Kios lists it only if you allow it; best "
                            "with a separate server user for Kios.")
                       : _ ("Calibre-Web and Calibre-Web-Automated hand each book to only one device per "
                            "account. If Kios lists this library, a Kobo e-reader signed in with the same "
                            "account will not receive those books. Kios lists it only if you allow it; best with a "
                            "separate server user for Kios."));
}

/* ---- covers --------------------------------------------------------------- */

typedef struct
{
  guint index;
  char *cover_id;
  char *path;
} CoverJob;

static void
cover_job_free (CoverJob *job)
{
  g_free (job->cover_id);
  g_free (job->path);
  g_free (job);
}

static void
set_card_texture (GtkWidget  *card,
                  GdkTexture *texture)
{
  kios_cover_set_texture (g_object_get_data (G_OBJECT (card), "cover"), texture);
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (card), "placeholder"), FALSE);
}

static void
update_covers_running (KiosKoboShelf *self)
{
  self->covers_running = self->covers_fetching || self->covers_decoding > 0;
}

/* Decoding a cached file: local work, off the main thread all the same. */
static void
decode_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CoverJob             *job = task_data;
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file_at_scale (job->path, -1, COVER_DECODE_HEIGHT, TRUE, NULL);

  if (pixbuf == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an image");
  else
    g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}

static void
decode_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);
  KiosKoboShelf         *self;
  CoverJob              *job;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_KOBO_SHELF (source_object);
  job = g_task_get_task_data (G_TASK (result));
  self->covers_decoding--;
  if (texture != NULL && job->index < self->cards->len)
    {
      g_hash_table_replace (self->textures, g_strdup (job->cover_id), g_object_ref (texture));
      set_card_texture (g_ptr_array_index (self->cards, job->index), texture);
      self->n_covers_shown++;
    }
  update_covers_running (self);
}

/* A cover landed in the cache (in the main context, never after a cancel). */
static void
cover_fetched_cb (guint       index,
                  const char *cover_id,
                  const char *path,
                  gpointer    user_data)
{
  KiosKoboShelf    *self = user_data;
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, decode_cb, NULL);
  CoverJob         *job = g_new0 (CoverJob, 1);

  self->n_covers_fetched++;
  self->covers_decoding++;
  job->index = index;
  job->cover_id = g_strdup (cover_id);
  job->path = g_strdup (path);
  g_task_set_source_tag (task, cover_fetched_cb);
  g_task_set_task_data (task, job, (GDestroyNotify) cover_job_free);
  g_task_run_in_thread (task, decode_worker);
}

static void
covers_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  KiosKoboShelf     *self;

  kios_kobo_source_fetch_covers_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_KOBO_SHELF (user_data);
  self->covers_fetching = FALSE;
  update_covers_running (self);
}

static void
start_covers (KiosKoboShelf *self)
{
  g_autoptr (GPtrArray) cover_ids = g_ptr_array_new_with_free_func (g_free);
  gboolean              wanted = FALSE;

  for (guint i = 0; i < self->entries->len; i++)
    {
      KiosKoboEntry *entry = g_ptr_array_index (self->entries, i);
      GdkTexture    *known = entry->cover_image_id != NULL ? g_hash_table_lookup (self->textures, entry->cover_image_id)
                                                           : NULL;

      if (known != NULL)
        {
          set_card_texture (g_ptr_array_index (self->cards, i), known);
          self->n_covers_fetched++;
          self->n_covers_shown++;
        }
      wanted |= known == NULL && entry->cover_image_id != NULL;
      g_ptr_array_add (cover_ids, known == NULL ? g_strdup (entry->cover_image_id) : NULL);
    }
  if (!wanted)
    return;

  self->covers_fetching = TRUE;
  update_covers_running (self);
  kios_kobo_source_fetch_covers_async (self->source, cover_ids, cover_fetched_cb, self, self->cancellable,
                                       covers_cb, self);
}

/* ---- the grid ------------------------------------------------------------- */

static GtkWidget *
create_placeholder (const char *title)
{
  GtkWidget *placeholder = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name ("app.kios.Kios-symbolic");
  GtkWidget *label = gtk_label_new (title);

  gtk_widget_set_overflow (placeholder, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (placeholder, "book-cover");
  gtk_widget_add_css_class (placeholder, "book-cover-placeholder");
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
  gtk_widget_set_opacity (icon, 0.7);
  gtk_widget_set_margin_top (icon, 24);
  gtk_box_append (GTK_BOX (placeholder), icon);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 4);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 8);
  gtk_box_append (GTK_BOX (placeholder), label);
  return placeholder;
}

static GtkWidget *
small_label (const char *text,
             gboolean    heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 12);
  if (heading)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (GTK_LABEL (label), 2);
      gtk_widget_add_css_class (label, "heading");
    }
  else
    {
      gtk_widget_add_css_class (label, "caption");
      gtk_widget_add_css_class (label, "dim-label");
    }
  return label;
}

static GtkWidget *
create_card (const KiosKoboEntry *entry)
{
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget       *overlay = gtk_overlay_new ();
  GtkWidget       *cover = kios_cover_new (COVER_WIDTH, COVER_HEIGHT);
  GtkWidget       *placeholder = create_placeholder (entry->title);
  g_autofree char *authors = join_authors (entry);

  gtk_widget_set_halign (box, GTK_ALIGN_START);
  gtk_widget_set_valign (box, GTK_ALIGN_START);
  gtk_widget_set_size_request (box, COVER_WIDTH, -1);
  gtk_widget_set_halign (overlay, GTK_ALIGN_START);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), cover);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), placeholder);
  gtk_widget_set_margin_bottom (overlay, 6);
  gtk_box_append (GTK_BOX (box), overlay);
  gtk_box_append (GTK_BOX (box), small_label (entry->title, TRUE));
  gtk_box_append (GTK_BOX (box), small_label (authors != NULL ? authors : _ ("Unknown author"), FALSE));
  if (entry->hash != NULL)
    gtk_box_append (GTK_BOX (box), small_label (_ ("Downloaded"), FALSE));

  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, entry->title, -1);
  gtk_widget_set_tooltip_text (box, entry->title);
  g_object_set_data (G_OBJECT (box), "cover", cover);
  g_object_set_data (G_OBJECT (box), "placeholder", placeholder);
  return box;
}

static void
clear_grid (KiosKoboShelf *self)
{
  GtkWidget *child;

  g_ptr_array_set_size (self->cards, 0);
  while ((child = gtk_widget_get_first_child (self->flow_box)) != NULL)
    gtk_flow_box_remove (GTK_FLOW_BOX (self->flow_box), child);
}

static void
set_busy (KiosKoboShelf *self,
          gboolean       busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->reload_button, !busy && self->source != NULL);
}

static void
refresh_cb (GObject      *source_object,
            GAsyncResult *res,
            gpointer      user_data)
{
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosKoboRefresh) result = kios_kobo_source_refresh_finish (res, &error);
  KiosKoboShelf              *self;

  /* Cancelled: the shelf may be gone, touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_KOBO_SHELF (user_data);
  set_busy (self, FALSE);
  g_clear_pointer (&self->message, g_free);
  if (result == NULL)
    {
      g_debug ("Kobo shelf %s: %s", self->source->name, error->message);
      self->message = kios_error_describe (error, self->source->url, NULL, NULL);
      adw_status_page_set_description (self->error_page, self->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  /* Keep what the connect learnt (family, template) for later work. */
  kios_source_record_free (self->source);
  self->source = g_steal_pointer (&result->record);
  gtk_label_set_label (self->subtitle_label,
                       result->connected && result->family != KIOS_KOBO_FAMILY_UNKNOWN
                           ? kios_kobo_family_describe (result->family)
                           : "");

  if (result->needs_consent)
    {
      self->message = consent_text (result->family);
      adw_status_page_set_description (self->consent_page, self->message);
      gtk_stack_set_visible_child_name (self->stack, "consent");
      return;
    }

  g_ptr_array_unref (self->entries);
  self->entries = g_steal_pointer (&result->entries);
  if (self->entries == NULL)
    self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_kobo_entry_free);
  clear_grid (self);
  for (guint i = 0; i < self->entries->len; i++)
    {
      GtkWidget *card = create_card (g_ptr_array_index (self->entries, i));

      gtk_flow_box_append (GTK_FLOW_BOX (self->flow_box), card);
      g_ptr_array_add (self->cards, card);
    }
  if (result->failure != NULL)
    {
      /* The last sync failed: the books shown are the ones stored. */
      g_autofree char *why = kios_error_describe (result->failure, self->source->url, NULL, NULL);

      g_message ("Kobo shelf %s: %s", self->source->name, result->warning);
      /* Translators: %s says why the Kobo shelf could not be synced. */
      self->message = g_strdup_printf (_ ("Showing the books from the last sync. %s"), why);
    }
  gtk_label_set_label (self->warning_label, self->message != NULL ? self->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), self->message != NULL);
  gtk_stack_set_visible_child_name (self->stack, self->entries->len > 0 ? "books" : "empty");
  start_covers (self);
}

static void
stop_everything (KiosKoboShelf *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->download_cancellable);
  self->covers_running = FALSE;
  self->covers_fetching = FALSE;
  self->covers_decoding = 0;
  self->n_covers_fetched = 0;
  self->n_covers_shown = 0;
  self->detail_index = -1;
  g_clear_pointer (&self->book_path, g_free);
  g_clear_pointer (&self->message, g_free);
  set_busy (self, FALSE);
}

/* ---- the detail page ------------------------------------------------------ */

static KiosKoboEntry *
detail_entry (KiosKoboShelf *self)
{
  if (self->detail_index < 0 || (guint) self->detail_index >= self->entries->len)
    return NULL;
  return g_ptr_array_index (self->entries, self->detail_index);
}

static void
show_detail_state (KiosKoboShelf *self,
                   const char    *state)
{
  self->detail_state = state;
  gtk_widget_set_visible (self->detail_spinner, g_str_equal (state, "downloading"));
  /* A download can take minutes: the button cancels it meanwhile. */
  gtk_button_set_label (GTK_BUTTON (self->detail_button), g_str_equal (state, "downloading") ? _ ("_Cancel")
                                                          : g_str_equal (state, "read")      ? _ ("_Read")
                                                                                             : _ ("_Download"));
}

static void
open_book (KiosKoboShelf *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  g_signal_emit (self, signals[SIGNAL_READ], 0, self->book_path);
  if (KIOS_IS_WINDOW (root))
    {
      g_autoptr (GFile) file = g_file_new_for_path (self->book_path);

      kios_window_open_file (KIOS_WINDOW (root), file);
    }
}

static void
download_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *hash = NULL;
  g_autofree char   *path = kios_kobo_source_download_finish (result, &hash, NULL, &error);
  KiosKoboShelf     *self;
  KiosKoboEntry     *entry;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_KOBO_SHELF (user_data);
  g_clear_object (&self->download_cancellable);
  if (path == NULL)
    {
      g_autofree char *shown = kios_error_describe (error, self->source->url, NULL, NULL);

      gtk_label_set_label (self->detail_error, shown);
      gtk_widget_set_visible (GTK_WIDGET (self->detail_error), TRUE);
      show_detail_state (self, "download");
      self->read_after_download = FALSE;
      return;
    }

  g_free (self->book_path);
  self->book_path = g_steal_pointer (&path);
  show_detail_state (self, "read");
  entry = detail_entry (self);
  if (entry != NULL && entry->hash == NULL && hash != NULL && g_strcmp0 (entry->id, self->downloading_id) == 0)
    {
      entry->hash = g_strdup (hash);
      gtk_box_append (GTK_BOX (g_ptr_array_index (self->cards, self->detail_index)), small_label (_ ("Downloaded"), FALSE));
    }
  if (self->read_after_download)
    {
      self->read_after_download = FALSE;
      open_book (self);
    }
}

static void
cancel_download (KiosKoboShelf *self)
{
  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->download_cancellable);
  self->read_after_download = FALSE;
  if (self->detail_state != NULL && g_str_equal (self->detail_state, "downloading"))
    show_detail_state (self, "download");
}

static void
detail_button_clicked_cb (KiosKoboShelf *self)
{
  if (g_strcmp0 (self->detail_state, "downloading") == 0)
    kios_kobo_shelf_cancel (self);
  else if (g_strcmp0 (self->detail_state, "read") == 0)
    kios_kobo_shelf_read (self);
  else
    kios_kobo_shelf_download (self);
}

static void
back_clicked_cb (KiosKoboShelf *self)
{
  cancel_download (self);
  self->detail_index = -1;
  gtk_stack_set_visible_child_name (self->stack, self->entries->len > 0 ? "books" : "empty");
}

static void
child_activated_cb (KiosKoboShelf   *self,
                    GtkFlowBoxChild *child)
{
  kios_kobo_shelf_activate_book (self, (guint) gtk_flow_box_child_get_index (child));
}

static void
reload_clicked_cb (KiosKoboShelf *self)
{
  kios_kobo_shelf_reload (self);
}

/* ---- GObject -------------------------------------------------------------- */

static void
kios_kobo_shelf_dispose (GObject *object)
{
  KiosKoboShelf *self = KIOS_KOBO_SHELF (object);

  stop_everything (self);
  g_clear_object (&self->store);
  g_clear_pointer (&self->source, kios_source_record_free);
  g_clear_pointer (&self->textures, g_hash_table_unref);

  G_OBJECT_CLASS (kios_kobo_shelf_parent_class)->dispose (object);
}

static void
kios_kobo_shelf_finalize (GObject *object)
{
  KiosKoboShelf *self = KIOS_KOBO_SHELF (object);

  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->cards, g_ptr_array_unref);
  g_free (self->message);
  g_free (self->book_path);
  g_free (self->downloading_id);

  G_OBJECT_CLASS (kios_kobo_shelf_parent_class)->finalize (object);
}

static void
kios_kobo_shelf_class_init (KiosKoboShelfClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_kobo_shelf_dispose;
  object_class->finalize = kios_kobo_shelf_finalize;

  signals[SIGNAL_READ] = g_signal_new ("read", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_STRING);
}

static GtkWidget *
status_page (const char *icon,
             const char *title)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), icon);
  adw_status_page_set_title (ADW_STATUS_PAGE (page), title);
  return page;
}

static GtkWidget *
clamped (GtkWidget *child)
{
  GtkWidget *clamp = adw_clamp_new ();

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1040);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 600);
  adw_clamp_set_child (ADW_CLAMP (clamp), child);
  return clamp;
}

static GtkWidget *
build_detail (KiosKoboShelf *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 24);
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *info = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 30);
  gtk_widget_set_margin_start (content, 18);
  gtk_widget_set_margin_end (content, 18);

  gtk_widget_set_tooltip_text (back, _ ("Back"));
  gtk_widget_set_halign (back, GTK_ALIGN_START);
  gtk_widget_add_css_class (back, "flat");
  gtk_widget_add_css_class (back, "circular");
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (back_clicked_cb), self);
  gtk_box_append (GTK_BOX (content), back);

  self->detail_cover = kios_cover_new (DETAIL_COVER_WIDTH, DETAIL_COVER_HEIGHT);
  self->detail_placeholder = create_placeholder ("");
  gtk_widget_set_valign (overlay, GTK_ALIGN_START);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), self->detail_cover);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->detail_placeholder);
  gtk_box_append (GTK_BOX (row), overlay);

  self->detail_title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->detail_title, TRUE);
  gtk_label_set_xalign (self->detail_title, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_title), "title-1");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->detail_title));
  self->detail_authors = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->detail_authors, 0.0);
  gtk_label_set_wrap (self->detail_authors, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_authors), "title-4");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->detail_authors));
  self->detail_series = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->detail_series, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_series), "dim-label");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->detail_series));
  self->detail_formats = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->detail_formats, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_formats), "dim-label");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->detail_formats));

  self->detail_button = gtk_button_new_with_mnemonic (_ ("_Download"));
  gtk_widget_add_css_class (self->detail_button, "pill");
  gtk_widget_add_css_class (self->detail_button, "suggested-action");
  g_signal_connect_swapped (self->detail_button, "clicked", G_CALLBACK (detail_button_clicked_cb), self);
  gtk_box_append (GTK_BOX (actions), self->detail_button);
  self->detail_spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (self->detail_spinner));
  gtk_widget_set_visible (self->detail_spinner, FALSE);
  gtk_box_append (GTK_BOX (actions), self->detail_spinner);
  gtk_widget_set_margin_top (actions, 18);
  gtk_box_append (GTK_BOX (info), actions);
  self->detail_error = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->detail_error, TRUE);
  gtk_label_set_xalign (self->detail_error, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_error), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_error), FALSE);
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->detail_error));
  gtk_widget_set_hexpand (info, TRUE);
  gtk_box_append (GTK_BOX (row), info);
  gtk_box_append (GTK_BOX (content), row);

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamped (content));
  return scrolled;
}

static void
kios_kobo_shelf_init (KiosKoboShelf *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *titles = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *scrolled;
  GtkWidget *content;
  GtkWidget *loading;
  GtkWidget *spinner;
  GtkWidget *cancel;
  GtkWidget *allow;

  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_kobo_entry_free);
  self->cards = g_ptr_array_new ();
  self->textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->detail_index = -1;
  self->detail_state = "download";

  /* The header: the source's name, the server it is, reload. */
  gtk_widget_set_margin_top (header, 18);
  gtk_widget_set_margin_bottom (header, 6);
  gtk_widget_set_margin_start (header, 18);
  gtk_widget_set_margin_end (header, 18);
  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0.0);
  gtk_label_set_ellipsize (self->title_label, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "title-2");
  gtk_box_append (GTK_BOX (titles), GTK_WIDGET (self->title_label));
  self->subtitle_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->subtitle_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->subtitle_label), "dim-label");
  gtk_box_append (GTK_BOX (titles), GTK_WIDGET (self->subtitle_label));
  gtk_widget_set_hexpand (titles, TRUE);
  gtk_box_append (GTK_BOX (header), titles);
  self->reload_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_set_tooltip_text (self->reload_button, _ ("Sync the Shelf Again"));
  gtk_widget_set_valign (self->reload_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->reload_button, "flat");
  gtk_widget_add_css_class (self->reload_button, "circular");
  g_signal_connect_swapped (self->reload_button, "clicked", G_CALLBACK (reload_clicked_cb), self);
  gtk_box_append (GTK_BOX (header), self->reload_button);
  gtk_box_append (GTK_BOX (box), clamped (header));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));
  gtk_stack_add_named (self->stack, adw_bin_new (), "none");

  loading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (loading, GTK_ALIGN_CENTER);
  gtk_box_set_spacing (GTK_BOX (loading), 18);
  gtk_box_append (GTK_BOX (loading), spinner);
  /* Initialization may wait a minute on the Kobo store behind the server. */
  cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  gtk_widget_set_halign (cancel, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (cancel, "pill");
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (kios_kobo_shelf_cancel), self);
  gtk_box_append (GTK_BOX (loading), cancel);
  gtk_stack_add_named (self->stack, loading, "loading");

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 30);
  gtk_widget_set_margin_start (content, 18);
  gtk_widget_set_margin_end (content, 18);
  self->warning_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->warning_label, TRUE);
  gtk_label_set_xalign (self->warning_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->warning_label), "warning");
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->warning_label));
  self->flow_box = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (self->flow_box), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (self->flow_box), TRUE);
  gtk_flow_box_set_activate_on_single_click (GTK_FLOW_BOX (self->flow_box), TRUE);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (self->flow_box), 18);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (self->flow_box), 24);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (self->flow_box), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (self->flow_box), 8);
  gtk_widget_set_halign (self->flow_box, GTK_ALIGN_START);
  gtk_widget_set_valign (self->flow_box, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->flow_box, "book-grid");
  g_signal_connect_swapped (self->flow_box, "child-activated", G_CALLBACK (child_activated_cb), self);
  gtk_box_append (GTK_BOX (content), self->flow_box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamped (content));
  gtk_stack_add_named (self->stack, scrolled, "books");

  self->empty_page = ADW_STATUS_PAGE (status_page ("folder-remote-symbolic", _ ("No Books on the Kobo Shelf")));
  adw_status_page_set_description (self->empty_page,
                                   _ ("The server lists no books for Kobo sync. Add books to the "
                                      "shelf it syncs to Kobo devices, then sync again."));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_page), "empty");

  self->consent_page = ADW_STATUS_PAGE (status_page ("dialog-information-symbolic",
                                                     _ ("The Library Is Not Listed")));
  /* The question, answered here: listing is the user's choice. */
  allow = gtk_button_new_with_mnemonic (_ ("_List the Library Anyway"));
  gtk_widget_set_halign (allow, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (allow, "pill");
  g_signal_connect_swapped (allow, "clicked", G_CALLBACK (kios_kobo_shelf_allow_library), self);
  adw_status_page_set_child (self->consent_page, allow);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->consent_page), "consent");

  self->error_page = ADW_STATUS_PAGE (status_page ("dialog-warning-symbolic", _ ("Could Not Load the Kobo Shelf")));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error_page), "error");

  gtk_stack_add_named (self->stack, build_detail (self), "detail");

  gtk_stack_set_visible_child_name (self->stack, "none");
  adw_bin_set_child (ADW_BIN (self), box);
  set_busy (self, FALSE);
}

/* ---- public --------------------------------------------------------------- */

KiosKoboShelf *
kios_kobo_shelf_new (void)
{
  return g_object_new (KIOS_TYPE_KOBO_SHELF, NULL);
}

void
kios_kobo_shelf_set_store (KiosKoboShelf    *self,
                           KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  g_set_object (&self->store, store);
}

void
kios_kobo_shelf_set_source (KiosKoboShelf          *self,
                            const KiosSourceRecord *source)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  stop_everything (self);
  clear_grid (self);
  g_ptr_array_set_size (self->entries, 0);
  g_clear_pointer (&self->source, kios_source_record_free);
  gtk_label_set_label (self->subtitle_label, "");
  if (source == NULL || self->store == NULL)
    {
      gtk_label_set_label (self->title_label, "");
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  self->source = kios_source_record_copy (source);
  gtk_label_set_label (self->title_label, source->name);
  kios_kobo_shelf_reload (self);
}

const char *
kios_kobo_shelf_get_source_name (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return self->source != NULL ? self->source->name : NULL;
}

void
kios_kobo_shelf_reload (KiosKoboShelf *self)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (self->source == NULL || self->store == NULL)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->covers_running = FALSE;
  self->covers_fetching = FALSE;
  self->covers_decoding = 0;
  self->n_covers_fetched = 0;
  self->n_covers_shown = 0;
  self->detail_index = -1;
  set_busy (self, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  kios_kobo_source_refresh_async (self->store, self->source, self->cancellable, refresh_cb, self);
}

static void
consent_saved_cb (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  KiosKoboShelf     *self;

  if (!kios_kobo_source_set_consent_finish (result, &error) && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_KOBO_SHELF (user_data);
  set_busy (self, FALSE);
  if (error != NULL)
    {
      g_clear_pointer (&self->message, g_free);
      self->message = kios_error_describe (error, self->source->url, NULL, NULL);
      adw_status_page_set_description (self->error_page, self->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  kios_kobo_shelf_reload (self);
}

void
kios_kobo_shelf_allow_library (KiosKoboShelf *self)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (self->source == NULL || self->store == NULL || self->busy)
    return;
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  kios_kobo_source_set_consent_async (self->store, self->source, TRUE, self->cancellable, consent_saved_cb, self);
}

void
kios_kobo_shelf_cancel (KiosKoboShelf *self)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (self->download_cancellable != NULL)
    {
      cancel_download (self);
      return;
    }
  if (!self->busy)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  g_clear_pointer (&self->message, g_free);
  self->message = g_strdup (_ ("Stopped. Sync again to load the shelf."));
  adw_status_page_set_description (self->error_page, self->message);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

const char *
kios_kobo_shelf_get_visible_page (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
kios_kobo_shelf_is_busy (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), FALSE);

  return self->busy;
}

guint
kios_kobo_shelf_get_n_books (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), 0);

  return self->cards->len;
}

guint
kios_kobo_shelf_get_n_covers_fetched (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), 0);

  return self->n_covers_fetched;
}

guint
kios_kobo_shelf_get_n_covers_shown (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), 0);

  return self->n_covers_shown;
}

gboolean
kios_kobo_shelf_covers_loading (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), FALSE);

  return self->covers_running;
}

const char *
kios_kobo_shelf_get_message (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return self->message;
}

void
kios_kobo_shelf_activate_book (KiosKoboShelf *self,
                               guint          index)
{
  KiosKoboEntry   *entry;
  GdkTexture      *texture;
  g_autofree char *authors = NULL;
  g_autofree char *formats = NULL;

  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (index >= self->entries->len)
    return;
  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->download_cancellable);
  g_clear_pointer (&self->book_path, g_free);
  self->read_after_download = FALSE;
  self->detail_index = (int) index;
  entry = g_ptr_array_index (self->entries, index);

  authors = join_authors (entry);
  gtk_label_set_label (self->detail_title, entry->title);
  gtk_label_set_label (self->detail_authors, authors != NULL ? authors : _ ("Unknown author"));
  gtk_label_set_label (self->detail_series, entry->series != NULL ? entry->series : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_series), entry->series != NULL);
  if (entry->formats != NULL && entry->formats->len > 0)
    {
      g_ptr_array_add (entry->formats, NULL);
      formats = g_strjoinv (", ", (char **) entry->formats->pdata);
      g_ptr_array_remove_index (entry->formats, entry->formats->len - 1);
    }
  gtk_label_set_label (self->detail_formats, formats != NULL ? formats : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_formats), formats != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_error), FALSE);

  texture = entry->cover_image_id != NULL ? g_hash_table_lookup (self->textures, entry->cover_image_id) : NULL;
  kios_cover_set_texture (KIOS_COVER (self->detail_cover), texture);
  gtk_widget_set_visible (self->detail_placeholder, texture == NULL);
  gtk_label_set_label (GTK_LABEL (gtk_widget_get_last_child (self->detail_placeholder)), entry->title);

  /* A book downloaded before reads at once (the download finds it). */
  show_detail_state (self, entry->hash != NULL ? "read" : "download");
  gtk_stack_set_visible_child_name (self->stack, "detail");
}

void
kios_kobo_shelf_download (KiosKoboShelf *self)
{
  KiosKoboEntry *entry;

  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  entry = detail_entry (self);
  if (entry == NULL || self->download_cancellable != NULL || self->source == NULL)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->detail_error), FALSE);
  show_detail_state (self, "downloading");
  self->download_cancellable = g_cancellable_new ();
  g_free (self->downloading_id);
  self->downloading_id = g_strdup (entry->id);
  kios_kobo_source_download_async (self->store, self->source, entry->id, self->download_cancellable, download_cb,
                                   self);
}

void
kios_kobo_shelf_read (KiosKoboShelf *self)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (detail_entry (self) == NULL)
    return;
  if (self->book_path != NULL)
    {
      open_book (self);
      return;
    }
  self->read_after_download = TRUE;
  kios_kobo_shelf_download (self);
}

const char *
kios_kobo_shelf_get_detail_state (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return self->detail_state;
}

const char *
kios_kobo_shelf_get_book_path (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return self->book_path;
}
