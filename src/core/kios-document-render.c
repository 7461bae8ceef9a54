/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document-private.h"

#include "kios-error.h"
#include "kios-text-anchor.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Positions.                                                               */

const char *
kios_worker_chapter_title (Worker *w,
                           int     chapter,
                           gint64  offset)
{
  const char *title = NULL;

  for (guint i = 0; i < w->toc->len; i++)
    {
      KiosTocEntry *entry = g_ptr_array_index (w->toc, i);
      gint64        entry_offset = w->toc_offsets != NULL ? MAX (w->toc_offsets[i], 0) : 0;

      if (entry->chapter < 0)
        continue;
      if (entry->chapter < chapter || (entry->chapter == chapter && entry_offset <= offset))
        title = entry->title;
    }

  return title;
}

KiosPosition *
kios_worker_position_at (Worker      *w,
                         KiosLocation loc)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = w->format;
  pos->chapter = loc.chapter;
  pos->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  pos->device = g_strdup (w->device);
  pos->device_id = g_strdup (w->device_id);

  if (w->format == KIOS_BOOK_FORMAT_PDF)
    {
      pos->total_progress = w->n_chapters > 0 ? (double) (loc.chapter + 1) / w->n_chapters : 0;
      pos->chapter_title = g_strdup (kios_worker_chapter_title (w, loc.chapter, 0));
      return pos;
    }
  else
    {
      const KiosSpineItem *item = kios_epub_get_spine_item (w->epub, (guint) loc.chapter);
      KiosChapterText     *text;
      gsize                dlen = 0;
      gint64               offset = 0;

      text = kios_worker_get_text (w, loc.chapter, NULL);
      if (text != NULL)
        dlen = kios_chapter_text_get_length (text);

      /* The first page of a chapter starts at its first character, whatever
       * MuPDF draws before it; later pages are anchored in the DOM text. */
      if (text != NULL && loc.page > 0 && dlen > 0)
        offset = kios_worker_page_offset (w, loc.chapter, loc.page, text);

      offset = CLAMP (offset, 0, (gint64) dlen);
      pos->offset = offset;
      pos->chapter_href = g_strdup (item != NULL ? item->href : NULL);
      if (text != NULL && dlen > 0 && (gsize) offset < dlen)
        pos->xpointer = kios_chapter_text_get_xpointer (text, loc.chapter + 1, (gsize) offset);
      else if (text != NULL && dlen > 0)
        pos->xpointer = kios_chapter_text_get_xpointer (text, loc.chapter + 1, dlen - 1);
      else
        pos->xpointer = g_strdup_printf ("/body/DocFragment[%d]/body", loc.chapter + 1);

      pos->chapter_progress = dlen > 0 ? (double) offset / (double) dlen : 0.0;
      /* The book's very start is 0 % without the whole book's index, which a
       * first open would otherwise build before its first page. */
      if (loc.chapter > 0 || offset > 0)
        kios_worker_ensure_index (w);
      if (w->index_complete && w->total_length > 0)
        pos->total_progress = (double) (w->prefix[loc.chapter] + offset) / (double) w->total_length;
      pos->total_progress = CLAMP (pos->total_progress, 0.0, 1.0);
      pos->chapter_title = g_strdup (kios_worker_chapter_title (w, loc.chapter, offset));
    }

  return pos;
}

KiosLocation
kios_worker_location_for_position (Worker             *w,
                                   const KiosPosition *pos)
{
  KiosLocation loc = { 0, 0 };
  int          chapter = -1;
  gint64       offset = -1;

  if (w->format == KIOS_BOOK_FORMAT_PDF)
    {
      if (pos->chapter >= 0)
        loc.chapter = pos->chapter;
      else
        loc.chapter = (int) ceil (pos->total_progress * w->n_chapters) - 1;
      loc.chapter = CLAMP (loc.chapter, 0, w->n_chapters - 1);
      return loc;
    }

  if (pos->xpointer != NULL)
    {
      int fragment = 0;

      if (kios_xpointer_get_doc_fragment (pos->xpointer, &fragment) &&
          fragment >= 1 && fragment <= w->n_chapters)
        {
          KiosChapterText *text;
          gsize            index = 0;

          chapter = fragment - 1;
          text = kios_worker_get_text (w, chapter, NULL);
          if (text != NULL && kios_chapter_text_resolve (text, pos->xpointer, &index, NULL))
            offset = (gint64) index;
        }
    }

  if (chapter < 0 && pos->chapter_href != NULL)
    chapter = kios_epub_find_spine_index (w->epub, pos->chapter_href);

  if (chapter < 0 && pos->chapter >= 0 && pos->chapter < w->n_chapters)
    chapter = pos->chapter;

  if (chapter < 0)
    {
      /* Only the whole-book fraction is known. */
      gint64 target;

      kios_worker_ensure_index (w);
      target = (gint64) (pos->total_progress * (double) w->total_length);
      chapter = 0;
      while (chapter + 1 < w->n_chapters && w->prefix[chapter + 1] <= target)
        chapter++;
      offset = target - w->prefix[chapter];
    }

  if (offset < 0)
    {
      KiosChapterText *text = kios_worker_get_text (w, chapter, NULL);
      gsize            dlen = text != NULL ? kios_chapter_text_get_length (text) : 0;

      if (pos->offset > 0)
        offset = pos->offset;
      else
        offset = (gint64) (pos->chapter_progress * (double) dlen);
    }

  loc.chapter = CLAMP (chapter, 0, w->n_chapters - 1);
  loc.page = kios_worker_page_for_offset (w, loc.chapter, offset);
  return loc;
}

/* ------------------------------------------------------------------------ */
/* Navigation.                                                              */

KiosLocation
kios_worker_clamp (Worker      *w,
                   KiosLocation loc)
{
  int count;

  loc.chapter = CLAMP (loc.chapter, 0, w->n_chapters - 1);
  count = kios_worker_chapter_pages (w, loc.chapter);
  loc.page = CLAMP (loc.page, 0, MAX (count - 1, 0));
  return loc;
}

static gboolean
worker_step (Worker       *w,
             KiosLocation *loc,
             int           delta)
{
  KiosLocation next = kios_worker_clamp (w, *loc);

  if (delta > 0)
    {
      if (next.page + 1 < kios_worker_chapter_pages (w, next.chapter))
        {
          next.page++;
          *loc = next;
          return TRUE;
        }
      for (int c = next.chapter + 1; c < w->n_chapters; c++)
        if (kios_worker_chapter_pages (w, c) > 0)
          {
            loc->chapter = c;
            loc->page = 0;
            return TRUE;
          }
      return FALSE;
    }

  if (next.page > 0)
    {
      next.page--;
      *loc = next;
      return TRUE;
    }
  for (int c = next.chapter - 1; c >= 0; c--)
    {
      int count = kios_worker_chapter_pages (w, c);

      if (count > 0)
        {
          loc->chapter = c;
          loc->page = count - 1;
          return TRUE;
        }
    }
  return FALSE;
}

/* Without laying out the neighbouring chapter: every chapter has a page. */
static gboolean
worker_is_edge (Worker      *w,
                KiosLocation loc,
                int          delta)
{
  if (delta < 0)
    return loc.chapter == 0 && loc.page == 0;
  return loc.chapter == w->n_chapters - 1 &&
         loc.page + 1 >= kios_worker_chapter_pages (w, loc.chapter);
}

static int
worker_page_number (Worker      *w,
                    KiosLocation loc)
{
  int number = 0;

  for (int c = 0; c < loc.chapter; c++)
    {
      if (w->chapters[c].count < 0)
        return -1;
      number += w->chapters[c].count;
    }
  return number + loc.page;
}

/* ------------------------------------------------------------------------ */
/* Layout and rendering.                                                    */

void
kios_worker_apply_layout (Worker           *w,
                          const KiosLayout *layout,
                          int               serial)
{
  fz_context *ctx = w->ctx;
  KiosLayout  wanted = *layout;

  w->serial = serial;
  if (w->format != KIOS_BOOK_FORMAT_EPUB)
    return;

  wanted.width = MAX (layout->width, 64);
  wanted.height = MAX (layout->height, 64);
  wanted.font_size = CLAMP (layout->font_size, 4, 96);
  /* The layout the book already has (made ahead for the first page): what
   * is laid out and counted stays valid under the new serial. */
  if (w->has_layout && memcmp (&wanted, &w->layout, sizeof wanted) == 0)
    {
      /* A finished count is told again, under the serial the owner now has. */
      if (w->counts_complete)
        {
          w->counts_complete = FALSE;
          w->count_next = w->n_chapters;
        }
      return;
    }
  w->layout = wanted;

  if (layout->line_spacing != w->css_line_spacing && layout->line_spacing > 0)
    {
      g_autofree char   *css = NULL;
      g_autoptr (GError) error = NULL;
      char               spacing[G_ASCII_DTOSTR_BUF_SIZE];

      /* User CSS only reaches documents opened after it is set (MUPDF.md §2). */
      g_ascii_formatd (spacing, sizeof spacing, "%.2f", CLAMP (layout->line_spacing, 1.0, 3.0));
      css = g_strdup_printf (KIOS_MUPDF_BASE_CSS
                             " body, p, div, li, blockquote, dd, dt { line-height: %s; }",
                             spacing);
      g_mutex_lock (&kios_document_open_lock);
      fz_set_user_css (ctx, css);
      g_mutex_unlock (&kios_document_open_lock);

      fz_drop_document (ctx, w->doc);
      w->doc = NULL;
      if (!kios_worker_open_mupdf (w, &error))
        g_warning ("Cannot reopen %s with new spacing: %s", w->path, error->message);
      w->css_line_spacing = layout->line_spacing;
    }

  if (w->doc != NULL)
    {
      fz_try (ctx)
      {
        fz_layout_document (ctx, w->doc, (float) w->layout.width, (float) w->layout.height,
                            (float) w->layout.font_size);
      }
      fz_catch (ctx)
      {
        g_debug ("Layout failed: %s", fz_caught_message (ctx));
      }
    }

  w->has_layout = TRUE;
  for (int c = 0; c < w->n_chapters; c++)
    kios_document_chapter_clear_layout (&w->chapters[c]);
  w->count_next = 0;
  w->counts_complete = FALSE;
  w->prelayout = -1;
  kios_worker_load_counts (w);
}

static KiosLocation
worker_resolve_request (Worker                *w,
                        const KiosPageRequest *request,
                        const KiosPosition    *position,
                        GError               **error)
{
  KiosLocation loc = request->location;

  switch (request->kind)
    {
    case KIOS_PAGE_REQUEST_POSITION:
      if (position != NULL)
        return kios_worker_location_for_position (w, position);
      return kios_worker_clamp (w, loc);

    case KIOS_PAGE_REQUEST_NEXT:
      worker_step (w, &loc, +1);
      return kios_worker_clamp (w, loc);

    case KIOS_PAGE_REQUEST_PREVIOUS:
      worker_step (w, &loc, -1);
      return kios_worker_clamp (w, loc);

    case KIOS_PAGE_REQUEST_TOC_ENTRY:
      if (request->toc_index < 0 || (guint) request->toc_index >= w->toc->len ||
          ((KiosTocEntry *) g_ptr_array_index (w->toc, request->toc_index))->chapter < 0)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND,
                       "Contents entry %d does not point into the book", request->toc_index);
          return loc;
        }
      else
        {
          KiosTocEntry *entry = g_ptr_array_index (w->toc, request->toc_index);

          loc.chapter = entry->chapter;
          loc.page = 0;
          if (w->format == KIOS_BOOK_FORMAT_EPUB)
            {
              kios_worker_check_chapter (w, entry->chapter);
              loc.page = kios_worker_page_for_offset (w, entry->chapter,
                                                      MAX (w->toc_offsets[request->toc_index], 0));
            }
          return kios_worker_clamp (w, loc);
        }

    case KIOS_PAGE_REQUEST_LOCATION:
    default:
      return kios_worker_clamp (w, loc);
    }
}

/*
 * Maps black to the theme's ink and white to its paper, then puts the
 * pictures back as they were: a dark page must not show a negative cover.
 * Throws on MuPDF errors (the caller is inside fz_try).
 */
static void
tint_keeping_pictures (fz_context *ctx,
                       fz_page    *page,
                       fz_pixmap  *pixmap,
                       fz_matrix   ctm,
                       guint32     foreground,
                       guint32     background)
{
  fz_stext_options options = { FZ_STEXT_PRESERVE_IMAGES, 1.0f };
  fz_stext_page   *stext = NULL;
  fz_pixmap       *original = NULL;

  fz_var (stext);
  fz_var (original);
  fz_try (ctx)
  {
    gboolean has_pictures = FALSE;

    stext = fz_new_stext_page_from_page (ctx, page, &options);
    for (fz_stext_block *block = stext->first_block; block != NULL; block = block->next)
      has_pictures |= block->type == FZ_STEXT_BLOCK_IMAGE;

    if (has_pictures)
      original = fz_clone_pixmap (ctx, pixmap);
    fz_tint_pixmap (ctx, pixmap, (int) (foreground & 0xffffff), (int) (background & 0xffffff));

    for (fz_stext_block *block = stext->first_block; original != NULL && block != NULL;
         block = block->next)
      {
        fz_irect area;

        if (block->type != FZ_STEXT_BLOCK_IMAGE)
          continue;
        area = fz_intersect_irect (fz_round_rect (fz_transform_rect (block->bbox, ctm)),
                                   fz_pixmap_bbox (ctx, pixmap));
        for (int y = area.y0; y < area.y1; y++)
          {
            gsize row = (gsize) (y - pixmap->y) * (gsize) pixmap->stride;
            gsize col = (gsize) (area.x0 - pixmap->x) * pixmap->n;

            memcpy (pixmap->samples + row + col, original->samples + row + col,
                    (gsize) (area.x1 - area.x0) * pixmap->n);
          }
      }
  }
  fz_always (ctx)
  {
    fz_drop_pixmap (ctx, original);
    fz_drop_stext_page (ctx, stext);
  }
  fz_catch (ctx)
  {
    fz_rethrow (ctx);
  }
}

static fz_pixmap *
worker_render_pixmap (Worker                *w,
                      KiosLocation           loc,
                      const KiosPageRequest *request,
                      char                 **error_message)
{
  fz_context      *ctx = w->ctx;
  Chapter         *ch = &w->chapters[loc.chapter];
  double           scale = request->scale > 0 ? request->scale : 1.0;
  fz_pixmap       *pixmap = NULL;
  fz_page         *page = NULL;
  g_autofree char *failure = NULL;
  int              notice_w, notice_h;

  fz_var (failure);
  fz_var (notice_w);
  fz_var (notice_h);
  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    {
      notice_w = (int) ceil (w->layout.width * scale);
      notice_h = (int) ceil (w->layout.height * scale);
    }
  else
    {
      notice_w = (int) ceil (MAX (request->box_width, 64) * scale);
      notice_h = (int) ceil (MAX (request->box_height, 64) * scale);
    }

  if (ch->error == NULL)
    {
      fz_var (page);
      fz_var (pixmap);
      fz_try (ctx)
      {
        fz_rect bounds;
        double  zoom = scale;

        /* A PDF is one MuPDF chapter: its pages are our chapters. */
        if (w->format == KIOS_BOOK_FORMAT_PDF)
          page = fz_load_page (ctx, w->doc, loc.chapter);
        else
          page = fz_load_chapter_page (ctx, w->doc, loc.chapter, loc.page);
        bounds = fz_bound_page (ctx, page);
        if (w->format == KIOS_BOOK_FORMAT_PDF)
          {
            double pw = MAX (bounds.x1 - bounds.x0, 1);
            double ph = MAX (bounds.y1 - bounds.y0, 1);
            double fit = request->box_width / pw;

            if (request->fit == KIOS_FIT_PAGE)
              fit = MIN (fit, request->box_height / ph);
            if (fit <= 0)
              fit = 1.0;
            zoom = fit * (request->zoom > 0 ? request->zoom : 1.0) * scale;
            /* A hostile PDF can declare a page the size of a city. */
            zoom = MIN (zoom, 8192.0 / MAX (pw, ph));
          }
        pixmap = fz_new_pixmap_from_page (ctx, page, fz_scale ((float) zoom, (float) zoom),
                                          fz_device_rgb (ctx), 0);
        if (request->foreground != 0x000000 || request->background != 0xffffff)
          tint_keeping_pictures (ctx, page, pixmap, fz_scale ((float) zoom, (float) zoom),
                                 request->foreground, request->background);
      }
      fz_always (ctx)
      {
        fz_drop_page (ctx, page);
      }
      fz_catch (ctx)
      {
        failure = kios_mupdf_caught_message (ctx);
        pixmap = NULL;
      }
    }

  if (pixmap == NULL)
    {
      const char *detail = ch->error != NULL ? ch->error : failure;

      *error_message = g_strdup (detail != NULL ? detail : "This page cannot be shown.");
      pixmap = kios_mupdf_render_notice (ctx, "This page cannot be shown", *error_message,
                                         notice_w, notice_h, request->foreground,
                                         request->background);
    }

  return pixmap;
}

/* ------------------------------------------------------------------------ */
/* The first page, made ahead.                                              */

void
kios_worker_drop_prerender (Worker *w)
{
  Prerender *prerender = g_steal_pointer (&w->prerender);

  if (prerender == NULL)
    return;
  if (prerender->start_destroy != NULL)
    prerender->start_destroy (prerender->start_data);
  kios_position_free (prerender->position);
  kios_page_free (prerender->page);
  g_free (prerender);
}

/* Right after the open: the page the reader will ask for first. */
void
kios_worker_prerender (Worker *w)
{
  Prerender         *prerender = w->prerender;
  KiosPageRequest    request;
  g_autoptr (GError) error = NULL;

  if (prerender == NULL)
    return;
  if (w->doc == NULL || w->hash == NULL)
    {
      kios_worker_drop_prerender (w);
      return;
    }

  if (prerender->start_func != NULL)
    prerender->position = prerender->start_func (w->hash, prerender->start_data);
  if (prerender->start_destroy != NULL)
    prerender->start_destroy (prerender->start_data);
  prerender->start_func = NULL;
  prerender->start_destroy = NULL;
  prerender->start_data = NULL;

  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    {
      if (!prerender->has_layout)
        {
          kios_worker_drop_prerender (w);
          return;
        }
      kios_worker_apply_layout (w, &prerender->layout, w->serial);
      prerender->layout = w->layout;
    }

  request = prerender->request;
  request.kind = prerender->position != NULL ? KIOS_PAGE_REQUEST_POSITION : KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ 0, 0 };
  request.position = prerender->position;
  /* Not through kios_worker_render's matching: nothing is made yet. */
  w->prerender = NULL;
  prerender->page = kios_worker_render (w, &request, prerender->position, &error);
  w->prerender = prerender;
  if (prerender->page == NULL)
    {
      g_debug ("The first page of %s could not be made ahead: %s", w->path,
               error != NULL ? error->message : "no page");
      kios_worker_drop_prerender (w);
    }
}

/* The page made ahead when request asks for it at the layout it was made
 * at; the first render asked for takes it or drops it. */
static KiosPage *
take_prerendered (Worker                *w,
                  const KiosPageRequest *request,
                  const KiosPosition    *position)
{
  Prerender             *prerender = w->prerender;
  const KiosPageRequest *made = &prerender->request;
  KiosPage              *page = NULL;
  gboolean               same;

  same = request->kind == (prerender->position != NULL ? KIOS_PAGE_REQUEST_POSITION : KIOS_PAGE_REQUEST_LOCATION) &&
         !request->position_only &&
         request->box_width == made->box_width && request->box_height == made->box_height &&
         request->scale == made->scale && request->fit == made->fit && request->zoom == made->zoom &&
         request->foreground == made->foreground && request->background == made->background;
  if (same && request->kind == KIOS_PAGE_REQUEST_POSITION)
    same = position != NULL && kios_position_equal (position, prerender->position);
  else if (same)
    same = request->location.chapter == 0 && request->location.page == 0;
  if (same && w->format == KIOS_BOOK_FORMAT_EPUB)
    same = w->has_layout && memcmp (&w->layout, &prerender->layout, sizeof w->layout) == 0;

  if (same)
    {
      page = g_steal_pointer (&prerender->page);
      page->layout_serial = w->serial;
      page->page_number = worker_page_number (w, page->location);
      page->made_ahead = TRUE;
    }
  g_debug ("The first page made ahead %s", same ? "is taken" : "does not fit: rendering again");
  kios_worker_drop_prerender (w);
  return page;
}

KiosPage *
kios_worker_render (Worker                *w,
                    const KiosPageRequest *request,
                    const KiosPosition    *position,
                    GError               **error)
{
  KiosLocation         loc;
  g_autoptr (KiosPage) page = g_new0 (KiosPage, 1);
  g_autoptr (GError)   local_error = NULL;
  fz_pixmap           *pixmap;

  if (w->prerender != NULL)
    {
      KiosPage *made = take_prerendered (w, request, position);

      if (made != NULL)
        return made;
    }

  if (w->format == KIOS_BOOK_FORMAT_EPUB && !w->has_layout)
    {
      /* A caller that never set a layout gets a readable default one. */
      KiosLayout layout = { 600, 800, 18, 0 };

      kios_worker_apply_layout (w, &layout, w->serial);
    }

  loc = worker_resolve_request (w, request, position, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  page->location = loc;
  w->shown_chapter = loc.chapter;
  page->position = kios_worker_position_at (w, loc);
  page->chapter_pages = kios_worker_chapter_pages (w, loc.chapter);
  if (w->format == KIOS_BOOK_FORMAT_EPUB && loc.page + 3 >= page->chapter_pages &&
      loc.chapter + 1 < w->n_chapters && !w->chapters[loc.chapter + 1].laid_out)
    w->prelayout = loc.chapter + 1;
  page->page_number = worker_page_number (w, loc);
  page->layout_serial = w->serial;
  page->is_first = worker_is_edge (w, loc, -1);
  page->is_last = worker_is_edge (w, loc, +1);
  page->scale = request->scale > 0 ? request->scale : 1.0;
  if (w->chapters[loc.chapter].error != NULL)
    page->error_message = g_strdup (w->chapters[loc.chapter].error);

  if (request->position_only)
    return g_steal_pointer (&page);

  g_clear_pointer (&page->error_message, g_free);
  pixmap = worker_render_pixmap (w, loc, request, &page->error_message);
  if (pixmap == NULL)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                           "Out of memory while drawing the page");
      return NULL;
    }

  page->width = fz_pixmap_width (w->ctx, pixmap);
  page->height = fz_pixmap_height (w->ctx, pixmap);
  page->stride = fz_pixmap_stride (w->ctx, pixmap);
  page->pixels = g_bytes_new (fz_pixmap_samples (w->ctx, pixmap),
                              (gsize) page->stride * (gsize) page->height);
  fz_drop_pixmap (w->ctx, pixmap);

  return g_steal_pointer (&page);
}
