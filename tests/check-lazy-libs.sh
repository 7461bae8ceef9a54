#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# The executables load libcurl on the first request (src/core/sync/kios-curl.c):
# none may need it at start-up, directly (DT_NEEDED) or through another library.
set -eu
status=0
for bin in "$@"; do
  if readelf -d "$bin" | grep -E 'NEEDED.*\[libcurl' >&2; then
    echo "$bin links libcurl" >&2
    status=1
  elif ldd "$bin" | grep -F 'libcurl' >&2; then
    echo "$bin loads libcurl at start-up through another library" >&2
    status=1
  else
    echo "$(basename "$bin"): no libcurl at start-up"
  fi
done
exit $status
