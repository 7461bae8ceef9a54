/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sidecar-sync"

#include "config.h"

#include "kios-annotation-text.h"
#include "kios-koreader-sidecar.h"
#include "kios-library-store.h"
#include "kios-sidecar-sync.h"
#include "kios-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define HASH "4014313b115a79ab802bd66bcb90849c"

typedef struct
{
  char             *dir;  /* the library folder */
  char             *book; /* persuasion.epub in it */
  char             *sidecar;
  KiosLibraryStore *store;
  KiosSidecarSync  *sync;
  GPtrArray        *messages;
} Fixture;

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char              *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, NULL, &error));
  g_assert_no_error (error);
  return data;
}

static void
write_file (const char *path,
            const char *data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, data, -1, &error));
  g_assert_no_error (error);
}

static void
message_cb (KiosSidecarSync *sync,
            const char      *book_path,
            Fixture         *f)
{
  g_ptr_array_add (f->messages, g_strdup (book_path));
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autofree char   *src = kios_test_book ("persuasion.epub");
  g_autofree char   *epub = read_file (src);
  g_autofree char   *db = g_build_filename (g_get_user_data_dir (), "library.db", NULL);
  g_autoptr (GError) error = NULL;
  gsize              len = 0;
  g_autofree char   *contents = NULL;

  f->dir = g_build_filename (g_get_user_data_dir (), "books", NULL);
  f->book = g_build_filename (f->dir, "persuasion.epub", NULL);
  g_assert_true (g_file_get_contents (src, &contents, &len, &error));
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (f->book, contents, (gssize) len, &error));
  g_assert_no_error (error);
  f->sidecar = kios_koreader_sidecar_path_for_book (f->book);
  if (data != NULL)
    {
      g_autofree char *fixture = g_build_filename (TEST_SRCDIR, "fixtures", "koreader", data, NULL);
      g_autofree char *lua = read_file (fixture);

      write_file (f->sidecar, lua);
    }

  f->store = kios_library_store_new (db, &error);
  g_assert_no_error (error);
  f->sync = kios_sidecar_sync_new (f->store, NULL);
  kios_sidecar_sync_set_delay (f->sync, 50);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->sync, "message", G_CALLBACK (message_cb), f);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_clear_object (&f->sync);
  g_clear_object (&f->store);
  g_clear_pointer (&f->messages, g_ptr_array_unref);
  g_free (f->dir);
  g_free (f->book);
  g_free (f->sidecar);
}

static void
share (Fixture *f)
{
  const char *folders[] = { f->dir, NULL };

  kios_sidecar_sync_set_folders (f->sync, folders);
}

/* Lets timers and workers run, then waits until the sync is idle again. */
static void
settle (Fixture *f,
        guint    ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  gint64 limit = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end || !kios_sidecar_sync_is_idle (f->sync))
    {
      if (g_get_monotonic_time () > limit)
        g_error ("The sidecar sync did not settle");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static GPtrArray *
list (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GPtrArray         *annotations = kios_library_store_list_annotations (f->store, HASH, &error);

  g_assert_no_error (error);
  return annotations;
}

static guint
count_origin (GPtrArray  *annotations,
              const char *origin)
{
  guint n = 0;

  for (guint i = 0; i < annotations->len; i++)
    if (g_strcmp0 (((KiosAnnotation *) g_ptr_array_index (annotations, i))->origin, origin) == 0)
      n++;
  return n;
}

/* The signal: every kind of write tells which book changed. */
static void
changed_cb (KiosLibraryStore *store,
            const char       *hash,
            GPtrArray        *hashes)
{
  g_ptr_array_add (hashes, g_strdup (hash));
}

static gpointer
add_in_thread (gpointer data)
{
  KiosLibraryStore          *store = data;
  g_autoptr (KiosAnnotation) a = kios_annotation_new ();
  g_autoptr (GError)         error = NULL;

  a->hash = g_strdup ("feedbeef");
  a->kind = KIOS_ANNOTATION_BOOKMARK;
  a->start = kios_position_new ();
  kios_library_store_add_annotation (store, a, &error);
  g_assert_no_error (error);
  return NULL;
}

static void
test_store_signal (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GPtrArray)      hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (KiosAnnotation) a = kios_annotation_new ();
  g_autoptr (GError)         error = NULL;
  GThread                   *thread;
  gboolean                   got = FALSE;

  g_signal_connect (f->store, "annotations-changed", G_CALLBACK (changed_cb), hashes);
  a->hash = g_strdup (HASH);
  a->kind = KIOS_ANNOTATION_BOOKMARK;
  a->start = kios_position_new ();
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  g_assert_cmpuint (hashes->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (hashes, 0), ==, HASH);

  g_free (a->note);
  a->note = g_strdup ("n");
  g_assert_true (kios_library_store_update_annotation (f->store, a, &error));
  g_assert_cmpuint (hashes->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (hashes, 1), ==, HASH);

  g_assert_true (kios_library_store_delete_annotation (f->store, a->id, &error));
  g_assert_cmpuint (hashes->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (hashes, 2), ==, HASH);

  /* A failed write says nothing. */
  g_assert_false (kios_library_store_delete_annotation (f->store, a->id, &error));
  g_clear_error (&error);
  g_assert_cmpuint (hashes->len, ==, 3);

  g_assert_true (kios_library_store_delete_book_annotations (f->store, HASH, &error));
  g_assert_cmpuint (hashes->len, ==, 4);

  /* From another thread: emitted later, on the store's own context. */
  thread = g_thread_new ("add", add_in_thread, f->store);
  g_thread_join (thread);
  g_assert_cmpuint (hashes->len, ==, 4);
  while (!got)
    {
      g_main_context_iteration (NULL, TRUE);
      got = hashes->len == 5;
    }
  g_assert_cmpstr (g_ptr_array_index (hashes, 4), ==, "feedbeef");
}

/* Opening a book in a shared folder puts KOReader's entries into the store. */
static void
test_import_on_open (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GPtrArray) annotations = NULL;
  g_autofree char      *before = read_file (f->sidecar);
  g_autofree char      *after = NULL;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 3);
  g_assert_cmpuint (count_origin (annotations, "koreader"), ==, 3);
  g_assert_cmpstr (((KiosAnnotation *) g_ptr_array_index (annotations, 0))->text, ==,
                   "Sir Walter Elliot, of Kellynch Hall");

  /* Opening again adds nothing twice, and the import is not written back. */
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 200);
  g_clear_pointer (&annotations, g_ptr_array_unref);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 3);
  after = read_file (f->sidecar);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* KOReader changes the file while the book is open: read again. */
static void
test_reimport_on_change (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (GPtrArray) annotations = NULL;
  g_autofree char      *lua = read_file (f->sidecar);
  g_autoptr (GString)   changed = g_string_new (lua);
  KiosAnnotation       *first;
  gint64                end;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);

  /* The note of the first changes, its colour too, and the bookmark goes. */
  g_assert_cmpuint (g_string_replace (changed, "Vanity, from", "Pride, from", 1), ==, 1);
  g_assert_cmpuint (g_string_replace (changed, "\"yellow\"", "\"red\"", 1), ==, 1);
  {
    char *bookmark = strstr (changed->str, "[3] = {");

    g_assert_nonnull (bookmark);
    g_string_truncate (changed, bookmark - changed->str);
    g_string_append (changed, "},\n}\n");
  }
  write_file (f->sidecar, changed->str);
  {
    /* Still the strict parser's: the edited file must be valid. */
    g_autoptr (GError)              error = NULL;
    g_autoptr (KiosKoreaderSidecar) s = kios_koreader_sidecar_load (f->sidecar, &error);

    g_assert_no_error (error);
  }

  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      g_clear_pointer (&annotations, g_ptr_array_unref);
      settle (f, 100);
      annotations = list (f);
      if (annotations->len == 2 || g_get_monotonic_time () > end)
        break;
    }
  g_assert_cmpuint (annotations->len, ==, 2);
  first = g_ptr_array_index (annotations, 0);
  g_assert_cmpstr (first->note, ==, "Pride, from the \"first\" line.\nSee chapter 2.");
  g_assert_cmpstr (first->color, ==, "red");
  g_assert_cmpstr (first->origin, ==, "koreader");
}

static KiosAnnotation *
kios_highlight (const char *book)
{
  g_autoptr (GError)             error = NULL;
  g_autoptr (KiosAnnotationText) text = kios_annotation_text_new (book, &error);
  KiosAnnotation                *a = kios_annotation_new ();

  g_assert_no_error (error);
  a->hash = g_strdup (HASH);
  a->kind = KIOS_ANNOTATION_HIGHLIGHT;
  a->color = g_strdup ("green");
  a->note = g_strdup ("mine");
  a->start = kios_position_new ();
  a->start->format = KIOS_BOOK_FORMAT_EPUB;
  a->start->chapter = 3;
  a->start->offset = 10;
  a->end = kios_position_copy (a->start);
  a->end->offset = 40;
  g_assert_true (kios_annotation_text_fill (text, a, &error));
  g_assert_no_error (error);
  return a;
}

/* A highlight made in Kios lands in the sidecar, next to KOReader's. */
static void
test_write_back (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (KiosAnnotation)      a = kios_highlight (f->book);
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = NULL;
  g_autoptr (KiosAnnotationText)  text = NULL;
  g_autoptr (GPtrArray)           entries = NULL;
  g_autoptr (GPtrArray)           annotations = NULL;
  g_autofree char                *old = g_strconcat (f->sidecar, ".old", NULL);
  guint                           mine = 0;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));

  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  g_assert_no_error (error);
  settle (f, 300);

  g_assert_true (g_file_test (old, G_FILE_TEST_EXISTS));
  sidecar = kios_koreader_sidecar_load (f->sidecar, &error);
  g_assert_no_error (error);
  text = kios_annotation_text_new (f->book, &error);
  entries = kios_koreader_sidecar_get_annotations (sidecar, HASH, text);
  g_assert_cmpuint (entries->len, ==, 4);
  for (guint i = 0; i < entries->len; i++)
    {
      KiosAnnotation *e = g_ptr_array_index (entries, i);

      if (g_strcmp0 (e->note, "mine") == 0)
        {
          mine++;
          g_assert_cmpstr (e->start->xpointer, ==, a->start->xpointer);
          g_assert_cmpstr (e->end->xpointer, ==, a->end->xpointer);
        }
    }
  g_assert_cmpuint (mine, ==, 1);

  /* Kios's own write is not read back as KOReader's. */
  settle (f, 300);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 4);
  g_assert_cmpuint (count_origin (annotations, "kios"), ==, 1);

  /* Closed: changes stay in Kios. */
  kios_sidecar_sync_book_closed (f->sync, HASH);
  {
    g_autofree char           *before = read_file (f->sidecar);
    g_autofree char           *after = NULL;
    g_autoptr (KiosAnnotation) b = kios_highlight (f->book);

    b->start->offset = 50;
    b->end->offset = 60;
    g_clear_pointer (&b->start->xpointer, g_free);
    g_clear_pointer (&b->end->xpointer, g_free);
    g_clear_pointer (&b->text, g_free);
    g_assert_true (kios_annotation_text_fill (text, b, &error));
    g_assert_true (kios_library_store_add_annotation (f->store, b, &error));
    settle (f, 200);
    after = read_file (f->sidecar);
    g_assert_cmpstr (after, ==, before);
  }
}

/* A folder the person did not opt in: nothing read, nothing written. */
static void
test_not_shared (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (KiosAnnotation) a = kios_highlight (f->book);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      annotations = NULL;
  g_autofree char           *before = read_file (f->sidecar);
  g_autofree char           *after = NULL;
  g_autofree char           *old = g_strconcat (f->sidecar, ".old", NULL);
  const char                *elsewhere[] = { "/nonexistent/library", NULL };

  kios_sidecar_sync_set_folders (f->sync, elsewhere);
  g_assert_false (kios_sidecar_sync_is_shared (f->sync, f->book));
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  settle (f, 200);

  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 1);
  after = read_file (f->sidecar);
  g_assert_cmpstr (after, ==, before);
  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
}

/* A hostile sidecar: one message, never changed, nothing imported. */
static void
test_hostile (Fixture      *f,
              gconstpointer data)
{
  const char                *hostile = "return os.execute(\"touch /tmp/kios-sidecar-sync-pwned\")";
  g_autoptr (KiosAnnotation) a = kios_highlight (f->book);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      annotations = NULL;
  g_autofree char           *after = NULL;
  g_autofree char           *old = g_strconcat (f->sidecar, ".old", NULL);

  write_file (f->sidecar, hostile);
  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, f->book);

  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  /* Touched on disk, still hostile: read again, no second message. */
  write_file (f->sidecar, hostile);
  settle (f, 300);

  g_assert_cmpuint (f->messages->len, ==, 1);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 1);
  after = read_file (f->sidecar);
  g_assert_cmpstr (after, ==, hostile);
  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/tmp/kios-sidecar-sync-pwned", G_FILE_TEST_EXISTS));
}

/* No sidecar yet: Kios's first highlight makes one. */
static void
test_new_sidecar (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (KiosAnnotation) a = kios_highlight (f->book);
  g_autoptr (GError)         error = NULL;
  g_autofree char           *lua = NULL;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 100);
  g_assert_false (g_file_test (f->sidecar, G_FILE_TEST_EXISTS));
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  settle (f, 300);
  lua = read_file (f->sidecar);
  g_assert_nonnull (strstr (lua, "\"mine\""));
}

/* The sidecar's entries, read as the app reads them. */
static GPtrArray *
sidecar_entries (Fixture *f)
{
  g_autoptr (GError)              error = NULL;
  g_autoptr (KiosKoreaderSidecar) sidecar = kios_koreader_sidecar_load (f->sidecar, &error);
  g_autoptr (KiosAnnotationText)  text = kios_annotation_text_new (f->book, &error);

  g_assert_no_error (error);
  return kios_koreader_sidecar_get_annotations (sidecar, HASH, text);
}

static KiosAnnotation *
find_text (GPtrArray  *annotations,
           const char *text)
{
  for (guint i = 0; i < annotations->len; i++)
    if (g_strcmp0 (((KiosAnnotation *) g_ptr_array_index (annotations, i))->text, text) == 0)
      return g_ptr_array_index (annotations, i);
  return NULL;
}

#define FIRST_TEXT "Sir Walter Elliot, of Kellynch Hall"

/* Deleted in Kios, Kios's own or KOReader's: gone from the sidecar, and
 * not brought back by the next opening. */
static void
test_delete (Fixture      *f,
             gconstpointer data)
{
  g_autoptr (KiosAnnotation) a = kios_highlight (f->book);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      entries = NULL;
  g_autoptr (GPtrArray)      annotations = NULL;
  KiosAnnotation            *first;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  g_assert_no_error (error);
  settle (f, 300);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 4);

  /* Kios's own. */
  g_assert_true (kios_library_store_delete_annotation (f->store, a->id, &error));
  settle (f, 300);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_null (find_text (entries, a->text));

  /* KOReader's, seen at the import. */
  annotations = list (f);
  first = find_text (annotations, FIRST_TEXT);
  g_assert_nonnull (first);
  g_assert_cmpstr (first->origin, ==, "koreader");
  g_assert_true (kios_library_store_delete_annotation (f->store, first->id, &error));
  settle (f, 300);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_null (find_text (entries, FIRST_TEXT));

  /* Opened again: neither comes back. */
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 300);
  g_clear_pointer (&annotations, g_ptr_array_unref);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 2);
  g_assert_null (find_text (annotations, FIRST_TEXT));
  g_assert_null (find_text (annotations, a->text));
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* Deleted while the book is closed (or just before Kios quit): a new sync
 * on the same library still removes it from the sidecar on the next
 * opening, and keeps what KOReader added meanwhile. */
static void
test_delete_across_restart (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (KiosAnnotation) a = kios_highlight (f->book);
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      entries = NULL;
  g_autoptr (GPtrArray)      annotations = NULL;
  g_autofree char           *lua = NULL;
  g_autoptr (GString)        added = NULL;
  KiosAnnotation            *first;
  char                      *end;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  settle (f, 300);
  kios_sidecar_sync_book_closed (f->sync, HASH);

  annotations = list (f);
  first = find_text (annotations, FIRST_TEXT);
  g_assert_true (kios_library_store_delete_annotation (f->store, first->id, &error));
  g_assert_true (kios_library_store_delete_annotation (f->store, a->id, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_flush (f->store, 5000));
  g_clear_object (&f->sync);

  /* KOReader adds a highlight meanwhile. */
  lua = read_file (f->sidecar);
  g_assert_nonnull (strstr (lua, "\"mine\""));
  added = g_string_new (lua);
  end = strstr (added->str, "\n    },\n    [\"annotations_externally_modified\"]");
  if (end == NULL)
    end = strstr (added->str, "\n    },\n    [\"bookmarks_sorted");
  g_assert_nonnull (end);
  g_string_insert (added, end - added->str + 1,
                   "        [5] = {\n"
                   "            [\"datetime\"] = \"2026-12-06 13:00:00\",\n"
                   "            [\"page\"] = \"/body/DocFragment[3]/body/section/p[1]/text().0\",\n"
                   "            [\"pos0\"] = \"/body/DocFragment[3]/body/section/p[1]/text().0\",\n"
                   "            [\"pos1\"] = \"/body/DocFragment[3]/body/section/p[1]/text().10\",\n"
                   "            [\"text\"] = \"Sir Walter\",\n"
                   "        },\n");
  write_file (f->sidecar, added->str);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 5);

  f->sync = kios_sidecar_sync_new (f->store, NULL);
  kios_sidecar_sync_set_delay (f->sync, 50);
  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 300);

  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_null (find_text (entries, FIRST_TEXT));
  g_assert_null (find_text (entries, a->text));
  g_assert_nonnull (find_text (entries, "Sir Walter"));
  g_clear_pointer (&annotations, g_ptr_array_unref);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 3);
  g_assert_null (find_text (annotations, FIRST_TEXT));
  g_assert_null (find_text (annotations, a->text));
  g_assert_nonnull (find_text (annotations, "Sir Walter"));
}

/* Removes by hand, as KOReader does, the last entry of the sidecar, the
 * one holding needle (the last: nothing to renumber). */
static void
remove_last_entry (Fixture    *f,
                   const char *needle)
{
  g_autofree char    *lua = read_file (f->sidecar);
  g_autoptr (GString) edited = g_string_new (lua);
  char               *hit = strstr (edited->str, needle);
  char               *start;
  char               *end;

  g_assert_nonnull (hit);
  start = g_strrstr_len (edited->str, hit - edited->str, "\n        [");
  end = strstr (hit, "\n        },\n");
  g_assert_nonnull (start);
  g_assert_nonnull (end);
  g_assert_true (g_str_has_prefix (end + strlen ("\n        },"), "\n    },"));
  g_string_erase (edited, start - edited->str, end + strlen ("\n        },") - start);
  write_file (f->sidecar, edited->str);
  g_assert_null (strstr (edited->str, needle));
}

static gboolean
seen_has (Fixture              *f,
          const KiosAnnotation *a)
{
  g_autofree char       *text = kios_library_store_get_book_meta (f->store, HASH, KIOS_KOREADER_SIDECAR_SEEN_KEY);
  g_autoptr (GHashTable) seen = kios_koreader_sidecar_places_from_string (text);
  g_autofree char       *place = kios_koreader_sidecar_place_of (a);

  return g_hash_table_contains (seen, place);
}

/* A Kios highlight KOReader deleted from the sidecar while the book is
 * open: deleted from the store at the re-read, not written back; a Kios
 * highlight made while the book was closed is written at the next
 * opening, not deleted. */
static void
test_deleted_in_koreader (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (KiosAnnotation) a = kios_highlight (f->book);
  g_autoptr (KiosAnnotation) b = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      entries = NULL;
  g_autoptr (GPtrArray)      annotations = NULL;
  g_autofree char           *before = NULL;
  g_autofree char           *after = NULL;

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  g_assert_no_error (error);
  settle (f, 300);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 4);
  g_assert_nonnull (find_text (entries, a->text));

  remove_last_entry (f, "\"mine\"");
  settle (f, 500);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 3);
  g_assert_null (find_text (annotations, a->text));
  g_assert_cmpuint (count_origin (annotations, "kios"), ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_null (find_text (entries, a->text));
  g_assert_false (seen_has (f, a));
  /* No write follows the import's deletion. */
  before = read_file (f->sidecar);
  settle (f, 300);
  after = read_file (f->sidecar);
  g_assert_cmpstr (after, ==, before);

  /* Made while the book is closed: never written, so written now. */
  kios_sidecar_sync_book_closed (f->sync, HASH);
  b = kios_highlight (f->book);
  g_assert_true (kios_library_store_add_annotation (f->store, b, &error));
  g_assert_no_error (error);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 300);
  g_clear_pointer (&annotations, g_ptr_array_unref);
  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 4);
  g_assert_cmpuint (count_origin (annotations, "kios"), ==, 1);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 4);
  g_assert_nonnull (find_text (entries, b->text));
  g_assert_true (seen_has (f, b));
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* The same across a restart: KOReader deleted Kios's highlight while
 * Kios was not running, and a new one was made in Kios while the book was
 * closed: a new sync on the same library deletes the first from the store
 * and writes the second. */
static void
test_deleted_in_koreader_across_restart (Fixture      *f,
                                         gconstpointer data)
{
  g_autoptr (KiosAnnotation)     a = kios_highlight (f->book);
  g_autoptr (KiosAnnotation)     b = kios_highlight (f->book);
  g_autoptr (GError)             error = NULL;
  g_autoptr (GPtrArray)          entries = NULL;
  g_autoptr (GPtrArray)          annotations = NULL;
  g_autoptr (KiosAnnotationText) text = kios_annotation_text_new (f->book, &error);

  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 0);
  g_assert_true (kios_library_store_add_annotation (f->store, a, &error));
  g_assert_no_error (error);
  settle (f, 300);
  kios_sidecar_sync_book_closed (f->sync, HASH);
  g_clear_object (&f->sync);
  g_assert_true (seen_has (f, a));

  remove_last_entry (f, "\"mine\"");
  b->start->offset = 50;
  b->end->offset = 60;
  g_clear_pointer (&b->start->xpointer, g_free);
  g_clear_pointer (&b->end->xpointer, g_free);
  g_clear_pointer (&b->text, g_free);
  g_clear_pointer (&b->note, g_free);
  b->note = g_strdup ("later");
  g_assert_true (kios_annotation_text_fill (text, b, &error));
  g_assert_true (kios_library_store_add_annotation (f->store, b, &error));
  g_assert_no_error (error);
  g_assert_true (kios_library_store_flush (f->store, 5000));

  f->sync = kios_sidecar_sync_new (f->store, NULL);
  kios_sidecar_sync_set_delay (f->sync, 50);
  share (f);
  kios_sidecar_sync_book_opened (f->sync, f->book, HASH);
  settle (f, 300);

  annotations = list (f);
  g_assert_cmpuint (annotations->len, ==, 4);
  g_assert_null (find_text (annotations, a->text));
  g_assert_nonnull (find_text (annotations, b->text));
  entries = sidecar_entries (f);
  g_assert_cmpuint (entries->len, ==, 4);
  g_assert_null (find_text (entries, a->text));
  g_assert_nonnull (find_text (entries, b->text));
  g_assert_false (seen_has (f, a));
  g_assert_true (seen_has (f, b));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, fixture, func) \
  g_test_add ("/kios/sidecar-sync/" path, Fixture, fixture, fixture_set_up, func, fixture_tear_down)
  ADD ("store-signal", NULL, test_store_signal);
  ADD ("import-on-open", "metadata.epub.lua", test_import_on_open);
  ADD ("reimport-on-change", "metadata.epub.lua", test_reimport_on_change);
  ADD ("write-back", "metadata.epub.lua", test_write_back);
  ADD ("delete", "metadata.epub.lua", test_delete);
  ADD ("delete-across-restart", "metadata.epub.lua", test_delete_across_restart);
  ADD ("deleted-in-koreader", "metadata.epub.lua", test_deleted_in_koreader);
  ADD ("deleted-in-koreader-across-restart", "metadata.epub.lua", test_deleted_in_koreader_across_restart);
  ADD ("not-shared", "metadata.epub.lua", test_not_shared);
  ADD ("hostile", NULL, test_hostile);
  ADD ("new-sidecar", NULL, test_new_sidecar);
#undef ADD

  return g_test_run ();
}
