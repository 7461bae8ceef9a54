/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-json"

#include "config.h"

#include "kios-json.h"
#include "kios-readium-client.h"
#include "kios-sync-error.h"

#include <math.h>
#include <string.h>

static char *
nested (const char *open,
        const char *close,
        guint       depth,
        const char *inner)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (s, open);
  g_string_append (s, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append (s, close);
  return g_string_free (s, FALSE);
}

static void
test_table (void)
{
  g_autofree char *deep_array_ok = nested ("[", "]", 8, "1");
  g_autofree char *deep_array = nested ("[", "]", 9, "1");
  g_autofree char *deep_object_ok = nested ("{\"a\":", "}", 8, "1");
  g_autofree char *deep_object = nested ("{\"a\":", "}", 9, "1");
  g_autofree char *mixed = nested ("{\"a\":[", "]}", 5, "1");
  g_autofree char *huge_depth = nested ("[", "]", 100000, "");
  /* Brackets inside strings are text: they never count, escapes included. */
  g_autofree char *in_string = g_strdup_printf ("{\"a\":\"%s\"}", deep_array);
  const char      *escaped = "{\"a\":\"\\\"[[[[[[[[[[[[[[[[[[[[\\\\\",\"b\":[1]}";
  const struct
  {
    const char *name;
    const char *text;
    gboolean    ok;
  } cases[] = {
    { "object", "{\"a\":1,\"b\":[true,null,\"x\"]}", TRUE },
    { "scalar", "42", TRUE },
    { "array depth 8", deep_array_ok, TRUE },
    { "array depth 9", deep_array, FALSE },
    { "object depth 8", deep_object_ok, TRUE },
    { "object depth 9", deep_object, FALSE },
    { "mixed depth 10", mixed, FALSE },
    { "100000 levels", huge_depth, FALSE },
    { "brackets in a string", in_string, TRUE },
    { "escaped quote and backslash", escaped, TRUE },
    { "truncated object", "{\"a\":[1,2", FALSE },
    { "truncated string", "{\"a\":\"abc", FALSE },
    { "truncated escape", "{\"a\":\"abc\\", FALSE },
    { "closes more than it opens", "[1]]", FALSE },
    { "garbage", "<html><body>Login</body></html>", FALSE },
    { "trailing garbage", "{\"a\":1} xyz", FALSE },
    { "empty", "", FALSE },
    { "only spaces", "   ", FALSE },
    { "invalid UTF-8", "{\"a\":\"\xff\xfe\"}", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError)   error = NULL;
      g_autoptr (JsonNode) node = kios_json_parse_bounded (cases[i].text, -1, 1024 * 1024, 8, &error);

      g_test_message ("%s", cases[i].name);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (node);
        }
      else
        {
          g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
          g_assert_null (node);
          /* The message never quotes the document. */
          g_assert_null (strstr (error->message, "Login"));
        }
    }
}

static void
test_size (void)
{
  const char          *text = "{\"key\":\"0123456789\"}"; /* 20 bytes */
  g_autoptr (GError)   error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GBytes)   bytes = g_bytes_new_static (text, strlen (text));

  node = kios_json_parse_bounded (text, -1, 20, 4, &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);

  node = kios_json_parse_bounded (text, -1, 19, 4, &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* An explicit length: only those bytes are the document. */
  node = kios_json_parse_bounded ("[1]garbage", 3, 3, 4, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  g_clear_pointer (&node, json_node_unref);

  node = kios_json_parse_bytes (bytes, 1024, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "key"), ==, "0123456789");
  g_clear_pointer (&node, json_node_unref);

  node = kios_json_parse_bytes (NULL, 1024, 4, &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_clear_error (&error);

  g_assert_true (kios_json_check_bounded ("[[]]", -1, 16, 2, NULL));
  g_assert_false (kios_json_check_bounded ("[[[]]]", -1, 16, 2, NULL));
}

/* The readers go through the guard: a deep document is refused before
 * json-glib builds it. */
static void
test_readers (void)
{
  g_autofree char                   *inner = nested ("[", "]", 70, "1");
  g_autofree char                   *deep = g_strdup_printf ("{\"progression\":0.5,\"x\":%s}", inner);
  const char                        *fine = "{\"progression\":0.5,\"modified\":\"2026-01-01T00:00:00Z\"}";
  g_autoptr (KiosReadiumProgression) progression = NULL;
  g_autoptr (GError)                 error = NULL;

  progression = kios_readium_progression_parse (deep, strlen (deep), NULL, &error);
  g_assert_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "nested"));
  g_assert_null (progression);
  g_clear_error (&error);

  progression = kios_readium_progression_parse (fine, strlen (fine), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (progression);
}

/* Numbers from a server become integers without an undefined cast: values
 * beyond the range are clamped (a fuzzer sent 1.1e60 as a timestamp), NaN
 * gives the fallback. */
static void
test_number_to_int (void)
{
  g_assert_cmpint (kios_json_number_to_int (1.11111e60, G_MININT64, G_MAXINT64, -1), ==, G_MAXINT64);
  g_assert_cmpint (kios_json_number_to_int (-1e300, G_MININT64, G_MAXINT64, -1), ==, G_MININT64);
  g_assert_cmpint (kios_json_number_to_int (9223372036854775807.0, 0, G_MAXINT64, -1), ==, G_MAXINT64);
  g_assert_cmpint (kios_json_number_to_int (INFINITY, 0, G_MAXINT, -1), ==, G_MAXINT);
  g_assert_cmpint (kios_json_number_to_int (NAN, 0, G_MAXINT, -1), ==, -1);
  g_assert_cmpint (kios_json_number_to_int (41.9, 0, G_MAXINT, -1), ==, 41);
  g_assert_cmpint (kios_json_number_to_int (-3, 0, G_MAXINT, -1), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kios/json/table", test_table);
  g_test_add_func ("/kios/json/size", test_size);
  g_test_add_func ("/kios/json/readers", test_readers);
  g_test_add_func ("/kios/json/number-to-int", test_number_to_int);
  return g_test_run ();
}
