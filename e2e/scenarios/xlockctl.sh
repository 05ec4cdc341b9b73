# SPDX-License-Identifier: GPL-2.0
# xlockctl against the live module (loaded with test_api=1): every command,
# text and JSON output (checked with python3), share management, one file
# holding an NLM lock, an SMB lease and an SMB share mode seen in one
# "locks --path" answer, filters, lease breaks, clear-client, limits, the
# documented exit codes, bad input and the event stream.
X=$XLOCKCTL
T=/tmp/xlockctl-e2e
F=$EXPORT/xlockctl-f
GUID=00112233445566778899aabbccddeeff
KEY=0123456789abcdef0123456789abcdef

mkdir -p "$T"
xlock_unload || fail "cannot unload xlock"
xlock_load test_api=1 || fail "cannot load xlock with test_api=1"
env_up

# run ARGS: $out gets stdout, $T/err stderr, $rc the exit code.
run() {
	out=$("$X" "$@" 2>"$T/err")
	rc=$?
}
ok() {
	run "$@"
	[ "$rc" -eq 0 ] || fail "xlockctl $*: exit $rc: $(cat "$T/err")"
}
# code N ARGS: must exit N, and with a message on stderr unless N is 0.
code() {
	want=$1
	shift
	run "$@"
	[ "$rc" -eq "$want" ] || fail "xlockctl $*: exit $rc, expected $want ($(cat "$T/err"))"
	[ "$want" -eq 0 ] || [ -s "$T/err" ] || fail "xlockctl $*: exit $rc without a message"
	log "exit $rc as expected: xlockctl $*: $(head -n 1 "$T/err")"
}
# check PYTHON: $out must be valid JSON for which the Python asserts hold (d is the document).
check() {
	printf '%s\n' "$out" | python3 -m json.tool >/dev/null || fail "not valid JSON: $out"
	printf '%s\n' "$out" | python3 -c "import json, sys
d = json.load(sys.stdin)
$1" || fail "JSON check failed: $1
on: $out"
}
has() {
	printf '%s\n' "$out" | grep -q -- "$1" || fail "'$1' missing from: $out"
}

# --- help -----------------------------------------------------------------
# Tools and module built from one tree carry one version (scripts/version.sh).
VER=$(cat /sys/module/xlock/version)
ok --version
[ "$out" = "xlockctl $VER" ] || fail "--version said '$out', the module is $VER"
for h in "--help" "help" "help locks" "locks --help" "share --help" "test --help" "help test"; do
	# shellcheck disable=SC2086 # word splitting wanted
	ok $h
	has "usage"
done

# --- status ---------------------------------------------------------------
ok status
log "status:
$out"
has "xlock $VER"
has "persistence: off: no xlockd attached"
has "test api: enabled"
for e in lockd nfsd ksmbd; do
	printf '%s\n' "$out" | grep -Eq "^ +$e +active$" || fail "edge $e not shown active: $out"
done
ok
has "table generation"
ok --json status
check "assert d['version'] == '$VER'
assert d['test_api'] is True and d['persistence'] is False
assert sorted(e['name'] for e in d['edges']) == ['ksmbd', 'lockd', 'nfsd']
assert all(e['state'] == 'active' and e['reason'] is None for e in d['edges'])
assert d['entries'] == 0 and d['files'] == 0 and d['clients'] == 0
for k in ('nlm_locks', 'smb_locks', 'leases', 'share_modes', 'limit_hits', 'generation'):
    assert isinstance(d[k], int), k
assert set(d['limits']) == {'total', 'file', 'client'}"
ok status --json
check "assert 'edges' in d"
ok --json
check "assert 'edges' in d"

# Metrics: one series per edge and state, 1 for the state it is in.
ok metrics
for e in lockd nfsd ksmbd; do
	has "^xlock_edge_state{edge=\"$e\",state=\"active\"} 1$"
	has "^xlock_edge_state{edge=\"$e\",state=\"refused\"} 0$"
	has "^xlock_edge_state{edge=\"$e\",state=\"absent\"} 0$"
done
has "^xlock_break_duration_seconds_sum [0-9]"

# --- shares ---------------------------------------------------------------
ok shares
has "default"
ok shares --json
check "assert d['shares'] == [{'id': 0, 'name': 'default', 'path': None, 'enabled': True,
    'break_timeout_ms': 35000, 'grace_s': 90, 'entries': 0}]"
ok share add "$EXPORT" --name export --break-timeout 5000 --grace 30
SID=$out
log "share add: id $SID"
case $SID in '' | *[!0-9]*) fail "share add printed '$SID', not an id" ;; esac
code 1 share add "$EXPORT"
grep -q "already a share" "$T/err" || fail "no reason for EEXIST: $(cat "$T/err")"
ok share list --json
check "s = [s for s in d['shares'] if s['id'] == $SID][0]
assert s == {'id': $SID, 'name': 'export', 'path': '$EXPORT', 'enabled': True,
    'break_timeout_ms': 5000, 'grace_s': 30, 'entries': 0}, s"
ok share set export --disable --grace 60
ok shares --json
check "s = [s for s in d['shares'] if s['id'] == $SID][0]
assert s['enabled'] is False and s['grace_s'] == 60 and s['break_timeout_ms'] == 5000, s"
ok share set "$EXPORT" --enable
ok share set "$SID" --break-timeout 7000
ok shares
log "shares:
$out"
printf '%s\n' "$out" | grep -Eq "^$SID +export +enabled +7000ms +60s +0 +$EXPORT$" ||
	fail "share $SID not listed as expected: $out"
code 5 share set nosuch --grace 5
code 5 share del 4242
# A second share, found and removed by a relative path.
mkdir -p "$EXPORT/sub"
ok share add "$EXPORT/sub" --disabled
SUB=$out
ok shares --json
check "s = [s for s in d['shares'] if s['id'] == $SUB][0]
assert s['enabled'] is False and s['name'] == 'share$SUB' and s['path'] == '$EXPORT/sub', s"
out=$(cd "$EXPORT" && "$X" share del ./sub 2>&1) || fail "share del ./sub: $out"
ok shares --json
check "assert $SUB not in [s['id'] for s in d['shares']]"

# --- test entries: an NLM lock, an SMB lease, an SMB share mode on one file ---
echo data >"$NFS_MNT/xlockctl-f" || fail "cannot write through the NFS mount"
[ "$(cat "$F")" = data ] || fail "$F not on the export"
ok test add "$F" --proto nlm --kind lock --client e2ehost --mode excl --start 0 --len 100 --svid 42
NLM=$out
ok test add "$F" --proto smb --kind lease --client smbclient1 --addr 192.0.2.7 --guid $GUID \
	--state RWH --lease-key $KEY
LEASE=$out
ok test add "$F" --proto smb --kind share --client smbclient2 --addr 192.0.2.8 --access rw \
	--allow r --fid 7 --json
check "assert isinstance(d['id'], int)"
SHM=$(printf '%s\n' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
ok test add "$F" --proto nlm --kind lock --client e2ehost --mode shared --start 100 --svid 43 --pending
PEND=$out
log "test entries: nlm lock $NLM, smb lease $LEASE, share mode $SHM, pending lock $PEND"

ok locks --path "$F"
log "locks --path:
$out"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 5 ] || fail "expected a header and 4 entries: $out"
has "^ID  *PROTO  *KIND  *CLIENT  *WHAT  *PATH  *AGE"
printf '%s\n' "$out" | grep -Eq "^$NLM +nlm +lock +nlm:e2ehost +excl 0-99 +$F +[0-9.]+s$" ||
	fail "NLM lock line: $out"
printf '%s\n' "$out" | grep -Eq "^$LEASE +smb +lease +smb:192.0.2.7 +RWH +$F " || fail "lease line: $out"
printf '%s\n' "$out" | grep -Eq "^$SHM +smb +share +smb:192.0.2.8 +access=rw allow=r +$F " ||
	fail "share mode line: $out"
has "shared 100-EOF (pending)"
out=$(cd "$EXPORT" && "$X" locks --path xlockctl-f --json) || fail "locks with a relative --path"
check "assert len(d['entries']) == 4"
ok locks --json --path "$F"
check "e = {x['id']: x for x in d['entries']}
assert isinstance(d['generation'], int)
assert {x['proto'] for x in e.values()} == {'nlm', 'smb'}
assert [x['id'] for x in d['entries']] == sorted(e)
n, l, s, p = e[$NLM], e[$LEASE], e[$SHM], e[$PEND]
for x in e.values():
    assert x['path'] == '$F' and x['share_id'] == $SID and 'test' in x['flags'], x
    assert isinstance(x['dev'], int) and isinstance(x['ino'], int) and x['age_ms'] >= 0
assert n['kind'] == 'lock' and n['mode'] == 'excl' and n['start'] == 0 and n['end'] == 99
assert n['to_eof'] is False and n['svid'] == 42 and n['oh_hash'] is None
assert n['client'] == 'nlm:e2ehost' and n['client_addr'] is None and n['flags'] == ['test']
assert p['mode'] == 'shared' and p['end'] == 18446744073709551615 and p['to_eof'] is True
assert p['flags'] == ['pending', 'test']
assert l['kind'] == 'lease' and l['state'] == 'RWH' and l['break_to'] is None
assert l['client'] == 'smb:192.0.2.7' and l['client_addr'] == '192.0.2.7'
assert l['guid'] == '$GUID' and l['lease_key'] == '$KEY' and 'fid' not in l
assert s['kind'] == 'share' and s['access'] == 'rw' and s['allow'] == 'r' and 'fid' in s
assert 'mode' not in l and 'state' not in s and 'svid' not in s"
ok status --json
check "assert d['entries'] == 4 and d['nlm_locks'] == 2 and d['leases'] == 1
assert d['share_modes'] == 1 and d['smb_locks'] == 0 and d['files'] == 1 and d['clients'] == 3"
ok shares --json
check "assert [s['entries'] for s in d['shares'] if s['id'] == $SID] == [4]"

# --- filters --------------------------------------------------------------
ok locks --share export --json
check "assert len(d['entries']) == 4"
ok locks --share 0 --json
check "assert d['entries'] == []"
ok locks --share 0
has "(none)"
ok locks --client nlm:e2ehost --json
check "assert sorted(x['id'] for x in d['entries']) == sorted([$NLM, $PEND])"
ok locks --client smb:192.0.2.7 --path "$F" --share "$EXPORT" --json
check "assert [x['id'] for x in d['entries']] == [$LEASE]"
ok locks --client nobody --json
check "assert d['entries'] == []"
code 5 locks --share nosuch

# --- events ---------------------------------------------------------------
"$X" events --json >"$T/events" 2>&1 &
EV=$!
"$X" events >"$T/events.txt" 2>&1 &
EVT=$!
sleep 2
ok test add "$F" --proto smb --kind lock --client smbclient1 --addr 192.0.2.7 --mode shared \
	--start 200 --end 299 --fid 9
EID=$out
ok break "$LEASE" --to RH
# Sent before the delete: a grant and release in one batch coalesce away.
wait_for 10 grep -Eq "\"event\": *\"grant\", *\"id\": *$EID[,}]" "$T/events" ||
	fail "no grant event: $(cat "$T/events")"
ok test del "$EID"
wait_for 10 grep -q '"event":"release"' "$T/events" || fail "no release event: $(cat "$T/events")"
wait_for 10 grep -q '^release ' "$T/events.txt" || fail "no text event: $(cat "$T/events.txt")"
kill "$EV" "$EVT"
wait "$EV" || fail "events --json did not exit 0 on SIGTERM"
wait "$EVT"
log "events:
$(cat "$T/events" "$T/events.txt")"
out=$(cat "$T/events")
printf '%s\n' "$out" | python3 -c "import json, sys
ev = [json.loads(l) for l in sys.stdin]
g = [e for e in ev if e['event'] == 'grant' and e['id'] == $EID]
assert len(g) == 1, ev
g = g[0]
assert g['proto'] == 'smb' and g['kind'] == 'lock' and g['mode'] == 'shared'
assert g['start'] == 200 and g['end'] == 299 and 'fid' in g and g['client'] == 'smb:192.0.2.7'
assert any(e['event'] == 'change' and e['id'] == $LEASE and e['state'] == 'RH' for e in ev), ev
assert any(e['event'] == 'release' and e['id'] == $EID for e in ev), ev" ||
	fail "events: $out"
grep -Eq "^grant $EID smb lock smb:192.0.2.7 shared 200-299 dev=[0-9]+:[0-9]+,ino=[0-9]+$" \
	"$T/events.txt" || fail "text grant event: $(cat "$T/events.txt")"

# --- break ----------------------------------------------------------------
ok locks --path "$F" --json
check "l = [x for x in d['entries'] if x['id'] == $LEASE][0]
assert l['state'] == 'RH', l"
code 1 break "$LEASE" --to RH
code 1 break "$NLM"
grep -q "not a lease" "$T/err" || fail "no reason for breaking a lock: $(cat "$T/err")"
code 5 break 999999
grep -q "no such entry" "$T/err" || fail "no extack message: $(cat "$T/err")"
ok break "$LEASE"
ok locks --path "$F"
printf '%s\n' "$out" | grep -Eq "^$LEASE +smb +lease +smb:192.0.2.7 +none " || fail "lease not broken: $out"

# --- share del with entries, clear-client ---------------------------------
code 1 share del export
grep -q "clear them first" "$T/err" || fail "no reason for EBUSY: $(cat "$T/err")"
code 1 share del 0
ok clear-client nlm:e2ehost
[ "$out" = "released 2 entries" ] || fail "clear-client said '$out'"
ok clear-client smb:192.0.2.7 --json
check "assert d == {'released': 1}"
code 5 clear-client nlm:e2ehost
ok locks --json
check "assert [x['id'] for x in d['entries']] == [$SHM]"
ok test del "$SHM"
code 5 test del "$SHM"
ok share del export
ok shares --json
check "assert [s['id'] for s in d['shares']] == [0]"

# --- config and limits ----------------------------------------------------
ok config
has "limit-file    4096"
ok config --json
check "assert d['limits']['file'] == 4096 and isinstance(d['limit_hits'], int)"
ok config --limit-file 2 --limit-client 100
ok config --json
check "assert d['limits']['file'] == 2 and d['limits']['client'] == 100"
ok test add "$F" --proto nlm --kind lock --client limits --start 0 --len 1
A=$out
ok test add "$F" --proto nlm --kind lock --client limits --start 1 --len 1
B=$out
code 1 test add "$F" --proto nlm --kind lock --client limits --start 2 --len 1
grep -q "limit_file" "$T/err" || fail "no reason for the limit: $(cat "$T/err")"
ok status --json
check "assert d['limit_hits'] >= 1"
ok config --limit-file 4096 --limit-client 262144
ok test del "$A"
ok test del "$B"

# --- a dump of many batches while the table changes -------------------------
# 400 entries take many netlink messages; a background loop keeps adding and
# removing another entry, so dumps get NLM_F_DUMP_INTR and are retried. Every
# entry that exists throughout must still be listed exactly once.
i=0
while [ $i -lt 400 ]; do
	"$X" test add "$F" --proto nlm --kind lock --client bulk --start $i --len 1 >/dev/null ||
		fail "bulk test add $i"
	i=$((i + 1))
done
rm -f "$T/stop"
(
	while [ ! -e "$T/stop" ]; do
		id=$("$X" test add "$F" --proto smb --kind lock --client churn --fid 1) &&
			"$X" test del "$id"
	done
) >/dev/null 2>&1 &
CH=$!
for n in 1 2 3; do
	ok locks --json
	check "ids = [x['id'] for x in d['entries'] if x['client'] == 'nlm:bulk']
assert len(ids) == 400 and len(set(ids)) == 400, len(ids)
assert len(d['entries']) - len(ids) <= 1"
	log "dump $n under churn: ${out%%,*} ... $(wc -c <"$T/err") bytes on stderr: $(cat "$T/err")"
done
# strace slows every receive down so that each dump spans many changes: all
# 1 + 3 attempts are interrupted, and the last list comes with a warning.
strace -f -qq -o "$T/strace" -e trace=sendmsg,recvmsg -e inject=recvmsg:delay_exit=50000 \
	"$X" locks --json >"$T/slow.json" 2>"$T/err" || fail "slowed dump: $(cat "$T/err")"
# strace names the flags of a dump for an unknown family NLM_F_ROOT|NLM_F_MATCH.
n=$(grep -cE 'sendmsg\(.*(NLM_F_DUMP|NLM_F_ROOT|0x300)' "$T/strace")
log "slowed dump: $n dump requests, $(grep -c 'recvmsg(' "$T/strace") receives; $(cat "$T/err")"
grep -q "kept changing" "$T/err" || fail "no warning after interrupted dumps ($n dumps)"
[ "$n" -eq 4 ] || fail "expected 4 dump requests, saw $n: $(grep sendmsg "$T/strace" | cut -c1-300)"
out=$(cat "$T/slow.json")
check "ids = [x['id'] for x in d['entries'] if x['client'] == 'nlm:bulk']
assert len(ids) == 400 and len(set(ids)) == 400, len(ids)"
ok locks --client nlm:bulk
[ "$(printf '%s\n' "$out" | wc -l)" -eq 401 ] || fail "text dump of 400 entries: $(printf '%s\n' "$out" | wc -l) lines"
touch "$T/stop"
wait "$CH"
ok clear-client nlm:bulk
[ "$out" = "released 400 entries" ] || fail "clear-client bulk said '$out'"

# --- permissions, bad input -------------------------------------------------
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
out=$($NOBODY "$X" status --json) || fail "status as nobody: $out"
rc=0
$NOBODY "$X" locks 2>"$T/err" || rc=$?
[ "$rc" -eq 4 ] || fail "locks as nobody: exit $rc, expected 4 ($(cat "$T/err"))"
log "exit 4 as expected: $(cat "$T/err")"
rc=0
$NOBODY "$X" events 2>"$T/err" || rc=$?
[ "$rc" -eq 4 ] || fail "events as nobody: exit $rc, expected 4 ($(cat "$T/err"))"
rc=0
$NOBODY "$X" share add /tmp 2>"$T/err" || rc=$?
[ "$rc" -eq 4 ] || fail "share add as nobody: exit $rc, expected 4 ($(cat "$T/err"))"

LONG=$(printf '%0100d' 0)
for args in "status --bogus" "bogus" "break abc" "break -1" "break 1x" "break 1 --to XYZ" \
	"break 1 --to H" "break 99999999999999999999999" "test del 12x" "test del" \
	"locks --path relative/missing" "locks --path /no/such/file" "locks --share" \
	"locks --client $LONG" "share add ./no-such-dir" "share add $EXPORT --name 12" \
	"share add $EXPORT --name a/b" "share add $EXPORT --grace 0" "share set 0" \
	"share add $EXPORT --break-timeout 5" "config --limit-total -5" "config --limit-file 0x10" \
	"test add $F --proto nfs --kind lock --client c" "test add $F --proto smb --kind lease --client c --state W" \
	"test add $F --proto smb --kind lease --client c --state R --lease-key 12zz" \
	"test add $F --proto nlm --kind share --client c" "test add $F --proto smb --kind share --client c" \
	"test add $F --proto nlm --kind lock --client c --start 10 --end 5" \
	"test add $F --proto nlm --kind lock --client c --start 2 --len 18446744073709551615" \
	"test add $F --proto smb --kind share --client c --access rwx --allow r" \
	"test add relative/missing --proto nlm --kind lock --client c" "clear-client" \
	"help nosuch" "test" "events --now"; do
	# shellcheck disable=SC2086 # word splitting wanted
	"$X" $args >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "xlockctl $args: exit $rc, expected 2 ($(cat "$T/err"))"
	[ -s "$T/err" ] || fail "xlockctl $args: no message"
done
code 2 locks --client ""
code 5 break 4294967296
ok locks --json
check "assert d['entries'] == []"
"$X" share >/dev/null || fail "bare 'share' does not list"

# --- module not loaded ----------------------------------------------------
xlock_unload || fail "cannot unload xlock"
code 3 status
code 3 locks
xlock_load || fail "cannot reload xlock"
log "all xlockctl checks passed"
