/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-banner.h"
#include "kios-book-detail.h"
#include "kios-catalog-view.h"
#include "kios-document.h"
#include "kios-library-sidebar.h"
#include "kios-library-store.h"
#include "kios-local-books.h"
#include "kios-sync-service.h"
#include "kios-sync-status-button.h"
#include "kios-window.h"

G_BEGIN_DECLS

/*
 * KiosWindow is one class in several files: kios-window.c (opening books,
 * the deferred start, the public API), -actions.c (the window's actions,
 * dropped files, the reader following the settings), -cover.c (a
 * book's cover for the library), -library.c (the
 * library's sidebar, catalogs and book details), -chrome.c (dark style,
 * fullscreen), -popover.c (the Text and Theme popover) and -sync.c (the window's
 * sync engine, given by the application's sync service: the status button,
 * the Continue / Stay here banner, and the events that make the engine push
 * and pull). This header shares the instance struct between them.
 */

struct _KiosWindow
{
  AdwApplicationWindow parent_instance;

  GSettings        *settings;
  KiosLibraryStore *store;
  KiosDocument     *document;         /* the open book, or NULL */
  GCancellable     *cancellable;      /* the window's lifetime */
  GCancellable     *open_cancellable; /* the open in progress, or NULL */

  /* The deferred start: what the first page does not need (the library's
   * views and sidebar, sync, covers) comes up after the first frame. */
  gboolean         deferring;       /* set up by the application: wait for the first frame */
  gboolean         started;         /* the deferred parts are up */
  gboolean         page_shown_once; /* the reader painted a page since the open */
  GdkFrameClock   *frame_clock;     /* while after_paint_id is connected */
  gulong           after_paint_id;
  guint            start_idle_id;     /* the idle after the first frame that starts them */
  guint            start_fallback_id; /* starts them if no page comes (hidden, stuck) */
  guint            placeholder_id;    /* shows the opening placeholder after a while */
  KiosSyncService *deferred_service;  /* the service to attach at the start */
  gboolean         service_from_app;  /* or the application's, made at the start */
  KiosBookRecord  *deferred_cover;    /* a cover to render at the start */
  char            *first_frame_page;  /* the stack page at the first painted frame */

  /* Sync (kios-window-sync.c). */
  KiosSyncService      *sync_service;
  KiosSyncEngine       *sync_engine;  /* made by sync_service for this window */
  KiosBanner           *sync_banner;  /* borrowed: in sync_banner_revealer */
  KiosSyncStatusButton *sync_button;  /* borrowed: in the header bar */
  char                 *sync_toasted; /* the failure last shown as a toast */
  gboolean              sync_opening; /* a book was opened; its first page is on its way */

  /* Fullscreen and the text popover (kios-window-chrome.c, -popover.c). */
  GtkEventController *chrome_motion; /* the pointer reaching the top shows the header */
  double              pointer_y;     /* in the window, while pointer_inside */
  gboolean            pointer_inside;
  gboolean            immersive;    /* fullscreen: the header bar over the page, hidden */
  gboolean            tooltips_set; /* the header bar's, given after the first frame */

  /* Template children. */
  AdwToastOverlay *toast_overlay;
  GtkOverlay      *chrome_overlay;
  GtkBox          *content_box;
  GtkRevealer     *header_revealer;
  AdwHeaderBar    *header_bar;
  GtkWidget       *main_menu_button;
  GMenuModel      *main_menu; /* its popover is made when it first opens */
  GtkWidget       *library_button;
  GtkWidget       *contents_button;
  GtkWidget       *bookmark_button;
  GtkWidget       *open_button;
  AdwWindowTitle  *window_title;
  GtkWidget       *text_menu_button;
  GtkWidget       *font_controls;
  GtkWidget       *font_size_button;
  GtkWidget       *pdf_controls;
  GtkWidget       *zoom_level_button;
  GtkWidget       *layout_controls;
  GtkWidget       *scrolled_toggle;
  GtkAdjustment   *margin_adjustment;
  GtkAdjustment   *line_spacing_adjustment;
  GtkRevealer     *sync_banner_revealer;
  GtkStack        *stack;
  GtkWidget       *opening_placeholder;
  GtkLabel        *opening_title;
  KiosReaderView  *reader_view;
  GtkWidget       *library_sidebar_button;
  /* The library: NULL until kios_window_library_ensure(). */
  KiosStartView      *start_view;
  AdwFlap            *library_flap;
  KiosLibrarySidebar *library_sidebar;
  GtkStack           *library_stack;
  KiosLocalBooks     *local_books;
  KiosCatalogView    *catalog_view;
  KiosBookDetail     *book_detail;
};

/* clang-format off */
/* kios-window-actions.c */
void kios_window_actions_init      (KiosWindow *self);
/* The bookmark button's tooltip, for the page's bookmark (once tooltips are set). */
void kios_window_bookmark_tooltip_update (KiosWindow *self);
void kios_window_book_activated_cb (KiosWindow *self,
                                    const char *path);

/* kios-window-chrome.c: the whole window follows the reading theme's light
 * or dark style; fullscreen hides the header bar until the pointer reaches
 * the top edge. */
void kios_window_chrome_init       (KiosWindow *self);
/* Moves the header bar over the page, hidden (TRUE), or back above it. */
void kios_window_set_immersive     (KiosWindow *self,
                                    gboolean    immersive);
gboolean kios_window_get_header_revealed (KiosWindow *self);
/* A menu of the header bar closing may hide it (for one made later). */
void kios_window_chrome_watch_popover (KiosWindow *self,
                                       GtkPopover *popover);
/* Gives the header bar's buttons their tooltips, once. Each one set makes
 * GTK ask the X server where the pointer is: not before the first frame. */
void kios_window_chrome_set_tooltips (KiosWindow *self);

/* kios-window-popover.c: the Text and Theme popover shows the controls of
 * the open book's format (text size and layout, or zoom and fit). Its
 * widgets (font_controls to line_spacing_adjustment above) stay NULL until
 * its button first opens, or _ensure() makes them. */
void kios_window_popover_init      (KiosWindow *self);
void kios_window_popover_update    (KiosWindow *self);
void kios_window_popover_ensure    (KiosWindow *self);

/* kios-window-cover.c: renders and saves a cover for record's book. */
void kios_window_make_cover        (KiosWindow           *self,
                                    KiosDocument         *document,
                                    const KiosBookRecord *record);

/* kios-window-library.c */
/* Makes the library's widgets the first time they are needed (the fields
 * from start_view to book_detail are NULL until then). */
void kios_window_library_ensure            (KiosWindow *self);
void kios_window_library_active_cb         (KiosWindow *self);
/* The library's views and sidebar list their books once they get the store;
 * the application's library starts. */
void kios_window_library_set_store         (KiosWindow *self);
void kios_window_library_set_widgets_store (KiosWindow *self);

/* kios-window-sync.c */
void kios_window_sync_init        (KiosWindow *self);
void kios_window_sync_dispose     (KiosWindow *self);
/* The window's sync-details action, enabled while a book is open with sync. */
void kios_window_sync_update_mode (KiosWindow *self);
/* Attaches the service now (the deferred start does). */
void kios_window_sync_attach      (KiosWindow      *self,
                                   KiosSyncService *service);
/* clang-format on */

G_END_DECLS
