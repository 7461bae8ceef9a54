/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-store"

#include "config.h"

#include "kios-library-store.h"

#include "kios-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

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

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000
#define SYNC_LOG_MAX_ROWS 1000
#define SYNC_LOG_MAX_DETAIL 4096
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
  /* Results of synchronous ops, read under `lock` once done. */
  GError *error;
  gint64  result_id;
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
  guint      stopping : 1;
};

G_DEFINE_FINAL_TYPE (KiosLibraryStore, kios_library_store, G_TYPE_OBJECT)

/* Schema v1. Rows keyed by hash carry no foreign key to books on purpose: a
 * position saved before its book row exists must never be lost. Removing or
 * renaming a source updates sync_state in the same transaction instead. */
static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS books ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  path TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  format TEXT,"
    "  title TEXT,"
    "  authors TEXT,"
    "  cover_path TEXT,"
    "  added_at INTEGER NOT NULL DEFAULT 0,"
    "  last_opened_at INTEGER NOT NULL DEFAULT 0,"
    "  progress REAL NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS books_path ON books (path);"
    "CREATE INDEX IF NOT EXISTS books_recent ON books (last_opened_at DESC, added_at DESC);"
    "CREATE TABLE IF NOT EXISTS book_meta ("
    "  hash TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  PRIMARY KEY (hash, key));"
    "CREATE TABLE IF NOT EXISTS positions ("
    "  hash TEXT PRIMARY KEY,"
    "  format TEXT NOT NULL,"
    "  chapter INTEGER NOT NULL,"
    "  chapter_href TEXT,"
    "  chapter_title TEXT,"
    "  char_offset INTEGER NOT NULL,"
    "  chapter_progress REAL NOT NULL,"
    "  total_progress REAL NOT NULL,"
    "  xpointer TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  device TEXT,"
    "  device_id TEXT);"
    "CREATE TABLE IF NOT EXISTS sources ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL,"
    "  url TEXT,"
    "  auth TEXT,"
    "  username TEXT,"
    "  settings_json TEXT);"
    "CREATE TABLE IF NOT EXISTS sync_state ("
    "  hash TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  pending_json TEXT,"
    "  pending_updated_at INTEGER,"
    "  pending_since INTEGER,"
    "  last_pushed_json TEXT,"
    "  last_pushed_at INTEGER,"
    "  last_remote_json TEXT,"
    "  last_remote_at INTEGER,"
    "  PRIMARY KEY (hash, source));"
    "CREATE TABLE IF NOT EXISTS sync_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  hash TEXT,"
    "  source TEXT,"
    "  event TEXT NOT NULL,"
    "  detail TEXT);";

#define BOOK_COLUMNS "id, hash, path, size, format, title, authors, cover_path, " \
                     "added_at, last_opened_at, progress"
#define POSITION_COLUMNS "format, chapter, chapter_href, chapter_title, char_offset, " \
                         "chapter_progress, total_progress, xpointer, updated_at, "    \
                         "device, device_id"
#define SOURCE_COLUMNS "id, name, kind, url, auth, username, settings_json"

/* SQL used by several functions: the statement cache is keyed by address. */
static const char sql_get_book[] =
    "SELECT " BOOK_COLUMNS " FROM books WHERE hash = ?1";
static const char sql_get_book_by_path[] =
    "SELECT " BOOK_COLUMNS " FROM books WHERE path = ?1 ORDER BY last_opened_at DESC LIMIT 1";
static const char sql_list_recent[] =
    "SELECT " BOOK_COLUMNS " FROM books ORDER BY last_opened_at DESC, added_at DESC, id DESC"
    " LIMIT ?1";
static const char sql_get_position[] =
    "SELECT " POSITION_COLUMNS " FROM positions WHERE hash = ?1";
static const char sql_get_meta[] =
    "SELECT value FROM book_meta WHERE hash = ?1 AND key = ?2";
static const char sql_get_source[] =
    "SELECT " SOURCE_COLUMNS " FROM sources WHERE name = ?1";
static const char sql_list_sources[] =
    "SELECT " SOURCE_COLUMNS " FROM sources ORDER BY name COLLATE NOCASE, id";
static const char sql_get_pending[] =
    "SELECT pending_json FROM sync_state WHERE hash = ?1 AND source = ?2";
static const char sql_get_last_pushed[] =
    "SELECT last_pushed_json FROM sync_state WHERE hash = ?1 AND source = ?2";
static const char sql_get_last_remote[] =
    "SELECT last_remote_json FROM sync_state WHERE hash = ?1 AND source = ?2";

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/* ---- errors ------------------------------------------------------------ */

static int
error_code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return KIOS_STORE_ERROR_CORRUPT;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return KIOS_STORE_ERROR_OPEN;
    default:
      return KIOS_STORE_ERROR_FAILED;
    }
}

static void
set_sqlite_error (GError    **error,
                  sqlite3    *db,
                  int         rc,
                  const char *what)
{
  const char *msg = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  g_set_error (error, KIOS_STORE_ERROR, error_code_for (rc), "%s: %s", what, msg);
}

/* ---- connections ------------------------------------------------------- */

static void
conn_free (Conn *conn)
{
  if (conn == NULL)
    return;

  g_clear_pointer (&conn->stmts, g_hash_table_unref);
  /* The table finalized every cached statement, so the close is immediate. */
  sqlite3_close_v2 (conn->db);
  g_free (conn);
}

static sqlite3_stmt *
conn_prepare (Conn       *conn,
              const char *sql,
              GError    **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (conn->stmts, sql);
  int           rc;

  if (stmt != NULL)
    return stmt;

  rc = sqlite3_prepare_v3 (conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, conn->db, rc, "Cannot prepare a statement");
      sqlite3_finalize (stmt);
      return NULL;
    }

  g_hash_table_insert (conn->stmts, (gpointer) sql, stmt);
  return stmt;
}

/* Resets a cached statement so it holds no read transaction open. */
static void
stmt_done (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static gboolean
conn_exec (Conn       *conn,
           const char *sql,
           GError    **error)
{
  char *errmsg = NULL;
  int   rc;

  rc = sqlite3_exec (conn->db, sql, NULL, NULL, &errmsg);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, KIOS_STORE_ERROR, error_code_for (rc), "%s",
                   errmsg != NULL ? errmsg : sqlite3_errstr (rc));
      sqlite3_free (errmsg);
      return FALSE;
    }
  return TRUE;
}

/* Runs a cached statement that returns no rows. */
static gboolean
stmt_run (Conn         *conn,
          sqlite3_stmt *stmt,
          GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      set_sqlite_error (error, conn->db, rc, "Write failed");
      stmt_done (stmt);
      return FALSE;
    }
  stmt_done (stmt);
  return TRUE;
}

/* synchronous = NORMAL: see the durability note at the top. The size limit
 * trims the WAL file after checkpoints so it cannot stay large. */
static const char pragmas_write[] =
    "PRAGMA synchronous = NORMAL;"
    "PRAGMA foreign_keys = ON;"
    "PRAGMA journal_size_limit = 4194304";
static const char pragmas_read[] =
    "PRAGMA foreign_keys = ON";

/*
 * Switching to WAL needs an exclusive lock, and SQLite does not call the busy
 * handler for it when another connection (the app's, while kiosctl starts)
 * is reading, so retry for the busy timeout.
 */
static gboolean
set_wal_mode (Conn    *conn,
              GError **error)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  int    rc;

  for (;;)
    {
      rc = sqlite3_exec (conn->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
      if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
        break;
      if (g_get_monotonic_time () >= deadline)
        break;
      g_usleep (5 * G_TIME_SPAN_MILLISECOND);
    }

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, conn->db, rc, "Cannot switch to WAL mode");
      return FALSE;
    }
  return TRUE;
}

static Conn *
conn_open (const char *path,
           gboolean    read_only,
           GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  Conn              *conn = g_new0 (Conn, 1);
  int                flags;
  int                rc;

  flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  /* Each connection is used by one thread at a time; SQLite's own mutexes
   * would only add cost. */
  flags |= SQLITE_OPEN_NOMUTEX;

  conn->stmts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify) sqlite3_finalize);
  rc = sqlite3_open_v2 (path, &conn->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      int code = error_code_for (rc) == KIOS_STORE_ERROR_CORRUPT ? KIOS_STORE_ERROR_CORRUPT
                                                                 : KIOS_STORE_ERROR_OPEN;

      g_set_error (error, KIOS_STORE_ERROR, code,
                   "Cannot open the library %s: %s", path,
                   conn->db != NULL ? sqlite3_errmsg (conn->db) : sqlite3_errstr (rc));
      conn_free (conn);
      return NULL;
    }

  sqlite3_extended_result_codes (conn->db, 1);
  sqlite3_busy_timeout (conn->db, BUSY_TIMEOUT_MS);

  /* The first statement that reads the header fails on a file that is not
   * SQLite, the schema query on a damaged schema page. */
  if ((!read_only && !set_wal_mode (conn, &local_error)) ||
      !conn_exec (conn, read_only ? pragmas_read : pragmas_write, &local_error) ||
      !conn_exec (conn, "SELECT count(*) FROM sqlite_master", &local_error))
    {
      int code = local_error->code == KIOS_STORE_ERROR_CORRUPT ? KIOS_STORE_ERROR_CORRUPT
                                                               : KIOS_STORE_ERROR_OPEN;

      g_set_error (error, KIOS_STORE_ERROR, code, "Cannot open the library %s: %s",
                   path, local_error->message);
      conn_free (conn);
      return NULL;
    }

  return conn;
}

static int
get_user_version (Conn    *conn,
                  GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int           version = -1;
  int           rc;

  rc = sqlite3_prepare_v2 (conn->db, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
    }
  if (version < 0)
    set_sqlite_error (error, conn->db, rc, "Cannot read the schema version");
  sqlite3_finalize (stmt);
  return version;
}

/*
 * Brings the schema to SCHEMA_VERSION, one step per version, each step in the
 * same transaction as its user_version bump so a crash mid-migration leaves
 * the previous version intact. A newer schema than ours is refused rather
 * than risked.
 */
static gboolean
migrate (Conn       *conn,
         const char *path,
         GError    **error)
{
  for (;;)
    {
      g_autofree char *bump = NULL;
      const char      *step = NULL;
      int              version;

      /* The version is read inside the write transaction: the app and
       * kiosctl may open a new library at the same moment, and only one of
       * them may run each step. */
      if (!conn_exec (conn, sql_begin, error))
        return FALSE;
      version = get_user_version (conn, error);
      if (version < 0 || version >= SCHEMA_VERSION)
        {
          conn_exec (conn, sql_rollback, NULL);
          if (version > SCHEMA_VERSION)
            g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_OPEN,
                         "The library %s was written by a newer Kios (schema %d, this one knows %d)",
                         path, version, SCHEMA_VERSION);
          return version == SCHEMA_VERSION;
        }

      switch (version)
        {
        case 0:
          step = schema_v1;
          break;
        default:
          g_assert_not_reached ();
        }

      bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!conn_exec (conn, step, error) || !conn_exec (conn, bump, error) ||
          !conn_exec (conn, sql_commit, error))
        {
          conn_exec (conn, sql_rollback, NULL);
          g_prefix_error (error, "Cannot upgrade the library %s to schema %d: ", path,
                          version + 1);
          return FALSE;
        }
      g_debug ("Library schema upgraded to version %d", version + 1);
    }
}

static Conn *
reader_acquire (KiosLibraryStore *self,
                GError          **error)
{
  Conn *conn = NULL;

  g_mutex_lock (&self->lock);
  if (self->idle_readers->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  g_mutex_unlock (&self->lock);

  if (conn == NULL)
    conn = conn_open (self->db_path, TRUE, error);
  return conn;
}

static void
reader_release (KiosLibraryStore *self,
                Conn             *conn)
{
  g_mutex_lock (&self->lock);
  if (self->idle_readers->len < MAX_IDLE_READERS)
    {
      g_ptr_array_add (self->idle_readers, conn);
      conn = NULL;
    }
  g_mutex_unlock (&self->lock);

  conn_free (conn);
}

/* Waits until every write queued before this call is committed. */
static void
wait_for_writes (KiosLibraryStore *self)
{
  gint64  deadline = g_get_monotonic_time () + READ_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  guint64 target;

  g_mutex_lock (&self->lock);
  target = self->queued_seq;
  while (self->done_seq < target)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      {
        if (self->done_seq < target)
          g_warning ("Library writes are stuck; reading without waiting for them");
        break;
      }
  g_mutex_unlock (&self->lock);
}

/* ---- records ----------------------------------------------------------- */

KiosBookRecord *
kios_book_record_copy (const KiosBookRecord *self)
{
  KiosBookRecord *copy;

  if (self == NULL)
    return NULL;

  copy = g_memdup2 (self, sizeof *self);
  copy->hash = g_strdup (self->hash);
  copy->path = g_strdup (self->path);
  copy->format = g_strdup (self->format);
  copy->title = g_strdup (self->title);
  copy->authors = g_strdup (self->authors);
  copy->cover_path = g_strdup (self->cover_path);
  return copy;
}

void
kios_book_record_free (KiosBookRecord *self)
{
  if (self == NULL)
    return;

  g_free (self->hash);
  g_free (self->path);
  g_free (self->format);
  g_free (self->title);
  g_free (self->authors);
  g_free (self->cover_path);
  g_free (self);
}

KiosSourceRecord *
kios_source_record_copy (const KiosSourceRecord *self)
{
  KiosSourceRecord *copy;

  if (self == NULL)
    return NULL;

  copy = g_memdup2 (self, sizeof *self);
  copy->name = g_strdup (self->name);
  copy->kind = g_strdup (self->kind);
  copy->url = g_strdup (self->url);
  copy->auth = g_strdup (self->auth);
  copy->username = g_strdup (self->username);
  copy->settings_json = g_strdup (self->settings_json);
  return copy;
}

void
kios_source_record_free (KiosSourceRecord *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_free (self->kind);
  g_free (self->url);
  g_free (self->auth);
  g_free (self->username);
  g_free (self->settings_json);
  g_free (self);
}

/* Sync through a source can be switched off without forgetting the account:
 * settings_json {"enabled": false}. Absent or unreadable means on, so a
 * source saved before the switch existed keeps syncing. */
gboolean
kios_source_record_get_enabled (const KiosSourceRecord *self)
{
  g_autoptr (JsonNode) node = NULL;
  JsonObject          *object;

  g_return_val_if_fail (self != NULL, TRUE);

  if (self->settings_json == NULL)
    return TRUE;
  node = json_from_string (self->settings_json, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;
  object = json_node_get_object (node);
  if (!json_object_has_member (object, "enabled"))
    return TRUE;
  return json_object_get_boolean_member_with_default (object, "enabled", TRUE);
}

void
kios_source_record_set_enabled (KiosSourceRecord *self,
                                gboolean          enabled)
{
  g_autoptr (JsonNode)   node = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonNode)   root = NULL;

  g_return_if_fail (self != NULL);

  if (self->settings_json != NULL)
    node = json_from_string (self->settings_json, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    object = json_object_ref (json_node_get_object (node));
  else
    object = json_object_new ();

  /* Other keys (Kobo consent, learned auth, …) are kept as they are. */
  json_object_set_boolean_member (object, "enabled", enabled);
  root = json_node_init_object (json_node_alloc (), object);
  g_free (self->settings_json);
  self->settings_json = json_to_string (root, FALSE);
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

static KiosBookRecord *
book_from_stmt (sqlite3_stmt *stmt)
{
  KiosBookRecord *book = g_new0 (KiosBookRecord, 1);

  book->id = sqlite3_column_int64 (stmt, 0);
  book->hash = column_strdup (stmt, 1);
  book->path = column_strdup (stmt, 2);
  book->size = sqlite3_column_int64 (stmt, 3);
  book->format = column_strdup (stmt, 4);
  book->title = column_strdup (stmt, 5);
  book->authors = column_strdup (stmt, 6);
  book->cover_path = column_strdup (stmt, 7);
  book->added_at = sqlite3_column_int64 (stmt, 8);
  book->last_opened_at = sqlite3_column_int64 (stmt, 9);
  book->progress = sqlite3_column_double (stmt, 10);
  return book;
}

static KiosPosition *
position_from_stmt (sqlite3_stmt *stmt)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = kios_book_format_from_string ((const char *) sqlite3_column_text (stmt, 0));
  pos->chapter = sqlite3_column_int (stmt, 1);
  pos->chapter_href = column_strdup (stmt, 2);
  pos->chapter_title = column_strdup (stmt, 3);
  pos->offset = sqlite3_column_int64 (stmt, 4);
  pos->chapter_progress = sqlite3_column_double (stmt, 5);
  pos->total_progress = sqlite3_column_double (stmt, 6);
  pos->xpointer = column_strdup (stmt, 7);
  pos->updated_at = sqlite3_column_int64 (stmt, 8);
  pos->device = column_strdup (stmt, 9);
  pos->device_id = column_strdup (stmt, 10);
  return pos;
}

static KiosSourceRecord *
source_from_stmt (sqlite3_stmt *stmt)
{
  KiosSourceRecord *source = g_new0 (KiosSourceRecord, 1);

  source->id = sqlite3_column_int64 (stmt, 0);
  source->name = column_strdup (stmt, 1);
  source->kind = column_strdup (stmt, 2);
  source->url = column_strdup (stmt, 3);
  source->auth = column_strdup (stmt, 4);
  source->username = column_strdup (stmt, 5);
  source->settings_json = column_strdup (stmt, 6);
  return source;
}

static char *
position_to_json_string (const KiosPosition *pos)
{
  g_autoptr (JsonNode) node = kios_position_to_json (pos);

  return json_to_string (node, FALSE);
}

static KiosPosition *
position_from_json_string (const char *json,
                           GError    **error)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError)   local_error = NULL;
  KiosPosition        *pos;

  node = json_from_string (json, &local_error);
  if (node != NULL)
    {
      pos = kios_position_from_json (node, &local_error);
      if (pos != NULL)
        return pos;
    }

  g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_CORRUPT,
               "A stored position is not valid: %s",
               local_error != NULL ? local_error->message : "empty");
  return NULL;
}

/* ---- binding helpers --------------------------------------------------- */

static void
bind_text (sqlite3_stmt *stmt,
           int           idx,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, idx);
}

static void
bind_position (sqlite3_stmt       *stmt,
               int                 first,
               const KiosPosition *pos)
{
  sqlite3_bind_text (stmt, first, kios_book_format_to_string (pos->format), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, first + 1, pos->chapter);
  bind_text (stmt, first + 2, pos->chapter_href);
  bind_text (stmt, first + 3, pos->chapter_title);
  sqlite3_bind_int64 (stmt, first + 4, pos->offset);
  sqlite3_bind_double (stmt, first + 5, pos->chapter_progress);
  sqlite3_bind_double (stmt, first + 6, pos->total_progress);
  bind_text (stmt, first + 7, pos->xpointer);
  sqlite3_bind_int64 (stmt, first + 8, pos->updated_at);
  bind_text (stmt, first + 9, pos->device);
  bind_text (stmt, first + 10, pos->device_id);
}

/* ---- ops --------------------------------------------------------------- */

static void
op_clear (Op *op)
{
  g_free (op->hash);
  g_free (op->source);
  g_free (op->text);
  g_free (op->text2);
  kios_position_free (op->position);
  kios_book_record_free (op->book);
  kios_source_record_free (op->source_record);
  g_clear_error (&op->error);
}

static Op *
op_new (OpKind kind)
{
  Op *op = g_atomic_rc_box_new0 (Op);

  op->kind = kind;
  return op;
}

static void
op_unref (Op *op)
{
  g_atomic_rc_box_release_full (op, (GDestroyNotify) op_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_unref)

/* Queues `op` (taking ownership); FALSE if the store is shutting down. */
static gboolean
enqueue (KiosLibraryStore *self,
         Op               *op)
{
  g_mutex_lock (&self->lock);
  if (self->stopping)
    {
      g_mutex_unlock (&self->lock);
      g_warning ("Library store is closed; a write was dropped");
      op_unref (op);
      return FALSE;
    }
  /* Push under the lock so the queue order is the sequence order, and so
   * nothing can be queued behind STOP. */
  op->seq = ++self->queued_seq;
  if (op->kind == OP_STOP)
    self->stopping = TRUE;
  g_async_queue_push (self->queue, op);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Queues a synchronous op and waits for its result. */
static gboolean
run_sync_op (KiosLibraryStore *self,
             Op               *op,
             gint64           *result_id,
             GError          **error)
{
  gint64   deadline = g_get_monotonic_time () + SYNC_OP_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  gboolean done;

  /* The queue gets its own reference: if we time out, the writer may still
   * run the op later. */
  if (!enqueue (self, g_atomic_rc_box_acquire (op)))
    {
      g_set_error_literal (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                           "The library store is closed");
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  while (self->done_seq < op->seq)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  done = self->done_seq >= op->seq;
  g_mutex_unlock (&self->lock);

  if (!done)
    {
      g_set_error_literal (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                           "Timed out waiting for the library writer");
      return FALSE;
    }
  if (op->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&op->error));
      return FALSE;
    }
  if (result_id != NULL)
    *result_id = op->result_id;
  return TRUE;
}

static gboolean
write_save_position (Conn    *conn,
                     Op      *op,
                     GError **error)
{
  sqlite3_stmt *stmt;

  stmt = conn_prepare (conn,
                       "INSERT INTO positions (hash, " POSITION_COLUMNS ")"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                       " ON CONFLICT (hash) DO UPDATE SET"
                       " format = excluded.format, chapter = excluded.chapter,"
                       " chapter_href = excluded.chapter_href,"
                       " chapter_title = excluded.chapter_title,"
                       " char_offset = excluded.char_offset,"
                       " chapter_progress = excluded.chapter_progress,"
                       " total_progress = excluded.total_progress,"
                       " xpointer = excluded.xpointer, updated_at = excluded.updated_at,"
                       " device = excluded.device, device_id = excluded.device_id",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  bind_position (stmt, 2, op->position);
  if (!stmt_run (conn, stmt, error))
    return FALSE;

  stmt = conn_prepare (conn, "UPDATE books SET progress = ?2 WHERE hash = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 2, op->position->total_progress);
  return stmt_run (conn, stmt, error);
}

static gboolean
write_upsert_book (Conn    *conn,
                   Op      *op,
                   GError **error)
{
  const KiosBookRecord *book = op->book;
  sqlite3_stmt         *stmt;

  /* A rescan must not move a book back in the recent list nor reset its
   * progress, which the saved position owns. */
  stmt = conn_prepare (conn,
                       "INSERT INTO books (hash, path, size, format, title, authors, cover_path,"
                       " added_at, last_opened_at, progress)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                       "  COALESCE ((SELECT total_progress FROM positions WHERE hash = ?1), ?10))"
                       " ON CONFLICT (hash) DO UPDATE SET"
                       " path = excluded.path, size = excluded.size, format = excluded.format,"
                       " title = excluded.title, authors = excluded.authors,"
                       " cover_path = excluded.cover_path,"
                       " added_at = CASE WHEN added_at > 0 THEN added_at ELSE excluded.added_at END,"
                       " last_opened_at = MAX (last_opened_at, excluded.last_opened_at)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, book->hash, -1, SQLITE_STATIC);
  bind_text (stmt, 2, book->path);
  sqlite3_bind_int64 (stmt, 3, book->size);
  bind_text (stmt, 4, book->format);
  bind_text (stmt, 5, book->title);
  bind_text (stmt, 6, book->authors);
  bind_text (stmt, 7, book->cover_path);
  sqlite3_bind_int64 (stmt, 8, book->added_at > 0 ? book->added_at : g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 9, book->last_opened_at);
  sqlite3_bind_double (stmt, 10, book->progress);
  return stmt_run (conn, stmt, error);
}

static gboolean
write_touch_book (Conn    *conn,
                  Op      *op,
                  GError **error)
{
  sqlite3_stmt *stmt = conn_prepare (conn,
                                     "UPDATE books SET last_opened_at = ?2 WHERE hash = ?1",
                                     error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, op->number);
  return stmt_run (conn, stmt, error);
}

static gboolean
write_book_meta (Conn    *conn,
                 Op      *op,
                 GError **error)
{
  sqlite3_stmt *stmt;

  if (op->text == NULL)
    stmt = conn_prepare (conn, "DELETE FROM book_meta WHERE hash = ?1 AND key = ?2", error);
  else
    stmt = conn_prepare (conn,
                         "INSERT INTO book_meta (hash, key, value) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT (hash, key) DO UPDATE SET value = excluded.value",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, op->source, -1, SQLITE_STATIC);
  if (op->text != NULL)
    sqlite3_bind_text (stmt, 3, op->text, -1, SQLITE_STATIC);
  return stmt_run (conn, stmt, error);
}

static gboolean
write_sync_state (Conn    *conn,
                  Op      *op,
                  GError **error)
{
  g_autofree char *json = NULL;
  sqlite3_stmt    *stmt = NULL;
  gint64           now = g_get_real_time () / G_USEC_PER_SEC;

  switch (op->kind)
    {
    case OP_SET_PENDING:
      /* pending_since keeps the time the push first became pending. */
      stmt = conn_prepare (conn,
                           "INSERT INTO sync_state (hash, source, pending_json,"
                           " pending_updated_at, pending_since) VALUES (?1, ?2, ?3, ?4, ?5)"
                           " ON CONFLICT (hash, source) DO UPDATE SET"
                           " pending_json = excluded.pending_json,"
                           " pending_updated_at = excluded.pending_updated_at,"
                           " pending_since = COALESCE (pending_since, excluded.pending_since)",
                           error);
      if (stmt == NULL)
        return FALSE;
      json = position_to_json_string (op->position);
      sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, op->position->updated_at);
      sqlite3_bind_int64 (stmt, 5, now);
      break;

    case OP_CLEAR_PENDING:
      /* Only the push that was sent is cleared: a newer pending position
       * queued while it was in flight has another updated_at and stays. */
      stmt = conn_prepare (conn,
                           "UPDATE sync_state SET pending_json = NULL,"
                           " pending_updated_at = NULL, pending_since = NULL"
                           " WHERE hash = ?1 AND source = ?2 AND pending_updated_at = ?3",
                           error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 3, op->number);
      break;

    case OP_SET_LAST_PUSHED:
      stmt = conn_prepare (conn,
                           "INSERT INTO sync_state (hash, source, last_pushed_json, last_pushed_at)"
                           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash, source) DO UPDATE SET"
                           " last_pushed_json = excluded.last_pushed_json,"
                           " last_pushed_at = excluded.last_pushed_at",
                           error);
      if (stmt == NULL)
        return FALSE;
      json = position_to_json_string (op->position);
      sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, now);
      break;

    case OP_SET_LAST_REMOTE:
      stmt = conn_prepare (conn,
                           "INSERT INTO sync_state (hash, source, last_remote_json, last_remote_at)"
                           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash, source) DO UPDATE SET"
                           " last_remote_json = excluded.last_remote_json,"
                           " last_remote_at = excluded.last_remote_at",
                           error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 3, op->text);
      sqlite3_bind_int64 (stmt, 4, now);
      break;

    default:
      g_assert_not_reached ();
    }

  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, op->source, -1, SQLITE_STATIC);
  return stmt_run (conn, stmt, error);
}

static gboolean
write_log_sync (Conn    *conn,
                Op      *op,
                GError **error)
{
  sqlite3_stmt *stmt;

  stmt = conn_prepare (conn,
                       "INSERT INTO sync_log (at, hash, source, event, detail)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  bind_text (stmt, 2, op->hash);
  bind_text (stmt, 3, op->source);
  bind_text (stmt, 4, op->text);
  bind_text (stmt, 5, op->text2);
  if (!stmt_run (conn, stmt, error))
    return FALSE;

  /* Ids only grow, so everything 1000 or more below the newest is old. */
  stmt = conn_prepare (conn, "DELETE FROM sync_log WHERE id <= ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sqlite3_last_insert_rowid (conn->db) - SYNC_LOG_MAX_ROWS);
  return stmt_run (conn, stmt, error);
}

/* Inside the write transaction, so no other writer can take the name meanwhile. */
static gboolean
check_name_free (Conn       *conn,
                 const char *name,
                 GError    **error)
{
  sqlite3_stmt *stmt = conn_prepare (conn, "SELECT 1 FROM sources WHERE name = ?1", error);
  int           rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    set_sqlite_error (error, conn->db, rc, "Cannot read the sources");
  stmt_done (stmt);

  if (rc == SQLITE_ROW)
    g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                 "A source named “%s” already exists", name);
  return rc == SQLITE_DONE;
}

static gboolean
write_source (Conn    *conn,
              Op      *op,
              GError **error)
{
  const KiosSourceRecord *src = op->source_record;
  g_autofree char        *old_name = NULL;
  sqlite3_stmt           *stmt;
  int                     rc;

  if (op->kind == OP_REMOVE_SOURCE)
    {
      stmt = conn_prepare (conn, "DELETE FROM sources WHERE name = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, op->source, -1, SQLITE_STATIC);
      if (!stmt_run (conn, stmt, error))
        return FALSE;
      if (sqlite3_changes (conn->db) == 0)
        {
          g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                       "There is no source named “%s”", op->source);
          return FALSE;
        }
      stmt = conn_prepare (conn, "DELETE FROM sync_state WHERE source = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, op->source, -1, SQLITE_STATIC);
      return stmt_run (conn, stmt, error);
    }

  if (op->kind == OP_UPDATE_SOURCE)
    {
      /* By id when the caller has one (which allows a rename), else by name. */
      stmt = conn_prepare (conn,
                           "SELECT name FROM sources WHERE (?1 > 0 AND id = ?1) OR (?1 <= 0 AND name = ?2)",
                           error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, src->id);
      sqlite3_bind_text (stmt, 2, src->name, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        old_name = column_strdup (stmt, 0);
      else if (rc != SQLITE_DONE)
        set_sqlite_error (error, conn->db, rc, "Cannot read the source");
      stmt_done (stmt);
      if (rc != SQLITE_ROW)
        {
          if (rc == SQLITE_DONE)
            g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                         "There is no source named “%s”", src->name);
          return FALSE;
        }

      if (g_strcmp0 (old_name, src->name) != 0 && !check_name_free (conn, src->name, error))
        return FALSE;

      stmt = conn_prepare (conn,
                           "UPDATE sources SET name = ?2, kind = ?3, url = ?4, auth = ?5,"
                           " username = ?6, settings_json = ?7 WHERE name = ?1",
                           error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, old_name, -1, SQLITE_STATIC);
    }
  else
    {
      if (!check_name_free (conn, src->name, error))
        return FALSE;

      stmt = conn_prepare (conn,
                           "INSERT INTO sources (name, kind, url, auth, username, settings_json)"
                           " VALUES (?2, ?3, ?4, ?5, ?6, ?7)",
                           error);
      if (stmt == NULL)
        return FALSE;
    }

  sqlite3_bind_text (stmt, 2, src->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, src->kind, -1, SQLITE_STATIC);
  bind_text (stmt, 4, src->url);
  bind_text (stmt, 5, src->auth);
  bind_text (stmt, 6, src->username);
  bind_text (stmt, 7, src->settings_json);
  if (!stmt_run (conn, stmt, error))
    return FALSE;

  if (op->kind == OP_ADD_SOURCE)
    {
      op->result_id = sqlite3_last_insert_rowid (conn->db);
      return TRUE;
    }

  if (g_strcmp0 (old_name, src->name) != 0)
    {
      stmt = conn_prepare (conn, "UPDATE sync_state SET source = ?2 WHERE source = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, old_name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, src->name, -1, SQLITE_STATIC);
      return stmt_run (conn, stmt, error);
    }
  return TRUE;
}

static gboolean
write_op (Conn    *conn,
          Op      *op,
          GError **error)
{
  switch (op->kind)
    {
    case OP_UPSERT_BOOK:
      return write_upsert_book (conn, op, error);
    case OP_TOUCH_BOOK:
      return write_touch_book (conn, op, error);
    case OP_SAVE_POSITION:
      return write_save_position (conn, op, error);
    case OP_SET_BOOK_META:
      return write_book_meta (conn, op, error);
    case OP_SET_PENDING:
    case OP_CLEAR_PENDING:
    case OP_SET_LAST_PUSHED:
    case OP_SET_LAST_REMOTE:
      return write_sync_state (conn, op, error);
    case OP_LOG_SYNC:
      return write_log_sync (conn, op, error);
    case OP_ADD_SOURCE:
    case OP_UPDATE_SOURCE:
    case OP_REMOVE_SOURCE:
      return write_source (conn, op, error);
    case OP_STOP:
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

static const char *
op_name (OpKind kind)
{
  static const char *const names[] = {
    "stop",
    "upsert book",
    "touch book",
    "save position",
    "set book meta",
    "set pending push",
    "clear pending push",
    "set last pushed",
    "set last remote",
    "log sync",
    "add source",
    "update source",
    "remove source",
  };

  return (guint) kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

/*
 * Runs one op as its own transaction. A failure of a queued write is logged
 * here, where it is dropped; when the disk is full or the file damaged every
 * page turn would fail alike, so only the first of a run of failures (and
 * every 1000th) is a warning. `failures` counts the current run.
 */
static void
run_op (Conn  *conn,
        Op    *op,
        guint *failures)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt      *stmt;
  gboolean           is_sync;

  is_sync = op->kind == OP_ADD_SOURCE || op->kind == OP_UPDATE_SOURCE ||
            op->kind == OP_REMOVE_SOURCE;

  stmt = conn_prepare (conn, sql_begin, &error);
  if (stmt != NULL && stmt_run (conn, stmt, &error))
    {
      if (write_op (conn, op, &error))
        {
          stmt = conn_prepare (conn, sql_commit, &error);
          if (stmt != NULL)
            stmt_run (conn, stmt, &error);
        }
      if (error != NULL && !sqlite3_get_autocommit (conn->db))
        {
          stmt = conn_prepare (conn, sql_rollback, NULL);
          if (stmt != NULL)
            stmt_run (conn, stmt, NULL);
        }
    }

  if (error == NULL)
    {
      *failures = 0;
      return;
    }

  if (is_sync)
    {
      op->error = g_steal_pointer (&error);
      return;
    }

  if ((*failures)++ % 1000 == 0)
    g_warning ("Library write (%s) failed: %s", op_name (op->kind), error->message);
  else
    g_debug ("Library write (%s) failed again: %s", op_name (op->kind), error->message);
}

/*
 * Several page turns queued for one book only need the newest written. The
 * first op of the batch for that book takes the newest position and the
 * later ones are skipped: a reader waiting for the first one then sees a
 * position at least as new as it asked for, never an older one.
 */
static void
coalesce_positions (GPtrArray *batch)
{
  g_autoptr (GHashTable) first = NULL;

  if (batch->len < 2)
    return;

  first = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < batch->len; i++)
    {
      Op *op = g_ptr_array_index (batch, i);
      Op *earlier;

      if (op->kind != OP_SAVE_POSITION)
        continue;

      earlier = g_hash_table_lookup (first, op->hash);
      if (earlier == NULL)
        {
          g_hash_table_insert (first, op->hash, op);
          continue;
        }

      kios_position_free (earlier->position);
      earlier->position = g_steal_pointer (&op->position);
      op->skip = TRUE;
    }
}

static gpointer
writer_worker (gpointer data)
{
  KiosLibraryStore     *self = data;
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) op_unref);
  gboolean              stop = FALSE;
  guint                 failures = 0;

  while (!stop)
    {
      Op *op = g_async_queue_pop (self->queue);

      g_ptr_array_add (batch, op);
      while (batch->len < MAX_BATCH && (op = g_async_queue_try_pop (self->queue)) != NULL)
        g_ptr_array_add (batch, op);

      coalesce_positions (batch);

      for (guint i = 0; i < batch->len; i++)
        {
          op = g_ptr_array_index (batch, i);
          if (op->kind == OP_STOP)
            stop = TRUE;
          else if (!op->skip)
            run_op (self->write_conn, op, &failures);

          g_mutex_lock (&self->lock);
          self->done_seq = op->seq;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->lock);
        }

      g_ptr_array_set_size (batch, 0);
    }

  return NULL;
}

/* ---- GObject ----------------------------------------------------------- */

static void
stop_writer (KiosLibraryStore *self)
{
  if (self->writer == NULL)
    return;

  /* STOP is the last op: everything queued before it is written first. */
  enqueue (self, op_new (OP_STOP));
  g_thread_join (g_steal_pointer (&self->writer));
}

static void
kios_library_store_dispose (GObject *object)
{
  KiosLibraryStore *self = KIOS_LIBRARY_STORE (object);

  stop_writer (self);

  G_OBJECT_CLASS (kios_library_store_parent_class)->dispose (object);
}

static void
kios_library_store_finalize (GObject *object)
{
  KiosLibraryStore *self = KIOS_LIBRARY_STORE (object);

  /* Readers first: closing the last connection checkpoints the WAL. */
  g_clear_pointer (&self->idle_readers, g_ptr_array_unref);
  g_clear_pointer (&self->write_conn, conn_free);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->db_path, g_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (kios_library_store_parent_class)->finalize (object);
}

static void
kios_library_store_class_init (KiosLibraryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_library_store_dispose;
  object_class->finalize = kios_library_store_finalize;
}

static void
kios_library_store_init (KiosLibraryStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->queue = g_async_queue_new ();
  self->idle_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
}

/* ---- public: lifetime --------------------------------------------------- */

KiosLibraryStore *
kios_library_store_new (const char *db_path,
                        GError    **error)
{
  g_autoptr (KiosLibraryStore) self = NULL;
  g_autofree char             *dir = NULL;

  g_return_val_if_fail (db_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!sqlite3_threadsafe ())
    {
      g_set_error_literal (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_OPEN,
                           "SQLite was built without thread support");
      return NULL;
    }

  dir = g_path_get_dirname (db_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_OPEN,
                   "Cannot create the library directory %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  self = g_object_new (KIOS_TYPE_LIBRARY_STORE, NULL);
  self->db_path = g_strdup (db_path);

  /* Opened and migrated here so a bad file fails the constructor, not a
   * later write on another thread. */
  self->write_conn = conn_open (db_path, FALSE, error);
  if (self->write_conn == NULL)
    return NULL;
  if (!migrate (self->write_conn, db_path, error))
    return NULL;

  self->writer = g_thread_try_new ("kios-store-writer", writer_worker, self, error);
  if (self->writer == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

const char *
kios_library_store_get_path (KiosLibraryStore *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return self->db_path;
}

/* ---- public: writes ------------------------------------------------------ */

void
kios_library_store_upsert_book (KiosLibraryStore     *self,
                                const KiosBookRecord *book)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (book != NULL && book->hash != NULL);

  op = op_new (OP_UPSERT_BOOK);
  op->book = kios_book_record_copy (book);
  op->hash = g_strdup (book->hash);
  enqueue (self, op);
}

void
kios_library_store_touch_book (KiosLibraryStore *self,
                               const char       *hash,
                               gint64            last_opened_at)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);

  op = op_new (OP_TOUCH_BOOK);
  op->hash = g_strdup (hash);
  op->number = last_opened_at;
  enqueue (self, op);
}

void
kios_library_store_save_position (KiosLibraryStore   *self,
                                  const char         *hash,
                                  const KiosPosition *position)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);
  g_return_if_fail (position != NULL);

  op = op_new (OP_SAVE_POSITION);
  op->hash = g_strdup (hash);
  op->position = kios_position_copy (position);
  enqueue (self, op);
}

void
kios_library_store_set_book_meta (KiosLibraryStore *self,
                                  const char       *hash,
                                  const char       *key,
                                  const char       *value)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);
  g_return_if_fail (key != NULL);

  op = op_new (OP_SET_BOOK_META);
  op->hash = g_strdup (hash);
  op->source = g_strdup (key);
  op->text = g_strdup (value);
  enqueue (self, op);
}

gboolean
kios_library_store_flush (KiosLibraryStore *self,
                          guint             timeout_ms)
{
  gint64   deadline;
  guint64  target;
  gboolean done;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);

  deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&self->lock);
  target = self->queued_seq;
  while (self->done_seq < target)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  done = self->done_seq >= target;
  g_mutex_unlock (&self->lock);

  return done;
}

/* ---- public: reads ------------------------------------------------------- */

/*
 * Runs a cached read statement with up to two text parameters and collects
 * its rows with `collect`. Every getter goes through here so each waits for
 * earlier writes and returns its connection to the pool.
 */
typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

static GPtrArray *
read_rows (KiosLibraryStore *self,
           const char       *sql,
           const char       *arg1,
           const char       *arg2,
           gint64            int_arg,
           RowFunc           collect,
           GDestroyNotify    free_func,
           GError          **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  sqlite3_stmt         *stmt;
  Conn                 *conn;
  int                   rc;

  wait_for_writes (self);

  conn = reader_acquire (self, error);
  if (conn == NULL)
    return NULL;

  stmt = conn_prepare (conn, sql, error);
  if (stmt == NULL)
    {
      reader_release (self, conn);
      return NULL;
    }

  if (arg1 != NULL)
    sqlite3_bind_text (stmt, 1, arg1, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64 (stmt, 1, int_arg);
  if (arg2 != NULL)
    sqlite3_bind_text (stmt, 2, arg2, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, collect (stmt));

  if (rc != SQLITE_DONE)
    set_sqlite_error (error, conn->db, rc, "Cannot read the library");
  stmt_done (stmt);
  reader_release (self, conn);

  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

static gpointer
text_from_stmt (sqlite3_stmt *stmt)
{
  /* A NULL column becomes "" here so it still counts as a row; callers
   * that care map it back. */
  const char *text = (const char *) sqlite3_column_text (stmt, 0);

  return g_strdup (text != NULL ? text : "");
}

/* The single row of a lookup, or NULL with KIOS_STORE_ERROR_NOT_FOUND. */
static gpointer
read_one (KiosLibraryStore *self,
          const char       *sql,
          const char       *arg1,
          const char       *arg2,
          RowFunc           collect,
          GDestroyNotify    free_func,
          const char       *what,
          GError          **error)
{
  g_autoptr (GPtrArray) rows = read_rows (self, sql, arg1, arg2, 0, collect, free_func, error);

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND, "No %s for “%s”",
                   what, arg1);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

KiosBookRecord *
kios_library_store_get_book (KiosLibraryStore *self,
                             const char       *hash,
                             GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  return read_one (self, sql_get_book, hash, NULL, (RowFunc) book_from_stmt,
                   (GDestroyNotify) kios_book_record_free, "book", error);
}

KiosBookRecord *
kios_library_store_get_book_by_path (KiosLibraryStore *self,
                                     const char       *path,
                                     GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return read_one (self, sql_get_book_by_path, path, NULL, (RowFunc) book_from_stmt,
                   (GDestroyNotify) kios_book_record_free, "book", error);
}

KiosPosition *
kios_library_store_get_position (KiosLibraryStore *self,
                                 const char       *hash,
                                 GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  return read_one (self, sql_get_position, hash, NULL, (RowFunc) position_from_stmt,
                   (GDestroyNotify) kios_position_free, "position", error);
}

char *
kios_library_store_get_book_meta (KiosLibraryStore *self,
                                  const char       *hash,
                                  const char       *key)
{
  g_autoptr (GError) error = NULL;
  char              *value;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  value = read_one (self, sql_get_meta, hash, key, text_from_stmt, g_free, "book meta", &error);
  if (error != NULL && !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    g_warning ("Cannot read book meta %s: %s", key, error->message);
  return value;
}

GPtrArray *
kios_library_store_list_recent (KiosLibraryStore *self,
                                guint             limit,
                                GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  /* 0 means no limit (SQLite treats a negative LIMIT so). */
  return read_rows (self, sql_list_recent, NULL, NULL, limit > 0 ? (gint64) limit : -1,
                    (RowFunc) book_from_stmt, (GDestroyNotify) kios_book_record_free, error);
}

static void
list_recent_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  KiosLibraryStore *self = source_object;
  guint             limit = GPOINTER_TO_UINT (task_data);
  GError           *error = NULL;
  GPtrArray        *rows;

  if (g_task_return_error_if_cancelled (task))
    return;

  rows = kios_library_store_list_recent (self, limit, &error);
  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
kios_library_store_list_recent_async (KiosLibraryStore   *self,
                                      guint               limit,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_library_store_list_recent_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (limit), NULL);
  g_task_run_in_thread (task, list_recent_worker);
}

GPtrArray *
kios_library_store_list_recent_finish (KiosLibraryStore *self,
                                       GAsyncResult     *result,
                                       GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            kios_library_store_list_recent_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- public: sources ----------------------------------------------------- */

gboolean
kios_library_store_add_source (KiosLibraryStore *self,
                               KiosSourceRecord *source,
                               GError          **error)
{
  g_autoptr (Op) op = NULL;
  gint64         id = 0;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (source != NULL && source->name != NULL && source->kind != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op = op_new (OP_ADD_SOURCE);
  op->source_record = kios_source_record_copy (source);
  if (!run_sync_op (self, op, &id, error))
    return FALSE;

  source->id = id;
  return TRUE;
}

gboolean
kios_library_store_update_source (KiosLibraryStore       *self,
                                  const KiosSourceRecord *source,
                                  GError                **error)
{
  g_autoptr (Op) op = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (source != NULL && source->name != NULL && source->kind != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op = op_new (OP_UPDATE_SOURCE);
  op->source_record = kios_source_record_copy (source);
  return run_sync_op (self, op, NULL, error);
}

gboolean
kios_library_store_remove_source (KiosLibraryStore *self,
                                  const char       *name,
                                  GError          **error)
{
  g_autoptr (Op) op = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op = op_new (OP_REMOVE_SOURCE);
  op->source = g_strdup (name);
  return run_sync_op (self, op, NULL, error);
}

KiosSourceRecord *
kios_library_store_get_source (KiosLibraryStore *self,
                               const char       *name,
                               GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return read_one (self, sql_get_source, name, NULL, (RowFunc) source_from_stmt,
                   (GDestroyNotify) kios_source_record_free, "source", error);
}

GPtrArray *
kios_library_store_list_sources (KiosLibraryStore *self,
                                 GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return read_rows (self, sql_list_sources, NULL, NULL, 0, (RowFunc) source_from_stmt,
                    (GDestroyNotify) kios_source_record_free, error);
}

/* ---- public: sync state -------------------------------------------------- */

static void
enqueue_sync_state (KiosLibraryStore   *self,
                    OpKind              kind,
                    const char         *hash,
                    const char         *source,
                    const KiosPosition *position,
                    const char         *text,
                    gint64              number)
{
  Op *op = op_new (kind);

  op->hash = g_strdup (hash);
  op->source = g_strdup (source);
  op->position = kios_position_copy (position);
  op->text = g_strdup (text);
  op->number = number;
  enqueue (self, op);
}

void
kios_library_store_set_pending_push (KiosLibraryStore   *self,
                                     const char         *hash,
                                     const char         *source,
                                     const KiosPosition *position)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL && source != NULL && position != NULL);

  enqueue_sync_state (self, OP_SET_PENDING, hash, source, position, NULL, 0);
}

void
kios_library_store_clear_pending_push (KiosLibraryStore *self,
                                       const char       *hash,
                                       const char       *source,
                                       gint64            pushed_updated_at)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL && source != NULL);

  enqueue_sync_state (self, OP_CLEAR_PENDING, hash, source, NULL, NULL, pushed_updated_at);
}

/* A sync_state JSON column as a position; NOT_FOUND when the row or the
 * column is empty. */
static KiosPosition *
read_state_position (KiosLibraryStore *self,
                     const char       *sql,
                     const char       *hash,
                     const char       *source,
                     const char       *what,
                     GError          **error)
{
  g_autofree char *json = read_one (self, sql, hash, source, text_from_stmt, g_free, what, error);

  if (json == NULL)
    return NULL;
  if (*json == '\0')
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND, "No %s for “%s”",
                   what, hash);
      return NULL;
    }
  return position_from_json_string (json, error);
}

KiosPosition *
kios_library_store_get_pending_push (KiosLibraryStore *self,
                                     const char       *hash,
                                     const char       *source,
                                     GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL && source != NULL, NULL);

  return read_state_position (self, sql_get_pending, hash, source, "pending push", error);
}

void
kios_library_store_set_last_pushed (KiosLibraryStore   *self,
                                    const char         *hash,
                                    const char         *source,
                                    const KiosPosition *position)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL && source != NULL && position != NULL);

  enqueue_sync_state (self, OP_SET_LAST_PUSHED, hash, source, position, NULL, 0);
}

KiosPosition *
kios_library_store_get_last_pushed (KiosLibraryStore *self,
                                    const char       *hash,
                                    const char       *source,
                                    GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL && source != NULL, NULL);

  return read_state_position (self, sql_get_last_pushed, hash, source, "last pushed position",
                              error);
}

void
kios_library_store_set_last_remote (KiosLibraryStore *self,
                                    const char       *hash,
                                    const char       *source,
                                    const char       *remote_json)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL && source != NULL);

  enqueue_sync_state (self, OP_SET_LAST_REMOTE, hash, source, NULL, remote_json, 0);
}

char *
kios_library_store_get_last_remote (KiosLibraryStore *self,
                                    const char       *hash,
                                    const char       *source,
                                    GError          **error)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL && source != NULL, NULL);

  json = read_one (self, sql_get_last_remote, hash, source, text_from_stmt, g_free,
                   "last remote position", error);
  if (json != NULL && *json == '\0')
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                   "No last remote position for “%s”", hash);
      return NULL;
    }
  return g_steal_pointer (&json);
}

void
kios_library_store_log_sync (KiosLibraryStore *self,
                             const char       *hash,
                             const char       *source,
                             const char       *event,
                             const char       *detail)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (event != NULL);

  op = op_new (OP_LOG_SYNC);
  op->hash = g_strdup (hash);
  op->source = g_strdup (source);
  op->text = g_strdup (event);
  /* Bounded, and cut at a character boundary so the text stays UTF-8. */
  if (detail != NULL)
    {
      g_autofree char *valid = g_utf8_make_valid (detail, -1);
      const char      *end = valid + strlen (valid);

      if (end - valid > SYNC_LOG_MAX_DETAIL)
        {
          end = valid + SYNC_LOG_MAX_DETAIL;
          while (end > valid && (*end & 0xc0) == 0x80)
            end--;
        }
      op->text2 = g_strndup (valid, end - valid);
    }
  enqueue (self, op);
}
