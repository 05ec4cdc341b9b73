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

# A wrapper runs once per call with a tracer that hooks returns on: the
# function_graph tracer over the NLM wrappers (unlimited depth) replaces
# the return address a wrapper's call to the original had, which is how
# the hook told that call apart: each NLM lock ran the wrapper again,
# nested as deep as the tracer goes. Now the call enters the original past
# its ftrace site. N lock+unlock pairs must move each counter by N.
# The tracer covers only the wrappers, their call stubs and the originals:
# switching it on kernel-wide rewrites every function's ftrace site, and
# QEMU 7.2's multi-threaded TCG then sometimes runs a stale int3 of that
# rewrite ("Oops: int3" in a core function, 1 boot in 4, without xlock
# loaded too); the stub's return address is what the tracer must replace.
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR || fail "mount tracefs"
echo data >"$NFS_MNT/hooks-g"
echo 0 >$TR/max_graph_depth
printf '%s\n' wrap_nlmsvc_lock wrap_nlmsvc_unlock call_nlmsvc_lock call_nlmsvc_unlock \
	nlmsvc_lock nlmsvc_unlock >$TR/set_ftrace_filter || fail "set_ftrace_filter"
echo "wrap_nlmsvc_lock wrap_nlmsvc_unlock" >$TR/set_graph_function || fail "set_graph_function"
echo function_graph >$TR/current_tracer || fail "function_graph tracer"
l0=$(xlock_hits nlmsvc_lock)
u0=$(xlock_hits nlmsvc_unlock)
out=$(python3 -c '
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for i in range(10):
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
    fcntl.lockf(fd, fcntl.LOCK_UN, 10, 0)
print("10 pairs")
' "$NFS_MNT/hooks-g" 2>&1)
rc=$?
l1=$(xlock_hits nlmsvc_lock)
u1=$(xlock_hits nlmsvc_unlock)
nested=$(grep -c "wrap_nlmsvc_lock" $TR/trace)
echo nop >$TR/current_tracer
echo >$TR/set_graph_function
echo >$TR/set_ftrace_filter
log "under function_graph: $out; wrapper entries traced $nested; lock hits +$((l1 - l0)), unlock +$((u1 - u0))"
[ "$rc" = 0 ] || fail "NLM locks under the function_graph tracer: $out"
[ $((l1 - l0)) = 10 ] || fail "10 NLM locks ran the lock wrapper $((l1 - l0)) times under function_graph"
[ $((u1 - u0)) = 10 ] || fail "10 NLM unlocks ran the unlock wrapper $((u1 - u0)) times under function_graph"
rm "$NFS_MNT/hooks-g"
