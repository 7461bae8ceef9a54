/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * KiosLuaValue: the literal-table subset of Lua that KOReader writes for its
 * settings and sidecar files, read by a strict parser that never executes
 * anything:
 *
 *   -- a comment line (any number, and between tokens)
 *   return {
 *       ["key"] = "string with \"escapes\"\n",
 *       [1] = 42, [2] = -0.5, [3] = 0x1F, [4] = true,
 *       name = { nested, "positional", },
 *   }
 *
 * Accepted: strings in double or single quotes with Lua's escapes (\n, \t,
 * \ddd, \xXX, \u{X}, \z, backslash-newline …), decimal and hexadecimal
 * numbers with an optional minus, true, false, nil (an entry whose value is
 * nil is dropped, as Lua does), tables with [key] =, name = and positional
 * fields separated by , or ;. Anything else — a name that is not a field
 * name, a call, an operator, a long string or comment, a function — is
 * refused, as is a file over KIOS_LIMIT_LUA_BYTES, nested deeper than
 * KIOS_LIMIT_LUA_DEPTH (the outer table is 1) or with more than
 * KIOS_LIMIT_LUA_VALUES values (each value read counts, the outer table and
 * keys in brackets too).
 * Errors are KIOS_DOCUMENT_ERROR_DAMAGED (not the subset) or _TOO_COMPLEX
 * (a limit), with the line number; they never quote the file.
 *
 * Tables keep every entry, and a number keeps its literal, so what is read
 * is written back with the same meaning. The writer puts keys in KOReader's
 * order (numbers ascending, then strings; mixed types by their text), four
 * spaces of indent, strings as Lua's %q, so a file KOReader wrote comes back
 * byte for byte.
 */

typedef enum {
  KIOS_LUA_BOOLEAN,
  KIOS_LUA_NUMBER,
  KIOS_LUA_STRING,
  KIOS_LUA_TABLE,
} KiosLuaType;

typedef struct _KiosLuaValue KiosLuaValue;

/* clang-format off */
/* len < 0: NUL-terminated. The value after "return", owned by the caller. */
KiosLuaValue *kios_lua_parse               (const char         *data,
                                            gssize              len,
                                            GError            **error);
/* "-- header\nreturn " (header NULL: no comment line), the value, "\n". */
char         *kios_lua_write               (const KiosLuaValue *value,
                                            const char         *header);

KiosLuaValue *kios_lua_value_new_boolean   (gboolean            value);
KiosLuaValue *kios_lua_value_new_number    (double              value);
/* A number with its literal kept ("1", "0.25", "0x10"). */
KiosLuaValue *kios_lua_value_new_number_literal (const char    *literal);
KiosLuaValue *kios_lua_value_new_string    (const char         *value);
KiosLuaValue *kios_lua_value_new_string_len (const char        *value,
                                            gsize               len);
KiosLuaValue *kios_lua_value_new_table     (void);
KiosLuaValue *kios_lua_value_copy          (const KiosLuaValue *self);
void          kios_lua_value_free          (KiosLuaValue       *self);

KiosLuaType   kios_lua_value_get_type      (const KiosLuaValue *self);
gboolean      kios_lua_value_get_boolean   (const KiosLuaValue *self);
double        kios_lua_value_get_number    (const KiosLuaValue *self);
/* The bytes (a Lua string may hold NULs; there is always a NUL after them). */
const char   *kios_lua_value_get_string    (const KiosLuaValue *self,
                                            gsize              *len);
/* Deep equality in meaning: same type and value; tables with the same
 * keys and equal values, in any order; numbers by value. */
gboolean      kios_lua_value_equal         (const KiosLuaValue *a,
                                            const KiosLuaValue *b);

/* Tables. Lookups return NULL when there is no such entry (or self is not
 * a table); values are owned by the table. set_* replace an entry with an
 * equal key or append one, taking the value (NULL removes the entry). */
guint         kios_lua_table_get_n_entries (const KiosLuaValue *self);
/* The entry at position i in the table's order (the file's, then appends). */
void          kios_lua_table_get_entry     (const KiosLuaValue *self,
                                            guint               i,
                                            const KiosLuaValue **key,
                                            const KiosLuaValue **value);
KiosLuaValue *kios_lua_table_get           (const KiosLuaValue *self,
                                            const char         *key);
KiosLuaValue *kios_lua_table_get_index     (const KiosLuaValue *self,
                                            gint64              index);
/* The border Lua's # gives for a table without holes: n when [1]..[n]
 * are all there and [n + 1] is not. */
gint64        kios_lua_table_get_length    (const KiosLuaValue *self);
void          kios_lua_table_set           (KiosLuaValue       *self,
                                            const char         *key,
                                            KiosLuaValue       *value);
void          kios_lua_table_set_index     (KiosLuaValue       *self,
                                            gint64              index,
                                            KiosLuaValue       *value);
/* String members as C strings (NULL when missing or not a string), and
 * numbers (fallback when missing or not a number). */
const char   *kios_lua_table_get_string    (const KiosLuaValue *self,
                                            const char         *key);
double        kios_lua_table_get_number    (const KiosLuaValue *self,
                                            const char         *key,
                                            double              fallback);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosLuaValue, kios_lua_value_free)

G_END_DECLS
