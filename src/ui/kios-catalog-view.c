/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-view-private.h"
#include "kios-error-messages.h"
#include "kios-kobo-shelf.h"

#include "kios-paths.h"
#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

/* Covers are decoded at twice their slot so they stay sharp on HiDPI screens. */
#define COVER_DECODE_HEIGHT (COVER_HEIGHT * 2)
#define MAX_COVER_SIZE ((gsize) 8 * 1024 * 1024)
/* How far beyond the visible area covers and next pages start loading. */
#define PRELOAD_DISTANCE 600.0
#define MAX_PAGES_DEEP 64

/* ---- the view ------------------------------------------------------------- */

static void
page_free (Page *page)
{
  g_free (page->title);
  kios_opds_feed_free (page->feed);
  g_free (page);
}

G_DEFINE_FINAL_TYPE (KiosCatalogView, kios_catalog_view, ADW_TYPE_BIN)

enum {
  SIGNAL_BOOK_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void queue_visible_covers (KiosCatalogView *self);

static Page *
current_page (KiosCatalogView *self)
{
  return self->pages->len > 0 ? g_ptr_array_index (self->pages, self->pages->len - 1) : NULL;
}

/* ---- covers ----------------------------------------------------------------- */

typedef struct
{
  char *path;
  int   decode_height;
} CoverJob;

static void
cover_job_free (CoverJob *job)
{
  g_free (job->path);
  g_free (job);
}

/* Decodes the cached file: local work, off the main thread. */
static void
decode_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CoverJob             *job = task_data;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  GError               *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  /* Scaled while decoding: a 3000-pixel cover never sits in memory whole. */
  pixbuf = gdk_pixbuf_new_from_file_at_scale (job->path, -1, job->decode_height, TRUE, &error);
  if (pixbuf == NULL)
    {
      /* Only what decodes as an image stays in the cache. */
      g_unlink (job->path);
      g_task_return_error (task, error);
      return;
    }
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
cover_fetched_cb (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError           *error = NULL;
  CoverJob         *job = g_task_get_task_data (task);

  job->path = kios_opds_client_fetch_cover_finish (NULL, result, &error);
  if (job->path == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_run_in_thread (task, decode_worker);
}

static void run_next_cover (KiosCatalogView *self);

static void
cover_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GtkWidget)  card = user_data;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError)     error = NULL;
  KiosCatalogView       *self;
  GtkWidget             *cover;
  GtkWidget             *placeholder;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (texture == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = KIOS_CATALOG_VIEW (source_object);
  self->cover_running = FALSE;

  if (texture == NULL)
    g_debug ("No cover: %s", error->message);
  else
    {
      cover = g_object_get_data (G_OBJECT (card), "cover");
      placeholder = g_object_get_data (G_OBJECT (card), "placeholder");
      kios_cover_set_texture (KIOS_COVER (cover), texture);
      gtk_widget_set_visible (placeholder, FALSE);
    }

  run_next_cover (self);
}

static void
run_next_cover (KiosCatalogView *self)
{
  GtkWidget *card;

  if (self->cover_running || self->client == NULL)
    return;

  card = g_queue_pop_head (&self->cover_queue);
  if (card == NULL)
    return;

  self->cover_running = TRUE;
  kios_catalog_view_load_cover_async (self, g_object_get_data (G_OBJECT (card), "cover-href"), COVER_DECODE_HEIGHT,
                                      self->source_cancellable, cover_cb, card);
}

static void
queue_visible_covers (KiosCatalogView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  double         visible_height = gtk_adjustment_get_page_size (adjustment);

  if (self->client == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self->scrolled)))
    return;

  /* Only the cards on screen or close to it ask for their cover. */
  for (GtkWidget *child = gtk_widget_get_first_child (self->flow_box);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget      *card = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));
      graphene_rect_t bounds;

      if (card == NULL || g_object_get_data (G_OBJECT (card), "cover-href") == NULL || g_object_get_data (G_OBJECT (card), "cover-requested") != NULL)
        continue;
      if (!gtk_widget_compute_bounds (card, GTK_WIDGET (self->scrolled), &bounds))
        continue;
      if (bounds.origin.y + bounds.size.height < -PRELOAD_DISTANCE || bounds.origin.y > visible_height + PRELOAD_DISTANCE)
        continue;

      g_object_set_data (G_OBJECT (card), "cover-requested", GINT_TO_POINTER (TRUE));
      g_queue_push_tail (&self->cover_queue, g_object_ref (card));
    }

  run_next_cover (self);
}

static void
clear_cover_queue (KiosCatalogView *self)
{
  GtkWidget *card;

  while ((card = g_queue_pop_head (&self->cover_queue)) != NULL)
    g_object_unref (card);
}

static void maybe_load_more (KiosCatalogView *self);

/* Scrolling and resizing land here a moment later, outside size allocation
 * (the adjustments change during it, and widgets must not change then). */
static gboolean
covers_idle_cb (gpointer user_data)
{
  KiosCatalogView *self = user_data;

  self->covers_idle_id = 0;
  if (self->scrolled == NULL)
    return G_SOURCE_REMOVE;
  queue_visible_covers (self);
  maybe_load_more (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_covers (KiosCatalogView *self)
{
  if (self->covers_idle_id == 0 && self->scrolled != NULL)
    self->covers_idle_id = g_timeout_add (50, covers_idle_cb, self);
}

/* ---- showing a page ------------------------------------------------------- */

const char *
kios_catalog_entry_cover_href (const KiosOpdsEntry *entry,
                               gboolean             thumbnail)
{
  const char *first = thumbnail ? entry->thumbnail_href : entry->cover_href;
  const char *second = thumbnail ? entry->cover_href : entry->thumbnail_href;
  const char *href = first != NULL ? first : second;

  /* A page-streaming (PSE) link is a template for a comic's pages: never a cover. */
  if (href != NULL && strstr (href, "{pageNumber}") != NULL)
    return NULL;
  return href;
}

static void
clear_container (GtkWidget *container)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (container)) != NULL)
    {
      if (GTK_IS_LIST_BOX (container))
        gtk_list_box_remove (GTK_LIST_BOX (container), child);
      else
        gtk_flow_box_remove (GTK_FLOW_BOX (container), child);
    }
}

/* Adds the entries from index first of the page on screen. */
static void
append_entries (KiosCatalogView *self,
                guint            first)
{
  Page    *page = current_page (self);
  gboolean any_nav = gtk_widget_get_first_child (self->nav_list) != NULL;
  gboolean any_book = gtk_widget_get_first_child (self->flow_box) != NULL;

  for (guint i = first; i < page->feed->entries->len; i++)
    {
      const KiosOpdsEntry *entry = g_ptr_array_index (page->feed->entries, i);

      /* Navigation or book is decided per entry, not by the feed's kind. */
      if (entry->kind == KIOS_OPDS_ENTRY_NAVIGATION)
        {
          gtk_list_box_append (GTK_LIST_BOX (self->nav_list), kios_catalog_create_navigation_row (entry, i));
          any_nav = TRUE;
        }
      else
        {
          gtk_flow_box_append (GTK_FLOW_BOX (self->flow_box), kios_catalog_create_book_card (entry, i));
          any_book = TRUE;
        }
    }

  gtk_widget_set_visible (self->nav_list, any_nav);
  gtk_widget_set_visible (self->flow_box, any_book);
  gtk_widget_set_visible (self->books_label, any_nav && any_book);
  schedule_covers (self);
}

static void
show_current_page (KiosCatalogView *self)
{
  Page *page = current_page (self);

  clear_cover_queue (self);
  clear_container (self->nav_list);
  clear_container (self->flow_box);
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_widget_set_visible (self->back_button, self->pages->len > 1);

  if (page == NULL)
    {
      gtk_label_set_label (self->title_label, self->source != NULL ? self->source->name : "");
      return;
    }

  gtk_label_set_label (self->title_label, page->title);
  /* Search where the page or the catalog's root offers it. */
  {
    const KiosOpdsFeed *root = ((Page *) g_ptr_array_index (self->pages, 0))->feed;

    gtk_widget_set_visible (GTK_WIDGET (self->search_entry),
                            page->feed->search_template != NULL || page->feed->opensearch_href != NULL || root->search_template != NULL || root->opensearch_href != NULL);
  }
  if (page->feed->entries->len == 0)
    {
      adw_status_page_set_description (self->empty_page, page->is_search
                                                             ? _ ("Try other words, or browse the catalog")
                                                             : _ ("This part of the catalog is empty"));
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  append_entries (self, 0);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scrolled), 0.0);
  gtk_stack_set_visible_child_name (self->stack, "entries");
}

void
kios_catalog_view_show_error (KiosCatalogView *self,
                              const GError    *error)
{
  g_autofree char *host = NULL;
  const char      *url = self->client != NULL   ? kios_opds_client_get_catalog_url (self->client)
                         : self->source != NULL ? self->source->url
                                                : NULL;

  if (self->last_error != error)
    {
      g_clear_error (&self->last_error);
      self->last_error = g_error_copy (error);
    }
  g_free (self->error_message);
  self->error_message = g_strdup (error->message);
  g_debug ("Catalog %s: %s", self->source != NULL ? self->source->name : "?", error->message);

  if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH))
    adw_status_page_set_icon_name (self->error_page, "dialog-password-symbolic");
  else if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NETWORK) || g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_TIMEOUT) || error->domain == KIOS_HTTP_ERROR)
    adw_status_page_set_icon_name (self->error_page, "network-offline-symbolic");
  else
    adw_status_page_set_icon_name (self->error_page, "dialog-warning-symbolic");
  /* The one table's sentence: never the core's English or libcurl's. */
  host = url != NULL ? kios_error_host_from_url (url) : NULL;
  g_free (self->error_text);
  self->error_text = kios_error_describe (error, host, self->suggestion, NULL);
  adw_status_page_set_description (self->error_page, self->error_text);
  gtk_widget_set_visible (self->back_button, self->pages->len > 0);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static void
suggest_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *url = kios_opds_client_suggest_catalog_finish (NULL, result, &error);
  KiosCatalogView   *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = KIOS_CATALOG_VIEW (user_data);
  if (url == NULL || self->last_error == NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "error") != 0)
    return;
  g_free (self->suggestion);
  self->suggestion = g_steal_pointer (&url);
  kios_catalog_view_show_error (self, self->last_error);
}

/* ---- requests ------------------------------------------------------------- */

typedef struct
{
  KiosCatalogView *self; /* not a reference: read only when not cancelled */
  Op               op;
  char            *href;
  char            *query;
  char            *title; /* OP_FETCH: the entry's title, nullable */
} Request;

static void
request_free (Request *request)
{
  g_free (request->href);
  g_free (request->query);
  g_free (request->title);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static void
op_done (Request      *request,
         KiosOpdsFeed *feed_,
         const char   *realm,
         GError       *error)
{
  KiosCatalogView         *self = request->self;
  g_autoptr (KiosOpdsFeed) feed = feed_;

  self->busy = FALSE;
  self->loading_more = FALSE;
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_spinner_stop (GTK_SPINNER (self->loading_spinner));

  if (feed == NULL)
    {
      if (request->op == OP_MORE)
        {
          /* The pages already shown stay; a toast-like line would be noise. */
          g_debug ("Next page: %s", error->message);
          return;
        }
      self->failed_op = request->op;
      g_free (self->failed_href);
      self->failed_href = g_strdup (request->href);
      g_free (self->failed_query);
      self->failed_query = g_strdup (request->query);

      /* A 401 asks for credentials once, naming the realm. */
      if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_AUTH) && !self->asked_credentials && self->store != NULL && self->client != NULL)
        {
          self->asked_credentials = TRUE;
          kios_catalog_view_show_error (self, error);
          kios_catalog_view_ask_credentials (self, realm);
          return;
        }
      kios_catalog_view_show_error (self, error);
      /* A web page answered: perhaps the catalog is at …/opds. */
      if (g_error_matches (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_NOT_CATALOG) && self->client != NULL && self->cancellable != NULL)
        kios_opds_client_suggest_catalog_async (self->client, self->cancellable, suggest_cb, self);
      return;
    }

  if (request->op == OP_MORE)
    {
      Page *page = current_page (self);
      guint first;

      if (page == NULL)
        return;
      first = page->feed->entries->len;
      for (guint i = 0; i < feed->entries->len && page->feed->entries->len < KIOS_OPDS_MAX_ENTRIES; i++)
        g_ptr_array_add (page->feed->entries, g_steal_pointer (&feed->entries->pdata[i]));
      g_free (page->feed->next_href);
      /* A server that links a page to itself (or sends nothing new) ends the paging. */
      page->feed->next_href = feed->entries->len > 0 && g_strcmp0 (feed->next_href, request->href) != 0
                                  ? g_strdup (feed->next_href)
                                  : NULL;
      append_entries (self, first);
      return;
    }

  {
    Page *page = g_new0 (Page, 1);

    if (request->op == OP_SEARCH)
      /* Translators: the title of a catalog search's results; %s is what was searched. */
      page->title = g_strdup_printf (_ ("Results for “%s”"), request->query);
    else if (request->op == OP_OPEN)
      page->title = g_strdup (self->source->name);
    else if (request->title != NULL)
      page->title = g_strdup (request->title);
    else if (feed->title != NULL && *feed->title != '\0')
      page->title = g_strdup (feed->title);
    else
      page->title = g_strdup (request->query != NULL ? request->query : self->source->name);
    page->feed = g_steal_pointer (&feed);
    page->is_search = request->op == OP_SEARCH;
    if (request->op == OP_OPEN)
      g_ptr_array_set_size (self->pages, 0);
    /* The way back is bounded: the oldest pages drop off. */
    if (self->pages->len >= MAX_PAGES_DEEP)
      g_ptr_array_remove_index (self->pages, 1);
    g_ptr_array_add (self->pages, page);
  }
  show_current_page (self);
}

static void
open_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Request)        request = user_data;
  g_autoptr (GError)         error = NULL;
  g_autofree char           *realm = NULL;
  KiosOpdsFeed              *root = NULL;
  g_autoptr (KiosOpdsClient) client = kios_opds_source_open_finish (result, &root, &realm, &error);

  /* Cancelled: the view may be gone, touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (client != NULL)
    {
      /* The client that opened the root knows the auth scheme: keep it. */
      g_clear_pointer (&request->self->client, kios_opds_client_free);
      request->self->client = g_steal_pointer (&client);
    }
  op_done (request, root, realm, error);
}

static void
feed_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Request) request = user_data;
  g_autoptr (GError)  error = NULL;
  KiosOpdsFeed       *feed;
  g_autofree char    *realm = NULL;

  if (request->op == OP_SEARCH)
    feed = kios_opds_client_search_finish (NULL, result, &error);
  else
    feed = kios_opds_client_fetch_finish (NULL, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (feed == NULL && request->self->client != NULL)
    realm = kios_opds_client_dup_realm (request->self->client);
  op_done (request, feed, realm, error);
}

void
kios_catalog_view_start_op (KiosCatalogView *self,
                            Op               op,
                            const char      *href,
                            const char      *query)
{
  Request *request;

  if (self->source == NULL || (op != OP_OPEN && self->client == NULL))
    return;
  /* The Kobo shelf does its own requests. */
  if (g_strcmp0 (self->source->kind, "kobo") == 0)
    return;

  /* One feed request at a time: a new one replaces the one in flight. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_clear_pointer (&self->suggestion, g_free);
  request = g_new0 (Request, 1);
  request->self = self;
  request->op = op;
  request->href = g_strdup (href);
  request->query = g_strdup (query);
  if (op == OP_FETCH)
    request->title = g_steal_pointer (&self->next_title);
  g_clear_pointer (&self->next_title, g_free);

  self->busy = TRUE;
  if (op == OP_MORE)
    {
      self->loading_more = TRUE;
      gtk_widget_set_visible (self->more_spinner, TRUE);
    }
  else
    {
      gtk_spinner_start (GTK_SPINNER (self->loading_spinner));
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }

  if (op == OP_OPEN)
    kios_opds_source_open_async (self->source, self->cancellable, open_cb, request);
  else if (op == OP_SEARCH)
    kios_opds_client_search_async (self->client, current_page (self) != NULL ? current_page (self)->feed : NULL,
                                   query, self->cancellable, feed_cb, request);
  else
    kios_opds_client_fetch_async (self->client, href, self->cancellable, feed_cb, request);
}

static void
maybe_load_more (KiosCatalogView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  Page          *page = current_page (self);

  if (page == NULL || page->feed->next_href == NULL || self->busy || page->feed->entries->len >= KIOS_OPDS_MAX_ENTRIES || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "entries") != 0)
    return;

  /* Near the end (or a first page too short to scroll): the next page. */
  if (gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >= gtk_adjustment_get_upper (adjustment) - PRELOAD_DISTANCE)
    kios_catalog_view_start_op (self, OP_MORE, page->feed->next_href, NULL);
}

static void
adjustment_changed_cb (KiosCatalogView *self)
{
  schedule_covers (self);
}

/* ---- signals from the widgets ---------------------------------------------- */

static void
activate_index (KiosCatalogView *self,
                guint            index)
{
  Page                *page = current_page (self);
  const KiosOpdsEntry *entry;

  if (page == NULL || index >= page->feed->entries->len)
    return;

  entry = g_ptr_array_index (page->feed->entries, index);
  if (entry->kind == KIOS_OPDS_ENTRY_NAVIGATION)
    {
      if (entry->navigation_href != NULL)
        {
          /* The page is called what the reader clicked ("By Title"), not the
           * server's feed title ("calibre Library :: By Title"). */
          g_free (self->next_title);
          self->next_title = g_strdup (entry->title);
          kios_catalog_view_start_op (self, OP_FETCH, entry->navigation_href, NULL);
        }
      return;
    }

  {
    GdkTexture *texture = NULL;

    for (GtkWidget *child = gtk_widget_get_first_child (self->flow_box);
         child != NULL;
         child = gtk_widget_get_next_sibling (child))
      {
        GtkWidget *card = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));

        if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (card), "entry-index")) == index)
          {
            texture = kios_cover_get_texture (g_object_get_data (G_OBJECT (card), "cover"));
            break;
          }
      }
    g_signal_emit (self, signals[SIGNAL_BOOK_ACTIVATED], 0, entry, texture);
  }
}

static void
row_activated_cb (KiosCatalogView *self,
                  GtkListBoxRow   *row)
{
  activate_index (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "entry-index")));
}

static void
child_activated_cb (KiosCatalogView *self,
                    GtkFlowBoxChild *child)
{
  GtkWidget *card = gtk_flow_box_child_get_child (child);

  activate_index (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (card), "entry-index")));
}

static void
search_activate_cb (KiosCatalogView *self)
{
  const char      *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *query = g_strstrip (g_strdup (text));

  if (*query == '\0')
    return;
  kios_catalog_view_search (self, query);
}

static void
back_clicked_cb (KiosCatalogView *self)
{
  kios_catalog_view_go_back (self);
}

static gboolean
search_shortcut_cb (GtkWidget *widget,
                    GVariant  *args,
                    gpointer   user_data)
{
  KiosCatalogView *self = KIOS_CATALOG_VIEW (widget);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->search_entry)))
    return FALSE;
  return gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static gboolean
back_shortcut_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  return kios_catalog_view_go_back (KIOS_CATALOG_VIEW (widget));
}

static void
retry_clicked_cb (KiosCatalogView *self)
{
  kios_catalog_view_retry (self);
}

/* ---- GObject -------------------------------------------------------------- */

static void
stop_everything (KiosCatalogView *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->source_cancellable != NULL)
    g_cancellable_cancel (self->source_cancellable);
  g_clear_object (&self->source_cancellable);
  clear_cover_queue (self);
  self->cover_running = FALSE;
  self->busy = FALSE;
  self->loading_more = FALSE;
  g_clear_pointer (&self->client, kios_opds_client_free);
}

static void
kios_catalog_view_dispose (GObject *object)
{
  KiosCatalogView *self = KIOS_CATALOG_VIEW (object);

  /* The children outlive this dispose for a moment: their signals stop here. */
  if (self->scrolled != NULL)
    {
      g_signal_handlers_disconnect_by_data (gtk_scrolled_window_get_vadjustment (self->scrolled), self);
      g_signal_handlers_disconnect_by_data (self->scrolled, self);
      self->scrolled = NULL;
    }
  stop_everything (self);
  g_clear_handle_id (&self->covers_idle_id, g_source_remove);
  g_clear_object (&self->store);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->source, kios_source_record_free);
  g_clear_pointer (&self->pages, g_ptr_array_unref);

  G_OBJECT_CLASS (kios_catalog_view_parent_class)->dispose (object);
}

static void
kios_catalog_view_finalize (GObject *object)
{
  KiosCatalogView *self = KIOS_CATALOG_VIEW (object);

  g_free (self->failed_href);
  g_free (self->failed_query);
  g_free (self->error_message);
  g_free (self->error_text);
  g_clear_error (&self->last_error);
  g_free (self->suggestion);
  g_free (self->next_title);

  G_OBJECT_CLASS (kios_catalog_view_parent_class)->finalize (object);
}

static void
kios_catalog_view_class_init (KiosCatalogViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_catalog_view_dispose;
  object_class->finalize = kios_catalog_view_finalize;

  signals[SIGNAL_BOOK_ACTIVATED] = g_signal_new ("book-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                                 G_TYPE_POINTER, GDK_TYPE_TEXTURE);

  gtk_widget_class_add_binding (GTK_WIDGET_CLASS (klass), GDK_KEY_Left, GDK_ALT_MASK, back_shortcut_cb, NULL);
  gtk_widget_class_add_binding (GTK_WIDGET_CLASS (klass), GDK_KEY_Back, 0, back_shortcut_cb, NULL);
  gtk_widget_class_add_binding (GTK_WIDGET_CLASS (klass), GDK_KEY_f, GDK_CONTROL_MASK, search_shortcut_cb, NULL);
}

static GtkWidget *
status_page_new (const char *icon,
                 const char *title)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), icon);
  adw_status_page_set_title (ADW_STATUS_PAGE (page), title);
  return page;
}

static void
kios_catalog_view_init (KiosCatalogView *self)
{
  GtkWidget     *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget     *header_clamp = adw_clamp_new ();
  GtkWidget     *clamp;
  GtkWidget     *content;
  GtkWidget     *retry;
  GtkWidget     *cancel;
  GtkWidget     *loading;
  GtkAdjustment *adjustment;

  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) page_free);
  g_queue_init (&self->cover_queue);

  /* The header: back, the page's title, search. */
  self->header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_top (self->header, 18);
  gtk_widget_set_margin_bottom (self->header, 6);
  gtk_widget_set_margin_start (self->header, 18);
  gtk_widget_set_margin_end (self->header, 18);
  self->back_button = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_widget_set_tooltip_text (self->back_button, _ ("Back"));
  gtk_widget_set_valign (self->back_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->back_button, "flat");
  gtk_widget_add_css_class (self->back_button, "circular");
  gtk_widget_set_visible (self->back_button, FALSE);
  g_signal_connect_swapped (self->back_button, "clicked", G_CALLBACK (back_clicked_cb), self);
  gtk_box_append (GTK_BOX (self->header), self->back_button);
  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0.0);
  gtk_label_set_ellipsize (self->title_label, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "title-2");
  gtk_box_append (GTK_BOX (self->header), GTK_WIDGET (self->title_label));
  self->search_entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search_entry, "placeholder-text", _ ("Search the catalog"), NULL);
  gtk_widget_set_size_request (GTK_WIDGET (self->search_entry), 240, -1);
  gtk_widget_set_valign (GTK_WIDGET (self->search_entry), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self);
  gtk_box_append (GTK_BOX (self->header), GTK_WIDGET (self->search_entry));
  adw_clamp_set_maximum_size (ADW_CLAMP (header_clamp), 1040);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (header_clamp), 600);
  adw_clamp_set_child (ADW_CLAMP (header_clamp), self->header);
  gtk_box_append (GTK_BOX (box), header_clamp);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));

  gtk_stack_add_named (self->stack, adw_bin_new (), "none");

  loading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  self->loading_spinner = gtk_spinner_new ();
  gtk_widget_set_size_request (self->loading_spinner, 32, 32);
  gtk_widget_set_halign (self->loading_spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->loading_spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (loading, GTK_ALIGN_CENTER);
  gtk_box_set_spacing (GTK_BOX (loading), 18);
  gtk_box_append (GTK_BOX (loading), self->loading_spinner);
  /* A server that hangs must not hold the view: Cancel stops the wait. */
  cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  gtk_widget_set_halign (cancel, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (cancel, "pill");
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (kios_catalog_view_cancel), self);
  gtk_box_append (GTK_BOX (loading), cancel);
  gtk_stack_add_named (self->stack, loading, "loading");

  /* The entries: navigation as a boxed list, books as a grid. */
  self->scrolled = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (self->scrolled, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  clamp = adw_clamp_new ();
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1040);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 600);
  content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 30);
  gtk_widget_set_margin_start (content, 18);
  gtk_widget_set_margin_end (content, 18);
  self->nav_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->nav_list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->nav_list, "boxed-list");
  g_signal_connect_swapped (self->nav_list, "row-activated", G_CALLBACK (row_activated_cb), self);
  gtk_box_append (GTK_BOX (content), self->nav_list);
  self->books_label = gtk_label_new (_ ("Books"));
  gtk_label_set_xalign (GTK_LABEL (self->books_label), 0.0);
  gtk_widget_add_css_class (self->books_label, "heading");
  gtk_box_append (GTK_BOX (content), self->books_label);
  self->flow_box = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (self->flow_box), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (self->flow_box), TRUE);
  gtk_flow_box_set_activate_on_single_click (GTK_FLOW_BOX (self->flow_box), TRUE);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (self->flow_box), 18);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (self->flow_box), 24);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (self->flow_box), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (self->flow_box), 8);
  gtk_widget_set_halign (self->flow_box, GTK_ALIGN_START);
  gtk_widget_set_valign (self->flow_box, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->flow_box, "book-grid");
  g_signal_connect_swapped (self->flow_box, "child-activated", G_CALLBACK (child_activated_cb), self);
  gtk_box_append (GTK_BOX (content), self->flow_box);
  self->more_spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (self->more_spinner));
  gtk_widget_set_size_request (self->more_spinner, 24, 24);
  gtk_widget_set_halign (self->more_spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_box_append (GTK_BOX (content), self->more_spinner);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_scrolled_window_set_child (self->scrolled, clamp);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->scrolled), "entries");
  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (adjustment_changed_cb), self);
  g_signal_connect_swapped (adjustment, "changed", G_CALLBACK (adjustment_changed_cb), self);
  g_signal_connect_swapped (self->scrolled, "map", G_CALLBACK (schedule_covers), self);

  self->empty_page = ADW_STATUS_PAGE (status_page_new ("system-search-symbolic", _ ("No Books Found")));
  adw_status_page_set_description (self->empty_page, _ ("Try other words, or browse the catalog"));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_page), "empty");

  self->error_page = ADW_STATUS_PAGE (status_page_new ("dialog-warning-symbolic", _ ("Could Not Load the Catalog")));
  retry = gtk_button_new_with_mnemonic (_ ("_Retry"));
  gtk_widget_set_halign (retry, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (retry, "pill");
  gtk_widget_add_css_class (retry, "suggested-action");
  g_signal_connect_swapped (retry, "clicked", G_CALLBACK (retry_clicked_cb), self);
  adw_status_page_set_child (self->error_page, retry);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error_page), "error");

  self->kobo_shelf = kios_kobo_shelf_new ();
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->kobo_shelf), "kobo");

  gtk_stack_set_visible_child_name (self->stack, "none");
  adw_bin_set_child (ADW_BIN (self), box);
}

/* ---- public --------------------------------------------------------------- */

KiosCatalogView *
kios_catalog_view_new (void)
{
  return g_object_new (KIOS_TYPE_CATALOG_VIEW, NULL);
}

void
kios_catalog_view_set_store (KiosCatalogView  *self,
                             KiosLibraryStore *store)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));
  g_return_if_fail (store == NULL || KIOS_IS_LIBRARY_STORE (store));

  /* A manager of our own works over the old store: it goes with it. */
  if (self->manager != NULL && kios_source_manager_get_store (self->manager) != store)
    g_clear_object (&self->manager);
  g_set_object (&self->store, store);
  kios_kobo_shelf_set_store (self->kobo_shelf, store);
}

void
kios_catalog_view_set_source_manager (KiosCatalogView   *self,
                                      KiosSourceManager *manager)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));
  g_return_if_fail (manager == NULL || KIOS_IS_SOURCE_MANAGER (manager));

  g_set_object (&self->manager, manager);
  if (manager != NULL)
    kios_catalog_view_set_store (self, kios_source_manager_get_store (manager));
}

void
kios_catalog_view_set_source (KiosCatalogView        *self,
                              const KiosSourceRecord *source)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));

  stop_everything (self);
  g_clear_pointer (&self->source, kios_source_record_free);
  g_ptr_array_set_size (self->pages, 0);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->error_text, g_free);
  g_clear_error (&self->last_error);
  g_clear_pointer (&self->suggestion, g_free);
  self->asked_credentials = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  show_current_page (self);
  kios_kobo_shelf_set_source (self->kobo_shelf, NULL);
  gtk_widget_set_visible (self->header, TRUE);

  if (source == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  self->source = kios_source_record_copy (source);
  /* A Kobo sync source is a shelf, not an OPDS feed: it has its own header. */
  if (g_strcmp0 (source->kind, "kobo") == 0)
    {
      gtk_widget_set_visible (self->header, FALSE);
      kios_kobo_shelf_set_source (self->kobo_shelf, source);
      gtk_stack_set_visible_child_name (self->stack, "kobo");
      return;
    }
  self->source_cancellable = g_cancellable_new ();
  gtk_label_set_label (self->title_label, source->name);
  kios_catalog_view_start_op (self, OP_OPEN, NULL, NULL);
}

const char *
kios_catalog_view_get_source_name (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return self->source != NULL ? self->source->name : NULL;
}

KiosOpdsClient *
kios_catalog_view_new_client (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return self->client != NULL ? kios_opds_client_ref (self->client) : NULL;
}

gboolean
kios_catalog_view_go_back (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), FALSE);

  /* A next page still loading just stops. */
  if (self->loading_more)
    {
      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->busy = FALSE;
      self->loading_more = FALSE;
      gtk_widget_set_visible (self->more_spinner, FALSE);
    }

  /* Leaving an error or a page still loading: back to the page on screen. */
  if (self->busy || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "error") == 0)
    {
      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->busy = FALSE;
      self->loading_more = FALSE;
      if (current_page (self) != NULL)
        {
          show_current_page (self);
          return TRUE;
        }
      return FALSE;
    }

  if (self->pages->len <= 1)
    return FALSE;

  g_ptr_array_remove_index (self->pages, self->pages->len - 1);
  show_current_page (self);
  return TRUE;
}

void
kios_catalog_view_search (KiosCatalogView *self,
                          const char      *query)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));
  g_return_if_fail (query != NULL);

  kios_catalog_view_start_op (self, OP_SEARCH, NULL, query);
}

void
kios_catalog_view_retry (KiosCatalogView *self)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));

  if (self->source == NULL)
    return;
  if (self->client == NULL || self->failed_op == OP_OPEN)
    kios_catalog_view_start_op (self, OP_OPEN, NULL, NULL);
  else
    kios_catalog_view_start_op (self, self->failed_op, self->failed_href, self->failed_query);
}

const char *
kios_catalog_view_get_visible_page (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
kios_catalog_view_is_busy (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), FALSE);

  return self->busy;
}

const KiosOpdsFeed *
kios_catalog_view_get_feed (KiosCatalogView *self)
{
  Page *page;

  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  page = current_page (self);
  return page != NULL ? page->feed : NULL;
}

void
kios_catalog_view_activate_entry (KiosCatalogView *self,
                                  guint            index)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));

  activate_index (self, index);
}

guint
kios_catalog_view_get_n_covers_shown (KiosCatalogView *self)
{
  guint n = 0;

  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), 0);

  for (GtkWidget *child = gtk_widget_get_first_child (self->flow_box);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *card = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));

      if (kios_cover_get_texture (g_object_get_data (G_OBJECT (card), "cover")) != NULL)
        n++;
    }
  return n;
}

void
kios_catalog_view_load_cover_async (KiosCatalogView    *self,
                                    const char         *href,
                                    int                 height,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  CoverJob         *job;

  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));
  g_return_if_fail (href != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kios_catalog_view_load_cover_async);
  if (self->client == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "No catalog is open");
      return;
    }

  /* The same cache as the grid: fetched by the core, decoded here. */
  job = g_new0 (CoverJob, 1);
  job->decode_height = MAX (height, 1);
  g_task_set_task_data (task, job, (GDestroyNotify) cover_job_free);
  kios_opds_client_fetch_cover_async (self->client, href, MAX_COVER_SIZE, cancellable, cover_fetched_cb,
                                      g_steal_pointer (&task));
}

GdkTexture *
kios_catalog_view_load_cover_finish (KiosCatalogView *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kios_catalog_view_load_cover_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kios_catalog_view_cancel (KiosCatalogView *self)
{
  g_return_if_fail (KIOS_IS_CATALOG_VIEW (self));

  if (!self->busy)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->busy = FALSE;
  self->loading_more = FALSE;
  gtk_widget_set_visible (self->more_spinner, FALSE);
  gtk_spinner_stop (GTK_SPINNER (self->loading_spinner));
  if (current_page (self) != NULL)
    {
      show_current_page (self);
      return;
    }
  /* Nothing loaded yet: say so, with Retry. */
  g_clear_pointer (&self->error_message, g_free);
  g_free (self->error_text);
  self->error_text = g_strdup (_ ("Stopped before the catalog answered."));
  adw_status_page_set_icon_name (self->error_page, "dialog-warning-symbolic");
  adw_status_page_set_description (self->error_page, self->error_text);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

const char *
kios_catalog_view_get_error_text (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return self->error_text;
}

const char *
kios_catalog_view_get_error_message (KiosCatalogView *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  return self->error_message;
}
