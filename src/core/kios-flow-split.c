/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-flow-split"

#include "config.h"

#include "kios-flow-split.h"

#include "kios-limits.h"
#include "kios-text-anchor.h"

#include <string.h>

/* See KIOS_LIMIT_FLOW_REOPEN_BYTES. */
#define MAX_REOPEN_BYTES KIOS_LIMIT_FLOW_REOPEN_BYTES

/* What a start tag inside a flow counts for, in bytes of text: an element is
 * a node MuPDF walks (a line break is a whole line), so a flow of markup
 * without text (a run of <br/>, of empty spans) is cut as well. */
#define TAG_WEIGHT 32

/* See KIOS_LIMIT_SIBLING_BLOCKS. */
#define GROUP_SIZE KIOS_LIMIT_SIBLING_BLOCKS

typedef struct
{
  gsize    tag;      /* offset of the start tag */
  gsize    tag_len;  /* its length, '<' to '>' */
  gsize    name;     /* offset of its qualified name */
  gsize    name_len; /* its length */
  gboolean block;
  gboolean wrapper;  /* a <div class="kios-flow"> or "kios-group" this code opened */
  gboolean group;    /* a <div class="kios-group"> */
  guint    children; /* block children (in a group: since it opened) */
} OpenElement;

#define WRAPPER_END "</div>"

/* What the split has read so far: the pieces it opened and the characters
 * of the chapter's text stream before the current byte. */
typedef struct
{
  guint  pieces;
  gint64 chars;
  gsize  skip_until; /* the rest of an entity reference counted at its '&' */
} Progress;

/* The character an entity reference stands for; a named one other than
 * XML's five and the spaces is some visible character. */
static gunichar
entity_char (const char *name,
             gsize       n)
{
  static const struct
  {
    const char *name;
    gunichar    c;
  } named[] = {
    { "amp", '&' },
    { "lt", '<' },
    { "gt", '>' },
    { "quot", '"' },
    { "apos", '\'' },
    { "nbsp", 0x00A0 },
    { "shy", 0x00AD },
    { "ensp", 0x2002 },
    { "emsp", 0x2003 },
    { "thinsp", 0x2009 },
    { "zwnj", 0x200C },
    { "zwj", 0x200D },
  };

  if (n >= 2 && name[0] == '#')
    {
      gboolean hex = name[1] == 'x' || name[1] == 'X';
      guint64  value = 0;

      for (gsize k = hex ? 2 : 1; k < n; k++)
        {
          int digit = hex ? g_ascii_xdigit_value (name[k]) : g_ascii_digit_value (name[k]);

          if (digit < 0 || value > 0x10FFFF)
            return 0xFFFD;
          value = value * (hex ? 16 : 10) + (guint64) digit;
        }
      return value <= 0x10FFFF ? (gunichar) value : 0xFFFD;
    }
  for (gsize k = 0; k < G_N_ELEMENTS (named); k++)
    if (strlen (named[k].name) == n && memcmp (named[k].name, name, n) == 0)
      return named[k].c;
  return 0xFFFD;
}

/* kios_text_anchor_is_skipped() of each ASCII character, asked once. */
static const gboolean *
ascii_skipped (void)
{
  static gboolean table[128];
  static gsize    ready = 0;

  if (g_once_init_enter (&ready))
    {
      for (gunichar c = 0; c < G_N_ELEMENTS (table); c++)
        table[c] = kios_text_anchor_is_skipped (c);
      g_once_init_leave (&ready, 1);
    }
  return table;
}

/* What the walk needs of a byte of plain text (byte_classes). */
enum {
  BYTE_STOP = 1 << 0,       /* markup, an entity or UTF-8: the careful path */
  BYTE_COUNTED = 1 << 1,    /* a character of the text stream */
  BYTE_ENDS_ENTITY = 1 << 2 /* ';' or whitespace */
};

static const guint8 *
byte_classes (void)
{
  static guint8 table[256];
  static gsize  ready = 0;

  if (g_once_init_enter (&ready))
    {
      const gboolean *skipped = ascii_skipped ();

      for (guint b = 0; b < G_N_ELEMENTS (table); b++)
        {
          if (b >= 0x80 || b == '<' || b == '&')
            table[b] = BYTE_STOP;
          else
            table[b] = (skipped[b] ? 0 : BYTE_COUNTED) |
                       (b == ';' || g_ascii_isspace (b) ? BYTE_ENDS_ENTITY : 0);
        }
      g_once_init_leave (&ready, 1);
    }
  return table;
}

/*
 * Counts the character starting at byte i of text content the way the
 * chapter's text stream does (kios_chapter_text_get_chars): whitespace and
 * the other characters kios_text_anchor_is_skipped() names are not in it,
 * an entity reference is one character, an invalid byte is U+FFFD.
 */
static void
count_char (const char *x,
            gsize       len,
            gsize       i,
            gboolean    entities,
            Progress   *progress)
{
  guchar   b = (guchar) x[i];
  gunichar c = b;

  if (i < progress->skip_until || (b & 0xc0) == 0x80)
    return;
  /* Most of a chapter is ASCII text: no call per byte. */
  if (b < 0x80 && b != '&')
    {
      if (!ascii_skipped ()[b])
        progress->chars++;
      return;
    }
  if (b == '&' && entities)
    {
      const char *semi = memchr (x + i + 1, ';', MIN (len - i - 1, 32));

      if (semi != NULL)
        {
          c = entity_char (x + i + 1, (gsize) (semi - x - i - 1));
          progress->skip_until = (gsize) (semi - x) + 1;
        }
    }
  else if (b >= 0x80)
    {
      c = g_utf8_get_char_validated (x + i, (gssize) (len - i));
      if (c == (gunichar) -1 || c == (gunichar) -2)
        c = 0xFFFD;
    }
  if (!kios_text_anchor_is_skipped (c))
    progress->chars++;
}

/* Opens a wrapper, named for the place in the text stream it starts at. */
static void
open_wrapper (GString        *out,
              const Progress *progress,
              gboolean        group)
{
  g_string_append_printf (out, "<div class=\"%s\" id=\"" KIOS_FLOW_PIECE_PREFIX "%u-%" G_GINT64_FORMAT "\">",
                          group ? "kios-group" : "kios-flow", progress->pieces, progress->chars);
}

/* Elements whose block children may be grouped: a wrapper changes nothing
 * of their layout. Lists and tables number or align their children. */
static const char *const group_parent_names[] = {
  "article",
  "aside",
  "blockquote",
  "body",
  "div",
  "footer",
  "header",
  "main",
  "nav",
  "section",
};

/* Elements whose inline content MuPDF lays out as a flow of its own. */
static const char *const block_names[] = {
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "caption",
  "center",
  "dd",
  "details",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "html",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
};

/* Elements whose text is not in the chapter's text (script and style are
 * skipped whole). */
static const char *const hidden_names[] = { "head", "template" };

/* Elements that never have content, even when written without "/>". */
static const char *const void_names[] = {
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
};

static inline char
ascii_lower (char c)
{
  return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static gboolean
name_in (const char        *name,
         gsize              len,
         const char *const *names,
         gsize              n_names)
{
  char first, second;

  /* The local name: after any namespace prefix. */
  for (gsize i = len; i > 0; i--)
    if (name[i - 1] == ':')
      {
        name += i;
        len -= i;
        break;
      }
  /* Called for every tag of a chapter: the first two letters rule out
   * most names without a call, and no name is measured. */
  if (len == 0)
    return FALSE;
  first = ascii_lower (name[0]);
  second = len > 1 ? ascii_lower (name[1]) : '\0';
  /* A name of one letter ends where the second would be. */
  for (gsize i = 0; i < n_names; i++)
    if (names[i][0] == first && names[i][1] == second && g_ascii_strncasecmp (names[i], name, len) == 0 &&
        names[i][len] == '\0')
      return TRUE;
  return FALSE;
}

static gboolean
is_block (const char *name,
          gsize       len)
{
  return name_in (name, len, block_names, G_N_ELEMENTS (block_names));
}

static gboolean
is_void (const char *name,
         gsize       len)
{
  return name_in (name, len, void_names, G_N_ELEMENTS (void_names));
}

static gsize
find (const char *x,
      gsize       len,
      gsize       from,
      const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = from; i + n <= len; i++)
    if (x[i] == needle[0] && memcmp (x + i, needle, n) == 0)
      return i + n;
  return len;
}

/* The offset after the markup construct starting with '<' at i. */
static gsize
markup_end (const char *x,
            gsize       len,
            gsize       i)
{
  if (len - i >= 4 && memcmp (x + i, "<!--", 4) == 0)
    return find (x, len, i + 4, "-->");
  if (len - i >= 9 && memcmp (x + i, "<![CDATA[", 9) == 0)
    return find (x, len, i + 9, "]]>");
  if (len - i >= 2 && x[i + 1] == '?')
    return find (x, len, i + 2, "?>");
  if (len - i >= 2 && x[i + 1] == '!')
    {
      int depth = 0;

      for (gsize p = i + 2; p < len; p++)
        {
          if (x[p] == '[')
            depth++;
          else if (x[p] == ']')
            depth--;
          else if (x[p] == '>' && depth <= 0)
            return p + 1;
        }
      return len;
    }

  for (gsize p = i + 1; p < len; p++)
    {
      if (x[p] == '"' || x[p] == '\'')
        {
          char quote = x[p];

          for (p++; p < len && x[p] != quote; p++)
            ;
          if (p >= len)
            return len;
        }
      else if (x[p] == '>')
        return p + 1;
    }
  return len;
}

static gsize
name_length (const char *x,
             gsize       len,
             gsize       i)
{
  gsize p = i;

  while (p < len && (g_ascii_isalnum (x[p]) || x[p] == ':' || x[p] == '-' || x[p] == '_' || x[p] == '.'))
    p++;
  return p - i;
}

/* The offset of "</name" (any case) at or after i, or len. */
static gsize
find_end_tag (const char *x,
              gsize       len,
              gsize       i,
              const char *name,
              gsize       name_len)
{
  for (gsize p = i; p + 2 + name_len <= len; p++)
    if (x[p] == '<' && x[p + 1] == '/' && g_ascii_strncasecmp (x + p + 2, name, name_len) == 0)
      return p;
  return len;
}

/*
 * Cuts the flow at the end of `out`: closes the inline elements above the
 * block at index `block`, closes the wrapper when that block is one, opens a
 * new wrapper and reopens the inline elements inside it. MuPDF skips a whole
 * block outside the page, so each wrapper costs a page only when drawn.
 */
static gboolean
cut (GString    *out,
     const char *x,
     GArray     *stack,
     guint       block,
     Progress   *progress)
{
  gsize       reopen = 0;
  gsize       names = 0;
  OpenElement wrapper = { 0 };

  /* Hostile markup (deep nesting of long names) must not make each cut copy
   * much: such a flow is left whole. */
  for (guint k = block + 1; k < stack->len; k++)
    names += g_array_index (stack, OpenElement, k).name_len + 3;
  if (names > MAX_REOPEN_BYTES)
    return FALSE;

  for (guint k = stack->len; k > block + 1; k--)
    {
      OpenElement *e = &g_array_index (stack, OpenElement, k - 1);

      g_string_append (out, "</");
      g_string_append_len (out, x + e->name, (gssize) e->name_len);
      g_string_append_c (out, '>');
      reopen += e->tag_len;
    }
  if (g_array_index (stack, OpenElement, block).wrapper)
    g_string_append (out, WRAPPER_END);
  else
    {
      wrapper.block = TRUE;
      wrapper.wrapper = TRUE;
      g_array_insert_val (stack, block + 1, wrapper);
      block++;
    }
  open_wrapper (out, progress, FALSE);
  progress->pieces++;
  for (guint k = block + 1; k < stack->len; k++)
    {
      OpenElement *e = &g_array_index (stack, OpenElement, k);

      if (reopen <= MAX_REOPEN_BYTES)
        g_string_append_len (out, x + e->tag, (gssize) e->tag_len);
      else
        {
          g_string_append_c (out, '<');
          g_string_append_len (out, x + e->name, (gssize) e->name_len);
          g_string_append_c (out, '>');
        }
    }
  return TRUE;
}

/* The innermost open block, or G_MAXUINT. */
static guint
innermost_block (GArray *stack)
{
  for (guint k = stack->len; k > 0; k--)
    if (g_array_index (stack, OpenElement, k - 1).block)
      return k - 1;
  return G_MAXUINT;
}

static GString *
output (GString   **out,
        const char *x,
        gsize       len,
        gsize       max_flow,
        gsize      *copied,
        gsize       upto)
{
  if (*out == NULL)
    *out = g_string_sized_new (len + len / max_flow * 64 + len / GROUP_SIZE + 64);
  g_string_append_len (*out, x + *copied, (gssize) (upto - *copied));
  *copied = upto;
  return *out;
}

/* Cuts the flow at `split` when it is inside a block. */
static void
cut_at (GString   **out,
        const char *x,
        gsize       len,
        gsize       max_flow,
        GArray     *stack,
        gsize      *copied,
        gsize       split,
        Progress   *progress)
{
  guint    block = innermost_block (stack);
  gboolean fresh = *out == NULL;
  gsize    mark = fresh ? 0 : (*out)->len;
  gsize    was_copied = *copied;

  if (block == G_MAXUINT)
    return;
  output (out, x, len, max_flow, copied, split);
  if (cut (*out, x, stack, block, progress))
    return;

  /* Left whole: as if nothing had been copied. */
  *copied = was_copied;
  if (fresh)
    g_string_free (g_steal_pointer (out), TRUE);
  else
    g_string_truncate (*out, mark);
}

/*
 * A block starts at i: counts it as a child of the element it is in, and
 * opens or rolls over a group of blocks when that element has many.
 */
static void
count_block (GString   **out,
             const char *x,
             gsize       len,
             gsize       max_flow,
             GArray     *stack,
             gsize      *copied,
             gsize       i,
             Progress   *progress)
{
  OpenElement *parent;

  if (stack->len == 0 || stack->len + 1 >= KIOS_LIMIT_XML_DEPTH)
    return;
  parent = &g_array_index (stack, OpenElement, stack->len - 1);
  if (parent->group)
    {
      if (++parent->children > GROUP_SIZE)
        {
          g_string_append (output (out, x, len, max_flow, copied, i), WRAPPER_END);
          open_wrapper (*out, progress, TRUE);
          progress->pieces++;
          parent->children = 1;
        }
    }
  else if (parent->wrapper ||
           (parent->block &&
            name_in (x + parent->name, parent->name_len, group_parent_names, G_N_ELEMENTS (group_parent_names))))
    {
      if (++parent->children > GROUP_SIZE)
        {
          OpenElement group = { 0 };

          group.block = TRUE;
          group.wrapper = TRUE;
          group.group = TRUE;
          group.children = 1;
          open_wrapper (output (out, x, len, max_flow, copied, i), progress, TRUE);
          progress->pieces++;
          g_array_append_val (stack, group);
        }
    }
}

GBytes *
kios_flow_split (const char *x,
                 gsize       len,
                 gsize       max_flow)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (OpenElement));
  GString           *out = NULL;
  gsize              copied = 0;
  gsize              run = 0;
  gboolean           in_entity = FALSE;
  gsize              i = 0;
  Progress           progress = { 0 };
  int                hidden = 0; /* inside <head> or <template>: not in the text */
  const guint8      *classes = byte_classes ();

  g_return_val_if_fail (x != NULL || len == 0, NULL);
  max_flow = MAX (max_flow, 64);

  while (i < len)
    {
      char c = x[i];

      if (c == '<')
        {
          gsize end = markup_end (x, len, i);

          in_entity = FALSE;
          /* A CDATA section is text. */
          if (hidden == 0 && len - i >= 9 && memcmp (x + i, "<![CDATA[", 9) == 0)
            for (gsize k = i + 9; k + 3 < end; k++)
              count_char (x, end - 3, k, FALSE, &progress);
          if (i + 1 < len && x[i + 1] == '/')
            {
              gsize n = name_length (x, len, i + 2);

              if (hidden > 0 && name_in (x + i + 2, n, hidden_names, G_N_ELEMENTS (hidden_names)))
                hidden--;

              if (is_block (x + i + 2, n))
                run = 0;
              /* Pop up to the matching element, if it is open, closing
               * the wrappers inside it first. */
              for (guint k = stack->len; k > 0; k--)
                {
                  OpenElement *e = &g_array_index (stack, OpenElement, k - 1);

                  if (!e->wrapper && e->name_len == n && g_ascii_strncasecmp (x + e->name, x + i + 2, n) == 0)
                    {
                      for (guint j = k; j < stack->len; j++)
                        if (g_array_index (stack, OpenElement, j).wrapper)
                          g_string_append (output (&out, x, len, max_flow, &copied, i), WRAPPER_END);
                      g_array_set_size (stack, k - 1);
                      break;
                    }
                }
            }
          else if (i + 1 < len && (g_ascii_isalpha (x[i + 1]) || x[i + 1] == '_'))
            {
              gsize       n = name_length (x, len, i + 1);
              gboolean    closed = end >= 2 && x[end - 2] == '/' && x[end - 1] == '>';
              OpenElement e = { i, end - i, i + 1, n, is_block (x + i + 1, n), FALSE, FALSE, 0 };
              gboolean    empty = closed || is_void (x + i + 1, n);

              if (e.block)
                {
                  run = 0;
                  count_block (&out, x, len, max_flow, stack, &copied, i, &progress);
                }
              else
                {
                  /* A long flow of markup: cut before an element, or just
                   * after one without content (a line break). */
                  if (run >= max_flow && !empty)
                    {
                      cut_at (&out, x, len, max_flow, stack, &copied, i, &progress);
                      run = 0;
                    }
                  run += TAG_WEIGHT;
                  if (run >= max_flow && empty)
                    {
                      cut_at (&out, x, len, max_flow, stack, &copied, end, &progress);
                      run = 0;
                    }
                }
              if (!empty)
                {
                  if (name_in (x + i + 1, n, hidden_names, G_N_ELEMENTS (hidden_names)))
                    hidden++;
                  if (stack->len < KIOS_LIMIT_XML_DEPTH)
                    g_array_append_val (stack, e);
                  if (name_in (x + i + 1, n, (const char *const[]){ "script", "style" }, 2))
                    end = MAX (end, find_end_tag (x, len, end, x + i + 1, n));
                }
            }
          i = end;
          continue;
        }

      /* A run of plain ASCII text with no cut due: what the steps below
       * do for it, without asking anything per byte. */
      if ((guchar) c < 0x80 && c != '&' && run + 1 < max_flow && i >= progress.skip_until)
        {
          gsize  from = i;
          gsize  stop = i + MIN (len - i, max_flow - 1 - run);
          gint64 counted = 0;
          guint8 seen = 0;

          while (i < stop)
            {
              guint8 k = classes[(guchar) x[i]];

              if (k & BYTE_STOP)
                break;
              counted += (k & BYTE_COUNTED) != 0;
              seen |= k;
              i++;
            }
          run += i - from;
          if (hidden == 0)
            progress.chars += counted;
          if (seen & BYTE_ENDS_ENTITY)
            in_entity = FALSE;
          continue;
        }

      if (c == '&')
        in_entity = TRUE;
      else if (c == ';' || g_ascii_isspace (c))
        in_entity = FALSE;

      run++;
      if (run >= max_flow &&
          (g_ascii_isspace (c) || (run >= 2 * max_flow && !in_entity && ((guchar) c & 0xc0) != 0x80)))
        {
          cut_at (&out, x, len, max_flow, stack, &copied, g_ascii_isspace (c) ? i + 1 : i, &progress);
          run = 0;
        }
      /* After any cut before it: the character starts the next piece. */
      if (hidden == 0)
        count_char (x, len, i, TRUE, &progress);
      i++;
    }

  if (out == NULL)
    return NULL;
  g_string_append_len (out, x + copied, (gssize) (len - copied));
  return g_string_free_to_bytes (out);
}

gsize
kios_flow_layout_cost (const char *x,
                       gsize       len)
{
  gsize       elements = 0;
  const char *end;

  g_return_val_if_fail (x != NULL || len == 0, 0);

  /* An empty member may come as NULL: no arithmetic on it. */
  if (len == 0)
    return 0;
  end = x + len;
  for (const char *p = x; p < end; p++)
    {
      p = memchr (p, '<', (gsize) (end - p));
      if (p == NULL)
        break;
      if (p + 1 < end && (g_ascii_isalpha (p[1]) || p[1] == '_'))
        elements++;
    }
  return len + elements * KIOS_LIMIT_ELEMENT_BYTES;
}
