# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh floor, not part of make check), issue 15: what
# the hook mechanism alone costs a lock round trip. NLM lock+unlock round
# trips, SMB2 lock+unlock round trips and SMB2 opens with a lease, without
# xlock, with the test module's hooks firing but redirecting nothing
# (bench_floor=1), and with xlock as users run it, in A B C C B A rounds
# in one boot (bench/floor_bench.py says how). A failed load, unload or
# module check aborts the run.
# Guest options rounds=N, secs=S, measures=A:B.. (e2e/run.sh -o) override
# 20 rounds of 3 s samples of nlm:smblock:smbopen.
# e2e-timeout: 3600
. "$XLOCK_DIR/e2e/guest/xproto.sh"
R=/results/bench-floor.txt
: >$R
ROUNDS=$(opt_val rounds 20)
SECS=$(opt_val secs 3)
MEASURES=$(opt_val measures nlm:smblock:smbopen | tr ':' ',')
env_up
/usr/bin/python3 "$XLOCK_DIR/bench/floor_bench.py" --ko "$XLOCK_TEST_KO" --out $R \
	--nfs "$NFS_MNT" --export "$EXPORT" --user "$SMB_USER" --password "$SMB_PASS" \
	--rounds "$ROUNDS" --secs "$SECS" --measures "$MEASURES" ||
	fail "bench aborted: $(sed -n 's/^aborted //p' $R)"
grep -q '^complete 1$' $R || fail "bench did not complete"
mounts_down
