/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-lua-table"

#include "config.h"

#include "kios-error.h"
#include "kios-lua-table.h"

#include <gio/gio.h>
#include <string.h>

static char *
fixture (const char *name,
         gsize      *len)
{
  g_autofree char   *path = g_build_filename (TEST_SRCDIR, "fixtures", "koreader", name, NULL);
  g_autoptr (GError) error = NULL;
  char              *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, len, &error));
  g_assert_no_error (error);
  return data;
}

static KiosLuaValue *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  KiosLuaValue      *value = kios_lua_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  return value;
}

/* A sidecar as KOReader writes it: every value where it should be, and
 * written back byte for byte. */
static void
test_koreader_sidecar (void)
{
  gsize                    len = 0;
  g_autofree char         *data = fixture ("metadata.epub.lua", &len);
  g_autoptr (GError)       error = NULL;
  g_autoptr (KiosLuaValue) root = kios_lua_parse (data, (gssize) len, &error);
  g_autofree char         *again = NULL;
  KiosLuaValue            *annotations, *first, *stats;
  gsize                    note_len = 0;

  g_assert_no_error (error);
  g_assert_nonnull (root);
  g_assert_cmpint (kios_lua_value_get_type (root), ==, KIOS_LUA_TABLE);
  annotations = kios_lua_table_get (root, "annotations");
  g_assert_cmpint (kios_lua_table_get_length (annotations), ==, 3);
  first = kios_lua_table_get_index (annotations, 1);
  g_assert_cmpstr (kios_lua_table_get_string (first, "pos1"), ==,
                   "/body/DocFragment[3]/body/section/p[1]/text().35");
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get (first, "note"), &note_len), ==,
                   "Vanity, from the \"first\" line.\nSee chapter 2.");
  g_assert_cmpuint (note_len, ==, strlen ("Vanity, from the \"first\" line.\nSee chapter 2."));
  g_assert_cmpfloat (kios_lua_table_get_number (first, "pageno", -1), ==, 7);
  g_assert_true (kios_lua_value_get_boolean (kios_lua_table_get (root, "bookmarks_sorted_20220106")));
  g_assert_cmpfloat_with_epsilon (kios_lua_table_get_number (root, "last_percent", -1), 0.28205128205128, 1e-15);
  stats = kios_lua_table_get (root, "stats");
  g_assert_cmpfloat (kios_lua_value_get_number (
                         kios_lua_table_get_index (kios_lua_table_get (stats, "performance_in_pages"), 1710450512)),
                     ==, 8);

  again = kios_lua_write (root, "/mnt/onboard/Books/persuasion.sdr/metadata.epub.lua");
  g_assert_cmpstr (again, ==, data);
}

static void
test_strings_and_numbers (void)
{
  g_autoptr (KiosLuaValue) v = parse_ok (
      "-- header\n-- two lines\nreturn {\n"
      "  'single \\'quoted\\'', \"tab\\tnew\\nline\", \"\\65\\066\\x43\\u{e9}\\u{1F600}\",\n"
      "  \"z:\\z   \n   after\", \"back\\\nslash\", \"nul\\0x\", \"\\\\\",\n"
      "  -0.5, 1e3, 0x1F, .25, 5, -7,\n"
      "  name = true; other = false, gone = nil,\n"
      "  [\"k\"] = { }, [2.5] = 'half', [true] = 'yes',\n"
      "}\n");
  gsize                    len = 0;
  const char              *s;
  g_autofree char         *written = NULL;
  g_autoptr (KiosLuaValue) back = NULL;

  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (v, 1), NULL), ==, "single 'quoted'");
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (v, 2), NULL), ==, "tab\tnew\nline");
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (v, 3), NULL), ==, "ABC\xc3\xa9\xf0\x9f\x98\x80");
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (v, 4), NULL), ==, "z:after");
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (v, 5), NULL), ==, "back\nslash");
  s = kios_lua_value_get_string (kios_lua_table_get_index (v, 6), &len);
  g_assert_cmpuint (len, ==, 5);
  g_assert_cmpmem (s, len, "nul\0x", 5);
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (v, 7), NULL), ==, "\\");
  g_assert_cmpfloat (kios_lua_value_get_number (kios_lua_table_get_index (v, 8)), ==, -0.5);
  g_assert_cmpfloat (kios_lua_value_get_number (kios_lua_table_get_index (v, 9)), ==, 1000);
  g_assert_cmpfloat (kios_lua_value_get_number (kios_lua_table_get_index (v, 10)), ==, 31);
  g_assert_cmpfloat (kios_lua_value_get_number (kios_lua_table_get_index (v, 11)), ==, 0.25);
  g_assert_cmpfloat (kios_lua_value_get_number (kios_lua_table_get_index (v, 13)), ==, -7);
  g_assert_cmpint (kios_lua_table_get_length (v), ==, 13);
  g_assert_true (kios_lua_value_get_boolean (kios_lua_table_get (v, "name")));
  g_assert_nonnull (kios_lua_table_get (v, "other"));
  g_assert_false (kios_lua_value_get_boolean (kios_lua_table_get (v, "other")));
  /* A nil value is no entry. */
  g_assert_null (kios_lua_table_get (v, "gone"));
  g_assert_cmpuint (kios_lua_table_get_n_entries (kios_lua_table_get (v, "k")), ==, 0);

  /* Written and read again: the same meaning; literals kept. */
  written = kios_lua_write (v, NULL);
  g_assert_true (g_str_has_prefix (written, "return {\n    [1] = \"single 'quoted'\",\n"));
  g_assert_nonnull (strstr (written, "[10] = 0x1F,"));
  g_assert_nonnull (strstr (written, "[11] = .25,"));
  g_assert_nonnull (strstr (written, "\"nul\\0x\""));
  g_assert_nonnull (strstr (written, "\"tab\tnew\\\nline\""));
  g_assert_nonnull (strstr (written, "[2.5] = \"half\""));
  g_assert_nonnull (strstr (written, "[true] = \"yes\""));
  back = parse_ok (written);
  g_assert_true (kios_lua_value_equal (v, back));
}

static void
test_table_api (void)
{
  g_autoptr (KiosLuaValue) a = parse_ok ("return { x = 1, y = { 'a', 'b' }, [1] = 'one', [1] = 'uno' }");
  g_autoptr (KiosLuaValue) b = parse_ok ("return { [1] = 'uno', y = { [2] = 'b', [1] = 'a' }, x = 1.0 }");
  g_autoptr (KiosLuaValue) c = NULL;
  g_autofree char         *text = NULL;

  /* The last of equal keys wins; order does not matter; 1 == 1.0. */
  g_assert_cmpuint (kios_lua_table_get_n_entries (a), ==, 3);
  g_assert_cmpstr (kios_lua_value_get_string (kios_lua_table_get_index (a, 1), NULL), ==, "uno");
  g_assert_true (kios_lua_value_equal (a, b));

  c = kios_lua_value_copy (a);
  g_assert_true (kios_lua_value_equal (a, c));
  kios_lua_table_set (c, "x", kios_lua_value_new_number (2));
  g_assert_false (kios_lua_value_equal (a, c));
  g_assert_cmpfloat (kios_lua_table_get_number (c, "x", 0), ==, 2);
  kios_lua_table_set (c, "x", NULL);
  g_assert_null (kios_lua_table_get (c, "x"));
  kios_lua_table_set_index (c, 2, kios_lua_value_new_string ("two"));
  g_assert_cmpint (kios_lua_table_get_length (c), ==, 2);
  kios_lua_table_set (c, "text", kios_lua_value_new_string ("say \"hi\"\r\n"));
  text = kios_lua_write (c, "/a/b.lua");
  g_assert_cmpstr (text, ==,
                   "-- /a/b.lua\n"
                   "return {\n"
                   "    [1] = \"uno\",\n"
                   "    [2] = \"two\",\n"
                   "    [\"text\"] = \"say \\\"hi\\\"\\r\\\n\",\n"
                   "    [\"y\"] = {\n"
                   "        [1] = \"a\",\n"
                   "        [2] = \"b\",\n"
                   "    },\n"
                   "}\n");
}

/* Anything that is not a plain table is refused, and nothing runs. */
static void
test_refuses_code (void)
{
  static const char *const bad[] = {
    "",
    "return",
    "{}",
    "os.execute(\"touch /tmp/kios-pwned\") return {}",
    "return os.execute(\"touch /tmp/kios-pwned\")",
    "return { a = os.execute(\"touch /tmp/kios-pwned\") }",
    "return { a = io.open(\"/etc/passwd\"):read(\"*a\") }",
    "return { a = f() }",
    "return { a = function () end }",
    "return function () return {} end",
    "return setmetatable({}, { __index = os })",
    "return {} .. 'x'",
    "return { a = 1 + 2 }",
    "return { a = -x }",
    "return { a = [[long string]] }",
    "return { a = [==[long]==] }",
    "--[[ long comment ]] return {}",
    "return { a = \"no end }",
    "return { a = \"line\nbreak\" }",
    "return { a = 1",
    "return { a = 1 } extra",
    "return { a = 1 }; b = 2",
    "return { [\"a\"] = }",
    "return { a == 1 }",
    "return { [{}] = 1 }",
    "return { [nil] = 1 }",
    "return { [\"a\"] 1 }",
    "return { a = \"\\q\" }",
    "return { a = \"\\300\" }",
    "return { a = \"\\xZZ\" }",
    "return { a = \"\\u{110000}\" }",
    "return { a = 1.2.3 }",
    "return { a = 0x }",
    "return { a = 1e }",
    "return { a = 12abc }",
    "return { a = inf }",
    "return { a = nil nil }",
    "return { a = 1 b = 2 }",
    "return nil",
    "return { _ENV = 1, a = _G }",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosLuaValue) v = kios_lua_parse (bad[i], -1, &error);

      if (v != NULL)
        g_error ("accepted: %s", bad[i]);
      g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
      g_assert_nonnull (strstr (error->message, "line "));
    }
  g_assert_false (g_file_test ("/tmp/kios-pwned", G_FILE_TEST_EXISTS));
}

static char *
nested (guint depth)
{
  GString *s = g_string_new ("return ");

  for (guint i = 0; i < depth; i++)
    g_string_append (s, "{ ");
  for (guint i = 0; i < depth; i++)
    g_string_append (s, "} ");
  return g_string_free (s, FALSE);
}

static char *
many (guint n)
{
  GString *s = g_string_new ("return {");

  for (guint i = 0; i < n; i++)
    g_string_append (s, "1,");
  g_string_append (s, "}");
  return g_string_free (s, FALSE);
}

/* Each limit: at it passes, past it is refused as too complex. */
static void
test_limits (void)
{
  g_autofree char   *deep_ok = nested (KIOS_LIMIT_LUA_DEPTH);
  g_autofree char   *deep_bad = nested (KIOS_LIMIT_LUA_DEPTH + 1);
  g_autofree char   *many_ok = many (KIOS_LIMIT_LUA_VALUES - 1);
  g_autofree char   *many_bad = many (KIOS_LIMIT_LUA_VALUES);
  g_autofree char   *big = NULL;
  g_autoptr (GError) error = NULL;
  KiosLuaValue      *v;
  gsize              n;

  v = parse_ok (deep_ok);
  kios_lua_value_free (v);
  v = kios_lua_parse (deep_bad, -1, &error);
  g_assert_null (v);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_clear_error (&error);

  v = parse_ok (many_ok);
  g_assert_cmpint (kios_lua_table_get_length (v), ==, KIOS_LIMIT_LUA_VALUES - 1);
  kios_lua_value_free (v);
  v = kios_lua_parse (many_bad, -1, &error);
  g_assert_null (v);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_clear_error (&error);

  /* A valid file of exactly the limit parses; one byte more does not. */
  n = KIOS_LIMIT_LUA_BYTES;
  big = g_malloc (n + 2);
  memcpy (big, "return \"", 8);
  memset (big + 8, 'a', n - 9);
  big[n - 1] = '"';
  big[n] = ' ';
  big[n + 1] = '\0';
  v = kios_lua_parse (big, (gssize) n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (kios_lua_value_get_string (v, NULL)), ==, n - 9);
  kios_lua_value_free (v);
  v = kios_lua_parse (big, (gssize) n + 1, &error);
  g_assert_null (v);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_clear_error (&error);
  v = kios_lua_parse (big, -1, &error);
  g_assert_null (v);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_free (g_steal_pointer (&big));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kios/lua-table/koreader-sidecar", test_koreader_sidecar);
  g_test_add_func ("/kios/lua-table/strings-and-numbers", test_strings_and_numbers);
  g_test_add_func ("/kios/lua-table/table-api", test_table_api);
  g_test_add_func ("/kios/lua-table/refuses-code", test_refuses_code);
  g_test_add_func ("/kios/lua-table/limits", test_limits);

  return g_test_run ();
}
