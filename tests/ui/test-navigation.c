/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-navigation"

#include "config.h"

#include "kios-book-search.h"
#include "kios-epub.h"
#include "kios-find-bar.h"
#include "kios-go-to-popover.h"
#include "kios-library-store.h"
#include "kios-progress-bar.h"
#include "kios-reader-view.h"
#include "kios-reading-pace.h"
#include "kios-ui-test-utils.h"

#include <math.h>
#include <sys/wait.h>

/*
 * Moving freely in a book: the progress bar seeks and names the chapter under
 * the pointer, "Go to" takes a page, a percentage or a chapter, Back and
 * Forward walk the jumps (not the page turns), and the time left comes from
 * the reader's own pace (with an injected clock). Real books, real MuPDF.
 * Pointer gestures are driven by emitting the gesture's signals, as the
 * reader tests do: GTK 4 has no public way to synthesize input.
 */

typedef KiosReaderFixture Fixture;

/* The reading pace's clock, moved by hand (one test runs at a time). */
static gint64 fixture_now;

static gint64
fixture_clock (gpointer user_data)
{
  return fixture_now;
}

/* Waits until the page on screen has the document's current layout and no
 * relayout is pending. */
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
          g_usleep (2000);
          while (g_main_context_iteration (NULL, FALSE))
            ;
          if (kios_reader_view_get_page (f->view) == page && k > 200)
            return;
        }
      g_usleep (1000);
    }
}

/* The shared reader fixture with the book open, the clock injected before
 * the first page is shown (and measured). */
static void
fixture_setup (Fixture    *f,
               const char *name,
               int         width,
               int         height)
{
  fixture_now = 1000 * G_TIME_SPAN_SECOND;
  kios_test_reader_setup (f, name, width, height);
  kios_reader_view_set_clock (f->view, fixture_clock, NULL);
  kios_test_reader_wait_shown (f, 0);
  wait_settled (f);
}

static gboolean
pages_counted (gpointer data)
{
  Fixture *f = data;

  return kios_document_get_n_pages (f->document) > 0;
}

/* Waits until the page on screen is numbered in the whole book. */
static gboolean
page_numbered (gpointer data)
{
  Fixture        *f = data;
  const KiosPage *page = kios_reader_view_get_page (f->view);

  return page != NULL && page->page_number >= 0 && kios_document_get_n_pages (f->document) > 0;
}

static void
wait_counted (Fixture *f)
{
  g_assert_true (kios_test_wait_until (pages_counted, f, 60000));
  g_assert_true (kios_test_wait_until (page_numbered, f, 10000));
  wait_settled (f);
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

static void
press_and_wait (Fixture        *f,
                guint           keyval,
                GdkModifierType modifiers)
{
  guint before = f->shown;

  g_assert_true (kios_test_press_key (GTK_WIDGET (f->view), keyval, modifiers));
  kios_test_reader_wait_shown (f, before);
  wait_settled (f);
}

static void
turn_and_wait (Fixture *f)
{
  guint before = f->shown;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "reader.next-page", NULL));
  kios_test_reader_wait_shown (f, before);
}

static KiosProgressBar *
progress_bar (Fixture *f)
{
  GtkWidget *bar = kios_test_find_widget (GTK_WIDGET (f->view), KIOS_TYPE_PROGRESS_BAR, NULL);

  g_assert_nonnull (bar);
  return KIOS_PROGRESS_BAR (bar);
}

static const char *
toc_title (Fixture *f,
           int      index)
{
  const KiosTocEntry *entry;

  g_assert_cmpint (index, >=, 0);
  entry = g_ptr_array_index (kios_document_get_toc (f->document), index);
  return entry->title;
}

/* A click on the bar (a drag that does not move) lands where it was made, on
 * the chapter its tooltip names; a drag previews, and its release lands. */
static void
test_navigation_seek (void)
{
  Fixture                  f;
  KiosProgressBar         *bar;
  GtkEventController      *drag;
  g_autofree char         *tooltip = NULL;
  g_autofree char         *percent = NULL;
  g_autofree char         *far_tip = NULL;
  g_autoptr (KiosPosition) start = NULL;
  double                   width;
  double                   x;
  guint                    before;

  fixture_setup (&f, "pride-and-prejudice.epub", 900, 700);
  start = kios_position_copy (kios_reader_view_get_position (f.view));
  bar = progress_bar (&f);
  width = gtk_widget_get_width (GTK_WIDGET (bar));
  g_assert_cmpfloat (width, >, 100);
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (bar)));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (bar)), ==, GTK_ACCESSIBLE_ROLE_SLIDER);

  /* The tooltip names what is under the pointer, not where the reader is. */
  far_tip = kios_progress_bar_get_tooltip_at (bar, width * 0.8);
  g_assert_nonnull (far_tip);
  percent = g_strdup_printf ("%d%%", (int) floor (width * 0.8 / width * 100.0));
  g_assert_true (g_str_has_suffix (far_tip, percent));
  g_assert_null (strstr (far_tip, "0% read"));

  x = width * 0.42;
  tooltip = kios_progress_bar_get_tooltip_at (bar, x);
  drag = find_controller (GTK_WIDGET (bar), GTK_TYPE_GESTURE_DRAG);
  g_assert_nonnull (drag);

  /* A click: press and release at the same place. */
  before = f.shown;
  g_signal_emit_by_name (drag, "drag-begin", x, 6.0);
  g_assert_cmpfloat_with_epsilon (kios_progress_bar_get_preview (bar), x / width, 1e-9);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
  g_assert_cmpfloat (kios_progress_bar_get_preview (bar), <, 0.0);
  kios_test_reader_wait_shown (&f, before);
  wait_settled (&f);
  g_test_message ("clicked at %.3f: %s; landed at %.4f in “%s”", x / width, tooltip,
                  kios_reader_view_get_progress (f.view), kios_reader_view_get_chapter_title (f.view));
  /* On the page holding that point of the book: it starts at most a page before. */
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), <=, x / width + 1e-6);
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), >, x / width - 0.005);
  g_assert_true (g_str_has_prefix (tooltip, kios_reader_view_get_chapter_title (f.view)));
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 1);

  /* A drag: the preview follows, the release lands. */
  before = f.shown;
  g_signal_emit_by_name (drag, "drag-begin", width * 0.2, 6.0);
  g_signal_emit_by_name (drag, "drag-update", width * 0.5, 0.0);
  g_assert_cmpfloat_with_epsilon (kios_progress_bar_get_preview (bar), 0.7, 1e-9);
  g_assert_cmpuint (f.shown, ==, before); /* nothing moves until the release */
  g_signal_emit_by_name (drag, "drag-end", width * 0.5, 0.0);
  kios_test_reader_wait_shown (&f, before);
  wait_settled (&f);
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), <=, 0.7 + 1e-6);
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), >, 0.695);
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 2);

  /* Back twice: the click's landing, then the first page; forward again. */
  press_and_wait (&f, GDK_KEY_Left, GDK_ALT_MASK);
  g_assert_cmpfloat (fabs (kios_reader_view_get_progress (f.view) - x / width), <, 0.005);
  press_and_wait (&f, GDK_KEY_Left, GDK_ALT_MASK);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->chapter, ==, start->chapter);
  g_assert_cmpint (kios_reader_view_get_position (f.view)->offset, ==, start->offset);
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 0);
  g_assert_cmpuint (kios_reader_view_get_n_forward (f.view), ==, 2);
  g_assert_false (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_Left, GDK_ALT_MASK) &&
                  kios_reader_view_get_n_back (f.view) > 0);
  press_and_wait (&f, GDK_KEY_Right, GDK_ALT_MASK);
  g_assert_cmpfloat (fabs (kios_reader_view_get_progress (f.view) - x / width), <, 0.005);
  g_assert_cmpuint (kios_reader_view_get_n_forward (f.view), ==, 1);

  kios_test_reader_teardown (&f);
}

/* The tooltip's chapter is the contents entry starting last before the point. */
static void
test_navigation_tooltip (void)
{
  KiosProgressBar  *bar = KIOS_PROGRESS_BAR (g_object_ref_sink (kios_progress_bar_new ()));
  double            starts[] = { 0.0, 0.25, 0.25, 0.6 };
  const char *const titles[] = { "Opening", "Part Two", "Chapter 5", "Finale" };
  g_autofree char  *a = NULL;
  g_autofree char  *b = NULL;
  g_autofree char  *c = NULL;
  g_autofree char  *d = NULL;

  a = kios_progress_bar_describe (bar, 0.5);
  g_assert_cmpstr (a, ==, "50%");
  kios_progress_bar_set_chapters (bar, starts, titles, G_N_ELEMENTS (starts));
  b = kios_progress_bar_describe (bar, 0.1);
  c = kios_progress_bar_describe (bar, 0.3);
  d = kios_progress_bar_describe (bar, 0.999);
  g_assert_cmpstr (b, ==, "Opening · 10%");
  /* Two entries at one place (sections of one file): the enclosing, first one. */
  g_assert_cmpstr (c, ==, "Part Two · 30%");
  g_assert_cmpstr (d, ==, "Finale · 99%");
  g_assert_finalize_object (bar);
}

static void
assert_go_to_fails (Fixture    *f,
                    const char *text,
                    const char *expected)
{
  g_autofree char *message = NULL;
  guint            before = f->shown;

  g_assert_false (kios_reader_view_go_to_text (f->view, text, &message));
  g_assert_nonnull (message);
  g_test_message ("go to “%s”: %s", text, message);
  g_assert_nonnull (strstr (message, expected));
  for (int i = 0; i < 20; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
  g_assert_cmpuint (f->shown, ==, before);
}

static void
go_to_and_wait (Fixture    *f,
                const char *text)
{
  g_autofree char *message = NULL;
  guint            before = f->shown;

  g_assert_true (kios_reader_view_go_to_text (f->view, text, &message));
  g_assert_null (message);
  kios_test_reader_wait_shown (f, before);
  wait_settled (f);
}

/* A contents entry a typed name finds first. */
static int
unique_title_entry (Fixture *f,
                    int      from)
{
  GPtrArray *toc = kios_document_get_toc (f->document);

  for (guint i = from; i < toc->len; i++)
    {
      const KiosTocEntry *entry = g_ptr_array_index (toc, i);
      guint               same = 0;

      if (entry->title == NULL || entry->chapter < 0)
        continue;
      for (guint j = 0; j < toc->len; j++)
        {
          const KiosTocEntry *other = g_ptr_array_index (toc, j);

          if (other->title != NULL && strstr (other->title, entry->title) != NULL)
            same++;
        }
      if (same == 1)
        return (int) i;
    }
  return -1;
}

static void
test_navigation_go_to (void)
{
  Fixture          f;
  KiosGoToPopover *popover;
  GtkWidget       *entry;
  int              index;
  int              n_pages;
  g_autofree char *lower = NULL;
  g_autofree char *page_text = NULL;
  g_autofree char *too_far = NULL;

  fixture_setup (&f, "pride-and-prejudice.epub", 900, 700);
  wait_counted (&f);
  n_pages = kios_document_get_n_pages (f.document);
  g_test_message ("%d pages", n_pages);
  g_assert_cmpint (n_pages, >, 200);

  /* A page of the current layout: "page 120" and "120". */
  go_to_and_wait (&f, "page 120");
  g_assert_cmpint (kios_reader_view_get_page (f.view)->page_number, ==, 119);
  g_assert_true (g_str_has_prefix (kios_reader_view_get_page_label (f.view), "Page 120 of "));
  page_text = g_strdup_printf ("%d", n_pages - 3);
  go_to_and_wait (&f, page_text);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->page_number, ==, n_pages - 4);

  /* A percentage. */
  go_to_and_wait (&f, "45%");
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), <=, 0.45 + 1e-6);
  g_assert_cmpfloat (kios_reader_view_get_progress (f.view), >, 0.445);

  /* A chapter by its name, in any case, or by the start of it. */
  index = unique_title_entry (&f, 12);
  g_assert_cmpint (index, >, 0);
  lower = g_utf8_strdown (toc_title (&f, index), -1);
  go_to_and_wait (&f, lower);
  g_assert_cmpint (kios_reader_view_get_toc_index (f.view), ==, index);
  g_assert_cmpstr (kios_reader_view_get_chapter_title (f.view), ==, toc_title (&f, index));

  /* What cannot be gone to says why, and nothing moves. */
  too_far = g_strdup_printf ("page %d", n_pages + 1);
  assert_go_to_fails (&f, too_far, "pages 1 to");
  assert_go_to_fails (&f, "0", "pages 1 to");
  assert_go_to_fails (&f, "150%", "0% to 100%");
  assert_go_to_fails (&f, "abc%", "0% to 100%");
  assert_go_to_fails (&f, "zzqx chapter that is not", "No chapter called");
  assert_go_to_fails (&f, "   ", "Type a page number");

  /* Through Ctrl+G: the popover, its list of chapters, its message. */
  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_g, GDK_CONTROL_MASK));
  popover = KIOS_GO_TO_POPOVER (kios_reader_view_get_go_to_popover (f.view));
  g_assert_nonnull (popover);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, popover, 5000));
  entry = kios_go_to_popover_get_entry (popover);
  gtk_editable_set_text (GTK_EDITABLE (entry), "chap");
  g_assert_cmpuint (kios_go_to_popover_get_suggestions (popover)->len, >, 1);
  gtk_editable_set_text (GTK_EDITABLE (entry), "page 999999");
  g_assert_cmpuint (kios_go_to_popover_get_suggestions (popover)->len, ==, 0);
  g_signal_emit_by_name (entry, "activate");
  g_assert_nonnull (kios_go_to_popover_get_message (popover));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));
  if (g_getenv ("KIOS_SCREENSHOT_DIR") != NULL)
    {
      g_autofree char *shot = NULL;

      gtk_editable_set_text (GTK_EDITABLE (entry), "chapter 1");
      shot = kios_test_save_screenshot (GTK_WIDGET (popover), "go-to-popover");
      g_free (shot);
      gtk_editable_set_text (GTK_EDITABLE (entry), "page 999999");
      g_signal_emit_by_name (entry, "activate");
      shot = kios_test_save_screenshot (GTK_WIDGET (popover), "go-to-popover-error");
    }
  /* Typing again clears the message; a picked chapter is gone to. */
  gtk_editable_set_text (GTK_EDITABLE (entry), lower);
  g_assert_null (kios_go_to_popover_get_message (popover));
  g_assert_cmpuint (kios_go_to_popover_get_suggestions (popover)->len, >=, 1);
  g_assert_cmpint (g_array_index (kios_go_to_popover_get_suggestions (popover), int, 0), ==, index);
  go_to_and_wait (&f, "10%");
  {
    guint before = f.shown;

    g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_g, GDK_CONTROL_MASK));
    gtk_editable_set_text (GTK_EDITABLE (entry), lower);
    kios_go_to_popover_pick (popover, 0);
    kios_test_reader_wait_shown (&f, before);
    wait_settled (&f);
  }
  g_assert_cmpint (kios_reader_view_get_toc_index (f.view), ==, index);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (popover)));

  kios_test_reader_teardown (&f);
}

/* A PDF's pages are its pages. */
static void
test_navigation_go_to_pdf (void)
{
  Fixture f;

  fixture_setup (&f, "persuasion.pdf", 900, 700);
  go_to_and_wait (&f, "p. 7");
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, 6);
  go_to_and_wait (&f, "50%");
  g_assert_cmpfloat (fabs (kios_reader_view_get_progress (f.view) - 0.5), <, 0.02);
  assert_go_to_fails (&f, "page 100000", "pages 1 to");
  kios_test_reader_teardown (&f);
}

/* Back returns from a contents jump, past the turns made since; turns alone
 * make no history. */
static void
test_navigation_back_forward (void)
{
  Fixture      f;
  int          index;
  KiosLocation first;
  KiosLocation landed;
  GtkWidget   *pill;
  const char  *label;
  guint        before;

  fixture_setup (&f, "pride-and-prejudice.epub", 900, 700);
  wait_counted (&f);
  for (int i = 0; i < 3; i++)
    turn_and_wait (&f);
  first = kios_reader_view_get_page (f.view)->location;
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 0);
  g_assert_false (gtk_widget_get_visible (kios_reader_view_get_back_button (f.view)));

  index = unique_title_entry (&f, 10);
  before = f.shown;
  kios_reader_view_go_to_toc (f.view, index);
  kios_test_reader_wait_shown (&f, before);
  wait_settled (&f);
  landed = kios_reader_view_get_page (f.view)->location;
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 1);
  pill = kios_reader_view_get_back_button (f.view);
  g_assert_true (gtk_widget_get_visible (pill));
  label = gtk_button_get_label (GTK_BUTTON (pill));
  g_test_message ("pill: %s", label);
  g_assert_cmpstr (label, ==, "Back to page 4");

  turn_and_wait (&f);
  turn_and_wait (&f);
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 1);

  /* The pill goes back, as Alt+Left does. */
  before = f.shown;
  g_signal_emit_by_name (pill, "clicked");
  kios_test_reader_wait_shown (&f, before);
  wait_settled (&f);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, first.chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, first.page);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->page_number, ==, 3);
  g_assert_false (gtk_widget_get_visible (pill));
  g_assert_cmpuint (kios_reader_view_get_n_forward (f.view), ==, 1);

  press_and_wait (&f, GDK_KEY_Right, GDK_ALT_MASK);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, landed.chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, landed.page + 2);
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 1);
  g_assert_cmpuint (kios_reader_view_get_n_forward (f.view), ==, 0);

  /* A sync jump that asks for it is a jump too. */
  {
    g_autoptr (KiosPosition) target = kios_position_new ();

    target->format = KIOS_BOOK_FORMAT_EPUB;
    target->chapter = -1;
    target->total_progress = 0.8;
    before = f.shown;
    kios_reader_view_jump_to (f.view, target, KIOS_JUMP_RECORD_BACK);
    kios_test_reader_wait_shown (&f, before);
    wait_settled (&f);
    g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 2);
    press_and_wait (&f, GDK_KEY_Left, GDK_ALT_MASK);
    g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, landed.chapter);
    g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, landed.page + 2);
  }

  kios_test_reader_teardown (&f);
}

static gboolean
search_complete (gpointer data)
{
  KiosBookSearch *search = kios_find_bar_get_search (KIOS_FIND_BAR (data));

  return search != NULL && kios_book_search_is_complete (search);
}

/* Staying on a find match is a jump: Back returns to where the search began. */
static void
test_navigation_back_from_find (void)
{
  Fixture      f;
  KiosFindBar *bar;
  GtkWidget   *entry;
  KiosLocation origin;
  guint        before;

  fixture_setup (&f, "pride-and-prejudice.epub", 900, 700);
  for (int i = 0; i < 2; i++)
    turn_and_wait (&f);
  origin = kios_reader_view_get_page (f.view)->location;

  bar = KIOS_FIND_BAR (kios_reader_view_get_find_bar (f.view));
  entry = kios_find_bar_get_entry (bar);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.find", NULL));
  gtk_editable_set_text (GTK_EDITABLE (entry), "Pemberley");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_true (kios_test_wait_until (search_complete, bar, 20000));
  before = f.shown;
  g_signal_emit_by_name (entry, "activate");
  kios_test_reader_wait_shown (&f, before);
  wait_settled (&f);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, >, origin.chapter);
  kios_reader_view_set_find_visible (f.view, FALSE, FALSE);
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), ==, 1);

  press_and_wait (&f, GDK_KEY_Left, GDK_ALT_MASK);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, origin.chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, origin.page);

  kios_test_reader_teardown (&f);
}

static void
test_navigation_pace (void)
{
  g_autoptr (KiosReadingPace) pace = kios_reading_pace_new ();
  gint64                      t = 0;
  g_autofree char            *a = kios_reading_pace_format_minutes (0.4);
  g_autofree char            *b = kios_reading_pace_format_minutes (12.2);
  g_autofree char            *c = kios_reading_pace_format_minutes (400);
  g_autofree char            *d = kios_reading_pace_format_minutes (60);

  g_assert_cmpstr (a, ==, "less than a minute");
  g_assert_cmpstr (b, ==, "12 min");
  g_assert_cmpstr (c, ==, "6 h 40 min");
  g_assert_cmpstr (d, ==, "1 h");

  /* Skims (1 s a page) and idle gaps (10 min) are not reading. */
  kios_reading_pace_page_shown (pace, t, 0.0, FALSE);
  for (int i = 1; i <= 10; i++)
    kios_reading_pace_page_shown (pace, t += G_TIME_SPAN_SECOND, 0.001 * i, TRUE);
  for (int i = 11; i <= 20; i++)
    kios_reading_pace_page_shown (pace, t += 10 * G_TIME_SPAN_MINUTE, 0.001 * i, TRUE);
  g_assert_cmpuint (kios_reading_pace_get_n_samples (pace), ==, 0);
  g_assert_cmpfloat (kios_reading_pace_get_rate (pace), ==, 0.0);

  /* A jump is no sample; four turns are not enough yet, the fifth is. */
  kios_reading_pace_page_shown (pace, t += 30 * G_TIME_SPAN_SECOND, 0.5, FALSE);
  for (int i = 1; i <= 4; i++)
    kios_reading_pace_page_shown (pace, t += 30 * G_TIME_SPAN_SECOND, 0.5 + 0.001 * i, TRUE);
  g_assert_cmpfloat (kios_reading_pace_get_rate (pace), ==, 0.0);
  kios_reading_pace_page_shown (pace, t += 30 * G_TIME_SPAN_SECOND, 0.505, TRUE);
  /* 0.001 of the book per half minute. */
  g_assert_cmpfloat_with_epsilon (kios_reading_pace_get_rate (pace), 0.002, 1e-9);
}

/* The time left appears once enough turns were measured, from their pace. */
static void
test_navigation_time_left (void)
{
  Fixture          f;
  double           start;
  double           rate;
  double           progress;
  g_autofree char *book = NULL;

  fixture_setup (&f, "pride-and-prejudice.epub", 900, 700);
  g_assert_null (kios_reader_view_get_time_left (f.view));

  /* Skimming does not count. */
  for (int i = 0; i < 6; i++)
    {
      fixture_now += G_TIME_SPAN_SECOND;
      turn_and_wait (&f);
    }
  g_assert_null (kios_reader_view_get_time_left (f.view));

  start = kios_reader_view_get_progress (f.view);
  for (int i = 0; i < 5; i++)
    {
      fixture_now += 40 * G_TIME_SPAN_SECOND;
      turn_and_wait (&f);
      if (i < 4)
        g_assert_null (kios_reader_view_get_time_left (f.view));
    }
  progress = kios_reader_view_get_progress (f.view);
  rate = (progress - start) / (5 * 40 / 60.0);
  book = kios_reading_pace_format_minutes ((1.0 - progress) / rate);
  g_test_message ("time left: %s (pace %.5f of the book a minute)", kios_reader_view_get_time_left (f.view), rate);
  g_assert_nonnull (kios_reader_view_get_time_left (f.view));
  g_assert_nonnull (strstr (kios_reader_view_get_time_left (f.view), " left in chapter · "));
  g_assert_true (g_str_has_suffix (kios_reader_view_get_time_left (f.view), " left in book"));
  g_assert_nonnull (strstr (kios_reader_view_get_time_left (f.view), book));

  if (g_getenv ("KIOS_SCREENSHOT_DIR") != NULL)
    g_free (kios_test_save_screenshot (f.window, "time-left"));

  kios_test_reader_teardown (&f);
}

static void
spin (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

/* Screenshots of the whole screen (only with KIOS_SCREENSHOT_DIR): the bar's
 * tooltip under a real pointer (moved through XTest), and "Go to". */
static void
test_navigation_screenshots (void)
{
  const char        *dir = g_getenv ("KIOS_SCREENSHOT_DIR");
  g_autofree char   *script = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "scripts", "screenshot-pointer.py", NULL);
  g_autofree char   *tooltip_png = NULL;
  g_autofree char   *go_to_png = NULL;
  g_autofree char   *xs = NULL;
  g_autofree char   *ys = NULL;
  g_autoptr (GError) error = NULL;
  GPid               pid;
  Fixture            f;
  KiosProgressBar   *bar;
  graphene_point_t   point;
  KiosGoToPopover   *popover;
  int                status = 0;

  if (dir == NULL)
    {
      g_test_skip ("set KIOS_SCREENSHOT_DIR");
      return;
    }
  fixture_setup (&f, "pride-and-prejudice.epub", 1000, 700);
  wait_counted (&f);
  go_to_and_wait (&f, "page 40");
  bar = progress_bar (&f);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (bar), f.window,
                                           &GRAPHENE_POINT_INIT (gtk_widget_get_width (GTK_WIDGET (bar)) * 0.63, 8), &point));
  xs = g_strdup_printf ("%d", (int) point.x);
  ys = g_strdup_printf ("%d", (int) point.y);
  tooltip_png = g_build_filename (dir, "progress-tooltip.png", NULL);
  g_assert_true (g_spawn_async (NULL, (char *[]){ "python3", script, xs, ys, "2.0", tooltip_png, NULL }, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  spin (3500);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_test_message ("screenshot: %s", tooltip_png);

  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_g, GDK_CONTROL_MASK));
  popover = KIOS_GO_TO_POPOVER (kios_reader_view_get_go_to_popover (f.view));
  gtk_editable_set_text (GTK_EDITABLE (kios_go_to_popover_get_entry (popover)), "chapter 1");
  spin (800);
  go_to_png = g_build_filename (dir, "go-to.png", NULL);
  g_assert_true (g_spawn_sync (NULL, (char *[]){ "import", "-window", "root", go_to_png, NULL }, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_test_message ("screenshot: %s", go_to_png);
  /* Without a compositor the screen shows the popover's shadow black: the
   * widgets drawn by themselves are kept too, to be put together. */
  g_free (kios_test_save_screenshot (f.window, "go-to-window"));
  g_free (kios_test_save_screenshot (GTK_WIDGET (popover), "go-to-popover"));
  gtk_popover_popdown (GTK_POPOVER (popover));

  kios_test_reader_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/navigation/tooltip", test_navigation_tooltip);
  g_test_add_func ("/kios/navigation/pace", test_navigation_pace);
  g_test_add_func ("/kios/navigation/seek", test_navigation_seek);
  g_test_add_func ("/kios/navigation/go-to", test_navigation_go_to);
  g_test_add_func ("/kios/navigation/go-to-pdf", test_navigation_go_to_pdf);
  g_test_add_func ("/kios/navigation/back-forward", test_navigation_back_forward);
  g_test_add_func ("/kios/navigation/back-from-find", test_navigation_back_from_find);
  g_test_add_func ("/kios/navigation/time-left", test_navigation_time_left);
  g_test_add_func ("/kios/navigation/screenshots", test_navigation_screenshots);

  return g_test_run ();
}
