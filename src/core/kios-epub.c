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

/* ---- small helpers ---------------------------------------------------- */

static void
spine_item_free (KiosSpineItem *item)
{
  g_free (item->id);
  g_free (item->href);
  g_free (item->media_type);
  g_free (item);
}

void
kios_toc_entry_free (KiosTocEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->title);
  g_free (entry->href);
  g_free (entry->fragment);
  g_free (entry);
}

/* ---- public API ------------------------------------------------------ */

KiosEpub *
kios_epub_open (const char *path,
                GError    **error)
{
  g_autoptr (KiosEpub) self = NULL;
  struct archive      *a;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "“%s” does not exist", path);
      return NULL;
    }

  /* A file that is not a zip at all is not an e-book; a zip that fails
   * later (truncated, damaged) is a damaged one. */
  a = archive_read_new ();
  archive_read_support_format_zip_seekable (a);
  if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
    {
      g_autofree char *msg = g_strdup (archive_error_string (a));
      char             head[4] = { 0 };
      FILE            *f = g_fopen (path, "rb");
      gboolean         zip_magic = FALSE;

      archive_read_free (a);
      if (f == NULL)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot open “%s”: %s", path, g_strerror (saved));
          return NULL;
        }
      zip_magic = fread (head, 1, sizeof head, f) == sizeof head;
      zip_magic = zip_magic && memcmp (head, "PK\x03\x04", 4) == 0;
      fclose (f);
      if (zip_magic)
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                     "“%s” is a damaged or truncated zip archive: %s", path,
                     msg != NULL ? msg : "no central directory");
      else
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK,
                     "“%s” is not a zip archive, so not an EPUB", path);
      return NULL;
    }
  archive_read_free (a);

  self = g_new0 (KiosEpub, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->path = g_strdup (path);
  self->spine = g_ptr_array_new_with_free_func ((GDestroyNotify) spine_item_free);
  self->spine_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->spine_index_fold = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->toc = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_toc_entry_free);
  self->obfuscated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->opf_path = kios_epub_find_opf_path (path, error);
  if (self->opf_path == NULL)
    return NULL;
  if (!kios_epub_parse_opf (self, error))
    return NULL;
  kios_epub_parse_encryption (self);

  return g_steal_pointer (&self);
}

KiosEpub *
kios_epub_ref (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
kios_epub_unref (KiosEpub *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->path);
  g_free (self->opf_path);
  g_free (self->title);
  g_strfreev (self->authors);
  g_free (self->language);
  g_free (self->version);
  g_free (self->cover_href);
  g_free (self->unique_identifier);
  g_free (self->uuid_identifier);
  g_clear_pointer (&self->spine_index, g_hash_table_unref);
  g_clear_pointer (&self->spine_index_fold, g_hash_table_unref);
  g_clear_pointer (&self->spine, g_ptr_array_unref);
  g_clear_pointer (&self->toc, g_ptr_array_unref);
  g_clear_pointer (&self->obfuscated, g_hash_table_unref);
  g_free (self);
}

const char *
kios_epub_get_path (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

/* The title, or NULL when the OPF has none. */
const char *
kios_epub_get_title (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->title;
}

/* A NULL-terminated list, empty (never NULL) when there is no dc:creator. */
const char *const *
kios_epub_get_authors (KiosEpub *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (self != NULL, none);
  return self->authors != NULL ? (const char *const *) self->authors : none;
}

const char *
kios_epub_get_language (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->language;
}

const char *
kios_epub_get_version (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->version;
}

/* The cover image's full zip path, or NULL. */
const char *
kios_epub_get_cover_href (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->cover_href;
}

guint
kios_epub_get_n_spine_items (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->spine->len;
}

const KiosSpineItem *
kios_epub_get_spine_item (KiosEpub *self,
                          guint     index)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (index >= self->spine->len)
    return NULL;
  return g_ptr_array_index (self->spine, index);
}

/*
 * The spine index of a full zip path (a "#fragment" is ignored), or -1. An
 * exact match wins; otherwise names are compared case-insensitively, since
 * that is how the zip member would be found.
 */
int
kios_epub_find_spine_index (KiosEpub   *self,
                            const char *href)
{
  g_autofree char *path = NULL;
  const char      *hash;
  gpointer         found;

  g_return_val_if_fail (self != NULL, -1);
  if (href == NULL)
    return -1;

  hash = strchr (href, '#');
  path = hash != NULL ? g_strndup (href, (gsize) (hash - href)) : g_strdup (href);
  found = g_hash_table_lookup (self->spine_index, path);
  if (found == NULL)
    {
      g_autofree char *folded = g_ascii_strdown (path, -1);

      /* A table, not a scan: a hostile TOC may hold 100000 misses. */
      found = g_hash_table_lookup (self->spine_index_fold, folded);
    }
  return found != NULL ? GPOINTER_TO_INT (found) - 1 : -1;
}

/* Transfer none: the array belongs to self. */
GPtrArray *
kios_epub_get_toc (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->toc;
}

KiosEpubEncryption
kios_epub_get_encryption (KiosEpub *self)
{
  g_return_val_if_fail (self != NULL, KIOS_EPUB_ENCRYPTION_NONE);
  return self->encryption;
}

/*
 * Reads one member (a full zip path) into memory, failing with TOO_COMPLEX
 * past max_size bytes (0 means 256 MiB) and NOT_FOUND when it is absent.
 * Thread-safe: each call opens its own archive handle.
 */
GBytes *
kios_epub_read_member (KiosEpub   *self,
                       const char *zip_path,
                       gsize       max_size,
                       GError    **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (zip_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return kios_epub_read_member_from (self->path, zip_path,
                                     max_size != 0 ? max_size : DEFAULT_MEMBER_SIZE, error);
}
