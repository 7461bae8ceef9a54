#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# What a start costs before main (): loading and relocating the libraries
# and running their constructors, for the bare libadwaita window (the
# yardstick) and Kios. Each start is ended at main () by a preloaded probe
# (bench/probe-premain.c) and measured with perf stat; the programs take
# turns, in an order that flips every run. Prints the medians (and
# quartiles) of the CPU time, the wall time and the page faults.
#
#   bench/probe-premain.sh [RUNS]     (build first; needs perf: linux-perf)
#
# KIOS_PROBE_BASELINE=path/to/an/older/kios adds its row (base) to the same
# runs, for a before/after under the same load.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${1:-60}
preload="$top/build/bench/libprobe-premain.so"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

set -- bare "$top/build/bench/bare-window" kios "$top/build/src/kios"
if [ -n "${KIOS_PROBE_BASELINE:-}" ]; then
  set -- "$@" base "$(cd "$(dirname "$KIOS_PROBE_BASELINE")" && pwd)/$(basename "$KIOS_PROBE_BASELINE")"
fi
pairs="$*"

measure () {
  LD_PRELOAD="$preload" PROBE_PREMAIN_MATCH="$2" \
    perf stat -x, -e task-clock,page-faults,duration_time "$2" 2>"$work/stat" >/dev/null
  {
    printf '%s' "$1"
    awk -F, '$3 ~ /^(task-clock|page-faults|duration_time)/ { printf " %s %s", $3, $1 }' "$work/stat"
    echo
  } >> "$work/results"
}

for r in $(seq "$runs"); do
  # shellcheck disable=SC2086
  set -- $pairs
  if [ $((r % 2)) -eq 0 ]; then
    # The other way round: the last program first.
    order=""
    while [ $# -gt 0 ]; do
      order="$1 $2 $order"
      shift 2
    done
    # shellcheck disable=SC2086
    set -- $order
  fi
  while [ $# -gt 0 ]; do
    measure "$1" "$2"
    shift 2
  done
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    v = dict(zip(f[1::2], f[2::2]))
    rows.setdefault(f[0], []).append((float(v["task-clock"]), float(v["duration_time"]) / 1e6,
                                      float(v["page-faults"])))
print(f"{'before main ()':14} {'CPU ms':>7} {'(q1–q3)':>13} {'wall ms':>8} {'faults':>7} {'runs':>5}")
for name, vals in rows.items():
    cpu = [v[0] for v in vals]
    q = statistics.quantiles(cpu, n=4)
    print(f"{name:14} {statistics.median(cpu):7.2f} {q[0]:6.2f}–{q[2]:<6.2f} "
          f"{statistics.median(v[1] for v in vals):8.2f} {statistics.median(v[2] for v in vals):7.0f} {len(vals):5d}")
PY
