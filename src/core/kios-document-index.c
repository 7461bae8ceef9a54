/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-document"

#include "config.h"

#include "kios-document-private.h"

#include "kios-error.h"
#include "kios-flow-split.h"
#include "kios-paths.h"
#include "kios-text-anchor.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <json-glib/json-glib.h>
#include <string.h>

static void worker_count_step (Worker  *w,
                               gboolean idle);
static void worker_let_go (Worker *w);

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

void
kios_worker_finish_index (Worker *w)
{
  g_autofree char        *path = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GArray                 *marks;
  GArray                 *starts;
  Delivery               *delivery;
  GSource                *source;

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
  delivery->worker = kios_worker_ref (w);
  delivery->serial = w->serial;
  delivery->n_pages = -1;
  delivery->marks = marks;
  delivery->starts = starts;
  /* An idle source, not g_main_context_invoke (): that runs the call right
   * here, on the worker, whenever the owner is between two iterations. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, kios_document_deliver_cb, delivery, (GDestroyNotify) kios_document_delivery_free);
  g_source_attach (source, w->owner_context);
  g_source_unref (source);

  path = index_cache_path (w);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, INDEX_VERSION);
  add_array (builder, "lengths", w->lengths, w->n_chapters);
  add_array (builder, "toc_offsets", w->toc_offsets, (int) w->toc->len);
  json_builder_end_object (builder);
  write_cache (path, builder);
}

void
kios_worker_load_index (Worker *w)
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
  kios_worker_finish_index (w);
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

void
kios_worker_load_counts (Worker *w)
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
  worker_count_step (w, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Chapter text (the DOM text stream) and the safety check.                 */

/*
 * Reads a zip member through MuPDF's archive, which indexes the central
 * directory once; libarchive would walk it again for every chapter.
 */
GBytes *
kios_worker_read_member (Worker     *w,
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

KiosChapterText *
kios_worker_get_text (Worker  *w,
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

  bytes = kios_worker_read_member (w, item->href, error);
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
void
kios_worker_check_chapter (Worker *w,
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

  text = kios_worker_get_text (w, chapter, &error);
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

/* idle: run as an idle step, between two jobs (not inside one). */
static void
worker_index_step (Worker  *w,
                   gboolean idle)
{
  if (w->index_next < w->n_chapters)
    {
      kios_worker_check_chapter (w, w->index_next);
      w->index_next++;
    }

  if (w->index_next >= w->n_chapters && !w->index_complete)
    {
      kios_worker_finish_index (w);
      if (idle)
        worker_let_go (w);
      else
        w->let_go_pending = TRUE;
    }
}

void
kios_worker_ensure_index (Worker *w)
{
  while (!w->index_complete)
    worker_index_step (w, FALSE);
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

  kios_worker_check_chapter (w, chapter);
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
      worker_count_step (w, FALSE);
    }
  return ch->count;
}

/* The page count of a chapter at the current layout, laying it out if needed. */
int
kios_worker_chapter_pages (Worker *w,
                           int     chapter)
{
  Chapter *ch = &w->chapters[chapter];

  /* A count from the disk cache is a hint until MuPDF laid the chapter out. */
  if (ch->laid_out || w->format == KIOS_BOOK_FORMAT_PDF)
    return ch->count;

  return worker_count_chapter (w, chapter);
}

/* Pages whose text was read into a chapter's rendered stream, by every
 * document: what finding a page deep in a chapter costs (read by tests). */
static gint pages_read;

gboolean kios_document_read_from_pieces = TRUE;

guint64
kios_document_pages_read (void)
{
  return (guint64) (guint) g_atomic_int_get (&pages_read);
}

/* Appends the page's kept characters; returns how many of them are on
 * lines whose baseline is above `y` (page coordinates): MuPDF places a
 * link target at the baseline of its first line. */
static gsize
append_stext (fz_stext_page *stext,
              GArray        *out,
              float          y)
{
  gsize before = 0;

  for (fz_stext_block *block = stext->first_block; block != NULL; block = block->next)
    {
      if (block->type != FZ_STEXT_BLOCK_TEXT)
        continue;
      for (fz_stext_line *line = block->u.t.first_line; line != NULL; line = line->next)
        {
          gboolean above = line->first_char != NULL && line->first_char->origin.y < y - 1.0f;

          for (fz_stext_char *ch = line->first_char; ch != NULL; ch = ch->next)
            {
              gunichar c = (gunichar) ch->c;

              if (kios_text_anchor_is_skipped (c))
                continue;
              g_array_append_val (out, c);
              before += above;
            }
        }
    }
  return before;
}

/* ------------------------------------------------------------------------ */
/* Pieces: where each piece of a chapter cut by kios_flow_split starts.     */

/* Reads the pieces' names from the copy MuPDF lays out: their order and
 * the DOM text stream's characters before each (kios-flow-split.h). */
static void
chapter_read_pieces (Worker *w,
                     int     chapter)
{
  Chapter             *ch = &w->chapters[chapter];
  const KiosSpineItem *item;
  GBytes              *split;
  const char          *data, *end, *p;
  gsize                len = 0;
  g_autoptr (GArray)   chars = NULL;
  const char          *prefix = "id=\"" KIOS_FLOW_PIECE_PREFIX;
  gsize                prefix_len = strlen (prefix);

  if (ch->pieces_read)
    return;
  ch->pieces_read = TRUE;
  if (!kios_document_read_from_pieces || w->format != KIOS_BOOK_FORMAT_EPUB || w->scan == NULL ||
      (item = kios_epub_get_spine_item (w->epub, (guint) chapter)) == NULL ||
      (split = g_hash_table_lookup (kios_archive_scan_get_replacements (w->scan), item->href)) == NULL)
    return;

  data = g_bytes_get_data (split, &len);
  end = data + len;
  chars = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (p = data; p != NULL && p < end; p += prefix_len)
    {
      guint64 n = 0, c = 0;
      char   *after;

      /* A NUL byte ends the search: the pieces before it still hold. */
      p = g_strstr_len (p, end - p, prefix);
      if (p == NULL)
        break;
      /* Numbered in order, characters never going back: anything else is
       * the book's own markup, and the pieces are not used. */
      n = g_ascii_strtoull (p + prefix_len, &after, 10);
      if (after < end && *after == '-')
        c = g_ascii_strtoull (after + 1, NULL, 10);
      if (n != chars->len || after >= end || *after != '-' || c > G_MAXINT64 ||
          (chars->len > 0 && (gint64) c < g_array_index (chars, gint64, chars->len - 1)))
        return;
      g_array_append_val (chars, c);
    }
  if (chars->len == 0)
    return;

  ch->n_pieces = (int) chars->len;
  ch->piece_chars = (gint64 *) (void *) g_array_free (g_steal_pointer (&chars), FALSE);
  ch->piece_pages = g_new (int, ch->n_pieces);
  ch->piece_y = g_new0 (float, ch->n_pieces);
  for (int k = 0; k < ch->n_pieces; k++)
    ch->piece_pages[k] = -1;
}

/* Stops using the pieces of a chapter (MuPDF cannot find one). */
static void
chapter_drop_pieces (Chapter *ch)
{
  g_clear_pointer (&ch->piece_chars, g_free);
  g_clear_pointer (&ch->piece_pages, g_free);
  g_clear_pointer (&ch->piece_y, g_free);
  ch->n_pieces = 0;
}

/* The page piece k starts on, asking MuPDF where its id is; -1 when it
 * cannot tell (the pieces are then dropped). */
static int
piece_page (Worker *w,
            int     chapter,
            int     k)
{
  Chapter             *ch = &w->chapters[chapter];
  const KiosSpineItem *item = kios_epub_get_spine_item (w->epub, (guint) chapter);
  g_autofree char     *uri = NULL;
  fz_location          loc = { -1, -1 };
  float                x = 0, y = 0;

  if (ch->piece_pages[k] >= 0)
    return ch->piece_pages[k];

  uri = g_strdup_printf ("%s#" KIOS_FLOW_PIECE_PREFIX "%d-%" G_GINT64_FORMAT, item->href, k, ch->piece_chars[k]);
  fz_var (loc);
  fz_try (w->ctx)
  {
    loc = fz_resolve_link (w->ctx, w->doc, uri, &x, &y);
  }
  fz_catch (w->ctx)
  {
    loc.chapter = -1;
  }
  if (loc.chapter != chapter || loc.page < 0 || (k > 0 && ch->piece_pages[k - 1] > loc.page))
    {
      g_debug ("Chapter %d: piece %d not found, reading it from its start", chapter, k);
      chapter_drop_pieces (ch);
      return -1;
    }
  ch->piece_y[k] = y;
  return ch->piece_pages[k] = loc.page;
}

/* The last piece starting on or before `page`, or -1. */
static int
piece_for_page (Worker *w,
                int     chapter,
                int     page)
{
  Chapter *ch = &w->chapters[chapter];
  int      lo = -1, hi;

  chapter_read_pieces (w, chapter);
  hi = ch->n_pieces - 1;
  while (lo < hi)
    {
      int mid = (lo + hi + 1) / 2;
      int at = piece_page (w, chapter, mid);

      if (at < 0)
        return -1;
      if (at <= page)
        lo = mid;
      else
        hi = mid - 1;
    }
  return lo;
}

/* The last piece starting at or before DOM stream index `offset`, or -1. */
static int
piece_for_offset (Worker *w,
                  int     chapter,
                  gint64  offset)
{
  Chapter *ch = &w->chapters[chapter];
  int      lo = -1, hi;

  chapter_read_pieces (w, chapter);
  hi = ch->n_pieces - 1;
  while (lo < hi)
    {
      int mid = (lo + hi + 1) / 2;

      if (ch->piece_chars[mid] <= offset)
        lo = mid;
      else
        hi = mid - 1;
    }
  if (lo >= 0 && piece_page (w, chapter, lo) < 0)
    return -1;
  return lo;
}

/* Makes the rendered stream start at the page of piece `anchor` (-1: the
 * chapter's first page), unless it already does. */
static void
window_start (Worker *w,
              int     chapter,
              int     anchor)
{
  Chapter *ch = &w->chapters[chapter];

  if (anchor >= ch->n_pieces)
    anchor = -1;
  if (ch->rstream != NULL && ch->anchor == anchor)
    return;
  g_clear_pointer (&ch->rstream, g_array_unref);
  g_clear_pointer (&ch->page_start, g_array_unref);
  ch->rstream = g_array_new (FALSE, FALSE, sizeof (gunichar));
  ch->page_start = g_array_new (FALSE, FALSE, sizeof (int));
  ch->anchor = anchor;
  ch->first_page = anchor >= 0 ? ch->piece_pages[anchor] : 0;
  ch->rbase = anchor >= 0 ? ch->piece_chars[anchor] : 0;
}

/*
 * Extends the chapter's rendered text through page `last` (clamped), reading
 * pages in order from the first page it holds: a position on page p needs
 * only the text of the pages before it, so entering a long chapter does not
 * extract all of it. In a chapter cut into pieces the stream starts at the
 * page of a piece near the one asked for (kios_worker_rstream_page), and
 * rbase says where: the piece's own place in the DOM text, less the
 * characters its first page draws above it.
 */
void
kios_worker_extend_rstream (Worker *w,
                            int     chapter,
                            int     last)
{
  Chapter    *ch = &w->chapters[chapter];
  fz_context *ctx = w->ctx;
  int         count = kios_worker_chapter_pages (w, chapter);

  fz_var (last);
  if (ch->rstream == NULL)
    window_start (w, chapter, -1);

  last = MIN (last, count - 1);
  while (ch->first_page + (int) ch->page_start->len <= last)
    {
      int            p = ch->first_page + (int) ch->page_start->len;
      int            start = (int) ch->rstream->len;
      float          y = p == ch->first_page && ch->anchor >= 0 ? ch->piece_y[ch->anchor] : -G_MAXFLOAT;
      fz_page       *page = NULL;
      fz_stext_page *stext = NULL;

      g_array_append_val (ch->page_start, start);
      if (ch->error != NULL)
        continue;

      fz_var (page);
      fz_var (stext);
      fz_try (ctx)
      {
        gsize above;

        page = fz_load_chapter_page (ctx, w->doc, chapter, p);
        stext = fz_new_stext_page_from_page (ctx, page, NULL);
        above = append_stext (stext, ch->rstream, y);
        if (p == ch->first_page && ch->anchor >= 0)
          ch->rbase = ch->piece_chars[ch->anchor] - (gint64) above;
        g_atomic_int_inc (&pages_read);
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

gboolean
kios_worker_rstream_complete (Worker *w,
                              int     chapter)
{
  Chapter *ch = &w->chapters[chapter];

  return ch->page_start != NULL &&
         ch->first_page + (int) ch->page_start->len >= kios_worker_chapter_pages (w, chapter);
}

/*
 * Makes the rendered stream hold page `page` (from the nearest piece at or
 * before it in a chapter cut into pieces, else from the first page) and
 * returns the index in ch->rstream of its first character, or -1 when the
 * chapter has no such page.
 */
gssize
kios_worker_rstream_page (Worker *w,
                          int     chapter,
                          int     page)
{
  Chapter *ch = &w->chapters[chapter];

  window_start (w, chapter, piece_for_page (w, chapter, page));
  kios_worker_extend_rstream (w, chapter, page);
  if (page < ch->first_page || page - ch->first_page >= (int) ch->page_start->len)
    return -1;
  return g_array_index (ch->page_start, int, page - ch->first_page);
}

/* Reads pages until the stream holds `chars` characters from `from` or the
 * chapter's end; `last` is the last page asked for so far. */
static void
extend_past (Worker *w,
             int     chapter,
             gsize   from,
             gsize   chars,
             int     last)
{
  Chapter *ch = &w->chapters[chapter];

  while (ch->rstream->len < from + chars && !kios_worker_rstream_complete (w, chapter))
    kios_worker_extend_rstream (w, chapter, ++last);
}

/*
 * Where page `page` (> 0) of the chapter starts in its DOM text `text`: the
 * first characters the page draws, found in the DOM text nearest to where
 * the rendered stream says they are.
 */
gint64
kios_worker_page_offset (Worker          *w,
                         int              chapter,
                         int              page,
                         KiosChapterText *text)
{
  Chapter *ch = &w->chapters[chapter];
  gsize    dlen = kios_chapter_text_get_length (text);
  gssize   rstart;
  gsize    rlen;
  gint64   expected;

  if (dlen == 0)
    return 0;
  rstart = kios_worker_rstream_page (w, chapter, page);
  if (rstart < 0)
    return (gint64) dlen;
  kios_worker_extend_rstream (w, chapter, page + 1);
  /* Enough text after the page start for the anchor window, so the answer
   * does not depend on how much of the chapter was read. */
  extend_past (w, chapter, (gsize) rstart, ANCHOR_SLACK, page + 1);

  rlen = ch->rstream->len;
  if ((gsize) rstart >= rlen)
    return (gint64) dlen;
  expected = CLAMP (ch->rbase + rstart, 0, (gint64) dlen - 1);
  return (gint64) kios_text_anchor_map ((const gunichar *) ch->rstream->data, rlen, (gsize) rstart,
                                        kios_chapter_text_get_chars (text), dlen, (gsize) expected);
}

/* The page of the chapter holding DOM stream index `offset`. */
int
kios_worker_page_for_offset (Worker *w,
                             int     chapter,
                             gint64  offset)
{
  Chapter         *ch = &w->chapters[chapter];
  KiosChapterText *text;
  gsize            dlen, rlen, rindex;
  gint64           local;
  int              lo, hi;

  text = kios_worker_get_text (w, chapter, NULL);
  if (offset <= 0 || text == NULL)
    return 0;

  dlen = kios_chapter_text_get_length (text);
  if (dlen == 0)
    return 0;
  if ((gsize) offset >= dlen)
    return MAX (kios_worker_chapter_pages (w, chapter) - 1, 0);

  /* Read pages until the rendered text reaches well past the offset: both
   * streams hold the same words, so their indices stay close. */
  window_start (w, chapter, piece_for_offset (w, chapter, offset));
  kios_worker_extend_rstream (w, chapter, ch->first_page);
  local = MAX (offset - ch->rbase, 0);
  extend_past (w, chapter, 0, (gsize) local + ANCHOR_SLACK, ch->first_page);
  rlen = ch->rstream->len;
  if (rlen == 0)
    return ch->first_page;

  rindex = kios_text_anchor_map (kios_chapter_text_get_chars (text), dlen, (gsize) offset,
                                 (const gunichar *) ch->rstream->data, rlen,
                                 MIN ((gsize) local, rlen - 1));

  /* Know where the page after rindex starts, so the search below can stop. */
  while (!kios_worker_rstream_complete (w, chapter) &&
         (gsize) g_array_index (ch->page_start, int, ch->page_start->len - 1) <= rindex)
    kios_worker_extend_rstream (w, chapter, ch->first_page + (int) ch->page_start->len);

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
  return ch->first_page + lo;
}

/* How many chapters the background count lays out between two trims of the
 * allocator's free memory. */
#define COUNT_TRIM_EVERY 16

/* idle: as for worker_index_step(). */
static void
worker_count_step (Worker  *w,
                   gboolean idle)
{
  if (w->count_next < w->n_chapters)
    {
      kios_worker_chapter_pages (w, w->count_next);
      w->count_next++;
      /* A chapter laid out only to be counted is not kept: MuPDF's store
       * would otherwise fill with them, each as big as its chapter, and the
       * reader's memory climb by tens of megabytes while the count runs.
       * What is freed is reused by the next chapter's layout. */
      fz_shrink_store (w->ctx, 50);
#ifdef __GLIBC__
      if (w->count_next % COUNT_TRIM_EVERY == 0)
        malloc_trim (0);
#endif
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
      if (idle)
        worker_let_go (w);
      else
        w->let_go_pending = TRUE;
      kios_worker_deliver (w, total, NULL, counts);
    }
}

/*
 * The index and the count read and lay out every chapter, and would leave
 * the last ones behind: their texts in the text cache, and the book's last
 * chapter laid out, which MuPDF keeps as its most recent one whatever its
 * store holds. Once either is done, only the chapter on screen is kept, as
 * a resume of the book would have it, and the rest is given back. Run as
 * an idle step, between two jobs: no caller holds a text it drops.
 */
static void
worker_let_go (Worker *w)
{
  int shown = w->shown_chapter;

  for (GList *l = w->texts.head; l != NULL;)
    {
      GList      *next = l->next;
      CachedText *cached = l->data;

      if (cached->chapter != shown)
        {
          g_queue_delete_link (&w->texts, l);
          kios_chapter_text_free (cached->text);
          g_free (cached);
        }
      l = next;
    }

  /* Loading a page of the shown chapter makes it MuPDF's most recent one
   * again (a look-up while its layout is stored; counting its pages would
   * not, it is answered from the counts), so the last one is let go. */
  if (w->format == KIOS_BOOK_FORMAT_EPUB && w->doc != NULL && w->has_layout && shown >= 0 &&
      shown < w->n_chapters && w->chapters[shown].checked && w->chapters[shown].error == NULL)
    {
      fz_page *page = NULL;

      fz_var (page);
      fz_try (w->ctx)
      {
        page = fz_load_chapter_page (w->ctx, w->doc, shown, 0);
      }
      fz_always (w->ctx)
      {
        fz_drop_page (w->ctx, page);
      }
      fz_catch (w->ctx)
      {
        g_debug ("Chapter %d cannot be laid out again: %s", shown, fz_caught_message (w->ctx));
      }
    }
  fz_shrink_store (w->ctx, 25);
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

gboolean
kios_worker_has_idle_work (Worker *w)
{
  if (w->doc == NULL)
    return FALSE;
  if (w->prelayout >= 0 || w->let_go_pending)
    return TRUE;
  if (!w->index_complete && w->format == KIOS_BOOK_FORMAT_EPUB)
    return TRUE;
  return w->has_layout && !w->counts_complete;
}

void
kios_worker_idle_step (Worker *w)
{
  if (w->prelayout >= 0)
    {
      /* The reader is near the end of a chapter: lay out the next one now,
       * so turning into it costs no more than any other page. */
      int chapter = w->prelayout;

      w->prelayout = -1;
      if (chapter < w->n_chapters)
        kios_worker_chapter_pages (w, chapter);
    }
  else if (w->let_go_pending)
    {
      w->let_go_pending = FALSE;
      worker_let_go (w);
    }
  else if (!w->index_complete && w->format == KIOS_BOOK_FORMAT_EPUB)
    worker_index_step (w, TRUE);
  else if (w->has_layout && !w->counts_complete)
    worker_count_step (w, TRUE);
}
