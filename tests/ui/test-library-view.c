/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-view"

#include "config.h"

#include <pango/pangocairo.h>

#include "kios-book-card.h"
#include "kios-book-hash.h"
#include "kios-error-messages.h"
#include "kios-library-folders-page.h"
#include "kios-library.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"

typedef struct
{
  const char *title;
  const char *authors;
  const char *series;
  double      progress; /* < 0: never opened */
  guint       hue;
  gboolean    no_cover;
} SampleBook;

static const SampleBook samples[] = {
  { "Persuasion", "Jane Austen", NULL, 0.42, 210 },
  { "Emma", "Jane Austen", NULL, 0.87, 340 },
  { "Pride and Prejudice", "Jane Austen", NULL, 1.0, 15 },
  { "Sense and Sensibility", "Jane Austen", NULL, 0.0, 120, TRUE },
  { "Northanger Abbey", "Jane Austen", NULL, -1, 270 },
  { "The Fellowship of the Ring", "J. R. R. Tolkien", "The Lord of the Rings", 0.63, 30 },
  { "The Two Towers", "J. R. R. Tolkien", "The Lord of the Rings", -1, 45 },
  { "Middlemarch", "George Eliot", NULL, 0.12, 190 },
  { "Moby-Dick", "Herman Melville", NULL, -1, 200 },
  { "Bleak House", "Charles Dickens", NULL, 1.0, 0 },
  { "Great Expectations", "Charles Dickens", NULL, 0.31, 160 },
  { "Jane Eyre", "Charlotte Brontë", NULL, -1, 300, TRUE },
  { "Wuthering Heights", "Emily Brontë", NULL, 0.05, 260 },
  { "Anna Karenina", "Leo Tolstoy", NULL, -1, 0 },
  { "War and Peace", "Leo Tolstoy", NULL, 0.22, 25 },
  { "Dracula", "Bram Stoker", NULL, -1, 350 },
  { "Frankenstein", "Mary Shelley", NULL, 1.0, 90 },
  { "The Odyssey", "Homer", NULL, -1, 40 },
  { "Don Quixote", "Miguel de Cervantes", NULL, 0.55, 60 },
  { "Little Women", "Louisa May Alcott", NULL, -1, 320 },
};

/* A cover: a coloured gradient with the title set on it. */
static char *
write_cover (guint       index,
             const char *title,
             const char *authors,
             guint       hue)
{
  g_autofree char      *name = g_strdup_printf ("cover-%u.png", index);
  g_autofree char      *path = g_build_filename (g_get_user_cache_dir (), name, NULL);
  cairo_surface_t      *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 240, 360);
  cairo_t              *cr = cairo_create (surface);
  cairo_pattern_t      *gradient = cairo_pattern_create_linear (0, 0, 0, 360);
  PangoLayout          *layout;
  PangoFontDescription *font;
  GdkRGBA               top;
  GdkRGBA               bottom;
  g_autofree char      *top_spec = g_strdup_printf ("hsl(%u, 45%%, 42%%)", hue);
  g_autofree char      *bottom_spec = g_strdup_printf ("hsl(%u, 50%%, 22%%)", hue);

  g_assert_true (gdk_rgba_parse (&top, top_spec));
  g_assert_true (gdk_rgba_parse (&bottom, bottom_spec));
  cairo_pattern_add_color_stop_rgb (gradient, 0, top.red, top.green, top.blue);
  cairo_pattern_add_color_stop_rgb (gradient, 1, bottom.red, bottom.green, bottom.blue);
  cairo_set_source (cr, gradient);
  cairo_paint (cr);
  cairo_pattern_destroy (gradient);

  cairo_set_source_rgba (cr, 1, 1, 1, 0.85);
  cairo_rectangle (cr, 20, 60, 200, 2);
  cairo_fill (cr);

  layout = pango_cairo_create_layout (cr);
  pango_layout_set_width (layout, 200 * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  font = pango_font_description_from_string ("Serif Bold 22");
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, title, -1);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, 20, 84);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  font = pango_font_description_from_string ("Sans 13");
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, authors, -1);
  cairo_move_to (cr, 20, 300);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);

  cairo_destroy (cr);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  return g_steal_pointer (&path);
}

static void
save_progress (KiosLibraryStore *store,
               const char       *hash,
               double            progress)
{
  KiosPosition position = {
    .format = KIOS_BOOK_FORMAT_EPUB,
    .total_progress = progress,
    .chapter_progress = progress,
    .updated_at = 1700000000,
  };

  kios_library_store_save_position (store, hash, &position);
}

/* A file for a book: its contents do not matter to the list, only that it
 * is there (a missing file shows as missing). */
static char *
touch_book_file (const char *name)
{
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "Books", NULL);
  char              *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  return path;
}

static void
add_sample (KiosLibraryStore *store,
            guint             index,
            gboolean          with_cover)
{
  const SampleBook *sample = &samples[index];
  g_autofree char  *hash = g_strdup_printf ("%032x", index + 1);
  g_autofree char  *name = g_strdup_printf ("book-%02u.epub", index);
  g_autofree char  *path = touch_book_file (name);
  g_autofree char  *cover = NULL;
  KiosBookRecord    book = {
       .hash = hash,
       .path = path,
       .size = 1000,
       .format = (char *) "epub",
       .title = (char *) sample->title,
       .authors = (char *) sample->authors,
       .series = (char *) sample->series,
       .added_at = 1700000000 + index,
       .downloaded = index == 1,
  };

  if (with_cover && !sample->no_cover)
    cover = write_cover (index, sample->title, sample->authors, sample->hue);
  book.cover_path = cover;
  kios_library_store_upsert_book (store, &book);
  if (sample->progress >= 0)
    {
      kios_library_store_touch_book (store, hash, 1700100000 + index * 60);
      save_progress (store, hash, sample->progress);
    }
}

static gboolean
view_loaded (gpointer data)
{
  return !kios_start_view_is_loading (KIOS_START_VIEW (data));
}

static void
wait_loaded (KiosStartView *view)
{
  g_assert_true (kios_test_wait_until (view_loaded, view, 20000));
}

static GtkWindow *
show_view (KiosStartView *view,
           int            width,
           int            height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, GTK_WIDGET (view));
  gtk_window_present (window);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  wait_loaded (view);
  return window;
}

static KiosBookCard *
card_for_hash (KiosStartView *view,
               const char    *hash)
{
  GtkWidget *grid = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);

  g_assert_nonnull (grid);
  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget *card = gtk_widget_get_first_child (cell);

      if (card != NULL && KIOS_IS_BOOK_CARD (card) && kios_book_card_get_book (KIOS_BOOK_CARD (card)) != NULL &&
          g_strcmp0 (kios_book_card_get_book (KIOS_BOOK_CARD (card))->hash, hash) == 0)
        return KIOS_BOOK_CARD (card);
    }

  return NULL;
}

static guint
count_cards (KiosStartView *view)
{
  GtkWidget *grid = kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);
  guint      n = 0;

  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
    if (gtk_widget_get_first_child (cell) != NULL && KIOS_IS_BOOK_CARD (gtk_widget_get_first_child (cell)) &&
        gtk_widget_get_child_visible (cell))
      n++;

  return n;
}

static gboolean
has_title (KiosStartView *view,
           const char    *title)
{
  for (guint i = 0; i < kios_start_view_get_n_books (view); i++)
    if (g_strcmp0 (kios_start_view_get_book (view, i)->title, title) == 0)
      return TRUE;

  return FALSE;
}

static KiosLibrary *
new_library (KiosLibraryStore *store)
{
  g_assert_true (kios_library_store_flush (store, 10000));
  return kios_library_new (store);
}

/* Runs what widget's shortcut for keyval does (GTK 4 cannot send keys). */
static void
press_key (GtkWidget *widget,
           guint      keyval)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger     *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) && gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval)
            {
              g_assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, widget, NULL));
              return;
            }
        }
    }
  g_assert_not_reached ();
}

static void
test_library_view_grid_search_sort (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  g_autofree char             *shot = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;
  KiosBookCard                *card;

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    add_sample (store, i, TRUE);
  library = new_library (store);
  kios_start_view_set_library (view, library);
  window = show_view (view, 1180, 860);

  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "books");
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, G_N_ELEMENTS (samples));
  /* The grid makes cards from the model, for the books on screen only. */
  card = card_for_hash (view, kios_start_view_get_book (view, 0)->hash);
  g_assert_nonnull (card);
  g_assert_cmpuint (count_cards (view), >, 0);
  g_assert_cmpuint (count_cards (view), <=, G_N_ELEMENTS (samples));

  /* Recent first: the last one opened is Don Quixote (index 18). */
  g_assert_cmpstr (kios_start_view_get_book (view, 0)->title, ==, "Don Quixote");

  /* States on the cards. */
  card = card_for_hash (view, kios_start_view_get_book (view, 0)->hash);
  g_assert_cmpint (kios_book_card_get_state (card), ==, KIOS_BOOK_STATE_READING);
  g_assert_cmpstr (kios_book_card_get_badge (card), ==, "55%");

  g_assert_true (kios_test_wait_until (kios_test_cover_shown,
                                       kios_test_find_widget (GTK_WIDGET (card), GTK_TYPE_OVERLAY, NULL), 5000));
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "library");

  /* Sort by title, then author. */
  kios_start_view_set_sort (view, KIOS_LIBRARY_SORT_TITLE);
  wait_loaded (view);
  g_assert_cmpstr (kios_start_view_get_book (view, 0)->title, ==, "Anna Karenina");
  g_assert_cmpstr (kios_start_view_get_book (view, G_N_ELEMENTS (samples) - 1)->title, ==, "Wuthering Heights");
  kios_start_view_set_sort (view, KIOS_LIBRARY_SORT_AUTHOR);
  wait_loaded (view);
  g_assert_cmpstr (kios_start_view_get_book (view, 0)->authors, ==, "Bram Stoker");
  kios_start_view_set_sort (view, KIOS_LIBRARY_SORT_PROGRESS);
  wait_loaded (view);
  g_assert_cmpfloat (kios_start_view_get_book (view, 0)->progress, >=, kios_start_view_get_book (view, 5)->progress);

  /* Ctrl+F in the library goes to the search field. */
  press_key (GTK_WIDGET (view), GDK_KEY_f);
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)),
                                         kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_SEARCH_ENTRY, NULL)));

  /* Search by author, by series, and with no result. */
  kios_start_view_set_search (view, "tolstoy");
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 2);
  g_assert_true (has_title (view, "War and Peace"));
  kios_start_view_set_search (view, "lord of the rings");
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 2);
  g_assert_true (has_title (view, "The Two Towers"));
  kios_start_view_set_search (view, "zzzz no such book");
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 0);
  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "books");
  g_assert_cmpstr (kios_start_view_get_results_page (view), ==, "no-results");
  g_free (shot);
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "library-no-results");
  kios_start_view_set_search (view, NULL);
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, G_N_ELEMENTS (samples));

  gtk_window_destroy (window);
}

static void
test_library_view_shelves (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    add_sample (store, i, FALSE);
  library = new_library (store);
  kios_start_view_set_library (view, library);
  window = show_view (view, 900, 640);

  /* Continue Reading: started and not finished; never 0 % or unopened. */
  kios_start_view_set_shelf (view, KIOS_START_SHELF_READING);
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 8);
  g_assert_true (has_title (view, "Persuasion"));
  g_assert_true (has_title (view, "Wuthering Heights"));
  g_assert_false (has_title (view, "Sense and Sensibility")); /* 0 % */
  g_assert_false (has_title (view, "Northanger Abbey"));      /* never opened */
  g_assert_false (has_title (view, "Pride and Prejudice"));   /* finished */
  for (guint i = 0; i < kios_start_view_get_n_books (view); i++)
    g_assert_cmpint (kios_book_record_get_state (kios_start_view_get_book (view, i)), ==, KIOS_BOOK_STATE_READING);

  kios_start_view_set_shelf (view, KIOS_START_SHELF_FINISHED);
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 3);
  g_assert_true (has_title (view, "Frankenstein"));

  /* Mark as Finished from the book menu moves a book to Finished. */
  kios_start_view_set_shelf (view, KIOS_START_SHELF_ALL);
  wait_loaded (view);
  gtk_widget_activate_action (GTK_WIDGET (view), "library.mark-finished", "s", "00000000000000000000000000000001");
  g_assert_true (kios_test_wait_until (view_loaded, view, 10000));
  kios_start_view_set_shelf (view, KIOS_START_SHELF_FINISHED);
  wait_loaded (view);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 4);
  g_assert_true (has_title (view, "Persuasion"));
  gtk_widget_activate_action (GTK_WIDGET (view), "library.mark-unread", "s", "00000000000000000000000000000001");
  g_assert_true (kios_test_wait_until (view_loaded, view, 10000));

  gtk_window_destroy (window);
}

static gboolean
n_books_is (gpointer data)
{
  gpointer *args = data;

  return !kios_start_view_is_loading (args[0]) && kios_start_view_get_n_books (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static void
wait_n_books (KiosStartView *view,
              guint          n)
{
  gpointer args[] = { view, GUINT_TO_POINTER (n) };

  g_assert_true (kios_test_wait_until (n_books_is, args, 10000));
}

static void
test_library_view_remove_undo (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  g_autoptr (KiosBookRecord)   back = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;
  AdwToast                    *toast;

  for (guint i = 0; i < 4; i++)
    add_sample (store, i, FALSE);
  library = new_library (store);
  kios_start_view_set_library (view, library);
  window = show_view (view, 900, 640);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 4);

  /* The book menu's "Remove from Library": gone, the file kept, a toast
   * with Undo. */
  gtk_widget_activate_action (GTK_WIDGET (view), "library.remove", "s", "00000000000000000000000000000001");
  wait_n_books (view, 3);
  g_assert_false (has_title (view, "Persuasion"));
  {
    g_autofree char *file = g_build_filename (g_get_user_data_dir (), "Books", "book-00.epub", NULL);

    g_assert_true (g_file_test (file, G_FILE_TEST_EXISTS));
  }
  toast = kios_start_view_get_last_toast (view);
  g_assert_nonnull (toast);
  g_assert_nonnull (strstr (adw_toast_get_title (toast), "Persuasion"));
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");

  /* Undo puts it back, position included. */
  g_signal_emit_by_name (toast, "button-clicked");
  wait_n_books (view, 4);
  g_assert_true (has_title (view, "Persuasion"));
  back = kios_library_store_get_book (store, "00000000000000000000000000000001", NULL);
  g_assert_nonnull (back);
  g_assert_cmpfloat_with_epsilon (back->progress, 0.42, 0.001);

  /* Delete on a focused card removes it too. */
  {
    KiosBookCard    *card = card_for_hash (view, kios_start_view_get_book (view, 0)->hash);
    g_autofree char *title = g_strdup (kios_start_view_get_book (view, 0)->title);

    g_assert_nonnull (card);
    gtk_widget_grab_focus (gtk_widget_get_parent (GTK_WIDGET (card)));
    press_key (kios_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL), GDK_KEY_Delete);
    wait_n_books (view, 3);
    g_assert_false (has_title (view, title));
  }

  gtk_window_destroy (window);
}

static void
test_library_view_missing_locate (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  g_autofree char             *sample = kios_test_sample_book ("persuasion.epub");
  g_autofree char             *hash = NULL;
  g_autofree char             *gone = g_build_filename (g_get_user_data_dir (), "moved-away.epub", NULL);
  g_autofree char             *moved = g_build_filename (g_get_user_data_dir (), "persuasion-moved.epub", NULL);
  g_autofree char             *contents = NULL;
  g_autofree char             *wrong_sentence = NULL;
  g_autofree char             *shot = NULL;
  g_autoptr (GError)           error = NULL;
  gsize                        length;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;
  KiosBookCard                *card;
  AdwToast                    *toast;
  KiosBookRecord               book = { 0 };

  hash = kios_book_hash_file (sample, &error);
  g_assert_no_error (error);
  book.hash = hash;
  book.path = gone;
  book.size = 1000;
  book.format = (char *) "epub";
  book.title = (char *) "Persuasion";
  book.authors = (char *) "Jane Austen";
  book.added_at = 1700000000;
  kios_library_store_upsert_book (store, &book);
  save_progress (store, hash, 0.3);
  add_sample (store, 1, FALSE);
  library = new_library (store);
  kios_start_view_set_library (view, library);
  window = show_view (view, 900, 640);

  /* The file is gone: the card says so. */
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, 2);
  card = card_for_hash (view, hash);
  g_assert_nonnull (card);
  g_assert_cmpint (kios_book_card_get_state (card), ==, KIOS_BOOK_STATE_MISSING);
  g_assert_cmpstr (kios_book_card_get_badge (card), ==, "Missing");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (card), "book-missing"));
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "library-missing");

  /* Another book is refused, in a sentence for a person. */
  kios_start_view_locate (view, hash, kios_test_sample_book ("emma.epub"));
  g_assert_true (kios_test_wait_until ((KiosTestCondition) kios_start_view_get_last_toast, view, 10000));
  toast = kios_start_view_get_last_toast (view);
  {
    g_autoptr (GError) other = g_error_new_literal (KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_OTHER_BOOK, "x");

    wrong_sentence = kios_error_describe (other, NULL, NULL, NULL);
  }
  g_assert_nonnull (strstr (wrong_sentence, "different book"));
  g_assert_cmpstr (adw_toast_get_title (toast), ==, wrong_sentence);
  wait_loaded (view);
  g_assert_cmpint (kios_book_card_get_state (card_for_hash (view, hash)), ==, KIOS_BOOK_STATE_MISSING);

  /* The same book, moved: found, and reading where it was. */
  g_assert_true (g_file_get_contents (sample, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (moved, contents, length, NULL));
  kios_start_view_locate (view, hash, moved);
  /* The refusal's toast may time out (and be forgotten) before this one. */
  while (kios_start_view_get_last_toast (view) == toast || kios_start_view_get_last_toast (view) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (adw_toast_get_title (kios_start_view_get_last_toast (view)), "found"));
  wait_loaded (view);
  card = card_for_hash (view, hash);
  g_assert_nonnull (card);
  g_assert_cmpint (kios_book_card_get_state (card), ==, KIOS_BOOK_STATE_READING);
  g_assert_cmpstr (kios_book_card_get_book (card)->path, ==, moved);

  gtk_window_destroy (window);
}

static void
test_library_view_empty (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;

  kios_start_view_set_library (view, library);
  window = show_view (view, 900, 640);
  g_assert_cmpstr (kios_start_view_get_visible_page (view), ==, "empty");
  gtk_window_destroy (window);
}

static gboolean
page_not_busy (gpointer data)
{
  return !kios_library_folders_page_is_busy (KIOS_LIBRARY_FOLDERS_PAGE (data));
}

static void
test_library_view_folders_page (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = kios_library_new (store);
  g_autofree char             *dir = g_build_filename (g_get_user_data_dir (), "Books", NULL);
  g_autofree char             *copy = g_build_filename (dir, "emma.epub", NULL);
  g_autofree char             *contents = NULL;
  g_autofree char             *shot = NULL;
  gsize                        length;
  KiosLibraryFoldersPage      *page;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window = GTK_WINDOW (adw_preferences_window_new ());

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (kios_test_sample_book ("emma.epub"), &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, length, NULL));

  kios_start_view_set_library (view, library);
  page = kios_library_folders_page_new (library);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (window);
  g_assert_true (kios_test_wait_until (page_not_busy, page, 10000));
  g_assert_null (kios_library_folders_page_get_folders (page)[0]);

  /* Adding a folder imports its books in the background. */
  kios_library_folders_page_add_folder (page, dir);
  g_assert_true (kios_test_wait_until (page_not_busy, page, 10000));
  g_assert_cmpuint (g_strv_length ((char **) kios_library_folders_page_get_folders (page)), ==, 1);
  g_assert_nonnull (kios_test_find_widget (GTK_WIDGET (page), GTK_TYPE_BUTTON, "remove-folder"));
  wait_n_books (view, 1);
  g_assert_true (has_title (view, "Emma"));
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "preferences-library");

  /* Removing it keeps its books. */
  kios_library_folders_page_remove_folder (page, kios_library_folders_page_get_folders (page)[0]);
  g_assert_true (kios_test_wait_until (page_not_busy, page, 10000));
  g_assert_null (kios_library_folders_page_get_folders (page)[0]);
  kios_start_view_reload (view);
  wait_n_books (view, 1);

  gtk_window_destroy (window);
  g_object_ref_sink (view);
  g_object_unref (view);
}

/* 10,000 books: the grid only makes the visible cards, and a search is
 * listed quickly (the figure is printed; bench.sh measures it properly). */
static void
test_library_view_large (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  g_autoptr (GPtrArray)        books = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
  g_autofree char             *shot = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;
  gint64                       start;
  guint                        n = 10000;
  char                        *covers[G_N_ELEMENTS (samples)];

  if (g_getenv ("KIOS_TEST_LARGE") == NULL)
    {
      g_test_skip ("set KIOS_TEST_LARGE=1 for the 10,000-book library");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    covers[i] = samples[i].no_cover ? NULL : write_cover (i, samples[i].title, samples[i].authors, samples[i].hue);
  for (guint i = 0; i < n; i++)
    {
      const SampleBook *sample = &samples[i % G_N_ELEMENTS (samples)];
      g_autofree char  *name = g_strdup_printf ("book-%05u.epub", i);
      KiosBookRecord   *book = g_new0 (KiosBookRecord, 1);

      book->hash = g_strdup_printf ("%032x", i + 1);
      book->path = touch_book_file (name);
      book->size = 1000;
      book->format = g_strdup ("epub");
      book->title = i < G_N_ELEMENTS (samples) ? g_strdup (sample->title) : g_strdup_printf ("%s, Volume %u", sample->title, (guint) (i / G_N_ELEMENTS (samples) + 1));
      book->authors = g_strdup (sample->authors);
      book->cover_path = g_strdup (covers[i % G_N_ELEMENTS (samples)]);
      book->added_at = 1700000000 + i;
      g_ptr_array_add (books, book);
    }
  kios_library_store_upsert_books (store, books);
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree char *hash = g_strdup_printf ("%032x", i + 1);

      if (samples[i].progress >= 0)
        {
          kios_library_store_touch_book (store, hash, 1700100000 + i * 60);
          save_progress (store, hash, samples[i].progress);
        }
    }
  library = new_library (store);
  kios_start_view_set_library (view, library);
  start = g_get_monotonic_time ();
  window = show_view (view, 1180, 860);
  g_test_message ("10,000 books listed and shown in %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (kios_start_view_get_n_books (view), ==, n);
  /* Only the cards on screen exist. */
  g_assert_cmpuint (count_cards (view), <, 200);

  kios_test_wait_for_paint (GTK_WIDGET (window));
  g_usleep (200000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  shot = kios_test_save_screenshot (GTK_WIDGET (window), "library-10000");

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr (GPtrArray) found = NULL;

      start = g_get_monotonic_time ();
      found = kios_library_list (library, KIOS_LIBRARY_SORT_RECENT, round == 0 ? "volume 42" : "tolstoy", NULL);
      g_test_message ("list %u alone: %u results in %.1f ms", round, found->len, (g_get_monotonic_time () - start) / 1000.0);
    }
  for (guint round = 0; round < 3; round++)
    {
      start = g_get_monotonic_time ();
      kios_start_view_set_search (view, round == 0 ? "volume 42" : round == 1 ? "tolstoy"
                                                                              : "dickens great");
      wait_loaded (view);
      g_test_message ("search %u listed in %.1f ms", round, (g_get_monotonic_time () - start) / 1000.0);
      kios_test_wait_for_paint (GTK_WIDGET (window));
      g_test_message ("search %u: %u results painted in %.1f ms", round, kios_start_view_get_n_books (view),
                      (g_get_monotonic_time () - start) / 1000.0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    g_free (covers[i]);
  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/library-view/grid-search-sort", test_library_view_grid_search_sort);
  g_test_add_func ("/kios/library-view/shelves", test_library_view_shelves);
  g_test_add_func ("/kios/library-view/remove-undo", test_library_view_remove_undo);
  g_test_add_func ("/kios/library-view/missing-locate", test_library_view_missing_locate);
  g_test_add_func ("/kios/library-view/empty", test_library_view_empty);
  g_test_add_func ("/kios/library-view/folders-page", test_library_view_folders_page);
  g_test_add_func ("/kios/library-view/large", test_library_view_large);

  return g_test_run ();
}
