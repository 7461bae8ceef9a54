/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "kios-position.h"

G_BEGIN_DECLS

/*
 * KiosAnnotation: a bookmark or a highlight (a highlight with a note is a
 * note) in one book, as a range of canonical positions. Both ends carry
 * their xpointer for EPUB, as KOReader keeps pos0 and pos1, so the range
 * lands on the same words after any layout change. For PDF the ends are
 * pages (chapter = page, offset 0).
 *
 * `start` is the first character of the range; `end` is the position just
 * after its last character (exclusive), so a range's text is the stream
 * between them. A bookmark has no end.
 */

typedef enum {
  KIOS_ANNOTATION_BOOKMARK = 0,
  KIOS_ANNOTATION_HIGHLIGHT,
} KiosAnnotationKind;

/* The four highlight colours, by KOReader's names. */
#define KIOS_ANNOTATION_COLOR_DEFAULT "yellow"

typedef struct
{
  gint64             id;   /* 0 until stored */
  char              *hash; /* the book's KOReader partial MD5 */
  KiosAnnotationKind kind;
  KiosPosition      *start;         /* pos0: the first character */
  KiosPosition      *end;           /* pos1: just after the last; NULL for a bookmark */
  char              *text;          /* the quoted words, or the page's first words */
  char              *note;          /* NULL when none */
  char              *color;         /* "yellow" | "green" | "blue" | "red"; NULL for bookmarks */
  char              *chapter_title; /* nearest TOC entry, or NULL */
  gint64             created_at;    /* UTC unix seconds */
  gint64             updated_at;
  char              *origin; /* "kios" or "koreader" */
} KiosAnnotation;

#define KIOS_TYPE_ANNOTATION (kios_annotation_get_type ())

/* clang-format off */
GType           kios_annotation_get_type         (void) G_GNUC_CONST;
KiosAnnotation *kios_annotation_new              (void);
KiosAnnotation *kios_annotation_copy             (const KiosAnnotation *self);
void            kios_annotation_free             (KiosAnnotation       *self);

const char     *kios_annotation_kind_to_string   (KiosAnnotationKind    kind);
/* FALSE for anything but "bookmark" and "highlight" (a "note" is a highlight). */
gboolean        kios_annotation_kind_from_string (const char           *str,
                                                  KiosAnnotationKind   *kind);
/* Whether color is one of the four names Kios and KOReader share. */
gboolean        kios_annotation_color_is_valid   (const char           *color);
/* Reading order: by start (chapter, offset), then end, then id. */
int             kios_annotation_compare          (const KiosAnnotation *a,
                                                  const KiosAnnotation *b);

/* The stored and kiosctl form: {"id","hash","kind","start","end","text",
 * "note","color","chapter_title","created_at","updated_at","origin"}, the
 * positions in kios_position_to_json's form and the times as unix seconds.
 * from_json fails (KIOS_DOCUMENT_ERROR_INVALID) without a kind or a start,
 * or with a highlight without an end. */
JsonNode       *kios_annotation_to_json          (const KiosAnnotation *self);
KiosAnnotation *kios_annotation_from_json        (JsonNode             *node,
                                                  GError              **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosAnnotation, kios_annotation_free)

G_END_DECLS
