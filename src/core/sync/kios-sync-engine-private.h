/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-sync-engine.h"
#include "kios-sync-service.h"
#include "kios-sync-status.h"

G_BEGIN_DECLS

/*
 * The engine is one class in four files: kios-sync-engine.c (state, the
 * account, GObject and public API), kios-sync-engine-status.c (the status
 * property, exchange outcomes, sources switched off),
 * kios-sync-engine-push.c (the push queue, serialized per account by the
 * service) and kios-sync-engine-pull.c (loading the open book's sync state,
 * pulling through the pipeline).
 * This header shares the instance struct and the helpers between them; all
 * of it is for the main thread.
 */

/* The state of the open book, read from the store in a worker. */
typedef struct
{
  KiosSyncBackend *book_backend; /* the book's own protocol, or NULL */
  char            *off_source;   /* the book's own source, switched off */
  KiosSyncStatus  *status;       /* stored, for the serving source and the book */
  KiosPosition    *last_pushed;
  KiosPosition    *pending;
} LoadResult;

/* A position waiting to be sent, with the backend (account) it goes to. */
typedef struct
{
  KiosPosition    *position;
  KiosSyncBackend *backend;
} Pending;

struct _KiosSyncEngine
{
  GObject parent_instance;

  KiosSyncService *service;        /* weak; NULL for an engine of its own */
  KiosSyncStatus  *status;         /* the "status" property */
  KiosSyncStatus  *account_status; /* the global account's, as stored */
  KiosSyncStatus  *book_status;    /* the open book's through its serving source */
  char            *account_off;    /* the global account, switched off: its name */
  char            *book_off;       /* the open book's own source, switched off */
  char            *pulled_remote;  /* JSON of the last pull's answer, for the log */

  KiosLibraryStore       *store;
  KiosSyncBackend        *backend;      /* the global account (KOReader sync), nullable */
  KiosSyncBackend        *book_backend; /* the open book's own protocol (Readium, Kobo), nullable */
  KiosSyncBookBackendFunc book_backend_func;
  gpointer                book_backend_data;
  GCancellable           *account_cancellable;
  GCancellable           *push_cancellable;

  /* The open book. */
  KiosDocument  *document;
  char          *hash;
  KiosBookFormat format;
  KiosPosition  *position;    /* the reader's current position */
  KiosPosition  *last_pushed; /* the last position the server took */
  KiosPosition  *remote;      /* resolved remote, while one is known */
  char          *remote_title;
  int            remote_protocol; /* a bridged book's remote: its KiosSyncProtocol, else -1 */
  GCancellable  *book_cancellable;
  guint          book_serial;

  /* Pushes: hash → Pending, the newest unsent position per book. */
  GHashTable      *pending;
  char            *in_flight_hash;
  KiosPosition    *in_flight;
  KiosSyncBackend *in_flight_backend;
  GHashTable      *refused; /* hashes the server refused (not found, …) */

  /* Status. */
  KiosSyncState state;
  char         *reason;
  char         *failing_reason;
  char         *last_result;
  gint64        last_time;
  char         *server;

  guint n_loading;          /* store reads and pulls in flight */
  guint loaded : 1;         /* last_pushed / pending of the open book are known */
  guint push_requested : 1; /* a push trigger came before loaded */
  guint page_turned : 1;
  guint prompting : 1;     /* the banner asks and was not answered */
  guint pulling : 1;       /* the open book's first pull has not answered */
  guint push_deferred : 1; /* a push waited for the pull or the prompt */
  guint offline : 1;       /* a transient failure: wait for the next activate */
  guint halted : 1;        /* refused account: no automatic traffic */
};

/* clang-format off */
/* kios-sync-engine.c: state and status */
gboolean         kios_sync_engine_same_place       (const KiosPosition *a,
                                                    const KiosPosition *b);
KiosSyncBackend *kios_sync_engine_current_backend  (KiosSyncEngine     *self);
const char      *kios_sync_engine_source_name      (KiosSyncEngine     *self);
void             kios_sync_engine_update_state     (KiosSyncEngine     *self);
void             kios_sync_engine_update_server    (KiosSyncEngine     *self);
void             kios_sync_engine_set_result       (KiosSyncEngine     *self,
                                                    const char         *hash,
                                                    const char         *event,
                                                    const char         *detail);
void             kios_sync_engine_handle_failure   (KiosSyncEngine     *self,
                                                    const char         *hash,
                                                    const char         *event,
                                                    const GError       *error);
void             kios_sync_engine_set_remote       (KiosSyncEngine     *self,
                                                    const KiosPosition *remote,
                                                    const char         *title);
void             kios_sync_engine_emit_prompt      (KiosSyncEngine     *self,
                                                    const char         *chapter_title);
void             kios_sync_engine_emit_jump        (KiosSyncEngine     *self,
                                                    const KiosPosition *target);
void             kios_sync_engine_emit_decided     (KiosSyncEngine     *self,
                                                    KiosSyncDecision    decision,
                                                    const char         *reason);
/* Replaces *field when value differs; TRUE when it changed. */
gboolean         kios_sync_engine_set_string       (char              **field,
                                                    const char         *value);

/* kios-sync-engine-status.c: the status property and exchange outcomes */
void             kios_sync_engine_update_status    (KiosSyncEngine     *self);
/* The JSON of the remote a pull just returned (for the sync log). */
void             kios_sync_engine_note_remote      (KiosSyncEngine     *self,
                                                    const char         *remote_json);
/* One exchange's outcome: the sync log, the stored statuses (book, and the
 * source for a success or an account-wide failure), the "status" property.
 * direction "push" | "pull"; error NULL = the server answered. */
void             kios_sync_engine_record           (KiosSyncEngine     *self,
                                                    KiosSyncBackend    *backend,
                                                    const char         *hash,
                                                    KiosBookFormat      format,
                                                    const char         *direction,
                                                    const GError       *error,
                                                    const char         *detail);
/* Sync through source is switched off (the account, or the book's own). */
gboolean         kios_sync_engine_source_is_off    (KiosSyncEngine     *self,
                                                    const char         *source);
/* "kosync" | "kobo" | "readium" */
const char      *kios_sync_engine_protocol_of      (KiosSyncBackend    *backend);
/* Another engine of the service recorded a status for the source (book NULL)
 * or a book; adopt it when it is the one shown. */
void             kios_sync_engine_take_status      (KiosSyncEngine     *self,
                                                    const KiosSyncStatus *status);
/* The service switched sync through source off or on. */
void             kios_sync_engine_set_source_enabled (KiosSyncEngine   *self,
                                                      const char       *source,
                                                      gboolean          enabled);
/* Shutdown in two halves, so that the service can run every engine's at once. */
void             kios_sync_engine_begin_shutdown   (KiosSyncEngine     *self,
                                                    gint64              end);
gboolean         kios_sync_engine_end_shutdown     (KiosSyncEngine     *self);

/* kios-sync-engine-push.c: the push queue */
Pending         *kios_sync_engine_pending_new      (const KiosPosition *position,
                                                    KiosSyncBackend    *backend);
void             kios_sync_engine_pending_free     (Pending            *pending);
void             kios_sync_engine_push_current     (KiosSyncEngine     *self);
void             kios_sync_engine_kick             (KiosSyncEngine     *self);
void             kios_sync_engine_release_accounts (KiosSyncEngine     *self);

/* kios-sync-service.c: for the engines */
void             kios_sync_service_attach          (KiosSyncService    *self,
                                                    KiosSyncEngine     *engine);
void             kios_sync_service_detach          (KiosSyncService    *self,
                                                    KiosSyncEngine     *engine);
gboolean         kios_sync_service_account_taken   (KiosSyncService    *self,
                                                    KiosSyncEngine     *engine,
                                                    const char         *source);
void             kios_sync_service_take_account    (KiosSyncService    *self,
                                                    KiosSyncEngine     *engine,
                                                    const char         *source);
void             kios_sync_service_release_account (KiosSyncService    *self,
                                                    KiosSyncEngine     *engine,
                                                    const char         *source);
void             kios_sync_service_status_recorded (KiosSyncService    *self,
                                                    KiosSyncEngine     *engine,
                                                    const KiosSyncStatus *status);

/* kios-sync-engine-pull.c: the open book's state, pull and resolve */
void             kios_sync_engine_start_book_work  (KiosSyncEngine     *self);
void             kios_sync_engine_start_pull       (KiosSyncEngine     *self);
KiosSyncBackend *kios_sync_engine_backend_for_book (KiosLibraryStore   *store,
                                                    const char         *hash,
                                                    GCancellable       *cancellable,
                                                    gpointer            user_data);
/* clang-format on */

G_END_DECLS
