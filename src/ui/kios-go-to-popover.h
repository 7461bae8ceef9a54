/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

#include "kios-reader-view.h"

G_BEGIN_DECLS

/*
 * KiosGoToPopover: the reader's "Go to" (Ctrl+G). One entry takes a page
 * number ("120", "page 120"), a percentage ("45%") or a chapter name; while
 * a name is typed, the chapters whose titles start with it (then those
 * containing it) are listed below, and picking one goes there. Enter goes
 * to what was typed (kios_reader_view_go_to_text); what cannot be gone to
 * is said under the entry and the popover stays open.
 */

#define KIOS_TYPE_GO_TO_POPOVER (kios_go_to_popover_get_type ())
G_DECLARE_FINAL_TYPE (KiosGoToPopover, kios_go_to_popover, KIOS, GO_TO_POPOVER, GtkPopover)

/* clang-format off */
GtkWidget  *kios_go_to_popover_new             (KiosReaderView  *view);
/* Empties the entry, the message and the list. */
void        kios_go_to_popover_reset           (KiosGoToPopover *self);
GtkWidget  *kios_go_to_popover_get_entry       (KiosGoToPopover *self);
/* The message shown under the entry, or NULL (for tests). */
const char *kios_go_to_popover_get_message     (KiosGoToPopover *self);
/* The chapters listed: TOC indices in the order shown. */
GArray     *kios_go_to_popover_get_suggestions (KiosGoToPopover *self);
/* Goes to the n-th listed chapter, as a click on it does. */
void        kios_go_to_popover_pick            (KiosGoToPopover *self,
                                                guint            n);
/* clang-format on */

G_END_DECLS
