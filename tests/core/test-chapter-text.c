/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-chapter-text"

#include "config.h"

#include "kios-chapter-text.h"
#include "kios-error.h"
#include "kios-test-util.h"
#include "kios-text-anchor.h"
#include "kios-xml.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#define HEAD "<?xml version='1.0' encoding='utf-8'?>\n"      \
             "<!DOCTYPE html>\n"                             \
             "<html xmlns='http://www.w3.org/1999/xhtml'>\n" \
             "<head>\n  <title>Chapter</title>\n  <style>p { margin: 0 }</style>\n</head>\n"

static KiosChapterText *
chapter_from_body (const char *body)
{
  g_autofree char   *xhtml = g_strconcat (HEAD, "<body>", body, "</body>\n</html>\n", NULL);
  g_autoptr (GError) error = NULL;
  KiosChapterText   *text = kios_chapter_text_new (xhtml, strlen (xhtml), &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* The stream index of the nth (0-based) occurrence of needle's first
 * character sequence in the stream. */
static gsize
find_in_stream (KiosChapterText *text,
                const char      *needle_utf8,
                int              nth)
{
  const gunichar      *chars = kios_chapter_text_get_chars (text);
  gsize                len = kios_chapter_text_get_length (text);
  glong                n = 0;
  g_autofree gunichar *needle = g_utf8_to_ucs4 (needle_utf8, -1, NULL, &n, NULL);

  for (gsize i = 0; i + (gsize) n <= len; i++)
    if (memcmp (chars + i, needle, n * sizeof (gunichar)) == 0 && nth-- == 0)
      return i;
  g_assert_not_reached ();
  return 0;
}

/* Rewrites a classic xpointer into the DOM-20260812 form: every step indexed. */
static char *
to_indexed_form (const char *xp)
{
  GString    *out = g_string_new (NULL);
  const char *p = xp;

  while (*p != '\0')
    {
      if (*p == '/')
        {
          const char *start = p++;

          /* A '.' ends the step only when the offset follows it. */
          while (*p != '\0' && *p != '/' && *p != '[' && !(*p == '.' && strspn (p + 1, "0123456789") == strlen (p + 1)))
            p++;
          g_string_append_len (out, start, p - start);
          if (*p != '[')
            g_string_append (out, "[1]");
          continue;
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  const char *body;
  const char *needle; /* characters at the index under test */
  int         nth;
  const char *xpointer;
} XpCase;

static const XpCase xp_cases[] = {
  { "<p>Hello world</p><p>Second para</p>", "Hello", 0, "/body/DocFragment[3]/body/p[1]/text().0" },
  { "<p>Hello world</p><p>Second para</p>", "world", 0, "/body/DocFragment[3]/body/p[1]/text().6" },
  { "<p>Hello world</p><p>Second para</p>", "Second", 0, "/body/DocFragment[3]/body/p[2]/text().0" },
  /* Whitespace: the block's first blank child is dropped, runs collapse. */
  { "\n  <p>\n   Hello   world\n</p>\n", "Hello", 0, "/body/DocFragment[3]/body/p/text().1" },
  { "\n  <p>\n   Hello   world\n</p>\n", "world", 0, "/body/DocFragment[3]/body/p/text().7" },
  { "<p>a\tb\r\n\r\nc</p>", "c", 0, "/body/DocFragment[3]/body/p/text().4" },
  /* Nested inline elements and text()[j]. */
  { "<p>One <span>two</span> three <b>four</b></p>", "One", 0, "/body/DocFragment[3]/body/p/text()[1].0" },
  { "<p>One <span>two</span> three <b>four</b></p>", "two", 0, "/body/DocFragment[3]/body/p/span/text().0" },
  { "<p>One <span>two</span> three <b>four</b></p>", "three", 0, "/body/DocFragment[3]/body/p/text()[2].1" },
  { "<p>One <span>two</span> three <b>four</b></p>", "four", 0, "/body/DocFragment[3]/body/p/b/text().0" },
  { "<p>One <span>t<i>w</i>o</span></p>", "o", 0, "/body/DocFragment[3]/body/p/span/text()[2].0" },
  { "<p>line one<br/>line two</p>", "linetwo", 0, "/body/DocFragment[3]/body/p/text()[2].0" },
  /* Entities are decoded; U+00A0 counts in offsets but is not in the stream. */
  { "<p>a&nbsp;b&mdash;c &amp; d</p>", "b", 0, "/body/DocFragment[3]/body/p/text().2" },
  { "<p>a&nbsp;b&mdash;c &amp; d</p>", "\xe2\x80\x94", 0, "/body/DocFragment[3]/body/p/text().3" },
  { "<p>a&nbsp;b&mdash;c &amp; d</p>", "d", 0, "/body/DocFragment[3]/body/p/text().8" },
  { "<p>x&#8217;y&#x2019;z</p>", "z", 0, "/body/DocFragment[3]/body/p/text().4" },
  /* Comments end a text node; CDATA is a text node of its own. */
  { "<p>ab<!-- note -->cd</p>", "cd", 0, "/body/DocFragment[3]/body/p/text()[2].0" },
  { "<p>ab<![CDATA[cd]]>ef</p>", "cd", 0, "/body/DocFragment[3]/body/p/text()[2].0" },
  { "<p>ab<![CDATA[cd]]>ef</p>", "ef", 0, "/body/DocFragment[3]/body/p/text()[3].0" },
  /* Script and style text is not in the stream, but the elements count. */
  { "<p>ab</p><script>var p = 1;</script><style>p{}</style><p>cd</p>", "cd", 0, "/body/DocFragment[3]/body/p[2]/text().0" },
  { "<p>ab<script>if (a &lt; b) x ();</script>cd</p>", "cd", 0, "/body/DocFragment[3]/body/p/text()[2].0" },
  /* Mixed block/inline content: blank runs between blocks go, text stays. */
  { "<div>\n<p>x</p>\ntail text\n<p>y</p>\n</div>", "tail", 0, "/body/DocFragment[3]/body/div/text().1" },
  { "<div>\n<p>x</p>\n<p>y</p>\nend</div>", "end", 0, "/body/DocFragment[3]/body/div/text().1" },
  { "<div>lead<p>x</p>\n<i>it</i> after\n<p>y</p></div>", "after", 0, "/body/DocFragment[3]/body/div/text()[2].1" },
  /* Blank text between inline elements of a paragraph stays and counts. */
  { "<p><i>a</i> <i>b</i> c</p>", "c", 0, "/body/DocFragment[3]/body/p/text()[2].1" },
  { "<p><i>a</i> <i>b</i> c</p>", "b", 0, "/body/DocFragment[3]/body/p/i[2]/text().0" },
  /* Sibling indexes only when the name repeats. */
  { "<div><p>a</p></div><div><p>b</p><p>c</p></div>", "a", 0, "/body/DocFragment[3]/body/div[1]/p/text().0" },
  { "<div><p>a</p></div><div><p>b</p><p>c</p></div>", "c", 0, "/body/DocFragment[3]/body/div[2]/p[2]/text().0" },
  { "<h2>T</h2><p>a</p><h2>U</h2>", "U", 0, "/body/DocFragment[3]/body/h2[2]/text().0" },
  /* Hyphens and soft hyphens are not in the stream but count in offsets. */
  { "<p>well-known ex\xc2\xad"
    "ample</p>",
    "known", 0, "/body/DocFragment[3]/body/p/text().5" },
  { "<p>well-known ex\xc2\xad"
    "ample</p>",
    "ample", 0, "/body/DocFragment[3]/body/p/text().14" },
  /* Tables and lists. */
  { "<table>\n<tr>\n<td>a</td>\n<td>b</td>\n</tr>\n</table>", "b", 0, "/body/DocFragment[3]/body/table/tr/td[2]/text().0" },
  { "<ul>\n<li>one</li>\n<li>two <em>2</em></li>\n</ul>", "2", 0, "/body/DocFragment[3]/body/ul/li[2]/em/text().0" },
  /* Pre keeps its spaces. */
  { "<pre>a  b\n  c</pre>", "c", 0, "/body/DocFragment[3]/body/pre/text().7" },
  /* Inline styles: hidden text is not in the stream; display changes blocks. */
  { "<p>a<span style='display: none'>hidden</span>b</p>", "ab", 0, "/body/DocFragment[3]/body/p/text()[1].0" },
  { "<div><span style='color:red; display:block'>x</span>\n<i>z</i> y</div>", "y", 0, "/body/DocFragment[3]/body/div/text().1" },
  /* Names are lower-cased; XML names may contain dots. */
  { "<P>Upper</P><p>lower</p>", "lower", 0, "/body/DocFragment[3]/body/p[2]/text().0" },
  { "<p>a<x.y>b</x.y><x.y2>c</x.y2></p>", "c", 0, "/body/DocFragment[3]/body/p/x.y2/text().0" },
  /* Namespaced elements use their local names. */
  { "<p>a<svg:svg xmlns:svg='http://www.w3.org/2000/svg'><svg:text>b</svg:text></svg:svg></p>", "b", 0, "/body/DocFragment[3]/body/p/svg/text/text().0" },
};

static void
test_xpointer_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (xp_cases); i++)
    {
      const XpCase               *c = &xp_cases[i];
      g_autoptr (KiosChapterText) text = chapter_from_body (c->body);
      gsize                       index = find_in_stream (text, c->needle, c->nth);
      g_autofree char            *xp = kios_chapter_text_get_xpointer (text, 3, index);
      g_autofree char            *indexed = to_indexed_form (c->xpointer);
      g_autoptr (GError)          error = NULL;
      gsize                       back = G_MAXSIZE;
      gsize                       back_indexed = G_MAXSIZE;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, c->body);
      g_assert_cmpstr (xp, ==, c->xpointer);
      g_assert_true (kios_chapter_text_resolve (text, c->xpointer, &back, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (back, ==, index);
      /* The DOM-20260812 form with [1] everywhere resolves the same. */
      g_assert_true (g_str_has_prefix (indexed, "/body[1]/DocFragment[3]/body[1]/"));
      g_assert_true (kios_chapter_text_resolve (text, indexed, &back_indexed, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (back_indexed, ==, index);
      /* So does the part after the DocFragment step alone. */
      g_assert_true (kios_chapter_text_resolve (text, c->xpointer + strlen ("/body/DocFragment[3]"), &back, &error));
      g_assert_cmpuint (back, ==, index);
    }
}

static void
test_stream (void)
{
  g_autoptr (KiosChapterText) text = chapter_from_body ("<p>A&nbsp;b-c d\xc2\xad"
                                                        "e\t f</p><script>x</script><p>\xe2\x80\x8bg</p>");
  const gunichar              expected[] = { 'A', 'b', 'c', 'd', 'e', 'f', 'g' };

  g_assert_cmpuint (kios_chapter_text_get_length (text), ==, G_N_ELEMENTS (expected));
  g_assert_cmpmem (kios_chapter_text_get_chars (text), sizeof expected, expected, sizeof expected);
}

static void
test_every_index_round_trips (void)
{
  g_autoptr (KiosChapterText) text = chapter_from_body (
      "\n<h1 id='top'>Title <span>here</span></h1>\n<div class='x'>\n  <p>Some <i>italic</i> and <b>bold <i>nested</i></b>\n text.</p>\n"
      "  loose <a href='#'>link</a>\n  <p>More&#160;text &amp; stuff<br/>after break</p>\n</div>\n<p>A<!-- c -->B<![CDATA[C]]>D</p>\n");
  gsize len = kios_chapter_text_get_length (text);

  g_assert_cmpuint (len, >, 40);
  for (gsize i = 0; i < len; i++)
    {
      g_autofree char *xp = kios_chapter_text_get_xpointer (text, 7, i);
      gsize            back = G_MAXSIZE;

      g_assert_true (kios_chapter_text_resolve (text, xp, &back, NULL));
      g_assert_cmpuint (back, ==, i);
    }
  /* Clamped. */
  {
    g_autofree char *last = kios_chapter_text_get_xpointer (text, 7, len - 1);
    g_autofree char *beyond = kios_chapter_text_get_xpointer (text, 7, len + 100);

    g_assert_cmpstr (last, ==, beyond);
  }
}

typedef struct
{
  const char *xpointer;
  const char *needle; /* where it lands; NULL: index 0 */
  int         nth;
} ResolveCase;

static void
test_resolve_tolerant (void)
{
  g_autoptr (KiosChapterText) text = chapter_from_body (
      "<p>first para</p>\n<p id='p2'>second <span>inner</span> para</p>\n<div><p>deep one</p><p>deep two</p></div>");
  static const ResolveCase cases[] = {
    /* Komga keeps chapter starts only; Kavita drops offsets. */
    { "/body/DocFragment[4].0", NULL, 0 },
    { "/body/DocFragment[4]", NULL, 0 },
    { "/body/DocFragment[4]/body", NULL, 0 },
    { "/body/DocFragment[4]/body/p[1]", NULL, 0 },
    { "/body/DocFragment/body/p[2]", "second", 0 },
    { "/body/DocFragment[4]/body/p[2]", "second", 0 },
    { "/body/DocFragment[4]/body/p[2]/span", "inner", 0 },
    { "/body/DocFragment[4]/body/p[2]/text()[2]", "para", 1 },
    { "//body/p[2]/span", "inner", 0 },
    { "", NULL, 0 },
    { ".0", NULL, 0 },
    /* Element points: the offset counts children. */
    { "/body/DocFragment[4]/body/p[2].0", "second", 0 },
    { "/body/DocFragment[4]/body/p[2].1", "inner", 0 },
    { "/body/DocFragment[4]/body/p[2].2", "para", 1 },
    { "/body/DocFragment[4]/body/div.1", "deeptwo", 0 },
    /* Offsets past the end clamp to the node's last character. */
    { "/body/DocFragment[4]/body/p[1]/text().999", "a", 1 },
    /* Missing tails fall back to the deepest element that exists. */
    { "/body/DocFragment[4]/body/div/p[7]/text().3", "deepone", 0 },
    { "/body/DocFragment[4]/body/div/p[2]/em/text().3", "deeptwo", 0 },
    { "/body/DocFragment[4]/body/section[3]/p", NULL, 0 },
    { "/body/DocFragment[4]/body/p[2]/span/text()[3].1", "inner", 0 },
    /* V1 xpointers name crengine's boxing elements: stepped through. */
    { "/body/DocFragment[4]/body/autoBoxing/p[2]/text()[2].1", "para", 1 },
    { "/body/DocFragment[4]/body/div/autoBoxing/p[2]", "deeptwo", 0 },
    /* Ids. */
    { "#p2", "second", 0 },
    { "#_doc_fragment_3_p2", "second", 0 },
    { "#_doc_fragment4", NULL, 0 },
    { "#missing", NULL, 0 },
    /* Upper-case DocFragment as Komga accepts. */
    { "/BODY/DOCFRAGMENT[4]/body/p[2]/text()[1].0", "second", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      gsize              index = G_MAXSIZE;
      gsize              expected = cases[i].needle != NULL ? find_in_stream (text, cases[i].needle, cases[i].nth) : 0;

      g_test_message ("resolve %s", cases[i].xpointer);
      g_assert_true (kios_chapter_text_resolve (text, cases[i].xpointer, &index, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (index, ==, expected);
    }
}

static void
test_resolve_garbage (void)
{
  g_autoptr (KiosChapterText) text = chapter_from_body ("<p>first</p><p>second</p>");
  static const char *const    garbage[] = {
       "foo",
       "garbage/with/slashes",
       "/body/DocFragment[x]/body",
       "/body/DocFragment[3]/body/p[0]",
       "/body/DocFragment[3]/body/p[",
       "/body/DocFragment[3]/body/p[2]/text().abc",
       "/body/DocFragment[3]/body/p[2]/text().5junk",
       "]]]",
       "/body/p[2]x",
       "/1234",
       "/body/p[2]/text()[-1].0",
       "/body/p/text().99999999999999999999",
       "/body/p[2]/text().1.2",
       "/",
       "/body/ p",
       "#",
       "/body/DocFragment[3]/body/p[2]/text( ).1",
       "epubcfi(/6/4!/4/2/1:0)",
       "56",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr (GError) error = NULL;
      gsize              index = 12345;

      g_test_message ("garbage %s", garbage[i]);
      g_assert_false (kios_chapter_text_resolve (text, garbage[i], &index, &error));
      g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
    }
}

static void
test_find_id (void)
{
  g_autoptr (KiosChapterText) text = chapter_from_body ("<p id='x1'>ab</p><p><a id='n2'/>cd</p><p id='x1'>dup</p><div id='end'/>");
  gsize                       index = G_MAXSIZE;

  g_assert_true (kios_chapter_text_find_id (text, "x1", &index));
  g_assert_cmpuint (index, ==, 0);
  g_assert_true (kios_chapter_text_find_id (text, "n2", &index));
  g_assert_cmpuint (index, ==, 2);
  /* At the very end: clamped to the last character. */
  g_assert_true (kios_chapter_text_find_id (text, "end", &index));
  g_assert_cmpuint (index, ==, kios_chapter_text_get_length (text) - 1);
  g_assert_false (kios_chapter_text_find_id (text, "nope", &index));
}

static void
test_doc_fragment (void)
{
  static const struct
  {
    const char *xpointer;
    int         n; /* 0: FALSE */
  } cases[] = {
    { "/body/DocFragment[12]/body/p", 12 },
    { "/body[1]/DocFragment[3]/body[1]/p[1]/text()[1].0", 3 },
    { "/body/DocFragment/body/p", 1 },
    { "/body/DocFragment[10].0", 10 },
    { "/body/DocFragment[7]", 7 },
    { "/body/docfragment[5]/body", 5 },
    { "#_doc_fragment_4_x", 5 },
    { "#_doc_fragment7", 7 },
    { "garbage", 0 },
    { "", 0 },
    { "/body/DocFragment[0]", 0 },
    { "/body/DocFragment[abc]", 0 },
    { "/body/DocFragment[5]x", 0 },
    { "/body/DocFragment[99999999999999]", 0 },
    { "/body/p[3]/text().4", 0 },
    { "56", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int      n = -1;
      gboolean ok = kios_xpointer_get_doc_fragment (cases[i].xpointer, &n);

      g_test_message ("doc fragment of %s", cases[i].xpointer);
      g_assert_cmpint (ok, ==, cases[i].n != 0);
      if (ok)
        g_assert_cmpint (n, ==, cases[i].n);
    }
  {
    int n = -1;

    g_assert_false (kios_xpointer_get_doc_fragment (NULL, &n));
  }
}

static void
test_empty_chapter (void)
{
  g_autoptr (KiosChapterText) text = chapter_from_body ("<div><img src='cover.jpg' alt=''/></div>");
  g_autofree char            *xp = kios_chapter_text_get_xpointer (text, 2, 0);
  gsize                       index = G_MAXSIZE;

  g_assert_cmpuint (kios_chapter_text_get_length (text), ==, 0);
  g_assert_nonnull (kios_chapter_text_get_chars (text));
  g_assert_cmpstr (xp, ==, "/body/DocFragment[2].0");
  g_assert_true (kios_chapter_text_resolve (text, xp, &index, NULL));
  g_assert_cmpuint (index, ==, 0);
  g_assert_true (kios_chapter_text_resolve (text, "/body/DocFragment[2]/body/div/img.0", &index, NULL));
  g_assert_cmpuint (index, ==, 0);
}

static void
test_long_text_node_split (void)
{
  /* crengine splits a text node after 8192 characters at the last space. */
  GString                    *body = g_string_new ("<p>");
  g_autoptr (KiosChapterText) text = NULL;
  gsize                       index;
  g_autofree char            *xp = NULL;

  for (int i = 0; i < 1000; i++)
    g_string_append (body, "abcdefghi "); /* 10 characters each */
  g_string_append (body, "</p>");
  text = chapter_from_body (body->str);
  /* Characters 0..8189 ("...i ") form node 1; the 820th word starts node 2. */
  index = 819 * 9;
  xp = kios_chapter_text_get_xpointer (text, 1, index);
  g_assert_cmpstr (xp, ==, "/body/DocFragment[1]/body/p/text()[2].0");
  g_string_free (body, TRUE);
}

static void
test_too_complex (void)
{
  GString           *s;
  g_autoptr (GError) error = NULL;
  KiosChapterText   *text;

  /* One word longer than the limit, even across inline elements. */
  s = g_string_new (HEAD "<body><p>");
  for (int i = 0; i < 6000; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "<b>");
  for (int i = 0; i < 5000; i++)
    g_string_append_c (s, 'b');
  g_string_append (s, "</b></p></body></html>");
  text = kios_chapter_text_new (s->str, s->len, &error);
  g_assert_null (text);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_clear_error (&error);
  g_string_free (s, TRUE);

  /* Paragraph boundaries break words. */
  s = g_string_new (HEAD "<body><p>");
  for (int i = 0; i < 6000; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "</p><p>");
  for (int i = 0; i < KIOS_CHAPTER_TEXT_MAX_WORD; i++)
    g_string_append_c (s, 'b');
  g_string_append (s, "</p></body></html>");
  text = kios_chapter_text_new (s->str, s->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kios_chapter_text_get_length (text), ==, 6000 + KIOS_CHAPTER_TEXT_MAX_WORD);
  kios_chapter_text_free (text);
  g_string_free (s, TRUE);

  /* Too deep. */
  s = g_string_new (HEAD "<body>");
  for (int i = 0; i < 5000; i++)
    g_string_append (s, "<span>");
  g_string_append (s, "x");
  for (int i = 0; i < 5000; i++)
    g_string_append (s, "</span>");
  g_string_append (s, "</body></html>");
  text = kios_chapter_text_new (s->str, s->len, &error);
  g_assert_null (text);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_string_free (s, TRUE);
}

static void
test_damaged (void)
{
  g_autoptr (GError) error = NULL;
  KiosChapterText   *text = kios_chapter_text_new ("", 0, &error);

  g_assert_null (text);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
}

/* Sample books: every index of every chapter round-trips. */

static const char *
books_dir (void)
{
  const char *dir = g_getenv ("KIOS_SAMPLE_BOOKS");

  return dir != NULL ? dir : TEST_SRCDIR "/books";
}

typedef struct
{
  char   *name;
  GBytes *data;
} Member;

static void
member_free (gpointer data)
{
  Member *m = data;

  g_free (m->name);
  g_bytes_unref (m->data);
  g_free (m);
}

/* The (X)HTML members of an EPUB, in archive order. */
static GPtrArray *
read_html_members (const char *path)
{
  GPtrArray            *members = g_ptr_array_new_with_free_func (member_free);
  struct archive       *a = archive_read_new ();
  struct archive_entry *entry;

  archive_read_support_format_zip (a);
  g_assert_cmpint (archive_read_open_filename (a, path, 64 * 1024), ==, ARCHIVE_OK);
  while (archive_read_next_header (a, &entry) == ARCHIVE_OK)
    {
      const char *name = archive_entry_pathname (entry);
      la_int64_t  size = archive_entry_size (entry);
      Member     *m;
      char       *buf;
      la_ssize_t  got;

      if (name == NULL || !(g_str_has_suffix (name, ".xhtml") || g_str_has_suffix (name, ".html") || g_str_has_suffix (name, ".htm")))
        continue;
      g_assert_cmpint (size, >=, 0);
      g_assert_cmpint (size, <, 64 * 1024 * 1024);
      buf = g_malloc (size + 1);
      got = archive_read_data (a, buf, size);
      g_assert_cmpint (got, ==, size);
      m = g_new0 (Member, 1);
      m->name = g_strdup (name);
      m->data = g_bytes_new_take (buf, size);
      g_ptr_array_add (members, m);
    }
  archive_read_free (a);
  return members;
}

static void
test_sample_books_round_trip (void)
{
  g_autoptr (GDir) dir = g_dir_open (books_dir (), 0, NULL);
  const char      *file;
  int              books = 0;
  gsize            total_chars = 0;

  g_assert_nonnull (dir);
  while ((file = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char      *path = NULL;
      g_autoptr (GPtrArray) members = NULL;

      if (!g_str_has_suffix (file, ".epub"))
        continue;
      path = g_build_filename (books_dir (), file, NULL);
      members = read_html_members (path);
      g_assert_cmpuint (members->len, >, 0);
      books++;

      for (guint m = 0; m < members->len; m++)
        {
          Member                     *member = g_ptr_array_index (members, m);
          gsize                       size;
          const char                 *data = g_bytes_get_data (member->data, &size);
          g_autoptr (GError)          error = NULL;
          g_autoptr (KiosChapterText) text = kios_chapter_text_new (data, size, &error);
          gsize                       len;
          int                         fragment = (int) m + 1;

          g_assert_no_error (error);
          g_assert_nonnull (text);
          len = kios_chapter_text_get_length (text);
          total_chars += len;
          for (gsize i = 0; i < len; i++)
            {
              g_autofree char *xp = kios_chapter_text_get_xpointer (text, fragment, i);
              gsize            back = G_MAXSIZE;
              int              n = 0;

              g_assert_true (kios_xpointer_get_doc_fragment (xp, &n));
              g_assert_cmpint (n, ==, fragment);
              if (!kios_chapter_text_resolve (text, xp, &back, NULL) || back != i)
                g_error ("%s %s: index %" G_GSIZE_FORMAT " → %s → %" G_GSIZE_FORMAT,
                         file, member->name, i, xp, back);
              /* The [1] form, on a sample of indexes (it is slower to build). */
              if (i % 97 == 0)
                {
                  g_autofree char *indexed = to_indexed_form (xp);

                  g_assert_true (kios_chapter_text_resolve (text, indexed, &back, NULL));
                  g_assert_cmpuint (back, ==, i);
                }
            }
        }
    }
  g_assert_cmpint (books, >=, 3);
  g_test_message ("%d books, %" G_GSIZE_FORMAT " characters round-tripped", books, total_chars);
}

static void
test_kjv_timing (void)
{
  g_autofree char      *path = g_build_filename (books_dir (), "kjv-bible.epub", NULL);
  g_autoptr (GPtrArray) members = NULL;
  gint64                total = 0;
  gint64                largest_time = 0;
  gsize                 largest = 0;
  gsize                 largest_chars = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("kjv-bible.epub not found");
      return;
    }
  members = read_html_members (path);
  for (guint m = 0; m < members->len; m++)
    {
      Member                     *member = g_ptr_array_index (members, m);
      gsize                       size;
      const char                 *data = g_bytes_get_data (member->data, &size);
      gint64                      start = kios_test_thread_cpu_us ();
      g_autoptr (KiosChapterText) text = kios_chapter_text_new (data, size, NULL);
      gint64                      elapsed = kios_test_thread_cpu_us () - start;

      g_assert_nonnull (text);
      total += elapsed;
      if (size > largest)
        {
          largest = size;
          largest_time = elapsed;
          largest_chars = kios_chapter_text_get_length (text);
        }
    }
  g_test_message ("kjv: largest chapter %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " chars: %.2f ms; "
                  "all %u chapters: %.1f ms",
                  largest, largest_chars, largest_time / 1000.0, members->len, total / 1000.0);
  /* Generous bounds: a regression to quadratic behaviour would blow them. */
  g_assert_cmpint (largest_time, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (total, <, 20 * G_USEC_PER_SEC);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/chapter-text/xpointer-table", test_xpointer_table);
  g_test_add_func ("/kios/chapter-text/stream", test_stream);
  g_test_add_func ("/kios/chapter-text/every-index", test_every_index_round_trips);
  g_test_add_func ("/kios/chapter-text/resolve-tolerant", test_resolve_tolerant);
  g_test_add_func ("/kios/chapter-text/resolve-garbage", test_resolve_garbage);
  g_test_add_func ("/kios/chapter-text/find-id", test_find_id);
  g_test_add_func ("/kios/chapter-text/doc-fragment", test_doc_fragment);
  g_test_add_func ("/kios/chapter-text/empty-chapter", test_empty_chapter);
  g_test_add_func ("/kios/chapter-text/long-text-split", test_long_text_node_split);
  g_test_add_func ("/kios/chapter-text/too-complex", test_too_complex);
  g_test_add_func ("/kios/chapter-text/damaged", test_damaged);
  g_test_add_func ("/kios/chapter-text/sample-books", test_sample_books_round_trip);
  g_test_add_func ("/kios/chapter-text/kjv-timing", test_kjv_timing);

  return g_test_run ();
}
