/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-service"

#include "config.h"

#include "kios-document.h"
#include "kios-fake-kosync.h"
#include "kios-kosync-backend.h"
#include "kios-library-store.h"
#include "kios-paths.h"
#include "kios-sync-error.h"
#include "kios-sync-service.h"
#include "kios-sync-source.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

/*
 * The sync service as the app and kiosctl use it: a real library file, the
 * KOReader sync account in the store and a file keyring, fake servers over
 * loopback HTTP, and the real kiosctl binary reading the same library. A
 * "relaunch" is a new store, service and engine on the same file.
 */

#define SOURCE "KOReader sync"
#define USER "alice"
#define PASSWORD "correct-horse-battery"
#define DEAD_URL "http://127.0.0.1:1/kosync"

typedef struct
{
  KiosLibraryStore *store;
  KiosSyncService  *service;
  KiosSyncEngine   *engine;
  KiosDocument     *document;
  KiosFakeKosync   *fake;
  guint             n_changed;
} Fixture;

static void
on_status_changed (KiosSyncService *service,
                   const char      *source,
                   const char      *book_hash,
                   Fixture         *f)
{
  f->n_changed++;
}

static void
launch (Fixture *f)
{
  g_autofree char   *path = kios_paths_library_db ();
  g_autoptr (GError) error = NULL;

  f->store = kios_library_store_new (path, &error);
  g_assert_no_error (error);
  f->service = kios_sync_service_new (f->store);
  g_signal_connect (f->service, "status-changed", G_CALLBACK (on_status_changed), f);
}

static gboolean
wait_idle (KiosSyncEngine *engine,
           guint           timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (kios_sync_engine_is_busy (engine))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  return TRUE;
}

/* The window of a new launch: its engine, with the account loaded. */
static void
open_window (Fixture *f)
{
  f->engine = kios_sync_service_create_engine (f->service);
  g_assert_true (wait_idle (f->engine, 10000));
}

static void
quit (Fixture *f)
{
  if (f->engine != NULL)
    {
      kios_sync_service_shutdown (f->service, 2000);
      wait_idle (f->engine, 20000);
      g_clear_object (&f->engine);
    }
  g_clear_object (&f->service);
  if (f->store != NULL)
    kios_library_store_flush (f->store, 5000);
  g_clear_object (&f->store);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autofree char   *book = kios_test_book ("pride-and-prejudice.epub");
  g_autoptr (GError) error = NULL;

  f->document = kios_document_open_sync (book, &error);
  g_assert_no_error (error);
  launch (f);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  quit (f);
  g_clear_object (&f->document);
  g_clear_pointer (&f->fake, kios_fake_kosync_free);
}

static void
add_account (Fixture    *f,
             const char *url,
             const char *password)
{
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (GError)           error = NULL;

  record->name = g_strdup (SOURCE);
  record->kind = g_strdup ("kosync");
  record->auth = g_strdup ("headers");
  g_assert_true (kios_sync_source_save_secrets (record, url, USER, password, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (f->store, record, &error));
  g_assert_no_error (error);
}

/* A fake official server with the user; returns its base URL. */
static char *
start_fake (Fixture *f)
{
  f->fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  kios_fake_kosync_add_user (f->fake, USER, PASSWORD);
  return kios_fake_kosync_get_base_url (f->fake);
}

static KiosSyncStatusState
engine_state (Fixture *f)
{
  return kios_sync_engine_get_status (f->engine)->state;
}

static const char *
state_word (KiosSyncStatusState state)
{
  return kios_sync_status_state_to_string (state);
}

/* The status of source (book NULL) from the service's list. */
static KiosSyncStatus *
listed (Fixture    *f,
        const char *book_hash)
{
  g_autoptr (GPtrArray) statuses = NULL;
  g_autoptr (GError)    error = NULL;

  statuses = kios_sync_service_list_status (f->service, book_hash, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < statuses->len; i++)
    {
      KiosSyncStatus *status = statuses->pdata[i];

      if (g_strcmp0 (status->source, SOURCE) == 0)
        {
          g_assert_cmpstr (status->book_hash, ==, book_hash);
          return kios_sync_status_copy (status);
        }
    }
  g_assert_not_reached ();
  return NULL;
}

/* kiosctl sync status --json [FILE]: the state word of the account, its
 * error (or NULL) in *error_out. The output never carries a secret. */
static char *
kiosctl_state (const char *file,
               char      **error_out)
{
  g_auto (KiosctlRun)  run = { 0 };
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError)   error = NULL;
  JsonArray           *statuses;
  JsonObject          *status;

  kios_test_kiosctl (&run, NULL, "sync", "status", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, PASSWORD));
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  statuses = json_object_get_array_member (json_node_get_object (root), "statuses");
  g_assert_cmpuint (json_array_get_length (statuses), ==, 1);
  status = json_array_get_object_element (statuses, 0);
  g_assert_cmpstr (json_object_get_string_member (status, "source"), ==, SOURCE);
  g_assert_cmpstr (json_object_get_string_member (status, "protocol"), ==, "kosync");
  if (error_out != NULL)
    *error_out = g_strdup (json_object_get_string_member_with_default (status, "error", NULL));
  return g_strdup (json_object_get_string_member (status, "state"));
}

static KiosPosition *
position_at (Fixture *f,
             int      chapter)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosPage) page = NULL;
  KiosPageRequest      request;
  KiosPosition        *position;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = chapter;
  request.position_only = TRUE;
  request.box_width = 600;
  request.box_height = 800;
  page = kios_document_render_sync (f->document, &request, &error);
  g_assert_no_error (error);
  position = kios_position_copy (page->position);
  position->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  return position;
}

/* ---- never, then synced only once the server confirmed -------------------- */

static void
test_never_then_synced (Fixture      *f,
                        gconstpointer data)
{
  g_autofree char           *url = start_fake (f);
  g_autofree char           *word = NULL;
  g_autoptr (KiosPosition)   local = position_at (f, 3);
  g_autoptr (KiosPosition)   moved = position_at (f, 5);
  g_autoptr (KiosSyncStatus) status = NULL;
  g_autoptr (GPtrArray)      log = NULL;
  g_auto (KiosctlRun)        run = { 0 };
  g_autoptr (JsonNode)       root = NULL;
  const char                *hash = kios_document_get_hash (f->document);
  g_autofree char           *file = kios_test_book ("pride-and-prejudice.epub");
  JsonArray                 *entries;

  add_account (f, url, PASSWORD);
  open_window (f);
  /* Configured, nothing exchanged: never, not synced. */
  g_assert_cmpstr (state_word (engine_state (f)), ==, "never");
  g_assert_cmpstr (kios_sync_engine_get_status (f->engine)->source, ==, SOURCE);
  status = listed (f, NULL);
  g_assert_cmpstr (state_word (status->state), ==, "never");
  g_assert_cmpstr (status->server, ==, url);
  g_clear_pointer (&status, kios_sync_status_free);
  word = kiosctl_state (NULL, NULL);
  g_assert_cmpstr (word, ==, "never");
  g_clear_pointer (&word, g_free);
  word = kiosctl_state (file, NULL);
  g_assert_cmpstr (word, ==, "never");
  g_clear_pointer (&word, g_free);

  /* The pull answered: the server confirmed an exchange. */
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
  status = kios_sync_status_copy (kios_sync_engine_get_status (f->engine));
  g_test_message ("after the pull: %s (%s)", state_word (status->state), status->detail);
  /* Opened at a position never pushed: it waits for the background. */
  g_assert_cmpstr (state_word (status->state), ==, "pending");
  g_assert_cmpstr (status->detail, ==, "waiting for the window to go to the background");
  g_assert_cmpint (status->synced_at, >, 0);
  g_assert_nonnull (status->server);
  g_clear_pointer (&status, kios_sync_status_free);

  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->fake, "PUT", NULL), ==, 1);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "synced");
  g_assert_cmpuint (f->n_changed, >, 0);
  /* A page turn: no traffic, but the status no longer says synced. */
  kios_sync_engine_set_position (f->engine, local, TRUE);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "pending");
  g_assert_cmpint (kios_sync_engine_get_status (f->engine)->pending_reason, ==, KIOS_SYNC_PENDING_BACKGROUND);
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "synced");

  status = listed (f, NULL);
  g_assert_cmpstr (state_word (status->state), ==, "synced");
  g_assert_cmpint (status->synced_at, >, 0);
  g_clear_pointer (&status, kios_sync_status_free);
  status = listed (f, hash);
  g_assert_cmpstr (state_word (status->state), ==, "synced");
  g_clear_pointer (&status, kios_sync_status_free);
  word = kiosctl_state (file, NULL);
  g_assert_cmpstr (word, ==, "synced");

  /* The log: the push, then the pull, newest first. */
  log = kios_sync_service_list_log (f->service, hash, 0, NULL);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_cmpstr (((KiosSyncLogEntry *) log->pdata[0])->direction, ==, "push");
  g_assert_cmpstr (((KiosSyncLogEntry *) log->pdata[0])->result, ==, "synced");
  g_assert_cmpstr (((KiosSyncLogEntry *) log->pdata[1])->direction, ==, "pull");
  g_assert_cmpstr (((KiosSyncLogEntry *) log->pdata[1])->protocol, ==, "kosync");
  /* KOReader sync keeps the exact xpointer of an EPUB. */
  g_assert_cmpstr (((KiosSyncLogEntry *) log->pdata[0])->precision, ==, "exact");
  g_assert_cmpstr (((KiosSyncLogEntry *) log->pdata[1])->precision, ==, "exact");

  kios_library_store_flush (f->store, 5000);
  kios_test_kiosctl (&run, NULL, "sync", "log", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = json_from_string (run.out, NULL);
  g_assert_nonnull (root);
  entries = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject       *entry = json_array_get_object_element (entries, i);
      const char       *keys[] = { "time", "protocol", "source", "direction", "result", "detail", "precision" };
      g_autoptr (GList) members = json_object_get_members (entry);

      g_assert_cmpuint (g_list_length (members), ==, G_N_ELEMENTS (keys));
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        g_assert_true (json_object_has_member (entry, keys[k]));
      g_assert_cmpstr (json_object_get_string_member (entry, "direction"), ==, i == 0 ? "push" : "pull");
      g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, "synced");
      g_assert_cmpstr (json_object_get_string_member (entry, "source"), ==, SOURCE);
      g_assert_cmpstr (json_object_get_string_member (entry, "precision"), ==, "exact");
    }
  kiosctl_run_clear (&run);
  kios_test_kiosctl (&run, NULL, "sync", "log", NULL);
  g_assert_cmpint (run.status, ==, 2);
  kios_test_kiosctl (&run, NULL, "sync", "log", "/nonexistent/book.epub", NULL);
  g_assert_cmpint (run.status, ==, 1);
}

/* ---- held for the reader's choice; the pull's remote in the log --------------- */

static void
test_held_for_choice (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char         *url = start_fake (f);
  g_autoptr (KiosPosition) local = position_at (f, 2);
  g_autoptr (KiosPosition) remote = position_at (f, 9);
  g_autoptr (GPtrArray)    log = NULL;
  const KiosSyncStatus    *status;
  const KiosSyncLogEntry  *pull;
  const char              *hash = kios_document_get_hash (f->document);

  kios_fake_kosync_set_progress (f->fake, hash, remote->xpointer, remote->total_progress, "KOReader",
                                 "OTHERDEVICE", 0);
  add_account (f, url, PASSWORD);
  open_window (f);
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_true (kios_sync_engine_get_has_remote (f->engine));

  /* The banner asks: the local position waits for the answer. */
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  status = kios_sync_engine_get_status (f->engine);
  g_assert_cmpstr (state_word (status->state), ==, "pending");
  g_assert_cmpint (status->pending_reason, ==, KIOS_SYNC_PENDING_CHOICE);
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->fake, "PUT", NULL), ==, 0);

  /* Stay here: it goes at the next background, and then it is synced. */
  kios_sync_engine_dismiss_remote (f->engine);
  g_assert_cmpint (kios_sync_engine_get_status (f->engine)->pending_reason, ==, KIOS_SYNC_PENDING_BACKGROUND);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->fake, "PUT", NULL), ==, 1);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "synced");
  g_assert_cmpint (kios_sync_engine_get_status (f->engine)->pending_reason, ==, KIOS_SYNC_PENDING_NONE);

  /* The pull's entry keeps what the server said. */
  log = kios_sync_service_list_log (f->service, hash, 0, NULL);
  g_assert_cmpuint (log->len, ==, 2);
  pull = log->pdata[1];
  g_assert_cmpstr (pull->direction, ==, "pull");
  g_assert_nonnull (pull->remote);
  g_assert_nonnull (strstr (pull->remote, "OTHERDEVICE"));
}

/* ---- failures each keep their own state, across a relaunch ---------------- */

typedef enum {
  CASE_DEAD,
  CASE_REFUSED,
  CASE_HANGING,
} FailureCase;

static void
test_failure (Fixture      *f,
              gconstpointer data)
{
  FailureCase                which = GPOINTER_TO_INT (data);
  g_autoptr (KiosPosition)   local = position_at (f, 3);
  g_autoptr (KiosPosition)   moved = position_at (f, 6);
  g_autoptr (KiosSyncStatus) status = NULL;
  g_autofree char           *url = NULL;
  g_autofree char           *word = NULL;
  g_autofree char           *error_text = NULL;
  g_autofree char           *file = kios_test_book ("pride-and-prejudice.epub");
  const char                *hash = kios_document_get_hash (f->document);
  const char                *expected;
  gint64                     start;

  switch (which)
    {
    case CASE_DEAD:
      url = g_strdup (DEAD_URL);
      add_account (f, url, PASSWORD);
      expected = "offline";
      break;
    case CASE_REFUSED:
      url = start_fake (f);
      add_account (f, url, "wrong-password");
      expected = "refused";
      break;
    case CASE_HANGING:
    default:
      url = start_fake (f);
      kios_fake_kosync_set_delay (f->fake, 0, TRUE);
      add_account (f, url, PASSWORD);
      expected = "offline";
      break;
    }

  open_window (f);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "never");
  start = g_get_monotonic_time ();
  kios_sync_engine_open_book (f->engine, f->document, local);
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  /* While nothing came back, nothing reads synced. */
  for (int i = 0; i < 200 && kios_sync_engine_is_busy (f->engine); i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_assert_cmpstr (state_word (engine_state (f)), !=, "synced");
      g_usleep (1000);
    }
  g_assert_true (wait_idle (f->engine, 40000));
  g_test_message ("%s after %" G_GINT64_FORMAT " ms: %s", expected,
                  (g_get_monotonic_time () - start) / 1000, kios_sync_engine_get_status (f->engine)->detail);
  status = kios_sync_status_copy (kios_sync_engine_get_status (f->engine));
  g_assert_cmpstr (state_word (status->state), ==, expected);
  g_assert_cmpint (status->synced_at, ==, 0);
  g_assert_nonnull (status->detail);
  g_assert_null (strstr (status->detail, PASSWORD));
  if (which == CASE_HANGING)
    g_assert_true (status->error_domain == KIOS_HTTP_ERROR || status->error_domain == KIOS_SYNC_ERROR);
  g_clear_pointer (&status, kios_sync_status_free);

  /* The account and the book, as the service lists them. */
  status = listed (f, NULL);
  g_assert_cmpstr (state_word (status->state), ==, expected);
  g_clear_pointer (&status, kios_sync_status_free);
  status = listed (f, hash);
  g_assert_cmpstr (state_word (status->state), ==, expected);
  g_clear_pointer (&status, kios_sync_status_free);

  /* The position stays pending in the store. */
  {
    g_autoptr (KiosPosition) pending = NULL;

    kios_library_store_flush (f->store, 5000);
    pending = kios_library_store_get_pending_push (f->store, hash, SOURCE, NULL);
    if (which != CASE_REFUSED || pending != NULL)
      g_assert_nonnull (pending);
  }

  /* Relaunch: the truth comes from the store, before any traffic. What
   * cannot go does not hold the quit. */
  start = g_get_monotonic_time ();
  g_assert_false (kios_sync_service_shutdown (f->service, 3000));
  g_test_message ("quit took %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1000 * 1000);
  quit (f);
  launch (f);
  open_window (f);
  g_assert_cmpstr (state_word (engine_state (f)), ==, expected);
  status = listed (f, NULL);
  g_assert_cmpstr (state_word (status->state), ==, expected);
  g_assert_cmpint (status->synced_at, ==, 0);
  g_clear_pointer (&status, kios_sync_status_free);

  word = kiosctl_state (NULL, &error_text);
  g_assert_cmpstr (word, ==, expected);
  g_assert_nonnull (error_text);
  g_test_message ("kiosctl: %s: %s", word, error_text);
  g_assert_null (strstr (error_text, PASSWORD));
  /* The shared sentence, not libcurl's or the core's English. */
  g_assert_null (strstr (error_text, "curl"));
  g_assert_null (strstr (error_text, "Couldn't"));
  g_assert_null (strstr (error_text, "GET "));
  g_assert_null (strstr (error_text, "HTTP 401"));
  g_clear_pointer (&word, g_free);
  word = kiosctl_state (file, NULL);
  g_assert_cmpstr (word, ==, expected);
}

/* ---- kiosctl's own push says the same truth ----------------------------------- */

static void
test_kiosctl_push (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char     *file = kios_test_book ("persuasion.epub");
  g_autofree char     *word = NULL;
  g_autofree char     *error_text = NULL;
  g_auto (KiosctlRun)  run = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonObject          *entry;

  kios_test_kiosctl (&run, PASSWORD "\n", "source", "add", "--kind", "kosync", "--name", SOURCE, "--url",
                     DEAD_URL, "--user", USER, "--password-stdin", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_test_kiosctl (&run, NULL, "position", file, "--set", "percent:30", NULL);
  g_assert_cmpint (run.status, ==, 0);
  word = kiosctl_state (file, NULL);
  g_assert_cmpstr (word, ==, "never");
  g_clear_pointer (&word, g_free);

  kios_test_kiosctl (&run, NULL, "sync", "push", file, NULL);
  g_assert_cmpint (run.status, ==, 1);
  word = kiosctl_state (file, &error_text);
  g_assert_cmpstr (word, ==, "offline");
  g_assert_nonnull (error_text);
  g_clear_pointer (&word, g_free);
  word = kiosctl_state (NULL, NULL);
  g_assert_cmpstr (word, ==, "offline");

  kios_test_kiosctl (&run, NULL, "sync", "log", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = json_from_string (run.out, NULL);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 1);
  entry = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "direction"), ==, "push");
  g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, "offline");
  g_assert_cmpstr (json_object_get_string_member (entry, "protocol"), ==, "kosync");
  g_assert_cmpstr (json_object_get_string_member (entry, "precision"), ==, "exact");
}

/* ---- off and on again ------------------------------------------------------- */

static void
test_enable_disable (Fixture      *f,
                     gconstpointer data)
{
  g_autofree char             *url = start_fake (f);
  g_autofree char             *word = NULL;
  g_autoptr (KiosPosition)     local = position_at (f, 3);
  g_autoptr (KiosPosition)     moved = position_at (f, 6);
  g_autoptr (KiosPosition)     further = position_at (f, 8);
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           error = NULL;
  g_auto (KiosctlRun)          run = { 0 };
  guint                        requests;

  add_account (f, url, PASSWORD);
  open_window (f);
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
  requests = kios_fake_server_get_n_requests (kios_fake_kosync_get_server (f->fake));

  /* Off: at once, and no traffic; the account is kept. */
  g_assert_true (kios_sync_service_set_enabled (f->service, "kosync", FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "off");
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpstr (state_word (engine_state (f)), ==, "off");
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  kios_sync_engine_activate (f->engine);
  kios_sync_engine_sync_now (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_kosync_get_server (f->fake)), ==, requests);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "off");
  record = kios_library_store_get_source (f->store, SOURCE, &error);
  g_assert_no_error (error);
  g_assert_false (kios_source_record_get_enabled (record));
  g_assert_cmpstr (record->url, ==, url);
  word = kiosctl_state (NULL, NULL);
  g_assert_cmpstr (word, ==, "off");
  g_clear_pointer (&word, g_free);

  /* On again from kiosctl; the app reloads its sources. */
  kios_test_kiosctl (&run, NULL, "sync", "enable", "kosync", NULL);
  g_assert_cmpint (run.status, ==, 0);
  kios_sync_service_reload (f->service);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpstr (state_word (engine_state (f)), !=, "off");
  kios_sync_engine_set_position (f->engine, further, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->fake, "PUT", NULL), ==, 1);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "synced");

  /* kiosctl off, by name; unknown names and usage. */
  kios_test_kiosctl (&run, NULL, "sync", "disable", SOURCE, NULL);
  g_assert_cmpint (run.status, ==, 0);
  word = kiosctl_state (NULL, NULL);
  g_assert_cmpstr (word, ==, "off");
  kios_test_kiosctl (&run, NULL, "sync", "disable", "No such source", NULL);
  g_assert_cmpint (run.status, ==, 1);
  kios_test_kiosctl (&run, NULL, "sync", "enable", NULL);
  g_assert_cmpint (run.status, ==, 2);
  kios_sync_service_reload (f->service);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpstr (state_word (engine_state (f)), ==, "off");
}

/* ---- a connection test says what it found, never synced ---------------------- */

static void
test_connection_test (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (GError)         refused = g_error_new_literal (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "401");
  g_autoptr (KiosSyncStatus) status = NULL;

  add_account (f, DEAD_URL, PASSWORD);
  open_window (f);
  kios_sync_service_record_test (f->service, "kosync", SOURCE, refused, "http://127.0.0.1:1/kosync");
  g_assert_cmpstr (state_word (engine_state (f)), ==, "refused");
  status = listed (f, NULL);
  g_assert_cmpstr (state_word (status->state), ==, "refused");
  g_clear_pointer (&status, kios_sync_status_free);

  /* A test that passes lifts the failure, but is no sync: never. */
  kios_sync_service_record_test (f->service, "kosync", SOURCE, NULL, NULL);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "never");
  status = listed (f, NULL);
  g_assert_cmpstr (state_word (status->state), ==, "never");
  g_assert_cmpint (status->synced_at, ==, 0);
}

/* ---- a book from a source of its own ------------------------------------------ */

static void
test_book_own_source (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (KiosSourceRecord) kobo = g_new0 (KiosSourceRecord, 1);
  g_autoptr (KiosSyncStatus)   status = NULL;
  g_autoptr (GPtrArray)        statuses = NULL;
  g_autoptr (GError)           error = NULL;
  const char                  *hash = kios_document_get_hash (f->document);

  add_account (f, DEAD_URL, PASSWORD);
  kobo->name = g_strdup ("My Kobo");
  kobo->kind = g_strdup ("kobo");
  g_assert_true (kios_library_store_add_source (f->store, kobo, &error));
  kios_library_store_set_book_meta (f->store, hash, "kobo.source", "My Kobo");

  /* Nothing exchanged yet: the Kobo source serves it, never synced. */
  statuses = kios_sync_service_list_status (f->service, hash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (statuses->len, ==, 1);
  status = kios_sync_status_copy (statuses->pdata[0]);
  g_assert_cmpstr (status->protocol, ==, "kobo");
  g_assert_cmpstr (status->source, ==, "My Kobo");
  g_assert_cmpstr (state_word (status->state), ==, "never");
  g_clear_pointer (&statuses, g_ptr_array_unref);
  g_clear_pointer (&status, kios_sync_status_free);

  /* Per source: both, each with its own state; off for the one switched off. */
  g_assert_true (kios_sync_service_set_enabled (f->service, "My Kobo", FALSE, &error));
  statuses = kios_sync_service_list_status (f->service, NULL, &error);
  g_assert_cmpuint (statuses->len, ==, 2);
  for (guint i = 0; i < statuses->len; i++)
    {
      KiosSyncStatus *each = statuses->pdata[i];

      g_assert_cmpstr (state_word (each->state), ==, g_strcmp0 (each->source, "My Kobo") == 0 ? "off" : "never");
    }
  g_clear_pointer (&statuses, g_ptr_array_unref);
  statuses = kios_sync_service_list_status (f->service, hash, &error);
  g_assert_cmpstr (state_word (((KiosSyncStatus *) statuses->pdata[0])->state), ==, "off");
}

/* The book's own protocol: a second KOReader sync server named "Own". */
static KiosSyncBackend *
own_backend (KiosLibraryStore *store,
             const char       *hash,
             GCancellable     *cancellable,
             gpointer          user_data)
{
  g_autoptr (KiosKosyncClient) client = kios_kosync_client_new (user_data, KIOS_KOSYNC_AUTH_HEADERS, USER, PASSWORD);

  kios_kosync_client_set_device (client, "Kios test", "0123456789ABCDEF0123456789ABCDEF");
  return KIOS_SYNC_BACKEND (kios_kosync_backend_new ("Own", client));
}

/* A book whose own source is switched off sends nothing anywhere (not to
 * the account either), and syncs through its source once it is back on. */
static void
test_book_source_off (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char             *url = start_fake (f);
  g_autoptr (KiosFakeKosync)   own = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  g_autofree char             *own_url = NULL;
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (KiosPosition)     local = position_at (f, 3);
  g_autoptr (KiosPosition)     moved = position_at (f, 6);
  g_autoptr (GError)           error = NULL;

  kios_fake_kosync_add_user (own, USER, PASSWORD);
  own_url = kios_fake_kosync_get_base_url (own);
  add_account (f, url, PASSWORD);
  record->name = g_strdup ("Own");
  record->kind = g_strdup ("opds");
  kios_source_record_set_enabled (record, FALSE);
  g_assert_true (kios_library_store_add_source (f->store, record, &error));

  open_window (f);
  kios_sync_engine_set_book_backend_func (f->engine, own_backend, own_url);
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpstr (state_word (engine_state (f)), ==, "off");
  g_assert_cmpstr (kios_sync_engine_get_status (f->engine)->source, ==, "Own");
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_kosync_get_server (f->fake)), ==, 0);
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_kosync_get_server (own)), ==, 0);

  /* Back on: the book loads again, pulls and pushes through its own source. */
  g_assert_true (kios_sync_service_set_enabled (f->service, "Own", TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (wait_idle (f->engine, 10000));
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_kosync_count_requests (own, "PUT", NULL), ==, 1);
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_kosync_get_server (f->fake)), ==, 0);
  g_assert_cmpstr (state_word (engine_state (f)), ==, "synced");
  g_assert_cmpstr (kios_sync_engine_get_status (f->engine)->source, ==, "Own");
  quit (f);
}

/* ---- a store write that fails reaches the service --------------------------- */

static gint store_warnings;

/* The writer's warning for the failed write is expected here; anything
 * else still fails the test. */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (level & G_LOG_LEVEL_WARNING)
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
          strstr (fields[i].value, "disk says no") != NULL)
        {
          g_atomic_int_inc (&store_warnings);
          return G_LOG_WRITER_HANDLED;
        }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
on_store_error (KiosSyncService *service,
                const GError    *error,
                GError         **out)
{
  g_clear_error (out);
  *out = g_error_copy (error);
}

static void
test_store_error (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char         *url = start_fake (f);
  g_autofree char         *path = kios_paths_library_db ();
  g_autoptr (KiosPosition) local = position_at (f, 3);
  g_autoptr (KiosPosition) moved = position_at (f, 6);
  g_autoptr (GError)       error = NULL;
  sqlite3                 *db = NULL;
  gint64                   end;

  add_account (f, url, PASSWORD);
  open_window (f);
  g_signal_connect (f->service, "store-error", G_CALLBACK (on_store_error), &error);
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_null (error);

  /* The sync log refuses every write from now on. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TRIGGER fail BEFORE INSERT ON sync_log"
                                     " BEGIN SELECT RAISE (ABORT, 'disk says no'); END",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);

  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (error == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  /* The store warns once per run of failing writes, and a run ends with
   * any write that succeeds: the status rows still go through between the
   * refused log rows, so how many runs there are depends on how the writer
   * batched them. At least one warning, and every one the trigger's. */
  g_assert_cmpint (g_atomic_int_get (&store_warnings), >=, 1);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "disk says no"));
  g_assert_false (kios_library_store_flush (f->store, 5000));
}

/* ---- two windows, one quit ---------------------------------------------------- */

static void
test_shutdown_pushes_all (Fixture      *f,
                          gconstpointer data)
{
  g_autofree char           *url = start_fake (f);
  g_autoptr (KiosPosition)   local = position_at (f, 3);
  g_autoptr (KiosPosition)   moved = position_at (f, 7);
  g_autoptr (KiosSyncEngine) second = NULL;
  g_autoptr (GError)         error = NULL;
  g_autofree char           *pdf = kios_test_book ("persuasion.pdf");
  g_autoptr (KiosDocument)   other = NULL;

  add_account (f, url, PASSWORD);
  open_window (f);
  second = kios_sync_service_create_engine (f->service);
  g_assert_true (wait_idle (second, 10000));
  other = kios_document_open_sync (pdf, &error);
  if (other == NULL)
    {
      g_test_skip ("no sample PDF");
      return;
    }

  kios_sync_engine_open_book (f->engine, f->document, local);
  {
    g_autoptr (KiosPosition) page = kios_position_new ();

    page->format = KIOS_BOOK_FORMAT_PDF;
    page->chapter = 1;
    page->updated_at = g_get_real_time () / G_USEC_PER_SEC;
    kios_sync_engine_open_book (second, other, page);
    g_assert_true (wait_idle (second, 10000));
    page->chapter = 2;
    kios_sync_engine_set_position (second, page, TRUE);
  }
  g_assert_true (wait_idle (f->engine, 10000));
  kios_sync_engine_set_position (f->engine, moved, TRUE);

  /* Quit: both books close and both positions go out. */
  g_assert_true (kios_sync_service_shutdown (f->service, 5000));
  g_assert_cmpuint (kios_fake_kosync_count_requests (f->fake, "PUT", NULL), ==, 2);
  kios_sync_engine_shutdown (second, 1000);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *keyring = NULL;
  int              status;

  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* One file keyring for the whole process (libsecret keeps its backend). */
  dir = g_dir_make_tmp ("kios-sync-service-XXXXXX", NULL);
  keyring = g_build_filename (dir, "test.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-keyring", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);

#define ADD(name, func, data) \
  g_test_add ("/kios/sync-service/" name, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("never-then-synced", test_never_then_synced, NULL);
  ADD ("held-for-choice", test_held_for_choice, NULL);
  ADD ("dead-server", test_failure, GINT_TO_POINTER (CASE_DEAD));
  ADD ("wrong-password", test_failure, GINT_TO_POINTER (CASE_REFUSED));
  ADD ("hanging-server", test_failure, GINT_TO_POINTER (CASE_HANGING));
  ADD ("kiosctl-push", test_kiosctl_push, NULL);
  ADD ("enable-disable", test_enable_disable, NULL);
  ADD ("book-own-source", test_book_own_source, NULL);
  ADD ("connection-test", test_connection_test, NULL);
  ADD ("book-source-off", test_book_source_off, NULL);
  ADD ("store-error", test_store_error, NULL);
  ADD ("shutdown-pushes-all", test_shutdown_pushes_all, NULL);
#undef ADD

  status = g_test_run ();
  g_unlink (keyring);
  g_rmdir (dir);
  return status;
}
