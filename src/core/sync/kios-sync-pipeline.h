/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-document.h"
#include "kios-sync-backend.h"
#include "kios-sync-decision.h"
#include "kios-sync-remote.h"

G_BEGIN_DECLS

/*
 * The one pull pipeline every protocol and every caller goes through
 * (PRODUCT.md "Sync behaviour"): pull through the backend → normalise the
 * remote (kios-sync-remote.h) → resolve it in this book at a layout →
 * decide (kios_sync_decide). The engine calls the _async variant, kiosctl
 * the blocking one; both give the same outcome for the same remote, book
 * and layout.
 */

/* "One screen page" for the decision is a page of the document's layout
 * (kios_document_set_layout: the reader's in the app; 600 × 800 CSS px at
 * 18 px until one is set, which is what kiosctl and the parity test use).
 * The box below sizes a PDF page's fit only. */
#define KIOS_SYNC_PIPELINE_BOX_WIDTH 600
#define KIOS_SYNC_PIPELINE_BOX_HEIGHT 800

typedef struct
{
  double box_width; /* the reader's page box (CSS px); <= 0: the default */
  double box_height;
  /* When set, applied to the document first with kios_document_set_layout
   * (only a caller that owns the document and runs on its thread: kiosctl).
   * NULL: the document's current layout (the engine: the reader's). */
  const KiosLayout *layout;
  gboolean          page_turned;   /* the reader turned a page since the book opened */
  const char       *own_device_id; /* NULL: this installation's */
} KiosSyncPipelineOptions;

typedef struct
{
  KiosSyncProtocol  protocol;
  char             *source;    /* the store's name of the source asked */
  KiosSyncPrecision precision; /* what that server keeps of a position */
  KiosSyncRemote   *raw;       /* what the server said; NULL: it has nothing */
  KiosPosition     *remote;    /* raw, normalised; not resolved in the book */
  KiosPosition     *target;    /* the remote's page here (its canonical position, with
                                * the remote's time and device); NULL when the server has
                                * nothing or it does not resolve in this book */
  KiosSyncDecision decision;
  char            *reason;
  char            *title; /* for the banner: the chapter, or "Page N" / "Chapter N" */
  /* A bridged book (kios-sync-bridge.h): every protocol's outcome, the
   * primary first, this one among them; NULL otherwise. */
  GPtrArray *remotes; /* element-type KiosSyncOutcome */
} KiosSyncOutcome;

/* clang-format off */
void             kios_sync_pipeline_options_init (KiosSyncPipelineOptions       *opts);

/* Blocking (workers, kiosctl). local: this device's position, nullable.
 * opts: nullable for the defaults. NULL with error when the pull failed
 * (KIOS_SYNC_ERROR_*, G_IO_ERROR_CANCELLED); an outcome otherwise, also
 * when the server has nothing or the remote does not fit the book. */
KiosSyncOutcome *kios_sync_pipeline_run          (KiosSyncBackend               *backend,
                                                  KiosDocument                  *document,
                                                  const char                    *book_hash,
                                                  const KiosPosition            *local,
                                                  const KiosSyncPipelineOptions *opts,
                                                  GCancellable                  *cancellable,
                                                  GError                       **error);
/* The same in a GTask worker; opts->layout must be NULL here. */
void             kios_sync_pipeline_run_async    (KiosSyncBackend               *backend,
                                                  KiosDocument                  *document,
                                                  const char                    *book_hash,
                                                  const KiosPosition            *local,
                                                  const KiosSyncPipelineOptions *opts,
                                                  GCancellable                  *cancellable,
                                                  GAsyncReadyCallback            callback,
                                                  gpointer                       user_data);
KiosSyncOutcome *kios_sync_pipeline_run_finish   (GAsyncResult                  *result,
                                                  GError                       **error);

/* The resolve and decide steps alone, for a remote already pulled. */
KiosSyncOutcome *kios_sync_pipeline_decide       (KiosSyncRemote                *raw,
                                                  KiosDocument                  *document,
                                                  const KiosPosition            *local,
                                                  const KiosSyncPipelineOptions *opts);
/* Resolves a normalised remote in this book (blocking): the xpointer or
 * page when it resolves, else the chapter + progression, else the
 * percentage; a chapter-start xpointer (Komga, Kavita ids) is refined by
 * the percentage when both name the same chapter. updated_at, device and
 * device_id come from the remote. NULL when nothing of it resolves. */
KiosPosition    *kios_sync_resolve_position      (KiosDocument                  *document,
                                                  const KiosPosition            *remote,
                                                  GError                       **error);

KiosSyncOutcome *kios_sync_outcome_copy          (const KiosSyncOutcome         *self);
void             kios_sync_outcome_free          (KiosSyncOutcome               *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSyncOutcome, kios_sync_outcome_free)

G_END_DECLS
