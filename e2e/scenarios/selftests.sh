# SPDX-License-Identifier: GPL-2.0
# The netlink selftests (selftests/xlock_nl_test) and the netlink fuzz
# (selftests/xlock_fuzz: XLOCK_FUZZ_N messages from root and as many from an
# unprivileged user), kselftest harness, against a module loaded with
# test_api=1; the normal module is restored afterwards.
# The selftests count the whole table (entries, files, generation, dump
# consistency), so nothing else may touch it while they run: no xlockd
# (the runner stops one an earlier scenario left; one attached would load
# its reclaim set and start a grace period: checked below), no mounts, no
# servers (their modules stay loaded: the edges are the same). They come
# back afterwards.
T="$XLOCK_DIR/build/selftests/xlock_nl_test"
F="$XLOCK_DIR/build/selftests/xlock_fuzz"
TR=/sys/kernel/tracing
[ -x "$T" ] && [ -x "$F" ] || fail "$T or $F not built (make selftests)"
env_up
mounts_down
smb_server_down
rpc.nfsd 0
xlock_unload || fail "rmmod xlock"
xlock_load test_api=1 || fail "insmod xlock test_api=1"
st=$("$XLOCKCTL" --json status | python3 -c 'import json, sys
s = json.load(sys.stdin); print(s["entries"], s["persistence"])')
[ "$st" = "0 False" ] || fail "the test module is not alone (entries, daemon attached): $st"

# A witness of outside activity: the edges' requests while the tests run.
mountpoint -q $TR || mount -t tracefs nodev $TR
echo 1 >$TR/events/xlock/xlock_request/enable && : >$TR/trace
"$T" >/tmp/nl_test.out 2>&1
rc=$?
echo 0 >$TR/events/xlock/xlock_request/enable
cat /tmp/nl_test.out
outside=$(grep -c 'xlock_request:' $TR/trace)
log "edge requests while xlock_nl_test ran: $outside"
[ "$outside" = 0 ] || grep 'xlock_request:' $TR/trace | head -n 20
XLOCK_FUZZ_N=${XLOCK_FUZZ_N:-10000} "$F" >/tmp/fuzz.out 2>&1
frc=$?
cat /tmp/fuzz.out
xlock_unload || fail "rmmod xlock after the selftests"
xlock_load || fail "insmod xlock"

# The failed tests, each with its first assertion line ("name:line: Expected
# ..."), on one line: the scenario's last line is what a summary shows.
failed() {
	awk 'function short(l, p) { sub(/^# [^:]*:/, "", l); split(l, p, ":")
			sub(/^[0-9]+:[a-z_]+:/, "", l); return p[2] ":" p[1] ": " l }
	     /^# +RUN / { name = $3; sub(/^[a-z_]+\./, "", name); first = ""; ex = "" }
	     /^# [^ ]*:[0-9]+:[a-z_]+:/ {
		if (first == "") first = short($0)
		if (ex == "" && /:Expected /) ex = short($0) }
	     /^not ok / { printf "%s%s", sep, (ex != "" ? ex : first != "" ? first : name); sep = "; " }' "$1"
}
[ $rc = 0 ] || fail "xlock_nl_test exited with $rc: $(failed /tmp/nl_test.out)"
[ $frc = 0 ] || fail "xlock_fuzz exited with $frc: $(failed /tmp/fuzz.out)"
env_up
