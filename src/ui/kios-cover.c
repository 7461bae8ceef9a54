/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-cover"

#include "config.h"

#include "kios-cover.h"

struct _KiosCover
{
  GtkWidget parent_instance;

  GdkTexture *texture;
  int         width;
  int         height;
};

G_DEFINE_FINAL_TYPE (KiosCover, kios_cover, GTK_TYPE_WIDGET)

static void
kios_cover_measure (GtkWidget     *widget,
                    GtkOrientation orientation,
                    int            for_size,
                    int           *minimum,
                    int           *natural,
                    int           *minimum_baseline,
                    int           *natural_baseline)
{
  KiosCover *self = KIOS_COVER (widget);

  *minimum = *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? self->width : self->height;
}

static void
kios_cover_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  KiosCover *self = KIOS_COVER (widget);
  double     width = gtk_widget_get_width (widget);
  double     height = gtk_widget_get_height (widget);
  double     texture_width;
  double     texture_height;
  double     scale;

  if (self->texture == NULL)
    return;

  /* Fill the slot and crop what sticks out. */
  texture_width = gdk_texture_get_width (self->texture);
  texture_height = gdk_texture_get_height (self->texture);
  scale = MAX (width / texture_width, height / texture_height);
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_append_texture (snapshot, self->texture,
                               &GRAPHENE_RECT_INIT ((width - texture_width * scale) / 2.0,
                                                    (height - texture_height * scale) / 2.0,
                                                    texture_width * scale,
                                                    texture_height * scale));
  gtk_snapshot_pop (snapshot);
}

static void
kios_cover_dispose (GObject *object)
{
  g_clear_object (&KIOS_COVER (object)->texture);

  G_OBJECT_CLASS (kios_cover_parent_class)->dispose (object);
}

static void
kios_cover_class_init (KiosCoverClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kios_cover_dispose;
  GTK_WIDGET_CLASS (klass)->measure = kios_cover_measure;
  GTK_WIDGET_CLASS (klass)->snapshot = kios_cover_snapshot;
}

static void
kios_cover_init (KiosCover *self)
{
  self->width = 120;
  self->height = 180;
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (GTK_WIDGET (self), "book-cover");
}

GtkWidget *
kios_cover_new (int width,
                int height)
{
  KiosCover *self = g_object_new (KIOS_TYPE_COVER, NULL);

  self->width = MAX (width, 1);
  self->height = MAX (height, 1);
  return GTK_WIDGET (self);
}

void
kios_cover_set_texture (KiosCover  *self,
                        GdkTexture *texture)
{
  g_return_if_fail (KIOS_IS_COVER (self));

  if (g_set_object (&self->texture, texture))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

GdkTexture *
kios_cover_get_texture (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), NULL);

  return self->texture;
}
