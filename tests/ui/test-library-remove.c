/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-library-remove"

#include "config.h"

#include "kios-annotation.h"
#include "kios-library.h"
#include "kios-start-view.h"
#include "kios-ui-test-utils.h"

/* Removing a book with annotations asks what becomes of them: Cancel, Keep
 * Annotations, Remove Annotations Too; Undo brings back what went. */

#define HASH_ANNOTATED "00000000000000000000000000000001"
#define HASH_PLAIN "00000000000000000000000000000002"

static void
add_book (KiosLibraryStore *store,
          const char       *hash,
          const char       *name,
          const char       *title)
{
  g_autofree char   *dir = g_build_filename (g_get_user_data_dir (), "Books", NULL);
  g_autofree char   *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  KiosBookRecord     book = {
        .hash = (char *) hash,
        .path = path,
        .size = 1000,
        .format = (char *) "epub",
        .title = (char *) title,
        .authors = (char *) "Jane Austen",
        .added_at = 1700000000,
  };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  kios_library_store_upsert_book (store, &book);
}

static void
add_annotation (KiosLibraryStore  *store,
                KiosAnnotationKind kind,
                int                chapter)
{
  g_autoptr (KiosAnnotation) a = kios_annotation_new ();
  g_autoptr (GError)         error = NULL;

  a->hash = g_strdup (HASH_ANNOTATED);
  a->kind = kind;
  a->start = kios_position_new ();
  a->start->format = KIOS_BOOK_FORMAT_EPUB;
  a->start->chapter = chapter;
  a->start->chapter_href = g_strdup_printf ("OEBPS/ch%d.xhtml", chapter);
  a->start->offset = 5;
  if (kind == KIOS_ANNOTATION_HIGHLIGHT)
    {
      a->end = kios_position_copy (a->start);
      a->end->offset = 15;
      a->color = g_strdup ("yellow");
    }
  a->text = g_strdup ("words");
  g_assert_true (kios_library_store_add_annotation (store, a, &error));
  g_assert_no_error (error);
}

static gboolean
dialog_shown (gpointer data)
{
  return kios_test_find_message_dialog () != NULL;
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

static gboolean
view_loaded (gpointer data)
{
  return !kios_start_view_is_loading (KIOS_START_VIEW (data));
}

static gboolean
annotations_gone (gpointer data)
{
  return kios_library_store_count_annotations (data, HASH_ANNOTATED) == 0;
}

/* Asks to remove the annotated book and answers the dialog. */
static void
remove_and_answer (KiosStartView *view,
                   const char    *response)
{
  AdwMessageDialog *dialog;

  g_assert_null (kios_test_find_message_dialog ());
  gtk_widget_activate_action (GTK_WIDGET (view), "library.remove", "s", HASH_ANNOTATED);
  g_assert_true (kios_test_wait_until (dialog_shown, NULL, 5000));
  dialog = ADW_MESSAGE_DIALOG (kios_test_find_message_dialog ());
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Remove “Persuasion”?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "2 highlights and 1 bookmark"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "added again"));
  g_assert_true (adw_message_dialog_has_response (dialog, "cancel"));
  g_assert_true (adw_message_dialog_has_response (dialog, "keep"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "remove"), ==, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_response (dialog, response);
  /* A response emitted by hand does not close the dialog as a click does. */
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_null (kios_test_find_message_dialog ());
}

static void
test_remove_dialog (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosLibrary)      library = NULL;
  KiosStartView               *view = kios_start_view_new ();
  GtkWindow                   *window;
  AdwToast                    *toast;

  add_book (store, HASH_ANNOTATED, "persuasion.epub", "Persuasion");
  add_book (store, HASH_PLAIN, "emma.epub", "Emma");
  add_annotation (store, KIOS_ANNOTATION_HIGHLIGHT, 1);
  add_annotation (store, KIOS_ANNOTATION_HIGHLIGHT, 2);
  add_annotation (store, KIOS_ANNOTATION_BOOKMARK, 3);
  g_assert_true (kios_library_store_flush (store, 10000));
  library = kios_library_new (store);
  kios_start_view_set_library (view, library);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 900, 640);
  gtk_window_set_child (window, GTK_WIDGET (view));
  gtk_window_present (window);
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, window, 5000));
  g_assert_true (kios_test_wait_until (view_loaded, view, 20000));
  wait_n_books (view, 2);

  /* Cancel: nothing happens. */
  remove_and_answer (view, "cancel");
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  wait_n_books (view, 2);
  g_assert_null (kios_start_view_get_last_toast (view));
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_ANNOTATED), ==, 3);

  /* Keep Annotations: the book goes, they stay; Undo brings the book back. */
  remove_and_answer (view, "keep");
  wait_n_books (view, 1);
  toast = kios_start_view_get_last_toast (view);
  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_ANNOTATED), ==, 3);
  g_signal_emit_by_name (toast, "button-clicked");
  wait_n_books (view, 2);
  adw_toast_dismiss (toast);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_ANNOTATED), ==, 3);

  /* Remove Annotations Too, then Undo: all of it back. */
  remove_and_answer (view, "remove");
  wait_n_books (view, 1);
  toast = kios_start_view_get_last_toast (view);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_ANNOTATED), ==, 3);
  g_signal_emit_by_name (toast, "button-clicked");
  wait_n_books (view, 2);
  adw_toast_dismiss (toast);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_ANNOTATED), ==, 3);

  /* Remove Annotations Too, the toast dismissed: they go. */
  remove_and_answer (view, "remove");
  wait_n_books (view, 1);
  toast = kios_start_view_get_last_toast (view);
  g_assert_cmpint (kios_library_store_count_annotations (store, HASH_ANNOTATED), ==, 3);
  adw_toast_dismiss (toast);
  g_assert_true (kios_test_wait_until (annotations_gone, store, 10000));

  /* A book without annotations goes at once, no question asked. */
  gtk_widget_activate_action (GTK_WIDGET (view), "library.remove", "s", HASH_PLAIN);
  wait_n_books (view, 0);
  g_assert_null (kios_test_find_message_dialog ());

  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/library-remove/dialog", test_remove_dialog);

  return g_test_run ();
}
