# SPDX-License-Identifier: GPL-2.0
# The README's main job: knfsd, ksmbd and xlock live in one guest, one
# export mounted over NFSv3 (with NLM locking) and SMB 3.0, and a
# cross-protocol conflict shown in each direction with xlockctl.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
say() { echo; echo "### $*"; }
show() { echo "\$ $*" >&2; "$@"; }

xsetup
say "xlock.ko next to the stock Debian modules"
lsmod | grep -E '^(xlock|lockd|nfsd|ksmbd) '
show "$XLOCKCTL" status | head -n 6
for e in lockd nfsd ksmbd; do
	[ "$(xlock_edge_state $e)" = active ] || fail "edge $e not active"
done
say "mounts"
grep -E " ($NFS_MNT|$SMB_MNT) " /proc/mounts | cut -d' ' -f1-3

say "SMB -> NFS: an SMB client writes under its write lease (the data stays in its cache)"
f=demo-smb-first.txt
printf 'old contents' >"$EXPORT/$f"
hold_start "$f"
hold_cmd write "written over SMB" >/dev/null
show "$XLOCKCTL" locks --path "$EXPORT/$f"
echo "on the server: '$(cat "$EXPORT/$f")'   (stock NFS clients would read this)"
say "an NFS client takes an exclusive NLM lock and reads: xlock breaks the lease first"
show $LOCKF "$NFS_MNT/$f" w --hold 0
got=$(cat "$NFS_MNT/$f")
echo "NFS reads: '$got'"
[ "$got" = "written over SMB" ] || fail "NFS did not see the SMB data"
show "$XLOCKCTL" locks --path "$EXPORT/$f"
hold_stop

say "NFS -> SMB: an NFS client holds a shared NLM lock on bytes 0-99"
f=demo-nfs-first.txt
printf 'nfs data' >"$EXPORT/$f"
$LOCKF "$NFS_MNT/$f" r --len 100 --hold 60 >/tmp/demo-lock.out &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q granted /tmp/demo-lock.out || fail "NLM lock"
say "an SMB client asks for an RWH lease (gets RH: no write caching while NFS locks),"
say "then locks bytes 10-19 (refused: the NFS client's lock) and 200-209 (granted)"
smb_bg /tmp/demo-smb.out "$f" open:RWH lock:10:10:x lock:200:10:x hold:30
wait_for 20 grep -q "lock granted" /tmp/demo-smb.out
cat /tmp/demo-smb.out
grep -q "open granted=RH" /tmp/demo-smb.out || fail "SMB lease not reduced to RH"
grep -q "lock STATUS_LOCK_NOT_GRANTED" /tmp/demo-smb.out || fail "SMB lock not refused"
say "GetAllLocksOnFile: both protocols in one answer"
show "$XLOCKCTL" locks --path "$EXPORT/$f"
show "$XLOCKCTL" --json locks --path "$EXPORT/$f" >/tmp/demo.json
/usr/bin/python3 -m json.tool </tmp/demo.json
/usr/bin/python3 -c '
import json, sys
e = json.load(open("/tmp/demo.json"))["entries"]
assert {x["proto"] for x in e} == {"nlm", "smb"}, e
assert {(x["proto"], x["kind"]) for x in e} >= {("nlm", "lock"), ("smb", "lease")}, e' ||
	fail "locks --json does not list the NLM lock and the SMB lease together"
say "an NLM TEST over the SMB lock names the SMB holder"
show $NLMTEST 127.0.0.1 "$EXPORT/$f" w 150 100
xkill

say "the kernel's INFO lines and xlock's counters"
dmesg | grep "xlock: conflict" | tail -n 6
show "$XLOCKCTL" status | tail -n 3
xdone
