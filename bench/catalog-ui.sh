#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
#
# An OPDS catalog of 5,000 books (the fake OPDS server, paged as calibre
# pages it) scrolled top to bottom in the app's catalog view under Xvfb,
# covers loading lazily as cards appear: frame work and frame interval
# (p50/p95/max, frames over 16.7 ms; target p95 <= 16.7 ms), the cards that
# existed, the covers asked for and RSS, after a baseline scroll of a bare
# GtkGridView of labels in the same run.
#
# Usage: bench/catalog-ui.sh [BUILD_DIR]
# Environment: N (books, default 5000), KIOS_BENCH_SPEED (px a frame, 40).
# Not a test: the figures depend on the machine and its load.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
bench=$build/bench/kios-bench-catalog

[ -x "$bench" ] || { echo "build Kios first ($build)" >&2; exit 1; }
GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none \
  "$src/tests/headless.sh" "$bench" 2>/dev/null
