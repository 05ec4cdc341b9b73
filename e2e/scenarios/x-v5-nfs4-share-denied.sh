# SPDX-License-Identifier: GPL-2.0
# V5: an SMB open whose share mode denies write and delete. An NFSv4 OPEN
# for write is refused with NFS4ERR_SHARE_DENIED (10015; EACCES at the
# Linux client), an NFSv4 REMOVE with NFS4ERR_FILE_OPEN (10046; the client
# retries for about a second, then EBUSY); reads are fine. The status on
# the wire is read from nfsd's own tracepoint. Stock: NFS ignores SMB share
# modes. Content: the whole file after each refusal. The NFSv4.2 mount is
# the scenario's own.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T || fail "mount tracefs"
echo 1 >$T/events/nfsd/nfsd_compound_status/enable || fail "no nfsd_compound_status tracepoint"

# The last status nfsd traced for operation $1 since the trace was cleared.
nfs4_status() { grep " $1 status=" $T/trace | tail -n 1 | sed 's/.*status=//'; }

f=$(fresh deny-write)
smb_bg /tmp/smb.out "$f" open:none:r:r hold:30
: >$T/trace
got=$(nfs_append "$NFS4_MNT/$f" nfs)
cell "nfs4-write-open-vs-deny-write" "Permission denied/10015" "/0" "$got/$(nfs4_status OP_OPEN)"
cell "nfs4-read-vs-deny-write" orig orignfs "$(cat "$NFS4_MNT/$f")"
cell "content-after-refused-open" orig orignfs "$(cat "$EXPORT/$f")"
: >$T/trace
got=$(rm "$NFS4_MNT/$f" 2>&1 | sed 's/.*: //')
cell "nfs4-remove-vs-deny-delete" "Device or resource busy/10046" "/0" "$got/$(nfs4_status OP_REMOVE)"
cell "content-after-refused-remove" orig "" "$(cat "$EXPORT/$f" 2>/dev/null)"
echo 0 >$T/events/nfsd/nfsd_compound_status/enable
xdone
