# SPDX-License-Identifier: GPL-2.0
# xlock unloads and reloads while an NLM lock and an SMB lock are held and
# both mounts are busy; lockd/nfsd and ksmbd are stopped, unloaded and
# brought back while xlock stays loaded. The locks keep working throughout
# and the hooks fire again after every reattach.
LOCKF="python3 $XLOCK_DIR/e2e/tools/lockf.py"
env_up
echo data >"$NFS_MNT/live-f"

# Hold an NLM lock and an SMB lock (released when the fifo's writer closes).
mkfifo /tmp/live-nfs /tmp/live-smb
$LOCKF "$NFS_MNT/live-f" w --len 10 --hold stdin </tmp/live-nfs >/tmp/live-nfs.out &
exec 7>/tmp/live-nfs
$LOCKF "$SMB_MNT/live-f" w --start 100 --len 10 --hold stdin </tmp/live-smb >/tmp/live-smb.out &
exec 8>/tmp/live-smb
wait_for 10 grep -q granted /tmp/live-nfs.out || fail "NLM lock not granted: $(cat /tmp/live-nfs.out)"
wait_for 10 grep -q granted /tmp/live-smb.out || fail "SMB lock not granted: $(cat /tmp/live-smb.out)"

for i in 1 2 3; do
	xlock_unload || fail "rmmod xlock with locks held (round $i)"
	xlock_load || fail "insmod xlock with locks held (round $i)"
	for e in lockd nfsd ksmbd; do
		[ "$(xlock_edge_state $e)" = active ] || fail "edge $e not active after reload $i"
	done
done

# The held NLM lock still conflicts; a new one on another range works.
out=$($LOCKF "$NFS_MNT/live-f" w --len 10 --timeout 20) && fail "second NLM lock on a held range granted: $out"
l0=$(xlock_hits nlmsvc_lock)
out=$($LOCKF "$NFS_MNT/live-f" w --start 50 --len 10) || fail "NLM lock on a free range: $out"
[ "$(xlock_hits nlmsvc_lock)" -gt "$l0" ] || fail "nlmsvc_lock hook silent after reload"
exec 7>&- 8>&-
wait

# Servers and their modules go away and come back under a loaded xlock.
env_down
for e in lockd nfsd ksmbd; do
	[ "$(xlock_edge_state $e)" = absent ] || fail "edge $e not absent after its module went"
done
env_up
for e in lockd nfsd ksmbd; do
	[ "$(xlock_edge_state $e)" = active ] || fail "edge $e not active after its module came back"
done
l0=$(xlock_hits nlmsvc_lock)
g0=$(xlock_hits smb_grant_oplock)
out=$($LOCKF "$NFS_MNT/live-f" w) || fail "NLM lock after restart: $out"
cat "$SMB_MNT/live-f" >/dev/null || fail "SMB read after restart"
[ "$(xlock_hits nlmsvc_lock)" -gt "$l0" ] || fail "nlmsvc_lock hook silent after restart"
[ "$(xlock_hits smb_grant_oplock)" -gt "$g0" ] || fail "smb_grant_oplock hook silent after restart"
rm -f "$NFS_MNT/live-f"
