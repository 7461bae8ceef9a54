#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
#
# A Kobo library sync at scale: `kiosctl browse` of a Kobo sync source whose
# server (build/bench/kios-bench-kobo-server, the tests' fake, paged with
# x-kobo-sync tokens as in docs/protocols/KOBO.md) holds 10,000 books,
# against the same sync of 100 books in the same run: wall time and peak
# RSS of kiosctl, and the ratio of the two RSS (bounded memory: close to 1).
#
#   bench/kobo-sync.sh [BIG] [SMALL] [cwa|komga]   (build first; 10000, 100, cwa)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
big=${1:-10000}
small=${2:-100}
family=${3:-cwa}
server=build/bench/kios-bench-kobo-server
kiosctl=build/src/kiosctl/kiosctl
book=tests/books/persuasion.epub
[ -x "$server" ] && [ -x "$kiosctl" ] || { echo "build Kios first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kios-kobo-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

run () { # N: prints "N seconds peak-kB entries pages"
  dir="$work/$1"
  mkdir -p "$dir/data" "$dir/cache" "$dir/config"
  mkfifo "$dir/in"
  "$server" "$1" "$book" "$family" < "$dir/in" > "$dir/server" &
  pid=$!
  exec 3> "$dir/in"
  while [ ! -s "$dir/server" ]; do sleep 0.05; done
  url=$(head -n 1 "$dir/server")
  export XDG_DATA_HOME="$dir/data" XDG_CACHE_HOME="$dir/cache" XDG_CONFIG_HOME="$dir/config"
  export SECRET_BACKEND=file SECRET_FILE_TEST_PATH="$dir/keyring" SECRET_FILE_TEST_PASSWORD=kios-bench
  "$kiosctl" source add --kind kobo --name bench --url "$url" --library-sync > /dev/null
  /usr/bin/time -f "%e %M" -o "$dir/time" "$kiosctl" browse bench > "$dir/out"
  exec 3>&-
  wait "$pid"
  pages=$(sed -n 's/^sync-pages //p' "$dir/server")
  echo "$1 $(cat "$dir/time") $(wc -l < "$dir/out") $pages"
}

echo "Kobo library sync through kiosctl browse ($family fake, $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg))"
s=$(run "$small")
b=$(run "$big")
echo "$s" | awk '{ printf "  %6d books: %6.2f s  peak RSS %6.1f MB  (%d listed, %d sync pages)\n", $1, $2, $3 / 1024, $4, $5 }'
echo "$b" | awk '{ printf "  %6d books: %6.2f s  peak RSS %6.1f MB  (%d listed, %d sync pages)\n", $1, $2, $3 / 1024, $4, $5 }'
echo "$s $b" | awk '{ printf "  RSS %d books / %d books: %.2f x; time per book %.2f ms (%d) vs %.2f ms (%d)\n", $6, $1, $8 / $3, $7 * 1000 / $6, $6, $2 * 1000 / $1, $1 }'
