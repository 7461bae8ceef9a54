/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * Hostile books (MUPDF.md section 7 and our own): none may crash or hang the
 * worker. Each case opens the book and renders every chapter's first page
 * within a time bound; refused chapters come back as error pages.
 */

#include "config.h"

#include "kios-archive-limits.h"
#include "kios-document.h"
#include "kios-epub.h"
#include "kios-error.h"
#include "kios-flow-split.h"
#include "kios-limits.h"
#include "kios-test-epub.h"
#include "kios-test-util.h"
#include "kios-xml.h"

#include <glib/gstdio.h>
#include <string.h>

/* Generous for a 2-core machine under valgrind-free CI; a hang is minutes. */
#define TIME_LIMIT_US (20 * G_USEC_PER_SEC)

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static char *
nested (const char *tag,
        guint       depth,
        const char *inner)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append_printf (s, "<%s>", tag);
  g_string_append (s, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append_printf (s, "</%s>", tag);
  return g_string_free (s, FALSE);
}

/* Opens and renders the first page of every chapter; returns how many were error pages. */
static guint
render_all_chapters (const char *path)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = kios_document_open_sync (path, &error);
  KiosLayout               layout = { 400, 600, 16, 0 };
  guint                    errors = 0;

  g_assert_no_error (error);
  kios_document_set_layout (doc, &layout);

  for (int c = 0; c < kios_document_get_n_chapters (doc); c++)
    {
      KiosPageRequest      request;
      g_autoptr (KiosPage) page = NULL;

      kios_page_request_init (&request);
      request.location = (KiosLocation){ c, 0 };
      page = kios_document_render_sync (doc, &request, &error);
      g_assert_no_error (error);
      g_assert_nonnull (page->pixels);
      g_assert_cmpint (page->width, ==, 400);
      if (page->error_message != NULL)
        errors++;
    }

  /* Past the end is clamped, never a crash (MuPDF 1.21 dereferences NULL). */
  {
    KiosPageRequest      request;
    g_autoptr (KiosPage) page = NULL;

    kios_page_request_init (&request);
    request.location = (KiosLocation){ 100000, 500 };
    page = kios_document_render_sync (doc, &request, &error);
    g_assert_no_error (error);
    g_assert_cmpint (page->location.chapter, ==, kios_document_get_n_chapters (doc) - 1);
    g_assert_true (page->is_last);
  }

  return errors;
}

static void
test_deep_nesting (void)
{
  g_autofree char *path = tmp_path ("deep.epub");
  g_autofree char *deep_div = nested ("div", 20000, "deep");
  g_autofree char *deep_span = nested ("span", 12000, "deep");
  g_autofree char *ok = kios_test_xhtml ("<p>A normal chapter before the trap.</p>");
  g_autofree char *c1 = kios_test_xhtml (deep_div);
  g_autofree char *c2 = kios_test_xhtml (deep_span);
  const char      *chapters[] = { ok, c1, c2 };
  gint64           start = g_get_monotonic_time ();

  kios_test_epub_write (path, chapters, 3, NULL);
  g_assert_cmpuint (render_all_chapters (path), ==, 2);
  g_assert_cmpint (g_get_monotonic_time () - start, <, TIME_LIMIT_US);
}

static void
test_huge_word (void)
{
  g_autofree char *path = tmp_path ("word.epub");
  g_autofree char *word = g_strnfill (2 * 1024 * 1024, 'a');
  g_autofree char *body = g_strdup_printf ("<p>%s</p>", word);
  g_autofree char *c0 = kios_test_xhtml (body);
  g_autofree char *c1 = kios_test_xhtml ("<p>After the word.</p>");
  const char      *chapters[] = { c0, c1 };
  gint64           start = g_get_monotonic_time ();

  kios_test_epub_write (path, chapters, 2, NULL);
  g_assert_cmpuint (render_all_chapters (path), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, TIME_LIMIT_US);
}

static void
test_missing_chapter (void)
{
  g_autofree char *path = tmp_path ("missing.epub");
  g_autofree char *c0 = kios_test_xhtml ("<p>Present.</p>");
  g_autofree char *c2 = kios_test_xhtml ("<p>Also present.</p>");
  const char      *chapters[] = { c0, NULL, c2 };

  kios_test_epub_write (path, chapters, 3, NULL);
  g_assert_cmpuint (render_all_chapters (path), ==, 1);
}

static void
test_malformed_xhtml (void)
{
  g_autofree char *path = tmp_path ("malformed.epub");
  const char      *c0 = "<html><body><p>Unclosed <b>bold <i>and &nbsp; &bogus; \xff\xfe bad utf-8</body>";
  g_autofree char *c1 = kios_test_xhtml ("<p>Fine.</p>");
  const char      *chapters[] = { c0, c1 };

  kios_test_epub_write (path, chapters, 2, NULL);
  /* MuPDF falls back to its HTML5 parser: either a page or an error page, never a crash. */
  g_assert_cmpuint (render_all_chapters (path), <=, 1);
}

static void
expect_refused (const char *path,
                int         code)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = kios_document_open_sync (path, &error);

  g_assert_null (doc);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, code);
}

static void
test_refused_books (void)
{
  g_autofree char *drm = tmp_path ("drm.epub");
  g_autofree char *truncated = tmp_path ("truncated.epub");
  g_autofree char *tiny = tmp_path ("tiny.epub");
  g_autofree char *c0 = kios_test_xhtml ("<p>Secret.</p>");
  const char      *chapters[] = { c0 };
  const char      *encryption[] = {
         "META-INF/encryption.xml",
         "<?xml version=\"1.0\"?><encryption xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\" "
              "xmlns:enc=\"http://www.w3.org/2001/04/xmlenc#\"><enc:EncryptedData><enc:EncryptionMethod "
              "Algorithm=\"http://www.w3.org/2001/04/xmlenc#aes128-cbc\"/><enc:CipherData><enc:CipherReference "
              "URI=\"OEBPS/c0.xhtml\"/></enc:CipherData></enc:EncryptedData></encryption>",
         NULL
  };
  g_autofree char *contents = NULL;
  gsize            len = 0;

  kios_test_epub_write (drm, chapters, 1, encryption);
  expect_refused (drm, KIOS_DOCUMENT_ERROR_DRM);

  g_assert_true (g_file_get_contents (drm, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (truncated, contents, (gssize) (len * 2 / 3), NULL));
  expect_refused (truncated, KIOS_DOCUMENT_ERROR_DAMAGED);
  g_assert_true (g_file_set_contents (tiny, contents, 1024 < len ? 1024 : (gssize) len - 1, NULL));
  expect_refused (tiny, KIOS_DOCUMENT_ERROR_DAMAGED);
}

/* Only fonts are obfuscated: MuPDF 1.21 refuses the book as it is, Kios opens it. */
static void
test_font_obfuscation_opens (void)
{
  g_autofree char *path = tmp_path ("fonts.epub");
  g_autofree char *c0 = kios_test_xhtml ("<p style='font-family: Hidden'>Readable words.</p>");
  const char      *chapters[] = { c0 };
  const char      *extra[] = {
         "META-INF/encryption.xml",
         "<?xml version=\"1.0\"?><encryption xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\" "
              "xmlns:enc=\"http://www.w3.org/2001/04/xmlenc#\"><enc:EncryptedData><enc:EncryptionMethod "
              "Algorithm=\"http://www.idpf.org/2008/embedding\"/><enc:CipherData><enc:CipherReference "
              "URI=\"OEBPS/hidden.otf\"/></enc:CipherData></enc:EncryptedData></encryption>",
         "OEBPS/hidden.otf", "not really a font, obfuscated or not",
         NULL
  };
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     page = NULL;
  KiosPageRequest          request;

  kios_test_epub_write (path, chapters, 1, extra);
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  kios_page_request_init (&request);
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_null (page->error_message);
  g_assert_true (g_str_has_prefix (page->position->xpointer, "/body/DocFragment[1]/"));
}

static void
test_empty_spine (void)
{
  g_autofree char         *path = tmp_path ("empty.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;

  kios_test_epub_write (path, NULL, 0, NULL);
  doc = kios_document_open_sync (path, &error);
  g_assert_null (doc);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
}

static void
test_random_pdf (void)
{
  g_autofree char *path = tmp_path ("garbled.pdf");
  g_autofree char *book = kios_test_book ("persuasion.pdf");
  g_autofree char *contents = NULL;
  gsize            len = 0;

  /* A real PDF with a tenth of its bytes garbled: MuPDF repairs or refuses. */
  g_assert_true (g_file_get_contents (book, &contents, &len, NULL));
  for (gsize i = 1024; i < len; i += 10)
    contents[i] = (char) g_random_int ();
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));

  {
    g_autoptr (GError)       error = NULL;
    g_autoptr (KiosDocument) doc = kios_document_open_sync (path, &error);

    if (doc != NULL)
      render_all_chapters (path);
    else
      g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
  }
}

/* ---- the work a page costs -------------------------------------------------
 *
 * MuPDF 1.21 draws a page by looking at every child block of each block the
 * page touches, and at every node of each flow (run of inline content) it
 * touches. So the work units of a page are bounded by the most block
 * children of one element plus the largest flow, in bytes of text with each
 * inline element counted as a node. Time is not measured: the machine may
 * be busy.
 */

typedef struct
{
  gsize max_children;
  gsize max_flow;
} PageWork;

static gboolean
is_block_name (const xmlChar *name)
{
  static const char *const blocks[] = { "body", "div", "html", "p", "section" };

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    if (xmlStrcmp (name, (const xmlChar *) blocks[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Adds the inline content of node (text, inline elements) to *flow. */
static void
measure_inline (xmlNode *node,
                gsize   *flow)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (c->type == XML_TEXT_NODE)
      *flow += (gsize) xmlStrlen (c->content);
    else if (c->type == XML_ELEMENT_NODE)
      {
        *flow += 32;
        measure_inline (c, flow);
      }
}

static void
measure_block (xmlNode  *block,
               PageWork *work)
{
  gsize children = 0;
  gsize flow = 0;

  for (xmlNode *c = block->children; c != NULL; c = c->next)
    {
      if (c->type == XML_ELEMENT_NODE && is_block_name (c->name))
        {
          children++;
          work->max_flow = MAX (work->max_flow, flow);
          flow = 0;
          measure_block (c, work);
        }
      else if (c->type == XML_TEXT_NODE)
        flow += (gsize) xmlStrlen (c->content);
      else if (c->type == XML_ELEMENT_NODE)
        {
          flow += 32;
          measure_inline (c, &flow);
        }
    }
  work->max_flow = MAX (work->max_flow, flow);
  work->max_children = MAX (work->max_children, children);
}

static PageWork
page_work (const char *xhtml,
           gsize       len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = kios_xml_parse (xhtml, len, NULL, &error);
  PageWork           work = { 0, 0 };

  g_assert_no_error (error);
  measure_block (xmlDocGetRootElement (doc), &work);
  return work;
}

/* The most a page may cost: a page touches a few blocks at each level and
 * a flow or two, each cut at a space after KIOS_LIMIT_FLOW_BYTES (or after
 * twice that without one). */
#define PAGE_WORK_BOUND (2 * KIOS_LIMIT_SIBLING_BLOCKS + 2 * KIOS_LIMIT_FLOW_BYTES + 64)

/* The worst chapters under the chapter's layout cost limit: every page of
 * them costs a bounded walk, and one far in is drawn. Each was a quadratic
 * walk before (a page at half way took from 20 s to minutes). */
static void
test_worst_page_bounded (void)
{
  static const struct
  {
    const char *name;
    const char *before;
    const char *unit;
    const char *after;
  } cases[] = {
    { "paragraph", "<p>", "lorem ipsum dolor sit amet consectetur adipiscing elit ", "</p>" },
    { "paragraphs", "", "<p>a</p>", "" },
    { "breaks", "<p>", "<br/>", "</p>" },
    { "spans", "<p>", "<b>a</b> ", "</p>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char            *path = tmp_path ("worst.epub");
      g_autoptr (GString)         body = g_string_new (cases[i].before);
      g_autoptr (GError)          error = NULL;
      g_autoptr (KiosEpub)        epub = NULL;
      g_autoptr (KiosArchiveScan) scan = NULL;
      g_autofree char            *xhtml = NULL;
      const char                 *chapters[1];
      GBytes                     *copy;
      const char                 *data;
      gsize                       len = 0;
      PageWork                    work;

      /* Filled up to the layout cost limit, in steps of 64 units. */
      do
        {
          for (guint k = 0; k < 64; k++)
            g_string_append (body, cases[i].unit);
          g_free (xhtml);
          xhtml = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                   "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title></head>"
                                   "<body>%s%s</body></html>",
                                   body->str, cases[i].after);
        }
      while (kios_flow_layout_cost (xhtml, strlen (xhtml)) +
                 64 * (strlen (cases[i].unit) + 2 * KIOS_LIMIT_ELEMENT_BYTES) <=
             KIOS_LIMIT_CHAPTER_BYTES);
      g_test_message ("%s: %zu bytes, layout cost %zu", cases[i].name, strlen (xhtml),
                      kios_flow_layout_cost (xhtml, strlen (xhtml)));

      /* As the book has it, a page would walk the whole chapter. */
      work = page_work (xhtml, strlen (xhtml));
      g_assert_cmpuint (work.max_children + work.max_flow, >, PAGE_WORK_BOUND);

      chapters[0] = xhtml;
      kios_test_epub_write (path, chapters, 1, NULL);
      epub = kios_epub_open (path, &error);
      g_assert_no_error (error);
      scan = kios_archive_scan_new (epub, NULL, &error);
      g_assert_no_error (error);
      g_assert_null (kios_archive_scan_get_refusal (scan, "OEBPS/c0.xhtml"));

      /* As MuPDF gets it, a page walks a bounded part. */
      copy = g_hash_table_lookup (kios_archive_scan_get_replacements (scan), "OEBPS/c0.xhtml");
      g_assert_nonnull (copy);
      data = g_bytes_get_data (copy, &len);
      work = page_work (data, len);
      g_test_message ("%s: %zu block children, flows of %zu", cases[i].name, work.max_children,
                      work.max_flow);
      g_assert_cmpuint (work.max_children, <=, 2 * KIOS_LIMIT_SIBLING_BLOCKS);
      g_assert_cmpuint (work.max_flow, <=, 2 * KIOS_LIMIT_FLOW_BYTES + 64);
    }

  /* One chapter of tiny paragraphs, drawn far in. */
  {
    g_autofree char         *path = tmp_path ("worst-drawn.epub");
    g_autoptr (GString)      body = g_string_new (NULL);
    g_autoptr (GError)       error = NULL;
    g_autoptr (KiosDocument) doc = NULL;
    g_autoptr (KiosPage)     page = NULL;
    g_autofree char         *xhtml = NULL;
    const char              *chapters[1];
    KiosLayout               layout = { 400, 600, 16, 0 };
    KiosPageRequest          request;

    for (guint k = 0; k < 40000; k++)
      g_string_append (body, "<p>a</p>");
    xhtml = kios_test_xhtml (body->str);
    chapters[0] = xhtml;
    kios_test_epub_write (path, chapters, 1, NULL);
    doc = kios_document_open_sync (path, &error);
    g_assert_no_error (error);
    kios_document_set_layout (doc, &layout);
    kios_page_request_init (&request);
    request.location = (KiosLocation){ 0, 500 };
    page = kios_document_render_sync (doc, &request, &error);
    g_assert_no_error (error);
    g_assert_null (page->error_message);
    g_assert_cmpint (page->location.page, ==, 500);
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  tmp_dir = g_dir_make_tmp ("kios-hostile-XXXXXX", NULL);

  kios_test_add_func ("/kios/hostile/deep-nesting", test_deep_nesting);
  kios_test_add_func ("/kios/hostile/huge-word", test_huge_word);
  kios_test_add_func ("/kios/hostile/missing-chapter", test_missing_chapter);
  kios_test_add_func ("/kios/hostile/malformed-xhtml", test_malformed_xhtml);
  kios_test_add_func ("/kios/hostile/refused-books", test_refused_books);
  kios_test_add_func ("/kios/hostile/font-obfuscation-opens", test_font_obfuscation_opens);
  kios_test_add_func ("/kios/hostile/empty-spine", test_empty_spine);
  kios_test_add_func ("/kios/hostile/garbled-pdf", test_random_pdf);
  kios_test_add_func ("/kios/hostile/worst-page-bounded", test_worst_page_bounded);

  status = g_test_run ();

  {
    g_autoptr (GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char      *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = tmp_path (name);

        g_unlink (path);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return status;
}
