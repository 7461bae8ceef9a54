/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-view"

#include "config.h"

#include "kios-catalog-view-private.h"
#include "kios-error-messages.h"
#include "kios-kobo-shelf.h"

#include "kios-sync-error.h"
#include "kios-sync-source.h"

#include <glib/gi18n.h>

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

Page *
kios_catalog_view_current_page (KiosCatalogView *self)
{
  return self->pages->len > 0 ? g_ptr_array_index (self->pages, self->pages->len - 1) : NULL;
}

/* ---- showing a page ------------------------------------------------------- */

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
      Page *page = kios_catalog_view_current_page (self);
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
      kios_catalog_view_append_entries (self, first);
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
  kios_catalog_view_show_page (self);
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
    kios_opds_client_search_async (self->client, kios_catalog_view_current_page (self) != NULL ? kios_catalog_view_current_page (self)->feed : NULL,
                                   query, self->cancellable, feed_cb, request);
  else
    kios_opds_client_fetch_async (self->client, href, self->cancellable, feed_cb, request);
}

/* ---- signals from the widgets ---------------------------------------------- */

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
  kios_catalog_view_stop_entries (self);
  g_clear_object (&self->store);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->source, kios_source_record_free);
  g_clear_pointer (&self->pages, g_ptr_array_unref);
  g_clear_object (&self->books);

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
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header_clamp = adw_clamp_new ();
  GtkWidget *retry;
  GtkWidget *cancel;
  GtkWidget *loading;

  self->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) page_free);

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
  gtk_stack_add_named (self->stack, kios_catalog_view_build_entries (self), "entries");

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
  kios_catalog_view_show_page (self);
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
      if (kios_catalog_view_current_page (self) != NULL)
        {
          kios_catalog_view_show_page (self);
          return TRUE;
        }
      return FALSE;
    }

  if (self->pages->len <= 1)
    return FALSE;

  g_ptr_array_remove_index (self->pages, self->pages->len - 1);
  kios_catalog_view_show_page (self);
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

  return self->busy || self->pending_items != NULL;
}

const KiosOpdsFeed *
kios_catalog_view_get_feed (KiosCatalogView *self)
{
  Page *page;

  g_return_val_if_fail (KIOS_IS_CATALOG_VIEW (self), NULL);

  page = kios_catalog_view_current_page (self);
  return page != NULL ? page->feed : NULL;
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
  if (kios_catalog_view_current_page (self) != NULL)
    {
      kios_catalog_view_show_page (self);
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
