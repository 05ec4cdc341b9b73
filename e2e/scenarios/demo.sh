# SPDX-License-Identifier: GPL-2.0
# The README's main job: knfsd, ksmbd and xlock live in one guest, one export
# mounted over NFSv3 (with NLM locking) and SMB 3.0, and xlock seeing both.
LOCKF="python3 $XLOCK_DIR/e2e/tools/lockf.py"
say() { echo; echo "### $*"; }

env_up
say "xlock.ko loaded next to the stock Debian modules"
lsmod | grep -E '^(xlock|lockd|nfsd|ksmbd) '
say "edges (xlock's attachment to each protocol module)"
cat /sys/module/xlock/parameters/edges
for e in lockd nfsd ksmbd; do
	[ "$(xlock_edge_state $e)" = active ] || fail "edge $e not active"
done
say "mounts"
grep -E " ($(echo $NFS_MNT | sed 's,/,\\/,g')|$(echo $SMB_MNT | sed 's,/,\\/,g')) " /proc/mounts

say "an NLM lock through the NFS mount"
echo "hello from NFS" >"$NFS_MNT/demo.txt"
$LOCKF "$NFS_MNT/demo.txt" w --len 100 || fail "NLM lock"
say "an SMB open and lock through the cifs mount"
cat "$SMB_MNT/demo.txt"
$LOCKF "$SMB_MNT/demo.txt" w --len 100 || fail "SMB lock"
say "hook counters"
tr ' ' '\n' </sys/module/xlock/parameters/hits
[ "$(xlock_hits nlmsvc_lock)" -gt 0 ] || fail "no NLM lock seen"
[ "$(xlock_hits smb_grant_oplock)" -gt 0 ] || fail "no SMB open seen"
rm -f "$NFS_MNT/demo.txt"
