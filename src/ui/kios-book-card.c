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
  KiosLibraryStore *store; /* nullable: where a cover made is recorded */
  KiosBookState     state;
  gboolean          has_state;   /* state's style class is on the card */
  GCancellable     *cancellable; /* the cover load of the book shown */

  /* Template children. */
  GtkOverlay     *cover_overlay;
  GtkWidget      *placeholder;
  GtkLabel       *placeholder_title;
  GtkLabel       *title_label;
  GtkLabel       *author_label;
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

  kios_cover_set_texture (self->cover, texture);
  gtk_widget_set_visible (self->placeholder, FALSE);
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

static void
kios_book_card_dispose (GObject *object)
{
  KiosBookCard *self = KIOS_BOOK_CARD (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->book, kios_book_record_free);

  G_OBJECT_CLASS (kios_book_card_parent_class)->dispose (object);
}

static void
kios_book_card_class_init (KiosBookCardClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_book_card_dispose;

  g_type_ensure (KIOS_TYPE_COVER);
  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-book-card.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, cover_overlay);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, placeholder);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, placeholder_title);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, KiosBookCard, author_label);
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
  gtk_widget_set_size_request (GTK_WIDGET (self), COVER_WIDTH, -1);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
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
  g_autofree char *accessible = NULL;
  const char      *title;
  const char      *badge;
  double           progress;
  KiosBookState    state;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->book, kios_book_record_free);

  /* Unbinding only stops the cover load: the grid binds the card again
   * right after, and every widget change costs a style or size update. */
  if (book == NULL)
    return;

  if (kios_cover_get_texture (self->cover) != NULL)
    {
      kios_cover_set_texture (self->cover, NULL);
      gtk_widget_set_visible (self->placeholder, TRUE);
    }
  self->book = kios_book_record_copy (book);
  state = kios_book_record_get_state (book);
  if (!self->has_state || state != self->state)
    {
      if (self->has_state)
        gtk_widget_remove_css_class (GTK_WIDGET (self), state_classes[self->state]);
      gtk_widget_add_css_class (GTK_WIDGET (self), state_classes[state]);
      self->state = state;
      self->has_state = TRUE;
    }
  title = book->title != NULL && *book->title != '\0' ? book->title : _ ("Untitled");
  progress = CLAMP (book->progress, 0.0, 1.0);

  gtk_label_set_label (self->placeholder_title, title);
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->author_label,
                       book->authors != NULL && *book->authors != '\0' ? book->authors : _ ("Unknown author"));

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

  /* Screen readers get the card as one sentence rather than its pieces.
   * Translators: a book for screen readers: its title, then its state,
   * e.g. "Emma, 42%" or "Emma, Missing". */
  accessible = g_strdup_printf (_ ("%s, %s"), title, badge);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);

  if (load_cover)
    kios_book_card_load_cover (self);
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
