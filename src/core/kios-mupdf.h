/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>
#include <mupdf/fitz.h>

#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * The process-wide MuPDF base context. Every thread that uses MuPDF takes its
 * own clone (kios_mupdf_new_context): clones share the resource store, the
 * glyph cache and the locks, but a fz_document must only ever be used by one
 * thread at a time. MuPDF's warnings are routed to g_debug.
 */

/* The resource store (see kios-limits.h). */
#define KIOS_MUPDF_STORE_SIZE KIOS_LIMIT_MUPDF_STORE

/*
 * The style Kios lays every book out with. Kios draws the page margins itself
 * (they follow the window), so the book's own @page margins would double them;
 * cover pages made of one picture are centred as every reader shows them.
 */
#define KIOS_MUPDF_BASE_CSS          \
  "@page { margin: 0 !important; } " \
  "#cover, #cover-image, .cover, .cover-image, .titlepage { text-align: center; }"

/* clang-format off */
fz_context *kios_mupdf_new_context      (void);
/* A message for the last caught MuPDF error, owned by the caller. */
char       *kios_mupdf_caught_message   (fz_context *ctx);
/* Renders a short notice (title + detail) as a page of the given size, in the theme colours. */
fz_pixmap  *kios_mupdf_render_notice    (fz_context *ctx,
                                         const char *title,
                                         const char *detail,
                                         int         width,
                                         int         height,
                                         guint32     foreground,
                                         guint32     background);
/* clang-format on */

G_END_DECLS
