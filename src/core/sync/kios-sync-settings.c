/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-settings"

#include "config.h"

#include "kios-sync-settings.h"

#include <json-glib/json-glib.h>
#include <string.h>

const char *
kios_kosync_match_to_string (KiosKosyncMatch match)
{
  return match == KIOS_KOSYNC_MATCH_FILENAME ? "filename" : "binary";
}

gboolean
kios_kosync_match_from_string (const char      *str,
                               KiosKosyncMatch *match)
{
  if (g_strcmp0 (str, "binary") == 0)
    *match = KIOS_KOSYNC_MATCH_BINARY;
  else if (g_strcmp0 (str, "filename") == 0)
    *match = KIOS_KOSYNC_MATCH_FILENAME;
  else
    return FALSE;
  return TRUE;
}

char *
kios_kosync_filename_digest (const char *path)
{
  const char *slash;
  const char *name;

  g_return_val_if_fail (path != NULL, NULL);

  /* KOReader takes everything after the last '/', bytes as they are. */
  slash = strrchr (path, '/');
  name = slash != NULL ? slash + 1 : path;
  if (*name == '\0')
    return NULL;
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, name, -1);
}

const char *
kios_kosync_match_explain (KiosKosyncMatch match)
{
  if (match == KIOS_KOSYNC_MATCH_FILENAME)
    return "Books are matched by file name (KOReader's “Filename” method): a book syncs with every copy that has "
           "the same file name, whatever its contents; library servers do not match books this way";
  return "Books are matched by their contents (KOReader's “Binary” method, the default): a book syncs with "
         "byte-identical copies, such as the file the server's catalog delivers";
}

gboolean
kios_kosync_document_id_is_valid (const char *id)
{
  gsize len;

  if (id == NULL)
    return FALSE;
  len = strlen (id);
  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '_')
      return FALSE;
  return TRUE;
}

/* The settings object (a new empty one when there is none or it is not an object). */
static JsonObject *
settings_object (const KiosSourceRecord *self)
{
  g_autoptr (JsonNode) node = NULL;

  if (self->settings_json != NULL)
    node = json_from_string (self->settings_json, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return json_object_ref (json_node_get_object (node));
  return json_object_new ();
}

static void
settings_store (KiosSourceRecord *self,
                JsonObject       *object)
{
  g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (), object);

  g_free (self->settings_json);
  self->settings_json = json_to_string (root, FALSE);
}

KiosKosyncMatch
kios_source_record_get_match (const KiosSourceRecord *self)
{
  g_autoptr (JsonObject) object = NULL;
  KiosKosyncMatch        match = KIOS_KOSYNC_MATCH_BINARY;
  JsonNode              *member;

  g_return_val_if_fail (self != NULL, KIOS_KOSYNC_MATCH_BINARY);

  object = settings_object (self);
  member = json_object_get_member (object, "match");
  if (member != NULL && JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
    kios_kosync_match_from_string (json_node_get_string (member), &match);
  return match;
}

void
kios_source_record_set_match (KiosSourceRecord *self,
                              KiosKosyncMatch   match)
{
  g_autoptr (JsonObject) object = NULL;

  g_return_if_fail (self != NULL);

  /* Every other key is kept as it is. */
  object = settings_object (self);
  json_object_set_string_member (object, "match", kios_kosync_match_to_string (match));
  settings_store (self, object);
}

gboolean
kios_source_record_get_bridge (const KiosSourceRecord *self)
{
  g_autoptr (JsonObject) object = NULL;
  JsonNode              *member;

  g_return_val_if_fail (self != NULL, FALSE);

  object = settings_object (self);
  member = json_object_get_member (object, "bridge");
  return member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
         json_node_get_value_type (member) == G_TYPE_BOOLEAN && json_node_get_boolean (member);
}

void
kios_source_record_set_bridge (KiosSourceRecord *self,
                               gboolean          bridge)
{
  g_autoptr (JsonObject) object = NULL;

  g_return_if_fail (self != NULL);

  object = settings_object (self);
  json_object_set_boolean_member (object, "bridge", bridge);
  settings_store (self, object);
}
