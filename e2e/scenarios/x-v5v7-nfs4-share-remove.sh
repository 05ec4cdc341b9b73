# SPDX-License-Identifier: GPL-2.0
# V5 and V7: NFSv4 OPEN, REMOVE and RENAME against SMB state, one setup.
#
# V5: an SMB open whose share mode denies write and delete. An NFSv4 OPEN
# for write is refused with NFS4ERR_SHARE_DENIED (10015; EACCES at the
# Linux client), an NFSv4 REMOVE with NFS4ERR_FILE_OPEN (10046; the client
# retries for about a second, then EBUSY); reads are fine. The status on
# the wire is read from nfsd's own tracepoint. Stock: NFS ignores SMB share
# modes. Content: the whole file after each refusal.
#
# V7 (as C8): NFSv4 REMOVE and RENAME against an SMB lease with H: the
# handle lease is broken first (nfsd's unlink and rename, which serve
# NFSv3 and NFSv4 alike, answer NFS4ERR_DELAY while the break is slow) and
# the operation goes on once the SMB client acked, or its lease was
# revoked at the 5 s timeout. Stock: the name goes at once and the SMB
# client keeps H. Only leases without W are used: the NFSv4 client's
# GETATTR before a REMOVE breaks W like a read (C9).
#
# The NFSv4.2 mount is the scenario's own.
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
xkill

f=$(fresh rm-RH)
smb_bg /tmp/smb.out "$f" open:RH hold:30
rm "$NFS4_MNT/$f" || fail "NFSv4 remove"
smb_settle /tmp/smb.out 5 R >/dev/null
[ -e "$EXPORT/$f" ] && gone=present || gone=removed
cell "nfs4-remove-vs-RH" removed/R removed/RH "$gone/$(smb_state /tmp/smb.out)"
xkill

f=$(fresh mv-src)
smb_bg /tmp/smb.out "$f" open:RH hold:30
mv "$NFS4_MNT/$f" "$NFS4_MNT/$f.renamed" || fail "NFSv4 rename"
smb_settle /tmp/smb.out 5 R >/dev/null
cell "nfs4-rename-vs-RH" R RH "$(smb_state /tmp/smb.out)"
cell "nfs4-rename-content" "orig/gone" "orig/gone" \
	"$(cat "$EXPORT/$f.renamed")/$([ -e "$EXPORT/$f" ] && echo present || echo gone)"
xkill

# An SMB client that never acks: the NFSv4 remove waits for the revoke.
f=$(fresh noack)
smb_bg /tmp/smb.out --ack no "$f" open:RH hold:30
t0=$(now)
rm "$NFS4_MNT/$f" || fail "NFSv4 remove (no ack)"
cell "nfs4-remove-vs-RH-no-ack" "removed/slow" "removed/fast" "removed/$(speed "$(since "$t0")")"
xdone
