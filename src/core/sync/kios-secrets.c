/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-secrets"

#include "config.h"

#include "kios-secrets-private.h"
#include "kios-secrets.h"

#include "kios-dlopen.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <libsecret/secret.h>
#include <string.h>

#define MSG_NO_SERVICE                                                          \
  "No Secret Service is available to keep it (start and unlock GNOME Keyring, " \
  "KeePassXC or another Secret Service provider). Kios never stores passwords in plain text."

/* libsecret (and its libgcrypt) is loaded by the first call, on the thread
 * making it: the `v` forms of its simple password API, which take the
 * attributes as a table (no variadic calls through a pointer). */
typedef struct
{
  gboolean (*storev_sync) (const SecretSchema *schema, GHashTable *attributes, const gchar *collection, const gchar *label, const gchar *password, GCancellable *cancellable, GError **error);
  gchar *(*lookupv_sync) (const SecretSchema *schema, GHashTable *attributes, GCancellable *cancellable, GError **error);
  gboolean (*clearv_sync) (const SecretSchema *schema, GHashTable *attributes, GCancellable *cancellable, GError **error);
  void (*free) (gchar *password);
} SecretApi;

static SecretApi  loaded_api;
static KiosDlOnce loaded_once;

#define SAME_TYPE(field) KIOS_DL_SAME_TYPE (SecretApi, field, secret_password_##field)
#define SYMBOL(field) KIOS_DL_SYMBOL (SecretApi, "secret_password_", field)

SAME_TYPE (storev_sync);
SAME_TYPE (lookupv_sync);
SAME_TYPE (clearv_sync);
SAME_TYPE (free);

static const KiosDlSymbol symbols[] = {
  SYMBOL (storev_sync),
  SYMBOL (lookupv_sync),
  SYMBOL (clearv_sync),
  SYMBOL (free),
};

static char *
load (const char *soname,
      gpointer    table)
{
  g_autofree char *failure = NULL;

  if (!kios_dl_open (soname, symbols, G_N_ELEMENTS (symbols), table, &failure))
    return g_strdup_printf ("The Secret Service library %s", failure);
  return NULL;
}

static const SecretApi *
get_api_from (const char *soname,
              GError    **error)
{
  const char *failure;

  g_return_val_if_fail (soname != NULL, NULL);

  failure = kios_dl_once (&loaded_once, load, soname, &loaded_api);
  if (failure != NULL)
    {
      g_debug ("%s", failure);
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS, "%s. %s", failure, MSG_NO_SERVICE);
      return NULL;
    }
  return &loaded_api;
}

gboolean
kios_secrets_load_from (const char *soname,
                        GError    **error)
{
  return get_api_from (soname, error) != NULL;
}

static const SecretApi *
get_api (GError **error)
{
  return get_api_from (KIOS_SECRETS_SONAME, error);
}

static GHashTable *
attributes_new (const char *source,
                const char *kind)
{
  GHashTable *attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (gpointer) "source", (gpointer) source);
  g_hash_table_insert (attributes, (gpointer) "kind", (gpointer) kind);
  return attributes;
}

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "app.kios.Kios.Secret",
    SECRET_SCHEMA_NONE,
    {
        { "source", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { NULL, 0 },
    },
    0,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL
  };
  return &schema;
}

/* libsecret's errors (D-Bus, I/O, locked collections) become one error the
 * UI can act on; cancellation stays what it is. */
static void
map_error (GError    **error,
           GError     *secret_error,
           const char *action)
{
  g_autofree char *detail = NULL;

  if (g_error_matches (secret_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, secret_error);
      return;
    }
  detail = kios_redact_text (secret_error->message);
  g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS, "Cannot %s the password: %s (%s)",
               action, MSG_NO_SERVICE, detail);
  g_error_free (secret_error);
}

gboolean
kios_secrets_store_sync (const char   *source,
                         const char   *kind,
                         const char   *secret,
                         GCancellable *cancellable,
                         GError      **error)
{
  g_autofree char       *label = NULL;
  GError                *secret_error = NULL;
  g_autoptr (GHashTable) attributes = NULL;
  const SecretApi       *api;

  g_return_val_if_fail (source != NULL && kind != NULL && secret != NULL, FALSE);

  kios_redact_register_secret (secret);
  api = get_api (error);
  if (api == NULL)
    return FALSE;
  label = g_strdup_printf ("Kios: %s (%s)", source, kind);
  attributes = attributes_new (source, kind);
  if (!api->storev_sync (get_schema (), attributes, SECRET_COLLECTION_DEFAULT, label, secret,
                         cancellable, &secret_error))
    {
      map_error (error, secret_error, "store");
      return FALSE;
    }
  return TRUE;
}

char *
kios_secrets_lookup_sync (const char   *source,
                          const char   *kind,
                          GCancellable *cancellable,
                          GError      **error)
{
  GError                *secret_error = NULL;
  g_autoptr (GHashTable) attributes = NULL;
  const SecretApi       *api;
  char                  *secret;
  char                  *copy;

  g_return_val_if_fail (source != NULL && kind != NULL, NULL);

  api = get_api (error);
  if (api == NULL)
    return NULL;
  attributes = attributes_new (source, kind);
  secret = api->lookupv_sync (get_schema (), attributes, cancellable, &secret_error);
  if (secret_error != NULL)
    {
      map_error (error, secret_error, "read");
      return NULL;
    }
  if (secret == NULL)
    return NULL;

  kios_redact_register_secret (secret);
  /* Callers free with g_free; libsecret's copy is wiped with its own free. */
  copy = g_strdup (secret);
  api->free (secret);
  return copy;
}

gboolean
kios_secrets_clear_sync (const char   *source,
                         const char   *kind,
                         GCancellable *cancellable,
                         GError      **error)
{
  GError                *secret_error = NULL;
  g_autoptr (GHashTable) attributes = NULL;
  const SecretApi       *api;

  g_return_val_if_fail (source != NULL && kind != NULL, FALSE);

  api = get_api (error);
  if (api == NULL)
    return FALSE;
  attributes = attributes_new (source, kind);
  api->clearv_sync (get_schema (), attributes, cancellable, &secret_error);
  if (secret_error != NULL)
    {
      map_error (error, secret_error, "remove");
      return FALSE;
    }
  return TRUE;
}

typedef enum {
  OP_STORE,
  OP_LOOKUP,
  OP_CLEAR,
} Op;

typedef struct
{
  Op    op;
  char *source;
  char *kind;
  char *secret;
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *op = data;

  g_free (op->source);
  g_free (op->kind);
  if (op->secret != NULL)
    memset (op->secret, 0, strlen (op->secret));
  g_free (op->secret);
  g_free (op);
}

static void
op_worker (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  OpData *op = task_data;
  GError *error = NULL;

  switch (op->op)
    {
    case OP_STORE:
      if (kios_secrets_store_sync (op->source, op->kind, op->secret, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_LOOKUP:
      {
        char *secret = kios_secrets_lookup_sync (op->source, op->kind, cancellable, &error);
        if (error != NULL)
          g_task_return_error (task, error);
        else
          g_task_return_pointer (task, secret, g_free);
      }
      break;
    case OP_CLEAR:
      if (kios_secrets_clear_sync (op->source, op->kind, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
run_op (Op                  kind_of_op,
        const char         *source,
        const char         *kind,
        const char         *secret,
        gpointer            source_tag,
        GCancellable       *cancellable,
        GAsyncReadyCallback callback,
        gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  OpData           *op = g_new0 (OpData, 1);

  op->op = kind_of_op;
  op->source = g_strdup (source);
  op->kind = g_strdup (kind);
  op->secret = g_strdup (secret);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, op_data_free);
  g_task_run_in_thread (task, op_worker);
}

void
kios_secrets_store_async (const char         *source,
                          const char         *kind,
                          const char         *secret,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_return_if_fail (source != NULL && kind != NULL && secret != NULL);
  kios_redact_register_secret (secret);
  run_op (OP_STORE, source, kind, secret, kios_secrets_store_async, cancellable, callback, user_data);
}

gboolean
kios_secrets_store_finish (GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kios_secrets_lookup_async (const char         *source,
                           const char         *kind,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (source != NULL && kind != NULL);
  run_op (OP_LOOKUP, source, kind, NULL, kios_secrets_lookup_async, cancellable, callback, user_data);
}

char *
kios_secrets_lookup_finish (GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kios_secrets_clear_async (const char         *source,
                          const char         *kind,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_return_if_fail (source != NULL && kind != NULL);
  run_op (OP_CLEAR, source, kind, NULL, kios_secrets_clear_async, cancellable, callback, user_data);
}

gboolean
kios_secrets_clear_finish (GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
