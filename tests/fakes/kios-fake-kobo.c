/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-fake-kobo"

#include "kios-fake-kobo.h"

#include "kios-epub.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the server believes it lives: never where the client reached it. */
#define WRONG_HOST "http://kobo.example.invalid:8083"

typedef struct
{
  char       *id;
  int         calibre_id;
  char       *title;
  char       *author;
  char       *cover_id;
  char       *format;
  GBytes     *file;
  GPtrArray  *spine; /* char *: zip paths */
  GHashTable *sizes; /* zip path → GSIZE_TO_POINTER (uncompressed size) */
  char       *epub_path;
  int         revision;
  gboolean    removed;
} Book;

typedef struct
{
  gboolean has_bookmark;
  char    *source;
  char    *value;
  double   pp;   /* < 0: absent */
  double   cspp; /* < 0: absent */
  gint64   modified_ms;
  char    *status;
  gboolean sent; /* Grimmory: delivered by a sync */
} State;

struct _KiosFakeKobo
{
  KiosFakeServer    *server;
  KiosFakeKoboFamily family;
  char              *token;
  GMutex             lock;
  KiosFakeKoboMode   mode;
  guint              page_size;
  GPtrArray         *books;     /* Book * in insertion order */
  GHashTable        *states;    /* id → State * */
  GHashTable        *delivered; /* CW per account: id → GINT_TO_POINTER (revision + 1) */
  GPtrArray         *snapshots; /* GR/KG sync points: GHashTable id → revision + 1 */
  guint              bad_attempts;
  int                sync_budget; /* sync answers left before 503s; -1 = no limit */
  char              *last_put;
  gboolean           hang; /* every request waits until the server stops */
};

static void
book_free (Book *b)
{
  g_free (b->id);
  g_free (b->title);
  g_free (b->author);
  g_free (b->cover_id);
  g_free (b->format);
  g_clear_pointer (&b->file, g_bytes_unref);
  g_clear_pointer (&b->spine, g_ptr_array_unref);
  g_clear_pointer (&b->sizes, g_hash_table_unref);
  g_free (b->epub_path);
  g_free (b);
}

static void
state_free (State *s)
{
  g_free (s->source);
  g_free (s->value);
  g_free (s->status);
  g_free (s);
}

static Book *
find_book (KiosFakeKobo *self,
           const char   *id)
{
  for (guint i = 0; i < self->books->len; i++)
    {
      Book *b = self->books->pdata[i];

      if (g_strcmp0 (b->id, id) == 0)
        return b;
    }
  return NULL;
}

static const char *
prefix (KiosFakeKobo *self)
{
  return self->family == KIOS_FAKE_KOBO_GRIMMORY ? "/api/kobo/" : "/kobo/";
}

static char *
format_time (KiosFakeKobo *self,
             gint64        ms)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  g_autofree char      *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

  /* CW: seconds; Grimmory: 7 fraction digits; Komga: milliseconds. */
  switch (self->family)
    {
    case KIOS_FAKE_KOBO_GRIMMORY:
      return g_strdup_printf ("%s.%03d0000Z", base, (int) (ms % 1000));
    case KIOS_FAKE_KOBO_KOMGA:
      return g_strdup_printf ("%s.%03dZ", base, (int) (ms % 1000));
    case KIOS_FAKE_KOBO_CALIBRE_WEB:
    case KIOS_FAKE_KOBO_CWA:
    default:
      return g_strdup_printf ("%sZ", base);
    }
}

static void
answer_json (KiosFakeResponse *response,
             guint             status,
             JsonNode         *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  kios_fake_response_set_text (response, status, "application/json", text);
}

static void
answer_builder (KiosFakeResponse *response,
                guint             status,
                JsonBuilder      *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  answer_json (response, status, root);
}

/* ------------------------------------------------------------------------ */
/* JSON shapes.                                                             */

static void
add_download_url (KiosFakeKobo *self,
                  JsonBuilder  *b,
                  Book         *book,
                  const char   *format,
                  const char   *path)
{
  g_autofree char *url = g_strdup_printf ("%s%s%s%s", WRONG_HOST, prefix (self), self->token, path);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Format");
  json_builder_add_string_value (b, format);
  json_builder_set_member_name (b, "Size");
  json_builder_add_int_value (b, (gint64) g_bytes_get_size (book->file));
  json_builder_set_member_name (b, "Url");
  json_builder_add_string_value (b, url);
  json_builder_set_member_name (b, "Platform");
  json_builder_add_string_value (b, "Generic");
  json_builder_set_member_name (b, "DrmType");
  json_builder_add_string_value (b, "None");
  json_builder_end_object (b);
}

static void
build_metadata (KiosFakeKobo *self,
                JsonBuilder  *b,
                Book         *book)
{
  g_autofree char *path = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "EntitlementId");
  json_builder_add_string_value (b, book->id);
  json_builder_set_member_name (b, "RevisionId");
  json_builder_add_string_value (b, book->id);
  json_builder_set_member_name (b, "CrossRevisionId");
  json_builder_add_string_value (b, book->id);
  json_builder_set_member_name (b, "Title");
  json_builder_add_string_value (b, book->title);
  json_builder_set_member_name (b, "Contributors");
  if (book->author != NULL)
    {
      json_builder_begin_array (b);
      json_builder_add_string_value (b, book->author);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b); /* CW without an author */
  if (self->family == KIOS_FAKE_KOBO_GRIMMORY)
    {
      /* Grimmory always sends a Series, empty when there is none. */
      json_builder_set_member_name (b, "Series");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "Id");
      json_builder_add_string_value (b, "");
      json_builder_set_member_name (b, "Name");
      json_builder_add_string_value (b, "");
      json_builder_set_member_name (b, "Number");
      json_builder_add_string_value (b, "");
      json_builder_set_member_name (b, "NumberFloat");
      json_builder_add_double_value (b, 0.0);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "Language");
  json_builder_add_string_value (b, "en");
  json_builder_set_member_name (b, "CoverImageId");
  json_builder_add_string_value (b, book->cover_id);
  json_builder_set_member_name (b, "Genre");
  json_builder_add_string_value (b, "00000000-0000-0000-0000-000000000001");
  json_builder_set_member_name (b, "DownloadUrls");
  json_builder_begin_array (b);
  switch (self->family)
    {
    case KIOS_FAKE_KOBO_CALIBRE_WEB:
      /* One entry per stored format; EPUB gives EPUB3 and EPUB with one Url. */
      if (g_str_equal (book->format, "KEPUB"))
        {
          path = g_strdup_printf ("/download/%d/kepub", book->calibre_id);
          add_download_url (self, b, book, "KEPUB", path);
        }
      else
        {
          path = g_strdup_printf ("/download/%d/epub", book->calibre_id);
          add_download_url (self, b, book, "EPUB3", path);
          add_download_url (self, b, book, "EPUB", path);
        }
      break;
    case KIOS_FAKE_KOBO_CWA:
      path = g_strdup_printf ("/download/%d/%s", book->calibre_id,
                              g_str_equal (book->format, "KEPUB") ? "kepub" : "epub");
      add_download_url (self, b, book, g_str_equal (book->format, "KEPUB") ? "KEPUB" : "EPUB3", path);
      break;
    case KIOS_FAKE_KOBO_GRIMMORY:
      path = g_strdup_printf ("/v1/books/%s/download", book->id);
      add_download_url (self, b, book, book->format, path);
      break;
    case KIOS_FAKE_KOBO_KOMGA:
    default:
      path = g_strdup_printf ("/v1/books/%s/file/epub?convert_kepub=%s", book->id,
                              g_str_equal (book->format, "KEPUB") ? "true" : "false");
      add_download_url (self, b, book, book->format, path);
      break;
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
build_entitlement (KiosFakeKobo *self,
                   JsonBuilder  *b,
                   Book         *book,
                   gboolean      removed)
{
  g_autofree char *now = format_time (self, g_get_real_time () / 1000);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Accessibility");
  json_builder_add_string_value (b, "Full");
  json_builder_set_member_name (b, "Id");
  json_builder_add_string_value (b, book->id);
  json_builder_set_member_name (b, "RevisionId");
  json_builder_add_string_value (b, book->id);
  json_builder_set_member_name (b, "IsRemoved");
  json_builder_add_boolean_value (b, removed);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, now);
  json_builder_set_member_name (b, "Status");
  json_builder_add_string_value (b, "Active");
  json_builder_end_object (b);
}

typedef enum {
  ITEM_NEW,
  ITEM_CHANGED,
  ITEM_REMOVED,
} ItemKind;

static void
build_item (KiosFakeKobo *self,
            JsonBuilder  *b,
            Book         *book,
            ItemKind      kind)
{
  json_builder_begin_object (b);
  if (kind == ITEM_REMOVED)
    {
      json_builder_set_member_name (b, "ChangedEntitlement");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "BookEntitlement");
      build_entitlement (self, b, book, TRUE);
      /* GR and KG send a stub whose Title is the id. */
      json_builder_set_member_name (b, "BookMetadata");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "EntitlementId");
      json_builder_add_string_value (b, book->id);
      json_builder_set_member_name (b, "Title");
      json_builder_add_string_value (b, book->id);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  else if (kind == ITEM_CHANGED && self->family == KIOS_FAKE_KOBO_KOMGA)
    {
      /* Komga's ChangedProductMetadata is the BookMetadata itself. */
      json_builder_set_member_name (b, "ChangedProductMetadata");
      build_metadata (self, b, book);
    }
  else if (kind == ITEM_CHANGED && self->family == KIOS_FAKE_KOBO_GRIMMORY)
    {
      json_builder_set_member_name (b, "ChangedProductMetadata");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "BookEntitlement");
      build_entitlement (self, b, book, FALSE);
      json_builder_set_member_name (b, "BookMetadata");
      build_metadata (self, b, book);
      json_builder_end_object (b);
    }
  else
    {
      json_builder_set_member_name (b, kind == ITEM_NEW ? "NewEntitlement" : "ChangedEntitlement");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "BookEntitlement");
      build_entitlement (self, b, book, FALSE);
      json_builder_set_member_name (b, "BookMetadata");
      build_metadata (self, b, book);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static void
build_state (KiosFakeKobo *self,
             JsonBuilder  *b,
             const char   *id,
             State        *s)
{
  g_autofree char *t = format_time (self, s != NULL ? s->modified_ms : g_get_real_time () / 1000);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "EntitlementId");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, t);
  json_builder_set_member_name (b, "StatusInfo");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, t);
  json_builder_set_member_name (b, "Status");
  json_builder_add_string_value (b, s != NULL && s->status != NULL ? s->status : "ReadyToRead");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "CurrentBookmark");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "LastModified");
  json_builder_add_string_value (b, t);
  if (s != NULL && s->has_bookmark)
    {
      if (s->pp >= 0)
        {
          json_builder_set_member_name (b, "ProgressPercent");
          if (self->family == KIOS_FAKE_KOBO_GRIMMORY)
            json_builder_add_int_value (b, (gint64) s->pp);
          else
            json_builder_add_double_value (b, s->pp);
        }
      if (s->cspp >= 0)
        {
          json_builder_set_member_name (b, "ContentSourceProgressPercent");
          json_builder_add_double_value (b, s->cspp);
        }
      /* CW drops the whole Location when Value is empty. */
      if (s->source != NULL && !((self->family == KIOS_FAKE_KOBO_CALIBRE_WEB || self->family == KIOS_FAKE_KOBO_CWA) && (s->value == NULL || *s->value == '\0')))
        {
          json_builder_set_member_name (b, "Location");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "Source");
          json_builder_add_string_value (b, s->source);
          json_builder_set_member_name (b, "Type");
          json_builder_add_string_value (b, "KoboSpan");
          json_builder_set_member_name (b, "Value");
          if (s->value != NULL)
            json_builder_add_string_value (b, s->value);
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* ------------------------------------------------------------------------ */
/* Sync.                                                                    */

static char *
encode_token (KiosFakeKobo *self,
              int           last,
              int           ongoing,
              guint         offset)
{
  g_autofree char *raw = g_strdup_printf ("{\"lastSuccessfulSyncPointId\":%d,\"ongoingSyncPointId\":%d,\"offset\":%u}",
                                          last, ongoing, offset);
  g_autofree char *b64 = g_base64_encode ((const guchar *) raw, strlen (raw));
  gsize            len = strlen (b64);

  while (len > 0 && b64[len - 1] == '=')
    b64[--len] = '\0';
  return g_strconcat (self->family == KIOS_FAKE_KOBO_GRIMMORY ? "BOOKLORE." : "KOMGA.", b64, NULL);
}

/* An unparsable or missing token means "from nothing". */
static void
decode_token (KiosFakeKobo *self,
              const char   *token,
              int          *last,
              int          *ongoing,
              guint        *offset)
{
  const char        *p = self->family == KIOS_FAKE_KOBO_GRIMMORY ? "BOOKLORE." : "KOMGA.";
  g_autofree char   *padded = NULL;
  g_autofree guchar *raw = NULL;
  g_autofree char   *text = NULL;
  gsize              len = 0;
  int                a, c;
  guint              o;

  *last = -1;
  *ongoing = -1;
  *offset = 0;
  if (token == NULL || !g_str_has_prefix (token, p))
    return;
  {
    GString *g = g_string_new (token + strlen (p));

    while (g->len % 4 != 0)
      g_string_append_c (g, '=');
    padded = g_string_free (g, FALSE);
  }
  raw = g_base64_decode (padded, &len);
  text = g_strndup ((const char *) raw, len);
  if (sscanf (text, "{\"lastSuccessfulSyncPointId\":%d,\"ongoingSyncPointId\":%d,\"offset\":%u}", &a, &c, &o) == 3 && a >= -1 && a < (int) self->snapshots->len && c >= -1 && c < (int) self->snapshots->len)
    {
      *last = a;
      *ongoing = c;
      *offset = o;
    }
}

static GHashTable *
snapshot_now (KiosFakeKobo *self)
{
  GHashTable *s = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < self->books->len; i++)
    {
      Book *b = self->books->pdata[i];

      if (!b->removed)
        g_hash_table_insert (s, g_strdup (b->id), GINT_TO_POINTER (b->revision + 1));
    }
  return s;
}

typedef struct
{
  Book    *book;
  ItemKind kind;
} Change;

static void
sync_per_token (KiosFakeKobo     *self,
                const char       *token,
                KiosFakeResponse *response)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GArray)      changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autofree char        *next = NULL;
  GHashTable             *before;
  GHashTable             *after;
  int                     last, ongoing;
  guint                   offset, end;

  decode_token (self, token, &last, &ongoing, &offset);
  if (ongoing < 0)
    {
      /* Each loop snapshots the whole shelf (that is why tokens are reused). */
      g_ptr_array_add (self->snapshots, snapshot_now (self));
      ongoing = (int) self->snapshots->len - 1;
      offset = 0;
    }
  before = last >= 0 ? self->snapshots->pdata[last] : NULL;
  after = self->snapshots->pdata[ongoing];
  for (guint i = 0; i < self->books->len; i++)
    {
      Book    *book = self->books->pdata[i];
      gpointer was = before != NULL ? g_hash_table_lookup (before, book->id) : NULL;
      gpointer now = g_hash_table_lookup (after, book->id);
      Change   c = { book, ITEM_NEW };

      if (now != NULL && was == NULL)
        c.kind = ITEM_NEW;
      else if (now != NULL && was != now)
        c.kind = ITEM_CHANGED;
      else if (now == NULL && was != NULL)
        c.kind = ITEM_REMOVED;
      else
        continue;
      g_array_append_val (changes, c);
    }

  json_builder_begin_array (b);
  end = MIN (offset + self->page_size, changes->len);
  for (guint i = offset; i < end; i++)
    {
      Change *c = &g_array_index (changes, Change, i);

      /* Komga re-sends a changed book as NewEntitlement + ChangedProductMetadata. */
      if (c->kind == ITEM_CHANGED && self->family == KIOS_FAKE_KOBO_KOMGA)
        build_item (self, b, c->book, ITEM_NEW);
      build_item (self, b, c->book, c->kind);
    }
  if (end >= changes->len && self->family == KIOS_FAKE_KOBO_GRIMMORY)
    {
      /* Grimmory delivers reading states per account and marks them sent. */
      GHashTableIter iter;
      gpointer       key, value;

      g_hash_table_iter_init (&iter, self->states);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          State *s = value;

          if (s->has_bookmark && !s->sent)
            {
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "ChangedReadingState");
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "ReadingState");
              build_state (self, b, key, s);
              json_builder_end_object (b);
              json_builder_end_object (b);
              s->sent = TRUE;
            }
        }
    }
  json_builder_end_array (b);
  answer_builder (response, 200, b);

  if (end < changes->len)
    {
      next = encode_token (self, last, ongoing, end);
      kios_fake_response_add_header (response, "x-kobo-sync", "continue");
    }
  else
    {
      next = encode_token (self, ongoing, -1, 0);
      if (self->family == KIOS_FAKE_KOBO_GRIMMORY)
        kios_fake_response_add_header (response, "x-kobo-sync", "");
    }
  kios_fake_response_add_header (response, "x-kobo-synctoken", next);
}

static void
sync_per_account (KiosFakeKobo     *self,
                  KiosFakeResponse *response)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char        *raw = NULL;
  g_autofree char        *token = NULL;
  guint                   listed = 0;
  gboolean                more = FALSE;

  json_builder_begin_array (b);
  for (guint i = 0; i < self->books->len; i++)
    {
      Book    *book = self->books->pdata[i];
      int      was = GPOINTER_TO_INT (g_hash_table_lookup (self->delivered, book->id));
      ItemKind kind;

      if (book->removed && was != 0)
        kind = ITEM_REMOVED;
      else if (!book->removed && was == 0)
        kind = ITEM_NEW;
      else if (!book->removed && was != book->revision + 1)
        kind = ITEM_CHANGED;
      else
        continue;
      if (listed == self->page_size)
        {
          more = TRUE;
          break;
        }
      build_item (self, b, book, kind);
      listed++;
      /* Delivered to the account, whichever device asked. */
      if (kind == ITEM_REMOVED)
        g_hash_table_remove (self->delivered, book->id);
      else
        g_hash_table_insert (self->delivered, g_strdup (book->id), GINT_TO_POINTER (book->revision + 1));
    }
  /* What a failed Kobo-store reply can leave in the array. */
  json_builder_add_string_value (b, "junk");
  json_builder_add_int_value (b, 0);
  json_builder_end_array (b);
  answer_builder (response, 200, b);

  raw = g_strdup_printf ("{\"version\":\"1-1-0\",\"data\":{\"raw_kobo_store_token\":\"\","
                         "\"books_last_modified\":%" G_GINT64_FORMAT ".0}}",
                         g_get_real_time () / G_USEC_PER_SEC);
  token = g_base64_encode ((const guchar *) raw, strlen (raw));
  kios_fake_response_add_header (response, "x-kobo-synctoken", token);
  if (more)
    kios_fake_response_add_header (response, "x-kobo-sync", "continue");
}

/* ------------------------------------------------------------------------ */
/* Reading state.                                                           */

static gboolean
has_key (JsonObject *o,
         const char *name)
{
  return o != NULL && json_object_has_member (o, name);
}

static gboolean
is_null (JsonObject *o,
         const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n == NULL || JSON_NODE_HOLDS_NULL (n);
}

static JsonObject *
member_object (JsonObject *o,
               const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_TYPE (n) == JSON_NODE_VALUE && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n)
             : NULL;
}

static gboolean
member_number (JsonObject *o,
               const char *name,
               double     *out)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    *out = json_node_get_double (n);
  else if (json_node_get_value_type (n) == G_TYPE_INT64)
    *out = (double) json_node_get_int (n);
  else
    return FALSE;
  return TRUE;
}

static gboolean
member_is_int (JsonObject *o,
               const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_TYPE (n) == JSON_NODE_VALUE && json_node_get_value_type (n) == G_TYPE_INT64;
}

static State *
ensure_state (KiosFakeKobo *self,
              const char   *id)
{
  State *s = g_hash_table_lookup (self->states, id);

  if (s == NULL)
    {
      s = g_new0 (State, 1);
      s->pp = -1;
      s->cspp = -1;
      g_hash_table_insert (self->states, g_strdup (id), s);
    }
  return s;
}

static void
store_bookmark (State      *s,
                const char *source,
                const char *value,
                double      cspp,
                double      pp,
                gint64      modified_ms)
{
  g_free (s->source);
  g_free (s->value);
  s->has_bookmark = TRUE;
  s->source = g_strdup (source);
  s->value = g_strdup (value);
  s->cspp = cspp;
  s->pp = pp;
  s->modified_ms = modified_ms;
  s->sent = FALSE;
}

static void
answer_put_result (KiosFakeKobo     *self,
                   KiosFakeResponse *response,
                   const char       *id,
                   const char       *result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  /* Grimmory's DTO has no naming annotation: lowerCamelCase. */
  gboolean lower = self->family == KIOS_FAKE_KOBO_GRIMMORY;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, lower ? "requestResult" : "RequestResult");
  json_builder_add_string_value (b, result);
  json_builder_set_member_name (b, lower ? "updateResults" : "UpdateResults");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, lower ? "entitlementId" : "EntitlementId");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, lower ? "currentBookmarkResult" : "CurrentBookmarkResult");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, lower ? "result" : "Result");
  json_builder_add_string_value (b, result);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  answer_builder (response, 200, b);
}

static void
bad_request (KiosFakeResponse *response,
             const char       *why)
{
  kios_fake_response_set_text (response, 400, "text/plain", why);
}

static void
put_state_cw (KiosFakeKobo     *self,
              Book             *book,
              JsonObject       *rs,
              KiosFakeResponse *response)
{
  JsonObject *bookmark = member_object (rs, "CurrentBookmark");
  JsonObject *location = member_object (bookmark, "Location");
  JsonObject *stats = member_object (rs, "Statistics");
  JsonObject *status = member_object (rs, "StatusInfo");
  gboolean    cwa = self->family == KIOS_FAKE_KOBO_CWA;
  const char *st;
  double      pp = -1, cspp = -1;

  if (book == NULL || book->removed)
    {
      kios_fake_response_set_text (response, 200, "application/json", "{}");
      return;
    }
  if (!has_key (rs, "CurrentBookmark") || !has_key (rs, "Statistics") || !has_key (rs, "StatusInfo"))
    {
      bad_request (response, "missing key");
      return;
    }
  if (is_null (rs, "CurrentBookmark") && cwa)
    {
      /* The Hardcover hook reads the bookmark unconditionally. */
      kios_fake_response_set_text (response, 500, "text/html", "<h1>Internal Server Error</h1>");
      return;
    }
  if (bookmark != NULL)
    {
      if (!has_key (bookmark, "ProgressPercent") || !has_key (bookmark, "ContentSourceProgressPercent") || (!cwa && !has_key (bookmark, "Location")))
        {
          bad_request (response, "bookmark keys");
          return;
        }
      if (location != NULL && (!has_key (location, "Value") || !has_key (location, "Type") || !has_key (location, "Source")))
        {
          bad_request (response, "location keys");
          return;
        }
      member_number (bookmark, "ProgressPercent", &pp);
      member_number (bookmark, "ContentSourceProgressPercent", &cspp);
    }
  if (stats != NULL && (!member_is_int (stats, "SpentReadingMinutes") || !member_is_int (stats, "RemainingTimeMinutes")))
    {
      bad_request (response, "statistics");
      return;
    }
  if (!is_null (rs, "Statistics") && stats == NULL)
    {
      bad_request (response, "statistics");
      return;
    }
  st = member_string (status, "Status");
  if (!is_null (rs, "StatusInfo") && (st == NULL || !(g_str_equal (st, "ReadyToRead") || g_str_equal (st, "Reading") || g_str_equal (st, "Finished"))))
    {
      bad_request (response, "status");
      return;
    }

  if (self->mode != KIOS_FAKE_KOBO_PUT_IGNORED && bookmark != NULL)
    {
      State *s = ensure_state (self, book->id);

      /* The server stamps its own time; the client's is ignored. */
      store_bookmark (s, member_string (location, "Source"), member_string (location, "Value"), cspp, pp,
                      g_get_real_time () / 1000);
      if (st != NULL)
        {
          g_free (s->status);
          s->status = g_strdup (st);
        }
    }
  answer_put_result (self, response, book->id, "Success");
}

static void
put_state_grimmory (KiosFakeKobo     *self,
                    const char       *path_id,
                    JsonObject       *body,
                    KiosFakeResponse *response)
{
  JsonArray *list = json_object_get_array_member (body, "ReadingStates");

  for (const char *p = path_id; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      {
        bad_request (response, "id");
        return;
      }
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode   *n = json_array_get_element (list, i);
      JsonObject *rs = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      const char *id = member_string (rs, "EntitlementId");
      JsonObject *bookmark = member_object (rs, "CurrentBookmark");
      JsonObject *location = member_object (bookmark, "Location");
      State      *s;
      gint64      t;
      double      pp = -1, cspp = -1;

      /* States are keyed by the body's id, which must be the book id. */
      if (id == NULL || !g_str_equal (id, path_id))
        {
          bad_request (response, "EntitlementId");
          return;
        }
      if (bookmark == NULL || self->mode == KIOS_FAKE_KOBO_PUT_IGNORED)
        continue;
      t = kios_kobo_parse_time (member_string (bookmark, "LastModified"));
      if (t == 0)
        t = g_get_real_time () / 1000;
      s = ensure_state (self, id);
      /* Merged only when strictly newer; answered "Success" either way. */
      if (s->has_bookmark && t <= s->modified_ms)
        continue;
      member_number (bookmark, "ProgressPercent", &pp);
      member_number (bookmark, "ContentSourceProgressPercent", &cspp);
      store_bookmark (s, member_string (location, "Source"), member_string (location, "Value"), cspp,
                      pp >= 0 ? floor (pp) : -1, t);
    }
  answer_put_result (self, response, path_id, "Success");
}

static void
put_state_komga (KiosFakeKobo     *self,
                 Book             *book,
                 JsonObject       *rs,
                 KiosFakeResponse *response)
{
  JsonObject *bookmark = member_object (rs, "CurrentBookmark");
  JsonObject *location = member_object (bookmark, "Location");
  JsonObject *stats = member_object (rs, "Statistics");
  JsonObject *status = member_object (rs, "StatusInfo");
  const char *source = member_string (location, "Source");
  double      cspp = -1, p, n, k;
  gint64      t;
  gsize       size;
  State      *s;
  int         chapter = -1;

  if (book == NULL || book->removed)
    {
      kios_fake_response_set_text (response, 404, "application/json", "{\"error\":\"Not Found\"}");
      return;
    }
  if (member_string (rs, "EntitlementId") == NULL || member_string (rs, "LastModified") == NULL || bookmark == NULL || member_string (bookmark, "LastModified") == NULL || location == NULL || source == NULL || !member_number (bookmark, "ContentSourceProgressPercent", &cspp) || stats == NULL || member_string (stats, "LastModified") == NULL || status == NULL || member_string (status, "LastModified") == NULL || member_string (status, "Status") == NULL)
    {
      bad_request (response, "{\"error\":\"Bad Request\"}");
      return;
    }

  t = kios_kobo_parse_time (member_string (bookmark, "LastModified"));
  s = g_hash_table_lookup (self->states, book->id);
  if (self->mode == KIOS_FAKE_KOBO_PUT_IGNORED)
    {
      answer_put_result (self, response, book->id, "Success");
      return;
    }
  if (s != NULL && s->has_bookmark && t <= s->modified_ms)
    {
      answer_put_result (self, response, book->id, "Failure");
      return;
    }
  for (guint i = 0; i < book->spine->len; i++)
    if (g_str_equal (book->spine->pdata[i], source))
      chapter = (int) i;
  if (chapter < 0)
    {
      answer_put_result (self, response, book->id, "Failure");
      return;
    }

  /* Positions k/n, n = ceil(size / 1024): exact, or one below and one above. */
  size = GPOINTER_TO_SIZE (g_hash_table_lookup (book->sizes, source));
  n = MAX (1.0, ceil ((double) size / 1024.0));
  p = cspp / 100.0;
  k = floor (p * n + 1e-9);
  if (fabs (k / n - p) > 1e-9 && !(p > 0 && k + 1 <= n - 1))
    {
      answer_put_result (self, response, book->id, "Failure");
      return;
    }

  s = ensure_state (self, book->id);
  /* Komga recomputes the whole-book progress itself. */
  store_bookmark (s, source, member_string (location, "Value"), k / n * 100.0,
                  ((double) chapter + k / n) / (double) book->spine->len * 100.0, t);
  g_free (s->status);
  s->status = g_strdup (member_string (status, "Status"));
  answer_put_result (self, response, book->id, "Success");
}

static void
handle_state (KiosFakeKobo          *self,
              const KiosFakeRequest *request,
              const char            *id,
              KiosFakeResponse      *response)
{
  Book  *book = find_book (self, id);
  State *s = g_hash_table_lookup (self->states, id);

  if (g_str_equal (request->method, "GET"))
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();

      if (self->family == KIOS_FAKE_KOBO_CALIBRE_WEB || self->family == KIOS_FAKE_KOBO_CWA)
        {
          if (book == NULL || book->removed)
            {
              kios_fake_response_set_text (response, 200, "application/json", "{}");
              return;
            }
          /* CW creates an empty record (stamped now) on first GET. */
          if (s == NULL)
            {
              s = ensure_state (self, id);
              s->modified_ms = g_get_real_time () / 1000;
            }
        }
      else if (self->family == KIOS_FAKE_KOBO_KOMGA && (book == NULL || book->removed))
        {
          kios_fake_response_set_text (response, 404, "application/json", "{\"error\":\"Not Found\"}");
          return;
        }
      json_builder_begin_array (b);
      /* Grimmory: empty when there is nothing; Komga synthesizes ReadyToRead. */
      if (s != NULL || self->family == KIOS_FAKE_KOBO_KOMGA)
        build_state (self, b, id, s);
      json_builder_end_array (b);
      answer_builder (response, 200, b);
      return;
    }
  if (g_str_equal (request->method, "PUT"))
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      gsize                  size = 0;
      const char            *data = g_bytes_get_data (request->body, &size);
      JsonNode              *root;
      JsonObject            *body;
      JsonNode              *list;
      const char            *ct = kios_fake_request_get_header (request, "Content-Type");

      g_free (self->last_put);
      self->last_put = g_strndup (data, size);
      /* CW reads the body through Flask's JSON accessor. */
      if (ct == NULL || !g_str_has_prefix (ct, "application/json"))
        {
          bad_request (response, "content type");
          return;
        }
      if (size == 0 || !json_parser_load_from_data (parser, data, (gssize) size, NULL))
        {
          bad_request (response, "json");
          return;
        }
      root = json_parser_get_root (parser);
      body = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      list = body != NULL ? json_object_get_member (body, "ReadingStates") : NULL;
      if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list) || json_array_get_length (json_node_get_array (list)) == 0 || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (list), 0)))
        {
          bad_request (response, "ReadingStates");
          return;
        }
      switch (self->family)
        {
        case KIOS_FAKE_KOBO_CALIBRE_WEB:
        case KIOS_FAKE_KOBO_CWA:
          put_state_cw (self, book, json_array_get_object_element (json_node_get_array (list), 0), response);
          break;
        case KIOS_FAKE_KOBO_GRIMMORY:
          put_state_grimmory (self, id, body, response);
          break;
        case KIOS_FAKE_KOBO_KOMGA:
        default:
          put_state_komga (self, book, json_array_get_object_element (json_node_get_array (list), 0), response);
          break;
        }
      return;
    }
  kios_fake_response_set_text (response, 405, "text/plain", "Method Not Allowed");
}

/* ------------------------------------------------------------------------ */
/* Routing.                                                                 */

static void
catch_all (KiosFakeKobo     *self,
           KiosFakeResponse *response)
{
  if (self->family == KIOS_FAKE_KOBO_GRIMMORY)
    kios_fake_response_set_text (response, 200, "application/json", NULL);
  else
    kios_fake_response_set_text (response, 200, "application/json", "{}");
}

static void
handle_initialization (KiosFakeKobo     *self,
                       KiosFakeResponse *response)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char        *root = g_strdup_printf ("%s%s%s", WRONG_HOST, prefix (self), self->token);
  g_autofree char        *tmpl = NULL;
  g_autofree char        *quality = NULL;
  g_autofree char        *sync = g_strdup_printf ("%s/v1/library/sync", root);

  if (self->family == KIOS_FAKE_KOBO_CALIBRE_WEB || self->family == KIOS_FAKE_KOBO_CWA)
    {
      tmpl = g_strdup_printf ("%s/{ImageId}/{width}/{height}/false/image.jpg", root);
      quality = g_strdup_printf ("%s/{ImageId}/{width}/{height}/{Quality}/isGreyscale/image.jpg", root);
    }
  else
    {
      tmpl = g_strdup_printf ("%s/v1/books/{ImageId}/thumbnail/{Width}/{Height}/false/image.jpg", root);
      quality = g_strdup_printf ("%s/v1/books/{ImageId}/thumbnail/{Width}/{Height}/{Quality}/{IsGreyscale}/image.jpg",
                                 root);
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Resources");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "image_host");
  json_builder_add_string_value (b, WRONG_HOST);
  json_builder_set_member_name (b, "image_url_template");
  json_builder_add_string_value (b, tmpl);
  json_builder_set_member_name (b, "image_url_quality_template");
  json_builder_add_string_value (b, quality);
  json_builder_set_member_name (b, "library_sync");
  json_builder_add_string_value (b, sync);
  json_builder_set_member_name (b, "reading_state");
  json_builder_add_string_value (b, "https://storeapi.kobo.com/v1/library/{Ids}/state");
  json_builder_end_object (b);
  json_builder_end_object (b);
  answer_builder (response, 200, b);
  kios_fake_response_add_header (response, "x-kobo-apitoken", "e30=");
}

static void
handle_download (KiosFakeKobo     *self,
                 Book             *book,
                 KiosFakeResponse *response)
{
  if (book == NULL || book->removed)
    {
      kios_fake_response_set_text (response, 404, "text/plain", "Not Found");
      return;
    }
  response->status = 200;
  response->body = g_bytes_ref (book->file);
  kios_fake_response_add_header (response, "Content-Type", "application/epub+zip");
  kios_fake_response_add_header (response, "Content-Disposition", "attachment; filename=\"book.epub\"");
}

static Book *
find_book_by_cover (KiosFakeKobo *self,
                    const char   *cover)
{
  for (guint i = 0; i < self->books->len; i++)
    {
      Book *b = self->books->pdata[i];

      if (g_strcmp0 (b->cover_id, cover) == 0)
        return b;
    }
  return NULL;
}

static void
handle (KiosFakeServer        *server,
        const KiosFakeRequest *request,
        KiosFakeResponse      *response,
        gpointer               user_data)
{
  KiosFakeKobo            *self = user_data;
  g_autofree char         *path = g_strndup (request->path, strcspn (request->path, "?"));
  const char              *query = strchr (request->path, '?');
  g_auto (GStrv)           parts = NULL;
  const char              *rest;
  const char              *slash;
  g_autofree char         *token = NULL;
  gboolean                 cw = self->family == KIOS_FAKE_KOBO_CALIBRE_WEB || self->family == KIOS_FAKE_KOBO_CWA;
  guint                    n;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->hang)
    {
      response->hang = TRUE;
      return;
    }
  if (!g_str_has_prefix (path, prefix (self)) || (cw && self->mode == KIOS_FAKE_KOBO_SYNC_DISABLED))
    {
      /* Outside the Kobo mount, or the whole blueprint unregistered. */
      if (!cw && !g_str_has_prefix (path, prefix (self)))
        catch_all (self, response);
      else
        kios_fake_response_set_text (response, 404, "text/html", "<h1>Not Found</h1>");
      return;
    }
  rest = path + strlen (prefix (self));
  slash = strchr (rest, '/');
  token = slash != NULL ? g_strndup (rest, slash - rest) : g_strdup (rest);
  rest = slash != NULL ? slash : "";

  /* CW answers {} to /kobo/{anything} outside /v1 without checking the token. */
  if (cw && !g_str_has_prefix (rest, "/v1/") && !g_str_has_prefix (rest, "/download/") && !g_str_has_suffix (rest, "/image.jpg"))
    {
      kios_fake_response_set_text (response, 200, "application/json", "{}");
      return;
    }
  if (!g_str_equal (token, self->token))
    {
      /* CW: three bad tokens a minute per address, then 429. */
      if (cw && ++self->bad_attempts > 3)
        kios_fake_response_set_text (response, 429, "text/plain", "Too Many Requests");
      else
        kios_fake_response_set_text (response, 401, "application/json",
                                     self->family == KIOS_FAKE_KOBO_GRIMMORY ? "{\"message\":\"Invalid KOBO token\"}"
                                                                             : "{\"error\":\"Unauthorized\"}");
      return;
    }
  if (cw)
    self->bad_attempts = 0;
  if (self->mode == KIOS_FAKE_KOBO_NO_PERMISSION && !cw)
    {
      kios_fake_response_set_text (response, 403, "application/json", "{\"error\":\"Forbidden\"}");
      return;
    }

  parts = g_strsplit (rest[0] == '/' ? rest + 1 : rest, "/", 16);
  n = g_strv_length (parts);

  if (g_str_equal (request->method, "GET") && g_str_equal (rest, "/v1/initialization"))
    {
      handle_initialization (self, response);
      return;
    }
  if (g_str_equal (request->method, "GET") && g_str_equal (rest, "/ping") && self->family == KIOS_FAKE_KOBO_KOMGA)
    {
      kios_fake_response_set_text (response, 200, "text/plain", "pong");
      return;
    }
  if (g_str_equal (request->method, "GET") && g_str_equal (rest, "/v1/library/sync"))
    {
      if (cw && self->mode == KIOS_FAKE_KOBO_NO_PERMISSION)
        {
          kios_fake_response_set_text (response, 403, "text/html", "<h1>Forbidden</h1>");
          return;
        }
      if (self->family == KIOS_FAKE_KOBO_GRIMMORY && self->mode == KIOS_FAKE_KOBO_KOBO_SWITCH_OFF)
        {
          kios_fake_response_set_text (response, 500, "application/json",
                                       "{\"message\":\"An unexpected error occurred\"}");
          return;
        }
      if (self->sync_budget == 0)
        {
          kios_fake_response_set_text (response, 503, "text/plain", "Service Unavailable");
          return;
        }
      if (self->sync_budget > 0)
        self->sync_budget--;
      if (cw)
        sync_per_account (self, response);
      else
        sync_per_token (self, kios_fake_request_get_header (request, "x-kobo-synctoken"), response);
      return;
    }
  if (n == 4 && g_str_equal (parts[0], "v1") && g_str_equal (parts[1], "library") && g_str_equal (parts[3], "state"))
    {
      handle_state (self, request, parts[2], response);
      return;
    }
  if (g_str_equal (request->method, "GET") && n == 4 && g_str_equal (parts[0], "v1") && g_str_equal (parts[1], "library") && g_str_equal (parts[3], "metadata"))
    {
      Book                   *book = find_book (self, parts[2]);
      g_autoptr (JsonBuilder) b = json_builder_new ();

      if (book == NULL || book->removed)
        {
          if (cw)
            kios_fake_response_set_text (response, 200, "application/json", "{}");
          else if (self->family == KIOS_FAKE_KOBO_GRIMMORY)
            kios_fake_response_set_text (response, 404, "application/json", "{}");
          else
            kios_fake_response_set_text (response, 200, "application/json", "[]");
          return;
        }
      json_builder_begin_array (b);
      build_metadata (self, b, book);
      json_builder_end_array (b);
      answer_builder (response, 200, b);
      return;
    }

  /* Downloads. */
  if (g_str_equal (request->method, "GET") && cw && n == 3 && g_str_equal (parts[0], "download"))
    {
      Book *book = NULL;

      if (self->mode == KIOS_FAKE_KOBO_NO_PERMISSION)
        {
          kios_fake_response_set_text (response, 403, "text/html", "<h1>Forbidden</h1>");
          return;
        }
      for (guint i = 0; i < self->books->len; i++)
        if (((Book *) self->books->pdata[i])->calibre_id == atoi (parts[1]))
          book = self->books->pdata[i];
      if (book != NULL && !g_str_equal (parts[2], g_str_equal (book->format, "KEPUB") ? "kepub" : "epub"))
        book = NULL;
      {
        handle_download (self, book, response);
        return;
      }
    }
  if (g_str_equal (request->method, "GET") && self->family == KIOS_FAKE_KOBO_GRIMMORY && n == 4 && g_str_equal (parts[0], "v1") && g_str_equal (parts[1], "books") && g_str_equal (parts[3], "download"))
    {
      handle_download (self, find_book (self, parts[2]), response);
      return;
    }
  if (g_str_equal (request->method, "GET") && self->family == KIOS_FAKE_KOBO_KOMGA && n == 5 && g_str_equal (parts[0], "v1") && g_str_equal (parts[1], "books") && g_str_equal (parts[3], "file") && g_str_equal (parts[4], "epub") && query != NULL && strstr (query, "convert_kepub=") != NULL)
    {
      handle_download (self, find_book (self, parts[2]), response);
      return;
    }

  /* Covers. */
  if (g_str_equal (request->method, "GET") && g_str_has_suffix (rest, "/false/image.jpg"))
    {
      const char *cover = NULL;
      Book       *book;

      if (cw && n == 5)
        cover = parts[0];
      else if (!cw && n == 8 && g_str_equal (parts[0], "v1") && g_str_equal (parts[1], "books") && g_str_equal (parts[3], "thumbnail"))
        cover = parts[2];
      book = cover != NULL ? find_book_by_cover (self, cover) : NULL;
      if (book != NULL)
        {
          static const guchar jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xff, 0xd9 };

          response->status = 200;
          response->body = g_bytes_new_static (jpeg, sizeof jpeg);
          kios_fake_response_add_header (response, "Content-Type", "image/jpeg");
          return;
        }
      kios_fake_response_set_text (response, 404, "text/plain", "Not Found");
      return;
    }

  catch_all (self, response);
}

/* ------------------------------------------------------------------------ */
/* Public API.                                                              */

KiosFakeKobo *
kios_fake_kobo_new (KiosFakeKoboFamily family)
{
  KiosFakeKobo *self = g_new0 (KiosFakeKobo, 1);

  self->family = family;
  g_mutex_init (&self->lock);
  self->page_size = 100;
  self->sync_budget = -1;
  self->books = g_ptr_array_new_with_free_func ((GDestroyNotify) book_free);
  self->states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) state_free);
  self->delivered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  switch (family)
    {
    case KIOS_FAKE_KOBO_GRIMMORY:
      self->token = g_strdup ("0b6a3d1e-5f2c-4a7b-9c8d-1e2f3a4b5c6d");
      break;
    case KIOS_FAKE_KOBO_KOMGA:
      self->token = g_strdup ("k0mgaApiKey9f8e7d6c5b4a3");
      break;
    case KIOS_FAKE_KOBO_CALIBRE_WEB:
    case KIOS_FAKE_KOBO_CWA:
    default:
      self->token = g_strdup ("5f0c2e8a9b1d4c7e8f6a3b2c1d0e9f8a");
      break;
    }
  self->server = kios_fake_server_new (handle, self);
  return self;
}

void
kios_fake_kobo_free (KiosFakeKobo *self)
{
  if (self == NULL)
    return;
  /* Stop the server first: its workers use everything below. */
  kios_fake_server_free (self->server);
  g_ptr_array_unref (self->books);
  g_hash_table_unref (self->states);
  g_hash_table_unref (self->delivered);
  g_ptr_array_unref (self->snapshots);
  g_free (self->token);
  g_free (self->last_put);
  g_mutex_clear (&self->lock);
  g_free (self);
}

KiosFakeServer *
kios_fake_kobo_get_server (KiosFakeKobo *self)
{
  return self->server;
}

const char *
kios_fake_kobo_get_token (KiosFakeKobo *self)
{
  return self->token;
}

char *
kios_fake_kobo_get_base_url (KiosFakeKobo *self)
{
  return g_strdup_printf ("%s%s%s", kios_fake_server_get_url (self->server), prefix (self), self->token);
}

void
kios_fake_kobo_set_mode (KiosFakeKobo    *self,
                         KiosFakeKoboMode mode)
{
  g_mutex_lock (&self->lock);
  self->mode = mode;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_set_page_size (KiosFakeKobo *self,
                              guint         page_size)
{
  g_mutex_lock (&self->lock);
  self->page_size = MAX (page_size, 1);
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_add_book (KiosFakeKobo *self,
                         const char   *id,
                         const char   *title,
                         const char   *author,
                         const char   *format,
                         const char   *epub_path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *contents = NULL;
  gsize              len = 0;
  Book              *b = g_new0 (Book, 1);
  Book              *same = NULL;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->books->len && same == NULL; i++)
    if (g_strcmp0 (((Book *) self->books->pdata[i])->epub_path, epub_path) == 0)
      same = self->books->pdata[i];
  g_mutex_unlock (&self->lock);

  b->id = g_strdup (id);
  b->title = g_strdup (title);
  b->author = g_strdup (author);
  b->format = g_strdup (format != NULL ? format : "EPUB3");
  b->epub_path = g_strdup (epub_path);
  if (same != NULL)
    {
      /* The same file again (big catalogs): share what was read. */
      b->file = g_bytes_ref (same->file);
      b->spine = g_ptr_array_ref (same->spine);
      b->sizes = g_hash_table_ref (same->sizes);
    }
  else
    {
      g_autoptr (KiosEpub) epub = kios_epub_open (epub_path, &error);

      g_assert_no_error (error);
      g_file_get_contents (epub_path, &contents, &len, &error);
      g_assert_no_error (error);
      b->file = g_bytes_new_take (g_steal_pointer (&contents), len);
      b->spine = g_ptr_array_new_with_free_func (g_free);
      b->sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < kios_epub_get_n_spine_items (epub); i++)
        {
          const KiosSpineItem *item = kios_epub_get_spine_item (epub, i);
          g_autoptr (GBytes)   member = kios_epub_read_member (epub, item->href, 64 * 1024 * 1024, NULL);

          g_ptr_array_add (b->spine, g_strdup (item->href));
          g_hash_table_insert (b->sizes, g_strdup (item->href),
                               GSIZE_TO_POINTER (member != NULL ? g_bytes_get_size (member) : 0));
        }
    }

  g_mutex_lock (&self->lock);
  b->calibre_id = (int) self->books->len + 1;
  if (self->family == KIOS_FAKE_KOBO_GRIMMORY)
    b->cover_id = g_strdup_printf ("BL-COVER%05d", b->calibre_id);
  else if (self->family == KIOS_FAKE_KOBO_CWA)
    b->cover_id = g_strdup_printf ("%s-1700000000", id);
  else
    b->cover_id = g_strdup_printf ("%s", id);
  g_ptr_array_add (self->books, b);
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_change_book (KiosFakeKobo *self,
                            const char   *id,
                            const char   *title)
{
  Book *b;

  g_mutex_lock (&self->lock);
  b = find_book (self, id);
  g_assert_nonnull (b);
  g_free (b->title);
  b->title = g_strdup (title);
  b->revision++;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_remove_book (KiosFakeKobo *self,
                            const char   *id)
{
  Book *b;

  g_mutex_lock (&self->lock);
  b = find_book (self, id);
  g_assert_nonnull (b);
  b->removed = TRUE;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_set_state (KiosFakeKobo *self,
                          const char   *id,
                          const char   *source,
                          const char   *value,
                          double        content_percent,
                          double        progress_percent,
                          gint64        modified_ms)
{
  State *s;

  g_mutex_lock (&self->lock);
  s = ensure_state (self, id);
  store_bookmark (s, source, value, content_percent, progress_percent,
                  modified_ms > 0 ? modified_ms : g_get_real_time () / 1000);
  g_free (s->status);
  s->status = g_strdup ("Reading");
  g_mutex_unlock (&self->lock);
}

KiosKoboReadingState *
kios_fake_kobo_get_state (KiosFakeKobo *self,
                          const char   *id)
{
  KiosKoboReadingState *out = NULL;
  State                *s;

  g_mutex_lock (&self->lock);
  s = g_hash_table_lookup (self->states, id);
  if (s != NULL && s->has_bookmark)
    {
      out = kios_kobo_reading_state_new ();
      out->entitlement_id = g_strdup (id);
      out->source = g_strdup (s->source);
      out->value = g_strdup (s->value);
      out->content_percent = s->cspp;
      out->progress_percent = s->pp;
      out->bookmark_modified = s->modified_ms;
      out->status = g_strdup (s->status);
    }
  g_mutex_unlock (&self->lock);
  return out;
}

gboolean
kios_fake_kobo_state_pending (KiosFakeKobo *self,
                              const char   *id)
{
  State   *s;
  gboolean pending;

  g_mutex_lock (&self->lock);
  s = g_hash_table_lookup (self->states, id);
  pending = s != NULL && s->has_bookmark && !s->sent;
  g_mutex_unlock (&self->lock);
  return pending;
}

guint
kios_fake_kobo_count_requests (KiosFakeKobo *self,
                               const char   *method,
                               const char   *substring)
{
  guint count = 0;
  guint n = kios_fake_server_get_n_requests (self->server);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) r = kios_fake_server_get_request (self->server, i);

      if (r == NULL)
        continue;
      if ((method == NULL || g_str_equal (r->method, method)) && (substring == NULL || strstr (r->path, substring) != NULL))
        count++;
    }
  return count;
}

char *
kios_fake_kobo_find_forbidden_header (KiosFakeKobo *self)
{
  guint n = kios_fake_server_get_n_requests (self->server);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) r = kios_fake_server_get_request (self->server, i);

      for (guint j = 0; r != NULL && j < r->headers->len; j++)
        {
          const char *h = r->headers->pdata[j];

          if (g_ascii_strncasecmp (h, "Authorization:", 14) == 0 || (g_ascii_strncasecmp (h, "x-kobo-", 7) == 0 && g_ascii_strncasecmp (h, "x-kobo-synctoken:", 17) != 0))
            return g_strndup (h, strcspn (h, ":"));
        }
    }
  return NULL;
}

char *
kios_fake_kobo_get_last_put_body (KiosFakeKobo *self)
{
  char *out;

  g_mutex_lock (&self->lock);
  out = g_strdup (self->last_put);
  g_mutex_unlock (&self->lock);
  return out;
}

void
kios_fake_kobo_fail_sync_after (KiosFakeKobo *self,
                                int           n)
{
  g_mutex_lock (&self->lock);
  self->sync_budget = n;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_serve (KiosFakeKobo          *self,
                      const KiosFakeRequest *request,
                      KiosFakeResponse      *response)
{
  handle (self->server, request, response, self);
}

void
kios_fake_kobo_set_hang (KiosFakeKobo *self,
                         gboolean      hang)
{
  g_mutex_lock (&self->lock);
  self->hang = hang;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kobo_add_generated (KiosFakeKobo *self,
                              guint         n,
                              const char   *epub_path)
{
  for (guint i = 0; i < n; i++)
    {
      /* Entitlement ids shaped as the servers' UUIDs; one file shared. */
      g_autofree char *id = g_strdup_printf ("6b1c0000-0000-4000-8000-%012u", i);
      g_autofree char *title = g_strdup_printf ("Generated Book %05u", i);
      g_autofree char *author = g_strdup_printf ("Author %03u", i % 997);

      kios_fake_kobo_add_book (self, id, title, author, "EPUB3", epub_path);
    }
}
