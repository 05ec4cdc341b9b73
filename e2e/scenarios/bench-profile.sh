# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh profile, not part of make check), issues 11 item
# 7 and 15 items 1-2: where the time of NLM lock+unlock round trips
# (bench/nlm_rate.py through the NFS mount) goes, in four phases of one
# boot: stock (xlock not loaded), xlock loaded, xlock with a bare event
# listener (`xlockctl events`), xlock with xlockd. Per phase, one run under
# perf record (cpu-clock, the only clock TCG has; whole guest): the share
# of samples idle, in xlock's own functions and per process; one run under
# perf stat: the scheduler's wake-ups and switches, IPIs and queued works
# per round trip. Under TCG a round trip is mostly wake-up latency, so
# these counts say more than the rate. "name value" lines in
# bench-profile.txt, each phase's reports in bench-profile-PHASE.txt.
# Guest options secs=S (default 10), cpus=1 (the second CPU offline),
# held=N (another process holds N one-byte NLM locks on the file in each
# phase, taken after the phase's module state is set: the crowded file of
# bench-scale's held_N).
# e2e-timeout: 1200
OUT=/results/bench-profile.txt
SECS=$(opt_val secs "${XLOCK_BENCH_SECS:-10}")
CPUS=$(opt_val cpus 2)
HELD=$(opt_val held 0)
command -v perf >/dev/null || skip "perf is not installed on the host"
: >"$OUT"
rec() { echo "$1 $2" | tee -a "$OUT"; }
sysctl -q kernel.perf_event_paranoid=-1 kernel.kptr_restrict=0
[ "$CPUS" = 2 ] || echo 0 >/sys/devices/system/cpu/cpu1/online || fail "cpu1 offline"
rec cpus "$(nproc)"
rec secs "$SECS"
rec held "$HELD"

env_up
# env_up loads xlock: the first phase is without it.
xlock_unload || fail "rmmod xlock"
mod_loaded xlock && fail "xlock still loaded"
: >"$NFS_MNT/bench-nlm"
rate() { /usr/bin/python3 "$XLOCK_DIR/bench/nlm_rate.py" "$NFS_MNT/bench-nlm" "$1"; }
rate 2 >/dev/null

# Sum of the self shares (perf report --sort sym) of the symbols in $1.
share() {
	awk -v f="$1" 'BEGIN { while ((getline l < f) > 0) s[l] = 1 }
		$2 == "[k]" && ($3 in s) { sub("%", "", $1); t += $1 }
		END { printf "%.2f", t }'
}

# Another owner's $HELD locks on the file, held until holder_stop.
holder_start() {
	HP=
	[ "$HELD" -gt 0 ] || return 0
	# The module's limit on entries per file (a runtime setting), above N.
	! mod_loaded xlock || "$XLOCKCTL" config --limit-file $((HELD + 1000)) >/dev/null ||
		fail "limit-file"
	rm -f /tmp/holder-ready
	/usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
for i in range(int(sys.argv[2])):
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 100 + 2 * i)
open("/tmp/holder-ready", "w").close()
time.sleep(100000)
' "$NFS_MNT/bench-nlm" "$HELD" &
	HP=$!
	wait_for 600 test -e /tmp/holder-ready || fail "holder did not take its locks"
}

holder_stop() {
	[ -n "$HP" ] || return 0
	kill "$HP"
	wait "$HP" 2>/dev/null
	HP=
}

profile() {
	phase=$1
	data=/tmp/perf-$phase.data
	rpt=/results/bench-profile-$phase.txt
	holder_start
	perf record -q -a -g -e cpu-clock -F 499 -o "$data" -- \
		/usr/bin/python3 "$XLOCK_DIR/bench/nlm_rate.py" "$NFS_MNT/bench-nlm" \
		"$SECS" >/tmp/perf-rate 2>/dev/null || fail "perf record"
	rec "nlm_$phase" "$(cat /tmp/perf-rate)"
	perf stat -a -x, -o /tmp/perf-stat -e sched:sched_wakeup,sched:sched_switch \
		-e irq_vectors:call_function_single_entry,irq_vectors:reschedule_entry \
		-e workqueue:workqueue_queue_work -- \
		/usr/bin/python3 "$XLOCK_DIR/bench/nlm_rate.py" "$NFS_MNT/bench-nlm" \
		"$SECS" >/tmp/perf-rate 2>/dev/null || fail "perf stat"
	r=$(cat /tmp/perf-rate)
	rec "nlm_${phase}_counted" "$r"
	n=$(echo "$r $SECS" | awk '{ printf "%d", $1 * $2 }')
	awk -F, -v n="$n" -v p="$phase" '$3 ~ /:/ {
		k = $3; sub(".*:", "", k); printf "%s_%s %.2f\n", p, k, $1 / n }' \
		/tmp/perf-stat | tee -a "$OUT"
	# xlock's own functions (the module's symbols), and the idle loop.
	awk '$4 == "[xlock]" { print $3 }' /proc/kallsyms >/tmp/xlock-syms
	echo pv_native_safe_halt >/tmp/idle-syms
	perf report -i "$data" --stdio --no-children --sort sym -g none \
		2>/dev/null | grep -v '^#' | grep -v '^$' >/tmp/perf-syms
	rec "${phase}_idle_pct" "$(share /tmp/idle-syms </tmp/perf-syms)"
	rec "${phase}_xlock_pct" "$(share /tmp/xlock-syms </tmp/perf-syms)"
	holder_stop
	{
		echo "# phase $phase"
		echo "## by process"
		perf report -i "$data" --stdio --no-children --sort comm -g none \
			2>/dev/null | grep -v '^#' | grep -v '^$' | head -20
		echo "## by symbol"
		head -60 /tmp/perf-syms
		echo "## xlock's functions"
		grep -wFf /tmp/xlock-syms /tmp/perf-syms | head -40
		for c in xlockctl xlockd; do
			echo "## $c, inclusive"
			perf report -i "$data" --stdio --children --comms "$c" --sort sym \
				-g none --percent-limit 0.1 2>/dev/null | grep -v '^#' |
				grep -v '^$' | head -25
		done
	} >"$rpt"
	rm -f "$data"
}

# The four phases; $1 prefixes their names ("" or "held_").
phases() {
	pre=$1
	xlock_unload || fail "rmmod xlock"
	profile "${pre}stock"
	xlock_load || fail "insmod xlock"
	rate 2 >/dev/null
	profile "${pre}loaded"
	"$XLOCKCTL" events >/dev/null 2>&1 &
	lp=$!
	rate 1 >/dev/null
	profile "${pre}listener"
	kill "$lp"
	wait "$lp" 2>/dev/null
	xlockd_start --state-dir "/tmp/bprof$pre" || fail "xlockd"
	rate 1 >/dev/null
	profile "${pre}xlockd"
	xlockd_stop
}

N=$HELD
HELD=0
phases ""
if [ "$N" -gt 0 ]; then
	HELD=$N
	phases held_
fi
mounts_down
[ "$CPUS" = 2 ] || echo 1 >/sys/devices/system/cpu/cpu1/online
