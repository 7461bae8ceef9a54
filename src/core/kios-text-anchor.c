/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-text-anchor"

#include "config.h"

#include "kios-text-anchor.h"

#include <string.h>

static const gsize windows[] = { 24, 12, 6 };

/**
 * kios_text_anchor_is_skipped:
 * @c: a code point
 *
 * Both streams drop whitespace (U+00A0 included: MuPDF's stext renders
 * &nbsp; as a plain space), the soft hyphen U+00AD (MuPDF drops it), '-'
 * (MuPDF adds a visible '-' when it breaks a line at a soft hyphen, which is
 * not in the DOM) and invisible format characters (zero-width space and
 * joiners, word joiner, byte order mark), whose presence in stext we cannot
 * rely on.
 *
 * Returns: whether @c is left out of the anchor streams.
 */
gboolean
kios_text_anchor_is_skipped (gunichar c)
{
  switch (c)
    {
    case '-':
    case 0x00AD: /* soft hyphen */
    case 0x200B: /* zero width space */
    case 0x200C: /* zero width non-joiner */
    case 0x200D: /* zero width joiner */
    case 0x2060: /* word joiner */
    case 0xFEFF: /* zero width no-break space, BOM */
      return TRUE;
    default:
      return g_unichar_isspace (c);
    }
}

static gboolean
matches_at (const gunichar *to,
            gsize           pos,
            const gunichar *needle,
            gsize           n)
{
  return to[pos] == needle[0] && memcmp (to + pos, needle, n * sizeof (gunichar)) == 0;
}

/* The start of the occurrence of needle in `to` nearest to expected, searching
 * outward so the first hit is the answer; on a tie the earlier one wins. */
static gboolean
find_nearest (const gunichar *to,
              gsize           to_len,
              const gunichar *needle,
              gsize           n,
              gsize           expected,
              gsize          *result)
{
  gsize last_start;

  if (n == 0 || n > to_len)
    return FALSE;
  last_start = to_len - n;
  if (expected > last_start)
    expected = last_start;

  for (gsize d = 0;; d++)
    {
      gboolean below = d <= expected;
      gboolean above = expected + d <= last_start;

      if (!below && !above)
        return FALSE;
      if (below && matches_at (to, expected - d, needle, n))
        {
          *result = expected - d;
          return TRUE;
        }
      if (above && d > 0 && matches_at (to, expected + d, needle, n))
        {
          *result = expected + d;
          return TRUE;
        }
    }
}

/**
 * kios_text_anchor_map:
 *
 * See the header. The search cost is bounded by the distance between
 * @expected and the nearest match: O(distance) cheap first-character tests.
 */
gsize
kios_text_anchor_map (const gunichar *from,
                      gsize           from_len,
                      gsize           from_index,
                      const gunichar *to,
                      gsize           to_len,
                      gsize           expected)
{
  gsize fallback;

  if (to_len == 0)
    return 0;
  fallback = MIN (expected, to_len - 1);
  if (from == NULL || to == NULL || from_index >= from_len)
    return fallback;

  for (gsize w = 0; w < G_N_ELEMENTS (windows); w++)
    {
      gsize n = MIN (windows[w], from_len - from_index);
      gsize result;

      if (find_nearest (to, to_len, from + from_index, n, fallback, &result))
        return result;
    }

  return fallback;
}
