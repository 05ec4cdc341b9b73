# SPDX-License-Identifier: GPL-2.0
# C12: NLM TEST denied by an SMB lock or lease names the SMB holder: owner
# handle "smb:<client>", the SMB lock's range, or offset 0 length 0 (to end
# of file) for a lease. Stock: lockd reports no owner, and an SMB lease
# does not deny the TEST at all. nlmtest.py speaks NLMv4 to lockd directly
# (the NFS client shows no owner handle).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

f=$(fresh lock)
smb_bg /tmp/smb.out "$f" open:RH lock:100:100:x hold:2 write:100:smb-data hold:30
wait_for 20 grep -q "lock granted" /tmp/smb.out || fail "SMB lock: $(cat /tmp/smb.out)"
got=$($NLMTEST 127.0.0.1 "$EXPORT/$f" w 0 1000 | sed 's/svid=[0-9-]* //')
cell "test-vs-smb-lock" "denied excl=1 oh=smb:127.0.0.1 offset=100 len=100" \
     "denied excl=1 oh= offset=100 len=100" "$got"
got=$($NLMTEST 127.0.0.1 "$EXPORT/$f" r 0 50)
cell "test-free-range" granted granted "$got"
# Content: the lock holder writes in its range after the TESTs; NFS reads
# the old data before its range and the holder's data in it.
wait_for 10 grep -q "write ok" /tmp/smb.out || fail "SMB write: $(cat /tmp/smb.out)"
cell "content-nfs-reads-smb-lock-holder-data" "orig/smb-data" "orig/smb-data" \
     "$(head -c 4 "$NFS_MNT/$f")/$(tail -c +101 "$NFS_MNT/$f")"
xkill

f=$(fresh lease)
smb_bg /tmp/smb.out "$f" open:RWH hold:30
got=$($NLMTEST 127.0.0.1 "$EXPORT/$f" r 0 10 | sed 's/svid=[0-9-]* //')
cell "test-vs-smb-lease-RWH" "denied excl=1 oh=smb:127.0.0.1 offset=0 len=0" granted "$got"
cell "test-leaves-lease" RWH RWH "$(smb_state /tmp/smb.out)"
xkill

f=$(fresh rlease)
smb_bg /tmp/smb.out "$f" open:R hold:30
cell "test-vs-smb-lease-R" granted granted "$($NLMTEST 127.0.0.1 "$EXPORT/$f" w 0 10)"
xdone
