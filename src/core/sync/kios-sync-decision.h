/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-document.h"
#include "kios-kosync-client.h"
#include "kios-position.h"
#include "kios-sync-remote.h"

G_BEGIN_DECLS

/*
 * What to do with a remote position once it is resolved in this book
 * (PRODUCT.md "Sync behaviour", Decide). A pure function: the caller
 * resolves the remote xpointer or page with the document (falling back to
 * the remote percentage when it does not resolve) and says where both
 * positions fall at the current layout when it knows.
 */

typedef enum {
  KIOS_SYNC_DECISION_NONE = 0,       /* nothing to do */
  KIOS_SYNC_DECISION_PROMPT,         /* show "Another device is in ‘…’ — switch?" */
  KIOS_SYNC_DECISION_APPLY_SILENTLY, /* slightly ahead: just go there */
  KIOS_SYNC_DECISION_IGNORE_BEHIND,  /* behind the local position: ignore */
} KiosSyncDecision;

/* A typical screen page of text, when a position cannot be laid out. */
#define KIOS_SYNC_DEFAULT_PAGE_CHARS 1500

typedef struct
{
  const KiosPosition *local;             /* nullable: the book was never read here */
  const KiosPosition *remote;            /* nullable: the server has nothing */
  int                 local_page;        /* page in its chapter at the current layout, or -1 */
  int                 remote_page;       /* likewise, or -1 */
  gint64              screen_page_chars; /* characters per screen page; <= 0: the default */
  gboolean            page_turned;       /* the reader turned a page since the book opened */
  const char         *own_device_id;     /* nullable */
  const char         *remote_device_id;  /* nullable */
} KiosSyncDecisionInput;

/* clang-format off */
KiosSyncDecision  kios_sync_decide                (const KiosSyncDecisionInput *input,
                                                   char                       **reason);
const char       *kios_sync_decision_to_string    (KiosSyncDecision             decision);
/* Resolves a kosync remote position in this book (blocking: workers,
 * kiosctl), as kios_sync_resolve_position () does (kios-sync-pipeline.c). */
KiosPosition     *kios_sync_resolve_remote        (KiosDocument                *document,
                                                   const KiosRemotePosition    *remote,
                                                   GError                     **error);
/* clang-format on */

G_END_DECLS
