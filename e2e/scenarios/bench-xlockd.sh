# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check): xlockd. Results in
# bench-xlockd.txt ("name value" lines) in the run's boot directory.
#  - lock events/s through the module without and with xlockd attached
#    (20 ABBA rounds): what persistence costs the lock path (real NLM
#    round trips with xlockd: bench-persist.sh);
#  - persisted events/s: a burst queued while xlockd is stopped (SIGSTOP),
#    then drained and committed with group commit, timed to the last ack;
#    30000 grants of distinct entries, none released: an entry's grant and
#    release inside one event batch cancel out in the module (nl_events.c),
#    so a burst with releases would not reach xlockd as 30000 events;
#  - the durable window (event arrival to fdatasync done) under that load;
#  - recovery: 100k, 300k and 1M persisted locks (bench/mkstate) loaded
#    into the module as the reclaim set, from xlockd's start to the grace
#    period running, each part timed by xlockd (issue 15 item 6: linear?).
# Guest options: recovery=N[:N...] the sizes, only=recovery that part alone,
# rounds=N the churn rounds.
CHURN="$XLOCK_DIR/build/selftests/xlock_churn"
MKSTATE="$XLOCK_DIR/build/bench/mkstate"
X=$XLOCKCTL
OUT=/results/bench-xlockd.txt
SIZES=$(opt_val recovery "${XLOCK_BENCH_RECOVERY:-100000:300000:1000000}" | tr ':' ' ')
ONLY=$(opt_val only '')
ROUNDS=$(opt_val rounds 20)
: >"$OUT"
rec() { echo "$1 $2" | tee -a "$OUT"; }

mkdir -p "$EXPORT/churn" "$EXPORT/bench"
if [ "$ONLY" != recovery ]; then
xlock_unload
xlock_load test_api=1 || fail "insmod xlock test_api=1"
for i in $(seq 0 15); do : >"$EXPORT/churn/churn-$i"; done

churn_rate() { # client
	"$CHURN" -n 6000 -r 2 -c "$1" "$EXPORT/churn" | head -n 1 | awk '{ print $8 }'
	"$X" clear-client "nlm:$1" >/dev/null
}
for r in $(seq 1 "$ROUNDS"); do
	for mode in stock xlockd xlockd stock; do
		if [ "$mode" = xlockd ]; then
			xlockd_start --state-dir "/tmp/bx-$r" --with-test-entries || fail "xlockd"
		fi
		rec "churn_$mode" "$(churn_rate "r$r$mode")"
		[ "$mode" = xlockd ] && xlockd_stop
	done
done

# A burst of 30000 grants queued while xlockd is stopped.
rm -f /tmp/ack
xlockd_start --state-dir /tmp/bx-burst --with-test-entries --ack-log /tmp/ack \
	--metrics-file /tmp/bx.prom || fail "xlockd"
kill -STOP "$XLOCKD_PID"
"$CHURN" -n 30000 -r 0 -c burst "$EXPORT/churn" | head -n 1
t0=$(date +%s.%N)
kill -CONT "$XLOCKD_PID"
wait_for 120 sh -c '[ "$(wc -l </tmp/ack)" -ge 30000 ]' || fail "only $(wc -l </tmp/ack) of 30000 acked"
t1=$(date +%s.%N)
rec persisted_events_per_s "$(echo "30000 / ($t1 - $t0)" | bc -l | cut -d. -f1)"
grep -q overran "$XLOCKD_LOG" && rec burst_overran 1
xlockd_stop
rec durable_window_mean_ms "$(awk '/^xlockd_durable_seconds_sum/ { s = $2 } /^xlockd_durable_seconds_count/ { c = $2 } END { printf "%.2f", c ? 1000 * s / c : 0 }' /tmp/bx.prom)"
rec durable_window_max_ms "$(awk '/^xlockd_durable_seconds_max/ { printf "%.2f", 1000 * $2 }' /tmp/bx.prom)"
rec commits "$(awk '/^xlockd_commits_total/ { print $2 }' /tmp/bx.prom)"
"$X" clear-client nlm:burst >/dev/null

fi

# Recovery of N persisted locks, for each N: the same 1000 files.
for i in $(seq 0 999); do : >"$EXPORT/bench/bench-$i"; done
recovery() { # N
	rm -rf /tmp/bx-rec
	"$MKSTATE" /tmp/bx-rec "$1" 1000 "$EXPORT/bench" || fail "mkstate $1"
	xlock_unload
	xlock_load || fail "insmod"
	# xlockd's log is appended to: this run's timing line is the next one.
	seen=$(grep -c "recovery of" "$XLOCKD_LOG" 2>/dev/null || true)
	t0=$(date +%s.%N)
	xlockd_start --state-dir /tmp/bx-rec --grace 3600 || fail "xlockd on $1 entries"
	wait_for 300 sh -c "'$X' grace | grep -q 'grace: running'" || fail "no grace after recovery of $1"
	t1=$(date +%s.%N)
	got=$("$X" --json grace | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')
	[ "$got" = "$1" ] || fail "recovery of $1: $got entries in the reclaim set"
	rec "recovery_total_s_$1" "$(echo "$t1 - $t0" | bc -l | cut -c1-6)"
	# The timing line comes once the reclaim file is saved, after grace began.
	wait_for 300 sh -c "[ \$(grep -c 'recovery of' '$XLOCKD_LOG') -gt ${seen:-0} ]" ||
		fail "no recovery timing in the xlockd log"
	line=$(grep "recovery of" "$XLOCKD_LOG" | tail -n 1)
	log "$line"
	rec "recovery_read_s_$1" "$(echo "$line" | sed -n 's/.*: \([0-9.]*\) s reading.*/\1/p')"
	rec "recovery_build_s_$1" "$(echo "$line" | sed -n 's/.*, \([0-9.]*\) s grouping.*/\1/p')"
	rec "recovery_save_s_$1" "$(echo "$line" | sed -n 's/.*, \([0-9.]*\) s saving.*/\1/p')"
	rec "recovery_module_s_$1" "$(echo "$line" | sed -n 's/.*, \([0-9.]*\) s into the module.*/\1/p')"
	"$X" grace end >/dev/null
	xlockd_stop
}
for n in $SIZES; do
	recovery "$n"
done
xlock_unload
