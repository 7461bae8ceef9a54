/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-position"

#include "config.h"

#include "kios-position.h"

#include "kios-error.h"
#include "kios-json.h"

const char *
kios_book_format_to_string (KiosBookFormat format)
{
  switch (format)
    {
    case KIOS_BOOK_FORMAT_EPUB:
      return "epub";
    case KIOS_BOOK_FORMAT_PDF:
      return "pdf";
    case KIOS_BOOK_FORMAT_UNKNOWN:
    default:
      return "unknown";
    }
}

KiosBookFormat
kios_book_format_from_string (const char *str)
{
  if (g_strcmp0 (str, "epub") == 0)
    return KIOS_BOOK_FORMAT_EPUB;
  if (g_strcmp0 (str, "pdf") == 0)
    return KIOS_BOOK_FORMAT_PDF;
  return KIOS_BOOK_FORMAT_UNKNOWN;
}

KiosPosition *
kios_position_new (void)
{
  return g_new0 (KiosPosition, 1);
}

KiosPosition *
kios_position_copy (const KiosPosition *self)
{
  KiosPosition *copy;

  if (self == NULL)
    return NULL;

  copy = g_memdup2 (self, sizeof *self);
  copy->chapter_href = g_strdup (self->chapter_href);
  copy->chapter_title = g_strdup (self->chapter_title);
  copy->xpointer = g_strdup (self->xpointer);
  copy->device = g_strdup (self->device);
  copy->device_id = g_strdup (self->device_id);
  return copy;
}

void
kios_position_free (KiosPosition *self)
{
  if (self == NULL)
    return;

  g_free (self->chapter_href);
  g_free (self->chapter_title);
  g_free (self->xpointer);
  g_free (self->device);
  g_free (self->device_id);
  g_free (self);
}

/*
 * Two positions are equal when they point at the same place in the book; the
 * time stamp and the device are not part of the place.
 */
gboolean
kios_position_equal (const KiosPosition *a,
                     const KiosPosition *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  return a->format == b->format &&
         a->chapter == b->chapter &&
         a->offset == b->offset &&
         g_strcmp0 (a->xpointer, b->xpointer) == 0;
}

/* The 1-based page number of a PDF position, as kosync's `progress` carries it. */
int
kios_position_get_page (const KiosPosition *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->chapter + 1;
}

static void
add_string (JsonBuilder *builder,
            const char  *key,
            const char  *value)
{
  json_builder_set_member_name (builder, key);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

JsonNode *
kios_position_to_json (const KiosPosition *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GDateTime)   updated = NULL;
  g_autofree char        *updated_str = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->updated_at > 0)
    {
      updated = g_date_time_new_from_unix_utc (self->updated_at);
      if (updated != NULL)
        updated_str = g_date_time_format_iso8601 (updated);
    }

  json_builder_begin_object (builder);
  add_string (builder, "format", kios_book_format_to_string (self->format));
  json_builder_set_member_name (builder, "chapter");
  json_builder_add_int_value (builder, self->chapter);
  add_string (builder, "chapter_href", self->chapter_href);
  add_string (builder, "chapter_title", self->chapter_title);
  json_builder_set_member_name (builder, "offset");
  json_builder_add_int_value (builder, self->offset);
  json_builder_set_member_name (builder, "chapter_progress");
  json_builder_add_double_value (builder, self->chapter_progress);
  json_builder_set_member_name (builder, "total_progress");
  json_builder_add_double_value (builder, self->total_progress);
  /* The reflowable and the fixed-layout form: exactly one of them. */
  if (self->format == KIOS_BOOK_FORMAT_PDF)
    {
      json_builder_set_member_name (builder, "page");
      json_builder_add_int_value (builder, kios_position_get_page (self));
    }
  else
    add_string (builder, "xpointer", self->xpointer);
  add_string (builder, "updated_at", updated_str);
  add_string (builder, "device", self->device);
  add_string (builder, "device_id", self->device_id);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static const char *
get_string_member (JsonObject *object,
                   const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_number_member (JsonObject *object,
                   const char *key,
                   double     *value)
{
  JsonNode *node = json_object_get_member (object, key);
  GType     type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *value = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *value = json_node_get_double (node);
  else
    return FALSE;

  return TRUE;
}

KiosPosition *
kios_position_from_json (JsonNode *node,
                         GError  **error)
{
  g_autoptr (KiosPosition) self = NULL;
  JsonObject              *object;
  const char              *updated_str;
  double                   number;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "A position must be a JSON object");
      return NULL;
    }

  object = json_node_get_object (node);
  self = kios_position_new ();
  self->format = kios_book_format_from_string (get_string_member (object, "format"));
  if (self->format == KIOS_BOOK_FORMAT_UNKNOWN)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "A position needs a format of \"epub\" or \"pdf\"");
      return NULL;
    }

  if (get_number_member (object, "chapter", &number))
    self->chapter = (int) kios_json_number_to_int (number, 0, G_MAXINT, 0);
  if (get_number_member (object, "offset", &number))
    self->offset = kios_json_number_to_int (number, 0, G_MAXINT64, 0);
  if (get_number_member (object, "chapter_progress", &number))
    self->chapter_progress = CLAMP (number, 0.0, 1.0);
  if (get_number_member (object, "total_progress", &number))
    self->total_progress = CLAMP (number, 0.0, 1.0);

  self->chapter_href = g_strdup (get_string_member (object, "chapter_href"));
  self->chapter_title = g_strdup (get_string_member (object, "chapter_title"));
  self->xpointer = g_strdup (get_string_member (object, "xpointer"));
  self->device = g_strdup (get_string_member (object, "device"));
  self->device_id = g_strdup (get_string_member (object, "device_id"));

  updated_str = get_string_member (object, "updated_at");
  if (updated_str != NULL)
    {
      g_autoptr (GDateTime) updated = g_date_time_new_from_iso8601 (updated_str, NULL);

      if (updated != NULL)
        self->updated_at = g_date_time_to_unix (updated);
    }

  return g_steal_pointer (&self);
}

/* A one-line summary for logs and diagnostics. */
char *
kios_position_to_string (const KiosPosition *self)
{
  if (self == NULL)
    return g_strdup ("(none)");

  if (self->format == KIOS_BOOK_FORMAT_PDF)
    return g_strdup_printf ("page %d (%.1f%%)", self->chapter + 1, self->total_progress * 100.0);

  return g_strdup_printf ("chapter %d offset %" G_GINT64_FORMAT " (%.1f%%) %s",
                          self->chapter, self->offset, self->total_progress * 100.0,
                          self->xpointer != NULL ? self->xpointer : "");
}
