/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* kiosctl's book commands, run as a user would: a separate process, exit codes, stdout. */

#include "config.h"

#include "kios-test-kiosctl.h"

#include "kios-test-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError)     error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_hash (void)
{
  g_autofree char    *book = kios_test_book ("persuasion.epub");
  g_auto (KiosctlRun) run = { 0 };
  g_auto (KiosctlRun) missing = { 0 };
  g_auto (KiosctlRun) usage = { 0 };
  g_autofree char    *expected_prefix = NULL;

  kios_test_kiosctl (&run, NULL, "hash", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (strlen (run.out), ==, 32 + 2 + strlen (book) + 1);
  g_assert_true (g_str_has_suffix (g_strchomp (run.out), book));

  kios_test_kiosctl (&missing, NULL, "hash", "/nonexistent/book.epub", NULL);
  g_assert_cmpint (missing.status, ==, 1);
  g_assert_nonnull (strstr (missing.err, "/nonexistent/book.epub"));

  kios_test_kiosctl (&usage, NULL, "hash", NULL);
  g_assert_cmpint (usage.status, ==, 2);
}

static void
test_info_json (void)
{
  g_autofree char     *book = kios_test_book ("pride-and-prejudice.epub");
  g_auto (KiosctlRun)  run = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonObject          *object;
  JsonArray           *toc;

  kios_test_kiosctl (&run, NULL, "info", "--json", book, NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = parse_json (run.out);
  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "format"), ==, "epub");
  g_assert_nonnull (strstr (json_object_get_string_member (object, "title"), "Pride"));
  g_assert_cmpint (json_object_get_int_member (object, "chapters"), >, 10);
  toc = json_object_get_array_member (object, "toc");
  g_assert_cmpuint (json_array_get_length (toc), >, 10);
  {
    JsonObject *entry = json_array_get_object_element (toc, 3);

    g_assert_true (json_object_has_member (entry, "title"));
    g_assert_true (json_object_has_member (entry, "level"));
    g_assert_true (json_object_has_member (entry, "chapter"));
    g_assert_true (json_object_has_member (entry, "href"));
  }
}

static void
test_position_set_and_get (void)
{
  g_autofree char     *book = kios_test_book ("sense-and-sensibility.epub");
  g_auto (KiosctlRun)  none = { 0 };
  g_auto (KiosctlRun)  set = { 0 };
  g_auto (KiosctlRun)  get = { 0 };
  g_auto (KiosctlRun)  bad = { 0 };
  g_autoptr (JsonNode) set_root = NULL;
  g_autoptr (JsonNode) get_root = NULL;
  JsonObject          *object;
  const char          *keys[] = { "format", "chapter", "chapter_href", "chapter_title", "offset",
                                  "chapter_progress", "total_progress", "xpointer", "updated_at",
                                  "device", "device_id" };

  kios_test_kiosctl (&none, NULL, "position", book, NULL);
  g_assert_cmpint (none.status, ==, 1);
  g_assert_nonnull (strstr (none.err, "no reading position is saved"));

  kios_test_kiosctl (&set, NULL, "position", "--json", book, "--set", "chapter:12:0.5", NULL);
  g_assert_cmpint (set.status, ==, 0);
  set_root = parse_json (set.out);

  kios_test_kiosctl (&get, NULL, "position", "--json", book, NULL);
  g_assert_cmpint (get.status, ==, 0);
  get_root = parse_json (get.out);
  object = json_node_get_object (get_root);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (json_object_has_member (object, keys[i]));
  g_assert_cmpint (json_object_get_int_member (object, "chapter"), ==, 12);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "xpointer"),
                                   "/body/DocFragment[13]/"));
  g_assert_cmpstr (json_object_get_string_member (object, "xpointer"), ==,
                   json_object_get_string_member (json_node_get_object (set_root), "xpointer"));
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "device_id")), ==, 32);
  /* Exactly the contract's keys: an EPUB position has an xpointer and no page. */
  g_assert_cmpuint (json_object_get_size (object), ==, G_N_ELEMENTS (keys));
  g_assert_false (json_object_has_member (object, "page"));

  kios_test_kiosctl (&bad, NULL, "position", book, "--set", "chapter:9999:0.5", NULL);
  g_assert_cmpint (bad.status, ==, 1);
  g_assert_nonnull (strstr (bad.err, "chapter:9999:0.5"));
}

static void
test_position_pdf (void)
{
  g_autofree char     *book = kios_test_book ("persuasion.pdf");
  g_auto (KiosctlRun)  set = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonObject          *object;

  kios_test_kiosctl (&set, NULL, "position", "--json", book, "--set", "page:7", NULL);
  g_assert_cmpint (set.status, ==, 0);
  root = parse_json (set.out);
  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "format"), ==, "pdf");
  g_assert_cmpint (json_object_get_int_member (object, "page"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (object, "chapter"), ==, 6);
  g_assert_false (json_object_has_member (object, "xpointer"));
}

/* A token-bearing URL can come from stdin, so it never shows in argv. */
static void
test_source_url_from_stdin (void)
{
  g_auto (KiosctlRun) add = { 0 };
  g_auto (KiosctlRun) list = { 0 };
  g_autofree char    *db = g_build_filename (g_get_user_data_dir (), "kios", "library.db", NULL);
  g_autofree char    *contents = NULL;
  gsize               len = 0;

  kios_test_kiosctl (&add, "https://books.example/kobo/SECRETTOKEN123\n",
                     "source", "add", "--kind", "kobo", "--name", "shelf", "--url", "-", NULL);
  g_assert_cmpint (add.status, ==, 0);
  kios_test_kiosctl (&list, NULL, "source", "list", "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "\"shelf\""));
  g_assert_null (strstr (list.out, "SECRETTOKEN123"));
  g_assert_null (strstr (add.out, "SECRETTOKEN123"));
  g_assert_null (strstr (add.err, "SECRETTOKEN123"));
  g_assert_true (g_file_get_contents (db, &contents, &len, NULL));
  g_assert_null (g_strstr_len (contents, (gssize) len, "SECRETTOKEN123"));
}

static void
test_render (void)
{
  g_autofree char    *book = kios_test_book ("persuasion.epub");
  g_autofree char    *pdf = kios_test_book ("persuasion.pdf");
  g_autofree char    *out = g_build_filename (g_get_user_cache_dir (), "page.png", NULL);
  g_autofree char    *out_pdf = g_build_filename (g_get_user_cache_dir (), "pdf.png", NULL);
  g_auto (KiosctlRun) run = { 0 };
  g_auto (KiosctlRun) run_pdf = { 0 };
  g_auto (KiosctlRun) usage = { 0 };
  g_autofree char    *png = NULL;
  gsize               len = 0;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  kios_test_kiosctl (&run, NULL, "render", book, "--at", "percent:40", "--size", "480x640",
                     "--font-size", "20", "-o", out, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_file_get_contents (out, &png, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);
  /* IHDR: width and height, big-endian, at bytes 16..23. */
  g_assert_cmpint (((guint8) png[18] << 8) | (guint8) png[19], ==, 480);
  g_assert_cmpint (((guint8) png[22] << 8) | (guint8) png[23], ==, 640);

  kios_test_kiosctl (&run_pdf, NULL, "render", pdf, "--at", "page:2", "--size", "300x300", "-o", out_pdf, NULL);
  g_assert_cmpint (run_pdf.status, ==, 0);
  g_assert_true (g_file_test (out_pdf, G_FILE_TEST_IS_REGULAR));

  kios_test_kiosctl (&usage, NULL, "render", book, "--at", "percent:40", "--size", "huge", "-o", out, NULL);
  g_assert_cmpint (usage.status, ==, 2);
}

static void
test_bad_book (void)
{
  g_autofree char    *path = g_build_filename (g_get_user_cache_dir (), "not-a-book.epub", NULL);
  g_auto (KiosctlRun) run = { 0 };

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "plain text, no zip", -1, NULL));
  kios_test_kiosctl (&run, NULL, "info", path, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not-a-book.epub"));
  g_assert_cmpstr (run.out, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/kiosctl/hash", test_hash);
  g_test_add_func ("/kios/kiosctl/info-json", test_info_json);
  g_test_add_func ("/kios/kiosctl/position-set-and-get", test_position_set_and_get);
  g_test_add_func ("/kios/kiosctl/position-pdf", test_position_pdf);
  g_test_add_func ("/kios/kiosctl/source-url-from-stdin", test_source_url_from_stdin);
  g_test_add_func ("/kios/kiosctl/render", test_render);
  g_test_add_func ("/kios/kiosctl/bad-book", test_bad_book);

  return g_test_run ();
}
