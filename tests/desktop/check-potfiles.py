#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
"""Fails when po/POTFILES.in misses a file with translatable strings, lists a
file that does not exist, or is not sorted."""

import pathlib
import re
import sys

MARKERS = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|g_dpgettext2)\s*\(|translatable="yes"')
SUFFIXES = ('.c', '.h', '.ui', '.desktop.in', '.metainfo.xml.in')


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.').resolve()
    potfiles = root / 'po' / 'POTFILES.in'
    listed = [line.strip() for line in potfiles.read_text(encoding='utf-8').splitlines()
              if line.strip() and not line.lstrip().startswith('#')]
    failures = []

    if listed != sorted(listed):
        failures.append('po/POTFILES.in is not sorted')
    for name in listed:
        if not (root / name).is_file():
            failures.append(f'listed but missing: {name}')

    needed = []
    for top in ('src', 'data'):
        for path in sorted((root / top).rglob('*')):
            if not path.is_file() or not path.name.endswith(SUFFIXES):
                continue
            rel = path.relative_to(root).as_posix()
            text = path.read_text(encoding='utf-8', errors='replace')
            # Desktop and metainfo templates are translated as a whole.
            if rel.endswith(('.desktop.in', '.metainfo.xml.in')) or MARKERS.search(text):
                needed.append(rel)
    for name in needed:
        if name not in listed:
            failures.append(f'has translatable strings but is not in po/POTFILES.in: {name}')

    for failure in failures:
        print(failure, file=sys.stderr)
    print(f'{len(listed)} files listed, {len(needed)} need translation, {len(failures)} problems')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
