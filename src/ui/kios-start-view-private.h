/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-book-card.h"
#include "kios-book-menu.h"
#include "kios-library-model.h"
#include "kios-start-view.h"

G_BEGIN_DECLS

struct _KiosStartView
{
  AdwBin parent_instance;

  KiosLibraryStore   *store;
  KiosLibrary        *library;
  GCancellable       *cancellable; /* the current list */
  KiosLibraryModel   *model;       /* every listed book, in the sort order */
  GtkCustomFilter    *filter;      /* shelf and search */
  GtkFilterListModel *filtered;    /* what the grid shows */
  KiosSlotModel      *slots;       /* the grid's model: a slot per book filtered */
  GSimpleActionGroup *actions;     /* the book menu's, with sort and shelf */
  KiosBookMenu       *menu;

  KiosLibrarySort sort;
  KiosStartShelf  shelf;
  char           *search;
  char           *search_folded; /* NULL when not searching */
  GStrv           search_words;  /* its words */

  /* Template children. */
  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkStack        *results_stack;
  GtkGridView     *grid_view;
  GtkSearchEntry  *search_entry;
  AdwStatusPage   *opening_page;
  AdwStatusPage   *no_results_page;
  GtkSpinner      *spinner;

  gulong      changed_id;
  guint       opening_timeout_id;
  guint       step_id;           /* the list still going in, a piece at a time */
  guint       step_size;         /* the next piece, in books */
  gulong      step_painted_id;   /* on the frame clock while pieces go in */
  gint64      step_started;      /* the frame of the last piece; 0 when painted */
  gulong      covers_painted_id; /* on the frame clock while mapped */
  gulong      layout_id;         /* on the frame clock while mapped */
  guint       near_first;        /* the positions of the cards near the screen, */
  guint       near_last;         /* as last laid out */
  gint64      covers_wait_until; /* no piece until the covers shown are in, or then */
  GHashTable *bound;             /* card → its GtkListItem, for the cards bound to a slot */
  GHashTable *shown;             /* card → the KiosBookItem it shows (a reference) */
  GHashTable *stale;             /* the bound cards to show their slot's book once near the screen */
  guint       loading : 1;
  guint       opening : 1;
  guint       setting_search : 1;
  guint       library_empty : 1; /* the last list had no book at all */
  guint       step_skip : 1;     /* the next frame shows the grid: no piece in it */
  guint       covers_dirty : 1;  /* cards moved or were bound: which show? */
  guint       covers_eager : 1;  /* the first screenful: covers load as cards are bound */
  guint       fit_first : 1;     /* the first screenful: one card, then as many as show */
  guint       listed : 1;        /* a list came in: until then, no page says "empty" */
};

/* clang-format off */
/* kios-start-view.c */
void     kios_start_view_update_visible_page  (KiosStartView *self);
gboolean kios_start_view_shown_covers_pending (KiosStartView *self);
void     kios_start_view_show_near_cards      (KiosStartView *self);
/* kios-start-view-pieces.c */
void     kios_start_view_show_items           (KiosStartView *self,
                                               GPtrArray     *items);
void     kios_start_view_finish_steps         (KiosStartView *self);
void     kios_start_view_fit_columns          (KiosStartView *self);
void     kios_start_view_layout_cb            (GdkFrameClock *clock,
                                               KiosStartView *self);

/* kios-start-view-actions.c: the book menu on the cards. */
void     kios_start_view_install_actions      (KiosStartView *self);
/* kios-start-view.c: sort and shelf. */
void     kios_start_view_add_view_actions     (KiosStartView *self);
/* clang-format on */

G_END_DECLS
