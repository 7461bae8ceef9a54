/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-koreader-sidecar"

#include "config.h"

#include "kios-koreader-sidecar.h"

#include "kios-chapter-text.h"
#include "kios-error.h"
#include "kios-limits.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _KiosKoreaderSidecar
{
  char         *path;
  KiosLuaValue *root;
  GBytes       *read; /* the file as read, NULL for a new one */
};

char *
kios_koreader_sidecar_path_for_book (const char *book_path)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *sdr = NULL;
  g_autofree char *name = NULL;
  const char      *dot;

  g_return_val_if_fail (book_path != NULL, NULL);

  dir = g_path_get_dirname (book_path);
  base = g_path_get_basename (book_path);
  dot = strrchr (base, '.');
  /* KOReader: the folder is the path without its last suffix; the file
   * names the suffix ("_" when there is none). */
  sdr = g_strdup_printf ("%.*s.sdr", dot != NULL ? (int) (dot - base) : (int) strlen (base), base);
  name = g_strdup_printf ("metadata.%s.lua", dot != NULL && dot[1] != '\0' ? dot + 1 : "_");
  return g_build_filename (dir, sdr, name, NULL);
}

char *
kios_koreader_sidecar_path_in_folder (const char *folder,
                                      const char *book_path,
                                      const char *hash)
{
  g_autofree char *next_to = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sdr = NULL;

  g_return_val_if_fail (folder != NULL && book_path != NULL, NULL);

  next_to = kios_koreader_sidecar_path_for_book (book_path);
  name = g_path_get_basename (next_to);
  if (hash == NULL)
    {
      sdr = g_path_get_dirname (next_to);
      return g_build_filename (folder, sdr, name, NULL);
    }
  {
    g_autofree char *prefix = g_strndup (hash, 2);
    g_autofree char *dir = g_strconcat (hash, ".sdr", NULL);

    return g_build_filename (folder, prefix, dir, name, NULL);
  }
}

KiosKoreaderSidecar *
kios_koreader_sidecar_new (const char *path)
{
  KiosKoreaderSidecar *self = g_new0 (KiosKoreaderSidecar, 1);

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  self->root = kios_lua_value_new_table ();
  return self;
}

KiosKoreaderSidecar *
kios_koreader_sidecar_load (const char *path,
                            GError    **error)
{
  g_autoptr (KiosKoreaderSidecar) self = NULL;
  g_autoptr (GError)              local_error = NULL;
  g_autofree char                *data = NULL;
  GStatBuf                        st;
  gsize                           len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_stat (path, &st) != 0)
    {
      if (errno == ENOENT)
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND, "No KOReader sidecar at %s",
                     path);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "Cannot read %s: %s", path,
                     g_strerror (errno));
      return NULL;
    }
  /* Refused before reading it into memory. */
  if (!S_ISREG (st.st_mode) || (guint64) st.st_size > KIOS_LIMIT_LUA_BYTES)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "%s is not a KOReader sidecar Kios reads (not a file, or over %" G_GSIZE_FORMAT " bytes)",
                   path, KIOS_LIMIT_LUA_BYTES);
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;

  self = g_new0 (KiosKoreaderSidecar, 1);
  self->path = g_strdup (path);
  self->root = kios_lua_parse (data, (gssize) len, &local_error);
  if (self->root == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      return NULL;
    }
  if (kios_lua_value_get_type (self->root) != KIOS_LUA_TABLE)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED, "%s: not a table", path);
      return NULL;
    }
  self->read = g_bytes_new_take (g_steal_pointer (&data), len);
  return g_steal_pointer (&self);
}

void
kios_koreader_sidecar_free (KiosKoreaderSidecar *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  kios_lua_value_free (self->root);
  g_clear_pointer (&self->read, g_bytes_unref);
  g_free (self);
}

const char *
kios_koreader_sidecar_get_path (KiosKoreaderSidecar *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

KiosLuaValue *
kios_koreader_sidecar_get_root (KiosKoreaderSidecar *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->root;
}

/* ---- reading ------------------------------------------------------------- */

/* KOReader's "YYYY-MM-DD HH:MM:SS", local time. */
static gint64
parse_datetime (const char *text)
{
  g_autoptr (GDateTime) time = NULL;
  int                   y, mo, d, h, mi, s;

  if (text == NULL || sscanf (text, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
    return 0;
  time = g_date_time_new_local (y, mo, d, h, mi, s);
  return time != NULL ? g_date_time_to_unix (time) : 0;
}

static char *
format_datetime (gint64 unix_seconds)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (unix_seconds > 0 ? unix_seconds
                                                                                 : g_get_real_time () / G_USEC_PER_SEC);

  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
}

/* KOReader has nine colours; Kios shows four. */
static const char *
kios_color (const char *color)
{
  static const char *const map[][2] = {
    { "red", "red" },
    { "orange", "red" },
    { "purple", "red" },
    { "yellow", "yellow" },
    { "gray", "yellow" },
    { "green", "green" },
    { "olive", "green" },
    { "blue", "blue" },
    { "cyan", "blue" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_strcmp0 (color, map[i][0]) == 0)
      return map[i][1];
  return KIOS_ANNOTATION_COLOR_DEFAULT;
}

/* An EPUB point from an xpointer; NULL (logged) when it is not in the book. */
static KiosPosition *
epub_point (KiosAnnotationText *text,
            const char         *xpointer)
{
  g_autoptr (KiosPosition) pos = kios_position_new ();
  g_autoptr (GError)       error = NULL;
  int                      fragment = 0;

  pos->format = KIOS_BOOK_FORMAT_EPUB;
  pos->xpointer = g_strdup (xpointer);
  if (text != NULL)
    {
      int    chapter;
      gint64 offset;
      gint64 length;

      if (!kios_annotation_text_resolve (text, xpointer, &chapter, &offset, &error))
        {
          g_debug ("Skipping a KOReader annotation at %s: %s", xpointer, error->message);
          return NULL;
        }
      pos->chapter = chapter;
      pos->offset = offset;
      length = kios_annotation_text_get_length (text, chapter, NULL);
      pos->chapter_progress = length > 0 ? (double) offset / (double) length : 0.0;
    }
  else if (kios_xpointer_get_doc_fragment (xpointer, &fragment) && fragment > 0)
    pos->chapter = fragment - 1;
  else
    return NULL;
  return g_steal_pointer (&pos);
}

static KiosPosition *
pdf_point (int page)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = KIOS_BOOK_FORMAT_PDF;
  pos->chapter = MAX (page - 1, 0);
  return pos;
}

/* The page of a PDF position table (pos0 = { page = N, x = …, y = … }). */
static int
table_page (const KiosLuaValue *pos,
            int                 fallback)
{
  return (int) kios_lua_table_get_number (pos, "page", fallback);
}

/*
 * One entry as an annotation. Fields by format: text_key holds the quoted
 * words, note_key the note ("annotations": text and note; the older
 * "bookmarks": notes and text).
 */
static KiosAnnotation *
entry_to_annotation (const KiosLuaValue *entry,
                     const char         *hash,
                     KiosAnnotationText *text,
                     const char         *text_key,
                     const char         *note_key,
                     gboolean            highlighted)
{
  g_autoptr (KiosAnnotation) a = kios_annotation_new ();
  KiosLuaValue              *page = kios_lua_table_get (entry, "page");
  KiosLuaValue              *pos0 = kios_lua_table_get (entry, "pos0");
  KiosLuaValue              *pos1 = kios_lua_table_get (entry, "pos1");
  const char                *note = kios_lua_table_get_string (entry, note_key);
  const char                *updated = kios_lua_table_get_string (entry, "datetime_updated");

  if (kios_lua_value_get_type (entry) != KIOS_LUA_TABLE)
    return NULL;

  a->hash = g_strdup (hash);
  a->origin = g_strdup ("koreader");
  if (pos0 != NULL && pos1 != NULL && highlighted && kios_lua_value_get_type (pos0) == KIOS_LUA_STRING &&
      kios_lua_value_get_type (pos1) == KIOS_LUA_STRING)
    {
      a->kind = KIOS_ANNOTATION_HIGHLIGHT;
      a->start = epub_point (text, kios_lua_value_get_string (pos0, NULL));
      a->end = epub_point (text, kios_lua_value_get_string (pos1, NULL));
      if (a->start == NULL || a->end == NULL)
        return NULL;
    }
  else if (pos0 != NULL && pos1 != NULL && highlighted && kios_lua_value_get_type (pos0) == KIOS_LUA_TABLE)
    {
      int first = (int) kios_lua_value_get_number (page);

      a->kind = KIOS_ANNOTATION_HIGHLIGHT;
      a->start = pdf_point (table_page (pos0, first));
      a->end = pdf_point (table_page (pos1, first));
    }
  else if (page != NULL && kios_lua_value_get_type (page) == KIOS_LUA_STRING)
    {
      a->kind = KIOS_ANNOTATION_BOOKMARK;
      a->start = epub_point (text, kios_lua_value_get_string (page, NULL));
      if (a->start == NULL)
        return NULL;
    }
  else if (page != NULL && kios_lua_value_get_type (page) == KIOS_LUA_NUMBER)
    {
      a->kind = KIOS_ANNOTATION_BOOKMARK;
      a->start = pdf_point ((int) kios_lua_value_get_number (page));
    }
  else
    return NULL;

  a->text = g_strdup (kios_lua_table_get_string (entry, text_key));
  if (note != NULL && *note != '\0')
    a->note = g_strdup (note);
  if (a->kind == KIOS_ANNOTATION_HIGHLIGHT)
    a->color = g_strdup (kios_color (kios_lua_table_get_string (entry, "color")));
  a->chapter_title = g_strdup (kios_lua_table_get_string (entry, "chapter"));
  a->start->chapter_title = g_strdup (a->chapter_title);
  a->created_at = parse_datetime (kios_lua_table_get_string (entry, "datetime"));
  a->updated_at = updated != NULL ? parse_datetime (updated) : a->created_at;
  return g_steal_pointer (&a);
}

static gboolean
same_string (const KiosLuaValue *a,
             const KiosLuaValue *b)
{
  return a != NULL && b != NULL && kios_lua_value_equal (a, b);
}

static int
compare_annotations (gconstpointer a,
                     gconstpointer b)
{
  return kios_annotation_compare (*(KiosAnnotation *const *) a, *(KiosAnnotation *const *) b);
}

GPtrArray *
kios_koreader_sidecar_get_annotations (KiosKoreaderSidecar *self,
                                       const char          *hash,
                                       KiosAnnotationText  *text)
{
  GPtrArray    *list = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
  KiosLuaValue *annotations;

  g_return_val_if_fail (self != NULL, list);

  annotations = kios_lua_table_get (self->root, "annotations");
  if (annotations != NULL)
    {
      gint64 n = kios_lua_table_get_length (annotations);

      for (gint64 i = 1; i <= n; i++)
        {
          KiosLuaValue   *entry = kios_lua_table_get_index (annotations, i);
          KiosAnnotation *a = entry_to_annotation (entry, hash, text, "text", "note",
                                                   kios_lua_table_get (entry, "pos0") != NULL);

          if (a != NULL)
            g_ptr_array_add (list, a);
        }
    }
  else
    {
      /* Older KOReader: every bookmark (highlights marked "highlighted"),
       * and highlights saved before they were added to the bookmarks. */
      KiosLuaValue *bookmarks = kios_lua_table_get (self->root, "bookmarks");
      KiosLuaValue *highlights = kios_lua_table_get (self->root, "highlight");
      gint64        n = kios_lua_table_get_length (bookmarks);

      for (gint64 i = 1; i <= n; i++)
        {
          KiosLuaValue   *entry = kios_lua_table_get_index (bookmarks, i);
          KiosAnnotation *a = entry_to_annotation (entry, hash, text, "notes", "text",
                                                   kios_lua_value_get_boolean (kios_lua_table_get (entry, "highlighted")));

          if (a != NULL)
            g_ptr_array_add (list, a);
        }
      for (guint p = 0; p < kios_lua_table_get_n_entries (highlights); p++)
        {
          const KiosLuaValue *page_key, *page_list;

          kios_lua_table_get_entry (highlights, p, &page_key, &page_list);
          for (gint64 i = 1; i <= kios_lua_table_get_length (page_list); i++)
            {
              KiosLuaValue   *entry = kios_lua_table_get_index (page_list, i);
              gboolean        known = FALSE;
              KiosAnnotation *a;

              for (gint64 b = 1; b <= n && !known; b++)
                {
                  KiosLuaValue *bm = kios_lua_table_get_index (bookmarks, b);

                  known = same_string (kios_lua_table_get (bm, "pos0"), kios_lua_table_get (entry, "pos0")) &&
                          same_string (kios_lua_table_get (bm, "pos1"), kios_lua_table_get (entry, "pos1"));
                }
              if (known)
                continue;
              a = entry_to_annotation (entry, hash, text, "text", "note", TRUE);
              if (a != NULL)
                g_ptr_array_add (list, a);
            }
        }
    }

  if (text != NULL)
    g_ptr_array_sort (list, compare_annotations);
  return list;
}

/* ---- writing ------------------------------------------------------------- */

static void
set_string (KiosLuaValue *entry,
            const char   *key,
            const char   *value)
{
  kios_lua_table_set (entry, key, value != NULL ? kios_lua_value_new_string (value) : NULL);
}

/* The entry of the annotations array at the same place as a, or NULL. */
static KiosLuaValue *
find_entry (KiosLuaValue         *annotations,
            const KiosAnnotation *a,
            KiosLuaValue         *page)
{
  gint64 n = kios_lua_table_get_length (annotations);

  for (gint64 i = 1; i <= n; i++)
    {
      KiosLuaValue *entry = kios_lua_table_get_index (annotations, i);
      KiosLuaValue *pos0 = kios_lua_table_get (entry, "pos0");

      if (a->kind == KIOS_ANNOTATION_HIGHLIGHT)
        {
          if (g_strcmp0 (kios_lua_value_get_string (pos0, NULL), a->start->xpointer) == 0 &&
              g_strcmp0 (kios_lua_table_get_string (entry, "pos1"), a->end->xpointer) == 0)
            return entry;
        }
      else if (pos0 == NULL && kios_lua_value_equal (kios_lua_table_get (entry, "page"), page))
        return entry;
    }
  return NULL;
}

int
kios_koreader_sidecar_merge (KiosKoreaderSidecar *self,
                             GPtrArray           *annotations,
                             GError             **error)
{
  KiosLuaValue *list;
  int           changed = 0;

  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (annotations != NULL, -1);

  list = kios_lua_table_get (self->root, "annotations");
  if (list == NULL)
    {
      if (kios_lua_table_get (self->root, "bookmarks") != NULL || kios_lua_table_get (self->root, "highlight") != NULL)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "%s is in KOReader's older format: KOReader converts it when it opens the book",
                       self->path);
          return -1;
        }
      kios_lua_table_set (self->root, "annotations", kios_lua_value_new_table ());
      list = kios_lua_table_get (self->root, "annotations");
    }
  else if (kios_lua_value_get_type (list) != KIOS_LUA_TABLE)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID, "%s: annotations is not a table",
                   self->path);
      return -1;
    }

  for (guint i = 0; i < annotations->len; i++)
    {
      const KiosAnnotation    *a = g_ptr_array_index (annotations, i);
      gboolean                 pdf = a->start != NULL && a->start->format == KIOS_BOOK_FORMAT_PDF;
      g_autoptr (KiosLuaValue) page = NULL;
      KiosLuaValue            *first = kios_lua_table_get_index (list, 1);
      KiosLuaValue            *first_page = kios_lua_table_get (first, "page");
      KiosLuaValue            *entry;
      g_autofree char         *created = NULL;

      if (a->start == NULL || g_strcmp0 (a->origin, "koreader") == 0)
        continue;
      if (a->kind == KIOS_ANNOTATION_HIGHLIGHT && (pdf || a->end == NULL || a->start->xpointer == NULL ||
                                                   a->end->xpointer == NULL))
        continue;
      if (!pdf && a->start->xpointer == NULL)
        continue;
      /* KOReader keeps one engine's annotations here: EPUB pages are
       * xpointers, PDF pages numbers. */
      if (first_page != NULL &&
          kios_lua_value_get_type (first_page) != (pdf ? KIOS_LUA_NUMBER : KIOS_LUA_STRING))
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "%s holds annotations of another format", self->path);
          return -1;
        }

      page = pdf ? kios_lua_value_new_number (a->start->chapter + 1) : kios_lua_value_new_string (a->start->xpointer);
      entry = find_entry (list, a, page);
      if (entry == NULL)
        {
          entry = kios_lua_value_new_table ();
          kios_lua_table_set_index (list, kios_lua_table_get_length (list) + 1, entry);
          created = format_datetime (a->created_at);
          set_string (entry, "datetime", created);
          kios_lua_table_set (entry, "page", g_steal_pointer (&page));
          if (a->kind == KIOS_ANNOTATION_HIGHLIGHT)
            {
              set_string (entry, "pos0", a->start->xpointer);
              set_string (entry, "pos1", a->end->xpointer);
              set_string (entry, "drawer", "lighten");
            }
          set_string (entry, "chapter", a->chapter_title);
          set_string (entry, "text", a->text);
        }
      else if (a->updated_at > a->created_at)
        {
          g_autofree char *updated = format_datetime (a->updated_at);

          set_string (entry, "datetime_updated", updated);
        }
      if (a->kind == KIOS_ANNOTATION_HIGHLIGHT)
        {
          set_string (entry, "color", a->color != NULL ? a->color : KIOS_ANNOTATION_COLOR_DEFAULT);
          set_string (entry, "note", a->note);
        }
      changed++;
    }

  if (changed > 0)
    kios_lua_table_set (self->root, "annotations_externally_modified", kios_lua_value_new_boolean (TRUE));
  return changed;
}

gboolean
kios_koreader_sidecar_save (KiosKoreaderSidecar *self,
                            GError             **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *now = NULL;
  gsize            now_len = 0;
  gsize            len;
  GError          *local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  /* Someone (KOReader through a sync) may have written it since: never
   * overwrite what was not read. */
  if (g_file_get_contents (self->path, &now, &now_len, &local_error))
    {
      if (self->read == NULL || g_bytes_get_size (self->read) != now_len ||
          memcmp (g_bytes_get_data (self->read, NULL), now, now_len) != 0)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                       "%s changed on disk since Kios read it", self->path);
          return FALSE;
        }
    }
  else if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) || self->read != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  g_clear_error (&local_error);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "Cannot make %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }

  if (now != NULL)
    {
      backup = g_strconcat (self->path, ".old", NULL);
      if (!g_file_set_contents_full (backup, now, (gssize) now_len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    }

  text = kios_lua_write (self->root, self->path);
  len = strlen (text);
  if (!g_file_set_contents_full (self->path, text, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;

  /* What is on disk now, for the next save's check. */
  g_clear_pointer (&self->read, g_bytes_unref);
  self->read = g_bytes_new_take (g_steal_pointer (&text), len);
  return TRUE;
}

/* ---- removing ------------------------------------------------------------ */

char *
kios_koreader_sidecar_place_of (const KiosAnnotation *annotation)
{
  const KiosAnnotation *a = annotation;
  char                 *place = NULL;

  g_return_val_if_fail (a != NULL, NULL);

  if (a->start == NULL)
    return NULL;
  if (a->kind == KIOS_ANNOTATION_HIGHLIGHT)
    {
      if (a->end != NULL && a->start->xpointer != NULL && a->end->xpointer != NULL)
        place = g_strconcat ("h:", a->start->xpointer, "\t", a->end->xpointer, NULL);
    }
  else if (a->start->format == KIOS_BOOK_FORMAT_PDF)
    place = g_strdup_printf ("b:#%d", a->start->chapter + 1);
  else if (a->start->xpointer != NULL)
    place = g_strconcat ("b:", a->start->xpointer, NULL);
  /* One a line where they are kept. */
  if (place != NULL && strchr (place, '\n') != NULL)
    g_clear_pointer (&place, g_free);
  return place;
}

/* The place of an entry of "annotations", as kios_koreader_sidecar_place_of
 * gives it for the annotation read from it. */
static char *
entry_place (const KiosLuaValue *entry)
{
  KiosLuaValue *pos0 = kios_lua_table_get (entry, "pos0");
  KiosLuaValue *pos1 = kios_lua_table_get (entry, "pos1");
  KiosLuaValue *page = kios_lua_table_get (entry, "page");

  if (pos0 != NULL)
    {
      if (pos1 != NULL && kios_lua_value_get_type (pos0) == KIOS_LUA_STRING &&
          kios_lua_value_get_type (pos1) == KIOS_LUA_STRING)
        return g_strconcat ("h:", kios_lua_value_get_string (pos0, NULL), "\t", kios_lua_value_get_string (pos1, NULL),
                            NULL);
      return NULL;
    }
  if (page == NULL)
    return NULL;
  if (kios_lua_value_get_type (page) == KIOS_LUA_STRING)
    return g_strconcat ("b:", kios_lua_value_get_string (page, NULL), NULL);
  if (kios_lua_value_get_type (page) == KIOS_LUA_NUMBER)
    return g_strdup_printf ("b:#%d", (int) kios_lua_value_get_number (page));
  return NULL;
}

int
kios_koreader_sidecar_remove (KiosKoreaderSidecar *self,
                              GHashTable          *places)
{
  KiosLuaValue *list;
  gint64        n;
  gint64        kept = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (places != NULL, 0);

  list = kios_lua_table_get (self->root, "annotations");
  if (list == NULL || kios_lua_value_get_type (list) != KIOS_LUA_TABLE || g_hash_table_size (places) == 0)
    return 0;
  n = kios_lua_table_get_length (list);
  /* The kept ones move down over the removed ones, in their order. */
  for (gint64 i = 1; i <= n; i++)
    {
      KiosLuaValue    *entry = kios_lua_table_get_index (list, i);
      g_autofree char *place = entry_place (entry);

      if (place != NULL && g_hash_table_contains (places, place))
        continue;
      kept++;
      if (kept != i)
        kios_lua_table_set_index (list, kept, kios_lua_value_copy (entry));
    }
  for (gint64 i = n; i > kept; i--)
    kios_lua_table_set_index (list, i, NULL);
  if (kept < n)
    kios_lua_table_set (self->root, "annotations_externally_modified", kios_lua_value_new_boolean (TRUE));
  return (int) (n - kept);
}

int
kios_koreader_sidecar_write_back (KiosKoreaderSidecar *self,
                                  GPtrArray           *list,
                                  GHashTable          *seen,
                                  int                 *n_removed,
                                  GError             **error)
{
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) gone = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter         iter;
  gpointer               key;
  int                    removed = 0;
  int                    written;

  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (list != NULL, -1);

  for (guint i = 0; i < list->len; i++)
    {
      char *place = kios_koreader_sidecar_place_of (g_ptr_array_index (list, i));

      if (place != NULL)
        g_hash_table_add (present, place);
    }
  if (seen != NULL)
    {
      g_hash_table_iter_init (&iter, seen);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (present, key))
          g_hash_table_add (gone, key);
      removed = kios_koreader_sidecar_remove (self, gone);
    }
  if (n_removed != NULL)
    *n_removed = removed;
  written = kios_koreader_sidecar_merge (self, list, error);
  if (written < 0)
    return -1;

  if (seen != NULL)
    {
      g_hash_table_iter_init (&iter, seen);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (g_hash_table_contains (gone, key))
          g_hash_table_iter_remove (&iter);
      /* What merge wrote: Kios's own with a place KOReader keeps. */
      for (guint i = 0; i < list->len; i++)
        {
          const KiosAnnotation *a = g_ptr_array_index (list, i);
          char                 *place;

          if (g_strcmp0 (a->origin, "koreader") == 0 || a->start == NULL ||
              (a->kind == KIOS_ANNOTATION_HIGHLIGHT && a->start->format == KIOS_BOOK_FORMAT_PDF))
            continue;
          place = kios_koreader_sidecar_place_of (a);
          if (place != NULL)
            g_hash_table_add (seen, place);
        }
    }
  return removed + written;
}

GHashTable *
kios_koreader_sidecar_get_places (KiosKoreaderSidecar *self)
{
  GHashTable   *places = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  KiosLuaValue *list;
  gint64        n;

  g_return_val_if_fail (self != NULL, places);

  list = kios_lua_table_get (self->root, "annotations");
  if (list == NULL || kios_lua_value_get_type (list) != KIOS_LUA_TABLE)
    return places;
  n = kios_lua_table_get_length (list);
  for (gint64 i = 1; i <= n; i++)
    {
      char *place = entry_place (kios_lua_table_get_index (list, i));

      if (place != NULL)
        g_hash_table_add (places, place);
    }
  return places;
}

gboolean
kios_koreader_sidecar_deleted_there (const KiosAnnotation *annotation,
                                     GHashTable           *seen,
                                     GHashTable           *places)
{
  g_autofree char *place = NULL;

  g_return_val_if_fail (annotation != NULL && seen != NULL && places != NULL, FALSE);

  if (g_strcmp0 (annotation->origin, "koreader") == 0)
    return FALSE;
  place = kios_koreader_sidecar_place_of (annotation);
  return place != NULL && g_hash_table_contains (seen, place) && !g_hash_table_contains (places, place);
}

GHashTable *
kios_koreader_sidecar_places_from_string (const char *text)
{
  GHashTable    *places = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) lines = NULL;

  if (text == NULL)
    return places;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_hash_table_add (places, g_strdup (lines[i]));
  return places;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
kios_koreader_sidecar_places_to_string (GHashTable *places)
{
  guint             n = 0;
  g_autofree char **sorted = (char **) g_hash_table_get_keys_as_array (places, &n);

  qsort (sorted, n, sizeof (char *), compare_strings);
  return g_strjoinv ("\n", sorted);
}

/* ---- for the app and kiosctl --------------------------------------------- */

/* Whether list has an annotation at a's place. */
static gboolean
has_same_place (GPtrArray            *list,
                const KiosAnnotation *a)
{
  for (guint i = 0; i < list->len; i++)
    {
      const KiosAnnotation *b = g_ptr_array_index (list, i);

      if (b->kind == a->kind && b->start != NULL && a->start != NULL && b->start->chapter == a->start->chapter &&
          g_strcmp0 (b->start->xpointer, a->start->xpointer) == 0 &&
          (a->end == NULL || (b->end != NULL && g_strcmp0 (b->end->xpointer, a->end->xpointer) == 0)))
        return TRUE;
    }
  return FALSE;
}

/* Moves Kios's own that KOReader deleted out of list into deleted (or
 * frees them), and their places out of seen. */
static void
take_deleted (KiosKoreaderSidecar *sidecar,
              GPtrArray           *list,
              GHashTable          *seen,
              GPtrArray           *deleted)
{
  g_autoptr (GHashTable) places = NULL;

  if (seen == NULL || g_hash_table_size (seen) == 0)
    return;
  places = kios_koreader_sidecar_get_places (sidecar);
  for (guint i = 0; i < list->len;)
    {
      KiosAnnotation *a = g_ptr_array_index (list, i);

      if (!kios_koreader_sidecar_deleted_there (a, seen, places))
        {
          i++;
          continue;
        }
      {
        g_autofree char *place = kios_koreader_sidecar_place_of (a);

        g_hash_table_remove (seen, place);
      }
      if (deleted != NULL)
        g_ptr_array_add (deleted, g_ptr_array_steal_index (list, i));
      else
        g_ptr_array_remove_index (list, i);
    }
}

gboolean
kios_koreader_sidecar_add_from_book (GPtrArray  *list,
                                     const char *book_path,
                                     const char *hash,
                                     GHashTable *seen,
                                     GPtrArray  *deleted,
                                     GError    **error)
{
  g_autofree char                *path = NULL;
  g_autoptr (GError)              local_error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = NULL;
  g_autoptr (KiosAnnotationText)  text = NULL;
  g_autoptr (GPtrArray)           theirs = NULL;

  g_return_val_if_fail (list != NULL && book_path != NULL, FALSE);

  path = kios_koreader_sidecar_path_for_book (book_path);
  sidecar = kios_koreader_sidecar_load (path, &local_error);
  if (sidecar == NULL)
    {
      g_ptr_array_sort (list, compare_annotations);
      if (g_error_matches (local_error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (g_str_has_suffix (path, ".epub.lua"))
    {
      text = kios_annotation_text_new (book_path, &local_error);
      if (text == NULL)
        g_debug ("Cannot read the words of %s: %s", book_path, local_error->message);
    }
  take_deleted (sidecar, list, seen, deleted);
  theirs = kios_koreader_sidecar_get_annotations (sidecar, hash, text);
  for (guint i = 0; i < theirs->len; i++)
    {
      KiosAnnotation *a = g_ptr_array_index (theirs, i);

      if (!has_same_place (list, a))
        g_ptr_array_add (list, kios_annotation_copy (a));
    }
  g_ptr_array_sort (list, compare_annotations);
  return TRUE;
}

int
kios_koreader_sidecar_export_to_book (GPtrArray  *list,
                                      const char *book_path,
                                      GHashTable *seen,
                                      GPtrArray  *deleted,
                                      int        *n_removed,
                                      GError    **error)
{
  g_autofree char                *path = NULL;
  g_autoptr (GError)              local_error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = NULL;
  int                             n;

  g_return_val_if_fail (list != NULL && book_path != NULL, -1);

  path = kios_koreader_sidecar_path_for_book (book_path);
  sidecar = kios_koreader_sidecar_load (path, &local_error);
  if (sidecar == NULL && g_error_matches (local_error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND))
    sidecar = kios_koreader_sidecar_new (path);
  else if (sidecar == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }
  else
    take_deleted (sidecar, list, seen, deleted);
  n = kios_koreader_sidecar_write_back (sidecar, list, seen, n_removed, error);
  if (n < 0 || !kios_koreader_sidecar_save (sidecar, error))
    return -1;
  return n;
}
