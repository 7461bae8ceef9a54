/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-epub.h"
#include "kios-position.h"
#include "kios-text-search.h"

G_BEGIN_DECLS

/* The name each document's worker thread carries (at most 15 bytes, as
 * Linux keeps). */
#define KIOS_DOCUMENT_THREAD_NAME "kios-document"

/*
 * KiosDocument: one open book. All MuPDF work runs on the document's own
 * worker thread (64 MiB stack, its own fz_context clone), fed by a queue:
 * layout is lazy per chapter, pages are rendered into plain RGB buffers, and
 * the per-chapter page counts of the current layout are counted chapter by
 * chapter while the queue is idle (cached on disk per book hash + layout).
 * Every MuPDF call is inside fz_try; chapters are checked for nesting and
 * unbreakable words before MuPDF sees them, and such a chapter renders as an
 * error page instead of hanging the worker. Before MuPDF reads an EPUB at
 * all, every member is measured against kios-limits.h (KiosArchiveScan):
 * what is over a limit is refused once per open document, and MuPDF reads a
 * copy with stand-ins and with over-long paragraphs cut into bounded flows.
 *
 * Methods are called on the thread that owns the object (the main thread in
 * the app); async results are delivered on that thread's main context.
 */

typedef struct
{
  int chapter; /* spine index (EPUB) or page index (PDF) */
  int page;    /* page within the chapter; always 0 for PDF */
} KiosLocation;

/* The reflow layout of an EPUB, in CSS pixels (1/96 in), before scaling. */
typedef struct
{
  double width; /* the text block: the page minus the margins */
  double height;
  double font_size;    /* em, CSS px */
  double line_spacing; /* 1.0 .. 2.0 */
} KiosLayout;

typedef enum {
  KIOS_FIT_WIDTH = 0,
  KIOS_FIT_PAGE,
} KiosFitMode;

typedef enum {
  KIOS_PAGE_REQUEST_LOCATION = 0, /* exactly `location` (clamped) */
  KIOS_PAGE_REQUEST_POSITION,     /* the page holding `position` at the current layout */
  KIOS_PAGE_REQUEST_NEXT,         /* the page after `location` */
  KIOS_PAGE_REQUEST_PREVIOUS,     /* the page before `location` */
  KIOS_PAGE_REQUEST_TOC_ENTRY,    /* the page where TOC entry `toc_index` starts */
} KiosPageRequestKind;

typedef struct
{
  KiosPageRequestKind kind;
  KiosLocation        location;
  const KiosPosition *position; /* borrowed; copied by the call */
  int                 toc_index;
  /* Rendering: the box the page is shown in (CSS px) and the device scale. */
  double      box_width;
  double      box_height;
  double      scale;         /* the widget's scale factor (HiDPI) */
  KiosFitMode fit;           /* PDF only */
  double      zoom;          /* PDF only, multiplies the fit; 1.0 = fit */
  guint32     foreground;    /* 0xRRGGBB: text colour (black is tinted to this) */
  guint32     background;    /* 0xRRGGBB: paper colour (white is tinted to this) */
  gboolean    position_only; /* resolve the page and its position, draw nothing */
} KiosPageRequest;

typedef struct
{
  KiosLocation  location;
  KiosPosition *position; /* the first word on the page */
  GBytes       *pixels;   /* RGB, 3 bytes per pixel, GDK_MEMORY_R8G8B8;
                             NULL for a position_only request */
  int      width;         /* pixels */
  int      height;
  int      stride;
  double   scale;         /* the request's device scale */
  int      chapter_pages; /* pages in this chapter at this layout */
  int      page_number;   /* 0-based in the whole book, -1 until counted */
  int      layout_serial; /* the layout it was made with */
  gboolean is_first;
  gboolean is_last;
  char    *error_message; /* set when the chapter could not be laid out:
                             the pixels then show an error page */
  gboolean made_ahead;    /* rendered right after the open (kios_document_open_at_async) */
} KiosPage;

/* One batch of find-in-book results (kios_document_search_async). */
typedef struct
{
  GPtrArray *hits;         /* KiosSearchHit, in reading order */
  int        next_chapter; /* where the next batch starts */
  gboolean   complete;     /* the whole book has been searched */
} KiosSearchBatch;

/* One character of a page's text (kios_document_get_page_text_async). */
typedef struct
{
  float x0, y0, x1, y1; /* its box, as fractions of the page's width and height
                           (the KiosPage's pixels at any scale, and
                           KiosSearchRect, use the same frame) */
  gunichar c;
  int      line;   /* the line on the page, 0-based, in reading order */
  int      block;  /* the paragraph (text block) on the page, 0-based */
  gint64   offset; /* where it is in the book, as KiosPosition.offset
                      counts: EPUB the chapter's non-whitespace character
                      index; PDF its index on the page. -1 for whitespace
                      and the other characters positions skip */
} KiosPageChar;

/* The text of one page at one layout, for selection and screen readers. */
typedef struct
{
  KiosLocation location;
  int          layout_serial; /* the layout it was read at */
  GArray      *chars;         /* KiosPageChar, in reading order */
} KiosPageText;

/* Where a book opens, looked up by its identity hash on the document's own
 * thread (kios_document_open_at_async()): (transfer full) (nullable), NULL
 * for its first page. */
typedef KiosPosition *(*KiosDocumentStartFunc) (const char *hash,
                                                gpointer    user_data);

#define KIOS_TYPE_DOCUMENT (kios_document_get_type ())
G_DECLARE_FINAL_TYPE (KiosDocument, kios_document, KIOS, DOCUMENT, GObject)

/* clang-format off */
void             kios_document_open_async         (const char        *path,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
KiosDocument    *kios_document_open_finish        (GAsyncResult      *result,
                                                   GError           **error) G_GNUC_WARN_UNUSED_RESULT;
KiosDocument    *kios_document_open_sync          (const char        *path,
                                                   GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* As kios_document_open_async(), and then, before anything asked of it,
 * renders the page start_func names as first_page would (its kind and
 * location are ignored), at layout (EPUB, nullable): a first render asked
 * for later with the same request takes that page at once. */
void             kios_document_open_at_async      (const char        *path,
                                                   const KiosPageRequest *first_page,
                                                   const KiosLayout  *layout,
                                                   KiosDocumentStartFunc start_func,
                                                   gpointer           start_data,
                                                   GDestroyNotify     start_destroy,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
/* The index, page count and next chapter wait while held (from the first
 * frame's render to its paint), whatever the first render does. */
void             kios_document_hold_background    (KiosDocument      *self,
                                                   gboolean           held);
/* The request and layout (EPUB: FALSE without one) the first page on
 * screen was rendered with, for the next kios_document_open_at_async();
 * FALSE before any page was asked for. */
gboolean         kios_document_get_first_request  (KiosDocument      *self,
                                                   KiosPageRequest   *request,
                                                   KiosLayout        *layout,
                                                   gboolean          *has_layout);

const char      *kios_document_get_path           (KiosDocument      *self);
const char      *kios_document_get_hash           (KiosDocument      *self);
KiosBookFormat   kios_document_get_format         (KiosDocument      *self);
const char      *kios_document_get_title          (KiosDocument      *self);
const char * const *kios_document_get_authors     (KiosDocument      *self);
gint64           kios_document_get_size           (KiosDocument      *self);
int              kios_document_get_n_chapters     (KiosDocument      *self);
/* Why parts of the book are not shown (members over the limits of
 * kios-limits.h), one sentence each; empty for a book within them. */
const char * const *kios_document_get_refusals    (KiosDocument      *self);
/* element-type KiosTocEntry; for PDF built from the outline (chapter = page). */
GPtrArray       *kios_document_get_toc            (KiosDocument      *self);
/* Index into the TOC of the entry at or before position, or -1. */
int              kios_document_get_toc_index_at   (KiosDocument      *self,
                                                   const KiosPosition *position);
/* Chapter start fractions (0..1 of the whole book) for progress-bar marks. */
GArray          *kios_document_get_chapter_marks  (KiosDocument      *self);
/* Where each spine chapter starts (double 0..1, by text length, as
 * total_progress counts), indexed by chapter; NULL until the index is built
 * (with "chapter-marks"). EPUB only. */
GArray          *kios_document_get_chapter_starts (KiosDocument      *self);
/* The whole book's page count at the current layout, or -1 while counting. */
int              kios_document_get_n_pages        (KiosDocument      *self);
/* Where page page_number (0-based, the whole book at the current layout; a
 * PDF's page) is; FALSE while the pages are being counted or out of range. */
gboolean         kios_document_get_page_location  (KiosDocument      *self,
                                                   int                page_number,
                                                   KiosLocation      *location);
gboolean         kios_document_is_reflowable      (KiosDocument      *self);

/* EPUB only. Changing the layout restarts the background page count. */
void             kios_document_set_layout         (KiosDocument      *self,
                                                   const KiosLayout  *layout);
int              kios_document_get_layout_serial  (KiosDocument      *self);

void             kios_document_render_async       (KiosDocument      *self,
                                                   const KiosPageRequest *request,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
KiosPage        *kios_document_render_finish      (KiosDocument      *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);
KiosPage        *kios_document_render_sync        (KiosDocument      *self,
                                                   const KiosPageRequest *request,
                                                   GError           **error);

/* Parses kiosctl's POS forms (xpointer, page:N, chapter:I:F, percent:P) into a position. */
KiosPosition    *kios_document_parse_position     (KiosDocument      *self,
                                                   const char        *pos,
                                                   GError           **error);
/* The canonical position of the page holding a point given by kind, at the
 * current layout (blocking). Out-of-range input is KIOS_DOCUMENT_ERROR_INVALID.
 * total_progress and fraction are 0..1; page is a PDF's page, 0-based;
 * xpointer is a CREngine xpointer into an EPUB's spine. */
KiosPosition    *kios_document_position_at_progress (KiosDocument    *self,
                                                   double             total_progress,
                                                   GError           **error);
KiosPosition    *kios_document_position_at_chapter (KiosDocument     *self,
                                                   int                chapter,
                                                   double             fraction,
                                                   GError           **error);
KiosPosition    *kios_document_position_at_page   (KiosDocument      *self,
                                                   int                page,
                                                   GError           **error);
KiosPosition    *kios_document_position_at_xpointer (KiosDocument    *self,
                                                   const char        *xpointer,
                                                   GError           **error);
/* Resolves a position to the canonical one of its page at the current layout (blocking). */
KiosPosition    *kios_document_normalize_position (KiosDocument      *self,
                                                   const KiosPosition *position,
                                                   GError           **error);

/* Find in book: see kios-book-search.h for the streaming driver. */
void             kios_document_search_async       (KiosDocument      *self,
                                                   KiosSearchMatcher *matcher,
                                                   int                first_chapter,
                                                   gboolean           first_hit,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
KiosSearchBatch *kios_document_search_finish      (KiosDocument      *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);
void             kios_document_find_on_page_async (KiosDocument      *self,
                                                   KiosSearchMatcher *matcher,
                                                   KiosLocation       location,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
GArray          *kios_document_find_on_page_finish (KiosDocument     *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);
void             kios_search_batch_free           (KiosSearchBatch   *batch);

/* The text of the page at location (at the current layout), one box per
 * character, each with its canonical offset (kios-document-text.c). */
void             kios_document_get_page_text_async (KiosDocument     *self,
                                                   KiosLocation       location,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
KiosPageText    *kios_document_get_page_text_finish (KiosDocument    *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);
/* The canonical position (with its xpointer for EPUB) of the character at
 * offset in chapter, as KiosPageChar.offset counts; an offset past the end
 * is the position just after the chapter's last character. */
void             kios_document_position_at_offset_async (KiosDocument *self,
                                                   int                chapter,
                                                   gint64             offset,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
KiosPosition    *kios_document_position_at_offset_finish (KiosDocument *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);
KiosPosition    *kios_document_position_at_offset_sync (KiosDocument *self,
                                                   int                chapter,
                                                   gint64             offset,
                                                   GError           **error);
void             kios_page_text_free              (KiosPageText      *text);
/* The text of chars first..last (inclusive, clamped): lines of a paragraph
 * joined by a space (a hyphen at a line end joins the word), paragraphs by
 * a newline. */
char            *kios_page_text_get_string        (const KiosPageText *text,
                                                   int                first,
                                                   int                last);
/* The character at (x, y), in page fractions: the one whose box holds the
 * point, else the nearest on the nearest line; -1 for a page without text. */
int              kios_page_text_hit               (const KiosPageText *text,
                                                   double             x,
                                                   double             y);
/* The first and last character of the word around char index; FALSE on
 * whitespace or out of range. */
gboolean         kios_page_text_word_at           (const KiosPageText *text,
                                                   int                index,
                                                   int               *first,
                                                   int               *last);

void             kios_page_request_init           (KiosPageRequest   *request);
KiosPage        *kios_page_copy                   (const KiosPage    *page);
void             kios_page_free                   (KiosPage          *page);
gboolean         kios_page_save_png               (const KiosPage    *page,
                                                   const char        *path,
                                                   GError           **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosPage, kios_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSearchBatch, kios_search_batch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosPageText, kios_page_text_free)

G_END_DECLS
