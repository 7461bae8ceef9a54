/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * What Kios knows about sync through one source — as a whole (book_hash
 * NULL) or for one book — as the server last confirmed or refused it. These
 * records are stored, never assumed: SYNCED is only ever set from a reply the
 * server gave, and a record survives a relaunch as it was.
 *
 * KiosSyncLogEntry is one exchange of a book's sync history.
 */

typedef enum {
  KIOS_SYNC_STATUS_OFF = 0,      /* switched off, or no account */
  KIOS_SYNC_STATUS_NEVER,        /* configured; nothing confirmed by the server yet */
  KIOS_SYNC_STATUS_SYNCED,       /* the server confirmed the last exchange */
  KIOS_SYNC_STATUS_PENDING,      /* a push waits; detail says why it has not gone out */
  KIOS_SYNC_STATUS_OFFLINE,      /* the server could not be reached (or timed out) */
  KIOS_SYNC_STATUS_REFUSED,      /* the server refused the credentials */
  KIOS_SYNC_STATUS_WRONG_URL,    /* the URL does not answer in the protocol's shape */
  KIOS_SYNC_STATUS_SERVER_ERROR, /* the server failed (5xx) or answered nonsense */
} KiosSyncStatusState;

#define KIOS_TYPE_SYNC_STATUS_STATE (kios_sync_status_state_get_type ())

/* Why a position has not gone out yet (live, from the engine; the ui puts
 * it in words; detail carries the same in untranslated English). */
typedef enum {
  KIOS_SYNC_PENDING_NONE = 0,
  KIOS_SYNC_PENDING_SENDING,      /* in flight now */
  KIOS_SYNC_PENDING_BACKGROUND,   /* goes when the window goes to the background or the book closes */
  KIOS_SYNC_PENDING_PULL_FIRST,   /* waits for the server's position first */
  KIOS_SYNC_PENDING_CHOICE,       /* held until the reader chooses Continue or Stay here */
  KIOS_SYNC_PENDING_OTHER_WINDOW, /* another window's push to the same account goes first */
  KIOS_SYNC_PENDING_QUEUED,       /* next in line */
  KIOS_SYNC_PENDING_RETRY,        /* the last try failed (see state); again when the window is active */
  KIOS_SYNC_PENDING_HELD,         /* refused: waits for Sync now or a change of account */
} KiosSyncPendingReason;

typedef struct
{
  char                 *protocol;  /* "kosync" | "kobo" | "readium" */
  char                 *source;    /* the source's name in the store */
  char                 *book_hash; /* NULL: the source as a whole */
  KiosSyncStatusState   state;
  gint64                time;           /* unix seconds when state was set; 0 = never */
  gint64                synced_at;      /* the last exchange the server confirmed; 0 = never */
  char                 *server;         /* a label without secrets (kios_redact_url), nullable */
  char                 *detail;         /* untranslated, redacted detail; why pending; nullable */
  GQuark                error_domain;   /* of the last failure, 0 when none: the ui */
  int                   error_code;     /* maps domain + code to a sentence */
  gint64                pending_since;  /* a push has waited since (unix seconds); 0 = none */
  KiosSyncPendingReason pending_reason; /* live only (not stored) */
} KiosSyncStatus;

typedef struct
{
  gint64 time;      /* unix seconds */
  char  *protocol;  /* "kosync" | "kobo" | "readium" */
  char  *source;    /* the source's name */
  char  *direction; /* "push" | "pull" */
  char  *result;    /* a KiosSyncStatusState string: "synced", "offline", … */
  char  *detail;    /* untranslated, redacted; nullable */
  char  *precision; /* what the server keeps: "exact" | "page" | "chapter" | "percent"; nullable */
  char  *remote;    /* the remote position as JSON (pulls), nullable */
  char  *book_hash; /* the book, NULL for the source as a whole */
} KiosSyncLogEntry;

/* clang-format off */
GType               kios_sync_status_state_get_type    (void) G_GNUC_CONST;
/* "off", "never", "synced", "pending", "offline", "refused", "wrong-url",
 * "server-error" (kiosctl's and the log's words). */
const char         *kios_sync_status_state_to_string   (KiosSyncStatusState     state);
/* FALSE for an unknown word, leaving *state alone. */
gboolean            kios_sync_status_state_from_string (const char             *text,
                                                        KiosSyncStatusState    *state);
/* The state a failed exchange leaves, from the error it failed with:
 * KIOS_SYNC_ERROR / KIOS_HTTP_ERROR codes → OFFLINE, REFUSED, WRONG_URL or
 * SERVER_ERROR (cancellation is not a state: callers keep the old one). */
KiosSyncStatusState kios_sync_status_state_for_error   (const GError           *error);
/* TRUE for OFFLINE, REFUSED, WRONG_URL and SERVER_ERROR. */
gboolean            kios_sync_status_state_is_failure  (KiosSyncStatusState     state);

KiosSyncStatus     *kios_sync_status_new               (const char             *protocol,
                                                        const char             *source,
                                                        const char             *book_hash);
KiosSyncStatus     *kios_sync_status_copy              (const KiosSyncStatus   *self);
void                kios_sync_status_free              (KiosSyncStatus         *self);
/* Sets state, time (now), error domain/code and detail (redacted) from a
 * failed exchange. */
void                kios_sync_status_set_error         (KiosSyncStatus         *self,
                                                        const GError           *error);
/* The server confirmed an exchange: SYNCED now, the failure forgotten. */
void                kios_sync_status_set_synced        (KiosSyncStatus         *self);
/* One exchange's outcome on a stored record: set_synced (error NULL) or
 * set_error, keeping the time a run of the same failure began ("offline
 * since …"); server (nullable) replaces the label. */
void                kios_sync_status_apply             (KiosSyncStatus         *self,
                                                        const GError           *error,
                                                        const char             *server);
/* Whether a failure says something about the source as a whole (the server
 * unreachable or failing, the account refused, the URL wrong) rather than
 * about one book (not found, a conflict). */
gboolean            kios_sync_status_error_is_source_wide (const GError        *error);
/* Same state, detail, error, server and pending_since (times aside). */
gboolean            kios_sync_status_equal             (const KiosSyncStatus   *a,
                                                        const KiosSyncStatus   *b);

KiosSyncLogEntry   *kios_sync_log_entry_new            (const char             *protocol,
                                                        const char             *source,
                                                        const char             *book_hash,
                                                        const char             *direction,
                                                        const char             *result,
                                                        const char             *detail);

KiosSyncLogEntry   *kios_sync_log_entry_copy           (const KiosSyncLogEntry *self);
void                kios_sync_log_entry_free           (KiosSyncLogEntry       *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSyncStatus, kios_sync_status_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSyncLogEntry, kios_sync_log_entry_free)

G_END_DECLS
