/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-fake-kosync"

#include "config.h"

#include "kios-fake-kosync.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define VND_ACCEPT_PREFIX "application/vnd.koreader.v"
#define SPA_PAGE "<!doctype html><html><head><title>Library</title></head>" \
                 "<body><app-root></app-root></body></html>"
#define LOGIN_PAGE "<!DOCTYPE html><html><head><title>Calibre-Web | Login</title></head>" \
                   "<body><form method=\"post\">Username Password</form></body></html>"

typedef struct
{
  char  *progress; /* NULL when not stored (Stump drops it at 100 %) */
  double percentage;
  char  *device;
  char  *device_id;
  gint64 timestamp; /* unix seconds */
  /* Kavita keeps a page and a scroll id instead of the xpointer. */
  int   page;
  char *scroll_id;
} Record;

struct _KiosFakeKosync
{
  KiosFakeKosyncFamily family;
  KiosFakeServer      *server;
  GMutex               lock;
  gboolean             enabled;
  GHashTable          *users;    /* user (or key) → password */
  GHashTable          *books;    /* hash → GINT (copies << 16 | n_chapters) */
  GHashTable          *progress; /* hash → Record */
  char                *first_user;
  guint                delay_ms;
  gboolean             hang;
  guint                forced_status;
};

static void
record_free (gpointer data)
{
  Record *r = data;

  g_free (r->progress);
  g_free (r->device);
  g_free (r->device_id);
  g_free (r->scroll_id);
  g_free (r);
}

static const char *
mount_of (KiosFakeKosyncFamily family)
{
  switch (family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
      return "";
    case KIOS_FAKE_KOSYNC_CWA:
      return "/kosync";
    case KIOS_FAKE_KOSYNC_GRIMMORY:
    case KIOS_FAKE_KOSYNC_BOOKLORE:
    case KIOS_FAKE_KOSYNC_KAVITA:
      return "/api/koreader";
    case KIOS_FAKE_KOSYNC_KOMGA:
    case KIOS_FAKE_KOSYNC_STUMP:
      return "/koreader";
    default:
      g_assert_not_reached ();
    }
}

static gboolean
key_in_path (KiosFakeKosync *self)
{
  return self->family == KIOS_FAKE_KOSYNC_KAVITA || self->family == KIOS_FAKE_KOSYNC_STUMP;
}

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

static char *
iso_now (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static void
reply_json (KiosFakeResponse *response,
            guint             status,
            JsonBuilder      *builder)
{
  g_autoptr (JsonNode)      root = json_builder_get_root (builder);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char          *text = NULL;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  kios_fake_response_set_text (response, status, "application/json", text);
}

static void
reply_error (KiosFakeKosync   *self,
             KiosFakeResponse *response,
             guint             status,
             int               code,
             const char       *message,
             const char       *path)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char        *ts = iso_now ();

  json_builder_begin_object (b);
  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
      json_builder_set_member_name (b, "code");
      json_builder_add_int_value (b, code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      break;
    case KIOS_FAKE_KOSYNC_CWA:
      json_builder_set_member_name (b, "error");
      json_builder_add_int_value (b, code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      break;
    case KIOS_FAKE_KOSYNC_GRIMMORY:
    case KIOS_FAKE_KOSYNC_BOOKLORE:
    case KIOS_FAKE_KOSYNC_STUMP:
      json_builder_set_member_name (b, "status");
      json_builder_add_int_value (b, status);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      if (self->family != KIOS_FAKE_KOSYNC_STUMP)
        {
          json_builder_set_member_name (b, "timestamp");
          json_builder_add_string_value (b, ts);
        }
      break;
    case KIOS_FAKE_KOSYNC_KOMGA:
    case KIOS_FAKE_KOSYNC_KAVITA:
    default:
      /* Spring's default error body. */
      json_builder_set_member_name (b, "timestamp");
      json_builder_add_string_value (b, ts);
      json_builder_set_member_name (b, "status");
      json_builder_add_int_value (b, status);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, status == 200 ? "OK" : "Error");
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, path);
      break;
    }
  json_builder_end_object (b);
  reply_json (response, status, b);
}

/* `^application/vnd.koreader.v(%d+)(.*)+json$` as Lua reads it: the `+`
 * after the capture is a literal plus. Returns 0 if it matches with major
 * version 1, else the official server's 412 code. */
static int
check_accept (const char *accept)
{
  const char *p;
  const char *digits;

  if (accept == NULL)
    return 100;
  if (!g_str_has_prefix (accept, VND_ACCEPT_PREFIX))
    return 101;
  p = digits = accept + strlen (VND_ACCEPT_PREFIX);
  while (g_ascii_isdigit (*p))
    p++;
  if (p == digits || !g_str_has_suffix (p, "+json"))
    return 101;
  if (g_ascii_strtoll (digits, NULL, 10) != 1)
    return 102;
  return 0;
}

static gboolean
is_hex32 (const char *s)
{
  if (s == NULL || strlen (s) != 32)
    return FALSE;
  for (int i = 0; i < 32; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* Returns the authenticated user name, or NULL. Caller holds the lock. */
static const char *
authenticate (KiosFakeKosync        *self,
              const KiosFakeRequest *request,
              const char            *path_key,
              gboolean              *missing)
{
  const char *user = kios_fake_request_get_header (request, "x-auth-user");
  const char *key = kios_fake_request_get_header (request, "x-auth-key");
  gpointer    stored_user = NULL;
  gpointer    password = NULL;

  *missing = FALSE;
  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
      if (user == NULL || key == NULL || *key == '\0' || strchr (user, ':') != NULL)
        return NULL;
      if (!g_hash_table_lookup_extended (self->users, user, &stored_user, &password))
        return NULL;
      {
        /* Plain string equality with what registration stored (md5 hex). */
        g_autofree char *stored_key = md5_hex (password);
        return g_str_equal (stored_key, key) ? stored_user : NULL;
      }

    case KIOS_FAKE_KOSYNC_GRIMMORY:
    case KIOS_FAKE_KOSYNC_BOOKLORE:
      if (user == NULL || key == NULL)
        return NULL;
      if (!is_hex32 (key) || !g_hash_table_lookup_extended (self->users, user, &stored_user, &password))
        return NULL;
      {
        /* Hex-decoded byte comparison: case does not matter. */
        g_autofree char *stored_key = md5_hex (password);
        return g_ascii_strcasecmp (stored_key, key) == 0 ? stored_user : NULL;
      }

    case KIOS_FAKE_KOSYNC_CWA:
      {
        const char        *auth = kios_fake_request_get_header (request, "Authorization");
        g_autofree guchar *decoded = NULL;
        g_autofree char   *text = NULL;
        gsize              len = 0;
        char              *colon;
        GHashTableIter     iter;
        gpointer           k, v;

        if (auth == NULL || g_ascii_strncasecmp (auth, "Basic ", 6) != 0)
          return NULL;
        decoded = g_base64_decode (auth + 6, &len);
        text = g_strndup ((const char *) decoded, len);
        colon = strchr (text, ':');
        if (colon == NULL)
          return NULL;
        *colon = '\0';
        g_hash_table_iter_init (&iter, self->users);
        while (g_hash_table_iter_next (&iter, &k, &v))
          if (g_ascii_strcasecmp (k, text) == 0 && g_str_equal (v, colon + 1))
            return k;
        return NULL;
      }

    case KIOS_FAKE_KOSYNC_KOMGA:
      if (user == NULL)
        {
          *missing = TRUE;
          return NULL;
        }
      return g_hash_table_lookup_extended (self->users, user, &stored_user, NULL) ? stored_user : NULL;

    case KIOS_FAKE_KOSYNC_KAVITA:
    case KIOS_FAKE_KOSYNC_STUMP:
      if (path_key == NULL)
        return NULL;
      return g_hash_table_lookup_extended (self->users, path_key, &stored_user, NULL) ? stored_user : NULL;

    default:
      return NULL;
    }
}

static char *
book_key (KiosFakeKosync *self,
          const char     *hash)
{
  /* Kavita keeps upper-case hashes and upper-cases the request. */
  return self->family == KIOS_FAKE_KOSYNC_KAVITA ? g_ascii_strup (hash, -1) : g_strdup (hash);
}

static int
book_copies (KiosFakeKosync *self,
             const char     *hash)
{
  g_autofree char *key = book_key (self, hash);
  return GPOINTER_TO_INT (g_hash_table_lookup (self->books, key)) >> 16;
}

static int
book_chapters (KiosFakeKosync *self,
               const char     *hash)
{
  g_autofree char *key = book_key (self, hash);
  return GPOINTER_TO_INT (g_hash_table_lookup (self->books, key)) & 0xffff;
}

static gboolean
parse_doc_fragment (const char *progress,
                    int        *index)
{
  /* Komga: `DocFragment\[(\d+)]` anywhere, case-insensitive. */
  for (const char *p = progress; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, "DocFragment[", 12) == 0 && g_ascii_isdigit (p[12]))
      {
        *index = (int) g_ascii_strtoll (p + 12, NULL, 10);
        return TRUE;
      }
  return FALSE;
}

static gboolean
is_number (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* Kavita's later KoreaderHelper: xpointer → page + scroll id. */
static void
kavita_store (Record     *record,
              const char *progress)
{
  g_auto (GStrv) segments = NULL;
  guint          n;

  if (g_str_has_prefix (progress, "#_doc_fragment"))
    {
      const char *p = progress + strlen ("#_doc_fragment");
      while (*p == '_')
        p++;
      record->page = (int) g_ascii_strtoll (p, NULL, 10) - 1;
      g_clear_pointer (&record->scroll_id, g_free);
      return;
    }
  if (is_number (progress))
    {
      record->page = (int) g_ascii_strtoll (progress, NULL, 10) - 1;
      g_clear_pointer (&record->scroll_id, g_free);
      return;
    }

  segments = g_strsplit (progress, "/", -1);
  n = g_strv_length (segments);
  if (n < 6)
    {
      int index;
      if (n == 3 && parse_doc_fragment (segments[2], &index) && g_str_has_suffix (segments[2], ".0"))
        {
          record->page = index - 1;
          g_clear_pointer (&record->scroll_id, g_free);
        }
      return; /* everything else is silently ignored */
    }
  {
    int              index = 1;
    const char      *last_body = g_strrstr (progress, "/body/");
    g_autofree char *rest = g_strdup (last_body != NULL ? last_body + strlen ("/body/") : "");
    char            *text = strstr (rest, "/text()");

    if (text != NULL)
      *text = '\0';
    parse_doc_fragment (segments[2], &index);
    record->page = index - 1;
    g_free (record->scroll_id);
    record->scroll_id = g_str_equal (segments[5], "a") ? NULL : g_strconcat ("//body/", rest, NULL);
  }
}

/* Applies one push to the store. Caller holds the lock. Returns the stored record. */
static Record *
store_progress (KiosFakeKosync *self,
                const char     *document,
                const char     *progress,
                double          percentage,
                const char     *device,
                const char     *device_id,
                gint64          timestamp)
{
  g_autofree char *key = book_key (self, document);
  Record          *record = g_hash_table_lookup (self->progress, key);

  if (record == NULL)
    {
      record = g_new0 (Record, 1);
      g_hash_table_insert (self->progress, g_strdup (key), record);
    }

  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_KOMGA:
      {
        int index;
        g_free (record->progress);
        if (parse_doc_fragment (progress, &index))
          record->progress = g_strdup_printf ("/body/DocFragment[%d].0", index);
        else
          record->progress = g_strdup (progress);
      }
      break;
    case KIOS_FAKE_KOSYNC_KAVITA:
      kavita_store (record, progress);
      break;
    case KIOS_FAKE_KOSYNC_STUMP:
      g_free (record->progress);
      record->progress = percentage >= 1.0 ? NULL : g_strdup (progress);
      break;
    case KIOS_FAKE_KOSYNC_CWA:
      g_free (record->progress);
      record->progress = g_strdup (progress);
      /* Values above 1 are taken as a percent already; stored ×100. */
      if (percentage > 1.0)
        percentage /= 100.0;
      percentage = (percentage * 100.0) / 100.0;
      break;
    default:
      g_free (record->progress);
      record->progress = g_strdup (progress);
      break;
    }
  record->percentage = percentage;
  if (device != NULL)
    {
      g_free (record->device);
      record->device = g_strdup (device);
    }
  /* The official server keeps the previous device_id when none is sent. */
  if (device_id != NULL)
    {
      g_free (record->device_id);
      record->device_id = g_strdup (device_id);
    }
  record->timestamp = timestamp > 0 ? timestamp : g_get_real_time () / G_USEC_PER_SEC;
  return record;
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_double (JsonBuilder *b,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
handle_get_progress (KiosFakeKosync        *self,
                     const KiosFakeRequest *request,
                     KiosFakeResponse      *response,
                     const char            *document)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char        *key = book_key (self, document);
  Record                 *record = g_hash_table_lookup (self->progress, key);
  int                     copies = book_copies (self, document);

  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
      for (const char *p = document; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '_')
          {
            kios_fake_response_set_text (response, 404, "text/html",
                                         "<html><body><h1>404 Not Found</h1>nginx</body></html>");
            return;
          }
      /* fall through */
    case KIOS_FAKE_KOSYNC_CWA:
      json_builder_begin_object (b);
      if (record != NULL)
        {
          add_string (b, "document", document);
          add_double (b, "percentage", record->percentage);
          add_string (b, "progress", record->progress);
          add_string (b, "device", record->device);
          if (record->device_id != NULL)
            add_string (b, "device_id", record->device_id);
          add_int (b, "timestamp", record->timestamp);
        }
      json_builder_end_object (b);
      reply_json (response, 200, b);
      return;

    case KIOS_FAKE_KOSYNC_GRIMMORY:
    case KIOS_FAKE_KOSYNC_BOOKLORE:
      if (copies == 0)
        {
          g_autofree char *m = g_strdup_printf ("Book not found for hash %s", document);
          reply_error (self, response, 404, 0, m, request->path);
          return;
        }
      if (record == NULL)
        {
          reply_error (self, response, 404, 0, "No progress found for user and book", request->path);
          return;
        }
      json_builder_begin_object (b);
      if (self->family == KIOS_FAKE_KOSYNC_GRIMMORY)
        add_int (b, "timestamp", record->timestamp);
      add_string (b, "document", document);
      add_string (b, "progress", record->progress);
      add_double (b, "percentage", record->percentage);
      add_string (b, "device", "BookLore");
      add_string (b, "device_id", "BookLore");
      json_builder_end_object (b);
      reply_json (response, 200, b);
      return;

    case KIOS_FAKE_KOSYNC_KOMGA:
      if (copies == 0)
        {
          reply_error (self, response, 404, 0, "Book not found", request->path);
          return;
        }
      if (copies > 1)
        {
          reply_error (self, response, 409, 0, "More than 1 book found with the same hash", request->path);
          return;
        }
      if (record == NULL)
        {
          /* A ResponseStatusException carrying 200: an error body without percentage. */
          reply_error (self, response, 200, 0, "No progress", request->path);
          return;
        }
      json_builder_begin_object (b);
      add_string (b, "document", document);
      add_double (b, "percentage", record->percentage);
      add_string (b, "progress", record->progress);
      add_string (b, "device", record->device);
      add_string (b, "device_id", record->device_id);
      json_builder_end_object (b);
      reply_json (response, 200, b);
      return;

    case KIOS_FAKE_KOSYNC_KAVITA:
      if (copies == 0)
        {
          kios_fake_response_set_text (response, 400, "text/plain; charset=utf-8", "file-missing");
          return;
        }
      json_builder_begin_object (b);
      add_string (b, "document", document);
      add_string (b, "device", "Kavita");
      add_string (b, "device_id", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08");
      if (record == NULL)
        {
          /* Never read: a position of "0" at 0 % with timestamp 0. */
          add_double (b, "percentage", 0);
          add_string (b, "progress", "0");
          add_int (b, "timestamp", 0);
        }
      else
        {
          int              n = MAX (book_chapters (self, document), 1);
          g_autofree char *xp = NULL;

          if (record->scroll_id != NULL)
            xp = g_strdup_printf ("/body/DocFragment[%d]/body/%s", record->page + 1,
                                  record->scroll_id + strlen ("//body/"));
          else
            xp = g_strdup_printf ("/body/DocFragment[%d]/body/p[1]", record->page + 1);
          add_double (b, "percentage", (double) record->page / n);
          add_string (b, "progress", xp);
          add_int (b, "timestamp", record->timestamp);
        }
      json_builder_end_object (b);
      reply_json (response, 200, b);
      return;

    case KIOS_FAKE_KOSYNC_STUMP:
      json_builder_begin_object (b);
      add_string (b, "document", document);
      if (copies > 0 && record != NULL)
        {
          if (record->progress != NULL)
            add_string (b, "progress", record->progress);
          add_double (b, "percentage", record->percentage);
          add_string (b, "device", record->device);
          add_string (b, "device_id", record->device_id);
          add_int (b, "timestamp", record->timestamp * 1000);
        }
      json_builder_end_object (b);
      reply_json (response, 200, b);
      return;

    default:
      g_assert_not_reached ();
    }
}

static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
member_number (JsonObject *o,
               const char *name,
               double     *out)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  GType     t;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return FALSE;
  t = json_node_get_value_type (n);
  if (t == G_TYPE_DOUBLE || t == G_TYPE_INT64)
    {
      *out = json_node_get_double (n);
      return TRUE;
    }
  if (t == G_TYPE_STRING)
    {
      /* Lua's tonumber () accepts numeric strings. */
      char *end = NULL;
      *out = g_ascii_strtod (json_node_get_string (n), &end);
      return end != NULL && *end == '\0' && end != json_node_get_string (n);
    }
  return FALSE;
}

static void
handle_put_progress (KiosFakeKosync        *self,
                     const KiosFakeRequest *request,
                     KiosFakeResponse      *response)
{
  g_autoptr (JsonParser)  parser = json_parser_new ();
  g_autoptr (JsonBuilder) b = json_builder_new ();
  JsonObject             *o = NULL;
  const char             *document;
  const char             *progress;
  const char             *device;
  const char             *device_id;
  double                  percentage = 0;
  gboolean                has_percentage;
  gsize                   len = 0;
  const char             *data = g_bytes_get_data (request->body, &len);
  Record                 *record;

  if (len > 0 && json_parser_load_from_data (parser, data, len, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    o = json_node_get_object (json_parser_get_root (parser));

  if (o == NULL)
    {
      switch (self->family)
        {
        case KIOS_FAKE_KOSYNC_OFFICIAL:
          reply_error (self, response, 400, 103, "Invalid request body", request->path);
          break;
        case KIOS_FAKE_KOSYNC_CWA:
          reply_error (self, response, 400, 2003, "Invalid request", request->path);
          break;
        default:
          reply_error (self, response, 400, 0, "Request body is missing or malformed.", request->path);
          break;
        }
      return;
    }

  document = member_string (o, "document");
  progress = member_string (o, "progress");
  device = member_string (o, "device");
  device_id = member_string (o, "device_id");
  has_percentage = member_number (o, "percentage", &percentage);

  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
      if (document == NULL || *document == '\0' || strchr (document, ':') != NULL)
        {
          reply_error (self, response, 403, 2004, "Field 'document' not provided.", request->path);
          return;
        }
      if (!has_percentage || progress == NULL || device == NULL)
        {
          reply_error (self, response, 403, 2003, "Invalid request", request->path);
          return;
        }
      break;
    case KIOS_FAKE_KOSYNC_CWA:
      if (document == NULL || *document == '\0' || strlen (document) > 255 || strchr (document, ':') != NULL)
        {
          reply_error (self, response, 400, 2004, "Invalid document field", request->path);
          return;
        }
      if (!has_percentage || progress == NULL || strlen (progress) > 255 || device == NULL || strlen (device) > 100 || (device_id != NULL && strlen (device_id) > 100))
        {
          reply_error (self, response, 400, 2003, "Invalid request", request->path);
          return;
        }
      break;
    case KIOS_FAKE_KOSYNC_GRIMMORY:
    case KIOS_FAKE_KOSYNC_BOOKLORE:
      if (document == NULL || book_copies (self, document) == 0)
        {
          g_autofree char *m = g_strdup_printf ("Book not found for hash %s", document ? document : "");
          reply_error (self, response, 404, 0, m, request->path);
          return;
        }
      break;
    case KIOS_FAKE_KOSYNC_KOMGA:
      if (document == NULL || progress == NULL || !has_percentage || device == NULL || device_id == NULL)
        {
          reply_error (self, response, 400, 0, "Bad Request", request->path);
          return;
        }
      if (book_copies (self, document) == 0)
        {
          reply_error (self, response, 404, 0, "Book not found", request->path);
          return;
        }
      if (book_copies (self, document) > 1)
        {
          reply_error (self, response, 409, 0, "More than 1 book found with the same hash", request->path);
          return;
        }
      {
        int index;
        if (!parse_doc_fragment (progress, &index) && !is_number (progress))
          {
            reply_error (self, response, 400, 0, "Could not get Epub resource index from progress", request->path);
            return;
          }
      }
      break;
    case KIOS_FAKE_KOSYNC_KAVITA:
      if (document == NULL || book_copies (self, document) == 0)
        {
          kios_fake_response_set_text (response, 400, "text/plain; charset=utf-8", "file-missing");
          return;
        }
      if (progress == NULL)
        {
          kios_fake_response_set_text (response, 500, "text/plain", "Internal Server Error");
          return;
        }
      break;
    case KIOS_FAKE_KOSYNC_STUMP:
      if (document == NULL || progress == NULL || !has_percentage || device == NULL || device_id == NULL)
        {
          reply_error (self, response, 400, 0, "Missing field", request->path);
          return;
        }
      if (percentage < 0 || percentage > 1)
        {
          reply_error (self, response, 400, 0, "Invalid percentage", request->path);
          return;
        }
      if (book_copies (self, document) == 0)
        {
          reply_error (self, response, 404, 0, "Book not found", request->path);
          return;
        }
      break;
    default:
      break;
    }

  record = store_progress (self, document, progress != NULL ? progress : "", percentage,
                           device, device_id, 0);

  json_builder_begin_object (b);
  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
    case KIOS_FAKE_KOSYNC_CWA:
      add_string (b, "document", document);
      add_int (b, "timestamp", record->timestamp);
      break;
    case KIOS_FAKE_KOSYNC_GRIMMORY:
    case KIOS_FAKE_KOSYNC_BOOKLORE:
      add_string (b, "status", "progress updated");
      break;
    case KIOS_FAKE_KOSYNC_KAVITA:
      {
        g_autofree char *iso = iso_now ();
        add_string (b, "document", document);
        add_string (b, "timestamp", iso);
      }
      break;
    case KIOS_FAKE_KOSYNC_STUMP:
      add_string (b, "document", document);
      add_int (b, "timestamp", record->timestamp * 1000);
      break;
    case KIOS_FAKE_KOSYNC_KOMGA:
    default:
      break;
    }
  json_builder_end_object (b);

  if (self->family == KIOS_FAKE_KOSYNC_KOMGA)
    response->status = 200; /* Kotlin Unit: an empty body */
  else
    reply_json (response, 200, b);
}

static void
handle_outside_mount (KiosFakeKosync        *self,
                      const KiosFakeRequest *request,
                      KiosFakeResponse      *response,
                      const char            *path)
{
  switch (self->family)
    {
    case KIOS_FAKE_KOSYNC_OFFICIAL:
      kios_fake_response_set_text (response, 404, "text/html",
                                   "<html><body><h1>404 Not Found</h1>nginx</body></html>");
      return;
    case KIOS_FAKE_KOSYNC_CWA:
      if (g_str_equal (path, "/login"))
        kios_fake_response_set_text (response, 200, "text/html; charset=utf-8", LOGIN_PAGE);
      else
        {
          response->status = 302;
          kios_fake_response_add_header (response, "Location", "/login");
        }
      return;
    default:
      /* Single-page apps answer every unknown GET with their index page. */
      if (g_str_equal (request->method, "GET"))
        kios_fake_response_set_text (response, 200, "text/html; charset=utf-8", SPA_PAGE);
      else
        kios_fake_response_set_text (response, 404, "text/plain", "Not Found");
      return;
    }
}

static void
handle (KiosFakeServer        *server,
        const KiosFakeRequest *request,
        KiosFakeResponse      *response,
        gpointer               user_data)
{
  KiosFakeKosync  *self = user_data;
  const char      *mount = mount_of (self->family);
  g_autofree char *path = g_strndup (request->path, strcspn (request->path, "?#"));
  g_autofree char *path_key = NULL;
  const char      *route;
  const char      *user;
  gboolean         missing = FALSE;

  g_mutex_lock (&self->lock);

  response->delay_ms = self->delay_ms;
  response->hang = self->hang;
  if (self->forced_status != 0)
    {
      kios_fake_response_set_text (response, self->forced_status, "text/plain", "forced failure");
      goto out;
    }

  if (!g_str_has_prefix (path, mount) || (path[strlen (mount)] != '/' && path[strlen (mount)] != '\0'))
    {
      handle_outside_mount (self, request, response, path);
      goto out;
    }
  route = path + strlen (mount);

  if (key_in_path (self))
    {
      const char *slash;

      if (*route == '/')
        route++;
      slash = strchr (route, '/');
      path_key = g_strndup (route, slash != NULL ? (gsize) (slash - route) : strlen (route));
      route = slash != NULL ? slash : "";
      if (self->family == KIOS_FAKE_KOSYNC_STUMP && !self->enabled)
        {
          /* Without ENABLE_KOREADER_SYNC the routes do not exist. */
          reply_error (self, response, 404, 0, "Not found", request->path);
          goto out;
        }
    }

  /* The official server tolerates exactly one trailing slash (gin's `/???$`). */
  if (self->family == KIOS_FAKE_KOSYNC_OFFICIAL && g_str_has_suffix (route, "/") && strlen (route) > 1)
    path[strlen (path) - 1] = '\0';

  if (self->family == KIOS_FAKE_KOSYNC_OFFICIAL)
    {
      int code = check_accept (kios_fake_request_get_header (request, "Accept"));
      if (code != 0)
        {
          reply_error (self, response, 412, code, "Invalid Accept header format.", request->path);
          goto out;
        }
    }

  if (self->family == KIOS_FAKE_KOSYNC_CWA && !self->enabled)
    {
      reply_error (self, response, 503, 1000, "KOReader sync is disabled", request->path);
      goto out;
    }

  user = authenticate (self, request, path_key, &missing);

  if (g_str_equal (route, "/users/auth") && g_str_equal (request->method, "GET"))
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();

      if (user == NULL)
        {
          if (self->family == KIOS_FAKE_KOSYNC_GRIMMORY || self->family == KIOS_FAKE_KOSYNC_BOOKLORE || self->family == KIOS_FAKE_KOSYNC_KAVITA)
            response->status = 401; /* sendError: no kosync JSON */
          else if (self->family == KIOS_FAKE_KOSYNC_KOMGA)
            reply_error (self, response, missing ? 403 : 401, 0, missing ? "Forbidden" : "Unauthorized", request->path);
          else
            reply_error (self, response, 401, 2001, "Unauthorized", request->path);
          goto out;
        }
      json_builder_begin_object (b);
      if (self->family == KIOS_FAKE_KOSYNC_GRIMMORY || self->family == KIOS_FAKE_KOSYNC_BOOKLORE)
        add_string (b, "username", user);
      else if (self->family == KIOS_FAKE_KOSYNC_KAVITA)
        add_string (b, "username", "kavita-reader");
      else
        add_string (b, "authorized", "OK");
      json_builder_end_object (b);
      reply_json (response, 200, b);
      goto out;
    }

  if (g_str_has_prefix (route, "/syncs/progress"))
    {
      const char *rest = route + strlen ("/syncs/progress");

      if (user == NULL)
        {
          if (self->family == KIOS_FAKE_KOSYNC_CWA)
            reply_error (self, response, 400, 2001, "Unauthorized", request->path);
          else if (self->family == KIOS_FAKE_KOSYNC_GRIMMORY || self->family == KIOS_FAKE_KOSYNC_BOOKLORE || self->family == KIOS_FAKE_KOSYNC_KAVITA)
            response->status = 401;
          else if (self->family == KIOS_FAKE_KOSYNC_KOMGA)
            reply_error (self, response, missing ? 403 : 401, 0, "Unauthorized", request->path);
          else
            reply_error (self, response, 401, 2001, "Unauthorized", request->path);
          goto out;
        }
      if ((self->family == KIOS_FAKE_KOSYNC_GRIMMORY || self->family == KIOS_FAKE_KOSYNC_BOOKLORE) && !self->enabled)
        {
          reply_error (self, response, 401, 0, "Sync is disabled for this user", request->path);
          goto out;
        }
      if (*rest == '\0' && g_str_equal (request->method, "PUT"))
        {
          handle_put_progress (self, request, response);
          goto out;
        }
      if (*rest == '/' && rest[1] != '\0' && strchr (rest + 1, '/') == NULL && g_str_equal (request->method, "GET"))
        {
          handle_get_progress (self, request, response, rest + 1);
          goto out;
        }
    }

  if (g_str_equal (route, "/users/create") && g_str_equal (request->method, "POST"))
    {
      if (self->family == KIOS_FAKE_KOSYNC_OFFICIAL)
        reply_error (self, response, 402, 2005, "User registration is disabled.", request->path);
      else
        reply_error (self, response, 403, 0, "User registration is disabled", request->path);
      goto out;
    }

  if (self->family == KIOS_FAKE_KOSYNC_OFFICIAL && g_str_equal (route, "/healthcheck"))
    {
      kios_fake_response_set_text (response, 200, "application/json", "{\"state\":\"OK\"}");
      goto out;
    }

  /* Unknown routes under the mount. */
  if (self->family == KIOS_FAKE_KOSYNC_OFFICIAL)
    kios_fake_response_set_text (response, 404, "text/html",
                                 "<html><body><h1>404 Not Found</h1>nginx</body></html>");
  else
    reply_error (self, response, 404, 0, "Not Found", request->path);

out:
  g_mutex_unlock (&self->lock);
}

KiosFakeKosync *
kios_fake_kosync_new (KiosFakeKosyncFamily family)
{
  KiosFakeKosync *self = g_new0 (KiosFakeKosync, 1);

  g_mutex_init (&self->lock);
  self->family = family;
  self->enabled = TRUE;
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->books = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->progress = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, record_free);
  self->server = kios_fake_server_new (handle, self);
  return self;
}

void
kios_fake_kosync_free (KiosFakeKosync *self)
{
  if (self == NULL)
    return;
  /* Stop the server first: its threads use the tables below. */
  kios_fake_server_free (self->server);
  g_hash_table_unref (self->users);
  g_hash_table_unref (self->books);
  g_hash_table_unref (self->progress);
  g_free (self->first_user);
  g_mutex_clear (&self->lock);
  g_free (self);
}

KiosFakeServer *
kios_fake_kosync_get_server (KiosFakeKosync *self)
{
  return self->server;
}

const char *
kios_fake_kosync_get_family_name (KiosFakeKosync *self)
{
  static const char *const names[] = {
    "official", "cwa", "grimmory", "booklore", "komga", "kavita", "stump"
  };
  return names[self->family];
}

const char *
kios_fake_kosync_get_host_url (KiosFakeKosync *self)
{
  return kios_fake_server_get_url (self->server);
}

char *
kios_fake_kosync_get_base_url (KiosFakeKosync *self)
{
  g_autofree char *first = NULL;

  g_mutex_lock (&self->lock);
  first = g_strdup (self->first_user);
  g_mutex_unlock (&self->lock);

  if (key_in_path (self))
    return g_strdup_printf ("%s%s/%s", kios_fake_server_get_url (self->server),
                            mount_of (self->family), first != NULL ? first : "no-key");
  return g_strdup_printf ("%s%s", kios_fake_server_get_url (self->server), mount_of (self->family));
}

void
kios_fake_kosync_add_user (KiosFakeKosync *self,
                           const char     *user,
                           const char     *password)
{
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->users, g_strdup (user), g_strdup (password != NULL ? password : ""));
  if (self->first_user == NULL)
    self->first_user = g_strdup (user);
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kosync_set_enabled (KiosFakeKosync *self,
                              gboolean        enabled)
{
  g_mutex_lock (&self->lock);
  self->enabled = enabled;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kosync_add_book (KiosFakeKosync *self,
                           const char     *hash,
                           int             n_chapters)
{
  g_autofree char *key = book_key (self, hash);
  int              value;

  g_mutex_lock (&self->lock);
  value = GPOINTER_TO_INT (g_hash_table_lookup (self->books, key));
  value = (((value >> 16) + 1) << 16) | (n_chapters & 0xffff);
  g_hash_table_replace (self->books, g_steal_pointer (&key), GINT_TO_POINTER (value));
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kosync_set_progress (KiosFakeKosync *self,
                               const char     *hash,
                               const char     *progress,
                               double          percentage,
                               const char     *device,
                               const char     *device_id,
                               gint64          timestamp)
{
  g_mutex_lock (&self->lock);
  store_progress (self, hash, progress, percentage, device, device_id, timestamp);
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kosync_set_delay (KiosFakeKosync *self,
                            guint           delay_ms,
                            gboolean        hang)
{
  g_mutex_lock (&self->lock);
  self->delay_ms = delay_ms;
  self->hang = hang;
  g_mutex_unlock (&self->lock);
}

void
kios_fake_kosync_set_forced_status (KiosFakeKosync *self,
                                    guint           status)
{
  g_mutex_lock (&self->lock);
  self->forced_status = status;
  g_mutex_unlock (&self->lock);
}

guint
kios_fake_kosync_count_requests (KiosFakeKosync *self,
                                 const char     *method,
                                 const char     *suffix)
{
  guint n = kios_fake_server_get_n_requests (self->server);
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KiosFakeRequest) r = kios_fake_server_get_request (self->server, i);
      g_autofree char            *path = NULL;

      if (r == NULL)
        continue;
      path = g_strndup (r->path, strcspn (r->path, "?#"));
      if ((method == NULL || g_str_equal (r->method, method)) && (suffix == NULL || g_str_has_suffix (path, suffix)))
        count++;
    }
  return count;
}

char *
kios_fake_kosync_get_stored_progress (KiosFakeKosync *self,
                                      const char     *hash)
{
  g_autofree char *key = book_key (self, hash);
  Record          *record;
  char            *result = NULL;

  g_mutex_lock (&self->lock);
  record = g_hash_table_lookup (self->progress, key);
  if (record != NULL)
    {
      if (self->family == KIOS_FAKE_KOSYNC_KAVITA)
        result = g_strdup_printf ("page=%d scroll=%s", record->page,
                                  record->scroll_id != NULL ? record->scroll_id : "");
      else
        result = g_strdup (record->progress);
    }
  g_mutex_unlock (&self->lock);
  return result;
}

void
kios_fake_kosync_serve (KiosFakeKosync        *self,
                        const KiosFakeRequest *request,
                        KiosFakeResponse      *response)
{
  handle (self->server, request, response, self);
}
