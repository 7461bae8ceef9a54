/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-book"

#include "config.h"

#include "kiosctl.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-error.h"

#include <stdio.h>
#include <string.h>

/* Parses `--json` and one positional FILE; anything else is a usage error. */
static gboolean
parse_file_args (int          argc,
                 char       **argv,
                 gboolean    *json,
                 const char **file)
{
  *file = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (json != NULL && strcmp (argv[i], "--json") == 0)
        *json = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return FALSE;
      else if (*file == NULL)
        *file = argv[i];
      else
        return FALSE;
    }
  return *file != NULL;
}

static KiosDocument *
open_book (const char *file)
{
  g_autoptr (GError) error = NULL;
  KiosDocument      *doc = kios_document_open_sync (file, &error);

  if (doc == NULL)
    kiosctl_fail_error_in (error, NULL, "cannot open %s", file);
  return doc;
}

/* Records the book in the library as the app does when it opens one. */
static void
remember_book (KiosLibraryStore *store,
               KiosDocument     *doc)
{
  KiosBookRecord   record = { 0 };
  g_autofree char *authors = g_strjoinv (", ", (char **) kios_document_get_authors (doc));

  record.hash = (char *) kios_document_get_hash (doc);
  record.path = (char *) kios_document_get_path (doc);
  record.size = kios_document_get_size (doc);
  record.format = (char *) kios_book_format_to_string (kios_document_get_format (doc));
  record.title = (char *) kios_document_get_title (doc);
  record.authors = authors;
  kios_library_store_upsert_book (store, &record);
}

int
kiosctl_cmd_hash (int    argc,
                  char **argv)
{
  int status = KIOSCTL_EXIT_OK;

  if (argc < 2)
    return kiosctl_usage ("hash needs at least one FILE");

  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *hash = kios_book_hash_file (argv[i], &error);

      if (hash == NULL)
        status = kiosctl_fail_error_in (error, NULL, "cannot hash %s", argv[i]);
      else
        printf ("%s  %s\n", hash, argv[i]);
    }
  return status;
}

int
kiosctl_cmd_info (int    argc,
                  char **argv)
{
  gboolean                 json = FALSE;
  const char              *file = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  GPtrArray               *toc;
  const char *const       *authors;

  if (!parse_file_args (argc, argv, &json, &file))
    return kiosctl_usage ("usage: kiosctl info [--json] FILE");

  doc = open_book (file);
  if (doc == NULL)
    return KIOSCTL_EXIT_ERROR;

  toc = kios_document_get_toc (doc);
  authors = kios_document_get_authors (doc);

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "file");
      json_builder_add_string_value (builder, kios_document_get_path (doc));
      json_builder_set_member_name (builder, "hash");
      json_builder_add_string_value (builder, kios_document_get_hash (doc));
      json_builder_set_member_name (builder, "format");
      json_builder_add_string_value (builder, kios_book_format_to_string (kios_document_get_format (doc)));
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, kios_document_get_title (doc));
      json_builder_set_member_name (builder, "authors");
      json_builder_begin_array (builder);
      for (int i = 0; authors != NULL && authors[i] != NULL; i++)
        json_builder_add_string_value (builder, authors[i]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "chapters");
      json_builder_add_int_value (builder, kios_document_get_n_chapters (doc));
      json_builder_set_member_name (builder, "toc");
      json_builder_begin_array (builder);
      for (guint i = 0; i < toc->len; i++)
        {
          KiosTocEntry *entry = g_ptr_array_index (toc, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, entry->title);
          json_builder_set_member_name (builder, "level");
          json_builder_add_int_value (builder, entry->level);
          json_builder_set_member_name (builder, "chapter");
          json_builder_add_int_value (builder, entry->chapter);
          json_builder_set_member_name (builder, "href");
          if (entry->href != NULL)
            {
              g_autofree char *href = entry->fragment != NULL
                                          ? g_strdup_printf ("%s#%s", entry->href, entry->fragment)
                                          : g_strdup (entry->href);

              json_builder_add_string_value (builder, href);
            }
          else
            json_builder_add_null_value (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      kiosctl_print_json (root);
      return KIOSCTL_EXIT_OK;
    }

  printf ("File:     %s\n", kios_document_get_path (doc));
  printf ("Hash:     %s\n", kios_document_get_hash (doc));
  printf ("Format:   %s\n", kios_book_format_to_string (kios_document_get_format (doc)));
  printf ("Title:    %s\n", kios_document_get_title (doc));
  {
    g_autofree char *joined = g_strjoinv (", ", (char **) authors);

    printf ("Authors:  %s\n", joined);
  }
  printf ("Chapters: %d\n", kios_document_get_n_chapters (doc));
  printf ("Contents:\n");
  for (guint i = 0; i < toc->len; i++)
    {
      KiosTocEntry *entry = g_ptr_array_index (toc, i);

      printf ("  %*s%s  (chapter %d%s%s)\n", entry->level * 2, "", entry->title, entry->chapter,
              entry->href != NULL ? ", " : "", entry->href != NULL ? entry->href : "");
    }
  return KIOSCTL_EXIT_OK;
}

static void
print_position (const KiosPosition *position,
                gboolean            json)
{
  g_autoptr (JsonNode) node = kios_position_to_json (position);
  JsonObject          *object = json_node_get_object (node);

  if (json)
    {
      kiosctl_print_json (node);
      return;
    }

  {
    g_autoptr (GList) members = json_object_get_members (object);

    for (GList *l = members; l != NULL; l = l->next)
      {
        JsonNode        *member = json_object_get_member (object, l->data);
        g_autofree char *value = NULL;

        if (JSON_NODE_HOLDS_NULL (member))
          continue;
        if (json_node_get_value_type (member) == G_TYPE_STRING)
          value = g_strdup (json_node_get_string (member));
        else
          value = json_to_string (member, FALSE);
        printf ("%-17s %s\n", (const char *) l->data, value);
      }
  }
}

int
kiosctl_cmd_position (int    argc,
                      char **argv)
{
  gboolean                     json = FALSE;
  const char                  *file = NULL;
  const char                  *set = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GPtrArray)        rest = g_ptr_array_new ();

  g_ptr_array_add (rest, argv[0]);
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--set") == 0)
        {
          if (i + 1 >= argc)
            return kiosctl_usage ("--set needs a position");
          set = argv[++i];
        }
      else if (g_str_has_prefix (argv[i], "--set="))
        set = argv[i] + 6;
      else
        g_ptr_array_add (rest, argv[i]);
    }

  if (!parse_file_args ((int) rest->len, (char **) rest->pdata, &json, &file))
    return kiosctl_usage ("usage: kiosctl position [--json] FILE [--set POS]");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");

  if (set != NULL)
    {
      g_autoptr (KiosDocument) doc = open_book (file);
      g_autoptr (KiosPosition) position = NULL;

      if (doc == NULL)
        return KIOSCTL_EXIT_ERROR;

      position = kios_document_parse_position (doc, set, &error);
      if (position == NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot use the position %s", set);

      remember_book (store, doc);
      kios_library_store_save_position (store, kios_document_get_hash (doc), position);
      if (!kios_library_store_flush (store, 10000))
        return kiosctl_fail ("the library did not confirm the write in time");

      print_position (position, json);
      return KIOSCTL_EXIT_OK;
    }
  else
    {
      g_autofree char         *hash = kios_book_hash_file (file, &error);
      g_autoptr (KiosPosition) position = NULL;

      if (hash == NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot read %s", file);

      position = kios_library_store_get_position (store, hash, &error);
      if (position == NULL &&
          (error == NULL || g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND)))
        return kiosctl_fail ("no reading position is saved for %s", file);
      if (position == NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot read the library");

      print_position (position, json);
      return KIOSCTL_EXIT_OK;
    }
}

static gboolean
parse_size (const char *text,
            int        *width,
            int        *height)
{
  g_auto (GStrv) parts = g_strsplit (text, "x", 2);
  guint64        w = 0, h = 0;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 64, 8192, &w, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 64, 8192, &h, NULL))
    return FALSE;

  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

int
kiosctl_cmd_render (int    argc,
                    char **argv)
{
  const char              *file = NULL, *at = NULL, *size = NULL, *out = NULL;
  double                   font_size = 18;
  int                      width = 0, height = 0;
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPosition) position = NULL;
  g_autoptr (KiosPage)     page = NULL;
  KiosPageRequest          request;
  KiosLayout               layout = { 0 };

  for (int i = 1; i < argc; i++)
    {
      const char **target = NULL;

      if (strcmp (argv[i], "--at") == 0)
        target = &at;
      else if (strcmp (argv[i], "--size") == 0)
        target = &size;
      else if (strcmp (argv[i], "-o") == 0 || strcmp (argv[i], "--output") == 0)
        target = &out;
      else if (strcmp (argv[i], "--font-size") == 0)
        {
          char *end = NULL;

          if (i + 1 >= argc)
            return kiosctl_usage ("--font-size needs a value");
          font_size = g_ascii_strtod (argv[++i], &end);
          if (*end != '\0' || !(font_size >= 4 && font_size <= 96))
            return kiosctl_usage ("--font-size must be a number from 4 to 96");
          continue;
        }
      else if (argv[i][0] == '-')
        return kiosctl_usage ("unknown option “%s”", argv[i]);
      else if (file == NULL)
        {
          file = argv[i];
          continue;
        }
      else
        return kiosctl_usage ("render takes one FILE");

      if (i + 1 >= argc)
        return kiosctl_usage ("%s needs a value", argv[i]);
      *target = argv[++i];
    }

  if (file == NULL || at == NULL || size == NULL || out == NULL)
    return kiosctl_usage ("usage: kiosctl render FILE --at POS --size WxH [--font-size PX] -o OUT.png");
  if (!parse_size (size, &width, &height))
    return kiosctl_usage ("--size must be WIDTHxHEIGHT, each from 64 to 8192");

  doc = open_book (file);
  if (doc == NULL)
    return KIOSCTL_EXIT_ERROR;

  layout.width = width;
  layout.height = height;
  layout.font_size = font_size;
  layout.line_spacing = 0;
  kios_document_set_layout (doc, &layout);

  position = kios_document_parse_position (doc, at, &error);
  if (position == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot use the position %s", at);

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  request.position = position;
  request.box_width = width;
  request.box_height = height;
  request.fit = KIOS_FIT_PAGE;

  page = kios_document_render_sync (doc, &request, &error);
  if (page == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot render");
  if (!kios_page_save_png (page, out, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot save %s", out);

  printf ("%s\n", out);
  return KIOSCTL_EXIT_OK;
}
