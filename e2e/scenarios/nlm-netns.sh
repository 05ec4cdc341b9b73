# SPDX-License-Identifier: GPL-2.0
# Issue 10 item m: an NLM client is its caller name in its network namespace.
# nfsd and lockd also serve a second namespace (its own nfsd file system,
# export table, rpcbind, statd and mountd, in its own mount namespace). A raw
# NLM client with the SAME caller name locks the same file through each
# namespace's lockd; the table lists them as two clients ("nlm:twin" and
# "nlm:twin@net:<inode of the namespace>"). A FREE_ALL for that name sent to
# the second namespace's lockd frees only that namespace's host (lockd keeps
# hosts per namespace, by address): its entry leaves the table, the init
# namespace's entry stays, an SMB RWH lease request on the file still gets
# none and an SMB lock over it is refused. Before the fix the table keyed
# NLM clients by caller name alone: that FREE_ALL deleted the init
# namespace's entry as well (lease granted RWH beside the NLM lock). Then
# the second namespace's nfsd stops while the init namespace's FREE_ALL
# frees its own entry: xlockd keeps only the stopped namespace's lock for
# reclaim (the teardown mark is per stopping task, below), and lockd still
# answers in the init namespace.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
NS=xnm
BPID=
# The second namespace's nfsd stops first (through its holder's namespaces).
ns_down() {
	if ip netns list | grep -qw $NS; then
		[ -z "$BPID" ] || nsenter -t "$BPID" -n -m rpc.nfsd 0 2>/dev/null
		for p in $(ip netns pids $NS); do kill "$p" 2>/dev/null; done
		sleep 1
		for p in $(ip netns pids $NS); do kill -9 "$p" 2>/dev/null; done
		ip netns del $NS
	fi
}
P=/sys/module/xlock/parameters
where0=
window_off() {
	echo 0 >$P/race_window_ms
	[ -z "$where0" ] || echo "$where0" >$P/race_window_where
}
cleanup() {
	window_off 2>/dev/null
	ns_down
	xlockd_stop
	xkill
}
trap cleanup EXIT
trap 'exit 143' TERM INT
X=$XLOCKCTL
inb() { nsenter -t "$BPID" -n -m "$@"; }
# The table's entries on file $1: "client kind mode start end", sorted.
entries() {
	"$X" --json locks --path "$EXPORT/$1" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    print(" ".join(str(e.get(k)) for k in ("client", "kind", "mode", "start", "end")))' | sort
}

xsetup
f=$(fresh twin)

# --- the second namespace's server ---------------------------------------------
rm -f /tmp/$NS-ready
ip netns add $NS || fail "ip netns add"
ip netns exec $NS ip link set lo up || fail "lo in $NS"
ip netns exec $NS unshare --mount --propagation private sh -c "
	mount -t tmpfs tmpfs /run && mkdir -p /run/rpcbind || exit 1
	mount -t tmpfs tmpfs /var/lib/nfs && mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak &&
		touch /var/lib/nfs/etab /var/lib/nfs/rmtab || exit 1
	mount -t nfsd nfsd /proc/fs/nfsd || { echo 'nfsd fs'; exit 1; }
	rpcbind -w || { echo rpcbind; exit 1; }
	rpc.statd --no-notify || { echo statd; exit 1; }
	exportfs -o $EXPORT_OPTS 127.0.0.1:$EXPORT || { echo exportfs; exit 1; }
	rpc.mountd || { echo mountd; exit 1; }
	rpc.nfsd --grace-time 10 --lease-time 10 -N 4 2 || { echo rpc.nfsd; exit 1; }
	# Both grace periods (nfsd's is there without NFSv4 too: NLM waits for it).
	echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
	echo Y >/proc/fs/lockd/nlm_end_grace
	# nfsd learns the export's client domain from a first request (for
	# nlmtest's file handles); nolock: no NFS client's lockd here.
	mkdir -p /tmp/$NS-mnt
	mount -t nfs -o vers=3,proto=tcp,nolock 127.0.0.1:$EXPORT /tmp/$NS-mnt || { echo 'nfs mount'; exit 1; }
	ls /tmp/$NS-mnt >/dev/null && umount /tmp/$NS-mnt || exit 1
	echo ready >/tmp/$NS-ready
	exec sleep 100000" >/tmp/$NS.log 2>&1 &
BPID=$!
wait_for 60 test -e /tmp/$NS-ready || fail "nfsd in $NS did not start: $(cat /tmp/$NS.log)"
inum=$(stat -L -c %i /proc/$BPID/ns/net)
log "nfsd serves namespace $NS (net:[$inum]) too"

# --- the same caller name through each namespace's lockd -------------------------
out=$($NLMTEST --lock --caller twin --svid 11 127.0.0.1 "$EXPORT/$f" w 0 10 2>&1)
[ "$out" = "lock granted" ] || fail "NLM lock of twin in the init namespace: $out"
# lockd names a host after the first caller from its address: an earlier
# scenario of the boot may have named 127.0.0.1's otherwise.
wait_for 20 sh -c "\"$X\" --json locks --path '$EXPORT/$f' | grep -q '\"client\"'"
twin=$(entries "$f" | sed -n 's/^nlm:\([^ ]*\) .*/\1/p')
[ -n "$twin" ] || fail "no entry for the init namespace's lock: $("$X" locks --path "$EXPORT/$f")"
# The grace periods just ended there may not be over yet for lockd's
# answer (seen on a quiet machine): ask again while it says so, up to 30 s.
i=0
while :; do
	out=$(inb $NLMTEST --lock --caller "$twin" --svid 22 127.0.0.1 "$EXPORT/$f" w 100 10 2>&1)
	[ "$out" = "lock denied_grace_period" ] && [ $i -lt 30 ] || break
	i=$((i + 1))
	sleep 1
done
[ "$out" = "lock granted" ] || fail "NLM lock of $twin in $NS: $out (after ${i} s of grace answers)"
[ $i = 0 ] || log "$NS's lockd answered denied_grace_period for ${i} s after its grace was ended"
want="nlm:$twin lock excl 0 9
nlm:$twin@net:$inum lock excl 100 109"
wait_for 20 sh -c "[ \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -o '\"client\"' | wc -l)\" = 2 ]"
got=$(entries "$f")
log "table: $("$X" locks --path "$EXPORT/$f")"
[ "$got" = "$want" ] || fail "entries of both namespaces' twin: got '$got', want '$want'"

# --- FREE_ALL for twin in the second namespace only ------------------------------
out=$(inb $NLMTEST --free-all --caller "$twin" 2>&1)
[ "$out" = "free_all sent" ] || fail "FREE_ALL in $NS: $out"
wait_for 20 sh -c "! \"$X\" --json locks --path '$EXPORT/$f' | grep -q '@net:'" ||
	fail "$NS's entry stayed after its FREE_ALL: $("$X" locks --path "$EXPORT/$f")"
got=$(entries "$f")
log "after $NS's FREE_ALL: $("$X" locks --path "$EXPORT/$f")"
[ "$got" = "nlm:$twin lock excl 0 9" ] ||
	fail "the init namespace's entry after $NS's FREE_ALL: got '$got'"
smb_bg /tmp/nm-smb.out "$f" open:RWH hold:1
st=$(smb_state /tmp/nm-smb.out)
[ "$st" = none ] || fail "SMB RWH lease beside the init namespace's NLM lock: got $st, want none"
out=$($SMBOP "$f" open:none lock:0:10:x 2>&1 | tail -n 1)
[ "$out" = "lock STATUS_LOCK_NOT_GRANTED" ] || fail "SMB lock over the init namespace's NLM lock: $out"
log "after $NS's FREE_ALL: SMB lease $st, SMB lock: $out"

# --- m: lockd leaving the second namespace: only its own releases are teardown ---
# xlockd keeps what a stopping server dropped (its owners reclaim it after a
# restart) and forgets what a client released. $NS's twin locks again; its
# nfsd stops, and lockd's shutdown there is held (race_window_ms, where
# 16, 5 s) while the init namespace's FREE_ALL releases the init twin's lock.
# Before the fix one teardown flag served every namespace: xlockd kept the
# init namespace's released lock for reclaim as well.
STATE=/tmp/nm-state
rm -rf "$STATE"
xlockd_start --state-dir "$STATE" || fail "xlockd did not start: $(tail -5 "$XLOCKD_LOG")"
out=$(inb $NLMTEST --lock --caller "$twin" --svid 44 127.0.0.1 "$EXPORT/$f" w 100 10 2>&1)
[ "$out" = "lock granted" ] || fail "NLM lock of $twin in $NS again: $out"
persisted() { "$XLOCKD" --print-state --state-dir "$STATE" | grep " path=$EXPORT/$f\$"; }
wait_for 20 sh -c "[ \"\$(\"$XLOCKD\" --print-state --state-dir '$STATE' | grep -c ' path=$EXPORT/$f\$')\" = 2 ]" ||
	fail "both namespaces' locks not persisted: $("$XLOCKD" --print-state --state-dir "$STATE")"
where0=$(cat $P/race_window_where)
echo 16 >$P/race_window_where && echo 5000 >$P/race_window_ms || fail "no race_window knob"
t0=$(uptime_ms)
inb rpc.nfsd 0 >/tmp/nm-stop.out 2>&1 &
spid=$!
sleep 0.5
out=$($NLMTEST --free-all --caller "$twin" 2>&1)
# Sent while $NS's lockd is held stopping, with a second to spare at least
# (lockd handles it at once).
sent=$(($(uptime_ms) - t0))
kill -0 $spid 2>/dev/null && held=yes || held=no
[ "$out" = "free_all sent" ] || fail "FREE_ALL in the init namespace: $out"
wait $spid || fail "rpc.nfsd 0 in $NS: $(cat /tmp/nm-stop.out)"
log "$NS's nfsd stopped in $(($(uptime_ms) - t0)) ms (lockd's shutdown held 5 s), the init FREE_ALL sent at $sent ms"
window_off
[ $held = yes ] && [ $sent -lt 4000 ] ||
	fail "the init namespace's FREE_ALL was not sent within $NS's shutdown (at $sent ms, still stopping: $held)"
wait_for 20 sh -c "[ -z \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -o '\"client\"')\" ]" ||
	fail "entries stayed after both namespaces let go: $("$X" locks --path "$EXPORT/$f")"
sleep 1
got=$(persisted | sed -n 's/.* flags=\([^ ]*\) start=\([0-9]*\) .*/\1 \2/p')
log "persisted after $NS stopped and the init FREE_ALL: $(persisted | tr '\n' ' ')"
[ "$got" = "0x8 100" ] ||
	fail "xlockd should keep only $NS's lock (teardown, flags 0x8, start 100): got '$got'"
xlockd_stop
ns_down
out=$($NLMTEST --lock --caller twin --svid 33 127.0.0.1 "$EXPORT/$f" w 0 10 2>&1)
log "init namespace NLM lock after $NS's nfsd stopped: $out"
[ "$out" = "lock granted" ] || fail "NLM lock in the init namespace after $NS's nfsd stopped: $out"
$NLMTEST --free-all --caller "$twin" >/dev/null 2>&1
wait_for 20 sh -c "[ -z \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -o '\"client\"')\" ]" ||
	fail "$twin's entry stayed after its FREE_ALL: $("$X" locks --path "$EXPORT/$f")"
xdone
