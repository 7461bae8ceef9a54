/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-find-bar.h"
#include "kios-reader-view.h"
#include "kios-ui-test-utils.h"

#include <string.h>

static gboolean
search_complete (gpointer data)
{
  KiosBookSearch *search = kios_find_bar_get_search (KIOS_FIND_BAR (data));

  return search != NULL && kios_book_search_is_complete (search);
}

static gboolean
highlighted (gpointer data)
{
  int current = -1;

  return kios_reader_view_get_n_find_highlights (KIOS_READER_VIEW (data), &current) > 0 && current >= 0;
}

static gboolean
highlights_gone (gpointer data)
{
  return kios_reader_view_get_n_find_highlights (KIOS_READER_VIEW (data), NULL) == 0;
}

/* Types a query the way the entry reports it (search-changed after the delay).
 * The entry's own search-changed comes later for the same text: a no-op. */
static KiosFindBar *
open_and_type (KiosReaderFixture *f,
               const char        *query)
{
  KiosFindBar *bar = KIOS_FIND_BAR (kios_reader_view_get_find_bar (f->view));
  GtkWidget   *entry = kios_find_bar_get_entry (bar);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "reader.find", NULL));
  g_assert_true (kios_reader_view_get_find_visible (f->view));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, bar, 5000));
  g_assert_true (gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->window)), entry));

  gtk_editable_set_text (GTK_EDITABLE (entry), query);
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_true (kios_test_wait_until (search_complete, bar, 20000));
  return bar;
}

static void
press_enter (KiosReaderFixture *f,
             KiosFindBar       *bar)
{
  guint before = f->shown;

  g_signal_emit_by_name (kios_find_bar_get_entry (bar), "activate");
  kios_test_reader_wait_shown (f, before);
  g_assert_true (kios_test_wait_until (highlighted, f->view, 10000));
}

static void
test_find_epub (void)
{
  KiosReaderFixture        f;
  KiosFindBar             *bar;
  KiosBookSearch          *search;
  const KiosSearchHit     *hit;
  g_autoptr (KiosPosition) origin = NULL;
  KiosLocation             origin_location;
  guint                    n, before;

  kios_test_reader_setup (&f, "pride-and-prejudice.epub", 900, 700);
  kios_test_reader_wait_shown (&f, 0);
  /* Start a little into the book: Enter finds forwards from here. */
  before = f.shown;
  kios_reader_view_go_to_toc (f.view, 9);
  kios_test_reader_wait_shown (&f, before);
  origin = kios_position_copy (kios_reader_view_get_position (f.view));
  origin_location = kios_reader_view_get_page (f.view)->location;

  bar = open_and_type (&f, "pemberley");
  search = kios_find_bar_get_search (bar);
  n = g_list_model_get_n_items (G_LIST_MODEL (search));
  g_assert_cmpuint (n, >, 10);
  g_assert_cmpstr (kios_find_bar_get_count_label (bar), ==, "53 matches");

  /* Enter: the first match at or after the reading position, highlighted. */
  press_enter (&f, bar);
  g_assert_cmpint (kios_find_bar_get_current (bar), >=, 0);
  hit = kios_book_search_get_hit (search, (guint) kios_find_bar_get_current (bar));
  g_assert_cmpint (hit->chapter, >=, origin->chapter);
  if (kios_find_bar_get_current (bar) > 0)
    g_assert_cmpint (kios_book_search_get_hit (search, (guint) kios_find_bar_get_current (bar) - 1)->chapter, <=,
                     origin->chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, hit->chapter);
  {
    g_autofree char *label = g_strdup_printf ("%d of %u", kios_find_bar_get_current (bar) + 1, n);

    g_assert_cmpstr (kios_find_bar_get_count_label (bar), ==, label);
  }
  g_free (kios_test_save_screenshot (f.window, "find"));

  /* The list of matches: each row its chapter and an excerpt. */
  {
    GtkWidget *toggle = kios_test_find_widget (GTK_WIDGET (bar), GTK_TYPE_TOGGLE_BUTTON, NULL);

    g_assert_nonnull (toggle);
    g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)));
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
    kios_test_wait_for_paint (f.window);
    g_free (kios_test_save_screenshot (f.window, "find-list"));
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), FALSE);
  }

  /* Enter again: the next one; Shift+Enter: back. */
  {
    int first = kios_find_bar_get_current (bar);

    kios_find_bar_next (bar, 1);
    g_assert_cmpint (kios_find_bar_get_current (bar), ==, first + 1);
    g_assert_true (kios_test_wait_until (highlighted, f.view, 10000));
    kios_find_bar_next (bar, -1);
    g_assert_cmpint (kios_find_bar_get_current (bar), ==, first);
    g_assert_true (kios_test_wait_until (highlighted, f.view, 10000));
  }

  /* A new query replaces the old one. */
  bar = open_and_type (&f, "Lady Catherine");
  g_assert_true (kios_find_bar_get_search (bar) != search);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kios_find_bar_get_search (bar))), ==, 116);
  press_enter (&f, bar);

  /* Escape: back where the search began, highlights gone, keys to the page. */
  before = f.shown;
  g_signal_emit_by_name (kios_find_bar_get_entry (bar), "stop-search");
  g_assert_false (kios_reader_view_get_find_visible (f.view));
  kios_test_reader_wait_shown (&f, before);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, origin_location.chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, origin_location.page);
  g_assert_true (kios_test_wait_until (highlights_gone, f.view, 5000));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f.window)) == GTK_WIDGET (f.view));

  kios_test_reader_teardown (&f);
}

static void
count_cb (GtkWidget *entry,
          guint     *count)
{
  (*count)++;
}

static gboolean
count_reached (gpointer data)
{
  return *(guint *) data > 0;
}

/* Enter typed before the entry's search delay ran out: it goes to the first
 * match of the text typed, and the entry's late search-changed for that same
 * text keeps the match. */
static void
test_find_enter_right_after_typing (void)
{
  KiosReaderFixture f;
  KiosFindBar      *bar;
  GtkWidget        *entry;
  GtkWidget        *toggle;
  KiosBookSearch   *search;
  guint             changed = 0;
  int               current;

  kios_test_reader_setup (&f, "pride-and-prejudice.epub", 900, 700);
  kios_test_reader_wait_shown (&f, 0);
  bar = KIOS_FIND_BAR (kios_reader_view_get_find_bar (f.view));
  entry = kios_find_bar_get_entry (bar);
  toggle = kios_test_find_widget (GTK_WIDGET (bar), GTK_TYPE_TOGGLE_BUTTON, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.find", NULL));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, bar, 5000));
  g_signal_connect (entry, "search-changed", G_CALLBACK (count_cb), &changed);

  gtk_editable_set_text (GTK_EDITABLE (entry), "pemberley");
  g_assert_cmpuint (changed, ==, 0);
  press_enter (&f, bar);
  search = kios_find_bar_get_search (bar);
  g_assert_nonnull (search);
  current = kios_find_bar_get_current (bar);
  g_assert_cmpint (current, >=, 0);
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)));

  /* The entry's delayed report of the same text. */
  g_assert_true (kios_test_wait_until (count_reached, &changed, 5000));
  g_assert_true (kios_find_bar_get_search (bar) == search);
  g_assert_cmpint (kios_find_bar_get_current (bar), ==, current);
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)));
  g_assert_true (kios_test_wait_until (search_complete, bar, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, 53);
  g_assert_cmpint (kios_find_bar_get_current (bar), ==, current);
  g_assert_true (kios_test_wait_until (highlighted, f.view, 10000));

  kios_test_reader_teardown (&f);
}

/* Closed before the whole book was searched: opening the bar again searches
 * again, rather than keeping the stopped search's part of the matches. */
static void
test_find_reopen_after_stop (void)
{
  KiosReaderFixture f;
  KiosFindBar      *bar;
  GtkWidget        *entry;

  kios_test_reader_setup (&f, "pride-and-prejudice.epub", 900, 700);
  kios_test_reader_wait_shown (&f, 0);
  bar = KIOS_FIND_BAR (kios_reader_view_get_find_bar (f.view));
  entry = kios_find_bar_get_entry (bar);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.find", NULL));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, bar, 5000));

  /* Batches arrive on this thread's main loop: none has yet. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "Lady Catherine");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_false (kios_book_search_is_complete (kios_find_bar_get_search (bar)));
  g_signal_emit_by_name (entry, "stop-search");
  g_assert_false (kios_reader_view_get_find_visible (f.view));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.find", NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "Lady Catherine");
  g_assert_true (kios_test_wait_until (search_complete, bar, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kios_find_bar_get_search (bar))), ==, 116);
  g_assert_cmpstr (kios_find_bar_get_count_label (bar), ==, "116 matches");

  kios_test_reader_teardown (&f);
}

static void
test_find_pdf (void)
{
  KiosReaderFixture f;
  KiosFindBar      *bar;
  KiosLocation      here;

  kios_test_reader_setup (&f, "persuasion.pdf", 900, 800);
  kios_test_reader_wait_shown (&f, 0);
  bar = open_and_type (&f, "kellynch");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kios_find_bar_get_search (bar))), >, 5);
  press_enter (&f, bar);
  here = kios_reader_view_get_page (f.view)->location;
  g_assert_cmpint (here.chapter, ==,
                   kios_book_search_get_hit (kios_find_bar_get_search (bar), (guint) kios_find_bar_get_current (bar))->chapter);

  /* Closing with the button keeps the match's page. */
  g_signal_emit_by_name (bar, "closed", FALSE);
  g_assert_false (kios_reader_view_get_find_visible (f.view));
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, here.chapter);

  kios_test_reader_teardown (&f);
}

int
main (int    argc,
      char **argv)
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/find/epub", test_find_epub);
  g_test_add_func ("/kios/find/enter-right-after-typing", test_find_enter_right_after_typing);
  g_test_add_func ("/kios/find/reopen-after-stop", test_find_reopen_after_stop);
  g_test_add_func ("/kios/find/pdf", test_find_pdf);

  return g_test_run ();
}
