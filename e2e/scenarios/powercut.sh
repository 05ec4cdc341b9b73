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
# the boot checks, reclaims and ends. The boot is kept short, as a server
# boots: what can go side by side does (the python process that checks,
# reclaims and loads, powerload.py cycle, imports while the rest starts;
# nfsd's and ksmbd's modules load side by side;
# xlockd starts while the servers come up; the SMB clients set up their
# sessions meanwhile), the export is a directory of the same disk, and
# nothing the check does not use runs (no client mounts).
# tests/run.sh runs it as its own lane (e2e/powercut.sh), not in a boot of e2e/run.sh.
# e2e-timeout: 300
has_opt powercut || skip "run by e2e/powercut.sh (a disk, and a host that cuts the power)"
PL="/usr/bin/python3 $XLOCK_DIR/e2e/tools/powerload.py"
DISK=/dev/vda
MNT=/var/lib/xlock-pc
STATE=$MNT/xlockd
CHECK=/results/check.txt
READY=/tmp/pc-ready
# Guest uptime at each step, for e2e/powercut.sh's summary (no exec).
phase() { read -r up _ </proc/uptime; echo "$1 $up" >>/results/phases.txt; }
# The module without its debug sections (e2e/powercut.sh strips it): a
# sixteenth of the bytes to read over 9p and load at every boot.
[ ! -f "$XLOCK_DIR/build/e2e/xlock-pc.ko" ] || XLOCK_KO=$XLOCK_DIR/build/e2e/xlock-pc.ko
# Modules e2e/powercut.sh decompressed, in load order per group (blk, nfs,
# smb); modprobe then finds them loaded.
MODS=$XLOCK_DIR/build/e2e/pcmods
pcmods() { # insmod the modules of group $1
	while read -r m; do insmod "$MODS/$m.ko" 2>/dev/null; done <"$MODS/$1"
}
[ -s "$MODS/blk" ] && [ -s "$MODS/nfs" ] && [ -s "$MODS/smb" ] ||
	fail "no module lists in $MODS (e2e/powercut.sh makes them)"

phase start
prev=
secs=600
has_opt final && secs=0
: >"$CHECK"
[ ! -e /results/prev-ack.log ] || prev="/results/prev-ack.log /tmp/state.txt"
# rpcbind and statd (NLM's) need no module: they start now.
{ rpcbind -w && rpc.statd --no-notify; echo $? >/tmp/pc-rpc.rc; } >/tmp/pc-rpc.txt 2>&1 &
# python imports while the rest starts (its imports are the longest
# step: 17-60 s; the disk's mount beside them takes 5-25 s instead of 5).
# shellcheck disable=SC2086
{ XLOCKCTL=$XLOCKCTL $PL cycle "$CHECK" "$READY" "$secs" $prev >/tmp/cycle.txt 2>&1
  echo $? >/tmp/cycle.rc; } &
py=$!
pcmods blk
wait_for 10 test -b "$DISK" || fail "no disk $DISK"
mkdir -p "$MNT"
mount -t ext4 "$DISK" "$MNT" || fail "cannot mount the state disk"
mkdir -p "$MNT/export"
mount --bind "$MNT/export" "$EXPORT" || fail "cannot bind the export"
chmod 0777 "$EXPORT"
for f in pc-n0 pc-n1 pc-n2 pc-n3 pc-s0-0 pc-s0-1 pc-s1-0 pc-s1-1; do
	[ -e "$EXPORT/$f" ] || : >"$EXPORT/$f"
done
if [ -n "$prev" ]; then
	"$XLOCKD" --print-state --state-dir "$STATE" >/tmp/state.tmp 2>/tmp/state.err ||
		fail "the state does not load after the cut: $(cat /tmp/state.err)"
	mv /tmp/state.tmp /tmp/state.txt
fi
phase mounted

# xlock (and grace, which it needs) first, then nfsd's and ksmbd's groups
# side by side: the edges attach as lockd, nfsd and ksmbd go live.
insmod "$MODS/grace.ko" 2>/dev/null
xlock_load || fail "cannot load xlock"
phase xlock
{ pcmods nfs &
  pcmods smb
  wait; } &
mods=$!
# xlockd in the background, attached once its log says so (read with
# builtins: lib.sh's xlockd_start runs xlockctl 5 times a second, CPU
# the servers starting beside it need), then the module is asked once.
pc_xlockd_up() {
	"$XLOCKD" "$@" >>"$XLOCKD_LOG" 2>&1 &
	n=0
	while [ $n -lt 120 ]; do
		while read -r l; do
			case $l in *"attached to xlock"*) xlock_persist; return ;; esac
		done <"$XLOCKD_LOG"
		kill -0 $! 2>/dev/null || return 1
		sleep 0.25
		n=$((n + 1))
	done
	return 1
}
{ pc_xlockd_up --state-dir "$STATE" --grace 300 --ack-log /results/ack.log >/tmp/xlockd-up.txt 2>&1
  echo $? >/tmp/xlockd-up.rc; } &
xd=$!

# The NFS server the load needs and no more: NLM (lockd, statd and
# rpcbind, started above), mountd for the file handles, nfsd with 2 threads. ksmbd's clients
# (python) retry until it listens.
pc_nfs_up() {
	sysctl -q fs.nfs.nlm_grace_period=3 fs.nfs.nlm_timeout=3
	mount -t nfsd nfsd /proc/fs/nfsd || return 1
	wait_for 60 test -e /tmp/pc-rpc.rc || return 1
	[ "$(cat /tmp/pc-rpc.rc)" = 0 ] || { cat /tmp/pc-rpc.txt; return 1; }
	echo "$EXPORT 127.0.0.1($EXPORT_OPTS)" >/etc/exports
	exportfs -ra || return 1
	rpc.mountd || return 1
	# nfsd's NFSv4 grace holds NLM locks too (locks_in_grace): end it,
	# and lockd's; xlock's (xlockd's reclaim set) stays.
	rpc.nfsd --grace-time 10 --lease-time 10 2 || return 1
	echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
	echo Y >/proc/fs/lockd/nlm_end_grace 2>/dev/null
	return 0
}
wait $mods
phase modules
pc_nfs_up >/tmp/nfs-up.txt 2>&1 &
nfs=$!
smb_server_start || fail "SMB server did not start"
phase ksmbd
wait $nfs || fail "NFS server did not start: $(cat /tmp/nfs-up.txt)"
phase servers
wait $xd
[ "$(cat /tmp/xlockd-up.rc)" = 0 ] ||
	fail "xlockd did not start: $(cat /tmp/xlockd-up.txt; tail -n 5 "$XLOCKD_LOG")"
log "xlockd started: $(grep attached "$XLOCKD_LOG" | tail -n 1)"
echo "xlockd started on the recovered state" >>"$CHECK"
phase xlockd
: >"$READY"

# python reclaims, loads and, once both SMB clients hold their leases and
# a lock and 10 more events were acknowledged, arms the cut (clients stop
# releasing: powerload.py ARMED; /results/armed tells the host, which cuts
# 0.2 s or more later, when releases in flight were acknowledged). It
# ends only on a failure, or after the reclaim in the final boot.
wait $py
cat /tmp/cycle.txt
if has_opt final; then
	[ "$(cat /tmp/cycle.rc)" = 0 ] || fail "$(tail -n 1 /tmp/cycle.txt)"
	phase done
	exit 0
fi
fail "the power was not cut: $(tail -n 1 /tmp/cycle.txt)"
