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

f=$(fresh cifs)
$LOCKF "$NFS_MNT/$f" w --start 0 --len 100 --hold 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
hold_start "$f"
cell "cifs-lock-vs-nlm-excl" denied granted "$(hold_cmd lock w 10 10)"
cell "cifs-lock-free-range" granted granted "$(hold_cmd lock w 200 10)"
hold_stop
xkill

f=$(fresh smb-immediate)
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
smb_bg /tmp/smb.out "$f" open:none lock:50:10:x lock:500:10:x hold:1
wait_for 20 grep -q "lock.*lock" /tmp/smb.out
cell "smb-fail-immediately-vs-nlm" "lock STATUS_LOCK_NOT_GRANTED" "lock STATUS_LOCK_NOT_GRANTED" \
     "$(grep '^lock' /tmp/smb.out | head -n 1)"
cell "smb-lock-free-range" "lock granted" "lock granted" "$(grep '^lock' /tmp/smb.out | sed -n 2p)"
xkill

f=$(fresh smb-blocking)
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 3 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
t0=$(now)
smb_bg /tmp/smb.out "$f" open:none lock:50:10:x:wait hold:1
wait_for 60 grep -q "^lock" /tmp/smb.out
cell "smb-blocking-waits-for-nlm-unlock" "lock granted/slow" "lock granted/slow" \
     "$(grep '^lock' /tmp/smb.out)/$(speed "$(since "$t0")")"
xkill

# An SMB unlock wakes the blocked NLM request.
f=$(fresh nlm-blocked)
go=/tmp/go.$$
rm -f $go
smb_bg /tmp/smb.out "$f" open:none lock:0:100:x hold:4 unlock:0:100 hold:40
$LOCKF "$NFS_MNT/$f" w --len 100 --wait --timeout 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
t0=$(now)
wait_for 20 grep -q "unlock ok" /tmp/smb.out || fail "SMB unlock: $(cat /tmp/smb.out)"
t1=$(now)
wait_for 60 grep -q -e granted -e denied /tmp/lock.out
cell "nlm-blocked-woken-by-smb-unlock" "granted/slow" "granted/poll" \
     "$(sed -n 's/^\(granted\|denied\).*/\1/p' /tmp/lock.out)/$(speed "$(since "$t0")")"
xdone
