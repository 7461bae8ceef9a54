/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-kobo-client.h"
#include "kios-library-store.h"
#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * A Kobo sync source as a library: its settings, the catalog kept by the
 * v1/library/sync loop, and downloads into the library (KOBO.md §2.3-2.5).
 *
 * - Settings live in the source's settings_json, never a secret:
 *   {"family": "komga", "image_template": "/v1/books/{ImageId}/…",
 *    "library_sync": true}. The image template is stored relative to the
 *   sync URL (the token is not in it).
 * - The consent rule: on Calibre-Web/CWA and Grimmory/BookLore (and unknown
 *   servers) v1/library/sync consumes what the server delivers once per
 *   account, so it is called only when "library_sync" is true (the user's
 *   recorded consent). Komga needs none.
 * - The catalog and the sync token are kept in the store's book meta under
 *   the pseudo-hash "kobo-catalog:<catalog_key>" (or "kobo-source:<name>"
 *   before the source first connected) (keys "kobo.catalog", a JSON
 *   object by entitlement id, and "kobo.sync_token"); the token is written
 *   only after a complete loop, and after the catalog.
 * - A downloaded book records book meta "kobo.source", "kobo.entitlement_id",
 *   "kobo.revision_id", "kobo.format" ("EPUB" or "KEPUB": what Kios fetched)
 *   and "kobo.listed_format" (what DownloadUrls listed: "KEPUB", "EPUB3", …).
 * All calls block (workers, kiosctl).
 */

#define KIOS_KOBO_META_SOURCE "kobo.source"
#define KIOS_KOBO_META_ENTITLEMENT_ID "kobo.entitlement_id"
#define KIOS_KOBO_META_REVISION_ID "kobo.revision_id"
#define KIOS_KOBO_META_FORMAT "kobo.format"               /* what Kios fetched */
#define KIOS_KOBO_META_LISTED_FORMAT "kobo.listed_format" /* DownloadUrls[].Format as listed */
#define KIOS_KOBO_MAX_CATALOG KIOS_LIMIT_KOBO_CATALOG

typedef struct
{
  KiosKoboFamily family;
  char          *image_template; /* relative to the sync URL, or NULL */
  gboolean       library_sync;   /* the user's consent to v1/library/sync */
  char          *catalog_key;    /* names the catalog in book meta; drawn at first connect */
} KiosKoboSettings;

typedef struct
{
  char      *id; /* the entitlement id of every /v1/library/{id} route */
  char      *revision_id;
  char      *title;
  GPtrArray *authors;        /* char * */
  char      *series;         /* nullable */
  char      *cover_image_id; /* nullable */
  GPtrArray *formats;        /* char *: "EPUB3", "KEPUB", … as listed */
  char      *hash;           /* the downloaded book, or NULL */
} KiosKoboEntry;

typedef struct
{
  guint pages;
  guint added;
  guint changed;
  guint removed;
  guint reading_states;
  guint skipped; /* elements of unknown shape */
} KiosKoboSyncStats;

/* clang-format off */
KiosKoboSettings *kios_kobo_settings_parse          (const char             *settings_json);
/* settings_json with these settings merged in (other keys kept). */
char             *kios_kobo_settings_merge          (const char             *settings_json,
                                                     const KiosKoboSettings *settings);
void              kios_kobo_settings_free           (KiosKoboSettings       *self);

/* A client for a "kobo" source: the URL from the keyring, the family and
 * template from its settings (nothing on the network). */
KiosKoboClient   *kios_kobo_source_open             (const KiosSourceRecord *record,
                                                     GCancellable           *cancellable,
                                                     GError                **error);
/* Initialization, then the family and template saved into the source's
 * settings (library_sync kept unless set_consent). */
gboolean          kios_kobo_source_connect          (KiosKoboClient         *client,
                                                     KiosLibraryStore       *store,
                                                     KiosSourceRecord       *record,
                                                     GCancellable           *cancellable,
                                                     GError                **error);
/* KIOS_SYNC_ERROR_UNSUPPORTED with the reason when the consent rule forbids
 * the library sync for this family. */
gboolean          kios_kobo_library_check_consent   (KiosKoboFamily          family,
                                                     gboolean                consent,
                                                     GError                **error);

/* The sync loop with the stored token (see above); checks consent first. */
gboolean          kios_kobo_library_sync            (KiosKoboClient         *client,
                                                     KiosLibraryStore       *store,
                                                     const KiosSourceRecord *record,
                                                     KiosKoboSyncStats      *stats,
                                                     GCancellable           *cancellable,
                                                     GError                **error);
/* The catalog as last synced, by title; element-type KiosKoboEntry. */
GPtrArray        *kios_kobo_catalog_list            (KiosLibraryStore       *store,
                                                     const char             *source_name);
KiosKoboEntry    *kios_kobo_catalog_get             (KiosLibraryStore       *store,
                                                     const char             *source_name,
                                                     const char             *entitlement_id);
char             *kios_kobo_catalog_get_sync_token  (KiosLibraryStore       *store,
                                                     const char             *source_name);
/* Forgets the catalog and the sync token (source removed). */
void              kios_kobo_catalog_clear           (KiosLibraryStore       *store,
                                                     const char             *source_name);

/* Downloads the entry through its DownloadUrls (rewritten onto the sync URL;
 * EPUB preferred, KEPUB when that is all there is) into the library and
 * returns the local path. existing: the file was already there. */
char             *kios_kobo_library_download        (KiosKoboClient         *client,
                                                     KiosLibraryStore       *store,
                                                     const char             *source_name,
                                                     const char             *entitlement_id,
                                                     gboolean               *existing,
                                                     GCancellable           *cancellable,
                                                     GError                **error);
/* Fetches the entry's cover (template, 300×450) into the cover cache;
 * returns its path, or NULL. */
char             *kios_kobo_library_fetch_cover     (KiosKoboClient         *client,
                                                     const KiosKoboEntry    *entry,
                                                     GCancellable           *cancellable,
                                                     GError                **error);

void              kios_kobo_entry_free              (KiosKoboEntry          *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoboSettings, kios_kobo_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoboEntry, kios_kobo_entry_free)

G_END_DECLS
