#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The power-cut test (issue 11 item 4). xlockd's state directory lives on a
# virtio-blk disk image (cache=none: the guest's flushes reach the host
# file; nothing the guest did not flush is promised). Each boot runs the
# scenario "powercut" (e2e/scenarios/powercut.sh): it checks the state the
# previous cut left against the acks xlockd wrote to the results share
# (outside the disk), starts xlockd on it, reclaims every entry, and runs NLM
# and SMB lock load. Once it says "armed", this script waits a random time
# and kills QEMU with SIGKILL (no shutdown, no sync), then boots again on the
# same disk. The last boot only checks and reclaims.
#
# usage: e2e/powercut.sh [-c CUTS] [-j CHAINS] [-d MAX_DELAY] [-s SEED] [-O OUTDIR] [-q]
#   -c  power cuts (default 20)
#   -j  chains of boots run side by side, each on a disk of its own, the
#       cuts shared out among them (default 1)
#   -d  the cut comes 0.2 to MAX_DELAY seconds after the load's first 10
#       acknowledged events (default 2)
#   -s  seed of the cut instants (default: the time)
#   -O  where results go (default build/e2e/powercut-<time>)
#   -q  only the result lines
# Prints "e2e: PASS powercut ..." or "e2e: FAIL powercut ...", then the
# e2e/run.sh summary line. Exit status 0 on PASS.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
CUTS=20
JOBS=1
MAXD=2
SEED=${SEED:-$(date +%s)}
OUT=
QUIET=
while getopts c:j:d:s:O:q c; do
	case $c in
	c) CUTS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	d) MAXD=$OPTARG ;;
	s) SEED=$OPTARG ;;
	O) OUT=$OPTARG ;;
	q) QUIET=1 ;;
	*) sed -n '2,24p' "$0" >&2; exit 2 ;;
	esac
done
BOOT_LIMIT=240		# seconds from qemu start to "armed" (or the end)

KVER=$("$TOP/e2e/kver.sh")
[ -f "$TOP/xlock.ko" ] || { echo "powercut.sh: $TOP/xlock.ko is missing (run make first)" >&2; exit 2; }
INITRD="$TOP/build/e2e/initramfs-$KVER.gz"
mkdir -p "$TOP/build/e2e"
if [ ! -f "$INITRD" ] || [ "$TOP/e2e/initramfs-init" -nt "$INITRD" ] ||
   [ "$TOP/e2e/mkinitramfs.sh" -nt "$INITRD" ]; then
	"$TOP/e2e/mkinitramfs.sh" "$KVER" "$INITRD"
fi
# Every boot loads the module: without debug sections it is 16x smaller.
strip --strip-debug -o "$TOP/build/e2e/xlock-pc.ko" "$TOP/xlock.ko"
# ... and the disk driver, nfsd's and ksmbd's modules with their
# dependencies, decompressed here once (xz under TCG costs seconds a boot),
# listed in load order per group (blk, nfs, smb): the guest loads the
# groups side by side.
MODS=$TOP/build/e2e/pcmods
rm -rf "$MODS"
mkdir -p "$MODS"
for g in blk:virtio_blk nfs:nfsd smb:ksmbd; do
	modprobe -S "$KVER" --show-depends "${g#*:}" |
		awk -v g="${g%%:*}" '$1 == "insmod" { print g, $2 }'
done | awk '!s[$2]++' | while read -r g f; do
	n=$(basename "$f")
	n=${n%.xz}
	n=${n%.ko}
	case $f in
	*.xz) xz -dc "$f" >"$MODS/$n.ko" ;;
	*) cp "$f" "$MODS/$n.ko" ;;
	esac
	echo "$n" >>"$MODS/$g"
done
[ -n "$OUT" ] || OUT="$TOP/build/e2e/powercut-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

BAD='Oops|BUG:|WARNING:|soft lockup|hard LOCKUP|Kernel panic|general protection fault|kernel BUG at|EXT4-fs error|blocked for more than [0-9]+ seconds'

say() { [ -n "$QUIET" ] || echo "powercut: $*"; }
result() { # PASS|FAIL text
	echo "$1 powercut $(($(date +%s) - T0)) $2" >"$OUT/summary.txt"
	echo "e2e: $1 powercut - $2"
	if [ "$1" = PASS ]; then
		echo "e2e: 1 passed, 0 failed, 0 skipped (results in $OUT)"
		exit 0
	fi
	echo "e2e: 0 passed, 1 failed, 0 skipped (results in $OUT)"
	exit 1
}

# The delay before cut $2 of chain $1, in ms: uniform in 200 to
# MAXD * 1000, from the seed.
delay_ms() {
	awk -v s="$SEED" -v k="$1" -v i="$2" -v m="$MAXD" 'BEGIN { srand(s + 7919 * i + 104729 * (k - 1));
		printf "%d\n", 200 + rand() * (m * 1000 - 200) }'
}

# no_timer_check: a vCPU starved by a loaded host fails the kernel's early
# IO-APIC timer check ("IO-APIC + timer doesn't work!", a panic, seen once
# in a dozen boots at load 12 on 2 cores); a VM's timer needs no such check.
boot() { # $1 boot directory, $2 options, $3 disk
	qemu-system-x86_64 \
		-machine q35 -cpu max -smp 2 -m 1G -accel tcg,thread=multi \
		-nodefaults -display none -no-reboot \
		-serial "file:$1/console.log" \
		-kernel "/boot/vmlinuz-$KVER" -initrd "$INITRD" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
		-fsdev "local,id=res,path=$1,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=res,mount_tag=results \
		-drive "file=$3,if=virtio,format=raw,cache=none" \
		-append "console=ttyS0 loglevel=5 panic=-1 oops=panic softlockup_panic=1 mitigations=off no_timer_check xlock_dir=$TOP xlock_run=powercut xlock_opts=$2" \
		>"$1/qemu.log" 2>&1 &
	QPID=$!
}

# Where boot $1's time went: guest uptime at each phase of the scenario.
phases() {
	awk '{ printf "%s%s %s", n++ ? ", " : "at ", $1, $2 } END { if (n) printf " s" }' \
		"$1/phases.txt" 2>/dev/null
}

# Why boot $1 failed, from its results and logs.
why() {
	r=$(grep -E '^(FAIL|SKIP) ' "$1/results.txt" 2>/dev/null | head -n 1)
	k=$(grep -E -m 1 "$BAD" "$1/console.log" 2>/dev/null || true)
	echo "${r:-no result}${k:+; kernel: $k}"
}

# Deaths of the guest kernel that are TCG's (tcg_artefact).
. "$TOP/e2e/tcg.sh"

# Boot $1 (boot $i of chain $k) died of one of them: keep its directory aside,
# put the disk back as it was before that boot (xlockd may have started
# and turned the entries into its reclaim set, renumbered, before the
# kernel died: the check matches acknowledged ids) and boot again, at most
# twice a chain.
redo_boot() {
	tcg_artefact "$1/console.log" && [ "$redo" -lt 2 ] || return 1
	cp --sparse=always "$cd_/before.img" "$disk" || return 1
	redo=$((redo + 1))
	echo "e2e: AGAIN powercut - c$k boot $i: the kernel met a TCG artefact, not xlock's ($(grep -E -m 1 "$BAD" "$1/console.log"), $(grep -m 1 'RIP: 0010:' "$1/console.log" | sed 's/.*RIP: 0010://')), boot $i again on the same disk"
	rm -rf "$1.died$redo"
	mv "$1" "$1.died$redo"
}

# One chain of boots on one disk: $1 chain number, $2 its cuts. Its result
# goes to $OUT/c$1/result ("PASS cuts held recovered guest_s" or "FAIL
# text"), its progress to stdout.
chain() {
	k=$1
	cuts=$2
	cd_=$OUT/c$k
	mkdir -p "$cd_"
	disk=$cd_/state.img
	truncate -s 64M "$disk"
	mkfs.ext4 -q -F "$disk"
	QPID=
	trap '[ -z "$QPID" ] || kill -9 "$QPID" 2>/dev/null' EXIT
	trap 'exit 1' INT TERM
	guest_s=0
	acked_held=0
	recovered=0
	held_nlm=0
	held_smb=0
	redo=0
	i=1
	while [ "$i" -le $((cuts + 1)) ]; do
		dir=$cd_/boot$i
		mkdir -p "$dir"
		: >"$dir/results.txt"
		[ "$i" -eq 1 ] || cp "$cd_/boot$((i - 1))/ack.log" "$dir/prev-ack.log" 2>/dev/null ||
			: >"$dir/prev-ack.log"
		# What was in flight at the cut (powerload.py check reads it beside).
		rm -f "$dir/prev-ack.log.inflight"
		[ "$i" -eq 1 ] || cp "$cd_/boot$((i - 1))/ack.log.inflight" \
			"$dir/prev-ack.log.inflight" 2>/dev/null || :
		opts=powercut
		[ "$i" -le "$cuts" ] || opts=powercut,final
		t0=$(date +%s.%N)
		cp --sparse=always "$disk" "$cd_/before.img"
		boot "$dir" "$opts" "$disk"
		n=0
		while kill -0 "$QPID" 2>/dev/null && [ ! -e "$dir/armed" ] && [ $n -lt $((BOOT_LIMIT * 10)) ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if [ "$i" -le "$cuts" ]; then
			if [ ! -e "$dir/armed" ]; then
				kill -9 "$QPID" 2>/dev/null || true
				wait "$QPID" 2>/dev/null || true
				QPID=
				redo_boot "$dir" && continue
				fail_ "boot $i failed before its load: $(why "$dir")"
			fi
			d=$(delay_ms "$k" "$i")
			sleep "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 1000 }')"
			kill -9 "$QPID" 2>/dev/null || fail_ "boot $i: qemu was gone before the cut: $(why "$dir")"
			wait "$QPID" 2>/dev/null || true
			QPID=
			kern=$(grep -E -m 1 "$BAD" "$dir/console.log" || true)
			if [ -n "$kern" ]; then
				redo_boot "$dir" && continue
				fail_ "boot $i: kernel: $kern"
			fi
			acks=$(wc -l <"$dir/ack.log" 2>/dev/null || echo 0)
			say "c$k cut $i: ${d} ms after arming, $acks ack lines, boot to cut $(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.0f s", t1 - t0 }'); $(phases "$dir"); before it: $(head -n 1 "$dir/check.txt" 2>/dev/null | cut -c1-160)"
		else
			wait "$QPID" 2>/dev/null || true
			QPID=
			if ! grep -q '^PASS powercut' "$dir/results.txt"; then
				redo_boot "$dir" && continue
				fail_ "final boot: $(why "$dir")"
			fi
			kern=$(grep -E -m 1 "$BAD" "$dir/console.log" || true)
			if [ -n "$kern" ]; then
				redo_boot "$dir" && continue
				fail_ "final boot: kernel: $kern"
			fi
			say "c$k final boot: $(phases "$dir"); $(head -n 1 "$dir/check.txt" 2>/dev/null | cut -c1-160)"
		fi
		if [ "$i" -gt 1 ]; then
			c=$dir/check.txt
			[ -s "$c" ] || fail_ "boot $i: no check of cut $((i - 1)): $(why "$dir")"
			grep -q '^xlockd started' "$c" || fail_ "boot $i: xlockd did not start: $(why "$dir")"
			h=$(sed -n 's/.* ids, \([0-9]*\) held and.*/\1/p' "$c")
			r=$(sed -n 's/.*; recovered \([0-9]*\) entries.*/\1/p' "$c")
			hn=$(sed -n 's/.*; held: \([0-9]*\) NLM, \([0-9]*\) SMB.*/\1 \2/p' "$c")
			hn=${hn:-0 0}
			acked_held=$((acked_held + ${h:-0}))
			recovered=$((recovered + ${r:-0}))
			held_nlm=$((held_nlm + ${hn%% *}))
			held_smb=$((held_smb + ${hn##* }))
		fi
		guest_s=$(awk -v a="$guest_s" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", a + t1 - t0 }')
		i=$((i + 1))
	done
	echo "PASS $cuts $acked_held $recovered $guest_s $held_nlm $held_smb" >"$cd_/result"
}

# A chain's failure: its result, and the end of its subshell.
fail_() {
	echo "FAIL chain $k, $*" >"$cd_/result"
	exit 1
}

say "seed $SEED, $CUTS cuts in $JOBS chain(s) of boots on a disk each (cache=none)"
T0=$(date +%s)
pids=
k=1
while [ "$k" -le "$JOBS" ]; do
	# The cuts shared out: chain k takes its part of CUTS.
	chain "$k" $(((CUTS * k) / JOBS - (CUTS * (k - 1)) / JOBS)) &
	pids="$pids $!"
	k=$((k + 1))
done
trap 'kill $pids 2>/dev/null' EXIT
trap 'exit 1' INT TERM
# A failed chain ends the run: the others are stopped (their QEMUs go with
# their subshells' EXIT traps).
while :; do
	left=0
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && left=$((left + 1))
	done
	f=$(cat "$OUT"/c*/result 2>/dev/null | grep -m 1 '^FAIL' || true)
	[ -z "$f" ] || break
	[ "$left" -gt 0 ] || break
	sleep 1
done
for p in $pids; do
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
trap - EXIT
[ -z "$f" ] || result FAIL "${f#FAIL }"
cuts=0
acked_held=0
recovered=0
held_nlm=0
held_smb=0
guest_s=0
k=1
while [ "$k" -le "$JOBS" ]; do
	r=$(cat "$OUT/c$k/result" 2>/dev/null)
	case $r in PASS\ *) ;; *) result FAIL "chain $k ended without a result" ;; esac
	# shellcheck disable=SC2086
	set -- $r
	cuts=$((cuts + $2))
	acked_held=$((acked_held + $3))
	recovered=$((recovered + $4))
	guest_s=$(awk -v a="$guest_s" -v b="$5" 'BEGIN { printf "%.1f", a + b }')
	held_nlm=$((held_nlm + $6))
	held_smb=$((held_smb + $7))
	k=$((k + 1))
done
[ "$cuts" -eq "$CUTS" ] || result FAIL "$cuts cuts made of $CUTS"
result PASS "$CUTS cuts in $JOBS chain(s); $acked_held locks acknowledged and held at the cuts ($held_nlm NLM, $held_smb SMB), 0 lost; $recovered entries recovered and reclaimed; xlockd started $CUTS times on a cut state; guest time ${guest_s} s, $(($(date +%s) - T0)) s in all"
