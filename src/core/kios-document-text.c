/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document-private.h"

#include "kios-text-anchor.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Page text with geometry: what selection, highlights and screen readers
 * see of a page. Each character keeps its canonical offset, so a range
 * picked on screen is stored as positions that survive any relayout.      */

/* Gives the EPUB characters their DOM offsets. The page's kept characters
 * are the chapter's rendered stream from the page's start on (the same
 * walk and skip rule as kios_worker_extend_rstream); each line is anchored
 * in the DOM text on its own, and its characters follow on from there, so
 * text MuPDF draws that is not in the DOM (list markers, a hyphen at a
 * soft-hyphen break) shifts at most the rest of its line. */
static void
anchor_epub_chars (Worker      *w,
                   KiosLocation loc,
                   GArray      *chars)
{
  Chapter         *ch = &w->chapters[loc.chapter];
  KiosChapterText *text = kios_worker_get_text (w, loc.chapter, NULL);
  const gunichar  *dchars;
  gsize            dlen, rlen;
  gssize           rstart;
  gint64           next = 0;
  gsize            k = 0;
  int              last = loc.page + 1;
  int              line = -1;
  gint64           line_offset = 0;
  gsize            line_k = 0;

  if (text == NULL || (dlen = kios_chapter_text_get_length (text)) == 0)
    {
      for (guint i = 0; i < chars->len; i++)
        g_array_index (chars, KiosPageChar, i).offset = -1;
      return;
    }
  dchars = kios_chapter_text_get_chars (text);

  rstart = kios_worker_rstream_page (w, loc.chapter, loc.page);
  if (rstart < 0)
    return;
  kios_worker_extend_rstream (w, loc.chapter, last);
  /* The page's own text and enough after it for the anchor window. */
  while (ch->rstream->len < (gsize) rstart + (gsize) chars->len + ANCHOR_SLACK &&
         !kios_worker_rstream_complete (w, loc.chapter))
    kios_worker_extend_rstream (w, loc.chapter, ++last);
  rlen = ch->rstream->len;

  for (guint i = 0; i < chars->len; i++)
    {
      KiosPageChar *pc = &g_array_index (chars, KiosPageChar, i);
      gsize         rindex = (gsize) rstart + k;

      if (kios_text_anchor_is_skipped (pc->c))
        {
          pc->offset = -1;
          continue;
        }
      if (pc->line != line && rindex < rlen)
        {
          line = pc->line;
          line_k = k;
          line_offset = (gint64) kios_text_anchor_map ((const gunichar *) ch->rstream->data, rlen,
                                                       rindex, dchars, dlen,
                                                       (gsize) CLAMP (next, 0, (gint64) dlen - 1));
          /* Reading order never goes back. */
          line_offset = MAX (line_offset, next);
        }
      pc->offset = MIN (line_offset + (gint64) (k - line_k), (gint64) dlen - 1);
      pc->offset = MAX (pc->offset, next);
      next = MIN (pc->offset + 1, (gint64) dlen);
      k++;
    }
}

KiosPageText *
kios_worker_page_text (Worker      *w,
                       KiosLocation location)
{
  KiosPageText  *result = g_new0 (KiosPageText, 1);
  fz_context    *ctx = w->ctx;
  KiosLocation   loc = kios_worker_clamp (w, location);
  fz_page       *page = NULL;
  fz_stext_page *stext = NULL;

  result->location = loc;
  result->layout_serial = w->serial;
  result->chars = g_array_new (FALSE, FALSE, sizeof (KiosPageChar));
  if (w->chapters[loc.chapter].error != NULL)
    return result;

  fz_var (page);
  fz_var (stext);
  fz_try (ctx)
  {
    fz_rect bounds;
    double  width, height;
    int     line_no = 0;
    int     block_no = 0;
    gint64  index = 0;

    if (w->format == KIOS_BOOK_FORMAT_PDF)
      page = fz_load_page (ctx, w->doc, loc.chapter);
    else
      page = fz_load_chapter_page (ctx, w->doc, loc.chapter, loc.page);
    bounds = fz_bound_page (ctx, page);
    width = MAX (bounds.x1 - bounds.x0, 1.0);
    height = MAX (bounds.y1 - bounds.y0, 1.0);
    stext = fz_new_stext_page_from_page (ctx, page, NULL);

    for (fz_stext_block *block = stext->first_block; block != NULL; block = block->next)
      {
        if (block->type != FZ_STEXT_BLOCK_TEXT)
          continue;
        for (fz_stext_line *line = block->u.t.first_line; line != NULL; line = line->next)
          {
            for (fz_stext_char *ch = line->first_char; ch != NULL; ch = ch->next)
              {
                fz_rect      r = fz_rect_from_quad (ch->quad);
                KiosPageChar pc;

                pc.x0 = (float) ((r.x0 - bounds.x0) / width);
                pc.y0 = (float) ((r.y0 - bounds.y0) / height);
                pc.x1 = (float) ((r.x1 - bounds.x0) / width);
                pc.y1 = (float) ((r.y1 - bounds.y0) / height);
                pc.c = (gunichar) ch->c;
                pc.line = line_no;
                pc.block = block_no;
                pc.offset = index++;
                g_array_append_val (result->chars, pc);
              }
            line_no++;
          }
        block_no++;
      }
  }
  fz_always (ctx)
  {
    fz_drop_stext_page (ctx, stext);
    fz_drop_page (ctx, page);
  }
  fz_catch (ctx)
  {
    g_autofree char *message = kios_mupdf_caught_message (ctx);

    g_debug ("No text on page %d of chapter %d: %s", loc.page, loc.chapter, message);
  }

  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    anchor_epub_chars (w, loc, result->chars);
  else
    for (guint i = 0; i < result->chars->len; i++)
      if (kios_text_anchor_is_skipped (g_array_index (result->chars, KiosPageChar, i).c))
        g_array_index (result->chars, KiosPageChar, i).offset = -1;
  return result;
}

KiosPosition *
kios_worker_position_at_offset (Worker *w,
                                int     chapter,
                                gint64  offset)
{
  KiosPosition *pos = kios_position_new ();

  chapter = CLAMP (chapter, 0, w->n_chapters - 1);
  offset = MAX (offset, 0);
  pos->format = w->format;
  pos->chapter = chapter;
  pos->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  pos->device = g_strdup (w->device);
  pos->device_id = g_strdup (w->device_id);

  if (w->format == KIOS_BOOK_FORMAT_PDF)
    {
      pos->offset = offset;
      pos->total_progress = w->n_chapters > 0 ? (double) (chapter + 1) / w->n_chapters : 0;
      pos->chapter_title = g_strdup (kios_worker_chapter_title (w, chapter, 0));
      return pos;
    }
  else
    {
      const KiosSpineItem *item = kios_epub_get_spine_item (w->epub, (guint) chapter);
      KiosChapterText     *text = kios_worker_get_text (w, chapter, NULL);
      gsize                dlen = text != NULL ? kios_chapter_text_get_length (text) : 0;

      offset = MIN (offset, (gint64) dlen);
      pos->offset = offset;
      pos->chapter_href = g_strdup (item != NULL ? item->href : NULL);
      if (text != NULL && dlen > 0)
        {
          pos->xpointer = kios_chapter_text_get_xpointer (text, chapter + 1, (gsize) MIN (offset, (gint64) dlen - 1));
          /* Just past the last character: its xpointer, one further on. */
          if ((gsize) offset == dlen)
            {
              char *dot = strrchr (pos->xpointer, '.');

              if (dot != NULL)
                {
                  char *bumped = g_strdup_printf ("%.*s.%" G_GINT64_FORMAT, (int) (dot - pos->xpointer),
                                                  pos->xpointer, g_ascii_strtoll (dot + 1, NULL, 10) + 1);

                  g_free (pos->xpointer);
                  pos->xpointer = bumped;
                }
            }
        }
      else
        pos->xpointer = g_strdup_printf ("/body/DocFragment[%d]/body", chapter + 1);
      pos->chapter_progress = dlen > 0 ? (double) offset / (double) dlen : 0.0;
      kios_worker_ensure_index (w);
      if (w->total_length > 0)
        pos->total_progress = (double) (w->prefix[chapter] + offset) / (double) w->total_length;
      pos->total_progress = CLAMP (pos->total_progress, 0.0, 1.0);
      pos->chapter_title = g_strdup (kios_worker_chapter_title (w, chapter, offset));
    }
  return pos;
}

/* ------------------------------------------------------------------------ */
/* The public API.                                                          */

/**
 * kios_document_get_page_text_async:
 *
 * Reads the text of the page at @location (clamped) at the current layout:
 * one KiosPageChar per character MuPDF laid out, with its box as fractions
 * of the page and its canonical offset. Runs on the document's worker.
 */
void
kios_document_get_page_text_async (KiosDocument       *self,
                                   KiosLocation        location,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));

  job = g_new0 (Job, 1);
  job->kind = JOB_PAGE_TEXT;
  job->request.location = location;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, kios_document_get_page_text_async);
  kios_document_push_job (self, job);
}

/* Returns: (transfer full): the page's text, or NULL with error. */
KiosPageText *
kios_document_get_page_text_finish (KiosDocument *self,
                                    GAsyncResult *result,
                                    GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kios_document_position_at_offset_async (KiosDocument       *self,
                                        int                 chapter,
                                        gint64              offset,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));

  job = g_new0 (Job, 1);
  job->kind = JOB_POSITION_AT_OFFSET;
  job->serial = chapter;
  job->offset = offset;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, kios_document_position_at_offset_async);
  kios_document_push_job (self, job);
}

/* Returns: (transfer full): the position, or NULL with error. */
KiosPosition *
kios_document_position_at_offset_finish (KiosDocument *self,
                                         GAsyncResult *result,
                                         GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Blocks until the worker answers (kiosctl and tests). */
KiosPosition *
kios_document_position_at_offset_sync (KiosDocument *self,
                                       int           chapter,
                                       gint64        offset,
                                       GError      **error)
{
  KiosDocumentSyncData data = { NULL };
  KiosPosition        *position;

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);

  KIOS_DOCUMENT_RUN_SYNC (data, kios_document_position_at_offset_async (self, chapter, offset, NULL,
                                                                        kios_document_sync_cb, &data));
  position = kios_document_position_at_offset_finish (self, data.result, error);
  g_object_unref (data.result);
  return position;
}

void
kios_page_text_free (KiosPageText *text)
{
  if (text == NULL)
    return;
  g_clear_pointer (&text->chars, g_array_unref);
  g_free (text);
}

char *
kios_page_text_get_string (const KiosPageText *text,
                           int                 first,
                           int                 last)
{
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_new (NULL);
  first = MAX (first, 0);
  last = MIN (last, (int) text->chars->len - 1);
  for (int i = first; i <= last; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      if (i > first)
        {
          const KiosPageChar *before = &g_array_index (text->chars, KiosPageChar, i - 1);

          if (before->block != pc->block)
            {
              while (out->len > 0 && out->str[out->len - 1] == ' ')
                g_string_truncate (out, out->len - 1);
              g_string_append_c (out, '\n');
            }
          else if (before->line != pc->line)
            {
              /* A hyphen at the end of a line joins the word it breaks. */
              if (out->len > 0 && out->str[out->len - 1] == '-')
                g_string_truncate (out, out->len - 1);
              else if (out->len > 0 && out->str[out->len - 1] != ' ' && !g_unichar_isspace (pc->c))
                g_string_append_c (out, ' ');
            }
        }
      /* MuPDF gives &nbsp; and other spaces as themselves: copy a plain one. */
      if (g_unichar_isspace (pc->c))
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ' && out->str[out->len - 1] != '\n')
            g_string_append_c (out, ' ');
        }
      else
        g_string_append_unichar (out, pc->c);
    }
  while (out->len > 0 && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '\n'))
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

int
kios_page_text_hit (const KiosPageText *text,
                    double              x,
                    double              y)
{
  int    best_line = -1;
  double best_dy = G_MAXDOUBLE;
  int    best = -1;
  double best_dx = G_MAXDOUBLE;

  g_return_val_if_fail (text != NULL, -1);

  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);
      double              dy = y < pc->y0 ? pc->y0 - y : (y > pc->y1 ? y - pc->y1 : 0.0);

      if (x >= pc->x0 && x < pc->x1 && dy == 0.0)
        return (int) i;
      if (dy < best_dy)
        {
          best_dy = dy;
          best_line = pc->line;
        }
    }
  if (best_line < 0)
    return -1;

  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);
      double              dx;

      if (pc->line != best_line)
        continue;
      dx = x < pc->x0 ? pc->x0 - x : (x > pc->x1 ? x - pc->x1 : 0.0);
      if (dx < best_dx)
        {
          best_dx = dx;
          best = (int) i;
        }
    }
  return best;
}

static gboolean
is_word_char (const KiosPageChar *pc)
{
  return g_unichar_isalnum (pc->c) || pc->c == '\'' || pc->c == 0x2019 || pc->c == '-';
}

gboolean
kios_page_text_word_at (const KiosPageText *text,
                        int                 index,
                        int                *first,
                        int                *last)
{
  const KiosPageChar *chars;
  int                 a, b;

  g_return_val_if_fail (text != NULL, FALSE);

  if (index < 0 || index >= (int) text->chars->len)
    return FALSE;
  chars = (const KiosPageChar *) text->chars->data;
  if (!is_word_char (&chars[index]))
    {
      if (g_unichar_isspace (chars[index].c))
        return FALSE;
      /* A lone punctuation mark is its own word. */
      a = b = index;
    }
  else
    {
      a = b = index;
      while (a > 0 && chars[a - 1].line == chars[index].line && is_word_char (&chars[a - 1]))
        a--;
      while (b + 1 < (int) text->chars->len && chars[b + 1].line == chars[index].line &&
             is_word_char (&chars[b + 1]))
        b++;
      /* Not the quote marks around a word. */
      while (a < b && !g_unichar_isalnum (chars[a].c))
        a++;
      while (b > a && !g_unichar_isalnum (chars[b].c))
        b--;
    }
  if (first != NULL)
    *first = a;
  if (last != NULL)
    *last = b;
  return TRUE;
}
