/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-library-store.h"
#include "kios-readium-client.h"
#include "kios-sync-backend.h"

G_BEGIN_DECLS

/*
 * KiosReadiumBackend: KiosSyncBackend over the Readium progression link of
 * one book downloaded from an OPDS catalog (PRODUCT.md "Which protocol
 * serves a book"). One backend per book: the link is the book's. Its
 * source name is the OPDS source's, so sync state is kept per catalog.
 *
 * Push: locator.href = chapter_href, locations.progression =
 * chapter_progress snapped to Komga's grid (the chapter's uncompressed size
 * is read from the book), totalProgression = total_progress; PDF: position
 * = page. A 409 (the server has something at least as new) reads the
 * server's position once, keeps it as the last remote seen and settles the
 * push: no retry, no overwrite. A read-only server (Stump, 405) settles
 * it too and is remembered (book meta "readium.read_only"), so later pushes
 * make no request.
 *
 * Pull: the remote as KiosSyncBackend wants it (chapter = -1 with
 * chapter_href, chapter_progress and total_progress for EPUB: resolve it
 * with kios_document_normalize_position; PDF: chapter = page index); NULL
 * when the server has none (204, `locator: {}`, Stump's hint-only form).
 * Pull never writes the store.
 *
 * The _sync calls block (workers, kiosctl); the vfuncs run them in GTask
 * workers, one at a time per backend.
 */

#define KIOS_TYPE_READIUM_BACKEND (kios_readium_backend_get_type ())
G_DECLARE_FINAL_TYPE (KiosReadiumBackend, kios_readium_backend, KIOS, READIUM_BACKEND, GObject)

/* clang-format off */
/* The backend for a book whose store meta has "opds.progression" (set by
 * kios_opds_client_download_book), with the credentials of its
 * "opds.source" from the store and the keyring. Blocking. NULL without
 * error when the book has no progression link or its source is gone (the
 * book then falls back to KOReader sync). */
KiosReadiumBackend *kios_readium_backend_new_for_book (KiosLibraryStore        *store,
                                                       const char              *book_hash,
                                                       GCancellable            *cancellable,
                                                       GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* client: transfer full. */
KiosReadiumBackend *kios_readium_backend_new          (KiosLibraryStore        *store,
                                                       const char              *source_name,
                                                       const char              *book_hash,
                                                       KiosReadiumClient       *client) G_GNUC_WARN_UNUSED_RESULT;
KiosReadiumClient  *kios_readium_backend_get_client   (KiosReadiumBackend      *self);
const char         *kios_readium_backend_get_book_hash (KiosReadiumBackend     *self);

/* Blocking forms of push and pull (kiosctl; the vfuncs run these). */
gboolean            kios_readium_backend_push_sync    (KiosReadiumBackend      *self,
                                                       const KiosPosition      *position,
                                                       KiosReadiumPutResult    *result,
                                                       GCancellable            *cancellable,
                                                       GError                 **error);
/* The server's document as it came (nullable out: remote), and the position. */
KiosPosition       *kios_readium_backend_pull_sync    (KiosReadiumBackend      *self,
                                                       KiosBookFormat           format,
                                                       KiosReadiumProgression **remote,
                                                       GCancellable            *cancellable,
                                                       GError                 **error);
/* clang-format on */

G_END_DECLS
