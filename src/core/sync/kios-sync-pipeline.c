/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-pipeline"

#include "config.h"

#include "kios-sync-pipeline.h"

#include "kios-error.h"
#include "kios-paths.h"
#include "kios-sync-bridge.h"
#include "kios-sync-error.h"

#include <string.h>

void
kios_sync_pipeline_options_init (KiosSyncPipelineOptions *opts)
{
  g_return_if_fail (opts != NULL);

  memset (opts, 0, sizeof *opts);
  opts->box_width = KIOS_SYNC_PIPELINE_BOX_WIDTH;
  opts->box_height = KIOS_SYNC_PIPELINE_BOX_HEIGHT;
}

void
kios_sync_outcome_free (KiosSyncOutcome *self)
{
  if (self == NULL)
    return;
  g_free (self->source);
  kios_sync_remote_free (self->raw);
  kios_position_free (self->remote);
  kios_position_free (self->target);
  g_free (self->reason);
  g_free (self->title);
  g_clear_pointer (&self->remotes, g_ptr_array_unref);
  g_free (self);
}

KiosSyncOutcome *
kios_sync_outcome_copy (const KiosSyncOutcome *self)
{
  KiosSyncOutcome *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (KiosSyncOutcome, 1);
  copy->protocol = self->protocol;
  copy->source = g_strdup (self->source);
  copy->precision = self->precision;
  copy->raw = self->raw != NULL ? kios_sync_remote_copy (self->raw) : NULL;
  copy->remote = kios_position_copy (self->remote);
  copy->target = kios_position_copy (self->target);
  copy->decision = self->decision;
  copy->reason = g_strdup (self->reason);
  copy->title = g_strdup (self->title);
  if (self->remotes != NULL)
    copy->remotes = g_ptr_array_ref (self->remotes);
  return copy;
}

/* ---- resolve ------------------------------------------------------------- */

/* The typed lookups answer NULL and log why: another strategy may resolve. */
static KiosPosition *
resolved (KiosPosition *position,
          const GError *error)
{
  if (position == NULL)
    g_debug ("cannot resolve a remote position here: %s", error->message);
  return position;
}

static KiosPosition *
at_progress (KiosDocument       *document,
             const KiosPosition *remote)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position;

  position = kios_document_position_at_progress (document, CLAMP (remote->total_progress, 0.0, 1.0), &error);
  return resolved (position, error);
}

static KiosPosition *
at_xpointer (KiosDocument *document,
             const char   *xpointer)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_document_position_at_xpointer (document, xpointer, &error);

  return resolved (position, error);
}

static KiosPosition *
at_chapter_start (KiosDocument *document,
                  int           chapter)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_document_position_at_chapter (document, chapter, 0, &error);

  return resolved (position, error);
}

static KiosPosition *
at_page (KiosDocument *document,
         int           page)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_document_position_at_page (document, page, &error);

  return resolved (position, error);
}

static gboolean
fragment_index (const char *xpointer,
                int        *index)
{
  const char *p = strstr (xpointer, "DocFragment[");

  if (p == NULL || !g_ascii_isdigit (p[12]))
    return FALSE;
  *index = (int) g_ascii_strtoll (p + 12, NULL, 10);
  return *index >= 1;
}

/* "/body/DocFragment[N].0": Komga's answer, a Kavita id, a chapter start. */
static gboolean
is_chapter_start (const char *xpointer)
{
  const char *close = strchr (xpointer, ']');

  return close != NULL && g_str_equal (close, "].0");
}

static KiosPosition *
resolve_xpointer (KiosDocument       *document,
                  const KiosPosition *remote)
{
  g_autoptr (KiosPosition) exact = at_xpointer (document, remote->xpointer);
  g_autoptr (KiosPosition) by_percent = NULL;
  int                      fragment = 0;

  if (!fragment_index (remote->xpointer, &fragment) || (exact != NULL && !is_chapter_start (remote->xpointer)))
    return exact != NULL ? g_steal_pointer (&exact) : at_progress (document, remote);

  /* A coarse or unresolvable xpointer still names its chapter: the
   * percentage refines it when it lands in that same chapter. */
  by_percent = at_progress (document, remote);
  if (by_percent != NULL && by_percent->chapter == fragment - 1 && remote->total_progress > 0)
    return g_steal_pointer (&by_percent);
  if (exact != NULL)
    return g_steal_pointer (&exact);
  {
    KiosPosition *position = at_chapter_start (document, fragment - 1);

    return position != NULL ? position : g_steal_pointer (&by_percent);
  }
}

static KiosPosition *
resolve_href (KiosDocument       *document,
              const KiosPosition *remote)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_document_normalize_position (document, remote, &error);

  if (position == NULL)
    g_debug ("the remote chapter “%s” is not in this book: %s", remote->chapter_href, error->message);
  return position;
}

KiosPosition *
kios_sync_resolve_position (KiosDocument       *document,
                            const KiosPosition *remote,
                            GError            **error)
{
  KiosPosition *result = NULL;

  g_return_val_if_fail (KIOS_IS_DOCUMENT (document), NULL);
  g_return_val_if_fail (remote != NULL, NULL);

  if (kios_document_get_format (document) == KIOS_BOOK_FORMAT_PDF)
    {
      if (remote->chapter >= 0)
        result = at_page (document, remote->chapter);
    }
  else if (remote->xpointer != NULL)
    result = resolve_xpointer (document, remote);
  else if (remote->chapter_href != NULL)
    result = resolve_href (document, remote);
  if (result == NULL)
    result = at_progress (document, remote);

  if (result == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                   "The other device's position does not resolve in this book");
      return NULL;
    }
  /* Who and when come from the server, not from this book. */
  result->updated_at = remote->updated_at;
  g_free (result->device);
  result->device = g_strdup (remote->device);
  g_free (result->device_id);
  result->device_id = g_strdup (remote->device_id);
  return result;
}

KiosPosition *
kios_sync_resolve_remote (KiosDocument             *document,
                          const KiosRemotePosition *remote,
                          GError                  **error)
{
  g_autoptr (KiosPosition) normalised = NULL;
  KiosSyncRemote           wrapper = { KIOS_SYNC_PROTOCOL_KOSYNC, (KiosRemotePosition *) remote, NULL, NULL };

  g_return_val_if_fail (KIOS_IS_DOCUMENT (document), NULL);
  g_return_val_if_fail (remote != NULL, NULL);

  normalised = kios_sync_normalize_remote (&wrapper, kios_document_get_format (document));
  return kios_sync_resolve_position (document, normalised, error);
}

/* ---- decide -------------------------------------------------------------- */

/* The page holding position at the layout: where "one screen page" is measured. */
static KiosPage *
page_at (KiosDocument                  *document,
         const KiosPosition            *position,
         const KiosSyncPipelineOptions *opts)
{
  g_autoptr (GError) error = NULL;
  KiosPageRequest    request;
  KiosPage          *page;

  kios_page_request_init (&request);
  request.kind = KIOS_PAGE_REQUEST_POSITION;
  request.position = position;
  request.position_only = TRUE;
  request.box_width = opts->box_width > 0 ? opts->box_width : KIOS_SYNC_PIPELINE_BOX_WIDTH;
  request.box_height = opts->box_height > 0 ? opts->box_height : KIOS_SYNC_PIPELINE_BOX_HEIGHT;
  page = kios_document_render_sync (document, &request, &error);
  if (page != NULL && page->position == NULL)
    g_clear_pointer (&page, kios_page_free);
  if (page == NULL)
    g_debug ("no page for a position here: %s", error != NULL ? error->message : "no position");
  return page;
}

static char *
banner_title (const KiosPosition *target)
{
  if (target->chapter_title != NULL)
    return g_strdup (target->chapter_title);
  if (target->format == KIOS_BOOK_FORMAT_PDF)
    return g_strdup_printf ("Page %d", target->chapter + 1);
  return g_strdup_printf ("Chapter %d", target->chapter + 1);
}

static void
set_reason (KiosSyncOutcome *outcome,
            const char      *reason)
{
  g_free (outcome->reason);
  outcome->reason = g_strdup (reason);
}

KiosSyncOutcome *
kios_sync_pipeline_decide (KiosSyncRemote                *raw,
                           KiosDocument                  *document,
                           const KiosPosition            *local,
                           const KiosSyncPipelineOptions *opts)
{
  KiosSyncPipelineOptions  defaults;
  KiosSyncOutcome         *outcome = g_new0 (KiosSyncOutcome, 1);
  g_autoptr (KiosPosition) resolved = NULL;
  g_autoptr (KiosPage)     remote_page = NULL;
  g_autoptr (KiosPage)     local_page = NULL;
  g_autoptr (GError)       error = NULL;
  g_autofree char         *own_id = NULL;
  KiosSyncDecisionInput    input = { 0 };

  g_return_val_if_fail (KIOS_IS_DOCUMENT (document), NULL);

  if (opts == NULL)
    {
      kios_sync_pipeline_options_init (&defaults);
      opts = &defaults;
    }
  if (opts->layout != NULL)
    kios_document_set_layout (document, opts->layout);
  own_id = opts->own_device_id != NULL ? g_strdup (opts->own_device_id) : kios_paths_device_id ();
  outcome->raw = raw;
  if (raw != NULL)
    {
      outcome->protocol = raw->protocol;
      outcome->remote = kios_sync_normalize_remote (raw, kios_document_get_format (document));
      resolved = kios_sync_resolve_position (document, outcome->remote, &error);
    }

  if (resolved != NULL)
    {
      remote_page = page_at (document, resolved, opts);
      if (local != NULL)
        local_page = page_at (document, local, opts);
      /* The remote's page here: where Continue goes. */
      outcome->target = kios_position_copy (remote_page != NULL ? remote_page->position : resolved);
      outcome->target->updated_at = resolved->updated_at;
      g_free (outcome->target->device);
      outcome->target->device = g_strdup (resolved->device);
      g_free (outcome->target->device_id);
      outcome->target->device_id = g_strdup (resolved->device_id);
      outcome->title = banner_title (outcome->target);
    }

  input.local = local_page != NULL ? local_page->position : local;
  input.remote = outcome->target;
  input.local_page = -1;
  input.remote_page = -1;
  if (local_page != NULL && remote_page != NULL && local_page->location.chapter == remote_page->location.chapter)
    {
      input.local_page = local_page->location.page;
      input.remote_page = remote_page->location.page;
    }
  input.page_turned = opts->page_turned;
  input.own_device_id = own_id;
  input.remote_device_id = outcome->remote != NULL ? outcome->remote->device_id : NULL;
  outcome->decision = kios_sync_decide (&input, &outcome->reason);
  if (raw != NULL && resolved == NULL)
    {
      outcome->decision = KIOS_SYNC_DECISION_NONE;
      set_reason (outcome, "the other device's position does not resolve in this book");
    }
  return outcome;
}

/* ---- the whole pipeline -------------------------------------------------- */

KiosSyncOutcome *
kios_sync_pipeline_run (KiosSyncBackend               *backend,
                        KiosDocument                  *document,
                        const char                    *book_hash,
                        const KiosPosition            *local,
                        const KiosSyncPipelineOptions *opts,
                        GCancellable                  *cancellable,
                        GError                       **error)
{
  KiosBookFormat   format;
  KiosSyncRemote  *raw;
  KiosSyncOutcome *outcome;
  GError          *local_error = NULL;

  g_return_val_if_fail (KIOS_IS_SYNC_BACKEND (backend), NULL);
  g_return_val_if_fail (KIOS_IS_DOCUMENT (document), NULL);
  g_return_val_if_fail (book_hash != NULL, NULL);

  /* A bridged book: every protocol that knows it, the furthest ahead wins. */
  if (KIOS_IS_SYNC_BRIDGE (backend))
    return kios_sync_bridge_run (KIOS_SYNC_BRIDGE (backend), document, book_hash, local, opts, cancellable, error);

  format = kios_document_get_format (document);

  raw = kios_sync_backend_pull_remote (backend, book_hash, format, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      kios_sync_remote_free (raw);
      return NULL;
    }

  outcome = kios_sync_pipeline_decide (raw, document, local, opts);
  outcome->source = g_strdup (kios_sync_backend_get_source_name (backend));
  outcome->precision = kios_sync_backend_get_precision (backend, format);
  if (raw == NULL)
    outcome->protocol = kios_sync_backend_get_protocol (backend);
  return outcome;
}

typedef struct
{
  KiosDocument           *document;
  char                   *hash;
  KiosPosition           *local;
  KiosSyncPipelineOptions opts;
  char                   *own_device_id;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_object (&data->document);
  g_free (data->hash);
  kios_position_free (data->local);
  g_free (data->own_device_id);
  g_free (data);
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  RunData         *data = task_data;
  GError          *error = NULL;
  KiosSyncOutcome *outcome;

  outcome = kios_sync_pipeline_run (source_object, data->document, data->hash, data->local, &data->opts,
                                    cancellable, &error);
  if (outcome == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, outcome, (GDestroyNotify) kios_sync_outcome_free);
}

void
kios_sync_pipeline_run_async (KiosSyncBackend               *backend,
                              KiosDocument                  *document,
                              const char                    *book_hash,
                              const KiosPosition            *local,
                              const KiosSyncPipelineOptions *opts,
                              GCancellable                  *cancellable,
                              GAsyncReadyCallback            callback,
                              gpointer                       user_data)
{
  g_autoptr (GTask) task = NULL;
  RunData          *data;

  g_return_if_fail (KIOS_IS_SYNC_BACKEND (backend));
  g_return_if_fail (KIOS_IS_DOCUMENT (document));
  g_return_if_fail (book_hash != NULL);
  g_return_if_fail (opts == NULL || opts->layout == NULL);

  data = g_new0 (RunData, 1);
  data->document = g_object_ref (document);
  data->hash = g_strdup (book_hash);
  data->local = kios_position_copy (local);
  if (opts != NULL)
    data->opts = *opts;
  else
    kios_sync_pipeline_options_init (&data->opts);
  data->own_device_id = g_strdup (data->opts.own_device_id);
  data->opts.own_device_id = data->own_device_id;

  task = g_task_new (backend, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_sync_pipeline_run_async);
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  g_task_run_in_thread (task, run_thread);
}

KiosSyncOutcome *
kios_sync_pipeline_run_finish (GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_sync_pipeline_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
