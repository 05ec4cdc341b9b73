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
# none and an SMB lock over it is refused. Before the fix the table keyed NLM
# clients by caller name alone: that FREE_ALL deleted the init namespace's
# entry as well (lease granted RWH beside the NLM lock). Then the init
# namespace's FREE_ALL frees its own entry, and lockd still answers there
# after the second namespace's nfsd stopped.
# e2e-default: no 105-153 s in a boot (a second namespace's nfsd is set up), over make check's time budget: run it by name
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
cleanup() {
	ns_down
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

# --- the init namespace's own FREE_ALL; lockd answers after $NS's nfsd stops -----
out=$($NLMTEST --free-all --caller "$twin" 2>&1)
[ "$out" = "free_all sent" ] || fail "FREE_ALL in the init namespace: $out"
wait_for 20 sh -c "[ -z \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -o '\"client\"')\" ]" ||
	fail "the init namespace's entry stayed after its FREE_ALL: $("$X" locks --path "$EXPORT/$f")"
inb rpc.nfsd 0 || fail "rpc.nfsd 0 in $NS"
ns_down
out=$($NLMTEST --lock --caller twin --svid 33 127.0.0.1 "$EXPORT/$f" w 0 10 2>&1)
log "init namespace NLM lock after $NS's nfsd stopped: $out"
[ "$out" = "lock granted" ] || fail "NLM lock in the init namespace after $NS's nfsd stopped: $out"
$NLMTEST --free-all --caller "$twin" >/dev/null 2>&1
wait_for 20 sh -c "[ -z \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -o '\"client\"')\" ]" ||
	fail "$twin's entry stayed after its FREE_ALL: $("$X" locks --path "$EXPORT/$f")"
xdone
