/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-hash"

#include "config.h"

#include "kios-book-hash.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define SAMPLE_SIZE 1024
#define N_SAMPLES 12

/*
 * KOReader computes `bit.lshift (1024, 2 * i)` for i = -1..10 with LuaJIT's
 * 32-bit semantics: the shift by -2 becomes a shift by 30, which overflows to
 * 0. So the first sample is at offset 0 and the others at 1024 * 4^i; we list
 * the offsets instead of ever shifting by a negative count (undefined in C).
 */
static goffset
sample_offset (int n)
{
  if (n == 0)
    return 0;
  return (goffset) SAMPLE_SIZE << (2 * (n - 1));
}

char *
kios_book_hash_bytes (const guint8 *data,
                      gsize         len)
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  for (int n = 0; n < N_SAMPLES; n++)
    {
      goffset off = sample_offset (n);
      gsize   chunk;

      if ((guint64) off >= len)
        break;
      chunk = MIN ((gsize) SAMPLE_SIZE, len - (gsize) off);
      g_checksum_update (md5, data + off, chunk);
    }

  return g_strdup (g_checksum_get_string (md5));
}

/* Reads up to `size` bytes at `offset`, retrying short reads so that a
 * sample is only short at the end of the file, as in KOReader. */
static gssize
read_at (int     fd,
         guint8 *buf,
         gsize   size,
         goffset offset)
{
  gsize done = 0;

  while (done < size)
    {
      ssize_t r = pread (fd, buf + done, size - done, offset + (goffset) done);

      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (r == 0)
        break;
      done += (gsize) r;
    }

  return (gssize) done;
}

char *
kios_book_hash_file (const char *path,
                     GError    **error)
{
  g_autoptr (GChecksum) md5 = NULL;
  guint8                buf[SAMPLE_SIZE];
  int                   fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot open “%s” to hash it: %s", path, g_strerror (saved));
      return NULL;
    }

  md5 = g_checksum_new (G_CHECKSUM_MD5);
  for (int n = 0; n < N_SAMPLES; n++)
    {
      gssize got = read_at (fd, buf, sizeof buf, sample_offset (n));

      if (got < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot read “%s” to hash it: %s", path, g_strerror (saved));
          close (fd);
          return NULL;
        }
      if (got == 0)
        break;
      g_checksum_update (md5, buf, (gsize) got);
    }
  close (fd);

  return g_strdup (g_checksum_get_string (md5));
}
