/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kios-limits.h"
#include "kios-sync-error.h"

G_BEGIN_DECLS

/*
 * KiosKoboClient: the Kobo store API as Calibre-Web(-Automated),
 * Grimmory/BookLore and Komga re-implement it (docs/protocols/KOBO.md).
 *
 * The base URL (the personal sync URL, token in the path) is a secret: it is
 * registered with the redactor and never appears in a message. Every route
 * is BASE + "/v1/…"; only the image template is taken from the server, and
 * every absolute URL a server hands out (downloads, covers) is rewritten onto
 * BASE (KOBO.md §2.5). No Authorization and no x-kobo-* device header is
 * ever sent (servers forward them to the Kobo store); the only x-kobo-*
 * header is the opaque x-kobo-synctoken of the sync loop. Redirects are
 * never followed (a 307 goes to kobo.com). All calls block: workers, kiosctl.
 */

typedef enum {
  KIOS_KOBO_FAMILY_UNKNOWN = 0,
  KIOS_KOBO_FAMILY_CALIBRE_WEB, /* Calibre-Web and Calibre-Web-Automated */
  KIOS_KOBO_FAMILY_GRIMMORY,    /* Grimmory and BookLore */
  KIOS_KOBO_FAMILY_KOMGA,
} KiosKoboFamily;

/* Timeouts: initialization may wait for the Kobo store (up to a minute on GR/KG). */
#define KIOS_KOBO_TIMEOUT_MS KIOS_LIMIT_KOBO_TIMEOUT_MS
#define KIOS_KOBO_MAX_SYNC_PAGES KIOS_LIMIT_KOBO_SYNC_PAGES
#define KIOS_KOBO_MAX_BOOK_SIZE KIOS_LIMIT_KOBO_BOOK_BYTES

typedef struct
{
  char  *entitlement_id;
  char  *status;            /* "ReadyToRead" | "Reading" | "Finished", or NULL */
  char  *source;            /* Location.Source: the chapter's path inside the zip, or NULL */
  char  *value;             /* Location.Value ("kobo.N.M"), or NULL */
  double progress_percent;  /* whole book, 0..100; < 0 when absent */
  double content_percent;   /* ContentSourceProgressPercent, 0..100; < 0 when absent */
  gint64 bookmark_modified; /* CurrentBookmark.LastModified, unix ms; 0 when absent */
} KiosKoboReadingState;

/* One page of GET v1/library/sync. */
typedef struct
{
  JsonArray *items; /* only the elements that are objects */
  char      *token; /* x-kobo-synctoken of the reply, or NULL */
  gboolean   more;  /* x-kobo-sync: continue */
} KiosKoboSyncPage;

typedef struct _KiosKoboClient KiosKoboClient;

/* clang-format off */
const char           *kios_kobo_family_to_string       (KiosKoboFamily         family);
KiosKoboFamily        kios_kobo_family_from_string     (const char            *str);
/* Human name: "Calibre-Web or Calibre-Web-Automated", … */
const char           *kios_kobo_family_describe        (KiosKoboFamily         family);
/* TRUE where a library sync consumes what the server delivers once per
 * account (CW/CWA books, Grimmory/BookLore reading states): Kios may call
 * v1/library/sync there only with the user's recorded consent. */
gboolean              kios_kobo_family_needs_consent   (KiosKoboFamily         family);
/* What the base URL alone says (/api/kobo/ → Grimmory), else UNKNOWN. */
KiosKoboFamily        kios_kobo_family_guess_from_url  (const char            *base_url);
/* KOBO.md §2.1: path /api/kobo/ → GR; a /v1/books/{ImageId}/thumbnail/ template → KG; else CW. */
KiosKoboFamily        kios_kobo_family_recognise       (const char            *base_url,
                                                        const char            *image_url_template);

KiosKoboClient       *kios_kobo_client_new             (const char            *base_url,
                                                        GError               **error);
void                  kios_kobo_client_free            (KiosKoboClient        *self);
const char           *kios_kobo_client_get_base_url    (KiosKoboClient        *self);
/* The base URL with the token redacted, for labels and messages. */
char                 *kios_kobo_client_get_label       (KiosKoboClient        *self);
KiosKoboFamily        kios_kobo_client_get_family      (KiosKoboClient        *self);
void                  kios_kobo_client_set_family      (KiosKoboClient        *self,
                                                        KiosKoboFamily         family);
/* The image template relative to BASE ("/v1/books/{ImageId}/…"): no secret in it. */
const char           *kios_kobo_client_get_image_template (KiosKoboClient     *self);
void                  kios_kobo_client_set_image_template (KiosKoboClient     *self,
                                                        const char            *relative_template);

/* GET v1/initialization: checks the token (side-effect free), recognises
 * the family and keeps the image template. Failures follow KOBO.md §6.3. */
gboolean              kios_kobo_client_initialize      (KiosKoboClient        *self,
                                                        GCancellable          *cancellable,
                                                        GError               **error);
/* One page of GET v1/library/sync (token NULL: from nothing). The caller
 * enforces the consent rule (kios-kobo-library.h). */
KiosKoboSyncPage     *kios_kobo_client_sync_page       (KiosKoboClient        *self,
                                                        const char            *sync_token,
                                                        GCancellable          *cancellable,
                                                        GError               **error);
/* An absolute server URL carrying the token, moved onto BASE; NULL when it
 * does not carry this source's token. */
char                 *kios_kobo_client_rewrite_url     (KiosKoboClient        *self,
                                                        const char            *url);
/* The cover URL for CoverImageId at width × height, or NULL without a template. */
char                 *kios_kobo_client_cover_url       (KiosKoboClient        *self,
                                                        const char            *image_id,
                                                        int                    width,
                                                        int                    height);
/* GET url (rewritten onto BASE), the whole body; max_size 0 = KIOS_KOBO_MAX_BOOK_SIZE. */
GBytes               *kios_kobo_client_fetch           (KiosKoboClient        *self,
                                                        const char            *url,
                                                        gsize                  max_size,
                                                        GCancellable          *cancellable,
                                                        GError               **error);
/* GET url (rewritten onto BASE) into sink, at most max_size bytes
 * (0 = KIOS_KOBO_MAX_BOOK_SIZE); more is KIOS_HTTP_ERROR_TOO_LARGE. */
gboolean              kios_kobo_client_download        (KiosKoboClient        *self,
                                                        const char            *url,
                                                        GOutputStream         *sink,
                                                        guint64                max_size,
                                                        GCancellable          *cancellable,
                                                        GError               **error);

/* GET v1/library/{id}/state. NULL without error: the server has no
 * position for the book (an empty array, or a state without a bookmark). */
KiosKoboReadingState *kios_kobo_client_get_state       (KiosKoboClient        *self,
                                                        const char            *entitlement_id,
                                                        GCancellable          *cancellable,
                                                        GError               **error);
/* The PUT body of KOBO.md §3.5 for this family. The timestamps are
 * state->bookmark_modified; a NULL value means "kobo.1.1", except on Komga
 * where it is sent as null (Komga fills in the real span of a KEPUB). */
char                 *kios_kobo_build_state_body       (KiosKoboFamily         family,
                                                        const KiosKoboReadingState *state);
/* PUT v1/library/{id}/state, then GET it back and compare. A "Success" (or
 * Komga "Failure") after which the server holds another position fails with
 * KIOS_SYNC_ERROR_CONFLICT, "stored" (nullable out) being what it holds. */
gboolean              kios_kobo_client_put_state       (KiosKoboClient        *self,
                                                        const KiosKoboReadingState *state,
                                                        KiosKoboReadingState **stored,
                                                        GCancellable          *cancellable,
                                                        GError               **error);
/* TRUE when stored holds what sent asked for, as this family stores it. */
gboolean              kios_kobo_state_matches          (KiosKoboFamily         family,
                                                        const KiosKoboReadingState *sent,
                                                        const KiosKoboReadingState *stored);
/* Komga accepts a chapter progression p (0..1) only on its position grid
 * (KOBO.md §4.5): the value to send for a chapter file of file_size bytes. */
double                kios_kobo_snap_progress          (double                 progress,
                                                        gsize                  file_size);

KiosKoboReadingState *kios_kobo_reading_state_new      (void);
KiosKoboReadingState *kios_kobo_reading_state_copy     (const KiosKoboReadingState *self);
void                  kios_kobo_reading_state_free     (KiosKoboReadingState  *self);
/* Parses a ReadingState object (hostile input: wrong types are skipped). */
KiosKoboReadingState *kios_kobo_reading_state_from_json (JsonObject           *object);
void                  kios_kobo_sync_page_free         (KiosKoboSyncPage      *self);

/* ISO-8601 (0-9 fraction digits, Z or offset, "YYYY-MM-DD HH:MM:SS" as UTC) → unix ms; 0 if unparsable. */
gint64                kios_kobo_parse_time             (const char            *text);
/* unix ms → "2026-03-02T21:04:11.000Z". */
char                 *kios_kobo_format_time            (gint64                 unix_ms);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoboClient, kios_kobo_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoboReadingState, kios_kobo_reading_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoboSyncPage, kios_kobo_sync_page_free)

G_END_DECLS
