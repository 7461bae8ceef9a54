/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-annotation"

#include "config.h"

#include "kios-annotation-text.h"

#include "kios-chapter-text.h"
#include "kios-epub.h"
#include "kios-error.h"
#include "kios-limits.h"

#include <string.h>

/* Chapters kept parsed: a range rarely spans more than two. */
#define CACHE_SIZE 4

typedef struct
{
  int              chapter;
  KiosChapterText *text;
} Cached;

struct _KiosAnnotationText
{
  KiosEpub *epub;
  GMutex    lock;
  GQueue    cache; /* Cached, most recently used first */
};

static void
cached_free (Cached *cached)
{
  kios_chapter_text_free (cached->text);
  g_free (cached);
}

KiosAnnotationText *
kios_annotation_text_new (const char *epub_path,
                          GError    **error)
{
  g_autoptr (KiosEpub) epub = NULL;
  KiosAnnotationText  *self;

  g_return_val_if_fail (epub_path != NULL, NULL);

  epub = kios_epub_open (epub_path, error);
  if (epub == NULL)
    return NULL;

  self = g_new0 (KiosAnnotationText, 1);
  self->epub = g_steal_pointer (&epub);
  g_mutex_init (&self->lock);
  g_queue_init (&self->cache);
  return self;
}

void
kios_annotation_text_free (KiosAnnotationText *self)
{
  if (self == NULL)
    return;

  g_queue_clear_full (&self->cache, (GDestroyNotify) cached_free);
  g_mutex_clear (&self->lock);
  kios_epub_unref (self->epub);
  g_free (self);
}

int
kios_annotation_text_get_n_chapters (KiosAnnotationText *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return (int) kios_epub_get_n_spine_items (self->epub);
}

/* The chapter's text, cached; call with the lock held. Owned by the cache:
 * valid until the next call. */
static KiosChapterText *
get_chapter (KiosAnnotationText *self,
             int                 chapter,
             GError            **error)
{
  const KiosSpineItem *item;
  g_autoptr (GBytes)   bytes = NULL;
  KiosChapterText     *text;
  Cached              *cached;
  gconstpointer        data;
  gsize                len;

  for (GList *l = self->cache.head; l != NULL; l = l->next)
    {
      cached = l->data;
      if (cached->chapter == chapter)
        {
          g_queue_unlink (&self->cache, l);
          g_queue_push_head_link (&self->cache, l);
          return cached->text;
        }
    }

  item = chapter >= 0 ? kios_epub_get_spine_item (self->epub, (guint) chapter) : NULL;
  if (item == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND,
                   "Chapter %d is not in the book", chapter);
      return NULL;
    }
  bytes = kios_epub_read_member (self->epub, item->href, KIOS_LIMIT_CHAPTER_BYTES, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  text = kios_chapter_text_new (data, len, error);
  if (text == NULL)
    return NULL;

  cached = g_new0 (Cached, 1);
  cached->chapter = chapter;
  cached->text = text;
  g_queue_push_head (&self->cache, cached);
  while (g_queue_get_length (&self->cache) > CACHE_SIZE)
    cached_free (g_queue_pop_tail (&self->cache));
  return text;
}

gint64
kios_annotation_text_get_length (KiosAnnotationText *self,
                                 int                 chapter,
                                 GError            **error)
{
  KiosChapterText *text;
  gint64           length = -1;

  g_return_val_if_fail (self != NULL, -1);

  g_mutex_lock (&self->lock);
  text = get_chapter (self, chapter, error);
  if (text != NULL)
    length = (gint64) kios_chapter_text_get_length (text);
  g_mutex_unlock (&self->lock);
  return length;
}

static gboolean
check_epub (const KiosPosition *pos,
            GError            **error)
{
  if (pos == NULL || pos->format != KIOS_BOOK_FORMAT_EPUB)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "Only an EPUB position has words to quote");
      return FALSE;
    }
  return TRUE;
}

/* The range's text with the lock held. */
static char *
range_locked (KiosAnnotationText *self,
              int                 chapter0,
              gint64              offset0,
              int                 chapter1,
              gint64              offset1,
              GError            **error)
{
  g_autoptr (GString) out = g_string_new (NULL);

  if (chapter1 < chapter0 || (chapter1 == chapter0 && offset1 < offset0) || offset0 < 0 || offset1 < 0)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "The range ends before it starts");
      return NULL;
    }

  for (int c = chapter0; c <= chapter1; c++)
    {
      KiosChapterText *text = get_chapter (self, c, error);
      g_autofree char *part = NULL;
      gsize            from, to;

      if (text == NULL)
        return NULL;
      from = c == chapter0 ? (gsize) offset0 : 0;
      to = c == chapter1 ? (gsize) offset1 : kios_chapter_text_get_length (text);
      part = kios_chapter_text_get_text (text, from, to);
      if (*part == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, part);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
kios_annotation_text_get_range (KiosAnnotationText *self,
                                const KiosPosition *start,
                                const KiosPosition *end,
                                GError            **error)
{
  char *text;

  g_return_val_if_fail (self != NULL, NULL);

  if (!check_epub (start, error) || !check_epub (end, error))
    return NULL;

  g_mutex_lock (&self->lock);
  text = range_locked (self, start->chapter, start->offset, end->chapter, end->offset, error);
  g_mutex_unlock (&self->lock);
  return text;
}

/* The first n_words words of text, on one line. */
static char *
first_words (const char *text,
             guint       n_words)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_auto (GStrv)      words = g_strsplit_set (text, " \n", -1);
  guint               n = 0;

  for (guint i = 0; words[i] != NULL && n < n_words; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, words[i]);
      n++;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
kios_annotation_text_get_words (KiosAnnotationText *self,
                                const KiosPosition *position,
                                guint               n_words,
                                GError            **error)
{
  g_autofree char *range = NULL;
  KiosChapterText *text;
  gsize            length;
  gsize            end;

  g_return_val_if_fail (self != NULL, NULL);

  if (!check_epub (position, error))
    return NULL;

  g_mutex_lock (&self->lock);
  text = get_chapter (self, position->chapter, error);
  if (text != NULL)
    {
      /* Words are rarely longer than 24 characters; a long word is cut. */
      length = kios_chapter_text_get_length (text);
      end = MIN (length, (gsize) MAX (position->offset, 0) + (gsize) n_words * 24);
      range = range_locked (self, position->chapter, position->offset, position->chapter, (gint64) end,
                            error);
    }
  g_mutex_unlock (&self->lock);
  return range != NULL ? first_words (range, n_words) : NULL;
}

/* Adds one to the offset at the end of a classic xpointer ("….17" → "….18"). */
static char *
bump_offset (const char *xpointer)
{
  const char *dot = strrchr (xpointer, '.');
  guint64     offset = 0;

  if (dot == NULL || !g_ascii_string_to_unsigned (dot + 1, 10, 0, G_MAXUINT32, &offset, NULL))
    return g_strdup (xpointer);
  return g_strdup_printf ("%.*s.%" G_GUINT64_FORMAT, (int) (dot - xpointer), xpointer, offset + 1);
}

static char *
xpointer_locked (KiosAnnotationText *self,
                 int                 chapter,
                 gint64              offset,
                 gboolean            end,
                 GError            **error)
{
  KiosChapterText *text = get_chapter (self, chapter, error);
  g_autofree char *at = NULL;
  gsize            length;

  if (text == NULL)
    return NULL;
  length = kios_chapter_text_get_length (text);
  if (length == 0)
    return g_strdup_printf ("/body/DocFragment[%d].0", chapter + 1);
  if (!end && (gsize) MAX (offset, 0) < length)
    return kios_chapter_text_get_xpointer (text, chapter + 1, (gsize) MAX (offset, 0));
  if (offset <= 0)
    return kios_chapter_text_get_xpointer (text, chapter + 1, 0);
  /* Just after the last character of the range (or of the chapter). */
  at = kios_chapter_text_get_xpointer (text, chapter + 1, MIN ((gsize) offset, length) - 1);
  return bump_offset (at);
}

char *
kios_annotation_text_get_xpointer (KiosAnnotationText *self,
                                   int                 chapter,
                                   gint64              offset,
                                   gboolean            end,
                                   GError            **error)
{
  char *xpointer;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  xpointer = xpointer_locked (self, chapter, offset, end, error);
  g_mutex_unlock (&self->lock);
  return xpointer;
}

gboolean
kios_annotation_text_resolve (KiosAnnotationText *self,
                              const char         *xpointer,
                              int                *chapter,
                              gint64             *offset,
                              GError            **error)
{
  KiosChapterText *text;
  int              fragment = 0;
  gsize            index = 0;
  gboolean         ok = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (xpointer != NULL, FALSE);

  if (!kios_xpointer_get_doc_fragment (xpointer, &fragment) || fragment < 1 ||
      fragment > kios_annotation_text_get_n_chapters (self))
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND,
                   "“%s” does not point into this book", xpointer);
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  text = get_chapter (self, fragment - 1, error);
  if (text != NULL)
    {
      ok = kios_chapter_text_resolve (text, xpointer, &index, error);
      /* A pos1 just after a chapter's last character resolves to that
       * character (resolve clamps): past it is the chapter's end. */
      if (ok && index + 1 == kios_chapter_text_get_length (text))
        {
          g_autofree char *last = kios_chapter_text_get_xpointer (text, fragment, index);
          g_autofree char *after = bump_offset (last);

          if (g_strcmp0 (after, xpointer) == 0)
            index++;
        }
    }
  g_mutex_unlock (&self->lock);

  if (!ok)
    return FALSE;
  *chapter = fragment - 1;
  *offset = (gint64) index;
  return TRUE;
}

static gboolean
fill_position (KiosAnnotationText *self,
               KiosPosition       *pos,
               gboolean            end,
               GError            **error)
{
  const KiosSpineItem *item = kios_epub_get_spine_item (self->epub, (guint) MAX (pos->chapter, 0));
  KiosChapterText     *text = get_chapter (self, pos->chapter, error);
  gsize                length;

  if (text == NULL)
    return FALSE;
  length = kios_chapter_text_get_length (text);
  pos->offset = CLAMP (pos->offset, 0, (gint64) length);
  g_free (pos->xpointer);
  pos->xpointer = xpointer_locked (self, pos->chapter, pos->offset, end, error);
  if (pos->xpointer == NULL)
    return FALSE;
  if (pos->chapter_href == NULL && item != NULL)
    pos->chapter_href = g_strdup (item->href);
  pos->chapter_progress = length > 0 ? (double) pos->offset / (double) length : 0.0;
  return TRUE;
}

gboolean
kios_annotation_text_fill (KiosAnnotationText *self,
                           KiosAnnotation     *annotation,
                           GError            **error)
{
  KiosPosition    *start, *end;
  g_autofree char *text = NULL;
  gboolean         ok = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (annotation != NULL, FALSE);

  start = annotation->start;
  end = annotation->end;
  if (!check_epub (start, error) || (end != NULL && !check_epub (end, error)))
    return FALSE;

  g_mutex_lock (&self->lock);
  if (end != NULL)
    {
      /* A range that stops where a chapter begins ends in the chapter before. */
      while (end->offset <= 0 && end->chapter > start->chapter)
        {
          KiosChapterText *prev = get_chapter (self, end->chapter - 1, error);

          if (prev == NULL)
            goto out;
          end->chapter--;
          end->offset = (gint64) kios_chapter_text_get_length (prev);
          g_clear_pointer (&end->chapter_href, g_free);
          g_clear_pointer (&end->xpointer, g_free);
        }
      if (!fill_position (self, start, FALSE, error) || !fill_position (self, end, TRUE, error))
        goto out;
      text = range_locked (self, start->chapter, start->offset, end->chapter, end->offset, error);
    }
  else
    {
      g_autofree char *range = NULL;
      KiosChapterText *chapter;
      gsize            stop;

      if (!fill_position (self, start, FALSE, error))
        goto out;
      chapter = get_chapter (self, start->chapter, error);
      if (chapter == NULL)
        goto out;
      stop = MIN (kios_chapter_text_get_length (chapter), (gsize) start->offset + 240);
      range = range_locked (self, start->chapter, start->offset, start->chapter, (gint64) stop, error);
      if (range != NULL)
        text = first_words (range, 10);
    }
  if (text == NULL)
    goto out;
  g_free (annotation->text);
  annotation->text = g_steal_pointer (&text);
  ok = TRUE;

out:
  g_mutex_unlock (&self->lock);
  return ok;
}
