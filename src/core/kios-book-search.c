/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-book-search"

#include "config.h"

#include "kios-book-search.h"

struct _KiosSearchResult
{
  GObject        parent_instance;
  KiosSearchHit *hit;
};

G_DEFINE_FINAL_TYPE (KiosSearchResult, kios_search_result, G_TYPE_OBJECT)

static void
kios_search_result_finalize (GObject *object)
{
  KiosSearchResult *self = KIOS_SEARCH_RESULT (object);

  kios_search_hit_free (self->hit);
  G_OBJECT_CLASS (kios_search_result_parent_class)->finalize (object);
}

static void
kios_search_result_class_init (KiosSearchResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_search_result_finalize;
}

static void
kios_search_result_init (KiosSearchResult *self)
{
}

const KiosSearchHit *
kios_search_result_get_hit (KiosSearchResult *self)
{
  g_return_val_if_fail (KIOS_IS_SEARCH_RESULT (self), NULL);
  return self->hit;
}

KiosPosition *
kios_search_result_to_position (KiosSearchResult *self,
                                KiosBookFormat    format)
{
  KiosPosition *position;

  g_return_val_if_fail (KIOS_IS_SEARCH_RESULT (self), NULL);

  position = kios_position_new ();
  position->format = format;
  position->chapter = self->hit->chapter;
  position->offset = format == KIOS_BOOK_FORMAT_EPUB ? self->hit->offset : 0;
  position->xpointer = g_strdup (self->hit->xpointer);
  position->chapter_title = g_strdup (self->hit->chapter_title);
  position->total_progress = self->hit->total_progress;
  position->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  return position;
}

/* ------------------------------------------------------------------------ */

struct _KiosBookSearch
{
  GObject parent_instance;

  KiosDocument      *document;
  KiosSearchMatcher *matcher;
  GCancellable      *cancellable;
  GPtrArray         *results; /* KiosSearchResult */
  GError            *error;

  guint started : 1;
  guint complete : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosBookSearch, kios_book_search, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_COMPLETE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return KIOS_TYPE_SEARCH_RESULT;
}

static guint
get_n_items (GListModel *model)
{
  return KIOS_BOOK_SEARCH (model)->results->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  KiosBookSearch *self = KIOS_BOOK_SEARCH (model);

  if (position >= self->results->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->results, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void search_next (KiosBookSearch *self,
                         int             chapter);

static void
set_complete (KiosBookSearch *self)
{
  self->complete = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
}

static void
batch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (KiosBookSearch)  self = user_data;
  g_autoptr (GError)          error = NULL;
  g_autoptr (KiosSearchBatch) batch = NULL;
  guint                       before;

  batch = kios_document_search_finish (KIOS_DOCUMENT (source), result, &error);
  if (batch == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("Search stopped: %s", error->message);
          g_clear_error (&self->error);
          self->error = g_steal_pointer (&error);
          set_complete (self);
        }
      return;
    }

  before = self->results->len;
  for (guint i = 0; i < batch->hits->len; i++)
    {
      KiosSearchResult *item = g_object_new (KIOS_TYPE_SEARCH_RESULT, NULL);

      item->hit = g_steal_pointer (&batch->hits->pdata[i]);
      g_ptr_array_add (self->results, item);
    }
  if (self->results->len > before)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), before, 0, self->results->len - before);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }

  if (batch->complete)
    set_complete (self);
  else
    search_next (self, batch->next_chapter);
}

static void
search_next (KiosBookSearch *self,
             int             chapter)
{
  /* One batch at a time: a render queued meanwhile goes before the next. */
  kios_document_search_async (self->document, self->matcher, chapter, self->results->len == 0,
                              self->cancellable, batch_cb, g_object_ref (self));
}

static void
kios_book_search_dispose (GObject *object)
{
  KiosBookSearch *self = KIOS_BOOK_SEARCH (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->document);

  G_OBJECT_CLASS (kios_book_search_parent_class)->dispose (object);
}

static void
kios_book_search_finalize (GObject *object)
{
  KiosBookSearch *self = KIOS_BOOK_SEARCH (object);

  g_clear_pointer (&self->matcher, kios_search_matcher_unref);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (kios_book_search_parent_class)->finalize (object);
}

static void
kios_book_search_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KiosBookSearch *self = KIOS_BOOK_SEARCH (object);

  switch (prop_id)
    {
    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->results->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_book_search_class_init (KiosBookSearchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kios_book_search_dispose;
  object_class->finalize = kios_book_search_finalize;
  object_class->get_property = kios_book_search_get_property;

  properties[PROP_COMPLETE] =
      g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
      g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kios_book_search_init (KiosBookSearch *self)
{
  self->results = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
}

KiosBookSearch *
kios_book_search_new (KiosDocument *document,
                      const char   *query)
{
  KiosBookSearch    *self;
  KiosSearchMatcher *matcher;

  g_return_val_if_fail (KIOS_IS_DOCUMENT (document), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  matcher = kios_search_matcher_new (query);
  if (matcher == NULL)
    return NULL;

  self = g_object_new (KIOS_TYPE_BOOK_SEARCH, NULL);
  self->document = g_object_ref (document);
  self->matcher = matcher;
  return self;
}

void
kios_book_search_start (KiosBookSearch *self)
{
  g_return_if_fail (KIOS_IS_BOOK_SEARCH (self));

  if (self->started || self->document == NULL)
    return;
  self->started = TRUE;
  search_next (self, 0);
}

void
kios_book_search_cancel (KiosBookSearch *self)
{
  g_return_if_fail (KIOS_IS_BOOK_SEARCH (self));

  g_cancellable_cancel (self->cancellable);
}

gboolean
kios_book_search_is_complete (KiosBookSearch *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_SEARCH (self), FALSE);
  return self->complete;
}

KiosDocument *
kios_book_search_get_document (KiosBookSearch *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_SEARCH (self), NULL);
  return self->document;
}

KiosSearchMatcher *
kios_book_search_get_matcher (KiosBookSearch *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_SEARCH (self), NULL);
  return self->matcher;
}

const KiosSearchHit *
kios_book_search_get_hit (KiosBookSearch *self,
                          guint           index)
{
  g_return_val_if_fail (KIOS_IS_BOOK_SEARCH (self), NULL);

  if (index >= self->results->len)
    return NULL;
  return KIOS_SEARCH_RESULT (g_ptr_array_index (self->results, index))->hit;
}

gboolean
kios_book_search_run_sync (KiosBookSearch *self,
                           GError        **error)
{
  GMainContext *context = g_main_context_ref_thread_default ();

  g_return_val_if_fail (KIOS_IS_BOOK_SEARCH (self), FALSE);

  kios_book_search_start (self);
  while (!self->complete && !g_cancellable_is_cancelled (self->cancellable))
    g_main_context_iteration (context, TRUE);
  g_main_context_unref (context);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  if (!self->complete)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The search was cancelled");
      return FALSE;
    }
  return TRUE;
}
