/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document-private.h"

#include "kios-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

struct _KiosDocument
{
  GObject parent_instance;

  Worker       *worker;
  GMainContext *context;

  char          *path;
  char          *hash;
  char          *title;
  GStrv          authors;
  GStrv          refusals;
  GPtrArray     *toc;
  GArray        *chapter_marks;
  GArray        *chapter_pages;  /* int per chapter at layout_serial, or NULL */
  GArray        *chapter_starts; /* double per chapter, by text length, or NULL */
  gint64         size;
  KiosBookFormat format;
  int            n_chapters;
  int            n_pages;
  int            layout_serial;
  KiosLayout     layout;

  /* The first page asked for, for the next open (kios_document_get_first_request). */
  gboolean        have_first_request;
  gboolean        first_has_layout;
  KiosPageRequest first_request;
  KiosLayout      first_layout;
};

G_DEFINE_FINAL_TYPE (KiosDocument, kios_document, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_PAGES,
  PROP_CHAPTER_MARKS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------ */
/* Delivering background results to the owner's thread.                     */

void
kios_document_delivery_free (Delivery *delivery)
{
  kios_worker_unref (delivery->worker);
  g_clear_pointer (&delivery->marks, g_array_unref);
  g_clear_pointer (&delivery->counts, g_array_unref);
  g_clear_pointer (&delivery->starts, g_array_unref);
  g_free (delivery);
}

gboolean
kios_document_deliver_cb (gpointer data)
{
  Delivery                *delivery = data;
  g_autoptr (KiosDocument) self = g_weak_ref_get (&delivery->worker->owner);

  if (self == NULL)
    return G_SOURCE_REMOVE;

  if (delivery->marks != NULL)
    {
      g_clear_pointer (&self->chapter_marks, g_array_unref);
      self->chapter_marks = g_array_ref (delivery->marks);
      g_clear_pointer (&self->chapter_starts, g_array_unref);
      if (delivery->starts != NULL)
        self->chapter_starts = g_array_ref (delivery->starts);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHAPTER_MARKS]);
    }
  else if (delivery->serial == self->layout_serial)
    {
      g_clear_pointer (&self->chapter_pages, g_array_unref);
      if (delivery->counts != NULL)
        self->chapter_pages = g_array_ref (delivery->counts);
      if (self->n_pages != delivery->n_pages)
        {
          self->n_pages = delivery->n_pages;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PAGES]);
        }
    }

  return G_SOURCE_REMOVE;
}

void
kios_worker_deliver (Worker *w,
                     int     n_pages,
                     GArray *marks,
                     GArray *counts)
{
  Delivery *delivery = g_new0 (Delivery, 1);
  GSource  *source;

  delivery->worker = kios_worker_ref (w);
  delivery->serial = w->serial;
  delivery->n_pages = n_pages;
  delivery->marks = marks;
  delivery->counts = counts;
  /* An idle source, not g_main_context_invoke (): that runs the call right
   * here, on the worker, whenever the owner is between two iterations. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, kios_document_deliver_cb, delivery, (GDestroyNotify) kios_document_delivery_free);
  g_source_attach (source, w->owner_context);
  g_source_unref (source);
}

static void
push_job (KiosDocument *self,
          Job          *job)
{
  g_async_queue_push (self->worker->queue, job);
}

void
kios_document_push_job (KiosDocument *self,
                        Job          *job)
{
  push_job (self, job);
}

/* ------------------------------------------------------------------------ */
/* GObject.                                                                 */

static void
kios_document_dispose (GObject *object)
{
  KiosDocument *self = KIOS_DOCUMENT (object);

  if (self->worker != NULL)
    {
      Job *job = g_new0 (Job, 1);

      job->kind = JOB_QUIT;
      push_job (self, job);
      g_clear_pointer (&self->worker, kios_worker_unref);
    }

  G_OBJECT_CLASS (kios_document_parent_class)->dispose (object);
}

static void
kios_document_finalize (GObject *object)
{
  KiosDocument *self = KIOS_DOCUMENT (object);

  g_free (self->path);
  g_free (self->hash);
  g_free (self->title);
  g_strfreev (self->authors);
  g_strfreev (self->refusals);
  g_clear_pointer (&self->toc, g_ptr_array_unref);
  g_clear_pointer (&self->chapter_marks, g_array_unref);
  g_clear_pointer (&self->chapter_pages, g_array_unref);
  g_clear_pointer (&self->chapter_starts, g_array_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (kios_document_parent_class)->finalize (object);
}

static void
kios_document_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KiosDocument *self = KIOS_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_N_PAGES:
      g_value_set_int (value, self->n_pages);
      break;
    case PROP_CHAPTER_MARKS:
      g_value_set_boxed (value, self->chapter_marks);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_document_class_init (KiosDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_document_dispose;
  object_class->finalize = kios_document_finalize;
  object_class->get_property = kios_document_get_property;

  /**
   * KiosDocument:n-pages:
   *
   * The whole book's page count at the current layout, -1 while it is
   * being counted in the background.
   */
  properties[PROP_N_PAGES] =
      g_param_spec_int ("n-pages", NULL, NULL, -1, G_MAXINT, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * KiosDocument:chapter-marks:
   *
   * Chapter starts as fractions of the whole book (a GArray of double),
   * or %NULL until the book's text has been measured.
   */
  properties[PROP_CHAPTER_MARKS] =
      g_param_spec_boxed ("chapter-marks", NULL, NULL, G_TYPE_ARRAY,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kios_document_init (KiosDocument *self)
{
  self->n_pages = -1;
  self->context = g_main_context_ref_thread_default ();
}

/* ------------------------------------------------------------------------ */
/* Public API.                                                              */

static void
open_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask)  task = user_data;
  KiosDocument      *self = KIOS_DOCUMENT (source);
  g_autoptr (GError) error = NULL;
  OpenResult        *open = g_task_propagate_pointer (G_TASK (result), &error);

  if (open == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->hash = g_steal_pointer (&open->hash);
  self->title = g_steal_pointer (&open->title);
  self->authors = g_steal_pointer (&open->authors);
  self->refusals = g_steal_pointer (&open->refusals);
  self->toc = g_steal_pointer (&open->toc);
  self->size = open->size;
  self->format = open->format;
  self->n_chapters = open->n_chapters;
  self->n_pages = open->n_pages;
  kios_document_open_result_free (open);

  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
open_internal (const char         *path,
               GMainContext       *owner_context,
               Prerender          *prerender,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  g_autoptr (KiosDocument) self = NULL;
  g_autoptr (GTask)        outer = NULL;
  g_autoptr (GError)       error = NULL;
  Worker                  *w;
  Job                     *job;

  g_return_if_fail (path != NULL);

  self = g_object_new (KIOS_TYPE_DOCUMENT, NULL);
  self->path = g_canonicalize_filename (path, NULL);
  g_main_context_unref (self->context);
  self->context = g_main_context_ref (owner_context);

  outer = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (outer, kios_document_open_async);

  w = g_new0 (Worker, 1);
  w->ref_count = 1;
  w->queue = g_async_queue_new ();
  w->owner_context = g_main_context_ref (self->context);
  w->path = g_strdup (self->path);
  w->css_line_spacing = 0;
  w->prelayout = -1;
  w->shown_chapter = -1;
  g_weak_ref_init (&w->owner, self);
  /* Before the thread starts, which then owns it. */
  w->prerender = prerender;
  self->worker = w;

  if (!kios_worker_start (w, &error))
    {
      kios_worker_drop_prerender (w);
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  job = g_new0 (Job, 1);
  job->kind = JOB_OPEN;
  job->task = g_task_new (self, cancellable, open_cb, g_steal_pointer (&outer));
  push_job (self, job);
}

/**
 * kios_document_open_async:
 * @path: the book's file
 *
 * Opens a book in the background: detects its format by content, computes
 * its identity hash, checks for DRM and hands it to MuPDF on the document's
 * own thread. Fails with a KIOS_DOCUMENT_ERROR naming the reason. Background
 * results (the page count) arrive on the caller's thread-default context.
 */
void
kios_document_open_async (const char         *path,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  open_internal (path, context, NULL, cancellable, callback, user_data);
}

/**
 * kios_document_open_at_async:
 * @path: the book's file
 * @first_page: how the first page will be asked for: its box, scale, fit,
 *   zoom and colours
 * @layout: (nullable): the EPUB layout it will be asked at
 * @start_func: (nullable): where the book opens, asked on the document's
 *   thread once its hash is known
 * @start_data: for @start_func
 * @start_destroy: (nullable): frees @start_data (on any thread)
 *
 * Opens a book as kios_document_open_async() does, then renders the page a
 * reader will ask for first, before any other job: a program starting on a
 * book overlaps that page with its own start-up. The first render asked for
 * takes the page when its request is the same (position, box, scale, zoom,
 * colours and layout), and drops it otherwise.
 */
void
kios_document_open_at_async (const char            *path,
                             const KiosPageRequest *first_page,
                             const KiosLayout      *layout,
                             KiosDocumentStartFunc  start_func,
                             gpointer               start_data,
                             GDestroyNotify         start_destroy,
                             GCancellable          *cancellable,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();
  Prerender               *prerender;

  g_return_if_fail (first_page != NULL);

  prerender = g_new0 (Prerender, 1);
  prerender->request = *first_page;
  prerender->request.position = NULL;
  prerender->request.position_only = FALSE;
  if (layout != NULL)
    {
      prerender->layout = *layout;
      prerender->has_layout = TRUE;
    }
  prerender->start_func = start_func;
  prerender->start_data = start_data;
  prerender->start_destroy = start_destroy;
  open_internal (path, context, prerender, cancellable, callback, user_data);
}

KiosDocument *
kios_document_open_finish (GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Stores the result for KIOS_DOCUMENT_RUN_SYNC (kios-document-private.h). */
void
kios_document_sync_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  KiosDocumentSyncData *data = user_data;

  data->result = g_object_ref (result);
}

KiosDocument *
kios_document_open_sync (const char *path,
                         GError    **error)
{
  KiosDocumentSyncData     data = { NULL };
  g_autoptr (GMainContext) owner = g_main_context_ref_thread_default ();
  KiosDocument            *self;

  /* Only the open itself waits on a private context; the background work
   * that follows reports to the caller's own context. */
  KIOS_DOCUMENT_RUN_SYNC (data, open_internal (path, owner, NULL, NULL, kios_document_sync_cb, &data));
  self = kios_document_open_finish (data.result, error);
  g_object_unref (data.result);
  return self;
}

const char *
kios_document_get_path (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return self->path;
}

const char *
kios_document_get_hash (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return self->hash;
}

KiosBookFormat
kios_document_get_format (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), KIOS_BOOK_FORMAT_UNKNOWN);
  return self->format;
}

const char *
kios_document_get_title (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return self->title;
}

const char *const *
kios_document_get_authors (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return (const char *const *) self->authors;
}

gint64
kios_document_get_size (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), 0);
  return self->size;
}

const char *const *
kios_document_get_refusals (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return (const char *const *) self->refusals;
}

int
kios_document_get_n_chapters (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), 0);
  return self->n_chapters;
}

GPtrArray *
kios_document_get_toc (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return self->toc;
}

/*
 * The TOC entry at or before a position. Within one chapter the worker has
 * already named the entry (position->chapter_title, from the entries' text
 * offsets); otherwise the chapter's first entry, or the last one before it.
 */
int
kios_document_get_toc_index_at (KiosDocument       *self,
                                const KiosPosition *position)
{
  int found = -1;

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), -1);

  if (position == NULL || self->toc == NULL)
    return -1;

  for (guint i = 0; i < self->toc->len; i++)
    {
      KiosTocEntry *entry = g_ptr_array_index (self->toc, i);
      KiosTocEntry *best = found >= 0 ? g_ptr_array_index (self->toc, found) : NULL;

      if (entry->chapter < 0)
        continue;
      if (entry->chapter > position->chapter)
        break;

      if (entry->chapter < position->chapter ||
          best == NULL || best->chapter < position->chapter ||
          g_strcmp0 (entry->title, position->chapter_title) == 0)
        found = (int) i;
      if (entry->chapter == position->chapter &&
          g_strcmp0 (entry->title, position->chapter_title) == 0)
        break;
    }

  return found;
}

GArray *
kios_document_get_chapter_marks (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  return self->chapter_marks;
}

GArray *
kios_document_get_chapter_starts (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);

  return self->chapter_starts;
}

gboolean
kios_document_get_page_location (KiosDocument *self,
                                 int           page_number,
                                 KiosLocation *location)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (location != NULL, FALSE);

  if (page_number < 0)
    return FALSE;
  if (self->format == KIOS_BOOK_FORMAT_PDF)
    {
      if (page_number >= self->n_chapters)
        return FALSE;
      location->chapter = page_number;
      location->page = 0;
      return TRUE;
    }
  if (self->chapter_pages == NULL || self->n_pages <= 0)
    return FALSE;
  for (guint c = 0; c < self->chapter_pages->len; c++)
    {
      int count = g_array_index (self->chapter_pages, int, c);

      if (page_number < count)
        {
          location->chapter = (int) c;
          location->page = page_number;
          return TRUE;
        }
      page_number -= MAX (count, 0);
    }
  return FALSE;
}

int
kios_document_get_n_pages (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), -1);
  return self->n_pages;
}

gboolean
kios_document_is_reflowable (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), FALSE);
  return self->format == KIOS_BOOK_FORMAT_EPUB;
}

void
kios_document_set_layout (KiosDocument     *self,
                          const KiosLayout *layout)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));
  g_return_if_fail (layout != NULL);

  if (self->format != KIOS_BOOK_FORMAT_EPUB)
    return;
  if (self->layout_serial > 0 && memcmp (&self->layout, layout, sizeof *layout) == 0)
    return;

  self->layout = *layout;
  self->layout_serial++;
  g_clear_pointer (&self->chapter_pages, g_array_unref);
  if (self->n_pages != -1)
    {
      self->n_pages = -1;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PAGES]);
    }

  job = g_new0 (Job, 1);
  job->kind = JOB_LAYOUT;
  job->layout = *layout;
  job->serial = self->layout_serial;
  push_job (self, job);
}

int
kios_document_get_layout_serial (KiosDocument *self)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), 0);
  return self->layout_serial;
}

void
kios_document_render_async (KiosDocument          *self,
                            const KiosPageRequest *request,
                            GCancellable          *cancellable,
                            GAsyncReadyCallback    callback,
                            gpointer               user_data)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));
  g_return_if_fail (request != NULL);

  if (!self->have_first_request && !request->position_only &&
      request->kind != KIOS_PAGE_REQUEST_NEXT && request->kind != KIOS_PAGE_REQUEST_PREVIOUS)
    {
      self->have_first_request = TRUE;
      self->first_request = *request;
      self->first_request.position = NULL;
      self->first_has_layout = self->layout_serial > 0;
      self->first_layout = self->layout;
    }

  job = g_new0 (Job, 1);
  job->kind = JOB_RENDER;
  job->request = *request;
  /* Only a position request reads it: a stale pointer elsewhere is ignored. */
  if (request->kind == KIOS_PAGE_REQUEST_POSITION)
    job->position = kios_position_copy (request->position);
  job->request.position = NULL;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, kios_document_render_async);
  push_job (self, job);
}

/**
 * kios_document_hold_background:
 * @held: TRUE until the owner has painted its first page
 *
 * Holds the background work (the book index, the page count, the next
 * chapter's layout) while @held, however long the first page takes to
 * reach the screen; FALSE lets it start at once.
 */
void
kios_document_hold_background (KiosDocument *self,
                               gboolean      held)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));

  job = g_new0 (Job, 1);
  job->kind = JOB_HOLD_BACKGROUND;
  job->serial = held != FALSE;
  push_job (self, job);
}

gboolean
kios_document_get_first_request (KiosDocument    *self,
                                 KiosPageRequest *request,
                                 KiosLayout      *layout,
                                 gboolean        *has_layout)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (request != NULL && layout != NULL && has_layout != NULL, FALSE);

  if (!self->have_first_request)
    return FALSE;
  *request = self->first_request;
  *layout = self->first_layout;
  *has_layout = self->first_has_layout;
  return TRUE;
}

KiosPage *
kios_document_render_finish (KiosDocument *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

KiosPage *
kios_document_render_sync (KiosDocument          *self,
                           const KiosPageRequest *request,
                           GError               **error)
{
  KiosDocumentSyncData data = { NULL };
  KiosPage            *page;

  KIOS_DOCUMENT_RUN_SYNC (data, kios_document_render_async (self, request, NULL, kios_document_sync_cb, &data));
  page = kios_document_render_finish (self, data.result, error);
  g_object_unref (data.result);
  return page;
}

static KiosPosition *
run_position_job (KiosDocument       *self,
                  JobKind             kind,
                  const PositionAt   *at,
                  const char         *text,
                  const KiosPosition *position,
                  GError            **error)
{
  KiosDocumentSyncData data = { NULL };
  KiosPosition        *result;
  Job                 *job = g_new0 (Job, 1);

  job->kind = kind;
  if (at != NULL)
    job->at = *at;
  job->text = g_strdup (text);
  job->position = kios_position_copy (position);

  KIOS_DOCUMENT_RUN_SYNC (data, {
    job->task = g_task_new (self, NULL, kios_document_sync_cb, &data);
    push_job (self, job);
  });
  result = g_task_propagate_pointer (G_TASK (data.result), error);
  g_object_unref (data.result);
  return result;
}

KiosPosition *
kios_document_position_at_progress (KiosDocument *self,
                                    double        total_progress,
                                    GError      **error)
{
  PositionAt at = { POSITION_AT_PROGRESS, 0, total_progress };

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);

  return run_position_job (self, JOB_POSITION_AT, &at, NULL, NULL, error);
}

KiosPosition *
kios_document_position_at_chapter (KiosDocument *self,
                                   int           chapter,
                                   double        fraction,
                                   GError      **error)
{
  PositionAt at = { POSITION_AT_CHAPTER, chapter, fraction };

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);

  return run_position_job (self, JOB_POSITION_AT, &at, NULL, NULL, error);
}

KiosPosition *
kios_document_position_at_page (KiosDocument *self,
                                int           page,
                                GError      **error)
{
  PositionAt at = { POSITION_AT_PAGE, page, 0 };

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);

  return run_position_job (self, JOB_POSITION_AT, &at, NULL, NULL, error);
}

KiosPosition *
kios_document_position_at_xpointer (KiosDocument *self,
                                    const char   *xpointer,
                                    GError      **error)
{
  PositionAt at = { POSITION_AT_XPOINTER, 0, 0 };

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (xpointer != NULL, NULL);

  return run_position_job (self, JOB_POSITION_AT, &at, xpointer, NULL, error);
}

/* A number that is the whole of text, or FALSE. */
static gboolean
parse_double (const char *text,
              double     *value)
{
  char *end = NULL;

  *value = g_ascii_strtod (text, &end);
  return end != text && *end == '\0';
}

KiosPosition *
kios_document_parse_position (KiosDocument *self,
                              const char   *pos,
                              GError      **error)
{
  KiosPosition *position = NULL;
  GError       *local_error = NULL;

  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (pos != NULL, NULL);

  if (g_str_has_prefix (pos, "/body/DocFragment["))
    position = kios_document_position_at_xpointer (self, pos, &local_error);
  else if (g_str_has_prefix (pos, "page:"))
    {
      gint64 page = 0;

      if (g_ascii_string_to_signed (pos + 5, 10, G_MININT + 1, G_MAXINT, &page, NULL))
        position = kios_document_position_at_page (self, (int) page - 1, &local_error);
      else
        g_set_error (&local_error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                     "Not page:N with N from 1");
    }
  else if (g_str_has_prefix (pos, "chapter:"))
    {
      g_auto (GStrv) parts = g_strsplit (pos + 8, ":", 2);
      gint64         index = -1;
      double         fraction = 0;

      if (g_strv_length (parts) == 2 &&
          g_ascii_string_to_signed (parts[0], 10, 0, G_MAXINT, &index, NULL) &&
          parse_double (parts[1], &fraction))
        position = kios_document_position_at_chapter (self, (int) index, fraction, &local_error);
      else
        g_set_error (&local_error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                     "Not chapter:INDEX:FRACTION");
    }
  else if (g_str_has_prefix (pos, "percent:"))
    {
      double percent = 0;

      if (parse_double (pos + 8, &percent))
        position = kios_document_position_at_progress (self, percent / 100.0, &local_error);
      else
        g_set_error (&local_error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                     "Not percent:P with P from 0 to 100");
    }
  else
    g_set_error (&local_error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                 "Not a position: use an xpointer, page:N, chapter:I:FRACTION or percent:P");

  if (local_error != NULL)
    {
      g_propagate_prefixed_error (error, local_error, "“%s”: ", pos);
      return NULL;
    }
  return position;
}

KiosPosition *
kios_document_normalize_position (KiosDocument       *self,
                                  const KiosPosition *position,
                                  GError            **error)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (position != NULL, NULL);

  return run_position_job (self, JOB_NORMALIZE_POSITION, NULL, NULL, position, error);
}

void
kios_page_request_init (KiosPageRequest *request)
{
  memset (request, 0, sizeof *request);
  request->kind = KIOS_PAGE_REQUEST_LOCATION;
  request->scale = 1.0;
  request->zoom = 1.0;
  request->fit = KIOS_FIT_PAGE;
  request->foreground = 0x000000;
  request->background = 0xffffff;
  request->toc_index = -1;
}

KiosPage *
kios_page_copy (const KiosPage *page)
{
  KiosPage *copy;

  if (page == NULL)
    return NULL;

  copy = g_memdup2 (page, sizeof *page);
  copy->position = kios_position_copy (page->position);
  copy->pixels = page->pixels != NULL ? g_bytes_ref (page->pixels) : NULL;
  copy->error_message = g_strdup (page->error_message);
  return copy;
}

void
kios_page_free (KiosPage *page)
{
  if (page == NULL)
    return;

  kios_position_free (page->position);
  g_clear_pointer (&page->pixels, g_bytes_unref);
  g_free (page->error_message);
  g_free (page);
}

gboolean
kios_page_save_png (const KiosPage *page,
                    const char     *path,
                    GError        **error)
{
  fz_context      *ctx;
  fz_pixmap       *pixmap = NULL;
  g_autofree char *message = NULL;
  gsize            len = 0;
  unsigned char   *samples;

  g_return_val_if_fail (page != NULL && page->pixels != NULL, FALSE);

  ctx = kios_mupdf_new_context ();
  if (ctx == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Out of memory");
      return FALSE;
    }

  samples = (unsigned char *) g_bytes_get_data (page->pixels, &len);
  fz_var (pixmap);
  fz_var (message);
  fz_var (len);
  fz_try (ctx)
  {
    pixmap = fz_new_pixmap_with_data (ctx, fz_device_rgb (ctx), page->width, page->height,
                                      NULL, 0, page->stride, samples);
    fz_save_pixmap_as_png (ctx, pixmap, path);
  }
  fz_always (ctx)
  {
    fz_drop_pixmap (ctx, pixmap);
  }
  fz_catch (ctx)
  {
    message = kios_mupdf_caught_message (ctx);
  }
  fz_drop_context (ctx);

  if (message != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write %s: %s", path, message);
      return FALSE;
    }
  /* A page (a cover) shows what a person reads. MuPDF creates the file
   * anew with the default mode; Kios's own directories are 0700 already. */
  if (g_chmod (path, 0600) != 0)
    g_debug ("Cannot make %s private: %s", path, g_strerror (errno));
  return TRUE;
}

/**
 * kios_document_search_async:
 * @matcher: what to look for
 * @first_chapter: where this batch starts
 * @first_hit: return as soon as a chapter had a hit (nothing found yet)
 *
 * Searches the book from @first_chapter on, on the document's worker, for
 * at most a few milliseconds (at least one chapter): the caller asks for the
 * next batch from the result's next_chapter, so page renders asked for in
 * between go first. EPUB chapters are searched in their DOM text, PDF pages
 * in MuPDF's text.
 */
void
kios_document_search_async (KiosDocument       *self,
                            KiosSearchMatcher  *matcher,
                            int                 first_chapter,
                            gboolean            first_hit,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));
  g_return_if_fail (matcher != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_SEARCH;
  job->matcher = kios_search_matcher_ref (matcher);
  job->serial = first_chapter;
  job->first_hit = first_hit;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, kios_document_search_async);
  push_job (self, job);
}

/* Returns: (transfer full): the batch, or NULL with error (cancelled, closed). */
KiosSearchBatch *
kios_document_search_finish (KiosDocument *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * kios_document_find_on_page_async:
 *
 * Finds every match of @matcher on the page at @location (at the current
 * layout) and returns their rectangles (KiosSearchRect), for highlighting.
 */
void
kios_document_find_on_page_async (KiosDocument       *self,
                                  KiosSearchMatcher  *matcher,
                                  KiosLocation        location,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  Job *job;

  g_return_if_fail (KIOS_IS_DOCUMENT (self));
  g_return_if_fail (matcher != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_FIND_ON_PAGE;
  job->matcher = kios_search_matcher_ref (matcher);
  job->request.location = location;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, kios_document_find_on_page_async);
  push_job (self, job);
}

/* Returns: (transfer full) (element-type KiosSearchRect): the highlights. */
GArray *
kios_document_find_on_page_finish (KiosDocument *self,
                                   GAsyncResult *result,
                                   GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kios_search_batch_free (KiosSearchBatch *batch)
{
  if (batch == NULL)
    return;
  g_clear_pointer (&batch->hits, g_ptr_array_unref);
  g_free (batch);
}
