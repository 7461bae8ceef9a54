/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-catalog-item"

#include "config.h"

#include "kios-catalog-item.h"

#include "kios-cover-loader.h"

/* A cover bigger than this is not a cover. */
#define MAX_COVER_SIZE ((gsize) 8 * 1024 * 1024)
/* Cover requests in flight at once, for every grid: a screenful of new
 * cards must not open dozens of connections to a small home server. */
#define MAX_FETCHES 4

struct _KiosCatalogItem
{
  GObject parent_instance;

  guint           index;
  char           *title;
  char           *authors;
  char           *caption;
  KiosCardState   state;
  double          progress;
  KiosOpdsClient *client; /* nullable: the catalog's, for its covers */
  char           *thumbnail_href;
  char           *cover_href;
  char           *cover_path;
};

G_DEFINE_FINAL_TYPE (KiosCatalogItem, kios_catalog_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_PROGRESS,
  PROP_COVER_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kios_catalog_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  KiosCatalogItem *self = KIOS_CATALOG_ITEM (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_COVER_PATH:
      g_value_set_string (value, self->cover_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_catalog_item_finalize (GObject *object)
{
  KiosCatalogItem *self = KIOS_CATALOG_ITEM (object);

  g_free (self->title);
  g_free (self->authors);
  g_free (self->caption);
  g_clear_pointer (&self->client, kios_opds_client_free);
  g_free (self->thumbnail_href);
  g_free (self->cover_href);
  g_free (self->cover_path);

  G_OBJECT_CLASS (kios_catalog_item_parent_class)->finalize (object);
}

static void
kios_catalog_item_class_init (KiosCatalogItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = kios_catalog_item_get_property;
  object_class->finalize = kios_catalog_item_finalize;

  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, KIOS_CARD_STATE_LOCAL, KIOS_CARD_STATE_ERROR,
                                             KIOS_CARD_STATE_DOWNLOADABLE,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, -1.0, 1.0, 0.0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_COVER_PATH] = g_param_spec_string ("cover-path", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                         G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kios_catalog_item_init (KiosCatalogItem *self)
{
  self->state = KIOS_CARD_STATE_DOWNLOADABLE;
}

KiosCatalogItem *
kios_catalog_item_new (guint       index,
                       const char *title,
                       const char *authors,
                       const char *caption)
{
  KiosCatalogItem *self = g_object_new (KIOS_TYPE_CATALOG_ITEM, NULL);

  self->index = index;
  self->title = g_strdup (title);
  self->authors = authors != NULL && *authors != '\0' ? g_strdup (authors) : NULL;
  self->caption = caption != NULL && *caption != '\0' ? g_strdup (caption) : NULL;
  return self;
}

guint
kios_catalog_item_get_index (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), 0);

  return self->index;
}

const char *
kios_catalog_item_get_title (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), NULL);

  return self->title;
}

const char *
kios_catalog_item_get_authors (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), NULL);

  return self->authors;
}

const char *
kios_catalog_item_get_caption (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), NULL);

  return self->caption;
}

KiosCardState
kios_catalog_item_get_state (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), KIOS_CARD_STATE_DOWNLOADABLE);

  return self->state;
}

double
kios_catalog_item_get_progress (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), 0.0);

  return self->progress;
}

void
kios_catalog_item_set_state (KiosCatalogItem *self,
                             KiosCardState    state,
                             double           progress)
{
  g_return_if_fail (KIOS_IS_CATALOG_ITEM (self));

  progress = state == KIOS_CARD_STATE_DOWNLOADING ? CLAMP (progress, -1.0, 1.0) : 0.0;
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->progress != progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
}

void
kios_catalog_item_set_remote_cover (KiosCatalogItem *self,
                                    KiosOpdsClient  *client,
                                    const char      *thumbnail_href,
                                    const char      *cover_href)
{
  g_return_if_fail (KIOS_IS_CATALOG_ITEM (self));

  g_clear_pointer (&self->client, kios_opds_client_free);
  self->client = client != NULL ? kios_opds_client_ref (client) : NULL;
  g_free (self->thumbnail_href);
  g_free (self->cover_href);
  /* Either stands in for the other. */
  self->thumbnail_href = g_strdup (thumbnail_href != NULL ? thumbnail_href : cover_href);
  self->cover_href = g_strdup (cover_href != NULL ? cover_href : thumbnail_href);
}

void
kios_catalog_item_set_cover_path (KiosCatalogItem *self,
                                  const char      *path)
{
  g_return_if_fail (KIOS_IS_CATALOG_ITEM (self));

  if (g_strcmp0 (self->cover_path, path) == 0)
    return;
  g_free (self->cover_path);
  self->cover_path = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COVER_PATH]);
}

const char *
kios_catalog_item_get_cover_path (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), NULL);

  return self->cover_path;
}

gboolean
kios_catalog_item_has_cover (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), FALSE);

  return self->cover_path != NULL || (self->client != NULL && self->cover_href != NULL);
}

gboolean
kios_catalog_item_has_thumbnail (KiosCatalogItem *self)
{
  g_return_val_if_fail (KIOS_IS_CATALOG_ITEM (self), FALSE);

  return self->cover_path == NULL && self->client != NULL && g_strcmp0 (self->thumbnail_href, self->cover_href) != 0;
}

/* ---- covers --------------------------------------------------------------- */

typedef struct
{
  KiosOpdsClient *client;
  char           *href;
  int             width;
  int             height;
} CoverJob;

static void
cover_job_free (CoverJob *job)
{
  g_clear_pointer (&job->client, kios_opds_client_free);
  g_free (job->href);
  g_free (job);
}

/* The fetches waiting for a slot (GTask*, owned), main context only. */
static GQueue waiting = G_QUEUE_INIT;
static guint  n_fetching;
static guint  pump_id;

static void
decoded_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError           *error = NULL;
  GdkTexture       *texture = kios_cover_loader_load_finish (result, &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

/* The one loader decodes a file: a record whose cover is that file. */
static void
decode (GTask      *task,
        const char *path)
{
  CoverJob      *job = g_task_get_task_data (task);
  KiosBookRecord record = { 0 };

  record.cover_path = (char *) path;
  kios_cover_loader_load_async (&record, job->width, job->height, g_task_get_cancellable (task), decoded_cb, task);
}

static void pump (void);

static void
fetched_cb (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask           *task = user_data;
  GError          *error = NULL;
  g_autofree char *path = kios_opds_client_fetch_cover_finish (NULL, result, &error);

  n_fetching--;
  pump ();
  if (path == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  decode (task, path);
}

static void
pump (void)
{
  GTask *task;

  while (n_fetching < MAX_FETCHES && (task = g_queue_pop_head (&waiting)) != NULL)
    {
      CoverJob *job = g_task_get_task_data (task);

      /* A card that scrolled away meanwhile: nothing is asked for. */
      if (g_task_return_error_if_cancelled (task))
        {
          g_object_unref (task);
          continue;
        }
      n_fetching++;
      kios_opds_client_fetch_cover_async (job->client, job->href, MAX_COVER_SIZE, g_task_get_cancellable (task),
                                          fetched_cb, task);
    }
}

/* Fetches start from the main loop, not in the call that asked: a card bound
 * and unbound in the same frame (scrolled past) asks the server nothing. */
static gboolean
pump_idle_cb (gpointer user_data)
{
  pump_id = 0;
  pump ();
  return G_SOURCE_REMOVE;
}

static void
queue_fetch (GTask *task)
{
  g_queue_push_tail (&waiting, task);
  if (pump_id == 0)
    pump_id = g_idle_add (pump_idle_cb, NULL);
}

static GTask *
cover_task_new (KiosOpdsClient     *client,
                const char         *href,
                int                 width,
                int                 height,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  GTask    *task = g_task_new (NULL, cancellable, callback, user_data);
  CoverJob *job = g_new0 (CoverJob, 1);

  job->client = client != NULL ? kios_opds_client_ref (client) : NULL;
  job->href = g_strdup (href);
  job->width = MAX (width, 1);
  job->height = MAX (height, 1);
  g_task_set_source_tag (task, kios_catalog_cover_load_async);
  g_task_set_task_data (task, job, (GDestroyNotify) cover_job_free);
  return task;
}

void
kios_catalog_cover_load_async (KiosOpdsClient     *client,
                               const char         *href,
                               int                 width,
                               int                 height,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_return_if_fail (client != NULL);
  g_return_if_fail (href != NULL);

  queue_fetch (cover_task_new (client, href, width, height, cancellable, callback, user_data));
}

GdkTexture *
kios_catalog_cover_load_finish (GAsyncResult *result,
                                GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kios_catalog_item_load_cover_async (KiosCatalogItem    *self,
                                    gboolean            full,
                                    gboolean            cached_only,
                                    int                 width,
                                    int                 height,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  GTask      *task;
  const char *href;

  g_return_if_fail (KIOS_IS_CATALOG_ITEM (self));

  href = full ? self->cover_href : self->thumbnail_href;
  task = cover_task_new (self->client, href, width, height, cancellable, callback, user_data);
  if (self->cover_path != NULL)
    decode (task, self->cover_path);
  else if (self->client == NULL || href == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No cover");
      g_object_unref (task);
    }
  else if (cached_only)
    {
      /* The loader finds the file or says it is not there. */
      g_autofree char *cached = kios_opds_cover_cache_path (href);

      decode (task, cached);
    }
  else
    {
      queue_fetch (task);
    }
}

GdkTexture *
kios_catalog_item_load_cover_finish (GAsyncResult *result,
                                     GError      **error)
{
  return kios_catalog_cover_load_finish (result, error);
}
