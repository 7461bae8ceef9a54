/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-chapter-text.h"

G_BEGIN_DECLS

/*
 * What the two halves of KiosChapterText share: the node table built from
 * the chapter as crengine models it (kios-chapter-text.c) and read to make
 * and resolve xpointers (kios-chapter-text-xpointer.c).
 */

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

static inline Node *
node_at (KiosChapterText *self,
         int              i)
{
  return &g_array_index (self->nodes, Node, i);
}

G_END_DECLS
