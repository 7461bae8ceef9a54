#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
#
# Kios launched onto its start view, with an empty library and with a library
# of 10,000 books (made by kiosctl from bench/make-library.py's books), in
# interleaved rounds, each under its own Xvfb (tests/headless.sh): exec →
# final pixels and peak RSS from the launch probe, and the ratios of the
# large library to the empty one (targets: <= 1.2 × the time, <= 1.3 × RSS).
#
#   bench/library-launch.sh [ROUNDS] [WORK_DIR]   (build first; N books, default 10000)
#
# KIOS_BASELINE=path/to/an/older/kios adds its rows (base-…) to the same
# rounds, so a change is measured against it under the same load.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rounds=${1:-5}
work=${2:-${TMPDIR:-/tmp}/kios-library-bench}
n=${N:-10000}
probe=build/bench/kios-launch-probe
[ -x "$probe" ] || { echo "build Kios first" >&2; exit 1; }
if [ ! -f "$work/lib-$n-0.done" ]; then
  rm -rf "$work/lib"
  python3 bench/make-library.py "$work/lib" --small "$n"
  touch "$work/lib-$n-0.done"
fi
big="$work/launch-$n"
if [ ! -f "$big/data/kios/library.db" ]; then
  rm -rf "$big"
  mkdir -p "$big/data" "$big/cache" "$big/config"
  XDG_DATA_HOME="$big/data" XDG_CACHE_HOME="$big/cache" XDG_CONFIG_HOME="$big/config" \
    build/src/kiosctl/kiosctl library add-folder "$work/lib/small" >/dev/null
fi
results=$(mktemp)
trap 'rm -f "$results"; rm -rf "$work/launch-empty"' EXIT
export GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1
export GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$top/build/data"
baseline=${KIOS_BASELINE:-}
run () { # NAME DIR [KIOS]
  line=$(env XDG_DATA_HOME="$2/data" XDG_CACHE_HOME="$2/cache" XDG_CONFIG_HOME="$2/config" \
    tests/headless.sh "$probe" --settle 1500 -- "${3:-build/src/kios}" 2>/dev/null | tail -n 1) || line=""
  case "$line" in
    first-paint-ms*) echo "$1 $line round $r" >> "$results" ;;
    *) echo "$1 failed round $r" >> "$results" ;;
  esac
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  rm -rf "$work/launch-empty"
  mkdir -p "$work/launch-empty/data" "$work/launch-empty/cache" "$work/launch-empty/config"
  run empty "$work/launch-empty"
  run "books-$n" "$big"
  if [ -n "$baseline" ]; then
    rm -rf "$work/launch-empty"
    mkdir -p "$work/launch-empty/data" "$work/launch-empty/cache" "$work/launch-empty/config"
    run base-empty "$work/launch-empty" "$baseline"
    run "base-books-$n" "$big" "$baseline"
  fi
done
python3 - "$results" "books-$n" <<'PY'
import statistics, sys
rows = {}
by_round = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], [])
    if len(f) >= 11:
        rows[f[0]].append((float(f[4]), int(f[8]) / 1024, float(f[2])))
        by_round[(f[0], f[-1])] = float(f[4])
print(f"{'launch → start view (final pixels)':36} {'median ms':>10} {'first px':>9} {'peak RSS MB':>12} {'runs':>5}")
med = {}
for name, vals in rows.items():
    if not vals:
        print(f"{name:36} {'failed':>10}")
        continue
    med[name] = (statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals))
    first = statistics.median(v[2] for v in vals)
    print(f"{name:36} {med[name][0]:10.0f} {first:9.0f} {med[name][1]:12.0f} {len(vals):5d}")
big = sys.argv[2]
for prefix in ("", "base-"):
    if prefix + "empty" in med and prefix + big in med:
        b, e = med[prefix + big], med[prefix + "empty"]
        print(f"{prefix + big} / {prefix}empty: time {b[0] / e[0]:.2f} × (target <= 1.2), "
              f"RSS {b[1] / e[1]:.2f} × (target <= 1.3)")
        # The load drifts between rounds: each round's own ratio (its two
        # launches run back to back) is steadier than the ratio of medians.
        ratios = [by_round[(prefix + big, r)] / by_round[(prefix + "empty", r)]
                  for (name, r) in by_round if name == prefix + "empty" and (prefix + big, r) in by_round]
        if ratios:
            print(f"{prefix + big} / {prefix}empty, median of the rounds' own ratios: "
                  f"{statistics.median(ratios):.2f} × ({len(ratios)} rounds)")
PY
