#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The deployment lane's server root: Debian REL (12 or 13) built with
# mmdebstrap from Debian's archive as an ext4 disk image, with what an
# admin installs before xlock (README "Installing on a server", step 1:
# e2e/deploy/packages-REL) and the lane's driver unit. Built once and
# reused while this script, the package list and the unit are unchanged
# (and, on Debian 12, the 6.12 kernel the host's tests use).
#
# usage: mkroot.sh REL OUTDIR  ->  OUTDIR/root-REL.img, vmlinuz-REL, initrd-REL
set -eu
REL=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
M=http://deb.debian.org/debian
S=http://deb.debian.org/debian-security

case $REL in
12)
	SUITE=bookworm
	KVER=$("$HERE/../kver.sh")
	case $KVER in *+deb12-amd64) ;; *)
		echo "mkroot: no Debian 12 6.12 kernel on this machine (make deps)" >&2; exit 1 ;; esac
	IMAGE=$("$HERE/../../scripts/deps.sh" --image-package "$KVER") ||
		{ echo "mkroot: no image package for $KVER in the archive" >&2; exit 1; }
	EXTRA="deb $M bookworm-backports main" ;;
13)
	SUITE=trixie
	KVER=
	IMAGE=
	EXTRA= ;;
*)
	echo "usage: mkroot.sh 12|13 OUTDIR" >&2; exit 2 ;;
esac
PKGS=$(sed "s/IMAGE/$IMAGE/g; s/KVER/$KVER/g" "$HERE/packages-$REL")

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
key=$( (cat "$0" "$HERE/packages-$REL" "$HERE/xlock-lane.service"; echo "$PKGS") |
	sha256sum | cut -c1-16)
if [ -f "$OUT/root-$REL.img" ] && [ "$(cat "$OUT/root-$REL.key" 2>/dev/null)" = "$key" ]; then
	echo "mkroot: Debian $REL root cached ($OUT/root-$REL.img)"
	exit 0
fi
rm -f "$OUT/root-$REL.img" "$OUT/root-$REL.key"
D=$OUT/root-$REL.d
rm -rf "$D"

# Base system with systemd as init and the lane's client tools (cifs-utils,
# python3-impacket); the admin's packages (no recommends,
# as the README's apt line says); networkd for the lane's link.
# shellcheck disable=SC2086
mmdebstrap --variant=apt --mode=root \
	--include="systemd-sysv,udev,iproute2,kmod,initramfs-tools,zstd,procps,python3,python3-impacket,cifs-utils" \
	--customize-hook='echo xlock-server >"$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 xlock-server\n10.99.0.1 nfsserver\n10.99.0.2 nfscli\n" >"$1/etc/hosts"' \
	--customize-hook='echo "/dev/vda / ext4 defaults 0 1" >"$1/etc/fstab"' \
	--customize-hook='printf "[Match]\nName=en*\n\n[Network]\nAddress=10.99.0.1/24\n" >"$1/etc/systemd/network/10-lane.network"' \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd' \
	--customize-hook="copy-in $HERE/xlock-lane.service /etc/systemd/system" \
	--customize-hook='chroot "$1" systemctl enable xlock-lane.service' \
	--customize-hook="chroot \"\$1\" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS'" \
	"$SUITE" "$D" \
	"deb $M $SUITE main" "deb $M $SUITE-updates main" "deb $S $SUITE-security main" \
	${EXTRA:+"$EXTRA"}

cp "$D"/boot/vmlinuz-6.12.* "$OUT/vmlinuz-$REL"
cp "$D"/boot/initrd.img-6.12.* "$OUT/initrd-$REL"
mkfs.ext4 -q -F -L xlockroot -d "$D" "$OUT/root-$REL.img" 4G
rm -rf "$D"
echo "$key" >"$OUT/root-$REL.key"
echo "mkroot: Debian $REL root built ($OUT/root-$REL.img)"
