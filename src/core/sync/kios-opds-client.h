/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-book-importer.h"
#include "kios-library-store.h"
#include "kios-limits.h"
#include "kios-opds-feed.h"

G_BEGIN_DECLS

/*
 * One OPDS catalog: fetch pages, search, download, over kios-http. The
 * plain calls block (workers, kiosctl); the _async ones run them in a GTask
 * worker and finish in the caller's main context. A client may be used from
 * several threads: its exchanges take turns. It is reference counted
 * (kios_opds_client_free drops a reference), so a task in flight keeps it.
 *
 * Credentials are scoped to the catalog's origin (scheme, host, port) and
 * never sent anywhere else, not even after a redirect. Over https, Basic is
 * sent at once; over plain http the first request goes without credentials
 * and the challenge decides between Basic and Digest (calibre), so a
 * password never crosses the network in clear to a Digest server; libcurl
 * answers both (kios-http). A 401 is answered once; a second one is a
 * KIOS_SYNC_ERROR_AUTH error naming the realm. An OPDS Authentication
 * Document offering Basic counts as a Basic
 * challenge. Errors are KIOS_SYNC_ERROR_* with redacted URLs, or
 * G_IO_ERROR_CANCELLED.
 */

#define KIOS_OPDS_DEFAULT_MAX_BOOK_SIZE KIOS_LIMIT_OPDS_BOOK_BYTES

typedef struct _KiosOpdsClient KiosOpdsClient;

/* received so far, total (0 when unknown); called on the downloading thread. */
typedef void (*KiosOpdsProgressFunc) (guint64  received,
                                      guint64  total,
                                      gpointer user_data);

/* clang-format off */
KiosOpdsClient *kios_opds_client_new               (const char           *catalog_url,
                                                    const char           *username,
                                                    const char           *password);
KiosOpdsClient *kios_opds_client_ref               (KiosOpdsClient       *self);
void            kios_opds_client_free              (KiosOpdsClient       *self);
const char     *kios_opds_client_get_catalog_url   (KiosOpdsClient       *self);
/* The realm of the last challenge (or auth document title), nullable. */
const char     *kios_opds_client_get_realm         (KiosOpdsClient       *self);
/* nullable: the catalog was opened without an account. */
const char     *kios_opds_client_get_username      (KiosOpdsClient       *self);
char           *kios_opds_client_dup_realm         (KiosOpdsClient       *self);
/* Requests made so far (tests, diagnostics). */
guint           kios_opds_client_get_n_requests    (KiosOpdsClient       *self);
void            kios_opds_client_set_max_feed_size (KiosOpdsClient       *self,
                                                    gsize                 max_size);
void            kios_opds_client_set_max_book_size (KiosOpdsClient       *self,
                                                    gsize                 max_size);
void            kios_opds_client_set_timeout       (KiosOpdsClient       *self,
                                                    guint                 timeout_ms);

/* href NULL = the catalog root; a relative href resolves against the root. */
KiosOpdsFeed   *kios_opds_client_fetch             (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Searches through from's search link (or the root's); an empty query or a
 * 404 (calibre's "No books found") gives an empty feed, not an error. */
KiosOpdsFeed   *kios_opds_client_search            (KiosOpdsClient       *self,
                                                    const KiosOpdsFeed   *from,
                                                    const char           *query,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Streams href into import's sink (memory stays flat; the size limit holds
 * while it arrives). A transfer broken part-way is resumed with Range from
 * what arrived; a server that ignores it and answers 200 makes the import
 * start over with that body; a 206 whose Content-Range does not continue
 * the file or passes the size limit is refused. progress is called on the
 * downloading thread. import is not committed. */
gboolean        kios_opds_client_download          (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    KiosBookImport       *import,
                                                    KiosOpdsProgressFunc  progress,
                                                    gpointer              user_data,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Downloads an entry's book through a KiosBookImport (streamed to a
 * temporary file, validated, deduplicated) into kios_paths_books_dir (),
 * adds it to the library and remembers opds.source, opds.entry_id, opds.acquisition and
 * opds.progression. A book already downloaded from this entry, or with the
 * same KOReader hash, is not duplicated: its path comes back and *existing
 * is TRUE. format: "epub", "pdf" or NULL (the first one Kios opens). */
char           *kios_opds_client_download_book     (KiosOpdsClient       *self,
                                                    KiosLibraryStore     *store,
                                                    const char           *source_name,
                                                    const KiosOpdsEntry  *entry,
                                                    const char           *format,
                                                    KiosOpdsProgressFunc  progress,
                                                    gpointer              user_data,
                                                    gboolean             *existing,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* An image (cover, thumbnail) with the catalog's credentials, at most
 * max_size bytes; the bytes are not checked. */
GBytes         *kios_opds_client_fetch_image       (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    gsize                 max_size,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* The path of the book download_book already stored for this entry and
 * format (and still in the library), or NULL. Blocks on the store; no network. */
char           *kios_opds_client_find_downloaded   (KiosLibraryStore     *store,
                                                    const char           *source_name,
                                                    const KiosOpdsEntry  *entry,
                                                    const char           *format);

void            kios_opds_client_fetch_async       (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
KiosOpdsFeed   *kios_opds_client_fetch_finish      (KiosOpdsClient       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            kios_opds_client_search_async      (KiosOpdsClient       *self,
                                                    const KiosOpdsFeed   *from,
                                                    const char           *query,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
KiosOpdsFeed   *kios_opds_client_search_finish     (KiosOpdsClient       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* progress (nullable) is called in the caller's main context, coalesced,
 * and never after cancellable was cancelled. */
void            kios_opds_client_download_book_async (KiosOpdsClient     *self,
                                                    KiosLibraryStore     *store,
                                                    const char           *source_name,
                                                    const KiosOpdsEntry  *entry,
                                                    const char           *format,
                                                    KiosOpdsProgressFunc  progress,
                                                    gpointer              progress_data,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char           *kios_opds_client_download_book_finish (KiosOpdsClient    *self,
                                                    GAsyncResult         *result,
                                                    gboolean             *existing,
                                                    GError              **error);
void            kios_opds_client_fetch_image_async (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    gsize                 max_size,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GBytes         *kios_opds_client_fetch_image_finish (KiosOpdsClient      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* A cover into the cover cache ("opds-<sha256 of href>.img"), fetched only
 * when it is not there yet; what is not a JPEG, PNG, GIF or WebP is refused
 * and not cached. Returns the cached file. */
/* Where a cover of href is cached (it may not be there). */
char           *kios_opds_cover_cache_path         (const char           *href);
char           *kios_opds_client_fetch_cover       (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    gsize                 max_size,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
void            kios_opds_client_fetch_cover_async (KiosOpdsClient       *self,
                                                    const char           *href,
                                                    gsize                 max_size,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char           *kios_opds_client_fetch_cover_finish (KiosOpdsClient      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* An "opds" source: its URL and credentials from the keyring, a client,
 * then the catalog's root. The client comes back even when the root failed
 * (error set, *root NULL) so a sign-in can follow; NULL only when the
 * source could not be loaded or the work was cancelled. realm (nullable
 * out): the last challenge's realm. */
void            kios_opds_source_open_async        (const KiosSourceRecord *record,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
KiosOpdsClient *kios_opds_source_open_finish       (GAsyncResult         *result,
                                                    KiosOpdsFeed        **root,
                                                    char                **realm,
                                                    GError              **error);

/* The one list of places an OPDS catalog lives on a server (the usual
 * paths of the families in OPDS.md), as URLs on url's origin: under url's
 * path first (a reverse-proxy prefix), then at the root; url itself left
 * out. Most likely first. */
GPtrArray      *kios_opds_catalog_candidates       (const char           *url) G_GNUC_WARN_UNUSED_RESULT;
/* When the catalog's address answered with something that is no catalog:
 * the first of kios_opds_catalog_candidates () that answers a feed or asks
 * for credentials (NULL otherwise, and no error). For "Did you mean …?";
 * the source test and the catalog view both use it. */
char           *kios_opds_client_suggest_catalog   (KiosOpdsClient       *self,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
void            kios_opds_client_suggest_catalog_async (KiosOpdsClient   *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char           *kios_opds_client_suggest_catalog_finish (KiosOpdsClient  *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosOpdsClient, kios_opds_client_free)

G_END_DECLS
