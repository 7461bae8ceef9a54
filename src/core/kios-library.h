/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-library-store.h"
#include "kios-sync-service.h"

G_BEGIN_DECLS

/*
 * KiosLibrary: the person's collection as a service over the store, shared
 * by the app (owned by the application) and kiosctl. GTK-free.
 *
 * - Listing: sorted, searched (title, author, series; case- and
 *   accent-insensitive) and with each book's state. Listing stats each
 *   listed file (cheap) and records a file that went away as missing.
 * - Books folders: every EPUB/PDF below them is imported in the background
 *   (hash and metadata, no covers), identified by KOReader hash: a moved
 *   file keeps its book (the path is updated, the position kept), a deleted
 *   one becomes MISSING. start_monitoring watches the folders while the app
 *   runs; the app calls rescan_async after its first frame.
 * - Remove with undo: the rows go (the book, its position, meta and sync
 *   state) and come back on undo. A book removed while its file stays in a
 *   books folder is not imported again by rescans (opening it re-adds it).
 *   delete_file (only for books Kios downloaded) moves the file to a trash
 *   area: undo moves it back, freeing the removal without undo deletes it.
 *
 * Signals, on the thread-default main context of the thread that made it:
 * - "changed" (): books were added, removed, moved or changed state.
 * - "import-progress" (guint done, guint total): a rescan's progress; done
 *   == total when it ends.
 */

/*
 * A book's state for the shelves:
 * - MISSING: its file is gone (checked by stat on list and in rescans).
 * - FINISHED: marked finished, or read to the end (progress >= 99.5 %).
 * - READING: past its first pages (progress > 1 %, about two screen pages of
 *   a 200-page book) and not finished: "Continue Reading".
 * - NEW: everything else (never opened, or opened and left on page one).
 */
typedef enum {
  KIOS_BOOK_STATE_NEW,
  KIOS_BOOK_STATE_READING,
  KIOS_BOOK_STATE_FINISHED,
  KIOS_BOOK_STATE_MISSING,
} KiosBookState;

#define KIOS_BOOK_READING_MIN_PROGRESS 0.01
#define KIOS_BOOK_FINISHED_PROGRESS 0.995

typedef enum {
  KIOS_LIBRARY_SORT_RECENT,   /* last opened first, then newest added */
  KIOS_LIBRARY_SORT_TITLE,    /* A–Z, accents and case folded */
  KIOS_LIBRARY_SORT_AUTHOR,   /* A–Z by authors, then title */
  KIOS_LIBRARY_SORT_ADDED,    /* newest added first */
  KIOS_LIBRARY_SORT_PROGRESS, /* furthest read first */
} KiosLibrarySort;

typedef struct _KiosLibraryRemoval KiosLibraryRemoval;

#define KIOS_TYPE_LIBRARY (kios_library_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibrary, kios_library, KIOS, LIBRARY, GObject)

/* clang-format off */
KiosBookState       kios_book_record_get_state         (const KiosBookRecord *book);
/* "new" | "reading" | "finished" | "missing" */
const char         *kios_book_state_to_string          (KiosBookState       state);
gboolean            kios_library_sort_from_string      (const char          *text,
                                                        KiosLibrarySort     *sort);

KiosLibrary        *kios_library_new                   (KiosLibraryStore    *store) G_GNUC_WARN_UNUSED_RESULT;
KiosLibraryStore   *kios_library_get_store             (KiosLibrary         *self);
/* Optional (nullable): the app's sync service. With it, remove sends the
 * book's pending push first (a few seconds at most) and drops, with a
 * notice, only what could not be sent; without it, a pending push is
 * dropped with a notice. */
void                kios_library_set_sync_service      (KiosLibrary         *self,
                                                        KiosSyncService     *sync_service);

/* element-type KiosBookRecord (transfer full). search: nullable. Blocking. */
GPtrArray          *kios_library_list                  (KiosLibrary         *self,
                                                        KiosLibrarySort      sort,
                                                        const char          *search,
                                                        GError             **error);
void                kios_library_list_async            (KiosLibrary         *self,
                                                        KiosLibrarySort      sort,
                                                        const char          *search,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray          *kios_library_list_finish           (KiosLibrary         *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Removes a book (KIOS_STORE_ERROR_NOT_FOUND when it is not in the
 * library). delete_file is refused (KIOS_LIBRARY_ERROR_NOT_DOWNLOADED) for
 * a book Kios did not download. Both are checked before anything else (a
 * refused removal sends nothing). A pending sync push is then sent when a
 * sync service is set; one that could not be sent is dropped and *notice
 * (nullable, transfer full, untranslated) names its sources; NULL when there
 * was none. Returns the undo token (free it when the undo window ends).
 * Blocking. */
KiosLibraryRemoval *kios_library_remove                (KiosLibrary         *self,
                                                        const char          *hash,
                                                        gboolean             delete_file,
                                                        char               **notice,
                                                        GError             **error);
void                kios_library_remove_async          (KiosLibrary         *self,
                                                        const char          *hash,
                                                        gboolean             delete_file,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
KiosLibraryRemoval *kios_library_remove_finish         (KiosLibrary         *self,
                                                        GAsyncResult        *result,
                                                        char               **notice,
                                                        GError             **error);
/* Puts back the rows (and the file, when it was moved aside). Blocking. */
gboolean            kios_library_undo_remove           (KiosLibrary         *self,
                                                        KiosLibraryRemoval  *removal,
                                                        GError             **error);
/* The same on a worker; removal must stay alive until the callback. */
void                kios_library_undo_remove_async     (KiosLibrary         *self,
                                                        KiosLibraryRemoval  *removal,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            kios_library_undo_remove_finish    (KiosLibrary         *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
const char         *kios_library_removal_get_hash      (KiosLibraryRemoval  *removal);
const char         *kios_library_removal_get_title     (KiosLibraryRemoval  *removal);
/* The sources (names) whose pending push went with the book, or NULL. */
const char *const  *kios_library_removal_get_unsent_sources (KiosLibraryRemoval *removal);
/* How many annotations the book had when it was removed. They stay in the
 * store, keyed by hash (a re-added book gets them back), unless
 * set_drop_annotations (TRUE): then they are deleted when the removal is
 * freed without an undo. */
int                 kios_library_removal_get_n_annotations (KiosLibraryRemoval *removal);
void                kios_library_removal_set_drop_annotations (KiosLibraryRemoval *removal,
                                                        gboolean             drop);
/* A book's annotations by kind (a highlight with a note counts as a note).
 * One indexed query: fine on the main thread. */
gboolean            kios_library_count_annotations     (KiosLibrary         *self,
                                                        const char          *hash,
                                                        guint               *n_highlights,
                                                        guint               *n_notes,
                                                        guint               *n_bookmarks,
                                                        GError             **error);
/* Ends the undo window: a file moved aside and not restored is deleted,
 * and so are annotations set to be dropped. */
void                kios_library_removal_free          (KiosLibraryRemoval  *removal);

/* finished TRUE: FINISHED whatever the progress. FALSE ("mark unread"): not
 * FINISHED even at the end, until a saved position leaves the end and a
 * later one reaches it again (the saved position itself is kept). */
gboolean            kios_library_set_finished          (KiosLibrary         *self,
                                                        const char          *hash,
                                                        gboolean             finished,
                                                        GError             **error);
/* Points a (missing) book at path: KIOS_LIBRARY_ERROR_OTHER_BOOK unless
 * the file has the book's KOReader hash. Blocking. */
gboolean            kios_library_locate                (KiosLibrary         *self,
                                                        const char          *hash,
                                                        const char          *path,
                                                        GError             **error);

/* Books folders (absolute, canonical paths). */
GStrv               kios_library_list_folders          (KiosLibrary         *self);
/* Records the folder (G_IO_ERROR_NOT_DIRECTORY / NOT_FOUND when it is not
 * one); import it with a rescan. */
gboolean            kios_library_add_folder            (KiosLibrary         *self,
                                                        const char          *dir,
                                                        GError             **error);
/* Forgets the folder; its books stay in the library. */
gboolean            kios_library_remove_folder         (KiosLibrary         *self,
                                                        const char          *dir,
                                                        GError             **error);
/* Imports new files below the folders, follows moved ones (same hash), marks
 * gone files missing and found ones present again. Blocking (kiosctl). */
gboolean            kios_library_rescan                (KiosLibrary         *self,
                                                        guint               *n_added,
                                                        guint               *n_missing,
                                                        GCancellable        *cancellable,
                                                        GError             **error);
void                kios_library_rescan_async          (KiosLibrary         *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            kios_library_rescan_finish         (KiosLibrary         *self,
                                                        GAsyncResult        *result,
                                                        guint               *n_added,
                                                        guint               *n_missing,
                                                        GError             **error);
/* A GFileMonitor per folder (and subfolder) while running: a change starts
 * a rescan shortly after (changes are gathered for a moment). */
void                kios_library_start_monitoring      (KiosLibrary         *self);
void                kios_library_stop_monitoring       (KiosLibrary         *self);
/* clang-format on */

#define KIOS_LIBRARY_ERROR (kios_library_error_quark ())

typedef enum {
  KIOS_LIBRARY_ERROR_OTHER_BOOK = 1, /* locate: the file is another book */
  KIOS_LIBRARY_ERROR_NOT_DOWNLOADED, /* remove: delete_file for a book Kios did not download */
} KiosLibraryError;

GQuark kios_library_error_quark (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosLibraryRemoval, kios_library_removal_free)

G_END_DECLS
