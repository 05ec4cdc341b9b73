# SPDX-License-Identifier: GPL-2.0
# V3: an SMB open that conflicts with an NFSv4 delegation (read or write)
# recalls it, waits for DELEGRETURN and succeeds; what the NFSv4 client
# wrote under its delegation is what SMB reads. Stock 6.12 fails the open
# (STATUS_UNEXPECTED_IO_ERROR). An SMB read open next to a read delegation
# is no conflict. The NFSv4.2 mount is the scenario's own (/mnt/nfs4).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

# The first line of an smbop run, its status name only on an error.
first() { head -n 1 "$1" | sed 's/^error .*\(STATUS_[A-Z_]*\).*/error \1/'; }

# A write delegation: the NFSv4 client writes under it (cached), SMB opens.
f=$(fresh wdeleg orig)
nfs4_hold "$f" rw
hold_cmd write nfs-data >/dev/null
# Linux 6.12's client returns a delegation on a recall without writing its
# cached data first (fs/nfs/delegation.c flushes only on its own returns),
# so what SMB reads at once depends on client writeback: sync it, keeping
# the delegation, so the cell checks the server side only.
hold_cmd fsync >/dev/null
wait_for 10 deleg_is "$f" w
cell "nfs4-write-deleg-granted" w w "$(deleg "$f")"
$SMBOP "$f" open:none:rw read:0:8 close >/tmp/smb.out 2>&1
cell "smb-open-vs-write-deleg" "open granted=none" "error STATUS_UNEXPECTED_IO_ERROR" \
	"$(first /tmp/smb.out)"
cell "smb-reads-nfs4-data" "read nfs-data" "" "$(sed -n '/^read /p' /tmp/smb.out)"
wait_for 10 sh -c "[ \"\$(cat /proc/fs/nfsd/clients/*/states 2>/dev/null | grep -c 'deleg.*$f')\" = 0 ]"
cell "write-deleg-recalled" none none "$(deleg "$f")"
hold_stop
xkill

# A read delegation: an SMB read open is no conflict, an SMB write open is.
f=$(fresh rdeleg orig)
nfs4_hold "$f" r
hold_cmd read >/dev/null
wait_for 10 deleg_is "$f" r
cell "nfs4-read-deleg-granted" r r "$(deleg "$f")"
$SMBOP "$f" open:none:r read:0:4 close >/tmp/smb.out 2>&1
cell "smb-read-open-vs-read-deleg" "open granted=none" "open granted=none" "$(first /tmp/smb.out)"
cell "read-deleg-kept" r r "$(deleg "$f")"
$SMBOP "$f" open:none:rw write:0:smb-data close >/tmp/smb.out 2>&1
cell "smb-write-open-vs-read-deleg" "open granted=none" "error STATUS_UNEXPECTED_IO_ERROR" \
	"$(first /tmp/smb.out)"
cell "nfs4-reads-smb-data" smb-data orig "$(cat "$NFS4_MNT/$f")"
hold_stop
xdone
