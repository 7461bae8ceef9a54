/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-source-messages"

#include "config.h"

#include "kios-source-messages.h"

#include "kios-error.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

static const char *
wrong_url_sentence (const char *kind)
{
  if (g_strcmp0 (kind, "kosync") == 0)
    return _ ("This address does not lead to KOReader sync. Enter the full sync URL, including the server’s "
              "sub-path.");
  if (g_strcmp0 (kind, "kobo") == 0)
    return _ ("This is not a Kobo sync URL. Copy it again from the server’s settings.");
  return _ ("This address is not an OPDS catalog. Check the catalog URL.");
}

static const char *
sync_sentence (const char   *kind,
               const GError *error)
{
  switch ((KiosSyncError) error->code)
    {
    case KIOS_SYNC_ERROR_NETWORK:
      return _ ("Kios could not reach the server. Check the address and your connection, then try again.");
    case KIOS_SYNC_ERROR_AUTH:
      if (g_strcmp0 (kind, "kobo") == 0)
        return _ ("Token not accepted. Copy the Kobo sync URL again from the server’s settings.");
      return _ ("The server refused the user name or password. Check them and try again.");
    case KIOS_SYNC_ERROR_AUTH_METHOD:
      return _ ("The server accepts these details with the other authentication method. Change Authentication "
                "and test again.");
    case KIOS_SYNC_ERROR_NOT_FOUND:
      return _ ("There is nothing at this address on the server. Check the address.");
    case KIOS_SYNC_ERROR_SERVER:
      return _ ("The server ran into a problem. Try again later.");
    case KIOS_SYNC_ERROR_PROTOCOL:
      if (g_strcmp0 (kind, "opds") == 0)
        return _ ("A web page answered instead of a catalog, perhaps a login page. Check the catalog URL.");
      return _ ("The server answered in a way Kios does not understand. Check the address.");
    case KIOS_SYNC_ERROR_DISABLED:
      return _ ("Sync is switched off on the server. Turn it on in the server’s settings, then try again.");
    case KIOS_SYNC_ERROR_WRONG_URL:
      return wrong_url_sentence (kind);
    case KIOS_SYNC_ERROR_SECRETS:
      return _ ("No keyring is available to keep the password. Start and unlock GNOME Keyring or another "
                "Secret Service provider, then try again. Kios never stores passwords in plain text.");
    case KIOS_SYNC_ERROR_UNSUPPORTED:
      return _ ("Kios cannot use this server for this.");
    case KIOS_SYNC_ERROR_CONFLICT:
    case KIOS_SYNC_ERROR_CLIENT:
    default:
      return _ ("The server did not accept Kios’s request.");
    }
}

static const char *
http_sentence (const GError *error)
{
  switch ((KiosHttpError) error->code)
    {
    case KIOS_HTTP_ERROR_TIMEOUT:
      return _ ("The server did not answer in time. Try again later.");
    case KIOS_HTTP_ERROR_TLS:
      return _ ("The server’s security certificate could not be verified.");
    case KIOS_HTTP_ERROR_INVALID_URL:
      return _ ("The address must start with http:// or https://.");
    case KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS:
      return _ ("The server sent Kios round in circles. Check the address.");
    case KIOS_HTTP_ERROR_TOO_LARGE:
      return _ ("The server sent more than Kios accepts. Check the address.");
    case KIOS_HTTP_ERROR_NETWORK:
    case KIOS_HTTP_ERROR_FAILED:
    default:
      return _ ("Kios could not reach the server. Check the address and your connection, then try again.");
    }
}

char *
kios_source_error_describe (const char   *kind,
                            const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == KIOS_SYNC_ERROR)
    return g_strdup (sync_sentence (kind, error));
  if (error->domain == KIOS_HTTP_ERROR)
    return g_strdup (http_sentence (error));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      if (g_strcmp0 (kind, "kosync") == 0)
        return g_strdup (_ ("A KOReader sync account is already set up."));
      return g_strdup (_ ("A source with this name already exists. Choose another name."));
    }
  if (g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    return g_strdup (_ ("This source is no longer in the library."));
  if (error->domain == KIOS_STORE_ERROR)
    return g_strdup (_ ("Your library could not be changed. Try again."));
  return g_strdup (_ ("Something went wrong. Try again."));
}

char *
kios_source_test_describe (const char                 *kind,
                           const KiosSourceTestResult *result)
{
  g_autofree char *sentence = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (result != NULL, NULL);

  if (result->ok)
    {
      if (g_strcmp0 (kind, "kobo") == 0)
        /* Translators: %s is the kind of server, e.g. “Calibre-Web or Calibre-Web-Automated”. */
        return g_strdup_printf (_ ("Connected: %s, Kobo sync works."), result->server);
      if (g_strcmp0 (kind, "opds") == 0)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Connected: “%s”, %u entry.",
                                             "Connected: “%s”, %u entries.", result->n_entries),
                                result->server != NULL ? result->server : _ ("the catalog"), result->n_entries);
      return g_strdup (_ ("Connected: the server accepted this account."));
    }

  sentence = kios_source_error_describe (kind, result->error);
  if (result->suggested_url == NULL)
    return g_steal_pointer (&sentence);
  shown = kios_redact_url (result->suggested_url);
  /* Translators: the first %s is what went wrong, the second a URL that answered. */
  return g_strdup_printf (_ ("%s Did you mean %s?"), sentence, shown);
}
