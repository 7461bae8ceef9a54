/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "kios-limits.h"
#include "kios-opds-feed.h"

G_BEGIN_DECLS

/*
 * What the OPDS parsers share: the model's constructors, text cleaning,
 * the XML reader and the two parsers the dispatcher (kios-opds-feed.c)
 * chooses between: Atom (kios-opds-atom.c) and OPDS 2 (kios-opds2.c);
 * searches are in kios-opds-search.c.
 */

/* What the UI shows is capped: a hostile feed cannot make one label huge. */
#define MAX_SHORT_TEXT KIOS_LIMIT_OPDS_SHORT_TEXT
#define MAX_SUMMARY_TEXT KIOS_LIMIT_OPDS_SUMMARY_TEXT
#define MAX_AUTHORS KIOS_LIMIT_OPDS_AUTHORS
#define MAX_FACETS KIOS_LIMIT_OPDS_FACETS

/* clang-format off */
KiosOpdsEntry  *kios_opds_entry_new            (void);
KiosOpdsFeed   *kios_opds_feed_new             (int             version,
                                                const char     *base_url);
char           *kios_opds_clean_text           (const char     *text,
                                                gsize           max);
char           *kios_opds_clean_line           (const char     *text,
                                                gsize           max);
gboolean        kios_opds_is_http_url          (const char     *url);
gboolean        kios_opds_rel_is_acquisition   (const char     *rel);
char           *kios_opds_xml_attr             (xmlNode        *node,
                                                const char     *name);
char           *kios_opds_node_base            (xmlDoc         *doc,
                                                xmlNode        *node,
                                                const char     *fallback);
char           *kios_opds_strip_markup         (const char     *html);
void            kios_opds_entry_add_author     (KiosOpdsEntry  *entry,
                                                const char     *name);
void            kios_opds_set_once             (char          **slot,
                                                char          **value);
xmlDoc         *kios_opds_xml_read             (const char     *data,
                                                gsize           len,
                                                const char     *base_url,
                                                const char     *what,
                                                GError        **error);
gboolean        kios_opds_looks_like_html      (const char     *data,
                                                gsize           len);
void            kios_opds_set_login_page_error (GError        **error);
KiosOpdsFeed   *kios_opds_atom_parse           (const char     *data,
                                                gsize           len,
                                                const char     *base_url,
                                                GError        **error);
KiosOpdsFeed   *kios_opds2_parse               (const char     *data,
                                                gsize           len,
                                                const char     *base_url,
                                                GError        **error);
/* clang-format on */

G_END_DECLS
