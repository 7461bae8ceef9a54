/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-book-search.h"
#include "kios-epub.h"
#include "kios-mupdf.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <mupdf/fitz.h>
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

/* The reference folding, written independently of the code under test:
 * NFKD, combining marks dropped, casefolded, whitespace runs as one space. */
static char *
reference_fold (const char *text)
{
  g_autofree char *nfkd = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  GString         *out = g_string_new (NULL);
  g_autofree char *stripped = NULL;
  gboolean         space = TRUE;

  for (const char *p = nfkd; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_ismark (c))
        continue;
      if (g_unichar_isspace (c))
        {
          if (!space)
            g_string_append_c (out, ' ');
          space = TRUE;
          continue;
        }
      space = FALSE;
      g_string_append_unichar (out, c);
    }
  stripped = g_string_free (out, FALSE);
  return g_utf8_casefold (stripped, -1);
}

static int
count_occurrences (const char *haystack,
                   const char *needle)
{
  int   count = 0;
  gsize len = strlen (needle);
  char *p = (char *) haystack;

  while ((p = strstr (p, needle)) != NULL)
    {
      count++;
      p += len;
    }
  return count;
}

/* Counts a word in every spine item's <body>, parsed with libxml2 here. */
static int
epub_reference_count (const char *book,
                      const char *word)
{
  g_autofree char     *path = kios_test_book (book);
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosEpub) epub = kios_epub_open (path, &error);
  g_autofree char     *needle = reference_fold (word);
  int                  total = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < kios_epub_get_n_spine_items (epub); i++)
    {
      const KiosSpineItem *item = kios_epub_get_spine_item (epub, i);
      g_autoptr (GBytes)   bytes = kios_epub_read_member (epub, item->href, 64 << 20, &error);
      xmlDoc              *xml;
      xmlNode             *node;

      g_assert_no_error (error);
      xml = xmlReadMemory (g_bytes_get_data (bytes, NULL), (int) g_bytes_get_size (bytes), NULL,
                           "utf-8", XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
      g_assert_nonnull (xml);
      for (node = xmlDocGetRootElement (xml)->children; node != NULL; node = node->next)
        if (node->type == XML_ELEMENT_NODE && xmlStrcmp (node->name, BAD_CAST "body") == 0)
          {
            xmlChar         *content = xmlNodeGetContent (node);
            g_autofree char *folded = reference_fold ((const char *) content);

            total += count_occurrences (folded, needle);
            xmlFree (content);
          }
      xmlFreeDoc (xml);
    }
  return total;
}

/* Counts a word in MuPDF's own text output of every page (as mutool draw -F txt). */
static int
pdf_reference_count (const char *book,
                     const char *word)
{
  g_autofree char *path = kios_test_book (book);
  g_autofree char *needle = reference_fold (word);
  fz_context      *ctx = kios_mupdf_new_context ();
  fz_document     *doc = NULL;
  int              total = 0;

  fz_try (ctx)
  {
    doc = fz_open_document (ctx, path);
    for (int p = 0; p < fz_count_pages (ctx, doc); p++)
      {
        fz_stext_page   *stext = fz_new_stext_page_from_page_number (ctx, doc, p, NULL);
        fz_buffer       *buffer = fz_new_buffer_from_stext_page (ctx, stext);
        g_autofree char *folded = reference_fold (fz_string_from_buffer (ctx, buffer));

        total += count_occurrences (folded, needle);
        fz_drop_buffer (ctx, buffer);
        fz_drop_stext_page (ctx, stext);
      }
  }
  fz_always (ctx)
  {
    fz_drop_document (ctx, doc);
  }
  fz_catch (ctx)
  {
    g_assert_not_reached ();
  }
  fz_drop_context (ctx);
  return total;
}

static KiosBookSearch *
run_search (KiosDocument *doc,
            const char   *query)
{
  g_autoptr (GError) error = NULL;
  KiosBookSearch    *search = kios_book_search_new (doc, query);

  g_assert_nonnull (search);
  g_assert_true (kios_book_search_run_sync (search, &error));
  g_assert_no_error (error);
  return search;
}

static void
assert_reading_order (KiosBookSearch *search)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (search));

  for (guint i = 1; i < n; i++)
    {
      const KiosSearchHit *a = kios_book_search_get_hit (search, i - 1);
      const KiosSearchHit *b = kios_book_search_get_hit (search, i);

      g_assert_true (a->chapter < b->chapter || (a->chapter == b->chapter && a->offset < b->offset));
    }
}

static void
test_fold (void)
{
  struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "Élizabeth", "elizabeth" },
    { "STRASSE Straße", "strasse strasse" },
    { "don’t  stop", "don't stop" },
    { "well-known\tword ", "well known word " },
    { "Ångström", "angstrom" },
    { "ﬁnal", "final" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *folded = kios_search_fold (cases[i].in);

      g_assert_cmpstr (folded, ==, cases[i].out);
    }
  g_assert_null (kios_search_matcher_new ("   "));
  g_assert_null (kios_search_matcher_new (""));
}

static void
test_epub_counts (void)
{
  g_autoptr (KiosDocument) doc = open_book ("pride-and-prejudice.epub");
  const char              *words[] = { "Elizabeth", "Pemberley", "Lady Catherine" };

  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    {
      g_autoptr (KiosBookSearch) search = run_search (doc, words[i]);
      int                        expected = epub_reference_count ("pride-and-prejudice.epub", words[i]);

      g_test_message ("%s: %u hits, reference %d", words[i],
                      g_list_model_get_n_items (G_LIST_MODEL (search)), expected);
      g_assert_cmpint (expected, >, 0);
      g_assert_cmpint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, expected);
      assert_reading_order (search);
    }
}

static void
test_folding_in_book (void)
{
  g_autoptr (KiosDocument)   doc = open_book ("pride-and-prejudice.epub");
  g_autoptr (KiosBookSearch) plain = run_search (doc, "pemberley");
  g_autoptr (KiosBookSearch) shouted = run_search (doc, "PEMBERLEY");
  g_autoptr (KiosBookSearch) accented = run_search (doc, "Pémbérléy");
  guint                      n = g_list_model_get_n_items (G_LIST_MODEL (plain));

  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (shouted)), ==, n);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accented)), ==, n);

  /* Every hit carries its chapter, title, excerpt and an xpointer. */
  for (guint i = 0; i < n; i++)
    {
      const KiosSearchHit *hit = kios_book_search_get_hit (plain, i);
      g_autofree char     *hit_text = g_strndup (hit->excerpt + hit->excerpt_start,
                                                 hit->excerpt_end - hit->excerpt_start);

      g_assert_nonnull (hit->chapter_title);
      g_assert_true (g_str_has_prefix (hit->xpointer, "/body/DocFragment["));
      g_assert_cmpstr (hit_text, ==, "Pemberley");
      g_assert_cmpfloat (hit->total_progress, >, 0.0);
      g_assert_cmpfloat (hit->total_progress, <=, 1.0);
    }
}

static void
test_kjv_counts (void)
{
  g_autoptr (KiosDocument)   doc = open_book ("kjv-bible.epub");
  g_autoptr (KiosBookSearch) search = run_search (doc, "Jerusalem");
  int                        expected = epub_reference_count ("kjv-bible.epub", "Jerusalem");

  g_assert_cmpint (expected, >, 700);
  g_assert_cmpint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, expected);
  assert_reading_order (search);
}

static void
test_pdf_counts (void)
{
  g_autoptr (KiosDocument)   doc = open_book ("persuasion.pdf");
  g_autoptr (KiosBookSearch) search = run_search (doc, "Anne");
  int                        expected = pdf_reference_count ("persuasion.pdf", "Anne");
  guint                      n = g_list_model_get_n_items (G_LIST_MODEL (search));

  g_test_message ("Anne: %u hits, reference %d", n, expected);
  g_assert_cmpint (expected, >, 100);
  g_assert_cmpint (n, ==, expected);
  assert_reading_order (search);
  g_assert_null (kios_book_search_get_hit (search, 0)->xpointer);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  GArray *batches = user_data;
  guint   end = position + added;

  g_assert_cmpuint (removed, ==, 0);
  /* Streaming appends only, in order. */
  if (batches->len > 0)
    g_assert_cmpuint (position, ==, g_array_index (batches, guint, batches->len - 1));
  g_array_append_val (batches, end);
}

static void
test_streaming (void)
{
  g_autoptr (KiosDocument)   doc = open_book ("kjv-bible.epub");
  g_autoptr (KiosBookSearch) search = kios_book_search_new (doc, "LORD");
  g_autoptr (GArray)         batches = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GError)         error = NULL;

  g_signal_connect (search, "items-changed", G_CALLBACK (items_changed_cb), batches);
  g_assert_true (kios_book_search_run_sync (search, &error));
  g_assert_no_error (error);
  /* The results arrived in pieces, the first long before the last. */
  g_assert_cmpuint (batches->len, >=, 2);
  g_assert_cmpuint (g_array_index (batches, guint, 0), <, g_list_model_get_n_items (G_LIST_MODEL (search)) / 10);
  g_assert_cmpuint (g_array_index (batches, guint, batches->len - 1), ==,
                    g_list_model_get_n_items (G_LIST_MODEL (search)));
  assert_reading_order (search);
}

typedef struct
{
  gboolean        done;
  gboolean        search_complete_then;
  KiosBookSearch *search;
} RenderWait;

static void
render_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  RenderWait          *wait = user_data;
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosPage) page = kios_document_render_finish (KIOS_DOCUMENT (source), result, &error);

  g_assert_no_error (error);
  wait->search_complete_then = kios_book_search_is_complete (wait->search);
  wait->done = TRUE;
}

static void
first_items_cb (GListModel *model,
                guint       position,
                guint       removed,
                guint       added,
                gpointer    user_data)
{
  gboolean *seen = user_data;

  *seen = TRUE;
}

static void
test_cancel_and_yield (void)
{
  g_autoptr (KiosDocument)   doc = open_book ("kjv-bible.epub");
  g_autoptr (KiosBookSearch) search = kios_book_search_new (doc, "the");
  KiosPageRequest            request;
  RenderWait                 wait = { FALSE, FALSE, search };
  gboolean                   seen = FALSE;
  guint                      n;

  /* A page asked for while the search runs comes back before the search ends. */
  kios_book_search_start (search);
  kios_page_request_init (&request);
  request.location = (KiosLocation){ 200, 0 };
  request.box_width = 400;
  request.box_height = 600;
  kios_document_render_async (doc, &request, NULL, render_cb, &wait);
  g_signal_connect (search, "items-changed", G_CALLBACK (first_items_cb), &seen);
  kios_test_wait_for (&wait.done, 20000);
  g_assert_false (wait.search_complete_then);

  /* Cancelled: no more results, never complete. */
  kios_test_wait_for (&seen, 20000);
  kios_book_search_cancel (search);
  n = g_list_model_get_n_items (G_LIST_MODEL (search));
  wait.done = FALSE;
  kios_document_render_async (doc, &request, NULL, render_cb, &wait);
  kios_test_wait_for (&wait.done, 20000);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, n);
  g_assert_false (kios_book_search_is_complete (search));
}

typedef struct
{
  GArray  *rects;
  gboolean done;
} RectsWait;

static void
rects_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  RectsWait         *wait = user_data;
  g_autoptr (GError) error = NULL;

  wait->rects = kios_document_find_on_page_finish (KIOS_DOCUMENT (source), result, &error);
  g_assert_no_error (error);
  wait->done = TRUE;
}

static GArray *
find_on_page (KiosDocument      *doc,
              KiosSearchMatcher *matcher,
              KiosLocation       location)
{
  RectsWait wait = { NULL, FALSE };

  kios_document_find_on_page_async (doc, matcher, location, NULL, rects_cb, &wait);
  kios_test_wait_for (&wait.done, 20000);
  return wait.rects;
}

/* kiosctl find: the JSON shape, and each hit's xpointer lands on a page showing the hit. */
static void
test_kiosctl_find (void)
{
  g_auto (KiosctlRun)           run = { 0 };
  g_autofree char              *path = kios_test_book ("pride-and-prejudice.epub");
  g_autoptr (KiosDocument)      doc = open_book ("pride-and-prejudice.epub");
  g_autoptr (KiosSearchMatcher) matcher = kios_search_matcher_new ("Lady Catherine");
  g_autoptr (JsonParser)        parser = json_parser_new ();
  g_autoptr (GError)            error = NULL;
  JsonObject                   *root;
  JsonArray                    *hits;
  guint                         n;
  int                           reference = epub_reference_count ("pride-and-prejudice.epub", "Lady Catherine");

  kios_test_kiosctl (&run, NULL, "find", "--json", path, "lady catherine", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  hits = json_object_get_array_member (root, "hits");
  n = json_array_get_length (hits);
  g_assert_cmpint (json_object_get_int_member (root, "total"), ==, n);
  g_assert_cmpint (n, ==, reference);

  for (guint i = 0; i < n; i += MAX (n / 6, 1))
    {
      JsonObject              *hit = json_array_get_object_element (hits, i);
      const char              *xpointer = json_object_get_string_member (hit, "xpointer");
      g_auto (KiosctlRun)      set = { 0 };
      g_autoptr (JsonParser)   set_parser = json_parser_new ();
      g_autoptr (KiosPosition) landed = NULL;
      g_autoptr (KiosPage)     page = NULL;
      g_autoptr (GArray)       rects = NULL;
      KiosPageRequest          request;

      g_assert_true (json_object_has_member (hit, "chapter"));
      g_assert_true (json_object_has_member (hit, "chapter_title"));
      g_assert_true (json_object_has_member (hit, "total_progress"));
      g_assert_false (json_object_has_member (hit, "page"));
      g_assert_nonnull (strstr (json_object_get_string_member (hit, "excerpt"), "Lady Catherine"));

      kios_test_kiosctl (&set, NULL, "position", "--json", path, "--set", xpointer, NULL);
      g_assert_cmpint (set.status, ==, 0);
      g_assert_true (json_parser_load_from_data (set_parser, set.out, -1, &error));
      landed = kios_position_from_json (json_parser_get_root (set_parser), &error);
      g_assert_no_error (error);
      g_assert_cmpint (landed->chapter, ==, json_object_get_int_member (hit, "chapter"));

      /* The page that position opens on shows the hit. */
      kios_page_request_init (&request);
      request.kind = KIOS_PAGE_REQUEST_POSITION;
      request.position = landed;
      request.position_only = TRUE;
      page = kios_document_render_sync (doc, &request, &error);
      g_assert_no_error (error);
      rects = find_on_page (doc, matcher, page->location);
      g_assert_cmpuint (rects->len, >, 0);
    }

  /* Plain output: one line per hit. */
  kios_test_kiosctl (&run, NULL, "find", path, "Lady Catherine", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_auto (GStrv) lines = g_strsplit (g_strchomp (run.out), "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, n);
  }

  /* PDF hits carry a 1-based page. */
  {
    g_autofree char       *pdf = kios_test_book ("persuasion.pdf");
    g_autoptr (JsonParser) pdf_parser = json_parser_new ();
    JsonObject            *first;

    kios_test_kiosctl (&run, NULL, "find", "--json", pdf, "Kellynch", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (json_parser_load_from_data (pdf_parser, run.out, -1, &error));
    root = json_node_get_object (json_parser_get_root (pdf_parser));
    first = json_array_get_object_element (json_object_get_array_member (root, "hits"), 0);
    g_assert_cmpint (json_object_get_int_member (first, "page"), >=, 1);
    g_assert_false (json_object_has_member (first, "xpointer"));
  }

  kios_test_kiosctl (&run, NULL, "find", path, NULL);
  g_assert_cmpint (run.status, ==, 2);
}

/* The highlights of a PDF page match the hits counted on it. */
static void
test_page_rects (void)
{
  g_autoptr (KiosDocument)      doc = open_book ("persuasion.pdf");
  g_autoptr (KiosBookSearch)    search = run_search (doc, "Anne");
  g_autoptr (KiosSearchMatcher) matcher = kios_search_matcher_new ("anne");
  const KiosSearchHit          *hit = kios_book_search_get_hit (search, 0);
  g_autoptr (GArray)            rects = find_on_page (doc, matcher, (KiosLocation){ hit->chapter, 0 });
  guint                         on_page = 0;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (search)); i++)
    if (kios_book_search_get_hit (search, i)->chapter == hit->chapter)
      on_page++;
  g_assert_cmpuint (rects->len, >=, on_page);
  g_assert_cmpint (g_array_index (rects, KiosSearchRect, rects->len - 1).hit, ==, on_page - 1);
  for (guint i = 0; i < rects->len; i++)
    {
      KiosSearchRect *r = &g_array_index (rects, KiosSearchRect, i);

      g_assert_cmpfloat (r->x0, >=, 0.0);
      g_assert_cmpfloat (r->x1, <=, 1.0);
      g_assert_cmpfloat (r->x0, <, r->x1);
      g_assert_cmpfloat (r->y0, <, r->y1);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  kios_test_add_func ("/kios/book-search/fold", test_fold);
  kios_test_add_func ("/kios/book-search/epub-counts", test_epub_counts);
  kios_test_add_func ("/kios/book-search/folding-in-book", test_folding_in_book);
  kios_test_add_func ("/kios/book-search/kjv-counts", test_kjv_counts);
  kios_test_add_func ("/kios/book-search/pdf-counts", test_pdf_counts);
  kios_test_add_func ("/kios/book-search/streaming", test_streaming);
  kios_test_add_func ("/kios/book-search/cancel-and-yield", test_cancel_and_yield);
  kios_test_add_func ("/kios/book-search/page-rects", test_page_rects);
  kios_test_add_func ("/kios/book-search/kiosctl", test_kiosctl_find);

  return g_test_run ();
}
