# SPDX-License-Identifier: GPL-2.0
# Issue 11, invariant I6: the last NLM reclaim of a grace period is granted.
# xlock ended its grace as soon as the last persisted entry matched a
# reclaim, before lockd had answered that reclaim; lockd checks the grace
# period itself after xlock's hook, so when the end (a work item) ran first
# the reclaim got NLM4_DENIED_GRACE_PERIOD: the power-cut test saw "grace
# ended after n-1 of n reclaims" twice. xlock's race_window_ms (a test
# knob) sleeps between xlock's match and lockd's grant, so the end comes
# first every time unless grace waits for lockd's answer.
# A reclaim set of two NLM locks (graceset.py), both reclaimed: each must be
# granted, and grace must then end by itself ("everything reclaimed").
GRACESET="/usr/bin/python3 $XLOCK_DIR/e2e/tools/graceset.py"
P=/sys/module/xlock/parameters
xlock_load || fail "cannot load xlock"
nfs_server_up || fail "NFS server did not start"
[ -w $P/race_window_ms ] || fail "no race_window_ms parameter"
F=$EXPORT/grace-last
: >"$F"
chmod 0666 "$F"

# lockd names a client by its address's first caller name (nlmsvc_lookup_host
# compares addresses, not names): learn it from a lock, as a reclaim is matched.
nlm() { # nlm CALLER lock|unlock|reclaim SVID x|s START LEN
	/usr/bin/python3 - "$@" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["XLOCK_DIR"] + "/e2e/tools")
import powerload
caller, op, svid, mode, start, length = sys.argv[1:]
n = powerload.Nlm()
path = "/srv/export/grace-last"
if op == "unlock":
    print(n.unlock(caller, path, int(svid), int(start), int(length)))
else:
    print(n.lock(caller, path, int(svid), mode == "x", int(start), int(length),
                 reclaim=op == "reclaim"))
EOF
}
export XLOCK_DIR
got=$(nlm gl-probe lock 9 x 100 10) || fail "probe lock: $got"
[ "$got" = granted ] || fail "probe lock (no grace expected): $got"
name=$("$XLOCKCTL" --json locks --path "$F" | /usr/bin/python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin)["entries"] if x["proto"] == "nlm"]
print(e[0]["client"].split(":", 1)[-1] if e else "")')
[ -n "$name" ] || fail "the probe lock is not in the table"
got=$(nlm gl-probe unlock 9 x 100 10)
[ "$got" = granted ] || fail "probe unlock: $got"
log "lockd names 127.0.0.1 \"$name\""

$GRACESET add "$F" "$name" nlm:x:0:9:7 nlm:s:20:29:8 >/tmp/gs.out 2>&1 &&
	$GRACESET start 120 >>/tmp/gs.out 2>&1 || fail "reclaim set: $(cat /tmp/gs.out)"
echo 300 >$P/race_window_ms
first=$(nlm "$name" reclaim 7 x 0 10)
last=$(nlm "$name" reclaim 8 s 20 10)
echo 0 >$P/race_window_ms
log "reclaims: first $first, last $last; $("$XLOCKCTL" grace | tr '\n' ' ')"
grace_over() {
	[ "$("$XLOCKCTL" --json grace | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')" = over ]
}
over=no
wait_for 20 grace_over && over=yes
log "grace over: $over; $(dmesg | grep 'grace period ended' | tail -n 1)"
nlm "$name" unlock 7 x 0 10 >/dev/null
nlm "$name" unlock 8 s 20 10 >/dev/null
[ "$first" = granted ] || fail "the first reclaim: $first"
[ "$last" = granted ] || fail "the last reclaim: $last (grace ended before lockd answered it)"
[ "$over" = yes ] || fail "grace did not end after everything was reclaimed: $("$XLOCKCTL" grace | tr '\n' ' ')"
dmesg | grep 'grace period ended' | tail -n 1 | grep -q 'everything reclaimed' ||
	fail "grace ended, but not by the reclaims: $(dmesg | grep 'grace period ended' | tail -n 1)"
log "both reclaims granted, grace ended by itself"
