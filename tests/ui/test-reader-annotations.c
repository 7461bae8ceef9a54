/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-annotations-sidebar.h"
#include "kios-contents-sidebar.h"
#include "kios-reader-annotations.h"
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

static void
open_at_text_full (KiosReaderFixture *f,
                   const char        *book,
                   int                chapter,
                   gint64             offset,
                   GtkWidget         *titlebar)
{
  g_autoptr (KiosPosition) position = NULL;
  guint                    before;

  kios_test_reader_setup_full (f, book, titlebar != NULL ? 1000 : 900, titlebar != NULL ? 720 : 760, titlebar);
  kios_test_reader_wait_shown (f, 0);
  before = f->shown;
  position = kios_document_position_at_offset_sync (f->document, chapter, offset, NULL);
  g_assert_nonnull (position);
  kios_reader_view_go_to_position (f->view, position);
  kios_test_reader_wait_shown (f, before);
  kios_test_wait_for_paint (f->window);
  g_assert_true (kios_test_wait_until (page_text_ready, f->view, 10000));
}

static void
open_at_text (KiosReaderFixture *f,
              const char        *book,
              int                chapter,
              gint64             offset)
{
  open_at_text_full (f, book, chapter, offset, NULL);
}

static void
changed_cb (KiosReaderView *view,
            guint          *count)
{
  (*count)++;
}

typedef struct
{
  guint *count;
  guint  target;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *wait = data;

  return *wait->count >= wait->target;
}

static void
wait_changed (guint *count,
              guint  before)
{
  CountWait wait = { count, before + 1 };

  g_assert_true (kios_test_wait_until (count_reached, &wait, 10000));
}

/* The text of the page's highlight runs, joined. */
static char *
runs_text (KiosReaderView *view)
{
  GArray             *runs = kios_reader_view_get_highlight_runs (view);
  const KiosPageText *text = kios_reader_view_get_page_text (view);
  GString            *out = g_string_new (NULL);

  for (guint i = 0; i < runs->len; i++)
    {
      const KiosHighlightRun *run = &g_array_index (runs, KiosHighlightRun, i);
      g_autofree char        *part = kios_page_text_get_string (text, run->first, run->last);

      g_string_append (out, part);
    }
  return g_string_free (out, FALSE);
}

/* The share of the first highlight run's first line drawn in a green tone
 * (more green than red or blue), in the view as it paints now. */
static double
green_share (KiosReaderView *view)
{
  GArray             *runs = kios_reader_view_get_highlight_runs (view);
  const KiosPageText *text = kios_reader_view_get_page_text (view);
  g_autofree guchar  *pixels = NULL;
  const KiosPageChar *pc;
  graphene_rect_t     rect;
  int                 width, height;
  int                 x0, x1, y0, y1, green = 0, all = 0;

  g_assert_cmpuint (runs->len, >, 0);
  kios_test_wait_for_paint (GTK_WIDGET (view));
  pixels = kios_test_render_pixels (GTK_WIDGET (view), &width, &height);

  g_assert_true (kios_reader_view_get_page_rect (view, &rect));
  pc = &g_array_index (text->chars, KiosPageChar, g_array_index (runs, KiosHighlightRun, 0).first);
  x0 = (int) (rect.origin.x + pc->x0 * rect.size.width) + 1;
  x1 = x0 + 20;
  y0 = (int) (rect.origin.y + pc->y0 * rect.size.height) + 1;
  y1 = (int) (rect.origin.y + pc->y1 * rect.size.height) - 1;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        const guchar *p = pixels + ((gsize) y * width + x) * 4; /* B, G, R, A (little endian ARGB) */

        all++;
        if (p[1] > p[2] + 20 && p[1] > p[0] + 20)
          green++;
      }
  return all > 0 ? (double) green / all : 0.0;
}

/* A highlight made from the selection is stored as a range of positions,
 * painted on its words, and still on the same words at another font size. */
static void
test_highlight_survives_font_change (void)
{
  KiosReaderFixture     f;
  const KiosPageText   *text;
  guint                 changes = 0, before;
  int                   from = -1, to = -1;
  g_autofree char      *words = NULL;
  g_autofree char      *painted = NULL;
  g_autofree char      *painted_again = NULL;
  g_autoptr (GPtrArray) stored = NULL;
  KiosAnnotation       *highlight;

  open_at_text (&f, "pride-and-prejudice.epub", 8, 2000);
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  text = kios_reader_view_get_page_text (f.view);
  /* Three words from the start of the third line. */
  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      if (from < 0 && pc->line == 2 && g_unichar_isalpha (pc->c))
        from = (int) i;
      if (from >= 0 && g_unichar_isspace (pc->c) && ++to == 2)
        {
          to = (int) i - 1;
          break;
        }
    }
  g_assert_cmpint (from, >=, 0);
  g_assert_cmpint (to, >, from);
  g_assert_true (kios_reader_view_select (f.view, from, to));
  words = kios_reader_view_get_selected_text (f.view);

  before = changes;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.highlight", "s", "green"));
  wait_changed (&changes, before);

  /* Stored, with both ends in the book. */
  stored = kios_library_store_list_annotations (f.store, kios_document_get_hash (f.document), NULL);
  g_assert_cmpuint (stored->len, ==, 1);
  highlight = g_ptr_array_index (stored, 0);
  g_assert_cmpint (highlight->kind, ==, KIOS_ANNOTATION_HIGHLIGHT);
  g_assert_cmpstr (highlight->color, ==, "green");
  g_assert_cmpint (highlight->start->chapter, ==, 8);
  g_assert_cmpint (highlight->start->offset, ==, g_array_index (text->chars, KiosPageChar, from).offset);
  g_assert_nonnull (highlight->start->xpointer);
  g_assert_nonnull (highlight->end->xpointer);
  g_assert_cmpstr (highlight->text, ==, words);
  g_assert_false (kios_reader_view_get_selection (f.view, NULL, NULL));

  /* Painted on exactly those words. */
  g_assert_cmpuint (kios_reader_view_get_highlight_runs (f.view)->len, ==, 1);
  painted = runs_text (f.view);
  g_assert_cmpstr (painted, ==, words);
  /* And drawn: the page under those words is green now. */
  g_assert_cmpfloat (green_share (f.view), >, 0.4);

  /* A bigger font: the same words, found again from the stored range. */
  before = f.shown;
  g_object_set (f.view, "font-size", 26.0, NULL);
  kios_test_reader_wait_shown (&f, before);
  before = f.shown;
  kios_reader_view_go_to_annotation (f.view, highlight);
  kios_test_reader_wait_shown (&f, before);
  kios_test_wait_for_paint (f.window);
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
  g_assert_cmpuint (kios_reader_view_get_highlight_runs (f.view)->len, ==, 1);
  painted_again = runs_text (f.view);
  g_assert_cmpstr (painted_again, ==, words);
  g_assert_cmpfloat (green_share (f.view), >, 0.4);

  kios_test_reader_teardown (&f);
}

/* With a renderer that blends (GL), a highlight on light paper is a
 * marker under the words: the page is multiplied by its colour, so the
 * ink stays as dark as it was and the paper around it takes the colour. */
static void
test_highlight_keeps_ink (void)
{
  KiosReaderFixture   f;
  guint               changes = 0, before;
  const KiosPageText *text;
  GArray             *runs;
  g_autofree guchar  *pixels = NULL;
  graphene_rect_t     rect;
  int                 width, height, darkest = 255, yellow = 0, all = 0;
  GskRenderer        *renderer;

  /* GTK reads GSK_RENDERER once, for the first window: in a process of
   * its own, before any window. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDOUT);
      g_test_trap_assert_passed ();
      return;
    }
  g_setenv ("GSK_RENDERER", "gl", TRUE);
  open_at_text (&f, "pride-and-prejudice.epub", 8, 2000);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (GTK_WIDGET (f.view)));
  if (GSK_IS_CAIRO_RENDERER (renderer))
    {
      kios_test_reader_teardown (&f);
      g_test_message ("No GL renderer on this display: not checked");
      return;
    }
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  g_assert_true (kios_reader_view_select (f.view, 0, 60));
  before = changes;
  g_assert_true (kios_reader_view_highlight_selection (f.view, "yellow", NULL));
  wait_changed (&changes, before);
  runs = kios_reader_view_get_highlight_runs (f.view);
  g_assert_cmpuint (runs->len, ==, 1);
  kios_test_wait_for_paint (f.window);
  pixels = kios_test_render_pixels (GTK_WIDGET (f.view), &width, &height);
  text = kios_reader_view_get_page_text (f.view);
  g_assert_true (kios_reader_view_get_page_rect (f.view, &rect));
  for (int i = g_array_index (runs, KiosHighlightRun, 0).first; i <= g_array_index (runs, KiosHighlightRun, 0).last; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      for (int y = (int) (rect.origin.y + pc->y0 * rect.size.height) + 1; y < (int) (rect.origin.y + pc->y1 * rect.size.height); y++)
        for (int x = (int) (rect.origin.x + pc->x0 * rect.size.width) + 1; x < (int) (rect.origin.x + pc->x1 * rect.size.width); x++)
          {
            const guchar *p = pixels + ((gsize) y * width + x) * 4; /* B, G, R, A */

            all++;
            darkest = MIN (darkest, MAX (p[0], MAX (p[1], p[2])));
            yellow += p[2] > 200 && p[1] > 170 && p[0] < 110;
          }
    }
  g_assert_cmpint (all, >, 100);
  /* Black ink (a wash over it would leave it no darker than about 100). */
  g_assert_cmpint (darkest, <, 60);
  g_assert_cmpfloat ((double) yellow / all, >, 0.3);

  kios_test_reader_teardown (&f);
}

/* Ctrl+D marks the page, only that page, and takes the mark off again. */
static void
test_bookmark_toggle (void)
{
  KiosReaderFixture     f;
  guint                 changes = 0, before;
  g_autoptr (GPtrArray) stored = NULL;
  KiosLocation          here;

  open_at_text (&f, "pride-and-prejudice.epub", 8, 2000);
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  here = kios_reader_view_get_page (f.view)->location;
  g_assert_false (kios_reader_view_get_page_bookmarked (f.view));

  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_d, GDK_CONTROL_MASK));
  g_assert_true (kios_reader_view_get_page_bookmarked (f.view));
  stored = kios_library_store_list_annotations (f.store, kios_document_get_hash (f.document), NULL);
  g_assert_cmpuint (stored->len, ==, 1);
  g_assert_cmpint (((KiosAnnotation *) g_ptr_array_index (stored, 0))->kind, ==, KIOS_ANNOTATION_BOOKMARK);
  g_assert_cmpint (((KiosAnnotation *) g_ptr_array_index (stored, 0))->start->chapter, ==, here.chapter);
  g_clear_pointer (&stored, g_ptr_array_unref);

  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.next-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
  g_assert_false (kios_reader_view_get_page_bookmarked (f.view));

  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.previous-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
  g_assert_true (kios_reader_view_get_page_bookmarked (f.view));

  before = changes;
  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_d, GDK_CONTROL_MASK));
  g_assert_cmpuint (changes, >, before);
  g_assert_false (kios_reader_view_get_page_bookmarked (f.view));
  stored = kios_library_store_list_annotations (f.store, kios_document_get_hash (f.document), NULL);
  g_assert_cmpuint (stored->len, ==, 0);

  kios_test_reader_teardown (&f);
}

static void
text_at_shown_cb (KiosReaderView *view,
                  gboolean       *had_text)
{
  *had_text = kios_reader_view_get_page_text (view) != NULL && kios_reader_view_get_highlight_runs (view)->len > 0;
}

/* The next page's words are read ahead: a turn shows its highlights in the
 * same frame as the page, and back again. */
static void
test_read_ahead (void)
{
  KiosReaderFixture f;
  guint             changes = 0, before;
  gboolean          had_text = FALSE;
  gulong            id;

  open_at_text (&f, "pride-and-prejudice.epub", 8, 2000);
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  /* A highlight on this page and on the next: select them there. */
  for (int turn = 0; turn < 2; turn++)
    {
      g_assert_true (kios_reader_view_select (f.view, 10, 30));
      before = changes;
      g_assert_true (kios_reader_view_highlight_selection (f.view, "yellow", NULL));
      wait_changed (&changes, before);
      before = f.shown;
      gtk_widget_activate_action (GTK_WIDGET (f.view), turn == 0 ? "reader.next-page" : "reader.previous-page", NULL);
      kios_test_reader_wait_shown (&f, before);
      g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
    }
  /* Back on the first page; the next one's text was read meanwhile. */
  for (int i = 0; i < 100; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
  id = g_signal_connect (f.view, "page-shown", G_CALLBACK (text_at_shown_cb), &had_text);
  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.next-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (had_text);
  before = f.shown;
  had_text = FALSE;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.previous-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (had_text);
  g_signal_handler_disconnect (f.view, id);

  kios_test_reader_teardown (&f);
}

static gboolean
file_written (gpointer data)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (data, &contents, NULL, NULL) && strstr (contents, "A note of mine") != NULL;
}

/* The sidebar lists the book's annotations by chapter, jumps to one (Back
 * returns), changes its colour, deletes it, and exports them as Markdown. */
static void
test_sidebar (void)
{
  KiosReaderFixture       f;
  guint                   changes = 0, before;
  GtkWidget              *contents;
  KiosAnnotationsSidebar *sidebar;
  g_autofree char        *words = NULL;
  g_autofree char        *path = NULL;
  g_autofree char        *markdown = NULL;
  g_autoptr (GFile)       file = NULL;
  GPtrArray              *annotations;
  GtkWidget              *row;
  KiosLocation            marked;

  open_at_text (&f, "pride-and-prejudice.epub", 8, 2000);
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  contents = kios_reader_view_get_contents_sidebar (f.view);
  sidebar = KIOS_ANNOTATIONS_SIDEBAR (kios_contents_sidebar_get_annotations_sidebar (KIOS_CONTENTS_SIDEBAR (contents)));
  g_assert_cmpuint (kios_annotations_sidebar_get_n_rows (sidebar), ==, 0);

  /* Ctrl+B shows the annotations beside the page (which is laid out again, narrower). */
  before = f.shown;
  g_assert_true (kios_test_press_key (GTK_WIDGET (f.view), GDK_KEY_b, GDK_CONTROL_MASK));
  kios_test_reader_wait_shown (&f, before);
  kios_test_wait_for_paint (f.window);
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
  g_assert_true (kios_reader_view_get_contents_visible (f.view));
  g_assert_true (kios_contents_sidebar_get_annotations_visible (KIOS_CONTENTS_SIDEBAR (contents)));

  /* A highlight of the first words, then a bookmark on this page. */
  marked = kios_reader_view_get_page (f.view)->location;
  g_assert_true (kios_reader_view_select (f.view, 0, 40));
  words = kios_reader_view_get_selected_text (f.view);
  before = changes;
  g_assert_true (kios_reader_view_highlight_selection (f.view, "blue", "A note of mine"));
  wait_changed (&changes, before);
  g_assert_true (kios_reader_view_toggle_bookmark (f.view));
  g_assert_cmpuint (kios_annotations_sidebar_get_n_rows (sidebar), ==, 2);

  /* Elsewhere in the book, a click on the highlight's row goes back to it. */
  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.first-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  annotations = kios_reader_view_get_annotations (f.view);
  for (guint i = 0; i < annotations->len; i++)
    if (((KiosAnnotation *) g_ptr_array_index (annotations, i))->kind == KIOS_ANNOTATION_HIGHLIGHT)
      {
        before = f.shown;
        kios_annotations_sidebar_activate (sidebar, i);
        kios_test_reader_wait_shown (&f, before);
      }
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.chapter, ==, marked.chapter);
  g_assert_cmpint (kios_reader_view_get_page (f.view)->location.page, ==, marked.page);
  g_assert_cmpuint (kios_reader_view_get_n_back (f.view), >, 0);

  /* The row menu's colour and delete. */
  row = kios_annotations_sidebar_get_row (sidebar, 0);
  if (((KiosAnnotation *) g_ptr_array_index (annotations, 0))->kind != KIOS_ANNOTATION_HIGHLIGHT)
    row = kios_annotations_sidebar_get_row (sidebar, 1);
  before = changes;
  g_assert_true (gtk_widget_activate_action (row, "row.color", "s", "red"));
  g_assert_cmpuint (changes, >, before);
  {
    g_autoptr (GPtrArray) stored = kios_library_store_list_annotations (f.store, kios_document_get_hash (f.document), NULL);
    gboolean              red = FALSE;

    for (guint i = 0; i < stored->len; i++)
      red |= g_strcmp0 (((KiosAnnotation *) g_ptr_array_index (stored, i))->color, "red") == 0;
    g_assert_true (red);
  }

  /* Export: the title, the quoted words and the note. */
  path = g_build_filename (g_get_user_data_dir (), "notes.md", NULL);
  file = g_file_new_for_path (path);
  kios_annotations_sidebar_export_to (sidebar, file);
  g_assert_true (kios_test_wait_until (file_written, path, 5000));
  g_assert_true (g_file_get_contents (path, &markdown, NULL, NULL));
  {
    g_autofree char *heading = g_strdup_printf ("# %s\n", kios_document_get_title (f.document));

    g_test_message ("%s", markdown);
    g_assert_true (g_str_has_prefix (markdown, heading));
  }
  g_assert_nonnull (strstr (markdown, "A note of mine"));

  /* Delete both. */
  for (guint n = kios_annotations_sidebar_get_n_rows (sidebar); n > 0; n--)
    g_assert_true (gtk_widget_activate_action (kios_annotations_sidebar_get_row (sidebar, 0), "row.delete", NULL));
  g_assert_cmpuint (kios_annotations_sidebar_get_n_rows (sidebar), ==, 0);
  g_assert_cmpuint (kios_reader_view_get_annotations (f.view)->len, ==, 0);

  kios_test_reader_teardown (&f);
}

/* Runs the shortcuts of widget's controllers for a key: of global scope
 * only, or of the others only. */
static gboolean
run_shortcuts (GtkWidget      *widget,
               guint           keyval,
               GdkModifierType modifiers,
               gboolean        global)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      /* The window's own list of the global ones: those run below, each
       * on its widget. */
      if (!GTK_IS_SHORTCUT_CONTROLLER (controller) ||
          g_str_has_prefix (gtk_event_controller_get_name (GTK_EVENT_CONTROLLER (controller)) ?: "", "gtk-shortcut-manager") ||
          (gtk_shortcut_controller_get_scope (GTK_SHORTCUT_CONTROLLER (controller)) == GTK_SHORTCUT_SCOPE_GLOBAL) != global)
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger     *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) && gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == modifiers &&
              gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), GTK_SHORTCUT_ACTION_EXCLUSIVE, widget,
                                            gtk_shortcut_get_arguments (shortcut)))
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
run_global_shortcuts (GtkWidget      *widget,
                      guint           keyval,
                      GdkModifierType modifiers)
{
  if (run_shortcuts (widget, keyval, modifiers, TRUE))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (run_global_shortcuts (child, keyval, modifiers))
      return TRUE;
  return FALSE;
}

/* A key pressed where the focus is, as GTK hands it on (it cannot
 * synthesize the event): the shortcuts of the focus widget and of its
 * ancestors, then those of global scope anywhere in the window. */
static gboolean
press_key_at_focus (GtkWidget      *window,
                    guint           keyval,
                    GdkModifierType modifiers)
{
  for (GtkWidget *widget = gtk_root_get_focus (GTK_ROOT (window)); widget != NULL; widget = gtk_widget_get_parent (widget))
    if (run_shortcuts (widget, keyval, modifiers, FALSE))
      return TRUE;
  return run_global_shortcuts (window, keyval, modifiers);
}

/* Ctrl+B (the annotations) and Ctrl+D (a bookmark) work wherever the
 * focus is in the window, a header button too. */
static void
test_shortcuts_anywhere (void)
{
  KiosReaderFixture f;
  GtkWidget        *header = gtk_header_bar_new ();
  GtkWidget        *button = gtk_button_new_from_icon_name ("open-menu-symbolic");
  GtkWidget        *contents;
  guint             before;

  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), button);
  open_at_text_full (&f, "pride-and-prejudice.epub", 8, 2000, header);
  contents = kios_reader_view_get_contents_sidebar (f.view);
  g_assert_true (gtk_widget_grab_focus (button));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f.window)) == button);

  before = f.shown;
  g_assert_true (press_key_at_focus (f.window, GDK_KEY_b, GDK_CONTROL_MASK));
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (kios_reader_view_get_contents_visible (f.view));
  g_assert_true (kios_contents_sidebar_get_annotations_visible (KIOS_CONTENTS_SIDEBAR (contents)));

  g_assert_true (gtk_widget_grab_focus (button));
  g_assert_false (kios_reader_view_get_page_bookmarked (f.view));
  g_assert_true (press_key_at_focus (f.window, GDK_KEY_d, GDK_CONTROL_MASK));
  g_assert_true (kios_reader_view_get_page_bookmarked (f.view));

  /* A second Ctrl+B closes the sidebar again. */
  g_assert_true (gtk_widget_grab_focus (button));
  g_assert_true (press_key_at_focus (f.window, GDK_KEY_b, GDK_CONTROL_MASK));
  g_assert_false (kios_reader_view_get_contents_visible (f.view));

  kios_test_reader_teardown (&f);
}

static GtkWidget *
with_class (GtkWidget  *widget,
            const char *css_class)
{
  if (widget == NULL || gtk_widget_has_css_class (widget, css_class))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = with_class (child, css_class);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
all_listed (gpointer data)
{
  return kios_annotations_sidebar_get_n_rows (data) == 300;
}

static guint
count_rows (GtkWidget *widget)
{
  guint n = g_strcmp0 (gtk_widget_get_name (widget), "annotation-row") == 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    n += count_rows (child);
  return n;
}

/* The sidebar makes rows for the annotations near those in sight only,
 * none while it is closed, and a row's menu only once it is opened. */
static void
test_sidebar_in_sight (void)
{
  KiosReaderFixture        f;
  guint                    changes = 0, before;
  GtkWidget               *contents;
  KiosAnnotationsSidebar  *sidebar;
  GtkWidget               *button;
  g_autoptr (KiosPosition) here = NULL;

  open_at_text (&f, "pride-and-prejudice.epub", 8, 2000);
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  contents = kios_reader_view_get_contents_sidebar (f.view);
  sidebar = KIOS_ANNOTATIONS_SIDEBAR (kios_contents_sidebar_get_annotations_sidebar (KIOS_CONTENTS_SIDEBAR (contents)));
  for (int i = 0; i < 300; i++)
    {
      g_autoptr (KiosAnnotation) annotation = kios_annotation_new ();
      g_autoptr (GError)         error = NULL;

      annotation->hash = g_strdup (kios_document_get_hash (f.document));
      annotation->kind = KIOS_ANNOTATION_HIGHLIGHT;
      annotation->color = g_strdup ("yellow");
      annotation->start = kios_position_new ();
      annotation->start->format = KIOS_BOOK_FORMAT_EPUB;
      annotation->start->chapter = 8 + i / 100;
      annotation->start->offset = (i % 100) * 50;
      annotation->end = kios_position_copy (annotation->start);
      annotation->end->offset += 20;
      annotation->text = g_strdup_printf ("Words %d", i);
      annotation->chapter_title = g_strdup_printf ("Chapter %d", 8 + i / 100);
      g_assert_true (kios_library_store_add_annotation (f.store, annotation, &error));
    }
  /* The book opened again where it is, with them. */
  here = kios_position_copy (kios_reader_view_get_position (f.view));
  kios_reader_view_open (f.view, f.document, here);
  g_assert_true (kios_test_wait_until (all_listed, sidebar, 10000));
  kios_test_wait_for_paint (f.window);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (sidebar)));
  g_assert_cmpuint (count_rows (GTK_WIDGET (sidebar)), ==, 0);

  /* On screen: the rows in sight, their menus not yet. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.show-annotations", NULL));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, sidebar, 5000));
  kios_test_wait_for_paint (f.window);
  g_assert_cmpuint (count_rows (GTK_WIDGET (sidebar)), >, 3);
  g_assert_cmpuint (kios_annotations_sidebar_get_n_rows (sidebar), ==, 300);
  /* GTK 4.8 makes rows for up to about 200 items around the one in sight. */
  g_assert_cmpuint (count_rows (GTK_WIDGET (sidebar)), <=, 210);
  g_assert_nonnull (kios_annotations_sidebar_get_row (sidebar, 0));
  g_assert_null (kios_annotations_sidebar_get_row (sidebar, 299));
  button = kios_test_find_widget (kios_annotations_sidebar_get_row (sidebar, 0), GTK_TYPE_MENU_BUTTON, NULL);
  g_assert_nonnull (button);
  g_assert_null (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  g_assert_true (GTK_IS_POPOVER_MENU (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button))));
  g_assert_nonnull (gtk_popover_menu_get_menu_model (GTK_POPOVER_MENU (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)))));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  /* A change keeps the list and shows at once. */
  before = changes;
  g_assert_true (gtk_widget_activate_action (kios_annotations_sidebar_get_row (sidebar, 0), "row.color", "s", "green"));
  g_assert_cmpuint (changes, >, before);
  g_assert_cmpuint (kios_annotations_sidebar_get_n_rows (sidebar), ==, 300);
  kios_test_wait_for_paint (f.window);
  g_assert_true (gtk_widget_has_css_class (with_class (kios_annotations_sidebar_get_row (sidebar, 0), "highlight-mark"),
                                           "highlight-green"));

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

/* The popover as it draws itself, whole: its content sits inside the
 * surface's shadow margin, so the render is taken over its node's bounds. */
static char *
save_popover (GtkWidget  *popover,
              const char *path)
{
  g_autoptr (GdkPaintable)  paintable = gtk_widget_paintable_new (popover);
  g_autoptr (GtkSnapshot)   snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture)    texture = NULL;
  graphene_rect_t           bounds;

  kios_test_wait_for_paint (popover);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), gtk_widget_get_width (popover),
                          gtk_widget_get_height (popover));
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  gsk_render_node_get_bounds (node, &bounds);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (popover)), node, &bounds);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  return g_strdup (path);
}

/* Selects from the word starting at line `line` through n words. */
static void
select_words (KiosReaderView *view,
              int             line,
              int             n)
{
  const KiosPageText *text = kios_reader_view_get_page_text (view);
  int                 first = -1, last = -1, words = 0;

  for (guint i = 0; i < text->chars->len; i++)
    {
      const KiosPageChar *pc = &g_array_index (text->chars, KiosPageChar, i);

      if (first < 0 && pc->line == line && g_unichar_isalpha (pc->c) &&
          (i == 0 || g_unichar_isspace (g_array_index (text->chars, KiosPageChar, i - 1).c) ||
           g_array_index (text->chars, KiosPageChar, i - 1).line != pc->line))
        first = (int) i;
      if (first >= 0 && g_unichar_isalpha (pc->c))
        last = (int) i;
      if (first >= 0 && (int) i > first && g_unichar_isspace (pc->c) && ++words == n)
        break;
    }
  g_assert_true (kios_reader_view_select (view, first, last));
}

/* Screenshots (only with KIOS_SCREENSHOT_DIR): the selection menu over a
 * page with highlights, and the annotations sidebar. */
static void
test_screenshots (void)
{
  const char         *dir = g_getenv ("KIOS_SCREENSHOT_DIR");
  KiosReaderFixture   f;
  guint               changes = 0, before;
  GtkWidget          *header;
  GtkWidget          *contents;
  GtkWidget          *menu;
  graphene_rect_t     rect;
  int                 first, last;
  const KiosPageChar *pc;

  if (dir == NULL)
    {
      g_test_skip ("set KIOS_SCREENSHOT_DIR");
      return;
    }
  header = adw_header_bar_new ();
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new ("Pride and Prejudice", "Jane Austen"));
  open_at_text_full (&f, "pride-and-prejudice.epub", 8, 2000, header);
  g_signal_connect (f.view, "annotations-changed", G_CALLBACK (changed_cb), &changes);
  spin (400);
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));

  select_words (f.view, 3, 6);
  before = changes;
  kios_reader_view_highlight_selection (f.view, "yellow", NULL);
  wait_changed (&changes, before);
  select_words (f.view, 9, 9);
  before = changes;
  kios_reader_view_highlight_selection (f.view, "green", "Mr. Bennet at his driest.");
  wait_changed (&changes, before);

  select_words (f.view, 6, 5);
  g_assert_true (kios_reader_view_get_selection (f.view, &first, &last));
  g_assert_true (kios_reader_view_get_page_rect (f.view, &rect));
  pc = &g_array_index (kios_reader_view_get_page_text (f.view)->chars, KiosPageChar, last);
  kios_reader_view_popup_selection_menu (f.view, rect.origin.x + pc->x1 * rect.size.width,
                                         rect.origin.y + pc->y1 * rect.size.height);
  menu = kios_reader_view_get_selection_menu (f.view);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, menu, 5000));
  spin (600);
  {
    /* Without a compositor the screen shows the popover's shadow black:
     * the window and the menu are drawn by themselves and put together. */
    g_autofree char   *window_png = kios_test_save_screenshot (f.window, "selection-window");
    g_autofree char   *menu_path = g_build_filename (dir, "selection-popover.png", NULL);
    g_autofree char   *menu_png = save_popover (menu, menu_path);
    g_autofree char   *out = g_build_filename (dir, "selection-menu.png", NULL);
    g_autofree char   *geometry = NULL;
    GdkSurface        *surface = gtk_native_get_surface (GTK_NATIVE (menu));
    double             wx, wy, mx, my;
    int                status = 0;
    g_autoptr (GError) error = NULL;

    gtk_native_get_surface_transform (GTK_NATIVE (f.window), &wx, &wy);
    gtk_native_get_surface_transform (GTK_NATIVE (menu), &mx, &my);
    geometry = g_strdup_printf ("+%d+%d", (int) (gdk_popup_get_position_x (GDK_POPUP (surface)) + mx - wx),
                                (int) (gdk_popup_get_position_y (GDK_POPUP (surface)) + my - wy));
    g_assert_true (g_spawn_sync (NULL, (char *[]){ "composite", "-geometry", geometry, menu_png, window_png, out, NULL },
                                 NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_test_message ("screenshot: %s", out);
  }
  gtk_popover_popdown (GTK_POPOVER (menu));

  /* A bookmark on the next page, then the sidebar. */
  kios_reader_view_clear_selection (f.view);
  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.next-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
  kios_reader_view_toggle_bookmark (f.view);
  select_words (f.view, 5, 12);
  before = changes;
  kios_reader_view_highlight_selection (f.view, "blue", NULL);
  wait_changed (&changes, before);
  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.previous-page", NULL);
  kios_test_reader_wait_shown (&f, before);
  before = f.shown;
  gtk_widget_activate_action (GTK_WIDGET (f.view), "reader.show-annotations", NULL);
  kios_test_reader_wait_shown (&f, before);
  contents = kios_reader_view_get_contents_sidebar (f.view);
  g_assert_true (kios_contents_sidebar_get_annotations_visible (KIOS_CONTENTS_SIDEBAR (contents)));
  g_assert_true (kios_test_wait_until (page_text_ready, f.view, 10000));
  g_free (kios_test_save_screenshot (f.window, "annotations"));

  kios_test_reader_teardown (&f);
}

int
main (int    argc,
      char **argv)
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/reader-annotations/highlight-survives-font-change", test_highlight_survives_font_change);
  g_test_add_func ("/kios/reader-annotations/highlight-keeps-ink", test_highlight_keeps_ink);
  g_test_add_func ("/kios/reader-annotations/bookmark-toggle", test_bookmark_toggle);
  g_test_add_func ("/kios/reader-annotations/sidebar", test_sidebar);
  g_test_add_func ("/kios/reader-annotations/sidebar-in-sight", test_sidebar_in_sight);
  g_test_add_func ("/kios/reader-annotations/shortcuts-anywhere", test_shortcuts_anywhere);
  g_test_add_func ("/kios/reader-annotations/read-ahead", test_read_ahead);
  g_test_add_func ("/kios/reader-annotations/screenshots", test_screenshots);

  return g_test_run ();
}
