#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs missing dependencies, builds Kios and runs every test, headless
# (each GUI test gets its own Xvfb display and a private session bus), then
# every libFuzzer harness for a short, fixed number of runs. Ends with one
# line "N passed, N failed" over the test programs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top"
status=0
meson test -C build --setup headless --print-errorlogs "$@" || status=$?

# Every libFuzzer harness for a short, fixed number of runs from its seeds
# (a clang build of its own in build-fuzz; ~1-2 minutes in all).
fuzz=0
"$top/scripts/fuzz.sh" --runs 1000 || fuzz=1

python3 - "$top/build/meson-logs/testlog-headless.json" "$fuzz" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
fuzz_failed = sys.argv[2] == "1"
passed += 0 if fuzz_failed else 1
failed += 1 if fuzz_failed else 0
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
[ "$fuzz" -eq 0 ] || status=1
exit "$status"
