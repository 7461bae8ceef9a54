/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-find-bar"

#include "config.h"

#include "kios-find-bar.h"

#include <glib/gi18n.h>

struct _KiosFindBar
{
  GtkWidget parent_instance;

  GtkWidget *card;
  GtkWidget *entry;
  GtkWidget *count_label;
  GtkWidget *list_button;
  GtkWidget *close_button;
  GtkWidget *results_list;

  KiosDocument       *document;
  KiosBookSearch     *search;
  GtkSingleSelection *selection;
  KiosPosition       *from;  /* where the session began */
  char               *query; /* the entry's text the search was started for */
  int                 current;

  guint pending_step : 2; /* Enter pressed before any result arrived: 1 next, 2 previous */
};

G_DEFINE_FINAL_TYPE (KiosFindBar, kios_find_bar, GTK_TYPE_WIDGET)

enum {
  SIGNAL_GO_TO_MATCH,
  SIGNAL_CLOSED,
  SIGNAL_QUERY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_count (KiosFindBar *self)
{
  g_autofree char *text = NULL;
  guint            n = self->search != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->search)) : 0;
  gboolean         complete = self->search == NULL || kios_book_search_is_complete (self->search);

  if (self->search == NULL)
    text = g_strdup ("");
  else if (n == 0)
    text = g_strdup (complete ? _ ("No matches") : "");
  else if (self->current >= 0)
    /* Translators: the match shown and how many there are, e.g. "3 of 120". */
    text = g_strdup_printf (complete ? _ ("%d of %u") : _ ("%d of %u+"), self->current + 1, n);
  else
    text = g_strdup_printf (complete ? g_dngettext (GETTEXT_PACKAGE, "%u match", "%u matches", n)
                                     : _ ("%u+ matches"),
                            n);
  gtk_label_set_text (GTK_LABEL (self->count_label), text);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "find.next", n > 0 || !complete);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "find.previous", n > 0 || !complete);
  if (n == 0 && complete && self->search != NULL)
    gtk_widget_add_css_class (self->entry, "error");
  else
    gtk_widget_remove_css_class (self->entry, "error");
}

static gboolean
hit_before_start (KiosFindBar         *self,
                  const KiosSearchHit *hit)
{
  if (self->from == NULL)
    return FALSE;
  if (hit->chapter != self->from->chapter)
    return hit->chapter < self->from->chapter;
  return self->from->format == KIOS_BOOK_FORMAT_EPUB && hit->offset < self->from->offset;
}

/* Keeps the match last gone to in view in the list. */
static void
scroll_list_to_current (KiosFindBar *self)
{
  if (self->current < 0 || !gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->list_button)))
    return;
  gtk_widget_activate_action (self->results_list, "list.scroll-to-item", "u", (guint) self->current);
}

static void
list_toggled_cb (KiosFindBar *self)
{
  scroll_list_to_current (self);
}

static void
go_to (KiosFindBar *self,
       int          index)
{
  g_autoptr (KiosSearchResult) result = NULL;

  self->current = index;
  update_count (self);
  result = g_list_model_get_item (G_LIST_MODEL (self->search), (guint) index);
  gtk_single_selection_set_selected (self->selection, (guint) index);
  scroll_list_to_current (self);
  g_signal_emit (self, signals[SIGNAL_GO_TO_MATCH], 0, result);
}

static void start_search (KiosFindBar *self);

/* The entry says "search-changed" only a moment after the last key: a step
 * taken before that (Enter right after typing) is for the text in the entry
 * now, not for the query before it. TRUE if this started a new search. */
static gboolean
sync_query (KiosFindBar *self)
{
  if (g_strcmp0 (self->query, gtk_editable_get_text (GTK_EDITABLE (self->entry))) == 0)
    return FALSE;
  start_search (self);
  return TRUE;
}

void
kios_find_bar_next (KiosFindBar *self,
                    int          direction)
{
  guint n;

  g_return_if_fail (KIOS_IS_FIND_BAR (self));

  /* A step is a walk through the matches: the page shows, not the list. */
  if (sync_query (self))
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->list_button), FALSE);
  if (self->search == NULL)
    return;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->search));
  if (n == 0)
    {
      /* Nothing found yet: go as soon as the first match arrives. */
      if (!kios_book_search_is_complete (self->search))
        self->pending_step = direction > 0 ? 1 : 2;
      return;
    }

  if (self->current < 0)
    {
      /* The first step starts from where the reader is. */
      int first = -1;

      for (guint i = 0; i < n && first < 0; i++)
        if (!hit_before_start (self, kios_book_search_get_hit (self->search, i)))
          first = (int) i;
      if (first < 0)
        {
          if (!kios_book_search_is_complete (self->search))
            {
              self->pending_step = direction > 0 ? 1 : 2;
              return;
            }
          first = 0;
        }
      if (direction < 0)
        first = first > 0 ? first - 1 : (int) n - 1;
      go_to (self, first);
      return;
    }

  go_to (self, direction > 0 ? (self->current + 1) % (int) n
                             : (self->current + (int) n - 1) % (int) n);
}

static void
items_changed_cb (GListModel  *model,
                  guint        position,
                  guint        removed,
                  guint        added,
                  KiosFindBar *self)
{
  if (self->pending_step != 0)
    {
      int direction = self->pending_step == 1 ? 1 : -1;

      self->pending_step = 0;
      kios_find_bar_next (self, direction);
    }
  update_count (self);
}

static void
complete_cb (KiosBookSearch *search,
             GParamSpec     *pspec,
             KiosFindBar    *self)
{
  if (self->pending_step != 0)
    {
      int direction = self->pending_step == 1 ? 1 : -1;

      self->pending_step = 0;
      kios_find_bar_next (self, direction);
    }
  update_count (self);
}

static void
clear_search (KiosFindBar *self)
{
  if (self->search != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->search, self);
      kios_book_search_cancel (self->search);
      g_clear_object (&self->search);
    }
  gtk_single_selection_set_model (self->selection, NULL);
  self->current = -1;
  self->pending_step = 0;
}

/* Starts searching for the entry's text, cancelling the old query. */
static void
start_search (KiosFindBar *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->entry));

  clear_search (self);
  g_free (self->query);
  self->query = g_strdup (query);
  if (self->document != NULL)
    self->search = kios_book_search_new (self->document, query);
  if (self->search != NULL)
    {
      /* After the selection has taken the new items in: a step waiting
       * for the first match selects it. */
      g_signal_connect_after (self->search, "items-changed", G_CALLBACK (items_changed_cb), self);
      g_signal_connect (self->search, "notify::complete", G_CALLBACK (complete_cb), self);
      gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->search));
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      kios_book_search_start (self->search);
    }
  /* While typing, the matches come in under the entry; walking them
   * (Enter, a row) folds the list away so the page shows. */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->list_button), self->search != NULL);
  update_count (self);
  g_signal_emit (self, signals[SIGNAL_QUERY_CHANGED], 0);
}

static void
search_changed_cb (KiosFindBar *self)
{
  /* The same text again (already searched when Enter came before the
   * entry's delay ran out, or typed and taken back) keeps the search and
   * the match gone to. */
  sync_query (self);
}

static void
activate_cb (KiosFindBar *self)
{
  sync_query (self);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->list_button), FALSE);
  kios_find_bar_next (self, 1);
}

static void
stop_search_cb (KiosFindBar *self)
{
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, TRUE);
}

static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  g_signal_emit (widget, signals[SIGNAL_CLOSED], 0, TRUE);
  return TRUE;
}

static void
close_clicked_cb (KiosFindBar *self)
{
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, FALSE);
}

static void
row_activated_cb (GtkListView *list,
                  guint        position,
                  KiosFindBar *self)
{
  go_to (self, (int) position);
  /* The reader wants to see the page now: fold the list away. */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->list_button), FALSE);
}

static gboolean
entry_key_cb (GtkEventControllerKey *controller,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        state,
              KiosFindBar           *self)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter) &&
      (state & GDK_SHIFT_MASK) != 0)
    {
      kios_find_bar_next (self, -1);
      return TRUE;
    }
  if (keyval == GDK_KEY_Down && self->search != NULL &&
      gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->list_button)))
    {
      gtk_widget_grab_focus (self->results_list);
      return TRUE;
    }
  return FALSE;
}

static void
find_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KiosFindBar *self = KIOS_FIND_BAR (widget);

  kios_find_bar_next (self, g_str_equal (action_name, "find.next") ? 1 : -1);
}

/* ------------------------------------------------------------------------ */
/* Result rows: the chapter above, the excerpt with the match in bold.      */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *chapter = gtk_label_new (NULL);
  GtkWidget *excerpt = gtk_label_new (NULL);

  gtk_widget_add_css_class (box, "kios-find-result");
  gtk_widget_add_css_class (chapter, "chapter");
  gtk_widget_add_css_class (chapter, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (chapter), 0);
  gtk_label_set_ellipsize (GTK_LABEL (chapter), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (excerpt), 0);
  gtk_label_set_wrap (GTK_LABEL (excerpt), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (excerpt), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (excerpt), 2);
  gtk_label_set_ellipsize (GTK_LABEL (excerpt), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (excerpt), 20);
  gtk_label_set_max_width_chars (GTK_LABEL (excerpt), 60);
  gtk_box_append (GTK_BOX (box), chapter);
  gtk_box_append (GTK_BOX (box), excerpt);
  gtk_list_item_set_child (item, box);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  KiosSearchResult    *result = gtk_list_item_get_item (item);
  const KiosSearchHit *hit = kios_search_result_get_hit (result);
  GtkWidget           *box = gtk_list_item_get_child (item);
  GtkWidget           *chapter = gtk_widget_get_first_child (box);
  GtkWidget           *excerpt = gtk_widget_get_next_sibling (chapter);
  g_autofree char     *before = g_markup_escape_text (hit->excerpt, hit->excerpt_start);
  g_autofree char     *match = g_markup_escape_text (hit->excerpt + hit->excerpt_start,
                                                     hit->excerpt_end - hit->excerpt_start);
  g_autofree char     *after = g_markup_escape_text (hit->excerpt + hit->excerpt_end, -1);
  g_autofree char     *markup = g_strdup_printf ("%s<b>%s</b>%s", before, match, after);
  g_autofree char     *where = NULL;

  if (hit->xpointer == NULL)
    where = hit->chapter_title != NULL
                /* Translators: a PDF match's place: contents entry, then page number. */
                ? g_strdup_printf (_ ("%s · Page %d"), hit->chapter_title, hit->chapter + 1)
                : g_strdup_printf (_ ("Page %d"), hit->chapter + 1);
  else
    where = g_strdup (hit->chapter_title != NULL ? hit->chapter_title : "");
  gtk_label_set_text (GTK_LABEL (chapter), where);
  gtk_label_set_markup (GTK_LABEL (excerpt), markup);
}

/* ------------------------------------------------------------------------ */

static void
kios_find_bar_dispose (GObject *object)
{
  KiosFindBar *self = KIOS_FIND_BAR (object);

  clear_search (self);
  g_clear_object (&self->document);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOS_TYPE_FIND_BAR);
  g_clear_object (&self->selection);

  G_OBJECT_CLASS (kios_find_bar_parent_class)->dispose (object);
}

static void
kios_find_bar_finalize (GObject *object)
{
  KiosFindBar *self = KIOS_FIND_BAR (object);

  g_clear_pointer (&self->from, kios_position_free);
  g_free (self->query);

  G_OBJECT_CLASS (kios_find_bar_parent_class)->finalize (object);
}

static void
kios_find_bar_class_init (KiosFindBarClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_find_bar_dispose;
  object_class->finalize = kios_find_bar_finalize;

  /**
   * KiosFindBar::go-to-match:
   * @self: the bar
   * @result: the KiosSearchResult to show
   */
  signals[SIGNAL_GO_TO_MATCH] =
      g_signal_new ("go-to-match", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, KIOS_TYPE_SEARCH_RESULT);
  /**
   * KiosFindBar::closed:
   * @self: the bar
   * @restore: go back to where the search began (Escape)
   */
  signals[SIGNAL_CLOSED] =
      g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  /**
   * KiosFindBar::query-changed:
   * @self: the bar
   *
   * A new search started (or the query was cleared).
   */
  signals[SIGNAL_QUERY_CHANGED] =
      g_signal_new ("query-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/app/kios/Kios/ui/kios-find-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, KiosFindBar, card);
  gtk_widget_class_bind_template_child (widget_class, KiosFindBar, entry);
  gtk_widget_class_bind_template_child (widget_class, KiosFindBar, count_label);
  gtk_widget_class_bind_template_child (widget_class, KiosFindBar, list_button);
  gtk_widget_class_bind_template_child (widget_class, KiosFindBar, close_button);
  gtk_widget_class_bind_template_child (widget_class, KiosFindBar, results_list);

  gtk_widget_class_install_action (widget_class, "find.next", NULL, find_action_cb);
  gtk_widget_class_install_action (widget_class, "find.previous", NULL, find_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "find.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "find.previous", NULL);

  /* Escape from the list or the buttons too, not only from the entry. */
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kiosfindbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_SEARCH);
}

static void
kios_find_bar_init (KiosFindBar *self)
{
  static gboolean     css_loaded;
  GtkListItemFactory *factory;
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->current = -1;

  if (!css_loaded)
    {
      g_autoptr (GtkCssProvider) provider = gtk_css_provider_new ();

      css_loaded = TRUE;
      gtk_css_provider_load_from_resource (provider, "/app/kios/Kios/kios-find-bar.css");
      gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                  GTK_STYLE_PROVIDER (provider),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    }

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  gtk_list_view_set_factory (GTK_LIST_VIEW (self->results_list), factory);
  g_object_unref (factory);
  gtk_list_view_set_model (GTK_LIST_VIEW (self->results_list), GTK_SELECTION_MODEL (g_object_ref (self->selection)));

  g_signal_connect_swapped (self->entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect_swapped (self->entry, "stop-search", G_CALLBACK (stop_search_cb), self);
  g_signal_connect_swapped (self->close_button, "clicked", G_CALLBACK (close_clicked_cb), self);
  g_signal_connect_swapped (self->list_button, "toggled", G_CALLBACK (list_toggled_cb), self);
  g_signal_connect (self->results_list, "activate", G_CALLBACK (row_activated_cb), self);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (entry_key_cb), self);
  gtk_widget_add_controller (self->entry, keys);

  update_count (self);
}

GtkWidget *
kios_find_bar_new (void)
{
  return g_object_new (KIOS_TYPE_FIND_BAR, NULL);
}

void
kios_find_bar_begin (KiosFindBar        *self,
                     KiosDocument       *document,
                     const KiosPosition *from)
{
  g_return_if_fail (KIOS_IS_FIND_BAR (self));
  g_return_if_fail (KIOS_IS_DOCUMENT (document));

  g_clear_pointer (&self->from, kios_position_free);
  self->from = from != NULL ? kios_position_copy (from) : NULL;
  if (self->document != document || self->query == NULL)
    {
      g_set_object (&self->document, document);
      start_search (self);
    }
  /* The same query again starts over from the new reading position. */
  self->current = -1;
  update_count (self);
  gtk_widget_grab_focus (self->entry);
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
}

void
kios_find_bar_end (KiosFindBar *self)
{
  g_return_if_fail (KIOS_IS_FIND_BAR (self));

  if (self->search != NULL && !kios_book_search_is_complete (self->search))
    {
      /* Stopped half way: search again when the bar opens again. */
      kios_book_search_cancel (self->search);
      g_clear_pointer (&self->query, g_free);
    }
  self->pending_step = 0;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->list_button), FALSE);
}

/* Forgets the book (closed): its results, its query, and the reference. */
void
kios_find_bar_reset (KiosFindBar *self)
{
  g_return_if_fail (KIOS_IS_FIND_BAR (self));

  kios_find_bar_end (self);
  clear_search (self);
  g_clear_pointer (&self->query, g_free);
  g_clear_object (&self->document);
  g_clear_pointer (&self->from, kios_position_free);
  g_signal_handlers_block_by_func (self->entry, search_changed_cb, self);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  g_signal_handlers_unblock_by_func (self->entry, search_changed_cb, self);
  update_count (self);
}

KiosBookSearch *
kios_find_bar_get_search (KiosFindBar *self)
{
  g_return_val_if_fail (KIOS_IS_FIND_BAR (self), NULL);
  return self->search;
}

KiosSearchMatcher *
kios_find_bar_get_matcher (KiosFindBar *self)
{
  g_return_val_if_fail (KIOS_IS_FIND_BAR (self), NULL);
  return self->search != NULL ? kios_book_search_get_matcher (self->search) : NULL;
}

int
kios_find_bar_get_current (KiosFindBar *self)
{
  g_return_val_if_fail (KIOS_IS_FIND_BAR (self), -1);
  return self->current;
}

GtkWidget *
kios_find_bar_get_entry (KiosFindBar *self)
{
  g_return_val_if_fail (KIOS_IS_FIND_BAR (self), NULL);
  return self->entry;
}

const char *
kios_find_bar_get_count_label (KiosFindBar *self)
{
  g_return_val_if_fail (KIOS_IS_FIND_BAR (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->count_label));
}
