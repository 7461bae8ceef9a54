/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-annotation"

#include "config.h"

#include "kios-annotation.h"

#include "kios-error.h"

G_DEFINE_BOXED_TYPE (KiosAnnotation, kios_annotation, kios_annotation_copy, kios_annotation_free)

KiosAnnotation *
kios_annotation_new (void)
{
  return g_new0 (KiosAnnotation, 1);
}

KiosAnnotation *
kios_annotation_copy (const KiosAnnotation *self)
{
  KiosAnnotation *copy;

  if (self == NULL)
    return NULL;

  copy = g_memdup2 (self, sizeof *self);
  copy->hash = g_strdup (self->hash);
  copy->start = kios_position_copy (self->start);
  copy->end = kios_position_copy (self->end);
  copy->text = g_strdup (self->text);
  copy->note = g_strdup (self->note);
  copy->color = g_strdup (self->color);
  copy->chapter_title = g_strdup (self->chapter_title);
  copy->origin = g_strdup (self->origin);
  return copy;
}

void
kios_annotation_free (KiosAnnotation *self)
{
  if (self == NULL)
    return;

  g_free (self->hash);
  kios_position_free (self->start);
  kios_position_free (self->end);
  g_free (self->text);
  g_free (self->note);
  g_free (self->color);
  g_free (self->chapter_title);
  g_free (self->origin);
  g_free (self);
}

const char *
kios_annotation_kind_to_string (KiosAnnotationKind kind)
{
  return kind == KIOS_ANNOTATION_BOOKMARK ? "bookmark" : "highlight";
}

gboolean
kios_annotation_kind_from_string (const char         *str,
                                  KiosAnnotationKind *kind)
{
  if (g_strcmp0 (str, "bookmark") == 0)
    *kind = KIOS_ANNOTATION_BOOKMARK;
  else if (g_strcmp0 (str, "highlight") == 0 || g_strcmp0 (str, "note") == 0)
    *kind = KIOS_ANNOTATION_HIGHLIGHT;
  else
    return FALSE;
  return TRUE;
}

gboolean
kios_annotation_color_is_valid (const char *color)
{
  static const char *const colors[] = { "yellow", "green", "blue", "red" };

  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    if (g_strcmp0 (color, colors[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_positions (const KiosPosition *a,
                   const KiosPosition *b)
{
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  if (a->chapter != b->chapter)
    return a->chapter < b->chapter ? -1 : 1;
  if (a->offset != b->offset)
    return a->offset < b->offset ? -1 : 1;
  return 0;
}

int
kios_annotation_compare (const KiosAnnotation *a,
                         const KiosAnnotation *b)
{
  int cmp = compare_positions (a->start, b->start);

  if (cmp == 0)
    cmp = compare_positions (a->end, b->end);
  if (cmp == 0 && a->id != b->id)
    cmp = a->id < b->id ? -1 : 1;
  return cmp;
}

/* ---- JSON ---------------------------------------------------------------- */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

JsonNode *
kios_annotation_to_json (const KiosAnnotation *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  add_int (builder, "id", self->id);
  add_string (builder, "hash", self->hash);
  add_string (builder, "kind", kios_annotation_kind_to_string (self->kind));
  json_builder_set_member_name (builder, "start");
  if (self->start != NULL)
    json_builder_add_value (builder, kios_position_to_json (self->start));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "end");
  if (self->end != NULL)
    json_builder_add_value (builder, kios_position_to_json (self->end));
  else
    json_builder_add_null_value (builder);
  add_string (builder, "text", self->text);
  add_string (builder, "note", self->note);
  add_string (builder, "color", self->color);
  add_string (builder, "chapter_title", self->chapter_title);
  add_int (builder, "created_at", self->created_at);
  add_int (builder, "updated_at", self->updated_at);
  add_string (builder, "origin", self->origin);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static char *
dup_string_member (JsonObject *object,
                   const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

static gint64
get_int_member (JsonObject *object,
                const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return (gint64) json_node_get_double (node);
    default:
      return 0;
    }
}

KiosAnnotation *
kios_annotation_from_json (JsonNode *node,
                           GError  **error)
{
  g_autoptr (KiosAnnotation) self = NULL;
  g_autofree char           *kind = NULL;
  JsonObject                *object;
  JsonNode                  *member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "An annotation must be a JSON object");
      return NULL;
    }

  object = json_node_get_object (node);
  self = kios_annotation_new ();
  kind = dup_string_member (object, "kind");
  if (!kios_annotation_kind_from_string (kind, &self->kind))
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "An annotation needs a kind of \"bookmark\" or \"highlight\"");
      return NULL;
    }

  member = json_object_get_member (object, "start");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "An annotation needs a start position");
      return NULL;
    }
  self->start = kios_position_from_json (member, error);
  if (self->start == NULL)
    return NULL;

  member = json_object_get_member (object, "end");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      self->end = kios_position_from_json (member, error);
      if (self->end == NULL)
        return NULL;
    }
  if (self->kind == KIOS_ANNOTATION_HIGHLIGHT && self->end == NULL)
    {
      g_set_error_literal (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                           "A highlight needs an end position");
      return NULL;
    }

  self->id = get_int_member (object, "id");
  self->hash = dup_string_member (object, "hash");
  self->text = dup_string_member (object, "text");
  self->note = dup_string_member (object, "note");
  self->color = dup_string_member (object, "color");
  self->chapter_title = dup_string_member (object, "chapter_title");
  self->created_at = get_int_member (object, "created_at");
  self->updated_at = get_int_member (object, "updated_at");
  self->origin = dup_string_member (object, "origin");
  return g_steal_pointer (&self);
}
