/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-engine"

#include "config.h"

#include "kios-document.h"
#include "kios-fake-kosync.h"
#include "kios-fake-progression.h"
#include "kios-kosync-backend.h"
#include "kios-library-store.h"
#include "kios-readium-backend.h"
#include "kios-sync-engine.h"
#include "kios-sync-service.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * The sync engine against the fake kosync servers over real loopback HTTP,
 * with a real store file and a real KiosDocument on a sample book.
 */

#define SOURCE "KOReader sync"
#define USER "alice"
#define PASSWORD "correct-horse-battery"
#define OWN_ID "0123456789ABCDEF0123456789ABCDEF"

static GMutex   log_lock;
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 || g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        {
          if (fields[i].length < 0)
            g_string_append (captured_log, fields[i].value);
          else
            g_string_append_len (captured_log, fields[i].value, fields[i].length);
          g_string_append_c (captured_log, ' ');
        }
    }
  g_string_append_c (captured_log, '\n');
  g_mutex_unlock (&log_lock);

  /* Warnings still fail the test as usual. */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

typedef struct
{
  char             *dir;
  char             *db_path;
  KiosLibraryStore *store;
  KiosDocument     *document;
  KiosFakeKosync   *fake;
  KiosSyncEngine   *engine;
  /* What the engine told the UI. */
  int           decision;
  gboolean      decided;
  int           n_prompts;
  char         *prompt_title;
  int           n_jumps;
  KiosPosition *jump;
} Fixture;

static void
on_decided (KiosSyncEngine *engine,
            int             decision,
            const char     *reason,
            Fixture        *f)
{
  g_test_message ("decided %d: %s", decision, reason);
  f->decision = decision;
  f->decided = TRUE;
}

static void
on_prompt (KiosSyncEngine *engine,
           const char     *title,
           Fixture        *f)
{
  f->n_prompts++;
  g_free (f->prompt_title);
  f->prompt_title = g_strdup (title);
}

static void
on_jump (KiosSyncEngine     *engine,
         const KiosPosition *position,
         Fixture            *f)
{
  f->n_jumps++;
  kios_position_free (f->jump);
  f->jump = kios_position_copy (position);
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
  /* Let queued completions run. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  return TRUE;
}

static KiosSyncEngine *
engine_for (Fixture    *f,
            const char *base_url,
            const char *user,
            const char *password)
{
  g_autoptr (KiosKosyncClient)  client = kios_kosync_client_new (base_url, KIOS_KOSYNC_AUTH_HEADERS,
                                                                 user, password);
  g_autoptr (KiosKosyncBackend) backend = NULL;
  KiosSyncEngine               *engine;

  kios_kosync_client_set_device (client, "Kios test", OWN_ID);
  backend = kios_kosync_backend_new (SOURCE, client);
  engine = kios_sync_engine_new (f->store);
  kios_sync_engine_set_backend (engine, KIOS_SYNC_BACKEND (backend));
  g_signal_connect (engine, "decided", G_CALLBACK (on_decided), f);
  g_signal_connect (engine, "prompt", G_CALLBACK (on_prompt), f);
  g_signal_connect (engine, "jump", G_CALLBACK (on_jump), f);
  return engine;
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autofree char   *book = kios_test_book ("pride-and-prejudice.epub");
  g_autofree char   *base = NULL;
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("kios-sync-engine-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "library.db", NULL);
  f->store = kios_library_store_new (f->db_path, &error);
  g_assert_no_error (error);
  f->document = kios_document_open_sync (book, &error);
  g_assert_no_error (error);

  f->fake = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
  kios_fake_kosync_add_user (f->fake, USER, PASSWORD);
  base = kios_fake_kosync_get_base_url (f->fake);
  f->engine = engine_for (f, base, USER, PASSWORD);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  if (f->engine != NULL)
    {
      kios_sync_engine_shutdown (f->engine, 2000);
      wait_idle (f->engine, 5000);
      g_clear_object (&f->engine);
    }
  g_clear_pointer (&f->fake, kios_fake_kosync_free);
  g_clear_object (&f->document);
  if (f->store != NULL)
    kios_library_store_flush (f->store, 2000);
  g_clear_object (&f->store);
  g_free (f->prompt_title);
  kios_position_free (f->jump);
  {
    const char *suffixes[] = { "", "-wal", "-shm" };

    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *file = g_strconcat (f->db_path, suffixes[i], NULL);

        g_unlink (file);
      }
    g_rmdir (f->dir);
  }
  g_free (f->db_path);
  g_free (f->dir);
}

static guint
n_requests (Fixture    *f,
            const char *method)
{
  KiosFakeServer *server = kios_fake_kosync_get_server (f->fake);
  guint           count = 0;

  for (guint i = 0; i < kios_fake_server_get_n_requests (server); i++)
    {
      g_autoptr (KiosFakeRequest) request = kios_fake_server_get_request (server, i);

      if (method == NULL || g_strcmp0 (request->method, method) == 0)
        count++;
    }
  return count;
}

/* The position at the start of page `page` of chapter `chapter` at the
 * document's default layout (the one the engine resolves with). */
static KiosPosition *
position_at (Fixture *f,
             int      chapter,
             int      page,
             int     *chapter_pages)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosPage) result = NULL;
  KiosPageRequest      request;
  KiosPosition        *position;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = chapter;
  request.location.page = page;
  request.position_only = TRUE;
  request.box_width = 600;
  request.box_height = 800;
  result = kios_document_render_sync (f->document, &request, &error);
  g_assert_no_error (error);
  if (chapter_pages != NULL)
    *chapter_pages = result->chapter_pages;
  position = kios_position_copy (result->position);
  position->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  return position;
}

/* A chapter long enough for "a few pages further in the same chapter". */
static int
long_chapter (Fixture *f)
{
  int n = kios_document_get_n_chapters (f->document);

  for (int chapter = 1; chapter < n; chapter++)
    {
      int                      pages = 0;
      g_autoptr (KiosPosition) p = position_at (f, chapter, 0, &pages);

      if (pages >= 5)
        return chapter;
    }
  g_assert_not_reached ();
  return -1;
}

static void
open_and_decide (Fixture            *f,
                 const KiosPosition *local)
{
  f->decided = FALSE;
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
}

static void
set_remote (Fixture            *f,
            const KiosPosition *remote)
{
  kios_fake_kosync_set_progress (f->fake, kios_document_get_hash (f->document), remote->xpointer,
                                 remote->total_progress, "KOReader", "KOREADERDEVICE", 0);
}

static void
test_decision_prompt (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 2, 0, NULL);
  g_autoptr (KiosPosition) remote = position_at (f, 9, 1, NULL);

  set_remote (f, remote);
  open_and_decide (f, local);
  g_assert_true (f->decided);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_cmpint (f->n_prompts, ==, 1);
  g_assert_cmpint (f->n_jumps, ==, 0);
  g_assert_nonnull (f->prompt_title);
  g_assert_true (kios_sync_engine_get_has_remote (f->engine));
  g_assert_cmpint (kios_sync_engine_get_remote (f->engine)->chapter, ==, 9);

  /* Continue jumps to the other device's chapter. */
  kios_sync_engine_accept_remote (f->engine);
  g_assert_cmpint (f->n_jumps, ==, 1);
  g_assert_cmpint (f->jump->chapter, ==, 9);
  g_assert_false (kios_sync_engine_get_has_remote (f->engine));
}

static void
test_decision_prompt_same_chapter (Fixture      *f,
                                   gconstpointer data)
{
  int                      chapter = long_chapter (f);
  g_autoptr (KiosPosition) local = position_at (f, chapter, 0, NULL);
  g_autoptr (KiosPosition) remote = position_at (f, chapter, 3, NULL);

  set_remote (f, remote);
  open_and_decide (f, local);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_cmpint (f->n_prompts, ==, 1);
}

static void
test_decision_apply_silently (Fixture      *f,
                              gconstpointer data)
{
  int                      chapter = long_chapter (f);
  g_autoptr (KiosPosition) local = position_at (f, chapter, 1, NULL);
  g_autoptr (KiosPosition) remote = position_at (f, chapter, 2, NULL);

  set_remote (f, remote);
  open_and_decide (f, local);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_APPLY_SILENTLY);
  g_assert_cmpint (f->n_prompts, ==, 0);
  g_assert_cmpint (f->n_jumps, ==, 1);
  g_assert_cmpint (f->jump->chapter, ==, chapter);
  g_assert_cmpint (f->jump->offset, ==, remote->offset);
}

static void
test_decision_ignore_behind (Fixture      *f,
                             gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 9, 0, NULL);
  g_autoptr (KiosPosition) remote = position_at (f, 3, 0, NULL);

  set_remote (f, remote);
  open_and_decide (f, local);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_IGNORE_BEHIND);
  g_assert_cmpint (f->n_prompts, ==, 0);
  g_assert_cmpint (f->n_jumps, ==, 0);
}

static void
test_decision_none (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 4, 0, NULL);

  /* Same place on both devices. */
  set_remote (f, local);
  open_and_decide (f, local);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_NONE);
  g_assert_cmpint (f->n_prompts + f->n_jumps, ==, 0);
  kios_sync_engine_close_book (f->engine);
  g_assert_true (wait_idle (f->engine, 5000));

  /* Nothing on the server: no decision to signal, no failure either. */
  {
    g_autoptr (KiosFakeKosync) empty = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_OFFICIAL);
    g_autofree char           *base = NULL;

    kios_fake_kosync_add_user (empty, USER, PASSWORD);
    base = kios_fake_kosync_get_base_url (empty);
    g_clear_object (&f->engine);
    f->engine = engine_for (f, base, USER, PASSWORD);
    open_and_decide (f, local);
    g_assert_false (f->decided);
    g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_SYNCED);
    g_assert_cmpint (f->n_prompts + f->n_jumps, ==, 0);
    kios_sync_engine_shutdown (f->engine, 2000);
    wait_idle (f->engine, 5000);
    g_clear_object (&f->engine);
  }
}

/* PDF: the remote is a 1-based page number; pages further is a prompt, a push sends the page. */
static void
test_pdf_pages (Fixture      *f,
                gconstpointer data)
{
  g_autofree char         *book = kios_test_book ("persuasion.pdf");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) pdf = kios_document_open_sync (book, &error);
  g_autoptr (KiosPosition) local = NULL;
  g_autoptr (KiosPosition) moved = NULL;
  g_autofree char         *stored = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (kios_document_get_n_chapters (pdf), >, 12);
  local = kios_document_parse_position (pdf, "page:2", &error);
  g_assert_no_error (error);
  kios_fake_kosync_set_progress (f->fake, kios_document_get_hash (pdf), "12", 0.3, "KOReader", "K", 0);

  f->decided = FALSE;
  kios_sync_engine_open_book (f->engine, pdf, local);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_true (f->decided);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_cmpint (kios_sync_engine_get_remote (f->engine)->chapter, ==, 11);

  moved = kios_document_parse_position (pdf, "page:5", &error);
  g_assert_no_error (error);
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_close_book (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  stored = kios_fake_kosync_get_stored_progress (f->fake, kios_document_get_hash (pdf));
  g_assert_cmpstr (stored, ==, "5");
}

/* What servers rewrite (Komga keeps chapter starts, Kavita drops offsets) or
 * cannot resolve here still lands in the right chapter; an xpointer from
 * another rendition falls back to the percentage. */
static void
test_coarse_and_foreign_xpointers (Fixture      *f,
                                   gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 2, 0, NULL);
  const char              *hash = kios_document_get_hash (f->document);
  int                      n = kios_document_get_n_chapters (f->document);
  g_autofree char         *foreign = g_strdup_printf ("/body/DocFragment[%d]/body/p[3]/text().5", n + 40);
  const char              *coarse[] = { "/body/DocFragment[10]", "/body/DocFragment[10]/body",
                                        "/body/DocFragment[10]/body/div[1]/p[9999]" };

  for (guint i = 0; i < G_N_ELEMENTS (coarse); i++)
    {
      g_test_message ("remote %s", coarse[i]);
      kios_fake_kosync_set_progress (f->fake, hash, coarse[i], 0.2, "KOReader", "K", 0);
      open_and_decide (f, local);
      g_assert_true (f->decided);
      g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
      g_assert_cmpint (kios_sync_engine_get_remote (f->engine)->chapter, ==, 9);
      kios_sync_engine_close_book (f->engine);
      g_assert_true (wait_idle (f->engine, 5000));
    }

  /* Not this book's xpointer: the percentage (0.9) decides, far ahead. */
  kios_fake_kosync_set_progress (f->fake, hash, foreign, 0.9, "KOReader", "K", 0);
  open_and_decide (f, local);
  g_assert_true (f->decided);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_cmpint (kios_sync_engine_get_remote (f->engine)->chapter, >, n / 2);
}

/* A book from an OPDS catalog with a progression link syncs over Readium,
 * not over the global KOReader sync account (PRODUCT.md "Which protocol
 * serves a book"). The catalog's credentials would come from the keyring,
 * which this sandbox lacks: the test plugs the same backend in directly. */
typedef struct
{
  const char *url;
  const char *hash;
} ReadiumBook;

static KiosSyncBackend *
readium_for_book (KiosLibraryStore *store,
                  const char       *book_hash,
                  GCancellable     *cancellable,
                  gpointer          user_data)
{
  ReadiumBook *book = user_data;

  if (g_strcmp0 (book_hash, book->hash) != 0)
    return NULL;
  return KIOS_SYNC_BACKEND (kios_readium_backend_new (store, "Komga", book_hash,
                                                      kios_readium_client_new (book->url, NULL, NULL, NULL)));
}

static void
test_readium_book (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char                *path = kios_test_book ("pride-and-prejudice.epub");
  g_autoptr (KiosFakeProgression) komga = NULL;
  g_autoptr (KiosPosition)        local = position_at (f, 2, 0, NULL);
  g_autoptr (KiosPosition)        moved = position_at (f, 4, 0, NULL);
  g_autoptr (KiosPosition)        last = NULL;
  g_autofree char                *stored = NULL;
  ReadiumBook                     book;

  komga = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, NULL, NULL, path);
  book.url = kios_fake_progression_get_url (komga);
  book.hash = kios_document_get_hash (f->document);
  kios_sync_engine_set_book_backend_func (f->engine, readium_for_book, &book);

  open_and_decide (f, local);
  g_assert_cmpuint (kios_fake_progression_count (komga, "GET"), ==, 1);
  g_assert_cmpuint (n_requests (f, NULL), ==, 0);
  g_assert_nonnull (strstr (kios_sync_engine_get_server (f->engine), "127.0.0.1"));

  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_test_message ("PUT answered %u", kios_fake_progression_get_last_put_status (komga));
  g_assert_cmpuint (kios_fake_progression_count (komga, "PUT"), ==, 1);
  g_assert_cmpuint (n_requests (f, NULL), ==, 0);
  stored = kios_fake_progression_dup_stored (komga);
  g_assert_nonnull (stored);
  g_assert_nonnull (strstr (stored, moved->chapter_href));
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_SYNCED);

  /* The sync state is kept under the catalog's name. */
  kios_library_store_flush (f->store, 2000);
  last = kios_library_store_get_last_pushed (f->store, book.hash, "Komga", NULL);
  g_assert_nonnull (last);
  g_assert_cmpint (last->chapter, ==, moved->chapter);
}

static void
test_page_turned_no_prompt (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 2, 0, NULL);
  g_autoptr (KiosPosition) next = position_at (f, 2, 1, NULL);
  g_autoptr (KiosPosition) remote = position_at (f, 9, 1, NULL);

  set_remote (f, remote);
  f->decided = FALSE;
  kios_sync_engine_open_book (f->engine, f->document, local);
  /* The reader turns a page before the answer arrives. */
  kios_sync_engine_set_position (f->engine, next, TRUE);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_true (f->decided);
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_NONE);
  g_assert_cmpint (f->n_prompts + f->n_jumps, ==, 0);
  /* Still reachable from the status menu. */
  g_assert_true (kios_sync_engine_get_has_remote (f->engine));
  kios_sync_engine_go_to_remote (f->engine);
  g_assert_cmpint (f->n_jumps, ==, 1);
  g_assert_cmpint (f->jump->chapter, ==, 9);
}

static void
test_deactivate_one_put (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 3, 0, NULL);
  g_autoptr (KiosPosition) moved = position_at (f, 3, 2, NULL);
  g_autofree char         *stored = NULL;

  open_and_decide (f, local);
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 0);

  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 1);
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_SYNCED);
  stored = kios_fake_kosync_get_stored_progress (f->fake, kios_document_get_hash (f->document));
  g_assert_cmpstr (stored, ==, moved->xpointer);

  /* Unchanged since the last successful push: nothing goes out again. */
  kios_sync_engine_activate (f->engine);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 1);

  /* Closing the book after another page turn pushes once more. */
  kios_sync_engine_set_position (f->engine, local, TRUE);
  kios_sync_engine_close_book (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 2);
}

static void
test_page_turns_no_requests (Fixture      *f,
                             gconstpointer data)
{
  int                      chapter = long_chapter (f);
  int                      pages = 0;
  g_autoptr (KiosPosition) first = position_at (f, chapter, 0, &pages);
  guint                    before;

  open_and_decide (f, first);
  before = n_requests (f, NULL);

  for (int i = 0; i < 500; i++)
    {
      g_autoptr (KiosPosition) p = kios_position_copy (first);

      p->offset = first->offset + i * 7;
      kios_sync_engine_set_position (f->engine, p, TRUE);
      g_main_context_iteration (NULL, FALSE);
    }
  /* Give anything wrongly scheduled a chance to fire. */
  {
    gint64 end = g_get_monotonic_time () + 300 * 1000;

    while (g_get_monotonic_time () < end)
      {
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
  }
  g_assert_cmpuint (n_requests (f, NULL), ==, before);
}

static void
test_pending_survives_restart (Fixture      *f,
                               gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 5, 0, NULL);
  g_autoptr (KiosPosition) moved = position_at (f, 6, 1, NULL);
  g_autoptr (KiosPosition) pending = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *dead_url = NULL;
  g_autofree char         *base = kios_fake_kosync_get_base_url (f->fake);
  g_autofree char         *stored = NULL;

  /* First run: the server is down (a port nobody listens on). */
  {
    g_autoptr (GSocket)        socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                                      G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr (GInetAddress)   loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
    g_autoptr (GSocketAddress) bound = NULL;

    g_assert_no_error (error);
    g_socket_bind (socket, any, FALSE, &error);
    g_assert_no_error (error);
    bound = g_socket_get_local_address (socket, &error);
    g_assert_no_error (error);
    dead_url = g_strdup_printf ("http://127.0.0.1:%u",
                                g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    g_socket_close (socket, NULL);
  }
  g_clear_object (&f->engine);
  f->engine = engine_for (f, dead_url, USER, PASSWORD);
  open_and_decide (f, local);
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_OFFLINE);
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  kios_sync_engine_activate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_OFFLINE);
  kios_sync_engine_shutdown (f->engine, 2000);
  wait_idle (f->engine, 5000);
  g_clear_object (&f->engine);
  kios_library_store_flush (f->store, 2000);
  g_clear_object (&f->store);

  /* Restart: a new store on the same file, a new engine, the server is up. */
  f->store = kios_library_store_new (f->db_path, &error);
  g_assert_no_error (error);
  pending = kios_library_store_get_pending_push (f->store, kios_document_get_hash (f->document),
                                                 SOURCE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pending);
  g_assert_cmpint (pending->chapter, ==, moved->chapter);
  g_assert_cmpint (pending->offset, ==, moved->offset);

  f->engine = engine_for (f, base, USER, PASSWORD);
  /* The book reopens where it was left (the local position was saved). */
  open_and_decide (f, moved);
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 0);
  kios_sync_engine_activate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 1);
  stored = kios_fake_kosync_get_stored_progress (f->fake, kios_document_get_hash (f->document));
  g_assert_cmpstr (stored, ==, moved->xpointer);
  kios_library_store_flush (f->store, 2000);
  g_clear_pointer (&pending, kios_position_free);
  pending = kios_library_store_get_pending_push (f->store, kios_document_get_hash (f->document),
                                                 SOURCE, NULL);
  g_assert_null (pending);

  /* Delivered means delivered: neither this engine nor the next one sends
   * the same position again (the last push is in the store). */
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 1);
  kios_sync_engine_shutdown (f->engine, 2000);
  wait_idle (f->engine, 5000);
  g_clear_object (&f->engine);
  f->engine = engine_for (f, base, USER, PASSWORD);
  open_and_decide (f, moved);
  kios_sync_engine_deactivate (f->engine);
  kios_sync_engine_close_book (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (n_requests (f, "PUT"), ==, 1);
}

typedef struct
{
  gint64 last;
  gint64 longest;
} Gap;

static gboolean
measure_gap (gpointer data)
{
  Gap   *gap = data;
  gint64 now = g_get_monotonic_time ();

  if (gap->last != 0)
    gap->longest = MAX (gap->longest, now - gap->last);
  gap->last = now;
  return G_SOURCE_CONTINUE;
}

static void
test_black_hole (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GSocketListener) hole = NULL;
  g_autoptr (KiosPosition)    local = position_at (f, 5, 0, NULL);
  g_autoptr (KiosPosition)    moved = position_at (f, 7, 0, NULL);
  g_autoptr (KiosPosition)    pending = NULL;
  g_autofree char            *url = NULL;
  guint16                     port = 0;
  Gap                         gap = { 0 };
  guint                       timer;
  gint64                      start, elapsed;
  gboolean                    done;

  hole = kios_fake_black_hole_new (&port);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_clear_object (&f->engine);
  f->engine = engine_for (f, url, USER, PASSWORD);

  timer = g_timeout_add (10, measure_gap, &gap);
  kios_sync_engine_open_book (f->engine, f->document, local);
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);

  /* The window keeps running while both requests hang. */
  {
    gint64 end = g_get_monotonic_time () + 1500 * 1000;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_true (kios_sync_engine_is_busy (f->engine));
  g_test_message ("longest main-loop gap: %" G_GINT64_FORMAT " ms", gap.longest / 1000);
  g_assert_cmpint (gap.longest, <, 200 * 1000);

  start = g_get_monotonic_time ();
  done = kios_sync_engine_shutdown (f->engine, 2000);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("quit returned after %" G_GINT64_FORMAT " ms", elapsed / 1000);
  g_assert_false (done);
  g_assert_cmpint (elapsed, <=, 2100 * 1000);
  g_source_remove (timer);

  pending = kios_library_store_get_pending_push (f->store, kios_document_get_hash (f->document),
                                                 SOURCE, NULL);
  g_assert_nonnull (pending);
  g_assert_cmpint (pending->chapter, ==, moved->chapter);

  /* The cancelled requests come back promptly. */
  g_assert_true (wait_idle (f->engine, 5000));
  g_clear_object (&f->engine);
  g_socket_listener_close (hole);
}

typedef struct
{
  GMutex  lock;
  GArray *put_times; /* gint64 monotonic µs of each PUT's arrival */
} SlowPuts;

/* An official-style server whose PUT takes 500 ms to answer. */
static void
slow_put_handler (KiosFakeServer        *server,
                  const KiosFakeRequest *request,
                  KiosFakeResponse      *response,
                  gpointer               user_data)
{
  SlowPuts *slow = user_data;

  if (g_strcmp0 (request->method, "PUT") == 0)
    {
      gint64 now = g_get_monotonic_time ();

      g_mutex_lock (&slow->lock);
      g_array_append_val (slow->put_times, now);
      g_mutex_unlock (&slow->lock);
      response->delay_ms = 500;
      kios_fake_response_set_text (response, 200, "application/json",
                                   "{\"document\":\"x\",\"timestamp\":1700000000}");
    }
  else if (g_str_has_prefix (request->path, "/syncs/progress/"))
    kios_fake_response_set_text (response, 200, "application/json", "{}");
  else
    kios_fake_response_set_text (response, 200, "application/json", "{\"authorized\":\"OK\"}");
}

/* Two windows, one account: one request at a time, the second waits its turn. */
static void
test_serialized_per_account (Fixture      *f,
                             gconstpointer data)
{
  g_autoptr (KiosPosition)    a_pos = position_at (f, 5, 0, NULL);
  g_autoptr (KiosPosition)    b_pos = position_at (f, 8, 0, NULL);
  g_autoptr (KiosPosition)    c_pos = position_at (f, 9, 0, NULL);
  g_autoptr (KiosSyncEngine)  second = NULL;
  g_autoptr (KiosFakeServer)  server = NULL;
  g_autoptr (KiosSyncService) service = kios_sync_service_new (f->store);
  SlowPuts                    slow = { 0 };
  gint64                      gap;

  g_mutex_init (&slow.lock);
  slow.put_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  server = kios_fake_server_new (slow_put_handler, &slow);
  g_clear_object (&f->engine);
  /* The engines of one service (one per window) share the serialization. */
  f->engine = kios_sync_service_create_engine (service);
  second = kios_sync_service_create_engine (service);
  g_assert_true (wait_idle (f->engine, 5000));
  g_assert_true (wait_idle (second, 5000));
  {
    g_autoptr (KiosSyncEngine) a = engine_for (f, kios_fake_server_get_url (server), USER, PASSWORD);
    g_autoptr (KiosSyncEngine) b = engine_for (f, kios_fake_server_get_url (server), USER, PASSWORD);

    kios_sync_engine_set_backend (f->engine, kios_sync_engine_get_backend (a));
    kios_sync_engine_set_backend (second, kios_sync_engine_get_backend (b));
  }

  kios_sync_engine_open_book (f->engine, f->document, a_pos);
  kios_sync_engine_open_book (second, f->document, a_pos);
  g_assert_true (wait_idle (f->engine, 5000));
  g_assert_true (wait_idle (second, 5000));
  kios_sync_engine_set_position (f->engine, b_pos, TRUE);
  kios_sync_engine_set_position (second, c_pos, TRUE);
  kios_sync_engine_deactivate (f->engine);
  kios_sync_engine_deactivate (second);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_true (wait_idle (second, 10000));

  g_mutex_lock (&slow.lock);
  g_assert_cmpuint (slow.put_times->len, ==, 2);
  gap = g_array_index (slow.put_times, gint64, 1) - g_array_index (slow.put_times, gint64, 0);
  g_mutex_unlock (&slow.lock);
  g_test_message ("second PUT started %" G_GINT64_FORMAT " ms after the first", gap / 1000);
  g_assert_cmpint (gap, >=, 450 * 1000);
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_SYNCED);
  g_assert_cmpint (kios_sync_engine_get_state (second), ==, KIOS_SYNC_STATE_SYNCED);

  kios_sync_engine_shutdown (second, 2000);
  g_clear_object (&second);
  kios_sync_engine_shutdown (f->engine, 2000);
  g_clear_object (&f->engine);
  g_clear_pointer (&server, kios_fake_server_free);
  g_array_unref (slow.put_times);
  g_mutex_clear (&slow.lock);
}

typedef struct
{
  const char *hash;
  const char *xpointer; /* the other device's position */
  gint        n_puts;   /* atomic */
} SlowPull;

/* An official-style server whose GET answers after 800 ms with a position
 * further on; PUTs are counted. */
static void
slow_pull_handler (KiosFakeServer        *server,
                   const KiosFakeRequest *request,
                   KiosFakeResponse      *response,
                   gpointer               user_data)
{
  SlowPull *slow = user_data;

  if (g_strcmp0 (request->method, "PUT") == 0)
    {
      g_atomic_int_inc (&slow->n_puts);
      kios_fake_response_set_text (response, 200, "application/json",
                                   "{\"document\":\"x\",\"timestamp\":1700000000}");
    }
  else if (g_str_has_prefix (request->path, "/syncs/progress/"))
    {
      g_autofree char *body = g_strdup_printf ("{\"document\":\"%s\",\"progress\":\"%s\","
                                               "\"percentage\":0.5,\"device\":\"KOReader\","
                                               "\"device_id\":\"OTHER\",\"timestamp\":1700000000}",
                                               slow->hash, slow->xpointer);

      response->delay_ms = 800;
      kios_fake_response_set_text (response, 200, "application/json", body);
    }
  else
    kios_fake_response_set_text (response, 200, "application/json", "{\"authorized\":\"OK\"}");
}

/* Pull before the first push, and an unanswered prompt never lets the
 * older local position overwrite the newer remote one. */
static void
test_no_overwrite_before_choice (Fixture      *f,
                                 gconstpointer data)
{
  g_autoptr (KiosPosition)   local = position_at (f, 2, 0, NULL);
  g_autoptr (KiosPosition)   remote = position_at (f, 9, 0, NULL);
  g_autoptr (KiosPosition)   pending = NULL;
  g_autoptr (KiosFakeServer) server = NULL;
  SlowPull                   slow = { kios_document_get_hash (f->document), remote->xpointer, 0 };

  server = kios_fake_server_new (slow_pull_handler, &slow);
  g_clear_object (&f->engine);
  f->engine = engine_for (f, kios_fake_server_get_url (server), USER, PASSWORD);

  /* Backgrounded while the pull is on its way: nothing is sent yet. */
  kios_sync_engine_open_book (f->engine, f->document, local);
  for (int i = 0; i < 100; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  kios_sync_engine_deactivate (f->engine);
  for (int i = 0; i < 100; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpint (g_atomic_int_get (&slow.n_puts), ==, 0);

  /* The answer is further on: a prompt, and still nothing sent. */
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  kios_sync_engine_deactivate (f->engine);
  kios_sync_engine_activate (f->engine);
  kios_sync_engine_close_book (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpint (g_atomic_int_get (&slow.n_puts), ==, 0);
  kios_library_store_flush (f->store, 2000);
  pending = kios_library_store_get_pending_push (f->store, slow.hash, SOURCE, NULL);
  g_assert_null (pending);

  /* Stay here is a choice: the local position goes at the next background. */
  f->decided = FALSE;
  kios_sync_engine_open_book (f->engine, f->document, local);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpint (f->decision, ==, KIOS_SYNC_DECISION_PROMPT);
  kios_sync_engine_dismiss_remote (f->engine);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpint (g_atomic_int_get (&slow.n_puts), ==, 1);

  kios_sync_engine_shutdown (f->engine, 2000);
  g_clear_object (&f->engine);
}

/* The account from the store and the keyring; without a usable Secret
 * Service the state says so (never a silent "off", never plaintext). */
static void
test_load_account (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *base = kios_fake_kosync_get_base_url (f->fake);
  KiosSourceRecord   record = { 0 };

  g_clear_object (&f->engine);
  f->engine = kios_sync_engine_new (f->store);
  kios_sync_engine_load_account (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_OFF);
  g_assert_null (kios_sync_engine_get_backend (f->engine));

  record.name = (char *) SOURCE;
  record.kind = (char *) "kosync";
  record.url = base;
  record.auth = (char *) "headers";
  record.username = (char *) USER;
  kios_library_store_add_source (f->store, &record, &error);
  g_assert_no_error (error);
  kios_sync_engine_load_account (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  if (kios_sync_engine_get_backend (f->engine) == NULL)
    {
      g_test_message ("reason: %s", kios_sync_engine_get_reason (f->engine));
      g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_FAILING);
      g_assert_nonnull (strstr (kios_sync_engine_get_reason (f->engine), "Secret Service"));
    }
  else
    {
      g_assert_cmpstr (kios_sync_backend_get_source_name (kios_sync_engine_get_backend (f->engine)), ==, SOURCE);
      g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_SYNCED);
    }
}

static void
test_unauthorized_no_retry (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (KiosPosition) local = position_at (f, 5, 0, NULL);
  g_autoptr (KiosPosition) moved = position_at (f, 6, 0, NULL);
  g_autofree char         *base = kios_fake_kosync_get_base_url (f->fake);

  g_clear_object (&f->engine);
  f->engine = engine_for (f, base, USER, "wrong-password");
  open_and_decide (f, local);
  g_assert_cmpuint (n_requests (f, NULL), ==, 1);
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_FAILING);
  g_assert_nonnull (kios_sync_engine_get_reason (f->engine));
  g_test_message ("reason: %s", kios_sync_engine_get_reason (f->engine));

  for (int i = 0; i < 5; i++)
    {
      kios_sync_engine_set_position (f->engine, i % 2 ? local : moved, TRUE);
      kios_sync_engine_deactivate (f->engine);
      kios_sync_engine_activate (f->engine);
      g_assert_true (wait_idle (f->engine, 5000));
    }
  g_assert_cmpuint (n_requests (f, NULL), ==, 1);
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_FAILING);

  /* "Sync now" is the user's explicit retry: exactly one more exchange. */
  kios_sync_engine_sync_now (f->engine);
  g_assert_true (wait_idle (f->engine, 5000));
  g_assert_cmpuint (n_requests (f, NULL), <=, 3);
  g_assert_cmpint (kios_sync_engine_get_state (f->engine), ==, KIOS_SYNC_STATE_FAILING);
}

static void
test_no_secret_in_logs (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (KiosFakeKosync) kavita = kios_fake_kosync_new (KIOS_FAKE_KOSYNC_KAVITA);
  g_autoptr (KiosPosition)   local = position_at (f, 2, 0, NULL);
  g_autoptr (KiosPosition)   moved = position_at (f, 3, 0, NULL);
  g_autoptr (KiosPosition)   further = position_at (f, 4, 0, NULL);
  g_autofree char           *base = NULL;
  g_autofree char           *log = NULL;
  const char                *key = "kavitaApiKey7f3e9c2b5d";
  const char                *md5 = NULL;
  g_autofree char           *md5_owned = g_compute_checksum_for_string (G_CHECKSUM_MD5, PASSWORD, -1);

  md5 = md5_owned;
  kios_fake_kosync_add_user (kavita, key, "");
  kios_fake_kosync_add_book (kavita, kios_document_get_hash (f->document), 20);
  base = kios_fake_kosync_get_base_url (kavita);
  g_assert_nonnull (strstr (base, key));

  g_mutex_lock (&log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&log_lock);

  /* Headers account (password, md5 key) and Kavita (key in the URL), with
   * success, wrong credentials and an unreachable server. */
  open_and_decide (f, local);
  kios_sync_engine_set_position (f->engine, moved, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  kios_sync_engine_shutdown (f->engine, 2000);
  wait_idle (f->engine, 5000);
  g_clear_object (&f->engine);

  f->engine = engine_for (f, base, USER, PASSWORD);
  open_and_decide (f, local);
  kios_sync_engine_set_position (f->engine, further, TRUE);
  kios_sync_engine_deactivate (f->engine);
  g_assert_true (wait_idle (f->engine, 10000));
  g_assert_cmpuint (kios_fake_server_get_n_requests (kios_fake_kosync_get_server (kavita)), ==, 2);
  g_assert_null (strstr (kios_sync_engine_get_server (f->engine), key));
  kios_sync_engine_shutdown (f->engine, 2000);
  wait_idle (f->engine, 5000);
  g_clear_object (&f->engine);

  {
    g_autofree char *wrong = g_strdup_printf ("%s/api/koreader/%sX", kios_fake_kosync_get_host_url (kavita), key);

    f->engine = engine_for (f, wrong, USER, PASSWORD);
    open_and_decide (f, local);
    if (kios_sync_engine_get_reason (f->engine) != NULL)
      g_assert_null (strstr (kios_sync_engine_get_reason (f->engine), key));
  }

  g_mutex_lock (&log_lock);
  log = g_strdup (captured_log->str);
  g_mutex_unlock (&log_lock);
  g_test_message ("captured %zu bytes of log", strlen (log));
  if (g_getenv ("KIOS_TEST_DUMP_LOG") != NULL)
    g_printerr ("%s", log);
  g_assert_cmpuint (strlen (log), >, 0);
  g_assert_null (strstr (log, PASSWORD));
  g_assert_null (strstr (log, md5));
  g_assert_null (strstr (log, key));

  /* Nor in the library (its sync log and sync state), main file or WAL. */
  kios_library_store_flush (f->store, 2000);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *file = g_strconcat (f->db_path, i == 0 ? "" : "-wal", NULL);
      g_autofree char *contents = NULL;
      gsize            length = 0;

      if (!g_file_get_contents (file, &contents, &length, NULL))
        continue;
      g_test_message ("%s: %zu bytes", file, length);
      g_assert_null (g_strstr_len (contents, length, PASSWORD));
      g_assert_null (g_strstr_len (contents, length, md5));
      g_assert_null (g_strstr_len (contents, length, key));
    }
}

/* What each protocol keeps of a position, as the sync details show it
 * (the family is known from the URL the seed documents for it). */
static void
test_precision (Fixture      *f,
                gconstpointer data)
{
  static const struct
  {
    const char       *url;
    KiosSyncPrecision epub;
  } families[] = {
    { "http://127.0.0.1:1", KIOS_SYNC_PRECISION_EXACT },                         /* official */
    { "http://127.0.0.1:1/kosync", KIOS_SYNC_PRECISION_EXACT },                  /* CWA */
    { "http://127.0.0.1:1/api/koreader", KIOS_SYNC_PRECISION_EXACT },            /* Grimmory */
    { "http://127.0.0.1:1/koreader", KIOS_SYNC_PRECISION_CHAPTER },              /* Komga */
    { "http://127.0.0.1:1/api/koreader/0123abcd", KIOS_SYNC_PRECISION_CHAPTER }, /* Kavita */
    { "http://127.0.0.1:1/koreader/stump_0123", KIOS_SYNC_PRECISION_EXACT },     /* Stump */
  };
  g_autoptr (KiosSyncBackend) readium = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_autoptr (KiosKosyncClient)  client = kios_kosync_client_new (families[i].url, KIOS_KOSYNC_AUTH_HEADERS, USER, PASSWORD);
      g_autoptr (KiosKosyncBackend) backend = kios_kosync_backend_new (SOURCE, client);

      g_assert_cmpstr (kios_sync_precision_to_string (kios_sync_backend_get_precision (KIOS_SYNC_BACKEND (backend), KIOS_BOOK_FORMAT_EPUB)),
                       ==, kios_sync_precision_to_string (families[i].epub));
      g_assert_cmpint (kios_sync_backend_get_precision (KIOS_SYNC_BACKEND (backend), KIOS_BOOK_FORMAT_PDF),
                       ==, KIOS_SYNC_PRECISION_PAGE);
    }

  readium = KIOS_SYNC_BACKEND (kios_readium_backend_new (f->store, "Komga", "0123",
                                                         kios_readium_client_new ("http://127.0.0.1:1/p", NULL, NULL, NULL)));
  g_assert_cmpint (kios_sync_backend_get_precision (readium, KIOS_BOOK_FORMAT_EPUB), ==, KIOS_SYNC_PRECISION_CHAPTER);
  g_assert_cmpint (kios_sync_backend_get_precision (readium, KIOS_BOOK_FORMAT_PDF), ==, KIOS_SYNC_PRECISION_PAGE);
  g_assert_cmpstr (kios_sync_precision_to_string (KIOS_SYNC_PRECISION_PERCENT), ==, "percent");
}

int
main (int   argc,
      char *argv[])
{
  /* Debug output on for every domain, so that the redaction test sees it all. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

#define ADD(name, func) \
  g_test_add ("/kios/sync-engine/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("decision-prompt", test_decision_prompt);
  ADD ("decision-prompt-same-chapter", test_decision_prompt_same_chapter);
  ADD ("decision-apply-silently", test_decision_apply_silently);
  ADD ("decision-ignore-behind", test_decision_ignore_behind);
  ADD ("decision-none", test_decision_none);
  ADD ("pdf-pages", test_pdf_pages);
  ADD ("readium-book", test_readium_book);
  ADD ("coarse-and-foreign-xpointers", test_coarse_and_foreign_xpointers);
  ADD ("page-turned-no-prompt", test_page_turned_no_prompt);
  ADD ("deactivate-one-put", test_deactivate_one_put);
  ADD ("page-turns-no-requests", test_page_turns_no_requests);
  ADD ("pending-survives-restart", test_pending_survives_restart);
  ADD ("black-hole", test_black_hole);
  ADD ("serialized-per-account", test_serialized_per_account);
  ADD ("no-overwrite-before-choice", test_no_overwrite_before_choice);
  ADD ("load-account", test_load_account);
  ADD ("unauthorized-no-retry", test_unauthorized_no_retry);
  ADD ("no-secret-in-logs", test_no_secret_in_logs);
  ADD ("precision", test_precision);
#undef ADD

  return g_test_run ();
}
