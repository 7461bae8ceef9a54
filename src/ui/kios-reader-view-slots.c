/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view-private.h"

#include "kios-error-messages.h"

static void render_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data);

void
kios_reader_view_sheet_free (Sheet *sheet)
{
  if (sheet == NULL)
    return;
  g_clear_pointer (&sheet->page, kios_page_free);
  g_clear_object (&sheet->texture);
  g_clear_pointer (&sheet->highlights, g_array_unref);
  g_free (sheet);
}

static Sheet *
sheet_new (KiosPage *page)
{
  Sheet *sheet = g_new0 (Sheet, 1);
  gsize  needed;

  sheet->page = page;
  /* The worker's buffer is trusted only as far as its size says. */
  needed = (gsize) page->stride * (gsize) MAX (page->height, 0);
  if (page->pixels != NULL && page->width > 0 && page->height > 0 &&
      page->stride >= page->width * 3 && g_bytes_get_size (page->pixels) >= needed)
    sheet->texture = gdk_memory_texture_new (page->width, page->height,
                                             GDK_MEMORY_R8G8B8,
                                             page->pixels, page->stride);
  else
    g_warning ("Page %d:%d came back without usable pixels",
               page->location.chapter, page->location.page);
  return sheet;
}

void
kios_reader_view_show_spec_clear (ShowSpec *spec)
{
  g_clear_pointer (&spec->position, kios_position_free);
  g_clear_pointer (&spec->save, kios_position_free);
  spec->valid = FALSE;
}

static void
render_call_free (RenderCall *call)
{
  g_clear_pointer (&call->save, kios_position_free);
  g_weak_ref_clear (&call->self);
  g_free (call);
}

void
kios_reader_view_cancel_slot (KiosReaderView *self,
                              Slot            slot)
{
  /* Bumping the serial makes a late answer of the old request a no-op. */
  self->slot_serial[slot]++;
  if (self->slot_cancellable[slot] != NULL)
    {
      g_cancellable_cancel (self->slot_cancellable[slot]);
      g_clear_object (&self->slot_cancellable[slot]);
    }
}

static gboolean
slot_busy (KiosReaderView *self,
           Slot            slot)
{
  return self->slot_cancellable[slot] != NULL;
}

/* The sheet offset pages from the one on screen (-2 … 3), as a field. */
static Sheet **
sheet_at (KiosReaderView *self,
          int             offset)
{
  switch (offset)
    {
    case -2:
      return &self->prev2;
    case -1:
      return &self->prev;
    case 0:
      return &self->current;
    case 1:
      return &self->next;
    case 2:
      return &self->next2;
    case 3:
      return &self->next3;
    default:
      g_assert_not_reached ();
    }
}

static int
slot_offset (Slot slot)
{
  switch (slot)
    {
    case SLOT_PREV2:
      return -2;
    case SLOT_PREV:
      return -1;
    case SLOT_NEXT:
      return 1;
    case SLOT_NEXT2:
      return 2;
    case SLOT_NEXT3:
      return 3;
    case SLOT_SHOW:
    case N_SLOTS:
    default:
      g_assert_not_reached ();
    }
}

/* Pre-renders started from the old pages: they are not the new pages' neighbours. */
static void
cancel_spread_slots (KiosReaderView *self)
{
  kios_reader_view_cancel_slot (self, SLOT_NEXT2);
  kios_reader_view_cancel_slot (self, SLOT_NEXT3);
  kios_reader_view_cancel_slot (self, SLOT_PREV2);
}

void
kios_reader_view_drop_neighbours (KiosReaderView *self)
{
  kios_reader_view_cancel_slot (self, SLOT_NEXT);
  kios_reader_view_cancel_slot (self, SLOT_PREV);
  cancel_spread_slots (self);
  g_clear_pointer (&self->next, kios_reader_view_sheet_free);
  g_clear_pointer (&self->prev, kios_reader_view_sheet_free);
  g_clear_pointer (&self->next2, kios_reader_view_sheet_free);
  g_clear_pointer (&self->next3, kios_reader_view_sheet_free);
  g_clear_pointer (&self->prev2, kios_reader_view_sheet_free);
}

static void
fill_request (KiosReaderView  *self,
              KiosPageRequest *request)
{
  kios_page_request_init (request);
  request->box_width = self->render_box.size.width;
  request->box_height = self->render_box.size.height;
  request->scale = MAX (self->render_scale, 1);
  request->fit = self->pdf_fit;
  request->zoom = self->pdf_zoom;
  request->foreground = self->foreground;
  request->background = self->background;
}

static RenderCall *
start_call (KiosReaderView *self,
            Slot            slot)
{
  RenderCall *call = g_new0 (RenderCall, 1);

  kios_reader_view_cancel_slot (self, slot);
  self->slot_cancellable[slot] = g_cancellable_new ();
  g_weak_ref_init (&call->self, self);
  call->slot = slot;
  call->serial = self->slot_serial[slot];
  call->render_serial = self->render_serial;
  return call;
}

void
kios_reader_view_issue_show (KiosReaderView *self)
{
  KiosPageRequest request;
  RenderCall     *call;

  g_assert (self->show_spec.valid);
  g_assert (self->document != NULL);

  fill_request (self, &request);
  request.kind = self->show_spec.kind;
  request.location = self->show_spec.location;
  request.position = self->show_spec.position;
  request.toc_index = self->show_spec.toc_index;

  call = start_call (self, SLOT_SHOW);
  call->reason = self->show_spec.reason;
  call->save = self->show_spec.save != NULL ? kios_position_copy (self->show_spec.save) : NULL;
  kios_document_render_async (self->document, &request,
                              self->slot_cancellable[SLOT_SHOW],
                              render_cb, call);
}

/* Asks for the page to put on screen; superseding any earlier such request. */
void
kios_reader_view_request_show (KiosReaderView     *self,
                               KiosPageRequestKind kind,
                               const KiosLocation *location,
                               const KiosPosition *position,
                               int                 toc_index,
                               ShowReason          reason,
                               const KiosPosition *save)
{
  kios_reader_view_show_spec_clear (&self->show_spec);
  /* A page asked for shows from its top; a refresh keeps the scroll. */
  if (reason != SHOW_REFRESH)
    self->flow_offset = 0.0;
  self->show_spec.valid = TRUE;
  self->show_spec.kind = kind;
  self->show_spec.location = location != NULL ? *location : (KiosLocation){ 0, 0 };
  self->show_spec.position = position != NULL ? kios_position_copy (position) : NULL;
  self->show_spec.toc_index = toc_index;
  self->show_spec.reason = reason;
  self->show_spec.save = save != NULL ? kios_position_copy (save) : NULL;

  /* Before the first allocation there is no box to render into yet:
   * kios_reader_view_apply_geometry() issues the request once there is. */
  if (self->document == NULL || !self->have_geometry)
    return;
  kios_reader_view_issue_show (self);
}

/* Renders the page after (direction > 0) or before base into slot. */
static void
prefetch_from (KiosReaderView *self,
               Slot            slot,
               const Sheet    *base,
               int             direction)
{
  KiosPageRequest request;
  RenderCall     *call;

  if (base == NULL || self->document == NULL)
    return;

  fill_request (self, &request);
  request.kind = direction > 0 ? KIOS_PAGE_REQUEST_NEXT : KIOS_PAGE_REQUEST_PREVIOUS;
  request.location = base->page->location;
  call = start_call (self, slot);
  kios_document_render_async (self->document, &request,
                              self->slot_cancellable[slot],
                              render_cb, call);
}

static void
prefetch (KiosReaderView *self,
          int             direction)
{
  prefetch_from (self, direction > 0 ? SLOT_NEXT : SLOT_PREV, self->current, direction);
}

/* Asks for the neighbour at offset, from the one before it, when missing. */
static void
prefetch_offset (KiosReaderView *self,
                 Slot            slot)
{
  int    offset = slot_offset (slot);
  Sheet *base = *sheet_at (self, offset > 0 ? offset - 1 : offset + 1);

  if (*sheet_at (self, offset) != NULL || base == NULL || slot_busy (self, slot))
    return;
  if (offset > 0 ? base->page->is_last : base->page->is_first)
    return;
  prefetch_from (self, slot, base, offset > 0 ? 1 : -1);
}

void
kios_reader_view_prefetch_neighbours (KiosReaderView *self)
{
  /* Held, only what is on screen (a spread's right page, the page below
   * in a scrolled view) and what a turn waits for are made. */
  gboolean held;

  if (self->current == NULL)
    return;
  held = self->neighbours_held && self->queued_turn == 0;
  /* The page after comes first: reading forwards is the common case (and
   * in a spread it is the right page). */
  if (!held || self->spread || self->scrolled)
    prefetch_offset (self, SLOT_NEXT);
  if (held)
    return;
  prefetch_offset (self, SLOT_PREV);
  if (!self->spread)
    return;
  /* A spread turns by two: both pages of the next spread, and the left
   * page of the one before. Each waits for the page it follows. */
  prefetch_offset (self, SLOT_NEXT2);
  prefetch_offset (self, SLOT_NEXT3);
  prefetch_offset (self, SLOT_PREV2);
}

/* A window not yet painted: the page after and before would share the
 * document's thread and the main loop with the first page, and wait for it. */
void
kios_reader_view_hold_neighbours (KiosReaderView *self,
                                  gboolean        held)
{
  gboolean was_held = self->neighbours_held;

  self->neighbours_held = held != FALSE;
  if (was_held && !held)
    kios_reader_view_prefetch_neighbours (self);
}

static void
render_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  RenderCall                *call = user_data;
  g_autoptr (KiosReaderView) self = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosPage)       page = NULL;
  Sheet                     *sheet;

  page = kios_document_render_finish (KIOS_DOCUMENT (source), result, &error);

  /* The view is gone, or this was superseded, cancelled, or for a document
   * that is no longer open. */
  self = g_weak_ref_get (&call->self);
  if (self == NULL ||
      call->serial != self->slot_serial[call->slot] ||
      (gpointer) source != (gpointer) self->document ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      render_call_free (call);
      return;
    }
  g_clear_object (&self->slot_cancellable[call->slot]);

  if (page == NULL)
    {
      /* The view says what happened in the error table's words; the core's
       * own detail goes to the log only. */
      g_autofree char *sentence = error != NULL ? kios_error_message_for_open (error) : NULL;

      /* Shown in the view; a hostile book is not a programming error. */
      g_message ("Could not render a page of %s: %s",
                 kios_document_get_path (self->document),
                 error != NULL ? error->message : "no page");
      if (call->slot == SLOT_SHOW)
        {
          kios_reader_view_show_spec_clear (&self->show_spec);
          self->queued_turn = 0;
          kios_reader_view_show_status (self, sentence);
        }
      else if ((call->slot != SLOT_PREV && call->slot != SLOT_PREV2 && self->queued_turn > 0) ||
               ((call->slot == SLOT_PREV || call->slot == SLOT_PREV2) && self->queued_turn < 0))
        {
          self->queued_turn = 0;
          kios_reader_view_show_status (self, sentence);
        }
      render_call_free (call);
      return;
    }

  if (call->render_serial != self->render_serial ||
      page->layout_serial != kios_document_get_layout_serial (self->document))
    {
      /* Rendered for an older size, colour or layout; the newer request is on its way. */
      g_debug ("Dropping a page of an older layout");
      render_call_free (call);
      return;
    }

  sheet = sheet_new (g_steal_pointer (&page));
  switch (call->slot)
    {
    case SLOT_SHOW:
      {
        gboolean keep = call->reason == SHOW_REFRESH;

        kios_reader_view_show_spec_clear (&self->show_spec);
        kios_reader_view_page_changed (self, sheet, call->reason, call->save, keep);
      }
      break;

    case SLOT_NEXT:
    case SLOT_PREV:
    case SLOT_NEXT2:
    case SLOT_NEXT3:
    case SLOT_PREV2:
      {
        Sheet **field = sheet_at (self, slot_offset (call->slot));
        int     queued = self->queued_turn;

        kios_reader_view_sheet_free (*field);
        *field = sheet;
        /* The right page of a spread is on screen as soon as it is here,
         * with its highlights and find matches. */
        if (call->slot == SLOT_NEXT && (self->spread || self->scrolled))
          {
            kios_reader_annotations_refresh (self);
            kios_reader_selection_update_accessible (self);
            if (self->find_visible)
              kios_reader_view_update_find_highlights (self);
            gtk_widget_queue_draw (GTK_WIDGET (self));
          }
        if ((queued > 0 && slot_offset (call->slot) > 0) || (queued < 0 && slot_offset (call->slot) < 0))
          {
            self->queued_turn = 0;
            kios_reader_view_turn (self, queued);
          }
        else
          kios_reader_view_prefetch_neighbours (self);
      }
      break;

    case N_SLOTS:
    default:
      g_assert_not_reached ();
    }

  render_call_free (call);
}

/* Moves the sheets so that the one at offset k is on screen; the others keep
 * their place relative to it, those out of reach are freed. Returns the new
 * page on screen, for kios_reader_view_page_changed(). */
static Sheet *
shift_sheets (KiosReaderView *self,
              int             k)
{
  Sheet *old[6];
  Sheet *incoming;

  for (int i = -2; i <= 3; i++)
    old[i + 2] = g_steal_pointer (sheet_at (self, i));
  incoming = g_steal_pointer (&old[k + 2]);
  for (int i = -2; i <= 3; i++)
    {
      int j = i + k;

      if (i != 0 && j >= -2 && j <= 3)
        *sheet_at (self, i) = g_steal_pointer (&old[j + 2]);
    }
  for (int i = 0; i < 6; i++)
    kios_reader_view_sheet_free (old[i]);
  return incoming;
}

static void
bell (KiosReaderView *self)
{
  self->queued_turn = 0;
  self->show_bottom = FALSE;
  gtk_widget_error_bell (GTK_WIDGET (self));
}

/*
 * A spread turns by two pages: the next spread's left page is two after
 * this one, the previous spread's two before (one when the page before is
 * the book's first). Waits for the pages it needs, as a single turn does.
 */
static void
turn_spread (KiosReaderView *self,
             int             direction)
{
  int     k;
  int     number = self->current->page->page_number;
  Sheet **want;
  Sheet  *sheet;

  if (direction > 0)
    {
      /* The right page says whether there is a next spread. */
      if (self->next == NULL)
        {
          self->queued_turn = direction;
          kios_reader_view_prefetch_neighbours (self);
          return;
        }
      if (self->next->page->is_last)
        {
          bell (self);
          return;
        }
      k = 2;
    }
  else
    {
      if (self->prev == NULL)
        {
          self->queued_turn = direction;
          kios_reader_view_prefetch_neighbours (self);
          return;
        }
      k = self->prev->page->is_first ? -1 : -2;
    }

  want = sheet_at (self, k);
  if (*want != NULL &&
      (*want)->page->layout_serial != kios_document_get_layout_serial (self->document))
    g_clear_pointer (want, kios_reader_view_sheet_free);
  if (*want == NULL)
    {
      self->queued_turn = direction;
      kios_reader_view_prefetch_neighbours (self);
      return;
    }

  cancel_spread_slots (self);
  sheet = shift_sheets (self, k);
  /* Pre-rendered before the count finished: number it from this page. */
  if (sheet->page->page_number < 0 && number >= 0)
    sheet->page->page_number = number + k;
  kios_reader_view_page_changed (self, sheet, SHOW_USER, NULL, TRUE);
}

/* One page forwards (direction > 0) or backwards: swaps in the pre-rendered
 * neighbour when it is there, else waits for exactly one. In a two-page
 * spread, two pages. */
void
kios_reader_view_turn (KiosReaderView *self,
                       int             direction)
{
  Sheet **want;
  Sheet **other;
  Sheet  *sheet;
  Sheet  *old;

  if (self->document == NULL)
    return;

  if (self->current == NULL || self->show_spec.valid)
    {
      self->queued_turn = direction;
      return;
    }

  if (direction > 0 ? self->current->page->is_last : self->current->page->is_first)
    {
      self->queued_turn = 0;
      self->show_bottom = FALSE;
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  if (self->spread)
    {
      turn_spread (self, direction);
      return;
    }

  want = direction > 0 ? &self->next : &self->prev;
  other = direction > 0 ? &self->prev : &self->next;

  if (*want != NULL &&
      (*want)->page->layout_serial != kios_document_get_layout_serial (self->document))
    g_clear_pointer (want, kios_reader_view_sheet_free);

  if (*want == NULL)
    {
      self->queued_turn = direction;
      if (!slot_busy (self, direction > 0 ? SLOT_NEXT : SLOT_PREV))
        prefetch (self, direction);
      return;
    }

  sheet = g_steal_pointer (want);
  old = g_steal_pointer (&self->current);

  /* Pre-rendered before the count finished: number it from its neighbour. */
  if (sheet->page->page_number < 0 && old->page->page_number >= 0)
    sheet->page->page_number = old->page->page_number + direction;

  kios_reader_view_sheet_free (*other);
  *other = old;
  kios_reader_view_page_changed (self, sheet, SHOW_USER, NULL, TRUE);
}

void
kios_reader_view_invalidate (KiosReaderView *self,
                             gboolean        layout_changed)
{
  self->render_serial++;
  kios_reader_view_drop_neighbours (self);

  if (self->show_spec.valid)
    {
      /* The page on its way was asked for with the old parameters: ask again. */
      if (layout_changed && self->show_spec.reason == SHOW_REFRESH && self->anchor_toc >= 0)
        kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_TOC_ENTRY, NULL, NULL, self->anchor_toc, SHOW_RELAYOUT, NULL);
      else if (layout_changed && self->show_spec.reason == SHOW_REFRESH && self->anchor != NULL)
        {
          g_autoptr (KiosPosition) anchor = kios_position_copy (self->anchor);

          kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, anchor, -1, SHOW_RELAYOUT, NULL);
        }
      else if (self->have_geometry)
        kios_reader_view_issue_show (self);
      return;
    }

  if (self->current == NULL)
    return;

  if (layout_changed && self->anchor_toc >= 0)
    kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_TOC_ENTRY, NULL, NULL, self->anchor_toc, SHOW_RELAYOUT, NULL);
  else if (layout_changed && self->anchor != NULL)
    {
      g_autoptr (KiosPosition) anchor = kios_position_copy (self->anchor);

      kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, anchor, -1, SHOW_RELAYOUT, NULL);
    }
  else
    {
      KiosLocation location = self->current->page->location;

      kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_REFRESH, NULL);
    }
}

/* Shows the page holding position; for a jump that is not a page turn. */
void
kios_reader_view_request_position (KiosReaderView     *self,
                                   const KiosPosition *position,
                                   ShowReason          reason)
{
  kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, position, -1, reason, position);
}

/* ---- scrolled: the pages one under the other ---- */

static gboolean
neighbour_ready (KiosReaderView *self,
                 Sheet          *sheet)
{
  return sheet != NULL && sheet->page->layout_serial == kios_document_get_layout_serial (self->document);
}

gboolean
kios_reader_view_flow_scroll (KiosReaderView *self,
                              double          pixels)
{
  double pitch;
  double offset;

  if (!self->scrolled || self->document == NULL || self->current == NULL || self->show_spec.valid)
    return FALSE;

  pitch = self->render_box.size.height + FLOW_GAP;
  offset = self->flow_offset + pixels;

  /* The top page gone by: the one below it is the page on screen now (its
   * position is the one saved), as after a page turn. */
  while (offset >= pitch && !self->current->page->is_last && neighbour_ready (self, self->next))
    {
      offset -= pitch;
      self->flow_offset = offset;
      kios_reader_view_turn (self, 1);
    }
  while (offset < 0 && !self->current->page->is_first && neighbour_ready (self, self->prev))
    {
      offset += pitch;
      self->flow_offset = offset;
      kios_reader_view_turn (self, -1);
    }

  /* The book's ends, or a neighbour still on its way: stop at its edge. */
  if (self->current->page->is_last)
    offset = 0.0;
  offset = CLAMP (offset, 0.0, pitch - 1.0);
  if (offset == self->flow_offset && pixels != 0.0 &&
      (pixels > 0 ? self->current->page->is_last : self->current->page->is_first))
    return FALSE;
  self->flow_offset = offset;
  kios_reader_view_prefetch_neighbours (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}
