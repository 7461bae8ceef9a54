/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-sync"

#include "config.h"

#include "kiosctl-sync-private.h"

#include "kios-kobo-backend.h"
#include "kios-kosync-backend.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-bridge.h"
#include "kios-sync-error.h"
#include "kios-sync-service.h"

#include <stdio.h>

/* `kiosctl sync push`: the saved position to the book's protocol. */

/* document: the id the server knows the book by (NULL: the book hash). */
static void
begin (JsonBuilder     *b,
       KiosctlSyncBook *book,
       const char      *document)
{
  KiosSyncBackend *backend = book->backend;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_string_value (b, kios_sync_protocol_to_string (kios_sync_backend_get_protocol (backend)));
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, kios_sync_backend_get_source_name (backend));
  json_builder_set_member_name (b, "precision");
  json_builder_add_string_value (b, kios_sync_precision_to_string (kios_sync_backend_get_precision (backend, book->local->format)));
  json_builder_set_member_name (b, "document");
  json_builder_add_string_value (b, document != NULL ? document : book->hash);
}

static void
print_end (JsonBuilder     *b,
           KiosctlSyncBook *book)
{
  g_autoptr (JsonNode) root = NULL;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  /* A bridged push prints every protocol's object at the end, together. */
  if (book->collected != NULL)
    json_array_add_element (book->collected, g_steal_pointer (&root));
  else
    kiosctl_print_json (root);
}

/* The push in the sync log and the stored status (book and source), as the
 * app's engine records it: one entry per exchange, for every protocol. */
static void
record (KiosctlSyncBook *book,
        const GError    *error,
        const char      *detail)
{
  g_autoptr (KiosSyncService)  service = NULL;
  g_autoptr (KiosSyncLogEntry) entry = NULL;
  g_autofree char             *server = NULL;

  service = kios_sync_service_new (book->store);
  server = kios_sync_backend_get_server_label (book->backend);
  entry = kios_sync_log_entry_new (kios_sync_protocol_to_string (kios_sync_backend_get_protocol (book->backend)),
                                   kios_sync_backend_get_source_name (book->backend), book->hash, "push",
                                   "synced", detail);
  entry->precision = g_strdup (kios_sync_precision_to_string (kios_sync_backend_get_precision (book->backend, book->local->format)));
  kios_sync_service_record (service, entry, error, server);
}

/* A failed push: transient failures stay pending, for the app to deliver later. */
static int
failed (KiosctlSyncBook *book,
        GError          *error)
{
  const char *source = kios_sync_backend_get_source_name (book->backend);

  if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) || g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT) || g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER))
    kios_library_store_set_pending_push (book->store, book->hash, source, book->local);
  record (book, error, NULL);
  kios_library_store_flush (book->store, 5000);
  return kiosctl_sync_fail (book, NULL, error);
}

static void
settled (KiosctlSyncBook *book,
         gboolean         stored,
         const char      *log)
{
  const char *source = kios_sync_backend_get_source_name (book->backend);

  if (stored)
    kios_library_store_set_last_pushed (book->store, book->hash, source, book->local);
  kios_library_store_clear_pending_push (book->store, book->hash, source, book->local->updated_at);
  if (log != NULL)
    record (book, NULL, log);
  kios_library_store_flush (book->store, 5000);
}

static int
push_kosync (KiosctlSyncBook *book,
             const char      *file,
             gboolean         json)
{
  KiosKosyncClient  *client = kios_kosync_backend_get_client (KIOS_KOSYNC_BACKEND (book->backend));
  const char        *source = kios_sync_backend_get_source_name (book->backend);
  g_autoptr (GError) error = NULL;
  g_autofree char   *progress = NULL;
  g_autofree char   *document = NULL;
  double             percentage;

  if (book->local->format == KIOS_BOOK_FORMAT_PDF)
    progress = g_strdup_printf ("%d", kios_position_get_page (book->local));
  else if (book->local->xpointer != NULL)
    progress = g_strdup (book->local->xpointer);
  else
    return kiosctl_fail ("the saved position of “%s” has no xpointer to send", file);
  percentage = kios_kosync_floor_percentage (book->local->total_progress);

  document = kios_kosync_backend_document_id (KIOS_KOSYNC_BACKEND (book->backend), book->hash, NULL, &error);
  if (document == NULL || !kios_kosync_client_push_sync (client, document, progress, percentage, NULL, &error))
    return failed (book, error);
  settled (book, TRUE, "ok");

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();

      begin (b, book, document);
      json_builder_set_member_name (b, "progress");
      json_builder_add_string_value (b, progress);
      json_builder_set_member_name (b, "percentage");
      json_builder_add_double_value (b, percentage);
      json_builder_set_member_name (b, "pushed");
      json_builder_add_boolean_value (b, TRUE);
      print_end (b, book);
    }
  else
    printf ("Pushed %s (%.2f %%) to “%s”\n", progress, percentage * 100, source);
  return KIOSCTL_EXIT_OK;
}

static int
push_readium (KiosctlSyncBook *book,
              gboolean         json)
{
  static const char *const results[] = { "stored", "not-newer", "read-only" };
  const char              *source = kios_sync_backend_get_source_name (book->backend);
  g_autoptr (GError)       error = NULL;
  KiosReadiumPutResult     result = KIOS_READIUM_PUT_STORED;

  if (!kios_readium_backend_push_sync (KIOS_READIUM_BACKEND (book->backend), book->local, &result, NULL, &error))
    return failed (book, error);
  /* A 409 or a read-only server settles the push too: nothing to retry. */
  settled (book, result == KIOS_READIUM_PUT_STORED,
           result == KIOS_READIUM_PUT_STORED      ? "stored"
           : result == KIOS_READIUM_PUT_NOT_NEWER ? "409: the server keeps a position at least as new"
                                                  : "the server's progression is read-only");

  if (!json)
    {
      printf ("%s “%s”: %s\n", result == KIOS_READIUM_PUT_STORED ? "Pushed to" : "Not pushed to", source,
              result == KIOS_READIUM_PUT_STORED      ? "stored"
              : result == KIOS_READIUM_PUT_NOT_NEWER ? "the server keeps a position at least as new"
                                                     : "the server's progression is read-only");
      return KIOSCTL_EXIT_OK;
    }
  {
    g_autoptr (JsonBuilder) b = json_builder_new ();

    begin (b, book, NULL);
    json_builder_set_member_name (b, "href");
    if (book->local->chapter_href != NULL)
      json_builder_add_string_value (b, book->local->chapter_href);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "percentage");
    json_builder_add_double_value (b, book->local->total_progress);
    json_builder_set_member_name (b, "pushed");
    json_builder_add_boolean_value (b, result == KIOS_READIUM_PUT_STORED);
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, results[result]);
    print_end (b, book);
  }
  return KIOSCTL_EXIT_OK;
}

static int
push_kobo (KiosctlSyncBook *book,
           gboolean         json)
{
  g_autoptr (KiosKoboReadingState) stored = NULL;
  g_autoptr (GError)               error = NULL;
  const char                      *source = kios_sync_backend_get_source_name (book->backend);
  KiosPosition                    *local = book->local;

  if (!kios_kobo_backend_push_sync (KIOS_KOBO_BACKEND (book->backend), book->hash, local, &stored, NULL, &error))
    return failed (book, error);
  settled (book, TRUE, "ok (verified by reading it back)");

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();

      begin (b, book, NULL);
      json_builder_set_member_name (b, "location_source");
      json_builder_add_string_value (b, local->chapter_href);
      json_builder_set_member_name (b, "content_source_progress_percent");
      json_builder_add_double_value (b, stored != NULL ? MAX (stored->content_percent, 0) : local->chapter_progress * 100);
      json_builder_set_member_name (b, "progress_percent");
      json_builder_add_double_value (b, local->total_progress * 100);
      json_builder_set_member_name (b, "pushed");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "verified");
      json_builder_add_boolean_value (b, TRUE);
      print_end (b, book);
    }
  else
    printf ("Pushed %s (%.2f %% of the book) to “%s”, and read it back\n", local->chapter_href,
            local->total_progress * 100, source);
  return KIOSCTL_EXIT_OK;
}

static int
push_one (KiosctlSyncBook *book,
          const char      *file,
          gboolean         json)
{
  switch (kios_sync_backend_get_protocol (book->backend))
    {
    case KIOS_SYNC_PROTOCOL_KOBO:
      return push_kobo (book, json);
    case KIOS_SYNC_PROTOCOL_READIUM:
      return push_readium (book, json);
    case KIOS_SYNC_PROTOCOL_KOSYNC:
    default:
      return push_kosync (book, file, json);
    }
}

/* A partner whose server holds a newer position further on is left alone
 * (bridging never writes a position behind one ahead): said, and logged. */
static int
push_kept (KiosctlSyncBook *book,
           const char      *why,
           gboolean         json)
{
  const char *source = kios_sync_backend_get_source_name (book->backend);

  record (book, NULL, why);
  kios_library_store_flush (book->store, 5000);
  if (!json)
    {
      printf ("Kept “%s” (%s): %s\n", source, kios_sync_protocol_to_string (kios_sync_backend_get_protocol (book->backend)),
              why);
      return KIOSCTL_EXIT_OK;
    }
  {
    g_autoptr (JsonBuilder) b = json_builder_new ();

    begin (b, book, NULL);
    json_builder_set_member_name (b, "pushed");
    json_builder_add_boolean_value (b, FALSE);
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, "kept");
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, why);
    print_end (b, book);
  }
  return KIOSCTL_EXIT_OK;
}

/* Every bridged protocol in its own form, one line (or object) each; the
 * exit status is the worst of them. */
static int
push_bridged (KiosctlSyncBook *book,
              const char      *file,
              gboolean         json)
{
  g_autoptr (KiosSyncBackend) bridge = g_steal_pointer (&book->backend);
  GPtrArray                  *members = kios_sync_bridge_get_members (KIOS_SYNC_BRIDGE (bridge));
  int                         rc = KIOSCTL_EXIT_OK;

  if (json)
    book->collected = json_array_new ();
  for (guint i = 0; i < members->len; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *why = NULL;
      int                one;

      book->backend = g_object_ref (members->pdata[i]);
      if (i > 0 && !kios_sync_bridge_may_push (book->backend, book->hash, book->local, &why, NULL, &error))
        one = error != NULL ? kiosctl_sync_fail (book, "cannot read the server's position first", error)
                            : push_kept (book, why, json);
      else
        one = push_one (book, file, json);
      if (one != KIOSCTL_EXIT_OK)
        rc = one;
      g_clear_object (&book->backend);
    }
  book->backend = g_steal_pointer (&bridge);
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "protocol");
      json_builder_add_string_value (b, kios_sync_protocol_to_string (kios_sync_backend_get_protocol (book->backend)));
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, kios_sync_backend_get_source_name (book->backend));
      json_builder_set_member_name (b, "bridged");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "pushes");
      json_builder_add_value (b, json_node_init_array (json_node_alloc (), book->collected));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
    }
  return rc;
}

int
kiosctl_sync_push (KiosctlSyncBook *book,
                   const char      *file,
                   gboolean         json)
{
  if (book->local == NULL)
    return kiosctl_fail ("no saved position for “%s”: open it in Kios or set one with "
                         "“kiosctl position FILE --set POS” first",
                         file);
  if (KIOS_IS_SYNC_BRIDGE (book->backend))
    return push_bridged (book, file, json);
  return push_one (book, file, json);
}
