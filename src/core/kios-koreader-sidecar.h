/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-annotation-text.h"
#include "kios-annotation.h"
#include "kios-lua-table.h"

G_BEGIN_DECLS

/*
 * KiosKoreaderSidecar: the file KOReader keeps next to a book
 * (<book without its last suffix>.sdr/metadata.<suffix>.lua), a Lua table
 * of the book's settings whose "annotations" array holds its highlights,
 * notes and bookmarks: pos0/pos1 (xpointers; for PDF, tables with a page),
 * page, text, note, color, drawer, chapter, datetime, … Older KOReader kept
 * them in "bookmarks" and "highlight" instead; those are read too.
 *
 * It is read with the strict parser of kios-lua-table.h, never executed; a
 * file that is not a plain table, or over the parser's limits, is refused
 * (and so never written). Writing merges: Kios's annotations are put in as
 * KOReader entries (an entry at the same place is updated, the others
 * appended; write_back also removes what was deleted in Kios), every
 * other entry and key is kept, the previous file is kept
 * as "<file>.old", and the new one replaces it atomically, private to the
 * person (0600). A file that changed on disk since it was read is not
 * overwritten (KIOS_DOCUMENT_ERROR_INVALID, "changed"): read it again.
 *
 * Blocking file I/O: call from a worker or kiosctl.
 */
typedef struct _KiosKoreaderSidecar KiosKoreaderSidecar;

#define KIOS_KOREADER_SIDECAR_SEEN_KEY "koreader.sidecar-seen"

/* clang-format off */
/* Where KOReader keeps the sidecar of the book at book_path, next to it. */
char                *kios_koreader_sidecar_path_for_book (const char         *book_path);
/* Where KOReader keeps it in a central folder instead: hash NULL, its
 * "docsettings" folder (the book's whole path under folder); else its
 * "hashdocsettings" folder (by the book's partial MD5: folder/ab/abcd….sdr). */
char                *kios_koreader_sidecar_path_in_folder (const char        *folder,
                                                          const char         *book_path,
                                                          const char         *hash);
/* NULL with KIOS_DOCUMENT_ERROR_NOT_FOUND when there is no file, _DAMAGED
 * or _TOO_COMPLEX when it is refused, or a G_FILE_ERROR. */
KiosKoreaderSidecar *kios_koreader_sidecar_load          (const char         *path,
                                                          GError            **error);
/* An empty sidecar to be written at path (there is no file yet). */
KiosKoreaderSidecar *kios_koreader_sidecar_new           (const char         *path);
void                 kios_koreader_sidecar_free          (KiosKoreaderSidecar *self);
const char          *kios_koreader_sidecar_get_path      (KiosKoreaderSidecar *self);
/* The whole table (owned by the sidecar). */
KiosLuaValue        *kios_koreader_sidecar_get_root      (KiosKoreaderSidecar *self);
/* KOReader's entries as annotations: origin "koreader", id 0, hash as
 * given. With text (an EPUB's), xpointers are resolved to chapters and
 * offsets and entries whose xpointers are not in the book are skipped
 * (logged); without it, offsets are 0. In reading order when resolved,
 * else in the file's order. element-type KiosAnnotation. */
GPtrArray           *kios_koreader_sidecar_get_annotations (KiosKoreaderSidecar *self,
                                                          const char         *hash,
                                                          KiosAnnotationText *text);
/* Puts annotations (element-type KiosAnnotation) into the table as
 * KOReader entries: a highlight (EPUB only: KOReader's PDF highlights need
 * boxes Kios does not have, so they are left out) or a bookmark. An entry
 * with the same pos0 and pos1 (a bookmark: the same page, no pos0) is
 * updated; the others are appended, and "annotations_externally_modified"
 * tells KOReader to renumber and sort them. Returns the number added or
 * updated, -1 with KIOS_DOCUMENT_ERROR_INVALID for a sidecar KOReader has
 * not moved to its "annotations" format yet, or whose annotations are of
 * the other format (PDF / EPUB). */
int                  kios_koreader_sidecar_merge         (KiosKoreaderSidecar *self,
                                                          GPtrArray          *annotations,
                                                          GError            **error);
gboolean             kios_koreader_sidecar_save          (KiosKoreaderSidecar *self,
                                                          GError            **error);

/* Places: what tells KOReader's entries apart, as Kios matches them
 * ("h:" pos0 TAB pos1 for an EPUB highlight, "b:" the page for a
 * bookmark: an xpointer, or "#" and the number for a PDF). NULL for an
 * annotation or entry Kios does not match by place (a PDF highlight). */
char                *kios_koreader_sidecar_place_of      (const KiosAnnotation *annotation);
/* Removes the entries of "annotations" at one of places (a set of
 * places), keeping the others in order and every other key; "annotations_
 * externally_modified" is set when one is removed. The number removed. */
int                  kios_koreader_sidecar_remove        (KiosKoreaderSidecar *self,
                                                          GHashTable         *places);
/*
 * Writing back what the store holds of a book (list, element-type
 * KiosAnnotation, every origin), so that what a person deleted in Kios
 * leaves the sidecar too. seen is the set of places Kios last saw in the
 * sidecar (imported into the store) or wrote there: those of them no
 * longer in list were deleted in Kios and are removed; an entry whose
 * place is not in seen (KOReader added it, Kios never saw it) is never
 * touched. Then Kios's own are merged. seen becomes the places still both
 * seen and in list, plus those written. The number removed and written
 * (n_removed, may be NULL: those removed), -1 with error as merge.
 */
int                  kios_koreader_sidecar_write_back    (KiosKoreaderSidecar *self,
                                                          GPtrArray          *list,
                                                          GHashTable         *seen,
                                                          int                *n_removed,
                                                          GError            **error);
/* The places of the entries of "annotations" now in the sidecar (a set
 * of strings). */
GHashTable          *kios_koreader_sidecar_get_places    (KiosKoreaderSidecar *self);
/* Whether KOReader deleted annotation, one of Kios's own (origin not
 * "koreader"): its place is in seen (Kios wrote it there or saw it) but
 * no longer in places (those of the sidecar now). Such an annotation is
 * deleted from the store, not written back. */
gboolean             kios_koreader_sidecar_deleted_there (const KiosAnnotation *annotation,
                                                          GHashTable         *seen,
                                                          GHashTable         *places);
/* The store keeps seen as the book meta KIOS_KOREADER_SIDECAR_SEEN_KEY:
 * places one a line. from_string never returns NULL. */
GHashTable          *kios_koreader_sidecar_places_from_string (const char    *text);
char                *kios_koreader_sidecar_places_to_string (GHashTable      *places);

/* What the app and kiosctl both do with the sidecar next to a book.
 * add_from_book adds KOReader's annotations of the book at book_path to
 * list (element-type KiosAnnotation: the store's), leaving out those at
 * the place of one already in it (Kios's own, written there earlier), and
 * sorts list into reading order. With seen (may be NULL), Kios's own that
 * KOReader deleted (deleted_there) are moved from list to deleted
 * (element-type KiosAnnotation, may be NULL: dropped) and their places
 * out of seen; the caller deletes them from the store. Only when the
 * sidecar is there: a missing file deletes nothing. FALSE with error when
 * a sidecar is there but refused (list is then only sorted); TRUE when
 * there is none.
 * export_to_book writes list back into that sidecar (made when there is
 * none) as write_back does (seen NULL: nothing is removed) and saves it,
 * after moving out of list to deleted, as add_from_book does, Kios's own
 * that KOReader deleted; the number removed and written (n_removed:
 * those removed), -1 with error. */
gboolean             kios_koreader_sidecar_add_from_book (GPtrArray          *list,
                                                          const char         *book_path,
                                                          const char         *hash,
                                                          GHashTable         *seen,
                                                          GPtrArray          *deleted,
                                                          GError            **error);
int                  kios_koreader_sidecar_export_to_book (GPtrArray         *list,
                                                          const char         *book_path,
                                                          GHashTable         *seen,
                                                          GPtrArray          *deleted,
                                                          int                *n_removed,
                                                          GError            **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosKoreaderSidecar, kios_koreader_sidecar_free)

G_END_DECLS
