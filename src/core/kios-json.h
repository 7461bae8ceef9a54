/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * The one guard in front of json-glib for every JSON Kios reads from a
 * server or a file. json-glib builds the whole tree and recurses with the
 * nesting, so a few kilobytes of "[[[[…" would cost a deep stack; the size
 * and the nesting depth are therefore checked by a scan of the raw text
 * (strings and their escapes skipped) before json-glib sees it.
 *
 * Errors are KIOS_SYNC_ERROR_PROTOCOL: the text is not a JSON document Kios
 * accepts (too large, nested too deep, truncated, not JSON). Messages are
 * untranslated detail and never quote the text.
 */

/* Nesting deeper than this is refused: real documents of every protocol
 * Kios speaks stay under 12 levels; 64 leaves room and keeps json-glib's
 * recursion shallow. */
#define KIOS_JSON_DEFAULT_MAX_DEPTH 64

/* clang-format off */
/* len < 0: data is NUL-terminated (only max_bytes + 1 bytes are looked at).
 * TRUE when data has at most max_bytes bytes and no value nested deeper
 * than max_depth (the top-level array or object is depth 1). */
gboolean  kios_json_check_bounded (const char  *data,
                                   gssize       len,
                                   gsize        max_bytes,
                                   guint        max_depth,
                                   GError     **error);
/* kios_json_check_bounded (), then json-glib. The root node (any type),
 * owned by the caller, or NULL with an error. */
JsonNode *kios_json_parse_bounded (const char  *data,
                                   gssize       len,
                                   gsize        max_bytes,
                                   guint        max_depth,
                                   GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* A JSON number as an integer in [min, max]: out-of-range values are clamped
 * before the cast (casting a double beyond the type's range is undefined),
 * and NaN gives fallback. */
gint64    kios_json_number_to_int (double       value,
                                   gint64       min,
                                   gint64       max,
                                   gint64       fallback);
/* The same for a GBytes (a response body). */
JsonNode *kios_json_parse_bytes   (GBytes      *bytes,
                                   gsize        max_bytes,
                                   guint        max_depth,
                                   GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* clang-format on */

G_END_DECLS
