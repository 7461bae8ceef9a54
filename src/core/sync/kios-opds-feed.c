/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-opds-feed"

#include "config.h"

#include "kios-opds-feed-private.h"

#include "kios-limits.h"
#include "kios-sync-error.h"

#include <string.h>

#define MAX_HREF_LEN KIOS_LIMIT_OPDS_HREF_BYTES

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

KiosOpdsEntry *
kios_opds_entry_new (void)
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
  KiosOpdsEntry *copy = kios_opds_entry_new ();

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

KiosOpdsFeed *
kios_opds_feed_new (int         version,
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
  return kios_opds_feed_new (1, base_url);
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
char *
kios_opds_clean_text (const char *text,
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

      if (c == '\r')
        continue;
      if (c < 0x20 && c != '\n' && c != '\t')
        c = ' ';
      /* At most max bytes, and never half a character. */
      if (out->len + g_unichar_to_utf8 (c, NULL) > max)
        break;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* kios_opds_clean_text, then whitespace runs folded to one space and the ends trimmed. */
char *
kios_opds_clean_line (const char *text,
                      gsize       max)
{
  g_autofree char *cleaned = kios_opds_clean_text (text, max);
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

gboolean
kios_opds_is_http_url (const char *url)
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
  if (resolved == NULL || !kios_opds_is_http_url (resolved))
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

gboolean
kios_opds_rel_is_acquisition (const char *rel)
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
  if (lower != NULL && strstr (lower, "text/html") != NULL && kios_opds_looks_like_html (data, len))
    {
      kios_opds_set_login_page_error (error);
      return NULL;
    }
  if (first_significant_is_brace (data, len) || (lower != NULL && strstr (lower, "json") != NULL && !kios_opds_looks_like_html (data, len)))
    return kios_opds2_parse (data, len, base_url, error);
  return kios_opds_atom_parse (data, len, base_url, error);
}
