/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Cuts the over-long flows of an XHTML chapter into bounded ones for MuPDF.
 *
 * MuPDF 1.21 draws a page by walking every node of each flow (the inline
 * content of a block) in every block the page touches, so a paragraph of
 * millions of words makes each page cost the whole paragraph and paginating
 * it is quadratic; a block wholly outside the page is skipped at once.
 * Past max_flow bytes of text since the last block boundary, at the next
 * space, the open inline elements are closed and the rest of the flow goes
 * into a new block, <div class="kios-flow">, inside the enclosing block, with
 * the inline elements reopened with their attributes: the text and its
 * styles stay the same, the line breaks there. Works on bytes (no parse):
 * comments, CDATA, processing instructions, script and style are copied
 * untouched.
 *
 * Only the copy MuPDF lays out is cut; positions (xpointers) are computed on
 * the book's own chapter, whose text is the same.
 *
 * A block holding more than a thousand sibling blocks has the next ones
 * wrapped in groups, <div class="kios-group">, so a page skips a whole group
 * at once (see KIOS_LIMIT_SIBLING_BLOCKS).
 *
 * Each wrapper is named id="kios-piece-N-C": N counts the wrappers from 0,
 * C is how many characters of the chapter's text stream (as
 * kios_chapter_text_get_chars() holds it) come before it. A page deep in
 * such a chapter is then found from the nearest piece (fz_resolve_link to
 * the id) instead of reading the text of every page before it.
 *
 * Returns NULL when nothing was cut or grouped.
 *
 * kios_flow_layout_cost() is what laying out a chapter costs MuPDF, in
 * bytes of plain text: its length plus KIOS_LIMIT_ELEMENT_BYTES for every
 * start tag (counted without parsing). Past KIOS_LIMIT_CHAPTER_BYTES a
 * chapter is refused.
 */

#define KIOS_FLOW_PIECE_PREFIX "kios-piece-"

/* clang-format off */
GBytes *kios_flow_split (const char *xhtml,
                         gsize       len,
                         gsize       max_flow);
gsize   kios_flow_layout_cost   (const char *xhtml,
                                 gsize       len);
/* clang-format on */

G_END_DECLS
