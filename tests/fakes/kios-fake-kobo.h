/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-fake-server.h"
#include "kios-kobo-client.h"

G_BEGIN_DECLS

/*
 * Fake Kobo sync servers, one per family, written from
 * docs/protocols/KOBO.md with their quirks:
 * - routes under "/kobo/{token}" (CW, CWA, Komga) or "/api/kobo/{token}"
 *   (Grimmory); absolute URLs in answers use the server's own idea of its
 *   host (http://kobo.example.invalid:8083), so clients must rewrite them;
 * - CW/CWA: per-account delivery (a book listed once is never listed again
 *   for the account, whatever the token), 404 everywhere when Kobo sync is
 *   off, 401 then 429 after three bad tokens a minute, 403 on
 *   sync/metadata/download without the download role, 200 {} for unknown
 *   routes and books, a junk non-object element in sync pages, server-time
 *   stamps on PUT;
 * - Grimmory: per-token snapshots for books but reading states marked as
 *   sent per account by sync, 401/403, 500 on sync with the user's Kobo
 *   switch off, empty 200 from the catch-all, a PUT part stored only when
 *   strictly newer (and "Success" either way), integer ProgressPercent;
 * - Komga: per-token sync points, 200 {} catch-all, PUT validation with
 *   "Failure" for older timestamps, unknown Source or an unmatchable
 *   progression (§4.5 grid), recomputed ProgressPercent, /ping → pong;
 * - the §3.5 PUT validation table for every family.
 * Every request is recorded by the underlying KiosFakeServer.
 */

typedef enum {
  KIOS_FAKE_KOBO_CALIBRE_WEB = 0,
  KIOS_FAKE_KOBO_CWA,
  KIOS_FAKE_KOBO_GRIMMORY,
  KIOS_FAKE_KOBO_KOMGA,
} KiosFakeKoboFamily;

typedef enum {
  KIOS_FAKE_KOBO_NORMAL = 0,
  KIOS_FAKE_KOBO_SYNC_DISABLED,   /* CW/CWA: Kobo sync off in the admin settings */
  KIOS_FAKE_KOBO_NO_PERMISSION,   /* CW: no download role; GR/KG: no Kobo sync permission */
  KIOS_FAKE_KOBO_KOBO_SWITCH_OFF, /* GR: the user's Kobo sync switch off (500 on sync) */
  KIOS_FAKE_KOBO_PUT_IGNORED,     /* any: PUT answers Success and stores nothing */
} KiosFakeKoboMode;

typedef struct _KiosFakeKobo KiosFakeKobo;

/* clang-format off */
KiosFakeKobo         *kios_fake_kobo_new                (KiosFakeKoboFamily  family);
void                  kios_fake_kobo_free               (KiosFakeKobo       *self);
KiosFakeServer       *kios_fake_kobo_get_server         (KiosFakeKobo       *self);
const char           *kios_fake_kobo_get_token          (KiosFakeKobo       *self);
/* The sync URL the server shows the user: host + prefix + token. */
char                 *kios_fake_kobo_get_base_url       (KiosFakeKobo       *self);
void                  kios_fake_kobo_set_mode           (KiosFakeKobo       *self,
                                                         KiosFakeKoboMode    mode);
/* Items per sync page (default 100). */
void                  kios_fake_kobo_set_page_size      (KiosFakeKobo       *self,
                                                         guint               page_size);
/* A book served from the EPUB at path; format "EPUB3" or "KEPUB" is what
 * DownloadUrls advertises. Returns nothing; id is the entitlement id. */
void                  kios_fake_kobo_add_book           (KiosFakeKobo       *self,
                                                         const char         *id,
                                                         const char         *title,
                                                         const char         *author,
                                                         const char         *format,
                                                         const char         *epub_path);
/* n books for a library at scale, all served from the one EPUB. */
void                  kios_fake_kobo_add_generated      (KiosFakeKobo       *self,
                                                         guint               n,
                                                         const char         *epub_path);
void                  kios_fake_kobo_change_book        (KiosFakeKobo       *self,
                                                         const char         *id,
                                                         const char         *title);
/* CW: archived; GR: taken off the Kobo shelf; KG: deleted. */
void                  kios_fake_kobo_remove_book        (KiosFakeKobo       *self,
                                                         const char         *id);
/* Stores a position as a Kobo's PUT would; modified_ms 0 = now. */
void                  kios_fake_kobo_set_state          (KiosFakeKobo       *self,
                                                         const char         *id,
                                                         const char         *source,
                                                         const char         *value,
                                                         double              content_percent,
                                                         double              progress_percent,
                                                         gint64              modified_ms);
/* What the server keeps for the book (NULL: nothing). */
KiosKoboReadingState *kios_fake_kobo_get_state          (KiosFakeKobo       *self,
                                                         const char         *id);
/* Grimmory: TRUE while a stored reading state still waits for the device's sync. */
gboolean              kios_fake_kobo_state_pending      (KiosFakeKobo       *self,
                                                         const char         *id);
/* Requests with this method (NULL: any) whose path contains substring (NULL: any). */
guint                 kios_fake_kobo_count_requests     (KiosFakeKobo       *self,
                                                         const char         *method,
                                                         const char         *substring);
/* The first Authorization or x-kobo-* header (other than x-kobo-synctoken)
 * any request carried, or NULL. */
char                 *kios_fake_kobo_find_forbidden_header (KiosFakeKobo    *self);
/* After n more sync answers, answer 503 to sync (n < 0: never). */
void                  kios_fake_kobo_fail_sync_after    (KiosFakeKobo       *self,
                                                         int                 n);
/* hang: every request is taken and never answered (until the server stops). */
void                  kios_fake_kobo_set_hang           (KiosFakeKobo       *self,
                                                         gboolean            hang);
/* The body of the last PUT, or NULL. */
char                 *kios_fake_kobo_get_last_put_body  (KiosFakeKobo       *self);
/* Answers one request as this server would: for a test server that
 * mounts several protocols on one origin, as real servers do. */
void                  kios_fake_kobo_serve              (KiosFakeKobo          *self,
                                                         const KiosFakeRequest *request,
                                                         KiosFakeResponse      *response);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeKobo, kios_fake_kobo_free)

G_END_DECLS
