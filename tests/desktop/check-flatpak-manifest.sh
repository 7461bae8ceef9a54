#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
# flatpak-builder only warns about unknown keys (exit 0): fail on any WARNING.
set -u
manifest=$1
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! flatpak-builder --show-manifest "$manifest" >/dev/null 2>"$err"; then
  cat "$err" >&2
  exit 1
fi
if grep -q WARNING "$err"; then
  cat "$err" >&2
  exit 1
fi
echo "manifest OK: $manifest"
