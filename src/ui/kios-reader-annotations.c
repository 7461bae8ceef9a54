/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-annotations.h"
#include "kios-reader-view-private.h"

#include "kios-annotation-text.h"
#include "kios-contents-sidebar.h"

#include <glib/gi18n.h>

/* A bookmark's text: the first words of its page. */
#define BOOKMARK_WORDS 12

static guint changed_signal;
static guint bookmark_signal;

static void update_boxes (KiosReaderView *self);

/* ------------------------------------------------------------------------ */
/* The book's annotations, and the highlights of the page on screen.       */

/* Whether (chapter, offset) is at or after position p. */
static int
compare_point (int                 chapter,
               gint64              offset,
               const KiosPosition *p)
{
  if (chapter != p->chapter)
    return chapter < p->chapter ? -1 : 1;
  return offset < p->offset ? -1 : (offset > p->offset ? 1 : 0);
}

/* The header's bookmark button follows this. */
static void
set_page_bookmarked (KiosReaderView *self,
                     gboolean        bookmarked)
{
  if (self->page_bookmarked == !!bookmarked)
    return;
  self->page_bookmarked = !!bookmarked;
  g_signal_emit (self, bookmark_signal, 0);
}

/* The highlights of one page on screen, from its text (or NULL), into
 * runs; bookmarked: whether a bookmark is on it. Most of a book's
 * annotations are elsewhere in it: only those overlapping the page's first
 * and last offsets are looked for among its characters. */
static void
compute_runs (KiosReaderView     *self,
              const KiosPage     *page,
              const KiosPageText *text,
              GArray             *runs,
              gboolean           *bookmarked_out)
{
  const KiosPageChar *chars;
  int                 chapter;
  gboolean            bookmarked = FALSE;
  gint64              lo = -1, hi = -1;

  g_array_set_size (runs, 0);
  *bookmarked_out = FALSE;
  if (self->annotations == NULL || page == NULL)
    return;

  chapter = page->location.chapter;
  chars = text != NULL ? (const KiosPageChar *) text->chars->data : NULL;
  for (guint i = 0; chars != NULL && i < text->chars->len; i++)
    if (chars[i].offset >= 0)
      {
        lo = lo < 0 ? chars[i].offset : MIN (lo, chars[i].offset);
        hi = MAX (hi, chars[i].offset);
      }

  for (guint a = 0; a < self->annotations->len; a++)
    {
      const KiosAnnotation *annotation = g_ptr_array_index (self->annotations, a);
      KiosHighlightRun      run = { -1, -1, annotation->id, "" };

      if (annotation->start == NULL)
        continue;
      if (annotation->kind == KIOS_ANNOTATION_BOOKMARK)
        {
          /* On this page: in its chapter, from its first word to its last. */
          if (annotation->start->chapter != chapter)
            continue;
          if (self->format_is_pdf || chars == NULL)
            bookmarked |= page->position != NULL &&
                          (self->format_is_pdf || annotation->start->offset == page->position->offset);
          /* A page without words (a cover): its first position. */
          else if (lo < 0)
            bookmarked |= page->position != NULL && annotation->start->offset == page->position->offset;
          else
            bookmarked |= annotation->start->offset >= lo && annotation->start->offset <= hi;
          continue;
        }

      if (chars == NULL || lo < 0 || annotation->end == NULL || annotation->start->chapter > chapter ||
          annotation->end->chapter < chapter)
        continue;
      /* Wholly after the page's last word, or ended before its first. */
      if (compare_point (chapter, hi, annotation->start) < 0 || compare_point (chapter, lo, annotation->end) >= 0)
        continue;
      for (guint i = 0; i < text->chars->len; i++)
        {
          if (chars[i].offset < 0)
            continue;
          if (compare_point (chapter, chars[i].offset, annotation->start) >= 0 &&
              compare_point (chapter, chars[i].offset, annotation->end) < 0)
            {
              if (run.first < 0)
                run.first = (int) i;
              run.last = (int) i;
            }
        }
      if (run.first < 0)
        continue;
      g_strlcpy (run.color, annotation->color != NULL ? annotation->color : KIOS_ANNOTATION_COLOR_DEFAULT,
                 sizeof run.color);
      g_array_append_val (runs, run);
    }
  *bookmarked_out = bookmarked;
}

/* The sheet whose text is self->page_text: the page the selection is on. */
static Sheet *
text_sheet (KiosReaderView *self)
{
  return self->sel_on_other ? kios_reader_view_other_sheet (self) : self->current;
}

static void
update_runs (KiosReaderView *self)
{
  Sheet   *sheet = text_sheet (self);
  gboolean bookmarked = FALSE;

  if (self->highlight_runs == NULL)
    self->highlight_runs = g_array_new (FALSE, FALSE, sizeof (KiosHighlightRun));
  compute_runs (self, sheet != NULL ? sheet->page : NULL, self->page_text, self->highlight_runs, &bookmarked);
  /* The bookmark is the left (top) page's, whichever page the text is of. */
  if (!self->sel_on_other)
    set_page_bookmarked (self, bookmarked);
  else if (self->current == NULL || self->annotations == NULL)
    set_page_bookmarked (self, FALSE);
}

static void
update_bookmark_action (KiosReaderView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reader.toggle-bookmark",
                                 self->document != NULL && self->store != NULL && self->current != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reader.highlight",
                                 self->store != NULL && kios_reader_view_get_selection (self, NULL, NULL));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reader.add-note",
                                 self->store != NULL && kios_reader_view_get_selection (self, NULL, NULL));
}

void
kios_reader_annotations_update_actions (KiosReaderView *self)
{
  update_bookmark_action (self);
}

/* The page's text or the list changed. */
void
kios_reader_annotations_refresh (KiosReaderView *self)
{
  update_runs (self);
  update_boxes (self);
  update_bookmark_action (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static int
compare_indirect (gconstpointer a,
                  gconstpointer b)
{
  return kios_annotation_compare (*(KiosAnnotation *const *) a, *(KiosAnnotation *const *) b);
}

static void
changed (KiosReaderView *self)
{
  g_ptr_array_sort (self->annotations, compare_indirect);
  kios_reader_annotations_refresh (self);
  g_signal_emit (self, changed_signal, 0);
}

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KiosReaderView) self = user_data;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      list = kios_library_store_list_annotations_finish (KIOS_LIBRARY_STORE (source),
                                                                                result, &error);

  if (list == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the book's annotations: %s", error->message);
      return;
    }
  if (self->document == NULL)
    return;
  g_clear_pointer (&self->annotations, g_ptr_array_unref);
  self->annotations = g_steal_pointer (&list);
  changed (self);
}

void
kios_reader_annotations_open (KiosReaderView *self)
{
  kios_reader_annotations_close (self);
  if (self->document == NULL)
    return;
  self->format_is_pdf = kios_document_get_format (self->document) == KIOS_BOOK_FORMAT_PDF;
  self->annotations = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  if (self->store == NULL)
    return;
  self->annotations_cancellable = g_cancellable_new ();
  kios_library_store_list_annotations_async (self->store, kios_document_get_hash (self->document),
                                             self->annotations_cancellable, list_cb, g_object_ref (self));
}

void
kios_reader_annotations_close (KiosReaderView *self)
{
  gboolean had = self->annotations != NULL;

  if (self->annotations_cancellable != NULL)
    {
      g_cancellable_cancel (self->annotations_cancellable);
      g_clear_object (&self->annotations_cancellable);
    }
  g_clear_pointer (&self->annotations, g_ptr_array_unref);
  if (self->highlight_runs != NULL)
    g_array_set_size (self->highlight_runs, 0);
  set_page_bookmarked (self, FALSE);
  update_bookmark_action (self);
  if (had)
    g_signal_emit (self, changed_signal, 0);
}

void
kios_reader_annotations_dispose (KiosReaderView *self)
{
  if (self->annotations_cancellable != NULL)
    g_cancellable_cancel (self->annotations_cancellable);
  g_clear_object (&self->annotations_cancellable);
  g_clear_pointer (&self->annotations, g_ptr_array_unref);
  g_clear_pointer (&self->highlight_runs, g_array_unref);
}

GPtrArray *
kios_reader_view_get_annotations (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);
  return self->annotations;
}

GArray *
kios_reader_view_get_highlight_runs (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);
  if (self->highlight_runs == NULL)
    self->highlight_runs = g_array_new (FALSE, FALSE, sizeof (KiosHighlightRun));
  return self->highlight_runs;
}

gboolean
kios_reader_view_get_page_bookmarked (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);
  return self->page_bookmarked;
}

/* ------------------------------------------------------------------------ */
/* Drawing.                                                                 */

/* The GNOME palette's light tones: text stays readable over them. */
static const struct
{
  const char *name;
  GdkRGBA     rgba;
} tones[] = {
  { "yellow", { 0.96, 0.83, 0.18, 1 } },
  { "green", { 0.56, 0.94, 0.64, 1 } },
  { "blue", { 0.60, 0.76, 0.95, 1 } },
  { "red", { 0.96, 0.38, 0.32, 1 } },
};

static guint
tone_index (const char *color)
{
  for (guint i = 0; i < G_N_ELEMENTS (tones); i++)
    if (g_strcmp0 (color, tones[i].name) == 0)
      return i;
  return 0;
}

/* The line boxes of a page's highlights, as fractions of the page, kept
 * with its sheet: worked out once per change of the page's text or of the
 * list, and drawn with the page's texture, which stays as it was
 * rendered. A turn or a selection drag neither copies nor uploads pixels. */
static void
set_sheet_boxes (Sheet              *sheet,
                 const KiosPageText *text,
                 GArray             *runs)
{
  const KiosPageChar *chars;

  if (sheet == NULL)
    return;
  g_clear_pointer (&sheet->highlights, g_array_unref);
  if (text == NULL || runs->len == 0)
    return;
  sheet->highlights = g_array_new (FALSE, FALSE, sizeof (HighlightBox));
  chars = (const KiosPageChar *) text->chars->data;
  for (guint r = 0; r < runs->len; r++)
    {
      const KiosHighlightRun *run = &g_array_index (runs, KiosHighlightRun, r);
      int                     i = MAX (run->first, 0);
      int                     last = MIN (run->last, (int) text->chars->len - 1);

      while (i <= last)
        {
          int          line = chars[i].line;
          float        x0 = chars[i].x0, y0 = chars[i].y0, x1 = chars[i].x1, y1 = chars[i].y1;
          HighlightBox box;

          for (i++; i <= last && chars[i].line == line; i++)
            {
              x0 = MIN (x0, chars[i].x0);
              y0 = MIN (y0, chars[i].y0);
              x1 = MAX (x1, chars[i].x1);
              y1 = MAX (y1, chars[i].y1);
            }
          box.rect = GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0);
          box.tone = tone_index (run->color);
          g_array_append_val (sheet->highlights, box);
        }
    }
}

/* The highlights of both pages on screen: the one the text (and the
 * selection) is of, and the other one when its text was read. */
static void
update_boxes (KiosReaderView *self)
{
  Sheet              *other = self->sel_on_other ? self->current : kios_reader_view_other_sheet (self);
  const KiosPageText *other_text;
  g_autoptr (GArray)  runs = NULL;
  gboolean            bookmarked;

  set_sheet_boxes (text_sheet (self), self->page_text, self->highlight_runs);
  if (other == NULL || other == text_sheet (self))
    return;
  other_text = kios_reader_selection_peek_text (self, other->page);
  runs = g_array_new (FALSE, FALSE, sizeof (KiosHighlightRun));
  compute_runs (self, other->page, other_text, runs, &bookmarked);
  set_sheet_boxes (other, other_text, runs);
}

static void
append_boxes (GtkSnapshot           *snapshot,
              const Sheet           *sheet,
              const graphene_rect_t *rect,
              double                 alpha)
{
  GdkRGBA colors[G_N_ELEMENTS (tones)];

  for (guint i = 0; i < G_N_ELEMENTS (tones); i++)
    {
      colors[i] = tones[i].rgba;
      colors[i].alpha = alpha;
    }
  for (guint b = 0; b < sheet->highlights->len; b++)
    {
      const HighlightBox *box = &g_array_index (sheet->highlights, HighlightBox, b);

      gtk_snapshot_append_color (snapshot, &colors[MIN (box->tone, G_N_ELEMENTS (tones) - 1)],
                                 &GRAPHENE_RECT_INIT (rect->origin.x + box->rect.origin.x * rect->size.width,
                                                      rect->origin.y + box->rect.origin.y * rect->size.height,
                                                      box->rect.size.width * rect->size.width,
                                                      box->rect.size.height * rect->size.height));
    }
}

static gboolean
renderer_blends (KiosReaderView *self)
{
  GtkNative   *native = gtk_widget_get_native (GTK_WIDGET (self));
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;

  return renderer != NULL && !GSK_IS_CAIRO_RENDERER (renderer);
}

void
kios_reader_annotations_append_page (KiosReaderView        *self,
                                     GtkSnapshot           *snapshot,
                                     const Sheet           *sheet,
                                     const graphene_rect_t *rect)
{
  if (sheet->highlights == NULL || sheet->highlights->len == 0)
    {
      gtk_snapshot_append_texture (snapshot, sheet->texture, rect);
      return;
    }
  /* On dark paper the light text is drawn over a thin wash; so it is on
   * light paper with the software renderer, which would take tens of
   * milliseconds a frame to blend the whole page. */
  if (self->background < 0x808080 || !renderer_blends (self))
    {
      gtk_snapshot_append_texture (snapshot, sheet->texture, rect);
      append_boxes (snapshot, sheet, rect, self->background < 0x808080 ? 0.38 : 0.45);
      return;
    }
  /* On light paper the page is multiplied by the colours: the ink stays
   * as dark as it was, a marker under the words. */
  gtk_snapshot_push_blend (snapshot, GSK_BLEND_MODE_MULTIPLY);
  gtk_snapshot_append_texture (snapshot, sheet->texture, rect);
  gtk_snapshot_pop (snapshot);
  append_boxes (snapshot, sheet, rect, 1.0);
  gtk_snapshot_pop (snapshot);
}

void
kios_reader_annotations_snapshot (KiosReaderView        *self,
                                  GtkSnapshot           *snapshot,
                                  const graphene_rect_t *page_rect)
{
  if (self->page_bookmarked)
    {
      /* A ribbon hanging from the top right corner of the view. */
      double          x = gtk_widget_get_width (GTK_WIDGET (self)) - 44;
      GdkRGBA         red = { 0.88, 0.11, 0.14, 1 };
      graphene_rect_t band = GRAPHENE_RECT_INIT (x, 0, 16, 28);
      cairo_t        *cr = gtk_snapshot_append_cairo (snapshot, &band);

      gdk_cairo_set_source_rgba (cr, &red);
      cairo_move_to (cr, x, 0);
      cairo_line_to (cr, x + 16, 0);
      cairo_line_to (cr, x + 16, 28);
      cairo_line_to (cr, x + 8, 22);
      cairo_line_to (cr, x, 28);
      cairo_close_path (cr);
      cairo_fill (cr);
      cairo_destroy (cr);
    }
}

/* ------------------------------------------------------------------------ */
/* Adding, changing and deleting.                                           */

static gboolean
store_add (KiosReaderView *self,
           KiosAnnotation *annotation)
{
  g_autoptr (GError) error = NULL;

  if (!kios_library_store_add_annotation (self->store, annotation, &error))
    {
      g_warning ("Cannot keep the annotation: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  KiosAnnotation *annotation;
  char           *path;
} FillData;

static void
fill_data_free (FillData *data)
{
  kios_annotation_free (data->annotation);
  g_free (data->path);
  g_free (data);
}

/* Worker thread: both ends' xpointers (KOReader's pos0 and pos1) and the
 * quoted words, from the book's own text. */
static void
fill_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FillData                      *data = task_data;
  g_autoptr (GError)             error = NULL;
  g_autoptr (KiosAnnotationText) text = kios_annotation_text_new (data->path, &error);

  if (text == NULL || !kios_annotation_text_fill (text, data->annotation, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
filled_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KiosReaderView    *self = KIOS_READER_VIEW (source);
  FillData          *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("The highlight keeps the words on screen: %s", error->message);
  if (self->annotations == NULL || self->document == NULL ||
      g_strcmp0 (data->annotation->hash, kios_document_get_hash (self->document)) != 0)
    return;
  if (!store_add (self, data->annotation))
    return;
  g_ptr_array_add (self->annotations, g_steal_pointer (&data->annotation));
  changed (self);
}

static KiosPosition *
point_position (KiosReaderView *self,
                int             chapter,
                gint64          offset)
{
  KiosPosition *p = kios_position_new ();
  Sheet        *sheet = text_sheet (self);

  p->format = kios_document_get_format (self->document);
  p->chapter = chapter;
  p->offset = offset;
  if (sheet != NULL && sheet->page->position != NULL)
    {
      p->chapter_title = g_strdup (sheet->page->position->chapter_title);
      p->chapter_href = g_strdup (sheet->page->position->chapter_href);
      p->total_progress = sheet->page->position->total_progress;
    }
  return p;
}

gboolean
kios_reader_view_highlight_selection (KiosReaderView *self,
                                      const char     *color,
                                      const char     *note)
{
  g_autoptr (KiosAnnotation) annotation = NULL;
  const KiosPageChar        *chars;
  gint64                     from = -1, to = -1;
  int                        first, last, chapter;
  GTask                     *task;
  FillData                  *data;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  if (self->store == NULL || self->annotations == NULL || !kios_reader_view_get_selection (self, &first, &last) ||
      !kios_annotation_color_is_valid (color != NULL ? color : KIOS_ANNOTATION_COLOR_DEFAULT))
    return FALSE;
  chars = (const KiosPageChar *) self->page_text->chars->data;
  for (int i = first; i <= last; i++)
    if (chars[i].offset >= 0)
      {
        if (from < 0)
          from = chars[i].offset;
        to = chars[i].offset + 1;
      }
  if (from < 0)
    return FALSE;
  chapter = self->page_text->location.chapter;

  annotation = kios_annotation_new ();
  annotation->hash = g_strdup (kios_document_get_hash (self->document));
  annotation->kind = KIOS_ANNOTATION_HIGHLIGHT;
  annotation->start = point_position (self, chapter, from);
  annotation->end = point_position (self, chapter, to);
  annotation->text = kios_reader_view_get_selected_text (self);
  annotation->note = note != NULL && *note != '\0' ? g_strdup (note) : NULL;
  annotation->color = g_strdup (color != NULL ? color : KIOS_ANNOTATION_COLOR_DEFAULT);
  annotation->chapter_title = g_strdup (annotation->start->chapter_title);
  kios_reader_view_clear_selection (self);

  if (self->format_is_pdf)
    {
      if (!store_add (self, annotation))
        return FALSE;
      g_ptr_array_add (self->annotations, g_steal_pointer (&annotation));
      changed (self);
      return TRUE;
    }

  /* EPUB: the xpointers and the book's own words are read off the main thread. */
  data = g_new0 (FillData, 1);
  data->annotation = g_steal_pointer (&annotation);
  data->path = g_strdup (kios_document_get_path (self->document));
  task = g_task_new (self, NULL, filled_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) fill_data_free);
  g_task_run_in_thread (task, fill_thread);
  g_object_unref (task);
  return TRUE;
}

gboolean
kios_reader_view_toggle_bookmark (KiosReaderView *self)
{
  g_autoptr (KiosAnnotation) annotation = NULL;
  const KiosPage            *page;
  const KiosPageText        *text;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  if (self->store == NULL || self->annotations == NULL || self->current == NULL ||
      self->current->page->position == NULL)
    return FALSE;
  page = self->current->page;
  /* The left (top) page's words, whichever page the selection is on. */
  text = self->sel_on_other ? kios_reader_selection_peek_text (self, page) : self->page_text;

  if (self->page_bookmarked)
    {
      /* Every bookmark on this page goes. */
      for (guint a = self->annotations->len; a > 0; a--)
        {
          const KiosAnnotation *bookmark = g_ptr_array_index (self->annotations, a - 1);
          gboolean              here = FALSE;

          if (bookmark->kind != KIOS_ANNOTATION_BOOKMARK || bookmark->start->chapter != page->location.chapter)
            continue;
          if (self->format_is_pdf)
            here = TRUE;
          else if (text != NULL)
            {
              const KiosPageChar *chars = (const KiosPageChar *) text->chars->data;
              gint64              lo = -1, hi = -1;

              for (guint i = 0; i < text->chars->len; i++)
                if (chars[i].offset >= 0)
                  {
                    lo = lo < 0 ? chars[i].offset : lo;
                    hi = chars[i].offset;
                  }
              if (lo < 0)
                here = bookmark->start->offset == page->position->offset;
              else
                here = bookmark->start->offset >= lo && bookmark->start->offset <= hi;
            }
          else
            here = bookmark->start->offset == page->position->offset;
          if (here)
            kios_reader_view_delete_annotation (self, bookmark->id);
        }
      return TRUE;
    }

  annotation = kios_annotation_new ();
  annotation->hash = g_strdup (kios_document_get_hash (self->document));
  annotation->kind = KIOS_ANNOTATION_BOOKMARK;
  annotation->start = kios_position_copy (page->position);
  annotation->chapter_title = g_strdup (page->position->chapter_title);
  if (text != NULL)
    {
      g_autofree char *words = kios_page_text_get_string (text, 0, G_MAXINT);
      g_auto (GStrv)   split = g_strsplit_set (words, " \n", BOOKMARK_WORDS + 1);

      gboolean         more = g_strv_length (split) > BOOKMARK_WORDS;
      g_autofree char *joined = NULL;

      if (more)
        g_clear_pointer (&split[BOOKMARK_WORDS], g_free);
      joined = g_strjoinv (" ", split);
      annotation->text = g_strconcat (joined, more ? "…" : "", NULL);
    }
  if (!store_add (self, annotation))
    return FALSE;
  g_ptr_array_add (self->annotations, g_steal_pointer (&annotation));
  changed (self);
  return TRUE;
}

gboolean
kios_reader_view_update_annotation (KiosReaderView       *self,
                                    const KiosAnnotation *annotation)
{
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);
  g_return_val_if_fail (annotation != NULL, FALSE);

  if (self->store == NULL || self->annotations == NULL)
    return FALSE;
  if (!kios_library_store_update_annotation (self->store, annotation, &error))
    {
      g_warning ("Cannot change the annotation: %s", error->message);
      return FALSE;
    }
  for (guint a = 0; a < self->annotations->len; a++)
    {
      KiosAnnotation *stored = g_ptr_array_index (self->annotations, a);

      if (stored->id != annotation->id)
        continue;
      g_free (stored->note);
      stored->note = annotation->note != NULL && *annotation->note != '\0' ? g_strdup (annotation->note) : NULL;
      if (annotation->color != NULL)
        {
          g_free (stored->color);
          stored->color = g_strdup (annotation->color);
        }
    }
  changed (self);
  return TRUE;
}

gboolean
kios_reader_view_delete_annotation (KiosReaderView *self,
                                    gint64          id)
{
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  if (self->store == NULL || self->annotations == NULL)
    return FALSE;
  if (!kios_library_store_delete_annotation (self->store, id, &error))
    {
      g_warning ("Cannot delete the annotation: %s", error->message);
      return FALSE;
    }
  for (guint a = 0; a < self->annotations->len; a++)
    if (((KiosAnnotation *) g_ptr_array_index (self->annotations, a))->id == id)
      {
        g_ptr_array_remove_index (self->annotations, a);
        break;
      }
  changed (self);
  return TRUE;
}

void
kios_reader_view_go_to_annotation (KiosReaderView       *self,
                                   const KiosAnnotation *annotation)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (annotation != NULL && annotation->start != NULL);

  kios_reader_view_jump_to (self, annotation->start, KIOS_JUMP_RECORD_BACK);
}

/* ------------------------------------------------------------------------ */
/* The note dialog.                                                         */

typedef struct
{
  KiosReaderView *view;
  KiosAnnotation *annotation; /* NULL: a new highlight of the selection */
  GtkTextBuffer  *buffer;
} NoteDialog;

static void
note_dialog_free (NoteDialog *data)
{
  g_object_unref (data->view);
  g_clear_pointer (&data->annotation, kios_annotation_free);
  g_object_unref (data->buffer);
  g_free (data);
}

static void
note_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  NoteDialog       *data)
{
  GtkTextIter      start, end;
  g_autofree char *note = NULL;

  if (g_strcmp0 (response, "save") != 0)
    return;
  gtk_text_buffer_get_bounds (data->buffer, &start, &end);
  note = g_strstrip (gtk_text_buffer_get_text (data->buffer, &start, &end, FALSE));
  if (data->annotation == NULL)
    kios_reader_view_highlight_selection (data->view, KIOS_ANNOTATION_COLOR_DEFAULT, note);
  else
    {
      g_free (data->annotation->note);
      data->annotation->note = g_steal_pointer (&note);
      kios_reader_view_update_annotation (data->view, data->annotation);
    }
}

void
kios_reader_view_edit_note (KiosReaderView       *self,
                            const KiosAnnotation *annotation)
{
  GtkRoot    *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget  *dialog;
  GtkWidget  *scrolled;
  GtkWidget  *text_view;
  NoteDialog *data;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (annotation == NULL && !kios_reader_view_get_selection (self, NULL, NULL))
    return;

  data = g_new0 (NoteDialog, 1);
  data->view = g_object_ref (self);
  data->annotation = annotation != NULL ? kios_annotation_copy (annotation) : NULL;
  data->buffer = gtk_text_buffer_new (NULL);
  if (annotation != NULL && annotation->note != NULL)
    gtk_text_buffer_set_text (data->buffer, annotation->note, -1);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   annotation != NULL && annotation->note != NULL ? _ ("Edit Note") : _ ("Add Note"),
                                   NULL);
  gtk_widget_set_name (dialog, "note-dialog");
  if (annotation != NULL && annotation->text != NULL)
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), annotation->text);
  else if (annotation == NULL)
    {
      g_autofree char *text = kios_reader_view_get_selected_text (self);

      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), text);
    }

  text_view = gtk_text_view_new_with_buffer (data->buffer);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (text_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (text_view), 8);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (text_view), 8);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (text_view), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (text_view), 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (text_view), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Note"), -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 96);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), text_view);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_widget_set_overflow (scrolled, GTK_OVERFLOW_HIDDEN);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _ ("_Cancel"),
                                    "save", _ ("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (note_response_cb), data,
                         (GClosureNotify) (void (*) (void)) note_dialog_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (text_view);
}

/* ------------------------------------------------------------------------ */
/* Actions.                                                                 */

static void
annotation_action_cb (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);

  if (g_str_equal (action_name, "reader.highlight"))
    {
      if (self->selection_menu != NULL)
        gtk_popover_popdown (GTK_POPOVER (self->selection_menu));
      kios_reader_view_highlight_selection (self, g_variant_get_string (parameter, NULL), NULL);
    }
  else if (g_str_equal (action_name, "reader.add-note"))
    kios_reader_view_edit_note (self, NULL);
  else if (g_str_equal (action_name, "reader.toggle-bookmark"))
    kios_reader_view_toggle_bookmark (self);
  else if (g_str_equal (action_name, "reader.show-annotations"))
    {
      KiosContentsSidebar *sidebar = KIOS_CONTENTS_SIDEBAR (kios_reader_view_get_contents_sidebar (self));
      gboolean             shown = self->contents_visible && kios_contents_sidebar_get_annotations_visible (sidebar);

      /* A second press closes the sidebar, as F9 does for the contents. */
      kios_contents_sidebar_set_annotations_visible (sidebar, !shown);
      kios_reader_view_set_contents_visible (self, !shown);
    }
}

void
kios_reader_annotations_class_init (GtkWidgetClass *widget_class)
{
  /**
   * KiosReaderView::annotations-changed:
   *
   * The book's bookmarks and highlights were loaded or changed.
   */
  changed_signal = g_signal_new ("annotations-changed",
                                 G_TYPE_FROM_CLASS (widget_class),
                                 G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 0);
  /**
   * KiosReaderView::bookmark-changed:
   *
   * Whether the page on screen is bookmarked changed.
   */
  bookmark_signal = g_signal_new ("bookmark-changed",
                                  G_TYPE_FROM_CLASS (widget_class),
                                  G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "reader.highlight", "s", annotation_action_cb);
  gtk_widget_class_install_action (widget_class, "reader.add-note", NULL, annotation_action_cb);
  gtk_widget_class_install_action (widget_class, "reader.toggle-bookmark", NULL, annotation_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK, "reader.toggle-bookmark", NULL);
  gtk_widget_class_install_action (widget_class, "reader.show-annotations", NULL, annotation_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK, "reader.show-annotations", NULL);
}
