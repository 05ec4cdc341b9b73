# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh floor, not part of make check), issue 15: what
# the hook mechanism alone costs an NLM round trip. NLM lock+unlock round
# trips/s without xlock, with the test module's hooks firing but
# redirecting nothing (bench_floor=1), and with xlock as users run it, in
# A B C C B A rounds in one boot (bench/floor_bench.py says how). A failed
# load, unload or module check aborts the run.
# Guest options rounds=N, secs=S (e2e/run.sh -o) override 20 rounds of
# 3 s samples.
# e2e-timeout: 3600
. "$XLOCK_DIR/e2e/guest/xproto.sh"
R=/results/bench-floor.txt
: >$R
ROUNDS=20
SECS=3
for o in $(echo "${XLOCK_OPTS:-}" | tr ',' ' '); do
	case $o in
	rounds=*) ROUNDS=${o#rounds=} ;;
	secs=*) SECS=${o#secs=} ;;
	esac
done
env_up
/usr/bin/python3 "$XLOCK_DIR/bench/floor_bench.py" --ko "$XLOCK_TEST_KO" --out $R \
	--nfs "$NFS_MNT" --export "$EXPORT" --rounds "$ROUNDS" --secs "$SECS" ||
	fail "bench aborted: $(sed -n 's/^aborted //p' $R)"
grep -q '^complete 1$' $R || fail "bench did not complete"
mounts_down
