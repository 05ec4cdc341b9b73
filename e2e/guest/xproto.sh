# SPDX-License-Identifier: GPL-2.0
#
# Cross-protocol scenarios (e2e/scenarios/x-*.sh) source this after lib.sh.
# Each runs twice: with xlock (MODE=xlock, expecting coherence) and with
# the module absent (-o noxlock, MODE=stock, expecting the stock kernel's
# gap). A cell names both expectations; the scenario fails if any cell got
# something else. Cells go to /results/matrix.tsv:
#   scenario <TAB> cell <TAB> mode <TAB> expected <TAB> got <TAB> PASS|FAIL

MODE=xlock
has_opt noxlock && MODE=stock
SCEN=${XLOCK_SCENARIO:-x}
SMBOP="/usr/bin/python3 $XLOCK_DIR/e2e/tools/smbop.py"
LOCKF="/usr/bin/python3 $XLOCK_DIR/e2e/tools/lockf.py"
NLMTEST="/usr/bin/python3 $XLOCK_DIR/e2e/tools/nlmtest.py"
HOLDER="/usr/bin/python3 $XLOCK_DIR/e2e/tools/holder.py"
NFS4OP="/usr/bin/python3 $XLOCK_DIR/e2e/tools/nfs4op.py"
MATRIX=/results/matrix.tsv
CELLS_FAILED=0
CELLS_FAILED_NAMES=
BG_PIDS=

xsetup() {
	env_up
	if [ "$MODE" = xlock ]; then
		# Tests use a 5 s lease break timeout (behaviour.md §6).
		"$XLOCKCTL" share set 0 --break-timeout "${XLOCK_BREAK_MS:-5000}" >/dev/null ||
			fail "cannot set the break timeout"
	fi
}

# Over NFSv4 without xlock, an SMB open of a file the NFS client holds a
# delegation on fails (V3's stock gap: ksmbd does not wait for the recall):
# smbop's answer, and what smb_state and a cifs holder report for it.
V3_GAP=STATUS_UNEXPECTED_IO_ERROR
v3_gap_lane() { [ "$MODE" = stock ] && [ "$NFS_VERS" != 3 ]; }
# Is answer $1 that failure (smbop's status, or io-error below)?
is_v3_gap() { case $1 in *$V3_GAP*|io-error) return 0 ;; esac; return 1; }

# cell NAME EXPECTED_WITH_XLOCK EXPECTED_STOCK GOT
# In the stock lane over NFSv4, V3's gap is the stock answer of any cell
# whose SMB open met the NFS client's delegation (never xlock's answer).
cell() {
	if [ "$MODE" = xlock ]; then exp=$2; else exp=$3; fi
	if v3_gap_lane && is_v3_gap "$4" && ! is_v3_gap "$2"; then
		log "cell $1: V3's stock gap over NFSv4 (the SMB open failed under a delegation)"
		exp=$4
	fi
	res=PASS
	if [ "$exp" != "$4" ]; then
		res=FAIL
		CELLS_FAILED=$((CELLS_FAILED + 1))
		CELLS_FAILED_NAMES="$CELLS_FAILED_NAMES $1 (expected '$exp' got '$(printf '%s' "$4" | tr '\n' ' ')')"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$SCEN" "$1" "$MODE" "$exp" "$4" "$res" >>"$MATRIX"
	log "cell $1 [$MODE]: expected '$exp', got '$4': $res"
}

xdone() {
	xkill
	[ "$CELLS_FAILED" -eq 0 ] || fail "$CELLS_FAILED cell(s) failed:$CELLS_FAILED_NAMES"
	log "all cells as expected ($MODE)"
}

# A fresh file on the server with CONTENT (default "orig"); prints its name.
# Each cell uses its own name: the NFS client caches names and attributes.
fresh() {
	n="$SCEN-$1-$(cut -d' ' -f1 /proc/uptime | tr -d .)"
	printf '%s' "${2:-orig}" >"$EXPORT/$n"
	chmod 0666 "$EXPORT/$n"
	echo "$n"
}

# smb_bg OUT ARGS...: smbop in the background; waits for its open.
smb_bg() {
	_out=$1
	shift
	$SMBOP "$@" >"$_out" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	wait_for 60 grep -q -e "open granted" -e "^error" "$_out" ||
		fail "smbop did not open: $(cat "$_out")"
	if grep -q "^error" "$_out"; then
		v3_gap_lane && smb_gap "$_out" >/dev/null && return 0
		fail "smbop: $(cat "$_out")"
	fi
	return 0
}

# Did smbop's open (output $1) fail with V3's stock gap? Then say io-error.
smb_gap() {
	grep -q "^open granted" "$1" && return 1
	grep -q "^error.*$V3_GAP" "$1" || return 1
	echo io-error
}

# The lease smbop's open was granted (or io-error).
smb_granted() { smb_gap "$1" || sed -n 's/^open granted=//p' "$1"; }

# The N-th ($3, default 1) line of smbop output $1 matching $2 (or io-error).
smb_out() { smb_gap "$1" || grep "$2" "$1" | sed -n "${3:-1}p"; }

# The lease state smbop holds now, from its output OUT (or io-error).
smb_state() {
	smb_gap "$1" && return
	sed -n -e 's/^open granted=//p' -e 's/^break [A-Za-z]*->\(.*\)$/\1/p' \
		-e 's/^ack \([A-Za-z]*\).*$/\1/p' "$1" | tail -n 1
}

# Whether smbop saw a lease break: "break" or "nobreak".
smb_broke() {
	grep -q '^break ' "$1" && echo break || echo nobreak
}

# Wait up to $2 s for smbop (output $1) to hold state $3; print what it holds.
smb_settle() {
	wait_for "$2" sh -c "[ \"\$(sed -n -e 's/^open granted=//p' -e 's/^break [A-Za-z]*->\(.*\)\$/\1/p' -e 's/^ack \([A-Za-z]*\).*\$/\1/p' '$1' | tail -n 1)\" = '$3' ]"
	smb_state "$1"
}

# A holder of path $1 (open mode $2) driven through a FIFO; ask with hold_cmd.
hold_path() {
	HOLD_FIFO=/tmp/holder.$$.fifo
	HOLD_OUT=/tmp/holder.$$.out
	rm -f "$HOLD_FIFO" "$HOLD_OUT"
	mkfifo "$HOLD_FIFO"
	$HOLDER "$1" "$HOLD_FIFO" "$2" >"$HOLD_OUT" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	HOLD_GAP=
	wait_for 20 grep -q -e opened -e Error "$HOLD_OUT"
	grep -q opened "$HOLD_OUT" && return 0
	# Its open failed: EIO from the cifs client is V3's stock gap; each
	# command then answers io-error.
	if v3_gap_lane && grep -q "Input/output error" "$HOLD_OUT"; then
		HOLD_GAP=y
		return 0
	fi
	fail "holder of $1 did not open: $(cat "$HOLD_OUT")"
}

# A cifs-side holder of file $1.
hold_start() { hold_path "$SMB_MNT/$1" "${2:-rw}"; }

# An NFSv4 holder of file $1 (mode $2) through the scenario's NFSv4 mount
# $NFS4_MNT.
nfs4_hold() { hold_path "$NFS4_MNT/$1" "$2"; }

# The delegation nfsd holds on file $1 now: r, w or none.
deleg() {
	d=$(cat /proc/fs/nfsd/clients/*/states 2>/dev/null |
		sed -n "/type: deleg.*\/$1\"/s/.*access: \([rw]\).*/\1/p" | head -n 1)
	echo "${d:-none}"
}

# deleg_is FILE r|w|none (for wait_for: the states file can list a
# delegation a little after the holder's open returned).
deleg_is() { [ "$(deleg "$1")" = "$2" ]; }

# hold_cmd COMMAND: prints the holder's answer line.
hold_cmd() {
	[ -z "${HOLD_GAP:-}" ] || { echo io-error; return; }
	_n=$(wc -l <"$HOLD_OUT")
	timeout 30 sh -c 'echo "$1" >"$2"' - "$*" "$HOLD_FIFO" || fail "holder gone: $(cat "$HOLD_OUT")"
	wait_for 60 sh -c "[ \$(wc -l <'$HOLD_OUT') -gt $_n ]" || fail "holder: no answer to $*"
	tail -n 1 "$HOLD_OUT"
}

hold_stop() {
	[ -n "${HOLD_GAP:-}" ] || hold_cmd close >/dev/null
	rm -f "$HOLD_FIFO"
}

# Does nfsd list NFSv4 state of type $1 (open, lock, deleg) for file $2?
nfs4_has() { cat /proc/fs/nfsd/clients/*/states 2>/dev/null | grep -q "type: $1.*/$2\""; }
nfs4_state() { nfs4_has "$1" "$2" && echo yes || echo no; }

# The NFSv4 holders `xlockctl locks --path` lists on file $1 of the export,
# one "KIND WHAT client-ok" line each (client-ok: "nfs4:<id>@127.0.0.1");
# nothing without xlock.
nfs4_holders() {
	[ "$MODE" = xlock ] || return 0
	"$XLOCKCTL" locks --path "$EXPORT/$1" --json | /usr/bin/python3 -c '
import json, re, sys
for e in json.load(sys.stdin)["entries"]:
    if e["proto"] != "nfs4":
        continue
    ok = re.fullmatch(r"nfs4:[0-9a-f]{16}@127\.0\.0\.1", e["client"]) and e["client_addr"] == "127.0.0.1"
    if e["kind"] == "share":
        what = "access=%s allow=%s" % (e["access"], e["allow"])
    else:
        what = e.get("deleg") or "%s %d-%d" % (e["mode"], e["start"], e["end"])
    print(e["kind"], what, "client-ok" if ok else "client=" + e["client"])'
}

# Write TEXT to file PATH (append) and fsync, so that an NFS error shows:
# prints "" on success, else the error.
nfs_append() {
	/usr/bin/python3 -c '
import os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
    os.write(fd, sys.argv[2].encode())
    os.fsync(fd)
    os.close(fd)
except OSError as e:
    print(e.strerror)' "$1" "$2"
}

# Kill background helpers still running.
xkill() {
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	BG_PIDS=
	wait 2>/dev/null
	return 0
}

# smb_answer FILE N: the N-th answer to an open in smbop output FILE: the
# lease granted, or of an error its status name only.
smb_answer() {
	grep -e "^open granted" -e "^error" "$1" | sed -n "$2p" |
		sed -e 's/^error .*\(STATUS_[A-Z_]*\).*/error \1/' -e 's/(.*//; s/ *$//'
}

# Seconds elapsed since $1 (a value of "now").
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
# Bucket a duration: fast (<1 s), slow (1-25 s), poll (>=25 s).
speed() { echo "$1" | awk '{ print ($1 < 1) ? "fast" : ($1 < 25) ? "slow" : "poll" }'; }
