# SPDX-License-Identifier: GPL-2.0
# I3 (behaviour.md §7): the table agrees with what ksmbd granted, also
# after ksmbd's own SMB-vs-SMB lease breaks (findings.md, issue 10). Client
# A holds a lease with W and acks breaks at once; client B opens the same
# file asking for the same lease: ksmbd breaks A itself (RWH -> RH, RW ->
# R), A acks through SMB2 OPLOCK_BREAK, and B gets the reduced lease. The
# table must then list A's lease at the acked state: without following
# those acks it kept RWH / RW (what the torture oracle reported as I3).
# Then a stock quirk: after an open with no lease, stock ksmbd grants A an
# RWH lease beside it (it looks only at the newest open's oplock), and A
# would cache writes and locks beside another client's open (I4 in the
# torture run); xlock grants W only to a sole open: A gets RH.
# And two breaks ksmbd starts on its own with no ack to follow: another
# open's write breaks an R lease to none at once (the table kept R), and
# an SMB unlock waits in ksmbd for the other opens' acks after the VFS
# released the lock (the table listed it until then); both were the
# torture long run's table samples (I1, I2; README "Concurrency").
. "$XLOCK_DIR/e2e/guest/xproto.sh"
[ "$MODE" = xlock ] || skip "checks the table: xlock lane only"
xsetup

# The lease states the table lists for file $1, sorted, space-separated.
table_leases() {
	"$XLOCKCTL" --json locks --path "$EXPORT/$1" | /usr/bin/python3 -c '
import json, sys
print(" ".join(sorted(x["state"] or "none" for x in json.load(sys.stdin)["entries"] if x["kind"] == "lease")))'
}

# What happened, for the log: each client's lines and the file's entries.
show() {
	for o in "$@"; do log "$o: $(tr '\n' ';' <"$o")"; done
	"$XLOCKCTL" locks --path "$EXPORT/$f" 2>&1 | while read -r l; do log "table: $l"; done
}

# ksmbd's own break of A's lease $1 by B's open asking $1; A ends with $2.
smb_vs_smb() {
	f=$(fresh "lw$1")
	smb_bg "/tmp/lw-a$1.out" "$f" open:"$1" hold:900
	smb_bg "/tmp/lw-b$1.out" "$f" open:"$1" hold:900
	a=$(smb_settle "/tmp/lw-a$1.out" 20 "$2")
	b=$(smb_state "/tmp/lw-b$1.out")
	# The ack is answered before the hook records it: give it a moment.
	n=0
	while [ "$(table_leases "$f")" != "$2 $2" ] && [ $n -lt 10 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	t=$(table_leases "$f")
	log "A asked $1 and holds $a after the ack, B holds $b; table: $t"
	show "/tmp/lw-a$1.out" "/tmp/lw-b$1.out"
	cell "smb-vs-smb-break-$1" "$2/$2/$2 $2" "-" "$a/$b/$t"
	xkill
}

smb_vs_smb RWH RH
smb_vs_smb RW R

# The byte-range locks the table lists for file $1: "mode start-end" each.
table_locks() {
	"$XLOCKCTL" --json locks --path "$EXPORT/$1" | /usr/bin/python3 -c '
import json, sys
print(";".join(sorted("%s %d-%d" % (x["mode"], x["start"], x["end"])
                      for x in json.load(sys.stdin)["entries"] if x["kind"] == "lock")) or "none")'
}

# ksmbd's own break that needs no ack: B's write breaks A's R lease to
# none (smb_break_all_levII_oplock) with nothing to follow; the table kept
# R (the torture run's I1 samples: R beside an exclusive NLM lock).
f=$(fresh lwr)
smb_bg /tmp/lw-r-a.out "$f" open:R hold:900
smb_bg /tmp/lw-r-b.out "$f" open:none write:0:bbbb hold:900
wait_for 20 grep -q "^break R->none" /tmp/lw-r-a.out
n=0
while [ "$(table_leases "$f")" != none ] && [ $n -lt 6 ]; do
	sleep 0.5
	n=$((n + 1))
done
t=$(table_leases "$f")
log "A held R, B wrote: A saw $(smb_broke /tmp/lw-r-a.out), table: $t"
show /tmp/lw-r-a.out /tmp/lw-r-b.out
cell "own-break-no-ack" "break/none" "-" "$(smb_broke /tmp/lw-r-a.out)/${t:-absent}"
xkill

# ksmbd's SMB2 LOCK unlocks in the VFS, then breaks the other opens'
# leases and waits for their acks (smb_break_all_oplock: up to 35 s for
# a client that never acks); the table followed only after that, so it
# listed A's released lock while NLM got the range (the torture run's I2
# samples). B acks after 8 s: A's unlock waits that long, and while it
# does (before and after the table is read), the table must list no lock.
f=$(fresh lwu)
rm -f /tmp/lw-u-go
smb_bg /tmp/lw-u-a.out "$f" open:none lock:0:100:x waitfile:/tmp/lw-u-go unlock:0:100 hold:900
wait_for 20 grep -q "^lock granted" /tmp/lw-u-a.out || fail "A's lock: $(cat /tmp/lw-u-a.out)"
smb_bg /tmp/lw-u-b.out --ack 8000 "$f" open:RH hold:900
t1=$(table_locks "$f")
waiting() { grep -q "^unlock ok" /tmp/lw-u-a.out && echo answered || echo waiting; }
t0=$(now)
touch /tmp/lw-u-go
sleep 2
w1=$(waiting)
t=$(table_locks "$f")
v=$(awk -v i=":$(stat -c %i "$EXPORT/$f")" '$2 == "POSIX" && index($6, i)' /proc/locks | wc -l)
w2=$(waiting)
wait_for 40 grep -q "^unlock ok" /tmp/lw-u-a.out
log "A unlocked at 0, B acks after 8 s: A's unlock answered after $(since "$t0") s; the table listed $t1 before it; at 2 s it was $w1, VFS locks $v, table: $t, still $w2; then $(table_locks "$f")"
show /tmp/lw-u-a.out /tmp/lw-u-b.out
cell "unlock-before-own-break" "excl 0-99/waiting/0/none/waiting" "-" "$t1/$w1/$v/$t/$w2"
xkill

# A break that a later one superseded (a0349e3): A holds RWH, acks the
# first break after 1 s and never the second. An NFS read breaks A to RH
# (nfsd waits for the ack); once A has that break, an exclusive NLM lock
# needs none: a second break while the first is in flight (lockd's thread
# waits for the ack, lockd_wait_ms). A's ack leaves RH, the lock is
# granted beside a lease still breaking, and the first break's end
# (delayed 1.5 s by the break_end_delay_ms test knob, so it comes after
# the grant) must leave the entry breaking until the second ends (revoked
# 5 s on). Before a0349e3 it cleared the mark: a settled RH lease beside
# the exclusive lock (the torture run's I1).
P=/sys/module/xlock/parameters
wait0=$(cat $P/lockd_wait_ms)

# Ten samples of file $1's leases beside an exclusive NLM lock, 0.3 s
# apart: "state>break_to" ("-": no break in flight), "-" with no such lock.
# $2 "held": an exclusive NFSv4 lock is held (the table does not list
# those: they are read from the VFS).
lease_samples() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		"$XLOCKCTL" --json locks --path "$EXPORT/$1" | /usr/bin/python3 -c '
import json, sys
e = json.load(sys.stdin)["entries"]
lock = sys.argv[1] == "held" or any(x["proto"] == "nlm" and x["mode"] == "excl" for x in e)
print(",".join("%s>%s" % (x["state"] or "none",
                           "-" if x["break_to"] is None else x["break_to"] or "none")
               for x in e if x["kind"] == "lease" and lock) or "-")' "${2:-}"
		sleep 0.3
	done | tr '\n' ' '
}

# How many of the samples $1 show a settled lease (R or W kept, no break
# in flight) beside the exclusive lock: I1.
settled_in() {
	echo "$1" | tr ' ' '\n' | grep -c -E '^[RWH]*[RW][RWH]*>-$' || true
}
knobs() { echo "$2" >$P/break_end_delay_ms && echo "$1" >$P/lockd_wait_ms; }
knobs 8000 1500 || fail "no break_end_delay_ms parameter"
f=$(fresh lws)
smb_bg /tmp/lw-s-a.out --ack 1000,no "$f" open:RWH hold:900
cat "$NFS_MNT/$f" >/dev/null &
BG_PIDS="$BG_PIDS $!"
wait_for 10 grep -q "^break RWH->RH" /tmp/lw-s-a.out ||
	{ knobs "$wait0" 0; fail "no break of A: $(cat /tmp/lw-s-a.out)"; }
$LOCKF "$NFS_MNT/$f" w --len 100 --hold 20 >/tmp/lw-s-l.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 20 grep -q "^granted" /tmp/lw-s-l.out
# Sample the table while the second break is in flight.
samples=$(lease_samples "$f")
knobs "$wait0" 0
settled=$(settled_in "$samples")
# The window was reached: RH breaking to none beside the lock (else the
# lock was decided only after the first break's end: nothing was tested).
reached=$(echo "$samples" | tr ' ' '\n' | grep -q '^RH>none$' && echo reached || echo missed)
log "lock $(head -n 1 /tmp/lw-s-l.out); lease beside the exclusive lock: $samples; settled in $settled"
show /tmp/lw-s-a.out
cell "superseded-break-stays-breaking" "granted/0/reached" "-" \
	"$(head -n 1 /tmp/lw-s-l.out | cut -d" " -f1)/$settled/$reached"
xkill

# An SMB unlock frees the VFS range before the table drops the SMB lock
# (the torture run's I1, seed 399643065: an NLM lock granted there beside
# an RH lease of the unlocking open, never broken). The test knob
# smb_lock_sync_delay_ms holds that window open for 3 s. A blocked NLM
# request, woken by the VFS, must wait for the table and then break RH
# (an exclusive lock keeps no R); one that arrives in the window is
# denied: the SMB unlock has not been answered yet.
lsd() { echo "$1" >$P/smb_lock_sync_delay_ms; }
lsd 3000 || fail "no smb_lock_sync_delay_ms parameter"
f=$(fresh lwu)
smb_bg /tmp/lw-u-a.out --ack no "$f" open:RH lock:0:10:x hold:4 unlock:0:10 hold:900
wait_for 20 grep -q "^lock granted" /tmp/lw-u-a.out || { lsd 0; fail "SMB lock: $(cat /tmp/lw-u-a.out)"; }
$LOCKF "$NFS_MNT/$f" w --wait --hold 20 --timeout 40 >/tmp/lw-u-l.out 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_for 30 grep -q -e "^granted" -e "^denied" /tmp/lw-u-l.out
samples=$(lease_samples "$f")
settled=$(settled_in "$samples")
blocked=$(awk '/^granted/ { print ($2 >= 2) ? "blocked" : "at-once" }' /tmp/lw-u-l.out)
broke=$(grep -q "^break RH->none" /tmp/lw-u-a.out && echo broke || echo nobreak)
log "lock $(head -n 1 /tmp/lw-u-l.out); lease beside the exclusive lock: $samples; settled in $settled"
show /tmp/lw-u-a.out
cell "unlock-wakes-nlm-waiter-lease-broken" "granted/blocked/0/broke" "-" \
	"$(head -n 1 /tmp/lw-u-l.out | cut -d" " -f1)/${blocked:-none}/$settled/$broke"
xkill

# Client A locks and unlocks a fresh file $f under RH; once the VFS lets
# A's lock go (the table's window), an exclusive lock over mount $1:
# lockf's answer in $res, "in-window" in $inwin if A's unlock was not
# answered yet. lockf opens the file (for write) first: an NFS open for
# write after A's would break RH itself (C10).
window_lock() {
	f=$(fresh "lw$2")
	ino=$(stat -c %i "$EXPORT/$f")
	rm -f "/tmp/go.lw$2"
	$LOCKF "$1/$f" w --after "/tmp/go.lw$2" --hold 20 --timeout 60 >"/tmp/lw-$2-l.out" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	wait_for 20 grep -q opened "/tmp/lw-$2-l.out" || { lsd 0; fail "lockf did not open"; }
	smb_bg "/tmp/lw-$2-a.out" --ack no "$f" open:RH lock:0:10:x hold:4 unlock:0:10 hold:900
	wait_for 20 grep -q "^lock granted" "/tmp/lw-$2-a.out" ||
		{ lsd 0; fail "SMB lock: $(cat "/tmp/lw-$2-a.out")"; }
	# The moment the VFS lets go: ksmbd's lock leaves /proc/locks.
	wait_for 20 vfs_free || { lsd 0; fail "the SMB lock stayed in the VFS"; }
	touch "/tmp/go.lw$2"
	wait_for 20 grep -q -e "^granted" -e "^denied" "/tmp/lw-$2-l.out"
	inwin=$(grep -q "^unlock ok" "/tmp/lw-$2-a.out" && echo late || echo in-window)
	res=$(grep -m 1 -e "^granted" -e "^denied" "/tmp/lw-$2-l.out")
}
vfs_free() { ! awk -v i=":$ino\$" '$6 ~ i { f = 1 } END { exit !f }' /proc/locks; }

window_lock "$NFS_MNT" v
log "NLM lock in the unlock window: $res; A: $(tr '\n' ';' </tmp/lw-v-a.out)"
cell "nlm-lock-in-unlock-window-denied" "denied/in-window" "-" "${res%% *}/$inwin"
xkill

# NFSv4: nfsd decides a lock the table denies (its own denial keeps
# NFSv4.0's seqids in step); granted in the window, the RH break is due.
NFS4_MNT=/mnt/nfs4
nfs_mount_up 4.2 "$NFS4_MNT" || { lsd 0; fail "NFSv4.2 mount failed"; }
window_lock "$NFS4_MNT" w
held=$(grep -q "^granted" /tmp/lw-w-l.out && echo held)
samples=$(lease_samples "$f" "$held")
settled=$(settled_in "$samples")
broke=$(grep -q "^break RH->none" /tmp/lw-w-a.out && echo broke || echo nobreak)
lsd 0
log "NFSv4 lock in the unlock window: $res; lease beside it: $samples; A: $(tr '\n' ';' </tmp/lw-w-a.out)"
grant=$(sed -n 's/^open granted=//p' /tmp/lw-w-a.out)
cell "nfs4-lock-in-unlock-window-lease-broken" "RH/granted/in-window/0/broke" "-" \
	"$grant/${res%% *}/$inwin/$settled/$broke"
xkill

f=$(fresh lwn)
smb_bg /tmp/lw-c.out "$f" open:none hold:900
smb_bg /tmp/lw-a.out "$f" open:RWH hold:900
smb_bg /tmp/lw-b.out "$f" open:RWH hold:900
sleep 1
a=$(sed -n 's/^open granted=//p' /tmp/lw-a.out)
b=$(smb_state /tmp/lw-b.out)
t=$(table_leases "$f")
log "after an open with no lease: A was granted $a, B holds $b; table: $t"
show /tmp/lw-c.out /tmp/lw-a.out /tmp/lw-b.out
cell "no-w-beside-other-opens" "RH/RH/RH RH" "-" "$a/$b/$t"
xdone
