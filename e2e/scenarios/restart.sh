# SPDX-License-Identifier: GPL-2.0
# The server side restarts (ksmbd and nfsd stopped, xlock reloaded, xlockd
# restarted) under clients that keep their state: a kernel NFS client in
# its own network namespace and SMB clients that reconnect with the same
# client GUID and lease key. Three restarts:
#  1. the NLM lock and the SMB lease and lock are reclaimed in the same
#     grace period, which ends early once both are; a reclaim of a lock
#     never held is refused; a new NLM lock waits for grace to end;
#  2. (xlockd killed -9) entries whose owners never come back keep new
#     conflicting requests out during grace (SMB: STATUS_FILE_NOT_AVAILABLE,
#     NLM: denied_grace_period), are forgotten when grace times out (kernel
#     and disk), and the same requests then succeed;
#  3. "xlockctl grace end" ends a grace period early.
# The graces (180 s, 120 s) start with xlockd, before nfsd and ksmbd: with
# two or more guests on two cores bringing the servers up took over 40 s.
# e2e-timeout: 900
. "$XLOCK_DIR/e2e/guest/restart.sh"
# Whatever way this ends, leave no daemon or client behind: an xlockd left
# running attaches to the next scenario's module and starts its own grace.
HOLDERS=
cleanup() {
	for p in $HOLDERS; do
		pkill -P "$p" 2>/dev/null	# incli's nsenter child, if any
		kill "$p" 2>/dev/null
	done
	xlockd_stop
}
trap cleanup EXIT
trap 'exit 143' TERM INT
LOCKF="python3 $XLOCK_DIR/e2e/tools/lockf.py"
SMBOP="/usr/bin/python3 $XLOCK_DIR/e2e/tools/smbop.py"
NLMTEST="/usr/bin/python3 $XLOCK_DIR/e2e/tools/nlmtest.py"
X=$XLOCKCTL
FHC=$CLI	# an export client nfsd knows after a restart (nlmtest's file handles)
GUID_B=XLOCKRECLAIMER01
KEY_B=b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0
GUID_D=XLOCKGHOSTCLIENT
GUID_E=XLOCKNEWCOMER001

xlock_unload || fail "cannot unload xlock"
xlock_load || fail "cannot load xlock"
env_up
mounts_down	# lockd must go down with nfsd: no NFS client in this namespace
cli_up || fail "client namespace did not come up: $(cat /tmp/cli.log)"
rm -rf "$STATE"
xlockd_start --state-dir "$STATE" --grace 60 || fail "xlockd did not start"
for f in r1 r2 r3 r4; do echo "data $f" >"$EXPORT/$f"; done

# --- 1: NLM and SMB reclaim in one grace period, which ends early -----------
incli $LOCKF "$CLI_MNT/r1" w --start 0 --len 10 --hold 3600 >/tmp/cli-hold.out 2>&1 &
HOLDERS="$HOLDERS $!"
wait_for 30 grep -q granted /tmp/cli-hold.out || fail "NLM lock from the client namespace: $(cat /tmp/cli-hold.out)"
incli $SMBOP --server "$SRV" --guid "$GUID_B" --key "$KEY_B" r2 open:RWH lock:0:10:x \
	waitfile:/tmp/go1 reconnect:120 open:RWH lock:0:10:x hold:900 >/tmp/smb-b.out 2>&1 &
HOLDERS="$HOLDERS $!"
wait_for 30 grep -q "lock granted" /tmp/smb-b.out || fail "SMB client B: $(cat /tmp/smb-b.out)"
sleep 1
"$X" locks
"$XLOCKD" --print-state --state-dir "$STATE" >/tmp/st1
grep -q "client=nfscli path=$EXPORT/r1" /tmp/st1 || fail "NLM lock of nfscli not persisted: $(cat /tmp/st1)"
[ "$(grep -c '^entry' /tmp/st1)" = 3 ] || fail "expected 3 persisted entries: $(cat /tmp/st1)"

server_down TERM || fail "server down"
log "server down; persisted for reclaim:
$("$XLOCKD" --print-state --state-dir "$STATE")"
server_up 180 || fail "server up: $(tail "$XLOCKD_LOG")"
# When grace would run out, at the earliest: the guest's clock, on which
# the kernel's grace timer runs too, before the left_ms read after it.
u0=$(uptime_ms)
left0=$(grace_field left_ms)
ends=$((u0 + left0))
log "grace: $("$X" grace | tr '\n' ' ')"
[ "$left0" -gt 0 ] || fail "no grace running after server up: $("$X" grace)"
[ "$(grace_field entries)" = 3 ] || fail "reclaim set is not the 3 persisted entries: $("$X" grace)"

# A reclaim of something never held is refused; a new lock must wait for grace.
out=$($NLMTEST --lock --reclaim --caller bogus --svid 4242 "$FHC" "$EXPORT/r4" w 0 10)
[ "$out" = "lock denied" ] || fail "bogus NLM reclaim: $out"
log "bogus NLM reclaim: $out"
out=$($NLMTEST --lock --svid 4243 "$FHC" "$EXPORT/r4" w 0 10)
[ "$out" = "lock denied_grace_period" ] || fail "new NLM lock in grace: $out"
log "new NLM lock in grace: $out"

touch /tmp/go1
# Grace must end because everything was reclaimed, not because its 180 s
# ran out. B may reconnect and reclaim before the first poll sees grace
# (python and xlockctl start slowly in the guest), so what counts is when
# grace was first seen over, against when it would have run out; polled
# until some time after that, so that running out shows as such.
grace_left() { "$X" --json grace | python3 -c 'import json, sys
g = json.load(sys.stdin); print(g["state"], g["left_ms"])'; }
last=
while :; do
	g=$(grace_left)
	t1=$(uptime_ms)
	case $g in running*) last=${g#* } ;; *) break ;; esac
	[ "$t1" -lt $((ends + 30000)) ] || break
	sleep 0.5
done
case $g in over*) ;; *) fail "grace did not end once everything was reclaimed: $("$X" grace)" ;; esac
end=$(dmesg | grep 'grace period ended' | tail -n 1)
log "grace seen over $(((ends - t1) / 1000)) s before it would have run out (last seen running with ${last:-?} ms left): $end"
[ "$t1" -le $((ends - 5000)) ] ||
	fail "grace was not ended early by the reclaims (seen over $(((ends - t1) / 1000)) s before its 180 s ran out; $end; B: $(tr '\n' ' ' </tmp/smb-b.out))"
case $end in *"(everything reclaimed): 0 entries"*) ;; *) fail "grace ended, not by the reclaims: $end" ;; esac
wait_for 20 grep -q 'grace period over: 0 persisted entries not reclaimed' "$XLOCKD_LOG" ||
	fail "xlockd did not see every persisted entry reclaimed: $(grep 'grace period over' "$XLOCKD_LOG")"
wait_for 20 sh -c "[ \"\$(grep -c 'lock granted' /tmp/smb-b.out)\" = 2 ]" ||
	fail "SMB client B did not reclaim: $(cat /tmp/smb-b.out)"
grep -q "open granted=RWH" /tmp/smb-b.out || fail "B's lease: $(cat /tmp/smb-b.out)"
log "SMB client B after reconnecting: $(tr '\n' ' ' </tmp/smb-b.out)"
"$X" locks --client nlm:nfscli | grep -q "$EXPORT/r1" || fail "the NLM lock was not reclaimed: $("$X" locks)"
out=$($NLMTEST "$FHC" "$EXPORT/r1" w 0 10)
case $out in denied*) ;; *) fail "r1 not locked after the reclaim: $out" ;; esac
out=$($SMBOP --guid "$GUID_E" r2 open:none lock:0:10:x 2>&1 | tail -n 1)
[ "$out" = "lock STATUS_LOCK_NOT_GRANTED" ] || fail "B's reclaimed SMB lock does not hold: $out"
[ ! -e "$STATE/reclaim" ] || fail "reclaim file left after grace"
"$X" status | grep -q "grace: over" || fail "status does not show grace over"
log "reclaims: $("$X" metrics | grep -E '^xlock_reclaims_total' | tr '\n' ' ')"

# --- 2: owners that never come back, xlockd killed -9 ------------------------
pkill -f "lockf.py $CLI_MNT/r1"	# the NLM client lets go of r1
wait_for 20 sh -c "! '$X' locks --client nlm:nfscli | grep -q r1" || fail "the NLM client kept r1"
out=$($NLMTEST --lock --caller ghost --svid 7 "$FHC" "$EXPORT/r3" w 0 100)
[ "$out" = "lock granted" ] || fail "ghost NLM lock: $out"
$SMBOP --guid "$GUID_D" r4 open:RWH lock:0:100:x hold:900 >/tmp/smb-d.out 2>&1 &
HOLDERS="$HOLDERS $!"
wait_for 30 grep -q "lock granted" /tmp/smb-d.out || fail "ghost SMB client: $(cat /tmp/smb-d.out)"
sleep 1
log "before restart 2:
$("$X" locks)"
server_down KILL || fail "server down (2)"
server_up 120 || fail "server up (2): $(tail "$XLOCKD_LOG")"
t0=$(date +%s)
log "grace: $("$X" grace | tr '\n' ' ')"
"$X" grace | grep -q missing || fail "grace shows no missing client: $("$X" grace)"
out=$($SMBOP --guid "$GUID_E" r4 open:none lock:0:100:x 2>&1 | tail -n 1)
[ "$out" = "lock STATUS_FILE_NOT_AVAILABLE" ] || fail "SMB lock over an unreclaimed one in grace: $out"
log "SMB lock over an unreclaimed lock in grace: $out"
out=$($NLMTEST --lock --svid 8 "$FHC" "$EXPORT/r3" w 0 100)
[ "$out" = "lock denied_grace_period" ] || fail "NLM lock over an unreclaimed one in grace: $out"
wait_for 150 sh -c "'$X' grace | grep -q 'grace: over'" || fail "grace did not time out: $("$X" grace)"
t1=$(date +%s)
log "grace timed out after $((t1 - t0)) s: $(grep 'grace period over' "$XLOCKD_LOG" | tail -n 1)"
end=$(dmesg | grep 'grace period ended' | tail -n 1)
case $end in *"(time is up)"*) ;; *) fail "grace 2 ended, but not by running out: $end" ;; esac
[ ! -e "$STATE/reclaim" ] || fail "reclaim file left after grace timed out"
"$XLOCKD" --print-state --state-dir "$STATE" | grep -q "path=$EXPORT/r3" &&
	fail "the unclaimed ghost lock is still persisted"
out=$($SMBOP --guid "$GUID_E" r4 open:none lock:0:100:x 2>&1 | tail -n 1)
[ "$out" = "lock granted" ] || fail "SMB lock after the unclaimed one was forgotten: $out"
out=$($NLMTEST --lock --svid 9 "$FHC" "$EXPORT/r3" w 0 100)
[ "$out" = "lock granted" ] || fail "NLM lock after the unclaimed one was forgotten: $out"
log "after grace both are granted"

# --- 3: the administrator ends grace -----------------------------------------
server_down TERM || fail "server down (3)"
server_up 600 || fail "server up (3)"
"$X" grace | grep -q "grace: running" || fail "no grace period: $("$X" grace)"
out=$("$X" grace end) || fail "xlockctl grace end: $out"
log "$out"
"$X" grace | grep -q "grace: over" || fail "grace still running after grace end"
out=$("$X" grace end 2>&1) && fail "grace end without grace succeeded: $out"
log "second grace end: $out"
# nfsd's NFSv4 grace, held until xlock's ended, ends on xlock's next kick
# (within a second); lockd answers from both graces until then.
nlm_after_end() {
	out=$($NLMTEST --lock --svid 10 "$FHC" "$EXPORT/r1" w 20 10)
	[ "$out" = "lock granted" ]
}
wait_for 5 nlm_after_end || fail "NLM lock after grace end: $out"

xlockd_stop
log "xlockd log:
$(cat "$XLOCKD_LOG")"
