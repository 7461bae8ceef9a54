/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The one table that turns a core error (domain + code) into words for a
 * person: one translated sentence saying what happened and what to do, and
 * the action that fits (a Retry button, the account or source editor, …).
 * The app and kiosctl both print these sentences; core messages (English
 * detail, libcurl's text) are never shown. GTK-free: glib and gettext only.
 */

typedef enum {
  KIOS_ERROR_ACTION_NONE = 0,
  KIOS_ERROR_ACTION_RETRY,         /* transient: the same thing may work later */
  KIOS_ERROR_ACTION_CHECK_ACCOUNT, /* the user name, password or sign-in method */
  KIOS_ERROR_ACTION_EDIT_SOURCE,   /* the address or kind of the source */
  KIOS_ERROR_ACTION_OPEN_SETTINGS, /* something outside the source (keyring, sync switched off) */
  KIOS_ERROR_ACTION_CHOOSE_FILE,   /* another file or place */
} KiosErrorAction;

/* clang-format off */
/* The sentence for error. host_or_null names the server in the sentence
 * ("books.example.org:8080"; a URL is reduced to its host); without it the
 * sentence says "the server". suggested_url_or_null is offered as "Did you
 * mean …?" when the error is about the address (the caller found, say, the
 * same URL with /opds answering). action_out (nullable) gets the action. */
char         *kios_error_describe          (const GError    *error,
                                            const char      *host_or_null,
                                            const char      *suggested_url_or_null,
                                            KiosErrorAction *action_out) G_GNUC_WARN_UNUSED_RESULT;
/* "host[:port]" of url for kios_error_describe (), never a user name, path
 * or token; NULL when url has no host. */
char         *kios_error_host_from_url     (const char      *url) G_GNUC_WARN_UNUSED_RESULT;
/* A short translated button label for the action, or NULL for NONE. */
const char   *kios_error_action_label      (KiosErrorAction  action);

/* Opening a book: the same table with wording about the file. */
char         *kios_error_message_for_open  (const GError    *error) G_GNUC_WARN_UNUSED_RESULT;
/* Opening the library database. */
char         *kios_error_message_for_store (const GError    *error) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
