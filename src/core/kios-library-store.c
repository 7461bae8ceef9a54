/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-store"

#include "config.h"

#include "kios-library-store-private.h"

#include "kios-error.h"
#include "kios-redact.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (KiosLibraryStore, kios_library_store, G_TYPE_OBJECT)

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
static const char sql_get_status[] =
    "SELECT " STATUS_COLUMNS " FROM sync_status WHERE source = ?1 AND hash = ?2";
static const char sql_list_status[] =
    "SELECT " STATUS_COLUMNS " FROM sync_status WHERE hash = ?1 ORDER BY source COLLATE NOCASE";
static const char sql_list_log[] =
    "SELECT " LOG_COLUMNS " FROM sync_log WHERE direction IS NOT NULL AND hash = ?2"
    " ORDER BY id DESC LIMIT ?1";
static const char sql_list_log_all[] =
    "SELECT " LOG_COLUMNS " FROM sync_log WHERE direction IS NOT NULL ORDER BY id DESC LIMIT ?1";

enum {
  SIGNAL_WRITE_FAILED,
  SIGNAL_ANNOTATIONS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
  copy->series = g_strdup (self->series);
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
  g_free (self->series);
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

/* ---- reporting failed writes ----------------------------------------------- */

/* Shared by the store and the idles that carry a failure to the main
 * context: the store pointer is cleared when the store goes, so an idle that
 * runs later reports to nobody. */
typedef struct
{
  GMutex            lock;
  KiosLibraryStore *store;
} StoreRelay;

typedef struct
{
  StoreRelay *relay;
  GError     *error;
  char       *hash; /* set: annotations-changed instead of write-failed */
} RelayCall;

static void
relay_clear (StoreRelay *relay)
{
  g_mutex_clear (&relay->lock);
}

static void
relay_call_free (RelayCall *call)
{
  g_atomic_rc_box_release_full (call->relay, (GDestroyNotify) relay_clear);
  g_clear_error (&call->error);
  g_free (call->hash);
  g_free (call);
}

static gboolean
relay_call_run (gpointer data)
{
  RelayCall                   *call = data;
  g_autoptr (KiosLibraryStore) store = NULL;

  g_mutex_lock (&call->relay->lock);
  if (call->relay->store != NULL)
    store = g_object_ref (call->relay->store);
  g_mutex_unlock (&call->relay->lock);

  if (store != NULL && call->hash != NULL)
    g_signal_emit (store, signals[SIGNAL_ANNOTATIONS_CHANGED], 0, call->hash);
  else if (store != NULL)
    g_signal_emit (store, signals[SIGNAL_WRITE_FAILED], 0, call->error);
  return G_SOURCE_REMOVE;
}

static void
relay_call_attach (KiosLibraryStore *self,
                   RelayCall        *call,
                   const char       *name)
{
  GSource *source;

  call->relay = g_atomic_rc_box_acquire ((StoreRelay *) self->relay);
  /* An idle source, not g_main_context_invoke (): that may run the call
   * right here, on the writer thread, when nobody holds the context. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, relay_call_run, call, (GDestroyNotify) relay_call_free);
  g_source_set_static_name (source, name);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* After a successful annotation write: at once on the thread that made the
 * store, else through an idle on its main context. */
void
kios_store_notify_annotations_changed (KiosLibraryStore *self,
                                       const char       *hash)
{
  RelayCall *call;

  if (hash == NULL)
    return;
  if (g_thread_self () == self->owner)
    {
      g_signal_emit (self, signals[SIGNAL_ANNOTATIONS_CHANGED], 0, hash);
      return;
    }
  if (self->context == NULL)
    return;
  call = g_new0 (RelayCall, 1);
  call->hash = g_strdup (hash);
  relay_call_attach (self, call, "[kios] store annotations changed");
}

/* From the writer thread: remembers the failure for the next flush and,
 * when notify, tells the main context. */
void
kios_store_report_write_error (KiosLibraryStore *self,
                               guint64           seq,
                               const GError     *error,
                               gboolean          notify)
{
  RelayCall *call;

  g_mutex_lock (&self->lock);
  self->failed_seq = seq;
  g_clear_error (&self->write_error);
  self->write_error = g_error_copy (error);
  g_mutex_unlock (&self->lock);

  if (!notify || self->context == NULL)
    return;
  call = g_new0 (RelayCall, 1);
  call->error = g_error_copy (error);
  relay_call_attach (self, call, "[kios] store write failed");
}

/* ---- GObject ----------------------------------------------------------- */

static void
stop_writer (KiosLibraryStore *self)
{
  if (self->writer == NULL)
    return;

  /* STOP is the last op: everything queued before it is written first. */
  kios_store_enqueue (self, kios_store_op_new (OP_STOP));
  g_thread_join (g_steal_pointer (&self->writer));
}

static void
kios_library_store_dispose (GObject *object)
{
  KiosLibraryStore *self = KIOS_LIBRARY_STORE (object);
  StoreRelay       *relay = self->relay;

  g_mutex_lock (&relay->lock);
  relay->store = NULL;
  g_mutex_unlock (&relay->lock);
  stop_writer (self);

  G_OBJECT_CLASS (kios_library_store_parent_class)->dispose (object);
}

static void
kios_library_store_finalize (GObject *object)
{
  KiosLibraryStore *self = KIOS_LIBRARY_STORE (object);

  /* Readers first: closing the last connection checkpoints the WAL. */
  g_clear_pointer (&self->idle_readers, g_ptr_array_unref);
  g_clear_pointer (&self->write_conn, kios_store_conn_free);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_error (&self->write_error);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_atomic_rc_box_release_full (self->relay, (GDestroyNotify) relay_clear);
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

  /**
   * KiosLibraryStore::write-failed:
   * @self: the store
   * @error: the failed write's error (untranslated detail)
   *
   * A queued write failed (the first of a run of failures). Emitted on the
   * thread-default main context of the thread that created the store.
   */
  signals[SIGNAL_WRITE_FAILED] =
      g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_ERROR);

  /**
   * KiosLibraryStore::annotations-changed:
   * @self: the store
   * @hash: the book whose bookmarks or highlights changed
   *
   * An annotation of the book was added, updated or deleted (or all of
   * them). Emitted on the thread that created the store: during the call
   * when it made it, else from its thread-default main context.
   */
  signals[SIGNAL_ANNOTATIONS_CHANGED] =
      g_signal_new ("annotations-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
kios_library_store_init (KiosLibraryStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->queue = g_async_queue_new ();
  self->idle_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_store_conn_free);
  self->context = g_main_context_ref_thread_default ();
  self->owner = g_thread_self ();
  self->relay = g_atomic_rc_box_new0 (StoreRelay);
  g_mutex_init (&((StoreRelay *) self->relay)->lock);
  ((StoreRelay *) self->relay)->store = self;
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
  self->write_conn = kios_store_conn_open (db_path, FALSE, error);
  if (self->write_conn == NULL)
    return NULL;
  if (!kios_store_migrate (self->write_conn, db_path, error))
    return NULL;

  self->writer = g_thread_try_new ("kios-db-writer", kios_store_writer_worker, self, error);
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

  op = kios_store_op_new (OP_UPSERT_BOOK);
  op->book = kios_book_record_copy (book);
  op->hash = g_strdup (book->hash);
  kios_store_enqueue (self, op);
}

void
kios_library_store_touch_book (KiosLibraryStore *self,
                               const char       *hash,
                               gint64            last_opened_at)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);

  op = kios_store_op_new (OP_TOUCH_BOOK);
  op->hash = g_strdup (hash);
  op->number = last_opened_at;
  kios_store_enqueue (self, op);
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

  op = kios_store_op_new (OP_SAVE_POSITION);
  op->hash = g_strdup (hash);
  op->position = kios_position_copy (position);
  kios_store_enqueue (self, op);
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

  op = kios_store_op_new (OP_SET_BOOK_META);
  op->hash = g_strdup (hash);
  op->source = g_strdup (key);
  op->text = g_strdup (value);
  kios_store_enqueue (self, op);
}

gboolean
kios_library_store_flush_checked (KiosLibraryStore *self,
                                  guint             timeout_ms,
                                  GError          **error)
{
  g_autoptr (GError) failure = NULL;
  gint64             deadline;
  guint64            target;
  gboolean           done;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&self->lock);
  target = self->queued_seq;
  while (self->done_seq < target)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  done = self->done_seq >= target;
  /* A failure is reported by one flush, the first that waited for it. */
  if (self->failed_seq > self->flushed_seq && self->failed_seq <= self->done_seq)
    failure = g_error_copy (self->write_error);
  self->flushed_seq = MAX (self->flushed_seq, MIN (target, self->done_seq));
  g_mutex_unlock (&self->lock);

  if (failure != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  if (!done)
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                   "Timed out after %u ms waiting for library writes", timeout_ms);
      return FALSE;
    }
  return TRUE;
}

gboolean
kios_library_store_flush (KiosLibraryStore *self,
                          guint             timeout_ms)
{
  return kios_library_store_flush_checked (self, timeout_ms, NULL);
}

/* ---- public: reads ------------------------------------------------------- */

/*
 * Runs a cached read statement, lets `bind` set its parameters and collects
 * its rows with `collect`. Every read goes through here so each waits for
 * earlier writes and returns its connection to the pool.
 */
GPtrArray *
kios_store_read_all (KiosLibraryStore *self,
                     const char       *sql,
                     KiosStoreBind     bind,
                     gconstpointer     data,
                     KiosStoreCollect  collect,
                     GDestroyNotify    free_func,
                     GError          **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  sqlite3_stmt         *stmt;
  Conn                 *conn;
  int                   rc;

  kios_store_wait_for_writes (self);

  conn = kios_store_reader_acquire (self, error);
  if (conn == NULL)
    return NULL;

  stmt = kios_store_conn_prepare (conn, sql, error);
  if (stmt == NULL)
    {
      kios_store_reader_release (self, conn);
      return NULL;
    }

  if (bind != NULL)
    bind (stmt, data);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, collect (stmt));

  if (rc != SQLITE_DONE)
    kios_store_set_sqlite_error (error, conn->db, rc, "Cannot read the library");
  kios_store_stmt_done (stmt);
  kios_store_reader_release (self, conn);

  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

/* The getters' parameters: ?1 is arg1, or int_arg when arg1 is NULL; ?2 is
 * arg2 when set. */
typedef struct
{
  const char *arg1;
  const char *arg2;
  gint64      int_arg;
} RowArgs;

static void
bind_row_args (sqlite3_stmt *stmt,
               gconstpointer data)
{
  const RowArgs *args = data;

  if (args->arg1 != NULL)
    sqlite3_bind_text (stmt, 1, args->arg1, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64 (stmt, 1, args->int_arg);
  if (args->arg2 != NULL)
    sqlite3_bind_text (stmt, 2, args->arg2, -1, SQLITE_STATIC);
}

static GPtrArray *
read_rows (KiosLibraryStore *self,
           const char       *sql,
           const char       *arg1,
           const char       *arg2,
           gint64            int_arg,
           KiosStoreCollect  collect,
           GDestroyNotify    free_func,
           GError          **error)
{
  RowArgs args = { arg1, arg2, int_arg };

  return kios_store_read_all (self, sql, bind_row_args, &args, collect, free_func, error);
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
          KiosStoreCollect  collect,
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

  return read_one (self, sql_get_book, hash, NULL, (KiosStoreCollect) kios_store_book_from_stmt,
                   (GDestroyNotify) kios_book_record_free, "book", error);
}

KiosBookRecord *
kios_library_store_get_book_by_path (KiosLibraryStore *self,
                                     const char       *path,
                                     GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return read_one (self, sql_get_book_by_path, path, NULL, (KiosStoreCollect) kios_store_book_from_stmt,
                   (GDestroyNotify) kios_book_record_free, "book", error);
}

KiosPosition *
kios_library_store_get_position (KiosLibraryStore *self,
                                 const char       *hash,
                                 GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  return read_one (self, sql_get_position, hash, NULL, (KiosStoreCollect) kios_store_position_from_stmt,
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
                    (KiosStoreCollect) kios_store_book_from_stmt, (GDestroyNotify) kios_book_record_free, error);
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

  op = kios_store_op_new (OP_ADD_SOURCE);
  op->source_record = kios_source_record_copy (source);
  if (!kios_store_run_sync_op (self, op, &id, error))
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

  op = kios_store_op_new (OP_UPDATE_SOURCE);
  op->source_record = kios_source_record_copy (source);
  return kios_store_run_sync_op (self, op, NULL, error);
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

  op = kios_store_op_new (OP_REMOVE_SOURCE);
  op->source = g_strdup (name);
  return kios_store_run_sync_op (self, op, NULL, error);
}

KiosSourceRecord *
kios_library_store_get_source (KiosLibraryStore *self,
                               const char       *name,
                               GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return read_one (self, sql_get_source, name, NULL, (KiosStoreCollect) kios_store_source_from_stmt,
                   (GDestroyNotify) kios_source_record_free, "source", error);
}

GPtrArray *
kios_library_store_list_sources (KiosLibraryStore *self,
                                 GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return read_rows (self, sql_list_sources, NULL, NULL, 0, (KiosStoreCollect) kios_store_source_from_stmt,
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
  Op *op = kios_store_op_new (kind);

  op->hash = g_strdup (hash);
  op->source = g_strdup (source);
  op->position = kios_position_copy (position);
  op->text = g_strdup (text);
  op->number = number;
  kios_store_enqueue (self, op);
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
  return kios_store_position_from_json_string (json, error);
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

/* Bounded, and cut at a character boundary so the text stays UTF-8;
 * redacted once more on the way in. */
static char *
log_text (const char *text)
{
  g_autofree char *safe = NULL;
  g_autofree char *valid = NULL;
  const char      *end;

  if (text == NULL)
    return NULL;
  safe = kios_redact_text (text);
  valid = g_utf8_make_valid (safe, -1);
  end = valid + strlen (valid);
  if (end - valid > SYNC_LOG_MAX_DETAIL)
    {
      end = valid + SYNC_LOG_MAX_DETAIL;
      while (end > valid && (*end & 0xc0) == 0x80)
        end--;
    }
  return g_strndup (valid, end - valid);
}

static void
enqueue_log (KiosLibraryStore       *self,
             const char             *event,
             const KiosSyncLogEntry *entry)
{
  Op *op = kios_store_op_new (OP_LOG_SYNC);

  op->text = g_strdup (event);
  op->log_entry = kios_sync_log_entry_copy (entry);
  g_free (op->log_entry->detail);
  op->log_entry->detail = log_text (entry->detail);
  g_free (op->log_entry->remote);
  op->log_entry->remote = log_text (entry->remote);
  kios_store_enqueue (self, op);
}

void
kios_library_store_log_sync (KiosLibraryStore *self,
                             const char       *hash,
                             const char       *source,
                             const char       *event,
                             const char       *detail)
{
  KiosSyncLogEntry entry = { 0 };

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (event != NULL);

  entry.book_hash = (char *) hash;
  entry.source = (char *) source;
  entry.detail = (char *) detail;
  enqueue_log (self, event, &entry);
}

void
kios_library_store_add_sync_log (KiosLibraryStore       *self,
                                 const KiosSyncLogEntry *entry)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (entry != NULL && entry->direction != NULL && entry->result != NULL);

  enqueue_log (self, NULL, entry);
}

KiosSyncLogEntry *
kios_store_log_entry_from_stmt (sqlite3_stmt *stmt)
{
  KiosSyncLogEntry *entry = g_new0 (KiosSyncLogEntry, 1);

  entry->time = sqlite3_column_int64 (stmt, 0);
  entry->book_hash = kios_store_column_strdup (stmt, 1);
  entry->source = kios_store_column_strdup (stmt, 2);
  entry->protocol = kios_store_column_strdup (stmt, 3);
  entry->direction = kios_store_column_strdup (stmt, 4);
  entry->result = kios_store_column_strdup (stmt, 5);
  entry->detail = kios_store_column_strdup (stmt, 6);
  entry->precision = kios_store_column_strdup (stmt, 7);
  entry->remote = kios_store_column_strdup (stmt, 8);
  return entry;
}

GPtrArray *
kios_library_store_list_sync_log (KiosLibraryStore *self,
                                  const char       *hash,
                                  guint             limit,
                                  GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return read_rows (self, hash != NULL ? sql_list_log : sql_list_log_all, NULL, hash,
                    limit > 0 ? (gint64) limit : -1, (KiosStoreCollect) kios_store_log_entry_from_stmt,
                    (GDestroyNotify) kios_sync_log_entry_free, error);
}

/* ---- public: sync status ------------------------------------------------- */

KiosSyncStatus *
kios_store_status_from_stmt (sqlite3_stmt *stmt)
{
  KiosSyncStatus *status = g_new0 (KiosSyncStatus, 1);
  const char     *hash = (const char *) sqlite3_column_text (stmt, 1);
  const char     *domain = (const char *) sqlite3_column_text (stmt, 8);

  status->source = kios_store_column_strdup (stmt, 0);
  status->book_hash = hash != NULL && *hash != '\0' ? g_strdup (hash) : NULL;
  status->protocol = kios_store_column_strdup (stmt, 2);
  if (!kios_sync_status_state_from_string ((const char *) sqlite3_column_text (stmt, 3),
                                           &status->state))
    status->state = KIOS_SYNC_STATUS_NEVER;
  status->time = sqlite3_column_int64 (stmt, 4);
  status->synced_at = sqlite3_column_int64 (stmt, 5);
  status->server = kios_store_column_strdup (stmt, 6);
  status->detail = kios_store_column_strdup (stmt, 7);
  status->error_domain = domain != NULL ? g_quark_from_string (domain) : 0;
  status->error_code = sqlite3_column_int (stmt, 9);
  status->pending_since = sqlite3_column_int64 (stmt, 10);
  return status;
}

void
kios_library_store_set_sync_status (KiosLibraryStore     *self,
                                    const KiosSyncStatus *status)
{
  Op *op;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (status != NULL && status->source != NULL);

  op = kios_store_op_new (OP_SET_SYNC_STATUS);
  op->status = kios_sync_status_copy (status);
  g_free (op->status->detail);
  op->status->detail = log_text (status->detail);
  kios_store_enqueue (self, op);
}

KiosSyncStatus *
kios_library_store_get_sync_status (KiosLibraryStore *self,
                                    const char       *source,
                                    const char       *book_hash,
                                    GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (source != NULL, NULL);

  return read_one (self, sql_get_status, source, book_hash != NULL ? book_hash : "",
                   (KiosStoreCollect) kios_store_status_from_stmt, (GDestroyNotify) kios_sync_status_free,
                   "sync status", error);
}

GPtrArray *
kios_library_store_list_sync_status (KiosLibraryStore *self,
                                     const char       *book_hash,
                                     GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return read_rows (self, sql_list_status, book_hash != NULL ? book_hash : "", NULL, 0,
                    (KiosStoreCollect) kios_store_status_from_stmt, (GDestroyNotify) kios_sync_status_free,
                    error);
}
