/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-cover"

#include "config.h"

#include "kios-cover.h"

struct _KiosCover
{
  GtkWidget parent_instance;

  /* What was set, until it becomes the slot picture (then dropped: the
   * picture is its only copy), or kept when it is not the slot's size. */
  GdkTexture *texture;
  int         width;
  int         height;
  /* The slot picture (the texture with the slot's corners cut and its edge
   * drawn), held once: under the cairo renderer at scale 1 in a cairo node
   * whose surface is the picture, under any other as a texture. */
  GskRenderNode   *slot_node;
  cairo_surface_t *slot_surface; /* the node's pixels: what it paints */
  GdkTexture      *slot_texture;
  int              slot_scale;     /* the scale factor it was made for */
  GdkTexture      *handed_texture; /* slot_node's pixels as a texture, made when asked */
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
  g_clear_pointer (&self->slot_node, gsk_render_node_unref);
  g_clear_pointer (&self->slot_surface, cairo_surface_destroy);
  g_clear_object (&self->slot_texture);
  g_clear_object (&self->handed_texture);
  self->slot_scale = 0;
}

/* A texture handed out with its corners cut and edge drawn already (what
 * kios_cover_get_texture gives once the slot picture is all there is). */
static GQuark
cut_quark (void)
{
  static GQuark quark;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("kios-cover-cut");
  return quark;
}

static gboolean
is_cut (GdkTexture *texture)
{
  return g_object_get_qdata (G_OBJECT (texture), cut_quark ()) != NULL;
}

/* A texture over the pixels of a cut picture (no copy; it keeps what holds
 * them alive), marked as cut. */
static GdkTexture *
cut_texture_new (int            width,
                 int            height,
                 const guchar  *data,
                 int            stride,
                 gpointer       owner,
                 GDestroyNotify owner_free)
{
  GBytes     *bytes = g_bytes_new_with_free_func (data, (gsize) stride * height, owner_free, owner);
  GdkTexture *texture = gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, bytes, stride);

  g_bytes_unref (bytes);
  g_object_set_qdata (G_OBJECT (texture), cut_quark (), GINT_TO_POINTER (1));
  return texture;
}

/* Cuts the slot's corners (antialiased) out of a slot-sized picture and
 * draws its hairline edge inside the slot. */
static void
cut_corners (cairo_t *cr,
             int      width,
             int      height,
             int      scale)
{
  cairo_save (cr);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_rectangle (cr, 0, 0, width, height);
  rounded_rect_path (cr, width, height, KIOS_COVER_RADIUS * scale);
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_fill (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_WINDING);
  cairo_new_path (cr);
  cairo_translate (cr, scale / 2.0, scale / 2.0);
  rounded_rect_path (cr, width - scale, height - scale, (KIOS_COVER_RADIUS - 0.5) * scale);
  cairo_set_line_width (cr, scale);
  cairo_set_source_rgba (cr, 0.0, 0.0, 0.0, EDGE_ALPHA);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* The texture into an image surface (its pixels downloaded, corners cut
 * unless they are already), ready to draw. */
static void
paint_slot_picture (cairo_surface_t *surface,
                    GdkTexture      *texture,
                    int              scale)
{
  cairo_t *cr;

  cairo_surface_flush (surface);
  gdk_texture_download (texture, cairo_image_surface_get_data (surface), cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);
  if (is_cut (texture))
    return;
  cr = cairo_create (surface);
  cut_corners (cr, cairo_image_surface_get_width (surface), cairo_image_surface_get_height (surface), scale);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
}

/* The texture, when it is exactly the slot's size in pixels (as the cover
 * loader makes them), with the slot's corners cut and its edge drawn once:
 * drawing it then is a plain copy every frame, never a scale, a rounded
 * clip, an outline or a conversion. The texture is dropped then: the slot
 * picture is the only copy of its pixels. Under the cairo renderer (which
 * converts a texture to a new surface every frame) the picture is a cairo
 * node's own surface, the node appended as it is every frame. */
static gboolean
ensure_slot_picture (KiosCover *self,
                     int        scale,
                     gboolean   with_cairo)
{
  int              width = self->width * scale;
  int              height = self->height * scale;
  cairo_surface_t *surface;

  if (self->texture == NULL)
    return self->slot_node != NULL || self->slot_texture != NULL;
  if (gdk_texture_get_width (self->texture) != width || gdk_texture_get_height (self->texture) != height)
    return FALSE;
  clear_slot_picture (self);

  if (!with_cairo && is_cut (self->texture))
    {
      self->slot_texture = g_object_ref (self->texture);
      self->slot_scale = scale;
      g_clear_object (&self->texture);
      return TRUE;
    }

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return FALSE;
    }
  paint_slot_picture (surface, self->texture, scale);
  if (with_cairo && scale == 1)
    {
      /* The node records a paint of the surface: it shares its pixels (as
       * long as nothing draws into the surface again), at scale 1 only. */
      GskRenderNode *node = gsk_cairo_node_new (&GRAPHENE_RECT_INIT (0, 0, width, height));
      cairo_t       *cr = gsk_cairo_node_get_draw_context (node);

      cairo_set_source_surface (cr, surface, 0, 0);
      cairo_paint (cr);
      cairo_destroy (cr);
      self->slot_node = node;
      self->slot_surface = surface;
    }
  else
    {
      /* The texture keeps the surface (its pixels) alive, nothing else. */
      self->slot_texture = cut_texture_new (width, height, cairo_image_surface_get_data (surface),
                                            cairo_image_surface_get_stride (surface), surface,
                                            (GDestroyNotify) cairo_surface_destroy);
    }
  self->slot_scale = scale;
  g_clear_object (&self->texture);
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

  if (self->texture == NULL && self->slot_node == NULL && self->slot_texture == NULL)
    return;

  if (width == self->width && height == self->height && ensure_slot_picture (self, scale, draws_with_cairo (widget)))
    {
      /* One made for another scale (the window moved to another monitor) is
       * drawn scaled until its owner sets the picture for this one. */
      if (self->slot_node != NULL && self->slot_scale == scale)
        gtk_snapshot_append_node (snapshot, self->slot_node);
      else
        gtk_snapshot_append_texture (snapshot, kios_cover_get_texture (self), &bounds);
      return;
    }
  if (self->texture == NULL || is_cut (self->texture))
    {
      /* A picture cut for a slot (this one, at another size, or a card's
       * handed to a bigger slot): scaled, its corners and edge with it. */
      gtk_snapshot_append_texture (snapshot, kios_cover_get_texture (self), &bounds);
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

  if (texture == NULL ? !kios_cover_has_picture (self)
                      : texture == self->texture || texture == self->handed_texture || texture == self->slot_texture)
    return;
  clear_slot_picture (self);
  g_set_object (&self->texture, texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

GdkTexture *
kios_cover_get_texture (KiosCover *self)
{
  cairo_surface_t *surface;

  g_return_val_if_fail (KIOS_IS_COVER (self), NULL);

  if (self->texture != NULL)
    return self->texture;
  if (self->slot_texture != NULL)
    return self->slot_texture;
  if (self->slot_node == NULL)
    return NULL;
  if (self->handed_texture == NULL)
    {
      surface = self->slot_surface;
      self->handed_texture = cut_texture_new (cairo_image_surface_get_width (surface),
                                              cairo_image_surface_get_height (surface),
                                              cairo_image_surface_get_data (surface),
                                              cairo_image_surface_get_stride (surface),
                                              cairo_surface_reference (surface),
                                              (GDestroyNotify) cairo_surface_destroy);
    }
  return self->handed_texture;
}

gboolean
kios_cover_has_picture (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), FALSE);

  return self->texture != NULL || self->slot_node != NULL || self->slot_texture != NULL;
}

gboolean
kios_cover_draws_slot_picture (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), FALSE);

  return self->slot_node != NULL || self->slot_texture != NULL;
}

guint
kios_cover_count_pictures (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), 0);

  return (self->texture != NULL) + (self->slot_node != NULL) + (self->slot_texture != NULL);
}

gboolean
kios_cover_holds_node (KiosCover *self)
{
  g_return_val_if_fail (KIOS_IS_COVER (self), FALSE);

  return self->slot_node != NULL;
}
