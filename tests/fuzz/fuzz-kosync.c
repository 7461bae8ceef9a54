/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: the KOReader sync server's JSON replies as the client reads
 * them: the object parser with its size and depth guards, the fields a pull
 * reads, the timestamp forms, and the error classification of every status,
 * through the client's private header.
 */

#include "config.h"

#include "kios-kosync-client-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const guint    statuses[] = { 200, 400, 401, 403, 404, 500, 503 };
  g_autoptr (GBytes)    body = g_bytes_new (data, size);
  g_autoptr (JsonNode)  root = NULL;
  g_autoptr (GPtrArray) headers = g_ptr_array_new ();
  JsonObject           *object = kios_kosync_parse_object (body, &root);
  double                percentage = 0;
  KiosHttpResponse      response = { 0 };

  if (object != NULL)
    {
      (void) kios_kosync_object_string (object, "document");
      (void) kios_kosync_object_string (object, "progress");
      (void) kios_kosync_object_string (object, "device");
      (void) kios_kosync_object_string (object, "device_id");
      (void) kios_kosync_object_number (object, "percentage", &percentage);
      (void) kios_kosync_object_int (object, "code", 0);
      (void) kios_kosync_parse_timestamp (json_object_get_member (object, "timestamp"));
    }

  response.effective_url = (char *) "https://sync.example/syncs/progress/x";
  response.headers = headers;
  response.body = body;
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      GError *error = NULL;

      response.status = statuses[i];
      kios_kosync_classify_failure (&response, i % 2 == 0 ? KIOS_KOSYNC_ROUTE_PULL : KIOS_KOSYNC_ROUTE_AUTH, &error);
      g_clear_error (&error);
    }
  return 0;
}
