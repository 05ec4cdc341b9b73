#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install everything xlock needs to build, test and run its guest harness.
# Idempotent: a second run with everything present only checks and exits.
#
# Debian 12 (bookworm) and Debian 13 (trixie). The guest kernel is this
# release's newest linux-image-6.12.*+debNN-amd64 with its matching headers
# (never a hard-coded point release: the security archive keeps only the
# newest): on Debian 12 from bookworm-security, on Debian 13 the stock one.
# On Debian 12, ksmbd-tools comes from bookworm-backports (3.5.x): bookworm's
# 3.4.7 speaks an older share-config netlink format than the 6.12 ksmbd and
# every tree connect fails; Debian 13 has 3.5.3.
set -eu

export DEBIAN_FRONTEND=noninteractive
APT_OPTS="-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# shellcheck disable=SC1091
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case $CODENAME in
bookworm)
	REL=12
	BPO_LIST=/etc/apt/sources.list.d/xlock-bookworm-backports.list
	KSMBD=ksmbd-tools/bookworm-backports ;;
trixie)
	REL=13
	BPO_LIST=
	KSMBD=ksmbd-tools ;;
*)
	echo "deps: Debian 12 (bookworm) or 13 (trixie) needed, this is '$CODENAME'" >&2
	exit 1 ;;
esac

# Build and test (the guest harness), packaging (make deb) and the
# deployment lane's roots and disks (mmdebstrap, qemu-img).
PKGS="qemu-system-x86 qemu-utils busybox-static nfs-kernel-server nfs-common cifs-utils
libnl-3-dev libnl-genl-3-dev pkg-config python3-impacket samba-testsuite sparse dkms
linux-source-6.12 xz-utils zstd cpio e2fsprogs iproute2 make gcc libc6-dev
python3 kmod rpcbind procps util-linux keyutils attr
debhelper dh-dkms lintian mmdebstrap"

installed() {
	dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null |
		grep -vc 'install ok installed' | grep -qx 0
}

# The package that installs kernel $1's image: the signed one, or, while
# Debian's signed build of a new point release has not reached the archive
# yet (seen: 6.12.118+deb12 in bookworm-security with only -unsigned), the
# unsigned one. Both install the same /boot and /lib/modules files.
image_pkg() {
	for p in "linux-image-$1" "linux-image-$1-unsigned"; do
		c=$(apt-cache policy "$p" 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
		if [ -n "$c" ] && [ "$c" != "(none)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Newest 6.12 version of this release for which both the image and its
# headers exist.
newest_kver() {
	apt-cache search --names-only "^linux-headers-6\\.12\\.[0-9]+\\+deb$REL-amd64\$" |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V |
	while read -r v; do
		image_pkg "$v" >/dev/null && echo "$v"
	done | tail -n 1
}

# deps.sh --image-package KVER: print that package (the deployment lane's
# Debian 12 root installs the same one) and exit.
if [ "${1:-}" = --image-package ]; then
	image_pkg "${2:?usage: deps.sh --image-package KVER}"
	exit
fi

have_kernel() {
	for h in /usr/src/linux-headers-6.12.*+deb$REL-amd64; do
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
if installed $PKGS && have_kernel && have_ksmbd_tools && { [ -z "$BPO_LIST" ] || [ -f "$BPO_LIST" ]; }; then
	echo "deps: all present"
	exit 0
fi

if [ -n "$BPO_LIST" ] && [ ! -f "$BPO_LIST" ]; then
	echo "deb http://deb.debian.org/debian $CODENAME-backports main" |
		$SUDO tee "$BPO_LIST" >/dev/null
fi
$SUDO apt-get -q update

KVER=$(newest_kver)
[ -n "$KVER" ] || { echo "deps: no linux-image-6.12.*+deb$REL-amd64 in the archive" >&2; exit 1; }
IMAGE=$(image_pkg "$KVER")
echo "deps: kernel $KVER ($IMAGE)"

# Do not let package scripts start services on this machine: the servers
# run in the guest only.
NOSTART=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	NOSTART=1
fi

# shellcheck disable=SC2086
$SUDO apt-get install $APT_OPTS $PKGS "$IMAGE" "linux-headers-$KVER" "$KSMBD"

[ -z "$NOSTART" ] || $SUDO rm -f /usr/sbin/policy-rc.d
have_kernel || { echo "deps: kernel $KVER did not install" >&2; exit 1; }
have_ksmbd_tools || { echo "deps: ksmbd-tools >= 3.5 did not install" >&2; exit 1; }
echo "deps: done"
