/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-store"

#include "config.h"

#include "kios-library-store-private.h"

#include "kios-error.h"
#include "kios-paths.h"

#include <sqlite3.h>
#include <string.h>

/*
 * The store's part for KiosLibrary: listing with sort and search, batch
 * upserts, folders, and removal with undo. Writes go through the writer
 * thread as OP_CALL ops, so they keep the one-writer rule.
 */

/* ---- folding ----------------------------------------------------------- */

char *
kios_library_store_fold (const char *text)
{
  g_autofree char *valid = NULL;
  g_autofree char *decomposed = NULL;
  g_autofree char *folded = NULL;
  GString         *out;
  gboolean         space = TRUE;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  decomposed = g_utf8_normalize (valid, -1, G_NORMALIZE_NFKD);
  if (decomposed == NULL)
    return g_strdup ("");
  folded = g_utf8_casefold (decomposed, -1);
  out = g_string_sized_new (strlen (folded));
  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar     c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_SPACING_MARK ||
          type == G_UNICODE_ENCLOSING_MARK)
        continue;
      if (g_unichar_isspace (c))
        {
          if (!space)
            g_string_append_c (out, ' ');
          space = TRUE;
          continue;
        }
      g_string_append_unichar (out, c);
      space = FALSE;
    }
  if (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

static void
sql_fold (sqlite3_context *context,
          int              argc,
          sqlite3_value  **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  char       *folded;

  (void) argc;
  if (text == NULL)
    {
      sqlite3_result_null (context);
      return;
    }
  folded = kios_library_store_fold (text);
  sqlite3_result_text (context, folded, -1, g_free);
}

/* Every word of the (unfolded) query is in the folded key. The folded
 * words are kept as the call's auxiliary data, so a query is folded once
 * per statement, not once per row. */
static void
sql_match (sqlite3_context *context,
           int              argc,
           sqlite3_value  **argv)
{
  const char *key = (const char *) sqlite3_value_text (argv[0]);
  char      **words = sqlite3_get_auxdata (context, 1);

  (void) argc;
  if (words == NULL)
    {
      g_autofree char *query = kios_library_store_fold ((const char *) sqlite3_value_text (argv[1]));

      words = g_strsplit (query != NULL ? query : "", " ", -1);
      sqlite3_set_auxdata (context, 1, words, (void (*) (void *)) g_strfreev);
      words = sqlite3_get_auxdata (context, 1);
      if (words == NULL)
        {
          sqlite3_result_error_nomem (context);
          return;
        }
    }
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0' && (key == NULL || strstr (key, words[i]) == NULL))
      {
        sqlite3_result_int (context, 0);
        return;
      }
  sqlite3_result_int (context, 1);
}

void
kios_store_register_functions (sqlite3 *db)
{
  int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

  sqlite3_create_function (db, "kios_fold", 1, flags, NULL, sql_fold, NULL, NULL);
  sqlite3_create_function (db, "kios_match", 2, flags, NULL, sql_match, NULL, NULL);
}

gboolean
kios_store_migrate_v3_keys (Conn    *conn,
                            GError **error)
{
  g_autofree char *books_dir = kios_paths_books_dir ();
  g_autofree char *prefix = g_strconcat (books_dir, G_DIR_SEPARATOR_S, NULL);
  sqlite3_stmt    *stmt = NULL;
  int              rc;

  rc = sqlite3_prepare_v2 (conn->db,
                           "UPDATE books SET title_key = kios_fold (title), author_key = kios_fold (authors),"
                           " search_key = kios_fold (COALESCE (title, '') || ' ' || COALESCE (authors, '')),"
                           " downloaded = (path IS NOT NULL AND substr (path, 1, length (?1)) = ?1)",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, prefix, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    kios_store_set_sqlite_error (error, conn->db, rc, "Cannot fill the search keys");
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE;
}

/* ---- reads ------------------------------------------------------------- */

static gpointer
collect_text (sqlite3_stmt *stmt)
{
  return kios_store_column_strdup (stmt, 0);
}

static void
bind_search (sqlite3_stmt *stmt,
             gconstpointer data)
{
  kios_store_bind_text (stmt, 1, data);
}

static GStrv
to_strv (GPtrArray *rows)
{
  if (rows == NULL)
    return NULL;
  g_ptr_array_set_free_func (rows, NULL);
  g_ptr_array_add (rows, NULL);
  return (GStrv) g_ptr_array_free (rows, FALSE);
}

#define LIST_BOOKS(order) \
  "SELECT " BOOK_COLUMNS " FROM books WHERE ?1 IS NULL OR kios_match (search_key, ?1) ORDER BY " order

static const char *const sql_list_books[] = {
  /* KIOS_LIBRARY_SORT_RECENT … _PROGRESS */
  LIST_BOOKS ("last_opened_at DESC, added_at DESC, id DESC"),
  LIST_BOOKS ("title_key IS NULL OR title_key = '', title_key, author_key, id"),
  LIST_BOOKS ("author_key IS NULL OR author_key = '', author_key, title_key, id"),
  LIST_BOOKS ("added_at DESC, id DESC"),
  LIST_BOOKS ("progress DESC, last_opened_at DESC, id DESC"),
};

GPtrArray *
kios_library_store_list_books (KiosLibraryStore *self,
                               guint             sort,
                               const char       *search,
                               GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (sort < G_N_ELEMENTS (sql_list_books), NULL);

  if (search != NULL && *search == '\0')
    search = NULL;
  return kios_store_read_all (self, sql_list_books[sort], bind_search, search,
                              (KiosStoreCollect) kios_store_book_from_stmt, (GDestroyNotify) kios_book_record_free,
                              error);
}

GStrv
kios_library_store_list_pending_sources (KiosLibraryStore *self,
                                         const char       *hash,
                                         GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  return to_strv (kios_store_read_all (self,
                                       "SELECT source FROM sync_state WHERE hash = ?1 AND pending_json IS NOT NULL"
                                       " ORDER BY source",
                                       bind_search, hash, collect_text, g_free, error));
}

GStrv
kios_library_store_list_folders (KiosLibraryStore *self,
                                 GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return to_strv (kios_store_read_all (self, "SELECT path FROM library_folders ORDER BY path", NULL, NULL,
                                       collect_text, g_free, error));
}

GStrv
kios_library_store_list_excluded (KiosLibraryStore *self,
                                  GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);

  return to_strv (kios_store_read_all (self, "SELECT hash FROM library_excluded", NULL, NULL, collect_text,
                                       g_free, error));
}

/* ---- writes ------------------------------------------------------------ */

typedef gboolean (*CallFunc) (Conn    *conn,
                              Op      *op,
                              GError **error);

static Op *
call_op_new (CallFunc       call,
             const char    *hash,
             const char    *text,
             gint64         number,
             gpointer       data,
             GDestroyNotify data_free)
{
  Op *op = kios_store_op_new (OP_CALL);

  op->call = (gboolean (*) (gpointer, gpointer, GError **)) call;
  op->hash = g_strdup (hash);
  op->text = g_strdup (text);
  op->number = number;
  op->data = data;
  op->data_free = data_free;
  return op;
}

static gboolean
run_sql (Conn       *conn,
         const char *sql,
         const char *text1,
         const char *text2,
         gint64      number,
         GError    **error)
{
  sqlite3_stmt *stmt = kios_store_conn_prepare (conn, sql, error);

  if (stmt == NULL)
    return FALSE;
  kios_store_bind_text (stmt, 1, text1);
  kios_store_bind_text (stmt, 2, text2);
  sqlite3_bind_int64 (stmt, 3, number);
  return kios_store_stmt_run (conn, stmt, error);
}

static gboolean
write_upsert_books (Conn    *conn,
                    Op      *op,
                    GError **error)
{
  GPtrArray *books = op->data;
  gboolean   ok = TRUE;

  /* The single upsert's SQL, through the writer's own op, one row each. */
  for (guint i = 0; ok && i < books->len; i++)
    {
      Op *one = kios_store_op_new (OP_UPSERT_BOOK);

      one->book = kios_book_record_copy (g_ptr_array_index (books, i));
      one->hash = g_strdup (one->book->hash);
      ok = kios_store_write_upsert_book (conn, one, error);
      kios_store_op_unref (one);
    }
  return ok;
}

void
kios_library_store_upsert_books (KiosLibraryStore *self,
                                 GPtrArray        *books)
{
  g_autoptr (GPtrArray) copy = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (books != NULL);

  if (books->len == 0)
    return;
  copy = g_ptr_array_new_full (books->len, (GDestroyNotify) kios_book_record_free);
  for (guint i = 0; i < books->len; i++)
    g_ptr_array_add (copy, kios_book_record_copy (g_ptr_array_index (books, i)));
  kios_store_enqueue (self, call_op_new (write_upsert_books, NULL, NULL, 0, g_steal_pointer (&copy),
                                         (GDestroyNotify) g_ptr_array_unref));
}

static gboolean
write_book_path (Conn    *conn,
                 Op      *op,
                 GError **error)
{
  return run_sql (conn, "UPDATE books SET path = ?2, size = ?3, missing = 0 WHERE hash = ?1", op->hash,
                  op->text, op->number, error);
}

void
kios_library_store_set_book_path (KiosLibraryStore *self,
                                  const char       *hash,
                                  const char       *path,
                                  gint64            size)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL && path != NULL);

  kios_store_enqueue (self, call_op_new (write_book_path, hash, path, size, NULL, NULL));
}

static gboolean
write_book_missing (Conn    *conn,
                    Op      *op,
                    GError **error)
{
  return run_sql (conn, "UPDATE books SET missing = ?3 WHERE hash = ?1", op->hash, NULL,
                  op->number, error);
}

void
kios_library_store_set_book_missing (KiosLibraryStore *self,
                                     const char       *hash,
                                     gboolean          missing)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);

  kios_store_enqueue (self, call_op_new (write_book_missing, hash, NULL, missing ? 1 : 0, NULL, NULL));
}

static gboolean
write_book_finished (Conn    *conn,
                     Op      *op,
                     GError **error)
{
  return run_sql (conn, "UPDATE books SET finished_at = ?3 WHERE hash = ?1", op->hash,
                  NULL, op->number, error);
}

void
kios_library_store_set_book_finished (KiosLibraryStore *self,
                                      const char       *hash,
                                      gint64            finished_at)
{
  g_return_if_fail (KIOS_IS_LIBRARY_STORE (self));
  g_return_if_fail (hash != NULL);

  kios_store_enqueue (self, call_op_new (write_book_finished, hash, NULL, finished_at, NULL, NULL));
}

/* ---- folders ------------------------------------------------------------ */

static gboolean
write_folder (Conn    *conn,
              Op      *op,
              GError **error)
{
  if (op->number > 0)
    {
      if (!run_sql (conn, "INSERT OR IGNORE INTO library_folders (path, added_at) VALUES (?1, ?3)",
                    op->text, NULL, op->number, error))
        return FALSE;
    }
  else if (!run_sql (conn, "DELETE FROM library_folders WHERE path = ?1", op->text, NULL, 0, error))
    return FALSE;
  op->result_id = sqlite3_changes (conn->db);
  return TRUE;
}

static gboolean
run_folder_op (KiosLibraryStore *self,
               const char       *path,
               gboolean          add,
               GError          **error)
{
  g_autoptr (Op) op = NULL;
  gint64         changes = 0;

  op = call_op_new (write_folder, NULL, path, add ? g_get_real_time () / G_USEC_PER_SEC : 0, NULL, NULL);
  op->call_sync = TRUE;
  if (!kios_store_run_sync_op (self, op, &changes, error))
    return FALSE;
  if (!add && changes == 0)
    {
      g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND, "“%s” is not a books folder",
                   path);
      return FALSE;
    }
  return TRUE;
}

gboolean
kios_library_store_add_folder (KiosLibraryStore *self,
                               const char       *path,
                               GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  return run_folder_op (self, path, TRUE, error);
}

gboolean
kios_library_store_remove_folder (KiosLibraryStore *self,
                                  const char       *path,
                                  GError          **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  return run_folder_op (self, path, FALSE, error);
}

/* ---- removal and undo ---------------------------------------------------- */

/* Every table whose rows belong to one book, by its hash column. */
static const char *const book_tables[] = {
  "books",
  "positions",
  "book_meta",
  "sync_state",
  "sync_status",
  "sync_log",
};

typedef struct
{
  const char     *table; /* static */
  int             n_columns;
  sqlite3_value **values;
} Row;

struct _KiosStoreBookRows
{
  char   *hash;
  GArray *rows; /* Row */
};

static void
row_clear (Row *row)
{
  for (int i = 0; i < row->n_columns; i++)
    sqlite3_value_free (row->values[i]);
  g_free (row->values);
}

void
kios_store_book_rows_free (KiosStoreBookRows *rows)
{
  if (rows == NULL)
    return;
  g_free (rows->hash);
  g_array_unref (rows->rows);
  g_free (rows);
}

static gboolean
step_done (Conn         *conn,
           sqlite3_stmt *stmt,
           int           rc,
           GError      **error)
{
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      kios_store_set_sqlite_error (error, conn->db, rc, "Cannot remove the book");
      return FALSE;
    }
  (void) stmt;
  return TRUE;
}

static gboolean
write_remove_book (Conn    *conn,
                   Op      *op,
                   GError **error)
{
  KiosStoreBookRows *rows = g_new0 (KiosStoreBookRows, 1);
  gboolean           found = FALSE;

  rows->hash = g_strdup (op->hash);
  rows->rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_array_set_clear_func (rows->rows, (GDestroyNotify) row_clear);
  op->result = rows;
  op->result_free = (GDestroyNotify) kios_store_book_rows_free;

  for (guint t = 0; t < G_N_ELEMENTS (book_tables); t++)
    {
      g_autofree char *select = g_strdup_printf ("SELECT * FROM %s WHERE hash = ?1", book_tables[t]);
      g_autofree char *delete = g_strdup_printf ("DELETE FROM %s WHERE hash = ?1", book_tables[t]);
      sqlite3_stmt *stmt = NULL;
      int           rc;

      rc = sqlite3_prepare_v2 (conn->db, select, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        {
          sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
          while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
            {
              Row row = { book_tables[t], sqlite3_column_count (stmt), NULL };

              row.values = g_new0 (sqlite3_value *, row.n_columns);
              for (int c = 0; c < row.n_columns; c++)
                row.values[c] = sqlite3_value_dup (sqlite3_column_value (stmt, c));
              g_array_append_val (rows->rows, row);
              if (t == 0)
                found = TRUE;
            }
        }
      sqlite3_finalize (stmt);
      if (!step_done (conn, NULL, rc, error))
        return FALSE;
      if (t == 0 && !found)
        {
          g_set_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND, "No book “%s” in the library",
                       op->hash);
          return FALSE;
        }
      stmt = NULL;
      rc = sqlite3_prepare_v2 (conn->db, delete, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        {
          sqlite3_bind_text (stmt, 1, op->hash, -1, SQLITE_STATIC);
          rc = sqlite3_step (stmt);
        }
      sqlite3_finalize (stmt);
      if (!step_done (conn, NULL, rc, error))
        return FALSE;
    }

  if (op->number > 0)
    return run_sql (conn, "INSERT OR REPLACE INTO library_excluded (hash, path, excluded_at) VALUES (?1, ?2, ?3)",
                    op->hash, op->text, g_get_real_time () / G_USEC_PER_SEC, error);
  return TRUE;
}

KiosStoreBookRows *
kios_library_store_remove_book (KiosLibraryStore *self,
                                const char       *hash,
                                gboolean          exclude,
                                GError          **error)
{
  g_autoptr (Op) op = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);

  op = call_op_new (write_remove_book, hash, NULL, exclude ? 1 : 0, NULL, NULL);
  op->call_sync = TRUE;
  if (!kios_store_run_sync_op (self, op, NULL, error))
    return NULL;
  return g_steal_pointer (&op->result);
}

static gboolean
write_restore_book (Conn    *conn,
                    Op      *op,
                    GError **error)
{
  KiosStoreBookRows *rows = op->data;

  for (guint i = 0; i < rows->rows->len; i++)
    {
      Row          *row = &g_array_index (rows->rows, Row, i);
      GString      *sql = g_string_new (NULL);
      sqlite3_stmt *stmt = NULL;
      int           rc;

      g_string_append_printf (sql, "INSERT OR REPLACE INTO %s VALUES (", row->table);
      for (int c = 0; c < row->n_columns; c++)
        g_string_append (sql, c == 0 ? "?" : ", ?");
      g_string_append_c (sql, ')');
      rc = sqlite3_prepare_v2 (conn->db, sql->str, -1, &stmt, NULL);
      g_string_free (sql, TRUE);
      if (rc == SQLITE_OK)
        {
          for (int c = 0; c < row->n_columns; c++)
            sqlite3_bind_value (stmt, c + 1, row->values[c]);
          rc = sqlite3_step (stmt);
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          kios_store_set_sqlite_error (error, conn->db, rc, "Cannot restore the book");
          return FALSE;
        }
    }
  return run_sql (conn, "DELETE FROM library_excluded WHERE hash = ?1", rows->hash, NULL, 0, error);
}

gboolean
kios_library_store_restore_book (KiosLibraryStore  *self,
                                 KiosStoreBookRows *rows,
                                 GError           **error)
{
  g_autoptr (Op) op = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (self), FALSE);
  g_return_val_if_fail (rows != NULL, FALSE);

  /* The op borrows the rows: the caller keeps them (a failed undo may be retried). */
  op = call_op_new (write_restore_book, NULL, NULL, 0, rows, NULL);
  op->call_sync = TRUE;
  return kios_store_run_sync_op (self, op, NULL, error);
}
