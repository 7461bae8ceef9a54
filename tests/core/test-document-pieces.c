/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-document-pieces"

#include "config.h"

#include "kios-chapter-text.h"
#include "kios-document-private.h"
#include "kios-document.h"
#include "kios-flow-split.h"
#include "kios-limits.h"
#include "kios-test-epub.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * A chapter MuPDF gets cut into pieces (kios_flow_split) is read from the
 * piece nearest to the page asked for: a page deep in it costs the pages of
 * one piece, not of every page before it, and every page's position is the
 * one reading the chapter from its start gives.
 */

static char *tmp_dir;

/* One paragraph of ~1 MB of repeated words (the hardest text to anchor in:
 * every window of it recurs every 58 characters), then a short one. */
static char *
write_book (gboolean blocks)
{
  g_autofree char    *path = g_build_filename (tmp_dir, "pieces.epub", NULL);
  g_autoptr (GString) body = g_string_new (blocks ? "<h1>Pieces</h1><div>" : "<h1>Pieces</h1><p>");
  g_autofree char    *xhtml = NULL;
  const char         *chapters[1];

  /* Or thousands of short paragraphs, which MuPDF gets in groups. */
  if (blocks)
    for (int i = 0; i < 5 * KIOS_LIMIT_SIBLING_BLOCKS; i++)
      g_string_append (body, "<p>lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod</p>");
  else
    while (body->len < (1u << 20))
      g_string_append (body, "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ");
  g_string_append (body, blocks ? "</div><p>The end.</p>" : "</p><p>The end.</p>");
  xhtml = kios_test_xhtml (body->str);
  chapters[0] = xhtml;
  kios_test_epub_write (path, chapters, 1, NULL);
  return g_steal_pointer (&path);
}

/* Each piece is named for the characters of the DOM text before it: the
 * chapter text of the cut copy finds its id there. */
static void
check_piece_names (const char *body,
                   gsize       max_flow,
                   guint       min_pieces)
{
  g_autofree char            *xhtml = kios_test_xhtml (body);
  g_autoptr (GBytes)          split = kios_flow_split (xhtml, strlen (xhtml), max_flow);
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosChapterText) original = kios_chapter_text_new (xhtml, strlen (xhtml), &error);
  g_autoptr (KiosChapterText) text = NULL;
  g_autofree char            *copy = NULL;
  guint                       n = 0;

  g_assert_no_error (error);
  g_assert_nonnull (split);
  copy = g_strndup (g_bytes_get_data (split, NULL), g_bytes_get_size (split));
  text = kios_chapter_text_new (copy, strlen (copy), &error);
  g_assert_no_error (error);
  /* The same text stream. */
  g_assert_cmpuint (kios_chapter_text_get_length (text), ==, kios_chapter_text_get_length (original));
  for (const char *p = copy; (p = strstr (p, "id=\"" KIOS_FLOW_PIECE_PREFIX)) != NULL; p++)
    {
      g_autofree char *id = g_strndup (p + 4, strchr (p + 4, '"') - p - 4);
      const char      *dash = strrchr (id, '-');
      gsize            index = 0;

      g_assert_true (kios_chapter_text_find_id (text, id, &index));
      g_assert_cmpuint (index, ==, g_ascii_strtoull (dash + 1, NULL, 10));
      n++;
    }
  g_assert_cmpuint (n, >=, min_pieces);
}

static void
test_piece_names (void)
{
  g_autoptr (GString) words = g_string_new ("<h1>T&amp;t</h1><p>");
  g_autoptr (GString) mixed = g_string_new ("<p>");
  g_autoptr (GString) blocks = g_string_new ("<div>");

  while (words->len < 40000)
    g_string_append (words, "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ");
  g_string_append (words, "</p>");
  check_piece_names (words->str, 4096, 8);

  /* Entities, soft hyphens, no-break spaces, dashes, CDATA, inline
   * elements cut and reopened, a comment and a script. */
  for (int i = 0; mixed->len < 40000; i++)
    g_string_append_printf (mixed, "w%d caf\xc3\xa9 &#233;t&#xE9; &lt;a&gt; x&#173;y&nbsp;z <b>bo-ld %d</b> "
                                   "<!-- c --> <![CDATA[d&ta]]> \xc2\xa0 <i>it</i>%s ",
                            i, i, i % 50 == 0 ? "<script>var s = 'no';</script>" : "");
  g_string_append (mixed, "</p>");
  check_piece_names (mixed->str, 4096, 8);

  /* Thousands of sibling blocks: groups. */
  for (int i = 0; i < 3 * KIOS_LIMIT_SIBLING_BLOCKS; i++)
    g_string_append_printf (blocks, "<p>Para %d.</p>", i);
  g_string_append (blocks, "</div>");
  check_piece_names (blocks->str, KIOS_LIMIT_FLOW_BYTES, 2);
}

/* A paragraph of long text inside one inline element whose start tag is
 * tag_len bytes (name_len for its name), cut into flows of 4 KiB. */
static GBytes *
split_inline (gsize tag_len,
              gsize name_len)
{
  g_autofree char    *name = g_strnfill (name_len, 'x');
  g_autoptr (GString) body = g_string_new ("<p>");
  g_autofree char    *xhtml = NULL;

  g_string_append_printf (body, "<%s title=\"", name);
  while (body->len < strlen ("<p>") + tag_len - 2)
    g_string_append_c (body, 'a');
  g_string_append (body, "\">");
  g_assert_cmpuint (body->len, ==, strlen ("<p>") + tag_len);
  while (body->len < 20000)
    g_string_append (body, "word ");
  g_string_append_printf (body, "</%s></p>", name);
  xhtml = kios_test_xhtml (body->str);
  return kios_flow_split (xhtml, strlen (xhtml), 4096);
}

static guint
count (GBytes     *bytes,
       const char *needle)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  guint            n = 0;

  for (const char *p = text; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

/* KIOS_LIMIT_FLOW_REOPEN_BYTES: start tags up to it in all are reopened
 * whole at each cut, past it without their attributes; names past it
 * leave the flow whole. */
static void
test_reopen_limit (void)
{
  g_autoptr (GBytes) at = split_inline (KIOS_LIMIT_FLOW_REOPEN_BYTES, 1);
  g_autoptr (GBytes) past = split_inline (KIOS_LIMIT_FLOW_REOPEN_BYTES + 1, 1);
  g_autoptr (GBytes) names_at = split_inline (KIOS_LIMIT_FLOW_REOPEN_BYTES + 100, KIOS_LIMIT_FLOW_REOPEN_BYTES - 3);
  g_autoptr (GBytes) names_past = split_inline (KIOS_LIMIT_FLOW_REOPEN_BYTES + 100, KIOS_LIMIT_FLOW_REOPEN_BYTES - 2);

  g_assert_nonnull (at);
  g_assert_nonnull (past);
  /* The paragraph is cut at least three times; each piece reopens it. */
  g_assert_cmpuint (count (at, "<x title="), >=, 4);
  g_assert_cmpuint (count (at, "<x>"), ==, 0);
  g_assert_cmpuint (count (past, "<x title="), ==, 1);
  g_assert_cmpuint (count (past, "<x>"), >=, 3);
  g_assert_nonnull (names_at);
  g_assert_cmpuint (count (names_at, "kios-flow"), >=, 3);
  g_assert_null (names_past);
}

static KiosDocument *
open_book (const char *path,
           gboolean    pieces)
{
  g_autoptr (GError) error = NULL;
  KiosLayout         layout = { 400, 600, 16, 0 };
  KiosDocument      *doc;

  kios_document_read_from_pieces = pieces;
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_document_set_layout (doc, &layout);
  return doc;
}

static KiosPage *
page_at (KiosDocument       *doc,
         int                 page,
         const KiosPosition *position)
{
  g_autoptr (GError) error = NULL;
  KiosPageRequest    request;
  KiosPage          *result;

  kios_page_request_init (&request);
  request.box_width = 400;
  request.box_height = 600;
  request.position_only = TRUE;
  if (position != NULL)
    {
      request.kind = KIOS_PAGE_REQUEST_POSITION;
      request.position = position;
    }
  else
    request.location = (KiosLocation){ 0, page };
  result = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_null (result->error_message);
  return result;
}

static void
test_same_positions (gconstpointer data)
{
  g_autofree char         *path = write_book (GPOINTER_TO_INT (data));
  g_autoptr (KiosDocument) whole = open_book (path, FALSE);
  g_autoptr (KiosDocument) pieces = open_book (path, TRUE);
  g_autoptr (KiosPage)     first = page_at (pieces, 0, NULL);
  int                      n = first->chapter_pages;
  int                      pages[] = { 1, 2, 17, 18, 19, 40, 41, n / 3, n / 2, n / 2 + 1, n - 30, n - 2, n - 1 };

  /* A chapter of hundreds of pages, in pieces. */
  g_assert_cmpint (n, >, 200);

  /* Deep pages first: the pieces are found in any order; then every
   * seventh page, which meets every piece. */
  for (int k = G_N_ELEMENTS (pages) + n / 7; k > 0; k--)
    {
      int                  p = k > n / 7 ? pages[k - 1 - n / 7] : MIN (k * 7, n - 1);
      guint64              before = kios_document_pages_read ();
      g_autoptr (KiosPage) a = page_at (pieces, p, NULL);
      g_autoptr (KiosPage) b = NULL;
      g_autoptr (KiosPage) back = NULL;

      /* The last page first: from its piece, not the chapter's start. */
      if (p == n - 1)
        g_assert_cmpuint (kios_document_pages_read () - before, <, (guint64) n / 2);
      b = page_at (whole, p, NULL);

      g_assert_cmpint (a->location.page, ==, p);
      g_assert_cmpint (a->position->offset, ==, b->position->offset);
      g_assert_cmpstr (a->position->xpointer, ==, b->position->xpointer);
      /* And back: the position names the page it came from. */
      back = page_at (pieces, -1, a->position);
      g_assert_cmpint (back->location.page, ==, p);
    }
}

/* A page at 99 % reads the text of the pages of one piece, a few tens;
 * reading from the chapter's start read hundreds. */
static void
test_bounded_work (void)
{
  g_autofree char         *path = write_book (FALSE);
  g_autoptr (KiosPosition) at = NULL;
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosPage)     deep = NULL;
  g_autoptr (KiosPage)     reference = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosDocument) whole = NULL;
  guint64                  before;
  guint64                  read_pieces, read_whole;

  doc = open_book (path, TRUE);
  before = kios_document_pages_read ();
  at = kios_document_parse_position (doc, "percent:99", &error);
  g_assert_no_error (error);
  deep = page_at (doc, -1, at);
  read_pieces = kios_document_pages_read () - before;

  whole = open_book (path, FALSE);
  before = kios_document_pages_read ();
  reference = page_at (whole, -1, at);
  read_whole = kios_document_pages_read () - before;

  g_assert_cmpint (deep->location.page, ==, reference->location.page);
  g_assert_cmpint (deep->position->offset, ==, reference->position->offset);
  g_assert_cmpint (deep->location.page, >, deep->chapter_pages * 9 / 10);
  g_test_message ("pages read for the page at 99 %%: %" G_GUINT64_FORMAT " from a piece, %" G_GUINT64_FORMAT
                  " from the start (%d pages)",
                  read_pieces, read_whole, deep->chapter_pages);
  /* A piece is KIOS_LIMIT_FLOW_BYTES of text, a few pages. */
  g_assert_cmpuint (read_pieces, <=, 40);
  g_assert_cmpuint (read_whole, >, (guint64) deep->chapter_pages * 9 / 10);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  tmp_dir = g_dir_make_tmp ("kios-pieces-XXXXXX", NULL);

  kios_test_add_func ("/kios/document-pieces/piece-names", test_piece_names);
  kios_test_add_func ("/kios/document-pieces/reopen-limit", test_reopen_limit);
  g_test_add_data_func ("/kios/document-pieces/same-positions/flows", GINT_TO_POINTER (FALSE), test_same_positions);
  g_test_add_data_func ("/kios/document-pieces/same-positions/groups", GINT_TO_POINTER (TRUE), test_same_positions);
  kios_test_add_func ("/kios/document-pieces/bounded-work", test_bounded_work);

  status = g_test_run ();

  {
    g_autofree char *path = g_build_filename (tmp_dir, "pieces.epub", NULL);

    g_unlink (path);
    g_rmdir (tmp_dir);
  }
  return status;
}
