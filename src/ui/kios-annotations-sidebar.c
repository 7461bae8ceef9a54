/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-annotations-sidebar"

#include "config.h"

#include "kios-annotations-sidebar.h"

#include "kios-annotation-export.h"
#include "kios-reader-annotations.h"

#include <glib/gi18n.h>
#include <string.h>

struct _KiosAnnotationsSidebar
{
  GtkWidget parent_instance;

  KiosReaderView  *view; /* weak */
  GtkWidget       *box;
  GtkWidget       *stack;
  GtkWidget       *list;
  GListStore      *items;       /* KiosAnnotationsSidebarItem, in reading order */
  gboolean         items_stale; /* the view's list changed while the sidebar was closed */
  GtkWidget       *export_button;
  GtkNativeDialog *chooser;
  gulong           changed_handler;
};

G_DEFINE_FINAL_TYPE (KiosAnnotationsSidebar, kios_annotations_sidebar, GTK_TYPE_WIDGET)

/* One annotation of the list, a copy of the view's: the list makes rows
 * only for those in sight, so a book with thousands of highlights opens
 * the sidebar at once and holds a few dozen rows. */
#define KIOS_TYPE_ANNOTATIONS_SIDEBAR_ITEM (kios_annotations_sidebar_item_get_type ())
G_DECLARE_FINAL_TYPE (KiosAnnotationsSidebarItem, kios_annotations_sidebar_item, KIOS, ANNOTATIONS_SIDEBAR_ITEM, GObject)

struct _KiosAnnotationsSidebarItem
{
  GObject         parent_instance;
  KiosAnnotation *annotation;
};

G_DEFINE_FINAL_TYPE (KiosAnnotationsSidebarItem, kios_annotations_sidebar_item, G_TYPE_OBJECT)

static void
kios_annotations_sidebar_item_finalize (GObject *object)
{
  g_clear_pointer (&KIOS_ANNOTATIONS_SIDEBAR_ITEM (object)->annotation, kios_annotation_free);
  G_OBJECT_CLASS (kios_annotations_sidebar_item_parent_class)->finalize (object);
}

static void
kios_annotations_sidebar_item_class_init (KiosAnnotationsSidebarItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_annotations_sidebar_item_finalize;
}

static void
kios_annotations_sidebar_item_init (KiosAnnotationsSidebarItem *self)
{
}

static KiosAnnotationsSidebarItem *
item_new (const KiosAnnotation *annotation)
{
  KiosAnnotationsSidebarItem *item = g_object_new (KIOS_TYPE_ANNOTATIONS_SIDEBAR_ITEM, NULL);

  item->annotation = kios_annotation_copy (annotation);
  return item;
}

static const struct
{
  const char *color;
  const char *label;
} colors[] = {
  { "yellow", N_ ("Yellow") },
  { "green", N_ ("Green") },
  { "blue", N_ ("Blue") },
  { "red", N_ ("Red") },
};

/* The stored annotation of an id. */
static const KiosAnnotation *
find_annotation (KiosAnnotationsSidebar *self,
                 gint64                  id)
{
  GPtrArray *annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;

  for (guint i = 0; annotations != NULL && i < annotations->len; i++)
    if (((KiosAnnotation *) g_ptr_array_index (annotations, i))->id == id)
      return g_ptr_array_index (annotations, i);
  return NULL;
}

/* The stored annotation a row shows now. */
static const KiosAnnotation *
row_annotation (KiosAnnotationsSidebar *self,
                GtkWidget              *row)
{
  GtkListItem                *list_item = row != NULL ? g_object_get_data (G_OBJECT (row), "list-item") : NULL;
  KiosAnnotationsSidebarItem *item = list_item != NULL ? gtk_list_item_get_item (list_item) : NULL;

  return item != NULL ? find_annotation (self, item->annotation->id) : NULL;
}

static void
row_action_cb (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  GtkWidget                 *row = user_data;
  KiosAnnotationsSidebar    *self = KIOS_ANNOTATIONS_SIDEBAR (gtk_widget_get_ancestor (row, KIOS_TYPE_ANNOTATIONS_SIDEBAR));
  const char                *name = g_action_get_name (G_ACTION (action));
  const KiosAnnotation      *annotation = self != NULL ? row_annotation (self, row) : NULL;
  g_autoptr (KiosAnnotation) copy = NULL;

  if (annotation == NULL || self->view == NULL)
    return;
  if (g_str_equal (name, "edit-note"))
    kios_reader_view_edit_note (self->view, annotation);
  else if (g_str_equal (name, "delete"))
    kios_reader_view_delete_annotation (self->view, annotation->id);
  else if (g_str_equal (name, "color"))
    {
      copy = kios_annotation_copy (annotation);
      g_free (copy->color);
      copy->color = g_variant_dup_string (parameter, NULL);
      kios_reader_view_update_annotation (self->view, copy);
    }
}

/* A row's menu is built when it is first opened, for the annotation the
 * row shows then. */
static void
create_menu_cb (GtkMenuButton *button,
                gpointer       user_data)
{
  g_autoptr (GMenu)  menu = g_menu_new ();
  g_autoptr (GMenu)  edit = g_menu_new ();
  KiosAnnotationKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "annotation-kind"));
  gboolean           has_note = g_object_get_data (G_OBJECT (button), "annotation-has-note") != NULL;

  if (kind == KIOS_ANNOTATION_HIGHLIGHT)
    {
      g_autoptr (GMenu) palette = g_menu_new ();

      g_menu_append (edit, has_note ? _ ("_Edit Note…") : _ ("Add _Note…"), "row.edit-note");
      g_menu_append_section (menu, NULL, G_MENU_MODEL (edit));
      for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
        {
          g_autoptr (GMenuItem) item = g_menu_item_new (_ (colors[i].label), NULL);

          g_menu_item_set_action_and_target (item, "row.color", "s", colors[i].color);
          g_menu_append_item (palette, item);
        }
      g_menu_append_section (menu, NULL, G_MENU_MODEL (palette));
    }
  {
    g_autoptr (GMenu) danger = g_menu_new ();

    g_menu_append (danger, _ ("_Delete"), "row.delete");
    g_menu_append_section (menu, NULL, G_MENU_MODEL (danger));
  }
  gtk_menu_button_set_menu_model (button, G_MENU_MODEL (menu));
}

static GtkWidget *
wrapped_label (int lines)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), lines);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  return label;
}

/* A row: its chapter's title when it is the chapter's first, the colour
 * (or the bookmark), the quoted words, the note, and the menu button. */
static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          KiosAnnotationsSidebar   *self)
{
  GtkWidget         *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget         *header = gtk_label_new (NULL);
  GtkWidget         *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget         *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget         *icon = gtk_image_new_from_icon_name ("user-bookmarks-symbolic");
  GtkWidget         *swatch = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget         *quote = wrapped_label (4);
  GtkWidget         *note = wrapped_label (3);
  GtkWidget         *menu = gtk_menu_button_new ();
  const GActionEntry entries[] = {
    { "edit-note", row_action_cb, NULL, NULL, NULL, { 0 } },
    { "delete", row_action_cb, NULL, NULL, NULL, { 0 } },
    { "color", row_action_cb, "s", NULL, NULL, { 0 } },
  };
  g_autoptr (GSimpleActionGroup) group = g_simple_action_group_new ();

  gtk_widget_set_name (row, "annotation-row");
  gtk_label_set_xalign (GTK_LABEL (header), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (header), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (header, "heading");
  gtk_widget_add_css_class (header, "dim-label");
  gtk_widget_set_margin_bottom (header, 10);
  gtk_box_append (GTK_BOX (row), header);

  gtk_widget_add_css_class (icon, "error");
  gtk_widget_add_css_class (swatch, "highlight-mark");
  /* In the same 16 px column as the bookmark icon. */
  gtk_widget_set_margin_start (swatch, 2);
  gtk_widget_set_margin_end (swatch, 2);
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_widget_set_valign (swatch, GTK_ALIGN_START);
  gtk_widget_set_margin_top (icon, 2);
  gtk_widget_set_margin_top (swatch, 2);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), swatch);

  gtk_widget_set_name (quote, "annotation-quote");
  gtk_widget_set_hexpand (quote, TRUE);
  gtk_box_append (GTK_BOX (texts), quote);
  gtk_widget_add_css_class (note, "dim-label");
  gtk_widget_add_css_class (note, "caption");
  gtk_widget_set_name (note, "annotation-note");
  gtk_box_append (GTK_BOX (texts), note);
  gtk_box_append (GTK_BOX (box), texts);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu), "view-more-symbolic");
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (menu), create_menu_cb, NULL, NULL);
  gtk_widget_add_css_class (menu, "flat");
  gtk_widget_set_valign (menu, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (menu, _ ("Annotation Menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Annotation Menu"), -1);
  gtk_box_append (GTK_BOX (box), menu);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (row), box);

  g_object_set_data (G_OBJECT (row), "list-item", list_item);
  g_object_set_data (G_OBJECT (row), "header", header);
  g_object_set_data (G_OBJECT (row), "icon", icon);
  g_object_set_data (G_OBJECT (row), "swatch", swatch);
  g_object_set_data (G_OBJECT (row), "quote", quote);
  g_object_set_data (G_OBJECT (row), "note", note);
  g_object_set_data (G_OBJECT (row), "menu", menu);
  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), row);
  gtk_widget_insert_action_group (row, "row", G_ACTION_GROUP (group));
  gtk_list_item_set_child (list_item, row);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item,
         KiosAnnotationsSidebar   *self)
{
  GtkWidget                             *row = gtk_list_item_get_child (list_item);
  KiosAnnotationsSidebarItem            *item = gtk_list_item_get_item (list_item);
  const KiosAnnotation                  *annotation = item->annotation;
  guint                                  position = gtk_list_item_get_position (list_item);
  g_autoptr (KiosAnnotationsSidebarItem) before = position > 0 ? g_list_model_get_item (G_LIST_MODEL (self->items), position - 1)
                                                               : NULL;
  GtkWidget                             *header = g_object_get_data (G_OBJECT (row), "header");
  GtkWidget                             *swatch = g_object_get_data (G_OBJECT (row), "swatch");
  GtkWidget                             *note = g_object_get_data (G_OBJECT (row), "note");
  GtkWidget                             *menu = g_object_get_data (G_OBJECT (row), "menu");
  gboolean                               bookmark = annotation->kind == KIOS_ANNOTATION_BOOKMARK;
  gboolean                               has_note = annotation->note != NULL && *annotation->note != '\0';
  g_autofree char                       *css = g_strconcat ("highlight-", annotation->color != NULL ? annotation->color : "yellow", NULL);
  g_autofree char                       *accessible = NULL;

  /* The chapter's title above its first annotation. */
  gtk_widget_set_visible (header, before == NULL ||
                                      g_strcmp0 (before->annotation->chapter_title, annotation->chapter_title) != 0);
  gtk_label_set_text (GTK_LABEL (header), annotation->chapter_title != NULL && *annotation->chapter_title != '\0'
                                              ? annotation->chapter_title
                                              : _ ("Untitled"));
  gtk_widget_set_margin_top (header, before != NULL ? 12 : 6);

  gtk_widget_set_visible (g_object_get_data (G_OBJECT (row), "icon"), bookmark);
  gtk_widget_set_visible (swatch, !bookmark);
  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    {
      g_autofree char *other = g_strconcat ("highlight-", colors[i].color, NULL);

      gtk_widget_remove_css_class (swatch, other);
    }
  gtk_widget_add_css_class (swatch, css);

  gtk_label_set_text (GTK_LABEL (g_object_get_data (G_OBJECT (row), "quote")),
                      annotation->text != NULL && *annotation->text != '\0' ? annotation->text
                                                                            : (bookmark ? _ ("Bookmark") : ""));
  gtk_widget_set_visible (note, has_note);
  gtk_label_set_text (GTK_LABEL (note), has_note ? annotation->note : "");

  /* A menu built for another annotation is built again when opened. */
  if (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (menu), "annotation-kind")) != (int) annotation->kind ||
      (g_object_get_data (G_OBJECT (menu), "annotation-has-note") != NULL) != has_note)
    gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu), NULL);
  g_object_set_data (G_OBJECT (menu), "annotation-kind", GINT_TO_POINTER (annotation->kind));
  g_object_set_data (G_OBJECT (menu), "annotation-has-note", GINT_TO_POINTER (has_note));

  if (bookmark)
    accessible = g_strdup_printf (_ ("Bookmark: %s"), annotation->text != NULL ? annotation->text : "");
  else if (has_note)
    accessible = g_strdup_printf (_ ("Highlight: %s. Note: %s"), annotation->text != NULL ? annotation->text : "",
                                  annotation->note);
  else
    accessible = g_strdup_printf (_ ("Highlight: %s"), annotation->text != NULL ? annotation->text : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static gboolean
same_annotation (const KiosAnnotation *a,
                 const KiosAnnotation *b)
{
  return a->id == b->id && a->kind == b->kind && g_strcmp0 (a->color, b->color) == 0 &&
         g_strcmp0 (a->note, b->note) == 0 && g_strcmp0 (a->text, b->text) == 0 &&
         g_strcmp0 (a->chapter_title, b->chapter_title) == 0;
}

/* The list follows the view's: only the items between the first and the
 * last that changed are replaced (and the one after them, whose chapter
 * title may come or go), so the rows in sight keep their place. */
static void
sync_items (KiosAnnotationsSidebar *self)
{
  GPtrArray *annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;
  guint      n_new = annotations != NULL ? annotations->len : 0;
  guint      n_old = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  guint      head = 0, tail = 0;
  GPtrArray *added;

  while (head < n_old && head < n_new)
    {
      g_autoptr (KiosAnnotationsSidebarItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), head);

      if (!same_annotation (item->annotation, g_ptr_array_index (annotations, head)))
        break;
      head++;
    }
  while (tail < n_old - head && tail < n_new - head)
    {
      g_autoptr (KiosAnnotationsSidebarItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), n_old - 1 - tail);

      if (!same_annotation (item->annotation, g_ptr_array_index (annotations, n_new - 1 - tail)))
        break;
      tail++;
    }
  if (head < n_old || head < n_new)
    {
      tail = tail > 0 ? tail - 1 : 0;
      added = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = head; i < n_new - tail; i++)
        g_ptr_array_add (added, item_new (g_ptr_array_index (annotations, i)));
      g_list_store_splice (self->items, head, n_old - tail - head, added->pdata, added->len);
      g_ptr_array_unref (added);
    }
  self->items_stale = FALSE;
}

static void
ensure_items (KiosAnnotationsSidebar *self)
{
  if (self->items_stale)
    sync_items (self);
}

/* GTK 4.8's list makes rows for up to about two hundred items around the
 * first in sight, in sight or not: while the sidebar is closed its list
 * is left as it was, and follows the view's once it opens. */
static void
reload (KiosAnnotationsSidebar *self)
{
  GPtrArray *annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;
  guint      n = annotations != NULL ? annotations->len : 0;

  self->items_stale = TRUE;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    sync_items (self);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), n > 0 ? "list" : "empty");
  gtk_widget_set_sensitive (self->export_button, n > 0);
}

static void
activate_cb (GtkListView            *list,
             guint                   position,
             KiosAnnotationsSidebar *self)
{
  g_autoptr (KiosAnnotationsSidebarItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), position);
  const KiosAnnotation                  *annotation = item != NULL ? find_annotation (self, item->annotation->id) : NULL;

  if (annotation != NULL && self->view != NULL)
    kios_reader_view_go_to_annotation (self->view, annotation);
}

/* ------------------------------------------------------------------------ */
/* Export.                                                                  */

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_warning ("Cannot export the annotations: %s", error->message);
}

void
kios_annotations_sidebar_export_to (KiosAnnotationsSidebar *self,
                                    GFile                  *file)
{
  GPtrArray         *annotations;
  KiosDocument      *document;
  char              *markdown;
  g_autoptr (GBytes) bytes = NULL;

  g_return_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->view == NULL || (document = kios_reader_view_get_document (self->view)) == NULL ||
      (annotations = kios_reader_view_get_annotations (self->view)) == NULL)
    return;
  markdown = kios_annotation_export_markdown (kios_document_get_title (document), annotations);
  bytes = g_bytes_new_take (markdown, strlen (markdown));
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                       written_cb, NULL);
}

static void
chooser_response_cb (GtkNativeDialog        *chooser,
                     int                     response,
                     KiosAnnotationsSidebar *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        kios_annotations_sidebar_export_to (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
export_clicked_cb (GtkButton              *button,
                   KiosAnnotationsSidebar *self)
{
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));
  KiosDocument    *document = self->view != NULL ? kios_reader_view_get_document (self->view) : NULL;
  g_autofree char *name = NULL;

  if (document == NULL || self->chooser != NULL)
    return;
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (_ ("Export Annotations"),
                                                                  GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                                  GTK_FILE_CHOOSER_ACTION_SAVE,
                                                                  _ ("_Export"), _ ("_Cancel")));
  /* Translators: the file name of exported annotations; %s is the book's title. */
  name = g_strdup_printf (_ ("%s — Annotations.md"), kios_document_get_title (document));
  g_strdelimit (name, "/\\", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (self->chooser);
}

/* ------------------------------------------------------------------------ */

static void
kios_annotations_sidebar_map (GtkWidget *widget)
{
  /* Before the children are mapped: the list is up to date when shown. */
  ensure_items (KIOS_ANNOTATIONS_SIDEBAR (widget));
  GTK_WIDGET_CLASS (kios_annotations_sidebar_parent_class)->map (widget);
}

static gboolean
kios_annotations_sidebar_grab_focus (GtkWidget *widget)
{
  KiosAnnotationsSidebar *self = KIOS_ANNOTATIONS_SIDEBAR (widget);

  ensure_items (self);

  /* The first row, else the export button. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->items)) > 0 &&
      gtk_widget_child_focus (self->list, GTK_DIR_TAB_FORWARD))
    return TRUE;
  return gtk_widget_grab_focus (self->export_button);
}

static void
kios_annotations_sidebar_dispose (GObject *object)
{
  KiosAnnotationsSidebar *self = KIOS_ANNOTATIONS_SIDEBAR (object);

  if (self->view != NULL)
    g_clear_signal_handler (&self->changed_handler, self->view);
  g_clear_weak_pointer (&self->view);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->items);

  G_OBJECT_CLASS (kios_annotations_sidebar_parent_class)->dispose (object);
}

static void
kios_annotations_sidebar_class_init (KiosAnnotationsSidebarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_annotations_sidebar_dispose;
  widget_class->grab_focus = kios_annotations_sidebar_grab_focus;
  widget_class->map = kios_annotations_sidebar_map;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kiosannotationssidebar");
}

static void
kios_annotations_sidebar_init (KiosAnnotationsSidebar *self)
{
  GtkWidget          *scrolled;
  GtkWidget          *empty;
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->stack = gtk_stack_new ();
  gtk_widget_set_vexpand (self->stack, TRUE);
  gtk_box_append (GTK_BOX (self->box), self->stack);

  self->items = g_list_store_new (KIOS_TYPE_ANNOTATIONS_SIDEBAR_ITEM);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), self);
  self->list = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->items)))),
                                  factory);
  gtk_widget_set_name (self->list, "annotations-list");
  /* A click (or Enter) on a row jumps to it, as in the contents. */
  gtk_list_view_set_single_click_activate (GTK_LIST_VIEW (self->list), TRUE);
  gtk_widget_add_css_class (self->list, "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Annotations"), -1);
  g_signal_connect (self->list, "activate", G_CALLBACK (activate_cb), self);

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->list);
  gtk_stack_add_named (GTK_STACK (self->stack), scrolled, "list");

  empty = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "user-bookmarks-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _ ("No Annotations"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _ ("Select text to highlight it, or press Ctrl+D to bookmark the page"));
  gtk_widget_add_css_class (empty, "compact");
  gtk_stack_add_named (GTK_STACK (self->stack), empty, "empty");
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");

  self->export_button = gtk_button_new_with_mnemonic (_ ("_Export as Markdown…"));
  gtk_widget_set_name (self->export_button, "export-annotations");
  gtk_widget_set_tooltip_text (self->export_button, _ ("Save the book’s annotations as a Markdown file"));
  gtk_widget_set_margin_start (self->export_button, 12);
  gtk_widget_set_margin_end (self->export_button, 12);
  gtk_widget_set_margin_top (self->export_button, 6);
  gtk_widget_set_margin_bottom (self->export_button, 12);
  gtk_widget_set_sensitive (self->export_button, FALSE);
  g_signal_connect (self->export_button, "clicked", G_CALLBACK (export_clicked_cb), self);
  gtk_box_append (GTK_BOX (self->box), self->export_button);
}

GtkWidget *
kios_annotations_sidebar_new (KiosReaderView *view)
{
  KiosAnnotationsSidebar *self;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (view), NULL);

  self = g_object_new (KIOS_TYPE_ANNOTATIONS_SIDEBAR, NULL);
  g_set_weak_pointer (&self->view, view);
  self->changed_handler = g_signal_connect_swapped (view, "annotations-changed", G_CALLBACK (reload), self);
  reload (self);
  return GTK_WIDGET (self);
}

guint
kios_annotations_sidebar_get_n_rows (KiosAnnotationsSidebar *self)
{
  GPtrArray *annotations;

  g_return_val_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self), 0);

  if (!self->items_stale)
    return g_list_model_get_n_items (G_LIST_MODEL (self->items));
  annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;
  return annotations != NULL ? annotations->len : 0;
}

/* The row the list made for an item in sight at position, under widget. */
static GtkWidget *
row_at (GtkWidget *widget,
        guint      position)
{
  GtkListItem *list_item = g_object_get_data (G_OBJECT (widget), "list-item");

  if (list_item != NULL && gtk_list_item_get_item (list_item) != NULL && gtk_list_item_get_position (list_item) == position)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = row_at (child, position);

      if (row != NULL)
        return row;
    }
  return NULL;
}

GtkWidget *
kios_annotations_sidebar_get_row (KiosAnnotationsSidebar *self,
                                  guint                   index)
{
  g_return_val_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self), NULL);

  ensure_items (self);
  return row_at (self->list, index);
}

void
kios_annotations_sidebar_activate (KiosAnnotationsSidebar *self,
                                   guint                   index)
{
  g_return_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self));

  ensure_items (self);
  if (index < g_list_model_get_n_items (G_LIST_MODEL (self->items)))
    activate_cb (GTK_LIST_VIEW (self->list), index, self);
}
