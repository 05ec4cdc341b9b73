# SPDX-License-Identifier: GPL-2.0
# C4, C7: an NLM lock (shared, exclusive) against an SMB lease of each state
# (R, RH, RW, RWH), the SMB client acking at once. The lock is granted; the
# lease is broken first where the lock cannot live with it: W for a shared
# lock, everything for an exclusive one (H alone is no SMB2 lease). Stock:
# granted with the lease untouched. Then C4 with the kernel cifs client:
# SMB data written under a W lease is what NFS reads after its lock.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

for st in R RH RW RWH; do
	for m in shared excl; do
		f=$(fresh "$st-$m")
		smb_bg /tmp/smb.out "$f" "open:$st" hold:30
		[ $m = excl ] && lm=w || lm=r
		out=$($LOCKF "$NFS_MNT/$f" $lm)
		case "$m:$st" in
		shared:RW) want=R ;;
		shared:RWH) want=RH ;;
		shared:*) want=$st ;;
		excl:*) want=none ;;
		esac
		# NFSv4: the lock comes with the client's OPEN for read and
		# write, which breaks the lease to none as a write open breaks
		# a read lease or delegation in the kernel (V2).
		[ "$NFS_VERS" = 3 ] || want=none
		got=$(smb_settle /tmp/smb.out 5 "$([ $MODE = xlock ] && echo $want || echo $st)")
		cell "nlm-$m-vs-$st" "granted/$want" "granted/$st" "${out%% *}/$got"
		xkill
	done
done

# Content: the cifs client writes under its W lease (cached), NFS locks,
# then reads: it must see the SMB data.
f=$(fresh content orig)
hold_start "$f"
hold_cmd write smb-data >/dev/null
out=$($LOCKF "$NFS_MNT/$f" w)
cell "content-nfs-reads-smb-data" "granted/smb-data" "granted/orig" "${out%% *}/$(cat "$NFS_MNT/$f")"
hold_stop
[ "$MODE" = stock ] || dmesg | grep -q "conflict on $EXPORT/$SCEN" || fail "no INFO conflict line"
xdone
