/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-feed"

#include "config.h"

#include "kios-opds-feed-private.h"

#include "kios-sync-error.h"
#include "kios-xml.h"

#include <string.h>

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_OPDS "http://opds-spec.org/2010/catalog"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_OPENSEARCH "http://a9.com/-/spec/opensearch/1.1/"
#define NS_THREAD "http://purl.org/syndication/thread/1.0"

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

char *
kios_opds_xml_attr (xmlNode    *node,
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

char *
kios_opds_node_base (xmlDoc     *doc,
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
  if (!kios_opds_is_http_url (result))
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
  g_autofree char *href = kios_opds_xml_attr (node, "href");
  g_autofree char *base = kios_opds_node_base (doc, node, base_url);
  g_autofree char *rel = kios_opds_xml_attr (node, "rel");
  g_autofree char *length = kios_opds_xml_attr (node, "length");

  memset (link, 0, sizeof *link);
  link->href = kios_opds_resolve_href (base, href);
  if (link->href == NULL)
    return FALSE;
  /* No rel is Atom's "alternate" (Calibre-Web's and calibre's nav links). */
  link->rel = rel != NULL ? g_strstrip (g_strdup (rel)) : g_strdup ("alternate");
  {
    g_autofree char *type = kios_opds_xml_attr (node, "type");
    link->type = kios_opds_clean_line (type, MAX_SHORT_TEXT);
  }
  {
    g_autofree char *title = kios_opds_xml_attr (node, "title");
    link->title = kios_opds_clean_line (title, MAX_SHORT_TEXT);
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
  entry->series = kios_opds_clean_line (line, MAX_SHORT_TEXT);
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

char *
kios_opds_strip_markup (const char *html)
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
  g_autofree char *type = kios_opds_xml_attr (node, "type");
  g_autofree char *text = NULL;

  if (type != NULL && (g_ascii_strcasecmp (type, "html") == 0 || g_ascii_strcasecmp (type, "text/html") == 0))
    {
      g_autofree char *raw = xml_text (node);

      text = kios_opds_strip_markup (raw);
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
  return kios_opds_clean_text (g_strstrip (text), MAX_SUMMARY_TEXT);
}

void
kios_opds_entry_add_author (KiosOpdsEntry *entry,
                            const char    *name)
{
  g_auto (GStrv) parts = NULL;

  if (name == NULL)
    return;
  /* Calibre-Web joins several authors with "|" in one name. The last
   * piece holds the rest of the string past MAX_AUTHORS: never an author. */
  parts = g_strsplit (name, "|", MAX_AUTHORS + 1);
  for (guint i = 0; parts[i] != NULL && i < MAX_AUTHORS; i++)
    {
      char *author = kios_opds_clean_line (parts[i], MAX_SHORT_TEXT);

      if (author != NULL && *author != '\0' && entry->authors->len < MAX_AUTHORS)
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
  g_autoptr (KiosOpdsEntry) entry = kios_opds_entry_new ();
  g_autofree char          *content_text = NULL;
  g_autofree char          *summary_text = NULL;
  g_autofree char          *progression_cantook = NULL;
  g_autofree char          *progression_cantook_type = NULL;
  char                     *nav_fallback = NULL;
  gboolean                  has_acquisition = FALSE;
  guint                     n_links = 0;

  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (xml_is (child, NS_ATOM, "title") && entry->title == NULL)
        {
          g_autofree char *t = xml_text (child);
          entry->title = kios_opds_clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_ATOM, "id") && entry->id == NULL)
        {
          g_autofree char *t = xml_text (child);
          entry->id = kios_opds_clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_ATOM, "author"))
        {
          for (xmlNode *n = child->children; n != NULL; n = n->next)
            if (xml_is (n, NS_ATOM, "name"))
              {
                g_autofree char *t = xml_text (n);
                kios_opds_entry_add_author (entry, t);
              }
        }
      else if (xml_is (child, NS_ATOM, "summary") && summary_text == NULL)
        summary_text = atom_content_text (child);
      else if (xml_is (child, NS_ATOM, "content") && content_text == NULL)
        content_text = atom_content_text (child);
      else if ((xml_is (child, NS_DCTERMS, "language") || xml_is (child, NS_DC, "language")) && entry->language == NULL)
        {
          g_autofree char *t = xml_text (child);
          entry->language = kios_opds_clean_line (t, KIOS_LIMIT_OPDS_LANGUAGE_BYTES);
        }
      else if (xml_is (child, NS_ATOM, "meta"))
        {
          /* Grimmory: EPUB3-style series metadata in the Atom namespace. */
          g_autofree char *property = kios_opds_xml_attr (child, "property");
          g_autofree char *t = xml_text (child);

          if (g_strcmp0 (property, "belongs-to-collection") == 0 && entry->series == NULL)
            entry->series = kios_opds_clean_line (t, MAX_SHORT_TEXT);
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

          /* The first links only, like an OPDS 2 entry's. */
          if (++n_links > KIOS_LIMIT_OPDS_LINKS || !atom_link_read (doc, child, base_url, &link))
            continue;
          if (kios_opds_rel_is_acquisition (link.rel))
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

void
kios_opds_set_once (char **slot,
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
    kios_opds_set_once (&feed->next_href, &link.href);
  else if (g_strcmp0 (link.rel, "previous") == 0 || g_strcmp0 (link.rel, "prev") == 0)
    kios_opds_set_once (&feed->previous_href, &link.href);
  else if (g_strcmp0 (link.rel, "start") == 0)
    kios_opds_set_once (&feed->start_href, &link.href);
  else if (g_strcmp0 (link.rel, "up") == 0)
    kios_opds_set_once (&feed->up_href, &link.href);
  else if (g_strcmp0 (link.rel, "search") == 0)
    {
      g_autofree char *lower = link.type != NULL ? g_ascii_strdown (link.type, -1) : g_strdup ("");

      if (strstr (lower, "opensearchdescription") != NULL)
        kios_opds_set_once (&feed->opensearch_href, &link.href);
      else if (strstr (link.href, "{searchTerms}") != NULL || strstr (link.href, "{?") != NULL)
        kios_opds_set_once (&feed->search_template, &link.href);
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
      facet->facet_group = kios_opds_clean_line (group, MAX_SHORT_TEXT);
      facet->active = g_strcmp0 (active, "true") == 0;
      facet->count = parse_int (count);
      if (feed->facets->len < MAX_FACETS)
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

xmlDoc *
kios_opds_xml_read (const char *data,
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
        detail = kios_opds_clean_line (err->message, KIOS_LIMIT_OPDS_ERROR_DETAIL_BYTES);
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

gboolean
kios_opds_looks_like_html (const char *data,
                           gsize       len)
{
  gsize            n = MIN (len, KIOS_LIMIT_OPDS_SNIFF_BYTES);
  g_autofree char *head = g_ascii_strdown (data, n);

  return strstr (head, "<!doctype html") != NULL || strstr (head, "<html") != NULL;
}

void
kios_opds_set_login_page_error (GError **error)
{
  g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG,
                       "Not a catalog: a login page answered instead of the catalog, or the URL is the site's "
                       "rather than its catalog's");
}

KiosOpdsFeed *
kios_opds_atom_parse (const char *data,
                      gsize       len,
                      const char *base_url,
                      GError    **error)
{
  g_autoptr (xmlDoc)       doc = NULL;
  g_autoptr (KiosOpdsFeed) feed = NULL;
  xmlNode                 *root;

  doc = kios_opds_xml_read (data, len, base_url, "catalog page", error);
  if (doc == NULL)
    {
      if (kios_opds_looks_like_html (data, len))
        {
          g_clear_error (error);
          kios_opds_set_login_page_error (error);
        }
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  if (root != NULL && g_ascii_strcasecmp ((const char *) root->name, "html") == 0)
    {
      kios_opds_set_login_page_error (error);
      return NULL;
    }
  if (!xml_is (root, NS_ATOM, "feed") && !xml_is (root, NS_ATOM, "entry"))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The server answered with XML that is not an OPDS catalog (root element “%.40s”)",
                   root != NULL ? (const char *) root->name : "none");
      return NULL;
    }

  feed = kios_opds_feed_new (1, base_url);
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
          feed->title = kios_opds_clean_line (t, MAX_SHORT_TEXT);
        }
      else if (xml_is (child, NS_ATOM, "id") && feed->id == NULL)
        {
          g_autofree char *t = xml_text (child);
          feed->id = kios_opds_clean_line (t, MAX_SHORT_TEXT);
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
