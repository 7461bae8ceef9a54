/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-reader-spread"

#include "config.h"

#include "kios-find-bar.h"
#include "kios-reader-annotations.h"
#include "kios-reader-selection.h"
#include "kios-reader-view-private.h"
#include "kios-ui-test-utils.h"

#include <string.h>

/* Selection, highlights and find on a two-page spread's right page. The
 * view's private header gives where each page was drawn. */

static gboolean
spread_ready (gpointer data)
{
  KiosReaderView *view = data;

  return kios_reader_view_get_spread (view) && kios_reader_view_get_right_page (view) != NULL &&
         view->other_rect_valid && kios_reader_view_get_page_text (view) != NULL &&
         kios_reader_selection_peek_text (view, view->next->page) != NULL;
}

static void
open_spread (KiosReaderFixture *f)
{
  g_autoptr (KiosPosition) position = NULL;
  guint                    before;

  kios_test_reader_setup (f, "pride-and-prejudice.epub", 1400, 800);
  kios_reader_view_set_page_layout (f->view, KIOS_PAGE_LAYOUT_SPREAD);
  kios_test_reader_wait_shown (f, 0);
  before = f->shown;
  position = kios_document_position_at_offset_sync (f->document, 8, 2000, NULL);
  g_assert_nonnull (position);
  kios_reader_view_go_to_position (f->view, position);
  kios_test_reader_wait_shown (f, before);
  kios_test_wait_for_paint (f->window);
  g_assert_true (kios_test_wait_until (spread_ready, f->view, 20000));
  kios_test_wait_for_paint (f->window);
}

static GtkGesture *
find_drag_gesture (GtkWidget *widget)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_DRAG (controller))
        return GTK_GESTURE (controller);
    }
  return NULL;
}

static void
clipboard_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static char *
clipboard_text (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, clipboard_cb, &text);
  g_assert_true (kios_test_wait_until ((KiosTestCondition) kios_test_flag_set, &text, 5000));
  return text;
}

static void
point_in (const graphene_rect_t *rect,
          const KiosPageChar    *pc,
          double                *x,
          double                *y)
{
  *x = rect->origin.x + (pc->x0 + pc->x1) / 2 * rect->size.width;
  *y = rect->origin.y + (pc->y0 + pc->y1) / 2 * rect->size.height;
}

/* A letter on line (of the page's text), plus skip characters. */
static int
letter_on_line (const KiosPageText *text,
                int                 line,
                int                 skip)
{
  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      if (pc->line == line && g_unichar_isalpha (pc->c))
        return (int) i + skip;
    }
  return -1;
}

static void
drag (KiosReaderView        *view,
      const graphene_rect_t *rect,
      const KiosPageText    *text,
      int                    from,
      int                    to)
{
  GtkGesture *gesture = find_drag_gesture (GTK_WIDGET (view));
  double      x0, y0, x1, y1;

  g_assert_nonnull (gesture);
  point_in (rect, &g_array_index (text->chars, KiosPageChar, from), &x0, &y0);
  point_in (rect, &g_array_index (text->chars, KiosPageChar, to), &x1, &y1);
  g_signal_emit_by_name (gesture, "drag-begin", x0, y0);
  g_signal_emit_by_name (gesture, "drag-update", x1 - x0, y1 - y0);
  g_signal_emit_by_name (gesture, "drag-end", x1 - x0, y1 - y0);
}

/* How many pixels in the box of characters first..last of a page drawn
 * at rect are a green tone (more green than red or blue), in the view as
 * it paints now. */
static guint
green_pixels (KiosReaderView        *view,
              const graphene_rect_t *rect,
              const KiosPageText    *text,
              int                    first,
              int                    last)
{
  int                width, height;
  g_autofree guchar *pixels = kios_test_render_pixels (GTK_WIDGET (view), &width, &height);
  guint              green = 0;

  for (int i = first; i <= last; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);
      int                 x0 = CLAMP ((int) (rect->origin.x + pc->x0 * rect->size.width) + 1, 0, width - 1);
      int                 x1 = CLAMP ((int) (rect->origin.x + pc->x1 * rect->size.width) - 1, 0, width - 1);
      int                 y0 = CLAMP ((int) (rect->origin.y + pc->y0 * rect->size.height) + 1, 0, height - 1);
      int                 y1 = CLAMP ((int) (rect->origin.y + pc->y1 * rect->size.height) - 1, 0, height - 1);

      for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
          {
            const guchar *p = pixels + ((gsize) y * width + x) * 4; /* B, G, R, A (little endian ARGB) */

            if (p[1] > p[2] + 20 && p[1] > p[0] + 20)
              green++;
          }
    }
  return green;
}

static void
changed_cb (KiosReaderView *view,
            guint          *count)
{
  (*count)++;
}

static gboolean
count_positive (gpointer data)
{
  return *(guint *) data > 0;
}

/* A drag on the right page selects and copies that page's words; a
 * highlight made there is painted on the right page, not the left; a drag
 * on the left page then selects the left page's words again. */
static void
test_spread_right_page (void)
{
  KiosReaderFixture   f;
  const KiosPageText *right_text;
  const KiosPageText *left_text;
  KiosLocation        right_location;
  KiosLocation        left_location;
  graphene_rect_t     right_rect;
  graphene_rect_t     left_rect;
  int                 from, to, first, last;
  g_autofree char    *copied = NULL;
  g_autofree char    *expected = NULL;
  g_autofree char    *left_words = NULL;
  guint               changes = 0;

  open_spread (&f);
  left_text = kios_reader_view_get_page_text (f.view);
  left_location = f.view->current->page->location;
  right_location = f.view->next->page->location;
  g_assert_true (right_location.chapter != left_location.chapter || right_location.page != left_location.page);
  right_text = kios_reader_selection_peek_text (f.view, f.view->next->page);
  right_rect = f.view->other_rect;
  g_assert_true (kios_reader_view_get_page_rect (f.view, &left_rect));
  /* The right page is drawn right of the left one. */
  g_assert_cmpfloat (right_rect.origin.x, >=, left_rect.origin.x + left_rect.size.width);
  left_words = kios_page_text_get_string (left_text, 0, (int) left_text->chars->len - 1);

  from = letter_on_line (right_text, 2, 0);
  to = letter_on_line (right_text, 4, 3);
  g_assert_cmpint (from, >=, 0);
  g_assert_cmpint (to, >, from);
  expected = kios_page_text_get_string (right_text, from, to);
  drag (f.view, &right_rect, right_text, from, to);

  /* The selection is on the right page, of its characters. */
  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  g_assert_cmpint (first, ==, from);
  g_assert_cmpint (last, ==, to);
  g_assert_cmpint (kios_reader_view_get_page_text (f.view)->location.chapter, ==, right_location.chapter);
  g_assert_cmpint (kios_reader_view_get_page_text (f.view)->location.page, ==, right_location.page);
  /* Still the same spread. */
  g_assert_cmpint (f.view->current->page->location.page, ==, left_location.page);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.copy", NULL));
  copied = clipboard_text (GTK_WIDGET (f.view));
  g_assert_cmpstr (copied, ==, expected);
  g_assert_cmpuint (strlen (copied), >, 20);
  g_assert_null (strstr (left_words, copied));

  /* A highlight there is drawn over the right page only; the pages' own
   * pixels stay as they were rendered. */
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  g_assert_true (kios_reader_view_highlight_selection (f.view, "green", NULL));
  g_assert_true (kios_test_wait_until (count_positive, &changes, 10000));
  kios_test_wait_for_paint (f.window);
  g_assert_cmpuint (kios_reader_view_get_highlight_runs (f.view)->len, ==, 1);
  g_assert_cmpint (g_array_index (kios_reader_view_get_highlight_runs (f.view), KiosHighlightRun, 0).first, ==, from);
  g_assert_true (f.view->next->highlights != NULL && f.view->next->highlights->len > 0);
  g_assert_true (f.view->current->highlights == NULL || f.view->current->highlights->len == 0);
  g_assert_true (f.view->next->texture != NULL && f.view->current->texture != NULL);
  g_assert_cmpuint (green_pixels (f.view, &right_rect, kios_reader_view_get_page_text (f.view), from, to), >, 100);
  {
    KiosAnnotation *stored = g_ptr_array_index (kios_reader_view_get_annotations (f.view), 0);

    g_assert_cmpint (stored->start->chapter, ==, right_location.chapter);
    g_assert_cmpstr (stored->text, ==, expected);
  }

  /* Back on the left page: its own words. */
  left_text = kios_reader_selection_peek_text (f.view, f.view->current->page);
  g_assert_nonnull (left_text);
  from = letter_on_line (left_text, 1, 0);
  to = letter_on_line (left_text, 2, 2);
  drag (f.view, &left_rect, left_text, from, to);
  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  g_assert_cmpint (first, ==, from);
  g_assert_cmpint (last, ==, to);
  g_assert_cmpint (kios_reader_view_get_page_text (f.view)->location.page, ==, left_location.page);
  g_assert_cmpint (kios_reader_view_get_page_text (f.view)->location.chapter, ==, left_location.chapter);
  /* The right page keeps its highlight, the left page has none. */
  kios_test_wait_for_paint (f.window);
  g_assert_true (f.view->next->highlights != NULL && f.view->next->highlights->len > 0);
  g_assert_cmpuint (green_pixels (f.view, &left_rect, left_text, 0, (int) left_text->chars->len - 1), ==, 0);
  g_free (kios_test_save_screenshot (GTK_WIDGET (f.view), "spread-highlight-right-page"));

  kios_test_reader_teardown (&f);
}

/* Both pages' words as the description a screen reader gets. */
static char *
spread_words (KiosReaderView *view)
{
  g_autofree char *left = kios_page_text_get_string (kios_reader_view_get_page_text (view), 0, G_MAXINT);
  g_autofree char *right = kios_page_text_get_string (kios_reader_selection_peek_text (view, view->next->page), 0,
                                                      G_MAXINT);

  g_assert_cmpuint (strlen (left), >, 100);
  g_assert_cmpuint (strlen (right), >, 100);
  return g_strconcat (left, "\n\n", right, NULL);
}

/* Screen readers get the words of both pages of a spread, left page
 * first, as the view's description, and both pages' after a turn. */
static void
test_spread_accessible (void)
{
  KiosReaderFixture f;
  g_autofree char  *words = NULL;
  g_autofree char  *next_words = NULL;
  guint             before;

  open_spread (&f);
  words = spread_words (f.view);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, words);

  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.next-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (kios_test_wait_until (spread_ready, f.view, 20000));
  next_words = spread_words (f.view);
  g_assert_cmpstr (next_words, !=, words);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, next_words);

  kios_test_reader_teardown (&f);
}

static gboolean
search_complete (gpointer data)
{
  KiosBookSearch *search = kios_find_bar_get_search (KIOS_FIND_BAR (data));

  return search != NULL && kios_book_search_is_complete (search);
}

static gboolean
other_rects_found (gpointer data)
{
  KiosReaderView *view = data;

  return view->find_rects_other != NULL && view->find_rects_other->len > 0 && view->find_rects != NULL;
}

/* A word of the right page found nowhere on the left one. */
static char *
right_only_word (const char *left,
                 const char *right)
{
  g_autofree char *left_fold = g_utf8_casefold (left, -1);
  g_auto (GStrv)   words = g_regex_split_simple ("[^A-Za-z]+", right, 0, 0);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *fold = g_utf8_casefold (words[i], -1);

      if (strlen (words[i]) >= 7 && strstr (left_fold, fold) == NULL)
        return g_strdup (words[i]);
    }
  return NULL;
}

/* Find matches on the right page are looked up and drawn there. */
static void
test_spread_find (void)
{
  KiosReaderFixture   f;
  const KiosPageText *left_text;
  const KiosPageText *right_text;
  g_autofree char    *left = NULL;
  g_autofree char    *right = NULL;
  g_autofree char    *word = NULL;
  KiosFindBar        *bar;
  GtkWidget          *entry;
  g_autofree char    *shot = NULL;

  open_spread (&f);
  left_text = kios_reader_view_get_page_text (f.view);
  right_text = kios_reader_selection_peek_text (f.view, f.view->next->page);
  left = kios_page_text_get_string (left_text, 0, (int) left_text->chars->len - 1);
  right = kios_page_text_get_string (right_text, 0, (int) right_text->chars->len - 1);
  word = right_only_word (left, right);
  g_assert_nonnull (word);

  bar = KIOS_FIND_BAR (kios_reader_view_get_find_bar (f.view));
  entry = kios_find_bar_get_entry (bar);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.find", NULL));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, bar, 5000));
  gtk_editable_set_text (GTK_EDITABLE (entry), word);
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_true (kios_test_wait_until (search_complete, bar, 20000));
  g_assert_true (kios_test_wait_until (other_rects_found, f.view, 10000));
  /* On the right page, not on the left one. */
  g_assert_cmpuint (f.view->find_rects->len, ==, 0);
  g_assert_cmpint (f.view->find_rects_other_location.page, ==, f.view->next->page->location.page);
  g_assert_cmpint (f.view->find_rects_other_location.chapter, ==, f.view->next->page->location.chapter);
  shot = kios_test_save_screenshot (GTK_WIDGET (f.view), "spread-find-right-page");

  kios_test_reader_teardown (&f);
}

static gboolean
scrolled_ready (gpointer data)
{
  KiosReaderView *view = data;

  return kios_reader_view_get_scrolled (view) && view->next != NULL && view->other_rect_valid &&
         kios_reader_view_get_page_text (view) != NULL &&
         kios_reader_selection_peek_text (view, view->next->page) != NULL;
}

/* The scrolled mode: a drag on the page below selects its words. */
static void
test_scrolled_lower_page (void)
{
  KiosReaderFixture        f;
  g_autoptr (KiosPosition) position = NULL;
  const KiosPageText      *below_text;
  graphene_rect_t          below_rect;
  KiosLocation             below_location;
  g_autofree char         *expected = NULL;
  g_autofree char         *copied = NULL;
  int                      from, to, first, last;
  guint                    before;

  kios_test_reader_setup (&f, "pride-and-prejudice.epub", 900, 760);
  kios_reader_view_set_page_layout (f.view, KIOS_PAGE_LAYOUT_SCROLLED);
  kios_test_reader_wait_shown (&f, 0);
  before = f.shown;
  position = kios_document_position_at_offset_sync (f.document, 8, 2000, NULL);
  kios_reader_view_go_to_position (f.view, position);
  kios_test_reader_wait_shown (&f, before);
  kios_test_wait_for_paint (f.window);
  g_assert_true (kios_test_wait_until (scrolled_ready, f.view, 20000));
  /* Half a page down: the page below shows its first lines. */
  g_assert_true (kios_reader_view_flow_scroll (f.view, f.view->other_rect.origin.y / 2));
  kios_test_wait_for_paint (f.window);
  g_assert_true (kios_test_wait_until (scrolled_ready, f.view, 10000));

  below_location = f.view->next->page->location;
  below_text = kios_reader_selection_peek_text (f.view, f.view->next->page);
  below_rect = f.view->other_rect;
  g_assert_cmpfloat (below_rect.origin.y, <, gtk_widget_get_height (GTK_WIDGET (f.view)) - 100);
  from = letter_on_line (below_text, 0, 0);
  to = letter_on_line (below_text, 1, 3);
  g_assert_cmpint (to, >, from);
  expected = kios_page_text_get_string (below_text, from, to);
  drag (f.view, &below_rect, below_text, from, to);

  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  g_assert_cmpint (first, ==, from);
  g_assert_cmpint (last, ==, to);
  g_assert_cmpint (kios_reader_view_get_page_text (f.view)->location.page, ==, below_location.page);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.copy", NULL));
  copied = clipboard_text (GTK_WIDGET (f.view));
  g_assert_cmpstr (copied, ==, expected);
  g_free (kios_test_save_screenshot (GTK_WIDGET (f.view), "scrolled-select-lower-page"));

  kios_test_reader_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  /* GTK's accessibility test backend: the pages' description is checked
   * here (the suite's default, none, keeps no properties). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/reader-spread/right-page", test_spread_right_page);
  g_test_add_func ("/kios/reader-spread/accessible", test_spread_accessible);
  g_test_add_func ("/kios/reader-spread/find", test_spread_find);
  g_test_add_func ("/kios/reader-spread/scrolled", test_scrolled_lower_page);

  return g_test_run ();
}
