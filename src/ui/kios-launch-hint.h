/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-document.h"

G_BEGIN_DECLS

/*
 * KiosLaunchHint: how the first page on screen was asked for (its box,
 * scale, colours and EPUB layout) in a window of a given size, remembered
 * in the cache directory so the next start on a book in a window of that
 * size renders the page while the toolkit starts up
 * (kios_document_open_at_async()). Read back as hostile: a value out of its
 * range drops the hint.
 */

typedef struct
{
  KiosPageRequest request;
  KiosLayout      layout;
  gboolean        has_layout;
} KiosLaunchHint;

/* clang-format off */
/* The hint for a book of book_path's format (by its content: reads its
 * first bytes) in a window of width × height; FALSE when there is none
 * that fits. */
gboolean kios_launch_hint_load       (const char           *book_path,
                                      int                   window_width,
                                      int                   window_height,
                                      KiosLaunchHint       *hint);
/* Without a hint: how a window of width × height with the reader settings
 * in settings will most likely ask for the book's first page (worked out
 * from the default window's chrome); FALSE when that cannot be told. */
gboolean kios_launch_hint_guess      (const char           *book_path,
                                      int                   window_width,
                                      int                   window_height,
                                      GSettings            *settings,
                                      KiosLaunchHint       *hint);
/* Remembers how document's first page was asked for in a window of
 * width × height, in the background, unless known (same as known). */
void     kios_launch_hint_save_async (KiosDocument         *document,
                                      int                   window_width,
                                      int                   window_height,
                                      const KiosLaunchHint *known);
/* clang-format on */

G_END_DECLS
