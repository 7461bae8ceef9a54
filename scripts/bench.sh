#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Builds Kios and runs the benchmarks on the large sample book: the core
# against `mutool draw`, the reader view under its own Xvfb display, then the
# launch probe (exec → final pixels) against a bare libadwaita window,
# mupdf-gl and Evince. Not part of the test run; use an otherwise idle
# machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top"
# The launch baselines are viewers the test run does not need.
for p in mupdf evince; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$p" ||
      echo "bench: $p could not be installed; its baseline is skipped" >&2
  fi
done
book=${1:-tests/books/kjv-bible.epub}
./build/bench/kios-bench "$book" 2>/dev/null
echo
GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none \
  ./tests/headless.sh ./build/bench/kios-bench-ui "$book" 2>/dev/null
echo
./bench/launch-probe.sh "${KIOS_PROBE_ROUNDS:-5}"
echo
# Resource bounds on hostile books, and the library at scale (10,000
# generated EPUBs against calibredb; KIOS_BENCH_CALIBRE=0 skips calibre,
# which takes tens of minutes for that many books).
./bench/hostile-bounds.sh
echo
CALIBRE=${KIOS_BENCH_CALIBRE:-1} ./bench/library-import.sh
echo
# The library's start view at scale: search keystrokes and an import in the
# app's view (bench/library-ui.sh), launch onto 10,000 books against an empty
# library (bench/library-launch.sh), and an OPDS catalog of 5,000 entries.
./bench/library-ui.sh
echo
./bench/library-launch.sh "${KIOS_PROBE_ROUNDS:-5}"
echo
# A Kobo library sync of 10,000 books against 100 (time and kiosctl's peak RSS).
./bench/kobo-sync.sh
echo
./bench/catalog-ui.sh
