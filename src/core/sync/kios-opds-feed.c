/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-feed"

#include "config.h"

#include "kios-opds-feed.h"

#include "kios-sync-error.h"
#include "kios-xml.h"

#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_OPDS "http://opds-spec.org/2010/catalog"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_OPENSEARCH "http://a9.com/-/spec/opensearch/1.1/"
#define NS_THREAD "http://purl.org/syndication/thread/1.0"

/* What the UI shows is capped: a hostile feed cannot make one label huge. */
#define MAX_SHORT_TEXT 1024
#define MAX_SUMMARY_TEXT (32 * 1024)
#define MAX_HREF_LEN 8192

/* ------------------------------------------------------------------ */
/* model */

void
kios_opds_link_free (KiosOpdsLink *self)
{
  if (self == NULL)
    return;
  g_free (self->href);
  g_free (self->type);
  g_free (self->rel);
  g_free (self->title);
  g_free (self->facet_group);
  g_free (self);
}

KiosOpdsLink *
kios_opds_link_copy (const KiosOpdsLink *self)
{
  KiosOpdsLink *copy = g_new0 (KiosOpdsLink, 1);

  copy->href = g_strdup (self->href);
  copy->type = g_strdup (self->type);
  copy->rel = g_strdup (self->rel);
  copy->title = g_strdup (self->title);
  copy->length = self->length;
  copy->facet_group = g_strdup (self->facet_group);
  copy->active = self->active;
  copy->count = self->count;
  return copy;
}

static KiosOpdsEntry *
entry_new (void)
{
  KiosOpdsEntry *entry = g_new0 (KiosOpdsEntry, 1);

  entry->authors = g_ptr_array_new_with_free_func (g_free);
  entry->acquisitions = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_opds_link_free);
  entry->series_index = -1;
  return entry;
}

void
kios_opds_entry_free (KiosOpdsEntry *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->title);
  g_ptr_array_unref (self->authors);
  g_free (self->summary);
  g_free (self->language);
  g_free (self->series);
  g_free (self->group);
  g_free (self->cover_href);
  g_free (self->thumbnail_href);
  g_free (self->navigation_href);
  g_ptr_array_unref (self->acquisitions);
  g_free (self->progression_href);
  g_free (self->progression_type);
  g_free (self);
}

KiosOpdsEntry *
kios_opds_entry_copy (const KiosOpdsEntry *self)
{
  KiosOpdsEntry *copy = entry_new ();

  copy->kind = self->kind;
  copy->id = g_strdup (self->id);
  copy->title = g_strdup (self->title);
  for (guint i = 0; i < self->authors->len; i++)
    g_ptr_array_add (copy->authors, g_strdup (self->authors->pdata[i]));
  copy->summary = g_strdup (self->summary);
  copy->language = g_strdup (self->language);
  copy->series = g_strdup (self->series);
  copy->series_index = self->series_index;
  copy->group = g_strdup (self->group);
  copy->cover_href = g_strdup (self->cover_href);
  copy->thumbnail_href = g_strdup (self->thumbnail_href);
  copy->navigation_href = g_strdup (self->navigation_href);
  for (guint i = 0; i < self->acquisitions->len; i++)
    g_ptr_array_add (copy->acquisitions, kios_opds_link_copy (self->acquisitions->pdata[i]));
  copy->progression_href = g_strdup (self->progression_href);
  copy->progression_type = g_strdup (self->progression_type);
  return copy;
}

static KiosOpdsFeed *
feed_new (int         version,
          const char *base_url)
{
  KiosOpdsFeed *feed = g_new0 (KiosOpdsFeed, 1);

  feed->version = version;
  feed->base_url = g_strdup (base_url);
  feed->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_opds_entry_free);
  feed->facets = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_opds_link_free);
  feed->total_results = -1;
  feed->items_per_page = -1;
  return feed;
}

KiosOpdsFeed *
kios_opds_feed_new_empty (const char *base_url)
{
  return feed_new (1, base_url);
}

void
kios_opds_feed_free (KiosOpdsFeed *self)
{
  if (self == NULL)
    return;
  g_free (self->base_url);
  g_free (self->id);
  g_free (self->title);
  g_ptr_array_unref (self->entries);
  g_free (self->next_href);
  g_free (self->previous_href);
  g_free (self->start_href);
  g_free (self->up_href);
  g_free (self->opensearch_href);
  g_free (self->search_template);
  g_ptr_array_unref (self->facets);
  g_free (self);
}

const KiosOpdsEntry *
kios_opds_feed_find_entry (const KiosOpdsFeed *self,
                           const char         *id)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      const KiosOpdsEntry *entry = self->entries->pdata[i];

      if (g_strcmp0 (entry->id, id) == 0)
        return entry;
    }
  return NULL;
}

void
kios_opds_auth_document_free (KiosOpdsAuthDocument *self)
{
  if (self == NULL)
    return;
  g_free (self->title);
  g_free (self);
}

/* ------------------------------------------------------------------ */
/* small helpers */

/* Valid UTF-8, no control characters but newline and tab, at most max bytes. */
static char *
clean_text (const char *text,
            gsize       max)
{
  g_autofree char *valid = NULL;
  GString         *out;
  const char      *p;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (out->len >= max)
        break;
      if (c == '\r')
        continue;
      if (c < 0x20 && c != '\n' && c != '\t')
        c = ' ';
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* clean_text, then whitespace runs folded to one space and the ends trimmed. */
static char *
clean_line (const char *text,
            gsize       max)
{
  g_autofree char *cleaned = clean_text (text, max);
  GString         *out;
  gboolean         space = FALSE;

  if (cleaned == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = cleaned; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_http_url (const char *url)
{
  return g_ascii_strncasecmp (url, "http://", 7) == 0 || g_ascii_strncasecmp (url, "https://", 8) == 0;
}

char *
kios_opds_resolve_href (const char *base_url,
                        const char *href)
{
  g_autofree char    *repaired = NULL;
  g_autoptr (GString) buf = NULL;
  char               *resolved;

  if (href == NULL || *href == '\0' || strlen (href) > MAX_HREF_LEN || !g_utf8_validate (href, -1, NULL))
    return NULL;

  /* Kavita serializes "&" in query strings twice: the parsed value still
   * carries a literal "&amp;" that no server means. */
  buf = g_string_new (href);
  g_string_replace (buf, "&amp;", "&", 0);
  /* Whitespace around hrefs is common in hand-written feeds. */
  repaired = g_strstrip (g_strdup (buf->str));

  if (base_url == NULL)
    resolved = g_strdup (repaired);
  else
    resolved = g_uri_resolve_relative (base_url, repaired, G_URI_FLAGS_NONE, NULL);
  if (resolved == NULL || !is_http_url (resolved))
    {
      g_free (resolved);
      return NULL;
    }
  return resolved;
}

/* "application/epub+zip; charset=x" → "application/epub+zip", lower case. */
static char *
bare_type (const char *type)
{
  const char *semi;

  if (type == NULL)
    return NULL;
  semi = strchr (type, ';');
  return g_strstrip (g_ascii_strdown (type, semi != NULL ? semi - type : -1));
}

const char *
kios_opds_format_from_type (const char *type)
{
  static const struct
  {
    const char *type;
    const char *format;
  } table[] = {
    { "application/epub+zip", "epub" },
    { "application/pdf", "pdf" },
    { "application/vnd.comicbook+zip", "cbz" },
    { "application/x-cbz", "cbz" },
    { "application/zip", "cbz" },
    { "application/vnd.comicbook-rar", "cbr" },
    { "application/x-cbr", "cbr" },
    { "application/x-mobipocket-ebook", "mobi" },
    { "application/vnd.amazon.ebook", "azw3" },
    { "application/x-mobi8-ebook", "azw3" },
    { "application/fb2+zip", "fb2" },
    { "application/x-fictionbook+xml", "fb2" },
    { "text/plain", "txt" },
    { "application/rtf", "rtf" },
    { "application/audiobook+zip", "audiobook" },
    { "application/kepub+zip", "kepub" },
  };
  g_autofree char *bare = bare_type (type);

  if (bare == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (bare, table[i].type))
      return table[i].format;
  if (g_str_equal (bare, "application/octet-stream"))
    return "file";
  return NULL;
}

static gboolean
rel_is_acquisition (const char *rel)
{
  return rel != NULL && g_str_has_prefix (rel, KIOS_OPDS_REL_ACQUISITION);
}

/* Only the generic and open-access acquisitions download without a
 * purchase or loan flow (OPDS.md §1.4). */
static gboolean
rel_is_downloadable (const char *rel)
{
  return g_strcmp0 (rel, KIOS_OPDS_REL_ACQUISITION) == 0 || g_strcmp0 (rel, KIOS_OPDS_REL_ACQUISITION "/open-access") == 0;
}

GPtrArray *
kios_opds_entry_get_formats (const KiosOpdsEntry *self)
{
  GPtrArray *formats = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->acquisitions->len; i++)
    {
      const KiosOpdsLink *link = self->acquisitions->pdata[i];
      const char         *format = kios_opds_format_from_type (link->type);
      gboolean            seen = FALSE;

      if (format == NULL || !rel_is_downloadable (link->rel))
        continue;
      for (guint j = 0; j < formats->len; j++)
        seen = seen || g_str_equal (formats->pdata[j], format);
      if (!seen)
        g_ptr_array_add (formats, g_strdup (format));
    }
  return formats;
}

const KiosOpdsLink *
kios_opds_entry_pick_acquisition (const KiosOpdsEntry *self,
                                  const char          *format)
{
  static const char *const openable[] = { "epub", "pdf" };

  for (guint i = 0; i < self->acquisitions->len; i++)
    {
      const KiosOpdsLink *link = self->acquisitions->pdata[i];
      const char         *f = kios_opds_format_from_type (link->type);

      if (!rel_is_downloadable (link->rel) || f == NULL)
        continue;
      if (format != NULL && g_ascii_strcasecmp (f, format) == 0)
        return link;
    }
  if (format != NULL)
    return NULL;
  for (gsize k = 0; k < G_N_ELEMENTS (openable); k++)
    for (guint i = 0; i < self->acquisitions->len; i++)
      {
        const KiosOpdsLink *link = self->acquisitions->pdata[i];

        if (rel_is_downloadable (link->rel) && g_strcmp0 (kios_opds_format_from_type (link->type), openable[k]) == 0)
          return link;
      }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* search templates */

static char *
escape_component (const char *text)
{
  /* Only unreserved characters stay: CW and calibre put the terms in the
   * path, so "/" and "+" must be escaped too. */
  return g_uri_escape_string (text, NULL, FALSE);
}

char *
kios_opds_expand_search (const char *template_url,
                         const char *query)
{
  g_autofree char *escaped = escape_component (query != NULL ? query : "");
  GString         *out = g_string_new (NULL);
  const char      *p = template_url;

  while (*p != '\0')
    {
      const char      *close;
      char             op;
      g_autofree char *body = NULL;
      g_auto (GStrv)   names = NULL;
      gboolean         first = TRUE;

      if (*p != '{' || (close = strchr (p, '}')) == NULL)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      body = g_strndup (p + 1, close - p - 1);
      p = close + 1;
      op = body[0];
      if (op == '?' || op == '&' || op == '+' || op == '#')
        memmove (body, body + 1, strlen (body));
      else
        op = 0;
      names = g_strsplit (body, ",", 16);
      for (guint i = 0; names[i] != NULL; i++)
        {
          char    *name = g_strstrip (names[i]);
          gsize    len = strlen (name);
          gboolean is_terms;

          /* OpenSearch optional parameters end with "?". */
          if (len > 0 && name[len - 1] == '?')
            name[--len] = '\0';
          if (len > 0 && name[len - 1] == '*')
            name[--len] = '\0';
          is_terms = g_str_equal (name, "searchTerms") || g_str_equal (name, "query");
          if (!is_terms)
            continue;
          if (op == '?' || op == '&')
            {
              g_string_append_c (out, first ? op : '&');
              g_string_append_printf (out, "%s=%s", name, escaped);
            }
          else
            {
              if (!first)
                g_string_append_c (out, ',');
              g_string_append (out, escaped);
            }
          first = FALSE;
        }
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* XML */

static gboolean
xml_is (xmlNode    *node,
        const char *ns,
        const char *name)
{
  if (node == NULL || node->type != XML_ELEMENT_NODE || !xmlStrEqual (node->name, (const xmlChar *) name))
    return FALSE;
  if (ns == NULL)
    return TRUE;
  return node->ns != NULL && xmlStrEqual (node->ns->href, (const xmlChar *) ns);
}

static char *
xml_text (xmlNode *node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char    *text = g_strdup ((const char *) content);

  xmlFree (content);
  return text;
}

static char *
xml_attr (xmlNode    *node,
          const char *name)
{
  xmlChar *value = xmlGetNoNsProp (node, (const xmlChar *) name);
  char    *text = g_strdup ((const char *) value);

  xmlFree (value);
  return text;
}

/* A namespaced attribute, by namespace or, when the server forgot to declare
 * the prefix, by local name (OPDS.md §5). */
static char *
xml_ns_attr (xmlNode    *node,
             const char *ns,
             const char *name)
{
  xmlChar *value = xmlGetNsProp (node, (const xmlChar *) name, (const xmlChar *) ns);
  char    *text;

  if (value == NULL)
    {
      for (xmlAttr *a = node->properties; a != NULL; a = a->next)
        if (xmlStrEqual (a->name, (const xmlChar *) name) && a->children != NULL)
          {
            xmlChar *v = xmlNodeListGetString (node->doc, a->children, 1);
            text = g_strdup ((const char *) v);
            xmlFree (v);
            return text;
          }
      return NULL;
    }
  text = g_strdup ((const char *) value);
  xmlFree (value);
  return text;
}

static gint64
parse_int (const char *text)
{
  gint64 value;

  if (text == NULL || !g_ascii_string_to_signed (g_strstrip ((char *) text), 10, 0, G_MAXINT64, &value, NULL))
    return -1;
  return value;
}

static char *
node_base (xmlDoc     *doc,
           xmlNode    *node,
           const char *fallback)
{
  xmlChar *base = xmlNodeGetBase (doc, node);
  char    *result;

  if (base == NULL)
    return g_strdup (fallback);
  result = g_strdup ((const char *) base);
  xmlFree (base);
  /* A hostile xml:base may point anywhere: only http(s) bases count. */
  if (!is_http_url (result))
    {
      g_free (result);
      return g_strdup (fallback);
    }
  return result;
}

typedef struct
{
  char  *rel;
  char  *type;
  char  *href; /* resolved */
  char  *title;
  gint64 length;
} AtomLink;

static void
atom_link_clear (AtomLink *link)
{
  g_free (link->rel);
  g_free (link->type);
  g_free (link->href);
  g_free (link->title);
}

static gboolean
atom_link_read (xmlDoc     *doc,
                xmlNode    *node,
                const char *base_url,
                AtomLink   *link)
{
  g_autofree char *href = xml_attr (node, "href");
  g_autofree char *base = node_base (doc, node, base_url);
  g_autofree char *rel = xml_attr (node, "rel");
  g_autofree char *length = xml_attr (node, "length");

  memset (link, 0, sizeof *link);
  link->href = kios_opds_resolve_href (base, href);
  if (link->href == NULL)
    return FALSE;
  /* No rel is Atom's "alternate" (Calibre-Web's and calibre's nav links). */
  link->rel = rel != NULL ? g_strstrip (g_strdup (rel)) : g_strdup ("alternate");
  {
    g_autofree char *type = xml_attr (node, "type");
    link->type = clean_line (type, MAX_SHORT_TEXT);
  }
  {
    g_autofree char *title = xml_attr (node, "title");
    link->title = clean_line (title, MAX_SHORT_TEXT);
  }
  link->length = parse_int (length);
  return TRUE;
}

static gboolean
type_is_feed (const char *type)
{
  g_autofree char *lower = type != NULL ? g_ascii_strdown (type, -1) : NULL;

  if (lower == NULL)
    return FALSE;
  if (strstr (lower, "type=entry") != NULL)
    return FALSE;
  return g_str_has_prefix (lower, "application/atom+xml") || g_str_has_prefix (lower, "application/opds+json") || g_str_has_prefix (lower, "application/xml") || g_str_has_prefix (lower, "text/xml");
}

static gboolean
rel_is_navigation (const char *rel)
{
  return g_strcmp0 (rel, "subsection") == 0 || g_strcmp0 (rel, "alternate") == 0 || g_strcmp0 (rel, "related") == 0 || g_strcmp0 (rel, "collection") == 0 || g_str_has_prefix (rel, "http://opds-spec.org/sort/") || g_strcmp0 (rel, "http://opds-spec.org/featured") == 0 || g_strcmp0 (rel, "http://opds-spec.org/recommended") == 0 || g_strcmp0 (rel, "http://opds-spec.org/shelf") == 0 || g_strcmp0 (rel, "http://opds-spec.org/subscriptions") == 0;
}

/* "SERIES: Austen Novels [4]" inside calibre's and Calibre-Web's content. */
static void
parse_series_line (KiosOpdsEntry *entry,
                   const char    *text)
{
  const char      *p = text != NULL ? strstr (text, "SERIES:") : NULL;
  g_autofree char *line = NULL;
  char            *open;

  if (p == NULL || entry->series != NULL)
    return;
  p += strlen ("SERIES:");
  line = g_strndup (p, strcspn (p, "\n"));
  open = strrchr (line, '[');
  if (open != NULL)
    {
      double index = g_ascii_strtod (open + 1, NULL);

      if (index > 0 && index < 1e6)
        entry->series_index = index;
      *open = '\0';
    }
  entry->series = clean_line (line, MAX_SHORT_TEXT);
  if (entry->series != NULL && *entry->series == '\0')
    g_clear_pointer (&entry->series, g_free);
}

/* Appends the character of the HTML entity at p ("&amp;", "&#233;"); returns
 * the last byte consumed. Unknown names stay literal. */
static const char *
decode_entity (GString    *out,
               const char *p)
{
  static const struct
  {
    const char *name;
    gunichar    c;
  } names[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' }, { "nbsp", 0xA0 } };
  const char *semi = strchr (p, ';');
  gsize       n;

  if (semi == NULL || (n = semi - p - 1) == 0 || n > 10)
    {
      g_string_append_c (out, '&');
      return p;
    }
  if (p[1] == '#')
    {
      gunichar c = p[2] == 'x' || p[2] == 'X' ? (gunichar) g_ascii_strtoull (p + 3, NULL, 16)
                                              : (gunichar) g_ascii_strtoull (p + 2, NULL, 10);

      if (c != 0 && g_unichar_validate (c))
        {
          g_string_append_unichar (out, c);
          return semi;
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strlen (names[i].name) == n && strncmp (p + 1, names[i].name, n) == 0)
      {
        g_string_append_unichar (out, names[i].c);
        return semi;
      }
  g_string_append_c (out, '&');
  return p;
}

static char *
strip_markup (const char *html)
{
  GString *out = g_string_new (NULL);
  gboolean in_tag = FALSE;

  for (const char *p = html; *p != '\0'; p++)
    {
      if (*p == '<')
        {
          in_tag = TRUE;
          /* <br> and block ends become line breaks. */
          if (g_ascii_strncasecmp (p, "<br", 3) == 0 || g_ascii_strncasecmp (p, "</p", 3) == 0 || g_ascii_strncasecmp (p, "</div", 5) == 0)
            g_string_append_c (out, '\n');
        }
      else if (*p == '>' && in_tag)
        in_tag = FALSE;
      else if (!in_tag && *p == '&')
        p = decode_entity (out, p);
      else if (!in_tag)
        g_string_append_c (out, *p);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

static char *
atom_content_text (xmlNode *node)
{
  g_autofree char *type = xml_attr (node, "type");
  g_autofree char *text = NULL;

  if (type != NULL && (g_ascii_strcasecmp (type, "html") == 0 || g_ascii_strcasecmp (type, "text/html") == 0))
    {
      g_autofree char *raw = xml_text (node);

      text = strip_markup (raw);
    }
  else if (type != NULL && g_ascii_strcasecmp (type, "xhtml") == 0)
    {
      GString *out = g_string_new (NULL);

      /* Text of the xhtml tree with <br/> as newlines. */
      for (xmlNode *n = node->children; n != NULL;)
        {
          if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
            g_string_append (out, (const char *) n->content);
          else if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, (const xmlChar *) "br"))
            g_string_append_c (out, '\n');
          if (n->type == XML_ELEMENT_NODE && n->children != NULL)
            {
              n = n->children;
              continue;
            }
          while (n != NULL && n->next == NULL && n != node)
            {
              n = n->parent;
              if (n == node)
                break;
              if (xmlStrEqual (n->name, (const xmlChar *) "p") || xmlStrEqual (n->name, (const xmlChar *) "div"))
                g_string_append_c (out, '\n');
            }
          if (n == NULL || n == node)
            break;
          n = n->next;
        }
      text = g_string_free (out, FALSE);
    }
  else
    text = xml_text (node);
  return clean_text (g_strstrip (text), MAX_SUMMARY_TEXT);
}

static void
add_author (KiosOpdsEntry *entry,
            const char    *name)
{
  g_auto (GStrv) parts = NULL;

  if (name == NULL)
    return;
  /* Calibre-Web joins several authors with "|" in one name. */
  parts = g_strsplit (name, "|", 64);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *author = clean_line (parts[i], MAX_SHORT_TEXT);

      if (author != NULL && *author != '\0' && entry->authors->len < 64)
        g_ptr_array_add (entry->authors, author);
      else
        g_free (author);
    }
}

static KiosOpdsEntry *
atom_parse_entry (xmlDoc     *doc,
                  xmlNode    *node,
                  const char *base_url)
{
  g_autoptr (KiosOpdsEntry) entry = entry_new ();
  g_autofree char          *content_text = NULL;
  g_autofree char          *summary_text = NULL;
  g_autofree char          *progression_cantook = NULL;
  g_autofree char          *progression_cantook_type = NULL;
  char                     *nav_fallback = NULL;
  gboolean                  has_acquisition = FALSE;

  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (xml_is (child, NS_ATOM, "title") && entry->title == NULL)
        {
          g_autofree char *t = xml_text (child);
          entry->title = clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_ATOM, "id") && entry->id == NULL)
        {
          g_autofree char *t = xml_text (child);
          entry->id = clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_ATOM, "author"))
        {
          for (xmlNode *n = child->children; n != NULL; n = n->next)
            if (xml_is (n, NS_ATOM, "name"))
              {
                g_autofree char *t = xml_text (n);
                add_author (entry, t);
              }
        }
      else if (xml_is (child, NS_ATOM, "summary") && summary_text == NULL)
        summary_text = atom_content_text (child);
      else if (xml_is (child, NS_ATOM, "content") && content_text == NULL)
        content_text = atom_content_text (child);
      else if ((xml_is (child, NS_DCTERMS, "language") || xml_is (child, NS_DC, "language")) && entry->language == NULL)
        {
          g_autofree char *t = xml_text (child);
          entry->language = clean_line (t, 64);
        }
      else if (xml_is (child, NS_ATOM, "meta"))
        {
          /* Grimmory: EPUB3-style series metadata in the Atom namespace. */
          g_autofree char *property = xml_attr (child, "property");
          g_autofree char *t = xml_text (child);

          if (g_strcmp0 (property, "belongs-to-collection") == 0 && entry->series == NULL)
            entry->series = clean_line (t, MAX_SHORT_TEXT);
          else if (g_strcmp0 (property, "group-position") == 0 && t != NULL)
            {
              double index = g_ascii_strtod (t, NULL);
              if (index > 0 && index < 1e6)
                entry->series_index = index;
            }
        }
      else if (xml_is (child, NS_ATOM, "link"))
        {
          AtomLink link;

          if (!atom_link_read (doc, child, base_url, &link))
            continue;
          if (rel_is_acquisition (link.rel))
            {
              KiosOpdsLink *acq = g_new0 (KiosOpdsLink, 1);

              acq->href = g_steal_pointer (&link.href);
              acq->type = g_steal_pointer (&link.type);
              acq->rel = g_steal_pointer (&link.rel);
              acq->title = g_steal_pointer (&link.title);
              acq->length = link.length;
              acq->count = -1;
              g_ptr_array_add (entry->acquisitions, acq);
              has_acquisition = TRUE;
            }
          else if (g_strcmp0 (link.rel, "http://opds-spec.org/image") == 0 || g_strcmp0 (link.rel, "http://opds-spec.org/cover") == 0)
            {
              if (entry->cover_href == NULL || g_strcmp0 (link.rel, "http://opds-spec.org/image") == 0)
                {
                  g_free (entry->cover_href);
                  entry->cover_href = g_steal_pointer (&link.href);
                }
            }
          else if (g_strcmp0 (link.rel, "http://opds-spec.org/image/thumbnail") == 0 || g_strcmp0 (link.rel, "http://opds-spec.org/thumbnail") == 0)
            {
              if (entry->thumbnail_href == NULL || g_strcmp0 (link.rel, "http://opds-spec.org/image/thumbnail") == 0)
                {
                  g_free (entry->thumbnail_href);
                  entry->thumbnail_href = g_steal_pointer (&link.href);
                }
            }
          else if (g_strcmp0 (link.rel, KIOS_OPDS_REL_PROGRESSION) == 0)
            {
              g_free (entry->progression_href);
              g_free (entry->progression_type);
              entry->progression_href = g_steal_pointer (&link.href);
              entry->progression_type = g_steal_pointer (&link.type);
            }
          else if (g_strcmp0 (link.rel, KIOS_OPDS_REL_CANTOOK_PROGRESSION) == 0)
            {
              g_free (progression_cantook);
              g_free (progression_cantook_type);
              progression_cantook = g_steal_pointer (&link.href);
              progression_cantook_type = g_steal_pointer (&link.type);
            }
          else if (entry->navigation_href == NULL && type_is_feed (link.type) && (rel_is_navigation (link.rel) || g_strcmp0 (link.rel, "start") != 0))
            {
              if (rel_is_navigation (link.rel))
                entry->navigation_href = g_steal_pointer (&link.href);
              else if (nav_fallback == NULL)
                nav_fallback = g_steal_pointer (&link.href);
            }
          atom_link_clear (&link);
        }
    }

  if (entry->navigation_href == NULL)
    entry->navigation_href = nav_fallback;
  else
    g_free (nav_fallback);

  if (entry->progression_href == NULL && progression_cantook != NULL)
    {
      entry->progression_href = g_steal_pointer (&progression_cantook);
      entry->progression_type = g_steal_pointer (&progression_cantook_type);
    }

  /* Per entry, never per feed (OPDS.md §1.2). */
  if (has_acquisition)
    entry->kind = KIOS_OPDS_ENTRY_BOOK;
  else if (entry->navigation_href != NULL)
    entry->kind = KIOS_OPDS_ENTRY_NAVIGATION;
  else
    return NULL;

  entry->summary = summary_text != NULL && *summary_text != '\0' ? g_steal_pointer (&summary_text)
                                                                 : g_steal_pointer (&content_text);
  parse_series_line (entry, entry->summary);
  if (entry->title == NULL || *entry->title == '\0')
    {
      g_free (entry->title);
      entry->title = g_strdup ("Untitled");
    }
  if (entry->id == NULL || *entry->id == '\0')
    {
      g_free (entry->id);
      entry->id = g_strdup (entry->kind == KIOS_OPDS_ENTRY_NAVIGATION
                                ? entry->navigation_href
                                : ((KiosOpdsLink *) entry->acquisitions->pdata[0])->href);
    }
  return g_steal_pointer (&entry);
}

static void
set_once (char **slot,
          char **value)
{
  if (*slot == NULL)
    *slot = g_steal_pointer (value);
}

static void
atom_feed_link (KiosOpdsFeed *feed,
                xmlDoc       *doc,
                xmlNode      *node)
{
  AtomLink link;

  if (!atom_link_read (doc, node, feed->base_url, &link))
    {
      /* A search template may not survive resolution checks only because of
       * its braces; they do resolve, so this is a broken link: skip it. */
      return;
    }
  if (g_strcmp0 (link.rel, "next") == 0)
    set_once (&feed->next_href, &link.href);
  else if (g_strcmp0 (link.rel, "previous") == 0 || g_strcmp0 (link.rel, "prev") == 0)
    set_once (&feed->previous_href, &link.href);
  else if (g_strcmp0 (link.rel, "start") == 0)
    set_once (&feed->start_href, &link.href);
  else if (g_strcmp0 (link.rel, "up") == 0)
    set_once (&feed->up_href, &link.href);
  else if (g_strcmp0 (link.rel, "search") == 0)
    {
      g_autofree char *lower = link.type != NULL ? g_ascii_strdown (link.type, -1) : g_strdup ("");

      if (strstr (lower, "opensearchdescription") != NULL)
        set_once (&feed->opensearch_href, &link.href);
      else if (strstr (link.href, "{searchTerms}") != NULL || strstr (link.href, "{?") != NULL)
        set_once (&feed->search_template, &link.href);
    }
  else if (g_strcmp0 (link.rel, "http://opds-spec.org/facet") == 0)
    {
      KiosOpdsLink    *facet = g_new0 (KiosOpdsLink, 1);
      g_autofree char *group = xml_ns_attr (node, NS_OPDS, "facetGroup");
      g_autofree char *active = xml_ns_attr (node, NS_OPDS, "activeFacet");
      g_autofree char *count = xml_ns_attr (node, NS_THREAD, "count");

      facet->href = g_steal_pointer (&link.href);
      facet->type = g_steal_pointer (&link.type);
      facet->rel = g_steal_pointer (&link.rel);
      facet->title = g_steal_pointer (&link.title);
      facet->length = -1;
      facet->facet_group = clean_line (group, MAX_SHORT_TEXT);
      facet->active = g_strcmp0 (active, "true") == 0;
      facet->count = parse_int (count);
      if (feed->facets->len < 500)
        g_ptr_array_add (feed->facets, facet);
      else
        kios_opds_link_free (facet);
    }
  atom_link_clear (&link);
}

static void
silent_error (void       *ctx,
              const char *msg,
              ...)
{
  (void) ctx;
  (void) msg;
}

static void
silent_structured_error (void       *ctx,
                         xmlErrorPtr err)
{
  (void) ctx;
  (void) err;
}

static xmlDoc *
safe_xml_read (const char *data,
               gsize       len,
               const char *base_url,
               const char *what,
               GError    **error)
{
  /* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, HUGE or RECOVER (OPDS.md §6.2). */
  const int        options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  xmlParserCtxtPtr ctxt;
  xmlDoc          *doc;

  if (len > G_MAXINT)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "The %s is too large", what);
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "Cannot parse the %s", what);
      return NULL;
    }
  /* libxml2 prints to stderr by default; its messages go into our error. */
  xmlSetGenericErrorFunc (NULL, silent_error);
  xmlSetStructuredErrorFunc (NULL, silent_structured_error);
  doc = xmlCtxtReadMemory (ctxt, data, (int) len, base_url, NULL, options);
  if (doc == NULL || !ctxt->wellFormed)
    {
      const xmlError  *err = xmlCtxtGetLastError (ctxt);
      g_autofree char *detail = NULL;

      if (err != NULL && err->message != NULL)
        detail = clean_line (err->message, 200);
      if (err != NULL && (err->code == XML_ERR_INVALID_CHAR || err->code == XML_ERR_INVALID_ENCODING || err->code == XML_ERR_UNSUPPORTED_ENCODING))
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                     "The %s is not valid UTF-8 text (or its declared encoding is wrong)", what);
      else if (err != NULL && (err->code == XML_ERR_ENTITY_LOOP || err->code == XML_ERR_ENTITY_BOUNDARY))
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                     "The %s declares recursive XML entities (an entity bomb): refused", what);
      else if (err != NULL && err->code == XML_ERR_DOCUMENT_END)
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                     "The %s is truncated or has trailing garbage", what);
      else
        g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                     "The %s is not well-formed XML%s%s (line %d)", what,
                     detail != NULL ? ": " : "", detail != NULL ? detail : "", err != NULL ? err->line : 0);
      if (doc != NULL)
        xmlFreeDoc (doc);
      xmlFreeParserCtxt (ctxt);
      return NULL;
    }
  xmlFreeParserCtxt (ctxt);

  /* No catalog needs a DTD: entities in one are a bomb or an attempt to read
   * local files, refused even though they were not expanded. */
  if (doc->intSubset != NULL && (doc->intSubset->entities != NULL || doc->intSubset->pentities != NULL))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The %s declares XML entities, which Kios refuses (a broken or hostile server)", what);
      xmlFreeDoc (doc);
      return NULL;
    }
  return doc;
}

static gboolean
looks_like_html (const char *data,
                 gsize       len)
{
  gsize            n = MIN (len, 1024);
  g_autofree char *head = g_ascii_strdown (data, n);

  return strstr (head, "<!doctype html") != NULL || strstr (head, "<html") != NULL;
}

static void
set_login_page_error (GError **error)
{
  g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                       "A web page answered instead of the catalog (a login page or a wrong URL): "
                       "a login page answered instead of the catalog");
}

static KiosOpdsFeed *
parse_atom (const char *data,
            gsize       len,
            const char *base_url,
            GError    **error)
{
  g_autoptr (xmlDoc)       doc = NULL;
  g_autoptr (KiosOpdsFeed) feed = NULL;
  xmlNode                 *root;

  doc = safe_xml_read (data, len, base_url, "catalog page", error);
  if (doc == NULL)
    {
      if (looks_like_html (data, len))
        {
          g_clear_error (error);
          set_login_page_error (error);
        }
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  if (root != NULL && g_ascii_strcasecmp ((const char *) root->name, "html") == 0)
    {
      set_login_page_error (error);
      return NULL;
    }
  if (!xml_is (root, NS_ATOM, "feed") && !xml_is (root, NS_ATOM, "entry"))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server answered with XML that is not an OPDS catalog (root element “%.40s”)",
                   root != NULL ? (const char *) root->name : "none");
      return NULL;
    }

  feed = feed_new (1, base_url);
  if (xml_is (root, NS_ATOM, "entry"))
    {
      KiosOpdsEntry *entry = atom_parse_entry (doc, root, base_url);

      if (entry != NULL)
        g_ptr_array_add (feed->entries, entry);
      return g_steal_pointer (&feed);
    }

  for (xmlNode *child = root->children; child != NULL; child = child->next)
    {
      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (xml_is (child, NS_ATOM, "entry"))
        {
          KiosOpdsEntry *entry;

          if (feed->entries->len >= KIOS_OPDS_MAX_ENTRIES)
            {
              feed->truncated = TRUE;
              continue;
            }
          entry = atom_parse_entry (doc, child, base_url);
          if (entry != NULL)
            g_ptr_array_add (feed->entries, entry);
        }
      else if (xml_is (child, NS_ATOM, "link"))
        atom_feed_link (feed, doc, child);
      else if (xml_is (child, NS_ATOM, "title") && feed->title == NULL)
        {
          g_autofree char *t = xml_text (child);
          feed->title = clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_ATOM, "id") && feed->id == NULL)
        {
          g_autofree char *t = xml_text (child);
          feed->id = clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_OPENSEARCH, "totalResults"))
        {
          g_autofree char *t = xml_text (child);
          feed->total_results = parse_int (t);
        }
      else if (xml_is (child, NS_OPENSEARCH, "itemsPerPage"))
        {
          g_autofree char *t = xml_text (child);
          feed->items_per_page = parse_int (t);
        }
    }
  return g_steal_pointer (&feed);
}

char *
kios_opds_parse_opensearch (const char *data,
                            gsize       len,
                            const char *base_url,
                            GError    **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode           *root;
  g_autofree char   *best = NULL;
  int                best_score = -1;

  doc = safe_xml_read (data, len, base_url, "search description", error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (root == NULL || !xmlStrEqual (root->name, (const xmlChar *) "OpenSearchDescription"))
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The catalog's search link does not lead to an OpenSearch description");
      return NULL;
    }
  for (xmlNode *child = root->children; child != NULL; child = child->next)
    {
      g_autofree char *template_url = NULL;
      g_autofree char *type = NULL;
      g_autofree char *lower = NULL;
      int              score;

      if (child->type != XML_ELEMENT_NODE || !xmlStrEqual (child->name, (const xmlChar *) "Url"))
        continue;
      template_url = xml_attr (child, "template");
      type = xml_attr (child, "type");
      if (template_url == NULL || strstr (template_url, "{searchTerms}") == NULL)
        continue;
      lower = g_ascii_strdown (type != NULL ? type : "", -1);
      /* Calibre-Web lists a text/html Url first: never pick a web page. */
      if (strstr (lower, "html") != NULL)
        continue;
      score = strstr (lower, "application/atom+xml") != NULL ? 3 : strstr (lower, "opds") != NULL ? 2
                                                                                                  : 1;
      if (score > best_score)
        {
          g_autofree char *base = node_base (doc, child, base_url);
          char            *resolved = kios_opds_resolve_href (base, template_url);

          if (resolved == NULL)
            continue;
          g_free (best);
          best = resolved;
          best_score = score;
        }
    }
  if (best == NULL)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The catalog's search description has no usable search URL");
      return NULL;
    }
  return g_steal_pointer (&best);
}

/* ------------------------------------------------------------------ */
/* JSON */

gboolean
kios_opds_json_check_depth (const char *data,
                            gsize       len,
                            guint       max_depth,
                            GError    **error)
{
  guint    depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            {
              g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The JSON document is nested deeper than %u levels: refused", max_depth);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

static JsonNode *
json_member (JsonObject *object,
             const char *name)
{
  return object != NULL && json_object_has_member (object, name) ? json_object_get_member (object, name) : NULL;
}

static const char *
json_string (JsonNode *node)
{
  const char *s;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  s = json_node_get_string (node);
  /* A lone surrogate escape decodes to invalid UTF-8 (OPDS.md §6.3). */
  return s != NULL && g_utf8_validate (s, -1, NULL) ? s : NULL;
}

static JsonObject *
json_obj (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
json_arr (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static double
json_number (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (type == G_TYPE_STRING)
    return g_ascii_strtod (json_node_get_string (node), NULL);
  return -1;
}

/* A string, or a localized {"en": "…"} object: the first value. */
static const char *
json_text (JsonNode *node)
{
  JsonObject *object = json_obj (node);

  if (object != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (object);

      if (json_object_has_member (object, "en"))
        return json_string (json_object_get_member (object, "en"));
      return members != NULL ? json_string (json_object_get_member (object, members->data)) : NULL;
    }
  return json_string (node);
}

static char *
json_short_rel (const char *rel)
{
  static const char *const short_rels[] = { "acquisition", "open-access", "borrow", "buy", "sample", "subscribe" };

  if (g_strcmp0 (rel, "preview") == 0)
    return g_strdup (KIOS_OPDS_REL_ACQUISITION "/sample");
  for (gsize i = 0; i < G_N_ELEMENTS (short_rels); i++)
    if (g_strcmp0 (rel, short_rels[i]) == 0)
      return g_str_equal (rel, "acquisition") ? g_strdup (KIOS_OPDS_REL_ACQUISITION)
                                              : g_strdup_printf ("%s/%s", KIOS_OPDS_REL_ACQUISITION, rel);
  return g_strdup (rel);
}

/* Every rel of an OPDS 2 link: a string or an array of strings. */
static GPtrArray *
json_link_rels (JsonObject *link)
{
  GPtrArray *rels = g_ptr_array_new_with_free_func (g_free);
  JsonNode  *node = json_member (link, "rel");
  JsonArray *array = json_arr (node);

  if (array != NULL)
    {
      for (guint i = 0; i < json_array_get_length (array) && i < 16; i++)
        {
          const char *rel = json_string (json_array_get_element (array, i));

          if (rel != NULL)
            g_ptr_array_add (rels, json_short_rel (rel));
        }
    }
  else if (json_string (node) != NULL)
    g_ptr_array_add (rels, json_short_rel (json_string (node)));
  return rels;
}

static gboolean
rels_have (GPtrArray  *rels,
           const char *rel)
{
  for (guint i = 0; i < rels->len; i++)
    if (g_str_equal (rels->pdata[i], rel))
      return TRUE;
  return FALSE;
}

static char *
json_link_href (JsonObject *link,
                const char *base_url)
{
  return kios_opds_resolve_href (base_url, json_string (json_member (link, "href")));
}

static void
json_add_authors (KiosOpdsEntry *entry,
                  JsonNode      *node)
{
  JsonArray *array = json_arr (node);

  if (array != NULL)
    {
      for (guint i = 0; i < json_array_get_length (array) && i < 64; i++)
        json_add_authors (entry, json_array_get_element (array, i));
      return;
    }
  if (json_obj (node) != NULL)
    node = json_member (json_obj (node), "name");
  add_author (entry, json_text (node));
}

static void
json_series (KiosOpdsEntry *entry,
             JsonNode      *node)
{
  JsonArray  *array = json_arr (node);
  JsonObject *object;

  if (array != NULL)
    {
      if (json_array_get_length (array) > 0)
        json_series (entry, json_array_get_element (array, 0));
      return;
    }
  object = json_obj (node);
  if (object != NULL)
    {
      double position = json_number (json_member (object, "position"));

      entry->series = clean_line (json_text (json_member (object, "name")), MAX_SHORT_TEXT);
      if (position > 0 && position < 1e6)
        entry->series_index = position;
      return;
    }
  entry->series = clean_line (json_string (node), MAX_SHORT_TEXT);
}

static KiosOpdsEntry *
json_parse_publication (JsonObject *pub,
                        const char *base_url,
                        const char *group)
{
  g_autoptr (KiosOpdsEntry) entry = entry_new ();
  JsonObject               *metadata = json_obj (json_member (pub, "metadata"));
  JsonArray                *links = json_arr (json_member (pub, "links"));
  JsonArray                *images = json_arr (json_member (pub, "images"));
  JsonNode                 *language;
  g_autofree char          *self_href = NULL;
  g_autofree char          *cantook = NULL;
  g_autofree char          *cantook_type = NULL;

  if (metadata == NULL)
    return NULL;
  entry->kind = KIOS_OPDS_ENTRY_BOOK;
  entry->title = clean_line (json_text (json_member (metadata, "title")), MAX_SHORT_TEXT);
  entry->id = clean_line (json_string (json_member (metadata, "identifier")), MAX_SHORT_TEXT);
  json_add_authors (entry, json_member (metadata, "author"));
  {
    g_autofree char *description = clean_text (json_string (json_member (metadata, "description")), MAX_SUMMARY_TEXT);

    if (description != NULL)
      entry->summary = strip_markup (description);
  }
  language = json_member (metadata, "language");
  if (json_arr (language) != NULL && json_array_get_length (json_arr (language)) > 0)
    language = json_array_get_element (json_arr (language), 0);
  entry->language = clean_line (json_string (language), 64);
  {
    JsonObject *belongs = json_obj (json_member (metadata, "belongsTo"));

    if (belongs != NULL)
      json_series (entry, json_member (belongs, "series"));
  }
  entry->group = g_strdup (group);

  for (guint i = 0; links != NULL && i < json_array_get_length (links) && i < 256; i++)
    {
      JsonObject           *link = json_obj (json_array_get_element (links, i));
      g_autoptr (GPtrArray) rels = NULL;
      g_autofree char      *href = NULL;

      if (link == NULL || (href = json_link_href (link, base_url)) == NULL)
        continue;
      rels = json_link_rels (link);
      for (guint r = 0; r < rels->len; r++)
        {
          const char *rel = rels->pdata[r];

          if (rel_is_acquisition (rel))
            {
              KiosOpdsLink *acq = g_new0 (KiosOpdsLink, 1);
              double        length = json_number (json_member (json_obj (json_member (link, "properties")), "size"));

              acq->href = g_strdup (href);
              acq->type = clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
              acq->rel = g_strdup (rel);
              acq->title = clean_line (json_string (json_member (link, "title")), MAX_SHORT_TEXT);
              acq->length = length >= 0 ? (gint64) length : -1;
              acq->count = -1;
              g_ptr_array_add (entry->acquisitions, acq);
              break;
            }
          else if (g_str_equal (rel, KIOS_OPDS_REL_PROGRESSION))
            {
              g_free (entry->progression_href);
              g_free (entry->progression_type);
              entry->progression_href = g_strdup (href);
              entry->progression_type = clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
            }
          else if (g_str_equal (rel, KIOS_OPDS_REL_CANTOOK_PROGRESSION) && cantook == NULL)
            {
              cantook = g_strdup (href);
              cantook_type = clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
            }
          else if (g_str_equal (rel, "self") && self_href == NULL)
            self_href = g_strdup (href);
        }
    }
  if (entry->progression_href == NULL && cantook != NULL)
    {
      entry->progression_href = g_steal_pointer (&cantook);
      entry->progression_type = g_steal_pointer (&cantook_type);
    }

  for (guint i = 0; images != NULL && i < json_array_get_length (images) && i < 64; i++)
    {
      JsonObject *image = json_obj (json_array_get_element (images, i));
      char       *href = image != NULL ? json_link_href (image, base_url) : NULL;

      if (href == NULL)
        continue;
      if (entry->thumbnail_href == NULL)
        entry->thumbnail_href = g_strdup (href);
      g_free (entry->cover_href);
      entry->cover_href = href; /* the last one is usually the largest */
    }

  if (entry->title == NULL || *entry->title == '\0')
    {
      g_free (entry->title);
      entry->title = g_strdup ("Untitled");
    }
  if (entry->id == NULL || *entry->id == '\0')
    {
      g_free (entry->id);
      entry->id = self_href != NULL              ? g_steal_pointer (&self_href)
                  : entry->acquisitions->len > 0 ? g_strdup (((KiosOpdsLink *) entry->acquisitions->pdata[0])->href)
                                                 : NULL;
      if (entry->id == NULL)
        return NULL;
    }
  return g_steal_pointer (&entry);
}

static KiosOpdsEntry *
json_parse_navigation (JsonObject *link,
                       const char *base_url,
                       const char *group)
{
  KiosOpdsEntry *entry;
  char          *href = json_link_href (link, base_url);

  if (href == NULL)
    return NULL;
  entry = entry_new ();
  entry->kind = KIOS_OPDS_ENTRY_NAVIGATION;
  entry->navigation_href = href;
  entry->id = g_strdup (href);
  entry->title = clean_line (json_text (json_member (link, "title")), MAX_SHORT_TEXT);
  if (entry->title == NULL || *entry->title == '\0')
    {
      g_free (entry->title);
      entry->title = g_strdup ("Untitled");
    }
  entry->group = g_strdup (group);
  return entry;
}

static void
json_add_items (KiosOpdsFeed *feed,
                JsonObject   *object,
                const char   *group)
{
  JsonArray *navigation = json_arr (json_member (object, "navigation"));
  JsonArray *publications = json_arr (json_member (object, "publications"));

  for (guint i = 0; navigation != NULL && i < json_array_get_length (navigation); i++)
    {
      JsonObject    *link = json_obj (json_array_get_element (navigation, i));
      KiosOpdsEntry *entry;

      if (feed->entries->len >= KIOS_OPDS_MAX_ENTRIES)
        {
          feed->truncated = TRUE;
          return;
        }
      if (link != NULL && (entry = json_parse_navigation (link, feed->base_url, group)) != NULL)
        g_ptr_array_add (feed->entries, entry);
    }
  for (guint i = 0; publications != NULL && i < json_array_get_length (publications); i++)
    {
      JsonObject    *pub = json_obj (json_array_get_element (publications, i));
      KiosOpdsEntry *entry;

      if (feed->entries->len >= KIOS_OPDS_MAX_ENTRIES)
        {
          feed->truncated = TRUE;
          return;
        }
      if (pub != NULL && (entry = json_parse_publication (pub, feed->base_url, group)) != NULL)
        g_ptr_array_add (feed->entries, entry);
    }
}

static JsonNode *
safe_json_read (const char *data,
                gsize       len,
                const char *what,
                GError    **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError)     local_error = NULL;

  if (!kios_opds_json_check_depth (data, len, KIOS_OPDS_MAX_JSON_DEPTH, error))
    return NULL;
  if (!g_utf8_validate (data, len, NULL))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "The %s is not valid UTF-8 text", what);
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The %s is not valid JSON (truncated or corrupt)", what);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, "The %s is not a JSON object", what);
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

static KiosOpdsFeed *
parse_json (const char *data,
            gsize       len,
            const char *base_url,
            GError    **error)
{
  g_autoptr (JsonNode)     root = NULL;
  g_autoptr (KiosOpdsFeed) feed = NULL;
  JsonObject              *object;
  JsonObject              *metadata;
  JsonArray               *links;
  JsonArray               *groups;
  JsonArray               *facets;

  root = safe_json_read (data, len, "catalog page", error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);
  metadata = json_obj (json_member (object, "metadata"));
  if (json_member (object, "authentication") != NULL)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH,
                           "The catalog answered with its sign-in document: it needs a user name and password");
      return NULL;
    }
  if (metadata == NULL || (json_member (object, "navigation") == NULL && json_member (object, "publications") == NULL && json_member (object, "groups") == NULL))
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The server answered with JSON that is not an OPDS 2 catalog");
      return NULL;
    }

  feed = feed_new (2, base_url);
  feed->title = clean_line (json_text (json_member (metadata, "title")), MAX_SHORT_TEXT);
  {
    double n = json_number (json_member (metadata, "numberOfItems"));
    double per = json_number (json_member (metadata, "itemsPerPage"));

    feed->total_results = n >= 0 ? (gint64) n : -1;
    feed->items_per_page = per >= 0 ? (gint64) per : -1;
  }

  links = json_arr (json_member (object, "links"));
  for (guint i = 0; links != NULL && i < json_array_get_length (links) && i < 256; i++)
    {
      JsonObject           *link = json_obj (json_array_get_element (links, i));
      g_autoptr (GPtrArray) rels = NULL;
      g_autofree char      *href = NULL;

      if (link == NULL || (href = json_link_href (link, base_url)) == NULL)
        continue;
      rels = json_link_rels (link);
      if (rels_have (rels, "next"))
        set_once (&feed->next_href, &href);
      else if (rels_have (rels, "previous") || rels_have (rels, "prev"))
        set_once (&feed->previous_href, &href);
      else if (rels_have (rels, "start"))
        set_once (&feed->start_href, &href);
      else if (rels_have (rels, "up"))
        set_once (&feed->up_href, &href);
      else if (rels_have (rels, "search"))
        {
          const char      *type = json_string (json_member (link, "type"));
          g_autofree char *lower = g_ascii_strdown (type != NULL ? type : "", -1);

          if (strstr (lower, "opensearchdescription") != NULL)
            set_once (&feed->opensearch_href, &href);
          else
            set_once (&feed->search_template, &href);
        }
    }

  json_add_items (feed, object, NULL);
  groups = json_arr (json_member (object, "groups"));
  for (guint i = 0; groups != NULL && i < json_array_get_length (groups) && i < 256; i++)
    {
      JsonObject      *group = json_obj (json_array_get_element (groups, i));
      g_autofree char *title = NULL;

      if (group == NULL)
        continue;
      /* Komga answers searches only in groups (OPDS.md §2.4). */
      title = clean_line (json_text (json_member (json_obj (json_member (group, "metadata")), "title")), MAX_SHORT_TEXT);
      json_add_items (feed, group, title);
    }

  facets = json_arr (json_member (object, "facets"));
  for (guint i = 0; facets != NULL && i < json_array_get_length (facets) && i < 64; i++)
    {
      JsonObject      *facet_group = json_obj (json_array_get_element (facets, i));
      JsonArray       *facet_links = json_arr (json_member (facet_group, "links"));
      g_autofree char *group_title = NULL;

      if (facet_group == NULL)
        continue;
      group_title = clean_line (json_text (json_member (json_obj (json_member (facet_group, "metadata")), "title")),
                                MAX_SHORT_TEXT);
      for (guint j = 0; facet_links != NULL && j < json_array_get_length (facet_links) && feed->facets->len < 500; j++)
        {
          JsonObject           *link = json_obj (json_array_get_element (facet_links, j));
          g_autoptr (GPtrArray) rels = NULL;
          KiosOpdsLink         *facet;
          char                 *href;
          double                count;

          if (link == NULL || (href = json_link_href (link, base_url)) == NULL)
            continue;
          rels = json_link_rels (link);
          facet = g_new0 (KiosOpdsLink, 1);
          facet->href = href;
          facet->title = clean_line (json_text (json_member (link, "title")), MAX_SHORT_TEXT);
          facet->type = clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
          facet->rel = g_strdup ("http://opds-spec.org/facet");
          facet->facet_group = g_strdup (group_title);
          facet->active = rels_have (rels, "self");
          count = json_number (json_member (json_obj (json_member (link, "properties")), "numberOfItems"));
          facet->count = count >= 0 ? (gint64) count : -1;
          facet->length = -1;
          g_ptr_array_add (feed->facets, facet);
        }
    }
  return g_steal_pointer (&feed);
}

KiosOpdsAuthDocument *
kios_opds_auth_document_parse (const char *data,
                               gsize       len,
                               GError    **error)
{
  g_autoptr (JsonNode)  root = safe_json_read (data, len, "sign-in document", error);
  KiosOpdsAuthDocument *doc;
  JsonObject           *object;
  JsonArray            *methods;

  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);
  methods = json_arr (json_member (object, "authentication"));
  if (methods == NULL)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The catalog's sign-in document lists no sign-in method");
      return NULL;
    }
  doc = g_new0 (KiosOpdsAuthDocument, 1);
  doc->title = clean_line (json_text (json_member (object, "title")), MAX_SHORT_TEXT);
  for (guint i = 0; i < json_array_get_length (methods) && i < 64; i++)
    {
      JsonObject *method = json_obj (json_array_get_element (methods, i));

      if (g_strcmp0 (json_string (json_member (method, "type")), "http://opds-spec.org/auth/basic") == 0)
        doc->supports_basic = TRUE;
    }
  return doc;
}

/* ------------------------------------------------------------------ */

static gboolean
first_significant_is_brace (const char *data,
                            gsize       len)
{
  gsize i = 0;

  /* A UTF-8 BOM is accepted. */
  if (len >= 3 && (guchar) data[0] == 0xEF && (guchar) data[1] == 0xBB && (guchar) data[2] == 0xBF)
    i = 3;
  for (; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return data[i] == '{' || data[i] == '[';
  return FALSE;
}

KiosOpdsFeed *
kios_opds_feed_parse (const char *data,
                      gsize       len,
                      const char *content_type,
                      const char *base_url,
                      GError    **error)
{
  g_autofree char *lower = content_type != NULL ? g_ascii_strdown (content_type, -1) : NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The server answered with an empty page instead of the catalog");
      return NULL;
    }
  if (len > KIOS_OPDS_MAX_FEED_SIZE)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The catalog page is larger than %d MiB: refused", KIOS_OPDS_MAX_FEED_SIZE / (1024 * 1024));
      return NULL;
    }
  if (lower != NULL && strstr (lower, "text/html") != NULL && looks_like_html (data, len))
    {
      set_login_page_error (error);
      return NULL;
    }
  if (first_significant_is_brace (data, len) || (lower != NULL && strstr (lower, "json") != NULL && !looks_like_html (data, len)))
    return parse_json (data, len, base_url, error);
  return parse_atom (data, len, base_url, error);
}
