#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The include/call graph between xlock's units: no circle, no upward call,
# no unit of one program using another's (tests/host/layers.py). TAP.
# The module's objects must be built (make all).
exec python3 "$(dirname "$0")/layers.py" kmod userspace
