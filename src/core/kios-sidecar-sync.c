/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sidecar-sync"

#include "config.h"

#include "kios-sidecar-sync.h"

#include "kios-error.h"
#include "kios-koreader-sidecar.h"

#include <glib/gstdio.h>
#include <string.h>

/*
 * Each open book has a Book: where its sidecar is, the monitor on it, the
 * two debounce timers and whether a read or a write runs. One read or write
 * runs at a time per book; what is asked meanwhile waits for it. Workers get
 * copies of what they need and give back a result; only the main thread
 * touches a Book.
 */

enum {
  SIGNAL_MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  KiosSidecarSync *sync; /* not a reference: the sync owns open books */
  char            *path;
  char            *hash;
  GPtrArray       *candidates; /* sidecar paths, the first existing one is used */
  char            *sidecar;    /* the one found (or to make), once read */
  GFileMonitor    *monitor;
  GCancellable    *cancellable;
  guint            import_id;
  guint            write_id;
  gboolean         busy;
  gboolean         want_import;
  gboolean         want_write;
  gboolean         importing; /* store changes now are the import's own */
  gboolean         refused;   /* the sidecar was refused: never written */
  gboolean         closed;
  /* The places Kios last saw in the sidecar or wrote there (set of
   * strings): those no longer in the store were deleted in Kios. */
  GHashTable *seen;
  /* The file as Kios last wrote it: a change event for it is ours. */
  gint64 written_mtime;
  gint64 written_size;
} Book;

struct _KiosSidecarSync
{
  GObject parent_instance;

  KiosLibraryStore *store;
  GSettings        *settings;
  GStrv             folders;
  char             *docsettings;
  guint             delay_ms;
  GHashTable       *books; /* hash → Book (owned) */
  GHashTable       *seen;  /* hash → the places last kept in the store */
};

G_DEFINE_FINAL_TYPE (KiosSidecarSync, kios_sidecar_sync, G_TYPE_OBJECT)

static void start_next (KiosSidecarSync *self,
                        Book            *book);

static Book *
book_ref (Book *book)
{
  return g_rc_box_acquire (book);
}

static void
book_clear (Book *book)
{
  g_free (book->path);
  g_free (book->hash);
  g_clear_pointer (&book->candidates, g_ptr_array_unref);
  g_free (book->sidecar);
  g_clear_pointer (&book->seen, g_hash_table_unref);
  g_clear_object (&book->monitor);
  g_clear_object (&book->cancellable);
}

static void
book_unref (Book *book)
{
  g_rc_box_release_full (book, (GDestroyNotify) book_clear);
}

/* Stops everything the book runs; its workers finish on their own. */
static void
book_close (Book *book)
{
  book->closed = TRUE;
  g_cancellable_cancel (book->cancellable);
  g_clear_handle_id (&book->import_id, g_source_remove);
  g_clear_handle_id (&book->write_id, g_source_remove);
  if (book->monitor != NULL)
    {
      g_signal_handlers_disconnect_matched (book->monitor, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, book);
      g_file_monitor_cancel (book->monitor);
      g_clear_object (&book->monitor);
    }
  book_unref (book);
}

static gboolean
stat_file (const char *path,
           gint64     *mtime,
           gint64     *size)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return FALSE;
  *mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  *size = (gint64) st.st_size;
  return TRUE;
}

/* Keeps book->seen in the store, so that a deletion made just before Kios
 * quit still leaves the sidecar the next time. */
static void
save_seen (KiosSidecarSync *self,
           Book            *book)
{
  g_autofree char *text = kios_koreader_sidecar_places_to_string (book->seen);
  char            *value = *text != '\0' ? g_steal_pointer (&text) : NULL;

  kios_library_store_set_book_meta (self->store, book->hash, KIOS_KOREADER_SIDECAR_SEEN_KEY, value);
  g_hash_table_insert (self->seen, g_strdup (book->hash), value != NULL ? value : g_strdup (""));
}

static GHashTable *
load_seen (KiosSidecarSync *self,
           const char      *hash)
{
  g_autofree char *text = NULL;
  const char      *cached = g_hash_table_lookup (self->seen, hash);

  /* The store's writes are queued: what this sync set last is newer. */
  if (cached != NULL)
    return kios_koreader_sidecar_places_from_string (cached);
  text = kios_library_store_get_book_meta (self->store, hash, KIOS_KOREADER_SIDECAR_SEEN_KEY);
  return kios_koreader_sidecar_places_from_string (text);
}

/* ---- reading the sidecar ------------------------------------------------- */

typedef struct
{
  char      *book_path;
  char      *hash;
  GPtrArray *candidates;
  gint64     skip_mtime; /* unchanged since Kios wrote it: nothing to read */
  gint64     skip_size;
  /* results */
  char      *sidecar;
  GPtrArray *annotations; /* NULL: nothing to import (no file, or ours) */
  gboolean   missing;     /* there is no file: nothing was deleted there */
  gboolean   unchanged;
} ReadJob;

static void
read_job_free (ReadJob *job)
{
  g_free (job->book_path);
  g_free (job->hash);
  g_clear_pointer (&job->candidates, g_ptr_array_unref);
  g_free (job->sidecar);
  g_clear_pointer (&job->annotations, g_ptr_array_unref);
  g_free (job);
}

static void
read_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadJob                        *job = task_data;
  g_autoptr (KiosKoreaderSidecar) sidecar = NULL;
  g_autoptr (KiosAnnotationText)  text = NULL;
  g_autoptr (GError)              error = NULL;
  gint64                          mtime = 0, size = 0;

  for (guint i = 0; i < job->candidates->len && job->sidecar == NULL; i++)
    {
      const char *path = g_ptr_array_index (job->candidates, i);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        job->sidecar = g_strdup (path);
    }
  if (job->sidecar == NULL)
    {
      /* None yet: Kios makes the first one when it has something to write. */
      job->sidecar = g_strdup (g_ptr_array_index (job->candidates, 0));
      job->annotations = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
      job->missing = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (stat_file (job->sidecar, &mtime, &size) && mtime == job->skip_mtime && size == job->skip_size)
    {
      job->unchanged = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  sidecar = kios_koreader_sidecar_load (job->sidecar, &error);
  if (sidecar == NULL)
    {
      if (g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND))
        {
          /* Gone since the test above: KOReader's entries are gone too. */
          job->annotations = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_annotation_free);
          job->missing = TRUE;
          g_task_return_boolean (task, TRUE);
        }
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_str_has_suffix (job->sidecar, ".epub.lua"))
    {
      text = kios_annotation_text_new (job->book_path, &error);
      if (text == NULL)
        g_debug ("Cannot read the words of %s: %s", job->book_path, error->message);
    }
  job->annotations = kios_koreader_sidecar_get_annotations (sidecar, job->hash, text);
  g_task_return_boolean (task, TRUE);
}

static gboolean
same_place (const KiosAnnotation *a,
            const KiosAnnotation *b)
{
  return a->kind == b->kind && a->start != NULL && b->start != NULL && a->start->chapter == b->start->chapter &&
         g_strcmp0 (a->start->xpointer, b->start->xpointer) == 0 &&
         (a->end == NULL) == (b->end == NULL) &&
         (a->end == NULL || g_strcmp0 (a->end->xpointer, b->end->xpointer) == 0);
}

/* Makes the store's "koreader" entries of the book those of the sidecar,
 * but for those deleted in Kios (seen there before, no longer in the
 * store): they are left out, and a write removes them from the sidecar.
 * Kios's own that were seen there and no longer are were deleted in
 * KOReader: they are deleted from the store too (unless missing: there
 * is no file at all). Kios's own never written there ask for a write. */
static void
import_annotations (KiosSidecarSync *self,
                    Book            *book,
                    GPtrArray       *theirs,
                    gboolean         missing)
{
  g_autoptr (GPtrArray)  ours = NULL;
  g_autoptr (GError)     error = NULL;
  g_autofree gboolean   *kept = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  ours = kios_library_store_list_annotations (self->store, book->hash, &error);
  if (ours == NULL)
    {
      g_warning ("Cannot list the annotations of %s: %s", book->hash, error->message);
      return;
    }
  kept = g_new0 (gboolean, ours->len + 1);

  book->importing = TRUE;
  for (guint i = 0; i < theirs->len; i++)
    {
      KiosAnnotation *a = g_ptr_array_index (theirs, i);
      KiosAnnotation *match = NULL;
      char           *place = kios_koreader_sidecar_place_of (a);
      guint           j;

      for (j = 0; j < ours->len && match == NULL; j++)
        if (same_place (g_ptr_array_index (ours, j), a))
          match = g_ptr_array_index (ours, j);
      if (place != NULL)
        g_hash_table_add (seen, place);
      if (match == NULL && place != NULL && g_hash_table_contains (book->seen, place))
        {
          book->want_write = TRUE;
          continue;
        }
      if (match != NULL)
        {
          kept[j - 1] = TRUE;
          /* Kios's own, written there earlier, or KOReader's as it was. */
          if (g_strcmp0 (match->origin, "koreader") != 0)
            continue;
          if (g_strcmp0 (match->text, a->text) != 0)
            {
              /* The store keeps a range's words: a new entry replaces it. */
              if (kios_library_store_delete_annotation (self->store, match->id, &error))
                match = NULL;
              else
                g_clear_error (&error);
            }
          else if (g_strcmp0 (match->note, a->note) != 0 || g_strcmp0 (match->color, a->color) != 0)
            {
              g_autoptr (KiosAnnotation) update = kios_annotation_copy (match);

              g_free (update->note);
              update->note = g_strdup (a->note);
              g_free (update->color);
              update->color = g_strdup (a->color);
              update->updated_at = 0;
              if (!kios_library_store_update_annotation (self->store, update, &error))
                {
                  g_warning ("Cannot update an annotation of %s: %s", book->hash, error->message);
                  g_clear_error (&error);
                }
            }
          if (match != NULL)
            continue;
        }

      {
        g_autoptr (KiosAnnotation) copy = kios_annotation_copy (a);

        copy->id = 0;
        g_free (copy->hash);
        copy->hash = g_strdup (book->hash);
        g_free (copy->origin);
        copy->origin = g_strdup ("koreader");
        if (!kios_library_store_add_annotation (self->store, copy, &error))
          {
            g_warning ("Cannot add an annotation of %s: %s", book->hash, error->message);
            g_clear_error (&error);
          }
      }
    }

  for (guint j = 0; j < ours->len; j++)
    {
      KiosAnnotation *b = g_ptr_array_index (ours, j);

      if (kept[j])
        continue;
      if (g_strcmp0 (b->origin, "koreader") != 0)
        {
          g_autofree char *place = kios_koreader_sidecar_place_of (b);

          if (missing || !kios_koreader_sidecar_deleted_there (b, book->seen, seen))
            {
              /* Not there yet (a PDF highlight never is). */
              if (place != NULL && !(b->kind == KIOS_ANNOTATION_HIGHLIGHT && b->start != NULL &&
                                     b->start->format == KIOS_BOOK_FORMAT_PDF))
                book->want_write = TRUE;
              continue;
            }
        }
      if (!kios_library_store_delete_annotation (self->store, b->id, &error))
        {
          g_warning ("Cannot delete an annotation of %s: %s", book->hash, error->message);
          g_clear_error (&error);
        }
    }
  book->importing = FALSE;

  g_hash_table_unref (book->seen);
  book->seen = g_steal_pointer (&seen);
  save_seen (self, book);
}

static void monitor_changed_cb (GFileMonitor     *monitor,
                                GFile            *file,
                                GFile            *other,
                                GFileMonitorEvent event,
                                gpointer          user_data);

static void
watch (Book *book)
{
  g_autoptr (GFile)  file = NULL;
  g_autoptr (GError) error = NULL;

  if (book->monitor != NULL || book->sidecar == NULL)
    return;
  file = g_file_new_for_path (book->sidecar);
  book->monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, &error);
  if (book->monitor == NULL)
    {
      g_debug ("Cannot watch %s: %s", book->sidecar, error->message);
      return;
    }
  g_signal_connect (book->monitor, "changed", G_CALLBACK (monitor_changed_cb), book);
}

static void
read_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KiosSidecarSync   *self = KIOS_SIDECAR_SYNC (source);
  Book              *book = user_data;
  ReadJob           *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  book->busy = FALSE;
  if (book->closed)
    {
      book_unref (book);
      return;
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_info ("Ignoring the KOReader sidecar %s: %s", job->sidecar, error->message);
      if (!book->refused)
        {
          book->refused = TRUE;
          g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, book->path);
        }
    }
  else
    {
      if (book->sidecar == NULL)
        book->sidecar = g_strdup (job->sidecar);
      book->refused = FALSE;
      if (job->annotations != NULL)
        import_annotations (self, book, job->annotations, job->missing);
    }
  watch (book);
  start_next (self, book);
  book_unref (book);
}

static void
start_read (KiosSidecarSync *self,
            Book            *book)
{
  g_autoptr (GTask) task = NULL;
  ReadJob          *job = g_new0 (ReadJob, 1);

  job->book_path = g_strdup (book->path);
  job->hash = g_strdup (book->hash);
  job->candidates = g_ptr_array_new_with_free_func (g_free);
  if (book->sidecar != NULL)
    g_ptr_array_add (job->candidates, g_strdup (book->sidecar));
  else
    for (guint i = 0; i < book->candidates->len; i++)
      g_ptr_array_add (job->candidates, g_strdup (g_ptr_array_index (book->candidates, i)));
  job->skip_mtime = book->written_mtime;
  job->skip_size = book->written_size;

  book->busy = TRUE;
  book->want_import = FALSE;
  task = g_task_new (self, book->cancellable, read_done_cb, book_ref (book));
  g_task_set_source_tag (task, start_read);
  g_task_set_task_data (task, job, (GDestroyNotify) read_job_free);
  g_task_run_in_thread (task, read_worker);
}

/* ---- writing the sidecar ------------------------------------------------- */

typedef struct
{
  char       *sidecar;
  GPtrArray  *annotations; /* all the store holds of the book */
  GHashTable *seen;        /* a copy of the book's, as it becomes */
  gboolean    ours;        /* whether annotations has Kios's own */
  gint64      mtime;       /* the file as written */
  gint64      size;
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_free (job->sidecar);
  g_clear_pointer (&job->annotations, g_ptr_array_unref);
  g_clear_pointer (&job->seen, g_hash_table_unref);
  g_free (job);
}

static void
write_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteJob                       *job = task_data;
  g_autoptr (KiosKoreaderSidecar) sidecar = NULL;
  g_autoptr (GError)              error = NULL;
  int                             n = -1;

  sidecar = kios_koreader_sidecar_load (job->sidecar, &error);
  if (sidecar == NULL && g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND))
    {
      g_clear_error (&error);
      if (!job->ours)
        {
          /* Nothing of Kios's and no file: none is made. */
          g_task_return_boolean (task, TRUE);
          return;
        }
      sidecar = kios_koreader_sidecar_new (job->sidecar);
    }
  if (sidecar != NULL)
    n = kios_koreader_sidecar_write_back (sidecar, job->annotations, job->seen, NULL, &error);
  if (n == 0)
    {
      /* Nothing of Kios's is new there, nothing to remove: the file stays
       * as it is. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (n < 0 || !kios_koreader_sidecar_save (sidecar, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  stat_file (job->sidecar, &job->mtime, &job->size);
  g_task_return_boolean (task, TRUE);
}

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  KiosSidecarSync   *self = KIOS_SIDECAR_SYNC (source);
  Book              *book = user_data;
  WriteJob          *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  book->busy = FALSE;
  if (book->closed)
    {
      book_unref (book);
      return;
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Changed on disk meanwhile, or refused since: read it again first
       * (a refused file then stops the writes). */
      g_info ("Cannot write the KOReader sidecar %s: %s", job->sidecar, error->message);
      book->want_import = TRUE;
      if (g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID) &&
          strstr (error->message, "changed") != NULL)
        book->want_write = TRUE;
    }
  else
    {
      if (job->size > 0)
        {
          book->written_mtime = job->mtime;
          book->written_size = job->size;
        }
      g_hash_table_unref (book->seen);
      book->seen = g_steal_pointer (&job->seen);
      save_seen (self, book);
    }
  watch (book);
  start_next (self, book);
  book_unref (book);
}

static void
start_write (KiosSidecarSync *self,
             Book            *book)
{
  g_autoptr (GTask)     task = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GError)    error = NULL;
  WriteJob             *job;

  book->want_write = FALSE;
  if (book->refused || book->sidecar == NULL)
    return;
  all = kios_library_store_list_annotations (self->store, book->hash, &error);
  if (all == NULL)
    {
      g_warning ("Cannot list the annotations of %s: %s", book->hash, error->message);
      return;
    }
  job = g_new0 (WriteJob, 1);
  job->sidecar = g_strdup (book->sidecar);
  job->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  {
    GHashTableIter iter;
    gpointer       place;

    g_hash_table_iter_init (&iter, book->seen);
    while (g_hash_table_iter_next (&iter, &place, NULL))
      g_hash_table_add (job->seen, g_strdup (place));
  }
  for (guint i = 0; i < all->len && !job->ours; i++)
    job->ours = g_strcmp0 (((KiosAnnotation *) g_ptr_array_index (all, i))->origin, "koreader") != 0;
  job->annotations = g_steal_pointer (&all);

  book->busy = TRUE;
  task = g_task_new (self, book->cancellable, write_done_cb, book_ref (book));
  g_task_set_source_tag (task, start_write);
  g_task_set_task_data (task, job, (GDestroyNotify) write_job_free);
  g_task_run_in_thread (task, write_worker);
}

/* Reading first: a write merges into what is on disk, and never into a
 * file that was refused. */
static void
start_next (KiosSidecarSync *self,
            Book            *book)
{
  if (book->busy || book->closed)
    return;
  if (book->want_import && book->import_id == 0)
    start_read (self, book);
  else if (book->want_write && book->write_id == 0)
    start_write (self, book);
}

static gboolean
import_timeout_cb (gpointer user_data)
{
  Book *book = user_data;

  book->import_id = 0;
  book->want_import = TRUE;
  start_next (book->sync, book);
  return G_SOURCE_REMOVE;
}

static void
monitor_changed_cb (GFileMonitor     *monitor,
                    GFile            *file,
                    GFile            *other,
                    GFileMonitorEvent event,
                    gpointer          user_data)
{
  Book *book = user_data;

  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED || event == G_FILE_MONITOR_EVENT_PRE_UNMOUNT ||
      event == G_FILE_MONITOR_EVENT_UNMOUNTED)
    return;
  g_clear_handle_id (&book->import_id, g_source_remove);
  book->import_id = g_timeout_add (book->sync->delay_ms, import_timeout_cb, book);
}

static gboolean
write_timeout_cb (gpointer user_data)
{
  Book *book = user_data;

  book->write_id = 0;
  book->want_write = TRUE;
  start_next (book->sync, book);
  return G_SOURCE_REMOVE;
}

static void
annotations_changed_cb (KiosLibraryStore *store,
                        const char       *hash,
                        KiosSidecarSync  *self)
{
  Book *book = g_hash_table_lookup (self->books, hash);

  if (book == NULL || book->importing || book->refused)
    return;
  g_clear_handle_id (&book->write_id, g_source_remove);
  book->write_id = g_timeout_add (self->delay_ms, write_timeout_cb, book);
}

/* ---- settings ------------------------------------------------------------ */

static void
settings_changed_cb (GSettings       *settings,
                     const char      *key,
                     KiosSidecarSync *self)
{
  g_auto (GStrv)   folders = g_settings_get_strv (settings, "koreader-sidecar-folders");
  g_autofree char *docsettings = g_settings_get_string (settings, "koreader-docsettings-folder");

  kios_sidecar_sync_set_folders (self, (const char *const *) folders);
  kios_sidecar_sync_set_docsettings_folder (self, docsettings);
}

/* ---- GObject ------------------------------------------------------------- */

static void
kios_sidecar_sync_dispose (GObject *object)
{
  KiosSidecarSync *self = KIOS_SIDECAR_SYNC (object);

  g_clear_pointer (&self->books, g_hash_table_unref);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kios_sidecar_sync_parent_class)->dispose (object);
}

static void
kios_sidecar_sync_finalize (GObject *object)
{
  KiosSidecarSync *self = KIOS_SIDECAR_SYNC (object);

  g_strfreev (self->folders);
  g_free (self->docsettings);
  g_hash_table_unref (self->seen);

  G_OBJECT_CLASS (kios_sidecar_sync_parent_class)->finalize (object);
}

static void
kios_sidecar_sync_class_init (KiosSidecarSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_sidecar_sync_dispose;
  object_class->finalize = kios_sidecar_sync_finalize;

  /**
   * KiosSidecarSync::message:
   * @self: the sync
   * @book_path: the book whose KOReader sidecar was refused
   *
   * The sidecar of an open book is malformed, too large or not a plain
   * table: Kios ignores it and leaves it as it is. Emitted once per opening.
   */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
kios_sidecar_sync_init (KiosSidecarSync *self)
{
  self->delay_ms = 500;
  self->books = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) book_close);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

KiosSidecarSync *
kios_sidecar_sync_new (KiosLibraryStore *store,
                       GSettings        *settings)
{
  KiosSidecarSync *self;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (KIOS_TYPE_SIDECAR_SYNC, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "annotations-changed", G_CALLBACK (annotations_changed_cb), self);
  if (settings != NULL)
    {
      self->settings = g_object_ref (settings);
      g_signal_connect (settings, "changed::koreader-sidecar-folders", G_CALLBACK (settings_changed_cb), self);
      g_signal_connect (settings, "changed::koreader-docsettings-folder", G_CALLBACK (settings_changed_cb),
                        self);
      settings_changed_cb (settings, NULL, self);
    }
  return self;
}

void
kios_sidecar_sync_set_folders (KiosSidecarSync   *self,
                               const char *const *folders)
{
  g_return_if_fail (KIOS_IS_SIDECAR_SYNC (self));

  g_strfreev (self->folders);
  self->folders = g_strdupv ((char **) folders);
}

void
kios_sidecar_sync_set_docsettings_folder (KiosSidecarSync *self,
                                          const char      *folder)
{
  g_return_if_fail (KIOS_IS_SIDECAR_SYNC (self));

  g_free (self->docsettings);
  self->docsettings = folder != NULL && *folder != '\0' ? g_strdup (folder) : NULL;
}

void
kios_sidecar_sync_set_delay (KiosSidecarSync *self,
                             guint            delay_ms)
{
  g_return_if_fail (KIOS_IS_SIDECAR_SYNC (self));

  self->delay_ms = delay_ms;
}

static gboolean
in_shared_folder (KiosSidecarSync *self,
                  const char      *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);

  for (guint i = 0; self->folders != NULL && self->folders[i] != NULL; i++)
    {
      g_autoptr (GFile) folder = g_file_new_for_path (self->folders[i]);

      if (g_file_has_prefix (file, folder))
        return TRUE;
    }
  return FALSE;
}

gboolean
kios_sidecar_sync_is_shared (KiosSidecarSync *self,
                             const char      *path)
{
  g_return_val_if_fail (KIOS_IS_SIDECAR_SYNC (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  return self->docsettings != NULL || in_shared_folder (self, path);
}

void
kios_sidecar_sync_book_opened (KiosSidecarSync *self,
                               const char      *path,
                               const char      *hash)
{
  Book *book;

  g_return_if_fail (KIOS_IS_SIDECAR_SYNC (self));
  g_return_if_fail (path != NULL && hash != NULL);

  g_hash_table_remove (self->books, hash);
  if (!kios_sidecar_sync_is_shared (self, path))
    return;

  book = g_rc_box_new0 (Book);
  book->sync = self;
  book->path = g_strdup (path);
  book->hash = g_strdup (hash);
  book->cancellable = g_cancellable_new ();
  book->seen = load_seen (self, hash);
  book->candidates = g_ptr_array_new_with_free_func (g_free);
  if (in_shared_folder (self, path))
    g_ptr_array_add (book->candidates, kios_koreader_sidecar_path_for_book (path));
  if (self->docsettings != NULL)
    g_ptr_array_add (book->candidates, kios_koreader_sidecar_path_in_folder (self->docsettings, path, NULL));
  g_hash_table_insert (self->books, g_strdup (hash), book);

  book->want_import = TRUE;
  start_next (self, book);
}

void
kios_sidecar_sync_book_closed (KiosSidecarSync *self,
                               const char      *hash)
{
  g_return_if_fail (KIOS_IS_SIDECAR_SYNC (self));
  g_return_if_fail (hash != NULL);

  g_hash_table_remove (self->books, hash);
}

gboolean
kios_sidecar_sync_is_idle (KiosSidecarSync *self)
{
  GHashTableIter iter;
  Book          *book;

  g_return_val_if_fail (KIOS_IS_SIDECAR_SYNC (self), TRUE);

  g_hash_table_iter_init (&iter, self->books);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &book))
    if (book->busy || book->want_import || book->want_write || book->import_id != 0 || book->write_id != 0)
      return FALSE;
  return TRUE;
}
