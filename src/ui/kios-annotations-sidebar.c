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
  GtkWidget       *export_button;
  GtkNativeDialog *chooser;
  gulong           changed_handler;
  gboolean         rows_stale; /* the list changed while the sidebar was not on screen */
};

G_DEFINE_FINAL_TYPE (KiosAnnotationsSidebar, kios_annotations_sidebar, GTK_TYPE_WIDGET)

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

/* The stored annotation a row shows, by its id. */
static const KiosAnnotation *
row_annotation (KiosAnnotationsSidebar *self,
                GtkWidget              *row)
{
  GPtrArray *annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;
  gint64     id = row != NULL ? *(gint64 *) g_object_get_data (G_OBJECT (row), "annotation-id") : -1;

  for (guint i = 0; annotations != NULL && i < annotations->len; i++)
    if (((KiosAnnotation *) g_ptr_array_index (annotations, i))->id == id)
      return g_ptr_array_index (annotations, i);
  return NULL;
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

/* A row's menu is built when it is first opened: a popover menu for each
 * of thousands of rows would hold hundreds of megabytes nobody looks at. */
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
row_menu_button (const KiosAnnotation *annotation)
{
  GtkWidget *button = gtk_menu_button_new ();

  g_object_set_data (G_OBJECT (button), "annotation-kind", GINT_TO_POINTER (annotation->kind));
  g_object_set_data (G_OBJECT (button), "annotation-has-note", GINT_TO_POINTER (annotation->note != NULL));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (button), create_menu_cb, NULL, NULL);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (button, _ ("Annotation Menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Annotation Menu"), -1);
  return button;
}

static GtkWidget *
make_row (const KiosAnnotation *annotation)
{
  GtkWidget         *row = gtk_list_box_row_new ();
  GtkWidget         *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget         *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget         *mark;
  GtkWidget         *quote;
  const GActionEntry entries[] = {
    { "edit-note", row_action_cb, NULL, NULL, NULL, { 0 } },
    { "delete", row_action_cb, NULL, NULL, NULL, { 0 } },
    { "color", row_action_cb, "s", NULL, NULL, { 0 } },
  };
  GSimpleActionGroup *group = g_simple_action_group_new ();
  g_autofree char    *accessible = NULL;
  gint64             *id = g_new (gint64, 1);

  *id = annotation->id;
  g_object_set_data_full (G_OBJECT (row), "annotation-id", id, g_free);
  g_object_set_data_full (G_OBJECT (row), "chapter-title", g_strdup (annotation->chapter_title), g_free);

  if (annotation->kind == KIOS_ANNOTATION_BOOKMARK)
    {
      mark = gtk_image_new_from_icon_name ("user-bookmarks-symbolic");
      gtk_widget_add_css_class (mark, "error");
    }
  else
    {
      g_autofree char *css = g_strconcat ("highlight-", annotation->color != NULL ? annotation->color : "yellow", NULL);

      mark = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
      gtk_widget_add_css_class (mark, "highlight-mark");
      gtk_widget_add_css_class (mark, css);
      /* In the same 16 px column as the bookmark icon. */
      gtk_widget_set_margin_start (mark, 2);
      gtk_widget_set_margin_end (mark, 2);
    }
  gtk_widget_set_valign (mark, GTK_ALIGN_START);
  gtk_widget_set_margin_top (mark, 2);
  gtk_box_append (GTK_BOX (box), mark);

  quote = gtk_label_new (annotation->text != NULL && *annotation->text != '\0'
                             ? annotation->text
                             : (annotation->kind == KIOS_ANNOTATION_BOOKMARK ? _ ("Bookmark") : ""));
  gtk_label_set_xalign (GTK_LABEL (quote), 0.0);
  gtk_label_set_wrap (GTK_LABEL (quote), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (quote), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (quote), 4);
  gtk_label_set_ellipsize (GTK_LABEL (quote), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (quote, TRUE);
  gtk_box_append (GTK_BOX (texts), quote);
  if (annotation->note != NULL && *annotation->note != '\0')
    {
      GtkWidget *note = gtk_label_new (annotation->note);

      gtk_label_set_xalign (GTK_LABEL (note), 0.0);
      gtk_label_set_wrap (GTK_LABEL (note), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (note), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (GTK_LABEL (note), 3);
      gtk_label_set_ellipsize (GTK_LABEL (note), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (note, "dim-label");
      gtk_widget_add_css_class (note, "caption");
      gtk_widget_set_name (note, "annotation-note");
      gtk_box_append (GTK_BOX (texts), note);
    }
  gtk_box_append (GTK_BOX (box), texts);
  gtk_box_append (GTK_BOX (box), row_menu_button (annotation));

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), row);
  gtk_widget_insert_action_group (row, "row", G_ACTION_GROUP (group));
  g_object_unref (group);

  if (annotation->kind == KIOS_ANNOTATION_BOOKMARK)
    accessible = g_strdup_printf (_ ("Bookmark: %s"), annotation->text != NULL ? annotation->text : "");
  else if (annotation->note != NULL)
    accessible = g_strdup_printf (_ ("Highlight: %s. Note: %s"), annotation->text != NULL ? annotation->text : "",
                                  annotation->note);
  else
    accessible = g_strdup_printf (_ ("Highlight: %s"), annotation->text != NULL ? annotation->text : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  return row;
}

/* A chapter's title above its first annotation. */
static void
header_cb (GtkListBoxRow *row,
           GtkListBoxRow *before,
           gpointer       user_data)
{
  const char *title = g_object_get_data (G_OBJECT (row), "chapter-title");
  const char *previous = before != NULL ? g_object_get_data (G_OBJECT (before), "chapter-title") : NULL;
  GtkWidget  *label;

  if (before != NULL && g_strcmp0 (title, previous) == 0)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  label = gtk_label_new (title != NULL && *title != '\0' ? title : _ ("Untitled"));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, before != NULL ? 12 : 6);
  gtk_widget_set_margin_bottom (label, 4);
  gtk_list_box_row_set_header (row, label);
}

static void
reload_rows (KiosAnnotationsSidebar *self)
{
  GPtrArray *annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;
  GtkWidget *child;

  self->rows_stale = FALSE;
  while ((child = gtk_widget_get_first_child (self->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  for (guint i = 0; annotations != NULL && i < annotations->len; i++)
    gtk_list_box_append (GTK_LIST_BOX (self->list), make_row (g_ptr_array_index (annotations, i)));
}

/* The rows are built only while the sidebar is on screen (or asked for):
 * a book with thousands of highlights costs nothing while it is closed. */
static void
ensure_rows (KiosAnnotationsSidebar *self)
{
  if (self->rows_stale)
    reload_rows (self);
}

static void
reload (KiosAnnotationsSidebar *self)
{
  GPtrArray *annotations = self->view != NULL ? kios_reader_view_get_annotations (self->view) : NULL;

  self->rows_stale = TRUE;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    reload_rows (self);

  gtk_stack_set_visible_child_name (GTK_STACK (self->stack),
                                    annotations != NULL && annotations->len > 0 ? "list" : "empty");
  gtk_widget_set_sensitive (self->export_button, annotations != NULL && annotations->len > 0);
}

static void
row_activated_cb (GtkListBox             *list,
                  GtkListBoxRow          *row,
                  KiosAnnotationsSidebar *self)
{
  const KiosAnnotation *annotation = row_annotation (self, GTK_WIDGET (row));

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
  /* Before the children are mapped: the new rows are mapped with them. */
  ensure_rows (KIOS_ANNOTATIONS_SIDEBAR (widget));
  GTK_WIDGET_CLASS (kios_annotations_sidebar_parent_class)->map (widget);
}

static gboolean
kios_annotations_sidebar_grab_focus (GtkWidget *widget)
{
  KiosAnnotationsSidebar *self = KIOS_ANNOTATIONS_SIDEBAR (widget);
  GtkListBoxRow          *first;

  ensure_rows (self);
  first = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), 0);

  if (first != NULL)
    return gtk_widget_grab_focus (GTK_WIDGET (first));
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
  GtkWidget *scrolled;
  GtkWidget *empty;

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->stack = gtk_stack_new ();
  gtk_widget_set_vexpand (self->stack, TRUE);
  gtk_box_append (GTK_BOX (self->box), self->stack);

  self->list = gtk_list_box_new ();
  gtk_widget_set_name (self->list, "annotations-list");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_list_box_set_header_func (GTK_LIST_BOX (self->list), header_cb, NULL, NULL);
  gtk_widget_add_css_class (self->list, "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Annotations"), -1);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (row_activated_cb), self);

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
  guint n = 0;

  g_return_val_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self), 0);

  ensure_rows (self);
  while (gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), (int) n) != NULL)
    n++;
  return n;
}

GtkWidget *
kios_annotations_sidebar_get_row (KiosAnnotationsSidebar *self,
                                  guint                   index)
{
  g_return_val_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self), NULL);

  ensure_rows (self);
  return GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), (int) index));
}

void
kios_annotations_sidebar_activate (KiosAnnotationsSidebar *self,
                                   guint                   index)
{
  GtkListBoxRow *row;

  g_return_if_fail (KIOS_IS_ANNOTATIONS_SIDEBAR (self));

  ensure_rows (self);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), (int) index);
  if (row != NULL)
    row_activated_cb (GTK_LIST_BOX (self->list), row, self);
}
