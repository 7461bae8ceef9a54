/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-feed"

#include "config.h"

#include "kios-opds-feed-private.h"

#include "kios-json.h"
#include "kios-sync-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* JSON */

gboolean
kios_opds_json_check_depth (const char *data,
                            gsize       len,
                            guint       max_depth,
                            GError    **error)
{
  /* The one guard every JSON reader shares. */
  return kios_json_check_bounded (data, (gssize) len, G_MAXSSIZE, max_depth, error);
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
      for (guint i = 0; i < json_array_get_length (array) && i < KIOS_LIMIT_OPDS_LINK_RELS; i++)
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
      for (guint i = 0; i < json_array_get_length (array) && entry->authors->len < MAX_AUTHORS; i++)
        json_add_authors (entry, json_array_get_element (array, i));
      return;
    }
  if (json_obj (node) != NULL)
    node = json_member (json_obj (node), "name");
  kios_opds_entry_add_author (entry, json_text (node));
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

      entry->series = kios_opds_clean_line (json_text (json_member (object, "name")), MAX_SHORT_TEXT);
      if (position > 0 && position < 1e6)
        entry->series_index = position;
      return;
    }
  entry->series = kios_opds_clean_line (json_string (node), MAX_SHORT_TEXT);
}

static KiosOpdsEntry *
json_parse_publication (JsonObject *pub,
                        const char *base_url,
                        const char *group)
{
  g_autoptr (KiosOpdsEntry) entry = kios_opds_entry_new ();
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
  entry->title = kios_opds_clean_line (json_text (json_member (metadata, "title")), MAX_SHORT_TEXT);
  entry->id = kios_opds_clean_line (json_string (json_member (metadata, "identifier")), MAX_SHORT_TEXT);
  json_add_authors (entry, json_member (metadata, "author"));
  {
    g_autofree char *description = kios_opds_clean_text (json_string (json_member (metadata, "description")), MAX_SUMMARY_TEXT);

    if (description != NULL)
      entry->summary = kios_opds_strip_markup (description);
  }
  language = json_member (metadata, "language");
  if (json_arr (language) != NULL && json_array_get_length (json_arr (language)) > 0)
    language = json_array_get_element (json_arr (language), 0);
  entry->language = kios_opds_clean_line (json_string (language), KIOS_LIMIT_OPDS_LANGUAGE_BYTES);
  {
    JsonObject *belongs = json_obj (json_member (metadata, "belongsTo"));

    if (belongs != NULL)
      json_series (entry, json_member (belongs, "series"));
  }
  entry->group = g_strdup (group);

  for (guint i = 0; links != NULL && i < json_array_get_length (links) && i < KIOS_LIMIT_OPDS_LINKS; i++)
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

          if (kios_opds_rel_is_acquisition (rel))
            {
              KiosOpdsLink *acq = g_new0 (KiosOpdsLink, 1);
              double        length = json_number (json_member (json_obj (json_member (link, "properties")), "size"));

              acq->href = g_strdup (href);
              acq->type = kios_opds_clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
              acq->rel = g_strdup (rel);
              acq->title = kios_opds_clean_line (json_string (json_member (link, "title")), MAX_SHORT_TEXT);
              acq->length = length >= 0 ? kios_json_number_to_int (length, 0, G_MAXINT64, -1) : -1;
              acq->count = -1;
              g_ptr_array_add (entry->acquisitions, acq);
              break;
            }
          else if (g_str_equal (rel, KIOS_OPDS_REL_PROGRESSION))
            {
              g_free (entry->progression_href);
              g_free (entry->progression_type);
              entry->progression_href = g_strdup (href);
              entry->progression_type = kios_opds_clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
            }
          else if (g_str_equal (rel, KIOS_OPDS_REL_CANTOOK_PROGRESSION) && cantook == NULL)
            {
              cantook = g_strdup (href);
              cantook_type = kios_opds_clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
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

  for (guint i = 0; images != NULL && i < json_array_get_length (images) && i < KIOS_LIMIT_OPDS_IMAGES; i++)
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
  entry = kios_opds_entry_new ();
  entry->kind = KIOS_OPDS_ENTRY_NAVIGATION;
  entry->navigation_href = href;
  entry->id = g_strdup (href);
  entry->title = kios_opds_clean_line (json_text (json_member (link, "title")), MAX_SHORT_TEXT);
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

  if (!kios_json_check_bounded (data, (gssize) len, KIOS_OPDS_MAX_FEED_SIZE, KIOS_OPDS_MAX_JSON_DEPTH, error))
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

KiosOpdsFeed *
kios_opds2_parse (const char *data,
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

  feed = kios_opds_feed_new (2, base_url);
  feed->title = kios_opds_clean_line (json_text (json_member (metadata, "title")), MAX_SHORT_TEXT);
  {
    double n = json_number (json_member (metadata, "numberOfItems"));
    double per = json_number (json_member (metadata, "itemsPerPage"));

    feed->total_results = n >= 0 ? kios_json_number_to_int (n, 0, G_MAXINT64, -1) : -1;
    feed->items_per_page = per >= 0 ? kios_json_number_to_int (per, 0, G_MAXINT64, -1) : -1;
  }

  links = json_arr (json_member (object, "links"));
  for (guint i = 0; links != NULL && i < json_array_get_length (links) && i < KIOS_LIMIT_OPDS_LINKS; i++)
    {
      JsonObject           *link = json_obj (json_array_get_element (links, i));
      g_autoptr (GPtrArray) rels = NULL;
      g_autofree char      *href = NULL;

      if (link == NULL || (href = json_link_href (link, base_url)) == NULL)
        continue;
      rels = json_link_rels (link);
      if (rels_have (rels, "next"))
        kios_opds_set_once (&feed->next_href, &href);
      else if (rels_have (rels, "previous") || rels_have (rels, "prev"))
        kios_opds_set_once (&feed->previous_href, &href);
      else if (rels_have (rels, "start"))
        kios_opds_set_once (&feed->start_href, &href);
      else if (rels_have (rels, "up"))
        kios_opds_set_once (&feed->up_href, &href);
      else if (rels_have (rels, "search"))
        {
          const char      *type = json_string (json_member (link, "type"));
          g_autofree char *lower = g_ascii_strdown (type != NULL ? type : "", -1);

          if (strstr (lower, "opensearchdescription") != NULL)
            kios_opds_set_once (&feed->opensearch_href, &href);
          else
            kios_opds_set_once (&feed->search_template, &href);
        }
    }

  json_add_items (feed, object, NULL);
  groups = json_arr (json_member (object, "groups"));
  for (guint i = 0; groups != NULL && i < json_array_get_length (groups) && i < KIOS_LIMIT_OPDS_GROUPS; i++)
    {
      JsonObject      *group = json_obj (json_array_get_element (groups, i));
      g_autofree char *title = NULL;

      if (group == NULL)
        continue;
      /* Komga answers searches only in groups (OPDS.md §2.4). */
      title = kios_opds_clean_line (json_text (json_member (json_obj (json_member (group, "metadata")), "title")), MAX_SHORT_TEXT);
      json_add_items (feed, group, title);
    }

  facets = json_arr (json_member (object, "facets"));
  for (guint i = 0; facets != NULL && i < json_array_get_length (facets) && i < KIOS_LIMIT_OPDS_FACET_GROUPS; i++)
    {
      JsonObject      *facet_group = json_obj (json_array_get_element (facets, i));
      JsonArray       *facet_links = json_arr (json_member (facet_group, "links"));
      g_autofree char *group_title = NULL;

      if (facet_group == NULL)
        continue;
      group_title = kios_opds_clean_line (json_text (json_member (json_obj (json_member (facet_group, "metadata")), "title")),
                                          MAX_SHORT_TEXT);
      for (guint j = 0; facet_links != NULL && j < json_array_get_length (facet_links) && feed->facets->len < MAX_FACETS; j++)
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
          facet->title = kios_opds_clean_line (json_text (json_member (link, "title")), MAX_SHORT_TEXT);
          facet->type = kios_opds_clean_line (json_string (json_member (link, "type")), MAX_SHORT_TEXT);
          facet->rel = g_strdup ("http://opds-spec.org/facet");
          facet->facet_group = g_strdup (group_title);
          facet->active = rels_have (rels, "self");
          count = json_number (json_member (json_obj (json_member (link, "properties")), "numberOfItems"));
          facet->count = count >= 0 ? kios_json_number_to_int (count, 0, G_MAXINT64, -1) : -1;
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
  doc->title = kios_opds_clean_line (json_text (json_member (object, "title")), MAX_SHORT_TEXT);
  for (guint i = 0; i < json_array_get_length (methods) && i < KIOS_LIMIT_OPDS_AUTH_METHODS; i++)
    {
      JsonObject *method = json_obj (json_array_get_element (methods, i));

      if (g_strcmp0 (json_string (json_member (method, "type")), "http://opds-spec.org/auth/basic") == 0)
        doc->supports_basic = TRUE;
    }
  return doc;
}
