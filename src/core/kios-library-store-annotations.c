/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-store"

#include "config.h"

#include "kios-library-store-private.h"

#include "kios-error.h"

#include <sqlite3.h>

/*
 * The store's part for bookmarks and highlights (schema v4). Rows are keyed
 * by the book's hash with no foreign key, like positions: an annotation made
 * before the book's row exists is never lost. The two ends are kept as
 * position JSON (with their xpointers), and their chapter and offset again
 * as columns for the reading-order index. Writes are synchronous OP_CALL ops
 * through the writer thread, so they keep the one-writer rule and the caller
 * learns the new id or the failure.
 */

#define ANNOTATION_COLUMNS "id, hash, kind, start_json, end_json, text, note, color, " \
                           "chapter_title, created_at, updated_at, origin"

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
write_add (Conn    *conn,
           Op      *op,
           GError **error)
{
  KiosAnnotation  *a = op->data;
  g_autofree char *start_json = kios_store_position_to_json_string (a->start);
  g_autofree char *end_json = a->end != NULL ? kios_store_position_to_json_string (a->end) : NULL;
  sqlite3_stmt    *stmt;

  stmt = kios_store_conn_prepare (conn,
                                  "INSERT INTO annotations (hash, kind, start_json, end_json,"
                                  " start_chapter, start_offset, end_chapter, end_offset, text, note,"
                                  " color, chapter_title, created_at, updated_at, origin)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, a->hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, kios_annotation_kind_to_string (a->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, start_json, -1, SQLITE_STATIC);
  kios_store_bind_text (stmt, 4, end_json);
  sqlite3_bind_int (stmt, 5, a->start->chapter);
  sqlite3_bind_int64 (stmt, 6, a->start->offset);
  sqlite3_bind_int (stmt, 7, a->end != NULL ? a->end->chapter : a->start->chapter);
  sqlite3_bind_int64 (stmt, 8, a->end != NULL ? a->end->offset : a->start->offset);
  kios_store_bind_text (stmt, 9, a->text);
  kios_store_bind_text (stmt, 10, a->note);
  kios_store_bind_text (stmt, 11, a->color);
  kios_store_bind_text (stmt, 12, a->chapter_title);
  sqlite3_bind_int64 (stmt, 13, a->created_at);
  sqlite3_bind_int64 (stmt, 14, a->updated_at);
  sqlite3_bind_text (stmt, 15, a->origin != NULL ? a->origin : "kios", -1, SQLITE_STATIC);
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;
  op->result_id = sqlite3_last_insert_rowid (conn->db);
  return TRUE;
}

/* Sets the changed row count as the result: 0 means no such id. */
static gboolean
write_update (Conn    *conn,
              Op      *op,
              GError **error)
{
  KiosAnnotation *a = op->data;
  sqlite3_stmt   *stmt;

  stmt = kios_store_conn_prepare (conn,
                                  "UPDATE annotations SET note = ?2, color = ?3, updated_at = ?4"
                                  " WHERE id = ?1",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, a->id);
  kios_store_bind_text (stmt, 2, a->note);
  kios_store_bind_text (stmt, 3, a->color);
  sqlite3_bind_int64 (stmt, 4, a->updated_at);
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;
  op->result_id = sqlite3_changes (conn->db);
  return TRUE;
}

static gboolean
write_delete (Conn    *conn,
              Op      *op,
              GError **error)
{
  sqlite3_stmt *stmt;

  if (op->hash != NULL)
    {
      stmt = kios_store_conn_prepare (conn, "DELETE FROM annotations WHERE hash = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
    }
  else
    {
      stmt = kios_store_conn_prepare (conn, "DELETE FROM annotations WHERE id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, op->number);
    }
  if (!kios_store_stmt_run (conn, stmt, error))
    return FALSE;
  op->result_id = sqlite3_changes (conn->db);
  return TRUE;
}

static gboolean
run_call (KiosLibraryStore *self,
          gboolean (*call) (Conn *, Op *, GError **),
          const char     *hash,
          gint64          number,
          KiosAnnotation *data,
          gint64         *result,
          GError        **error)
{
  g_autoptr (Op) op = kios_store_op_new (OP_CALL);

  op->call = (gboolean (*) (gpointer, gpointer, GError **)) call;
  op->call_sync = TRUE;
  op->hash = g_strdup (hash);
  op->number = number;
  op->data = data;
  op->data_free = (GDestroyNotify) kios_annotation_free;
  return kios_store_run_sync_op (self, op, result, error);
}

static gboolean
check_annotation (const KiosAnnotation *a,
                  GError              **error)
{
  const char *why = NULL;

  if (a->hash == NULL || *a->hash == '\0')
    why = "it has no book";
  else if (a->start == NULL)
    why = "it has no start";
  else if (a->kind == KIOS_ANNOTATION_HIGHLIGHT && a->end == NULL)
    why = "a highlight needs an end";
  else if (a->kind == KIOS_ANNOTATION_HIGHLIGHT && a->end->chapter < a->start->chapter)
    why = "it ends before it starts";
  else if (a->kind == KIOS_ANNOTATION_HIGHLIGHT && a->end->chapter == a->start->chapter &&
           a->end->offset < a->start->offset)
    why = "it ends before it starts";
  else if (a->color != NULL && !kios_annotation_color_is_valid (a->color))
    why = "its colour is not yellow, green, blue or red";

  if (why == NULL)
    return TRUE;
  g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED, "Cannot store the annotation: %s", why);
  return FALSE;
}

gboolean
kios_library_store_add_annotation (KiosLibraryStore *self,
                                   KiosAnnotation   *annotation,
                                   GError          **error)
{
  KiosAnnotation *copy;
  gint64          id = 0;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (annotation != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_annotation (annotation, error))
    return FALSE;
  if (annotation->created_at == 0)
    annotation->created_at = now_unix ();
  if (annotation->updated_at == 0)
    annotation->updated_at = annotation->created_at;
  if (annotation->origin == NULL)
    annotation->origin = g_strdup ("kios");

  copy = kios_annotation_copy (annotation);
  if (!run_call (self, write_add, NULL, 0, copy, &id, error))
    return FALSE;
  annotation->id = id;
  return TRUE;
}

gboolean
kios_library_store_update_annotation (KiosLibraryStore     *self,
                                      const KiosAnnotation *annotation,
                                      GError              **error)
{
  KiosAnnotation *copy;
  gint64          changes = 0;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (annotation != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (annotation->color != NULL && !kios_annotation_color_is_valid (annotation->color))
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED,
                   "Cannot store the annotation: its colour is not yellow, green, blue or red");
      return FALSE;
    }
  copy = kios_annotation_copy (annotation);
  if (copy->updated_at <= 0)
    copy->updated_at = now_unix ();
  if (!run_call (self, write_update, NULL, 0, copy, &changes, error))
    return FALSE;
  if (changes == 0)
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                   "No annotation %" G_GINT64_FORMAT, annotation->id);
      return FALSE;
    }
  return TRUE;
}

gboolean
kios_library_store_delete_annotation (KiosLibraryStore *self,
                                      gint64            id,
                                      GError          **error)
{
  gint64 changes = 0;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!run_call (self, write_delete, NULL, id, NULL, &changes, error))
    return FALSE;
  if (changes == 0)
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND,
                   "No annotation %" G_GINT64_FORMAT, id);
      return FALSE;
    }
  return TRUE;
}

gboolean
kios_library_store_delete_book_annotations (KiosLibraryStore *self,
                                            const char       *hash,
                                            GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_call (self, write_delete, hash, 0, NULL, NULL, error);
}

/* ---- reads --------------------------------------------------------------- */

static void
bind_hash (sqlite3_stmt *stmt,
           gconstpointer data)
{
  sqlite3_bind_text (stmt, 1, data, -1, SQLITE_STATIC);
}

/* A row whose positions do not parse is returned as NULL and skipped. */
static gpointer
annotation_from_stmt (sqlite3_stmt *stmt)
{
  g_autoptr (KiosAnnotation) a = kios_annotation_new ();
  g_autoptr (GError)         error = NULL;
  const char                *end_json;

  a->id = sqlite3_column_int64 (stmt, 0);
  a->hash = kios_store_column_strdup (stmt, 1);
  if (!kios_annotation_kind_from_string ((const char *) sqlite3_column_text (stmt, 2), &a->kind))
    a->kind = KIOS_ANNOTATION_HIGHLIGHT;
  a->start = kios_store_position_from_json_string ((const char *) sqlite3_column_text (stmt, 3), &error);
  end_json = (const char *) sqlite3_column_text (stmt, 4);
  if (a->start != NULL && end_json != NULL)
    a->end = kios_store_position_from_json_string (end_json, &error);
  if (error != NULL)
    {
      g_debug ("Skipping annotation %" G_GINT64_FORMAT ": %s", a->id, error->message);
      return NULL;
    }
  a->text = kios_store_column_strdup (stmt, 5);
  a->note = kios_store_column_strdup (stmt, 6);
  a->color = kios_store_column_strdup (stmt, 7);
  a->chapter_title = kios_store_column_strdup (stmt, 8);
  a->created_at = sqlite3_column_int64 (stmt, 9);
  a->updated_at = sqlite3_column_int64 (stmt, 10);
  a->origin = kios_store_column_strdup (stmt, 11);
  return g_steal_pointer (&a);
}

GPtrArray *
kios_library_store_list_annotations (KiosLibraryStore *self,
                                     const char       *hash,
                                     GError          **error)
{
  GPtrArray *rows;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  rows = kios_store_read_all (self,
                              "SELECT " ANNOTATION_COLUMNS " FROM annotations WHERE hash = ?1"
                              " ORDER BY start_chapter, start_offset, end_chapter, end_offset, id",
                              bind_hash, hash, annotation_from_stmt,
                              (GDestroyNotify) kios_annotation_free, error);
  for (guint i = rows != NULL ? rows->len : 0; i > 0; i--)
    if (g_ptr_array_index (rows, i - 1) == NULL)
      g_ptr_array_remove_index (rows, i - 1);
  return rows;
}

static gpointer
count_from_stmt (sqlite3_stmt *stmt)
{
  return GINT_TO_POINTER (sqlite3_column_int (stmt, 0));
}

int
kios_library_store_count_annotations (KiosLibraryStore *self,
                                      const char       *hash)
{
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError)    error = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), 0);
  g_return_val_if_fail (hash != NULL, 0);

  rows = kios_store_read_all (self, "SELECT count(*) FROM annotations WHERE hash = ?1", bind_hash,
                              hash, count_from_stmt, NULL, &error);
  if (rows == NULL || rows->len == 0)
    {
      if (error != NULL)
        g_debug ("Cannot count annotations: %s", error->message);
      return 0;
    }
  return GPOINTER_TO_INT (g_ptr_array_index (rows, 0));
}

static void
list_annotations_worker (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  GError    *error = NULL;
  GPtrArray *rows;

  (void) cancellable;
  rows = kios_library_store_list_annotations (source_object, task_data, &error);
  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
kios_library_store_list_annotations_async (KiosLibraryStore   *self,
                                           const char         *hash,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_library_store_list_annotations_async);
  g_task_set_task_data (task, g_strdup (hash), g_free);
  g_task_run_in_thread (task, list_annotations_worker);
}

GPtrArray *
kios_library_store_list_annotations_finish (KiosLibraryStore *self,
                                            GAsyncResult     *result,
                                            GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                            kios_library_store_list_annotations_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
