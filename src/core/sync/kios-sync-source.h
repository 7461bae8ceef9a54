/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-kosync-client.h"
#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * How a source's secrets are split between the library store and the Secret
 * Service, shared by the app and kiosctl so both see the same thing. Adding,
 * editing, renaming and removing a source go through KiosSourceManager,
 * which keeps the store and the keyring consistent; the protocol clients
 * read their source through _load and _open_kosync here.
 * - the password always goes to the keyring (kind "password");
 * - a URL that carries a credential (Kavita/Stump key in the path, a Kobo
 *   token, userinfo, token query parameters) goes to the keyring whole
 *   (kind "url") and the store keeps url = NULL;
 * - a username that looks like an API key (Komga) goes to the keyring
 *   (kind "username") and the store keeps username = NULL.
 * All calls block (workers, kiosctl).
 */

#define KIOS_SECRET_KIND_USERNAME "username"

/* clang-format off */
gboolean          kios_sync_source_url_is_secret      (const char             *kind,
                                                       const char             *url);
gboolean          kios_sync_source_username_is_secret (const char             *username);
/* Stores the secrets of a new or edited source and fills record->url and
 * record->username with what the store may keep. */
gboolean          kios_sync_source_save_secrets       (KiosSourceRecord       *record,
                                                       const char             *url,
                                                       const char             *username,
                                                       const char             *password,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
/* Removes every secret of the source (missing ones are fine). */
gboolean          kios_sync_source_clear_secrets      (const char             *name,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
/* The full URL and username, from the record or the keyring (nullable outs). */
gboolean          kios_sync_source_load               (const KiosSourceRecord *record,
                                                       char                  **url,
                                                       char                  **username,
                                                       char                  **password,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
/* A client for a "kosync" source, its device set from kios-paths. */
KiosKosyncClient *kios_sync_source_open_kosync        (const KiosSourceRecord *record,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
/* The global KOReader sync account (the first "kosync" source), or NULL. */
KiosSourceRecord *kios_sync_source_find_kosync        (KiosLibraryStore       *store,
                                                       GError                **error);
/* clang-format on */

G_END_DECLS
