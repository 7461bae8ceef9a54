/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-paths"

#include "config.h"

#include "kios-paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define DEVICE_ID_LEN 32
#define DEVICE_ID_FILE "device-id"

/* Creates `path` (mode 0700) and returns it; on failure it warns and still returns
 * it: the caller's open or write then fails with a precise message. */
static char *
ensure_dir (char *path)
{
  GStatBuf st;

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_warning ("Cannot create directory %s: %s", path, g_strerror (saved_errno));
    }
  /* A directory made by an older version (or by hand) is made private too:
   * it holds what a person reads and their accounts' state. */
  else if (g_stat (path, &st) == 0 && (st.st_mode & 077) != 0 && g_chmod (path, 0700) != 0)
    g_warning ("Cannot make directory %s private: %s", path, g_strerror (errno));
  return path;
}

char *
kios_paths_data_dir (void)
{
  return ensure_dir (g_build_filename (g_get_user_data_dir (), "kios", NULL));
}

char *
kios_paths_library_db (void)
{
  g_autofree char *dir = kios_paths_data_dir ();

  return g_build_filename (dir, "library.db", NULL);
}

char *
kios_paths_books_dir (void)
{
  g_autofree char *dir = kios_paths_data_dir ();

  return ensure_dir (g_build_filename (dir, "books", NULL));
}

char *
kios_paths_cache_dir (void)
{
  return ensure_dir (g_build_filename (g_get_user_cache_dir (), "kios", NULL));
}

char *
kios_paths_cache_subdir (const char *name)
{
  g_autofree char *dir = NULL;

  /* One plain path component only, so a caller's mistake can never create or
   * reach a directory outside the cache. */
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (strchr (name, G_DIR_SEPARATOR) == NULL, NULL);
  g_return_val_if_fail (strcmp (name, ".") != 0 && strcmp (name, "..") != 0, NULL);

  dir = kios_paths_cache_dir ();
  return ensure_dir (g_build_filename (dir, name, NULL));
}

static gboolean
is_device_id (const char *str)
{
  if (str == NULL || strlen (str) != DEVICE_ID_LEN)
    return FALSE;

  for (const char *p = str; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'A' && *p <= 'F'))
      return FALSE;

  return TRUE;
}

/* The file's id, or NULL when it is missing or not a valid id. */
static char *
read_device_id (const char *path)
{
  g_autofree char *contents = NULL;
  gsize            len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  if (len > 256)
    return NULL;

  g_strstrip (contents);
  if (!is_device_id (contents))
    return NULL;

  return g_steal_pointer (&contents);
}

static char *
generate_device_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString         *id = g_string_sized_new (DEVICE_ID_LEN);

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (id, g_ascii_toupper (*p));

  g_assert (id->len == DEVICE_ID_LEN);
  return g_string_free (id, FALSE);
}

/*
 * The app and kiosctl may both start for the first time at once. Each writes
 * its candidate to a private temporary file (atomically, synced) and then
 * link()s it to the final name: link never replaces an existing file, so
 * exactly one candidate wins and the loser reads the winner's id.
 */
static char *
create_device_id (const char *dir,
                  const char *path)
{
  g_autofree char   *candidate = generate_device_id ();
  g_autofree char   *contents = g_strconcat (candidate, "\n", NULL);
  g_autofree char   *tmp_name = g_strdup_printf (".%s.%u.%08x", DEVICE_ID_FILE,
                                                 (guint) getpid (), g_random_int ());
  g_autofree char   *tmp_path = g_build_filename (dir, tmp_name, NULL);
  g_autoptr (GError) error = NULL;
  char              *existing;

  if (!g_file_set_contents_full (tmp_path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_warning ("Cannot store the device id: %s", error->message);
      return g_steal_pointer (&candidate);
    }

  if (link (tmp_path, path) == 0)
    {
      g_unlink (tmp_path);
      return g_steal_pointer (&candidate);
    }

  if (errno == EEXIST)
    {
      /* Someone else won the race: use their id. */
      existing = read_device_id (path);
      if (existing != NULL)
        {
          g_unlink (tmp_path);
          return existing;
        }
    }

  /* An invalid file is in the way, or the file system has no hard links:
   * replace atomically, which can only lose a race, never tear the file. */
  if (g_rename (tmp_path, path) == 0)
    return g_steal_pointer (&candidate);

  g_warning ("Cannot store the device id in %s: %s", path, g_strerror (errno));
  g_unlink (tmp_path);
  return g_steal_pointer (&candidate);
}

char *
kios_paths_device_id (void)
{
  static GMutex            lock;
  g_autofree char         *dir = kios_paths_data_dir ();
  g_autofree char         *path = g_build_filename (dir, DEVICE_ID_FILE, NULL);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lock);
  char                    *id;

  id = read_device_id (path);
  if (id != NULL)
    return id;

  return create_device_id (dir, path);
}

char *
kios_paths_device_name (void)
{
  return g_strdup_printf ("Kios on %s", g_get_host_name ());
}
