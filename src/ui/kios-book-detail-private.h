/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-book-detail.h"

G_BEGIN_DECLS

/*
 * What the book detail's files share: kios-book-detail.c (the page, what
 * it shows of a catalog's or a Kobo shelf's book, its cover) and
 * kios-book-detail-download.c (already downloaded?, the download and its
 * progress, the format choice remembered per source).
 */

#define COVER_WIDTH 180
#define COVER_HEIGHT 270
#define PROGRESS_INTERVAL_MS 100

struct _KiosBookDetail
{
  AdwBin parent_instance;

  KiosLibraryStore *store;
  char             *source_name;
  KiosOpdsClient   *client; /* the catalog's, a reference */
  KiosOpdsEntry    *entry;
  KiosSourceRecord *kobo_source; /* a Kobo shelf's book: its source */
  char             *kobo_id;     /* … and its entitlement id */
  char             *title;
  KiosCatalogItem  *item; /* the book's card, nullable: it follows the download */
  gboolean          read_after_download;
  char             *path;
  char             *error;
  GCancellable     *cancellable; /* the lookup or download of this book */
  GCancellable     *cover_cancellable;
  gboolean          downloading;
  guint64           received; /* the download's progress, in the main context */
  guint64           total;
  guint             progress_id;
  double            fraction;

  GtkWidget *cover;
  GtkWidget *placeholder;
  GtkLabel  *title_label;
  GtkLabel  *authors_label;
  GtkLabel  *series_label;
  GtkStack  *action_stack;
  GtkWidget *download_button;
  GtkWidget *format_button; /* the other formats, when there are two */
  char      *format;        /* what Download fetches; NULL = the first Kios opens */
  GtkWidget *progress_bar;
  GtkLabel  *progress_label;
  GtkLabel  *error_label;
  GtkWidget *details_list;
  GtkWidget *language_row;
  GtkWidget *formats_row;
  GtkWidget *summary_box;
  GtkLabel  *summary_label;
};

enum {
  SIGNAL_READ,
  SIGNAL_BACK,
  N_SIGNALS
};

extern guint kios_book_detail_signals[N_SIGNALS];

/* clang-format off */
/* kios-book-detail.c */
void kios_book_detail_set_state              (KiosBookDetail *self,
                                              const char     *state);
void kios_book_detail_stop                   (KiosBookDetail *self);
void kios_book_detail_show_error             (KiosBookDetail *self,
                                              const char     *message);
/* kios-book-detail-download.c */
void kios_book_detail_start_lookup           (KiosBookDetail *self);
void kios_book_detail_update_download_button (KiosBookDetail *self);
void kios_book_detail_download_clicked_cb    (KiosBookDetail *self);
void kios_book_detail_cancel_clicked_cb      (KiosBookDetail *self);
void kios_book_detail_read_clicked_cb        (KiosBookDetail *self);
void kios_book_detail_download_format_action (GtkWidget      *widget,
                                              const char     *action_name,
                                              GVariant       *parameter);
/* clang-format on */

G_END_DECLS
