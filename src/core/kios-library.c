/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library"

#include "config.h"

#include "kios-library-private.h"

#include "kios-book-hash.h"
#include "kios-error.h"
#include "kios-paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

struct _KiosLibraryRemoval
{
  KiosLibraryStore  *store;
  KiosStoreBookRows *rows; /* NULL once undone */
  char              *hash;
  char              *title;
  char              *path;             /* where the file was */
  char              *trash;            /* where it waits, or NULL when it was kept */
  GStrv              unsent;           /* sources whose pending push went with the book */
  int                n_annotations;    /* the book's, at removal */
  gboolean           drop_annotations; /* delete them when the undo window ends */
};

/* Shared by the library and the idles that carry signals to its context:
 * the pointer is cleared in dispose, so an idle that runs later emits to
 * nobody. */
typedef struct
{
  GMutex       lock;
  KiosLibrary *library;
} Relay;

G_DEFINE_FINAL_TYPE (KiosLibrary, kios_library, G_TYPE_OBJECT)
G_DEFINE_QUARK (kios_library_error, kios_library_error)

enum {
  SIGNAL_CHANGED,
  SIGNAL_IMPORT_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- states ------------------------------------------------------------- */

KiosBookState
kios_book_record_get_state (const KiosBookRecord *book)
{
  g_return_val_if_fail (book != NULL, KIOS_BOOK_STATE_NEW);

  if (book->missing)
    return KIOS_BOOK_STATE_MISSING;
  if (book->finished_at > 0)
    return KIOS_BOOK_STATE_FINISHED;
  if (book->finished_at == 0 && book->progress >= KIOS_BOOK_FINISHED_PROGRESS)
    return KIOS_BOOK_STATE_FINISHED;
  if (book->progress > KIOS_BOOK_READING_MIN_PROGRESS)
    return KIOS_BOOK_STATE_READING;
  return KIOS_BOOK_STATE_NEW;
}

const char *
kios_book_state_to_string (KiosBookState state)
{
  switch (state)
    {
    case KIOS_BOOK_STATE_READING:
      return "reading";
    case KIOS_BOOK_STATE_FINISHED:
      return "finished";
    case KIOS_BOOK_STATE_MISSING:
      return "missing";
    case KIOS_BOOK_STATE_NEW:
    default:
      return "new";
    }
}

gboolean
kios_library_sort_from_string (const char      *text,
                               KiosLibrarySort *sort)
{
  static const char *const names[] = { "recent", "title", "author", "added", "progress" };

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (text, names[i]))
      {
        *sort = (KiosLibrarySort) i;
        return TRUE;
      }
  return FALSE;
}

/* ---- signals from any thread -------------------------------------------- */

typedef struct
{
  Relay *relay;
  guint  signal;
  guint  done;
  guint  total;
} Emission;

static void
relay_clear (Relay *relay)
{
  g_mutex_clear (&relay->lock);
}

static void
emission_free (Emission *emission)
{
  g_atomic_rc_box_release_full (emission->relay, (GDestroyNotify) relay_clear);
  g_free (emission);
}

static gboolean
emission_run (gpointer data)
{
  Emission               *emission = data;
  g_autoptr (KiosLibrary) self = NULL;

  g_mutex_lock (&emission->relay->lock);
  if (emission->relay->library != NULL)
    self = g_object_ref (emission->relay->library);
  g_mutex_unlock (&emission->relay->lock);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (emission->signal == SIGNAL_CHANGED)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  else
    g_signal_emit (self, signals[SIGNAL_IMPORT_PROGRESS], 0, emission->done, emission->total);
  return G_SOURCE_REMOVE;
}

static void
emit_later (KiosLibrary *self,
            guint        signal,
            guint        done,
            guint        total)
{
  Emission *emission = g_new0 (Emission, 1);
  GSource  *source;

  emission->relay = g_atomic_rc_box_acquire ((Relay *) self->relay);
  emission->signal = signal;
  emission->done = done;
  emission->total = total;
  /* Always an idle, even on the library's own thread: a caller that emits
   * from inside a store callback must not be re-entered. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, emission_run, emission, (GDestroyNotify) emission_free);
  g_source_set_static_name (source, "[kios] library signal");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

void
kios_library_emit_changed (KiosLibrary *self)
{
  emit_later (self, SIGNAL_CHANGED, 0, 0);
}

void
kios_library_emit_progress (KiosLibrary *self,
                            guint        done,
                            guint        total)
{
  emit_later (self, SIGNAL_IMPORT_PROGRESS, done, total);
}

/* ---- GObject ------------------------------------------------------------ */

static void
kios_library_dispose (GObject *object)
{
  KiosLibrary *self = KIOS_LIBRARY (object);
  Relay       *relay = self->relay;

  g_mutex_lock (&relay->lock);
  relay->library = NULL;
  g_mutex_unlock (&relay->lock);
  kios_library_scan_dispose (self);
  g_clear_object (&self->sync_service);

  G_OBJECT_CLASS (kios_library_parent_class)->dispose (object);
}

static void
kios_library_finalize (GObject *object)
{
  KiosLibrary *self = KIOS_LIBRARY (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_atomic_rc_box_release_full (self->relay, (GDestroyNotify) relay_clear);

  G_OBJECT_CLASS (kios_library_parent_class)->finalize (object);
}

static void
kios_library_class_init (KiosLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_library_dispose;
  object_class->finalize = kios_library_finalize;

  /**
   * KiosLibrary::changed:
   * @self: the library
   *
   * Books were added, removed, moved, or changed state: list again.
   */
  signals[SIGNAL_CHANGED] =
      g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);
  /**
   * KiosLibrary::import-progress:
   * @self: the library
   * @done: files looked at so far
   * @total: files to look at in this rescan
   *
   * A rescan's progress; the last emission has done == total.
   */
  signals[SIGNAL_IMPORT_PROGRESS] =
      g_signal_new ("import-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
kios_library_init (KiosLibrary *self)
{
  Relay *relay = g_atomic_rc_box_new0 (Relay);

  g_mutex_init (&relay->lock);
  relay->library = self;
  self->relay = relay;
  self->context = g_main_context_ref_thread_default ();
}

/* ---- public: lifetime ------------------------------------------------------ */

KiosLibrary *
kios_library_new (KiosLibraryStore *store)
{
  KiosLibrary *self;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);

  self = g_object_new (KIOS_TYPE_LIBRARY, NULL);
  self->store = g_object_ref (store);
  return self;
}

KiosLibraryStore *
kios_library_get_store (KiosLibrary *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY (self), NULL);

  return self->store;
}

void
kios_library_set_sync_service (KiosLibrary     *self,
                               KiosSyncService *sync_service)
{
  g_return_if_fail (KIOS_IS_LIBRARY (self));
  g_return_if_fail (sync_service == NULL || KIOS_IS_SYNC_SERVICE (sync_service));

  g_set_object (&self->sync_service, sync_service);
}

/* ---- public: listing -------------------------------------------------------- */

GPtrArray *
kios_library_list (KiosLibrary    *self,
                   KiosLibrarySort sort,
                   const char     *search,
                   GError        **error)
{
  g_autoptr (GPtrArray) books = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), NULL);
  g_return_val_if_fail ((guint) sort <= KIOS_LIBRARY_SORT_PROGRESS, NULL);

  books = kios_library_store_list_books (self->store, sort, search, error);
  if (books == NULL)
    return NULL;

  /* A stat per listed book: a file deleted or moved away shows as missing
   * at once, and the store remembers it for the next start. */
  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);
      GStatBuf        st;
      gboolean        missing;

      if (book->path == NULL)
        continue;
      missing = g_stat (book->path, &st) != 0 && errno == ENOENT;
      if (missing != book->missing)
        {
          book->missing = missing;
          kios_library_store_set_book_missing (self->store, book->hash, missing);
        }
    }
  return g_steal_pointer (&books);
}

typedef struct
{
  KiosLibrarySort sort;
  char           *search;
} ListRequest;

static void
list_request_free (ListRequest *request)
{
  g_free (request->search);
  g_free (request);
}

static void
list_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ListRequest *request = task_data;
  GError      *error = NULL;
  GPtrArray   *books;

  if (g_task_return_error_if_cancelled (task))
    return;
  books = kios_library_list (source_object, request->sort, request->search, &error);
  if (books == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, books, (GDestroyNotify) g_ptr_array_unref);
}

void
kios_library_list_async (KiosLibrary        *self,
                         KiosLibrarySort     sort,
                         const char         *search,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  ListRequest      *request;

  g_return_if_fail (KIOS_IS_LIBRARY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  request = g_new0 (ListRequest, 1);
  request->sort = sort;
  request->search = g_strdup (search);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_library_list_async);
  g_task_set_task_data (task, request, (GDestroyNotify) list_request_free);
  g_task_run_in_thread (task, list_worker);
}

GPtrArray *
kios_library_list_finish (KiosLibrary  *self,
                          GAsyncResult *result,
                          GError      **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_library_list_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- public: removal ------------------------------------------------------ */

static char *
trash_path_for (const char *hash,
                const char *path)
{
  g_autofree char *data_dir = kios_paths_data_dir ();
  g_autofree char *dir = g_build_filename (data_dir, KIOS_LIBRARY_TRASH_DIR, NULL);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = g_strconcat (hash, "-", base, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return NULL;
  return g_build_filename (dir, name, NULL);
}

static gboolean
move_file (const char *from,
           const char *to,
           GError    **error)
{
  if (g_rename (from, to) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot move %s: %s", from,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* The book, when removing it as asked may go ahead: it is in the library,
 * and delete_file only for a book Kios downloaded. Checked before the
 * book's pending push is sent, so a refused removal sends nothing. */
static KiosBookRecord *
check_removal (KiosLibrary *self,
               const char  *hash,
               gboolean     delete_file,
               GError     **error)
{
  g_autoptr (KiosBookRecord) book = kios_library_store_get_book (self->store, hash, error);

  if (book == NULL)
    return NULL;
  if (delete_file && !book->downloaded)
    {
      g_set_error (error, KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_NOT_DOWNLOADED,
                   "“%s” was not downloaded by Kios: its file is not Kios's to delete", hash);
      return NULL;
    }
  return g_steal_pointer (&book);
}

/* The removal once the book's pending pushes were sent or not: pending
 * (transfer full, nullable) names the sources whose push was not sent. */
static KiosLibraryRemoval *
remove_flushed (KiosLibrary *self,
                const char  *hash,
                gboolean     delete_file,
                GStrv        pending,
                char       **notice,
                GError     **error)
{
  g_auto (GStrv)             unsent = pending;
  g_autoptr (KiosBookRecord) book = NULL;
  g_autofree char           *trash = NULL;
  KiosStoreBookRows         *rows;
  KiosLibraryRemoval        *removal;

  if (notice != NULL)
    *notice = NULL;
  /* Checked again: the book may have changed while its push went out. */
  book = check_removal (self, hash, delete_file, error);
  if (book == NULL)
    return NULL;

  if (delete_file && book->path != NULL && g_file_test (book->path, G_FILE_TEST_EXISTS))
    {
      trash = trash_path_for (hash, book->path);
      if (trash == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot make a place for removed books");
          return NULL;
        }
      if (!move_file (book->path, trash, error))
        return NULL;
    }

  /* A kept file stays out of rescans, or its folder would bring it back. */
  rows = kios_library_store_remove_book (self->store, hash, !delete_file, error);
  if (rows == NULL)
    {
      if (trash != NULL && !move_file (trash, book->path, NULL))
        g_warning ("Cannot put back %s", book->path);
      return NULL;
    }

  if (notice != NULL && unsent != NULL && unsent[0] != NULL)
    {
      g_autofree char *names = g_strjoinv (", ", unsent);

      *notice = g_strdup_printf ("The reading position not yet sent to %s was dropped", names);
    }

  removal = g_new0 (KiosLibraryRemoval, 1);
  removal->store = g_object_ref (self->store);
  removal->rows = rows;
  removal->hash = g_strdup (hash);
  removal->title = g_strdup (book->title);
  removal->path = g_strdup (book->path);
  removal->trash = g_steal_pointer (&trash);
  removal->n_annotations = kios_library_store_count_annotations (self->store, hash);
  if (unsent != NULL && unsent[0] != NULL)
    removal->unsent = g_steal_pointer (&unsent);
  kios_library_emit_changed (self);
  return removal;
}

KiosLibraryRemoval *
kios_library_remove (KiosLibrary *self,
                     const char  *hash,
                     gboolean     delete_file,
                     char       **notice,
                     GError     **error)
{
  g_autoptr (KiosBookRecord) book = NULL;
  GStrv                      pending;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (hash != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (notice != NULL)
    *notice = NULL;
  book = check_removal (self, hash, delete_file, error);
  if (book == NULL)
    return NULL;

  /* A pending push is sent first, briefly, through the sync service; what
   * could not go (offline, an error, no time left) goes with the book and
   * the person is told which. */
  if (self->sync_service != NULL)
    pending = kios_sync_service_flush_book (self->sync_service, hash, KIOS_LIBRARY_FLUSH_TIMEOUT_MS, NULL);
  else
    pending = kios_library_store_list_pending_sources (self->store, hash, NULL);
  return remove_flushed (self, hash, delete_file, pending, notice, error);
}

typedef struct
{
  char    *hash;
  gboolean delete_file;
  gboolean flushed; /* pending is the flush's outcome */
  GStrv    pending;
} RemoveRequest;

typedef struct
{
  KiosLibraryRemoval *removal;
  char               *notice;
} RemoveResult;

static void
remove_request_free (RemoveRequest *request)
{
  g_free (request->hash);
  g_strfreev (request->pending);
  g_free (request);
}

static void
remove_result_free (RemoveResult *result)
{
  kios_library_removal_free (result->removal);
  g_free (result->notice);
  g_free (result);
}

static void
remove_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RemoveRequest *request = task_data;
  RemoveResult  *result = g_new0 (RemoveResult, 1);
  GError        *error = NULL;

  (void) cancellable;
  if (request->flushed)
    result->removal = remove_flushed (source_object, request->hash, request->delete_file,
                                      g_steal_pointer (&request->pending), &result->notice, &error);
  else
    result->removal = kios_library_remove (source_object, request->hash, request->delete_file,
                                           &result->notice, &error);
  if (result->removal == NULL)
    {
      remove_result_free (result);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify) remove_result_free);
}

/* The first step with a sync service: the request checked on a worker
 * (it reads the store), before any push is sent. */
static void
check_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  RemoveRequest             *request = task_data;
  g_autoptr (KiosBookRecord) book = NULL;
  GError                    *error = NULL;

  (void) cancellable;
  book = check_removal (source_object, request->hash, request->delete_file, &error);
  if (book == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
remove_flushed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  RemoveRequest    *request = g_task_get_task_data (task);

  request->pending = kios_sync_service_flush_book_finish (KIOS_SYNC_SERVICE (source), result);
  request->flushed = TRUE;
  g_task_run_in_thread (task, remove_worker);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KiosLibrary      *self = KIOS_LIBRARY (source);
  RemoveRequest    *request = g_task_get_task_data (task);
  GError           *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The sync service's own flush, then the rows on a worker. */
  kios_sync_service_flush_book_async (self->sync_service, request->hash, KIOS_LIBRARY_FLUSH_TIMEOUT_MS, NULL,
                                      remove_flushed_cb, g_steal_pointer (&task));
}

void
kios_library_remove_async (KiosLibrary        *self,
                           const char         *hash,
                           gboolean            delete_file,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  RemoveRequest    *request;

  g_return_if_fail (KIOS_IS_LIBRARY (self));
  g_return_if_fail (hash != NULL);

  request = g_new0 (RemoveRequest, 1);
  request->hash = g_strdup (hash);
  request->delete_file = delete_file;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_library_remove_async);
  g_task_set_task_data (task, request, (GDestroyNotify) remove_request_free);
  /* A removal, once started, runs to its end: undo is how it is taken back. */
  g_task_set_check_cancellable (task, FALSE);
  if (self->sync_service != NULL)
    {
      g_autoptr (GTask) check = g_task_new (self, NULL, checked_cb, g_steal_pointer (&task));

      /* The request checked first, then the sync service's flush, then the
       * rows: a refused removal sends nothing. The request belongs to the
       * removal's task, which the check's callback holds. */
      g_task_set_source_tag (check, check_worker);
      g_task_set_task_data (check, request, NULL);
      g_task_run_in_thread (check, check_worker);
      return;
    }
  g_task_run_in_thread (task, remove_worker);
}

KiosLibraryRemoval *
kios_library_remove_finish (KiosLibrary  *self,
                            GAsyncResult *result,
                            char        **notice,
                            GError      **error)
{
  RemoveResult       *outcome;
  KiosLibraryRemoval *removal;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_library_remove_async, NULL);

  if (notice != NULL)
    *notice = NULL;
  outcome = g_task_propagate_pointer (G_TASK (result), error);
  if (outcome == NULL)
    return NULL;
  removal = g_steal_pointer (&outcome->removal);
  if (notice != NULL)
    *notice = g_steal_pointer (&outcome->notice);
  remove_result_free (outcome);
  return removal;
}

gboolean
kios_library_undo_remove (KiosLibrary        *self,
                          KiosLibraryRemoval *removal,
                          GError            **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (removal != NULL, FALSE);

  if (removal->rows == NULL)
    return TRUE; /* undone already */
  if (removal->trash != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (removal->path);

      g_mkdir_with_parents (dir, 0700);
      if (!move_file (removal->trash, removal->path, error))
        return FALSE;
      g_clear_pointer (&removal->trash, g_free);
    }
  if (!kios_library_store_restore_book (self->store, removal->rows, error))
    return FALSE;
  g_clear_pointer (&removal->rows, kios_store_book_rows_free);
  kios_library_emit_changed (self);
  return TRUE;
}

static void
undo_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  (void) cancellable;
  if (kios_library_undo_remove (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kios_library_undo_remove_async (KiosLibrary        *self,
                                KiosLibraryRemoval *removal,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY (self));
  g_return_if_fail (removal != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_library_undo_remove_async);
  g_task_set_task_data (task, removal, NULL);
  /* Like the removal, an undo once started runs to its end. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, undo_worker);
}

gboolean
kios_library_undo_remove_finish (KiosLibrary  *self,
                                 GAsyncResult *result,
                                 GError      **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_library_undo_remove_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
kios_library_removal_get_hash (KiosLibraryRemoval *removal)
{
  g_return_val_if_fail (removal != NULL, NULL);
  return removal->hash;
}

const char *
kios_library_removal_get_title (KiosLibraryRemoval *removal)
{
  g_return_val_if_fail (removal != NULL, NULL);
  return removal->title;
}

const char *const *
kios_library_removal_get_unsent_sources (KiosLibraryRemoval *removal)
{
  g_return_val_if_fail (removal != NULL, NULL);
  return (const char *const *) removal->unsent;
}

int
kios_library_removal_get_n_annotations (KiosLibraryRemoval *removal)
{
  g_return_val_if_fail (removal != NULL, 0);
  return removal->n_annotations;
}

void
kios_library_removal_set_drop_annotations (KiosLibraryRemoval *removal,
                                           gboolean            drop)
{
  g_return_if_fail (removal != NULL);
  removal->drop_annotations = drop;
}

gboolean
kios_library_count_annotations (KiosLibrary *self,
                                const char  *hash,
                                guint       *n_highlights,
                                guint       *n_notes,
                                guint       *n_bookmarks,
                                GError     **error)
{
  g_autoptr (GPtrArray) annotations = NULL;
  guint                 highlights = 0, notes = 0, bookmarks = 0;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (hash != NULL, FALSE);

  annotations = kios_library_store_list_annotations (self->store, hash, error);
  if (annotations == NULL)
    return FALSE;
  for (guint i = 0; i < annotations->len; i++)
    {
      const KiosAnnotation *a = g_ptr_array_index (annotations, i);

      if (a->kind == KIOS_ANNOTATION_BOOKMARK)
        bookmarks++;
      else if (a->note != NULL && *a->note != '\0')
        notes++;
      else
        highlights++;
    }
  if (n_highlights != NULL)
    *n_highlights = highlights;
  if (n_notes != NULL)
    *n_notes = notes;
  if (n_bookmarks != NULL)
    *n_bookmarks = bookmarks;
  return TRUE;
}

void
kios_library_removal_free (KiosLibraryRemoval *removal)
{
  if (removal == NULL)
    return;
  /* Not undone: the annotations the person chose to remove go now. */
  if (removal->rows != NULL && removal->drop_annotations && removal->n_annotations > 0)
    {
      g_autoptr (GError) error = NULL;

      if (!kios_library_store_delete_book_annotations (removal->store, removal->hash, &error))
        g_warning ("Cannot delete the annotations of a removed book: %s", error->message);
    }
  if (removal->trash != NULL && g_unlink (removal->trash) != 0 && errno != ENOENT)
    g_warning ("Cannot delete the removed book %s: %s", removal->trash, g_strerror (errno));
  g_clear_pointer (&removal->rows, kios_store_book_rows_free);
  g_clear_object (&removal->store);
  g_free (removal->hash);
  g_free (removal->title);
  g_free (removal->path);
  g_free (removal->trash);
  g_strfreev (removal->unsent);
  g_free (removal);
}

/* ---- public: marks and locate ------------------------------------------------ */

gboolean
kios_library_set_finished (KiosLibrary *self,
                           const char  *hash,
                           gboolean     finished,
                           GError     **error)
{
  g_autoptr (KiosBookRecord) book = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (hash != NULL, FALSE);

  book = kios_library_store_get_book (self->store, hash, error);
  if (book == NULL)
    return FALSE;
  kios_library_store_set_book_finished (self->store, hash,
                                        finished ? MAX (g_get_real_time () / G_USEC_PER_SEC, 1) : -1);
  kios_library_emit_changed (self);
  return TRUE;
}

gboolean
kios_library_locate (KiosLibrary *self,
                     const char  *hash,
                     const char  *path,
                     GError     **error)
{
  g_autoptr (KiosBookRecord) book = NULL;
  g_autofree char           *found = NULL;
  g_autofree char           *canonical = NULL;
  GStatBuf                   st;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (hash != NULL && path != NULL, FALSE);

  book = kios_library_store_get_book (self->store, hash, error);
  if (book == NULL)
    return FALSE;
  found = kios_book_hash_file (path, error);
  if (found == NULL)
    return FALSE;
  if (!g_str_equal (found, hash))
    {
      g_set_error (error, KIOS_LIBRARY_ERROR, KIOS_LIBRARY_ERROR_OTHER_BOOK,
                   "%s is another book (hash %s, not %s)", path, found, hash);
      return FALSE;
    }
  canonical = g_canonicalize_filename (path, NULL);
  kios_library_store_set_book_path (self->store, hash, canonical,
                                    g_stat (canonical, &st) == 0 ? (gint64) st.st_size : book->size);
  if (!kios_library_store_flush_checked (self->store, 10000, error))
    return FALSE;
  kios_library_emit_changed (self);
  return TRUE;
}

/* ---- public: folders -------------------------------------------------------- */

char *
kios_library_canonical_dir (const char *dir)
{
  g_autofree char *absolute = g_canonicalize_filename (dir, NULL);
  char            *real = realpath (absolute, NULL);

  if (real != NULL)
    {
      char *copy = g_strdup (real);

      free (real);
      return copy;
    }
  return g_steal_pointer (&absolute);
}

GStrv
kios_library_list_folders (KiosLibrary *self)
{
  g_autoptr (GError) error = NULL;
  GStrv              folders;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), NULL);

  folders = kios_library_store_list_folders (self->store, &error);
  if (folders == NULL)
    {
      g_warning ("Cannot read the books folders: %s", error->message);
      return g_new0 (char *, 1);
    }
  return folders;
}

gboolean
kios_library_add_folder (KiosLibrary *self,
                         const char  *dir,
                         GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  path = kios_library_canonical_dir (dir);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s does not exist", path);
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s is not a folder", path);
      return FALSE;
    }
  return kios_library_store_add_folder (self->store, path, error);
}

gboolean
kios_library_remove_folder (KiosLibrary *self,
                            const char  *dir,
                            GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  path = kios_library_canonical_dir (dir);
  if (!kios_library_store_remove_folder (self->store, path, NULL) &&
      !kios_library_store_remove_folder (self->store, dir, error))
    return FALSE;
  return TRUE;
}
