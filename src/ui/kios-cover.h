/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * KiosCover: a book cover in a fixed slot (2:3 in every view), scaled to
 * fill it and cropped where it sticks out, so a grid of mixed covers stays
 * even. Shared by the start view, catalogs, the Kobo shelf and book details.
 *
 * A texture exactly the slot's size in pixels (what the cover loader makes)
 * gets its corners cut once and is then drawn as it is every frame, never
 * scaled or clipped again: a grid scrolling past dozens of covers draws
 * each as a copy. The cover then holds that picture only (the texture set is
 * dropped): one copy of its pixels per cover. Any other texture is kept,
 * scaled and clipped as it is drawn.
 */

/* The corners' radius, in pixels at scale 1: style.css's .book-cover, which
 * placeholders wear (a cover draws its corners and edge itself). */
#define KIOS_COVER_RADIUS 6

#define KIOS_TYPE_COVER (kios_cover_get_type ())
G_DECLARE_FINAL_TYPE (KiosCover, kios_cover, KIOS, COVER, GtkWidget)

/* clang-format off */
GtkWidget  *kios_cover_new                (int         width,
                                           int         height);
void        kios_cover_set_texture        (KiosCover  *self,
                                           GdkTexture *texture);
/* The picture shown: the texture set, or once that became the slot picture
 * (and was dropped), the slot picture itself, corners cut and edge drawn;
 * a KiosCover given it draws it as it is, scaled. NULL when none. */
GdkTexture *kios_cover_get_texture        (KiosCover  *self);
gboolean    kios_cover_has_picture        (KiosCover  *self);
/* TRUE once the texture drawn is the slot's own picture (slot-sized,
 * corners cut), FALSE while nothing or another size is drawn. */
gboolean    kios_cover_draws_slot_picture (KiosCover  *self);
/* For tests: how many copies of the picture's pixels the cover holds (the
 * texture set, the slot picture's texture or node), and whether the slot
 * picture is a cairo node (under the cairo renderer). */
guint       kios_cover_count_pictures     (KiosCover  *self);
gboolean    kios_cover_holds_node         (KiosCover  *self);
/* clang-format on */

G_END_DECLS
