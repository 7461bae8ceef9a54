/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-model"

#include "config.h"

#include "kios-library-model.h"

#include <string.h>

struct _KiosBookItem
{
  GObject parent_instance;

  KiosBookRecord *record;
  char           *key; /* folded title, authors and series */
};

G_DEFINE_FINAL_TYPE (KiosBookItem, kios_book_item, G_TYPE_OBJECT)

static void
kios_book_item_finalize (GObject *object)
{
  KiosBookItem *self = KIOS_BOOK_ITEM (object);

  g_clear_pointer (&self->record, kios_book_record_free);
  g_clear_pointer (&self->key, g_free);

  G_OBJECT_CLASS (kios_book_item_parent_class)->finalize (object);
}

static void
kios_book_item_class_init (KiosBookItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_book_item_finalize;
}

static void
kios_book_item_init (KiosBookItem *self)
{
}

const KiosBookRecord *
kios_book_item_get_record (KiosBookItem *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_ITEM (self), NULL);

  return self->record;
}

const char *
kios_book_item_get_key (KiosBookItem *self)
{
  g_return_val_if_fail (KIOS_IS_BOOK_ITEM (self), NULL);

  return self->key;
}

gboolean
kios_book_item_matches (KiosBookItem      *self,
                        const char *const *words)
{
  g_return_val_if_fail (KIOS_IS_BOOK_ITEM (self), FALSE);

  if (words == NULL)
    return TRUE;
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0' && strstr (self->key, words[i]) == NULL)
      return FALSE;
  return TRUE;
}

static KiosBookItem *
book_item_new (KiosBookRecord *record)
{
  KiosBookItem    *item = g_object_new (KIOS_TYPE_BOOK_ITEM, NULL);
  g_autofree char *joined = NULL;

  item->record = record;
  joined = g_strjoin (" ", record->title != NULL ? record->title : "", record->authors != NULL ? record->authors : "",
                      record->series != NULL ? record->series : "", NULL);
  item->key = kios_library_store_fold (joined);
  return item;
}

GPtrArray *
kios_book_items_new (GPtrArray *books)
{
  g_autofree KiosBookRecord **records = NULL;
  gsize                       n_records = 0;
  GPtrArray                  *items;

  g_return_val_if_fail (books != NULL, NULL);

  /* Taken, not copied: 10,000 records are not duplicated per list. */
  records = (KiosBookRecord **) g_ptr_array_steal (books, &n_records);
  items = g_ptr_array_new_full (n_records, g_object_unref);
  for (gsize i = 0; i < n_records; i++)
    g_ptr_array_add (items, book_item_new (records[i]));
  return items;
}

static gboolean
records_equal (const KiosBookRecord *a,
               const KiosBookRecord *b)
{
  return g_strcmp0 (a->hash, b->hash) == 0 && g_strcmp0 (a->path, b->path) == 0 && a->size == b->size &&
         g_strcmp0 (a->format, b->format) == 0 && g_strcmp0 (a->title, b->title) == 0 &&
         g_strcmp0 (a->authors, b->authors) == 0 && g_strcmp0 (a->cover_path, b->cover_path) == 0 &&
         a->added_at == b->added_at && a->last_opened_at == b->last_opened_at && a->progress == b->progress &&
         g_strcmp0 (a->series, b->series) == 0 && a->finished_at == b->finished_at &&
         !a->missing == !b->missing && !a->downloaded == !b->downloaded;
}

static gboolean
items_equal (gconstpointer a,
             gconstpointer b)
{
  return records_equal (((const KiosBookItem *) a)->record, ((const KiosBookItem *) b)->record);
}

struct _KiosLibraryModel
{
  GObject parent_instance;

  GPtrArray *items;      /* element-type KiosBookItem: what the model holds */
  GPtrArray *pending;    /* element-type KiosBookItem: still to go in, nullable */
  guint      pending_at; /* where they go, in items */
};

static void kios_library_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosLibraryModel, kios_library_model, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, kios_library_model_list_model_init))

static GType
kios_library_model_get_item_type (GListModel *model)
{
  return KIOS_TYPE_BOOK_ITEM;
}

static guint
kios_library_model_get_n_items (GListModel *model)
{
  return KIOS_LIBRARY_MODEL (model)->items->len;
}

static gpointer
kios_library_model_get_item (GListModel *model,
                             guint       position)
{
  KiosLibraryModel *self = KIOS_LIBRARY_MODEL (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
kios_library_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kios_library_model_get_item_type;
  iface->get_n_items = kios_library_model_get_n_items;
  iface->get_item = kios_library_model_get_item;
}

static void
kios_library_model_finalize (GObject *object)
{
  KiosLibraryModel *self = KIOS_LIBRARY_MODEL (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (kios_library_model_parent_class)->finalize (object);
}

static void
kios_library_model_class_init (KiosLibraryModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_library_model_finalize;
}

static void
kios_library_model_init (KiosLibraryModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

KiosLibraryModel *
kios_library_model_new (void)
{
  return g_object_new (KIOS_TYPE_LIBRARY_MODEL, NULL);
}

void
kios_library_model_set_books (KiosLibraryModel *self,
                              GPtrArray        *books)
{
  g_autoptr (GPtrArray) items = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_MODEL (self));
  g_return_if_fail (books != NULL);

  items = kios_book_items_new (books);
  kios_library_model_set_items (self, items);
}

void
kios_library_model_set_items (KiosLibraryModel *self,
                              GPtrArray        *items)
{
  g_return_if_fail (KIOS_IS_LIBRARY_MODEL (self));
  g_return_if_fail (items != NULL);

  kios_library_model_stage_items (self, items, G_MAXUINT);
}

/* Inserts the first n pending items at their place. */
static void
insert_pending (KiosLibraryModel *self,
                guint             n)
{
  guint at = self->pending_at;

  n = MIN (n, self->pending->len);
  /* A GPtrArray grows by moving its tail once per insert: build the new
   * array in one pass instead. */
  {
    GPtrArray *merged = g_ptr_array_new_full (self->items->len + n, g_object_unref);

    for (guint i = 0; i < at; i++)
      g_ptr_array_add (merged, g_object_ref (self->items->pdata[i]));
    for (guint i = 0; i < n; i++)
      g_ptr_array_add (merged, g_object_ref (self->pending->pdata[i]));
    for (guint i = at; i < self->items->len; i++)
      g_ptr_array_add (merged, g_object_ref (self->items->pdata[i]));
    g_ptr_array_unref (self->items);
    self->items = merged;
  }
  g_ptr_array_remove_range (self->pending, 0, n);
  self->pending_at += n;
  if (self->pending->len == 0)
    g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_list_model_items_changed (G_LIST_MODEL (self), at, 0, n);
}

gboolean
kios_library_model_stage_items (KiosLibraryModel *self,
                                GPtrArray        *items,
                                guint             max_added)
{
  GPtrArray *merged;
  guint      n_old, n_new, head = 0, tail = 0, now;

  g_return_val_if_fail (KIOS_IS_LIBRARY_MODEL (self), FALSE);
  g_return_val_if_fail (items != NULL, FALSE);

  /* A list still going in is replaced by this one: what is in stays the
   * base the new list is compared with. */
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  /* The same books in the same order at both ends stay as they are (their
   * items, and so their cards); only the span between is replaced. */
  n_old = self->items->len;
  n_new = items->len;
  while (head < n_old && head < n_new && items_equal (self->items->pdata[head], items->pdata[head]))
    head++;
  while (tail < n_old - head && tail < n_new - head &&
         items_equal (self->items->pdata[n_old - 1 - tail], items->pdata[n_new - 1 - tail]))
    tail++;
  if (head == n_old && head == n_new)
    return FALSE;

  /* The old span is replaced by as much of the new one (a grid rebinds the
   * cards it had rather than making new ones), or max_added if more; the
   * rest waits for kios_library_model_step. */
  now = MIN (MAX (max_added, n_old - head - tail), n_new - head - tail);
  merged = g_ptr_array_new_full (head + now + tail, g_object_unref);
  for (guint i = 0; i < head; i++)
    g_ptr_array_add (merged, g_object_ref (self->items->pdata[i]));
  for (guint i = head; i < head + now; i++)
    g_ptr_array_add (merged, g_object_ref (items->pdata[i]));
  for (guint i = n_old - tail; i < n_old; i++)
    g_ptr_array_add (merged, g_object_ref (self->items->pdata[i]));
  g_ptr_array_unref (self->items);
  self->items = merged;
  if (head + now < n_new - tail)
    {
      self->pending = g_ptr_array_new_full (n_new - tail - head - now, g_object_unref);
      for (guint i = head + now; i < n_new - tail; i++)
        g_ptr_array_add (self->pending, g_object_ref (items->pdata[i]));
      self->pending_at = head + now;
    }
  if (n_old - head - tail > 0 || now > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), head, n_old - head - tail, now);
  return self->pending != NULL;
}

gboolean
kios_library_model_step (KiosLibraryModel *self,
                         guint             max_added)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_MODEL (self), FALSE);

  if (self->pending != NULL && max_added > 0)
    insert_pending (self, max_added);
  return self->pending != NULL;
}

guint
kios_library_model_get_pending (KiosLibraryModel *self)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_MODEL (self), 0);

  return self->pending != NULL ? self->pending->len : 0;
}

const KiosBookRecord *
kios_library_model_get_book (KiosLibraryModel *self,
                             guint             position)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_MODEL (self), NULL);

  if (position >= self->items->len)
    return NULL;

  return KIOS_BOOK_ITEM (g_ptr_array_index (self->items, position))->record;
}

gboolean
kios_library_model_find (KiosLibraryModel *self,
                         const char       *hash,
                         guint            *position)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_MODEL (self), FALSE);

  for (guint i = 0; i < self->items->len; i++)
    {
      KiosBookItem *item = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (item->record->hash, hash) == 0)
        {
          if (position != NULL)
            *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

struct _KiosSlotModel
{
  GObject parent_instance;

  GPtrArray *slots;   /* element-type GObject: made as first asked for, kept */
  guint      n_items; /* how many of them the model holds */
};

static void kios_slot_model_list_model_init (GListModelInterface *iface);

static void
slot_free (gpointer slot)
{
  if (slot != NULL)
    g_object_unref (slot);
}

G_DEFINE_FINAL_TYPE_WITH_CODE (KiosSlotModel, kios_slot_model, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, kios_slot_model_list_model_init))

static GType
kios_slot_model_get_item_type (GListModel *model)
{
  return G_TYPE_OBJECT;
}

static guint
kios_slot_model_get_n_items (GListModel *model)
{
  return KIOS_SLOT_MODEL (model)->n_items;
}

static gpointer
kios_slot_model_get_item (GListModel *model,
                          guint       position)
{
  KiosSlotModel *self = KIOS_SLOT_MODEL (model);

  if (position >= self->n_items)
    return NULL;
  /* Slots are made as a grid asks for them: a grid asks for those it shows. */
  if (position >= self->slots->len)
    g_ptr_array_set_size (self->slots, position + 1);
  if (self->slots->pdata[position] == NULL)
    self->slots->pdata[position] = g_object_new (G_TYPE_OBJECT, NULL);
  return g_object_ref (self->slots->pdata[position]);
}

static void
kios_slot_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kios_slot_model_get_item_type;
  iface->get_n_items = kios_slot_model_get_n_items;
  iface->get_item = kios_slot_model_get_item;
}

static void
kios_slot_model_finalize (GObject *object)
{
  KiosSlotModel *self = KIOS_SLOT_MODEL (object);

  g_clear_pointer (&self->slots, g_ptr_array_unref);

  G_OBJECT_CLASS (kios_slot_model_parent_class)->finalize (object);
}

static void
kios_slot_model_class_init (KiosSlotModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kios_slot_model_finalize;
}

static void
kios_slot_model_init (KiosSlotModel *self)
{
  self->slots = g_ptr_array_new_with_free_func (slot_free);
}

KiosSlotModel *
kios_slot_model_new (void)
{
  return g_object_new (KIOS_TYPE_SLOT_MODEL, NULL);
}

void
kios_slot_model_set_n_items (KiosSlotModel *self,
                             guint          n_items)
{
  guint old;

  g_return_if_fail (KIOS_IS_SLOT_MODEL (self));

  old = self->n_items;
  if (n_items == old)
    return;
  self->n_items = n_items;
  if (n_items > old)
    g_list_model_items_changed (G_LIST_MODEL (self), old, 0, n_items - old);
  else
    g_list_model_items_changed (G_LIST_MODEL (self), n_items, old - n_items, 0);
}
