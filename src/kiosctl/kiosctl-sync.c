/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kiosctl-sync"

#include "config.h"

#include "kiosctl-sync-private.h"

#include "kios-book-hash.h"
#include "kios-document.h"
#include "kios-error.h"
#include "kios-kobo-backend.h"
#include "kios-kobo-library.h"
#include "kios-kosync-backend.h"
#include "kios-readium-backend.h"
#include "kios-redact.h"
#include "kios-sync-bridge.h"
#include "kios-sync-pipeline.h"
#include "kios-sync-source.h"

#include <stdio.h>
#include <string.h>

#define SYNC_USAGE "sync push [--json] FILE | sync pull [--json] FILE | sync status [--json] [FILE] | " \
                   "sync log [--json] FILE | sync enable|disable kosync|NAME | "                        \
                   "sync pair FILE SOURCE BOOK-ID | sync unpair FILE SOURCE"

void
kiosctl_sync_book_clear (KiosctlSyncBook *book)
{
  g_clear_pointer (&book->path, g_free);
  g_clear_pointer (&book->hash, g_free);
  g_clear_object (&book->store);
  g_clear_object (&book->backend);
  g_clear_pointer (&book->local, kios_position_free);
  g_clear_pointer (&book->collected, json_array_unref);
}

/* The error table's sentence, naming the book's server when a backend is
 * open; the core's redacted detail goes to the debug log only. */
int
kiosctl_sync_fail (KiosctlSyncBook *book,
                   const char      *prefix,
                   const GError    *error)
{
  g_autofree char *server = NULL;

  if (book != NULL && book->backend != NULL)
    server = kios_sync_backend_get_server_label (book->backend);
  if (prefix != NULL)
    return kiosctl_fail_error_in (error, server, "%s", prefix);
  return kiosctl_fail_error (error, server, NULL);
}

/* The protocol that serves the book (PRODUCT.md "Which protocol serves a
 * book"), as the app's engine picks it: the Kobo source it came from, the
 * OPDS catalog's progression link, else the global KOReader sync account;
 * with bridging (kios-sync-bridge.h), a bridge over the first two. */
static int
open_backend (KiosctlSyncBook *book)
{
  g_autoptr (GError)           error = NULL;
  g_autoptr (KiosSourceRecord) source = NULL;
  g_autofree char             *kobo_source = NULL;
  KiosKosyncBackend           *kosync;
  KiosReadiumBackend          *readium;

  kobo_source = kios_library_store_get_book_meta (book->store, book->hash, KIOS_KOBO_META_SOURCE);
  if (kobo_source != NULL)
    {
      KiosKoboBackend *kobo = kios_kobo_backend_open_for_book (book->store, book->hash, NULL, &error);

      if (kobo == NULL)
        return kiosctl_sync_fail (book, NULL, error);
      book->backend = kios_sync_bridge_wrap_for_book (book->store, book->hash, book->path, KIOS_SYNC_BACKEND (kobo), NULL);
      g_object_unref (kobo);
      return KIOSCTL_EXIT_OK;
    }

  readium = kios_readium_backend_new_for_book (book->store, book->hash, NULL, &error);
  if (readium != NULL)
    {
      book->backend = kios_sync_bridge_wrap_for_book (book->store, book->hash, book->path, KIOS_SYNC_BACKEND (readium),
                                                      NULL);
      g_object_unref (readium);
      return KIOSCTL_EXIT_OK;
    }
  if (error != NULL)
    return kiosctl_sync_fail (book, "cannot use the catalog's progression link", error);

  source = kios_sync_source_find_kosync (book->store, &error);
  if (source == NULL)
    {
      if (error != NULL)
        return kiosctl_fail_error_in (error, NULL, "cannot read the sources");
      return kiosctl_fail ("no KOReader sync account is set up: add one with "
                           "“kiosctl source add --kind kosync --name NAME --url URL …”");
    }
  kosync = kios_kosync_backend_open (source, book->store, NULL, &error);
  if (kosync == NULL)
    return kiosctl_sync_fail (book, NULL, error);
  kios_kosync_backend_set_book_path (kosync, book->hash, book->path);
  book->backend = KIOS_SYNC_BACKEND (kosync);
  return KIOSCTL_EXIT_OK;
}

/* Everything push and pull share: the book's identity, its saved position
 * and the backend that serves it. Returns an exit code, 0 when ready. */
static int
open_book (KiosctlSyncBook *book,
           const char      *file)
{
  g_autoptr (GError) error = NULL;
  int                rc;

  book->path = g_canonicalize_filename (file, NULL);
  if (!g_file_test (book->path, G_FILE_TEST_IS_REGULAR))
    return kiosctl_fail ("“%s” is not a file", file);

  book->hash = kios_book_hash_file (book->path, &error);
  if (book->hash == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot read “%s”", file);

  book->store = kiosctl_open_store (&error);
  if (book->store == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open the library");

  if ((rc = open_backend (book)) != KIOSCTL_EXIT_OK)
    return rc;

  book->local = kios_library_store_get_position (book->store, book->hash, &error);
  if (book->local == NULL && error != NULL && !g_error_matches (error, KIOS_STORE_ERROR, KIOS_STORE_ERROR_NOT_FOUND))
    return kiosctl_fail_error_in (error, NULL, "cannot read the saved position");
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

/* ---- pull: what the server said, next to where it lands in this book ---- */

static void
remote_kosync (JsonObject               *o,
               const KiosRemotePosition *remote)
{
  kiosctl_set_string (o, "progress", remote->progress);
  json_object_set_double_member (o, "percentage", remote->percentage);
  kiosctl_set_string (o, "device", remote->device);
  kiosctl_set_string (o, "device_id", remote->device_id);
  kiosctl_set_time (o, "updated_at", remote->timestamp);
}

static void
remote_readium (JsonObject                   *o,
                const KiosReadiumProgression *remote)
{
  kiosctl_set_string (o, "href", remote->href);
  json_object_set_double_member (o, "progression", MAX (remote->progression, 0));
  json_object_set_double_member (o, "total_progression", MAX (remote->total_progression, 0));
  json_object_set_double_member (o, "percentage", MAX (remote->total_progression, 0));
  kiosctl_set_string (o, "device", remote->device_name);
  kiosctl_set_string (o, "device_id", remote->device_id);
  kiosctl_set_time (o, "updated_at", remote->modified_ms / 1000);
}

static void
remote_kobo (JsonObject                 *o,
             const KiosKoboReadingState *raw,
             const char                 *note)
{
  g_autofree char *modified = raw->bookmark_modified > 0 ? kios_kobo_format_time (raw->bookmark_modified) : NULL;

  kiosctl_set_string (o, "location_source", raw->source);
  kiosctl_set_string (o, "location_value", raw->value);
  json_object_set_double_member (o, "progress_percent", MAX (raw->progress_percent, 0));
  json_object_set_double_member (o, "content_source_progress_percent", MAX (raw->content_percent, 0));
  json_object_set_double_member (o, "percentage", MAX (raw->progress_percent, 0) / 100.0);
  json_object_set_string_member (o, "device", "Kobo sync");
  json_object_set_null_member (o, "device_id");
  /* Kobo's own time format, as the server stores it. */
  kiosctl_set_string (o, "updated_at", modified);
  if (note != NULL)
    json_object_set_string_member (o, "note", note);
}

static JsonNode *
remote_node (const KiosSyncOutcome *outcome,
             const char            *note)
{
  JsonNode   *node = kiosctl_position_node (outcome->target);
  JsonObject *o = json_node_get_object (node);

  switch (outcome->raw->protocol)
    {
    case KIOS_SYNC_PROTOCOL_KOBO:
      remote_kobo (o, outcome->raw->kobo, note);
      break;
    case KIOS_SYNC_PROTOCOL_READIUM:
      remote_readium (o, outcome->raw->readium);
      break;
    case KIOS_SYNC_PROTOCOL_KOSYNC:
    default:
      remote_kosync (o, outcome->raw->kosync);
      break;
    }
  return node;
}

static void
print_text (const KiosSyncOutcome *outcome,
            const char            *note)
{
  const KiosSyncRemote *raw = outcome->raw;
  const char           *what = "-";
  const char           *device = NULL;
  double                percent = 0;

  if (raw == NULL)
    {
      printf ("No remote position on “%s”: %s\n", outcome->source, outcome->reason);
      return;
    }
  switch (raw->protocol)
    {
    case KIOS_SYNC_PROTOCOL_KOBO:
      what = raw->kobo->source;
      device = "Kobo sync";
      percent = MAX (raw->kobo->progress_percent, 0);
      break;
    case KIOS_SYNC_PROTOCOL_READIUM:
      what = raw->readium->href;
      device = raw->readium->device_name;
      percent = MAX (raw->readium->total_progression, 0) * 100;
      break;
    case KIOS_SYNC_PROTOCOL_KOSYNC:
    default:
      what = raw->kosync->progress;
      device = raw->kosync->device;
      percent = raw->kosync->percentage * 100;
      break;
    }
  printf ("Remote: %s (%.2f %%) from %s (the server keeps: %s)\nDecision: %s (%s)%s%s\n", what != NULL ? what : "-", percent,
          device != NULL ? device : "another device", kios_sync_precision_to_string (outcome->precision),
          kios_sync_decision_to_string (outcome->decision), outcome->reason, note != NULL ? "\n" : "",
          note != NULL ? note : "");
}

/* A bridged book: one entry per protocol, and which one the decision chose. */
static void
add_remotes (JsonBuilder           *b,
             const KiosSyncOutcome *outcome,
             const KiosPosition    *local)
{
  json_builder_set_member_name (b, "remotes");
  json_builder_begin_array (b);
  for (guint i = 0; i < outcome->remotes->len; i++)
    {
      const KiosSyncOutcome *each = outcome->remotes->pdata[i];
      g_autofree char       *note = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, each->source);
      json_builder_set_member_name (b, "protocol");
      json_builder_add_string_value (b, kios_sync_protocol_to_string (each->protocol));
      json_builder_set_member_name (b, "precision");
      json_builder_add_string_value (b, kios_sync_precision_to_string (each->precision));
      json_builder_set_member_name (b, "position");
      if (each->raw != NULL)
        {
          if (each->protocol == KIOS_SYNC_PROTOCOL_KOBO)
            note = kios_kobo_explain_percentages (local, each->target);
          json_builder_add_value (b, remote_node (each, note));
        }
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "decision");
      json_builder_add_string_value (b, kios_sync_decision_to_string (each->decision));
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, each->reason);
      json_builder_set_member_name (b, "chosen");
      json_builder_add_boolean_value (b, g_strcmp0 (each->source, outcome->source) == 0 &&
                                             each->protocol == outcome->protocol);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "chosen");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, outcome->source);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_string_value (b, kios_sync_protocol_to_string (outcome->protocol));
  json_builder_end_object (b);
}

/* Prints what the server says and what the app would do; changes nothing. */
static int
sync_pull (KiosctlSyncBook *book,
           const char      *file,
           gboolean         json)
{
  g_autoptr (KiosDocument)    document = NULL;
  g_autoptr (KiosSyncOutcome) outcome = NULL;
  g_autoptr (GError)          error = NULL;
  g_autofree char            *note = NULL;
  KiosSyncPipelineOptions     opts;

  document = kios_document_open_sync (book->path, &error);
  if (document == NULL)
    return kiosctl_fail_error_in (error, NULL, "cannot open “%s”", file);

  /* The app's engine with no window yet: the same default layout. */
  kios_sync_pipeline_options_init (&opts);
  outcome = kios_sync_pipeline_run (book->backend, document, book->hash, book->local, &opts, NULL, &error);
  if (outcome == NULL)
    return kiosctl_sync_fail (book, NULL, error);
  if (outcome->protocol == KIOS_SYNC_PROTOCOL_KOBO)
    note = kios_kobo_explain_percentages (book->local, outcome->target);

  if (!json)
    {
      /* A bridged book: each protocol's answer, then the decision's. */
      for (guint i = 0; outcome->remotes != NULL && i < outcome->remotes->len; i++)
        {
          const KiosSyncOutcome *each = outcome->remotes->pdata[i];

          printf ("%s “%s”: %s (%s)\n", kios_sync_protocol_to_string (each->protocol), each->source,
                  kios_sync_decision_to_string (each->decision), each->reason);
        }
      print_text (outcome, note);
      return KIOSCTL_EXIT_OK;
    }
  {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    g_autoptr (JsonNode)    root = NULL;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "protocol");
    json_builder_add_string_value (b, kios_sync_protocol_to_string (outcome->protocol));
    json_builder_set_member_name (b, "source");
    json_builder_add_string_value (b, outcome->source);
    json_builder_set_member_name (b, "precision");
    json_builder_add_string_value (b, kios_sync_precision_to_string (outcome->precision));
    json_builder_set_member_name (b, "local");
    if (book->local != NULL)
      json_builder_add_value (b, kios_position_to_json (book->local));
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "remote");
    if (outcome->raw != NULL)
      json_builder_add_value (b, remote_node (outcome, note));
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "decision");
    json_builder_add_string_value (b, kios_sync_decision_to_string (outcome->decision));
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, outcome->reason);
    if (outcome->remotes != NULL)
      add_remotes (b, outcome, book->local);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    kiosctl_print_json (root);
  }
  return KIOSCTL_EXIT_OK;
}

int
kiosctl_cmd_sync (int argc, char **argv)
{
  g_auto (KiosctlSyncBook) book = { NULL };
  const char              *file;
  gboolean                 json;
  gboolean                 push;
  int                      rc;

  /* stdout carries exactly one JSON document: logs (G_MESSAGES_DEBUG) go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    return kiosctl_usage ("%s", SYNC_USAGE);
  if ((rc = kiosctl_sync_status_dispatch (argc, argv)) >= 0) /* kiosctl-sync-status.c */
    return rc;
  if ((rc = kiosctl_sync_pair_dispatch (argc, argv)) >= 0) /* kiosctl-sync-pair.c */
    return rc;
  if (strcmp (argv[1], "push") != 0 && strcmp (argv[1], "pull") != 0)
    return kiosctl_usage ("unknown sync command “%s”; %s", argv[1], SYNC_USAGE);
  push = strcmp (argv[1], "push") == 0;
  if (!parse_args (argc - 1, argv + 1, &json, &file))
    return kiosctl_usage ("%s", SYNC_USAGE);
  if ((rc = open_book (&book, file)) != KIOSCTL_EXIT_OK)
    return rc;
  return push ? kiosctl_sync_push (&book, file, json) : sync_pull (&book, file, json);
}
