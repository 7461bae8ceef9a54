/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-cover-loader"

#include "config.h"

#include "kios-cover-loader.h"

#include "kios-epub.h"
#include "kios-limits.h"
#include "kios-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* A cover picture bigger than this is not a cover: never read it whole. */
#define COVER_MAX_BYTES ((gsize) 16 << 20)
/* Covers decode on a small pool of their own: a grid binding hundreds of
 * cards at once neither crowds the cores the main thread needs nor grows a
 * malloc arena per thread, and a load cancelled while it waits (the card was
 * bound to another book) costs nothing. */
#define POOL_THREADS 2

/* Covers made from books are kept at twice a card's size (120 × 180). */
#define COVER_CACHE_WIDTH 240
#define COVER_CACHE_HEIGHT 360

typedef struct
{
  KiosBookRecord *book;
  int             width; /* the slot, in pixels at the screen's scale */
  int             height;
  int             box_width; /* what the decode in progress fills */
  int             box_height;
} LoadRequest;

static void
load_request_free (LoadRequest *request)
{
  g_clear_pointer (&request->book, kios_book_record_free);
  g_free (request);
}

char *
kios_cover_loader_cache_path (const char *hash)
{
  g_autofree char *dir = kios_paths_cache_subdir ("covers");
  g_autofree char *name = g_strconcat (hash, ".png", NULL);

  return g_build_filename (dir, name, NULL);
}

/* Refuses a picture whose decoded pixels would pass the limit before any
 * is decoded, and asks the loader for the scaled size at once. */
static void
size_prepared_cb (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  LoadRequest *request = user_data;
  int          box_width = request->box_width;
  int          box_height = request->box_height;
  double       scale;

  if (width <= 0 || height <= 0 || (gint64) width * height > KIOS_LIMIT_IMAGE_PIXELS)
    {
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  /* Fill the slot (the card crops what sticks out), never enlarge. */
  scale = MIN (1.0, MAX ((double) box_width / width, (double) box_height / height));
  gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale + 0.5)), MAX (1, (int) (height * scale + 0.5)));
}

static GdkPixbuf *
decode_scaled (GBytes      *bytes,
               LoadRequest *request,
               GError     **error)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  GdkPixbuf                  *pixbuf;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb), request);
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error) || !gdk_pixbuf_loader_close (loader, error))
    return NULL;
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL || gdk_pixbuf_get_width (pixbuf) <= 1 || gdk_pixbuf_get_height (pixbuf) <= 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The cover picture is empty or too large");
      return NULL;
    }
  return g_object_ref (pixbuf);
}

/* Writes next to the final name, then renames: a reader never sees half a
 * PNG, and the file is private from the start. */
static gboolean
save_private_png (GdkPixbuf  *pixbuf,
                  const char *path,
                  GError    **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  g_autofree char *buffer = NULL;
  gsize            size = 0;
  int              fd;
  gboolean         ok;

  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", error, NULL))
    return FALSE;
  fd = g_mkstemp_full (tmp, O_WRONLY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Cannot write %s: %s", tmp,
                   g_strerror (saved_errno));
      return FALSE;
    }
  ok = write (fd, buffer, size) == (gssize) size;
  ok = close (fd) == 0 && ok;
  if (!ok || g_rename (tmp, path) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write %s", path);
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

/* The picture scaled to fill the slot exactly, centred, cut where it sticks
 * out, in the layout cairo draws (premultiplied BGRA): done here, off the
 * main thread, so the card draws it as it is every frame. */
static GdkTexture *
texture_for_slot (GdkPixbuf   *pixbuf,
                  LoadRequest *request,
                  GError     **error)
{
  int              width = gdk_pixbuf_get_width (pixbuf);
  int              height = gdk_pixbuf_get_height (pixbuf);
  double           fill = MAX ((double) request->width / width, (double) request->height / height);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, request->width, request->height);
  cairo_t         *cr;
  GBytes          *bytes;
  GdkTexture      *texture;

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Cannot make a cover of %d × %d", request->width,
                   request->height);
      return NULL;
    }
  cr = cairo_create (surface);
  cairo_translate (cr, (request->width - width * fill) / 2.0, (request->height - height * fill) / 2.0);
  cairo_scale (cr, fill, fill);
  gdk_cairo_set_source_pixbuf (cr, pixbuf, 0, 0);
  /* Edges repeat the picture's last pixels rather than fade to nothing. */
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) cairo_image_surface_get_stride (surface) * request->height,
                                      (GDestroyNotify) cairo_surface_destroy, surface);
  texture = gdk_memory_texture_new (request->width, request->height, GDK_MEMORY_DEFAULT, bytes,
                                    cairo_image_surface_get_stride (surface));
  g_bytes_unref (bytes);
  return texture;
}

static GdkPixbuf *
make_epub_cover (LoadRequest *request,
                 GError     **error)
{
  KiosEpub             *epub;
  g_autoptr (GBytes)    bytes = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autofree char      *path = NULL;
  const char           *href;

  epub = kios_epub_open (request->book->path, error);
  if (epub == NULL)
    return NULL;
  href = kios_epub_get_cover_href (epub);
  if (href == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The book names no cover picture");
  else
    bytes = kios_epub_read_member (epub, href, COVER_MAX_BYTES, error);
  kios_epub_unref (epub);
  if (bytes == NULL)
    return NULL;

  /* Kept at twice a card's size (sharp on a 2× screen), shown at the slot's:
   * a grid of full-size textures would cost megabytes per card. */
  request->box_width = COVER_CACHE_WIDTH;
  request->box_height = COVER_CACHE_HEIGHT;
  pixbuf = decode_scaled (bytes, request, error);
  if (pixbuf == NULL)
    return NULL;
  path = kios_cover_loader_cache_path (request->book->hash);
  if (!save_private_png (pixbuf, path, error))
    return NULL;
  return g_steal_pointer (&pixbuf);
}

static GdkPixbuf *
load_file (const char  *path,
           LoadRequest *request,
           GError     **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char   *contents = NULL;
  gsize              length = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  if (length > COVER_MAX_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is too large for a cover", path);
      return NULL;
    }
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  request->box_width = request->width;
  request->box_height = request->height;
  return decode_scaled (bytes, request, error);
}

static void
load_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadRequest          *request = task_data;
  KiosBookRecord       *book = request->book;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autofree char      *cached = NULL;
  GError               *error = NULL;
  GdkTexture           *texture;

  if (book->cover_path != NULL && g_file_test (book->cover_path, G_FILE_TEST_IS_REGULAR))
    pixbuf = load_file (book->cover_path, request, &error);
  else if (book->hash != NULL && g_file_test ((cached = kios_cover_loader_cache_path (book->hash)), G_FILE_TEST_IS_REGULAR))
    pixbuf = load_file (cached, request, &error);
  else if (book->path != NULL && book->hash != NULL && g_strcmp0 (book->format, "epub") == 0 && !book->missing)
    pixbuf = make_epub_cover (request, &error);
  else
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No cover yet");

  texture = pixbuf != NULL ? texture_for_slot (pixbuf, request, &error) : NULL;
  if (texture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, texture, g_object_unref);
}

static void
pool_func (gpointer data,
           gpointer user_data)
{
  g_autoptr (GTask) task = data;

  if (g_task_return_error_if_cancelled (task))
    return;
  load_worker (task, NULL, g_task_get_task_data (task), g_task_get_cancellable (task));
}

static GThreadPool *
get_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (pool_func, NULL, POOL_THREADS, FALSE, NULL));
  return pool;
}

void
kios_cover_loader_load_async (const KiosBookRecord *book,
                              int                   width,
                              int                   height,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr (GTask) task = NULL;
  LoadRequest      *request;

  g_return_if_fail (book != NULL);
  g_return_if_fail (width > 0 && height > 0);

  request = g_new0 (LoadRequest, 1);
  request->book = kios_book_record_copy (book);
  request->width = width;
  request->height = height;
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_cover_loader_load_async);
  g_task_set_task_data (task, request, (GDestroyNotify) load_request_free);
  g_thread_pool_push (get_pool (), g_steal_pointer (&task), NULL);
}

GdkTexture *
kios_cover_loader_load_finish (GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
