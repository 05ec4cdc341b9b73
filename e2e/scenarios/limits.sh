# SPDX-License-Identifier: GPL-2.0
# Issue 10 f: a lock past a table limit is refused before the VFS grants it,
# by both protocols, logged and counted, and the table still lists exactly
# what the VFS holds. With limit_file 4: two NLM locks (kernel NFS client)
# and two SMB locks (smbop) are granted; a third SMB lock gets
# STATUS_INSUFFICIENT_RESOURCES, a third NLM lock ENOLCK from the kernel
# client and NLM4_DENIED_NOLOCKS on the wire (nlmtest); limit_hits grows by
# each refusal; table == /proc/locks == 4. Before the fix the locks past
# the limit were granted and only left out of the table.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
X=$XLOCKCTL
limit_hits() {
	"$X" --json status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["limit_hits"])'
}
table_locks() {
	"$X" --json locks --path "$EXPORT/$1" | /usr/bin/python3 -c '
import json, sys
print(sum(1 for x in json.load(sys.stdin)["entries"] if x["kind"] == "lock"))'
}
# POSIX locks the VFS holds on file $1 of the export (not the NFS client's).
vfs_locks() {
	set -- $(stat -c '%d %i' "$EXPORT/$1")
	awk -v id="$(printf '%02x:%02x:%s' $((($1 >> 8) & 0xfff)) \
		$((($1 & 0xff) | (($1 >> 12) & 0xfff00))) "$2")" \
		'$2 == "POSIX" && $6 == id { n++ } END { print n + 0 }' /proc/locks
}

f=$(fresh limit)
"$X" config --limit-file 4 >/dev/null || fail "xlockctl config --limit-file 4"
restore() { "$X" config --limit-file 4096 >/dev/null; }
hits0=$(limit_hits)
dmesg -c >/dev/null
$LOCKF "$NFS_MNT/$f" w --start 0 --len 10 --hold 900 >/tmp/lim-n1.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
$LOCKF "$NFS_MNT/$f" w --start 100 --len 10 --hold 900 >/tmp/lim-n2.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 30 grep -q -e granted -e denied /tmp/lim-n1.out
wait_for 30 grep -q -e granted -e denied /tmp/lim-n2.out
grep -q granted /tmp/lim-n1.out && grep -q granted /tmp/lim-n2.out ||
	{ restore; fail "NLM locks under the limit: $(cat /tmp/lim-n1.out /tmp/lim-n2.out)"; }
$SMBOP "$f" open:none:rw lock:1000:10:x lock:1100:10:x lock:1200:10:x hold:900 \
	>/tmp/lim-smb.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 60 sh -c '[ $(grep -c "^lock " /tmp/lim-smb.out) -ge 3 ] || grep -q error /tmp/lim-smb.out'
smb=$(grep "^lock " /tmp/lim-smb.out | tr '\n' ' ')
log "SMB: $smb"
[ "$smb" = "lock granted lock granted lock STATUS_INSUFFICIENT_RESOURCES " ] ||
	{ restore; fail "SMB locks with limit_file 4: $(cat /tmp/lim-smb.out)"; }
out=$($NLMTEST --lock --caller limit-host --svid 9 127.0.0.1 "$EXPORT/$f" w 300 10)
log "NLM lock past the limit (on the wire): $out; table $(table_locks "$f"), VFS $(vfs_locks "$f")"
[ "$out" = "lock denied_nolocks" ] || { restore; fail "NLM lock past the limit: $out"; }
out=$($LOCKF "$NFS_MNT/$f" w --start 200 --len 10)
log "NLM lock past the limit (kernel client): $out; table $(table_locks "$f"), VFS $(vfs_locks "$f")"
case $out in "denied ENOLCK"*) ;; *) restore; fail "NLM lock past the limit: $out" ;; esac
sleep 0.5
hits=$(limit_hits)
t=$(table_locks "$f")
v=$(vfs_locks "$f")
log "limit hits $hits0 -> $hits, table $t locks, VFS $v"
[ "$hits" -ge $((hits0 + 3)) ] || { restore; fail "refusals not counted: $hits0 -> $hits"; }
[ "$t" = 4 ] && [ "$v" = 4 ] || { restore; fail "table $t, VFS $v: expected 4 and 4"; }
dmesg | grep -q "SMB lock .* refused: this file holds too many entries (limit_file)" ||
	{ restore; fail "no log line for the SMB refusal"; }
dmesg | grep -q "NLM lock .* refused: this file holds too many entries (limit_file)" ||
	{ restore; fail "no log line for the NLM refusal"; }
xkill
restore
n=0
while [ "$(vfs_locks "$f")" != 0 ] && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
[ "$(vfs_locks "$f")" = 0 ] || fail "locks left: $(vfs_locks "$f")"
wait_for 60 sh -c "[ \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -c '\"kind\":\"lock\"')\" = 0 ]" ||
	fail "entries left: $("$X" locks --path "$EXPORT/$f")"
xdone
