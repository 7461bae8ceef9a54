/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libFuzzer: the Kobo reading state reader (an object, or an array of them
 * as GET v1/library/{id}/state answers) and the Kobo time parser. */

#include "kios-kobo-client.h"

#include <json-glib/json-glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

static void
read_state (JsonNode *node)
{
  KiosKoboReadingState *state;
  JsonObject           *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);
  state = kios_kobo_reading_state_from_json (object);
  if (state != NULL)
    kios_kobo_reading_state_free (state);
  if (json_object_has_member (object, "LastModified") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "LastModified")) &&
      json_node_get_value_type (json_object_get_member (object, "LastModified")) == G_TYPE_STRING)
    (void) kios_kobo_parse_time (json_object_get_string_member (object, "LastModified"));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char       *text = g_strndup ((const char *) data, size);
  JsonNode              *root;

  (void) kios_kobo_parse_time (text);
  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array) && i < 1000; i++)
        read_state (json_array_get_element (array, i));
    }
  else
    read_state (root);
  return 0;
}
