/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-library-model"

#include "config.h"

#include "kios-library-model.h"

struct _KiosBookItem
{
  GObject parent_instance;

  KiosBookRecord *record;
};

G_DEFINE_FINAL_TYPE (KiosBookItem, kios_book_item, G_TYPE_OBJECT)

static void
kios_book_item_finalize (GObject *object)
{
  KiosBookItem *self = KIOS_BOOK_ITEM (object);

  g_clear_pointer (&self->record, kios_book_record_free);

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

struct _KiosLibraryModel
{
  GObject parent_instance;

  GPtrArray *items; /* element-type KiosBookItem */
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
  g_autofree KiosBookRecord **records = NULL;
  gsize                       n_records = 0;
  guint                       removed;

  g_return_if_fail (KIOS_IS_LIBRARY_MODEL (self));
  g_return_if_fail (books != NULL);

  removed = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  /* Taken, not copied: 10,000 records are not duplicated per keystroke. */
  records = (KiosBookRecord **) g_ptr_array_steal (books, &n_records);
  for (gsize i = 0; i < n_records; i++)
    {
      KiosBookItem *item = g_object_new (KIOS_TYPE_BOOK_ITEM, NULL);

      item->record = records[i];
      g_ptr_array_add (self->items, item);
    }

  if (removed > 0 || self->items->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->items->len);
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
