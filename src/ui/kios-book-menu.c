/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-menu"

#include "config.h"

#include "kios-book-menu.h"

#include "kios-error-messages.h"

#include <glib/gi18n.h>

/*
 * Removing and its undo are the library's own _async; mark and locate
 * block on SQLite and the disk, so each runs in a worker that sees only its
 * own copy of the data. An operation under way holds the menu; once the
 * host is gone (shutdown), its result is dropped.
 */

struct _KiosBookMenu
{
  GObject parent_instance;

  KiosLibrary        *library;
  KiosLibraryModel   *model;
  GSimpleActionGroup *actions;
  GCancellable       *cancellable; /* remove, undo, locate, mark: until shutdown */
  GtkWidget          *host;        /* borrowed: it owns the menu */
  AdwToastOverlay    *toasts;      /* borrowed: the host's */
  GtkWidget          *popover;     /* the open menu, parented to its card or row */
  AdwToast           *last_toast;  /* borrowed: the overlay's */
  KiosBookMenuLookup  lookup;
};

G_DEFINE_FINAL_TYPE (KiosBookMenu, kios_book_menu, G_TYPE_OBJECT)

enum {
  SIGNAL_BUSY,
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
  KiosBookMenu       *menu; /* remove and undo only: the main thread's */
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
  g_clear_object (&op->menu);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static Op *
op_new (KiosBookMenu *self,
        OpKind        kind,
        const char   *hash)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->hash = g_strdup (hash);
  op->library = g_object_ref (self->library);
  return op;
}

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
    case OP_REMOVE:
    case OP_UNDO:
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

static GtkWindow *
host_window (KiosBookMenu *self)
{
  GtkRoot *root = self->host != NULL ? gtk_widget_get_root (self->host) : NULL;

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
show_error (KiosBookMenu *self,
            const GError *error)
{
  g_autofree char *sentence = kios_error_describe (error, NULL, NULL, NULL);

  kios_book_menu_show_toast (self, adw_toast_new (sentence));
}

/* An operation ended: the host lists again (shutdown: it is gone). */
static gboolean
finished (KiosBookMenu *self,
          const GError *error)
{
  if (self->host == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error != NULL)
    show_error (self, error);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return error == NULL;
}

static void
undo_done_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (Op)     op = user_data;
  g_autoptr (GError) error = NULL;

  kios_library_undo_remove_finish (KIOS_LIBRARY (source_object), result, &error);
  finished (op->menu, error);
}

static void
undo_clicked_cb (AdwToast *toast,
                 gpointer  user_data)
{
  KiosBookMenu *self = KIOS_BOOK_MENU (user_data);
  Op           *op;

  if (self->library == NULL || g_object_get_data (G_OBJECT (toast), "removal") == NULL)
    return;

  /* The removal moves into the undo (kept alive until it is done): it can
   * be undone once. */
  op = op_new (self, OP_UNDO, NULL);
  op->removal = g_object_steal_data (G_OBJECT (toast), "removal");
  op->menu = g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_BUSY], 0);
  kios_library_undo_remove_async (self->library, op->removal, self->cancellable, undo_done_cb, op);
}

static void
op_done_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  KiosBookMenu      *self = KIOS_BOOK_MENU (source_object);
  Op                *op = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char   *title = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  if (finished (self, error) && op->kind == OP_LOCATE)
    {
      /* Translators: a toast; %s is a book's title. */
      title = g_strdup_printf (_ ("“%s” found"), op->title);
      kios_book_menu_show_toast (self, adw_toast_new (title));
    }
}

static void
remove_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (Op)     op = user_data;
  KiosBookMenu      *self = op->menu;
  g_autoptr (GError) error = NULL;
  g_autofree char   *title = NULL;
  g_autofree char   *dropped = NULL;
  const char *const *unsent;
  AdwToast          *toast;

  op->removal = kios_library_remove_finish (KIOS_LIBRARY (source_object), result, &op->notice, &error);
  if (op->removal == NULL)
    {
      finished (self, error);
      return;
    }
  /* Annotations chosen to go wait out the toast: Undo keeps them. */
  kios_library_removal_set_drop_annotations (op->removal, op->drop_annotations);
  if (self->host == NULL)
    return;

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
    kios_book_menu_show_toast (self, adw_toast_new (dropped));
  kios_book_menu_show_toast (self, toast);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
run_op (KiosBookMenu *self,
        Op           *op)
{
  g_autoptr (GTask) task = NULL;

  /* Busy until the list that shows the result is in. */
  g_signal_emit (self, signals[SIGNAL_BUSY], 0);
  task = g_task_new (self, self->cancellable, op_done_cb, NULL);
  g_task_set_source_tag (task, run_op);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_run_in_thread (task, op_worker);
}

static const KiosBookRecord *
find_book (KiosBookMenu *self,
           const char   *hash)
{
  guint position;

  if (self->library == NULL || hash == NULL || !kios_library_model_find (self->model, hash, &position))
    return NULL;

  return kios_library_model_get_book (self->model, position);
}

static const KiosBookRecord *
find_book_for (KiosBookMenu *self,
               GVariant     *parameter)
{
  return find_book (self, g_variant_get_string (parameter, NULL));
}

static void
start_remove (KiosBookMenu *self,
              const char   *hash,
              const char   *title,
              gboolean      delete_file,
              gboolean      drop_annotations)
{
  Op *op = op_new (self, OP_REMOVE, hash);

  op->title = g_strdup (title);
  op->flag = delete_file;
  op->drop_annotations = drop_annotations;
  op->menu = g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_BUSY], 0);
  kios_library_remove_async (self->library, op->hash, delete_file, self->cancellable, remove_done_cb, op);
}

static void
annotations_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  KiosBookMenu *self = KIOS_BOOK_MENU (user_data);
  const char   *hash = g_object_get_data (G_OBJECT (dialog), "hash");
  const char   *title = g_object_get_data (G_OBJECT (dialog), "title");
  gboolean      delete_file = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "delete-file"));

  if (self->library == NULL || self->host == NULL)
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

/* A message dialog over the host's window, carrying the book's hash. */
static AdwMessageDialog *
dialog_new (KiosBookMenu         *self,
            const char           *heading,
            const char           *body,
            const KiosBookRecord *book,
            GCallback             response_cb)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (host_window (self), heading, body));

  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hash", g_strdup (book->hash), g_free);
  g_signal_connect_object (dialog, "response", response_cb, self, 0);
  return dialog;
}

/* Removes the book, asking first what becomes of its annotations when it
 * has some. Counting them is one indexed query (the store allows it on the
 * main thread). */
static void
remove_book (KiosBookMenu         *self,
             const KiosBookRecord *book,
             gboolean              delete_file)
{
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

  /* Translators: %s is a book's title. */
  heading = g_strdup_printf (_ ("Remove “%s”?"), book_title (book));
  what = describe_annotations (n_highlights, n_notes, n_bookmarks);
  /* Translators: %s lists annotations, e.g. "2 highlights and 1 note". */
  body = g_strdup_printf (_ ("This book has %s. Kept annotations stay on this computer and come back if the book is added again."),
                          what);
  dialog = dialog_new (self, heading, body, book, G_CALLBACK (annotations_response_cb));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _ ("_Cancel"),
                                    "keep", _ ("_Keep Annotations"),
                                    "remove", _ ("_Remove Annotations Too"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "keep");
  g_object_set_data_full (G_OBJECT (dialog), "title", g_strdup (book_title (book)), g_free);
  g_object_set_data (G_OBJECT (dialog), "delete-file", GINT_TO_POINTER (delete_file));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
remove_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KiosBookMenu         *self = KIOS_BOOK_MENU (user_data);
  const KiosBookRecord *book = find_book_for (self, parameter);

  if (book != NULL)
    remove_book (self, book, FALSE);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  KiosBookMenu         *self = KIOS_BOOK_MENU (user_data);
  const KiosBookRecord *book = find_book (self, g_object_get_data (G_OBJECT (dialog), "hash"));

  if (g_str_equal (response, "delete") && book != NULL && self->host != NULL)
    remove_book (self, book, TRUE);
}

static void
delete_file_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  KiosBookMenu         *self = KIOS_BOOK_MENU (user_data);
  const KiosBookRecord *book = find_book_for (self, parameter);
  g_autofree char      *heading = NULL;
  AdwMessageDialog     *dialog;

  if (book == NULL || !book->downloaded)
    return;

  /* Translators: %s is a book's title. */
  heading = g_strdup_printf (_ ("Delete “%s”?"), book_title (book));
  dialog = dialog_new (self, heading,
                       _ ("The book’s file is deleted from this computer and the book leaves the library. It can be downloaded again from its catalog."),
                       book, G_CALLBACK (delete_response_cb));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _ ("_Cancel"),
                                    "delete", _ ("_Delete File"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_finished (KiosBookMenu *self,
              GVariant     *parameter,
              gboolean      finished)
{
  const KiosBookRecord *book = find_book_for (self, parameter);
  Op                   *op;

  if (book == NULL)
    return;

  op = op_new (self, OP_SET_FINISHED, book->hash);
  op->flag = finished;
  run_op (self, op);
}

static void
mark_finished_activated_cb (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  set_finished (KIOS_BOOK_MENU (user_data), parameter, TRUE);
}

static void
mark_unread_activated_cb (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  set_finished (KIOS_BOOK_MENU (user_data), parameter, FALSE);
}

static void
locate_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    gpointer         user_data)
{
  KiosBookMenu     *self = KIOS_BOOK_MENU (user_data);
  g_autoptr (GFile) file = NULL;
  g_autofree char  *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL && self->host != NULL)
    kios_book_menu_locate (self, g_object_get_data (G_OBJECT (chooser), "hash"), path);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
locate_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  KiosBookMenu             *self = KIOS_BOOK_MENU (user_data);
  const KiosBookRecord     *book = find_book_for (self, parameter);
  g_autoptr (GtkFileFilter) filter = NULL;
  g_autofree char          *title = NULL;
  GtkFileChooserNative     *chooser;

  if (book == NULL)
    return;

  /* Translators: a file chooser's title; %s is a book's title. */
  title = g_strdup_printf (_ ("Locate “%s”"), book_title (book));
  chooser = gtk_file_chooser_native_new (title, host_window (self), GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Select"),
                                         NULL);
  filter = gtk_file_filter_new ();
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
missing_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  KiosBookMenu *self = KIOS_BOOK_MENU (user_data);
  const char   *hash = g_object_get_data (G_OBJECT (dialog), "hash");

  if (g_str_equal (response, "locate") || g_str_equal (response, "remove"))
    g_action_group_activate_action (G_ACTION_GROUP (self->actions), response, g_variant_new_string (hash));
}

static void
unparent_idle_cb (gpointer data)
{
  g_autoptr (GtkWidget) popover = data;

  /* Not when shutdown did it already. */
  if (gtk_widget_get_parent (popover) != NULL)
    gtk_widget_unparent (popover);
}

static void
popover_closed_cb (GtkPopover *popover,
                   gpointer    user_data)
{
  KiosBookMenu *self = KIOS_BOOK_MENU (user_data);

  /* Unparented after the menu's action ran (it runs after "closed"). */
  if (self->popover != GTK_WIDGET (popover))
    return;
  self->popover = NULL;
  g_idle_add_once (unparent_idle_cb, g_object_ref (popover));
}

static void
add_item (GMenu      *section,
          const char *label,
          const char *action,
          GVariant   *target)
{
  g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, target);
  g_menu_append_item (section, item);
}

static GMenu *
book_menu (const KiosBookRecord *book)
{
  g_autoptr (GMenu)    menu = g_menu_new ();
  g_autoptr (GMenu)    state = g_menu_new ();
  g_autoptr (GMenu)    removal = g_menu_new ();
  KiosBookState        book_state = kios_book_record_get_state (book);
  g_autoptr (GVariant) target = g_variant_ref_sink (g_variant_new_string (book->hash));

  if (book_state == KIOS_BOOK_STATE_MISSING)
    add_item (state, _ ("_Locate…"), "library.locate", target);
  else if (book_state == KIOS_BOOK_STATE_FINISHED)
    add_item (state, _ ("Mark as _Unread"), "library.mark-unread", target);
  else
    add_item (state, _ ("Mark as _Finished"), "library.mark-finished", target);

  add_item (removal, _ ("_Remove from Library"), "library.remove", target);
  if (book->downloaded && book_state != KIOS_BOOK_STATE_MISSING)
    add_item (removal, _ ("_Delete File…"), "library.delete-file", target);

  g_menu_append_section (menu, NULL, G_MENU_MODEL (state));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (removal));
  return g_steal_pointer (&menu);
}

static void
pressed_cb (GtkGesture *gesture,
            double      x,
            double      y,
            gpointer    user_data)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));

  if (kios_book_menu_popup (KIOS_BOOK_MENU (user_data), widget, x, y))
    gtk_gesture_set_state (gesture, GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
click_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  gpointer         user_data)
{
  pressed_cb (GTK_GESTURE (gesture), x, y, user_data);
}

/* The card or row of the focused item of list: the list's child holding
 * the focus, and its own first child. */
static GtkWidget *
focused_item (GtkWidget *list)
{
  GtkRoot   *root = gtk_widget_get_root (list);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL || !gtk_widget_is_ancestor (focus, list))
    return NULL;
  while (gtk_widget_get_parent (focus) != list)
    focus = gtk_widget_get_parent (focus);
  return gtk_widget_get_first_child (focus);
}

static gboolean
delete_key_cb (GtkWidget *widget,
               GVariant  *args,
               gpointer   user_data)
{
  KiosBookMenu         *self = KIOS_BOOK_MENU (user_data);
  GtkWidget            *item = focused_item (widget);
  const KiosBookRecord *book = item != NULL ? self->lookup (item) : NULL;

  if (book == NULL || self->library == NULL)
    return FALSE;

  /* Like Files: Delete removes at once (asking first only about
   * annotations), and the toast offers Undo. */
  kios_book_menu_remove (self, book);
  return TRUE;
}

static gboolean
menu_key_cb (GtkWidget *widget,
             GVariant  *args,
             gpointer   user_data)
{
  GtkWidget *item = focused_item (widget);

  return item != NULL && kios_book_menu_popup (KIOS_BOOK_MENU (user_data), item, gtk_widget_get_width (item) / 2.0,
                                               gtk_widget_get_height (item) / 2.0);
}

static void
kios_book_menu_dispose (GObject *object)
{
  KiosBookMenu *self = KIOS_BOOK_MENU (object);

  kios_book_menu_shutdown (self);
  g_clear_object (&self->library);
  g_clear_object (&self->model);
  g_clear_object (&self->actions);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kios_book_menu_parent_class)->dispose (object);
}

static void
kios_book_menu_class_init (KiosBookMenuClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kios_book_menu_dispose;

  /**
   * KiosBookMenu::busy:
   *
   * An operation started whose result a new list shows.
   */
  signals[SIGNAL_BUSY] = g_signal_new ("busy", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 0);
  /**
   * KiosBookMenu::changed:
   *
   * An operation ended, done or failed: the books are to be listed again.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
}

static void
kios_book_menu_init (KiosBookMenu *self)
{
  const GActionEntry entries[] = {
    { .name = "remove", .parameter_type = "s", .activate = remove_activated_cb },
    { .name = "delete-file", .parameter_type = "s", .activate = delete_file_activated_cb },
    { .name = "mark-finished", .parameter_type = "s", .activate = mark_finished_activated_cb },
    { .name = "mark-unread", .parameter_type = "s", .activate = mark_unread_activated_cb },
    { .name = "locate", .parameter_type = "s", .activate = locate_activated_cb },
  };

  self->cancellable = g_cancellable_new ();
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries), self);
}

KiosBookMenu *
kios_book_menu_new (GtkWidget         *host,
                    KiosLibraryModel  *model,
                    AdwToastOverlay   *toasts,
                    KiosBookMenuLookup lookup)
{
  KiosBookMenu *self;

  g_return_val_if_fail (GTK_IS_WIDGET (host), NULL);
  g_return_val_if_fail (KIOS_IS_LIBRARY_MODEL (model), NULL);
  g_return_val_if_fail (ADW_IS_TOAST_OVERLAY (toasts), NULL);
  g_return_val_if_fail (lookup != NULL, NULL);

  self = g_object_new (KIOS_TYPE_BOOK_MENU, NULL);
  self->host = host;
  self->model = g_object_ref (model);
  self->toasts = toasts;
  self->lookup = lookup;
  gtk_widget_insert_action_group (host, "library", G_ACTION_GROUP (self->actions));
  return self;
}

KiosLibrary *
kios_book_menu_get_library (KiosBookMenu *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_MENU (self), NULL);

  return self->library;
}

void
kios_book_menu_set_library (KiosBookMenu *self,
                            KiosLibrary  *library)
{
  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (library == NULL || KIOS_IS_LIBRARY (library));

  g_set_object (&self->library, library);
}

GActionMap *
kios_book_menu_get_actions (KiosBookMenu *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_MENU (self), NULL);

  return G_ACTION_MAP (self->actions);
}

AdwToast *
kios_book_menu_get_last_toast (KiosBookMenu *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_MENU (self), NULL);

  return self->last_toast;
}

void
kios_book_menu_add_gestures (KiosBookMenu *self,
                             GtkWidget    *widget)
{
  GtkGesture *gesture;

  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (GTK_IS_WIDGET (widget));

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (click_pressed_cb), self, 0);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (pressed_cb), self, 0);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));
}

void
kios_book_menu_add_keys (KiosBookMenu *self,
                         GtkWidget    *list)
{
  GtkEventController *controller;
  GtkShortcutAction  *delete_action;
  GtkShortcutAction  *menu_action;

  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (GTK_IS_WIDGET (list));

  controller = gtk_shortcut_controller_new ();
  delete_action = gtk_callback_action_new (delete_key_cb, self, NULL);
  menu_action = gtk_callback_action_new (menu_key_cb, self, NULL);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0), delete_action));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Menu, 0),
                                                          g_object_ref (menu_action)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F10, GDK_SHIFT_MASK),
                                                          menu_action));
  gtk_widget_add_controller (list, controller);
}

gboolean
kios_book_menu_popup (KiosBookMenu *self,
                      GtkWidget    *widget,
                      double        x,
                      double        y)
{
  const KiosBookRecord *book;
  g_autoptr (GMenu)     menu = NULL;
  GtkWidget            *popover;

  g_return_val_if_fail (KIOS_IS_BOOK_MENU (self), FALSE);
  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);

  book = self->lookup (widget);
  if (book == NULL || self->library == NULL || self->host == NULL)
    return FALSE;

  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));

  menu = book_menu (book);
  popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_widget_set_parent (popover, widget);
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_widget_set_halign (popover, GTK_ALIGN_START);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle){ (int) x, (int) y, 1, 1 });
  g_signal_connect_object (popover, "closed", G_CALLBACK (popover_closed_cb), self, 0);
  self->popover = popover;
  gtk_popover_popup (GTK_POPOVER (popover));
  return TRUE;
}

void
kios_book_menu_remove (KiosBookMenu         *self,
                       const KiosBookRecord *book)
{
  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (book != NULL);

  if (self->library != NULL && self->host != NULL)
    remove_book (self, book, FALSE);
}

void
kios_book_menu_offer_missing (KiosBookMenu         *self,
                              const KiosBookRecord *book)
{
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;

  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (book != NULL);

  /* Translators: %s is a book's title, then its former file path. */
  body = g_strdup_printf (_ ("“%s” is no longer at %s. If it was moved, locate it to keep reading where you left off."),
                          book_title (book), book->path != NULL ? book->path : "");
  dialog = dialog_new (self, _ ("Book File Not Found"), body, book, G_CALLBACK (missing_response_cb));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _ ("_Cancel"),
                                    "remove", _ ("_Remove"),
                                    "locate", _ ("_Locate…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "locate", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "locate");
  gtk_window_present (GTK_WINDOW (dialog));
}

void
kios_book_menu_locate (KiosBookMenu *self,
                       const char   *hash,
                       const char   *path)
{
  guint position;
  Op   *op;

  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (hash != NULL && path != NULL);

  if (self->library == NULL || self->host == NULL)
    return;

  op = op_new (self, OP_LOCATE, hash);
  op->path = g_strdup (path);
  op->title = g_strdup (kios_library_model_find (self->model, hash, &position)
                            ? book_title (kios_library_model_get_book (self->model, position))
                            : _ ("Untitled"));
  run_op (self, op);
}

/* The overlay frees a toast once it is dismissed: last_toast must not
 * outlive it. */
static void
toast_dismissed_cb (KiosBookMenu *self,
                    AdwToast     *toast)
{
  if (self->last_toast == toast)
    self->last_toast = NULL;
}

void
kios_book_menu_show_toast (KiosBookMenu *self,
                           AdwToast     *toast)
{
  g_return_if_fail (KIOS_IS_BOOK_MENU (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  if (self->toasts == NULL)
    {
      g_object_unref (toast);
      return;
    }
  self->last_toast = toast;
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (toast_dismissed_cb), self, G_CONNECT_SWAPPED);
  adw_toast_overlay_add_toast (self->toasts, toast);
}

void
kios_book_menu_shutdown (KiosBookMenu *self)
{
  g_return_if_fail (KIOS_IS_BOOK_MENU (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  self->host = NULL;
  self->toasts = NULL;
  self->last_toast = NULL;
}
