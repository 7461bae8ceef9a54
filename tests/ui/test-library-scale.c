/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-scale"

#include "config.h"

#include "kios-library-model.h"
#include "kios-library-sidebar.h"
#include "kios-local-books.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"

/*
 * What keeps a large library from stalling the window: a list goes into the
 * grid a piece per frame, and the "On This Computer" page lists its books
 * only once it is shown.
 */

typedef struct
{
  guint n_signals;
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->n_signals++;
  change->position = position;
  change->removed = removed;
  change->added = added;
}

static char *cover_path; /* when set, every book's cover */

static KiosBookRecord *
record_new (guint n)
{
  KiosBookRecord *book = g_new0 (KiosBookRecord, 1);

  book->cover_path = g_strdup (cover_path);
  book->hash = g_strdup_printf ("%032x", n);
  book->title = g_strdup_printf ("Book %05u", n);
  book->authors = g_strdup ("Émile Zola");
  book->format = g_strdup ("epub");
  book->path = g_strdup_printf ("/nonexistent/book-%u.epub", n);
  book->added_at = 1700000000 + n;
  return book;
}

/* Items for books first … first + n - 1. */
static GPtrArray *
items_new (guint first,
           guint n)
{
  g_autoptr (GPtrArray) books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);

  for (guint i = first; i < first + n; i++)
    g_ptr_array_add (books, record_new (i));
  return kios_book_items_new (books);
}

static const char *
title_at (KiosLibraryModel *model,
          guint             position)
{
  const KiosBookRecord *book = kios_library_model_get_book (model, position);

  g_assert_nonnull (book);
  return book->title;
}

/* A large span goes in a piece per step, each piece where the last ended;
 * a span that replaces as many books goes in at once. */
static void
test_library_scale_model_steps (void)
{
  g_autoptr (KiosLibraryModel) model = kios_library_model_new ();
  g_autoptr (GPtrArray)        first = items_new (0, 100);
  g_autoptr (GPtrArray)        second = NULL;
  Change                       change = { 0 };

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &change);

  g_assert_true (kios_library_model_stage_items (model, first, 10));
  g_assert_cmpuint (change.n_signals, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.added, ==, 10);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 10);
  g_assert_cmpuint (kios_library_model_get_pending (model), ==, 90);

  g_assert_true (kios_library_model_step (model, 30));
  g_assert_cmpuint (change.n_signals, ==, 2);
  g_assert_cmpuint (change.position, ==, 10);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 30);
  g_assert_cmpstr (title_at (model, 39), ==, "Book 00039");

  g_assert_false (kios_library_model_step (model, 1000));
  g_assert_cmpuint (change.position, ==, 40);
  g_assert_cmpuint (change.added, ==, 60);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 100);
  g_assert_cmpuint (kios_library_model_get_pending (model), ==, 0);
  g_assert_cmpstr (title_at (model, 99), ==, "Book 00099");

  /* Books 40-59 replaced by 20 others: one change, all at once, whatever
   * max_added says; the ends keep their items. */
  {
    g_autoptr (GPtrArray) head = items_new (0, 40);
    g_autoptr (GPtrArray) middle = items_new (1000, 20);
    g_autoptr (GPtrArray) tail = items_new (60, 40);

    second = g_ptr_array_new_with_free_func (g_object_unref);
    for (guint i = 0; i < 40; i++)
      g_ptr_array_add (second, g_object_ref (head->pdata[i]));
    for (guint i = 0; i < 20; i++)
      g_ptr_array_add (second, g_object_ref (middle->pdata[i]));
    for (guint i = 0; i < 40; i++)
      g_ptr_array_add (second, g_object_ref (tail->pdata[i]));
  }
  g_assert_false (kios_library_model_stage_items (model, second, 2));
  g_assert_cmpuint (change.n_signals, ==, 4);
  g_assert_cmpuint (change.position, ==, 40);
  g_assert_cmpuint (change.removed, ==, 20);
  g_assert_cmpuint (change.added, ==, 20);
  g_assert_cmpstr (title_at (model, 40), ==, "Book 01000");

  /* A new list while one is still going in: what is in is its base. */
  {
    g_autoptr (GPtrArray) empty = g_ptr_array_new ();
    g_autoptr (GPtrArray) third = items_new (5000, 50);

    kios_library_model_set_items (model, empty);
    g_assert_true (kios_library_model_stage_items (model, third, 5));
    g_assert_true (kios_library_model_stage_items (model, first, 5));
    g_assert_cmpuint (change.removed, ==, 5);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 5);
    g_assert_cmpuint (kios_library_model_get_pending (model), ==, 95);
    g_assert_cmpstr (title_at (model, 0), ==, "Book 00000");
  }
}

static KiosLibrary *
library_of (KiosLibraryStore *store,
            guint             n)
{
  g_autoptr (GPtrArray) books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (books, record_new (i));
  kios_library_store_upsert_books (store, books);
  g_assert_true (kios_library_store_flush (store, 10000));
  return kios_library_new (store);
}

typedef struct
{
  KiosStartView *view;
  guint          frames;     /* painted while the list went in */
  guint          first_seen; /* books shown at the first frame after the list came */
  gboolean       listed;
} Watch;

static void
count_frame_cb (GdkFrameClock *clock,
                Watch         *watch)
{
  guint n = kios_start_view_get_n_books (watch->view);

  if (n == 0 || watch->listed)
    return;
  if (watch->frames++ == 0)
    watch->first_seen = n;
  watch->listed = !kios_start_view_is_loading (watch->view);
}

static gboolean
listed (gpointer data)
{
  return ((Watch *) data)->listed;
}

static gboolean
has_books (gpointer data)
{
  return kios_start_view_get_n_books (data) > 0;
}

static guint
count_covers (GtkWidget *grid,
              guint     *n_cards)
{
  guint shown = 0;

  *n_cards = 0;
  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget *overlay = kios_test_find_widget (cell, GTK_TYPE_OVERLAY, NULL);

      if (overlay == NULL)
        continue;
      (*n_cards)++;
      shown += kios_test_cover_shown (overlay) ? 1 : 0;
    }
  return shown;
}

static gboolean
some_cover_shown (gpointer grid)
{
  guint n_cards;

  return count_covers (grid, &n_cards) > 0;
}

/* Shown, a library of 2,000 books goes into the grid over several frames,
 * a few books in the first; all of it, in order, in the end. */
static void
test_library_scale_view_pieces (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWidget                   *window = gtk_window_new ();
  Watch                        watch = { .view = view };
  gulong                       id;
  g_autoptr (GdkPixbuf)        cover = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 240, 360);

  cover_path = g_build_filename (g_get_user_cache_dir (), "cover.png", NULL);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  gdk_pixbuf_fill (cover, 0x3366aaff);
  g_assert_true (gdk_pixbuf_save (cover, cover_path, "png", NULL, NULL));
  g_clear_object (&library);
  library = library_of (store, 2000);

  gtk_window_set_default_size (GTK_WINDOW (window), 700, 860);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, view, 5000));
  id = g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (view)), "after-paint", G_CALLBACK (count_frame_cb),
                         &watch);

  kios_start_view_set_library (view, library);
  g_assert_true (kios_test_wait_until (listed, &watch, 30000));
  g_signal_handler_disconnect (gtk_widget_get_frame_clock (GTK_WIDGET (view)), id);

  g_assert_cmpuint (watch.first_seen, >, 0);
  g_assert_cmpuint (watch.first_seen, <, 100);
  g_assert_cmpuint (watch.frames, >, 1);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 2000);
  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "books");

  /* The grid keeps cards for 30 rows of max-columns: max-columns is the
   * columns that fit (four or so here), not the eight a wide window gets. */
  {
    GtkWidget *grid = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);
    guint      columns = gtk_grid_view_get_max_columns (GTK_GRID_VIEW (grid));
    guint      cells = 0;
    guint      shown, cards;

    for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
      cells++;
    g_assert_cmpuint (columns, >=, 2);
    g_assert_cmpuint (columns, <, 8);
    g_assert_cmpuint (cells, <=, columns * 32 + 1);

    /* Of the cards kept, only those on screen (and a row past it) load
     * their covers: a few rows of the 30 kept. */
    g_assert_true (kios_test_wait_until (some_cover_shown, grid, 10000));
    for (guint i = 0; i < 10; i++)
      kios_test_wait_for_paint (grid);
    shown = count_covers (grid, &cards);
    g_assert_cmpuint (shown, >=, columns);
    g_assert_cmpuint (shown, <=, columns * 6);
    g_assert_cmpuint (cards, >, columns * 20);
  }

  /* Unshown, the rest goes in at once. */
  kios_start_view_set_library (view, NULL);
  gtk_widget_set_visible (GTK_WIDGET (view), FALSE);
  kios_start_view_set_library (view, library);
  g_assert_true (kios_test_wait_until (has_books, view, 30000));
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 2000);
  g_assert_false (kios_start_view_is_loading (view));

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_pointer (&cover_path, g_free);
}

static gboolean
local_listed (gpointer data)
{
  return !kios_local_books_is_loading (data) && kios_local_books_get_n_books (data) > 0;
}

/* "On This Computer" reads its books when first shown, not when it gets the
 * store: a launch does not list every book for a page nobody opened. */
static void
test_library_scale_local_books_lazy (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = library_of (store, 30);
  KiosLocalBooks              *local = g_object_new (KIOS_TYPE_LOCAL_BOOKS, NULL);
  GtkWidget                   *window = gtk_window_new ();

  g_object_ref_sink (local);
  kios_local_books_set_store (local, store);
  g_assert_false (kios_local_books_is_loading (local));
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (kios_local_books_get_n_books (local), ==, 0);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (local));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (kios_test_wait_until (local_listed, local, 10000));
  g_assert_cmpuint (kios_local_books_get_n_books (local), ==, 30);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (local);
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/library-scale/model-steps", test_library_scale_model_steps);
  g_test_add_func ("/library-scale/view-pieces", test_library_scale_view_pieces);
  g_test_add_func ("/library-scale/local-books-lazy", test_library_scale_local_books_lazy);

  return g_test_run ();
}
