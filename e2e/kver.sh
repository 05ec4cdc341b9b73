#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the Debian 6.12 kernel release xlock targets: $KVER if set, else the
# newest linux-headers-6.12.*-amd64 that has a matching /boot/vmlinuz. This
# Debian release's own build comes first (+deb12 on Debian 12, +deb13 on
# Debian 13): another release's kbuild tools are linked against that
# release's C library and may not run here.
set -eu
if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi
rel=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}")
candidates() {
	for h in /usr/src/linux-headers-6.12.*-amd64; do
		[ -d "$h" ] || continue
		v=${h#/usr/src/linux-headers-}
		[ -f "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V
}
all=$(candidates)
own=$(echo "$all" | grep -F "+deb$rel-" || true)
echo "${own:-$all}" | tail -n 1 | grep . || {
	echo "kver: no Debian 6.12 kernel with headers installed (run scripts/deps.sh)" >&2
	exit 1
}
