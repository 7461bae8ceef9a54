/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * Per-source sync settings kept in the source's settings_json (never
 * secrets), and the book meta that pairs a local book with a server entry.
 *
 * - "match" (KOReader sync accounts): how a book is named to the server,
 *   as KOReader's own setting does: "binary" (the partial MD5 of the file,
 *   the default) or "filename" (the MD5 of the file's base name with its
 *   extension, e.g. md5 ("pride.epub")).
 * - "bridge" (any source, default off): the book's position also goes to
 *   and comes from the other protocols that know the book (kios-sync-bridge.h).
 */

typedef enum {
  KIOS_KOSYNC_MATCH_BINARY = 0,
  KIOS_KOSYNC_MATCH_FILENAME,
} KiosKosyncMatch;

/* Book meta of a hand-made pairing with a KOReader sync server's entry:
 * the account's name and the document id the server knows the book by. */
#define KIOS_KOSYNC_META_SOURCE "kosync.source"
#define KIOS_KOSYNC_META_DOCUMENT "kosync.document"

/* clang-format off */
/* "binary" | "filename" */
const char      *kios_kosync_match_to_string      (KiosKosyncMatch         match);
gboolean         kios_kosync_match_from_string    (const char             *str,
                                                   KiosKosyncMatch        *match);
/* md5 hex (lower case) of path's base name: KOReader's "filename" id. */
char            *kios_kosync_filename_digest      (const char             *path) G_GNUC_WARN_UNUSED_RESULT;
/* One sentence for the connection test and the settings: what the method
 * means for which books match. */
const char      *kios_kosync_match_explain        (KiosKosyncMatch         match);
/* A document id KOReader sync servers route: 1..64 of [A-Za-z0-9_]. */
gboolean         kios_kosync_document_id_is_valid (const char             *id);

KiosKosyncMatch  kios_source_record_get_match     (const KiosSourceRecord *self);
void             kios_source_record_set_match     (KiosSourceRecord       *self,
                                                   KiosKosyncMatch         match);
gboolean         kios_source_record_get_bridge    (const KiosSourceRecord *self);
void             kios_source_record_set_bridge    (KiosSourceRecord       *self,
                                                   gboolean                bridge);
/* clang-format on */

G_END_DECLS
