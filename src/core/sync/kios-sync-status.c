/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-status"

#include "config.h"

#include "kios-sync-status.h"

#include "kios-redact.h"
#include "kios-sync-error.h"

#include <gio/gio.h>

G_DEFINE_ENUM_TYPE (KiosSyncStatusState, kios_sync_status_state, G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_OFF, "off"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_NEVER, "never"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_SYNCED, "synced"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_PENDING, "pending"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_OFFLINE, "offline"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_REFUSED, "refused"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_WRONG_URL, "wrong-url"), G_DEFINE_ENUM_VALUE (KIOS_SYNC_STATUS_SERVER_ERROR, "server-error"))

static const char *const state_words[] = {
  [KIOS_SYNC_STATUS_OFF] = "off",
  [KIOS_SYNC_STATUS_NEVER] = "never",
  [KIOS_SYNC_STATUS_SYNCED] = "synced",
  [KIOS_SYNC_STATUS_PENDING] = "pending",
  [KIOS_SYNC_STATUS_OFFLINE] = "offline",
  [KIOS_SYNC_STATUS_REFUSED] = "refused",
  [KIOS_SYNC_STATUS_WRONG_URL] = "wrong-url",
  [KIOS_SYNC_STATUS_SERVER_ERROR] = "server-error",
};

const char *
kios_sync_status_state_to_string (KiosSyncStatusState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_words))
    return "off";
  return state_words[state];
}

gboolean
kios_sync_status_state_from_string (const char          *text,
                                    KiosSyncStatusState *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (state_words); i++)
    {
      if (g_strcmp0 (text, state_words[i]) == 0)
        {
          *state = (KiosSyncStatusState) i;
          return TRUE;
        }
    }
  return FALSE;
}

KiosSyncStatusState
kios_sync_status_state_for_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, KIOS_SYNC_STATUS_SERVER_ERROR);

  if (error->domain == KIOS_HTTP_ERROR)
    {
      switch (error->code)
        {
        case KIOS_HTTP_ERROR_INVALID_URL:
          return KIOS_SYNC_STATUS_WRONG_URL;
        case KIOS_HTTP_ERROR_TOO_LARGE:
        case KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS:
          return KIOS_SYNC_STATUS_SERVER_ERROR;
        default:
          /* Unreachable, timed out, TLS refused: nothing reached the server. */
          return KIOS_SYNC_STATUS_OFFLINE;
        }
    }
  if (error->domain == KIOS_SYNC_ERROR)
    {
      switch (error->code)
        {
        case KIOS_SYNC_ERROR_NETWORK:
        case KIOS_SYNC_ERROR_TIMEOUT:
          return KIOS_SYNC_STATUS_OFFLINE;
        case KIOS_SYNC_ERROR_AUTH:
        case KIOS_SYNC_ERROR_AUTH_METHOD:
        case KIOS_SYNC_ERROR_SECRETS:
          return KIOS_SYNC_STATUS_REFUSED;
        case KIOS_SYNC_ERROR_WRONG_URL:
        case KIOS_SYNC_ERROR_DISABLED:
        case KIOS_SYNC_ERROR_NOT_CATALOG:
          return KIOS_SYNC_STATUS_WRONG_URL;
        default:
          return KIOS_SYNC_STATUS_SERVER_ERROR;
        }
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return KIOS_SYNC_STATUS_OFFLINE;
  return KIOS_SYNC_STATUS_SERVER_ERROR;
}

gboolean
kios_sync_status_state_is_failure (KiosSyncStatusState state)
{
  return state == KIOS_SYNC_STATUS_OFFLINE || state == KIOS_SYNC_STATUS_REFUSED ||
         state == KIOS_SYNC_STATUS_WRONG_URL || state == KIOS_SYNC_STATUS_SERVER_ERROR;
}

KiosSyncStatus *
kios_sync_status_new (const char *protocol,
                      const char *source,
                      const char *book_hash)
{
  KiosSyncStatus *self = g_new0 (KiosSyncStatus, 1);

  self->protocol = g_strdup (protocol);
  self->source = g_strdup (source);
  self->book_hash = g_strdup (book_hash);
  self->state = KIOS_SYNC_STATUS_NEVER;
  return self;
}

KiosSyncStatus *
kios_sync_status_copy (const KiosSyncStatus *self)
{
  KiosSyncStatus *copy;

  if (self == NULL)
    return NULL;

  copy = g_memdup2 (self, sizeof *self);
  copy->protocol = g_strdup (self->protocol);
  copy->source = g_strdup (self->source);
  copy->book_hash = g_strdup (self->book_hash);
  copy->server = g_strdup (self->server);
  copy->detail = g_strdup (self->detail);
  return copy;
}

void
kios_sync_status_free (KiosSyncStatus *self)
{
  if (self == NULL)
    return;

  g_free (self->protocol);
  g_free (self->source);
  g_free (self->book_hash);
  g_free (self->server);
  g_free (self->detail);
  g_free (self);
}

void
kios_sync_status_set_error (KiosSyncStatus *self,
                            const GError   *error)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (error != NULL);

  self->state = kios_sync_status_state_for_error (error);
  self->time = g_get_real_time () / G_USEC_PER_SEC;
  self->error_domain = error->domain;
  self->error_code = error->code;
  g_free (self->detail);
  self->detail = kios_redact_text (error->message);
}

void
kios_sync_status_set_synced (KiosSyncStatus *self)
{
  g_return_if_fail (self != NULL);

  self->state = KIOS_SYNC_STATUS_SYNCED;
  self->time = g_get_real_time () / G_USEC_PER_SEC;
  self->synced_at = self->time;
  self->error_domain = 0;
  self->error_code = 0;
  g_clear_pointer (&self->detail, g_free);
}

void
kios_sync_status_apply (KiosSyncStatus *self,
                        const GError   *error,
                        const char     *server)
{
  KiosSyncStatusState old = self->state;
  gint64              old_time = self->time;

  g_return_if_fail (self != NULL);

  if (error == NULL)
    kios_sync_status_set_synced (self);
  else
    {
      kios_sync_status_set_error (self, error);
      if (self->state == old && old_time > 0)
        self->time = old_time;
    }
  if (server != NULL)
    {
      g_free (self->server);
      self->server = g_strdup (server);
    }
}

gboolean
kios_sync_status_error_is_source_wide (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain == KIOS_HTTP_ERROR || error->domain == G_IO_ERROR)
    return TRUE; /* the server as a whole */
  if (error->domain != KIOS_SYNC_ERROR)
    return FALSE; /* the book here (document, store): not the server's */
  switch (error->code)
    {
    case KIOS_SYNC_ERROR_NOT_FOUND:
    case KIOS_SYNC_ERROR_CONFLICT:
    case KIOS_SYNC_ERROR_CLIENT:
    case KIOS_SYNC_ERROR_UNSUPPORTED:
      return FALSE;
    default:
      return TRUE;
    }
}

gboolean
kios_sync_status_equal (const KiosSyncStatus *a,
                        const KiosSyncStatus *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->state == b->state && a->synced_at == b->synced_at && a->pending_reason == b->pending_reason &&
         a->pending_since == b->pending_since && a->error_domain == b->error_domain &&
         a->error_code == b->error_code && g_strcmp0 (a->protocol, b->protocol) == 0 &&
         g_strcmp0 (a->source, b->source) == 0 && g_strcmp0 (a->book_hash, b->book_hash) == 0 &&
         g_strcmp0 (a->server, b->server) == 0 && g_strcmp0 (a->detail, b->detail) == 0;
}

KiosSyncLogEntry *
kios_sync_log_entry_new (const char *protocol,
                         const char *source,
                         const char *book_hash,
                         const char *direction,
                         const char *result,
                         const char *detail)
{
  KiosSyncLogEntry *self = g_new0 (KiosSyncLogEntry, 1);

  self->time = g_get_real_time () / G_USEC_PER_SEC;
  self->protocol = g_strdup (protocol);
  self->source = g_strdup (source);
  self->book_hash = g_strdup (book_hash);
  self->direction = g_strdup (direction);
  self->result = g_strdup (result);
  self->detail = kios_redact_text (detail);
  return self;
}

KiosSyncLogEntry *
kios_sync_log_entry_copy (const KiosSyncLogEntry *self)
{
  KiosSyncLogEntry *copy;

  if (self == NULL)
    return NULL;

  copy = g_memdup2 (self, sizeof *self);
  copy->protocol = g_strdup (self->protocol);
  copy->source = g_strdup (self->source);
  copy->direction = g_strdup (self->direction);
  copy->result = g_strdup (self->result);
  copy->detail = g_strdup (self->detail);
  copy->precision = g_strdup (self->precision);
  copy->remote = g_strdup (self->remote);
  copy->book_hash = g_strdup (self->book_hash);
  return copy;
}

void
kios_sync_log_entry_free (KiosSyncLogEntry *self)
{
  if (self == NULL)
    return;

  g_free (self->protocol);
  g_free (self->source);
  g_free (self->direction);
  g_free (self->result);
  g_free (self->detail);
  g_free (self->precision);
  g_free (self->remote);
  g_free (self->book_hash);
  g_free (self);
}
