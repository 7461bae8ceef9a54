/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-source-messages"

#include "config.h"

#include "kios-source-messages.h"

#include "kios-error-messages.h"
#include "kios-sync-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

/* Where a source's words differ from the general table. */
static char *
source_sentence (const char   *kind,
                 const GError *error)
{
  if (g_strcmp0 (kind, "kobo") == 0 && g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH))
    return g_strdup (_ ("Token not accepted. Copy the Kobo sync URL again from the server’s settings."));
  /* Saving a source is where the keyring matters most: name the kind of
   * service to start, not only GNOME's. */
  if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS))
    return g_strdup (_ ("Kios keeps passwords only in the system keyring, and none could be used. Start and "
                        "unlock GNOME Keyring, KeePassXC or another Secret Service provider, then try again."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      if (g_strcmp0 (kind, "kosync") == 0)
        return g_strdup (_ ("A KOReader sync account is already set up."));
      return g_strdup (_ ("A source with this name already exists. Choose another name."));
    }
  return NULL;
}

static char *
describe (const char   *kind,
          const char   *url,
          const GError *error,
          const char   *suggested_url)
{
  g_autofree char *host = kios_error_host_from_url (url);
  char            *sentence = source_sentence (kind, error);

  if (sentence != NULL)
    return sentence;
  return kios_error_describe (error, host, suggested_url, NULL);
}

char *
kios_source_error_describe (const char   *kind,
                            const char   *url,
                            const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return describe (kind, url, error, NULL);
}

char *
kios_source_test_describe (const char                 *kind,
                           const char                 *url,
                           const KiosSourceTestResult *result)
{
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

  return describe (kind, url, result->error, result->suggested_url);
}
