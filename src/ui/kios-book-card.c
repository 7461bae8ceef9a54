/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-card"

#include "config.h"

#include "kios-book-card.h"

#include "kios-cover-loader.h"
#include "kios-cover.h"

#include <glib/gi18n.h>

#define COVER_WIDTH 120
#define COVER_HEIGHT 180

struct _KiosBookCard
{
  AdwBin parent_instance;

  KiosBookRecord   *book;
  KiosCatalogItem  *item;
  KiosLibraryStore *store; /* nullable: where a cover made is recorded */
  KiosBookState     state;
  const char       *state_class;         /* the state's style class on the card, or NULL */
  GCancellable     *cancellable;         /* the cover load of the book shown */
  gboolean          full_cover;          /* the catalog's full cover shows */
  gboolean          loading_full;        /* the item's cover load in flight: full cover */
  gboolean          loading_cached_only; /* … and only if it is in the cache */
  gboolean          lazy_cover;          /* an item's cover waits until the card is on screen */
  gboolean          on_screen;           /* lazy_cover: the grid saw the card in view */
  gboolean          cover_pending;       /* lazy_cover: the item's cover load is still to start */
  gboolean          loading;             /* an item's cover load is in flight */
  gboolean          at_rest;             /* lazy_cover: … and its grid is not scrolling */
  gboolean          full_pending;        /* lazy_cover: the full cover is still to ask for */
  gboolean          text_pending;        /* the item's text is still to show (set_item_deferred) */

  /* Template children. */
  GtkOverlay     *cover_overlay;
  GtkWidget      *placeholder_slot;
  GtkLabel       *placeholder_title;
  GtkLabel       *title_label;
  GtkLabel       *author_label;
  GtkLabel       *caption_label;
  GtkWidget      *state_box;
  GtkProgressBar *progress_bar;
  GtkLabel       *badge;
  KiosCover      *cover;
};

G_DEFINE_FINAL_TYPE (KiosBookCard, kios_book_card, ADW_TYPE_BIN)

static const char *const state_classes[] = {
  [KIOS_BOOK_STATE_NEW] = "book-new",
  [KIOS_BOOK_STATE_READING] = "book-reading",
  [KIOS_BOOK_STATE_FINISHED] = "book-finished",
  [KIOS_BOOK_STATE_MISSING] = "book-missing",
};

static const char *const card_state_classes[] = {
  [KIOS_CARD_STATE_LOCAL] = NULL,
  [KIOS_CARD_STATE_DOWNLOADABLE] = "book-downloadable",
  [KIOS_CARD_STATE_DOWNLOADING] = "book-downloading",
  [KIOS_CARD_STATE_DOWNLOADED] = "book-downloaded",
  [KIOS_CARD_STATE_MISSING] = "book-missing",
  [KIOS_CARD_STATE_ERROR] = "book-error",
};

static void
set_state_class (KiosBookCard *self,
                 const char   *name)
{
  if (self->state_class == name)
    return;
  if (self->state_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self), self->state_class);
  if (name != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), name);
  self->state_class = name;
}

/* The placeholder stays in the layout, only not drawn under a cover: hiding
 * it would lay out the card (and its row of the grid) again each time a
 * cover arrives. Screen readers skip it as they would a hidden one. */
static void
show_texture (KiosBookCard *self,
              GdkTexture   *texture)
{
  gboolean placeholder = texture == NULL;

  kios_cover_set_texture (self->cover, texture);
  if (gtk_widget_get_child_visible (self->placeholder_slot) == placeholder)
    return;
  gtk_widget_set_child_visible (self->placeholder_slot, placeholder);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->placeholder_slot), GTK_ACCESSIBLE_STATE_HIDDEN, !placeholder, -1);
}

/* Forgets the cover shown and stops the one loading. */
static void
reset_cover (KiosBookCard *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->full_cover = FALSE;
  if (kios_cover_has_picture (self->cover))
    show_texture (self, NULL);
}

/* The accessible label: the card as one sentence rather than its pieces. */
static void
update_accessible (KiosBookCard *self,
                   const char   *title,
                   const char   *badge)
{
  g_autofree char *accessible = NULL;

  if (badge == NULL || *badge == '\0')
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
      return;
    }
  /* Translators: a book for screen readers: its title, then its state,
   * e.g. "Emma, 42%" or "Emma, Missing". */
  accessible = g_strdup_printf (_ ("%s, %s"), title, badge);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
load_cover_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  KiosBookCard          *self;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError)     error = NULL;

  texture = kios_cover_loader_load_finish (result, &error);
  if (texture == NULL)
    {
      /* No cover yet keeps the placeholder; opening the book renders one. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_debug ("No cover: %s", error->message);
      return;
    }
  /* Not cancelled, so the card (which cancels in dispose) is alive. */
  self = KIOS_BOOK_CARD (user_data);

  show_texture (self, texture);
}

/* The path as a tooltip, asked for when shown: setting tooltip text on every
 * bind asks the display where the pointer is, once per card. */
static gboolean
query_tooltip_cb (KiosBookCard *self,
                  int           x,
                  int           y,
                  gboolean      keyboard_mode,
                  GtkTooltip   *tooltip)
{
  g_autofree char *display = NULL;

  if (self->book == NULL || self->book->path == NULL)
    return FALSE;

  display = g_filename_display_name (self->book->path);
  gtk_tooltip_set_text (tooltip, display);
  return TRUE;
}

/* The card's size (and its placeholder's), the same whatever it shows: as
 * wide as its cover, as tall as its content at that width. A new book bound to the card then costs only
 * its labels' heights, never their widths (the widest of several layouts
 * each), and the grid's columns stay put. */
static GtkSizeRequestMode
card_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_CONSTANT_SIZE;
}

/* The height of the last card measured with its own book's text: a card
 * whose text waits (see set_item_deferred) asks for this one, so the grid
 * lays it out as it will be once its text shows (the same, as a rule) and
 * its text is not measured for nothing. */
static int typical_height;

static void
card_measure (GtkWidget     *widget,
              GtkOrientation orientation,
              int            for_size,
              int           *minimum,
              int           *natural,
              int           *minimum_baseline,
              int           *natural_baseline)
{
  GtkWidget    *child = adw_bin_get_child (ADW_BIN (widget));
  KiosBookCard *card = KIOS_IS_BOOK_CARD (widget) ? KIOS_BOOK_CARD (widget) : NULL;

  *minimum = *natural = 0;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = COVER_WIDTH;
  else if (card != NULL && card->item != NULL && card->text_pending && typical_height > 0)
    *minimum = *natural = typical_height;
  else if (child != NULL && gtk_widget_should_layout (child))
    {
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, COVER_WIDTH, minimum, natural, NULL, NULL);
      if (card != NULL && card->item != NULL)
        typical_height = *natural;
    }
}

static void
card_allocate (GtkWidget *widget,
               int        width,
               int        height,
               int        baseline)
{
  GtkWidget *child = adw_bin_get_child (ADW_BIN (widget));
  int        child_height;

  if (child == NULL || !gtk_widget_should_layout (child))
    return;
  /* A card whose text waits may hold more than the height it asked for. */
  gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, width, &child_height, NULL, NULL, NULL);
  gtk_widget_allocate (child, width, MAX (height, child_height), -1, NULL);
}

static void
kios_book_card_dispose (GObject *object)
{
  KiosBookCard *self = KIOS_BOOK_CARD (object);

  kios_book_card_set_item (self, NULL);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->book, kios_book_record_free);

  G_OBJECT_CLASS (kios_book_card_parent_class)->dispose (object);
}

static void scale_factor_cb (KiosBookCard *self);

static void
kios_book_card_class_init (KiosBookCardClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_book_card_dispose;

  g_type_ensure (KIOS_TYPE_COVER);
  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-book-card.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, cover_overlay);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, placeholder_slot);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, placeholder_title);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, author_label);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, caption_label);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, state_box);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, badge);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kios_book_card_init (KiosBookCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The cover's slot size is fixed at construction, so it is made here. */
  self->cover = KIOS_COVER (kios_cover_new (COVER_WIDTH, COVER_HEIGHT));
  gtk_overlay_set_child (self->cover_overlay, GTK_WIDGET (self->cover));
  gtk_widget_set_layout_manager (GTK_WIDGET (self), gtk_custom_layout_new (card_request_mode, card_measure, card_allocate));
  /* The placeholder over the cover too: the overlay asks its width first. */
  gtk_widget_set_layout_manager (self->placeholder_slot,
                                 gtk_custom_layout_new (card_request_mode, card_measure, card_allocate));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  g_signal_connect (self, "notify::scale-factor", G_CALLBACK (scale_factor_cb), NULL);
}

GtkWidget *
kios_book_card_new (void)
{
  return g_object_new (KIOS_TYPE_BOOK_CARD, NULL);
}

static void set_book (KiosBookCard         *self,
                      const KiosBookRecord *book,
                      gboolean              load_cover);

void
kios_book_card_set_book (KiosBookCard         *self,
                         const KiosBookRecord *book)
{
  g_return_if_fail (KIOS_IS_BOOK_CARD (self));

  set_book (self, book, TRUE);
}

void
kios_book_card_set_book_lazily (KiosBookCard         *self,
                                const KiosBookRecord *book)
{
  g_return_if_fail (KIOS_IS_BOOK_CARD (self));

  set_book (self, book, FALSE);
}

void
kios_book_card_load_cover (KiosBookCard *self)
{
  int scale;

  g_return_if_fail (KIOS_IS_BOOK_CARD (self));

  if (self->book == NULL || self->cancellable != NULL)
    return;
  /* The cover as the card appears: a book never opened gets its own from
   * the file (made once, then cached; a missing book keeps a cached one). */
  scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  kios_cover_loader_load_async (self->book, COVER_WIDTH * scale, COVER_HEIGHT * scale, self->cancellable,
                                load_cover_cb, self);
}

static void
set_book (KiosBookCard         *self,
          const KiosBookRecord *book,
          gboolean              load_cover)
{
  g_autofree char *percent = NULL;
  const char      *title;
  const char      *badge;
  double           progress;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->book, kios_book_record_free);
  if (self->item != NULL)
    kios_book_card_set_item (self, NULL);

  /* Unbinding only stops the cover load: the grid binds the card again
   * right after, and every widget change costs a style or size update. */
  if (book == NULL)
    return;

  reset_cover (self);
  self->book = kios_book_record_copy (book);
  self->state = kios_book_record_get_state (book);
  set_state_class (self, state_classes[self->state]);
  title = book->title != NULL && *book->title != '\0' ? book->title : _ ("Untitled");
  progress = CLAMP (book->progress, 0.0, 1.0);

  gtk_label_set_label (self->placeholder_title, title);
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->author_label,
                       book->authors != NULL && *book->authors != '\0' ? book->authors : _ ("Unknown author"));
  if (gtk_widget_get_visible (GTK_WIDGET (self->caption_label)))
    gtk_widget_set_visible (GTK_WIDGET (self->caption_label), FALSE);
  if (!gtk_widget_get_visible (self->state_box))
    gtk_widget_set_visible (self->state_box, TRUE);

  /* Translators: how much of a book has been read, e.g. "42%". */
  percent = g_strdup_printf (_ ("%d%%"), (int) (progress * 100.0 + 0.5));
  switch (self->state)
    {
    case KIOS_BOOK_STATE_READING:
      badge = percent;
      break;
    case KIOS_BOOK_STATE_FINISHED:
      /* Translators: a book's state on its card. */
      badge = _ ("Finished");
      break;
    case KIOS_BOOK_STATE_MISSING:
      /* Translators: a book's state on its card: its file is gone. */
      badge = _ ("Missing");
      break;
    case KIOS_BOOK_STATE_NEW:
    default:
      /* Translators: a book's state on its card: not started yet. */
      badge = _ ("New");
      break;
    }
  gtk_label_set_label (self->badge, badge);
  gtk_progress_bar_set_fraction (self->progress_bar, self->state == KIOS_BOOK_STATE_FINISHED ? 1.0 : progress);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar),
                          self->state == KIOS_BOOK_STATE_READING || self->state == KIOS_BOOK_STATE_FINISHED);
  update_accessible (self, title, badge);

  if (load_cover)
    kios_book_card_load_cover (self);
}

/* ---- a catalog's book ----------------------------------------------------- */

static void start_item_cover (KiosBookCard *self,
                              gboolean      full,
                              gboolean      cached_only);

static void
item_cover_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError)     error = NULL;
  KiosBookCard          *self;
  gboolean               full;
  gboolean               cached_only;

  texture = kios_catalog_item_load_cover_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Not cancelled, so the card (which cancels in unbind and dispose) is alive
   * and still shows the item the load was for. */
  self = KIOS_BOOK_CARD (user_data);
  self->loading = FALSE;
  full = self->loading_full;
  cached_only = self->loading_cached_only;
  if (texture != NULL)
    {
      show_texture (self, texture);
      self->full_cover = full;
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_debug ("No cover: %s", error->message);

  /* Not cached yet: the thumbnail first, then the full cover behind it. */
  if (full && cached_only && texture == NULL)
    start_item_cover (self, FALSE, FALSE);
  else if (!full && self->lazy_cover && !self->at_rest)
    self->full_pending = TRUE;
  else if (!full)
    start_item_cover (self, TRUE, FALSE);
}

static void
start_item_cover (KiosBookCard *self,
                  gboolean      full,
                  gboolean      cached_only)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  /* Each step cancels the one before: a result not cancelled is this one's. */
  self->loading_full = full;
  self->loading_cached_only = cached_only;
  self->loading = TRUE;
  self->cover_pending = FALSE;
  self->full_pending = FALSE;
  kios_catalog_item_load_cover_async (self->item, full, cached_only, COVER_WIDTH * scale, COVER_HEIGHT * scale,
                                      self->cancellable, item_cover_cb, self);
}

/* The first step of an item's cover: the full cover if it is cached, else
 * the thumbnail, then the full cover behind it. */
static void
start_item_covers (KiosBookCard *self)
{
  if (kios_catalog_item_has_thumbnail (self->item))
    start_item_cover (self, TRUE, TRUE);
  else if (kios_catalog_item_has_cover (self->item))
    start_item_cover (self, TRUE, FALSE);
}

/* Covers are made at the slot's size in pixels: after the scale factor
 * changes (the window moved to another monitor) the card asks for its cover
 * again at the new one (the cover keeps only the picture made for the old
 * one, drawn scaled until then). */
static void
scale_factor_cb (KiosBookCard *self)
{
  if (!kios_cover_has_picture (self->cover) && self->cancellable == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->loading = FALSE;
  if (self->book != NULL)
    kios_book_card_load_cover (self);
  else if (self->item != NULL && self->lazy_cover && !self->on_screen)
    self->cover_pending = TRUE;
  else if (self->item != NULL)
    start_item_covers (self);
}

static void
item_state_changed_cb (KiosBookCard *self)
{
  KiosCardState    state = kios_catalog_item_get_state (self->item);
  double           progress = kios_catalog_item_get_progress (self->item);
  g_autofree char *percent = NULL;
  const char      *badge;

  /* Shown with the rest of the item's text. */
  if (self->text_pending)
    return;

  switch (state)
    {
    case KIOS_CARD_STATE_DOWNLOADING:
      /* Translators: how much of a download has arrived, e.g. "42%". */
      percent = progress >= 0.0 ? g_strdup_printf (_ ("%d%%"), (int) (progress * 100.0 + 0.5)) : NULL;
      /* Translators: a catalog book's state on its card. */
      badge = percent != NULL ? percent : _ ("Downloading");
      break;
    case KIOS_CARD_STATE_DOWNLOADED:
      /* Translators: a catalog book's state on its card: it is on this computer. */
      badge = _ ("Downloaded");
      break;
    case KIOS_CARD_STATE_MISSING:
      badge = _ ("Missing");
      break;
    case KIOS_CARD_STATE_ERROR:
      /* Translators: a catalog book's state on its card. */
      badge = _ ("Download failed");
      break;
    case KIOS_CARD_STATE_DOWNLOADABLE:
    case KIOS_CARD_STATE_LOCAL:
    default:
      badge = "";
      break;
    }
  set_state_class (self, card_state_classes[state]);
  gtk_label_set_label (self->badge, badge);
  gtk_widget_set_visible (self->state_box, *badge != '\0');
  gtk_progress_bar_set_fraction (self->progress_bar, MAX (progress, 0.0));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), state == KIOS_CARD_STATE_DOWNLOADING);
  update_accessible (self, kios_catalog_item_get_title (self->item), badge);
}

static void
item_cover_path_cb (KiosBookCard *self)
{
  /* A Kobo shelf's cover landed in the cache while the card showed. */
  if (self->full_cover || kios_catalog_item_get_cover_path (self->item) == NULL)
    return;
  if (self->lazy_cover && !self->on_screen)
    self->cover_pending = TRUE;
  else
    start_item_cover (self, TRUE, FALSE);
}

/* The item's title, author and caption on the card and its state. */
static void
show_item_text (KiosBookCard *self)
{
  const char *title = kios_catalog_item_get_title (self->item);
  const char *authors = kios_catalog_item_get_authors (self->item);
  const char *caption = kios_catalog_item_get_caption (self->item);

  if (self->text_pending)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  self->text_pending = FALSE;
  gtk_label_set_label (self->placeholder_title, title);
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->author_label, authors != NULL ? authors : _ ("Unknown author"));
  gtk_label_set_label (self->caption_label, caption != NULL ? caption : "");
  gtk_widget_set_visible (GTK_WIDGET (self->caption_label), caption != NULL);
  item_state_changed_cb (self);
}

static void
set_item (KiosBookCard    *self,
          KiosCatalogItem *item,
          gboolean         show_text)
{
  gboolean was_pending = self->text_pending;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->loading = FALSE;
  self->cover_pending = FALSE;
  self->full_pending = FALSE;
  self->text_pending = FALSE;
  /* Where the card now sits is for the grid to say after its layout. */
  self->on_screen = FALSE;
  if (self->item != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->item, self);
      g_clear_object (&self->item);
    }
  if (item == NULL)
    {
      /* Measured by its text again. */
      if (was_pending)
        gtk_widget_queue_resize (GTK_WIDGET (self));
      return;
    }
  g_clear_pointer (&self->book, kios_book_record_free);

  reset_cover (self);
  self->item = g_object_ref (item);
  if (show_text)
    show_item_text (self);
  else
    {
      self->text_pending = TRUE;
      if (!was_pending)
        gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (item_state_changed_cb), self);
  g_signal_connect_swapped (item, "notify::progress", G_CALLBACK (item_state_changed_cb), self);
  g_signal_connect_swapped (item, "notify::cover-path", G_CALLBACK (item_cover_path_cb), self);

  if (self->lazy_cover)
    self->cover_pending = TRUE;
  else
    start_item_covers (self);
}

void
kios_book_card_set_item (KiosBookCard    *self,
                         KiosCatalogItem *item)
{
  g_return_if_fail (KIOS_IS_BOOK_CARD (self));
  g_return_if_fail (item == NULL || KIOS_IS_CATALOG_ITEM (item));

  set_item (self, item, TRUE);
}

void
kios_book_card_set_item_deferred (KiosBookCard    *self,
                                  KiosCatalogItem *item)
{
  g_return_if_fail (KIOS_IS_BOOK_CARD (self));
  g_return_if_fail (item == NULL || KIOS_IS_CATALOG_ITEM (item));

  set_item (self, item, FALSE);
}

gboolean
kios_book_card_show_text (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), FALSE);

  if (!self->text_pending || self->item == NULL)
    return FALSE;
  show_item_text (self);
  return TRUE;
}

gboolean
kios_book_card_get_text_pending (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), FALSE);

  return self->item != NULL && self->text_pending;
}

void
kios_book_card_set_lazy_cover (KiosBookCard *self,
                               gboolean      lazy)
{
  g_return_if_fail (KIOS_IS_BOOK_CARD (self));

  self->lazy_cover = lazy;
}

void
kios_book_card_set_on_screen (KiosBookCard *self,
                              gboolean      on_screen,
                              gboolean      at_rest)
{
  g_return_if_fail (KIOS_IS_BOOK_CARD (self));

  if (!self->lazy_cover)
    return;
  self->at_rest = on_screen && at_rest;
  if (self->on_screen == on_screen)
    {
      if (self->at_rest && self->full_pending)
        start_item_cover (self, TRUE, FALSE);
      return;
    }
  self->on_screen = on_screen;
  if (self->item == NULL)
    return;
  if (on_screen)
    {
      if (self->cover_pending)
        start_item_covers (self);
      else if (self->at_rest && self->full_pending)
        start_item_cover (self, TRUE, FALSE);
      return;
    }
  /* Scrolled past before its cover came: the load stops (a fetch still
   * queued asks the server nothing) and goes on if the card comes back. */
  if (self->loading)
    {
      if (self->loading_full && !self->loading_cached_only && kios_cover_has_picture (self->cover))
        self->full_pending = TRUE;
      else
        self->cover_pending = TRUE;
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->loading = FALSE;
    }
}

gboolean
kios_book_card_get_on_screen (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), FALSE);

  return self->on_screen;
}

KiosCatalogItem *
kios_book_card_get_item (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), NULL);

  return self->item;
}

KiosCardState
kios_book_card_get_card_state (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), KIOS_CARD_STATE_LOCAL);

  if (self->item != NULL)
    return kios_catalog_item_get_state (self->item);
  return self->book != NULL && self->state == KIOS_BOOK_STATE_MISSING ? KIOS_CARD_STATE_MISSING
                                                                      : KIOS_CARD_STATE_LOCAL;
}

gboolean
kios_book_card_has_cover (KiosBookCard *self,
                          gboolean      full)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), FALSE);

  return kios_cover_has_picture (self->cover) && (!full || self->item == NULL || self->full_cover);
}

const KiosBookRecord *
kios_book_card_get_book (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), NULL);

  return self->book;
}

KiosBookState
kios_book_card_get_state (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), KIOS_BOOK_STATE_NEW);

  return self->state;
}

const char *
kios_book_card_get_badge (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), NULL);

  return gtk_label_get_label (self->badge);
}

GdkTexture *
kios_book_card_get_cover (KiosBookCard *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_CARD (self), NULL);

  return kios_cover_get_texture (self->cover);
}
