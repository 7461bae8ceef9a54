/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-library-store.h"
#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * KiosSyncPreferencesPage: Settings → Progress sync, the KOReader sync
 * account. Server URL (the full base with the server's sub-path: Kios
 * appends only /users/auth and /syncs/progress…), auth method (KOReader
 * headers or HTTP Basic), username and password. A recognised server gets a
 * note (Komga: the username is an API key, the password is ignored; Kavita
 * and Stump: the key rides in the URL, so the whole URL is kept as a secret).
 * Every change goes through the KiosSourceManager: secrets only to the
 * Secret Service (without one Save says so and stores nothing), then the
 * store. A switch turns sync off and on and keeps the account; Remove
 * Account… forgets it after a confirmation. "Test connection" runs with a
 * Cancel button, says in words what the server answered and offers a
 * "Did you mean …?" URL without switching to it; Save tests the saved
 * account too and never calls a dead server connected.
 *
 * Widget names for tests: "enable-row", "enable-switch", "url-row",
 * "auth-row", "username-row", "password-row", "test-button",
 * "cancel-button", "save-button", "remove-button", "suggest-row",
 * "suggest-button", "result-label", "hint-label".
 */

#define KIOS_TYPE_SYNC_PREFERENCES_PAGE (kios_sync_preferences_page_get_type ())
G_DECLARE_FINAL_TYPE (KiosSyncPreferencesPage, kios_sync_preferences_page, KIOS, SYNC_PREFERENCES_PAGE, AdwPreferencesPage)

/* The name of the KOReader sync account in the store. */
#define KIOS_SYNC_ACCOUNT_NAME "KOReader sync"

/* clang-format off */
/* A manager of its own over store; _for_manager shares the app's. */
GtkWidget  *kios_sync_preferences_page_new        (KiosLibraryStore        *store);
GtkWidget  *kios_sync_preferences_page_new_for_manager (KiosSourceManager  *manager);
/* The note shown for a recognised server URL, or NULL (also for tests). */
const char *kios_sync_preferences_page_hint_for   (const char              *url);
const char *kios_sync_preferences_page_get_result (KiosSyncPreferencesPage *self);
/* A test, save or removal is under way (Cancel shows). */
gboolean    kios_sync_preferences_page_is_busy    (KiosSyncPreferencesPage *self);
/* clang-format on */

G_END_DECLS
