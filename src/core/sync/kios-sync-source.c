/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-source"

#include "config.h"

#include "kios-sync-source.h"

#include "kios-paths.h"
#include "kios-redact.h"
#include "kios-secrets.h"
#include "kios-sync-error.h"

#include <string.h>

gboolean
kios_sync_source_url_is_secret (const char *kind,
                                const char *url)
{
  g_autofree char *redacted = NULL;

  if (url == NULL)
    return FALSE;
  /* A Kobo sync URL is a personal token whatever its shape. */
  if (g_strcmp0 (kind, "kobo") == 0)
    return TRUE;
  if (kios_kosync_url_has_key (url))
    return TRUE;
  /* Anything the redactor would hide (userinfo, /kobo/, /api/opds/, key params). */
  redacted = kios_redact_url (url);
  return !g_str_equal (redacted, url);
}

gboolean
kios_sync_source_username_is_secret (const char *username)
{
  if (username == NULL || strlen (username) < 20)
    return FALSE;
  /* API keys are long runs of letters, digits, '-' and '_'; user names and
   * e-mail addresses are rarely that long without any other character. */
  for (const char *p = username; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

gboolean
kios_sync_source_save_secrets (KiosSourceRecord *record,
                               const char       *url,
                               const char       *username,
                               const char       *password,
                               GCancellable     *cancellable,
                               GError          **error)
{
  g_return_val_if_fail (record != NULL && record->name != NULL, FALSE);

  g_clear_pointer (&record->url, g_free);
  g_clear_pointer (&record->username, g_free);

  if (password != NULL && *password != '\0')
    {
      if (!kios_secrets_store_sync (record->name, KIOS_SECRET_KIND_PASSWORD, password, cancellable, error))
        return FALSE;
    }
  else if (!kios_secrets_clear_sync (record->name, KIOS_SECRET_KIND_PASSWORD, cancellable, NULL))
    g_debug ("no password to clear");

  if (kios_sync_source_url_is_secret (record->kind, url))
    {
      if (!kios_secrets_store_sync (record->name, KIOS_SECRET_KIND_URL, url, cancellable, error))
        return FALSE;
    }
  else
    {
      kios_secrets_clear_sync (record->name, KIOS_SECRET_KIND_URL, cancellable, NULL);
      record->url = g_strdup (url);
    }

  if (kios_sync_source_username_is_secret (username))
    {
      if (!kios_secrets_store_sync (record->name, KIOS_SECRET_KIND_USERNAME, username, cancellable, error))
        return FALSE;
    }
  else
    {
      kios_secrets_clear_sync (record->name, KIOS_SECRET_KIND_USERNAME, cancellable, NULL);
      record->username = g_strdup (username);
    }
  return TRUE;
}

gboolean
kios_sync_source_clear_secrets (const char   *name,
                                GCancellable *cancellable,
                                GError      **error)
{
  static const char *const kinds[] = {
    KIOS_SECRET_KIND_PASSWORD, KIOS_SECRET_KIND_URL, KIOS_SECRET_KIND_USERNAME, KIOS_SECRET_KIND_TOKEN
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (!kios_secrets_clear_sync (name, kinds[i], cancellable, error))
      return FALSE;
  return TRUE;
}

gboolean
kios_sync_source_load (const KiosSourceRecord *record,
                       char                  **url,
                       char                  **username,
                       char                  **password,
                       GCancellable           *cancellable,
                       GError                **error)
{
  g_autofree char *u = NULL;
  g_autofree char *user = NULL;
  g_autofree char *pw = NULL;
  GError          *local_error = NULL;

  g_return_val_if_fail (record != NULL, FALSE);

  if (record->url != NULL)
    u = g_strdup (record->url);
  else
    {
      u = kios_secrets_lookup_sync (record->name, KIOS_SECRET_KIND_URL, cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (u == NULL)
        {
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS,
                       "The URL of “%s” is not in the keyring (is it locked?). "
                       "Unlock it, or add the source again.",
                       record->name);
          return FALSE;
        }
    }

  if (record->username != NULL)
    user = g_strdup (record->username);
  else
    {
      user = kios_secrets_lookup_sync (record->name, KIOS_SECRET_KIND_USERNAME, cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
    }

  if (password != NULL)
    {
      pw = kios_secrets_lookup_sync (record->name, KIOS_SECRET_KIND_PASSWORD, cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
    }

  if (url != NULL)
    *url = g_steal_pointer (&u);
  if (username != NULL)
    *username = g_steal_pointer (&user);
  if (password != NULL)
    *password = g_steal_pointer (&pw);
  return TRUE;
}

KiosKosyncClient *
kios_sync_source_open_kosync (const KiosSourceRecord *record,
                              GCancellable           *cancellable,
                              GError                **error)
{
  g_autofree char  *url = NULL;
  g_autofree char  *username = NULL;
  g_autofree char  *password = NULL;
  g_autofree char  *device = NULL;
  g_autofree char  *device_id = NULL;
  KiosKosyncAuth    auth = KIOS_KOSYNC_AUTH_HEADERS;
  KiosKosyncClient *client;

  g_return_val_if_fail (record != NULL, NULL);

  if (g_strcmp0 (record->kind, "kosync") != 0)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "“%s” is not a KOReader sync source", record->name);
      return NULL;
    }
  if (record->auth != NULL && !kios_kosync_auth_from_string (record->auth, &auth))
    auth = KIOS_KOSYNC_AUTH_HEADERS;
  if (!kios_sync_source_load (record, &url, &username, &password, cancellable, error))
    return NULL;

  client = kios_kosync_client_new (url, auth, username, password);
  device = kios_paths_device_name ();
  device_id = kios_paths_device_id ();
  kios_kosync_client_set_device (client, device, device_id);
  if (password != NULL)
    memset (password, 0, strlen (password));
  return client;
}

KiosSourceRecord *
kios_sync_source_find_kosync (KiosLibraryStore *store,
                              GError          **error)
{
  g_autoptr (GPtrArray) sources = kios_library_store_list_sources (store, error);

  if (sources == NULL)
    return NULL;
  for (guint i = 0; i < sources->len; i++)
    {
      KiosSourceRecord *source = sources->pdata[i];
      if (g_strcmp0 (source->kind, "kosync") == 0)
        return kios_source_record_copy (source);
    }
  return NULL;
}
