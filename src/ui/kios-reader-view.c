/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view.h"

#include "kios-contents-sidebar.h"
#include "kios-epub.h"
#include "kios-progress-bar.h"

#include <glib/gi18n.h>
#include <math.h>

/* Resizes are laid out again once the window has been still this long. */
#define LAYOUT_DEBOUNCE_MS 150
/* Readable line length: the text column never gets wider than this many em. */
#define MAX_LINE_EM 40.0
#define MIN_FONT_SIZE 8.0
#define MAX_FONT_SIZE 48.0
#define DEFAULT_FONT_SIZE 18.0
#define FONT_STEP 2.0
#define MIN_ZOOM 0.25
#define MAX_ZOOM 4.0
#define ZOOM_STEP 1.25
/* A wheel notch scrolls a tall PDF page this far (CSS px). */
#define WHEEL_PIXELS 64.0
/* Touchpad deltas in surface pixels: this much makes one page turn. */
#define SWIPE_PIXELS 80.0
/* A pause this long in a stream of scroll events ends a touchpad gesture. */
#define SCROLL_GESTURE_GAP (250 * G_TIME_SPAN_MILLISECOND)
#define SWIPE_MIN_VELOCITY 250.0
/* The contents sidebar: its width, and the narrowest view it sits beside
 * the page in (narrower views show it over the page). */
#define SIDEBAR_WIDTH 300
#define SIDEBAR_DOCK_MIN 760
/* A first page slower than this gets a spinner (a huge chapter being laid out). */
#define SPINNER_DELAY_MS 250

typedef enum {
  SLOT_SHOW = 0, /* the page to put on screen */
  SLOT_NEXT,     /* pre-rendering the page after it */
  SLOT_PREV,     /* pre-rendering the page before it */
  N_SLOTS
} Slot;

typedef enum {
  SHOW_RESTORE,  /* opening the book: nothing to save */
  SHOW_RELAYOUT, /* the same words at a new layout: nothing to save */
  SHOW_REFRESH,  /* the same page again (colours, size, page count) */
  SHOW_USER,     /* the reader went somewhere: save, "user-turned-page" */
  SHOW_JUMP,     /* go_to_position: save, no "user-turned-page" */
} ShowReason;

/* A rendered page and its texture. */
typedef struct
{
  KiosPage   *page;
  GdkTexture *texture; /* NULL when the pixels were unusable */
} Sheet;

/* What the SHOW slot was asked for, kept so it can be asked again with new
 * render parameters when the theme or the size changes while it is in flight. */
typedef struct
{
  gboolean            valid;
  KiosPageRequestKind kind;
  KiosLocation        location;
  KiosPosition       *position;
  int                 toc_index;
  ShowReason          reason;
  KiosPosition       *save; /* JUMP: the position to save */
} ShowSpec;

typedef struct
{
  GWeakRef      self; /* a late answer must not keep a closed view alive */
  Slot          slot;
  guint         serial;
  guint         render_serial;
  ShowReason    reason;
  KiosPosition *save;
} RenderCall;

typedef struct
{
  graphene_rect_t box;            /* where the page goes (CSS px), the EPUB text block */
  double          header_y;       /* vertical centre of the chapter title */
  double          footer_y;       /* vertical centre of the page label */
  double          content_height; /* the widget minus the progress bar */
} Geometry;

struct _KiosReaderView
{
  GtkWidget parent_instance;

  KiosDocument     *document;
  KiosLibraryStore *store;
  GtkWidget        *progress_bar;
  GtkWidget        *status_page;
  GtkWidget        *sidebar;
  GtkWidget        *spinner;
  GCancellable     *slot_cancellable[N_SLOTS];

  Sheet        *current;
  Sheet        *next;
  Sheet        *prev;
  KiosPosition *position; /* of the page on screen */
  KiosPosition *anchor;   /* the words kept on screen across relayouts */
  char         *chapter_title;
  char         *page_label;
  char         *theme;
  ShowSpec      show_spec;

  KiosLayout      layout;
  graphene_rect_t render_box;
  int             render_scale;
  guint           slot_serial[N_SLOTS];
  guint           render_serial;
  guint           layout_timeout_id;
  guint           spinner_timeout_id;
  gulong          n_pages_handler;
  gulong          marks_handler;
  gulong          dark_handler;

  double      progress;
  double      font_size;
  double      margin;
  double      line_spacing;
  double      pdf_zoom;
  KiosFitMode pdf_fit;
  guint32     foreground;
  guint32     background;
  int         toc_index;
  int         queued_turn;
  double      scroll_y;
  double      scroll_accum;
  gint64      last_scroll_time;

  guint have_geometry : 1;
  guint have_layout : 1;
  guint scroll_latched : 1;
  guint show_bottom : 1;
  guint render_dirty : 1; /* zoom or fit changed: render again */
  guint contents_visible : 1;
};

G_DEFINE_FINAL_TYPE (KiosReaderView, kios_reader_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_STORE,
  PROP_POSITION,
  PROP_CHAPTER_TITLE,
  PROP_PAGE_LABEL,
  PROP_PROGRESS,
  PROP_TOC_INDEX,
  PROP_FONT_SIZE,
  PROP_THEME,
  PROP_MARGIN,
  PROP_LINE_SPACING,
  PROP_PDF_FIT,
  PROP_PDF_ZOOM,
  PROP_CONTENTS_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PAGE_SHOWN,
  SIGNAL_USER_TURNED_PAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void turn (KiosReaderView *self,
                  int             direction);

/* KiosPosition has no GType in core (core stays GObject-light); the view
 * registers one under its own name so it cannot clash with a later one. */
static GType
position_boxed_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    {
      GType t = g_boxed_type_register_static ("KiosReaderViewPosition",
                                              (GBoxedCopyFunc) kios_position_copy,
                                              (GBoxedFreeFunc) kios_position_free);
      g_once_init_leave (&type, t);
    }
  return type;
}

static void
sheet_free (Sheet *sheet)
{
  if (sheet == NULL)
    return;
  g_clear_pointer (&sheet->page, kios_page_free);
  g_clear_object (&sheet->texture);
  g_free (sheet);
}

static Sheet *
sheet_new (KiosPage *page)
{
  Sheet *sheet = g_new0 (Sheet, 1);
  gsize  needed;

  sheet->page = page;
  /* The worker's buffer is trusted only as far as its size says. */
  needed = (gsize) page->stride * (gsize) MAX (page->height, 0);
  if (page->pixels != NULL && page->width > 0 && page->height > 0 &&
      page->stride >= page->width * 3 && g_bytes_get_size (page->pixels) >= needed)
    sheet->texture = gdk_memory_texture_new (page->width, page->height,
                                             GDK_MEMORY_R8G8B8,
                                             page->pixels, page->stride);
  else
    g_warning ("Page %d:%d came back without usable pixels",
               page->location.chapter, page->location.page);
  return sheet;
}

static void
show_spec_clear (ShowSpec *spec)
{
  g_clear_pointer (&spec->position, kios_position_free);
  g_clear_pointer (&spec->save, kios_position_free);
  spec->valid = FALSE;
}

static void
render_call_free (RenderCall *call)
{
  g_clear_pointer (&call->save, kios_position_free);
  g_weak_ref_clear (&call->self);
  g_free (call);
}

static void
rgba_from_hex (guint32  hex,
               double   alpha,
               GdkRGBA *rgba)
{
  rgba->red = ((hex >> 16) & 0xff) / 255.0;
  rgba->green = ((hex >> 8) & 0xff) / 255.0;
  rgba->blue = (hex & 0xff) / 255.0;
  rgba->alpha = alpha;
}

static gboolean
is_reflowable (KiosReaderView *self)
{
  return self->document == NULL || kios_document_is_reflowable (self->document);
}

static int
progress_bar_height (KiosReaderView *self)
{
  int height = 0;

  gtk_widget_measure (self->progress_bar, GTK_ORIENTATION_VERTICAL, -1,
                      NULL, &height, NULL, NULL);
  return height;
}

static int
sidebar_width (KiosReaderView *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));

  return MIN (SIDEBAR_WIDTH, (int) (width * 0.85));
}

static gboolean
sidebar_docked (KiosReaderView *self)
{
  return self->contents_visible && gtk_widget_get_width (GTK_WIDGET (self)) >= SIDEBAR_DOCK_MIN;
}

/* The part of the view the page is laid out in: beside a docked sidebar. */
static void
page_area (KiosReaderView *self,
           double         *x,
           double         *width)
{
  double full = gtk_widget_get_width (GTK_WIDGET (self));

  if (sidebar_docked (self))
    {
      *x = sidebar_width (self) + 1;
      *width = MAX (full - *x, 1);
    }
  else
    {
      *x = 0;
      *width = full;
    }
}

static void
compute_geometry (KiosReaderView *self,
                  Geometry       *geometry)
{
  double area_x;
  double width;
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double content_height = MAX (height - progress_bar_height (self), 1);
  double band;
  double side;
  double column;
  double box_height;

  page_area (self, &area_x, &width);

  if (is_reflowable (self))
    {
      /* A page with room around the text: the chapter title sits in the top
       * band, the page label in the bottom one, as in a printed book. */
      band = content_height < 420 ? 34 : content_height < 640 ? 48
                                                              : 60;
      side = self->margin;
      if (width < 720)
        side = MAX (12.0, self->margin * width / 720.0);
      column = MIN (width - 2 * side, MAX_LINE_EM * self->font_size);
      column = floor (MAX (column, 80.0));
      box_height = floor (MAX (content_height - 2 * band, 80.0));
      geometry->box = GRAPHENE_RECT_INIT (area_x + floor ((width - column) / 2), band, column, box_height);
      geometry->header_y = round (band * 0.45);
      geometry->footer_y = band + box_height + round (band * 0.55);
    }
  else
    {
      /* A PDF brings its own margins: give it as much of the view as possible. */
      band = 28;
      side = MIN (16.0, self->margin);
      column = floor (MAX (width - 2 * side, 80.0));
      box_height = floor (MAX (content_height - 12 - band, 80.0));
      geometry->box = GRAPHENE_RECT_INIT (area_x + floor ((width - column) / 2), 12, column, box_height);
      geometry->header_y = -1;
      geometry->footer_y = 12 + box_height + band / 2;
    }
  geometry->content_height = content_height;
}

static void
resolve_colors (KiosReaderView *self,
                guint32        *foreground,
                guint32        *background)
{
  const char *theme = self->theme != NULL ? self->theme : "auto";

  if (g_str_equal (theme, "auto"))
    theme = adw_style_manager_get_dark (adw_style_manager_get_default ()) ? "dark" : "light";

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

static void
update_ink (KiosReaderView *self)
{
  guint32 foreground;
  guint32 background;
  GdkRGBA ink;

  if (self->progress_bar == NULL)
    return;
  resolve_colors (self, &foreground, &background);
  rgba_from_hex (foreground, 1.0, &ink);
  kios_progress_bar_set_ink (KIOS_PROGRESS_BAR (self->progress_bar), &ink);
}

static void
cancel_slot (KiosReaderView *self,
             Slot            slot)
{
  /* Bumping the serial makes a late answer of the old request a no-op. */
  self->slot_serial[slot]++;
  if (self->slot_cancellable[slot] != NULL)
    {
      g_cancellable_cancel (self->slot_cancellable[slot]);
      g_clear_object (&self->slot_cancellable[slot]);
    }
}

static gboolean
slot_busy (KiosReaderView *self,
           Slot            slot)
{
  return self->slot_cancellable[slot] != NULL;
}

static void
drop_neighbours (KiosReaderView *self)
{
  cancel_slot (self, SLOT_NEXT);
  cancel_slot (self, SLOT_PREV);
  g_clear_pointer (&self->next, sheet_free);
  g_clear_pointer (&self->prev, sheet_free);
}

static void
fill_request (KiosReaderView  *self,
              KiosPageRequest *request)
{
  kios_page_request_init (request);
  request->box_width = self->render_box.size.width;
  request->box_height = self->render_box.size.height;
  request->scale = MAX (self->render_scale, 1);
  request->fit = self->pdf_fit;
  request->zoom = self->pdf_zoom;
  request->foreground = self->foreground;
  request->background = self->background;
}

static void render_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data);

static RenderCall *
start_call (KiosReaderView *self,
            Slot            slot)
{
  RenderCall *call = g_new0 (RenderCall, 1);

  cancel_slot (self, slot);
  self->slot_cancellable[slot] = g_cancellable_new ();
  g_weak_ref_init (&call->self, self);
  call->slot = slot;
  call->serial = self->slot_serial[slot];
  call->render_serial = self->render_serial;
  return call;
}

static void
issue_show (KiosReaderView *self)
{
  KiosPageRequest request;
  RenderCall     *call;

  g_assert (self->show_spec.valid);
  g_assert (self->document != NULL);

  fill_request (self, &request);
  request.kind = self->show_spec.kind;
  request.location = self->show_spec.location;
  request.position = self->show_spec.position;
  request.toc_index = self->show_spec.toc_index;

  call = start_call (self, SLOT_SHOW);
  call->reason = self->show_spec.reason;
  call->save = self->show_spec.save != NULL ? kios_position_copy (self->show_spec.save) : NULL;
  kios_document_render_async (self->document, &request,
                              self->slot_cancellable[SLOT_SHOW],
                              render_cb, call);
}

/* Asks for the page to put on screen; superseding any earlier such request. */
static void
request_show (KiosReaderView     *self,
              KiosPageRequestKind kind,
              const KiosLocation *location,
              const KiosPosition *position,
              int                 toc_index,
              ShowReason          reason,
              const KiosPosition *save)
{
  show_spec_clear (&self->show_spec);
  self->show_spec.valid = TRUE;
  self->show_spec.kind = kind;
  self->show_spec.location = location != NULL ? *location : (KiosLocation){ 0, 0 };
  self->show_spec.position = position != NULL ? kios_position_copy (position) : NULL;
  self->show_spec.toc_index = toc_index;
  self->show_spec.reason = reason;
  self->show_spec.save = save != NULL ? kios_position_copy (save) : NULL;

  /* Before the first allocation there is no box to render into yet:
   * apply_geometry() issues the request once there is. */
  if (self->document == NULL || !self->have_geometry)
    return;
  issue_show (self);
}

static void
prefetch (KiosReaderView *self,
          int             direction)
{
  Slot            slot = direction > 0 ? SLOT_NEXT : SLOT_PREV;
  KiosPageRequest request;
  RenderCall     *call;

  if (self->current == NULL || self->document == NULL)
    return;

  fill_request (self, &request);
  request.kind = direction > 0 ? KIOS_PAGE_REQUEST_NEXT : KIOS_PAGE_REQUEST_PREVIOUS;
  request.location = self->current->page->location;
  call = start_call (self, slot);
  kios_document_render_async (self->document, &request,
                              self->slot_cancellable[slot],
                              render_cb, call);
}

static void
prefetch_neighbours (KiosReaderView *self)
{
  const KiosPage *page;

  if (self->current == NULL)
    return;
  page = self->current->page;
  /* The page after comes first: reading forwards is the common case. */
  if (self->next == NULL && !page->is_last && !slot_busy (self, SLOT_NEXT))
    prefetch (self, 1);
  if (self->prev == NULL && !page->is_first && !slot_busy (self, SLOT_PREV))
    prefetch (self, -1);
}

static const KiosTocEntry *
toc_entry (KiosReaderView *self,
           int             index)
{
  GPtrArray *toc;

  if (self->document == NULL || index < 0)
    return NULL;
  toc = kios_document_get_toc (self->document);
  if (toc == NULL || (guint) index >= toc->len)
    return NULL;
  return g_ptr_array_index (toc, index);
}

static void
update_page_label (KiosReaderView *self)
{
  g_autofree char *label = NULL;
  const KiosPage  *page = self->current != NULL ? self->current->page : NULL;
  int              n_pages = self->document != NULL ? kios_document_get_n_pages (self->document) : -1;

  if (page == NULL)
    label = g_strdup ("");
  else if (page->page_number >= 0 && n_pages > 0)
    /* Translators: the page label of the reader, e.g. "Page 12 of 340". */
    label = g_strdup_printf (_ ("Page %d of %d"), MIN (page->page_number + 1, n_pages), n_pages);
  else if (page->chapter_pages > 0)
    /* Translators: shown until the whole book's pages are counted. */
    label = g_strdup_printf (_ ("Page %d of %d in this chapter"),
                             MIN (page->location.page + 1, page->chapter_pages),
                             page->chapter_pages);
  else
    label = g_strdup_printf (_ ("Page %d"), page->location.page + 1);

  if (g_strcmp0 (label, self->page_label) != 0)
    {
      g_free (self->page_label);
      self->page_label = g_steal_pointer (&label);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_LABEL]);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

/* Notches where the book's top-level contents entries start: what a reader
 * calls chapters (spine files can split or merge them, and a PDF's pages
 * are not chapters). Without contents, every spine item of an EPUB. */
static void
update_marks (KiosReaderView *self)
{
  KiosProgressBar   *bar = KIOS_PROGRESS_BAR (self->progress_bar);
  GArray            *chapter_marks;
  GPtrArray         *toc;
  g_autoptr (GArray) marks = NULL;
  int                n_chapters;

  if (self->document == NULL)
    {
      kios_progress_bar_set_marks (bar, NULL, 0);
      return;
    }

  chapter_marks = kios_document_get_chapter_marks (self->document);
  toc = kios_document_get_toc (self->document);
  n_chapters = kios_document_get_n_chapters (self->document);
  marks = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; toc != NULL && i < toc->len; i++)
    {
      const KiosTocEntry *entry = g_ptr_array_index (toc, i);
      double              mark;

      if (entry->level != 0 || entry->chapter < 0)
        continue;
      if (chapter_marks != NULL && (guint) entry->chapter < chapter_marks->len)
        mark = g_array_index (chapter_marks, double, entry->chapter);
      else if (n_chapters > 0)
        mark = (double) entry->chapter / n_chapters;
      else
        continue;
      g_array_append_val (marks, mark);
    }

  if (marks->len == 0 && chapter_marks != NULL && kios_document_is_reflowable (self->document))
    g_array_append_vals (marks, chapter_marks->data, chapter_marks->len);

  kios_progress_bar_set_marks (bar, (const double *) (gpointer) marks->data, marks->len);
}

static void
update_actions (KiosReaderView *self)
{
  GtkWidget      *widget = GTK_WIDGET (self);
  gboolean        open = self->document != NULL;
  const KiosPage *page = self->current != NULL ? self->current->page : NULL;

  gtk_widget_action_set_enabled (widget, "reader.next-page", open && (page == NULL || !page->is_last));
  gtk_widget_action_set_enabled (widget, "reader.previous-page", open && (page == NULL || !page->is_first));
  gtk_widget_action_set_enabled (widget, "reader.first-page", open);
  gtk_widget_action_set_enabled (widget, "reader.last-page", open);
  gtk_widget_action_set_enabled (widget, "reader.scroll", open);
  gtk_widget_action_set_enabled (widget, "reader.go-to-toc", open);
}

/* Copies what the page on screen says into the view's properties. */
static void
update_position_properties (KiosReaderView *self)
{
  GObject            *object = G_OBJECT (self);
  const KiosPage     *page = self->current != NULL ? self->current->page : NULL;
  const KiosTocEntry *entry;
  const char         *title = NULL;
  int                 toc_index = -1;
  double              progress = 0.0;

  g_object_freeze_notify (object);

  g_clear_pointer (&self->position, kios_position_free);
  if (page != NULL && page->position != NULL)
    {
      self->position = kios_position_copy (page->position);
      toc_index = kios_document_get_toc_index_at (self->document, page->position);
      progress = CLAMP (page->position->total_progress, 0.0, 1.0);
    }
  g_object_notify_by_pspec (object, properties[PROP_POSITION]);

  entry = toc_entry (self, toc_index);
  if (entry != NULL && entry->title != NULL)
    title = entry->title;
  else if (self->position != NULL && self->position->chapter_title != NULL)
    title = self->position->chapter_title;
  else if (self->document != NULL && page != NULL)
    title = kios_document_get_title (self->document);

  if (g_strcmp0 (title, self->chapter_title) != 0)
    {
      g_free (self->chapter_title);
      self->chapter_title = g_strdup (title);
      g_object_notify_by_pspec (object, properties[PROP_CHAPTER_TITLE]);
    }
  if (toc_index != self->toc_index)
    {
      self->toc_index = toc_index;
      g_object_notify_by_pspec (object, properties[PROP_TOC_INDEX]);
    }
  if (progress != self->progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (object, properties[PROP_PROGRESS]);
    }
  kios_progress_bar_set_fraction (KIOS_PROGRESS_BAR (self->progress_bar), progress);
  update_page_label (self);

  g_object_thaw_notify (object);
}

static void
save_position (KiosReaderView     *self,
               const KiosPosition *position)
{
  g_autoptr (KiosPosition) copy = NULL;

  if (self->store == NULL || self->document == NULL || position == NULL)
    return;
  copy = kios_position_copy (position);
  copy->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  /* It is now this device's position, even when it came from another one:
   * the worker stamps the pages it makes with this device's name and id. */
  if (self->current != NULL && self->current->page->position != NULL && copy != self->current->page->position)
    {
      const KiosPosition *own = self->current->page->position;

      g_free (copy->device);
      copy->device = g_strdup (own->device);
      g_free (copy->device_id);
      copy->device_id = g_strdup (own->device_id);
    }
  /* Queued on the store's writer thread: this never waits for the disk. */
  kios_library_store_save_position (self->store, kios_document_get_hash (self->document), copy);
}

static void
hide_spinner (KiosReaderView *self)
{
  g_clear_handle_id (&self->spinner_timeout_id, g_source_remove);
  /* Also called from dispose, which may run twice. */
  if (self->spinner == NULL)
    return;
  gtk_spinner_stop (GTK_SPINNER (self->spinner));
  gtk_widget_set_visible (self->spinner, FALSE);
}

static gboolean
spinner_timeout_cb (gpointer user_data)
{
  KiosReaderView *self = user_data;

  self->spinner_timeout_id = 0;
  if (self->document != NULL && self->current == NULL && !gtk_widget_get_visible (self->status_page))
    {
      gtk_widget_set_visible (self->spinner, TRUE);
      gtk_spinner_start (GTK_SPINNER (self->spinner));
    }
  return G_SOURCE_REMOVE;
}

static void
hide_status (KiosReaderView *self)
{
  gtk_widget_set_visible (self->status_page, FALSE);
}

static void
show_status (KiosReaderView *self,
             const char     *message)
{
  hide_spinner (self);
  adw_status_page_set_description (ADW_STATUS_PAGE (self->status_page), message);
  gtk_widget_set_visible (self->status_page, TRUE);
}

/* Puts sheet on screen (taking it) and does everything a new page implies. */
static void
page_changed (KiosReaderView     *self,
              Sheet              *sheet,
              ShowReason          reason,
              const KiosPosition *save,
              gboolean            keep_neighbours)
{
  const KiosPage *page;
  int             queued;

  if (!keep_neighbours)
    drop_neighbours (self);
  else
    {
      /* In-flight pre-renders started from the old page are its neighbours, not ours. */
      cancel_slot (self, SLOT_NEXT);
      cancel_slot (self, SLOT_PREV);
    }

  sheet_free (self->current);
  self->current = sheet;
  page = sheet->page;
  hide_status (self);
  hide_spinner (self);

  if (reason != SHOW_REFRESH)
    {
      self->scroll_y = self->show_bottom ? G_MAXDOUBLE : 0.0;
      self->scroll_accum = 0.0;
    }
  self->show_bottom = FALSE;

  update_position_properties (self);

  switch (reason)
    {
    case SHOW_RESTORE:
      if (self->anchor == NULL && page->position != NULL)
        self->anchor = kios_position_copy (page->position);
      break;

    case SHOW_USER:
      g_clear_pointer (&self->anchor, kios_position_free);
      if (page->position != NULL)
        self->anchor = kios_position_copy (page->position);
      save_position (self, page->position);
      break;

    case SHOW_JUMP:
      g_clear_pointer (&self->anchor, kios_position_free);
      if (save != NULL)
        self->anchor = kios_position_copy (save);
      else if (page->position != NULL)
        self->anchor = kios_position_copy (page->position);
      save_position (self, save != NULL ? save : page->position);
      break;

    case SHOW_RELAYOUT:
    case SHOW_REFRESH:
    default:
      break;
    }

  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  prefetch_neighbours (self);

  g_signal_emit (self, signals[SIGNAL_PAGE_SHOWN], 0);
  if (reason == SHOW_USER)
    g_signal_emit (self, signals[SIGNAL_USER_TURNED_PAGE], 0);

  /* A turn asked for while this page was on its way. */
  queued = self->queued_turn;
  self->queued_turn = 0;
  if (queued != 0)
    turn (self, queued);
}

static void
render_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  RenderCall                *call = user_data;
  g_autoptr (KiosReaderView) self = NULL;
  g_autoptr (GError)         error = NULL;
  g_autoptr (KiosPage)       page = NULL;
  Sheet                     *sheet;

  page = kios_document_render_finish (KIOS_DOCUMENT (source), result, &error);

  /* The view is gone, or this was superseded, cancelled, or for a document
   * that is no longer open. */
  self = g_weak_ref_get (&call->self);
  if (self == NULL ||
      call->serial != self->slot_serial[call->slot] ||
      (gpointer) source != (gpointer) self->document ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      render_call_free (call);
      return;
    }
  g_clear_object (&self->slot_cancellable[call->slot]);

  if (page == NULL)
    {
      /* Shown in the view; a hostile book is not a programming error. */
      g_message ("Could not render a page of %s: %s",
                 kios_document_get_path (self->document),
                 error != NULL ? error->message : "no page");
      if (call->slot == SLOT_SHOW)
        {
          show_spec_clear (&self->show_spec);
          self->queued_turn = 0;
          show_status (self, error != NULL ? error->message : NULL);
        }
      else if ((call->slot == SLOT_NEXT && self->queued_turn > 0) ||
               (call->slot == SLOT_PREV && self->queued_turn < 0))
        {
          self->queued_turn = 0;
          show_status (self, error != NULL ? error->message : NULL);
        }
      render_call_free (call);
      return;
    }

  if (call->render_serial != self->render_serial ||
      page->layout_serial != kios_document_get_layout_serial (self->document))
    {
      /* Rendered for an older size, colour or layout; the newer request is on its way. */
      g_debug ("Dropping a page of an older layout");
      render_call_free (call);
      return;
    }

  sheet = sheet_new (g_steal_pointer (&page));
  switch (call->slot)
    {
    case SLOT_SHOW:
      {
        gboolean keep = call->reason == SHOW_REFRESH;

        show_spec_clear (&self->show_spec);
        page_changed (self, sheet, call->reason, call->save, keep);
      }
      break;

    case SLOT_NEXT:
      sheet_free (self->next);
      self->next = sheet;
      if (self->queued_turn > 0)
        {
          self->queued_turn = 0;
          turn (self, 1);
        }
      break;

    case SLOT_PREV:
      sheet_free (self->prev);
      self->prev = sheet;
      if (self->queued_turn < 0)
        {
          self->queued_turn = 0;
          turn (self, -1);
        }
      break;

    case N_SLOTS:
    default:
      g_assert_not_reached ();
    }

  render_call_free (call);
}

/* One page forwards (direction > 0) or backwards: swaps in the pre-rendered
 * neighbour when it is there, else waits for exactly one. */
static void
turn (KiosReaderView *self,
      int             direction)
{
  Sheet **want;
  Sheet **other;
  Sheet  *sheet;
  Sheet  *old;

  if (self->document == NULL)
    return;

  if (self->current == NULL || self->show_spec.valid)
    {
      self->queued_turn = direction;
      return;
    }

  if (direction > 0 ? self->current->page->is_last : self->current->page->is_first)
    {
      self->queued_turn = 0;
      self->show_bottom = FALSE;
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  want = direction > 0 ? &self->next : &self->prev;
  other = direction > 0 ? &self->prev : &self->next;

  if (*want != NULL &&
      (*want)->page->layout_serial != kios_document_get_layout_serial (self->document))
    g_clear_pointer (want, sheet_free);

  if (*want == NULL)
    {
      self->queued_turn = direction;
      if (!slot_busy (self, direction > 0 ? SLOT_NEXT : SLOT_PREV))
        prefetch (self, direction);
      return;
    }

  sheet = g_steal_pointer (want);
  old = g_steal_pointer (&self->current);

  /* Pre-rendered before the count finished: number it from its neighbour. */
  if (sheet->page->page_number < 0 && old->page->page_number >= 0)
    sheet->page->page_number = old->page->page_number + direction;

  sheet_free (*other);
  *other = old;
  page_changed (self, sheet, SHOW_USER, NULL, TRUE);
}

static void
invalidate (KiosReaderView *self,
            gboolean        layout_changed)
{
  self->render_serial++;
  drop_neighbours (self);

  if (self->show_spec.valid)
    {
      /* The page on its way was asked for with the old parameters: ask again. */
      if (layout_changed && self->show_spec.reason == SHOW_REFRESH && self->anchor != NULL)
        {
          g_autoptr (KiosPosition) anchor = kios_position_copy (self->anchor);

          request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, anchor, -1, SHOW_RELAYOUT, NULL);
        }
      else if (self->have_geometry)
        issue_show (self);
      return;
    }

  if (self->current == NULL)
    return;

  if (layout_changed && self->anchor != NULL)
    {
      g_autoptr (KiosPosition) anchor = kios_position_copy (self->anchor);

      request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, anchor, -1, SHOW_RELAYOUT, NULL);
    }
  else
    {
      KiosLocation location = self->current->page->location;

      request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_REFRESH, NULL);
    }
}

static gboolean
layout_equal (const KiosLayout *a,
              const KiosLayout *b)
{
  return a->width == b->width && a->height == b->height &&
         a->font_size == b->font_size && a->line_spacing == b->line_spacing;
}

/* Lays the book out for the current size and settings, now. */
static void
apply_geometry (KiosReaderView *self)
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

  g_clear_handle_id (&self->layout_timeout_id, g_source_remove);

  if (self->document == NULL || width <= 0 || height <= 0)
    return;

  compute_geometry (self, &geometry);
  layout.width = geometry.box.size.width;
  layout.height = geometry.box.size.height;
  layout.font_size = self->font_size;
  layout.line_spacing = self->line_spacing;

  resolve_colors (self, &foreground, &background);
  colors_changed = foreground != self->foreground || background != self->background;
  self->foreground = foreground;
  self->background = background;

  first = !self->have_geometry;
  box_changed = !graphene_rect_equal (&geometry.box, &self->render_box) || scale != self->render_scale;
  if (is_reflowable (self) && (!self->have_layout || !layout_equal (&layout, &self->layout)))
    layout_changed = TRUE;

  if (!first && !layout_changed && !box_changed && !colors_changed && !self->render_dirty)
    return;

  self->render_dirty = FALSE;
  self->have_geometry = TRUE;
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
        issue_show (self);
      return;
    }
  invalidate (self, layout_changed);
}

static gboolean
layout_timeout_cb (gpointer user_data)
{
  KiosReaderView *self = user_data;

  self->layout_timeout_id = 0;
  apply_geometry (self);
  return G_SOURCE_REMOVE;
}

/* Settings changes apply at once, so every page that arrives after the
 * setter returns has the new look (a superseded request is just cancelled);
 * only a resize waits until the window has been still for LAYOUT_DEBOUNCE_MS. */
static void
queue_apply (KiosReaderView *self)
{
  apply_geometry (self);
}

static void
geometry_maybe_changed (KiosReaderView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  Geometry   geometry;

  if (self->document == NULL)
    return;
  if (!self->have_geometry)
    {
      apply_geometry (self);
      return;
    }
  compute_geometry (self, &geometry);
  if (graphene_rect_equal (&geometry.box, &self->render_box) &&
      gtk_widget_get_scale_factor (widget) == self->render_scale)
    {
      g_clear_handle_id (&self->layout_timeout_id, g_source_remove);
      return;
    }
  g_clear_handle_id (&self->layout_timeout_id, g_source_remove);
  self->layout_timeout_id = g_timeout_add (LAYOUT_DEBOUNCE_MS, layout_timeout_cb, self);
}

static void
n_pages_cb (KiosDocument   *document,
            GParamSpec     *pspec,
            KiosReaderView *self)
{
  update_marks (self);
  /* The page on screen was numbered before the count finished: ask again (cheap). */
  if (self->current != NULL && self->current->page->page_number < 0 &&
      kios_document_get_n_pages (document) > 0 && !self->show_spec.valid)
    {
      KiosLocation location = self->current->page->location;

      request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_REFRESH, NULL);
    }
  else
    update_page_label (self);
}

static void
style_dark_cb (AdwStyleManager *manager,
               GParamSpec      *pspec,
               KiosReaderView  *self)
{
  if (self->theme == NULL || g_str_equal (self->theme, "auto"))
    {
      update_ink (self);
      queue_apply (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
scale_factor_cb (KiosReaderView *self,
                 GParamSpec     *pspec,
                 gpointer        user_data)
{
  geometry_maybe_changed (self);
}

/* PDF pages taller than the view scroll; this is how far they can. */
static double
scroll_range (KiosReaderView *self)
{
  const KiosPage *page;

  if (self->current == NULL || is_reflowable (self))
    return 0.0;
  page = self->current->page;
  return MAX (0.0, page->height / MAX (page->scale, 1.0) - self->render_box.size.height);
}

/* Scrolls by pixels; returns FALSE when already at that edge. */
static gboolean
scroll_by (KiosReaderView *self,
           double          pixels)
{
  double range = scroll_range (self);
  double y;

  if (range <= 0.0)
    return FALSE;
  self->scroll_y = CLAMP (self->scroll_y, 0.0, range);
  y = CLAMP (self->scroll_y + pixels, 0.0, range);
  if (y == self->scroll_y)
    return FALSE;
  self->scroll_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

static void
turn_scrolling (KiosReaderView *self,
                int             direction)
{
  /* Reaching the previous page by scrolling up shows its bottom end. */
  self->show_bottom = direction < 0 && !is_reflowable (self);
  turn (self, direction);
}

static void
set_font_size_clamped (KiosReaderView *self,
                       double          size)
{
  g_object_set (self, "font-size", CLAMP (size, MIN_FONT_SIZE, MAX_FONT_SIZE), NULL);
}

static void
set_zoom_clamped (KiosReaderView *self,
                  double          zoom)
{
  g_object_set (self, "pdf-zoom", CLAMP (zoom, MIN_ZOOM, MAX_ZOOM), NULL);
}

static void
action_cb (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);

  if (g_str_equal (action_name, "reader.next-page"))
    turn (self, 1);
  else if (g_str_equal (action_name, "reader.previous-page"))
    turn (self, -1);
  else if (g_str_equal (action_name, "reader.first-page"))
    {
      KiosLocation location = { 0, 0 };

      if (self->document != NULL)
        request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_USER, NULL);
    }
  else if (g_str_equal (action_name, "reader.last-page"))
    {
      KiosLocation location = { 0, G_MAXINT / 2 };

      /* The worker clamps the location, so this lands on the very last page. */
      if (self->document != NULL)
        {
          location.chapter = MAX (kios_document_get_n_chapters (self->document) - 1, 0);
          request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_USER, NULL);
        }
    }
  else if (g_str_equal (action_name, "reader.go-to-toc"))
    kios_reader_view_go_to_toc (self, g_variant_get_int32 (parameter));
  else if (g_str_equal (action_name, "reader.scroll"))
    {
      double fraction = g_variant_get_double (parameter);

      if (!scroll_by (self, fraction * self->render_box.size.height))
        turn_scrolling (self, fraction >= 0 ? 1 : -1);
    }
  else if (g_str_equal (action_name, "reader.font-larger"))
    {
      if (is_reflowable (self))
        set_font_size_clamped (self, self->font_size + FONT_STEP);
      else
        set_zoom_clamped (self, self->pdf_zoom * ZOOM_STEP);
    }
  else if (g_str_equal (action_name, "reader.font-smaller"))
    {
      if (is_reflowable (self))
        set_font_size_clamped (self, self->font_size - FONT_STEP);
      else
        set_zoom_clamped (self, self->pdf_zoom / ZOOM_STEP);
    }
  else if (g_str_equal (action_name, "reader.font-reset"))
    {
      if (is_reflowable (self))
        set_font_size_clamped (self, DEFAULT_FONT_SIZE);
      else
        set_zoom_clamped (self, 1.0);
    }
}

static void
click_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  KiosReaderView  *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));

  /* The mouse's back and forward buttons turn, as they go back and forth in a browser. */
  if (button == 8)
    turn (self, -1);
  else if (button == 9)
    turn (self, 1);
  else if (button == GDK_BUTTON_PRIMARY)
    gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
click_released_cb (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   KiosReaderView  *self)
{
  guint  button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  double area_x;
  double width;

  /* Button 0: the signal was emitted without an event (the tests do that). */
  if (button != GDK_BUTTON_PRIMARY && button != 0)
    return;

  if (self->contents_visible)
    {
      if (x < sidebar_width (self))
        return;
      /* Over the page, a click closes a sidebar that covers it. */
      if (!sidebar_docked (self))
        {
          kios_reader_view_set_contents_visible (self, FALSE);
          return;
        }
    }

  page_area (self, &area_x, &width);
  x -= area_x;
  /* The outer thirds turn; the middle is left alone (no accidental turns). */
  if (x < width / 3)
    turn (self, -1);
  else if (x > width * 2 / 3)
    turn (self, 1);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           KiosReaderView           *self)
{
  GdkScrollUnit unit = gtk_event_controller_scroll_get_unit (controller);
  GdkEvent     *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  GdkDevice    *device = event != NULL ? gdk_event_get_device (event) : NULL;
  gint64        now = g_get_monotonic_time ();
  gboolean      touchpad;
  double        delta;
  double        step;

  if (self->document == NULL)
    return FALSE;

  touchpad = unit == GDK_SCROLL_UNIT_SURFACE ||
             (device != NULL && gdk_device_get_source (device) == GDK_SOURCE_TOUCHPAD);

  /* A pause ends a touchpad gesture: the next one may turn again. */
  if (now - self->last_scroll_time > SCROLL_GESTURE_GAP)
    {
      self->scroll_accum = 0.0;
      self->scroll_latched = FALSE;
    }
  self->last_scroll_time = now;

  if (fabs (dy) >= fabs (dx) &&
      scroll_by (self, unit == GDK_SCROLL_UNIT_WHEEL ? dy * WHEEL_PIXELS : dy))
    {
      self->scroll_accum = 0.0;
      return TRUE;
    }

  delta = fabs (dx) > fabs (dy) ? dx : dy;
  step = unit == GDK_SCROLL_UNIT_WHEEL ? delta : delta / SWIPE_PIXELS;

  /* A wheel notch (or the notches of a high-resolution wheel adding up to
   * one) is one deliberate page turn. */
  if (!touchpad)
    {
      self->scroll_accum += step;
      if (fabs (self->scroll_accum) >= 1.0)
        {
          int direction = self->scroll_accum > 0 ? 1 : -1;

          self->scroll_accum = 0.0;
          turn_scrolling (self, direction);
        }
      return TRUE;
    }

  /* Touchpad deltas: one page per gesture, once enough has been scrolled. */
  if (self->scroll_latched)
    return TRUE;
  self->scroll_accum += step;
  if (fabs (self->scroll_accum) >= 1.0)
    {
      int direction = self->scroll_accum > 0 ? 1 : -1;

      self->scroll_accum = 0.0;
      self->scroll_latched = TRUE;
      turn_scrolling (self, direction);
    }
  return TRUE;
}

static void
scroll_end_cb (GtkEventControllerScroll *controller,
               KiosReaderView           *self)
{
  self->scroll_accum = 0.0;
  self->scroll_latched = FALSE;
}

static void
swipe_cb (GtkGestureSwipe *gesture,
          double           velocity_x,
          double           velocity_y,
          KiosReaderView  *self)
{
  if (fabs (velocity_x) < SWIPE_MIN_VELOCITY || fabs (velocity_x) < fabs (velocity_y))
    return;
  /* Swiping to the left pulls the next page in. */
  turn (self, velocity_x < 0 ? 1 : -1);
}

static void
entry_activated_cb (KiosReaderView *self,
                    int             index)
{
  /* A sidebar over the page has done its job once the reader picked a chapter. */
  if (!sidebar_docked (self))
    kios_reader_view_set_contents_visible (self, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self));
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

static void
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

  if (width <= 0 || height <= 0)
    return;

  resolve_colors (self, &foreground, &background);
  rgba_from_hex (background, 1.0, &paper);
  rgba_from_hex (foreground, 0.55, &dim);
  compute_geometry (self, &geometry);

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

      if (page_height > geometry.box.size.height && !is_reflowable (self))
        {
          double range = page_height - geometry.box.size.height;

          self->scroll_y = CLAMP (self->scroll_y, 0.0, range);
          y = geometry.box.origin.y - round (self->scroll_y);
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
      if (!is_reflowable (self))
        {
          /* A PDF page is a sheet of its own: a soft shadow lifts it off the paper. */
          GskRoundedRect outline;
          GdkRGBA        shadow = { 0, 0, 0, background < 0x808080 ? 0.6 : 0.22 };

          gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (x, y, page_width, page_height), 0);
          gtk_snapshot_append_outset_shadow (snapshot, &outline, &shadow, 0, 1, 0, 5);
        }
      gtk_snapshot_append_texture (snapshot, self->current->texture,
                                   &GRAPHENE_RECT_INIT (x, y, page_width, page_height));
      gtk_snapshot_pop (snapshot);
    }

  if (self->current != NULL && geometry.header_y > 0)
    append_band_text (self, snapshot, self->chapter_title,
                      geometry.box.origin.x, geometry.box.size.width,
                      geometry.header_y, &dim);
  if (self->current != NULL)
    append_band_text (self, snapshot, self->page_label,
                      geometry.box.origin.x, geometry.box.size.width,
                      geometry.footer_y, &dim);

  gtk_widget_snapshot_child (widget, self->progress_bar, snapshot);
  if (gtk_widget_get_visible (self->spinner))
    gtk_widget_snapshot_child (widget, self->spinner, snapshot);
  if (gtk_widget_get_visible (self->status_page))
    gtk_widget_snapshot_child (widget, self->status_page, snapshot);
  if (gtk_widget_get_visible (self->sidebar))
    {
      GdkRGBA line;

      if (!sidebar_docked (self))
        {
          /* Over the page: dim the page a little so the list stands out. */
          GdkRGBA shade = { 0, 0, 0, 0.12 };

          gtk_snapshot_append_color (snapshot, &shade,
                                     &GRAPHENE_RECT_INIT (0, 0, width, geometry.content_height));
        }
      gtk_widget_snapshot_child (widget, self->sidebar, snapshot);
      rgba_from_hex (foreground, 0.15, &line);
      gtk_snapshot_append_color (snapshot, &line,
                                 &GRAPHENE_RECT_INIT (sidebar_width (self), 0, 1, geometry.content_height));
    }
}

static void
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

  gtk_widget_measure (self->status_page, orientation, -1, &status_min, NULL, NULL, NULL);
  if (gtk_widget_get_visible (self->sidebar))
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

static void
kios_reader_view_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);
  int             bar_height = progress_bar_height (self);

  gtk_widget_allocate (self->progress_bar, width, bar_height, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (0, height - bar_height)));
  gtk_widget_allocate (self->status_page, width, MAX (height - bar_height, 0), -1, NULL);
  if (gtk_widget_get_visible (self->spinner))
    {
      int size = 32;

      gtk_widget_allocate (self->spinner, size, size, -1,
                           gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT ((width - size) / 2,
                                                                                (height - bar_height - size) / 2)));
    }
  if (gtk_widget_get_visible (self->sidebar))
    gtk_widget_allocate (self->sidebar, sidebar_width (self), MAX (height - bar_height, 0), -1, NULL);
  geometry_maybe_changed (self);
}

static void
detach_document (KiosReaderView *self)
{
  for (Slot slot = 0; slot < N_SLOTS; slot++)
    cancel_slot (self, slot);
  show_spec_clear (&self->show_spec);
  if (self->document != NULL)
    {
      g_clear_signal_handler (&self->n_pages_handler, self->document);
      g_clear_signal_handler (&self->marks_handler, self->document);
    }
  g_clear_object (&self->document);
  g_clear_pointer (&self->current, sheet_free);
  g_clear_pointer (&self->next, sheet_free);
  g_clear_pointer (&self->prev, sheet_free);
  g_clear_pointer (&self->anchor, kios_position_free);
  g_clear_handle_id (&self->layout_timeout_id, g_source_remove);
  hide_spinner (self);
  self->have_geometry = FALSE;
  self->have_layout = FALSE;
  self->queued_turn = 0;
  self->scroll_y = 0.0;
}

static void
kios_reader_view_dispose (GObject *object)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  detach_document (self);
  g_clear_signal_handler (&self->dark_handler, adw_style_manager_get_default ());
  g_clear_object (&self->store);
  g_clear_pointer (&self->progress_bar, gtk_widget_unparent);
  g_clear_pointer (&self->status_page, gtk_widget_unparent);
  g_clear_pointer (&self->spinner, gtk_widget_unparent);
  g_clear_pointer (&self->sidebar, gtk_widget_unparent);

  G_OBJECT_CLASS (kios_reader_view_parent_class)->dispose (object);
}

static void
kios_reader_view_finalize (GObject *object)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  g_clear_pointer (&self->position, kios_position_free);
  g_clear_pointer (&self->chapter_title, g_free);
  g_clear_pointer (&self->page_label, g_free);
  g_clear_pointer (&self->theme, g_free);

  G_OBJECT_CLASS (kios_reader_view_parent_class)->finalize (object);
}

static void
kios_reader_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;

    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_POSITION:
      g_value_set_boxed (value, self->position);
      break;

    case PROP_CHAPTER_TITLE:
      g_value_set_string (value, self->chapter_title);
      break;

    case PROP_PAGE_LABEL:
      g_value_set_string (value, self->page_label);
      break;

    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;

    case PROP_TOC_INDEX:
      g_value_set_int (value, self->toc_index);
      break;

    case PROP_FONT_SIZE:
      g_value_set_double (value, self->font_size);
      break;

    case PROP_THEME:
      g_value_set_string (value, self->theme);
      break;

    case PROP_MARGIN:
      g_value_set_double (value, self->margin);
      break;

    case PROP_LINE_SPACING:
      g_value_set_double (value, self->line_spacing);
      break;

    case PROP_PDF_FIT:
      g_value_set_string (value, self->pdf_fit == KIOS_FIT_WIDTH ? "width" : "page");
      break;

    case PROP_PDF_ZOOM:
      g_value_set_double (value, self->pdf_zoom);
      break;

    case PROP_CONTENTS_VISIBLE:
      g_value_set_boolean (value, self->contents_visible);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_double_prop (KiosReaderView *self,
                 double         *field,
                 double          value,
                 int             prop_id)
{
  if (*field == value)
    return;
  *field = value;
  queue_apply (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
kios_reader_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  KiosReaderView *self = KIOS_READER_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      kios_reader_view_set_store (self, g_value_get_object (value));
      break;

    case PROP_FONT_SIZE:
      set_double_prop (self, &self->font_size, g_value_get_double (value), prop_id);
      break;

    case PROP_MARGIN:
      set_double_prop (self, &self->margin, g_value_get_double (value), prop_id);
      break;

    case PROP_LINE_SPACING:
      set_double_prop (self, &self->line_spacing, g_value_get_double (value), prop_id);
      break;

    case PROP_PDF_ZOOM:
      if (!is_reflowable (self))
        self->render_dirty = TRUE;
      set_double_prop (self, &self->pdf_zoom, g_value_get_double (value), prop_id);
      break;

    case PROP_THEME:
      {
        const char *theme = g_value_get_string (value);

        if (theme == NULL || !g_strv_contains ((const char *[]){ "auto", "light", "sepia", "dark", NULL }, theme))
          {
            g_warning ("Unknown reader theme “%s”, using “auto”", theme != NULL ? theme : "(null)");
            theme = "auto";
          }
        if (g_strcmp0 (theme, self->theme) == 0)
          break;
        g_free (self->theme);
        self->theme = g_strdup (theme);
        update_ink (self);
        queue_apply (self);
        gtk_widget_queue_draw (GTK_WIDGET (self));
        g_object_notify_by_pspec (object, pspec);
      }
      break;

    case PROP_CONTENTS_VISIBLE:
      kios_reader_view_set_contents_visible (self, g_value_get_boolean (value));
      break;

    case PROP_PDF_FIT:
      {
        const char *fit = g_value_get_string (value);
        KiosFitMode mode = g_strcmp0 (fit, "width") == 0 ? KIOS_FIT_WIDTH : KIOS_FIT_PAGE;

        if (mode == self->pdf_fit)
          break;
        self->pdf_fit = mode;
        /* Same box, new fit: only the render parameters change. */
        if (!is_reflowable (self))
          self->render_dirty = TRUE;
        queue_apply (self);
        g_object_notify_by_pspec (object, pspec);
      }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_reader_view_class_init (KiosReaderViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const char     *scroll_action = "reader.scroll";

  object_class->dispose = kios_reader_view_dispose;
  object_class->finalize = kios_reader_view_finalize;
  object_class->get_property = kios_reader_view_get_property;
  object_class->set_property = kios_reader_view_set_property;

  widget_class->snapshot = kios_reader_view_snapshot;
  widget_class->measure = kios_reader_view_measure;
  widget_class->size_allocate = kios_reader_view_size_allocate;

  properties[PROP_DOCUMENT] =
      g_param_spec_object ("document", NULL, NULL,
                           KIOS_TYPE_DOCUMENT,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
      g_param_spec_object ("store", NULL, NULL,
                           KIOS_TYPE_LIBRARY_STORE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_POSITION] =
      g_param_spec_boxed ("position", NULL, NULL,
                          position_boxed_get_type (),
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHAPTER_TITLE] =
      g_param_spec_string ("chapter-title", NULL, NULL,
                           NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE_LABEL] =
      g_param_spec_string ("page-label", NULL, NULL,
                           NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
      g_param_spec_double ("progress", NULL, NULL,
                           0.0, 1.0, 0.0,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOC_INDEX] =
      g_param_spec_int ("toc-index", NULL, NULL,
                        -1, G_MAXINT, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FONT_SIZE] =
      g_param_spec_double ("font-size", NULL, NULL,
                           MIN_FONT_SIZE, MAX_FONT_SIZE, DEFAULT_FONT_SIZE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THEME] =
      g_param_spec_string ("theme", NULL, NULL,
                           "auto",
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MARGIN] =
      g_param_spec_double ("margin", NULL, NULL,
                           0.0, 400.0, 48.0,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LINE_SPACING] =
      g_param_spec_double ("line-spacing", NULL, NULL,
                           1.0, 2.0, 1.4,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PDF_FIT] =
      g_param_spec_string ("pdf-fit", NULL, NULL,
                           "page",
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PDF_ZOOM] =
      g_param_spec_double ("pdf-zoom", NULL, NULL,
                           MIN_ZOOM, MAX_ZOOM, 1.0,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTENTS_VISIBLE] =
      g_param_spec_boolean ("contents-visible", NULL, NULL,
                            FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosReaderView::page-shown:
   * @self: the view
   *
   * A new page is on screen (any reason: turn, jump, relayout, re-render).
   */
  signals[SIGNAL_PAGE_SHOWN] =
      g_signal_new ("page-shown",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);

  /**
   * KiosReaderView::user-turned-page:
   * @self: the view
   *
   * The reader moved by their own action (a turn, first/last page, the contents).
   */
  signals[SIGNAL_USER_TURNED_PAGE] =
      g_signal_new ("user-turned-page",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "reader.next-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.previous-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.first-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.last-page", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.font-larger", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.font-smaller", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.font-reset", NULL, action_cb);
  gtk_widget_class_install_action (widget_class, "reader.go-to-toc", "i", action_cb);
  gtk_widget_class_install_action (widget_class, scroll_action, "d", action_cb);
  gtk_widget_class_install_property_action (widget_class, "reader.contents", "contents-visible");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "reader.next-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Right, 0, "reader.next-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "reader.previous-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Left, 0, "reader.previous-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "reader.first-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Home, 0, "reader.first-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "reader.last-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_End, 0, "reader.last-page", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, scroll_action, "d", 0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Down, 0, scroll_action, "d", 0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, scroll_action, "d", -0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Up, 0, scroll_action, "d", -0.15);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, scroll_action, "d", 0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Page_Down, 0, scroll_action, "d", 0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, scroll_action, "d", 0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, scroll_action, "d", -0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Page_Up, 0, scroll_action, "d", -0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, GDK_SHIFT_MASK, scroll_action, "d", -0.9);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "reader.font-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "reader.font-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "reader.font-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "reader.font-smaller", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "reader.font-smaller", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "reader.font-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, GDK_CONTROL_MASK, "reader.font-reset", NULL);

  gtk_widget_class_set_css_name (widget_class, "kiosreaderview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_DOCUMENT);
}

static void
kios_reader_view_init (KiosReaderView *self)
{
  GtkWidget          *widget = GTK_WIDGET (self);
  GtkGesture         *click;
  GtkGesture         *swipe;
  GtkEventController *scroll;

  self->font_size = DEFAULT_FONT_SIZE;
  self->margin = 48.0;
  self->line_spacing = 1.4;
  self->pdf_zoom = 1.0;
  self->pdf_fit = KIOS_FIT_PAGE;
  self->theme = g_strdup ("auto");
  self->toc_index = -1;
  resolve_colors (self, &self->foreground, &self->background);

  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_overflow (widget, GTK_OVERFLOW_HIDDEN);

  self->progress_bar = kios_progress_bar_new ();
  gtk_widget_set_parent (self->progress_bar, widget);
  update_ink (self);

  self->status_page = adw_status_page_new ();
  gtk_widget_set_name (self->status_page, "reader-error");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (self->status_page), "dialog-warning-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (self->status_page), _ ("This Page Could Not Be Shown"));
  gtk_widget_add_css_class (self->status_page, "background");
  gtk_widget_set_visible (self->status_page, FALSE);
  gtk_widget_set_parent (self->status_page, widget);

  self->spinner = gtk_spinner_new ();
  gtk_widget_set_size_request (self->spinner, 32, 32);
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_widget_set_parent (self->spinner, widget);

  self->sidebar = kios_contents_sidebar_new (self);
  gtk_widget_add_css_class (self->sidebar, "background");
  gtk_widget_set_visible (self->sidebar, FALSE);
  gtk_widget_set_parent (self->sidebar, widget);
  g_signal_connect_swapped (self->sidebar, "entry-activated", G_CALLBACK (entry_activated_cb), self);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect (click, "pressed", G_CALLBACK (click_pressed_cb), self);
  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));

  swipe = gtk_gesture_swipe_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (swipe), TRUE);
  g_signal_connect (swipe, "swipe", G_CALLBACK (swipe_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (swipe));

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  g_signal_connect (scroll, "scroll-end", G_CALLBACK (scroll_end_cb), self);
  gtk_widget_add_controller (widget, scroll);

  g_signal_connect (widget, "notify::scale-factor", G_CALLBACK (scale_factor_cb), NULL);
  self->dark_handler = g_signal_connect (adw_style_manager_get_default (), "notify::dark",
                                         G_CALLBACK (style_dark_cb), self);

  update_actions (self);
}

KiosReaderView *
kios_reader_view_new (void)
{
  return g_object_new (KIOS_TYPE_READER_VIEW, NULL);
}

void
kios_reader_view_set_store (KiosReaderView   *self,
                            KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  if (g_set_object (&self->store, store))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

void
kios_reader_view_open (KiosReaderView     *self,
                       KiosDocument       *document,
                       const KiosPosition *start)
{
  KiosLocation             first = { 0, 0 };
  g_autoptr (KiosDocument) keep = NULL;
  g_autoptr (KiosPosition) start_copy = NULL;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (KIOS_IS_DOCUMENT (document));

  /* Either may belong to the view itself (reopening where it stands), and
   * closing frees what the view owns. */
  keep = g_object_ref (document);
  start_copy = start != NULL ? kios_position_copy (start) : NULL;
  start = start_copy;

  g_object_freeze_notify (G_OBJECT (self));

  kios_reader_view_close (self);
  self->document = g_object_ref (document);
  self->n_pages_handler = g_signal_connect (document, "notify::n-pages", G_CALLBACK (n_pages_cb), self);
  self->marks_handler = g_signal_connect_swapped (document, "notify::chapter-marks", G_CALLBACK (update_marks), self);
  update_marks (self);
  update_actions (self);

  if (start != NULL)
    {
      self->anchor = kios_position_copy (start);
      request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, start, -1, SHOW_RESTORE, NULL);
    }
  else
    request_show (self, KIOS_PAGE_REQUEST_LOCATION, &first, NULL, -1, SHOW_RESTORE, NULL);
  self->spinner_timeout_id = g_timeout_add (SPINNER_DELAY_MS, spinner_timeout_cb, self);

  /* Already allocated (another book was open): lay out now, else at the first allocation. */
  if (gtk_widget_get_width (GTK_WIDGET (self)) > 0)
    apply_geometry (self);
  else
    gtk_widget_queue_allocate (GTK_WIDGET (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
kios_reader_view_close (KiosReaderView *self)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->document == NULL)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  detach_document (self);
  hide_status (self);
  update_position_properties (self);
  update_marks (self);
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  g_object_thaw_notify (G_OBJECT (self));
}

KiosDocument *
kios_reader_view_get_document (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->document;
}

const KiosPosition *
kios_reader_view_get_position (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->position;
}

void
kios_reader_view_go_to_position (KiosReaderView     *self,
                                 const KiosPosition *position)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (position != NULL);

  if (self->document == NULL)
    return;
  self->queued_turn = 0;
  request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, position, -1, SHOW_JUMP, position);
}

void
kios_reader_view_go_to_toc (KiosReaderView *self,
                            int             index)
{
  GPtrArray *toc;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->document == NULL)
    return;
  toc = kios_document_get_toc (self->document);
  if (index < 0 || toc == NULL || (guint) index >= toc->len)
    {
      g_warning ("No contents entry %d in this book", index);
      return;
    }
  self->queued_turn = 0;
  request_show (self, KIOS_PAGE_REQUEST_TOC_ENTRY, NULL, NULL, index, SHOW_USER, NULL);
}

const char *
kios_reader_view_get_page_label (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->page_label != NULL ? self->page_label : "";
}

const char *
kios_reader_view_get_chapter_title (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->chapter_title;
}

const KiosPage *
kios_reader_view_get_page (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->current != NULL ? self->current->page : NULL;
}

int
kios_reader_view_get_toc_index (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), -1);

  return self->toc_index;
}

double
kios_reader_view_get_progress (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), 0.0);

  return self->progress;
}

gboolean
kios_reader_view_get_contents_visible (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  return self->contents_visible;
}

void
kios_reader_view_set_contents_visible (KiosReaderView *self,
                                       gboolean        visible)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  visible = !!visible;
  if (visible == self->contents_visible)
    return;
  self->contents_visible = visible;
  if (!visible && gtk_widget_get_focus_child (GTK_WIDGET (self)) == self->sidebar)
    gtk_widget_grab_focus (GTK_WIDGET (self));
  gtk_widget_set_visible (self->sidebar, visible);
  /* From the keyboard (F9), the list takes the keys until a chapter is picked. */
  if (visible && gtk_widget_has_focus (GTK_WIDGET (self)))
    gtk_widget_grab_focus (self->sidebar);
  /* The page moves beside a docked sidebar: lay it out now, not after a debounce. */
  queue_apply (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENTS_VISIBLE]);
}

/* The sidebar the view shows when contents-visible is set (for tests). */
GtkWidget *
kios_reader_view_get_contents_sidebar (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->sidebar;
}
