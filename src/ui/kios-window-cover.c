/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-window"

#include "config.h"

#include "kios-window-private.h"

#include "kios-document.h"
#include "kios-paths.h"

/* The library's cover of a book: its first page, rendered small, cropped to
 * what is drawn and saved as a PNG in the cache by a worker. */

#define COVER_BOX_WIDTH 120.0
#define COVER_BOX_HEIGHT 180.0
/* Covers are rendered at twice their size so they stay sharp on HiDPI screens. */
#define COVER_SCALE 2.0

/* A cover being rendered and saved for one book. */
typedef struct
{
  KiosWindow     *self;   /* owned */
  KiosBookRecord *record; /* the record to store with the new cover */
  KiosPage       *page;
} CoverRequest;

static void
cover_request_free (CoverRequest *request)
{
  g_clear_object (&request->self);
  g_clear_pointer (&request->record, kios_book_record_free);
  g_clear_pointer (&request->page, kios_page_free);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CoverRequest, cover_request_free)

/* How far a pixel may be from white and still count as the page's margin. */
#define COVER_MARGIN_TOLERANCE 24

static gboolean
is_margin_pixel (const guint8 *pixel)
{
  return pixel[0] >= 255 - COVER_MARGIN_TOLERANCE && pixel[1] >= 255 - COVER_MARGIN_TOLERANCE && pixel[2] >= 255 - COVER_MARGIN_TOLERANCE;
}

/*
 * The first page of a reflowed EPUB is the cover image inside the page's
 * white margins: crop to what is drawn so the thumbnail shows the cover
 * itself. Returns a page sharing the pixels, or NULL when there is nothing
 * worth cropping.
 */
static KiosPage *
crop_page_margins (const KiosPage *page)
{
  const guint8 *data;
  gsize         len;
  int           top = page->height;
  int           bottom = -1;
  int           left = page->width;
  int           right = -1;
  KiosPage     *cropped;

  if (page->pixels == NULL)
    return NULL;

  data = g_bytes_get_data (page->pixels, &len);
  if (page->width <= 0 || page->height <= 0 || len < (gsize) page->stride * page->height)
    return NULL;

  for (int y = 0; y < page->height; y++)
    {
      const guint8 *row = data + (gsize) y * page->stride;

      for (int x = 0; x < page->width; x++)
        {
          if (is_margin_pixel (row + x * 3))
            continue;
          top = MIN (top, y);
          bottom = MAX (bottom, y);
          left = MIN (left, x);
          right = MAX (right, x);
        }
    }

  /* A blank page, or one drawn edge to edge, stays as it is. */
  if (bottom < 0 || (top == 0 && left == 0 && bottom == page->height - 1 && right == page->width - 1))
    return NULL;
  /* Crumbs (a page number, a rule) are not a cover. */
  if ((right - left + 1) * 4 < page->width || (bottom - top + 1) * 4 < page->height)
    return NULL;

  cropped = kios_page_copy (page);
  g_bytes_unref (cropped->pixels);
  cropped->pixels = g_bytes_new_from_bytes (page->pixels,
                                            (gsize) top * page->stride + (gsize) left * 3,
                                            (gsize) (bottom - top) * page->stride + (gsize) (right - left + 1) * 3);
  cropped->width = right - left + 1;
  cropped->height = bottom - top + 1;
  return cropped;
}

static void
save_cover_worker (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  CoverRequest        *request = task_data;
  g_autoptr (KiosPage) cropped = NULL;
  g_autofree char     *dir = NULL;
  g_autofree char     *file_name = NULL;
  g_autofree char     *path = NULL;
  GError              *error = NULL;

  dir = kios_paths_cache_subdir ("covers");
  file_name = g_strconcat (request->record->hash, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  cropped = crop_page_margins (request->page);
  if (!kios_page_save_png (cropped != NULL ? cropped : request->page, path, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&path), g_free);
}

static void
save_cover_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  CoverRequest      *request = g_task_get_task_data (G_TASK (result));
  g_autofree char   *path = NULL;
  g_autoptr (GError) error = NULL;

  path = g_task_propagate_pointer (G_TASK (result), &error);
  if (path == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not save the cover of %s: %s", request->record->path, error->message);
      return;
    }

  if (request->self->store == NULL)
    return;

  g_free (request->record->cover_path);
  request->record->cover_path = g_steal_pointer (&path);
  kios_library_store_upsert_book (request->self->store, request->record);
}

static void
render_cover_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (CoverRequest) request = user_data;
  g_autoptr (GTask)        task = NULL;
  g_autoptr (GError)       error = NULL;

  request->page = kios_document_render_finish (KIOS_DOCUMENT (source_object), result, &error);
  if (request->page == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not render the cover of %s: %s", request->record->path, error->message);
      return;
    }

  /* Writing the PNG is disk I/O: a worker does it. */
  task = g_task_new (NULL, request->self->cancellable, save_cover_cb, NULL);
  g_task_set_source_tag (task, render_cover_cb);
  g_task_set_task_data (task, g_steal_pointer (&request), (GDestroyNotify) cover_request_free);
  g_task_run_in_thread (task, save_cover_worker);
}

void
kios_window_make_cover (KiosWindow           *self,
                        KiosDocument         *document,
                        const KiosBookRecord *record)
{
  CoverRequest   *request;
  KiosPageRequest page_request;

  kios_page_request_init (&page_request);
  page_request.kind = KIOS_PAGE_REQUEST_LOCATION;
  page_request.location.chapter = 0;
  page_request.location.page = 0;
  page_request.box_width = COVER_BOX_WIDTH;
  page_request.box_height = COVER_BOX_HEIGHT;
  page_request.scale = COVER_SCALE;
  page_request.fit = KIOS_FIT_PAGE;
  page_request.zoom = 1.0;
  page_request.foreground = 0x000000;
  page_request.background = 0xffffff;

  g_debug ("Rendering a cover for %s", record->path);
  request = g_new0 (CoverRequest, 1);
  request->self = g_object_ref (self);
  request->record = kios_book_record_copy (record);
  kios_document_render_async (document, &page_request, self->cancellable, render_cover_cb, request);
}
