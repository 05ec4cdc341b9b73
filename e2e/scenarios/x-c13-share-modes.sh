# SPDX-License-Identifier: GPL-2.0
# C13: SMB share modes and NFS. An SMB open that denies write (or delete)
# makes NFS writes and removes fail (NFS3ERR_ACCES, EACCES at the client);
# reads are fine. An NLM lock held makes an SMB open whose share mode
# conflicts with it fail with STATUS_SHARING_VIOLATION. Stock: NFS ignores
# SMB share modes and the SMB open succeeds. Content: the whole file after
# each refusal (a refused append or remove changed nothing).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

f=$(fresh deny-write)
smb_bg /tmp/smb.out "$f" open:none:r:r hold:30
cell "nfs-write-vs-deny-write" "Permission denied" "" "$(nfs_append "$NFS_MNT/$f" nfs)"
cell "nfs-read-vs-deny-write" orig orignfs "$(cat "$NFS_MNT/$f")"
cell "content-after-refused-append" orig orignfs "$(cat "$EXPORT/$f")"
got=$(rm "$NFS_MNT/$f" 2>&1 | sed 's/.*: //')
# NFSv4: NFS4ERR_FILE_OPEN (V5), EBUSY at the client.
refused="Permission denied"
[ "$NFS_VERS" = 3 ] || refused="Device or resource busy"
cell "nfs-remove-vs-deny-delete" "$refused" "" "$got"
cell "content-after-refused-remove" orig "" "$(cat "$EXPORT/$f" 2>/dev/null)"
xkill

f=$(fresh vs-nlm)
$LOCKF "$NFS_MNT/$f" w --hold 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
$SMBOP "$f" open:none:r:r close >/tmp/smb.out 2>&1
cell "smb-deny-write-open-vs-nlm-excl" "error STATUS_SHARING_VIOLATION" "open granted=none" \
     "$(head -n 1 /tmp/smb.out | sed 's/(.*//; s/ *$//; s/^error .*SHARING_VIOLATION.*/error STATUS_SHARING_VIOLATION/')"
$SMBOP "$f" open:none:r:rw close >/tmp/smb.out 2>&1
cell "smb-sharing-open-vs-nlm-excl" "open granted=none" "open granted=none" "$(head -n 1 /tmp/smb.out)"
xdone
