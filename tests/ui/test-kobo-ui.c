/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-kobo-ui"

#include "config.h"

#include "kios-catalog-view.h"
#include "kios-fake-kobo.h"
#include "kios-kobo-library.h"
#include "kios-kobo-shelf.h"
#include "kios-library-sidebar.h"
#include "kios-paths.h"
#include "kios-reader-view.h"
#include "kios-secrets.h"
#include "kios-source-dialog.h"
#include "kios-sync-source.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

#include <string.h>

#define WAIT_MS 30000

typedef struct
{
  KiosWindow         *window;
  KiosLibrarySidebar *sidebar;
  KiosCatalogView    *catalog;
  KiosKoboShelf      *shelf;
  KiosLibraryStore   *store;
  char               *saved;
} Ui;

static const char *const books[][3] = {
  { "3d1f6c2e-0b7a-4c1e-9a57-2b8e1f0d9c01", "Emma", "emma.epub" },
  { "3d1f6c2e-0b7a-4c1e-9a57-2b8e1f0d9c02", "Persuasion", "persuasion.epub" },
  { "3d1f6c2e-0b7a-4c1e-9a57-2b8e1f0d9c03", "Pride and Prejudice", "pride-and-prejudice.epub" },
};

static KiosFakeKobo *
fake_with_books (KiosFakeKoboFamily family)
{
  KiosFakeKobo *fake = kios_fake_kobo_new (family);

  for (guint i = 0; i < G_N_ELEMENTS (books); i++)
    {
      g_autofree char *path = kios_test_sample_book (books[i][2]);

      kios_fake_kobo_add_book (fake, books[i][0], books[i][1], "Jane Austen", "EPUB3", path);
    }
  return fake;
}

static const double cover_colors[][3] = {
  { 0.55, 0.18, 0.22 },
  { 0.16, 0.33, 0.52 },
  { 0.25, 0.45, 0.35 },
  { 0.35, 0.25, 0.45 },
};

/* Replaces every cached Kobo cover by a real picture. The fake serves a
 * 13-byte JPEG stub that no decoder takes; this checks that a decodable
 * cover in the disk cache reaches the grid without asking the server again. */
static guint
paint_cached_covers (void)
{
  g_autofree char *dir = kios_paths_cache_subdir ("covers");
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char      *name;
  guint            n = 0;

  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      cairo_surface_t *surface;
      cairo_t         *cr;

      if (!g_str_has_prefix (name, "kobo-"))
        continue;
      surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 300, 450);
      cr = cairo_create (surface);
      cairo_set_source_rgb (cr, cover_colors[n % 4][0], cover_colors[n % 4][1], cover_colors[n % 4][2]);
      cairo_paint (cr);
      cairo_set_source_rgba (cr, 1, 1, 1, 0.85);
      cairo_rectangle (cr, 30, 60, 240, 3);
      cairo_rectangle (cr, 30, 390, 240, 3);
      cairo_fill (cr);
      cairo_destroy (cr);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (surface);
      n++;
    }
  return n;
}

static gboolean
covers_shown (gpointer data)
{
  KiosKoboShelf *shelf = data;

  return kios_kobo_shelf_get_n_covers_shown (shelf) >= kios_kobo_shelf_get_n_books (shelf);
}

static void
ui_open (Ui *ui)
{
  ui->store = kios_test_new_store ();
  ui->window = kios_window_new (NULL);
  kios_window_set_store (ui->window, ui->store);
  gtk_window_set_default_size (GTK_WINDOW (ui->window), 1100, 760);
  gtk_window_present (GTK_WINDOW (ui->window));
  ui->sidebar = KIOS_LIBRARY_SIDEBAR (kios_test_find_widget (GTK_WIDGET (ui->window), KIOS_TYPE_LIBRARY_SIDEBAR, NULL));
  ui->catalog = KIOS_CATALOG_VIEW (kios_test_find_widget (GTK_WIDGET (ui->window), KIOS_TYPE_CATALOG_VIEW, NULL));
  ui->shelf = KIOS_KOBO_SHELF (kios_test_find_widget (GTK_WIDGET (ui->window), KIOS_TYPE_KOBO_SHELF, NULL));
  g_assert_nonnull (ui->sidebar);
  g_assert_nonnull (ui->catalog);
  g_assert_nonnull (ui->shelf);
  kios_test_wait_for_paint (GTK_WIDGET (ui->window));
}

static void
ui_close (Ui *ui)
{
  gtk_window_destroy (GTK_WINDOW (ui->window));
  /* Workers of the closed window finish before this case's directories go. */
  for (int i = 0; i < 60; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  kios_library_store_flush (ui->store, 5000);
  g_clear_object (&ui->store);
  g_clear_pointer (&ui->saved, g_free);
}

static gboolean
dialog_idle (gpointer data)
{
  return !kios_source_dialog_is_busy (data);
}

static gboolean
shelf_settled (gpointer data)
{
  KiosKoboShelf *shelf = data;
  const char    *page = kios_kobo_shelf_get_visible_page (shelf);

  return !kios_kobo_shelf_is_busy (shelf) && g_strcmp0 (page, "loading") != 0 && g_strcmp0 (page, "none") != 0;
}

static gboolean
covers_done (gpointer data)
{
  KiosKoboShelf *shelf = data;

  return !kios_kobo_shelf_covers_loading (shelf) && kios_kobo_shelf_get_n_covers_fetched (shelf) >= kios_kobo_shelf_get_n_books (shelf);
}

static gboolean
download_settled (gpointer data)
{
  return g_strcmp0 (kios_kobo_shelf_get_detail_state (data), "downloading") != 0;
}

static gboolean
reading (gpointer data)
{
  return g_strcmp0 (kios_window_get_visible_page (data), "reader") == 0 && kios_reader_view_get_document (kios_window_get_reader_view (data)) != NULL;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(char **) data != NULL;
}

/* Save and wait until the dialog saved (or says why not). */
static void
save_and_wait (Ui               *ui,
               KiosSourceDialog *dialog)
{
  g_object_ref (dialog);
  kios_source_dialog_save (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  if (ui->saved == NULL)
    g_test_message ("dialog says: %s", kios_source_dialog_get_message (dialog));
  g_assert_true (kios_test_wait_until (flag_is_set, &ui->saved, 2000));
  g_object_unref (dialog);
}

static void
saved_cb (KiosSourceDialog *dialog,
          const char       *name,
          Ui               *ui)
{
  g_autofree char *id = g_strconcat ("source:", name, NULL);

  ui->saved = g_strdup (name);
  kios_library_sidebar_reload_and_select (ui->sidebar, id);
}

static void
read_cb (KiosKoboShelf *shelf,
         const char    *path,
         char         **out)
{
  g_free (*out);
  *out = g_strdup (path);
}

static KiosSourceDialog *
new_kobo_dialog (Ui         *ui,
                 const char *name,
                 const char *url)
{
  KiosSourceDialog *dialog = kios_source_dialog_new (GTK_WINDOW (ui->window), ui->store, NULL);

  g_signal_connect (dialog, "saved", G_CALLBACK (saved_cb), ui);
  kios_source_dialog_set_kind (dialog, "kobo");
  kios_source_dialog_set_fields (dialog, name, url, NULL, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* Add a CWA source: Test recognises the family and asks; with consent the
 * shelf lists the books with their covers; one downloads and opens. */
static void
test_consent_shelf_read (void)
{
  g_autoptr (KiosFakeKobo)     fake = fake_with_books (KIOS_FAKE_KOBO_CWA);
  g_autofree char             *url = kios_fake_kobo_get_base_url (fake);
  g_autofree char             *shot = NULL;
  g_autofree char             *read_path = NULL;
  g_autofree char             *forbidden = NULL;
  g_autofree char             *secret = NULL;
  g_autofree char             *entitlement = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosKoboSettings) settings = NULL;
  g_autoptr (KiosBookRecord)   book = NULL;
  KiosSourceDialog            *dialog;
  const char                  *consent;
  guint                        downloads;
  Ui                           ui = { 0 };

  ui_open (&ui);
  dialog = new_kobo_dialog (&ui, "Home CWA", url);
  kios_test_wait_for_paint (GTK_WIDGET (dialog));
  g_assert_null (kios_source_dialog_get_consent_text (dialog));

  /* Test: initialization only, the family recognised, the question shown. */
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "Connected"));
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "Calibre-Web"));
  consent = kios_source_dialog_get_consent_text (dialog);
  g_assert_nonnull (consent);
  g_assert_nonnull (strstr (consent, "one device per account"));
  g_assert_nonnull (strstr (consent, "separate user"));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/initialization"), ==, 1);
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, NULL, "/v1/library/sync"), ==, 0);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 520, 760);
  shot = kios_test_save_screenshot (GTK_WIDGET (dialog), "kobo-source-dialog-consent");
  g_assert_true (g_file_test (shot, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&shot, g_free);

  /* Consent, save: the URL goes to the keyring only, the consent to settings. */
  kios_source_dialog_set_library_sync (dialog, TRUE);
  save_and_wait (&ui, dialog);
  g_assert_cmpstr (ui.saved, ==, "Home CWA");
  record = kios_library_store_get_source (ui.store, "Home CWA", NULL);
  g_assert_nonnull (record);
  g_assert_cmpstr (record->kind, ==, "kobo");
  g_assert_null (record->url);
  g_assert_null (strstr (record->settings_json, kios_fake_kobo_get_token (fake)));
  settings = kios_kobo_settings_parse (record->settings_json);
  g_assert_true (settings->library_sync);
  g_assert_cmpint (settings->family, ==, KIOS_KOBO_FAMILY_CALIBRE_WEB);
  secret = kios_secrets_lookup_sync ("Home CWA", KIOS_SECRET_KIND_URL, NULL, NULL);
  g_assert_cmpstr (secret, ==, url);

  /* The sidebar selects the new source: its shelf, covers, no device headers. */
  g_assert_true (kios_test_wait_until (shelf_settled, ui.shelf, WAIT_MS));
  g_assert_cmpstr (kios_library_sidebar_get_selected (ui.sidebar), ==, "source:Home CWA");
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "kobo");
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (ui.shelf), ==, "books");
  g_assert_cmpuint (kios_kobo_shelf_get_n_books (ui.shelf), ==, G_N_ELEMENTS (books));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/library/sync"), >=, 1);
  g_assert_true (kios_test_wait_until (covers_done, ui.shelf, WAIT_MS));
  g_assert_cmpuint (kios_kobo_shelf_get_n_covers_fetched (ui.shelf), ==, G_N_ELEMENTS (books));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/image.jpg"), ==, G_N_ELEMENTS (books));
  forbidden = kios_fake_kobo_find_forbidden_header (fake);
  g_assert_null (forbidden);
  /* The stub covers do not decode: the cards keep their title placeholders. */
  g_assert_cmpuint (kios_kobo_shelf_get_n_covers_shown (ui.shelf), ==, 0);

  /* Reopened with real pictures in the disk cache: they show, and the
   * server is not asked again; a third visit uses the memory cache. */
  g_assert_cmpuint (paint_cached_covers (), ==, G_N_ELEMENTS (books));
  for (guint visit = 0; visit < 2; visit++)
    {
      kios_library_sidebar_select (ui.sidebar, "local");
      kios_library_sidebar_select (ui.sidebar, "source:Home CWA");
      g_assert_true (kios_test_wait_until (shelf_settled, ui.shelf, WAIT_MS));
      g_assert_cmpstr (kios_kobo_shelf_get_visible_page (ui.shelf), ==, "books");
      g_assert_cmpuint (kios_kobo_shelf_get_n_books (ui.shelf), ==, G_N_ELEMENTS (books));
      g_assert_true (kios_test_wait_until (covers_shown, ui.shelf, WAIT_MS));
      g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/image.jpg"), ==, G_N_ELEMENTS (books));
    }
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "kobo-shelf");
  g_assert_true (g_file_test (shot, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&shot, g_free);

  /* Persuasion (sorted by title: Emma, Persuasion, Pride…): download, then read. */
  kios_kobo_shelf_activate_book (ui.shelf, 1);
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (ui.shelf), ==, "detail");
  g_assert_cmpstr (kios_kobo_shelf_get_detail_state (ui.shelf), ==, "download");
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "kobo-shelf-detail");
  g_clear_pointer (&shot, g_free);
  /* The card follows the detail page: downloadable, downloading, downloaded. */
  g_assert_cmpint (kios_kobo_shelf_get_card_state (ui.shelf, 1), ==, KIOS_CARD_STATE_DOWNLOADABLE);
  kios_kobo_shelf_download (ui.shelf);
  g_assert_cmpint (kios_kobo_shelf_get_card_state (ui.shelf, 1), ==, KIOS_CARD_STATE_DOWNLOADING);
  g_assert_true (kios_test_wait_until (download_settled, ui.shelf, WAIT_MS));
  g_assert_cmpstr (kios_kobo_shelf_get_detail_state (ui.shelf), ==, "read");
  g_assert_cmpint (kios_kobo_shelf_get_card_state (ui.shelf, 1), ==, KIOS_CARD_STATE_DOWNLOADED);
  g_assert_cmpint (kios_kobo_shelf_get_card_state (ui.shelf, 0), ==, KIOS_CARD_STATE_DOWNLOADABLE);
  g_assert_nonnull (kios_kobo_shelf_get_book_path (ui.shelf));
  g_assert_true (g_file_test (kios_kobo_shelf_get_book_path (ui.shelf), G_FILE_TEST_IS_REGULAR));
  book = kios_library_store_get_book_by_path (ui.store, kios_kobo_shelf_get_book_path (ui.shelf), NULL);
  g_assert_nonnull (book);
  entitlement = kios_library_store_get_book_meta (ui.store, book->hash, KIOS_KOBO_META_ENTITLEMENT_ID);
  g_assert_cmpstr (entitlement, ==, books[1][0]);

  /* Back on the shelf and in again: the book is known as downloaded. */
  kios_kobo_shelf_activate_book (ui.shelf, 0);
  g_assert_cmpstr (kios_kobo_shelf_get_detail_state (ui.shelf), ==, "download");
  kios_kobo_shelf_activate_book (ui.shelf, 1);
  g_assert_cmpstr (kios_kobo_shelf_get_detail_state (ui.shelf), ==, "read");
  g_assert_null (kios_kobo_shelf_get_book_path (ui.shelf));

  /* Read finds the downloaded file (no second download) and opens it. */
  g_signal_connect (ui.shelf, "read", G_CALLBACK (read_cb), &read_path);
  downloads = kios_fake_kobo_count_requests (fake, "GET", "/download");
  g_assert_cmpuint (downloads, >=, 1);
  kios_kobo_shelf_read (ui.shelf);
  g_assert_true (kios_test_wait_until (flag_is_set, &read_path, WAIT_MS));
  g_assert_cmpstr (read_path, ==, kios_kobo_shelf_get_book_path (ui.shelf));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/download"), ==, downloads);
  g_assert_true (kios_test_wait_until (reading, ui.window, WAIT_MS));

  ui_close (&ui);
}

/* Without consent Kios never calls v1/library/sync on a CWA server. */
static void
test_no_consent (void)
{
  g_autoptr (KiosFakeKobo)     fake = fake_with_books (KIOS_FAKE_KOBO_CWA);
  g_autofree char             *url = kios_fake_kobo_get_base_url (fake);
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosKoboSettings) settings = NULL;
  KiosSourceDialog            *dialog;
  KiosSourceDialog            *editor;
  Ui                           ui = { 0 };

  ui_open (&ui);
  dialog = new_kobo_dialog (&ui, "Shared CWA", url);

  /* Save without Test: the server is recognised and the question shows instead. */
  kios_source_dialog_save (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  g_assert_null (ui.saved);
  g_assert_nonnull (kios_source_dialog_get_consent_text (dialog));
  g_assert_null (kios_library_store_get_source (ui.store, "Shared CWA", NULL));

  /* Saved with the box unticked: listed nowhere, no library sync. */
  save_and_wait (&ui, dialog);
  record = kios_library_store_get_source (ui.store, "Shared CWA", NULL);
  g_assert_nonnull (record);
  settings = kios_kobo_settings_parse (record->settings_json);
  g_assert_false (settings->library_sync);

  g_assert_true (kios_test_wait_until (shelf_settled, ui.shelf, WAIT_MS));
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (ui.shelf), ==, "consent");
  g_assert_nonnull (strstr (kios_kobo_shelf_get_message (ui.shelf), "one device per account"));
  g_assert_cmpuint (kios_kobo_shelf_get_n_books (ui.shelf), ==, 0);
  g_free (kios_test_save_screenshot (GTK_WIDGET (ui.window), "kobo-shelf-no-consent"));
  kios_kobo_shelf_reload (ui.shelf);
  g_assert_true (kios_test_wait_until (shelf_settled, ui.shelf, WAIT_MS));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, NULL, "/v1/library/sync"), ==, 0);
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/initialization"), >=, 2);

  /* Allowed later in the source's settings: the edit dialog asks again. */
  editor = kios_source_dialog_new (GTK_WINDOW (ui.window), ui.store, record);
  g_signal_connect (editor, "saved", G_CALLBACK (saved_cb), &ui);
  gtk_window_present (GTK_WINDOW (editor));
  g_assert_true (kios_test_wait_until (dialog_idle, editor, WAIT_MS));
  g_assert_nonnull (kios_source_dialog_get_consent_text (editor));
  kios_source_dialog_set_library_sync (editor, TRUE);
  g_clear_pointer (&ui.saved, g_free);
  save_and_wait (&ui, editor);
  g_clear_pointer (&record, kios_source_record_free);
  record = kios_library_store_get_source (ui.store, "Shared CWA", NULL);
  g_clear_pointer (&settings, kios_kobo_settings_free);
  settings = kios_kobo_settings_parse (record->settings_json);
  g_assert_true (settings->library_sync);
  kios_kobo_shelf_reload (ui.shelf);
  g_assert_true (kios_test_wait_until (shelf_settled, ui.shelf, WAIT_MS));
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (ui.shelf), ==, "books");
  g_assert_cmpuint (kios_kobo_shelf_get_n_books (ui.shelf), ==, G_N_ELEMENTS (books));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/library/sync"), >=, 1);

  ui_close (&ui);
}

/* Komga keeps sync state per token: no question, the shelf lists at once. */
static void
test_komga_no_question (void)
{
  g_autoptr (KiosFakeKobo) fake = fake_with_books (KIOS_FAKE_KOBO_KOMGA);
  g_autofree char         *url = kios_fake_kobo_get_base_url (fake);
  KiosSourceDialog        *dialog;
  Ui                       ui = { 0 };

  ui_open (&ui);
  dialog = new_kobo_dialog (&ui, "Komga", url);
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "Komga"));
  g_assert_null (kios_source_dialog_get_consent_text (dialog));
  save_and_wait (&ui, dialog);
  g_assert_true (kios_test_wait_until (shelf_settled, ui.shelf, WAIT_MS));
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (ui.shelf), ==, "books");
  g_assert_cmpuint (kios_kobo_shelf_get_n_books (ui.shelf), ==, G_N_ELEMENTS (books));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/library/sync"), >=, 1);

  ui_close (&ui);
}

/* Grimmory/BookLore: the question names reading positions. */
static void
test_grimmory_question (void)
{
  g_autoptr (KiosFakeKobo) fake = fake_with_books (KIOS_FAKE_KOBO_GRIMMORY);
  g_autofree char         *url = kios_fake_kobo_get_base_url (fake);
  KiosSourceDialog        *dialog;
  const char              *consent;
  Ui                       ui = { 0 };

  ui_open (&ui);
  dialog = new_kobo_dialog (&ui, "Grimmory", url);
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "Grimmory"));
  consent = kios_source_dialog_get_consent_text (dialog);
  g_assert_nonnull (consent);
  g_assert_nonnull (strstr (consent, "reading positions"));
  g_assert_nonnull (strstr (consent, "separate user"));
  /* Another URL may be another server: the question goes until the next Test. */
  kios_source_dialog_set_fields (dialog, "Grimmory", "http://127.0.0.1:9/api/kobo/other", NULL, NULL);
  g_assert_null (kios_source_dialog_get_consent_text (dialog));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, NULL, "/v1/library/sync"), ==, 0);
  gtk_window_destroy (GTK_WINDOW (dialog));

  ui_close (&ui);
}

/* A wrong token: the KOBO.md §6.3 message, nothing saved. */
static void
test_bad_token (void)
{
  g_autoptr (KiosFakeKobo) fake = fake_with_books (KIOS_FAKE_KOBO_CWA);
  g_autofree char         *url = kios_fake_kobo_get_base_url (fake);
  g_autofree char         *bad = NULL;
  KiosSourceDialog        *dialog;
  const char              *message;
  Ui                       ui = { 0 };

  bad = g_strconcat (url, "x", NULL);
  ui_open (&ui);
  dialog = new_kobo_dialog (&ui, "Wrong", bad);
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  message = kios_source_dialog_get_message (dialog);
  g_assert_nonnull (strstr (message, "Token not accepted"));
  g_assert_null (strstr (message, kios_fake_kobo_get_token (fake)));
  g_assert_null (kios_source_dialog_get_consent_text (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));

  ui_close (&ui);
}

static gboolean
shelf_on_books (gpointer data)
{
  return !kios_kobo_shelf_is_busy (data) && g_strcmp0 (kios_kobo_shelf_get_visible_page (data), "books") == 0;
}

static gboolean
shelf_on_consent (gpointer data)
{
  return !kios_kobo_shelf_is_busy (data) && g_strcmp0 (kios_kobo_shelf_get_visible_page (data), "consent") == 0;
}

/* The consent question answered on the shelf itself: recorded, then listed;
 * before the answer, no v1/library/sync. */
static void
test_allow_from_shelf (void)
{
  g_autoptr (KiosFakeKobo)     fake = kios_fake_kobo_new (KIOS_FAKE_KOBO_CALIBRE_WEB);
  g_autofree char             *base = kios_fake_kobo_get_base_url (fake);
  g_autofree char             *book = kios_test_sample_book ("persuasion.epub");
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (KiosSourceRecord) saved = NULL;
  g_autoptr (KiosKoboSettings) settings = NULL;
  g_autoptr (GError)           error = NULL;
  KiosKoboShelf               *shelf = g_object_ref_sink (kios_kobo_shelf_new ());
  GtkWidget                   *window = gtk_window_new ();

  kios_fake_kobo_add_book (fake, "00000000-0000-4000-8000-000000000000", "Persuasion", "Jane Austen", "EPUB3", book);
  record->name = g_strdup ("CW");
  record->kind = g_strdup ("kobo");
  record->auth = g_strdup ("none");
  g_assert_true (kios_sync_source_save_secrets (record, base, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (shelf));
  gtk_window_present (GTK_WINDOW (window));
  kios_kobo_shelf_set_store (shelf, store);
  kios_kobo_shelf_set_source (shelf, record);
  g_assert_true (kios_test_wait_until (shelf_on_consent, shelf, WAIT_MS));
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, NULL, "/v1/library/sync"), ==, 0);

  kios_kobo_shelf_allow_library (shelf);
  g_assert_true (kios_test_wait_until (shelf_on_books, shelf, WAIT_MS));
  g_assert_cmpuint (kios_kobo_shelf_get_n_books (shelf), ==, 1);
  g_assert_cmpuint (kios_fake_kobo_count_requests (fake, "GET", "/v1/library/sync"), >=, 1);
  saved = kios_library_store_get_source (store, "CW", &error);
  g_assert_no_error (error);
  settings = kios_kobo_settings_parse (saved->settings_json);
  g_assert_true (settings->library_sync);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (shelf);
  for (int i = 0; i < 40; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  kios_library_store_flush (store, 5000);
}

/* A Kobo server that accepts the connection and never answers (initialization
 * may legitimately wait a minute): the loading page's Cancel stops it, and
 * the shelf can go away with nothing touching it afterwards. */
static void
test_cancel_loading (void)
{
  guint16                      port = 0;
  g_autoptr (GSocketListener)  hole = kios_fake_black_hole_new (&port);
  g_autofree char             *url = g_strdup_printf ("http://127.0.0.1:%u/kobo/0123456789abcdef0123456789abcdef", port);
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autoptr (GError)           error = NULL;
  KiosKoboShelf               *shelf = g_object_ref_sink (kios_kobo_shelf_new ());
  GtkWidget                   *window = gtk_window_new ();

  record->name = g_strdup ("Hangs");
  record->kind = g_strdup ("kobo");
  record->auth = g_strdup ("none");
  g_assert_true (kios_sync_source_save_secrets (record, url, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (shelf));
  gtk_window_present (GTK_WINDOW (window));
  kios_kobo_shelf_set_store (shelf, store);
  kios_kobo_shelf_set_source (shelf, record);
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (shelf), ==, "loading");
  g_assert_true (kios_kobo_shelf_is_busy (shelf));
  /* A moment later, as a person would: the request is on the wire by then
   * (a cancel inside libsecret's file backend trips a GLib warning there). */
  for (int i = 0; i < 100; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  kios_kobo_shelf_cancel (shelf);
  g_assert_false (kios_kobo_shelf_is_busy (shelf));
  g_assert_cmpstr (kios_kobo_shelf_get_visible_page (shelf), ==, "error");
  g_assert_nonnull (strstr (kios_kobo_shelf_get_message (shelf), "Stopped"));

  /* Again, and this time the window closes while it waits. */
  kios_kobo_shelf_reload (shelf);
  g_assert_true (kios_kobo_shelf_is_busy (shelf));
  for (int i = 0; i < 100; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (shelf);
  for (int i = 0; i < 40; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  kios_library_store_flush (store, 5000);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              ret;

  kios_ui_test_init (&argc, &argv);

  /* The file backend of libsecret: a real keyring file, no D-Bus. */
  keyring_dir = g_dir_make_tmp ("kios-test-kobo-ui-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-kobo-ui", TRUE);

  g_test_add_func ("/kios/kobo-ui/consent-shelf-read", test_consent_shelf_read);
  g_test_add_func ("/kios/kobo-ui/no-consent", test_no_consent);
  g_test_add_func ("/kios/kobo-ui/komga-no-question", test_komga_no_question);
  g_test_add_func ("/kios/kobo-ui/grimmory-question", test_grimmory_question);
  g_test_add_func ("/kios/kobo-ui/bad-token", test_bad_token);
  g_test_add_func ("/kios/kobo-ui/cancel-loading", test_cancel_loading);
  g_test_add_func ("/kios/kobo-ui/allow-from-shelf", test_allow_from_shelf);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
