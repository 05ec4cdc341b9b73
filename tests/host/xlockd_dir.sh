#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# xlockd and its state directory, on the host (no module needed): a second
# xlockd on a directory another one holds exits at once with a message
# naming it, before touching a file; --print-state beside the owner reads
# the state and writes nothing, not even an incomplete journal tail. TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
XLOCKD=$TOP/userspace/xlockd
MKSTATE=$TOP/build/bench/mkstate
D=$(mktemp -d)
HOLDER=
trap '[ -z "$HOLDER" ] || kill "$HOLDER" 2>/dev/null; rm -rf "$D"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

echo "1..4"
if [ ! -x "$XLOCKD" ] || [ ! -x "$MKSTATE" ]; then
	for i in 1 2 3 4; do ok "# SKIP xlockd or mkstate not built (make all)"; done
	exit 0
fi
"$MKSTATE" "$D/s" 100 10 /srv/x >/dev/null || { notok "mkstate"; exit 1; }
# Half a record at the end: what a running xlockd's write can look like.
printf '\100\0\0\0\1\2\3\4abc' >>"$D/s/journal"
sums() { cat "$D/s/snapshot" "$D/s/journal" | md5sum; }
before=$(sums)

# Another xlockd holds the directory (the same flock(2) lock xlockd takes).
flock -n "$D/s/lock" sleep 60 &
HOLDER=$!
sleep 0.2
out=$(timeout 10 "$XLOCKD" --state-dir "$D/s" 2>&1)
rc=$?
if [ "$rc" = 1 ] && printf '%s\n' "$out" | grep -q "$D/s is in use by another xlockd"; then
	ok "a second xlockd exits: $out"
else
	notok "a second xlockd: exit $rc: $out"
fi
[ "$(sums)" = "$before" ] && ok "... and wrote nothing" || notok "the refused xlockd changed the state files"

out=$("$XLOCKD" --print-state --state-dir "$D/s" 2>&1)
rc=$?
if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q "entries 100 " &&
	printf '%s\n' "$out" | grep -q "not cut, read-only"; then
	ok "--print-state beside the owner: $(printf '%s\n' "$out" | grep -v '^entry' | tr '\n' ' ')"
else
	notok "--print-state: exit $rc: $(printf '%s\n' "$out" | head -n 3)"
fi
[ "$(sums)" = "$before" ] && ok "--print-state wrote nothing (the incomplete tail is still there)" ||
	notok "--print-state changed the state files"
