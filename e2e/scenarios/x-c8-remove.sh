# SPDX-License-Identifier: GPL-2.0
# C8: NFS REMOVE and RENAME (of the file, or over it) against an SMB lease
# with H: the handle lease is broken first and the NFS operation goes on
# once the SMB client acked (or its lease was revoked at the 5 s timeout).
# REMOVE breaks no lease without H; the LOOKUP before it breaks W (C9). Content: a renamed file keeps its data
# under its new name only; a file renamed over another is what the target
# name holds, and the source name is gone. (The cifs client's view of a
# name replaced under it depends on its 1 s deferred-close and attribute
# timers: not a deterministic cell.)
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

for st in R RH RW RWH; do
	f=$(fresh "rm-$st")
	smb_bg /tmp/smb.out "$f" "open:$st" hold:30
	rm "$NFS_MNT/$f" || fail "NFS remove"
	# REMOVE breaks H (C8); the NFS client's LOOKUP of the name before it
	# returns the file's attributes, which breaks W (C9).
	case $st in *H|RW) want=$(smb_settle /tmp/smb.out 5 R) ;; *) want=$st ;; esac
	[ -e "$EXPORT/$f" ] && gone=present || gone=removed
	case $st in *H|RW) exp=R ;; *) exp=$st ;; esac
	cell "remove-vs-$st" "removed/$exp" "removed/$st" "$gone/$(smb_state /tmp/smb.out)"
	xkill
done

f=$(fresh mv-src)
smb_bg /tmp/smb.out "$f" open:RH hold:30
mv "$NFS_MNT/$f" "$NFS_MNT/$f.renamed" || fail "NFS rename"
smb_settle /tmp/smb.out 5 R >/dev/null
cell "rename-vs-RH" "R" "RH" "$(smb_state /tmp/smb.out)"
cell "rename-content" "orig/gone" "orig/gone" \
     "$(cat "$EXPORT/$f.renamed")/$([ -e "$EXPORT/$f" ] && echo present || echo gone)"
xkill

t=$(fresh mv-target)
s=$(fresh mv-source src-data)
smb_bg /tmp/smb.out "$t" open:RH hold:30
mv "$NFS_MNT/$s" "$NFS_MNT/$t" || fail "NFS rename over"
smb_settle /tmp/smb.out 5 R >/dev/null
cell "rename-over-RH" "R" "RH" "$(smb_state /tmp/smb.out)"
cell "rename-over-content" "src-data/gone" "src-data/gone" \
     "$(cat "$EXPORT/$t")/$([ -e "$EXPORT/$s" ] && echo present || echo gone)"
xkill

# An SMB client that never acks: the NFS remove waits for the revoke.
f=$(fresh noack)
smb_bg /tmp/smb.out --ack no "$f" open:RH hold:30
t0=$(now)
rm "$NFS_MNT/$f" || fail "NFS remove (no ack)"
cell "remove-vs-RH-no-ack" "removed/slow" "removed/fast" "removed/$(speed "$(since "$t0")")"
xdone
