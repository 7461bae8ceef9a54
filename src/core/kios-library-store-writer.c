/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-store"

#include "config.h"

#include "kios-library-store-private.h"

#include "kios-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

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
  kios_sync_status_free (op->status);
  kios_sync_log_entry_free (op->log_entry);
  g_clear_error (&op->error);
  if (op->data_free != NULL)
    g_clear_pointer (&op->data, op->data_free);
  if (op->result_free != NULL)
    g_clear_pointer (&op->result, op->result_free);
}

Op *
kios_store_op_new (OpKind kind)
{
  Op *op = g_atomic_rc_box_new0 (Op);

  op->kind = kind;
  return op;
}

void
kios_store_op_unref (Op *op)
{
  g_atomic_rc_box_release_full (op, (GDestroyNotify) op_clear);
}

/* Queues `op` (taking ownership); FALSE if the store is shutting down. */
gboolean
kios_store_enqueue (KiosLibraryStore *self,
                    Op               *op)
{
  g_mutex_lock (&self->lock);
  if (self->stopping)
    {
      g_mutex_unlock (&self->lock);
      g_warning ("Library store is closed; a write was dropped");
      kios_store_op_unref (op);
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
gboolean
kios_store_run_sync_op (KiosLibraryStore *self,
                        Op               *op,
                        gint64           *result_id,
                        GError          **error)
{
  gint64   deadline = g_get_monotonic_time () + SYNC_OP_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  gboolean done;

  /* The queue gets its own reference: if we time out, the writer may still
   * run the op later. */
  if (!kios_store_enqueue (self, g_atomic_rc_box_acquire (op)))
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

  stmt = kios_store_conn_prepare (conn,
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
  kios_store_bind_position (stmt, 2, op->position);
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;

  /* A book marked unread (finished_at < 0) at its end forgets the mark once
   * the reader leaves the end, so reading it to the end again finishes it. */
  stmt = kios_store_conn_prepare (conn,
                                  "UPDATE books SET progress = ?2, finished_at = CASE"
                                  " WHEN finished_at < 0 AND ?2 < 0.995 THEN 0 ELSE finished_at END"
                                  " WHERE hash = ?1",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 2, op->position->total_progress);
  return kios_store_stmt_run (conn, stmt, error);
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
  stmt = kios_store_conn_prepare (conn,
                                  "INSERT INTO books (hash, path, size, format, title, authors, cover_path,"
                                  " added_at, last_opened_at, progress, series, missing, downloaded,"
                                  " title_key, author_key, search_key)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                                  "  COALESCE ((SELECT total_progress FROM positions WHERE hash = ?1), ?10),"
                                  "  ?11, ?12, ?13, kios_fold (?5), kios_fold (?6),"
                                  "  kios_fold (COALESCE (?5, '') || ' ' || COALESCE (?6, '') || ' ' || COALESCE (?11, '')))"
                                  " ON CONFLICT (hash) DO UPDATE SET"
                                  " path = excluded.path, size = excluded.size, format = excluded.format,"
                                  " title = excluded.title, authors = excluded.authors,"
                                  " cover_path = excluded.cover_path,"
                                  " added_at = CASE WHEN added_at > 0 THEN added_at ELSE excluded.added_at END,"
                                  " last_opened_at = MAX (last_opened_at, excluded.last_opened_at),"
                                  " series = COALESCE (excluded.series, series),"
                                  " missing = excluded.missing,"
                                  " downloaded = MAX (downloaded, excluded.downloaded),"
                                  " title_key = excluded.title_key, author_key = excluded.author_key,"
                                  " search_key = kios_fold (COALESCE (excluded.title, '') || ' ' ||"
                                  "  COALESCE (excluded.authors, '') || ' ' || COALESCE (excluded.series, series, ''))",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, book->hash, -1, SQLITE_STATIC);
  kios_store_bind_text (stmt, 2, book->path);
  sqlite3_bind_int64 (stmt, 3, book->size);
  kios_store_bind_text (stmt, 4, book->format);
  kios_store_bind_text (stmt, 5, book->title);
  kios_store_bind_text (stmt, 6, book->authors);
  kios_store_bind_text (stmt, 7, book->cover_path);
  sqlite3_bind_int64 (stmt, 8, book->added_at > 0 ? book->added_at : g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 9, book->last_opened_at);
  sqlite3_bind_double (stmt, 10, book->progress);
  kios_store_bind_text (stmt, 11, book->series);
  sqlite3_bind_int (stmt, 12, book->missing ? 1 : 0);
  sqlite3_bind_int (stmt, 13, book->downloaded ? 1 : 0);
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;

  /* A book added again (opened, downloaded) is no longer kept out of rescans. */
  stmt = kios_store_conn_prepare (conn, "DELETE FROM library_excluded WHERE hash = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, book->hash, -1, SQLITE_STATIC);
  return kios_store_stmt_run (conn, stmt, error);
}

gboolean
kios_store_write_upsert_book (Conn    *conn,
                              Op      *op,
                              GError **error)
{
  return write_upsert_book (conn, op, error);
}

static gboolean
write_touch_book (Conn    *conn,
                  Op      *op,
                  GError **error)
{
  sqlite3_stmt *stmt = kios_store_conn_prepare (conn,
                                                "UPDATE books SET last_opened_at = ?2 WHERE hash = ?1",
                                                error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, op->number);
  return kios_store_stmt_run (conn, stmt, error);
}

static gboolean
write_book_meta (Conn    *conn,
                 Op      *op,
                 GError **error)
{
  sqlite3_stmt *stmt;

  if (op->text == NULL)
    stmt = kios_store_conn_prepare (conn, "DELETE FROM book_meta WHERE hash = ?1 AND key = ?2", error);
  else
    stmt = kios_store_conn_prepare (conn,
                                    "INSERT INTO book_meta (hash, key, value) VALUES (?1, ?2, ?3)"
                                    " ON CONFLICT (hash, key) DO UPDATE SET value = excluded.value",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, op->source, -1, SQLITE_STATIC);
  if (op->text != NULL)
    sqlite3_bind_text (stmt, 3, op->text, -1, SQLITE_STATIC);
  return kios_store_stmt_run (conn, stmt, error);
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
      stmt = kios_store_conn_prepare (conn,
                                      "INSERT INTO sync_state (hash, source, pending_json,"
                                      " pending_updated_at, pending_since) VALUES (?1, ?2, ?3, ?4, ?5)"
                                      " ON CONFLICT (hash, source) DO UPDATE SET"
                                      " pending_json = excluded.pending_json,"
                                      " pending_updated_at = excluded.pending_updated_at,"
                                      " pending_since = COALESCE (pending_since, excluded.pending_since)",
                                      error);
      if (stmt == NULL)
        return FALSE;
      json = kios_store_position_to_json_string (op->position);
      sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, op->position->updated_at);
      sqlite3_bind_int64 (stmt, 5, now);
      break;

    case OP_CLEAR_PENDING:
      /* Only the push that was sent is cleared: a newer pending position
       * queued while it was in flight has another updated_at and stays. */
      stmt = kios_store_conn_prepare (conn,
                                      "UPDATE sync_state SET pending_json = NULL,"
                                      " pending_updated_at = NULL, pending_since = NULL"
                                      " WHERE hash = ?1 AND source = ?2 AND pending_updated_at = ?3",
                                      error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 3, op->number);
      break;

    case OP_SET_LAST_PUSHED:
      stmt = kios_store_conn_prepare (conn,
                                      "INSERT INTO sync_state (hash, source, last_pushed_json, last_pushed_at)"
                                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash, source) DO UPDATE SET"
                                      " last_pushed_json = excluded.last_pushed_json,"
                                      " last_pushed_at = excluded.last_pushed_at",
                                      error);
      if (stmt == NULL)
        return FALSE;
      json = kios_store_position_to_json_string (op->position);
      sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, now);
      break;

    case OP_SET_LAST_REMOTE:
      stmt = kios_store_conn_prepare (conn,
                                      "INSERT INTO sync_state (hash, source, last_remote_json, last_remote_at)"
                                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash, source) DO UPDATE SET"
                                      " last_remote_json = excluded.last_remote_json,"
                                      " last_remote_at = excluded.last_remote_at",
                                      error);
      if (stmt == NULL)
        return FALSE;
      kios_store_bind_text (stmt, 3, op->text);
      sqlite3_bind_int64 (stmt, 4, now);
      break;

    default:
      g_assert_not_reached ();
    }

  sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, op->source, -1, SQLITE_STATIC);
  return kios_store_stmt_run (conn, stmt, error);
}

static gboolean
write_log_sync (Conn    *conn,
                Op      *op,
                GError **error)
{
  const KiosSyncLogEntry *entry = op->log_entry;
  sqlite3_stmt           *stmt;

  /* An entry from log_sync () carries its v1 event word and gets its
   * direction and result from it, as the v1 rows did in the migration. */
  stmt = kios_store_conn_prepare (conn,
                                  "INSERT INTO sync_log (at, hash, source, event, detail, protocol,"
                                  " direction, result, precision, remote)"
                                  " SELECT ?1, ?2, ?3, event, ?5, ?6,"
                                  "  COALESCE (?7, " KIOS_STORE_SQL_LOG_DIRECTION "),"
                                  "  COALESCE (?8, " KIOS_STORE_SQL_LOG_RESULT "), ?9, ?10"
                                  " FROM (SELECT ?4 AS event)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, entry->time > 0 ? entry->time : g_get_real_time () / G_USEC_PER_SEC);
  kios_store_bind_text (stmt, 2, entry->book_hash);
  kios_store_bind_text (stmt, 3, entry->source);
  kios_store_bind_text (stmt, 4, op->text != NULL ? op->text : entry->direction);
  kios_store_bind_text (stmt, 5, entry->detail);
  kios_store_bind_text (stmt, 6, entry->protocol);
  kios_store_bind_text (stmt, 7, op->text != NULL ? NULL : entry->direction);
  kios_store_bind_text (stmt, 8, op->text != NULL ? NULL : entry->result);
  kios_store_bind_text (stmt, 9, entry->precision);
  kios_store_bind_text (stmt, 10, entry->remote);
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;

  /* Ids only grow, so everything 1000 or more below the newest is old. */
  stmt = kios_store_conn_prepare (conn, "DELETE FROM sync_log WHERE id <= ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sqlite3_last_insert_rowid (conn->db) - SYNC_LOG_MAX_ROWS);
  return kios_store_stmt_run (conn, stmt, error);
}

static gboolean
write_sync_status (Conn    *conn,
                   Op      *op,
                   GError **error)
{
  const KiosSyncStatus *status = op->status;
  sqlite3_stmt         *stmt;

  stmt = kios_store_conn_prepare (conn,
                                  "INSERT OR REPLACE INTO sync_status (" STATUS_COLUMNS ")"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  kios_store_bind_text (stmt, 1, status->source);
  kios_store_bind_text (stmt, 2, status->book_hash != NULL ? status->book_hash : "");
  kios_store_bind_text (stmt, 3, status->protocol);
  kios_store_bind_text (stmt, 4, kios_sync_status_state_to_string (status->state));
  sqlite3_bind_int64 (stmt, 5, status->time);
  sqlite3_bind_int64 (stmt, 6, status->synced_at);
  kios_store_bind_text (stmt, 7, status->server);
  kios_store_bind_text (stmt, 8, status->detail);
  kios_store_bind_text (stmt, 9, status->error_domain != 0 ? g_quark_to_string (status->error_domain) : NULL);
  sqlite3_bind_int (stmt, 10, status->error_code);
  sqlite3_bind_int64 (stmt, 11, status->pending_since);
  return kios_store_stmt_run (conn, stmt, error);
}

/* Inside the write transaction, so no other writer can take the name meanwhile. */
static gboolean
check_name_free (Conn       *conn,
                 const char *name,
                 GError    **error)
{
  sqlite3_stmt *stmt = kios_store_conn_prepare (conn, "SELECT 1 FROM sources WHERE name = ?1", error);
  int           rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    kios_store_set_sqlite_error (error, conn->db, rc, "Cannot read the sources");
  kios_store_stmt_done (stmt);

  if (rc == SQLITE_ROW)
    g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                 "A source named “%s” already exists", name);
  return rc == SQLITE_DONE;
}

/* Everything that names a source by name follows its rename, inside the
 * caller's transaction: the sync state and status rows, and the books'
 * meta that says which source they came from ("opds.source",
 * "kobo.source", any "*.source"). */
static gboolean
rename_source_refs (Conn       *conn,
                    const char *old_name,
                    const char *new_name,
                    GError    **error)
{
  static const char *const renames[] = {
    "UPDATE sync_state SET source = ?2 WHERE source = ?1",
    "UPDATE sync_status SET source = ?2 WHERE source = ?1",
    "UPDATE book_meta SET value = ?2 WHERE value = ?1 AND key GLOB '*.source'",
  };

  for (guint i = 0; i < G_N_ELEMENTS (renames); i++)
    {
      sqlite3_stmt *stmt = kios_store_conn_prepare (conn, renames[i], error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, old_name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, new_name, -1, SQLITE_STATIC);
      if (!kios_store_stmt_run (conn, stmt, error))
        return FALSE;
    }
  return TRUE;
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
      stmt = kios_store_conn_prepare (conn, "DELETE FROM sources WHERE name = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, op->source, -1, SQLITE_STATIC);
      if (!kios_store_stmt_run (conn, stmt, error))
        return FALSE;
      if (sqlite3_changes (conn->db) == 0)
        {
          g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                       "There is no source named “%s”", op->source);
          return FALSE;
        }
      stmt = kios_store_conn_prepare (conn, "DELETE FROM sync_state WHERE source = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, op->source, -1, SQLITE_STATIC);
      if (!kios_store_stmt_run (conn, stmt, error))
        return FALSE;
      stmt = kios_store_conn_prepare (conn, "DELETE FROM sync_status WHERE source = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, op->source, -1, SQLITE_STATIC);
      return kios_store_stmt_run (conn, stmt, error);
    }

  if (op->kind == OP_UPDATE_SOURCE)
    {
      /* By id when the caller has one (which allows a rename), else by name. */
      stmt = kios_store_conn_prepare (conn,
                                      "SELECT name FROM sources WHERE (?1 > 0 AND id = ?1) OR (?1 <= 0 AND name = ?2)",
                                      error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, src->id);
      sqlite3_bind_text (stmt, 2, src->name, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        old_name = kios_store_column_strdup (stmt, 0);
      else if (rc != SQLITE_DONE)
        kios_store_set_sqlite_error (error, conn->db, rc, "Cannot read the source");
      kios_store_stmt_done (stmt);
      if (rc != SQLITE_ROW)
        {
          if (rc == SQLITE_DONE)
            g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                         "There is no source named “%s”", src->name);
          return FALSE;
        }

      if (g_strcmp0 (old_name, src->name) != 0 && !check_name_free (conn, src->name, error))
        return FALSE;

      stmt = kios_store_conn_prepare (conn,
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

      stmt = kios_store_conn_prepare (conn,
                                      "INSERT INTO sources (name, kind, url, auth, username, settings_json)"
                                      " VALUES (?2, ?3, ?4, ?5, ?6, ?7)",
                                      error);
      if (stmt == NULL)
        return FALSE;
    }

  sqlite3_bind_text (stmt, 2, src->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, src->kind, -1, SQLITE_STATIC);
  kios_store_bind_text (stmt, 4, src->url);
  kios_store_bind_text (stmt, 5, src->auth);
  kios_store_bind_text (stmt, 6, src->username);
  kios_store_bind_text (stmt, 7, src->settings_json);
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;

  if (op->kind == OP_ADD_SOURCE)
    {
      op->result_id = sqlite3_last_insert_rowid (conn->db);
      return TRUE;
    }

  if (g_strcmp0 (old_name, src->name) != 0)
    return rename_source_refs (conn, old_name, src->name, error);
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
    case OP_SET_SYNC_STATUS:
      return write_sync_status (conn, op, error);
    case OP_ADD_SOURCE:
    case OP_UPDATE_SOURCE:
    case OP_REMOVE_SOURCE:
      return write_source (conn, op, error);
    case OP_CALL:
      return op->call (conn, op, error);
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
    "set sync status",
    "library change",
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
run_op (KiosLibraryStore *self,
        Conn             *conn,
        Op               *op,
        guint            *failures)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt      *stmt;
  gboolean           is_sync;

  is_sync = op->kind == OP_ADD_SOURCE || op->kind == OP_UPDATE_SOURCE ||
            op->kind == OP_REMOVE_SOURCE || (op->kind == OP_CALL && op->call_sync);

  stmt = kios_store_conn_prepare (conn, kios_store_sql_begin, &error);
  if (stmt != NULL && kios_store_stmt_run (conn, stmt, &error))
    {
      if (write_op (conn, op, &error))
        {
          stmt = kios_store_conn_prepare (conn, kios_store_sql_commit, &error);
          if (stmt != NULL)
            kios_store_stmt_run (conn, stmt, &error);
        }
      if (error != NULL && !sqlite3_get_autocommit (conn->db))
        {
          stmt = kios_store_conn_prepare (conn, kios_store_sql_rollback, NULL);
          if (stmt != NULL)
            kios_store_stmt_run (conn, stmt, NULL);
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

  g_prefix_error (&error, "Library write (%s) failed: ", op_name (op->kind));
  /* The first of a run reaches the main thread (a toast); every failure
   * makes the next flush fail. */
  kios_store_report_write_error (self, op->seq, error, *failures == 0);
  if ((*failures)++ % 1000 == 0)
    g_warning ("%s", error->message);
  else
    g_debug ("%s (again)", error->message);
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

gpointer
kios_store_writer_worker (gpointer data)
{
  KiosLibraryStore     *self = data;
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_store_op_unref);
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
            run_op (self, self->write_conn, op, &failures);

          g_mutex_lock (&self->lock);
          self->done_seq = op->seq;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->lock);
        }

      g_ptr_array_set_size (batch, 0);
    }

  return NULL;
}
