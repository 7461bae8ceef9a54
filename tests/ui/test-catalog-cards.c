/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-catalog-cards"

#include "config.h"

#include "kios-book-card.h"
#include "kios-catalog-grid.h"
#include "kios-catalog-item.h"
#include "kios-catalog-view.h"
#include "kios-cover.h"
#include "kios-fake-opds.h"
#include "kios-sync-source.h"
#include "kios-ui-test-utils.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define FEED "/opds/long"
#define ATOM "application/atom+xml;type=feed;profile=opds-catalog"
#define WAIT_MS 20000
#define N_BOOKS 400

/* A JPEG of one colour, as a server sends a cover. */
static GBytes *
make_picture (int width,
              int height)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autofree char      *buffer = NULL;
  gsize                 size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366aaff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "jpeg", NULL, NULL));
  return g_bytes_new_take (g_steal_pointer (&buffer), size);
}

/* One feed of n books, each with a thumbnail and a full cover. */
static KiosFakeOpds *
serve_books (guint n)
{
  KiosFakeOpds       *fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  g_autoptr (GString) xml = g_string_new ("<?xml version='1.0' encoding='utf-8'?>"
                                          "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Long</title>"
                                          "<id>long</id><updated>2026-12-06T12:00:00Z</updated>");
  g_autoptr (GBytes)  cover = make_picture (400, 600);
  g_autoptr (GBytes)  thumb = make_picture (60, 90);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *cover_target = g_strdup_printf ("/cover/%u.jpg", i);
      g_autofree char *thumb_target = g_strdup_printf ("/thumb/%u.jpg", i);

      g_string_append_printf (xml,
                              "<entry><title>Book %u</title><id>urn:book:%u</id>"
                              "<updated>2026-12-06T12:00:00Z</updated><author><name>Author</name></author>"
                              "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" "
                              "href=\"/book/%u.epub\"/>"
                              "<link rel=\"http://opds-spec.org/image\" type=\"image/jpeg\" href=\"%s\"/>"
                              "<link rel=\"http://opds-spec.org/image/thumbnail\" type=\"image/jpeg\" href=\"%s\"/>"
                              "</entry>",
                              i, i, i, cover_target, thumb_target);
      kios_fake_opds_add_bytes (fake, cover_target, "image/jpeg", cover, FALSE);
      kios_fake_opds_add_bytes (fake, thumb_target, "image/jpeg", thumb, FALSE);
    }
  g_string_append (xml, "</feed>");
  kios_fake_opds_add (fake, FEED, 200, ATOM, xml->str);
  return fake;
}

static gboolean
entries_shown (gpointer data)
{
  return g_strcmp0 (kios_catalog_view_get_visible_page (data), "entries") == 0;
}

static GtkGridView *
grid_of (KiosCatalogView *view)
{
  return GTK_GRID_VIEW (gtk_scrolled_window_get_child (kios_catalog_view_get_books_scrolled (view)));
}

/* Every card on screen shows its full cover. */
static gboolean
cards_have_full_covers (gpointer data)
{
  KiosCatalogView *view = data;
  guint            shown = kios_catalog_grid_count_on_screen (grid_of (view));

  return shown > 0 && kios_catalog_view_get_n_full_covers_shown (view) >= shown;
}

static void
book_activated_cb (KiosCatalogView     *view,
                   const KiosOpdsEntry *entry,
                   GdkTexture          *cover,
                   char               **title)
{
  g_free (*title);
  *title = g_strdup (entry->title);
}

static KiosCatalogView *
open_catalog (KiosLibraryStore *store,
              KiosFakeOpds     *fake,
              GtkWidget       **window)
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autofree char             *url = g_strconcat (kios_fake_opds_get_url (fake), FEED, NULL);
  KiosCatalogView             *view = kios_catalog_view_new ();

  record->name = g_strdup ("Long");
  record->kind = g_strdup ("opds");
  record->auth = g_strdup ("none");
  g_assert_true (kios_sync_source_save_secrets (record, url, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);

  *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (*window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (*window), GTK_WIDGET (view));
  kios_catalog_view_set_store (view, store);
  gtk_window_present (GTK_WINDOW (*window));
  kios_catalog_view_set_source (view, record);
  g_assert_true (kios_test_wait_until (entries_shown, view, WAIT_MS));
  return view;
}

/* A long feed: only the cards near the view exist, and of them only the ones
 * on screen ask for covers (the thumbnail, then the full cover): a card bound
 * off screen never does; scrolling brings others on screen, which ask then. */
static void
test_lazy_covers (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosFakeOpds                *fake = serve_books (N_BOOKS);
  GtkWidget                   *window = NULL;
  KiosCatalogView             *view = open_catalog (store, fake, &window);
  GtkAdjustment               *adjustment;
  guint                        cards;
  guint                        on_screen;
  guint                        thumbs;

  g_assert_cmpuint (g_list_model_get_n_items (kios_catalog_view_get_books (view)), ==, N_BOOKS);
  kios_test_wait_for_paint (window);
  g_assert_true (kios_test_wait_until (cards_have_full_covers, view, WAIT_MS));
  cards = kios_catalog_view_get_n_cards (view);
  on_screen = kios_catalog_grid_count_on_screen (grid_of (view));
  g_assert_cmpuint (cards, <, N_BOOKS);
  g_assert_cmpuint (on_screen, >, 0);
  g_assert_cmpuint (on_screen, <, cards);
  /* A thumbnail and a full cover for each card on screen, none for the rest
   * (bound below the view, or not made at all). */
  thumbs = kios_fake_opds_count (fake, "/thumb/");
  g_assert_cmpuint (thumbs, ==, on_screen);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/cover/"), ==, on_screen);
  g_assert_cmpuint (kios_catalog_view_get_n_full_covers_shown (view), ==, on_screen);

  /* The keyboard: Return on a card opens its book, as a click does. */
  {
    GtkWidget *grid = gtk_scrolled_window_get_child (kios_catalog_view_get_books_scrolled (view));
    GtkWidget *first = gtk_widget_get_first_child (grid);
    char      *activated = NULL;
    gulong     id = g_signal_connect (view, "book-activated", G_CALLBACK (book_activated_cb), &activated);

    g_assert_nonnull (first);
    g_assert_true (KIOS_IS_BOOK_CARD (gtk_widget_get_first_child (first)));
    g_assert_true (kios_test_press_key (first, GDK_KEY_Return, 0));
    g_assert_nonnull (activated);
    g_assert_cmpstr (activated, ==, kios_catalog_item_get_title (kios_book_card_get_item (KIOS_BOOK_CARD (gtk_widget_get_first_child (first)))));
    g_free (activated);
    g_signal_handler_disconnect (view, id);
  }

  /* To the end: the last cards are bound, and ask for theirs then. */
  adjustment = gtk_scrolled_window_get_vadjustment (kios_catalog_view_get_books_scrolled (view));
  for (int i = 0; i < 50; i++)
    {
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
      kios_test_wait_for_paint (window);
    }
  g_assert_true (kios_test_wait_until (cards_have_full_covers, view, WAIT_MS));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/"), >, thumbs);
  g_assert_cmpuint (kios_catalog_view_get_n_cards (view), <, N_BOOKS);
  {
    g_autofree char *target = g_strdup_printf ("/cover/%u.jpg", N_BOOKS - 1);

    g_assert_cmpuint (kios_fake_opds_count (fake, target), ==, 1);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

static gboolean
card_has_full_cover (gpointer data)
{
  return kios_book_card_has_cover (data, TRUE);
}

static gboolean
spun (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* One card bound and unbound by hand: the thumbnail shows first, then the
 * full cover; the next bind finds the full cover in the disk cache; a card
 * unbound at once asks the server for nothing. */
static void
test_card_cover_steps (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosFakeOpds                *fake = serve_books (3);
  GtkWidget                   *window = NULL;
  KiosCatalogView             *view = open_catalog (store, fake, &window);
  g_autoptr (KiosOpdsClient)   client = kios_catalog_view_new_client (view);
  g_autofree char             *base = g_strdup (kios_fake_opds_get_url (fake));
  g_autofree char             *thumb = g_strconcat (base, "/thumb/9.jpg", NULL);
  g_autofree char             *cover = g_strconcat (base, "/cover/9.jpg", NULL);
  g_autoptr (GBytes)           picture = make_picture (400, 600);
  g_autoptr (KiosCatalogItem)  item = NULL;
  g_autoptr (KiosCatalogItem)  other = NULL;
  KiosBookCard                *card = KIOS_BOOK_CARD (kios_book_card_new ());
  GtkWidget                   *second = gtk_window_new ();
  gint64                       until;

  g_assert_nonnull (client);
  kios_fake_opds_add_bytes (fake, "/thumb/9.jpg", "image/jpeg", picture, FALSE);
  kios_fake_opds_add_bytes (fake, "/cover/9.jpg", "image/jpeg", picture, FALSE);
  kios_fake_opds_add_bytes (fake, "/thumb/10.jpg", "image/jpeg", picture, FALSE);
  gtk_window_set_child (GTK_WINDOW (second), GTK_WIDGET (card));
  gtk_window_present (GTK_WINDOW (second));

  /* Unbound at once: the load stops before any request. */
  other = kios_catalog_item_new (1, "Elsewhere", NULL, NULL);
  {
    g_autofree char *other_thumb = g_strconcat (base, "/thumb/10.jpg", NULL);

    kios_catalog_item_set_remote_cover (other, client, other_thumb, NULL);
  }
  kios_book_card_set_item (card, other);
  kios_book_card_set_item (card, NULL);
  until = g_get_monotonic_time () + 500 * 1000;
  kios_test_wait_until (spun, &until, 2000);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/10.jpg"), ==, 0);
  g_assert_false (kios_book_card_has_cover (card, FALSE));
  g_assert_null (kios_book_card_get_item (card));

  /* The thumbnail, then the full cover. */
  item = kios_catalog_item_new (0, "Nine", "Someone", "A Series · 2");
  kios_catalog_item_set_remote_cover (item, client, thumb, cover);
  g_assert_true (kios_catalog_item_has_thumbnail (item));
  kios_book_card_set_item (card, item);
  g_assert_true (kios_test_wait_until (card_has_full_cover, card, WAIT_MS));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/9.jpg"), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/cover/9.jpg"), ==, 1);

  /* Bound again (scrolled away and back): from the cache, no request. */
  kios_book_card_set_item (card, NULL);
  kios_book_card_set_item (card, item);
  g_assert_false (kios_book_card_has_cover (card, FALSE));
  g_assert_true (kios_test_wait_until (card_has_full_cover, card, WAIT_MS));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/9.jpg"), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/cover/9.jpg"), ==, 1);

  gtk_window_destroy (GTK_WINDOW (second));
  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

/* The card follows its item's typed state: badge, progress bar, style. */
static void
test_card_states (void)
{
  g_autoptr (KiosCatalogItem) item = kios_catalog_item_new (0, "Emma", "Jane Austen", NULL);
  KiosBookCard               *card = KIOS_BOOK_CARD (g_object_ref_sink (kios_book_card_new ()));
  GtkWidget                  *bar = kios_test_find_widget (GTK_WIDGET (card), GTK_TYPE_PROGRESS_BAR, NULL);
  static const struct
  {
    KiosCardState state;
    double        progress;
    const char   *badge;
    const char   *style;
    gboolean      bar;
  } steps[] = {
    { KIOS_CARD_STATE_DOWNLOADABLE, 0.0, "", "book-downloadable", FALSE },
    { KIOS_CARD_STATE_DOWNLOADING, -1.0, "Downloading", "book-downloading", TRUE },
    { KIOS_CARD_STATE_DOWNLOADING, 0.42, "42%", "book-downloading", TRUE },
    { KIOS_CARD_STATE_DOWNLOADED, 1.0, "Downloaded", "book-downloaded", FALSE },
    { KIOS_CARD_STATE_ERROR, 0.0, "Download failed", "book-error", FALSE },
    { KIOS_CARD_STATE_MISSING, 0.0, "Missing", "book-missing", FALSE },
  };

  g_assert_nonnull (bar);
  g_assert_cmpint (kios_catalog_item_get_state (item), ==, KIOS_CARD_STATE_DOWNLOADABLE);
  kios_book_card_set_item (card, item);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      kios_catalog_item_set_state (item, steps[i].state, steps[i].progress);
      g_assert_cmpint (kios_book_card_get_card_state (card), ==, steps[i].state);
      g_assert_cmpstr (kios_book_card_get_badge (card), ==, steps[i].badge);
      g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (card), steps[i].style));
      /* One state's style at a time. */
      for (guint j = 0; j < G_N_ELEMENTS (steps); j++)
        if (g_strcmp0 (steps[j].style, steps[i].style) != 0)
          g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (card), steps[j].style));
      g_assert_cmpint (gtk_widget_get_visible (bar), ==, steps[i].bar);
    }
  g_assert_cmpfloat (kios_catalog_item_get_progress (item), ==, 0.0);

  /* Unbound, the card no longer follows the item. */
  kios_book_card_set_item (card, NULL);
  kios_catalog_item_set_state (item, KIOS_CARD_STATE_DOWNLOADED, 0.0);
  g_assert_cmpstr (kios_book_card_get_badge (card), ==, "Missing");

  /* A book on this computer after a catalog's: the library's states again. */
  {
    KiosBookRecord record = { 0 };

    record.title = (char *) "Persuasion";
    record.path = (char *) "/nowhere/persuasion.epub";
    record.progress = 0.5;
    kios_book_card_set_book (card, &record);
    g_assert_cmpint (kios_book_card_get_card_state (card), ==, KIOS_CARD_STATE_LOCAL);
    g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (card), "book-missing"));
    record.missing = TRUE;
    kios_book_card_set_book (card, &record);
    g_assert_cmpint (kios_book_card_get_card_state (card), ==, KIOS_CARD_STATE_MISSING);
    kios_book_card_set_book (card, NULL);
  }
  g_object_unref (card);
}

static gboolean
card_has_thumbnail (gpointer data)
{
  return kios_book_card_has_cover (data, FALSE);
}

/* A card the grid keeps bound off screen asks for nothing; on screen while
 * the grid scrolls it shows the thumbnail only; the full cover comes once
 * the grid is at rest. */
static void
test_card_on_screen (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosFakeOpds                *fake = serve_books (3);
  GtkWidget                   *window = NULL;
  KiosCatalogView             *view = open_catalog (store, fake, &window);
  g_autoptr (KiosOpdsClient)   client = kios_catalog_view_new_client (view);
  g_autofree char             *base = g_strdup (kios_fake_opds_get_url (fake));
  g_autofree char             *thumb = g_strconcat (base, "/thumb/20.jpg", NULL);
  g_autofree char             *cover = g_strconcat (base, "/cover/20.jpg", NULL);
  g_autoptr (GBytes)           picture = make_picture (400, 600);
  g_autoptr (KiosCatalogItem)  item = kios_catalog_item_new (0, "Twenty", NULL, NULL);
  KiosBookCard                *card = KIOS_BOOK_CARD (kios_book_card_new ());
  GtkWidget                   *second = gtk_window_new ();
  gint64                       until;

  g_assert_nonnull (client);
  kios_fake_opds_add_bytes (fake, "/thumb/20.jpg", "image/jpeg", picture, FALSE);
  kios_fake_opds_add_bytes (fake, "/cover/20.jpg", "image/jpeg", picture, FALSE);
  kios_catalog_item_set_remote_cover (item, client, thumb, cover);
  kios_book_card_set_lazy_cover (card, TRUE);
  gtk_window_set_child (GTK_WINDOW (second), GTK_WIDGET (card));
  gtk_window_present (GTK_WINDOW (second));

  /* Bound off screen: nothing is asked for. */
  kios_book_card_set_item (card, item);
  until = g_get_monotonic_time () + 500 * 1000;
  kios_test_wait_until (spun, &until, 2000);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/20.jpg"), ==, 0);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/cover/20.jpg"), ==, 0);

  /* On screen while scrolling: the thumbnail only. */
  kios_book_card_set_on_screen (card, TRUE, FALSE);
  g_assert_true (kios_test_wait_until (card_has_thumbnail, card, WAIT_MS));
  until = g_get_monotonic_time () + 500 * 1000;
  kios_test_wait_until (spun, &until, 2000);
  g_assert_false (kios_book_card_has_cover (card, TRUE));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/20.jpg"), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/cover/20.jpg"), ==, 0);

  /* Scrolled away and back, then at rest: the full cover. */
  kios_book_card_set_on_screen (card, FALSE, FALSE);
  kios_book_card_set_on_screen (card, TRUE, TRUE);
  g_assert_true (kios_test_wait_until (card_has_full_cover, card, WAIT_MS));
  g_assert_cmpuint (kios_fake_opds_count (fake, "/thumb/20.jpg"), ==, 1);
  g_assert_cmpuint (kios_fake_opds_count (fake, "/cover/20.jpg"), ==, 1);

  /* Bound again: off screen until the grid says otherwise. */
  kios_book_card_set_item (card, NULL);
  kios_book_card_set_item (card, item);
  g_assert_false (kios_book_card_get_on_screen (card));
  g_assert_false (kios_book_card_has_cover (card, FALSE));

  gtk_window_destroy (GTK_WINDOW (second));
  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

/* ---- paging while scrolling ------------------------------------------------- */

#define PAGED_FEED "/opds/paged"
#define PAGED_PER_PAGE 30
#define PAGED_N_PAGES 10

static char *
paged_target (guint offset)
{
  return offset == 0 ? g_strdup (PAGED_FEED) : g_strdup_printf (PAGED_FEED "?offset=%u", offset);
}

/* A feed in pages linked by rel="next", as calibre pages one. */
static KiosFakeOpds *
serve_pages (guint per_page,
             guint n_pages)
{
  KiosFakeOpds *fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  guint         n = per_page * n_pages;

  for (guint offset = 0; offset < n; offset += per_page)
    {
      g_autoptr (GString) xml = g_string_new ("<?xml version='1.0' encoding='utf-8'?>"
                                              "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Paged</title>"
                                              "<id>paged</id><updated>2026-12-06T12:00:00Z</updated>");
      g_autofree char    *target = paged_target (offset);

      if (offset + per_page < n)
        {
          g_autofree char *next = paged_target (offset + per_page);
          g_autofree char *escaped = g_markup_escape_text (next, -1);

          g_string_append_printf (xml, "<link rel=\"next\" type=\"" ATOM "\" href=\"%s\"/>", escaped);
        }
      for (guint i = offset; i < offset + per_page; i++)
        g_string_append_printf (xml,
                                "<entry><title>Book %05u of the Long Shelf</title><id>urn:book:%u</id>"
                                "<updated>2026-12-06T12:00:00Z</updated><author><name>Author %u</name></author>"
                                "<link rel=\"http://opds-spec.org/acquisition\" type=\"application/epub+zip\" "
                                "href=\"/book/%u.epub\"/></entry>",
                                i, i, i % 97, i);
      g_string_append (xml, "</feed>");
      kios_fake_opds_add (fake, target, 200, ATOM, xml->str);
    }
  return fake;
}

/* The first book whose card shows at the top of the view, and where its
 * card is in the grid's own coordinates (its place in the view plus how far
 * the view is scrolled). */
static int
first_visible (KiosCatalogView *view,
               double          *at)
{
  GtkWidget *grid = GTK_WIDGET (grid_of (view));
  double     value = gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (kios_catalog_view_get_books_scrolled (view)));
  int        first = -1;

  for (GtkWidget *child = gtk_widget_get_first_child (grid); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard   *card = KIOS_BOOK_CARD (gtk_widget_get_first_child (child));
      graphene_rect_t bounds;
      int             index;

      if (kios_book_card_get_item (card) == NULL || !gtk_widget_get_mapped (child) ||
          !gtk_widget_compute_bounds (child, grid, &bounds) || bounds.origin.y + bounds.size.height <= 0.0)
        continue;
      index = (int) kios_catalog_item_get_index (kios_book_card_get_item (card));
      if (first < 0 || index < first)
        {
          first = index;
          *at = bounds.origin.y + value;
        }
    }
  return first;
}

/* Where the card of the book at index is, as first_visible says. */
static gboolean
card_at (KiosCatalogView *view,
         int              index,
         double          *at)
{
  GtkWidget *grid = GTK_WIDGET (grid_of (view));
  double     value = gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (kios_catalog_view_get_books_scrolled (view)));

  for (GtkWidget *child = gtk_widget_get_first_child (grid); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      KiosBookCard   *card = KIOS_BOOK_CARD (gtk_widget_get_first_child (child));
      graphene_rect_t bounds;

      if (kios_book_card_get_item (card) != NULL && (int) kios_catalog_item_get_index (kios_book_card_get_item (card)) == index &&
          gtk_widget_get_mapped (child) && gtk_widget_compute_bounds (child, grid, &bounds))
        {
          *at = bounds.origin.y + value;
          return TRUE;
        }
    }
  return FALSE;
}

typedef struct
{
  KiosCatalogView *view;
  GtkAdjustment   *adjustment;
  double           set;        /* the value the last frame put, or < 0 */
  guint            n_items;    /* books listed then */
  int              first;      /* a book in view then … */
  double           first_at;   /* … and where its card was */
  guint            appends;    /* frames that found a page appended */
  double           moved;      /* the most the view moved on its own */
  double           card_moved; /* the most a card moved in the grid */
  guint            most_added; /* the most books appended at once, after the first page */
  gboolean         done;
} PagedScroll;

static void
books_changed_cb (GListModel  *model,
                  guint        position,
                  guint        removed,
                  guint        added,
                  PagedScroll *scroll)
{
  if (position > 0)
    scroll->most_added = MAX (scroll->most_added, added);
}

/* One step a frame, as a person scrolls (or the bench): each frame checks
 * that the view is where the last one put it, and the book that was at its
 * top still where it was. */
static gboolean
paged_tick_cb (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  PagedScroll *scroll = user_data;
  double       value = gtk_adjustment_get_value (scroll->adjustment);
  double       end = gtk_adjustment_get_upper (scroll->adjustment) - gtk_adjustment_get_page_size (scroll->adjustment);
  guint        n_items = g_list_model_get_n_items (kios_catalog_view_get_books (scroll->view));
  double       at = 0.0;

  if (scroll->set >= 0.0)
    {
      scroll->appends += n_items != scroll->n_items;
      scroll->moved = MAX (scroll->moved, fabs (value - scroll->set));
      if (scroll->first >= 0 && card_at (scroll->view, scroll->first, &at))
        scroll->card_moved = MAX (scroll->card_moved, fabs (at - scroll->first_at));
    }
  if (kios_catalog_view_get_feed (scroll->view)->next_href == NULL && !kios_catalog_view_is_busy (scroll->view))
    {
      scroll->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  /* The grid is laid out for the value the last frame put. */
  scroll->first = first_visible (scroll->view, &scroll->first_at);
  scroll->set = MIN (value + 40.0, end);
  scroll->n_items = n_items;
  gtk_adjustment_set_value (scroll->adjustment, scroll->set);
  return G_SOURCE_CONTINUE;
}

static gboolean
paged_scroll_done (gpointer data)
{
  return ((PagedScroll *) data)->done;
}

/* Scrolled down a step a frame while the next pages load as the end comes
 * near: a page appended below leaves the view where it was, the same book
 * at its top, and goes in over a few frames. */
static void
test_paging_keeps_place (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosFakeOpds                *fake = serve_pages (PAGED_PER_PAGE, PAGED_N_PAGES);
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  g_autofree char             *url = g_strconcat (kios_fake_opds_get_url (fake), PAGED_FEED, NULL);
  KiosCatalogView             *view = kios_catalog_view_new ();
  GtkWidget                   *window = gtk_window_new ();
  PagedScroll                  scroll = { 0 };

  record->name = g_strdup ("Paged");
  record->kind = g_strdup ("opds");
  record->auth = g_strdup ("none");
  g_assert_true (kios_sync_source_save_secrets (record, url, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_add_source (store, record, &error));
  g_assert_no_error (error);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  kios_catalog_view_set_store (view, store);
  gtk_window_present (GTK_WINDOW (window));
  kios_catalog_view_set_source (view, record);
  g_assert_true (kios_test_wait_until (entries_shown, view, WAIT_MS));
  kios_test_wait_for_paint (window);

  scroll.view = view;
  scroll.adjustment = gtk_scrolled_window_get_vadjustment (kios_catalog_view_get_books_scrolled (view));
  scroll.set = -1.0;
  g_signal_connect (kios_catalog_view_get_books (view), "items-changed", G_CALLBACK (books_changed_cb), &scroll);
  gtk_widget_add_tick_callback (window, paged_tick_cb, &scroll, NULL);
  g_assert_true (kios_test_wait_until (paged_scroll_done, &scroll, 60000));
  g_signal_handlers_disconnect_by_func (kios_catalog_view_get_books (view), books_changed_cb, &scroll);
  g_assert_cmpuint (g_list_model_get_n_items (kios_catalog_view_get_books (view)), ==, PAGED_PER_PAGE * PAGED_N_PAGES);
  g_assert_cmpuint (scroll.appends, >, 0);
  g_assert_cmpfloat (scroll.moved, <, 1.0);
  g_assert_cmpfloat (scroll.card_moved, <, 1.0);
  /* A next page goes in over a few frames, not in one. */
  g_assert_cmpuint (scroll.most_added, >, 0);
  g_assert_cmpuint (scroll.most_added, <, PAGED_PER_PAGE);

  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

/* ---- a cover arrives in place ---------------------------------------------- */

/* A parent that counts how often it is measured: a child that queues a
 * resize makes its parent measure again at the next layout. */
static void
counting_measure (GtkWidget     *widget,
                  GtkOrientation orientation,
                  int            for_size,
                  int           *minimum,
                  int           *natural,
                  int           *minimum_baseline,
                  int           *natural_baseline)
{
  GtkWidget *child = gtk_widget_get_first_child (widget);
  guint     *n = g_object_get_data (G_OBJECT (widget), "n-measures");

  (*n)++;
  gtk_widget_measure (child, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
child_allocate (GtkWidget *widget,
                int        width,
                int        height,
                int        baseline)
{
  GtkWidget *child = gtk_widget_get_first_child (widget);
  int        card_width;
  int        card_height;

  /* At the card's own size, as a grid's cell gives it. */
  gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &card_width, NULL, NULL, NULL);
  gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, card_width, &card_height, NULL, NULL, NULL);
  gtk_widget_allocate (child, card_width, card_height, -1, NULL);
}

typedef struct
{
  KiosBookCard *card;
  gboolean      full;
} CoverWait;

static gboolean
card_shows (gpointer data)
{
  CoverWait *wait = data;

  return kios_book_card_has_cover (wait->card, wait->full);
}

typedef struct
{
  KiosBookCard *card;
  GdkTexture   *before;
} CoverChange;

static gboolean
card_cover_changed (gpointer data)
{
  CoverChange *change = data;
  GdkTexture  *now = kios_book_card_get_cover (change->card);

  return now != NULL && now != change->before;
}

/* The card's box and its cover's, in the window. */
static void
card_geometry (KiosBookCard    *card,
               graphene_rect_t *card_bounds,
               graphene_rect_t *cover_bounds)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (card)));
  GtkWidget *cover = kios_test_find_widget (GTK_WIDGET (card), KIOS_TYPE_COVER, NULL);

  g_assert_nonnull (cover);
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (card), root, card_bounds));
  g_assert_true (gtk_widget_compute_bounds (cover, root, cover_bounds));
}

/* A cover arriving changes the card's picture and nothing else: the card
 * keeps its size and place and is not measured again (neither is its row
 * of the grid); the picture comes at the slot's size in pixels, a small
 * thumbnail enlarged and a square cover cut to 2:3, so the cover draws it
 * as it is, corners and all, without scaling it each frame. */
static void
test_cover_arrives_in_place (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosFakeOpds                *fake = serve_books (1);
  GtkWidget                   *window = NULL;
  KiosCatalogView             *view = open_catalog (store, fake, &window);
  g_autoptr (KiosOpdsClient)   client = kios_catalog_view_new_client (view);
  g_autofree char             *base = g_strdup (kios_fake_opds_get_url (fake));
  g_autofree char             *thumb = g_strconcat (base, "/thumb/small.jpg", NULL);
  g_autofree char             *cover = g_strconcat (base, "/cover/square.jpg", NULL);
  g_autoptr (GBytes)           small = make_picture (40, 60);
  g_autoptr (GBytes)           square = make_picture (500, 500);
  g_autoptr (KiosCatalogItem)  item = kios_catalog_item_new (0, "A Book with a Title Long Enough to Wrap",
                                                             "Someone", NULL);
  KiosBookCard                *card = KIOS_BOOK_CARD (kios_book_card_new ());
  GtkWidget                   *parent = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget                   *second = gtk_window_new ();
  guint                        n_measures = 0;
  graphene_rect_t              card_before, cover_before, card_after, cover_after;
  g_autofree char             *shot = NULL;
  CoverWait                    wait = { card, FALSE };
  GdkTexture                  *texture;
  KiosCover                   *slot;
  int                          scale;

  kios_fake_opds_add_bytes (fake, "/thumb/small.jpg", "image/jpeg", small, FALSE);
  kios_fake_opds_add_bytes (fake, "/cover/square.jpg", "image/jpeg", square, FALSE);
  g_object_set_data (G_OBJECT (parent), "n-measures", &n_measures);
  gtk_widget_set_layout_manager (parent, gtk_custom_layout_new (NULL, counting_measure, child_allocate));
  gtk_widget_set_parent (GTK_WIDGET (card), parent);
  gtk_window_set_child (GTK_WINDOW (second), parent);
  gtk_window_present (GTK_WINDOW (second));

  /* Bound off screen (as a grid binds rows ahead): the placeholder, laid
   * out once. */
  kios_catalog_item_set_remote_cover (item, client, thumb, cover);
  kios_book_card_set_lazy_cover (card, TRUE);
  kios_book_card_set_item (card, item);
  kios_test_wait_for_paint (GTK_WIDGET (card));
  g_assert_false (kios_book_card_has_cover (card, FALSE));
  card_geometry (card, &card_before, &cover_before);
  g_assert_cmpfloat (cover_before.size.width, ==, 120);
  g_assert_cmpfloat (cover_before.size.height, ==, 180);
  slot = KIOS_COVER (kios_test_find_widget (GTK_WIDGET (card), KIOS_TYPE_COVER, NULL));
  g_assert_false (kios_cover_draws_slot_picture (slot));
  scale = gtk_widget_get_scale_factor (GTK_WIDGET (card));
  shot = kios_test_save_screenshot (second, "catalog-card-placeholder");
  g_clear_pointer (&shot, g_free);

  /* On screen: the thumbnail, then at rest the full cover; the card is
   * not measured again. */
  n_measures = 0;
  kios_book_card_set_on_screen (card, TRUE, FALSE);
  g_assert_true (kios_test_wait_until (card_shows, &wait, WAIT_MS));
  kios_test_wait_for_paint (GTK_WIDGET (card));
  texture = kios_book_card_get_cover (card);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 120 * scale);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 180 * scale);
  g_assert_true (kios_cover_draws_slot_picture (slot));
  g_assert_false (kios_book_card_has_cover (card, TRUE));
  kios_book_card_set_on_screen (card, TRUE, TRUE);
  wait.full = TRUE;
  g_assert_true (kios_test_wait_until (card_shows, &wait, WAIT_MS));
  kios_test_wait_for_paint (GTK_WIDGET (card));
  texture = kios_book_card_get_cover (card);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 120 * scale);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 180 * scale);
  g_assert_true (kios_cover_draws_slot_picture (slot));
  g_assert_cmpuint (n_measures, ==, 0);
  card_geometry (card, &card_after, &cover_after);
  g_assert_true (graphene_rect_equal (&card_before, &card_after));
  g_assert_true (graphene_rect_equal (&cover_before, &cover_after));
  shot = kios_test_save_screenshot (second, "catalog-card-cover");
  g_clear_pointer (&shot, g_free);

  /* Any other picture is still shown, scaled as it is drawn. */
  {
    g_autoptr (GdkPixbuf)  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 50, 50);
    g_autoptr (GdkTexture) other = NULL;

    gdk_pixbuf_fill (pixbuf, 0xaa3366ff);
    other = gdk_texture_new_for_pixbuf (pixbuf);
    kios_cover_set_texture (slot, other);
    kios_test_wait_for_paint (GTK_WIDGET (card));
    g_assert_false (kios_cover_draws_slot_picture (slot));
  }

  gtk_window_destroy (GTK_WINDOW (second));
  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

/* ---- a cover's pixels, held once --------------------------------------------- */

/* The cover as the window's renderer draws it, in pixels. */
static guchar *
render_cover (GtkWidget *cover,
              int       *stride)
{
  g_autoptr (GdkPaintable)  paintable = gtk_widget_paintable_new (cover);
  g_autoptr (GtkSnapshot)   snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture)    texture = NULL;
  GskRenderer              *renderer = gtk_native_get_renderer (gtk_widget_get_native (cover));
  int                       width = gtk_widget_get_width (cover);
  int                       height = gtk_widget_get_height (cover);
  guchar                   *pixels;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  *stride = width * 4;
  pixels = g_malloc ((gsize) *stride * height);
  gdk_texture_download (texture, pixels, *stride);
  return pixels;
}

/* One pixel, premultiplied BGRA as downloaded, as 0xAARRGGBB. */
static guint32
pixel_at (const guchar *pixels,
          int           stride,
          int           x,
          int           y)
{
  const guchar *p = pixels + y * stride + x * 4;

  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

/* A cover set at the slot's size keeps one copy of its pixels: the texture
 * set is dropped once the slot picture (corners cut, edge drawn) is made,
 * under the cairo renderer a node that is appended as it is. It draws as
 * before (the picture inside, clear corners, a darker edge); handed to a
 * bigger slot it still shows; cleared, it holds nothing. */
static void
test_cover_held_once (void)
{
  GtkWidget            *window = gtk_window_new ();
  GtkWidget            *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget            *cover = kios_cover_new (120, 180);
  GtkWidget            *bigger = kios_cover_new (180, 270);
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  GdkTexture           *texture;
  GdkTexture           *handed;
  g_autofree guchar    *pixels = NULL;
  g_autofree guchar    *again = NULL;
  int                   stride;
  int                   scale;
  gboolean              with_cairo;

  gtk_box_append (GTK_BOX (box), cover);
  gtk_box_append (GTK_BOX (box), bigger);
  gtk_widget_set_valign (cover, GTK_ALIGN_START);
  gtk_widget_set_valign (bigger, GTK_ALIGN_START);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  kios_test_wait_for_paint (window);
  scale = gtk_widget_get_scale_factor (cover);
  with_cairo = GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (GTK_NATIVE (window)));

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 120 * scale, 180 * scale);
  gdk_pixbuf_fill (pixbuf, 0x3366aaff);
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  g_object_add_weak_pointer (G_OBJECT (texture), (gpointer *) &texture);
  kios_cover_set_texture (KIOS_COVER (cover), texture);
  g_assert_cmpuint (kios_cover_count_pictures (KIOS_COVER (cover)), ==, 1);
  g_object_unref (texture);
  g_assert_nonnull (texture);
  kios_test_wait_for_paint (cover);

  /* The texture set is gone: the slot picture is the only copy. */
  g_assert_null (texture);
  g_assert_true (kios_cover_draws_slot_picture (KIOS_COVER (cover)));
  g_assert_cmpuint (kios_cover_count_pictures (KIOS_COVER (cover)), ==, 1);
  g_assert_true (kios_cover_holds_node (KIOS_COVER (cover)) == (with_cairo && scale == 1));

  /* Drawn as before: the picture, the corners clear, the edge darker. */
  pixels = render_cover (cover, &stride);
  g_assert_cmphex (pixel_at (pixels, stride, 60, 90), ==, 0xff3366aa);
  g_assert_cmphex (pixel_at (pixels, stride, 0, 0) >> 24, ==, 0);
  g_assert_cmphex (pixel_at (pixels, stride, 119, 179) >> 24, ==, 0);
  g_assert_cmphex (pixel_at (pixels, stride, 60, 0) >> 24, ==, 0xff);
  g_assert_cmphex (pixel_at (pixels, stride, 60, 0), !=, 0xff3366aa);
  g_assert_cmphex (pixel_at (pixels, stride, 60, 0) & 0xff, <, 0xaa);
  /* Every frame the same picture, nothing made again. */
  gtk_widget_queue_draw (cover);
  kios_test_wait_for_paint (cover);
  again = render_cover (cover, &stride);
  g_assert_cmpmem (pixels, stride * 180, again, stride * 180);
  g_assert_cmpuint (kios_cover_count_pictures (KIOS_COVER (cover)), ==, 1);

  /* Handed to a bigger slot (a detail showing the card's cover first): it
   * shows there, scaled, and the first cover still holds one copy. */
  handed = kios_cover_get_texture (KIOS_COVER (cover));
  g_assert_nonnull (handed);
  g_assert_cmpint (gdk_texture_get_width (handed), ==, 120 * scale);
  kios_cover_set_texture (KIOS_COVER (bigger), handed);
  kios_test_wait_for_paint (bigger);
  g_assert_true (kios_cover_has_picture (KIOS_COVER (bigger)));
  g_assert_false (kios_cover_draws_slot_picture (KIOS_COVER (bigger)));
  g_clear_pointer (&pixels, g_free);
  pixels = render_cover (bigger, &stride);
  g_assert_cmphex (pixel_at (pixels, stride, 90, 135), ==, 0xff3366aa);
  g_assert_cmphex (pixel_at (pixels, stride, 0, 0) >> 24, ==, 0);
  g_assert_cmpuint (kios_cover_count_pictures (KIOS_COVER (cover)), ==, 1);
  /* Set again on the cover it came from: nothing changes. */
  kios_cover_set_texture (KIOS_COVER (cover), handed);
  g_assert_true (kios_cover_draws_slot_picture (KIOS_COVER (cover)));

  /* Cleared (a card bound to another book): nothing held. */
  kios_cover_set_texture (KIOS_COVER (cover), NULL);
  g_assert_false (kios_cover_has_picture (KIOS_COVER (cover)));
  g_assert_cmpuint (kios_cover_count_pictures (KIOS_COVER (cover)), ==, 0);
  g_assert_null (kios_cover_get_texture (KIOS_COVER (cover)));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A card whose scale factor changes asks for its cover again (covers are
 * made at the slot's size in pixels); rebound to another book it holds no
 * picture of the first. */
static void
test_card_cover_rescaled (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosBookRecord)   book = g_new0 (KiosBookRecord, 1);
  g_autoptr (KiosBookRecord)   other = g_new0 (KiosBookRecord, 1);
  g_autoptr (GBytes)           jpeg = make_picture (240, 360);
  g_autofree char             *dir = g_dir_make_tmp ("kios-cover-XXXXXX", NULL);
  g_autofree char             *file = g_build_filename (dir, "cover.jpg", NULL);
  GtkWidget                   *window = gtk_window_new ();
  KiosBookCard                *card = KIOS_BOOK_CARD (kios_book_card_new ());
  KiosCover                   *slot;
  GdkTexture                  *first;
  CoverWait                    wait = { card, FALSE };

  g_assert_true (g_file_set_contents (file, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
  book->hash = g_strdup ("0123456789abcdef0123456789abcdef");
  book->title = g_strdup ("Emma");
  book->format = g_strdup ("epub");
  book->cover_path = g_strdup (file);
  other->hash = g_strdup ("fedcba9876543210fedcba9876543210");
  other->title = g_strdup ("Persuasion");
  other->format = g_strdup ("pdf");
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (card));
  gtk_window_present (GTK_WINDOW (window));
  slot = KIOS_COVER (kios_test_find_widget (GTK_WIDGET (card), KIOS_TYPE_COVER, NULL));

  kios_book_card_set_book (card, book);
  g_assert_true (kios_test_wait_until (card_shows, &wait, WAIT_MS));
  kios_test_wait_for_paint (GTK_WIDGET (card));
  g_assert_true (kios_cover_draws_slot_picture (slot));
  g_assert_cmpuint (kios_cover_count_pictures (slot), ==, 1);
  first = g_object_ref (kios_book_card_get_cover (card));

  /* As when the window moves to a monitor of another scale. */
  g_object_notify (G_OBJECT (card), "scale-factor");
  g_assert_true (kios_test_wait_until (card_cover_changed, &(CoverChange){ card, first }, WAIT_MS));
  kios_test_wait_for_paint (GTK_WIDGET (card));
  g_assert_true (kios_cover_draws_slot_picture (slot));
  g_assert_cmpuint (kios_cover_count_pictures (slot), ==, 1);
  g_object_unref (first);

  /* Bound to a book without a cover: the first book's picture goes. */
  kios_book_card_set_book (card, other);
  g_assert_cmpuint (kios_cover_count_pictures (slot), ==, 0);
  g_assert_false (kios_book_card_has_cover (card, FALSE));

  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  g_unlink (file);
  g_rmdir (dir);
}

/* ---- the text of the cards in view ------------------------------------------ */

typedef struct
{
  GtkWidget *grid;
  guint      frames;      /* frames checked */
  guint      wrong;       /* cards in view drawn with another book's text */
  guint      max_pending; /* cards bound whose text waited, at most */
} TextCheck;

static void
check_text_cb (GdkFrameClock *clock,
               TextCheck     *check)
{
  int   height = gtk_widget_get_height (check->grid);
  guint pending = 0;

  check->frames++;
  for (GtkWidget *child = gtk_widget_get_first_child (check->grid); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget       *card = gtk_widget_get_first_child (child);
      KiosCatalogItem *item;
      GtkWidget       *title;
      graphene_rect_t  bounds;

      if (card == NULL || !KIOS_IS_BOOK_CARD (card) || (item = kios_book_card_get_item (KIOS_BOOK_CARD (card))) == NULL)
        continue;
      pending += kios_book_card_get_text_pending (KIOS_BOOK_CARD (card));
      /* GTK keeps the cards it binds out of view unmapped. */
      if (!gtk_widget_get_mapped (child) || !gtk_widget_compute_bounds (child, check->grid, &bounds) ||
          bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
        continue;
      title = kios_test_find_widget (card, GTK_TYPE_LABEL, "title");
      g_assert_nonnull (title);
      if (kios_book_card_get_text_pending (KIOS_BOOK_CARD (card)) ||
          g_strcmp0 (gtk_label_get_label (GTK_LABEL (title)), kios_catalog_item_get_title (item)) != 0)
        check->wrong++;
    }
  check->max_pending = MAX (check->max_pending, pending);
}

/* GTK binds many more cards than are seen, again and again as the grid
 * scrolls: those far from the view wait to show their text, and every card
 * drawn in view shows its own book's, scrolling a frame at a time or
 * jumping. */
static void
test_text_in_view (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosFakeOpds                *fake = serve_books (N_BOOKS);
  GtkWidget                   *window = NULL;
  KiosCatalogView             *view = open_catalog (store, fake, &window);
  GtkAdjustment               *adjustment = gtk_scrolled_window_get_vadjustment (kios_catalog_view_get_books_scrolled (view));
  TextCheck                    check = { GTK_WIDGET (grid_of (view)), 0, 0, 0 };
  GdkFrameClock               *clock;
  gulong                       id;

  kios_test_wait_for_paint (window);
  clock = gtk_widget_get_frame_clock (window);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (check_text_cb), &check);

  /* Down a step a frame, then jumps, then back up. */
  for (int i = 0; i < 120; i++)
    {
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + 60);
      kios_test_wait_for_paint (window);
    }
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) / 2);
  kios_test_wait_for_paint (window);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  kios_test_wait_for_paint (window);
  for (int i = 0; i < 60; i++)
    {
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) - 90);
      kios_test_wait_for_paint (window);
    }
  gtk_adjustment_set_value (adjustment, 0);
  kios_test_wait_for_paint (window);
  g_signal_handler_disconnect (clock, id);

  g_assert_cmpuint (check.frames, >=, 180);
  g_assert_cmpuint (check.wrong, ==, 0);
  g_assert_cmpuint (check.max_pending, >, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *keyring_dir = NULL;
  g_autofree char *keyring = NULL;

  kios_ui_test_init (&argc, &argv);

  /* The file backend of libsecret: a real keyring file, no D-Bus. */
  keyring_dir = g_dir_make_tmp ("kios-test-catalog-cards-XXXXXX", NULL);
  g_assert_nonnull (keyring_dir);
  keyring = g_build_filename (keyring_dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-test-catalog-cards", TRUE);

  g_test_add_func ("/kios/catalog-cards/states", test_card_states);
  g_test_add_func ("/kios/catalog-cards/cover-steps", test_card_cover_steps);
  g_test_add_func ("/kios/catalog-cards/cover-arrives-in-place", test_cover_arrives_in_place);
  g_test_add_func ("/kios/catalog-cards/cover-held-once", test_cover_held_once);
  g_test_add_func ("/kios/catalog-cards/card-cover-rescaled", test_card_cover_rescaled);
  g_test_add_func ("/kios/catalog-cards/lazy-covers", test_lazy_covers);
  g_test_add_func ("/kios/catalog-cards/text-in-view", test_text_in_view);
  g_test_add_func ("/kios/catalog-cards/on-screen", test_card_on_screen);
  g_test_add_func ("/kios/catalog-cards/paging-keeps-place", test_paging_keeps_place);
  return g_test_run ();
}
