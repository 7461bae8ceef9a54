/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-launch-hint"

#include "config.h"

#include "kios-launch-hint.h"

#include "kios-book-format.h"
#include "kios-paths.h"
#include "kios-reader-view.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define HINT_FILE "launch-hint.ini"
/* A hint file is a few hundred bytes: anything larger is not ours. */
#define HINT_MAX_BYTES 4096

static char *
hint_path (void)
{
  g_autofree char *dir = kios_paths_cache_dir ();

  return g_build_filename (dir, HINT_FILE, NULL);
}

/* By the book's content, as kios_launch_hint_save_async() files it: a PDF
 * named without ".pdf" finds its hint too. */
static const char *
group_for (const char *book_path)
{
  return kios_book_format_detect (book_path, NULL) == KIOS_BOOK_FORMAT_PDF ? "pdf" : "epub";
}

static gboolean
read_double (GKeyFile   *file,
             const char *group,
             const char *key,
             double      min,
             double      max,
             double     *value)
{
  g_autoptr (GError) error = NULL;
  double             v = g_key_file_get_double (file, group, key, &error);

  if (error != NULL || !(v >= min && v <= max))
    return FALSE;
  *value = v;
  return TRUE;
}

gboolean
kios_launch_hint_load (const char     *book_path,
                       int             window_width,
                       int             window_height,
                       KiosLaunchHint *hint)
{
  g_autofree char     *path = hint_path ();
  g_autofree char     *contents = NULL;
  gsize                length = 0;
  g_autoptr (GKeyFile) file = g_key_file_new ();
  const char          *group;
  double               width, height, fit, foreground, background;
  gboolean             ok;

  g_return_val_if_fail (book_path != NULL && hint != NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &length, NULL) || length > HINT_MAX_BYTES ||
      !g_key_file_load_from_data (file, contents, length, G_KEY_FILE_NONE, NULL))
    return FALSE;
  group = group_for (book_path);

  memset (hint, 0, sizeof *hint);
  kios_page_request_init (&hint->request);
  ok = read_double (file, group, "window-width", window_width, window_width, &width) &&
       read_double (file, group, "window-height", window_height, window_height, &height) &&
       read_double (file, group, "box-width", 1, 16384, &hint->request.box_width) &&
       read_double (file, group, "box-height", 1, 16384, &hint->request.box_height) &&
       read_double (file, group, "scale", 1, 8, &hint->request.scale) &&
       read_double (file, group, "zoom", 0.05, 20, &hint->request.zoom) &&
       read_double (file, group, "fit", KIOS_FIT_WIDTH, KIOS_FIT_PAGE, &fit) &&
       read_double (file, group, "foreground", 0, 0xffffff, &foreground) &&
       read_double (file, group, "background", 0, 0xffffff, &background);
  if (!ok)
    return FALSE;
  hint->request.fit = fit == KIOS_FIT_WIDTH ? KIOS_FIT_WIDTH : KIOS_FIT_PAGE;
  hint->request.foreground = (guint32) foreground;
  hint->request.background = (guint32) background;

  hint->has_layout = g_key_file_has_key (file, group, "layout-width", NULL);
  if (hint->has_layout &&
      !(read_double (file, group, "layout-width", 1, 16384, &hint->layout.width) &&
        read_double (file, group, "layout-height", 1, 16384, &hint->layout.height) &&
        read_double (file, group, "font-size", 1, 200, &hint->layout.font_size) &&
        read_double (file, group, "line-spacing", 0, 10, &hint->layout.line_spacing)))
    return FALSE;
  return TRUE;
}

/* Around the reader view in a window of its default size: the frame GTK
 * draws around a window it decorates itself (X11, nothing compositing) and
 * the header bar. */
#define WINDOW_FRAME 10
#define HEADER_BAR_HEIGHT 47

gboolean
kios_launch_hint_guess (const char     *book_path,
                        int             window_width,
                        int             window_height,
                        GSettings      *settings,
                        KiosLaunchHint *hint)
{
  KiosBookFormat format;

  g_return_val_if_fail (book_path != NULL && G_IS_SETTINGS (settings) && hint != NULL, FALSE);

  format = kios_book_format_detect (book_path, NULL);
  if (format == KIOS_BOOK_FORMAT_UNKNOWN)
    return FALSE;
  memset (hint, 0, sizeof *hint);
  hint->has_layout = format == KIOS_BOOK_FORMAT_EPUB;
  return kios_reader_view_first_request_for_size (window_width - WINDOW_FRAME,
                                                  window_height - WINDOW_FRAME - HEADER_BAR_HEIGHT,
                                                  hint->has_layout, settings, &hint->request, &hint->layout);
}

static gboolean
hint_equal (const KiosLaunchHint *a,
            const KiosLaunchHint *b)
{
  const KiosPageRequest *x = &a->request;
  const KiosPageRequest *y = &b->request;

  return x->box_width == y->box_width && x->box_height == y->box_height && x->scale == y->scale &&
         x->zoom == y->zoom && x->fit == y->fit && x->foreground == y->foreground &&
         x->background == y->background && a->has_layout == b->has_layout &&
         (!a->has_layout || memcmp (&a->layout, &b->layout, sizeof a->layout) == 0);
}

typedef struct
{
  char          *group;
  int            window_width;
  int            window_height;
  KiosLaunchHint hint;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_free (data->group);
  g_free (data);
}

static void
set_double (GKeyFile   *file,
            const char *group,
            const char *key,
            double      value)
{
  g_key_file_set_double (file, group, key, value);
}

static void
save_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData             *data = task_data;
  g_autofree char      *path = hint_path ();
  g_autofree char      *dir = kios_paths_cache_dir ();
  g_autofree char      *contents = NULL;
  gsize                 length = 0;
  g_autoptr (GKeyFile)  file = g_key_file_new ();
  g_autoptr (GError)    error = NULL;
  const char           *group = data->group;
  const KiosLaunchHint *hint = &data->hint;

  /* The other format's hint stays; a damaged file is replaced. */
  if (g_file_get_contents (path, &contents, &length, NULL) && length <= HINT_MAX_BYTES)
    g_key_file_load_from_data (file, contents, length, G_KEY_FILE_NONE, NULL);
  g_key_file_remove_group (file, group, NULL);
  set_double (file, group, "window-width", data->window_width);
  set_double (file, group, "window-height", data->window_height);
  set_double (file, group, "box-width", hint->request.box_width);
  set_double (file, group, "box-height", hint->request.box_height);
  set_double (file, group, "scale", hint->request.scale);
  set_double (file, group, "zoom", hint->request.zoom);
  set_double (file, group, "fit", hint->request.fit);
  set_double (file, group, "foreground", hint->request.foreground);
  set_double (file, group, "background", hint->request.background);
  if (hint->has_layout)
    {
      set_double (file, group, "layout-width", hint->layout.width);
      set_double (file, group, "layout-height", hint->layout.height);
      set_double (file, group, "font-size", hint->layout.font_size);
      set_double (file, group, "line-spacing", hint->layout.line_spacing);
    }

  g_free (contents);
  contents = g_key_file_to_data (file, &length, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, contents, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Cannot write %s: %s", path, error != NULL ? error->message : g_strerror (errno));
  g_task_return_boolean (task, TRUE);
}

void
kios_launch_hint_save_async (KiosDocument         *document,
                             int                   window_width,
                             int                   window_height,
                             const KiosLaunchHint *known)
{
  g_autoptr (GTask) task = NULL;
  SaveData         *data;
  KiosLaunchHint    hint = { 0 };

  g_return_if_fail (KIOS_IS_DOCUMENT (document));

  if (window_width <= 0 || window_height <= 0 ||
      !kios_document_get_first_request (document, &hint.request, &hint.layout, &hint.has_layout))
    return;
  if (known != NULL && hint_equal (&hint, known))
    return;

  data = g_new0 (SaveData, 1);
  data->group = g_strdup (kios_document_is_reflowable (document) ? "epub" : "pdf");
  data->window_width = window_width;
  data->window_height = window_height;
  data->hint = hint;
  data->hint.request.position = NULL;
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, kios_launch_hint_save_async);
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_worker);
}
