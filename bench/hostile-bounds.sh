#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Makes the hostile books of the bounds benchmark (bench/hostile-bounds.py)
# and measures, on each, `kiosctl info`, `kiosctl render` at 50 % and at
# 99 % (render99: a page deep in a long chapter must cost no more than its
# first page, ~1 s of CPU on the 2-core machine) and the
# app opening it (under its own Xvfb, tests/headless.sh, until the screen
# settles, with bench/kios-launch-probe): CPU seconds, peak RSS and the
# message shown (the error page's text, as kiosctl render prints it; the
# app shows the same page). Every case must end within 10 s of CPU and
# 400 MB of RSS.
#
#   bench/hostile-bounds.sh [BUILD_DIR] [BOOK…]   (default: build, every book)
#
# KIOS_BOUNDS_FRAMES=DIR keeps the app's last frame of each book in DIR;
# KIOS_BOUNDS_PROBE names another launch probe (to measure an older build);
# a kiosctl run is stopped after KIOS_BOUNDS_TIMEOUT seconds (default 120).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/${1:-build}"
[ $# -gt 0 ] && shift
kiosctl="$build/src/kiosctl/kiosctl"
probe=${KIOS_BOUNDS_PROBE:-$build/bench/kios-launch-probe}
limit=${KIOS_BOUNDS_TIMEOUT:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
books=${*:-"bomb lying bigimage paragraph paragraph-7mb chapter-cap blocks-cap breaks-cap markup"}

python3 "$top/bench/hostile-bounds.py" "$work"
status=0
printf '%-14s %-8s %8s %7s %8s  %s\n' book command size cpu_s peak_mb message
for book in $books; do
  epub="$work/$book.epub"
  size=$(du -k "$epub" | cut -f1)
  message=""
  for command in info render render99 app; do
    # A fresh library and cache each time: nothing remembered helps.
    rm -rf "$work/home"
    mkdir -p "$work/home/data" "$work/home/cache" "$work/home/config"
    export XDG_DATA_HOME="$work/home/data" XDG_CACHE_HOME="$work/home/cache" XDG_CONFIG_HOME="$work/home/config"
    case $command in
      info | render | render99)
        if [ "$command" = info ]; then
          set -- info "$epub"
        elif [ "$command" = render ]; then
          set -- render "$epub" --at percent:50 --size 600x800 -o "$work/$book.png"
        else
          set -- render "$epub" --at percent:99 --size 600x800 -o "$work/$book-99.png"
        fi
        /usr/bin/time -v -o "$work/time" timeout "$limit" "$kiosctl" "$@" >"$work/out" 2>&1 || true
        cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u+s}' "$work/time")
        rss=$(awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$work/time")
        if grep -q "Exit status: 124" "$work/time"; then
          cpu=">$limit"
          echo "stopped after $limit s" >"$work/out"
          status=1
        fi
        # The message a person sees: the error page's text for render.
        line=$(grep -m1 -iE "too large|too many|not shown|limit|error" "$work/out" | cut -c1-100 || true)
        [ "$command" = render ] && message=$line
        ;;
      app)
        if [ ! -x "$probe" ] || ! command -v xvfb-run >/dev/null 2>&1; then
          continue
        fi
        frames=""
        if [ -n "${KIOS_BOUNDS_FRAMES:-}" ]; then
          mkdir -p "$KIOS_BOUNDS_FRAMES"
          frames="--frames $work/frames"
          rm -rf "$work/frames"
        fi
        # shellcheck disable=SC2086
        result=$(env GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1 \
          GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" \
          "$top/tests/headless.sh" "$probe" --timeout 60000 --settle 3000 $frames -- \
          "$build/src/kios" "$epub" 2>/dev/null | tail -n 1) || result=""
        cpu=$(echo "$result" | awk '{for (i = 1; i < NF; i++) if ($i == "cpu-s") print $(i + 1)}')
        rss=$(echo "$result" | awk '{for (i = 1; i < NF; i++) if ($i == "peak-rss-kb") printf "%.0f", $(i + 1) / 1024}')
        if [ -n "$frames" ] && [ -d "$work/frames" ]; then
          last=$(ls "$work/frames" | tail -n 1)
          [ -n "$last" ] && cp "$work/frames/$last" "$KIOS_BOUNDS_FRAMES/$book.ppm"
        fi
        line=${message:+(the page above)}
        if [ -z "$cpu" ]; then
          cpu=-1 rss=0 line="nothing shown within 60 s"
          status=1
        fi
        ;;
    esac
    printf '%-14s %-8s %6sKB %7s %8s  %s\n' "$book" "$command" "$size" "$cpu" "$rss" "$line"
    if [ "${cpu#>}" != "$cpu" ] || [ "$(echo "$cpu > 10" | bc)" = 1 ] || [ "$rss" -gt 400 ]; then
      status=1
    fi
  done
done
exit $status
