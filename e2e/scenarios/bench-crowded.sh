# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check), issue 15 item 5: the
# time inside xlock per NLM lock and unlock on a file on which another
# owner holds 10, 1000 and 10000 locks, under the function-graph tracer
# (bench/scale_bench.py --percall, bench/fgraph.py), in rounds of the sizes
# ascending then descending in one boot; target: a round trip's time on
# the 10000-lock file at most 2x its time on the 10-lock file.
# Guest options rounds=N (6), secs=S (3), held=A:B.. (10:1000:10000).
# e2e-timeout: 3600
. "$XLOCK_DIR/e2e/guest/xproto.sh"
R=/results/bench-crowded.txt
: >$R
ROUNDS=$(opt_val rounds 6)
SECS=$(opt_val secs 3)
HELD=$(opt_val held 10:1000:10000 | tr ':' ',')
env_up
/usr/bin/python3 "$XLOCK_DIR/bench/scale_bench.py" --ko "$XLOCK_KO" --xlockctl "$XLOCKCTL" \
	--out $R --nfs "$NFS_MNT" --export "$EXPORT" --user "$SMB_USER" --password "$SMB_PASS" \
	--rounds 0 --clients 0 --held "$HELD" --percall "$SECS" --percall-rounds "$ROUNDS" ||
	fail "bench aborted: $(sed -n 's/^aborted //p' $R)"
grep -q '^complete 1$' $R || fail "bench did not complete"
! grep -q '^percall_failed' $R || fail "tracer phase failed: $(sed -n 's/^percall_failed //p' $R)"
mounts_down
