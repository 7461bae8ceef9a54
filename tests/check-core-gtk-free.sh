#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# The core library must stay GTK-free: no source under src/core includes GTK,
# and a GTK include compiled with core's own flags fails.
set -eu
top=$1
cc=${CC:-cc}

if grep -rnE '#\s*include\s*[<"](gtk|gdk|adwaita)' "$top/src/core"; then
  echo "src/core includes GTK, GDK or libadwaita" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <gtk/gtk.h>\nint main (void) { return 0; }\n' > "$tmp/probe.c"
# The same packages core's meson target depends on (src/core/meson.build).
flags=$(pkg-config --cflags glib-2.0 gio-2.0 json-glib-1.0 libxml-2.0 libarchive libcurl libsecret-1 sqlite3)
# shellcheck disable=SC2086
if $cc -fsyntax-only $flags -I"$top/src/core" "$tmp/probe.c" 2>/dev/null; then
  echo "a GTK include compiles with core's flags: core must not see GTK" >&2
  exit 1
fi
echo "core is GTK-free"
