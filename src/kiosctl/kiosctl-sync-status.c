/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-sync"

#include "config.h"

#include "kiosctl.h"

#include "kios-book-hash.h"
#include "kios-error-messages.h"
#include "kios-error.h"
#include "kios-redact.h"
#include "kios-sync-error.h"
#include "kios-sync-service.h"

#include <stdio.h>
#include <string.h>

/*
 * kiosctl sync status [--json] [FILE] · sync log [--json] FILE ·
 * sync enable|disable kosync|NAME: the sync service's stored view, the same
 * the app's status button and sync details show.
 */

#define STATUS_USAGE "sync status [--json] [FILE]"
#define LOG_USAGE "sync log [--json] FILE"
#define ENABLE_USAGE "sync enable|disable kosync|NAME"

static gboolean
parse_json_and_file (int          argc,
                     char       **argv,
                     gboolean    *json,
                     const char **file)
{
  *json = FALSE;
  *file = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        *json = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return FALSE;
      else if (*file == NULL)
        *file = argv[i];
      else
        return FALSE;
    }
  return TRUE;
}

/* The book's KOReader hash, or an exit code in *rc. */
static char *
hash_of (const char *file,
         int        *rc)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_canonicalize_filename (file, NULL);
  char              *hash;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      *rc = kiosctl_fail ("“%s” is not a file", file);
      return NULL;
    }
  hash = kios_book_hash_file (path, &error);
  if (hash == NULL)
    *rc = kiosctl_fail_error_in (error, NULL, "cannot read “%s”", file);
  return hash;
}

static KiosSyncService *
open_service (int *rc)
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosLibraryStore) store = kiosctl_open_store (&error);

  if (store == NULL)
    {
      *rc = kiosctl_fail_error_in (error, NULL, "cannot open the library");
      return NULL;
    }
  return kios_sync_service_new (store);
}

/* The last error in words: the sentence the app shows for the stored
 * domain and code, naming the server by its host. The stored detail (core
 * English) goes to the debug log only. */
static char *
error_text (const KiosSyncStatus *status)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *host = NULL;
  g_autofree char   *detail = NULL;

  if (!kios_sync_status_state_is_failure (status->state))
    return NULL;
  detail = kios_redact_text (status->detail);
  g_debug ("%s: %s", status->source, detail);
  if (status->error_domain == 0)
    error = g_error_new_literal (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER, detail != NULL ? detail : "");
  else
    error = g_error_new_literal (status->error_domain, status->error_code, detail != NULL ? detail : "");
  host = status->server != NULL ? kios_error_host_from_url (status->server) : NULL;
  return kios_error_describe (error, host, NULL, NULL);
}

static JsonNode *
status_node (const KiosSyncStatus *status)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autofree char       *error = error_text (status);

  kiosctl_set_string (object, "protocol", status->protocol);
  kiosctl_set_string (object, "source", status->source);
  kiosctl_set_string (object, "state", kios_sync_status_state_to_string (status->state));
  kiosctl_set_time (object, "time", status->time);
  kiosctl_set_time (object, "synced_at", status->synced_at);
  kiosctl_set_string (object, "server", status->server);
  kiosctl_set_string (object, "error", error);
  kiosctl_set_string (object, "detail", error == NULL ? status->detail : NULL);
  kiosctl_set_time (object, "pending_since", status->pending_since);
  return json_node_init_object (json_node_alloc (), object);
}

static char *
format_time (gint64 unix_seconds)
{
  g_autoptr (GDateTime) time = NULL;

  if (unix_seconds <= 0)
    return NULL;
  time = g_date_time_new_from_unix_utc (unix_seconds);
  return g_date_time_format_iso8601 (time);
}

static void
print_status_line (const KiosSyncStatus *status)
{
  g_autofree char *time = format_time (status->state == KIOS_SYNC_STATUS_SYNCED ? status->synced_at
                                                                                : status->time);
  g_autofree char *error = error_text (status);
  g_autofree char *synced = status->state != KIOS_SYNC_STATUS_SYNCED ? format_time (status->synced_at)
                                                                     : NULL;

  printf ("%-8s %-24s %-13s", status->protocol != NULL ? status->protocol : "-",
          status->source != NULL ? status->source : "-",
          kios_sync_status_state_to_string (status->state));
  if (time != NULL)
    printf ("  since %s", time);
  if (status->server != NULL)
    printf ("  server %s", status->server);
  if (synced != NULL)
    printf ("  last synced %s", synced);
  if (error != NULL)
    printf ("\n         last error: %s", error);
  else if (status->detail != NULL)
    printf ("\n         %s", status->detail);
  printf ("\n");
}

static int
sync_status (int    argc,
             char **argv)
{
  g_autoptr (KiosSyncService) service = NULL;
  g_autoptr (GPtrArray)       statuses = NULL;
  g_autoptr (GError)          error = NULL;
  g_autofree char            *hash = NULL;
  const char                 *file;
  gboolean                    json;
  int                         rc = KIOSCTL_EXIT_OK;

  if (!parse_json_and_file (argc, argv, &json, &file))
    return kiosctl_usage ("%s", STATUS_USAGE);
  if (file != NULL && (hash = hash_of (file, &rc)) == NULL)
    return rc;
  if ((service = open_service (&rc)) == NULL)
    return rc;

  statuses = kios_sync_service_list_status (service, hash, &error);
  if (statuses == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot read the sync status");

  if (json)
    {
      g_autoptr (JsonObject) root = json_object_new ();
      JsonArray             *array = json_array_new ();
      g_autoptr (JsonNode)   node = NULL;

      kiosctl_set_string (root, "hash", hash);
      for (guint i = 0; i < statuses->len; i++)
        json_array_add_element (array, status_node (statuses->pdata[i]));
      json_object_set_array_member (root, "statuses", array);
      node = json_node_init_object (json_node_alloc (), root);
      kiosctl_print_json (node);
      return KIOSCTL_EXIT_OK;
    }

  if (statuses->len == 0)
    printf ("off: no sync account or source is set up\n");
  for (guint i = 0; i < statuses->len; i++)
    print_status_line (statuses->pdata[i]);
  return KIOSCTL_EXIT_OK;
}

static int
sync_log (int    argc,
          char **argv)
{
  g_autoptr (KiosSyncService) service = NULL;
  g_autoptr (GPtrArray)       entries = NULL;
  g_autoptr (GError)          error = NULL;
  g_autofree char            *hash = NULL;
  const char                 *file;
  gboolean                    json;
  int                         rc = KIOSCTL_EXIT_OK;

  if (!parse_json_and_file (argc, argv, &json, &file) || file == NULL)
    return kiosctl_usage ("%s", LOG_USAGE);
  if ((hash = hash_of (file, &rc)) == NULL)
    return rc;
  if ((service = open_service (&rc)) == NULL)
    return rc;

  entries = kios_sync_service_list_log (service, hash, 0, &error);
  if (entries == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot read the sync log");

  if (json)
    {
      JsonArray           *array = json_array_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < entries->len; i++)
        {
          const KiosSyncLogEntry *entry = entries->pdata[i];
          JsonObject             *object = json_object_new ();

          kiosctl_set_time (object, "time", entry->time);
          kiosctl_set_string (object, "protocol", entry->protocol);
          kiosctl_set_string (object, "source", entry->source);
          kiosctl_set_string (object, "direction", entry->direction);
          kiosctl_set_string (object, "result", entry->result);
          kiosctl_set_string (object, "detail", entry->detail);
          kiosctl_set_string (object, "precision", entry->precision);
          json_array_add_object_element (array, object);
        }
      json_node_take_array (node, array);
      kiosctl_print_json (node);
      return KIOSCTL_EXIT_OK;
    }

  if (entries->len == 0)
    printf ("no sync history for this book\n");
  for (guint i = 0; i < entries->len; i++)
    {
      const KiosSyncLogEntry *entry = entries->pdata[i];
      g_autofree char        *time = format_time (entry->time);

      printf ("%s  %-4s %-8s %-20s %-13s%s%s%s%s\n", time != NULL ? time : "-", entry->direction,
              entry->protocol != NULL ? entry->protocol : "-", entry->source != NULL ? entry->source : "-",
              entry->result, entry->precision != NULL ? "  precision " : "",
              entry->precision != NULL ? entry->precision : "", entry->detail != NULL ? "  " : "",
              entry->detail != NULL ? entry->detail : "");
    }
  return KIOSCTL_EXIT_OK;
}

static int
sync_enable (int      argc,
             char   **argv,
             gboolean enabled)
{
  g_autoptr (KiosSyncService) service = NULL;
  g_autoptr (GError)          error = NULL;
  int                         rc = KIOSCTL_EXIT_OK;

  if (argc != 2 || argv[1][0] == '-')
    return kiosctl_usage ("%s", ENABLE_USAGE);
  if ((service = open_service (&rc)) == NULL)
    return rc;

  if (!kios_sync_service_set_enabled (service, argv[1], enabled, &error))
    {
      if (g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        {
          if (strcmp (argv[1], "kosync") == 0)
            return kiosctl_fail ("no KOReader sync account is set up");
          return kiosctl_fail ("there is no source named “%s”", argv[1]);
        }
      return kiosctl_fail_error_in (error, NULL, "cannot change the source");
    }
  if (!kios_library_store_flush_checked (kios_sync_service_get_store (service), 5000, &error))
    return kiosctl_fail_error_in (error, NULL, "the change was not saved");
  printf ("sync through %s is %s\n", argv[1], enabled ? "on" : "off");
  return KIOSCTL_EXIT_OK;
}

/* -1 when argv[1] is not one of these commands. */
int
kiosctl_sync_status_dispatch (int    argc,
                              char **argv)
{
  if (argc < 2)
    return -1;
  if (strcmp (argv[1], "status") == 0)
    return sync_status (argc - 1, argv + 1);
  if (strcmp (argv[1], "log") == 0)
    return sync_log (argc - 1, argv + 1);
  if (strcmp (argv[1], "enable") == 0)
    return sync_enable (argc - 1, argv + 1, TRUE);
  if (strcmp (argv[1], "disable") == 0)
    return sync_enable (argc - 1, argv + 1, FALSE);
  return -1;
}
