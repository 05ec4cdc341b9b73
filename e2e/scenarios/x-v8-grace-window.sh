# SPDX-License-Identifier: GPL-2.0
# V8, the other half of one grace window: xlock's grace does not end while
# nfsd's NFSv4 grace still runs, so its reclaim checks last as long as
# anything is in grace. Here xlock's grace is given 2 s (graceset.py, one
# NLM lock to reclaim, as xlockd loads it after a restart) right after
# nfsd restarted with its 20 s, an NFSv4.2 client's traffic held back (tc)
# so that nfsd's clients cannot all reclaim and end it early. Past xlock's
# 2 s, inside nfsd's grace: xlock's grace still runs; an NLM reclaim of
# something nobody held is refused (NLM4_DENIED); the persisted lock is
# reclaimed, and grace still goes on (everything reclaimed, but nfsd's
# clients may still reclaim); it ends only once nfsd tries to end its own,
# and nfsd's then ends at once. Before this, xlock's grace ended after its
# own 2 s and lockd, still in grace through nfsd, granted the bogus
# reclaim. Stock: lockd in nfsd's grace grants any reclaim.
# Restarts nfsd: run it after the scenarios that need a settled server.
. "$XLOCK_DIR/e2e/guest/v8.sh"

xgrace() {
	"$XLOCKCTL" --json grace | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])'
}
# An NLM reclaim (non-blocking) of a write lock on bytes 0-9 of file $1
# (file handle $2) by caller $3, svid $4. The handle is read before the
# restart: nfsd's export cache is empty after it until a client asks.
nlm_reclaim() {
	for i in 1 2 3; do
		out=$($NLMTEST --lock --reclaim --caller "$3" --svid "$4" --fh "$2" 127.0.0.1 "$EXPORT/$1" \
			w 0 10 2>&1 | tail -n 1)
		case $out in lock*) break ;; esac
		sleep 1
	done
	echo "$out"
}
nfsd_over() { [ "$(ended)" = Y ]; }
xgrace_over() { [ "$(xgrace)" != running ]; }

# The NFSv4 client holds a file open across the restart (nfsd's tracker
# records it: nfsd's grace then waits for its reclaim, up to its 20 s).
d=$(fresh opened orig)
exec 7<>"$NFS4_MNT/$d"
printf nfs4-first >&7 || fail "write through the NFSv4 open"
p=$(fresh persisted)
b=$(fresh bogus)
pfh=$($NLMTEST --print-fh 127.0.0.1 "$EXPORT/$p") || fail "file handle of $p: $pfh"
bfh=$($NLMTEST --print-fh 127.0.0.1 "$EXPORT/$b") || fail "file handle of $b: $bfh"
if [ "$MODE" = xlock ]; then
	# lockd names the NLM client at an address after the caller name of
	# the first request it had from there (a scenario before may have
	# made it): the name xlock keys a reclaim by. Ask with a lock.
	out=$($NLMTEST --lock --svid 99 127.0.0.1 "$EXPORT/$b" w 20 10)
	[ "$out" = "lock granted" ] || fail "NLM lock to learn the client's name: $out"
	nlmname=$("$XLOCKCTL" --json locks --path "$EXPORT/$b" | /usr/bin/python3 -c '
import json, sys
print(" ".join(x["client"][4:] for x in json.load(sys.stdin)["entries"] if x.get("svid") == 99))')
	$NLMTEST --free-all >/dev/null 2>&1
	log "NLM client at 127.0.0.1: $nlmname"
	$GRACESET add "$EXPORT/$p" "$nlmname" nlm:x:0:9:7 >/tmp/gw.out 2>&1 ||
		fail "reclaim set: $(cat /tmp/gw.out)"
fi
HELD0=$(held_lines)
nfs_block || fail "cannot hold back NFS traffic (tc)"
rpc.nfsd 0
rpc.nfsd --grace-time 20 --lease-time 10 4 || { nfs_unblock; fail "nfsd restart"; }
t0=$(now)
if [ "$MODE" = xlock ]; then
	$GRACESET start 2 >>/tmp/gw.out 2>&1 || { nfs_unblock; fail "grace start: $(cat /tmp/gw.out)"; }
fi
cell "nfsd-in-grace-after-restart" N N "$(ended)"
# Past xlock's own 2 s (by the clock: a loaded guest runs slowly).
while [ "$(since "$t0" | cut -d. -f1)" -lt 4 ]; do sleep 1; done
[ "$MODE" != xlock ] || cell "xlock-grace-past-its-own-time" running - "$(xgrace)"
cell "nlm-bogus-reclaim-in-nfsd-grace" "lock denied" "lock granted" "$(nlm_reclaim "$b" "$bfh" v8-bogus 4242)"
cell "nlm-persisted-reclaim" "lock granted" "lock granted" "$(nlm_reclaim "$p" "$pfh" v8-late 7)"
cell "nfsd-still-in-grace" N N "$(ended)"
# Everything reclaimed, but nfsd's clients may still reclaim: grace goes on.
sleep 2
[ "$MODE" != xlock ] || cell "xlock-grace-all-reclaimed-nfsd-not" running - "$(xgrace)"
log "$(since "$t0") s after nfsd restarted: xlock grace $([ "$MODE" = xlock ] && xgrace), nfsd v4_end_grace $(ended)"
nfs_unblock
# The NFSv4 client comes back and reclaims; nfsd ends its grace once it
# did (its tracker) or on its own clock, and xlock's ends with it.
touch "$NFS4_MNT/v8w-poke-$$" &
wait_for 60 nfsd_over
log "nfsd's grace over $(since "$t0") s after it restarted"
cell "nfsd-grace-over" Y Y "$(ended)"
if [ "$MODE" = xlock ]; then
	wait_for 10 xgrace_over
	cell "xlock-grace-over-with-nfsd" over - "$(xgrace)"
	# nfsd tried to end its grace (held) before xlock's ended.
	order=$(dmesg | grep -e "NFSv4 grace held until xlock's" -e "grace period ended (" | tail -n 2 |
		sed -e 's/.*NFSv4 grace held.*/held/' -e 's/.*grace period ended (\([a-z ]*\)).*/\1/' | tr '\n' ' ')
	cell "xlock-grace-ended-after-nfsd-tried" "held everything reclaimed " - "$order"
	[ "$(held_lines)" -gt "$HELD0" ] || fail "nfsd's try to end its grace was not seen"
fi
# The NFSv4 client's open came through: it still writes where it was.
w=written
printf +after >&7 2>/dev/null || w="write failed"
exec 7>&- || w="close failed"
cell "nfs4-write-after-grace" "written nfs4-first+after" "written nfs4-first+after" \
	"$w $(cat "$NFS4_MNT/$d")"
# The two reclaimed NLM locks (lockd keys the client by its address).
$NLMTEST --free-all >/dev/null 2>&1
xdone
