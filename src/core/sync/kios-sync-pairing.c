/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-pairing"

#include "config.h"

#include "kios-sync-pairing.h"

#include "kios-kobo-library.h"
#include "kios-sync-error.h"
#include "kios-sync-settings.h"

#include <string.h>

/* A Kobo book id: what the servers use (UUIDs, numbers, Komga ids). */
static gboolean
kobo_id_is_valid (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > 128)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-' && id[i] != '_')
      return FALSE;
  return TRUE;
}

gboolean
kios_sync_pairing_set (KiosLibraryStore       *store,
                       const char             *book_hash,
                       const KiosSourceRecord *source,
                       const char             *id,
                       GError                **error)
{
  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), FALSE);
  g_return_val_if_fail (book_hash != NULL && source != NULL, FALSE);

  if (g_strcmp0 (source->kind, "kosync") == 0)
    {
      if (!kios_kosync_document_id_is_valid (id))
        {
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                       "A KOReader sync document id is 1 to 64 letters, digits or underscores");
          return FALSE;
        }
      kios_library_store_set_book_meta (store, book_hash, KIOS_KOSYNC_META_SOURCE, source->name);
      kios_library_store_set_book_meta (store, book_hash, KIOS_KOSYNC_META_DOCUMENT, id);
      return TRUE;
    }
  if (g_strcmp0 (source->kind, "kobo") == 0)
    {
      if (!kobo_id_is_valid (id))
        {
          g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
                       "A Kobo book id is 1 to 128 letters, digits, dashes or underscores");
          return FALSE;
        }
      kios_library_store_set_book_meta (store, book_hash, KIOS_KOBO_META_SOURCE, source->name);
      kios_library_store_set_book_meta (store, book_hash, KIOS_KOBO_META_ENTITLEMENT_ID, id);
      return TRUE;
    }
  g_set_error (error, KIOS_SYNC_ERROR, KIOS_SYNC_ERROR_UNSUPPORTED,
               "Books from a catalog are paired by downloading them from it: its entry brings the "
               "reading-progress link");
  return FALSE;
}

void
kios_sync_pairing_clear (KiosLibraryStore       *store,
                         const char             *book_hash,
                         const KiosSourceRecord *source)
{
  const char      *source_key = NULL;
  const char      *id_key = NULL;
  g_autofree char *paired = NULL;

  g_return_if_fail (KIOS_IS_LIBRARY_STORE (store));
  g_return_if_fail (book_hash != NULL && source != NULL);

  if (g_strcmp0 (source->kind, "kosync") == 0)
    {
      source_key = KIOS_KOSYNC_META_SOURCE;
      id_key = KIOS_KOSYNC_META_DOCUMENT;
    }
  else if (g_strcmp0 (source->kind, "kobo") == 0)
    {
      source_key = KIOS_KOBO_META_SOURCE;
      id_key = KIOS_KOBO_META_ENTITLEMENT_ID;
    }
  else
    return;
  paired = kios_library_store_get_book_meta (store, book_hash, source_key);
  if (g_strcmp0 (paired, source->name) != 0)
    return;
  kios_library_store_set_book_meta (store, book_hash, source_key, NULL);
  kios_library_store_set_book_meta (store, book_hash, id_key, NULL);
}

void
kios_sync_pairing_free (KiosSyncPairing *self)
{
  if (self == NULL)
    return;
  g_free (self->source);
  g_free (self->kind);
  g_free (self->id);
  g_free (self);
}

static void
add_pairing (GPtrArray        *pairings,
             KiosLibraryStore *store,
             const char       *book_hash,
             const char       *kind,
             const char       *source_key,
             const char       *id_key)
{
  g_autofree char *source = kios_library_store_get_book_meta (store, book_hash, source_key);
  g_autofree char *id = source != NULL ? kios_library_store_get_book_meta (store, book_hash, id_key) : NULL;
  KiosSyncPairing *pairing;

  if (source == NULL || id == NULL)
    return;
  pairing = g_new0 (KiosSyncPairing, 1);
  pairing->source = g_steal_pointer (&source);
  pairing->kind = g_strdup (kind);
  pairing->id = g_steal_pointer (&id);
  g_ptr_array_add (pairings, pairing);
}

GPtrArray *
kios_sync_pairing_list (KiosLibraryStore *store,
                        const char       *book_hash)
{
  GPtrArray *pairings = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_sync_pairing_free);

  g_return_val_if_fail (KIOS_IS_LIBRARY_STORE (store), pairings);
  g_return_val_if_fail (book_hash != NULL, pairings);

  /* A Kobo download carries the same meta: only a hand-made pairing has no
   * downloaded format recorded with it. */
  add_pairing (pairings, store, book_hash, "kosync", KIOS_KOSYNC_META_SOURCE, KIOS_KOSYNC_META_DOCUMENT);
  {
    g_autofree char *format = kios_library_store_get_book_meta (store, book_hash, KIOS_KOBO_META_FORMAT);

    if (format == NULL)
      add_pairing (pairings, store, book_hash, "kobo", KIOS_KOBO_META_SOURCE, KIOS_KOBO_META_ENTITLEMENT_ID);
  }
  return pairings;
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, kios_sync_pairing_list (source_object, task_data),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
kios_sync_pairing_list_async (KiosLibraryStore   *store,
                              const char         *book_hash,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, kios_sync_pairing_list_async);
  g_task_set_task_data (task, g_strdup (book_hash), g_free);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
kios_sync_pairing_list_finish (GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
