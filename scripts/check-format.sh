#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Fails when any C source or header that git tracks differs from what the
# project's .clang-format makes of it, and names each such file.
# With --fix, rewrites them instead.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if ! command -v clang-format >/dev/null 2>&1; then
  echo "check-format: clang-format is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
  # Tracked files and new ones not yet added (but not ignored ones).
  files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
else
  files=$(find src tests bench -name '*.[ch]')
fi

if [ "${1:-}" = "--fix" ]; then
  # shellcheck disable=SC2086
  clang-format -i $files
  exit 0
fi

bad=""
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad="$bad $f"
  fi
done
if [ -n "$bad" ]; then
  echo "These files are not formatted as .clang-format says (run scripts/check-format.sh --fix):"
  for f in $bad; do echo "  $f"; done
  exit 1
fi
echo "every C file is formatted"
