/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-pipeline"

#include "config.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-fake-kobo.h"
#include "kios-fake-kosync.h"
#include "kios-fake-progression.h"
#include "kios-kobo-backend.h"
#include "kios-kobo-library.h"
#include "kios-kosync-backend.h"
#include "kios-library-store.h"
#include "kios-paths.h"
#include "kios-readium-backend.h"
#include "kios-sync-engine.h"
#include "kios-sync-pipeline.h"
#include "kios-test-kiosctl.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/*
 * One pull pipeline for the app and for kiosctl. The parity table feeds the
 * same remote, served by the fake server of each family over loopback HTTP,
 * through the real KiosSyncEngine (a real store file, a real KiosDocument,
 * the "decided" signal) and through the real kiosctl binary
 * (`sync pull --json`), and asserts both decide the same and land in the
 * same chapter, the one the table expects. Then table-driven tests of the
 * normaliser alone.
 */

#define EPUB "pride-and-prejudice.epub"
#define PDF "persuasion.pdf"

typedef enum {
  KIND_KOSYNC,
  KIND_READIUM,
  KIND_KOBO,
} Kind;

typedef struct
{
  const char          *name;
  Kind                 kind;
  KiosFakeKosyncFamily family;
  const char          *book;
  const char          *local; /* kiosctl POS of this device */
  /* The remote: "@chapter:I:F" is the xpointer of that place in the book,
   * "@1chapter:I:F" its DOM-20260812 "[1]" form; otherwise verbatim.
   * Readium / Kobo: the chapter index, progression in it. */
  const char *progress;
  int         chapter;
  double      chapter_progress;
  double      percentage;
  const char *decision;
  int         expect_chapter; /* where it lands; -1: where "percent:" lands */
} Case;

static const Case cases[] = {
  { "official-xpointer", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "chapter:2:0", "@chapter:9:0.3", 0, 0, 0.4, "prompt", 9 },
  { "official-dom-2026", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "chapter:2:0", "@1chapter:9:0.3", 0, 0, 0.4, "prompt", 9 },
  { "official-doc-fragment-id", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "chapter:2:0", "#_doc_fragment_11_ch10", 0, 0, 0.01, "prompt", 11 },
  { "official-behind", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "chapter:12:0", "@chapter:3:0.5", 0, 0, 0.1, "ignore-behind", 3 },
  { "official-same-place", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "chapter:9:0.3", "@local", 0, 0, 0.4, "none", 9 },
  /* One screen page further at the default layout: both just go there. */
  { "official-next-page", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "@page:9:1", "@page:9:2", 0, 0, 0.4, "apply-silently", 9 },
  { "official-pages-ahead", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "@page:9:1", "@page:9:4", 0, 0, 0.4, "prompt", 9 },
  { "official-page-back", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "@page:9:3", "@page:9:1", 0, 0, 0.4, "ignore-behind", 9 },
  { "official-percent-only", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, EPUB, "chapter:2:0", "not an xpointer", 0, 0, 0.5, "prompt", -1 },
  { "official-pdf-page", KIND_KOSYNC, KIOS_FAKE_KOSYNC_OFFICIAL, PDF, "page:3", "12", 0, 0, 0.05, "prompt", 11 },
  { "cwa-xpointer", KIND_KOSYNC, KIOS_FAKE_KOSYNC_CWA, EPUB, "chapter:2:0", "@chapter:20:0.5", 0, 0, 0.5, "prompt", 20 },
  { "grimmory-xpointer", KIND_KOSYNC, KIOS_FAKE_KOSYNC_GRIMMORY, EPUB, "chapter:2:0", "@chapter:9:0.3", 0, 0, 0.4, "prompt", 9 },
  { "booklore-no-timestamp", KIND_KOSYNC, KIOS_FAKE_KOSYNC_BOOKLORE, EPUB, "chapter:30:0", "@chapter:9:0.3", 0, 0, 0.4, "ignore-behind", 9 },
  { "komga-chapter-start", KIND_KOSYNC, KIOS_FAKE_KOSYNC_KOMGA, EPUB, "chapter:2:0", "@chapter:9:0.3", 0, 0, 0.4, "prompt", 9 },
  { "kavita-doc-fragment", KIND_KOSYNC, KIOS_FAKE_KOSYNC_KAVITA, EPUB, "chapter:2:0", "#_doc_fragment14", 0, 0, 0.9, "prompt", 13 },
  { "kavita-xpointer", KIND_KOSYNC, KIOS_FAKE_KOSYNC_KAVITA, EPUB, "chapter:2:0", "@chapter:9:0.3", 0, 0, 0.4, "prompt", 9 },
  { "stump-xpointer", KIND_KOSYNC, KIOS_FAKE_KOSYNC_STUMP, EPUB, "chapter:12:0", "@chapter:9:0.3", 0, 0, 0.4, "ignore-behind", 9 },
  { "readium-komga", KIND_READIUM, 0, EPUB, "chapter:2:0.1", NULL, 6, 0.5, 0.2, "prompt", 6 },
  { "readium-komga-behind", KIND_READIUM, 0, EPUB, "chapter:20:0", NULL, 6, 0.5, 0.2, "ignore-behind", 6 },
  { "kobo-komga", KIND_KOBO, 0, EPUB, "chapter:2:0", NULL, 8, 0.6, 0.35, "prompt", 8 },
};

/* ---- helpers ------------------------------------------------------------- */

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError)     error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static KiosPosition *
parse_pos (KiosDocument *document,
           const char   *pos)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_document_parse_position (document, pos, &error);

  g_assert_no_error (error);
  return position;
}

/* The first position of screen page `page` of the chapter at the default
 * layout (the pipeline's page box). */
static KiosPosition *
page_start (KiosDocument *document,
            int           chapter,
            int           page)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosPage) result = NULL;
  KiosPageRequest      request;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_LOCATION;
  request.location.chapter = chapter;
  request.location.page = page;
  request.position_only = TRUE;
  request.box_width = KIOS_SYNC_PIPELINE_BOX_WIDTH;
  request.box_height = KIOS_SYNC_PIPELINE_BOX_HEIGHT;
  result = kios_document_render_sync (document, &request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->location.page, ==, page);
  return kios_position_copy (result->position);
}

/* "@chapter:I:F" → the book's own xpointer there; "@1…" → the "[1]" form;
 * "@page:I:P" → the xpointer of the start of screen page P of chapter I. */
static char *
expand_progress (KiosDocument *document,
                 const char   *progress)
{
  g_autoptr (KiosPosition) position = NULL;
  g_autoptr (GString)      out = NULL;
  gboolean                 dom_2026 = g_str_has_prefix (progress, "@1");
  char                    *inner;
  int                      chapter, page;

  if (progress[0] != '@')
    return g_strdup (progress);
  if (g_str_equal (progress, "@local"))
    {
      g_auto (KiosctlRun)    run = { 0 };
      g_autoptr (JsonObject) saved = NULL;

      kios_test_kiosctl (&run, NULL, "position", kios_document_get_path (document), "--json", NULL);
      g_assert_cmpint (run.status, ==, 0);
      saved = parse_object (run.out);
      return g_strdup (json_object_get_string_member (saved, "xpointer"));
    }
  if (sscanf (progress, "@page:%d:%d", &chapter, &page) == 2)
    {
      position = page_start (document, chapter, page);
      g_assert_nonnull (position->xpointer);
      return g_strdup (position->xpointer);
    }
  position = parse_pos (document, progress + (dom_2026 ? 2 : 1));
  g_assert_nonnull (position->xpointer);
  if (!dom_2026)
    return g_strdup (position->xpointer);
  g_assert_true (g_str_has_prefix (position->xpointer, "/body/DocFragment["));
  out = g_string_new (position->xpointer);
  g_string_insert (out, strlen ("/body"), "[1]");
  inner = strstr (out->str, "]/body/");
  g_assert_nonnull (inner);
  g_string_insert (out, inner - out->str + strlen ("]/body"), "[1]");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
kiosctl_ok (const char *stdin_text,
            ...)
{
  g_auto (KiosctlRun) run = { 0 };
  const char         *argv[16] = { NULL };
  va_list             args;
  int                 n = 0;

  va_start (args, stdin_text);
  while ((argv[n] = va_arg (args, const char *)) != NULL)
    g_assert_cmpint (++n, <, 15);
  va_end (args);
  kios_test_kiosctl (&run, stdin_text, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
                     argv[8], argv[9], argv[10], argv[11], argv[12], argv[13], argv[14], NULL);
  g_assert_cmpint (run.status, ==, 0);
}

/* kiosctl's own store, where the app would keep the book's source identity. */
static void
register_book (const char *path,
               const char *hash,
               const char *key1,
               const char *value1,
               const char *key2,
               const char *value2)
{
  g_autofree char             *db = kios_paths_library_db ();
  g_autofree char             *data_dir = kios_paths_data_dir ();
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (GError)           error = NULL;
  KiosBookRecord               record = { 0 };

  g_mkdir_with_parents (data_dir, 0700);
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  record.hash = (char *) hash;
  record.path = (char *) path;
  record.format = (char *) "epub";
  record.title = (char *) "Pride and Prejudice";
  kios_library_store_upsert_book (store, &record);
  kios_library_store_set_book_meta (store, hash, key1, value1);
  kios_library_store_set_book_meta (store, hash, key2, value2);
  g_assert_true (kios_library_store_flush (store, 5000));
}

static char *
chapter_href (KiosDocument *document,
              int           chapter)
{
  g_autoptr (KiosPosition) position = NULL;
  g_autofree char         *pos = g_strdup_printf ("chapter:%d:0", chapter);

  position = parse_pos (document, pos);
  g_assert_nonnull (position->chapter_href);
  return g_strdup (position->chapter_href);
}

/* ---- the engine side ----------------------------------------------------- */

typedef struct
{
  KiosSyncBackend *backend;
  const char      *hash;
} BookBackend;

static KiosSyncBackend *
book_backend (KiosLibraryStore *store,
              const char       *hash,
              GCancellable     *cancellable,
              gpointer          user_data)
{
  BookBackend *book = user_data;

  return g_strcmp0 (hash, book->hash) == 0 ? g_object_ref (book->backend) : NULL;
}

typedef struct
{
  gboolean decided;
  int      decision;
  int      jumped_to; /* chapter of a silent jump, or -1 */
} Decided;

static void
on_jump (KiosSyncEngine     *engine,
         const KiosPosition *position,
         Decided            *d)
{
  d->jumped_to = position->chapter;
}

static void
on_decided (KiosSyncEngine *engine,
            int             decision,
            const char     *reason,
            Decided        *d)
{
  g_test_message ("engine decided %s: %s", kios_sync_decision_to_string (decision), reason);
  d->decided = TRUE;
  d->decision = decision;
}

typedef struct
{
  KiosFakeKosync      *kosync;
  KiosFakeProgression *progression;
  KiosFakeKobo        *kobo;
  KiosSyncBackend     *global; /* the engine's KOReader sync account */
  char                *catalog;
} Servers;

static void
servers_clear (Servers *s)
{
  g_clear_object (&s->global);
  g_clear_pointer (&s->kosync, kios_fake_kosync_free);
  g_clear_pointer (&s->progression, kios_fake_progression_free);
  g_clear_pointer (&s->kobo, kios_fake_kobo_free);
  g_clear_pointer (&s->catalog, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Servers, servers_clear)

/* The book's own backend, as kios_sync_engine_backend_for_book would open
 * it from the store and the keyring (this sandbox has no keyring for the
 * app: the test builds it from the same parts). */
static KiosSyncBackend *
own_backend (Servers          *s,
             KiosLibraryStore *store,
             const char       *hash)
{
  g_autoptr (GError) error = NULL;

  if (s->progression != NULL)
    {
      kios_library_store_set_book_meta (store, hash, "opds.source", "komga");
      return KIOS_SYNC_BACKEND (kios_readium_backend_new (store, "komga", hash,
                                                          kios_readium_client_new (kios_fake_progression_get_url (s->progression),
                                                                                   s->catalog, "kios@example.org",
                                                                                   "kios-pass")));
    }
  if (s->kobo != NULL)
    {
      g_autofree char *base = kios_fake_kobo_get_base_url (s->kobo);
      KiosKoboClient  *client = kios_kobo_client_new (base, &error);

      g_assert_no_error (error);
      g_assert_true (kios_kobo_client_initialize (client, NULL, &error));
      g_assert_no_error (error);
      kios_library_store_set_book_meta (store, hash, KIOS_KOBO_META_SOURCE, "kg");
      kios_library_store_set_book_meta (store, hash, KIOS_KOBO_META_ENTITLEMENT_ID, "0KOMGA00");
      return KIOS_SYNC_BACKEND (kios_kobo_backend_new ("kg", client, store));
    }
  return NULL;
}

/* Opens the book in a fresh engine and store; returns the resolved
 * remote's chapter (-1 when the engine keeps none) and sets *decision. */
static int
engine_decide (Servers            *s,
               KiosDocument       *document,
               const KiosPosition *local,
               const char        **decision)
{
  g_autofree char             *dir = g_dir_make_tmp ("kios-pipeline-XXXXXX", NULL);
  g_autofree char             *db = g_build_filename (dir, "library.db", NULL);
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSyncEngine)   engine = NULL;
  g_autoptr (KiosSyncBackend)  own = NULL;
  g_autoptr (GError)           error = NULL;
  BookBackend                  book = { NULL, kios_document_get_hash (document) };
  Decided                      d = { FALSE, -1, -1 };
  gint64                       end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  int                          chapter = -1;

  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  own = own_backend (s, store, book.hash);
  book.backend = own;
  engine = kios_sync_engine_new (store);
  if (s->global != NULL)
    kios_sync_engine_set_backend (engine, s->global);
  if (own != NULL)
    kios_sync_engine_set_book_backend_func (engine, book_backend, &book);
  g_signal_connect (engine, "decided", G_CALLBACK (on_decided), &d);
  g_signal_connect (engine, "jump", G_CALLBACK (on_jump), &d);

  kios_sync_engine_open_book (engine, document, local);
  while (!d.decided && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (d.decided);
  *decision = kios_sync_decision_to_string (d.decision);
  if (kios_sync_engine_get_has_remote (engine))
    chapter = kios_sync_engine_get_remote (engine)->chapter;
  else
    chapter = d.jumped_to;

  kios_sync_engine_shutdown (engine, 2000);
  while (kios_sync_engine_is_busy (engine) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&engine);
  kios_library_store_flush (store, 2000);
  g_clear_object (&store);
  {
    const char *suffixes[] = { "", "-wal", "-shm" };

    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *file = g_strconcat (db, suffixes[i], NULL);

        g_unlink (file);
      }
    g_rmdir (dir);
  }
  return chapter;
}

/* ---- one case through both ----------------------------------------------- */

static void
set_up_kosync (Servers      *s,
               const Case   *c,
               KiosDocument *document,
               const char   *path)
{
  static const struct
  {
    KiosFakeKosyncFamily family;
    const char          *user;
    const char          *password;
    gboolean             basic;
    gboolean             key_in_url;
  } accounts[] = {
    { KIOS_FAKE_KOSYNC_OFFICIAL, "bob", "passwd123", FALSE, FALSE },
    { KIOS_FAKE_KOSYNC_CWA, "Reader", "cwa plain pw", TRUE, FALSE },
    { KIOS_FAKE_KOSYNC_GRIMMORY, "kosync-user", "grimmory-pw", FALSE, FALSE },
    { KIOS_FAKE_KOSYNC_BOOKLORE, "kosync-user", "booklore-pw", FALSE, FALSE },
    { KIOS_FAKE_KOSYNC_KOMGA, "komgaapikey0123456789abcdef", "ignored", FALSE, FALSE },
    { KIOS_FAKE_KOSYNC_KAVITA, "kavitaApiKey0123456789", "", FALSE, TRUE },
    { KIOS_FAKE_KOSYNC_STUMP, "stump_apikey_0123456789", "", FALSE, TRUE },
  };
  g_autoptr (KiosKosyncClient) client = NULL;
  g_autofree char             *base = NULL;
  g_autofree char             *progress = expand_progress (document, c->progress);
  g_autofree char             *password_line = NULL;
  const char                  *hash = kios_document_get_hash (document);
  guint                        a = 0;

  while (accounts[a].family != c->family)
    a++;
  s->kosync = kios_fake_kosync_new (c->family);
  kios_fake_kosync_add_user (s->kosync, accounts[a].user, accounts[a].password);
  kios_fake_kosync_add_book (s->kosync, hash, kios_document_get_n_chapters (document));
  base = kios_fake_kosync_get_base_url (s->kosync);
  kios_fake_kosync_set_progress (s->kosync, hash, progress, c->percentage, "KOReader", "KOREADERDEVICE",
                                 1700000000);

  password_line = g_strconcat (accounts[a].password, "\n", NULL);
  if (accounts[a].key_in_url)
    kiosctl_ok (NULL, "source", "add", "--kind", "kosync", "--name", "sync", "--url", base, NULL);
  else
    kiosctl_ok (password_line, "source", "add", "--kind", "kosync", "--name", "sync", "--url", base, "--auth",
                accounts[a].basic ? "basic" : "headers", "--user", accounts[a].user, "--password-stdin", NULL);

  client = kios_kosync_client_new (base, accounts[a].basic ? KIOS_KOSYNC_AUTH_BASIC : KIOS_KOSYNC_AUTH_HEADERS,
                                   accounts[a].user, accounts[a].password);
  kios_kosync_client_set_device (client, "Kios test", "0123456789ABCDEF0123456789ABCDEF");
  s->global = KIOS_SYNC_BACKEND (kios_kosync_backend_new ("sync", client));
  (void) path;
}

static void
set_up_readium (Servers      *s,
                const Case   *c,
                KiosDocument *document,
                const char   *path)
{
  g_autofree char *catalog = NULL;
  g_autofree char *href = chapter_href (document, c->chapter);
  g_autofree char *doc = NULL;
  const char      *hash = kios_document_get_hash (document);

  s->progression = kios_fake_progression_new (KIOS_FAKE_PROGRESSION_KOMGA, "kios@example.org", "kios-pass", path);
  catalog = g_strconcat (kios_fake_progression_get_base (s->progression), "/opds/v2/catalog", NULL);
  doc = g_strdup_printf ("{\"modified\":\"2026-03-14T09:26:53Z\",\"device\":{\"id\":\"webui\",\"name\":\"Komga-webui\"},"
                         "\"locator\":{\"href\":\"%s\",\"type\":\"application/xhtml+xml\","
                         "\"locations\":{\"progression\":%.9g,\"totalProgression\":%.9g}}}",
                         href, c->chapter_progress, c->percentage);
  kios_fake_progression_set_stored (s->progression, doc);

  kiosctl_ok ("kios-pass\n", "source", "add", "--kind", "opds", "--name", "komga", "--url", catalog, "--user",
              "kios@example.org", "--password-stdin", NULL);
  register_book (path, hash, "opds.progression", kios_fake_progression_get_url (s->progression), "opds.source",
                 "komga");

  s->catalog = g_steal_pointer (&catalog);
}

static void
set_up_kobo (Servers      *s,
             const Case   *c,
             KiosDocument *document,
             const char   *path)
{
  g_autofree char *base = NULL;
  g_autofree char *href = chapter_href (document, c->chapter);
  const char      *hash = kios_document_get_hash (document);

  s->kobo = kios_fake_kobo_new (KIOS_FAKE_KOBO_KOMGA);
  kios_fake_kobo_add_book (s->kobo, "0KOMGA00", "Pride and Prejudice", "Jane Austen", "EPUB3", path);
  kios_fake_kobo_set_state (s->kobo, "0KOMGA00", href, NULL, c->chapter_progress * 100, c->percentage * 100,
                            1700000000000);
  base = kios_fake_kobo_get_base_url (s->kobo);

  kiosctl_ok (NULL, "source", "add", "--kind", "kobo", "--name", "kg", "--url", base, NULL);
  register_book (path, hash, KIOS_KOBO_META_SOURCE, "kg", KIOS_KOBO_META_ENTITLEMENT_ID, "0KOMGA00");
}

static void
test_parity (gconstpointer data)
{
  const Case              *c = data;
  g_autofree char         *path = kios_test_book (c->book);
  g_autoptr (KiosDocument) document = NULL;
  g_autoptr (KiosPosition) local = NULL;
  g_autoptr (JsonObject)   pulled = NULL;
  g_autoptr (GError)       error = NULL;
  g_auto (Servers)         s = { NULL };
  const char              *engine_decision = NULL;
  int                      engine_chapter;
  int                      expect = c->expect_chapter;
  JsonObject              *remote;

  document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  if (expect < 0)
    {
      g_autofree char         *pos = g_strdup_printf ("percent:%g", c->percentage * 100);
      g_autoptr (KiosPosition) at = parse_pos (document, pos);

      expect = at->chapter;
    }

  {
    g_autofree char *local_pos = expand_progress (document, c->local);

    kiosctl_ok (NULL, "position", path, "--set", local_pos, NULL);
  }

  switch (c->kind)
    {
    case KIND_KOSYNC:
      set_up_kosync (&s, c, document, path);
      break;
    case KIND_READIUM:
      set_up_readium (&s, c, document, path);
      break;
    case KIND_KOBO:
      set_up_kobo (&s, c, document, path);
      break;
    default:
      g_assert_not_reached ();
    }

  /* kiosctl: the real binary, as a user would run it. */
  {
    g_auto (KiosctlRun) run = { 0 };

    kios_test_kiosctl (&run, NULL, "sync", "pull", "--json", path, NULL);
    g_test_message ("kiosctl: %s", run.out);
    g_assert_cmpint (run.status, ==, 0);
    pulled = parse_object (run.out);
  }
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (pulled, "local")));
  local = kios_position_from_json (json_object_get_member (pulled, "local"), &error);
  g_assert_no_error (error);
  remote = json_object_get_object_member (pulled, "remote");
  g_assert_nonnull (remote);
  g_assert_nonnull (json_object_get_string_member (pulled, "precision"));

  /* The engine, with the same local position, on the same remote. */
  engine_chapter = engine_decide (&s, document, local, &engine_decision);

  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, c->decision);
  g_assert_cmpstr (engine_decision, ==, c->decision);
  g_assert_cmpint (json_object_get_int_member (remote, "chapter"), ==, expect);
  if (engine_chapter >= 0 || g_strcmp0 (c->decision, "none") != 0)
    g_assert_cmpint (engine_chapter, ==, expect);
}

/* ---- the normaliser alone ------------------------------------------------ */

static KiosPosition *
normalize_kosync (const char    *progress,
                  double         percentage,
                  KiosBookFormat format)
{
  KiosRemotePosition remote = { 0 };
  KiosSyncRemote     wrapper = { KIOS_SYNC_PROTOCOL_KOSYNC, &remote, NULL, NULL };

  remote.progress = (char *) progress;
  remote.percentage = percentage;
  remote.timestamp = 1700000000;
  remote.device = (char *) "KOReader";
  remote.device_id = (char *) "K1";
  return kios_sync_normalize_remote (&wrapper, format);
}

static void
test_normalize_kosync (void)
{
  static const struct
  {
    const char    *progress;
    double         percentage;
    KiosBookFormat format;
    const char    *xpointer; /* expected */
    int            page;     /* expected chapter (PDF page index) */
    double         total;    /* expected */
  } table[] = {
    /* official, CWA, Grimmory, Stump: verbatim xpointers. */
    { "/body/DocFragment[12]/body/div/p[7]/text().153", 0.4, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[12]/body/div/p[7]/text().153", -1, 0.4 },
    /* DOM 20260812: "[1]" on the bodies. */
    { "/body[1]/DocFragment[12]/body[1]/div[1]/p[7]/text()[1].153", 0.4, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[12]/body/div[1]/p[7]/text()[1].153", -1, 0.4 },
    /* One-item spine. */
    { "/body/DocFragment/body/p[2]/text().3", 0.1, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[1]/body/p[2]/text().3", -1, 0.1 },
    { "/body/DocFragment.0", 0.1, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[1].0", -1, 0.1 },
    /* Komga's chapter starts; Kavita's rebuilt element paths. */
    { "/body/DocFragment[3].0", 0.25, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[3].0", -1, 0.25 },
    { "/body/DocFragment[10]/body/p[1]", 0.2, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[10]/body/p[1]", -1, 0.2 },
    /* crengine ids and Kavita's form of them. */
    { "#_doc_fragment_4_ch3", 0.3, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[5].0", -1, 0.3 },
    { "#_doc_fragment12", 0.3, KIOS_BOOK_FORMAT_EPUB, "/body/DocFragment[13].0", -1, 0.3 },
    /* Percent only, garbage, other schemes. */
    { NULL, 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "56", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "epubcfi(/6/4!/4/2)", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "/html/body/p", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "#_doc_fragment_x", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "#_doc_fragment_99999999999", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "/body/DocFragment[0]/body/p", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    { "/body/DocFragment[x]/body/p", 0.5, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.5 },
    /* Percentages: clamped; CWA's 0..100 reading of a value above 1. */
    { NULL, 45.0, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.45 },
    { NULL, -3.0, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 0.0 },
    { NULL, 1e300, KIOS_BOOK_FORMAT_EPUB, NULL, -1, 1.0 },
    /* PDF page strings (1-based) and what is not one. */
    { "56", 0.5, KIOS_BOOK_FORMAT_PDF, NULL, 55, 0.5 },
    { "1", 0.0, KIOS_BOOK_FORMAT_PDF, NULL, 0, 0.0 },
    { "0", 0.2, KIOS_BOOK_FORMAT_PDF, NULL, -1, 0.2 },
    { "-4", 0.2, KIOS_BOOK_FORMAT_PDF, NULL, -1, 0.2 },
    { "12abc", 0.2, KIOS_BOOK_FORMAT_PDF, NULL, -1, 0.2 },
    { "99999999999999", 0.2, KIOS_BOOK_FORMAT_PDF, NULL, -1, 0.2 },
    { "/body/DocFragment[3].0", 0.2, KIOS_BOOK_FORMAT_PDF, NULL, -1, 0.2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (KiosPosition) p = normalize_kosync (table[i].progress, table[i].percentage, table[i].format);

      g_test_message ("case %u: %s", i, table[i].progress != NULL ? table[i].progress : "(null)");
      g_assert_cmpstr (p->xpointer, ==, table[i].xpointer);
      g_assert_cmpint (p->chapter, ==, table[i].page);
      g_assert_cmpfloat_with_epsilon (p->total_progress, table[i].total, 1e-9);
      g_assert_cmpint (p->format, ==, table[i].format);
      g_assert_cmpint (p->updated_at, ==, 1700000000);
      g_assert_cmpstr (p->device_id, ==, "K1");
    }
}

static void
test_normalize_hostile (void)
{
  g_autoptr (GString) deep = g_string_new ("/body/DocFragment[2]/body");
  g_autofree char    *huge = NULL;
  g_autofree char    *bad_utf8 = g_strdup ("/body/DocFragment[2]/body/p\xff\xfe");

  /* A megabyte of steps: not looked at, the percentage decides. */
  while (deep->len < 1024 * 1024)
    g_string_append (deep, "/div[1]");
  {
    g_autoptr (KiosPosition) p = normalize_kosync (deep->str, 0.3, KIOS_BOOK_FORMAT_EPUB);

    g_assert_null (p->xpointer);
    g_assert_cmpfloat (p->total_progress, ==, 0.3);
  }
  huge = g_strnfill (1 << 20, '7');
  {
    g_autoptr (KiosPosition) p = normalize_kosync (huge, 0.3, KIOS_BOOK_FORMAT_PDF);

    g_assert_cmpint (p->chapter, ==, -1);
  }
  g_assert_null (kios_sync_normalize_xpointer (bad_utf8));
  g_assert_null (kios_sync_normalize_xpointer (NULL));
  g_assert_cmpint (kios_sync_normalize_page (NULL), ==, -1);

  /* A locator or Kobo location with a hostile chapter path is dropped. */
  {
    g_autoptr (KiosReadiumProgression) progression = kios_readium_progression_new ();
    g_autoptr (KiosSyncRemote)         remote = NULL;
    g_autoptr (KiosPosition)           p = NULL;

    progression->href = g_strnfill (100000, 'a');
    progression->progression = 7.0;
    progression->total_progression = 0.6;
    remote = kios_sync_remote_new_readium (g_steal_pointer (&progression));
    p = kios_sync_normalize_remote (remote, KIOS_BOOK_FORMAT_EPUB);
    g_assert_null (p->chapter_href);
    g_assert_cmpfloat (p->chapter_progress, ==, 1.0);
    g_assert_cmpfloat (p->total_progress, ==, 0.6);
  }
}

static void
test_normalize_kobo_readium (void)
{
  /* Kobo: Location.Source + the two percents (0..100). */
  {
    g_autoptr (KiosKoboReadingState) state = kios_kobo_reading_state_new ();
    g_autoptr (KiosSyncRemote)       remote = NULL;
    g_autoptr (KiosPosition)         p = NULL;

    state->source = g_strdup ("OEBPS/ch07.xhtml");
    state->value = g_strdup ("kobo.12.3");
    state->content_percent = 60;
    state->progress_percent = 35;
    state->bookmark_modified = 1700000000123;
    remote = kios_sync_remote_new_kobo (g_steal_pointer (&state));
    p = kios_sync_normalize_remote (remote, KIOS_BOOK_FORMAT_EPUB);
    g_assert_cmpstr (p->chapter_href, ==, "OEBPS/ch07.xhtml");
    g_assert_cmpfloat_with_epsilon (p->chapter_progress, 0.6, 1e-9);
    g_assert_cmpfloat_with_epsilon (p->total_progress, 0.35, 1e-9);
    g_assert_cmpint (p->updated_at, ==, 1700000000);
    g_assert_null (p->xpointer);
    g_assert_cmpstr (kios_sync_protocol_to_string (remote->protocol), ==, "kobo");
  }
  /* Readium: href + progression, or the page of a PDF. */
  {
    g_autoptr (KiosReadiumProgression) progression = kios_readium_progression_new ();
    g_autoptr (KiosSyncRemote)         remote = NULL;
    g_autoptr (KiosPosition)           epub = NULL;
    g_autoptr (KiosPosition)           pdf = NULL;

    progression->href = g_strdup ("OEBPS/ch02.xhtml");
    progression->progression = 0.25;
    progression->total_progression = 0.1;
    progression->position = 9;
    progression->modified_ms = 1700000000999;
    remote = kios_sync_remote_new_readium (g_steal_pointer (&progression));
    epub = kios_sync_normalize_remote (remote, KIOS_BOOK_FORMAT_EPUB);
    g_assert_cmpstr (epub->chapter_href, ==, "OEBPS/ch02.xhtml");
    g_assert_cmpfloat_with_epsilon (epub->chapter_progress, 0.25, 1e-9);
    g_assert_cmpint (epub->updated_at, ==, 1700000000);
    pdf = kios_sync_normalize_remote (remote, KIOS_BOOK_FORMAT_PDF);
    g_assert_cmpint (pdf->chapter, ==, 8);
    g_assert_cmpstr (kios_sync_protocol_to_string (remote->protocol), ==, "readium");
  }
}

/* Both xpointer forms and the id form land where the book's own xpointer
 * does; a Kavita-style id refined by its percentage stays in its chapter. */
static void
test_resolve_forms (void)
{
  g_autofree char         *path = kios_test_book (EPUB);
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (path, &error);
  g_autoptr (KiosPosition) here = NULL;
  g_autofree char         *classic = NULL;
  g_autofree char         *dom_2026 = NULL;
  g_autoptr (KiosPosition) a = NULL;
  g_autoptr (KiosPosition) b = NULL;
  g_autoptr (KiosPosition) c = NULL;
  g_autoptr (KiosPosition) na = NULL;
  g_autoptr (KiosPosition) nb = NULL;
  g_autoptr (KiosPosition) nc = NULL;

  g_assert_no_error (error);
  here = parse_pos (document, "chapter:9:0.3");
  classic = expand_progress (document, "@chapter:9:0.3");
  dom_2026 = expand_progress (document, "@1chapter:9:0.3");
  g_assert_cmpstr (classic, !=, dom_2026);
  na = normalize_kosync (classic, here->total_progress, KIOS_BOOK_FORMAT_EPUB);
  nb = normalize_kosync (dom_2026, here->total_progress, KIOS_BOOK_FORMAT_EPUB);
  nc = normalize_kosync ("#_doc_fragment_9_x", here->total_progress, KIOS_BOOK_FORMAT_EPUB);
  a = kios_sync_resolve_position (document, na, &error);
  g_assert_no_error (error);
  b = kios_sync_resolve_position (document, nb, &error);
  g_assert_no_error (error);
  c = kios_sync_resolve_position (document, nc, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->chapter, ==, 9);
  g_assert_cmpint (a->offset, ==, here->offset);
  g_assert_cmpint (b->chapter, ==, 9);
  g_assert_cmpint (b->offset, ==, here->offset);
  /* The id names the chapter; the percentage puts it near the place. */
  g_assert_cmpint (c->chapter, ==, 9);
  g_assert_cmpint (c->offset, >, 0);
  g_assert_cmpstr (c->device_id, ==, "K1");
}

/* "One screen page" is a page of the layout the pipeline is given: two
 * positions one page apart at the default layout share a page at a small
 * font, and are pages apart at a large one. In a subprocess: a layout set
 * on one document reaches documents the process opens later. */
static void
layout_option (void)
{
  g_autofree char         *path = kios_test_book (EPUB);
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) document = kios_document_open_sync (path, &error);
  g_autoptr (KiosPosition) local = NULL;
  g_autoptr (KiosPosition) next = NULL;
  KiosRemotePosition       remote = { 0 };
  KiosSyncPipelineOptions  opts;
  static KiosLayout        small = { 600, 800, 6, 1.0 };
  static KiosLayout        large = { 600, 800, 40, 1.0 };
  static const struct
  {
    KiosLayout      *layout;
    KiosSyncDecision decision;
  } runs[] = {
    { NULL, KIOS_SYNC_DECISION_APPLY_SILENTLY },
    { &large, KIOS_SYNC_DECISION_PROMPT },
    { &small, KIOS_SYNC_DECISION_NONE },
  };

  g_assert_no_error (error);
  local = page_start (document, 9, 1);
  next = page_start (document, 9, 2);
  remote.progress = next->xpointer;
  remote.percentage = next->total_progress;
  remote.device_id = (char *) "OTHER";

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autoptr (KiosSyncOutcome) outcome = NULL;

      kios_sync_pipeline_options_init (&opts);
      opts.layout = runs[i].layout;
      outcome = kios_sync_pipeline_decide (kios_sync_remote_new_kosync (kios_remote_position_copy (&remote)),
                                           document, local, &opts);
      g_test_message ("layout %u: %s (%s)", i, kios_sync_decision_to_string (outcome->decision), outcome->reason);
      g_assert_cmpstr (kios_sync_decision_to_string (outcome->decision), ==,
                       kios_sync_decision_to_string (runs[i].decision));
      g_assert_cmpint (outcome->target->chapter, ==, 9);
    }
}

static void
test_layout_option (void)
{
  if (g_test_subprocess ())
    {
      layout_option ();
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* What one pull costs at the default layout, where it is most work: near the
 * end of the longest book. Reported, and bounded so that a regression shows. */
static void
test_measure (void)
{
  g_autofree char            *path = kios_test_book ("kjv-bible.epub");
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosDocument)    document = kios_document_open_sync (path, &error);
  g_autoptr (KiosPosition)    at = NULL;
  g_autoptr (KiosPosition)    local = NULL;
  KiosRemotePosition          remote = { 0 };
  KiosSyncRemote             *raw;
  g_autoptr (KiosSyncOutcome) first = NULL;
  g_autoptr (KiosSyncOutcome) second = NULL;
  gint64                      t0, t1, t2;

  g_assert_no_error (error);
  at = parse_pos (document, "percent:95");
  {
    /* The start of the same chapter: both are laid out, pages counted. */
    g_autofree char *start = g_strdup_printf ("chapter:%d:0", at->chapter);

    local = parse_pos (document, start);
  }
  /* A book just opened: nothing laid out yet. */
  g_clear_object (&document);
  document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  remote.progress = at->xpointer;
  remote.percentage = at->total_progress;
  remote.device_id = (char *) "OTHER";

  raw = kios_sync_remote_new_kosync (kios_remote_position_copy (&remote));
  t0 = g_get_monotonic_time ();
  first = kios_sync_pipeline_decide (raw, document, local, NULL);
  t1 = g_get_monotonic_time ();
  raw = kios_sync_remote_new_kosync (kios_remote_position_copy (&remote));
  second = kios_sync_pipeline_decide (raw, document, local, NULL);
  t2 = g_get_monotonic_time ();
  g_test_message ("KJV at 95 %%: resolve + layout + decide %.1f ms cold, %.1f ms warm (%s: %s)",
                  (t1 - t0) / 1000.0, (t2 - t1) / 1000.0, kios_sync_decision_to_string (first->decision),
                  first->reason);
  g_assert_nonnull (first->target);
  g_assert_cmpint (first->target->chapter, ==, at->chapter);
  g_assert_cmpint (first->decision, ==, second->decision);
  g_assert_cmpint (t1 - t0, <, 30 * G_USEC_PER_SEC);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strconcat ("/kios/sync-pipeline/parity/", cases[i].name, NULL);

      g_test_add_data_func (name, &cases[i], test_parity);
    }
  kios_test_add_func ("/kios/sync-pipeline/normalize/kosync", test_normalize_kosync);
  kios_test_add_func ("/kios/sync-pipeline/normalize/hostile", test_normalize_hostile);
  kios_test_add_func ("/kios/sync-pipeline/normalize/kobo-readium", test_normalize_kobo_readium);
  kios_test_add_func ("/kios/sync-pipeline/resolve-forms", test_resolve_forms);
  kios_test_add_func ("/kios/sync-pipeline/layout-option", test_layout_option);
  kios_test_add_func ("/kios/sync-pipeline/measure", test_measure);
  return g_test_run ();
}
