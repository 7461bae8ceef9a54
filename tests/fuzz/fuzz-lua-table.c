/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: the strict parser of KOReader's Lua tables. Whatever it
 * accepts must be written back to a file that parses again to a value
 * equal in meaning, and written again to the same bytes.
 */

#include "kios-lua-table.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (KiosLuaValue) value = kios_lua_parse ((const char *) data, (gssize) size, NULL);
  g_autoptr (KiosLuaValue) again = NULL;
  g_autofree char         *text = NULL;
  g_autofree char         *text2 = NULL;

  if (value == NULL)
    return 0;
  text = kios_lua_write (value, "fuzz");
  again = kios_lua_parse (text, -1, NULL);
  if (again == NULL || !kios_lua_value_equal (value, again))
    __builtin_trap ();
  text2 = kios_lua_write (again, "fuzz");
  if (strcmp (text, text2) != 0)
    __builtin_trap ();
  return 0;
}
