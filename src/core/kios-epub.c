/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-epub"

#include "config.h"

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

/* Caps on what we read from a (possibly hostile) book at open time. */
#define MAX_CONTAINER_SIZE KIOS_LIMIT_CONTAINER_BYTES
#define MAX_OPF_SIZE KIOS_LIMIT_OPF_BYTES
#define MAX_TOC_SIZE KIOS_LIMIT_TOC_BYTES
#define MAX_ENCRYPTION_SIZE KIOS_LIMIT_ENCRYPTION_BYTES
/* What read_member() allows when the caller passes 0. */
#define DEFAULT_MEMBER_SIZE KIOS_LIMIT_MEMBER_BYTES
#define MAX_ZIP_ENTRIES KIOS_LIMIT_ZIP_MEMBERS
#define MAX_TOC_ENTRIES KIOS_LIMIT_TOC_ENTRIES
#define MAX_SPINE_ITEMS KIOS_LIMIT_SPINE_ITEMS

#define IDPF_FONT_ALGORITHM "http://www.idpf.org/2008/embedding"
#define ADOBE_FONT_ALGORITHM "http://ns.adobe.com/pdf/enc#RC"
#define IDPF_OBFUSCATED_LEN 1040
#define ADOBE_OBFUSCATED_LEN 1024

typedef enum {
  OBFUSCATION_IDPF = 1,
  OBFUSCATION_ADOBE,
} Obfuscation;

struct _KiosEpub
{
  gatomicrefcount ref_count;

  char  *path;
  char  *opf_path;
  char  *title;
  char **authors;
  char  *language;
  char  *version;
  char  *cover_href;
  char  *unique_identifier;
  char  *uuid_identifier; /* first urn:uuid identifier, for Adobe's key */

  GPtrArray  *spine;            /* KiosSpineItem */
  GHashTable *spine_index;      /* zip path → index + 1, first occurrence */
  GHashTable *spine_index_fold; /* the same, keys ASCII-lowercased (owned) */
  GPtrArray  *toc;              /* KiosTocEntry */
  GHashTable *obfuscated;       /* zip path → Obfuscation */

  KiosEpubEncryption encryption;
};

typedef struct
{
  char *id;
  char *href;
  char *media_type;
  char *properties;
} ManifestItem;

/* ---- small helpers ---------------------------------------------------- */

static void
spine_item_free (KiosSpineItem *item)
{
  g_free (item->id);
  g_free (item->href);
  g_free (item->media_type);
  g_free (item);
}

static void
manifest_item_free (ManifestItem *item)
{
  g_free (item->id);
  g_free (item->href);
  g_free (item->media_type);
  g_free (item->properties);
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

static gboolean
is_element (xmlNode    *node,
            const char *local_name)
{
  if (node == NULL || node->type != XML_ELEMENT_NODE)
    return FALSE;
  return g_strcmp0 ((const char *) node->name, local_name) == 0;
}

static xmlNode *
first_element (xmlNode    *parent,
               const char *local_name)
{
  if (parent == NULL)
    return NULL;
  for (xmlNode *n = parent->children; n != NULL; n = n->next)
    if (is_element (n, local_name))
      return n;
  return NULL;
}

/* An attribute by local name, whatever its namespace (books are sloppy with
 * the opf: prefix). Returns a newly allocated string or NULL. */
static char *
get_attr (xmlNode    *node,
          const char *local_name)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    {
      if (g_strcmp0 ((const char *) a->name, local_name) == 0)
        {
          xmlChar *v = xmlNodeGetContent ((xmlNode *) a);
          char    *ret = g_strdup ((const char *) v);

          xmlFree (v);
          return ret;
        }
    }
  return NULL;
}

/* epub:type, which must be namespaced: a plain `type` is something else. */
static char *
get_epub_type (xmlNode *node)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    {
      const char *name = (const char *) a->name;

      if ((g_strcmp0 (name, "type") == 0 && a->ns != NULL) || g_strcmp0 (name, "epub:type") == 0)
        {
          xmlChar *v = xmlNodeGetContent ((xmlNode *) a);
          char    *ret = g_strdup ((const char *) v);

          xmlFree (v);
          return ret;
        }
    }
  return NULL;
}

static gboolean
has_token (const char *list,
           const char *token)
{
  g_auto (GStrv) tokens = NULL;

  if (list == NULL)
    return FALSE;
  tokens = g_strsplit_set (list, " \t\r\n", -1);
  for (int i = 0; tokens[i] != NULL; i++)
    if (g_strcmp0 (tokens[i], token) == 0)
      return TRUE;
  return FALSE;
}

/* Text content with whitespace runs collapsed, or NULL when empty. */
static char *
collapsed_text (xmlNode *node)
{
  xmlChar *raw = xmlNodeGetContent (node);
  GString *out;
  gboolean space = FALSE;

  if (raw == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = (const char *) raw; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        space = TRUE;
      else
        {
          if (space && out->len > 0)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_c (out, *p);
        }
    }
  xmlFree (raw);
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static char *
dirname_of (const char *zip_path)
{
  const char *slash = strrchr (zip_path, '/');

  if (slash == NULL)
    return g_strdup ("");
  return g_strndup (zip_path, (gsize) (slash - zip_path));
}

static gboolean
has_uri_scheme (const char *s)
{
  if (!g_ascii_isalpha (s[0]))
    return FALSE;
  for (const char *p = s + 1; *p != '\0'; p++)
    {
      if (*p == ':')
        return TRUE;
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '-' && *p != '.')
        return FALSE;
    }
  return FALSE;
}

static char *
percent_decode (const char *s)
{
  char *decoded = g_uri_unescape_string (s, NULL);

  /* Invalid escapes or an encoded NUL: keep the text as written. */
  return decoded != NULL ? decoded : g_strdup (s);
}

/*
 * Resolves an href found in the zip member `base_file` to a full zip path:
 * fragment split off (and decoded), query dropped, percent-decoded, "." and
 * ".." segments folded ("..", above the root, stays at the root as in
 * MuPDF). An href with a URI scheme is returned unchanged (it names no zip
 * member). Returns NULL for an empty href.
 */
static char *
resolve_href (const char *base_file,
              const char *href,
              char      **fragment_out)
{
  g_autofree char      *path_part = NULL;
  g_autofree char      *decoded = NULL;
  g_autofree char      *joined = NULL;
  g_auto (GStrv)        segments = NULL;
  g_autoptr (GPtrArray) out = NULL;
  const char           *hash;
  char                 *query;

  if (fragment_out != NULL)
    *fragment_out = NULL;
  if (href == NULL)
    return NULL;
  while (g_ascii_isspace (*href))
    href++;
  if (*href == '\0')
    return NULL;

  if (has_uri_scheme (href))
    return g_strdup (href);

  hash = strchr (href, '#');
  if (hash != NULL)
    {
      path_part = g_strndup (href, (gsize) (hash - href));
      if (fragment_out != NULL && hash[1] != '\0')
        *fragment_out = percent_decode (hash + 1);
    }
  else
    path_part = g_strdup (href);
  query = strchr (path_part, '?');
  if (query != NULL)
    *query = '\0';
  g_strchomp (path_part);

  /* "#id" alone points into the referring document itself. */
  if (path_part[0] == '\0')
    return g_strdup (base_file);

  decoded = percent_decode (path_part);
  if (decoded[0] == '/')
    joined = g_strdup (decoded);
  else
    {
      g_autofree char *dir = dirname_of (base_file);

      joined = dir[0] != '\0' ? g_strconcat (dir, "/", decoded, NULL) : g_strdup (decoded);
    }

  segments = g_strsplit (joined, "/", -1);
  out = g_ptr_array_new ();
  for (int i = 0; segments[i] != NULL; i++)
    {
      const char *seg = segments[i];

      if (seg[0] == '\0' || strcmp (seg, ".") == 0)
        continue;
      if (strcmp (seg, "..") == 0)
        {
          if (out->len > 0)
            g_ptr_array_remove_index (out, out->len - 1);
          continue;
        }
      g_ptr_array_add (out, (gpointer) seg);
    }
  g_ptr_array_add (out, NULL);
  return g_strjoinv ("/", (char **) out->pdata);
}

/* ---- zip access -------------------------------------------------------- */

/* libarchive's message for the last error, never NULL. */
static const char *
archive_message (struct archive *a)
{
  const char *msg = archive_error_string (a);

  return msg != NULL ? msg : "unknown error";
}

/*
 * An entry's name as UTF-8 (what the OPF uses), whatever the locale: the
 * plain pathname is converted to the locale's charset, which fails for
 * non-ASCII names under LC_ALL=C. Falls back to the raw name.
 */
static const char *
entry_name (struct archive_entry *entry)
{
  const char *name = archive_entry_pathname_utf8 (entry);

  return name != NULL ? name : archive_entry_pathname (entry);
}

static struct archive *
open_archive (const char *path,
              GError    **error)
{
  struct archive *a = archive_read_new ();

  archive_read_support_format_zip_seekable (a);
  if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
    {
      g_autofree char *msg = g_strdup (archive_error_string (a));

      archive_read_free (a);

      if (g_access (path, R_OK) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot open “%s”: %s", path, g_strerror (saved));
        }
      else
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                     "Cannot read “%s” as a zip archive: %s", path,
                     msg != NULL ? msg : "unknown error");
      return NULL;
    }
  return a;
}

/* Reads the current entry's data, failing past max_size bytes. */
static GBytes *
read_entry_data (struct archive *a,
                 const char     *zip_path,
                 gsize           max_size,
                 GError        **error)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  guint8                 chunk[64 * 1024];

  for (;;)
    {
      ssize_t r = archive_read_data (a, chunk, sizeof chunk);

      if (r == 0)
        break;
      if (r < 0)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                       "Cannot read “%s” from the book: %s", zip_path,
                       archive_message (a));
          return NULL;
        }
      if (buf->len + (gsize) r > max_size)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                       "“%s” is larger than the limit of %" G_GSIZE_FORMAT " bytes",
                       zip_path, max_size);
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) r);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/*
 * Reads one member by its full path: an exact name match, else the first
 * case-insensitive one (MuPDF looks zip names up case-insensitively, and
 * books written on Windows rely on it). Each call has its own handle.
 */
static GBytes *
read_member_from (const char *path,
                  const char *zip_path,
                  gsize       max_size,
                  GError    **error)
{
  struct archive       *a;
  struct archive_entry *entry;
  GBytes               *bytes = NULL;
  int                   fold_index = -1;

  a = open_archive (path, error);
  if (a == NULL)
    return NULL;

  for (int pass = 0; pass < 2 && bytes == NULL; pass++)
    {
      gboolean found = FALSE;

      if (pass == 1)
        {
          if (fold_index < 0)
            break;
          archive_read_free (a);
          a = open_archive (path, error);
          if (a == NULL)
            return NULL;
        }

      for (int i = 0; i < MAX_ZIP_ENTRIES; i++)
        {
          const char *name;
          int         r = archive_read_next_header (a, &entry);

          if (r == ARCHIVE_EOF)
            break;
          if (r == ARCHIVE_FATAL)
            {
              g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                           "The zip directory of “%s” is damaged: %s", path,
                           archive_message (a));
              archive_read_free (a);
              return NULL;
            }
          name = entry_name (entry);
          if (name == NULL)
            continue;
          if (pass == 0 && strcmp (name, zip_path) == 0)
            found = TRUE;
          else if (pass == 0 && fold_index < 0 && g_ascii_strcasecmp (name, zip_path) == 0)
            fold_index = i;
          else if (pass == 1 && i == fold_index)
            found = TRUE;

          if (found)
            {
              la_int64_t size = archive_entry_size_is_set (entry) ? archive_entry_size (entry) : 0;

              if (size > (la_int64_t) max_size)
                {
                  g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                               "“%s” is larger than the limit of %" G_GSIZE_FORMAT " bytes",
                               zip_path, max_size);
                  archive_read_free (a);
                  return NULL;
                }
              bytes = read_entry_data (a, zip_path, max_size, error);
              archive_read_free (a);
              return bytes;
            }
        }
    }

  archive_read_free (a);
  g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND,
               "The book has no member “%s”", zip_path);
  return NULL;
}

/* Whether the bytes declare an entity (in a DOCTYPE internal subset). */
static gboolean
declares_entities (const char *data,
                   gsize       len)
{
  static const char needle[] = "<!ENTITY";
  const gsize       n = sizeof needle - 1;

  for (gsize i = 0; i + n <= len; i++)
    if (data[i] == '<' && memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/*
 * Parses XML from the book. Entity declarations have no place in any EPUB
 * XML file we read (EPUB forbids internal DTD subsets); refusing them makes an
 * entity bomb an error instead of a document with the references silently
 * left as text.
 */
static xmlDoc *
parse_member (const char *path,
              const char *zip_path,
              gsize       max_size,
              GError    **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  const char        *data;
  gsize              len;

  bytes = read_member_from (path, zip_path, max_size, error);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &len);
  if (data != NULL && declares_entities (data, len))
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” declares XML entities, which EPUB does not allow", zip_path);
      return NULL;
    }
  doc = kios_xml_parse (data != NULL ? data : "", len, zip_path, &local_error);
  if (doc == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” is not well-formed XML: %s", zip_path,
                   local_error != NULL ? local_error->message : "parse error");
      return NULL;
    }
  if (xmlDocGetRootElement (doc) == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” has no root element", zip_path);
      return NULL;
    }
  return g_steal_pointer (&doc);
}

/* Whether the error means "this member is not in the zip". */
static gboolean
is_not_found (const GError *error)
{
  return g_error_matches (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND);
}

/* ---- parsing --------------------------------------------------------- */

static char *
find_opf_path (const char *path,
               GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode           *rootfiles;
  char              *fallback = NULL;

  doc = parse_member (path, "META-INF/container.xml", MAX_CONTAINER_SIZE, &local_error);
  if (doc == NULL)
    {
      if (is_not_found (local_error))
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                     "“%s” has no META-INF/container.xml", path);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  rootfiles = first_element (xmlDocGetRootElement (doc), "rootfiles");
  for (xmlNode *n = rootfiles != NULL ? rootfiles->children : NULL; n != NULL; n = n->next)
    {
      g_autofree char *full_path = NULL;
      g_autofree char *media_type = NULL;

      if (!is_element (n, "rootfile"))
        continue;
      full_path = get_attr (n, "full-path");
      if (full_path == NULL || full_path[0] == '\0')
        continue;
      media_type = get_attr (n, "media-type");
      if (g_strcmp0 (media_type, "application/oebps-package+xml") == 0)
        {
          g_free (fallback);
          return resolve_href ("", full_path, NULL);
        }
      if (fallback == NULL)
        fallback = resolve_href ("", full_path, NULL);
    }

  if (fallback == NULL)
    g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                 "META-INF/container.xml of “%s” names no package document", path);
  return fallback;
}

static void
parse_metadata (KiosEpub   *self,
                xmlNode    *package,
                GHashTable *manifest)
{
  xmlNode              *metadata = first_element (package, "metadata");
  g_autoptr (GPtrArray) authors = g_ptr_array_new ();
  g_autofree char      *unique_id_ref = get_attr (package, "unique-identifier");
  g_autofree char      *cover_id = NULL;
  char                 *first_identifier = NULL;

  self->version = get_attr (package, "version");
  if (self->version != NULL)
    g_strstrip (self->version);

  /* OPF 2 books sometimes wrap everything in <dc-metadata>. */
  if (metadata != NULL && first_element (metadata, "dc-metadata") != NULL)
    metadata = first_element (metadata, "dc-metadata");

  for (xmlNode *n = metadata != NULL ? metadata->children : NULL; n != NULL; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;

      if (is_element (n, "title") && self->title == NULL)
        self->title = collapsed_text (n);
      else if (is_element (n, "creator"))
        {
          char *name = collapsed_text (n);

          if (name != NULL)
            g_ptr_array_add (authors, name);
        }
      else if (is_element (n, "language") && self->language == NULL)
        self->language = collapsed_text (n);
      else if (is_element (n, "identifier"))
        {
          g_autofree char *id = get_attr (n, "id");
          xmlChar         *raw = xmlNodeGetContent (n);
          char            *value = g_strdup (raw != NULL ? (const char *) raw : "");
          g_autofree char *trimmed = g_strstrip (g_strdup (value));

          xmlFree (raw);
          if (self->uuid_identifier == NULL && g_ascii_strncasecmp (trimmed, "urn:uuid:", 9) == 0)
            self->uuid_identifier = g_strdup (trimmed);
          if (self->unique_identifier == NULL && unique_id_ref != NULL)
            {
              if (g_strcmp0 (id, unique_id_ref) == 0)
                self->unique_identifier = g_strdup (value);
            }
          if (first_identifier == NULL)
            first_identifier = g_steal_pointer (&value);
          g_free (value);
        }
      else if (is_element (n, "meta") && cover_id == NULL)
        {
          g_autofree char *name = get_attr (n, "name");

          if (g_strcmp0 (name, "cover") == 0)
            cover_id = get_attr (n, "content");
        }
    }

  if (self->unique_identifier == NULL)
    self->unique_identifier = g_steal_pointer (&first_identifier);
  g_free (first_identifier);

  g_ptr_array_add (authors, NULL);
  self->authors = (char **) g_ptr_array_free (g_steal_pointer (&authors), FALSE);

  /* EPUB 3's cover-image property wins over EPUB 2's <meta name="cover">. */
  {
    GHashTableIter iter;
    ManifestItem  *item;

    g_hash_table_iter_init (&iter, manifest);
    while (self->cover_href == NULL && g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
      if (has_token (item->properties, "cover-image"))
        self->cover_href = g_strdup (item->href);
  }
  if (self->cover_href == NULL && cover_id != NULL)
    {
      ManifestItem *item = g_hash_table_lookup (manifest, g_strstrip (cover_id));

      if (item != NULL)
        self->cover_href = g_strdup (item->href);
    }
}

static void
add_toc_entry (KiosEpub   *self,
               const char *title,
               int         level,
               const char *href,
               const char *base_file)
{
  KiosTocEntry *entry;

  if (self->toc->len >= MAX_TOC_ENTRIES || href == NULL)
    return;
  entry = g_new0 (KiosTocEntry, 1);
  entry->href = resolve_href (base_file, href, &entry->fragment);
  if (entry->href == NULL)
    {
      kios_toc_entry_free (entry);
      return;
    }
  entry->title = g_strdup (title != NULL ? title : "");
  entry->level = level;
  entry->chapter = kios_epub_find_spine_index (self, entry->href);
  g_ptr_array_add (self->toc, entry);
}

static void
parse_ncx_points (KiosEpub   *self,
                  xmlNode    *parent,
                  int         level,
                  const char *ncx_path)
{
  for (xmlNode *n = parent->children; n != NULL; n = n->next)
    {
      xmlNode         *label;
      xmlNode         *content;
      g_autofree char *title = NULL;
      g_autofree char *src = NULL;

      if (!is_element (n, "navPoint"))
        continue;
      label = first_element (n, "navLabel");
      if (label != NULL)
        title = collapsed_text (first_element (label, "text") != NULL
                                    ? first_element (label, "text")
                                    : label);
      content = first_element (n, "content");
      if (content != NULL)
        src = get_attr (content, "src");
      add_toc_entry (self, title, level, src, ncx_path);
      parse_ncx_points (self, n, level + 1, ncx_path);
    }
}

static void
parse_ncx (KiosEpub   *self,
           const char *ncx_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode           *nav_map;

  doc = parse_member (self->path, ncx_path, MAX_TOC_SIZE, &error);
  if (doc == NULL)
    {
      g_debug ("No NCX table of contents: %s", error->message);
      return;
    }
  nav_map = first_element (xmlDocGetRootElement (doc), "navMap");
  if (nav_map != NULL)
    parse_ncx_points (self, nav_map, 0, ncx_path);
}

/* The first <a href> at or below `node`, for headings written as <span>. */
static xmlNode *
first_link (xmlNode *node)
{
  for (xmlNode *n = node->children; n != NULL; n = n->next)
    {
      xmlNode *found;

      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (is_element (n, "a"))
        {
          xmlChar *href = xmlGetProp (n, (const xmlChar *) "href");

          if (href != NULL)
            {
              xmlFree (href);
              return n;
            }
        }
      found = first_link (n);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
parse_nav_list (KiosEpub   *self,
                xmlNode    *ol,
                int         level,
                const char *nav_path)
{
  for (xmlNode *li = ol->children; li != NULL; li = li->next)
    {
      xmlNode *label = NULL;
      xmlNode *link;
      xmlNode *sub = NULL;

      if (!is_element (li, "li"))
        continue;
      for (xmlNode *c = li->children; c != NULL; c = c->next)
        {
          if (label == NULL && (is_element (c, "a") || is_element (c, "span")))
            label = c;
          else if (sub == NULL && is_element (c, "ol"))
            sub = c;
        }

      /* A heading without a link leads to its first linked descendant. */
      link = label != NULL && is_element (label, "a") ? label : first_link (li);
      if (label != NULL && link != NULL)
        {
          g_autofree char *title = collapsed_text (label);
          g_autofree char *href = get_attr (link, "href");

          if (title == NULL)
            title = get_attr (label, "title");
          add_toc_entry (self, title, level, href, nav_path);
        }
      if (sub != NULL)
        parse_nav_list (self, sub, level + 1, nav_path);
    }
}

static xmlNode *
find_toc_nav (xmlNode *node)
{
  for (xmlNode *n = node; n != NULL; n = n->next)
    {
      xmlNode *found;

      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (is_element (n, "nav"))
        {
          g_autofree char *type = get_epub_type (n);

          if (has_token (type, "toc"))
            return n;
        }
      found = find_toc_nav (n->children);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
parse_nav (KiosEpub   *self,
           const char *nav_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode           *nav;
  xmlNode           *ol;

  doc = parse_member (self->path, nav_path, MAX_TOC_SIZE, &error);
  if (doc == NULL)
    {
      g_debug ("No EPUB 3 navigation document: %s", error->message);
      return;
    }
  nav = find_toc_nav (xmlDocGetRootElement (doc));
  if (nav == NULL)
    return;
  ol = first_element (nav, "ol");
  if (ol != NULL)
    parse_nav_list (self, ol, 0, nav_path);
}

static gboolean
parse_opf (KiosEpub *self,
           GError  **error)
{
  g_autoptr (GError)     local_error = NULL;
  g_autoptr (xmlDoc)     doc = NULL;
  g_autoptr (GHashTable) manifest = NULL;
  g_autofree char       *toc_id = NULL;
  xmlNode               *package;
  xmlNode               *node;
  ManifestItem          *ncx_item = NULL;
  ManifestItem          *nav_item = NULL;

  doc = parse_member (self->path, self->opf_path, MAX_OPF_SIZE, &local_error);
  if (doc == NULL)
    {
      if (is_not_found (local_error))
        g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                     "The package document “%s” named by META-INF/container.xml is missing",
                     self->opf_path);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  package = xmlDocGetRootElement (doc);
  if (!is_element (package, "package"))
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "“%s” is not an OPF package document (root element <%s>)",
                   self->opf_path, (const char *) package->name);
      return FALSE;
    }

  manifest = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                    (GDestroyNotify) manifest_item_free);
  node = first_element (package, "manifest");
  for (xmlNode *n = node != NULL ? node->children : NULL; n != NULL; n = n->next)
    {
      g_autofree char *href = NULL;
      ManifestItem    *item;

      if (!is_element (n, "item"))
        continue;
      item = g_new0 (ManifestItem, 1);
      item->id = get_attr (n, "id");
      href = get_attr (n, "href");
      item->href = resolve_href (self->opf_path, href, NULL);
      item->media_type = get_attr (n, "media-type");
      item->properties = get_attr (n, "properties");
      /* The first of two items with one id wins, like MuPDF's linear scan. */
      if (item->id == NULL || item->href == NULL || g_hash_table_contains (manifest, item->id))
        {
          manifest_item_free (item);
          continue;
        }
      g_hash_table_insert (manifest, item->id, item);
      if (nav_item == NULL && has_token (item->properties, "nav"))
        nav_item = item;
      if (ncx_item == NULL && g_strcmp0 (item->media_type, "application/x-dtbncx+xml") == 0)
        ncx_item = item;
    }

  parse_metadata (self, package, manifest);

  node = first_element (package, "spine");
  if (node != NULL)
    toc_id = get_attr (node, "toc");
  for (xmlNode *n = node != NULL ? node->children : NULL; n != NULL; n = n->next)
    {
      g_autofree char *idref = NULL;
      ManifestItem    *item;
      KiosSpineItem   *spine_item;

      if (!is_element (n, "itemref"))
        continue;
      idref = get_attr (n, "idref");
      item = idref != NULL ? g_hash_table_lookup (manifest, idref) : NULL;
      /* MuPDF's (and crengine's) rule: an unknown idref is no chapter at
       * all, while linear="no" items are kept. */
      if (item == NULL)
        continue;
      /* MuPDF would lay out every one of them: refuse, do not truncate. */
      if (self->spine->len >= MAX_SPINE_ITEMS)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                       "The book has more than %d chapters, the limit", MAX_SPINE_ITEMS);
          return FALSE;
        }
      spine_item = g_new0 (KiosSpineItem, 1);
      spine_item->id = g_strdup (item->id);
      spine_item->href = g_strdup (item->href);
      spine_item->media_type = g_strdup (item->media_type);
      g_ptr_array_add (self->spine, spine_item);
      if (!g_hash_table_contains (self->spine_index, spine_item->href))
        g_hash_table_insert (self->spine_index, spine_item->href,
                             GUINT_TO_POINTER (self->spine->len));
      {
        char *folded = g_ascii_strdown (spine_item->href, -1);

        if (!g_hash_table_contains (self->spine_index_fold, folded))
          g_hash_table_insert (self->spine_index_fold, folded,
                               GUINT_TO_POINTER (self->spine->len));
        else
          g_free (folded);
      }
    }

  if (self->spine->len == 0)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "The spine of “%s” lists no item of its manifest", self->opf_path);
      return FALSE;
    }

  if (toc_id != NULL && g_hash_table_lookup (manifest, toc_id) != NULL)
    ncx_item = g_hash_table_lookup (manifest, toc_id);

  if (nav_item != NULL)
    parse_nav (self, nav_item->href);
  if (self->toc->len == 0 && ncx_item != NULL)
    parse_ncx (self, ncx_item->href);

  return TRUE;
}

static gboolean
has_member (const char *path,
            const char *zip_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = read_member_from (path, zip_path, 64 * 1024, &error);

  return bytes != NULL || !is_not_found (error);
}

/*
 * Classifies META-INF/encryption.xml. MuPDF 1.21 refuses any book that has
 * META-INF/encryption.xml or META-INF/rights.xml ("EPUB is locked by DRM"),
 * so FONTS_ONLY really means "readable after kios_epub_write_deobfuscated":
 * an encryption.xml that lists nothing counts as FONTS_ONLY too. rights.xml
 * is Adobe ADEPT's licence and always means DRM, as does an encryption.xml
 * we cannot interpret.
 */
static void
parse_encryption (KiosEpub *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  gboolean           drm = FALSE;
  xmlNode           *root;

  if (has_member (self->path, "META-INF/rights.xml"))
    {
      self->encryption = KIOS_EPUB_ENCRYPTION_DRM;
      return;
    }

  doc = parse_member (self->path, "META-INF/encryption.xml", MAX_ENCRYPTION_SIZE, &error);
  if (doc == NULL)
    {
      if (!is_not_found (error))
        {
          /* We cannot tell what is encrypted, so we cannot promise it is not. */
          g_debug ("Unreadable META-INF/encryption.xml: %s", error->message);
          self->encryption = KIOS_EPUB_ENCRYPTION_DRM;
        }
      return;
    }
  root = xmlDocGetRootElement (doc);
  if (!is_element (root, "encryption"))
    {
      g_debug ("META-INF/encryption.xml has the root element <%s>", (const char *) root->name);
      self->encryption = KIOS_EPUB_ENCRYPTION_DRM;
      return;
    }

  for (xmlNode *n = root->children; n != NULL; n = n->next)
    {
      xmlNode         *method;
      xmlNode         *cipher;
      xmlNode         *reference;
      g_autofree char *algorithm = NULL;
      g_autofree char *uri = NULL;
      g_autofree char *zip_path = NULL;

      if (is_element (n, "EncryptedKey"))
        {
          drm = TRUE;
          continue;
        }
      if (!is_element (n, "EncryptedData"))
        continue;
      method = first_element (n, "EncryptionMethod");
      algorithm = method != NULL ? get_attr (method, "Algorithm") : NULL;
      cipher = first_element (n, "CipherData");
      reference = cipher != NULL ? first_element (cipher, "CipherReference") : NULL;
      uri = reference != NULL ? get_attr (reference, "URI") : NULL;
      zip_path = resolve_href ("", uri, NULL);

      if (zip_path != NULL && g_strcmp0 (algorithm, IDPF_FONT_ALGORITHM) == 0)
        g_hash_table_insert (self->obfuscated, g_steal_pointer (&zip_path),
                             GINT_TO_POINTER (OBFUSCATION_IDPF));
      else if (zip_path != NULL && g_strcmp0 (algorithm, ADOBE_FONT_ALGORITHM) == 0)
        g_hash_table_insert (self->obfuscated, g_steal_pointer (&zip_path),
                             GINT_TO_POINTER (OBFUSCATION_ADOBE));
      else
        drm = TRUE;
    }

  self->encryption = drm ? KIOS_EPUB_ENCRYPTION_DRM : KIOS_EPUB_ENCRYPTION_FONTS_ONLY;
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

  self->opf_path = find_opf_path (path, error);
  if (self->opf_path == NULL)
    return NULL;
  if (!parse_opf (self, error))
    return NULL;
  parse_encryption (self);

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

  return read_member_from (self->path, zip_path,
                           max_size != 0 ? max_size : DEFAULT_MEMBER_SIZE, error);
}

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
                   archive_message (w));
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

  a = open_archive (self->path, error);
  if (a == NULL)
    return FALSE;

  for (int i = 0; i < MAX_ZIP_ENTRIES; i++)
    {
      g_autoptr (GBytes) bytes = NULL;
      g_autofree guint8 *data = NULL;
      const char        *name;
      gpointer           kind;
      gsize              len;
      int                r = archive_read_next_header (a, &entry);

      if (r == ARCHIVE_EOF)
        break;
      if (r == ARCHIVE_FATAL)
        {
          g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                       "The zip directory of “%s” is damaged: %s", self->path,
                       archive_message (a));
          archive_read_free (a);
          return FALSE;
        }
      name = entry_name (entry);
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

      bytes = read_entry_data (a, name, DEFAULT_MEMBER_SIZE, error);
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
                 archive_message (w));
  if (ok)
    ok = copy_members (self, w, replacements, error);
  if (archive_write_close (w) != ARCHIVE_OK && ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot finish the zip: %s",
                   archive_message (w));
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
