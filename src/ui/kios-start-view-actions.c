/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-start-view"

#include "config.h"

#include "kios-start-view-private.h"

/*
 * The book menu on the cards: what it does is KiosBookMenu's, shared with
 * "On This Computer". Its "library" action group also holds the view's
 * sort and shelf.
 */

static const KiosBookRecord *
card_book (GtkWidget *widget)
{
  return KIOS_IS_BOOK_CARD (widget) ? kios_book_card_get_book (KIOS_BOOK_CARD (widget)) : NULL;
}

/* Loading until the list that shows the result is in: shelves and
 * searches filter the current list and never list again by themselves. */
static void
menu_busy_cb (KiosStartView *self)
{
  self->loading = TRUE;
}

void
kios_start_view_install_actions (KiosStartView *self)
{
  self->menu = kios_book_menu_new (GTK_WIDGET (self), self->model, self->toast_overlay, card_book);
  self->actions = G_SIMPLE_ACTION_GROUP (g_object_ref (kios_book_menu_get_actions (self->menu)));
  kios_start_view_add_view_actions (self);
  g_signal_connect_object (self->menu, "busy", G_CALLBACK (menu_busy_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->menu, "changed", G_CALLBACK (kios_start_view_reload), self, G_CONNECT_SWAPPED);
  kios_book_menu_add_keys (self->menu, GTK_WIDGET (self->grid_view));
}

void
kios_start_view_locate (KiosStartView *self,
                        const char    *hash,
                        const char    *path)
{
  g_return_if_fail (KIOS_IS_START_VIEW (self));
  g_return_if_fail (hash != NULL && path != NULL);

  kios_book_menu_locate (self->menu, hash, path);
}
