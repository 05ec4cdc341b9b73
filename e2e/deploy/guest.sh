#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The deployment lane inside the server guest (systemd is PID 1; run by
# xlock-lane.service at every boot). /lane is the host's lane directory:
# debs/ (the packages), e2e/ (this script, the client tools), out/ (log,
# phase, result).
#
# Boot 1 does what README "Installing on a server" says, step for step
# (step 1 is in the root already: e2e/deploy/packages-REL), mounts the
# export from a client namespace over NFSv3, NFSv4.2 and SMB, shows a
# cross-protocol conflict, takes locks to reclaim and reboots
# (systemctl reboot). Boot 2 checks the units came up in order, that one
# grace period runs with the persisted locks to reclaim, reclaims them as
# the clients do (NLM reclaim with the client's name and svid; SMB with
# its client GUID and lease key), then removes and purges the packages.
set -u
L=/lane
O=$L/out
LOG=$O/log
EXPORT=/srv/export
SRV=10.99.0.1
CLI=10.99.0.2
SMB_USER=lane
SMB_PASS=lanepass
GUID=xlocklaneclient1
KEY=0123456789abcdef0123456789abcdef
LOCKF="python3 $L/e2e/tools/lockf.py"
SMBOP="python3 $L/e2e/tools/smbop.py"
NLMTEST="python3 $L/e2e/tools/nlmtest.py"
export DEBIAN_FRONTEND=noninteractive
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

phase=$(cat "$O/phase" 2>/dev/null || echo install)
log() { echo "[$phase $(date +%T)] $*" | tee -a "$LOG" >/dev/console; }
# The lane's step times (lane.sh prints them): "NAME EPOCH" lines.
stamp() { echo "$1 $(date +%s)" >>"$O/times"; }
finish() { # $1: PASS or FAIL
	stamp end
	echo "$1" >"$O/result"
	log "result: $1"
	sync
	systemctl poweroff
	exit 0
}
fail() { log "FAIL: $*"; finish FAIL; }
# wait_for SECONDS CMD...
wait_for() {
	t=$1
	shift
	while [ "$t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
		t=$((t - 1))
	done
	return 1
}
run() { # log a command and its output; its status is returned
	log "# $*"
	"$@" >"$O/cmd.out" 2>&1
	rc=$?
	sed 's/^/    /' "$O/cmd.out" | tee -a "$LOG" >/dev/console
	return $rc
}
mono() { systemctl show -P "$2" "$1"; }
# xlockd must be active before nfs-server and ksmbd begin to start.
check_order() {
	x=$(mono xlockd ActiveEnterTimestampMonotonic)
	n=$(mono nfs-server InactiveExitTimestampMonotonic)
	k=$(mono ksmbd InactiveExitTimestampMonotonic)
	log "order (monotonic us): xlockd active $x, nfs-server starts $n, ksmbd starts $k"
	[ "$x" -gt 0 ] && [ "$n" -ge "$x" ] && [ "$k" -ge "$x" ] ||
		fail "units out of order"
}
cli_up() {
	ip link add vsrv type veth peer name vcli &&
	ip netns add cli &&
	ip link set vcli netns cli &&
	ip addr add "$SRV/24" dev vsrv && ip link set vsrv up &&
	ip netns exec cli sh -c "ip link set lo up && ip addr add $CLI/24 dev vcli && ip link set vcli up"
}
incli() { nsenter -t "$(cat /run/cli.pid)" -n -m -u "$@"; }

boots=$(($(cat "$O/boots" 2>/dev/null || echo 0) + 1))
echo "$boots" >"$O/boots"
stamp "boot$boots"
log "boot $boots: $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"), PID 1 is $(cat /proc/1/comm)"
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is not systemd"

case $phase in
install)
	# README step 2.
	if [ -e "$O/host-install.rc" ]; then
		# lane.sh ran it in a chroot of this root (DKMS under TCG is slow).
		log "# apt install -y ./xlock-dkms_*_all.deb ./xlock_*_amd64.deb (in a chroot of this root on the host, $(cat "$O/host-install.s") s)"
		sed 's/^/    /' "$O/host-install.log" >>"$LOG"
		[ "$(cat "$O/host-install.rc")" = 0 ] || fail "apt install (chroot)"
	else
		cd /root && cp "$L"/debs/*.deb . || fail "no packages"
		t0=$(date +%s)
		run apt install -y ./xlock-dkms_*_all.deb ./xlock_*_amd64.deb || fail "apt install"
		log "apt install took $(($(date +%s) - t0)) s in the guest (DKMS build included)"
	fi
	run dkms status xlock
	dkms status xlock | grep -q "$(uname -r).*installed" || fail "DKMS did not install xlock for $(uname -r)"
	! grep -q '^xlock ' /proc/modules || fail "installing loaded the module"
	[ "$(systemctl is-active xlockd)" != active ] || fail "installing started xlockd"
	log "installed: module built, not loaded; xlockd $(systemctl is-enabled xlockd), $(systemctl is-active xlockd)"
	run modinfo -F signer xlock

	# README step 3: servers and xlock's share (grace shortened for the lane).
	mkdir -p "$EXPORT" /etc/ksmbd /etc/nfs.conf.d
	# 127.0.0.0/8: nlmtest.py, the NLM clients that stand for other
	# machines below, speak from the server's loopback addresses (lockd
	# refuses an RPC from an address no export names).
	echo "$EXPORT $CLI(rw,sync,no_subtree_check,no_root_squash) 127.0.0.0/8(rw,sync,no_subtree_check,no_root_squash)" >>/etc/exports
	cat >/etc/ksmbd/ksmbd.conf <<EOF
[global]
	smb2 leases = yes
[export]
	path = $EXPORT
	read only = no
	oplocks = yes
	force user = root
EOF
	ksmbd.adduser -a -p "$SMB_PASS" "$SMB_USER" >/dev/null || fail "ksmbd.adduser"
	printf '\n[global]\ngrace_s = 300\n\n[share export]\npath = %s\n' "$EXPORT" >>/etc/xlock/xlockd.conf
	printf '[nfsd]\ngrace-time=10\nlease-time=10\n' >/etc/nfs.conf.d/lane.conf
	echo "options lockd nlm_grace_period=10" >/etc/modprobe.d/lane-lockd.conf

	# README step 4.
	# Debian started nfs-server when nfs-kernel-server was installed (and
	# at every boot since): stopped first, it starts after xlockd.
	run systemctl stop nfs-server ksmbd || fail "systemctl stop"
	run systemctl enable --now xlockd nfs-server ksmbd || fail "systemctl enable --now"
	check_order
	grep -q '^xlock ' /proc/modules || fail "xlockd.service did not load xlock"
	run xlockctl status
	xlockctl status | grep -q 'persistence: on' || fail "xlockd is not attached"
	wait_for 90 sh -c "xlockctl grace | grep -q 'grace: over\|grace: none\|grace: off'" ||
		log "grace still running: $(xlockctl grace | tr '\n' ' ')"
	run xlockctl shares

	# Clients: one namespace with NFSv3 (NLM), NFSv4.2 and SMB mounts.
	cli_up || fail "client namespace"
	echo "hello" >"$EXPORT/a"
	echo "hello" >"$EXPORT/b"
	echo "hello" >"$EXPORT/c"
	ip netns exec cli unshare --mount --uts --propagation private sh -c "
		hostname nfscli
		mount -t tmpfs tmpfs /run && mkdir -p /run/rpcbind
		mount -t tmpfs tmpfs /var/lib/nfs && mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak
		rpcbind -w && rpc.statd --no-notify || exit 1
		mkdir -p /mnt/nfs3 /mnt/nfs4 /mnt/smb
		mount -t nfs -o vers=3,proto=tcp,soft,timeo=50,retrans=2 $SRV:$EXPORT /mnt/nfs3 || exit 1
		mount -t nfs -o vers=4.2,soft,timeo=50,retrans=2 $SRV:$EXPORT /mnt/nfs4 || exit 1
		mount -t cifs //$SRV/export /mnt/smb -o username=$SMB_USER,password=$SMB_PASS,vers=3.0 || exit 1
		touch /tmp/cli-ready
		exec sleep 100000" >"$O/cli.log" 2>&1 &
	echo $! >/run/cli.pid
	wait_for 90 test -e /tmp/cli-ready || fail "client mounts: $(cat "$O/cli.log")"
	run incli mount -t nfs,nfs4,cifs
	run incli cat /mnt/nfs3/a /mnt/nfs4/b /mnt/smb/a || fail "reading through the mounts"

	# The conflict: an NLM lock (NFSv3 client) refuses an SMB lock on the
	# same range (cifs client, its lease broken by xlock).
	nsenter -t "$(cat /run/cli.pid)" -n -m -u $LOCKF /mnt/nfs3/a w --start 0 --len 10 --hold 3600 >"$O/nlm-hold.out" 2>&1 &
	nlm=$!
	wait_for 60 grep -q granted "$O/nlm-hold.out" || fail "NLM lock: $(cat "$O/nlm-hold.out")"
	log "NFSv3 client holds an NLM lock on a 0-10: $(cat "$O/nlm-hold.out")"
	run incli $LOCKF /mnt/smb/a w --start 0 --len 10 && fail "SMB lock over the NLM lock was granted"
	grep -q denied "$O/cmd.out" || fail "SMB lock over the NLM lock: $(cat "$O/cmd.out")"
	log "cross-protocol conflict shown: the SMB client's lock on a 0-10 is denied"
	# An NFSv4.2 lock.
	nsenter -t "$(cat /run/cli.pid)" -n -m -u $LOCKF /mnt/nfs4/b w --start 100 --len 10 --hold 3600 >"$O/v4-hold.out" 2>&1 &
	v4=$!
	wait_for 60 grep -q granted "$O/v4-hold.out" || fail "NFSv4.2 lock: $(cat "$O/v4-hold.out")"
	run xlockctl locks

	# The kernel's clients live in this guest and cannot outlive its
	# reboot: with the server gone, their unlock and close block the
	# shutdown (seen: over 6 min of "nfs: server not responding" until
	# systemd gave up). They let go and unmount while the server is up.
	kill "$nlm" "$v4"
	wait_for 60 sh -c "! kill -0 $nlm 2>/dev/null && ! kill -0 $v4 2>/dev/null" || fail "the kernel clients' lock holders did not exit"
	run incli umount /mnt/nfs3 /mnt/nfs4 /mnt/smb || fail "unmounting the kernel clients"
	wait_for 30 sh -c "! xlockctl locks | grep -q nlm:nfscli" || fail "the NFSv3 client's unlock did not reach the server"
	log "the kernel clients unlocked and unmounted"

	# The locks to reclaim after the reboot are held by clients with no
	# kernel state here: an NLM client named nfscli (e2e/tools/nlmtest.py,
	# its lockd is "on another machine") and an SMB client that keeps its
	# GUID and lease key (python3-impacket).
	out=$($NLMTEST --lock --caller nfscli --svid 4242 "$CLI" "$EXPORT/a" w 0 10 2>&1 | tail -n 1)
	log "NLM lock of nfscli (svid 4242) on a 0-10: $out"
	[ "$out" = "lock granted" ] || fail "NLM lock of nfscli: $out"
	incli $SMBOP --server "$SRV" --user "$SMB_USER" --password "$SMB_PASS" --share export \
		--guid "$GUID" --key "$KEY" c open:RWH lock:0:10:x hold:3600 >"$O/smb-hold.out" 2>&1 &
	wait_for 60 grep -q "lock granted" "$O/smb-hold.out" || fail "SMB client: $(cat "$O/smb-hold.out")"
	run xlockctl locks
	sleep 2
	run xlockd --print-state --state-dir /var/lib/xlockd
	grep -q "svid=4242 client=nfscli path=$EXPORT/a" "$O/cmd.out" || fail "the NLM lock is not persisted"
	grep -q "kind=1 .*client=$(printf %s "$GUID" | od -An -tx1 | tr -d ' \n') path=$EXPORT/c" "$O/cmd.out" ||
		fail "the SMB lock is not persisted"

	# The SMB client is another machine: the server's shutdown must not
	# reach it (its link goes first, so ksmbd sees no disconnect).
	incli ip link set vcli down
	echo reboot >"$O/phase"
	log "systemctl reboot"
	stamp reboot
	sync
	systemctl reboot
	exit 0 ;;
reboot)
	wait_for 120 sh -c '[ "$(systemctl is-active xlockd nfs-server ksmbd | sort -u)" = active ]' ||
		fail "units after the reboot: $(systemctl is-active xlockd nfs-server ksmbd | tr '\n' ' ')"
	check_order
	run xlockctl grace
	xlockctl grace | grep -q 'grace: running' || fail "no grace period after the reboot"
	run xlockd --print-state --state-dir /var/lib/xlockd
	svid=$(grep "^reclaim .* client=nfscli path=$EXPORT/a\$" "$O/cmd.out" | head -n 1 |
		sed 's/.* svid=\([0-9]*\) .*/\1/')
	[ -n "$svid" ] || fail "the NLM lock is not in the reclaim set"
	# One grace period this boot: the module's (xlockd starts it once it
	# loaded the reclaim set; lockd and nfsd follow it).
	n=$(journalctl -b -k | grep -c "xlock: grace period started")
	[ "$n" = 1 ] || fail "$n grace periods started this boot"
	run sh -c 'journalctl -b -k -u xlockd | grep "grace period\|to reclaim"'

	# NLM: a new lock waits for grace; the client's reclaim (its name and
	# svid, as its lockd sends after SM_NOTIFY) is granted.
	fhc=$CLI
	cli_up || fail "client namespace"
	# nfsd learns the client's export domain (nlmtest's file handles) on
	# its first request.
	ip netns exec cli sh -c "mkdir -p /mnt/fh && mount -t nfs -o vers=3,nolock $SRV:$EXPORT /mnt/fh && ls /mnt/fh && umount /mnt/fh" >/dev/null ||
		fail "NFSv3 mount after the reboot"
	# "other" is another machine: lockd keys its NLM hosts by address (a
	# second caller name from nfscli's address would be taken for nfscli's
	# host, named after the first caller seen).
	out=$($NLMTEST --lock --caller other --from 127.0.0.2 --svid 4243 "$fhc" "$EXPORT/c" w 0 10 2>&1 | tail -n 1)
	log "a new NLM lock in grace: $out"
	[ "$out" = "lock denied_grace_period" ] || fail "new NLM lock in grace: $out"
	out=$($NLMTEST --lock --reclaim --caller nfscli --svid "$svid" "$fhc" "$EXPORT/a" w 0 10 2>&1 | tail -n 1)
	log "NLM reclaim (nfscli svid $svid): $out"
	[ "$out" = "lock granted" ] || fail "NLM reclaim: $out"
	# SMB: the client reconnects with its GUID and lease key.
	ip netns exec cli $SMBOP --server "$SRV" --user "$SMB_USER" --password "$SMB_PASS" \
		--share export --guid "$GUID" --key "$KEY" c open:RWH lock:0:10:x close >"$O/smb-reclaim.out" 2>&1
	log "SMB reclaim: $(tr '\n' ' ' <"$O/smb-reclaim.out")"
	grep -q "lock granted" "$O/smb-reclaim.out" || fail "SMB reclaim"
	# Everything persisted was reclaimed: the grace period ends early.
	wait_for 30 sh -c "xlockctl grace | grep -q 'grace: over'" ||
		log "grace still running after every reclaim"
	run xlockctl grace
	run xlockctl locks
	xlockctl locks | grep -q "$EXPORT/a" || fail "the reclaimed NLM lock is not in the table"

	# Package lifecycle: remove keeps state and conffiles, purge removes them.
	run apt remove -y xlock xlock-dkms || fail "apt remove"
	[ "$(systemctl is-active xlockd)" != active ] || fail "remove left xlockd running"
	[ -d /var/lib/xlockd ] && [ -f /etc/xlock/xlockd.conf ] && [ -f /etc/default/xlockd ] ||
		fail "remove did not keep the state and the conffiles"
	[ -z "$(dkms status xlock)" ] || fail "remove left xlock in DKMS: $(dkms status xlock)"
	log "removed: xlockd stopped, state and conffiles kept, DKMS empty"
	run apt purge -y xlock xlock-dkms || fail "apt purge"
	[ ! -e /var/lib/xlockd ] && [ ! -e /etc/xlock/xlockd.conf ] && [ ! -e /etc/default/xlockd ] ||
		fail "purge left state or conffiles: $(ls -d /var/lib/xlockd /etc/xlock/* /etc/default/xlockd 2>&1)"
	log "purged: state and conffiles gone"
	finish PASS ;;
*)
	fail "unexpected boot (phase $phase)" ;;
esac
