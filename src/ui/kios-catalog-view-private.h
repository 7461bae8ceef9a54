/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-catalog-item.h"
#include "kios-catalog-view.h"
#include "kios-kobo-shelf.h"
#include "kios-source-manager.h"

G_BEGIN_DECLS

/*
 * What the catalog view's files share: kios-catalog-view.c (requests,
 * errors, the way back), kios-catalog-view-grid.c (the entries of the page
 * on screen: navigation rows and the grid of books, the next page, covers),
 * kios-catalog-cards.c (what one entry shows) and
 * kios-catalog-credentials.c (asking for an account after a 401).
 */

typedef enum {
  OP_OPEN,   /* load the secrets, then the root */
  OP_FETCH,  /* a page (href) */
  OP_SEARCH, /* query through the page on screen */
  OP_MORE,   /* the next page of the page on screen */
} Op;

typedef struct
{
  char         *title;
  KiosOpdsFeed *feed;
  gboolean      is_search;
} Page;

struct _KiosCatalogView
{
  AdwBin parent_instance;

  KiosLibraryStore  *store;
  KiosSourceManager *manager; /* saves a sign-in: injected, else the app's or one over store */
  KiosSourceRecord  *source;
  KiosOpdsClient    *client;             /* the open catalog: feeds and covers */
  GCancellable      *cancellable;        /* the feed request in flight */
  GCancellable      *source_cancellable; /* everything of this source */
  GPtrArray         *pages;              /* Page*, the way back */
  gboolean           busy;
  gboolean           loading_more;
  gboolean           asked_credentials;
  Op                 failed_op;
  char              *failed_href;
  char              *failed_query;
  char              *error_message; /* the core's detail (logs, tests) */
  char              *error_text;    /* the sentence shown */
  GError            *last_error;
  char              *suggestion; /* a catalog found next to the address, for "Did you mean …?" */
  char              *next_title; /* the navigation entry being opened */

  guint          more_idle_id;  /* the next page's check, after a scroll */
  GPtrArray     *pending_items; /* KiosCatalogItem: a next page waiting for its frame */
  GdkFrameClock *pending_clock; /* … whose update phase appends it */
  gulong         pending_id;

  GtkWidget         *header;
  GtkWidget         *back_button;
  GtkLabel          *title_label;
  GtkSearchEntry    *search_entry;
  GtkStack          *stack;
  GtkScrolledWindow *nav_scrolled; /* the navigation entries */
  GtkWidget         *nav_list;
  GtkWidget         *books_label;
  GListStore        *books;    /* KiosCatalogItem: the page's books, in order */
  GtkScrolledWindow *scrolled; /* the grid of books */
  GtkGridView       *grid;
  GtkWidget         *more_spinner;
  AdwStatusPage     *error_page;
  AdwStatusPage     *empty_page;
  GtkWidget         *loading_spinner;
  KiosKoboShelf     *kobo_shelf; /* a "kobo" source shows here instead */
};

/* clang-format off */
void       kios_catalog_view_start_op          (KiosCatalogView     *self,
                                                Op                   op,
                                                const char          *href,
                                                const char          *query);
void       kios_catalog_view_show_error        (KiosCatalogView     *self,
                                                const GError        *error);
void       kios_catalog_view_ask_credentials   (KiosCatalogView     *self,
                                                const char          *realm);
/* kios-catalog-view.c */
Page      *kios_catalog_view_current_page      (KiosCatalogView     *self);
/* kios-catalog-view-grid.c */
GtkWidget *kios_catalog_view_build_entries     (KiosCatalogView     *self);
void       kios_catalog_view_show_page         (KiosCatalogView     *self);
void       kios_catalog_view_append_entries    (KiosCatalogView     *self,
                                                guint                first);
void       kios_catalog_view_activate_index    (KiosCatalogView     *self,
                                                guint                index);
void       kios_catalog_view_stop_entries      (KiosCatalogView     *self);
/* kios-catalog-cards.c */
KiosCatalogItem *kios_catalog_item_new_for_entry (const KiosOpdsEntry *entry,
                                                guint                index,
                                                KiosOpdsClient      *client);
GtkWidget *kios_catalog_create_navigation_row  (const KiosOpdsEntry *entry,
                                                guint                index);
/* clang-format on */

G_END_DECLS
