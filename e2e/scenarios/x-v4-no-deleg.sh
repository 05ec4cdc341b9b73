# SPDX-License-Identifier: GPL-2.0
# V4: nfsd grants no NFSv4 delegation that SMB state conflicts with: no
# write delegation while an SMB client has the file open (here for reading,
# with an R lease, which the NFSv4 write OPEN breaks first, as C10).
# Stock nfsd counts only writers, so it grants the write delegation and
# leaves the lease. A read delegation next to an SMB read lease is no
# conflict. The NFSv4.2 mount is the scenario's own.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

f=$(fresh w-vs-R)
smb_bg /tmp/smb.out "$f" open:R:r hold:40
nfs4_hold "$f" rw
cell "nfs4-write-open-vs-smb-R" none w "$(deleg "$f")"
cell "smb-R-after-nfs4-write-open" none R \
	"$(smb_settle /tmp/smb.out 5 "$([ $MODE = xlock ] && echo none || echo R)")"
hold_stop
xkill

f=$(fresh r-vs-R)
smb_bg /tmp/smb.out "$f" open:R:r hold:40
nfs4_hold "$f" r
cell "nfs4-read-open-vs-smb-R" r r "$(deleg "$f")"
hold_stop
xkill

# No SMB state left: the write delegation is granted again.
f=$(fresh alone)
nfs4_hold "$f" rw
cell "nfs4-write-open-alone" w w "$(deleg "$f")"
cell "xlockctl-lists-nfs4-deleg" "deleg write client-ok" "" "$(nfs4_holders "$f")"
hold_stop
xdone
