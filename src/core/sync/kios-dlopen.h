/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Libraries loaded on first use instead of linked (libcurl, libsecret): the
 * executables do not pay for them, and their dependencies, at start-up. A
 * user keeps a table of function pointers, checked against the library's
 * own header at compile time, and fills it once (under a g_once).
 */

typedef struct
{
  const char *name;
  gsize       offset; /* of the pointer in the table */
} KiosDlSymbol;

/* Returns NULL when it filled table, else why not (a new string). */
typedef char *(*KiosDlLoadFunc) (const char *soname,
                                 gpointer    table);

typedef struct
{
  gsize state;
  char *failure;
} KiosDlOnce;

#define KIOS_DL_SYMBOL(Table, prefix, field)      \
  {                                               \
    prefix #field, G_STRUCT_OFFSET (Table, field) \
  }

/* The field has the type the header declares for function (its
 * declaration, never its symbol, is used). */
#define KIOS_DL_SAME_TYPE(Table, field, function)                        \
  G_STATIC_ASSERT (__builtin_types_compatible_p (__typeof__ (&function), \
                                                 __typeof__ (((Table *) NULL)->field)))

/* clang-format off */
/* Opens soname (never from the current directory; its symbols stay out of
 * the global scope) and fills table. FALSE with *failure set to a sentence
 * for the debug log and error messages. The library stays loaded. */
gboolean kios_dl_open (const char         *soname,
                       const KiosDlSymbol *symbols,
                       gsize               n_symbols,
                       gpointer            table,
                       char              **failure);
/* Runs load (soname, table) the first time for once (thread-safe, for the
 * life of the process: a library that was absent is not looked for again)
 * and returns NULL when table is usable, else the failure. */
const char *kios_dl_once (KiosDlOnce     *once,
                          KiosDlLoadFunc  load,
                          const char     *soname,
                          gpointer        table);
/* clang-format on */

G_END_DECLS
