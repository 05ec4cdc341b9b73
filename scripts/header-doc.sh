#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the documentation comment of a C header (its first block comment
# that opens on a line of its own) as plain text: how the netlink protocol
# and xlockd's state format are installed in /usr/share/doc/xlock, written
# once, in the header the code is built from.
#
# usage: header-doc.sh HEADER
set -eu
awk '
	!on && /^\/\*$/ { on = 1; next }
	on && /^ \*\/$/ { exit }
	on { sub(/^ \* ?/, ""); sub(/^ \*$/, ""); print }
' "$1"
