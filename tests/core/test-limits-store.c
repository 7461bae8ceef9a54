/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-limits-store"

#include "config.h"

#include "kios-library-store.h"
#include "kios-limits.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The library store's limits (kios-limits.h), each crossed on a real
 * SQLite file: the value at the limit is kept whole, one past it is cut
 * as documented.
 */

static KiosLibraryStore *
open_store (void)
{
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "kios", NULL);
  g_autofree char   *path = g_build_filename (dir, "library.db", NULL);
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store;

  g_mkdir_with_parents (dir, 0700);
  store = kios_library_store_new (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
close_store (KiosLibraryStore *store)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (kios_library_store_flush (store, 10000));
  while (g_atomic_int_get (&G_OBJECT (store)->ref_count) > 1 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_object_unref (store);
}

static GPtrArray *
list_log (KiosLibraryStore *store)
{
  g_autoptr (GError) error = NULL;
  GPtrArray         *entries;

  g_assert_true (kios_library_store_flush (store, 10000));
  entries = kios_library_store_list_sync_log (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entries);
  return entries;
}

static void
log_push (KiosLibraryStore *store,
          guint             n)
{
  g_autofree char *detail = g_strdup_printf ("push %u ok", n);

  kios_library_store_log_sync (store, NULL, "kosync", "push", detail);
}

static void
test_sync_log_rows (void)
{
  KiosLibraryStore       *store = open_store ();
  g_autoptr (GPtrArray)   at = NULL;
  g_autoptr (GPtrArray)   past = NULL;
  const KiosSyncLogEntry *oldest;

  /* At the limit: every row is kept, the first one too (newest first). */
  for (guint i = 0; i < KIOS_LIMIT_STORE_SYNC_LOG_ROWS; i++)
    log_push (store, i);
  at = list_log (store);
  g_assert_cmpuint (at->len, ==, KIOS_LIMIT_STORE_SYNC_LOG_ROWS);
  oldest = at->pdata[at->len - 1];
  g_assert_cmpstr (oldest->detail, ==, "push 0 ok");

  /* One past: the oldest row goes, the newest is there. */
  log_push (store, KIOS_LIMIT_STORE_SYNC_LOG_ROWS);
  past = list_log (store);
  g_assert_cmpuint (past->len, ==, KIOS_LIMIT_STORE_SYNC_LOG_ROWS);
  oldest = past->pdata[past->len - 1];
  g_assert_cmpstr (oldest->detail, ==, "push 1 ok");
  g_assert_cmpstr (((KiosSyncLogEntry *) past->pdata[0])->detail, ==, "push 1000 ok");

  close_store (store);
}

static const char *
newest_detail (GPtrArray *entries)
{
  g_assert_cmpuint (entries->len, >, 0);
  return ((KiosSyncLogEntry *) entries->pdata[0])->detail;
}

static void
test_sync_log_detail (void)
{
  KiosLibraryStore     *store = open_store ();
  g_autoptr (GString)   at = g_string_new (NULL);
  g_autoptr (GString)   past = NULL;
  g_autoptr (GString)   wide = g_string_new (NULL);
  g_autoptr (GPtrArray) e_at = NULL;
  g_autoptr (GPtrArray) e_past = NULL;
  g_autoptr (GPtrArray) e_wide = NULL;
  const char           *detail;

  /* Bytes: at the limit the detail is kept whole. */
  for (guint i = 0; i < KIOS_LIMIT_STORE_SYNC_LOG_DETAIL; i++)
    g_string_append_c (at, 'a' + i % 26);
  kios_library_store_log_sync (store, NULL, "kosync", "push", at->str);
  e_at = list_log (store);
  detail = newest_detail (e_at);
  g_assert_cmpuint (strlen (detail), ==, KIOS_LIMIT_STORE_SYNC_LOG_DETAIL);
  g_assert_true (g_str_equal (detail, at->str));

  /* One byte past: cut to the limit. */
  past = g_string_new (at->str);
  g_string_append_c (past, '!');
  kios_library_store_log_sync (store, NULL, "kosync", "push", past->str);
  e_past = list_log (store);
  detail = newest_detail (e_past);
  g_assert_cmpuint (strlen (detail), ==, KIOS_LIMIT_STORE_SYNC_LOG_DETAIL);
  g_assert_true (g_str_equal (detail, at->str));

  /* A two-byte character across the limit is dropped whole, never split. */
  g_string_append (wide, "x");
  while (wide->len < KIOS_LIMIT_STORE_SYNC_LOG_DETAIL + 2)
    g_string_append (wide, "é");
  kios_library_store_log_sync (store, NULL, "kosync", "push", wide->str);
  e_wide = list_log (store);
  detail = newest_detail (e_wide);
  g_assert_cmpuint (strlen (detail), ==, KIOS_LIMIT_STORE_SYNC_LOG_DETAIL - 1);
  g_assert_true (g_utf8_validate (detail, -1, NULL));
  g_assert_true (strncmp (detail, wide->str, strlen (detail)) == 0);

  close_store (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/limits-store/sync-log-rows", test_sync_log_rows);
  g_test_add_func ("/kios/limits-store/sync-log-detail", test_sync_log_detail);

  return g_test_run ();
}
