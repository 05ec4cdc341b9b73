# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check), issue 15 item 5: lock
# round trips/s with 1, 2, 4 and 8 concurrent NFS (NLM) and SMB clients, on
# different files and on one file, and NLM round trips on a file holding
# 10, 1000 and 10000 locks, with and without xlock in ABBA rounds in one
# boot (bench/scale_bench.py; its header says how). A failed load, unload
# or module check aborts the run (this scenario fails).
# Guest options rounds=N, secs=S, clients=A:B.., held=A:B.. (e2e/run.sh -o)
# override 20 rounds of 2 s samples, 1:2:4:8 clients, 10:1000:10000 locks
# (clients=0: the crowded file alone). xlock's own time on the crowded
# files (the tracer phase) is bench-crowded.sh's.
# e2e-timeout: 7000
. "$XLOCK_DIR/e2e/guest/xproto.sh"
R=/results/bench-scale.txt
: >$R
ROUNDS=$(opt_val rounds "${XLOCK_BENCH_ROUNDS:-20}")
SECS=$(opt_val secs "${XLOCK_BENCH_SECS:-2}")
CLIENTS=$(opt_val clients 1:2:4:8 | tr ':' ',')
HELD=$(opt_val held 10:1000:10000 | tr ':' ',')
env_up
/usr/bin/python3 "$XLOCK_DIR/bench/scale_bench.py" --ko "$XLOCK_KO" --xlockctl "$XLOCKCTL" \
	--out $R --nfs "$NFS_MNT" --export "$EXPORT" --user "$SMB_USER" --password "$SMB_PASS" \
	--rounds "$ROUNDS" --secs "$SECS" --clients "$CLIENTS" --held "$HELD" ||
	fail "bench aborted: $(sed -n 's/^aborted //p' $R)"
grep -q '^complete 1$' $R || fail "bench did not complete"
mounts_down
