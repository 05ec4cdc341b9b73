# SPDX-License-Identifier: GPL-2.0
# e2e-accel: tcg
# The edges under the races and corner cases issue 10 found by reading
# (items a, b, d, g, h, i, k): each section sets up the case that went
# wrong and checks the result; e2e/run.sh also fails the scenario on any
# kernel WARNING or leaked-lock report while it runs. Single-threaded TCG:
# the last sections unload xlock (live text patching).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
GRACESET="/usr/bin/python3 $XLOCK_DIR/e2e/tools/graceset.py"
xsetup
stat_of() { "$XLOCKCTL" --json status 2>/dev/null |
	/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['stats']['$1'])" 2>/dev/null || echo 0; }
top() { "$XLOCKCTL" --json status 2>/dev/null |
	/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" 2>/dev/null || echo "?"; }

# a: a blocked NLM write lock that xlock grants when the SMB lock goes, on a
# file lockd also has open for reading (another client's read lock). lockd
# opens a file once per mode: the grant must use the open for the lock's
# mode (a WARNING in vfs_lock_file and a lock on the wrong open before).
f=$(fresh pending-mixed)
$LOCKF "$NFS_MNT/$f" r --start 200 --len 10 --hold 60 >/tmp/rlock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/rlock.out || fail "NLM read lock: $(cat /tmp/rlock.out)"
cb0=$(stat_of nlm_granted_callbacks)
smb_bg /tmp/smb.out "$f" open:none lock:0:100:x hold:15 unlock:0:100 hold:30
wait_for 20 grep -q "lock granted" /tmp/smb.out || fail "SMB lock: $(cat /tmp/smb.out)"
$LOCKF "$NFS_MNT/$f" w --len 100 --wait --timeout 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 40 grep -q "unlock ok" /tmp/smb.out || fail "SMB unlock: $(cat /tmp/smb.out)"
wait_for 40 grep -q -e granted -e denied /tmp/lock.out
log "NFS lock: $(cat /tmp/lock.out); callbacks $cb0 -> $(stat_of nlm_granted_callbacks)"
cell "a-pending-grant-mixed-opens" granted/yes granted/yes \
     "$(sed -n 's/^\(granted\|denied\).*/\1/p' /tmp/lock.out)/$([ "$(stat_of nlm_granted_callbacks)" -gt "$cb0" ] && echo yes || echo no)"
xkill
# Every client gone: no POSIX lock may stay behind on the file.
ino=$(stat -c %i "$EXPORT/$f")
wait_for 20 sh -c "! grep -q ':$ino ' /proc/locks"
cell "a-no-lock-left" none none "$(grep -q ":$ino " /proc/locks && echo left || echo none)"

# b, g, h in one grace period of xlock's own: a reclaim set loaded as
# xlockd loads it after a restart (e2e/tools/graceset.py), so lockd and
# nfsd are in grace too, without restarting them.
# b: a TEST that lockd answers with neither granted nor denied (every TEST
# in a grace period) must not pin the file: once its SMB holder is gone the
# file leaves the table (before, a leaked reference kept it, and its path,
# so the export could not be unmounted even after rmmod).
# g: nine unreclaimed NLM locks on one file all hold back a conflicting SMB
# lock (before, only the first 8 of the file's entries were looked at).
# h: a lease reclaim gets at most the persisted state (before, a client that
# held R got the RWH it asked for).
fb=$(fresh grace-test)
fg=$(fresh grace-many)
fh=$(fresh grace-lease)
n0=$(top files)
smb_bg /tmp/smb.out "$fb" open:R hold:120
GUID_H=XLOCKGRACELEASE1
KEY_H=c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0
$GRACESET add "$EXPORT/$fg" ghost $(for i in 0 1 2 3 4 5 6 7 8; do
	echo "nlm:x:$((i * 10)):$((i * 10 + 9)):$((i + 1))"; done) >/tmp/gs.out 2>&1 &&
$GRACESET add "$EXPORT/$fh" "$(printf %s "$GUID_H" | od -An -tx1 | tr -d ' \n')" \
	"lease:$KEY_H:R" >>/tmp/gs.out 2>&1 &&
$GRACESET start 120 >>/tmp/gs.out 2>&1 || fail "reclaim set: $(cat /tmp/gs.out)"
log "grace: $("$XLOCKCTL" grace | tr '\n' ' ')"
got=$($NLMTEST 127.0.0.1 "$EXPORT/$fb" w 0 10 2>&1 | tail -n 1)
cell "b-test-in-grace" "status 4" "status 4" "$got"
# The first record added is the last one the file's hash chain shows.
got=$($SMBOP "$fg" open:none lock:0:10:x lock:80:10:x lock:100:10:x 2>&1 |
	sed -n 's/^lock //p' | tr '\n' ' ')
cell "g-nine-unreclaimed-hold" \
     "STATUS_FILE_NOT_AVAILABLE STATUS_FILE_NOT_AVAILABLE granted " \
     "STATUS_FILE_NOT_AVAILABLE STATUS_FILE_NOT_AVAILABLE granted " "$got"
got=$($SMBOP --guid "$GUID_H" --key "$KEY_H" "$fh" open:RWH 2>&1 | sed -n 's/^open granted=//p')
cell "h-lease-reclaim-at-most-persisted" R R "$got"
"$XLOCKCTL" grace end >/dev/null || fail "grace end"
xkill
files_are() { [ "$(top files)" = "$1" ]; }
wait_for 20 files_are "$n0"
cell "b-file-released" "$n0" "$n0" "$(top files)"

# k: C9 for attributes the NFS client gets without asking for the file
# itself: READDIRPLUS of a directory it has never listed (ls -l). The cifs
# client writes under its W lease (cached); NFS must see the new size.
d=$(fresh kdir) && rm -f "$EXPORT/$d" && mkdir -m 0777 "$EXPORT/$d"
printf orig >"$EXPORT/$d/f" && chmod 0666 "$EXPORT/$d/f"
hold_start "$d/f"
hold_cmd write smb-data-longer >/dev/null
cell "k-readdirplus-size" 15 4 "$(ls -l "$NFS_MNT/$d" | awk '$NF == "f" { print $5 }')"
hold_stop
# d: unload while an SMB blocking lock waits inside ksmbd (behind an NLM
# lock): rmmod must not wait for the NLM lock to go. The SMB request is
# cancelled (STATUS_CANCELLED), as on the client's own CANCEL.
f=$(fresh unload)
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock: $(cat /tmp/lock.out)"
smb_bg /tmp/smb.out "$f" open:none lock:0:10:x:wait hold:1
sleep 3
grep -q "^lock" /tmp/smb.out && fail "the SMB lock did not wait: $(cat /tmp/smb.out)"
t0=$(now)
rmmod xlock || fail "rmmod xlock"
dt=$(since "$t0")
log "rmmod took $dt s; SMB client: $(tr '\n' ' ' </tmp/smb.out)"
cell "d-rmmod-with-smb-lock-blocked" fast fast "$(echo "$dt" | awk '{ print ($1 < 10) ? "fast" : "slow" }')"
xkill
# i: a lease break that cannot start (the ksmbd edge stopping, no memory:
# here the fail_breaks test knob) leaves the lease as it is: the table must
# not say R while the SMB client still holds RWH (before, it did, and the
# NFS read went on as if W had been broken). The read waits (JUKEBOX).
xlock_load test_api=1 || fail "cannot load xlock with test_api=1"
f=$(fresh nobreak)
smb_bg /tmp/smb.out "$f" open:RWH hold:60
echo Y >/sys/module/xlock/parameters/fail_breaks
timeout 8 cat "$NFS_MNT/$f" >/dev/null 2>&1 &
BG_PIDS="$BG_PIDS $!"
sleep 4
got=$("$XLOCKCTL" --json locks --path "$EXPORT/$f" | /usr/bin/python3 -c '
import json, sys
print(" ".join(x["state"] for x in json.load(sys.stdin)["entries"] if x["kind"] == "lease"))')
got="$got/$(smb_state /tmp/smb.out)"
# The NFS reader and the SMB client go before breaks can start again.
xkill
echo N >/sys/module/xlock/parameters/fail_breaks
cell "i-break-not-started-keeps-lease" RWH/RWH RWH/RWH "$got"
xlock_unload && xlock_load || fail "cannot load xlock again"
xdone
