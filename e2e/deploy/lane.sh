#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The deployment lane: for each Debian release named (12, 13), boot a
# server guest with systemd as PID 1 from a root built by mkroot.sh
# (cached under build/deploy), let e2e/deploy/guest.sh install the packages
# (make deb) as an admin does, serve, show a conflict, reboot for real
# (systemctl reboot; QEMU runs without -no-reboot and the guest counts its
# boots) and check the reclaim after it. One line per release:
#   deploy-REL: PASS|FAIL (N s; root: cached|built in N s; boots N)
# Run it under `guest` (it boots QEMU). Exit 1 if any release failed.
#
# DKMS compiling xlock under TCG takes long (see README), so by default
# README step 2 (apt install ./xlock*.deb, which runs the DKMS build) runs
# in a chroot of the guest's root on the host before the boot: the same
# command on the same root, compiled natively. -g runs it in the booted
# guest instead.
#
# usage: e2e/deploy/lane.sh [-g] [-t SECONDS] REL...
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=1500
INGUEST=
while getopts gt: c; do
	case $c in
	g) INGUEST=1 ;;
	t) TIMEOUT=$OPTARG ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
B=$TOP/build/deploy
mkdir -p "$B"

# The packages, as make deb builds them (lintian-clean), unless built for
# this version already.
V=$("$TOP/scripts/version.sh")
td=$(date +%s)
if [ ! -f "$TOP/build/deb/xlock_${V}_amd64.deb" ] || [ ! -f "$TOP/build/deb/xlock-dkms_${V}_all.deb" ]; then
	make -s -C "$TOP" deb >"$B/deb.log" 2>&1 ||
		{ tail -n 20 "$B/deb.log"; echo "deploy: make deb failed"; exit 1; }
fi
echo "deploy: packages $V ready in $(($(date +%s) - td)) s"

rc=0
for REL in "$@"; do
	t0=$(date +%s)
	if "$TOP/e2e/deploy/mkroot.sh" "$REL" "$B" >"$B/mkroot-$REL.log" 2>&1; then
		grep -q cached "$B/mkroot-$REL.log" && how=cached || how="built in $(($(date +%s) - t0)) s"
	else
		tail -n 20 "$B/mkroot-$REL.log"
		echo "deploy-$REL: FAIL (the root did not build: $B/mkroot-$REL.log)"
		rc=1
		continue
	fi
	R=$B/run-$REL
	# A run that died in the chroot step may have left the root mounted
	# with the host's /dev bound into it: unmount first, and never let rm
	# cross into another file system (it would empty the host's /dev).
	if [ -d "$R/mnt" ]; then
		for m in dev sys proc .; do
			! mountpoint -q "$R/mnt/$m" || umount -l "$R/mnt/$m"
		done
	fi
	rm -rf --one-file-system "$R"
	mkdir -p "$R/share/debs" "$R/share/out" "$R/share/e2e"
	cp "$TOP/build/deb/xlock_${V}_amd64.deb" "$TOP/build/deb/xlock-dkms_${V}_all.deb" "$R/share/debs/"
	cp -r "$TOP/e2e/deploy" "$TOP/e2e/tools" "$R/share/e2e/"
	rm -rf "$R/share/e2e/tools/__pycache__"
	# The cached root stays clean: the guest writes to an overlay, or to a
	# copy when step 2 runs here.
	if [ -n "$INGUEST" ]; then
		qemu-img create -q -f qcow2 -F raw -b "$B/root-$REL.img" "$R/disk.qcow2"
		fmt=qcow2
	else
		cp --sparse=always "$B/root-$REL.img" "$R/disk.raw"
		mkdir -p "$R/mnt"
		mount -o loop "$R/disk.raw" "$R/mnt"
		mount -t proc proc "$R/mnt/proc"
		mount -t sysfs sys "$R/mnt/sys"
		mount --bind /dev "$R/mnt/dev"
		cp "$R"/share/debs/*.deb "$R/mnt/root/"
		t2=$(date +%s)
		set +e
		chroot "$R/mnt" sh -c 'cd /root && DEBIAN_FRONTEND=noninteractive apt install -y ./xlock-dkms_*_all.deb ./xlock_*_amd64.deb' \
			>"$R/share/out/host-install.log" 2>&1
		echo $? >"$R/share/out/host-install.rc"
		set -e
		echo "$(($(date +%s) - t2))" >"$R/share/out/host-install.s"
		# A process the install started may hold the chroot's /dev a
		# moment longer (seen once: "target is busy").
		for m in dev sys proc .; do
			i=0
			until umount "$R/mnt/$m"; do
				i=$((i + 1))
				[ "$i" -lt 20 ] || exit 1
				sleep 1
			done
		done
		fmt=raw
	fi
	t1=$(date +%s)
	set +e
	timeout "$TIMEOUT" qemu-system-x86_64 -machine q35 -cpu max -smp 2 -m 2G \
		-accel tcg,thread=multi -nographic -no-user-config \
		-kernel "$B/vmlinuz-$REL" -initrd "$B/initrd-$REL" \
		-append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0" \
		-drive "file=$R/disk.$fmt,if=virtio,format=$fmt,cache=unsafe" \
		-fsdev "local,id=lane,path=$R/share,security_model=none" \
		-device virtio-9p-pci,fsdev=lane,mount_tag=lane \
		-nic none </dev/null >"$R/console.log" 2>&1
	q=$?
	set -e
	res=$(cat "$R/share/out/result" 2>/dev/null || echo "no result (qemu $q)")
	boots=$(cat "$R/share/out/boots" 2>/dev/null || echo 0)
	[ "$boots" = 2 ] || res="$res, $boots boots (2 expected)"
	echo "deploy-$REL: $res ($(($(date +%s) - t1)) s in the guest; root: $how; boots $boots)"
	# Each step's time: the chroot install, then from QEMU's start to
	# boot 1's lane unit, boot 1's steps, the reboot (shutdown and boot 2
	# up to the lane unit) and boot 2's steps.
	tm() { sed -n "s/^$1 //p" "$R/share/out/times" 2>/dev/null | head -n 1; }
	b1=$(tm boot1) rb=$(tm reboot) b2=$(tm boot2) end=$(tm end)
	echo "deploy-$REL times: install (chroot) $(cat "$R/share/out/host-install.s" 2>/dev/null || echo -) s," \
		"qemu to boot 1 $([ -n "$b1" ] && echo $((b1 - t1)) || echo -) s," \
		"boot 1 $([ -n "$b1" ] && [ -n "$rb" ] && echo $((rb - b1)) || echo -) s," \
		"reboot $([ -n "$rb" ] && [ -n "$b2" ] && echo $((b2 - rb)) || echo -) s," \
		"boot 2 $([ -n "$b2" ] && [ -n "$end" ] && echo $((end - b2)) || echo -) s"
	[ "$res" = PASS ] || { rc=1; tail -n 30 "$R/share/out/log" 2>/dev/null; }
	rm -f "$R/disk.qcow2" "$R/disk.raw"
done
exit $rc
