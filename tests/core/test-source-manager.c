/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-source-manager"

#include "config.h"

#include "kios-error.h"
#include "kios-fake-kosync.h"
#include "kios-fake-opds.h"
#include "kios-opds-client.h"
#include "kios-secrets.h"
#include "kios-source-manager-private.h"
#include "kios-source-manager.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define ATOM "application/atom+xml;profile=opds-catalog;kind=navigation"
#define LOGIN_PAGE "<!DOCTYPE html><html><head><title>Login</title></head><body><form>Sign in</form></body></html>"

static char *
db_path (void)
{
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  return g_build_filename (g_get_user_data_dir (), "library.db", NULL);
}

static KiosLibraryStore *
open_store (void)
{
  g_autofree char   *path = db_path ();
  g_autoptr (GError) error = NULL;
  KiosLibraryStore  *store = kios_library_store_new (path, &error);

  g_assert_no_error (error);
  return store;
}

static char *
secret (const char *name,
        const char *kind)
{
  g_autoptr (GError) error = NULL;
  char              *value = kios_secrets_lookup_sync (name, kind, NULL, &error);

  g_assert_no_error (error);
  return value;
}

static void
changed_cb (KiosSourceManager *manager,
            guint             *count)
{
  (*count)++;
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Add, edit, rename, remove: the store and the keyring agree after each. */
static void
test_add_rename_remove (void)
{
  g_autoptr (KiosLibraryStore)  store = open_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosSourceSpec)    spec = kios_source_spec_new ("Calibre", "opds", "https://books.example/opds", "reader",
                                                             "pw-one");
  g_autoptr (KiosSourceSpec)    loaded = NULL;
  g_autoptr (KiosSourceRecord)  record = NULL;
  g_autoptr (KiosSourceRecord)  renamed = NULL;
  g_autoptr (KiosSourceRecord)  gone = NULL;
  g_autoptr (GError)            error = NULL;
  g_autofree char              *value = NULL;
  guint                         changes = 0;

  g_signal_connect (manager, "changed", G_CALLBACK (changed_cb), &changes);

  record = kios_source_manager_add (manager, spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->id, >, 0);
  g_assert_cmpstr (record->auth, ==, "basic");
  g_assert_cmpstr (record->url, ==, "https://books.example/opds");
  value = secret ("Calibre", KIOS_SECRET_KIND_PASSWORD);
  g_assert_cmpstr (value, ==, "pw-one");
  g_clear_pointer (&value, g_free);
  drain ();
  g_assert_cmpuint (changes, ==, 1);

  /* Edited with a new password and renamed: the id stays, the secrets move. */
  g_free (spec->password);
  spec->password = g_strdup ("pw-two");
  g_free (spec->name);
  spec->name = g_strdup ("Home Calibre");
  renamed = kios_source_manager_update (manager, "Calibre", spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (renamed->id, ==, record->id);
  g_assert_null (kios_library_store_get_source (store, "Calibre", NULL));
  value = secret ("Calibre", KIOS_SECRET_KIND_PASSWORD);
  g_assert_null (value);
  value = secret ("Home Calibre", KIOS_SECRET_KIND_PASSWORD);
  g_assert_cmpstr (value, ==, "pw-two");
  g_clear_pointer (&value, g_free);

  /* rename alone carries every secret along, and the books that came from it. */
  kios_library_store_set_book_meta (store, "0123456789abcdef0123456789abcdef", "opds.source", "Home Calibre");
  g_assert_true (kios_source_manager_rename (manager, "Home Calibre", "Attic", NULL, &error));
  g_assert_no_error (error);
  value = kios_library_store_get_book_meta (store, "0123456789abcdef0123456789abcdef", "opds.source");
  g_assert_cmpstr (value, ==, "Attic");
  g_clear_pointer (&value, g_free);
  loaded = kios_source_manager_load (manager, "Attic", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->url, ==, "https://books.example/opds");
  g_assert_cmpstr (loaded->username, ==, "reader");
  g_assert_cmpstr (loaded->password, ==, "pw-two");
  value = secret ("Home Calibre", KIOS_SECRET_KIND_PASSWORD);
  g_assert_null (value);

  /* A key in the URL (Kavita): the whole URL goes to the keyring. */
  {
    g_autoptr (KiosSourceSpec)   kavita = kios_source_spec_new ("Kavita", "opds", "https://h:5000/api/opds/KAVKEY42",
                                                                NULL, NULL);
    g_autoptr (KiosSourceRecord) kept = kios_source_manager_add (manager, kavita, NULL, &error);

    g_assert_no_error (error);
    g_assert_null (kept->url);
    g_assert_cmpstr (kept->auth, ==, "none");
    value = secret ("Kavita", KIOS_SECRET_KIND_URL);
    g_assert_cmpstr (value, ==, "https://h:5000/api/opds/KAVKEY42");
    g_clear_pointer (&value, g_free);
    g_assert_true (kios_source_manager_rename (manager, "Kavita", "Kavita 2", NULL, &error));
    value = secret ("Kavita", KIOS_SECRET_KIND_URL);
    g_assert_null (value);
    value = secret ("Kavita 2", KIOS_SECRET_KIND_URL);
    g_assert_cmpstr (value, ==, "https://h:5000/api/opds/KAVKEY42");
    g_clear_pointer (&value, g_free);
    g_assert_true (kios_source_manager_remove (manager, "Kavita 2", NULL, &error));
    value = secret ("Kavita 2", KIOS_SECRET_KIND_URL);
    g_assert_null (value);
  }

  /* Removing takes the row and the secrets. */
  g_assert_true (kios_source_manager_remove (manager, "Attic", NULL, &error));
  g_assert_no_error (error);
  gone = kios_library_store_get_source (store, "Attic", NULL);
  g_assert_null (gone);
  value = secret ("Attic", KIOS_SECRET_KIND_PASSWORD);
  g_assert_null (value);
  g_assert_false (kios_source_manager_remove (manager, "Attic", NULL, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  drain ();
  g_assert_cmpuint (changes, ==, 7);
}

/* A taken name or a second KOReader account fails before touching the
 * keyring: the source that has the name keeps its password. */
static void
test_taken_names (void)
{
  g_autoptr (KiosLibraryStore)  store = open_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosSourceSpec)    first = kios_source_spec_new ("Sync", "kosync", "https://h:8083/kosync", "bob", "first-pw");
  g_autoptr (KiosSourceSpec)    again = kios_source_spec_new ("Sync", "opds", "https://h/opds", "eve", "second-pw");
  g_autoptr (KiosSourceSpec)    other = kios_source_spec_new ("Other", "kosync", "https://h:6062/api/koreader", "eve",
                                                              "third-pw");
  g_autoptr (KiosSourceSpec)    bad = kios_source_spec_new ("Bad", "opds", "ftp://h/opds", NULL, NULL);
  g_autoptr (KiosSourceRecord)  record = NULL;
  g_autoptr (GError)            error = NULL;
  g_autofree char              *value = NULL;
  g_autoptr (GPtrArray)         sources = NULL;

  record = kios_source_manager_add (manager, first, NULL, &error);
  g_assert_no_error (error);
  /* /kosync without an explicit method: HTTP Basic, as CWA needs. */
  g_assert_cmpstr (record->auth, ==, "basic");
  g_clear_pointer (&record, kios_source_record_free);

  record = kios_source_manager_add (manager, again, NULL, &error);
  g_assert_null (record);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  record = kios_source_manager_add (manager, other, NULL, &error);
  g_assert_null (record);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "already set up"));
  g_clear_error (&error);
  record = kios_source_manager_add (manager, bad, NULL, &error);
  g_assert_null (record);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL);
  g_clear_error (&error);

  value = secret ("Sync", KIOS_SECRET_KIND_PASSWORD);
  g_assert_cmpstr (value, ==, "first-pw");
  g_clear_pointer (&value, g_free);
  value = secret ("Other", KIOS_SECRET_KIND_PASSWORD);
  g_assert_null (value);
  sources = kios_source_manager_list (manager, &error);
  g_assert_cmpuint (sources->len, ==, 1);

  /* A rename onto a taken name changes nothing either. */
  {
    g_autoptr (KiosSourceSpec)   cat = kios_source_spec_new ("Cat", "opds", "https://h/opds", NULL, NULL);
    g_autoptr (KiosSourceRecord) added = kios_source_manager_add (manager, cat, NULL, &error);

    g_assert_no_error (error);
    g_assert_false (kios_source_manager_rename (manager, "Cat", "Sync", NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error (&error);
    value = secret ("Sync", KIOS_SECRET_KIND_PASSWORD);
    g_assert_cmpstr (value, ==, "first-pw");
    g_clear_pointer (&value, g_free);
  }
  g_assert_true (kios_source_manager_remove (manager, "Sync", NULL, &error));
  g_assert_true (kios_source_manager_remove (manager, "Cat", NULL, &error));
}

/* Without a Secret Service, saving a secret fails: no row is left behind,
 * and a source being edited keeps its name and row. */
static void
test_secret_failure (void)
{
  g_autoptr (GError) error = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr (KiosLibraryStore)  store = NULL;
      g_autoptr (KiosLibraryStore)  reopened = NULL;
      g_autoptr (KiosSourceManager) manager = NULL;
      g_autoptr (KiosSourceSpec)    spec = kios_source_spec_new ("Locked", "opds", "https://h/opds", "bob", "pw");
      g_autoptr (KiosSourceSpec)    edit = kios_source_spec_new ("Plain 2", "opds", "https://h/opds", "bob", "pw");
      g_autoptr (KiosSourceRecord)  record = NULL;
      g_autoptr (KiosSourceRecord)  plain = NULL;
      g_autoptr (GPtrArray)         sources = NULL;
      const char                   *path = g_getenv ("KIOS_TEST_DB");

      g_setenv ("SECRET_BACKEND", "service", TRUE);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);
      g_unsetenv ("DISPLAY");

      store = kios_library_store_new (path, &error);
      g_assert_no_error (error);
      manager = kios_source_manager_new (store);

      record = kios_source_manager_add (manager, spec, NULL, &error);
      g_assert_null (record);
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
      g_clear_error (&error);

      record = kios_source_manager_update (manager, "Plain", edit, NULL, &error);
      g_assert_null (record);
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS);
      g_clear_error (&error);
      g_clear_object (&manager);
      g_clear_object (&store);

      /* A fresh look at the file: exactly the source that was there. */
      reopened = kios_library_store_new (path, &error);
      g_assert_no_error (error);
      sources = kios_library_store_list_sources (reopened, &error);
      g_assert_cmpuint (sources->len, ==, 1);
      plain = kios_library_store_get_source (reopened, "Plain", &error);
      g_assert_nonnull (plain);
      g_assert_cmpstr (plain->auth, ==, "none");
      return;
    }

  {
    g_autofree char              *path = db_path ();
    g_autoptr (KiosLibraryStore)  store = open_store ();
    g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
    g_autoptr (KiosSourceSpec)    plain = kios_source_spec_new ("Plain", "opds", "https://h/opds", NULL, NULL);
    g_autoptr (KiosSourceRecord)  record = kios_source_manager_add (manager, plain, NULL, &error);
    g_autoptr (GPtrArray)         sources = NULL;

    g_assert_no_error (error);
    kios_library_store_flush (store, 5000);
    g_setenv ("KIOS_TEST_DB", path, TRUE);
    g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed ();
    g_unsetenv ("KIOS_TEST_DB");

    sources = kios_library_store_list_sources (store, &error);
    g_assert_cmpuint (sources->len, ==, 1);
    g_assert_cmpstr (((KiosSourceRecord *) sources->pdata[0])->name, ==, "Plain");
  }
}

/* Sync off keeps the account; it survives a new store instance; an edit
 * does not switch it back on. */
static void
test_enable_disable (void)
{
  g_autoptr (KiosLibraryStore)  store = open_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosSourceSpec)    spec = kios_source_spec_new ("KOReader sync", "kosync", "https://h:6062/api/koreader",
                                                             "bob", "pw-k");
  g_autoptr (KiosSourceRecord)  record = NULL;
  g_autoptr (KiosSourceRecord)  edited = NULL;
  g_autoptr (KiosSourceSpec)    loaded = NULL;
  g_autoptr (GError)            error = NULL;
  g_autofree char              *value = NULL;

  record = kios_source_manager_add (manager, spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kios_source_record_get_enabled (record));
  g_assert_cmpstr (record->auth, ==, "headers");

  /* NULL names the KOReader sync account. */
  g_assert_true (kios_source_manager_set_enabled (manager, NULL, FALSE, &error));
  g_assert_no_error (error);
  g_clear_object (&manager);
  g_clear_object (&store);

  store = open_store ();
  manager = kios_source_manager_new (store);
  g_clear_pointer (&record, kios_source_record_free);
  record = kios_source_manager_find_kosync (manager, &error);
  g_assert_nonnull (record);
  g_assert_false (kios_source_record_get_enabled (record));
  loaded = kios_source_manager_load (manager, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (loaded->disabled);
  g_assert_cmpstr (loaded->url, ==, "https://h:6062/api/koreader");
  g_assert_cmpstr (loaded->password, ==, "pw-k");
  value = secret ("KOReader sync", KIOS_SECRET_KIND_PASSWORD);
  g_assert_cmpstr (value, ==, "pw-k");

  /* Editing the account (with settings of its own) keeps sync off. */
  g_free (loaded->settings_json);
  loaded->settings_json = g_strdup ("{\"enabled\": true, \"other\": 1}");
  loaded->disabled = FALSE;
  edited = kios_source_manager_update (manager, "KOReader sync", loaded, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (kios_source_record_get_enabled (edited));

  g_assert_true (kios_source_manager_set_enabled (manager, "KOReader sync", TRUE, &error));
  g_clear_pointer (&record, kios_source_record_free);
  record = kios_library_store_get_source (store, "KOReader sync", &error);
  g_assert_true (kios_source_record_get_enabled (record));
  g_assert_false (kios_source_manager_set_enabled (manager, "nobody", TRUE, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (kios_source_manager_remove (manager, "KOReader sync", NULL, &error));
  /* Without an account, NULL finds nothing to switch. */
  g_assert_false (kios_source_manager_set_enabled (manager, NULL, TRUE, &error));
  g_assert_error (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND);
}

static KiosSourceTestResult *
run_test (KiosSourceManager *manager,
          const char        *kind,
          const char        *url,
          const char        *user,
          const char        *password,
          const char        *auth)
{
  g_autoptr (KiosSourceSpec) spec = kios_source_spec_new ("T", kind, url, user, password);
  g_autoptr (GError)         error = NULL;
  KiosSourceTestResult      *result;

  spec->auth = g_strdup (auth);
  result = kios_source_manager_test (manager, spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (result->ok == (result->error == NULL));
  if (result->error != NULL)
    g_test_message ("%s %s: %s", kind, url, result->error->message);
  return result;
}

/* A TCP port on 127.0.0.1 with nothing listening. */
static char *
dead_url (const char *path)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  guint16                     port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);

  g_socket_listener_close (listener);
  return g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
}

static void
test_kosync (void)
{
  g_autoptr (KiosLibraryStore)     store = open_store ();
  g_autoptr (KiosSourceManager)    manager = kios_source_manager_new (store);
  g_autoptr (KiosFakeKosync)       fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_CWA);
  g_autofree char                 *base = kios_fake_kosync_get_base_url (fake);
  g_autofree char                 *dead = dead_url ("/kosync");
  g_autoptr (KiosSourceTestResult) result = NULL;

  kios_fake_kosync_add_user (fake, "bob", "right-pw");

  result = run_test (manager, "kosync", base, "bob", "right-pw", "basic");
  g_assert_true (result->ok);
  g_assert_null (result->suggested_url);
  g_clear_pointer (&result, kios_source_test_result_free);

  result = run_test (manager, "kosync", base, "bob", "wrong-pw", "basic");
  g_assert_false (result->ok);
  g_assert_error (result->error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_null (strstr (result->error->message, "wrong-pw"));
  g_clear_pointer (&result, kios_source_test_result_free);

  /* The bare host: a suggestion, never a silent switch. */
  result = run_test (manager, "kosync", kios_fake_kosync_get_host_url (fake), "bob", "right-pw", "basic");
  g_assert_false (result->ok);
  g_assert_error (result->error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
  g_assert_cmpstr (result->suggested_url, ==, base);
  g_assert_nonnull (strstr (result->error->message, "Did you mean"));
  g_clear_pointer (&result, kios_source_test_result_free);

  result = run_test (manager, "kosync", dead, "bob", "right-pw", "basic");
  g_assert_false (result->ok);
  g_assert_true (result->error->domain == KIOS_HTTP_ERROR || g_error_matches (result->error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK));
  g_assert_null (result->suggested_url);
}

/* A web page where a catalog was expected (the catalog client's code for it). */
static void
assert_web_page (const GError *error)
{
  g_assert_true (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL) ||
                 g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG));
}

static void
test_opds (void)
{
  g_autoptr (KiosLibraryStore)     store = open_store ();
  g_autoptr (KiosSourceManager)    manager = kios_source_manager_new (store);
  g_autoptr (KiosFakeOpds)         fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_BASIC, "kios", "kios-pass");
  g_autoptr (KiosFakeOpds)         open = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char                 *root = g_strconcat (kios_fake_opds_get_url (fake), "/", NULL);
  g_autofree char                 *catalog = g_strconcat (kios_fake_opds_get_url (fake), "/opds", NULL);
  g_autofree char                 *open_root = g_strconcat (kios_fake_opds_get_url (open), "/", NULL);
  g_autofree char                 *dead = dead_url ("/opds");
  g_autoptr (KiosSourceTestResult) result = NULL;

  kios_fake_opds_add (fake, "/", 200, "text/html; charset=utf-8", LOGIN_PAGE);
  kios_fake_opds_add_fixture (fake, "/opds", ATOM, "calibre-web-root.xml");

  result = run_test (manager, "opds", catalog, "kios", "kios-pass", NULL);
  g_assert_true (result->ok);
  g_assert_cmpstr (result->server, ==, "Calibre-Web");
  g_assert_cmpuint (result->n_entries, >, 0);
  g_clear_pointer (&result, kios_source_test_result_free);

  result = run_test (manager, "opds", catalog, "kios", "not-the-pass", NULL);
  g_assert_false (result->ok);
  g_assert_error (result->error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH);
  g_assert_null (result->suggested_url);
  g_clear_pointer (&result, kios_source_test_result_free);

  /* The server's web page answers at the root: it is not taken for a
   * catalog, and the catalog path that answers a feed is suggested. */
  result = run_test (manager, "opds", root, "kios", "kios-pass", NULL);
  g_assert_false (result->ok);
  assert_web_page (result->error);
  g_assert_cmpstr (result->suggested_url, ==, catalog);
  g_assert_nonnull (strstr (result->error->message, "Did you mean"));
  g_clear_pointer (&result, kios_source_test_result_free);

  /* A path that is not there: the catalog path is suggested, as a wrong address. */
  {
    g_autofree char *missing = g_strconcat (kios_fake_opds_get_url (fake), "/catalog", NULL);

    result = run_test (manager, "opds", missing, "kios", "kios-pass", NULL);
    g_assert_false (result->ok);
    g_assert_error (result->error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL);
    g_assert_cmpstr (result->suggested_url, ==, catalog);
    g_clear_pointer (&result, kios_source_test_result_free);
  }

  /* No catalog anywhere on that server: no suggestion. */
  kios_fake_opds_add (open, "/", 200, "text/html", LOGIN_PAGE);
  result = run_test (manager, "opds", open_root, NULL, NULL, NULL);
  g_assert_false (result->ok);
  assert_web_page (result->error);
  g_assert_null (result->suggested_url);
  g_clear_pointer (&result, kios_source_test_result_free);

  result = run_test (manager, "opds", dead, NULL, NULL, NULL);
  g_assert_false (result->ok);
  g_assert_error (result->error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK);
  g_assert_null (result->suggested_url);
}

static void
test_opds_candidates (void)
{
  g_autoptr (GPtrArray) bare = kios_opds_catalog_candidates ("https://h:8083/");
  g_autoptr (GPtrArray) prefixed = kios_opds_catalog_candidates ("https://h/calibre");
  g_autoptr (GPtrArray) typed = kios_opds_catalog_candidates ("https://h:8083/opds");

  g_assert_cmpstr (bare->pdata[0], ==, "https://h:8083/opds");
  g_assert_cmpuint (bare->len, ==, 7);
  g_assert_cmpstr (bare->pdata[6], ==, "https://h:8083/opds-books");
  /* What was typed is not suggested back. */
  g_assert_cmpuint (typed->len, ==, 2 * bare->len - 1);
  for (guint i = 0; i < typed->len; i++)
    g_assert_cmpstr (typed->pdata[i], !=, "https://h:8083/opds");
  for (guint i = 0; i < bare->len; i++)
    g_assert_true (g_str_has_prefix (bare->pdata[i], "https://h:8083/"));
  /* Under a reverse-proxy prefix first, then at the root. */
  g_assert_cmpstr (prefixed->pdata[0], ==, "https://h/calibre/opds");
  g_assert_cmpuint (prefixed->len, ==, 2 * bare->len);
  g_assert_cmpstr (prefixed->pdata[bare->len], ==, "https://h/opds");
}

typedef struct
{
  gboolean              done;
  KiosSourceTestResult *result;
  GError               *error;
  gint64                at;
} Waiter;

static void
tested_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->result = kios_source_manager_test_finish (KIOS_SOURCE_MANAGER (source), result, &waiter->error);
  waiter->at = g_get_monotonic_time ();
  waiter->done = TRUE;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* A server that never answers: cancelling returns at once. */
static void
test_cancel (void)
{
  g_autoptr (KiosLibraryStore)  store = open_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosFakeKosync)    fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_CWA);
  g_autofree char              *base = kios_fake_kosync_get_base_url (fake);
  g_autoptr (KiosSourceSpec)    spec = kios_source_spec_new ("Hang", "kosync", base, "bob", "pw");
  g_autoptr (GCancellable)      cancellable = g_cancellable_new ();
  Waiter                        waiter = { 0 };
  gint64                        start = g_get_monotonic_time ();

  kios_fake_kosync_add_user (fake, "bob", "pw");
  kios_fake_kosync_set_delay (fake, 0, TRUE);
  kios_source_manager_test_async (manager, spec, cancellable, tested_cb, &waiter);
  g_timeout_add (300, cancel_cb, cancellable);
  kios_test_wait_for (&waiter.done, 10000);
  g_test_message ("cancelled at 300 ms, callback at %.0f ms", (waiter.at - start) / 1000.0);
  g_assert_cmpint (waiter.at - start, <, 1500 * 1000);
  g_assert_null (waiter.result);
  g_assert_error (waiter.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&waiter.error);
}

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  KiosSourceRecord  *record = kios_source_manager_add_finish (KIOS_SOURCE_MANAGER (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  kios_source_record_free (record);
  *(gboolean *) user_data = TRUE;
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (kios_source_manager_remove_finish (KIOS_SOURCE_MANAGER (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  GPtrArray        **out = user_data;

  *out = kios_source_manager_list_finish (KIOS_SOURCE_MANAGER (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
test_async (void)
{
  g_autoptr (KiosLibraryStore)  store = open_store ();
  g_autoptr (KiosSourceManager) manager = kios_source_manager_new (store);
  g_autoptr (KiosSourceSpec)    spec = kios_source_spec_new ("Async", "opds", "https://h/opds", "bob", "pw-a");
  g_autoptr (GPtrArray)         sources = NULL;
  gboolean                      added = FALSE;
  gboolean                      removed = FALSE;
  guint                         changes = 0;
  g_autofree char              *value = NULL;

  g_signal_connect (manager, "changed", G_CALLBACK (changed_cb), &changes);
  kios_source_manager_add_async (manager, spec, NULL, added_cb, &added);
  /* The request is a copy: changing the spec now changes nothing. */
  g_free (spec->password);
  spec->password = g_strdup ("changed-later");
  kios_test_wait_for (&added, 10000);
  drain ();
  g_assert_cmpuint (changes, ==, 1);
  value = secret ("Async", KIOS_SECRET_KIND_PASSWORD);
  g_assert_cmpstr (value, ==, "pw-a");

  kios_source_manager_list_async (manager, NULL, listed_cb, &sources);
  for (int i = 0; i < 10000 && !pointer_set (&sources); i++)
    {
      drain ();
      g_usleep (1000);
    }
  g_assert_cmpuint (sources->len, ==, 1);

  kios_source_manager_remove_async (manager, "Async", NULL, removed_cb, &removed);
  kios_test_wait_for (&removed, 10000);
  drain ();
  g_assert_cmpuint (changes, ==, 2);
}

static JsonObject *
first_source (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "sources"), 0));
}

/* kiosctl source enable|disable|rename through the manager, and "enabled" in list --json. */
static void
test_kiosctl (void)
{
  g_autoptr (JsonObject) source = NULL;

  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, "pw-c\n", "source", "add", "--kind", "kosync", "--name", "cwa", "--url",
                       "https://h:8083/kosync", "--user", "bob", "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "disable", "kosync", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "list", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    source = first_source (run.out);
    g_assert_false (json_object_get_boolean_member (source, "enabled"));
    g_assert_cmpstr (json_object_get_string_member (source, "url"), ==, "https://h:8083/kosync");
    g_clear_pointer (&source, json_object_unref);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "rename", "cwa", "home", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "enable", "home", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "list", "--json", NULL);
    source = first_source (run.out);
    g_assert_cmpstr (json_object_get_string_member (source, "name"), ==, "home");
    g_assert_true (json_object_get_boolean_member (source, "enabled"));
    g_assert_null (strstr (run.out, "pw-c"));
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "enable", "nobody", NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "no source named"));
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "rename", "home", NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
  {
    g_auto (KiosctlRun) run = { 0 };
    kios_test_kiosctl (&run, NULL, "source", "remove", "home", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *keyring = NULL;
  int              rc;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* libsecret's file backend: a real, encrypted keyring file, no D-Bus. */
  dir = g_dir_make_tmp ("kios-source-manager-XXXXXX", NULL);
  g_assert_nonnull (dir);
  keyring = g_build_filename (dir, "test.keyring", NULL);
  if (!g_test_subprocess ())
    {
      g_setenv ("SECRET_BACKEND", "file", TRUE);
      g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
      g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-source-manager", TRUE);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);
    }

  g_test_add_func ("/kios/source-manager/add-rename-remove", test_add_rename_remove);
  g_test_add_func ("/kios/source-manager/taken-names", test_taken_names);
  g_test_add_func ("/kios/source-manager/secret-failure", test_secret_failure);
  g_test_add_func ("/kios/source-manager/enable-disable", test_enable_disable);
  g_test_add_func ("/kios/source-manager/test-kosync", test_kosync);
  g_test_add_func ("/kios/source-manager/test-opds", test_opds);
  g_test_add_func ("/kios/source-manager/opds-candidates", test_opds_candidates);
  g_test_add_func ("/kios/source-manager/cancel", test_cancel);
  g_test_add_func ("/kios/source-manager/async", test_async);
  g_test_add_func ("/kios/source-manager/kiosctl", test_kiosctl);

  rc = g_test_run ();
  g_unlink (keyring);
  g_rmdir (dir);
  return rc;
}
