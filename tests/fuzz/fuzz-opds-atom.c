/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libFuzzer: the OPDS 1 (Atom) feed parser and the OpenSearch description parser. */

#include "kios-opds-feed.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  KiosOpdsFeed *feed = kios_opds_feed_parse ((const char *) data, size, "application/atom+xml",
                                             "https://books.example/opds/", NULL);
  char         *search;

  if (feed != NULL)
    kios_opds_feed_free (feed);
  search = kios_opds_parse_opensearch ((const char *) data, size, "https://books.example/opds/", NULL);
  g_free (search);
  return 0;
}
