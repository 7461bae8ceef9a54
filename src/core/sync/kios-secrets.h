/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Secrets (passwords, API keys, token-bearing URLs) live only in the Secret
 * Service, through libsecret's simple password API, under the schema
 * "app.kios.Kios.Secret" keyed by source name and kind. There is no
 * plaintext fallback: without a usable Secret Service every call fails with
 * KIOS_SYNC_ERROR_SECRETS and a message that says what to do.
 *
 * Every secret that passes through here is registered with the redactor.
 * The _sync variants block (workers, kiosctl); the _async ones run them in
 * a GTask worker.
 */

#define KIOS_SECRET_KIND_PASSWORD "password"
#define KIOS_SECRET_KIND_URL "url" /* a URL that carries a key (Kavita, Stump, Kobo) */
#define KIOS_SECRET_KIND_TOKEN "token"

/* clang-format off */
gboolean  kios_secrets_store_sync    (const char          *source,
                                      const char          *kind,
                                      const char          *secret,
                                      GCancellable        *cancellable,
                                      GError             **error);
/* NULL without error: no such secret (or a locked keyring). */
char     *kios_secrets_lookup_sync   (const char          *source,
                                      const char          *kind,
                                      GCancellable        *cancellable,
                                      GError             **error);
/* TRUE also when there was nothing to clear. */
gboolean  kios_secrets_clear_sync    (const char          *source,
                                      const char          *kind,
                                      GCancellable        *cancellable,
                                      GError             **error);

void      kios_secrets_store_async   (const char          *source,
                                      const char          *kind,
                                      const char          *secret,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  kios_secrets_store_finish  (GAsyncResult        *result,
                                      GError             **error);
void      kios_secrets_lookup_async  (const char          *source,
                                      const char          *kind,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char     *kios_secrets_lookup_finish (GAsyncResult        *result,
                                      GError             **error);
void      kios_secrets_clear_async   (const char          *source,
                                      const char          *kind,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  kios_secrets_clear_finish  (GAsyncResult        *result,
                                      GError             **error);
/* clang-format on */

G_END_DECLS
