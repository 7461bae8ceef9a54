/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-reader-view.h"

#include "kios-find-bar.h"
#include "kios-reader-annotations.h"
#include "kios-reader-selection.h"
#include "kios-reading-pace.h"

/*
 * KiosReaderView is split along its seams: kios-reader-view.c (state,
 * properties, saving, the public API), -slots.c (the page on screen and its
 * pre-rendered neighbours), -geometry.c (layout, drawing, allocation),
 * -actions.c (actions, keys, pointer and touch) and -find.c (find in book,
 * and the focus coming back to the page from a popover).
 */

G_BEGIN_DECLS

/* Resizes are laid out again once the window has been still this long. */
#define LAYOUT_DEBOUNCE_MS 150
/* Readable line length: the text column never gets wider than this many em. */
#define MAX_LINE_EM 40.0
#define MIN_FONT_SIZE 8.0
#define MAX_FONT_SIZE 48.0
#define DEFAULT_FONT_SIZE 18.0
#define FONT_STEP 2.0
#define MIN_ZOOM 0.25
#define MAX_ZOOM 4.0
#define ZOOM_STEP 1.25
/* A wheel notch scrolls a tall PDF page this far (CSS px). */
#define WHEEL_PIXELS 64.0
/* Touchpad deltas in surface pixels: this much makes one page turn. */
#define SWIPE_PIXELS 80.0
/* A pause this long in a stream of scroll events ends a touchpad gesture. */
#define SCROLL_GESTURE_GAP (250 * G_TIME_SPAN_MILLISECOND)
#define SWIPE_MIN_VELOCITY 250.0
/* The contents sidebar: its width, and the narrowest view it sits beside
 * the page in (narrower views show it over the page). */
#define SIDEBAR_WIDTH 300
#define SIDEBAR_DOCK_MIN 760
/* The progress bar's height (kios-progress-bar.c asks for this much), for
 * a first request worked out before the widgets exist. */
#define READER_BAR_HEIGHT 14
/* A first page slower than this gets a spinner (a huge chapter being laid out). */
#define SPINNER_DELAY_MS 250

typedef enum {
  SLOT_SHOW = 0, /* the page to put on screen */
  SLOT_NEXT,     /* pre-rendering the page after it */
  SLOT_PREV,     /* pre-rendering the page before it */
  SLOT_NEXT2,    /* two-page spreads: the two pages after the right one, */
  SLOT_NEXT3,
  SLOT_PREV2, /* ... and the one before the previous */
  N_SLOTS
} Slot;

typedef enum {
  SHOW_RESTORE,  /* opening the book: nothing to save */
  SHOW_RELAYOUT, /* the same words at a new layout: nothing to save */
  SHOW_REFRESH,  /* the same page again (colours, size, page count) */
  SHOW_USER,     /* the reader went somewhere: save, "user-turned-page" */
  SHOW_TOC,      /* a contents jump: as SHOW_USER, and relayouts keep the entry's start */
  SHOW_JUMP,     /* go_to_position: save, no "user-turned-page" */
  SHOW_FIND,     /* a find match, or back from find: nothing saved yet */
} ShowReason;

/* One line of a highlight on a page. */
typedef struct
{
  graphene_rect_t rect; /* fractions of the page */
  guint           tone; /* yellow, green, blue, red */
} HighlightBox;

/* A rendered page and its texture. */
typedef struct
{
  KiosPage   *page;
  GdkTexture *texture;    /* NULL when the pixels were unusable */
  GArray     *highlights; /* HighlightBox drawn over the texture, or NULL */
} Sheet;

/* What the SHOW slot was asked for, kept so it can be asked again with new
 * render parameters when the theme or the size changes while it is in flight. */
typedef struct
{
  gboolean            valid;
  KiosPageRequestKind kind;
  KiosLocation        location;
  KiosPosition       *position;
  int                 toc_index;
  ShowReason          reason;
  KiosPosition       *save; /* JUMP: the position to save */
} ShowSpec;

typedef struct
{
  GWeakRef      self; /* a late answer must not keep a closed view alive */
  Slot          slot;
  guint         serial;
  guint         render_serial;
  ShowReason    reason;
  KiosPosition *save;
} RenderCall;

typedef struct
{
  graphene_rect_t box;            /* where the page goes (CSS px), the EPUB text block */
  double          header_y;       /* vertical centre of the chapter title */
  double          footer_y;       /* vertical centre of the page label */
  double          content_height; /* the widget minus the progress bar */
  double          spread_dx;      /* a spread's right page box is box moved this far; 0 */
} Geometry;

struct _KiosReaderView
{
  GtkWidget parent_instance;

  KiosDocument     *document;
  KiosLibraryStore *store;
  GtkWidget        *progress_bar;
  GtkWidget        *status_page;
  GtkWidget        *sidebar;
  GtkWidget        *spinner;
  GtkWidget        *find_bar;
  GCancellable     *slot_cancellable[N_SLOTS];

  /* Find in book: the highlights of the page on screen, as page fractions. */
  GArray       *find_rects; /* KiosSearchRect, or NULL */
  KiosLocation  find_rects_location;
  GArray       *find_rects_other; /* the same for the other page on screen */
  KiosLocation  find_rects_other_location;
  GCancellable *find_other_cancellable;
  KiosLocation  find_match_location; /* the page the last match jump landed on */
  KiosPosition *find_origin;         /* where Escape goes back to */
  GCancellable *find_cancellable;
  GtkWidget    *popover_focus; /* weak: the popover the focus was last in */

  Sheet        *current; /* the left page in a two-page spread */
  Sheet        *next;    /* the right page in a two-page spread */
  Sheet        *prev;
  Sheet        *next2; /* spreads only: the next spread's pages, */
  Sheet        *next3;
  Sheet        *prev2;    /* ... and the previous spread's left page */
  KiosPosition *position; /* of the page on screen */
  KiosPosition *anchor;   /* the words kept on screen across relayouts */
  char         *chapter_title;
  char         *page_label;
  char         *theme;
  ShowSpec      show_spec;

  KiosLayout      layout;
  graphene_rect_t render_box;
  int             render_scale;
  guint           slot_serial[N_SLOTS];
  guint           render_serial;
  guint           layout_timeout_id;
  guint           spinner_timeout_id;
  gulong          n_pages_handler;
  gulong          marks_handler;
  gulong          dark_handler;
  KiosPageLayout  page_layout; /* with the width, whether to show a spread */

  double      progress;
  double      font_size;
  double      margin;
  double      line_spacing;
  double      pdf_zoom;
  KiosFitMode pdf_fit;
  guint32     foreground;
  guint32     background;
  int         toc_index;
  int         pending_toc; /* the contents entry asked for */
  int         anchor_toc;  /* relayouts show this entry's start, not the anchor; -1 */
  int         queued_turn;
  double      scroll_y;
  double      scroll_accum;
  gint64      last_scroll_time;
  double      flow_offset; /* scrolled: how far the top page is scrolled up */

  guint have_geometry : 1;
  guint have_layout : 1;
  guint scroll_latched : 1;
  guint show_bottom : 1;
  guint render_dirty : 1; /* zoom or fit changed: render again */
  guint contents_visible : 1;
  guint find_visible : 1;
  guint find_match_valid : 1;
  guint press_on_page : 1;   /* the click began on the page, not on a child */
  guint spread : 1;          /* two pages side by side (-geometry.c decides) */
  guint neighbours_held : 1; /* no pre-renders until the first page is painted */
  guint scrolled : 1;        /* the pages one under the other (reflowed books) */

  /* Moving freely (-nav.c): the jumps to go back and forward through, the
   * "Back to page N" pill, "Go to", and the reader's pace. */
  GPtrArray          *back;    /* NavEntry, oldest first */
  GPtrArray          *forward; /* NavEntry, the last gone back from on top */
  GtkWidget          *back_button;
  GtkWidget          *go_to_popover;
  guint               back_pill_timeout_id;
  KiosReadingPace    *pace;
  KiosLocation        pace_location; /* the page the pace last saw */
  GArray             *toc_fractions; /* double: where contents entries start */
  char               *time_left;
  KiosReaderViewClock clock;
  gpointer            clock_data;
  guint               nav_jump : 1;   /* the page coming is a jump */
  guint               nav_travel : 1; /* ... back or forward through the history */
  guint               pace_location_valid : 1;

  /* Selection (-selection.c): the text of the page on screen, where the
   * page was last drawn, and the selected characters of it. */
  KiosPageText   *page_text;
  GCancellable   *page_text_cancellable;
  graphene_rect_t page_rect;
  int             sel_anchor; /* -1: nothing selected */
  int             sel_end;
  double          drag_x;
  double          drag_y;
  GtkWidget      *selection_menu;
  GPtrArray      *text_cache; /* KiosPageText of the pages beside it, read ahead */
  GCancellable   *text_cache_cancellable;
  graphene_rect_t other_rect; /* where the other page (a spread's right, scrolled: the one below) was drawn */
  guint           page_rect_valid : 1;
  guint           other_rect_valid : 1;
  guint           sel_on_other : 1;  /* page_text and the selection are the other page's */
  guint           selecting : 1;     /* a drag is selecting */
  guint           drag_selected : 1; /* the last press ended as a selection, not a click */

  /* Annotations (kios-reader-annotations.c). */
  GPtrArray    *annotations;    /* KiosAnnotation of the book, or NULL */
  GArray       *highlight_runs; /* KiosHighlightRun of the page on screen */
  GCancellable *annotations_cancellable;
  guint         format_is_pdf : 1;
  guint         page_bookmarked : 1;
};

/* Scrolled: the gap between two pages, one under the other (CSS px). */
#define FLOW_GAP 24.0

/* clang-format off */
gboolean  kios_reader_view_is_reflowable (KiosReaderView *self);
/* Scrolled mode: moves the pages by pixels (down > 0), across page
 * boundaries; FALSE when not scrolled or already at that end. */
gboolean  kios_reader_view_flow_scroll (KiosReaderView *self,
                                        double pixels);
void      kios_reader_view_rgba_from_hex (guint32 hex,
                                          double alpha,
                                          GdkRGBA *rgba);
void      kios_reader_view_show_status (KiosReaderView *self,
                                        const char *message);
void      kios_reader_view_set_contents_visible (KiosReaderView *self,
                                                 gboolean visible);
void      kios_reader_view_save_position (KiosReaderView *self,
                                          const KiosPosition *position);
void      kios_reader_view_go_to_toc (KiosReaderView *self,
                                      int index);
void      kios_reader_view_page_changed (KiosReaderView *self,
                                         Sheet *sheet,
                                         ShowReason reason,
                                         const KiosPosition *save,
                                         gboolean keep_neighbours);
void      kios_reader_view_issue_show (KiosReaderView *self);
void      kios_reader_view_sheet_free (Sheet *sheet);
void      kios_reader_view_drop_neighbours (KiosReaderView *self);
void      kios_reader_view_turn (KiosReaderView *self,
                                 int direction);
void      kios_reader_view_prefetch_neighbours (KiosReaderView *self);
/* The window holds the pre-renders until its first frame is painted. */
void      kios_reader_view_hold_neighbours (KiosReaderView *self,
                                            gboolean held);
void      kios_reader_view_request_show (KiosReaderView *self,
                                         KiosPageRequestKind kind,
                                         const KiosLocation *location,
                                         const KiosPosition *position,
                                         int toc_index,
                                         ShowReason reason,
                                         const KiosPosition *save);
void      kios_reader_view_cancel_slot (KiosReaderView *self,
                                        Slot slot);
void      kios_reader_view_show_spec_clear (ShowSpec *spec);
void      kios_reader_view_invalidate (KiosReaderView *self,
                                       gboolean layout_changed);
int       kios_reader_view_sidebar_width (KiosReaderView *self);
void      kios_reader_view_geometry_maybe_changed (KiosReaderView *self);
void      kios_reader_view_snapshot (GtkWidget *widget,
                                     GtkSnapshot *snapshot);
void      kios_reader_view_resolve_colors (KiosReaderView *self,
                                           guint32 *foreground,
                                           guint32 *background);
void      kios_reader_view_update_ink (KiosReaderView *self);
void      kios_reader_view_size_allocate (GtkWidget *widget,
                                          int width,
                                          int height,
                                          int baseline);
void      kios_reader_view_page_area (KiosReaderView *self,
                                      double *x,
                                      double *width);
void      kios_reader_view_apply_geometry (KiosReaderView *self);
gboolean  kios_reader_view_sidebar_docked (KiosReaderView *self);
void      kios_reader_view_measure (GtkWidget *widget,
                                    GtkOrientation orientation,
                                    int for_size,
                                    int *minimum,
                                    int *natural,
                                    int *minimum_baseline,
                                    int *natural_baseline);
void      kios_reader_view_queue_apply (KiosReaderView *self);
void      kios_reader_view_update_find_highlights (KiosReaderView *self);
void      kios_reader_view_class_init_actions (GtkWidgetClass *widget_class);
void      kios_reader_view_init_controllers (KiosReaderView *self);
void      kios_reader_view_request_position (KiosReaderView *self,
                                             const KiosPosition *position,
                                             ShowReason reason);
/* other: the page drawn is the other one on screen (self->next), not self->current. */
void      kios_reader_view_snapshot_find (KiosReaderView *self,
                                          GtkSnapshot *snapshot,
                                          const graphene_rect_t *page_rect,
                                          gboolean other);
/* The other page on screen: self->next in a spread or the scrolled mode, or NULL. */
Sheet    *kios_reader_view_other_sheet (KiosReaderView *self);
void      kios_reader_view_track_root_focus (KiosReaderView *self,
                                             gboolean track);
void      kios_reader_view_emit_user_turned_page (KiosReaderView *self);
void      kios_reader_view_nav_init (KiosReaderView *self);
void      kios_reader_view_nav_init_shortcuts (KiosReaderView *self);
void      kios_reader_view_nav_dispose (KiosReaderView *self);
void      kios_reader_view_nav_reset (KiosReaderView *self);
void      kios_reader_view_class_init_nav (GtkWidgetClass *widget_class);
/* Remembers the page on screen for Back before a jump away from it. */
void      kios_reader_view_record_jump (KiosReaderView *self);
/* turned: the page came by a turn (a neighbour), not a request. */
void      kios_reader_view_nav_page_changed (KiosReaderView *self,
                                             ShowReason reason,
                                             gboolean turned);
void      kios_reader_view_nav_update_toc (KiosReaderView *self);
void      kios_reader_view_nav_allocate (KiosReaderView *self,
                                         int width,
                                         int height,
                                         int bar_height);
void      kios_reader_view_nav_snapshot (KiosReaderView *self,
                                         GtkSnapshot *snapshot);
/* The chapter and percentage a progress-bar drag would land on, or NULL. */
char     *kios_reader_view_get_seek_preview (KiosReaderView *self);
/* Contents entries whose titles start with text, then those containing it. */
GArray   *kios_reader_view_match_chapters (KiosReaderView *self,
                                           const char *text,
                                           guint max);

/* kios-reader-selection.c */
void      kios_reader_selection_class_init (GtkWidgetClass *widget_class);
void      kios_reader_selection_init (KiosReaderView *self);
void      kios_reader_selection_dispose (KiosReaderView *self);
void      kios_reader_selection_reset (KiosReaderView *self);
/* The page on screen changed: read its text. */
void      kios_reader_selection_page_changed (KiosReaderView *self);
void      kios_reader_selection_snapshot (KiosReaderView *self,
                                          GtkSnapshot *snapshot,
                                          const graphene_rect_t *page_rect,
                                          gboolean other);
/* The words of the pages on screen changed (a spread's right page came). */
void      kios_reader_selection_update_accessible (KiosReaderView *self);
/* The read-ahead text of a page, or NULL (not removed from the cache). */
const KiosPageText *kios_reader_selection_peek_text (KiosReaderView *self,
                                                     const KiosPage *page);
void      kios_reader_selection_allocate (KiosReaderView *self);
/* A right-click or a long press at (x, y) in the view. */
void      kios_reader_selection_context (KiosReaderView *self,
                                         double x,
                                         double y);

/* kios-reader-annotations.c */
void      kios_reader_annotations_class_init (GtkWidgetClass *widget_class);
void      kios_reader_annotations_open (KiosReaderView *self);
void      kios_reader_annotations_close (KiosReaderView *self);
void      kios_reader_annotations_dispose (KiosReaderView *self);
/* The page's text or the list changed: the highlights on the page again. */
void      kios_reader_annotations_refresh (KiosReaderView *self);
/* The selection changed. */
void      kios_reader_annotations_update_actions (KiosReaderView *self);
void      kios_reader_annotations_snapshot (KiosReaderView *self,
                                            GtkSnapshot *snapshot,
                                            const graphene_rect_t *page_rect);
/* A page's texture at rect, with its highlights. */
void      kios_reader_annotations_append_page (KiosReaderView *self,
                                               GtkSnapshot *snapshot,
                                               const Sheet *sheet,
                                               const graphene_rect_t *rect);
/* clang-format on */

G_END_DECLS
