/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/* libFuzzer: the cutting of long flows (on a small limit, so it cuts often)
 * and the picture header reader, both fed bytes straight from a book. */

#include "kios-archive-limits.h"
#include "kios-flow-split.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  GBytes *split = kios_flow_split ((const char *) data, size, 64);
  gint64  width, height;

  if (split != NULL)
    {
      /* A cut adds markup, bounded per cut. */
      if (g_bytes_get_size (split) > size + (size / 64 + 1) * 8300)
        __builtin_trap ();
      g_bytes_unref (split);
    }
  (void) kios_image_get_size (data, size, &width, &height);
  return 0;
}
