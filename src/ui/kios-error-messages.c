/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-error-messages"

#include "config.h"

#include "kios-error-messages.h"

#include "kios-book-importer.h"
#include "kios-error.h"
#include "kios-kosync-client.h"
#include "kios-library.h"
#include "kios-redact.h"
#include "kios-sync-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

/* Longest host name shown in a sentence: enough for any real one. */
#define MAX_HOST_CHARS 80

#define ANY_CODE (-1)

/*
 * One row per domain + code. A sentence with {host} names the server; the
 * one without is used when the caller does not know it. about_address rows
 * offer the caller's suggested URL ("Did you mean …?"). The last row of a
 * domain with ANY_CODE catches the codes the table does not name.
 */
typedef struct
{
  GQuark (*domain) (void);
  int             code;
  const char     *with_host; /* nullable: the sentence does not name the server */
  const char     *without_host;
  KiosErrorAction action;
  gboolean        about_address;
} Row;

static GQuark
io_error_domain (void)
{
  return G_IO_ERROR;
}

static GQuark
file_error_domain (void)
{
  return G_FILE_ERROR;
}

/* clang-format off */
static const Row rows[] = {
  /* The network, as kios-http reports it. */
  { kios_http_error_quark, KIOS_HTTP_ERROR_NETWORK,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not reach {host}. Check that the server is running and the address is right."),
    N_("Kios could not reach the server. Check that the server is running and the address is right."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_http_error_quark, KIOS_HTTP_ERROR_TIMEOUT,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} did not answer in time. The server may be busy or the connection slow; try again later."),
    N_("The server did not answer in time. It may be busy or the connection slow; try again later."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_http_error_quark, KIOS_HTTP_ERROR_TOO_LARGE,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} sent more than Kios accepts: the file or page is too large."),
    N_("The server sent more than Kios accepts: the file or page is too large."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_http_error_quark, KIOS_HTTP_ERROR_TLS,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not make a secure connection to {host}: its certificate could not be verified. Check the address, or ask the server’s owner about the certificate."),
    N_("Kios could not make a secure connection to the server: its certificate could not be verified. Check the address, or ask the server’s owner about the certificate."),
    KIOS_ERROR_ACTION_EDIT_SOURCE, TRUE },
  { kios_http_error_quark, KIOS_HTTP_ERROR_TOO_MANY_REDIRECTS,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} keeps sending Kios to other addresses. Check that the address is right."),
    N_("The server keeps sending Kios to other addresses. Check that the address is right."),
    KIOS_ERROR_ACTION_EDIT_SOURCE, TRUE },
  { kios_http_error_quark, KIOS_HTTP_ERROR_INVALID_URL,
    NULL,
    N_("This address cannot be used. Enter a full address that starts with http:// or https://."),
    KIOS_ERROR_ACTION_EDIT_SOURCE, TRUE },
  { kios_http_error_quark, ANY_CODE,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not talk to {host}. Try again later."),
    N_("Kios could not talk to the server. Try again later."),
    KIOS_ERROR_ACTION_RETRY, FALSE },

  /* What a sync or catalog server answered. */
  { kios_sync_error_quark, KIOS_SYNC_ERROR_NETWORK,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not reach {host}. Check that the server is running and the address is right."),
    N_("Kios could not reach the server. Check that the server is running and the address is right."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_TIMEOUT,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} did not answer in time. The server may be busy or the connection slow; try again later."),
    N_("The server did not answer in time. It may be busy or the connection slow; try again later."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_AUTH,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} refused the user name or password. Check them in the account settings."),
    N_("The server refused the user name or password. Check them in the account settings."),
    KIOS_ERROR_ACTION_CHECK_ACCOUNT, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_NOT_FOUND,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} does not have this book."),
    N_("The server does not have this book."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_CONFLICT,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} has several books that match this one, so Kios cannot tell which one to use."),
    N_("The server has several books that match this one, so Kios cannot tell which one to use."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_SERVER,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} ran into a problem of its own. Try again later."),
    N_("The server ran into a problem of its own. Try again later."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_PROTOCOL,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} answered, but not in a way Kios understands. Check that the address points to the right service."),
    N_("The server answered, but not in a way Kios understands. Check that the address points to the right service."),
    KIOS_ERROR_ACTION_EDIT_SOURCE, TRUE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_UNSUPPORTED,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} asks for something Kios does not support, such as another way to sign in."),
    N_("The server asks for something Kios does not support, such as another way to sign in."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_DISABLED,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Sync is switched off on {host}. Switch it on there, or switch sync off in Kios."),
    N_("Sync is switched off on the server. Switch it on there, or switch sync off in Kios."),
    KIOS_ERROR_ACTION_OPEN_SETTINGS, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_WRONG_URL,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("The address of {host} is not the one Kios needs for this kind of server. Check the address in the account settings."),
    N_("The address is not the one Kios needs for this kind of server. Check the address in the account settings."),
    KIOS_ERROR_ACTION_EDIT_SOURCE, TRUE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_AUTH_METHOD,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} expects another way to sign in. Change the sign-in method in the account settings."),
    N_("The server expects another way to sign in. Change the sign-in method in the account settings."),
    KIOS_ERROR_ACTION_CHECK_ACCOUNT, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_SECRETS,
    NULL,
    N_("Kios could not use the system keyring, where it keeps passwords. Make sure a keyring such as GNOME Keyring is running, then try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_CLIENT,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} refused the request Kios sent. This is probably a mistake in Kios; please report it."),
    N_("The server refused the request Kios sent. This is probably a mistake in Kios; please report it."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_sync_error_quark, KIOS_SYNC_ERROR_NOT_CATALOG,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} answered with a web page, perhaps a login page, instead of a catalog. Check the catalog’s address."),
    N_("The server answered with a web page, perhaps a login page, instead of a catalog. Check the catalog’s address."),
    KIOS_ERROR_ACTION_EDIT_SOURCE, TRUE },
  { kios_sync_error_quark, ANY_CODE,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not sync with {host}. Try again later."),
    N_("Kios could not sync with the server. Try again later."),
    KIOS_ERROR_ACTION_RETRY, FALSE },

  /* The library database. */
  { kios_store_error_quark, KIOS_STORE_ERROR_OPEN,
    NULL, N_("Your library could not be opened. Reading positions will not be saved."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_store_error_quark, KIOS_STORE_ERROR_CORRUPT,
    NULL, N_("Your library is damaged. Reading positions will not be saved."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_store_error_quark, KIOS_STORE_ERROR_NOT_FOUND,
    NULL, N_("This is not in your library (any more)."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_store_error_quark, ANY_CODE,
    NULL, N_("Kios could not save to your library. Check that the disk is not full, then try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },

  /* Books. */
  { kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_EBOOK,
    NULL, N_("This file is not an e-book. Kios opens EPUB and PDF books."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { kios_document_error_quark, KIOS_DOCUMENT_ERROR_DAMAGED,
    NULL, N_("The book is damaged and cannot be read."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_document_error_quark, KIOS_DOCUMENT_ERROR_DRM,
    NULL, N_("The book is protected by DRM. Kios can only open books without copy protection."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_document_error_quark, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
    NULL, N_("The book is too complex to lay out safely."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_document_error_quark, KIOS_DOCUMENT_ERROR_NOT_FOUND,
    NULL, N_("That file, chapter or position could not be found. It may have been moved or deleted."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { kios_document_error_quark, KIOS_DOCUMENT_ERROR_INVALID,
    NULL, N_("This position is not written correctly, or it is not in this book."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_document_error_quark, ANY_CODE,
    NULL, N_("The book could not be read."),
    KIOS_ERROR_ACTION_NONE, FALSE },

  /* A downloaded book that is not one. */
  { kios_import_error_quark, KIOS_IMPORT_ERROR_WEB_PAGE,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} sent a web page, perhaps a login or error page, instead of the book. Check that the account may download books."),
    N_("The server sent a web page, perhaps a login or error page, instead of the book. Check that the account may download books."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_import_error_quark, KIOS_IMPORT_ERROR_NOT_A_BOOK,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} sent a file that is not an EPUB or PDF book. Try another format of the book."),
    N_("The server sent a file that is not an EPUB or PDF book. Try another format of the book."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { kios_import_error_quark, KIOS_IMPORT_ERROR_DAMAGED,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} sent a damaged book that cannot be opened. Try again, or try another format."),
    N_("The server sent a damaged book that cannot be opened. Try again, or try another format."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { kios_import_error_quark, KIOS_IMPORT_ERROR_DRM,
    NULL, N_("The book is protected by DRM. Kios can only open books without copy protection."),
    KIOS_ERROR_ACTION_NONE, FALSE },

  /* The library as a collection. */
  { kios_library_error_quark, KIOS_LIBRARY_ERROR_OTHER_BOOK,
    NULL, N_("This file is a different book. Choose the moved file of this book, or remove the book from the library."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { kios_library_error_quark, KIOS_LIBRARY_ERROR_NOT_DOWNLOADED,
    NULL, N_("Kios did not download this book, so it does not delete its file. Remove the book from the library instead."),
    KIOS_ERROR_ACTION_NONE, FALSE },

  /* Files and sockets, as GIO reports them. */
  { io_error_domain, G_IO_ERROR_NOT_FOUND,
    NULL, N_("The file could not be found. It may have been moved or deleted."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { io_error_domain, G_IO_ERROR_PERMISSION_DENIED,
    NULL, N_("You do not have permission to use this file or folder."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { io_error_domain, G_IO_ERROR_IS_DIRECTORY,
    NULL, N_("This is a folder, not a file."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { io_error_domain, G_IO_ERROR_NOT_REGULAR_FILE,
    NULL, N_("This is not a regular file."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { io_error_domain, G_IO_ERROR_NOT_SUPPORTED,
    NULL, N_("Only files on this computer can be opened."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { io_error_domain, G_IO_ERROR_NO_SPACE,
    NULL, N_("The disk is full. Free some space, then try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_READ_ONLY,
    NULL, N_("The disk or folder is read-only."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { io_error_domain, G_IO_ERROR_EXISTS,
    NULL, N_("A file with this name already exists."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { io_error_domain, G_IO_ERROR_FILENAME_TOO_LONG,
    NULL, N_("The file name is too long."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { io_error_domain, G_IO_ERROR_INVALID_FILENAME,
    NULL, N_("The file name is not valid."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { io_error_domain, G_IO_ERROR_TOO_MANY_OPEN_FILES,
    NULL, N_("Too many files are open. Close some programs, then try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_CANCELLED,
    NULL, N_("This was cancelled."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { io_error_domain, G_IO_ERROR_TIMED_OUT,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("{host} did not answer in time. The server may be busy or the connection slow; try again later."),
    N_("There was no answer in time. Try again later."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_HOST_NOT_FOUND,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not reach {host}. Check that the server is running and the address is right."),
    N_("Kios could not reach the server. Check that the server is running and the address is right."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_CONNECTION_REFUSED,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not reach {host}. Check that the server is running and the address is right."),
    N_("Kios could not reach the server. Check that the server is running and the address is right."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_NETWORK_UNREACHABLE,
    NULL, N_("The network cannot be reached. Check that this computer is online."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_HOST_UNREACHABLE,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("Kios could not reach {host}. Check that the server is running and the address is right."),
    N_("Kios could not reach the server. Check that the server is running and the address is right."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_CONNECTION_CLOSED,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("The connection to {host} broke off. Try again."),
    N_("The connection broke off. Try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_BROKEN_PIPE,
    /* Translators: {host} is the server’s name, e.g. books.example.org:8080; keep {host}. */
    N_("The connection to {host} broke off. Try again."),
    N_("The connection broke off. Try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { io_error_domain, G_IO_ERROR_INVALID_ARGUMENT,
    NULL, N_("Kios could not use what it was given."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { io_error_domain, ANY_CODE,
    NULL, N_("Kios could not read or write a file it needs. Try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },

  { file_error_domain, G_FILE_ERROR_NOENT,
    NULL, N_("The file could not be found. It may have been moved or deleted."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { file_error_domain, G_FILE_ERROR_ACCES,
    NULL, N_("You do not have permission to use this file or folder."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { file_error_domain, G_FILE_ERROR_PERM,
    NULL, N_("You do not have permission to use this file or folder."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { file_error_domain, G_FILE_ERROR_ISDIR,
    NULL, N_("This is a folder, not a file."),
    KIOS_ERROR_ACTION_CHOOSE_FILE, FALSE },
  { file_error_domain, G_FILE_ERROR_NOSPC,
    NULL, N_("The disk is full. Free some space, then try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
  { file_error_domain, G_FILE_ERROR_ROFS,
    NULL, N_("The disk or folder is read-only."),
    KIOS_ERROR_ACTION_NONE, FALSE },
  { file_error_domain, ANY_CODE,
    NULL, N_("Kios could not read or write a file it needs. Try again."),
    KIOS_ERROR_ACTION_RETRY, FALSE },
};
/* clang-format on */

static const Row fallback = {
  NULL, ANY_CODE, NULL, N_ ("Something went wrong that Kios did not expect. Try again."),
  KIOS_ERROR_ACTION_RETRY, FALSE
};

static const Row *
find_row (const GError *error)
{
  const Row *domain_default = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      if (rows[i].domain () != error->domain)
        continue;
      if (rows[i].code == error->code)
        return &rows[i];
      if (rows[i].code == ANY_CODE)
        domain_default = &rows[i];
    }
  return domain_default != NULL ? domain_default : &fallback;
}

char *
kios_error_host_from_url (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  const char      *host;
  int              port;

  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return NULL;
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    return NULL;
  port = g_uri_get_port (uri);
  if (strchr (host, ':') != NULL)
    return port > 0 ? g_strdup_printf ("[%s]:%d", host, port) : g_strdup_printf ("[%s]", host);
  return port > 0 ? g_strdup_printf ("%s:%d", host, port) : g_strdup (host);
}

/* What the sentence may say about the server: a host, never a URL's path,
 * user name or token, and never a novel. */
static char *
shown_host (const char *host)
{
  g_autofree char *valid = NULL;

  if (host == NULL || *host == '\0')
    return NULL;
  if (strstr (host, "://") != NULL)
    return kios_error_host_from_url (host);
  valid = g_utf8_make_valid (host, -1);
  g_strdelimit (valid, "\r\n\t/@?#", ' ');
  g_strstrip (valid);
  if (*valid == '\0')
    return NULL;
  if (g_utf8_strlen (valid, -1) > MAX_HOST_CHARS)
    {
      char *end = g_utf8_offset_to_pointer (valid, MAX_HOST_CHARS);
      *end = '\0';
    }
  return g_steal_pointer (&valid);
}

/* The server family whose KOReader sync mount the suggested URL ends in
 * (/kosync is Calibre-Web-Automated, …), so the sentence says why that
 * address; NULL when the suggestion is not a KOReader sync mount. */
static const char *
suggested_family (const GError *error,
                  const char   *suggested_url)
{
  g_autoptr (GUri) uri = NULL;
  const char      *path;

  if (!g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_WRONG_URL))
    return NULL;
  uri = g_uri_parse (suggested_url, G_URI_FLAGS_NONE, NULL);
  path = uri != NULL ? g_uri_get_path (uri) : NULL;
  /* A bare host is no family's mount. */
  if (path == NULL || path[strspn (path, "/")] == '\0')
    return NULL;
  return kios_kosync_guess_server (suggested_url, NULL);
}

char *
kios_error_describe (const GError    *error,
                     const char      *host_or_null,
                     const char      *suggested_url_or_null,
                     KiosErrorAction *action_out)
{
  const Row       *row;
  g_autofree char *host = NULL;
  GString         *sentence;

  g_return_val_if_fail (error != NULL, NULL);

  row = find_row (error);
  host = shown_host (host_or_null);
  if (host != NULL && row->with_host != NULL)
    {
      sentence = g_string_new (_ (row->with_host));
      g_string_replace (sentence, "{host}", host, 0);
    }
  else
    sentence = g_string_new (_ (row->without_host));

  if (row->about_address && suggested_url_or_null != NULL && *suggested_url_or_null != '\0')
    {
      g_autofree char *url = kios_redact_url (suggested_url_or_null);
      /* Translators: {url} is the web address Kios found answering; keep {url}. */
      g_autoptr (GString) hint = g_string_new (_ ("Did you mean {url}?"));
      const char         *family = suggested_family (error, suggested_url_or_null);

      g_string_replace (hint, "{url}", url, 0);
      g_string_append_c (sentence, ' ');
      g_string_append (sentence, hint->str);
      if (family != NULL)
        {
          /* Translators: {server} is the kind of server, e.g. “Calibre-Web-Automated”; keep {server}. */
          g_autoptr (GString) where = g_string_new (_ ("That is where {server} serves KOReader sync."));

          g_string_replace (where, "{server}", family, 0);
          g_string_append_c (sentence, ' ');
          g_string_append (sentence, where->str);
        }
    }

  if (action_out != NULL)
    *action_out = row->action;
  return g_string_free (sentence, FALSE);
}

const char *
kios_error_action_label (KiosErrorAction action)
{
  switch (action)
    {
    case KIOS_ERROR_ACTION_RETRY:
      return _ ("Try Again");
    case KIOS_ERROR_ACTION_CHECK_ACCOUNT:
      return _ ("Check Account");
    case KIOS_ERROR_ACTION_EDIT_SOURCE:
      return _ ("Edit Address");
    case KIOS_ERROR_ACTION_OPEN_SETTINGS:
      return _ ("Open Settings");
    case KIOS_ERROR_ACTION_CHOOSE_FILE:
      return _ ("Choose Another File");
    case KIOS_ERROR_ACTION_NONE:
    default:
      return NULL;
    }
}

char *
kios_error_message_for_open (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  /* Opening a book: a missing file is about the file, and what no row of
   * a book's domains names is "the book could not be read". */
  if (error->domain == KIOS_DOCUMENT_ERROR && error->code == KIOS_DOCUMENT_ERROR_NOT_FOUND)
    return g_strdup (_ ("The file could not be found. It may have been moved or deleted."));
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_PERMISSION_DENIED)
    return g_strdup (_ ("You do not have permission to read this file."));
  if (error->domain == G_FILE_ERROR && (error->code == G_FILE_ERROR_ACCES || error->code == G_FILE_ERROR_PERM))
    return g_strdup (_ ("You do not have permission to read this file."));
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_IS_DIRECTORY)
    return g_strdup (_ ("This is a folder, not a book."));
  if (error->domain == KIOS_DOCUMENT_ERROR || error->domain == G_IO_ERROR || error->domain == G_FILE_ERROR)
    {
      const Row *row = find_row (error);

      if (row->code != ANY_CODE && !(error->domain == KIOS_DOCUMENT_ERROR && error->code == KIOS_DOCUMENT_ERROR_INVALID))
        return kios_error_describe (error, NULL, NULL, NULL);
    }
  return g_strdup (_ ("The book could not be read."));
}

char *
kios_error_message_for_store (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == KIOS_STORE_ERROR && error->code == KIOS_STORE_ERROR_CORRUPT)
    return kios_error_describe (error, NULL, NULL, NULL);

  return g_strdup (_ ("Your library could not be opened. Reading positions will not be saved."));
}
