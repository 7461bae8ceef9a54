/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-epub"

#include "config.h"

#include "kios-epub-private.h"
#include "kios-epub.h"

#include "kios-error.h"
#include "kios-limits.h"
#include "kios-xml.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* ---- zip access -------------------------------------------------------- */

/* libarchive's message for the last error, never NULL. */
const char *
kios_epub_archive_message (struct archive *a)
{
  const char *msg = archive_error_string (a);

  return msg != NULL ? msg : "unknown error";
}

/* The next entry's header, as archive_read_next_header () returns it; on
 * ARCHIVE_FATAL (a damaged zip directory) error is set as well. */
int
kios_epub_next_entry (struct archive        *a,
                      const char            *path,
                      struct archive_entry **entry,
                      GError               **error)
{
  int r = archive_read_next_header (a, entry);

  if (r == ARCHIVE_FATAL)
    g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED, "The zip directory of “%s” is damaged: %s",
                 path, kios_epub_archive_message (a));
  return r;
}

/*
 * An entry's name as UTF-8 (what the OPF uses), whatever the locale: the
 * plain pathname is converted to the locale's charset, which fails for
 * non-ASCII names under LC_ALL=C. Falls back to the raw name.
 */
const char *
kios_epub_entry_name (struct archive_entry *entry)
{
  const char *name = archive_entry_pathname_utf8 (entry);

  return name != NULL ? name : archive_entry_pathname (entry);
}

struct archive *
kios_epub_open_archive (const char *path,
                        GError    **error)
{
  struct archive *a = archive_read_new ();

  archive_read_support_format_zip_seekable (a);
  if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
    {
      g_autofree char *msg = g_strdup (archive_error_string (a));

      archive_read_free (a);

      if (g_access (path, R_OK) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot open “%s”: %s", path, g_strerror (saved));
        }
      else
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                     "Cannot read “%s” as a zip archive: %s", path,
                     msg != NULL ? msg : "unknown error");
      return NULL;
    }
  return a;
}

/* Reads the current entry's data, failing past max_size bytes. */
GBytes *
kios_epub_read_entry_data (struct archive *a,
                           const char     *zip_path,
                           gsize           max_size,
                           GError        **error)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  guint8                 chunk[64 * 1024];

  for (;;)
    {
      ssize_t r = archive_read_data (a, chunk, sizeof chunk);

      if (r == 0)
        break;
      if (r < 0)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                       "Cannot read “%s” from the book: %s", zip_path,
                       kios_epub_archive_message (a));
          return NULL;
        }
      if (buf->len + (gsize) r > max_size)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                       "“%s” is larger than the limit of %" G_GSIZE_FORMAT " bytes",
                       zip_path, max_size);
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) r);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/*
 * Reads one member by its full path: an exact name match, else the first
 * case-insensitive one (MuPDF looks zip names up case-insensitively, and
 * books written on Windows rely on it). Each call has its own handle.
 */
GBytes *
kios_epub_read_member_from (const char *path,
                            const char *zip_path,
                            gsize       max_size,
                            GError    **error)
{
  struct archive       *a;
  struct archive_entry *entry;
  GBytes               *bytes = NULL;
  int                   fold_index = -1;

  a = kios_epub_open_archive (path, error);
  if (a == NULL)
    return NULL;

  for (int pass = 0; pass < 2 && bytes == NULL; pass++)
    {
      gboolean found = FALSE;

      if (pass == 1)
        {
          if (fold_index < 0)
            break;
          archive_read_free (a);
          a = kios_epub_open_archive (path, error);
          if (a == NULL)
            return NULL;
        }

      for (int i = 0; i < MAX_ZIP_ENTRIES; i++)
        {
          const char *name;
          int         r = kios_epub_next_entry (a, path, &entry, error);

          if (r == ARCHIVE_EOF)
            break;
          if (r == ARCHIVE_FATAL)
            {
              archive_read_free (a);
              return NULL;
            }
          name = kios_epub_entry_name (entry);
          if (name == NULL)
            continue;
          if (pass == 0 && strcmp (name, zip_path) == 0)
            found = TRUE;
          else if (pass == 0 && fold_index < 0 && g_ascii_strcasecmp (name, zip_path) == 0)
            fold_index = i;
          else if (pass == 1 && i == fold_index)
            found = TRUE;

          if (found)
            {
              la_int64_t size = archive_entry_size_is_set (entry) ? archive_entry_size (entry) : 0;

              if (size > (la_int64_t) max_size)
                {
                  g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                               "“%s” is larger than the limit of %" G_GSIZE_FORMAT " bytes",
                               zip_path, max_size);
                  archive_read_free (a);
                  return NULL;
                }
              bytes = kios_epub_read_entry_data (a, zip_path, max_size, error);
              archive_read_free (a);
              return bytes;
            }
        }
    }

  archive_read_free (a);
  g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND,
               "The book has no member “%s”", zip_path);
  return NULL;
}

/*
 * Which of the members (full paths) the book has, found as
 * kios_epub_read_member_from() finds them (exact or case-insensitive name,
 * within the first MAX_ZIP_ENTRIES entries), in one walk of the directory
 * however many are asked for: a member a book lacks costs a walk of all
 * its entries. Fails (DAMAGED, or the open's error) when the directory
 * cannot be read to its end.
 */
gboolean
kios_epub_find_members (const char        *path,
                        const char *const *names,
                        guint              n_names,
                        gboolean          *present,
                        GError           **error)
{
  struct archive       *a;
  struct archive_entry *entry;

  for (guint k = 0; k < n_names; k++)
    present[k] = FALSE;
  a = kios_epub_open_archive (path, error);
  if (a == NULL)
    return FALSE;

  for (int i = 0; i < MAX_ZIP_ENTRIES; i++)
    {
      const char *name;
      int         r = kios_epub_next_entry (a, path, &entry, error);

      if (r == ARCHIVE_EOF)
        break;
      if (r == ARCHIVE_FATAL)
        {
          archive_read_free (a);
          return FALSE;
        }
      name = kios_epub_entry_name (entry);
      if (name == NULL)
        continue;
      for (guint k = 0; k < n_names; k++)
        if (g_ascii_strcasecmp (name, names[k]) == 0)
          present[k] = TRUE;
    }
  archive_read_free (a);
  return TRUE;
}

/* Whether the bytes declare an entity (in a DOCTYPE internal subset). */
static gboolean
declares_entities (const char *data,
                   gsize       len)
{
  static const char needle[] = "<!ENTITY";
  const gsize       n = sizeof needle - 1;

  for (gsize i = 0; i + n <= len; i++)
    if (data[i] == '<' && memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/*
 * Parses XML from the book. Entity declarations have no place in any EPUB
 * XML file we read (EPUB forbids internal DTD subsets); refusing them makes an
 * entity bomb an error instead of a document with the references silently
 * left as text.
 */
xmlDoc *
kios_epub_parse_member (const char *path,
                        const char *zip_path,
                        gsize       max_size,
                        GError    **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  const char        *data;
  gsize              len;

  bytes = kios_epub_read_member_from (path, zip_path, max_size, error);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &len);
  if (data != NULL && declares_entities (data, len))
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” declares XML entities, which EPUB does not allow", zip_path);
      return NULL;
    }
  doc = kios_xml_parse (data != NULL ? data : "", len, zip_path, &local_error);
  if (doc == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” is not well-formed XML: %s", zip_path,
                   local_error != NULL ? local_error->message : "parse error");
      return NULL;
    }
  if (xmlDocGetRootElement (doc) == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” has no root element", zip_path);
      return NULL;
    }
  return g_steal_pointer (&doc);
}

/* Whether the error means "this member is not in the zip". */
gboolean
kios_epub_is_not_found (const GError *error)
{
  return g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND);
}
