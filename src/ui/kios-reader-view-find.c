/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view-private.h"

/* ------------------------------------------------------------------------ */
/* Find in book.                                                            */

static void
find_rects_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (KiosReaderView) self = user_data;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GArray)         rects = kios_document_find_on_page_finish (KIOS_DOCUMENT (source), result, &error);

  if (rects == NULL || (gpointer) source != (gpointer) self->document)
    return;
  g_clear_pointer (&self->find_rects, g_array_unref);
  self->find_rects = g_steal_pointer (&rects);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
find_rects_other_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (KiosReaderView) self = user_data;
  g_autoptr (GArray)         rects = kios_document_find_on_page_finish (KIOS_DOCUMENT (source), result, NULL);

  if (rects == NULL || (gpointer) source != (gpointer) self->document)
    return;
  g_clear_pointer (&self->find_rects_other, g_array_unref);
  self->find_rects_other = g_steal_pointer (&rects);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

Sheet *
kios_reader_view_other_sheet (KiosReaderView *self)
{
  if ((!self->spread && !self->scrolled) || self->current == NULL || self->next == NULL)
    return NULL;
  return self->next;
}

/* Asks the worker where the matches are on the page on screen. */
void
kios_reader_view_update_find_highlights (KiosReaderView *self)
{
  KiosSearchMatcher *matcher;

  if (self->find_cancellable != NULL)
    {
      g_cancellable_cancel (self->find_cancellable);
      g_clear_object (&self->find_cancellable);
    }
  if (self->find_other_cancellable != NULL)
    {
      g_cancellable_cancel (self->find_other_cancellable);
      g_clear_object (&self->find_other_cancellable);
    }
  if (self->find_rects != NULL || self->find_rects_other != NULL)
    {
      g_clear_pointer (&self->find_rects, g_array_unref);
      g_clear_pointer (&self->find_rects_other, g_array_unref);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }

  matcher = self->find_visible ? kios_find_bar_get_matcher (KIOS_FIND_BAR (self->find_bar)) : NULL;
  if (matcher == NULL || self->document == NULL || self->current == NULL)
    return;

  self->find_cancellable = g_cancellable_new ();
  self->find_rects_location = self->current->page->location;
  kios_document_find_on_page_async (self->document, matcher, self->find_rects_location,
                                    self->find_cancellable, find_rects_cb, g_object_ref (self));
  /* A spread's right page, or the page below in the scrolled mode, too. */
  if (kios_reader_view_other_sheet (self) != NULL)
    {
      self->find_other_cancellable = g_cancellable_new ();
      self->find_rects_other_location = kios_reader_view_other_sheet (self)->page->location;
      kios_document_find_on_page_async (self->document, matcher, self->find_rects_other_location,
                                        self->find_other_cancellable, find_rects_other_cb, g_object_ref (self));
    }
}

/* The rank on the page on screen of the match last gone to, or -1. */
static int
find_current_rank (KiosReaderView *self,
                   const KiosPage *page)
{
  KiosFindBar         *bar = KIOS_FIND_BAR (self->find_bar);
  KiosBookSearch      *search = kios_find_bar_get_search (bar);
  int                  current = kios_find_bar_get_current (bar);
  const KiosSearchHit *hit;
  gint64               page_start = 0;
  int                  rank = 0;

  if (search == NULL || current < 0 || page == NULL || !self->find_match_valid)
    return -1;
  if (page->location.chapter != self->find_match_location.chapter ||
      page->location.page != self->find_match_location.page)
    return -1;

  /* Matches are found in the same order on the page as in the book: count
   * those of the same chapter between the page's first word and this one. */
  hit = kios_book_search_get_hit (search, (guint) current);
  if (hit->xpointer != NULL && page->position != NULL)
    page_start = page->position->offset;
  for (int i = current - 1; i >= 0; i--)
    {
      const KiosSearchHit *before = kios_book_search_get_hit (search, (guint) i);

      if (before->chapter != hit->chapter || (hit->xpointer != NULL && before->offset < page_start))
        break;
      rank++;
    }
  return rank;
}

void
kios_reader_view_snapshot_find (KiosReaderView        *self,
                                GtkSnapshot           *snapshot,
                                const graphene_rect_t *page_rect,
                                gboolean               other)
{
  Sheet          *sheet = other ? kios_reader_view_other_sheet (self) : self->current;
  GArray         *rects = other ? self->find_rects_other : self->find_rects;
  KiosLocation   *location = other ? &self->find_rects_other_location : &self->find_rects_location;
  const KiosPage *page;
  int             current;
  gboolean        dark = self->background < 0x808080;
  GdkRGBA         match = { 0.98, 0.80, 0.10, dark ? 0.38 : 0.42 };
  GdkRGBA         chosen = { 1.0, 0.47, 0.0, dark ? 0.55 : 0.50 };

  /* Highlights and the selection, under the find matches. */
  kios_reader_selection_snapshot (self, snapshot, page_rect, other);
  if (rects == NULL || sheet == NULL)
    return;
  page = sheet->page;
  if (page->location.chapter != location->chapter || page->location.page != location->page)
    return;

  current = find_current_rank (self, page);
  for (guint i = 0; i < rects->len; i++)
    {
      const KiosSearchRect *r = &g_array_index (rects, KiosSearchRect, i);
      double                pad = 1.5;
      graphene_rect_t       box = GRAPHENE_RECT_INIT (page_rect->origin.x + r->x0 * page_rect->size.width - pad,
                                                      page_rect->origin.y + r->y0 * page_rect->size.height - pad,
                                                      (r->x1 - r->x0) * page_rect->size.width + 2 * pad,
                                                      (r->y1 - r->y0) * page_rect->size.height + 2 * pad);
      GskRoundedRect        rounded;

      gsk_rounded_rect_init_from_rect (&rounded, &box, 3);
      gtk_snapshot_push_rounded_clip (snapshot, &rounded);
      gtk_snapshot_append_color (snapshot, r->hit == current ? &chosen : &match, &box);
      gtk_snapshot_pop (snapshot);
    }
}

static void
find_go_to_match_cb (KiosFindBar      *bar,
                     KiosSearchResult *result,
                     KiosReaderView   *self)
{
  g_autoptr (KiosPosition) target = NULL;

  if (self->document == NULL)
    return;
  target = kios_search_result_to_position (result, kios_document_get_format (self->document));
  self->find_match_valid = FALSE;
  self->queued_turn = 0;
  kios_reader_view_request_position (self, target, SHOW_FIND);
}

static void
find_query_changed_cb (KiosFindBar    *bar,
                       KiosReaderView *self)
{
  self->find_match_valid = FALSE;
  kios_reader_view_update_find_highlights (self);
}

static void
find_closed_cb (KiosFindBar    *bar,
                gboolean        restore,
                KiosReaderView *self)
{
  kios_reader_view_set_find_visible (self, FALSE, restore);
}

/* The find bar is made the first time find is used: a start does not
 * build it. */
static void
ensure_find_bar (KiosReaderView *self)
{
  if (self->find_bar != NULL)
    return;
  self->find_bar = kios_find_bar_new ();
  gtk_widget_set_visible (self->find_bar, FALSE);
  gtk_widget_set_parent (self->find_bar, GTK_WIDGET (self));
  g_signal_connect (self->find_bar, "go-to-match", G_CALLBACK (find_go_to_match_cb), self);
  g_signal_connect (self->find_bar, "query-changed", G_CALLBACK (find_query_changed_cb), self);
  g_signal_connect (self->find_bar, "closed", G_CALLBACK (find_closed_cb), self);
}

void
kios_reader_view_set_find_visible (KiosReaderView *self,
                                   gboolean        visible,
                                   gboolean        restore)
{
  GtkWidget *focus;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  visible = !!visible && self->document != NULL;
  if (visible)
    {
      if (!self->find_visible)
        {
          g_clear_pointer (&self->find_origin, kios_position_free);
          if (self->position != NULL)
            self->find_origin = kios_position_copy (self->position);
        }
      ensure_find_bar (self);
      self->find_visible = TRUE;
      gtk_widget_set_visible (self->find_bar, TRUE);
      kios_find_bar_begin (KIOS_FIND_BAR (self->find_bar), self->document, self->find_origin);
      kios_reader_view_update_find_highlights (self);
      return;
    }

  if (!self->find_visible)
    return;
  focus = gtk_widget_get_root (GTK_WIDGET (self)) != NULL
              ? gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)))
              : NULL;
  self->find_visible = FALSE;
  self->find_match_valid = FALSE;
  kios_find_bar_end (KIOS_FIND_BAR (self->find_bar));
  gtk_widget_set_visible (self->find_bar, FALSE);
  kios_reader_view_update_find_highlights (self);
  /* The keys go back to the page, if they were in the bar. */
  if (focus != NULL && (focus == self->find_bar || gtk_widget_is_ancestor (focus, self->find_bar)))
    gtk_widget_grab_focus (GTK_WIDGET (self));

  if (self->document == NULL)
    return;
  if (restore && self->find_origin != NULL)
    {
      g_autoptr (KiosPosition) origin = g_steal_pointer (&self->find_origin);

      self->queued_turn = 0;
      kios_reader_view_request_position (self, origin, SHOW_FIND);
    }
  else if (!restore && self->current != NULL && self->current->page->position != NULL)
    {
      /* Staying on the match: it is where the reader is now. */
      kios_reader_view_save_position (self, self->current->page->position);
      kios_reader_view_emit_user_turned_page (self);
    }
  g_clear_pointer (&self->find_origin, kios_position_free);
}

gboolean
kios_reader_view_get_find_visible (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);
  return self->find_visible;
}

GtkWidget *
kios_reader_view_get_find_bar (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);
  ensure_find_bar (self);
  return self->find_bar;
}

guint
kios_reader_view_get_n_find_highlights (KiosReaderView *self,
                                        int            *current)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), 0);

  if (current != NULL)
    *current = self->find_rects != NULL ? find_current_rank (self, self->current != NULL ? self->current->page : NULL) : -1;
  return self->find_rects != NULL ? self->find_rects->len : 0;
}

/* ------------------------------------------------------------------------ */
/* Focus back to the page when a popover that had it closes (Escape puts it
 * on the popover's button, where the arrow keys would walk the header).   */

/* Whether the focus is where a closed popover leaves it: in the popover,
 * on the button that owns it, or nowhere. */
static gboolean
focus_left_by_popover (GtkWidget *focus,
                       GtkWidget *popover)
{
  GtkWidget *owner = gtk_widget_get_parent (popover);

  if (focus == NULL || focus == popover || gtk_widget_is_ancestor (focus, popover))
    return TRUE;
  return owner != NULL && (focus == owner || gtk_widget_is_ancestor (focus, owner));
}

static void
take_focus_back (KiosReaderView *self,
                 GtkWidget      *popover)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (root == NULL || self->document == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      gtk_widget_get_visible (popover))
    return;
  if (focus_left_by_popover (gtk_root_get_focus (root), popover))
    gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
popover_closed_cb (GtkPopover     *popover,
                   KiosReaderView *self)
{
  take_focus_back (self, GTK_WIDGET (popover));
}

static void
root_focus_cb (GtkWindow      *window,
               GParamSpec     *pspec,
               KiosReaderView *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *popover = focus != NULL ? gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER) : NULL;

  if (popover != NULL)
    {
      if (popover != self->popover_focus)
        {
          if (self->popover_focus != NULL)
            g_signal_handlers_disconnect_by_func (self->popover_focus, popover_closed_cb, self);
          g_set_weak_pointer (&self->popover_focus, popover);
          g_signal_connect_object (popover, "closed", G_CALLBACK (popover_closed_cb), self, 0);
        }
      return;
    }
  /* GTK may also move the focus to the popover's button after it closed. */
  if (self->popover_focus != NULL && !gtk_widget_get_visible (self->popover_focus))
    take_focus_back (self, self->popover_focus);
}

void
kios_reader_view_track_root_focus (KiosReaderView *self,
                                   gboolean        track)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (root == NULL || !GTK_IS_WINDOW (root))
    return;
  if (track)
    g_signal_connect_object (root, "notify::focus-widget", G_CALLBACK (root_focus_cb), self, 0);
  else
    g_signal_handlers_disconnect_by_func (root, root_focus_cb, self);
  if (self->popover_focus != NULL)
    g_signal_handlers_disconnect_by_func (self->popover_focus, popover_closed_cb, self);
  g_clear_weak_pointer (&self->popover_focus);
}
