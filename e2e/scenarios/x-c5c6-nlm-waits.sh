# SPDX-License-Identifier: GPL-2.0
# C5, C6: an NLM exclusive lock against an SMB lease with W whose client is
# slow to ack (1.5 s) or never acks (revoked at the 5 s timeout). Blocking
# request: NLM4_BLOCKED at once, then an NLM_GRANTED callback when the lease
# clears (lockd's thread is never held). Non-blocking request: no answer,
# the client retransmits and is granted once the break is done. Stock: the
# lock is granted at once and the SMB client keeps its W lease. Content:
# the slow client writes back its data before it acks (smbop --flush); the
# NFS client, once granted, reads that data (stock: the old data).
# Over NFSv4 (nfs4-matrix) the NFS client's open for write comes first,
# so the lease is granted without W (I1) and the lock breaks its R at once.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
# One NLM lock and unlock first: a boot's first NLM lock also sets up
# lockd's host and statd's monitoring (over 1 s under load), which would
# make the first cell's stock answer look "slow".
$LOCKF "$NFS_MNT/$(fresh warmup)" w --timeout 30 >/dev/null || fail "warm-up NLM lock"
stat_of() { "$XLOCKCTL" --json status 2>/dev/null |
	/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['stats']['$1'])" 2>/dev/null || echo 0; }

for kind in blocking nonblocking; do
	for ack in 1500 no; do
		for st in RW RWH; do
			f=$(fresh "$kind-$ack-$st")
			go=/tmp/go.$$
			rm -f $go
			[ $kind = blocking ] && wait=--wait || wait=
			# Open over NFS first: the lock request itself must meet the lease.
			$LOCKF "$NFS_MNT/$f" w $wait --after $go --timeout 60 >/tmp/lock.out &
			BG_PIDS="$BG_PIDS $!"
			wait_for 20 grep -q opened /tmp/lock.out || fail "lockf did not open"
			smb_bg /tmp/smb.out --ack $ack --flush smb-data "$f" "open:$st" hold:40
			cb0=$(stat_of nlm_granted_callbacks)
			t0=$(now)
			touch $go
			wait_for 45 grep -q -e granted -e denied /tmp/lock.out
			# The lock call's own time as lockf measured it: the shell's
			# polling and process start-up under load are not the lock's.
			dt=$(sed -n 's/^granted \([0-9.]*\)$/\1/p; s/^denied [^ ]* \([0-9.]*\)$/\1/p' /tmp/lock.out)
			[ -n "$dt" ] || dt=$(since "$t0")
			res=$(sed -n 's/^\(granted\|denied\).*/\1/p' /tmp/lock.out)
			if [ "$NFS_VERS" = 3 ]; then
				cell "$kind-ack-$ack-vs-$st" granted/slow/break granted/fast/nobreak \
				     "${res:-none}/$(speed "$dt")/$(smb_broke /tmp/smb.out)"
				[ $ack = no ] ||
					cell "$kind-ack-$ack-vs-$st-content" smb-data orig "$(cat "$NFS_MNT/$f")"
			else
				# NFSv4: the NFS client's open for write came
				# first, so the lease comes without W (I1):
				# no ack to wait for, nothing to write back;
				# the exclusive lock breaks R at once (C4).
				cell "$kind-ack-$ack-vs-$st" granted/fast/break granted/fast/nobreak \
				     "${res:-none}/$(speed "$dt")/$(smb_broke /tmp/smb.out)"
				cell "$kind-ack-$ack-vs-$st-lease" "$(echo $st | tr -d W)" "$st" \
				     "$(smb_granted /tmp/smb.out)"
			fi
			# NLM's GRANTED callback; NFSv4 has none (the client polls).
			if [ "$MODE" = xlock ] && [ $kind = blocking ] && [ "$NFS_VERS" = 3 ]; then
				cell "$kind-ack-$ack-vs-$st-granted-callback" yes yes \
				     "$([ "$(stat_of nlm_granted_callbacks)" -gt "$cb0" ] && echo yes || echo no)"
			fi
			xkill
		done
	done
done
xdone
