# SPDX-License-Identifier: GPL-2.0
# The tracepoints (kmod/core/xlock_trace.h) as a witness of ordering: an NFS
# write under an SMB RWH lease is requested, breaks the lease, sees the ack
# and only then is decided; a client that never acks is timed out before
# the write goes on; an NLM lock against an SMB lock is requested, then
# denied; grace starts before it ends. Clients show as hashes only; ops,
# verdicts and results by name (no enum left unresolved in any event's
# format), files as dev=MAJOR:MINOR ino=N.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
XLOCK_BREAK_MS=2000 xsetup

T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T || fail "mount tracefs"
[ -d $T/events/xlock ] || fail "no events/xlock in tracefs"
for e in request verdict grace_verdict reclaim break_sent break_acked break_timeout \
	 grace_start grace_end; do
	[ -d "$T/events/xlock/xlock_$e" ] || fail "tracepoint xlock_$e missing"
done
# Every enum an event prints is resolved in its format (TRACE_DEFINE_ENUM):
# a tool reading the raw buffer needs the values, not the C names.
cell "formats-resolve-enums" 0 0 "$(cat $T/events/xlock/*/format | grep -c 'XLOCK_')"
echo 8192 >$T/buffer_size_kb
echo 1 >$T/events/xlock/enable || fail "enable events/xlock"

# Time (us) and number of the breaks that ended in the cases so far, from
# xlock_break_acked's after_us, collected before each clear.
BREAK_US=0
BREAKS=0
breaks_add() {
	set -- $(sed -n 's/^.* xlock_break_acked: .* after_us=\([0-9]*\)$/\1/p' $T/trace |
		awk '{ s += $1; n++ } END { print s + 0, n + 0 }')
	BREAK_US=$((BREAK_US + $1))
	BREAKS=$((BREAKS + $2))
}
# The histogram's _sum (seconds) in xlockctl metrics.
break_sum() { "$XLOCKCTL" metrics | sed -n 's/^xlock_break_duration_seconds_sum //p'; }
SUM0=$(break_sum)

# trace_case NAME: clear the buffer for the next case.
trace_case() { breaks_add; : >$T/trace; log "trace case $1"; }
# The xlock events on inode $1, one "event field=value..." line each.
trace_of() {
	sed -n "s/^.* \(xlock_[a-z_]*\): \(.*dev=[0-9]*:[0-9]* ino=$1 .*\)\$/\1 \2/p" $T/trace
}
# verdicts OP FILE: "verdict/result" of each xlock_verdict of OP on FILE.
verdicts() {
	trace_of "$2" | sed -n "s/^xlock_verdict .* op=$1 verdict=\([a-z]*\) .*result=\([a-z]*\) .*/\1\/\2/p"
}
# order EVENTS FILE: the events of FILE in the order given, as a sequence of
# first occurrences, must appear in that order: prints "ordered" or what came.
order() {
	trace_of "$2" | awk -v want="$1" '
		BEGIN { n = split(want, w, " ") }
		{ seen = seen " " $1 }
		i < n && $1 == w[i + 1] { i++ }
		END { if (i == n) print "ordered"; else print "got:" seen }'
}

# 1. NFS write under RWH: request -> break_sent -> break_acked -> verdict.
# The client's LOOKUP returns the file's attributes, so W is broken there
# (C9, an nfs_read that waits for the ack); the write breaks what is left.
trace_case write-vs-RWH
f=$(fresh tr-write)
ino=$(stat -c %i "$EXPORT/$f")
smb_bg /tmp/smb.out "$f" open:RWH hold:30
printf 'nfs' >>"$NFS_MNT/$f" || fail "NFS write"
smb_settle /tmp/smb.out 8 none >/dev/null
sleep 1
cell "write-vs-RWH-order" ordered ordered \
     "$(order "xlock_request xlock_break_sent xlock_break_acked xlock_verdict" "$ino")"
v=$(verdicts nfs_read "$ino")
cell "write-vs-RWH-verdicts" "break/undecided..grant/go break/go" "break/undecided..grant/go break/go" \
     "$(echo "$v" | head -n 1)..$(echo "$v" | tail -n 1) $(verdicts nfs_write "$ino" | head -n 1)"
# The file as xlockctl names it: dev=MAJOR:MINOR ino=N.
cell "write-vs-RWH-file" "dev=$(stat -c %Hd:%Ld "$EXPORT/$f") ino=$ino" \
     "dev=$(stat -c %Hd:%Ld "$EXPORT/$f") ino=$ino" \
     "$(grep -o "xlock_request: dev=[0-9]*:[0-9]* ino=$ino " $T/trace | head -n 1 |
	sed 's/^xlock_request: //; s/ $//')"
xkill

# 2. A client that never acks: the break times out, then the write goes on.
trace_case write-vs-RH-no-ack
f=$(fresh tr-noack)
ino=$(stat -c %i "$EXPORT/$f")
smb_bg /tmp/smb.out --ack no "$f" open:RH hold:30
rm "$NFS_MNT/$f" || fail "NFS remove (no ack)"
sleep 1
cell "remove-vs-RH-no-ack-order" ordered ordered \
     "$(order "xlock_request xlock_break_sent xlock_break_timeout xlock_break_acked" "$ino")"
xkill

# 3. NLM lock against an SMB byte-range lock: request -> verdict deny.
trace_case nlm-lock-vs-smb
f=$(fresh tr-lock)
ino=$(stat -c %i "$EXPORT/$f")
smb_bg /tmp/smb.out "$f" open:none lock:0:100:x hold:30
wait_for 20 grep -q "lock granted" /tmp/smb.out || fail "SMB lock: $(cat /tmp/smb.out)"
out=$($LOCKF "$NFS_MNT/$f" w --len 10 --timeout 20)
log "NLM lock against the SMB lock: $out"
cell "nlm-lock-vs-smb-order" ordered ordered "$(order "xlock_request xlock_verdict" "$ino")"
cell "nlm-lock-vs-smb-verdict" deny/deny deny/deny \
     "$(verdicts nlm_lock "$ino" | sort -u | tr '\n' ' ' | sed 's/ $//')"
xkill

# 4. No raw client identifier in the trace: the NLM caller name (this
# host's name) and the SMB client's address never appear.
host=$(hostname)
raw=$(grep -c -e "$host" -e "127\.0\.0\.1" $T/trace)
cell "no-raw-client-names" 0 0 "$raw"

# 5. The break time histogram's _sum grew by the time of the breaks that
# ended here, as the trace measured each (to the microsecond the trace
# truncates to, and a little for the two clock reads): not an estimate
# from bucket bounds, and a timed-out break counts its real time.
breaks_add
: >$T/trace
grew=$(awk -v a="$SUM0" -v b="$(break_sum)" 'BEGIN { printf "%d", (b - a) * 1e6 }')
log "breaks: $BREAKS ended, $BREAK_US us in the trace; histogram sum grew by $grew us"
cell "break-sum-is-true" yes yes "$(awk -v g="$grew" -v t="$BREAK_US" -v n="$BREAKS" \
	'BEGIN { d = g - t; if (d < 0) d = -d; print (n >= 2 && d <= 1000 * n + 1000) ? "yes" : "no" }')"

# 6. Grace: start before end, with the counts.
trace_case grace
"$XLOCKCTL" grace start --seconds 30 >/dev/null 2>&1 || true
"$XLOCKCTL" grace end >/dev/null 2>&1
g=$(sed -n 's/^.* \(xlock_grace_[a-z]*\): .*/\1/p' $T/trace | tr '\n' ' ')
cell "grace-start-then-end" "xlock_grace_start xlock_grace_end " \
     "xlock_grace_start xlock_grace_end " "$g"

echo 0 >$T/events/xlock/enable
xdone
