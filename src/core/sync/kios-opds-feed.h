/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * OPDS catalogs as a plain feed model, parsed from OPDS 1.2 (Atom, libxml2)
 * or OPDS 2.0 (JSON, json-glib). Every input is hostile: no network, no
 * entities, no DTD, a size cap, a depth check before json-glib, strings
 * validated as UTF-8 and length-capped. Every href in the model is absolute,
 * resolved against xml:base or the document's URL after redirects (pass
 * the effective URL as base_url). Errors are KIOS_SYNC_ERROR_PROTOCOL with a
 * message that says what is wrong, never a piece of the document.
 */

#define KIOS_OPDS_MAX_FEED_SIZE KIOS_LIMIT_OPDS_FEED_BYTES
#define KIOS_OPDS_MAX_ENTRIES KIOS_LIMIT_OPDS_ENTRIES
#define KIOS_OPDS_MAX_JSON_DEPTH KIOS_LIMIT_OPDS_JSON_DEPTH

#define KIOS_OPDS_REL_ACQUISITION "http://opds-spec.org/acquisition"
#define KIOS_OPDS_REL_PROGRESSION "http://opds-spec.org/progression"
#define KIOS_OPDS_REL_CANTOOK_PROGRESSION "http://www.cantook.com/api/progression"

typedef enum {
  KIOS_OPDS_ENTRY_NAVIGATION = 0,
  KIOS_OPDS_ENTRY_BOOK = 1,
} KiosOpdsEntryKind;

typedef struct
{
  char  *href;   /* absolute */
  char  *type;   /* nullable, as the server wrote it */
  char  *rel;    /* nullable; OPDS 2 short rels are normalized to URI form */
  char  *title;  /* nullable */
  gint64 length; /* bytes, -1 when unknown */
  /* facets */
  char    *facet_group; /* nullable */
  gboolean active;
  gint64   count; /* -1 when unknown */
} KiosOpdsLink;

typedef struct
{
  KiosOpdsEntryKind kind;
  char             *id;               /* atom:id / metadata.identifier / a link; never NULL */
  char             *title;            /* never NULL */
  GPtrArray        *authors;          /* char*, never NULL */
  char             *summary;          /* plain text, nullable */
  char             *language;         /* nullable */
  char             *series;           /* nullable */
  double            series_index;     /* -1 when unknown */
  char             *group;            /* OPDS 2 group title, nullable */
  char             *cover_href;       /* nullable */
  char             *thumbnail_href;   /* nullable */
  char             *navigation_href;  /* navigation entries */
  GPtrArray        *acquisitions;     /* KiosOpdsLink*, books: every acquisition link */
  char             *progression_href; /* nullable */
  char             *progression_type; /* nullable */
} KiosOpdsEntry;

typedef struct
{
  int        version; /* 1 (Atom) or 2 (JSON) */
  char      *base_url;
  char      *id;        /* nullable */
  char      *title;     /* nullable */
  GPtrArray *entries;   /* KiosOpdsEntry* */
  char      *next_href; /* nullable */
  char      *previous_href;
  char      *start_href;
  char      *up_href;
  char      *opensearch_href; /* an OpenSearch description to fetch, nullable */
  char      *search_template; /* {searchTerms} or RFC 6570 template, absolute, nullable */
  GPtrArray *facets;          /* KiosOpdsLink* */
  gint64     total_results;   /* -1 when unknown */
  gint64     items_per_page;  /* -1 when unknown */
  gboolean   truncated;       /* more than KIOS_OPDS_MAX_ENTRIES entries */
} KiosOpdsFeed;

typedef struct
{
  char    *title; /* nullable: shown as the realm */
  gboolean supports_basic;
} KiosOpdsAuthDocument;

/* clang-format off */
/* content_type may be NULL; it only decides Atom vs JSON when the bytes do not. */
KiosOpdsFeed         *kios_opds_feed_parse              (const char          *data,
                                                         gsize                len,
                                                         const char          *content_type,
                                                         const char          *base_url,
                                                         GError             **error);
/* An empty feed (an empty search result). */
KiosOpdsFeed         *kios_opds_feed_new_empty          (const char          *base_url);
void                  kios_opds_feed_free               (KiosOpdsFeed        *self);
const KiosOpdsEntry  *kios_opds_feed_find_entry         (const KiosOpdsFeed  *self,
                                                         const char          *id);

void                  kios_opds_entry_free              (KiosOpdsEntry       *self);
KiosOpdsEntry        *kios_opds_entry_copy              (const KiosOpdsEntry *self);
/* Short format names ("epub", "pdf", "cbz", …) of the acquisition links, deduplicated. */
GPtrArray            *kios_opds_entry_get_formats       (const KiosOpdsEntry *self);
/* The open-access or generic acquisition link of that format ("epub", "pdf"; NULL = the
 * first one Kios can open). NULL when there is none. */
const KiosOpdsLink   *kios_opds_entry_pick_acquisition  (const KiosOpdsEntry *self,
                                                         const char          *format);

void                  kios_opds_link_free               (KiosOpdsLink        *self);
KiosOpdsLink         *kios_opds_link_copy               (const KiosOpdsLink  *self);

/* "epub", "pdf", "cbz", "mobi", … from a media type (parameters ignored), or NULL. */
const char           *kios_opds_format_from_type        (const char          *type);

/* RFC 3986 resolution; also repairs Kavita's double-escaped "&amp;". NULL if not http(s). */
char                 *kios_opds_resolve_href            (const char          *base_url,
                                                         const char          *href);
/* FALSE (PROTOCOL error) when JSON nesting outside strings passes max_depth. */
gboolean              kios_opds_json_check_depth        (const char          *data,
                                                         gsize                len,
                                                         guint                max_depth,
                                                         GError             **error);
/* The search template of an OpenSearch description, absolute. */
char                 *kios_opds_parse_opensearch        (const char          *data,
                                                         gsize                len,
                                                         const char          *base_url,
                                                         GError             **error);
/* Expands {searchTerms} (OpenSearch) or {?query}, {&query}, {query} (RFC 6570);
 * every other variable expands to nothing. */
char                 *kios_opds_expand_search           (const char          *template_url,
                                                         const char          *query);
KiosOpdsAuthDocument *kios_opds_auth_document_parse     (const char          *data,
                                                         gsize                len,
                                                         GError             **error);
void                  kios_opds_auth_document_free      (KiosOpdsAuthDocument *self);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosOpdsFeed, kios_opds_feed_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosOpdsEntry, kios_opds_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosOpdsLink, kios_opds_link_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosOpdsAuthDocument, kios_opds_auth_document_free)

G_END_DECLS
