/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-store"

#include "config.h"

#include "kios-library-store-private.h"

#include "kios-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Schema v2: stored sync status (per source: hash = ''; per book) and a sync
 * log that says what each exchange was. Rows of the v1 log get a direction
 * and a result from their event word; rows that were neither push nor pull
 * (account diagnostics) keep direction NULL. */
static const char schema_v2[] =
    "CREATE TABLE IF NOT EXISTS sync_status ("
    "  source TEXT NOT NULL,"
    "  hash TEXT NOT NULL DEFAULT '',"
    "  protocol TEXT,"
    "  state TEXT NOT NULL,"
    "  time INTEGER NOT NULL DEFAULT 0,"
    "  synced_at INTEGER NOT NULL DEFAULT 0,"
    "  server TEXT,"
    "  detail TEXT,"
    "  error_domain TEXT,"
    "  error_code INTEGER NOT NULL DEFAULT 0,"
    "  pending_since INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (source, hash));"
    "ALTER TABLE sync_log ADD COLUMN protocol TEXT;"
    "ALTER TABLE sync_log ADD COLUMN direction TEXT;"
    "ALTER TABLE sync_log ADD COLUMN result TEXT;"
    "ALTER TABLE sync_log ADD COLUMN precision TEXT;"
    "ALTER TABLE sync_log ADD COLUMN remote TEXT;"
    "UPDATE sync_log SET"
    "  direction = " KIOS_STORE_SQL_LOG_DIRECTION ","
    "  result = " KIOS_STORE_SQL_LOG_RESULT ";"
    "CREATE INDEX IF NOT EXISTS sync_log_hash ON sync_log (hash, id);";

/* Schema v3: the library as a collection. Books get their series, a
 * finished mark, whether the file was missing when last checked, whether
 * Kios downloaded it (only those may be deleted), and folded keys for search
 * and sort (kios_fold: case and accents removed), kept by every upsert.
 * The books folders, and the books removed while their file stays in a
 * folder (rescans must not bring them back). Existing rows get their keys,
 * and "downloaded" when their file is in Kios's books folder, in C right
 * after this step (kios_store_migrate_v3_keys). */
static const char schema_v3[] =
    "ALTER TABLE books ADD COLUMN series TEXT;"
    "ALTER TABLE books ADD COLUMN finished_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE books ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE books ADD COLUMN downloaded INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE books ADD COLUMN search_key TEXT;"
    "ALTER TABLE books ADD COLUMN title_key TEXT;"
    "ALTER TABLE books ADD COLUMN author_key TEXT;"
    "CREATE TABLE IF NOT EXISTS library_folders ("
    "  path TEXT PRIMARY KEY,"
    "  added_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS library_excluded ("
    "  hash TEXT PRIMARY KEY,"
    "  path TEXT,"
    "  excluded_at INTEGER NOT NULL DEFAULT 0);";

/* Schema v4: bookmarks and highlights (kios-library-store-annotations.c).
 * Keyed by hash with no foreign key, like positions. Both ends are kept as
 * position JSON with their xpointers; their chapter and offset are columns
 * too, for the reading-order index. Existing data is untouched. */
static const char schema_v4[] =
    "CREATE TABLE IF NOT EXISTS annotations ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  start_json TEXT NOT NULL,"
    "  end_json TEXT,"
    "  start_chapter INTEGER NOT NULL,"
    "  start_offset INTEGER NOT NULL,"
    "  end_chapter INTEGER NOT NULL,"
    "  end_offset INTEGER NOT NULL,"
    "  text TEXT,"
    "  note TEXT,"
    "  color TEXT,"
    "  chapter_title TEXT,"
    "  created_at INTEGER NOT NULL DEFAULT 0,"
    "  updated_at INTEGER NOT NULL DEFAULT 0,"
    "  origin TEXT NOT NULL DEFAULT 'kios');"
    "CREATE INDEX IF NOT EXISTS annotations_order"
    "  ON annotations (hash, start_chapter, start_offset, end_chapter, end_offset, id);";

const char kios_store_sql_begin[] = "BEGIN IMMEDIATE";
const char kios_store_sql_commit[] = "COMMIT";
const char kios_store_sql_rollback[] = "ROLLBACK";

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

void
kios_store_set_sqlite_error (GError    **error,
                             sqlite3    *db,
                             int         rc,
                             const char *what)
{
  const char *msg = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  g_set_error (error, KIOS_STORE_ERROR, error_code_for (rc), "%s: %s", what, msg);
}

/* ---- connections ------------------------------------------------------- */

void
kios_store_conn_free (Conn *conn)
{
  if (conn == NULL)
    return;

  g_clear_pointer (&conn->stmts, g_hash_table_unref);
  /* The table finalized every cached statement, so the close is immediate. */
  sqlite3_close_v2 (conn->db);
  g_free (conn);
}

sqlite3_stmt *
kios_store_conn_prepare (Conn       *conn,
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
      kios_store_set_sqlite_error (error, conn->db, rc, "Cannot prepare a statement");
      sqlite3_finalize (stmt);
      return NULL;
    }

  g_hash_table_insert (conn->stmts, (gpointer) sql, stmt);
  return stmt;
}

/* Resets a cached statement so it holds no read transaction open. */
void
kios_store_stmt_done (sqlite3_stmt *stmt)
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
gboolean
kios_store_stmt_run (Conn         *conn,
                     sqlite3_stmt *stmt,
                     GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      kios_store_set_sqlite_error (error, conn->db, rc, "Write failed");
      kios_store_stmt_done (stmt);
      return FALSE;
    }
  kios_store_stmt_done (stmt);
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
      kios_store_set_sqlite_error (error, conn->db, rc, "Cannot switch to WAL mode");
      return FALSE;
    }
  return TRUE;
}

/* The library holds what a person reads and where, and which servers they
 * use: only they may read it. SQLite creates the file with the process's
 * umask and gives the -wal and -shm files the database file's mode, so the
 * file is created (or, from an older Kios, narrowed) to 0600 before SQLite
 * opens it. */
static void
make_private (const char *path)
{
  int fd;

  if (g_strcmp0 (path, ":memory:") == 0)
    return;
  fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return; /* sqlite3_open_v2 reports the real problem */
  if (fchmod (fd, 0600) != 0)
    g_debug ("cannot make the library private: %s", g_strerror (errno));
  close (fd);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *side = g_strconcat (path, i == 0 ? "-wal" : "-shm", NULL);

      if (g_chmod (side, 0600) != 0 && errno != ENOENT)
        g_debug ("cannot make %s private: %s", side, g_strerror (errno));
    }
}

Conn *
kios_store_conn_open (const char *path,
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
  if (!read_only)
    make_private (path);
  rc = sqlite3_open_v2 (path, &conn->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      int code = error_code_for (rc) == KIOS_STORE_ERROR_CORRUPT ? KIOS_STORE_ERROR_CORRUPT
                                                                 : KIOS_STORE_ERROR_OPEN;

      g_set_error (error, KIOS_STORE_ERROR, code,
                   "Cannot open the library %s: %s", path,
                   conn->db != NULL ? sqlite3_errmsg (conn->db) : sqlite3_errstr (rc));
      kios_store_conn_free (conn);
      return NULL;
    }

  sqlite3_extended_result_codes (conn->db, 1);
  sqlite3_busy_timeout (conn->db, BUSY_TIMEOUT_MS);
  kios_store_register_functions (conn->db);

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
      kios_store_conn_free (conn);
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
    kios_store_set_sqlite_error (error, conn->db, rc, "Cannot read the schema version");
  sqlite3_finalize (stmt);
  return version;
}

/*
 * Brings the schema to SCHEMA_VERSION, one step per version, each step in the
 * same transaction as its user_version bump so a crash mid-migration leaves
 * the previous version intact. A newer schema than ours is refused rather
 * than risked.
 */
gboolean
kios_store_migrate (Conn       *conn,
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
      if (!conn_exec (conn, kios_store_sql_begin, error))
        return FALSE;
      version = get_user_version (conn, error);
      if (version < 0 || version >= SCHEMA_VERSION)
        {
          conn_exec (conn, kios_store_sql_rollback, NULL);
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
        case 1:
          step = schema_v2;
          break;
        case 2:
          step = schema_v3;
          break;
        case 3:
          step = schema_v4;
          break;
        default:
          g_assert_not_reached ();
        }

      bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!conn_exec (conn, step, error) ||
          (version == 2 && !kios_store_migrate_v3_keys (conn, error)) ||
          !conn_exec (conn, bump, error) ||
          !conn_exec (conn, kios_store_sql_commit, error))
        {
          conn_exec (conn, kios_store_sql_rollback, NULL);
          g_prefix_error (error, "Cannot upgrade the library %s to schema %d: ", path,
                          version + 1);
          return FALSE;
        }
      g_debug ("Library schema upgraded to version %d", version + 1);
    }
}

Conn *
kios_store_reader_acquire (KiosLibraryStore *self,
                           GError          **error)
{
  Conn *conn = NULL;

  g_mutex_lock (&self->lock);
  if (self->idle_readers->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  g_mutex_unlock (&self->lock);

  if (conn == NULL)
    conn = kios_store_conn_open (self->db_path, TRUE, error);
  return conn;
}

void
kios_store_reader_release (KiosLibraryStore *self,
                           Conn             *conn)
{
  g_mutex_lock (&self->lock);
  if (self->idle_readers->len < MAX_IDLE_READERS)
    {
      g_ptr_array_add (self->idle_readers, conn);
      conn = NULL;
    }
  g_mutex_unlock (&self->lock);

  kios_store_conn_free (conn);
}

/* Waits until every write queued before this call is committed. */
void
kios_store_wait_for_writes (KiosLibraryStore *self)
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

char *
kios_store_column_strdup (sqlite3_stmt *stmt,
                          int           col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

KiosBookRecord *
kios_store_book_from_stmt (sqlite3_stmt *stmt)
{
  KiosBookRecord *book = g_new0 (KiosBookRecord, 1);

  book->id = sqlite3_column_int64 (stmt, 0);
  book->hash = kios_store_column_strdup (stmt, 1);
  book->path = kios_store_column_strdup (stmt, 2);
  book->size = sqlite3_column_int64 (stmt, 3);
  book->format = kios_store_column_strdup (stmt, 4);
  book->title = kios_store_column_strdup (stmt, 5);
  book->authors = kios_store_column_strdup (stmt, 6);
  book->cover_path = kios_store_column_strdup (stmt, 7);
  book->added_at = sqlite3_column_int64 (stmt, 8);
  book->last_opened_at = sqlite3_column_int64 (stmt, 9);
  book->progress = sqlite3_column_double (stmt, 10);
  book->series = kios_store_column_strdup (stmt, 11);
  book->finished_at = sqlite3_column_int64 (stmt, 12);
  book->missing = sqlite3_column_int (stmt, 13) != 0;
  book->downloaded = sqlite3_column_int (stmt, 14) != 0;
  return book;
}

KiosPosition *
kios_store_position_from_stmt (sqlite3_stmt *stmt)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = kios_book_format_from_string ((const char *) sqlite3_column_text (stmt, 0));
  pos->chapter = sqlite3_column_int (stmt, 1);
  pos->chapter_href = kios_store_column_strdup (stmt, 2);
  pos->chapter_title = kios_store_column_strdup (stmt, 3);
  pos->offset = sqlite3_column_int64 (stmt, 4);
  pos->chapter_progress = sqlite3_column_double (stmt, 5);
  pos->total_progress = sqlite3_column_double (stmt, 6);
  pos->xpointer = kios_store_column_strdup (stmt, 7);
  pos->updated_at = sqlite3_column_int64 (stmt, 8);
  pos->device = kios_store_column_strdup (stmt, 9);
  pos->device_id = kios_store_column_strdup (stmt, 10);
  return pos;
}

KiosSourceRecord *
kios_store_source_from_stmt (sqlite3_stmt *stmt)
{
  KiosSourceRecord *source = g_new0 (KiosSourceRecord, 1);

  source->id = sqlite3_column_int64 (stmt, 0);
  source->name = kios_store_column_strdup (stmt, 1);
  source->kind = kios_store_column_strdup (stmt, 2);
  source->url = kios_store_column_strdup (stmt, 3);
  source->auth = kios_store_column_strdup (stmt, 4);
  source->username = kios_store_column_strdup (stmt, 5);
  source->settings_json = kios_store_column_strdup (stmt, 6);
  return source;
}

char *
kios_store_position_to_json_string (const KiosPosition *pos)
{
  g_autoptr (JsonNode) node = kios_position_to_json (pos);

  return json_to_string (node, FALSE);
}

KiosPosition *
kios_store_position_from_json_string (const char *json,
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

void
kios_store_bind_text (sqlite3_stmt *stmt,
                      int           idx,
                      const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, idx);
}

void
kios_store_bind_position (sqlite3_stmt       *stmt,
                          int                 first,
                          const KiosPosition *pos)
{
  sqlite3_bind_text (stmt, first, kios_book_format_to_string (pos->format), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, first + 1, pos->chapter);
  kios_store_bind_text (stmt, first + 2, pos->chapter_href);
  kios_store_bind_text (stmt, first + 3, pos->chapter_title);
  sqlite3_bind_int64 (stmt, first + 4, pos->offset);
  sqlite3_bind_double (stmt, first + 5, pos->chapter_progress);
  sqlite3_bind_double (stmt, first + 6, pos->total_progress);
  kios_store_bind_text (stmt, first + 7, pos->xpointer);
  sqlite3_bind_int64 (stmt, first + 8, pos->updated_at);
  kios_store_bind_text (stmt, first + 9, pos->device);
  kios_store_bind_text (stmt, first + 10, pos->device_id);
}
