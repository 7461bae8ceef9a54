/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-detail"

#include "config.h"

#include "kios-book-detail-private.h"

#include "kios-catalog-view.h"

#include <glib/gi18n.h>

G_DEFINE_FINAL_TYPE (KiosBookDetail, kios_book_detail, ADW_TYPE_BIN)

guint kios_book_detail_signals[N_SIGNALS];

/* The action shown, and the same as a typed state on the book's card. */
void
kios_book_detail_set_state (KiosBookDetail *self,
                            const char     *state)
{
  gtk_stack_set_visible_child_name (self->action_stack, state);
  if (self->item == NULL || g_str_equal (state, "checking"))
    return;
  if (g_str_equal (state, "downloading"))
    kios_catalog_item_set_state (self->item, KIOS_CARD_STATE_DOWNLOADING, -1.0);
  else if (g_str_equal (state, "read"))
    kios_catalog_item_set_state (self->item, KIOS_CARD_STATE_DOWNLOADED, 0.0);
  else
    kios_catalog_item_set_state (self->item, self->error != NULL ? KIOS_CARD_STATE_ERROR : KIOS_CARD_STATE_DOWNLOADABLE,
                                 0.0);
}

static void
stop_cover (KiosBookDetail *self)
{
  if (self->cover_cancellable != NULL)
    g_cancellable_cancel (self->cover_cancellable);
  g_clear_object (&self->cover_cancellable);
}

static void
cover_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  KiosBookDetail        *self;

  texture = kios_catalog_view_load_cover_finish (KIOS_CATALOG_VIEW (source_object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_BOOK_DETAIL (user_data);
  g_clear_object (&self->cover_cancellable);
  if (texture == NULL)
    {
      /* The grid's thumbnail (or the placeholder) stays. */
      g_debug ("No cover: %s", error->message);
      return;
    }
  kios_cover_set_texture (KIOS_COVER (self->cover), texture);
  gtk_widget_set_visible (self->placeholder, FALSE);
}

void
kios_book_detail_stop (KiosBookDetail *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->progress_id, g_source_remove);
  self->downloading = FALSE;
}

void
kios_book_detail_show_error (KiosBookDetail *self,
                             const char     *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_label (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
back_clicked_cb (KiosBookDetail *self)
{
  g_signal_emit (self, kios_book_detail_signals[SIGNAL_BACK], 0);
}

/* ---- GObject -------------------------------------------------------------- */

static void
kios_book_detail_dispose (GObject *object)
{
  KiosBookDetail *self = KIOS_BOOK_DETAIL (object);

  kios_book_detail_stop (self);
  stop_cover (self);
  g_clear_object (&self->store);
  g_clear_pointer (&self->client, kios_opds_client_free);
  g_clear_pointer (&self->entry, kios_opds_entry_free);
  g_clear_pointer (&self->kobo_source, kios_source_record_free);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (kios_book_detail_parent_class)->dispose (object);
}

static void
kios_book_detail_finalize (GObject *object)
{
  KiosBookDetail *self = KIOS_BOOK_DETAIL (object);

  g_free (self->source_name);
  g_free (self->path);
  g_free (self->error);
  g_free (self->format);
  g_free (self->kobo_id);
  g_free (self->title);

  G_OBJECT_CLASS (kios_book_detail_parent_class)->finalize (object);
}

static void
kios_book_detail_class_init (KiosBookDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_book_detail_dispose;
  object_class->finalize = kios_book_detail_finalize;

  kios_book_detail_signals[SIGNAL_READ] = g_signal_new ("read", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                        G_TYPE_NONE, 1, G_TYPE_STRING);
  /* An action signal: Alt+Left and the Back key emit it. */
  kios_book_detail_signals[SIGNAL_BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, 0,
                                                        NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_add_binding_signal (GTK_WIDGET_CLASS (klass), GDK_KEY_Left, GDK_ALT_MASK, "back", NULL);
  gtk_widget_class_add_binding_signal (GTK_WIDGET_CLASS (klass), GDK_KEY_Back, 0, "back", NULL);
  gtk_widget_class_install_action (GTK_WIDGET_CLASS (klass), "detail.download-format", "s", kios_book_detail_download_format_action);
}

static GtkWidget *
pill_button (const char *mnemonic)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (mnemonic);

  gtk_widget_set_halign (button, GTK_ALIGN_START);
  gtk_widget_add_css_class (button, "pill");
  gtk_widget_add_css_class (button, "suggested-action");
  return button;
}

static GtkWidget *
value_row (const char *title)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  return row;
}

static void
kios_book_detail_init (KiosBookDetail *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *back;
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *info = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *downloading;
  GtkWidget *download_box;
  GMenu     *formats_menu;
  GtkWidget *progress_row;
  GtkWidget *cancel;
  GtkWidget *read;
  GtkWidget *label;
  GtkWidget *icon;

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 760);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 500);
  gtk_widget_set_margin_top (page, 18);
  gtk_widget_set_margin_bottom (page, 30);
  gtk_widget_set_margin_start (page, 18);
  gtk_widget_set_margin_end (page, 18);

  back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_widget_set_tooltip_text (back, _ ("Back to the Catalog"));
  gtk_widget_set_halign (back, GTK_ALIGN_START);
  gtk_widget_add_css_class (back, "flat");
  gtk_widget_add_css_class (back, "circular");
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (back_clicked_cb), self);
  gtk_box_append (GTK_BOX (page), back);

  /* The cover beside what the catalog says about the book. */
  self->cover = kios_cover_new (COVER_WIDTH, COVER_HEIGHT);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), self->cover);
  self->placeholder = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_overflow (self->placeholder, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (self->placeholder, "book-cover");
  gtk_widget_add_css_class (self->placeholder, "book-cover-placeholder");
  icon = gtk_image_new_from_icon_name ("app.kios.Kios-symbolic");
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 64);
  gtk_widget_set_opacity (icon, 0.7);
  gtk_widget_set_vexpand (icon, TRUE);
  gtk_box_append (GTK_BOX (self->placeholder), icon);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->placeholder);
  gtk_widget_set_valign (overlay, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (top), overlay);

  gtk_widget_set_hexpand (info, TRUE);
  gtk_widget_set_valign (info, GTK_ALIGN_CENTER);
  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->title_label, TRUE);
  gtk_label_set_wrap_mode (self->title_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (self->title_label, 0.0);
  gtk_label_set_selectable (self->title_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "title-1");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->title_label));
  self->authors_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->authors_label, TRUE);
  gtk_label_set_xalign (self->authors_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->authors_label), "title-4");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->authors_label));
  self->series_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->series_label, TRUE);
  gtk_label_set_xalign (self->series_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->series_label), "dim-label");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->series_label));

  /* Download, then its progress, then Read. */
  self->action_stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_hhomogeneous (self->action_stack, FALSE);
  gtk_stack_set_vhomogeneous (self->action_stack, FALSE);
  gtk_stack_set_interpolate_size (self->action_stack, TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (self->action_stack), 18);
  gtk_widget_set_halign (GTK_WIDGET (self->action_stack), GTK_ALIGN_FILL);
  gtk_stack_add_named (self->action_stack, gtk_spinner_new (), "checking");
  self->download_button = pill_button (_ ("_Download"));
  g_signal_connect_swapped (self->download_button, "clicked", G_CALLBACK (kios_book_detail_download_clicked_cb), self);
  formats_menu = g_menu_new ();
  g_menu_append (formats_menu, _ ("Download _EPUB"), "detail.download-format::epub");
  g_menu_append (formats_menu, _ ("Download _PDF"), "detail.download-format::pdf");
  self->format_button = gtk_menu_button_new ();
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (self->format_button), G_MENU_MODEL (formats_menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->format_button), "pan-down-symbolic");
  gtk_widget_set_tooltip_text (self->format_button, _ ("Choose the Format"));
  gtk_widget_set_valign (self->format_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->format_button, "circular");
  gtk_widget_set_visible (self->format_button, FALSE);
  g_object_unref (formats_menu);
  download_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (download_box, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (download_box), self->download_button);
  gtk_box_append (GTK_BOX (download_box), self->format_button);
  gtk_stack_add_named (self->action_stack, download_box, "download");
  downloading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  progress_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  self->progress_bar = gtk_progress_bar_new ();
  gtk_widget_set_hexpand (self->progress_bar, TRUE);
  gtk_widget_set_valign (self->progress_bar, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (progress_row), self->progress_bar);
  cancel = gtk_button_new_from_icon_name ("process-stop-symbolic");
  gtk_widget_set_tooltip_text (cancel, _ ("Cancel the Download"));
  gtk_widget_add_css_class (cancel, "circular");
  gtk_widget_add_css_class (cancel, "flat");
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (kios_book_detail_cancel_clicked_cb), self);
  gtk_box_append (GTK_BOX (progress_row), cancel);
  gtk_box_append (GTK_BOX (downloading), progress_row);
  self->progress_label = GTK_LABEL (gtk_label_new (_ ("Starting…")));
  gtk_label_set_xalign (self->progress_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "numeric");
  gtk_box_append (GTK_BOX (downloading), GTK_WIDGET (self->progress_label));
  gtk_stack_add_named (self->action_stack, downloading, "downloading");
  read = pill_button (_ ("_Read"));
  g_signal_connect_swapped (read, "clicked", G_CALLBACK (kios_book_detail_read_clicked_cb), self);
  gtk_stack_add_named (self->action_stack, read, "read");
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->action_stack));
  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (info), GTK_WIDGET (self->error_label));
  gtk_box_append (GTK_BOX (top), info);
  gtk_box_append (GTK_BOX (page), top);

  /* The summary, then the facts. */
  self->summary_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  label = gtk_label_new (_ ("Summary"));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (self->summary_box), label);
  self->summary_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->summary_label, TRUE);
  gtk_label_set_xalign (self->summary_label, 0.0);
  gtk_label_set_selectable (self->summary_label, TRUE);
  gtk_box_append (GTK_BOX (self->summary_box), GTK_WIDGET (self->summary_label));
  gtk_box_append (GTK_BOX (page), self->summary_box);

  self->details_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->details_list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->details_list, "boxed-list");
  self->language_row = value_row (_ ("Language"));
  gtk_list_box_append (GTK_LIST_BOX (self->details_list), self->language_row);
  self->formats_row = value_row (_ ("Formats"));
  gtk_list_box_append (GTK_LIST_BOX (self->details_list), self->formats_row);
  gtk_box_append (GTK_BOX (page), self->details_list);

  adw_clamp_set_child (ADW_CLAMP (clamp), page);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  adw_bin_set_child (ADW_BIN (self), scrolled);
}

/* ---- public --------------------------------------------------------------- */

KiosBookDetail *
kios_book_detail_new (void)
{
  return g_object_new (KIOS_TYPE_BOOK_DETAIL, NULL);
}

void
kios_book_detail_set_store (KiosBookDetail   *self,
                            KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  g_set_object (&self->store, store);
}

static void
set_value (GtkWidget  *row,
           const char *value)
{
  GtkWidget *label = g_object_get_data (G_OBJECT (row), "value");

  if (label == NULL)
    {
      label = gtk_label_new (NULL);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (label, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      g_object_set_data (G_OBJECT (row), "value", label);
    }
  gtk_label_set_label (GTK_LABEL (label), value != NULL ? value : "");
  gtk_widget_set_visible (row, value != NULL && *value != '\0');
}

/* Stops everything of the book shown and forgets it. */
static void
forget (KiosBookDetail *self)
{
  kios_book_detail_stop (self);
  stop_cover (self);
  g_clear_pointer (&self->client, kios_opds_client_free);
  g_clear_pointer (&self->entry, kios_opds_entry_free);
  g_clear_pointer (&self->kobo_source, kios_source_record_free);
  g_clear_pointer (&self->kobo_id, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_object (&self->item);
  self->read_after_download = FALSE;
}

static void
item_cover_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GdkTexture) texture = kios_catalog_item_load_cover_finish (result, &error);
  KiosBookDetail        *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_BOOK_DETAIL (user_data);
  g_clear_object (&self->cover_cancellable);
  if (texture == NULL)
    return;
  kios_cover_set_texture (KIOS_COVER (self->cover), texture);
  gtk_widget_set_visible (self->placeholder, FALSE);
}

void
kios_book_detail_show_kobo (KiosBookDetail         *self,
                            const KiosSourceRecord *source,
                            const KiosKoboEntry    *entry,
                            gboolean                downloaded,
                            KiosCatalogItem        *item,
                            GdkTexture             *cover)
{
  g_autoptr (GString) authors = g_string_new (NULL);
  g_autofree char    *formats = NULL;

  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));
  g_return_if_fail (source != NULL);
  g_return_if_fail (entry != NULL);

  forget (self);
  self->kobo_source = kios_source_record_copy (source);
  self->kobo_id = g_strdup (entry->id);
  self->title = g_strdup (entry->title);
  self->item = item != NULL ? g_object_ref (item) : NULL;
  self->fraction = 0.0;
  kios_book_detail_show_error (self, NULL);
  g_clear_pointer (&self->format, g_free);
  /* The Kobo sync service picks the format: no choice to offer. */
  gtk_widget_set_visible (self->format_button, FALSE);
  gtk_button_set_label (GTK_BUTTON (self->download_button), _ ("_Download"));
  gtk_widget_set_sensitive (self->download_button, self->store != NULL);

  /* The card's cover at once, then the detail's own size from the cache. */
  kios_cover_set_texture (KIOS_COVER (self->cover), cover);
  gtk_widget_set_visible (self->placeholder, cover == NULL);
  if (item != NULL && kios_catalog_item_has_cover (item))
    {
      int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

      self->cover_cancellable = g_cancellable_new ();
      kios_catalog_item_load_cover_async (item, TRUE, FALSE, COVER_WIDTH * scale, COVER_HEIGHT * scale,
                                          self->cover_cancellable, item_cover_cb, self);
    }

  gtk_label_set_label (self->title_label, entry->title);
  for (guint i = 0; entry->authors != NULL && i < entry->authors->len; i++)
    g_string_append_printf (authors, "%s%s", i > 0 ? ", " : "", (const char *) entry->authors->pdata[i]);
  gtk_label_set_label (self->authors_label, authors->len > 0 ? authors->str : _ ("Unknown author"));
  gtk_label_set_label (self->series_label, entry->series);
  gtk_widget_set_visible (GTK_WIDGET (self->series_label), entry->series != NULL);
  gtk_label_set_label (self->summary_label, NULL);
  gtk_widget_set_visible (self->summary_box, FALSE);
  set_value (self->language_row, NULL);
  if (entry->formats != NULL && entry->formats->len > 0)
    {
      g_ptr_array_add (entry->formats, NULL);
      formats = g_strjoinv (", ", (char **) entry->formats->pdata);
      g_ptr_array_remove_index (entry->formats, entry->formats->len - 1);
    }
  set_value (self->formats_row, formats);

  /* A book downloaded before reads at once (the download finds it). */
  kios_book_detail_set_state (self, downloaded ? "read" : "download");
}

void
kios_book_detail_show (KiosBookDetail      *self,
                       KiosCatalogView     *catalog,
                       const KiosOpdsEntry *entry,
                       GdkTexture          *cover)
{
  const char           *source_name;
  const char           *cover_href;
  g_autoptr (GString)   authors = g_string_new (NULL);
  g_autoptr (GPtrArray) formats = NULL;
  g_autofree char      *formats_text = NULL;
  g_autofree char      *series = NULL;

  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (catalog));
  g_return_if_fail (entry != NULL);

  source_name = kios_catalog_view_get_source_name (catalog);
  g_return_if_fail (source_name != NULL);

  forget (self);
  self->client = kios_catalog_view_new_client (catalog);
  self->entry = kios_opds_entry_copy (entry);
  self->title = g_strdup (entry->title);
  self->item = kios_catalog_view_find_item (catalog, entry);
  g_free (self->source_name);
  self->source_name = g_strdup (source_name);
  g_clear_pointer (&self->path, g_free);
  self->fraction = 0.0;
  kios_book_detail_show_error (self, NULL);
  g_clear_pointer (&self->format, g_free);
  kios_book_detail_update_download_button (self);

  kios_cover_set_texture (KIOS_COVER (self->cover), cover);
  gtk_widget_set_visible (self->placeholder, cover == NULL);
  /* The full cover, sharper than the grid's thumbnail, loads behind it. */
  cover_href = kios_catalog_entry_cover_href (entry, FALSE);
  if (cover_href != NULL)
    {
      self->cover_cancellable = g_cancellable_new ();
      kios_catalog_view_load_cover_async (catalog, cover_href, COVER_HEIGHT * 2, self->cover_cancellable, cover_cb,
                                          self);
    }

  gtk_label_set_label (self->title_label, entry->title);
  for (guint i = 0; i < entry->authors->len; i++)
    g_string_append_printf (authors, "%s%s", i > 0 ? ", " : "", (const char *) entry->authors->pdata[i]);
  gtk_label_set_label (self->authors_label, authors->len > 0 ? authors->str : _ ("Unknown author"));
  if (entry->series != NULL && entry->series_index >= 0)
    /* Translators: a book's place in its series, e.g. "Book 3 of Discworld". */
    series = g_strdup_printf (_ ("Book %g of %s"), entry->series_index, entry->series);
  else if (entry->series != NULL)
    series = g_strdup (entry->series);
  gtk_label_set_label (self->series_label, series);
  gtk_widget_set_visible (GTK_WIDGET (self->series_label), series != NULL);

  gtk_label_set_label (self->summary_label, entry->summary);
  gtk_widget_set_visible (self->summary_box, entry->summary != NULL && *entry->summary != '\0');

  set_value (self->language_row, entry->language);
  formats = kios_opds_entry_get_formats (entry);
  g_ptr_array_add (formats, NULL);
  formats_text = g_ascii_strup (g_strjoinv (", ", (char **) formats->pdata), -1);
  set_value (self->formats_row, formats_text);

  /* A book Kios cannot open has nothing to download. */
  if (kios_opds_entry_pick_acquisition (entry, NULL) == NULL)
    {
      gtk_widget_set_sensitive (self->download_button, FALSE);
      kios_book_detail_show_error (self, _ ("This book has no EPUB or PDF download."));
      kios_book_detail_set_state (self, "download");
      return;
    }
  gtk_widget_set_sensitive (self->download_button, self->client != NULL && self->store != NULL);

  if (self->store == NULL)
    {
      kios_book_detail_set_state (self, "download");
      return;
    }

  kios_book_detail_start_lookup (self);
}

void
kios_book_detail_clear (KiosBookDetail *self)
{
  g_return_if_fail (KIOS_IS_BOOK_DETAIL (self));

  forget (self);
}

const char *
kios_book_detail_get_state (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), NULL);

  return gtk_stack_get_visible_child_name (self->action_stack);
}

const char *
kios_book_detail_get_path (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), NULL);

  return self->path;
}

const char *
kios_book_detail_get_error (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), NULL);

  return self->error;
}

double
kios_book_detail_get_fraction (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), 0.0);

  return self->fraction;
}

gboolean
kios_book_detail_has_cover (KiosBookDetail *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_DETAIL (self), FALSE);

  return kios_cover_get_texture (KIOS_COVER (self->cover)) != NULL;
}
