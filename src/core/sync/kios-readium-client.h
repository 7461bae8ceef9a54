/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

#include "kios-limits.h"
#include "kios-position.h"

G_BEGIN_DECLS

/*
 * Readium progression through an OPDS catalog (OPDS.md §4): the
 * Readium/Cantook document Komga serves (and Stump serves read-only), and
 * the OPDS Progression 1.0 draft. One client per book's progression link.
 *
 * Komga's rules are honoured on the way out: the locator's href is the
 * resource path inside the zip, locations.progression is snapped onto
 * Komga's grid (one position per started KiB of the uncompressed resource,
 * k/n, never the last 1/n), a 409 means "not newer than what the server
 * has" (no retry, no overwrite), a 204 or a `locator: {}` means "no
 * position". A refused PUT from a read-only server (Stump: 405) is a
 * result, not a failure.
 *
 * Credentials are the catalog's: sent only to the catalog's origin
 * (scheme, host, port), never after a redirect leaves it; over https Basic
 * goes at once, over http only after a 401 asks for it. Redirects are
 * followed here, by hand, at most KIOS_HTTP_DEFAULT_MAX_REDIRECTS. Every
 * call blocks (workers, kiosctl); one thread at a time per client. Errors
 * are KIOS_SYNC_ERROR_* with redacted URLs, or G_IO_ERROR_CANCELLED.
 */

#define KIOS_READIUM_TYPE_READIUM "application/vnd.readium.progression+json"
#define KIOS_READIUM_TYPE_OPDS "application/opds-progression+json"
#define KIOS_READIUM_MAX_DOCUMENT KIOS_LIMIT_READIUM_DOCUMENT_BYTES
/* Komga cuts an EPUB resource into one Readium position per KiB. */
#define KIOS_READIUM_KOMGA_CHUNK 1024

typedef enum {
  KIOS_READIUM_FLAVOUR_READIUM = 0, /* rel http://www.cantook.com/api/progression: `locator` */
  KIOS_READIUM_FLAVOUR_OPDS,        /* rel http://opds-spec.org/progression: `progression` + `references` */
} KiosReadiumFlavour;

typedef enum {
  KIOS_READIUM_PUT_STORED = 0, /* the server took it */
  KIOS_READIUM_PUT_NOT_NEWER,  /* 409: the server keeps a position at least as new */
  KIOS_READIUM_PUT_READ_ONLY,  /* 405/501: the server does not take positions (Stump) */
} KiosReadiumPutResult;

typedef struct
{
  char  *href;              /* resource path inside the zip, percent-decoded, no '#'; NULL: none */
  char  *type;              /* nullable */
  char  *title;             /* nullable */
  double progression;       /* in the resource, 0..1; < 0 when unknown */
  double total_progression; /* in the book, 0..1; < 0 when unknown */
  int    position;          /* 1-based page (PDF, fixed layout); 0 when unknown */
  gint64 modified_ms;       /* unix milliseconds, UTC; 0 when unknown */
  char  *device_id;         /* nullable */
  char  *device_name;       /* nullable */
} KiosReadiumProgression;

typedef struct _KiosReadiumClient KiosReadiumClient;

/* clang-format off */
KiosReadiumProgression *kios_readium_progression_new      (void);
KiosReadiumProgression *kios_readium_progression_copy     (const KiosReadiumProgression *self);
void                    kios_readium_progression_free     (KiosReadiumProgression       *self);
/* TRUE when it names a place: an href, a page or a total progression. */
gboolean                kios_readium_progression_is_usable (const KiosReadiumProgression *self);

/* Parses a GET answer of either flavour. NULL without error when it holds
 * no usable position: an empty body, Komga's `locator: {}` (another client
 * stored only a page), Stump's default document and its read-only
 * CFI/array form (no href, no timestamp of the reading: a hint at best).
 * NULL with a PROTOCOL error when it is not a progression document. */
KiosReadiumProgression *kios_readium_progression_parse    (const char                   *data,
                                                           gsize                         len,
                                                           KiosReadiumFlavour           *flavour,
                                                           GError                      **error);
/* The PUT body of that flavour (UTF-8 JSON). */
char                   *kios_readium_progression_to_json  (const KiosReadiumProgression *self,
                                                           KiosReadiumFlavour            flavour);

/* Komga's grid: k/n as a float, n = max(1, ceil(size / 1024)),
 * k = min(floor(progression · n), n − 1). */
double                  kios_readium_snap_progression     (double                        progression,
                                                           gsize                         resource_size);
/* The document for a local position. EPUB: href = chapter_href, progression
 * = chapter_progress snapped with resource_size (0 = do not snap),
 * totalProgression = total_progress; PDF: position = page, progression and
 * totalProgression = page / page_count (page_count <= 0: total_progress). */
KiosReadiumProgression *kios_readium_progression_from_position (const KiosPosition     *position,
                                                                gsize                   resource_size,
                                                                int                     page_count,
                                                                const char             *pdf_href);
/* The remote as the engine wants it, not yet resolved in the book: EPUB
 * chapter = -1 with chapter_href, chapter_progress and total_progress (for
 * kios_document_normalize_position); PDF chapter = page index. */
KiosPosition           *kios_readium_progression_to_position   (const KiosReadiumProgression *self,
                                                                KiosBookFormat          format);

KiosReadiumClient      *kios_readium_client_new           (const char                   *progression_url,
                                                           const char                   *catalog_url,
                                                           const char                   *username,
                                                           const char                   *password);
void                    kios_readium_client_free          (KiosReadiumClient            *self);
const char             *kios_readium_client_get_url       (KiosReadiumClient            *self);
KiosReadiumFlavour      kios_readium_client_get_flavour   (KiosReadiumClient            *self);
/* Requests made so far (tests, diagnostics). */
guint                   kios_readium_client_get_n_requests (KiosReadiumClient           *self);
void                    kios_readium_client_set_flavour   (KiosReadiumClient            *self,
                                                           KiosReadiumFlavour            flavour);
void                    kios_readium_client_set_timeout   (KiosReadiumClient            *self,
                                                           guint                         timeout_ms);
/* Trust this PEM bundle instead of the system's (tests). */
void                    kios_readium_client_set_ca_file   (KiosReadiumClient            *self,
                                                           const char                   *ca_file);

/* NULL without error: the server has no usable position (204, `{}`, …).
 * A GET answer typed application/opds-progression+json switches the
 * client to that flavour. */
KiosReadiumProgression *kios_readium_client_get           (KiosReadiumClient            *self,
                                                           GCancellable                 *cancellable,
                                                           GError                      **error);
gboolean                kios_readium_client_put           (KiosReadiumClient            *self,
                                                           const KiosReadiumProgression *progression,
                                                           KiosReadiumPutResult         *result,
                                                           GCancellable                 *cancellable,
                                                           GError                      **error);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosReadiumProgression, kios_readium_progression_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosReadiumClient, kios_readium_client_free)

G_END_DECLS
