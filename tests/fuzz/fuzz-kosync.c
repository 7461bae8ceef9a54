/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * libFuzzer: the KOReader sync server's JSON replies as the client reads
 * them: the object parser with its size and depth guards, the fields a pull
 * reads, the timestamp forms, and the error classification of every status.
 * The reader's helpers are private to the client, so its source is built
 * into this harness (the client's own object file is then not linked).
 */

#include "../../src/core/sync/kios-kosync-client.c"

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
  JsonObject           *object = parse_object (body, &root);
  double                percentage = 0;
  KiosHttpResponse      response = { 0 };

  if (object != NULL)
    {
      (void) object_string (object, "document");
      (void) object_string (object, "progress");
      (void) object_string (object, "device");
      (void) object_string (object, "device_id");
      (void) object_number (object, "percentage", &percentage);
      (void) object_int (object, "code", 0);
      (void) kios_kosync_parse_timestamp (json_object_get_member (object, "timestamp"));
    }

  response.effective_url = (char *) "https://sync.example/syncs/progress/x";
  response.headers = headers;
  response.body = body;
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      GError *error = NULL;

      response.status = statuses[i];
      classify_failure (&response, i % 2 == 0 ? ROUTE_PULL : ROUTE_AUTH, &error);
      g_clear_error (&error);
    }
  return 0;
}
