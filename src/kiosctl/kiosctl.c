/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl"

#include "config.h"

#include "kiosctl.h"

#include "kios-error-messages.h"
#include "kios-paths.h"
#include "kios-redact.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "hash", kiosctl_cmd_hash, "hash FILE…  print each book's KOReader partial MD5" },
  { "info", kiosctl_cmd_info, "info [--json] FILE  format, title, authors, chapters, contents" },
  { "find", kiosctl_cmd_find, "find [--json] FILE QUERY  find in book: each hit's place and context" },
  { "position", kiosctl_cmd_position, "position [--json] FILE [--set POS]  the saved position" },
  { "annotations", kiosctl_cmd_annotations, "annotations [--json] FILE  the book's bookmarks and highlights" },
  { "annotate", kiosctl_cmd_annotate,
    "annotate FILE --highlight FROM TO [--color C] [--note TEXT] | --bookmark POS | --delete ID" },
  { "export", kiosctl_cmd_export,
    "export --markdown|--koreader FILE  annotations as Markdown, or into KOReader's sidecar" },
  { "render", kiosctl_cmd_render,
    "render FILE --at POS --size WxH [--font-size PX] -o OUT.png  draw the page holding POS" },
  { "source", kiosctl_cmd_source, "source add|list|remove|test|rename|enable|disable|bridge …  library and sync sources" },
  { "sync", kiosctl_cmd_sync, "sync push|pull|status|log|enable|disable|pair|unpair …  push, pull and inspect a book's sync" },
  { "browse", kiosctl_cmd_browse, "browse NAME [HREF] [--json]  list a catalog page" },
  { "search", kiosctl_cmd_search, "search NAME QUERY [--json]  search a catalog" },
  { "download", kiosctl_cmd_download, "download NAME ID [--format F] [--json]  download a book" },
  { "library", kiosctl_cmd_library,
    "library list|remove|add-folder|rescan …  the books in the library and its folders" },
};

static void
print_help (FILE *out)
{
  fprintf (out, "Usage: kiosctl COMMAND [ARGS…]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %s\n", commands[i].summary);
  fprintf (out, "\nPositions (POS): a KOReader xpointer, page:N (PDF, 1-based), "
                "chapter:I:FRACTION (0-based spine index), or percent:P.\n");
}

int
kiosctl_fail (const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "kiosctl: %s\n", message);
  return KIOSCTL_EXIT_ERROR;
}

static int
fail_error (const GError *error,
            const char   *url,
            const char   *suggested,
            const char   *what)
{
  g_autofree char *host = kios_error_host_from_url (url);
  g_autofree char *sentence = NULL;
  g_autofree char *detail = NULL;

  g_return_val_if_fail (error != NULL, KIOSCTL_EXIT_ERROR);

  /* The core's English is detail for whoever debugs, never the message. */
  detail = kios_redact_text (error->message);
  g_debug ("%s (%s, %d): %s", what != NULL ? what : "error", g_quark_to_string (error->domain), error->code, detail);

  sentence = kios_error_describe (error, host, suggested, NULL);
  if (what != NULL)
    return kiosctl_fail ("%s: %s", what, sentence);
  return kiosctl_fail ("%s", sentence);
}

int
kiosctl_fail_error (const GError *error,
                    const char   *url_or_null,
                    const char   *suggested_url_or_null)
{
  return fail_error (error, url_or_null, suggested_url_or_null, NULL);
}

int
kiosctl_fail_error_in (const GError *error,
                       const char   *url_or_null,
                       const char   *what_format,
                       ...)
{
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, what_format);
  what = g_strdup_vprintf (what_format, args);
  va_end (args);

  return fail_error (error, url_or_null, NULL, what);
}

int
kiosctl_usage (const char *format,
               ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "kiosctl: %s\nTry “kiosctl --help”.\n", message);
  return KIOSCTL_EXIT_USAGE;
}

void
kiosctl_print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char          *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

JsonNode *
kiosctl_position_node (const KiosPosition *position)
{
  JsonNode *node;

  if (position != NULL)
    return kios_position_to_json (position);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, json_object_new ());
  return node;
}

/* A string member, or null when there is none. */
void
kiosctl_set_string (JsonObject *object,
                    const char *key,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, key, value);
  else
    json_object_set_null_member (object, key);
}

/* An ISO 8601 UTC time member, or null for an unknown (≤ 0) or impossible time. */
void
kiosctl_set_time (JsonObject *object,
                  const char *key,
                  gint64      unix_seconds)
{
  g_autoptr (GDateTime) time = unix_seconds > 0 ? g_date_time_new_from_unix_utc (unix_seconds) : NULL;
  g_autofree char      *iso = time != NULL ? g_date_time_format_iso8601 (time) : NULL;

  kiosctl_set_string (object, key, iso);
}

KiosLibraryStore *
kiosctl_open_store (GError **error)
{
  g_autofree char *path = kios_paths_library_db ();

  return kios_library_store_new (path, error);
}

/*
 * Reads a secret from stdin (one line, the newline stripped) or, on a
 * terminal, from a prompt with echo off. Secrets never come from argv.
 */
char *
kiosctl_read_secret (const char *prompt,
                     gboolean    from_stdin,
                     GError    **error)
{
  char           buffer[4096];
  struct termios saved, quiet;
  gboolean       tty = !from_stdin && isatty (STDIN_FILENO);
  gsize          len;

  if (!from_stdin && !tty)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "No terminal to ask for the password: use --password-stdin");
      return NULL;
    }

  if (tty)
    {
      fprintf (stderr, "%s", prompt);
      fflush (stderr);
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    buffer[0] = '\0';

  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved);
      fprintf (stderr, "\n");
    }

  len = strlen (buffer);
  while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
    buffer[--len] = '\0';

  if (len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "The password is empty");
      return NULL;
    }

  return g_strdup (buffer);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  /* Errors are the app's own sentences, in the user's language too. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Diagnostics (G_MESSAGES_DEBUG) must never mix into stdout: --json prints one document. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_help (stderr);
      return KIOSCTL_EXIT_USAGE;
    }

  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_help (stdout);
      return KIOSCTL_EXIT_OK;
    }

  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("kiosctl %s (MuPDF %s)\n", PACKAGE_VERSION, MUPDF_VERSION);
      return KIOSCTL_EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  return kiosctl_usage ("unknown command “%s”", argv[1]);
}
