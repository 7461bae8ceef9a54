/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define _GNU_SOURCE 1 /* gettid */
#define G_LOG_DOMAIN "kios-library"

#include "config.h"

#include "kios-library-private.h"

#include "kios-book-hash.h"
#include "kios-error.h"
#include "kios-limits.h"
#include "kios-mupdf.h"
#include "kios-paths.h"
#include "kios-xml.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* New books are written in batches, one transaction each. */
#define UPSERT_BATCH 512
/* Progress is reported at most this often. */
#define PROGRESS_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
/* Changes under a folder are gathered this long before a rescan. */
#define MONITOR_DELAY_MS 500
#define MAX_WORKERS 2
/* The priority (nice) of a background rescan's threads: the window's
 * thread gets a core first, the import still uses what is idle. */
#define BACKGROUND_NICE 10

/* ---- metadata ------------------------------------------------------------ */

static GBytes *
read_entry (struct archive *a,
            la_int64_t      size,
            gsize           max)
{
  g_autoptr (GByteArray) data = NULL;
  guint8                 buffer[16384];
  la_ssize_t             n;

  if (size > (la_int64_t) max)
    return NULL;
  data = g_byte_array_sized_new (size > 0 ? (guint) size : 4096);
  while ((n = archive_read_data (a, buffer, sizeof buffer)) > 0)
    {
      if (data->len + (gsize) n > max)
        return NULL;
      g_byte_array_append (data, buffer, (guint) n);
    }
  if (n < 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* The package document's path from META-INF/container.xml. */
static char *
opf_path_from_container (GBytes *container)
{
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode           *root;
  xmlNode           *rootfiles;
  gsize              len;
  const char        *data = g_bytes_get_data (container, &len);

  doc = kios_xml_parse (data, len, NULL, NULL);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  rootfiles = root != NULL ? kios_xml_first_child (root, "rootfiles") : NULL;
  for (xmlNode *n = rootfiles != NULL ? rootfiles->children : NULL; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && kios_xml_has_name (n, "rootfile"))
      return kios_xml_get_attr (n, "full-path");
  return NULL;
}

static void
read_opf (GBytes *opf,
          char  **title,
          char  **authors,
          char  **series)
{
  g_autoptr (xmlDoc)    doc = NULL;
  g_autoptr (GPtrArray) creators = g_ptr_array_new_with_free_func (g_free);
  xmlNode              *root;
  xmlNode              *metadata;
  gsize                 len;
  const char           *data = g_bytes_get_data (opf, &len);

  doc = kios_xml_parse (data, len, NULL, NULL);
  if (doc == NULL)
    return;
  root = xmlDocGetRootElement (doc);
  metadata = root != NULL ? kios_xml_first_child (root, "metadata") : NULL;
  for (xmlNode *n = metadata != NULL ? metadata->children : NULL; n != NULL; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (kios_xml_has_name (n, "title") && *title == NULL)
        *title = kios_xml_get_text (n);
      else if (kios_xml_has_name (n, "creator"))
        {
          char *name = kios_xml_get_text (n);

          if (name != NULL && *name != '\0')
            g_ptr_array_add (creators, name);
          else
            g_free (name);
        }
      else if (kios_xml_has_name (n, "meta") && *series == NULL)
        {
          g_autofree char *name = kios_xml_get_attr (n, "name");
          g_autofree char *property = kios_xml_get_attr (n, "property");

          /* calibre's EPUB 2 form, and EPUB 3's collection. */
          if (g_strcmp0 (name, "calibre:series") == 0)
            *series = kios_xml_get_attr (n, "content");
          else if (g_strcmp0 (property, "belongs-to-collection") == 0)
            *series = kios_xml_get_text (n);
        }
    }
  if (creators->len > 0)
    {
      g_ptr_array_add (creators, NULL);
      *authors = g_strjoinv (", ", (char **) creators->pdata);
    }
}

/* One pass over the zip: the container and the package documents are read
 * as they come, so a book costs one open and no chapter is touched. */
static gboolean
read_epub_metadata (const char *path,
                    char      **title,
                    char      **authors,
                    char      **series,
                    GError    **error)
{
  g_autoptr (GHashTable) opfs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_bytes_unref);
  g_autoptr (GBytes)     container = NULL;
  g_autofree char       *opf_path = NULL;
  struct archive        *a = archive_read_new ();
  struct archive_entry  *entry;
  GBytes                *opf = NULL;
  gsize                  opf_bytes = 0; /* kept in opfs */
  int                    rc;

  archive_read_support_format_zip_seekable (a);
  if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK, "%s is not a zip archive",
                   path);
      archive_read_free (a);
      return FALSE;
    }
  while ((rc = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      const char *name = archive_entry_pathname (entry);

      if (name == NULL)
        continue;
      if (container == NULL && g_ascii_strcasecmp (name, "META-INF/container.xml") == 0)
        {
          container = read_entry (a, archive_entry_size (entry), KIOS_LIMIT_LIBRARY_CONTAINER_BYTES);
          if (container != NULL)
            opf_path = opf_path_from_container (container);
        }
      else if ((g_str_has_suffix (name, ".opf") || g_str_has_suffix (name, ".OPF")) &&
               (opf_path == NULL || g_str_equal (name, opf_path)))
        {
          /* Every package document before the container is kept (one of
           * them is the book's), all of them within one budget. */
          GBytes *bytes = read_entry (a, archive_entry_size (entry), KIOS_LIMIT_LIBRARY_OPF_BYTES - opf_bytes);

          if (bytes != NULL)
            {
              opf_bytes += g_bytes_get_size (bytes);
              g_hash_table_replace (opfs, g_strdup (name), bytes);
            }
        }
      if (opf_path != NULL && g_hash_table_contains (opfs, opf_path))
        break;
    }
  archive_read_free (a);

  if (opf_path != NULL)
    opf = g_hash_table_lookup (opfs, opf_path);
  if (opf == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "%s has no readable package document", path);
      return FALSE;
    }
  read_opf (opf, title, authors, series);
  return TRUE;
}

static char *
pdf_info (fz_context  *ctx,
          fz_document *doc,
          const char  *key)
{
  char buffer[1024];
  int  n = fz_lookup_metadata (ctx, doc, key, buffer, sizeof buffer);

  if (n <= 1)
    return NULL;
  buffer[sizeof buffer - 1] = '\0';
  g_strstrip (buffer);
  return buffer[0] != '\0' ? g_utf8_make_valid (buffer, -1) : NULL;
}

static gboolean
read_pdf_metadata (const char *path,
                   char      **title,
                   char      **authors,
                   GError    **error)
{
  fz_context      *ctx = kios_mupdf_new_context ();
  fz_document     *doc = NULL;
  g_autofree char *message = NULL;

  fz_var (doc);
  fz_try (ctx)
  {
    doc = fz_open_document (ctx, path);
    *title = pdf_info (ctx, doc, FZ_META_INFO_TITLE);
    *authors = pdf_info (ctx, doc, FZ_META_INFO_AUTHOR);
  }
  fz_always (ctx)
  {
    fz_drop_document (ctx, doc);
  }
  fz_catch (ctx)
  {
    message = kios_mupdf_caught_message (ctx);
  }
  fz_drop_context (ctx);
  if (message != NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED, "%s: %s", path, message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
has_book_extension (const char  *name,
                    const char **format)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (dot, ".epub") == 0)
    *format = "epub";
  else if (g_ascii_strcasecmp (dot, ".pdf") == 0)
    *format = "pdf";
  else
    return FALSE;
  return TRUE;
}

gboolean
kios_library_read_metadata (const char *path,
                            char      **format,
                            char      **title,
                            char      **authors,
                            char      **series,
                            GError    **error)
{
  const char *kind = NULL;
  gboolean    ok;

  *title = *authors = *series = NULL;
  if (!has_book_extension (path, &kind))
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK,
                   "%s is neither an EPUB nor a PDF", path);
      return FALSE;
    }
  if (g_str_equal (kind, "epub"))
    ok = read_epub_metadata (path, title, authors, series, error);
  else
    ok = read_pdf_metadata (path, title, authors, error);
  if (!ok)
    return FALSE;

  if (*title == NULL || **title == '\0')
    {
      /* As a file manager would show it: the name without its extension. */
      g_autofree char *base = g_path_get_basename (path);
      char            *dot = strrchr (base, '.');

      if (dot != NULL)
        *dot = '\0';
      g_free (*title);
      *title = g_strdup (base);
    }
  *format = g_strdup (kind);
  return TRUE;
}

/* ---- walking the folders ---------------------------------------------------- */

typedef struct
{
  char       *path;
  gint64      size;
  const char *format; /* static */
  /* Filled by the workers. */
  char           *hash;
  KiosBookRecord *book; /* a new book, or NULL */
} Found;

static void
found_clear (Found *found)
{
  g_free (found->path);
  g_free (found->hash);
  kios_book_record_free (found->book);
}

/* Every EPUB and PDF below dir (hidden entries skipped: partial downloads,
 * trash folders) when files is given, and, when dirs is given, every folder
 * for the monitors. */
static void
walk (const char *dir,
      GArray     *files,
      GPtrArray  *dirs,
      guint       depth)
{
  DIR           *d;
  struct dirent *entry;

  if (depth > KIOS_LIMIT_LIBRARY_FOLDER_DEPTH)
    return;
  d = opendir (dir);
  if (d == NULL)
    return;
  if (dirs != NULL)
    g_ptr_array_add (dirs, g_strdup (dir));
  while ((entry = readdir (d)) != NULL)
    {
      g_autofree char *path = NULL;
      const char      *format = NULL;
      struct stat      st;

      if (entry->d_name[0] == '.')
        continue;
      /* Folders only (for the monitors): a file needs no stat. */
      if (files == NULL && entry->d_type == DT_REG)
        continue;
      path = g_build_filename (dir, entry->d_name, NULL);
      if (entry->d_type == DT_DIR)
        {
          walk (path, files, dirs, depth + 1);
          continue;
        }
      if (entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN && entry->d_type != DT_LNK)
        continue;
      if (entry->d_type == DT_REG && !has_book_extension (entry->d_name, &format))
        continue;
      if (stat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          /* Symbolic links to folders are not followed: no loops. */
          if (entry->d_type != DT_LNK)
            walk (path, files, dirs, depth + 1);
          continue;
        }
      if (files == NULL || !S_ISREG (st.st_mode) || !has_book_extension (entry->d_name, &format))
        continue;
      {
        Found found = { 0 };

        found.path = g_steal_pointer (&path);
        found.size = st.st_size;
        found.format = format;
        g_array_append_val (files, found);
      }
    }
  closedir (d);
}

/* ---- the import workers --------------------------------------------------- */

typedef struct
{
  KiosLibrary  *library;
  GArray       *todo; /* Found */
  GCancellable *cancellable;
  gint          next;          /* atomic: the next index to take */
  gint          done;          /* atomic */
  gint64        last_progress; /* guarded by lock */
  GMutex        lock;
} Import;

static void
import_one (Import *import,
            Found  *found)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *format = NULL;
  KiosBookRecord    *book;

  found->hash = kios_book_hash_file (found->path, &error);
  if (found->hash == NULL)
    {
      g_debug ("Skipping %s: %s", found->path, error->message);
      return;
    }
  /* Known books (moved files) and removed ones are settled by the caller. */
  book = g_new0 (KiosBookRecord, 1);
  if (!kios_library_read_metadata (found->path, &format, &book->title, &book->authors, &book->series,
                                   &error))
    {
      g_debug ("Skipping %s: %s", found->path, error->message);
      kios_book_record_free (book);
      g_clear_pointer (&found->hash, g_free);
      return;
    }
  book->hash = g_strdup (found->hash);
  book->path = g_strdup (found->path);
  book->size = found->size;
  book->format = g_steal_pointer (&format);
  book->added_at = g_get_real_time () / G_USEC_PER_SEC;
  found->book = book;
}

static gpointer
import_worker (gpointer data)
{
  Import *import = data;
  guint   total = import->todo->len;

  for (;;)
    {
      gint   index = g_atomic_int_add (&import->next, 1);
      Found *found;
      gint64 now;

      if ((guint) index >= total || g_cancellable_is_cancelled (import->cancellable))
        break;
      found = &g_array_index (import->todo, Found, index);
      import_one (import, found);
      g_atomic_int_inc (&import->done);

      now = g_get_monotonic_time ();
      g_mutex_lock (&import->lock);
      if (now - import->last_progress >= PROGRESS_INTERVAL_US)
        {
          import->last_progress = now;
          kios_library_emit_progress (import->library, (guint) g_atomic_int_get (&import->done), total);
        }
      g_mutex_unlock (&import->lock);
    }
  return NULL;
}

/* Hashes and reads the files in todo on up to MAX_WORKERS threads (this one
 * included). */
static void
run_import (KiosLibrary  *self,
            GArray       *todo,
            GCancellable *cancellable)
{
  Import   import = { 0 };
  GThread *threads[MAX_WORKERS] = { NULL };
  guint    n_threads = MIN (MAX_WORKERS, MAX (g_get_num_processors (), 1));

  import.library = self;
  import.todo = todo;
  import.cancellable = cancellable;
  g_mutex_init (&import.lock);

  if (todo->len < 16)
    n_threads = 1;
  for (guint i = 1; i < n_threads; i++)
    threads[i] = g_thread_try_new ("kios-import", import_worker, &import, NULL);
  import_worker (&import);
  for (guint i = 1; i < n_threads; i++)
    if (threads[i] != NULL)
      g_thread_join (threads[i]);

  g_mutex_clear (&import.lock);
}

/* ---- rescan --------------------------------------------------------------- */

/* Files of removed books wait in the trash area only for the undo window
 * (seconds); what a crash left there is deleted by a later rescan. */
static void
purge_trash (void)
{
  g_autofree char *data_dir = kios_paths_data_dir ();
  g_autofree char *trash = g_build_filename (data_dir, KIOS_LIBRARY_TRASH_DIR, NULL);
  g_autoptr (GDir) dir = g_dir_open (trash, 0, NULL);
  const char      *name;
  gint64           now = g_get_real_time () / G_USEC_PER_SEC;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (trash, name, NULL);
      GStatBuf         st;

      if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode) && now - st.st_ctime > 24 * 60 * 60)
        g_unlink (path);
    }
}

gboolean
kios_library_rescan (KiosLibrary  *self,
                     guint        *n_added,
                     guint        *n_missing,
                     GCancellable *cancellable,
                     GError      **error)
{
  g_auto (GStrv)         folders = NULL;
  g_auto (GStrv)         excluded = NULL;
  g_autoptr (GPtrArray)  books = NULL;
  g_autoptr (GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) by_hash = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) skip = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray)     files = g_array_new (FALSE, TRUE, sizeof (Found));
  g_autoptr (GArray)     todo = g_array_new (FALSE, TRUE, sizeof (Found));
  g_autoptr (GPtrArray)  added = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_book_record_free);
  guint                  added_count = 0;
  guint                  missing_count = 0;
  gboolean               changed = FALSE;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);

  g_array_set_clear_func (files, (GDestroyNotify) found_clear);
  g_array_set_clear_func (todo, (GDestroyNotify) found_clear);

  folders = kios_library_store_list_folders (self->store, error);
  if (folders == NULL)
    return FALSE;
  excluded = kios_library_store_list_excluded (self->store, error);
  if (excluded == NULL)
    return FALSE;
  books = kios_library_store_list_books (self->store, KIOS_LIBRARY_SORT_ADDED, NULL, error);
  if (books == NULL)
    return FALSE;
  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);

      if (book->path != NULL)
        g_hash_table_insert (by_path, book->path, book);
      g_hash_table_insert (by_hash, book->hash, book);
    }
  for (guint i = 0; excluded[i] != NULL; i++)
    g_hash_table_add (skip, excluded[i]);

  purge_trash ();
  for (guint i = 0; folders[i] != NULL; i++)
    walk (folders[i], files, NULL, 0);

  /* A known path of the same size is the same book: nothing to read. */
  for (guint i = 0; i < files->len; i++)
    {
      Found          *found = &g_array_index (files, Found, i);
      KiosBookRecord *book = g_hash_table_lookup (by_path, found->path);

      if (book != NULL && book->size == found->size)
        {
          g_hash_table_add (seen, book->hash);
          continue;
        }
      g_array_append_val (todo, *found);
      memset (found, 0, sizeof *found);
    }

  kios_library_emit_progress (self, 0, todo->len);
  run_import (self, todo, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  for (guint i = 0; i < todo->len; i++)
    {
      Found          *found = &g_array_index (todo, Found, i);
      KiosBookRecord *known;

      if (found->hash == NULL || g_hash_table_contains (skip, found->hash))
        continue;
      known = g_hash_table_lookup (by_hash, found->hash);
      if (known != NULL)
        {
          /* Moved or renamed (or copied: the first copy found wins while the
           * known path is gone): the book keeps its position. */
          if (g_hash_table_contains (seen, known->hash) ||
              (g_strcmp0 (known->path, found->path) != 0 && known->path != NULL &&
               g_file_test (known->path, G_FILE_TEST_IS_REGULAR)))
            continue;
          kios_library_store_set_book_path (self->store, known->hash, found->path, found->size);
          g_hash_table_add (seen, known->hash);
          changed = TRUE;
          continue;
        }
      if (found->book != NULL)
        {
          g_hash_table_add (seen, found->book->hash);
          g_hash_table_insert (by_hash, found->book->hash, found->book);
          g_ptr_array_add (added, g_steal_pointer (&found->book));
          added_count++;
          if (added->len >= UPSERT_BATCH)
            {
              kios_library_store_upsert_books (self->store, added);
              g_ptr_array_set_size (added, 0);
            }
        }
    }
  if (added->len > 0)
    kios_library_store_upsert_books (self->store, added);
  changed = changed || added_count > 0;

  /* Every other book: is its file still there? */
  for (guint i = 0; i < books->len; i++)
    {
      KiosBookRecord *book = g_ptr_array_index (books, i);
      gboolean        missing;

      if (g_hash_table_contains (seen, book->hash))
        missing = FALSE;
      else
        missing = book->path == NULL || !g_file_test (book->path, G_FILE_TEST_EXISTS);
      if (missing != book->missing)
        {
          kios_library_store_set_book_missing (self->store, book->hash, missing);
          changed = TRUE;
        }
      if (missing)
        missing_count++;
    }

  if (!kios_library_store_flush_checked (self->store, 60000, error))
    return FALSE;
  kios_library_emit_progress (self, todo->len, todo->len);
  if (changed)
    kios_library_emit_changed (self);
  if (n_added != NULL)
    *n_added = added_count;
  if (n_missing != NULL)
    *n_missing = missing_count;
  return TRUE;
}

typedef struct
{
  guint n_added;
  guint n_missing;
} RescanResult;

/* A rescan in the background (at start, on a folder change) gives way to
 * the window: the calling thread runs it at a lower priority (Linux gives
 * each thread its own), restored after, as the thread goes back to the
 * pool other work shares. Returns the priority to restore. */
static int
background_begin (void)
{
  pid_t tid = gettid ();
  int   was;

  errno = 0;
  was = getpriority (PRIO_PROCESS, (id_t) tid);
  if (errno != 0)
    return G_MININT;
  if (setpriority (PRIO_PROCESS, (id_t) tid, MAX (was, BACKGROUND_NICE)) != 0)
    return G_MININT;
  return was;
}

static void
background_end (int was)
{
  if (was != G_MININT)
    setpriority (PRIO_PROCESS, (id_t) gettid (), was);
}

static void
rescan_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RescanResult *result = g_new0 (RescanResult, 1);
  GError       *error = NULL;
  int           nice_was = background_begin ();
  gboolean      ok;

  (void) task_data;
  ok = kios_library_rescan (source_object, &result->n_added, &result->n_missing, cancellable, &error);
  background_end (nice_was);
  if (!ok)
    {
      g_free (result);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, g_free);
}

void
kios_library_rescan_async (KiosLibrary        *self,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_library_rescan_async);
  g_task_run_in_thread (task, rescan_worker);
}

gboolean
kios_library_rescan_finish (KiosLibrary  *self,
                            GAsyncResult *result,
                            guint        *n_added,
                            guint        *n_missing,
                            GError      **error)
{
  g_autofree RescanResult *outcome = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_library_rescan_async, FALSE);

  outcome = g_task_propagate_pointer (G_TASK (result), error);
  if (outcome == NULL)
    return FALSE;
  if (n_added != NULL)
    *n_added = outcome->n_added;
  if (n_missing != NULL)
    *n_missing = outcome->n_missing;
  return TRUE;
}

/* ---- monitoring ------------------------------------------------------------ */

static void schedule_rescan (KiosLibrary *self);
static void watch_dirs (KiosLibrary *self,
                        GStrv        dirs);

static void
monitor_rescan_cb (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (KiosLibrary) self = user_data;
  g_autoptr (GError)      error = NULL;

  if (!kios_library_rescan_finish (KIOS_LIBRARY (source_object), result, NULL, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Rescanning the books folders failed: %s", error->message);
  self->rescan_running = FALSE;
  if (self->rescan_again && self->monitoring)
    {
      self->rescan_again = FALSE;
      schedule_rescan (self);
    }
}

static gboolean
rescan_timeout_cb (gpointer user_data)
{
  KiosLibrary *self = user_data;

  self->rescan_source_id = 0;
  if (self->rescan_running)
    {
      self->rescan_again = TRUE;
      return G_SOURCE_REMOVE;
    }
  self->rescan_running = TRUE;
  kios_library_rescan_async (self, self->monitor_cancellable, monitor_rescan_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_rescan (KiosLibrary *self)
{
  if (self->rescan_source_id != 0)
    g_source_remove (self->rescan_source_id);
  self->rescan_source_id = g_timeout_add (MONITOR_DELAY_MS, rescan_timeout_cb, self);
}

static void
monitor_changed_cb (GFileMonitor     *monitor,
                    GFile            *file,
                    GFile            *other_file,
                    GFileMonitorEvent event,
                    gpointer          user_data)
{
  KiosLibrary *self = user_data;

  (void) monitor;
  (void) other_file;
  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    case G_FILE_MONITOR_EVENT_RENAMED:
      break;
    default:
      return;
    }
  if (event == G_FILE_MONITOR_EVENT_CREATED || event == G_FILE_MONITOR_EVENT_MOVED_IN)
    {
      /* A new folder is watched too (cheap: no I/O beyond the watch). */
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL && g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          char *dirs[] = { path, NULL };

          watch_dirs (self, dirs);
        }
    }
  schedule_rescan (self);
}

static void
watch_dirs (KiosLibrary *self,
            GStrv        dirs)
{
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autoptr (GFile)        file = NULL;
      g_autoptr (GFileMonitor) monitor = NULL;
      g_autoptr (GError)       error = NULL;

      if (g_hash_table_contains (self->watched, dirs[i]))
        continue;
      file = g_file_new_for_path (dirs[i]);
      monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
      if (monitor == NULL)
        {
          g_debug ("Cannot watch %s: %s", dirs[i], error->message);
          continue;
        }
      g_signal_connect (monitor, "changed", G_CALLBACK (monitor_changed_cb), self);
      g_hash_table_add (self->watched, g_strdup (dirs[i]));
      g_ptr_array_add (self->monitors, g_steal_pointer (&monitor));
    }
}

static void
list_dirs_worker (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  KiosLibrary          *self = source_object;
  g_auto (GStrv)        folders = kios_library_list_folders (self);
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);

  (void) task_data;
  (void) cancellable;
  for (guint i = 0; folders[i] != NULL; i++)
    walk (folders[i], NULL, dirs, 0);
  g_ptr_array_add (dirs, NULL);
  g_task_return_pointer (task, g_ptr_array_free (g_steal_pointer (&dirs), FALSE),
                         (GDestroyNotify) g_strfreev);
}

static void
list_dirs_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  KiosLibrary   *self;
  g_auto (GStrv) dirs = NULL;

  (void) user_data;
  dirs = g_task_propagate_pointer (G_TASK (result), NULL);
  if (dirs == NULL)
    return; /* cancelled: the library stopped monitoring */
  self = KIOS_LIBRARY (source_object);
  if (self->monitoring)
    watch_dirs (self, dirs);
}

void
kios_library_start_monitoring (KiosLibrary *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY (self));

  kios_library_stop_monitoring (self);
  self->monitoring = TRUE;
  self->monitor_cancellable = g_cancellable_new ();
  self->monitors = g_ptr_array_new_with_free_func (g_object_unref);
  self->watched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* The folders are walked on a worker; the watches are added here. */
  task = g_task_new (self, self->monitor_cancellable, list_dirs_cb, NULL);
  g_task_set_source_tag (task, kios_library_start_monitoring);
  g_task_run_in_thread (task, list_dirs_worker);
}

void
kios_library_stop_monitoring (KiosLibrary *self)
{
  g_return_if_fail (KIOS_IS_LIBRARY (self));

  self->monitoring = FALSE;
  g_clear_handle_id (&self->rescan_source_id, g_source_remove);
  if (self->monitor_cancellable != NULL)
    g_cancellable_cancel (self->monitor_cancellable);
  g_clear_object (&self->monitor_cancellable);
  if (self->monitors != NULL)
    for (guint i = 0; i < self->monitors->len; i++)
      {
        g_file_monitor_cancel (g_ptr_array_index (self->monitors, i));
        g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->monitors, i), self);
      }
  g_clear_pointer (&self->monitors, g_ptr_array_unref);
  g_clear_pointer (&self->watched, g_hash_table_unref);
}

void
kios_library_scan_dispose (KiosLibrary *self)
{
  kios_library_stop_monitoring (self);
}
