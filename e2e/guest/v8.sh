# SPDX-License-Identifier: GPL-2.0
#
# The V8 scenarios' setup and helpers (x-v8-*): an NFSv4.2 mount beside the
# cross-protocol set-up, nfsd's NFSv4 grace state, and the kernel NFS
# client's traffic to nfsd held back while nfsd restarts.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
GRACESET="/usr/bin/python3 $XLOCK_DIR/e2e/tools/graceset.py"
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

# Y once nfsd's NFSv4 grace is over.
ended() { cat /proc/fs/nfsd/v4_end_grace; }
# xlock held nfsd's try to end its NFSv4 grace (edges/nfsd4_grace.c).
held_lines() { dmesg | grep -c "NFSv4 grace held until xlock's grace period ends"; }
# The kernel NFS client's requests to nfsd dropped (tc), or let through.
nfs_block() {
	tc qdisc add dev lo ingress &&
		tc filter add dev lo parent ffff: protocol ip prio 1 u32 \
			match ip dport 2049 0xffff action drop
}
nfs_unblock() { tc qdisc del dev lo ingress 2>/dev/null; }
