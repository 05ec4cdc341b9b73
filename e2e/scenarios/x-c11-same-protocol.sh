# SPDX-License-Identifier: GPL-2.0
# C11 and regression: NLM against NLM and SMB against SMB behave as the
# stock kernel does, with or without xlock (but for a stock lockd bug).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

f=$(fresh nlm)
$LOCKF "$NFS_MNT/$f" w --hold 30 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
# A second owner (another process) through the same mount.
got=$($LOCKF "$NFS_MNT/$f" w 2>&1 | cut -d' ' -f1-2)
cell "nlm-excl-vs-nlm-excl" "denied EAGAIN" "denied EAGAIN" "$got"
xkill
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 30 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
cell "nlm-other-range" granted granted "$($LOCKF "$NFS_MNT/$f" w --start 100 --len 10 | cut -d' ' -f1)"
xkill

# I2: stock lockd (6.12) tests every NLM TEST as a shared lock, so an
# exclusive TEST is granted over another owner's shared lock (torture
# found it); xlock tests it again as exclusive.
f=$(fresh nlmtest)
$LOCKF "$NFS_MNT/$f" r --len 100 --hold 30 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM shared lock"
got=$($NLMTEST 127.0.0.1 "$EXPORT/$f" w 50 10 | sed 's/svid=[0-9-]* //')
cell "nlm-test-excl-vs-nlm-shared" "denied excl=0 oh= offset=0 len=100" granted "$got"
cell "nlm-test-shared-vs-nlm-shared" granted granted "$($NLMTEST 127.0.0.1 "$EXPORT/$f" r 50 10)"
xkill

f=$(fresh smb)
smb_bg /tmp/a.out "$f" open:RWH hold:30
$SMBOP "$f" open:RWH close >/tmp/b.out 2>&1
wait_for 10 grep -q "^break" /tmp/a.out
cell "smb-lease-vs-smb-open" "RH/open granted=RH" "RH/open granted=RH" \
     "$(smb_state /tmp/a.out)/$(head -n 1 /tmp/b.out)"
xkill

f=$(fresh smblock)
smb_bg /tmp/a.out "$f" open:none lock:0:10:x hold:30
wait_for 20 grep -q "lock granted" /tmp/a.out
$SMBOP "$f" open:none lock:5:1:x close >/tmp/b.out 2>&1
cell "smb-lock-vs-smb-lock" "lock STATUS_LOCK_NOT_GRANTED" "lock STATUS_LOCK_NOT_GRANTED" \
     "$(grep '^lock' /tmp/b.out)"
xdone
