# SPDX-License-Identifier: GPL-2.0
# V1: an NFSv4 LOCK against an SMB lease. The NFSv4 client opens the file
# read-write (a write delegation), then an SMB client opens it with an R
# lease (the delegation is recalled first, V3), then the NFSv4 client takes
# an exclusive lock: R is broken before the lock is granted (C4), though
# the lock's own file handle check only breaks what a read would. Stock:
# the SMB open fails under the delegation. The NFSv4.2 mount is our own.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

nfs4_open() { hold_path "$NFS4_MNT/$1" "$2"; } # FILE MODE: an NFSv4 open, driven by hold_cmd

f=$(fresh excl-vs-R)
nfs4_open "$f" rw
$SMBOP "$f" open:R:r hold:40 >/tmp/smb.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 60 grep -q -e "open granted" -e "^error" /tmp/smb.out || fail "smbop: $(cat /tmp/smb.out)"
cell "smb-R-open-next-to-nfs4-open" "open granted=R" "error STATUS_UNEXPECTED_IO_ERROR" \
	"$(head -n 1 /tmp/smb.out | sed 's/^error .*\(STATUS_[A-Z_]*\).*/error \1/')"
got=$(hold_cmd lock w 0 100)
[ "$MODE" = xlock ] && got="$got/$(smb_settle /tmp/smb.out 5 none)"
cell "nfs4-excl-lock-vs-R" "granted/none" "granted" "$got"
hold_stop
xdone
