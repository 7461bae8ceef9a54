/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-document.h"

#include "kios-archive-limits.h"
#include "kios-book-format.h"
#include "kios-chapter-text.h"
#include "kios-limits.h"
#include "kios-mupdf.h"
#include "kios-text-search-private.h"

G_BEGIN_DECLS

/*
 * The document is one class in five files: kios-document.c (the GObject,
 * delivery of background results and the public API),
 * kios-document-worker.c (jobs, the worker thread and opening),
 * kios-document-index.c (the disk caches, chapter text and page counts),
 * kios-document-render.c (positions, navigation, layout and rendering) and
 * kios-document-find.c (find in book). This header shares their types;
 * nothing outside the document includes it.
 */

/* MuPDF's box generation recurses per nesting level; 8 MiB is not enough for
 * books near our depth limit (MUPDF.md section 7). */
#define WORKER_STACK_SIZE KIOS_LIMIT_WORKER_STACK
/* Parsed chapter texts kept per book (the KJV's whole text would be ~90 MB). */
#define TEXT_CACHE_SIZE 4
#define MAX_CHAPTER_BYTES KIOS_LIMIT_CHAPTER_BYTES
/* Bumped when the stand-ins the archive scan gives MuPDF change. */
#define BOUNDED_COPY_VERSION 2
#define INDEX_VERSION 1
#define COUNTS_VERSION 1
/* Rendered text read beyond a point before anchoring there (characters). */
#define ANCHOR_SLACK 512

/* How long a newly opened book keeps its background work for the first page. */
#define FIRST_RENDER_IDLE_HOLD_USEC (700 * G_TIME_SPAN_MILLISECOND)

typedef struct _Worker Worker;

/* A first page rendered right after the open, before anyone asked for it
 * (kios_document_open_at_async()); belongs to the worker thread. */
typedef struct
{
  KiosPageRequest       request; /* what it was rendered with (position: NULL) */
  KiosLayout            layout;  /* EPUB */
  gboolean              has_layout;
  KiosDocumentStartFunc start_func;
  gpointer              start_data;
  GDestroyNotify        start_destroy;
  KiosPosition         *position; /* where it opened, NULL for the first page */
  KiosPage             *page;     /* NULL once taken, or when it failed */
} Prerender;

/* Jobs: everything the worker is asked to do. */

typedef enum {
  JOB_OPEN,
  JOB_LAYOUT,
  JOB_RENDER,
  JOB_POSITION_AT,
  JOB_NORMALIZE_POSITION,
  JOB_SEARCH,
  JOB_FIND_ON_PAGE,
  JOB_PAGE_TEXT,
  JOB_POSITION_AT_OFFSET,
  JOB_HOLD_BACKGROUND, /* serial: TRUE holds the background work, FALSE lets it run */
  JOB_QUIT,
} JobKind;

/* JOB_POSITION_AT: which position is asked for, as typed values. */
typedef enum {
  POSITION_AT_PROGRESS, /* fraction of the whole book */
  POSITION_AT_CHAPTER,  /* fraction of chapter `index` */
  POSITION_AT_PAGE,     /* PDF page `index`, 0-based */
  POSITION_AT_XPOINTER, /* the job's text */
} PositionAtKind;

typedef struct
{
  PositionAtKind kind;
  int            index;
  double         fraction;
} PositionAt;

typedef struct
{
  JobKind            kind;
  GTask             *task;
  KiosPageRequest    request;
  KiosPosition      *position;
  KiosLayout         layout;
  int                serial;
  char              *text;
  KiosSearchMatcher *matcher;   /* JOB_SEARCH, JOB_FIND_ON_PAGE */
  gboolean           first_hit; /* JOB_SEARCH: return at the first chapter with a hit */
  gint64             offset;    /* JOB_POSITION_AT_OFFSET (the chapter is in serial) */
  PositionAt         at;        /* JOB_POSITION_AT */
} Job;

typedef struct
{
  char          *hash;
  char          *title;
  GStrv          authors;
  GStrv          refusals;
  GPtrArray     *toc;
  gint64         size;
  KiosBookFormat format;
  int            n_chapters;
  int            n_pages;
} OpenResult;

/* The worker: owns the fz_context clone and the fz_document. */

typedef struct
{
  int     count;      /* pages at the current layout (maybe from the cache), -1 unknown */
  GArray *rstream;    /* gunichar: the rendered text of the pages read so far, or NULL */
  GArray *page_start; /* int per page read so far, from first_page: its first char in rstream */
  char   *error;      /* why the chapter cannot be shown, or NULL */

  /* A chapter MuPDF got cut into pieces (kios_flow_split) is read from the
   * piece nearest to the page asked for, never from its first page. */
  gint64 *piece_chars; /* per piece: the DOM text stream's characters before it */
  int    *piece_pages; /* per piece: the page it starts on at this layout, -1 unknown */
  float  *piece_y;     /* per piece: where on that page it starts */
  int     n_pieces;
  int     anchor;     /* the piece rstream starts on the page of, or -1: page 0 */
  int     first_page; /* the page rstream starts with */
  gint64  rbase;      /* the DOM stream index rstream[0] stands for */

  guint checked : 1;     /* the safety check ran */
  guint laid_out : 1;    /* MuPDF laid it out at the current layout: count is exact */
  guint pieces_read : 1; /* piece_chars was read from the cut copy */
} Chapter;

typedef struct
{
  int              chapter;
  KiosChapterText *text;
} CachedText;

struct _Worker
{
  gint          ref_count;
  GAsyncQueue  *queue;
  GWeakRef      owner;
  GMainContext *owner_context;

  /* Everything below belongs to the worker thread. */
  fz_context      *ctx;
  fz_document     *doc;
  fz_archive      *archive; /* the EPUB's zip, for chapter XHTML, opened on demand */
  KiosEpub        *epub;
  KiosArchiveScan *scan; /* what MuPDF may read of it; refusals last the session */
  char            *path;
  char            *open_path;
  char            *hash;
  char            *device;
  char            *device_id;
  KiosBookFormat   format;
  int              n_chapters;
  GPtrArray       *toc;
  Chapter         *chapters;
  GQueue           texts;

  /* The book index: layout-independent text lengths, cached on disk. */
  gint64  *lengths;     /* per chapter, -1 while unknown */
  gint64  *toc_offsets; /* per TOC entry, -1 while unknown */
  int      index_next;
  gboolean index_complete;
  gint64  *prefix; /* prefix[c] = sum of lengths before c */
  gint64   total_length;

  KiosLayout layout;
  gboolean   has_layout;
  int        serial;
  double     css_line_spacing;
  int        count_next;
  gboolean   counts_complete;
  int        prelayout;            /* a chapter to lay out while idle, or -1 */
  gint64     idle_pause_until;     /* a search is streaming: no idle work before this */
  gboolean   first_render_pending; /* opened, the first page not yet rendered */
  Prerender *prerender;            /* the first page made ahead, or NULL */
  gboolean   background_held;      /* the owner has not painted its first page yet */
  int        shown_chapter;        /* the chapter of the last page rendered, or -1 */
  gboolean   let_go_pending;       /* the index or count is done: drop what they left */
};

/* A background result on its way to the owner's thread. */

typedef struct
{
  Worker *worker;
  int     serial;
  int     n_pages;
  GArray *marks;
  GArray *counts; /* int: pages per chapter, with n_pages */
  GArray *starts; /* double: where each chapter starts, with marks */
} Delivery;

/* Serialises MuPDF's opening and layout across documents. */
extern GMutex kios_document_open_lock;

/* Whether a chapter cut into pieces is read from the piece nearest to a
 * page (TRUE, always, but for tests comparing with reading it whole);
 * set before opening a document. */
extern gboolean kios_document_read_from_pieces;

/* Running one async call to completion on a private main context, for the
 * _sync calls (kiosctl and tests): pass kios_document_sync_cb with a
 * KiosDocumentSyncData as its user data, then finish with data.result
 * (owned: unref it). */
typedef struct
{
  GAsyncResult *result;
} KiosDocumentSyncData;

void kios_document_sync_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data);

#define KIOS_DOCUMENT_RUN_SYNC(data, call)              \
  G_STMT_START                                          \
  {                                                     \
    GMainContext *sync_context = g_main_context_new (); \
    g_main_context_push_thread_default (sync_context);  \
    call;                                               \
    while ((data).result == NULL)                       \
      g_main_context_iteration (sync_context, TRUE);    \
    g_main_context_pop_thread_default (sync_context);   \
    g_main_context_unref (sync_context);                \
  }                                                     \
  G_STMT_END

/* clang-format off */
/* kios-document.c: GObject, delivery to the owner and the public API */
void             kios_document_delivery_free        (Delivery               *delivery);
gboolean         kios_document_deliver_cb           (gpointer                data);
void             kios_worker_deliver                (Worker                 *w,
                                                     int                     n_pages,
                                                     GArray                 *marks,
                                                     GArray                 *counts);

/* kios-document-worker.c: jobs, the worker thread, opening */
void             kios_document_open_result_free     (OpenResult             *result);
Worker          *kios_worker_ref                    (Worker                 *w);
void             kios_worker_unref                  (Worker                 *w);
void             kios_document_chapter_clear_layout (Chapter                *chapter);
gboolean         kios_worker_open_mupdf             (Worker                 *w,
                                                     GError                **error);
gboolean         kios_worker_start                  (Worker                 *w,
                                                     GError                **error);
KiosPosition    *kios_worker_position_for           (Worker                 *w,
                                                     const PositionAt       *at,
                                                     const char             *xpointer,
                                                     GError                **error);

/* kios-document-index.c: disk caches, chapter text, page counts */
void             kios_worker_finish_index           (Worker                 *w);
void             kios_worker_load_index             (Worker                 *w);
void             kios_worker_load_counts            (Worker                 *w);
GBytes          *kios_worker_read_member            (Worker                 *w,
                                                     const char             *name,
                                                     GError                **error);
KiosChapterText *kios_worker_get_text               (Worker                 *w,
                                                     int                     chapter,
                                                     GError                **error);
void             kios_worker_check_chapter          (Worker                 *w,
                                                     int                     chapter);
void             kios_worker_ensure_index           (Worker                 *w);
int              kios_worker_chapter_pages          (Worker                 *w,
                                                     int                     chapter);
void             kios_worker_extend_rstream         (Worker                 *w,
                                                     int                     chapter,
                                                     int                     last);
gssize           kios_worker_rstream_page           (Worker                 *w,
                                                     int                     chapter,
                                                     int                     page);
gint64           kios_worker_page_offset            (Worker                 *w,
                                                     int                     chapter,
                                                     int                     page,
                                                     KiosChapterText        *text);
int              kios_worker_page_for_offset        (Worker                 *w,
                                                     int                     chapter,
                                                     gint64                  offset);
guint64          kios_document_pages_read           (void);
gboolean         kios_worker_rstream_complete       (Worker                 *w,
                                                     int                     chapter);
gboolean         kios_worker_has_idle_work          (Worker                 *w);
void             kios_worker_idle_step              (Worker                 *w);

/* kios-document-render.c: positions, navigation, layout, rendering */
void             kios_worker_prerender              (Worker                 *w);
void             kios_worker_drop_prerender         (Worker                 *w);
const char      *kios_worker_chapter_title          (Worker                 *w,
                                                     int                     chapter,
                                                     gint64                  offset);
KiosPosition    *kios_worker_position_at            (Worker                 *w,
                                                     KiosLocation            loc);
KiosLocation     kios_worker_location_for_position  (Worker                 *w,
                                                     const KiosPosition     *pos);
KiosLocation     kios_worker_clamp                  (Worker                 *w,
                                                     KiosLocation            loc);
void             kios_worker_apply_layout           (Worker                 *w,
                                                     const KiosLayout       *layout,
                                                     int                     serial);
KiosPage        *kios_worker_render                 (Worker                 *w,
                                                     const KiosPageRequest  *request,
                                                     const KiosPosition     *position,
                                                     GError                **error);

/* kios-document-find.c: find in book */
KiosSearchBatch *kios_worker_search                 (Worker                 *w,
                                                     Job                    *job);
GArray          *kios_worker_find_on_page           (Worker                 *w,
                                                     Job                    *job);

/* kios-document.c: hands a job to the worker */
void             kios_document_push_job             (KiosDocument           *self,
                                                     Job                    *job);

/* kios-document-text.c: page text with geometry */
KiosPageText    *kios_worker_page_text              (Worker                 *w,
                                                     KiosLocation            location);
KiosPosition    *kios_worker_position_at_offset     (Worker                 *w,
                                                     int                     chapter,
                                                     gint64                  offset);
/* clang-format on */

G_END_DECLS
