/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-sync"

#include "config.h"

#include "kiosctl.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-error.h"
#include "kios-kosync-client.h"
#include "kios-paths.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-decision.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <stdio.h>
#include <string.h>

#define SYNC_USAGE "sync push [--json] FILE | sync pull [--json] FILE | sync status [--json] [FILE] | " \
                   "sync log [--json] FILE | sync enable|disable kosync|NAME"

typedef struct
{
  char             *path;
  char             *hash;
  KiosLibraryStore *store;
  KiosSourceRecord *source;
  KiosKosyncClient *client;
  KiosPosition     *local;
} Context;

static void
context_clear (Context *ctx)
{
  g_free (ctx->path);
  g_free (ctx->hash);
  g_clear_object (&ctx->store);
  g_clear_pointer (&ctx->source, kios_source_record_free);
  g_clear_object (&ctx->client);
  g_clear_pointer (&ctx->local, kios_position_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Context, context_clear)

static int
fail_redacted (const char *prefix,
               GError     *error)
{
  g_autofree char *message = kios_redact_text (error->message);

  if (prefix != NULL)
    return kiosctl_fail ("%s: %s", prefix, message);
  return kiosctl_fail ("%s", message);
}

/* Everything push and pull share: the book's identity, its saved position,
 * the account and a client for it. Returns an exit code, 0 when ready. */
static int
context_init (Context    *ctx,
              const char *file)
{
  g_autoptr (GError) error = NULL;

  ctx->path = g_canonicalize_filename (file, NULL);
  if (!g_file_test (ctx->path, G_FILE_TEST_IS_REGULAR))
    return kiosctl_fail ("“%s” is not a file", file);

  ctx->hash = kios_book_hash_file (ctx->path, &error);
  if (ctx->hash == NULL)
    return kiosctl_fail ("cannot read “%s”: %s", file, error->message);

  ctx->store = kiosctl_open_store (&error);
  if (ctx->store == NULL)
    return kiosctl_fail ("cannot open the library: %s", error->message);

  /* Kobo and OPDS-progression books sync through their own source; until
   * those clients exist every book uses the global KOReader sync account. */
  ctx->source = kios_sync_source_find_kosync (ctx->store, &error);
  if (ctx->source == NULL)
    {
      if (error != NULL)
        return kiosctl_fail ("cannot read the sources: %s", error->message);
      return kiosctl_fail ("no KOReader sync account is set up: add one with "
                           "“kiosctl source add --kind kosync --name NAME --url URL …”");
    }

  ctx->client = kios_sync_source_open_kosync (ctx->source, NULL, &error);
  if (ctx->client == NULL)
    return fail_redacted (NULL, error);

  ctx->local = kios_library_store_get_position (ctx->store, ctx->hash, &error);
  if (ctx->local == NULL && !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    return kiosctl_fail ("cannot read the saved position: %s", error->message);
  return KIOSCTL_EXIT_OK;
}

static gboolean
parse_args (int          argc,
            char       **argv,
            gboolean    *json,
            const char **file)
{
  *json = FALSE;
  *file = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        *json = TRUE;
      else if (argv[i][0] == '-' && argv[i][1] != '\0')
        return FALSE;
      else if (*file == NULL)
        *file = argv[i];
      else
        return FALSE;
    }
  return *file != NULL;
}

/* ---- Readium progression (a book from an OPDS catalog with a progression link) ---- */

static void
add_remote_readium (JsonBuilder                  *b,
                    const KiosPosition           *resolved,
                    const KiosReadiumProgression *remote)
{
  JsonNode   *node = kiosctl_position_node (resolved);
  JsonObject *object = json_node_get_object (node);

  /* What the server said (the locator), next to where it lands in this book. */
  kiosctl_set_string (object, "href", remote->href);
  json_object_set_double_member (object, "progression", MAX (remote->progression, 0));
  json_object_set_double_member (object, "total_progression", MAX (remote->total_progression, 0));
  json_object_set_double_member (object, "percentage", MAX (remote->total_progression, 0));
  kiosctl_set_string (object, "device", remote->device_name);
  kiosctl_set_string (object, "device_id", remote->device_id);
  kiosctl_set_time (object, "updated_at", remote->modified_ms / 1000);
  json_builder_add_value (b, node);
}

/* One push or pull through the book's progression link; -1 when the book
 * has none (it then uses KOReader sync). */
static int
readium_sync (gboolean    push,
              gboolean    json,
              const char *file)
{
  g_autofree char                   *path = g_canonicalize_filename (file, NULL);
  g_autofree char                   *hash = NULL;
  g_autofree char                   *reason = NULL;
  g_autofree char                   *own_id = NULL;
  g_autoptr (KiosLibraryStore)       store = NULL;
  g_autoptr (KiosReadiumBackend)     backend = NULL;
  g_autoptr (KiosPosition)           local = NULL;
  g_autoptr (KiosPosition)           remote = NULL;
  g_autoptr (KiosPosition)           resolved = NULL;
  g_autoptr (KiosReadiumProgression) doc = NULL;
  g_autoptr (KiosBookRecord)         book = NULL;
  g_autoptr (JsonBuilder)            b = NULL;
  g_autoptr (JsonNode)               root = NULL;
  g_autoptr (GError)                 error = NULL;
  KiosReadiumPutResult               result = KIOS_READIUM_PUT_STORED;
  KiosSyncDecisionInput              input = { 0 };
  KiosSyncDecision                   decision;
  const char                        *source;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return -1;
  hash = kios_book_hash_file (path, NULL);
  if (hash == NULL)
    return -1;
  store = kiosctl_open_store (NULL);
  if (store == NULL)
    return -1;
  backend = kios_readium_backend_new_for_book (store, hash, NULL, &error);
  if (backend == NULL && error == NULL)
    return -1;
  if (backend == NULL)
    return fail_redacted ("cannot use the catalog's progression link", error);
  source = kios_sync_backend_get_source_name (KIOS_SYNC_BACKEND (backend));

  local = kios_library_store_get_position (store, hash, &error);
  if (local == NULL && !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    return kiosctl_fail ("cannot read the saved position: %s", error->message);
  g_clear_error (&error);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_string_value (b, "readium");
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, source);

  if (push)
    {
      static const char *const results[] = { "stored", "not-newer", "read-only" };

      if (local == NULL)
        return kiosctl_fail ("no saved position for “%s”: open it in Kios or set one with "
                             "“kiosctl position FILE --set POS” first",
                             file);
      if (!kios_readium_backend_push_sync (backend, local, &result, NULL, &error))
        {
          g_autofree char *message = kios_redact_text (error->message);

          /* Transient failures stay pending, for the app to deliver later. */
          if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) || g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER))
            kios_library_store_set_pending_push (store, hash, source, local);
          kios_library_store_flush (store, 5000);
          return kiosctl_fail ("%s", message);
        }
      /* A 409 or a read-only server settles the push too: nothing to retry. */
      if (result == KIOS_READIUM_PUT_STORED)
        kios_library_store_set_last_pushed (store, hash, source, local);
      kios_library_store_clear_pending_push (store, hash, source, local->updated_at);
      kios_library_store_flush (store, 5000);
      if (!json)
        {
          printf ("%s “%s”: %s\n", result == KIOS_READIUM_PUT_STORED ? "Pushed to" : "Not pushed to",
                  source,
                  result == KIOS_READIUM_PUT_STORED      ? "stored"
                  : result == KIOS_READIUM_PUT_NOT_NEWER ? "the server keeps a position at least as new"
                                                         : "the server's progression is read-only");
          return KIOSCTL_EXIT_OK;
        }
      json_builder_set_member_name (b, "document");
      json_builder_add_string_value (b, hash);
      json_builder_set_member_name (b, "href");
      if (local->chapter_href != NULL)
        json_builder_add_string_value (b, local->chapter_href);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "percentage");
      json_builder_add_double_value (b, local->total_progress);
      json_builder_set_member_name (b, "pushed");
      json_builder_add_boolean_value (b, result == KIOS_READIUM_PUT_STORED);
      json_builder_set_member_name (b, "result");
      json_builder_add_string_value (b, results[result]);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
      return KIOSCTL_EXIT_OK;
    }

  book = kios_library_store_get_book (store, hash, NULL);
  remote = kios_readium_backend_pull_sync (backend,
                                           book != NULL ? kios_book_format_from_string (book->format)
                                                        : (local != NULL ? local->format : KIOS_BOOK_FORMAT_EPUB),
                                           &doc, NULL, &error);
  if (error != NULL)
    return fail_redacted (NULL, error);
  if (remote != NULL)
    {
      g_autoptr (KiosDocument) document = kios_document_open_sync (path, &error);

      if (document == NULL)
        return kiosctl_fail ("cannot open “%s”: %s", file, error->message);
      resolved = kios_document_normalize_position (document, remote, &error);
      if (resolved != NULL)
        {
          /* Who and when come from the server, not from this book. */
          resolved->updated_at = remote->updated_at;
          g_free (resolved->device);
          resolved->device = g_strdup (remote->device);
          g_free (resolved->device_id);
          resolved->device_id = g_strdup (remote->device_id);
        }
      g_clear_error (&error);
    }

  own_id = kios_paths_device_id ();
  input.local = local;
  input.remote = resolved;
  input.local_page = -1;
  input.remote_page = -1;
  input.own_device_id = own_id;
  input.remote_device_id = remote != NULL ? remote->device_id : NULL;
  decision = kios_sync_decide (&input, &reason);
  if (remote != NULL && resolved == NULL)
    {
      g_free (reason);
      reason = g_strdup ("the other device's position does not resolve in this book");
    }

  if (!json)
    {
      if (remote == NULL)
        printf ("No remote position on “%s”: %s\n", source, reason);
      else
        printf ("Remote: %s (%.2f %%) from %s\nDecision: %s (%s)\n",
                doc->href != NULL ? doc->href : "-", MAX (doc->total_progression, 0) * 100,
                doc->device_name != NULL ? doc->device_name : "another device",
                kios_sync_decision_to_string (decision), reason);
      return KIOSCTL_EXIT_OK;
    }
  json_builder_set_member_name (b, "local");
  if (local != NULL)
    json_builder_add_value (b, kios_position_to_json (local));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "remote");
  if (doc != NULL)
    add_remote_readium (b, resolved, doc);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "decision");
  json_builder_add_string_value (b, kios_sync_decision_to_string (decision));
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  kiosctl_print_json (root);
  return KIOSCTL_EXIT_OK;
}

static int
sync_push (int argc, char **argv)
{
  g_auto (Context)   ctx = { NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char   *progress = NULL;
  const char        *file;
  gboolean           json;
  double             percentage;
  int                rc;

  if (!parse_args (argc, argv, &json, &file))
    return kiosctl_usage ("%s", SYNC_USAGE);
  if ((rc = kiosctl_kobo_sync (TRUE, json, file)) >= 0) /* kiosctl-kobo.c */
    return rc;
  if ((rc = readium_sync (TRUE, json, file)) >= 0)
    return rc;
  if ((rc = context_init (&ctx, file)) != KIOSCTL_EXIT_OK)
    return rc;
  if (ctx.local == NULL)
    return kiosctl_fail ("no saved position for “%s”: open it in Kios or set one with "
                         "“kiosctl position FILE --set POS” first",
                         file);

  if (ctx.local->format == KIOS_BOOK_FORMAT_PDF)
    progress = g_strdup_printf ("%d", kios_position_get_page (ctx.local));
  else if (ctx.local->xpointer != NULL)
    progress = g_strdup (ctx.local->xpointer);
  else
    return kiosctl_fail ("the saved position of “%s” has no xpointer to send", file);
  percentage = kios_kosync_floor_percentage (ctx.local->total_progress);

  if (!kios_kosync_client_push_sync (ctx.client, ctx.hash, progress, percentage, NULL, &error))
    {
      g_autofree char *message = kios_redact_text (error->message);

      /* Transient failures stay pending, for the app to deliver later. */
      if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) || g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_SERVER))
        kios_library_store_set_pending_push (ctx.store, ctx.hash, ctx.source->name, ctx.local);
      kios_library_store_log_sync (ctx.store, ctx.hash, ctx.source->name, "push-failed", message);
      kios_library_store_flush (ctx.store, 5000);
      return kiosctl_fail ("%s", message);
    }

  kios_library_store_set_last_pushed (ctx.store, ctx.hash, ctx.source->name, ctx.local);
  kios_library_store_clear_pending_push (ctx.store, ctx.hash, ctx.source->name, ctx.local->updated_at);
  kios_library_store_log_sync (ctx.store, ctx.hash, ctx.source->name, "push", "ok");
  kios_library_store_flush (ctx.store, 5000);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "protocol");
      json_builder_add_string_value (b, "kosync");
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, ctx.source->name);
      json_builder_set_member_name (b, "document");
      json_builder_add_string_value (b, ctx.hash);
      json_builder_set_member_name (b, "progress");
      json_builder_add_string_value (b, progress);
      json_builder_set_member_name (b, "percentage");
      json_builder_add_double_value (b, percentage);
      json_builder_set_member_name (b, "pushed");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
    }
  else
    printf ("Pushed %s (%.2f %%) to “%s”\n", progress, percentage * 100, ctx.source->name);
  return KIOSCTL_EXIT_OK;
}

static JsonNode *
remote_to_json (const KiosPosition       *resolved,
                const KiosRemotePosition *remote)
{
  JsonNode   *node = kiosctl_position_node (resolved);
  JsonObject *object = json_node_get_object (node);

  /* What the server said, next to where it lands in this book. */
  kiosctl_set_string (object, "progress", remote->progress);
  json_object_set_double_member (object, "percentage", remote->percentage);
  kiosctl_set_string (object, "device", remote->device);
  kiosctl_set_string (object, "device_id", remote->device_id);
  kiosctl_set_time (object, "updated_at", remote->timestamp);
  return node;
}

static int
sync_pull (int argc, char **argv)
{
  g_auto (Context)               ctx = { NULL };
  g_autoptr (GError)             error = NULL;
  g_autoptr (KiosRemotePosition) remote = NULL;
  g_autoptr (KiosPosition)       resolved = NULL;
  g_autofree char               *reason = NULL;
  g_autofree char               *own_id = NULL;
  const char                    *file;
  gboolean                       json;
  KiosSyncDecision               decision;
  KiosSyncDecisionInput          input = { 0 };
  int                            rc;

  if (!parse_args (argc, argv, &json, &file))
    return kiosctl_usage ("%s", SYNC_USAGE);
  if ((rc = kiosctl_kobo_sync (FALSE, json, file)) >= 0) /* kiosctl-kobo.c */
    return rc;
  if ((rc = readium_sync (FALSE, json, file)) >= 0)
    return rc;
  if ((rc = context_init (&ctx, file)) != KIOSCTL_EXIT_OK)
    return rc;

  remote = kios_kosync_client_pull_sync (ctx.client, ctx.hash, NULL, &error);
  if (error != NULL)
    return fail_redacted (NULL, error);

  if (remote != NULL)
    {
      g_autoptr (KiosDocument) document = kios_document_open_sync (ctx.path, &error);

      if (document == NULL)
        return kiosctl_fail ("cannot open “%s”: %s", file, error->message);
      resolved = kios_sync_resolve_remote (document, remote, &error);
      if (resolved == NULL)
        g_clear_error (&error);
    }

  own_id = kios_paths_device_id ();
  input.local = ctx.local;
  input.remote = resolved;
  input.local_page = -1;
  input.remote_page = -1;
  input.own_device_id = own_id;
  input.remote_device_id = remote != NULL ? remote->device_id : NULL;
  decision = kios_sync_decide (&input, &reason);
  if (remote != NULL && resolved == NULL)
    {
      g_free (reason);
      reason = g_strdup ("the other device's position does not resolve in this book");
    }

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "protocol");
      json_builder_add_string_value (b, "kosync");
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, ctx.source->name);
      json_builder_set_member_name (b, "local");
      if (ctx.local != NULL)
        json_builder_add_value (b, kios_position_to_json (ctx.local));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "remote");
      if (remote != NULL)
        json_builder_add_value (b, remote_to_json (resolved, remote));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "decision");
      json_builder_add_string_value (b, kios_sync_decision_to_string (decision));
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, reason);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      kiosctl_print_json (root);
    }
  else if (remote == NULL)
    printf ("No remote position on “%s”: %s\n", ctx.source->name, reason);
  else
    printf ("Remote: %s (%.2f %%) from %s\nDecision: %s (%s)\n",
            remote->progress != NULL ? remote->progress : "-", remote->percentage * 100,
            remote->device != NULL ? remote->device : "another device",
            kios_sync_decision_to_string (decision), reason);
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_cmd_sync (int argc, char **argv)
{
  int rc;

  /* stdout carries exactly one JSON document: logs (G_MESSAGES_DEBUG) go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    return kiosctl_usage ("%s", SYNC_USAGE);
  if ((rc = kiosctl_sync_status_dispatch (argc, argv)) >= 0) /* kiosctl-sync-status.c */
    return rc;
  if (strcmp (argv[1], "push") == 0)
    return sync_push (argc - 1, argv + 1);
  if (strcmp (argv[1], "pull") == 0)
    return sync_pull (argc - 1, argv + 1);
  return kiosctl_usage ("unknown sync command “%s”; %s", argv[1], SYNC_USAGE);
}
