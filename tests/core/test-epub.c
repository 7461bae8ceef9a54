/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-epub"

#include "config.h"

#include "kios-epub.h"
#include "kios-limits.h"

#include "kios-error.h"

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <locale.h>
#include <mupdf/fitz.h>
#include <string.h>

/* ---- fixtures: zips written with libarchive -------------------------- */

typedef struct
{
  char   *name;
  GBytes *data;
} Member;

static void
member_free (Member *m)
{
  g_free (m->name);
  g_bytes_unref (m->data);
  g_free (m);
}

static GPtrArray *
members_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
}

static void
add_bytes (GPtrArray  *members,
           const char *name,
           GBytes     *data)
{
  Member *m = g_new0 (Member, 1);

  m->name = g_strdup (name);
  m->data = g_bytes_ref (data);
  g_ptr_array_add (members, m);
}

static void
add_text (GPtrArray  *members,
          const char *name,
          const char *text)
{
  g_autoptr (GBytes) b = g_bytes_new (text, strlen (text));

  add_bytes (members, name, b);
}

static Member *
find_member (GPtrArray  *members,
             const char *name)
{
  for (guint i = 0; i < members->len; i++)
    {
      Member *m = g_ptr_array_index (members, i);

      if (strcmp (m->name, name) == 0)
        return m;
    }
  return NULL;
}

static void
remove_member (GPtrArray  *members,
               const char *name)
{
  Member *m = find_member (members, name);

  g_assert_nonnull (m);
  g_ptr_array_remove (members, m);
}

static void
replace_text (GPtrArray  *members,
              const char *name,
              const char *text)
{
  Member *m = find_member (members, name);

  g_assert_nonnull (m);
  g_bytes_unref (m->data);
  m->data = g_bytes_new (text, strlen (text));
}

static char *
member_text (GPtrArray  *members,
             const char *name)
{
  Member     *m = find_member (members, name);
  gsize       len;
  const char *data;

  g_assert_nonnull (m);
  data = g_bytes_get_data (m->data, &len);
  return g_strndup (data, len);
}

/* Writes members in order; `mimetype` is stored, everything else deflated. */
static void
write_zip (const char *path,
           GPtrArray  *members)
{
  struct archive *w = archive_write_new ();

  archive_write_set_format_zip (w);
  g_assert_cmpint (archive_write_open_filename (w, path), ==, ARCHIVE_OK);
  for (guint i = 0; i < members->len; i++)
    {
      Member               *m = g_ptr_array_index (members, i);
      struct archive_entry *e = archive_entry_new ();
      gsize                 len;
      const void           *data = g_bytes_get_data (m->data, &len);

      if (strcmp (m->name, "mimetype") == 0)
        archive_write_zip_set_compression_store (w);
      else
        archive_write_zip_set_compression_deflate (w);
      archive_entry_set_pathname (e, m->name);
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0644);
      archive_entry_set_size (e, (la_int64_t) len);
      if (archive_write_header (w, e) != ARCHIVE_OK)
        g_error ("cannot write %s: %s", m->name, archive_error_string (w));
      if (len > 0)
        g_assert_cmpint (archive_write_data (w, data, len), ==, (la_ssize_t) len);
      archive_entry_free (e);
    }
  g_assert_cmpint (archive_write_close (w), ==, ARCHIVE_OK);
  archive_write_free (w);
}

/* All members of a zip, in order, read independently of KiosEpub. */
static GPtrArray *
read_zip (const char *path)
{
  GPtrArray            *members = members_new ();
  struct archive       *a = archive_read_new ();
  struct archive_entry *e;

  archive_read_support_format_zip (a);
  g_assert_cmpint (archive_read_open_filename (a, path, 65536), ==, ARCHIVE_OK);
  while (archive_read_next_header (a, &e) == ARCHIVE_OK)
    {
      g_autoptr (GByteArray) buf = g_byte_array_new ();
      g_autoptr (GBytes)     bytes = NULL;
      guint8                 chunk[65536];
      la_ssize_t             r;

      while ((r = archive_read_data (a, chunk, sizeof chunk)) > 0)
        g_byte_array_append (buf, chunk, (guint) r);
      g_assert_cmpint (r, ==, 0);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&buf));
      add_bytes (members, archive_entry_pathname (e), bytes);
    }
  archive_read_free (a);
  return members;
}

static const char *
books_dir (void)
{
  const char *dir = g_getenv ("KIOS_SAMPLE_BOOKS");

  return dir != NULL ? dir : TEST_SRCDIR "/books";
}

static char *
book_path (const char *name)
{
  return g_build_filename (books_dir (), name, NULL);
}

/* Each test case gets its own cache dir from G_TEST_OPTION_ISOLATE_DIRS,
 * removed afterwards. */
static char *
scratch (const char *name)
{
  const char *dir = g_get_user_cache_dir ();

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return g_build_filename (dir, name, NULL);
}

#define CONTAINER_FMT                                                                                    \
  "<?xml version=\"1.0\"?>\n"                                                                            \
  "<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n"              \
  "  <rootfiles><rootfile full-path=\"%s\" media-type=\"application/oebps-package+xml\"/></rootfiles>\n" \
  "</container>\n"

#define XHTML_FMT                                                                 \
  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"                                  \
  "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>%s</title></head>\n" \
  "<body><h1 id=\"top\">%s</h1><p id=\"p1\">Some text of %s.</p></body></html>\n"

/* A skeleton: mimetype, container.xml naming opf_path, and the OPF itself. */
static GPtrArray *
skeleton (const char *opf_path,
          const char *opf)
{
  GPtrArray       *m = members_new ();
  g_autofree char *container = g_strdup_printf (CONTAINER_FMT, opf_path);

  add_text (m, "mimetype", "application/epub+zip");
  add_text (m, "META-INF/container.xml", container);
  if (opf != NULL)
    add_text (m, opf_path, opf);
  return m;
}

static void
add_chapter (GPtrArray  *m,
             const char *name,
             const char *title)
{
  g_autofree char *x = g_strdup_printf (XHTML_FMT, title, title, title);

  add_text (m, name, x);
}

/* ---- MuPDF, as the reader will use it -------------------------------- */

typedef struct
{
  int   chapters;   /* -1 when opening failed */
  char *font_names; /* fonts used on the first page of chapter `probe`, comma-separated */
} MupdfResult;

static void
collect_fonts (fz_context    *ctx,
               fz_stext_page *text,
               GString       *names)
{
  for (fz_stext_block *b = text->first_block; b != NULL; b = b->next)
    {
      if (b->type != FZ_STEXT_BLOCK_TEXT)
        continue;
      for (fz_stext_line *l = b->u.t.first_line; l != NULL; l = l->next)
        for (fz_stext_char *c = l->first_char; c != NULL; c = c->next)
          {
            const char *name = fz_font_name (ctx, c->font);

            if (strstr (names->str, name) == NULL)
              g_string_append_printf (names, "%s,", name);
          }
    }
}

static MupdfResult
mupdf_probe (const char *path,
             int         probe)
{
  MupdfResult result = { -1, NULL };
  fz_context *ctx = fz_new_context (NULL, NULL, FZ_STORE_DEFAULT);
  fz_stream *volatile stm = NULL;
  fz_document *volatile doc = NULL;
  fz_page *volatile page = NULL;
  fz_stext_page *volatile text = NULL;
  GString     *names = g_string_new (NULL);
  volatile int chapters = -1;

  g_assert_nonnull (ctx);
  fz_register_document_handlers (ctx);
  fz_set_warning_callback (ctx, NULL, NULL);
  fz_set_error_callback (ctx, NULL, NULL);
  fz_try (ctx)
  {
    stm = fz_open_file (ctx, path);
    doc = fz_open_document_with_stream (ctx, "application/epub+zip", stm);
    fz_layout_document (ctx, doc, 450, 650, 11);
    chapters = fz_count_chapters (ctx, doc);
    if (probe >= 0)
      {
        page = fz_load_chapter_page (ctx, doc, probe, 0);
        text = fz_new_stext_page_from_page (ctx, page, NULL);
        collect_fonts (ctx, text, names);
      }
  }
  fz_always (ctx)
  {
    fz_drop_stext_page (ctx, text);
    fz_drop_page (ctx, page);
    fz_drop_document (ctx, doc);
    fz_drop_stream (ctx, stm);
  }
  fz_catch (ctx)
  {
    g_test_message ("MuPDF: %s", fz_caught_message (ctx));
    chapters = -1;
  }
  fz_drop_context (ctx);

  result.chapters = chapters;
  result.font_names = g_string_free (names, FALSE);
  return result;
}

/* ---- an independent count of MuPDF's chapters ------------------------ */

/* The number of itemrefs whose idref names a manifest item, counted with
 * plain libxml2 straight from the OPF bytes. */
static guint
count_known_itemrefs (const char *opf,
                      gsize       len)
{
  xmlDoc     *doc = xmlReadMemory (opf, (int) len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, xmlFree, NULL);
  guint       count = 0;
  xmlNode    *root;

  g_assert_nonnull (doc);
  root = xmlDocGetRootElement (doc);
  for (xmlNode *sec = root->children; sec != NULL; sec = sec->next)
    {
      if (sec->type != XML_ELEMENT_NODE)
        continue;
      for (xmlNode *n = sec->children; n != NULL; n = n->next)
        {
          if (n->type != XML_ELEMENT_NODE)
            continue;
          if (strcmp ((const char *) sec->name, "manifest") == 0 && strcmp ((const char *) n->name, "item") == 0)
            {
              xmlChar *id = xmlGetProp (n, (const xmlChar *) "id");

              if (id != NULL)
                g_hash_table_add (ids, id);
            }
          else if (strcmp ((const char *) sec->name, "spine") == 0 && strcmp ((const char *) n->name, "itemref") == 0)
            {
              xmlChar *idref = xmlGetProp (n, (const xmlChar *) "idref");

              if (idref != NULL && g_hash_table_contains (ids, idref))
                count++;
              xmlFree (idref);
            }
        }
    }
  g_hash_table_unref (ids);
  xmlFreeDoc (doc);
  return count;
}

/* ---- sample books ---------------------------------------------------- */

typedef struct
{
  const char *file;
  const char *title;
  const char *author;
  const char *language;
  const char *version;
  const char *cover;
  guint       n_spine; /* itemrefs counted by hand in the OPF (all idrefs known) */
} SampleBook;

static const SampleBook samples[] = {
  { "emma.epub", "Emma", "Jane Austen", "en-GB", "2.0", "EPUB/media/emma-cover.jpg", 5 },
  { "kjv-bible.epub", "The Holy Bible (King James Version)", "Anonymous", "en", "3.0",
    "EPUB/media/kjv-cover.jpg", 68 },
  { "persuasion.epub", "Persuasion", "Jane Austen", "en-GB", "3.0",
    "EPUB/media/persuasion-cover.jpg", 26 },
  { "pride-and-prejudice.epub", "Pride and Prejudice", "Jane Austen", "en-GB", "3.0",
    "EPUB/media/pride-and-prejudice-cover.jpg", 63 },
  { "sense-and-sensibility.epub", "Sense and Sensibility", "Jane Austen", "en-GB", "3.0", NULL, 51 },
};

static void
test_sample_books (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      const SampleBook    *s = &samples[i];
      g_autoptr (GError)   error = NULL;
      g_autofree char     *path = book_path (s->file);
      g_autoptr (KiosEpub) epub = NULL;
      g_autoptr (GBytes)   opf = NULL;
      const char *const   *authors;
      GPtrArray           *toc;
      gint64               start = g_get_monotonic_time ();
      gint64               elapsed;
      gsize                opf_len;
      const char          *opf_data;
      MupdfResult          mu;

      epub = kios_epub_open (path, &error);
      elapsed = g_get_monotonic_time () - start;
      g_assert_no_error (error);
      g_assert_nonnull (epub);
      g_test_message ("%s: opened in %.2f ms, %u spine items, %u TOC entries", s->file,
                      elapsed / 1000.0, kios_epub_get_n_spine_items (epub),
                      kios_epub_get_toc (epub)->len);

      g_assert_cmpstr (kios_epub_get_path (epub), ==, path);
      g_assert_cmpstr (kios_epub_get_title (epub), ==, s->title);
      authors = kios_epub_get_authors (epub);
      g_assert_nonnull (authors);
      g_assert_cmpstr (authors[0], ==, s->author);
      g_assert_null (authors[1]);
      g_assert_cmpstr (kios_epub_get_language (epub), ==, s->language);
      g_assert_cmpstr (kios_epub_get_version (epub), ==, s->version);
      g_assert_cmpstr (kios_epub_get_cover_href (epub), ==, s->cover);
      g_assert_cmpint (kios_epub_get_encryption (epub), ==, KIOS_EPUB_ENCRYPTION_NONE);

      /* Spine count: by hand, by an independent OPF count, and by MuPDF. */
      opf = kios_epub_read_member (epub, "EPUB/content.opf", 0, &error);
      g_assert_no_error (error);
      opf_data = g_bytes_get_data (opf, &opf_len);
      g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, s->n_spine);
      g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, count_known_itemrefs (opf_data, opf_len));
      mu = mupdf_probe (path, -1);
      g_free (mu.font_names);
      g_assert_cmpint (mu.chapters, ==, (int) s->n_spine);

      for (guint k = 0; k < kios_epub_get_n_spine_items (epub); k++)
        {
          const KiosSpineItem *item = kios_epub_get_spine_item (epub, k);

          g_assert_nonnull (item);
          g_assert_true (g_str_has_prefix (item->href, "EPUB/text/"));
          g_assert_cmpstr (item->media_type, ==, "application/xhtml+xml");
          g_assert_cmpint (kios_epub_find_spine_index (epub, item->href), ==, (int) k);
        }
      g_assert_null (kios_epub_get_spine_item (epub, s->n_spine));

      /* TOC: non-empty, every entry lands on a spine item with its href. */
      toc = kios_epub_get_toc (epub);
      g_assert_cmpuint (toc->len, >, 0);
      for (guint k = 0; k < toc->len; k++)
        {
          KiosTocEntry *e = g_ptr_array_index (toc, k);

          g_assert_nonnull (e->title);
          g_assert_cmpstr (e->title, !=, "");
          g_assert_cmpint (e->level, >=, 0);
          g_assert_cmpint (e->chapter, >=, 0);
          g_assert_cmpstr (e->href, ==, kios_epub_get_spine_item (epub, (guint) e->chapter)->href);
          g_assert_true (e->href[0] != '\0' && strchr (e->href, '#') == NULL);
        }
    }
}

/* kjv-bible.epub: EPUB 3, so its TOC comes from nav.xhtml, nested two deep. */
static void
test_kjv_toc (void)
{
  g_autoptr (GError)   error = NULL;
  g_autofree char     *path = book_path ("kjv-bible.epub");
  g_autoptr (KiosEpub) epub = NULL;
  GPtrArray           *toc;
  KiosTocEntry        *e;
  gint64               best = G_MAXINT64;

  /* Best of five, to report the open time without cold-cache noise. */
  for (int run = 0; run < 5; run++)
    {
      gint64 start = g_get_monotonic_time ();

      g_clear_pointer (&epub, kios_epub_unref);
      epub = kios_epub_open (path, &error);
      g_assert_no_error (error);
      best = MIN (best, g_get_monotonic_time () - start);
    }
  g_test_message ("kjv-bible.epub: kios_epub_open best of 5: %.2f ms", best / 1000.0);
  /* Generous bound (a few ms expected) so a slow CI box does not flake. */
  g_assert_cmpint (best, <, 500 * 1000);

  toc = kios_epub_get_toc (epub);
  /* nav.xhtml lists 66 books and 1189 chapters (1255 links); the ncx_doc would
   * add a title-page entry. */
  g_assert_cmpuint (toc->len, ==, 1255);
  e = g_ptr_array_index (toc, 0);
  g_assert_cmpstr (e->title, ==, "Genesis");
  g_assert_cmpint (e->level, ==, 0);
  g_assert_cmpstr (e->href, ==, "EPUB/text/ch001.xhtml");
  g_assert_cmpstr (e->fragment, ==, "genesis");
  g_assert_cmpint (e->chapter, ==, kios_epub_find_spine_index (epub, "EPUB/text/ch001.xhtml"));
  e = g_ptr_array_index (toc, 1);
  g_assert_cmpstr (e->title, ==, "Genesis 1");
  g_assert_cmpint (e->level, ==, 1);
  g_assert_cmpstr (e->fragment, ==, "genesis-1");
  e = g_ptr_array_index (toc, toc->len - 1);
  g_assert_cmpstr (e->title, ==, "Revelation 22");
  g_assert_cmpint (e->level, ==, 1);
  g_assert_cmpstr (e->href, ==, "EPUB/text/ch066.xhtml");
  g_assert_cmpint (kios_epub_find_spine_index (epub, "EPUB/text/ch066.xhtml#revelation-22"), ==, e->chapter);
  g_assert_cmpint (kios_epub_find_spine_index (epub, "EPUB/text/nope.xhtml"), ==, -1);
  g_assert_cmpint (kios_epub_find_spine_index (epub, "epub/TEXT/ch066.xhtml"), ==, e->chapter);
}

/* Every spine member is readable, from four threads at once. */
typedef struct
{
  KiosEpub  *epub;
  GPtrArray *digests; /* expected, per spine item */
  int        failures;
} ThreadJob;

static gpointer
read_all_worker (gpointer data)
{
  ThreadJob *job = data;

  for (guint k = 0; k < kios_epub_get_n_spine_items (job->epub); k++)
    {
      guint                idx = (k * 7 + GPOINTER_TO_UINT (g_thread_self ())) % kios_epub_get_n_spine_items (job->epub);
      const KiosSpineItem *item = kios_epub_get_spine_item (job->epub, idx);
      g_autoptr (GError)   error = NULL;
      g_autoptr (GBytes)   bytes = kios_epub_read_member (job->epub, item->href, 0, &error);
      g_autofree char     *digest = NULL;

      if (bytes == NULL)
        {
          g_atomic_int_inc (&job->failures);
          continue;
        }
      digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
      if (strcmp (digest, g_ptr_array_index (job->digests, idx)) != 0)
        g_atomic_int_inc (&job->failures);
    }
  return NULL;
}

static void
test_read_member_threads (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = book_path ("kjv-bible.epub");
  g_autoptr (KiosEpub)  epub = kios_epub_open (path, &error);
  g_autoptr (GPtrArray) zip = NULL;
  g_autoptr (GPtrArray) digests = g_ptr_array_new_with_free_func (g_free);
  ThreadJob             job;
  GThread              *threads[4];

  g_assert_no_error (error);
  zip = read_zip (path);
  for (guint k = 0; k < kios_epub_get_n_spine_items (epub); k++)
    {
      Member *m = find_member (zip, kios_epub_get_spine_item (epub, k)->href);

      g_assert_nonnull (m);
      g_ptr_array_add (digests, g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, m->data));
    }

  job.epub = epub;
  job.digests = digests;
  job.failures = 0;
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("reader", read_all_worker, &job);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  g_assert_cmpint (job.failures, ==, 0);
}

static void
test_read_member_errors (void)
{
  g_autoptr (GError)   error = NULL;
  g_autofree char     *path = book_path ("emma.epub");
  g_autoptr (KiosEpub) epub = kios_epub_open (path, &error);
  g_autoptr (KiosEpub) extra = NULL;
  GBytes              *bytes;

  g_assert_no_error (error);

  bytes = kios_epub_read_member (epub, "EPUB/text/nothing.xhtml", 0, &error);
  g_assert_null (bytes);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "EPUB/text/nothing.xhtml"));
  g_clear_error (&error);

  /* ch001.xhtml is 276273 bytes. */
  bytes = kios_epub_read_member (epub, "EPUB/text/ch001.xhtml", 1000, &error);
  g_assert_null (bytes);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_clear_error (&error);

  bytes = kios_epub_read_member (epub, "EPUB/text/ch001.xhtml", 276273, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 276273);
  g_bytes_unref (bytes);

  /* Zip names are matched case-insensitively when there is no exact match. */
  bytes = kios_epub_read_member (epub, "epub/Text/CH001.xhtml", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 276273);
  g_bytes_unref (bytes);

  /* Damaged compressed data is reported as such, not returned. */
  {
    g_autofree char     *copy = scratch ("corrupt.epub");
    g_autofree char     *data = NULL;
    g_autoptr (KiosEpub) corrupt = NULL;
    const char          *name = "EPUB/text/ch002.xhtml";
    gsize                len;
    char                *at;

    g_file_get_contents (path, &data, &len, &error);
    g_assert_no_error (error);
    /* The first occurrence after the start is the local header's name
     * (the central directory comes last). */
    at = NULL;
    for (gsize k = 30; at == NULL && k + strlen (name) < len; k++)
      if (memcmp (data + k, name, strlen (name)) == 0)
        at = data + k;
    g_assert_nonnull (at);
    /* Past the local header's name and extra field, into the deflate stream. */
    for (gsize k = 0; k < 64; k++)
      at[strlen (name) + 200 + k] ^= 0x5a;
    g_file_set_contents (copy, data, (gssize) len, &error);
    g_assert_no_error (error);

    corrupt = kios_epub_open (copy, &error);
    g_assert_no_error (error);
    bytes = kios_epub_read_member (corrupt, name, 0, &error);
    g_assert_null (bytes);
    g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
    g_test_message ("corrupt member: %s", error->message);
    g_clear_error (&error);
  }

  /* Reference counting: the extra reference keeps it alive. */
  extra = kios_epub_ref (epub);
  g_assert_true (extra == epub);
  kios_epub_unref (g_steal_pointer (&epub));
  g_assert_cmpstr (kios_epub_get_title (extra), ==, "Emma");
}

/* ---- generated books ------------------------------------------------- */

/* persuasion.epub without toc.ncx: the TOC must come from nav.xhtml alone,
 * and agree with the one read with the ncx_doc present. */
static void
test_nav_only (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *src = book_path ("persuasion.epub");
  g_autofree char      *dest = scratch ("nav-only.epub");
  g_autoptr (GPtrArray) zip = read_zip (src);
  g_autofree char      *opf = member_text (zip, "EPUB/content.opf");
  g_autoptr (GString)   edited = g_string_new (opf);
  g_autoptr (KiosEpub)  original = NULL;
  g_autoptr (KiosEpub)  epub = NULL;
  GPtrArray            *toc;
  GPtrArray            *toc0;
  gboolean              nested = FALSE;
  MupdfResult           mu;

  g_assert_cmpuint (g_string_replace (edited, "<item id=\"ncx\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\" />", "", 0), ==, 1);
  g_assert_cmpuint (g_string_replace (edited, "<spine toc=\"ncx\">", "<spine>", 0), ==, 1);
  replace_text (zip, "EPUB/content.opf", edited->str);
  remove_member (zip, "EPUB/toc.ncx");
  write_zip (dest, zip);

  original = kios_epub_open (src, &error);
  g_assert_no_error (error);
  epub = kios_epub_open (dest, &error);
  g_assert_no_error (error);

  toc = kios_epub_get_toc (epub);
  toc0 = kios_epub_get_toc (original);
  g_assert_cmpuint (toc->len, >, 0);
  g_assert_cmpuint (toc->len, ==, toc0->len);
  for (guint k = 0; k < toc->len; k++)
    {
      KiosTocEntry *a = g_ptr_array_index (toc, k);
      KiosTocEntry *b = g_ptr_array_index (toc0, k);

      g_assert_cmpstr (a->title, ==, b->title);
      g_assert_cmpstr (a->href, ==, b->href);
      g_assert_cmpstr (a->fragment, ==, b->fragment);
      g_assert_cmpint (a->level, ==, b->level);
      g_assert_cmpint (a->chapter, ==, b->chapter);
      g_assert_cmpint (a->chapter, >=, 0);
      nested |= a->level > 0;
    }
  g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, 26);

  /* MuPDF 1.21 has no outline for it but the same chapters. */
  mu = mupdf_probe (dest, -1);
  g_free (mu.font_names);
  g_assert_cmpint (mu.chapters, ==, 26);
  g_test_message ("nav-only: %u entries, nested: %d", toc->len, nested);
}

static const char ncx_opf[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<package version=\"2.0\" xmlns=\"http://www.idpf.org/2007/opf\" unique-identifier=\"bookid\">\n"
    " <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:opf=\"http://www.idpf.org/2007/opf\">"
    "\n"
    "  <dc:title>  An   ncx_doc\n book </dc:title>\n"
    "  <dc:creator opf:role=\"aut\">First Author</dc:creator>\n"
    "  <dc:creator opf:role=\"aut\">Second Author</dc:creator>\n"
    "  <dc:language>fr</dc:language>\n"
    "  <dc:identifier id=\"bookid\">isbn-123</dc:identifier>\n"
    "  <meta name=\"cover\" content=\"cover-img\"/>\n"
    " </metadata>\n"
    " <manifest>\n"
    "  <item id=\"toc\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\"/>\n"
    "  <item id=\"c1\" href=\"text/one.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"c2\" href=\"text/two.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"notes\" href=\"text/notes.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"extra\" href=\"text/extra.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"cover-img\" href=\"images/cover.jpg\" media-type=\"image/jpeg\"/>\n"
    " </manifest>\n"
    " <spine toc=\"toc\">\n"
    "  <itemref idref=\"c1\"/>\n"
    "  <itemref idref=\"ghost\"/>\n"
    "  <itemref idref=\"notes\" linear=\"no\"/>\n"
    "  <itemref idref=\"c2\"/>\n"
    " </spine>\n"
    "</package>\n";

static const char ncx_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\">\n"
    " <head/><docTitle><text>An ncx_doc book</text></docTitle>\n"
    " <navMap>\n"
    "  <navPoint id=\"n1\" playOrder=\"1\"><navLabel><text>Part\n One</text></navLabel>"
    "<content src=\"text/one.xhtml\"/>\n"
    "   <navPoint id=\"n2\" playOrder=\"2\"><navLabel><text>Section 1.1</text></navLabel>"
    "<content src=\"text/one.xhtml#p1\"/>\n"
    "    <navPoint id=\"n3\" playOrder=\"3\"><navLabel><text>Deep</text></navLabel>"
    "<content src=\"./text/../text/one.xhtml#top\"/></navPoint>\n"
    "   </navPoint>\n"
    "  </navPoint>\n"
    "  <navPoint id=\"n4\" playOrder=\"4\"><navLabel><text>Part Two</text></navLabel>"
    "<content src=\"text/two.xhtml\"/></navPoint>\n"
    "  <navPoint id=\"n5\" playOrder=\"5\"><navLabel><text>Not in the spine</text>"
    "</navLabel><content src=\"text/extra.xhtml\"/></navPoint>\n"
    " </navMap>\n"
    "</ncx>\n";

/* An EPUB 2 book with an ncx_doc only, an unknown idref and a linear="no" item. */
static void
check_ncx_book (gboolean with_empty_nav)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = scratch (with_empty_nav ? "ncx-empty-nav.epub" : "ncx-only.epub");
  g_autoptr (GPtrArray) m = NULL;
  g_autoptr (GString)   opf = g_string_new (ncx_opf);
  g_autoptr (KiosEpub)  epub = NULL;
  static const struct
  {
    const char *title;
    int         level;
    int         chapter;
    const char *href;
    const char *fragment;
  } expected[] = {
    { "Part One", 0, 0, "OEBPS/text/one.xhtml", NULL },
    { "Section 1.1", 1, 0, "OEBPS/text/one.xhtml", "p1" },
    { "Deep", 2, 0, "OEBPS/text/one.xhtml", "top" },
    { "Part Two", 0, 2, "OEBPS/text/two.xhtml", NULL },
    { "Not in the spine", 0, -1, "OEBPS/text/extra.xhtml", NULL },
  };
  const char *const *authors;
  GPtrArray         *toc;
  MupdfResult        mu;

  /* A nav document whose <nav> is not the toc one: the ncx_doc must still win. */
  if (with_empty_nav)
    g_string_replace (opf, "<item id=\"toc\"",
                      "<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" "
                      "properties=\"nav\"/>\n  <item id=\"toc\"",
                      1);
  m = skeleton ("OEBPS/content.opf", opf->str);
  if (with_empty_nav)
    add_text (m, "OEBPS/nav.xhtml",
              "<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\">"
              "<body><nav epub:type=\"landmarks\"><ol><li><a href=\"text/two.xhtml\">L</a></li></ol></nav>"
              "</body></html>");
  add_text (m, "OEBPS/toc.ncx", ncx_doc);
  add_chapter (m, "OEBPS/text/one.xhtml", "One");
  add_chapter (m, "OEBPS/text/two.xhtml", "Two");
  add_chapter (m, "OEBPS/text/notes.xhtml", "Notes");
  add_chapter (m, "OEBPS/text/extra.xhtml", "Extra");
  write_zip (path, m);

  epub = kios_epub_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kios_epub_get_title (epub), ==, "An ncx_doc book");
  authors = kios_epub_get_authors (epub);
  g_assert_cmpstr (authors[0], ==, "First Author");
  g_assert_cmpstr (authors[1], ==, "Second Author");
  g_assert_null (authors[2]);
  g_assert_cmpstr (kios_epub_get_language (epub), ==, "fr");
  g_assert_cmpstr (kios_epub_get_version (epub), ==, "2.0");
  g_assert_cmpstr (kios_epub_get_cover_href (epub), ==, "OEBPS/images/cover.jpg");

  /* "ghost" is skipped, linear="no" kept: c1, notes, c2. */
  g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, 3);
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 0)->id, ==, "c1");
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 1)->id, ==, "notes");
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 1)->href, ==, "OEBPS/text/notes.xhtml");
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 2)->id, ==, "c2");
  mu = mupdf_probe (path, 2);
  g_free (mu.font_names);
  g_assert_cmpint (mu.chapters, ==, 3);

  toc = kios_epub_get_toc (epub);
  g_assert_cmpuint (toc->len, ==, G_N_ELEMENTS (expected));
  for (guint k = 0; k < toc->len; k++)
    {
      KiosTocEntry *e = g_ptr_array_index (toc, k);

      g_assert_cmpstr (e->title, ==, expected[k].title);
      g_assert_cmpint (e->level, ==, expected[k].level);
      g_assert_cmpint (e->chapter, ==, expected[k].chapter);
      g_assert_cmpstr (e->href, ==, expected[k].href);
      g_assert_cmpstr (e->fragment, ==, expected[k].fragment);
    }
}

static void
test_ncx_only (void)
{
  check_ncx_book (FALSE);
}

static void
test_ncx_with_empty_nav (void)
{
  check_ncx_book (TRUE);
}

static const char pct_opf[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<package version=\"3.0\" xmlns=\"http://www.idpf.org/2007/opf\" unique-identifier=\"id\">\n"
    " <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
    "  <dc:identifier id=\"id\">urn:uuid:0d7f9d32-47a4-4a4b-8a36-123456789abc</dc:identifier>\n"
    "  <dc:title>Percent</dc:title><dc:language>en</dc:language>\n"
    " </metadata>\n"
    " <manifest>\n"
    "  <item id=\"nav\" href=\"nav/nav%20doc.xhtml\" media-type=\"application/xhtml+xml\" "
    "properties=\"nav\"/>\n"
    "  <item id=\"a\" href=\"text/chapter%20one.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"b\" href=\"text/caf%C3%A9.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"c\" href=\"/Root%2BFile.xhtml\" media-type=\"application/xhtml+xml\"/>\n"
    "  <item id=\"img\" href=\"img/c%20over.png\" media-type=\"image/png\" properties=\"cover-image\"/>"
    "\n"
    " </manifest>\n"
    " <spine><itemref idref=\"a\"/><itemref idref=\"b\"/><itemref idref=\"c\"/></spine>\n"
    "</package>\n";

static const char pct_nav[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE html>\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\">"
    "<head><title>nav</title></head><body>\n"
    "<nav epub:type=\"landmarks\"><ol><li><a href=\"../text/caf%C3%A9.xhtml\">Landmark</a>"
    "</li></ol></nav>\n"
    "<nav epub:type=\"toc\"><h1>Contents</h1><ol>\n"
    " <li><a href=\"../text/chapter%20one.xhtml#sec%201\">Chapter <em>one</em>&nbsp;&amp; more</a>\n"
    "  <ol><li><span>Heading only</span><ol><li><a href=\"../text/caf%C3%A9.xhtml\">"
    "Café</a></li></ol></li></ol></li>\n"
    " <li><a href=\"../../Root%2BFile.xhtml?x=1#end\">Root file</a></li>\n"
    " <li><a href=\"#self\">This nav</a></li>\n"
    " <li><a href=\"http://example.com/x.xhtml\">Remote</a></li>\n"
    "</ol></nav></body></html>\n";

/* Percent-encoded, relative and root-relative hrefs, and a nav whose toc is
 * not the first <nav>. */
static void
test_percent_encoded (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = scratch ("percent.epub");
  g_autoptr (GPtrArray) m = skeleton ("OPS/package.opf", pct_opf);
  g_autoptr (KiosEpub)  epub = NULL;
  g_autoptr (GBytes)    bytes = NULL;
  static const struct
  {
    const char *title;
    int         level;
    int         chapter;
    const char *href;
    const char *fragment;
  } expected[] = {
    { "Chapter one\u00a0& more", 0, 0, "OPS/text/chapter one.xhtml", "sec 1" },
    { "Heading only", 1, 1, "OPS/text/café.xhtml", NULL },
    { "Café", 2, 1, "OPS/text/café.xhtml", NULL },
    { "Root file", 0, 2, "Root+File.xhtml", "end" },
    { "This nav", 0, -1, "OPS/nav/nav doc.xhtml", "self" },
    { "Remote", 0, -1, "http://example.com/x.xhtml", NULL },
  };
  GPtrArray  *toc;
  MupdfResult mu;

  add_text (m, "OPS/nav/nav doc.xhtml", pct_nav);
  add_chapter (m, "OPS/text/chapter one.xhtml", "One");
  add_chapter (m, "OPS/text/café.xhtml", "Café");
  add_chapter (m, "Root+File.xhtml", "Root");
  add_text (m, "OPS/img/c over.png", "not really a png");
  write_zip (path, m);

  epub = kios_epub_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, 3);
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 0)->href, ==, "OPS/text/chapter one.xhtml");
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 1)->href, ==, "OPS/text/café.xhtml");
  g_assert_cmpstr (kios_epub_get_spine_item (epub, 2)->href, ==, "Root+File.xhtml");
  g_assert_cmpstr (kios_epub_get_cover_href (epub), ==, "OPS/img/c over.png");
  g_assert_cmpstr (kios_epub_get_version (epub), ==, "3.0");
  g_assert_null (kios_epub_get_authors (epub)[0]);

  for (guint k = 0; k < 3; k++)
    {
      g_autoptr (GBytes) b = kios_epub_read_member (epub, kios_epub_get_spine_item (epub, k)->href, 0, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (b), >, 0);
    }

  toc = kios_epub_get_toc (epub);
  for (guint k = 0; k < toc->len; k++)
    {
      KiosTocEntry *e = g_ptr_array_index (toc, k);

      g_test_message ("toc %u: '%s' level %d chapter %d %s # %s", k, e->title, e->level,
                      e->chapter, e->href, e->fragment);
    }
  g_assert_cmpuint (toc->len, ==, G_N_ELEMENTS (expected));
  for (guint k = 0; k < toc->len; k++)
    {
      KiosTocEntry *e = g_ptr_array_index (toc, k);

      g_assert_cmpstr (e->title, ==, expected[k].title);
      g_assert_cmpint (e->level, ==, expected[k].level);
      g_assert_cmpint (e->chapter, ==, expected[k].chapter);
      g_assert_cmpstr (e->href, ==, expected[k].href);
      g_assert_cmpstr (e->fragment, ==, expected[k].fragment);
    }

  mu = mupdf_probe (path, 1);
  g_free (mu.font_names);
  g_assert_cmpint (mu.chapters, ==, 3);
}

/* Non-ASCII member names survive a clean copy, and are found whatever the
 * locale (libarchive converts names to the locale's charset). */
static void
test_non_ascii_names (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = scratch ("names.epub");
  g_autofree char      *clean = scratch ("names-clean.epub");
  g_autoptr (GPtrArray) m = skeleton ("OPS/package.opf", pct_opf);
  g_autoptr (GPtrArray) zip = NULL;
  g_autofree char      *saved_locale = g_strdup (setlocale (LC_ALL, NULL));
  const char           *locales[] = { "C", "C.UTF-8" };

  add_text (m, "OPS/nav/nav doc.xhtml", pct_nav);
  add_chapter (m, "OPS/text/chapter one.xhtml", "One");
  add_chapter (m, "OPS/text/café.xhtml", "Café");
  add_chapter (m, "Root+File.xhtml", "Root");
  write_zip (path, m);

  for (guint l = 0; l < G_N_ELEMENTS (locales); l++)
    {
      const char *books[] = { path, clean };

      if (setlocale (LC_ALL, locales[l]) == NULL)
        continue;
      g_test_message ("locale %s", locales[l]);
      for (guint b = 0; b < G_N_ELEMENTS (books); b++)
        {
          g_autoptr (KiosEpub) epub = NULL;
          g_autoptr (GBytes)   bytes = NULL;

          if (b == 1 && l == 0)
            {
              /* Write the clean copy under the C locale, the hard case. */
              g_autoptr (KiosEpub) src = kios_epub_open (path, &error);

              g_assert_no_error (error);
              g_assert_true (kios_epub_write_deobfuscated (src, clean, &error));
              g_assert_no_error (error);
            }
          epub = kios_epub_open (books[b], &error);
          g_assert_no_error (error);
          g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, 3);
          bytes = kios_epub_read_member (epub, kios_epub_get_spine_item (epub, 1)->href, 0, &error);
          g_assert_no_error (error);
          g_assert_nonnull (strstr (g_bytes_get_data (bytes, NULL), "Café"));
        }
    }
  setlocale (LC_ALL, saved_locale);

  zip = read_zip (clean);
  g_assert_nonnull (find_member (zip, "OPS/text/café.xhtml"));
  g_assert_nonnull (find_member (zip, "OPS/nav/nav doc.xhtml"));
}

/* ---- broken and hostile books ---------------------------------------- */

#define MIN_OPF                                                                                    \
  "<?xml version=\"1.0\"?>\n"                                                                      \
  "<package version=\"3.0\" xmlns=\"http://www.idpf.org/2007/opf\" unique-identifier=\"id\">\n"    \
  " <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"                                      \
  "<dc:identifier id=\"id\">x</dc:identifier><dc:title>%s</dc:title></metadata>\n"                 \
  " <manifest><item id=\"a\" href=\"a.xhtml\" media-type=\"application/xhtml+xml\"/></manifest>\n" \
  " <spine>%s</spine>\n"                                                                           \
  "</package>\n"

static const char bomb_opf[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE package [\n"
    " <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">"
    "\n"
    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
    "\n"
    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
    "\n"
    " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
    "\n"
    " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
    "\n"
    " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
    "\n"
    " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
    "\n"
    "]>\n"
    "<package version=\"3.0\" xmlns=\"http://www.idpf.org/2007/opf\" unique-identifier=\"id\">\n"
    " <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
    "<dc:identifier id=\"id\">x</dc:identifier><dc:title>&g;</dc:title></metadata>\n"
    " <manifest><item id=\"a\" href=\"a.xhtml\" media-type=\"application/xhtml+xml\"/></manifest>\n"
    " <spine><itemref idref=\"a\"/></spine>\n"
    "</package>\n";

typedef enum {
  BROKEN_TRUNCATED,
  BROKEN_RANDOM,
  BROKEN_EMPTY_FILE,
  BROKEN_MISSING_FILE,
  BROKEN_NO_CONTAINER,
  BROKEN_CONTAINER_NO_ROOTFILE,
  BROKEN_MISSING_OPF,
  BROKEN_OPF_NOT_XML,
  BROKEN_OPF_WRONG_ROOT,
  BROKEN_EMPTY_SPINE,
  BROKEN_ONLY_UNKNOWN_IDREFS,
  BROKEN_ENTITY_BOMB,
  BROKEN_PLAIN_ZIP,
} Broken;

typedef struct
{
  const char *name;
  Broken      kind;
  int         code;       /* KIOS_DOCUMENT_ERROR code, or -1 for G_IO_ERROR_NOT_FOUND */
  const char *in_message; /* the message must name what is wrong */
} BrokenCase;

static const BrokenCase broken_cases[] = {
  { "truncated", BROKEN_TRUNCATED, KIOS_DOCUMENT_ERROR_DAMAGED, "truncated" },
  { "random", BROKEN_RANDOM, KIOS_DOCUMENT_ERROR_NOT_EBOOK, "not a zip" },
  { "empty-file", BROKEN_EMPTY_FILE, KIOS_DOCUMENT_ERROR_NOT_EBOOK, "not a zip" },
  { "missing-file", BROKEN_MISSING_FILE, -1, "does not exist" },
  { "no-container", BROKEN_NO_CONTAINER, KIOS_DOCUMENT_ERROR_DAMAGED, "META-INF/container.xml" },
  { "no-rootfile", BROKEN_CONTAINER_NO_ROOTFILE, KIOS_DOCUMENT_ERROR_DAMAGED, "names no package" },
  { "missing-opf", BROKEN_MISSING_OPF, KIOS_DOCUMENT_ERROR_DAMAGED, "OEBPS/missing.opf" },
  { "opf-not-xml", BROKEN_OPF_NOT_XML, KIOS_DOCUMENT_ERROR_DAMAGED, "OEBPS/content.opf" },
  { "opf-wrong-root", BROKEN_OPF_WRONG_ROOT, KIOS_DOCUMENT_ERROR_DAMAGED, "not an OPF" },
  { "empty-spine", BROKEN_EMPTY_SPINE, KIOS_DOCUMENT_ERROR_DAMAGED, "spine" },
  { "unknown-idrefs", BROKEN_ONLY_UNKNOWN_IDREFS, KIOS_DOCUMENT_ERROR_DAMAGED, "spine" },
  { "entity-bomb", BROKEN_ENTITY_BOMB, KIOS_DOCUMENT_ERROR_DAMAGED, "entities" },
  { "plain-zip", BROKEN_PLAIN_ZIP, KIOS_DOCUMENT_ERROR_DAMAGED, "META-INF/container.xml" },
};

static void
make_broken (const BrokenCase *c,
             const char       *path)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) m = NULL;
  g_autofree char      *opf = NULL;

  switch (c->kind)
    {
    case BROKEN_TRUNCATED:
      {
        g_autofree char *src = book_path ("emma.epub");
        g_autofree char *data = NULL;
        gsize            len;

        g_file_get_contents (src, &data, &len, &error);
        g_assert_no_error (error);
        g_file_set_contents (path, data, (gssize) (len / 2), &error);
        g_assert_no_error (error);
      }
      return;
    case BROKEN_RANDOM:
      {
        g_autoptr (GRand) rand = g_rand_new_with_seed (4242);
        guint8            data[4096];

        for (gsize i = 0; i < sizeof data; i++)
          data[i] = (guint8) g_rand_int_range (rand, 0, 256);
        data[0] = 'R';
        g_file_set_contents (path, (const char *) data, sizeof data, &error);
        g_assert_no_error (error);
      }
      return;
    case BROKEN_EMPTY_FILE:
      g_file_set_contents (path, "", 0, &error);
      g_assert_no_error (error);
      return;
    case BROKEN_MISSING_FILE:
      return;
    case BROKEN_NO_CONTAINER:
      m = skeleton ("OEBPS/content.opf", NULL);
      remove_member (m, "META-INF/container.xml");
      add_chapter (m, "OEBPS/a.xhtml", "A");
      break;
    case BROKEN_CONTAINER_NO_ROOTFILE:
      m = members_new ();
      add_text (m, "mimetype", "application/epub+zip");
      add_text (m, "META-INF/container.xml",
                "<container xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles/></container>");
      break;
    case BROKEN_MISSING_OPF:
      m = skeleton ("OEBPS/missing.opf", NULL);
      add_chapter (m, "OEBPS/a.xhtml", "A");
      break;
    case BROKEN_OPF_NOT_XML:
      m = skeleton ("OEBPS/content.opf", "\x01\x02 this is < not > xml at & all");
      break;
    case BROKEN_OPF_WRONG_ROOT:
      m = skeleton ("OEBPS/content.opf", "<?xml version=\"1.0\"?><html><body/></html>");
      break;
    case BROKEN_EMPTY_SPINE:
      opf = g_strdup_printf (MIN_OPF, "Empty", "");
      m = skeleton ("OEBPS/content.opf", opf);
      add_chapter (m, "OEBPS/a.xhtml", "A");
      break;
    case BROKEN_ONLY_UNKNOWN_IDREFS:
      opf = g_strdup_printf (MIN_OPF, "Ghosts", "<itemref idref=\"x\"/><itemref idref=\"y\"/>");
      m = skeleton ("OEBPS/content.opf", opf);
      add_chapter (m, "OEBPS/a.xhtml", "A");
      break;
    case BROKEN_ENTITY_BOMB:
      m = skeleton ("OEBPS/content.opf", bomb_opf);
      add_chapter (m, "OEBPS/a.xhtml", "A");
      break;
    case BROKEN_PLAIN_ZIP:
      m = members_new ();
      add_text (m, "readme.txt", "just a zip");
      break;
    default:
      g_assert_not_reached ();
    }
  write_zip (path, m);
}

static void
test_broken (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (broken_cases); i++)
    {
      const BrokenCase  *c = &broken_cases[i];
      g_autoptr (GError) error = NULL;
      g_autofree char   *name = g_strdup_printf ("%s.epub", c->name);
      g_autofree char   *path = scratch (name);
      g_autofree char   *lower = NULL;
      KiosEpub          *epub;
      gint64             start;

      make_broken (c, path);
      start = g_get_monotonic_time ();
      epub = kios_epub_open (path, &error);
      g_test_message ("%s: %s (%.2f ms)", c->name, error != NULL ? error->message : "opened",
                      (g_get_monotonic_time () - start) / 1000.0);
      g_assert_null (epub);
      if (c->code < 0)
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      else
        g_assert_error (error, KIOS_DOCUMENT_ERROR, c->code);
      lower = g_ascii_strdown (error->message, -1);
      g_assert_nonnull (strstr (error->message, c->in_message) != NULL ? error->message
                                                                       : strstr (lower, c->in_message));
      /* Nothing hostile may take long (an entity bomb must not expand). */
      g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
    }
}

/* ---- encryption ------------------------------------------------------ */

#define FONT_OPF                                                                                    \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                    \
  "<package version=\"3.0\" xmlns=\"http://www.idpf.org/2007/opf\" unique-identifier=\"pub-id\">\n" \
  " <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"                                     \
  "  <dc:identifier id=\"isbn\">urn:isbn:9780000000000</dc:identifier>\n"                           \
  "  <dc:identifier id=\"pub-id\">\n   urn:uuid:%s  \n  </dc:identifier>\n"                         \
  "  <dc:title>Fonts</dc:title><dc:language>en</dc:language>\n"                                     \
  " </metadata>\n"                                                                                  \
  " <manifest>\n"                                                                                   \
  "  <item id=\"css\" href=\"style.css\" media-type=\"text/css\"/>\n"                               \
  "  <item id=\"f1\" href=\"fonts/mono.otf\" media-type=\"application/vnd.ms-opentype\"/>\n"        \
  "  <item id=\"f2\" href=\"fonts/sans.otf\" media-type=\"application/vnd.ms-opentype\"/>\n"        \
  "  <item id=\"c1\" href=\"one.xhtml\" media-type=\"application/xhtml+xml\"/>\n"                   \
  "  <item id=\"c2\" href=\"two.xhtml\" media-type=\"application/xhtml+xml\"/>\n"                   \
  " </manifest>\n"                                                                                  \
  " <spine><itemref idref=\"c1\"/><itemref idref=\"c2\"/></spine>\n"                                \
  "</package>\n"

#define FONT_CSS                                                       \
  "@font-face { font-family: 'ObfMono'; src: url(fonts/mono.otf); }\n" \
  "@font-face { font-family: 'ObfSans'; src: url(fonts/sans.otf); }\n" \
  "p.mono { font-family: 'ObfMono'; }\n"                               \
  "p.sans { font-family: 'ObfSans'; }\n"

#define FONT_XHTML                                                           \
  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"                             \
  "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title>"      \
  "<link rel=\"stylesheet\" type=\"text/css\" href=\"style.css\"/></head>\n" \
  "<body><p class=\"%s\">Hello obfuscated world.</p></body></html>\n"

#define ENCRYPTION_XML                                                      \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                            \
  "<encryption xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"\n" \
  "            xmlns:enc=\"http://www.w3.org/2001/04/xmlenc#\">\n"          \
  "%s"                                                                      \
  "</encryption>\n"

#define ENCRYPTED_DATA                                                     \
  " <enc:EncryptedData>\n"                                                 \
  "  <enc:EncryptionMethod Algorithm=\"%s\"/>\n"                           \
  "  <enc:CipherData><enc:CipherReference URI=\"%s\"/></enc:CipherData>\n" \
  " </enc:EncryptedData>\n"

#define UUID_TEXT "5a0d7bd1-3f0e-4c55-9b7e-7c1c0ffee123"

static GBytes *
xor_prefix (GBytes       *data,
            const guint8 *key,
            gsize         key_len,
            gsize         prefix)
{
  gsize   len;
  guint8 *copy = g_memdup2 (g_bytes_get_data (data, &len), g_bytes_get_size (data));

  for (gsize i = 0; i < MIN (len, prefix); i++)
    copy[i] ^= key[i % key_len];
  return g_bytes_new_take (copy, len);
}

typedef struct
{
  GBytes *mono; /* the clear font bytes */
  GBytes *sans;
} Fonts;

/* Two real fonts from MuPDF's built-in set, so MuPDF can tell whether it
 * could load them. */
static Fonts
builtin_fonts (void)
{
  fz_context          *ctx = fz_new_context (NULL, NULL, FZ_STORE_DEFAULT);
  int                  len = 0;
  const unsigned char *data;
  Fonts                fonts;

  data = fz_lookup_base14_font (ctx, "Courier", &len);
  g_assert_nonnull (data);
  g_assert_cmpint (len, >, 2048);
  fonts.mono = g_bytes_new (data, (gsize) len);
  data = fz_lookup_base14_font (ctx, "Helvetica", &len);
  g_assert_nonnull (data);
  g_assert_cmpint (len, >, 2048);
  fonts.sans = g_bytes_new (data, (gsize) len);
  fz_drop_context (ctx);
  return fonts;
}

/*
 * Builds a book whose mono font is IDPF-obfuscated (key: SHA-1 of the
 * unique identifier with its whitespace removed, over 1040 bytes) and whose
 * sans font is Adobe-obfuscated (key: the 16 bytes of the uuid, over 1024
 * bytes), written here independently of kios-epub.c.
 */
static void
make_font_book_full (const char *path,
                     Fonts      *fonts,
                     const char *encryption_xml,
                     gboolean    rights);

static void
make_font_book (const char *path,
                Fonts      *fonts,
                const char *encryption_entries)
{
  g_autofree char *encryption = g_strdup_printf (ENCRYPTION_XML, encryption_entries);

  make_font_book_full (path, fonts, encryption, FALSE);
}

/* encryption_xml: the whole file, or NULL for none; rights: add an Adobe
 * META-INF/rights.xml. */
static void
make_font_book_full (const char *path,
                     Fonts      *fonts,
                     const char *encryption_xml,
                     gboolean    rights)
{
  g_autoptr (GPtrArray) m = NULL;
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autoptr (GBytes)    mono = NULL;
  g_autoptr (GBytes)    sans = NULL;
  g_autofree char      *opf = g_strdup_printf (FONT_OPF, UUID_TEXT);
  g_autofree char      *one = g_strdup_printf (FONT_XHTML, "mono");
  g_autofree char      *two = g_strdup_printf (FONT_XHTML, "sans");
  const char           *id = "urn:uuid:" UUID_TEXT;
  guint8                idpf[20];
  gsize                 idpf_len = sizeof idpf;
  guint8                adobe[16];
  const char           *hex = UUID_TEXT;
  int                   n = 0;

  g_checksum_update (sha1, (const guchar *) id, (gssize) strlen (id));
  g_checksum_get_digest (sha1, idpf, &idpf_len);
  g_assert_cmpuint (idpf_len, ==, 20);
  for (const char *p = hex; *p != '\0'; p++)
    {
      if (*p == '-')
        continue;
      if (n % 2 == 0)
        adobe[n / 2] = (guint8) (g_ascii_xdigit_value (*p) << 4);
      else
        adobe[n / 2] |= (guint8) g_ascii_xdigit_value (*p);
      n++;
    }
  g_assert_cmpint (n, ==, 32);

  mono = xor_prefix (fonts->mono, idpf, 20, 1040);
  sans = xor_prefix (fonts->sans, adobe, 16, 1024);

  m = skeleton ("OEBPS/content.opf", opf);
  if (encryption_xml != NULL)
    add_text (m, "META-INF/encryption.xml", encryption_xml);
  if (rights)
    add_text (m, "META-INF/rights.xml",
              "<rights xmlns=\"http://ns.adobe.com/adept\"><licenseToken/></rights>");
  add_text (m, "OEBPS/style.css", FONT_CSS);
  add_bytes (m, "OEBPS/fonts/mono.otf", mono);
  add_bytes (m, "OEBPS/fonts/sans.otf", sans);
  add_text (m, "OEBPS/one.xhtml", one);
  add_text (m, "OEBPS/two.xhtml", two);
  write_zip (path, m);
}

static void
test_font_obfuscation (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *path = scratch ("fonts.epub");
  g_autofree char      *clean = scratch ("fonts-clean.epub");
  g_autofree char      *entries = NULL;
  g_autoptr (KiosEpub)  epub = NULL;
  g_autoptr (KiosEpub)  reopened = NULL;
  g_autoptr (GPtrArray) zip = NULL;
  g_autofree char      *raw = NULL;
  Fonts                 fonts = builtin_fonts ();
  gsize                 raw_len;
  MupdfResult           mu;
  Member               *font;

  entries = g_strdup_printf (ENCRYPTED_DATA ENCRYPTED_DATA,
                             "http://www.idpf.org/2008/embedding", "OEBPS/fonts/mono.otf",
                             "http://ns.adobe.com/pdf/enc#RC", "OEBPS/fonts/sans.otf");
  make_font_book (path, &fonts, entries);

  epub = kios_epub_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kios_epub_get_encryption (epub), ==, KIOS_EPUB_ENCRYPTION_FONTS_ONLY);
  g_assert_cmpuint (kios_epub_get_n_spine_items (epub), ==, 2);

  /* MuPDF 1.21 refuses any book with META-INF/encryption.xml ("EPUB is
   * locked by DRM"): this is why the clean copy exists. */
  mu = mupdf_probe (path, 0);
  g_assert_cmpint (mu.chapters, ==, -1);
  g_free (mu.font_names);

  g_assert_true (kios_epub_write_deobfuscated (epub, clean, &error));
  g_assert_no_error (error);

  /* The exact original font bytes, and no encryption.xml. */
  zip = read_zip (clean);
  g_assert_null (find_member (zip, "META-INF/encryption.xml"));
  font = find_member (zip, "OEBPS/fonts/mono.otf");
  g_assert_nonnull (font);
  g_assert_true (g_bytes_equal (font->data, fonts.mono));
  font = find_member (zip, "OEBPS/fonts/sans.otf");
  g_assert_nonnull (font);
  g_assert_true (g_bytes_equal (font->data, fonts.sans));
  g_assert_nonnull (find_member (zip, "OEBPS/content.opf"));
  g_assert_nonnull (find_member (zip, "OEBPS/one.xhtml"));
  /* mimetype, container, OPF, CSS, two fonts, two chapters: 9 less encryption.xml. */
  g_assert_cmpuint (zip->len, ==, 8);

  /* `mimetype` first and STORED: the OCF signature at the start of the file. */
  g_file_get_contents (clean, &raw, &raw_len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (raw_len, >, 58);
  g_assert_cmpmem (raw, 4, "PK\x03\x04", 4);
  g_assert_cmpint (raw[8], ==, 0);
  g_assert_cmpint (raw[9], ==, 0);
  g_assert_cmpmem (raw + 30, 8, "mimetype", 8);
  g_assert_cmpint (raw[28] | raw[29], ==, 0);
  g_assert_cmpmem (raw + 38, 20, "application/epub+zip", 20);

  reopened = kios_epub_open (clean, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kios_epub_get_encryption (reopened), ==, KIOS_EPUB_ENCRYPTION_NONE);
  g_assert_cmpuint (kios_epub_get_n_spine_items (reopened), ==, 2);

  /* MuPDF opens the clean copy and now lays the text out in both fonts. */
  mu = mupdf_probe (clean, 0);
  g_test_message ("clean, chapter 0 fonts: %s", mu.font_names);
  g_assert_cmpint (mu.chapters, ==, 2);
  g_assert_nonnull (strstr (mu.font_names, "Nimbus Mono"));
  g_free (mu.font_names);
  mu = mupdf_probe (clean, 1);
  g_test_message ("clean, chapter 1 fonts: %s", mu.font_names);
  g_assert_nonnull (strstr (mu.font_names, "Nimbus Sans"));
  g_free (mu.font_names);

  /* Control: the same book with encryption.xml merely dropped opens, but
   * MuPDF cannot use the still-obfuscated fonts and falls back. */
  {
    g_autofree char      *dropped = scratch ("fonts-dropped.epub");
    g_autoptr (GPtrArray) members = read_zip (path);

    remove_member (members, "META-INF/encryption.xml");
    write_zip (dropped, members);
    mu = mupdf_probe (dropped, 0);
    g_test_message ("encryption.xml dropped, chapter 0 fonts: %s", mu.font_names);
    g_assert_cmpint (mu.chapters, ==, 2);
    g_assert_null (strstr (mu.font_names, "Nimbus Mono"));
    g_free (mu.font_names);
  }

  g_bytes_unref (fonts.mono);
  g_bytes_unref (fonts.sans);
}

#define AES128 "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
#define AES256 "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
#define IDPF "http://www.idpf.org/2008/embedding"

typedef struct
{
  const char        *name;
  const char        *entries; /* the EncryptedData elements; NULL: no encryption.xml */
  gboolean           raw;     /* entries is the whole encryption.xml */
  gboolean           rights;  /* add META-INF/rights.xml */
  KiosEpubEncryption expected;
} EncryptionCase;

static const EncryptionCase encryption_cases[] = {
  { "none", NULL, FALSE, FALSE, KIOS_EPUB_ENCRYPTION_NONE },
  /* MuPDF refuses any encryption.xml, so even an empty one needs the clean copy. */
  { "empty-encryption", "", FALSE, FALSE, KIOS_EPUB_ENCRYPTION_FONTS_ONLY },
  { "rights-only", NULL, FALSE, TRUE, KIOS_EPUB_ENCRYPTION_DRM },
  { "idpf-only",
    " <enc:EncryptedData><enc:EncryptionMethod Algorithm=\"" IDPF "\"/>"
    "<enc:CipherData><enc:CipherReference URI=\"OEBPS/fonts/mono.otf\"/></enc:CipherData>"
    "</enc:EncryptedData>\n",
    FALSE, FALSE, KIOS_EPUB_ENCRYPTION_FONTS_ONLY },
  { "aes",
    " <enc:EncryptedData><enc:EncryptionMethod Algorithm=\"" AES128 "\"/>"
    "<enc:CipherData><enc:CipherReference URI=\"OEBPS/one.xhtml\"/></enc:CipherData>"
    "</enc:EncryptedData>\n",
    FALSE, FALSE, KIOS_EPUB_ENCRYPTION_DRM },
  { "font-and-aes",
    " <enc:EncryptedData><enc:EncryptionMethod Algorithm=\"" IDPF "\"/>"
    "<enc:CipherData><enc:CipherReference URI=\"OEBPS/fonts/mono.otf\"/></enc:CipherData>"
    "</enc:EncryptedData>\n"
    " <enc:EncryptedData><enc:EncryptionMethod Algorithm=\"" AES256 "\"/>"
    "<enc:CipherData><enc:CipherReference URI=\"OEBPS/two.xhtml\"/></enc:CipherData>"
    "</enc:EncryptedData>\n",
    FALSE, FALSE, KIOS_EPUB_ENCRYPTION_DRM },
  { "no-algorithm",
    " <enc:EncryptedData><enc:CipherData><enc:CipherReference URI=\"OEBPS/one.xhtml\"/>"
    "</enc:CipherData></enc:EncryptedData>\n",
    FALSE, FALSE, KIOS_EPUB_ENCRYPTION_DRM },
  { "encrypted-key",
    " <EncryptedKey xmlns=\"http://www.w3.org/2001/04/xmlenc#\"/>\n", FALSE, FALSE, KIOS_EPUB_ENCRYPTION_DRM },
  { "not-encryption", "\x01\x02 <html><p>not xml at all", TRUE, FALSE, KIOS_EPUB_ENCRYPTION_DRM },
  { "entity-bomb", "<?xml version=\"1.0\"?><!DOCTYPE encryption [<!ENTITY a \"aaaa\">]>"
                   "<encryption xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">&a;</encryption>",
    TRUE, FALSE, KIOS_EPUB_ENCRYPTION_DRM },
};

static void
test_encryption_kinds (void)
{
  Fonts fonts = builtin_fonts ();

  for (guint i = 0; i < G_N_ELEMENTS (encryption_cases); i++)
    {
      const EncryptionCase *c = &encryption_cases[i];
      g_autoptr (GError)    error = NULL;
      g_autofree char      *name = g_strdup_printf ("enc-%s.epub", c->name);
      g_autofree char      *clean_name = g_strdup_printf ("enc-%s-clean.epub", c->name);
      g_autofree char      *path = scratch (name);
      g_autofree char      *clean = scratch (clean_name);
      g_autoptr (KiosEpub)  epub = NULL;
      MupdfResult           mu;
      gboolean              ok;

      if (c->entries == NULL || c->raw)
        make_font_book_full (path, &fonts, c->entries, c->rights);
      else
        make_font_book (path, &fonts, c->entries);

      epub = kios_epub_open (path, &error);
      g_assert_no_error (error);
      g_test_message ("%s: encryption %d", c->name, kios_epub_get_encryption (epub));
      g_assert_cmpint (kios_epub_get_encryption (epub), ==, c->expected);

      ok = kios_epub_write_deobfuscated (epub, clean, &error);
      if (c->expected == KIOS_EPUB_ENCRYPTION_DRM)
        {
          g_assert_false (ok);
          g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DRM);
          g_assert_false (g_file_test (clean, G_FILE_TEST_EXISTS));
        }
      else
        {
          g_autoptr (GPtrArray) zip = NULL;

          g_assert_no_error (error);
          g_assert_true (ok);
          zip = read_zip (clean);
          g_assert_null (find_member (zip, "META-INF/encryption.xml"));
          if (strcmp (c->name, "idpf-only") == 0)
            g_assert_true (g_bytes_equal (find_member (zip, "OEBPS/fonts/mono.otf")->data, fonts.mono));
          /* What the clean copy is for: MuPDF opens it. */
          mu = mupdf_probe (clean, -1);
          g_free (mu.font_names);
          g_assert_cmpint (mu.chapters, ==, 2);
        }
    }

  g_bytes_unref (fonts.mono);
  g_bytes_unref (fonts.sans);
}

/* write_deobfuscated on a sample book gives a book with the same content. */
static void
test_rewrite_sample (void)
{
  g_autoptr (GError)    error = NULL;
  g_autofree char      *src = book_path ("emma.epub");
  g_autofree char      *dest = scratch ("emma-copy.epub");
  g_autoptr (KiosEpub)  epub = kios_epub_open (src, &error);
  g_autoptr (KiosEpub)  copy = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  MupdfResult           mu;

  g_assert_no_error (error);
  g_assert_true (kios_epub_write_deobfuscated (epub, dest, &error));
  g_assert_no_error (error);

  before = read_zip (src);
  after = read_zip (dest);
  g_assert_cmpuint (before->len, ==, after->len);
  for (guint i = 0; i < before->len; i++)
    {
      Member *a = g_ptr_array_index (before, i);
      Member *b = find_member (after, a->name);

      g_assert_nonnull (b);
      g_assert_true (g_bytes_equal (a->data, b->data));
    }
  g_assert_cmpstr (((Member *) g_ptr_array_index (after, 0))->name, ==, "mimetype");

  copy = kios_epub_open (dest, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kios_epub_get_n_spine_items (copy), ==, kios_epub_get_n_spine_items (epub));
  g_assert_cmpuint (kios_epub_get_toc (copy)->len, ==, kios_epub_get_toc (epub)->len);
  mu = mupdf_probe (dest, 2);
  g_free (mu.font_names);
  g_assert_cmpint (mu.chapters, ==, 5);
}

/* Mutated metadata: every outcome must be a clean error or a consistent
 * book, never a crash, a hang or an out-of-range chapter. Fixed seed. */
static void
test_mutations (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261127);
  g_autofree char  *path = scratch ("mutant.epub");
  const char       *targets[] = { "OEBPS/content.opf", "OEBPS/toc.ncx", "OEBPS/nav.xhtml",
                                  "META-INF/container.xml", "META-INF/encryption.xml" };
  int               opened = 0;
  int               failed = 0;

  for (int round = 0; round < 300; round++)
    {
      g_autoptr (GError)    error = NULL;
      g_autoptr (GPtrArray) m = skeleton ("OEBPS/content.opf", ncx_opf);
      g_autoptr (KiosEpub)  epub = NULL;
      g_autofree char      *text = NULL;
      const char           *target = targets[g_rand_int_range (rand, 0, G_N_ELEMENTS (targets))];
      gsize                 len;

      add_text (m, "OEBPS/toc.ncx", ncx_doc);
      add_text (m, "OEBPS/nav.xhtml", pct_nav);
      add_text (m, "META-INF/encryption.xml", "<encryption/>");
      add_chapter (m, "OEBPS/text/one.xhtml", "One");
      add_chapter (m, "OEBPS/text/two.xhtml", "Two");

      text = member_text (m, target);
      len = strlen (text);
      if (g_rand_boolean (rand))
        text[g_rand_int_range (rand, 0, (gint32) len)] = '\0'; /* truncate */
      for (int k = g_rand_int_range (rand, 1, 8); k > 0; k--)
        {
          static const char junk[] = "<>&\"'/#%=: x\x01\xc3";

          text[g_rand_int_range (rand, 0, (gint32) len)] = junk[g_rand_int_range (rand, 0, sizeof junk - 1)];
        }
      replace_text (m, target, text);
      write_zip (path, m);

      epub = kios_epub_open (path, &error);
      if (epub == NULL)
        {
          g_assert_true (error != NULL && error->domain == KIOS_DOCUMENT_ERROR);
          failed++;
          continue;
        }
      opened++;
      g_assert_no_error (error);
      g_assert_cmpuint (kios_epub_get_n_spine_items (epub), >, 0);
      for (guint k = 0; k < kios_epub_get_n_spine_items (epub); k++)
        g_assert_nonnull (kios_epub_get_spine_item (epub, k)->href);
      for (guint k = 0; k < kios_epub_get_toc (epub)->len; k++)
        {
          KiosTocEntry *e = g_ptr_array_index (kios_epub_get_toc (epub), k);

          g_assert_nonnull (e->href);
          g_assert_nonnull (e->title);
          g_assert_cmpint (e->chapter, >=, -1);
          g_assert_cmpint (e->chapter, <, (int) kios_epub_get_n_spine_items (epub));
        }
    }
  g_test_message ("mutations: %d opened, %d refused", opened, failed);
  g_assert_cmpint (opened, >, 0);
  g_assert_cmpint (failed, >, 0);
}

/* ---- package limits (kios-limits.h) ---------------------------------- */

#define LIMITS_OPF_FMT                                                                          \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                \
  "<package version=\"2.0\" xmlns=\"http://www.idpf.org/2007/opf\" unique-identifier=\"id\">\n" \
  " <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"                                 \
  "  <dc:identifier id=\"id\">urn:uuid:0d7f9d32-47a4-4a4b-8a36-123456789abc</dc:identifier>\n"  \
  "  <dc:title>Limits</dc:title>\n"                                                             \
  " </metadata>\n"                                                                              \
  " <manifest><item id=\"ncx\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\"/>\n"    \
  "  <item id=\"c\" href=\"c.xhtml\" media-type=\"application/xhtml+xml\"/></manifest>\n"       \
  " <spine toc=\"ncx\"><itemref idref=\"c\"/></spine>\n"                                        \
  "</package>\n"

/* XML of exactly `size` bytes: `head`, a comment padding it, `tail`. */
static char *
padded (const char *head,
        const char *tail,
        gsize       size)
{
  GString *s = g_string_new (head);
  gsize    fixed = strlen (head) + strlen (tail) + strlen ("<!---->");

  g_assert_cmpuint (size, >, fixed);
  g_string_append (s, "<!--");
  for (gsize i = fixed; i < size; i++)
    g_string_append_c (s, ' ');
  g_string_append (s, "-->");
  g_string_append (s, tail);
  g_assert_cmpuint (s->len, ==, size);
  return g_string_free (s, FALSE);
}

static char *
ncx_with (guint n_points)
{
  GString *s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\"><navMap>");

  for (guint i = 0; i < n_points; i++)
    g_string_append_printf (s, "<navPoint id=\"n%u\"><navLabel><text>%u</text></navLabel>"
                               "<content src=\"c.xhtml\"/></navPoint>",
                            i, i);
  g_string_append (s, "</navMap></ncx>");
  return g_string_free (s, FALSE);
}

/* Writes a book with these container.xml, OPF, NCX and encryption.xml
 * (NULL: a small valid one; no encryption.xml) and opens it. */
static KiosEpub *
open_with (const char *name,
           const char *container,
           const char *opf,
           const char *ncx,
           const char *encryption,
           GError    **error)
{
  g_autofree char      *path = scratch (name);
  g_autofree char      *small_ncx = ncx_with (1);
  g_autoptr (GPtrArray) m = skeleton ("OEBPS/content.opf", opf != NULL ? opf : LIMITS_OPF_FMT);

  if (container != NULL)
    replace_text (m, "META-INF/container.xml", container);
  add_text (m, "OEBPS/toc.ncx", ncx != NULL ? ncx : small_ncx);
  add_chapter (m, "OEBPS/c.xhtml", "Only");
  if (encryption != NULL)
    add_text (m, "META-INF/encryption.xml", encryption);
  write_zip (path, m);
  return kios_epub_open (path, error);
}

/* Each package file is read up to its limit and no further, and the
 * contents keep their first KIOS_LIMIT_TOC_ENTRIES entries: each is tried at
 * its limit (it is read) and one byte or entry past it. */
static void
test_package_limits (void)
{
  g_autofree char *container_head = g_strdup_printf (CONTAINER_FMT, "OEBPS/content.opf");
  const char      *opf_tail = strstr (LIMITS_OPF_FMT, "</package>");
  g_autofree char *opf_head = g_strndup (LIMITS_OPF_FMT, (gsize) (opf_tail - LIMITS_OPF_FMT));
  const char      *encryption_head = "<?xml version=\"1.0\"?>\n"
                                     "<encryption xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">";
  const char      *ncx_head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\"><navMap>"
                              "<navPoint id=\"n\"><navLabel><text>One</text></navLabel>"
                              "<content src=\"c.xhtml\"/></navPoint>";

  for (gsize past = 0; past <= 1; past++)
    {
      g_autoptr (GError)   error = NULL;
      g_autoptr (KiosEpub) epub = NULL;
      g_autofree char     *container = padded (container_head, "", KIOS_LIMIT_CONTAINER_BYTES + past);
      g_autofree char     *opf = padded (opf_head, opf_tail, KIOS_LIMIT_OPF_BYTES + past);
      g_autofree char     *ncx = padded (ncx_head, "</navMap></ncx>", KIOS_LIMIT_TOC_BYTES + past);
      g_autofree char     *encryption = padded (encryption_head, "</encryption>", KIOS_LIMIT_ENCRYPTION_BYTES + past);

      epub = open_with ("container.epub", container, NULL, NULL, NULL, &error);
      if (past)
        g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
      else
        g_assert_no_error (error);
      g_clear_error (&error);
      g_clear_pointer (&epub, kios_epub_unref);

      epub = open_with ("opf.epub", NULL, opf, NULL, NULL, &error);
      if (past)
        g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
      else
        g_assert_no_error (error);
      g_clear_error (&error);
      g_clear_pointer (&epub, kios_epub_unref);

      /* Contents too large are left out; the book still opens. */
      epub = open_with ("ncx.epub", NULL, NULL, ncx, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (kios_epub_get_toc (epub)->len, ==, past ? 0 : 1);
      g_clear_pointer (&epub, kios_epub_unref);

      /* What cannot be read cannot be promised unencrypted (read, it lists
       * nothing, which is taken as fonts only). */
      epub = open_with ("encryption.epub", NULL, NULL, NULL, encryption, &error);
      g_assert_no_error (error);
      g_assert_cmpint (kios_epub_get_encryption (epub), ==,
                       (past ? KIOS_EPUB_ENCRYPTION_DRM : KIOS_EPUB_ENCRYPTION_FONTS_ONLY));
      g_clear_pointer (&epub, kios_epub_unref);
    }

  {
    g_autoptr (GError)   error = NULL;
    g_autofree char     *ncx = ncx_with (KIOS_LIMIT_TOC_ENTRIES + 1);
    g_autoptr (KiosEpub) epub = open_with ("entries.epub", NULL, NULL, ncx, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (kios_epub_get_toc (epub)->len, ==, KIOS_LIMIT_TOC_ENTRIES);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/epub/sample-books", test_sample_books);
  g_test_add_func ("/kios/epub/kjv-toc", test_kjv_toc);
  g_test_add_func ("/kios/epub/read-member-threads", test_read_member_threads);
  g_test_add_func ("/kios/epub/read-member-errors", test_read_member_errors);
  g_test_add_func ("/kios/epub/nav-only", test_nav_only);
  g_test_add_func ("/kios/epub/ncx-only", test_ncx_only);
  g_test_add_func ("/kios/epub/ncx-with-empty-nav", test_ncx_with_empty_nav);
  g_test_add_func ("/kios/epub/percent-encoded", test_percent_encoded);
  g_test_add_func ("/kios/epub/non-ascii-names", test_non_ascii_names);
  g_test_add_func ("/kios/epub/broken", test_broken);
  g_test_add_func ("/kios/epub/font-obfuscation", test_font_obfuscation);
  g_test_add_func ("/kios/epub/encryption-kinds", test_encryption_kinds);
  g_test_add_func ("/kios/epub/rewrite-sample", test_rewrite_sample);
  g_test_add_func ("/kios/epub/mutations", test_mutations);
  g_test_add_func ("/kios/epub/package-limits", test_package_limits);

  return g_test_run ();
}
