/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-chapter-text"

#include "config.h"

#include "kios-chapter-text.h"

#include "kios-error.h"
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

/* Elements crengine inserts for rendering; they appear in V1 xpointers. */
static const char *const boxing_tags[] = { "autoBoxing", "floatBox", "inlineBox", "mathBox", "pseudoElem", "rubyBox", "tabularBox" };

/* Never rendered: their text is not in the stream. */
static const char *const hidden_tags[] = { "script", "style", "template" };

typedef enum {
  KIND_TEXT,
  KIND_INLINE,
  KIND_BLOCK,
  KIND_HIDDEN,
} NodeKind;

typedef struct
{
  const char *name; /* interned local name; NULL for a text node */
  int         parent;
  int         first_child;
  int         next_sibling;
  int         index; /* 1-based among same-name (or text) siblings */
  int         count; /* how many such siblings */
  gsize       start; /* first stream index at or after the node */
  gsize       end;   /* stream index after the node */
  guint32     collapsed_len;
  NodeKind    kind : 3;
  guint       pre : 1;
  guint       hidden : 1;
  guint       ws_only : 1;
} Node;

/* Only during construction: where a text node's bytes are. */
typedef struct
{
  const char *text;
  gsize       len;
} TextRef;

struct _KiosChapterText
{
  GArray       *nodes; /* Node */
  GStringChunk *names;
  GHashTable   *ids; /* id → node index + 1, first occurrence */
  GStringChunk *texts;
  const char  **node_text; /* per node: a text node's collapsed text (UTF-8), else NULL */
  gunichar     *chars;
  int          *char_node;
  guint32      *char_offset;
  gsize         length;
  gsize         capacity;
};

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

static inline Node *
node_at (KiosChapterText *self,
         int              i)
{
  return &g_array_index (self->nodes, Node, i);
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

  while (*p == '/')
    {
      const char *name = ++p;
      gsize       name_len;
      guint64     k = 1;
      gboolean    is_text;

      if (*p == '/')
        continue; /* tolerate "//" (Kavita's scroll ids) */
      if (!is_name_char (*p, TRUE))
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
