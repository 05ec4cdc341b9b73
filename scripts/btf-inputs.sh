#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Collect the BTF inputs for scripts/btfgen: the base (vmlinux) BTF of kernel
# KVER and uncompressed copies of the modules xlock hooks.
#
# usage: btf-inputs.sh KVER OUTDIR MODULE...
set -eu
KVER=$1
OUT=$2
shift 2
MODS=$*
mkdir -p "$OUT"

if [ "$(uname -r)" = "$KVER" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	cp /sys/kernel/btf/vmlinux "$OUT/vmlinux"
else
	img=/boot/vmlinuz-$KVER
	[ -r "$img" ] || { echo "btf-inputs: $img not found: install linux-image-$KVER" >&2; exit 1; }
	# The bzImage payload is compressed; find the first stream and unpack it.
	found=
	for c in "28b52ffd zstd -dcq" "fd377a585a00 xz -dcq" "1f8b0800 gzip -dcq" \
		 "425a68 bzip2 -dcq" "5d000000 xz -dcq --format=lzma"; do
		set -- $c
		magic=$1
		shift
		off=$(od -An -v -tx1 "$img" | tr -d ' \n' | grep -bo "$magic" | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || continue
		off=$((off / 2))
		tail -c +$((off + 1)) "$img" | "$@" >"$OUT/vmlinux" 2>/dev/null || true
		if [ "$(head -c 4 "$OUT/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			found=1
			break
		fi
	done
	[ -n "$found" ] || { echo "btf-inputs: cannot unpack $img" >&2; exit 1; }
fi

for m in $MODS; do
	path=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || path=
	case "$path" in
	*.ko.xz)  xz -dc "$path" >"$OUT/$m.ko" ;;
	*.ko.zst) zstd -dcq "$path" >"$OUT/$m.ko" ;;
	*.ko.gz)  gzip -dc "$path" >"$OUT/$m.ko" ;;
	*.ko)     cp "$path" "$OUT/$m.ko" ;;
	*)        rm -f "$OUT/$m.ko"
		  echo "btf-inputs: warning: no $m module for $KVER" >&2 ;;
	esac
done
