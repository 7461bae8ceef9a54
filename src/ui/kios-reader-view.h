/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-document.h"
#include "kios-library-store.h"

G_BEGIN_DECLS

/*
 * KiosReaderView: the page of an open book, with its navigation. It lays the
 * book out to its own size, renders through KiosDocument's worker (never on
 * the main thread), keeps the neighbouring pages pre-rendered, and saves the
 * position to the store on every page turn.
 *
 * Actions (installed on the widget class): reader.next-page,
 * reader.previous-page, reader.first-page, reader.last-page,
 * reader.font-larger, reader.font-smaller, reader.font-reset,
 * reader.go-to-toc (int32: index into the document's TOC).
 *
 * Properties: document (KiosDocument, read-only; set with _open), store,
 * position (KiosPosition boxed, read-only), chapter-title (string),
 * page-label ("Page 3 of 120", string), progress (double 0..1),
 * toc-index (int, -1), font-size (double, CSS px), theme (string:
 * "auto" | "light" | "sepia" | "dark"), margin (double, CSS px),
 * line-spacing (double), pdf-fit ("width" | "page"), pdf-zoom (double).
 *
 * Signals: "page-shown" (emitted after a new page is on screen),
 * "user-turned-page" (the reader moved by their own action).
 *
 * Additions (reader engineer):
 * - Action reader.scroll (double: a fraction of the view's height, negative
 *   upwards): scrolls a PDF page that is taller than the view (fit-width or
 *   zoomed) and turns the page at its edge; on EPUB it turns the page. Bound
 *   to Down/Up (0.15) and space/shift+space/Page_Down/Page_Up (0.9).
 *   Right/Left always turn. Home/End: first/last page. Ctrl+plus/minus/0:
 *   font (EPUB) or zoom (PDF) larger/smaller/reset.
 * - Clicks in the left/right third turn back/forward; the wheel turns one
 *   page per notch (smooth touchpad deltas are accumulated, one page per
 *   gesture); touch swipes turn.
 * - PDF: pdf-fit "page" (the default) shows the whole page; "width" fills
 *   the width and scrolls vertically, starting at the top of a page reached
 *   forwards and at the bottom of one reached by scrolling backwards.
 * - The view contains its own KiosProgressBar along its bottom edge and
 *   draws the chapter title above and the page label below the text, like a
 *   printed page. The page label reads "Page 12 of 340" once the book's pages
 *   are counted, "Page 2 of 14 in this chapter" before.
 * - Property contents-visible (boolean) and the stateful action
 *   reader.contents show the view's own KiosContentsSidebar. A contents
 *   jump lands on the page where the entry starts, and relayouts after it
 *   (a sidebar docked or closed, a resize) keep that page.
 * - Action reader.find (Ctrl+F, anywhere in the window while a book is on
 *   screen) shows a KiosFindBar over the top of the page; matches on the
 *   page on screen are highlighted. Escape goes back to where the search
 *   began.
 * - When a popover (the header's) closes with the focus in it, the focus
 *   comes back to the page, so the arrow keys turn pages again.
 * - go_to_position saves the requested position itself (not the first word
 *   of the page it lands on), so a position taken from sync is kept exactly;
 *   it emits "page-shown" but not "user-turned-page". Saved positions get
 *   updated_at = now and this device's name and id (from the page).
 * - "page-shown" also follows relayouts and re-renders (theme, size, the
 *   page count arriving), not only turns; "user-turned-page" is only turns,
 *   first/last page and contents jumps.
 * - Settings (font-size, line-spacing, margin, theme, pdf-*) apply at once;
 *   a resize is laid out 150 ms after the window stops changing size, with
 *   the same words kept on screen. Mouse buttons 8/9 turn back/forward.
 *
 * Moving freely:
 * - The progress bar seeks (click, or drag and release; the chapter and
 *   percentage a drag would land on replace the page label meanwhile), its
 *   tooltip naming the chapter under the pointer.
 * - reader.go-to (Ctrl+G) opens "Go to" (KiosGoToPopover): a page of the
 *   current layout once the pages are counted (a PDF's page), a percentage
 *   or a chapter name.
 * - Every jump (contents, a find match, go-to, a seek, and
 *   kios_reader_view_jump_to with KIOS_JUMP_RECORD_BACK; not Home/End)
 *   remembers the page it left: reader.back (Alt+Left, and a "Back to page N" pill shown for a
 *   few seconds after the jump) returns there, reader.forward (Alt+Right)
 *   goes forward again. Page turns add nothing.
 * - Under the page: the time left in the chapter and in the book, from the
 *   reader's own pace (KiosReadingPace), once enough turns were measured.
 */

#define KIOS_TYPE_READER_VIEW (kios_reader_view_get_type ())
G_DECLARE_FINAL_TYPE (KiosReaderView, kios_reader_view, KIOS, READER_VIEW, GtkWidget)

typedef enum {
  KIOS_JUMP_NONE = 0,
  KIOS_JUMP_RECORD_BACK = 1 << 0, /* Back returns to the page left */
} KiosJumpFlags;

/* One page at a time, two side by side, two when the view is wide enough,
 * or (reflowed books) the pages one under the other, scrolled. */
typedef enum {
  KIOS_PAGE_LAYOUT_SINGLE = 0,
  KIOS_PAGE_LAYOUT_SPREAD,
  KIOS_PAGE_LAYOUT_AUTO,
  KIOS_PAGE_LAYOUT_SCROLLED,
} KiosPageLayout;

/* Monotonic time in µs, for the reading pace (tests inject one). */
typedef gint64 (*KiosReaderViewClock) (gpointer user_data);

/* clang-format off */
KiosReaderView     *kios_reader_view_new            (void);
/* The first page's request (and an EPUB's layout) a reader view of that
 * size will ask for, with the reader settings in settings, worked out
 * before GTK starts; FALSE for a spread or scrolled view. */
gboolean            kios_reader_view_first_request_for_size (double           view_width,
                                                             double           view_height,
                                                             gboolean         reflowable,
                                                             GSettings       *settings,
                                                             KiosPageRequest *request,
                                                             KiosLayout      *layout);
void                kios_reader_view_set_store      (KiosReaderView     *self,
                                                     KiosLibraryStore   *store);
/* Shows the document at start (or its first page when NULL). */
void                kios_reader_view_open           (KiosReaderView     *self,
                                                     KiosDocument       *document,
                                                     const KiosPosition *start);
void                kios_reader_view_close          (KiosReaderView     *self);
KiosDocument       *kios_reader_view_get_document   (KiosReaderView     *self);
const KiosPosition *kios_reader_view_get_position   (KiosReaderView     *self);
/* Jumps to a position (e.g. from sync); counts as a page turn for saving. */
void                kios_reader_view_go_to_position (KiosReaderView     *self,
                                                     const KiosPosition *position);
const char         *kios_reader_view_get_page_label (KiosReaderView     *self);
const char         *kios_reader_view_get_chapter_title (KiosReaderView  *self);
/* The page currently on screen, or NULL (for tests and screenshots). */
const KiosPage     *kios_reader_view_get_page       (KiosReaderView     *self);
/* Jumps to the start of TOC entry index (of kios_document_get_toc); a page turn. */
void                kios_reader_view_go_to_toc      (KiosReaderView     *self,
                                                     int                 index);
int                 kios_reader_view_get_toc_index  (KiosReaderView     *self);
/* The view's own contents sidebar (KiosContentsSidebar): beside the page on
 * wide views, over it on narrow ones (then a pick or a click closes it). */
gboolean            kios_reader_view_get_contents_visible (KiosReaderView *self);
void                kios_reader_view_set_contents_visible (KiosReaderView *self,
                                                           gboolean        visible);
GtkWidget          *kios_reader_view_get_contents_sidebar (KiosReaderView *self);
double              kios_reader_view_get_progress   (KiosReaderView     *self);
/* Find in book (reader.find, Ctrl+F): the bar over the top of the page.
 * Hiding it with restore goes back to where the search began. */
gboolean            kios_reader_view_get_find_visible (KiosReaderView   *self);
void                kios_reader_view_set_find_visible (KiosReaderView   *self,
                                                       gboolean          visible,
                                                       gboolean          restore);
GtkWidget          *kios_reader_view_get_find_bar   (KiosReaderView     *self);
/* Matches highlighted on the page on screen; current: the rank among them
 * of the match last gone to, or -1 (for tests). */
guint               kios_reader_view_get_n_find_highlights (KiosReaderView *self,
                                                            int            *current);
/* As go_to_position; with KIOS_JUMP_RECORD_BACK, Back returns to the page
 * on screen before (a sync "Continue" is such a jump). */
void                kios_reader_view_jump_to        (KiosReaderView     *self,
                                                     const KiosPosition *position,
                                                     KiosJumpFlags       flags);
/* Goes to fraction (0..1) of the book, as the progress bar does. */
void                kios_reader_view_seek           (KiosReaderView     *self,
                                                     double              fraction);
/* "Go to": a page ("120", "page 120"), a percentage ("45%") or a chapter
 * name. FALSE with a sentence for the reader in message when it cannot. */
gboolean            kios_reader_view_go_to_text     (KiosReaderView     *self,
                                                     const char         *text,
                                                     char              **message);
void                kios_reader_view_set_go_to_visible (KiosReaderView  *self,
                                                        gboolean         visible);
/* The KiosGoToPopover, once shown; NULL before. */
GtkWidget          *kios_reader_view_get_go_to_popover (KiosReaderView  *self);
gboolean            kios_reader_view_go_back        (KiosReaderView     *self);
gboolean            kios_reader_view_go_forward     (KiosReaderView     *self);
guint               kios_reader_view_get_n_back     (KiosReaderView     *self);
guint               kios_reader_view_get_n_forward  (KiosReaderView     *self);
GtkWidget          *kios_reader_view_get_back_button (KiosReaderView    *self);
/* "12 min left in chapter · 6 h left in book", or NULL until the pace is known. */
const char         *kios_reader_view_get_time_left  (KiosReaderView     *self);
void                kios_reader_view_set_clock      (KiosReaderView     *self,
                                                     KiosReaderViewClock clock,
                                                     gpointer            user_data);
/* Two-page spreads (-geometry.c): the left page is the page on screen (its
 * position is the view's); the right one is the page after it; a turn moves
 * by two. */
void                kios_reader_view_set_page_layout (KiosReaderView  *self,
                                                      KiosPageLayout   layout);
KiosPageLayout      kios_reader_view_get_page_layout (KiosReaderView  *self);
gboolean            kios_reader_view_get_spread     (KiosReaderView     *self);
/* Scrolled (-slots.c): the page on screen is the top one, scrolled this far
 * (CSS px) up out of view; the page after it follows below. */
gboolean            kios_reader_view_get_scrolled   (KiosReaderView     *self);
double              kios_reader_view_get_scroll_offset (KiosReaderView  *self);
/* The right page of the spread on screen, or NULL (for tests and screenshots). */
const KiosPage     *kios_reader_view_get_right_page (KiosReaderView     *self);
/* clang-format on */

G_END_DECLS
