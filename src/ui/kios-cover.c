/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-cover"

#include "config.h"

#include "kios-cover.h"

struct _KiosCover
{
  GtkWidget parent_instance;

  GdkTexture      *texture;
  int              width;
  int              height;
  cairo_surface_t *slot_surface; /* texture with the slot's corners and edge, when it is the slot's size */
  GdkTexture      *slot_texture; /* the same pixels as a texture */
  int              slot_scale;   /* the scale factor slot_surface was made for */
};

G_DEFINE_FINAL_TYPE (KiosCover, kios_cover, GTK_TYPE_WIDGET)

/* The cover's hairline edge: black at this opacity, 1 px inside the slot
 * (as the placeholder's outline in style.css). */
#define EDGE_ALPHA 0.12

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
rounded_rect_path (cairo_t *cr,
                   double   width,
                   double   height,
                   double   radius)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, width - radius, radius, radius, -G_PI / 2.0, 0.0);
  cairo_arc (cr, width - radius, height - radius, radius, 0.0, G_PI / 2.0);
  cairo_arc (cr, radius, height - radius, radius, G_PI / 2.0, G_PI);
  cairo_arc (cr, radius, radius, radius, G_PI, 3.0 * G_PI / 2.0);
  cairo_close_path (cr);
}

static void
clear_slot_picture (KiosCover *self)
{
  g_clear_pointer (&self->slot_surface, cairo_surface_destroy);
  g_clear_object (&self->slot_texture);
  self->slot_scale = 0;
}

/* The texture, when it is exactly the slot's size in pixels (as the cover
 * loader makes them), with the slot's corners cut and its edge drawn once:
 * drawing it then is a plain copy every frame, never a scale, a rounded
 * clip, an outline or a conversion. */
static gboolean
ensure_slot_picture (KiosCover *self,
                     int        scale)
{
  int              width = self->width * scale;
  int              height = self->height * scale;
  cairo_surface_t *surface;
  cairo_t         *cr;
  GBytes          *bytes;

  if (self->slot_surface != NULL && self->slot_scale == scale)
    return TRUE;
  clear_slot_picture (self);
  if (gdk_texture_get_width (self->texture) != width || gdk_texture_get_height (self->texture) != height)
    return FALSE;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return FALSE;
    }
  gdk_texture_download (self->texture, cairo_image_surface_get_data (surface), cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);
  /* Clears what lies outside the rounded slot (the corners), antialiased. */
  cr = cairo_create (surface);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_rectangle (cr, 0, 0, width, height);
  rounded_rect_path (cr, width, height, KIOS_COVER_RADIUS * scale);
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_fill (cr);
  /* The hairline edge, inside the slot. */
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_WINDING);
  cairo_new_path (cr);
  cairo_translate (cr, scale / 2.0, scale / 2.0);
  rounded_rect_path (cr, width - scale, height - scale, (KIOS_COVER_RADIUS - 0.5) * scale);
  cairo_set_line_width (cr, scale);
  cairo_set_source_rgba (cr, 0.0, 0.0, 0.0, EDGE_ALPHA);
  cairo_stroke (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) cairo_image_surface_get_stride (surface) * height,
                                      (GDestroyNotify) cairo_surface_destroy, cairo_surface_reference (surface));
  self->slot_texture = gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, bytes,
                                               cairo_image_surface_get_stride (surface));
  g_bytes_unref (bytes);
  self->slot_surface = surface;
  self->slot_scale = scale;
  return TRUE;
}

static gboolean
draws_with_cairo (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);

  return native != NULL && GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (native));
}

static void
kios_cover_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  KiosCover      *self = KIOS_COVER (widget);
  double          width = gtk_widget_get_width (widget);
  double          height = gtk_widget_get_height (widget);
  int             scale = gtk_widget_get_scale_factor (widget);
  double          texture_width;
  double          texture_height;
  double          fill;
  GskRoundedRect  slot;
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (0, 0, width, height);

  if (self->texture == NULL)
    return;

  if (width == self->width && height == self->height && ensure_slot_picture (self, scale))
    {
      /* The cairo renderer converts a texture to a new surface every frame
       * (a scrolling grid redraws every cover each frame); a cairo node
       * keeps the surface it was drawn into. Other renderers keep textures. */
      if (scale == 1 && draws_with_cairo (widget))
        {
          cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &bounds);

          cairo_set_source_surface (cr, self->slot_surface, 0, 0);
          cairo_paint (cr);
          cairo_destroy (cr);
        }
      else
        gtk_snapshot_append_texture (snapshot, self->slot_texture, &bounds);
      return;
    }

  /* Any other picture: fill the slot, crop what sticks out, round its corners. */
  texture_width = gdk_texture_get_width (self->texture);
  texture_height = gdk_texture_get_height (self->texture);
  fill = MAX (width / texture_width, height / texture_height);
  gsk_rounded_rect_init_from_rect (&slot, &bounds, KIOS_COVER_RADIUS);
  gtk_snapshot_push_rounded_clip (snapshot, &slot);
  gtk_snapshot_append_texture (snapshot, self->texture,
                               &GRAPHENE_RECT_INIT ((width - texture_width * fill) / 2.0,
                                                    (height - texture_height * fill) / 2.0, texture_width * fill,
                                                    texture_height * fill));
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_append_border (snapshot, &slot, (const float[]){ 1, 1, 1, 1 },
                              (const GdkRGBA[]){ { 0, 0, 0, EDGE_ALPHA },
                                                 { 0, 0, 0, EDGE_ALPHA },
                                                 { 0, 0, 0, EDGE_ALPHA },
                                                 { 0, 0, 0, EDGE_ALPHA } });
}

static void
kios_cover_dispose (GObject *object)
{
  KiosCover *self = KIOS_COVER (object);

  clear_slot_picture (self);
  g_clear_object (&self->texture);

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
  /* No .book-cover style: the corners and the edge are drawn with the
   * picture (cut into it once when it is the slot's size), not clipped and
   * outlined again every frame. */
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
    {
      clear_slot_picture (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

GdkTexture *
kios_cover_get_texture (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), NULL);

  return self->texture;
}

gboolean
kios_cover_draws_slot_picture (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), FALSE);

  return self->slot_surface != NULL;
}
