# SPDX-License-Identifier: GPL-2.0
# V7 (as C8): NFSv4 REMOVE and RENAME against an SMB lease with H: the
# handle lease is broken first (nfsd's unlink and rename, which serve
# NFSv3 and NFSv4 alike, answer NFS4ERR_DELAY while the break is slow) and
# the operation goes on once the SMB client acked, or its lease was
# revoked at the 5 s timeout. Stock: the name goes at once and the SMB
# client keeps H. Only leases without W are used: the NFSv4 client's
# GETATTR before a REMOVE breaks W like a read (C9). The NFSv4.2 mount is
# the scenario's own.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

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
