/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-kobo-library"

#include "config.h"

#include "kios-document.h"
#include "kios-epub.h"
#include "kios-fake-kobo.h"
#include "kios-kobo-backend.h"
#include "kios-kobo-library.h"
#include "kios-kobo-session.h"
#include "kios-paths.h"
#include "kios-sync-engine.h"
#include "kios-sync-source.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  KiosFakeKobo     *fake;
  KiosLibraryStore *store;
  KiosSourceRecord *record;
  KiosKoboClient   *client;
} Fixture;

/* path exists with exactly this mode (0600 files, 0700 directories). */
static void
assert_private (const char *path,
                int         mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  if ((int) (st.st_mode & 0777) != mode)
    g_error ("%s has mode %o, not %o", path, (unsigned) (st.st_mode & 0777), (unsigned) mode);
}
static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->client, kios_kobo_client_free);
  g_clear_pointer (&f->record, kios_source_record_free);
  g_clear_object (&f->store);
  g_clear_pointer (&f->fake, kios_fake_kobo_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

/* Every fixture gets its own source (the test shares one library). */
static guint fixture_counter;

static const char *const titles[] = { "Persuasion", "Emma", "Sense and Sensibility", "Pride and Prejudice", "Emma Again" };
static const char *const files[] = { "persuasion.epub", "emma.epub", "sense-and-sensibility.epub", "pride-and-prejudice.epub", "emma.epub" };

static char *
book_id (KiosFakeKoboFamily family,
         guint              i)
{
  if (family == KIOS_FAKE_KOBO_GRIMMORY)
    return g_strdup_printf ("%u", 40 + i);
  if (family == KIOS_FAKE_KOBO_KOMGA)
    return g_strdup_printf ("0KOMGA%02u", i);
  return g_strdup_printf ("00000000-0000-4000-8000-0000000000%02u", i);
}

/* A fake with n_books books, a store and a saved "kobo" source (the URL in
 * the keyring), connected: family and template in its settings. */
static void
fixture_init (Fixture           *f,
              KiosFakeKoboFamily family,
              guint              n_books,
              gboolean           consent,
              const char        *format)
{
  g_autofree char             *db = NULL;
  g_autofree char             *base = NULL;
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosKoboSettings) settings = g_new0 (KiosKoboSettings, 1);

  f->fake = kios_fake_kobo_new (family);
  for (guint i = 0; i < n_books; i++)
    {
      g_autofree char *path = kios_test_book (files[i % G_N_ELEMENTS (files)]);
      g_autofree char *id = book_id (family, i);

      kios_fake_kobo_add_book (f->fake, id, titles[i % G_N_ELEMENTS (titles)], "Jane Austen", format, path);
    }
  db = kios_paths_library_db ();
  {
    g_autofree char *dir = g_path_get_dirname (db);

    g_mkdir_with_parents (dir, 0700);
  }
  f->store = kios_library_store_new (db, &error);
  g_assert_no_error (error);

  base = kios_fake_kobo_get_base_url (f->fake);
  f->record = g_new0 (KiosSourceRecord, 1);
  f->record->name = g_strdup_printf ("Shelf %u", ++fixture_counter);
  f->record->kind = g_strdup ("kobo");
  f->record->auth = g_strdup ("none");
  settings->library_sync = consent;
  f->record->settings_json = kios_kobo_settings_merge (NULL, settings);
  kios_sync_source_save_secrets (f->record, base, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (f->record->url);
  g_assert_true (kios_library_store_add_source (f->store, f->record, &error));
  g_assert_no_error (error);

  f->client = kios_kobo_source_open (f->record, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kios_kobo_source_connect (f->client, f->store, f->record, NULL, &error));
  g_assert_no_error (error);
}

static void
remove_books (void)
{
  g_autofree char *dir = kios_paths_books_dir ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char      *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
}

static KiosKoboEntry *
find_entry (GPtrArray  *entries,
            const char *id)
{
  for (guint i = 0; i < entries->len; i++)
    {
      KiosKoboEntry *e = entries->pdata[i];

      if (g_str_equal (e->id, id))
        return e;
    }
  return NULL;
}

/* ------------------------------------------------------------------------ */

static void
test_settings (void)
{
  g_autoptr (KiosKoboSettings) s = kios_kobo_settings_parse ("{\"family\":\"komga\",\"image_template\":\"/v1/x/{ImageId}\","
                                                             "\"library_sync\":true,\"other\":1}");
  g_autoptr (KiosKoboSettings) evil = kios_kobo_settings_parse ("{\"image_template\":\"https://evil/{ImageId}\",\"family\":7}");
  g_autoptr (KiosKoboSettings) junk = kios_kobo_settings_parse ("[not json");
  g_autofree char             *merged = NULL;

  g_assert_cmpint (s->family, ==, KIOS_KOBO_FAMILY_KOMGA);
  g_assert_cmpstr (s->image_template, ==, "/v1/x/{ImageId}");
  g_assert_true (s->library_sync);
  g_assert_null (evil->image_template);
  g_assert_cmpint (evil->family, ==, KIOS_KOBO_FAMILY_UNKNOWN);
  g_assert_false (junk->library_sync);
  s->library_sync = FALSE;
  merged = kios_kobo_settings_merge ("{\"other\":1}", s);
  g_assert_nonnull (strstr (merged, "\"other\":1"));
  g_assert_nonnull (strstr (merged, "\"library_sync\":false"));
}

static void
test_connect_keeps_no_secret (void)
{
  KiosFakeKoboFamily families[] = { KIOS_FAKE_KOBO_CALIBRE_WEB, KIOS_FAKE_KOBO_GRIMMORY, KIOS_FAKE_KOBO_KOMGA };
  KiosKoboFamily     expected[] = { KIOS_KOBO_FAMILY_CALIBRE_WEB, KIOS_KOBO_FAMILY_GRIMMORY, KIOS_KOBO_FAMILY_KOMGA };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_auto (Fixture)             f = { 0 };
      g_autoptr (KiosSourceRecord) saved = NULL;
      g_autoptr (KiosKoboSettings) settings = NULL;
      g_autofree char             *db_text = NULL;
      gsize                        len = 0;

      fixture_init (&f, families[i], 1, TRUE, "EPUB3");
      saved = kios_library_store_get_source (f.store, f.record->name, NULL);
      g_assert_nonnull (saved);
      g_assert_null (saved->url);
      settings = kios_kobo_settings_parse (saved->settings_json);
      g_assert_cmpint (settings->family, ==, expected[i]);
      g_assert_nonnull (settings->image_template);
      g_assert_true (settings->library_sync);
      g_assert_null (strstr (saved->settings_json, kios_fake_kobo_get_token (f.fake)));

      /* After a whole sync the database file holds no token anywhere. */
      g_assert_true (kios_kobo_library_sync (f.client, f.store, saved, NULL, NULL, NULL));
      g_assert_true (kios_library_store_flush (f.store, 5000));
      g_assert_true (g_file_get_contents (kios_library_store_get_path (f.store), &db_text, &len, NULL));
      g_assert_null (g_strstr_len (db_text, (gssize) len, kios_fake_kobo_get_token (f.fake)));
    }
}

static void
test_consent_rule (void)
{
  KiosFakeKoboFamily families[] = { KIOS_FAKE_KOBO_CALIBRE_WEB, KIOS_FAKE_KOBO_CWA, KIOS_FAKE_KOBO_GRIMMORY,
                                    KIOS_FAKE_KOBO_KOMGA };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_auto (Fixture)      f = { 0 };
      g_autoptr (GError)    error = NULL;
      g_autoptr (GPtrArray) entries = NULL;
      gboolean              komga = families[i] == KIOS_FAKE_KOBO_KOMGA;
      gboolean              ok;

      fixture_init (&f, families[i], 2, FALSE, "EPUB3");
      ok = kios_kobo_library_sync (f.client, f.store, f.record, NULL, NULL, &error);
      entries = kios_kobo_catalog_list (f.store, f.record->name);
      if (komga)
        {
          /* Komga keeps sync state per token: no consent needed. */
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpuint (entries->len, ==, 2);
          g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, "GET", "/v1/library/sync"), ==, 1);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED);
          g_assert_nonnull (strstr (error->message, "consent"));
          g_assert_cmpuint (entries->len, ==, 0);
          /* Not a single sync call reached the server. */
          g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, NULL, "/v1/library/sync"), ==, 0);
        }
    }
}

static void
test_paging_and_removals (void)
{
  KiosFakeKoboFamily families[] = { KIOS_FAKE_KOBO_KOMGA, KIOS_FAKE_KOBO_GRIMMORY, KIOS_FAKE_KOBO_CALIBRE_WEB };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      KiosFakeKoboFamily    fam = families[i];
      g_auto (Fixture)      f = { 0 };
      g_autoptr (GError)    error = NULL;
      g_autoptr (GPtrArray) entries = NULL;
      g_autoptr (GPtrArray) after = NULL;
      g_autofree char      *token1 = NULL;
      g_autofree char      *token2 = NULL;
      g_autofree char      *id0 = book_id (fam, 0);
      g_autofree char      *id1 = book_id (fam, 1);
      KiosKoboSyncStats     stats = { 0 };
      KiosKoboEntry        *e;

      g_test_message ("family %d", fam);
      fixture_init (&f, fam, 5, TRUE, "EPUB3");
      kios_fake_kobo_set_page_size (f.fake, 2);

      g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (stats.pages, ==, 3);
      g_assert_cmpuint (stats.added, ==, 5);
      entries = kios_kobo_catalog_list (f.store, f.record->name);
      g_assert_cmpuint (entries->len, ==, 5);
      e = find_entry (entries, id0);
      g_assert_nonnull (e);
      g_assert_cmpstr (e->title, ==, "Persuasion");
      g_assert_cmpuint (e->authors->len, ==, 1);
      g_assert_nonnull (e->cover_image_id);
      g_assert_cmpuint (e->formats->len, >=, 1);
      /* Grimmory's empty Series is no series. */
      g_assert_null (e->series);
      token1 = kios_kobo_catalog_get_sync_token (f.store, f.record->name);
      g_assert_nonnull (token1);

      /* One book changes, one goes away. */
      kios_fake_kobo_change_book (f.fake, id1, "Emma (revised)");
      kios_fake_kobo_remove_book (f.fake, id0);
      g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (stats.removed, ==, 1);
      g_assert_cmpuint (stats.changed, >=, 1);
      g_assert_cmpuint (stats.added, ==, 0);
      after = kios_kobo_catalog_list (f.store, f.record->name);
      g_assert_cmpuint (after->len, ==, 4);
      g_assert_null (find_entry (after, id0));
      g_assert_cmpstr (find_entry (after, id1)->title, ==, "Emma (revised)");
      token2 = kios_kobo_catalog_get_sync_token (f.store, f.record->name);
      /* Komga and Grimmory move the sync point; CW's token is a timestamp. */
      g_assert_nonnull (token2);
      if (fam != KIOS_FAKE_KOBO_CALIBRE_WEB)
        g_assert_cmpstr (token1, !=, token2);

      /* The stored token was sent: nothing new the third time. */
      g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
      g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
      g_assert_cmpuint (stats.pages, ==, 1);
    }
}

static void
test_token_only_after_complete_loop (void)
{
  g_auto (Fixture)      f = { 0 };
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char      *token = NULL;
  KiosKoboSyncStats     stats = { 0 };

  fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 5, FALSE, "EPUB3");
  kios_fake_kobo_set_page_size (f.fake, 2);
  kios_fake_kobo_fail_sync_after (f.fake, 1);
  g_assert_false (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER);
  g_clear_error (&error);
  token = kios_kobo_catalog_get_sync_token (f.store, f.record->name);
  g_assert_null (token);
  entries = kios_kobo_catalog_list (f.store, f.record->name);
  g_assert_cmpuint (entries->len, ==, 0);

  /* The next loop starts over and gets everything. */
  kios_fake_kobo_fail_sync_after (f.fake, -1);
  g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = kios_kobo_catalog_list (f.store, f.record->name);
  g_assert_cmpuint (entries->len, ==, 5);
}

static void
test_delivery_quirks (void)
{
  /* Why the consent rule exists: CW hands a book to one device per account. */
  {
    g_auto (Fixture)             f = { 0 };
    g_autoptr (KiosKoboClient)   kobo = NULL;
    g_autoptr (KiosKoboSyncPage) page = NULL;
    g_autoptr (GError)           error = NULL;
    g_autofree char             *base = NULL;
    KiosKoboSyncStats            stats = { 0 };

    fixture_init (&f, KIOS_FAKE_KOBO_CWA, 3, TRUE, "EPUB3");
    g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
    g_assert_cmpuint (stats.added, ==, 3);
    base = kios_fake_kobo_get_base_url (f.fake);
    kobo = kios_kobo_client_new (base, &error);
    page = kios_kobo_client_sync_page (kobo, NULL, NULL, &error);
    g_assert_no_error (error);
    /* The Kobo, starting from nothing, gets nothing (the junk is dropped). */
    g_assert_cmpuint (json_array_get_length (page->items), ==, 0);
  }
  /* Komga keeps state per token: a second client gets everything. */
  {
    g_auto (Fixture)             f = { 0 };
    g_autoptr (KiosKoboClient)   kobo = NULL;
    g_autoptr (KiosKoboSyncPage) page = NULL;
    g_autoptr (GError)           error = NULL;
    g_autofree char             *base = NULL;

    fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 3, FALSE, "EPUB3");
    g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, NULL, NULL, &error));
    base = kios_fake_kobo_get_base_url (f.fake);
    kobo = kios_kobo_client_new (base, &error);
    page = kios_kobo_client_sync_page (kobo, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (page->items), ==, 3);
  }
  /* Grimmory: a sync marks a pending reading state as sent for the account. */
  {
    g_auto (Fixture)   f = { 0 };
    g_autoptr (GError) error = NULL;
    KiosKoboSyncStats  stats = { 0 };

    g_autofree char           *path = NULL;
    g_autofree char           *last_remote = NULL;
    g_autoptr (KiosBookRecord) book = NULL;

    fixture_init (&f, KIOS_FAKE_KOBO_GRIMMORY, 2, TRUE, "EPUB3");
    g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
    path = kios_kobo_library_download (f.client, f.store, f.record->name, "40", NULL, NULL, &error);
    g_assert_no_error (error);
    book = kios_library_store_get_book_by_path (f.store, path, NULL);
    kios_fake_kobo_set_state (f.fake, "40", "EPUB/text/ch002.xhtml", "kobo.1.1", 10, 5, 0);
    g_assert_true (kios_fake_kobo_state_pending (f.fake, "40"));
    g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
    g_assert_cmpuint (stats.reading_states, ==, 1);
    g_assert_false (kios_fake_kobo_state_pending (f.fake, "40"));
    /* Kept as the book's last remote position (a candidate; GET on open decides). */
    last_remote = kios_library_store_get_last_remote (f.store, book->hash, f.record->name, NULL);
    g_assert_nonnull (last_remote);
    g_assert_nonnull (strstr (last_remote, "EPUB/text/ch002.xhtml"));
  }
}

static void
test_download (void)
{
  struct
  {
    KiosFakeKoboFamily family;
    const char        *advertised;
    const char        *recorded;
    const char        *route;
  } cases[] = {
    { KIOS_FAKE_KOBO_CALIBRE_WEB, "EPUB3", "EPUB", "/download/1/epub" },
    { KIOS_FAKE_KOBO_CALIBRE_WEB, "KEPUB", "KEPUB", "/download/1/kepub" },
    { KIOS_FAKE_KOBO_CWA, "KEPUB", "KEPUB", "/download/1/kepub" },
    { KIOS_FAKE_KOBO_GRIMMORY, "EPUB3", "EPUB", "/v1/books/40/download" },
    { KIOS_FAKE_KOBO_GRIMMORY, "KEPUB", "KEPUB", "/v1/books/40/download" },
    { KIOS_FAKE_KOBO_KOMGA, "KEPUB", "EPUB", "/file/epub?convert_kepub=false" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Fixture)           f = { 0 };
      g_autoptr (GError)         error = NULL;
      g_autoptr (KiosBookRecord) book = NULL;
      g_autoptr (KiosKoboEntry)  entry = NULL;
      g_autofree char           *id = book_id (cases[i].family, 0);
      g_autofree char           *path = NULL;
      g_autofree char           *again = NULL;
      g_autofree char           *meta_source = NULL;
      g_autofree char           *meta_id = NULL;
      g_autofree char           *meta_format = NULL;
      g_autofree char           *cover = NULL;
      g_autofree char           *forbidden = NULL;
      gboolean                   existing = TRUE;

      g_test_message ("case %u", i);
      /* Every case downloads the same bytes: without the earlier file the
       * import does not find it by hash, and downloads again. */
      remove_books ();
      fixture_init (&f, cases[i].family, 1, TRUE, cases[i].advertised);
      g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, NULL, NULL, &error));
      g_assert_no_error (error);

      /* The server's absolute URLs name a host Kios never reached: rewritten. */
      path = kios_kobo_library_download (f.client, f.store, f.record->name, id, &existing, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (path);
      g_assert_false (existing);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      /* What a person reads is private. */
      assert_private (path, 0600);
      {
        g_autofree char *dir = g_path_get_dirname (path);

        assert_private (dir, 0700);
      }
      g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, "GET", cases[i].route), ==, 1);
      /* CW listing only a KEPUB: the plain EPUB was asked for first (404 here). */
      if (cases[i].family != KIOS_FAKE_KOBO_GRIMMORY && cases[i].family != KIOS_FAKE_KOBO_KOMGA && g_str_equal (cases[i].advertised, "KEPUB"))
        g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, "GET", "/download/1/epub"), ==, 1);
      book = kios_library_store_get_book_by_path (f.store, path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (book->title, ==, "Persuasion");
      meta_source = kios_library_store_get_book_meta (f.store, book->hash, KIOS_KOBO_META_SOURCE);
      meta_id = kios_library_store_get_book_meta (f.store, book->hash, KIOS_KOBO_META_ENTITLEMENT_ID);
      meta_format = kios_library_store_get_book_meta (f.store, book->hash, KIOS_KOBO_META_FORMAT);
      g_assert_cmpstr (meta_source, ==, f.record->name);
      g_assert_cmpstr (meta_id, ==, id);
      g_assert_cmpstr (meta_format, ==, cases[i].recorded);
      entry = kios_kobo_catalog_get (f.store, f.record->name, id);
      g_assert_cmpstr (entry->hash, ==, book->hash);

      /* Again: the same file, no second transfer. */
      again = kios_kobo_library_download (f.client, f.store, f.record->name, id, &existing, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (again, ==, path);
      g_assert_true (existing);
      g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, "GET", cases[i].route), ==, 1);
      g_clear_pointer (&meta_format, g_free);
      meta_format = kios_library_store_get_book_meta (f.store, book->hash, KIOS_KOBO_META_FORMAT);
      g_assert_cmpstr (meta_format, ==, cases[i].recorded);

      /* The cover from the template, into the cache. */
      cover = kios_kobo_library_fetch_cover (f.client, entry, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_file_test (cover, G_FILE_TEST_IS_REGULAR));
      assert_private (cover, 0600);
      {
        g_autofree char *dir = g_path_get_dirname (cover);

        assert_private (dir, 0700);
      }

      forbidden = kios_fake_kobo_find_forbidden_header (f.fake);
      g_assert_cmpstr (forbidden, ==, NULL);
    }

  /* Unknown id: a clear error, nothing fetched. */
  {
    g_auto (Fixture)   f = { 0 };
    g_autoptr (GError) error = NULL;
    g_autofree char   *path = NULL;

    fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 1, FALSE, "EPUB3");
    path = kios_kobo_library_download (f.client, f.store, f.record->name, "NOPE", NULL, NULL, &error);
    g_assert_null (path);
    g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND);
  }
}

static int
spine_index (const char *path,
             const char *href)
{
  g_autoptr (KiosEpub) epub = kios_epub_open (path, NULL);

  g_assert_nonnull (epub);
  return kios_epub_find_spine_index (epub, href);
}

static void
test_backend_round_trip (void)
{
  KiosFakeKoboFamily families[] = { KIOS_FAKE_KOBO_CALIBRE_WEB, KIOS_FAKE_KOBO_CWA, KIOS_FAKE_KOBO_GRIMMORY,
                                    KIOS_FAKE_KOBO_KOMGA };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      KiosFakeKoboFamily               fam = families[i];
      g_auto (Fixture)                 f = { 0 };
      g_autoptr (GError)               error = NULL;
      g_autoptr (KiosBookRecord)       book = NULL;
      g_autoptr (KiosKoboBackend)      backend = NULL;
      g_autoptr (KiosDocument)         document = NULL;
      g_autoptr (KiosPosition)         local = kios_position_new ();
      g_autoptr (KiosPosition)         remote = NULL;
      g_autoptr (KiosPosition)         resolved = NULL;
      g_autoptr (KiosPosition)         device = NULL;
      g_autoptr (KiosPosition)         device_resolved = NULL;
      g_autoptr (KiosKoboReadingState) server = NULL;
      g_autofree char                 *id = book_id (fam, 0);
      g_autofree char                 *path = NULL;
      gint64                           now = g_get_real_time () / G_USEC_PER_SEC;

      g_test_message ("family %d", fam);
      fixture_init (&f, fam, 1, TRUE, "EPUB3");
      g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, NULL, NULL, &error));
      path = kios_kobo_library_download (f.client, f.store, f.record->name, id, NULL, NULL, &error);
      g_assert_no_error (error);
      book = kios_library_store_get_book_by_path (f.store, path, &error);
      g_assert_no_error (error);

      backend = kios_kobo_backend_open_for_book (f.store, book->hash, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (backend);
      g_assert_cmpstr (kios_sync_backend_get_source_name (KIOS_SYNC_BACKEND (backend)), ==, f.record->name);
      {
        g_autofree char *label = kios_sync_backend_get_server_label (KIOS_SYNC_BACKEND (backend));

        g_assert_null (strstr (label, kios_fake_kobo_get_token (f.fake)));
      }

      /* Push: chapter ch005 at 40 %, 20 % of the book, a page turn a minute ago. */
      local->format = KIOS_BOOK_FORMAT_EPUB;
      local->chapter = spine_index (path, "EPUB/text/ch005.xhtml");
      local->chapter_href = g_strdup ("EPUB/text/ch005.xhtml");
      local->chapter_progress = 0.4;
      local->total_progress = 0.2;
      local->updated_at = now - 60;
      g_assert_true (kios_kobo_backend_push_sync (backend, book->hash, local, NULL, NULL, &error));
      g_assert_no_error (error);
      server = kios_fake_kobo_get_state (f.fake, id);
      g_assert_cmpstr (server->source, ==, "EPUB/text/ch005.xhtml");
      /* Listed as EPUB3: the chapter start, explicitly (also on Komga). */
      g_assert_cmpstr (server->value, ==, "kobo.1.1");
      if (fam == KIOS_FAKE_KOBO_GRIMMORY || fam == KIOS_FAKE_KOBO_KOMGA)
        g_assert_cmpint (server->bookmark_modified, ==, (now - 60) * 1000);

      /* Pull maps back into the same chapter of this book. */
      remote = kios_kobo_backend_pull_sync (backend, book->hash, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (remote);
      g_assert_cmpint (remote->chapter, ==, -1);
      g_assert_cmpstr (remote->chapter_href, ==, "EPUB/text/ch005.xhtml");
      document = kios_document_open_sync (path, &error);
      g_assert_no_error (error);
      resolved = kios_document_normalize_position (document, remote, &error);
      g_assert_no_error (error);
      g_assert_cmpint (resolved->chapter, ==, local->chapter);
      g_assert_cmpfloat (resolved->chapter_progress, >, 0.15);
      g_assert_cmpfloat (resolved->chapter_progress, <=, 0.45);

      /* GET on open: the Kobo read on to ch007, 63 % into it. */
      kios_fake_kobo_set_state (f.fake, id, "EPUB/text/ch007.xhtml", "kobo.55.3", 63.0, 41.0, (now + 5) * 1000);
      device = kios_kobo_backend_pull_sync (backend, book->hash, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (device->updated_at, ==, now + 5);
      device_resolved = kios_document_normalize_position (document, device, &error);
      g_assert_no_error (error);
      g_assert_cmpint (device_resolved->chapter, ==, spine_index (path, "EPUB/text/ch007.xhtml"));
      g_assert_cmpfloat (device_resolved->chapter_progress, >, 0.5);
      g_assert_cmpfloat (device_resolved->chapter_progress, <, 0.75);

      /* Now Kios's older position is refused, and said so. */
      g_assert_false (kios_kobo_backend_push_sync (backend, book->hash, local, NULL, NULL, &error));
      g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_CONFLICT);
      g_clear_error (&error);
      g_clear_pointer (&server, kios_kobo_reading_state_free);
      server = kios_fake_kobo_get_state (f.fake, id);
      g_assert_cmpstr (server->source, ==, "EPUB/text/ch007.xhtml");

      /* A newer page turn in Kios goes out again. */
      local->updated_at = now + 30;
      g_assert_true (kios_kobo_backend_push_sync (backend, book->hash, local, NULL, NULL, &error));
      g_assert_no_error (error);
    }
}

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_backend_async (void)
{
  g_auto (Fixture)            f = { 0 };
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosBookRecord)  book = NULL;
  g_autoptr (KiosKoboBackend) backend = NULL;
  g_autoptr (KiosPosition)    local = kios_position_new ();
  g_autoptr (KiosPosition)    pulled = NULL;
  g_autoptr (GAsyncResult)    result = NULL;
  g_autofree char            *path = NULL;

  fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 1, FALSE, "EPUB3");
  g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, NULL, NULL, &error));
  path = kios_kobo_library_download (f.client, f.store, f.record->name, "0KOMGA00", NULL, NULL, &error);
  g_assert_no_error (error);
  book = kios_library_store_get_book_by_path (f.store, path, NULL);
  backend = kios_kobo_backend_open_for_book (f.store, book->hash, NULL, &error);
  g_assert_no_error (error);

  local->format = KIOS_BOOK_FORMAT_EPUB;
  local->chapter = 3;
  local->chapter_href = g_strdup ("EPUB/text/ch002.xhtml");
  local->chapter_progress = 0.999; /* off Komga's grid: snapped by the backend */
  local->total_progress = 0.1;
  local->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  kios_sync_backend_push_async (KIOS_SYNC_BACKEND (backend), book->hash, local, NULL, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (kios_sync_backend_push_finish (KIOS_SYNC_BACKEND (backend), result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  kios_sync_backend_pull_async (KIOS_SYNC_BACKEND (backend), book->hash, KIOS_BOOK_FORMAT_EPUB, NULL, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  pulled = kios_sync_backend_pull_finish (KIOS_SYNC_BACKEND (backend), result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pulled->chapter_href, ==, "EPUB/text/ch002.xhtml");
  g_assert_cmpfloat (pulled->chapter_progress, <, 0.999);
  g_assert_cmpfloat (pulled->chapter_progress, >, 0.8);

  /* A book from elsewhere has no Kobo backend. */
  {
    g_autoptr (KiosKoboBackend) none = kios_kobo_backend_open_for_book (f.store, "0123456789abcdef0123456789abcdef", NULL, &error);

    g_assert_no_error (error);
    g_assert_null (none);
  }
}

static void
test_explain_percentages (void)
{
  g_autoptr (KiosPosition) a = kios_position_new ();
  g_autoptr (KiosPosition) b = kios_position_new ();
  g_autofree char         *text = NULL;
  g_autofree char         *none = NULL;

  a->chapter = b->chapter = 4;
  a->chapter_title = g_strdup ("Chapter 5");
  a->total_progress = 0.37;
  b->total_progress = 0.41;
  text = kios_kobo_explain_percentages (a, b);
  g_assert_nonnull (strstr (text, "Chapter 5"));
  g_assert_nonnull (strstr (text, "37 %"));
  g_assert_nonnull (strstr (text, "41 %"));
  b->chapter = 6;
  none = kios_kobo_explain_percentages (a, b);
  g_assert_null (none);
}

static void
endless_handler (KiosFakeServer        *server,
                 const KiosFakeRequest *request,
                 KiosFakeResponse      *response,
                 gpointer               user_data)
{
  /* Always one more page, forever. */
  kios_fake_response_set_text (response, 200, "application/json", "[]");
  kios_fake_response_add_header (response, "x-kobo-synctoken", "KOMGA.same");
  kios_fake_response_add_header (response, "x-kobo-sync", "continue");
}

static void
test_paging_is_bounded (void)
{
  g_autoptr (KiosFakeServer)   server = kios_fake_server_new (endless_handler, NULL);
  g_autofree char             *base = g_strdup_printf ("%s/kobo/endless-token", kios_fake_server_get_url (server));
  g_autofree char             *db = kios_paths_library_db ();
  g_autofree char             *dir = g_path_get_dirname (db);
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosKoboClient)   client = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *token = NULL;
  KiosSourceRecord             record = { 0 };
  KiosKoboSyncStats            stats = { 0 };

  g_mkdir_with_parents (dir, 0700);
  store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  client = kios_kobo_client_new (base, &error);
  kios_kobo_client_set_family (client, KIOS_KOBO_FAMILY_KOMGA);
  record.name = (char *) "Endless";
  record.kind = (char *) "kobo";
  g_assert_false (kios_kobo_library_sync (client, store, &record, &stats, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_cmpuint (stats.pages, ==, KIOS_KOBO_MAX_SYNC_PAGES);
  g_assert_cmpuint (kios_fake_server_get_n_requests (server), ==, KIOS_KOBO_MAX_SYNC_PAGES);
  token = kios_kobo_catalog_get_sync_token (store, "Endless");
  g_assert_null (token);
}

static void
test_large_catalog (void)
{
  g_auto (Fixture)      f = { 0 };
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char      *book = kios_test_book ("persuasion.epub");
  KiosKoboSyncStats     stats = { 0 };
  gint64                start;

  fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 0, FALSE, "EPUB3");
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *id = g_strdup_printf ("BIG%04u", i);
      g_autofree char *title = g_strdup_printf ("Book %04u", i);

      kios_fake_kobo_add_book (f.fake, id, title, "Author", "EPUB3", book);
    }
  start = g_get_monotonic_time ();
  g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("1000 books in %u pages: %.0f ms", stats.pages, (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (stats.pages, ==, 10);
  g_assert_cmpuint (stats.added, ==, 1000);
  start = g_get_monotonic_time ();
  entries = kios_kobo_catalog_list (f.store, f.record->name);
  g_test_message ("listing the catalog: %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (entries->len, ==, 1000);
  g_assert_cmpstr (((KiosKoboEntry *) entries->pdata[0])->title, ==, "Book 0000");
}

/* A sync's changes are staged in the store as they come, in batches, so
 * memory stays flat; they reach the catalog only when the loop completes:
 * a sync that fails after a batch was staged stores nothing, and the next
 * one starts over without the leftovers. */
static void
test_staged_sync (void)
{
  g_auto (Fixture)          f = { 0 };
  g_autoptr (GError)        error = NULL;
  g_autoptr (GPtrArray)     entries = NULL;
  g_autoptr (KiosKoboEntry) entry = NULL;
  g_autofree char          *book = kios_test_book ("persuasion.epub");
  g_autofree char          *token = NULL;
  KiosKoboSyncStats         stats = { 0 };

  fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 0, FALSE, "EPUB3");
  kios_fake_kobo_add_generated (f.fake, 1200, book);
  /* 800 changes (past one staged batch), then the server fails. */
  kios_fake_kobo_fail_sync_after (f.fake, 8);
  g_assert_false (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER);
  g_clear_error (&error);
  g_assert_cmpuint (stats.added, ==, 800);
  g_assert_true (kios_library_store_flush (f.store, 10000));
  entries = kios_kobo_catalog_list (f.store, f.record->name);
  g_assert_cmpuint (entries->len, ==, 0);
  token = kios_kobo_catalog_get_sync_token (f.store, f.record->name);
  g_assert_null (token);

  kios_fake_kobo_fail_sync_after (f.fake, -1);
  g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.added, ==, 1200);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = kios_kobo_catalog_list (f.store, f.record->name);
  g_assert_cmpuint (entries->len, ==, 1200);
  g_assert_cmpstr (((KiosKoboEntry *) entries->pdata[0])->title, ==, "Generated Book 00000");
  g_assert_cmpstr (((KiosKoboEntry *) entries->pdata[1199])->title, ==, "Generated Book 01199");
  entry = kios_kobo_catalog_get (f.store, f.record->name, "6b1c0000-0000-4000-8000-000000000777");
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->title, ==, "Generated Book 00777");

  /* Nothing new: nothing changes. */
  g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.added + stats.changed + stats.removed, ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = kios_kobo_catalog_list (f.store, f.record->name);
  g_assert_cmpuint (entries->len, ==, 1200);
}

/* ---- through the sync engine ---------------------------------------------- */

typedef struct
{
  gboolean         decided;
  KiosSyncDecision decision;
} EngineSeen;

static void
on_engine_decided (KiosSyncEngine *engine,
                   int             decision,
                   const char     *reason,
                   gpointer        user_data)
{
  EngineSeen *seen = user_data;

  g_test_message ("decided %d: %s", decision, reason);
  seen->decided = TRUE;
  seen->decision = decision;
}

static gboolean
engine_wait_idle (KiosSyncEngine *engine,
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

static void
test_engine_uses_kobo (void)
{
  g_auto (Fixture)                 f = { 0 };
  g_autoptr (GError)               error = NULL;
  g_autoptr (KiosBookRecord)       book = NULL;
  g_autoptr (KiosDocument)         document = NULL;
  g_autoptr (KiosSyncEngine)       engine = NULL;
  g_autoptr (KiosPosition)         local = kios_position_new ();
  g_autoptr (KiosKoboReadingState) server = NULL;
  g_autofree char                 *path = NULL;
  gint64                           now = g_get_real_time () / G_USEC_PER_SEC;
  EngineSeen                       seen = { 0 };

  fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 1, FALSE, "EPUB3");
  g_assert_true (kios_kobo_library_sync (f.client, f.store, f.record, NULL, NULL, &error));
  path = kios_kobo_library_download (f.client, f.store, f.record->name, "0KOMGA00", NULL, NULL, &error);
  g_assert_no_error (error);
  book = kios_library_store_get_book_by_path (f.store, path, NULL);
  document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);

  /* The Kobo is further on, in ch007. */
  kios_fake_kobo_set_state (f.fake, "0KOMGA00", "EPUB/text/ch007.xhtml", NULL, 50.0, 30.0, (now - 60) * 1000);

  engine = kios_sync_engine_new (f.store);
  g_signal_connect (engine, "decided", G_CALLBACK (on_engine_decided), &seen);
  local->format = KIOS_BOOK_FORMAT_EPUB;
  local->chapter = spine_index (path, "EPUB/text/ch002.xhtml");
  local->chapter_href = g_strdup ("EPUB/text/ch002.xhtml");
  local->chapter_progress = 0.1;
  local->total_progress = 0.05;
  local->updated_at = now - 3600;
  kios_sync_engine_open_book (engine, document, local);
  g_assert_true (engine_wait_idle (engine, 10000));
  /* GET on open: resolved in this book, a different chapter further on. */
  g_assert_true (seen.decided);
  g_assert_cmpint (seen.decision, ==, KIOS_SYNC_DECISION_PROMPT);
  g_assert_nonnull (kios_sync_engine_get_remote (engine));
  g_assert_cmpint (kios_sync_engine_get_remote (engine)->chapter, ==, spine_index (path, "EPUB/text/ch007.xhtml"));

  /* Stay here, read on, go to the background: the PUT goes out over Kobo. */
  kios_sync_engine_dismiss_remote (engine);
  g_free (local->chapter_href);
  local->chapter = spine_index (path, "EPUB/text/ch003.xhtml");
  local->chapter_href = g_strdup ("EPUB/text/ch003.xhtml");
  local->chapter_progress = 0.25;
  local->updated_at = now;
  kios_sync_engine_set_position (engine, local, TRUE);
  kios_sync_engine_deactivate (engine);
  g_assert_true (engine_wait_idle (engine, 10000));
  server = kios_fake_kobo_get_state (f.fake, "0KOMGA00");
  g_assert_cmpstr (server->source, ==, "EPUB/text/ch003.xhtml");
  g_assert_cmpint (kios_sync_engine_get_state (engine), ==, KIOS_SYNC_STATE_SYNCED);
  kios_sync_engine_close_book (engine);
  g_assert_true (engine_wait_idle (engine, 10000));
  (void) book;
}

/* ---- kiosctl ------------------------------------------------------------ */

typedef struct
{
  char *out;
  char *err;
  int   status;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_kiosctl (Run          *run,
             KiosFakeKobo *fake,
             ...)
{
  const char                     *exe = g_getenv ("KIOSCTL");
  g_autoptr (GPtrArray)           argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess)         process = NULL;
  g_autoptr (GError)              error = NULL;
  g_autofree char                *keyring = g_build_filename (g_get_user_data_dir (), "kiosctl-keyring", NULL);
  const char                     *arg;
  va_list                         args;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
  va_start (args, fake);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_BACKEND", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_FILE_TEST_PASSWORD", "kiosctl-kobo-test", TRUE);
  g_subprocess_launcher_setenv (launcher, "KIOS_HTTP_DEBUG", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
  /* Nothing kiosctl prints, debug logs included, carries the token. */
  g_assert_null (strstr (run->out, kios_fake_kobo_get_token (fake)));
  g_assert_null (strstr (run->err, kios_fake_kobo_get_token (fake)));
}

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

static void
test_kiosctl_komga (void)
{
  g_autoptr (KiosFakeKobo)         fake = kios_fake_kobo_new (KIOS_FAKE_KOBO_KOMGA);
  g_autofree char                 *base = kios_fake_kobo_get_base_url (fake);
  g_autofree char                 *book1 = kios_test_book ("persuasion.epub");
  g_autofree char                 *book2 = kios_test_book ("emma.epub");
  g_autoptr (JsonObject)           page = NULL;
  g_autoptr (JsonObject)           got = NULL;
  g_autoptr (JsonObject)           pushed = NULL;
  g_autoptr (JsonObject)           pulled = NULL;
  g_autoptr (KiosKoboReadingState) server = NULL;
  g_autofree char                 *at = NULL;
  const char                      *path;
  JsonArray                       *entries;
  JsonObject                      *remote;

  kios_fake_kobo_add_book (fake, "0KOMGA00", "Persuasion", "Jane Austen", "KEPUB", book1);
  kios_fake_kobo_add_book (fake, "0KOMGA01", "Emma", "Jane Austen", "EPUB3", book2);
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "source", "add", "--kind", "kobo", "--name", "kg", "--url", base, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "source", "test", "kg", NULL);
    g_test_message ("%s%s", run.out, run.err);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Komga"));
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "browse", "kg", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    page = parse_object (run.out);
  }
  /* The documented shape: entries of six keys and next. */
  g_assert_cmpuint (json_object_get_size (page), ==, 2);
  entries = json_object_get_array_member (page, "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  g_assert_cmpuint (json_object_get_size (json_array_get_object_element (entries, 0)), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "title"), ==, "Emma");
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "search", "kg", "persu", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Persuasion"));
    g_assert_null (strstr (run.out, "Emma"));
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "download", "kg", "0KOMGA00", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    got = parse_object (run.out);
  }
  path = json_object_get_string_member (got, "path");
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  /* Komga's KEPUB link is taken as the original EPUB. */
  g_assert_cmpstr (json_object_get_string_member (got, "kobo_format"), ==, "EPUB");
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "convert_kepub=false"), ==, 1);

  at = g_strdup_printf ("chapter:%d:0.4", spine_index (path, "EPUB/text/ch005.xhtml"));
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "position", path, "--set", at, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "sync", "push", "--json", path, NULL);
    g_test_message ("%s%s", run.out, run.err);
    g_assert_cmpint (run.status, ==, 0);
    pushed = parse_object (run.out);
  }
  g_assert_cmpstr (json_object_get_string_member (pushed, "protocol"), ==, "kobo");
  g_assert_true (json_object_get_boolean_member (pushed, "verified"));
  server = kios_fake_kobo_get_state (fake, "0KOMGA00");
  g_assert_cmpstr (server->source, ==, "EPUB/text/ch005.xhtml");
  /* Komga lists it as KEPUB: Value null lets Komga store the real span. */
  g_assert_null (server->value);
  {
    g_autofree char *body = kios_fake_kobo_get_last_put_body (fake);

    g_assert_nonnull (strstr (body, "\"Value\":null"));
  }

  /* A Kobo reads on into ch007: pull shows it and changes nothing. */
  kios_fake_kobo_set_state (fake, "0KOMGA00", "EPUB/text/ch007.xhtml", NULL, 60.0, 35.0,
                            g_get_real_time () / 1000 + 10000);
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "sync", "pull", "--json", path, NULL);
    g_test_message ("%s%s", run.out, run.err);
    g_assert_cmpint (run.status, ==, 0);
    pulled = parse_object (run.out);
  }
  g_assert_cmpstr (json_object_get_string_member (pulled, "protocol"), ==, "kobo");
  remote = json_object_get_object_member (pulled, "remote");
  g_assert_nonnull (remote);
  g_assert_cmpstr (json_object_get_string_member (remote, "location_source"), ==, "EPUB/text/ch007.xhtml");
  g_assert_cmpint (json_object_get_int_member (remote, "chapter"), ==, spine_index (path, "EPUB/text/ch007.xhtml"));
  g_assert_cmpstr (json_object_get_string_member (pulled, "decision"), ==, "prompt");
}

static void
test_kiosctl_consent (void)
{
  g_autoptr (KiosFakeKobo) fake = kios_fake_kobo_new (KIOS_FAKE_KOBO_CWA);
  g_autofree char         *base = kios_fake_kobo_get_base_url (fake);
  g_autofree char         *book1 = kios_test_book ("persuasion.epub");

  kios_fake_kobo_add_book (fake, "00000000-0000-4000-8000-000000000000", "Persuasion", "Jane Austen", "EPUB3", book1);
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "source", "add", "--kind", "kobo", "--name", "cwa", "--url", base, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "browse", "cwa", "--json", NULL);
    g_test_message ("%s", run.err);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpstr (run.out, ==, "");
    g_assert_nonnull (strstr (run.err, "one device per account"));
    g_assert_nonnull (strstr (run.err, "--library-sync"));
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "download", "cwa", "00000000-0000-4000-8000-000000000000", NULL);
    g_assert_cmpint (run.status, ==, 1);
  }
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, NULL, "/v1/library/sync"), ==, 0);

  /* A server that is down: the app's sentence, not libcurl's. */
  {
    g_auto (Run)     add = { 0 };
    g_auto (Run)     run = { 0 };
    g_autofree char *said = NULL;
    const char      *line;

    run_kiosctl (&add, fake, "source", "add", "--kind", "kobo", "--name", "down", "--url",
                 "http://127.0.0.1:1/kobo/0123456789abcdef0123456789abcdef", NULL);
    run_kiosctl (&run, fake, "browse", "down", NULL);
    g_test_message ("%s", run.err);
    g_assert_cmpint (run.status, ==, 1);
    /* The line for a person (debug logging, when on, keeps the detail). */
    line = strstr (run.err, "kiosctl: ");
    g_assert_nonnull (line);
    said = g_strndup (line, strcspn (line, "\n"));
    g_assert_nonnull (strstr (said, "could not reach"));
    g_assert_null (strstr (said, "Failed to connect"));
    g_assert_null (strstr (run.err, "0123456789abcdef"));
  }

  /* With consent recorded at add time, it lists. */
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "source", "add", "--kind", "kobo", "--name", "cwa2", "--url", base, "--library-sync", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto (Run) run = { 0 };
    run_kiosctl (&run, fake, "browse", "cwa2", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Persuasion"));
  }
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, NULL, "/v1/library/sync"), ==, 1);
}

/* The flow the shelf and kiosctl share: open, connect, consent, sync, list. */
static void
test_refresh_flow (void)
{
  const KiosFakeKoboFamily families[] = { KIOS_FAKE_KOBO_CALIBRE_WEB, KIOS_FAKE_KOBO_CWA, KIOS_FAKE_KOBO_GRIMMORY,
                                          KIOS_FAKE_KOBO_KOMGA };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_auto (Fixture)            f = { 0 };
      g_autoptr (GError)          error = NULL;
      g_autoptr (KiosKoboRefresh) first = NULL;
      g_autoptr (KiosKoboRefresh) second = NULL;
      gboolean                    komga = families[i] == KIOS_FAKE_KOBO_KOMGA;

      g_test_message ("family %u", i);
      fixture_init (&f, families[i], 2, FALSE, "EPUB3");

      /* No consent: connected and recognised, but never a library sync. */
      first = kios_kobo_source_refresh (f.store, f.record, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (first->connected);
      g_assert_cmpint (first->family, !=, KIOS_KOBO_FAMILY_UNKNOWN);
      g_assert_cmpint (first->needs_consent, ==, !komga);
      if (!komga)
        {
          g_assert_null (first->entries);
          g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, NULL, "/v1/library/sync"), ==, 0);
          /* The user's answer, then the library lists. */
          g_assert_true (kios_kobo_source_set_consent (f.store, f.record->name, TRUE, &error));
          g_assert_no_error (error);
        }
      second = kios_kobo_source_refresh (f.store, f.record, NULL, &error);
      g_assert_no_error (error);
      g_assert_false (second->needs_consent);
      g_assert_nonnull (second->entries);
      g_assert_cmpuint (second->entries->len, ==, 2);
      g_assert_null (second->warning);
      g_assert_cmpuint (kios_fake_kobo_count_requests (f.fake, "GET", "/v1/library/sync"), >=, 1);
    }
}

typedef struct
{
  gboolean         done;
  KiosKoboRefresh *refresh;
  char            *path;
  char            *hash;
  GError          *error;
} AsyncWait;

static void
refresh_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  AsyncWait *w = user_data;

  w->refresh = kios_kobo_source_refresh_finish (result, &w->error);
  w->done = TRUE;
}

static void
download_done (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncWait *w = user_data;

  w->path = kios_kobo_source_download_finish (result, &w->hash, NULL, &w->error);
  w->done = TRUE;
}

static void
test_refresh_async_and_too_large (void)
{
  g_auto (Fixture)          f = { 0 };
  AsyncWait                 w = { 0 };
  g_autoptr (GCancellable)  cancellable = g_cancellable_new ();
  g_autofree char          *base = NULL;
  g_autofree char          *url = NULL;
  g_autoptr (GError)        error = NULL;
  g_autoptr (GOutputStream) sink = g_memory_output_stream_new_resizable ();

  fixture_init (&f, KIOS_FAKE_KOBO_KOMGA, 1, FALSE, "EPUB3");
  kios_kobo_source_refresh_async (f.store, f.record, NULL, refresh_done, &w);
  kios_test_wait_for (&w.done, 30000);
  g_assert_no_error (w.error);
  g_assert_cmpuint (w.refresh->entries->len, ==, 1);

  /* A download, through the importer, from the main context. */
  w.done = FALSE;
  kios_kobo_source_download_async (f.store, f.record, ((KiosKoboEntry *) w.refresh->entries->pdata[0])->id, NULL,
                                   download_done, &w);
  kios_test_wait_for (&w.done, 30000);
  g_assert_no_error (w.error);
  g_assert_true (g_file_test (w.path, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (w.hash);
  g_clear_pointer (&w.refresh, kios_kobo_refresh_free);
  g_clear_pointer (&w.path, g_free);
  g_clear_pointer (&w.hash, g_free);

  /* Cancelled before it ran: the callback learns only that. */
  w.done = FALSE;
  g_cancellable_cancel (cancellable);
  kios_kobo_source_refresh_async (f.store, f.record, cancellable, refresh_done, &w);
  kios_test_wait_for (&w.done, 30000);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (w.refresh);
  g_clear_error (&w.error);

  /* Past the size limit: "too large", not "cannot be reached". */
  base = kios_fake_kobo_get_base_url (f.fake);
  url = g_strconcat (base, "/v1/books/0KOMGA00/file/epub?convert_kepub=false", NULL);
  g_assert_false (kios_kobo_client_download (f.client, url, sink, 1000, NULL, &error));
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_assert_null (strstr (error->message, "reached"));
}

/* Deep JSON from a server is refused before json-glib recurses into it. */
static void
deep_handler (KiosFakeServer        *server,
              const KiosFakeRequest *request,
              KiosFakeResponse      *response,
              gpointer               user_data)
{
  GString *deep = g_string_new (NULL);

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  response->status = 200;
  kios_fake_response_add_header (response, "Content-Type", "application/json");
  response->body = g_string_free_to_bytes (deep);
}

static void
test_deep_json (void)
{
  g_autoptr (KiosFakeServer) server = kios_fake_server_new (deep_handler, NULL);
  g_autofree char           *base = g_strconcat (kios_fake_server_get_url (server), "/kobo/0123456789abcdef", NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosKoboClient) client = kios_kobo_client_new (base, &error);

  g_assert_no_error (error);
  g_assert_false (kios_kobo_client_initialize (client, NULL, &error));
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("kios-kobo-XXXXXX", NULL);
  g_autofree char *keyring = g_build_filename (dir, "test.keyring", NULL);
  int              rc;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* libsecret's file backend: no D-Bus, an encrypted keyring file. */
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-kobo-keyring", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kios-test-bus", TRUE);

  kios_test_add_func ("/kios/kobo-library/settings", test_settings);
  kios_test_add_func ("/kios/kobo-library/connect-keeps-no-secret", test_connect_keeps_no_secret);
  kios_test_add_func ("/kios/kobo-library/consent-rule", test_consent_rule);
  kios_test_add_func ("/kios/kobo-library/paging-and-removals", test_paging_and_removals);
  kios_test_add_func ("/kios/kobo-library/token-only-after-complete-loop", test_token_only_after_complete_loop);
  kios_test_add_func ("/kios/kobo-library/delivery-quirks", test_delivery_quirks);
  kios_test_add_func ("/kios/kobo-library/download", test_download);
  kios_test_add_func ("/kios/kobo-library/refresh-flow", test_refresh_flow);
  kios_test_add_func ("/kios/kobo-library/refresh-async-and-too-large", test_refresh_async_and_too_large);
  kios_test_add_func ("/kios/kobo-library/deep-json", test_deep_json);
  kios_test_add_func ("/kios/kobo-library/paging-is-bounded", test_paging_is_bounded);
  kios_test_add_func ("/kios/kobo-library/large-catalog", test_large_catalog);
  kios_test_add_func ("/kios/kobo-library/staged-sync", test_staged_sync);
  kios_test_add_func ("/kios/kobo-library/backend-round-trip", test_backend_round_trip);
  kios_test_add_func ("/kios/kobo-library/backend-async", test_backend_async);
  kios_test_add_func ("/kios/kobo-library/explain-percentages", test_explain_percentages);
  kios_test_add_func ("/kios/kobo-library/engine-uses-kobo", test_engine_uses_kobo);
  kios_test_add_func ("/kios/kobo-library/kiosctl-komga", test_kiosctl_komga);
  kios_test_add_func ("/kios/kobo-library/kiosctl-consent", test_kiosctl_consent);
  rc = g_test_run ();
  g_unlink (keyring);
  g_rmdir (dir);
  return rc;
}
