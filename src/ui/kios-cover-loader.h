/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gtk/gtk.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * The cover of a book on this computer, for its card, decoded on a worker:
 *
 * - the book's cover_path when it has one, else the cover made earlier in
 *   the cache (covers/HASH.png, where opening a book puts its first page);
 * - else, for an EPUB, the cover picture its package names, read from the
 *   book (never more than KIOS_LIMIT_IMAGE_PIXELS decoded), scaled down to
 *   twice a card's size and kept in the cache (a private directory, the
 *   file 0600) under the book's hash, where the next load finds it: a book
 *   added by kiosctl or a books folder gets its real cover the first time
 *   its card appears, without being opened. The library's record is left
 *   alone (a write from a stale copy could undo a removal or a move).
 *
 * The texture is exactly width × height (pixels: the slot times the
 * screen's scale), the picture scaled to fill it and cut where it sticks
 * out, made on the worker: a KiosCover of that slot draws it as it is, and
 * a grid of covers costs little memory. Fails with
 * G_IO_ERROR_NOT_FOUND when the book has no cover to show yet.
 */

/* clang-format off */
void        kios_cover_loader_load_async  (const KiosBookRecord *book,
                                           int                   width,
                                           int                   height,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GdkTexture *kios_cover_loader_load_finish (GAsyncResult         *result,
                                           GError              **error);
/* The cache file a book's cover is kept in (the directory is made). */
char       *kios_cover_loader_cache_path  (const char           *hash);
/* clang-format on */

G_END_DECLS
