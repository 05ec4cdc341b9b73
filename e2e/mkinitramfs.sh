#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's initramfs: busybox plus the modules needed to mount the
# host root over virtio-9p with a tmpfs overlay on top. Everything else the
# guest runs (servers, clients, xlock) comes from the host root.
#
# usage: mkinitramfs.sh KVER OUT
set -eu

KVER=$1
OUT=$2
MODS="netfs 9pnet 9pnet_virtio 9p overlay"
HERE=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev" \
	"$tmp/ro" "$tmp/rw" "$tmp/newroot"
cp /bin/busybox "$tmp/bin/busybox"
for a in sh mount umount mkdir insmod switch_root cat echo sleep poweroff; do
	ln -s busybox "$tmp/bin/$a"
done

for m in $MODS; do
	path=$(modinfo -k "$KVER" -n "$m")
	case "$path" in
	*.ko.xz)  xz -dc "$path" >"$tmp/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -dcq "$path" >"$tmp/lib/modules/$m.ko" ;;
	*.ko)     cp "$path" "$tmp/lib/modules/$m.ko" ;;
	*)        echo "mkinitramfs: $m is not a module for $KVER ($path)" >&2; exit 1 ;;
	esac
done
echo "$MODS" >"$tmp/lib/modules/order"
cp "$HERE/initramfs-init" "$tmp/init"
chmod +x "$tmp/init"

(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
