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

/* ---- de-obfuscation -------------------------------------------------- */

/* IDPF key: SHA-1 of the unique identifier without any XML whitespace. */
static gboolean
idpf_key (KiosEpub *self,
          guint8    key[20])
{
  g_autoptr (GString)   id = g_string_new (NULL);
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  gsize                 len = 20;

  if (self->unique_identifier == NULL)
    return FALSE;
  for (const char *p = self->unique_identifier; *p != '\0'; p++)
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
      g_string_append_c (id, *p);
  g_checksum_update (sha1, (const guchar *) id->str, id->len);
  g_checksum_get_digest (sha1, key, &len);
  return len == 20;
}

/* Adobe key: the 16 bytes written as hex in the urn:uuid: identifier. */
static gboolean
adobe_key (KiosEpub *self,
           guint8    key[16])
{
  const char *id = self->uuid_identifier;
  int         n = 0;

  if (id == NULL)
    return FALSE;
  for (const char *p = id + strlen ("urn:uuid:"); *p != '\0' && n < 32; p++)
    {
      int v;

      if (*p == '-')
        continue;
      v = g_ascii_xdigit_value (*p);
      if (v < 0)
        return FALSE;
      if (n % 2 == 0)
        key[n / 2] = (guint8) (v << 4);
      else
        key[n / 2] |= (guint8) v;
      n++;
    }
  return n == 32;
}

static gboolean
write_member (struct archive       *w,
              const char           *name,
              struct archive_entry *src,
              const guint8         *data,
              gsize                 len,
              GError              **error)
{
  struct archive_entry *entry = archive_entry_new ();
  gboolean              ok = TRUE;

  archive_entry_set_pathname_utf8 (entry, name);
  if (src != NULL && archive_entry_filetype (src) == AE_IFDIR)
    {
      archive_entry_set_filetype (entry, AE_IFDIR);
      archive_entry_set_perm (entry, 0755);
      archive_entry_set_size (entry, 0);
    }
  else
    {
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_perm (entry, 0644);
      archive_entry_set_size (entry, (la_int64_t) len);
    }
  if (src != NULL && archive_entry_mtime_is_set (src))
    archive_entry_set_mtime (entry, archive_entry_mtime (src), 0);
  else
    archive_entry_set_mtime (entry, 0, 0);

  if (archive_write_header (w, entry) != ARCHIVE_OK)
    ok = FALSE;
  else if (len > 0 && archive_write_data (w, data, len) != (la_ssize_t) len)
    ok = FALSE;
  else if (archive_write_finish_entry (w) != ARCHIVE_OK)
    ok = FALSE;
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot write “%s” to the clean copy: %s", name,
                   kios_epub_archive_message (w));
      ok = FALSE;
    }
  archive_entry_free (entry);
  return ok;
}

static gboolean
copy_members (KiosEpub       *self,
              struct archive *w,
              GHashTable     *replacements,
              GError        **error)
{
  struct archive       *a;
  struct archive_entry *entry;
  guint8                idpf[20];
  guint8                adobe[16];
  gboolean              have_idpf = idpf_key (self, idpf);
  gboolean              have_adobe = adobe_key (self, adobe);
  const char           *mime = "application/epub+zip";

  /* OCF: `mimetype` comes first and is stored, so the file's first bytes
   * identify it. These per-entry setters exist because format options may
   * only change before the archive is opened. */
  if (archive_write_zip_set_compression_store (w) != ARCHIVE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot store the mimetype member");
      return FALSE;
    }
  if (!write_member (w, "mimetype", NULL, (const guint8 *) mime, strlen (mime), error))
    return FALSE;
  archive_write_zip_set_compression_deflate (w);

  a = kios_epub_open_archive (self->path, error);
  if (a == NULL)
    return FALSE;

  for (int i = 0; i < MAX_ZIP_ENTRIES; i++)
    {
      g_autoptr (GBytes) bytes = NULL;
      g_autofree guint8 *data = NULL;
      const char        *name;
      gpointer           kind;
      gsize              len;
      int                r = kios_epub_next_entry (a, self->path, &entry, error);

      if (r == ARCHIVE_EOF)
        break;
      if (r == ARCHIVE_FATAL)
        {
          archive_read_free (a);
          return FALSE;
        }
      name = kios_epub_entry_name (entry);
      if (name == NULL || strcmp (name, "mimetype") == 0)
        continue;
      if (strcmp (name, "META-INF/encryption.xml") == 0)
        continue;
      if (replacements != NULL && archive_entry_filetype (entry) == AE_IFREG &&
          (bytes = g_hash_table_lookup (replacements, name)) != NULL)
        {
          /* A stand-in for a member over its limits: the member itself is never inflated. */
          gsize         stand_in_len = 0;
          const guint8 *stand_in = g_bytes_get_data (bytes, &stand_in_len);

          bytes = NULL;
          if (!write_member (w, name, entry, stand_in, stand_in_len, error))
            {
              archive_read_free (a);
              return FALSE;
            }
          continue;
        }

      bytes = kios_epub_read_entry_data (a, name, DEFAULT_MEMBER_SIZE, error);
      if (bytes == NULL)
        {
          archive_read_free (a);
          return FALSE;
        }
      data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &len);

      kind = g_hash_table_lookup (self->obfuscated, name);
      if (GPOINTER_TO_INT (kind) == OBFUSCATION_IDPF)
        {
          if (!have_idpf)
            goto no_key;
          for (gsize k = 0; k < MIN (len, (gsize) IDPF_OBFUSCATED_LEN); k++)
            data[k] ^= idpf[k % 20];
        }
      else if (GPOINTER_TO_INT (kind) == OBFUSCATION_ADOBE)
        {
          if (!have_adobe)
            goto no_key;
          for (gsize k = 0; k < MIN (len, (gsize) ADOBE_OBFUSCATED_LEN); k++)
            data[k] ^= adobe[k % 16];
        }

      if (!write_member (w, name, entry, data, len, error))
        {
          archive_read_free (a);
          return FALSE;
        }
      continue;

    no_key:
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "Cannot restore the font “%s”: the book has no suitable identifier", name);
      archive_read_free (a);
      return FALSE;
    }

  archive_read_free (a);
  return TRUE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t r = write (fd, data, len);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      data += r;
      len -= (gsize) r;
    }
  return TRUE;
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static void
put_le16 (guint8 *p,
          guint16 v)
{
  p[0] = (guint8) (v & 0xff);
  p[1] = (guint8) (v >> 8);
}

static void
put_le32 (guint8 *p,
          guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) ((v >> (8 * i)) & 0xff);
}

/*
 * libarchive always gives an entry "UT" and "ux" extra fields, but OCF
 * forbids any extra field in the local header of `mimetype`, whose first 58
 * bytes readers sniff. Copies the zip at src_path (as libarchive wrote it:
 * no comment, no zip64 records) to dest_fd without that field, moving every
 * later offset back by its length. Returns FALSE, with nothing written, when
 * the layout is not the expected one, so the caller can keep the original.
 */
static gboolean
strip_first_extra_field (const char *src_path,
                         int         dest_fd,
                         gboolean   *write_failed)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (src_path, FALSE, NULL);
  g_autofree guint8      *cd = NULL;
  const guint8           *d;
  gsize                   len;
  guint8                  head[30];
  guint32                 name_len, extra_len, cd_size, cd_offset, data_start;
  guint16                 entries;
  gsize                   p = 0;

  *write_failed = FALSE;
  if (map == NULL)
    return FALSE;
  d = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  if (d == NULL || len < 30 + 22 || memcmp (d, "PK\x03\x04", 4) != 0)
    return FALSE;
  if (memcmp (d + len - 22, "PK\x05\x06", 4) != 0 || le16 (d + len - 2) != 0)
    return FALSE;

  name_len = le16 (d + 26);
  extra_len = le16 (d + 28);
  data_start = 30 + name_len + extra_len;
  entries = le16 (d + len - 22 + 10);
  cd_size = le32 (d + len - 22 + 12);
  cd_offset = le32 (d + len - 22 + 16);
  if ((guint64) cd_offset + cd_size != len - 22 || data_start > cd_offset)
    return FALSE;

  cd = g_memdup2 (d + cd_offset, (gsize) cd_size + 22);
  for (guint i = 0; i < entries; i++)
    {
      guint32 offset;

      if (p + 46 > cd_size || memcmp (cd + p, "PK\x01\x02", 4) != 0)
        return FALSE;
      offset = le32 (cd + p + 42);
      if (offset == 0xffffffff || (offset != 0 && offset < data_start))
        return FALSE;
      if (offset != 0)
        put_le32 (cd + p + 42, offset - extra_len);
      p += 46 + (gsize) le16 (cd + p + 28) + le16 (cd + p + 30) + le16 (cd + p + 32);
    }
  if (p != cd_size)
    return FALSE;
  put_le32 (cd + cd_size + 16, cd_offset - extra_len);

  memcpy (head, d, 30);
  put_le16 (head + 28, 0);
  *write_failed = TRUE;
  if (!write_all (dest_fd, head, 30) || !write_all (dest_fd, d + 30, name_len))
    return FALSE;
  if (!write_all (dest_fd, d + data_start, cd_offset - data_start))
    return FALSE;
  if (!write_all (dest_fd, cd, (gsize) cd_size + 22))
    return FALSE;
  *write_failed = FALSE;
  return TRUE;
}

/* Writes the clean zip to `fd` with libarchive. */
static gboolean
write_clean_zip (KiosEpub   *self,
                 int         fd,
                 GHashTable *replacements,
                 GError    **error)
{
  struct archive *w = archive_write_new ();
  gboolean        ok;

  archive_write_set_format_zip (w);
  archive_write_set_bytes_in_last_block (w, 1);
  ok = archive_write_open_fd (w, fd) == ARCHIVE_OK;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot start the zip writer: %s",
                 kios_epub_archive_message (w));
  if (ok)
    ok = copy_members (self, w, replacements, error);
  if (archive_write_close (w) != ARCHIVE_OK && ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot finish the zip: %s",
                   kios_epub_archive_message (w));
      ok = FALSE;
    }
  archive_write_free (w);
  return ok;
}

static int
make_temp (const char *dir,
           char      **path_out,
           GError    **error)
{
  char *path = g_build_filename (dir, ".kios-epub-XXXXXX", NULL);
  int   fd = g_mkstemp (path);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create a file in “%s”: %s", dir, g_strerror (saved));
      g_free (path);
      return -1;
    }
  *path_out = path;
  return fd;
}

/*
 * Writes a copy of the book without META-INF/encryption.xml and with each
 * obfuscated font restored; `mimetype` comes first, stored, without extra
 * field. Fails with KIOS_DOCUMENT_ERROR_DRM for a DRM-protected book. The
 * copy is written beside dest_path and renamed into place.
 */
gboolean
kios_epub_write_deobfuscated (KiosEpub   *self,
                              const char *dest_path,
                              GError    **error)
{
  return kios_epub_write_clean_copy (self, dest_path, NULL, error);
}

/*
 * The same copy, where each member named in `replacements` (name -> GBytes)
 * is written with the given bytes instead of its own, without inflating it.
 * The copy is private to the user (0600).
 */
gboolean
kios_epub_write_clean_copy (KiosEpub   *self,
                            const char *dest_path,
                            GHashTable *replacements,
                            GError    **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *raw_path = NULL;
  g_autofree char *final_path = NULL;
  const char      *result_path = NULL;
  gboolean         ok;
  gboolean         write_failed = FALSE;
  int              raw_fd;
  int              final_fd;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (dest_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->encryption == KIOS_EPUB_ENCRYPTION_DRM)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DRM,
                   "“%s” is protected by DRM, not only font obfuscation", self->path);
      return FALSE;
    }

  /* Written beside the destination and renamed, so a crash never leaves a
   * half-written book under the final name. */
  dir = g_path_get_dirname (dest_path);
  raw_fd = make_temp (dir, &raw_path, error);
  if (raw_fd < 0)
    return FALSE;
  final_fd = make_temp (dir, &final_path, error);
  if (final_fd < 0)
    {
      close (raw_fd);
      g_unlink (raw_path);
      return FALSE;
    }

  ok = write_clean_zip (self, raw_fd, replacements, error);
  if (ok)
    {
      int result_fd;

      if (strip_first_extra_field (raw_path, final_fd, &write_failed))
        {
          result_path = final_path;
          result_fd = final_fd;
        }
      else
        {
          /* An unexpected layout: keep libarchive's zip, extra field and all. */
          g_debug ("Keeping the mimetype extra field in “%s”", dest_path);
          result_path = raw_path;
          result_fd = raw_fd;
        }
      if (write_failed || fsync (result_fd) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Cannot write the clean copy of “%s” in “%s”", self->path, dir);
          ok = FALSE;
        }
    }
  close (raw_fd);
  close (final_fd);

  if (ok && g_rename (result_path, dest_path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot move the clean copy to “%s”: %s", dest_path, g_strerror (saved));
      ok = FALSE;
    }
  /* The one renamed is gone already; the other is scratch. */
  g_unlink (raw_path);
  g_unlink (final_path);
  return ok;
}
