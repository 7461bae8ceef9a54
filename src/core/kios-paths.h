/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Where Kios keeps its files. The app and kiosctl use the same ones, so both
 * see the same library. Directories are created on demand (mode 0700).
 */
/* clang-format off */
char *kios_paths_data_dir          (void);  /* $XDG_DATA_HOME/kios */
char *kios_paths_library_db        (void);  /* $XDG_DATA_HOME/kios/library.db */
char *kios_paths_books_dir         (void);  /* $XDG_DATA_HOME/kios/books */
char *kios_paths_cache_dir         (void);  /* $XDG_CACHE_HOME/kios */
char *kios_paths_cache_subdir      (const char *name); /* e.g. "covers", "layout", "clean-epubs" */
char *kios_paths_device_id         (void);  /* a stable per-install id, 32 uppercase hex */
char *kios_paths_device_name       (void);  /* "Kios on <hostname>" */
/* clang-format on */

G_END_DECLS
