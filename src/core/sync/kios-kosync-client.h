/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * KiosKosyncClient: the KOReader sync ("kosync") protocol against any of the
 * servers in docs/protocols/KOSYNC.md. Kios appends only `/users/auth` and
 * `/syncs/progress…` to the base URL the user typed; it never guesses a
 * prefix, it only suggests one after probing (test_connection).
 *
 * The object is immutable once configured (set_device before sharing it), so
 * the _sync methods may run on any thread; they block on the network and
 * are meant for GTask workers and kiosctl. The _async variants run them in a
 * worker and call back on the caller's thread-default main context.
 *
 * Errors: KIOS_SYNC_ERROR_* (G_IO_ERROR_CANCELLED when cancelled). Messages
 * are in the seed documentation's words and never contain a secret.
 */

typedef enum {
  KIOS_KOSYNC_AUTH_HEADERS = 0, /* x-auth-user + x-auth-key = md5 hex (official, Grimmory, Komga) */
  KIOS_KOSYNC_AUTH_BASIC,       /* HTTP Basic, plaintext password (Calibre-Web-Automated) */
} KiosKosyncAuth;

typedef struct
{
  char  *document;
  char  *progress;   /* xpointer (EPUB) or 1-based page (PDF); NULL when the server sent none */
  double percentage; /* 0..1 */
  char  *device;
  char  *device_id;
  gint64 timestamp; /* unix seconds; 0 when the server has none (Komga, BookLore) */
} KiosRemotePosition;

#define KIOS_KOSYNC_ACCEPT "application/vnd.koreader.v1+json"

#define KIOS_TYPE_KOSYNC_CLIENT (kios_kosync_client_get_type ())
G_DECLARE_FINAL_TYPE (KiosKosyncClient, kios_kosync_client, KIOS, KOSYNC_CLIENT, GObject)

/* clang-format off */
KiosKosyncClient   *kios_kosync_client_new              (const char          *base_url,
                                                         KiosKosyncAuth       auth,
                                                         const char          *username,
                                                         const char          *password) G_GNUC_WARN_UNUSED_RESULT;
void                kios_kosync_client_set_device       (KiosKosyncClient    *self,
                                                         const char          *device,
                                                         const char          *device_id);
/* How long one exchange may take before it fails with
 * KIOS_SYNC_ERROR_TIMEOUT; 0 (the default) is KIOS_HTTP_DEFAULT_TIMEOUT_MS. */
void                kios_kosync_client_set_timeout      (KiosKosyncClient    *self,
                                                         guint                timeout_ms);
const char         *kios_kosync_client_get_base_url     (KiosKosyncClient    *self);
KiosKosyncAuth      kios_kosync_client_get_auth         (KiosKosyncClient    *self);

/* GET /users/auth: TRUE only for 200 with {"authorized":"OK"} or {"username":…}. */
gboolean            kios_kosync_client_check_auth_sync  (KiosKosyncClient    *self,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
/* check_auth, and on failure a diagnosis: the other auth method, the usual
 * mounts on the same host. suggested_url (nullable out) gets the URL that
 * answered, also named (redacted) in the error's "Did you mean …?". */
gboolean            kios_kosync_client_test_sync        (KiosKosyncClient    *self,
                                                         char               **suggested_url,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
/* PUT /syncs/progress. percentage is floored to 4 decimals as KOReader does. */
gboolean            kios_kosync_client_push_sync        (KiosKosyncClient    *self,
                                                         const char          *document,
                                                         const char          *progress,
                                                         double               percentage,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
/* GET /syncs/progress/<document>: NULL without error when the server has no
 * progress for it (every family's "no progress" shape). */
KiosRemotePosition *kios_kosync_client_pull_sync        (KiosKosyncClient    *self,
                                                         const char          *document,
                                                         GCancellable        *cancellable,
                                                         GError             **error);

void                kios_kosync_client_test_async       (KiosKosyncClient    *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean            kios_kosync_client_test_finish      (KiosKosyncClient    *self,
                                                         GAsyncResult        *result,
                                                         char               **suggested_url,
                                                         GError             **error);
void                kios_kosync_client_push_async       (KiosKosyncClient    *self,
                                                         const char          *document,
                                                         const char          *progress,
                                                         double               percentage,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean            kios_kosync_client_push_finish      (KiosKosyncClient    *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void                kios_kosync_client_pull_async       (KiosKosyncClient    *self,
                                                         const char          *document,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
/* NULL without error = no remote progress. */
KiosRemotePosition *kios_kosync_client_pull_finish      (KiosKosyncClient    *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

const char         *kios_kosync_auth_to_string          (KiosKosyncAuth       auth);
gboolean            kios_kosync_auth_from_string        (const char          *str,
                                                         KiosKosyncAuth      *auth);
/* KOReader's Math.roundPercent: floor (p · 10000) / 10000, clamped to 0..1. */
double              kios_kosync_floor_percentage        (double               percentage);
/* Seconds, milliseconds (> 10^11), ISO 8601 strings, numeric strings, null
 * or absent → unix seconds, 0 when unknown. */
gint64              kios_kosync_parse_timestamp         (JsonNode            *node);
/* From the URL's mount, the server family the seed documents for it
 * ("Calibre-Web-Automated", "Grimmory / BookLore", "Komga", "Kavita",
 * "Stump", "koreader-sync-server"), or NULL; auth (nullable) gets the
 * method that family needs. A hint for the settings page, never a rule. */
const char         *kios_kosync_guess_server            (const char          *url,
                                                         KiosKosyncAuth      *auth);
/* TRUE when the URL carries a credential in its path (Kavita, Stump). */
gboolean            kios_kosync_url_has_key             (const char          *url);

KiosRemotePosition *kios_remote_position_copy           (const KiosRemotePosition *self);
void                kios_remote_position_free           (KiosRemotePosition  *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosRemotePosition, kios_remote_position_free)

G_END_DECLS
