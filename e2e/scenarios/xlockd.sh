# SPDX-License-Identifier: GPL-2.0
# xlockd against the live module: one daemon at a time; real NLM and SMB
# entries persisted with their owners' identities; kill -9 in the middle of
# more than 10000 lock events loses nothing it had acknowledged, and a
# restarted xlockd reads the table back; a corrupt or foreign state file
# stops it with the file and offset; a full disk degrades persistence
# (logged, metrics) while the module keeps enforcing, and it recovers; the
# metrics file; without xlockd the status says persistence is off; the
# module's events_batch_ms takes 1-1000 ms only.
LOCKF="python3 $XLOCK_DIR/e2e/tools/lockf.py"
SMBOP="/usr/bin/python3 $XLOCK_DIR/e2e/tools/smbop.py"
CHURN="$XLOCK_DIR/build/selftests/xlock_churn"
X=$XLOCKCTL
S=/tmp/xlockd-state
M=/tmp/xlockd.prom
GUID=XLOCKDTESTGUID01
GUIDHEX=$(printf %s "$GUID" | od -An -tx1 | tr -d ' \n')
KEY=0123456789abcdef0123456789abcdef

xlock_unload || fail "cannot unload xlock"
xlock_load test_api=1 || fail "cannot load xlock with test_api=1"
env_up
# How long the module collects events before sending them: 1-1000 ms;
# anything else is refused and changes nothing.
P=/sys/module/xlock/parameters/events_batch_ms
b0=$(cat "$P")
for bad in 0 1001 -1 x; do
	echo "$bad" >"$P" 2>/dev/null && fail "events_batch_ms took $bad"
done
[ "$(cat "$P")" = "$b0" ] || fail "a refused events_batch_ms changed it: $(cat "$P")"
echo 20 >"$P" && [ "$(cat "$P")" = 20 ] || fail "events_batch_ms 20: $(cat "$P")"
echo "$b0" >"$P"
log "events_batch_ms $b0: 0, 1001, -1 and x refused, 20 taken"
mkdir -p "$EXPORT/churn"
for i in $(seq 0 15); do : >"$EXPORT/churn/churn-$i"; done

# Nothing of an earlier run in this boot: its ids are another instance's.
rm -rf "$S" /tmp/ack1 /tmp/ack1.inflight /tmp/bad
"$X" status | grep -q "persistence: off" || fail "without xlockd the status must say persistence is off"
xlockd_start --state-dir "$S" --metrics-file "$M" --with-test-entries --ack-log /tmp/ack1 ||
	fail "xlockd did not attach"
"$X" status | grep -q "persistence: on" || fail "status does not show xlockd attached"
log "xlockd attached: $(tail -n 1 "$XLOCKD_LOG")"

# One daemon: a second one is refused while the first is attached.
out=$("$XLOCKD" --state-dir /tmp/xlockd-second 2>&1) && fail "a second xlockd started: $out"
printf '%s\n' "$out" | grep -q "another xlockd is attached" || fail "second xlockd said: $out"
log "second xlockd refused: $out"

# --- real entries, persisted with their owners ------------------------------
echo data >"$NFS_MNT/pf"
mkfifo /tmp/pf-nlm
$LOCKF "$NFS_MNT/pf" w --start 0 --len 10 --hold stdin </tmp/pf-nlm >/tmp/pf-nlm.out &
exec 7>/tmp/pf-nlm
wait_for 15 grep -q granted /tmp/pf-nlm.out || fail "NLM lock: $(cat /tmp/pf-nlm.out)"
$SMBOP --guid "$GUID" --key "$KEY" pf2 open:RWH:rw:rwd:create lock:100:10:x hold:600 \
	>/tmp/pf-smb.out 2>&1 &
SMB_PID=$!
wait_for 20 grep -q "lock granted" /tmp/pf-smb.out || fail "SMB client: $(cat /tmp/pf-smb.out)"
sleep 1
"$XLOCKD" --print-state --state-dir "$S" >/tmp/state1 || fail "print-state: $(cat /tmp/state1)"
# lockd names the NLM client at 127.0.0.1 after the caller name of the
# first request it had from there (nlmtest's, if a scenario before used
# it): persisted as xlock lists it.
nlmname=$("$XLOCKCTL" --json locks --path "$EXPORT/pf" | /usr/bin/python3 -c '
import json, sys
print(" ".join(x["client"][4:] for x in json.load(sys.stdin)["entries"] if x["proto"] == "nlm"))')
log "NLM client at 127.0.0.1: $nlmname"
grep -q "proto=1 kind=1 mode=2 .* start=0 end=9 .* client=$nlmname path=$EXPORT/pf$" /tmp/state1 ||
	fail "NLM lock not persisted with its caller name and path: $(cat /tmp/state1)"
grep -q "proto=2 kind=2 .* state=7 .*client=$GUIDHEX path=$EXPORT/pf2$" /tmp/state1 ||
	fail "SMB RWH lease not persisted with the client GUID: $(cat /tmp/state1)"
grep -q "proto=2 kind=1 mode=2 .* start=100 end=109 .*client=$GUIDHEX path=$EXPORT/pf2$" /tmp/state1 ||
	fail "SMB lock not persisted: $(cat /tmp/state1)"
log "persisted: $(grep -c '^entry' /tmp/state1) entries
$(grep '^entry' /tmp/state1)"

# A break to R is a change the journal follows.
"$X" break "$("$X" --json locks --path "$EXPORT/pf2" | python3 -c "import json,sys
print([e['id'] for e in json.load(sys.stdin)['entries'] if e['kind'] == 'lease'][0])")" --to R >/dev/null ||
	fail "break the lease to R"
wait_for 10 sh -c "'$XLOCKD' --print-state --state-dir '$S' | grep -q 'kind=2 .* state=1 .*path=$EXPORT/pf2\$'" ||
	fail "lease change to R not persisted: $("$XLOCKD" --print-state --state-dir "$S")"
kill "$SMB_PID"
wait "$SMB_PID" 2>/dev/null
wait_for 10 sh -c "! '$XLOCKD' --print-state --state-dir '$S' | grep -q 'client=$GUIDHEX'" ||
	fail "SMB entries not released in the journal after the client went"

# --- kill -9 in the middle of > 10000 events ---------------------------------
# The kill comes once the churn's first 500 records were acknowledged (a
# fixed sleep was too short on a slow host), long before its 30000 end.
acks0=$(wc -l </tmp/ack1)
"$CHURN" -n 30000 -r 2 "$EXPORT/churn" >/tmp/churn1 2>&1 &
CH=$!
wait_for 60 sh -c "[ \$(wc -l </tmp/ack1) -ge $((acks0 + 500)) ]" ||
	fail "the churn's records were not acknowledged: $(wc -l </tmp/ack1) ack lines"
kill -0 "$CH" 2>/dev/null || fail "the churn ended before xlockd was killed: $(cat /tmp/churn1)"
xlockd_stop KILL
log "xlockd killed -9 during the churn; $(wc -l </tmp/ack1) acknowledged records"
wait "$CH" || fail "churn failed: $(cat /tmp/churn1)"
head -n 1 /tmp/churn1
"$XLOCKD" --print-state --state-dir "$S" >/tmp/state2 2>/tmp/state2.err ||
	fail "state after kill -9 does not load: $(cat /tmp/state2.err)"
log "after kill -9: $(head -n 1 /tmp/state2); $(cat /tmp/state2.err)"
# Every acknowledged grant still held and every acknowledged release gone
# (the power-cut test's check: a last line cut by the kill is no ack).
out=$(python3 "$XLOCK_DIR/e2e/tools/powerload.py" check /tmp/ack1 /tmp/state2) ||
	fail "kill -9 lost acknowledged state: $out"
log "$out"
# The rest of the churn happened without xlockd; a new one reads the table back.
xlockd_start --state-dir "$S" --metrics-file "$M" --with-test-entries ||
	fail "xlockd does not start again after kill -9"
"$CHURN" -n 2000 -r 2 -c churn2 "$EXPORT/churn" >/tmp/churn2 2>&1 || fail "churn: $(cat /tmp/churn2)"
events=$(($(head -n 1 /tmp/churn1 | cut -d' ' -f2,4 | tr ' ' '+') + 3000))
log "lock events generated: $events"
[ "$events" -ge 10000 ] || fail "fewer than 10000 lock events"
want=$("$X" --json status | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['entries'] - d['share_modes'])")
wait_for 20 sh -c "'$XLOCKD' --print-state --state-dir '$S' | head -n 1 | grep -q 'entries $want '" ||
	fail "persisted state ($("$XLOCKD" --print-state --state-dir "$S" | head -n 1)) != table ($want entries)"
log "after the restart xlockd holds the table's $want entries"

# --- damaged state files ---------------------------------------------------
cp -a "$S" /tmp/bad
jsize=$(stat -c %s /tmp/bad/journal)
[ "$jsize" -gt 100 ] || { xlockd_stop; cp -a "$S" /tmp/bad; jsize=$(stat -c %s /tmp/bad/journal); }
printf 'X' | dd of=/tmp/bad/snapshot bs=1 seek=60 conv=notrunc 2>/dev/null
out=$("$XLOCKD" --print-state --state-dir /tmp/bad 2>&1) && fail "corrupt snapshot loaded: $out"
printf '%s\n' "$out" | grep -q "/tmp/bad/snapshot: offset 40: record checksum mismatch" ||
	fail "corrupt snapshot: $out"
log "corrupt snapshot: $(printf '%s\n' "$out" | head -n 1)"
cp "$S/snapshot" /tmp/bad/snapshot
printf 'XLOCKJNL' | dd of=/tmp/bad/snapshot bs=1 conv=notrunc 2>/dev/null
out=$("$XLOCKD" --print-state --state-dir /tmp/bad 2>&1) && fail "foreign snapshot loaded: $out"
printf '%s\n' "$out" | grep -q "snapshot: offset 0: not an xlockd snapshot" || fail "foreign: $out"
log "foreign file: $(printf '%s\n' "$out" | head -n 1)"
"$XLOCKD" --state-dir /tmp/bad >/tmp/bad.out 2>&1 && fail "xlockd started on a foreign snapshot"
grep -q "not starting" /tmp/bad.out || fail "xlockd on bad state said: $(cat /tmp/bad.out)"

# --- disk full --------------------------------------------------------------
xlockd_stop
mkdir -p /tmp/small
mount -t tmpfs -o size=16m tmpfs /tmp/small
xlockd_start --state-dir /tmp/small/s --with-test-entries || fail "xlockd on a small disk"
dd if=/dev/zero of=/tmp/small/fill bs=4k 2>/dev/null
"$CHURN" -n 3000 -r 0 -c full "$EXPORT/churn" >/dev/null 2>&1 || fail "churn on a full disk"
wait_for 20 grep -q "No space left on device" "$XLOCKD_LOG" || fail "no disk-full error: $(tail "$XLOCKD_LOG")"
log "disk full: $(grep "No space left" "$XLOCKD_LOG" | head -n 1)"
# The module keeps enforcing: an SMB lock on an NLM-locked range is refused.
out=$($LOCKF "$SMB_MNT/pf" w --start 0 --len 10 --timeout 10) &&
	fail "SMB lock over an NLM lock granted while the disk is full: $out"
xlock_persist || fail "xlockd detached on a full disk"
rm /tmp/small/fill
wait_for 20 grep -q "persistence restored" "$XLOCKD_LOG" || fail "no recovery: $(tail "$XLOCKD_LOG")"
want=$("$X" --json status | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['entries'] - d['share_modes'])")
wait_for 20 sh -c "'$XLOCKD' --print-state --state-dir /tmp/small/s | head -n 1 | grep -q 'entries $want '" ||
	fail "after recovery the disk holds $("$XLOCKD" --print-state --state-dir /tmp/small/s | head -n 1), table $want"
log "recovered: $(grep "persistence restored" "$XLOCKD_LOG")"
xlockd_stop
umount /tmp/small

# --- systemd readiness (Type=notify) -----------------------------------------
python3 -c "import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/tmp/notify.sock')
s.settimeout(60)
open('/tmp/notify.bound', 'w').close()
print(s.recv(4096).decode())" >/tmp/notify.out &
NPID=$!
wait_for 10 test -e /tmp/notify.bound || fail "notify listener"
NOTIFY_SOCKET=/tmp/notify.sock xlockd_start --state-dir "$S" || fail "xlockd under NOTIFY_SOCKET"
wait "$NPID"
grep -q "READY=1" /tmp/notify.out || fail "no READY=1 on NOTIFY_SOCKET: $(cat /tmp/notify.out)"
log "sd_notify: $(tr '\n' ' ' </tmp/notify.out)"
xlockd_stop

# --- the module goes and comes back under a running xlockd ------------------
# (While xlockd dumps the table at attach the module is in use: wait for it.)
na=$(grep -c "attached to xlock" "$XLOCKD_LOG")
xlockd_start --state-dir "$S" --with-test-entries || fail "xlockd"
wait_for 60 sh -c "[ \$(grep -c 'attached to xlock' '$XLOCKD_LOG') -gt $na ]" ||
	fail "xlockd did not finish attaching: $(tail -n 3 "$XLOCKD_LOG")"
held=$("$XLOCKD" --print-state --state-dir "$S" | head -n 1 | sed 's/.* entries \([0-9]*\) .*/\1/')
xlock_unload || fail "rmmod xlock under xlockd"
wait_for 20 grep -q "the xlock module was unloaded" "$XLOCKD_LOG" || fail "xlockd did not notice"
kill -0 "$XLOCKD_PID" || fail "xlockd exited when the module went"
xlock_load test_api=1 || fail "insmod"
wait_for 60 sh -c "'$X' grace | grep -q 'grace: running'" ||
	fail "no grace after the module came back: $(tail -n 5 "$XLOCKD_LOG")"
n=$("$X" --json grace | python3 -c "import json,sys; print(json.load(sys.stdin)['entries'])")
[ "$n" = "$held" ] || fail "reclaim set of $n entries, $held were persisted"
log "module reloaded under xlockd: $n persisted entries to reclaim; $(grep 'recovery of' "$XLOCKD_LOG" | tail -n 1)"
"$X" grace end >/dev/null || fail "grace end"
xlock_persist || fail "xlockd not attached to the new module"
xlockd_stop

# --- metrics ----------------------------------------------------------------
[ -s "$M" ] || fail "no metrics file"
for m in xlockd_persist_healthy xlockd_events_total xlockd_commits_total xlockd_durable_seconds_bucket \
	xlock_entries xlock_conflicts_total xlock_breaks_total xlock_break_duration_seconds_bucket xlock_grace; do
	grep -q "^$m" "$M" || fail "metric $m missing from $M"
done
log "durable window: $(grep -E '^xlockd_durable_seconds_(count|sum|max)' "$M" | tr '\n' ' ')"
"$X" status | grep -q "persistence: off" || fail "status after xlockd stopped: persistence not off"
exec 7>&-
wait
log "xlockd log:
$(cat "$XLOCKD_LOG")"
