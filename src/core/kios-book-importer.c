/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-importer"

#include "config.h"

#include "kios-book-importer.h"

#include "kios-book-format.h"
#include "kios-book-hash.h"
#include "kios-epub.h"
#include "kios-error.h"
#include "kios-limits.h"
#include "kios-mupdf.h"
#include "kios-paths.h"
#include "kios-sync-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* How much of a download's start decides whether it may be a book. */
#define SNIFF_SIZE KIOS_LIMIT_SNIFF_BYTES

static const char *sniff_non_book (const guint8 *data,
                                   gsize         len);
static gboolean    not_a_book (const char *what,
                               GError    **error);

/* What reading the first chapter may cost while checking a download. */
#define MAX_FIRST_CHAPTER KIOS_LIMIT_IMPORT_FIRST_CHAPTER_BYTES

G_DEFINE_QUARK (kios - import - error - quark, kios_import_error)

/* ------------------------------------------------------------------------ */
/* The sink: a file descriptor that refuses to grow past a limit.           */

#define KIOS_TYPE_IMPORT_SINK (kios_import_sink_get_type ())
G_DECLARE_FINAL_TYPE (KiosImportSink, kios_import_sink, KIOS, IMPORT_SINK, GOutputStream)

struct _KiosImportSink
{
  GOutputStream parent_instance;
  int           fd;
  guint64       written;
  guint64       max_size;
  /* The first bytes, to refuse a web page at once rather than at the end. */
  guint8   head[SNIFF_SIZE];
  gsize    head_len;
  gboolean decided;
};

G_DEFINE_FINAL_TYPE (KiosImportSink, kios_import_sink, G_TYPE_OUTPUT_STREAM)

static gssize
kios_import_sink_write_fn (GOutputStream *stream,
                           const void    *buffer,
                           gsize          count,
                           GCancellable  *cancellable,
                           GError       **error)
{
  KiosImportSink *self = KIOS_IMPORT_SINK (stream);
  gssize          n;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (count > self->max_size - MIN (self->written, self->max_size))
    {
      g_set_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE,
                   "The book is too large: Kios accepts books up to %" G_GUINT64_FORMAT " MB",
                   self->max_size / (1024 * 1024));
      return -1;
    }
  if (!self->decided && self->written == self->head_len)
    {
      gsize       take = MIN (count, SNIFF_SIZE - self->head_len);
      const char *what;

      memcpy (self->head + self->head_len, buffer, take);
      self->head_len += take;
      what = sniff_non_book (self->head, self->head_len);
      if (self->head_len >= 5 && (memcmp (self->head, "PK\003\004", 4) == 0 || g_strstr_len ((const char *) self->head, (gssize) self->head_len, "%PDF-") != NULL))
        self->decided = TRUE;
      else if (what != NULL && !g_str_equal (what, "a blank page"))
        {
          not_a_book (what, error);
          return -1;
        }
      else if (self->head_len == SNIFF_SIZE)
        self->decided = TRUE; /* the full check after the download decides */
    }
  do
    n = write (self->fd, buffer, count);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write the book: %s",
                   g_strerror (saved));
      return -1;
    }
  self->written += (guint64) n;
  return n;
}

static gboolean
kios_import_sink_close_fn (GOutputStream *stream,
                           GCancellable  *cancellable,
                           GError       **error)
{
  KiosImportSink *self = KIOS_IMPORT_SINK (stream);

  (void) cancellable;
  if (self->fd < 0)
    return TRUE;
  if (fsync (self->fd) != 0 || close (self->fd) != 0)
    {
      int saved = errno;

      self->fd = -1;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot save the book: %s",
                   g_strerror (saved));
      return FALSE;
    }
  self->fd = -1;
  return TRUE;
}

static void
kios_import_sink_finalize (GObject *object)
{
  KiosImportSink *self = KIOS_IMPORT_SINK (object);

  if (self->fd >= 0)
    close (self->fd);
  G_OBJECT_CLASS (kios_import_sink_parent_class)->finalize (object);
}

static void
kios_import_sink_class_init (KiosImportSinkClass *klass)
{
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = kios_import_sink_finalize;
  stream_class->write_fn = kios_import_sink_write_fn;
  stream_class->close_fn = kios_import_sink_close_fn;
}

static void
kios_import_sink_init (KiosImportSink *self)
{
  self->fd = -1;
}

/* ------------------------------------------------------------------------ */

typedef struct
{
  char *key;
  char *value;
} Meta;

struct _KiosBookImport
{
  KiosLibraryStore *store;
  char             *books_dir;
  char             *file_name;
  char             *tmp_path;
  KiosImportSink   *sink;
  guint64           max_size;
  char             *title;
  char             *authors;
  char             *cover_path;
  GArray           *meta; /* Meta */
  gboolean          committed;
};

static void
meta_clear (gpointer data)
{
  Meta *m = data;

  g_free (m->key);
  g_free (m->value);
}

static gboolean
open_sink (KiosBookImport *self,
           GError        **error)
{
  int fd;

  g_free (self->tmp_path);
  self->tmp_path = g_build_filename (self->books_dir, ".kios-download-XXXXXX", NULL);
  fd = g_mkstemp_full (self->tmp_path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_clear_pointer (&self->tmp_path, g_free);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create a file in the books folder: %s", g_strerror (saved));
      return FALSE;
    }
  g_clear_object (&self->sink);
  self->sink = g_object_new (KIOS_TYPE_IMPORT_SINK, NULL);
  self->sink->fd = fd;
  self->sink->max_size = self->max_size;
  return TRUE;
}

KiosBookImport *
kios_book_import_new (KiosLibraryStore *store,
                      const char       *file_name,
                      guint64           max_size,
                      GError          **error)
{
  g_autoptr (KiosBookImport) self = NULL;

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), NULL);
  g_return_val_if_fail (file_name != NULL && strchr (file_name, '/') == NULL && *file_name != '.', NULL);

  self = g_new0 (KiosBookImport, 1);
  self->store = g_object_ref (store);
  self->books_dir = kios_paths_books_dir ();
  self->file_name = g_strdup (file_name);
  self->max_size = max_size > 0 ? max_size : KIOS_BOOK_IMPORT_MAX_SIZE;
  self->meta = g_array_new (FALSE, TRUE, sizeof (Meta));
  g_array_set_clear_func (self->meta, meta_clear);
  if (g_mkdir_with_parents (self->books_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create the books folder: %s",
                   g_strerror (saved));
      return NULL;
    }
  if (!open_sink (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
kios_book_import_free (KiosBookImport *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->sink);
  if (self->tmp_path != NULL && !self->committed)
    g_unlink (self->tmp_path);
  g_free (self->tmp_path);
  g_free (self->books_dir);
  g_free (self->file_name);
  g_free (self->title);
  g_free (self->authors);
  g_free (self->cover_path);
  g_array_unref (self->meta);
  g_clear_object (&self->store);
  g_free (self);
}

GOutputStream *
kios_book_import_get_sink (KiosBookImport *self)
{
  return G_OUTPUT_STREAM (self->sink);
}

guint64
kios_book_import_get_received (KiosBookImport *self)
{
  return self->sink != NULL ? self->sink->written : 0;
}

const char *
kios_book_import_get_path (KiosBookImport *self)
{
  return self->tmp_path;
}

gboolean
kios_book_import_restart (KiosBookImport *self,
                          GError        **error)
{
  if (self->sink->fd < 0 || ftruncate (self->sink->fd, 0) != 0 || lseek (self->sink->fd, 0, SEEK_SET) != 0)
    {
      /* A closed or odd file: a fresh one instead. */
      g_unlink (self->tmp_path);
      return open_sink (self, error);
    }
  self->sink->written = 0;
  self->sink->head_len = 0;
  self->sink->decided = FALSE;
  return TRUE;
}

gboolean
kios_book_import_drop_head (KiosBookImport *self,
                            guint64         offset,
                            GError        **error)
{
  int              fd = self->sink->fd;
  guint64          end = self->sink->written;
  g_autofree char *buffer = NULL;
  guint64          from = offset;
  guint64          to = 0;

  if (fd < 0 || offset > end)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The download file is closed");
      return FALSE;
    }
  /* Chunk by chunk: memory stays flat whatever the size. */
  buffer = g_malloc (1024 * 1024);
  while (from < end)
    {
      gssize n = pread (fd, buffer, (gsize) MIN ((guint64) 1024 * 1024, end - from), (off_t) from);
      gssize w;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      w = pwrite (fd, buffer, (gsize) n, (off_t) to);
      if (w != n)
        break;
      from += (guint64) n;
      to += (guint64) n;
    }
  if (from < end || ftruncate (fd, (off_t) to) != 0 || lseek (fd, (off_t) to, SEEK_SET) != (off_t) to)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot rewrite the download: %s",
                   g_strerror (saved));
      return FALSE;
    }
  self->sink->written = to;
  self->sink->head_len = 0;
  self->sink->decided = TRUE;
  return TRUE;
}

void
kios_book_import_set_details (KiosBookImport *self,
                              const char     *title,
                              const char     *authors,
                              const char     *cover_path)
{
  g_free (self->title);
  g_free (self->authors);
  g_free (self->cover_path);
  self->title = g_strdup (title);
  self->authors = g_strdup (authors);
  self->cover_path = g_strdup (cover_path);
}

void
kios_book_import_add_meta (KiosBookImport *self,
                           const char     *key,
                           const char     *value)
{
  Meta m;

  if (value == NULL)
    return;
  m.key = g_strdup (key);
  m.value = g_strdup (value);
  g_array_append_val (self->meta, m);
}

/* ------------------------------------------------------------------------ */
/* Validation.                                                              */

static const char *
sniff_non_book (const guint8 *data,
                gsize         len)
{
  gsize            i = 0;
  g_autofree char *head = NULL;

  if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf)
    i = 3;
  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i >= len)
    return "a blank page";
  head = g_ascii_strdown ((const char *) data + i, (gssize) (len - i));
  if (head[0] == '<')
    {
      if (strstr (head, "<html") != NULL || strstr (head, "<!doctype html") != NULL || strstr (head, "<head") != NULL || strstr (head, "<body") != NULL)
        return "an HTML page";
      return "an XML document";
    }
  if (head[0] == '{' || head[0] == '[')
    return "a JSON message";
  return NULL;
}

static gboolean
not_a_book (const char *what,
            GError    **error)
{
  gboolean page = g_str_equal (what, "an HTML page") || g_str_equal (what, "an XML document");

  g_set_error (error, KIOS_IMPORT_ERROR, page ? KIOS_IMPORT_ERROR_WEB_PAGE : KIOS_IMPORT_ERROR_NOT_A_BOOK,
               "The server sent %s, not a book (perhaps a login or error page)", what);
  return FALSE;
}

static gboolean
validate_epub (const char *path,
               GError    **error)
{
  g_autoptr (GError)   local = NULL;
  g_autoptr (KiosEpub) epub = kios_epub_open (path, &local);
  g_autoptr (GBytes)   first = NULL;

  if (epub == NULL)
    {
      g_set_error (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DAMAGED, "The server sent a damaged EPUB: %s",
                   local->message);
      return FALSE;
    }
  if (kios_epub_get_encryption (epub) == KIOS_EPUB_ENCRYPTION_DRM)
    {
      g_set_error_literal (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DRM,
                           "The server sent a DRM-protected EPUB, which Kios cannot open");
      return FALSE;
    }
  if (kios_epub_get_n_spine_items (epub) == 0)
    {
      g_set_error_literal (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DAMAGED,
                           "The server sent a damaged EPUB: it has no chapters");
      return FALSE;
    }
  first = kios_epub_read_member (epub, kios_epub_get_spine_item (epub, 0)->href, MAX_FIRST_CHAPTER, &local);
  if (first == NULL)
    {
      g_set_error (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DAMAGED,
                   "The server sent a damaged EPUB: its first chapter cannot be read (%s)", local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_pdf (const char *path,
              GError    **error)
{
  fz_context      *ctx = kios_mupdf_new_context ();
  fz_document     *doc = NULL;
  fz_page         *page = NULL;
  g_autofree char *message = NULL;
  int              n_pages = 0;

  fz_var (doc);
  fz_var (page);
  fz_try (ctx)
  {
    doc = fz_open_document (ctx, path);
    n_pages = fz_count_pages (ctx, doc);
    if (n_pages > 0)
      page = fz_load_page (ctx, doc, 0);
  }
  fz_always (ctx)
  {
    fz_drop_page (ctx, page);
    fz_drop_document (ctx, doc);
  }
  fz_catch (ctx)
  {
    message = kios_mupdf_caught_message (ctx);
  }
  fz_drop_context (ctx);
  if (message != NULL || n_pages <= 0)
    {
      g_set_error (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DAMAGED, "The server sent a damaged PDF%s%s",
                   message != NULL ? ": " : " without pages", message != NULL ? message : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
kios_book_import_validate (const char  *path,
                           const char **format_out,
                           GError     **error)
{
  guint8             head[SNIFF_SIZE + 1];
  gssize             len;
  int                fd;
  KiosBookFormat     format;
  g_autoptr (GError) local = NULL;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read the download: %s",
                   g_strerror (saved));
      return FALSE;
    }
  do
    len = read (fd, head, sizeof head - 1);
  while (len < 0 && errno == EINTR);
  close (fd);
  if (len <= 0)
    return not_a_book ("an empty file", error);
  head[len] = '\0';

  format = kios_book_format_detect (path, &local);
  if (format == KIOS_BOOK_FORMAT_UNKNOWN)
    {
      const char *what = sniff_non_book (head, (gsize) len);

      if (local != NULL && local->domain != KIOS_DOCUMENT_ERROR)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (what != NULL)
        return not_a_book (what, error);
      if (len >= 4 && memcmp (head, "PK\003\004", 4) == 0)
        g_set_error_literal (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_NOT_A_BOOK,
                             "The server sent a zip archive that is not an EPUB (no container or mimetype)");
      else if (len >= 5 && memcmp (head, "%PDF-", 5) == 0)
        g_set_error_literal (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_DAMAGED, "The server sent a damaged PDF");
      else
        g_set_error_literal (error, KIOS_IMPORT_ERROR, KIOS_IMPORT_ERROR_NOT_A_BOOK,
                             "The server sent a file that is neither an EPUB nor a PDF");
      return FALSE;
    }
  if (format == KIOS_BOOK_FORMAT_EPUB && !validate_epub (path, error))
    return FALSE;
  if (format == KIOS_BOOK_FORMAT_PDF && !validate_pdf (path, error))
    return FALSE;
  if (format_out != NULL)
    *format_out = format == KIOS_BOOK_FORMAT_PDF ? "pdf" : "epub";
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Commit.                                                                  */

static void
record_meta (KiosBookImport *self,
             const char     *hash)
{
  for (guint i = 0; i < self->meta->len; i++)
    {
      Meta *m = &g_array_index (self->meta, Meta, i);

      kios_library_store_set_book_meta (self->store, hash, m->key, m->value);
    }
}

char *
kios_book_import_commit (KiosBookImport *self,
                         char          **hash_out,
                         gboolean       *existing,
                         GCancellable   *cancellable,
                         GError        **error)
{
  g_autofree char           *dest = g_build_filename (self->books_dir, self->file_name, NULL);
  g_autofree char           *hash = NULL;
  g_autoptr (KiosBookRecord) same = NULL;
  const char                *format = NULL;
  GStatBuf                   st;

  if (existing != NULL)
    *existing = FALSE;
  if (!g_output_stream_is_closed (G_OUTPUT_STREAM (self->sink)) && !g_output_stream_close (G_OUTPUT_STREAM (self->sink), NULL, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!kios_book_import_validate (self->tmp_path, &format, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  hash = kios_book_hash_file (self->tmp_path, error);
  if (hash == NULL)
    return NULL;

  same = kios_library_store_get_book (self->store, hash, NULL);
  if (same != NULL && same->path != NULL && g_strcmp0 (same->path, dest) != 0 && g_file_test (same->path, G_FILE_TEST_IS_REGULAR))
    {
      /* The same bytes are already in the library (another entry, another
       * source, or a file opened from disk): keep one copy. */
      record_meta (self, hash);
      if (!kios_library_store_flush (self->store, 5000))
        g_warning ("the library did not confirm the download in time");
      if (existing != NULL)
        *existing = TRUE;
      if (hash_out != NULL)
        *hash_out = g_steal_pointer (&hash);
      return g_strdup (same->path);
    }

  if (g_rename (self->tmp_path, dest) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot save the book: %s",
                   g_strerror (saved));
      return NULL;
    }
  self->committed = TRUE;

  {
    KiosBookRecord record = { 0 };

    record.hash = hash;
    record.path = dest;
    record.size = g_stat (dest, &st) == 0 ? (gint64) st.st_size : 0;
    record.format = (char *) format;
    record.title = self->title != NULL ? self->title : (char *) "";
    record.authors = self->authors;
    record.cover_path = self->cover_path;
    record.added_at = g_get_real_time () / G_USEC_PER_SEC;
    record.downloaded = TRUE; /* so the person may delete it from Kios */
    kios_library_store_upsert_book (self->store, &record);
  }
  record_meta (self, hash);
  if (!kios_library_store_flush (self->store, 5000))
    g_warning ("the library did not confirm the download in time");
  if (hash_out != NULL)
    *hash_out = g_steal_pointer (&hash);
  return g_steal_pointer (&dest);
}

char *
kios_book_import_find (KiosLibraryStore *store,
                       const char       *file_name)
{
  g_autofree char           *books_dir = kios_paths_books_dir ();
  g_autofree char           *dest = g_build_filename (books_dir, file_name, NULL);
  g_autoptr (KiosBookRecord) known = NULL;

  if (!g_file_test (dest, G_FILE_TEST_IS_REGULAR))
    return NULL;
  known = kios_library_store_get_book_by_path (store, dest, NULL);
  return known != NULL ? g_steal_pointer (&dest) : NULL;
}

char *
kios_book_import_file_stem (const char *title)
{
  GString *out = g_string_new (NULL);

  for (const char *p = title != NULL ? title : ""; *p != '\0' && out->len < 60; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        g_string_append_unichar (out, c);
      else if (out->len > 0 && out->str[out->len - 1] != '-')
        g_string_append_c (out, '-');
    }
  while (out->len > 0 && out->str[out->len - 1] == '-')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    g_string_append (out, "book");
  return g_string_free (out, FALSE);
}
