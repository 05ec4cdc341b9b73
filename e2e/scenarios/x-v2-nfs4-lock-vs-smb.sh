# SPDX-License-Identifier: GPL-2.0
# V2 (as C1-C3): an SMB lease asked for while an NFSv4 client holds a
# byte-range lock is granted without W (shared lock) or without R as well
# (exclusive: no valid SMB2 lease, none), so the cifs client sends its own
# locks to the server, where they meet the NFSv4 lock and are refused. SMB
# LOCKs that reach the server are refused in both lanes (the VFS). Stock:
# the lease is granted whole and the cifs client's lock stays local; its
# cached write lands once the NFSv4 lock is gone. The NFSv4.2 mount is the
# scenario's own.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

# nfs4_lock FILE r|w [WRITE]: an NFSv4 lock on bytes 0-99 held for 60 s (its
# pid in $lk). Under a delegation the Linux client locks locally: an open
# on the server recalls it, and the client sends its lock before returning.
nfs4_lock() {
	$LOCKF "$NFS4_MNT/$1" "$2" --len 100 --hold 60 ${3:+--write "$3"} >/tmp/lock.out 2>&1 &
	lk=$!
	BG_PIDS="$BG_PIDS $lk"
	wait_for 30 grep -q granted /tmp/lock.out || fail "NFSv4 lock: $(cat /tmp/lock.out)"
	: >>"$EXPORT/$1"
	ino=$(stat -c %i "$EXPORT/$1")
	wait_for 20 grep -q ":$ino 0 99\$" /proc/locks ||
		fail "the NFSv4 lock is not on the server: $(cat /proc/locks)"
}

f=$(fresh shared)
nfs4_lock "$f" r
smb_bg /tmp/smb.out "$f" open:RWH hold:1
cell "RWH-while-nfs4-shared" RH RWH "$(smb_state /tmp/smb.out)"
xkill

f=$(fresh excl)
nfs4_lock "$f" w
cell "xlockctl-lists-nfs4-lock" "lock excl 0-99 client-ok" "" "$(nfs4_holders "$f")"
smb_bg /tmp/smb.out "$f" open:RWH:rw lock:50:10:x hold:1
wait_for 20 grep -q "^lock" /tmp/smb.out
cell "RWH-while-nfs4-excl" none RWH "$(smb_state /tmp/smb.out)"
cell "smb-lock-vs-nfs4-excl" "lock STATUS_LOCK_NOT_GRANTED" "lock STATUS_LOCK_NOT_GRANTED" \
	"$(grep '^lock' /tmp/smb.out | head -n 1)"
xkill
wait_for 20 sh -c "! grep -q ':$ino 0 99\$' /proc/locks"
smb_bg /tmp/smb.out "$f" open:RWH hold:1
cell "RWH-after-nfs4-unlock" RWH RWH "$(smb_state /tmp/smb.out)"
xkill

# The kernel cifs client: its lock reaches the server only without W.
# Content: the NFSv4 holder writes under its lock; the cifs client writes
# only where it was granted one.
f=$(fresh cifs)
nfs4_lock "$f" w nfs4data
wait_for 20 grep -q nfs4data "$EXPORT/$f" || fail "the NFSv4 holder's write: $(cat "$EXPORT/$f")"
hold_start "$f"
got=$(hold_cmd lock w 0 10)
cell "cifs-lock-vs-nfs4-excl" denied granted "$got"
[ "$got" = granted ] && hold_cmd write smb-data >/dev/null
kill "$lk"
wait "$lk" 2>/dev/null
wait_for 20 sh -c "! grep -q ':$ino 0 99\$' /proc/locks"
hold_stop
cell "content-nfs4-holder-data-kept" nfs4data smb-data "$(cat "$EXPORT/$f")"
xdone
