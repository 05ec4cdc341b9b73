#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the guest after switch_root: set up the system, run the requested
# scenarios, copy dmesg out and power off. Never exits (PID 1 must not).
#
# Kernel command line (passed to us as environment):
#   xlock_dir    the repository (same path on host and guest)
#   xlock_run    comma-separated scenario names
#   xlock_opts   comma-separated options (noxlock, ...)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export XLOCK_DIR="$xlock_dir"

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
# /tmp stays on the overlay (tmpfs-backed): the repository may live under it.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# Why: enabling or disabling any trace event with record-cmd (or
# record-tgid) on flips the sched_switch/sched_wakeup tracepoint keys, and
# under multi-threaded TCG the text_poke of those jump labels races the
# other vCPU in the scheduler: "Oops: int3" in __schedule or
# ttwu_do_activate, a stock-kernel/QEMU problem, not xlock's (scenario
# trace-toggle). Events are recorded without comm/tgid caching here.
echo 0 >/sys/kernel/tracing/options/record-cmd 2>/dev/null
echo 0 >/sys/kernel/tracing/options/record-tgid 2>/dev/null
mkdir -p /results
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /results

off() {
	sync
	umount /results 2>/dev/null
	echo o >/proc/sysrq-trigger
	# Why a loop: once the power-off has shut the virtio devices down,
	# exec of anything on the 9p root fails (sh exits 126) and PID 1
	# returning panics the kernel before the power goes.
	while :; do
		sleep 30
	done
}

if [ ! -f "$XLOCK_DIR/e2e/guest/runner.sh" ]; then
	echo "guest: no harness at '$XLOCK_DIR'" >/dev/console
	off
fi
/bin/sh "$XLOCK_DIR/e2e/guest/runner.sh" "$xlock_run" "$xlock_opts" \
	>/results/guest.log 2>&1 </dev/null
dmesg >/results/dmesg.txt
off
