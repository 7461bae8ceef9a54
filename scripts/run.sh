#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Builds Kios and opens it, uninstalled, on a bundled sample book (or the files given).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
export GSETTINGS_SCHEMA_DIR="$top/build/data"
if [ $# -eq 0 ]; then
  set -- "$top/tests/books/pride-and-prejudice.epub"
fi
exec "$top/build/src/kios" "$@"
