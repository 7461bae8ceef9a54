/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-start-view"

#include "config.h"

#include "kios-book-card.h"
#include "kios-library-store.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"

static void
add_book (KiosLibraryStore *store,
          const char       *hash,
          const char       *title,
          const char       *authors,
          gint64            last_opened_at,
          double            progress,
          const char       *cover_path)
{
  g_autofree char *path = g_strdup_printf ("/books/%s.epub", hash);
  KiosBookRecord   book = {
      .hash = (char *) hash,
      .path = path,
      .size = 1000,
      .format = (char *) "epub",
      .title = (char *) title,
      .authors = (char *) authors,
      .cover_path = (char *) cover_path,
      .added_at = 1,
      .last_opened_at = last_opened_at,
      .progress = progress,
  };

  kios_library_store_upsert_book (store, &book);
  kios_library_store_touch_book (store, hash, last_opened_at);
}

static gboolean
view_loaded (gpointer data)
{
  return !kios_start_view_is_loading (KIOS_START_VIEW (data));
}

/* The start view inside a plain window, shown and loaded. */
static GtkWindow *
show_view (KiosStartView *view)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, 900, 640);
  gtk_window_set_child (window, GTK_WIDGET (view));
  gtk_window_present (window);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  g_assert_true (kios_test_wait_until (view_loaded, view, 10000));
  return window;
}

/* The card showing the book at position, or NULL (the grid makes cards
 * only for the books on screen). */
static KiosBookCard *
card_for (KiosStartView *view,
          guint          position)
{
  GtkWidget            *grid = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);
  const KiosBookRecord *book = kios_start_view_get_book (view, position);

  g_assert_nonnull (grid);
  if (book == NULL)
    return NULL;
  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget *card = gtk_widget_get_first_child (cell);

      if (card != NULL && KIOS_IS_BOOK_CARD (card) && kios_book_card_get_book (KIOS_BOOK_CARD (card)) != NULL &&
          g_strcmp0 (kios_book_card_get_book (KIOS_BOOK_CARD (card))->hash, book->hash) == 0)
        return KIOS_BOOK_CARD (card);
    }

  return NULL;
}

static void
test_start_view_empty (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosStartView               *view = kios_start_view_new ();
  g_autofree char             *shot = NULL;
  GtkWindow                   *window;

  kios_start_view_set_store (view, store);
  window = show_view (view);

  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "empty");
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 0);
  /* The empty state offers the open action. */
  g_assert_nonnull (kios_test_find_widget (GTK_WIDGET (view), ADW_TYPE_STATUS_PAGE, NULL));

  shot = kios_test_save_screenshot (GTK_WIDGET (window), "start-view-empty");
  gtk_window_destroy (window);
}

static char *
write_cover_png (void)
{
  g_autofree char       *path = g_build_filename (g_get_user_cache_dir (), "cover.png", NULL);
  g_autoptr (GBytes)     bytes = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  guint8                *pixels;
  int                    width = 60;
  int                    height = 90;

  /* A two-tone "cover" so the screenshot shows where it landed. */
  pixels = g_malloc (width * height * 3);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + (y * width + x) * 3;

        p[0] = y < height / 3 ? 0x1a : 0xf6;
        p[1] = y < height / 3 ? 0x5f : 0xd3;
        p[2] = y < height / 3 ? 0xb4 : 0x2d;
      }
  bytes = g_bytes_new_take (pixels, width * height * 3);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, width * 3);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  return g_steal_pointer (&path);
}

static void
book_activated_cb (KiosStartView *view,
                   const char    *path,
                   gpointer       user_data)
{
  g_free (*(char **) user_data);
  *(char **) user_data = g_strdup (path);
}

static void
test_start_view_recent_order (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *cover = write_cover_png ();
  g_autofree char             *activated = NULL;
  g_autofree char             *shot = NULL;
  KiosStartView               *view;
  GtkWindow                   *window;
  const char                  *expected[] = { "Persuasion", "Emma", "Northanger Abbey" };
  GtkWidget                   *overlay;

  add_book (store, "aaaa", "Northanger Abbey", "Jane Austen", 1000, 0.1, NULL);
  add_book (store, "bbbb", "Persuasion", "Jane Austen", 3000, 0.42, cover);
  add_book (store, "cccc", "Emma", "Jane Austen", 2000, 0.9, NULL);
  g_assert_true (kios_library_store_flush (store, 5000));

  view = kios_start_view_new ();
  kios_start_view_set_store (view, store);
  window = show_view (view);

  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "books");
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 3);

  /* Most recently read first, in the records and on screen. */
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      KiosBookCard *card = card_for (view, i);
      GtkWidget    *title;

      g_assert_cmpstr (kios_start_view_get_book (view, i)->title, ==, expected[i]);
      g_assert_nonnull (card);
      title = kios_test_find_widget (GTK_WIDGET (card), GTK_TYPE_LABEL, "title");
      g_assert_nonnull (title);
      g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (title)), ==, expected[i]);
    }
  g_assert_null (kios_start_view_get_book (view, 3));

  /* The cover of the first book is loaded in the background. */
  overlay = kios_test_find_widget (GTK_WIDGET (card_for (view, 0)), GTK_TYPE_OVERLAY, NULL);
  g_assert_nonnull (overlay);
  g_assert_true (kios_test_wait_until (kios_test_cover_shown, overlay, 5000));
  /* Books without a cover keep their placeholder. */
  overlay = kios_test_find_widget (GTK_WIDGET (card_for (view, 1)), GTK_TYPE_OVERLAY, NULL);
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_last_child (overlay)));

  shot = kios_test_save_screenshot (GTK_WIDGET (window), "start-view-books");
  /* And in the dark style, where the cards must keep their contrast. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  g_free (shot);
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "start-view-books-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Clicking a book asks for it to be opened by its path. */
  g_signal_connect (view, "book-activated", G_CALLBACK (book_activated_cb), &activated);
  g_signal_emit_by_name (kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL), "activate", 2);
  g_assert_cmpstr (activated, ==, "/books/aaaa.epub");

  gtk_window_destroy (window);
}

static gboolean
showing_opening (gpointer data)
{
  return g_strcmp0 (kios_start_view_get_visible_page (KIOS_START_VIEW (data)), "opening") == 0;
}

static void
test_start_view_opening (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *shot = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;

  kios_start_view_set_store (view, store);
  window = show_view (view);

  /* A quick open never shows the spinner; a slow one does. */
  kios_start_view_set_opening (view, "emma.epub");
  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "empty");
  g_assert_true (kios_test_wait_until (showing_opening, view, 5000));
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "start-view-opening");
  kios_start_view_set_opening (view, NULL);
  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "empty");

  gtk_window_destroy (window);
}

static void
count_empty_cb (GtkStack   *stack,
                GParamSpec *pspec,
                gpointer    user_data)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "empty") == 0)
    (*(guint *) user_data)++;
}

static void
test_start_view_first_list (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosStartView               *view;
  GtkWindow                   *window;
  GtkWidget                   *stack;
  guint                        empty_shown = 0;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *hash = g_strdup_printf ("%032x", i + 1);
      g_autofree char *title = g_strdup_printf ("Book %u", i);

      add_book (store, hash, title, "Jane Austen", 1000 + i, 0.0, NULL);
    }
  g_assert_true (kios_library_store_flush (store, 5000));

  /* Until its first list is read, a library of thirty books is neither
   * said to be empty nor faded in from "No Books Yet". */
  view = kios_start_view_new ();
  stack = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_STACK, NULL);
  g_assert_nonnull (stack);
  g_signal_connect (stack, "notify::visible-child-name", G_CALLBACK (count_empty_cb), &empty_shown);
  kios_start_view_set_store (view, store);
  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "loading");
  window = show_view (view);

  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "books");
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 30);
  g_assert_cmpuint (empty_shown, ==, 0);
  gtk_window_destroy (window);
}

typedef struct
{
  KiosStartView *view;
  GtkWidget     *grid;
  guint          first_n;     /* books in at the first frame showing them */
  guint          first_shown; /* cards on screen then */
  gint64         first_at;
  guint          covers_n; /* books in at the first frame with every cover */
  gint64         covers_at;
} Screenful;

static void
count_shown (Screenful *s,
             guint     *shown,
             guint     *with_cover)
{
  int height = gtk_widget_get_height (s->grid);

  *shown = *with_cover = 0;
  for (GtkWidget *cell = gtk_widget_get_first_child (s->grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget      *card = gtk_widget_get_first_child (cell);
      graphene_rect_t bounds;

      if (card == NULL || !KIOS_IS_BOOK_CARD (card) || kios_book_card_get_book (KIOS_BOOK_CARD (card)) == NULL ||
          gtk_widget_get_width (card) <= 0 || !gtk_widget_compute_bounds (card, s->grid, &bounds) ||
          bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
        continue;
      (*shown)++;
      if (kios_book_card_has_cover (KIOS_BOOK_CARD (card), FALSE))
        (*with_cover)++;
    }
}

static void
screenful_painted_cb (GdkFrameClock *clock,
                      Screenful     *s)
{
  guint shown, with_cover;

  if (g_strcmp0 (kios_start_view_get_visible_page (s->view), "books") != 0)
    return;
  count_shown (s, &shown, &with_cover);
  if (s->first_at == 0)
    {
      s->first_at = g_get_monotonic_time ();
      s->first_n = kios_start_view_get_n_books (s->view);
      s->first_shown = shown;
    }
  if (s->covers_at == 0 && shown > 0 && with_cover == shown)
    {
      s->covers_at = g_get_monotonic_time ();
      s->covers_n = kios_start_view_get_n_books (s->view);
    }
}

static void
screenful_mapped_cb (GtkWidget *view,
                     Screenful *s)
{
  g_signal_connect (gtk_widget_get_frame_clock (view), "after-paint", G_CALLBACK (screenful_painted_cb), s);
}

static gboolean
screenful_covered (gpointer data)
{
  return ((Screenful *) data)->covers_at != 0;
}

/* The first frame of a library holds the cards that show and no more, and
 * their covers load as they are made: no further cards go in before the
 * frame that paints the covers. */
static void
test_start_view_first_screenful (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autofree char             *cover = write_cover_png ();
  Screenful                    s = { 0 };
  GtkWindow                   *window;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *hash = g_strdup_printf ("%032x", i + 1);
      g_autofree char *title = g_strdup_printf ("Book %u", i);

      add_book (store, hash, title, "Jane Austen", 1000 + i, 0.0, cover);
    }
  g_assert_true (kios_library_store_flush (store, 5000));

  s.view = kios_start_view_new ();
  s.grid = kios_test_find_widget (GTK_WIDGET (s.view), GTK_TYPE_GRID_VIEW, NULL);
  g_signal_connect (s.view, "map", G_CALLBACK (screenful_mapped_cb), &s);
  kios_start_view_set_store (s.view, store);
  window = show_view (s.view);
  g_assert_true (kios_test_wait_until (screenful_covered, &s, 10000));

  /* Two rows of cards fit 640 pixels: the first frame is not the three
   * rows of the widest grid it would be without a card to measure. */
  g_assert_cmpuint (s.first_shown, >, 0);
  g_assert_cmpuint (s.first_n, ==, s.first_shown);
  g_assert_cmpuint (s.first_n, <, 24);
  /* The rest of the list waits for the covers (a book without one, no
   * longer than a quarter of a second). */
  if (s.covers_at - s.first_at < 250 * 1000)
    g_assert_cmpuint (s.covers_n, ==, s.first_n);
  /* Without a library, the store's 48 most recent books. */
  g_assert_cmpuint (kios_start_view_get_n_books (s.view), ==, 48);
  g_signal_handlers_disconnect_by_data (gtk_widget_get_frame_clock (GTK_WIDGET (window)), &s);
  gtk_window_destroy (window);
}

typedef struct
{
  graphene_rect_t bounds;
  KiosBookCard   *card;
} Placed;

static gint
compare_places (gconstpointer a,
                gconstpointer b)
{
  const graphene_rect_t *x = &((const Placed *) a)->bounds;
  const graphene_rect_t *y = &((const Placed *) b)->bounds;

  if (x->origin.y != y->origin.y)
    return x->origin.y < y->origin.y ? -1 : 1;
  return (x->origin.x > y->origin.x) - (x->origin.x < y->origin.x);
}

/* The cards on screen, in reading order. */
static GArray *
shown_cards (KiosStartView *view)
{
  GtkWidget *grid = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);
  GArray    *placed = g_array_new (FALSE, FALSE, sizeof (Placed));
  int        height = gtk_widget_get_height (grid);

  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget *card = gtk_widget_get_first_child (cell);
      Placed     p = { .card = NULL };

      if (card == NULL || !KIOS_IS_BOOK_CARD (card) || !gtk_widget_get_child_visible (cell) ||
          gtk_widget_get_width (card) <= 0 || !gtk_widget_compute_bounds (card, grid, &p.bounds) ||
          p.bounds.origin.y + p.bounds.size.height <= 0 || p.bounds.origin.y >= height)
        continue;
      p.card = KIOS_BOOK_CARD (card);
      g_array_append_val (placed, p);
    }
  g_array_sort (placed, compare_places);
  return placed;
}

/* Every card on screen shows the book of its place: the books of
 * consecutive positions, in reading order. Returns the first position. */
static guint
assert_cards_in_order (KiosStartView *view)
{
  g_autoptr (GArray) placed = shown_cards (view);
  guint              n = kios_start_view_get_n_books (view);
  guint              first = G_MAXUINT;

  g_assert_cmpuint (placed->len, >, 0);
  for (guint i = 0; i < n; i++)
    if (kios_book_card_get_book (g_array_index (placed, Placed, 0).card) != NULL &&
        g_strcmp0 (kios_start_view_get_book (view, i)->hash,
                   kios_book_card_get_book (g_array_index (placed, Placed, 0).card)->hash) == 0)
      first = i;
  g_assert_cmpuint (first, !=, G_MAXUINT);
  for (guint i = 0; i < placed->len; i++)
    {
      const KiosBookRecord *book = kios_book_card_get_book (g_array_index (placed, Placed, i).card);

      g_assert_nonnull (book);
      g_assert_cmpuint (first + i, <, n);
      g_assert_cmpstr (book->hash, ==, kios_start_view_get_book (view, first + i)->hash);
    }
  return first;
}

static void
collect_cards (KiosStartView *view,
               GHashTable    *cards)
{
  GtkWidget *grid = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);

  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    if (gtk_widget_get_first_child (cell) != NULL)
      g_hash_table_add (cards, gtk_widget_get_first_child (cell));
}

/* A search shows its books in the cards the grid has (it makes none), and
 * the cards kept off screen show theirs as they are scrolled to. */
static void
test_start_view_search_keeps_cards (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (GHashTable)       before = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable)       after = g_hash_table_new (NULL, NULL);
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;
  GtkAdjustment               *adjustment;
  GHashTableIter               iter;
  gpointer                     card;

  for (guint i = 0; i < 48; i++)
    {
      g_autofree char *hash = g_strdup_printf ("%032x", i + 1);
      g_autofree char *title = g_strdup_printf ("%s %u", i % 3 == 0 ? "Emma" : "Persuasion", i);

      add_book (store, hash, title, "Jane Austen", 1000 + i, 0.0, NULL);
    }
  g_assert_true (kios_library_store_flush (store, 5000));
  kios_start_view_set_store (view, store);
  window = show_view (view);
  kios_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_cmpuint (assert_cards_in_order (view), ==, 0);
  collect_cards (view, before);

  kios_start_view_set_search (view, "emma");
  g_assert_false (kios_start_view_is_loading (view));
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 16);
  kios_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_cmpuint (assert_cards_in_order (view), ==, 0);
  for (guint i = 0; i < 16; i++)
    g_assert_true (g_str_has_prefix (kios_start_view_get_book (view, i)->title, "Emma"));
  collect_cards (view, after);
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &card, NULL))
    g_assert_true (g_hash_table_contains (before, card));

  /* Back to every book, then to the end of the list: the cards that come
   * on screen show the books there. */
  kios_start_view_set_search (view, NULL);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 48);
  kios_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_cmpuint (assert_cards_in_order (view), ==, 0);
  adjustment = gtk_scrollable_get_vadjustment (
      GTK_SCROLLABLE (kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL)));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  kios_test_wait_for_paint (GTK_WIDGET (view));
  kios_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_cmpuint (assert_cards_in_order (view), >, 0);
  gtk_window_destroy (window);
}

static void
first_piece_painted_cb (GdkFrameClock *clock,
                        gpointer       user_data)
{
  Screenful *s = user_data;

  if (s->first_at == 0 && kios_start_view_get_n_books (s->view) > 0)
    {
      s->first_at = g_get_monotonic_time ();
      s->first_n = kios_start_view_get_n_books (s->view);
    }
}

/* Books arriving in a shown, empty library (a folder being imported) go
 * in one card first: the first card a view makes is the dearest frame. */
static void
test_start_view_first_card_alone (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  Screenful                    s = { 0 };
  GtkWindow                   *window;
  gulong                       id;

  s.view = kios_start_view_new ();
  kios_start_view_set_store (s.view, store);
  window = show_view (s.view);
  g_assert_cmpstr (kios_start_view_get_visible_page (s.view), ==, "empty");

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *hash = g_strdup_printf ("%032x", i + 1);
      g_autofree char *title = g_strdup_printf ("Book %u", i);

      add_book (store, hash, title, "Jane Austen", 1000 + i, 0.0, NULL);
    }
  g_assert_true (kios_library_store_flush (store, 5000));
  id = g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (s.view)), "after-paint",
                         G_CALLBACK (first_piece_painted_cb), &s);
  kios_start_view_reload (s.view);
  g_assert_true (kios_test_wait_until (view_loaded, s.view, 10000));
  kios_test_wait_for_paint (GTK_WIDGET (s.view));

  g_assert_cmpuint (s.first_n, ==, 1);
  g_assert_cmpuint (kios_start_view_get_n_books (s.view), ==, 20);
  g_assert_cmpstr (kios_start_view_get_visible_page (s.view), ==, "books");
  g_signal_handler_disconnect (gtk_widget_get_frame_clock (GTK_WIDGET (s.view)), id);
  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/start-view/empty", test_start_view_empty);
  g_test_add_func ("/kios/start-view/recent-order", test_start_view_recent_order);
  g_test_add_func ("/kios/start-view/first-list", test_start_view_first_list);
  g_test_add_func ("/kios/start-view/first-screenful", test_start_view_first_screenful);
  g_test_add_func ("/kios/start-view/search-keeps-cards", test_start_view_search_keeps_cards);
  g_test_add_func ("/kios/start-view/first-card-alone", test_start_view_first_card_alone);
  g_test_add_func ("/kios/start-view/opening", test_start_view_opening);

  return g_test_run ();
}
