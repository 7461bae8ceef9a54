/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-kobo"

#include "config.h"

#include "kiosctl.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-kobo-backend.h"
#include "kios-kobo-library.h"
#include "kios-kobo-session.h"
#include "kios-paths.h"
#include "kios-redact.h"
#include "kios-sync-decision.h"
#include "kios-sync-error.h"

#include <stdio.h>
#include <string.h>

/*
 * kiosctl for Kobo sync sources (called from kiosctl-source.c,
 * kiosctl-catalog.c and kiosctl-sync.c): source add/test, browse, search,
 * download, and sync push/pull of books downloaded from a Kobo source.
 */

/* The error table's sentence, as the app shows it (the sync URL is a
 * secret: the server is not named). */
static int
fail_described (const char *prefix,
                GError     *error)
{
  if (prefix != NULL)
    return kiosctl_fail_error_in (error, NULL, "%s", prefix);
  return kiosctl_fail_error (error, NULL, NULL);
}

char *
kiosctl_kobo_settings_for_add (gboolean library_sync)
{
  KiosKoboSettings settings = { 0 };
  char            *json;

  settings.library_sync = library_sync;
  settings.catalog_key = g_uuid_string_random ();
  json = kios_kobo_settings_merge (NULL, &settings);
  g_free (settings.catalog_key);
  return json;
}

/* A client with the family known: from the settings, else initialization
 * (which records family and template in the source). */
static KiosKoboClient *
open_client (KiosLibraryStore *store,
             KiosSourceRecord *record,
             GError          **error)
{
  g_autoptr (KiosKoboClient)   client = kios_kobo_source_open (record, NULL, error);
  g_autoptr (KiosKoboSettings) settings = NULL;

  if (client == NULL)
    return NULL;
  settings = kios_kobo_settings_parse (record->settings_json);
  if (settings->family == KIOS_KOBO_FAMILY_UNKNOWN || settings->image_template == NULL)
    {
      if (!kios_kobo_source_connect (client, store, record, NULL, error))
        return NULL;
      kios_library_store_flush (store, 5000);
    }
  return g_steal_pointer (&client);
}

int
kiosctl_source_test_kobo (const KiosSourceRecord *source)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) record = kios_source_record_copy (source);
  g_autoptr (KiosKoboClient)   client = NULL;
  g_autoptr (KiosKoboSettings) settings = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *label = NULL;
  KiosKoboFamily               family;

  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");
  client = kios_kobo_source_open (record, NULL, &error);
  if (client == NULL)
    return fail_described (NULL, error);
  /* Initialization is the side-effect-free token check (KOBO.md §2.1). */
  if (!kios_kobo_source_connect (client, store, record, NULL, &error))
    return fail_described (NULL, error);
  kios_library_store_flush (store, 5000);

  family = kios_kobo_client_get_family (client);
  settings = kios_kobo_settings_parse (record->settings_json);
  label = kios_kobo_client_get_label (client);
  printf ("OK: %s answers Kobo sync and accepts the token (%s)\n", label, kios_kobo_family_describe (family));
  if (kios_kobo_family_needs_consent (family) && !settings->library_sync)
    printf ("The library is not listed without your consent: this server delivers books or positions once per "
            "account, so a Kobo on the same account would miss what Kios takes. Use a separate server user for "
            "Kios and add the source again with --library-sync.\n");
  return KIOSCTL_EXIT_OK;
}

static void
print_entries (GPtrArray *entries,
               gboolean   json)
{
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "entries");
      json_builder_begin_array (b);
      for (guint i = 0; i < entries->len; i++)
        {
          KiosKoboEntry *e = entries->pdata[i];

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, "book");
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, e->id);
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, e->title);
          json_builder_set_member_name (b, "authors");
          json_builder_begin_array (b);
          for (guint j = 0; j < e->authors->len; j++)
            json_builder_add_string_value (b, e->authors->pdata[j]);
          json_builder_end_array (b);
          /* Kobo books have no catalog link: download them by id. */
          json_builder_set_member_name (b, "href");
          json_builder_add_null_value (b);
          json_builder_set_member_name (b, "formats");
          json_builder_begin_array (b);
          for (guint j = 0; j < e->formats->len; j++)
            json_builder_add_string_value (b, e->formats->pdata[j]);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "next");
      json_builder_add_null_value (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
      return;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      KiosKoboEntry      *e = entries->pdata[i];
      g_autoptr (GString) authors = g_string_new (NULL);
      g_autoptr (GString) formats = g_string_new (NULL);

      for (guint j = 0; j < e->authors->len; j++)
        g_string_append_printf (authors, "%s%s", j > 0 ? ", " : "", (const char *) e->authors->pdata[j]);
      for (guint j = 0; j < e->formats->len; j++)
        g_string_append_printf (formats, "%s%s", j > 0 ? "," : "", (const char *) e->formats->pdata[j]);
      printf ("book\t%s\t%s\t%s\t%s\n", e->id, e->title, authors->str, formats->str);
    }
}

/* The core's flow (open, connect, consent, library sync), as the shelf runs
 * it, but strict: a failed sync fails here. Returns an exit code. */
static int
refresh_catalog (KiosLibraryStore *store,
                 KiosSourceRecord *record,
                 KiosKoboClient  **client_out)
{
  g_autoptr (KiosKoboRefresh) refresh = NULL;
  g_autoptr (GError)          error = NULL;

  refresh = kios_kobo_source_refresh (store, record, NULL, &error);
  if (refresh == NULL)
    return fail_described (NULL, error);
  if (refresh->needs_consent)
    {
      const char *why = refresh->family == KIOS_KOBO_FAMILY_GRIMMORY
                            ? "listing its library marks reading positions as delivered for the whole account, "
                              "so a Kobo on the same account would miss them"
                            : "it hands each book to one device per account, so a Kobo on the same account "
                              "would never receive the books Kios listed";

      return kiosctl_fail ("“%s” (%s): %s. Kios lists it only with your consent (best with a separate "
                           "server user for Kios). To allow it, run “kiosctl source remove %s” and add it again "
                           "with “kiosctl source add --kind kobo --name %s --url URL --library-sync”.",
                           record->name, kios_kobo_family_describe (refresh->family), why, record->name,
                           record->name);
    }
  if (refresh->failure != NULL)
    return fail_described (refresh->connected ? "the library sync failed" : NULL, refresh->failure);
  /* What the connect saved (family, template, catalog key) for what follows. */
  g_free (record->settings_json);
  record->settings_json = g_strdup (refresh->record->settings_json);
  if (client_out != NULL)
    {
      *client_out = kios_kobo_source_open (refresh->record, NULL, &error);
      if (*client_out == NULL)
        return fail_described (NULL, error);
    }
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_kobo_browse (const KiosSourceRecord *source,
                     const char             *href,
                     const char             *query,
                     gboolean                json)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) record = kios_source_record_copy (source);
  g_autoptr (GPtrArray)        entries = NULL;
  g_autoptr (GError)           error = NULL;
  int                          rc;

  if (href != NULL)
    return kiosctl_fail ("a Kobo sync source is one flat list of books: browse it without HREF");
  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");
  if ((rc = refresh_catalog (store, record, NULL)) != KIOSCTL_EXIT_OK)
    return rc;
  entries = kios_kobo_catalog_list (store, record->name);
  if (query != NULL)
    {
      g_autofree char *needle = g_utf8_casefold (query, -1);

      for (guint i = entries->len; i > 0; i--)
        {
          KiosKoboEntry   *e = entries->pdata[i - 1];
          g_autofree char *title = g_utf8_casefold (e->title, -1);
          gboolean         keep = strstr (title, needle) != NULL;

          for (guint j = 0; !keep && j < e->authors->len; j++)
            {
              g_autofree char *author = g_utf8_casefold (e->authors->pdata[j], -1);

              keep = strstr (author, needle) != NULL;
            }
          if (!keep)
            g_ptr_array_remove_index (entries, i - 1);
        }
    }
  print_entries (entries, json);
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_kobo_download (const KiosSourceRecord *source,
                       const char             *id,
                       const char             *format,
                       gboolean                json)
{
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) record = kios_source_record_copy (source);
  g_autoptr (KiosKoboClient)   client = NULL;
  g_autoptr (KiosKoboEntry)    entry = NULL;
  g_autoptr (KiosBookRecord)   book = NULL;
  g_autoptr (GError)           error = NULL;
  g_autofree char             *path = NULL;
  g_autofree char             *recorded = NULL;
  gboolean                     existing = FALSE;
  int                          rc;

  if (format != NULL && !g_str_equal (format, "epub"))
    return kiosctl_fail ("Kobo sync serves EPUB books only");
  store = kiosctl_open_store (&error);
  if (store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");
  entry = kios_kobo_catalog_get (store, record->name, id);
  if (entry == NULL)
    {
      /* Not seen yet: one library sync (under the consent rule) first. */
      if ((rc = refresh_catalog (store, record, &client)) != KIOSCTL_EXIT_OK)
        return rc;
      entry = kios_kobo_catalog_get (store, record->name, id);
      if (entry == NULL)
        return kiosctl_fail ("no book “%s” on “%s”: list the books with “kiosctl browse %s”", id, record->name,
                             record->name);
    }
  else
    {
      client = open_client (store, record, &error);
      if (client == NULL)
        return fail_described (NULL, error);
    }

  path = kios_kobo_library_download (client, store, record->name, id, &existing, NULL, &error);
  if (path == NULL)
    return fail_described ("cannot download the book", error);
  book = kios_library_store_get_book_by_path (store, path, NULL);
  if (book != NULL)
    recorded = kios_library_store_get_book_meta (store, book->hash, KIOS_KOBO_META_FORMAT);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, path);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, entry->title);
      json_builder_set_member_name (b, "format");
      json_builder_add_string_value (b, "epub");
      json_builder_set_member_name (b, "kobo_format");
      json_builder_add_string_value (b, recorded != NULL ? recorded : "EPUB");
      json_builder_set_member_name (b, "hash");
      if (book != NULL)
        json_builder_add_string_value (b, book->hash);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "existing");
      json_builder_add_boolean_value (b, existing);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
    }
  else
    printf ("%s\n", path);
  return KIOSCTL_EXIT_OK;
}
