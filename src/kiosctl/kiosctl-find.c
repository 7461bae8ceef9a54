/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl"

#include "config.h"

#include "kiosctl.h"

#include "kios-book-search.h"

#include <stdio.h>
#include <string.h>

static JsonNode *
hits_to_json (KiosBookSearch *search,
              KiosBookFormat  format)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  guint                   n = g_list_model_get_n_items (G_LIST_MODEL (search));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "hits");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      const KiosSearchHit *hit = kios_book_search_get_hit (search, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "chapter");
      json_builder_add_int_value (builder, hit->chapter);
      json_builder_set_member_name (builder, "chapter_title");
      if (hit->chapter_title != NULL)
        json_builder_add_string_value (builder, hit->chapter_title);
      else
        json_builder_add_null_value (builder);
      if (format == KIOS_BOOK_FORMAT_EPUB)
        {
          json_builder_set_member_name (builder, "xpointer");
          json_builder_add_string_value (builder, hit->xpointer);
        }
      else
        {
          json_builder_set_member_name (builder, "page");
          json_builder_add_int_value (builder, hit->chapter + 1);
        }
      json_builder_set_member_name (builder, "excerpt");
      json_builder_add_string_value (builder, hit->excerpt);
      json_builder_set_member_name (builder, "total_progress");
      json_builder_add_double_value (builder, hit->total_progress);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, n);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

int
kiosctl_cmd_find (int    argc,
                  char **argv)
{
  gboolean                   json = FALSE;
  const char                *file = NULL;
  const char                *query = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosDocument)   doc = NULL;
  g_autoptr (KiosBookSearch) search = NULL;
  KiosBookFormat             format;
  guint                      n;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (strcmp (argv[i], "--") == 0 && i + 1 < argc && query == NULL && file != NULL)
        query = argv[++i];
      else if (argv[i][0] == '-' && argv[i][1] != '\0' && file == NULL)
        return kiosctl_usage ("usage: kiosctl find [--json] FILE QUERY");
      else if (file == NULL)
        file = argv[i];
      else if (query == NULL)
        query = argv[i];
      else
        return kiosctl_usage ("usage: kiosctl find [--json] FILE QUERY");
    }
  if (file == NULL || query == NULL)
    return kiosctl_usage ("usage: kiosctl find [--json] FILE QUERY");

  doc = kios_document_open_sync (file, &error);
  if (doc == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open %s", file);

  format = kios_document_get_format (doc);
  search = kios_book_search_new (doc, query);
  if (search == NULL)
    return kiosctl_usage ("the query has nothing to look for");
  if (!kios_book_search_run_sync (search, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot search %s", file);

  if (json)
    {
      g_autoptr (JsonNode) node = hits_to_json (search, format);

      kiosctl_print_json (node);
      return KIOSCTL_EXIT_OK;
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (search));
  for (guint i = 0; i < n; i++)
    {
      const KiosSearchHit *hit = kios_book_search_get_hit (search, i);
      g_autofree char     *where = NULL;

      if (format == KIOS_BOOK_FORMAT_EPUB)
        where = g_strdup (hit->xpointer);
      else
        where = g_strdup_printf ("page:%d", hit->chapter + 1);
      printf ("%5.1f%%  %s  %s  %s\n", hit->total_progress * 100.0,
              hit->chapter_title != NULL ? hit->chapter_title : "-", where, hit->excerpt);
    }
  fprintf (stderr, "%u hits\n", n);
  return KIOSCTL_EXIT_OK;
}
