/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libFuzzer: the OPDS 2 (JSON) feed parser and the authentication document parser. */

#include "kios-opds-feed.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  KiosOpdsFeed         *feed = kios_opds_feed_parse ((const char *) data, size, "application/opds+json",
                                                     "https://books.example/opds/", NULL);
  KiosOpdsAuthDocument *auth;

  if (feed != NULL)
    {
      for (guint i = 0; feed->entries != NULL && i < feed->entries->len; i++)
        {
          GPtrArray *formats = kios_opds_entry_get_formats (g_ptr_array_index (feed->entries, i));

          g_ptr_array_unref (formats);
          (void) kios_opds_entry_pick_acquisition (g_ptr_array_index (feed->entries, i), NULL);
        }
      kios_opds_feed_free (feed);
    }
  auth = kios_opds_auth_document_parse ((const char *) data, size, NULL);
  if (auth != NULL)
    kios_opds_auth_document_free (auth);
  return 0;
}
