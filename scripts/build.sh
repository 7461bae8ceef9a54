#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs missing dependencies, then configures and builds Kios in ./build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
cd "$top"
if [ ! -f build/build.ninja ]; then
  meson setup build --werror
fi
ninja -C build
