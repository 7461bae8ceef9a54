/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

int main (void);

int
main (void)
{
  return 0;
}
