/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * KiosBanner: the sync prompt under the header bar, "Another device is in
 * ‘Chapter 12’ — switch?" with Continue (suggested) and Stay here. It looks
 * like AdwBanner (libadwaita 1.3+: the same "banner" CSS node, so the theme
 * styles it there; on 1.2 a fallback style with the same colours and
 * padding is loaded) but has the two buttons AdwBanner cannot hold.
 *
 * Properties: title (string), revealed (boolean).
 * Signals: "continue" and "stay" (no arguments): the buttons; the banner
 * hides itself before emitting them.
 * Buttons are named "continue-button" and "stay-button" (tests).
 */

#define KIOS_TYPE_BANNER (kios_banner_get_type ())
G_DECLARE_FINAL_TYPE (KiosBanner, kios_banner, KIOS, BANNER, GtkWidget)

/* clang-format off */
GtkWidget  *kios_banner_new          (void);
const char *kios_banner_get_title    (KiosBanner *self);
gboolean    kios_banner_get_revealed (KiosBanner *self);
void        kios_banner_set_title    (KiosBanner *self,
                                      const char *title);
void        kios_banner_set_revealed (KiosBanner *self,
                                      gboolean    revealed);
/* Sets the title for chapter_title ("Another device is in ‘…’ — switch?") and reveals. */
void        kios_banner_show_prompt  (KiosBanner *self,
                                      const char *chapter_title);
/* clang-format on */

G_END_DECLS
