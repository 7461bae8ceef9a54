/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document-private.h"

/* ------------------------------------------------------------------------ */
/* Find in book: one batch of chapters per job, so page renders queued
 * meanwhile wait for at most one batch.                                    */

/* A batch returns after this long (so results stream in), at the first
 * chapter with a hit while the search has found nothing yet, and as soon
 * as another job (a page render) is waiting. */
#define SEARCH_BATCH_USEC (40 * G_TIME_SPAN_MILLISECOND)
/* Background layout waits this long for the search's next batch. */
#define SEARCH_IDLE_PAUSE_USEC (50 * G_TIME_SPAN_MILLISECOND)

KiosSearchBatch *
kios_worker_search (Worker *w,
                    Job    *job)
{
  KiosSearchBatch *batch = g_new0 (KiosSearchBatch, 1);
  gint64           deadline = g_get_monotonic_time () + SEARCH_BATCH_USEC;
  int              chapter = MAX (job->serial, 0);

  batch->hits = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_search_hit_free);
  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    kios_worker_ensure_index (w);

  for (; chapter < w->n_chapters; chapter++)
    {
      guint first_new = batch->hits->len;

      if (chapter > job->serial &&
          (g_get_monotonic_time () > deadline || g_async_queue_length (w->queue) > 0 ||
           (job->first_hit && batch->hits->len > 0)))
        break;
      if (g_cancellable_is_cancelled (g_task_get_cancellable (job->task)))
        break;

      if (w->format == KIOS_BOOK_FORMAT_EPUB)
        {
          KiosChapterText *text = NULL;
          KiosChapterText *owned = NULL;

          /* A chapter already parsed is reused; others are parsed for the
           * search alone, not pushing the reader's chapters out of the cache. */
          for (GList *l = w->texts.head; l != NULL && text == NULL; l = l->next)
            if (((CachedText *) l->data)->chapter == chapter)
              text = ((CachedText *) l->data)->text;
          if (text == NULL && w->chapters[chapter].error == NULL)
            {
              const KiosSpineItem *item = kios_epub_get_spine_item (w->epub, (guint) chapter);
              g_autoptr (GBytes)   bytes = item != NULL ? kios_worker_read_member (w, item->href, NULL) : NULL;

              if (bytes != NULL)
                owned = text = kios_chapter_text_new (g_bytes_get_data (bytes, NULL),
                                                      g_bytes_get_size (bytes), NULL);
            }
          if (text != NULL)
            kios_search_scan_chapter_text (job->matcher, text, chapter, batch->hits);
          g_clear_pointer (&owned, kios_chapter_text_free);
        }
      else
        {
          fz_context    *ctx = w->ctx;
          fz_page       *page = NULL;
          fz_stext_page *stext = NULL;

          fz_var (page);
          fz_var (stext);
          fz_try (ctx)
          {
            page = fz_load_page (ctx, w->doc, chapter);
            stext = fz_new_stext_page_from_page (ctx, page, NULL);
            kios_search_scan_stext (job->matcher, stext, fz_bound_page (ctx, page), chapter,
                                    batch->hits, NULL);
          }
          fz_always (ctx)
          {
            fz_drop_stext_page (ctx, stext);
            fz_drop_page (ctx, page);
          }
          fz_catch (ctx)
          {
            g_autofree char *message = kios_mupdf_caught_message (ctx);

            g_debug ("No text to search on page %d: %s", chapter, message);
          }
        }

      for (guint i = first_new; i < batch->hits->len; i++)
        {
          KiosSearchHit *hit = g_ptr_array_index (batch->hits, i);

          hit->chapter_title = g_strdup (kios_worker_chapter_title (w, chapter, hit->offset));
          if (w->format == KIOS_BOOK_FORMAT_PDF)
            hit->total_progress = w->n_chapters > 0 ? (double) (chapter + 1) / w->n_chapters : 0;
          else if (w->total_length > 0)
            hit->total_progress = CLAMP ((double) (w->prefix[chapter] + hit->offset) /
                                             (double) w->total_length,
                                         0.0, 1.0);
        }
    }

  batch->next_chapter = chapter;
  batch->complete = chapter >= w->n_chapters;
  /* The next batch is on its way: do not start laying out a chapter first. */
  w->idle_pause_until = batch->complete ? 0 : g_get_monotonic_time () + SEARCH_IDLE_PAUSE_USEC;
  return batch;
}

/* The highlights of every match on one page, as fractions of the page. */
GArray *
kios_worker_find_on_page (Worker *w,
                          Job    *job)
{
  GArray        *rects = g_array_new (FALSE, FALSE, sizeof (KiosSearchRect));
  fz_context    *ctx = w->ctx;
  KiosLocation   loc = kios_worker_clamp (w, job->request.location);
  fz_page       *page = NULL;
  fz_stext_page *stext = NULL;

  if (w->chapters[loc.chapter].error != NULL)
    return rects;

  fz_var (page);
  fz_var (stext);
  fz_try (ctx)
  {
    if (w->format == KIOS_BOOK_FORMAT_PDF)
      page = fz_load_page (ctx, w->doc, loc.chapter);
    else
      page = fz_load_chapter_page (ctx, w->doc, loc.chapter, loc.page);
    stext = fz_new_stext_page_from_page (ctx, page, NULL);
    kios_search_scan_stext (job->matcher, stext, fz_bound_page (ctx, page), loc.chapter,
                            NULL, rects);
  }
  fz_always (ctx)
  {
    fz_drop_stext_page (ctx, stext);
    fz_drop_page (ctx, page);
  }
  fz_catch (ctx)
  {
    g_autofree char *message = kios_mupdf_caught_message (ctx);

    g_debug ("No text to highlight on page %d of chapter %d: %s", loc.page, loc.chapter, message);
  }
  return rects;
}
