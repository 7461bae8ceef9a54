/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-http"

#include "config.h"

#include "kios-curl.h"

#include "kios-dlopen.h"
#include "kios-sync-error.h"

/* CURLOPT_PROTOCOLS_STR and the version meson asks for at build time. */
#define MIN_VERSION_NUM 0x075800

static KiosCurl   loaded_api;
static KiosDlOnce loaded_once;

#define SAME_TYPE(field) KIOS_DL_SAME_TYPE (KiosCurl, field, curl_##field)
#define SYMBOL(field) KIOS_DL_SYMBOL (KiosCurl, "curl_", field)

SAME_TYPE (global_init);
SAME_TYPE (version_info);
SAME_TYPE (easy_init);
SAME_TYPE (easy_cleanup);
SAME_TYPE (easy_setopt);
SAME_TYPE (easy_getinfo);
SAME_TYPE (easy_strerror);
SAME_TYPE (multi_init);
SAME_TYPE (multi_add_handle);
SAME_TYPE (multi_remove_handle);
SAME_TYPE (multi_cleanup);
SAME_TYPE (multi_perform);
SAME_TYPE (multi_info_read);
SAME_TYPE (multi_poll);
SAME_TYPE (multi_wakeup);
SAME_TYPE (slist_append);
SAME_TYPE (slist_free_all);

static const KiosDlSymbol symbols[] = {
  SYMBOL (global_init),
  SYMBOL (version_info),
  SYMBOL (easy_init),
  SYMBOL (easy_cleanup),
  SYMBOL (easy_setopt),
  SYMBOL (easy_getinfo),
  SYMBOL (easy_strerror),
  SYMBOL (multi_init),
  SYMBOL (multi_add_handle),
  SYMBOL (multi_remove_handle),
  SYMBOL (multi_cleanup),
  SYMBOL (multi_perform),
  SYMBOL (multi_info_read),
  SYMBOL (multi_poll),
  SYMBOL (multi_wakeup),
  SYMBOL (slist_append),
  SYMBOL (slist_free_all),
};

static char *
load (const char *soname,
      gpointer    table)
{
  KiosCurl               *api = table;
  g_autofree char        *failure = NULL;
  curl_version_info_data *info;
  CURLcode                code;

  if (!kios_dl_open (soname, symbols, G_N_ELEMENTS (symbols), api, &failure))
    return g_strdup_printf ("The HTTP library %s", failure);

  info = api->version_info (CURLVERSION_NOW);
  if (info == NULL || info->version_num < MIN_VERSION_NUM)
    return g_strdup_printf ("The HTTP library %s is version %s, older than 7.88", soname,
                            info != NULL ? info->version : "?");

  /* A libcurl that is not thread-safe must be set up once before any other
   * call into it. Here that holds: this runs inside the once, which every
   * libcurl call in Kios goes through, so no other thread can be inside
   * libcurl yet, and nothing else in the process uses this copy. A
   * thread-safe one sets itself up on the first easy handle. */
  if ((info->features & CURL_VERSION_THREADSAFE) == 0)
    {
      code = api->global_init (CURL_GLOBAL_DEFAULT);
      if (code != CURLE_OK)
        return g_strdup_printf ("The HTTP library %s could not be set up (code %d)", soname,
                                (int) code);
    }

  g_debug ("loaded %s (libcurl %s)", soname, info->version);
  return NULL;
}

const KiosCurl *
kios_curl_load_from (const char *soname,
                     GError    **error)
{
  const char *failure;

  g_return_val_if_fail (soname != NULL, NULL);

  failure = kios_dl_once (&loaded_once, load, soname, &loaded_api);
  if (failure != NULL)
    {
      g_set_error_literal (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED, failure);
      return NULL;
    }
  return &loaded_api;
}

const KiosCurl *
kios_curl_get (GError **error)
{
  return kios_curl_load_from (KIOS_CURL_SONAME, error);
}
