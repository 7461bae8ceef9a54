/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-http"

#include "config.h"

#include "kios-curl.h"

#include "kios-sync-error.h"

#include <dlfcn.h>
#include <stddef.h>

/* CURLOPT_PROTOCOLS_STR and the version meson asks for at build time. */
#define MIN_VERSION_NUM 0x075800

typedef struct
{
  KiosCurl api;
  char    *failure; /* NULL when api is usable */
} Loaded;

typedef struct
{
  const char *name;
  gsize       offset;
} Symbol;

#define SYMBOL(field)                                 \
  {                                                   \
    "curl_" #field, G_STRUCT_OFFSET (KiosCurl, field) \
  }

/* Each field has the type curl.h declares for its function (whose
 * declaration, never its symbol, is used here). */
#define SAME_TYPE(field)                                                     \
  G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&curl_##field), \
                                                 __typeof__ (((KiosCurl *) NULL)->field)))

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

static const Symbol symbols[] = {
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

static Loaded *
load (const char *soname)
{
  Loaded                 *loaded = g_new0 (Loaded, 1);
  void                   *handle;
  curl_version_info_data *info;
  CURLcode                code;

  /* dlopen () and not g_module_open (): GModule first tries a relative
   * name as a file in the current directory. RTLD_NOW: a libcurl whose own
   * libraries lack a symbol fails here, not with an abort mid-transfer;
   * RTLD_LOCAL: its symbols stay out of the global scope. */
  handle = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      const char *detail = dlerror ();
      loaded->failure = g_strdup_printf ("The HTTP library %s cannot be loaded: %s", soname,
                                         detail != NULL ? detail : "unknown error");
      return loaded;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (symbols); i++)
    {
      void *symbol = dlsym (handle, symbols[i].name);

      if (symbol == NULL)
        {
          loaded->failure = g_strdup_printf ("The HTTP library %s has no %s: it is too old",
                                             soname, symbols[i].name);
          return loaded;
        }
      G_STRUCT_MEMBER (void *, &loaded->api, symbols[i].offset) = symbol;
    }

  info = loaded->api.version_info (CURLVERSION_NOW);
  if (info == NULL || info->version_num < MIN_VERSION_NUM)
    {
      loaded->failure = g_strdup_printf ("The HTTP library %s is version %s, older than 7.88",
                                         soname, info != NULL ? info->version : "?");
      return loaded;
    }

  /* A libcurl that is not thread-safe must be set up once before any other
   * call into it. Here that holds: this runs inside the once, which every
   * libcurl call in Kios goes through, so no other thread can be inside
   * libcurl yet, and nothing else in the process uses this copy. A
   * thread-safe one sets itself up on the first easy handle. */
  if ((info->features & CURL_VERSION_THREADSAFE) == 0)
    {
      code = loaded->api.global_init (CURL_GLOBAL_DEFAULT);
      if (code != CURLE_OK)
        {
          loaded->failure = g_strdup_printf ("The HTTP library %s could not be set up (code %d)",
                                             soname, (int) code);
          return loaded;
        }
    }

  g_debug ("loaded %s (libcurl %s)", soname, info->version);
  return loaded;
}

const KiosCurl *
kios_curl_load_from (const char *soname,
                     GError    **error)
{
  static Loaded *loaded = NULL;

  g_return_val_if_fail (soname != NULL, NULL);

  /* Kept for the life of the process, the failure too: a library that was
   * absent once is not looked for on every request. */
  if (g_once_init_enter (&loaded))
    g_once_init_leave (&loaded, load (soname));

  if (loaded->failure != NULL)
    {
      g_set_error_literal (error, KIOS_HTTP_ERROR, KIOS_HTTP_ERROR_FAILED, loaded->failure);
      return NULL;
    }
  return &loaded->api;
}

const KiosCurl *
kios_curl_get (GError **error)
{
  return kios_curl_load_from (KIOS_CURL_SONAME, error);
}
