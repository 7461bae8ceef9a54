/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * Every limit of kios-limits.h that the book side enforces, crossed by a
 * hostile EPUB made on the fly: a small file must never cost gigabytes or
 * minutes, and what is refused says why. The zips are written by hand here
 * so their headers can lie and one deflated stream can be reused.
 */

#include "config.h"

#include "kios-archive-limits.h"
#include "kios-chapter-text.h"
#include "kios-document.h"
#include "kios-epub.h"
#include "kios-error.h"
#include "kios-flow-split.h"
#include "kios-kosync-client-private.h"
#include "kios-limits.h"
#include "kios-mupdf.h"
#include "kios-paths.h"
#include "kios-test-epub.h"
#include "kios-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

/* A hang or a quadratic walk is minutes; a bounded refusal is milliseconds. */
#define TIME_LIMIT_US (10 * G_USEC_PER_SEC)

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* ---- a zip writer whose headers may lie -------------------------------- */

typedef struct
{
  GByteArray *data;
  GByteArray *central;
  guint       n;
} Zip;

static void
put16 (GByteArray *a,
       guint       v)
{
  guint8 b[2] = { v & 0xff, (v >> 8) & 0xff };

  g_byte_array_append (a, b, 2);
}

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff };

  g_byte_array_append (a, b, 4);
}

static Zip *
zip_new (void)
{
  Zip *zip = g_new0 (Zip, 1);

  zip->data = g_byte_array_new ();
  zip->central = g_byte_array_new ();
  return zip;
}

/* method 0 stores `bytes`, 8 takes them as a raw deflate stream; `claim` is
 * the uncompressed size the headers state. */
static void
zip_add_raw (Zip          *zip,
             const char   *name,
             guint         method,
             const guint8 *bytes,
             gsize         len,
             guint32       crc,
             guint32       claim)
{
  guint32 offset = zip->data->len;
  gsize   name_len = strlen (name);

  put32 (zip->data, 0x04034b50);
  put16 (zip->data, 20);
  put16 (zip->data, 0);
  put16 (zip->data, method);
  put16 (zip->data, 0);
  put16 (zip->data, 0x21);
  put32 (zip->data, crc);
  put32 (zip->data, (guint32) len);
  put32 (zip->data, claim);
  put16 (zip->data, (guint) name_len);
  put16 (zip->data, 0);
  g_byte_array_append (zip->data, (const guint8 *) name, (guint) name_len);
  g_byte_array_append (zip->data, bytes, (guint) len);

  put32 (zip->central, 0x02014b50);
  put16 (zip->central, 20);
  put16 (zip->central, 20);
  put16 (zip->central, 0);
  put16 (zip->central, method);
  put16 (zip->central, 0);
  put16 (zip->central, 0x21);
  put32 (zip->central, crc);
  put32 (zip->central, (guint32) len);
  put32 (zip->central, claim);
  put16 (zip->central, (guint) name_len);
  put16 (zip->central, 0);
  put16 (zip->central, 0);
  put16 (zip->central, 0);
  put16 (zip->central, 0);
  put32 (zip->central, 0);
  put32 (zip->central, offset);
  g_byte_array_append (zip->central, (const guint8 *) name, (guint) name_len);
  zip->n++;
}

static void
zip_add (Zip        *zip,
         const char *name,
         const char *text)
{
  gsize len = strlen (text);

  zip_add_raw (zip, name, 0, (const guint8 *) text, len,
               (guint32) crc32 (0, (const Bytef *) text, (uInt) len), (guint32) len);
}

/* `repeat` copies of `unit`, deflated; *crc and *size describe the inflated bytes. */
static GBytes *
deflate_repeated (const char *unit,
                  gsize       repeat,
                  guint32    *crc,
                  gsize      *size)
{
  z_stream               z = { 0 };
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8                 buf[64 * 1024];
  gsize                  unit_len = strlen (unit);

  g_assert_cmpint (deflateInit2 (&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
  *crc = 0;
  *size = 0;
  for (gsize i = 0; i <= repeat; i++)
    {
      int flush = i == repeat ? Z_FINISH : Z_NO_FLUSH;

      z.next_in = (Bytef *) unit;
      z.avail_in = i == repeat ? 0 : (uInt) unit_len;
      if (i < repeat)
        {
          *crc = (guint32) crc32 (*crc, (const Bytef *) unit, (uInt) unit_len);
          *size += unit_len;
        }
      do
        {
          z.next_out = buf;
          z.avail_out = sizeof buf;
          deflate (&z, flush);
          g_byte_array_append (out, buf, (guint) (sizeof buf - z.avail_out));
        }
      while (z.avail_out == 0);
    }
  deflateEnd (&z);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
zip_add_deflated (Zip        *zip,
                  const char *name,
                  GBytes     *deflated,
                  guint32     crc,
                  guint32     claim)
{
  gsize         len = 0;
  const guint8 *data = g_bytes_get_data (deflated, &len);

  zip_add_raw (zip, name, 8, data, len, crc, claim);
}

static void
zip_write (Zip        *zip,
           const char *path)
{
  guint32 cd_offset = zip->data->len;

  g_byte_array_append (zip->data, zip->central->data, zip->central->len);
  put32 (zip->data, 0x06054b50);
  put16 (zip->data, 0);
  put16 (zip->data, 0);
  put16 (zip->data, zip->n);
  put16 (zip->data, zip->n);
  put32 (zip->data, zip->central->len);
  put32 (zip->data, cd_offset);
  put16 (zip->data, 0);
  g_assert_true (g_file_set_contents (path, (const char *) zip->data->data, zip->data->len, NULL));
  g_byte_array_unref (zip->data);
  g_byte_array_unref (zip->central);
  g_free (zip);
}

#define CONTAINER                                                                   \
  "<?xml version=\"1.0\"?><container version=\"1.0\" "                              \
  "xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles><rootfile " \
  "full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>"  \
  "</rootfiles></container>"

/* The mimetype, container and an OPF with n_chapters spine items c<i>.xhtml
 * plus the manifest items in `extra_items`. */
static Zip *
epub_start (guint       n_chapters,
            const char *extra_items)
{
  Zip     *zip = zip_new ();
  GString *opf = g_string_new ("<?xml version=\"1.0\"?><package xmlns=\"http://www.idpf.org/2007/opf\" "
                               "version=\"2.0\" unique-identifier=\"id\"><metadata "
                               "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Limits"
                               "</dc:title><dc:identifier id=\"id\">urn:uuid:1</dc:identifier>"
                               "</metadata><manifest>");

  for (guint i = 0; i < n_chapters; i++)
    g_string_append_printf (opf, "<item id=\"c%u\" href=\"c%u.xhtml\" media-type=\"application/xhtml+xml\"/>",
                            i, i);
  g_string_append (opf, extra_items != NULL ? extra_items : "");
  g_string_append (opf, "</manifest><spine>");
  for (guint i = 0; i < n_chapters; i++)
    g_string_append_printf (opf, "<itemref idref=\"c%u\"/>", i);
  g_string_append (opf, "</spine></package>");

  zip_add (zip, "mimetype", "application/epub+zip");
  zip_add (zip, "META-INF/container.xml", CONTAINER);
  zip_add (zip, "OEBPS/content.opf", opf->str);
  g_string_free (opf, TRUE);
  return zip;
}

static void
add_chapter (Zip        *zip,
             guint       index,
             const char *body)
{
  g_autofree char *name = g_strdup_printf ("OEBPS/c%u.xhtml", index);
  g_autofree char *xhtml = kios_test_xhtml (body);

  zip_add (zip, name, xhtml);
}

/* ---- helpers ------------------------------------------------------------ */

static KiosPage *
render (KiosDocument *doc,
        int           chapter,
        double        percent)
{
  g_autoptr (GError) error = NULL;
  KiosPageRequest    request;
  KiosPage          *page;
  KiosLayout         layout = { 400, 600, 16, 0 };

  kios_document_set_layout (doc, &layout);
  kios_page_request_init (&request);
  request.box_width = 400;
  request.box_height = 600;
  if (percent < 0)
    request.location = (KiosLocation){ chapter, 0 };
  else
    {
      g_autofree char         *pos = g_strdup_printf ("percent:%g", percent);
      g_autoptr (KiosPosition) position = kios_document_parse_position (doc, pos, &error);

      g_assert_no_error (error);
      request.kind = KIOS_PAGE_REQUEST_POSITION;
      request.position = position;
      page = kios_document_render_sync (doc, &request, &error);
      g_assert_no_error (error);
      return page;
    }
  page = kios_document_render_sync (doc, &request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page->pixels);
  return page;
}

static gint64
cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec +
         (gint64) usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec;
}

static KiosArchiveScan *
scan_book (const char *path,
           GError    **error)
{
  g_autoptr (KiosEpub) epub = kios_epub_open (path, error);

  if (epub == NULL)
    return NULL;
  return kios_archive_scan_new (epub, NULL, error);
}

/* ---- archives ----------------------------------------------------------- */

/* A chapter whose header honestly says it is past KIOS_LIMIT_CHAPTER_BYTES:
 * refused from the header, an error page, never inflated. */
static void
test_chapter_declared_too_large (void)
{
  g_autofree char            *path = tmp_path ("declared.epub");
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosDocument)    doc = NULL;
  g_autoptr (KiosPage)        page = NULL;
  g_autoptr (KiosPage)        ok_page = NULL;
  g_autoptr (GBytes)          deflated = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  Zip                        *zip = epub_start (2, NULL);
  guint32                     crc;
  gsize                       size;
  gint64                      start;

  deflated = deflate_repeated ("all work and no play ", KIOS_LIMIT_CHAPTER_BYTES / 21 + 10, &crc, &size);
  g_assert_cmpuint (size, >, KIOS_LIMIT_CHAPTER_BYTES);
  zip_add_deflated (zip, "OEBPS/c0.xhtml", deflated, crc, (guint32) size);
  add_chapter (zip, 1, "<p>The chapter after it.</p>");
  zip_write (zip, path);

  scan = scan_book (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/c0.xhtml"));
  /* Nothing of it was inflated: only the small members count. */
  g_assert_cmpint (kios_archive_scan_get_inflated (scan), <, 4096);

  start = cpu_us ();
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 0, -1);
  g_assert_nonnull (page->error_message);
  g_assert_nonnull (strstr (page->error_message, "unpacks to"));
  /* Said once, at open, for kiosctl info and the app. */
  g_assert_cmpuint (g_strv_length ((char **) kios_document_get_refusals (doc)), ==, 1);
  ok_page = render (doc, 1, -1);
  g_assert_null (ok_page->error_message);
  g_assert_cmpint (cpu_us () - start, <, TIME_LIMIT_US);
}

/* A chapter whose zip headers claim 1 KiB but which inflates past the limit:
 * stopped at the limit while inflating. */
static void
test_lying_header (void)
{
  g_autofree char            *path = tmp_path ("lying.epub");
  g_autoptr (GError)          error = NULL;
  g_autoptr (GBytes)          deflated = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  g_autoptr (KiosDocument)    doc = NULL;
  g_autoptr (KiosPage)        page = NULL;
  Zip                        *zip = epub_start (1, NULL);
  guint32                     crc;
  gsize                       size;
  gint64                      start = cpu_us ();

  /* 64 MiB of spaces: eight times the limit. */
  deflated = deflate_repeated ("                                ", (gsize) 2 << 20, &crc, &size);
  zip_add_deflated (zip, "OEBPS/c0.xhtml", deflated, crc, 1024);
  zip_write (zip, path);

  scan = scan_book (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/c0.xhtml"));
  g_assert_nonnull (strstr (kios_archive_scan_get_refusal (scan, "OEBPS/c0.xhtml"), "header says less"));
  g_assert_cmpint (kios_archive_scan_get_inflated (scan), <=, (gint64) KIOS_LIMIT_CHAPTER_BYTES + 4096);

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 0, -1);
  g_assert_nonnull (page->error_message);
  g_assert_cmpint (cpu_us () - start, <, TIME_LIMIT_US);
}

/* A refused member is remembered by the open document: with the book gone
 * from the disk, the same error page comes back without reading it again. */
static void
test_refusal_remembered (void)
{
  g_autofree char         *path = tmp_path ("remembered.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (GBytes)       deflated = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     first = NULL;
  g_autoptr (KiosPage)     again = NULL;
  Zip                     *zip = epub_start (2, NULL);
  guint32                  crc;
  gsize                    size;

  deflated = deflate_repeated ("                                ", (gsize) 1 << 20, &crc, &size);
  zip_add_deflated (zip, "OEBPS/c0.xhtml", deflated, crc, 100);
  add_chapter (zip, 1, "<p>Fine.</p>");
  zip_write (zip, path);

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_unlink (path), ==, 0);
  first = render (doc, 0, -1);
  again = render (doc, 0, -1);
  g_assert_nonnull (first->error_message);
  g_assert_cmpstr (first->error_message, ==, again->error_message);
  g_assert_nonnull (strstr (again->error_message, "unpacks to more than"));
}

/* A chapter small in bytes but past the layout cost limit in elements
 * (KIOS_LIMIT_ELEMENT_BYTES each): refused before MuPDF or libxml2 sees it;
 * one element fewer in the same bytes is laid out. */
static void
test_chapter_elements (void)
{
  g_autofree char            *path = tmp_path ("elements.epub");
  g_autoptr (GString)         body = g_string_new (NULL);
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  g_autoptr (KiosDocument)    doc = NULL;
  g_autoptr (KiosPage)        page = NULL;
  g_autoptr (KiosChapterText) text = NULL;
  g_autofree char            *xhtml = NULL;
  g_autofree char            *under = NULL;
  const char                 *chapters[2];
  gsize                       n = KIOS_LIMIT_CHAPTER_BYTES / (KIOS_LIMIT_ELEMENT_BYTES + 8) + 10;

  for (gsize i = 0; i < n; i++)
    g_string_append (body, "<p>a</p>");
  xhtml = kios_test_xhtml (body->str);
  /* Under a megabyte: the byte limit alone would let it through. */
  g_assert_cmpuint (strlen (xhtml), <, KIOS_LIMIT_CHAPTER_BYTES / 8);
  g_assert_cmpuint (kios_flow_layout_cost (xhtml, strlen (xhtml)), >, KIOS_LIMIT_CHAPTER_BYTES);
  g_string_truncate (body, body->len - 20 * strlen ("<p>a</p>"));
  under = kios_test_xhtml (body->str);
  g_assert_cmpuint (kios_flow_layout_cost (under, strlen (under)), <=, KIOS_LIMIT_CHAPTER_BYTES);

  text = kios_chapter_text_new (xhtml, strlen (xhtml), &error);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_assert_null (text);
  g_clear_error (&error);
  text = kios_chapter_text_new (under, strlen (under), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kios_chapter_text_get_length (text), >, 0);

  chapters[0] = xhtml;
  chapters[1] = under;
  kios_test_epub_write (path, chapters, 2, NULL);
  scan = scan_book (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (kios_archive_scan_get_refusal (scan, "OEBPS/c0.xhtml"), "too many elements"));
  g_assert_null (kios_archive_scan_get_refusal (scan, "OEBPS/c1.xhtml"));

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 0, -1);
  g_assert_nonnull (page->error_message);
  g_assert_nonnull (strstr (page->error_message, "too many elements"));
}

/* Members that each fit, but inflate past KIOS_LIMIT_BOOK_INFLATED together. */
static void
test_book_inflated (void)
{
  g_autofree char            *path = tmp_path ("book-bomb.epub");
  g_autoptr (GError)          error = NULL;
  g_autoptr (GBytes)          deflated = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  g_autoptr (KiosDocument)    doc = NULL;
  Zip                        *zip = epub_start (1, NULL);
  gsize                       member = KIOS_LIMIT_MEMBER_BYTES - 1024;
  guint32                     crc;
  gsize                       size;
  gint64                      start = cpu_us ();

  add_chapter (zip, 0, "<p>Small.</p>");
  deflated = deflate_repeated ("xxxxxxxx", member / 8, &crc, &size);
  for (gint64 total = 0, i = 0; total <= KIOS_LIMIT_BOOK_INFLATED; total += (gint64) size, i++)
    {
      g_autofree char *name = g_strdup_printf ("OEBPS/blob%" G_GINT64_FORMAT ".bin", i);

      zip_add_deflated (zip, name, deflated, crc, (guint32) size);
    }
  zip_write (zip, path);

  scan = scan_book (path, &error);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_assert_null (scan);
  g_clear_error (&error);

  doc = kios_document_open_sync (path, &error);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_assert_null (doc);
  g_assert_cmpint (cpu_us () - start, <, TIME_LIMIT_US);
}

/* A book with more members than KIOS_LIMIT_ZIP_MEMBERS is refused. */
static void
test_members (void)
{
  g_autofree char         *path = tmp_path ("members.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  Zip                     *zip = epub_start (1, NULL);

  add_chapter (zip, 0, "<p>Small.</p>");
  for (guint i = 0; i < KIOS_LIMIT_ZIP_MEMBERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("OEBPS/m%u", i);

      zip_add (zip, name, "x");
    }
  zip_write (zip, path);

  doc = kios_document_open_sync (path, &error);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_assert_nonnull (strstr (error->message, "files inside"));
}

/* A spine longer than KIOS_LIMIT_SPINE_ITEMS is refused, not truncated. */
static void
test_spine (void)
{
  g_autofree char     *path = tmp_path ("spine.epub");
  g_autoptr (GError)   error = NULL;
  g_autoptr (KiosEpub) epub = NULL;
  Zip                 *zip = epub_start (KIOS_LIMIT_SPINE_ITEMS + 1, NULL);

  add_chapter (zip, 0, "<p>Only one is really there.</p>");
  zip_write (zip, path);

  epub = kios_epub_open (path, &error);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_assert_null (epub);
}

/* Style sheets past KIOS_LIMIT_CSS_BYTES and SVG past KIOS_LIMIT_SVG_BYTES. */
static void
test_css_and_svg (void)
{
  g_autofree char            *path = tmp_path ("css-svg.epub");
  g_autoptr (GError)          error = NULL;
  g_autoptr (GBytes)          css = NULL;
  g_autoptr (GBytes)          svg = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  g_autoptr (KiosDocument)    doc = NULL;
  g_autoptr (KiosPage)        page = NULL;
  Zip                        *zip = epub_start (1, "<item id=\"s\" href=\"s.css\" media-type=\"text/css\"/>"
                                                                          "<item id=\"g\" href=\"g.svg\" media-type=\"image/svg+xml\"/>");
  guint32                     crc;
  gsize                       size;

  add_chapter (zip, 0, "<p class=\"a\">Styled.</p><p><img src=\"g.svg\" alt=\"\"/></p>");
  css = deflate_repeated ("p.a { color: red }\n", KIOS_LIMIT_CSS_BYTES / 19 + 1, &crc, &size);
  zip_add_deflated (zip, "OEBPS/s.css", css, crc, (guint32) size);
  svg = deflate_repeated ("<!-- padding -->", KIOS_LIMIT_SVG_BYTES / 16 + 1, &crc, &size);
  zip_add_deflated (zip, "OEBPS/g.svg", svg, crc, (guint32) size);
  zip_write (zip, path);

  scan = scan_book (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/s.css"));
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/g.svg"));

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 0, -1);
  g_assert_null (page->error_message);
}

/* ---- pictures ----------------------------------------------------------- */

static char *
png_header (guint32 width,
            guint32 height)
{
  g_autoptr (GByteArray) png = g_byte_array_new ();
  guint8                 ihdr[17] = { 'I', 'H', 'D', 'R' };
  guint8                 len[4] = { 0, 0, 0, 13 };
  guint8                 crc[4];
  guint32                c;

  for (int i = 0; i < 4; i++)
    {
      ihdr[4 + i] = (width >> (24 - 8 * i)) & 0xff;
      ihdr[8 + i] = (height >> (24 - 8 * i)) & 0xff;
    }
  ihdr[12] = 8;
  ihdr[13] = 2;
  c = (guint32) crc32 (0, ihdr, 17);
  for (int i = 0; i < 4; i++)
    crc[i] = (c >> (24 - 8 * i)) & 0xff;
  g_byte_array_append (png, (const guint8 *) "\x89PNG\r\n\x1a\n", 8);
  g_byte_array_append (png, len, 4);
  g_byte_array_append (png, ihdr, 17);
  g_byte_array_append (png, crc, 4);
  /* No pixel data: a refused picture is never decoded, an accepted one fails to. */
  return g_base64_encode (png->data, png->len);
}

static void
test_image_pixels (void)
{
  g_autofree char            *path = tmp_path ("pixels.epub");
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosArchiveScan) scan = NULL;
  g_autoptr (KiosDocument)    doc = NULL;
  g_autoptr (KiosPage)        page = NULL;
  /* 20000 x 20000 is 400 MP; 6000 x 6000 (36 MP) is under the limit; 70000 x 10 is past a
   * side; the last is named as a style sheet (MuPDF decodes pictures by their bytes). */
  const guint32 sizes[][2] = { { 20000, 20000 }, { 6000, 6000 }, { 70000, 10 }, { 20000, 20000 } };
  Zip          *zip = epub_start (1, NULL);
  GBytes       *stand_in;
  gint64        w, h;
  gint64        start = cpu_us ();

  add_chapter (zip, 0, "<p>Before.</p><p><img src=\"p0.png\" alt=\"\"/></p><p>After.</p>");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char   *b64 = png_header (sizes[i][0], sizes[i][1]);
      g_autofree guint8 *png = NULL;
      gsize              len = 0;
      g_autofree char   *name = g_strdup_printf (i == 3 ? "OEBPS/p%u.css" : "OEBPS/p%u.png", i);

      png = g_base64_decode (b64, &len);
      zip_add_raw (zip, name, 0, png, len, (guint32) crc32 (0, png, (uInt) len), (guint32) len);
    }
  zip_write (zip, path);

  scan = scan_book (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/p0.png"));
  g_assert_nonnull (strstr (kios_archive_scan_get_refusal (scan, "OEBPS/p0.png"), "20000 × 20000"));
  g_assert_null (kios_archive_scan_get_refusal (scan, "OEBPS/p1.png"));
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/p2.png"));
  g_assert_nonnull (kios_archive_scan_get_refusal (scan, "OEBPS/p3.css"));

  /* The stand-in is a small picture MuPDF can decode. */
  stand_in = g_hash_table_lookup (kios_archive_scan_get_replacements (scan), "OEBPS/p0.png");
  g_assert_nonnull (stand_in);
  g_assert_cmpint (kios_image_get_size (g_bytes_get_data (stand_in, NULL), g_bytes_get_size (stand_in), &w, &h),
                   ==, KIOS_IMAGE_SIZE_KNOWN);
  g_assert_cmpint (w * h, <, 1000000);

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 0, -1);
  g_assert_null (page->error_message);
  g_assert_cmpint (cpu_us () - start, <, TIME_LIMIT_US);
}

static void
test_image_headers (void)
{
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b,
                                 0x08, 0x4e, 0x20, 0x9c, 0x40, 0x01, 0x01, 0x11, 0x00 };
  static const guint8 gif[] = { 'G', 'I', 'F', '8', '9', 'a', 0x10, 0x00, 0x08, 0x00 };
  static const guint8 jpeg_cut[] = { 0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 0x00 };
  gint64              w, h;

  g_assert_cmpint (kios_image_get_size (jpeg, sizeof jpeg, &w, &h), ==, KIOS_IMAGE_SIZE_KNOWN);
  g_assert_cmpint (w, ==, 40000);
  g_assert_cmpint (h, ==, 20000);
  g_assert_cmpint (kios_image_get_size (gif, sizeof gif, &w, &h), ==, KIOS_IMAGE_SIZE_KNOWN);
  g_assert_cmpint (w, ==, 16);
  g_assert_cmpint (h, ==, 8);
  g_assert_cmpint (kios_image_get_size (jpeg_cut, sizeof jpeg_cut, &w, &h), ==, KIOS_IMAGE_SIZE_UNKNOWN);
  g_assert_cmpint (kios_image_get_size ((const guint8 *) "<html>", 6, &w, &h), ==, KIOS_IMAGE_SIZE_NOT_IMAGE);
}

/* Whatever asks MuPDF for a block past KIOS_LIMIT_MUPDF_ALLOC (a PDF's
 * picture, which is not scanned ahead) gets an exception, not gigabytes. */
static void
test_mupdf_allocation (void)
{
  fz_context *ctx = kios_mupdf_new_context ();
  fz_pixmap  *pixmap = NULL;
  void       *block = NULL;
  gboolean    refused = FALSE;

  g_assert_nonnull (ctx);
  fz_var (pixmap);
  fz_var (refused);
  fz_try (ctx)
  {
    pixmap = fz_new_pixmap (ctx, fz_device_rgb (ctx), 20000, 20000, NULL, 0);
  }
  fz_catch (ctx)
  {
    refused = TRUE;
  }
  g_assert_true (refused);
  g_assert_null (pixmap);

  /* Under the limit still works. */
  fz_var (block);
  fz_try (ctx)
  {
    block = fz_malloc (ctx, KIOS_LIMIT_MUPDF_ALLOC / 4);
  }
  fz_catch (ctx)
  {
    block = NULL;
  }
  g_assert_nonnull (block);
  fz_free (ctx, block);
  fz_drop_context (ctx);
}

/* ---- layout ------------------------------------------------------------- */

static char *
strip_tags (const char *x,
            gsize       len)
{
  GString *s = g_string_new (NULL);
  gboolean in_tag = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (x[i] == '<')
        in_tag = TRUE;
      else if (x[i] == '>')
        in_tag = FALSE;
      else if (!in_tag && !g_ascii_isspace (x[i]))
        g_string_append_c (s, x[i]);
    }
  return g_string_free (s, FALSE);
}

static void
test_flow_split (void)
{
  g_autoptr (GString) body = g_string_new ("<p class=\"x\">");
  g_autofree char    *xhtml = NULL;
  g_autofree char    *before = NULL;
  g_autofree char    *after = NULL;
  g_autofree char    *after_markup = NULL;
  g_autoptr (GBytes)  split = NULL;
  const char         *out;
  gsize               out_len = 0;
  guint               wrappers = 0;

  for (int i = 0; i < 4000; i++)
    g_string_append (body, i == 2000 ? "<b id=\"m\">bold " : i == 2500 ? "end</b> "
                                                                       : "word ");
  g_string_append (body, "</p><p>Short.</p>");
  xhtml = kios_test_xhtml (body->str);

  /* Under the limit: nothing to do. */
  g_assert_null (kios_flow_split (xhtml, strlen (xhtml), strlen (xhtml)));

  split = kios_flow_split (xhtml, strlen (xhtml), 4096);
  g_assert_nonnull (split);
  out = g_bytes_get_data (split, &out_len);
  for (const char *p = out; (p = g_strstr_len (p, (gssize) (out + out_len - p), "class=\"kios-flow\"")) != NULL; p++)
    wrappers++;
  /* 20 000 bytes of text in flows of at most 4 KiB. */
  g_assert_cmpuint (wrappers, >=, 4);
  after_markup = g_strndup (out, out_len);
  /* The same text, and the bold run reopened where it was cut. */
  before = strip_tags (xhtml, strlen (xhtml));
  after = strip_tags (out, out_len);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (g_regex_match_simple ("</b></div><div class=\"kios-flow\" id=\"kios-piece-[0-9]+-[0-9]+\"><b id=\"m\">",
                                       after_markup, 0, 0));
  /* Every wrapper closes inside the paragraph. */
  g_assert_nonnull (g_strstr_len (out, (gssize) out_len, "</div></p><p>Short.</p>"));
}

/* A paragraph of 4 MB: every page at any position costs a bounded walk
 * (it was quadratic: each page walked the whole paragraph). */
static void
test_long_paragraph (void)
{
  g_autofree char         *path = tmp_path ("paragraph.epub");
  g_autoptr (GError)       error = NULL;
  g_autoptr (GString)      body = g_string_new ("<p>");
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     page = NULL;
  g_autofree char         *xhtml = NULL;
  const char              *chapters[1];
  gint64                   start;

  while (body->len < (4u << 20))
    g_string_append (body, "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ");
  g_string_append (body, "</p>");
  xhtml = kios_test_xhtml (body->str);
  chapters[0] = xhtml;
  kios_test_epub_write (path, chapters, 1, NULL);

  start = cpu_us ();
  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 0, 90);
  g_assert_null (page->error_message);
  g_assert_cmpint (page->location.chapter, ==, 0);
  g_assert_cmpint (page->location.page, >, 100);
  /* Measured 1.1 s of CPU on the 2-core machine; 9 s without the cut. */
  g_assert_cmpint (cpu_us () - start, <, 4 * G_USEC_PER_SEC);
}

/* ---- sync replies ------------------------------------------------------- */

/* A KOReader sync reply of "document": "…" padded to exactly len bytes. */
static GBytes *
kosync_reply (gsize len)
{
  GString *s = g_string_new ("{\"document\": \"");

  while (s->len + 2 < len)
    g_string_append_c (s, 'x');
  g_string_append (s, "\"}");
  g_assert_cmpuint (s->len, ==, len);
  return g_string_free_to_bytes (s);
}

/* KIOS_LIMIT_KOSYNC_JSON_BYTES and _DEPTH: a reply at each limit is read,
 * one byte or one level past it is not. */
static void
test_kosync_json (void)
{
  for (gsize past = 0; past <= 1; past++)
    {
      g_autoptr (GBytes)   body = kosync_reply (KIOS_LIMIT_KOSYNC_JSON_BYTES + past);
      g_autoptr (JsonNode) root = NULL;
      g_autoptr (GString)  deep = g_string_new ("{\"a\": ");
      g_autoptr (GBytes)   deep_body = NULL;
      g_autoptr (JsonNode) deep_root = NULL;
      JsonObject          *object = kios_kosync_parse_object (body, &root);

      if (past)
        g_assert_null (object);
      else
        g_assert_nonnull (kios_kosync_object_string (object, "document"));

      /* The object is one level; the arrays make up the rest. */
      for (gsize i = 1; i < KIOS_LIMIT_KOSYNC_JSON_DEPTH + past; i++)
        g_string_append_c (deep, '[');
      for (gsize i = 1; i < KIOS_LIMIT_KOSYNC_JSON_DEPTH + past; i++)
        g_string_append_c (deep, ']');
      g_string_append (deep, ", \"document\": \"d\"}");
      deep_body = g_bytes_new (deep->str, deep->len);
      object = kios_kosync_parse_object (deep_body, &deep_root);
      if (past)
        g_assert_null (object);
      else
        g_assert_cmpstr (kios_kosync_object_string (object, "document"), ==, "d");
    }
}

/* ---- private files ------------------------------------------------------ */

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, mode);
}

static void
test_private_files (void)
{
  g_autofree char         *path = tmp_path ("private.epub");
  g_autofree char         *png = tmp_path ("page.png");
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosDocument) doc = NULL;
  g_autoptr (KiosPage)     page = NULL;
  g_autoptr (GBytes)       deflated = NULL;
  g_autofree char         *cache = NULL;
  g_autofree char         *clean = NULL;
  g_autofree char         *data = NULL;
  g_autofree char         *books = NULL;
  g_autoptr (GDir)         dir = NULL;
  const char              *name;
  guint                    n_copies = 0;
  Zip                     *zip = epub_start (2, NULL);
  guint32                  crc;
  gsize                    size;

  /* A directory left open by an older version is made private. */
  data = g_build_filename (g_get_user_data_dir (), "kios", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data, 0755), ==, 0);
  g_assert_cmpint (g_chmod (data, 0755), ==, 0);
  g_free (kios_paths_data_dir ());
  assert_mode (data, 0700);
  books = kios_paths_books_dir ();
  assert_mode (books, 0700);

  /* 9 MiB: a chapter refused from its header, so MuPDF gets a copy. */
  deflated = deflate_repeated ("        ", (gsize) 9 << 17, &crc, &size);
  zip_add_deflated (zip, "OEBPS/c0.xhtml", deflated, crc, (guint32) size);
  add_chapter (zip, 1, "<p>Fine.</p>");
  zip_write (zip, path);

  doc = kios_document_open_sync (path, &error);
  g_assert_no_error (error);
  page = render (doc, 1, -1);
  g_assert_true (kios_page_save_png (page, png, &error));
  g_assert_no_error (error);
  assert_mode (png, 0600);

  cache = kios_paths_cache_dir ();
  assert_mode (cache, 0700);
  clean = kios_paths_cache_subdir ("clean-epubs");
  assert_mode (clean, 0700);
  dir = g_dir_open (clean, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *copy = g_build_filename (clean, name, NULL);

      assert_mode (copy, 0600);
      n_copies++;
    }
  /* The copy MuPDF reads, with a stand-in for the refused chapter. */
  g_assert_cmpuint (n_copies, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  tmp_dir = g_dir_make_tmp ("kios-limits-XXXXXX", NULL);

  kios_test_add_func ("/kios/limits/chapter-declared-too-large", test_chapter_declared_too_large);
  kios_test_add_func ("/kios/limits/lying-header", test_lying_header);
  kios_test_add_func ("/kios/limits/refusal-remembered", test_refusal_remembered);
  kios_test_add_func ("/kios/limits/book-inflated", test_book_inflated);
  kios_test_add_func ("/kios/limits/chapter-elements", test_chapter_elements);
  kios_test_add_func ("/kios/limits/members", test_members);
  kios_test_add_func ("/kios/limits/spine", test_spine);
  kios_test_add_func ("/kios/limits/css-and-svg", test_css_and_svg);
  kios_test_add_func ("/kios/limits/image-pixels", test_image_pixels);
  kios_test_add_func ("/kios/limits/image-headers", test_image_headers);
  kios_test_add_func ("/kios/limits/mupdf-allocation", test_mupdf_allocation);
  kios_test_add_func ("/kios/limits/flow-split", test_flow_split);
  kios_test_add_func ("/kios/limits/long-paragraph", test_long_paragraph);
  kios_test_add_func ("/kios/limits/private-files", test_private_files);
  kios_test_add_func ("/kios/limits/kosync-json", test_kosync_json);

  status = g_test_run ();

  {
    g_autoptr (GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char      *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *file = tmp_path (name);

        g_unlink (file);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return status;
}
