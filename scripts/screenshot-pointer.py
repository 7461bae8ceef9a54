#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
#
# For screenshots of things only a real pointer shows (tooltips): moves the
# X pointer of $DISPLAY to X Y (through XTest, with ctypes: no extra
# packages), waits, and saves the whole screen to OUT.png with ImageMagick's
# `import`. Usage: screenshot-pointer.py X Y DELAY_SECONDS OUT.png
import ctypes
import subprocess
import sys
import time

x, y, delay, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
xlib = ctypes.CDLL("libX11.so.6")
xtst = ctypes.CDLL("libXtst.so.6")
xlib.XOpenDisplay.restype = ctypes.c_void_p
display = xlib.XOpenDisplay(None)
if not display:
    sys.exit("cannot open the display")
# Arrive from a little to the left, as a hand would: GTK wants motion.
for step in range(6):
    xtst.XTestFakeMotionEvent(ctypes.c_void_p(display), -1, x - 30 + step * 6, y, 0)
    xlib.XFlush(ctypes.c_void_p(display))
    time.sleep(0.05)
time.sleep(delay)
subprocess.run(["import", "-window", "root", out], check=True)
xlib.XCloseDisplay(ctypes.c_void_p(display))
