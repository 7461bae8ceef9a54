/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-reader"

#include "config.h"

#include "kios-contents-sidebar.h"
#include "kios-epub.h"
#include "kios-library-store.h"
#include "kios-progress-bar.h"
#include "kios-reader-view.h"
#include "kios-ui-test-utils.h"

#include "../core/kios-test-epub.h"

#include <math.h>

/*
 * Keys: GTK 4 has no public way to synthesize a key event (no
 * gtk_test_widget_send_key). The view's key bindings live in the
 * per-instance GtkShortcutController that GTK creates for the class's
 * shortcuts, so the test looks the binding up by keyval and modifiers in the
 * widget's controllers and activates its action exactly as the controller
 * does when the key arrives. That checks the binding exists, has the right
 * action and arguments, and that the action turns the page.
 */

typedef KiosReaderFixture Fixture;

/* "user-turned-page" emissions in the running test (one runs at a time). */
static guint user_turns;

static void
user_turned_cb (KiosReaderView *view,
                Fixture        *f)
{
  user_turns++;
}

static void
fixture_window (Fixture *f,
                int      width,
                int      height)
{
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, height);
  f->view = kios_reader_view_new ();
  kios_reader_view_set_store (f->view, f->store);
  g_signal_connect (f->view, "page-shown", G_CALLBACK (kios_test_reader_shown_cb), f);
  g_signal_connect (f->view, "user-turned-page", G_CALLBACK (user_turned_cb), f);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, f->window, 5000));
}

static void
fixture_setup (Fixture *f,
               int      width,
               int      height)
{
  memset (f, 0, sizeof *f);
  user_turns = 0;
  f->store = kios_test_new_store ();
  fixture_window (f, width, height);
}

static void
fixture_close_window (Fixture *f)
{
  if (f->window == NULL)
    return;
  kios_reader_view_close (f->view);
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  f->view = NULL;
  /* Let the cancelled renders come back so the view is really gone. */
  for (int i = 0; i < 50; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

static void
fixture_teardown (Fixture *f)
{
  fixture_close_window (f);
  g_clear_object (&f->document);
  if (f->store != NULL)
    g_assert_true (kios_library_store_flush (f->store, 5000));
  g_clear_object (&f->store);
}

static KiosDocument *
open_document (const char *name)
{
  g_autofree char   *path = kios_test_sample_book (name);
  g_autoptr (GError) error = NULL;
  KiosDocument      *document = kios_document_open_sync (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (document);
  return document;
}

typedef struct
{
  Fixture *f;
  int      old_serial;
} RelayoutWait;

static gboolean
relayout_done (gpointer data)
{
  RelayoutWait   *wait = data;
  int             serial = kios_document_get_layout_serial (wait->f->document);
  const KiosPage *page = kios_reader_view_get_page (wait->f->view);

  return serial > wait->old_serial && page != NULL && page->layout_serial == serial;
}

/* Waits for the page laid out after a layout change (a page-shown alone may
 * be a re-render of the old page once the background count finished). */
static void
wait_relayout (Fixture *f,
               int      old_serial)
{
  RelayoutWait wait = { f, old_serial };

  g_assert_true (kios_test_wait_until (relayout_done, &wait, 10000));
}

static void
fixture_open (Fixture            *f,
              const char         *name,
              const KiosPosition *start)
{
  guint before = f->shown;

  if (f->document == NULL)
    f->document = open_document (name);
  kios_reader_view_open (f->view, f->document, start);
  kios_test_reader_wait_shown (f, before);
  g_assert_nonnull (kios_reader_view_get_page (f->view));
  g_assert_nonnull (kios_reader_view_get_position (f->view));
}

/* Reading order of two pages: <0, 0, >0. */
static int
compare_locations (const KiosLocation *a,
                   const KiosLocation *b)
{
  if (a->chapter != b->chapter)
    return a->chapter < b->chapter ? -1 : 1;
  return (a->page > b->page) - (a->page < b->page);
}

static int
compare_positions (const KiosPosition *a,
                   const KiosPosition *b)
{
  if (a->chapter != b->chapter)
    return a->chapter < b->chapter ? -1 : 1;
  return (a->offset > b->offset) - (a->offset < b->offset);
}

static void
turn_and_wait (Fixture    *f,
               const char *action)
{
  guint before = f->shown;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), action, NULL));
  kios_test_reader_wait_shown (f, before);
}

/* The first TOC entry at or after chapter min_chapter, at level 0. */
static int
find_toc_entry (KiosDocument *document,
                int           min_chapter)
{
  GPtrArray *toc = kios_document_get_toc (document);

  for (guint i = 0; toc != NULL && i < toc->len; i++)
    {
      const KiosTocEntry *entry = g_ptr_array_index (toc, i);

      if (entry->chapter >= min_chapter && entry->level == 0)
        return (int) i;
    }
  return -1;
}

static void
go_to_toc_and_wait (Fixture *f,
                    int      index)
{
  guint before = f->shown;

  kios_reader_view_go_to_toc (f->view, index);
  kios_test_reader_wait_shown (f, before);
}

static double
mean_luminance (const KiosPage *page)
{
  const guint8 *data = g_bytes_get_data (page->pixels, NULL);
  double        sum = 0;
  gsize         n = 0;

  for (int y = 0; y < page->height; y += 4)
    for (int x = 0; x < page->width; x += 4)
      {
        const guint8 *p = data + (gsize) y * page->stride + (gsize) x * 3;

        sum += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
        n++;
      }
  return n > 0 ? sum / n : 0;
}

static gboolean
book_pages_counted (gpointer data)
{
  const char *label = kios_reader_view_get_page_label (KIOS_READER_VIEW (data));

  return g_str_has_prefix (label, "Page ") && strstr (label, "chapter") == NULL && strstr (label, " of ") != NULL;
}

static void
test_reader_turn_pages (void)
{
  Fixture                  f;
  g_autoptr (KiosPosition) first = NULL;
  g_autoptr (KiosPosition) saved = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *shot = NULL;
  KiosLocation             location;
  guint                    turns;

  fixture_setup (&f, 1000, 760);
  kios_reader_view_set_contents_visible (f.view, FALSE);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  g_assert_cmpint (user_turns, ==, 0);

  /* Into the text proper, then page by page. */
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 2));
  g_assert_cmpint (user_turns, ==, 1);
  g_object_set (f.view, "theme", "light", NULL);
  shot = kios_test_save_screenshot (f.window, "reader-light");

  first = kios_position_copy (kios_reader_view_get_position (f.view));
  location = kios_reader_view_get_page (f.view)->location;
  g_assert_cmpstr (kios_reader_view_get_page_label (f.view), !=, "");
  g_assert_nonnull (kios_reader_view_get_chapter_title (f.view));
  g_assert_cmpint (kios_reader_view_get_toc_index (f.view), >=, 0);

  /* By action. */
  turns = user_turns;
  turn_and_wait (&f, "reader.next-page");
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &location), >, 0);
  g_assert_cmpint (compare_positions (kios_reader_view_get_position (f.view), first), >, 0);
  g_assert_cmpint (user_turns, ==, turns + 1);

  /* By key: Right, then space, then Left and Page_Up back. */
  {
    guint        before = f.shown;
    KiosLocation here = kios_reader_view_get_page (f.view)->location;

    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, 0));
    kios_test_reader_wait_shown (&f, before);
    g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), >, 0);

    before = f.shown;
    here = kios_reader_view_get_page (f.view)->location;
    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_space, 0));
    kios_test_reader_wait_shown (&f, before);
    g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), >, 0);

    before = f.shown;
    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Left, 0));
    kios_test_reader_wait_shown (&f, before);
    g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), ==, 0);

    before = f.shown;
    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Page_Up, 0));
    kios_test_reader_wait_shown (&f, before);
    before = f.shown;
    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Left, 0));
    kios_test_reader_wait_shown (&f, before);
    g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &location), ==, 0);
    g_assert_cmpint (compare_positions (kios_reader_view_get_position (f.view), first), ==, 0);
  }
  g_assert_false (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_F11, 0));

  /* Once the background count is done the label gives the whole book. */
  g_assert_true (kios_test_wait_until (book_pages_counted, f.view, 20000));
  g_test_message ("page label: %s", kios_reader_view_get_page_label (f.view));
  g_assert_cmpint (kios_reader_view_get_page (f.view)->page_number, >=, 0);

  /* Every turn was saved; the store has the page on screen. */
  g_assert_true (kios_library_store_flush (f.store, 5000));
  saved = kios_library_store_get_position (f.store, kios_document_get_hash (f.document), &error);
  g_assert_no_error (error);
  g_assert_nonnull (saved);
  g_assert_cmpint (saved->chapter, ==, first->chapter);
  g_assert_cmpint (saved->offset, ==, first->offset);
  g_assert_cmpint (saved->updated_at, >, 0);

  fixture_teardown (&f);
}

typedef struct
{
  Fixture *f;
  guint    target;
  gboolean painted;
} PaintWait;

static void
painted_cb (GdkFrameClock *clock,
            PaintWait     *wait)
{
  if (wait->f->shown >= wait->target)
    wait->painted = TRUE;
}

static gboolean
paint_reached (gpointer data)
{
  return ((PaintWait *) data)->painted;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Key press to the new page painted, with the neighbour pre-rendered. */
static void
test_reader_turn_latency (void)
{
  Fixture            f;
  GdkFrameClock     *clock;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  guint              waited = 0;
  KiosLocation       before_burst;
  guint              shown_before;
  gulong             id;
  PaintWait          wait;

  fixture_setup (&f, 1000, 760);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (f.view));

  for (int i = 0; i < 40; i++)
    {
      gint64 start;
      double elapsed;

      /* Give the neighbour a moment to be pre-rendered, as a reader would. */
      for (int k = 0; k < 30; k++)
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          g_usleep (1000);
        }

      wait.f = &f;
      wait.target = f.shown + 1;
      wait.painted = FALSE;
      id = g_signal_connect (clock, "after-paint", G_CALLBACK (painted_cb), &wait);
      start = g_get_monotonic_time ();
      g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, 0));
      /* Pre-rendered neighbours are swapped in before the key handler returns. */
      if (f.shown < wait.target)
        waited++;
      g_assert_true (kios_test_wait_until (paint_reached, &wait, 10000));
      g_signal_handler_disconnect (clock, id);
      elapsed = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (times, elapsed);
    }
  g_array_sort (times, compare_doubles);
  g_test_message ("%u of 40 turns waited for a render", waited);
  g_test_message ("key press to page painted over 40 turns: median %.1f ms, p95 %.1f ms, max %.1f ms",
                  g_array_index (times, double, times->len / 2),
                  g_array_index (times, double, (times->len * 95) / 100 - 1),
                  g_array_index (times, double, times->len - 1));

  /* A burst of turns faster than rendering: never lost in a queue, never stuck. */
  before_burst = kios_reader_view_get_page (f.view)->location;
  shown_before = f.shown;
  for (int i = 0; i < 10; i++)
    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, 0));
  kios_test_reader_wait_shown (&f, shown_before);
  for (int k = 0; k < 300; k++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &before_burst), >, 0);
  g_assert_cmpuint (f.shown - shown_before, >=, 1);
  g_assert_cmpuint (f.shown - shown_before, <=, 10);

  fixture_teardown (&f);
}

/* Resuming deep in the large book: the page is there soon after the open call. */
static void
test_reader_resume_large (void)
{
  Fixture                  f;
  g_autoptr (KiosPosition) start = kios_position_new ();
  g_autofree char         *path = kios_test_sample_book ("kjv-bible.epub");
  g_autoptr (GError)       error = NULL;
  gint64                   t0;
  gint64                   t1;
  guint                    before;

  fixture_setup (&f, 1000, 760);
  t0 = g_get_monotonic_time ();
  f.document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  t1 = g_get_monotonic_time ();

  start->format = KIOS_BOOK_FORMAT_EPUB;
  start->chapter = kios_document_get_n_chapters (f.document) * 9 / 10;
  start->offset = 2000;
  before = f.shown;
  kios_reader_view_open (f.view, f.document, start);
  kios_test_reader_wait_shown (&f, before);
  g_test_message ("kjv: open %.1f ms, then the page at chapter %d on screen %.1f ms after the view's open",
                  (t1 - t0) / 1000.0, start->chapter, (g_get_monotonic_time () - t1) / 1000.0);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, start->chapter);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->offset, <=, 2000);
  g_free (kios_test_save_screenshot (f.window, "reader-kjv"));

  fixture_teardown (&f);
}

static void
test_reader_font_size (void)
{
  Fixture                  f;
  g_autoptr (KiosPosition) old = NULL;
  int                      serial;
  guint                    before;
  gint64                   start;
  double                   sizes[] = { 26.0, 14.0, 18.0 };
  double                   size;

  fixture_setup (&f, 900, 700);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 3));
  turn_and_wait (&f, "reader.next-page");
  turn_and_wait (&f, "reader.next-page");

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      const KiosPosition *now;
      guint               turns = user_turns;

      g_clear_pointer (&old, kios_position_free);
      old = kios_position_copy (kios_reader_view_get_position (f.view));
      serial = kios_document_get_layout_serial (f.document);

      start = g_get_monotonic_time ();
      g_object_set (f.view, "font-size", sizes[i], NULL);
      wait_relayout (&f, serial);
      g_test_message ("font size %.0f: same words back in %.1f ms",
                      sizes[i], (g_get_monotonic_time () - start) / 1000.0);
      g_assert_cmpint (kios_document_get_layout_serial (f.document), >, serial);
      g_assert_cmpint (kios_reader_view_get_page (f.view)->layout_serial, ==,
                       kios_document_get_layout_serial (f.document));
      /* A relayout is not a turn. */
      g_assert_cmpint (user_turns, ==, turns);

      /* The word that began the old page is on the new one. */
      now = kios_reader_view_get_position (f.view);
      g_assert_cmpint (now->chapter, ==, old->chapter);
      g_assert_cmpint (now->offset, <=, old->offset);
      turn_and_wait (&f, "reader.next-page");
      g_assert_cmpint (compare_positions (kios_reader_view_get_position (f.view), old), >, 0);
      turn_and_wait (&f, "reader.previous-page");
      g_assert_cmpint (kios_reader_view_get_position (f.view)->offset, <=, old->offset);
    }

  /* Ctrl+plus is font-larger. */
  before = f.shown;
  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_plus, GDK_CONTROL_MASK));
  g_object_get (f.view, "font-size", &size, NULL);
  g_assert_cmpfloat (size, ==, 20.0);
  kios_test_reader_wait_shown (&f, before);

  fixture_teardown (&f);
}

static void
test_reader_resize (void)
{
  Fixture                  f;
  g_autoptr (KiosPosition) old = NULL;
  int                      serial;

  fixture_setup (&f, 900, 700);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 4));
  turn_and_wait (&f, "reader.next-page");
  old = kios_position_copy (kios_reader_view_get_position (f.view));
  serial = kios_document_get_layout_serial (f.document);

  gtk_window_set_default_size (GTK_WINDOW (f.window), 520, 640);
  wait_relayout (&f, serial);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->chapter, ==, old->chapter);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->offset, <=, old->offset);
  g_free (kios_test_save_screenshot (f.window, "reader-narrow"));

  fixture_teardown (&f);
}

static void
test_reader_contents (void)
{
  Fixture             f;
  GtkWidget          *sidebar;
  GPtrArray          *toc;
  const KiosTocEntry *entry;
  int                 index;
  guint               before;
  gboolean            visible;

  fixture_setup (&f, 1100, 760);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);

  sidebar = kios_reader_view_get_contents_sidebar (f.view);
  g_assert_true (KIOS_IS_CONTENTS_SIDEBAR (sidebar));
  toc = kios_document_get_toc (f.document);
  g_assert_cmpuint (kios_contents_sidebar_get_n_entries (KIOS_CONTENTS_SIDEBAR (sidebar)), ==, toc->len);
  g_assert_cmpuint (toc->len, >, 10);

  /* The window's F9 toggles this through the property action. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.contents", NULL));
  g_object_get (f.view, "contents-visible", &visible, NULL);
  g_assert_true (visible);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, sidebar, 5000));

  index = find_toc_entry (f.document, 10);
  g_assert_cmpint (index, >=, 0);
  entry = g_ptr_array_index (toc, index);

  before = f.shown;
  kios_contents_sidebar_activate (KIOS_CONTENTS_SIDEBAR (sidebar), index);
  kios_test_reader_wait_shown (&f, before);
  /* Docked beside the page, the relayout for the narrower page may follow. */
  for (int k = 0; k < 300 && kios_reader_view_get_page (f.view)->layout_serial != kios_document_get_layout_serial (f.document); k++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, entry->chapter);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->chapter, ==, entry->chapter);
  g_assert_cmpint (kios_reader_view_get_toc_index (f.view), ==, index);
  g_assert_cmpint (kios_contents_sidebar_get_selected (KIOS_CONTENTS_SIDEBAR (sidebar)), ==, index);
  g_free (kios_test_save_screenshot (f.window, "reader-contents"));

  /* Turning on follows in the sidebar. */
  for (int i = 0; i < 200 && kios_reader_view_get_toc_index (f.view) == index; i++)
    turn_and_wait (&f, "reader.next-page");
  g_assert_cmpint (kios_reader_view_get_toc_index (f.view), >, index);
  g_assert_cmpint (kios_contents_sidebar_get_selected (KIOS_CONTENTS_SIDEBAR (sidebar)), ==,
                   kios_reader_view_get_toc_index (f.view));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.contents", NULL));
  g_assert_false (kios_reader_view_get_contents_visible (f.view));

  /* On a narrow window the list covers the page, and a pick puts it away. */
  gtk_window_set_default_size (GTK_WINDOW (f.window), 560, 700);
  kios_reader_view_set_contents_visible (f.view, TRUE);
  g_free (kios_test_save_screenshot (f.window, "reader-contents-narrow"));
  g_assert_cmpint (gtk_widget_get_width (sidebar), <, gtk_widget_get_width (GTK_WIDGET (f.view)));
  index = find_toc_entry (f.document, 20);
  entry = g_ptr_array_index (toc, index);
  before = f.shown;
  kios_contents_sidebar_activate (KIOS_CONTENTS_SIDEBAR (sidebar), index);
  g_assert_false (kios_reader_view_get_contents_visible (f.view));
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, entry->chapter);

  fixture_teardown (&f);
}

static void
test_reader_restore (void)
{
  Fixture                  f;
  g_autoptr (KiosPosition) left = NULL;
  g_autoptr (KiosPosition) saved = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *hash = NULL;
  KiosLocation             location;
  guint                    turns;

  fixture_setup (&f, 900, 700);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  hash = g_strdup (kios_document_get_hash (f.document));
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 6));
  for (int i = 0; i < 3; i++)
    turn_and_wait (&f, "reader.next-page");
  left = kios_position_copy (kios_reader_view_get_position (f.view));
  location = kios_reader_view_get_page (f.view)->location;

  /* Reopening where the view stands, with what the view itself owns. */
  {
    guint before = f.shown;

    kios_reader_view_open (f.view, kios_reader_view_get_document (f.view), kios_reader_view_get_position (f.view));
    kios_test_reader_wait_shown (&f, before);
    g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &location), ==, 0);
  }
  fixture_close_window (&f);
  g_clear_object (&f.document);

  g_assert_true (kios_library_store_flush (f.store, 5000));
  saved = kios_library_store_get_position (f.store, hash, &error);
  g_assert_no_error (error);
  g_assert_nonnull (saved);
  g_assert_cmpint (saved->chapter, ==, left->chapter);
  g_assert_cmpint (saved->offset, ==, left->offset);

  /* Reopened in a new window of the same size: the same page. */
  fixture_window (&f, 900, 700);
  turns = user_turns;
  fixture_open (&f, "pride-and-prejudice.epub", saved);
  g_assert_cmpint (user_turns, ==, turns);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, location.chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, location.page);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->chapter, ==, left->chapter);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->offset, ==, left->offset);

  fixture_teardown (&f);
}

static GtkEventController *
find_controller (GtkWidget *widget,
                 GType      type)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return GTK_EVENT_CONTROLLER (controller);
    }
  return NULL;
}

/* Clicks and the wheel, through the view's own controllers' signals (GTK 4
 * cannot synthesize pointer events): the thirds and the notches map to turns. */
static void
test_reader_pointer (void)
{
  Fixture             f;
  GtkEventController *click;
  GtkEventController *scroll;
  KiosLocation        here;
  double              width;
  guint               before;
  gboolean            handled = FALSE;

  fixture_setup (&f, 900, 700);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 3));
  turn_and_wait (&f, "reader.next-page");
  here = kios_reader_view_get_page (f.view)->location;
  width = gtk_widget_get_width (GTK_WIDGET (f.view));

  click = find_controller (GTK_WIDGET (f.view), GTK_TYPE_GESTURE_CLICK);
  scroll = find_controller (GTK_WIDGET (f.view), GTK_TYPE_EVENT_CONTROLLER_SCROLL);
  g_assert_nonnull (click);
  g_assert_nonnull (scroll);

  /* The middle third does nothing. */
  before = f.shown;
  g_signal_emit_by_name (click, "released", 1, width / 2, 300.0);
  g_assert_cmpuint (f.shown, ==, before);

  g_signal_emit_by_name (click, "released", 1, width * 0.9, 300.0);
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), >, 0);

  before = f.shown;
  g_signal_emit_by_name (click, "released", 1, width * 0.1, 300.0);
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), ==, 0);

  /* One wheel notch down, one up. */
  before = f.shown;
  g_signal_emit_by_name (scroll, "scroll", 0.0, 1.0, &handled);
  g_assert_true (handled);
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), >, 0);
  before = f.shown;
  g_signal_emit_by_name (scroll, "scroll", 0.0, -1.0, &handled);
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), ==, 0);

  /* Half a notch is not a turn; the second half is. */
  before = f.shown;
  g_signal_emit_by_name (scroll, "scroll", 0.0, 0.5, &handled);
  g_assert_cmpuint (f.shown, ==, before);
  g_signal_emit_by_name (scroll, "scroll", 0.0, 0.5, &handled);
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (compare_locations (&kios_reader_view_get_page (f.view)->location, &here), >, 0);

  fixture_teardown (&f);
}

/* A position from elsewhere (sync): shown, saved exactly, not a user turn. */
static void
test_reader_go_to_position (void)
{
  Fixture                  f;
  g_autoptr (KiosPosition) target = NULL;
  g_autoptr (KiosPosition) saved = NULL;
  g_autoptr (GError)       error = NULL;
  guint                    turns;
  guint                    before;

  fixture_setup (&f, 900, 700);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 5));
  turn_and_wait (&f, "reader.next-page");
  target = kios_position_copy (kios_reader_view_get_position (f.view));
  target->offset += 40;
  g_free (target->xpointer);
  target->xpointer = NULL;
  g_free (target->device);
  target->device = g_strdup ("Kobo Libra");
  turn_and_wait (&f, "reader.first-page");

  turns = user_turns;
  before = f.shown;
  kios_reader_view_go_to_position (f.view, target);
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (user_turns, ==, turns);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->chapter, ==, target->chapter);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->offset, <=, target->offset);

  g_assert_true (kios_library_store_flush (f.store, 5000));
  saved = kios_library_store_get_position (f.store, kios_document_get_hash (f.document), &error);
  g_assert_no_error (error);
  g_assert_cmpint (saved->chapter, ==, target->chapter);
  g_assert_cmpint (saved->offset, ==, target->offset);
  g_assert_cmpstr (saved->device, !=, "Kobo Libra");
  g_assert_cmpstr (saved->device, ==, kios_reader_view_get_position (f.view)->device);

  /* The next page starts after the position. */
  turn_and_wait (&f, "reader.next-page");
  g_assert_cmpint (compare_positions (kios_reader_view_get_position (f.view), target), >, 0);

  fixture_teardown (&f);
}

static void
test_reader_pdf (void)
{
  Fixture            f;
  guint              before;
  const KiosPage    *page;
  g_autoptr (GBytes) cover = NULL;

  fixture_setup (&f, 900, 800);
  fixture_open (&f, "persuasion.pdf", NULL);
  page = kios_reader_view_get_page (f.view);
  g_assert_cmpint (page->location.chapter, ==, 0);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->format, ==, KIOS_BOOK_FORMAT_PDF);

  turn_and_wait (&f, "reader.next-page");
  turn_and_wait (&f, "reader.next-page");
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 2);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->chapter, ==, 2);
  g_assert_cmpstr (kios_reader_view_get_page_label (f.view), ==, "Page 3 of 258");
  g_free (kios_test_save_screenshot (f.window, "reader-pdf"));

  /* Fit width: the page is taller than the view and scrolls before it turns. */
  before = f.shown;
  g_object_set (f.view, "pdf-fit", "width", NULL);
  kios_test_reader_wait_shown (&f, before);
  page = kios_reader_view_get_page (f.view);
  g_assert_cmpint (page->location.chapter, ==, 2);
  before = f.shown;
  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Down, 0));
  g_assert_cmpuint (f.shown, ==, before);
  g_free (kios_test_save_screenshot (f.window, "reader-pdf-width"));
  for (int i = 0; i < 40 && f.shown == before; i++)
    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Down, 0));
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 3);

  turn_and_wait (&f, "reader.last-page");
  g_assert_true (kios_reader_view_get_page (f.view)->is_last);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==,
                   kios_document_get_n_chapters (f.document) - 1);
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), >, 0.95);

  turn_and_wait (&f, "reader.first-page");
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 0);
  g_assert_true (kios_reader_view_get_page (f.view)->is_first);

  /* A text page, for the screenshot; it must not look like the cover. */
  before = f.shown;
  g_object_set (f.view, "pdf-fit", "page", NULL);
  kios_test_reader_wait_shown (&f, before);
  cover = g_bytes_ref (kios_reader_view_get_page (f.view)->pixels);
  for (int i = 0; i < 12; i++)
    turn_and_wait (&f, "reader.next-page");
  g_free (kios_test_save_screenshot (f.window, "reader-pdf-text"));
  g_assert_false (g_bytes_equal (cover, kios_reader_view_get_page (f.view)->pixels));

  fixture_teardown (&f);
}

static void
test_reader_themes (void)
{
  Fixture f;
  guint   before;
  double  light;
  double  dark;

  fixture_setup (&f, 900, 700);
  g_object_set (f.view, "theme", "light", NULL);
  fixture_open (&f, "pride-and-prejudice.epub", NULL);
  go_to_toc_and_wait (&f, find_toc_entry (f.document, 2));
  light = mean_luminance (kios_reader_view_get_page (f.view));
  g_assert_cmpfloat (light, >, 200.0);

  before = f.shown;
  g_object_set (f.view, "theme", "sepia", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_free (kios_test_save_screenshot (f.window, "reader-sepia"));

  before = f.shown;
  g_object_set (f.view, "theme", "dark", NULL);
  kios_test_reader_wait_shown (&f, before);
  dark = mean_luminance (kios_reader_view_get_page (f.view));
  g_test_message ("mean luminance: light %.0f, dark %.0f", light, dark);
  g_assert_cmpfloat (dark, <, 60.0);
  g_free (kios_test_save_screenshot (f.window, "reader-dark"));
  kios_reader_view_set_contents_visible (f.view, TRUE);
  g_free (kios_test_save_screenshot (f.window, "reader-dark-contents"));
  kios_reader_view_set_contents_visible (f.view, FALSE);

  /* The neighbours are re-rendered in the new colours too. */
  turn_and_wait (&f, "reader.next-page");
  g_assert_cmpfloat (mean_luminance (kios_reader_view_get_page (f.view)), <, 60.0);

  fixture_teardown (&f);
}

static gboolean
error_visible (gpointer data)
{
  GtkWidget *status = kios_test_find_widget (GTK_WIDGET (data), ADW_TYPE_STATUS_PAGE, "reader-error");

  return status != NULL && gtk_widget_get_visible (status);
}

typedef struct
{
  Fixture *f;
  guint    shown;
} ErrorWait;

static gboolean
shown_or_error (gpointer data)
{
  ErrorWait *wait = data;

  return wait->f->shown > wait->shown || error_visible (wait->f->view);
}

/* A chapter missing from the zip renders as an error page, between good ones. */
static void
test_reader_broken_book (void)
{
  Fixture                  f;
  g_autofree char         *dir = g_build_filename (g_get_user_data_dir (), "books", NULL);
  g_autofree char         *path = g_build_filename (dir, "missing.epub", NULL);
  g_autofree char         *c0 = kios_test_xhtml ("<h1>One</h1><p>Present.</p>");
  g_autofree char         *c2 = kios_test_xhtml ("<h1>Three</h1><p>Also present.</p>");
  const char              *chapters[] = { c0, NULL, c2 };
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosPosition) nowhere = kios_position_new ();
  ErrorWait                wait;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  kios_test_epub_write (path, chapters, 3, NULL);

  fixture_setup (&f, 800, 600);
  f.document = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  fixture_open (&f, NULL, NULL);
  g_assert_null (kios_reader_view_get_page (f.view)->error_message);

  turn_and_wait (&f, "reader.next-page");
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 1);
  g_assert_nonnull (kios_reader_view_get_page (f.view)->error_message);
  g_free (kios_test_save_screenshot (f.window, "reader-error-page"));

  turn_and_wait (&f, "reader.next-page");
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 2);
  g_assert_null (kios_reader_view_get_page (f.view)->error_message);
  g_assert_true (kios_reader_view_get_page (f.view)->is_last);

  /* Past the end: nothing happens, nothing breaks. */
  wait.f = &f;
  wait.shown = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.next-page", NULL);
  g_assert_cmpuint (f.shown, ==, wait.shown);

  /* A position that is not in the book: clamped or an inline message, never a crash. */
  nowhere->format = KIOS_BOOK_FORMAT_EPUB;
  nowhere->chapter = 9999;
  nowhere->offset = 123456789;
  kios_reader_view_go_to_position (f.view, nowhere);
  g_assert_true (kios_test_wait_until (shown_or_error, &wait, 10000));
  g_test_message ("position past the end: %s", error_visible (f.view) ? "inline message" : "clamped");

  /* And the reader can still move on. */
  turn_and_wait (&f, "reader.first-page");
  g_assert_false (error_visible (f.view));
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 0);

  fixture_teardown (&f);
}

static void
test_reader_progress_bar (void)
{
  KiosProgressBar *bar = KIOS_PROGRESS_BAR (g_object_ref_sink (kios_progress_bar_new ()));
  double           marks[] = { 0.5, 0.1, NAN, 1.5, 0.0 };

  kios_progress_bar_set_fraction (bar, 0.25);
  g_assert_cmpfloat (kios_progress_bar_get_fraction (bar), ==, 0.25);
  kios_progress_bar_set_fraction (bar, 7.0);
  g_assert_cmpfloat (kios_progress_bar_get_fraction (bar), ==, 1.0);
  kios_progress_bar_set_fraction (bar, NAN);
  g_assert_cmpfloat (kios_progress_bar_get_fraction (bar), ==, 0.0);
  kios_progress_bar_set_marks (bar, marks, G_N_ELEMENTS (marks));
  g_assert_cmpuint (kios_progress_bar_get_n_marks (bar), ==, 3);
  kios_progress_bar_set_marks (bar, NULL, 0);
  g_assert_cmpuint (kios_progress_bar_get_n_marks (bar), ==, 0);
  g_assert_finalize_object (bar);
}

/* Waits until the page on screen has the document's current layout. */
static void
wait_settled (Fixture *f)
{
  for (int k = 0; k < 2000; k++)
    {
      const KiosPage *page = kios_reader_view_get_page (f->view);

      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (page != NULL && page->layout_serial == kios_document_get_layout_serial (f->document) &&
          gtk_widget_get_width (GTK_WIDGET (f->view)) > 0)
        {
          /* And no relayout waiting for the debounce. */
          g_usleep (2000);
          while (g_main_context_iteration (NULL, FALSE))
            ;
          if (kios_reader_view_get_page (f->view) == page && k > 200)
            return;
        }
      g_usleep (1000);
    }
}

/* Picks a contents row the way a click does: the press lands on the row
 * (over the page on a narrow view), the row activates, then the release. */
static void
click_contents_row (Fixture *f,
                    int      index)
{
  GtkWidget          *sidebar = kios_reader_view_get_contents_sidebar (f->view);
  GtkEventController *click = find_controller (GTK_WIDGET (f->view), GTK_TYPE_GESTURE_CLICK);
  double              x = gtk_widget_get_width (sidebar) / 4.0;
  guint               before = f->shown;

  g_signal_emit_by_name (click, "pressed", 1, x, 200.0);
  kios_contents_sidebar_activate (KIOS_CONTENTS_SIDEBAR (sidebar), index);
  g_signal_emit_by_name (click, "released", 1, x, 200.0);
  kios_test_reader_wait_shown (f, before);
  wait_settled (f);
}

/* Where the document itself puts a contents entry at the current layout. */
static KiosLocation
toc_entry_location (Fixture *f,
                    int      index)
{
  KiosPageRequest      request;
  g_autoptr (KiosPage) page = NULL;
  g_autoptr (GError)   error = NULL;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_TOC_ENTRY;
  request.toc_index = index;
  request.position_only = TRUE;
  page = kios_document_render_sync (f->document, &request, &error);
  g_assert_no_error (error);
  return page->location;
}

static void
assert_on_chapter_start (Fixture *f,
                         int      index)
{
  const KiosTocEntry *entry = g_ptr_array_index (kios_document_get_toc (f->document), index);
  const KiosPage     *page = kios_reader_view_get_page (f->view);
  KiosLocation        expected = toc_entry_location (f, index);

  g_assert_cmpint (page->location.chapter, ==, entry->chapter);
  g_assert_cmpint (page->location.chapter, ==, expected.chapter);
  g_assert_cmpint (page->location.page, ==, expected.page);
  g_assert_cmpint (kios_reader_view_get_toc_index (f->view), ==, index);
}

/* Contents jumps land on the chapter's first page, over the page (narrow)
 * and beside it (wide), also after the docked sidebar is closed. */
static void
test_reader_toc_jumps (void)
{
  const int   sizes[][2] = { { 560, 700 }, { 1100, 760 } };
  const char *books[] = { "pride-and-prejudice.epub", "kjv-bible.epub" };

  for (gsize b = 0; b < G_N_ELEMENTS (books); b++)
    for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
      {
        Fixture  f;
        gboolean docked = sizes[i][0] >= 760;
        /* Pride and Prejudice: chapters are spine items; the KJV: chapters
         * start in the middle of a book's spine item (and of a page). */
        int picks[2];

        fixture_setup (&f, sizes[i][0], sizes[i][1]);
        fixture_open (&f, books[b], NULL);
        wait_settled (&f);
        if (b == 0)
          {
            picks[0] = find_toc_entry (f.document, 6);
            picks[1] = find_toc_entry (f.document, 22);
          }
        else
          {
            picks[0] = 5;   /* Genesis 5 */
            picks[1] = 120; /* deep in Exodus or Leviticus */
          }

        for (gsize k = 0; k < G_N_ELEMENTS (picks); k++)
          {
            int index = picks[k];

            kios_reader_view_set_contents_visible (f.view, TRUE);
            wait_settled (&f);
            click_contents_row (&f, index);
            g_assert_true (kios_reader_view_get_contents_visible (f.view) == docked);
            assert_on_chapter_start (&f, index);
            if (b == 0)
              g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, 0);

            if (docked)
              {
                int serial = kios_document_get_layout_serial (f.document);

                /* The page gets wider and is laid out again: the entry's page again. */
                kios_reader_view_set_contents_visible (f.view, FALSE);
                wait_relayout (&f, serial);
                wait_settled (&f);
                assert_on_chapter_start (&f, index);
              }
          }
        fixture_teardown (&f);
      }
}

static gboolean
popover_shown (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

/* Escape on a header popover hands the keys back to the page. */
static void
test_reader_popover_focus (void)
{
  const int sizes[][2] = { { 560, 700 }, { 1100, 760 } };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Fixture    f;
      GtkWidget *header = gtk_header_bar_new ();
      GtkWidget *button = gtk_menu_button_new ();
      GtkWidget *popover = gtk_popover_new ();
      GtkWidget *spin = gtk_spin_button_new_with_range (8, 48, 1);
      GtkWidget *other = gtk_button_new_with_label ("Other");
      guint      before;

      gtk_popover_set_child (GTK_POPOVER (popover), spin);
      gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
      gtk_header_bar_pack_end (GTK_HEADER_BAR (header), button);
      gtk_header_bar_pack_end (GTK_HEADER_BAR (header), other);
      kios_test_reader_setup_full (&f, "pride-and-prejudice.epub", sizes[i][0], sizes[i][1], header);
      kios_test_reader_wait_shown (&f, 0);
      g_assert_nonnull (kios_reader_view_get_page (f.view));
      gtk_widget_grab_focus (GTK_WIDGET (f.view));

      gtk_menu_button_popup (GTK_MENU_BUTTON (button));
      g_assert_true (kios_test_wait_until (popover_shown, popover, 5000));
      gtk_widget_grab_focus (spin);
      g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f.window)), popover));

      /* What Escape does in a popover. */
      g_assert_true (gtk_widget_activate_action (popover, "popover.close", NULL) ||
                     (gtk_popover_popdown (GTK_POPOVER (popover)), TRUE));
      for (int k = 0; k < 100 && gtk_widget_get_mapped (popover); k++)
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          g_usleep (1000);
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_assert_false (gtk_widget_get_visible (popover));

      /* The window's focus widget (whether X gives the window input focus
       * under Xvfb is not up to us). */
      g_assert_true (gtk_root_get_focus (GTK_ROOT (f.window)) == GTK_WIDGET (f.view));

      /* The arrows are the page's again. */
      before = f.shown;
      g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, 0));
      kios_test_reader_wait_shown (&f, before);

      /* Focus moved on purpose (a click, Tab) stays where it went. */
      gtk_widget_grab_focus (other);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_assert_true (gtk_root_get_focus (GTK_ROOT (f.window)) == other);

      fixture_teardown (&f);
    }
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/reader/progress-bar", test_reader_progress_bar);
  g_test_add_func ("/kios/reader/turn-pages", test_reader_turn_pages);
  g_test_add_func ("/kios/reader/turn-latency", test_reader_turn_latency);
  g_test_add_func ("/kios/reader/resume-large", test_reader_resume_large);
  g_test_add_func ("/kios/reader/font-size", test_reader_font_size);
  g_test_add_func ("/kios/reader/resize", test_reader_resize);
  g_test_add_func ("/kios/reader/contents", test_reader_contents);
  g_test_add_func ("/kios/reader/restore", test_reader_restore);
  g_test_add_func ("/kios/reader/go-to-position", test_reader_go_to_position);
  g_test_add_func ("/kios/reader/pointer", test_reader_pointer);
  g_test_add_func ("/kios/reader/pdf", test_reader_pdf);
  g_test_add_func ("/kios/reader/themes", test_reader_themes);
  g_test_add_func ("/kios/reader/broken-book", test_reader_broken_book);
  g_test_add_func ("/kios/reader/toc-jumps", test_reader_toc_jumps);
  g_test_add_func ("/kios/reader/popover-focus", test_reader_popover_focus);

  return g_test_run ();
}
