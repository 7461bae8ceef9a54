/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-start-view"

#include "config.h"

#include "kios-start-view.h"

#include "kios-cover.h"

#include <glib/gi18n.h>

/* Enough to fill a large screen; older books are a library page's job. */
#define RECENT_LIMIT 48
/* Most books open faster than this: only slower ones show the spinner, so a
 * quick open does not flash it. */
#define OPENING_DELAY_MS 250
#define COVER_WIDTH 120
#define COVER_HEIGHT 180

struct _KiosStartView
{
  AdwBin parent_instance;

  KiosLibraryStore *store;
  GCancellable     *cancellable; /* the current reload and its cover loads */
  GPtrArray        *books;       /* element-type KiosBookRecord, display order */

  /* Template children. */
  GtkStack      *stack;
  GtkFlowBox    *flow_box;
  AdwStatusPage *opening_page;
  GtkSpinner    *spinner;

  guint opening_timeout_id;
  guint loading : 1;
  guint opening : 1;
};

G_DEFINE_FINAL_TYPE (KiosStartView, kios_start_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_BOOK_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_visible_page (KiosStartView *self)
{
  const char *name;
  gboolean    show_spinner = self->opening && self->opening_timeout_id == 0;

  if (show_spinner)
    name = "opening";
  else if (self->books->len > 0)
    name = "books";
  else
    name = "empty";

  gtk_spinner_set_spinning (self->spinner, show_spinner);
  gtk_stack_set_visible_child_name (self->stack, name);
}

static void
opening_timeout_cb (gpointer user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);

  self->opening_timeout_id = 0;
  update_visible_page (self);
}

static void
load_cover_worker (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  const char *path = task_data;
  GError     *error = NULL;
  GdkTexture *texture;

  /* Decoding a PNG is file I/O plus CPU work: never on the main thread. */
  texture = gdk_texture_new_from_filename (path, &error);
  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
load_cover_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (KiosCover)  cover = user_data;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError)     error = NULL;
  GtkWidget             *placeholder;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (texture == NULL)
    {
      /* A missing cover keeps the placeholder; the next open renders a new one. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No cover: %s", error->message);
      return;
    }

  kios_cover_set_texture (cover, texture);
  placeholder = gtk_widget_get_next_sibling (GTK_WIDGET (cover));
  if (placeholder != NULL)
    gtk_widget_set_visible (placeholder, FALSE);
}

static GtkWidget *
create_book_card (KiosStartView        *self,
                  const KiosBookRecord *book)
{
  GtkWidget       *box;
  GtkWidget       *cover_overlay;
  GtkWidget       *cover;
  GtkWidget       *placeholder;
  GtkWidget       *placeholder_title;
  GtkWidget       *icon;
  GtkWidget       *title;
  GtkWidget       *author;
  GtkWidget       *progress_box;
  GtkWidget       *progress_bar;
  GtkWidget       *percent;
  g_autofree char *percent_text = NULL;
  g_autofree char *accessible_label = NULL;
  const char      *title_text;
  double           progress;

  title_text = book->title != NULL && *book->title != '\0' ? book->title : _ ("Untitled");
  progress = CLAMP (book->progress, 0.0, 1.0);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_halign (box, GTK_ALIGN_START);
  gtk_widget_set_valign (box, GTK_ALIGN_START);
  gtk_widget_set_size_request (box, COVER_WIDTH, -1);
  if (book->path != NULL)
    gtk_widget_set_tooltip_text (box, book->path);

  /* The cover, with a placeholder showing the title on top until (or
   * unless) the cover image arrives. */
  cover_overlay = gtk_overlay_new ();
  gtk_widget_set_halign (cover_overlay, GTK_ALIGN_START);
  cover = kios_cover_new (COVER_WIDTH, COVER_HEIGHT);
  gtk_overlay_set_child (GTK_OVERLAY (cover_overlay), cover);
  gtk_box_append (GTK_BOX (box), cover_overlay);

  placeholder = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_overflow (placeholder, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (placeholder, "book-cover");
  gtk_widget_add_css_class (placeholder, "book-cover-placeholder");
  icon = gtk_image_new_from_icon_name ("app.kios.Kios-symbolic");
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
  gtk_widget_set_opacity (icon, 0.7);
  gtk_widget_set_margin_top (icon, 24);
  gtk_box_append (GTK_BOX (placeholder), icon);
  placeholder_title = gtk_label_new (title_text);
  gtk_label_set_wrap (GTK_LABEL (placeholder_title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (placeholder_title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (placeholder_title), 4);
  gtk_label_set_ellipsize (GTK_LABEL (placeholder_title), PANGO_ELLIPSIZE_END);
  gtk_label_set_justify (GTK_LABEL (placeholder_title), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (placeholder_title), 8);
  gtk_box_append (GTK_BOX (placeholder), placeholder_title);
  gtk_overlay_add_overlay (GTK_OVERLAY (cover_overlay), placeholder);

  title = gtk_label_new (title_text);
  gtk_widget_set_name (title, "title");
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (title), 2);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 12);
  gtk_widget_set_margin_top (title, 6);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);

  author = gtk_label_new (book->authors != NULL && *book->authors != '\0'
                              ? book->authors
                              : _ ("Unknown author"));
  gtk_widget_set_name (author, "author");
  gtk_label_set_xalign (GTK_LABEL (author), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (author), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (author), 12);
  gtk_widget_add_css_class (author, "caption");
  gtk_widget_add_css_class (author, "dim-label");
  gtk_box_append (GTK_BOX (box), author);

  progress_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  progress_bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (progress_bar), progress);
  gtk_widget_set_hexpand (progress_bar, TRUE);
  gtk_widget_set_valign (progress_bar, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (progress_bar, "book-progress");
  gtk_box_append (GTK_BOX (progress_box), progress_bar);
  /* Translators: how much of a book has been read, e.g. "42%". */
  percent_text = g_strdup_printf (_ ("%d%%"), (int) (progress * 100.0 + 0.5));
  percent = gtk_label_new (percent_text);
  /* Screen readers get the card as one sentence rather than its pieces.
   * Translators: a book for screen readers: its title, then how much of it
   * was read, e.g. "Emma, 42% read". */
  accessible_label = g_strdup_printf (_ ("%s, %s read"), title_text, percent_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_label, -1);
  gtk_widget_add_css_class (percent, "caption");
  gtk_widget_add_css_class (percent, "dim-label");
  gtk_widget_add_css_class (percent, "numeric");
  gtk_box_append (GTK_BOX (progress_box), percent);
  gtk_box_append (GTK_BOX (box), progress_box);

  if (book->cover_path != NULL && *book->cover_path != '\0')
    {
      g_autoptr (GTask) task = NULL;

      task = g_task_new (self, self->cancellable, load_cover_cb, g_object_ref (cover));
      g_task_set_source_tag (task, create_book_card);
      g_task_set_task_data (task, g_strdup (book->cover_path), g_free);
      g_task_run_in_thread (task, load_cover_worker);
    }

  return box;
}

static void
rebuild_cards (KiosStartView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->flow_box))) != NULL)
    gtk_flow_box_remove (self->flow_box, child);

  for (guint i = 0; i < self->books->len; i++)
    gtk_flow_box_append (self->flow_box, create_book_card (self, g_ptr_array_index (self->books, i)));
}

static void
list_recent_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (KiosStartView) self = user_data;
  g_autoptr (GPtrArray)     books = NULL;
  g_autoptr (GError)        error = NULL;

  books = kios_library_store_list_recent_finish (KIOS_LIBRARY_STORE (source_object), result, &error);
  if (books == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  g_ptr_array_set_size (self->books, 0);

  if (books == NULL)
    {
      /* The empty state still lets the reader open a book; the store logs details. */
      g_warning ("Could not list recent books: %s", error->message);
    }
  else
    {
      for (guint i = 0; i < books->len; i++)
        g_ptr_array_add (self->books, kios_book_record_copy (g_ptr_array_index (books, i)));
    }

  rebuild_cards (self);
  update_visible_page (self);
}

static void
child_activated_cb (KiosStartView   *self,
                    GtkFlowBoxChild *child)
{
  int                   index = gtk_flow_box_child_get_index (child);
  const KiosBookRecord *book;

  if (index < 0 || (guint) index >= self->books->len)
    return;

  book = g_ptr_array_index (self->books, index);
  if (book->path != NULL)
    g_signal_emit (self, signals[SIGNAL_BOOK_ACTIVATED], 0, book->path);
}

static void
kios_start_view_dispose (GObject *object)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_handle_id (&self->opening_timeout_id, g_source_remove);

  /* AdwBin unparents its child (the template's stack) itself. */
  G_OBJECT_CLASS (kios_start_view_parent_class)->dispose (object);
}

static void
kios_start_view_finalize (GObject *object)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  g_clear_pointer (&self->books, g_ptr_array_unref);

  G_OBJECT_CLASS (kios_start_view_parent_class)->finalize (object);
}

static void
kios_start_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_start_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KiosStartView *self = KIOS_START_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      kios_start_view_set_store (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_start_view_class_init (KiosStartViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_start_view_dispose;
  object_class->finalize = kios_start_view_finalize;
  object_class->get_property = kios_start_view_get_property;
  object_class->set_property = kios_start_view_set_property;

  properties[PROP_STORE] =
      g_param_spec_object ("store", NULL, NULL,
                           KIOS_TYPE_LIBRARY_STORE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosStartView::book-activated:
   * @self: the start view
   * @path: the book's file path
   *
   * Emitted when the reader picks a book to continue reading.
   */
  signals[SIGNAL_BOOK_ACTIVATED] =
      g_signal_new ("book-activated",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-start-view.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, stack);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, flow_box);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, opening_page);
  gtk_widget_class_bind_template_child (widget_class, KiosStartView, spinner);
  gtk_widget_class_bind_template_callback (widget_class, child_activated_cb);
}

static void
kios_start_view_init (KiosStartView *self)
{
  self->books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  update_visible_page (self);
}

KiosStartView *
kios_start_view_new (void)
{
  return g_object_new (KIOS_TYPE_START_VIEW, NULL);
}

KiosLibraryStore *
kios_start_view_get_store (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return self->store;
}

void
kios_start_view_set_store (KiosStartView    *self,
                           KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  kios_start_view_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

void
kios_start_view_reload (KiosStartView *self)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));

  /* A newer reload replaces an older one still running, covers included. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->store == NULL)
    {
      self->loading = FALSE;
      g_ptr_array_set_size (self->books, 0);
      rebuild_cards (self);
      update_visible_page (self);
      return;
    }

  self->loading = TRUE;
  kios_library_store_list_recent_async (self->store, RECENT_LIMIT, self->cancellable,
                                        list_recent_cb, g_object_ref (self));
}

gboolean
kios_start_view_is_loading (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), FALSE);

  return self->loading;
}

void
kios_start_view_set_opening (KiosStartView *self,
                             const char    *file_name)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));

  g_clear_handle_id (&self->opening_timeout_id, g_source_remove);
  self->opening = file_name != NULL;
  if (self->opening)
    {
      adw_status_page_set_description (self->opening_page, file_name);
      self->opening_timeout_id = g_timeout_add_once (OPENING_DELAY_MS, opening_timeout_cb, self);
    }
  update_visible_page (self);
}

const char *
kios_start_view_get_visible_page (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

guint
kios_start_view_get_n_books (KiosStartView *self)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), 0);

  return self->books->len;
}

const KiosBookRecord *
kios_start_view_get_book (KiosStartView *self,
                          guint          index)
{
  g_return_val_if_fail (KIOS_IS_START_VIEW (self), NULL);

  if (index >= self->books->len)
    return NULL;

  return g_ptr_array_index (self->books, index);
}
