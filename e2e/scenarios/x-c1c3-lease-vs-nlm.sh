# SPDX-License-Identifier: GPL-2.0
# C1, C3: an SMB lease request while an NLM lock is held: granted without W
# at once (shared NLM lock), without R as well for an exclusive one, which
# leaves no valid SMB2 lease (H alone): none. The open itself succeeds.
# Stock: the lease is granted whole. Content: the cifs client reading under
# what it got sees the NFS lock holder's later write.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

for m in shared excl; do
	for st in R RH RW RWH; do
		f=$(fresh "$m-$st")
		[ $m = excl ] && lm=w || lm=r
		$LOCKF "$NFS_MNT/$f" $lm --hold 60 >/tmp/lock.out &
		BG_PIDS="$BG_PIDS $!"
		wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock: $(cat /tmp/lock.out)"
		smb_bg /tmp/smb.out "$f" "open:$st" hold:1
		case "$m:$st" in
		shared:RW) want=R ;;
		shared:RWH) want=RH ;;
		shared:*) want=$st ;;
		excl:*) want=none ;;
		esac
		cell "$st-while-nlm-$m" "$want" "$st" "$(smb_state /tmp/smb.out)"
		xkill
	done
done

# Content: NFS holds an exclusive lock (beyond the data: SMB I/O honours
# byte-range locks), the cifs client opens and reads; NFS writes; the cifs
# client reads again through its handle and must not see its cache.
f=$(fresh content orig)
$LOCKF "$NFS_MNT/$f" w --start 4096 --len 10 --hold 60 >/tmp/lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/lock.out || fail "NLM lock"
hold_start "$f" r
cell "content-smb-reads" "read orig" "read orig" "$(hold_cmd read)"
printf 'nfs-2nd-write' >"$NFS_MNT/$f"
cell "content-smb-rereads" "read nfs-2nd-write" "read orig" "$(hold_cmd read)"
hold_stop
xdone
