/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-source-manager"

#include "config.h"

#include "kios-source-manager.h"

#include "kios-error.h"
#include "kios-kobo-library.h"
#include "kios-kosync-client.h"
#include "kios-redact.h"
#include "kios-secrets.h"
#include "kios-source-manager-private.h"
#include "kios-sync-error.h"
#include "kios-sync-settings.h"
#include "kios-sync-source.h"

#include <string.h>

#define FLUSH_TIMEOUT_MS 5000

struct _KiosSourceManager
{
  GObject parent_instance;

  KiosLibraryStore *store;
  GMainContext     *context; /* where "changed" is emitted */
};

G_DEFINE_FINAL_TYPE (KiosSourceManager, kios_source_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const secret_kinds[] = {
  KIOS_SECRET_KIND_PASSWORD,
  KIOS_SECRET_KIND_URL,
  KIOS_SECRET_KIND_USERNAME,
  KIOS_SECRET_KIND_TOKEN,
};

/* ---- specs and results -------------------------------------------------- */

static void
wipe (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

KiosSourceSpec *
kios_source_spec_new (const char *name,
                      const char *kind,
                      const char *url,
                      const char *username,
                      const char *password)
{
  KiosSourceSpec *self = g_new0 (KiosSourceSpec, 1);

  self->name = g_strdup (name);
  self->kind = g_strdup (kind);
  self->url = g_strdup (url);
  self->username = g_strdup (username);
  self->password = g_strdup (password);
  return self;
}

KiosSourceSpec *
kios_source_spec_copy (const KiosSourceSpec *self)
{
  KiosSourceSpec *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = kios_source_spec_new (self->name, self->kind, self->url, self->username, self->password);
  copy->auth = g_strdup (self->auth);
  copy->settings_json = g_strdup (self->settings_json);
  copy->disabled = self->disabled;
  return copy;
}

void
kios_source_spec_free (KiosSourceSpec *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->kind);
  wipe (self->url);
  g_free (self->auth);
  wipe (self->username);
  wipe (self->password);
  g_free (self->settings_json);
  g_free (self);
}

void
kios_source_test_result_free (KiosSourceTestResult *self)
{
  if (self == NULL)
    return;
  g_clear_error (&self->error);
  wipe (self->suggested_url);
  g_free (self->server);
  g_free (self->kobo_image_template);
  g_free (self);
}

/* ---- "changed" ------------------------------------------------------------ */

static gboolean
emit_changed_cb (gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* On the manager's own context, whichever thread changed the sources. */
static void
notify_changed (KiosSourceManager *self)
{
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_changed_cb, g_object_ref (self),
                              g_object_unref);
}

/* ---- secrets ---------------------------------------------------------------- */

/* The secrets filed under a name, as they are now, to put back if a change
 * fails half-way. available is FALSE when the keyring could not be read. */
typedef struct
{
  char    *values[G_N_ELEMENTS (secret_kinds)];
  gboolean available;
} Snapshot;

static void
snapshot_clear (Snapshot *snapshot)
{
  for (gsize i = 0; i < G_N_ELEMENTS (secret_kinds); i++)
    g_clear_pointer (&snapshot->values[i], wipe);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Snapshot, snapshot_clear)

static void
snapshot_take (Snapshot     *snapshot,
               const char   *name,
               GCancellable *cancellable)
{
  snapshot->available = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (secret_kinds); i++)
    {
      g_autoptr (GError) error = NULL;

      snapshot->values[i] = kios_secrets_lookup_sync (name, secret_kinds[i], cancellable, &error);
      if (error != NULL)
        {
          g_debug ("cannot read the secrets of a source: %s", error->message);
          snapshot->available = FALSE;
          return;
        }
    }
}

static void
snapshot_restore (const Snapshot *snapshot,
                  const char     *name)
{
  if (!snapshot->available)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (secret_kinds); i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean           ok;

      if (snapshot->values[i] != NULL)
        ok = kios_secrets_store_sync (name, secret_kinds[i], snapshot->values[i], NULL, &error);
      else
        ok = kios_secrets_clear_sync (name, secret_kinds[i], NULL, &error);
      if (!ok)
        g_message ("Cannot put a source’s secret back after a failed change: %s", error->message);
    }
}

/* Best effort: the source is already consistent without them. */
static void
clear_secrets_quietly (const char *name)
{
  g_autoptr (GError) error = NULL;

  if (!kios_sync_source_clear_secrets (name, NULL, &error))
    g_message ("Secrets of a source stay in the keyring: %s", error->message);
}

/* ---- validation --------------------------------------------------------- */

static gboolean
is_web_url (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  const char      *scheme;

  if (url == NULL)
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

static gboolean
validate (const KiosSourceSpec *spec,
          GError              **error)
{
  g_autofree char *stripped = NULL;

  if (spec->name != NULL)
    stripped = g_strstrip (g_strdup (spec->name));
  if (stripped == NULL || *stripped == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "A source needs a name");
      return FALSE;
    }
  if (g_strcmp0 (spec->kind, "kosync") != 0 && g_strcmp0 (spec->kind, "opds") != 0 &&
      g_strcmp0 (spec->kind, "kobo") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a kind of source Kios knows (kosync, opds, kobo)",
                   spec->kind != NULL ? spec->kind : "");
      return FALSE;
    }
  if (!is_web_url (spec->url))
    {
      g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL,
                   "The URL of “%s” is not an http:// or https:// URL", spec->name);
      return FALSE;
    }
  return TRUE;
}

static char *
auth_for (const KiosSourceSpec *spec)
{
  KiosKosyncAuth guessed = KIOS_KOSYNC_AUTH_HEADERS;

  if (spec->auth != NULL)
    return g_strdup (spec->auth);
  if (g_str_equal (spec->kind, "kosync"))
    {
      /* The method the documentation gives for the URL's mount (HTTP Basic
       * for Calibre-Web-Automated's /kosync), else KOReader headers. */
      kios_kosync_guess_server (spec->url, &guessed);
      return g_strdup (kios_kosync_auth_to_string (guessed));
    }
  return g_strdup (spec->username != NULL && *spec->username != '\0' ? "basic" : "none");
}

static const char *
nonempty (const char *text)
{
  return text != NULL && *text != '\0' ? text : NULL;
}

/* ---- blocking operations ------------------------------------------------ */

GPtrArray *
kios_source_manager_list (KiosSourceManager *self,
                          GError           **error)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);

  return kios_library_store_list_sources (self->store, error);
}

KiosSourceRecord *
kios_source_manager_find_kosync (KiosSourceManager *self,
                                 GError           **error)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);

  return kios_sync_source_find_kosync (self->store, error);
}

/* The record for name (NULL: the KOReader sync account); NOT_FOUND if none. */
static KiosSourceRecord *
get_record (KiosSourceManager *self,
            const char        *name,
            GError           **error)
{
  GError           *local_error = NULL;
  KiosSourceRecord *record;

  if (name != NULL)
    return kios_library_store_get_source (self->store, name, error);
  record = kios_sync_source_find_kosync (self->store, &local_error);
  if (record == NULL && local_error == NULL)
    local_error = g_error_new_literal (KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                                       "No KOReader sync account is set up");
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return record;
}

KiosSourceSpec *
kios_source_manager_load (KiosSourceManager *self,
                          const char        *name,
                          GCancellable      *cancellable,
                          GError           **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosSourceSpec)   spec = NULL;
  GError                      *local_error = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);

  record = get_record (self, name, &local_error);
  if (record == NULL)
    {
      /* No account yet is not an error for the settings page. */
      if (name == NULL && g_error_matches (local_error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
        g_clear_error (&local_error);
      else
        g_propagate_error (error, local_error);
      return NULL;
    }

  spec = g_new0 (KiosSourceSpec, 1);
  spec->name = g_strdup (record->name);
  spec->kind = g_strdup (record->kind);
  spec->auth = g_strdup (record->auth);
  spec->settings_json = g_strdup (record->settings_json);
  spec->disabled = !kios_source_record_get_enabled (record);
  if (!kios_sync_source_load (record, &spec->url, &spec->username, &spec->password, cancellable, error))
    return NULL;
  return g_steal_pointer (&spec);
}

static gboolean
name_is_free (KiosSourceManager *self,
              const char        *name,
              GError           **error)
{
  g_autoptr (KiosSourceRecord) taken = kios_library_store_get_source (self->store, name, NULL);

  if (taken == NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "A source named “%s” already exists", name);
  return FALSE;
}

KiosSourceRecord *
kios_source_manager_add (KiosSourceManager    *self,
                         const KiosSourceSpec *spec,
                         GCancellable         *cancellable,
                         GError              **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;
  GError                      *local_error = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);
  g_return_val_if_fail (spec != NULL, NULL);

  if (!validate (spec, error) || !name_is_free (self, spec->name, error))
    return NULL;
  if (g_str_equal (spec->kind, "kosync"))
    {
      g_autoptr (KiosSourceRecord) account = kios_sync_source_find_kosync (self->store, NULL);

      if (account != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "The KOReader sync account is already set up as “%s”", account->name);
          return NULL;
        }
    }

  record = g_new0 (KiosSourceRecord, 1);
  record->name = g_strdup (spec->name);
  record->kind = g_strdup (spec->kind);
  record->auth = auth_for (spec);
  record->settings_json = g_strdup (spec->settings_json);
  if (spec->disabled)
    kios_source_record_set_enabled (record, FALSE);

  /* The keyring first: a source never exists in the store without its
   * secrets. Whatever a failure left under the name goes again. */
  if (!kios_sync_source_save_secrets (record, spec->url, nonempty (spec->username), nonempty (spec->password),
                                      cancellable, &local_error) ||
      !kios_library_store_add_source (self->store, record, &local_error))
    {
      clear_secrets_quietly (spec->name);
      g_propagate_error (error, local_error);
      return NULL;
    }
  kios_library_store_flush (self->store, FLUSH_TIMEOUT_MS);
  notify_changed (self);
  return g_steal_pointer (&record);
}

KiosSourceRecord *
kios_source_manager_update (KiosSourceManager    *self,
                            const char           *name,
                            const KiosSourceSpec *spec,
                            GCancellable         *cancellable,
                            GError              **error)
{
  g_autoptr (KiosSourceRecord) old = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_auto (Snapshot)            before = { 0 };
  GError                      *local_error = NULL;
  gboolean                     renamed;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL && spec != NULL, NULL);

  old = kios_library_store_get_source (self->store, name, error);
  if (old == NULL)
    return NULL;
  {
    /* A source keeps its kind: the UI never offers to change it. */
    g_autoptr (KiosSourceSpec) checked = kios_source_spec_copy (spec);

    g_free (checked->kind);
    checked->kind = g_strdup (old->kind);
    if (!validate (checked, error))
      return NULL;
  }
  renamed = !g_str_equal (old->name, spec->name);
  if (renamed && !name_is_free (self, spec->name, error))
    return NULL;

  record = kios_source_record_copy (old);
  g_free (record->name);
  record->name = g_strdup (spec->name);
  g_free (record->auth);
  {
    g_autoptr (KiosSourceSpec) typed = kios_source_spec_copy (spec);

    g_free (typed->kind);
    typed->kind = g_strdup (old->kind);
    record->auth = auth_for (typed);
  }
  if (spec->settings_json != NULL)
    {
      g_free (record->settings_json);
      record->settings_json = g_strdup (spec->settings_json);
      /* The on/off switch is set_enabled's alone. */
      kios_source_record_set_enabled (record, kios_source_record_get_enabled (old));
    }

  /* What the keyring holds now, to put it back if the store refuses. */
  if (!renamed)
    snapshot_take (&before, old->name, cancellable);
  if (!kios_sync_source_save_secrets (record, spec->url, nonempty (spec->username), nonempty (spec->password),
                                      cancellable, &local_error) ||
      !kios_library_store_update_source (self->store, record, &local_error))
    {
      if (renamed)
        clear_secrets_quietly (spec->name);
      else
        snapshot_restore (&before, old->name);
      g_propagate_error (error, local_error);
      return NULL;
    }
  /* Secrets are filed by name: a renamed source leaves none behind. */
  if (renamed)
    clear_secrets_quietly (old->name);
  kios_library_store_flush (self->store, FLUSH_TIMEOUT_MS);
  notify_changed (self);
  return g_steal_pointer (&record);
}

gboolean
kios_source_manager_rename (KiosSourceManager *self,
                            const char        *old_name,
                            const char        *new_name,
                            GCancellable      *cancellable,
                            GError           **error)
{
  g_autoptr (KiosSourceSpec)   spec = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), FALSE);
  g_return_val_if_fail (old_name != NULL && new_name != NULL, FALSE);

  spec = kios_source_manager_load (self, old_name, cancellable, error);
  if (spec == NULL)
    return FALSE;
  g_free (spec->name);
  spec->name = g_strdup (new_name);
  record = kios_source_manager_update (self, old_name, spec, cancellable, error);
  return record != NULL;
}

gboolean
kios_source_manager_remove (KiosSourceManager *self,
                            const char        *name,
                            GCancellable      *cancellable,
                            GError           **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;
  g_auto (Snapshot)            before = { 0 };
  GError                      *local_error = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  record = kios_library_store_get_source (self->store, name, error);
  if (record == NULL)
    return FALSE;

  /* The secrets go first, so that a locked keyring leaves the source as it
   * was (try again once it is unlocked). A source that keeps nothing in the
   * keyring can go without one. */
  snapshot_take (&before, record->name, cancellable);
  if (!kios_sync_source_clear_secrets (record->name, cancellable, &local_error))
    {
      gboolean nothing_secret = record->url != NULL && g_strcmp0 (record->auth, "none") == 0;

      if (!nothing_secret || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);
    }
  /* A Kobo shelf's catalog is found through the source: it goes first. */
  if (g_strcmp0 (record->kind, "kobo") == 0)
    kios_kobo_catalog_clear (self->store, record->name);
  if (!kios_library_store_remove_source (self->store, record->name, &local_error))
    {
      snapshot_restore (&before, record->name);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  kios_library_store_flush (self->store, FLUSH_TIMEOUT_MS);
  notify_changed (self);
  return TRUE;
}

gboolean
kios_source_manager_set_enabled (KiosSourceManager *self,
                                 const char        *name,
                                 gboolean           enabled,
                                 GError           **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), FALSE);

  record = get_record (self, name, error);
  if (record == NULL)
    return FALSE;
  if (kios_source_record_get_enabled (record) == !!enabled)
    return TRUE;
  kios_source_record_set_enabled (record, enabled);
  if (!kios_library_store_update_source (self->store, record, error))
    return FALSE;
  kios_library_store_flush (self->store, FLUSH_TIMEOUT_MS);
  notify_changed (self);
  return TRUE;
}

gboolean
kios_source_manager_set_bridge (KiosSourceManager *self,
                                const char        *name,
                                gboolean           bridge,
                                GError           **error)
{
  g_autoptr (KiosSourceRecord) record = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), FALSE);

  record = get_record (self, name, error);
  if (record == NULL)
    return FALSE;
  if (kios_source_record_get_bridge (record) == !!bridge)
    return TRUE;
  kios_source_record_set_bridge (record, bridge);
  if (!kios_library_store_update_source (self->store, record, error))
    return FALSE;
  kios_library_store_flush (self->store, FLUSH_TIMEOUT_MS);
  notify_changed (self);
  return TRUE;
}

KiosSourceTestResult *
kios_source_manager_test (KiosSourceManager    *self,
                          const KiosSourceSpec *spec,
                          GCancellable         *cancellable,
                          GError              **error)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);
  g_return_val_if_fail (spec != NULL, NULL);

  return kios_source_probe_run (spec, cancellable, error);
}

/* A stored Kobo source connects as the shelf would: the family, the cover
 * template and the catalog key it recognised are kept (no secret in them). */
static KiosSourceTestResult *
test_kobo_source (KiosSourceManager *self,
                  const char        *name,
                  GCancellable      *cancellable,
                  GError           **error)
{
  g_autoptr (KiosSourceRecord)     record = kios_library_store_get_source (self->store, name, error);
  g_autoptr (KiosKoboClient)       client = NULL;
  g_autoptr (KiosSourceTestResult) result = NULL;
  GError                          *local_error = NULL;

  if (record == NULL)
    return NULL;
  client = kios_kobo_source_open (record, cancellable, error);
  if (client == NULL)
    return NULL;
  result = g_new0 (KiosSourceTestResult, 1);
  if (!kios_kobo_source_connect (client, self->store, record, cancellable, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      result->error = local_error;
      return g_steal_pointer (&result);
    }
  kios_library_store_flush (self->store, FLUSH_TIMEOUT_MS);
  notify_changed (self);
  result->ok = TRUE;
  result->kobo_family = kios_kobo_client_get_family (client);
  result->kobo_image_template = g_strdup (kios_kobo_client_get_image_template (client));
  result->server = g_strdup (kios_kobo_family_describe (result->kobo_family));
  return g_steal_pointer (&result);
}

KiosSourceTestResult *
kios_source_manager_test_source (KiosSourceManager *self,
                                 const char        *name,
                                 GCancellable      *cancellable,
                                 GError           **error)
{
  g_autoptr (KiosSourceSpec) spec = NULL;

  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);

  spec = kios_source_manager_load (self, name, cancellable, error);
  if (spec == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                             "No KOReader sync account is set up");
      return NULL;
    }
  if (g_str_equal (spec->kind, "kobo"))
    return test_kobo_source (self, spec->name, cancellable, error);
  return kios_source_probe_run (spec, cancellable, error);
}

/* ---- asynchronous wrappers ---------------------------------------------- */

typedef enum {
  OP_LIST,
  OP_LOAD,
  OP_ADD,
  OP_UPDATE,
  OP_REMOVE,
  OP_SET_ENABLED,
  OP_TEST,
  OP_TEST_SOURCE,
} Op;

/* A request copied at call time: the worker reads nothing else. */
typedef struct
{
  Op              op;
  char           *name;
  KiosSourceSpec *spec;
  gboolean        enabled;
} Request;

static void
request_free (Request *request)
{
  g_free (request->name);
  g_clear_pointer (&request->spec, kios_source_spec_free);
  g_free (request);
}

static void
run_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  KiosSourceManager *self = source_object;
  Request           *request = task_data;
  GError            *error = NULL;
  gpointer           result = NULL;
  GDestroyNotify     free_func = NULL;
  gboolean           ok = FALSE;

  switch (request->op)
    {
    case OP_LIST:
      result = kios_source_manager_list (self, &error);
      free_func = (GDestroyNotify) g_ptr_array_unref;
      break;
    case OP_LOAD:
      result = kios_source_manager_load (self, request->name, cancellable, &error);
      free_func = (GDestroyNotify) kios_source_spec_free;
      break;
    case OP_ADD:
      result = kios_source_manager_add (self, request->spec, cancellable, &error);
      free_func = (GDestroyNotify) kios_source_record_free;
      break;
    case OP_UPDATE:
      result = kios_source_manager_update (self, request->name, request->spec, cancellable, &error);
      free_func = (GDestroyNotify) kios_source_record_free;
      break;
    case OP_REMOVE:
      ok = kios_source_manager_remove (self, request->name, cancellable, &error);
      break;
    case OP_SET_ENABLED:
      ok = kios_source_manager_set_enabled (self, request->name, request->enabled, &error);
      break;
    case OP_TEST:
      result = kios_source_manager_test (self, request->spec, cancellable, &error);
      free_func = (GDestroyNotify) kios_source_test_result_free;
      break;
    case OP_TEST_SOURCE:
      result = kios_source_manager_test_source (self, request->name, cancellable, &error);
      free_func = (GDestroyNotify) kios_source_test_result_free;
      break;
    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else if (free_func != NULL)
    g_task_return_pointer (task, result, free_func);
  else
    g_task_return_boolean (task, ok);
}

static void
run_async (KiosSourceManager  *self,
           Request            *request,
           gpointer            source_tag,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  /* A test may wait on a server that never answers: Cancel must not. */
  if (request->op == OP_TEST || request->op == OP_TEST_SOURCE || request->op == OP_LOAD || request->op == OP_LIST)
    g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, run_worker);
}

static Request *
request_new (Op                    op,
             const char           *name,
             const KiosSourceSpec *spec)
{
  Request *request = g_new0 (Request, 1);

  request->op = op;
  request->name = g_strdup (name);
  if (spec != NULL)
    request->spec = kios_source_spec_copy (spec);
  return request;
}

static gpointer
finish_pointer (KiosSourceManager *self,
                GAsyncResult      *result,
                gpointer           source_tag,
                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
finish_boolean (KiosSourceManager *self,
                GAsyncResult      *result,
                gpointer           source_tag,
                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kios_source_manager_list_async (KiosSourceManager  *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  run_async (self, request_new (OP_LIST, NULL, NULL), kios_source_manager_list_async, cancellable, callback,
             user_data);
}

GPtrArray *
kios_source_manager_list_finish (KiosSourceManager *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  return finish_pointer (self, result, kios_source_manager_list_async, error);
}

void
kios_source_manager_load_async (KiosSourceManager  *self,
                                const char         *name,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  run_async (self, request_new (OP_LOAD, name, NULL), kios_source_manager_load_async, cancellable, callback,
             user_data);
}

KiosSourceSpec *
kios_source_manager_load_finish (KiosSourceManager *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  return finish_pointer (self, result, kios_source_manager_load_async, error);
}

void
kios_source_manager_add_async (KiosSourceManager    *self,
                               const KiosSourceSpec *spec,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  g_return_if_fail (spec != NULL);
  run_async (self, request_new (OP_ADD, NULL, spec), kios_source_manager_add_async, cancellable, callback,
             user_data);
}

KiosSourceRecord *
kios_source_manager_add_finish (KiosSourceManager *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  return finish_pointer (self, result, kios_source_manager_add_async, error);
}

void
kios_source_manager_update_async (KiosSourceManager    *self,
                                  const char           *name,
                                  const KiosSourceSpec *spec,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  g_return_if_fail (name != NULL && spec != NULL);
  run_async (self, request_new (OP_UPDATE, name, spec), kios_source_manager_update_async, cancellable, callback,
             user_data);
}

KiosSourceRecord *
kios_source_manager_update_finish (KiosSourceManager *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return finish_pointer (self, result, kios_source_manager_update_async, error);
}

void
kios_source_manager_remove_async (KiosSourceManager  *self,
                                  const char         *name,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  g_return_if_fail (name != NULL);
  run_async (self, request_new (OP_REMOVE, name, NULL), kios_source_manager_remove_async, cancellable, callback,
             user_data);
}

gboolean
kios_source_manager_remove_finish (KiosSourceManager *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return finish_boolean (self, result, kios_source_manager_remove_async, error);
}

void
kios_source_manager_set_enabled_async (KiosSourceManager  *self,
                                       const char         *name,
                                       gboolean            enabled,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data)
{
  Request *request;

  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  request = request_new (OP_SET_ENABLED, name, NULL);
  request->enabled = enabled;
  run_async (self, request, kios_source_manager_set_enabled_async, cancellable, callback, user_data);
}

gboolean
kios_source_manager_set_enabled_finish (KiosSourceManager *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  return finish_boolean (self, result, kios_source_manager_set_enabled_async, error);
}

void
kios_source_manager_test_async (KiosSourceManager    *self,
                                const KiosSourceSpec *spec,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  g_return_if_fail (spec != NULL);
  run_async (self, request_new (OP_TEST, NULL, spec), kios_source_manager_test_async, cancellable, callback,
             user_data);
}

KiosSourceTestResult *
kios_source_manager_test_finish (KiosSourceManager *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  return finish_pointer (self, result, kios_source_manager_test_async, error);
}

void
kios_source_manager_test_source_async (KiosSourceManager  *self,
                                       const char         *name,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data)
{
  g_return_if_fail (KIOS_IS_SOURCE_MANAGER (self));
  run_async (self, request_new (OP_TEST_SOURCE, name, NULL), kios_source_manager_test_source_async, cancellable,
             callback, user_data);
}

KiosSourceTestResult *
kios_source_manager_test_source_finish (KiosSourceManager *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  return finish_pointer (self, result, kios_source_manager_test_source_async, error);
}

/* ---- GObject ------------------------------------------------------------ */

static void
kios_source_manager_dispose (GObject *object)
{
  KiosSourceManager *self = KIOS_SOURCE_MANAGER (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (kios_source_manager_parent_class)->dispose (object);
}

static void
kios_source_manager_finalize (GObject *object)
{
  KiosSourceManager *self = KIOS_SOURCE_MANAGER (object);

  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (kios_source_manager_parent_class)->finalize (object);
}

static void
kios_source_manager_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  KiosSourceManager *self = KIOS_SOURCE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_source_manager_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  KiosSourceManager *self = KIOS_SOURCE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_source_manager_class_init (KiosSourceManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_source_manager_dispose;
  object_class->finalize = kios_source_manager_finalize;
  object_class->get_property = kios_source_manager_get_property;
  object_class->set_property = kios_source_manager_set_property;

  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, KIOS_TYPE_LIBRARY_STORE,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosSourceManager::changed:
   * @self: the manager
   *
   * A source was added, edited, renamed, switched on or off or removed.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
}

static void
kios_source_manager_init (KiosSourceManager *self)
{
  self->context = g_main_context_ref_thread_default ();
}

KiosSourceManager *
kios_source_manager_new (KiosLibraryStore *store)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  return g_object_new (KIOS_TYPE_SOURCE_MANAGER, "store", store, NULL);
}

KiosLibraryStore *
kios_source_manager_get_store (KiosSourceManager *self)
{
  g_return_val_if_fail (KIOS_IS_SOURCE_MANAGER (self), NULL);

  return self->store;
}
