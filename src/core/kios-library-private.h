/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-library.h"

G_BEGIN_DECLS

/*
 * KiosLibrary is one class in two files: kios-library.c (the GObject,
 * listing, removal, folders) and kios-library-scan.c (rescans, the import
 * workers, book metadata, the folder monitors).
 */

/* Below the data directory: files of removed books during the undo window. */
#define KIOS_LIBRARY_TRASH_DIR "removed"

/* How long a removal waits for the book's pending sync push to go out. */
#define KIOS_LIBRARY_FLUSH_TIMEOUT_MS 3000

struct _KiosLibrary
{
  GObject parent_instance;

  KiosLibraryStore *store;
  KiosSyncService  *sync_service; /* nullable */
  GMainContext     *context;      /* where signals are emitted */
  /* Shared with workers and pending idles; cleared in dispose. */
  gpointer relay;

  /* Monitoring (main context only). */
  GPtrArray    *monitors; /* GFileMonitor */
  GHashTable   *watched;  /* directory path → TRUE */
  GCancellable *monitor_cancellable;
  guint         rescan_source_id;
  guint         rescan_running : 1;
  guint         rescan_again : 1;
  guint         monitoring : 1;
};

/* clang-format off */
/* kios-library.c: emits on the library's context, from any thread. */
void     kios_library_emit_changed   (KiosLibrary *self);
void     kios_library_emit_progress  (KiosLibrary *self,
                                      guint        done,
                                      guint        total);
/* An absolute, canonical form of dir (symbolic links resolved when it exists). */
char    *kios_library_canonical_dir  (const char  *dir);
/* kios-library-scan.c */
void     kios_library_scan_dispose   (KiosLibrary *self);
/* Title, authors and series of a book file without rendering it (EPUB: the
 * package document; PDF: the document info). FALSE when the file is not an
 * EPUB or PDF Kios can read. */
gboolean kios_library_read_metadata  (const char  *path,
                                      char       **format,
                                      char       **title,
                                      char       **authors,
                                      char       **series,
                                      GError     **error);
/* clang-format on */

G_END_DECLS
