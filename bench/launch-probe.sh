#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# What a person sees at launch: from exec to the final pixels on screen, in
# interleaved rounds, for a bare libadwaita window (the yardstick), Kios
# resuming at 95 % of a large EPUB, Kios opening it for the first time,
# mupdf-gl on the same book, and Kios and Evince on a PDF resumed deep in.
# Each start gets its own Xvfb display and a private session bus with no
# service directories (tests/headless.sh), so nothing is activated.
# Prints the medians, the ratios to the bare window, the CPU time the
# program had used when its final frame came (far less noisy than the wall
# time on a loaded machine) and the peak RSS.
#
#   bench/launch-probe.sh [ROUNDS]     (build first: scripts/build.sh)
#   bench/launch-probe.sh --frames DIR
#
# KIOS_PROBE_BASELINE=path/to/an/older/kios adds its rows (base-…) to the
# same rounds, for a before/after under the same load; KIOS_PROBE names
# another probe binary (to compare probes). The order of the programs
# changes every round. --frames starts Kios once on the KJV at its saved
# page and keeps every frame that changed as DIR/NNNNN-<ms>.png (the screen
# is grabbed whenever X reports damage), then once on a first open of it
# (DIR/first/), and says each time whether the first frame that is not the
# empty screen is the page.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
frames=""
if [ "${1:-}" = "--frames" ]; then
  frames=${2:?usage: launch-probe.sh --frames DIR}
  case "$frames" in /*) ;; *) frames="$PWD/$frames" ;; esac
  rounds=0
else
  rounds=${1:-5}
fi
baseline=${KIOS_PROBE_BASELINE:-}
epub=${KIOS_PROBE_EPUB:-tests/books/kjv-bible.epub}
pdf=${KIOS_PROBE_PDF:-tests/books/persuasion.pdf}
probe=${KIOS_PROBE:-build/bench/kios-launch-probe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1
export GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$top/build/data"

# A library that has seen both books: Kios resumes there.
resume="$work/resume"
mkdir -p "$resume/data" "$resume/cache" "$resume/config"
XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" XDG_CONFIG_HOME="$resume/config" \
  build/src/kiosctl/kiosctl position "$epub" --set percent:95 >/dev/null
XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" XDG_CONFIG_HOME="$resume/config" \
  build/src/kiosctl/kiosctl position "$pdf" --set page:200 >/dev/null

run () {
  name=$1
  shift
  line=$(tests/headless.sh "$probe" --settle 1500 -- "$@" 2>/dev/null | tail -n 1) || line=""
  case "$line" in
    first-paint-ms*) echo "$name $line" >> "$work/results" ;;
    *) echo "$name failed" >> "$work/results" ;;
  esac
}

kios_in () {
  dir=$1
  shift
  env XDG_DATA_HOME="$dir/data" XDG_CACHE_HOME="$dir/cache" XDG_CONFIG_HOME="$dir/config" \
    build/src/kios "$@"
}

# One start of the program NAME in round R.
run_one () {
  case $1 in
    bare) run bare build/bench/bare-window ;;
    kios-resume) run kios-resume env XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" \
      XDG_CONFIG_HOME="$resume/config" build/src/kios "$epub" ;;
    kios-first)
      fresh="$work/fresh-$2"
      mkdir -p "$fresh/data" "$fresh/cache" "$fresh/config"
      run kios-first env XDG_DATA_HOME="$fresh/data" XDG_CACHE_HOME="$fresh/cache" \
        XDG_CONFIG_HOME="$fresh/config" build/src/kios "$epub" ;;
    mupdf-gl) run mupdf-gl mupdf-gl "$epub" ;;
    kios-pdf-resume) run kios-pdf-resume env XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" \
      XDG_CONFIG_HOME="$resume/config" build/src/kios "$pdf" ;;
    evince) run evince evince "$pdf" ;;
    base-resume) run base-resume env XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" \
      XDG_CONFIG_HOME="$resume/config" "$baseline" "$epub" ;;
    base-first)
      fresh="$work/fresh-$2-base"
      mkdir -p "$fresh/data" "$fresh/cache" "$fresh/config"
      run base-first env XDG_DATA_HOME="$fresh/data" XDG_CACHE_HOME="$fresh/cache" \
        XDG_CONFIG_HOME="$fresh/config" "$baseline" "$epub" ;;
    base-pdf-resume) run base-pdf-resume env XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" \
      XDG_CONFIG_HOME="$resume/config" "$baseline" "$pdf" ;;
  esac
}

programs="bare kios-resume kios-first"
if command -v mupdf-gl >/dev/null 2>&1; then programs="$programs mupdf-gl"; fi
programs="$programs kios-pdf-resume"
if command -v evince >/dev/null 2>&1; then programs="$programs evince"; fi
if [ -n "$baseline" ]; then programs="$programs base-resume base-first base-pdf-resume"; fi

# The order changes every round, the same way on every run (a balanced
# Latin square: round r starts with the r-th program and, over the rounds,
# each program follows each other one about as often), so that no program
# always starts first or always starts after another's warm-up.
round_order () {
  # shellcheck disable=SC2086
  python3 - "$1" $programs <<'PY'
import sys
r, names = int(sys.argv[1]) - 1, sys.argv[2:]
n = len(names)
first, lo, hi = [0], 1, n - 1
while len(first) < n:
    first.append(lo)
    lo += 1
    if len(first) < n:
        first.append(hi)
        hi -= 1
row = [(i + r) % n for i in first]
if (r // n) % 2 == 1:
    row.reverse()
print(" ".join(names[i] for i in row))
PY
}

for r in $(seq "$rounds"); do
  for name in $(round_order "$r"); do
    run_one "$name" "$r"
  done
done

# Converts the probe's frames in $1 to PNGs in $2 and says whether the
# first frame that is not the empty screen is the final one ($3: the
# probe's line).
keep_frames () {
  mkdir -p "$2"
  python3 - "$1" "$2" "$3" <<'PY'
import os, struct, sys, zlib

def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    return int(fields[1]), int(fields[2]), data[pos + 1:]

def write_png(path, width, height, rgb):
    rows = b"".join(b"\0" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(rows, 6)))
        f.write(chunk(b"IEND", b""))

src, dst, line = sys.argv[1], sys.argv[2], sys.argv[3].split()
names = sorted(os.listdir(src)) if os.path.isdir(src) else []
for name in names:
    w, h, rgb = read_ppm(os.path.join(src, name))
    write_png(os.path.join(dst, name[:-4] + ".png"), w, h, rgb)
print(f"{len(names)} frames in {dst}")
if len(line) >= 4 and line[0] == "first-paint-ms":
    same = line[1] == line[3]
    print("the first frame that is not the empty screen is the page" if same
          else f"the page comes at {line[3]} ms, after a first frame at {line[1]} ms")
PY
}

if [ -n "$frames" ]; then
  # A resume that has shown its page once (the caches are warm), then the
  # start that is kept frame by frame.
  run warm env XDG_DATA_HOME="$resume/data" XDG_CACHE_HOME="$resume/cache" \
    XDG_CONFIG_HOME="$resume/config" build/src/kios "$epub"
  line=$(tests/headless.sh "$probe" --settle 1500 --frames "$work/ppm" -- env XDG_DATA_HOME="$resume/data" \
    XDG_CACHE_HOME="$resume/cache" XDG_CONFIG_HOME="$resume/config" build/src/kios "$epub" 2>/dev/null | tail -n 1)
  echo "resume: $line"
  keep_frames "$work/ppm" "$frames" "$line"
  # A first open (nothing in the cache, a new library) into DIR/first.
  fresh="$work/fresh-frames"
  mkdir -p "$fresh/data" "$fresh/cache" "$fresh/config"
  line=$(tests/headless.sh "$probe" --settle 1500 --frames "$work/ppm-first" -- env XDG_DATA_HOME="$fresh/data" \
    XDG_CACHE_HOME="$fresh/cache" XDG_CONFIG_HOME="$fresh/config" build/src/kios "$epub" 2>/dev/null | tail -n 1)
  echo "first open: $line"
  keep_frames "$work/ppm-first" "$frames/first" "$line"
  exit 0
fi

# shellcheck disable=SC2086
python3 - "$work/results" $programs <<'PY'
import statistics, sys
rows = {name: [] for name in sys.argv[2:]}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 9:
        continue
    cpu = float(f[12]) if len(f) >= 13 and f[11] == "final-cpu-ms" else float("nan")
    rows.setdefault(f[0], []).append((float(f[4]), int(f[8]) / 1024, float(f[2]), cpu))
bare = statistics.median(v[0] for v in rows.get("bare") or [(float("nan"), 0, 0, 0)])
print(f"{'launch (exec → final pixels)':34} {'median ms':>10} {'× bare':>7} {'first px':>9} {'CPU ms':>7} {'peak RSS MB':>12} {'runs':>5}")
for name, vals in rows.items():
    if not vals:
        print(f"{name:34} {'failed':>10}")
        continue
    t = statistics.median(v[0] for v in vals)
    rss = statistics.median(v[1] for v in vals)
    first = statistics.median(v[2] for v in vals)
    cpu = statistics.median(v[3] for v in vals)
    print(f"{name:34} {t:10.0f} {t / bare:7.2f} {first:9.0f} {cpu:7.0f} {rss:12.0f} {len(vals):5d}")
PY
