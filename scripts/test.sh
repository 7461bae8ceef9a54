#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs missing dependencies, builds Kios and runs every test, headless
# (each GUI test gets its own Xvfb display and a private session bus).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top"
meson test -C build --setup headless --print-errorlogs "$@"
# Every libFuzzer harness for a short, fixed number of runs from its seeds
# (a clang build of its own in build-fuzz; ~1-2 minutes in all).
"$top/scripts/fuzz.sh" --runs 1000
