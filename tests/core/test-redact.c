/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-redact"

#include "config.h"

#include "kios-redact.h"

#include <string.h>

typedef struct
{
  const char *in;
  const char *out;
} Case;

static void
test_url (void)
{
  static const Case cases[] = {
    { "https://host:8083/kosync/users/auth", "https://host:8083/kosync/users/auth" },
    { "https://bob:hunter2@host/opds", "https://REDACTED@host/opds" },
    { "https://bob@host:1/x?y=1#f", "https://REDACTED@host:1/x?y=1#f" },
    { "https://host:5000/api/koreader/abcdef0123456789/syncs/progress",
      "https://host:5000/api/koreader/REDACTED/syncs/progress" },
    { "https://host:10801/koreader/stump_key_1/users/auth",
      "https://host:10801/koreader/REDACTED/users/auth" },
    /* Grimmory and Komga mounts carry no key: the route stays readable. */
    { "https://host:6062/api/koreader/users/auth", "https://host:6062/api/koreader/users/auth" },
    { "https://host/koreader/syncs/progress/0123", "https://host/koreader/syncs/progress/0123" },
    { "https://host:8083/kobo/TOKEN123/v1/library/sync", "https://host:8083/kobo/REDACTED/v1/library/sync" },
    { "https://host:6062/api/kobo/tok/v1/initialization", "https://host:6062/api/kobo/REDACTED/v1/initialization" },
    { "https://host:5000/api/opds/KEYKEY/series", "https://host:5000/api/opds/REDACTED/series" },
    { "https://host/opds/v2/catalog", "https://host/opds/v2/catalog" },
    { "https://host/api/v1/opds/catalog", "https://host/api/v1/opds/catalog" },
    { "https://host/feed?apiKey=s3cr3t&page=2", "https://host/feed?apiKey=REDACTED&page=2" },
    { "https://host/feed?page=2&TOKEN=abc;key=1&keyword=x", "https://host/feed?page=2&TOKEN=REDACTED;key=REDACTED&keyword=x" },
    { "https://host/a?access_token=zz#frag", "https://host/a?access_token=REDACTED#frag" },
    { "https://host/koreader", "https://host/koreader" },
    { "https://host/koreader/", "https://host/koreader/" },
    { "/kobo/abc/v1", "/kobo/REDACTED/v1" },
    { "", "" },
    { "not a url", "not a url" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = kios_redact_url (cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
  g_assert_null (kios_redact_url (NULL));
}

static void
test_header (void)
{
  static const Case cases[] = {
    { "Authorization: Basic Ym9iOmh1bnRlcjI=", "Authorization: REDACTED" },
    { "authorization: Bearer x", "authorization: REDACTED" },
    { "Cookie: session=1", "Cookie: REDACTED" },
    { "Set-Cookie: session=1; HttpOnly", "Set-Cookie: REDACTED" },
    { "x-auth-user: bob", "x-auth-user: REDACTED" },
    { "X-Auth-Key: 5f4dcc3b5aa765d61d8327deb882cf99", "X-Auth-Key: REDACTED" },
    { "x-kobo-userkey: abc", "x-kobo-userkey: REDACTED" },
    { "X-Kobo-Sync-Token: abc", "X-Kobo-Sync-Token: REDACTED" },
    { "Accept: application/vnd.koreader.v1+json", "Accept: application/vnd.koreader.v1+json" },
    { "Location: https://host/api/koreader/KEY/users/auth", "Location: https://host/api/koreader/REDACTED/users/auth" },
    { "Content-Length: 12", "Content-Length: 12" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = kios_redact_header (cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
  g_assert_true (kios_redact_header_is_secret ("X-AUTH-KEY"));
  g_assert_false (kios_redact_header_is_secret ("accept"));
}

static void
test_registry (void)
{
  static const Case cases[] = {
    { "login failed for pass w0rd!x", "login failed for REDACTED" },
    { "body: {\"password\":\"pass%20w0rd%21x\"}", "body: {\"password\":\"REDACTED\"}" },
    { "see https://bob:x@host/api/koreader/k3y-1234/users/auth now",
      "see https://REDACTED@host/api/koreader/REDACTED/users/auth now" },
    { "key k3y-1234 and k3y-12345", "key REDACTED and REDACTED" },
    { "a short ab stays", "a short ab stays" },
    { "httpx http:/ https://h/?token=t end", "httpx http:/ https://h/?token=REDACTED end" },
  };

  kios_redact_register_secret ("pass w0rd!x");
  kios_redact_register_secret ("k3y-1234");
  kios_redact_register_secret ("k3y-12345");
  kios_redact_register_secret ("ab"); /* too short: ignored */
  kios_redact_register_secret (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = kios_redact_text (cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }

  /* A registered secret anywhere in a URL is gone too, even off the known paths. */
  {
    g_autofree char *out = kios_redact_url ("https://host/custom/k3y-1234/x");
    g_assert_cmpstr (out, ==, "https://host/custom/REDACTED/x");
  }
  g_assert_null (kios_redact_text (NULL));
}

static void
test_hostile (void)
{
  /* Long and odd inputs never crash and never grow without bound. */
  g_autoptr (GString) big = g_string_new ("https://");
  g_autofree char    *out = NULL;

  for (int i = 0; i < 10000; i++)
    g_string_append (big, "@/kobo/?&=#");
  out = kios_redact_text (big->str);
  g_assert_nonnull (out);
  g_assert_cmpuint (strlen (out), <, big->len * 2);
  g_assert_true (g_str_has_prefix (out, "https://REDACTED@/kobo/?&=#"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kios/redact/url", test_url);
  g_test_add_func ("/kios/redact/header", test_header);
  g_test_add_func ("/kios/redact/registry", test_registry);
  g_test_add_func ("/kios/redact/hostile", test_hostile);

  return g_test_run ();
}
