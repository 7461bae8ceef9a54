/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-chapter-text"

#include "config.h"

#include "kios-chapter-text-private.h"
#include "kios-chapter-text.h"

#include "kios-error.h"
#include "kios-text-anchor.h"
#include "kios-xml.h"

#include <stdlib.h>
#include <string.h>

/* Elements crengine inserts for rendering; they appear in V1 xpointers. */
static const char *const boxing_tags[] = { "autoBoxing", "floatBox", "inlineBox", "mathBox", "pseudoElem", "rubyBox", "tabularBox" };

static gboolean
tag_in_len (const char        *name,
            gsize              len,
            const char *const *tags,
            gsize              n_tags)
{
  for (gsize i = 0; i < n_tags; i++)
    if (strlen (tags[i]) == len && g_ascii_strncasecmp (tags[i], name, len) == 0)
      return TRUE;
  return FALSE;
}

/* Whether a block element starts or ends between two text nodes. */
static gboolean
block_between (KiosChapterText *self,
               int              a,
               int              b)
{
  int up_a[64];
  int n_a = 0;

  for (int n = node_at (self, a)->parent; n >= 0 && n_a < (int) G_N_ELEMENTS (up_a); n = node_at (self, n)->parent)
    up_a[n_a++] = n;

  for (int n = node_at (self, b)->parent; n >= 0; n = node_at (self, n)->parent)
    {
      for (int i = 0; i < n_a; i++)
        if (up_a[i] == n)
          {
            /* n is the common ancestor: a block below it on either side splits them. */
            for (int j = 0; j < i; j++)
              if (node_at (self, up_a[j])->kind == KIND_BLOCK)
                return TRUE;
            return FALSE;
          }
      if (node_at (self, n)->kind == KIND_BLOCK)
        return TRUE;
    }
  return TRUE;
}

/**
 * kios_chapter_text_breaks_before:
 * @index: a stream index
 *
 * The stream drops whitespace; this tells where it was. A character starts a
 * new word when dropped characters (spaces, hyphens) come right before it in
 * its text node, or the previous kept character is in another block.
 *
 * Returns: whether a word boundary lies between index - 1 and index.
 */
gboolean
kios_chapter_text_breaks_before (KiosChapterText *self,
                                 gsize            index)
{
  int   node, prev;
  Node *prev_node;

  g_return_val_if_fail (self != NULL, TRUE);

  if (index == 0 || index >= self->length)
    return TRUE;
  node = self->char_node[index];
  prev = self->char_node[index - 1];
  if (node == prev)
    return self->char_offset[index] > self->char_offset[index - 1] + 1;
  prev_node = node_at (self, prev);
  if (self->char_offset[index] > 0 || self->char_offset[index - 1] + 1 < prev_node->collapsed_len)
    return TRUE;
  return block_between (self, prev, node);
}

/* The next node after node in document order, or -1. */
static int
next_in_order (KiosChapterText *self,
               int              node)
{
  Node *n = node_at (self, node);

  if (n->first_child >= 0)
    return n->first_child;
  while (node >= 0)
    {
      n = node_at (self, node);
      if (n->next_sibling >= 0)
        return n->next_sibling;
      node = n->parent;
    }
  return -1;
}

static void
append_break (GString *out)
{
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
}

/**
 * kios_chapter_text_get_text:
 * @start: the first stream index
 * @end: the stream index after the last (exclusive), clamped
 *
 * The text as a reader sees it from the character at start up to the one
 * before end, with the characters the stream drops (spaces, hyphens) put
 * back: each text node's collapsed text, a line feed between blocks and at
 * <br>, spaces around a line feed removed.
 *
 * Returns: (transfer full): UTF-8, "" for an empty range.
 */
char *
kios_chapter_text_get_text (KiosChapterText *self,
                            gsize            start,
                            gsize            end)
{
  g_autoptr (GString) out = g_string_new (NULL);
  int                 first, last, prev = -1;

  g_return_val_if_fail (self != NULL, NULL);

  end = MIN (end, self->length);
  if (start >= end)
    return g_strdup ("");

  first = self->char_node[start];
  last = self->char_node[end - 1];
  for (int node = first; node >= 0; node = next_in_order (self, node))
    {
      Node       *n = node_at (self, node);
      const char *text = self->node_text[node];

      if (n->name != NULL && g_ascii_strcasecmp (n->name, "br") == 0 && prev >= 0)
        append_break (out);
      else if (n->name == NULL && text != NULL)
        {
          guint32     from = node == first ? self->char_offset[start] : 0;
          guint32     to = node == last ? self->char_offset[end - 1] + 1 : n->collapsed_len;
          const char *a, *b;

          if (prev >= 0 && block_between (self, prev, node))
            append_break (out);
          a = g_utf8_offset_to_pointer (text, from);
          b = g_utf8_offset_to_pointer (a, to - from);
          if (out->len > 0 && out->str[out->len - 1] == '\n')
            while (a < b && *a == ' ')
              a++;
          if (out->len > 0 && out->str[out->len - 1] == ' ')
            while (a < b && *a == ' ')
              a++;
          g_string_append_len (out, a, b - a);
          prev = node;
        }
      if (node == last)
        break;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
prepend_step (GString    *path,
              const char *name,
              int         index,
              int         count)
{
  g_autofree char *step = count > 1 ? g_strdup_printf ("/%s[%d]", name, index) : g_strdup_printf ("/%s", name);

  g_string_prepend (path, step);
}

/**
 * kios_chapter_text_get_xpointer:
 * @doc_fragment: N, the 1-based spine position
 * @index: a stream index, clamped
 *
 * Returns: (transfer full): the classic xpointer of that character, or of
 * the chapter start ("/body/DocFragment[N].0") when the stream is empty.
 */
char *
kios_chapter_text_get_xpointer (KiosChapterText *self,
                                int              doc_fragment,
                                gsize            index)
{
  g_autoptr (GString) path = NULL;
  int                 node;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->length == 0)
    return g_strdup_printf ("/body/DocFragment[%d].0", doc_fragment);
  index = MIN (index, self->length - 1);

  path = g_string_new (NULL);
  g_string_printf (path, ".%u", self->char_offset[index]);
  node = self->char_node[index];
  while (node >= 0 && node_at (self, node)->parent >= 0)
    {
      Node *n = node_at (self, node);

      prepend_step (path, n->name != NULL ? n->name : "text()", n->index, n->count);
      node = n->parent;
    }
  g_string_prepend (path, "]");
  {
    g_autofree char *num = g_strdup_printf ("%d", doc_fragment);

    g_string_prepend (path, num);
  }
  g_string_prepend (path, "/body/DocFragment[");
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static gsize
clamp_index (KiosChapterText *self,
             gsize            index)
{
  return self->length == 0 ? 0 : MIN (index, self->length - 1);
}

/* The first stream index at or after collapsed offset `offset` of a text node. */
static gsize
text_offset_to_index (KiosChapterText *self,
                      int              node,
                      guint64          offset)
{
  Node *n = node_at (self, node);
  gsize lo = n->start;
  gsize hi = n->end;

  if (offset > n->collapsed_len)
    {
      /* Past the node's end: clamp to its last character. */
      return clamp_index (self, n->end > n->start ? n->end - 1 : n->end);
    }
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;

      if (self->char_offset[mid] < offset)
        lo = mid + 1;
      else
        hi = mid;
    }
  return clamp_index (self, lo);
}

static gboolean
names_equal (const char *step,
             gsize       step_len,
             const char *name)
{
  const char *colon;

  if (strlen (name) == step_len && g_ascii_strncasecmp (step, name, step_len) == 0)
    return TRUE;
  /* Our names are local names; a prefixed step matches by its local part. */
  colon = memchr (step, ':', step_len);
  if (colon == NULL)
    return FALSE;
  step_len -= colon + 1 - step;
  step = colon + 1;
  return strlen (name) == step_len && g_ascii_strncasecmp (step, name, step_len) == 0;
}

static gboolean
is_name_char (char     c,
              gboolean first)
{
  if (g_ascii_isalpha (c) || c == '_' || c == ':' || (guchar) c >= 0x80)
    return TRUE;
  /* '.' is handled by name_end(): it may also start the offset. */
  return !first && (g_ascii_isdigit (c) || c == '-' || c == ':');
}

/* The end of the element name at p. XML names may contain '.', which also
 * introduces the final offset: a '.' followed by nothing but digits up to the
 * end is the offset, any other '.' belongs to the name. */
static const char *
name_end (const char *p)
{
  for (;; p++)
    {
      if (*p == '.')
        {
          const char *q = p + 1;

          while (g_ascii_isdigit (*q))
            q++;
          if (q > p + 1 && *q == '\0')
            return p;
        }
      else if (!is_name_char (*p, FALSE))
        return p;
    }
}

static gboolean
parse_number (const char **p,
              guint64     *value)
{
  const char *s = *p;
  guint64     v = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      if (v > G_MAXUINT32)
        return FALSE;
      v = v * 10 + (guint64) (*s - '0');
      s++;
    }
  *p = s;
  *value = v;
  return TRUE;
}

/* Skips "/body[1]/DocFragment[N]" (each index optional; case-insensitive
 * DocFragment as Komga writes it) if the xpointer starts with it. */
static const char *
skip_fragment_prefix (const char *p)
{
  const char *q = p;
  guint64     n;

  if (g_ascii_strncasecmp (q, "/body", 5) != 0)
    return p;
  q += 5;
  if (*q == '[')
    {
      q++;
      if (!parse_number (&q, &n) || *q != ']')
        return p;
      q++;
    }
  if (g_ascii_strncasecmp (q, "/DocFragment", 12) != 0)
    return p;
  q += 12;
  if (*q == '[')
    {
      q++;
      if (!parse_number (&q, &n) || *q != ']')
        return NULL;
      q++;
    }
  return q;
}

static gboolean
invalid (GError    **error,
         const char *xpointer)
{
  g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
               "cannot parse xpointer \"%.80s\"", xpointer);
  return FALSE;
}

/* The nth (0-based) child of an element, or -1. */
static int
nth_child (KiosChapterText *self,
           int              parent,
           guint64          n)
{
  int c = node_at (self, parent)->first_child;

  for (; c >= 0 && n > 0; n--)
    c = node_at (self, c)->next_sibling;
  return c;
}

/**
 * kios_chapter_text_resolve:
 * @xpointer: a full xpointer, the part after "/body/DocFragment[N]", or an
 *   "#id" pointer
 * @index: (out): the stream index
 * @error: KIOS_DOCUMENT_ERROR_INVALID when @xpointer does not parse
 *
 * Tolerant by design: a path whose tail does not exist resolves to the
 * deepest element that does, a text offset past the node's end is clamped,
 * an element offset counts children (".0" is the element's start), and the
 * chapter-only forms servers write ("", ".0", "/body") give the chapter start.
 */
gboolean
kios_chapter_text_resolve (KiosChapterText *self,
                           const char      *xpointer,
                           gsize           *index,
                           GError         **error)
{
  const char *p;
  const char *first_step;
  int         cur = 0; /* the root: DocFragment */
  int         text_node = -1;
  gboolean    have_offset = FALSE;
  guint64     offset = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (xpointer != NULL, FALSE);
  g_return_val_if_fail (index != NULL, FALSE);

  if (self->nodes->len == 0)
    return invalid (error, xpointer);

  if (xpointer[0] == '#')
    {
      const char *id = xpointer + 1;

      /* crengine prefixes ids with "_doc_fragment_<i>_"; Kavita writes
       * "#_doc_fragment<n>" for a chapter start. */
      if (g_str_has_prefix (id, "_doc_fragment"))
        {
          const char *q = id + strlen ("_doc_fragment");

          if (*q == '_')
            q++;
          while (g_ascii_isdigit (*q))
            q++;
          if (*q == '\0')
            {
              *index = 0;
              return TRUE;
            }
          if (*q == '_')
            id = q + 1;
        }
      if (*id == '\0')
        return invalid (error, xpointer);
      if (!kios_chapter_text_find_id (self, id, index))
        *index = 0;
      return TRUE;
    }

  p = skip_fragment_prefix (xpointer);
  if (p == NULL)
    return invalid (error, xpointer);

  first_step = p;
  while (*p == '/')
    {
      const char *name = ++p;
      gsize       name_len;
      guint64     k = 1;
      gboolean    is_text;

      if (*p == '/')
        continue; /* tolerate "//" (Kavita's scroll ids) */
      /* Below the first step, a leading digit too: the HTML parser's
       * recovery can name an element "4", and get_xpointer() writes the
       * names it was given, so a path it made must read back. */
      if (!is_name_char (*p, TRUE) && !(g_ascii_isdigit (*p) && name - 1 > first_step))
        return invalid (error, xpointer);
      p = name_end (p);
      name_len = p - name;
      is_text = name_len == 4 && strncmp (name, "text", 4) == 0 && p[0] == '(' && p[1] == ')';
      if (is_text)
        p += 2;
      if (*p == '[')
        {
          p++;
          if (!parse_number (&p, &k) || *p != ']' || k == 0)
            return invalid (error, xpointer);
          p++;
        }
      if (*p != '/' && *p != '.' && *p != '\0')
        return invalid (error, xpointer);

      /* Once a step is missing we keep parsing (to reject garbage) but stay
       * on the deepest element found. */
      if (cur < 0 || text_node >= 0)
        continue;
      /* Old (V1) xpointers name the boxes crengine inserts; we have none, so
       * step through them: close, though the box's own indexes may differ. */
      if (!is_text && tag_in_len (name, name_len, boxing_tags, G_N_ELEMENTS (boxing_tags)))
        continue;
      {
        int     c;
        guint64 seen = 0;
        int     found = -1;

        for (c = node_at (self, cur)->first_child; c >= 0; c = node_at (self, c)->next_sibling)
          {
            Node    *n = node_at (self, c);
            gboolean match = is_text ? n->name == NULL : (n->name != NULL && names_equal (name, name_len, n->name));

            if (match && ++seen == k)
              {
                found = c;
                break;
              }
          }
        if (found < 0)
          {
            /* Fall back to the deepest existing element. */
            while (*p != '\0')
              {
                if (*p != '/' && *p != '.' && *p != '[' && *p != ']' && *p != '(' && *p != ')' && !is_name_char (*p, FALSE) && !g_ascii_isdigit (*p))
                  return invalid (error, xpointer);
                p++;
              }
            *index = clamp_index (self, node_at (self, cur)->start);
            return TRUE;
          }
        if (is_text)
          text_node = found;
        else
          cur = found;
      }
    }

  if (*p == '.')
    {
      p++;
      if (!parse_number (&p, &offset))
        return invalid (error, xpointer);
      have_offset = TRUE;
    }
  if (*p != '\0')
    return invalid (error, xpointer);

  if (text_node >= 0)
    *index = text_offset_to_index (self, text_node, have_offset ? offset : 0);
  else if (have_offset && offset > 0)
    {
      int child = nth_child (self, cur, offset);

      *index = clamp_index (self, child >= 0 ? node_at (self, child)->start : node_at (self, cur)->end);
    }
  else
    *index = clamp_index (self, node_at (self, cur)->start);
  return TRUE;
}

gboolean
kios_chapter_text_find_id (KiosChapterText *self,
                           const char      *id,
                           gsize           *index)
{
  gpointer value;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (index != NULL, FALSE);

  value = g_hash_table_lookup (self->ids, id);
  if (value == NULL)
    return FALSE;
  *index = clamp_index (self, node_at (self, GPOINTER_TO_INT (value) - 1)->start);
  return TRUE;
}

gboolean
kios_xpointer_get_doc_fragment (const char *xpointer,
                                int        *doc_fragment)
{
  const char *p;
  guint64     n = 1;

  g_return_val_if_fail (doc_fragment != NULL, FALSE);

  if (xpointer == NULL)
    return FALSE;

  if (g_str_has_prefix (xpointer, "#_doc_fragment"))
    {
      p = xpointer + strlen ("#_doc_fragment");
      /* "_doc_fragment_<i>_" ids are 0-based; Kavita's "_doc_fragment<n>"
       * uses N itself. */
      if (*p == '_')
        {
          p++;
          if (!parse_number (&p, &n) || n >= G_MAXINT)
            return FALSE;
          n++;
        }
      else if (!parse_number (&p, &n) || n == 0 || n > G_MAXINT)
        return FALSE;
      *doc_fragment = (int) n;
      return TRUE;
    }

  p = xpointer;
  if (g_ascii_strncasecmp (p, "/body", 5) != 0)
    return FALSE;
  p += 5;
  if (*p == '[')
    {
      p++;
      if (!parse_number (&p, &n) || *p != ']')
        return FALSE;
      p++;
    }
  if (g_ascii_strncasecmp (p, "/DocFragment", 12) != 0)
    return FALSE;
  p += 12;
  n = 1;
  if (*p == '[')
    {
      p++;
      if (!parse_number (&p, &n) || *p != ']' || n == 0 || n > G_MAXINT)
        return FALSE;
      p++;
    }
  if (*p != '\0' && *p != '/' && *p != '.')
    return FALSE;
  *doc_fragment = (int) n;
  return TRUE;
}
