/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-annotation"

#include "config.h"

#include "kios-annotation-export.h"

static int
compare_indirect (gconstpointer a,
                  gconstpointer b)
{
  return kios_annotation_compare (*(KiosAnnotation *const *) a, *(KiosAnnotation *const *) b);
}

/* A note: its lines as they are. */
static void
append_note (GString    *out,
             const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_string_append (out, g_strchomp (lines[i]));
      g_string_append_c (out, '\n');
    }
}

/* A quote: each line (a paragraph of the book) after "> ", with a ">" line
 * between them so Markdown keeps them apart. */
static void
append_quote (GString    *out,
              const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, ">\n");
      g_string_append_printf (out, "> %s\n", lines[i]);
    }
}

/* One line of text: line feeds and runs of space as single spaces. */
static char *
one_line (const char *text)
{
  g_auto (GStrv)      words = g_strsplit_set (text != NULL ? text : "", " \n\t\r", -1);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, words[i]);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
kios_annotation_export_markdown (const char *title,
                                 GPtrArray  *annotations)
{
  g_autoptr (GString)   out = g_string_new (NULL);
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autofree char      *heading = one_line (title);
  const char           *chapter = NULL;

  g_string_append_printf (out, "# %s\n", *heading != '\0' ? heading : "Untitled");

  for (guint i = 0; annotations != NULL && i < annotations->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (annotations, i));
  g_ptr_array_sort (sorted, compare_indirect);

  for (guint i = 0; i < sorted->len; i++)
    {
      KiosAnnotation  *a = g_ptr_array_index (sorted, i);
      g_autofree char *words = NULL;

      if (a->chapter_title != NULL && g_strcmp0 (a->chapter_title, chapter) != 0)
        {
          g_autofree char *name = one_line (a->chapter_title);

          chapter = a->chapter_title;
          g_string_append_printf (out, "\n## %s\n", name);
        }
      g_string_append_c (out, '\n');

      if (a->kind == KIOS_ANNOTATION_BOOKMARK)
        {
          words = one_line (a->text);
          g_string_append_printf (out, "- Bookmark: %s\n", words);
        }
      else
        append_quote (out, a->text != NULL ? a->text : "");

      if (a->note != NULL && *a->note != '\0')
        {
          g_string_append_c (out, '\n');
          append_note (out, a->note);
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
