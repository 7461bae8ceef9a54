/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-fake-server.h"

G_BEGIN_DECLS

/*
 * Fake KOReader sync servers, one per family, written from
 * docs/protocols/KOSYNC.md §1, §2, §4.3 and §6 with their quirks: routes and
 * mounts, auth carriers and checks, status codes, error bodies, timestamp
 * units, "no progress" shapes, and what each stores of a pushed `progress`.
 * Paths outside the kosync mount answer like the real product would there
 * (an SPA index page with 200, CWA's redirect to its login page, …).
 */

typedef enum {
  KIOS_FAKE_KOSYNC_OFFICIAL = 0, /* koreader-sync-server: mount "/" */
  KIOS_FAKE_KOSYNC_CWA,          /* Calibre-Web-Automated: "/kosync", Basic */
  KIOS_FAKE_KOSYNC_GRIMMORY,     /* "/api/koreader", x-auth headers */
  KIOS_FAKE_KOSYNC_BOOKLORE,     /* as Grimmory, but no timestamp at all */
  KIOS_FAKE_KOSYNC_KOMGA,        /* "/koreader", x-auth-user = API key */
  KIOS_FAKE_KOSYNC_KAVITA,       /* "/api/koreader/{apiKey}" */
  KIOS_FAKE_KOSYNC_STUMP,        /* "/koreader/{apiKey}" */
} KiosFakeKosyncFamily;

typedef struct _KiosFakeKosync KiosFakeKosync;

/* clang-format off */
KiosFakeKosync *kios_fake_kosync_new              (KiosFakeKosyncFamily  family);
void            kios_fake_kosync_free             (KiosFakeKosync       *self);
KiosFakeServer *kios_fake_kosync_get_server       (KiosFakeKosync       *self);
const char     *kios_fake_kosync_get_family_name  (KiosFakeKosync       *self);
/* "http://127.0.0.1:<port>" */
const char     *kios_fake_kosync_get_host_url     (KiosFakeKosync       *self);
/* The URL the seed documentation tells the user to type: host + mount
 * (+ "/" + the first user's key for Kavita and Stump). */
char           *kios_fake_kosync_get_base_url     (KiosFakeKosync       *self);
/* Official, Grimmory, BookLore: a KOReader user and password. CWA: a
 * Calibre-Web user and plaintext password. Komga, Kavita, Stump: `user` is
 * the API key, `password` is ignored. */
void            kios_fake_kosync_add_user         (KiosFakeKosync       *self,
                                                   const char           *user,
                                                   const char           *password);
/* CWA's setting, Grimmory's per-user sync_enabled, Stump's ENABLE_KOREADER_SYNC. */
void            kios_fake_kosync_set_enabled      (KiosFakeKosync       *self,
                                                   gboolean              enabled);
/* Library servers only match books they hashed; adding a hash twice makes
 * it a duplicate (Komga answers 409). n_chapters drives Kavita's percentage. */
void            kios_fake_kosync_add_book         (KiosFakeKosync       *self,
                                                   const char           *hash,
                                                   int                   n_chapters);
/* Stores progress as if another device had pushed it (same conversions).
 * timestamp is unix seconds; 0 = now. */
void            kios_fake_kosync_set_progress     (KiosFakeKosync       *self,
                                                   const char           *hash,
                                                   const char           *progress,
                                                   double                percentage,
                                                   const char           *device,
                                                   const char           *device_id,
                                                   gint64                timestamp);
/* Every answer waits delay_ms first; hang: no answer at all until the
 * server is freed (a server that accepts and never replies). */
void            kios_fake_kosync_set_delay        (KiosFakeKosync       *self,
                                                   guint                 delay_ms,
                                                   gboolean              hang);
/* Answers every request with this status and a plain body (e.g. 500, 502),
 * before any other check; 0 goes back to normal. */
void            kios_fake_kosync_set_forced_status (KiosFakeKosync      *self,
                                                   guint                 status);
/* How many recorded requests have this method and a path ending in suffix
 * (NULL: any method / any path). */
guint           kios_fake_kosync_count_requests   (KiosFakeKosync       *self,
                                                   const char           *method,
                                                   const char           *suffix);
/* What the server keeps as `progress` for hash (after its conversions), or NULL. */
char           *kios_fake_kosync_get_stored_progress (KiosFakeKosync    *self,
                                                   const char           *hash);
/* Answers one request as this server would: for a test server that
 * mounts several protocols on one origin, as real servers do. */
void            kios_fake_kosync_serve            (KiosFakeKosync        *self,
                                                   const KiosFakeRequest *request,
                                                   KiosFakeResponse      *response);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeKosync, kios_fake_kosync_free)

G_END_DECLS
