# SPDX-License-Identifier: GPL-2.0
# C2: SMB byte-range locks against NLM locks. The kernel cifs client keeps
# its locks local while it holds a W lease: with xlock it gets none while
# NLM locks are held (C1), so its lock reaches the server and is refused.
# Fail-immediately SMB locks get STATUS_LOCK_NOT_GRANTED, blocking ones wait
# and are granted when the NLM lock goes; and an SMB unlock wakes a blocked
# NLM request at once (xlock's GRANTED callback; stock lockd on 6.12 only
# polls, every 30 s).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

# Content: the NLM holder writes under its lock; the cifs client writes
# only where it was granted a lock. Stock: cifs's lock stayed local, its
# cached write lands once the NLM lock is gone and overwrites the NLM data.
f=$(fresh cifs)
$LOCKF "$NFS_MNT/$f" w --start 0 --len 100 --hold 60 --write nlm-data >/tmp/lock.out &
nlm=$!
BG_PIDS="$BG_PIDS $nlm"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
wait_for 20 grep -q nlm-data "$EXPORT/$f" || fail "NLM holder's write"
hold_start "$f"
got=$(hold_cmd lock w 0 10)
cell "cifs-lock-vs-nlm-excl" denied granted "$got"
cell "cifs-lock-free-range" granted granted "$(hold_cmd lock w 200 10)"
[ "$got" = granted ] && hold_cmd write smb-data >/dev/null
kill "$nlm"
wait "$nlm" 2>/dev/null
wait_for 20 sh -c "! grep -q 'POSIX.* 0 99\$' /proc/locks" || log "NLM lock left: $(cat /proc/locks)"
hold_stop
cell "content-nlm-holder-data-kept" nlm-data smb-data "$(cat "$EXPORT/$f")"
xkill

f=$(fresh smb-immediate)
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
smb_bg /tmp/smb.out "$f" open:none lock:50:10:x lock:500:10:x hold:1
smb_gap /tmp/smb.out >/dev/null || wait_for 20 grep -q "lock.*lock" /tmp/smb.out
cell "smb-fail-immediately-vs-nlm" "lock STATUS_LOCK_NOT_GRANTED" "lock STATUS_LOCK_NOT_GRANTED" \
     "$(smb_out /tmp/smb.out '^lock' 1)"
cell "smb-lock-free-range" "lock granted" "lock granted" "$(smb_out /tmp/smb.out '^lock' 2)"
xkill

f=$(fresh smb-blocking)
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 3 --write nlm-data >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
t0=$(now)
smb_bg /tmp/smb.out "$f" open:none lock:50:10:x:wait read:0:8 hold:1
if smb_gap /tmp/smb.out >/dev/null; then
	cell "smb-blocking-waits-for-nlm-unlock" "lock granted/slow" "lock granted/slow" io-error
else
	wait_for 60 grep -q "^lock" /tmp/smb.out
	cell "smb-blocking-waits-for-nlm-unlock" "lock granted/slow" "lock granted/slow" \
	     "$(grep '^lock' /tmp/smb.out)/$(speed "$(since "$t0")")"
	wait_for 10 grep -q "^read" /tmp/smb.out
fi
cell "content-smb-reads-nlm-data" "read nlm-data" "read nlm-data" "$(smb_out /tmp/smb.out '^read')"
xkill

# An SMB unlock wakes the blocked NLM request.
f=$(fresh nlm-blocked)
go=/tmp/go.$$
rm -f $go
smb_bg /tmp/smb.out "$f" open:none lock:0:100:x write:0:smb-data hold:4 unlock:0:100 hold:40
$LOCKF "$NFS_MNT/$f" w --len 100 --wait --timeout 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
t0=$(now)
wait_for 20 grep -q "unlock ok" /tmp/smb.out || fail "SMB unlock: $(cat /tmp/smb.out)"
t1=$(now)
wait_for 60 grep -q -e granted -e denied /tmp/lock.out
# NFSv4: no callback wakes the client (xlock sends no CB_NOTIFY_LOCK): it
# polls, as over stock (README, limits).
woken=granted/slow
[ "$NFS_VERS" = 3 ] || woken=granted/poll
cell "nlm-blocked-woken-by-smb-unlock" "$woken" "granted/poll" \
     "$(sed -n 's/^\(granted\|denied\).*/\1/p' /tmp/lock.out)/$(speed "$(since "$t0")")"
cell "content-nlm-reads-smb-data" smb-data smb-data "$(cat "$NFS_MNT/$f")"
xdone
