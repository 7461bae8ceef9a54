/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-kobo-client.h"
#include "kios-kosync-client.h"
#include "kios-position.h"
#include "kios-readium-client.h"

G_BEGIN_DECLS

/*
 * A remote position as the server said it, for each protocol, and the one
 * normaliser that turns every server family's forms into a KiosPosition the
 * document layer resolves (docs/protocols/KOSYNC.md §4, KOBO.md §4,
 * OPDS.md §4): KOReader xpointers in the classic and the "[1]" forms, the
 * index-less one-item spine, crengine's "#_doc_fragment<i>_…" ids (Kavita),
 * Komga's chapter starts, PDF page strings, percentages only; Kobo's
 * Location.Source + ContentSourceProgressPercent + ProgressPercent;
 * Readium's locator href + progression (or page). Pure functions: no I/O.
 */

typedef enum {
  KIOS_SYNC_PROTOCOL_KOSYNC = 0,
  KIOS_SYNC_PROTOCOL_KOBO,
  KIOS_SYNC_PROTOCOL_READIUM,
} KiosSyncProtocol;

typedef struct
{
  KiosSyncProtocol        protocol;
  KiosRemotePosition     *kosync;  /* KIOS_SYNC_PROTOCOL_KOSYNC */
  KiosKoboReadingState   *kobo;    /* KIOS_SYNC_PROTOCOL_KOBO */
  KiosReadiumProgression *readium; /* KIOS_SYNC_PROTOCOL_READIUM */
} KiosSyncRemote;

/* clang-format off */
/* "kosync", "kobo" or "readium". */
const char     *kios_sync_protocol_to_string  (KiosSyncProtocol        protocol);

/* Each takes ownership of what the client returned. */
KiosSyncRemote *kios_sync_remote_new_kosync   (KiosRemotePosition     *remote);
KiosSyncRemote *kios_sync_remote_new_kobo     (KiosKoboReadingState   *state);
KiosSyncRemote *kios_sync_remote_new_readium  (KiosReadiumProgression *progression);
KiosSyncRemote *kios_sync_remote_copy         (const KiosSyncRemote   *self);
void            kios_sync_remote_free         (KiosSyncRemote         *self);

/* The remote as a position of a book of this format, not yet resolved in
 * the book: xpointer (EPUB, normalised) or chapter = page index (PDF, else
 * -1), chapter_href + chapter_progress (Kobo, Readium), total_progress
 * (0..1), updated_at (unix seconds), device, device_id. Never NULL. */
KiosPosition   *kios_sync_normalize_remote    (const KiosSyncRemote   *remote,
                                               KiosBookFormat          format);
/* Rewrites the xpointer forms KOReader and the servers produce into the one
 * the document layer parses: "/body[1]/…[1]" prefixes, index-less
 * DocFragment, "#_doc_fragment<i>_…" ids. NULL when it is none of them. */
char           *kios_sync_normalize_xpointer  (const char             *progress);
/* A KOReader PDF progress: a whole 1-based page number → 0-based page, else -1. */
int             kios_sync_normalize_page      (const char             *progress);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSyncRemote, kios_sync_remote_free)

G_END_DECLS
