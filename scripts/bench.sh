#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Builds Kios and runs both benchmarks on the large sample book: the core
# against `mutool draw`, then the reader view under its own Xvfb display.
# Not part of the test run; use an otherwise idle machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top"
book=${1:-tests/books/kjv-bible.epub}
./build/bench/kios-bench "$book" 2>/dev/null
echo
GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none \
  ./tests/headless.sh ./build/bench/kios-bench-ui "$book" 2>/dev/null
