# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check), issue 15 item 5: lock
# round trips/s with 1, 2, 4 and 8 concurrent NFS (NLM) and SMB clients, on
# different files and on one file, and NLM round trips on a file holding
# 10, 1000 and 10000 locks, with and without xlock in ABBA rounds in one
# boot (bench/scale_bench.py; its header says how). A failed load, unload
# or module check aborts the run (this scenario fails).
# Guest options rounds=N, secs=S, clients=A:B.., held=A:B.. (e2e/run.sh -o)
# override 20 rounds of 2 s samples, 1:2:4:8 clients, 10:1000:10000 locks
# (clients=0: the crowded file alone); percall=S the tracer phase's seconds
# per crowded file (3; 0 leaves it out).
# e2e-timeout: 7000
. "$XLOCK_DIR/e2e/guest/xproto.sh"
R=/results/bench-scale.txt
: >$R
ROUNDS=${XLOCK_BENCH_ROUNDS:-20}
SECS=${XLOCK_BENCH_SECS:-2}
CLIENTS=1,2,4,8
HELD=10,1000,10000
PERCALL=3
for o in $(echo "${XLOCK_OPTS:-}" | tr ',' ' '); do
	case $o in
	rounds=*) ROUNDS=${o#rounds=} ;;
	secs=*) SECS=${o#secs=} ;;
	clients=*) CLIENTS=$(echo "${o#clients=}" | tr ':' ',') ;;
	held=*) HELD=$(echo "${o#held=}" | tr ':' ',') ;;
	percall=*) PERCALL=${o#percall=} ;;
	esac
done
env_up
/usr/bin/python3 "$XLOCK_DIR/bench/scale_bench.py" --ko "$XLOCK_KO" --xlockctl "$XLOCKCTL" \
	--out $R --nfs "$NFS_MNT" --export "$EXPORT" --user "$SMB_USER" --password "$SMB_PASS" \
	--rounds "$ROUNDS" --secs "$SECS" --clients "$CLIENTS" --held "$HELD" --percall "$PERCALL" ||
	fail "bench aborted: $(sed -n 's/^aborted //p' $R)"
grep -q '^complete 1$' $R || fail "bench did not complete"
mounts_down
