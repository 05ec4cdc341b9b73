# SPDX-License-Identifier: GPL-2.0
# V1: NFSv4 LOCK and LOCKT against SMB leases and SMB locks, and the SMB
# holder named in LOCK4denied. The NFSv4
# client opens the file read-write (a write delegation), then an SMB
# client opens it with an R lease (the delegation is recalled first, V3),
# then the NFSv4 client takes an exclusive lock: R is broken before the
# lock is granted (C4), though the lock's own file handle check only
# breaks what a read would. Stock: the SMB open fails under the
# delegation. The NFSv4.2 mount is our own.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

f=$(fresh excl-vs-R)
nfs4_hold "$f" rw
$SMBOP "$f" open:R:r hold:40 >/tmp/smb.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 60 grep -q -e "open granted" -e "^error" /tmp/smb.out || fail "smbop: $(cat /tmp/smb.out)"
cell "smb-R-open-next-to-nfs4-open" "open granted=R" "error STATUS_UNEXPECTED_IO_ERROR" \
	"$(head -n 1 /tmp/smb.out | sed 's/^error .*\(STATUS_[A-Z_]*\).*/error \1/')"
got=$(hold_cmd lock w 0 100)
[ "$MODE" = xlock ] && got="$got/$(smb_settle /tmp/smb.out 5 none)"
cell "nfs4-excl-lock-vs-R" "granted/none" "granted" "$got"
hold_stop
xkill

# The cifs client keeps its lock local under W. NFSv4 LOCKT and LOCK meet
# it in the VFS once W is broken: with xlock the NFSv4 OPEN before them
# already breaks it (C9/C10) and the cifs client pushes its lock. Stock:
# the cifs lock stays local. (Its cached write is no cell: stock cifs
# flushed it on its own within a second in a run.)
f=$(fresh cifs-cached)
hold_start "$f"
[ "$(hold_cmd lock w 0 10)" = granted ] || fail "cifs lock"
hold_cmd write smb-data >/dev/null
got=$(/usr/bin/python3 -c '
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fl = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 100, 0))
print({fcntl.F_UNLCK: "unlocked", fcntl.F_RDLCK: "read", fcntl.F_WRLCK: "write"}[struct.unpack("hhqqi4x", fl)[0]])
' "$NFS4_MNT/$f" 2>&1)
cell "nfs4-lockt-vs-cifs-lock" write unlocked "$got"
$LOCKF "$NFS4_MNT/$f" w --len 100 >/tmp/lock.out 2>&1
cell "nfs4-lock-vs-cifs-lock" denied granted "$(sed -n 's/^\(granted\|denied\).*/\1/p' /tmp/lock.out)"
hold_stop
xkill

# LOCK4denied: nfsd names a holder only when it is one of its own lock
# owners (else an empty owner); with xlock an SMB holder in the way is
# named, owner "smb:<client>" with its lock's range. The raw NFSv4 client
# shows the denial as sent.
f=$(fresh denied-owner)
smb_bg /tmp/smb.out "$f" open:none lock:0:10:x hold:60
wait_for 30 grep -q "^lock granted" /tmp/smb.out || fail "smbop lock: $(cat /tmp/smb.out)"
cell "nfs4-lockt-denied-names-smb-holder" \
	"lockt NFS4ERR_DENIED owner=smb:127.0.0.1 start=0 len=10 type=w" \
	"lockt NFS4ERR_DENIED owner=- start=0 len=10 type=w" \
	"$($NFS4OP "$f" lockt:5:10:r 2>&1 | head -n 1)"
cell "nfs4-lock-denied-names-smb-holder" \
	"lock NFS4ERR_DENIED owner=smb:127.0.0.1 start=0 len=10 type=w" \
	"lock NFS4ERR_DENIED owner=- start=0 len=10 type=w" \
	"$($NFS4OP "$f" open:rw:none:nodeleg lock:5:10:w 2>&1 | sed -n 2p)"
xdone
