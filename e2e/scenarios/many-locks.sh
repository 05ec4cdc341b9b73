# SPDX-License-Identifier: GPL-2.0
# Issue 10 e: more than 8192 byte-range locks on one file, from NLM (kernel
# NFS client) and SMB (kernel cifs client, which sends its locks to the
# server because the NLM locks leave it no write lease), then the table must
# list exactly the locks /proc/locks shows (type, start, end), and be empty
# once they are released. Before the fix every lock operation reconciled
# all entries against all locks under the file's spinlock (O(n x m)) and
# past 8192 locks on a file stopped reconciling: this did not finish.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
X=$XLOCKCTL
N=${XLOCK_MANY_LOCKS:-4200}	# per protocol: 2 x N > 8192
"$X" config --limit-file $((4 * N)) >/dev/null || fail "xlockctl config --limit-file"
restore() { "$X" config --limit-file 4096 >/dev/null; }
f=$(fresh many)
# The file's id in /proc/locks (the export's device, not the NFS client's).
set -- $(stat -c '%d %i' "$EXPORT/$f")
id=$(printf '%02x:%02x:%s' $((($1 >> 8) & 0xfff)) $((($1 & 0xff) | (($1 >> 12) & 0xfff00))) "$2")

# lock_many PATH BASE N: N exclusive one-byte locks at BASE, BASE+2, ...;
# prints "done N" when all are held, then holds them until stdin closes.
lock_many() {
	/usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
base, n = int(sys.argv[2]), int(sys.argv[3])
t0 = time.monotonic()
for i in range(n):
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, base + 2 * i)
    except OSError as e:
        print("error at %d: %s" % (i, e.strerror), flush=True)
        sys.exit(1)
print("done %d %.1f s" % (n, time.monotonic() - t0), flush=True)
sys.stdin.read()' "$@"
}

mkfifo /tmp/many-nlm.fifo /tmp/many-smb.fifo
lock_many "$NFS_MNT/$f" 0 "$N" </tmp/many-nlm.fifo >/tmp/many-nlm.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
exec 7>/tmp/many-nlm.fifo
wait_for 400 grep -q -e done -e error /tmp/many-nlm.out
log "NLM: $(cat /tmp/many-nlm.out)"
grep -q done /tmp/many-nlm.out || { restore; fail "NLM locks: $(cat /tmp/many-nlm.out)"; }
lock_many "$SMB_MNT/$f" $((4 * N)) "$N" </tmp/many-smb.fifo >/tmp/many-smb.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
exec 8>/tmp/many-smb.fifo
wait_for 400 grep -q -e done -e error /tmp/many-smb.out
log "SMB: $(cat /tmp/many-smb.out)"
grep -q done /tmp/many-smb.out || { restore; fail "SMB locks: $(cat /tmp/many-smb.out)"; }

# Table and VFS, as sorted "TYPE START END" lines.
"$X" --json locks --path "$EXPORT/$f" | /usr/bin/python3 -c '
import json, sys
for x in json.load(sys.stdin)["entries"]:
    if x["kind"] == "lock":
        end = "EOF" if x["to_eof"] else str(x["end"])
        print(x["proto"], "WRITE" if x["mode"] == "excl" else "READ", x["start"], end)' |
	sort >/tmp/many-table.txt
awk -v id="$id" '$2 == "POSIX" && $6 == id { print $4, $7, $8 }' /proc/locks | sort >/tmp/many-vfs.txt
cut -d' ' -f2- /tmp/many-table.txt | sort >/tmp/many-table-locks.txt
nt=$(wc -l </tmp/many-table.txt)
nv=$(wc -l </tmp/many-vfs.txt)
nn=$(grep -c '^nlm ' /tmp/many-table.txt)
ns=$(grep -c '^smb ' /tmp/many-table.txt)
log "table $nt locks (nlm $nn, smb $ns), /proc/locks $nv"
[ "$nv" = $((2 * N)) ] || { restore; fail "the VFS holds $nv locks, expected $((2 * N))"; }
if ! cmp -s /tmp/many-table-locks.txt /tmp/many-vfs.txt; then
	diff /tmp/many-table-locks.txt /tmp/many-vfs.txt | head -n 10
	restore
	fail "table ($nt) != /proc/locks ($nv)"
fi
[ "$nn" = "$N" ] && [ "$ns" = "$N" ] || { restore; fail "nlm $nn, smb $ns: expected $N each"; }
nr=$("$X" --json status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["stats"]["not_recorded"])')
[ "$nr" = 0 ] || { restore; fail "not_recorded = $nr"; }

exec 7>&- 8>&-
xkill
restore
wait_for 60 sh -c "! awk '\$2 == \"POSIX\" && \$6 == \"$id\"' /proc/locks | grep -q ." ||
	fail "locks left in the VFS"
wait_for 60 sh -c "[ \"\$(\"$X\" --json locks --path '$EXPORT/$f' | grep -c '\"kind\":\"lock\"')\" = 0 ]" ||
	fail "entries left in the table"
rm -f /tmp/many-nlm.fifo /tmp/many-smb.fifo
xdone
