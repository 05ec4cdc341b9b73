# SPDX-License-Identifier: GPL-2.0
# C10: NFS WRITE, SETATTR size (truncate) and CREATE-truncate against an SMB
# lease: R and W are broken before the write is served (to none: H alone is
# no SMB2 lease). Content: the cifs client reading through its open handle
# sees what NFS wrote.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

for st in R RH RW RWH; do
	f=$(fresh "w-$st")
	smb_bg /tmp/smb.out "$f" "open:$st" hold:30
	printf 'nfs' >>"$NFS_MNT/$f" || fail "NFS write"
	got=$(smb_settle /tmp/smb.out 8 "$([ $MODE = xlock ] && echo none || echo $st)")
	cell "write-vs-$st" none "$st" "$got"
	xkill
done

f=$(fresh trunc)
smb_bg /tmp/smb.out "$f" open:RH hold:30
truncate -s 0 "$NFS_MNT/$f" || fail "NFS truncate"
got=$(smb_settle /tmp/smb.out 8 "$([ $MODE = xlock ] && echo none || echo RH)")
cell "truncate-vs-RH" none RH "$got"
xkill

f=$(fresh create)
smb_bg /tmp/smb.out "$f" open:RH hold:30
: >"$NFS_MNT/$f" || fail "NFS create-truncate"
got=$(smb_settle /tmp/smb.out 8 "$([ $MODE = xlock ] && echo none || echo RH)")
cell "create-truncate-vs-RH" none RH "$got"
xkill

# Content: cifs reads (caching under its lease), NFS overwrites, cifs reads again.
f=$(fresh content old-data)
hold_start "$f" r
hold_cmd read >/dev/null
printf 'new-nfs-data' >"$NFS_MNT/$f" || fail "NFS overwrite"
got=$(hold_cmd read)
cell "content-smb-reads-nfs-data" "read new-nfs-data" "read old-data" "$got"
hold_stop
xdone
