/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-start-view"

#include "config.h"

#include "kios-error-messages.h"
#include "kios-start-view-private.h"

#include <glib/gi18n.h>

/*
 * The book menu: remove (keeping the file), delete the file (books Kios
 * downloaded, after a confirmation), mark finished or unread, and for a
 * missing file, locate it. Removing and its undo are the library's own
 * _async; mark and locate block on SQLite and the disk, so each runs in a
 * worker that sees only its own copy of the data.
 */

typedef enum {
  OP_REMOVE,
  OP_UNDO,
  OP_SET_FINISHED,
  OP_LOCATE,
} OpKind;

typedef struct
{
  OpKind              kind;
  KiosLibrary        *library;
  char               *hash;
  char               *path;
  char               *title;
  gboolean            flag;             /* delete_file, finished */
  gboolean            drop_annotations; /* remove only */
  KiosLibraryRemoval *removal;
  char               *notice;
  KiosStartView      *view; /* remove and undo only: the main thread's */
} Op;

static void
op_free (Op *op)
{
  g_clear_object (&op->library);
  g_free (op->hash);
  g_free (op->path);
  g_free (op->title);
  g_clear_pointer (&op->removal, kios_library_removal_free);
  g_free (op->notice);
  g_clear_object (&op->view);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static void
op_worker (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  Op      *op = task_data;
  GError  *error = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_SET_FINISHED:
      ok = kios_library_set_finished (op->library, op->hash, op->flag, &error);
      break;
    case OP_LOCATE:
      ok = kios_library_locate (op->library, op->hash, op->path, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static const char *
book_title (const KiosBookRecord *book)
{
  return book != NULL && book->title != NULL && *book->title != '\0' ? book->title : _ ("Untitled");
}

void
kios_start_view_show_toast (KiosStartView *self,
                            AdwToast      *toast)
{
  self->last_toast = toast;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
show_error (KiosStartView *self,
            const GError  *error)
{
  g_autofree char *sentence = kios_error_describe (error, NULL, NULL, NULL);

  kios_start_view_show_toast (self, adw_toast_new (sentence));
}

static void
undo_done_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (Op)     op = user_data;
  g_autoptr (GError) error = NULL;

  if (!kios_library_undo_remove_finish (KIOS_LIBRARY (source_object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (op->view, error);
      return;
    }

  kios_start_view_reload (op->view);
}

static void
undo_clicked_cb (AdwToast *toast,
                 gpointer  user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  Op            *op;

  if (self->library == NULL || g_object_get_data (G_OBJECT (toast), "removal") == NULL)
    return;

  /* The removal moves into the undo (kept alive until it is done): it can
   * be undone once. */
  op = g_new0 (Op, 1);
  op->kind = OP_UNDO;
  op->removal = g_object_steal_data (G_OBJECT (toast), "removal");
  op->view = g_object_ref (self);
  kios_library_undo_remove_async (self->library, op->removal, self->ops_cancellable, undo_done_cb, op);
}

static void
op_done_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  KiosStartView     *self = KIOS_START_VIEW (source_object);
  Op                *op = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char   *title = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_error (self, error);
      /* It was loading since run_op: the list is read again all the same. */
      kios_start_view_reload (self);
      return;
    }

  switch (op->kind)
    {
    case OP_LOCATE:
      /* Translators: a toast; %s is a book's title. */
      title = g_strdup_printf (_ ("“%s” found"), op->title);
      kios_start_view_show_toast (self, adw_toast_new (title));
      break;
    case OP_REMOVE:
    case OP_UNDO:
    case OP_SET_FINISHED:
    default:
      break;
    }

  kios_start_view_reload (self);
}

static void
remove_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (Op)     op = user_data;
  KiosStartView     *self = op->view;
  g_autoptr (GError) error = NULL;
  g_autofree char   *title = NULL;
  g_autofree char   *dropped = NULL;
  const char *const *unsent;
  AdwToast          *toast;

  op->removal = kios_library_remove_finish (KIOS_LIBRARY (source_object), result, &op->notice, &error);
  if (op->removal == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }
  /* Annotations chosen to go wait out the toast: Undo keeps them. */
  kios_library_removal_set_drop_annotations (op->removal, op->drop_annotations);

  if (op->flag)
    /* Translators: a toast; %s is a book's title. */
    title = g_strdup_printf (_ ("“%s” deleted"), op->title);
  else
    /* Translators: a toast; %s is a book's title. */
    title = g_strdup_printf (_ ("“%s” removed from the library"), op->title);
  unsent = kios_library_removal_get_unsent_sources (op->removal);
  if (unsent != NULL)
    {
      g_autofree char *names = g_strjoinv (", ", (char **) unsent);

      /* Translators: a toast; %s names sync accounts, e.g. "Home, Work". */
      dropped = g_strdup_printf (_ ("Its reading position not yet sent to %s was not kept"), names);
    }
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  g_object_set_data_full (G_OBJECT (toast), "removal", g_steal_pointer (&op->removal),
                          (GDestroyNotify) kios_library_removal_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_clicked_cb), self, 0);
  /* Said once, naming the accounts; the core's notice is for kiosctl. */
  if (dropped != NULL)
    kios_start_view_show_toast (self, adw_toast_new (dropped));
  kios_start_view_show_toast (self, toast);
  kios_start_view_reload (self);
}

static void
run_op (KiosStartView *self,
        Op            *op)
{
  g_autoptr (GTask) task = NULL;

  op->library = g_object_ref (self->library);
  /* Loading until the list that shows the result is in: shelves and
   * searches filter the current list and never list again by themselves. */
  self->loading = TRUE;
  task = g_task_new (self, self->ops_cancellable, op_done_cb, NULL);
  g_task_set_source_tag (task, run_op);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_run_in_thread (task, op_worker);
}

static const KiosBookRecord *
find_book (KiosStartView *self,
           GVariant      *parameter)
{
  guint position;

  if (self->library == NULL ||
      !kios_library_model_find (self->model, g_variant_get_string (parameter, NULL), &position))
    return NULL;

  return kios_library_model_get_book (self->model, position);
}

static void
start_remove (KiosStartView *self,
              const char    *hash,
              const char    *title,
              gboolean       delete_file,
              gboolean       drop_annotations)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_REMOVE;
  op->hash = g_strdup (hash);
  op->title = g_strdup (title);
  op->flag = delete_file;
  op->drop_annotations = drop_annotations;
  op->view = g_object_ref (self);
  kios_library_remove_async (self->library, op->hash, delete_file, self->ops_cancellable, remove_done_cb, op);
}

static void
annotations_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  const char    *hash = g_object_get_data (G_OBJECT (dialog), "hash");
  const char    *title = g_object_get_data (G_OBJECT (dialog), "title");
  gboolean       delete_file = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "delete-file"));

  if (self->library == NULL)
    return;
  if (g_str_equal (response, "keep"))
    start_remove (self, hash, title, delete_file, FALSE);
  else if (g_str_equal (response, "remove"))
    start_remove (self, hash, title, delete_file, TRUE);
}

/* "2 highlights, 1 note and 3 bookmarks" */
static char *
describe_annotations (guint n_highlights,
                      guint n_notes,
                      guint n_bookmarks)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (n_highlights > 0)
    /* Translators: part of a list of a book's annotations. */
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u highlight", "%u highlights", n_highlights), n_highlights));
  if (n_notes > 0)
    /* Translators: part of a list of a book's annotations. */
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u note", "%u notes", n_notes), n_notes));
  if (n_bookmarks > 0)
    /* Translators: part of a list of a book's annotations. */
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u bookmark", "%u bookmarks", n_bookmarks), n_bookmarks));

  if (parts->len == 1)
    return g_strdup (g_ptr_array_index (parts, 0));
  if (parts->len == 2)
    /* Translators: a list of two parts, e.g. "2 highlights and 1 note". */
    return g_strdup_printf (_ ("%s and %s"), (char *) g_ptr_array_index (parts, 0),
                            (char *) g_ptr_array_index (parts, 1));
  /* Translators: a list of three parts, e.g. "2 highlights, 1 note and 3 bookmarks". */
  return g_strdup_printf (_ ("%s, %s and %s"), (char *) g_ptr_array_index (parts, 0),
                          (char *) g_ptr_array_index (parts, 1), (char *) g_ptr_array_index (parts, 2));
}

/* Removes the book, asking first what becomes of its annotations when it
 * has some. Counting them is one indexed query (the store allows it on the
 * main thread). */
static void
remove_book (KiosStartView        *self,
             const KiosBookRecord *book,
             gboolean              delete_file)
{
  GtkRoot           *root;
  g_autoptr (GError) error = NULL;
  g_autofree char   *heading = NULL;
  g_autofree char   *what = NULL;
  g_autofree char   *body = NULL;
  AdwMessageDialog  *dialog;
  guint              n_highlights = 0, n_notes = 0, n_bookmarks = 0;

  if (!kios_library_count_annotations (self->library, book->hash, &n_highlights, &n_notes, &n_bookmarks, &error))
    g_debug ("Cannot count the annotations of %s: %s", book->hash, error->message);
  if (n_highlights + n_notes + n_bookmarks == 0)
    {
      start_remove (self, book->hash, book_title (book), delete_file, FALSE);
      return;
    }

  root = gtk_widget_get_root (GTK_WIDGET (self));
  /* Translators: %s is a book's title. */
  heading = g_strdup_printf (_ ("Remove “%s”?"), book_title (book));
  what = describe_annotations (n_highlights, n_notes, n_bookmarks);
  /* Translators: %s lists annotations, e.g. "2 highlights and 1 note". */
  body = g_strdup_printf (_ ("This book has %s. Kept annotations stay on this computer and come back if the book is added again."),
                          what);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _ ("_Cancel"),
                                    "keep", _ ("_Keep Annotations"),
                                    "remove", _ ("_Remove Annotations Too"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hash", g_strdup (book->hash), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "title", g_strdup (book_title (book)), g_free);
  g_object_set_data (G_OBJECT (dialog), "delete-file", GINT_TO_POINTER (delete_file));
  g_signal_connect_object (dialog, "response", G_CALLBACK (annotations_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
remove_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KiosStartView        *self = KIOS_START_VIEW (user_data);
  const KiosBookRecord *book = find_book (self, parameter);

  if (book != NULL)
    remove_book (self, book, FALSE);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  KiosStartView        *self = KIOS_START_VIEW (user_data);
  const char           *hash = g_object_get_data (G_OBJECT (dialog), "hash");
  const KiosBookRecord *book;
  guint                 position;

  if (!g_str_equal (response, "delete") || !kios_library_model_find (self->model, hash, &position))
    return;

  book = kios_library_model_get_book (self->model, position);
  remove_book (self, book, TRUE);
}

static void
delete_file_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  KiosStartView        *self = KIOS_START_VIEW (user_data);
  const KiosBookRecord *book = find_book (self, parameter);
  GtkRoot              *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char      *heading = NULL;
  AdwMessageDialog     *dialog;

  if (book == NULL || !book->downloaded)
    return;

  /* Translators: %s is a book's title. */
  heading = g_strdup_printf (_ ("Delete “%s”?"), book_title (book));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                                       _ ("The book’s file is deleted from this computer and the book leaves the library. It can be downloaded again from its catalog.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _ ("_Cancel"),
                                    "delete", _ ("_Delete File"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hash", g_strdup (book->hash), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_finished (KiosStartView *self,
              GVariant      *parameter,
              gboolean       finished)
{
  const KiosBookRecord *book = find_book (self, parameter);
  Op                   *op;

  if (book == NULL)
    return;

  op = g_new0 (Op, 1);
  op->kind = OP_SET_FINISHED;
  op->hash = g_strdup (book->hash);
  op->flag = finished;
  run_op (self, op);
}

static void
mark_finished_activated_cb (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  set_finished (KIOS_START_VIEW (user_data), parameter, TRUE);
}

static void
mark_unread_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  set_finished (KIOS_START_VIEW (user_data), parameter, FALSE);
}

static void
locate_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    gpointer         user_data)
{
  KiosStartView    *self = KIOS_START_VIEW (user_data);
  g_autoptr (GFile) file = NULL;
  g_autofree char  *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    kios_start_view_locate (self, g_object_get_data (G_OBJECT (chooser), "hash"), path);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
choose_file_for (KiosStartView        *self,
                 const KiosBookRecord *book)
{
  GtkRoot                  *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char          *title = NULL;
  GtkFileChooserNative     *chooser;

  /* Translators: a file chooser's title; %s is a book's title. */
  title = g_strdup_printf (_ ("Locate “%s”"), book_title (book));
  chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Select"), NULL);
  gtk_file_filter_set_name (filter, _ ("Books"));
  gtk_file_filter_add_suffix (filter, "epub");
  gtk_file_filter_add_suffix (filter, "pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data_full (G_OBJECT (chooser), "hash", g_strdup (book->hash), g_free);
  g_signal_connect_object (chooser, "response", G_CALLBACK (locate_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
locate_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KiosStartView        *self = KIOS_START_VIEW (user_data);
  const KiosBookRecord *book = find_book (self, parameter);

  if (book != NULL)
    choose_file_for (self, book);
}

static void
missing_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  const char    *hash = g_object_get_data (G_OBJECT (dialog), "hash");

  if (g_str_equal (response, "locate"))
    g_action_group_activate_action (G_ACTION_GROUP (self->actions), "locate", g_variant_new_string (hash));
  else if (g_str_equal (response, "remove"))
    g_action_group_activate_action (G_ACTION_GROUP (self->actions), "remove", g_variant_new_string (hash));
}

void
kios_start_view_offer_missing (KiosStartView        *self,
                               const KiosBookRecord *book)
{
  GtkRoot          *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;

  /* Translators: %s is a book's title, then its former file path. */
  body = g_strdup_printf (_ ("“%s” is no longer at %s. If it was moved, locate it to keep reading where you left off."),
                          book_title (book), book->path != NULL ? book->path : "");
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _ ("Book File Not Found"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _ ("_Cancel"),
                                    "remove", _ ("_Remove"),
                                    "locate", _ ("_Locate…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "locate", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "locate");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hash", g_strdup (book->hash), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (missing_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
kios_start_view_locate (KiosStartView *self,
                        const char    *hash,
                        const char    *path)
{
  guint position;
  Op   *op;

  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail (hash != NULL && path != NULL);

  if (self->library == NULL)
    return;

  op = g_new0 (Op, 1);
  op->kind = OP_LOCATE;
  op->hash = g_strdup (hash);
  op->path = g_strdup (path);
  op->title = g_strdup (kios_library_model_find (self->model, hash, &position)
                            ? book_title (kios_library_model_get_book (self->model, position))
                            : _ ("Untitled"));
  run_op (self, op);
}

static void
context_menu_closed_cb (GtkPopover *popover,
                        gpointer    user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);

  /* Unparented after the menu's action ran (it runs after "closed"). */
  if (self->context_menu == GTK_WIDGET (popover))
    self->context_menu = NULL;
  g_idle_add_once ((GSourceOnceFunc) gtk_widget_unparent, popover);
}

static GMenu *
book_menu (const KiosBookRecord *book)
{
  g_autoptr (GMenu)     menu = g_menu_new ();
  g_autoptr (GMenu)     state = g_menu_new ();
  g_autoptr (GMenu)     removal = g_menu_new ();
  KiosBookState         book_state = kios_book_record_get_state (book);
  GVariant             *target = g_variant_new_string (book->hash);
  g_autoptr (GMenuItem) item = NULL;

  g_variant_ref_sink (target);
  if (book_state == KIOS_BOOK_STATE_MISSING)
    {
      item = g_menu_item_new (_ ("_Locate…"), NULL);
      g_menu_item_set_action_and_target_value (item, "library.locate", target);
      g_menu_append_item (state, item);
      g_clear_object (&item);
    }
  else if (book_state == KIOS_BOOK_STATE_FINISHED)
    {
      item = g_menu_item_new (_ ("Mark as _Unread"), NULL);
      g_menu_item_set_action_and_target_value (item, "library.mark-unread", target);
      g_menu_append_item (state, item);
      g_clear_object (&item);
    }
  else
    {
      item = g_menu_item_new (_ ("Mark as _Finished"), NULL);
      g_menu_item_set_action_and_target_value (item, "library.mark-finished", target);
      g_menu_append_item (state, item);
      g_clear_object (&item);
    }

  item = g_menu_item_new (_ ("_Remove from Library"), NULL);
  g_menu_item_set_action_and_target_value (item, "library.remove", target);
  g_menu_append_item (removal, item);
  g_clear_object (&item);
  if (book->downloaded && book_state != KIOS_BOOK_STATE_MISSING)
    {
      item = g_menu_item_new (_ ("_Delete File…"), NULL);
      g_menu_item_set_action_and_target_value (item, "library.delete-file", target);
      g_menu_append_item (removal, item);
      g_clear_object (&item);
    }

  g_menu_append_section (menu, NULL, G_MENU_MODEL (state));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (removal));
  g_variant_unref (target);
  return g_steal_pointer (&menu);
}

void
kios_start_view_popup_menu (KiosStartView *self,
                            KiosBookCard  *card,
                            double         x,
                            double         y)
{
  const KiosBookRecord *book = kios_book_card_get_book (card);
  g_autoptr (GMenu)     menu = NULL;
  GtkWidget            *popover;

  if (book == NULL || self->library == NULL)
    return;

  if (self->context_menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->context_menu));

  menu = book_menu (book);
  popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_widget_set_parent (popover, GTK_WIDGET (card));
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_widget_set_halign (popover, GTK_ALIGN_START);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle){ (int) x, (int) y, 1, 1 });
  g_signal_connect_object (popover, "closed", G_CALLBACK (context_menu_closed_cb), self, 0);
  self->context_menu = popover;
  gtk_popover_popup (GTK_POPOVER (popover));
}

static KiosBookCard *
focused_card (KiosStartView *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *child;

  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->grid_view)))
    return NULL;

  /* The grid focuses the cell around the card. */
  child = gtk_widget_get_first_child (focus);
  if (child != NULL && KIOS_IS_BOOK_CARD (child))
    return KIOS_BOOK_CARD (child);

  return KIOS_BOOK_CARD (gtk_widget_get_ancestor (focus, KIOS_TYPE_BOOK_CARD));
}

static gboolean
delete_key_cb (GtkWidget *widget,
               GVariant  *args,
               gpointer   user_data)
{
  KiosStartView        *self = KIOS_START_VIEW (user_data);
  KiosBookCard         *card = focused_card (self);
  const KiosBookRecord *book = card != NULL ? kios_book_card_get_book (card) : NULL;

  if (book == NULL || self->library == NULL)
    return FALSE;

  /* Like Files: Delete removes at once (asking first only about
   * annotations), and the toast offers Undo. */
  remove_book (self, book, FALSE);
  return TRUE;
}

static gboolean
menu_key_cb (GtkWidget *widget,
             GVariant  *args,
             gpointer   user_data)
{
  KiosStartView *self = KIOS_START_VIEW (user_data);
  KiosBookCard  *card = focused_card (self);

  if (card == NULL)
    return FALSE;

  kios_start_view_popup_menu (self, card, gtk_widget_get_width (GTK_WIDGET (card)) / 2.0,
                              gtk_widget_get_height (GTK_WIDGET (card)) / 2.0);
  return TRUE;
}

void
kios_start_view_install_actions (KiosStartView *self)
{
  const GActionEntry entries[] = {
    { .name = "remove", .parameter_type = "s", .activate = remove_activated_cb },
    { .name = "delete-file", .parameter_type = "s", .activate = delete_file_activated_cb },
    { .name = "mark-finished", .parameter_type = "s", .activate = mark_finished_activated_cb },
    { .name = "mark-unread", .parameter_type = "s", .activate = mark_unread_activated_cb },
    { .name = "locate", .parameter_type = "s", .activate = locate_activated_cb },
  };
  GtkEventController *controller;

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries), self);
  kios_start_view_add_view_actions (self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "library", G_ACTION_GROUP (self->actions));

  controller = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0),
                                                          gtk_callback_action_new (delete_key_cb, self, NULL)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Menu, 0),
                                                          gtk_callback_action_new (menu_key_cb, self, NULL)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F10, GDK_SHIFT_MASK),
                                                          gtk_callback_action_new (menu_key_cb, self, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self->grid_view), controller);
}
