/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view-private.h"

#include "kios-progress-bar.h"

#include <glib/gi18n.h>
#include <math.h>

static int
progress_bar_height (KiosReaderView *self)
{
  int height = 0;

  gtk_widget_measure (self->progress_bar, GTK_ORIENTATION_VERTICAL, -1,
                      NULL, &height, NULL, NULL);
  return height;
}

int
kios_reader_view_sidebar_width (KiosReaderView *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));

  return MIN (SIDEBAR_WIDTH, (int) (width * 0.85));
}

gboolean
kios_reader_view_sidebar_docked (KiosReaderView *self)
{
  return self->contents_visible && gtk_widget_get_width (GTK_WIDGET (self)) >= SIDEBAR_DOCK_MIN;
}

/* The part of the view the page is laid out in: beside a docked sidebar. */
void
kios_reader_view_page_area (KiosReaderView *self,
                            double         *x,
                            double         *width)
{
  double full = gtk_widget_get_width (GTK_WIDGET (self));

  if (kios_reader_view_sidebar_docked (self))
    {
      *x = kios_reader_view_sidebar_width (self) + 1;
      *width = MAX (full - *x, 1);
    }
  else
    {
      *x = 0;
      *width = full;
    }
}

/* Automatic spreads: a view at least this wide (CSS px), and this much wider than tall. */
#define SPREAD_AUTO_MIN_WIDTH 1100
#define SPREAD_AUTO_MIN_ASPECT 1.25
/* A spread always leaves each page at least this wide. */
#define SPREAD_MIN_PAGE_WIDTH 240

/* Whether the page area (width × content_height) shows two pages. */
static gboolean
want_spread (KiosReaderView *self,
             double          width,
             double          content_height)
{
  switch (self->page_layout)
    {
    case KIOS_PAGE_LAYOUT_SPREAD:
      return width >= 2 * SPREAD_MIN_PAGE_WIDTH;
    case KIOS_PAGE_LAYOUT_AUTO:
      return width >= SPREAD_AUTO_MIN_WIDTH && width >= SPREAD_AUTO_MIN_ASPECT * content_height;
    case KIOS_PAGE_LAYOUT_SCROLLED:
    case KIOS_PAGE_LAYOUT_SINGLE:
    default:
      return FALSE;
    }
}

static gboolean
want_scrolled (KiosReaderView *self)
{
  return self->page_layout == KIOS_PAGE_LAYOUT_SCROLLED && kios_reader_view_is_reflowable (self);
}

static gboolean
area_wants_spread (KiosReaderView *self)
{
  double area_x;
  double width;
  double height = gtk_widget_get_height (GTK_WIDGET (self));

  kios_reader_view_page_area (self, &area_x, &width);
  return want_spread (self, width, MAX (height - progress_bar_height (self), 1));
}

/* What the page's box depends on. */
typedef struct
{
  double   area_x; /* the page area, beside a docked sidebar */
  double   width;
  double   height;     /* the whole view */
  double   bar_height; /* the progress bar's */
  gboolean reflowable;
  double   margin;
  double   font_size;
} GeometryInput;

/* The page's box; with spread, the left page's, and geometry->spread_dx to
 * the right one's. */
static void
geometry_for (const GeometryInput *in,
              gboolean             spread,
              Geometry            *geometry)
{
  double area_x = in->area_x;
  double width = in->width;
  double content_height = MAX (in->height - in->bar_height, 1);
  double band;
  double side;
  double column;
  double box_height;

  if (in->reflowable)
    {
      /* A page with room around the text: the chapter title sits in the top
       * band, the page label in the bottom one, as in a printed book. */
      band = content_height < 420 ? 34 : content_height < 640 ? 48
                                                              : 60;
      double page_width = spread ? width / 2 : width;
      double gutter = 0;

      side = in->margin;
      if (page_width < 720)
        side = MAX (12.0, in->margin * page_width / 720.0);
      /* Two columns face each other across the fold, one margin apart
       * (each page's own padding adds to it). */
      if (spread)
        gutter = MAX (side, 32.0);
      column = MIN ((width - 2 * side - gutter) / (spread ? 2 : 1), MAX_LINE_EM * in->font_size);
      column = floor (MAX (column, 80.0));
      box_height = floor (MAX (content_height - 2 * band, 80.0));
      geometry->box = GRAPHENE_RECT_INIT (area_x + floor ((width - column * (spread ? 2 : 1) - gutter) / 2), band, column, box_height);
      geometry->spread_dx = spread ? column + gutter : 0;
      geometry->header_y = round (band * 0.45);
      geometry->footer_y = band + box_height + round (band * 0.55);
    }
  else
    {
      /* A PDF brings its own margins: give it as much of the view as possible. */
      band = 28;
      double gutter = spread ? 8 : 0;

      side = MIN (16.0, in->margin);
      column = floor (MAX ((width - 2 * side - gutter) / (spread ? 2 : 1), 80.0));
      box_height = floor (MAX (content_height - 12 - band, 80.0));
      geometry->box = GRAPHENE_RECT_INIT (area_x + floor ((width - column * (spread ? 2 : 1) - gutter) / 2), 12, column, box_height);
      geometry->spread_dx = spread ? column + gutter : 0;
      geometry->header_y = -1;
      geometry->footer_y = 12 + box_height + band / 2;
    }
  geometry->content_height = content_height;
}

static void
compute_geometry (KiosReaderView *self,
                  gboolean        spread,
                  Geometry       *geometry)
{
  GeometryInput in = {
    .height = gtk_widget_get_height (GTK_WIDGET (self)),
    .bar_height = progress_bar_height (self),
    .reflowable = kios_reader_view_is_reflowable (self),
    .margin = self->margin,
    .font_size = self->font_size,
  };

  kios_reader_view_page_area (self, &in.area_x, &in.width);
  geometry_for (&in, spread, geometry);
}

/* The reading colours of theme ("auto" as dark says). */
static void
colors_for_theme (const char *theme,
                  gboolean    dark,
                  guint32    *foreground,
                  guint32    *background)
{
  if (g_str_equal (theme, "auto"))
    theme = dark ? "dark" : "light";

  if (g_str_equal (theme, "sepia"))
    {
      *foreground = 0x5b4636;
      *background = 0xf4ecd8;
    }
  else if (g_str_equal (theme, "dark"))
    {
      *foreground = 0xdedede;
      *background = 0x1e1e1e;
    }
  else
    {
      *foreground = 0x1e1e1e;
      *background = 0xffffff;
    }
}

/**
 * kios_reader_view_first_request_for_size:
 * @view_width: the reader view's width, as it will be allocated
 * @view_height: its height
 * @reflowable: an EPUB (else a PDF)
 * @settings: the reader's settings (KIOS_SETTINGS_SCHEMA)
 * @request: (out): the first page's request, as the view will make it
 * @layout: (out): an EPUB's layout
 *
 * What a reader view of that size asks for first, worked out before any
 * widget exists (before GTK starts): one page, the contents hidden, at the
 * scale GDK_SCALE names (1 without), "auto" colours as a light style.
 *
 * Returns: FALSE when the view would show a spread or scroll: no guess.
 */
gboolean
kios_reader_view_first_request_for_size (double           view_width,
                                         double           view_height,
                                         gboolean         reflowable,
                                         GSettings       *settings,
                                         KiosPageRequest *request,
                                         KiosLayout      *layout)
{
  g_autofree char *page_layout = g_settings_get_string (settings, "page-layout");
  g_autofree char *theme = g_settings_get_string (settings, "theme");
  g_autofree char *fit = g_settings_get_string (settings, "pdf-fit");
  const char      *scale = g_getenv ("GDK_SCALE");
  GeometryInput    in = {
       .width = view_width,
       .height = view_height,
       .bar_height = READER_BAR_HEIGHT,
       .reflowable = reflowable,
       .margin = g_settings_get_double (settings, "margin"),
       .font_size = g_settings_get_double (settings, "font-size"),
  };
  Geometry geometry;

  if (view_width <= 0 || view_height <= 0 || g_str_equal (page_layout, "spread") ||
      (reflowable && g_str_equal (page_layout, "scrolled")) ||
      (g_str_equal (page_layout, "auto") && view_width >= SPREAD_AUTO_MIN_WIDTH &&
       view_width >= SPREAD_AUTO_MIN_ASPECT * MAX (view_height - READER_BAR_HEIGHT, 1)))
    return FALSE;

  geometry_for (&in, FALSE, &geometry);
  kios_page_request_init (request);
  request->box_width = geometry.box.size.width;
  request->box_height = geometry.box.size.height;
  request->scale = scale != NULL && g_ascii_strtoll (scale, NULL, 10) > 1 ? (double) g_ascii_strtoll (scale, NULL, 10) : 1.0;
  request->fit = g_str_equal (fit, "width") ? KIOS_FIT_WIDTH : KIOS_FIT_PAGE;
  request->zoom = 1.0;
  colors_for_theme (theme, FALSE, &request->foreground, &request->background);
  layout->width = geometry.box.size.width;
  layout->height = geometry.box.size.height;
  layout->font_size = in.font_size;
  layout->line_spacing = g_settings_get_double (settings, "line-spacing");
  return TRUE;
}

void
kios_reader_view_resolve_colors (KiosReaderView *self,
                                 guint32        *foreground,
                                 guint32        *background)
{
  colors_for_theme (self->theme != NULL ? self->theme : "auto",
                    adw_style_manager_get_dark (adw_style_manager_get_default ()), foreground, background);
}

void
kios_reader_view_update_ink (KiosReaderView *self)
{
  guint32 foreground;
  guint32 background;
  GdkRGBA ink;

  if (self->progress_bar == NULL)
    return;
  kios_reader_view_resolve_colors (self, &foreground, &background);
  kios_reader_view_rgba_from_hex (foreground, 1.0, &ink);
  kios_progress_bar_set_ink (KIOS_PROGRESS_BAR (self->progress_bar), &ink);
}

static gboolean
layout_equal (const KiosLayout *a,
              const KiosLayout *b)
{
  return a->width == b->width && a->height == b->height &&
         a->font_size == b->font_size && a->line_spacing == b->line_spacing;
}

/* Lays the book out for the current size and settings, now. */
void
kios_reader_view_apply_geometry (KiosReaderView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  int        width = gtk_widget_get_width (widget);
  int        height = gtk_widget_get_height (widget);
  int        scale = gtk_widget_get_scale_factor (widget);
  Geometry   geometry;
  KiosLayout layout;
  gboolean   first;
  gboolean   layout_changed = FALSE;
  gboolean   box_changed;
  guint32    foreground;
  guint32    background;
  gboolean   colors_changed;
  gboolean   spread;

  g_clear_handle_id (&self->layout_timeout_id, g_source_remove);

  if (self->document == NULL || width <= 0 || height <= 0)
    return;

  spread = !want_scrolled (self) && area_wants_spread (self);
  compute_geometry (self, spread, &geometry);
  layout.width = geometry.box.size.width;
  layout.height = geometry.box.size.height;
  layout.font_size = self->font_size;
  layout.line_spacing = self->line_spacing;

  kios_reader_view_resolve_colors (self, &foreground, &background);
  colors_changed = foreground != self->foreground || background != self->background;
  self->foreground = foreground;
  self->background = background;

  first = !self->have_geometry;
  box_changed = !graphene_rect_equal (&geometry.box, &self->render_box) || scale != self->render_scale ||
                spread != self->spread || want_scrolled (self) != self->scrolled;
  if (kios_reader_view_is_reflowable (self) && (!self->have_layout || !layout_equal (&layout, &self->layout)))
    layout_changed = TRUE;

  if (!first && !layout_changed && !box_changed && !colors_changed && !self->render_dirty)
    return;

  self->render_dirty = FALSE;
  self->have_geometry = TRUE;
  self->spread = spread;
  self->scrolled = want_scrolled (self);
  if (!self->scrolled)
    self->flow_offset = 0.0;
  self->render_box = geometry.box;
  self->render_scale = scale;
  if (layout_changed)
    {
      self->layout = layout;
      self->have_layout = TRUE;
      kios_document_set_layout (self->document, &layout);
    }

  if (first)
    {
      self->render_serial++;
      if (self->show_spec.valid)
        kios_reader_view_issue_show (self);
      return;
    }
  kios_reader_view_invalidate (self, layout_changed);
}

static gboolean
layout_timeout_cb (gpointer user_data)
{
  KiosReaderView *self = user_data;

  self->layout_timeout_id = 0;
  kios_reader_view_apply_geometry (self);
  return G_SOURCE_REMOVE;
}

/* Settings changes apply at once, so every page that arrives after the
 * setter returns has the new look (a superseded request is just cancelled);
 * only a resize waits until the window has been still for LAYOUT_DEBOUNCE_MS. */
void
kios_reader_view_queue_apply (KiosReaderView *self)
{
  kios_reader_view_apply_geometry (self);
}

void
kios_reader_view_geometry_maybe_changed (KiosReaderView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  Geometry   geometry;
  gboolean   spread;

  if (self->document == NULL)
    return;
  if (!self->have_geometry)
    {
      kios_reader_view_apply_geometry (self);
      return;
    }
  spread = !want_scrolled (self) && area_wants_spread (self);
  compute_geometry (self, spread, &geometry);
  if (graphene_rect_equal (&geometry.box, &self->render_box) && spread == self->spread &&
      want_scrolled (self) == self->scrolled &&
      gtk_widget_get_scale_factor (widget) == self->render_scale)
    {
      g_clear_handle_id (&self->layout_timeout_id, g_source_remove);
      return;
    }
  g_clear_handle_id (&self->layout_timeout_id, g_source_remove);
  self->layout_timeout_id = g_timeout_add (LAYOUT_DEBOUNCE_MS, layout_timeout_cb, self);
}

static void
append_band_text (KiosReaderView *self,
                  GtkSnapshot    *snapshot,
                  const char     *text,
                  double          x,
                  double          width,
                  double          center_y,
                  const GdkRGBA  *color)
{
  g_autoptr (PangoLayout) layout = NULL;
  PangoFontDescription   *font;
  int                     text_width;
  int                     text_height;

  if (text == NULL || *text == '\0' || width <= 0)
    return;

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  font = pango_font_description_copy (pango_context_get_font_description (pango_layout_get_context (layout)));
  pango_font_description_set_size (font, 9 * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_get_pixel_size (layout, &text_width, &text_height);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, round (center_y - text_height / 2.0)));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* The right page of a spread, beside the left one from the fold on;
 * scrolled: a tall PDF page scrolled with the left one. */
static void
snapshot_right_page (KiosReaderView *self,
                     GtkSnapshot    *snapshot,
                     const Geometry *geometry,
                     gboolean        scrolled)
{
  const KiosPage *page;
  double          scale;
  double          page_width;
  double          page_height;
  double          x;
  double          y;

  if (self->next == NULL || self->next->texture == NULL)
    return;
  page = self->next->page;
  scale = MAX (page->scale, 1.0);
  page_width = page->width / scale;
  page_height = page->height / scale;
  x = round (geometry->box.origin.x + geometry->spread_dx);
  if (scrolled && page_height > geometry->box.size.height)
    y = geometry->box.origin.y - round (MIN (self->scroll_y, page_height - geometry->box.size.height));
  else
    y = round (geometry->box.origin.y + (geometry->box.size.height - page_height) / 2);

  if (!kios_reader_view_is_reflowable (self))
    {
      GskRoundedRect outline;
      GdkRGBA        shadow = { 0, 0, 0, self->background < 0x808080 ? 0.6 : 0.22 };

      gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, y, page_width, page_height), 0);
      gtk_snapshot_append_outset_shadow (snapshot, &outline, &shadow, 0, 1, 0, 5);
    }
  kios_reader_annotations_append_page (self, snapshot, self->next, &GRAPHENE_RECT_INIT (x, y, page_width, page_height));
  /* Its selection and find matches, where it was drawn. */
  kios_reader_view_snapshot_find (self, snapshot, &GRAPHENE_RECT_INIT (x, y, page_width, page_height), TRUE);
}

static void
snapshot_right_bands (KiosReaderView *self,
                      GtkSnapshot    *snapshot,
                      const Geometry *geometry,
                      const GdkRGBA  *color)
{
  const KiosPage  *page = self->next != NULL && self->current != NULL ? self->next->page : NULL;
  int              n_pages = kios_document_get_n_pages (self->document);
  g_autofree char *label = NULL;
  double           x = geometry->box.origin.x + geometry->spread_dx;

  if (page == NULL)
    return;
  if (geometry->header_y > 0 && page->position != NULL)
    append_band_text (self, snapshot, page->position->chapter_title,
                      x, geometry->box.size.width, geometry->header_y, color);
  /* The same words as the left page's label. */
  if (page->page_number >= 0 && n_pages > 0)
    label = g_strdup_printf (_ ("Page %d of %d"), MIN (page->page_number + 1, n_pages), n_pages);
  else if (page->chapter_pages > 0)
    label = g_strdup_printf (_ ("Page %d of %d in this chapter"),
                             MIN (page->location.page + 1, page->chapter_pages), page->chapter_pages);
  else
    label = g_strdup_printf (_ ("Page %d"), page->location.page + 1);
  append_band_text (self, snapshot, label, x, geometry->box.size.width,
                    geometry->footer_y - (self->time_left != NULL && kios_reader_view_is_reflowable (self) ? 8 : 0),
                    color);
}

void
kios_reader_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);
  int             width = gtk_widget_get_width (widget);
  int             height = gtk_widget_get_height (widget);
  Geometry        geometry;
  GdkRGBA         paper;
  GdkRGBA         dim;
  guint32         foreground;
  guint32         background;

  self->other_rect_valid = FALSE;
  if (width <= 0 || height <= 0)
    return;

  kios_reader_view_resolve_colors (self, &foreground, &background);
  kios_reader_view_rgba_from_hex (background, 1.0, &paper);
  kios_reader_view_rgba_from_hex (foreground, 0.55, &dim);
  /* The pages' own layout, not a resize's still waiting to be laid out. */
  compute_geometry (self, self->spread, &geometry);

  gtk_snapshot_append_color (snapshot, &paper, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (self->current != NULL && self->current->texture != NULL)
    {
      const KiosPage *page = self->current->page;
      double          scale = MAX (page->scale, 1.0);
      double          page_width = page->width / scale;
      double          page_height = page->height / scale;
      double          x = round (geometry.box.origin.x + (geometry.box.size.width - page_width) / 2);
      double          y;
      graphene_rect_t clip;
      gboolean        scrolled = FALSE;

      /* A spread's pages meet at the fold. */
      if (self->spread)
        x = round (geometry.box.origin.x + geometry.box.size.width - page_width);

      if (page_height > geometry.box.size.height && !kios_reader_view_is_reflowable (self))
        {
          double range = page_height - geometry.box.size.height;

          self->scroll_y = CLAMP (self->scroll_y, 0.0, range);
          y = geometry.box.origin.y - round (self->scroll_y);
          scrolled = TRUE;
          clip = geometry.box;
          clip.origin.x = 0;
          clip.size.width = width;
        }
      else if (self->scrolled)
        {
          /* The pages scroll through the text block, the bands stay. */
          y = geometry.box.origin.y - round (self->flow_offset);
          clip = geometry.box;
          clip.origin.x = 0;
          clip.size.width = width;
        }
      else
        {
          /* While a resize waits to be laid out, the old page stays centred. */
          y = round (geometry.box.origin.y + (geometry.box.size.height - page_height) / 2);
          clip = GRAPHENE_RECT_INIT (0, 0, width, geometry.content_height);
        }

      gtk_snapshot_push_clip (snapshot, &clip);
      if (!kios_reader_view_is_reflowable (self))
        {
          /* A PDF page is a sheet of its own: a soft shadow lifts it off the paper. */
          GskRoundedRect outline;
          GdkRGBA        shadow = { 0, 0, 0, background < 0x808080 ? 0.6 : 0.22 };

          gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, y, page_width, page_height), 0);
          gtk_snapshot_append_outset_shadow (snapshot, &outline, &shadow, 0, 1, 0, 5);
        }
      kios_reader_annotations_append_page (self, snapshot, self->current,
                                           &GRAPHENE_RECT_INIT (x, y, page_width, page_height));
      kios_reader_view_snapshot_find (self, snapshot, &GRAPHENE_RECT_INIT (x, y, page_width, page_height), FALSE);
      if (self->spread)
        snapshot_right_page (self, snapshot, &geometry, scrolled);
      if (self->scrolled && self->next != NULL && self->next->texture != NULL)
        {
          const KiosPage *below = self->next->page;
          double          below_scale = MAX (below->scale, 1.0);
          graphene_rect_t below_rect = GRAPHENE_RECT_INIT (round (geometry.box.origin.x + (geometry.box.size.width - below->width / below_scale) / 2),
                                                           y + self->render_box.size.height + FLOW_GAP,
                                                           below->width / below_scale, below->height / below_scale);

          kios_reader_annotations_append_page (self, snapshot, self->next, &below_rect);
          kios_reader_view_snapshot_find (self, snapshot, &below_rect, TRUE);
        }
      gtk_snapshot_pop (snapshot);
    }

  /* A spread's right page has its own chapter title and page label. */
  if (self->spread)
    snapshot_right_bands (self, snapshot, &geometry, &dim);

  if (self->current != NULL && geometry.header_y > 0)
    append_band_text (self, snapshot, self->chapter_title,
                      geometry.box.origin.x, geometry.box.size.width,
                      geometry.header_y, &dim);
  if (self->current != NULL)
    {
      g_autofree char *preview = kios_reader_view_get_seek_preview (self);
      g_autofree char *joined = NULL;

      /* While the progress bar is dragged, where it would land; else the
       * page label, and the time left under it once the pace is known. */
      if (preview != NULL)
        append_band_text (self, snapshot, preview,
                          geometry.box.origin.x, geometry.box.size.width,
                          geometry.footer_y, &dim);
      else if (self->time_left == NULL)
        append_band_text (self, snapshot, self->page_label,
                          geometry.box.origin.x, geometry.box.size.width,
                          geometry.footer_y, &dim);
      else if (kios_reader_view_is_reflowable (self))
        {
          append_band_text (self, snapshot, self->page_label,
                            geometry.box.origin.x, geometry.box.size.width,
                            geometry.footer_y - 8, &dim);
          append_band_text (self, snapshot, self->time_left,
                            geometry.box.origin.x, geometry.box.size.width,
                            geometry.footer_y + 8, &dim);
        }
      else
        {
          joined = g_strconcat (self->page_label, " · ", self->time_left, NULL);
          append_band_text (self, snapshot, joined,
                            geometry.box.origin.x, geometry.box.size.width,
                            geometry.footer_y, &dim);
        }
    }

  gtk_widget_snapshot_child (widget, self->progress_bar, snapshot);
  if (gtk_widget_get_visible (self->spinner))
    gtk_widget_snapshot_child (widget, self->spinner, snapshot);
  if (self->status_page != NULL && gtk_widget_get_visible (self->status_page))
    gtk_widget_snapshot_child (widget, self->status_page, snapshot);
  kios_reader_view_nav_snapshot (self, snapshot);
  if (self->find_bar != NULL && gtk_widget_get_visible (self->find_bar))
    gtk_widget_snapshot_child (widget, self->find_bar, snapshot);
  if (self->sidebar != NULL && gtk_widget_get_visible (self->sidebar))
    {
      GdkRGBA line;

      if (!kios_reader_view_sidebar_docked (self))
        {
          /* Over the page: dim the page a little so the list stands out. */
          GdkRGBA shade = { 0, 0, 0, 0.12 };

          gtk_snapshot_append_color (snapshot, &shade,
                                     &GRAPHENE_RECT_INIT (0, 0, width, geometry.content_height));
        }
      gtk_widget_snapshot_child (widget, self->sidebar, snapshot);
      kios_reader_view_rgba_from_hex (foreground, 0.15, &line);
      gtk_snapshot_append_color (snapshot, &line,
                                 &GRAPHENE_RECT_INIT (kios_reader_view_sidebar_width (self), 0, 1, geometry.content_height));
    }
}

void
kios_reader_view_measure (GtkWidget     *widget,
                          GtkOrientation orientation,
                          int            for_size,
                          int           *minimum,
                          int           *natural,
                          int           *minimum_baseline,
                          int           *natural_baseline)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);
  int             status_min = 0;
  int             bar_min = 0;

  if (self->status_page != NULL)
    gtk_widget_measure (self->status_page, orientation, -1, &status_min, NULL, NULL, NULL);
  if (self->sidebar != NULL && gtk_widget_get_visible (self->sidebar))
    {
      int sidebar_min = 0;

      gtk_widget_measure (self->sidebar, orientation, -1, &sidebar_min, NULL, NULL, NULL);
      /* The sidebar takes at most 85 % of the width. */
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        sidebar_min = (int) ceil (sidebar_min / 0.85);
      status_min = MAX (status_min, sidebar_min);
    }
  gtk_widget_measure (self->progress_bar, orientation, -1, &bar_min, NULL, NULL, NULL);
  /* The bar sits below the others, beside nothing. */
  if (orientation == GTK_ORIENTATION_VERTICAL)
    *minimum = MAX (200, status_min + bar_min);
  else
    *minimum = MAX (MAX (200, status_min), bar_min);
  *natural = MAX (*minimum, orientation == GTK_ORIENTATION_HORIZONTAL ? 720 : 900);
}

void
kios_reader_view_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);
  int             bar_height = progress_bar_height (self);

  gtk_widget_allocate (self->progress_bar, width, bar_height, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (0, height - bar_height)));
  if (self->status_page != NULL)
    gtk_widget_allocate (self->status_page, width, MAX (height - bar_height, 0), -1, NULL);
  if (gtk_widget_get_visible (self->spinner))
    {
      int size = 32;

      gtk_widget_allocate (self->spinner, size, size, -1,
                           gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT ((width - size) / 2,
                                                                                (height - bar_height - size) / 2)));
    }
  if (self->sidebar != NULL && gtk_widget_get_visible (self->sidebar))
    gtk_widget_allocate (self->sidebar, kios_reader_view_sidebar_width (self), MAX (height - bar_height, 0), -1, NULL);
  if (self->find_bar != NULL && gtk_widget_get_visible (self->find_bar))
    {
      double area_x, area_width;
      int    bar_min = 0, find_width, find_height = 0;

      /* Over the top of the page, centred on it, as wide as a sentence. */
      kios_reader_view_page_area (self, &area_x, &area_width);
      gtk_widget_measure (self->find_bar, GTK_ORIENTATION_HORIZONTAL, -1, &bar_min, NULL, NULL, NULL);
      find_width = MAX (MIN ((int) area_width, 620), MIN (bar_min, width));
      gtk_widget_measure (self->find_bar, GTK_ORIENTATION_VERTICAL, find_width, NULL, &find_height, NULL, NULL);
      find_height = MIN (find_height, MAX (height - bar_height, 0));
      gtk_widget_allocate (self->find_bar, find_width, find_height, -1,
                           gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (area_x + floor ((area_width - find_width) / 2), 0)));
    }
  kios_reader_view_nav_allocate (self, width, height, bar_height);
  kios_reader_selection_allocate (self);
  kios_reader_view_geometry_maybe_changed (self);
}

/* ---- two-page spreads and the scrolled mode ---- */

void
kios_reader_view_set_page_layout (KiosReaderView *self,
                                  KiosPageLayout  layout)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (layout <= KIOS_PAGE_LAYOUT_SCROLLED);

  if (self->page_layout == layout)
    return;
  self->page_layout = layout;
  /* A change of spread is a new page width: laid out again, the same words kept. */
  kios_reader_view_queue_apply (self);
}

KiosPageLayout
kios_reader_view_get_page_layout (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), KIOS_PAGE_LAYOUT_SINGLE);

  return self->page_layout;
}

gboolean
kios_reader_view_get_spread (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  return self->spread && self->have_geometry;
}

const KiosPage *
kios_reader_view_get_right_page (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  if (!self->spread || self->current == NULL || self->next == NULL)
    return NULL;
  return self->next->page;
}

gboolean
kios_reader_view_get_scrolled (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  return self->scrolled && self->have_geometry;
}

double
kios_reader_view_get_scroll_offset (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), 0.0);

  return self->flow_offset;
}
