/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-source-probe"

#include "config.h"

#include "kios-source-manager-private.h"

#include "kios-kosync-client.h"
#include "kios-opds-client.h"
#include "kios-paths.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <string.h>

/* Probes are a diagnosis: each candidate gets a short time. */
#define PROBE_TIMEOUT_MS 5000

/* Another path on the same origin that is an OPDS catalog, found the way
 * the catalog view finds one: kios_opds_client_suggest_catalog (). */
static char *
probe_opds (const KiosSourceSpec *spec,
            GCancellable         *cancellable)
{
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (spec->url, spec->username, spec->password);

  kios_opds_client_set_timeout (client, PROBE_TIMEOUT_MS);
  return kios_opds_client_suggest_catalog (client, cancellable, NULL);
}

static gboolean
opds_worth_probing (const GError *error)
{
  /* A page that is no catalog, a missing one or a wrong link: the server is
   * there, the path is not. Unreachable, refused or failing servers are not
   * helped by another path. */
  return g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL) ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG) ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND) ||
         g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
}

static gboolean
test_opds (const KiosSourceSpec *spec,
           KiosSourceTestResult *result,
           GCancellable         *cancellable,
           GError              **error)
{
  g_autoptr (KiosOpdsClient) client = kios_opds_client_new (spec->url, spec->username, spec->password);
  g_autoptr (KiosOpdsFeed)   feed = NULL;
  g_autoptr (GError)         local_error = NULL;
  g_autofree char           *found = NULL;
  g_autofree char           *shown = NULL;

  feed = kios_opds_client_fetch (client, NULL, cancellable, &local_error);
  if (feed != NULL)
    {
      result->ok = TRUE;
      result->server = g_strdup (feed->title);
      result->n_entries = feed->entries->len;
      result->opds_version = feed->version;
      return TRUE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (opds_worth_probing (local_error))
    found = probe_opds (spec, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (found == NULL)
    {
      result->error = g_steal_pointer (&local_error);
      return TRUE;
    }
  /* What answered keeps its code (a web page, no catalog): that is what the
   * person needs to hear, with the address that does answer. */
  shown = kios_redact_url (found);
  result->error = g_error_new (KIOS_SYNC_ERROR,
                               g_error_matches (local_error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND)
                                   ? KIOS_SYNC_ERROR_WRONG_URL
                                   : local_error->code,
                               "%s%s Did you mean %s?", local_error->message,
                               g_str_has_suffix (local_error->message, ".") ? "" : ".", shown);
  result->suggested_url = g_steal_pointer (&found);
  return TRUE;
}

static gboolean
test_kosync (const KiosSourceSpec *spec,
             KiosSourceTestResult *result,
             GCancellable         *cancellable,
             GError              **error)
{
  g_autoptr (KiosKosyncClient) client = NULL;
  g_autoptr (GError)           local_error = NULL;
  g_autofree char             *device = kios_paths_device_name ();
  g_autofree char             *device_id = kios_paths_device_id ();
  KiosKosyncAuth               auth = KIOS_KOSYNC_AUTH_HEADERS;

  if (spec->auth == NULL || !kios_kosync_auth_from_string (spec->auth, &auth))
    kios_kosync_guess_server (spec->url, &auth);
  client = kios_kosync_client_new (spec->url, auth, spec->username, spec->password);
  kios_kosync_client_set_device (client, device, device_id);
  if (kios_kosync_client_test_sync (client, &result->suggested_url, cancellable, &local_error))
    {
      result->ok = TRUE;
      result->server = g_strdup (kios_kosync_guess_server (spec->url, NULL));
      return TRUE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  result->error = g_steal_pointer (&local_error);
  return TRUE;
}

static gboolean
test_kobo (const KiosSourceSpec *spec,
           KiosSourceTestResult *result,
           GCancellable         *cancellable,
           GError              **error)
{
  g_autoptr (KiosKoboClient) client = NULL;
  g_autoptr (GError)         local_error = NULL;

  /* v1/initialization only: it has no side effect on any server. */
  client = kios_kobo_client_new (spec->url, &local_error);
  if (client != NULL && kios_kobo_client_initialize (client, cancellable, &local_error))
    {
      result->ok = TRUE;
      result->kobo_family = kios_kobo_client_get_family (client);
      result->kobo_image_template = g_strdup (kios_kobo_client_get_image_template (client));
      result->server = g_strdup (kios_kobo_family_describe (result->kobo_family));
      return TRUE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  result->error = g_steal_pointer (&local_error);
  return TRUE;
}

KiosSourceTestResult *
kios_source_probe_run (const KiosSourceSpec *spec,
                       GCancellable         *cancellable,
                       GError              **error)
{
  g_autoptr (KiosSourceTestResult) result = g_new0 (KiosSourceTestResult, 1);
  gboolean                         done;

  g_return_val_if_fail (spec != NULL && spec->kind != NULL, NULL);

  if (spec->url == NULL || *spec->url == '\0')
    {
      result->error = g_error_new_literal (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, "No URL was given");
      return g_steal_pointer (&result);
    }
  if (g_str_equal (spec->kind, "opds"))
    done = test_opds (spec, result, cancellable, error);
  else if (g_str_equal (spec->kind, "kosync"))
    done = test_kosync (spec, result, cancellable, error);
  else if (g_str_equal (spec->kind, "kobo"))
    done = test_kobo (spec, result, cancellable, error);
  else
    {
      result->error = g_error_new (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                                   "Kios cannot test a source of kind “%s”", spec->kind);
      done = TRUE;
    }
  if (!done)
    return NULL;
  /* Never report a failure without saying why, nor success with an error. */
  g_assert (result->ok == (result->error == NULL));
  return g_steal_pointer (&result);
}
