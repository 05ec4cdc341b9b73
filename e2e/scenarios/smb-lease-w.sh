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
. "$XLOCK_DIR/e2e/guest/xproto.sh"
[ "$MODE" = xlock ] || skip "checks the table: xlock lane only"
xsetup

# The lease states the table lists for file $1, sorted, space-separated.
table_leases() {
	"$XLOCKCTL" --json locks --path "$EXPORT/$1" | /usr/bin/python3 -c '
import json, sys
print(" ".join(sorted(x["state"] for x in json.load(sys.stdin)["entries"] if x["kind"] == "lease")))'
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
