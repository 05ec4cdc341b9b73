#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's 6.12 kernel under QEMU/TCG with the host root shared
# read-only, run the named scenarios in one boot and report one line each.
# A scenario fails if it says so, if it times out, or if dmesg shows a kernel
# problem (Oops, BUG, WARNING, lockups, KASAN, list corruption, hung task)
# while it ran. If the guest dies, the scenarios not yet run get a new boot.
#
# usage: e2e/run.sh [-t SECONDS] [-n N] [-o OPTS] [-O OUTDIR] [-q] SCENARIO...
#   -t  hard timeout per boot (default $XLOCK_E2E_TIMEOUT, else 1800)
#   -n  at most N scenarios per boot (default $XLOCK_E2E_PER_BOOT, else 8;
#       0: all in one boot)
#   -o  comma-separated guest options (e.g. noxlock)
#   SEED=N, TORTURE_SECS=S in the environment: the torture scenario's seed
#       and seconds of load (guest options seed=N, secs=S)
#   -O  where results go (default build/e2e/<time>)
#   -q  print only the summary lines
#   -v  print each scenario's log after its result
#   -P  only prepare (build the guest's initramfs if stale) and exit
#   XLOCK_E2E_CMDLINE in the environment: more kernel command-line options
#       (e.g. "slub_debug=FZPU kfence.sample_interval=100" on Debian's kernel)
# Exit status: 0 if every scenario passed or skipped, 1 otherwise.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
TIMEOUT=${XLOCK_E2E_TIMEOUT:-1800}
PER_BOOT=${XLOCK_E2E_PER_BOOT:-8}
ACCEL=${XLOCK_E2E_ACCEL:-tcg,thread=multi}
OPTS=
OUT=
QUIET=
VERBOSE=
PREPARE=
while getopts t:n:o:O:qvP c; do
	case $c in
	t) TIMEOUT=$OPTARG ;;
	n) PER_BOOT=$OPTARG ;;
	o) OPTS=$OPTARG ;;
	O) OUT=$OPTARG ;;
	q) QUIET=1 ;;
	v) VERBOSE=1 ;;
	P) PREPARE=1 ;;
	*) sed -n '2,23p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || [ -n "$PREPARE" ] || { echo "run.sh: no scenario named" >&2; exit 2; }
# The torture scenario's seed and length (SEED=N replays a run).
[ -z "${SEED:-}" ] || OPTS="${OPTS:+$OPTS,}seed=$SEED"
[ -z "${TORTURE_SECS:-}" ] || OPTS="${OPTS:+$OPTS,}secs=$TORTURE_SECS"
# A long torture run: the boot outlasts its set-up, load and end checks.
if [ -n "${TORTURE_SECS:-}" ] && [ "$TIMEOUT" -lt $((TORTURE_SECS + 1800)) ]; then
	TIMEOUT=$((TORTURE_SECS + 1800))
fi

KVER=$("$TOP/e2e/kver.sh")
[ -f "$TOP/xlock.ko" ] || case ",$OPTS," in *,noxlock,*) ;; *)
	echo "run.sh: $TOP/xlock.ko is missing (run make first)" >&2; exit 2 ;; esac
INITRD="$TOP/build/e2e/initramfs-$KVER.gz"
mkdir -p "$TOP/build/e2e"
if [ ! -f "$INITRD" ] || [ "$TOP/e2e/initramfs-init" -nt "$INITRD" ] ||
   [ "$TOP/e2e/mkinitramfs.sh" -nt "$INITRD" ]; then
	"$TOP/e2e/mkinitramfs.sh" "$KVER" "$INITRD"
fi
[ -z "$PREPARE" ] || exit 0
[ -n "$OUT" ] || OUT="$TOP/build/e2e/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

BAD='Oops|BUG:|WARNING:|soft lockup|hard LOCKUP|KASAN|UBSAN|list_(add|del) corruption|blocked for more than [0-9]+ seconds|BUG [^ ]+ \((Not tainted|Tainted)|Kernel panic|general protection fault|kernel BUG at|Missing ENDBR|kmemleak: [0-9]+ leak\(s\) from xlock|possible recursive locking|circular locking|lock held when returning|inconsistent lock state|possible irq lock inversion|bad unlock balance|held lock freed|suspicious RCU usage|ODEBUG:|possible deadlock|Leaked (POSIX|FLOCK|LEASE) lock|Leaked locks on'

# Kernel problems that are TCG's, not xlock's (tcg_artefact): the scenario
# that met one goes to the next boot's list, at most twice a run.
. "$TOP/e2e/tcg.sh"
again=
agains=0
again_ok() { # $1 scenario, $2 its first kernel problem, $3 console log
	[ "$agains" -lt 2 ] && ! echo ",$again," | grep -q ",$1," &&
		tcg_artefact "$3" "$2" || return 1
	again="$again,$1"
	agains=$((agains + 1))
	next="${next:+$next,}$1"
	echo "AGAIN $1 - a TCG artefact, not xlock's: $(echo "$2" | tr -d '\r' | cut -c1-120); once more in a new boot" |
		tee -a "$OUT/summary.txt" | sed 's/^/e2e: /'
}

boot() { # $1 = comma-separated scenarios, $2 = boot directory
	mkdir -p "$2"
	: >"$2/results.txt"
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-machine q35 -cpu max -smp 2 -m 2G -accel "$boot_accel" \
		-nodefaults -display none -no-reboot \
		-serial "file:$2/console.log" \
		-kernel "/boot/vmlinuz-$KVER" -initrd "$INITRD" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
		-fsdev "local,id=res,path=$2,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=res,mount_tag=results \
		-append "console=ttyS0 loglevel=5 panic=-1 oops=panic softlockup_panic=1 mitigations=off xlock_dir=$TOP xlock_run=$1 xlock_opts=$OPTS${XLOCK_E2E_CMDLINE:+ $XLOCK_E2E_CMDLINE}" \
		>"$2/qemu.log" 2>&1 || echo "qemu exit $?" >>"$2/qemu.log"
}

# The accelerator a scenario asks for in a "# e2e-accel: ..." line, or the
# default. Multi-threaded TCG does not keep x86's cross-modifying-code
# guarantees that the kernel's text_poke_bp() relies on: a vCPU can run the
# int3 of a live patch after the patching vCPU removed it ("Oops: int3" in
# the patched function). Scenarios that patch text under load (ftrace hooks
# attached and detached while other vCPUs run the hooked functions) run
# single-threaded.
accel_of() {
	a=$(sed -n 's/^# e2e-accel: //p' "$TOP/e2e/scenarios/$1.sh" 2>/dev/null | head -n 1)
	echo "${a:-$ACCEL}"
}

# Print the first kernel problem logged while scenario $1 ran, from $2.
kernel_problem() {
	awk -v s="xlock-e2e: scenario $1" -v bad="$BAD" '
		index($0, "xlock-e2e: scenario ") { on = index($0, s) > 0 &&
			substr($0, index($0, s) + length(s)) ~ /^[ \r]*$/; next }
		on && $0 ~ bad { print; exit }' "$2"
}

todo=$(echo "$@" | tr ' ' ',')
n=0
pass=0
fail=0
skipc=0
reboots=0
while [ -n "$todo" ]; do
	n=$((n + 1))
	dir="$OUT/boot$n"
	# This boot's share of the scenarios; the rest get later boots.
	rest=
	if [ "$PER_BOOT" -gt 0 ]; then
		rest=$(echo "$todo" | tr ',' '\n' | tail -n +$((PER_BOOT + 1)) | paste -sd, -)
		todo=$(echo "$todo" | tr ',' '\n' | head -n "$PER_BOOT" | paste -sd, -)
	fi
	# ... and of those, the run that shares the first one's accelerator.
	boot_accel=$(accel_of "${todo%%,*}")
	cur=
	more=
	for s in $(echo "$todo" | tr ',' ' '); do
		if [ -z "$more" ] && [ "$(accel_of "$s")" = "$boot_accel" ]; then
			cur="${cur:+$cur,}$s"
		else
			more="${more:+$more,}$s"
		fi
	done
	todo=$cur
	rest=$more${rest:+${more:+,}$rest}
	[ -n "$QUIET" ] || echo "e2e: boot $n ($KVER, $boot_accel): $todo"
	t0=$(date +%s)
	boot "$todo" "$dir"
	[ -n "$QUIET" ] || echo "e2e: boot $n ended after $(($(date +%s) - t0)) s"
	log="$dir/dmesg.txt"
	[ -s "$log" ] || log="$dir/console.log"
	next=
	died=
	for s in $(echo "$todo" | tr ',' ' '); do
		if [ -n "$died" ]; then
			next="${next:+$next,}$s"
			continue
		fi
		line=$(grep -E "^(PASS|FAIL|SKIP) $s " "$dir/results.txt" | tail -n 1 || true)
		if [ -z "$line" ]; then
			if grep -qx "START $s" "$dir/results.txt"; then
				why=$(kernel_problem "$s" "$dir/console.log")
				died=1
				[ -z "$why" ] || ! again_ok "$s" "$why" "$dir/console.log" || continue
				line="FAIL $s - guest died: ${why:-no result (timeout $TIMEOUT s?)}"
			else
				# Never started: the guest died before it, or setup failed.
				why=$(grep -E '^FAIL setup' "$dir/results.txt" || true)
				[ -z "$why" ] || { line="FAIL $s - $why"; }
				[ -n "$line" ] || { next="${next:+$next,}$s"; died=1; continue; }
			fi
		else
			prob=$(kernel_problem "$s" "$log")
			[ -z "$prob" ] || ! again_ok "$s" "$prob" "$log" || continue
			[ -z "$prob" ] || line="FAIL $s - kernel: $prob"
		fi
		set -- $line
		verdict=$1
		case $verdict in
		PASS) pass=$((pass + 1)) ;;
		SKIP) skipc=$((skipc + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
		echo "$line" >>"$OUT/summary.txt"
		if [ -n "$VERBOSE" ] && [ -f "$dir/$s.log" ]; then
			cat "$dir/$s.log"
		elif [ "$verdict" = FAIL ] && [ -f "$dir/$s.log" ]; then
			# A failure's context, for logs read only from afar (CI).
			tail -n 25 "$dir/$s.log" | sed "s/^/e2e: | $s: /"
		fi
		echo "e2e: $line"
	done
	# A kernel that died before the guest's init ran the runner (no
	# guest.log: before any xlock code) is TCG's flake, seen once as a
	# double fault in start_kernel: boot once more, and say so.
	if [ -n "$next" ] && [ ! -e "$dir/guest.log" ] && [ "$reboots" = 0 ]; then
		reboots=1
		echo "e2e: boot $n died before the guest's init ($(grep -m1 -E "$BAD" "$dir/console.log" | tr -d '\r' | cut -c1-120)); booting again once"
		todo=$next${rest:+,$rest}
		continue
	fi
	# Stop retrying if the guest never got anywhere.
	if [ -n "$next" ] && ! grep -q '^START ' "$dir/results.txt"; then
		echo "e2e: guest did not start scenarios; see $dir/console.log" >&2
		for s in $(echo "$next,$rest" | tr ',' ' '); do
			echo "FAIL $s - guest did not boot" | tee -a "$OUT/summary.txt" | sed 's/^/e2e: /'
			fail=$((fail + 1))
		done
		next=
		rest=
	fi
	todo=$next${rest:+${next:+,}$rest}
done
# Cross-protocol cells (e2e/guest/xproto.sh): one table and one file.
cat "$OUT"/boot*/matrix.tsv >"$OUT/matrix.tsv" 2>/dev/null || true
if [ -s "$OUT/matrix.tsv" ]; then
	echo "e2e: cross-protocol cells ($OUT/matrix.tsv):"
	awk -F'\t' '{ printf "e2e:   %-6s %-28s %-32s %-6s expected %-24s got %s\n",
		      $6, $1, $2, $3, $4, $5 }' "$OUT/matrix.tsv"
fi
echo "e2e: $pass passed, $fail failed, $skipc skipped (results in $OUT)"
[ "$fail" -eq 0 ]
