/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-archive-limits"

#include "config.h"

#include "kios-archive-limits.h"

#include "kios-error.h"
#include "kios-flow-split.h"
#include "kios-limits.h"
#include "kios-mupdf.h"
#include "kios-paths.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* The first bytes of a picture kept to find its size: JPEG's size comes
 * after its APP segments (EXIF, ICC profiles), which are rarely above 1 MB. */
#define IMAGE_HEAD_BYTES (1u << 20)

typedef enum {
  KIND_OTHER = 0,
  KIND_CHAPTER,
  KIND_CSS,
  KIND_SVG,
} MemberKind;

struct _KiosArchiveScan
{
  GHashTable *refusals;     /* name -> message */
  GHashTable *replacements; /* name -> GBytes */
  gint64      inflated;
  guint       n_members;
  gboolean    from_cache; /* a clean verdict read back for the unchanged file */
};

void
kios_archive_scan_free (KiosArchiveScan *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->refusals);
  g_hash_table_unref (self->replacements);
  g_free (self);
}

const char *
kios_archive_scan_get_refusal (KiosArchiveScan *self,
                               const char      *name)
{
  GHashTableIter iter;
  gpointer       key, value;
  const char    *message;

  g_return_val_if_fail (self != NULL && name != NULL, NULL);

  message = g_hash_table_lookup (self->refusals, name);
  if (message != NULL)
    return message;
  /* MuPDF finds members case-insensitively; so must the refusals. */
  g_hash_table_iter_init (&iter, self->refusals);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_ascii_strcasecmp (key, name) == 0)
      return value;
  return NULL;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

GStrv
kios_archive_scan_get_refusals (KiosArchiveScan *self)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  GHashTableIter        iter;
  gpointer              value;

  g_return_val_if_fail (self != NULL, NULL);

  g_hash_table_iter_init (&iter, self->refusals);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, g_strdup (value));
  g_ptr_array_sort (list, compare_strings);
  g_ptr_array_add (list, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&list), FALSE);
}

GHashTable *
kios_archive_scan_get_replacements (KiosArchiveScan *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->replacements;
}

gint64
kios_archive_scan_get_inflated (KiosArchiveScan *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->inflated;
}

guint
kios_archive_scan_get_n_members (KiosArchiveScan *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_members;
}

/* ---- picture headers --------------------------------------------------- */

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint16
be16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
le32 (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) ((p[1] << 8) | p[0]);
}

static KiosImageSize
jpeg_size (const guint8 *d,
           gsize         len,
           gint64       *width,
           gint64       *height)
{
  gsize p = 2;

  while (p + 4 <= len)
    {
      guint8 marker;
      gsize  seg;

      if (d[p] != 0xff)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      marker = d[p + 1];
      if (marker == 0xff)
        {
          p++;
          continue;
        }
      /* Markers without a length. */
      if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
        {
          p += 2;
          continue;
        }
      seg = be16 (d + p + 2);
      if (seg < 2)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        {
          if (p + 9 > len)
            return KIOS_IMAGE_SIZE_UNKNOWN;
          *height = be16 (d + p + 5);
          *width = be16 (d + p + 7);
          return KIOS_IMAGE_SIZE_KNOWN;
        }
      p += 2 + seg;
    }
  return KIOS_IMAGE_SIZE_UNKNOWN;
}

static KiosImageSize
tiff_size (const guint8 *d,
           gsize         len,
           gint64       *width,
           gint64       *height)
{
  gboolean big = d[0] == 'M';
  guint32  ifd = big ? be32 (d + 4) : le32 (d + 4);
  guint16  n;
  gint64   w = -1, h = -1;

  if ((gsize) ifd + 2 > len)
    return KIOS_IMAGE_SIZE_UNKNOWN;
  n = big ? be16 (d + ifd) : le16 (d + ifd);
  for (guint i = 0; i < n; i++)
    {
      const guint8 *e = d + ifd + 2 + (gsize) i * 12;
      guint16       tag, type;
      guint32       value;

      if ((gsize) (e - d) + 12 > len)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      tag = big ? be16 (e) : le16 (e);
      type = big ? be16 (e + 2) : le16 (e + 2);
      if (type == 3)
        value = big ? be16 (e + 8) : le16 (e + 8);
      else
        value = big ? be32 (e + 8) : le32 (e + 8);
      if (tag == 256)
        w = value;
      else if (tag == 257)
        h = value;
    }
  if (w < 0 || h < 0)
    return KIOS_IMAGE_SIZE_UNKNOWN;
  *width = w;
  *height = h;
  return KIOS_IMAGE_SIZE_KNOWN;
}

/* The next decimal number of a PNM header, skipping blanks and comments. */
static gboolean
pnm_number (const guint8 *d,
            gsize         len,
            gsize        *p,
            gint64       *out)
{
  gint64 v = 0;
  int    digits = 0;

  while (*p < len)
    {
      if (d[*p] == '#')
        while (*p < len && d[*p] != '\n')
          (*p)++;
      else if (g_ascii_isspace (d[*p]))
        (*p)++;
      else
        break;
    }
  while (*p < len && g_ascii_isdigit (d[*p]) && digits < 12)
    {
      v = v * 10 + (d[*p] - '0');
      (*p)++;
      digits++;
    }
  *out = v;
  return digits > 0;
}

static KiosImageSize
jpx_size (const guint8 *d,
          gsize         len,
          gint64       *width,
          gint64       *height)
{
  /* A raw codestream: SOC then SIZ (Xsiz, Ysiz, XOsiz, YOsiz). */
  if (len >= 4 && d[0] == 0xff && d[1] == 0x4f && d[2] == 0xff && d[3] == 0x51)
    {
      if (len < 28)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      *width = (gint64) be32 (d + 8) - be32 (d + 16);
      *height = (gint64) be32 (d + 12) - be32 (d + 20);
      return KIOS_IMAGE_SIZE_KNOWN;
    }
  /* A JP2 file: the image header box. */
  for (gsize p = 12; p + 16 <= len; p++)
    if (memcmp (d + p, "ihdr", 4) == 0)
      {
        *height = be32 (d + p + 4);
        *width = be32 (d + p + 8);
        return KIOS_IMAGE_SIZE_KNOWN;
      }
  return KIOS_IMAGE_SIZE_UNKNOWN;
}

KiosImageSize
kios_image_get_size (const guint8 *d,
                     gsize         len,
                     gint64       *width,
                     gint64       *height)
{
  *width = *height = 0;

  if (len >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0)
    {
      if (len < 24 || memcmp (d + 12, "IHDR", 4) != 0)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      *width = be32 (d + 16);
      *height = be32 (d + 20);
      return KIOS_IMAGE_SIZE_KNOWN;
    }
  if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
    return jpeg_size (d, len, width, height);
  if (len >= 6 && (memcmp (d, "GIF87a", 6) == 0 || memcmp (d, "GIF89a", 6) == 0))
    {
      if (len < 10)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      *width = le16 (d + 6);
      *height = le16 (d + 8);
      return KIOS_IMAGE_SIZE_KNOWN;
    }
  if (len >= 2 && d[0] == 'B' && d[1] == 'M')
    {
      guint32 header;

      if (len < 26)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      header = le32 (d + 14);
      if (header == 12)
        {
          *width = le16 (d + 18);
          *height = le16 (d + 20);
        }
      else
        {
          *width = ABS ((gint64) (gint32) le32 (d + 18));
          *height = ABS ((gint64) (gint32) le32 (d + 22));
        }
      return KIOS_IMAGE_SIZE_KNOWN;
    }
  if (len >= 4 && (memcmp (d, "II*\0", 4) == 0 || memcmp (d, "MM\0*", 4) == 0))
    {
      if (len < 8)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      return tiff_size (d, len, width, height);
    }
  if (len >= 4 && memcmp (d, "8BPS", 4) == 0)
    {
      if (len < 22)
        return KIOS_IMAGE_SIZE_UNKNOWN;
      *height = be32 (d + 14);
      *width = be32 (d + 18);
      return KIOS_IMAGE_SIZE_KNOWN;
    }
  if (len >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6' && g_ascii_isspace (d[2]))
    {
      gsize p = 2;

      if (!pnm_number (d, len, &p, width) || !pnm_number (d, len, &p, height))
        return KIOS_IMAGE_SIZE_UNKNOWN;
      return KIOS_IMAGE_SIZE_KNOWN;
    }
  if ((len >= 12 && memcmp (d, "\0\0\0\x0cjP  \r\n\x87\n", 12) == 0) ||
      (len >= 4 && d[0] == 0xff && d[1] == 0x4f && d[2] == 0xff && d[3] == 0x51))
    return jpx_size (d, len, width, height);

  return KIOS_IMAGE_SIZE_NOT_IMAGE;
}

/* ---- stand-ins --------------------------------------------------------- */

static GBytes *
notice_chapter (const char *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  char            *xhtml = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                                       "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>"
                                                       "Not shown</title></head><body><p>This chapter is not shown: "
                                                       "%s.</p></body></html>",
                                            escaped);

  return g_bytes_new_take (xhtml, strlen (xhtml));
}

static GBytes *
notice_svg (const char *title)
{
  g_autofree char *escaped = g_markup_escape_text (title, -1);
  char            *svg = g_strdup_printf ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" "
                                                     "height=\"200\" viewBox=\"0 0 600 200\"><rect width=\"600\" "
                                                     "height=\"200\" fill=\"#ddd\"/><text x=\"300\" y=\"105\" "
                                                     "font-size=\"22\" text-anchor=\"middle\">%s</text></svg>",
                                          escaped);

  return g_bytes_new_take (svg, strlen (svg));
}

/* A PNG saying why the picture is not shown (grey when the notice cannot be drawn). */
static GBytes *
notice_png (fz_context *caller_ctx,
            const char *title,
            const char *detail)
{
  fz_context *ctx = caller_ctx != NULL ? caller_ctx : kios_mupdf_new_context ();
  fz_pixmap  *pixmap = NULL;
  fz_buffer  *buffer = NULL;
  GBytes     *bytes = NULL;

  if (ctx == NULL)
    return g_bytes_new_static ("", 0);
  pixmap = kios_mupdf_render_notice (ctx, title, detail, 600, 400, 0x000000, 0xdddddd);

  fz_var (pixmap);
  fz_var (buffer);
  fz_var (bytes);
  fz_try (ctx)
  {
    if (pixmap == NULL)
      {
        pixmap = fz_new_pixmap (ctx, fz_device_gray (ctx), 60, 20, NULL, 0);
        fz_clear_pixmap_with_value (ctx, pixmap, 0xdd);
      }
    buffer = fz_new_buffer_from_pixmap_as_png (ctx, pixmap, fz_default_color_params);
    {
      unsigned char *data = NULL;
      size_t         len = fz_buffer_storage (ctx, buffer, &data);

      bytes = g_bytes_new (data, len);
    }
  }
  fz_always (ctx)
  {
    fz_drop_buffer (ctx, buffer);
    fz_drop_pixmap (ctx, pixmap);
  }
  fz_catch (ctx)
  {
    bytes = NULL;
  }
  if (ctx != caller_ctx)
    fz_drop_context (ctx);
  return bytes != NULL ? bytes : g_bytes_new_static ("", 0);
}

/* ---- the scan ---------------------------------------------------------- */

static gboolean
has_suffix (const char *name,
            const char *suffix)
{
  gsize n = strlen (name), s = strlen (suffix);

  return n >= s && g_ascii_strcasecmp (name + n - s, suffix) == 0;
}

static MemberKind
member_kind (GHashTable *spine,
             const char *name)
{
  if (has_suffix (name, ".svg"))
    return KIND_SVG;
  if (g_hash_table_contains (spine, name) || has_suffix (name, ".xhtml") ||
      has_suffix (name, ".html") || has_suffix (name, ".htm"))
    return KIND_CHAPTER;
  if (has_suffix (name, ".css"))
    return KIND_CSS;
  return KIND_OTHER;
}

static gsize
kind_limit (MemberKind kind)
{
  switch (kind)
    {
    case KIND_CHAPTER:
      return KIOS_LIMIT_CHAPTER_BYTES;
    case KIND_CSS:
      return KIOS_LIMIT_CSS_BYTES;
    case KIND_SVG:
      return KIOS_LIMIT_SVG_BYTES;
    case KIND_OTHER:
    default:
      return KIOS_LIMIT_MEMBER_BYTES;
    }
}

static void
refuse (KiosArchiveScan *self,
        fz_context      *ctx,
        const char      *name,
        MemberKind       kind,
        char            *message)
{
  GBytes *stand_in;

  g_debug ("Refusing %s: %s", name, message);
  if (kind == KIND_CHAPTER)
    stand_in = notice_chapter (message);
  else if (kind == KIND_SVG)
    stand_in = notice_svg ("Picture not shown: too large");
  else
    stand_in = g_bytes_new_static ("", 0);
  g_hash_table_replace (self->refusals, g_strdup (name), message);
  g_hash_table_replace (self->replacements, g_strdup (name), stand_in);
}

static void
refuse_image (KiosArchiveScan *self,
              fz_context      *ctx,
              const char      *name,
              gint64           width,
              gint64           height)
{
  char            *message = g_strdup_printf ("the picture “%s” is %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                                              " pixels, more than the limit of %d megapixels",
                                              name, width, height, (int) (KIOS_LIMIT_IMAGE_PIXELS / 1000000));
  g_autofree char *detail = g_strdup_printf ("It is %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                                             " pixels; Kios shows pictures up to %d megapixels.",
                                             width, height, (int) (KIOS_LIMIT_IMAGE_PIXELS / 1000000));

  g_debug ("Refusing %s: %s", name, message);
  g_hash_table_replace (self->refusals, g_strdup (name), message);
  g_hash_table_replace (self->replacements, g_strdup (name),
                        notice_png (ctx, "Picture too large to show", detail));
}

static struct archive *
open_zip (const char *path,
          GError    **error)
{
  struct archive *a = archive_read_new ();

  archive_read_support_format_zip_seekable (a);
  if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "Cannot read “%s” as a zip archive: %s", path,
                   archive_error_string (a) != NULL ? archive_error_string (a) : "unknown error");
      archive_read_free (a);
      return NULL;
    }
  return a;
}

/* Inflates the current member, keeping at most `keep` bytes, stopping past `limit`.
 * Returns the bytes inflated (limit + 1 when stopped), or -1 on a read error. */
static gint64
inflate_member (struct archive *a,
                gsize           limit,
                gsize           keep,
                GByteArray     *kept)
{
  guint8 chunk[64 * 1024];
  gint64 total = 0;

  for (;;)
    {
      la_ssize_t r = archive_read_data (a, chunk, sizeof chunk);

      if (r == 0)
        return total;
      if (r < 0)
        return -1;
      if (kept != NULL && kept->len < keep)
        g_byte_array_append (kept, chunk, (guint) MIN ((gsize) r, keep - kept->len));
      total += r;
      if ((guint64) total > limit)
        return (gint64) limit + 1;
    }
}

static gboolean
scan_member (KiosArchiveScan      *self,
             fz_context           *ctx,
             struct archive       *a,
             struct archive_entry *entry,
             const char           *name,
             MemberKind            kind,
             GByteArray           *kept,
             GError              **error)
{
  gsize            limit = kind_limit (kind);
  g_autofree char *limit_text = g_format_size_full (limit, G_FORMAT_SIZE_IEC_UNITS);
  gsize            keep = kind == KIND_CHAPTER ? limit : IMAGE_HEAD_BYTES;
  gint64           declared = archive_entry_size_is_set (entry) ? archive_entry_size (entry) : -1;
  gint64           inflated;
  gint64           width, height;

  /* The header's word first: nothing is inflated for a member that says it is too big. */
  if (declared > (gint64) limit)
    {
      g_autofree char *size_text = g_format_size_full ((guint64) declared, G_FORMAT_SIZE_IEC_UNITS);

      refuse (self, ctx, name, kind,
              g_strdup_printf ("“%s” unpacks to %s, more than the limit of %s", name, size_text,
                               limit_text));
      return TRUE;
    }

  /* Then while inflating: a header may lie. */
  g_byte_array_set_size (kept, 0);
  inflated = inflate_member (a, limit, keep, kept);
  if (inflated < 0)
    {
      /* MuPDF reports damaged members itself, per chapter; nothing to bound. */
      g_debug ("Cannot inflate %s: %s", name, archive_error_string (a));
      return TRUE;
    }
  self->inflated += MIN (inflated, (gint64) limit);
  if (self->inflated > KIOS_LIMIT_BOOK_INFLATED)
    {
      g_autofree char *book_text = g_format_size_full ((guint64) KIOS_LIMIT_BOOK_INFLATED,
                                                       G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "The book unpacks to more than %s, the limit for a whole book", book_text);
      return FALSE;
    }
  if (inflated > (gint64) limit)
    {
      refuse (self, ctx, name, kind,
              g_strdup_printf ("“%s” unpacks to more than %s, the limit%s", name, limit_text,
                               declared >= 0 ? ", although its zip header says less" : ""));
      return TRUE;
    }

  /* MuPDF decodes a picture by its bytes, whatever its name: every member
   * that is one is measured. */
  if (kind != KIND_SVG)
    {
      switch (kios_image_get_size (kept->data, kept->len, &width, &height))
        {
        case KIOS_IMAGE_SIZE_KNOWN:
          if (width > KIOS_LIMIT_IMAGE_SIDE || height > KIOS_LIMIT_IMAGE_SIDE ||
              width * height > KIOS_LIMIT_IMAGE_PIXELS)
            refuse_image (self, ctx, name, width, height);
          break;
        case KIOS_IMAGE_SIZE_UNKNOWN:
          /* A picture whose size cannot be told before decoding it is not decoded. */
          refuse (self, ctx, name, kind,
                  g_strdup_printf ("the picture “%s” does not say its size where expected", name));
          g_hash_table_replace (self->replacements, g_strdup (name),
                                notice_png (ctx, "Picture not shown", "Its size cannot be read."));
          break;
        case KIOS_IMAGE_SIZE_NOT_IMAGE:
        default:
          break;
        }
    }
  if (kind == KIND_CHAPTER && !g_hash_table_contains (self->refusals, name))
    {
      gsize cost = kios_flow_layout_cost ((const char *) kept->data, kept->len);

      if (cost > KIOS_LIMIT_CHAPTER_BYTES)
        {
          refuse (self, ctx, name, kind,
                  g_strdup_printf ("“%s” holds too many elements to lay out (%" G_GSIZE_FORMAT
                                   "), more than the limit for its length",
                                   name, (cost - kept->len) / KIOS_LIMIT_ELEMENT_BYTES));
          return TRUE;
        }
    }
  if (kind == KIND_CHAPTER && !g_hash_table_contains (self->refusals, name))
    {
      GBytes *split = kios_flow_split ((const char *) kept->data, kept->len, KIOS_LIMIT_FLOW_BYTES);

      if (split != NULL)
        {
          g_debug ("Cutting the long paragraphs of %s into bounded flows", name);
          g_hash_table_replace (self->replacements, g_strdup (name), split);
        }
    }
  return TRUE;
}

/* ---- clean verdicts, kept per file ------------------------------------ */

/* Bumped when what the scan checks changes; with the limits and the
 * version in every verdict, any change there rescans every book. */
#define SCAN_CACHE_VERSION 1
/* A verdict is a few lines: anything larger is not one. */
#define SCAN_CACHE_MAX_BYTES 1024

/* Everything the scan's verdict depends on besides the file itself. */
static char *
scan_cache_rules (void)
{
  return g_strdup_printf ("%d %s %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT
                          " %" G_GINT64_FORMAT " %d %" G_GINT64_FORMAT " %d %d %d %d",
                          SCAN_CACHE_VERSION, PACKAGE_VERSION, KIOS_LIMIT_CHAPTER_BYTES, KIOS_LIMIT_CSS_BYTES,
                          KIOS_LIMIT_SVG_BYTES, KIOS_LIMIT_MEMBER_BYTES, KIOS_LIMIT_BOOK_INFLATED,
                          KIOS_LIMIT_ZIP_MEMBERS, KIOS_LIMIT_IMAGE_PIXELS, KIOS_LIMIT_IMAGE_SIDE,
                          KIOS_LIMIT_FLOW_BYTES, KIOS_LIMIT_ELEMENT_BYTES, KIOS_LIMIT_SIBLING_BLOCKS);
}

/* The file as it is now: any write changes its ctime, which no one can set back.
 * File times come from a coarse clock, so a write within the same tick as
 * the last one can leave them unchanged: settled (nullable) says whether the
 * file last changed long enough ago for its identity to vouch for its
 * contents ("racily clean" otherwise, and not remembered). */
static char *
scan_cache_identity (const char *path,
                     gboolean   *settled)
{
  GStatBuf st;
  gint64   changed_us;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return NULL;
  changed_us = MAX ((gint64) st.st_mtim.tv_sec, (gint64) st.st_ctim.tv_sec) * G_USEC_PER_SEC;
  if (settled != NULL)
    *settled = g_get_real_time () - changed_us >= KIOS_ARCHIVE_SCAN_SETTLE_SECONDS * G_USEC_PER_SEC;
  return g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                          " %ld %" G_GINT64_FORMAT " %ld",
                          (guint64) st.st_dev, (guint64) st.st_ino, (gint64) st.st_size,
                          (gint64) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec,
                          (gint64) st.st_ctim.tv_sec, (long) st.st_ctim.tv_nsec);
}

static char *
scan_cache_path (const char *path)
{
  g_autofree char *dir = kios_paths_cache_subdir ("archive-scans");
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  g_autofree char *name = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);

  return g_build_filename (dir, name, NULL);
}

/* A verdict is hostile until checked: read back only when it is small, names
 * this file, this file unchanged and these rules, and stays within the
 * whole-book limits. */
static gboolean
scan_cache_read (const char *path,
                 const char *identity,
                 gint64     *inflated,
                 guint      *n_members)
{
  g_autofree char *cache = scan_cache_path (path);
  g_autofree char *contents = NULL;
  g_autofree char *rules = scan_cache_rules ();
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  g_auto (GStrv)   lines = NULL;
  gsize            length = 0;
  guint64          total;
  guint64          members;

  if (!g_file_get_contents (cache, &contents, &length, NULL) ||
      length > SCAN_CACHE_MAX_BYTES || memchr (contents, '\0', length) != NULL)
    return FALSE;
  lines = g_strsplit (contents, "\n", 6);
  if (g_strv_length (lines) != 6 || g_strcmp0 (lines[0], rules) != 0 || g_strcmp0 (lines[1], canonical) != 0 ||
      g_strcmp0 (lines[2], identity) != 0 || *lines[5] != '\0' ||
      !g_ascii_string_to_unsigned (lines[3], 10, 0, (guint64) KIOS_LIMIT_BOOK_INFLATED, &total, NULL) ||
      !g_ascii_string_to_unsigned (lines[4], 10, 0, KIOS_LIMIT_ZIP_MEMBERS, &members, NULL))
    return FALSE;
  *inflated = (gint64) total;
  *n_members = (guint) members;
  return TRUE;
}

/* Only a book with nothing refused or replaced is remembered: all the
 * others are scanned at every open. */
static void
scan_cache_write (const char      *path,
                  const char      *identity,
                  KiosArchiveScan *self)
{
  g_autofree char   *cache = scan_cache_path (path);
  g_autofree char   *dir = g_path_get_dirname (cache);
  g_autofree char   *rules = scan_cache_rules ();
  g_autofree char   *canonical = g_canonicalize_filename (path, NULL);
  g_autofree char   *text = NULL;
  g_autoptr (GError) error = NULL;

  /* A name with a line break cannot be told apart from the next field. */
  if (strchr (canonical, '\n') != NULL)
    return;
  text = g_strdup_printf ("%s\n%s\n%s\n%" G_GINT64_FORMAT "\n%u\n", rules, canonical, identity,
                          self->inflated, self->n_members);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_debug ("Cannot create %s: %s", dir, g_strerror (errno));
      return;
    }
  if (!g_file_set_contents_full (cache, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Cannot write %s: %s", cache, error->message);
}

gboolean
kios_archive_scan_is_from_cache (KiosArchiveScan *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->from_cache;
}

/**
 * kios_archive_scan_new:
 * @epub: the opened container (its spine names the chapters)
 * @ctx: (nullable): a MuPDF context to draw placeholder pictures with
 * @error: KIOS_DOCUMENT_ERROR_TOO_COMPLEX past a whole-book limit, _DAMAGED
 */
KiosArchiveScan *
kios_archive_scan_new (KiosEpub   *epub,
                       fz_context *ctx,
                       GError    **error)
{
  g_autoptr (KiosArchiveScan) self = g_new0 (KiosArchiveScan, 1);
  g_autoptr (GHashTable)      spine = g_hash_table_new (g_str_hash, g_str_equal);
  struct archive             *a;
  struct archive_entry       *entry;
  gboolean                    ok = TRUE;
  g_autofree char            *identity = NULL;
  gboolean                    settled = FALSE;
  /* One buffer for every member: no fresh pages to fault in for each. */
  g_autoptr (GByteArray) kept = NULL;

  g_return_val_if_fail (epub != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self->refusals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->replacements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_bytes_unref);

  /* Taken before the scan: a file written during it is not vouched for. */
  identity = scan_cache_identity (kios_epub_get_path (epub), &settled);
  /* The same file, found within every limit before: nothing to inflate. */
  if (identity != NULL && scan_cache_read (kios_epub_get_path (epub), identity, &self->inflated, &self->n_members))
    {
      self->from_cache = TRUE;
      return g_steal_pointer (&self);
    }

  for (guint i = 0; i < kios_epub_get_n_spine_items (epub); i++)
    g_hash_table_add (spine, kios_epub_get_spine_item (epub, i)->href);

  a = open_zip (kios_epub_get_path (epub), error);
  if (a == NULL)
    return NULL;
  kept = g_byte_array_new ();

  while (ok)
    {
      const char *name;
      int         r = archive_read_next_header (a, &entry);

      if (r == ARCHIVE_EOF)
        break;
      if (r == ARCHIVE_FATAL)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                       "The zip directory is damaged: %s",
                       archive_error_string (a) != NULL ? archive_error_string (a) : "unknown error");
          ok = FALSE;
          break;
        }
      if (++self->n_members > KIOS_LIMIT_ZIP_MEMBERS)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                       "The book has more than %d files inside, the limit", KIOS_LIMIT_ZIP_MEMBERS);
          ok = FALSE;
          break;
        }
      if (archive_entry_filetype (entry) != AE_IFREG)
        continue;
      name = archive_entry_pathname_utf8 (entry);
      if (name == NULL)
        name = archive_entry_pathname (entry);
      if (name == NULL)
        continue;
      ok = scan_member (self, ctx, a, entry, name, member_kind (spine, name), kept, error);
    }

  archive_read_free (a);
  if (!ok)
    return NULL;
  if (identity != NULL && settled && g_hash_table_size (self->refusals) == 0 &&
      g_hash_table_size (self->replacements) == 0)
    scan_cache_write (kios_epub_get_path (epub), identity, self);
  return g_steal_pointer (&self);
}
