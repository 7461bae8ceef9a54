/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-contents-sidebar"

#include "config.h"

#include "kios-contents-sidebar.h"

#include "kios-annotations-sidebar.h"
#include "kios-epub.h"

#include <glib/gi18n.h>

/* Indentation per TOC level, and the deepest level still indented. */
#define INDENT_PX 14
#define MAX_INDENT 6

struct _KiosContentsSidebar
{
  GtkWidget parent_instance;

  KiosReaderView     *view; /* weak */
  GtkWidget          *box;
  GtkWidget          *pages; /* AdwViewStack: contents, annotations */
  GtkWidget          *annotations;
  GtkWidget          *stack;
  GtkWidget          *list_view;
  GtkStringList      *titles;
  GtkSingleSelection *selection;
  GArray             *levels; /* int, per entry */
  gulong              document_handler;
  gulong              toc_index_handler;
  guint               scroll_idle_id;
  int                 scroll_target;
  gboolean            updating;
  gboolean            stale; /* the book changed while hidden: reloaded when needed */
};

G_DEFINE_FINAL_TYPE (KiosContentsSidebar, kios_contents_sidebar, GTK_TYPE_WIDGET)

enum {
  SIGNAL_ENTRY_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          KiosContentsSidebar      *self)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_list_item_set_child (item, label);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         KiosContentsSidebar      *self)
{
  GtkWidget       *label = gtk_list_item_get_child (item);
  GtkStringObject *string = gtk_list_item_get_item (item);
  guint            position = gtk_list_item_get_position (item);
  int              level = 0;
  const char      *title = gtk_string_object_get_string (string);

  if (self->levels != NULL && position < self->levels->len)
    level = g_array_index (self->levels, int, position);
  gtk_label_set_label (GTK_LABEL (label), title);
  /* Long titles are cut: the tooltip has all of it. */
  gtk_widget_set_tooltip_text (label, title);
  gtk_widget_set_margin_start (label, INDENT_PX * CLAMP (level, 0, MAX_INDENT));
  if (level == 0)
    gtk_widget_remove_css_class (label, "dim-label");
  else
    gtk_widget_add_css_class (label, "dim-label");
}

static gboolean
scroll_idle_cb (gpointer user_data)
{
  KiosContentsSidebar *self = user_data;

  self->scroll_idle_id = 0;
  if (self->scroll_target >= 0 && gtk_widget_get_mapped (self->list_view))
    gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", (guint) self->scroll_target);
  return G_SOURCE_REMOVE;
}

static void
sync_selection (KiosContentsSidebar *self)
{
  int   index = self->view != NULL ? kios_reader_view_get_toc_index (self->view) : -1;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->titles));

  self->updating = TRUE;
  if (index >= 0 && (guint) index < n)
    gtk_single_selection_set_selected (self->selection, index);
  else
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;

  /* Scrolling waits for an idle: the list may not be laid out yet. */
  self->scroll_target = index;
  if (index >= 0 && self->scroll_idle_id == 0)
    self->scroll_idle_id = g_idle_add (scroll_idle_cb, self);
}

static void
reload (KiosContentsSidebar *self)
{
  KiosDocument         *document = self->view != NULL ? kios_reader_view_get_document (self->view) : NULL;
  GPtrArray            *toc = document != NULL ? kios_document_get_toc (document) : NULL;
  g_autoptr (GPtrArray) strings = g_ptr_array_new ();
  guint                 n_old = g_list_model_get_n_items (G_LIST_MODEL (self->titles));

  g_array_set_size (self->levels, 0);
  for (guint i = 0; toc != NULL && i < toc->len; i++)
    {
      const KiosTocEntry *entry = g_ptr_array_index (toc, i);
      int                 level = entry->level;

      g_ptr_array_add (strings, entry->title != NULL && *entry->title != '\0' ? entry->title : _ ("Untitled"));
      g_array_append_val (self->levels, level);
    }
  g_ptr_array_add (strings, NULL);

  self->updating = TRUE;
  gtk_string_list_splice (self->titles, 0, n_old, (const char *const *) strings->pdata);
  self->updating = FALSE;

  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), self->levels->len > 0 ? "list" : "empty");
  sync_selection (self);
}

/* A long contents list costs tens of milliseconds: a hidden sidebar builds
 * it when it is shown or asked about, not while the book's first page
 * waits to be painted. */
static void
ensure_fresh (KiosContentsSidebar *self)
{
  if (!self->stale)
    return;
  self->stale = FALSE;
  reload (self);
}

static void
document_changed_cb (KiosReaderView      *view,
                     GParamSpec          *pspec,
                     KiosContentsSidebar *self)
{
  self->stale = TRUE;
  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    ensure_fresh (self);
}

static void
visible_cb (KiosContentsSidebar *self)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    ensure_fresh (self);
}

static void
toc_index_changed_cb (KiosReaderView      *view,
                      GParamSpec          *pspec,
                      KiosContentsSidebar *self)
{
  if (!self->stale)
    sync_selection (self);
}

static void
selected_cb (GtkSingleSelection  *selection,
             GParamSpec          *pspec,
             KiosContentsSidebar *self)
{
  guint selected = gtk_single_selection_get_selected (selection);

  /* Only the reader's clicks and keys navigate, not the view's own updates. */
  if (self->updating || selected == GTK_INVALID_LIST_POSITION)
    return;
  kios_contents_sidebar_activate (self, (int) selected);
}

static void
activate_cb (GtkListView         *list_view,
             guint                position,
             KiosContentsSidebar *self)
{
  /* Enter or a double click on the current entry goes back to its start. */
  kios_contents_sidebar_activate (self, (int) position);
}

static void
list_mapped_cb (GtkWidget           *list_view,
                KiosContentsSidebar *self)
{
  /* Scrolling to the current entry only works once the list is on screen. */
  if (self->scroll_target >= 0 && self->scroll_idle_id == 0)
    self->scroll_idle_id = g_idle_add (scroll_idle_cb, self);
}

static gboolean
kios_contents_sidebar_grab_focus (GtkWidget *widget)
{
  KiosContentsSidebar *self = KIOS_CONTENTS_SIDEBAR (widget);

  if (kios_contents_sidebar_get_annotations_visible (self))
    return gtk_widget_grab_focus (self->annotations);
  return gtk_widget_grab_focus (self->list_view);
}

static void
kios_contents_sidebar_dispose (GObject *object)
{
  KiosContentsSidebar *self = KIOS_CONTENTS_SIDEBAR (object);

  if (self->view != NULL)
    {
      g_clear_signal_handler (&self->document_handler, self->view);
      g_clear_signal_handler (&self->toc_index_handler, self->view);
    }
  g_clear_weak_pointer (&self->view);
  g_clear_handle_id (&self->scroll_idle_id, g_source_remove);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->titles);

  G_OBJECT_CLASS (kios_contents_sidebar_parent_class)->dispose (object);
}

static void
kios_contents_sidebar_finalize (GObject *object)
{
  KiosContentsSidebar *self = KIOS_CONTENTS_SIDEBAR (object);

  g_clear_pointer (&self->levels, g_array_unref);

  G_OBJECT_CLASS (kios_contents_sidebar_parent_class)->finalize (object);
}

static void
kios_contents_sidebar_class_init (KiosContentsSidebarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_contents_sidebar_dispose;
  object_class->finalize = kios_contents_sidebar_finalize;

  /**
   * KiosContentsSidebar::entry-activated:
   * @self: the sidebar
   * @index: the TOC entry the reader picked
   *
   * Emitted after the reader picked an entry (the view is already on its way there).
   */
  signals[SIGNAL_ENTRY_ACTIVATED] =
      g_signal_new ("entry-activated",
                    G_TYPE_FROM_CLASS (klass),
                    G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_INT);

  widget_class->grab_focus = kios_contents_sidebar_grab_focus;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioscontentssidebar");
}

static void
kios_contents_sidebar_init (KiosContentsSidebar *self)
{
  GtkListItemFactory *factory;
  GtkWidget          *scrolled;
  GtkWidget          *switcher;
  GtkWidget          *empty;
  AdwViewStackPage   *page;

  self->levels = g_array_new (FALSE, FALSE, sizeof (int));
  self->titles = gtk_string_list_new (NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->titles)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selected_cb), self);
  self->scroll_target = -1;

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  /* Contents and annotations share the sidebar, behind a switcher. */
  self->pages = adw_view_stack_new ();
  gtk_widget_set_vexpand (self->pages, TRUE);
  switcher = adw_view_switcher_new ();
  adw_view_switcher_set_policy (ADW_VIEW_SWITCHER (switcher), ADW_VIEW_SWITCHER_POLICY_WIDE);
  adw_view_switcher_set_stack (ADW_VIEW_SWITCHER (switcher), ADW_VIEW_STACK (self->pages));
  gtk_widget_set_margin_start (switcher, 6);
  gtk_widget_set_margin_end (switcher, 6);
  gtk_widget_set_margin_top (switcher, 6);
  gtk_widget_set_margin_bottom (switcher, 6);
  gtk_box_append (GTK_BOX (self->box), switcher);
  gtk_box_append (GTK_BOX (self->box), self->pages);

  self->stack = gtk_stack_new ();
  gtk_widget_set_vexpand (self->stack, TRUE);
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->pages), self->stack, "contents", _ ("Contents"));
  adw_view_stack_page_set_icon_name (page, "view-list-bullet-symbolic");

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), self);
  self->list_view = gtk_list_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)), factory);
  gtk_widget_add_css_class (self->list_view, "navigation-sidebar");
  g_signal_connect (self->list_view, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect (self->list_view, "map", G_CALLBACK (list_mapped_cb), self);

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->list_view);
  gtk_stack_add_named (GTK_STACK (self->stack), scrolled, "list");

  empty = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "view-list-bullet-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _ ("No Contents"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty), _ ("This book has no table of contents."));
  gtk_widget_add_css_class (empty, "compact");
  gtk_stack_add_named (GTK_STACK (self->stack), empty, "empty");
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
}

GtkWidget *
kios_contents_sidebar_new (KiosReaderView *view)
{
  KiosContentsSidebar *self;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (view), NULL);

  self = g_object_new (KIOS_TYPE_CONTENTS_SIDEBAR, NULL);
  g_set_weak_pointer (&self->view, view);
  {
    AdwViewStackPage *page;

    self->annotations = kios_annotations_sidebar_new (view);
    page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->pages), self->annotations, "annotations",
                                      _ ("Annotations"));
    adw_view_stack_page_set_icon_name (page, "user-bookmarks-symbolic");
  }
  self->document_handler = g_signal_connect (view, "notify::document", G_CALLBACK (document_changed_cb), self);
  self->toc_index_handler = g_signal_connect (view, "notify::toc-index", G_CALLBACK (toc_index_changed_cb), self);
  g_signal_connect (self, "notify::visible", G_CALLBACK (visible_cb), NULL);
  reload (self);
  return GTK_WIDGET (self);
}

KiosReaderView *
kios_contents_sidebar_get_view (KiosContentsSidebar *self)
{
  g_return_val_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self), NULL);

  return self->view;
}

guint
kios_contents_sidebar_get_n_entries (KiosContentsSidebar *self)
{
  g_return_val_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self), 0);

  ensure_fresh (self);
  return self->levels->len;
}

int
kios_contents_sidebar_get_selected (KiosContentsSidebar *self)
{
  guint selected;

  g_return_val_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self), -1);

  ensure_fresh (self);
  selected = gtk_single_selection_get_selected (self->selection);
  return selected == GTK_INVALID_LIST_POSITION ? -1 : (int) selected;
}

void
kios_contents_sidebar_activate (KiosContentsSidebar *self,
                                int                  index)
{
  g_return_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self));

  ensure_fresh (self);
  if (self->view == NULL || index < 0 || (guint) index >= self->levels->len)
    return;
  kios_reader_view_go_to_toc (self->view, index);
  g_signal_emit (self, signals[SIGNAL_ENTRY_ACTIVATED], 0, index);
}

GtkWidget *
kios_contents_sidebar_get_annotations_sidebar (KiosContentsSidebar *self)
{
  g_return_val_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self), NULL);

  return self->annotations;
}

gboolean
kios_contents_sidebar_get_annotations_visible (KiosContentsSidebar *self)
{
  g_return_val_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self), FALSE);

  return g_strcmp0 (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (self->pages)), "annotations") == 0;
}

void
kios_contents_sidebar_set_annotations_visible (KiosContentsSidebar *self,
                                               gboolean             visible)
{
  g_return_if_fail (KIOS_IS_CONTENTS_SIDEBAR (self));

  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (self->pages), visible ? "annotations" : "contents");
}
