# SPDX-License-Identifier: GPL-2.0
# V6: an NFSv4 OPEN with a deny mode (OPEN4_SHARE_DENY_READ/WRITE; the
# Linux client never sends one, so the raw client nfs4op.py opens) makes
# an SMB open asking for the denied access fail with
# STATUS_SHARING_VIOLATION; other SMB opens go on. Stock: ksmbd sees only
# its own opens and grants it. After the NFSv4 CLOSE, and after the NFSv4
# client died and its lease ran out (nfsd keeps a courtesy client's state
# for up to a day), nothing of the deny mode is left (I5). `xlockctl locks
# --path` lists the open with its deny mode (protocol nfs4).
#
# The other way, as among SMB opens: an SMB open whose share mode denies
# an access an NFSv4 open holds is refused, deny none included (every
# Linux client open); the Linux client's opens here, on the scenario's own
# NFSv4.2 mount. After its CLOSE nothing is left; an open it closed under
# a write delegation is CLOSEd at once (nfsd lists no open), the client
# keeps the delegation and the SMB open recalls it first (V3; stock: the
# open fails while the delegation is held).
#
# And an NFSv4 OPEN whose deny mode denies an access an SMB open (deny
# none) holds gets NFS4ERR_SHARE_DENIED (stock: granted).
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || fail "NFSv4.2 mount failed"

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

# The answer to the smbop run's open number $1 (output /tmp/smb.out).
smb_line() { smb_answer /tmp/smb.out "$1"; }

# The answer to an SMB open of file $1 with access $2, sharing $3 (default all).
smb_open() {
	$SMBOP "$1" "open:none:$2${3:+:$3}" close >/tmp/smb.out 2>&1
	smb_line 1
}

# Whether nfsd lists an NFSv4 open of file $1: open or none.
nfs4_open() {
	cat /proc/fs/nfsd/clients/*/states 2>/dev/null | grep -q "type: open.*/$1\"" &&
		echo open || echo none
}
nfs4_open_is() { [ "$(nfs4_open "$1")" = "$2" ]; }

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

# The Linux client's open for write (the shell's O_WRONLY fd 4: no
# delegation), deny none. One SMB client: an open sharing all, then one
# denying write (it exits on the error).
f=$(fresh none-w)
exec 4>>"$NFS4_MNT/$f"
$SMBOP "$f" open:none:r:rwd close open:none:r:r close >/tmp/smb.out 2>&1
cell "smb-sharing-open-vs-nfs4-write-open" "$OK" "$OK" "$(smb_line 1)"
cell "smb-deny-write-open-vs-nfs4-write-open" "$SV" "$OK" "$(smb_line 2)"
cell "xlockctl-lists-no-deny-none-open" "" "" "$(nfs4_holders "$f")"
exec 4>&-
# Opened read-write (a write delegation), written, closed: nfsd lists no
# open; the delegation stays with the client until recalled.
f=$(fresh closed)
{ printf nfs-data >&3; } 3<>"$NFS4_MNT/$f"
wait_for 10 nfs4_open_is "$f" none
cell "nfs4-open-gone-after-close" none none "$(nfs4_open "$f")"
# Stock fails the SMB open while the client holds the delegation; the
# client may return it on its own at any moment, so stock's answer is read
# from the delegation before and after the open: held throughout, the
# error; never held, granted; returned in between, either.
d=$(deleg "$f")
r=$(smb_open "$f" r r)
d2=$(deleg "$f")
log "delegation of $f after the NFSv4 close: $d before the SMB open, $d2 after"
stock=$OK
if [ "$d" != none ] && [ "$d2" != none ]; then
	stock="error STATUS_UNEXPECTED_IO_ERROR"
elif [ "$d" != none ] && [ "$r" = "error STATUS_UNEXPECTED_IO_ERROR" ]; then
	stock=$r
fi
cell "smb-deny-write-open-after-nfs4-close" "$OK" "$stock" "$r"
xkill

# The other way round: an NFSv4 OPEN denying an access that an SMB open
# (deny none: not in the table, read from ksmbd's opens) holds is refused
# with NFS4ERR_SHARE_DENIED; one denying an access no SMB open holds is
# granted, and after the SMB close so is the first. Stock: nfsd sees only
# its own opens and grants every one.
nfs4_deny() { $NFS4OP "$1" "open:$2:$3:nodeleg" close 2>&1 | sed -n 's/^open \(ok\|NFS4ERR_[A-Z_]*\).*/\1/p' | head -n 1; }
f=$(fresh smb-open)
smb_bg /tmp/smb-w.out "$f" open:none:w:rwd waitfile:/tmp/v6-smb-close close hold:60
cell "nfs4-deny-write-open-vs-smb-write-open" NFS4ERR_SHARE_DENIED ok "$(nfs4_deny "$f" r w)"
cell "nfs4-deny-read-open-vs-smb-write-open" ok ok "$(nfs4_deny "$f" w r)"
touch /tmp/v6-smb-close
wait_for 30 grep -q "^close" /tmp/smb-w.out || fail "smbop did not close: $(cat /tmp/smb-w.out)"
rm -f /tmp/v6-smb-close
cell "nfs4-deny-write-open-after-smb-close" ok ok "$(nfs4_deny "$f" r w)"
smb_bg /tmp/smb-r.out "$f" open:none:r:rwd hold:60
cell "nfs4-deny-read-open-vs-smb-read-open" NFS4ERR_SHARE_DENIED ok "$(nfs4_deny "$f" w r)"
cell "nfs4-deny-write-open-vs-smb-read-open" ok ok "$(nfs4_deny "$f" r w)"
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
