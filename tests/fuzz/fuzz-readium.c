/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libFuzzer: the Readium / OPDS progression reader (both flavours), and what
 * Kios writes back from what it read. */

#include "kios-readium-client.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  KiosReadiumFlavour      flavour = KIOS_READIUM_FLAVOUR_READIUM;
  KiosReadiumProgression *progression = kios_readium_progression_parse ((const char *) data, size,
                                                                        &flavour, NULL);

  if (progression != NULL)
    {
      char *json = kios_readium_progression_to_json (progression, flavour);

      (void) kios_readium_progression_is_usable (progression);
      g_free (json);
      kios_readium_progression_free (progression);
    }
  return 0;
}
