#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run scenarios inside the guest. Each scenario is e2e/scenarios/NAME.sh, run
# in its own shell with lib.sh sourced; exit 0 = pass, 4 = skip, else fail.
# Results go to /results/results.txt as
#   START name
#   PASS|FAIL|SKIP name seconds [reason]
# so that the host can tell which scenario was running if the guest died.
# usage: runner.sh name1,name2,... opt1,opt2,...
set -u
RUN=$1
OPTS=${2:-}
RES=/results/results.txt
: >"$RES"

. "$XLOCK_DIR/e2e/guest/lib.sh"

XLOCK_OPTS=$OPTS guest_base_setup || { echo "FAIL setup 0 base setup failed" >>"$RES"; exit 0; }

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# On a kmemleak kernel (the debug lane): scan after each scenario. A leak
# whose allocation backtrace is in xlock is logged to the kernel log, where
# the host's problem check fails the scenario; others (the stock modules'
# own) are kept in /results/kmemleak-other.txt as notes.
KML=/sys/kernel/debug/kmemleak
[ -e $KML ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
leak_scan() {
	[ -w $KML ] || return 0
	echo scan >$KML 2>/dev/null
	echo scan >$KML 2>/dev/null
	cat $KML >/tmp/kmemleak.txt 2>/dev/null
	echo clear >$KML 2>/dev/null
	echo "kmemleak scan: $(grep -c '^unreferenced object' /tmp/kmemleak.txt) suspected leak(s)"
	[ -s /tmp/kmemleak.txt ] || return 0
	awk -v ours=/tmp/kmemleak-xlock.txt -v other=/results/kmemleak-other.txt '
		/^unreferenced object/ { flush(); rec = $0; next }
		{ rec = rec "\n" $0 }
		function flush() { if (rec == "") return
			if (rec ~ /\[xlock\]/) print rec >ours; else print rec >>other; rec = "" }
		END { flush() }' /tmp/kmemleak.txt
	if [ -s /tmp/kmemleak-xlock.txt ]; then
		echo "xlock-e2e: kmemleak: $(grep -c '^unreferenced object' /tmp/kmemleak-xlock.txt) leak(s) from xlock" >/dev/kmsg
		cat /tmp/kmemleak-xlock.txt
		rm -f /tmp/kmemleak-xlock.txt
	fi
}
echo "guest: userspace up at $(uptime_s) s"

for name in $(echo "$RUN" | tr ',' ' '); do
	script="$XLOCK_DIR/e2e/scenarios/$name.sh"
	echo "START $name" >>"$RES"
	sync
	echo "=== $name (at $(uptime_s) s)"
	echo "xlock-e2e: scenario $name" >/dev/kmsg
	t0=$(date +%s)
	if [ ! -f "$script" ]; then
		echo "FAIL $name 0 no such scenario" >>"$RES"
		continue
	fi
	# A scenario may ask for more than 600 s with a "# e2e-timeout: N" line.
	# The debug lane's kernel (lockdep, KASAN) runs them several times slower.
	limit=$(sed -n 's/^# e2e-timeout: \([0-9]*\)$/\1/p' "$script" | head -n 1)
	limit=${limit:-${XLOCK_SCENARIO_TIMEOUT:-600}}
	case $(uname -r) in *-xlockdbg) limit=$((limit * 6)) ;; esac
	XLOCK_OPTS="$OPTS" XLOCK_SCENARIO="$name" timeout -k 10 "$limit" \
		/bin/sh -c ". '$XLOCK_DIR/e2e/guest/lib.sh'; . '$script'" \
		>/results/"$name".log 2>&1
	rc=$?
	leak_scan >>/results/"$name".log 2>&1
	dt=$(($(date +%s) - t0))
	reason=$(tail -n 1 /results/"$name".log | tr -d '\r' | cut -c1-200)
	# A scenario that failed half-way may leave its xlockd attached; the
	# next one would then find a reclaim set, a grace period and a
	# subscriber it did not ask for (CI: restart's failure failed selftests).
	if pkill -x xlockd; then
		echo "runner: stopped an xlockd left running by $name" >>/results/"$name".log
		for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -x xlockd >/dev/null || break; sleep 1; done
		pkill -KILL -x xlockd
	fi
	case $rc in
	0) echo "PASS $name $dt" >>"$RES" ;;
	4) echo "SKIP $name $dt $reason" >>"$RES" ;;
	124|137) echo "FAIL $name $dt timed out" >>"$RES" ;;
	*) echo "FAIL $name $dt $reason" >>"$RES" ;;
	esac
	sed 's/^/    /' /results/"$name".log
	sync
done
echo "guest: done at $(uptime_s) s"
