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
manifest_item_free (ManifestItem *item)
{
  g_free (item->id);
  g_free (item->href);
  g_free (item->media_type);
  g_free (item->properties);
  g_free (item);
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

/* ---- parsing --------------------------------------------------------- */

char *
kios_epub_find_opf_path (const char *path,
                         GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode           *rootfiles;
  char              *fallback = NULL;

  doc = kios_epub_parse_member (path, "META-INF/container.xml", MAX_CONTAINER_SIZE, &local_error);
  if (doc == NULL)
    {
      if (kios_epub_is_not_found (local_error))
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

  doc = kios_epub_parse_member (self->path, ncx_path, MAX_TOC_SIZE, &error);
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

  doc = kios_epub_parse_member (self->path, nav_path, MAX_TOC_SIZE, &error);
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

gboolean
kios_epub_parse_opf (KiosEpub *self,
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

  doc = kios_epub_parse_member (self->path, self->opf_path, MAX_OPF_SIZE, &local_error);
  if (doc == NULL)
    {
      if (kios_epub_is_not_found (local_error))
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

/*
 * Classifies META-INF/encryption.xml. MuPDF 1.21 refuses any book that has
 * META-INF/encryption.xml or META-INF/rights.xml ("EPUB is locked by DRM"),
 * so FONTS_ONLY really means "readable after kios_epub_write_deobfuscated":
 * an encryption.xml that lists nothing counts as FONTS_ONLY too. rights.xml
 * is Adobe ADEPT's licence and always means DRM, as does an encryption.xml
 * we cannot interpret.
 */
void
kios_epub_parse_encryption (KiosEpub *self)
{
  static const char *const names[] = { "META-INF/rights.xml", "META-INF/encryption.xml" };
  g_autoptr (GError)       error = NULL;
  g_autoptr (xmlDoc)       doc = NULL;
  gboolean                 drm = FALSE;
  gboolean                 present[G_N_ELEMENTS (names)];
  xmlNode                 *root;

  /* Both looked for in one walk: most books have neither, and a member a
   * book lacks costs a walk of all its entries. A directory that cannot
   * be walked hides whether either is there. */
  if (!kios_epub_find_members (self->path, names, G_N_ELEMENTS (names), present, &error))
    {
      g_debug ("Cannot tell whether the book is encrypted: %s", error->message);
      self->encryption = KIOS_EPUB_ENCRYPTION_DRM;
      return;
    }
  if (present[0])
    {
      self->encryption = KIOS_EPUB_ENCRYPTION_DRM;
      return;
    }
  if (!present[1])
    return;

  doc = kios_epub_parse_member (self->path, "META-INF/encryption.xml", MAX_ENCRYPTION_SIZE, &error);
  if (doc == NULL)
    {
      if (!kios_epub_is_not_found (error))
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
