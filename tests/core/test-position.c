/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-error.h"
#include "kios-position.h"

static KiosPosition *
sample (KiosBookFormat format)
{
  KiosPosition *pos = kios_position_new ();

  pos->format = format;
  pos->chapter = 12;
  pos->chapter_href = g_strdup ("OEBPS/Text/ch12.xhtml");
  pos->chapter_title = g_strdup ("Chapter XII — “Quotes”");
  pos->offset = 4321;
  pos->chapter_progress = 0.25;
  pos->total_progress = 0.5;
  pos->xpointer = format == KIOS_BOOK_FORMAT_EPUB
                      ? g_strdup ("/body/DocFragment[13]/body/p[7]/text().12")
                      : NULL;
  pos->updated_at = 1767225600; /* 2026-01-01T00:00:00Z */
  pos->device = g_strdup ("Kios on desk");
  pos->device_id = g_strdup ("0123456789ABCDEF0123456789ABCDEF");
  return pos;
}

static void
test_json_round_trip (void)
{
  const KiosBookFormat formats[] = { KIOS_BOOK_FORMAT_EPUB, KIOS_BOOK_FORMAT_PDF };

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (KiosPosition) pos = sample (formats[i]);
      g_autoptr (JsonNode)     node = kios_position_to_json (pos);
      g_autoptr (KiosPosition) back = NULL;
      g_autoptr (GError)       error = NULL;
      JsonObject              *object = json_node_get_object (node);

      g_assert_cmpstr (json_object_get_string_member (object, "updated_at"), ==, "2026-01-01T00:00:00Z");
      /* One of xpointer and page, by format. */
      g_assert_true (json_object_has_member (object, "xpointer") == (formats[i] == KIOS_BOOK_FORMAT_EPUB));
      g_assert_true (json_object_has_member (object, "page") == (formats[i] == KIOS_BOOK_FORMAT_PDF));
      if (formats[i] == KIOS_BOOK_FORMAT_PDF)
        g_assert_cmpint (json_object_get_int_member (object, "page"), ==, 13);

      back = kios_position_from_json (node, &error);
      g_assert_no_error (error);
      g_assert_true (kios_position_equal (pos, back));
      g_assert_cmpstr (back->chapter_href, ==, pos->chapter_href);
      g_assert_cmpstr (back->chapter_title, ==, pos->chapter_title);
      g_assert_cmpfloat (back->chapter_progress, ==, pos->chapter_progress);
      g_assert_cmpfloat (back->total_progress, ==, pos->total_progress);
      g_assert_cmpint (back->updated_at, ==, pos->updated_at);
      g_assert_cmpstr (back->device, ==, pos->device);
      g_assert_cmpstr (back->device_id, ==, pos->device_id);
    }
}

static void
test_hostile_json (void)
{
  const char *cases[] = {
    "[]",
    "42",
    "{}",
    "{\"format\": \"cbz\"}",
    "{\"format\": 7}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonParser)   parser = json_parser_new ();
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosPosition) pos = NULL;

      g_assert_true (json_parser_load_from_data (parser, cases[i], -1, NULL));
      pos = kios_position_from_json (json_parser_get_root (parser), &error);
      g_assert_null (pos);
      g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID);
    }

  /* Out-of-range numbers are clamped, wrong types ignored: nothing crashes. */
  {
    g_autoptr (JsonParser)   parser = json_parser_new ();
    g_autoptr (KiosPosition) pos = NULL;

    g_assert_true (json_parser_load_from_data (parser,
                                               "{\"format\":\"epub\",\"chapter\":-5,\"offset\":1e300,"
                                               "\"chapter_progress\":7,\"total_progress\":-1,"
                                               "\"xpointer\":12,\"updated_at\":\"yesterday\"}",
                                               -1, NULL));
    pos = kios_position_from_json (json_parser_get_root (parser), NULL);
    g_assert_nonnull (pos);
    g_assert_cmpint (pos->chapter, ==, 0);
    g_assert_cmpfloat (pos->chapter_progress, ==, 1.0);
    g_assert_cmpfloat (pos->total_progress, ==, 0.0);
    g_assert_null (pos->xpointer);
    g_assert_cmpint (pos->updated_at, ==, 0);
  }
}

static void
test_equal_ignores_time_and_device (void)
{
  g_autoptr (KiosPosition) a = sample (KIOS_BOOK_FORMAT_EPUB);
  g_autoptr (KiosPosition) b = kios_position_copy (a);

  b->updated_at += 100;
  g_free (b->device);
  b->device = g_strdup ("another");
  g_assert_true (kios_position_equal (a, b));
  b->offset++;
  g_assert_false (kios_position_equal (a, b));
  g_assert_false (kios_position_equal (a, NULL));
  g_assert_true (kios_position_equal (NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/position/json-round-trip", test_json_round_trip);
  g_test_add_func ("/kios/position/hostile-json", test_hostile_json);
  g_test_add_func ("/kios/position/equal", test_equal_ignores_time_and_device);

  return g_test_run ();
}
