/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-kobo-client.h"
#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosSourceManager: the one place that adds, edits, renames, tests,
 * switches on and off and removes a source (a KOReader sync account, an OPDS
 * catalog, a Kobo sync server) together with its secrets. The app owns one
 * and hands it to the widgets; kiosctl makes its own over the same store.
 *
 * Every change keeps the store and the keyring consistent: a source is
 * written to the store only after its secrets are in the keyring, a failed
 * store write takes the new secrets back out (or puts the old ones back), a
 * rename moves the secrets to the new name and a removal takes them away.
 * How the secrets are split between the store and the keyring is
 * kios-sync-source.h's rule.
 *
 * The plain functions block (kiosctl, workers); the _async ones run them in
 * a GTask worker and call back on the caller's thread-default context.
 * "changed" is emitted on the context the manager was created in after any
 * source was added, edited, renamed, switched on or off or removed.
 *
 * Errors: KIOS_SYNC_ERROR (SECRETS, …), KIOS_HTTP_ERROR_INVALID_URL for a URL
 * that is not http(s), G_IO_ERROR_INVALID_ARGUMENT for a missing name or an
 * unknown kind, KIOS_STORE_ERROR (NOT_FOUND for an unknown name),
 * G_IO_ERROR_EXISTS for a taken name or a second KOReader sync account,
 * G_IO_ERROR_CANCELLED. Messages are untranslated detail without secrets.
 */

/* What a person typed for a source: the full URL and the secrets. */
typedef struct
{
  char    *name;
  char    *kind;          /* "kosync" | "opds" | "kobo" */
  char    *url;           /* the whole URL, a key in it included */
  char    *auth;          /* nullable: guessed ("headers"/"basic" for kosync, "basic"/"none" else) */
  char    *username;      /* nullable */
  char    *password;      /* nullable; wiped when freed */
  char    *settings_json; /* nullable: the per-kind settings (update: NULL keeps the stored ones) */
  gboolean disabled;      /* sync through this source switched off */
} KiosSourceSpec;

/* What a connection test found. */
typedef struct
{
  gboolean ok;
  GError  *error;                     /* why it failed (nullable when ok) */
  char    *suggested_url;             /* nullable: a URL that answered when this one did not;
                                       * offer it, never use it silently */
  char          *server;              /* nullable: the catalog's title or the server's family */
  guint          n_entries;           /* OPDS: entries on the first page */
  int            opds_version;        /* OPDS: 1 or 2, 0 when unknown */
  KiosKoboFamily kobo_family;         /* Kobo: the family recognised */
  char          *kobo_image_template; /* Kobo: relative cover template, nullable */
} KiosSourceTestResult;

#define KIOS_TYPE_SOURCE_MANAGER (kios_source_manager_get_type ())
G_DECLARE_FINAL_TYPE (KiosSourceManager, kios_source_manager, KIOS, SOURCE_MANAGER, GObject)

/* clang-format off */
KiosSourceSpec       *kios_source_spec_new               (const char             *name,
                                                          const char             *kind,
                                                          const char             *url,
                                                          const char             *username,
                                                          const char             *password) G_GNUC_WARN_UNUSED_RESULT;
KiosSourceSpec       *kios_source_spec_copy              (const KiosSourceSpec   *self) G_GNUC_WARN_UNUSED_RESULT;
void                  kios_source_spec_free              (KiosSourceSpec         *self);
void                  kios_source_test_result_free       (KiosSourceTestResult   *self);

KiosSourceManager    *kios_source_manager_new            (KiosLibraryStore       *store) G_GNUC_WARN_UNUSED_RESULT;
KiosLibraryStore     *kios_source_manager_get_store      (KiosSourceManager      *self);

/* Blocking. list: element-type KiosSourceRecord, store order. */
GPtrArray            *kios_source_manager_list           (KiosSourceManager      *self,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The KOReader sync account (the first "kosync" source), or NULL without error. */
KiosSourceRecord     *kios_source_manager_find_kosync    (KiosSourceManager      *self,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* A stored source as typed, secrets included; name NULL = the KOReader sync
 * account (NULL without error when there is none). */
KiosSourceSpec       *kios_source_manager_load           (KiosSourceManager      *self,
                                                          const char             *name,
                                                          GCancellable           *cancellable,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns the stored record. A taken name fails; so does a second "kosync". */
KiosSourceRecord     *kios_source_manager_add            (KiosSourceManager      *self,
                                                          const KiosSourceSpec   *spec,
                                                          GCancellable           *cancellable,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The source called name takes spec's fields; another spec->name renames it.
 * The kind and the on/off switch stay as stored. */
KiosSourceRecord     *kios_source_manager_update         (KiosSourceManager      *self,
                                                          const char             *name,
                                                          const KiosSourceSpec   *spec,
                                                          GCancellable           *cancellable,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean              kios_source_manager_rename         (KiosSourceManager      *self,
                                                          const char             *old_name,
                                                          const char             *new_name,
                                                          GCancellable           *cancellable,
                                                          GError                **error);
gboolean              kios_source_manager_remove         (KiosSourceManager      *self,
                                                          const char             *name,
                                                          GCancellable           *cancellable,
                                                          GError                **error);
/* Sync through the source on or off; the account and its secrets stay.
 * name NULL = the KOReader sync account. */
gboolean              kios_source_manager_set_enabled    (KiosSourceManager      *self,
                                                          const char             *name,
                                                          gboolean                enabled,
                                                          GError                **error);
/* Bridging through the source on or off (kios-sync-settings.h);
 * name NULL = the KOReader sync account. */
gboolean              kios_source_manager_set_bridge     (KiosSourceManager      *self,
                                                          const char             *name,
                                                          gboolean                bridge,
                                                          GError                **error);
/* Tests what was typed, saves nothing. NULL only with an error: cancelled. */
KiosSourceTestResult *kios_source_manager_test           (KiosSourceManager      *self,
                                                          const KiosSourceSpec   *spec,
                                                          GCancellable           *cancellable,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Tests a stored source (a Kobo one keeps the family it recognised). NULL
 * with an error: cancelled, unknown name, secrets out of reach. */
KiosSourceTestResult *kios_source_manager_test_source    (KiosSourceManager      *self,
                                                          const char             *name,
                                                          GCancellable           *cancellable,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* Asynchronous: the same, in a worker. */
void                  kios_source_manager_list_async     (KiosSourceManager      *self,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
GPtrArray            *kios_source_manager_list_finish    (KiosSourceManager      *self,
                                                          GAsyncResult           *result,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void                  kios_source_manager_load_async     (KiosSourceManager      *self,
                                                          const char             *name,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
KiosSourceSpec       *kios_source_manager_load_finish    (KiosSourceManager      *self,
                                                          GAsyncResult           *result,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void                  kios_source_manager_add_async      (KiosSourceManager      *self,
                                                          const KiosSourceSpec   *spec,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
KiosSourceRecord     *kios_source_manager_add_finish     (KiosSourceManager      *self,
                                                          GAsyncResult           *result,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void                  kios_source_manager_update_async   (KiosSourceManager      *self,
                                                          const char             *name,
                                                          const KiosSourceSpec   *spec,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
KiosSourceRecord     *kios_source_manager_update_finish  (KiosSourceManager      *self,
                                                          GAsyncResult           *result,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void                  kios_source_manager_remove_async   (KiosSourceManager      *self,
                                                          const char             *name,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
gboolean              kios_source_manager_remove_finish  (KiosSourceManager      *self,
                                                          GAsyncResult           *result,
                                                          GError                **error);
void                  kios_source_manager_set_enabled_async (KiosSourceManager   *self,
                                                          const char             *name,
                                                          gboolean                enabled,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
gboolean              kios_source_manager_set_enabled_finish (KiosSourceManager  *self,
                                                          GAsyncResult           *result,
                                                          GError                **error);
/* The callback comes at once when cancellable fires, even while the worker
 * still waits on a server that does not answer. */
void                  kios_source_manager_test_async     (KiosSourceManager      *self,
                                                          const KiosSourceSpec   *spec,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
KiosSourceTestResult *kios_source_manager_test_finish    (KiosSourceManager      *self,
                                                          GAsyncResult           *result,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void                  kios_source_manager_test_source_async (KiosSourceManager   *self,
                                                          const char             *name,
                                                          GCancellable           *cancellable,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
KiosSourceTestResult *kios_source_manager_test_source_finish (KiosSourceManager  *self,
                                                          GAsyncResult           *result,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSourceSpec, kios_source_spec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSourceTestResult, kios_source_test_result_free)

G_END_DECLS
