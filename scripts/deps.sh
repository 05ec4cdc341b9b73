#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install everything xlock needs to build, test and run its guest harness.
# Idempotent: a second run with everything present only checks and exits.
#
# The guest kernel is Debian's newest linux-image-6.12.*+deb12-amd64 with its
# matching headers (never a hard-coded point release: the security archive
# keeps only the newest). ksmbd-tools comes from bookworm-backports (3.5.x):
# bookworm's 3.4.7 speaks an older share-config netlink format than the 6.12
# ksmbd and every tree connect fails.
set -eu

export DEBIAN_FRONTEND=noninteractive
APT_OPTS="-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
BPO_LIST=/etc/apt/sources.list.d/xlock-bookworm-backports.list
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

PKGS="qemu-system-x86 busybox-static nfs-kernel-server nfs-common cifs-utils
libnl-3-dev libnl-genl-3-dev python3-impacket samba-testsuite sparse dkms
linux-source-6.12 xz-utils zstd cpio e2fsprogs iproute2 make gcc libc6-dev
python3 kmod rpcbind procps util-linux keyutils attr"

installed() {
	dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null |
		grep -vc 'install ok installed' | grep -qx 0
}

# Newest 6.12 version for which both the image and its headers exist.
newest_kver() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V |
	while read -r v; do
		apt-cache show "linux-image-$v" >/dev/null 2>&1 && echo "$v"
	done | tail -n 1
}

have_kernel() {
	for h in /usr/src/linux-headers-6.12.*+deb12-amd64; do
		[ -d "$h" ] || continue
		v=${h#/usr/src/linux-headers-}
		[ -f "/boot/vmlinuz-$v" ] && return 0
	done
	return 1
}

have_ksmbd_tools() {
	v=$(dpkg-query -W -f='${Version}' ksmbd-tools 2>/dev/null) || return 1
	dpkg --compare-versions "$v" ge 3.5
}

# shellcheck disable=SC2086
if installed $PKGS && have_kernel && have_ksmbd_tools && [ -f "$BPO_LIST" ]; then
	echo "deps: all present"
	exit 0
fi

if [ ! -f "$BPO_LIST" ]; then
	echo "deb http://deb.debian.org/debian bookworm-backports main" |
		$SUDO tee "$BPO_LIST" >/dev/null
fi
$SUDO apt-get -q update

KVER=$(newest_kver)
[ -n "$KVER" ] || { echo "deps: no linux-image-6.12.*+deb12-amd64 in the archive" >&2; exit 1; }
echo "deps: kernel $KVER"

# Do not let package scripts start services on this machine: the servers
# run in the guest only.
NOSTART=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	NOSTART=1
fi

# shellcheck disable=SC2086
$SUDO apt-get install $APT_OPTS $PKGS "linux-image-$KVER" "linux-headers-$KVER" \
	ksmbd-tools/bookworm-backports

[ -z "$NOSTART" ] || $SUDO rm -f /usr/sbin/policy-rc.d
have_kernel || { echo "deps: kernel $KVER did not install" >&2; exit 1; }
have_ksmbd_tools || { echo "deps: ksmbd-tools >= 3.5 did not install" >&2; exit 1; }
echo "deps: done"
