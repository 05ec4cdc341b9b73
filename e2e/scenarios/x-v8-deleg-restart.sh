# SPDX-License-Identifier: GPL-2.0
# V8: NFSv4 delegations across a server restart. An NFSv4.2 client (the
# kernel's, in the client namespace "cli" so that it keeps its state while
# the server side restarts) holds a file open for read and write under a
# write delegation, with data written and synced under it. With xlock the
# delegation is an entry of the table (proto nfs4, kind deleg, client the
# NFSv4 client's address) that xlockd persists; when nfsd stops, the
# delegations it drops are teardown and kept for reclaim; after the
# restart (xlock reloaded, xlockd restarted with a grace period, nfsd and
# ksmbd back) the delegation is in the reclaim set. While the NFSv4
# client's traffic is held back (tc drop of port 2049) and it cannot
# reclaim, an SMB open of that file for read or for read and write
# (sharing all) is refused with STATUS_SHARING_VIOLATION and the kernel
# log says "held back: a delegation not reclaimed yet"; an SMB open of a
# file never delegated is granted. Once the client is let through it
# reclaims (CLAIM_PREVIOUS: nfsd gives it the delegation again, in grace),
# which counts as the delegation's reclaim; the SMB open then gets what V3
# gives (the delegation is recalled, then the open is granted) and reads
# what the NFSv4 client wrote. Stock: nfsd restarted the same way, ksmbd
# knows nothing of the delegation nfsd lost, and grants the SMB opens in
# grace; after the client is back, V3's stock gap if nfsd gave it a
# delegation again (STATUS_UNEXPECTED_IO_ERROR), else the open.
#
# The NFSv4 mount goes to a second server address (10.99.0.3 on vsrv), so
# that the tc drop holds back only it: the client namespace's NFSv3 mount
# (10.99.0.1, which server_up asks) keeps working.
# Restarts nfsd (and, with xlock, reloads xlock): run it after the
# scenarios that need a settled server.
# e2e-timeout: 900
. "$XLOCK_DIR/e2e/guest/xproto.sh"
. "$XLOCK_DIR/e2e/guest/restart.sh"
STATE=/tmp/xlockd-v8-deleg
NFS4_SRV=10.99.0.3
CLI4=/mnt/cli4
D_DATA=nfs4-deleg-data
# xlockd's --print-state numbers (include/uapi/linux/xlock.h):
# XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG.
P_NFS4=3
K_DELEG=4

# The NFSv4 client's requests to the second server address dropped (tc on
# the server side of the veth), or let through.
nfs4_block() {
	tc qdisc del dev vsrv ingress 2>/dev/null
	tc qdisc add dev vsrv ingress &&
		tc filter add dev vsrv parent ffff: protocol ip prio 1 u32 \
			match ip dst "$NFS4_SRV/32" match ip dport 2049 0xffff action drop
}
nfs4_unblock() { tc qdisc del dev vsrv ingress 2>/dev/null; }

# Whatever way this ends: the client let through, nothing of ours left
# running, no grace left to the next scenario, the NFSv4 mount gone.
# Each of ours waited for by its pid: a bare "wait" (xkill's, in xdone)
# would wait for the client namespace's holder if it were this shell's
# child, which is why cli_up runs in a subshell below.
teardown() {
	nfs4_unblock
	# KILL: a holder on the hard NFSv4 mount whose server is down (a
	# failed server_up) sleeps in the NFS client, where only KILL wakes it.
	for p in $BG_PIDS; do
		pkill -KILL -P "$p" 2>/dev/null	# incli's nsenter child, if any
		kill -KILL "$p" 2>/dev/null
	done
	for p in $BG_PIDS; do wait "$p" 2>/dev/null; done
	BG_PIDS=
	if [ "$MODE" = xlock ] && mod_loaded xlock &&
		"$XLOCKCTL" grace 2>/dev/null | grep -q "grace: running"; then
		"$XLOCKCTL" grace end
	fi
	xlockd_stop
	echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
	if [ -n "${CLI_PID:-}" ]; then
		timeout -s KILL 30 nsenter -t "$CLI_PID" -n -m -u sh -c \
			"! mountpoint -q $CLI4 || umount $CLI4 || umount -l $CLI4"
	fi
	ip addr del "$NFS4_SRV/32" dev vsrv 2>/dev/null
	return 0
}
trap teardown EXIT
trap 'exit 143' TERM INT

# Is the delegation of the NFSv4 client at $CLI on file $1 persisted by
# xlockd (as an entry, or in the reclaim set: "entry" or "reclaim" lines)?
persisted() {
	"$XLOCKD" --print-state --state-dir "$STATE" 2>/dev/null |
		grep -Eq "^(entry|reclaim) .* proto=$P_NFS4 kind=$K_DELEG .* client=[^ ]*${CLI}[^ ]* path=$EXPORT/$1\$"
}
persisted_yn() { persisted "$1" && echo yes || echo no; }
# The delegations the table lists on file $1: "nfs4 deleg write at ADDR".
table_delegs() {
	"$XLOCKCTL" --json locks | /usr/bin/python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    if e["path"] == sys.argv[1] and e["kind"] == "deleg":
        addr = sys.argv[2] if sys.argv[2] in (e["client"] or "") + " " + (e["client_addr"] or "") else e["client"]
        print(e["proto"], e["kind"], e.get("deleg"), "at", addr)' "$EXPORT/$1" "$CLI"
}
# xlock's reclaim-set client at the NFSv4 client's address: "missing"
# while not all its entries are reclaimed, "done" once they are, "none"
# if grace lists no such client.
grace_client() {
	"$XLOCKCTL" --json grace | /usr/bin/python3 -c '
import json, sys
c = [x for x in json.load(sys.stdin).get("clients") or [] if sys.argv[1] in x["client"]]
print("none" if not c else "done" if all(x["reclaimed"] >= x["entries"] for x in c) else "missing")' "$CLI"
}
# "same" if xlockctl status counts as many delegations as the table lists
# (at least one), else both figures.
delegs_counted() {
	n=$("$XLOCKCTL" --json status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["delegations"])')
	l=$("$XLOCKCTL" --json locks | /usr/bin/python3 -c 'import json, sys
print(sum(1 for e in json.load(sys.stdin)["entries"] if e["kind"] == "deleg"))')
	[ "$n" = "$l" ] && [ "$l" -ge 1 ] && echo same || echo "status $n, listed $l"
}

# The delegation's reclaim as xlock saw it: the client's state while grace
# runs; once grace ended (early, "everything reclaimed", or not), done if
# it ended because everything was reclaimed.
reclaim_outcome() {
	if [ "$(grace_field state)" = running ]; then
		grace_client
	elif [ "$(dmesg | grep -c 'grace period ended')" -gt "$ENDS0" ] &&
		dmesg | grep 'grace period ended' | tail -n 1 | grep -q 'everything reclaimed'; then
		echo "done"
	else
		echo "grace over, not reclaimed"
	fi
}
reclaim_settled() { [ "$(reclaim_outcome)" != missing ]; }
held_lines() { dmesg | grep -c "held back: a delegation not reclaimed yet"; }

# --- set-up: a fresh xlock and xlockd, the client namespace, NFSv4.2 there ---
if [ "$MODE" = xlock ]; then
	xlock_unload || fail "cannot unload xlock"
	xlock_load || fail "cannot load xlock"
fi
xsetup
mounts_down	# lockd must go down with nfsd: no NFS client in this namespace
# In a subshell: the namespace's holder must not be this shell's child
# (xdone's bare wait; see teardown); the second call, in this shell, picks
# the namespace up from /tmp/cli.pid and sets CLI_PID.
(cli_up) || fail "client namespace did not come up: $(cat /tmp/cli.log)"
cli_up || fail "client namespace: $(cat /tmp/cli.log)"
if [ "$MODE" = xlock ]; then
	rm -rf "$STATE"
	xlockd_start --state-dir "$STATE" --grace 300 || fail "xlockd did not start"
fi
# No grace left over (nfsd gives no delegation in grace).
echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
echo Y >/proc/fs/lockd/nlm_end_grace 2>/dev/null
ip -4 addr show dev vsrv | grep -q "inet $NFS4_SRV/" ||
	ip addr add "$NFS4_SRV/32" dev vsrv || fail "cannot add $NFS4_SRV to vsrv"
# The export is the NFSv4 pseudo-root (fsid=0): NFSv4 mounts it as "/".
incli sh -c "mkdir -p $CLI4 && { ! mountpoint -q $CLI4 || umount -l $CLI4; } &&
	mount -t nfs -o vers=4.2,proto=tcp,hard,timeo=30 $NFS4_SRV:/ $CLI4" >/tmp/cli4.log 2>&1 ||
	fail "NFSv4.2 mount in the client namespace: $(cat /tmp/cli4.log)"

# The delegated file (not "$d": xproto.sh's deleg() sets d) and one that
# NFSv4 never has.
df=$(fresh deleg orig)
o=$(fresh never-delegated orig)

# --- the NFSv4 client opens df for read and write: a write delegation ----------
# holder.py in the client namespace (O_RDWR, no O_CREAT), driven as in V3.
# The first open after the mount may come before nfsd trusts the client's
# back channel: no delegation then; close and try again.
HOLDER="nsenter -t $CLI_PID -n -m -u $HOLDER"
for try in 1 2 3; do
	hold_path "$CLI4/$df" rw
	[ "$(hold_cmd write "$D_DATA")" = written ] || fail "NFSv4 write: $(cat "$HOLD_OUT")"
	# Synced, keeping the delegation (V3): the cells check the server side.
	[ "$(hold_cmd fsync)" = synced ] || fail "NFSv4 fsync: $(cat "$HOLD_OUT")"
	wait_for 10 deleg_is "$df" w && break
	log "try $try: no write delegation on $df (nfsd: deleg=$(deleg "$df") open=$(nfs4_state open "$df"))"
	hold_stop
	sleep 2
done
[ "$(deleg "$df")" = w ] ||
	fail "nfsd gave the NFSv4 client in the namespace no write delegation on $df (deleg=$(deleg "$df"), open=$(nfs4_state open "$df")): $(cat /proc/fs/nfsd/clients/*/states 2>/dev/null | grep "$df")"
log "nfsd's state of $df: $(cat /proc/fs/nfsd/clients/*/states 2>/dev/null | grep "$df" | tr '\n' ' ')"
cell "nfs4-write-deleg-before-restart" w w "$(deleg "$df")"
# (Not read on the server now: a local open would recall the delegation.)

# With xlock: the table has it, xlockd journals it.
if [ "$MODE" = xlock ]; then
	log "xlockctl locks:
$("$XLOCKCTL" locks)"
	cell "deleg-in-table" "nfs4 deleg write at $CLI" - "$(table_delegs "$df")"
	# status counts the table's delegations as its listing has them.
	cell "status-counts-delegations" same - "$(delegs_counted)"
	wait_for 10 persisted "$df"
	log "persisted:
$("$XLOCKD" --print-state --state-dir "$STATE")"
	cell "deleg-persisted" yes - "$(persisted_yn "$df")"
fi

# --- the server restarts with the NFSv4 client held back -----------------------
nfs4_block || fail "cannot hold back the NFSv4 client's traffic (tc)"
if [ "$MODE" = xlock ]; then
	# nfsd stops (rpc.nfsd 0): the delegations it drops are teardown, kept.
	server_down TERM || fail "server down"
	log "server down; persisted for reclaim:
$("$XLOCKD" --print-state --state-dir "$STATE")"
	cell "deleg-kept-at-nfsd-stop" yes - "$(persisted_yn "$df")"
	ENDS0=$(dmesg | grep -c 'grace period ended')
	# nfs_server_up starts nfsd with a 10 s NFSv4 grace and lease; xlock
	# holds its grace until xlock's (300 s, or everything reclaimed) ends.
	server_up 300 || fail "server up: $(tail "$XLOCKD_LOG"); persisted: $("$XLOCKD" --print-state --state-dir "$STATE")"
	# The reload lost the break timeout xsetup set.
	"$XLOCKCTL" share set 0 --break-timeout "${XLOCK_BREAK_MS:-5000}" >/dev/null ||
		fail "cannot set the break timeout"
	log "grace: $("$XLOCKCTL" grace | tr '\n' ' ')"
	log "persisted after the restart:
$("$XLOCKD" --print-state --state-dir "$STATE")"
	cell "deleg-client-in-reclaim-set" missing - "$(grace_client)"
else
	rpc.nfsd 0
	rpc.nfsd --grace-time 10 --lease-time 10 4 || { nfs4_unblock; fail "nfsd restart"; }
fi
t0=$(now)
log "nfsd back; NFSv4 state of $df: open=$(nfs4_state open "$df") deleg=$(deleg "$df"); v4_end_grace $(cat /proc/fs/nfsd/v4_end_grace)"

# SMB opens while the delegation is not reclaimed: of df for read and write,
# and for read only (a write delegation: either conflicts), sharing all;
# and of a file NFSv4 never had (nothing to hold it back).
HELD0=$(held_lines)
$SMBOP "$df" open:none:rw:rwd close >/tmp/v8d-rw.out 2>&1
$SMBOP "$df" open:none:r:rwd close >/tmp/v8d-r.out 2>&1
$SMBOP "$o" open:none:rw:rwd close >/tmp/v8d-o.out 2>&1
log "SMB opens asked $(since "$t0") s after nfsd was back; NFSv4 state of $df still: open=$(nfs4_state open "$df") deleg=$(deleg "$df")"
cell "smb-write-open-beside-unreclaimed-deleg" "error STATUS_SHARING_VIOLATION" "open granted=none" \
	"$(smb_answer /tmp/v8d-rw.out 1)"
cell "smb-read-open-beside-unreclaimed-deleg" "error STATUS_SHARING_VIOLATION" "open granted=none" \
	"$(smb_answer /tmp/v8d-r.out 1)"
cell "smb-open-never-delegated-in-grace" "open granted=none" "open granted=none" \
	"$(smb_answer /tmp/v8d-o.out 1)"
if [ "$MODE" = xlock ]; then
	log "held back: $(dmesg | grep "held back: a delegation not reclaimed yet" | tail -n 2 | tr '\n' ' ')"
	cell "dmesg-held-back-deleg" yes - "$([ "$(held_lines)" -gt "$HELD0" ] && echo yes || echo no)"
fi

# --- the NFSv4 client comes back and reclaims ----------------------------------
nfs4_unblock
# Any request starts its recovery; its reconnect may wait out the RPC
# layer's back-off (it grew while the server did not answer).
incli timeout -s KILL 150 stat -c %s "$CLI4/$df" >/dev/null 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 150 nfs4_has open "$df" || log "the NFSv4 client did not reclaim its open of $df in 150 s"
wait_for 10 deleg_is "$df" w
log "NFSv4 client back $(since "$t0") s after nfsd restarted: $df open=$(nfs4_state open "$df") deleg=$(deleg "$df"); $(cat /proc/fs/nfsd/clients/*/states 2>/dev/null | grep "$df" | tr '\n' ' ')"
if [ "$MODE" = xlock ]; then
	# nfsd in grace gives the client its delegation again (CLAIM_PREVIOUS):
	# that is the persisted delegation's reclaim.
	cell "nfs4-deleg-reclaimed" w - "$(deleg "$df")"
	wait_for 20 reclaim_settled
	log "grace: $("$XLOCKCTL" grace | tr '\n' ' ')"
	cell "deleg-reclaimed-in-grace" "done" - "$(reclaim_outcome)"
fi
# Stock: V3's gap if nfsd gave the client a delegation again (a reclaim in
# its grace, or a new open after it), else nothing in the way.
stock_open="open granted=none"
stock_read="read $D_DATA"
if [ "$(deleg "$df")" != none ]; then
	stock_open="error $V3_GAP"
	stock_read=
fi
[ "$MODE" = xlock ] || log "stock: delegation on $df after the client came back: $(deleg "$df")"
$SMBOP "$df" open:none:rw:rwd read:0:${#D_DATA} close >/tmp/v8d-after.out 2>&1
log "SMB open after the reclaim: $(tr '\n' ' ' </tmp/v8d-after.out)"
cell "smb-open-after-deleg-reclaim" "open granted=none" "$stock_open" "$(smb_answer /tmp/v8d-after.out 1)"
cell "smb-reads-nfs4-data" "read $D_DATA" "$stock_read" "$(sed -n '/^read /p' /tmp/v8d-after.out)"
wait_for 10 deleg_is "$df" none
cell "deleg-recalled" none none "$(deleg "$df")"
hold_stop
cell "contents-after-restart" "$D_DATA" "$D_DATA" "$(cat "$EXPORT/$df")"

[ "$MODE" != xlock ] || log "xlockd log:
$(cat "$XLOCKD_LOG")"
teardown
xdone
