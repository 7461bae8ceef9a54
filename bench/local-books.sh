#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
#
# "On This Computer" opened on an empty library and on a library of N books
# (default 10000, made by kiosctl from bench/make-library.py's books), in
# interleaved rounds under Xvfb: page shown → listed and painted, the widgets
# it holds, RSS before/after. OTHER=path/to/an/older/kios-bench-local-books
# runs that build too, as the baseline of the same run.
#
#   bench/local-books.sh [ROUNDS] [WORK_DIR]   (build first)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rounds=${1:-3}
work=${2:-${TMPDIR:-/tmp}/kios-library-bench}
n=${N:-10000}
bench=build/bench/kios-bench-local-books
[ -x "$bench" ] || { echo "build Kios first" >&2; exit 1; }
if [ ! -f "$work/lib-$n-0.done" ]; then
  rm -rf "$work/lib"
  python3 bench/make-library.py "$work/lib" --small "$n"
  touch "$work/lib-$n-0.done"
fi
db="$work/local-$n/data/kios/library.db"
if [ ! -f "$db" ]; then
  rm -rf "$work/local-$n"
  mkdir -p "$work/local-$n/data" "$work/local-$n/cache"
  XDG_DATA_HOME="$work/local-$n/data" XDG_CACHE_HOME="$work/local-$n/cache" \
    build/src/kiosctl/kiosctl library add-folder "$work/lib/small" >/dev/null
fi
export GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1
export XDG_DATA_HOME="$work/local-home" XDG_CACHE_HOME="$work/local-home/cache"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for b in "$bench" ${OTHER:-}; do
    for lib in - "$db"; do
      printf '%-8s ' "$( [ "$b" = "$bench" ] && echo this || echo other)"
      tests/headless.sh "$b" "$lib" 2>/dev/null | tail -n 1
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
