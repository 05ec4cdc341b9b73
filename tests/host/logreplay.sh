#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# logreplay (the dm-log-writes replayer of the logwrites scenario) on a log
# written here in the kernel's format: the target holds what was written up
# to each flush/FUA point when the check runs there, with the last mark's
# text; a discard reads back as zeros; a failing check stops the replay
# (status 1); a log that is not one is refused (status 2). TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LR=$TOP/build/tools/logreplay
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { if eval "$1"; then ok "$2"; else notok "$2"; fi; }

echo "1..7"
if [ ! -x "$LR" ]; then
	for i in 1 2 3 4 5 6 7; do ok "# SKIP logreplay not built (make all)"; done
	exit 0
fi
# Entries: write A at sector 1, write B at 2 (FUA), mark "m1", write C at
# 1, flush, discard sector 2, write D at 3 with flush; 512-byte sectors.
python3 - "$D/log" <<'PY'
import struct, sys
ss = 512
out = bytearray()
def sector(b):
    return b + b"\0" * (ss - len(b))
ents = []
def ent(sec, n, flags, data=b"", mark=b""):
    ents.append(sector(struct.pack("<QQQQ", sec, n, flags, len(mark)) + mark) + data)
ent(1, 1, 0, sector(b"A" * 16))
ent(2, 1, 2, sector(b"B" * 16))
ent(0, 0, 8, mark=b"m1")
ent(1, 1, 0, sector(b"C" * 16))
ent(0, 0, 1)
ent(2, 1, 4)
ent(3, 1, 1, sector(b"D" * 16))
sb = sector(struct.pack("<QQQI", 0x6a736677736872, 1, len(ents), ss))
open(sys.argv[1], "wb").write(sb + b"".join(ents))
PY
head -c 4096 /dev/zero | tr '\0' 'z' >"$D/target"
cat >"$D/chk.sh" <<'SH'
echo "$LOGREPLAY_POINT $LOGREPLAY_WRITES" >>"$OUT.w"
printf '%s %s %s %s\n' "$LOGREPLAY_POINT" "$LOGREPLAY_MARK" \
	"$(dd if="$T" bs=512 skip=1 count=3 2>/dev/null | tr -d '\0' | cut -c1,17,33)" \
	"$(dd if="$T" bs=512 skip=1 count=3 2>/dev/null | tr -d '\0' | wc -c)" >>"$OUT"
[ "$LOGREPLAY_POINT" != "$FAIL_AT" ]
SH
export T="$D/target" OUT="$D/points" FAIL_AT=none
out=$("$LR" -c "sh $D/chk.sh" "$D/log" "$D/target")
check '[ $? = 0 ]' "replay of a 7-entry log succeeds: $out"
# Point 1 (B's FUA): A and B, no mark yet; point 2 (flush): C over A, after
# m1; point 3 (D): sector 2 zeroed by the discard, D written.
check '[ "$(sed -n 1p "$D/points")" = "1  ABz 544" ]' "point 1 sees A and B: $(sed -n 1p "$D/points")"
check '[ "$(sed -n 2p "$D/points")" = "2 m1 CBz 544" ]' "point 2 sees C over A, after mark m1: $(sed -n 2p "$D/points")"
check '[ "$(sed -n 3p "$D/points")" = "3 m1 CD 32" ]' "point 3: the discard reads as zeros, D written: $(sed -n 3p "$D/points")"
# Writes since the previous point: A and B; C; the discard and D.
w=$(tr '\n' ' ' <"$D/points.w")
check '[ "$w" = "1 2 2 1 3 2 " ]' "writes since the previous point: $w"
head -c 4096 /dev/zero | tr '\0' 'z' >"$D/target"
: >"$D/points"
FAIL_AT=2 "$LR" -c "sh $D/chk.sh" "$D/log" "$D/target" >/dev/null
rc=$?
check '[ $rc = 1 ] && [ "$(wc -l <"$D/points")" = 2 ]' "a failing check stops the replay with status 1 (rc $rc)"
printf 'not a log' >"$D/bad"
"$LR" "$D/bad" "$D/target" 2>/dev/null
rc=$?
check '[ $rc = 2 ]' "a file that is not a log is refused with status 2 (rc $rc)"
