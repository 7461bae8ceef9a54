/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view-private.h"

#include "kios-contents-sidebar.h"
#include "kios-epub.h"
#include "kios-progress-bar.h"

#include <glib/gi18n.h>
#include <math.h>

G_DEFINE_FINAL_TYPE (KiosReaderView, kios_reader_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_STORE,
  PROP_POSITION,
  PROP_CHAPTER_TITLE,
  PROP_PAGE_LABEL,
  PROP_PROGRESS,
  PROP_TOC_INDEX,
  PROP_FONT_SIZE,
  PROP_THEME,
  PROP_MARGIN,
  PROP_LINE_SPACING,
  PROP_PDF_FIT,
  PROP_PDF_ZOOM,
  PROP_CONTENTS_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PAGE_SHOWN,
  SIGNAL_USER_TURNED_PAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* KiosPosition has no GType in core (core stays GObject-light); the view
 * registers one under its own name so it cannot clash with a later one. */
static GType
position_boxed_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    {
      GType t = g_boxed_type_register_static ("KiosReaderViewPosition",
                                              (GBoxedCopyFunc) kios_position_copy,
                                              (GBoxedFreeFunc) kios_position_free);
      g_once_init_leave (&type, t);
    }
  return type;
}

void
kios_reader_view_rgba_from_hex (guint32  hex,
                                double   alpha,
                                GdkRGBA *rgba)
{
  rgba->red = ((hex >> 16) & 0xff) / 255.0;
  rgba->green = ((hex >> 8) & 0xff) / 255.0;
  rgba->blue = (hex & 0xff) / 255.0;
  rgba->alpha = alpha;
}

gboolean
kios_reader_view_is_reflowable (KiosReaderView *self)
{
  return self->document == NULL || kios_document_is_reflowable (self->document);
}

static const KiosTocEntry *
toc_entry (KiosReaderView *self,
           int             index)
{
  GPtrArray *toc;

  if (self->document == NULL || index < 0)
    return NULL;
  toc = kios_document_get_toc (self->document);
  if (toc == NULL || (guint) index >= toc->len)
    return NULL;
  return g_ptr_array_index (toc, index);
}

static void
update_page_label (KiosReaderView *self)
{
  g_autofree char *label = NULL;
  const KiosPage  *page = self->current != NULL ? self->current->page : NULL;
  int              n_pages = self->document != NULL ? kios_document_get_n_pages (self->document) : -1;

  if (page == NULL)
    label = g_strdup ("");
  else if (page->page_number >= 0 && n_pages > 0)
    /* Translators: the page label of the reader, e.g. "Page 12 of 340". */
    label = g_strdup_printf (_ ("Page %d of %d"), MIN (page->page_number + 1, n_pages), n_pages);
  else if (page->chapter_pages > 0)
    /* Translators: shown until the whole book's pages are counted. */
    label = g_strdup_printf (_ ("Page %d of %d in this chapter"),
                             MIN (page->location.page + 1, page->chapter_pages),
                             page->chapter_pages);
  else
    label = g_strdup_printf (_ ("Page %d"), page->location.page + 1);

  if (g_strcmp0 (label, self->page_label) != 0)
    {
      g_free (self->page_label);
      self->page_label = g_steal_pointer (&label);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_LABEL]);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

/* Notches where the book's top-level contents entries start: what a reader
 * calls chapters (spine files can split or merge them, and a PDF's pages
 * are not chapters). Without contents, every spine item of an EPUB. */
static void
update_marks (KiosReaderView *self)
{
  KiosProgressBar   *bar = KIOS_PROGRESS_BAR (self->progress_bar);
  GArray            *chapter_marks;
  GArray            *chapter_starts;
  GPtrArray         *toc;
  g_autoptr (GArray) marks = NULL;
  int                n_chapters;

  if (self->document == NULL)
    {
      kios_progress_bar_set_marks (bar, NULL, 0);
      return;
    }

  chapter_marks = kios_document_get_chapter_marks (self->document);
  chapter_starts = kios_document_get_chapter_starts (self->document);
  toc = kios_document_get_toc (self->document);
  n_chapters = kios_document_get_n_chapters (self->document);
  marks = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; toc != NULL && i < toc->len; i++)
    {
      const KiosTocEntry *entry = g_ptr_array_index (toc, i);
      double              mark;

      if (entry->level != 0 || entry->chapter < 0)
        continue;
      /* The marks are notches (empty chapters left out), not one per chapter. */
      if (chapter_starts != NULL && (guint) entry->chapter < chapter_starts->len)
        mark = g_array_index (chapter_starts, double, entry->chapter);
      else if (n_chapters > 0)
        mark = (double) entry->chapter / n_chapters;
      else
        continue;
      g_array_append_val (marks, mark);
    }

  if (marks->len == 0 && chapter_marks != NULL && kios_document_is_reflowable (self->document))
    g_array_append_vals (marks, chapter_marks->data, chapter_marks->len);

  kios_progress_bar_set_marks (bar, (const double *) (gpointer) marks->data, marks->len);
  kios_reader_view_nav_update_toc (self);
}

static void
update_actions (KiosReaderView *self)
{
  GtkWidget      *widget = GTK_WIDGET (self);
  gboolean        open = self->document != NULL;
  const KiosPage *page = self->current != NULL ? self->current->page : NULL;

  gtk_widget_action_set_enabled (widget, "reader.next-page", open && (page == NULL || !page->is_last));
  gtk_widget_action_set_enabled (widget, "reader.previous-page", open && (page == NULL || !page->is_first));
  gtk_widget_action_set_enabled (widget, "reader.first-page", open);
  gtk_widget_action_set_enabled (widget, "reader.last-page", open);
  gtk_widget_action_set_enabled (widget, "reader.scroll", open);
  gtk_widget_action_set_enabled (widget, "reader.go-to-toc", open);
  gtk_widget_action_set_enabled (widget, "reader.find", open);
}

/* Copies what the page on screen says into the view's properties. */
static void
update_position_properties (KiosReaderView *self)
{
  GObject            *object = G_OBJECT (self);
  const KiosPage     *page = self->current != NULL ? self->current->page : NULL;
  const KiosTocEntry *entry;
  const char         *title = NULL;
  int                 toc_index = -1;
  double              progress = 0.0;

  g_object_freeze_notify (object);

  g_clear_pointer (&self->position, kios_position_free);
  if (page != NULL && page->position != NULL)
    {
      self->position = kios_position_copy (page->position);
      toc_index = kios_document_get_toc_index_at (self->document, page->position);
      /* After a contents jump, the entry picked, even if the page starts
       * with the end of the one before. */
      if (self->anchor_toc >= 0)
        toc_index = self->anchor_toc;
      progress = CLAMP (page->position->total_progress, 0.0, 1.0);
    }
  g_object_notify_by_pspec (object, properties[PROP_POSITION]);

  entry = toc_entry (self, toc_index);
  if (entry != NULL && entry->title != NULL)
    title = entry->title;
  else if (self->position != NULL && self->position->chapter_title != NULL)
    title = self->position->chapter_title;
  else if (self->document != NULL && page != NULL)
    title = kios_document_get_title (self->document);

  if (g_strcmp0 (title, self->chapter_title) != 0)
    {
      g_free (self->chapter_title);
      self->chapter_title = g_strdup (title);
      g_object_notify_by_pspec (object, properties[PROP_CHAPTER_TITLE]);
    }
  if (toc_index != self->toc_index)
    {
      self->toc_index = toc_index;
      g_object_notify_by_pspec (object, properties[PROP_TOC_INDEX]);
    }
  if (progress != self->progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (object, properties[PROP_PROGRESS]);
    }
  kios_progress_bar_set_fraction (KIOS_PROGRESS_BAR (self->progress_bar), progress);
  update_page_label (self);

  g_object_thaw_notify (object);
}

void
kios_reader_view_save_position (KiosReaderView     *self,
                                const KiosPosition *position)
{
  g_autoptr (KiosPosition) copy = NULL;

  if (self->store == NULL || self->document == NULL || position == NULL)
    return;
  copy = kios_position_copy (position);
  copy->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  /* It is now this device's position, even when it came from another one:
   * the worker stamps the pages it makes with this device's name and id. */
  if (self->current != NULL && self->current->page->position != NULL && copy != self->current->page->position)
    {
      const KiosPosition *own = self->current->page->position;

      g_free (copy->device);
      copy->device = g_strdup (own->device);
      g_free (copy->device_id);
      copy->device_id = g_strdup (own->device_id);
    }
  /* Queued on the store's writer thread: this never waits for the disk. */
  kios_library_store_save_position (self->store, kios_document_get_hash (self->document), copy);
}

static void
hide_spinner (KiosReaderView *self)
{
  g_clear_handle_id (&self->spinner_timeout_id, g_source_remove);
  /* Also called from dispose, which may run twice. */
  if (self->spinner == NULL)
    return;
  gtk_spinner_stop (GTK_SPINNER (self->spinner));
  gtk_widget_set_visible (self->spinner, FALSE);
}

static gboolean
spinner_timeout_cb (gpointer user_data)
{
  KiosReaderView *self = user_data;

  self->spinner_timeout_id = 0;
  if (self->document != NULL && self->current == NULL &&
      (self->status_page == NULL || !gtk_widget_get_visible (self->status_page)))
    {
      gtk_widget_set_visible (self->spinner, TRUE);
      gtk_spinner_start (GTK_SPINNER (self->spinner));
    }
  return G_SOURCE_REMOVE;
}

static void
hide_status (KiosReaderView *self)
{
  if (self->status_page != NULL)
    gtk_widget_set_visible (self->status_page, FALSE);
}

void
kios_reader_view_show_status (KiosReaderView *self,
                              const char     *message)
{
  hide_spinner (self);
  /* Made the first time a page fails: the first frame does not need it. */
  if (self->status_page == NULL)
    {
      self->status_page = adw_status_page_new ();
      gtk_widget_set_name (self->status_page, "reader-error");
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (self->status_page), "dialog-warning-symbolic");
      adw_status_page_set_title (ADW_STATUS_PAGE (self->status_page), _ ("This Page Could Not Be Shown"));
      gtk_widget_add_css_class (self->status_page, "background");
      gtk_widget_insert_after (self->status_page, GTK_WIDGET (self), self->progress_bar);
    }
  adw_status_page_set_description (ADW_STATUS_PAGE (self->status_page), message);
  gtk_widget_set_visible (self->status_page, TRUE);
}

/* Puts sheet on screen (taking it) and does everything a new page implies. */
void
kios_reader_view_page_changed (KiosReaderView     *self,
                               Sheet              *sheet,
                               ShowReason          reason,
                               const KiosPosition *save,
                               gboolean            keep_neighbours)
{
  const KiosPage *page;
  int             queued;

  if (!keep_neighbours)
    kios_reader_view_drop_neighbours (self);
  else
    {
      /* In-flight pre-renders started from the old page are its neighbours, not ours. */
      kios_reader_view_cancel_slot (self, SLOT_NEXT);
      kios_reader_view_cancel_slot (self, SLOT_PREV);
    }

  kios_reader_view_sheet_free (self->current);
  self->current = sheet;
  page = sheet->page;
  hide_status (self);
  hide_spinner (self);

  if (reason != SHOW_REFRESH)
    {
      self->scroll_y = self->show_bottom ? G_MAXDOUBLE : 0.0;
      self->scroll_accum = 0.0;
    }
  self->show_bottom = FALSE;

  /* A contents entry that starts mid-page stays the anchor across relayouts:
   * the page's first words may belong to the chapter before. */
  if (reason == SHOW_TOC)
    self->anchor_toc = self->pending_toc;
  else if (reason != SHOW_RELAYOUT && reason != SHOW_REFRESH)
    self->anchor_toc = -1;

  update_position_properties (self);
  kios_reader_view_nav_page_changed (self, reason, keep_neighbours && reason == SHOW_USER);

  switch (reason)
    {
    case SHOW_RESTORE:
      if (self->anchor == NULL && page->position != NULL)
        self->anchor = kios_position_copy (page->position);
      break;

    case SHOW_TOC:
    case SHOW_USER:
      g_clear_pointer (&self->anchor, kios_position_free);
      if (page->position != NULL)
        self->anchor = kios_position_copy (page->position);
      kios_reader_view_save_position (self, page->position);
      break;

    case SHOW_JUMP:
      g_clear_pointer (&self->anchor, kios_position_free);
      if (save != NULL)
        self->anchor = kios_position_copy (save);
      else if (page->position != NULL)
        self->anchor = kios_position_copy (page->position);
      kios_reader_view_save_position (self, save != NULL ? save : page->position);
      break;

    case SHOW_FIND:
      g_clear_pointer (&self->anchor, kios_position_free);
      self->anchor = kios_position_copy (save != NULL ? save : page->position);
      break;

    case SHOW_RELAYOUT:
    case SHOW_REFRESH:
    default:
      break;
    }

  if (reason == SHOW_FIND && self->find_visible)
    {
      self->find_match_location = page->location;
      self->find_match_valid = TRUE;
    }
  kios_reader_view_update_find_highlights (self);
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  kios_reader_view_prefetch_neighbours (self);
  /* After the neighbours: their renders go first on the worker. */
  kios_reader_selection_page_changed (self);

  g_signal_emit (self, signals[SIGNAL_PAGE_SHOWN], 0);
  if (reason == SHOW_USER || reason == SHOW_TOC)
    g_signal_emit (self, signals[SIGNAL_USER_TURNED_PAGE], 0);

  /* A turn asked for while this page was on its way. */
  queued = self->queued_turn;
  self->queued_turn = 0;
  if (queued != 0)
    kios_reader_view_turn (self, queued);
}

static void
n_pages_cb (KiosDocument   *document,
            GParamSpec     *pspec,
            KiosReaderView *self)
{
  update_marks (self);
  /* The page on screen was numbered before the count finished: ask again (cheap). */
  if (self->current != NULL && self->current->page->page_number < 0 &&
      kios_document_get_n_pages (document) > 0 && !self->show_spec.valid)
    {
      KiosLocation location = self->current->page->location;

      kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_REFRESH, NULL);
    }
  else
    update_page_label (self);
}

static void
style_dark_cb (AdwStyleManager *manager,
               GParamSpec      *pspec,
               KiosReaderView  *self)
{
  if (self->theme == NULL || g_str_equal (self->theme, "auto"))
    {
      kios_reader_view_update_ink (self);
      kios_reader_view_queue_apply (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
scale_factor_cb (KiosReaderView *self,
                 GParamSpec     *pspec,
                 gpointer        user_data)
{
  kios_reader_view_geometry_maybe_changed (self);
}

static void
entry_activated_cb (KiosReaderView *self,
                    int             index)
{
  /* A sidebar over the page has done its job once the reader picked a chapter. */
  if (!kios_reader_view_sidebar_docked (self))
    kios_reader_view_set_contents_visible (self, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
detach_document (KiosReaderView *self)
{
  for (Slot slot = 0; slot < N_SLOTS; slot++)
    kios_reader_view_cancel_slot (self, slot);
  kios_reader_view_show_spec_clear (&self->show_spec);
  if (self->document != NULL)
    {
      g_clear_signal_handler (&self->n_pages_handler, self->document);
      g_clear_signal_handler (&self->marks_handler, self->document);
    }
  g_clear_object (&self->document);
  g_clear_pointer (&self->current, kios_reader_view_sheet_free);
  g_clear_pointer (&self->next, kios_reader_view_sheet_free);
  g_clear_pointer (&self->prev, kios_reader_view_sheet_free);
  kios_reader_view_drop_neighbours (self);
  g_clear_pointer (&self->anchor, kios_position_free);
  g_clear_handle_id (&self->layout_timeout_id, g_source_remove);
  if (self->find_bar != NULL)
    {
      kios_reader_view_set_find_visible (self, FALSE, FALSE);
      kios_find_bar_reset (KIOS_FIND_BAR (self->find_bar));
    }
  hide_spinner (self);
  kios_reader_view_nav_reset (self);
  kios_reader_selection_reset (self);
  kios_reader_annotations_close (self);
  self->have_geometry = FALSE;
  self->have_layout = FALSE;
  self->queued_turn = 0;
  self->anchor_toc = -1;
  self->scroll_y = 0.0;
}

static void
kios_reader_view_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (kios_reader_view_parent_class)->root (widget);
  kios_reader_view_track_root_focus (KIOS_READER_VIEW (widget), TRUE);
}

static void
kios_reader_view_unroot (GtkWidget *widget)
{
  kios_reader_view_track_root_focus (KIOS_READER_VIEW (widget), FALSE);
  GTK_WIDGET_CLASS (kios_reader_view_parent_class)->unroot (widget);
}

void
kios_reader_view_emit_user_turned_page (KiosReaderView *self)
{
  g_signal_emit (self, signals[SIGNAL_USER_TURNED_PAGE], 0);
}

static void
kios_reader_view_dispose (GObject *object)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  detach_document (self);
  g_clear_signal_handler (&self->dark_handler, adw_style_manager_get_default ());
  g_clear_object (&self->store);
  g_clear_pointer (&self->progress_bar, gtk_widget_unparent);
  g_clear_pointer (&self->status_page, gtk_widget_unparent);
  g_clear_pointer (&self->spinner, gtk_widget_unparent);
  g_clear_pointer (&self->sidebar, gtk_widget_unparent);
  g_clear_pointer (&self->find_bar, gtk_widget_unparent);
  kios_reader_view_nav_dispose (self);
  kios_reader_selection_dispose (self);
  kios_reader_annotations_dispose (self);
  if (self->find_cancellable != NULL)
    g_cancellable_cancel (self->find_cancellable);
  g_clear_object (&self->find_cancellable);
  g_clear_weak_pointer (&self->popover_focus);

  G_OBJECT_CLASS (kios_reader_view_parent_class)->dispose (object);
}

static void
kios_reader_view_finalize (GObject *object)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  g_clear_pointer (&self->position, kios_position_free);
  g_clear_pointer (&self->chapter_title, g_free);
  g_clear_pointer (&self->page_label, g_free);
  g_clear_pointer (&self->theme, g_free);
  g_clear_pointer (&self->find_rects, g_array_unref);
  g_clear_pointer (&self->find_origin, kios_position_free);

  G_OBJECT_CLASS (kios_reader_view_parent_class)->finalize (object);
}

static void
kios_reader_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;

    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_POSITION:
      g_value_set_boxed (value, self->position);
      break;

    case PROP_CHAPTER_TITLE:
      g_value_set_string (value, self->chapter_title);
      break;

    case PROP_PAGE_LABEL:
      g_value_set_string (value, self->page_label);
      break;

    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;

    case PROP_TOC_INDEX:
      g_value_set_int (value, self->toc_index);
      break;

    case PROP_FONT_SIZE:
      g_value_set_double (value, self->font_size);
      break;

    case PROP_THEME:
      g_value_set_string (value, self->theme);
      break;

    case PROP_MARGIN:
      g_value_set_double (value, self->margin);
      break;

    case PROP_LINE_SPACING:
      g_value_set_double (value, self->line_spacing);
      break;

    case PROP_PDF_FIT:
      g_value_set_string (value, self->pdf_fit == KIOS_FIT_WIDTH ? "width" : "page");
      break;

    case PROP_PDF_ZOOM:
      g_value_set_double (value, self->pdf_zoom);
      break;

    case PROP_CONTENTS_VISIBLE:
      g_value_set_boolean (value, self->contents_visible);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_double_prop (KiosReaderView *self,
                 double         *field,
                 double          value,
                 int             prop_id)
{
  if (*field == value)
    return;
  *field = value;
  kios_reader_view_queue_apply (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
kios_reader_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      kios_reader_view_set_store (self, g_value_get_object (value));
      break;

    case PROP_FONT_SIZE:
      set_double_prop (self, &self->font_size, g_value_get_double (value), prop_id);
      break;

    case PROP_MARGIN:
      set_double_prop (self, &self->margin, g_value_get_double (value), prop_id);
      break;

    case PROP_LINE_SPACING:
      set_double_prop (self, &self->line_spacing, g_value_get_double (value), prop_id);
      break;

    case PROP_PDF_ZOOM:
      if (!kios_reader_view_is_reflowable (self))
        self->render_dirty = TRUE;
      set_double_prop (self, &self->pdf_zoom, g_value_get_double (value), prop_id);
      break;

    case PROP_THEME:
      {
        const char *theme = g_value_get_string (value);

        if (theme == NULL || !g_strv_contains ((const char *[]){ "auto", "light", "sepia", "dark", NULL }, theme))
          {
            g_warning ("Unknown reader theme “%s”, using “auto”", theme != NULL ? theme : "(null)");
            theme = "auto";
          }
        if (g_strcmp0 (theme, self->theme) == 0)
          break;
        g_free (self->theme);
        self->theme = g_strdup (theme);
        kios_reader_view_update_ink (self);
        kios_reader_view_queue_apply (self);
        gtk_widget_queue_draw (GTK_WIDGET (self));
        g_object_notify_by_pspec (object, pspec);
      }
      break;

    case PROP_CONTENTS_VISIBLE:
      kios_reader_view_set_contents_visible (self, g_value_get_boolean (value));
      break;

    case PROP_PDF_FIT:
      {
        const char *fit = g_value_get_string (value);
        KiosFitMode mode = g_strcmp0 (fit, "width") == 0 ? KIOS_FIT_WIDTH : KIOS_FIT_PAGE;

        if (mode == self->pdf_fit)
          break;
        self->pdf_fit = mode;
        /* Same box, new fit: only the render parameters change. */
        if (!kios_reader_view_is_reflowable (self))
          self->render_dirty = TRUE;
        kios_reader_view_queue_apply (self);
        g_object_notify_by_pspec (object, pspec);
      }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_reader_view_class_init (KiosReaderViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_reader_view_dispose;
  object_class->finalize = kios_reader_view_finalize;
  object_class->get_property = kios_reader_view_get_property;
  object_class->set_property = kios_reader_view_set_property;

  widget_class->root = kios_reader_view_root;
  widget_class->unroot = kios_reader_view_unroot;
  widget_class->snapshot = kios_reader_view_snapshot;
  widget_class->measure = kios_reader_view_measure;
  widget_class->size_allocate = kios_reader_view_size_allocate;

  properties[PROP_DOCUMENT] =
      g_param_spec_object ("document", NULL, NULL,
                           KIOS_TYPE_DOCUMENT,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
      g_param_spec_object ("store", NULL, NULL,
                           KIOS_TYPE_LIBRARY_STORE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_POSITION] =
      g_param_spec_boxed ("position", NULL, NULL,
                          position_boxed_get_type (),
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHAPTER_TITLE] =
      g_param_spec_string ("chapter-title", NULL, NULL,
                           NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE_LABEL] =
      g_param_spec_string ("page-label", NULL, NULL,
                           NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
      g_param_spec_double ("progress", NULL, NULL,
                           0.0, 1.0, 0.0,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOC_INDEX] =
      g_param_spec_int ("toc-index", NULL, NULL,
                        -1, G_MAXINT, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FONT_SIZE] =
      g_param_spec_double ("font-size", NULL, NULL,
                           MIN_FONT_SIZE, MAX_FONT_SIZE, DEFAULT_FONT_SIZE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THEME] =
      g_param_spec_string ("theme", NULL, NULL,
                           "auto",
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MARGIN] =
      g_param_spec_double ("margin", NULL, NULL,
                           0.0, 400.0, 48.0,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LINE_SPACING] =
      g_param_spec_double ("line-spacing", NULL, NULL,
                           1.0, 2.0, 1.4,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PDF_FIT] =
      g_param_spec_string ("pdf-fit", NULL, NULL,
                           "page",
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PDF_ZOOM] =
      g_param_spec_double ("pdf-zoom", NULL, NULL,
                           MIN_ZOOM, MAX_ZOOM, 1.0,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTENTS_VISIBLE] =
      g_param_spec_boolean ("contents-visible", NULL, NULL,
                            FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosReaderView::page-shown:
   * @self: the view
   *
   * A new page is on screen (any reason: kios_reader_view_turn, jump, relayout, re-render).
   */
  signals[SIGNAL_PAGE_SHOWN] =
      g_signal_new ("page-shown",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);

  /**
   * KiosReaderView::user-turned-page:
   * @self: the view
   *
   * The reader moved by their own action (a turn, first/last page, the contents).
   */
  signals[SIGNAL_USER_TURNED_PAGE] =
      g_signal_new ("user-turned-page",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);

  kios_reader_view_class_init_actions (widget_class);
  kios_reader_view_class_init_nav (widget_class);
  kios_reader_selection_class_init (widget_class);
  kios_reader_annotations_class_init (widget_class);

  gtk_widget_class_set_css_name (widget_class, "kiosreaderview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_DOCUMENT);
}

static void
kios_reader_view_init (KiosReaderView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);

  self->font_size = DEFAULT_FONT_SIZE;
  self->margin = 48.0;
  self->line_spacing = 1.4;
  self->pdf_zoom = 1.0;
  self->pdf_fit = KIOS_FIT_PAGE;
  self->theme = g_strdup ("auto");
  self->toc_index = -1;
  self->pending_toc = -1;
  self->anchor_toc = -1;
  self->press_on_page = TRUE;
  kios_reader_view_resolve_colors (self, &self->foreground, &self->background);

  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_overflow (widget, GTK_OVERFLOW_HIDDEN);

  self->progress_bar = kios_progress_bar_new ();
  gtk_widget_set_parent (self->progress_bar, widget);
  kios_reader_view_update_ink (self);

  self->spinner = gtk_spinner_new ();
  gtk_widget_set_size_request (self->spinner, 32, 32);
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_widget_set_parent (self->spinner, widget);

  kios_reader_view_nav_init (self);
  kios_reader_view_init_controllers (self);
  kios_reader_view_nav_init_shortcuts (self);
  kios_reader_selection_init (self);

  g_signal_connect (widget, "notify::scale-factor", G_CALLBACK (scale_factor_cb), NULL);
  self->dark_handler = g_signal_connect (adw_style_manager_get_default (), "notify::dark",
                                         G_CALLBACK (style_dark_cb), self);

  update_actions (self);
}

KiosReaderView *
kios_reader_view_new (void)
{
  return g_object_new (KIOS_TYPE_READER_VIEW, NULL);
}

void
kios_reader_view_set_store (KiosReaderView   *self,
                            KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (g_set_object (&self->store, store))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

void
kios_reader_view_open (KiosReaderView     *self,
                       KiosDocument       *document,
                       const KiosPosition *start)
{
  KiosLocation             first = { 0, 0 };
  g_autoptr (KiosDocument) keep = NULL;
  g_autoptr (KiosPosition) start_copy = NULL;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (KIOS_IS_DOCUMENT (document));

  /* Either may belong to the view itself (reopening where it stands), and
   * closing frees what the view owns. */
  keep = g_object_ref (document);
  start_copy = start != NULL ? kios_position_copy (start) : NULL;
  start = start_copy;

  g_object_freeze_notify (G_OBJECT (self));

  kios_reader_view_close (self);
  self->document = g_object_ref (document);
  self->n_pages_handler = g_signal_connect (document, "notify::n-pages", G_CALLBACK (n_pages_cb), self);
  self->marks_handler = g_signal_connect_swapped (document, "notify::chapter-marks", G_CALLBACK (update_marks), self);
  update_marks (self);
  update_actions (self);
  kios_reader_annotations_open (self);

  if (start != NULL)
    {
      self->anchor = kios_position_copy (start);
      kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, start, -1, SHOW_RESTORE, NULL);
    }
  else
    kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_LOCATION, &first, NULL, -1, SHOW_RESTORE, NULL);
  self->spinner_timeout_id = g_timeout_add (SPINNER_DELAY_MS, spinner_timeout_cb, self);

  /* Already allocated (another book was open): lay out now, else at the first allocation. */
  if (gtk_widget_get_width (GTK_WIDGET (self)) > 0)
    kios_reader_view_apply_geometry (self);
  else
    gtk_widget_queue_allocate (GTK_WIDGET (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
kios_reader_view_close (KiosReaderView *self)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->document == NULL)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  detach_document (self);
  hide_status (self);
  update_position_properties (self);
  update_marks (self);
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  g_object_thaw_notify (G_OBJECT (self));
}

KiosDocument *
kios_reader_view_get_document (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->document;
}

const KiosPosition *
kios_reader_view_get_position (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->position;
}

void
kios_reader_view_go_to_position (KiosReaderView     *self,
                                 const KiosPosition *position)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (position != NULL);

  if (self->document == NULL)
    return;
  self->queued_turn = 0;
  kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, position, -1, SHOW_JUMP, position);
}

void
kios_reader_view_go_to_toc (KiosReaderView *self,
                            int             index)
{
  GPtrArray *toc;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->document == NULL)
    return;
  toc = kios_document_get_toc (self->document);
  if (index < 0 || toc == NULL || (guint) index >= toc->len)
    {
      g_warning ("No contents entry %d in this book", index);
      return;
    }
  kios_reader_view_record_jump (self);
  self->queued_turn = 0;
  self->pending_toc = index;
  kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_TOC_ENTRY, NULL, NULL, index, SHOW_TOC, NULL);
}

const char *
kios_reader_view_get_page_label (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->page_label != NULL ? self->page_label : "";
}

const char *
kios_reader_view_get_chapter_title (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->chapter_title;
}

const KiosPage *
kios_reader_view_get_page (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->current != NULL ? self->current->page : NULL;
}

int
kios_reader_view_get_toc_index (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), -1);

  return self->toc_index;
}

double
kios_reader_view_get_progress (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), 0.0);

  return self->progress;
}

gboolean
kios_reader_view_get_contents_visible (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  return self->contents_visible;
}

void
kios_reader_view_set_contents_visible (KiosReaderView *self,
                                       gboolean        visible)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  visible = !!visible;
  if (visible == self->contents_visible)
    return;
  self->contents_visible = visible;
  if (!visible && self->sidebar != NULL && gtk_widget_get_focus_child (GTK_WIDGET (self)) == self->sidebar)
    gtk_widget_grab_focus (GTK_WIDGET (self));
  if (visible || self->sidebar != NULL)
    gtk_widget_set_visible (kios_reader_view_get_contents_sidebar (self), visible);
  /* From the keyboard (F9), the list takes the keys until a chapter is picked. */
  if (visible && gtk_widget_has_focus (GTK_WIDGET (self)))
    gtk_widget_grab_focus (self->sidebar);
  /* The page moves beside a docked sidebar: lay it out now, not after a debounce. */
  kios_reader_view_queue_apply (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENTS_VISIBLE]);
}

/* The sidebar the view shows when contents-visible is set, made the first
 * time it is shown or asked for: a view that only reads (a start on a book)
 * never builds its lists before the first page. */
GtkWidget *
kios_reader_view_get_contents_sidebar (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  if (self->sidebar == NULL)
    {
      self->sidebar = kios_contents_sidebar_new (self);
      gtk_widget_add_css_class (self->sidebar, "background");
      gtk_widget_set_visible (self->sidebar, FALSE);
      /* Where it always was among the children: above the spinner, below
       * the page's pills and bars. */
      gtk_widget_insert_after (self->sidebar, GTK_WIDGET (self), self->spinner);
      g_signal_connect_swapped (self->sidebar, "entry-activated", G_CALLBACK (entry_activated_cb), self);
    }
  return self->sidebar;
}
