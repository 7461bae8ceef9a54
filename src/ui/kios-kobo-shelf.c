/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-shelf"

#include "config.h"

#include "kios-kobo-shelf.h"

#include "kios-book-detail.h"
#include "kios-catalog-grid.h"
#include "kios-catalog-view.h"
#include "kios-error-messages.h"
#include "kios-kobo-session.h"
#include "kios-redact.h"
#include "kios-window.h"

#include <glib/gi18n.h>

struct _KiosKoboShelf
{
  AdwBin parent_instance;

  KiosLibraryStore *store;
  KiosSourceRecord *source;
  GCancellable     *cancellable; /* this source's work */
  gboolean          busy;
  gboolean          covers_fetching;
  guint             n_covers_fetched;
  char             *message;
  GPtrArray        *entries; /* KiosKoboEntry */
  GListStore       *items;   /* KiosCatalogItem, one per entry, in the same order */

  int detail_index; /* -1: no book shown */

  GtkLabel      *title_label;
  GtkLabel      *subtitle_label;
  GtkWidget     *reload_button;
  GtkStack      *stack;
  GtkGridView   *grid;
  GtkLabel      *warning_label;
  AdwStatusPage *consent_page;
  AdwStatusPage *error_page;
  AdwStatusPage *empty_page;

  KiosBookDetail *detail; /* the one book detail, as in catalogs */
};

G_DEFINE_FINAL_TYPE (KiosKoboShelf, kios_kobo_shelf, ADW_TYPE_BIN)

enum {
  SIGNAL_READ,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

/* A cover landed in the disk cache (in the main context, never after a
 * cancel): its card, if one shows it, decodes it through the cover loader. */
static void
cover_fetched_cb (guint       index,
                  const char *cover_id,
                  const char *path,
                  gpointer    user_data)
{
  KiosKoboShelf              *self = user_data;
  g_autoptr (KiosCatalogItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), index);

  self->n_covers_fetched++;
  if (item != NULL)
    kios_catalog_item_set_cover_path (item, path);
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
}

static void
start_covers (KiosKoboShelf *self)
{
  g_autoptr (GPtrArray) cover_ids = g_ptr_array_new_with_free_func (g_free);
  gboolean              wanted = FALSE;

  /* Into the disk cache (a cover there is not asked for again); decoded
   * only for the cards in view. */
  for (guint i = 0; i < self->entries->len; i++)
    {
      KiosKoboEntry *entry = g_ptr_array_index (self->entries, i);

      wanted |= entry->cover_image_id != NULL;
      g_ptr_array_add (cover_ids, g_strdup (entry->cover_image_id));
    }
  if (!wanted)
    return;

  self->covers_fetching = TRUE;
  kios_kobo_source_fetch_covers_async (self->source, cover_ids, cover_fetched_cb, self, self->cancellable,
                                       covers_cb, self);
}

/* ---- the grid ------------------------------------------------------------- */

/* An entry as its card shows it. */
static KiosCatalogItem *
item_new (const KiosKoboEntry *entry,
          guint                index)
{
  g_autofree char *authors = join_authors (entry);
  KiosCatalogItem *item = kios_catalog_item_new (index, entry->title, authors, entry->series);

  kios_catalog_item_set_state (item, entry->hash != NULL ? KIOS_CARD_STATE_DOWNLOADED : KIOS_CARD_STATE_DOWNLOADABLE,
                               0.0);
  return item;
}

static void
clear_grid (KiosKoboShelf *self)
{
  g_list_store_remove_all (self->items);
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
  {
    g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < self->entries->len; i++)
      g_ptr_array_add (items, item_new (g_ptr_array_index (self->entries, i), i));
    /* One change for the whole shelf: the grid lays out once. */
    g_list_store_splice (self->items, 0, 0, items->pdata, items->len);
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
  kios_book_detail_clear (self->detail);
  self->covers_fetching = FALSE;
  self->n_covers_fetched = 0;
  self->detail_index = -1;
  g_clear_pointer (&self->message, g_free);
  set_busy (self, FALSE);
}

/* ---- the detail page ------------------------------------------------------ */

/* The detail's Read: the shelf says so, and opens the book in its window. */
static void
detail_read_cb (KiosKoboShelf *self,
                const char    *path)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  g_signal_emit (self, signals[SIGNAL_READ], 0, path);
  if (KIOS_IS_WINDOW (root))
    {
      g_autoptr (GFile) file = g_file_new_for_path (path);

      kios_window_open_file (KIOS_WINDOW (root), file);
    }
}

static void
detail_back_cb (KiosKoboShelf *self)
{
  kios_book_detail_clear (self->detail);
  self->detail_index = -1;
  gtk_stack_set_visible_child_name (self->stack, self->entries->len > 0 ? "books" : "empty");
}

static void
grid_activate_cb (KiosKoboShelf *self,
                  guint          position)
{
  kios_kobo_shelf_activate_book (self, position);
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
  g_clear_object (&self->items);

  G_OBJECT_CLASS (kios_kobo_shelf_parent_class)->dispose (object);
}

static void
kios_kobo_shelf_finalize (GObject *object)
{
  KiosKoboShelf *self = KIOS_KOBO_SHELF (object);

  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_free (self->message);

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
  self->items = g_list_store_new (KIOS_TYPE_CATALOG_ITEM);
  self->detail_index = -1;

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

  /* The warning above the grid; the grid straight in its scrolled window,
   * so only the cards in view exist. */
  content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->warning_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->warning_label, TRUE);
  gtk_label_set_xalign (self->warning_label, 0.0);
  gtk_widget_set_margin_start (GTK_WIDGET (self->warning_label), 18);
  gtk_widget_set_margin_end (GTK_WIDGET (self->warning_label), 18);
  gtk_widget_add_css_class (GTK_WIDGET (self->warning_label), "warning");
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
  gtk_box_append (GTK_BOX (content), clamped (GTK_WIDGET (self->warning_label)));
  self->grid = GTK_GRID_VIEW (kios_catalog_grid_new (G_LIST_MODEL (self->items)));
  g_signal_connect_swapped (self->grid, "activate", G_CALLBACK (grid_activate_cb), self);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->grid));
  gtk_box_append (GTK_BOX (content), scrolled);
  gtk_stack_add_named (self->stack, content, "books");

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

  self->detail = kios_book_detail_new ();
  g_signal_connect_swapped (self->detail, "read", G_CALLBACK (detail_read_cb), self);
  g_signal_connect_swapped (self->detail, "back", G_CALLBACK (detail_back_cb), self);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->detail), "detail");

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
  kios_book_detail_set_store (self->detail, store);
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
  self->covers_fetching = FALSE;
  self->n_covers_fetched = 0;
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

  if (self->detail_index >= 0 && g_strcmp0 (kios_book_detail_get_state (self->detail), "downloading") == 0)
    {
      kios_book_detail_cancel (self->detail);
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

  return g_list_model_get_n_items (G_LIST_MODEL (self->items));
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

  return kios_catalog_grid_count_covers (self->grid, FALSE);
}

gboolean
kios_kobo_shelf_covers_loading (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), FALSE);

  return self->covers_fetching;
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
  g_autoptr (KiosCatalogItem) item = NULL;
  KiosKoboEntry              *entry;
  KiosBookCard               *card;
  gboolean                    downloaded;

  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (index >= self->entries->len || self->source == NULL)
    return;
  self->detail_index = (int) index;
  entry = g_ptr_array_index (self->entries, index);
  item = g_list_model_get_item (G_LIST_MODEL (self->items), index);
  card = kios_catalog_grid_get_card (self->grid, index);
  /* Downloaded before this sync, or since (the card says so). */
  downloaded = entry->hash != NULL || (item != NULL && kios_catalog_item_get_state (item) == KIOS_CARD_STATE_DOWNLOADED);
  kios_book_detail_show_kobo (self->detail, self->source, entry, downloaded, item,
                              card != NULL ? kios_book_card_get_cover (card) : NULL);
  gtk_stack_set_visible_child_name (self->stack, "detail");
}

void
kios_kobo_shelf_download (KiosKoboShelf *self)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (self->detail_index >= 0)
    kios_book_detail_download (self->detail);
}

void
kios_kobo_shelf_read (KiosKoboShelf *self)
{
  g_return_if_fail (KIOS_IS_KOBO_SHELF (self));

  if (self->detail_index >= 0)
    kios_book_detail_read (self->detail);
}

const char *
kios_kobo_shelf_get_detail_state (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return self->detail_index >= 0 ? kios_book_detail_get_state (self->detail) : "download";
}

const char *
kios_kobo_shelf_get_book_path (KiosKoboShelf *self)
{
  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), NULL);

  return kios_book_detail_get_path (self->detail);
}

KiosCardState
kios_kobo_shelf_get_card_state (KiosKoboShelf *self,
                                guint          index)
{
  g_autoptr (KiosCatalogItem) item = NULL;

  g_return_val_if_fail (KIOS_IS_KOBO_SHELF (self), KIOS_CARD_STATE_DOWNLOADABLE);

  item = g_list_model_get_item (G_LIST_MODEL (self->items), index);
  return item != NULL ? kios_catalog_item_get_state (item) : KIOS_CARD_STATE_DOWNLOADABLE;
}
