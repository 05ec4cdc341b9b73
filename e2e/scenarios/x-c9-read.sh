# SPDX-License-Identifier: GPL-2.0
# C9: NFS READ (and the GETATTR/ACCESS of an open) against an SMB lease:
# a lease with W is broken to R[H] first, so NFS sees the SMB client's data
# and size; R and RH are left alone. Content check with the cifs client.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

for st in R RH RW RWH; do
	f=$(fresh "$st")
	smb_bg /tmp/smb.out "$f" "open:$st" hold:30
	cat "$NFS_MNT/$f" >/dev/null || fail "NFS read"
	case $st in RW) want=R ;; RWH) want=RH ;; *) want=$st ;; esac
	got=$(smb_settle /tmp/smb.out 5 "$([ $MODE = xlock ] && echo $want || echo $st)")
	cell "read-vs-$st" "$want" "$st" "$got"
	xkill
done

f=$(fresh content orig)
hold_start "$f"
hold_cmd write smb-data-longer >/dev/null
cell "content-nfs-reads-smb-data" "smb-data-longer" "orig" "$(cat "$NFS_MNT/$f")"
cell "content-nfs-sees-smb-size" "15" "4" "$(stat -c %s "$NFS_MNT/$f")"
hold_stop
xdone
