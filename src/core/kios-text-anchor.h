/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Maps an index in one character stream to the matching index in another
 * stream of (almost) the same text: the rendered text MuPDF lays out and the
 * DOM text of the XHTML differ by list markers, hyphens at soft-hyphen breaks
 * and hidden text. Takes the `window` characters of `from` at `from_index`
 * (24, then 12, then 6 when nothing matches) and returns the start of the
 * exact match in `to` nearest to `expected`. Falls back to `expected`,
 * clamped, when nothing matches. Both streams hold no whitespace.
 */
gsize kios_text_anchor_map (const gunichar *from,
                            gsize           from_len,
                            gsize           from_index,
                            const gunichar *to,
                            gsize           to_len,
                            gsize           expected);

/*
 * The whitespace rule shared by both streams: these characters are dropped.
 * Following docs/MUPDF.md section 4: every Unicode space (g_unichar_isspace,
 * so U+00A0 too, which MuPDF's stext renders as a plain space), the soft
 * hyphen U+00AD (MuPDF drops it), '-' (MuPDF draws a '-' that is not in the
 * DOM when it breaks a line at a soft hyphen) and the invisible U+200B,
 * U+200C, U+200D, U+2060 and U+FEFF.
 */
gboolean kios_text_anchor_is_skipped (gunichar c);

G_END_DECLS
