/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-annotation.h"

G_BEGIN_DECLS

/*
 * A book's annotations as Markdown, for people to keep or share:
 *
 *   # Title
 *
 *   ## Chapter title            (when it changes, in reading order)
 *
 *   > the highlight's words, exactly; a paragraph break is a ">" line
 *
 *   The note, when there is one.
 *
 *   - Bookmark: the page's first words
 *
 * The words are not escaped: the quote holds exactly what was highlighted.
 * Annotations are sorted into reading order first (the array is not
 * changed). Ends with one line feed.
 */

/* clang-format off */
char *kios_annotation_export_markdown (const char *title,
                                       GPtrArray  *annotations);
/* clang-format on */

G_END_DECLS
