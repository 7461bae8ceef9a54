#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
#
# The library at scale, side by side in one run:
#   - `kiosctl library add-folder` of 10,000 small EPUBs into an empty library
#     (books/s; hash and metadata, no covers), then a rescan of the same folder;
#   - `calibredb add -r` of the same folder into an empty calibre library;
#   - `kiosctl library list --search` over the 10,000 books (best of 5).
#
# Usage: bench/library-import.sh [BUILD_DIR] [WORK_DIR]
# Environment: N (books, default 10000), CALIBRE=0 skips calibre,
# LARGE (large-ish books generated too, default 0; imported separately).
# Not a test: the figures depend on the machine and its load.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
work=${2:-${TMPDIR:-/tmp}/kios-library-bench}
n=${N:-10000}
large=${LARGE:-0}
kiosctl=$build/src/kiosctl/kiosctl

now () { date +%s.%N; }
rate () { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
elapsed () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

[ -x "$kiosctl" ] || { echo "build kiosctl first ($kiosctl)" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$work/lib-$n-$large.done" ]; then
  rm -rf "$work/lib"
  echo "Generating $n small EPUBs (and $large large ones) in $work/lib…"
  python3 "$src/bench/make-library.py" "$work/lib" --small "$n" --large "$large"
  touch "$work/lib-$n-$large.done"
fi

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Kios: an empty library, the same XDG layout the app uses.
rm -rf "$work/kios-data"
export XDG_DATA_HOME="$work/kios-data" XDG_CACHE_HOME="$work/kios-data/cache"
sync
t0=$(now)
"$kiosctl" library add-folder "$work/lib/small" >/dev/null
t1=$(now)
s=$(elapsed "$t0" "$t1")
echo "kiosctl library add-folder: $n books in ${s}s = $(rate "$n" "$s") books/s"

t0=$(now)
"$kiosctl" library rescan >/dev/null
t1=$(now)
echo "kiosctl library rescan (nothing new): $(elapsed "$t0" "$t1")s"

best=999
for query in zola "émile" "harbour lights" brontë "the 9"; do
  t0=$(now)
  hits=$("$kiosctl" library list --search "$query" | wc -l)
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  echo "kiosctl library list --search \"$query\": $hits books in ${s}s (whole process)"
  best=$(awk -v a="$best" -v b="$s" 'BEGIN { print (b < a) ? b : a }')
done
echo "search over $n books: best ${best}s per kiosctl run (start, open, query, print)"
t0=$(now)
"$kiosctl" library list --json >/dev/null
t1=$(now)
echo "kiosctl library list --json of all $n: $(elapsed "$t0" "$t1")s"

if [ "$large" -gt 0 ]; then
  t0=$(now)
  "$kiosctl" library add-folder "$work/lib/large" >/dev/null
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  echo "kiosctl library add-folder: $large large books in ${s}s = $(rate "$large" "$s") books/s"
fi

if [ "${CALIBRE:-1}" != 0 ] && command -v calibredb >/dev/null; then
  rm -rf "$work/calibre"
  mkdir -p "$work/calibre"
  t0=$(now)
  QT_QPA_PLATFORM=offscreen calibredb add -r --with-library "$work/calibre" "$work/lib/small" \
    >/dev/null 2>"$work/calibre.log" || echo "calibredb failed, see $work/calibre.log"
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  echo "calibredb add -r: $n books in ${s}s = $(rate "$n" "$s") books/s"
else
  echo "calibredb: skipped"
fi
