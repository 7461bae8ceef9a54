/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-source"

#include "config.h"

#include "kiosctl.h"

#include "kios-error.h"
#include "kios-kobo-library.h"
#include "kios-kosync-client.h"
#include "kios-redact.h"
#include "kios-source-manager.h"
#include "kios-sync-error.h"
#include "kios-sync-settings.h"

#include <stdio.h>
#include <string.h>

#define SOURCE_USAGE                                                                                      \
  "source add --kind kosync|opds|kobo --name NAME --url URL|- [--auth headers|basic] "                    \
  "[--user USER] [--password-stdin] [--library-sync] [--match binary|filename] | source list [--json] | " \
  "source remove NAME | source test NAME | source rename OLD NEW | source enable NAME | "                 \
  "source disable NAME | source bridge NAME on|off"

/* The manager over the library kiosctl uses, or NULL after printing why. */
static KiosSourceManager *
open_manager (void)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GError)           error = NULL;

  store = kiosctl_open_store (&error);
  if (store == NULL)
    {
      kiosctl_fail_error_in (error, NULL, "cannot open the library");
      return NULL;
    }
  return kios_source_manager_new (store);
}

/* Returns the value of --opt VALUE or --opt=VALUE at argv[*i], advancing *i. */
static gboolean
take_value (int          argc,
            char       **argv,
            int         *i,
            const char  *name,
            const char **value)
{
  gsize len = strlen (name);

  if (strncmp (argv[*i], name, len) != 0)
    return FALSE;
  if (argv[*i][len] == '=')
    {
      *value = argv[*i] + len + 1;
      return TRUE;
    }
  if (argv[*i][len] != '\0')
    return FALSE;
  if (*i + 1 >= argc)
    {
      *value = NULL;
      return TRUE;
    }
  *value = argv[++(*i)];
  return TRUE;
}

static int
source_add (int argc, char **argv)
{
  const char                   *kind = NULL;
  const char                   *name = NULL;
  const char                   *url = NULL;
  const char                   *auth = NULL;
  const char                   *user = NULL;
  const char                   *match = NULL;
  KiosKosyncMatch               match_method = KIOS_KOSYNC_MATCH_BINARY;
  gboolean                      password_stdin = FALSE;
  gboolean                      library_sync = FALSE; /* Kobo: consent to list the library */
  g_autofree char              *password = NULL;
  g_autofree char              *url_from_stdin = NULL;
  g_autoptr (KiosSourceManager) manager = NULL;
  g_autoptr (KiosSourceSpec)    spec = NULL;
  g_autoptr (KiosSourceRecord)  record = NULL;
  g_autoptr (GError)            error = NULL;
  KiosKosyncAuth                kosync_auth;

  for (int i = 1; i < argc; i++)
    {
      const char **slot = NULL;
      const char  *value = NULL;

      if (take_value (argc, argv, &i, "--kind", &value))
        slot = &kind;
      else if (take_value (argc, argv, &i, "--name", &value))
        slot = &name;
      else if (take_value (argc, argv, &i, "--url", &value))
        slot = &url;
      else if (take_value (argc, argv, &i, "--auth", &value))
        slot = &auth;
      else if (take_value (argc, argv, &i, "--user", &value))
        slot = &user;
      else if (take_value (argc, argv, &i, "--match", &value))
        slot = &match;
      else if (strcmp (argv[i], "--password-stdin") == 0)
        {
          password_stdin = TRUE;
          continue;
        }
      else if (strcmp (argv[i], "--library-sync") == 0)
        {
          library_sync = TRUE;
          continue;
        }
      else if (strncmp (argv[i], "--password", 10) == 0)
        return kiosctl_usage ("passwords are never taken from the command line: use --password-stdin");
      else
        return kiosctl_usage ("source add: unexpected argument “%s”", argv[i]);

      if (value == NULL || *value == '\0')
        return kiosctl_usage ("source add: %s needs a value", argv[i]);
      *slot = value;
    }

  if (kind == NULL || name == NULL || url == NULL)
    return kiosctl_usage ("source add needs --kind, --name and --url");
  /* A URL that carries a token or key (Kobo, Kavita, Stump) is a secret
   * too: "--url -" reads it from stdin (before the password, if any). */
  if (g_str_equal (url, "-"))
    {
      url_from_stdin = kiosctl_read_secret ("URL: ", TRUE, &error);
      if (url_from_stdin == NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot read the URL from stdin");
      url = url_from_stdin;
    }
  if (!g_str_equal (kind, "kosync") && !g_str_equal (kind, "opds") && !g_str_equal (kind, "kobo"))
    return kiosctl_usage ("source add: --kind must be kosync, opds or kobo");
  if (auth != NULL && !kios_kosync_auth_from_string (auth, &kosync_auth))
    return kiosctl_usage ("source add: --auth must be headers or basic");
  if (match != NULL && !kios_kosync_match_from_string (match, &match_method))
    return kiosctl_usage ("source add: --match must be binary or filename");
  if (match != NULL && !g_str_equal (kind, "kosync"))
    return kiosctl_usage ("source add: --match is for a KOReader sync account (--kind kosync)");

  /* Secrets never come from argv: stdin, or a prompt on a terminal. */
  if (password_stdin || (user != NULL && !g_str_equal (kind, "kobo")))
    {
      password = kiosctl_read_secret ("Password: ", password_stdin, &error);
      if (password == NULL && password_stdin)
        return kiosctl_fail_error_in (error, NULL, "cannot read the password");
      g_clear_error (&error);
    }

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;

  spec = kios_source_spec_new (name, kind, url, user, password);
  spec->auth = g_strdup (auth);
  if (g_str_equal (kind, "kobo")) /* kiosctl-kobo.c: --library-sync is the consent */
    spec->settings_json = kiosctl_kobo_settings_for_add (library_sync);
  if (g_str_equal (kind, "kosync"))
    {
      KiosSourceRecord settings = { 0 };

      kios_source_record_set_match (&settings, match_method);
      spec->settings_json = settings.settings_json;
    }
  record = kios_source_manager_add (manager, spec, NULL, &error);
  if (record == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        return kiosctl_fail ("a source named “%s” already exists: remove it first", name);
      return kiosctl_fail_error (error, NULL, NULL);
    }

  printf ("Added %s source “%s”%s%s%s%s%s\n", kind, name,
          g_str_equal (kind, "kosync") ? ", auth " : "",
          g_str_equal (kind, "kosync") ? record->auth : "",
          g_str_equal (kind, "kosync") ? ", matching by " : "",
          g_str_equal (kind, "kosync") ? kios_kosync_match_to_string (kios_source_record_get_match (record)) : "",
          record->url == NULL ? " (its URL is kept in the keyring)" : "");
  return KIOSCTL_EXIT_OK;
}

static int
source_list (int argc, char **argv)
{
  gboolean                      json = FALSE;
  g_autoptr (KiosSourceManager) manager = NULL;
  g_autoptr (GPtrArray)         sources = NULL;
  g_autoptr (GError)            error = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else
        return kiosctl_usage ("source list: unexpected argument “%s”", argv[i]);
    }

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;
  sources = kios_source_manager_list (manager, &error);
  if (sources == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot list the sources");

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sources");
      json_builder_begin_array (b);
      for (guint i = 0; i < sources->len; i++)
        {
          KiosSourceRecord *s = sources->pdata[i];

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, s->name);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, s->kind);
          /* Never secrets: a key-bearing URL or an API-key user name is null here. */
          json_builder_set_member_name (b, "url");
          if (s->url != NULL)
            json_builder_add_string_value (b, s->url);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "url_in_keyring");
          json_builder_add_boolean_value (b, s->url == NULL);
          json_builder_set_member_name (b, "auth");
          if (s->auth != NULL)
            json_builder_add_string_value (b, s->auth);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "username");
          if (s->username != NULL)
            json_builder_add_string_value (b, s->username);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "enabled");
          json_builder_add_boolean_value (b, kios_source_record_get_enabled (s));
          json_builder_set_member_name (b, "bridge");
          json_builder_add_boolean_value (b, kios_source_record_get_bridge (s));
          if (g_str_equal (s->kind, "kosync"))
            {
              json_builder_set_member_name (b, "match");
              json_builder_add_string_value (b, kios_kosync_match_to_string (kios_source_record_get_match (s)));
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
      return KIOSCTL_EXIT_OK;
    }

  for (guint i = 0; i < sources->len; i++)
    {
      KiosSourceRecord *s = sources->pdata[i];

      printf ("%s\t%s\t%s\t%s\t%s\t%s\t%s%s%s\n", s->name, s->kind,
              s->url != NULL ? s->url : "(URL in the keyring)",
              s->auth != NULL ? s->auth : "-",
              s->username != NULL ? s->username : "-",
              kios_source_record_get_enabled (s) ? "on" : "off",
              kios_source_record_get_bridge (s) ? "bridged" : "-",
              g_str_equal (s->kind, "kosync") ? "\tmatch " : "",
              g_str_equal (s->kind, "kosync") ? kios_kosync_match_to_string (kios_source_record_get_match (s)) : "");
    }
  return KIOSCTL_EXIT_OK;
}

static int
source_remove (int argc, char **argv)
{
  g_autoptr (KiosSourceManager) manager = NULL;
  g_autoptr (GError)            error = NULL;

  if (argc != 2)
    return kiosctl_usage ("source remove needs exactly one NAME");

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;
  if (!kios_source_manager_remove (manager, argv[1], NULL, &error))
    {
      if (g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        return kiosctl_fail ("no source named “%s”", argv[1]);
      return kiosctl_fail_error (error, NULL, NULL);
    }
  printf ("Removed source “%s”\n", argv[1]);
  return KIOSCTL_EXIT_OK;
}

static int
source_rename (int argc, char **argv)
{
  g_autoptr (KiosSourceManager) manager = NULL;
  g_autoptr (GError)            error = NULL;

  if (argc != 3 || *argv[2] == '\0')
    return kiosctl_usage ("source rename needs OLD and NEW");

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;
  if (!kios_source_manager_rename (manager, argv[1], argv[2], NULL, &error))
    {
      if (g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        return kiosctl_fail ("no source named “%s”", argv[1]);
      return kiosctl_fail_error (error, NULL, NULL);
    }
  printf ("Renamed source “%s” to “%s”\n", argv[1], argv[2]);
  return KIOSCTL_EXIT_OK;
}

/* "kosync" names the KOReader sync account, unless a source is called so. */
static const char *
resolve_name (KiosSourceManager *manager,
              const char        *name)
{
  g_autoptr (KiosSourceRecord) named = NULL;

  if (!g_str_equal (name, "kosync"))
    return name;
  named = kios_library_store_get_source (kios_source_manager_get_store (manager), name, NULL);
  return named != NULL ? name : NULL;
}

static int
source_set_enabled (int      argc,
                    char   **argv,
                    gboolean enabled)
{
  g_autoptr (KiosSourceManager) manager = NULL;
  g_autoptr (GError)            error = NULL;

  if (argc != 2)
    return kiosctl_usage ("source %s needs exactly one NAME (or kosync)", argv[0]);

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;
  if (!kios_source_manager_set_enabled (manager, resolve_name (manager, argv[1]), enabled, &error))
    {
      if (g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        return kiosctl_fail ("no source named “%s”", argv[1]);
      return kiosctl_fail_error (error, NULL, NULL);
    }
  printf ("Sync through “%s” is %s\n", argv[1], enabled ? "on" : "off (the account is kept)");
  return KIOSCTL_EXIT_OK;
}

static int
source_bridge (int argc, char **argv)
{
  g_autoptr (KiosSourceManager) manager = NULL;
  g_autoptr (GError)            error = NULL;
  gboolean                      on;

  if (argc != 3 || (!g_str_equal (argv[2], "on") && !g_str_equal (argv[2], "off")))
    return kiosctl_usage ("source bridge needs NAME (or kosync) and on or off");
  on = g_str_equal (argv[2], "on");

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;
  if (!kios_source_manager_set_bridge (manager, resolve_name (manager, argv[1]), on, &error))
    {
      if (g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        return kiosctl_fail ("no source named “%s”", argv[1]);
      return kiosctl_fail_error (error, NULL, NULL);
    }
  if (on)
    printf ("Bridging through “%s” is on: a book it shares with another protocol of the same server gets its "
            "position on each of them, and the furthest one ahead is offered when it opens\n",
            argv[1]);
  else
    printf ("Bridging through “%s” is off: each book syncs over its own protocol only\n", argv[1]);
  return KIOSCTL_EXIT_OK;
}

static int
source_test (int argc, char **argv)
{
  g_autoptr (KiosSourceManager)    manager = NULL;
  g_autoptr (KiosSourceRecord)     record = NULL;
  g_autoptr (KiosSourceTestResult) result = NULL;
  g_autoptr (GError)               error = NULL;

  if (argc != 2)
    return kiosctl_usage ("source test needs exactly one NAME");

  manager = open_manager ();
  if (manager == NULL)
    return KIOSCTL_EXIT_ERROR;
  record = kios_library_store_get_source (kios_source_manager_get_store (manager), argv[1], NULL);
  if (record == NULL)
    return kiosctl_fail ("no source named “%s”", argv[1]);
  result = kios_source_manager_test_source (manager, record->name, NULL, &error);
  if (result == NULL)
    return kiosctl_fail_error (error, record->url, NULL);
  /* The app's sentence, with the URL that answered instead (its key
   * redacted) as "Did you mean …?". */
  if (!result->ok)
    return kiosctl_fail_error (result->error, record->url, result->suggested_url);

  if (g_str_equal (record->kind, "opds"))
    printf ("OK: “%s” answers as an OPDS %s catalog (%u entries)%s\n", record->name,
            result->opds_version == 2 ? "2.0" : "1.x", result->n_entries,
            g_strcmp0 (record->auth, "basic") == 0 ? " and accepts the credentials" : "");
  else if (g_str_equal (record->kind, "kobo"))
    {
      g_autoptr (KiosSourceRecord) now = kios_library_store_get_source (kios_source_manager_get_store (manager),
                                                                        record->name, NULL);
      const KiosSourceRecord      *current = now != NULL ? now : record;

      printf ("OK: “%s” answers Kobo sync and accepts the token (%s)\n", record->name, result->server);
      g_autoptr (KiosKoboSettings) settings = kios_kobo_settings_parse (current->settings_json);

      if (kios_kobo_family_needs_consent (result->kobo_family) && !settings->library_sync)
        printf ("The library is not listed without your consent: this server delivers books or positions once per "
                "account, so a Kobo on the same account would miss what Kios takes. Use a separate server user for "
                "Kios and add the source again with --library-sync.\n");
    }
  else
    printf ("OK: the KOReader sync server accepts the credentials of “%s”%s%s%s\n", record->name,
            result->server != NULL ? " (" : "", result->server != NULL ? result->server : "",
            result->server != NULL ? ")" : "");
  if (g_str_equal (record->kind, "kosync"))
    printf ("%s.\n", kios_kosync_match_explain (kios_source_record_get_match (record)));
  if (kios_source_record_get_bridge (record))
    printf ("Bridging is on: books this source knows also sync over the other protocols of the same server.\n");
  if (!kios_source_record_get_enabled (record))
    printf ("Sync through “%s” is switched off: kiosctl source enable %s\n", record->name, record->name);
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_cmd_source (int argc, char **argv)
{
  /* stdout carries exactly one JSON document: logs (G_MESSAGES_DEBUG) go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    return kiosctl_usage ("%s", SOURCE_USAGE);

  if (strcmp (argv[1], "add") == 0)
    return source_add (argc - 1, argv + 1);
  if (strcmp (argv[1], "list") == 0)
    return source_list (argc - 1, argv + 1);
  if (strcmp (argv[1], "remove") == 0)
    return source_remove (argc - 1, argv + 1);
  if (strcmp (argv[1], "test") == 0)
    return source_test (argc - 1, argv + 1);
  if (strcmp (argv[1], "rename") == 0)
    return source_rename (argc - 1, argv + 1);
  if (strcmp (argv[1], "enable") == 0)
    return source_set_enabled (argc - 1, argv + 1, TRUE);
  if (strcmp (argv[1], "disable") == 0)
    return source_set_enabled (argc - 1, argv + 1, FALSE);
  if (strcmp (argv[1], "bridge") == 0)
    return source_bridge (argc - 1, argv + 1);

  return kiosctl_usage ("unknown source command “%s”; %s", argv[1], SOURCE_USAGE);
}
