/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-text-anchor"

#include "config.h"

#include "kios-test-util.h"
#include "kios-text-anchor.h"

#include <string.h>

/* A stream as both sides build it: UTF-8 in, skipped characters out. */
static gunichar *
stream_from (const char *utf8,
             gsize      *len)
{
  GArray *chars = g_array_new (FALSE, FALSE, sizeof (gunichar));

  g_assert_true (g_utf8_validate (utf8, -1, NULL));
  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!kios_text_anchor_is_skipped (c))
        g_array_append_val (chars, c);
    }
  *len = chars->len;
  return (gunichar *) g_array_free (chars, FALSE);
}

static void
test_is_skipped (void)
{
  static const gunichar skipped[] = { ' ', '\t', '\n', '\r', 0x0C, 0x00A0, 0x2003, 0x202F, 0x3000,
                                      0x2028, 0x00AD, '-', 0x200B, 0xFEFF };
  static const gunichar kept[] = { 'a', 'Z', '0', '.', 0x2014, 0x2013, 0x2010, 0x2019, 0x00E9, 0x4E2D, 0x1F600 };

  for (gsize i = 0; i < G_N_ELEMENTS (skipped); i++)
    g_assert_true (kios_text_anchor_is_skipped (skipped[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (kept); i++)
    g_assert_false (kios_text_anchor_is_skipped (kept[i]));
}

static void
test_identity (void)
{
  gsize                len;
  g_autofree gunichar *s = stream_from ("It is a truth universally acknowledged, that a single man in possession "
                                        "of a good fortune, must be in want of a wife. However little known the "
                                        "feelings or views of such a man may be on his first entering a neighbourhood",
                                        &len);

  for (gsize i = 0; i < len; i++)
    g_assert_cmpuint (kios_text_anchor_map (s, len, i, s, len, i), ==, i);
  /* A wrong guess still finds the unique match. */
  for (gsize i = 0; i + 24 <= len; i++)
    g_assert_cmpuint (kios_text_anchor_map (s, len, i, s, len, len - 1 - i), ==, i);
}

static void
test_list_markers (void)
{
  /* MuPDF renders list markers that are not in the DOM. */
  const char          *items[] = { "Alpha bravo charlie delta echo", "Foxtrot golf hotel india juliet",
                                   "Kilo lima mike november oscar", "Papa quebec romeo sierra tango" };
  GString             *dom = g_string_new (NULL);
  GString             *rendered = g_string_new (NULL);
  g_autofree gunichar *d = NULL;
  g_autofree gunichar *r = NULL;
  gsize                d_len, r_len;
  gsize                checked = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_string_append_printf (dom, "%s\n", items[i]);
      g_string_append_printf (rendered, "%" G_GSIZE_FORMAT ". %s\n", i + 1, items[i]);
    }
  d = stream_from (dom->str, &d_len);
  r = stream_from (rendered->str, &r_len);
  g_assert_cmpuint (r_len, ==, d_len + 2 * G_N_ELEMENTS (items));

  /* Each item start, and every index whose 6-character window has no marker. */
  for (gsize ri = 0, di = 0; ri < r_len; ri++)
    {
      gboolean marker = g_unichar_isdigit (r[ri]) || r[ri] == '.';
      gboolean clean = TRUE;

      if (marker)
        continue;
      for (gsize k = ri; k < MIN (ri + 6, r_len); k++)
        if (g_unichar_isdigit (r[k]) || r[k] == '.')
          clean = FALSE;
      if (clean)
        {
          /* The expected index is the naive proportional one. */
          gsize expected = ri * d_len / r_len;

          g_assert_cmpuint (kios_text_anchor_map (r, r_len, ri, d, d_len, expected), ==, di);
          checked++;
        }
      di++;
    }
  g_assert_cmpuint (checked, >, 80);

  /* And back: DOM → rendered. */
  {
    gsize dk = 0;
    gsize rk = 2;

    g_assert_cmpuint (kios_text_anchor_map (d, d_len, dk, r, r_len, 0), ==, rk);
  }
  g_string_free (dom, TRUE);
  g_string_free (rendered, TRUE);
}

static void
test_soft_hyphens (void)
{
  gsize d_len, r_len;
  /* The DOM has a soft hyphen; MuPDF broke the line there and drew '-'. */
  g_autofree gunichar *d = stream_from ("an ex\xc2\xad"
                                        "ample of well-known hy\xc2\xad"
                                        "phen\xc2\xad"
                                        "ation",
                                        &d_len);
  g_autofree gunichar *r = stream_from ("an ex-\n"
                                        "ample of well-\nknown hy-\nphenation",
                                        &r_len);

  g_assert_cmpuint (d_len, ==, r_len);
  g_assert_cmpmem (d, d_len * sizeof (gunichar), r, r_len * sizeof (gunichar));
  for (gsize i = 0; i < r_len; i++)
    g_assert_cmpuint (kios_text_anchor_map (r, r_len, i, d, d_len, i), ==, i);
}

static void
test_repeated_text (void)
{
  /* KJV repeats verses verbatim: the copy nearest the expected index wins. */
  const char          *verse = "And the LORD spake unto Moses, saying, ";
  GString             *s = g_string_new (NULL);
  g_autofree gunichar *text = NULL;
  gsize                len, period;

  for (int i = 0; i < 50; i++)
    g_string_append (s, verse);
  text = stream_from (s->str, &len);
  period = len / 50;
  g_assert_cmpuint (period * 50, ==, len);

  for (gsize copy = 0; copy < 49; copy++)
    for (gsize off = 0; off < period; off += 5)
      {
        gsize truth = copy * period + off;
        gsize lo = truth >= period / 3 ? truth - period / 3 : 0;

        /* Slightly after, and slightly before, the true copy. */
        g_assert_cmpuint (kios_text_anchor_map (text, len, truth, text, len, truth + period / 3), ==, truth);
        g_assert_cmpuint (kios_text_anchor_map (text, len, truth, text, len, lo), ==, truth);
      }
  g_string_free (s, TRUE);
}

static void
test_tie_prefers_earlier (void)
{
  gsize                len;
  g_autofree gunichar *text = stream_from ("abcdefXabcdefYabcdef", &len);
  gsize                from_len;
  g_autofree gunichar *from = stream_from ("abcdef", &from_len);

  /* Copies at 0, 7 and 14; 7 is exact; between 0 and 7 at 3.5. */
  g_assert_cmpuint (kios_text_anchor_map (from, from_len, 0, text, len, 7), ==, 7);
  g_assert_cmpuint (kios_text_anchor_map (from, from_len, 0, text, len, 3), ==, 0);
  g_assert_cmpuint (kios_text_anchor_map (from, from_len, 0, text, len, 4), ==, 7);
  /* Equal distance (7 from both 0 and 14): the earlier one. */
  {
    gsize                l2;
    g_autofree gunichar *t2 = stream_from ("abcdefXXXXXXXXabcdef", &l2);

    g_assert_cmpuint (kios_text_anchor_map (from, from_len, 0, t2, l2, 7), ==, 0);
  }
}

static void
test_fallback (void)
{
  gsize                a_len, b_len;
  g_autofree gunichar *a = stream_from ("completely different words here", &a_len);
  g_autofree gunichar *b = stream_from ("nothing in common at all xyz", &b_len);

  /* No 6-character window matches: expected, clamped. */
  g_assert_cmpuint (kios_text_anchor_map (a, a_len, 0, b, b_len, 5), ==, 5);
  g_assert_cmpuint (kios_text_anchor_map (a, a_len, 0, b, b_len, 1000), ==, b_len - 1);
  /* Out-of-range source index and empty streams. */
  g_assert_cmpuint (kios_text_anchor_map (a, a_len, a_len, b, b_len, 3), ==, 3);
  g_assert_cmpuint (kios_text_anchor_map (a, a_len, 0, b, 0, 3), ==, 0);
  g_assert_cmpuint (kios_text_anchor_map (a, 0, 0, b, b_len, 3), ==, 3);
  g_assert_cmpuint (kios_text_anchor_map (NULL, 0, 0, NULL, 0, 3), ==, 0);
}

static void
test_window_shrinks (void)
{
  gsize                from_len, to_len;
  g_autofree gunichar *from = stream_from ("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXend", &from_len);
  g_autofree gunichar *to = stream_from ("the end of it, and then the end", &to_len);

  /* Only three characters remain after the index: they are the window. */
  g_assert_cmpuint (kios_text_anchor_map (from, from_len, from_len - 3, to, to_len, to_len - 1), ==, to_len - 3);
  g_assert_cmpuint (kios_text_anchor_map (from, from_len, from_len - 3, to, to_len, 0), ==, 3);
  /* 24 fails (marker inside), 12 matches. */
  {
    gsize                r_len, d_len;
    g_autofree gunichar *r = stream_from ("Some words before 12 the list item begins here and goes on", &r_len);
    g_autofree gunichar *d = stream_from ("Some words before the list item begins here and goes on", &d_len);
    gsize                ri = 3; /* "e" of "Some" */

    g_assert_cmpuint (kios_text_anchor_map (r, r_len, ri, d, d_len, ri), ==, ri);
  }
}

static void
test_speed (void)
{
  /* A kjv-sized stream (190k characters) of pseudo-random words. */
  const gsize          n = 190000;
  g_autofree gunichar *text = g_new (gunichar, n);
  GRand               *rand = g_rand_new_with_seed (42);
  gint64               start;
  gint64               elapsed;

  for (gsize i = 0; i < n; i++)
    text[i] = 'a' + g_rand_int_range (rand, 0, 26);

  start = kios_test_thread_cpu_us ();
  for (int k = 0; k < 2000; k++)
    {
      gsize i = g_rand_int_range (rand, 0, n - 24);
      gsize guess = MIN (n - 1, i + g_rand_int_range (rand, 0, 200));

      g_assert_cmpuint (kios_text_anchor_map (text, n, i, text, n, guess), ==, i);
    }
  elapsed = kios_test_thread_cpu_us () - start;
  g_test_message ("2000 near maps in a 190k stream: %.2f ms", elapsed / 1000.0);
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC);

  /* Worst case: nothing matches, the whole stream is searched three times. */
  {
    const gunichar missing[24] = { '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '1',
                                   '2', '3', '4', '5', '6', '7', '8', '9', '0', '1', '2', '3' };

    start = kios_test_thread_cpu_us ();
    g_assert_cmpuint (kios_text_anchor_map (missing, 24, 0, text, n, n / 2), ==, n / 2);
    elapsed = kios_test_thread_cpu_us () - start;
    g_test_message ("a miss in a 190k stream: %.2f ms", elapsed / 1000.0);
    g_assert_cmpint (elapsed, <, G_USEC_PER_SEC / 5);
  }
  g_rand_free (rand);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/text-anchor/is-skipped", test_is_skipped);
  g_test_add_func ("/kios/text-anchor/identity", test_identity);
  g_test_add_func ("/kios/text-anchor/list-markers", test_list_markers);
  g_test_add_func ("/kios/text-anchor/soft-hyphens", test_soft_hyphens);
  g_test_add_func ("/kios/text-anchor/repeated-text", test_repeated_text);
  g_test_add_func ("/kios/text-anchor/tie", test_tie_prefers_earlier);
  g_test_add_func ("/kios/text-anchor/fallback", test_fallback);
  g_test_add_func ("/kios/text-anchor/window-shrinks", test_window_shrinks);
  g_test_add_func ("/kios/text-anchor/speed", test_speed);

  return g_test_run ();
}
