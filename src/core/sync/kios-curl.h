/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <curl/curl.h>
#include <glib.h>

G_BEGIN_DECLS

/*
 * libcurl, loaded on first use. The executables do not link it: its ~25
 * libraries (TLS, Kerberos, LDAP, SSH, …) would be loaded and relocated
 * before main () on every start, and the first page never needs the network.
 * The first request (on a worker thread, or in kiosctl) loads it once for
 * the whole process; curl.h still gives the types and constants.
 *
 * Call through the table with exactly the types libcurl expects: easy_setopt
 * and easy_getinfo are variadic, and curl.h's compile-time type checks do
 * not see calls through a pointer (long, char *, curl_off_t, function
 * pointers: never an int or a gsize).
 *
 * When libcurl cannot be loaded, every call fails with KIOS_HTTP_ERROR_FAILED
 * (the UI's "could not talk to the server"), detail in the message.
 */
#define KIOS_CURL_SONAME "libcurl.so.4"

typedef struct
{
  CURLcode (*global_init) (long flags);
  curl_version_info_data *(*version_info) (CURLversion age);
  CURL *(*easy_init) (void);
  void (*easy_cleanup) (CURL *easy);
  CURLcode (*easy_setopt) (CURL *easy, CURLoption option, ...);
  CURLcode (*easy_getinfo) (CURL *easy, CURLINFO info, ...);
  const char *(*easy_strerror) (CURLcode code);
  CURLM *(*multi_init) (void);
  CURLMcode (*multi_add_handle) (CURLM *multi, CURL *easy);
  CURLMcode (*multi_remove_handle) (CURLM *multi, CURL *easy);
  CURLMcode (*multi_cleanup) (CURLM *multi);
  CURLMcode (*multi_perform) (CURLM *multi, int *running);
  CURLMsg *(*multi_info_read) (CURLM *multi, int *queued);
  CURLMcode (*multi_poll) (CURLM *multi, struct curl_waitfd *extra, unsigned int n_extra, int timeout_ms, int *n_fds);
  CURLMcode (*multi_wakeup) (CURLM *multi);
  struct curl_slist *(*slist_append) (struct curl_slist *list, const char *text);
  void (*slist_free_all) (struct curl_slist *list);
} KiosCurl;

/* clang-format off */
/* Loads KIOS_CURL_SONAME the first time (thread-safe; later calls return at
 * once). NULL with an error when it cannot be loaded. */
const KiosCurl *kios_curl_get       (GError    **error);

/* Private, for tests: as kios_curl_get (), but the first call in the process
 * decides which soname is loaded (a missing one tests the failure path). */
const KiosCurl *kios_curl_load_from (const char *soname,
                                     GError    **error);
/* clang-format on */

G_END_DECLS
