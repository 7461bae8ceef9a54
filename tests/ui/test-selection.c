/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-chapter-text.h"
#include "kios-epub.h"
#include "kios-find-bar.h"
#include "kios-reader-selection.h"
#include "kios-reader-view.h"
#include "kios-ui-test-utils.h"

#include <string.h>

static gboolean
page_text_ready (gpointer data)
{
  KiosReaderView *view = data;

  return kios_reader_view_get_page_text (view) != NULL && kios_reader_view_get_page_rect (view, NULL);
}

/* The book is open on a page with text, read and drawn. */
static void
open_at_text (KiosReaderFixture *f,
              const char        *book)
{
  g_autoptr (KiosPosition) position = NULL;
  guint                    before;

  kios_test_reader_setup (f, book, 900, 760);
  kios_test_reader_wait_shown (f, 0);
  before = f->shown;
  position = kios_document_position_at_offset_sync (f->document, 8, 2000, NULL);
  g_assert_nonnull (position);
  kios_reader_view_go_to_position (f->view, position);
  kios_test_reader_wait_shown (f, before);
  kios_test_wait_for_paint (f->window);
  g_assert_true (kios_test_wait_until (page_text_ready, f->view, 10000));
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

/* What a range of the page should copy, from the book's own text: the
 * chapter's characters between the range's offsets, without spaces. */
static char *
dom_between (const char *book,
             int         chapter,
             gint64      from,
             gint64      to)
{
  g_autofree char            *path = kios_test_sample_book (book);
  g_autoptr (KiosEpub)        epub = kios_epub_open (path, NULL);
  const KiosSpineItem        *item = kios_epub_get_spine_item (epub, (guint) chapter);
  g_autoptr (GBytes)          bytes = kios_epub_read_member (epub, item->href, 0, NULL);
  g_autoptr (KiosChapterText) text = kios_chapter_text_new (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  g_autofree char            *out = g_ucs4_to_utf8 (kios_chapter_text_get_chars (text) + from, (glong) (to - from), NULL, NULL, NULL);

  return g_steal_pointer (&out);
}

static char *
without_spaces (const char *s)
{
  GString *out = g_string_new (NULL);

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isspace (c) && c != '-')
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
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

/* The centre of character index in the view's coordinates. */
static void
char_point (KiosReaderView *view,
            int             index,
            double         *x,
            double         *y)
{
  const KiosPageText *text = kios_reader_view_get_page_text (view);
  const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, index);
  graphene_rect_t     rect;

  g_assert_true (kios_reader_view_get_page_rect (view, &rect));
  *x = rect.origin.x + (pc->x0 + pc->x1) / 2 * rect.size.width;
  *y = rect.origin.y + (pc->y0 + pc->y1) / 2 * rect.size.height;
}

/* A drag from one word across several lines selects every character in
 * between, and Ctrl+C copies exactly those words of the book. */
static void
test_drag_and_copy (void)
{
  KiosReaderFixture   f;
  const KiosPageText *text;
  GtkGesture         *drag;
  int                 from = -1, to = -1, first, last;
  double              x0, y0, x1, y1;
  g_autofree char    *copied = NULL;
  g_autofree char    *expected = NULL;
  g_autofree char    *copied_bare = NULL;
  gint64              off_from = -1, off_to = -1;
  int                 page_before;

  open_at_text (&f, "pride-and-prejudice.epub");
  text = kios_reader_view_get_page_text (f.view);
  /* From a word on the third line to one on the sixth. */
  for (guint i = 0; i < text->chars->len && (from < 0 || to < 0); i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      if (from < 0 && pc->line == 2 && g_unichar_isalpha (pc->c))
        from = (int) i;
      if (to < 0 && pc->line == 5 && g_unichar_isalpha (pc->c))
        to = (int) i + 3;
    }
  g_assert_cmpint (from, >=, 0);
  g_assert_cmpint (to, >, from);

  drag = find_drag_gesture (GTK_WIDGET (f.view));
  g_assert_nonnull (drag);
  char_point (f.view, from, &x0, &y0);
  char_point (f.view, to, &x1, &y1);
  page_before = kios_reader_view_get_page (f.view)->location.page;
  g_signal_emit_by_name (drag, "drag-begin", x0, y0);
  g_signal_emit_by_name (drag, "drag-update", x1 - x0, y1 - y0);
  g_signal_emit_by_name (drag, "drag-end", x1 - x0, y1 - y0);

  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  g_assert_cmpint (first, ==, from);
  g_assert_cmpint (last, ==, to);
  /* Selecting did not turn the page. */
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, page_before);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.copy", NULL));
  copied = clipboard_text (GTK_WIDGET (f.view));
  g_assert_null (strchr (copied, '\n'));
  for (int i = first; i <= last; i++)
    {
      gint64 offset = g_array_index (text->chars, KiosPageChar, i).offset;

      if (offset >= 0 && off_from < 0)
        off_from = offset;
      if (offset >= 0)
        off_to = offset + 1;
    }
  expected = dom_between ("pride-and-prejudice.epub", 8, off_from, off_to);
  copied_bare = without_spaces (copied);
  g_assert_cmpstr (copied_bare, ==, expected);
  /* Lines are joined by a space, not run together. */
  g_assert_nonnull (strchr (copied, ' '));

  kios_test_reader_teardown (&f);
}

/* Shift+Right selects the first word, then grows by a character; Ctrl+Shift+Right
 * by a word; Escape drops it. */
static void
test_keyboard (void)
{
  KiosReaderFixture   f;
  const KiosPageText *text;
  int                 first, last, last_before;
  g_autofree char    *word = NULL;
  g_autofree char    *longer = NULL;

  open_at_text (&f, "pride-and-prejudice.epub");
  text = kios_reader_view_get_page_text (f.view);
  g_assert_false (kios_reader_view_get_selection (f.view, NULL, NULL));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.copy", NULL) &&
                  kios_reader_view_get_selection (f.view, NULL, NULL));

  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, GDK_SHIFT_MASK));
  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  word = kios_reader_view_get_selected_text (f.view);
  g_assert_cmpuint (strlen (word), >, 0);
  g_assert_null (strchr (word, ' '));
  g_assert_true (g_unichar_isalnum (g_array_index (text->chars, KiosPageChar, first).c));

  last_before = last;
  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, GDK_SHIFT_MASK));
  g_assert_true (kios_reader_view_get_selection (f.view, NULL, &last));
  g_assert_cmpint (last, ==, last_before + 1);

  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Right, GDK_SHIFT_MASK | GDK_CONTROL_MASK));
  longer = kios_reader_view_get_selected_text (f.view);
  g_assert_nonnull (strchr (longer, ' '));
  g_assert_true (g_str_has_prefix (longer, word));

  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Down, GDK_SHIFT_MASK));
  g_assert_true (kios_reader_view_get_selection (f.view, NULL, &last));
  g_assert_cmpint (g_array_index (text->chars, KiosPageChar, last).line, ==,
                   g_array_index (text->chars, KiosPageChar, first).line + 1);

  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Escape, 0));
  g_assert_false (kios_reader_view_get_selection (f.view, NULL, NULL));
  /* Escape with nothing selected is left to others. */
  g_assert_false (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Escape, 0));

  kios_test_reader_teardown (&f);
}

/* A right-click on a word selects it and opens the menu; Find fills the
 * find bar with it; Look Up's address carries it escaped. */
static void
test_context_menu (void)
{
  KiosReaderFixture   f;
  const KiosPageText *text;
  int                 index = -1, first, last;
  double              x, y;
  g_autofree char    *word = NULL;
  g_autofree char    *uri = NULL;
  GtkWidget          *menu;
  GtkWidget          *entry;

  open_at_text (&f, "pride-and-prejudice.epub");
  text = kios_reader_view_get_page_text (f.view);
  for (guint i = 0; i < text->chars->len && index < 0; i++)
    if (g_array_index (text->chars, KiosPageChar, i).line == 4 &&
        g_unichar_isalpha (g_array_index (text->chars, KiosPageChar, i).c) &&
        i > 0 && g_unichar_isspace (g_array_index (text->chars, KiosPageChar, i - 1).c))
      index = (int) i;
  g_assert_cmpint (index, >=, 0);
  char_point (f.view, index + 1, &x, &y);

  kios_reader_view_context_menu_at (f.view, x, y);
  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  g_assert_cmpint (first, ==, index);
  word = kios_reader_view_get_selected_text (f.view);
  g_assert_null (strchr (word, ' '));
  menu = kios_reader_view_get_selection_menu (f.view);
  g_assert_nonnull (menu);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, menu, 5000));
  gtk_popover_popdown (GTK_POPOVER (menu));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.find-selection", NULL));
  g_assert_true (kios_reader_view_get_find_visible (f.view));
  entry = kios_find_bar_get_entry (KIOS_FIND_BAR (kios_reader_view_get_find_bar (f.view)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, word);

  uri = kios_reader_view_look_up_uri ("naïve café&co");
  g_assert_cmpstr (uri, ==, "https://duckduckgo.com/?q=define+na%C3%AFve%20caf%C3%A9%26co");

  kios_test_reader_teardown (&f);
}

static gboolean
description_changed (gpointer data)
{
  KiosReaderView *view = data;

  return kios_reader_view_get_page_text (view) != NULL;
}

/* The page exposes its words to screen readers as its description and
 * its page label as its name, and both follow a turn. */
static void
test_accessible_page (void)
{
  KiosReaderFixture   f;
  g_autofree char    *words = NULL;
  g_autofree char    *next_words = NULL;
  const KiosPageText *text;
  guint               before;

  open_at_text (&f, "pride-and-prejudice.epub");
  text = kios_reader_view_get_page_text (f.view);
  words = kios_page_text_get_string (text, 0, G_MAXINT);
  g_assert_cmpuint (strlen (words), >, 200);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_ROLE_DOCUMENT);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, words);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       kios_reader_view_get_page_label (f.view));

  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.next-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (kios_test_wait_until (description_changed, f.view, 10000));
  text = kios_reader_view_get_page_text (f.view);
  next_words = kios_page_text_get_string (text, 0, G_MAXINT);
  g_assert_cmpstr (next_words, !=, words);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, next_words);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f.view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       kios_reader_view_get_page_label (f.view));

  /* The menu's colour buttons are named for screen readers. */
  kios_reader_view_select (f.view, 0, 3);
  kios_reader_view_popup_selection_menu (f.view, 100, 100);
  {
    GtkWidget *menu = kios_reader_view_get_selection_menu (f.view);
    GtkWidget *swatch;

    g_assert_true (kios_test_wait_until (kios_test_widget_mapped, menu, 5000));
    swatch = kios_test_find_widget (menu, GTK_TYPE_BUTTON, NULL);
    while (swatch != NULL && !gtk_widget_has_css_class (swatch, "highlight-swatch"))
      swatch = gtk_widget_get_next_sibling (swatch);
    g_assert_nonnull (swatch);
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (swatch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Highlight in Yellow");
    gtk_popover_popdown (GTK_POPOVER (menu));
  }

  kios_test_reader_teardown (&f);
}

int
main (int    argc,
      char **argv)
{
  /* GTK's accessibility test backend: the page's accessible properties are
   * checked here (the suite's default, none, keeps no properties). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/selection/drag-and-copy", test_drag_and_copy);
  g_test_add_func ("/kios/selection/keyboard", test_keyboard);
  g_test_add_func ("/kios/selection/context-menu", test_context_menu);
  g_test_add_func ("/kios/selection/accessible-page", test_accessible_page);

  return g_test_run ();
}
