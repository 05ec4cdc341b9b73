# SPDX-License-Identifier: GPL-2.0
# Every edge attaches with stock lockd, nfsd and ksmbd loaded, and the hooks
# fire (counters move) on an NLM lock through the NFS mount and on an SMB
# open through the cifs mount.
env_up
LOCKF="python3 $XLOCK_DIR/e2e/tools/lockf.py"
for e in lockd nfsd ksmbd; do
	st=$(xlock_edge_state $e)
	[ "$st" = active ] || fail "edge $e is '$st', expected active ($(dmesg | grep 'xlock: edge' | tail -n 3))"
done
l0=$(xlock_hits nlmsvc_lock)
u0=$(xlock_hits nlmsvc_unlock)
g0=$(xlock_hits smb_grant_oplock)
c0=$(xlock_hits close_id_del_oplock)
r0=$(xlock_hits nfsd_unlink)

echo data >"$NFS_MNT/hooks-f"
out=$($LOCKF "$NFS_MNT/hooks-f" w) || fail "NLM lock through the NFS mount: $out"
log "NFS lockf: $out"
[ "$(xlock_hits nlmsvc_lock)" -gt "$l0" ] || fail "nlmsvc_lock hook did not fire"
[ "$(xlock_hits nlmsvc_unlock)" -gt "$u0" ] || fail "nlmsvc_unlock hook did not fire"

[ "$(cat "$SMB_MNT/hooks-f")" = data ] || fail "SMB read"
wait_for 5 sh -c "[ \$(tr ' ' '\n' </sys/module/xlock/parameters/hits | sed -n 's/^close_id_del_oplock=//p') -gt $c0 ]" ||
	fail "close_id_del_oplock hook did not fire"
[ "$(xlock_hits smb_grant_oplock)" -gt "$g0" ] || fail "smb_grant_oplock hook did not fire"
out=$($LOCKF "$SMB_MNT/hooks-f" w) || fail "lock through the SMB mount: $out"
log "SMB lockf: $out"

rm "$NFS_MNT/hooks-f"
[ "$(xlock_hits nfsd_unlink)" -gt "$r0" ] || fail "nfsd_unlink hook did not fire"
log "hits: $(cat /sys/module/xlock/parameters/hits)"
