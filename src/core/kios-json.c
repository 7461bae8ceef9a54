/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-json"

#include "config.h"

#include "kios-json.h"

#include "kios-sync-error.h"

#include <math.h>
#include <string.h>

gboolean
kios_json_check_bounded (const char *data,
                         gssize      len,
                         gsize       max_bytes,
                         guint       max_depth,
                         GError    **error)
{
  gsize    size;
  guint    depth = 0;
  gboolean in_string = FALSE;

  if (data == NULL)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "Empty JSON document");
      return FALSE;
    }
  /* Never walk past max_bytes + 1, even for a NUL-terminated string. */
  size = len < 0 ? strnlen (data, MIN (max_bytes, (gsize) G_MAXSSIZE - 1) + 1) : (gsize) len;
  if (size > max_bytes)
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "The JSON document is larger than %" G_GSIZE_FORMAT " bytes: refused", max_bytes);
      return FALSE;
    }

  for (gsize i = 0; i < size; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++; /* the escaped character, '"' and '\\' included */
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The JSON document is nested deeper than %u levels: refused", max_depth);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          if (depth == 0)
            {
              g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                                   "The JSON document closes more than it opens");
              return FALSE;
            }
          depth--;
          break;
        default:
          break;
        }
    }
  if (in_string || depth != 0)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The JSON document is truncated");
      return FALSE;
    }
  return TRUE;
}

JsonNode *
kios_json_parse_bounded (const char *data,
                         gssize      len,
                         gsize       max_bytes,
                         guint       max_depth,
                         GError    **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError)     local_error = NULL;
  gsize                  size;
  JsonNode              *root;

  if (!kios_json_check_bounded (data, len, max_bytes, max_depth, error))
    return NULL;
  size = len < 0 ? strlen (data) : (gsize) len;
  if (!g_utf8_validate (data, (gssize) size, NULL))
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "The JSON document is not valid UTF-8");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, &local_error))
    {
      g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                   "Not a JSON document (%s)", local_error->message);
      return NULL;
    }
  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL,
                           "Empty JSON document");
      return NULL;
    }
  return root;
}

JsonNode *
kios_json_parse_bytes (GBytes  *bytes,
                       gsize    max_bytes,
                       guint    max_depth,
                       GError **error)
{
  gsize       size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  if (data == NULL)
    data = "";
  return kios_json_parse_bounded (data, (gssize) size, max_bytes, max_depth, error);
}

gint64
kios_json_number_to_int (double value,
                         gint64 min,
                         gint64 max,
                         gint64 fallback)
{
  if (isnan (value))
    return fallback;
  /* (double) G_MAXINT64 rounds up to 2^63, itself out of range: compare
   * with >= so that value never reaches the cast. */
  if (value >= (double) max)
    return max;
  if (value <= (double) min)
    return min;
  return (gint64) value;
}
