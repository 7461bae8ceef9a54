/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-error-messages"

#include "config.h"

#include "kios-document.h"
#include "kios-error-messages.h"
#include "kios-error.h"
#include "kios-fake-server.h"
#include "kios-http.h"
#include "kios-sync-error.h"
#include "kios-test-kiosctl.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* What a core message may look like: libcurl's words, a method and URL.
 * None of it may reach the sentence. */
#define RAW_MESSAGE "GET http://127.0.0.1:1/: Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server RAWCORE"
#define HOST "books.example.org:8080"
#define SUGGESTED "https://books.example.org/opds"

typedef struct
{
  const char *name;
  GQuark      domain;
  int         first;
  int         last;
} Domain;

static void
assert_clean (const char *sentence)
{
  static const char *const forbidden[] = {
    "RAWCORE",
    "curl",
    "Couldn't",
    "GET ",
    "PUT ",
    "POST ",
    "port 1 after",
    "127.0.0.1:1/",
    "{host}",
    "{url}",
    "(null)",
  };

  g_assert_nonnull (sentence);
  g_assert_cmpuint (strlen (sentence), >, 10);
  g_assert_true (g_utf8_validate (sentence, -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (forbidden); i++)
    if (strstr (sentence, forbidden[i]) != NULL)
      g_error ("“%s” contains “%s”", sentence, forbidden[i]);
  /* A sentence: it ends like one. */
  g_assert_true (g_str_has_suffix (sentence, ".") || g_str_has_suffix (sentence, "?"));
}

/* Every code of every domain the core raises (and a few past the end):
 * a clean sentence, with and without a host, and a valid action. */
static void
test_every_code (void)
{
  const Domain domains[] = {
    { "http", KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_NETWORK, KIOS_HTTP_ERROR_FAILED + 2 },
    { "sync", KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK, KIOS_SYNC_ERROR_NOT_CATALOG + 2 },
    { "store", KIOS_STORE_ERROR, KIOS_STORE_ERROR_OPEN, KIOS_STORE_ERROR_FAILED + 2 },
    { "document", KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK, KIOS_DOCUMENT_ERROR_INVALID + 2 },
    { "gio", G_IO_ERROR, G_IO_ERROR_FAILED, G_IO_ERROR_NO_SUCH_DEVICE + 2 },
    { "file", G_FILE_ERROR, G_FILE_ERROR_EXIST, G_FILE_ERROR_FAILED + 2 },
    { "unknown", g_quark_from_static_string ("some-library-error-quark"), 0, 3 },
  };
  guint n = 0;

  for (gsize d = 0; d < G_N_ELEMENTS (domains); d++)
    for (int code = domains[d].first; code <= domains[d].last; code++)
      {
        g_autoptr (GError) error = g_error_new_literal (domains[d].domain, code, RAW_MESSAGE);
        KiosErrorAction    action = 99;
        g_autofree char   *bare = kios_error_describe (error, NULL, NULL, &action);
        g_autofree char   *named = kios_error_describe (error, HOST, NULL, NULL);
        g_autofree char   *hinted = kios_error_describe (error, HOST, SUGGESTED, NULL);
        g_autofree char   *open = kios_error_message_for_open (error);
        g_autofree char   *store = kios_error_message_for_store (error);

        g_test_message ("%s %d: %s", domains[d].name, code, named);
        assert_clean (bare);
        assert_clean (named);
        assert_clean (hinted);
        assert_clean (open);
        assert_clean (store);
        g_assert_cmpint (action, >=, KIOS_ERROR_ACTION_NONE);
        g_assert_cmpint (action, <=, KIOS_ERROR_ACTION_CHOOSE_FILE);
        /* Without a host the sentence names none; with one, never a URL. */
        g_assert_null (strstr (bare, "books.example.org"));
        g_assert_null (strstr (named, "://books"));
        /* The suggestion is offered only where it fits, and then whole. */
        if (strstr (hinted, "Did you mean") != NULL)
          {
            g_assert_nonnull (strstr (hinted, "Did you mean " SUGGESTED "?"));
            g_assert_cmpint (action, ==, KIOS_ERROR_ACTION_EDIT_SOURCE);
          }
        else
          g_assert_cmpstr (hinted, ==, named);
        n++;
      }
  g_test_message ("%u codes described", n);
}

/* The cases a person meets most, word for word where it matters. */
static void
test_named_cases (void)
{
  const struct
  {
    GQuark          domain;
    int             code;
    const char     *host;
    const char     *suggested;
    const char     *expected; /* a part of the sentence */
    KiosErrorAction action;
  } cases[] = {
    { KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_NETWORK, "127.0.0.1:1", NULL,
      "Kios could not reach 127.0.0.1:1. Check that the server is running and the address is right.",
      KIOS_ERROR_ACTION_RETRY },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK, NULL, NULL,
      "Kios could not reach the server. Check that the server is running and the address is right.",
      KIOS_ERROR_ACTION_RETRY },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, HOST, NULL, HOST " refused the user name or password",
      KIOS_ERROR_ACTION_CHECK_ACCOUNT },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG, HOST, "https://books.example.org:8080/opds",
      "perhaps a login page, instead of a catalog. Check the catalog’s address. Did you mean https://books.example.org:8080/opds?",
      KIOS_ERROR_ACTION_EDIT_SOURCE },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_PROTOCOL, HOST, "https://books.example.org:8080/opds",
      "Did you mean https://books.example.org:8080/opds?", KIOS_ERROR_ACTION_EDIT_SOURCE },
    { KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TLS, HOST, NULL, "secure connection to " HOST, KIOS_ERROR_ACTION_EDIT_SOURCE },
    { KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TIMEOUT, HOST, NULL, HOST " did not answer in time", KIOS_ERROR_ACTION_RETRY },
    /* A hanging sync server is not a dead one. */
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT, HOST, NULL, HOST " did not answer in time", KIOS_ERROR_ACTION_RETRY },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT, NULL, NULL, "The server did not answer in time.",
      KIOS_ERROR_ACTION_RETRY },
    { KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_TOO_LARGE, HOST, NULL, "too large", KIOS_ERROR_ACTION_NONE },
    { KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_INVALID_URL, HOST, NULL, "starts with http:// or https://",
      KIOS_ERROR_ACTION_EDIT_SOURCE },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, NULL, "http://127.0.0.1:5/kosync",
      "Check the address in the account settings. Did you mean http://127.0.0.1:5/kosync? That is where "
      "Calibre-Web-Automated serves KOReader sync.",
      KIOS_ERROR_ACTION_EDIT_SOURCE },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, NULL, "http://127.0.0.1:5/api/koreader",
      "Did you mean http://127.0.0.1:5/api/koreader? That is where Grimmory / BookLore serves KOReader sync.",
      KIOS_ERROR_ACTION_EDIT_SOURCE },
    /* A catalog suggestion names no KOReader sync family. */
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, NULL, "http://127.0.0.1:5/opds", "Did you mean http://127.0.0.1:5/opds?",
      KIOS_ERROR_ACTION_EDIT_SOURCE },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SECRETS, HOST, NULL, "keyring", KIOS_ERROR_ACTION_RETRY },
    /* A suggestion never rides on an error that is not about the address. */
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, HOST, SUGGESTED, "Check them in the account settings.",
      KIOS_ERROR_ACTION_CHECK_ACCOUNT },
    { KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK, NULL, NULL, "This file is not an e-book.",
      KIOS_ERROR_ACTION_CHOOSE_FILE },
    { KIOS_STORE_ERROR, KIOS_STORE_ERROR_CORRUPT, NULL, NULL, "Your library is damaged.", KIOS_ERROR_ACTION_NONE },
    { KIOS_STORE_ERROR, KIOS_STORE_ERROR_FAILED, NULL, NULL, "could not save to your library",
      KIOS_ERROR_ACTION_RETRY },
    { G_IO_ERROR, G_IO_ERROR_NO_SPACE, NULL, NULL, "The disk is full.", KIOS_ERROR_ACTION_RETRY },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = g_error_new_literal (cases[i].domain, cases[i].code, RAW_MESSAGE);
      KiosErrorAction    action = 99;
      g_autofree char   *sentence = kios_error_describe (error, cases[i].host, cases[i].suggested, &action);

      g_test_message ("%s", sentence);
      if (strstr (sentence, cases[i].expected) == NULL)
        g_error ("“%s” does not contain “%s”", sentence, cases[i].expected);
      g_assert_cmpint (action, ==, cases[i].action);
      if (g_str_has_suffix (cases[i].expected, "/opds?"))
        g_assert_null (strstr (sentence, "KOReader"));
      if (cases[i].suggested == NULL || action != KIOS_ERROR_ACTION_EDIT_SOURCE)
        g_assert_null (strstr (sentence, "Did you mean"));
    }
}

/* Whatever the caller passes as the host, only a host reaches the sentence. */
static void
test_host (void)
{
  g_autoptr (GError) error = g_error_new_literal (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, RAW_MESSAGE);
  const struct
  {
    const char *in;
    const char *shown; /* NULL: the sentence without a host */
  } cases[] = {
    { "https://bob:secret@books.example.org:8443/api/opds/TOKEN123/catalog?apiKey=K3Y", "books.example.org:8443" },
    { "http://books.example.org/kosync", "books.example.org" },
    { "http://[::1]:8080/", "[::1]:8080" },
    { "books.example.org", "books.example.org" },
    { "", NULL },
    { "not a url://", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sentence = kios_error_describe (error, cases[i].in, NULL, NULL);

      g_test_message ("%s → %s", cases[i].in, sentence);
      assert_clean (sentence);
      g_assert_null (strstr (sentence, "secret"));
      g_assert_null (strstr (sentence, "bob"));
      g_assert_null (strstr (sentence, "TOKEN123"));
      g_assert_null (strstr (sentence, "K3Y"));
      if (cases[i].shown != NULL)
        g_assert_true (g_str_has_prefix (sentence, cases[i].shown));
      else
        g_assert_true (g_str_has_prefix (sentence, "The server refused"));
    }

  {
    g_autofree char *host = kios_error_host_from_url ("https://u:p@h.example:1/x?token=y");
    g_autofree char *none = kios_error_host_from_url ("/just/a/path");

    g_assert_cmpstr (host, ==, "h.example:1");
    g_assert_null (none);
  }

  /* A suggested URL with a token in it is shown redacted. */
  {
    g_autoptr (GError) wrong = g_error_new_literal (KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL, RAW_MESSAGE);
    g_autofree char   *sentence = kios_error_describe (wrong, NULL, "https://h.example/api/opds/SECRETKEY9/", NULL);

    g_assert_null (strstr (sentence, "SECRETKEY9"));
    g_assert_nonnull (strstr (sentence, "Did you mean https://h.example/api/opds/REDACTED/?"));
  }
}

static void
test_actions (void)
{
  g_assert_null (kios_error_action_label (KIOS_ERROR_ACTION_NONE));
  for (int a = KIOS_ERROR_ACTION_RETRY; a <= KIOS_ERROR_ACTION_CHOOSE_FILE; a++)
    {
      const char *label = kios_error_action_label (a);

      g_assert_nonnull (label);
      g_assert_cmpuint (strlen (label), >, 2);
    }
}

/* The sentences the app shows when a book or the library cannot be opened. */
static void
test_open_and_store (void)
{
  const struct
  {
    GQuark      domain;
    int         code;
    const char *expected;
  } open_cases[] = {
    { KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_EBOOK, "This file is not an e-book. Kios opens EPUB and PDF books." },
    { KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_DAMAGED, "The book is damaged and cannot be read." },
    { KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_NOT_FOUND, "The file could not be found. It may have been moved or deleted." },
    { KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID, "The book could not be read." },
    { G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The file could not be found. It may have been moved or deleted." },
    { G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "You do not have permission to read this file." },
    { G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "This is a folder, not a book." },
    { G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Only files on this computer can be opened." },
    { G_IO_ERROR, G_IO_ERROR_FAILED, "The book could not be read." },
    { G_FILE_ERROR, G_FILE_ERROR_NOENT, "The file could not be found. It may have been moved or deleted." },
    { G_FILE_ERROR, G_FILE_ERROR_ACCES, "You do not have permission to read this file." },
    { KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH, "The book could not be read." },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (open_cases); i++)
    {
      g_autoptr (GError) error = g_error_new_literal (open_cases[i].domain, open_cases[i].code, RAW_MESSAGE);
      g_autofree char   *sentence = kios_error_message_for_open (error);

      g_assert_cmpstr (sentence, ==, open_cases[i].expected);
    }

  {
    g_autoptr (GError) corrupt = g_error_new_literal (KIOS_STORE_ERROR, KIOS_STORE_ERROR_CORRUPT, RAW_MESSAGE);
    g_autoptr (GError) other = g_error_new_literal (KIOS_STORE_ERROR, KIOS_STORE_ERROR_OPEN, RAW_MESSAGE);
    g_autofree char   *a = kios_error_message_for_store (corrupt);
    g_autofree char   *b = kios_error_message_for_store (other);

    g_assert_cmpstr (a, ==, "Your library is damaged. Reading positions will not be saved.");
    g_assert_cmpstr (b, ==, "Your library could not be opened. Reading positions will not be saved.");
  }
}

/* End to end: a real refused connection through kios-http comes out as the
 * sentence, with none of libcurl's words. */
static void
test_real_http_error (void)
{
  guint16                      port = 0;
  g_autofree char             *url = NULL;
  g_autofree char             *host = NULL;
  g_autofree char             *expected = NULL;
  g_autofree char             *sentence = NULL;
  g_autoptr (KiosHttpRequest)  request = NULL;
  g_autoptr (KiosHttpResponse) response = NULL;
  g_autoptr (GError)           error = NULL;
  KiosErrorAction              action = KIOS_ERROR_ACTION_NONE;

  {
    g_autoptr (GSocketListener) closed = kios_fake_black_hole_new (&port);
    g_socket_listener_close (closed);
  }
  url = g_strdup_printf ("http://127.0.0.1:%u/api/koreader/SECRETKEY/users/auth", port);
  request = kios_http_request_new ("GET", url);
  response = kios_http_send_sync (request, NULL, &error);
  g_assert_error (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_NETWORK);
  /* The core message itself no longer carries libcurl's text either. */
  g_test_message ("core: %s", error->message);
  g_assert_null (strstr (error->message, "Couldn't"));
  g_assert_null (strstr (error->message, "Failed to connect"));
  g_assert_null (strstr (error->message, "SECRETKEY"));

  host = kios_error_host_from_url (url);
  sentence = kios_error_describe (error, host, NULL, &action);
  expected = g_strdup_printf ("Kios could not reach 127.0.0.1:%u. Check that the server is running and the address is right.", port);
  g_assert_cmpstr (sentence, ==, expected);
  g_assert_cmpint (action, ==, KIOS_ERROR_ACTION_RETRY);
}

/* kiosctl prints the app's sentence for the same error, word for word. */
static void
test_kiosctl_same_sentences (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kios-messages-XXXXXX", NULL);
  g_autofree char *not_a_book = g_build_filename (dir, "not-a-book.epub", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.epub", NULL);
  const char      *files[] = { not_a_book, missing };

  g_assert_true (g_file_set_contents (not_a_book, "just some text, no zip", -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_auto (KiosctlRun)      run = { 0 };
      g_autoptr (GError)       error = NULL;
      g_autoptr (KiosDocument) doc = kios_document_open_sync (files[i], &error);
      g_autofree char         *sentence = NULL;
      g_autofree char         *expected = NULL;

      g_assert_null (doc);
      g_assert_nonnull (error);
      sentence = kios_error_describe (error, NULL, NULL, NULL);
      expected = g_strdup_printf ("kiosctl: cannot open %s: %s\n", files[i], sentence);

      kios_test_kiosctl (&run, NULL, "info", files[i], NULL);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_cmpstr (run.err, ==, expected);
      /* The core's own words stay out of it. */
      g_assert_null (strstr (run.err, error->message));
    }
  g_remove (not_a_book);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/kios/error-messages/every-code", test_every_code);
  g_test_add_func ("/kios/error-messages/named-cases", test_named_cases);
  g_test_add_func ("/kios/error-messages/host", test_host);
  g_test_add_func ("/kios/error-messages/actions", test_actions);
  g_test_add_func ("/kios/error-messages/open-and-store", test_open_and_store);
  g_test_add_func ("/kios/error-messages/real-http-error", test_real_http_error);
  g_test_add_func ("/kios/error-messages/kiosctl-same-sentences", test_kiosctl_same_sentences);
  return g_test_run ();
}
