/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-status"

#include "config.h"

#include "kios-error.h"
#include "kios-library-store.h"
#include "kios-sync-error.h"
#include "kios-sync-status.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/*
 * The sync status records: every error code's state, the words, the
 * outcome of an exchange on a record, and how the library stores statuses
 * and the sync log (schema v2, migrated from v1) in a real SQLite file.
 */

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* ---- the state of every error ------------------------------------------- */

typedef struct
{
  const char         *name;
  GQuark              domain;
  int                 code;
  KiosSyncStatusState state;
  gboolean            source_wide;
} ErrorCase;

static void
test_state_for_error (void)
{
  const ErrorCase cases[] = {
    { "http network", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_NETWORK, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "http timeout", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "http too large", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE, KIOS_SYNC_STATUS_SERVER_ERROR, TRUE },
    { "http tls", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TLS, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "http redirects", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS, KIOS_SYNC_STATUS_SERVER_ERROR, TRUE },
    { "http invalid url", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL, KIOS_SYNC_STATUS_WRONG_URL, TRUE },
    { "http failed", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "sync network", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "sync auth", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, KIOS_SYNC_STATUS_REFUSED, TRUE },
    { "sync not found", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND, KIOS_SYNC_STATUS_SERVER_ERROR, FALSE },
    { "sync conflict", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT, KIOS_SYNC_STATUS_SERVER_ERROR, FALSE },
    { "sync server", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER, KIOS_SYNC_STATUS_SERVER_ERROR, TRUE },
    { "sync protocol", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, KIOS_SYNC_STATUS_SERVER_ERROR, TRUE },
    { "sync unsupported", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED, KIOS_SYNC_STATUS_SERVER_ERROR, FALSE },
    { "sync disabled", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_DISABLED, KIOS_SYNC_STATUS_WRONG_URL, TRUE },
    { "sync wrong url", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, KIOS_SYNC_STATUS_WRONG_URL, TRUE },
    { "sync auth method", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH_METHOD, KIOS_SYNC_STATUS_REFUSED, TRUE },
    { "sync secrets", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS, KIOS_SYNC_STATUS_REFUSED, TRUE },
    { "sync client", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CLIENT, KIOS_SYNC_STATUS_SERVER_ERROR, FALSE },
    { "sync not catalog", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG, KIOS_SYNC_STATUS_WRONG_URL, TRUE },
    { "sync timeout", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "gio timed out", G_IO_ERROR, G_IO_ERROR_TIMED_OUT, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "gio refused", G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "gio host", G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND, KIOS_SYNC_STATUS_OFFLINE, TRUE },
    { "gio failed", G_IO_ERROR, G_IO_ERROR_FAILED, KIOS_SYNC_STATUS_SERVER_ERROR, TRUE },
    { "store failed", KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED, KIOS_SYNC_STATUS_SERVER_ERROR, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError)  error = g_error_new_literal (cases[i].domain, cases[i].code, "x");
      KiosSyncStatusState state = kios_sync_status_state_for_error (error);

      g_test_message ("%s → %s", cases[i].name, kios_sync_status_state_to_string (state));
      g_assert_cmpstr (kios_sync_status_state_to_string (state), ==,
                       kios_sync_status_state_to_string (cases[i].state));
      g_assert_true (kios_sync_status_state_is_failure (state));
      g_assert_cmpint (kios_sync_status_error_is_source_wide (error), ==, cases[i].source_wide);
    }

  /* Every code of both domains is in the table above. */
  for (int code = KIOS_HTTP_ERROR_NETWORK; code <= KIOS_HTTP_ERROR_FAILED; code++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
        found |= cases[i].domain == KIOS_HTTP_ERROR && cases[i].code == code;
      g_assert_true (found);
    }
  for (int code = KIOS_SYNC_ERROR_NETWORK; code <= KIOS_SYNC_ERROR_TIMEOUT; code++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
        found |= cases[i].domain == KIOS_SYNC_ERROR && cases[i].code == code;
      g_assert_true (found);
    }
}

static void
test_words (void)
{
  const char *words[] = { "off", "never", "synced", "pending", "offline", "refused", "wrong-url",
                          "server-error" };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      KiosSyncStatusState state = KIOS_SYNC_STATUS_OFF;

      g_assert_true (kios_sync_status_state_from_string (words[i], &state));
      g_assert_cmpint (state, ==, (KiosSyncStatusState) i);
      g_assert_cmpstr (kios_sync_status_state_to_string (state), ==, words[i]);
      g_assert_cmpint (kios_sync_status_state_is_failure (state), ==, i >= KIOS_SYNC_STATUS_OFFLINE);
    }
  {
    KiosSyncStatusState state = KIOS_SYNC_STATUS_PENDING;

    g_assert_false (kios_sync_status_state_from_string ("failing", &state));
    g_assert_false (kios_sync_status_state_from_string (NULL, &state));
    g_assert_cmpint (state, ==, KIOS_SYNC_STATUS_PENDING);
  }
}

/* A record starts NEVER; only a confirmed exchange makes it SYNCED; a run
 * of the same failure keeps the time it began; no secret in the detail. */
static void
test_apply (void)
{
  g_autoptr (KiosSyncStatus) status = kios_sync_status_new ("kosync", "Home", NULL);
  g_autoptr (KiosSyncStatus) copy = NULL;
  g_autoptr (GError)         offline = g_error_new_literal (KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_NETWORK,
                                                            "GET http://alice:hunter2@127.0.0.1:1/syncs: refused");
  g_autoptr (GError)         refused = g_error_new_literal (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "401");
  gint64                     began;

  g_assert_cmpint (status->state, ==, KIOS_SYNC_STATUS_NEVER);
  g_assert_cmpint (status->synced_at, ==, 0);

  kios_sync_status_apply (status, offline, "127.0.0.1:1");
  g_assert_cmpint (status->state, ==, KIOS_SYNC_STATUS_OFFLINE);
  g_assert_cmpint (status->synced_at, ==, 0);
  g_assert_true (status->error_domain == KIOS_HTTP_ERROR);
  g_assert_cmpint (status->error_code, ==, KIOS_HTTP_ERROR_NETWORK);
  g_assert_null (strstr (status->detail, "hunter2"));
  g_assert_cmpstr (status->server, ==, "127.0.0.1:1");

  began = status->time = 1000;
  kios_sync_status_apply (status, offline, NULL);
  g_assert_cmpint (status->time, ==, began);
  kios_sync_status_apply (status, refused, NULL);
  g_assert_cmpint (status->state, ==, KIOS_SYNC_STATUS_REFUSED);
  g_assert_cmpint (status->time, >, began);

  copy = kios_sync_status_copy (status);
  g_assert_true (kios_sync_status_equal (copy, status));
  kios_sync_status_apply (status, NULL, NULL);
  g_assert_false (kios_sync_status_equal (copy, status));
  g_assert_cmpint (status->state, ==, KIOS_SYNC_STATUS_SYNCED);
  g_assert_cmpint (status->synced_at, >, 0);
  g_assert_null (status->detail);
  g_assert_cmpuint (status->error_domain, ==, 0);
  g_assert_cmpstr (status->server, ==, "127.0.0.1:1");
}

/* ---- in the store ----------------------------------------------------------- */

static char *
db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "kios", "library.db", NULL);
}

static KiosLibraryStore *
open_store (const char *path)
{
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store = kios_library_store_new (path, &error);

  g_assert_no_error (error);
  return store;
}

static void
close_store (KiosLibraryStore *store)
{
  g_assert_true (kios_library_store_flush (store, 10000));
  g_assert_finalize_object (store);
}

static void
test_store_status (void)
{
  g_autofree char             *path = db_path ();
  g_autoptr (KiosSyncStatus)   offline = kios_sync_status_new ("kosync", "Home", NULL);
  g_autoptr (KiosSyncStatus)   book = kios_sync_status_new ("kosync", "Home", HASH_A);
  g_autoptr (KiosSyncStatus)   got = NULL;
  g_autoptr (GPtrArray)        rows = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (GError)           failure = g_error_new_literal (KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT,
                                                              "no answer within 15000 ms");
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  KiosLibraryStore            *store;

  store = open_store (path);
  record->name = g_strdup ("Home");
  record->kind = g_strdup ("kosync");
  g_assert_true (kios_library_store_add_source (store, record, &error));

  got = kios_library_store_get_sync_status (store, "Home", NULL, &error);
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_assert_null (got);
  g_clear_error (&error);

  kios_sync_status_apply (offline, failure, "127.0.0.1:9");
  offline->pending_since = 1234;
  kios_library_store_set_sync_status (store, offline);
  kios_sync_status_apply (book, NULL, "127.0.0.1:9");
  kios_library_store_set_sync_status (store, book);
  close_store (store);

  /* A relaunch reads exactly what was stored. */
  store = open_store (path);
  got = kios_library_store_get_sync_status (store, "Home", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kios_sync_status_equal (got, offline));
  g_assert_cmpint (got->time, ==, offline->time);
  g_assert_true (got->error_domain == KIOS_HTTP_ERROR);
  g_assert_cmpint (got->error_code, ==, KIOS_HTTP_ERROR_TIMEOUT);
  g_assert_null (got->book_hash);
  g_clear_pointer (&got, kios_sync_status_free);

  rows = kios_library_store_list_sync_status (store, HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_true (kios_sync_status_equal (rows->pdata[0], book));
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = kios_library_store_list_sync_status (store, NULL, &error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((KiosSyncStatus *) rows->pdata[0])->source, ==, "Home");
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* The statuses follow a rename and go with the source. */
  g_free (record->name);
  record->name = g_strdup ("Away");
  g_assert_true (kios_library_store_update_source (store, record, &error));
  got = kios_library_store_get_sync_status (store, "Away", HASH_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->state, ==, KIOS_SYNC_STATUS_SYNCED);
  g_clear_pointer (&got, kios_sync_status_free);
  g_assert_true (kios_library_store_remove_source (store, "Away", &error));
  rows = kios_library_store_list_sync_status (store, NULL, &error);
  g_assert_cmpuint (rows->len, ==, 0);
  close_store (store);
}

static void
test_store_log (void)
{
  g_autofree char      *path = db_path ();
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError)    error = NULL;
  KiosLibraryStore     *store;
  KiosSyncLogEntry     *entry;

  store = open_store (path);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (KiosSyncLogEntry) e = kios_sync_log_entry_new ("kosync", "Home", HASH_A,
                                                                i % 2 ? "pull" : "push",
                                                                i == 2 ? "offline" : "synced", NULL);

      e->detail = g_strdup_printf ("exchange %d via http://bob:s3cret@example.org/x", i);
      e->precision = g_strdup ("exact");
      if (i == 1)
        e->remote = g_strdup ("{\"xpointer\":\"/body/DocFragment[3]/body/p[2]/text().0\"}");
      kios_library_store_add_sync_log (store, e);
    }
  /* Another book, and a v1-style line (kiosctl, the Readium backend). */
  {
    g_autoptr (KiosSyncLogEntry) other = kios_sync_log_entry_new ("kobo", "Kobo", HASH_B, "push",
                                                                  "synced", "ok");

    kios_library_store_add_sync_log (store, other);
  }
  kios_library_store_log_sync (store, HASH_A, "Home", "push-failed", "502");
  kios_library_store_log_sync (store, NULL, "Home", "account", "locked keyring");

  entries = kios_library_store_list_sync_log (store, HASH_A, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 4);
  /* Newest first. */
  entry = entries->pdata[0];
  g_assert_cmpstr (entry->direction, ==, "push");
  g_assert_cmpstr (entry->result, ==, "server-error");
  g_assert_cmpstr (entry->detail, ==, "502");
  entry = entries->pdata[1];
  g_assert_cmpstr (entry->direction, ==, "push");
  g_assert_cmpstr (entry->result, ==, "offline");
  g_assert_cmpstr (entry->protocol, ==, "kosync");
  g_assert_cmpstr (entry->source, ==, "Home");
  g_assert_cmpstr (entry->precision, ==, "exact");
  g_assert_cmpstr (entry->book_hash, ==, HASH_A);
  g_assert_cmpint (entry->time, >, 0);
  g_assert_nonnull (strstr (entry->detail, "exchange 2"));
  g_assert_null (strstr (entry->detail, "s3cret"));
  entry = entries->pdata[2];
  g_assert_cmpstr (entry->direction, ==, "pull");
  g_assert_nonnull (strstr (entry->remote, "DocFragment[3]"));
  entry = entries->pdata[3];
  g_assert_null (entry->remote);
  g_assert_nonnull (strstr (entry->detail, "exchange 0"));
  g_clear_pointer (&entries, g_ptr_array_unref);

  entries = kios_library_store_list_sync_log (store, HASH_A, 2, &error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_clear_pointer (&entries, g_ptr_array_unref);
  /* Every book (no account diagnostics). */
  entries = kios_library_store_list_sync_log (store, NULL, 0, &error);
  g_assert_cmpuint (entries->len, ==, 5);
  g_assert_cmpstr (((KiosSyncLogEntry *) entries->pdata[1])->book_hash, ==, HASH_B);
  close_store (store);
}

/* A library written by the previous Kios (schema 1) opens and keeps its log. */
static const char schema_v1[] =
    "CREATE TABLE books (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, path TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0, format TEXT, title TEXT, authors TEXT, cover_path TEXT,"
    "  added_at INTEGER NOT NULL DEFAULT 0, last_opened_at INTEGER NOT NULL DEFAULT 0,"
    "  progress REAL NOT NULL DEFAULT 0);"
    "CREATE TABLE book_meta (hash TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
    "  PRIMARY KEY (hash, key));"
    "CREATE TABLE positions (hash TEXT PRIMARY KEY, format TEXT NOT NULL, chapter INTEGER NOT NULL,"
    "  chapter_href TEXT, chapter_title TEXT, char_offset INTEGER NOT NULL,"
    "  chapter_progress REAL NOT NULL, total_progress REAL NOT NULL, xpointer TEXT,"
    "  updated_at INTEGER NOT NULL, device TEXT, device_id TEXT);"
    "CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    "  url TEXT, auth TEXT, username TEXT, settings_json TEXT);"
    "CREATE TABLE sync_state (hash TEXT NOT NULL, source TEXT NOT NULL, pending_json TEXT,"
    "  pending_updated_at INTEGER, pending_since INTEGER, last_pushed_json TEXT,"
    "  last_pushed_at INTEGER, last_remote_json TEXT, last_remote_at INTEGER,"
    "  PRIMARY KEY (hash, source));"
    "CREATE TABLE sync_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, hash TEXT, source TEXT,"
    "  event TEXT NOT NULL, detail TEXT);"
    "INSERT INTO sources (name, kind, url, auth, username) VALUES"
    "  ('Home', 'kosync', 'http://127.0.0.1:1', 'headers', 'alice');"
    "INSERT INTO sync_log (at, hash, source, event, detail) VALUES"
    "  (100, '" HASH_A "', 'Home', 'push', 'Position sent'),"
    "  (200, '" HASH_A "', 'Home', 'pull-failed', 'GET: refused'),"
    "  (300, '" HASH_A "', 'Home', 'readium-put', 'stored'),"
    "  (400, NULL, 'Home', 'account', 'locked');"
    "PRAGMA user_version = 1;";

static void
test_migrate_v1 (void)
{
  g_autofree char           *path = db_path ();
  g_autofree char           *dir = g_path_get_dirname (path);
  g_autoptr (GPtrArray)      entries = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosSyncStatus) status = kios_sync_status_new ("kosync", "Home", NULL);
  KiosLibraryStore          *store;
  KiosSyncLogEntry          *entry;
  sqlite3                   *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v1, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = open_store (path);
  entries = kios_library_store_list_sync_log (store, HASH_A, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 3);
  entry = entries->pdata[0];
  g_assert_cmpint (entry->time, ==, 300);
  g_assert_cmpstr (entry->direction, ==, "push");
  g_assert_cmpstr (entry->result, ==, "synced");
  entry = entries->pdata[1];
  g_assert_cmpstr (entry->direction, ==, "pull");
  g_assert_cmpstr (entry->result, ==, "server-error");
  g_assert_cmpstr (entry->detail, ==, "GET: refused");
  entry = entries->pdata[2];
  g_assert_cmpstr (entry->direction, ==, "push");
  g_assert_cmpstr (entry->result, ==, "synced");
  g_assert_null (entry->precision);

  /* The new table works at once. */
  kios_library_store_set_sync_status (store, status);
  g_clear_pointer (&status, kios_sync_status_free);
  status = kios_library_store_get_sync_status (store, "Home", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status->state, ==, KIOS_SYNC_STATUS_NEVER);
  close_store (store);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
    sqlite3_finalize (stmt);
  }
  sqlite3_close (db);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/sync-status/state-for-error", test_state_for_error);
  g_test_add_func ("/kios/sync-status/words", test_words);
  g_test_add_func ("/kios/sync-status/apply", test_apply);
  g_test_add_func ("/kios/sync-status/store-status", test_store_status);
  g_test_add_func ("/kios/sync-status/store-log", test_store_log);
  g_test_add_func ("/kios/sync-status/migrate-v1", test_migrate_v1);

  return g_test_run ();
}
