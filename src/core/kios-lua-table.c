/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-lua-table"

#include "config.h"

#include "kios-lua-table.h"

#include "kios-error.h"

#include <math.h>
#include <string.h>

typedef struct
{
  KiosLuaValue *key;
  KiosLuaValue *value;
} Entry;

struct _KiosLuaValue
{
  KiosLuaType type;
  gboolean    boolean;
  double      number;
  char       *literal; /* a number's text as read, or NULL */
  char       *string;  /* NUL-terminated after string_len bytes */
  gsize       string_len;
  GArray     *entries; /* Entry, for a table */
};

/* ---- values ------------------------------------------------------------- */

static KiosLuaValue *
value_new (KiosLuaType type)
{
  KiosLuaValue *self = g_new0 (KiosLuaValue, 1);

  self->type = type;
  return self;
}

KiosLuaValue *
kios_lua_value_new_boolean (gboolean value)
{
  KiosLuaValue *self = value_new (KIOS_LUA_BOOLEAN);

  self->boolean = value != FALSE;
  return self;
}

KiosLuaValue *
kios_lua_value_new_number (double value)
{
  KiosLuaValue *self = value_new (KIOS_LUA_NUMBER);

  self->number = value;
  return self;
}

KiosLuaValue *
kios_lua_value_new_number_literal (const char *literal)
{
  KiosLuaValue *self = value_new (KIOS_LUA_NUMBER);
  const char   *p = literal;
  gboolean      negative = FALSE;

  g_return_val_if_fail (literal != NULL, self);

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    self->number = (double) g_ascii_strtoull (p + 2, NULL, 16);
  else
    self->number = g_ascii_strtod (p, NULL);
  if (negative)
    self->number = -self->number;
  self->literal = g_strdup (literal);
  return self;
}

KiosLuaValue *
kios_lua_value_new_string_len (const char *value,
                               gsize       len)
{
  KiosLuaValue *self = value_new (KIOS_LUA_STRING);

  self->string = g_malloc (len + 1);
  if (len > 0)
    memcpy (self->string, value, len);
  self->string[len] = '\0';
  self->string_len = len;
  return self;
}

KiosLuaValue *
kios_lua_value_new_string (const char *value)
{
  return kios_lua_value_new_string_len (value != NULL ? value : "", value != NULL ? strlen (value) : 0);
}

KiosLuaValue *
kios_lua_value_new_table (void)
{
  KiosLuaValue *self = value_new (KIOS_LUA_TABLE);

  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  return self;
}

void
kios_lua_value_free (KiosLuaValue *self)
{
  if (self == NULL)
    return;

  if (self->entries != NULL)
    {
      for (guint i = 0; i < self->entries->len; i++)
        {
          Entry *e = &g_array_index (self->entries, Entry, i);

          kios_lua_value_free (e->key);
          kios_lua_value_free (e->value);
        }
      g_array_unref (self->entries);
    }
  g_free (self->literal);
  g_free (self->string);
  g_free (self);
}

KiosLuaValue *
kios_lua_value_copy (const KiosLuaValue *self)
{
  KiosLuaValue *copy;

  if (self == NULL)
    return NULL;

  copy = value_new (self->type);
  copy->boolean = self->boolean;
  copy->number = self->number;
  copy->literal = g_strdup (self->literal);
  if (self->string != NULL)
    {
      copy->string = g_memdup2 (self->string, self->string_len + 1);
      copy->string_len = self->string_len;
    }
  if (self->entries != NULL)
    {
      copy->entries = g_array_sized_new (FALSE, FALSE, sizeof (Entry), self->entries->len);
      for (guint i = 0; i < self->entries->len; i++)
        {
          Entry *e = &g_array_index (self->entries, Entry, i);
          Entry  c = { kios_lua_value_copy (e->key), kios_lua_value_copy (e->value) };

          g_array_append_val (copy->entries, c);
        }
    }
  return copy;
}

KiosLuaType
kios_lua_value_get_type (const KiosLuaValue *self)
{
  return self->type;
}

gboolean
kios_lua_value_get_boolean (const KiosLuaValue *self)
{
  return self != NULL && self->type == KIOS_LUA_BOOLEAN && self->boolean;
}

double
kios_lua_value_get_number (const KiosLuaValue *self)
{
  return self != NULL && self->type == KIOS_LUA_NUMBER ? self->number : 0.0;
}

const char *
kios_lua_value_get_string (const KiosLuaValue *self,
                           gsize              *len)
{
  if (self == NULL || self->type != KIOS_LUA_STRING)
    {
      if (len != NULL)
        *len = 0;
      return NULL;
    }
  if (len != NULL)
    *len = self->string_len;
  return self->string;
}

/* Keys are equal when Lua would index the same slot. */
static gboolean
keys_equal (const KiosLuaValue *a,
            const KiosLuaValue *b)
{
  if (a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case KIOS_LUA_BOOLEAN:
      return a->boolean == b->boolean;
    case KIOS_LUA_NUMBER:
      return a->number == b->number;
    case KIOS_LUA_STRING:
      return a->string_len == b->string_len && memcmp (a->string, b->string, a->string_len) == 0;
    case KIOS_LUA_TABLE:
    default:
      return a == b;
    }
}

static KiosLuaValue *
table_lookup (const KiosLuaValue *self,
              const KiosLuaValue *key,
              guint               hint,
              guint              *position)
{
  if (self == NULL || self->type != KIOS_LUA_TABLE)
    return NULL;
  /* Arrays are usually stored in order: try the likely slot first. */
  if (hint < self->entries->len && keys_equal (g_array_index (self->entries, Entry, hint).key, key))
    {
      if (position != NULL)
        *position = hint;
      return g_array_index (self->entries, Entry, hint).value;
    }
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = &g_array_index (self->entries, Entry, i);

      if (keys_equal (e->key, key))
        {
          if (position != NULL)
            *position = i;
          return e->value;
        }
    }
  return NULL;
}

gboolean
kios_lua_value_equal (const KiosLuaValue *a,
                      const KiosLuaValue *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    return FALSE;
  if (a->type != KIOS_LUA_TABLE)
    return keys_equal (a, b);
  if (a->entries->len != b->entries->len)
    return FALSE;
  for (guint i = 0; i < a->entries->len; i++)
    {
      Entry        *e = &g_array_index (a->entries, Entry, i);
      KiosLuaValue *other = table_lookup (b, e->key, i, NULL);

      if (other == NULL || !kios_lua_value_equal (e->value, other))
        return FALSE;
    }
  return TRUE;
}

/* ---- tables ------------------------------------------------------------- */

guint
kios_lua_table_get_n_entries (const KiosLuaValue *self)
{
  return self != NULL && self->type == KIOS_LUA_TABLE ? self->entries->len : 0;
}

void
kios_lua_table_get_entry (const KiosLuaValue  *self,
                          guint                i,
                          const KiosLuaValue **key,
                          const KiosLuaValue **value)
{
  Entry *e;

  g_return_if_fail (i < kios_lua_table_get_n_entries (self));

  e = &g_array_index (self->entries, Entry, i);
  if (key != NULL)
    *key = e->key;
  if (value != NULL)
    *value = e->value;
}

KiosLuaValue *
kios_lua_table_get (const KiosLuaValue *self,
                    const char         *key)
{
  KiosLuaValue k = { 0 };

  k.type = KIOS_LUA_STRING;
  k.string = (char *) key;
  k.string_len = strlen (key);
  return table_lookup (self, &k, G_MAXUINT, NULL);
}

KiosLuaValue *
kios_lua_table_get_index (const KiosLuaValue *self,
                          gint64              index)
{
  KiosLuaValue k = { 0 };

  k.type = KIOS_LUA_NUMBER;
  k.number = (double) index;
  return table_lookup (self, &k, index > 0 && index <= G_MAXUINT ? (guint) (index - 1) : G_MAXUINT, NULL);
}

gint64
kios_lua_table_get_length (const KiosLuaValue *self)
{
  gint64 n = 0;

  while (kios_lua_table_get_index (self, n + 1) != NULL)
    n++;
  return n;
}

/* Takes key and value. */
static void
table_put (KiosLuaValue *self,
           KiosLuaValue *key,
           KiosLuaValue *value,
           guint         hint)
{
  guint position;

  if (table_lookup (self, key, hint, &position) != NULL)
    {
      Entry *e = &g_array_index (self->entries, Entry, position);

      kios_lua_value_free (key);
      kios_lua_value_free (e->value);
      if (value != NULL)
        e->value = value;
      else
        {
          kios_lua_value_free (e->key);
          g_array_remove_index (self->entries, position);
        }
      return;
    }
  if (value == NULL)
    {
      kios_lua_value_free (key);
      return;
    }
  {
    Entry e = { key, value };

    g_array_append_val (self->entries, e);
  }
}

void
kios_lua_table_set (KiosLuaValue *self,
                    const char   *key,
                    KiosLuaValue *value)
{
  g_return_if_fail (self != NULL && self->type == KIOS_LUA_TABLE);
  g_return_if_fail (key != NULL);

  table_put (self, kios_lua_value_new_string (key), value, G_MAXUINT);
}

void
kios_lua_table_set_index (KiosLuaValue *self,
                          gint64        index,
                          KiosLuaValue *value)
{
  g_return_if_fail (self != NULL && self->type == KIOS_LUA_TABLE);

  table_put (self, kios_lua_value_new_number ((double) index), value,
             index > 0 && index <= G_MAXUINT ? (guint) (index - 1) : G_MAXUINT);
}

const char *
kios_lua_table_get_string (const KiosLuaValue *self,
                           const char         *key)
{
  return kios_lua_value_get_string (kios_lua_table_get (self, key), NULL);
}

double
kios_lua_table_get_number (const KiosLuaValue *self,
                           const char         *key,
                           double              fallback)
{
  KiosLuaValue *v = kios_lua_table_get (self, key);

  return v != NULL && v->type == KIOS_LUA_NUMBER ? v->number : fallback;
}

/* ---- parser ------------------------------------------------------------- */

typedef struct
{
  const char *p;
  const char *end;
  const char *start;
  guint       values;
  GError    **error;
} Parser;

static int
line_of (Parser *ps)
{
  int line = 1;

  for (const char *q = ps->start; q < ps->p && q < ps->end; q++)
    if (*q == '\n')
      line++;
  return line;
}

static gboolean
fail (Parser     *ps,
      int         code,
      const char *why)
{
  if (ps->error != NULL && *ps->error == NULL)
    g_set_error (ps->error, KIOS_DOCUMENT_ERROR, code, "Not a plain Lua table (line %d): %s", line_of (ps),
                 why);
  return FALSE;
}

static gboolean
count_value (Parser *ps)
{
  if (++ps->values > KIOS_LIMIT_LUA_VALUES)
    return fail (ps, KIOS_DOCUMENT_ERROR_TOO_COMPLEX, "more values than Kios reads");
  return TRUE;
}

/* Skips spaces and -- line comments; refuses long comments. */
static gboolean
skip_space (Parser *ps)
{
  while (ps->p < ps->end)
    {
      char c = *ps->p;

      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
        ps->p++;
      else if (c == '-' && ps->p + 1 < ps->end && ps->p[1] == '-')
        {
          if (ps->p + 2 < ps->end && ps->p[2] == '[' && ps->p + 3 < ps->end &&
              (ps->p[3] == '[' || ps->p[3] == '='))
            return fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a long comment");
          while (ps->p < ps->end && *ps->p != '\n')
            ps->p++;
        }
      else
        break;
    }
  return TRUE;
}

static gboolean
is_name_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static gsize
name_length (Parser *ps)
{
  const char *q = ps->p;

  if (q >= ps->end || !is_name_start (*q))
    return 0;
  while (q < ps->end && is_name_char (*q))
    q++;
  return (gsize) (q - ps->p);
}

static gboolean
name_is (Parser     *ps,
         gsize       len,
         const char *word)
{
  return strlen (word) == len && memcmp (ps->p, word, len) == 0;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static KiosLuaValue *
parse_string (Parser *ps)
{
  char                quote = *ps->p++;
  g_autoptr (GString) out = g_string_new (NULL);

  for (;;)
    {
      char c;

      if (ps->p >= ps->end)
        {
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a string that does not end");
          return NULL;
        }
      c = *ps->p++;
      if (c == quote)
        break;
      if (c == '\n' || c == '\r')
        {
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a line break in a string");
          return NULL;
        }
      if (c != '\\')
        {
          g_string_append_c (out, c);
          continue;
        }
      if (ps->p >= ps->end)
        continue; /* reported as an unfinished string above */
      c = *ps->p++;
      switch (c)
        {
        case 'a':
          g_string_append_c (out, '\a');
          break;
        case 'b':
          g_string_append_c (out, '\b');
          break;
        case 'f':
          g_string_append_c (out, '\f');
          break;
        case 'n':
          g_string_append_c (out, '\n');
          break;
        case 'r':
          g_string_append_c (out, '\r');
          break;
        case 't':
          g_string_append_c (out, '\t');
          break;
        case 'v':
          g_string_append_c (out, '\v');
          break;
        case '\\':
        case '"':
        case '\'':
          g_string_append_c (out, c);
          break;
        case '\n':
        case '\r':
          /* A backslash before a line break keeps the line break (one, for
           * a \r\n or \n\r pair). */
          if (ps->p < ps->end && (*ps->p == '\n' || *ps->p == '\r') && *ps->p != c)
            ps->p++;
          g_string_append_c (out, '\n');
          break;
        case 'x':
          {
            int hi = ps->p + 1 < ps->end ? hex_value (ps->p[0]) : -1;
            int lo = hi >= 0 ? hex_value (ps->p[1]) : -1;

            if (lo < 0)
              {
                fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a bad \\x escape");
                return NULL;
              }
            g_string_append_c (out, (char) (hi * 16 + lo));
            ps->p += 2;
          }
          break;
        case 'z':
          while (ps->p < ps->end && g_ascii_isspace (*ps->p))
            ps->p++;
          break;
        case 'u':
          {
            gunichar u = 0;
            int      digits = 0;

            if (ps->p >= ps->end || *ps->p != '{')
              {
                fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a bad \\u escape");
                return NULL;
              }
            ps->p++;
            while (ps->p < ps->end && hex_value (*ps->p) >= 0 && digits < 8)
              {
                u = u * 16 + (gunichar) hex_value (*ps->p++);
                digits++;
              }
            if (digits == 0 || ps->p >= ps->end || *ps->p != '}' || u > 0x10FFFF)
              {
                fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a bad \\u escape");
                return NULL;
              }
            ps->p++;
            g_string_append_unichar (out, u);
          }
          break;
        default:
          if (c >= '0' && c <= '9')
            {
              int value = c - '0';

              for (int i = 0; i < 2 && ps->p < ps->end && g_ascii_isdigit (*ps->p); i++)
                value = value * 10 + (*ps->p++ - '0');
              if (value > 255)
                {
                  fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a decimal escape over 255");
                  return NULL;
                }
              g_string_append_c (out, (char) value);
              break;
            }
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "an unknown escape in a string");
          return NULL;
        }
    }
  return kios_lua_value_new_string_len (out->str, out->len);
}

static KiosLuaValue *
parse_number (Parser *ps)
{
  const char      *begin = ps->p;
  const char      *q = ps->p;
  g_autofree char *literal = NULL;
  gboolean         digits = FALSE;

  if (*q == '-')
    q++;
  if (q + 1 < ps->end && q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
    {
      q += 2;
      while (q < ps->end && hex_value (*q) >= 0)
        {
          q++;
          digits = TRUE;
        }
      if (!digits || q - begin > 20)
        {
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a bad hexadecimal number");
          return NULL;
        }
    }
  else
    {
      while (q < ps->end && g_ascii_isdigit (*q))
        {
          q++;
          digits = TRUE;
        }
      if (q < ps->end && *q == '.')
        {
          q++;
          while (q < ps->end && g_ascii_isdigit (*q))
            {
              q++;
              digits = TRUE;
            }
        }
      if (digits && q < ps->end && (*q == 'e' || *q == 'E'))
        {
          gboolean exp_digits = FALSE;

          q++;
          if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
          while (q < ps->end && g_ascii_isdigit (*q))
            {
              q++;
              exp_digits = TRUE;
            }
          if (!exp_digits)
            digits = FALSE;
        }
      if (!digits || q - begin > 64)
        {
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a bad number");
          return NULL;
        }
    }
  if (q < ps->end && (is_name_char (*q) || *q == '.'))
    {
      fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a bad number");
      return NULL;
    }
  ps->p = q;
  literal = g_strndup (begin, (gsize) (q - begin));
  return kios_lua_value_new_number_literal (literal);
}

static KiosLuaValue *parse_value (Parser   *ps,
                                  guint     depth,
                                  gboolean  allow_nil,
                                  gboolean *is_nil);

/* A key's identity for duplicate detection within one table. */
static char *
key_id (const KiosLuaValue *key)
{
  switch (key->type)
    {
    case KIOS_LUA_BOOLEAN:
      return g_strdup (key->boolean ? "b1" : "b0");
    case KIOS_LUA_NUMBER:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        return g_strconcat ("n", g_ascii_dtostr (buf, sizeof buf, key->number), NULL);
      }
    case KIOS_LUA_STRING:
    case KIOS_LUA_TABLE:
    default:
      {
        char *id = g_malloc (key->string_len + 2);

        id[0] = 's';
        memcpy (id + 1, key->string, key->string_len);
        id[key->string_len + 1] = '\0';
        /* Strings with NULs compare by their prefix here; they are rare
         * enough that a false duplicate only costs a slower path. */
        return id;
      }
    }
}

static KiosLuaValue *
parse_table (Parser *ps,
             guint   depth)
{
  g_autoptr (KiosLuaValue) table = kios_lua_value_new_table ();
  g_autoptr (GHashTable)   seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64                   next_index = 1;

  if (depth > KIOS_LIMIT_LUA_DEPTH)
    {
      fail (ps, KIOS_DOCUMENT_ERROR_TOO_COMPLEX, "tables nested deeper than Kios reads");
      return NULL;
    }
  ps->p++; /* { */

  for (;;)
    {
      g_autoptr (KiosLuaValue) key = NULL;
      g_autoptr (KiosLuaValue) value = NULL;
      gboolean                 value_nil = FALSE;
      gsize                    len;

      if (!skip_space (ps))
        return NULL;
      if (ps->p >= ps->end)
        {
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a table that does not end");
          return NULL;
        }
      if (*ps->p == '}')
        {
          ps->p++;
          break;
        }

      if (*ps->p == '[')
        {
          gboolean key_nil = FALSE;

          if (ps->p + 1 < ps->end && (ps->p[1] == '[' || ps->p[1] == '='))
            {
              fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a long string");
              return NULL;
            }
          ps->p++;
          if (!skip_space (ps))
            return NULL;
          key = parse_value (ps, depth + 1, TRUE, &key_nil);
          if (key == NULL && !key_nil)
            return NULL;
          if (key_nil || key->type == KIOS_LUA_TABLE || (key->type == KIOS_LUA_NUMBER && isnan (key->number)))
            {
              fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a key that is not a string, number or boolean");
              return NULL;
            }
          if (!skip_space (ps))
            return NULL;
          if (ps->p >= ps->end || *ps->p != ']')
            {
              fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a key without its ]");
              return NULL;
            }
          ps->p++;
          if (!skip_space (ps))
            return NULL;
          if (ps->p >= ps->end || *ps->p != '=' || (ps->p + 1 < ps->end && ps->p[1] == '='))
            {
              fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a key without its =");
              return NULL;
            }
          ps->p++;
        }
      else if ((len = name_length (ps)) > 0 && !name_is (ps, len, "true") && !name_is (ps, len, "false") &&
               !name_is (ps, len, "nil"))
        {
          const char *name = ps->p;

          ps->p += len;
          if (!skip_space (ps))
            return NULL;
          if (ps->p >= ps->end || *ps->p != '=' || (ps->p + 1 < ps->end && ps->p[1] == '='))
            {
              fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a name that is not a field (code)");
              return NULL;
            }
          ps->p++;
          key = kios_lua_value_new_string_len (name, len);
        }
      else
        key = kios_lua_value_new_number ((double) next_index++);

      if (!skip_space (ps))
        return NULL;
      value = parse_value (ps, depth + 1, TRUE, &value_nil);
      if (value == NULL && !value_nil)
        return NULL;

      {
        g_autofree char *id = key_id (key);

        /* Lua keeps the last of equal keys. */
        if (g_hash_table_contains (seen, id))
          table_put (table, g_steal_pointer (&key), g_steal_pointer (&value), G_MAXUINT);
        else
          {
            g_hash_table_add (seen, g_steal_pointer (&id));
            if (value != NULL)
              {
                Entry e = { g_steal_pointer (&key), g_steal_pointer (&value) };

                g_array_append_val (table->entries, e);
              }
          }
      }

      if (!skip_space (ps))
        return NULL;
      if (ps->p < ps->end && (*ps->p == ',' || *ps->p == ';'))
        ps->p++;
      else if (ps->p < ps->end && *ps->p == '}')
        continue;
      else
        {
          fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, ps->p < ps->end ? "something that is not a field separator" : "a table that does not end");
          return NULL;
        }
    }
  return g_steal_pointer (&table);
}

static KiosLuaValue *
parse_value (Parser   *ps,
             guint     depth,
             gboolean  allow_nil,
             gboolean *is_nil)
{
  gsize len;
  char  c;

  *is_nil = FALSE;
  if (!count_value (ps))
    return NULL;
  if (ps->p >= ps->end)
    {
      fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a value is missing");
      return NULL;
    }
  c = *ps->p;
  if (c == '{')
    return parse_table (ps, depth);
  if (c == '"' || c == '\'')
    return parse_string (ps);
  if (g_ascii_isdigit (c) || (c == '.' && ps->p + 1 < ps->end && g_ascii_isdigit (ps->p[1])) ||
      (c == '-' && ps->p + 1 < ps->end && (g_ascii_isdigit (ps->p[1]) || ps->p[1] == '.')))
    return parse_number (ps);
  len = name_length (ps);
  if (len > 0 && name_is (ps, len, "true"))
    {
      ps->p += len;
      return kios_lua_value_new_boolean (TRUE);
    }
  if (len > 0 && name_is (ps, len, "false"))
    {
      ps->p += len;
      return kios_lua_value_new_boolean (FALSE);
    }
  if (len > 0 && name_is (ps, len, "nil") && allow_nil)
    {
      ps->p += len;
      *is_nil = TRUE;
      return NULL;
    }
  if (c == '[' && ps->p + 1 < ps->end && (ps->p[1] == '[' || ps->p[1] == '='))
    fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, "a long string");
  else
    fail (ps, KIOS_DOCUMENT_ERROR_DAMAGED, len > 0 ? "a name where a value must be (code)" : "not a value");
  return NULL;
}

KiosLuaValue *
kios_lua_parse (const char *data,
                gssize      len,
                GError    **error)
{
  g_autoptr (KiosLuaValue) value = NULL;
  Parser                   ps = { 0 };
  gsize                    n;
  gboolean                 is_nil = FALSE;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  n = len < 0 ? strnlen (data, KIOS_LIMIT_LUA_BYTES + 1) : (gsize) len;
  if (n > KIOS_LIMIT_LUA_BYTES)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_TOO_COMPLEX,
                   "Not a plain Lua table: larger than %" G_GSIZE_FORMAT " bytes", KIOS_LIMIT_LUA_BYTES);
      return NULL;
    }
  ps.start = ps.p = data;
  ps.end = data + n;
  ps.error = error;

  /* A UTF-8 byte order mark, then comments, then "return". */
  if (n >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    ps.p += 3;
  if (!skip_space (&ps))
    return NULL;
  if (name_length (&ps) != 6 || !name_is (&ps, 6, "return"))
    {
      fail (&ps, KIOS_DOCUMENT_ERROR_DAMAGED, "it does not start with return");
      return NULL;
    }
  ps.p += 6;
  if (!skip_space (&ps))
    return NULL;
  value = parse_value (&ps, 1, FALSE, &is_nil);
  if (value == NULL)
    return NULL;
  if (!skip_space (&ps))
    return NULL;
  if (ps.p < ps.end && *ps.p == ';')
    {
      ps.p++;
      if (!skip_space (&ps))
        return NULL;
    }
  if (ps.p < ps.end)
    {
      fail (&ps, KIOS_DOCUMENT_ERROR_DAMAGED, "more after the table (code)");
      return NULL;
    }
  return g_steal_pointer (&value);
}

/* ---- writer ------------------------------------------------------------- */

static void
write_number (GString *out,
              double   number)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (number))
    g_string_append (out, "0");
  else if (isinf (number))
    g_string_append (out, number > 0 ? "1e9999" : "-1e9999");
  else if (number == floor (number) && fabs (number) < 9007199254740992.0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) number);
  else
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.17g", number));
}

/* Lua's %q, as LuaJIT writes it. */
static void
write_string (GString    *out,
              const char *s,
              gsize       len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '"' || c == '\\' || c == '\n')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\0')
        g_string_append (out, i + 1 < len && g_ascii_isdigit (s[i + 1]) ? "\\000" : "\\0");
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

/* A key that is not a number, as tostring() would give it. */
static void
key_bytes (const KiosLuaValue *key,
           const char        **bytes,
           gsize              *len)
{
  if (key->type == KIOS_LUA_BOOLEAN)
    *bytes = key->boolean ? "true" : "false", *len = strlen (*bytes);
  else if (key->type == KIOS_LUA_STRING)
    *bytes = key->string, *len = key->string_len;
  else
    *bytes = "", *len = 0;
}

/* Numbers first, in numeric order; every other key by its text, then by
 * its type. A total order: comparing a number with a string by their text
 * is not one (2 < 12 but "12" < "1x" < "2"), and the sort would then
 * depend on the order the entries were read in. */
static int
compare_keys (gconstpointer pa,
              gconstpointer pb)
{
  const KiosLuaValue *a = ((const Entry *) pa)->key;
  const KiosLuaValue *b = ((const Entry *) pb)->key;
  const char         *ta, *tb;
  gsize               la, lb;
  int                 cmp;

  if (a->type == KIOS_LUA_NUMBER && b->type == KIOS_LUA_NUMBER)
    return a->number < b->number ? -1 : a->number > b->number;
  if (a->type == KIOS_LUA_NUMBER || b->type == KIOS_LUA_NUMBER)
    return a->type == KIOS_LUA_NUMBER ? -1 : 1;
  key_bytes (a, &ta, &la);
  key_bytes (b, &tb, &lb);
  cmp = memcmp (ta, tb, MIN (la, lb));
  if (cmp != 0)
    return cmp;
  if (la != lb)
    return la < lb ? -1 : 1;
  return (int) a->type - (int) b->type;
}

static void
write_value (GString            *out,
             const KiosLuaValue *value,
             guint               indent)
{
  switch (value->type)
    {
    case KIOS_LUA_BOOLEAN:
      g_string_append (out, value->boolean ? "true" : "false");
      break;
    case KIOS_LUA_NUMBER:
      if (value->literal != NULL)
        g_string_append (out, value->literal);
      else
        write_number (out, value->number);
      break;
    case KIOS_LUA_STRING:
      write_string (out, value->string, value->string_len);
      break;
    case KIOS_LUA_TABLE:
    default:
      {
        g_autoptr (GArray) sorted = g_array_copy (value->entries);

        g_array_sort (sorted, compare_keys);
        g_string_append_c (out, '{');
        for (guint i = 0; i < sorted->len; i++)
          {
            Entry *e = &g_array_index (sorted, Entry, i);

            g_string_append_c (out, '\n');
            for (guint j = 0; j <= indent; j++)
              g_string_append (out, "    ");
            g_string_append_c (out, '[');
            write_value (out, e->key, indent + 1);
            g_string_append (out, "] = ");
            write_value (out, e->value, indent + 1);
            g_string_append_c (out, ',');
          }
        if (sorted->len > 0)
          {
            g_string_append_c (out, '\n');
            for (guint j = 0; j < indent; j++)
              g_string_append (out, "    ");
          }
        g_string_append_c (out, '}');
      }
      break;
    }
}

char *
kios_lua_write (const KiosLuaValue *value,
                const char         *header)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (value != NULL, NULL);

  if (header != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (header, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf (out, "-- %s\n", lines[i]);
    }
  g_string_append (out, "return ");
  write_value (out, value, 0);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}
