/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  KIOS_BOOK_FORMAT_UNKNOWN = 0,
  KIOS_BOOK_FORMAT_EPUB,
  KIOS_BOOK_FORMAT_PDF,
} KiosBookFormat;

const char    *kios_book_format_to_string (KiosBookFormat format);
KiosBookFormat kios_book_format_from_string (const char *str);

/*
 * KiosPosition: the canonical, layout-independent reading position of a book
 * (PRODUCT.md "The position"). For EPUB, `chapter` is the 0-based spine index
 * and `offset` counts non-whitespace characters of the chapter's normalised
 * DOM text (KiosChapterText). For PDF, `chapter` is the 0-based page, `offset`
 * is 0 and `chapter_progress` is 0.
 */
typedef struct
{
  KiosBookFormat format;
  int            chapter;
  char          *chapter_href;  /* path inside the zip (EPUB), NULL for PDF */
  char          *chapter_title; /* nearest TOC entry at or before, or NULL */
  gint64         offset;
  double         chapter_progress; /* 0..1 */
  double         total_progress;   /* 0..1, by text length */
  char          *xpointer;         /* KOReader/crengine form, EPUB only */
  gint64         updated_at;       /* UTC, unix seconds */
  char          *device;
  char          *device_id;
} KiosPosition;

/* clang-format off */
KiosPosition *kios_position_new          (void);
KiosPosition *kios_position_copy         (const KiosPosition *self);
void          kios_position_free         (KiosPosition       *self);
gboolean      kios_position_equal        (const KiosPosition *a,
                                          const KiosPosition *b);
int           kios_position_get_page     (const KiosPosition *self);
JsonNode     *kios_position_to_json      (const KiosPosition *self);
KiosPosition *kios_position_from_json    (JsonNode           *node,
                                          GError            **error);
char         *kios_position_to_string    (const KiosPosition *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosPosition, kios_position_free)

G_END_DECLS
