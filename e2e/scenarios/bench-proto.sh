# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check), all in one boot so the
# ratios compare like with like: rounds alternate between xlock unloaded
# and loaded in ABBA order (stock, xlock, xlock, stock, ...), which cancels
# the slow drift a TCG guest shows over a boot; each pair gives a ratio.
#  - NLM lock+unlock round trips/s through the NFS mount;
#  - NFS 4 KiB O_DIRECT write throughput;
#  - lease break latency: NLM lock request -> grant while an SMB client
#    holds an RWH lease (acks at once), against a native SMB->SMB break of
#    the same lease (a second SMB client's write open).
# Results: /results/bench-proto.txt, one "name value" per line.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
R=/results/bench-proto.txt
: >$R
ROUNDS=${XLOCK_BENCH_ROUNDS:-8}
rate() { /usr/bin/python3 "$XLOCK_DIR/bench/nlm_rate.py" "$NFS_MNT/bench-nlm" 3; }
wmbs() { # MB/s of 2000 4 KiB direct writes
	/usr/bin/python3 - "$NFS_MNT/bench-w" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o666)
buf = bytearray(4096)
mv = memoryview(buf)
import mmap
m = mmap.mmap(-1, 4096)
t0 = time.monotonic()
for i in range(2000):
    os.pwrite(fd, m, i * 4096)
dt = time.monotonic() - t0
os.close(fd)
print("%.3f" % (2000 * 4096 / dt / 1e6))
PY
}
env_up
measure() { # stock|xlock
	if [ $1 = stock ]; then xlock_unload; else xlock_load; fi
	echo "nlm_rate_$1 $(rate)" >>$R
	echo "write_mbs_$1 $(wmbs)" >>$R
}
for i in $(seq $ROUNDS); do
	if [ $((i % 2)) = 1 ]; then
		measure stock
		measure xlock
	else
		measure xlock
		measure stock
	fi
done
xlock_load
"$XLOCKCTL" share set 0 --break-timeout 5000 >/dev/null
for i in $(seq $((ROUNDS + 2))); do
	# Cross-protocol: the NFS client has the file open, SMB takes RWH, NFS locks.
	f=$(fresh "x$i")
	go=/tmp/go.$$
	rm -f $go
	$LOCKF "$NFS_MNT/$f" w --after $go >/tmp/lock.out &
	BG_PIDS="$BG_PIDS $!"
	wait_for 20 grep -q opened /tmp/lock.out
	smb_bg /tmp/a.out "$f" open:RWH hold:20
	touch $go
	wait_for 20 grep -q granted /tmp/lock.out
	echo "break_nlm_s $(sed -n 's/^granted //p' /tmp/lock.out)" >>$R
	grep -q '^break RWH' /tmp/a.out || fail "no lease break seen"
	xkill
	# Native: a second SMB client's write open breaks the same kind of lease.
	f=$(fresh "n$i")
	smb_bg /tmp/a.out "$f" open:RWH hold:20
	$SMBOP "$f" open:none:rw close >/tmp/b.out 2>&1
	echo "break_smb_s $(sed -n 's/^open took //p' /tmp/b.out)" >>$R
	grep -q '^break RWH' /tmp/a.out || fail "no native lease break seen"
	xkill
done
cat $R
