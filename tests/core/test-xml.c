/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-xml"

#include "config.h"

#include "kios-error.h"
#include "kios-xml.h"

#include <string.h>

static xmlDoc *
parse (const char *text,
       GError    **error)
{
  return kios_xml_parse (text, strlen (text), "test.xhtml", error);
}

static char *
body_text (xmlDoc *doc)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *body = kios_xml_first_child (root, "body");

  return kios_xml_get_text (body != NULL ? body : root);
}

static void
test_simple (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<?xml version='1.0'?>\n"
                                  "<html xmlns='http://www.w3.org/1999/xhtml' xmlns:epub='http://www.idpf.org/2007/ops'>"
                                  "<head><title>T</title></head>"
                                  "<body><p epub:type='x' id='a'>Hello <b>world</b></p></body></html>",
                                  &error);
  xmlNode           *root, *body, *p;
  g_autofree char   *text = NULL;
  g_autofree char   *type = NULL;
  g_autofree char   *id = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  root = xmlDocGetRootElement (doc);
  g_assert_true (kios_xml_has_name (root, "html"));
  g_assert_false (kios_xml_has_name (root, "body"));
  g_assert_false (kios_xml_has_name (NULL, "body"));
  body = kios_xml_first_child (root, "body");
  g_assert_nonnull (body);
  g_assert_null (kios_xml_first_child (root, "nav"));
  p = kios_xml_first_child (body, NULL);
  g_assert_true (kios_xml_has_name (p, "p"));
  type = kios_xml_get_attr (p, "type");
  g_assert_cmpstr (type, ==, "x");
  id = kios_xml_get_attr (p, "id");
  g_assert_cmpstr (id, ==, "a");
  g_assert_null (kios_xml_get_attr (p, "class"));
  text = kios_xml_get_text (p);
  g_assert_cmpstr (text, ==, "Hello world");
  g_assert_null (kios_xml_get_text (NULL));
}

static void
test_html_entities (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<!DOCTYPE html>\n<html><body><p title='a&eacute;b'>"
                                  "a&nbsp;b&mdash;c&hellip;&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&unknownent;"
                                  "<![CDATA[&nbsp;]]><!-- &nbsp; --></p></body></html>",
                                  &error);
  g_autofree char   *text = NULL;
  g_autofree char   *title = NULL;
  xmlNode           *p;

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  text = body_text (doc);
  /* U+00A0, U+2014, U+2026; unknown names stay literal; CDATA is not touched. */
  g_assert_cmpstr (text, ==, "a\xc2\xa0"
                             "b\xe2\x80\x94"
                             "c\xe2\x80\xa6&<>\"'AB&unknownent;&nbsp;");
  p = kios_xml_first_child (kios_xml_first_child (xmlDocGetRootElement (doc), "body"), "p");
  title = kios_xml_get_attr (p, "title");
  g_assert_cmpstr (title, ==, "a\xc3\xa9"
                              "b");
}

static void
test_entity_bomb (void)
{
  GString           *s = g_string_new ("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY lol 'lol'>\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char   *text = NULL;
  gint64             start;

  for (int i = 1; i < 10; i++)
    {
      g_string_append_printf (s, "<!ENTITY lol%d '", i);
      for (int j = 0; j < 10; j++)
        g_string_append_printf (s, i == 1 ? "&lol;" : "&lol%d;", i - 1);
      g_string_append (s, "'>\n");
    }
  g_string_append (s, "<!ENTITY % pe '<!ENTITY x \"]>\">'> %pe;\n]>\n<lolz a='&lol9;'>&lol9;</lolz>");

  start = g_get_monotonic_time ();
  doc = kios_xml_parse (s->str, s->len, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  if (doc != NULL)
    {
      text = kios_xml_get_text (xmlDocGetRootElement (doc));
      g_assert_cmpint (strlen (text), <, 100);
      g_assert_null (strstr (text, "lollol"));
    }
  else
    g_assert_nonnull (error);
  g_string_free (s, TRUE);
}

static void
test_external_entity (void)
{
  const char *cases[] = {
    "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><r>&xxe;</r>",
    "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY % xxe SYSTEM 'file:///etc/passwd'> %xxe;]><r>x</r>",
    "<?xml version='1.0'?><!DOCTYPE r SYSTEM 'file:///etc/passwd'><r>x</r>",
    "<?xml version='1.0'?><r xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include href='file:///etc/passwd' parse='text'/></r>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (xmlDoc) doc = parse (cases[i], &error);
      g_autofree char   *text = NULL;

      if (doc == NULL)
        {
          g_assert_nonnull (error);
          continue;
        }
      text = kios_xml_get_text (xmlDocGetRootElement (doc));
      g_assert_null (strstr (text, "root:"));
    }
}

static void
test_deep_nesting (void)
{
  const int          depth = 200000;
  GString           *s = g_string_new ("<html><body>");
  g_autoptr (GError) error = NULL;
  xmlDoc            *doc;
  gint64             start;

  for (int i = 0; i < depth; i++)
    g_string_append (s, "<div>");
  g_string_append (s, "x");
  for (int i = 0; i < depth; i++)
    g_string_append (s, "</div>");
  g_string_append (s, "</body></html>");

  start = g_get_monotonic_time ();
  doc = kios_xml_parse (s->str, s->len, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_null (doc);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_string_free (s, TRUE);
}

static void
test_moderate_nesting (void)
{
  /* Deeper than libxml2's default 256, within our limit: must parse. */
  const int          depth = KIOS_XML_MAX_DEPTH - 10;
  GString           *s = g_string_new ("<html><body>");
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char   *text = NULL;

  for (int i = 0; i < depth; i++)
    g_string_append (s, "<span><br/>");
  g_string_append (s, "deep");
  for (int i = 0; i < depth; i++)
    g_string_append (s, "</span>");
  g_string_append (s, "</body></html>");

  doc = kios_xml_parse (s->str, s->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  text = body_text (doc);
  g_assert_cmpstr (text, ==, "deep");
  g_string_free (s, TRUE);
}

static void
test_sloppy_html_not_deep (void)
{
  /* 3000 paragraphs without end tags: not nesting for an HTML parser. */
  GString           *s = g_string_new ("<html><body>");
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char   *text = NULL;

  for (int i = 0; i < 3000; i++)
    g_string_append (s, "<p>x<br>");
  g_string_append (s, "</body></html>");
  doc = kios_xml_parse (s->str, s->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  text = body_text (doc);
  g_assert_cmpuint (strlen (text), ==, 3000);
  g_string_free (s, TRUE);
}

static void
test_nested_paragraphs_bounded (void)
{
  /* Deep by the XML reading only: must not be parsed with XML_PARSE_HUGE. */
  const int          depth = 100000;
  GString           *s = g_string_new ("<html><body>");
  g_autoptr (GError) error = NULL;
  xmlDoc            *doc;
  gint64             start;

  for (int i = 0; i < depth; i++)
    g_string_append (s, "<p>");
  g_string_append (s, "x");
  for (int i = 0; i < depth; i++)
    g_string_append (s, "</p>");
  g_string_append (s, "</body></html>");
  start = g_get_monotonic_time ();
  doc = kios_xml_parse (s->str, s->len, NULL, &error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  if (doc != NULL)
    {
      g_assert_no_error (error);
      xmlFreeDoc (doc);
    }
  else
    g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
  g_string_free (s, TRUE);
}

static void
test_invalid_utf8 (void)
{
  const char         data[] = "<html><body><p>ab\xff\xfe"
                              "cd\xc3</p><p>ef</p></body></html>";
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = kios_xml_parse (data, sizeof data - 1, NULL, &error);

  if (doc != NULL)
    {
      g_autofree char *text = body_text (doc);

      g_assert_true (g_utf8_validate (text, -1, NULL));
    }
  else
    g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
}

static void
test_truncated (void)
{
  const char *full = "<?xml version='1.0'?><html><body><p>one</p><p>two <b>three</b></p></body></html>";
  gsize       len = strlen (full);

  /* Every prefix either fails cleanly or yields a tree. */
  for (gsize i = 0; i < len; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (xmlDoc) doc = kios_xml_parse (full, i, NULL, &error);

      if (doc == NULL)
        g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
      else
        g_assert_nonnull (xmlDocGetRootElement (doc));
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (xmlDoc) doc = kios_xml_parse (full, 50, NULL, &error);
    g_autofree char   *text = NULL;

    g_assert_nonnull (doc);
    text = body_text (doc);
    g_assert_true (g_str_has_prefix (text, "one"));
  }
}

static void
test_garbage (void)
{
  const char *cases[] = { "", "   ", "not xml at all", "\x01\x02\x03", "<", "<<<>>>", "<!DOCTYPE", "<!--", "<![CDATA[" };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (xmlDoc) doc = parse (cases[i], &error);

      if (doc == NULL)
        g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED);
    }
}

static void
test_malformed_falls_back (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<html><body><p>one<p>two & three<br></body></html>", &error);
  g_autofree char   *text = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  text = body_text (doc);
  g_assert_nonnull (strstr (text, "one"));
}

static void
test_utf16 (void)
{
  const char        *utf8 = "<?xml version='1.0' encoding='UTF-16'?><r>a&nbsp;\xc3\xa9</r>";
  g_autofree char   *utf16 = NULL;
  gsize              len = 0;
  GString           *s = g_string_new_len ("\xff\xfe", 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char   *text = NULL;

  utf16 = g_convert (utf8, -1, "UTF-16LE", "UTF-8", NULL, &len, NULL);
  g_assert_nonnull (utf16);
  g_string_append_len (s, utf16, len);
  doc = kios_xml_parse (s->str, s->len, NULL, &error);
  g_assert_no_error (error);
  text = kios_xml_get_text (xmlDocGetRootElement (doc));
  g_assert_cmpstr (text, ==, "a\xc2\xa0\xc3\xa9");
  g_string_free (s, TRUE);
}

static void
test_size_cap (void)
{
  g_autoptr (GError) error = NULL;
  xmlDoc            *doc = kios_xml_parse ("<r/>", (gsize) KIOS_XML_MAX_SIZE + 1, NULL, &error);

  /* The cap is checked before the bytes are read. */
  g_assert_null (doc);
  g_assert_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/xml/simple", test_simple);
  g_test_add_func ("/kios/xml/html-entities", test_html_entities);
  g_test_add_func ("/kios/xml/entity-bomb", test_entity_bomb);
  g_test_add_func ("/kios/xml/external-entity", test_external_entity);
  g_test_add_func ("/kios/xml/deep-nesting", test_deep_nesting);
  g_test_add_func ("/kios/xml/moderate-nesting", test_moderate_nesting);
  g_test_add_func ("/kios/xml/sloppy-html", test_sloppy_html_not_deep);
  g_test_add_func ("/kios/xml/nested-paragraphs", test_nested_paragraphs_bounded);
  g_test_add_func ("/kios/xml/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/kios/xml/truncated", test_truncated);
  g_test_add_func ("/kios/xml/garbage", test_garbage);
  g_test_add_func ("/kios/xml/malformed", test_malformed_falls_back);
  g_test_add_func ("/kios/xml/utf16", test_utf16);
  g_test_add_func ("/kios/xml/size-cap", test_size_cap);

  return g_test_run ();
}
