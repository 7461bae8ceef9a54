/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-chapter-text"

#include "config.h"

#include "kios-chapter-text-private.h"
#include "kios-chapter-text.h"

#include "kios-error.h"
#include "kios-flow-split.h"
#include "kios-text-anchor.h"
#include "kios-xml.h"

#include <stdlib.h>
#include <string.h>

/*
 * How this models crengine's DOM (koreader/crengine lvxml.cpp, lvtinydom.cpp),
 * which is what KOReader's xpointers address:
 *
 * - <html> becomes DocFragment[N]; <head> is not in the DOM; comments and
 *   processing instructions are not nodes (but they end a text node, as in
 *   libxml2); a CDATA section is its own text node.
 * - A text node longer than 8192 characters is split into several text nodes,
 *   after the last space or line feed before the limit (crengine's
 *   TEXT_SPLIT_SIZE). crengine counts source characters, we count decoded
 *   ones: they differ only when such a node contains entity references.
 * - Outside <pre>, each text node is collapsed on its own: CR, LF and TAB
 *   become spaces and a run of spaces becomes one space (a leading space
 *   stays). U+00A0 and U+00AD are ordinary characters. Offsets are code
 *   points in that collapsed text.
 * - Whitespace-only text (space, CR, LF, TAB) is dropped when it would be the
 *   first child of a block element (while loading), and when a block element
 *   mixes block and inline children, crengine "autoboxes" each run of inline
 *   children and deletes the whitespace-only text nodes at its start, the one
 *   at its end, and runs made only of whitespace (while rendering; the cached
 *   DOM keeps the result). text()[j] counts the text nodes that survive both.
 *   Whether an element is a block is decided by its tag's default display;
 *   a book's CSS can change that, which we do not see.
 * - Boxing elements crengine inserts are transparent in V2 xpointers, so the
 *   counts above are over the real children only.
 */

#define TEXT_SPLIT_SIZE 8192

/* Elements whose default display in crengine is block-level. Sorted. */
static const char *const block_tags[] = {
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "caption",
  "center",
  "col",
  "colgroup",
  "dd",
  "details",
  "dialog",
  "dir",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hgroup",
  "hr",
  "html",
  "legend",
  "li",
  "main",
  "menu",
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

/* Table structure holds no text of its own. */
static const char *const table_tags[] = { "colgroup", "table", "tbody", "tfoot", "thead", "tr" };

/* Never rendered: their text is not in the stream. */
static const char *const hidden_tags[] = { "script", "style", "template" };

/* Only during construction: where a text node's bytes are. */
typedef struct
{
  const char *text;
  gsize       len;
} TextRef;

typedef struct
{
  KiosChapterText *self;
  GArray          *texts; /* TextRef, indexed like nodes (NULL text for elements) */
  gsize            word_run;
  GString         *collapsed; /* scan_text's output for the node being scanned */
  GError         **error;
} Builder;

static int
compare_tag (const void *a,
             const void *b)
{
  return g_ascii_strcasecmp (a, *(const char *const *) b);
}

static gboolean
tag_in (const char        *name,
        const char *const *tags,
        gsize              n_tags)
{
  return name != NULL && bsearch (name, tags, n_tags, sizeof (char *), compare_tag) != NULL;
}

static gboolean
is_collapsible_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean
bytes_are_space (const char *text,
                 gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!is_collapsible_space (text[i]))
      return FALSE;
  return TRUE;
}

static int
new_node (Builder    *b,
          const char *name,
          NodeKind    kind,
          const char *text,
          gsize       len)
{
  Node    node = { 0 };
  TextRef ref = { text, len };

  node.name = name;
  node.kind = kind;
  node.parent = -1;
  node.first_child = -1;
  node.next_sibling = -1;
  g_array_append_val (b->self->nodes, node);
  g_array_append_val (b->texts, ref);
  return (int) b->self->nodes->len - 1;
}

/* Splits text into crengine's text nodes (see TEXT_SPLIT_SIZE above) and
 * appends those it keeps as children of parent. */
static void
add_text (Builder    *b,
          int         parent,
          GArray     *children,
          const char *text,
          gsize       len,
          gboolean    pre,
          gboolean    hidden)
{
  const char *piece = text;
  const char *end = text + len;

  while (piece < end)
    {
      const char *p = piece;
      const char *split = NULL;
      gsize       count = 0;
      Node       *pnode;
      int         child;

      while (p < end)
        {
          if (count == TEXT_SPLIT_SIZE)
            {
              if (split == NULL)
                split = p;
              break;
            }
          if (*p == ' ' || *p == '\n' || *p == '\r')
            split = p + 1;
          p = (guchar) *p < 0x80 ? p + 1 : g_utf8_next_char (p);
          count++;
        }
      if (p >= end)
        split = end;
      if (split > end)
        split = end;

      pnode = node_at (b->self, parent);
      /* crengine drops whitespace-only text that would be a block's first child. */
      if (pre || pnode->kind != KIND_BLOCK || children->len > 0 || !bytes_are_space (piece, split - piece))
        {
          child = new_node (b, NULL, KIND_TEXT, piece, split - piece);
          node_at (b->self, child)->pre = pre;
          node_at (b->self, child)->hidden = hidden;
          node_at (b->self, child)->ws_only = bytes_are_space (piece, split - piece);
          node_at (b->self, child)->parent = parent;
          g_array_append_val (children, child);
        }
      piece = split;
    }
}

static gboolean
is_ws_text (KiosChapterText *self,
            int              i)
{
  Node *n = node_at (self, i);

  return n->kind == KIND_TEXT && n->ws_only && !n->pre;
}

static gboolean
is_inline (KiosChapterText *self,
           int              i)
{
  NodeKind kind = node_at (self, i)->kind;

  return kind == KIND_TEXT || kind == KIND_INLINE;
}

/* crengine's autoboxChildren() on the run [j, i] of inline children. Note
 * that it trims only one trailing whitespace node, all leading ones. */
static void
autobox_run (KiosChapterText *self,
             GArray          *children,
             gboolean        *removed,
             guint            j,
             guint            i)
{
  guint first = j;
  int   last = (int) i;

  while (first <= i && is_ws_text (self, g_array_index (children, int, first)))
    first++;
  if (is_ws_text (self, g_array_index (children, int, i)))
    last = (int) i - 1;

  if ((int) first <= last)
    {
      for (guint k = (guint) last + 1; k <= i; k++)
        removed[k] = TRUE;
      for (guint k = j; k < first; k++)
        removed[k] = TRUE;
    }
  else
    {
      for (guint k = j; k <= i; k++)
        removed[k] = TRUE;
    }
}

/* The render-time cleanup crengine does when an element is closed. */
static void
cleanup_children (KiosChapterText *self,
                  int              parent,
                  GArray          *children,
                  gboolean        *removed)
{
  Node    *pnode = node_at (self, parent);
  gboolean has_block = FALSE;

  if (pnode->pre)
    return;
  for (guint k = 0; k < children->len; k++)
    if (node_at (self, g_array_index (children, int, k))->kind == KIND_BLOCK)
      has_block = TRUE;

  if (tag_in (pnode->name, table_tags, G_N_ELEMENTS (table_tags)))
    {
      for (guint k = 0; k < children->len; k++)
        if (is_ws_text (self, g_array_index (children, int, k)))
          removed[k] = TRUE;
      return;
    }
  if (!has_block)
    return;

  if (pnode->kind == KIND_BLOCK)
    {
      int i = (int) children->len - 1;

      while (i >= 0)
        {
          if (is_inline (self, g_array_index (children, int, i)))
            {
              int j = i;

              while (j > 0 && is_inline (self, g_array_index (children, int, j - 1)))
                j--;
              if (j > 0 || i < (int) children->len - 1)
                autobox_run (self, children, removed, (guint) j, (guint) i);
              i = j - 1;
            }
          else
            i--;
        }
    }
  else if (pnode->kind == KIND_INLINE)
    {
      gboolean has_inline_elements = FALSE;
      gboolean has_text = FALSE;

      for (guint k = 0; k < children->len; k++)
        {
          Node *c = node_at (self, g_array_index (children, int, k));

          if (c->kind == KIND_INLINE)
            has_inline_elements = TRUE;
          else if (c->kind == KIND_TEXT && !c->ws_only)
            has_text = TRUE;
        }
      if (!has_inline_elements && !has_text)
        {
          /* Only blocks and blank text: crengine renders it as a block. */
          pnode->kind = KIND_BLOCK;
          return;
        }
      /* Blocks inside inline content get wrapped; blank text next to them goes. */
      for (int k = (int) children->len - 1; k >= 0; k--)
        {
          if (removed[k] || node_at (self, g_array_index (children, int, k))->kind != KIND_BLOCK)
            continue;
          if (k + 1 < (int) children->len && !removed[k + 1] && is_ws_text (self, g_array_index (children, int, k + 1)))
            removed[k + 1] = TRUE;
          if (k > 0 && !removed[k - 1] && is_ws_text (self, g_array_index (children, int, k - 1)))
            removed[k - 1] = TRUE;
        }
    }
}

/* The display an inline style="" gives the element, if any. Stylesheets we
 * do not read; inline styles are cheap to honour and crengine does. */
static NodeKind
apply_inline_style (xmlNode *x,
                    NodeKind kind)
{
  g_autofree char *style = NULL;
  const char      *p;

  if (kind == KIND_HIDDEN)
    return kind;
  style = kios_xml_get_attr (x, "style");
  if (style == NULL)
    return kind;
  /* The last declaration wins, as in CSS. */
  for (p = style; (p = strstr (p, "display")) != NULL;)
    {
      const char *v = p + strlen ("display");

      p = v;
      while (*v == ' ' || *v == '\t')
        v++;
      if (*v != ':')
        continue;
      v++;
      while (*v == ' ' || *v == '\t')
        v++;
      if (g_ascii_strncasecmp (v, "none", 4) == 0)
        kind = KIND_HIDDEN;
      else if (g_ascii_strncasecmp (v, "inline", 6) == 0)
        kind = KIND_INLINE; /* also inline-block: inline for autoboxing */
      else if (g_ascii_strncasecmp (v, "block", 5) == 0 || g_ascii_strncasecmp (v, "list-item", 9) == 0 || g_ascii_strncasecmp (v, "table", 5) == 0)
        kind = KIND_BLOCK;
    }
  return kind;
}

static int
build_element (Builder *b,
               xmlNode *x,
               int      parent,
               gboolean pre,
               gboolean hidden,
               int      depth)
{
  KiosChapterText *self = b->self;
  /* Lower case, as crengine's HTML parsing does and as resolve() compares. */
  g_autofree char     *lower = g_ascii_strdown ((const char *) x->name, -1);
  const char          *name = g_string_chunk_insert_const (self->names, lower);
  NodeKind             kind;
  g_autoptr (GArray)   children = NULL;
  g_autofree gboolean *removed = NULL;
  int                  idx;
  int                  prev = -1;

  if (depth > KIOS_XML_MAX_DEPTH)
    {
      /* kios_xml_parse() already refuses this; a second line of defence. */
      g_set_error (b->error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "chapter nested deeper than %d elements", KIOS_XML_MAX_DEPTH);
      return -1;
    }

  if (tag_in (name, hidden_tags, G_N_ELEMENTS (hidden_tags)))
    kind = KIND_HIDDEN;
  else if (tag_in (name, block_tags, G_N_ELEMENTS (block_tags)))
    kind = KIND_BLOCK;
  else
    kind = KIND_INLINE;
  kind = apply_inline_style (x, kind);
  pre = pre || g_ascii_strcasecmp (name, "pre") == 0;
  hidden = hidden || kind == KIND_HIDDEN;

  idx = new_node (b, name, kind, NULL, 0);
  node_at (self, idx)->parent = parent;
  node_at (self, idx)->pre = pre;
  node_at (self, idx)->hidden = hidden;
  {
    g_autofree char *id = kios_xml_get_attr (x, "id");

    if (id != NULL && !g_hash_table_contains (self->ids, id))
      g_hash_table_insert (self->ids, g_steal_pointer (&id), GINT_TO_POINTER (idx + 1));
  }

  children = g_array_new (FALSE, FALSE, sizeof (int));
  for (xmlNode *c = x->children; c != NULL; c = c->next)
    {
      if (c->type == XML_ELEMENT_NODE)
        {
          int child;

          /* crengine keeps only <head>'s stylesheets, outside the DOM. */
          if (depth == 0 && kios_xml_has_name (c, "head"))
            continue;
          child = build_element (b, c, idx, pre, hidden, depth + 1);
          if (child < 0)
            return -1;
          g_array_append_val (children, child);
        }
      else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL)
        {
          add_text (b, idx, children, (const char *) c->content, strlen ((const char *) c->content),
                    pre, hidden);
        }
    }

  removed = g_new0 (gboolean, children->len + 1);
  cleanup_children (self, idx, children, removed);
  for (guint k = 0; k < children->len; k++)
    {
      int child = g_array_index (children, int, k);

      if (removed[k])
        continue;
      if (prev < 0)
        node_at (self, idx)->first_child = child;
      else
        node_at (self, prev)->next_sibling = child;
      prev = child;
    }

  return idx;
}

static void
append_char (KiosChapterText *self,
             gunichar         c,
             int              node,
             guint32          offset)
{
  if (self->length == self->capacity)
    {
      self->capacity = MAX (1024, self->capacity * 2);
      self->chars = g_renew (gunichar, self->chars, self->capacity);
      self->char_node = g_renew (int, self->char_node, self->capacity);
      self->char_offset = g_renew (guint32, self->char_offset, self->capacity);
    }
  self->chars[self->length] = c;
  self->char_node[self->length] = node;
  self->char_offset[self->length] = offset;
  self->length++;
}

static gboolean
breaks_word (gunichar c)
{
  /* No-break spaces glue words together; everything else that is space or a
   * zero-width space gives the layout a break opportunity. */
  if (c == 0x00A0 || c == 0x202F || c == 0x2007 || c == 0xFEFF)
    return FALSE;
  return c == 0x200B || g_unichar_isspace (c);
}

/* Collapses one text node and appends the characters it keeps. */
static gboolean
scan_text (Builder *b,
           int      idx)
{
  KiosChapterText *self = b->self;
  Node            *node = node_at (self, idx);
  TextRef         *ref = &g_array_index (b->texts, TextRef, idx);
  const char      *p = ref->text;
  const char      *end = ref->text + ref->len;
  gboolean         pre = node->pre;
  gboolean         hidden = node->hidden;
  gboolean         prev_space = FALSE;
  guint32          offset = 0;

  g_string_truncate (b->collapsed, 0);
  while (p < end)
    {
      const char *at = p;
      gunichar    c = (guchar) *p;

      if (c < 0x80)
        p++;
      else
        {
          c = g_utf8_get_char_validated (p, end - p);
          if (c == (gunichar) -1 || c == (gunichar) -2)
            {
              c = 0xFFFD;
              p++;
            }
          else
            p = g_utf8_next_char (p);
        }

      if (!pre)
        {
          if (c == '\r' || c == '\n' || c == '\t')
            c = ' ';
          if (c == ' ')
            {
              if (prev_space)
                continue;
              prev_space = TRUE;
            }
          else
            prev_space = FALSE;
        }
      /* The node's collapsed text, for get_text(): its own bytes unless
       * they were replaced. */
      if (hidden)
        ;
      else if (c < 0x80)
        g_string_append_c (b->collapsed, (char) c);
      else if (c == 0xFFFD)
        g_string_append_unichar (b->collapsed, c);
      else
        g_string_append_len (b->collapsed, at, p - at);

      if (!hidden && c < 0x80)
        {
          /* The common case, without Unicode tables. */
          if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
            b->word_run = 0;
          else
            {
              if (++b->word_run > KIOS_CHAPTER_TEXT_MAX_WORD)
                {
                  g_set_error (b->error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                               "chapter has a word longer than %d characters", KIOS_CHAPTER_TEXT_MAX_WORD);
                  return FALSE;
                }
              if (c != '-')
                append_char (self, c, idx, offset);
            }
        }
      else if (!hidden)
        {
          if (breaks_word (c))
            b->word_run = 0;
          else if (++b->word_run > KIOS_CHAPTER_TEXT_MAX_WORD)
            {
              g_set_error (b->error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                           "chapter has a word longer than %d characters", KIOS_CHAPTER_TEXT_MAX_WORD);
              return FALSE;
            }
          if (!kios_text_anchor_is_skipped (c))
            append_char (self, c, idx, offset);
        }
      offset++;
    }
  node_at (self, idx)->collapsed_len = offset;
  if (!hidden)
    self->node_text[idx] = g_string_chunk_insert_len (self->texts, b->collapsed->str,
                                                      (gssize) b->collapsed->len);
  return TRUE;
}

/* Numbers the children of parent the way toStringV2 does. */
static void
number_children (KiosChapterText *self,
                 int              parent,
                 GHashTable      *counts)
{
  int texts = 0;

  for (int c = node_at (self, parent)->first_child; c >= 0; c = node_at (self, c)->next_sibling)
    {
      Node *n = node_at (self, c);

      if (n->name == NULL)
        n->index = ++texts;
      else
        {
          int count = GPOINTER_TO_INT (g_hash_table_lookup (counts, n->name)) + 1;

          g_hash_table_insert (counts, (gpointer) n->name, GINT_TO_POINTER (count));
          n->index = count;
        }
    }
  for (int c = node_at (self, parent)->first_child; c >= 0; c = node_at (self, c)->next_sibling)
    {
      Node *n = node_at (self, c);

      n->count = n->name == NULL ? texts : GPOINTER_TO_INT (g_hash_table_lookup (counts, n->name));
    }
  g_hash_table_remove_all (counts);
}

/* Walks the tree in document order (iteratively), numbering children,
 * building the stream. */
static gboolean
walk (Builder *b,
      int      root)
{
  KiosChapterText       *self = b->self;
  g_autoptr (GHashTable) counts = g_hash_table_new (g_direct_hash, g_direct_equal);
  int                    node = root;

  while (node >= 0)
    {
      Node *n = node_at (self, node);

      n->start = self->length;
      if (n->name == NULL)
        {
          if (!scan_text (b, node))
            return FALSE;
        }
      else
        {
          if (n->kind == KIND_BLOCK || g_ascii_strcasecmp (n->name, "br") == 0)
            b->word_run = 0;
          number_children (self, node, counts);
          if (n->first_child >= 0)
            {
              node = n->first_child;
              continue;
            }
        }

      /* Leave this node and every ancestor we finish with it. */
      while (node >= 0)
        {
          Node *cur = node_at (self, node);

          cur->end = self->length;
          if (cur->kind == KIND_BLOCK)
            b->word_run = 0;
          if (cur->next_sibling >= 0)
            {
              node = cur->next_sibling;
              break;
            }
          node = cur->parent;
        }
    }
  return TRUE;
}

/**
 * kios_chapter_text_new:
 * @xhtml: the chapter's bytes
 * @len: their length
 * @error: KIOS_DOCUMENT_ERROR_TOO_COMPLEX, _DAMAGED
 *
 * Returns: (transfer full): the chapter text, or NULL with @error set.
 */
KiosChapterText *
kios_chapter_text_new (const char *xhtml,
                       gsize       len,
                       GError    **error)
{
  g_autoptr (KiosChapterText) self = NULL;
  g_autoptr (xmlDoc)          doc = NULL;
  g_autoptr (GArray)          texts = NULL;
  Builder                     b = { 0 };
  xmlNode                    *root;
  int                         root_idx;

  g_return_val_if_fail (xhtml != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Before parsing: a chapter of a million elements costs libxml2 hundreds
   * of megabytes, and MuPDF would refuse to lay it out anyway. */
  if (kios_flow_layout_cost (xhtml, len) > KIOS_LIMIT_CHAPTER_BYTES)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "The chapter holds too many elements to lay out");
      return NULL;
    }

  doc = kios_xml_parse (xhtml, len, NULL, error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);

  self = g_new0 (KiosChapterText, 1);
  self->nodes = g_array_new (FALSE, FALSE, sizeof (Node));
  self->names = g_string_chunk_new (256);
  self->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  texts = g_array_new (FALSE, FALSE, sizeof (TextRef));

  b.self = self;
  b.texts = texts;
  b.error = error;

  root_idx = build_element (&b, root, -1, FALSE, FALSE, 0);
  if (root_idx < 0)
    return NULL;
  self->texts = g_string_chunk_new (4096);
  self->node_text = g_new0 (const char *, self->nodes->len);
  b.collapsed = g_string_new (NULL);
  if (!walk (&b, root_idx))
    {
      g_string_free (b.collapsed, TRUE);
      return NULL;
    }
  g_string_free (b.collapsed, TRUE);

  /* Trim the growth slack; keep get_chars() non-NULL even when empty. */
  self->capacity = MAX (self->length, 1);
  self->chars = g_renew (gunichar, self->chars, self->capacity);
  self->char_node = g_renew (int, self->char_node, self->capacity);
  self->char_offset = g_renew (guint32, self->char_offset, self->capacity);

  return g_steal_pointer (&self);
}

void
kios_chapter_text_free (KiosChapterText *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->nodes, g_array_unref);
  g_clear_pointer (&self->names, g_string_chunk_free);
  g_clear_pointer (&self->ids, g_hash_table_unref);
  g_clear_pointer (&self->texts, g_string_chunk_free);
  g_free (self->node_text);
  g_free (self->chars);
  g_free (self->char_node);
  g_free (self->char_offset);
  g_free (self);
}

gsize
kios_chapter_text_get_length (KiosChapterText *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->length;
}

/**
 * kios_chapter_text_get_chars:
 *
 * Returns: (transfer none): the stream, get_length() code points.
 */
const gunichar *
kios_chapter_text_get_chars (KiosChapterText *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->chars;
}
