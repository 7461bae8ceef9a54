#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# kios names first the libraries that most of the dynamic loader's lookups
# before main () end in (src/meson.build), so that each lookup stops early.
#   probe-link-order.sh BINARY NAME… (NAME as in -lNAME, in the order
#   expected at the head of BINARY's DT_NEEDED entries)
set -eu
bin=$1
shift
if [ $# -eq 0 ]; then
  echo "the linker takes no --push-state: no order to check"
  exit 77
fi
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
i=0
for name in "$@"; do
  i=$((i + 1))
  got=$(echo "$needed" | sed -n "${i}p")
  case "$got" in
    "lib$name.so"*) ;;
    *)
      echo "$(basename "$bin") names $got at place $i of its libraries, where lib$name belongs" >&2
      echo "$needed" >&2
      exit 1
      ;;
  esac
done
echo "$(basename "$bin") names $* first"
