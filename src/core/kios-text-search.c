/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-text-search"

#include "config.h"

#include "kios-text-search-private.h"

#include "kios-text-anchor.h"

#include <string.h>

/* Characters of context on each side of a hit in its excerpt. */
#define EXCERPT_BEFORE 36
#define EXCERPT_AFTER 64
/* Folding one code point gives at most this many (casefold of a ligature). */
#define MAX_FOLD 8

struct _KiosSearchMatcher
{
  char     *query;
  gunichar *needle;
  gsize     len;
};

/*
 * The text being searched: src holds the original characters with every
 * dropped run (whitespace, hyphens, a line or block edge) as one space, each
 * with a reference back to where it came from (a stream index, or a MuPDF
 * character); hay holds the folded characters, each pointing into src.
 */
typedef struct
{
  GArray *src;     /* gunichar */
  GArray *src_ref; /* gint64 or gpointer, see ref_is_pointer */
  GArray *hay;     /* gunichar */
  GArray *hay_src; /* guint32 index into src */
} Stream;

static void
stream_init (Stream *s,
             gsize   reserve)
{
  s->src = g_array_sized_new (FALSE, FALSE, sizeof (gunichar), (guint) reserve);
  s->src_ref = g_array_sized_new (FALSE, FALSE, sizeof (gint64), (guint) reserve);
  s->hay = g_array_sized_new (FALSE, FALSE, sizeof (gunichar), (guint) reserve);
  s->hay_src = g_array_sized_new (FALSE, FALSE, sizeof (guint32), (guint) reserve);
}

static void
stream_clear (Stream *s)
{
  g_array_unref (s->src);
  g_array_unref (s->src_ref);
  g_array_unref (s->hay);
  g_array_unref (s->hay_src);
}

static gboolean
is_mark (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Folds one code point into out; returns how many (0: it disappears). */
static int
fold_char (gunichar c,
           gunichar out[MAX_FOLD])
{
  gunichar         decomposed[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  char             utf8[G_UNICHAR_MAX_DECOMPOSITION_LENGTH * 6 + 1];
  g_autofree char *folded = NULL;
  gsize            n;
  int              len = 0;
  int              count = 0;

  if (c < 0x80)
    {
      out[0] = g_ascii_tolower ((char) c);
      return 1;
    }

  switch (c)
    {
    case 0x2018: /* quotation marks and primes, as people type them */
    case 0x2019:
    case 0x201B:
    case 0x02BC:
    case 0x2032:
      out[0] = '\'';
      return 1;
    case 0x201C:
    case 0x201D:
    case 0x201F:
    case 0x2033:
      out[0] = '"';
      return 1;
    default:
      break;
    }

  n = g_unichar_fully_decompose (c, TRUE, decomposed, G_N_ELEMENTS (decomposed));
  for (gsize i = 0; i < n; i++)
    if (!is_mark (decomposed[i]))
      len += g_unichar_to_utf8 (decomposed[i], utf8 + len);
  if (len == 0)
    return 0;

  folded = g_utf8_casefold (utf8, len);
  for (const char *p = folded; *p != '\0' && count < MAX_FOLD; p = g_utf8_next_char (p))
    out[count++] = g_utf8_get_char (p);
  return count;
}

static gboolean
is_gap (gunichar c)
{
  return kios_text_anchor_is_skipped (c);
}

/*
 * Appends one original character. In the folded text every run of gaps
 * (whitespace, hyphens) is one space, never leading; the original keeps
 * hyphens as they are and a run of whitespace as one space.
 */
static void
stream_add (Stream  *s,
            gunichar c,
            gint64   ref)
{
  gunichar folded[MAX_FOLD];
  int      n;
  guint32  at;

  if (is_gap (c))
    {
      gboolean space = g_unichar_isspace (c);

      if (space && (s->src->len == 0 || g_array_index (s->src, gunichar, s->src->len - 1) == ' '))
        return;
      if (space)
        c = ' ';
      else if (c != '-')
        return; /* invisible: neither shown nor matched */
      at = s->src->len;
      g_array_append_val (s->src, c);
      g_array_append_val (s->src_ref, ref);
      if (s->hay->len > 0 && g_array_index (s->hay, gunichar, s->hay->len - 1) != ' ')
        {
          gunichar gap = ' ';

          g_array_append_val (s->hay, gap);
          g_array_append_val (s->hay_src, at);
        }
      return;
    }

  at = s->src->len;
  g_array_append_val (s->src, c);
  g_array_append_val (s->src_ref, ref);
  n = fold_char (c, folded);
  for (int i = 0; i < n; i++)
    {
      g_array_append_val (s->hay, folded[i]);
      g_array_append_val (s->hay_src, at);
    }
}

/* Calls found (src_first, src_last, user_data) for each match, in order, not overlapping. */
static void
stream_search (const KiosSearchMatcher *self,
               Stream                  *s,
               void (*found) (Stream *s, guint32 first, guint32 last, gpointer data),
               gpointer data)
{
  const gunichar *hay = (const gunichar *) s->hay->data;
  const guint32  *hay_src = (const guint32 *) s->hay_src->data;
  gsize           n = s->hay->len;
  gunichar        first = self->needle[0];

  if (self->len == 0 || n < self->len)
    return;

  for (gsize i = 0; i + self->len <= n; i++)
    {
      if (hay[i] != first)
        continue;
      if (memcmp (hay + i, self->needle, self->len * sizeof (gunichar)) != 0)
        continue;
      /* A match must start and end on whole folded characters. */
      if (i > 0 && hay_src[i - 1] == hay_src[i])
        continue;
      if (i + self->len < n && hay_src[i + self->len] == hay_src[i + self->len - 1])
        continue;
      found (s, hay_src[i], hay_src[i + self->len - 1], data);
      i += self->len - 1;
    }
}

static char *
make_excerpt (Stream *s,
              guint32 first,
              guint32 last,
              int    *hit_start,
              int    *hit_end)
{
  const gunichar *src = (const gunichar *) s->src->data;
  guint32         n = s->src->len;
  guint32         from = first > EXCERPT_BEFORE ? first - EXCERPT_BEFORE : 0;
  guint32         to = MIN (n, last + 1 + EXCERPT_AFTER);
  GString        *out = g_string_new (NULL);

  /* Whole words only, unless a word is longer than the context. */
  if (from > 0)
    {
      guint32 f = from;

      while (f < first && src[f - 1] != ' ')
        f++;
      if (f < first)
        from = f;
    }
  if (to < n)
    {
      guint32 t = to;

      while (t > last + 1 && src[t] != ' ')
        t--;
      if (t > last + 1)
        to = t;
    }
  while (from < first && src[from] == ' ')
    from++;
  while (to > last + 1 && src[to - 1] == ' ')
    to--;

  if (from > 0)
    g_string_append (out, "…");
  for (guint32 i = from; i < to; i++)
    {
      if (i == first)
        *hit_start = (int) out->len;
      g_string_append_unichar (out, src[i]);
      if (i == last)
        *hit_end = (int) out->len;
    }
  if (to < n)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* The matcher.                                                             */

static void
fold_into (const char *text,
           Stream     *s)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    stream_add (s, g_utf8_get_char (p), 0);
}

char *
kios_search_fold (const char *text)
{
  Stream s;
  char  *result;

  g_return_val_if_fail (text != NULL && g_utf8_validate (text, -1, NULL), NULL);

  stream_init (&s, 64);
  fold_into (text, &s);
  result = g_ucs4_to_utf8 ((const gunichar *) s.hay->data, s.hay->len, NULL, NULL, NULL);
  stream_clear (&s);
  return result;
}

KiosSearchMatcher *
kios_search_matcher_new (const char *query)
{
  KiosSearchMatcher *self;
  Stream             s;
  gsize              len;

  g_return_val_if_fail (query != NULL, NULL);

  if (!g_utf8_validate (query, -1, NULL))
    return NULL;

  stream_init (&s, 64);
  fold_into (query, &s);
  len = s.hay->len;
  while (len > 0 && g_array_index (s.hay, gunichar, len - 1) == ' ')
    len--;
  if (len == 0)
    {
      stream_clear (&s);
      return NULL;
    }

  self = g_atomic_rc_box_new0 (KiosSearchMatcher);
  self->query = g_strdup (query);
  self->len = len;
  self->needle = g_memdup2 (s.hay->data, len * sizeof (gunichar));
  stream_clear (&s);
  return self;
}

static void
matcher_clear (KiosSearchMatcher *self)
{
  g_free (self->query);
  g_free (self->needle);
}

KiosSearchMatcher *
kios_search_matcher_ref (KiosSearchMatcher *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
kios_search_matcher_unref (KiosSearchMatcher *self)
{
  if (self != NULL)
    g_atomic_rc_box_release_full (self, (GDestroyNotify) matcher_clear);
}

const char *
kios_search_matcher_get_query (const KiosSearchMatcher *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->query;
}

/* ------------------------------------------------------------------------ */
/* Chapter text (EPUB).                                                     */

/* The excerpt of a hit from the chapter's stream, a space at each word boundary. */
static char *
text_excerpt (KiosChapterText *text,
              gsize            start,
              gsize            end,
              int             *hit_start,
              int             *hit_end)
{
  Stream          s;
  const gunichar *chars = kios_chapter_text_get_chars (text);
  gsize           n = kios_chapter_text_get_length (text);
  gsize           from = start > EXCERPT_BEFORE ? start - EXCERPT_BEFORE : 0;
  gsize           to = MIN (n, end + EXCERPT_AFTER);
  guint32         first = 0, last = 0;
  char           *excerpt;

  stream_init (&s, to - from + 32);
  for (gsize i = from; i < to; i++)
    {
      if (i > from && kios_chapter_text_breaks_before (text, i))
        stream_add (&s, ' ', (gint64) i);
      if (i == start)
        first = s.src->len;
      stream_add (&s, chars[i], (gint64) i);
      if (i + 1 == end)
        last = s.src->len - 1;
    }
  excerpt = make_excerpt (&s, first, last, hit_start, hit_end);
  /* Cut short by the window: say so. */
  if (to < n && !g_str_has_suffix (excerpt, "…"))
    {
      char *longer = g_strconcat (excerpt, "…", NULL);

      g_free (excerpt);
      excerpt = longer;
    }
  if (from > 0 && !g_str_has_prefix (excerpt, "…"))
    {
      char *longer = g_strconcat ("…", excerpt, NULL);

      *hit_start += (int) strlen ("…");
      *hit_end += (int) strlen ("…");
      g_free (excerpt);
      excerpt = longer;
    }
  stream_clear (&s);
  return excerpt;
}

/*
 * The whole-book search runs here, so it avoids the general stream: the
 * folded text and, per folded character, its index in the chapter's stream
 * (which has no whitespace: a space goes back in at each word boundary).
 */
void
kios_search_scan_chapter_text (const KiosSearchMatcher *self,
                               KiosChapterText         *text,
                               int                      chapter,
                               GPtrArray               *hits)
{
  const gunichar *chars;
  gsize           n, m = 0, capacity;
  gunichar       *hay;
  guint32        *hay_index;
  gunichar        first;

  g_return_if_fail (self != NULL && text != NULL && hits != NULL);

  chars = kios_chapter_text_get_chars (text);
  n = kios_chapter_text_get_length (text);
  if (n == 0 || self->len == 0)
    return;
  capacity = n + n / 4 + 16;
  hay = g_new (gunichar, capacity);
  hay_index = g_new (guint32, capacity);

  for (gsize i = 0; i < n; i++)
    {
      gunichar c = chars[i];
      gunichar folded[MAX_FOLD];
      int      k;

      if (m + MAX_FOLD + 1 >= capacity)
        {
          capacity *= 2;
          hay = g_renew (gunichar, hay, capacity);
          hay_index = g_renew (guint32, hay_index, capacity);
        }
      if (m > 0 && hay[m - 1] != ' ' && kios_chapter_text_breaks_before (text, i))
        {
          hay[m] = ' ';
          hay_index[m++] = (guint32) i;
        }
      if (c < 0x80)
        {
          hay[m] = g_ascii_tolower ((char) c);
          hay_index[m++] = (guint32) i;
          continue;
        }
      k = fold_char (c, folded);
      for (int j = 0; j < k; j++)
        {
          hay[m] = folded[j];
          hay_index[m++] = (guint32) i;
        }
    }

  first = self->needle[0];
  for (gsize i = 0; i + self->len <= m; i++)
    {
      KiosSearchHit *hit;
      gsize          start, end;

      if (hay[i] != first || memcmp (hay + i, self->needle, self->len * sizeof (gunichar)) != 0)
        continue;
      /* Whole folded characters only (a ligature's second half is not a start). */
      if (i > 0 && hay_index[i - 1] == hay_index[i] && hay[i - 1] != ' ')
        continue;
      if (i + self->len < m && hay_index[i + self->len] == hay_index[i + self->len - 1] &&
          hay[i + self->len] != ' ')
        continue;

      start = hay_index[i];
      end = hay_index[i + self->len - 1] + 1;
      hit = g_new0 (KiosSearchHit, 1);
      hit->chapter = chapter;
      hit->offset = (gint64) start;
      hit->length = (gint64) (end - start);
      hit->xpointer = kios_chapter_text_get_xpointer (text, chapter + 1, start);
      hit->excerpt = text_excerpt (text, start, end, &hit->excerpt_start, &hit->excerpt_end);
      g_ptr_array_add (hits, hit);
      i += self->len - 1;
    }

  g_free (hay);
  g_free (hay_index);
}

/* ------------------------------------------------------------------------ */
/* MuPDF's structured text (PDF pages, highlights).                         */

/* What a character of the page stream came from. */
typedef struct
{
  fz_rect box;
  int     line;
} StextChar;

typedef struct
{
  int        chapter;
  fz_rect    bounds;
  GArray    *chars; /* StextChar, indexed by src_ref - 1 (0: a line break) */
  GPtrArray *hits;
  GArray    *rects;
  int        rank;
} StextScan;

static void
add_rect (StextScan *scan,
          fz_rect    r)
{
  double         w = MAX (scan->bounds.x1 - scan->bounds.x0, 1);
  double         h = MAX (scan->bounds.y1 - scan->bounds.y0, 1);
  KiosSearchRect rect;

  if (scan->rects == NULL || fz_is_empty_rect (r))
    return;
  rect.x0 = (float) ((r.x0 - scan->bounds.x0) / w);
  rect.y0 = (float) ((r.y0 - scan->bounds.y0) / h);
  rect.x1 = (float) ((r.x1 - scan->bounds.x0) / w);
  rect.y1 = (float) ((r.y1 - scan->bounds.y0) / h);
  rect.hit = scan->rank;
  g_array_append_val (scan->rects, rect);
}

static void
stext_found (Stream  *s,
             guint32  first,
             guint32  last,
             gpointer data)
{
  StextScan *scan = data;
  fz_rect    line_box = fz_empty_rect;
  int        line = -1;

  /* One rectangle per line the hit covers. */
  for (guint32 i = first; i <= last; i++)
    {
      gint64     ref = g_array_index (s->src_ref, gint64, i);
      StextChar *ch;

      if (ref <= 0)
        continue;
      ch = &g_array_index (scan->chars, StextChar, ref - 1);
      if (ch->line != line)
        {
          add_rect (scan, line_box);
          line_box = fz_empty_rect;
          line = ch->line;
        }
      line_box = fz_union_rect (line_box, ch->box);
    }
  add_rect (scan, line_box);

  if (scan->hits != NULL)
    {
      KiosSearchHit *hit = g_new0 (KiosSearchHit, 1);

      hit->chapter = scan->chapter;
      hit->offset = scan->rank;
      hit->length = last - first + 1;
      hit->excerpt = make_excerpt (s, first, last, &hit->excerpt_start, &hit->excerpt_end);
      g_ptr_array_add (scan->hits, hit);
    }
  scan->rank++;
}

void
kios_search_scan_stext (const KiosSearchMatcher *self,
                        fz_stext_page           *stext,
                        fz_rect                  bounds,
                        int                      chapter,
                        GPtrArray               *hits,
                        GArray                  *rects)
{
  Stream    s;
  StextScan scan = { chapter, bounds, NULL, hits, rects, 0 };
  int       line_no = 0;

  scan.chars = g_array_sized_new (FALSE, FALSE, sizeof (StextChar), 4096);
  stream_init (&s, 4096);
  for (fz_stext_block *block = stext->first_block; block != NULL; block = block->next)
    {
      if (block->type != FZ_STEXT_BLOCK_TEXT)
        continue;
      for (fz_stext_line *line = block->u.t.first_line; line != NULL; line = line->next)
        {
          for (fz_stext_char *ch = line->first_char; ch != NULL; ch = ch->next)
            {
              StextChar info = { fz_rect_from_quad (ch->quad), line_no };

              g_array_append_val (scan.chars, info);
              stream_add (&s, (gunichar) ch->c, (gint64) scan.chars->len);
            }
          /* A line end is a word boundary (a hyphen before it is a gap too). */
          stream_add (&s, ' ', 0);
          line_no++;
        }
    }
  stream_search (self, &s, stext_found, &scan);
  stream_clear (&s);
  g_array_unref (scan.chars);
}

/* ------------------------------------------------------------------------ */

KiosSearchHit *
kios_search_hit_copy (const KiosSearchHit *hit)
{
  KiosSearchHit *copy;

  if (hit == NULL)
    return NULL;
  copy = g_memdup2 (hit, sizeof *hit);
  copy->chapter_title = g_strdup (hit->chapter_title);
  copy->xpointer = g_strdup (hit->xpointer);
  copy->excerpt = g_strdup (hit->excerpt);
  return copy;
}

void
kios_search_hit_free (KiosSearchHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->chapter_title);
  g_free (hit->xpointer);
  g_free (hit->excerpt);
  g_free (hit);
}
