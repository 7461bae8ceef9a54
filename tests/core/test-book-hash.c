/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-book-hash"

#include "config.h"

#include "kios-book-hash.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* A per-test directory: G_TEST_OPTION_ISOLATE_DIRS gives each test case its
 * own cache dir and removes it afterwards, so nothing leaks into /tmp. */
static const char *
scratch_dir (void)
{
  const char *dir = g_get_user_cache_dir ();

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}

static const char *
books_dir (void)
{
  const char *dir = g_getenv ("KIOS_SAMPLE_BOOKS");

  return dir != NULL ? dir : TEST_SRCDIR "/books";
}

static char *
write_temp (const char   *name,
            const guint8 *data,
            gsize         len)
{
  g_autoptr (GError) error = NULL;
  char              *path = g_build_filename (scratch_dir (), name, NULL);

  g_file_set_contents (path, (const char *) data, (gssize) len, &error);
  g_assert_no_error (error);
  return path;
}

/*
 * A second, deliberately naive implementation of KOReader's sampling loop,
 * written from KOSYNC.md §3.1 and independent of the one under test: it
 * reads the whole file and picks the windows by a list of offsets.
 */
static char *
reference_hash (const guint8 *data,
                gsize         len)
{
  static const guint64 offsets[] = {
    0, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
    67108864, 268435456, 1073741824
  };
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      if (offsets[i] >= len)
        break;
      g_checksum_update (md5, data + offsets[i], MIN (1024, len - offsets[i]));
    }
  return g_strdup (g_checksum_get_string (md5));
}

/* KOSYNC.md §3.3: byte k of the file is k mod M. The expected digests are the
 * ones printed in that table (computed there with Python and LuaJIT). */
typedef struct
{
  const char *name;
  gsize       size;
  guint       modulus;
  const char *expected;
} Vector;

static const Vector vectors[] = {
  { "V0", 0, 1, "d41d8cd98f00b204e9800998ecf8427e" },
  { "V1", 1000, 256, "cbecbdb0fdd5cec1e242493b6008cc79" },
  { "V2", 5000, 256, "5a9755b76558380bf7d2ec689ac72f47" },
  { "V3", 3145728, 251, "da96d9df9e3ed2a4e922f3641ba40600" },
};

static void
test_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      const Vector      *v = &vectors[i];
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *data = g_malloc (MAX (v->size, 1));
      g_autofree char   *path = NULL;
      g_autofree char   *from_file = NULL;
      g_autofree char   *from_bytes = NULL;
      g_autofree char   *reference = NULL;
      g_autofree char   *name = g_strdup_printf ("%s.bin", v->name);

      for (gsize k = 0; k < v->size; k++)
        data[k] = (guint8) (k % v->modulus);
      path = write_temp (name, data, v->size);

      from_file = kios_book_hash_file (path, &error);
      g_assert_no_error (error);
      from_bytes = kios_book_hash_bytes (data, v->size);
      reference = reference_hash (data, v->size);

      g_test_message ("%s: %s", v->name, from_file);
      g_assert_cmpstr (from_file, ==, v->expected);
      g_assert_cmpstr (from_bytes, ==, v->expected);
      g_assert_cmpstr (reference, ==, v->expected);
      g_unlink (path);
    }
}

/* Digests of the sample books, computed at development time with a Python
 * hashlib re-implementation of KOReader's util.partialMD5 (seek to 0, then
 * 1024 << 2i for i = 0..10, read 1024, stop at EOF). */
static const struct
{
  const char *file;
  const char *md5;
} sample_books[] = {
  { "emma.epub", "a38f4d706e521516650cc392508aa31b" },
  { "kjv-bible.epub", "d2fce4a6fcccd220528219dffd20cc45" },
  { "northanger-abbey.pdf", "6ebf1a25a02bb5a300761c2a70239e57" },
  { "persuasion.epub", "4014313b115a79ab802bd66bcb90849c" },
  { "persuasion.pdf", "e83c62a3ce6ea965e99a004d70b4adf6" },
  { "pride-and-prejudice.epub", "8a753c44fb0e8ef7fade7e7b1ae572db" },
  { "sense-and-sensibility.epub", "860f10bcccdd8413b77b0c17d7c5da35" },
};

static void
test_sample_books (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sample_books); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *path = g_build_filename (books_dir (), sample_books[i].file, NULL);
      g_autofree char   *contents = NULL;
      g_autofree char   *from_file = NULL;
      g_autofree char   *from_bytes = NULL;
      g_autofree char   *reference = NULL;
      gsize              len;

      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);

      from_file = kios_book_hash_file (path, &error);
      g_assert_no_error (error);
      from_bytes = kios_book_hash_bytes ((const guint8 *) contents, len);
      reference = reference_hash ((const guint8 *) contents, len);

      g_assert_cmpstr (from_file, ==, sample_books[i].md5);
      g_assert_cmpstr (from_bytes, ==, sample_books[i].md5);
      g_assert_cmpstr (reference, ==, sample_books[i].md5);
      g_assert_cmpuint (strlen (from_file), ==, 32);
    }
}

/*
 * The last window (1 GiB) only matters for huge files: a sparse file of
 * 1 GiB + 100 bytes, zero except one marker byte at (offset + 7) of each
 * window (0x5a + window number, 0x5a for offset 0) and 0xff at the last
 * byte. Expected digest from the same Python re-implementation.
 */
static void
test_sparse_gigabyte (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_build_filename (scratch_dir (), "sparse.bin", NULL);
  g_autofree char   *hash = NULL;
  guint8             ff = 0xff;
  int                fd;

  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  if (ftruncate (fd, (off_t) 1073741824 + 100) != 0)
    {
      close (fd);
      g_test_skip ("no room for a sparse 1 GiB file");
      return;
    }
  for (int i = -1; i <= 10; i++)
    {
      off_t  off = i < 0 ? 0 : (off_t) 1024 << (2 * i);
      guint8 marker = (guint8) (0x5a + i + 1);

      g_assert_cmpint (pwrite (fd, &marker, 1, off + 7), ==, 1);
    }
  g_assert_cmpint (pwrite (fd, &ff, 1, (off_t) 1073741824 + 99), ==, 1);
  close (fd);

  hash = kios_book_hash_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hash, ==, "48cbc61950b3f7ab57f63740cdcedd46");
  g_unlink (path);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *missing = g_build_filename (scratch_dir (), "no-such-book.epub", NULL);
  char              *hash;

  hash = kios_book_hash_file (missing, &error);
  g_assert_null (hash);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A directory opens but cannot be read. */
  hash = kios_book_hash_file (scratch_dir (), &error);
  g_assert_null (hash);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
}

/* Appending changes the hash only when the old end lies in a window. */
static void
test_append_behaviour (void)
{
  g_autofree guint8 *data = g_malloc0 (3000);
  g_autofree char   *a = NULL;
  g_autofree char   *b = NULL;
  g_autofree char   *c = NULL;

  for (int i = 0; i < 3000; i++)
    data[i] = (guint8) (i * 7);
  a = kios_book_hash_bytes (data, 2100);
  b = kios_book_hash_bytes (data, 3000);
  c = kios_book_hash_bytes (data, 2047);
  /* 2100 and 3000 both lie beyond the 1024..2048 window: same samples. */
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/book-hash/vectors", test_vectors);
  g_test_add_func ("/kios/book-hash/sample-books", test_sample_books);
  g_test_add_func ("/kios/book-hash/sparse-gigabyte", test_sparse_gigabyte);
  g_test_add_func ("/kios/book-hash/errors", test_errors);
  g_test_add_func ("/kios/book-hash/append", test_append_behaviour);

  return g_test_run ();
}
