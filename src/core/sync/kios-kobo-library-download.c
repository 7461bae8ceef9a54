/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-kobo-library"

#include "config.h"

#include "kios-kobo-library-private.h"
#include "kios-kobo-library.h"

#include "kios-book-importer.h"
#include "kios-limits.h"
#include "kios-paths.h"

#include <glib/gstdio.h>
#include <string.h>

/* The Kobo library's downloads (the best format of a catalog entry into the
 * library) and covers (fetched into the cache, named by cover id). */

/* The cover id changes with the cover: it names the cached file. */
static char *
cover_cache_path (const char *cover_image_id)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA1, cover_image_id, -1);
  g_autofree char *dir = kios_paths_cache_subdir ("covers");
  g_autofree char *name = g_strdup_printf ("kobo-%s.jpg", digest);

  return g_build_filename (dir, name, NULL);
}

static int
format_rank (const char *format)
{
  if (g_ascii_strcasecmp (format, "EPUB3") == 0 || g_ascii_strcasecmp (format, "EPUB") == 0)
    return 3;
  if (g_ascii_strcasecmp (format, "KEPUB") == 0)
    return 2;
  if (g_ascii_strcasecmp (format, "EPUB3FL") == 0)
    return 1;
  return 0;
}

/* The best download: EPUB, else KEPUB (on Komga the original file instead
 * of a kepubify conversion), else fixed-layout EPUB. */
static char *
pick_download (JsonObject *entry,
               char      **format,
               char      **listed)
{
  JsonArray       *downloads = kios_kobo_json_get_array (entry, "downloads");
  JsonObject      *best = NULL;
  int              best_rank = 0;
  g_autofree char *url = NULL;
  char            *p;

  for (guint i = 0; downloads != NULL && i < json_array_get_length (downloads); i++)
    {
      JsonNode   *n = json_array_get_element (downloads, i);
      JsonObject *d = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      int         rank = kios_kobo_json_get_string (d, "format") != NULL ? format_rank (kios_kobo_json_get_string (d, "format")) : 0;

      if (rank > best_rank && kios_kobo_json_get_string (d, "url") != NULL)
        {
          best = d;
          best_rank = rank;
        }
    }
  if (best == NULL)
    return NULL;
  url = g_strdup (kios_kobo_json_get_string (best, "url"));
  *format = g_strdup (best_rank == 2 ? "KEPUB" : "EPUB");
  *listed = g_strdup (kios_kobo_json_get_string (best, "format"));
  if (best_rank == 2 && (p = strstr (url, "convert_kepub=true")) != NULL)
    {
      /* Komga's KEPUB link converts on the fly; false gives the original. */
      GString *s = g_string_new_len (url, p - url);

      g_string_append (s, "convert_kepub=false");
      g_string_append (s, p + strlen ("convert_kepub=true"));
      g_free (*format);
      *format = g_strdup ("EPUB");
      return g_string_free (s, FALSE);
    }
  return g_steal_pointer (&url);
}

static void
remember_book (KiosBookImport *import,
               const char     *source_name,
               const char     *id,
               JsonObject     *entry,
               const char     *format,
               const char     *listed)
{
  kios_book_import_add_meta (import, KIOS_KOBO_META_LISTED_FORMAT, listed);
  kios_book_import_add_meta (import, KIOS_KOBO_META_SOURCE, source_name);
  kios_book_import_add_meta (import, KIOS_KOBO_META_ENTITLEMENT_ID, id);
  kios_book_import_add_meta (import, KIOS_KOBO_META_REVISION_ID, kios_kobo_json_get_string (entry, "revision_id"));
  kios_book_import_add_meta (import, KIOS_KOBO_META_FORMAT, format);
}

char *
kios_kobo_library_download (KiosKoboClient   *client,
                            KiosLibraryStore *store,
                            const char       *source_name,
                            const char       *entitlement_id_,
                            gboolean         *existing,
                            GCancellable     *cancellable,
                            GError          **error)
{
  g_autofree char           *catalog_key = kios_kobo_catalog_key (store, source_name);
  g_autoptr (JsonObject)     catalog = kios_kobo_catalog_bucket (store, catalog_key, entitlement_id_);
  JsonObject                *entry = kios_kobo_json_get_object (catalog, entitlement_id_);
  g_autofree char           *url = NULL;
  g_autofree char           *format = NULL;
  g_autofree char           *listed = NULL;
  g_autofree char           *key_source = NULL;
  g_autofree char           *key = NULL;
  g_autofree char           *stem = NULL;
  g_autofree char           *name = NULL;
  g_autofree char           *found = NULL;
  g_autofree char           *path = NULL;
  g_autofree char           *hash = NULL;
  g_autofree char           *cover = NULL;
  g_autoptr (KiosBookImport) import = NULL;
  g_autoptr (GString)        authors = g_string_new (NULL);
  JsonArray                 *list = kios_kobo_json_get_array (entry, "authors");
  gboolean                   fetched = FALSE;
  const char                *title;

  if (existing != NULL)
    *existing = FALSE;
  if (entry == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND,
                   "No book “%s” in the catalog of “%s”: list it with kiosctl browse first",
                   entitlement_id_, source_name);
      return NULL;
    }
  url = pick_download (entry, &format, &listed);
  if (url == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                   "The server offers no EPUB or KEPUB of this book");
      return NULL;
    }
  title = kios_kobo_json_get_string (entry, "title");

  key_source = g_strdup_printf ("kobo\n%s\n%s", source_name, entitlement_id_);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA1, key_source, -1);
  key[12] = '\0';
  stem = kios_book_import_file_stem (title);
  name = g_strdup_printf ("%s-%s.epub", stem, key);

  found = kios_book_import_find (store, name);
  if (found != NULL)
    {
      g_autoptr (KiosBookRecord) known = kios_library_store_get_book_by_path (store, found, NULL);
      g_autofree char           *had = kios_library_store_get_book_meta (store, known->hash, KIOS_KOBO_META_FORMAT);

      if (existing != NULL)
        *existing = TRUE;
      /* What was fetched then, not what the listing says now. */
      kios_library_store_set_book_meta (store, known->hash, KIOS_KOBO_META_LISTED_FORMAT, listed);
      kios_library_store_set_book_meta (store, known->hash, KIOS_KOBO_META_SOURCE, source_name);
      kios_library_store_set_book_meta (store, known->hash, KIOS_KOBO_META_ENTITLEMENT_ID, entitlement_id_);
      kios_library_store_set_book_meta (store, known->hash, KIOS_KOBO_META_REVISION_ID,
                                        kios_kobo_json_get_string (entry, "revision_id"));
      kios_library_store_set_book_meta (store, known->hash, KIOS_KOBO_META_FORMAT, had != NULL ? had : format);
      kios_library_store_flush (store, 5000);
      return g_steal_pointer (&found);
    }

  import = kios_book_import_new (store, name, KIOS_KOBO_MAX_BOOK_SIZE, error);
  if (import == NULL)
    return NULL;

  if (g_strcmp0 (format, "KEPUB") == 0 && kios_kobo_client_get_family (client) == KIOS_KOBO_FAMILY_CALIBRE_WEB && g_str_has_suffix (url, "/kepub"))
    {
      /* CW lists only the KEPUB when one is stored, and CWA converts on
       * demand (storing the result in the library): ask for the plain
       * EPUB first and take the KEPUB only when there is none. */
      g_autofree char   *epub_url = g_strdup (url);
      g_autoptr (GError) local = NULL;

      strcpy (epub_url + strlen (epub_url) - strlen ("kepub"), "epub");
      if (kios_kobo_client_download (client, epub_url, kios_book_import_get_sink (import), KIOS_KOBO_MAX_BOOK_SIZE,
                                     cancellable, &local))
        {
          g_free (format);
          format = g_strdup ("EPUB");
          fetched = TRUE;
        }
      else if (!g_error_matches (local, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      else if (!kios_book_import_restart (import, error))
        return NULL;
    }
  if (!fetched && !kios_kobo_client_download (client, url, kios_book_import_get_sink (import), KIOS_KOBO_MAX_BOOK_SIZE,
                                              cancellable, error))
    return NULL;

  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *n = json_array_get_element (list, i);

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        g_string_append_printf (authors, "%s%s", authors->len > 0 ? ", " : "", json_node_get_string (n));
    }
  {
    /* The cover, when it is already in the cache (the shelf fetched it). */
    g_autoptr (KiosKoboEntry) e = kios_kobo_library_entry_from_json (entitlement_id_, entry);

    if (e->cover_image_id != NULL)
      cover = cover_cache_path (e->cover_image_id);
    if (cover != NULL && !g_file_test (cover, G_FILE_TEST_IS_REGULAR))
      g_clear_pointer (&cover, g_free);
  }
  kios_book_import_set_details (import, title, authors->str, cover);
  remember_book (import, source_name, entitlement_id_, entry, format, listed);
  path = kios_book_import_commit (import, &hash, existing, cancellable, error);
  if (path == NULL)
    return NULL;
  json_object_set_string_member (entry, "hash", hash);
  kios_kobo_catalog_save_bucket (store, catalog_key, entitlement_id_, catalog);
  if (!kios_library_store_flush (store, 5000))
    g_warning ("the library did not confirm the download in time");
  return g_steal_pointer (&path);
}

char *
kios_kobo_library_fetch_cover (KiosKoboClient      *client,
                               const KiosKoboEntry *entry,
                               GCancellable        *cancellable,
                               GError             **error)
{
  g_autofree char   *url = kios_kobo_client_cover_url (client, entry->cover_image_id, 300, 450);
  g_autofree char   *dir = NULL;
  g_autofree char   *dest = NULL;
  g_autoptr (GBytes) bytes = NULL;

  if (url == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_FOUND, "This book has no cover on the server");
      return NULL;
    }
  dest = cover_cache_path (entry->cover_image_id);
  dir = g_path_get_dirname (dest);
  if (g_file_test (dest, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&dest);
  bytes = kios_kobo_client_fetch (client, url, KIOS_LIMIT_KOBO_COVER_BYTES, cancellable, error);
  if (bytes == NULL)
    return NULL;
  if (g_mkdir_with_parents (dir, 0700) != 0 || !g_file_set_contents_full (dest, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create the cover cache");
      return NULL;
    }
  return g_steal_pointer (&dest);
}
