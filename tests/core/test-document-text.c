/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-chapter-text.h"
#include "kios-document.h"
#include "kios-epub.h"
#include "kios-test-util.h"

#include <string.h>

static KiosDocument *
open_book (const char *name)
{
  g_autofree char   *path = kios_test_book (name);
  g_autoptr (GError) error = NULL;
  KiosDocument      *doc = kios_document_open_sync (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  return doc;
}

static void
set_layout (KiosDocument *doc,
            double        font_size)
{
  KiosLayout layout = { 500, 700, font_size, 0 };

  kios_document_set_layout (doc, &layout);
}

static KiosPage *
render_at (KiosDocument       *doc,
           KiosLocation        location,
           const KiosPosition *position)
{
  KiosPageRequest    request;
  g_autoptr (GError) error = NULL;
  KiosPage          *page;

  kios_page_request_init (&request);
  request.kind = position != NULL ? KIOS_PAGE_REQUEST_POSITION : KIOS_PAGE_REQUEST_LOCATION;
  request.location = location;
  request.position = position;
  request.box_width = 500;
  request.box_height = 700;
  request.position_only = TRUE;
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static void
text_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static KiosPageText *
page_text (KiosDocument *doc,
           KiosLocation  location)
{
  GAsyncResult      *result = NULL;
  g_autoptr (GError) error = NULL;
  KiosPageText      *text;

  kios_document_get_page_text_async (doc, location, NULL, text_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  text = kios_document_get_page_text_finish (doc, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

static KiosChapterText *
dom_text (const char *book,
          int         chapter)
{
  g_autofree char     *path = kios_test_book (book);
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosEpub) epub = kios_epub_open (path, &error);
  const KiosSpineItem *item;
  g_autoptr (GBytes)   bytes = NULL;
  KiosChapterText     *text;

  g_assert_no_error (error);
  item = kios_epub_get_spine_item (epub, (guint) chapter);
  bytes = kios_epub_read_member (epub, item->href, 0, &error);
  g_assert_no_error (error);
  text = kios_chapter_text_new (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  return text;
}

/* Every kept character of an EPUB page sits at the DOM character of the
 * same code point, in reading order, starting where the page's position does. */
static void
test_epub_offsets (void)
{
  g_autoptr (KiosDocument)    doc = open_book ("pride-and-prejudice.epub");
  KiosLocation                loc = { 8, 1 };
  g_autoptr (KiosPage)        page = NULL;
  g_autoptr (KiosPageText)    text = NULL;
  g_autoptr (KiosChapterText) dom = NULL;
  const gunichar             *dchars;
  gint64                      last = -1;
  guint                       kept = 0, same = 0;
  int                         first_kept = -1;

  set_layout (doc, 18);
  page = render_at (doc, loc, NULL);
  g_assert_cmpint (page->location.page, ==, 1);
  text = page_text (doc, page->location);
  g_assert_cmpint (text->location.chapter, ==, 8);
  g_assert_cmpint (text->location.page, ==, 1);
  g_assert_cmpuint (text->chars->len, >, 500);

  dom = dom_text ("pride-and-prejudice.epub", 8);
  dchars = kios_chapter_text_get_chars (dom);
  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      g_assert_cmpfloat (pc->x0, >=, -0.01);
      g_assert_cmpfloat (pc->x1, <=, 1.01);
      g_assert_cmpfloat (pc->y0, >=, -0.01);
      g_assert_cmpfloat (pc->y1, <=, 1.01);
      g_assert_cmpfloat (pc->x0, <=, pc->x1);
      if (pc->offset < 0)
        continue;
      if (first_kept < 0)
        first_kept = (int) i;
      g_assert_cmpint (pc->offset, >, last);
      g_assert_cmpint (pc->offset, <, (gint64) kios_chapter_text_get_length (dom));
      last = pc->offset;
      kept++;
      if (dchars[pc->offset] == pc->c)
        same++;
    }
  /* The page's position is its first word: the same character. */
  g_assert_cmpint (first_kept, >=, 0);
  g_assert_cmpint (g_array_index (text->chars, KiosPageChar, first_kept).offset, ==, page->position->offset);
  g_assert_cmpuint (same, ==, kept);
}

/* The words of a range found on one layout are the same words, found by
 * their offsets, on the page that holds them at another font size. */
static void
test_epub_range_survives_font_change (void)
{
  g_autoptr (KiosDocument) doc = open_book ("pride-and-prejudice.epub");
  KiosLocation             loc = { 8, 2 };
  g_autoptr (KiosPage)     page = NULL;
  g_autoptr (KiosPageText) text = NULL;
  g_autoptr (KiosPageText) again = NULL;
  g_autoptr (KiosPosition) start = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *words = NULL;
  g_autofree char         *words_again = NULL;
  int                      first, last, a = -1, b = -1;
  gint64                   from, to;

  set_layout (doc, 18);
  page = render_at (doc, loc, NULL);
  text = page_text (doc, page->location);
  /* Twenty characters in, through forty further (whole words). */
  g_assert_true (kios_page_text_word_at (text, 20, &first, NULL) || kios_page_text_word_at (text, 21, &first, NULL));
  g_assert_true (kios_page_text_word_at (text, 60, NULL, &last) || kios_page_text_word_at (text, 61, NULL, &last));
  words = kios_page_text_get_string (text, first, last);
  from = g_array_index (text->chars, KiosPageChar, first).offset;
  to = g_array_index (text->chars, KiosPageChar, last).offset + 1;
  g_assert_cmpint (from, >=, 0);
  g_assert_cmpint (to, >, from);

  start = kios_document_position_at_offset_sync (doc, 8, from, &error);
  g_assert_no_error (error);
  g_assert_nonnull (start->xpointer);
  g_assert_true (g_str_has_prefix (start->xpointer, "/body/DocFragment[9]/"));
  g_assert_cmpint (start->offset, ==, from);

  set_layout (doc, 26);
  g_clear_pointer (&page, kios_page_free);
  page = render_at (doc, loc, start);
  again = page_text (doc, page->location);
  for (guint i = 0; i < again->chars->len; i++)
    {
      gint64 offset = g_array_index (again->chars, KiosPageChar, i).offset;

      if (offset < 0)
        continue;
      if (a < 0 && offset >= from)
        a = (int) i;
      if (offset < to)
        b = (int) i;
    }
  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (b, >=, a);
  words_again = kios_page_text_get_string (again, a, b);
  g_assert_cmpstr (words_again, ==, words);
}

static void
test_position_at_offset (void)
{
  g_autoptr (KiosDocument)    doc = open_book ("emma.epub");
  g_autoptr (KiosChapterText) dom = dom_text ("emma.epub", 3);
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosPosition)    pos = NULL;
  g_autoptr (KiosPosition)    end = NULL;
  g_autoptr (KiosPosition)    parsed = NULL;
  gsize                       index = 0;

  pos = kios_document_position_at_offset_sync (doc, 3, 300, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pos->chapter, ==, 3);
  g_assert_cmpint (pos->offset, ==, 300);
  g_assert_nonnull (pos->chapter_href);
  g_assert_cmpfloat (pos->total_progress, >, 0.0);
  g_assert_true (kios_chapter_text_resolve (dom, pos->xpointer, &index, NULL));
  g_assert_cmpuint (index, ==, 300);

  /* kiosctl's forms read the xpointer back to the same place. */
  parsed = kios_document_parse_position (doc, pos->xpointer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->chapter, ==, 3);

  /* Past the end: just after the last character. */
  end = kios_document_position_at_offset_sync (doc, 3, G_MAXINT64 / 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (end->offset, ==, (gint64) kios_chapter_text_get_length (dom));
}

static void
test_pdf_text (void)
{
  g_autoptr (KiosDocument) doc = open_book ("persuasion.pdf");
  KiosLocation             loc = { 4, 0 };
  g_autoptr (KiosPageText) text = page_text (doc, loc);
  g_autofree char         *all = NULL;
  g_autoptr (KiosPosition) pos = NULL;
  g_autoptr (GError)       error = NULL;
  int                      first, last;

  g_assert_cmpuint (text->chars->len, >, 200);
  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      if (!g_unichar_isspace (pc->c) && pc->c != '-')
        g_assert_cmpint (pc->offset, ==, (gint64) i);
    }

  /* The middle of a character's box hits that character. */
  for (guint i = 0; i < text->chars->len; i += 37)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);
      int                 hit = kios_page_text_hit (text, (pc->x0 + pc->x1) / 2, (pc->y0 + pc->y1) / 2);

      if (!g_unichar_isspace (pc->c))
        g_assert_cmpint (hit, ==, (int) i);
    }
  /* Far off the page, the nearest line's nearest character: its first. */
  {
    int                 hit = kios_page_text_hit (text, -1.0, -1.0);
    const KiosPageChar *pc;

    g_assert_cmpint (hit, >=, 0);
    pc = &g_array_index (text->chars, KiosPageChar, hit);
    for (guint i = 0; i < text->chars->len; i++)
      if (g_array_index (text->chars, KiosPageChar, i).line == pc->line)
        g_assert_cmpfloat (g_array_index (text->chars, KiosPageChar, i).x0, >=, pc->x0);
  }

  all = kios_page_text_get_string (text, 0, G_MAXINT);
  g_assert_true (strlen (all) > 200);
  g_assert_null (strstr (all, "  "));

  g_assert_true (kios_page_text_word_at (text, 10, &first, &last) ||
                 kios_page_text_word_at (text, 11, &first, &last));
  g_assert_cmpint (first, <=, last);

  pos = kios_document_position_at_offset_sync (doc, 4, 17, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pos->chapter, ==, 4);
  g_assert_cmpint (pos->offset, ==, 17);
  g_assert_null (pos->xpointer);
}

/* Lines of a paragraph join with a space, paragraphs with a newline, and a
 * hyphen at a line end joins its word. */
static void
test_get_string_joins (void)
{
  KiosPageText text = { { 0, 0 }, 0, g_array_new (FALSE, TRUE, sizeof (KiosPageChar)) };
  const struct
  {
    const char *s;
    int         line, block;
  } runs[] = { { "end of", 0, 0 }, { "line to-", 1, 0 }, { "gether", 2, 0 }, { "New para", 3, 1 } };
  g_autofree char *joined = NULL;
  g_autofree char *part = NULL;

  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    for (const char *p = runs[r].s; *p != '\0'; p++)
      {
        KiosPageChar pc = { 0 };

        pc.c = (gunichar) *p;
        pc.line = runs[r].line;
        pc.block = runs[r].block;
        g_array_append_val (text.chars, pc);
      }
  joined = kios_page_text_get_string (&text, 0, G_MAXINT);
  g_assert_cmpstr (joined, ==, "end of line together\nNew para");
  part = kios_page_text_get_string (&text, 4, 8);
  g_assert_cmpstr (part, ==, "of lin");
  g_array_unref (text.chars);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  kios_test_add_func ("/document-text/epub-offsets", test_epub_offsets);
  kios_test_add_func ("/document-text/epub-range-survives-font-change", test_epub_range_survives_font_change);
  kios_test_add_func ("/document-text/position-at-offset", test_position_at_offset);
  kios_test_add_func ("/document-text/pdf", test_pdf_text);
  kios_test_add_func ("/document-text/get-string-joins", test_get_string_joins);
  return g_test_run ();
}
