#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs a test under its own Xvfb display and a private D-Bus session bus that
# activates no services (no portals, no keyring, no accessibility bus).
here=$(cd "$(dirname "$0")" && pwd)
exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
  dbus-run-session --config-file="$here/session.conf" -- "$@"
