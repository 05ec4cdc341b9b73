#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the Debian 6.12 kernel release xlock targets: $KVER if set, else the
# newest linux-headers-6.12.*+deb12-amd64 that has a matching /boot/vmlinuz.
set -eu
if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi
for h in /usr/src/linux-headers-6.12.*+deb12-amd64; do
	[ -d "$h" ] || continue
	v=${h#/usr/src/linux-headers-}
	[ -f "/boot/vmlinuz-$v" ] && echo "$v"
done | sort -V | tail -n 1 | grep . || {
	echo "kver: no Debian 6.12 kernel with headers installed (run scripts/deps.sh)" >&2
	exit 1
}
