/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * For every page of every sample EPUB, at two font sizes: the page's
 * xpointer resolves back to the same page (and the same first word), in the
 * classic crengine form and in the newer form where every step has [1].
 */

#include "config.h"

#include "kios-document.h"
#include "kios-test-util.h"

#include <string.h>

/* /body/DocFragment[3]/body/div/p[2]/text().5 -> …/body[1]/div[1]/p[2]/text()[1].5 */
static char *
to_indexed_form (const char *xpointer)
{
  GString    *out = g_string_new (NULL);
  const char *p = xpointer;

  while (*p != '\0')
    {
      const char *end;

      g_assert_true (*p == '/');
      g_string_append_c (out, '/');
      p++;
      end = p;
      while (*end != '\0' && *end != '/' && *end != '.' && *end != '[')
        end++;
      /* "text()" contains no '.', '/' or '['; an offset follows as ".N". */
      g_string_append_len (out, p, end - p);
      if (*end == '[')
        {
          const char *close = strchr (end, ']');

          g_assert_nonnull (close);
          g_string_append_len (out, end, close - end + 1);
          end = close + 1;
        }
      else
        g_string_append (out, "[1]");
      p = end;
      if (*p == '.')
        {
          g_string_append (out, p);
          break;
        }
    }

  return g_string_free (out, FALSE);
}

static void
check_book (gconstpointer data)
{
  const char              *name = data;
  g_autofree char         *path = kios_test_book (name);
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = kios_document_open_sync (path, &error);
  const double             sizes[] = { 16, 26 };
  guint                    pages = 0;

  g_assert_no_error (error);

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      KiosLayout           layout = { 520, 720, sizes[s], 0 };
      KiosPageRequest      request;
      g_autoptr (KiosPage) page = NULL;

      kios_document_set_layout (doc, &layout);
      kios_page_request_init (&request);
      request.position_only = TRUE;
      page = kios_document_render_sync (doc, &request, &error);
      g_assert_no_error (error);

      for (;;)
        {
          g_autoptr (KiosPosition) query = kios_position_new ();
          g_autoptr (KiosPosition) back = NULL;
          g_autoptr (KiosPosition) back_indexed = NULL;
          g_autoptr (KiosPage)     next = NULL;
          g_autofree char         *indexed = NULL;

          g_assert_nonnull (page->position->xpointer);
          query->format = KIOS_BOOK_FORMAT_EPUB;
          query->chapter = -1;
          query->xpointer = g_strdup (page->position->xpointer);
          back = kios_document_normalize_position (doc, query, &error);
          g_assert_no_error (error);
          if (back->chapter != page->position->chapter || back->offset != page->position->offset)
            g_error ("%s at %.0f px: page (%d, %d) %s came back as chapter %d offset %" G_GINT64_FORMAT
                     " instead of %" G_GINT64_FORMAT,
                     name, sizes[s], page->location.chapter, page->location.page,
                     page->position->xpointer, back->chapter, back->offset, page->position->offset);
          g_assert_cmpstr (back->xpointer, ==, page->position->xpointer);

          indexed = to_indexed_form (page->position->xpointer);
          g_free (query->xpointer);
          query->xpointer = g_strdup (indexed);
          back_indexed = kios_document_normalize_position (doc, query, &error);
          g_assert_no_error (error);
          g_assert_cmpint (back_indexed->offset, ==, page->position->offset);

          pages++;
          if (page->is_last)
            break;

          request.kind = KIOS_PAGE_REQUEST_NEXT;
          request.location = page->location;
          next = kios_document_render_sync (doc, &request, &error);
          g_assert_no_error (error);
          g_assert_true (next->location.chapter > page->location.chapter ||
                         next->location.page > page->location.page);
          g_clear_pointer (&page, kios_page_free);
          page = g_steal_pointer (&next);
        }
    }

  g_test_message ("%s: %u pages round-tripped", name, pages);
  g_assert_cmpuint (pages, >, 20);
}

int
main (int   argc,
      char *argv[])
{
  const char *books[] = {
    "pride-and-prejudice.epub",
    "emma.epub",
    "persuasion.epub",
    "sense-and-sensibility.epub",
    "kjv-bible.epub",
  };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (books); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/kios/xpointer-roundtrip/%s", books[i]);

      g_test_add_data_func (test_path, books[i], check_book);
    }

  return g_test_run ();
}
