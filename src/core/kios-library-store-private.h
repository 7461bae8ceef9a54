/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-library-store.h"
#include "kios-limits.h"

#include <sqlite3.h>

G_BEGIN_DECLS

/*
 * The store is one class in three files: kios-library-store.c (records,
 * GObject and the public API), kios-library-store-db.c (the schema,
 * connections, statements and row conversions) and
 * kios-library-store-writer.c (the writer thread and its ops). This header
 * shares their types; nothing outside the store includes it.
 */
/*
 * Threads and connections.
 *
 * One writer thread owns the only read-write connection. Every write is an
 * op pushed on a GAsyncQueue with a sequence number taken under `lock`; the
 * writer runs each op in its own BEGIN IMMEDIATE … COMMIT and then publishes
 * `done_seq`. A read first waits until `done_seq` reaches the `queued_seq`
 * it saw on entry, so it observes every write queued before it.
 *
 * Reads use read-only connections from a small pool: a calling thread takes
 * one for the duration of a read and gives it back, so concurrent readers
 * never share a connection and nothing is opened per call (opening costs
 * far more than the read itself, see the test's measurements). A GPrivate
 * would tie connections to threads that may outlive the store; the pool is
 * closed in finalize instead.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is in the WAL file (the
 * OS page cache) before COMMIT returns, so a kill -9 of the process loses
 * nothing that was committed: only the ops still queued. Only a power loss
 * or kernel crash may roll back the last few commits, and even then the file
 * stays consistent. FULL would fsync on every page turn for the power-loss
 * case only; not worth the disk wear and latency of a per-page fsync.
 */

#define SCHEMA_VERSION 4
#define BUSY_TIMEOUT_MS KIOS_LIMIT_STORE_BUSY_MS
#define SYNC_LOG_MAX_ROWS KIOS_LIMIT_STORE_SYNC_LOG_ROWS
#define SYNC_LOG_MAX_DETAIL KIOS_LIMIT_STORE_SYNC_LOG_DETAIL
#define MAX_BATCH 256
#define MAX_IDLE_READERS 4
/* A read waits at most this long for earlier queued writes, then reads anyway. */
#define READ_WAIT_MS 10000
/* Synchronous source edits wait at most this long for the writer. */
#define SYNC_OP_WAIT_MS 30000

typedef enum {
  OP_STOP,
  OP_UPSERT_BOOK,
  OP_TOUCH_BOOK,
  OP_SAVE_POSITION,
  OP_SET_BOOK_META,
  OP_SET_PENDING,
  OP_CLEAR_PENDING,
  OP_SET_LAST_PUSHED,
  OP_SET_LAST_REMOTE,
  OP_LOG_SYNC,
  OP_ADD_SOURCE,
  OP_UPDATE_SOURCE,
  OP_REMOVE_SOURCE,
  OP_SET_SYNC_STATUS,
  OP_CALL, /* runs op->call (kios-library-store-books.c) */
} OpKind;

/* Ops are refcounted (g_atomic_rc_box): the writer and, for synchronous
 * ops, the waiting caller each hold a reference. */
typedef struct
{
  OpKind            kind;
  guint64           seq;
  gboolean          skip; /* coalesced into an earlier op of the batch */
  char             *hash;
  char             *source; /* source name, or the key for book meta */
  char             *text;   /* meta value, remote JSON, log event */
  char             *text2;  /* log detail */
  gint64            number; /* last_opened_at, pushed_updated_at */
  KiosPosition     *position;
  KiosBookRecord   *book;
  KiosSourceRecord *source_record;
  KiosSyncStatus   *status;    /* OP_SET_SYNC_STATUS */
  KiosSyncLogEntry *log_entry; /* OP_LOG_SYNC */
  /* Results of synchronous ops, read under `lock` once done. */
  GError *error;
  gint64  result_id;
  /* OP_CALL: a write defined outside the writer; sync ops report their
   * error to the caller instead of "write-failed". */
  gboolean (*call) (gpointer conn, gpointer op, GError **error);
  gpointer       data;
  GDestroyNotify data_free;
  gpointer       result;
  GDestroyNotify result_free;
  gboolean       call_sync;
} Op;

typedef struct
{
  sqlite3    *db;
  GHashTable *stmts; /* static SQL text (by address) → sqlite3_stmt */
} Conn;

struct _KiosLibraryStore
{
  GObject parent_instance;

  char        *db_path;
  GThread     *writer;
  GAsyncQueue *queue;
  Conn        *write_conn; /* used only by the writer thread once it runs */

  GMutex     lock; /* guards everything below */
  GCond      cond;
  GPtrArray *idle_readers;
  guint64    queued_seq;
  guint64    done_seq;
  guint64    failed_seq;  /* the last queued write that failed, 0 = none */
  guint64    flushed_seq; /* failures up to here were reported by a flush */
  GError    *write_error; /* the last queued write's failure */
  guint      stopping : 1;

  /* Reports failed writes on the main context the store was made in. */
  GMainContext *context;
  gpointer      relay; /* StoreRelay, shared with pending idles */
};

#define BOOK_COLUMNS "id, hash, path, size, format, title, authors, cover_path, "         \
                     "added_at, last_opened_at, progress, series, finished_at, missing, " \
                     "downloaded"
#define POSITION_COLUMNS "format, chapter, chapter_href, chapter_title, char_offset, " \
                         "chapter_progress, total_progress, xpointer, updated_at, "    \
                         "device, device_id"
#define SOURCE_COLUMNS "id, name, kind, url, auth, username, settings_json"
#define STATUS_COLUMNS "source, hash, protocol, state, time, synced_at, server, detail, " \
                       "error_domain, error_code, pending_since"
#define LOG_COLUMNS "at, hash, source, protocol, direction, result, detail, precision, remote"
/* A v1-style log event word ("push", "push-failed", "readium-put", "pull",
 * "account") as a direction and a result, in SQL over the column `event`. */
#define KIOS_STORE_SQL_LOG_DIRECTION           \
  "(CASE WHEN event LIKE '%pull%' THEN 'pull'" \
  " WHEN event LIKE '%push%' OR event LIKE '%put%' THEN 'push' END)"
#define KIOS_STORE_SQL_LOG_RESULT \
  "(CASE WHEN event LIKE '%failed%' THEN 'server-error' ELSE 'synced' END)"

extern const char kios_store_sql_begin[];
extern const char kios_store_sql_commit[];
extern const char kios_store_sql_rollback[];

/* Sets a read statement's parameters from data; collects one row. */
typedef void (*KiosStoreBind) (sqlite3_stmt *stmt,
                               gconstpointer data);
typedef gpointer (*KiosStoreCollect) (sqlite3_stmt *stmt);

/* clang-format off */
/* kios-library-store-db.c */
void              kios_store_set_sqlite_error          (GError    **error,
                                                        sqlite3    *db,
                                                        int         rc,
                                                        const char *what);
void              kios_store_conn_free                 (Conn *conn);
sqlite3_stmt     *kios_store_conn_prepare              (Conn       *conn,
                                                        const char *sql,
                                                        GError    **error);
void              kios_store_stmt_done                 (sqlite3_stmt *stmt);
gboolean          kios_store_stmt_run                  (Conn         *conn,
                                                        sqlite3_stmt *stmt,
                                                        GError      **error);
Conn             *kios_store_conn_open                 (const char *path,
                                                        gboolean    read_only,
                                                        GError    **error);
gboolean          kios_store_migrate                   (Conn       *conn,
                                                        const char *path,
                                                        GError    **error);
Conn             *kios_store_reader_acquire            (KiosLibraryStore *self,
                                                        GError          **error);
void              kios_store_reader_release            (KiosLibraryStore *self,
                                                        Conn             *conn);
void              kios_store_wait_for_writes           (KiosLibraryStore *self);
char             *kios_store_column_strdup             (sqlite3_stmt *stmt,
                                                        int           col);
KiosBookRecord   *kios_store_book_from_stmt            (sqlite3_stmt *stmt);
KiosPosition     *kios_store_position_from_stmt        (sqlite3_stmt *stmt);
KiosSourceRecord *kios_store_source_from_stmt          (sqlite3_stmt *stmt);
char             *kios_store_position_to_json_string   (const KiosPosition *pos);
KiosPosition     *kios_store_position_from_json_string (const char *json,
                                                        GError    **error);
void              kios_store_bind_text                 (sqlite3_stmt *stmt,
                                                        int           idx,
                                                        const char   *text);
void              kios_store_bind_position             (sqlite3_stmt       *stmt,
                                                        int                 first,
                                                        const KiosPosition *pos);
/* kios-library-store-books.c: the SQL functions kios_fold (TEXT) and
 * kios_match (KEY, QUERY), on every connection. */
void              kios_store_register_functions        (sqlite3    *db);
gboolean          kios_store_migrate_v3_keys           (Conn       *conn,
                                                        GError    **error);
/* kios-library-store-writer.c */
void              kios_store_op_unref                  (Op *op);
Op               *kios_store_op_new                    (OpKind kind);
gboolean          kios_store_enqueue                   (KiosLibraryStore *self,
                                                        Op               *op);
gboolean          kios_store_run_sync_op               (KiosLibraryStore *self,
                                                        Op               *op,
                                                        gint64           *result_id,
                                                        GError          **error);
gpointer          kios_store_writer_worker             (gpointer data);
gboolean          kios_store_write_upsert_book         (Conn    *conn,
                                                        Op      *op,
                                                        GError **error);
/* kios-library-store.c: a failed queued write, from the writer thread. */
void              kios_store_report_write_error        (KiosLibraryStore *self,
                                                        guint64           seq,
                                                        const GError     *error,
                                                        gboolean          notify);
KiosSyncStatus   *kios_store_status_from_stmt          (sqlite3_stmt *stmt);
KiosSyncLogEntry *kios_store_log_entry_from_stmt       (sqlite3_stmt *stmt);

/* kios-library-store.c */
GPtrArray        *kios_store_read_all (KiosLibraryStore *self,
                                       const char       *sql,
                                       KiosStoreBind     bind,
                                       gconstpointer     data,
                                       KiosStoreCollect  collect,
                                       GDestroyNotify    free_func,
                                       GError          **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, kios_store_op_unref)

G_END_DECLS
