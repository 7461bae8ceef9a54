/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <json-glib/json-glib.h>

#include "kios-http.h"
#include "kios-kosync-client.h"

G_BEGIN_DECLS

/*
 * The KOReader sync client's reply readers, for the fuzz harness
 * (tests/fuzz/fuzz-kosync.c): the bounded object parser, the field readers a
 * pull uses and the classification of a failed reply into a sync error.
 */

typedef enum {
  KIOS_KOSYNC_ROUTE_AUTH,
  KIOS_KOSYNC_ROUTE_PUSH,
  KIOS_KOSYNC_ROUTE_PULL,
} KiosKosyncRoute;

/* clang-format off */
/* The body as a JSON object, or NULL; *root_out keeps the tree alive. */
JsonObject  *kios_kosync_parse_object      (GBytes                 *body,
                                            JsonNode              **root_out);
const char  *kios_kosync_object_string     (JsonObject             *object,
                                            const char             *name);
gboolean     kios_kosync_object_number     (JsonObject             *object,
                                            const char             *name,
                                            double                 *out);
gint64       kios_kosync_object_int        (JsonObject             *object,
                                            const char             *name,
                                            gint64                  fallback);
void         kios_kosync_classify_failure  (const KiosHttpResponse *response,
                                            KiosKosyncRoute         route,
                                            GError                **error);
/* clang-format on */

G_END_DECLS
