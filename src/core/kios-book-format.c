/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-format"

#include "config.h"

#include "kios-book-format.h"

#include "kios-error.h"
#include "kios-limits.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define HEAD_SIZE KIOS_LIMIT_SNIFF_BYTES
#define EPUB_MIMETYPE "application/epub+zip"
#define MIMETYPE_MAX 256
/* The bound keeps a hostile central directory from making detection slow. */
#define MAX_ZIP_ENTRIES KIOS_LIMIT_ZIP_MEMBERS

/* The OCF layout every conforming EPUB starts with: a local file header
 * (30 bytes) for a STORED member named "mimetype" whose bytes follow. */
static gboolean
has_ocf_signature (const guint8 *head,
                   gsize         len)
{
  static const char name[] = "mimetype";

  gsize extra;

  if (len < 30 + 8 + strlen (EPUB_MIMETYPE))
    return FALSE;
  if (memcmp (head, "PK\x03\x04", 4) != 0)
    return FALSE;
  if (head[26] != 8 || head[27] != 0)
    return FALSE;
  if (memcmp (head + 30, name, 8) != 0)
    return FALSE;
  /* The OCF spec forbids an extra field here, but some zip writers add one
   * (libarchive always does); the content simply follows it. */
  extra = (gsize) head[28] | ((gsize) head[29] << 8);
  if (len < 38 + extra + strlen (EPUB_MIMETYPE))
    return FALSE;
  return memcmp (head + 38 + extra, EPUB_MIMETYPE, strlen (EPUB_MIMETYPE)) == 0;
}

static gboolean
has_pdf_header (const guint8 *head,
                gsize         len)
{
  for (gsize i = 0; i + 5 <= len; i++)
    if (head[i] == '%' && memcmp (head + i, "%PDF-", 5) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
mimetype_is_epub (struct archive *a)
{
  char    buf[MIMETYPE_MAX + 1];
  gsize   total = 0;
  ssize_t r;

  while (total < MIMETYPE_MAX && (r = archive_read_data (a, buf + total, MIMETYPE_MAX - total)) > 0)
    total += (gsize) r;
  buf[total] = '\0';

  /* Writers sometimes add a trailing newline; the content is ASCII. */
  return g_strcmp0 (g_strstrip (buf), EPUB_MIMETYPE) == 0;
}

/* Looks inside a zip with libarchive: EPUB if `mimetype` says so or the OCF
 * container file is present. Any failure just means "not an EPUB". */
static gboolean
zip_looks_like_epub (const char *path)
{
  struct archive       *a = archive_read_new ();
  struct archive_entry *entry;
  gboolean              found = FALSE;

  archive_read_support_format_zip_seekable (a);
  if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
    {
      archive_read_free (a);
      return FALSE;
    }

  for (int i = 0; i < MAX_ZIP_ENTRIES && !found; i++)
    {
      const char *name;
      int         r = archive_read_next_header (a, &entry);

      if (r == ARCHIVE_EOF || r == ARCHIVE_FATAL)
        break;
      name = archive_entry_pathname (entry);
      if (name == NULL)
        continue;
      if (g_ascii_strcasecmp (name, "META-INF/container.xml") == 0)
        found = TRUE;
      else if (strcmp (name, "mimetype") == 0 && r == ARCHIVE_OK)
        found = mimetype_is_epub (a);
    }

  archive_read_free (a);
  return found;
}

KiosBookFormat
kios_book_format_detect (const char *path,
                         GError    **error)
{
  guint8   head[HEAD_SIZE];
  gsize    len = 0;
  gboolean zip_magic;
  int      fd;

  g_return_val_if_fail (path != NULL, KIOS_BOOK_FORMAT_UNKNOWN);
  g_return_val_if_fail (error == NULL || *error == NULL, KIOS_BOOK_FORMAT_UNKNOWN);

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot open “%s”: %s", path, g_strerror (saved));
      return KIOS_BOOK_FORMAT_UNKNOWN;
    }

  while (len < sizeof head)
    {
      ssize_t r = read (fd, head + len, sizeof head - len);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot read “%s”: %s", path, g_strerror (saved));
          return KIOS_BOOK_FORMAT_UNKNOWN;
        }
      if (r == 0)
        break;
      len += (gsize) r;
    }
  close (fd);

  /* The OCF signature is the cheap, common case. A zip is looked into
   * before the PDF test, since a stored member could contain "%PDF-"; a PDF
   * may carry junk before its header (readers accept up to 1 KiB), and a
   * zip may too (self-extracting archives), hence the last test. */
  zip_magic = len >= 4 && memcmp (head, "PK\x03\x04", 4) == 0;
  if (has_ocf_signature (head, len))
    return KIOS_BOOK_FORMAT_EPUB;
  if (zip_magic && zip_looks_like_epub (path))
    return KIOS_BOOK_FORMAT_EPUB;
  if (has_pdf_header (head, len))
    return KIOS_BOOK_FORMAT_PDF;
  if (!zip_magic && len > 0 && zip_looks_like_epub (path))
    return KIOS_BOOK_FORMAT_EPUB;

  g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK,
               "“%s” is neither an EPUB nor a PDF (%s)", path,
               len == 0                                 ? "the file is empty"
               : memcmp (head, "PK", MIN (len, 2)) == 0 ? "a zip archive without an EPUB container"
                                                        : "unknown content");
  return KIOS_BOOK_FORMAT_UNKNOWN;
}
