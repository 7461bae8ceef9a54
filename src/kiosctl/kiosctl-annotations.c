/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl"

#include "config.h"

#include "kiosctl.h"

#include "kios-annotation-export.h"
#include "kios-annotation-text.h"
#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-error.h"
#include "kios-koreader-sidecar.h"

#include <stdio.h>
#include <string.h>

/*
 * kiosctl annotations [--json] FILE
 * kiosctl annotate FILE --highlight FROM TO [--color C] [--note TEXT]
 * kiosctl annotate FILE --bookmark POS
 * kiosctl annotate FILE --delete ID
 * kiosctl export --markdown FILE
 * kiosctl export --koreader FILE
 *
 * KOReader's own highlights and bookmarks, in the sidecar it keeps next to
 * the book, are listed with the book's (origin "koreader"); export
 * --koreader writes Kios's into that sidecar. Both delete from the library
 * Kios's own that KOReader deleted there, as the app does.
 */

#define ANNOTATE_USAGE                                                         \
  "usage: kiosctl annotate FILE --highlight FROM TO [--color C] [--note TEXT]" \
  " | --bookmark POS | --delete ID [--json]"

/* Words of a bookmark's text. */
#define BOOKMARK_WORDS 10

/* The kind as PRODUCT.md's contract names it: a highlight with a note is
 * a note. */
static const char *
kind_word (const KiosAnnotation *a)
{
  if (a->kind == KIOS_ANNOTATION_BOOKMARK)
    return "bookmark";
  return a->note != NULL && *a->note != '\0' ? "note" : "highlight";
}

/* KOReader's pos0/pos1: an EPUB point's xpointer, a PDF point's page. */
static JsonNode *
point_node (const KiosPosition *pos)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  if (pos == NULL)
    return json_node_init_null (node);
  if (pos->format == KIOS_BOOK_FORMAT_PDF)
    json_node_set_int (node, kios_position_get_page (pos));
  else if (pos->xpointer != NULL)
    json_node_set_string (node, pos->xpointer);
  else
    json_node_init_null (node);
  return node;
}

/* {"id","kind","start","end","pos0","pos1","text","note","color",
 * "chapter_title","created_at","created","updated","origin"}: positions in
 * kiosctl's position form, times in ISO 8601 (created_at and created are
 * the same time). */
static JsonNode *
annotation_node (const KiosAnnotation *a)
{
  JsonObject *object = json_object_new ();
  JsonNode   *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "id", a->id);
  json_object_set_string_member (object, "kind", kind_word (a));
  json_object_set_member (object, "start", kiosctl_position_node (a->start));
  if (a->end != NULL)
    json_object_set_member (object, "end", kios_position_to_json (a->end));
  else
    json_object_set_null_member (object, "end");
  json_object_set_member (object, "pos0", point_node (a->start));
  json_object_set_member (object, "pos1", point_node (a->end));
  kiosctl_set_string (object, "text", a->text);
  kiosctl_set_string (object, "note", a->note);
  kiosctl_set_string (object, "color", a->color);
  kiosctl_set_string (object, "chapter_title", a->chapter_title);
  kiosctl_set_time (object, "created_at", a->created_at);
  kiosctl_set_time (object, "created", a->created_at);
  kiosctl_set_time (object, "updated", a->updated_at);
  kiosctl_set_string (object, "origin", a->origin != NULL ? a->origin : "kios");
  json_node_take_object (node, object);
  return node;
}

static char *
one_line (const char *text)
{
  g_auto (GStrv)      words = g_strsplit_set (text != NULL ? text : "", " \n\t\r", -1);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      {
        if (out->len > 0)
          g_string_append_c (out, ' ');
        g_string_append (out, words[i]);
      }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
print_annotation (const KiosAnnotation *a)
{
  g_autofree char *text = one_line (a->text);

  printf ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", a->id, kind_word (a),
          a->color != NULL ? a->color : "-", a->chapter_title != NULL ? a->chapter_title : "-", text);
  if (a->note != NULL)
    {
      g_autofree char *note = one_line (a->note);

      printf ("\tnote: %s\n", note);
    }
}

/* The book's stored annotations, by the file's hash; NULL after a message. */
static GPtrArray *
list_for_file (KiosLibraryStore *store,
               const char       *file,
               char            **hash_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *hash = kios_book_hash_file (file, &error);
  GPtrArray         *list;

  if (hash == NULL)
    {
      kiosctl_fail_error_in (error, NULL, "cannot read %s", file);
      return NULL;
    }
  list = kios_library_store_list_annotations (store, hash, &error);
  if (list == NULL)
    {
      kiosctl_fail_error_in (error, NULL, "cannot read the library");
      return NULL;
    }
  if (hash_out != NULL)
    *hash_out = g_steal_pointer (&hash);
  return list;
}

/* Says why KOReader's sidecar is left alone, in words for a person; the
 * core's detail goes to the debug log. */
static void
warn_sidecar (const char   *path,
              const GError *error)
{
  const char *why;

  g_debug ("KOReader sidecar %s: %s", path, error->message);
  if (g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX))
    why = "it is larger or more deeply nested than any file KOReader writes";
  else if (g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED))
    why = "it is not a plain table of settings (it is damaged, or it holds code)";
  else if (g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID))
    why = "KOReader keeps it in a form Kios does not write (open the book in KOReader once), or it changed "
          "while Kios was writing";
  else
    why = "it cannot be read";
  fprintf (stderr, "kiosctl: leaving KOReader's notes in %s alone: %s\n", path, why);
}

/* Deletes from the store Kios's own that KOReader deleted from the
 * sidecar (deleted, element-type KiosAnnotation), and keeps seen without
 * their places. FALSE, said, when the store cannot. */
static gboolean
forget_deleted (KiosLibraryStore *store,
                const char       *hash,
                GHashTable       *seen,
                GPtrArray        *deleted)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *now = NULL;

  if (deleted->len == 0)
    return TRUE;
  for (guint i = 0; i < deleted->len; i++)
    {
      KiosAnnotation *a = g_ptr_array_index (deleted, i);

      if (!kios_library_store_delete_annotation (store, a->id, &error) &&
          !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        {
          kiosctl_fail_error_in (error, NULL, "cannot delete an annotation");
          return FALSE;
        }
      g_clear_error (&error);
    }
  now = kios_koreader_sidecar_places_to_string (seen);
  kios_library_store_set_book_meta (store, hash, KIOS_KOREADER_SIDECAR_SEEN_KEY, *now != '\0' ? now : NULL);
  if (!kios_library_store_flush_checked (store, 10000, &error))
    {
      kiosctl_fail_error_in (error, NULL, "cannot write the library");
      return FALSE;
    }
  return TRUE;
}

/* The places of the book Kios last saw in its sidecar or wrote there. */
static GHashTable *
load_seen (KiosLibraryStore *store,
           const char       *hash)
{
  g_autofree char *text = kios_library_store_get_book_meta (store, hash, KIOS_KOREADER_SIDECAR_SEEN_KEY);

  return kios_koreader_sidecar_places_from_string (text);
}

int
kiosctl_cmd_annotations (int    argc,
                         char **argv)
{
  gboolean                     json = FALSE;
  const char                  *file = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GPtrArray)        list = NULL;
  g_autofree char             *hash = NULL;
  g_autoptr (GHashTable)       seen = NULL;
  g_autoptr (GPtrArray)        deleted = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return kiosctl_usage ("usage: kiosctl annotations [--json] FILE");
      else if (file == NULL)
        file = argv[i];
      else
        return kiosctl_usage ("usage: kiosctl annotations [--json] FILE");
    }
  if (file == NULL)
    return kiosctl_usage ("usage: kiosctl annotations [--json] FILE");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");
  list = list_for_file (store, file, &hash);
  if (list == NULL)
    return KIOSCTL_EXIT_ERROR;
  seen = load_seen (store, hash);
  if (!kios_koreader_sidecar_add_from_book (list, file, hash, seen, deleted, &error))
    {
      g_autofree char *path = kios_koreader_sidecar_path_for_book (file);

      warn_sidecar (path, error);
    }
  if (!forget_deleted (store, hash, seen, deleted))
    return KIOSCTL_EXIT_ERROR;

  if (json)
    {
      g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
      JsonObject          *object = json_object_new ();
      JsonArray           *array = json_array_new ();

      for (guint i = 0; i < list->len; i++)
        json_array_add_element (array, annotation_node (g_ptr_array_index (list, i)));
      json_object_set_array_member (object, "annotations", array);
      json_node_take_object (root, object);
      kiosctl_print_json (root);
    }
  else
    {
      for (guint i = 0; i < list->len; i++)
        print_annotation (g_ptr_array_index (list, i));
      if (list->len == 0)
        printf ("No annotations for %s\n", file);
    }
  return KIOSCTL_EXIT_OK;
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

/* A POS argument as a position. The page forms give the page's first word;
 * an xpointer gives exactly its character, which the page position would
 * round down to its page. */
static KiosPosition *
parse_point (KiosDocument       *doc,
             KiosAnnotationText *text,
             const char         *arg)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosPosition) pos = kios_document_parse_position (doc, arg, &error);

  if (pos == NULL)
    {
      kiosctl_fail_error_in (error, NULL, "cannot use the position %s", arg);
      return NULL;
    }
  if (text != NULL && g_str_has_prefix (arg, "/body/DocFragment["))
    {
      int    chapter;
      gint64 offset;

      if (!kios_annotation_text_resolve (text, arg, &chapter, &offset, &error))
        {
          kiosctl_fail ("%s does not point at text in this book", arg);
          return NULL;
        }
      if (chapter != pos->chapter)
        g_clear_pointer (&pos->chapter_href, g_free);
      pos->chapter = chapter;
      pos->offset = offset;
      g_clear_pointer (&pos->xpointer, g_free);
    }
  return g_steal_pointer (&pos);
}

static int
annotate_delete (KiosLibraryStore *store,
                 const char       *file,
                 const char       *id_text)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *hash = NULL;
  g_autoptr (GPtrArray) list = NULL;
  guint64               id = 0;
  gboolean              found = FALSE;

  if (!g_ascii_string_to_unsigned (id_text, 10, 1, G_MAXINT64, &id, NULL))
    return kiosctl_usage ("--delete needs an annotation id (a number from “kiosctl annotations”)");

  /* Only an annotation of this book: an id from another book is a slip. */
  list = list_for_file (store, file, &hash);
  if (list == NULL)
    return KIOSCTL_EXIT_ERROR;
  for (guint i = 0; i < list->len && !found; i++)
    found = ((KiosAnnotation *) g_ptr_array_index (list, i))->id == (gint64) id;
  if (!found)
    return kiosctl_fail ("%s has no annotation %" G_GUINT64_FORMAT, file, id);

  if (!kios_library_store_delete_annotation (store, (gint64) id, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot delete annotation %" G_GUINT64_FORMAT, id);
  printf ("Deleted annotation %" G_GUINT64_FORMAT "\n", id);
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_cmd_annotate (int    argc,
                      char **argv)
{
  const char                    *file = NULL;
  const char                    *from = NULL;
  const char                    *to = NULL;
  const char                    *bookmark = NULL;
  const char                    *delete_id = NULL;
  const char                    *color = NULL;
  const char                    *note = NULL;
  gboolean                       json = FALSE;
  int                            modes = 0;
  g_autoptr (GError)             error = NULL;
  g_autoptr (KiosLibraryStore)   store = NULL;
  g_autoptr (KiosDocument)       doc = NULL;
  g_autoptr (KiosAnnotationText) text = NULL;
  g_autoptr (KiosAnnotation)     a = NULL;

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--highlight") == 0)
        {
          if (i + 2 >= argc)
            return kiosctl_usage ("--highlight needs FROM and TO positions");
          from = argv[++i];
          to = argv[++i];
          modes++;
        }
      else if (strcmp (arg, "--bookmark") == 0)
        {
          if (i + 1 >= argc)
            return kiosctl_usage ("--bookmark needs a position");
          bookmark = argv[++i];
          modes++;
        }
      else if (strcmp (arg, "--delete") == 0)
        {
          if (i + 1 >= argc)
            return kiosctl_usage ("--delete needs an annotation id");
          delete_id = argv[++i];
          modes++;
        }
      else if (strcmp (arg, "--color") == 0 || strcmp (arg, "--colour") == 0)
        {
          if (i + 1 >= argc)
            return kiosctl_usage ("--color needs yellow, green, blue or red");
          color = argv[++i];
        }
      else if (strcmp (arg, "--note") == 0)
        {
          if (i + 1 >= argc)
            return kiosctl_usage ("--note needs a text");
          note = argv[++i];
        }
      else if (strcmp (arg, "--json") == 0)
        json = TRUE;
      else if (arg[0] == '-' && arg[1] != '\0')
        return kiosctl_usage ("unknown option “%s”; " ANNOTATE_USAGE, arg);
      else if (file == NULL)
        file = arg;
      else
        return kiosctl_usage (ANNOTATE_USAGE);
    }

  if (file == NULL || modes != 1)
    return kiosctl_usage (ANNOTATE_USAGE);
  if ((color != NULL || note != NULL) && from == NULL)
    return kiosctl_usage ("--color and --note go with --highlight");
  if (color != NULL && !kios_annotation_color_is_valid (color))
    return kiosctl_usage ("“%s” is not a highlight colour: use yellow, green, blue or red", color);

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");

  if (delete_id != NULL)
    return annotate_delete (store, file, delete_id);

  doc = kios_document_open_sync (file, &error);
  if (doc == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open %s", file);
  if (kios_document_get_format (doc) == KIOS_BOOK_FORMAT_EPUB)
    {
      text = kios_annotation_text_new (file, &error);
      if (text == NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot open %s", file);
    }
  else if (from != NULL)
    return kiosctl_fail ("highlights need an EPUB: a PDF page has no words Kios can quote yet");

  a = kios_annotation_new ();
  a->hash = g_strdup (kios_document_get_hash (doc));
  a->origin = g_strdup ("kios");
  if (from != NULL)
    {
      a->kind = KIOS_ANNOTATION_HIGHLIGHT;
      a->start = parse_point (doc, text, from);
      if (a->start == NULL)
        return KIOSCTL_EXIT_ERROR;
      a->end = parse_point (doc, text, to);
      if (a->end == NULL)
        return KIOSCTL_EXIT_ERROR;
      if (a->end->chapter < a->start->chapter ||
          (a->end->chapter == a->start->chapter && a->end->offset <= a->start->offset))
        return kiosctl_fail ("the highlight must end after it starts (%s is not after %s)", to, from);
      a->color = g_strdup (color != NULL ? color : KIOS_ANNOTATION_COLOR_DEFAULT);
      a->note = g_strdup (note != NULL && *note != '\0' ? note : NULL);
    }
  else
    {
      a->kind = KIOS_ANNOTATION_BOOKMARK;
      a->start = parse_point (doc, text, bookmark);
      if (a->start == NULL)
        return KIOSCTL_EXIT_ERROR;
    }
  a->chapter_title = g_strdup (a->start->chapter_title);

  if (text != NULL && !kios_annotation_text_fill (text, a, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot read the words of %s", file);
  if (a->kind == KIOS_ANNOTATION_HIGHLIGHT && (a->text == NULL || *a->text == '\0'))
    return kiosctl_fail ("there are no words between %s and %s", from, to);

  remember_book (store, doc);
  if (!kios_library_store_add_annotation (store, a, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot save the annotation");

  if (json)
    {
      g_autoptr (JsonNode) node = annotation_node (a);

      kiosctl_print_json (node);
    }
  else
    print_annotation (a);
  return KIOSCTL_EXIT_OK;
}

/* Writes Kios's annotations into KOReader's sidecar next to the book, and
 * removes from it those deleted in Kios since Kios last saw or wrote them
 * there (as the app does: the places seen are the book's meta). */
static int
export_koreader (KiosLibraryStore *store,
                 const char       *file,
                 const char       *hash,
                 GPtrArray        *list)
{
  g_autofree char       *path = kios_koreader_sidecar_path_for_book (file);
  g_autoptr (GError)     error = NULL;
  g_autoptr (GHashTable) seen = load_seen (store, hash);
  g_autoptr (GPtrArray)  deleted = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  g_autofree char       *now = NULL;
  int                    removed = 0;
  int                    n = kios_koreader_sidecar_export_to_book (list, file, seen, deleted, &removed, &error);

  if (n < 0)
    {
      warn_sidecar (path, error);
      return KIOSCTL_EXIT_ERROR;
    }
  if (!forget_deleted (store, hash, seen, deleted))
    return KIOSCTL_EXIT_ERROR;
  now = kios_koreader_sidecar_places_to_string (seen);
  kios_library_store_set_book_meta (store, hash, KIOS_KOREADER_SIDECAR_SEEN_KEY, *now != '\0' ? now : NULL);
  if (!kios_library_store_flush_checked (store, 10000, &error))
    return kiosctl_fail_error_in (error, NULL, "cannot write the library");
  n -= removed;
  printf ("Wrote %d annotation%s to %s\n", n, n == 1 ? "" : "s", path);
  if (removed > 0)
    printf ("Removed %d annotation%s deleted in Kios from %s\n", removed, removed == 1 ? "" : "s", path);
  if (deleted->len > 0)
    printf ("Deleted %u annotation%s deleted in KOReader from the library\n", deleted->len,
            deleted->len == 1 ? "" : "s");
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_cmd_export (int    argc,
                    char **argv)
{
  const char                  *file = NULL;
  gboolean                     markdown = FALSE;
  gboolean                     koreader = FALSE;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GPtrArray)        list = NULL;
  g_autoptr (KiosBookRecord)   book = NULL;
  g_autofree char             *hash = NULL;
  g_autofree char             *md = NULL;
  g_autofree char             *title = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--markdown") == 0)
        markdown = TRUE;
      else if (strcmp (argv[i], "--koreader") == 0)
        koreader = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return kiosctl_usage ("usage: kiosctl export --markdown|--koreader FILE");
      else if (file == NULL)
        file = argv[i];
      else
        return kiosctl_usage ("usage: kiosctl export --markdown|--koreader FILE");
    }
  if (file == NULL || markdown == koreader)
    return kiosctl_usage ("usage: kiosctl export --markdown|--koreader FILE");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");
  list = list_for_file (store, file, &hash);
  if (list == NULL)
    return KIOSCTL_EXIT_ERROR;
  if (koreader)
    return export_koreader (store, file, hash, list);

  book = kios_library_store_get_book (store, hash, NULL);
  if (book != NULL && book->title != NULL)
    title = g_strdup (book->title);
  else
    {
      g_autoptr (KiosDocument) doc = kios_document_open_sync (file, &error);

      if (doc == NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot open %s", file);
      title = g_strdup (kios_document_get_title (doc));
    }

  md = kios_annotation_export_markdown (title, list);
  fputs (md, stdout);
  return KIOSCTL_EXIT_OK;
}
