/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * KiosCover: a book cover in a fixed slot (2:3 in every view), scaled to
 * fill it and cropped where it sticks out, so a grid of mixed covers stays
 * even. Shared by the start view, catalogs, the Kobo shelf and book details.
 */
#define KIOS_TYPE_COVER (kios_cover_get_type ())
G_DECLARE_FINAL_TYPE (KiosCover, kios_cover, KIOS, COVER, GtkWidget)

/* clang-format off */
GtkWidget  *kios_cover_new         (int         width,
                                    int         height);
void        kios_cover_set_texture (KiosCover  *self,
                                    GdkTexture *texture);
GdkTexture *kios_cover_get_texture (KiosCover  *self);
/* clang-format on */

G_END_DECLS
