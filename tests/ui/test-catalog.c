/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-catalog"

#include "config.h"

#include "kios-book-detail.h"
#include "kios-catalog-grid.h"
#include "kios-catalog-view.h"
#include "kios-fake-opds.h"
#include "kios-kobo-shelf.h"
#include "kios-library-sidebar.h"
#include "kios-library-sync-page.h"
#include "kios-local-books.h"
#include "kios-paths.h"
#include "kios-preferences-window.h"
#include "kios-secrets.h"
#include "kios-source-dialog.h"
#include "kios-sync-source.h"
#include "kios-ui-test-utils.h"
#include "kios-window.h"

#include <string.h>

#define ROOT "/opds"
#define BY_TITLE "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library"
#define ATOM "application/atom+xml; charset=UTF-8"
#define USER "kios"
#define PASSWORD "kios-pass"
#define WAIT_MS 20000
#define KAVITA "/api/opds/0f3c1d2e-5a6b-4c7d-8e9f-a0b1c2d3e4f5"

static const char *const cover_titles[] = { NULL, "Pride and Prejudice", "Persuasion", "Emma",
                                            "Sense and Sensibility", "Northanger Abbey", "The Holy Bible" };
static const double      cover_colors[][3] = {
       { 0, 0, 0 },
       { 0.55, 0.18, 0.22 },
       { 0.16, 0.33, 0.52 },
       { 0.85, 0.55, 0.25 },
       { 0.25, 0.45, 0.35 },
       { 0.35, 0.25, 0.45 },
       { 0.15, 0.15, 0.18 },
};

static cairo_status_t
append_png (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* A cover as a real server sends one: a PNG with the title on a colour. */
static GBytes *
make_cover_png (guint n)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 240, 360);
  cairo_t         *cr = cairo_create (surface);
  GByteArray      *png = g_byte_array_new ();
  g_auto (GStrv)   words = g_strsplit (cover_titles[n], " ", -1);

  cairo_set_source_rgb (cr, cover_colors[n][0], cover_colors[n][1], cover_colors[n][2]);
  cairo_paint (cr);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.85);
  cairo_rectangle (cr, 20, 40, 200, 2);
  cairo_rectangle (cr, 20, 318, 200, 2);
  cairo_fill (cr);
  cairo_select_font_face (cr, "serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 26);
  for (guint i = 0; words[i] != NULL; i++)
    {
      cairo_move_to (cr, 24, 100 + 34 * i);
      cairo_show_text (cr, words[i]);
    }
  cairo_set_font_size (cr, 16);
  cairo_move_to (cr, 24, 300);
  cairo_show_text (cr, n == 6 ? "King James Version" : "Jane Austen");
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png_stream (surface, append_png, png), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (png);
}

static KiosFakeOpds *
calibre_fake (KiosFakeOpdsAuth auth)
{
  KiosFakeOpds      *fake = kios_fake_opds_new (auth, USER, PASSWORD);
  g_autofree char   *book_path = kios_test_sample_book ("kjv-bible.epub");
  g_autofree char   *contents = NULL;
  gsize              len = 0;
  g_autoptr (GBytes) book = NULL;

  kios_fake_opds_add_fixture (fake, ROOT, ATOM, "calibre/root.xml");
  kios_fake_opds_add_fixture (fake, BY_TITLE, ATOM, "calibre/acq-by-title.xml");
  kios_fake_opds_add_fixture (fake, "/opds/search/austen?library_id=Calibre_Library", ATOM,
                              "calibre/search-austen.xml");
  kios_fake_opds_add (fake, "/opds/search/zzzqqq?library_id=Calibre_Library", 404, "text/plain; charset=UTF-8",
                      "No books found");
  for (guint n = 1; n <= 6; n++)
    {
      g_autofree char   *target = g_strdup_printf ("/get/thumb/%u/Calibre_Library", n);
      g_autoptr (GBytes) png = make_cover_png (n);

      kios_fake_opds_add_bytes (fake, target, "image/png", png, FALSE);
    }
  g_assert_true (g_file_get_contents (book_path, &contents, &len, NULL));
  book = g_bytes_new_take (g_steal_pointer (&contents), len);
  kios_fake_opds_add_bytes (fake, "/get/epub/6/Calibre_Library", "application/epub+zip", book, TRUE);
  return fake;
}

/* The window's book detail, not the Kobo shelf's (the same widget, inside it). */
static GtkWidget *
find_catalog_detail (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (KIOS_IS_BOOK_DETAIL (child))
        return child;
      if (KIOS_IS_KOBO_SHELF (child))
        continue;
      found = find_catalog_detail (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  KiosWindow         *window;
  KiosLibrarySidebar *sidebar;
  KiosCatalogView    *catalog;
  KiosBookDetail     *detail;
  KiosLibraryStore   *store;
} Ui;

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
  ui->detail = KIOS_BOOK_DETAIL (find_catalog_detail (GTK_WIDGET (ui->window)));
  g_assert_nonnull (ui->sidebar);
  g_assert_nonnull (ui->catalog);
  g_assert_nonnull (ui->detail);
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
}

static gboolean
sidebar_idle (gpointer data)
{
  return !kios_library_sidebar_is_loading (data);
}

static gboolean
catalog_settled (gpointer data)
{
  return !kios_catalog_view_is_busy (data);
}

static gboolean
detail_settled (gpointer data)
{
  const char *state = kios_book_detail_get_state (data);

  return g_strcmp0 (state, "checking") != 0 && g_strcmp0 (state, "downloading") != 0;
}

static gboolean
local_idle (gpointer data)
{
  return !kios_local_books_is_loading (data);
}

static gboolean
detail_has_cover (gpointer data)
{
  return kios_book_detail_has_cover (data);
}

static gboolean
dialog_idle (gpointer data)
{
  return !kios_source_dialog_is_busy (data);
}

static gboolean
all_covers_shown (gpointer data)
{
  KiosCatalogView *catalog = data;

  return kios_catalog_view_get_n_covers_shown (catalog) >= kios_catalog_view_get_feed (catalog)->entries->len;
}

/* Every card in view shows its cover (a card below the fold asks for none). */
static gboolean
covers_in_view_shown (gpointer data)
{
  GtkGridView *grid = GTK_GRID_VIEW (kios_test_find_widget (data, GTK_TYPE_GRID_VIEW, NULL));
  guint        n = g_list_model_get_n_items (G_LIST_MODEL (gtk_grid_view_get_model (grid)));
  guint        in_view = 0;

  for (guint i = 0; i < n; i++)
    {
      KiosBookCard *card = kios_catalog_grid_get_card (grid, i);

      if (card == NULL || !kios_book_card_get_on_screen (card))
        continue;
      if (!kios_book_card_has_cover (card, FALSE))
        return FALSE;
      in_view++;
    }
  return in_view > 0;
}

static gboolean
reading (gpointer data)
{
  return g_strcmp0 (kios_window_get_visible_page (data), "reader") == 0 && kios_reader_view_get_document (kios_window_get_reader_view (data)) != NULL;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
no_source_dialog (gpointer data)
{
  return find_toplevel (KIOS_TYPE_SOURCE_DIALOG) == NULL;
}

static void
wait_catalog (KiosCatalogView *catalog,
              const char      *page)
{
  g_assert_true (kios_test_wait_until (catalog_settled, catalog, WAIT_MS));
  g_assert_cmpstr (kios_catalog_view_get_visible_page (catalog), ==, page);
}

/* Index in the page on screen of the entry with this title. */
static guint
entry_index (KiosCatalogView *catalog,
             const char      *title)
{
  const KiosOpdsFeed *feed = kios_catalog_view_get_feed (catalog);

  for (guint i = 0; i < feed->entries->len; i++)
    if (g_strcmp0 (((KiosOpdsEntry *) feed->entries->pdata[i])->title, title) == 0)
      return i;
  g_assert_not_reached ();
  return 0;
}

typedef struct
{
  KiosCatalogView *catalog;
  const char      *name;
} SourceWait;

static gboolean
catalog_has_source (gpointer data)
{
  SourceWait *wait = data;

  return g_strcmp0 (kios_catalog_view_get_source_name (wait->catalog), wait->name) == 0;
}

static void
add_source_through_dialog (Ui         *ui,
                           const char *name,
                           const char *url,
                           const char *user,
                           const char *password)
{
  GtkWidget        *add = kios_test_find_widget (GTK_WIDGET (ui->sidebar), GTK_TYPE_BUTTON, "add-source");
  KiosSourceDialog *dialog;

  g_assert_nonnull (add);
  g_signal_emit_by_name (add, "clicked");
  dialog = KIOS_SOURCE_DIALOG (find_toplevel (KIOS_TYPE_SOURCE_DIALOG));
  g_assert_nonnull (dialog);
  /* As a person would: the dialog is on screen before it is filled in. */
  kios_test_wait_for_paint (GTK_WIDGET (dialog));
  kios_source_dialog_set_fields (dialog, name, url, user, password);
  kios_source_dialog_save (dialog);
  g_assert_true (kios_test_wait_until (no_source_dialog, NULL, WAIT_MS));
  /* The sidebar selects the new source once it has read the sources again:
   * until then the catalog still shows what it showed before (nothing, or
   * the source added before), and is not busy. */
  g_assert_true (kios_test_wait_until (catalog_has_source, &(SourceWait){ ui->catalog, name }, WAIT_MS));
}

static void
test_browse_and_download (void)
{
  g_autoptr (KiosFakeOpds)     fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autofree char             *url = g_strconcat (kios_fake_opds_get_url (fake), ROOT, NULL);
  g_autofree char             *shot = NULL;
  g_autofree char             *db = NULL;
  g_autofree char             *secret = NULL;
  g_autofree char             *covers_dir = NULL;
  g_autofree char             *path = NULL;
  g_autoptr (GDir)             dir = NULL;
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (GError)           error = NULL;
  KiosSourceDialog            *dialog;
  KiosLocalBooks              *local;
  GtkWidget                   *add;
  gsize                        db_len = 0;
  guint                        n_covers = 0;
  guint                        downloads;
  Ui                           ui = { 0 };

  ui_open (&ui);
  g_assert_true (kios_test_wait_until (sidebar_idle, ui.sidebar, WAIT_MS));
  g_assert_cmpuint (kios_library_sidebar_get_n_sources (ui.sidebar), ==, 0);
  g_assert_cmpstr (kios_library_sidebar_get_selected (ui.sidebar), ==, "recent");

  /* The dialog: a user name without a password is refused, and says why. */
  add = kios_test_find_widget (GTK_WIDGET (ui.sidebar), GTK_TYPE_BUTTON, "add-source");
  g_signal_emit_by_name (add, "clicked");
  dialog = KIOS_SOURCE_DIALOG (find_toplevel (KIOS_TYPE_SOURCE_DIALOG));
  g_assert_nonnull (dialog);
  kios_test_wait_for_paint (GTK_WIDGET (dialog));
  kios_source_dialog_set_fields (dialog, "Calibre", url, USER, "");
  kios_source_dialog_save (dialog);
  g_assert_false (kios_source_dialog_is_busy (dialog));
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "both"));
  kios_source_dialog_set_fields (dialog, "Calibre", "ftp://example.org/opds", NULL, NULL);
  kios_source_dialog_save (dialog);
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "http"));

  /* Test reaches the server with the credentials. */
  kios_source_dialog_set_fields (dialog, "Calibre", url, USER, PASSWORD);
  kios_source_dialog_test (dialog);
  g_assert_true (kios_test_wait_until (dialog_idle, dialog, WAIT_MS));
  g_assert_nonnull (strstr (kios_source_dialog_get_message (dialog), "Connected"));
  shot = kios_test_save_screenshot (GTK_WIDGET (dialog), "catalog-source-dialog");
  g_clear_pointer (&shot, g_free);

  /* Save: the dialog closes, the sidebar shows the source and opens it. */
  kios_source_dialog_save (dialog);
  g_assert_true (kios_test_wait_until (no_source_dialog, NULL, WAIT_MS));
  g_assert_true (kios_test_wait_until (sidebar_idle, ui.sidebar, WAIT_MS));
  g_assert_cmpuint (kios_library_sidebar_get_n_sources (ui.sidebar), ==, 1);
  g_assert_cmpstr (kios_library_sidebar_get_selected (ui.sidebar), ==, "source:Calibre");

  /* The password is in the keyring only, never in the library file. */
  record = kios_library_store_get_source (ui.store, "Calibre", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->kind, ==, "opds");
  g_assert_cmpstr (record->url, ==, url);
  g_assert_cmpstr (record->username, ==, USER);
  secret = kios_secrets_lookup_sync ("Calibre", KIOS_SECRET_KIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, PASSWORD);
  kios_library_store_flush (ui.store, 5000);
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (kios_library_store_get_path (ui.store), &contents, &db_len, NULL));
    for (gsize i = 0; i + strlen (PASSWORD) <= db_len; i++)
      g_assert_false (memcmp (contents + i, PASSWORD, strlen (PASSWORD)) == 0);
  }

  /* The root: navigation entries as a list. */
  wait_catalog (ui.catalog, "entries");
  g_assert_cmpuint (kios_catalog_view_get_feed (ui.catalog)->entries->len, ==, 8);
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-root");
  g_clear_pointer (&shot, g_free);

  /* By Title: books as a grid, with their covers. */
  kios_catalog_view_activate_entry (ui.catalog, entry_index (ui.catalog, "By Title"));
  wait_catalog (ui.catalog, "entries");
  g_assert_cmpuint (kios_catalog_view_get_feed (ui.catalog)->entries->len, ==, 6);
  g_assert_true (kios_test_wait_until (all_covers_shown, ui.catalog, WAIT_MS));
  /* Six covers and no probe: the covers share the client that opened the
   * catalog, which already knows the auth scheme the challenge chose. */
  g_assert_cmpuint (kios_fake_opds_count (fake, "/get/thumb/"), ==, 6);
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-books");
  g_clear_pointer (&shot, g_free);

  /* The covers are cached on disk, by URL hash. */
  covers_dir = kios_paths_cache_subdir ("covers");
  dir = g_dir_open (covers_dir, 0, &error);
  g_assert_no_error (error);
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;)
    n_covers += g_str_has_prefix (name, "opds-") ? 1 : 0;
  g_assert_cmpuint (n_covers, ==, 6);

  /* Back and forth: the page comes from memory, the covers from the cache. */
  g_assert_true (kios_catalog_view_go_back (ui.catalog));
  g_assert_cmpuint (kios_catalog_view_get_feed (ui.catalog)->entries->len, ==, 8);
  kios_catalog_view_activate_entry (ui.catalog, entry_index (ui.catalog, "By Title"));
  wait_catalog (ui.catalog, "entries");
  g_assert_true (kios_test_wait_until (all_covers_shown, ui.catalog, WAIT_MS));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/get/thumb/"), ==, 6);

  /* The detail view, then the download. */
  kios_catalog_view_activate_entry (ui.catalog, entry_index (ui.catalog, "The Holy Bible (King James Version)"));
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, WAIT_MS));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "download");
  g_assert_true (kios_test_wait_until (detail_has_cover, ui.detail, WAIT_MS));
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-detail");
  g_clear_pointer (&shot, g_free);

  kios_book_detail_download (ui.detail);
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "downloading");
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, 60000));
  g_assert_null (kios_book_detail_get_error (ui.detail));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "read");
  path = g_strdup (kios_book_detail_get_path (ui.detail));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  /* The book's card in the catalog says so too; the others do not. */
  {
    GListModel *books = kios_catalog_view_get_books (ui.catalog);

    for (guint i = 0; i < g_list_model_get_n_items (books); i++)
      {
        g_autoptr (KiosCatalogItem) item = g_list_model_get_item (books, i);
        gboolean                    bible = g_str_has_prefix (kios_catalog_item_get_title (item), "The Holy Bible");

        g_assert_cmpint (kios_catalog_item_get_state (item), ==,
                         bible ? KIOS_CARD_STATE_DOWNLOADED : KIOS_CARD_STATE_DOWNLOADABLE);
      }
  }
  g_assert_cmpfloat (kios_book_detail_get_fraction (ui.detail), ==, 1.0);
  {
    /* Registered with the cover the catalog showed (from the cache). */
    g_autoptr (KiosBookRecord) book = kios_library_store_get_book_by_path (ui.store, path, &error);

    g_assert_no_error (error);
    g_assert_nonnull (book->cover_path);
    g_assert_true (g_str_has_prefix (book->cover_path, covers_dir));
  }
  downloads = kios_fake_opds_count (fake, "/get/epub/6/");
  /* Streamed: one request (and at most an auth challenge's probe). */
  g_assert_cmpuint (downloads, >=, 1);
  g_assert_cmpuint (downloads, <=, 2);
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-detail-downloaded");
  g_clear_pointer (&shot, g_free);

  /* Read opens it in the reader. */
  kios_book_detail_read (ui.detail);
  g_assert_true (kios_test_wait_until (reading, ui.window, WAIT_MS));

  /* Back in the library, the same book shows Read at once: no second download. */
  kios_window_show_library (ui.window);
  g_assert_cmpstr (kios_window_get_visible_page (ui.window), ==, "library");
  kios_catalog_view_activate_entry (ui.catalog, entry_index (ui.catalog, "The Holy Bible (King James Version)"));
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, WAIT_MS));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "read");
  g_assert_cmpstr (kios_book_detail_get_path (ui.detail), ==, path);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/get/epub/6/"), ==, downloads);

  /* Back to the catalog (as Alt+Left does), then search, and a search
   * without results (calibre's 404) shows "No books found", not an error. */
  g_signal_emit_by_name (ui.detail, "back");
  g_assert_true (gtk_widget_get_child_visible (GTK_WIDGET (ui.catalog)));
  kios_catalog_view_search (ui.catalog, "austen");
  wait_catalog (ui.catalog, "entries");
  g_assert_cmpuint (kios_catalog_view_get_feed (ui.catalog)->entries->len, ==, 5);
  kios_catalog_view_search (ui.catalog, "zzzqqq");
  wait_catalog (ui.catalog, "empty");
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-empty-search");
  g_clear_pointer (&shot, g_free);

  /* The sidebar: the source, and the book now on this computer. */
  g_assert_true (kios_library_sidebar_select (ui.sidebar, "local"));
  local = KIOS_LOCAL_BOOKS (kios_test_find_widget (GTK_WIDGET (ui.window), KIOS_TYPE_LOCAL_BOOKS, NULL));
  g_assert_true (kios_test_wait_until (local_idle, local, WAIT_MS));
  g_assert_cmpuint (kios_local_books_get_n_books (local), ==, 1);
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-sidebar-local");
  g_clear_pointer (&shot, g_free);
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "none");

  ui_close (&ui);
}

/* A slow server of its own for the download tests: one feed, one book sent
 * in ranged pieces with a pause before each, so progress and Cancel can be seen. */
#define SLOW_FEED                                                                                      \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                                                         \
  "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://purl.org/dc/terms/\">"                \
  "<id>slow</id><title>Slow Shelf</title><updated>2026-11-27T00:00:00Z</updated>"                      \
  "<entry><title>The Holy Bible (King James Version)</title><id>urn:slow:bible</id>"                   \
  "<updated>2026-11-27T00:00:00Z</updated><author><name>Anonymous</name></author>"                     \
  "<dc:language>en</dc:language>"                                                                      \
  "<summary>The Old and New Testaments in the translation of 1611.</summary>"                          \
  "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" href=\"/book.epub\"/>" \
  "</entry></feed>"

/* Where slow_handler sends the book, when set (test_cancel_download). */
static const char *drip_url;

static void
slow_handler (KiosFakeServer        *server,
              const KiosFakeRequest *request,
              KiosFakeResponse      *response,
              gpointer               user_data)
{
  GBytes     *book = user_data;
  gsize       size = g_bytes_get_size (book);
  const char *range = kios_fake_request_get_header (request, "Range");
  guint64     first = 0;
  guint64     last = size - 1;

  if (g_strcmp0 (request->path, "/feed") == 0)
    {
      kios_fake_response_set_text (response, 200, "application/atom+xml", SLOW_FEED);
      return;
    }
  if (g_strcmp0 (request->path, "/book.epub") != 0)
    {
      kios_fake_response_set_text (response, 404, "text/plain", "not here");
      return;
    }
  if (drip_url != NULL)
    {
      /* The book drips from a streaming server (progress moves). */
      g_autofree char *location = g_strconcat (drip_url, "/book.epub", NULL);

      kios_fake_response_set_text (response, 302, "text/plain", "moved");
      kios_fake_response_add_header (response, "Location", location);
      return;
    }

  if (range != NULL && g_str_has_prefix (range, "bytes="))
    {
      char *end = NULL;

      first = g_ascii_strtoull (range + 6, &end, 10);
      if (end != NULL && *end == '-' && end[1] != '\0')
        last = MIN (g_ascii_strtoull (end + 1, NULL, 10), size - 1);
    }
  g_assert_cmpuint (first, <=, last);
  response->status = range != NULL ? 206 : 200;
  response->body = g_bytes_new_from_bytes (book, first, last - first + 1);
  response->delay_ms = 150;
  kios_fake_response_add_header (response, "Content-Type", "application/epub+zip");
  if (range != NULL)
    {
      g_autofree char *content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GSIZE_FORMAT,
                                                        first, last, size);

      kios_fake_response_add_header (response, "Content-Range", content_range);
    }
}

static gboolean
download_started (gpointer data)
{
  return kios_book_detail_get_fraction (data) > 0.0;
}

static void
test_cancel_download (void)
{
  g_autofree char           *book_path = kios_test_sample_book ("kjv-bible.epub");
  g_autofree char           *contents = NULL;
  gsize                      len = 0;
  g_autoptr (GBytes)         book = NULL;
  g_autoptr (KiosFakeServer) server = NULL;
  g_autoptr (KiosFakeDrip)   drip = NULL;
  g_autofree char           *url = NULL;
  g_autofree char           *books_dir = NULL;
  g_autofree char           *shot = NULL;
  g_autoptr (GDir)           dir = NULL;
  double                     fraction;
  Ui                         ui = { 0 };

  g_assert_true (g_file_get_contents (book_path, &contents, &len, NULL));
  book = g_bytes_new_take (g_steal_pointer (&contents), len);
  server = kios_fake_server_new (slow_handler, book);
  url = g_strconcat (kios_fake_server_get_url (server), "/feed", NULL);
  /* 4 MB in 64 KiB pieces every 20 ms: about 1.3 s on the wire. */
  drip = kios_fake_drip_new ("application/epub+zip", book, 64 * 1024, 20);
  drip_url = kios_fake_drip_get_url (drip);

  ui_open (&ui);
  add_source_through_dialog (&ui, "Slow", url, NULL, NULL);
  wait_catalog (ui.catalog, "entries");
  kios_catalog_view_activate_entry (ui.catalog, 0);
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, WAIT_MS));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "download");

  /* The progress moves while the book arrives; Cancel stops it: no book, no partial file. */
  kios_book_detail_download (ui.detail);
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "downloading");
  g_assert_true (kios_test_wait_until (download_started, ui.detail, WAIT_MS));
  fraction = kios_book_detail_get_fraction (ui.detail);
  g_assert_cmpfloat (fraction, >, 0.0);
  g_assert_cmpfloat (fraction, <, 1.0);
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-detail-downloading");
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "downloading");
  kios_book_detail_cancel (ui.detail);
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "download");
  g_assert_null (kios_book_detail_get_path (ui.detail));
  /* Let the worker notice at its next piece and clean up. */
  for (int i = 0; i < 100; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  books_dir = kios_paths_books_dir ();
  dir = g_dir_open (books_dir, 0, NULL);
  if (dir != NULL)
    for (const char *name; (name = g_dir_read_name (dir)) != NULL;)
      g_assert_false (g_str_has_suffix (name, ".epub"));

  /* And it can start again and finish. */
  kios_book_detail_download (ui.detail);
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, 60000));
  g_assert_null (kios_book_detail_get_error (ui.detail));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "read");
  g_assert_true (g_file_test (kios_book_detail_get_path (ui.detail), G_FILE_TEST_IS_REGULAR));

  ui_close (&ui);
  drip_url = NULL;
}

static gboolean
credentials_dialog_shown (gpointer data)
{
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
catalog_shows_entries (gpointer data)
{
  return g_strcmp0 (kios_catalog_view_get_visible_page (data), "entries") == 0;
}

static void
count_changed (guint *n)
{
  (*n)++;
}

static void
test_errors_and_credentials (void)
{
  g_autoptr (KiosSourceManager) manager = NULL;
  guint                         n_changed = 0;
  g_autoptr (KiosFakeOpds)      fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autoptr (KiosFakeOpds)      open_fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_NONE);
  g_autofree char              *missing = g_strconcat (kios_fake_opds_get_url (open_fake), "/nowhere", NULL);
  g_autofree char              *url = g_strconcat (kios_fake_opds_get_url (fake), ROOT, NULL);
  g_autofree char              *shot = NULL;
  AdwMessageDialog             *dialog;
  GtkWidget                    *user_row;
  GtkWidget                    *password_row;
  Ui                            ui = { 0 };

  ui_open (&ui);

  /* A catalog that is not there: an error page with the reason and Retry. */
  add_source_through_dialog (&ui, "Broken", missing, NULL, NULL);
  wait_catalog (ui.catalog, "error");
  g_assert_nonnull (strstr (kios_catalog_view_get_error_message (ui.catalog), "404"));
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-error");
  g_clear_pointer (&shot, g_free);
  kios_catalog_view_retry (ui.catalog);
  wait_catalog (ui.catalog, "error");

  /* A catalog that wants a password: asked once, with the realm. */
  add_source_through_dialog (&ui, "Locked", url, NULL, NULL);
  g_assert_true (kios_test_wait_until (credentials_dialog_shown, NULL, WAIT_MS));
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "kios-fake"));
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "error");
  user_row = kios_test_find_widget (adw_message_dialog_get_extra_child (dialog), ADW_TYPE_ENTRY_ROW, NULL);
  password_row = kios_test_find_widget (adw_message_dialog_get_extra_child (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL);
  g_assert_nonnull (user_row);
  g_assert_nonnull (password_row);
  gtk_editable_set_text (GTK_EDITABLE (user_row), USER);
  gtk_editable_set_text (GTK_EDITABLE (password_row), PASSWORD);
  /* The sign-in is saved through the application's source manager. */
  manager = kios_source_manager_new (ui.store);
  g_signal_connect_swapped (manager, "changed", G_CALLBACK (count_changed), &n_changed);
  kios_catalog_view_set_source_manager (ui.catalog, manager);
  adw_message_dialog_response (dialog, "sign-in");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (kios_test_wait_until (catalog_settled, ui.catalog, WAIT_MS));
  /* The save runs first; then the root loads. */
  g_assert_true (kios_test_wait_until (catalog_shows_entries, ui.catalog, WAIT_MS));
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "entries");

  {
    g_autoptr (GError) error = NULL;
    g_autofree char   *secret = kios_secrets_lookup_sync ("Locked", KIOS_SECRET_KIND_PASSWORD, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (secret, ==, PASSWORD);
  }
  g_assert_cmpuint (n_changed, >=, 1);
  {
    g_autoptr (KiosSourceRecord) locked = kios_library_store_get_source (ui.store, "Locked", NULL);

    g_assert_cmpstr (locked->auth, ==, "basic");
  }

  ui_close (&ui);
}

static void
test_wrong_password_and_edit (void)
{
  g_autoptr (KiosFakeOpds)     fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_BASIC);
  g_autofree char             *url = g_strconcat (kios_fake_opds_get_url (fake), ROOT, NULL);
  g_autoptr (KiosSourceRecord) record = NULL;
  g_autoptr (KiosSourceRecord) renamed = NULL;
  g_autofree char             *old_secret = NULL;
  g_autofree char             *new_secret = NULL;
  AdwMessageDialog            *dialog;
  KiosSourceDialog            *editor;
  Ui                           ui = { 0 };

  ui_open (&ui);

  /* A wrong password: the server's 401 asks once; a second wrong answer is an error page. */
  add_source_through_dialog (&ui, "Calibre", url, USER, "wrong-pass");
  g_assert_true (kios_test_wait_until (credentials_dialog_shown, NULL, WAIT_MS));
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  gtk_editable_set_text (GTK_EDITABLE (kios_test_find_widget (adw_message_dialog_get_extra_child (dialog),
                                                              ADW_TYPE_PASSWORD_ENTRY_ROW, NULL)),
                         "still-wrong");
  adw_message_dialog_response (dialog, "sign-in");
  gtk_window_destroy (GTK_WINDOW (dialog));
  for (int i = 0; i < 400 && (kios_catalog_view_is_busy (ui.catalog) || kios_catalog_view_get_error_message (ui.catalog) == NULL || strstr (kios_catalog_view_get_error_message (ui.catalog), "realm") == NULL || g_strcmp0 (kios_catalog_view_get_visible_page (ui.catalog), "error") != 0);
       i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "error");
  g_assert_null (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (strstr (kios_catalog_view_get_error_message (ui.catalog), "kios-fake"));

  /* Edit: the dialog loads the secrets; a rename moves them and leaves none behind. */
  record = kios_library_store_get_source (ui.store, "Calibre", NULL);
  g_assert_nonnull (record);
  editor = kios_source_dialog_new (GTK_WINDOW (ui.window), ui.store, record);
  gtk_window_present (GTK_WINDOW (editor));
  g_assert_true (kios_test_wait_until (dialog_idle, editor, WAIT_MS));
  kios_test_wait_for_paint (GTK_WIDGET (editor));
  kios_source_dialog_set_fields (editor, "Home Calibre", url, USER, PASSWORD);
  kios_source_dialog_save (editor);
  g_assert_true (kios_test_wait_until (no_source_dialog, NULL, WAIT_MS));
  renamed = kios_library_store_get_source (ui.store, "Home Calibre", NULL);
  g_assert_nonnull (renamed);
  g_assert_cmpint (renamed->id, ==, record->id);
  g_assert_null (kios_library_store_get_source (ui.store, "Calibre", NULL));
  old_secret = kios_secrets_lookup_sync ("Calibre", KIOS_SECRET_KIND_PASSWORD, NULL, NULL);
  g_assert_null (old_secret);
  new_secret = kios_secrets_lookup_sync ("Home Calibre", KIOS_SECRET_KIND_PASSWORD, NULL, NULL);
  g_assert_cmpstr (new_secret, ==, PASSWORD);

  /* The sidebar follows (it reloads when the window is active again) and the catalog opens. */
  kios_library_sidebar_reload (ui.sidebar);
  g_assert_true (kios_test_wait_until (sidebar_idle, ui.sidebar, WAIT_MS));
  g_assert_true (kios_library_sidebar_select (ui.sidebar, "source:Home Calibre"));
  wait_catalog (ui.catalog, "entries");

  ui_close (&ui);
}

static gboolean
sync_page_idle (gpointer data)
{
  return !kios_library_sync_page_is_loading (data);
}

static void
test_paging_and_settings (void)
{
  KiosFakeOpds        *fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autofree char     *url = g_strconcat (kios_fake_opds_get_url (fake), BY_TITLE, NULL);
  g_autofree char     *shot = NULL;
  KiosLibrarySyncPage *page;
  GtkWidget           *prefs;
  Ui                   ui = { 0 };

  kios_fake_opds_add_fixture (fake, BY_TITLE, ATOM, "calibre/paged-by-title.xml");
  kios_fake_opds_add_fixture (fake, BY_TITLE "&offset=2", ATOM, "calibre/paged-by-title-offset2.xml");
  kios_fake_opds_add_fixture (fake, BY_TITLE "&offset=4", ATOM, "calibre-paged-last.xml");

  ui_open (&ui);
  add_source_through_dialog (&ui, "Paged", url, NULL, NULL);
  wait_catalog (ui.catalog, "entries");

  /* Pages of two: the next ones load as the end comes into view (here at once). */
  for (int i = 0; i < 400 && kios_catalog_view_get_feed (ui.catalog)->next_href != NULL; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  g_assert_null (kios_catalog_view_get_feed (ui.catalog)->next_href);
  g_assert_cmpuint (kios_catalog_view_get_feed (ui.catalog)->entries->len, >, 4);
  g_assert_cmpuint (kios_fake_opds_count (fake, BY_TITLE "&offset=2"), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count (fake, BY_TITLE "&offset=4"), ==, 1);

  /* A key in the URL (Kavita): the whole URL goes to the keyring, the library keeps none. */
  {
    g_autofree char             *kavita = g_strconcat (kios_fake_opds_get_url (fake), KAVITA, NULL);
    g_autoptr (KiosSourceRecord) record = NULL;
    g_autofree char             *secret_url = NULL;

    kios_fake_opds_add_fixture (fake, KAVITA, ATOM, "calibre/root.xml");
    add_source_through_dialog (&ui, "Kavita", kavita, NULL, NULL);
    wait_catalog (ui.catalog, "entries");
    g_assert_cmpstr (kios_catalog_view_get_source_name (ui.catalog), ==, "Kavita");
    record = kios_library_store_get_source (ui.store, "Kavita", NULL);
    g_assert_nonnull (record);
    g_assert_null (record->url);
    secret_url = kios_secrets_lookup_sync ("Kavita", KIOS_SECRET_KIND_URL, NULL, NULL);
    g_assert_cmpstr (secret_url, ==, kavita);
  }

  /* Settings → Library sync lists them. */
  {
    /* The application's manager in the app; one over the library here. */
    g_autoptr (KiosSourceManager) manager = kios_source_manager_new (ui.store);

    prefs = GTK_WIDGET (kios_preferences_window_new_with_manager (GTK_WINDOW (ui.window), manager));
  }
  page = KIOS_LIBRARY_SYNC_PAGE (kios_test_find_widget (prefs, KIOS_TYPE_LIBRARY_SYNC_PAGE, NULL));
  g_assert_nonnull (page);
  g_assert_true (kios_test_wait_until (sync_page_idle, page, WAIT_MS));
  g_assert_cmpuint (kios_library_sync_page_get_n_sources (page), ==, 2);
  gtk_window_present (GTK_WINDOW (prefs));
  kios_test_wait_for_paint (prefs);
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (prefs), ADW_PREFERENCES_PAGE (page));
  kios_test_wait_for_paint (prefs);
  shot = kios_test_save_screenshot (prefs, "catalog-library-sync-page");

  /* Remove asks first, then drops the source and its secrets. */
  {
    GtkWidget        *remove = kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_BUTTON, "remove-Kavita");
    AdwMessageDialog *confirm;
    g_autofree char  *secret_url = NULL;

    g_assert_nonnull (remove);
    g_signal_emit_by_name (remove, "clicked");
    confirm = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
    g_assert_nonnull (confirm);
    adw_message_dialog_response (confirm, "remove");
    gtk_window_destroy (GTK_WINDOW (confirm));
    for (int i = 0; i < 400 && kios_library_sync_page_get_n_sources (page) != 1; i++)
      {
        while (g_main_context_iteration (NULL, FALSE))
          ;
        g_usleep (10000);
      }
    g_assert_cmpuint (kios_library_sync_page_get_n_sources (page), ==, 1);
    secret_url = kios_secrets_lookup_sync ("Kavita", KIOS_SECRET_KIND_URL, NULL, NULL);
    g_assert_null (secret_url);
  }
  gtk_window_destroy (GTK_WINDOW (prefs));

  ui_close (&ui);
  kios_fake_opds_free (fake);
}

static void
test_narrow (void)
{
  g_autoptr (KiosFakeOpds) fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_NONE);
  g_autofree char         *url = g_strconcat (kios_fake_opds_get_url (fake), BY_TITLE, NULL);
  g_autofree char         *shot = NULL;
  AdwFlap                 *flap;
  Ui                       ui = { 0 };

  ui_open (&ui);
  add_source_through_dialog (&ui, "Calibre", url, NULL, NULL);
  wait_catalog (ui.catalog, "entries");
  gtk_window_set_default_size (GTK_WINDOW (ui.window), 400, 700);
  flap = ADW_FLAP (kios_test_find_widget (GTK_WIDGET (ui.window), ADW_TYPE_FLAP, NULL));
  g_assert_nonnull (flap);
  for (int i = 0; i < 200 && !adw_flap_get_folded (flap); i++)
    kios_test_wait_for_paint (GTK_WIDGET (ui.window));
  g_assert_true (adw_flap_get_folded (flap));
  /* Folded, the sidebar steps aside for the catalog; the header button brings it back. */
  adw_flap_set_reveal_flap (flap, FALSE);
  /* The window's height settles with the fold: the last row may end below it. */
  g_assert_true (kios_test_wait_until (covers_in_view_shown, ui.catalog, WAIT_MS));
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-narrow");
  g_clear_pointer (&shot, g_free);
  adw_flap_set_reveal_flap (flap, TRUE);
  shot = kios_test_save_screenshot (GTK_WIDGET (ui.window), "catalog-narrow-sidebar");
  g_assert_true (kios_library_sidebar_select (ui.sidebar, "recent"));
  g_assert_false (adw_flap_get_reveal_flap (flap));

  ui_close (&ui);
}

static gboolean
error_has_hint (gpointer data)
{
  const char *text = kios_catalog_view_get_error_text (data);

  return text != NULL && strstr (text, "/opds") != NULL;
}

static GtkWidget *
find_button_with_label (GtkWidget  *root,
                        const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
        return child;
      found = find_button_with_label (child, label);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A source straight into the store and the catalog view (no dialog: the
 * dialog's own checks are not what these cases are about). */
static KiosSourceRecord *
open_source_directly (Ui         *ui,
                      const char *name,
                      const char *url)
{
  g_autoptr (GError) error = NULL;
  KiosSourceRecord  *record = g_new0 (KiosSourceRecord, 1);

  record->name = g_strdup (name);
  record->kind = g_strdup ("opds");
  record->auth = g_strdup ("none");
  g_assert_true (kios_sync_source_save_secrets (record, url, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (ui->store, record, &error));
  g_assert_no_error (error);
  kios_catalog_view_set_source (ui->catalog, record);
  return record;
}

/* A site whose root is a web page and whose catalog is at /opds: the
 * error says so once, in the table's words, and offers …/opds. */
static void
test_not_a_catalog_hint (void)
{
  g_autoptr (KiosFakeOpds)     fake = calibre_fake (KIOS_FAKE_OPDS_AUTH_NONE);
  g_autofree char             *url = g_strconcat (kios_fake_opds_get_url (fake), "/", NULL);
  g_autoptr (KiosSourceRecord) record = NULL;
  const char                  *text;
  Ui                           ui = { 0 };

  kios_fake_opds_add (fake, "/", 200, "text/html; charset=utf-8",
                      "<!DOCTYPE html><html><head><title>Calibre-Web</title></head><body>Sign in</body></html>");
  ui_open (&ui);
  record = open_source_directly (&ui, "Site", url);
  wait_catalog (ui.catalog, "error");
  g_assert_true (kios_test_wait_until (error_has_hint, ui.catalog, WAIT_MS));
  text = kios_catalog_view_get_error_text (ui.catalog);
  g_test_message ("error page: %s", text);
  g_assert_nonnull (strstr (text, "/opds"));
  g_assert_null (strstr (text, "a login page answered instead of the catalog"));
  g_assert_nonnull (strstr (text, "web page"));
  g_assert_null (strstr (strstr (text, "web page") + 1, "web page"));
  ui_close (&ui);
}

/* A server that accepts the connection and never answers: Cancel. */
static void
test_cancel_loading (void)
{
  guint16                      port = 0;
  g_autoptr (GSocketListener)  hole = kios_fake_black_hole_new (&port);
  g_autofree char             *url = g_strdup_printf ("http://127.0.0.1:%u/opds", port);
  g_autoptr (KiosSourceRecord) record = NULL;
  Ui                           ui = { 0 };

  ui_open (&ui);
  record = open_source_directly (&ui, "Hangs", url);
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "loading");
  g_assert_true (kios_catalog_view_is_busy (ui.catalog));
  /* The loading page offers Cancel. */
  g_assert_nonnull (find_button_with_label (GTK_WIDGET (ui.catalog), "_Cancel"));
  /* A moment later, as a person would: the request is on the wire by then
   * (a cancel inside libsecret's file backend trips a GLib warning there). */
  for (int i = 0; i < 100; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  kios_catalog_view_cancel (ui.catalog);
  g_assert_false (kios_catalog_view_is_busy (ui.catalog));
  g_assert_cmpstr (kios_catalog_view_get_visible_page (ui.catalog), ==, "error");
  g_assert_nonnull (strstr (kios_catalog_view_get_error_text (ui.catalog), "Stopped"));
  /* Closing the window with work cancelled touches nothing afterwards. */
  ui_close (&ui);
}

/* One book as EPUB and as PDF: Download offers the choice, and the format
 * chosen is the source's default from then on. */
#define TWO_FORMATS_FEED                                                                                         \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                                                                   \
  "<feed xmlns=\"http://www.w3.org/2005/Atom\">"                                                                 \
  "<id>two</id><title>Two Formats</title><updated>2026-12-01T00:00:00Z</updated>"                                \
  "<entry><title>Persuasion</title><id>urn:two:persuasion</id>"                                                  \
  "<updated>2026-12-01T00:00:00Z</updated><author><name>Jane Austen</name></author>"                             \
  "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" href=\"/get/persuasion.epub\"/>" \
  "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/pdf\" href=\"/get/persuasion.pdf\"/>"       \
  "</entry></feed>"

static GBytes *
sample_bytes (const char *name)
{
  g_autofree char *path = kios_test_sample_book (name);
  g_autofree char *contents = NULL;
  gsize            len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

static void
test_download_format (void)
{
  g_autoptr (KiosFakeOpds)     fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (GBytes)           epub = sample_bytes ("persuasion.epub");
  g_autoptr (GBytes)           pdf = sample_bytes ("persuasion.pdf");
  g_autoptr (KiosSourceRecord) source = NULL;
  g_autofree char             *url = NULL;
  g_autofree char             *first = NULL;
  Ui                           ui = { 0 };

  kios_fake_opds_add (fake, "/feed", 200, ATOM, TWO_FORMATS_FEED);
  kios_fake_opds_add_bytes (fake, "/get/persuasion.epub", "application/epub+zip", epub, FALSE);
  kios_fake_opds_add_bytes (fake, "/get/persuasion.pdf", "application/pdf", pdf, FALSE);
  url = g_strconcat (kios_fake_opds_get_url (fake), "/feed", NULL);

  ui_open (&ui);
  add_source_through_dialog (&ui, "Two", url, NULL, NULL);
  wait_catalog (ui.catalog, "entries");
  kios_catalog_view_activate_entry (ui.catalog, 0);
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, WAIT_MS));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "download");
  g_assert_true (kios_book_detail_offers_formats (ui.detail));
  g_assert_null (kios_book_detail_get_format (ui.detail));

  /* The menu's PDF: the PDF comes, and the source remembers the choice. */
  gtk_widget_activate_action (GTK_WIDGET (ui.detail), "detail.download-format", "s", "pdf");
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, 60000));
  g_assert_null (kios_book_detail_get_error (ui.detail));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "read");
  g_assert_true (g_str_has_suffix (kios_book_detail_get_path (ui.detail), ".pdf"));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/get/persuasion.pdf"), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/get/persuasion.epub"), ==, 0);
  first = g_strdup (kios_book_detail_get_path (ui.detail));
  g_assert_true (kios_library_store_flush (ui.store, 5000));
  source = kios_library_store_get_source (ui.store, "Two", NULL);
  g_assert_nonnull (source);
  g_assert_nonnull (strstr (source->settings_json, "\"download-format\":\"pdf\""));

  /* The PDF gone, the book shows again with PDF as Download's default. */
  g_assert_cmpint (g_unlink (first), ==, 0);
  kios_book_detail_clear (ui.detail);
  kios_catalog_view_activate_entry (ui.catalog, 0);
  g_assert_true (kios_test_wait_until (detail_settled, ui.detail, WAIT_MS));
  g_assert_cmpstr (kios_book_detail_get_state (ui.detail), ==, "download");
  g_assert_cmpstr (kios_book_detail_get_format (ui.detail), ==, "pdf");

  ui_close (&ui);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;
  int              ret;

  kios_ui_test_init (&argc, &argv);

  /* The file backend of libsecret: a real keyring file, no D-Bus. */
  keyring_dir = g_dir_make_tmp ("kios-test-catalog-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-catalog", TRUE);

  g_test_add_func ("/kios/catalog/browse-and-download", test_browse_and_download);
  g_test_add_func ("/kios/catalog/cancel-download", test_cancel_download);
  g_test_add_func ("/kios/catalog/download-format", test_download_format);
  g_test_add_func ("/kios/catalog/not-a-catalog-hint", test_not_a_catalog_hint);
  g_test_add_func ("/kios/catalog/cancel-loading", test_cancel_loading);
  g_test_add_func ("/kios/catalog/errors-and-credentials", test_errors_and_credentials);
  g_test_add_func ("/kios/catalog/paging-and-settings", test_paging_and_settings);
  g_test_add_func ("/kios/catalog/narrow", test_narrow);
  g_test_add_func ("/kios/catalog/wrong-password-and-edit", test_wrong_password_and_edit);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (keyring_dir);
  return ret;
}
