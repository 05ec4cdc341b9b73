# SPDX-License-Identifier: GPL-2.0
# Fault suite (issue 7), in one boot:
#  1. xlock unloaded and loaded 25 times (-o quick: 5, -o full: 100; on the
#     debug kernel, where a round takes ~8x longer: 10) while NLM
#     and SMB lock traffic runs: no traffic error, no kernel problem, and
#     xlock still decides afterwards (load-order runs every module order);
#  2. the table's per-file limit reached by real NLM locks: the lock past
#     the limit is refused (ENOLCK), logged and counted, the others stay;
#  3. ksmbd and nfsd restarted while a lease, an SMB lock and NLM locks are
#     held: their entries go with them, new ones come after;
#  4. an NFS client that disappears: its SM_NOTIFY (as after a reboot) makes
#     lockd free its locks, and xlock's table forgets them too.
# (An SMB client that never acks a break: x-c8-remove and trace.)
# Single-threaded TCG: see accel_of in e2e/run.sh.
# e2e-accel: tcg,thread=single
# Each round unregisters and registers xlock's ftrace ops (RCU-tasks grace
# periods): about 6 s a round in single-threaded TCG.
# e2e-timeout: 1500
. "$XLOCK_DIR/e2e/guest/restart.sh"
LOCKF="/usr/bin/python3 $XLOCK_DIR/e2e/tools/lockf.py"
SMBOP="/usr/bin/python3 $XLOCK_DIR/e2e/tools/smbop.py"
NLMTEST="/usr/bin/python3 $XLOCK_DIR/e2e/tools/nlmtest.py"
X=$XLOCKCTL
N=25
has_opt quick && N=5	# -o quick: the other parts, few rounds
has_opt full && N=100
# lockdep needs each path once, not a hundred times; KASAN makes it slow.
case $(uname -r) in *-xlockdbg) has_opt full || has_opt quick || N=10 ;; esac
BG=

# Not a bare "wait": the client namespace's holder is a child too.
stop_bg() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	for p in $BG; do wait "$p" 2>/dev/null; done
	BG=
	return 0
}

# nr_entries [ARGS]: how many entries "xlockctl locks ARGS" lists.
nr_entries() {
	"$X" --json locks "$@" |
		/usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)["entries"]))'
}
limit_hits() {
	"$X" --json status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["limit_hits"])'
}

env_up
xlock_load || fail "insmod xlock"

# --- 1: load/unload under traffic ------------------------------------------
echo n >"$EXPORT/ft-nlm"
echo s >"$EXPORT/ft-smb"
rm -f /tmp/fault-stop
/usr/bin/python3 -c '
import errno, fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
ok = err = 0
while not os.path.exists(sys.argv[2]):
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
        fcntl.lockf(fd, fcntl.LOCK_UN, 10, 0)
        ok += 1
    except OSError as e:
        err += 1
        print("error", errno.errorcode.get(e.errno, e.errno), flush=True)
print("done ok=%d err=%d" % (ok, err), flush=True)' "$NFS_MNT/ft-nlm" /tmp/fault-stop \
	>/tmp/fault-nlm.out 2>&1 &
NLM_PID=$!
ops=
i=0
while [ $i -lt 500 ]; do ops="$ops lock:0:10:x unlock:0:10"; i=$((i + 1)); done
# One SMB session after another, each 500 lock/unlock pairs.
(while [ ! -e /tmp/fault-stop ]; do $SMBOP ft-smb open:none $ops close || break; done) \
	>/tmp/fault-smb.out 2>&1 &
BG="$BG $!"
wait_for 30 grep -q "unlock ok" /tmp/fault-smb.out || fail "SMB traffic: $(tail -n 3 /tmp/fault-smb.out)"

t0=$(date +%s)
i=1
while [ $i -le "$N" ]; do
	xlock_unload || fail "rmmod xlock under traffic (round $i)"
	xlock_load || fail "insmod xlock under traffic (round $i)"
	if [ $((i % 25)) = 0 ]; then
		for e in lockd nfsd ksmbd; do
			[ "$(xlock_edge_state $e)" = active ] || fail "edge $e not active after reload $i"
		done
		log "round $i: $(grep -c 'unlock ok' /tmp/fault-smb.out) SMB lock/unlock pairs so far"
	fi
	i=$((i + 1))
done
log "$N unload/load rounds under traffic in $(($(date +%s) - t0)) s"
touch /tmp/fault-stop
wait_for 30 grep -q "^done" /tmp/fault-nlm.out || fail "NLM traffic did not stop"
smb_pairs=$(grep -c "unlock ok" /tmp/fault-smb.out)
stop_bg
log "NLM traffic: $(tail -n 1 /tmp/fault-nlm.out); SMB traffic: $smb_pairs lock/unlock pairs"
grep -q "^done ok=[1-9][0-9]* err=0$" /tmp/fault-nlm.out ||
	fail "NLM traffic saw errors: $(grep -v '^done' /tmp/fault-nlm.out | sort | uniq -c | head -n 5)"
grep -q "^error" /tmp/fault-smb.out && fail "SMB traffic: $(grep '^error' /tmp/fault-smb.out | head -n 3)"
grep -v -e "^lock granted" -e "^unlock ok" -e "^open " -e "^closed" /tmp/fault-smb.out | grep -q . &&
	fail "SMB traffic: unexpected answers: $(grep -v -e '^lock granted' -e '^unlock ok' -e '^open ' -e '^closed' /tmp/fault-smb.out | head -n 3)"
[ "$smb_pairs" -gt 0 ] || fail "no SMB lock traffic"
# Still deciding: an NLM lock keeps an SMB lock out.
echo d >"$EXPORT/ft-after"
$LOCKF "$NFS_MNT/ft-after" w --len 100 --hold 30 >/tmp/ft-lock.out &
BG="$BG $!"
wait_for 20 grep -q granted /tmp/ft-lock.out || fail "NLM lock after the rounds"
out=$($SMBOP ft-after open:none lock:0:10:x close 2>&1 | grep '^lock')
[ "$out" = "lock STATUS_LOCK_NOT_GRANTED" ] || fail "SMB lock against an NLM lock after the rounds: $out"
stop_bg
log "after $N rounds an NLM lock still keeps an SMB lock out"

# --- 2: the per-file limit ----------------------------------------------------
echo l >"$EXPORT/ft-limit"
hits0=$(limit_hits)
"$X" config --limit-file 3 >/dev/null || fail "xlockctl config --limit-file 3"
dmesg -c >/dev/null
rm -f /tmp/ft-fifo
mkfifo /tmp/ft-fifo
/usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
for start in (0, 100, 200, 300):
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, start)
        print("granted", start, flush=True)
    except OSError as e:
        print("denied", start, e.strerror, flush=True)
sys.stdin.read()' "$NFS_MNT/ft-limit" </tmp/ft-fifo >/tmp/ft-limit.out 2>&1 &
BG="$BG $!"
exec 7>/tmp/ft-fifo
wait_for 30 sh -c '[ $(grep -c . /tmp/ft-limit.out) -ge 4 ]' || fail "limit locks: $(cat /tmp/ft-limit.out)"
sleep 1
n=$(nr_entries --path "$EXPORT/ft-limit")
hits=$(limit_hits)
log "limit 3: $(tr '\n' ' ' </tmp/ft-limit.out); table has $n; limit hits $hits0 -> $hits"
[ "$n" = 3 ] || fail "expected the 3 entries under the limit, table has $n"
grep -q "denied 300 No locks available" /tmp/ft-limit.out || fail "the lock past the limit was granted"
[ "$hits" -gt "$hits0" ] || fail "limit hit not counted"
dmesg | grep -q "refused: this file holds too many entries (limit_file)" ||
	fail "no log line for the entry past the limit"
exec 7>&-
stop_bg
"$X" config --limit-file 4096 >/dev/null || fail "restore limit-file"
wait_for 20 sh -c "[ \$(\"$X\" locks --path '$EXPORT/ft-limit' | grep -c ft-limit) = 0 ]" ||
	fail "entries under the limit not released: $("$X" locks --path "$EXPORT/ft-limit")"

# --- 3: servers restarted with state held --------------------------------------
# The NLM lock is a foreign client's (nlmtest: it never unlocks), so that
# no client of this namespace keeps lockd up when nfsd goes.
echo r >"$EXPORT/ft-rs"
$SMBOP ft-rs open:RH lock:500:10:x hold:600 >/tmp/ft-rs-smb.out 2>&1 &
BG="$BG $!"
wait_for 30 grep -q "lock granted" /tmp/ft-rs-smb.out || fail "SMB lease+lock: $(cat /tmp/ft-rs-smb.out)"
out=$($NLMTEST --lock --caller ghost --svid 77 127.0.0.1 "$EXPORT/ft-rs" r 0 10)
[ "$out" = "lock granted" ] || fail "NLM lock of a foreign client: $out"
sleep 1
[ "$(nr_entries --path "$EXPORT/ft-rs")" -ge 3 ] ||
	fail "expected lease, SMB lock and NLM lock: $("$X" locks --path "$EXPORT/ft-rs")"
smb_server_down
modprobe -r ksmbd || fail "rmmod ksmbd with a lease held"
wait_for 20 sh -c "! \"$X\" locks --path '$EXPORT/ft-rs' | grep -q smb:" ||
	fail "SMB entries left after ksmbd went: $("$X" locks --path "$EXPORT/ft-rs")"
[ "$(xlock_edge_state ksmbd)" = absent ] || fail "ksmbd edge not absent"
[ "$(nr_entries --path "$EXPORT/ft-rs")" = 1 ] ||
	fail "the NLM entry must stay while ksmbd is away: $("$X" locks --path "$EXPORT/ft-rs")"
stop_bg
smb_server_up || fail "ksmbd back"
[ "$(xlock_edge_state ksmbd)" = active ] || fail "ksmbd edge not active again"
log "ksmbd restarted with a lease and a lock held: SMB entries gone, NLM entry kept"
# With no NFS mount left, lockd stops with nfsd (the nfs client modules
# keep the lockd module itself loaded) and drops every NLM host.
mounts_down
nfs_server_down
modprobe -r nfsd || fail "rmmod nfsd with an NLM lock held"
wait_for 20 sh -c "! \"$X\" locks --path '$EXPORT/ft-rs' | grep -q nlm:" ||
	fail "NLM entries left after lockd stopped: $("$X" locks --path "$EXPORT/ft-rs")"
env_up
out=$($SMBOP ft-rs open:RWH lock:0:10:x close 2>&1 | tr '\n' ' ')
case $out in *"lock granted"*) ;; *) fail "SMB after the restarts: $out" ;; esac
out=$($LOCKF "$NFS_MNT/ft-rs" w --len 10) || fail "NLM after the restarts: $out"
log "nfsd and lockd stopped with an NLM lock held and restarted: entry gone, new locks granted"

# --- 4: an NFS client disappears ----------------------------------------------
mounts_down
cli_up || fail "client namespace: $(cat /tmp/cli.log)"
echo c >"$EXPORT/ft-cli"
incli $LOCKF "$CLI_MNT/ft-cli" w --len 10 --hold 600 >/tmp/ft-cli.out 2>&1 &
BG="$BG $!"
wait_for 30 grep -q granted /tmp/ft-cli.out || fail "NLM lock from the client: $(cat /tmp/ft-cli.out)"
sleep 1
[ "$(nr_entries --client nlm:nfscli)" -ge 1 ] || fail "no entry of nlm:nfscli: $("$X" locks)"
# The client "reboots": its statd tells ours, which tells lockd.
out=$(incli timeout 30 sm-notify -d -f -v nfscli 2>&1) || fail "sm-notify from the client: $out"
wait_for 30 sh -c "[ \$(\"$X\" locks --client nlm:nfscli | grep -c nlm:nfscli) = 0 ]" ||
	fail "entries of the rebooted client left: $("$X" locks --client nlm:nfscli)"
nfs_mount_up || fail "NFS mount"
out=$($LOCKF "$NFS_MNT/ft-cli" w --len 10 --timeout 20) || fail "lock freed by SM_NOTIFY still held: $out"
log "SM_NOTIFY from the client freed its lock in lockd and in the table"
stop_bg
log "fault suite done"
