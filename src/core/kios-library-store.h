/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-annotation.h"
#include "kios-position.h"
#include "kios-sync-status.h"

G_BEGIN_DECLS

/*
 * KiosLibraryStore: the SQLite library (library.db, WAL mode). All writes go
 * through one writer thread fed by a queue, so a page turn never waits on the
 * disk; each write is one transaction, so a kill -9 at any moment loses at
 * most the writes still queued and never corrupts the file. Reads use a
 * separate read-only connection per calling thread and see every write that
 * was queued before them (the read first waits for the queue to drain up to
 * that write), so "save then load" always returns what was saved.
 *
 * The synchronous getters block on SQLite: call them from workers or from
 * kiosctl; the UI uses the _async variants. A getter that finds no row
 * returns NULL with KIOS_STORE_ERROR_NOT_FOUND (get_book_meta: just NULL).
 *
 * A queued write that fails is never dropped silently: the store emits
 * "write-failed" (a GError) on the main context it was created in, once per
 * run of failures, and the next flush returns FALSE with that error.
 */

typedef struct
{
  gint64   id;
  char    *hash; /* KOReader partial MD5: the book's identity */
  char    *path;
  gint64   size;
  char    *format; /* "epub" | "pdf" */
  char    *title;
  char    *authors;    /* joined with ", " */
  char    *cover_path; /* a PNG thumbnail in the cache, or NULL */
  gint64   added_at;
  gint64   last_opened_at;
  double   progress;    /* total_progress of the saved position, 0..1 */
  char    *series;      /* nullable; upsert keeps the stored one when NULL */
  gint64   finished_at; /* marked finished (unix time), 0 = not marked */
  gboolean missing;     /* the file was gone when last checked */
  gboolean downloaded;  /* Kios put the file there (a download), so it may delete it */
} KiosBookRecord;

typedef struct
{
  gint64 id;
  char  *name;          /* unique, the user's display name */
  char  *kind;          /* "kosync" | "opds" | "kobo" */
  char  *url;           /* NULL when the URL itself is a secret (kept in libsecret) */
  char  *auth;          /* "headers" | "basic" | "none" | … */
  char  *username;      /* NULL when it is a secret */
  char  *settings_json; /* free-form per-kind settings, never secrets */
} KiosSourceRecord;

#define KIOS_TYPE_LIBRARY_STORE (kios_library_store_get_type ())
G_DECLARE_FINAL_TYPE (KiosLibraryStore, kios_library_store, KIOS, LIBRARY_STORE, GObject)

/* clang-format off */
KiosLibraryStore *kios_library_store_new                 (const char        *db_path,
                                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;
const char       *kios_library_store_get_path            (KiosLibraryStore  *self);

/* Writes: queued, never block; a failed write is reported ("write-failed",
 * flush) and logged once with g_warning.
 * upsert_book keeps a known book's added_at, never moves last_opened_at back
 * and leaves progress to save_position (which sets it to total_progress).
 * set_book_meta with a NULL value removes the key. */
void              kios_library_store_upsert_book         (KiosLibraryStore  *self,
                                                          const KiosBookRecord *book);
void              kios_library_store_touch_book          (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          gint64             last_opened_at);
void              kios_library_store_save_position       (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const KiosPosition *position);
void              kios_library_store_set_book_meta       (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *key,
                                                          const char        *value);
/* Waits until every queued write is on disk, at most timeout_ms; FALSE on
 * timeout or when a queued write failed since the previous flush. */
gboolean          kios_library_store_flush               (KiosLibraryStore  *self,
                                                          guint              timeout_ms);
/* The same, saying why: KIOS_STORE_ERROR_FAILED "timed out", or the failed
 * write's error. */
gboolean          kios_library_store_flush_checked       (KiosLibraryStore  *self,
                                                          guint              timeout_ms,
                                                          GError           **error);

/* Reads (blocking). */
KiosBookRecord   *kios_library_store_get_book            (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          GError           **error);
KiosBookRecord   *kios_library_store_get_book_by_path    (KiosLibraryStore  *self,
                                                          const char        *path,
                                                          GError           **error);
KiosPosition     *kios_library_store_get_position        (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          GError           **error);
char             *kios_library_store_get_book_meta       (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *key);
/* Most recently opened first (never-opened books last, newest added first);
 * limit 0 = all; element-type KiosBookRecord. */
GPtrArray        *kios_library_store_list_recent         (KiosLibraryStore  *self,
                                                          guint              limit,
                                                          GError           **error);
void              kios_library_store_list_recent_async   (KiosLibraryStore  *self,
                                                          guint              limit,
                                                          GCancellable      *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer           user_data);
GPtrArray        *kios_library_store_list_recent_finish  (KiosLibraryStore  *self,
                                                          GAsyncResult      *result,
                                                          GError           **error);

/* Sources (synchronous, transactional; they are rare and user-driven).
 * add_source sets source->id; a taken name fails with KIOS_STORE_ERROR_FAILED.
 * update_source finds the row by id when id > 0 (so it can rename: the sync
 * state and status rows and the books' "*.source" meta follow the new name
 * in the same transaction), else by name. remove_source also drops the
 * source's sync state. */
gboolean          kios_library_store_add_source          (KiosLibraryStore  *self,
                                                          KiosSourceRecord  *source,
                                                          GError           **error);
gboolean          kios_library_store_update_source       (KiosLibraryStore  *self,
                                                          const KiosSourceRecord *source,
                                                          GError           **error);
gboolean          kios_library_store_remove_source       (KiosLibraryStore  *self,
                                                          const char        *name,
                                                          GError           **error);
KiosSourceRecord *kios_library_store_get_source          (KiosLibraryStore  *self,
                                                          const char        *name,
                                                          GError           **error);
GPtrArray        *kios_library_store_list_sources        (KiosLibraryStore  *self,
                                                          GError           **error);

/* Sync state per (book, source): pending push and last remote seen.
 * clear_pending_push clears only when the pending position's updated_at
 * equals pushed_updated_at: a newer position that became pending while that
 * push was in flight stays pending. */
void              kios_library_store_set_pending_push    (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          const KiosPosition *position);
void              kios_library_store_clear_pending_push  (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          gint64             pushed_updated_at);
KiosPosition     *kios_library_store_get_pending_push    (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          GError           **error);
void              kios_library_store_set_last_pushed     (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          const KiosPosition *position);
KiosPosition     *kios_library_store_get_last_pushed     (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          GError           **error);
void              kios_library_store_set_last_remote     (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          const char        *remote_json);
char             *kios_library_store_get_last_remote     (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          GError           **error);
/* Bounded diagnostic log (the oldest rows are dropped past 1000); never
 * secrets. log_sync derives direction and result from the event word
 * ("push", "push-failed", "readium-put", …); add_sync_log stores an entry as
 * it is (time 0 = now; detail and remote are redacted again). */
void              kios_library_store_log_sync            (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *source,
                                                          const char        *event,
                                                          const char        *detail);
void              kios_library_store_add_sync_log        (KiosLibraryStore  *self,
                                                          const KiosSyncLogEntry *entry);
/* Newest first; hash NULL = every entry; limit 0 = all kept. Only push and
 * pull entries (not account diagnostics). element-type KiosSyncLogEntry. */
GPtrArray        *kios_library_store_list_sync_log       (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          guint              limit,
                                                          GError           **error);

/* Stored sync status per (source, book); book_hash NULL = the source as a
 * whole. set_sync_status replaces the row (queued). get: NOT_FOUND when
 * none. list: hash NULL = the sources' rows, else that book's rows; by
 * source name. */
void              kios_library_store_set_sync_status     (KiosLibraryStore  *self,
                                                          const KiosSyncStatus *status);
KiosSyncStatus   *kios_library_store_get_sync_status     (KiosLibraryStore  *self,
                                                          const char        *source,
                                                          const char        *book_hash,
                                                          GError           **error);
GPtrArray        *kios_library_store_list_sync_status    (KiosLibraryStore  *self,
                                                          const char        *book_hash,
                                                          GError           **error);

/* The library as a collection (kios-library-store-books.c), for KiosLibrary.
 * list_books: sort is a KiosLibrarySort; search (nullable) matches when
 * every word of it is in the book's title, authors or series, case and
 * accents folded. upsert_books writes many books in one transaction.
 * set_book_path also clears missing. remove_book takes every row of the
 * book (book, position, meta, sync state, status and log) out in one
 * transaction and returns them for restore_book; exclude keeps rescans from
 * importing the file again (until the book is upserted again). */
typedef struct _KiosStoreBookRows KiosStoreBookRows;

GPtrArray        *kios_library_store_list_books          (KiosLibraryStore  *self,
                                                          guint              sort,
                                                          const char        *search,
                                                          GError           **error);
void              kios_library_store_upsert_books        (KiosLibraryStore  *self,
                                                          GPtrArray         *books);
void              kios_library_store_set_book_path       (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          const char        *path,
                                                          gint64             size);
void              kios_library_store_set_book_missing    (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          gboolean           missing);
void              kios_library_store_set_book_finished   (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          gint64             finished_at);
KiosStoreBookRows *kios_library_store_remove_book        (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          gboolean           exclude,
                                                          GError           **error);
gboolean          kios_library_store_restore_book        (KiosLibraryStore  *self,
                                                          KiosStoreBookRows *rows,
                                                          GError           **error);
void              kios_store_book_rows_free              (KiosStoreBookRows *rows);
/* Sources with a position waiting to be pushed for the book. */
GStrv             kios_library_store_list_pending_sources (KiosLibraryStore *self,
                                                          const char        *hash,
                                                          GError           **error);
/* Books folders, by path. add: TRUE when it was new. */
GStrv             kios_library_store_list_folders        (KiosLibraryStore  *self,
                                                          GError           **error);
gboolean          kios_library_store_add_folder          (KiosLibraryStore  *self,
                                                          const char        *path,
                                                          GError           **error);
gboolean          kios_library_store_remove_folder       (KiosLibraryStore  *self,
                                                          const char        *path,
                                                          GError           **error);
/* Hashes of books removed while their file stayed in a folder. */
GStrv             kios_library_store_list_excluded       (KiosLibraryStore  *self,
                                                          GError           **error);

/* Bookmarks and highlights (kios-library-store-annotations.c). Each call
 * is one small single-row statement (list: one indexed query over one
 * book's rows), so all of them may run on the main thread; the writes wait
 * for the writer thread behind any queued writes (milliseconds). add sets
 * annotation->id, and created_at, updated_at (now) and origin ("kios") when
 * unset; it refuses a range without a hash or start, a highlight without an
 * end or ending before it starts, and a colour other than yellow, green,
 * blue or red. update changes the note and the colour (and updated_at: now
 * when 0). update and delete of an unknown id fail with
 * KIOS_STORE_ERROR_NOT_FOUND. list: reading order (start chapter and
 * offset, then end, then id); element-type KiosAnnotation. count is 0 on
 * any error. */
gboolean          kios_library_store_add_annotation      (KiosLibraryStore  *self,
                                                          KiosAnnotation    *annotation,
                                                          GError           **error);
gboolean          kios_library_store_update_annotation   (KiosLibraryStore  *self,
                                                          const KiosAnnotation *annotation,
                                                          GError           **error);
gboolean          kios_library_store_delete_annotation   (KiosLibraryStore  *self,
                                                          gint64             id,
                                                          GError           **error);
gboolean          kios_library_store_delete_book_annotations (KiosLibraryStore *self,
                                                          const char        *hash,
                                                          GError           **error);
GPtrArray        *kios_library_store_list_annotations    (KiosLibraryStore  *self,
                                                          const char        *hash,
                                                          GError           **error);
void              kios_library_store_list_annotations_async (KiosLibraryStore *self,
                                                          const char        *hash,
                                                          GCancellable      *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer           user_data);
GPtrArray        *kios_library_store_list_annotations_finish (KiosLibraryStore *self,
                                                          GAsyncResult      *result,
                                                          GError           **error);
int               kios_library_store_count_annotations   (KiosLibraryStore  *self,
                                                          const char        *hash);
/* The form search and sort keys are kept in: lower case, accents and other
 * combining marks removed, compatibility forms unified ("ﬁ" → "fi"), runs of
 * space as one ("Émile  Zola" and "emile zola" fold alike). NULL for NULL. */
char             *kios_library_store_fold                (const char        *text);

KiosBookRecord   *kios_book_record_copy                  (const KiosBookRecord *self);
void              kios_book_record_free                  (KiosBookRecord    *self);
KiosSourceRecord *kios_source_record_copy                (const KiosSourceRecord *self);
void              kios_source_record_free                (KiosSourceRecord  *self);
/* Whether sync through the source is on (settings_json "enabled"; default
 * TRUE); set_enabled keeps every other setting. */
gboolean          kios_source_record_get_enabled         (const KiosSourceRecord *self);
void              kios_source_record_set_enabled         (KiosSourceRecord  *self,
                                                          gboolean           enabled);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosBookRecord, kios_book_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosSourceRecord, kios_source_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosStoreBookRows, kios_store_book_rows_free)

G_END_DECLS
