/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-library"

#include "config.h"

#include "kiosctl.h"

#include "kios-book-hash.h"
#include "kios-error.h"
#include "kios-library.h"

#include <stdio.h>
#include <string.h>

/* kiosctl library list|remove|add-folder|rescan: the same KiosLibrary the
 * app uses, over the same store. */

static KiosLibrary *
open_library (void)
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = kiosctl_open_store (&error);

  if (store == NULL)
    {
      kiosctl_fail_error (error, NULL, NULL);
      return NULL;
    }
  return kios_library_new (store);
}

static JsonNode *
book_node (const KiosBookRecord *book)
{
  g_autoptr (JsonObject) object = json_object_new ();
  JsonNode              *node;

  kiosctl_set_string (object, "hash", book->hash);
  kiosctl_set_string (object, "title", book->title);
  kiosctl_set_string (object, "authors", book->authors);
  kiosctl_set_string (object, "series", book->series);
  kiosctl_set_string (object, "path", book->path);
  kiosctl_set_string (object, "format", book->format);
  json_object_set_double_member (object, "progress", book->progress);
  json_object_set_boolean_member (object, "missing", book->missing);
  json_object_set_string_member (object, "state",
                                 kios_book_state_to_string (kios_book_record_get_state (book)));
  json_object_set_boolean_member (object, "downloaded", book->downloaded);
  kiosctl_set_time (object, "added", book->added_at);
  kiosctl_set_time (object, "last_opened", book->last_opened_at);
  kiosctl_set_time (object, "finished", book->finished_at);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

static int
cmd_list (int    argc,
          char **argv)
{
  g_autoptr (KiosLibrary) library = NULL;
  g_autoptr (GPtrArray)   books = NULL;
  g_autoptr (GError)      error = NULL;
  KiosLibrarySort         sort = KIOS_LIBRARY_SORT_RECENT;
  const char             *search = NULL;
  gboolean                json = FALSE;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (strcmp (argv[i], "--sort") == 0 && i + 1 < argc)
        {
          if (!kios_library_sort_from_string (argv[++i], &sort))
            return kiosctl_usage ("unknown sort “%s” (title, author, recent, added or progress)", argv[i]);
        }
      else if (strcmp (argv[i], "--search") == 0 && i + 1 < argc)
        search = argv[++i];
      else
        return kiosctl_usage ("usage: kiosctl library list [--json] [--sort title|author|recent|added|progress] [--search TEXT]");
    }

  library = open_library ();
  if (library == NULL)
    return KIOSCTL_EXIT_ERROR;
  books = kios_library_list (library, sort, search, &error);
  if (books == NULL)
    return kiosctl_fail_error (error, NULL, NULL);

  if (json)
    {
      g_autoptr (JsonArray)  array = json_array_sized_new (books->len);
      g_autoptr (JsonObject) root = json_object_new ();
      g_autoptr (JsonNode)   node = json_node_new (JSON_NODE_OBJECT);

      for (guint i = 0; i < books->len; i++)
        json_array_add_element (array, book_node (g_ptr_array_index (books, i)));
      json_object_set_array_member (root, "books", g_steal_pointer (&array));
      json_node_set_object (node, root);
      kiosctl_print_json (node);
      return KIOSCTL_EXIT_OK;
    }

  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);

      printf ("%-8s %5.1f%%  %s%s%s  %s\n", kios_book_state_to_string (kios_book_record_get_state (book)),
              book->progress * 100.0, book->title != NULL ? book->title : "",
              book->authors != NULL ? " — " : "", book->authors != NULL ? book->authors : "",
              book->path != NULL ? book->path : "");
    }
  return KIOSCTL_EXIT_OK;
}

static gboolean
looks_like_hash (const char *text)
{
  if (strlen (text) != 32)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* The book a FILE|HASH argument names: a hash, a path the library knows, or
 * a file whose KOReader hash it knows. */
static char *
find_book (KiosLibrary *library,
           const char  *arg)
{
  KiosLibraryStore          *store = kios_library_get_store (library);
  g_autoptr (KiosBookRecord) book = NULL;
  g_autofree char           *path = NULL;

  if (looks_like_hash (arg))
    {
      g_autofree char *lower = g_ascii_strdown (arg, -1);

      book = kios_library_store_get_book (store, lower, NULL);
      if (book != NULL)
        return g_strdup (book->hash);
    }
  path = g_canonicalize_filename (arg, NULL);
  book = kios_library_store_get_book_by_path (store, path, NULL);
  if (book != NULL)
    return g_strdup (book->hash);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *hash = kios_book_hash_file (path, NULL);

      if (hash != NULL)
        book = kios_library_store_get_book (store, hash, NULL);
      if (book != NULL)
        return g_strdup (book->hash);
    }
  return NULL;
}

static int
cmd_remove (int    argc,
            char **argv)
{
  g_autoptr (KiosSyncService)    service = NULL;
  g_autoptr (KiosLibrary)        library = NULL;
  g_autoptr (KiosLibraryRemoval) removal = NULL;
  g_autoptr (GError)             error = NULL;
  g_autofree char               *notice = NULL;
  g_autofree char               *hash = NULL;
  const char                    *target = NULL;
  gboolean                       delete_file = FALSE;
  gboolean                       annotations = FALSE;
  int                            n_annotations;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--delete-file") == 0)
        delete_file = TRUE;
      else if (strcmp (argv[i], "--annotations") == 0)
        annotations = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return kiosctl_usage ("usage: kiosctl library remove [--delete-file] [--annotations] FILE|HASH");
      else if (target == NULL)
        target = argv[i];
      else
        return kiosctl_usage ("usage: kiosctl library remove [--delete-file] [--annotations] FILE|HASH");
    }
  if (target == NULL)
    return kiosctl_usage ("usage: kiosctl library remove [--delete-file] [--annotations] FILE|HASH");

  library = open_library ();
  if (library == NULL)
    return KIOSCTL_EXIT_ERROR;
  hash = find_book (library, target);
  if (hash == NULL)
    return kiosctl_fail ("%s is not in the library", target);
  /* A pending sync push is sent before the book goes, as in the app. */
  service = kios_sync_service_new (kios_library_get_store (library));
  kios_library_set_sync_service (library, service);

  removal = kios_library_remove (library, hash, delete_file, &notice, &error);
  if (removal == NULL)
    {
      if (g_error_matches (error, KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_NOT_DOWNLOADED))
        return kiosctl_fail ("%s was not downloaded by Kios, so its file is not deleted; "
                             "remove it without --delete-file",
                             target);
      return kiosctl_fail_error_in (error, NULL, "cannot remove %s", target);
    }
  if (notice != NULL)
    fprintf (stderr, "kiosctl: %s\n", notice);
  printf ("Removed “%s”%s\n", kios_library_removal_get_title (removal) != NULL ? kios_library_removal_get_title (removal) : hash,
          delete_file ? " and deleted its file" : "");
  /* Annotations stay keyed by hash unless asked for: the book added again
   * gets them back. */
  n_annotations = kios_library_removal_get_n_annotations (removal);
  kios_library_removal_set_drop_annotations (removal, annotations);
  if (n_annotations > 0 && annotations)
    printf ("Removed its %d annotation%s\n", n_annotations, n_annotations == 1 ? "" : "s");
  else if (n_annotations > 0)
    printf ("Kept its %d annotation%s (they come back if the book is added again; "
            "remove them with --annotations)\n",
            n_annotations, n_annotations == 1 ? "" : "s");
  /* Freeing the removal ends its undo window: a deleted file goes now. */
  return KIOSCTL_EXIT_OK;
}

static int
rescan (KiosLibrary *library)
{
  g_autoptr (GError) error = NULL;
  guint              n_added = 0;
  guint              n_missing = 0;

  if (!kios_library_rescan (library, &n_added, &n_missing, NULL, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot scan the books folders");
  printf ("%u new %s, %u missing\n", n_added, n_added == 1 ? "book" : "books", n_missing);
  return KIOSCTL_EXIT_OK;
}

static int
cmd_add_folder (int    argc,
                char **argv)
{
  g_autoptr (KiosLibrary) library = NULL;
  g_autoptr (GError)      error = NULL;

  if (argc != 2 || argv[1][0] == '-')
    return kiosctl_usage ("usage: kiosctl library add-folder DIR");

  library = open_library ();
  if (library == NULL)
    return KIOSCTL_EXIT_ERROR;
  if (!kios_library_add_folder (library, argv[1], &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return kiosctl_fail ("%s does not exist", argv[1]);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
        return kiosctl_fail ("%s is not a folder", argv[1]);
      return kiosctl_fail_error_in (error, NULL, "cannot add %s", argv[1]);
    }
  return rescan (library);
}

static int
cmd_rescan (int    argc,
            char **argv)
{
  g_autoptr (KiosLibrary) library = NULL;

  (void) argv;
  if (argc != 1)
    return kiosctl_usage ("usage: kiosctl library rescan");
  library = open_library ();
  if (library == NULL)
    return KIOSCTL_EXIT_ERROR;
  return rescan (library);
}

int
kiosctl_cmd_library (int    argc,
                     char **argv)
{
  if (argc < 2)
    return kiosctl_usage ("usage: kiosctl library list|remove|add-folder|rescan …");
  if (strcmp (argv[1], "list") == 0)
    return cmd_list (argc - 1, argv + 1);
  if (strcmp (argv[1], "remove") == 0)
    return cmd_remove (argc - 1, argv + 1);
  if (strcmp (argv[1], "add-folder") == 0)
    return cmd_add_folder (argc - 1, argv + 1);
  if (strcmp (argv[1], "rescan") == 0)
    return cmd_rescan (argc - 1, argv + 1);
  return kiosctl_usage ("unknown library command “%s”", argv[1]);
}
