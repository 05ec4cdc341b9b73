# SPDX-License-Identifier: GPL-2.0
# Issue 10 c, invariant I1: deciding and recording are one step per file.
# Each round races an NLM exclusive lock (kernel NFS client) against an SMB
# open asking for an RWH lease (smbop) on a fresh file, both let go at the
# same instant. xlock's race_window_ms (a test knob) sleeps between each
# decision and its server's grant, so the two decisions overlap in every
# round instead of once in a while. Whoever comes first, the other side
# must see it: the lock waits for the lease to be granted and broken, or
# the lease is granted without W (and R). Checked after each round: the
# NLM lock is granted and in /proc/locks; the SMB client holds no W lease;
# the table never lists an NLM lock next to a W lease, and lists exactly
# the POSIX locks the VFS holds on the file. Without the reservations
# (decide, grant, then record) both are granted in nearly every round.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
ROUNDS=4
P=/sys/module/xlock/parameters
wait0=$(cat $P/lockd_wait_ms)
echo 300 >$P/race_window_ms || fail "no race_window_ms parameter"
# Long enough for lockd's thread to see a reserved lease granted and acked.
echo 5000 >$P/lockd_wait_ms
restore() { echo 0 >$P/race_window_ms; echo "$wait0" >$P/lockd_wait_ms; }

# The table's view of file $1: "NLM_LOCKS W_LEASES": excl NLM locks, W leases.
table_view() {
	"$XLOCKCTL" --json locks --path "$EXPORT/$1" | /usr/bin/python3 -c '
import json, sys
e = json.load(sys.stdin)["entries"]
nlm = sum(1 for x in e if x["proto"] == "nlm" and x["kind"] == "lock")
w = sum(1 for x in e if x["kind"] == "lease" and "W" in (x.get("state") or ""))
print(nlm, w)'
}

# POSIX locks the VFS holds on file $1 of the export (not the NFS client's).
vfs_locks() {
	set -- $(stat -c '%d %i' "$EXPORT/$1")
	awk -v id="$(printf '%02x:%02x:%s' $((($1 >> 8) & 0xfff)) \
		$((($1 & 0xff) | (($1 >> 12) & 0xfff00))) "$2")" \
		'$2 == "POSIX" && $6 == id { n++ } END { print n + 0 }' /proc/locks
}

bad=0
nlm_first=0
smb_first=0
i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	f=$(fresh "r$i")
	go=/tmp/race-go-$i
	rm -f "$go" /tmp/race-smb.out /tmp/race-nlm.out
	$SMBOP "$f" ready "waitfile:$go" open:RWH hold:60 >/tmp/race-smb.out 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	$LOCKF "$NFS_MNT/$f" w --after "$go" --hold 60 >/tmp/race-nlm.out 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	wait_for 60 grep -q -e ready -e error /tmp/race-smb.out || { restore; fail "smbop: $(cat /tmp/race-smb.out)"; }
	wait_for 30 grep -q opened /tmp/race-nlm.out || { restore; fail "lockf: $(cat /tmp/race-nlm.out)"; }
	touch "$go"
	wait_for 60 grep -q -e granted -e denied /tmp/race-nlm.out
	wait_for 60 grep -q -e "open granted" -e error /tmp/race-smb.out
	nlm=$(head -n 2 /tmp/race-nlm.out | tail -n 1 | cut -d' ' -f1)
	# The SMB client's lease once its output settled (a break acked in time).
	st=$(smb_settle /tmp/race-smb.out 3 none)
	case $(sed -n 's/^open granted=//p' /tmp/race-smb.out) in
	none) nlm_first=$((nlm_first + 1)) ;;
	*) smb_first=$((smb_first + 1)) ;;
	esac
	view=$(table_view "$f")
	vfs=$(vfs_locks "$f")
	log "round $i: nlm $nlm, smb $(tr '\n' ' ' </tmp/race-smb.out| cut -c1-80), table nlm/W-leases $view, vfs locks $vfs"
	problem=
	[ "$nlm" = granted ] || problem="$problem nlm-lock-$nlm"
	case $st in *W*) [ "$nlm" = granted ] && problem="$problem smb-holds-$st-with-nlm-lock" ;; esac
	set -- $view
	[ "$1" -gt 0 ] && [ "$2" -gt 0 ] && problem="$problem table-has-nlm-lock-and-W-lease"
	[ "$1" = "$vfs" ] || problem="$problem table-$1-vs-vfs-$vfs"
	if [ -n "$problem" ]; then
		log "round $i: I1 VIOLATED:$problem"
		bad=$((bad + 1))
	fi
	xkill
done
restore
log "$ROUNDS rounds: NLM first $nlm_first, SMB first $smb_first, violations $bad"
[ "$bad" -eq 0 ] || fail "$bad of $ROUNDS rounds broke I1 (NLM lock and W lease both granted, or table != VFS)"
xdone
