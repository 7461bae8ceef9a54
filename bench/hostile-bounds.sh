#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Makes the hostile books of the bounds benchmark (bench/hostile-bounds.py)
# and measures `kiosctl info` and `kiosctl render` on each: CPU seconds,
# peak RSS and the message shown. Every case must end within 10 s of CPU
# and 400 MB of RSS.
#
#   bench/hostile-bounds.sh [BUILD_DIR]     (default: build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kiosctl="$top/${1:-build}/src/kiosctl/kiosctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"

python3 "$top/bench/hostile-bounds.py" "$work"
status=0
printf '%-16s %-7s %8s %9s %10s  %s\n' book command size cpu_s peak_mb message
for book in bomb lying bigimage paragraph paragraph-7mb; do
  for command in info render; do
    if [ "$command" = info ]; then
      set -- info "$work/$book.epub"
    else
      set -- render "$work/$book.epub" --at percent:50 --size 600x800 -o "$work/$book.png"
    fi
    /usr/bin/time -v -o "$work/time" "$kiosctl" "$@" >"$work/out" 2>&1 || true
    cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u+s}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$work/time")
    size=$(du -k "$work/$book.epub" | cut -f1)
    # The message a person sees: the error page's text for render (kiosctl
    # prints it), else the last line of the output.
    message=$(grep -m1 -iE "too large|not shown|limit|error" "$work/out" | cut -c1-90 || true)
    printf '%-16s %-7s %6sKB %9s %10s  %s\n' "$book" "$command" "$size" "$cpu" "$rss" "$message"
    if [ "$(echo "$cpu > 10" | bc)" = 1 ] || [ "$rss" -gt 400 ]; then
      status=1
    fi
  done
done
exit $status
