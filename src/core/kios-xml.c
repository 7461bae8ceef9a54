/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-xml"

#include "config.h"

#include "kios-xml.h"

#include "kios-error.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <string.h>

/* The longest entity name we look up; HTML's longest is 31 characters. */
#define MAX_ENTITY_NAME 32

/* Elements HTML writers often leave unclosed (<br>); they never nest. */
static const char *const void_elements[] = {
  "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
  "meta", "param", "source", "track", "wbr", NULL
};

/* libxml2 reports some encoding errors through its generic handler even
 * with XML_PARSE_NOERROR; book content is not worth a line on stderr. */
static void
silent_error (void       *ctx,
              const char *msg,
              ...)
{
}

static void
init_once (void)
{
  static gsize initialized = 0;

  /* xmlInitParser is not itself thread-safe before its first call. */
  if (g_once_init_enter (&initialized))
    {
      xmlInitParser ();
      g_once_init_leave (&initialized, 1);
    }
}

static gboolean
has_prefix_at (const char *p,
               const char *end,
               const char *prefix,
               gboolean    ignore_case)
{
  gsize n = strlen (prefix);

  if ((gsize) (end - p) < n)
    return FALSE;
  return ignore_case ? g_ascii_strncasecmp (p, prefix, n) == 0 : memcmp (p, prefix, n) == 0;
}

static const char *
find_bytes (const char *p,
            const char *end,
            const char *needle)
{
  gsize n = strlen (needle);

  for (; p + n <= end; p++)
    if (*p == needle[0] && memcmp (p, needle, n) == 0)
      return p;
  return NULL;
}

static gboolean
is_void_element (const char *name,
                 gsize       len)
{
  for (gsize i = 0; void_elements[i] != NULL; i++)
    if (strlen (void_elements[i]) == len && g_ascii_strncasecmp (void_elements[i], name, len) == 0)
      return TRUE;
  return FALSE;
}

/* Appends `&name;` to out: as a numeric reference when HTML knows the name, as
 * one of the five XML entities unchanged, and otherwise with its ampersand
 * escaped, so that no reference to a DTD-declared entity ever reaches libxml2
 * and its text survives literally instead of being dropped. */
static void
append_entity (GString    *out,
               const char *name,
               gsize       len)
{
  static const char *const xml_entities[] = { "amp", "lt", "gt", "quot", "apos", NULL };
  char                     buf[MAX_ENTITY_NAME + 1];
  const htmlEntityDesc    *desc;

  memcpy (buf, name, len);
  buf[len] = '\0';
  for (gsize i = 0; xml_entities[i] != NULL; i++)
    if (strcmp (buf, xml_entities[i]) == 0)
      {
        g_string_append_printf (out, "&%s;", buf);
        return;
      }

  desc = htmlEntityLookup ((const xmlChar *) buf);
  if (desc != NULL)
    g_string_append_printf (out, "&#%u;", desc->value);
  else
    g_string_append_printf (out, "&amp;%s;", buf);
}

/* Copies [p, end) to out, rewriting every named entity reference. */
static void
copy_rewriting (GString    *out,
                const char *p,
                const char *end)
{
  while (p < end)
    {
      const char *amp = memchr (p, '&', end - p);
      const char *q;

      if (amp == NULL)
        {
          g_string_append_len (out, p, end - p);
          return;
        }
      g_string_append_len (out, p, amp - p);
      p = amp;
      q = p + 1;
      while (q < end && q - p - 1 <= MAX_ENTITY_NAME && g_ascii_isalnum (*q))
        q++;
      if (q < end && *q == ';' && q > p + 1 && q - p - 1 <= MAX_ENTITY_NAME && g_ascii_isalpha (p[1]))
        {
          append_entity (out, p + 1, q - p - 1);
          p = q + 1;
        }
      else
        {
          g_string_append_c (out, '&');
          p++;
        }
    }
}

/* The end of the markup starting at p ('>' included), outside quotes. */
static const char *
tag_end (const char *p,
         const char *end)
{
  char quote = 0;

  for (; p < end; p++)
    {
      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
        }
      else if (*p == '"' || *p == '\'')
        quote = *p;
      else if (*p == '>')
        return p + 1;
    }
  return end;
}

/* The open elements seen by preprocess(): names point into the input. */
typedef struct
{
  const char *names[KIOS_XML_MAX_DEPTH + 2];
  gsize       lens[KIOS_XML_MAX_DEPTH + 2];
  int         depth;
  int         max_depth;
  gboolean    lenient; /* applies HTML's implied end tags */
} ElementStack;

/* HTML elements whose end tag is optional: a new one closes an open one. */
static const char *const self_closing_siblings[] = { "dd", "dt", "li", "option", "p", "td", "th", "tr", NULL };

static gboolean
name_is (const char *name,
         gsize       len,
         const char *other)
{
  return strlen (other) == len && g_ascii_strncasecmp (name, other, len) == 0;
}

static void
open_element (ElementStack *stack,
              const char   *name,
              gsize         len)
{
  /* "<p>a<p>b" nests in XML but not in the HTML parser's tree. */
  if (stack->lenient && stack->depth > 0 && stack->depth <= KIOS_XML_MAX_DEPTH + 1 && stack->lens[stack->depth - 1] == len && g_ascii_strncasecmp (stack->names[stack->depth - 1], name, len) == 0)
    {
      for (gsize i = 0; self_closing_siblings[i] != NULL; i++)
        if (name_is (name, len, self_closing_siblings[i]))
          return;
    }
  if (stack->depth <= KIOS_XML_MAX_DEPTH)
    {
      stack->names[stack->depth] = name;
      stack->lens[stack->depth] = len;
    }
  stack->depth++;
  stack->max_depth = MAX (stack->max_depth, stack->depth);
}

/* Pops up to the matching open element, as parsers do; a close tag with no
 * match among the innermost few is ignored (bounded work per tag). */
static void
close_element (ElementStack *stack,
               const char   *name,
               gsize         len)
{
  /* Past the limit names are not kept (only the strict stack gets there, and
   * it only needs its maximum): take the close tag as the innermost's. */
  if (stack->depth > KIOS_XML_MAX_DEPTH + 1)
    {
      stack->depth--;
      return;
    }
  for (int i = stack->depth - 1; i >= 0 && i >= stack->depth - 32; i--)
    {
      if (stack->lens[i] == len && g_ascii_strncasecmp (stack->names[i], name, len) == 0)
        {
          stack->depth = i;
          return;
        }
    }
}

/* Rewrites the document before libxml2 sees it, in one bounded pass:
 * - named entities become numeric references (see append_entity);
 * - a DOCTYPE internal subset is dropped: books need none, and it is where
 *   entity bombs and external entities are declared;
 * - the element nesting depth is measured, because libxml2 recurses with it
 *   (and we must pass XML_PARSE_HUGE to accept more than 256 levels); the
 *   measure tolerates the sloppy HTML the recovery parsers accept (see
 *   open_element), so only real nesting is refused.
 * Comments, CDATA sections and processing instructions are copied verbatim. */
static GString *
preprocess (const char *data,
            gsize       len,
            gboolean   *too_deep_for_xml,
            GError    **error)
{
  /* An empty member may come as NULL: no pointer arithmetic on it. */
  g_autoptr (GString)      out = g_string_sized_new (len + len / 16 + 16);
  const char              *p = len > 0 ? data : "";
  const char              *end = p + len;
  g_autofree ElementStack *strict = g_new0 (ElementStack, 1);
  g_autofree ElementStack *stack = g_new0 (ElementStack, 1);

  stack->lenient = TRUE;

  while (p < end)
    {
      const char *lt = memchr (p, '<', end - p);
      const char *q;

      if (lt == NULL)
        lt = end;
      copy_rewriting (out, p, lt);
      p = lt;
      if (p >= end)
        break;

      if (has_prefix_at (p, end, "<!--", FALSE) || has_prefix_at (p, end, "<![CDATA[", FALSE) || has_prefix_at (p, end, "<?", FALSE))
        {
          const char *terminator = p[1] == '?' ? "?>" : p[2] == '-' ? "-->"
                                                                    : "]]>";

          q = find_bytes (p + 2, end, terminator);
          q = q != NULL ? q + strlen (terminator) : end;
          g_string_append_len (out, p, q - p);
          p = q;
        }
      else if (has_prefix_at (p, end, "<!DOCTYPE", TRUE))
        {
          char quote = 0;

          /* Copy up to the internal subset, skip it, keep the closing '>'. */
          q = p;
          while (q < end && (quote != 0 || (*q != '[' && *q != '>')))
            {
              if (quote != 0 && *q == quote)
                quote = 0;
              else if (quote == 0 && (*q == '"' || *q == '\''))
                quote = *q;
              q++;
            }
          g_string_append_len (out, p, q - p);
          if (q < end && *q == '[')
            {
              quote = 0;
              for (q++; q < end && (quote != 0 || *q != ']'); q++)
                {
                  if (quote != 0 && *q == quote)
                    quote = 0;
                  else if (quote == 0 && (*q == '"' || *q == '\''))
                    quote = *q;
                }
              q = tag_end (q, end);
            }
          else if (q < end)
            q++;
          g_string_append_c (out, '>');
          p = q;
        }
      else if (p + 1 < end && p[1] == '/')
        {
          const char *name = p + 2;
          const char *name_end = name;

          while (name_end < end && !g_ascii_isspace (*name_end) && *name_end != '>')
            name_end++;
          q = memchr (p, '>', end - p);
          q = q != NULL ? q + 1 : end;
          g_string_append_len (out, p, q - p);
          close_element (strict, name, name_end - name);
          close_element (stack, name, name_end - name);
          p = q;
        }
      else if (p + 1 < end && (g_ascii_isalpha (p[1]) || p[1] == '_' || p[1] == ':'))
        {
          const char *name = p + 1;
          const char *name_end = name;

          while (name_end < end && !g_ascii_isspace (*name_end) && *name_end != '>' && *name_end != '/')
            name_end++;
          q = tag_end (name_end, end);
          if (!(q[-1] == '>' && q - 2 >= name_end && q[-2] == '/') && !is_void_element (name, name_end - name))
            {
              open_element (strict, name, name_end - name);
              open_element (stack, name, name_end - name);
            }
          copy_rewriting (out, p, q);
          p = q;
          if (stack->depth > KIOS_XML_MAX_DEPTH)
            {
              g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                           "XML nested deeper than %d elements", KIOS_XML_MAX_DEPTH);
              return NULL;
            }
        }
      else
        {
          /* A stray '<' (malformed): copy it and let the parser judge. */
          g_string_append_c (out, '<');
          p++;
        }
    }

  /* Deep only by the XML reading (say, nested <p>s): then libxml2 must keep
   * its own 256-level limit, and the HTML parser gets the document. */
  *too_deep_for_xml = strict->max_depth > KIOS_XML_MAX_DEPTH;
  return g_steal_pointer (&out);
}

/* Whether the XML declaration names an encoding other than UTF-8. */
static gboolean
declares_other_encoding (const char *data,
                         gsize       len)
{
  const char      *end;
  const char      *enc;
  g_autofree char *decl = NULL;

  if (len < 5 || memcmp (data, "<?xml", 5) != 0)
    return FALSE;
  end = find_bytes (data, data + MIN (len, 256), "?>");
  if (end == NULL)
    return FALSE;
  decl = g_strndup (data, end - data);
  enc = strstr (decl, "encoding");
  if (enc == NULL)
    return FALSE;
  enc += strlen ("encoding");
  while (*enc == ' ' || *enc == '=' || *enc == '"' || *enc == '\'')
    enc++;
  return g_ascii_strncasecmp (enc, "utf-8", 5) != 0 && g_ascii_strncasecmp (enc, "utf8", 4) != 0;
}

/* Nesting of the parsed tree, without recursion; a second line of defence for
 * what the HTML parser builds out of malformed input. */
static gboolean
tree_depth_ok (xmlNode *root)
{
  xmlNode *node = root;
  int      depth = 0;

  while (node != NULL)
    {
      if (node->type == XML_ELEMENT_NODE && node->children != NULL)
        {
          if (++depth > KIOS_XML_MAX_DEPTH)
            return FALSE;
          node = node->children;
          continue;
        }
      while (node != NULL && node != root && node->next == NULL)
        {
          node = node->parent;
          depth--;
        }
      if (node == NULL || node == root)
        break;
      node = node->next;
    }
  return TRUE;
}

/**
 * kios_xml_parse:
 * @data: the document bytes
 * @len: their length
 * @url: (nullable): the base URL, only for libxml2's bookkeeping
 * @error: KIOS_DOCUMENT_ERROR_TOO_COMPLEX (size or depth), _DAMAGED (no tree)
 *
 * Returns: (transfer full): the document, with a root element.
 */
xmlDoc *
kios_xml_parse (const char *data,
                gsize       len,
                const char *url,
                GError    **error)
{
  /* No NOENT (never substitute entities), no DTDLOAD/DTDATTR (never fetch or
   * apply a DTD), NONET; HUGE only because preprocess() bounds the depth. */
  int                 options = XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  gboolean            too_deep_for_xml = FALSE;
  xmlGenericErrorFunc saved_handler;
  void               *saved_context;
  g_autofree char    *converted = NULL;
  g_autoptr (GString) text = NULL;
  xmlDoc             *doc;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  init_once ();

  if (len > KIOS_XML_MAX_SIZE)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "XML document of %" G_GSIZE_FORMAT " bytes exceeds the limit", len);
      return NULL;
    }
  if (len > G_MAXINT)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                           "XML document too large");
      return NULL;
    }

  /* UTF-16 would defeat the byte-level preprocessing: convert it first and
   * then tell libxml2 to ignore the declared encoding. */
  if (len >= 2 && (((guchar) data[0] == 0xFF && (guchar) data[1] == 0xFE) || ((guchar) data[0] == 0xFE && (guchar) data[1] == 0xFF)))
    {
      gsize written = 0;

      converted = g_convert (data, len, "UTF-8", (guchar) data[0] == 0xFF ? "UTF-16LE" : "UTF-16BE",
                             NULL, &written, NULL);
      if (converted == NULL)
        {
          g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                               "invalid UTF-16 XML document");
          return NULL;
        }
      /* Skip the converted byte order mark. */
      data = converted;
      len = written;
      if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
        {
          data += 3;
          len -= 3;
        }
    }

  /* Invalid UTF-8 in a document that declares no other encoding would reach
   * the tree through the recovery parsers; replace it with U+FFFD first. */
  if (converted == NULL && !declares_other_encoding (data, len) && !g_utf8_validate_len (data, len, NULL))
    {
      converted = g_utf8_make_valid (data, len);
      data = converted;
      len = strlen (converted);
    }

  text = preprocess (data, len, &too_deep_for_xml, error);
  if (text == NULL)
    return NULL;

  /* The handler is per thread in libxml2; restore it for other callers. */
  saved_handler = xmlGenericError;
  saved_context = xmlGenericErrorContext;
  xmlSetGenericErrorFunc (NULL, silent_error);

  /* Too deep for XML but not once HTML's implied end tags apply: only the
   * HTML parser can read it (and XML_PARSE_HUGE must not be used). */
  doc = NULL;
  if (!too_deep_for_xml)
    doc = xmlReadMemory (text->str, (int) text->len, url, converted != NULL ? "UTF-8" : NULL, options);
  if (!too_deep_for_xml && (doc == NULL || xmlDocGetRootElement (doc) == NULL))
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      g_debug ("Malformed XML in %s, retrying with recovery", url != NULL ? url : "(memory)");
      doc = xmlReadMemory (text->str, (int) text->len, url, converted != NULL ? "UTF-8" : NULL,
                           options | XML_PARSE_RECOVER);
    }
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      /* MuPDF falls back to its HTML5 parser here. libxml2's HTML parser
       * still gives us a tree, but its DOM (implied html/body, closed <p>s)
       * may differ from both MuPDF's and crengine's, so positions in such a
       * chapter are approximate. */
      g_clear_pointer (&doc, xmlFreeDoc);
      g_debug ("Unrecoverable XML in %s, retrying as HTML", url != NULL ? url : "(memory)");
      doc = htmlReadMemory (text->str, (int) text->len, url, converted != NULL ? "UTF-8" : NULL,
                            HTML_PARSE_NONET | HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    }
  xmlSetGenericErrorFunc (saved_context, saved_handler);
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED,
                   "cannot parse XML document %s", url != NULL ? url : "");
      return NULL;
    }
  if (!tree_depth_ok (xmlDocGetRootElement (doc)))
    {
      xmlFreeDoc (doc);
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "XML nested deeper than %d elements", KIOS_XML_MAX_DEPTH);
      return NULL;
    }

  return doc;
}

/**
 * kios_xml_get_text:
 * @node: (nullable): a node
 *
 * Returns: (transfer full) (nullable): the concatenated text below @node.
 */
char *
kios_xml_get_text (xmlNode *node)
{
  xmlChar *content;
  char    *result;

  if (node == NULL)
    return NULL;
  content = xmlNodeGetContent (node);
  if (content == NULL)
    return NULL;
  result = g_strdup ((const char *) content);
  xmlFree (content);
  return result;
}

/**
 * kios_xml_has_name:
 * @node: (nullable): a node
 * @local_name: an element name without prefix
 *
 * Returns: whether @node is an element with that local name, in any namespace.
 */
gboolean
kios_xml_has_name (xmlNode    *node,
                   const char *local_name)
{
  g_return_val_if_fail (local_name != NULL, FALSE);

  if (node == NULL || node->type != XML_ELEMENT_NODE || node->name == NULL)
    return FALSE;
  return g_ascii_strcasecmp ((const char *) node->name, local_name) == 0;
}

/**
 * kios_xml_first_child:
 * @node: (nullable): a node
 * @local_name: (nullable): an element name, or NULL for any element
 *
 * Returns: (transfer none) (nullable): the first child element with that name.
 */
xmlNode *
kios_xml_first_child (xmlNode    *node,
                      const char *local_name)
{
  if (node == NULL)
    return NULL;
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (local_name == NULL || kios_xml_has_name (child, local_name))
        return child;
    }
  return NULL;
}

/**
 * kios_xml_get_attr:
 * @node: (nullable): an element
 * @local_name: an attribute name without prefix
 *
 * Returns: (transfer full) (nullable): the value of the first attribute with
 * that local name, in any namespace.
 */
char *
kios_xml_get_attr (xmlNode    *node,
                   const char *local_name)
{
  g_return_val_if_fail (local_name != NULL, NULL);

  if (node == NULL || node->type != XML_ELEMENT_NODE)
    return NULL;
  for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next)
    {
      if (attr->name != NULL && strcmp ((const char *) attr->name, local_name) == 0)
        {
          xmlChar *value = xmlNodeListGetString (node->doc, attr->children, 1);
          char    *result = g_strdup (value != NULL ? (const char *) value : "");

          xmlFree (value);
          return result;
        }
    }
  return NULL;
}
