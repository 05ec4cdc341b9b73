# SPDX-License-Identifier: GPL-2.0
# Peer regression: smbtorture's smb2.lock, smb2.lease and smb2.oplock tests
# against ksmbd, first without xlock (the stock pass set), then with it.
# Every test that passes on the stock kernel must pass with xlock loaded.
# A chosen subset by default; the option "full" runs every test of the
# three suites. Results: /results/smbtorture.tsv (test, stock, xlock).
# The subset: every test of the three suites that passes on stock ksmbd in
# this harness and finishes quickly, plus three lease tests (all of
# smb2.lease fails on stock ksmbd 6.12: they still drive leases through
# xlock's hooks, and a crash would show).
SUBSET="smb2.lock.valid-request smb2.lock.rw-none smb2.lock.rw-shared
smb2.lock.rw-exclusive smb2.lock.auto-unlock smb2.lock.async smb2.lock.cancel
smb2.lock.errorcode smb2.lock.zerobytelength smb2.lock.unlock
smb2.lock.multiple-unlock smb2.lock.stacking smb2.lock.contend smb2.lock.context
smb2.lock.truncate smb2.lease.request smb2.lease.break smb2.lease.oplock
smb2.oplock.exclusive1 smb2.oplock.exclusive3 smb2.oplock.batch1
smb2.oplock.batch2 smb2.oplock.batch3 smb2.oplock.batch4 smb2.oplock.batch5
smb2.oplock.batch6 smb2.oplock.brl1 smb2.oplock.brl2 smb2.oplock.brl3"
if has_opt full; then
	TESTS=$(smbtorture --list 2>/dev/null | sed -n 's/^\(smb2\.\(lock\|lease\|oplock\)\.[^.]*\)\..*/\1/p')
else
	TESTS=$SUBSET
fi
OUT=/results/smbtorture.tsv

run_set() { # mode
	for t in $TESTS; do
		if timeout 90 smbtorture "//127.0.0.1/share" -U "$SMB_USER%$SMB_PASS" \
			--option=torture:sharedelay=100000 "$t" >/tmp/torture.out 2>&1; then
			r=pass
		else
			r=fail
		fi
		echo "$t $1 $r" >>/tmp/torture.res
	done
}

XLOCK_OPTS="${XLOCK_OPTS},noxlock"
env_up
xlock_unload || fail "rmmod xlock"
: >/tmp/torture.res
run_set stock
xlock_load || fail "insmod xlock"
"$XLOCKCTL" share set 0 --break-timeout 5000 >/dev/null
run_set xlock
regress=0
: >"$OUT"
for t in $TESTS; do
	s=$(awk -v t="$t" '$1 == t && $2 == "stock" { print $3 }' /tmp/torture.res)
	x=$(awk -v t="$t" '$1 == t && $2 == "xlock" { print $3 }' /tmp/torture.res)
	printf '%s\t%s\t%s\n' "$t" "$s" "$x" >>"$OUT"
	if [ "$s" = pass ] && [ "$x" != pass ]; then
		log "REGRESSION: $t passes on stock, fails with xlock"
		regress=$((regress + 1))
	fi
done
log "stock passes $(grep -c 'stock pass' /tmp/torture.res) of $(echo $TESTS | wc -w); with xlock $(grep -c 'xlock pass' /tmp/torture.res)"
[ $regress -eq 0 ] || fail "$regress smbtorture test(s) regressed with xlock"
