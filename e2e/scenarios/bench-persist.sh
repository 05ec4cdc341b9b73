# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check), issue 11 item 7: what
# xlockd attached costs NLM. Real NLM lock+unlock round trips through the
# NFS mount (bench/nlm_rate.py), in rounds in one boot: no xlockd, a bare
# event listener, xlockd, xlockd, the listener, no xlockd (one xlockd for
# both its runs, started and warmed up before them); each round's ratio is
# the mean of its two xlockd runs over the mean of its two runs without.
# The listener (`xlockctl events` to /dev/null) splits that cost: the
# module's event path with a consumer that does nothing, against xlockd's
# own work (parse, store, journal). After the rounds, the time lockd's
# hooked calls spend inside xlock (bench/fgraph.py, the function-graph
# tracer) with no listener, the listener and xlockd: what persistence adds
# on lockd's thread, a figure TCG's scheduling noise does not blur.
# Results as "name value" lines in bench-persist.txt (bench/ratio_ci.py
# sums them up per pair of keys).
# e2e-timeout: 1500
OUT=/results/bench-persist.txt
ROUNDS=$(opt_val rounds "${XLOCK_BENCH_ROUNDS:-20}")
SECS=$(opt_val secs "${XLOCK_BENCH_SECS:-3}")
BATCH=$(opt_val batch '')
BATCH2=$(opt_val batch2 '')
PERCALL=$(opt_val percall 5)
# Guest options rounds=N, secs=S (e2e/run.sh -o) override both; percall=S
# the tracer phase's seconds per mode (5; 0 leaves it out); batch=MS
# sets the module's events_batch_ms (how long events are collected);
# batch2=MS adds, inside each round's xlockd runs, two runs with xlockd
# attached and events_batch_ms MS (key nlm_xlockd_b2, same ABBA rounds).
: >"$OUT"
rec() { echo "$1 $2" | tee -a "$OUT"; }

xlock_load || fail "insmod xlock"
[ -z "$BATCH" ] || echo "$BATCH" >/sys/module/xlock/parameters/events_batch_ms ||
	fail "events_batch_ms $BATCH"
BPARAM=/sys/module/xlock/parameters/events_batch_ms
B1=$(cat "$BPARAM")
rec events_batch_ms "$B1"
[ -z "$BATCH2" ] || rec events_batch_ms_b2 "$BATCH2"
env_up
: >"$NFS_MNT/bench-nlm"
# NLM round trips/s for $1 seconds.
rate() { /usr/bin/python3 "$XLOCK_DIR/bench/nlm_rate.py" "$NFS_MNT/bench-nlm" "$1"; }
# Warm up lockd, statd and the client.
rate 2 >/dev/null
r=1
# One run with only `xlockctl events` listening (started, warmed up).
listener_run() {
	"$XLOCKCTL" events >/dev/null 2>&1 &
	lp=$!
	rate 1 >/dev/null
	rec nlm_listener "$(rate "$SECS")"
	kill "$lp"
	wait "$lp" 2>/dev/null
}
while [ $r -le "$ROUNDS" ]; do
	rec nlm_stock "$(rate "$SECS")"
	listener_run
	# One xlockd for the round's two runs, its start-up (state directory,
	# the module's dump, the first snapshot) and a warm-up before them:
	# item 7 is the cost of persistence while it runs.
	xlockd_start --state-dir "/tmp/bp-$r" || fail "xlockd"
	rate 1 >/dev/null
	rec nlm_xlockd "$(rate "$SECS")"
	if [ -n "$BATCH2" ]; then
		echo "$BATCH2" >"$BPARAM" || fail "events_batch_ms $BATCH2"
		rec nlm_xlockd_b2 "$(rate "$SECS")"
		rec nlm_xlockd_b2 "$(rate "$SECS")"
		echo "$B1" >"$BPARAM"
	fi
	rec nlm_xlockd "$(rate "$SECS")"
	xlockd_stop
	listener_run
	rec nlm_stock "$(rate "$SECS")"
	r=$((r + 1))
done
# Time inside xlock per hooked call, in mode $1 (none, listener, xlockd).
percall() {
	/usr/bin/python3 "$XLOCK_DIR/bench/fgraph.py" --out "$OUT" --key "$1" \
		--nlm "$NFS_MNT/bench-nlm" --secs "$PERCALL" \
		--trace "/results/percall-persist-$1.trace" >/dev/null 2>/tmp/fgraph.err ||
		fail "per-call phase ($1): $(tail -n 1 /tmp/fgraph.err)"
}
if [ "$PERCALL" != 0 ]; then
	percall none
	"$XLOCKCTL" events >/dev/null 2>&1 &
	lp=$!
	rate 1 >/dev/null
	percall listener
	kill "$lp"
	wait "$lp" 2>/dev/null
	xlockd_start --state-dir /tmp/bp-percall || fail "xlockd"
	rate 1 >/dev/null
	percall xlockd
	xlockd_stop
fi
mounts_down
