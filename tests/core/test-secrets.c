/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-secrets"

#include "config.h"

#include "kios-redact.h"
#include "kios-secrets.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <glib/gstdio.h>
#include <string.h>

static char *keyring_path;

static void
test_store_lookup_clear (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *found = NULL;
  g_autofree char   *contents = NULL;
  gsize              len = 0;

  g_assert_true (kios_secrets_store_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, "s3cret-one", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_secrets_store_sync ("My Kavita", KIOS_SECRET_KIND_URL,
                                          "https://h:5000/api/koreader/KEY123", NULL, &error));
  g_assert_no_error (error);

  found = kios_secrets_lookup_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "s3cret-one");
  g_clear_pointer (&found, g_free);

  /* Keyed by source and kind: neither alone matches. */
  found = kios_secrets_lookup_sync ("My CWA", KIOS_SECRET_KIND_URL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);
  found = kios_secrets_lookup_sync ("Other", KIOS_SECRET_KIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);

  /* Storing again replaces. */
  g_assert_true (kios_secrets_store_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, "s3cret-two", NULL, &error));
  found = kios_secrets_lookup_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, NULL, &error);
  g_assert_cmpstr (found, ==, "s3cret-two");
  g_clear_pointer (&found, g_free);

  /* The keyring file exists and does not hold the plaintext. */
  g_assert_true (g_file_get_contents (keyring_path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 0);
  g_assert_null (g_strstr_len (contents, len, "s3cret-two"));
  g_assert_null (g_strstr_len (contents, len, "KEY123"));

  g_assert_true (kios_secrets_clear_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, NULL, &error));
  g_assert_no_error (error);
  found = kios_secrets_lookup_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);
  /* Clearing what is not there is fine. */
  g_assert_true (kios_secrets_clear_sync ("My CWA", KIOS_SECRET_KIND_PASSWORD, NULL, &error));
  g_assert_no_error (error);

  found = kios_secrets_lookup_sync ("My Kavita", KIOS_SECRET_KIND_URL, NULL, &error);
  g_assert_cmpstr (found, ==, "https://h:5000/api/koreader/KEY123");
  g_assert_true (kios_secrets_clear_sync ("My Kavita", KIOS_SECRET_KIND_URL, NULL, &error));
}

static void
test_registered_for_redaction (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *text = NULL;

  g_assert_true (kios_secrets_store_sync ("R", KIOS_SECRET_KIND_TOKEN, "tok-9f8e7d", NULL, &error));
  text = kios_redact_text ("failed with tok-9f8e7d");
  g_assert_cmpstr (text, ==, "failed with REDACTED");
  g_assert_true (kios_secrets_clear_sync ("R", KIOS_SECRET_KIND_TOKEN, NULL, &error));
}

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
  char      *secret;
  GError    *error;
} AsyncData;

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  AsyncData *data = user_data;

  data->ok = kios_secrets_store_finish (result, &data->error);
  g_main_loop_quit (data->loop);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  AsyncData *data = user_data;

  data->secret = kios_secrets_lookup_finish (result, &data->error);
  g_main_loop_quit (data->loop);
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  AsyncData *data = user_data;

  data->ok = kios_secrets_clear_finish (result, &data->error);
  g_main_loop_quit (data->loop);
}

static gboolean
fail_timeout_cb (gpointer user_data)
{
  g_error ("test timed out");
  return G_SOURCE_REMOVE;
}

static void
test_async (void)
{
  AsyncData data = { g_main_loop_new (NULL, FALSE) };
  guint     guard = g_timeout_add_seconds (20, fail_timeout_cb, NULL);

  kios_secrets_store_async ("A", KIOS_SECRET_KIND_PASSWORD, "async-pw", NULL, store_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_true (data.ok);

  kios_secrets_lookup_async ("A", KIOS_SECRET_KIND_PASSWORD, NULL, lookup_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_cmpstr (data.secret, ==, "async-pw");
  g_clear_pointer (&data.secret, g_free);

  data.ok = FALSE;
  kios_secrets_clear_async ("A", KIOS_SECRET_KIND_PASSWORD, NULL, clear_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_true (data.ok);

  kios_secrets_lookup_async ("A", KIOS_SECRET_KIND_PASSWORD, NULL, lookup_cb, &data);
  g_main_loop_run (data.loop);
  g_assert_no_error (data.error);
  g_assert_null (data.secret);

  g_source_remove (guard);
  g_main_loop_unref (data.loop);
}

static void
test_no_secret_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *found = NULL;

      /* The D-Bus service backend with a bus that is not there. */
      g_setenv ("SECRET_BACKEND", "service", TRUE);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);
      g_unsetenv ("DISPLAY");

      g_assert_false (kios_secrets_store_sync ("S", KIOS_SECRET_KIND_PASSWORD, "never-plain", NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
      g_assert_nonnull (strstr (error->message, "No Secret Service"));
      g_assert_nonnull (strstr (error->message, "never stores passwords in plain text"));
      g_assert_null (strstr (error->message, "never-plain"));
      g_clear_error (&error);

      found = kios_secrets_lookup_sync ("S", KIOS_SECRET_KIND_PASSWORD, NULL, &error);
      g_assert_null (found);
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_source_layout (void)
{
  static const struct
  {
    const char *kind;
    const char *url;
    gboolean    secret;
  } urls[] = {
    { "kosync", "https://h:8083/kosync", FALSE },
    { "kosync", "https://h:6062/api/koreader", FALSE },
    { "kosync", "https://h:25600/koreader", FALSE },
    { "kosync", "https://h:5000/api/koreader/0123456789abcdef", TRUE },
    { "kosync", "https://h:10801/koreader/stump_key", TRUE },
    { "opds", "https://h:8083/opds", FALSE },
    { "opds", "https://bob:pw@h/opds", TRUE },
    { "opds", "https://h:5000/api/opds/KEY", TRUE },
    { "opds", "https://h/feed?apikey=zz", TRUE },
    { "kobo", "https://h:8083/kobo/token", TRUE },
  };
  static const struct
  {
    const char *user;
    gboolean    secret;
  } users[] = {
    { "bob", FALSE },
    { "reader@example.org", FALSE },
    { "0f3c2e1d9a8b7c6d5e4f3a2b1c0d9e8f", TRUE },
    { "komga_api-key_ABCDEFGHIJ", TRUE },
    { "a very long user name with spaces", FALSE },
    { NULL, FALSE },
  };
  g_autoptr (GError) error = NULL;
  KiosSourceRecord   record = { 0 };
  g_autofree char   *url = NULL;
  g_autofree char   *user = NULL;
  g_autofree char   *password = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    g_assert_cmpint (kios_sync_source_url_is_secret (urls[i].kind, urls[i].url), ==, urls[i].secret);
  for (gsize i = 0; i < G_N_ELEMENTS (users); i++)
    g_assert_cmpint (kios_sync_source_username_is_secret (users[i].user), ==, users[i].secret);

  /* Kavita: the whole URL goes to the keyring, the record keeps NULL. */
  record.name = (char *) "Kavita";
  record.kind = (char *) "kosync";
  g_assert_true (kios_sync_source_save_secrets (&record, "https://h:5000/api/koreader/KAVKEY99", NULL,
                                                NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (record.url);
  g_assert_null (record.username);
  g_assert_true (kios_sync_source_load (&record, &url, &user, &password, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "https://h:5000/api/koreader/KAVKEY99");
  g_assert_null (user);
  g_assert_null (password);
  g_clear_pointer (&url, g_free);

  /* Komga: the API-key user name goes to the keyring too. */
  record.name = (char *) "Komga";
  g_assert_true (kios_sync_source_save_secrets (&record, "https://h:25600/koreader",
                                                "0f3c2e1d9a8b7c6d5e4f3a2b1c0d9e8f", "anything", NULL, &error));
  g_assert_cmpstr (record.url, ==, "https://h:25600/koreader");
  g_assert_null (record.username);
  g_assert_true (kios_sync_source_load (&record, &url, &user, &password, NULL, &error));
  g_assert_cmpstr (user, ==, "0f3c2e1d9a8b7c6d5e4f3a2b1c0d9e8f");
  g_assert_cmpstr (password, ==, "anything");
  g_clear_pointer (&record.url, g_free);

  g_assert_true (kios_sync_source_clear_secrets ("Kavita", NULL, &error));
  g_assert_true (kios_sync_source_clear_secrets ("Komga", NULL, &error));
  record.name = (char *) "Kavita";
  g_clear_pointer (&url, g_free);
  /* Gone from the keyring: loading says so instead of guessing. */
  g_assert_false (kios_sync_source_load (&record, &url, NULL, NULL, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* libsecret's file backend: no D-Bus, an encrypted keyring file. */
  if (!g_test_subprocess ())
    {
      dir = g_dir_make_tmp ("kios-secrets-XXXXXX", NULL);
      g_assert_nonnull (dir);
      keyring_path = g_build_filename (dir, "test.keyring", NULL);
      g_setenv ("SECRET_BACKEND", "file", TRUE);
      g_setenv ("SECRET_FILE_TEST_PATH", keyring_path, TRUE);
      g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-keyring", TRUE);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);
    }

  g_test_add_func ("/kios/secrets/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/kios/secrets/registered-for-redaction", test_registered_for_redaction);
  g_test_add_func ("/kios/secrets/async", test_async);
  g_test_add_func ("/kios/secrets/source-layout", test_source_layout);
  g_test_add_func ("/kios/secrets/no-secret-service", test_no_secret_service);

  {
    int rc = g_test_run ();
    if (keyring_path != NULL)
      {
        g_unlink (keyring_path);
        g_rmdir (dir);
      }
    g_free (keyring_path);
    return rc;
  }
}
