/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * Safe XML parsing for everything that comes from a book or a server: no
 * network, no external entities, no DTD loading, a size cap and a depth cap.
 * Named HTML entities (&nbsp; &mdash; …), which XHTML books use without a DTD,
 * are rewritten to numeric references first so they are not silently dropped.
 */

#define KIOS_XML_MAX_DEPTH KIOS_LIMIT_XML_DEPTH
#define KIOS_XML_MAX_SIZE KIOS_LIMIT_XML_BYTES

/* clang-format off */
xmlDoc   *kios_xml_parse          (const char *data,
                                   gsize       len,
                                   const char *url,
                                   GError    **error);
char     *kios_xml_get_text       (xmlNode    *node);
xmlNode  *kios_xml_first_child    (xmlNode    *node,
                                   const char *local_name);
gboolean  kios_xml_has_name       (xmlNode    *node,
                                   const char *local_name);
char     *kios_xml_get_attr       (xmlNode    *node,
                                   const char *local_name);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

G_END_DECLS
