/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-kobo-library.h"

G_BEGIN_DECLS

/*
 * The Kobo source flow the app and kiosctl share: open the source (its URL
 * from the keyring), connect (v1/initialization; family and template saved),
 * apply the consent rule, run the library sync where it is allowed, and list
 * the catalog; plus downloads (through KiosBookImport) and covers. Each step
 * has a blocking form (workers, kiosctl) and an _async/_finish pair on a
 * GTask worker; results arrive in the caller's main context. The record is
 * copied: the caller's may be freed at once.
 */

typedef struct
{
  KiosSourceRecord *record;        /* the store's, with what the connect saved */
  KiosKoboFamily    family;        /* as recognised; UNKNOWN when the connect failed */
  gboolean          connected;     /* v1/initialization answered as a Kobo sync server */
  gboolean          needs_consent; /* the consent rule forbids the library sync: nothing was listed */
  GPtrArray        *entries;       /* KiosKoboEntry by title; NULL when needs_consent */
  char             *warning;       /* the connect or sync failed; entries are the stored catalog */
  GError           *failure;       /* that failure, for the error table; or NULL */
  KiosKoboSyncStats stats;
} KiosKoboRefresh;

/* clang-format off */
KiosKoboRefresh *kios_kobo_source_refresh          (KiosLibraryStore       *store,
                                                    const KiosSourceRecord *record,
                                                    GCancellable           *cancellable,
                                                    GError                **error);
void             kios_kobo_source_refresh_async    (KiosLibraryStore       *store,
                                                    const KiosSourceRecord *record,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KiosKoboRefresh *kios_kobo_source_refresh_finish   (GAsyncResult           *result,
                                                    GError                **error);
void             kios_kobo_refresh_free            (KiosKoboRefresh        *self);

/* Records the user's answer to the consent question in the source's
 * settings (the store's record; nothing on the network). */
gboolean         kios_kobo_source_set_consent      (KiosLibraryStore       *store,
                                                    const char             *source_name,
                                                    gboolean                consent,
                                                    GError                **error);
void             kios_kobo_source_set_consent_async  (KiosLibraryStore     *store,
                                                    const KiosSourceRecord *record,
                                                    gboolean                consent,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gboolean         kios_kobo_source_set_consent_finish (GAsyncResult         *result,
                                                    GError                **error);

/* Open and connect: the source answers as a Kobo sync server (its family in
 * the returned record's settings), or an error says why not. */
void             kios_kobo_source_connect_async    (KiosLibraryStore       *store,
                                                    const KiosSourceRecord *record,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
KiosSourceRecord *kios_kobo_source_connect_finish  (GAsyncResult           *result,
                                                    GError                **error);

/* kios_kobo_library_download for a source record; hash (nullable out) is
 * the book's in the library. */
char            *kios_kobo_source_download         (KiosLibraryStore       *store,
                                                    const KiosSourceRecord *record,
                                                    const char             *entitlement_id,
                                                    char                  **hash,
                                                    gboolean               *existing,
                                                    GCancellable           *cancellable,
                                                    GError                **error);
void             kios_kobo_source_download_async   (KiosLibraryStore       *store,
                                                    const KiosSourceRecord *record,
                                                    const char             *entitlement_id,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
char            *kios_kobo_source_download_finish  (GAsyncResult           *result,
                                                    char                  **hash,
                                                    gboolean               *existing,
                                                    GError                **error);

/* Covers of several entries, one request at a time, each reported through
 * each_cb in the caller's main context as it lands in the cover cache
 * (index into cover_image_ids, the cached file). NULL ids are skipped.
 * each_cb is never called after cancellable was cancelled. */
typedef void (*KiosKoboCoverFunc) (guint       index,
                                   const char *cover_image_id,
                                   const char *path,
                                   gpointer    user_data);

void             kios_kobo_source_fetch_covers_async  (const KiosSourceRecord *record,
                                                    GPtrArray              *cover_image_ids,
                                                    KiosKoboCoverFunc       each_cb,
                                                    gpointer                each_data,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gboolean         kios_kobo_source_fetch_covers_finish (GAsyncResult         *result,
                                                    GError                **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoboRefresh, kios_kobo_refresh_free)

G_END_DECLS
