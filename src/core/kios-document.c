/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document.h"

#include "kios-archive-limits.h"
#include "kios-book-format.h"
#include "kios-book-hash.h"
#include "kios-chapter-text.h"
#include "kios-error.h"
#include "kios-limits.h"
#include "kios-mupdf.h"
#include "kios-paths.h"
#include "kios-text-anchor.h"
#include "kios-text-search-private.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

/* MuPDF's box generation recurses per nesting level; 8 MiB is not enough for
 * books near our depth limit (MUPDF.md section 7). */
#define WORKER_STACK_SIZE KIOS_LIMIT_WORKER_STACK
/* Parsed chapter texts kept per book (the KJV's whole text would be ~90 MB). */
#define TEXT_CACHE_SIZE 4
#define MAX_CHAPTER_BYTES KIOS_LIMIT_CHAPTER_BYTES
/* Bumped when the stand-ins the archive scan gives MuPDF change. */
#define BOUNDED_COPY_VERSION 1
#define INDEX_VERSION 1
#define COUNTS_VERSION 1
/* Rendered text read beyond a point before anchoring there (characters). */
#define ANCHOR_SLACK 512

typedef struct _Worker Worker;

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
/* Jobs: everything the worker is asked to do.                              */

typedef enum {
  JOB_OPEN,
  JOB_LAYOUT,
  JOB_RENDER,
  JOB_PARSE_POSITION,
  JOB_NORMALIZE_POSITION,
  JOB_SEARCH,
  JOB_FIND_ON_PAGE,
  JOB_QUIT,
} JobKind;

typedef struct
{
  JobKind            kind;
  GTask             *task;
  KiosPageRequest    request;
  KiosPosition      *position;
  KiosLayout         layout;
  int                serial;
  char              *text;
  KiosSearchMatcher *matcher;   /* JOB_SEARCH, JOB_FIND_ON_PAGE */
  gboolean           first_hit; /* JOB_SEARCH: return at the first chapter with a hit */
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  kios_position_free (job->position);
  g_free (job->text);
  g_clear_pointer (&job->matcher, kios_search_matcher_unref);
  g_free (job);
}

typedef struct
{
  char          *hash;
  char          *title;
  GStrv          authors;
  GStrv          refusals;
  GPtrArray     *toc;
  gint64         size;
  KiosBookFormat format;
  int            n_chapters;
  int            n_pages;
} OpenResult;

static void
open_result_free (OpenResult *result)
{
  g_free (result->hash);
  g_free (result->title);
  g_strfreev (result->authors);
  g_strfreev (result->refusals);
  g_clear_pointer (&result->toc, g_ptr_array_unref);
  g_free (result);
}

/* ------------------------------------------------------------------------ */
/* The worker: owns the fz_context clone and the fz_document.               */

typedef struct
{
  int     count;        /* pages at the current layout (maybe from the cache), -1 unknown */
  GArray *rstream;      /* gunichar: the rendered text of the pages read so far, or NULL */
  GArray *page_start;   /* int per page read so far: its first char in rstream */
  char   *error;        /* why the chapter cannot be shown, or NULL */
  guint   checked : 1;  /* the safety check ran */
  guint   laid_out : 1; /* MuPDF laid it out at the current layout: count is exact */
} Chapter;

typedef struct
{
  int              chapter;
  KiosChapterText *text;
} CachedText;

struct _Worker
{
  gint          ref_count;
  GAsyncQueue  *queue;
  GWeakRef      owner;
  GMainContext *owner_context;

  /* Everything below belongs to the worker thread. */
  fz_context      *ctx;
  fz_document     *doc;
  fz_archive      *archive; /* the EPUB's zip, for chapter XHTML, opened on demand */
  KiosEpub        *epub;
  KiosArchiveScan *scan; /* what MuPDF may read of it; refusals last the session */
  char            *path;
  char            *open_path;
  char            *hash;
  char            *device;
  char            *device_id;
  KiosBookFormat   format;
  int              n_chapters;
  GPtrArray       *toc;
  Chapter         *chapters;
  GQueue           texts;

  /* The book index: layout-independent text lengths, cached on disk. */
  gint64  *lengths;     /* per chapter, -1 while unknown */
  gint64  *toc_offsets; /* per TOC entry, -1 while unknown */
  int      index_next;
  gboolean index_complete;
  gint64  *prefix; /* prefix[c] = sum of lengths before c */
  gint64   total_length;

  KiosLayout layout;
  gboolean   has_layout;
  int        serial;
  double     css_line_spacing;
  int        count_next;
  gboolean   counts_complete;
  int        prelayout;            /* a chapter to lay out while idle, or -1 */
  gint64     idle_pause_until;     /* a search is streaming: no idle work before this */
  gboolean   first_render_pending; /* opened, the first page not yet rendered */
};

static Worker *
worker_ref (Worker *w)
{
  g_atomic_int_inc (&w->ref_count);
  return w;
}

static void
worker_unref (Worker *w)
{
  if (!g_atomic_int_dec_and_test (&w->ref_count))
    return;

  g_async_queue_unref (w->queue);
  g_weak_ref_clear (&w->owner);
  g_main_context_unref (w->owner_context);
  g_free (w);
}

static void worker_count_step (Worker *w);

static void
chapter_clear_layout (Chapter *chapter)
{
  chapter->count = -1;
  chapter->laid_out = FALSE;
  g_clear_pointer (&chapter->rstream, g_array_unref);
  g_clear_pointer (&chapter->page_start, g_array_unref);
}

/* Frees what the worker thread owns; runs on the worker thread. */
static void
worker_release (Worker *w)
{
  CachedText *cached;

  while ((cached = g_queue_pop_head (&w->texts)) != NULL)
    {
      kios_chapter_text_free (cached->text);
      g_free (cached);
    }

  if (w->chapters != NULL)
    {
      for (int i = 0; i < w->n_chapters; i++)
        {
          chapter_clear_layout (&w->chapters[i]);
          g_free (w->chapters[i].error);
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
/* Delivering background results to the owner's thread.                     */

typedef struct
{
  Worker *worker;
  int     serial;
  int     n_pages;
  GArray *marks;
  GArray *counts; /* int: pages per chapter, with n_pages */
  GArray *starts; /* double: where each chapter starts, with marks */
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  worker_unref (delivery->worker);
  g_clear_pointer (&delivery->marks, g_array_unref);
  g_clear_pointer (&delivery->counts, g_array_unref);
  g_clear_pointer (&delivery->starts, g_array_unref);
  g_free (delivery);
}

static gboolean
deliver_cb (gpointer data)
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

static void
worker_deliver (Worker *w,
                int     n_pages,
                GArray *marks,
                GArray *counts)
{
  Delivery *delivery = g_new0 (Delivery, 1);

  delivery->worker = worker_ref (w);
  delivery->serial = w->serial;
  delivery->n_pages = n_pages;
  delivery->marks = marks;
  delivery->counts = counts;
  g_main_context_invoke_full (w->owner_context, G_PRIORITY_DEFAULT, deliver_cb, delivery,
                              (GDestroyNotify) delivery_free);
}

/* ------------------------------------------------------------------------ */
/* Disk caches: the book index and the page counts of a layout.             */

static char *
index_cache_path (Worker *w)
{
  g_autofree char *dir = kios_paths_cache_subdir ("index");
  g_autofree char *name = g_strdup_printf ("%s.json", w->hash);

  return g_build_filename (dir, name, NULL);
}

static char *
counts_cache_path (Worker *w)
{
  g_autofree char *dir = kios_paths_cache_subdir ("layout");
  /* MuPDF's version is part of the key: another layout engine breaks lines differently. */
  g_autofree char *name = g_strdup_printf ("%s-%.0fx%.0f-%.2f-%.2f-%s.json", w->hash,
                                           w->layout.width, w->layout.height,
                                           w->layout.font_size, w->layout.line_spacing,
                                           FZ_VERSION);

  return g_build_filename (dir, name, NULL);
}

/* Reads an array of n integers stored under key in a small JSON cache file. */
static gint64 *
read_cached_array (const char *path,
                   int         version,
                   const char *key,
                   guint       n)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char       *contents = NULL;
  gsize                  len = 0;
  JsonObject            *root;
  JsonArray             *array;
  gint64                *values;

  if (!g_file_get_contents (path, &contents, &len, NULL) ||
      !json_parser_load_from_data (parser, contents, (gssize) len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  root = json_node_get_object (json_parser_get_root (parser));
  if (json_object_get_int_member_with_default (root, "version", 0) != version ||
      !json_object_has_member (root, key) ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, key)))
    return NULL;

  array = json_object_get_array_member (root, key);
  if (json_array_get_length (array) != n)
    return NULL;

  values = g_new (gint64, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    values[i] = json_array_get_int_element (array, i);
  return values;
}

static void
add_array (JsonBuilder  *builder,
           const char   *key,
           const gint64 *values,
           int           n)
{
  json_builder_set_member_name (builder, key);
  json_builder_begin_array (builder);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
write_cache (const char  *path,
             JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode)      root = json_builder_get_root (builder);
  g_autofree char          *data = NULL;
  g_autoptr (GError)        error = NULL;

  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, NULL);
  /* What a person reads is private: 0600, like everything Kios keeps. */
  if (!g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Cannot write the cache %s: %s", path, error->message);
}

static void
worker_finish_index (Worker *w)
{
  g_autofree char        *path = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GArray                 *marks;
  GArray                 *starts;
  Delivery               *delivery;

  w->index_complete = TRUE;
  w->prefix = g_new0 (gint64, w->n_chapters + 1);
  for (int c = 0; c < w->n_chapters; c++)
    w->prefix[c + 1] = w->prefix[c] + MAX (w->lengths[c], 0);
  w->total_length = w->prefix[w->n_chapters];

  marks = g_array_new (FALSE, FALSE, sizeof (double));
  for (int c = 1; c < w->n_chapters && w->total_length > 0; c++)
    {
      double mark = (double) w->prefix[c] / (double) w->total_length;

      if (w->lengths[c - 1] > 0 || c == 1)
        g_array_append_val (marks, mark);
    }
  starts = g_array_sized_new (FALSE, FALSE, sizeof (double), MAX (w->n_chapters, 1));
  for (int c = 0; c < w->n_chapters; c++)
    {
      double start = w->total_length > 0 ? (double) w->prefix[c] / (double) w->total_length : 0.0;

      g_array_append_val (starts, start);
    }
  delivery = g_new0 (Delivery, 1);
  delivery->worker = worker_ref (w);
  delivery->serial = w->serial;
  delivery->n_pages = -1;
  delivery->marks = marks;
  delivery->starts = starts;
  g_main_context_invoke_full (w->owner_context, G_PRIORITY_DEFAULT, deliver_cb, delivery,
                              (GDestroyNotify) delivery_free);

  path = index_cache_path (w);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, INDEX_VERSION);
  add_array (builder, "lengths", w->lengths, w->n_chapters);
  add_array (builder, "toc_offsets", w->toc_offsets, (int) w->toc->len);
  json_builder_end_object (builder);
  write_cache (path, builder);
}

static void
worker_load_index (Worker *w)
{
  g_autofree char *path = index_cache_path (w);
  gint64          *lengths = read_cached_array (path, INDEX_VERSION, "lengths", (guint) w->n_chapters);
  gint64          *offsets = read_cached_array (path, INDEX_VERSION, "toc_offsets", w->toc->len);

  if (lengths == NULL || offsets == NULL)
    {
      g_free (lengths);
      g_free (offsets);
      return;
    }

  g_free (w->lengths);
  g_free (w->toc_offsets);
  w->lengths = lengths;
  w->toc_offsets = offsets;
  w->index_next = w->n_chapters;
  worker_finish_index (w);
}

static void
worker_save_counts (Worker *w)
{
  g_autofree char        *path = counts_cache_path (w);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree gint64      *counts = g_new (gint64, MAX (w->n_chapters, 1));

  for (int c = 0; c < w->n_chapters; c++)
    counts[c] = w->chapters[c].count;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, COUNTS_VERSION);
  add_array (builder, "counts", counts, w->n_chapters);
  json_builder_end_object (builder);
  write_cache (path, builder);
}

static void
worker_load_counts (Worker *w)
{
  g_autofree char   *path = counts_cache_path (w);
  g_autofree gint64 *counts = read_cached_array (path, COUNTS_VERSION, "counts",
                                                 (guint) w->n_chapters);

  if (counts == NULL)
    return;

  /* Trusted for page numbers at once; a chapter is still laid out before its
   * pages are shown, and MuPDF's own count then corrects a stale entry. */
  for (int c = 0; c < w->n_chapters; c++)
    w->chapters[c].count = (int) CLAMP (counts[c], 0, G_MAXINT);
  w->count_next = w->n_chapters;
  worker_count_step (w);
}

/* ------------------------------------------------------------------------ */
/* Chapter text (the DOM text stream) and the safety check.                 */

/*
 * Reads a zip member through MuPDF's archive, which indexes the central
 * directory once; libarchive would walk it again for every chapter.
 */
static GBytes *
worker_read_member (Worker     *w,
                    const char *name,
                    GError    **error)
{
  fz_context *ctx = w->ctx;
  fz_buffer  *buffer = NULL;
  GBytes     *bytes = NULL;
  const char *refusal = w->scan != NULL ? kios_archive_scan_get_refusal (w->scan, name) : NULL;

  /* Refused once when the book was opened: never inflated again. */
  if (refusal != NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX, "%s", refusal);
      return NULL;
    }

  fz_var (buffer);
  fz_var (bytes);
  fz_try (ctx)
  {
    /* The book's own chapter, not the copy MuPDF lays out (whose long
     * paragraphs may be cut): positions follow the book's DOM. The scan
     * checked every member inflates within its limit. */
    if (w->archive == NULL)
      w->archive = fz_open_zip_archive (ctx, w->path);
    if (fz_has_archive_entry (ctx, w->archive, name))
      {
        unsigned char *data = NULL;
        size_t         len;

        buffer = fz_read_archive_entry (ctx, w->archive, name);
        len = fz_buffer_storage (ctx, buffer, &data);
        if (len <= MAX_CHAPTER_BYTES)
          bytes = g_bytes_new (data, len);
      }
  }
  fz_always (ctx)
  {
    fz_drop_buffer (ctx, buffer);
  }
  fz_catch (ctx)
  {
    bytes = NULL;
  }

  /* Not found, too large or unreadable: libarchive says which, precisely. */
  if (bytes == NULL)
    return kios_epub_read_member (w->epub, name, MAX_CHAPTER_BYTES, error);
  return bytes;
}

static KiosChapterText *
worker_get_text (Worker  *w,
                 int      chapter,
                 GError **error)
{
  const KiosSpineItem *item;
  g_autoptr (GBytes)   bytes = NULL;
  KiosChapterText     *text;
  CachedText          *cached;
  gsize                len = 0;
  const char          *data;

  for (GList *l = w->texts.head; l != NULL; l = l->next)
    {
      cached = l->data;
      if (cached->chapter == chapter)
        {
          /* Most recently used first. */
          g_queue_unlink (&w->texts, l);
          g_queue_push_head_link (&w->texts, l);
          return cached->text;
        }
    }

  item = kios_epub_get_spine_item (w->epub, (guint) chapter);
  if (item == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND,
                   "Chapter %d is not in the book", chapter);
      return NULL;
    }

  bytes = worker_read_member (w, item->href, error);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &len);
  text = kios_chapter_text_new (data, len, error);
  if (text == NULL)
    return NULL;

  cached = g_new0 (CachedText, 1);
  cached->chapter = chapter;
  cached->text = text;
  g_queue_push_head (&w->texts, cached);
  while (g_queue_get_length (&w->texts) > TEXT_CACHE_SIZE)
    {
      CachedText *old = g_queue_pop_tail (&w->texts);

      kios_chapter_text_free (old->text);
      g_free (old);
    }

  return text;
}

/* Records what the book index needs from a chapter's text. */
static void
worker_index_text (Worker          *w,
                   int              chapter,
                   KiosChapterText *text)
{
  if (w->lengths[chapter] < 0)
    w->lengths[chapter] = text != NULL ? (gint64) kios_chapter_text_get_length (text) : 0;

  for (guint i = 0; i < w->toc->len; i++)
    {
      KiosTocEntry *entry = g_ptr_array_index (w->toc, i);
      gsize         index = 0;

      if (entry->chapter != chapter || w->toc_offsets[i] >= 0)
        continue;

      if (text != NULL && entry->fragment != NULL &&
          kios_chapter_text_find_id (text, entry->fragment, &index))
        w->toc_offsets[i] = (gint64) index;
      else
        w->toc_offsets[i] = 0;
    }
}

/*
 * Runs our own parse of a chapter before MuPDF lays it out: MuPDF 1.21
 * overflows its stack on deep nesting and takes minutes on a huge unbreakable
 * word, and neither can be interrupted once started.
 */
static void
worker_check_chapter (Worker *w,
                      int     chapter)
{
  Chapter           *ch = &w->chapters[chapter];
  g_autoptr (GError) error = NULL;
  KiosChapterText   *text;

  if (ch->checked)
    return;
  ch->checked = TRUE;

  if (w->format != KIOS_BOOK_FORMAT_EPUB)
    return;

  text = worker_get_text (w, chapter, &error);
  if (text == NULL)
    {
      const KiosSpineItem *item = kios_epub_get_spine_item (w->epub, (guint) chapter);

      if (item != NULL && w->scan != NULL && kios_archive_scan_get_refusal (w->scan, item->href) != NULL)
        ch->error = g_strdup_printf ("This chapter is too large to show safely (%s).",
                                     error->message);
      else if (g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX))
        ch->error = g_strdup_printf ("This chapter is too complex to lay out safely (%s).",
                                     error->message);
      else
        ch->error = g_strdup_printf ("This chapter cannot be read (%s).", error->message);
      g_debug ("Chapter %d of %s refused: %s", chapter, w->path, error->message);
    }
  worker_index_text (w, chapter, text);
}

static void
worker_index_step (Worker *w)
{
  if (w->index_next < w->n_chapters)
    {
      worker_check_chapter (w, w->index_next);
      w->index_next++;
    }

  if (w->index_next >= w->n_chapters && !w->index_complete)
    worker_finish_index (w);
}

static void
worker_ensure_index (Worker *w)
{
  while (!w->index_complete)
    worker_index_step (w);
}

/* ------------------------------------------------------------------------ */
/* Layout: page counts and the rendered text of a chapter.                  */

static int
worker_count_chapter (Worker *w,
                      int     chapter)
{
  Chapter    *ch = &w->chapters[chapter];
  fz_context *ctx = w->ctx;
  int         hint = ch->count;
  int         count = 1;

  fz_var (count);
  ch->laid_out = TRUE;
  if (w->format == KIOS_BOOK_FORMAT_PDF)
    return ch->count = 1;

  worker_check_chapter (w, chapter);
  if (ch->error != NULL)
    count = 1;
  else

    {
      fz_try (ctx)
      {
        count = fz_count_chapter_pages (ctx, w->doc, chapter);
      }
      fz_catch (ctx)
      {
        g_autofree char *message = kios_mupdf_caught_message (ctx);

        ch->error = g_strdup_printf ("This chapter cannot be laid out (%s).", message);
        count = 1;
      }
    }

  ch->count = MAX (count, 0);
  if (hint >= 0 && hint != ch->count && w->counts_complete)
    {
      /* The cached count was stale: publish the corrected total. */
      w->counts_complete = FALSE;
      w->count_next = w->n_chapters;
      worker_count_step (w);
    }
  return ch->count;
}

/* The page count of a chapter at the current layout, laying it out if needed. */
static int
worker_chapter_pages (Worker *w,
                      int     chapter)
{
  Chapter *ch = &w->chapters[chapter];

  /* A count from the disk cache is a hint until MuPDF laid the chapter out. */
  if (ch->laid_out || w->format == KIOS_BOOK_FORMAT_PDF)
    return ch->count;

  return worker_count_chapter (w, chapter);
}

static void
append_stext (fz_stext_page *stext,
              GArray        *out)
{
  for (fz_stext_block *block = stext->first_block; block != NULL; block = block->next)
    {
      if (block->type != FZ_STEXT_BLOCK_TEXT)
        continue;
      for (fz_stext_line *line = block->u.t.first_line; line != NULL; line = line->next)
        for (fz_stext_char *ch = line->first_char; ch != NULL; ch = ch->next)
          {
            gunichar c = (gunichar) ch->c;

            if (!kios_text_anchor_is_skipped (c))
              g_array_append_val (out, c);
          }
    }
}

/*
 * Extends the chapter's rendered text through page `last` (clamped), reading
 * pages in order: a position on page p needs only the text of pages 0..p,
 * so entering a long chapter does not extract all of it.
 */
static void
worker_extend_rstream (Worker *w,
                       int     chapter,
                       int     last)
{
  Chapter    *ch = &w->chapters[chapter];
  fz_context *ctx = w->ctx;
  int         count = worker_chapter_pages (w, chapter);

  fz_var (last);
  if (ch->rstream == NULL)
    {
      ch->rstream = g_array_new (FALSE, FALSE, sizeof (gunichar));
      ch->page_start = g_array_new (FALSE, FALSE, sizeof (int));
    }

  last = MIN (last, count - 1);
  while ((int) ch->page_start->len <= last)
    {
      int            p = (int) ch->page_start->len;
      int            start = (int) ch->rstream->len;
      fz_page       *page = NULL;
      fz_stext_page *stext = NULL;

      g_array_append_val (ch->page_start, start);
      if (ch->error != NULL)
        continue;

      fz_var (page);
      fz_var (stext);
      fz_try (ctx)
      {
        page = fz_load_chapter_page (ctx, w->doc, chapter, p);
        stext = fz_new_stext_page_from_page (ctx, page, NULL);
        append_stext (stext, ch->rstream);
      }
      fz_always (ctx)
      {
        fz_drop_stext_page (ctx, stext);
        fz_drop_page (ctx, page);
      }
      fz_catch (ctx)
      {
        g_autofree char *message = kios_mupdf_caught_message (ctx);

        g_debug ("No text for page %d of chapter %d: %s", p, chapter, message);
      }
    }
}

static gboolean
worker_rstream_complete (Worker *w,
                         int     chapter)
{
  Chapter *ch = &w->chapters[chapter];

  return ch->page_start != NULL && (int) ch->page_start->len >= worker_chapter_pages (w, chapter);
}

/* How many chapters the background count lays out between two shrinks of
 * MuPDF's store. */
#define COUNT_SHRINK_EVERY 16

static void
worker_count_step (Worker *w)
{
  if (w->count_next < w->n_chapters)
    {
      worker_chapter_pages (w, w->count_next);
      w->count_next++;
      /* The chapters laid out only to be counted are not kept for long:
       * the count would otherwise fill MuPDF's whole store. */
      if (w->count_next % COUNT_SHRINK_EVERY == 0)
        {
          fz_shrink_store (w->ctx, 50);
#ifdef __GLIBC__
          malloc_trim (0);
#endif
        }
    }

  if (w->count_next >= w->n_chapters && !w->counts_complete)
    {
      int     total = 0;
      GArray *counts = g_array_sized_new (FALSE, FALSE, sizeof (int), MAX (w->n_chapters, 1));

      w->counts_complete = TRUE;
      for (int c = 0; c < w->n_chapters; c++)
        {
          total += w->chapters[c].count;
          g_array_append_val (counts, w->chapters[c].count);
        }
      if (w->format == KIOS_BOOK_FORMAT_EPUB)
        worker_save_counts (w);
      /* Counting laid out every chapter: let go of what MuPDF and the
       * allocator keep of them, so the reader's memory settles back. */
      fz_shrink_store (w->ctx, 25);
#ifdef __GLIBC__
      malloc_trim (0);
#endif
      worker_deliver (w, total, NULL, counts);
    }
}

static gboolean
worker_has_idle_work (Worker *w)
{
  if (w->doc == NULL)
    return FALSE;
  if (w->prelayout >= 0)
    return TRUE;
  if (!w->index_complete && w->format == KIOS_BOOK_FORMAT_EPUB)
    return TRUE;
  return w->has_layout && !w->counts_complete;
}

static void
worker_idle_step (Worker *w)
{
  if (w->prelayout >= 0)
    {
      /* The reader is near the end of a chapter: lay out the next one now,
       * so turning into it costs no more than any other page. */
      int chapter = w->prelayout;

      w->prelayout = -1;
      if (chapter < w->n_chapters)
        worker_chapter_pages (w, chapter);
    }
  else if (!w->index_complete && w->format == KIOS_BOOK_FORMAT_EPUB)
    worker_index_step (w);
  else if (w->has_layout && !w->counts_complete)
    worker_count_step (w);
}

/* ------------------------------------------------------------------------ */
/* Positions.                                                               */

static const char *
worker_chapter_title (Worker *w,
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

static KiosPosition *
worker_position_at (Worker      *w,
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
      pos->chapter_title = g_strdup (worker_chapter_title (w, loc.chapter, 0));
      return pos;
    }
  else
    {
      const KiosSpineItem *item = kios_epub_get_spine_item (w->epub, (guint) loc.chapter);
      Chapter             *ch = &w->chapters[loc.chapter];
      KiosChapterText     *text;
      gsize                dlen = 0;
      gint64               offset = 0;

      text = worker_get_text (w, loc.chapter, NULL);
      if (text != NULL)
        dlen = kios_chapter_text_get_length (text);

      /* The first page of a chapter starts at its first character, whatever
       * MuPDF draws before it; later pages are anchored in the DOM text. */
      if (text != NULL && loc.page > 0 && dlen > 0)
        {
          gsize rstart, rlen;
          int   last = loc.page + 1;

          worker_extend_rstream (w, loc.chapter, last);
          rstart = (gsize) g_array_index (ch->page_start, int, loc.page);
          /* Enough text after the page start for the anchor window, so the
           * answer does not depend on how much of the chapter was read. */
          while (ch->rstream->len < rstart + ANCHOR_SLACK && !worker_rstream_complete (w, loc.chapter))
            worker_extend_rstream (w, loc.chapter, ++last);

          rlen = ch->rstream->len;
          if (rstart >= rlen)
            offset = (gint64) dlen;
          else
            offset = (gint64) kios_text_anchor_map ((const gunichar *) ch->rstream->data, rlen,
                                                    rstart,
                                                    kios_chapter_text_get_chars (text), dlen,
                                                    MIN (rstart, dlen - 1));
        }

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
      worker_ensure_index (w);
      if (w->total_length > 0)
        pos->total_progress = (double) (w->prefix[loc.chapter] + offset) / (double) w->total_length;
      pos->total_progress = CLAMP (pos->total_progress, 0.0, 1.0);
      pos->chapter_title = g_strdup (worker_chapter_title (w, loc.chapter, offset));
    }

  return pos;
}

static int
worker_page_for_offset (Worker *w,
                        int     chapter,
                        gint64  offset)
{
  Chapter         *ch = &w->chapters[chapter];
  KiosChapterText *text;
  gsize            dlen, rlen, rindex;
  int              lo, hi, last = 0;

  text = worker_get_text (w, chapter, NULL);
  if (offset <= 0 || text == NULL)
    return 0;

  dlen = kios_chapter_text_get_length (text);
  if (dlen == 0)
    return 0;
  if ((gsize) offset >= dlen)
    return MAX (worker_chapter_pages (w, chapter) - 1, 0);

  /* Read pages until the rendered text reaches well past the offset: both
   * streams hold the same words, so their indices stay close. */
  worker_extend_rstream (w, chapter, 0);
  while (ch->rstream->len < (gsize) offset + ANCHOR_SLACK && !worker_rstream_complete (w, chapter))
    worker_extend_rstream (w, chapter, ++last);
  rlen = ch->rstream->len;
  if (rlen == 0)
    return 0;

  rindex = kios_text_anchor_map (kios_chapter_text_get_chars (text), dlen, (gsize) offset,
                                 (const gunichar *) ch->rstream->data, rlen,
                                 MIN ((gsize) offset, rlen - 1));

  /* Know where the page after rindex starts, so the search below can stop. */
  while (!worker_rstream_complete (w, chapter) &&
         (gsize) g_array_index (ch->page_start, int, ch->page_start->len - 1) <= rindex)
    worker_extend_rstream (w, chapter, (int) ch->page_start->len);

  /* The last page whose first character is at or before rindex. */
  lo = 0;
  hi = (int) ch->page_start->len - 1;
  while (lo < hi)
    {
      int mid = (lo + hi + 1) / 2;

      if ((gsize) g_array_index (ch->page_start, int, mid) <= rindex)
        lo = mid;
      else
        hi = mid - 1;
    }
  return lo;
}

static KiosLocation
worker_location_for_position (Worker             *w,
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
          text = worker_get_text (w, chapter, NULL);
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

      worker_ensure_index (w);
      target = (gint64) (pos->total_progress * (double) w->total_length);
      chapter = 0;
      while (chapter + 1 < w->n_chapters && w->prefix[chapter + 1] <= target)
        chapter++;
      offset = target - w->prefix[chapter];
    }

  if (offset < 0)
    {
      KiosChapterText *text = worker_get_text (w, chapter, NULL);
      gsize            dlen = text != NULL ? kios_chapter_text_get_length (text) : 0;

      if (pos->offset > 0)
        offset = pos->offset;
      else
        offset = (gint64) (pos->chapter_progress * (double) dlen);
    }

  loc.chapter = CLAMP (chapter, 0, w->n_chapters - 1);
  loc.page = worker_page_for_offset (w, loc.chapter, offset);
  return loc;
}

/* ------------------------------------------------------------------------ */
/* Navigation.                                                              */

static KiosLocation
worker_clamp (Worker      *w,
              KiosLocation loc)
{
  int count;

  loc.chapter = CLAMP (loc.chapter, 0, w->n_chapters - 1);
  count = worker_chapter_pages (w, loc.chapter);
  loc.page = CLAMP (loc.page, 0, MAX (count - 1, 0));
  return loc;
}

static gboolean
worker_step (Worker       *w,
             KiosLocation *loc,
             int           delta)
{
  KiosLocation next = worker_clamp (w, *loc);

  if (delta > 0)
    {
      if (next.page + 1 < worker_chapter_pages (w, next.chapter))
        {
          next.page++;
          *loc = next;
          return TRUE;
        }
      for (int c = next.chapter + 1; c < w->n_chapters; c++)
        if (worker_chapter_pages (w, c) > 0)
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
      int count = worker_chapter_pages (w, c);

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
         loc.page + 1 >= worker_chapter_pages (w, loc.chapter);
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
/* Opening.                                                                 */

static GMutex open_lock;

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
      if (outline->down != NULL && level < 32)
        pdf_outline_to_toc (w, outline->down, level + 1, toc);
    }
  return toc;
}

static char *
pdf_metadata (Worker     *w,
              const char *key)
{
  char buffer[1024];
  int  len = -1;

  fz_var (len);
  fz_try (w->ctx)
  {
    len = fz_lookup_metadata (w->ctx, w->doc, key, buffer, sizeof buffer);
  }
  fz_catch (w->ctx)
  {
    len = -1;
  }

  if (len <= 0 || buffer[0] == '\0' || !g_utf8_validate (buffer, -1, NULL))
    return NULL;
  return g_strstrip (g_strdup (buffer));
}

/* Opens path (already checked) with MuPDF, by content type, never by name. */
static gboolean
worker_open_mupdf (Worker  *w,
                   GError **error)
{
  fz_context      *ctx = w->ctx;
  const char      *magic = w->format == KIOS_BOOK_FORMAT_EPUB ? "application/epub+zip" : "application/pdf";
  fz_stream       *stream = NULL;
  g_autofree char *message = NULL;

  fz_var (stream);
  fz_var (message);
  g_mutex_lock (&open_lock);
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
  g_mutex_unlock (&open_lock);

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

  if (!worker_open_mupdf (w, error))
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
    worker_load_index (w);
  else
    {
      /* A PDF page is its own chapter: every page is as long as any other. */
      for (int c = 0; c < w->n_chapters; c++)
        w->lengths[c] = 1;
      for (guint i = 0; i < w->toc->len; i++)
        w->toc_offsets[i] = 0;
      w->index_next = w->n_chapters;
      worker_finish_index (w);
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
/* Layout and rendering.                                                    */

static void
worker_apply_layout (Worker           *w,
                     const KiosLayout *layout,
                     int               serial)
{
  fz_context *ctx = w->ctx;

  w->serial = serial;
  if (w->format != KIOS_BOOK_FORMAT_EPUB)
    return;

  w->layout = *layout;
  w->layout.width = MAX (layout->width, 64);
  w->layout.height = MAX (layout->height, 64);
  w->layout.font_size = CLAMP (layout->font_size, 4, 96);

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
      g_mutex_lock (&open_lock);
      fz_set_user_css (ctx, css);
      g_mutex_unlock (&open_lock);

      fz_drop_document (ctx, w->doc);
      w->doc = NULL;
      if (!worker_open_mupdf (w, &error))
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
    chapter_clear_layout (&w->chapters[c]);
  w->count_next = 0;
  w->counts_complete = FALSE;
  w->prelayout = -1;
  worker_load_counts (w);
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
        return worker_location_for_position (w, position);
      return worker_clamp (w, loc);

    case KIOS_PAGE_REQUEST_NEXT:
      worker_step (w, &loc, +1);
      return worker_clamp (w, loc);

    case KIOS_PAGE_REQUEST_PREVIOUS:
      worker_step (w, &loc, -1);
      return worker_clamp (w, loc);

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
              worker_check_chapter (w, entry->chapter);
              loc.page = worker_page_for_offset (w, entry->chapter,
                                                 MAX (w->toc_offsets[request->toc_index], 0));
            }
          return worker_clamp (w, loc);
        }

    case KIOS_PAGE_REQUEST_LOCATION:
    default:
      return worker_clamp (w, loc);
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

static KiosPage *
worker_render (Worker                *w,
               const KiosPageRequest *request,
               const KiosPosition    *position,
               GError               **error)
{
  KiosLocation         loc;
  g_autoptr (KiosPage) page = g_new0 (KiosPage, 1);
  g_autoptr (GError)   local_error = NULL;
  fz_pixmap           *pixmap;

  if (w->format == KIOS_BOOK_FORMAT_EPUB && !w->has_layout)
    {
      /* A caller that never set a layout gets a readable default one. */
      KiosLayout layout = { 600, 800, 18, 0 };

      worker_apply_layout (w, &layout, w->serial);
    }

  loc = worker_resolve_request (w, request, position, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  page->location = loc;
  page->position = worker_position_at (w, loc);
  page->chapter_pages = worker_chapter_pages (w, loc.chapter);
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

/* ------------------------------------------------------------------------ */
/* kiosctl's position forms.                                                */

static KiosPosition *
worker_parse_position (Worker     *w,
                       const char *text,
                       GError    **error)
{
  g_autoptr (KiosPosition) partial = kios_position_new ();
  KiosLocation             loc;

  partial->format = w->format;
  partial->chapter = -1;

  if (g_str_has_prefix (text, "/body/DocFragment["))
    {
      int fragment = 0;

      if (w->format != KIOS_BOOK_FORMAT_EPUB ||
          !kios_xpointer_get_doc_fragment (text, &fragment) ||
          fragment < 1 || fragment > w->n_chapters)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "“%s” does not point into this book", text);
          return NULL;
        }
      partial->xpointer = g_strdup (text);
    }
  else if (g_str_has_prefix (text, "page:"))
    {
      guint64 page = 0;

      if (!g_ascii_string_to_unsigned (text + 5, 10, 1, (guint64) MAX (w->n_chapters, 1), &page, NULL) ||
          w->format != KIOS_BOOK_FORMAT_PDF)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "“%s” is not a page of this book (PDF pages 1 to %d)", text, w->n_chapters);
          return NULL;
        }
      partial->chapter = (int) page - 1;
    }
  else if (g_str_has_prefix (text, "chapter:"))
    {
      g_auto (GStrv) parts = g_strsplit (text + 8, ":", 2);
      guint64        index = 0;
      double         fraction = 0;
      char          *end = NULL;

      if (g_strv_length (parts) != 2 ||
          !g_ascii_string_to_unsigned (parts[0], 10, 0, (guint64) MAX (w->n_chapters - 1, 0), &index, NULL) ||
          (fraction = g_ascii_strtod (parts[1], &end), end == parts[1] || *end != '\0') ||
          !(fraction >= 0.0 && fraction <= 1.0))
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "“%s” is not chapter:INDEX:FRACTION with INDEX 0 to %d and FRACTION 0 to 1",
                       text, w->n_chapters - 1);
          return NULL;
        }
      partial->chapter = (int) index;
      partial->chapter_progress = fraction;
      if (w->format == KIOS_BOOK_FORMAT_PDF)
        partial->chapter = (int) index;
    }
  else if (g_str_has_prefix (text, "percent:"))
    {
      char  *end = NULL;
      double percent = g_ascii_strtod (text + 8, &end);

      if (end == text + 8 || *end != '\0' || !(percent >= 0.0 && percent <= 100.0))
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "“%s” is not percent:P with P from 0 to 100", text);
          return NULL;
        }
      partial->total_progress = percent / 100.0;
    }
  else
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                   "“%s” is not a position: use an xpointer, page:N, chapter:I:FRACTION or percent:P",
                   text);
      return NULL;
    }

  if (w->format == KIOS_BOOK_FORMAT_EPUB && !w->has_layout)
    {
      KiosLayout layout = { 600, 800, 18, 0 };

      worker_apply_layout (w, &layout, w->serial);
    }

  loc = worker_location_for_position (w, partial);
  return worker_position_at (w, loc);
}

/* ------------------------------------------------------------------------ */
/* Find in book: one batch of chapters per job, so page renders queued
 * meanwhile wait for at most one batch.                                    */

/* A batch returns after this long (so results stream in), at the first
 * chapter with a hit while the search has found nothing yet, and as soon
 * as another job (a page render) is waiting. */
#define SEARCH_BATCH_USEC (40 * G_TIME_SPAN_MILLISECOND)
/* Background layout waits this long for the search's next batch. */
#define SEARCH_IDLE_PAUSE_USEC (50 * G_TIME_SPAN_MILLISECOND)
/* How long a newly opened book keeps its background work for the first page. */
#define FIRST_RENDER_IDLE_HOLD_USEC (700 * G_TIME_SPAN_MILLISECOND)

static KiosSearchBatch *
worker_search (Worker *w,
               Job    *job)
{
  KiosSearchBatch *batch = g_new0 (KiosSearchBatch, 1);
  gint64           deadline = g_get_monotonic_time () + SEARCH_BATCH_USEC;
  int              chapter = MAX (job->serial, 0);

  batch->hits = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_search_hit_free);
  if (w->format == KIOS_BOOK_FORMAT_EPUB)
    worker_ensure_index (w);

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
              g_autoptr (GBytes)   bytes = item != NULL ? worker_read_member (w, item->href, NULL) : NULL;

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

          hit->chapter_title = g_strdup (worker_chapter_title (w, chapter, hit->offset));
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
static GArray *
worker_find_on_page (Worker *w,
                     Job    *job)
{
  GArray        *rects = g_array_new (FALSE, FALSE, sizeof (KiosSearchRect));
  fz_context    *ctx = w->ctx;
  KiosLocation   loc = worker_clamp (w, job->request.location);
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
            g_task_return_pointer (job->task, result, (GDestroyNotify) open_result_free);
          }
      }
      break;

    case JOB_LAYOUT:
      if (w->doc != NULL)
        worker_apply_layout (w, &job->layout, job->serial);
      break;

    case JOB_RENDER:
    case JOB_PARSE_POSITION:
    case JOB_NORMALIZE_POSITION:
      if (w->doc == NULL)
        {
          g_task_return_new_error (job->task, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                                   "The book is not open");
          break;
        }
      if (job->kind == JOB_RENDER)
        {
          KiosPage *page = worker_render (w, &job->request, job->position, &error);

          if (w->first_render_pending)
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

          if (job->kind == JOB_PARSE_POSITION)
            position = worker_parse_position (w, job->text, &error);
          else
            {
              if (w->format == KIOS_BOOK_FORMAT_EPUB && !w->has_layout)
                {
                  KiosLayout layout = { 600, 800, 18, 0 };

                  worker_apply_layout (w, &layout, w->serial);
                }
              position = worker_position_at (w, worker_location_for_position (w, job->position));
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
        g_task_return_pointer (job->task, worker_search (w, job),
                               (GDestroyNotify) kios_search_batch_free);
      else
        g_task_return_pointer (job->task, worker_find_on_page (w, job),
                               (GDestroyNotify) g_array_unref);
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

  w->ctx = kios_mupdf_new_context ();

  for (;;)
    {
      Job *job;

      if (worker_has_idle_work (w))
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
          worker_idle_step (w);
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
  worker_unref (w);
  return NULL;
}

static gboolean
worker_start (Worker  *w,
              GError **error)
{
  pthread_attr_t attr;
  pthread_t      thread;
  int            rc;

  pthread_attr_init (&attr);
  pthread_attr_setstacksize (&attr, WORKER_STACK_SIZE);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  worker_ref (w);
  rc = pthread_create (&thread, &attr, worker_main, w);
  pthread_attr_destroy (&attr);

  if (rc != 0)
    {
      worker_unref (w);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (rc),
                   "Cannot start the document thread: %s", g_strerror (rc));
      return FALSE;
    }
  return TRUE;
}

static void
push_job (KiosDocument *self,
          Job          *job)
{
  g_async_queue_push (self->worker->queue, job);
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
      g_clear_pointer (&self->worker, worker_unref);
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
  open_result_free (open);

  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
open_internal (const char         *path,
               GMainContext       *owner_context,
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
  g_weak_ref_init (&w->owner, self);
  self->worker = w;

  if (!worker_start (w, &error))
    {
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

  open_internal (path, context, cancellable, callback, user_data);
}

KiosDocument *
kios_document_open_finish (GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  GAsyncResult *result;
} SyncData;

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SyncData *data = user_data;

  data->result = g_object_ref (result);
}

/* Runs one async call to completion on a private main context. */
#define RUN_SYNC(data, call)                            \
  G_STMT_START                                          \
  {                                                     \
    GMainContext *sync_context = g_main_context_new (); \
    g_main_context_push_thread_default (sync_context);  \
    call;                                               \
    while ((data).result == NULL)                       \
      g_main_context_iteration (sync_context, TRUE);    \
    g_main_context_pop_thread_default (sync_context);   \
    g_main_context_unref (sync_context);                \
  }                                                     \
  G_STMT_END

KiosDocument *
kios_document_open_sync (const char *path,
                         GError    **error)
{
  SyncData                 data = { NULL };
  g_autoptr (GMainContext) owner = g_main_context_ref_thread_default ();
  KiosDocument            *self;

  /* Only the open itself waits on a private context; the background work
   * that follows reports to the caller's own context. */
  RUN_SYNC (data, open_internal (path, owner, NULL, sync_cb, &data));
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
  SyncData  data = { NULL };
  KiosPage *page;

  RUN_SYNC (data, kios_document_render_async (self, request, NULL, sync_cb, &data));
  page = kios_document_render_finish (self, data.result, error);
  g_object_unref (data.result);
  return page;
}

static KiosPosition *
run_position_job (KiosDocument       *self,
                  JobKind             kind,
                  const char         *text,
                  const KiosPosition *position,
                  GError            **error)
{
  SyncData      data = { NULL };
  KiosPosition *result;
  Job          *job = g_new0 (Job, 1);

  job->kind = kind;
  job->text = g_strdup (text);
  job->position = kios_position_copy (position);

  RUN_SYNC (data, {
    job->task = g_task_new (self, NULL, sync_cb, &data);
    push_job (self, job);
  });
  result = g_task_propagate_pointer (G_TASK (data.result), error);
  g_object_unref (data.result);
  return result;
}

KiosPosition *
kios_document_parse_position (KiosDocument *self,
                              const char   *pos,
                              GError      **error)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (pos != NULL, NULL);

  return run_position_job (self, JOB_PARSE_POSITION, pos, NULL, error);
}

KiosPosition *
kios_document_normalize_position (KiosDocument       *self,
                                  const KiosPosition *position,
                                  GError            **error)
{
  g_return_val_if_fail (KIOS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (position != NULL, NULL);

  return run_position_job (self, JOB_NORMALIZE_POSITION, NULL, position, error);
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
