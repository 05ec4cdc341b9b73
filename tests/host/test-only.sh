#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Test-only code is in the test module only (issue 12; Kbuild's XLOCK_TEST,
# README Architecture): the module users load (xlock.ko) has none of the
# functions of kmod/control/nl_test.c and bench.c and none of the test
# parameters, while the test module (build/test-module/xlock.ko) has them
# all. Both must be built (make module test-module). TAP output.
set -u
KO=${1:-xlock.ko}
TKO=${2:-build/test-module/xlock.ko}
TDIR=$(dirname "$TKO")
PARAMS="test_api bench_table fail_breaks"
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

for f in "$KO" "$TKO" "$TDIR/kmod/control/nl_test.o" "$TDIR/kmod/control/bench.o"; do
	[ -f "$f" ] || { ok 1 "$f built (make module test-module)"; echo "1..$n"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The functions the test-only units define (static ones too).
nm --defined-only "$TDIR/kmod/control/nl_test.o" "$TDIR/kmod/control/bench.o" |
	awk 'NF == 3 && $2 ~ /^[tT]$/ { print $3 }' | sort -u >"$tmp/funcs"
nm "$KO" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/ko"
nm "$TKO" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/tko"
nf=$(wc -l <"$tmp/funcs")
ok $([ "$nf" -gt 0 ] && [ "$(comm -12 "$tmp/funcs" "$tmp/tko" | wc -l)" = "$nf" ]; echo $?) \
	"the test module has all $nf functions of nl_test.c and bench.c"
in_ko=$(comm -12 "$tmp/funcs" "$tmp/ko" | tr '\n' ' ')
ok $([ -z "$in_ko" ]; echo $?) "xlock.ko has none of them${in_ko:+ (has: $in_ko)}"
kp=$(modinfo -F parm "$KO" | cut -d: -f1)
tp=$(modinfo -F parm "$TKO" | cut -d: -f1)
for p in $PARAMS; do
	ok $(printf '%s\n' "$tp" | grep -qx "$p"; echo $?) "the test module has parameter $p"
	ok $(printf '%s\n' "$kp" | grep -qx "$p"; [ $? != 0 ]; echo $?) "xlock.ko has no parameter $p"
done
echo "1..$n"
exit $fail
