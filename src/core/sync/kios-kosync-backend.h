/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-kosync-client.h"
#include "kios-sync-backend.h"

G_BEGIN_DECLS

/*
 * KiosKosyncBackend: KiosSyncBackend over KiosKosyncClient (KOReader sync,
 * the global account). EPUB progress is the xpointer, PDF progress the
 * 1-based page number string, percentage the total progress.
 */

#define KIOS_TYPE_KOSYNC_BACKEND (kios_kosync_backend_get_type ())
G_DECLARE_FINAL_TYPE (KiosKosyncBackend, kios_kosync_backend, KIOS, KOSYNC_BACKEND, GObject)

/* clang-format off */
/* source_name: the store's name of the account; client: configured, with its device set. */
KiosKosyncBackend *kios_kosync_backend_new        (const char        *source_name,
                                                   KiosKosyncClient  *client) G_GNUC_WARN_UNUSED_RESULT;
KiosKosyncClient  *kios_kosync_backend_get_client (KiosKosyncBackend *self);
/* The remote position as the engine wants it (see KiosSyncBackend.pull_async). */
KiosPosition      *kios_kosync_remote_to_position (const KiosRemotePosition *remote,
                                                   KiosBookFormat            format) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
