# SPDX-License-Identifier: GPL-2.0
# Every flush point (issue 11 item 5): xlockd's state directory on ext4
# over the kernel's dm-log-writes target, NLM and SMB lock load running;
# after each batch of acks xlockd gave (its ack log, in /tmp, off the
# logged device) a mark with the number of ack lines goes into the log.
# Then the log is replayed (build/tools/logreplay) onto the device's first
# state, and at every flush and FUA point a copy is mounted (ext4 replays
# its journal), xlockd --print-state must load it, and every entry whose
# grant was acknowledged before the last mark must be there (unless its
# release was acknowledged later), none whose release was.
# e2e-timeout: 900
LR=$XLOCK_DIR/build/tools/logreplay
PL="/usr/bin/python3 $XLOCK_DIR/e2e/tools/powerload.py"
LOAD_S=${XLOCK_LOGWRITES_LOAD:-2}
W=/tmp/lw
MNT=/mnt/lw
ACK=$W/ack.log
[ -x "$LR" ] || fail "$LR is missing (make all)"
modprobe dm-log-writes || fail "no dm-log-writes module"
mkdir -p "$W" "$MNT" "$W/point"
truncate -s 16M "$W/dev.img"
truncate -s 768M "$W/log.img"
mkfs.ext4 -q -F -E nodiscard "$W/dev.img" || fail "mkfs"
cp "$W/dev.img" "$W/base.img"
DEV=$(losetup -f --show "$W/dev.img") || fail "losetup"
LOGDEV=$(losetup -f --show "$W/log.img") || fail "losetup"
# No udev in the guest: libdevmapper makes the /dev/mapper node itself.
export DM_DISABLE_UDEV=1
dmsetup create xlock-lw --table "0 $(blockdev --getsz "$DEV") log-writes $DEV $LOGDEV" ||
	fail "dmsetup create log-writes"
LW=/dev/mapper/xlock-lw
[ -b $LW ] || dmsetup mknodes xlock-lw
[ -b $LW ] || LW=/dev/$(dmsetup info -c --noheadings -o blkdevname xlock-lw)
[ -b "$LW" ] || fail "no device node for xlock-lw ($LW)"
mount -t ext4 "$LW" "$MNT" || fail "mount over log-writes ($LW)"
for f in pc-n0 pc-n1 pc-n2 pc-n3 pc-s0-0 pc-s0-1 pc-s1-0 pc-s1-1; do
	: >"$EXPORT/$f"
done

xlock_load || fail "cannot load xlock"
nfs_server_up || fail "NFS server did not start"
smb_server_up || fail "SMB server did not start"
xlockd_start --state-dir "$MNT/xlockd" --ack-log "$ACK" || fail "xlockd did not start"
$PL load "$LOAD_S" >"$W/load.txt" 2>&1 &
lp=$!
# A mark after the acks so far: all of them were durable before it.
while kill -0 $lp 2>/dev/null; do
	dmsetup message xlock-lw 0 mark "$(wc -l <"$ACK")"
	sleep 0.2
done
wait $lp || fail "load: $(cat "$W/load.txt")"
cat "$W/load.txt"
xlockd_stop
dmsetup message xlock-lw 0 mark "$(wc -l <"$ACK")"
umount "$MNT"
dmsetup remove xlock-lw || fail "dmsetup remove"
log "$(wc -l <"$ACK") ack lines; log status written, replaying"

# At a point: the state as the disk held it there, against the acks before the mark.
cat >"$W/check.sh" <<'SH'
W=/tmp/lw
m=$LOGREPLAY_MARK
case $m in ''|*[!0-9]*) m=0 ;; esac
# No write since the previous point: the disk, so the state, is as then.
# $PDEV is a loop device on point.img, a copy to mount (the mount replays
# ext4's journal); its page cache goes with the last close (umount).
if [ "${LOGREPLAY_WRITES:-1}" != 0 ] || [ ! -e "$W/state.txt" ]; then
	cp "$W/replay.img" "$W/point.img"
	mount -t ext4 "$PDEV" "$W/point" || { echo "point $LOGREPLAY_POINT: mount failed"; exit 1; }
	if [ -d "$W/point/xlockd" ]; then
		"$XLOCKD" --print-state --state-dir "$W/point/xlockd" >"$W/state.txt" 2>"$W/state.err"
		rc=$?
	else
		: >"$W/state.txt"; echo "no state directory" >"$W/state.err"
		rc=0; [ "$m" = 0 ] || rc=1
	fi
	umount "$W/point"
	if [ $rc != 0 ]; then
		rm -f "$W/state.txt"
		echo "point $LOGREPLAY_POINT (mark $m): the state does not load: $(cat "$W/state.err")"
		exit 1
	fi
	echo x >>"$W/mounts.txt"
fi
# Held: granted in the acks before the mark and never released after; a
# release acknowledged later may already be on disk at this point.
awk -v p="$LOGREPLAY_POINT" -v m="$m" -v acks="$W/ack.log" '
	BEGIN { while ((getline a < acks) > 0) {
			id = substr(a, 2) + 0
			if (++n <= m) last[id] = substr(a, 1, 1)
			else if (substr(a, 1, 1) == "-" && last[id] == "+") delete last[id]
		} }
	/^entry / { for (i = 2; i <= NF; i++) if ($i ~ /^id=/) have[substr($i, 4) + 0] = 1 }
	END {
		for (id in last) {
			if (last[id] == "+" && !(id in have)) { lost++; l = l " " id }
			if (last[id] == "-" && (id in have)) { back++; b = b " " id }
			if (last[id] == "+") held++
		}
		printf "point %d mark %d: %d acknowledged held, %d lost%s, %d released but back%s\n",
			p, m, held, lost, l, back, b >> "/tmp/lw/points.txt"
		printf "point %d mark %d: %d held, %d lost, %d back\n", p, m, held, lost, back \
			>> "/results/logwrites-points.txt"
		exit (lost || back) ? 1 : 0
	}' "$W/state.txt"
SH
cp "$W/base.img" "$W/replay.img"
cp "$W/base.img" "$W/point.img"
PDEV=$(losetup -f --show "$W/point.img") || fail "losetup"
: >"$W/points.txt"
: >"$W/mounts.txt"
rm -f "$W/state.txt"
t0=$(date +%s)
out=$(XLOCKD="$XLOCKD" PDEV="$PDEV" "$LR" -c "sh $W/check.sh" "$W/log.img" "$W/replay.img" 2>&1)
rc=$?
t1=$(date +%s)
# Leave the boot as found for the scenarios after this one.
losetup -d "$PDEV" "$DEV" "$LOGDEV"
cp "$W/points.txt" /results/logwrites-points-full.txt
rm -f "$W"/*.img
tail -n 3 "$W/points.txt"
log "$out ($((t1 - t0)) s)"
[ $rc = 0 ] || fail "$(tail -n 1 "$W/points.txt"); $out"
n=$(wc -l <"$W/points.txt")
[ "$n" -ge 10 ] || fail "only $n flush points: the log did not capture the load"
max=$(awk '{ if ($5 > m) m = $5 } END { print m + 0 }' "$W/points.txt")
[ "$max" -gt 0 ] || fail "no point saw an acknowledged entry"
log "every flush/FUA point checked: $n points ($(wc -l <"$W/mounts.txt") with new writes, each mounted), up to $max acknowledged entries held, 0 lost"
