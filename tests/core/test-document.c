/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-document.h"
#include "kios-error.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <math.h>
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

static KiosPage *
render (KiosDocument          *doc,
        const KiosPageRequest *request)
{
  g_autoptr (GError) error = NULL;
  KiosPage          *page = kios_document_render_sync (doc, request, &error);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static void
set_layout (KiosDocument *doc,
            double        font_size)
{
  KiosLayout layout = { 500, 700, font_size, 0 };

  kios_document_set_layout (doc, &layout);
}

/* Counts pixels that are clearly not paper: the page has ink on it. */
static gsize
count_ink (const KiosPage *page,
           guint32         background)
{
  const guint8 *data = g_bytes_get_data (page->pixels, NULL);
  guint8        r = (background >> 16) & 0xff, g = (background >> 8) & 0xff, b = background & 0xff;
  gsize         ink = 0;

  for (int y = 0; y < page->height; y++)
    for (int x = 0; x < page->width; x++)
      {
        const guint8 *p = data + (gsize) y * page->stride + (gsize) x * 3;

        if (ABS (p[0] - r) + ABS (p[1] - g) + ABS (p[2] - b) > 96)
          ink++;
      }
  return ink;
}

static void
test_open_samples (void)
{
  const struct
  {
    const char    *name;
    KiosBookFormat format;
    const char    *title_part;
  } books[] = {
    { "pride-and-prejudice.epub", KIOS_BOOK_FORMAT_EPUB, "Pride" },
    { "emma.epub", KIOS_BOOK_FORMAT_EPUB, "Emma" },
    { "persuasion.epub", KIOS_BOOK_FORMAT_EPUB, "Persuasion" },
    { "sense-and-sensibility.epub", KIOS_BOOK_FORMAT_EPUB, "Sense" },
    { "kjv-bible.epub", KIOS_BOOK_FORMAT_EPUB, "Bible" },
    { "persuasion.pdf", KIOS_BOOK_FORMAT_PDF, NULL },
    { "northanger-abbey.pdf", KIOS_BOOK_FORMAT_PDF, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (books); i++)
    {
      g_autoptr (KiosDocument) doc = open_book (books[i].name);

      g_assert_cmpint (kios_document_get_format (doc), ==, books[i].format);
      g_assert_cmpint (kios_document_get_n_chapters (doc), >, 1);
      g_assert_cmpuint (strlen (kios_document_get_hash (doc)), ==, 32);
      g_assert_cmpint (kios_document_get_size (doc), >, 0);
      g_assert_nonnull (kios_document_get_toc (doc));
      if (books[i].format == KIOS_BOOK_FORMAT_EPUB)
        g_assert_cmpuint (kios_document_get_toc (doc)->len, >, 0);
      if (books[i].title_part != NULL)
        g_assert_nonnull (strstr (kios_document_get_title (doc), books[i].title_part));
    }
}

static void
expect_open_error (const char *path,
                   GQuark      domain,
                   int         code)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = kios_document_open_sync (path, &error);

  g_assert_null (doc);
  g_assert_error (error, domain, code);
  g_assert_nonnull (error->message);
}

static void
test_open_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kios-doc-XXXXXX", NULL);
  g_autofree char *random = g_build_filename (dir, "random.epub", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.pdf", NULL);
  g_autofree char *truncated = g_build_filename (dir, "truncated.epub", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.epub", NULL);
  g_autofree char *book = kios_test_book ("persuasion.epub");
  g_autofree char *contents = NULL;
  gsize            len = 0;
  guint8           noise[4096];

  for (gsize i = 0; i < sizeof noise; i++)
    noise[i] = (guint8) g_random_int ();
  g_assert_true (g_file_set_contents (random, (char *) noise, sizeof noise, NULL));
  g_assert_true (g_file_set_contents (text, "Just some notes.\n", -1, NULL));
  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (truncated, contents, (gssize) len / 2, NULL));

  expect_open_error (random, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK);
  expect_open_error (text, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK);
  expect_open_error (truncated, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
  expect_open_error (missing, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  g_unlink (random);
  g_unlink (text);
  g_unlink (truncated);
  g_rmdir (dir);
}

/* An EPUB renamed to .pdf, or with no extension, still opens as an EPUB. */
static void
test_detects_by_content (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kios-doc-XXXXXX", NULL);
  g_autofree char *renamed = g_build_filename (dir, "book.pdf", NULL);
  g_autofree char *bare = g_build_filename (dir, "book", NULL);
  g_autofree char *book = kios_test_book ("persuasion.epub");
  g_autofree char *contents = NULL;
  gsize            len = 0;

  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (renamed, contents, (gssize) len, NULL));
  g_assert_true (g_file_set_contents (bare, contents, (gssize) len, NULL));

  for (int i = 0; i < 2; i++)
    {
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosDocument) doc = kios_document_open_sync (i == 0 ? renamed : bare, &error);

      g_assert_no_error (error);
      g_assert_cmpint (kios_document_get_format (doc), ==, KIOS_BOOK_FORMAT_EPUB);
    }

  g_unlink (renamed);
  g_unlink (bare);
  g_rmdir (dir);
}

static void
test_render_and_turn (void)
{
  g_autoptr (KiosDocument) doc = open_book ("pride-and-prejudice.epub");
  g_autoptr (KiosPage)     first = NULL;
  g_autoptr (KiosPage)     next = NULL;
  g_autoptr (KiosPage)     back = NULL;
  KiosPageRequest          request;

  set_layout (doc, 18);
  kios_page_request_init (&request);
  request.scale = 2.0;
  first = render (doc, &request);
  g_assert_cmpint (first->width, ==, 1000);
  g_assert_cmpint (first->height, ==, 1400);
  g_assert_true (first->is_first);
  g_assert_false (first->is_last);
  g_assert_cmpint (first->location.chapter, ==, 0);
  g_assert_null (first->error_message);

  /* Turn forward until the chapter changes, then back once. */
  request.kind = KIOS_PAGE_REQUEST_NEXT;
  request.location = first->location;
  for (int i = 0; i < 50; i++)
    {
      g_clear_pointer (&next, kios_page_free);
      next = render (doc, &request);
      if (next->location.chapter >= 3)
        break;
      request.location = next->location;
    }
  g_assert_cmpint (next->location.chapter, ==, 3);
  g_assert_cmpint (next->location.page, ==, 0);
  g_assert_cmpuint (count_ink (next, 0xffffff), >, 1000);
  g_assert_cmpfloat (next->position->total_progress, >, first->position->total_progress);
  g_assert_nonnull (next->position->xpointer);
  g_assert_true (g_str_has_prefix (next->position->xpointer, "/body/DocFragment[4]/"));

  request.kind = KIOS_PAGE_REQUEST_PREVIOUS;
  request.location = next->location;
  back = render (doc, &request);
  g_assert_cmpint (back->location.chapter, ==, 2);
  g_assert_cmpint (back->location.page, ==, back->chapter_pages - 1);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  if (kios_document_get_n_pages (KIOS_DOCUMENT (object)) > 0)
    *(gboolean *) user_data = TRUE;
}

static void
test_page_count_in_background (void)
{
  g_autoptr (KiosDocument) doc = open_book ("persuasion.epub");
  gboolean                 counted = FALSE;
  KiosPageRequest          request;
  g_autoptr (KiosPage)     page = NULL;
  g_autoptr (KiosPage)     last = NULL;

  g_signal_connect (doc, "notify::n-pages", G_CALLBACK (notify_cb), &counted);
  set_layout (doc, 18);
  kios_test_wait_for (&counted, 30000);
  g_assert_cmpint (kios_document_get_n_pages (doc), >, 50);

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  {
    g_autoptr (KiosPosition) end = kios_position_new ();

    end->format = KIOS_BOOK_FORMAT_EPUB;
    end->chapter = kios_document_get_n_chapters (doc) - 1;
    end->chapter_progress = 1.0;
    request.position = end;
    request.position_only = TRUE;
    last = render (doc, &request);
    request.position = NULL;
  }
  g_assert_true (last->is_last);
  g_assert_cmpint (last->page_number, ==, kios_document_get_n_pages (doc) - 1);

  /* A bigger font means more pages, counted again. */
  counted = FALSE;
  set_layout (doc, 28);
  g_assert_cmpint (kios_document_get_n_pages (doc), ==, -1);
  kios_test_wait_for (&counted, 30000);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location = (KiosLocation){ 0, 0 };
  page = render (doc, &request);
  g_assert_cmpint (page->page_number, ==, 0);
}

/* The same words stay on screen when the font size changes. */
static void
test_font_change_keeps_words (void)
{
  g_autoptr (KiosDocument) doc = open_book ("emma.epub");
  KiosPageRequest          request;

  set_layout (doc, 16);
  kios_page_request_init (&request);
  request.position_only = TRUE;

  /* Emma has five long spine items (title, cover, volumes); try pages across them. */
  const KiosLocation places[] = { { 2, 3 }, { 2, 40 }, { 3, 17 }, { 4, 101 }, { 4, 0 } };

  for (gsize i = 0; i < G_N_ELEMENTS (places); i++)
    {
      int                  chapter = places[i].chapter;
      g_autoptr (KiosPage) before = NULL;
      g_autoptr (KiosPage) after = NULL;
      g_autoptr (KiosPage) after_next = NULL;

      set_layout (doc, 16);
      request.kind = KIOS_PAGE_REQUEST_LOCATION;
      request.location = places[i];
      before = render (doc, &request);
      g_assert_cmpint (before->location.page, ==, places[i].page);

      set_layout (doc, 24);
      request.kind = KIOS_PAGE_REQUEST_POSITION;
      request.position = before->position;
      after = render (doc, &request);
      request.position = NULL;
      g_assert_cmpint (after->location.chapter, ==, chapter);
      g_assert_cmpint (after->position->offset, <=, before->position->offset);

      request.kind = KIOS_PAGE_REQUEST_NEXT;
      request.location = after->location;
      after_next = render (doc, &request);
      if (after_next->location.chapter == chapter)
        g_assert_cmpint (after_next->position->offset, >, before->position->offset);
    }
}

static void
test_pdf (void)
{
  g_autoptr (KiosDocument) doc = open_book ("persuasion.pdf");
  g_autoptr (KiosPage)     page = NULL;
  g_autoptr (KiosPage)     wide = NULL;
  KiosPageRequest          request;
  int                      n = kios_document_get_n_chapters (doc);

  g_assert_cmpint (kios_document_get_n_pages (doc), ==, n);
  g_assert_false (kios_document_is_reflowable (doc));

  kios_page_request_init (&request);
  request.location = (KiosLocation){ 1, 0 };
  request.box_width = 400;
  request.box_height = 400;
  request.fit = KIOS_FIT_PAGE;
  page = render (doc, &request);
  g_assert_cmpint (page->height, <=, 401);
  g_assert_cmpint (page->position->chapter, ==, 1);
  g_assert_cmpint (kios_position_get_page (page->position), ==, 2);
  g_assert_cmpfloat_with_epsilon (page->position->total_progress, 2.0 / n, 1e-9);
  g_assert_cmpuint (count_ink (page, 0xffffff), >, 100);

  request.fit = KIOS_FIT_WIDTH;
  request.scale = 2.0;
  wide = render (doc, &request);
  g_assert_cmpint (wide->width, ==, 800);
}

static void
test_dark_theme (void)
{
  g_autoptr (KiosDocument) doc = open_book ("sense-and-sensibility.epub");
  g_autoptr (KiosPage)     page = NULL;
  KiosPageRequest          request;
  const guint8            *data;

  set_layout (doc, 18);
  kios_page_request_init (&request);
  request.location = (KiosLocation){ 3, 0 };
  request.foreground = 0xdedede;
  request.background = 0x1e1e1e;
  page = render (doc, &request);
  data = g_bytes_get_data (page->pixels, NULL);
  /* The corner is paper: dark. Text is light ink on it. */
  g_assert_cmpint (data[0], ==, 0x1e);
  g_assert_cmpint (data[1], ==, 0x1e);
  g_assert_cmpuint (count_ink (page, 0x1e1e1e), >, 1000);
}

/* Pictures keep their colours on a dark page: only ink and paper are tinted. */
static void
test_dark_keeps_pictures (void)
{
  g_autoptr (KiosDocument) doc = open_book ("emma.epub");
  g_autoptr (KiosPage)     light = NULL;
  g_autoptr (KiosPage)     dark = NULL;
  KiosPageRequest          request;
  const guint8            *a, *b;
  gsize                    same = 0, total = 0;

  set_layout (doc, 18);
  kios_page_request_init (&request);
  request.location = (KiosLocation){ 0, 0 };
  light = render (doc, &request);
  request.foreground = 0xdedede;
  request.background = 0x1e1e1e;
  dark = render (doc, &request);

  /* The middle of the page is the cover picture. */
  a = g_bytes_get_data (light->pixels, NULL);
  b = g_bytes_get_data (dark->pixels, NULL);
  for (int y = light->height / 3; y < light->height * 2 / 3; y += 7)
    for (int x = light->width / 3; x < light->width * 2 / 3; x += 7)
      {
        gsize i = (gsize) y * light->stride + (gsize) x * 3;

        total++;
        same += memcmp (a + i, b + i, 3) == 0;
      }
  g_assert_cmpuint (total, >, 100);
  g_assert_cmpuint (same, ==, total);
  /* …while the paper around it is dark. */
  g_assert_cmpint (b[0], ==, 0x1e);
}

static void
test_toc_jump (void)
{
  g_autoptr (KiosDocument) doc = open_book ("kjv-bible.epub");
  GPtrArray               *toc = kios_document_get_toc (doc);
  KiosPageRequest          request;
  guint                    checked = 0;

  set_layout (doc, 18);
  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_TOC_ENTRY;
  request.position_only = TRUE;

  for (guint i = 0; i < toc->len; i += 17)
    {
      KiosTocEntry        *entry = g_ptr_array_index (toc, i);
      g_autoptr (KiosPage) page = NULL;

      if (entry->chapter < 0)
        continue;
      request.toc_index = (int) i;
      page = render (doc, &request);
      g_assert_cmpint (page->location.chapter, ==, entry->chapter);
      g_assert_cmpint (kios_document_get_toc_index_at (doc, page->position), >=, 0);
      checked++;
    }
  g_assert_cmpuint (checked, >, 5);

  request.toc_index = (int) toc->len + 5;
  {
    g_autoptr (GError)   error = NULL;
    g_autoptr (KiosPage) page = kios_document_render_sync (doc, &request, &error);

    g_assert_null (page);
    g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND);
  }
}

static void
test_parse_position (void)
{
  g_autoptr (KiosDocument) doc = open_book ("pride-and-prejudice.epub");
  g_autoptr (KiosDocument) pdf = open_book ("persuasion.pdf");
  g_autoptr (KiosPosition) chapter = NULL;
  g_autoptr (KiosPosition) percent = NULL;
  g_autoptr (KiosPosition) page = NULL;
  g_autoptr (KiosPosition) xp = NULL;
  const char              *bad[] = { "", "page:0", "chapter:999:0.5", "chapter:2:1.5", "percent:101",
                                     "percent:abc", "/body/DocFragment[9999]/body/p", "banana" };

  chapter = kios_document_parse_position (doc, "chapter:10:0.5", NULL);
  g_assert_nonnull (chapter);
  g_assert_cmpint (chapter->chapter, ==, 10);
  g_assert_cmpfloat (chapter->chapter_progress, >, 0.3);
  g_assert_cmpfloat (chapter->chapter_progress, <=, 0.5);

  xp = kios_document_parse_position (doc, chapter->xpointer, NULL);
  g_assert_nonnull (xp);
  g_assert_cmpint (xp->offset, ==, chapter->offset);

  percent = kios_document_parse_position (doc, "percent:50", NULL);
  g_assert_nonnull (percent);
  g_assert_cmpfloat (percent->total_progress, >, 0.45);
  g_assert_cmpfloat (percent->total_progress, <=, 0.5);

  page = kios_document_parse_position (pdf, "page:3", NULL);
  g_assert_nonnull (page);
  g_assert_cmpint (page->chapter, ==, 2);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosPosition) none = kios_document_parse_position (doc, bad[i], &error);

      g_assert_null (none);
      g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
    }
}

/* Each typed lookup answers what its kiosctl string form answers. */
static void
assert_same_position (const KiosPosition *a,
                      const KiosPosition *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpint (a->chapter, ==, b->chapter);
  g_assert_cmpint (a->offset, ==, b->offset);
  g_assert_cmpstr (a->xpointer, ==, b->xpointer);
  g_assert_cmpfloat (a->total_progress, ==, b->total_progress);
}

static void
test_position_at_typed (void)
{
  g_autoptr (KiosDocument) doc = open_book ("pride-and-prejudice.epub");
  g_autoptr (KiosDocument) pdf = open_book ("persuasion.pdf");
  int                      n_pages = kios_document_get_n_chapters (pdf);
  const double             fractions[] = { 0, 0.25, 0.5, 0.999, 1 };

  for (gsize i = 0; i < G_N_ELEMENTS (fractions); i++)
    {
      g_autofree char         *percent = g_strdup_printf ("percent:%g", fractions[i] * 100);
      g_autofree char         *chapter = g_strdup_printf ("chapter:10:%g", fractions[i]);
      g_autoptr (KiosPosition) by_text = kios_document_parse_position (doc, percent, NULL);
      g_autoptr (KiosPosition) typed = kios_document_position_at_progress (doc, fractions[i], NULL);
      g_autoptr (KiosPosition) chapter_text = kios_document_parse_position (doc, chapter, NULL);
      g_autoptr (KiosPosition) chapter_typed = kios_document_position_at_chapter (doc, 10, fractions[i], NULL);
      g_autoptr (KiosPosition) xp = kios_document_position_at_xpointer (doc, chapter_typed->xpointer, NULL);
      g_autoptr (KiosPosition) xp_text = kios_document_parse_position (doc, chapter_typed->xpointer, NULL);

      assert_same_position (by_text, typed);
      assert_same_position (chapter_text, chapter_typed);
      g_assert_cmpint (chapter_typed->chapter, ==, 10);
      assert_same_position (xp, chapter_typed);
      assert_same_position (xp_text, xp);
    }

  for (int page = 0; page < n_pages; page += MAX (n_pages / 7, 1))
    {
      g_autofree char         *text = g_strdup_printf ("page:%d", page + 1);
      g_autoptr (KiosPosition) by_text = kios_document_parse_position (pdf, text, NULL);
      g_autoptr (KiosPosition) typed = kios_document_position_at_page (pdf, page, NULL);
      g_autoptr (KiosPosition) chapter = kios_document_position_at_chapter (pdf, page, 0, NULL);

      assert_same_position (by_text, typed);
      assert_same_position (chapter, typed);
      g_assert_cmpint (typed->chapter, ==, page);
    }

  /* Out of range: a clear error, never a clamped position. */
  {
    struct
    {
      KiosDocument *doc;
      int           kind;
      int           index;
      double        value;
      const char   *xpointer;
    } bad[] = {
      { doc, 0, 0, -0.01, NULL },
      { doc, 0, 0, 1.01, NULL },
      { doc, 0, 0, NAN, NULL },
      { doc, 1, -1, 0.5, NULL },
      { doc, 1, 9999, 0.5, NULL },
      { doc, 1, 2, 1.5, NULL },
      { pdf, 2, -1, 0, NULL },
      { pdf, 2, n_pages, 0, NULL },
      { doc, 2, 0, 0, NULL }, /* pages are a PDF's */
      { doc, 3, 0, 0, "/body/DocFragment[9999]/body/p" },
      { doc, 3, 0, 0, "/body/DocFragment[0]/body/p" },
      { doc, 3, 0, 0, "banana" },
      { pdf, 3, 0, 0, "/body/DocFragment[2]/body/p" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (GError)       error = NULL;
        g_autoptr (KiosPosition) none = NULL;

        if (bad[i].kind == 0)
          none = kios_document_position_at_progress (bad[i].doc, bad[i].value, &error);
        else if (bad[i].kind == 1)
          none = kios_document_position_at_chapter (bad[i].doc, bad[i].index, bad[i].value, &error);
        else if (bad[i].kind == 2)
          none = kios_document_position_at_page (bad[i].doc, bad[i].index, &error);
        else
          none = kios_document_position_at_xpointer (bad[i].doc, bad[i].xpointer, &error);
        g_assert_null (none);
        g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
        g_assert_cmpstr (error->message, !=, "");
      }
  }
}

/* Every page's first position leads back to that page, whatever was read
 * of the chapter before: a fresh book asked for the page directly agrees
 * with one that walked to it page by page. */
static void
test_page_position_round_trip (void)
{
  g_autoptr (KiosDocument) walked = open_book ("emma.epub");
  KiosPageRequest          request;
  const int                chapters[] = { 2, 3 };

  set_layout (walked, 18);
  kios_page_request_init (&request);
  request.position_only = TRUE;

  for (gsize c = 0; c < G_N_ELEMENTS (chapters); c++)
    {
      int n_pages;

      request.kind = KIOS_PAGE_REQUEST_LOCATION;
      request.location = (KiosLocation){ chapters[c], 0 };
      {
        g_autoptr (KiosPage) first = render (walked, &request);

        n_pages = first->chapter_pages;
      }
      g_assert_cmpint (n_pages, >, 5);

      for (int p = 0; p < n_pages; p++)
        {
          g_autoptr (KiosPage) page = NULL;
          g_autoptr (KiosPage) back = NULL;

          request.kind = KIOS_PAGE_REQUEST_LOCATION;
          request.location = (KiosLocation){ chapters[c], p };
          page = render (walked, &request);
          g_assert_cmpint (page->location.page, ==, p);

          request.kind = KIOS_PAGE_REQUEST_POSITION;
          request.position = page->position;
          back = render (walked, &request);
          request.position = NULL;
          g_assert_cmpint (back->location.chapter, ==, chapters[c]);
          g_assert_cmpint (back->location.page, ==, p);
          g_assert_cmpint (back->position->offset, ==, page->position->offset);

          /* Pages deep in the chapter, asked for first thing. */
          if (p == n_pages / 2 || p == n_pages - 1)
            {
              g_autoptr (KiosDocument) fresh = open_book ("emma.epub");
              g_autoptr (KiosPage)     direct = NULL;
              g_autoptr (KiosPage)     located = NULL;

              set_layout (fresh, 18);
              request.kind = KIOS_PAGE_REQUEST_POSITION;
              request.position = page->position;
              located = render (fresh, &request);
              request.position = NULL;
              g_assert_cmpint (located->location.page, ==, p);

              request.kind = KIOS_PAGE_REQUEST_LOCATION;
              request.location = (KiosLocation){ chapters[c], p };
              direct = render (fresh, &request);
              g_assert_cmpint (direct->position->offset, ==, page->position->offset);
              g_assert_cmpstr (direct->position->xpointer, ==, page->position->xpointer);
            }
        }
    }
}

/* Closing a book while work is queued answers every caller and never crashes. */
static void
test_close_with_pending_work (void)
{
  for (int round = 0; round < 5; round++)
    {
      KiosDocument   *doc = open_book ("kjv-bible.epub");
      KiosPageRequest request;

      set_layout (doc, 18);
      kios_page_request_init (&request);
      request.location = (KiosLocation){ 100 + round, 0 };
      for (int i = 0; i < 3; i++)
        kios_document_render_async (doc, &request, NULL, NULL, NULL);
      g_object_unref (doc);
    }
  /* Let the callbacks that were queued run. */
  for (int i = 0; i < 200; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  kios_test_add_func ("/kios/document/open-samples", test_open_samples);
  kios_test_add_func ("/kios/document/open-errors", test_open_errors);
  kios_test_add_func ("/kios/document/detects-by-content", test_detects_by_content);
  kios_test_add_func ("/kios/document/render-and-turn", test_render_and_turn);
  kios_test_add_func ("/kios/document/page-count", test_page_count_in_background);
  kios_test_add_func ("/kios/document/font-change-keeps-words", test_font_change_keeps_words);
  kios_test_add_func ("/kios/document/pdf", test_pdf);
  kios_test_add_func ("/kios/document/dark-theme", test_dark_theme);
  kios_test_add_func ("/kios/document/dark-keeps-pictures", test_dark_keeps_pictures);
  kios_test_add_func ("/kios/document/toc-jump", test_toc_jump);
  kios_test_add_func ("/kios/document/parse-position", test_parse_position);
  kios_test_add_func ("/kios/document/position-at-typed", test_position_at_typed);
  kios_test_add_func ("/kios/document/page-position-round-trip", test_page_position_round_trip);
  kios_test_add_func ("/kios/document/close-with-pending-work", test_close_with_pending_work);

  return g_test_run ();
}
