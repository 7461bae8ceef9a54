/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: the Kobo library sync parser: one page of GET v1/library/sync
 * (an array of NewEntitlement / ChangedEntitlement / ChangedProductMetadata /
 * ChangedReadingState items) applied to a catalog, then each catalog entry
 * read back as the library lists it; and the source settings parser. The
 * parser's steps come from the module's private header.
 */

#include "config.h"

#include "kios-kobo-library-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char       *text = g_strndup ((const char *) data, size);
  g_autoptr (GPtrArray)  states = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_kobo_reading_state_free);
  g_autoptr (JsonObject) catalog = json_object_new ();
  KiosKoboSyncStats      stats = { 0 };
  KiosKoboSettings      *settings;
  JsonNode              *root;
  GList                 *members;

  settings = kios_kobo_settings_parse (text);
  if (settings != NULL)
    kios_kobo_settings_free (settings);

  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return 0;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)) && i < 1000; i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (root), i);

      if (JSON_NODE_HOLDS_OBJECT (item))
        kios_kobo_library_apply_item (catalog, json_node_get_object (item), states, &stats);
    }

  members = json_object_get_members (catalog);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (catalog, l->data);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          KiosKoboEntry *entry = kios_kobo_library_entry_from_json (l->data, json_node_get_object (node));

          if (entry != NULL)
            kios_kobo_entry_free (entry);
        }
    }
  g_list_free (members);
  return 0;
}
