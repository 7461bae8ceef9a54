/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-source"

#include "config.h"

#include "kiosctl.h"

#include "kios-kosync-client.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <stdio.h>
#include <string.h>

#define SOURCE_USAGE                                                                   \
  "source add --kind kosync|opds|kobo --name NAME --url URL|- [--auth headers|basic] " \
  "[--user USER] [--password-stdin] [--library-sync] | source list [--json] | source remove NAME | source test NAME"

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

static gboolean
valid_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char      *scheme;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

static int
source_add (int argc, char **argv)
{
  const char                  *kind = NULL;
  const char                  *name = NULL;
  const char                  *url = NULL;
  const char                  *auth = NULL;
  const char                  *user = NULL;
  gboolean                     password_stdin = FALSE;
  gboolean                     library_sync = FALSE; /* Kobo: consent to list the library */
  g_autofree char             *password = NULL;
  g_autofree char             *url_from_stdin = NULL;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) existing = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           error = NULL;
  KiosKosyncAuth               kosync_auth;

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
        return kiosctl_fail ("cannot read the URL from stdin: %s", error->message);
      url = url_from_stdin;
    }
  if (!g_str_equal (kind, "kosync") && !g_str_equal (kind, "opds") && !g_str_equal (kind, "kobo"))
    return kiosctl_usage ("source add: --kind must be kosync, opds or kobo");
  if (auth != NULL && !kios_kosync_auth_from_string (auth, &kosync_auth))
    return kiosctl_usage ("source add: --auth must be headers or basic");
  if (!valid_url (url))
    return kiosctl_fail ("“%s” is not an http:// or https:// URL", name);

  /* Secrets never come from argv: stdin, or a prompt on a terminal. */
  if (password_stdin || (user != NULL && !g_str_equal (kind, "kobo")))
    {
      password = kiosctl_read_secret ("Password: ", password_stdin, &error);
      if (password == NULL && password_stdin)
        return kiosctl_fail ("cannot read the password: %s", error->message);
      g_clear_error (&error);
    }

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail ("cannot open the library: %s", error->message);

  existing = kios_library_store_get_source (store, name, NULL);
  if (existing != NULL)
    return kiosctl_fail ("a source named “%s” already exists: remove it first", name);
  if (g_str_equal (kind, "kosync"))
    {
      g_autoptr (KiosSourceRecord) account = kios_sync_source_find_kosync (store, NULL);
      if (account != NULL)
        return kiosctl_fail ("the KOReader sync account is already set up as “%s”: remove it first",
                             account->name);
    }

  record = g_new0 (KiosSourceRecord, 1);
  record->name = g_strdup (name);
  record->kind = g_strdup (kind);
  if (auth != NULL)
    record->auth = g_strdup (auth);
  else if (g_str_equal (kind, "kosync"))
    {
      /* Without --auth, the method the seed documents for the URL's mount
       * (HTTP Basic for Calibre-Web-Automated's /kosync), else headers. */
      KiosKosyncAuth guessed = KIOS_KOSYNC_AUTH_HEADERS;

      kios_kosync_guess_server (url, &guessed);
      record->auth = g_strdup (kios_kosync_auth_to_string (guessed));
    }
  else
    record->auth = g_strdup (user != NULL ? "basic" : "none");

  if (g_str_equal (kind, "kobo")) /* kiosctl-kobo.c: --library-sync is the consent */
    record->settings_json = kiosctl_kobo_settings_for_add (library_sync);
  if (!kios_sync_source_save_secrets (record, url, user, password, NULL, &error))
    {
      g_autofree char *message = kios_redact_text (error->message);
      kios_sync_source_clear_secrets (name, NULL, NULL);
      return kiosctl_fail ("%s", message);
    }
  if (!kios_library_store_add_source (store, record, &error))
    {
      kios_sync_source_clear_secrets (name, NULL, NULL);
      return kiosctl_fail ("cannot save the source: %s", error->message);
    }
  kios_library_store_flush (store, 5000);

  printf ("Added %s source “%s”%s%s%s\n", kind, name,
          g_str_equal (kind, "kosync") ? ", auth " : "",
          g_str_equal (kind, "kosync") ? record->auth : "",
          record->url == NULL ? " (its URL is kept in the keyring)" : "");
  return KIOSCTL_EXIT_OK;
}

static int
source_list (int argc, char **argv)
{
  gboolean                     json = FALSE;
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GPtrArray)        sources = NULL;
  g_autoptr (GError)           error = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else
        return kiosctl_usage ("source list: unexpected argument “%s”", argv[i]);
    }

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail ("cannot open the library: %s", error->message);
  sources = kios_library_store_list_sources (store, &error);
  if (sources == NULL)
    return kiosctl_fail ("cannot list the sources: %s", error->message);

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

      printf ("%s\t%s\t%s\t%s\t%s\n", s->name, s->kind,
              s->url != NULL ? s->url : "(URL in the keyring)",
              s->auth != NULL ? s->auth : "-",
              s->username != NULL ? s->username : "-");
    }
  return KIOSCTL_EXIT_OK;
}

static int
source_remove (int argc, char **argv)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           error = NULL;

  if (argc != 2)
    return kiosctl_usage ("source remove needs exactly one NAME");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail ("cannot open the library: %s", error->message);
  record = kios_library_store_get_source (store, argv[1], NULL);
  if (record == NULL)
    return kiosctl_fail ("no source named “%s”", argv[1]);

  if (!kios_sync_source_clear_secrets (record->name, NULL, &error))
    {
      g_autofree char *message = kios_redact_text (error->message);
      return kiosctl_fail ("%s", message);
    }
  if (!kios_library_store_remove_source (store, record->name, &error))
    return kiosctl_fail ("cannot remove “%s”: %s", record->name, error->message);
  kios_library_store_flush (store, 5000);
  printf ("Removed source “%s”\n", record->name);
  return KIOSCTL_EXIT_OK;
}

static int
source_test (int argc, char **argv)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosKosyncClient) client = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *suggested = NULL;

  if (argc != 2)
    return kiosctl_usage ("source test needs exactly one NAME");

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail ("cannot open the library: %s", error->message);
  record = kios_library_store_get_source (store, argv[1], NULL);
  if (record == NULL)
    return kiosctl_fail ("no source named “%s”", argv[1]);
  if (g_strcmp0 (record->kind, "opds") == 0) /* kiosctl-catalog.c */
    return kiosctl_source_test_opds (record);
  if (g_strcmp0 (record->kind, "kobo") == 0) /* kiosctl-kobo.c */
    return kiosctl_source_test_kobo (record);
  if (g_strcmp0 (record->kind, "kosync") != 0)
    return kiosctl_fail ("“%s” is a %s source: source test checks KOReader sync accounts",
                         record->name, record->kind);

  client = kios_sync_source_open_kosync (record, NULL, &error);
  if (client == NULL)
    {
      g_autofree char *message = kios_redact_text (error->message);
      return kiosctl_fail ("%s", message);
    }

  if (!kios_kosync_client_test_sync (client, &suggested, NULL, &error))
    {
      /* The message already says "Did you mean …?" with the key redacted. */
      g_autofree char *message = kios_redact_text (error->message);
      return kiosctl_fail ("%s", message);
    }

  {
    g_autofree char *shown = kios_redact_url (kios_kosync_client_get_base_url (client));
    printf ("OK: %s accepts the credentials of “%s”\n", shown, record->name);
  }
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

  return kiosctl_usage ("unknown source command “%s”; %s", argv[1], SOURCE_USAGE);
}
