#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# The executables load libcurl and libsecret on first use
# (src/core/sync/kios-dlopen.h): none may need them at start-up, directly
# (DT_NEEDED) or through another library.
set -eu
lazy='libcurl|libsecret'
status=0
for bin in "$@"; do
  if readelf -d "$bin" | grep -E "NEEDED.*\[($lazy)" >&2; then
    echo "$bin links a library it should load on first use" >&2
    status=1
  elif ldd "$bin" | grep -E "$lazy" >&2; then
    echo "$bin loads a library at start-up, through another one, that it should load on first use" >&2
    status=1
  else
    echo "$(basename "$bin"): neither libcurl nor libsecret at start-up"
  fi
done
exit $status
