# SPDX-License-Identifier: GPL-2.0
# V8: one grace window. xlock's grace period (here started by graceset.py
# with one entry nobody reclaims, as xlockd does after a restart) holds
# lockd and nfsd in grace through the kernel's grace manager; nfsd, though,
# ends its own NFSv4 grace on its own clock and then tells its client
# tracker that grace is done (clients that have not reclaimed yet can no
# longer). With xlock nfsd restarted meanwhile stays in NFSv4 grace
# (/proc/fs/nfsd/v4_end_grace N) past its own 10 s until xlock's grace
# ends, then leaves it at once; new NFSv4 OPENs get NFS4ERR_GRACE until
# then. Stock: there is no grace but nfsd's, which ends after its 10 s.
#
# Across that restart an NFSv4.2 client (the kernel's, mounted throughout)
# holds an exclusive lock on one file and a plain open (a delegation if
# nfsd gives one) of another. Its NFS traffic is held back (tc drop of
# port 2049) while SMB and NLM clients ask, right after nfsd restarted,
# for a conflicting lock and for an RWH lease. xlock persists no NFSv4
# state, so while nfsd is in NFSv4 grace SMB is held back as NLM and NFSv4
# are: the SMB lock gets STATUS_FILE_NOT_AVAILABLE (until grace ends; the
# NFSv4 client reclaims meanwhile, then the lock is refused), a lease no W
# or H, an open denying read or write STATUS_SHARING_VIOLATION. Stock:
# ksmbd grants all, and the NFSv4 client's reclaim of its lock fails
# against the SMB lock (measured: see the cells).
# Restarts nfsd: run it after the scenarios that need a settled server.
. "$XLOCK_DIR/e2e/guest/v8.sh"

# nfsd tried to end its NFSv4 grace since the restart (its own clock, or
# its client tracker) and xlock held it: xlock says so in dmesg. Stock:
# nfsd's grace is over.
own_end() {
	if [ "$MODE" = xlock ]; then
		[ "$(held_lines)" -gt "$HELD0" ]
	else
		[ "$(ended)" = Y ]
	fi
}
# Wait until nfsd's NFSv4 grace is over (or, with wait_own, own_end) or
# $2 s passed since uptime $1 (by the clock: a loaded guest runs a polling
# loop slowly).
wait_ended() {
	while [ "$(ended)" != Y ] && [ "$(since "$1" | cut -d. -f1)" -lt "$2" ]; do
		sleep 1
	done
}
wait_own() {
	while ! own_end && [ "$(ended)" != Y ] && [ "$(since "$1" | cut -d. -f1)" -lt "$2" ]; do
		sleep 1
	done
}
# First line of an NFSv4 OPEN (for reading, no delegation) of file $1.
nfs4_open() { $NFS4OP "$1" open:r:none:nodeleg close 2>&1 | head -n 1; }
# The NFSv4 client's "lost N locks" lines in the kernel log (its reclaims
# failed); recovered: file $r's lock is listed again or locks were lost.
lost_lines() { dmesg | grep -c "NFS: .*: lost [0-9]* locks"; }
recovered() { nfs4_has lock "$r" || [ "$(lost_lines)" -gt "$LOST0" ]; }

# The NFSv4 client's state before the restart: a lock (with data written
# under it) and an open for writing.
r=$(fresh locked 0123456789)
d=$(fresh opened orig)
# SMB clients connect now and ask once nfsd is back (/tmp/v8go).
rm -f /tmp/v8go /tmp/v8rel
$SMBOP "$r" ready waitfile:/tmp/v8go open:none lock:0:10:x waitfile:/tmp/v8rel close hold:300 \
	>/tmp/v8lock.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
$SMBOP "$d" ready waitfile:/tmp/v8go open:RWH hold:300 >/tmp/v8lease.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
# And opens of a file NFSv4 never had: one sharing all, one denying write.
o=$(fresh deny-open)
$SMBOP "$o" ready waitfile:/tmp/v8go open:none:r:rwd close open:none:r:r close hold:300 \
	>/tmp/v8open.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
opens_answered() {
	grep -q "^error" /tmp/v8open.out || [ "$(smb_answer /tmp/v8open.out 2)" ]
}
# A local writer keeps nfsd from giving a delegation on $r: under one the
# Linux client keeps its locks to itself, and nfsd would have none to lose.
exec 8>>"$EXPORT/$r"
nfs4_hold "$r" rw
[ "$(hold_cmd lock w 0 10)" = granted ] || fail "NFSv4 lock before the restart"
hold_cmd write nfs4-first >/dev/null
hold_cmd fsync >/dev/null
exec 7<>"$NFS4_MNT/$d"
log "before the restart: $r lock=$(nfs4_state lock "$r"); $d open=$(nfs4_state open "$d") deleg=$(deleg "$d")"
if [ "$MODE" = xlock ]; then
	f=$(fresh unreclaimed)
	$GRACESET add "$EXPORT/$f" v8-gone nlm:x:0:9:1 >/tmp/gs.out 2>&1 &&
		$GRACESET start 300 >>/tmp/gs.out 2>&1 || fail "reclaim set: $(cat /tmp/gs.out)"
fi
wait_for 60 grep -q "^ready" /tmp/v8lock.out || fail "SMB lock probe: $(cat /tmp/v8lock.out)"
wait_for 60 grep -q "^ready" /tmp/v8lease.out || fail "SMB lease probe: $(cat /tmp/v8lease.out)"
wait_for 60 grep -q "^ready" /tmp/v8open.out || fail "SMB open probe: $(cat /tmp/v8open.out)"

LOST0=$(lost_lines)
nfs_block || fail "cannot hold back NFS traffic (tc)"
# nfsd restarts: a new NFSv4 grace of 10 s on its own clock.
log "asking from here on: lock probe $(head -n 1 /tmp/v8lock.out), lease probe $(head -n 1 /tmp/v8lease.out)"
rpc.nfsd 0
rpc.nfsd --grace-time 10 --lease-time 10 4 || { nfs_unblock; fail "nfsd restart"; }
t0=$(now)
HELD0=$(held_lines)
touch /tmp/v8go
cell "nfsd-in-grace-after-restart" N N "$(ended)"
wait_for 30 grep -q "^lock \|^error" /tmp/v8lock.out
wait_for 30 grep -q "^open \|^error" /tmp/v8lease.out
wait_for 30 opens_answered
log "asked $(since "$t0") s after nfsd restarted; NFSv4 state now: lock=$(nfs4_state lock "$r") open=$(nfs4_state open "$d")"
nfs_unblock
# The NFSv4 client comes back (any request of it starts its recovery).
touch "$NFS4_MNT/v8-poke-$$" &
cell "smb-lock-in-nfs4-grace" "lock STATUS_FILE_NOT_AVAILABLE" "lock granted" \
	"$(sed -n 's/^\(lock .*\|error\).*/\1/p' /tmp/v8lock.out | head -n 1)"
cell "smb-lease-in-nfs4-grace" "open granted=R" "open granted=RWH" \
	"$(grep -m 1 -e '^open' -e '^error' /tmp/v8lease.out | sed 's/^error .*\(STATUS_[A-Z_]*\).*/error \1/')"
# Opens: what NFSv4 clients may still reclaim is taken for an open for
# read and write denying nothing (the Linux client's): an SMB open denying
# write is held back, one sharing all is not. Stock: both granted.
cell "smb-sharing-open-in-nfs4-grace" "open granted=none" "open granted=none" \
	"$(smb_answer /tmp/v8open.out 1)"
cell "smb-deny-write-open-in-nfs4-grace" "error STATUS_SHARING_VIOLATION" "open granted=none" \
	"$(smb_answer /tmp/v8open.out 2)"
# NLM: nfsd's grace (the kernel's grace manager) holds every new lock back.
# nfsd knows the export's client only after its first request since the
# restart (the NFSv4 client's, now), so nlmtest may need another try.
# Stock nfsd's grace may be over by then (10 s): not asked there.
if [ "$MODE" = xlock ]; then
	for i in 1 2 3 4 5; do
		nlm=$($NLMTEST --lock --svid 4711 127.0.0.1 "$EXPORT/$r" w 0 10 2>&1 | tail -n 1)
		case $nlm in lock*) break ;; esac
		sleep 2
	done
	cell "nlm-lock-in-nfs4-grace" "lock denied_grace_period" - "$nlm"
fi
# The client's recovery of $r is over once its lock is listed again or it
# said it lost locks (stock: its lock reclaim failed against the SMB lock).
wait_for 40 recovered
log "the NFSv4 client reclaimed $(since "$t0") s after nfsd restarted: open=$(nfs4_state open "$r") lock=$(nfs4_state lock "$r") lost-locks=$(($(lost_lines) - LOST0)); $d: open=$(nfs4_state open "$d") deleg=$(deleg "$d"); SMB lease probe: $(tr '\n' ' ' </tmp/v8lease.out)"
cell "nfs4-lock-reclaimed" yes no "$(nfs4_state lock "$r")"
# nfsd's client tracker ends nfsd's grace once every client it knew has
# reclaimed (v4_end_grace Y; xlock's grace still holds it in): from then
# on SMB is no longer held back, and the NFSv4 lock is back (stock: the
# SMB client holds the range itself). Asked again while held back, until
# an answer asked after nfsd's own try to end its grace (the tracker's
# end comes before that try; without it the hold-back lasts to the
# unified end) or 30 s.
t1=$(now)
while :; do
	own=no
	own_end && own=yes
	got=$($SMBOP "$r" open:none lock:0:10:x 2>&1 | tail -n 1)
	[ "$got" = "lock STATUS_FILE_NOT_AVAILABLE" ] && [ $own = no ] &&
		[ "$(since "$t1" | cut -d. -f1)" -lt 30 ] || break
	sleep 1
done
log "SMB lock answered $got $(since "$t0") s after nfsd restarted"
# The hold-back ends early only if the tracker ended nfsd's grace, i.e.
# every client it recorded reclaimed: in a boot where NFSv4 clients of
# earlier scenarios are still recorded it lasts until the unified grace
# ends (then smb-lock-after-grace below). Either way SMB is never granted
# the lock the NFSv4 client reclaimed.
[ "$MODE" != xlock ] || case $got in
"lock STATUS_LOCK_NOT_GRANTED" | "lock STATUS_FILE_NOT_AVAILABLE") got="not granted" ;;
esac
cell "smb-lock-after-nfs4-reclaim" "not granted" "lock STATUS_LOCK_NOT_GRANTED" "$got"
touch /tmp/v8rel

# Past nfsd's own time (10 s, up to twice that if a client reclaimed
# meanwhile): with xlock, once nfsd tried to end its grace.
wait_own "$t0" 30
log "nfsd's own end of grace $(own_end && echo seen || echo "not seen") $(since "$t0") s after it restarted"
cell "nfsd-grace-past-its-own-time" N Y "$(ended)"
g=$(fresh new-open)
cell "nfs4-new-open-in-unified-grace" "open NFS4ERR_GRACE" "open ok deleg=none" "$(nfs4_open "$g")"
if [ "$MODE" = xlock ]; then
	"$XLOCKCTL" grace end >/dev/null || fail "xlockctl grace end"
	wait_ended "$(now)" 20
fi
cell "nfsd-grace-over-after-unified-end" Y Y "$(ended)"
cell "nfs4-open-after-unified-grace" "open ok deleg=none" "open ok deleg=none" "$(nfs4_open "$g")"
$SMBOP "$o" open:none:r:r close >/tmp/v8open.out 2>&1
cell "smb-deny-write-open-after-grace" "open granted=none" "open granted=none" \
	"$(smb_answer /tmp/v8open.out 1)"
# After grace: the NFSv4 client's lock holds (stock: lost to the SMB lock,
# which its owner has released by now) and it can still write.
cell "smb-lock-after-grace" "lock STATUS_LOCK_NOT_GRANTED" "lock granted" \
	"$($SMBOP "$r" open:none lock:0:10:x 2>&1 | tail -n 1)"
cell "nfs4-write-after-grace" synced "error EIO" "$(hold_cmd write nfs4-after >/dev/null; hold_cmd fsync)"
cell "contents-after-grace" nfs4-after nfs4-first "$(cat "$EXPORT/$r")"
exec 7>&- 8>&-
hold_stop
echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
xdone
