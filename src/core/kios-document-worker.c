/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define _GNU_SOURCE 1 /* pthread_setname_np */
#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document-private.h"

#include "kios-book-hash.h"
#include "kios-error.h"
#include "kios-paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <pthread.h>

/* ------------------------------------------------------------------------ */
/* Jobs: everything the worker is asked to do.                              */

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  kios_position_free (job->position);
  g_free (job->text);
  g_clear_pointer (&job->matcher, kios_search_matcher_unref);
  g_free (job);
}

void
kios_document_open_result_free (OpenResult *result)
{
  g_free (result->hash);
  g_free (result->title);
  g_strfreev (result->authors);
  g_strfreev (result->refusals);
  g_clear_pointer (&result->toc, g_ptr_array_unref);
  g_free (result);
}

/* ------------------------------------------------------------------------ */
/* Positions asked for by kind (kios_document_position_at_*).               */

KiosPosition *
kios_worker_position_for (Worker           *w,
                          const PositionAt *at,
                          const char       *xpointer,
                          GError          **error)
{
  g_autoptr (KiosPosition) partial = kios_position_new ();
  int                      fragment = 0;

  partial->format = w->format;
  partial->chapter = -1;

  switch (at->kind)
    {
    case POSITION_AT_XPOINTER:
      if (w->format != KIOS_BOOK_FORMAT_EPUB || xpointer == NULL ||
          !g_str_has_prefix (xpointer, "/body/DocFragment[") ||
          !kios_xpointer_get_doc_fragment (xpointer, &fragment) ||
          fragment < 1 || fragment > w->n_chapters)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "“%s” does not point into this book", xpointer != NULL ? xpointer : "");
          return NULL;
        }
      partial->xpointer = g_strdup (xpointer);
      break;

    case POSITION_AT_PAGE:
      if (w->format != KIOS_BOOK_FORMAT_PDF)
        {
          g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                               "Only a PDF has fixed pages: give a chapter or a percentage");
          return NULL;
        }
      if (at->index < 0 || at->index >= w->n_chapters)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "Page %d is not a page of this book (pages 1 to %d)", at->index + 1, w->n_chapters);
          return NULL;
        }
      partial->chapter = at->index;
      break;

    case POSITION_AT_CHAPTER:
      if (at->index < 0 || at->index >= w->n_chapters || !(at->fraction >= 0.0 && at->fraction <= 1.0))
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "Chapter %d at %g is not in this book (chapters 0 to %d, fractions 0 to 1)",
                       at->index, at->fraction, w->n_chapters - 1);
          return NULL;
        }
      partial->chapter = at->index;
      partial->chapter_progress = at->fraction;
      break;

    case POSITION_AT_PROGRESS:
    default:
      if (!(at->fraction >= 0.0 && at->fraction <= 1.0))
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "Progress %g is not from 0 to 1", at->fraction);
          return NULL;
        }
      partial->total_progress = at->fraction;
      break;
    }

  if (w->format == KIOS_BOOK_FORMAT_EPUB && !w->has_layout)
    {
      KiosLayout layout = { 600, 800, 18, 0 };

      kios_worker_apply_layout (w, &layout, w->serial);
    }

  return kios_worker_position_at (w, kios_worker_location_for_position (w, partial));
}

/* ------------------------------------------------------------------------ */
/* The worker: owns the fz_context clone and the fz_document.               */

Worker *
kios_worker_ref (Worker *w)
{
  g_atomic_int_inc (&w->ref_count);
  return w;
}

void
kios_worker_unref (Worker *w)
{
  if (!g_atomic_int_dec_and_test (&w->ref_count))
    return;

  g_async_queue_unref (w->queue);
  g_weak_ref_clear (&w->owner);
  g_main_context_unref (w->owner_context);
  g_free (w);
}

void
kios_document_chapter_clear_layout (Chapter *chapter)
{
  chapter->count = -1;
  chapter->laid_out = FALSE;
  g_clear_pointer (&chapter->rstream, g_array_unref);
  g_clear_pointer (&chapter->page_start, g_array_unref);
  chapter->anchor = -1;
  chapter->first_page = 0;
  chapter->rbase = 0;
  for (int k = 0; k < chapter->n_pieces; k++)
    chapter->piece_pages[k] = -1;
}

/* Frees what the worker thread owns; runs on the worker thread. */
static void
worker_release (Worker *w)
{
  CachedText *cached;

  kios_worker_drop_prerender (w);
  while ((cached = g_queue_pop_head (&w->texts)) != NULL)
    {
      kios_chapter_text_free (cached->text);
      g_free (cached);
    }

  if (w->chapters != NULL)
    {
      for (int i = 0; i < w->n_chapters; i++)
        {
          kios_document_chapter_clear_layout (&w->chapters[i]);
          g_free (w->chapters[i].error);
          g_free (w->chapters[i].piece_chars);
          g_free (w->chapters[i].piece_pages);
          g_free (w->chapters[i].piece_y);
        }
      g_clear_pointer (&w->chapters, g_free);
    }

  if (w->ctx != NULL)
    {
      fz_drop_archive (w->ctx, w->archive);
      w->archive = NULL;
      fz_drop_document (w->ctx, w->doc);
      w->doc = NULL;
      fz_drop_context (w->ctx);
      w->ctx = NULL;
    }

  g_clear_pointer (&w->epub, kios_epub_unref);
  g_clear_pointer (&w->scan, kios_archive_scan_free);
  g_clear_pointer (&w->toc, g_ptr_array_unref);
  g_clear_pointer (&w->lengths, g_free);
  g_clear_pointer (&w->toc_offsets, g_free);
  g_clear_pointer (&w->prefix, g_free);
  g_clear_pointer (&w->path, g_free);
  g_clear_pointer (&w->open_path, g_free);
  g_clear_pointer (&w->hash, g_free);
  g_clear_pointer (&w->device, g_free);
  g_clear_pointer (&w->device_id, g_free);
}

/* ------------------------------------------------------------------------ */
/* Opening.                                                                 */

GMutex kios_document_open_lock;

static GPtrArray *
pdf_outline_to_toc (Worker     *w,
                    fz_outline *outline,
                    int         level,
                    GPtrArray  *toc)
{
  for (; outline != NULL; outline = outline->next)
    {
      KiosTocEntry *entry = g_new0 (KiosTocEntry, 1);
      int           page = -1;

      fz_var (page);
      fz_var (outline);
      fz_try (w->ctx)
      {
        page = fz_page_number_from_location (w->ctx, w->doc, outline->page);
      }
      fz_catch (w->ctx)
      {
        page = -1;
      }

      entry->title = g_strdup (outline->title != NULL ? outline->title : "");
      entry->level = level;
      entry->chapter = page >= 0 && page < w->n_chapters ? page : -1;
      g_ptr_array_add (toc, entry);
      if (outline->down != NULL && level < KIOS_LIMIT_PDF_OUTLINE_DEPTH)
        pdf_outline_to_toc (w, outline->down, level + 1, toc);
    }
  return toc;
}

static char *
pdf_metadata (Worker     *w,
              const char *key)
{
  char        buffer[KIOS_LIMIT_PDF_METADATA_BYTES];
  int         len = -1;
  const char *end = NULL;

  fz_var (len);
  fz_try (w->ctx)
  {
    len = fz_lookup_metadata (w->ctx, w->doc, key, buffer, sizeof buffer);
  }
  fz_catch (w->ctx)
  {
    len = -1;
  }

  if (len <= 0 || buffer[0] == '\0')
    return NULL;
  /* Cut at the buffer's end, maybe inside a character: keep the ones before. */
  if (!g_utf8_validate (buffer, -1, &end))
    {
      if ((gsize) len <= sizeof buffer || end == buffer)
        return NULL;
      return g_strstrip (g_strndup (buffer, (gsize) (end - buffer)));
    }
  return g_strstrip (g_strdup (buffer));
}

/* Opens path (already checked) with MuPDF, by content type, never by name. */
gboolean
kios_worker_open_mupdf (Worker  *w,
                        GError **error)
{
  fz_context      *ctx = w->ctx;
  const char      *magic = w->format == KIOS_BOOK_FORMAT_EPUB ? "application/epub+zip" : "application/pdf";
  fz_stream       *stream = NULL;
  g_autofree char *message = NULL;

  fz_var (stream);
  fz_var (message);
  g_mutex_lock (&kios_document_open_lock);
  fz_try (ctx)
  {
    stream = fz_open_file (ctx, w->open_path);
    w->doc = fz_open_document_with_stream (ctx, magic, stream);
  }
  fz_always (ctx)
  {
    fz_drop_stream (ctx, stream);
  }
  fz_catch (ctx)
  {
    message = kios_mupdf_caught_message (ctx);
    w->doc = NULL;
  }
  g_mutex_unlock (&kios_document_open_lock);

  if (w->doc == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "MuPDF cannot open it: %s", message);
      return FALSE;
    }
  return TRUE;
}

static char *
prepare_clean_copy (Worker  *w,
                    GError **error)
{
  GHashTable      *replacements = kios_archive_scan_get_replacements (w->scan);
  gboolean         bounded = g_hash_table_size (replacements) > 0;
  g_autofree char *dir = kios_paths_cache_subdir ("clean-epubs");
  g_autofree char *name = bounded ? g_strdup_printf ("%s.bounded-%d.epub", w->hash, BOUNDED_COPY_VERSION)
                                  : g_strdup_printf ("%s.epub", w->hash);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = NULL;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&path);

  tmp = g_strdup_printf ("%s.%u.tmp", path, g_random_int ());
  if (!kios_epub_write_clean_copy (w->epub, tmp, replacements, error))
    {
      g_unlink (tmp);
      return NULL;
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot keep a readable copy of the book: %s", g_strerror (saved));
      return NULL;
    }
  return g_steal_pointer (&path);
}

static OpenResult *
worker_open (Worker  *w,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  OpenResult        *result;
  GStatBuf           st;

  w->format = kios_book_format_detect (w->path, error);
  if (w->format == KIOS_BOOK_FORMAT_UNKNOWN)
    return NULL;

  w->hash = kios_book_hash_file (w->path, error);
  if (w->hash == NULL)
    return NULL;

  w->device = kios_paths_device_name ();
  w->device_id = kios_paths_device_id ();
  w->open_path = g_strdup (w->path);

  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    {
      w->epub = kios_epub_open (w->path, error);
      if (w->epub == NULL)
        return NULL;

      if (kios_epub_get_encryption (w->epub) == KIOS_EPUB_ENCRYPTION_DRM)
        {
          g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DRM,
                               "The book is encrypted with DRM");
          return NULL;
        }

      /* Every member is measured before MuPDF may read any (kios-limits.h). */
      w->scan = kios_archive_scan_new (w->epub, w->ctx, error);
      if (w->scan == NULL)
        return NULL;

      /* MuPDF 1.21 refuses any encryption.xml; when only the fonts are
       * obfuscated, or a member is over its limits, hand it a copy with the
       * fonts restored and stand-ins for what was refused. */
      if (kios_epub_get_encryption (w->epub) == KIOS_EPUB_ENCRYPTION_FONTS_ONLY ||
          g_hash_table_size (kios_archive_scan_get_replacements (w->scan)) > 0)
        {
          g_free (w->open_path);
          w->open_path = prepare_clean_copy (w, error);
          if (w->open_path == NULL)
            return NULL;
        }
    }

  if (!kios_worker_open_mupdf (w, error))
    return NULL;

  fz_try (w->ctx)
  {
    if (w->format == KIOS_BOOK_FORMAT_PDF && fz_needs_password (w->ctx, w->doc))
      w->n_chapters = -1;
    else if (w->format == KIOS_BOOK_FORMAT_PDF)
      w->n_chapters = fz_count_pages (w->ctx, w->doc);
    else
      w->n_chapters = fz_count_chapters (w->ctx, w->doc);
  }
  fz_catch (w->ctx)
  {
    g_autofree char *message = kios_mupdf_caught_message (w->ctx);

    g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                 "Cannot read its structure: %s", message);
    return NULL;
  }

  if (w->n_chapters < 0)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DRM,
                           "The document is protected by a password");
      return NULL;
    }
  if (w->n_chapters == 0)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                           "The book has no pages");
      return NULL;
    }

  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    {
      guint n_spine = kios_epub_get_n_spine_items (w->epub);

      /* Both follow the same spine rule; never index past either. */
      if ((guint) w->n_chapters != n_spine)
        g_warning ("%s: MuPDF sees %d chapters, the spine has %u", w->path, w->n_chapters, n_spine);
      w->n_chapters = MIN (w->n_chapters, (int) n_spine);
      if (w->n_chapters == 0)
        {
          g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                               "The book has no chapters");
          return NULL;
        }
      w->toc = g_ptr_array_ref (kios_epub_get_toc (w->epub));
    }
  else
    {
      fz_outline *outline = NULL;

      fz_var (outline);
      w->toc = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_toc_entry_free);
      fz_try (w->ctx)
      {
        outline = fz_load_outline (w->ctx, w->doc);
        pdf_outline_to_toc (w, outline, 0, w->toc);
      }
      fz_always (w->ctx)
      {
        fz_drop_outline (w->ctx, outline);
      }
      fz_catch (w->ctx)
      {
        g_debug ("%s has an unreadable outline", w->path);
      }
    }

  w->chapters = g_new0 (Chapter, w->n_chapters);
  for (int c = 0; c < w->n_chapters; c++)
    w->chapters[c].count = w->format == KIOS_BOOK_FORMAT_PDF ? 1 : -1;

  w->lengths = g_new (gint64, w->n_chapters);
  for (int c = 0; c < w->n_chapters; c++)
    w->lengths[c] = -1;
  w->toc_offsets = g_new (gint64, MAX (w->toc->len, 1));
  for (guint i = 0; i < w->toc->len; i++)
    w->toc_offsets[i] = -1;

  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    kios_worker_load_index (w);
  else
    {
      /* A PDF page is its own chapter: every page is as long as any other. */
      for (int c = 0; c < w->n_chapters; c++)
        w->lengths[c] = 1;
      for (guint i = 0; i < w->toc->len; i++)
        w->toc_offsets[i] = 0;
      w->index_next = w->n_chapters;
      kios_worker_finish_index (w);
      w->counts_complete = TRUE;
    }

  result = g_new0 (OpenResult, 1);
  result->hash = g_strdup (w->hash);
  result->format = w->format;
  result->n_chapters = w->n_chapters;
  result->n_pages = w->format == KIOS_BOOK_FORMAT_PDF ? w->n_chapters : -1;
  result->toc = g_ptr_array_ref (w->toc);
  result->refusals = w->scan != NULL ? kios_archive_scan_get_refusals (w->scan) : g_new0 (char *, 1);
  result->size = g_stat (w->path, &st) == 0 ? (gint64) st.st_size : 0;

  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    {
      result->title = g_strdup (kios_epub_get_title (w->epub));
      result->authors = g_strdupv ((GStrv) kios_epub_get_authors (w->epub));
    }
  else
    {
      g_autofree char *author = pdf_metadata (w, FZ_META_INFO_AUTHOR);

      result->title = pdf_metadata (w, FZ_META_INFO_TITLE);
      result->authors = g_new0 (char *, 2);
      result->authors[0] = g_steal_pointer (&author);
    }

  if (result->title == NULL || *result->title == '\0')
    {
      g_free (result->title);
      result->title = g_path_get_basename (w->path);
    }
  if (result->authors == NULL)
    result->authors = g_new0 (char *, 1);

  return result;
}

/* ------------------------------------------------------------------------ */
/* The worker loop.                                                         */

static void
worker_run_job (Worker *w,
                Job    *job)
{
  g_autoptr (GError) error = NULL;

  if (job->task != NULL && g_task_return_error_if_cancelled (job->task))
    return;

  switch (job->kind)
    {
    case JOB_OPEN:
      {
        OpenResult *result = worker_open (w, &error);

        if (result == NULL)
          {
            worker_release (w);
            g_task_return_error (job->task, g_steal_pointer (&error));
          }
        else
          {
            /* The book index and the page count wait for the first page
             * (or a moment, for a caller that renders none). */
            w->first_render_pending = TRUE;
            w->idle_pause_until = g_get_monotonic_time () + FIRST_RENDER_IDLE_HOLD_USEC;
            g_task_return_pointer (job->task, result, (GDestroyNotify) kios_document_open_result_free);
            kios_worker_prerender (w);
          }
      }
      break;

    case JOB_LAYOUT:
      if (w->doc != NULL)
        kios_worker_apply_layout (w, &job->layout, job->serial);
      break;

    case JOB_RENDER:
    case JOB_POSITION_AT:
    case JOB_NORMALIZE_POSITION:
      if (w->doc == NULL)
        {
          g_task_return_new_error (job->task, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                                   "The book is not open");
          break;
        }
      if (job->kind == JOB_RENDER)
        {
          KiosPage *page = kios_worker_render (w, &job->request, job->position, &error);

          if (w->first_render_pending && !w->background_held)
            {
              w->first_render_pending = FALSE;
              w->idle_pause_until = 0;
            }
          if (page == NULL)
            g_task_return_error (job->task, g_steal_pointer (&error));
          else
            g_task_return_pointer (job->task, page, (GDestroyNotify) kios_page_free);
        }
      else
        {
          KiosPosition *position;

          if (job->kind == JOB_POSITION_AT)
            position = kios_worker_position_for (w, &job->at, job->text, &error);
          else
            {
              if (w->format == KIOS_BOOK_FORMAT_EPUB && !w->has_layout)
                {
                  KiosLayout layout = { 600, 800, 18, 0 };

                  kios_worker_apply_layout (w, &layout, w->serial);
                }
              position = kios_worker_position_at (w, kios_worker_location_for_position (w, job->position));
            }

          if (position == NULL)
            g_task_return_error (job->task, g_steal_pointer (&error));
          else
            g_task_return_pointer (job->task, position, (GDestroyNotify) kios_position_free);
        }
      break;

    case JOB_SEARCH:
    case JOB_FIND_ON_PAGE:
      if (w->doc == NULL)
        g_task_return_new_error (job->task, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                                 "The book is not open");
      else if (job->kind == JOB_SEARCH)
        g_task_return_pointer (job->task, kios_worker_search (w, job),
                               (GDestroyNotify) kios_search_batch_free);
      else
        g_task_return_pointer (job->task, kios_worker_find_on_page (w, job),
                               (GDestroyNotify) g_array_unref);
      break;

    case JOB_PAGE_TEXT:
    case JOB_POSITION_AT_OFFSET:
      if (w->doc == NULL)
        g_task_return_new_error (job->task, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                                 "The book is not open");
      else if (job->kind == JOB_PAGE_TEXT)
        g_task_return_pointer (job->task, kios_worker_page_text (w, job->request.location),
                               (GDestroyNotify) kios_page_text_free);
      else
        g_task_return_pointer (job->task, kios_worker_position_at_offset (w, job->serial, job->offset),
                               (GDestroyNotify) kios_position_free);
      break;

    case JOB_HOLD_BACKGROUND:
      w->background_held = job->serial;
      if (!w->background_held)
        {
          w->first_render_pending = FALSE;
          w->idle_pause_until = 0;
        }
      break;

    case JOB_QUIT:
    default:
      g_assert_not_reached ();
    }
}

static void *
worker_main (void *data)
{
  Worker *w = data;

#ifdef __GLIBC__
  /* Named, it can be told apart in top, gdb and the tests (which wait for
   * every document thread to end before the next test's directories). */
  pthread_setname_np (pthread_self (), KIOS_DOCUMENT_THREAD_NAME);
#endif
  w->ctx = kios_mupdf_new_context ();

  for (;;)
    {
      Job *job;

      if (kios_worker_has_idle_work (w) && !w->background_held)
        {
          gint64 pause = w->idle_pause_until - g_get_monotonic_time ();

          if (pause > 0)
            job = g_async_queue_timeout_pop (w->queue, (guint64) pause);
          else
            job = g_async_queue_try_pop (w->queue);
        }
      else
        job = g_async_queue_pop (w->queue);

      if (job == NULL)
        {
          kios_worker_idle_step (w);
          continue;
        }

      if (job->kind == JOB_QUIT)
        {
          job_free (job);
          break;
        }

      if (w->ctx == NULL && job->task != NULL)
        g_task_return_new_error (job->task, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                                 "Out of memory: cannot start MuPDF");
      else
        worker_run_job (w, job);
      job_free (job);
    }

  /* Whatever is still queued after the quit request is answered, not dropped. */
  {
    Job *job;

    while ((job = g_async_queue_try_pop (w->queue)) != NULL)
      {
        if (job->task != NULL)
          g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "The book was closed");
        job_free (job);
      }
  }

  worker_release (w);
  kios_worker_unref (w);
  return NULL;
}

gboolean
kios_worker_start (Worker  *w,
                   GError **error)
{
  pthread_attr_t attr;
  pthread_t      thread;
  int            rc;

  pthread_attr_init (&attr);
  pthread_attr_setstacksize (&attr, WORKER_STACK_SIZE);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  kios_worker_ref (w);
  rc = pthread_create (&thread, &attr, worker_main, w);
  pthread_attr_destroy (&attr);

  if (rc != 0)
    {
      kios_worker_unref (w);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (rc),
                   "Cannot start the document thread: %s", g_strerror (rc));
      return FALSE;
    }
  return TRUE;
}
