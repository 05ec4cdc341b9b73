# SPDX-License-Identifier: GPL-2.0
# One boot of the power-cut test; e2e/powercut.sh gives the guest a disk
# (a virtio-blk image whose host caching honours flushes), kills QEMU while
# this boot's lock load runs, and boots it again on the same disk.
# Each boot: the state directory (ext4 on the disk, replayed by the mount)
# is read with --print-state and checked against the previous boot's ack
# log, which xlockd wrote to the 9p results share, outside the disk: every
# entry acknowledged as granted must be there, none acknowledged as
# released; then xlockd starts on it, its reclaim set is the recovered
# entries and each is reclaimed by its owner (NLM and SMB); then NLM and SMB
# clients lock and unlock until the power goes. With the option "final"
# the boot checks, reclaims and ends. The boot is kept short: the export
# is a directory of the same disk (no image to make), one python process
# does the check, the reclaim and the load (powerload.py cycle) and starts
# while the servers come up, and both servers start at once.
# tests/run.sh runs it as its own lane (e2e/powercut.sh), not in a boot of e2e/run.sh.
# e2e-default: no 20 cuts take 31-40 min at load 13 (90-116 s a boot; make check's budget for it is 12 min); run it with tests/run.sh --guest powercut or e2e/powercut.sh (README)
# e2e-timeout: 300
has_opt powercut || skip "run by e2e/powercut.sh (a disk, and a host that cuts the power)"
PL="/usr/bin/python3 $XLOCK_DIR/e2e/tools/powerload.py"
DISK=/dev/vda
MNT=/var/lib/xlock-pc
STATE=$MNT/xlockd
CHECK=/results/check.txt
READY=/tmp/pc-ready
ACKS=10
# Guest uptime at each step, for e2e/powercut.sh's summary (no exec).
phase() { read -r up _ </proc/uptime; echo "$1 $up" >>/results/phases.txt; }
# The module without its debug sections (e2e/powercut.sh strips it): a
# sixteenth of the bytes to read over 9p and load at every boot.
[ ! -f "$XLOCK_DIR/build/e2e/xlock-pc.ko" ] || XLOCK_KO=$XLOCK_DIR/build/e2e/xlock-pc.ko

phase start
# Modules e2e/powercut.sh decompressed, in dependency order; modprobe
# (in the server helpers) then finds them loaded.
MODS=$XLOCK_DIR/build/e2e/pcmods
mods() { # insmod the listed modules of $MODS/order from $1 up to $2
	awk -v a="$1" -v b="$2" '$0 == a { on = 1 } on { print } $0 == b { exit }' \
		"$MODS/order" | while read -r m; do insmod "$MODS/$m.ko" 2>/dev/null; done
}
if [ -s "$MODS/order" ]; then
	mods virtio_blk virtio_blk
else
	modprobe virtio_blk
fi
wait_for 10 test -b "$DISK" || fail "no disk $DISK"
mkdir -p "$MNT"
mount -t ext4 "$DISK" "$MNT" || fail "cannot mount the state disk"
mkdir -p "$MNT/export"
mount --bind "$MNT/export" "$EXPORT" || fail "cannot bind the export"
chmod 0777 "$EXPORT"
for f in pc-n0 pc-n1 pc-n2 pc-n3 pc-s0-0 pc-s0-1 pc-s1-0 pc-s1-1; do
	[ -e "$EXPORT/$f" ] || : >"$EXPORT/$f"
done
phase mounted

prev=
secs=600
has_opt final && secs=0
: >"$CHECK"
if [ -e /results/prev-ack.log ]; then
	"$XLOCKD" --print-state --state-dir "$STATE" >/tmp/state.txt 2>/tmp/state.err ||
		fail "the state does not load after the cut: $(cat /tmp/state.err)"
	prev="/results/prev-ack.log /tmp/state.txt"
fi
# shellcheck disable=SC2086
{ XLOCKCTL=$XLOCKCTL $PL cycle "$CHECK" "$READY" "$secs" $prev >/tmp/cycle.txt 2>&1
  echo $? >/tmp/cycle.rc; } &
py=$!

if [ -s "$MODS/order" ]; then
	mods sunrpc grace
	xlock_load || fail "cannot load xlock"
	mods lockd ksmbd
else
	xlock_load || fail "cannot load xlock"
fi
phase xlock
nfs_server_up >/tmp/nfs-up.txt 2>&1 &
nfs=$!
smb_server_up || fail "SMB server did not start"
phase ksmbd
wait $nfs || fail "NFS server did not start: $(cat /tmp/nfs-up.txt)"
phase servers
xlockd_start --state-dir "$STATE" --grace 300 --ack-log /results/ack.log ||
	fail "xlockd did not start: $(tail -n 5 "$XLOCKD_LOG")"
log "xlockd started: $(grep attached "$XLOCKD_LOG" | tail -n 1)"
echo "xlockd started on the recovered state" >>"$CHECK"
phase xlockd
: >"$READY"

if has_opt final; then
	wait $py
	cat /tmp/cycle.txt
	[ "$(cat /tmp/cycle.rc)" = 0 ] || fail "$(tail -n 1 /tmp/cycle.txt)"
	phase done
	exit 0
fi
# The host cuts the power at a random instant once this file is there:
# after the clients' first acknowledged locks (python's exit status in
# cycle.rc: the check or a reclaim failed), counted from the load's start
# (/tmp/pc-loading): the reclaim's own acks are not load.
wait_for 300 sh -c "[ -e /tmp/pc-loading ] || [ -e /tmp/cycle.rc ]" ||
	fail "the load did not start: $(cat /tmp/cycle.txt)"
# ... and once both SMB clients hold their leases and a lock (impacket
# connects slowly under TCG: without this, NLM's acks armed every cut
# before SMB had anything, and no SMB state was ever cut).
wait_for 180 sh -c "[ \$(ls /tmp/pc-smb-ready-* 2>/dev/null | wc -l) -ge 2 ] || [ -e /tmp/cycle.rc ]" ||
	fail "the SMB clients did not start: $(cat /tmp/cycle.txt)"
base=$(wc -l </results/ack.log)
wait_for 120 sh -c "[ \"\$(wc -l </results/ack.log)\" -ge $((base + ACKS)) ] || [ -e /tmp/cycle.rc ]" ||
	fail "no lock acknowledged: $(cat /tmp/cycle.txt)"
[ ! -e /tmp/cycle.rc ] || { cat /tmp/cycle.txt; fail "$(tail -n 1 /tmp/cycle.txt)"; }
# Clients stop releasing (powerload.py ARMED); the cut comes 0.2 s or more
# after this, when releases in flight were acknowledged.
: >/tmp/pc-armed
phase armed
echo armed >/results/armed
log "armed: load running"
wait $py
cat /tmp/cycle.txt
fail "the power was not cut: $(tail -n 1 /tmp/cycle.txt)"
