/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-model"

#include "config.h"

#include "kios-book-card.h"
#include "kios-book-hash.h"
#include "kios-cover-loader.h"
#include "kios-cover.h"
#include "kios-library-model.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"

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

static KiosBookRecord *
record_new (guint       n,
            const char *title,
            const char *authors,
            const char *series)
{
  KiosBookRecord *book = g_new0 (KiosBookRecord, 1);

  book->hash = g_strdup_printf ("%032x", n);
  book->title = g_strdup (title);
  book->authors = g_strdup (authors);
  book->series = g_strdup (series);
  book->format = g_strdup ("epub");
  book->added_at = n;
  return book;
}

/* n books titled "Book n"; progress[i] for the i-th. */
static GPtrArray *
books_new (guint         n,
           const double *progress)
{
  GPtrArray *books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf ("Book %u", i);
      KiosBookRecord  *book = record_new (i, title, "Émile Zola", NULL);

      book->progress = progress != NULL ? progress[i] : 0;
      g_ptr_array_add (books, book);
    }
  return books;
}

/* Replacing the contents reports only the span that differs, and keeps the
 * items (so the cards) of books that did not change. */
static void
test_library_model_diff (void)
{
  g_autoptr (KiosLibraryModel) model = kios_library_model_new ();
  g_autoptr (GPtrArray)        books = NULL;
  g_autoptr (GObject)          first = NULL;
  g_autoptr (GObject)          last = NULL;
  g_autoptr (GObject)          again = NULL;
  double                       progress[6] = { 0, 0, 0, 0, 0, 0 };
  Change                       change = { 0 };

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &change);

  books = books_new (6, progress);
  kios_library_model_set_books (model, books);
  g_assert_cmpuint (change.n_signals, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 6);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  last = g_list_model_get_item (G_LIST_MODEL (model), 5);

  /* The same list: nothing changes. */
  g_clear_pointer (&books, g_ptr_array_unref);
  books = books_new (6, progress);
  kios_library_model_set_books (model, books);
  g_assert_cmpuint (change.n_signals, ==, 1);

  /* One book read further: only its place changes. */
  progress[2] = 0.5;
  g_clear_pointer (&books, g_ptr_array_unref);
  books = books_new (6, progress);
  kios_library_model_set_books (model, books);
  g_assert_cmpuint (change.n_signals, ==, 2);
  g_assert_cmpuint (change.position, ==, 2);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 1);
  g_assert_cmpfloat (kios_library_model_get_book (model, 2)->progress, ==, 0.5);
  again = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_true (again == first);
  g_clear_object (&again);
  again = g_list_model_get_item (G_LIST_MODEL (model), 5);
  g_assert_true (again == last);
  g_clear_object (&again);

  /* One book gone from the middle: one removed, none added, at its place. */
  g_clear_pointer (&books, g_ptr_array_unref);
  books = books_new (6, progress);
  g_ptr_array_remove_index (books, 3);
  kios_library_model_set_books (model, books);
  g_assert_cmpuint (change.n_signals, ==, 3);
  g_assert_cmpuint (change.position, ==, 3);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 5);
  g_assert_cmpstr (kios_library_model_get_book (model, 3)->title, ==, "Book 4");
}

/* Keys are folded once: title, authors and series, case and accents gone. */
static void
test_library_model_keys (void)
{
  g_autoptr (GPtrArray) books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
  g_autoptr (GPtrArray) items = NULL;
  KiosBookItem         *item;
  const char           *emile[] = { "emile", NULL };
  const char           *two[] = { "zol", "", "reves", NULL };
  const char           *series[] = { "rougon", NULL };
  const char           *other[] = { "emile", "austen", NULL };

  g_ptr_array_add (books, record_new (1, "Le Rêve", "Émile ZOLA", "Les Rougon-Macquart"));
  items = kios_book_items_new (books);
  g_assert_cmpuint (books->len, ==, 0);
  g_assert_cmpuint (items->len, ==, 1);
  item = g_ptr_array_index (items, 0);
  g_assert_cmpstr (kios_book_item_get_key (item), ==, "le reve emile zola les rougon-macquart");
  g_assert_true (kios_book_item_matches (item, NULL));
  g_assert_true (kios_book_item_matches (item, emile));
  g_assert_false (kios_book_item_matches (item, two)); /* "reves" is not in it */
  two[2] = "reve";
  g_assert_true (kios_book_item_matches (item, two));
  g_assert_true (kios_book_item_matches (item, series));
  g_assert_false (kios_book_item_matches (item, other));
}

static void
add_book (KiosLibraryStore *store,
          guint             n,
          const char       *title,
          const char       *authors)
{
  g_autoptr (KiosBookRecord) book = record_new (n, title, authors, NULL);

  book->last_opened_at = 1000 + n;
  kios_library_store_upsert_book (store, book);
}

static gboolean
loaded (gpointer data)
{
  return !kios_start_view_is_loading (data) && kios_start_view_get_n_books (data) > 0;
}

static gboolean
filtered (gpointer data)
{
  return !kios_start_view_is_loading (data);
}

/* A search filters the list already shown: it lists nothing again, and each
 * keystroke narrows or widens the same list. */
static void
test_library_model_search_in_place (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  KiosStartView               *view = kios_start_view_new ();
  GtkWidget                   *window = gtk_window_new ();
  const char                  *typed[] = { "z", "zo", "zol", "zola", "zolb", "zol", "" };
  const guint                  expected[] = { 2, 2, 2, 1, 0, 2, 3 };

  add_book (store, 1, "Germinal", "Émile Zola");
  add_book (store, 2, "Emma", "Jane Austen");
  add_book (store, 3, "Zoloto", "Anon");
  g_assert_true (kios_library_store_flush (store, 5000));

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));
  kios_start_view_set_store (view, store);
  g_assert_true (kios_test_wait_until (loaded, view, 10000));
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    {
      kios_start_view_set_search (view, typed[i]);
      g_assert_true (kios_test_wait_until (filtered, view, 5000));
      g_assert_cmpuint (kios_start_view_get_n_books (view), ==, expected[i]);
    }

  kios_start_view_set_search (view, "EMILE");
  g_assert_true (kios_test_wait_until (filtered, view, 5000));
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 1);
  g_assert_cmpstr (kios_start_view_get_book (view, 0)->title, ==, "Germinal");
  kios_start_view_set_search (view, "austen");
  g_assert_true (kios_test_wait_until (filtered, view, 5000));
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 1);
  g_assert_cmpstr (kios_start_view_get_book (view, 0)->title, ==, "Emma");
  kios_test_wait_for_paint (window);
  g_assert_cmpstr (kios_start_view_get_results_page (view), ==, "grid");
  kios_start_view_set_search (view, "nothing like it");
  g_assert_true (kios_test_wait_until (filtered, view, 5000));
  g_assert_cmpstr (kios_start_view_get_results_page (view), ==, "no-results");

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
card_has_cover (gpointer data)
{
  return kios_test_cover_shown (gtk_widget_get_first_child (gtk_widget_get_first_child (data)));
}

/* A book added without being opened (kiosctl, a books folder) shows its
 * real cover when its card appears: read from the EPUB and kept in the
 * private cache, where the next card finds it. */
static void
test_library_model_lazy_cover (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosBookRecord)   book = g_new0 (KiosBookRecord, 1);
  g_autoptr (GError)           error = NULL;
  g_autofree char             *cache = NULL;
  g_autofree char             *dir = NULL;
  GtkWidget                   *window = gtk_window_new ();
  GtkWidget                   *card = kios_book_card_new ();
  GtkWidget                   *again = kios_book_card_new ();
  GtkWidget                   *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GStatBuf                     st;

  book->path = kios_test_sample_book ("emma.epub");
  book->hash = kios_book_hash_file (book->path, &error);
  g_assert_no_error (error);
  book->format = g_strdup ("epub");
  book->title = g_strdup ("Emma");
  kios_library_store_upsert_book (store, book);
  g_assert_true (kios_library_store_flush (store, 5000));
  cache = kios_cover_loader_cache_path (book->hash);
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));

  gtk_box_append (GTK_BOX (box), card);
  gtk_box_append (GTK_BOX (box), again);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  kios_book_card_set_book (KIOS_BOOK_CARD (card), book);
  g_assert_true (kios_test_wait_until (card_has_cover, card, 10000));

  /* Shown at the slot's size, not the cached one's. */
  {
    GtkWidget  *overlay = gtk_widget_get_first_child (gtk_widget_get_first_child (card));
    GdkTexture *shown = kios_cover_get_texture (KIOS_COVER (gtk_overlay_get_child (GTK_OVERLAY (overlay))));

    g_assert_nonnull (shown);
    g_assert_cmpint (gdk_texture_get_height (shown), <=, 180 * gtk_widget_get_scale_factor (card));
  }

  /* Kept where only this user can read it. */
  g_assert_cmpint (g_stat (cache, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  dir = g_path_get_dirname (cache);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  /* The next card of the book finds it there, the book's file gone. */
  g_free (book->path);
  book->path = g_strdup ("/nonexistent/emma.epub");
  kios_book_card_set_book (KIOS_BOOK_CARD (again), book);
  g_assert_true (kios_test_wait_until (card_has_cover, again, 10000));

  /* Scaled to the card at twice its size, not kept at the picture's. */
  {
    g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (cache, &error);

    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_height (texture), <=, 2 * 180);
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/library-model/diff", test_library_model_diff);
  g_test_add_func ("/kios/library-model/keys", test_library_model_keys);
  g_test_add_func ("/kios/library-model/search-in-place", test_library_model_search_in_place);
  g_test_add_func ("/kios/library-model/lazy-cover", test_library_model_lazy_cover);

  return g_test_run ();
}
