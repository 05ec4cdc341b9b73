#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The debug-kernel lane: build (or reuse) the lockdep + KASAN + kmemleak +
# debug-objects kernel (scripts/debug-kernel.sh), build xlock.ko against it
# into build/ko/<release>/ (the guest loads the module built for the kernel
# it runs), and run the guest suite on it. Any lockdep, KASAN, kmemleak or
# debug-objects report fails the scenario that was running (e2e/run.sh),
# and a kmemleak scan after the last scenario of each boot reports leaks
# (runner.sh). The last line is "N passed, N failed, N skipped".
#
# usage: debug-lane.sh [SCENARIO...]    (default: every test scenario)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
DKVER=$(nice -n 10 ./scripts/debug-kernel.sh)
KDIR=/lib/modules/$DKVER/build

# A copy of the module's sources: the tree's own objects stay for the stock
# kernel, and kbuild (6.12) builds external modules in their source tree.
SRC=$TOP/build/dbg-src
OUT=$TOP/build/ko/$DKVER
rm -rf "$SRC"
mkdir -p "$SRC" "$OUT"
cp -r Kbuild Makefile kmod include scripts e2e "$SRC/"
rm -rf "$SRC/kmod/generated" "$SRC"/kmod/*.o "$SRC"/kmod/*/*.o
make -C "$SRC" BUILD="$SRC/build" KVER="$DKVER" KDIR="$KDIR" module >"$OUT/build.log" 2>&1 || {
	tail -n 30 "$OUT/build.log" >&2
	exit 1
}
cp "$SRC/xlock.ko" "$OUT/xlock.ko"
echo "debug-lane: $OUT/xlock.ko built for $DKVER" >&2
# TCG with KASAN and lockdep runs several times slower: a longer boot timeout.
KVER=$DKVER XLOCK_E2E_TIMEOUT=${XLOCK_E2E_TIMEOUT:-5400} ./tests/run.sh --guest "$@"
