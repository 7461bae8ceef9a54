/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libsecret is loaded by the first call, not linked: a process that has
 * made none has none of it, and one where it cannot be loaded gets the
 * "no Secret Service" error on every call, without a crash. The tests
 * share the process's one load and run in order. */

#define G_LOG_DOMAIN "test-secrets-absent"

#include "config.h"

#include "kios-secrets-private.h"
#include "kios-secrets.h"
#include "kios-sync-error.h"
#include "kios-test-util.h"

#include <string.h>

#define ABSENT_SONAME "libkios-absent-secret.so.0"

static void
test_not_linked (void)
{
  g_assert_false (kios_test_library_mapped ("libsecret"));
}

static void
test_load_fails (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (kios_secrets_load_from (ABSENT_SONAME, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
  g_test_message ("core: %s", error->message);
  g_assert_nonnull (strstr (error->message, ABSENT_SONAME));
  g_clear_error (&error);
  /* Decided once for the process. */
  g_assert_false (kios_secrets_load_from (KIOS_SECRETS_SONAME, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_calls_fail (void)
{
  g_autoptr (GError)       error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char         *secret = NULL;

  g_assert_false (kios_secrets_store_sync ("Calibre", KIOS_SECRET_KIND_PASSWORD, "hunter2", NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
  g_clear_error (&error);

  g_assert_null (kios_secrets_lookup_sync ("Calibre", KIOS_SECRET_KIND_PASSWORD, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
  g_clear_error (&error);

  g_assert_false (kios_secrets_clear_sync ("Calibre", KIOS_SECRET_KIND_PASSWORD, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
  g_clear_error (&error);

  /* Through the worker, as the app calls it. */
  kios_secrets_lookup_async ("Calibre", KIOS_SECRET_KIND_PASSWORD, NULL, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  secret = kios_secrets_lookup_finish (result, &error);
  g_assert_null (secret);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
  /* The message still says what to do. */
  g_assert_nonnull (strstr (error->message, "Secret Service"));

  g_assert_false (kios_test_library_mapped ("libsecret"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/kios/secrets/absent/not-linked", test_not_linked);
  g_test_add_func ("/kios/secrets/absent/load-fails", test_load_fails);
  g_test_add_func ("/kios/secrets/absent/calls-fail", test_calls_fail);
  return g_test_run ();
}
