# SPDX-License-Identifier: GPL-2.0
# V6: an NFSv4 OPEN with a deny mode (OPEN4_SHARE_DENY_READ/WRITE; the
# Linux client never sends one, so the raw client nfs4op.py opens) makes
# an SMB open asking for the denied access fail with
# STATUS_SHARING_VIOLATION; other SMB opens go on. Stock: ksmbd sees only
# its own opens and grants it. After the NFSv4 CLOSE, and after the NFSv4
# client died and its lease ran out (nfsd keeps a courtesy client's state
# for up to a day), nothing of the deny mode is left (I5). `xlockctl locks
# --path` lists the open with its deny mode (protocol nfs4).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup

# nfs4_bg OUT ARGS...: nfs4op in the background; waits for its OPEN.
nfs4_bg() {
	_out=$1
	shift
	$NFS4OP "$@" >"$_out" 2>&1 &
	NFS4_PID=$!
	BG_PIDS="$BG_PIDS $!"
	wait_for 60 grep -q -e "^open" -e "^error" "$_out" || fail "nfs4op did not open: $(cat "$_out")"
	grep -q "^open ok" "$_out" || fail "nfs4op: $(cat "$_out")"
}

# The first line of an SMB open of file $1 with access $2 (sharing all).
smb_open() {
	$SMBOP "$1" "open:none:$2" close >/tmp/smb.out 2>&1
	head -n 1 /tmp/smb.out |
		sed 's/(.*//; s/ *$//; s/^error .*SHARING_VIOLATION.*/error STATUS_SHARING_VIOLATION/'
}

SV="error STATUS_SHARING_VIOLATION"
OK="open granted=none"

f=$(fresh deny-w)
nfs4_bg /tmp/nfs4.out "$f" open:r:w:nodeleg waitfile:/tmp/v6-close close hold:60
cell "smb-write-open-vs-nfs4-deny-write" "$SV" "$OK" "$(smb_open "$f" w)"
cell "smb-read-open-vs-nfs4-deny-write" "$OK" "$OK" "$(smb_open "$f" r)"
cell "xlockctl-lists-nfs4-deny-write" "share access=r allow=rd client-ok" "" "$(nfs4_holders "$f")"
touch /tmp/v6-close
wait_for 30 grep -q "^close" /tmp/nfs4.out || fail "nfs4op did not close: $(cat /tmp/nfs4.out)"
rm -f /tmp/v6-close
cell "smb-write-open-after-nfs4-close" "$OK" "$OK" "$(smb_open "$f" w)"
cell "xlockctl-after-nfs4-close" "" "" "$(nfs4_holders "$f")"
xkill

f=$(fresh deny-r)
owner="v6-dead-$f"
nfs4_bg /tmp/nfs4.out --owner "$owner" "$f" open:rw:r:nodeleg hold:120
cell "smb-read-open-vs-nfs4-deny-read" "$SV" "$OK" "$(smb_open "$f" r)"
cell "smb-write-open-vs-nfs4-deny-read" "$OK" "$OK" "$(smb_open "$f" w)"
# The client dies without CLOSE: nfsd keeps its open as a courtesy client's.
kill -9 "$NFS4_PID"
clinfo=$(grep -l "\"$owner\"" /proc/fs/nfsd/clients/*/info | head -n 1)
[ -n "$clinfo" ] || fail "nfsd lists no client $owner"
wait_for 90 grep -q "status: courtesy" "$clinfo" ||
	fail "client $owner not courtesy: $(cat "$clinfo" 2>/dev/null)"
cell "smb-read-open-vs-dead-nfs4-client" "$OK" "$OK" "$(smb_open "$f" r)"
xdone
