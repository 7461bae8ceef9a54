/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-feed"

#include "config.h"

#include "kios-opds-feed-private.h"

#include "kios-sync-error.h"
#include "kios-xml.h"

#include <string.h>

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

  doc = kios_opds_xml_read (data, len, base_url, "search description", error);
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
      template_url = kios_opds_xml_attr (child, "template");
      type = kios_opds_xml_attr (child, "type");
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
          g_autofree char *base = kios_opds_node_base (doc, child, base_url);
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
