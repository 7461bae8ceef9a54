/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include "kios-fake-server.h"

G_BEGIN_DECLS

/*
 * A fake Readium progression endpoint over kios-fake-server (OPDS.md §4),
 * for book 1 of a catalog:
 * - KOMGA: GET /opds/v2/books/1/progression → 204 when nothing is stored,
 *   else 200 with the stored document; PUT checks what Komga checks
 *   (device id and name present, modified strictly after the stored one or
 *   409, an EPUB href that is a resource path inside the zip, a progression
 *   on Komga's grid of one position per KiB — exact float match, else the
 *   last position below provided one above exists — or 400) and stores the
 *   locator with Komga's totalProgression and type, then 204.
 * - STUMP: GET /opds/v2.0/books/1/progression → always 200, the stored
 *   document or Stump's default (`"modified":""`, `locator: {}`); PUT →
 *   405 (only GET is routed).
 * - DRAFT: the OPDS Progression 1.0 draft (the newer Stump) at
 *   /opds/v2.0/books/1/progression: GET → 200 typed
 *   application/opds-progression+json, an empty body when nothing is
 *   stored; PUT needs `progression` in 0..1 and `device` (else 400; a
 *   `locator` body is a 400 too), a stale `modified` is a 409, 201 on the
 *   first write and 200 after, with the stored document.
 * With an EPUB, KOMGA also serves /opds/v2/catalog (one OPDS 2 publication
 * with absolute acquisition and progression links, as Komga writes them)
 * and the book itself at /opds/v2/books/1/file.
 * Optional Basic auth on every route (401 with a Basic challenge);
 * redirects on demand.
 */

typedef enum {
  KIOS_FAKE_PROGRESSION_KOMGA = 0,
  KIOS_FAKE_PROGRESSION_STUMP,
  KIOS_FAKE_PROGRESSION_DRAFT,
} KiosFakeProgressionKind;

typedef struct _KiosFakeProgression KiosFakeProgression;

/* clang-format off */
/* epub_path: the book served (its zip resources decide hrefs and grids); nullable for PDF. */
KiosFakeProgression *kios_fake_progression_new          (KiosFakeProgressionKind  kind,
                                                         const char              *user,
                                                         const char              *password,
                                                         const char              *epub_path);
void                 kios_fake_progression_free         (KiosFakeProgression     *self);
KiosFakeServer      *kios_fake_progression_get_server   (KiosFakeProgression     *self);
/* The server's URL (the catalog's origin), without a trailing slash. */
const char          *kios_fake_progression_get_base     (KiosFakeProgression     *self);
/* The book's progression link (absolute). */
const char          *kios_fake_progression_get_url      (KiosFakeProgression     *self);
/* What GET returns (raw JSON); NULL = nothing stored. */
void                 kios_fake_progression_set_stored   (KiosFakeProgression     *self,
                                                         const char              *json);
char                *kios_fake_progression_dup_stored   (KiosFakeProgression     *self);
/* target (path) answered with 302 to location. */
void                 kios_fake_progression_add_redirect (KiosFakeProgression     *self,
                                                         const char              *target,
                                                         const char              *location);
/* Requests with that method (NULL: all); and those that carried Authorization. */
guint                kios_fake_progression_count        (KiosFakeProgression     *self,
                                                         const char              *method);
guint                kios_fake_progression_count_authorized (KiosFakeProgression *self);
/* The status and reason of the last PUT (0 / NULL before any). */
guint                kios_fake_progression_get_last_put_status (KiosFakeProgression *self);
char                *kios_fake_progression_dup_last_put_reason (KiosFakeProgression *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosFakeProgression, kios_fake_progression_free)

G_END_DECLS
