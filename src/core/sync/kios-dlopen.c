/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include "kios-dlopen.h"

#include <dlfcn.h>

gboolean
kios_dl_open (const char         *soname,
              const KiosDlSymbol *symbols,
              gsize               n_symbols,
              gpointer            table,
              char              **failure)
{
  void *handle;

  g_return_val_if_fail (soname != NULL && table != NULL && failure != NULL, FALSE);

  /* dlopen () and not g_module_open (): GModule first tries a relative
   * name as a file in the current directory. RTLD_NOW: a library whose own
   * dependencies lack a symbol fails here, not with an abort in the middle
   * of a call; RTLD_LOCAL: its symbols stay out of the global scope. */
  handle = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      const char *detail = dlerror ();
      *failure = g_strdup_printf ("%s cannot be loaded: %s", soname,
                                  detail != NULL ? detail : "unknown error");
      return FALSE;
    }

  for (gsize i = 0; i < n_symbols; i++)
    {
      void *symbol = dlsym (handle, symbols[i].name);

      if (symbol == NULL)
        {
          *failure = g_strdup_printf ("%s has no %s: it is too old", soname, symbols[i].name);
          dlclose (handle);
          return FALSE;
        }
      G_STRUCT_MEMBER (void *, table, symbols[i].offset) = symbol;
    }
  return TRUE;
}

const char *
kios_dl_once (KiosDlOnce    *once,
              KiosDlLoadFunc load,
              const char    *soname,
              gpointer       table)
{
  g_return_val_if_fail (once != NULL && load != NULL && soname != NULL, NULL);

  if (g_once_init_enter (&once->state))
    {
      once->failure = load (soname, table);
      g_once_init_leave (&once->state, 1);
    }
  return once->failure;
}
