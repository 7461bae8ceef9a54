/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-selection.h"
#include "kios-reader-view-private.h"

#include <glib/gi18n.h>
#include <math.h>

/* How far the pointer goes before a press becomes a selecting drag (CSS px). */
#define DRAG_THRESHOLD 6.0
/* Screen readers get at most this much of a page as its description. */
#define MAX_DESCRIPTION_CHARS 8192

/* ------------------------------------------------------------------------ */
/* The page's text.                                                         */

static const KiosPageText *peek_text (KiosReaderView *self,
                                      const KiosPage *page);

/* The words of a page on screen, as far as they are known, cut for a
 * description; NULL when not read yet. */
static char *
sheet_words (KiosReaderView *self,
             Sheet          *sheet)
{
  const KiosPageText *text;
  char               *words;

  if (sheet == NULL)
    return NULL;
  text = peek_text (self, sheet->page);
  if (text == NULL)
    return NULL;
  words = kios_page_text_get_string (text, 0, G_MAXINT);
  if (g_utf8_strlen (words, -1) > MAX_DESCRIPTION_CHARS)
    *g_utf8_offset_to_pointer (words, MAX_DESCRIPTION_CHARS) = '\0';
  return words;
}

/* The pages on screen, for screen readers: their label as the name, the
 * words of both pages of a spread (or the page and the one below it,
 * scrolled) as the description, left (upper) page first. */
static void
update_accessible (KiosReaderView *self)
{
  g_autofree char *left = sheet_words (self, self->current);
  g_autofree char *right = sheet_words (self, kios_reader_view_other_sheet (self));
  g_autofree char *text = NULL;
  const char      *label = kios_reader_view_get_page_label (self);

  if (left != NULL && right != NULL)
    text = g_strconcat (left, "\n\n", right, NULL);
  else
    text = g_strdup (left != NULL ? left : right);
  /* GTK 4.8 has no announcement call: a screen reader speaks the focused
   * page's new name and description when a turn changes them. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label != NULL && *label != '\0' ? label : _ ("Page"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text != NULL ? text : "",
                                  -1);
}

void
kios_reader_selection_update_accessible (KiosReaderView *self)
{
  update_accessible (self);
}

static void
update_selection_actions (KiosReaderView *self)
{
  gboolean selected = self->sel_anchor >= 0 && self->page_text != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reader.copy", selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reader.find-selection", selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reader.look-up", selected);
  kios_reader_annotations_update_actions (self);
}

/* The neighbours' texts are read ahead, so a turn shows its highlights and
 * has its words for screen readers in the same frame as the page. */
#define TEXT_CACHE_SIZE 4

static void read_ahead (KiosReaderView *self);

static KiosPageText *
take_cached_text (KiosReaderView *self,
                  const KiosPage *page)
{
  for (guint i = 0; self->text_cache != NULL && i < self->text_cache->len; i++)
    {
      KiosPageText *text = g_ptr_array_index (self->text_cache, i);

      if (text->location.chapter == page->location.chapter && text->location.page == page->location.page &&
          text->layout_serial == page->layout_serial)
        return g_ptr_array_steal_index (self->text_cache, i);
    }
  return NULL;
}

static gboolean
text_is_of (const KiosPageText *text,
            const KiosPage     *page)
{
  return text != NULL && page != NULL && text->location.chapter == page->location.chapter &&
         text->location.page == page->location.page && text->layout_serial == page->layout_serial;
}

/* A page's text: the one selections are on, or one read ahead. */
static const KiosPageText *
peek_text (KiosReaderView *self,
           const KiosPage *page)
{
  if (text_is_of (self->page_text, page))
    return self->page_text;
  return kios_reader_selection_peek_text (self, page);
}

const KiosPageText *
kios_reader_selection_peek_text (KiosReaderView *self,
                                 const KiosPage *page)
{
  for (guint i = 0; page != NULL && self->text_cache != NULL && i < self->text_cache->len; i++)
    {
      KiosPageText *text = g_ptr_array_index (self->text_cache, i);

      if (text->location.chapter == page->location.chapter && text->location.page == page->location.page &&
          text->layout_serial == page->layout_serial)
        return text;
    }
  return NULL;
}

static void
cache_text (KiosReaderView *self,
            KiosPageText   *text)
{
  if (self->text_cache->len >= TEXT_CACHE_SIZE)
    g_ptr_array_remove_index (self->text_cache, 0);
  g_ptr_array_add (self->text_cache, text);
}

static void
cache_text_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (KiosReaderView) self = user_data;
  g_autoptr (KiosPageText)   text = kios_document_get_page_text_finish (KIOS_DOCUMENT (source), result, NULL);

  Sheet *other;

  if (text == NULL || (gpointer) source != (gpointer) self->document || self->text_cache == NULL)
    return;
  other = kios_reader_view_other_sheet (self);
  cache_text (self, g_steal_pointer (&text));
  /* The other page on screen gets its highlights and is read out once its
   * words are known. */
  if (other != NULL && !self->sel_on_other && kios_reader_selection_peek_text (self, other->page) != NULL)
    {
      kios_reader_annotations_refresh (self);
      update_accessible (self);
    }
}

static void
read_ahead (KiosReaderView *self)
{
  const KiosPage *page = self->current != NULL ? self->current->page : NULL;
  KiosLocation    wanted[2];
  guint           n_wanted = 0;

  if (self->document == NULL || page == NULL)
    return;
  if (self->text_cache == NULL)
    self->text_cache = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_page_text_free);
  if (self->text_cache_cancellable == NULL)
    self->text_cache_cancellable = g_cancellable_new ();

  /* The next page, and the one before within the chapter (the end of the
   * chapter before is not known without laying it out). */
  if (page->location.page + 1 < page->chapter_pages)
    wanted[n_wanted++] = (KiosLocation){ page->location.chapter, page->location.page + 1 };
  else if (page->location.chapter + 1 < kios_document_get_n_chapters (self->document))
    wanted[n_wanted++] = (KiosLocation){ page->location.chapter + 1, 0 };
  if (page->location.page > 0)
    wanted[n_wanted++] = (KiosLocation){ page->location.chapter, page->location.page - 1 };

  for (guint w = 0; w < n_wanted; w++)
    {
      gboolean cached = FALSE;

      for (guint i = 0; i < self->text_cache->len && !cached; i++)
        {
          KiosPageText *text = g_ptr_array_index (self->text_cache, i);

          cached = text->location.chapter == wanted[w].chapter && text->location.page == wanted[w].page &&
                   text->layout_serial == page->layout_serial;
        }
      if (!cached)
        kios_document_get_page_text_async (self->document, wanted[w], self->text_cache_cancellable,
                                           cache_text_cb, g_object_ref (self));
    }
}

static void
page_text_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (KiosReaderView) self = user_data;
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosPageText)   text = kios_document_get_page_text_finish (KIOS_DOCUMENT (source), result, &error);
  const KiosPage            *page;

  if (text == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No text for the page on screen: %s", error->message);
      return;
    }
  if ((gpointer) source != (gpointer) self->document || self->current == NULL)
    return;
  page = self->current->page;
  /* Only the words of the page on screen, at its layout. */
  if (text->location.chapter != page->location.chapter || text->location.page != page->location.page ||
      text->layout_serial != page->layout_serial)
    return;

  /* The reader moved to the other page meanwhile: this one waits beside it. */
  if (self->sel_on_other)
    {
      if (self->text_cache != NULL)
        cache_text (self, g_steal_pointer (&text));
      return;
    }
  g_clear_pointer (&self->page_text, kios_page_text_free);
  self->page_text = g_steal_pointer (&text);
  update_accessible (self);
  update_selection_actions (self);
  kios_reader_annotations_refresh (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  read_ahead (self);
}

/* Drops the page's text and selection; the text joins the read-ahead, for
 * a turn back. */
static void
drop_page (KiosReaderView *self)
{
  if (self->page_text_cancellable != NULL)
    {
      g_cancellable_cancel (self->page_text_cancellable);
      g_clear_object (&self->page_text_cancellable);
    }
  if (self->page_text != NULL && self->text_cache != NULL)
    cache_text (self, g_steal_pointer (&self->page_text));
  g_clear_pointer (&self->page_text, kios_page_text_free);
  if (self->sel_on_other)
    {
      graphene_rect_t rect = self->page_rect;

      self->page_rect = self->other_rect;
      self->other_rect = rect;
      self->sel_on_other = FALSE;
    }
  self->sel_anchor = -1;
  self->sel_end = -1;
  self->selecting = FALSE;
  if (self->selection_menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->selection_menu));
  update_selection_actions (self);
}

void
kios_reader_selection_reset (KiosReaderView *self)
{
  drop_page (self);
  if (self->text_cache_cancellable != NULL)
    {
      g_cancellable_cancel (self->text_cache_cancellable);
      g_clear_object (&self->text_cache_cancellable);
    }
  g_clear_pointer (&self->text_cache, g_ptr_array_unref);
}

void
kios_reader_selection_page_changed (KiosReaderView *self)
{
  const KiosPage *page = self->current != NULL ? self->current->page : NULL;

  /* The same page again (a refresh) keeps its text and selection. */
  if (page != NULL && self->page_text != NULL && self->page_text->layout_serial == page->layout_serial &&
      self->page_text->location.chapter == page->location.chapter &&
      self->page_text->location.page == page->location.page)
    {
      /* A new sheet (new colours): its highlights again. */
      kios_reader_annotations_refresh (self);
      update_accessible (self);
      return;
    }

  drop_page (self);
  if (page != NULL && (self->page_text = take_cached_text (self, page)) != NULL)
    {
      /* Read ahead: the highlights are in this very frame. */
      update_accessible (self);
      update_selection_actions (self);
      kios_reader_annotations_refresh (self);
      read_ahead (self);
      return;
    }
  kios_reader_annotations_refresh (self);
  update_accessible (self);
  if (page == NULL || self->document == NULL || page->error_message != NULL)
    return;
  self->page_text_cancellable = g_cancellable_new ();
  kios_document_get_page_text_async (self->document, page->location, self->page_text_cancellable,
                                     page_text_cb, g_object_ref (self));
}

const KiosPageText *
kios_reader_view_get_page_text (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);
  return self->page_text;
}

gboolean
kios_reader_view_get_page_rect (KiosReaderView  *self,
                                graphene_rect_t *rect)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);
  if (rect != NULL)
    *rect = self->page_rect;
  return self->page_rect_valid;
}

/* ------------------------------------------------------------------------ */
/* The selection.                                                           */

gboolean
kios_reader_view_get_selection (KiosReaderView *self,
                                int            *first,
                                int            *last)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  if (self->sel_anchor < 0 || self->page_text == NULL)
    return FALSE;
  if (first != NULL)
    *first = MIN (self->sel_anchor, self->sel_end);
  if (last != NULL)
    *last = MAX (self->sel_anchor, self->sel_end);
  return TRUE;
}

gboolean
kios_reader_view_select (KiosReaderView *self,
                         int             first,
                         int             last)
{
  int n;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  if (self->page_text == NULL || (n = (int) self->page_text->chars->len) == 0)
    return FALSE;
  self->sel_anchor = CLAMP (first, 0, n - 1);
  self->sel_end = CLAMP (last, 0, n - 1);
  update_selection_actions (self);
  /* Only the overlay changes: the page's texture is drawn as it is. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

void
kios_reader_view_clear_selection (KiosReaderView *self)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->sel_anchor < 0)
    return;
  self->sel_anchor = -1;
  self->sel_end = -1;
  update_selection_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
kios_reader_view_get_selected_text (KiosReaderView *self)
{
  int first, last;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  if (!kios_reader_view_get_selection (self, &first, &last))
    return NULL;
  return kios_page_text_get_string (self->page_text, first, last);
}

/* The character under (x, y) in the view, or -1. A point on the other
 * page on screen is none of this page's characters. */
static int
char_at (KiosReaderView *self,
         double          x,
         double          y)
{
  if (self->other_rect_valid && graphene_rect_contains_point (&self->other_rect, &GRAPHENE_POINT_INIT (x, y)))
    return -1;
  if (self->page_text == NULL || !self->page_rect_valid || self->page_rect.size.width <= 0 ||
      self->page_rect.size.height <= 0)
    return -1;
  return kios_page_text_hit (self->page_text,
                             (x - self->page_rect.origin.x) / self->page_rect.size.width,
                             (y - self->page_rect.origin.y) / self->page_rect.size.height);
}

/* A press on the other page on screen (a spread's right page, the page
 * below in the scrolled mode) moves the text and the selection to it, once
 * its words are read; until then nothing on it is selectable. */
static void
focus_page_at (KiosReaderView *self,
               double          x,
               double          y)
{
  Sheet          *target;
  KiosPageText   *text;
  graphene_rect_t rect;

  if (!self->other_rect_valid || !graphene_rect_contains_point (&self->other_rect, &GRAPHENE_POINT_INIT (x, y)))
    return;
  target = self->sel_on_other ? self->current : kios_reader_view_other_sheet (self);
  if (target == NULL || self->document == NULL || self->text_cache == NULL)
    return;
  text = take_cached_text (self, target->page);
  if (text == NULL)
    {
      if (self->text_cache_cancellable == NULL)
        self->text_cache_cancellable = g_cancellable_new ();
      kios_document_get_page_text_async (self->document, target->page->location, self->text_cache_cancellable,
                                         cache_text_cb, g_object_ref (self));
      return;
    }

  kios_reader_view_clear_selection (self);
  if (self->page_text != NULL)
    cache_text (self, g_steal_pointer (&self->page_text));
  self->page_text = text;
  self->sel_on_other = !self->sel_on_other;
  rect = self->page_rect;
  self->page_rect = self->other_rect;
  self->page_rect_valid = TRUE;
  self->other_rect = rect;
  update_accessible (self);
  update_selection_actions (self);
  kios_reader_annotations_refresh (self);
}

static gboolean
select_word_at (KiosReaderView *self,
                int             index)
{
  int first, last;

  if (!kios_page_text_word_at (self->page_text, index, &first, &last))
    return FALSE;
  return kios_reader_view_select (self, first, last);
}

/* The selected words, trimmed, for Find and Look Up; NULL without a selection. */
static char *
selected_word (KiosReaderView *self)
{
  g_autofree char *text = kios_reader_view_get_selected_text (self);

  if (text == NULL)
    return NULL;
  return g_strstrip (g_steal_pointer (&text));
}

/* ------------------------------------------------------------------------ */
/* Drawing: a translucent overlay over the page's texture.                  */

/* Appends one rectangle per line of chars first..last. */
static void
append_line_boxes (KiosReaderView        *self,
                   GtkSnapshot           *snapshot,
                   const graphene_rect_t *page_rect,
                   int                    first,
                   int                    last,
                   const GdkRGBA         *color)
{
  const KiosPageChar *chars = (const KiosPageChar *) self->page_text->chars->data;
  int                 i = first;

  while (i <= last)
    {
      int   line = chars[i].line;
      float x0 = chars[i].x0, y0 = chars[i].y0, x1 = chars[i].x1, y1 = chars[i].y1;

      for (i++; i <= last && chars[i].line == line; i++)
        {
          x0 = MIN (x0, chars[i].x0);
          y0 = MIN (y0, chars[i].y0);
          x1 = MAX (x1, chars[i].x1);
          y1 = MAX (y1, chars[i].y1);
        }
      gtk_snapshot_append_color (snapshot, color,
                                 &GRAPHENE_RECT_INIT (page_rect->origin.x + x0 * page_rect->size.width,
                                                      page_rect->origin.y + y0 * page_rect->size.height,
                                                      (x1 - x0) * page_rect->size.width,
                                                      (y1 - y0) * page_rect->size.height));
    }
}

void
kios_reader_selection_snapshot (KiosReaderView        *self,
                                GtkSnapshot           *snapshot,
                                const graphene_rect_t *page_rect,
                                gboolean               other)
{
  gboolean dark = self->background < 0x808080;
  /* The desktop's accent blue, as text selections are everywhere else. */
  GdkRGBA selection = dark ? (GdkRGBA){ 0.47, 0.68, 0.93, 0.40 } : (GdkRGBA){ 0.21, 0.52, 0.89, 0.30 };
  int     first, last;

  /* page_rect is where the page of page_text is; other_rect the other one's. */
  if (other != self->sel_on_other)
    {
      self->other_rect = *page_rect;
      self->other_rect_valid = TRUE;
      if (!other)
        kios_reader_annotations_snapshot (self, snapshot, page_rect);
      return;
    }
  self->page_rect = *page_rect;
  self->page_rect_valid = TRUE;
  if (!other)
    kios_reader_annotations_snapshot (self, snapshot, page_rect);

  if (!kios_reader_view_get_selection (self, &first, &last))
    return;
  append_line_boxes (self, snapshot, page_rect, first, last, &selection);
}

/* ------------------------------------------------------------------------ */
/* Pointer and touch.                                                       */

static void
drag_begin_cb (GtkGestureDrag *gesture,
               double          x,
               double          y,
               KiosReaderView *self)
{
  GdkEventSequence *sequence = gtk_gesture_single_get_current_sequence (GTK_GESTURE_SINGLE (gesture));
  GdkEvent         *event = gtk_gesture_get_last_event (GTK_GESTURE (gesture), sequence);
  GdkDevice        *device = event != NULL ? gdk_event_get_device (event) : NULL;
  GtkWidget        *picked = gtk_widget_pick (GTK_WIDGET (self), x, y, GTK_PICK_DEFAULT);

  self->drag_selected = FALSE;
  self->selecting = FALSE;
  focus_page_at (self, x, y);
  /* Touch swipes turn pages (a long press selects); a press on a child is its own. */
  if ((device != NULL && gdk_device_get_source (device) == GDK_SOURCE_TOUCHSCREEN) ||
      (picked != NULL && picked != GTK_WIDGET (self)) || self->page_text == NULL)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  self->drag_x = x;
  self->drag_y = y;
}

static void
drag_update_cb (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                KiosReaderView *self)
{
  int from, to;

  if (!self->selecting)
    {
      if (hypot (dx, dy) < DRAG_THRESHOLD)
        return;
      from = char_at (self, self->drag_x, self->drag_y);
      if (from < 0)
        return;
      self->selecting = TRUE;
      self->drag_selected = TRUE;
      self->sel_anchor = from;
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
    }
  to = char_at (self, self->drag_x + dx, self->drag_y + dy);
  if (to >= 0)
    kios_reader_view_select (self, self->sel_anchor, to);
}

static void
drag_end_cb (GtkGestureDrag *gesture,
             double          dx,
             double          dy,
             KiosReaderView *self)
{
  self->selecting = FALSE;
}

static void
long_press_cb (GtkGestureLongPress *gesture,
               double               x,
               double               y,
               KiosReaderView      *self)
{
  self->drag_selected = TRUE;
  kios_reader_selection_context (self, x, y);
}

void
kios_reader_selection_context (KiosReaderView *self,
                               double          x,
                               double          y)
{
  int index;
  int first, last;

  focus_page_at (self, x, y);
  index = char_at (self, x, y);
  if (self->page_text == NULL)
    return;
  /* Outside the selection, the menu is for the word under the pointer. */
  if (!kios_reader_view_get_selection (self, &first, &last) || index < first || index > last)
    {
      kios_reader_view_clear_selection (self);
      if (index < 0 || !select_word_at (self, index))
        return;
    }
  kios_reader_view_popup_selection_menu (self, x, y);
}

void
kios_reader_view_context_menu_at (KiosReaderView *self,
                                  double          x,
                                  double          y)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  kios_reader_selection_context (self, x, y);
}

/* ------------------------------------------------------------------------ */
/* The menu.                                                                */

static GtkWidget *
color_button (const char *color,
              const char *label)
{
  GtkWidget       *button = gtk_button_new ();
  g_autofree char *css = g_strconcat ("highlight-", color, NULL);

  gtk_widget_add_css_class (button, "circular");
  gtk_widget_add_css_class (button, "highlight-swatch");
  gtk_widget_add_css_class (button, css);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "reader.highlight");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", color);
  return button;
}

static GtkWidget *
build_menu (KiosReaderView *self)
{
  g_autoptr (GMenu)     model = g_menu_new ();
  g_autoptr (GMenu)     edit = g_menu_new ();
  g_autoptr (GMenu)     colors = g_menu_new ();
  g_autoptr (GMenu)     more = g_menu_new ();
  g_autoptr (GMenuItem) swatches = g_menu_item_new (NULL, NULL);
  GtkWidget            *menu;
  GtkWidget            *box;

  g_menu_append (edit, _ ("_Copy"), "reader.copy");
  g_menu_append_section (model, NULL, G_MENU_MODEL (edit));

  g_menu_item_set_attribute (swatches, "custom", "s", "highlight-colors");
  g_menu_append_item (colors, swatches);
  g_menu_append (colors, _ ("Add _Note…"), "reader.add-note");
  g_menu_append_section (model, NULL, G_MENU_MODEL (colors));

  g_menu_append (more, _ ("_Find in Book"), "reader.find-selection");
  g_menu_append (more, _ ("_Look Up"), "reader.look-up");
  g_menu_append_section (model, NULL, G_MENU_MODEL (more));

  menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (model));
  gtk_widget_set_name (menu, "selection-menu");
  /* A context menu, as GTK's own text widgets open: at the pointer, no arrow. */
  gtk_popover_set_has_arrow (GTK_POPOVER (menu), FALSE);
  gtk_widget_set_halign (menu, GTK_ALIGN_START);

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), color_button ("yellow", _ ("Highlight in Yellow")));
  gtk_box_append (GTK_BOX (box), color_button ("green", _ ("Highlight in Green")));
  gtk_box_append (GTK_BOX (box), color_button ("blue", _ ("Highlight in Blue")));
  gtk_box_append (GTK_BOX (box), color_button ("red", _ ("Highlight in Red")));
  gtk_popover_menu_add_child (GTK_POPOVER_MENU (menu), box, "highlight-colors");
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Selection"), -1);
  return menu;
}

void
kios_reader_view_popup_selection_menu (KiosReaderView *self,
                                       double          x,
                                       double          y)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->selection_menu == NULL)
    {
      self->selection_menu = build_menu (self);
      gtk_widget_set_parent (self->selection_menu, GTK_WIDGET (self));
    }
  gtk_popover_set_pointing_to (GTK_POPOVER (self->selection_menu),
                               &(GdkRectangle){ (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->selection_menu));
}

GtkWidget *
kios_reader_view_get_selection_menu (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);
  return self->selection_menu;
}

void
kios_reader_selection_allocate (KiosReaderView *self)
{
  if (self->selection_menu != NULL && gtk_widget_get_visible (self->selection_menu))
    gtk_popover_present (GTK_POPOVER (self->selection_menu));
}

char *
kios_reader_view_look_up_uri (const char *word)
{
  g_autofree char *escaped = g_uri_escape_string (word, NULL, FALSE);

  return g_strconcat ("https://duckduckgo.com/?q=define+", escaped, NULL);
}

/* ------------------------------------------------------------------------ */
/* Actions and keys.                                                        */

static void
selection_action_cb (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KiosReaderView  *self = KIOS_READER_VIEW (widget);
  g_autofree char *text = kios_reader_view_get_selected_text (self);

  if (text == NULL)
    return;

  if (g_str_equal (action_name, "reader.copy"))
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  else if (g_str_equal (action_name, "reader.find-selection"))
    {
      g_autofree char *query = selected_word (self);
      GtkWidget       *entry;

      kios_reader_view_set_find_visible (self, TRUE, FALSE);
      entry = kios_find_bar_get_entry (KIOS_FIND_BAR (self->find_bar));
      gtk_editable_set_text (GTK_EDITABLE (entry), query);
      gtk_editable_set_position (GTK_EDITABLE (entry), -1);
      gtk_widget_grab_focus (entry);
    }
  else if (g_str_equal (action_name, "reader.look-up"))
    {
      g_autofree char *word = selected_word (self);
      g_autofree char *uri = kios_reader_view_look_up_uri (word);
      GtkRoot         *root = gtk_widget_get_root (widget);

      /* Inside the sandbox GTK goes through the OpenURI portal. */
      gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
    }
}

/* Shift+arrows: the caret is the selection's moving end; without a
 * selection the first word of the page is selected first. */
static gboolean
extend_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  KiosReaderView     *self = KIOS_READER_VIEW (widget);
  int                 move = g_variant_get_int32 (args);
  const KiosPageChar *chars;
  int                 n, end;

  if (self->page_text == NULL || (n = (int) self->page_text->chars->len) == 0)
    return FALSE;
  chars = (const KiosPageChar *) self->page_text->chars->data;

  if (self->sel_anchor < 0)
    {
      for (int i = 0; i < n; i++)
        if (select_word_at (self, i))
          return TRUE;
      return FALSE;
    }

  end = self->sel_end;
  switch (move)
    {
    case 1: /* a character */
    case -1:
      end = CLAMP (end + move, 0, n - 1);
      break;

    case 2: /* a word */
      while (end + 1 < n && !g_unichar_isspace (chars[end + 1].c) && chars[end + 1].line == chars[end].line)
        end++;
      end = MIN (end + 1, n - 1);
      while (end + 1 < n && g_unichar_isspace (chars[end].c))
        end++;
      while (end + 1 < n && !g_unichar_isspace (chars[end + 1].c) && chars[end + 1].line == chars[end].line)
        end++;
      break;

    case -2:
      end = MAX (end - 1, 0);
      while (end > 0 && g_unichar_isspace (chars[end].c))
        end--;
      while (end > 0 && !g_unichar_isspace (chars[end - 1].c) && chars[end - 1].line == chars[end].line)
        end--;
      break;

    case 3: /* a line, at the same x */
    case -3:
      {
        int   line = chars[end].line + (move > 0 ? 1 : -1);
        float x = (chars[end].x0 + chars[end].x1) / 2;
        int   best = -1;
        float best_dx = G_MAXFLOAT;

        for (int i = 0; i < n; i++)
          if (chars[i].line == line && fabsf ((chars[i].x0 + chars[i].x1) / 2 - x) < best_dx)
            {
              best_dx = fabsf ((chars[i].x0 + chars[i].x1) / 2 - x);
              best = i;
            }
        if (best >= 0)
          end = best;
        else
          end = move > 0 ? n - 1 : 0;
      }
      break;

    default:
      break;
    }
  return kios_reader_view_select (self, self->sel_anchor, end);
}

static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);

  if (self->sel_anchor < 0)
    return FALSE;
  kios_reader_view_clear_selection (self);
  return TRUE;
}

static gboolean
menu_key_cb (GtkWidget *widget,
             GVariant  *args,
             gpointer   user_data)
{
  KiosReaderView     *self = KIOS_READER_VIEW (widget);
  const KiosPageChar *pc;
  int                 first, last;

  if (!kios_reader_view_get_selection (self, &first, &last) || !self->page_rect_valid)
    return FALSE;
  pc = &g_array_index (self->page_text->chars, KiosPageChar, first);
  kios_reader_view_popup_selection_menu (self,
                                         self->page_rect.origin.x + pc->x0 * self->page_rect.size.width,
                                         self->page_rect.origin.y + pc->y1 * self->page_rect.size.height);
  return TRUE;
}

void
kios_reader_selection_class_init (GtkWidgetClass *widget_class)
{
  const struct
  {
    guint           key;
    GdkModifierType mods;
    int             move;
  } extend[] = {
    { GDK_KEY_Right, GDK_SHIFT_MASK, 1 },
    { GDK_KEY_Left, GDK_SHIFT_MASK, -1 },
    { GDK_KEY_Right, GDK_SHIFT_MASK | GDK_CONTROL_MASK, 2 },
    { GDK_KEY_Left, GDK_SHIFT_MASK | GDK_CONTROL_MASK, -2 },
    { GDK_KEY_Down, GDK_SHIFT_MASK, 3 },
    { GDK_KEY_Up, GDK_SHIFT_MASK, -3 },
  };

  gtk_widget_class_install_action (widget_class, "reader.copy", NULL, selection_action_cb);
  gtk_widget_class_install_action (widget_class, "reader.find-selection", NULL, selection_action_cb);
  gtk_widget_class_install_action (widget_class, "reader.look-up", NULL, selection_action_cb);
  /* The last binding is the one menus show: Ctrl+C. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Insert, GDK_CONTROL_MASK, "reader.copy", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "reader.copy", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (extend); i++)
    gtk_widget_class_add_binding (widget_class, extend[i].key, extend[i].mods, extend_cb, "i", extend[i].move);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Menu, 0, menu_key_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, menu_key_cb, NULL);
}

/* The colour swatches of the menu, in the highlights' own colours. */
static const char swatch_css[] =
    ".highlight-swatch { min-width: 24px; min-height: 24px; padding: 4px; }\n"
    ".highlight-swatch, .highlight-mark { border: 1px solid alpha(currentColor, 0.15); }\n"
    ".highlight-yellow { background: #f6d32d; }\n"
    ".highlight-green { background: #8ff0a4; }\n"
    ".highlight-blue { background: #99c1f1; }\n"
    ".highlight-red { background: #f66151; }\n"
    ".highlight-swatch:hover { filter: brightness(0.92); }\n"
    ".highlight-mark { min-width: 12px; min-height: 12px; border-radius: 999px; }\n";

static void
load_css_once (void)
{
  static gboolean loaded;
  GtkCssProvider *provider;
  GdkDisplay     *display = gdk_display_get_default ();

  if (loaded || display == NULL)
    return;
  loaded = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, swatch_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref (provider);
}

void
kios_reader_selection_init (KiosReaderView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *long_press = gtk_gesture_long_press_new ();

  load_css_once ();

  self->sel_anchor = -1;
  self->sel_end = -1;

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect (long_press, "pressed", G_CALLBACK (long_press_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (long_press));

  update_selection_actions (self);
}

void
kios_reader_selection_dispose (KiosReaderView *self)
{
  kios_reader_selection_reset (self);
  g_clear_pointer (&self->selection_menu, gtk_widget_unparent);
  /* The other page's find matches (kios-reader-view-find.c) go with its text. */
  if (self->find_other_cancellable != NULL)
    g_cancellable_cancel (self->find_other_cancellable);
  g_clear_object (&self->find_other_cancellable);
  g_clear_pointer (&self->find_rects_other, g_array_unref);
}
