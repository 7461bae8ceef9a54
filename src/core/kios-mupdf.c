/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-mupdf"

#include "config.h"

#include "kios-mupdf.h"

static GMutex locks[FZ_LOCK_MAX];

static void
lock_cb (void *user,
         int   lock)
{
  g_mutex_lock (&locks[lock]);
}

static void
unlock_cb (void *user,
           int   lock)
{
  g_mutex_unlock (&locks[lock]);
}

static const fz_locks_context locks_context = { NULL, lock_cb, unlock_cb };

/* The system allocator, refusing any one block past KIOS_LIMIT_MUPDF_ALLOC:
 * MuPDF then throws instead of touching gigabytes for a hostile picture. */
static void *
malloc_cb (void  *user,
           size_t size)
{
  if (size > KIOS_LIMIT_MUPDF_ALLOC)
    {
      g_debug ("Refusing a MuPDF allocation of %" G_GSIZE_FORMAT " bytes", (gsize) size);
      return NULL;
    }
  return malloc (size);
}

static void *
realloc_cb (void  *user,
            void  *old,
            size_t size)
{
  if (size > KIOS_LIMIT_MUPDF_ALLOC)
    {
      g_debug ("Refusing a MuPDF allocation of %" G_GSIZE_FORMAT " bytes", (gsize) size);
      return NULL;
    }
  return realloc (old, size);
}

static void
free_cb (void *user,
         void *ptr)
{
  free (ptr);
}

static const fz_alloc_context alloc_context = { NULL, malloc_cb, realloc_cb, free_cb };

/* MuPDF prints warnings on stderr by default; hostile books produce many. */
static void
warning_cb (void       *user,
            const char *message)
{
  g_debug ("MuPDF: %s", message);
}

static void
error_cb (void       *user,
          const char *message)
{
  g_debug ("MuPDF error: %s", message);
}

static gpointer
create_base_context (gpointer data)
{
  fz_context *ctx = fz_new_context (&alloc_context, &locks_context, KIOS_MUPDF_STORE_SIZE);

  if (ctx == NULL)
    g_error ("Cannot create the MuPDF context: out of memory");

  fz_set_warning_callback (ctx, warning_cb, NULL);
  fz_set_error_callback (ctx, error_cb, NULL);

  fz_try (ctx)
  {
    fz_register_document_handlers (ctx);
  }
  fz_catch (ctx)
  {
    g_error ("Cannot register MuPDF's document handlers");
  }

  fz_set_user_css (ctx, KIOS_MUPDF_BASE_CSS);

  return ctx;
}

fz_context *
kios_mupdf_new_context (void)
{
  static GOnce once = G_ONCE_INIT;
  fz_context  *base = g_once (&once, create_base_context, NULL);
  fz_context  *ctx = fz_clone_context (base);

  if (ctx == NULL)
    return NULL;

  fz_set_warning_callback (ctx, warning_cb, NULL);
  fz_set_error_callback (ctx, error_cb, NULL);
  return ctx;
}

char *
kios_mupdf_caught_message (fz_context *ctx)
{
  const char *message = fz_caught_message (ctx);

  return g_strdup (message != NULL && *message != '\0' ? message : "unknown MuPDF error");
}

static char *
escape_html (const char *text)
{
  return g_markup_escape_text (text != NULL ? text : "", -1);
}

fz_pixmap *
kios_mupdf_render_notice (fz_context *ctx,
                          const char *title,
                          const char *detail,
                          int         width,
                          int         height,
                          guint32     foreground,
                          guint32     background)
{
  g_autofree char *title_html = escape_html (title);
  g_autofree char *detail_html = escape_html (detail);
  g_autofree char *html = NULL;
  fz_buffer       *buffer = NULL;
  fz_stream       *stream = NULL;
  fz_document     *doc = NULL;
  fz_page         *page = NULL;
  fz_pixmap       *pixmap = NULL;

  fz_var (width);
  fz_var (height);
  width = MAX (width, 16);
  height = MAX (height, 16);

  html = g_strdup_printf ("<html><body style='font-family: sans-serif; color: #000;'>"
                          "<p style='margin-top: 30%%; text-align: center; font-size: 1.4em;"
                          " font-weight: bold;'>%s</p>"
                          "<p style='text-align: center; font-size: 1em;'>%s</p>"
                          "</body></html>",
                          title_html, detail_html);

  fz_var (buffer);
  fz_var (stream);
  fz_var (doc);
  fz_var (page);
  fz_var (pixmap);

  fz_try (ctx)
  {
    buffer = fz_new_buffer_from_copied_data (ctx, (const unsigned char *) html, strlen (html));
    stream = fz_open_buffer (ctx, buffer);
    doc = fz_open_document_with_stream (ctx, "text/html", stream);
    fz_layout_document (ctx, doc, width, height, 16);
    page = fz_load_page (ctx, doc, 0);
    pixmap = fz_new_pixmap (ctx, fz_device_rgb (ctx), width, height, NULL, 0);
    fz_clear_pixmap_with_value (ctx, pixmap, 0xff);
    {
      fz_device *dev = fz_new_draw_device (ctx, fz_identity, pixmap);

      fz_try (ctx)
      {
        fz_run_page (ctx, page, dev, fz_identity, NULL);
        fz_close_device (ctx, dev);
      }
      fz_always (ctx)
      {
        fz_drop_device (ctx, dev);
      }
      fz_catch (ctx)
      {
        fz_rethrow (ctx);
      }
    }
    /* Black on white, mapped to the theme's ink and paper as book pages are. */
    fz_tint_pixmap (ctx, pixmap, (int) (foreground & 0xffffff), (int) (background & 0xffffff));
  }
  fz_always (ctx)
  {
    fz_drop_page (ctx, page);
    fz_drop_document (ctx, doc);
    fz_drop_stream (ctx, stream);
    fz_drop_buffer (ctx, buffer);
  }
  fz_catch (ctx)
  {
    fz_drop_pixmap (ctx, pixmap);
    pixmap = NULL;
    /* A notice that cannot be laid out becomes a blank page of the paper colour. */
    fz_try (ctx)
    {
      pixmap = fz_new_pixmap (ctx, fz_device_rgb (ctx), width, height, NULL, 0);
      fz_clear_pixmap_with_value (ctx, pixmap, 0xff);
      fz_tint_pixmap (ctx, pixmap, 0, (int) (background & 0xffffff));
    }
    fz_catch (ctx)
    {
      pixmap = NULL;
    }
  }

  return pixmap;
}
